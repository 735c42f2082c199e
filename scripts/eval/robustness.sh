#!/usr/bin/env bash
# Prints how far frame hashes move under each transform of the real test
# film (and how far unrelated frames are), for vfp's hash and for
# image_hasher's 256-bit DCT hash on the same crops: the table in docs/how-it-works.md.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
testdata
g=$generated c=$cache
args=("$g/ref.mp4" --fps "${FPS:-8}")
for t in crf-low-bitrate downscale-240p letterbox-16x9 letterbox-21x9 vertical-black vertical-blur \
         watermark-text brightness-contrast mirrored sideways; do
  args+=("$t=$g/$t.mp4")
done
args+=("unrelated=$c/vtest.avi" "unrelated=$c/phone.mp4")
cargo run --release --locked -q -p vfp-extractor --example robustness -- "${args[@]}"
