# Sourced by the scripts/eval*.sh scripts: finds the shared evaluation
# harness (../shared/eval; the project's own tests do not need it), builds
# the evaluation set if missing, and builds vfp. Sets root, harness, split,
# set_dir and vfp; exports VFP_EVAL_CACHE. Expects `name` (for messages).
# Env: VFP_EVAL_HARNESS (default ../shared/eval), VFP_EVAL_CACHE (default
# target/eval-cache), VFP_EVAL_SETS (default $VFP_EVAL_CACHE/sets), SPLIT
# (default dev), VFP_EVAL_BIN (a vfp binary to evaluate instead of building
# this checkout's, e.g. an older build for an A/B comparison).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness=${VFP_EVAL_HARNESS:-$root/../shared/eval}
[ -d "$harness" ] || { echo "$name: no harness at $harness (set VFP_EVAL_HARNESS)" >&2; exit 2; }
export VFP_EVAL_CACHE=${VFP_EVAL_CACHE:-$root/target/eval-cache}
split=${SPLIT:-dev}
set_dir=${VFP_EVAL_SETS:-$VFP_EVAL_CACHE/sets}/$split
[ -s "$set_dir/truth.csv" ] || bash "$harness/run_all.sh" "$split"
cd "$root"
if [ -n "${VFP_EVAL_BIN:-}" ]; then
  vfp=$VFP_EVAL_BIN
else
  cargo build --release --locked -q -p vfp-cli
  vfp=$root/target/release/vfp
fi
