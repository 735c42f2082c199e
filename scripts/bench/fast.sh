#!/usr/bin/env bash
# `--fast` on long files, measured by `vfp bench`: two 1080p H.264 files
# of MINUTES (5.5 by default) joined (without re-encoding) from vfp bench's
# built-in clips, one holding a 30 s excerpt of a built-in title in its
# middle, one not; each scanned with --fast (against keyframe-only
# decoding) and, up to 10 minutes, densely (against decoding every frame),
# against the built-in catalog.
#   scripts/bench/fast.sh [MINUTES]      (files kept in target/bench-fast/)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
build_vfp
material=$root/target/bench-material
work=$root/target/bench-fast
mkdir -p "$work"
# The built-in material (made if missing), for its clips and catalog.
"$vfp" bench --material "$material" --repeat 1 -q --format json > /dev/null
clips=$material/v1
join() { # join OUT FILE...: concatenates same-encoded MP4s without re-encoding
    local out=$1; shift
    [ -s "$out" ] && return 0
    local list=$work/list.txt
    : > "$list"
    for f in "$@"; do echo "file '$f'" >> "$list"; done
    ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$list" -c copy -f mp4 "$out.tmp"
    mv "$out.tmp" "$out"
}
minutes=${1:-5.5}
# Each clip is 30 s: the file is `copies` of them.
copies=$(python3 -c "print(max(3, round(float('$minutes') * 2)))")
dense=$(python3 -c "print(1 if float('$minutes') <= 10 else 0)")
work=$work/$minutes-min
mkdir -p "$work"
other=$clips/other-1080p.mp4
half=$(( (copies - 1) / 2 ))
before=(); after=(); all=()
for ((i = 0; i < half; i++)); do before+=("$other"); done
for ((i = 0; i < copies - 1 - half; i++)); do after+=("$other"); done
for ((i = 0; i < copies; i++)); do all+=("$other"); done
join "$work/with-excerpt.mp4" "${before[@]}" "$clips/copy-1080p.mp4" "${after[@]}"
join "$work/without.mp4" "${all[@]}"
modes=(--fast)
[ "$dense" = 1 ] && modes+=("")
for mode in "${modes[@]}"; do
    "$vfp" bench --catalog "$clips/catalog" $mode --format json -q \
        "$work/with-excerpt.mp4" "$work/without.mp4" > "$work/bench${mode:-dense}.json"
done
python3 - "$work" "$dense" <<'PY'
import json, sys
work, dense = sys.argv[1], sys.argv[2] == "1"
for mode in ["--fast", "dense"] if dense else ["--fast"]:
    r = json.load(open(f"{work}/bench{mode}.json"))
    ref = "keyframe-only decode" if mode == "--fast" else "decode"
    for f in r["files"]:
        name = f["file"].rsplit("/", 1)[-1]
        m = ", ".join(f"{x}" for x in [f["verdict"]])
        d = f["decode_only_s"]
        print(f"{mode:7} {name:18} scan {f['scan']['total_s']:6.2f} s, {ref} {d:6.2f} s: "
              f"{f['scan']['total_s'] / d:5.2f} x; {m}")
PY
for f in with-excerpt without; do
    for mode in "${modes[@]}"; do
        echo "vfp scan $mode $f.mp4:"
        "$vfp" scan --catalog "$clips/catalog" -j 1 --no-progress $mode "$work/$f.mp4" || true
    done
done
