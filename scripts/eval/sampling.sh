#!/usr/bin/env bash
# Prints how close a re-encoded copy's frames come to the nearest reference
# sample for reference rates of 1-8 samples/s: the measurement behind the
# default dense rate (docs/how-it-works.md, "Sampling rate").
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
testdata
g=$generated c=$cache
for crf in 16 30; do
  [ -s "$g/vtest-crf$crf.mp4" ] || ffmpeg -nostdin -v error -y -i "$c/vtest.avi" -c:v libx264 -crf "$crf" \
    -preset veryfast -pix_fmt yuv420p -an "$g/.tmp.mp4" && mv -f "$g/.tmp.mp4" "$g/vtest-crf$crf.mp4" 2>/dev/null || true
done
cargo run --release --locked -q -p vfp-extractor --example sampling_rate -- \
  "$g/ref.mp4" "$g/crf-low-bitrate.mp4" "$g/vtest-crf16.mp4" "$g/vtest-crf30.mp4"
