#!/usr/bin/env bash
# Accuracy on fresh sets of a split's kind, made with seeds nobody tuned on
# (../shared/eval/make_set.py --seed): builds each set once (kept in
# $VFP_EVAL_SETS/<split>-seed-<seed>), scores vfp on each with
# scripts/eval/accuracy.sh, and prints each set's precision, recall and
# claims on negatives, then the mean and the worst recall.
#   scripts/eval/seeds.sh SPLIT SEED... [-- extra vfp scan options]
# e.g. scripts/eval/seeds.sh social-dev s25a s25b s25c
#      scripts/eval/seeds.sh social-dev s25a s25b s25c -- --min-duration 0.5
# Env: as scripts/eval/accuracy.sh. Nothing is recorded in
# docs/measured.json: these sets are made on demand.
set -euo pipefail
name=eval-seeds
[ $# -ge 2 ] || { echo "usage: $0 SPLIT SEED... [-- vfp scan options]" >&2; exit 2; }
split=$1
shift
seeds=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  seeds+=("$1")
  shift
done
[ "${1:-}" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
harness=${VFP_EVAL_HARNESS:-$root/../shared/eval}
export VFP_EVAL_CACHE=${VFP_EVAL_CACHE:-$root/target/eval-cache}
sets=${VFP_EVAL_SETS:-$VFP_EVAL_CACHE/sets}
export VFP_EVAL_NO_RECORD=1
scores=()
for seed in "${seeds[@]}"; do
  set_name=$split-seed-$seed
  if [ ! -s "$sets/$set_name/truth.csv" ]; then
    bash "$harness/fetch_corpus.sh" >/dev/null
    python3 "$harness/make_set.py" --split "$split" --seed "$seed" --out "$sets/$set_name" --force
  fi
  SPLIT=$set_name bash "$here/accuracy.sh" "$@" > "$root/target/eval/$set_name.log" 2>&1 ||
    { cat "$root/target/eval/$set_name.log" >&2; exit 1; }
  scores+=("$set_name=$root/target/eval/$set_name/score.json")
done
python3 - "${scores[@]}" <<'PY'
import json, sys
recalls = []
for arg in sys.argv[1:]:
    name, path = arg.split("=", 1)
    d = json.load(open(path))["decision"]
    recalls.append(d["recall"])
    print(f"{name}: precision {d['precision']:.3f}, recall {d['recall']:.3f} ({d['tp']} found),"
          f" claims on negatives {d['fp_on_negatives']}, wrong title {d['wrong_title']}")
print(f"mean recall {sum(recalls) / len(recalls):.3f}, worst {min(recalls):.3f}, over {len(recalls)} sets")
PY
