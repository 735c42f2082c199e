#!/usr/bin/env bash
# `--fast` on long files, measured by `vfp bench`: two 5.5-minute 1080p
# H.264 files joined (without re-encoding) from vfp bench's built-in clips,
# one holding a 30 s excerpt of a built-in title in its middle, one not;
# each scanned with --fast (against keyframe-only decoding) and densely
# (against decoding every frame), against the built-in catalog.
#   scripts/bench-fast.sh        (files kept in target/bench-fast/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --locked -q -p vfp-cli
vfp=$root/target/release/vfp
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
other=$clips/other-1080p.mp4
join "$work/with-excerpt.mp4" "$other" "$other" "$other" "$other" "$other" "$clips/copy-1080p.mp4" \
    "$other" "$other" "$other" "$other" "$other"
join "$work/without.mp4" "$other" "$other" "$other" "$other" "$other" "$other" \
    "$other" "$other" "$other" "$other" "$other"
for mode in --fast ""; do
    "$vfp" bench --catalog "$clips/catalog" $mode --format json -q \
        "$work/with-excerpt.mp4" "$work/without.mp4" > "$work/bench${mode:-dense}.json"
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for mode in ["--fast", "dense"]:
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
    for mode in --fast ""; do
        echo "vfp scan $mode $f.mp4:"
        "$vfp" scan --catalog "$clips/catalog" -j 1 -q $mode "$work/$f.mp4" || true
    done
done
