#!/usr/bin/env bash
# Extraction speed against FFmpeg's own decoder on the same file, same
# thread count, same run (the machines are noisy, so only ratios count):
#
#   dense      vfp extract (4 samples/s)  vs  ffmpeg -i F -f null -
#   keyframes  vfp extract --keyframes    vs  ffmpeg -skip_frame nokey -i F -f null -
#
# Inputs: vtest.avi (real, MS-MPEG4 768x576, 80 s) and a 1080p H.264 encode
# of it (made here once, git-ignored). Each timing is the best of $RUNS.
# Usage: scripts/bench/extract.sh [THREADS...]   (default: 1 and all cores)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
bash scripts/dev/install-deps.sh >/dev/null
bash scripts/dev/fetch-testdata.sh >/dev/null
build_vfp
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
gen=${VFP_TESTDATA_GENERATED:-$root/testdata/generated}
mkdir -p "$gen"
h264=$gen/bench-vtest-1080p.mp4
if [ ! -s "$h264" ]; then
  ffmpeg -nostdin -loglevel error -y -i "$cache/vtest.avi" -t 60 -vf scale=1920:1080,fps=25 \
    -c:v libx264 -preset medium -crf 23 -g 250 -pix_fmt yuv420p -an "$h264.tmp.mp4"
  mv "$h264.tmp.mp4" "$h264"
fi
RUNS=${RUNS:-3}
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 "$(nproc)")
out=$(mktemp -d); at_exit 'rm -rf "$out"'

# best_of CMD...: prints the fastest wall time in seconds over $RUNS runs.
best_of() {
  local best=""
  for _ in $(seq "$RUNS"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    best=$(python3 -c "import sys; t=$t1-$t0; b='$best'; print(min(t, float(b)) if b else t)")
  done
  echo "$best"
}

printf '%-26s %3s  %-9s %9s %9s %7s\n' file thr mode "ffmpeg s" "vfp s" "ratio"
for f in "$cache/vtest.avi" "$h264"; do
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
  for t in "${threads[@]}"; do
    ff_dense=$(best_of ffmpeg -nostdin -threads "$t" -an -i "$f" -f null -)
    vfp_dense=$(best_of "$vfp" extract --threads "$t" -o "$out" "$f")
    ff_key=$(best_of ffmpeg -nostdin -threads "$t" -skip_frame nokey -an -i "$f" -f null -)
    vfp_key=$(best_of "$vfp" extract --keyframes --threads "$t" -o "$out" "$f")
    for row in "dense $ff_dense $vfp_dense" "keyframes $ff_key $vfp_key"; do
      set -- $row
      python3 - "$(basename "$f")" "$t" "$1" "$2" "$3" "$dur" <<'PY'
import sys
name, t, mode, ff, vfp, dur = sys.argv[1:]
ff, vfp, dur = float(ff), float(vfp), float(dur)
print(f"{name:<26} {t:>3}  {mode:<9} {ff:9.3f} {vfp:9.3f} {ff / vfp:7.2f}   (vfp {dur / vfp:.0f}x realtime; ratio = ffmpeg time / vfp time, target >= 0.70)")
PY
    done
  done
done
