#!/usr/bin/env bash
# Per-frame hash distances on the shared evaluation harness's dev set
# (../shared/eval, not needed by the project's own tests): per transform,
# how far a query frame is from the catalog title's frame at the true time,
# and how near negative query frames, and the corpus videos no title came
# from (whole), come to any catalog frame.
#   scripts/eval/frames.sh [QUERY_FPS]   (default 30: queries sampled densely)
set -euo pipefail
name=eval-frames
source "$(dirname "$0")/common.sh"
negatives=$root/target/eval/non-catalog-videos.txt
list_unrelated_videos "$negatives"
out=$root/target/eval/$split-frames.txt
cargo run --release --locked -q -p vfp-extractor --example eval_frames -- "$set_dir" "${1:-30}" "$negatives" \
  | tee "$out"
# The margin the evidence page quotes, measured at the default sampling.
if [ $# -eq 0 ]; then
  python3 - "$out" "$record" "$split" <<'PY'
import re, subprocess, sys
text = open(sys.argv[1]).read()
lowest = re.search(r"negative frames' nearest catalog distance, lowest: \[(\d+)", text)
videos = re.search(r"listed videos' nearest catalog distance, lowest: \[(\d+)", text)
pairs = re.search(r"unrelated \(moment, catalog frame\) pairs: (\d+)", text)
if lowest and videos and pairs:
    by = "scripts/eval/frames.sh" if sys.argv[3] == "dev" else f"SPLIT={sys.argv[3]} scripts/eval/frames.sh"
    key = f"{sys.argv[3]}.frames"
    subprocess.run([sys.argv[2], f"{key}.nearest_negative_bits", lowest.group(1),
                    f"{key}.nearest_unrelated_video_bits", videos.group(1),
                    f"{key}.unrelated_pairs_millions", str(round(int(pairs.group(1)) / 1e6)),
                    f"{key}.by", f'"{by}"'], check=True)
PY
fi
