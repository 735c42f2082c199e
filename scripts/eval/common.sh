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
# path a line (whole videos that show no title): neither a title's source
# nor a near-duplicate of one (the corpus manifest's dup_of, both ways:
# Megamind_bugy.avi is Megamind.avi).
list_unrelated_videos() {
  mkdir -p "$(dirname "$1")"
  python3 - "$set_dir/set_info.json" "$VFP_EVAL_CACHE/raw" "$1" <<'PY'
import csv, json, os, sys
info, raw, out = sys.argv[1:4]
titles = {t["source_name"] for t in json.load(open(info))["catalog"]}
dup_of = {}
manifest = os.path.join(raw, "manifest.csv")
if os.path.exists(manifest):
    dup_of = {r["name"]: r["dup_of"] for r in csv.DictReader(open(manifest)) if r.get("dup_of")}
shown = titles | {n for n, d in dup_of.items() if d in titles} | {dup_of[t] for t in titles if t in dup_of}
videos = (".mp4", ".mkv", ".avi", ".ogv", ".webm", ".mov", ".mpg")
with open(out, "w") as o:
    for name in sorted(os.listdir(raw)):
        if name.endswith(videos) and name not in shown:
            o.write(os.path.join(raw, name) + "\n")
PY
}

# Records measured figures in docs/measured.json: "$record" KEY VALUE ...
record=$root/scripts/eval/record.py
