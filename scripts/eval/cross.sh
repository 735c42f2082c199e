#!/usr/bin/env bash
# More negatives from the shared evaluation harness's dev set (../shared/eval;
# the project's own tests do not need it): the catalog titles are split in
# two halves; each half's catalog scans the other half's title videos
# (whole) and every query made from them (transformed copies). None of them
# is in that catalog, so every claim is a false positive; they are real,
# transformed footage of the same kind as the catalog's.
# Then the corpus videos no title came from, whole, against a catalog of
# every title. At the defaults it records the counts in docs/measured.json.
#   scripts/eval/cross.sh [extra vfp scan options, e.g. --radius 47]
# Env: as scripts/eval/accuracy.sh.
set -euo pipefail
name=eval-cross
source "$(dirname "$0")/common.sh"
work=$root/target/eval/$split-cross
rm -rf "$work"
mkdir -p "$work"
python3 - "$set_dir" "$work" <<'PY'
import csv, os, sys
set_dir, work = sys.argv[1:3]
titles = list(csv.DictReader(open(os.path.join(set_dir, "catalog.csv"))))
truth = list(csv.DictReader(open(os.path.join(set_dir, "truth.csv"))))
for half in (0, 1):
    others = {t["title_id"] for i, t in enumerate(titles) if i % 2 != half}
    with open(os.path.join(work, f"titles{half}.csv"), "w", newline="") as o:
        w = csv.writer(o)
        for i, t in enumerate(titles):
            if i % 2 == half:
                w.writerow([t["title_id"], os.path.join(set_dir, t["file"])])
    with open(os.path.join(work, f"negatives{half}.txt"), "w") as o:
        for t in titles:
            if t["title_id"] in others:
                o.write(os.path.join(set_dir, t["file"]) + "\n")
        for q in truth:
            if q["title_id"] in others:
                o.write(os.path.join(set_dir, q["query_file"]) + "\n")
PY
files=0 claims=0
for half in 0 1; do
  "$vfp" index build --catalog "$work/catalog$half" --manifest "$work/titles$half.csv" >/dev/null
  status=0
  "$vfp" scan --catalog "$work/catalog$half" --format jsonl "$@" - < "$work/negatives$half.txt" \
    > "$work/results$half.jsonl" || status=$?
  [ "$status" -le 1 ] || echo "eval-cross: some files failed (exit $status); see $work/results$half.jsonl" >&2
  files=$((files + $(wc -l < "$work/results$half.jsonl")))
  claims=$((claims + $(grep -c '"verdict":"match"' "$work/results$half.jsonl" || true)))
done
echo "eval-cross: $files files of titles outside the catalog (whole titles and their transformed queries), $claims with a claim (false positives)"

# The corpus videos no title came from, whole, against the catalog of every
# title.
python3 - "$set_dir" "$work/titles-all.csv" <<'PY'
import csv, os, sys
set_dir, out = sys.argv[1:3]
with open(os.path.join(set_dir, "catalog.csv")) as f, open(out, "w", newline="") as o:
    w = csv.writer(o)
    for row in csv.DictReader(f):
        w.writerow([row["title_id"], os.path.join(set_dir, row["file"])])
PY
list_unrelated_videos "$work/unrelated.txt"
"$vfp" index build --catalog "$work/catalog-all" --manifest "$work/titles-all.csv" >/dev/null
status=0
"$vfp" scan --catalog "$work/catalog-all" --format jsonl "$@" - < "$work/unrelated.txt" \
  > "$work/unrelated.jsonl" || status=$?
[ "$status" -le 1 ] || echo "eval-cross: some files failed (exit $status); see $work/unrelated.jsonl" >&2
videos=$(wc -l < "$work/unrelated.jsonl")
video_claims=$(grep -c '"verdict":"match"' "$work/unrelated.jsonl" || true)
echo "eval-cross: $videos unrelated corpus videos (whole) against every title, $video_claims with a claim (false positives)"
if [ $# -eq 0 ]; then
  by="scripts/eval/cross.sh"
  [ "$split" = dev ] || by="SPLIT=$split $by"
  "$record" "$split.cross.by" "\"$by\"" "$split.cross.files" "$files" "$split.cross.claims" "$claims" \
    "$split.cross.unrelated_videos" "$videos" "$split.cross.unrelated_video_claims" "$video_claims"
fi
