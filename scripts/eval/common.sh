# Sourced by the scripts/eval/*.sh scripts: finds the shared evaluation
# harness (../shared/eval; the project's own tests do not need it), builds
# the evaluation set if missing, and builds vfp. Sets root, harness, split,
# set_dir and vfp; exports VFP_EVAL_CACHE. Expects `name` (for messages).
# Env: VFP_EVAL_HARNESS (default ../shared/eval), VFP_EVAL_CACHE (default
# target/eval-cache), VFP_EVAL_SETS (default $VFP_EVAL_CACHE/sets), SPLIT
# (default dev), VFP_EVAL_BIN (a vfp binary to evaluate instead of building
# this checkout's, e.g. an older build for an A/B comparison).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
harness=${VFP_EVAL_HARNESS:-$root/../shared/eval}
[ -d "$harness" ] || { echo "$name: no harness at $harness (set VFP_EVAL_HARNESS)" >&2; exit 2; }
export VFP_EVAL_CACHE=${VFP_EVAL_CACHE:-$root/target/eval-cache}
split=${SPLIT:-dev}
set_dir=${VFP_EVAL_SETS:-$VFP_EVAL_CACHE/sets}/$split
[ -s "$set_dir/truth.csv" ] || bash "$harness/run_all.sh" "$split"
cd "$root"
VFP_BIN=${VFP_EVAL_BIN:-${VFP_BIN:-}} build_vfp

# Writes to $1 the corpus videos no catalog title of the set came from, one
# path a line (whole videos that show no title).
list_unrelated_videos() {
  mkdir -p "$(dirname "$1")"
  python3 - "$set_dir/set_info.json" "$VFP_EVAL_CACHE/raw" "$1" <<'PY'
import json, os, sys
info, raw, out = sys.argv[1:4]
titles = {t["source_name"] for t in json.load(open(info))["catalog"]}
videos = (".mp4", ".mkv", ".avi", ".ogv", ".webm", ".mov", ".mpg")
with open(out, "w") as o:
    for name in sorted(os.listdir(raw)):
        if name.endswith(videos) and name not in titles:
            o.write(os.path.join(raw, name) + "\n")
PY
}

# Records measured figures in docs/measured.json: "$record" KEY VALUE ...
record=$root/scripts/eval/record.py
