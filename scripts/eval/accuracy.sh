#!/usr/bin/env bash
# Accuracy on the shared evaluation harness (../shared/eval; the project's
# own tests do not need it): builds the dev set if missing, builds a
# catalog from its refs, scans its queries, converts the jsonl results to
# the harness's results CSV and prints the scores.
#   scripts/eval/accuracy.sh [extra vfp scan options, e.g. --radius 15]
# Env: VFP_EVAL_HARNESS (default ../shared/eval), VFP_EVAL_CACHE (default
# target/eval-cache), SPLIT (default dev), VFP_EVAL_NO_RECORD (set: the
# figures are not recorded in docs/measured.json).
set -euo pipefail
name=eval
source "$(dirname "$0")/common.sh"
work=$root/target/eval/$split
mkdir -p "$work"

# Titles: only the title_id and file columns of catalog.csv.
python3 - "$set_dir" "$work/titles.csv" <<'PY'
import csv, sys, os
set_dir, out = sys.argv[1], sys.argv[2]
with open(os.path.join(set_dir, "catalog.csv")) as f, open(out, "w", newline="") as o:
    w = csv.writer(o)
    for row in csv.DictReader(f):
        w.writerow([row["title_id"], os.path.join(set_dir, row["file"])])
PY
rm -rf "$work/catalog"
"$vfp" index build --catalog "$work/catalog" --manifest "$work/titles.csv"
start=$(date +%s)
status=0
"$vfp" scan --catalog "$work/catalog" --format jsonl -r "$set_dir/queries" "$@" > "$work/results.jsonl" || status=$?
[ "$status" -le 1 ] || echo "eval: some queries failed (exit $status); see $work/results.jsonl" >&2
echo "eval: scanned $(wc -l < "$work/results.jsonl") queries in $(( $(date +%s) - start )) s"

# jsonl -> query_id,title_id,score,title_start_s,query_start_s
python3 - "$work/results.jsonl" "$work/results.csv" <<'PY'
import csv, json, os, sys
src, out = sys.argv[1], sys.argv[2]
with open(src) as f, open(out, "w", newline="") as o:
    w = csv.writer(o)
    w.writerow(["query_id", "title_id", "score", "title_start_s", "query_start_s"])
    for line in f:
        r = json.loads(line)
        qid = os.path.splitext(os.path.basename(r["file"]))[0]
        if not r["matches"]:
            w.writerow([qid, "", "", "", ""])
        for m in r["matches"]:
            w.writerow([qid, m["title_id"], m["score"], m["title_start_s"], m["clip_start_s"]])
PY
python3 "$harness/score.py" --truth "$set_dir/truth.csv" --results "$work/results.csv" --json "$work/score.json"

# The figures the evidence page and the README quote, at the defaults: the
# negatives' claims, and the detected copies' scores.
if [ $# -eq 0 ] && [ -z "${VFP_EVAL_NO_RECORD:-}" ]; then
  python3 - "$set_dir/truth.csv" "$work/results.jsonl" "$record" "$split" <<'PY'
import csv, json, os, statistics, subprocess, sys
truth_csv, results, record, split = sys.argv[1:5]
truth = {row["query_id"]: row for row in csv.DictReader(open(truth_csv))}
positives = negatives = claims = 0
scores = []
for line in open(results):
    r = json.loads(line)
    qid = os.path.splitext(os.path.basename(r["file"]))[0]
    title = truth[qid]["title_id"]
    if title:
        positives += 1
        found = [m["score"] for m in r["matches"] if m["title_id"] == title]
        if found:
            scores.append(max(found))
    else:
        negatives += 1
        claims += bool(r["matches"])
key = f"{split}.accuracy"
by = "scripts/eval/accuracy.sh" if split == "dev" else f"SPLIT={split} scripts/eval/accuracy.sh"
args = [record, f"{key}.by", json.dumps(by), f"{key}.positives", str(positives),
        f"{key}.negatives", str(negatives), f"{key}.claims_on_negatives", str(claims),
        f"{key}.detected", str(len(scores))]
if scores:
    args += [f"{key}.score_min", f"{min(scores):.2f}", f"{key}.score_median",
             f"{statistics.median(scores):.2f}", f"{key}.score_max", f"{max(scores):.2f}"]
subprocess.run(args, check=True)
PY
fi
