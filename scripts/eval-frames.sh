#!/usr/bin/env bash
# Per-frame hash distances on the shared evaluation harness's dev set
# (../shared/eval, not needed by the project's own tests): per transform,
# how far a query frame is from the catalog title's frame at the true time,
# and how near negative query frames, and the corpus videos no title came
# from (whole), come to any catalog frame.
#   scripts/eval-frames.sh [QUERY_FPS]   (default 30: queries sampled densely)
set -euo pipefail
name=eval-frames
source "$(dirname "$0")/eval-common.sh"
negatives=$root/target/eval/non-catalog-videos.txt
mkdir -p "$(dirname "$negatives")"
python3 - "$set_dir/set_info.json" "$VFP_EVAL_CACHE/raw" "$negatives" <<'PY'
import json, os, sys
info, raw, out = sys.argv[1:4]
titles = {t["source_name"] for t in json.load(open(info))["catalog"]}
videos = (".mp4", ".mkv", ".avi", ".ogv", ".webm", ".mov", ".mpg")
with open(out, "w") as o:
    for name in sorted(os.listdir(raw)):
        if name.endswith(videos) and name not in titles:
            o.write(os.path.join(raw, name) + "\n")
PY
cargo run --release -q -p vfp-extractor --example eval_frames -- "$set_dir" "${1:-30}" "$negatives"
