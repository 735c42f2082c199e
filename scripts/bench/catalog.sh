#!/usr/bin/env bash
# Memory and time of building and growing a large catalog: `vfp index
# build` of the first batch of synthetic one-hour titles (.vfp files made
# by the index crate's `synthetic_titles` example), then `vfp index add` of
# each further batch, each timed by GNU time: peak RSS, wall time, frames
# a second, and the catalog's segments after it.
#   scripts/bench/catalog.sh FRAMES [BATCHES] [DIR]
#     FRAMES in all (k, M suffixes), in BATCHES equal batches (default 1:
#     one build); DIR (default: a temporary folder, removed) holds the
#     catalog and, one batch at a time, its titles (~140 bytes a frame).
# Example: scripts/bench/catalog.sh 100M 10 /var/tmp/vfp-catalog
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
[ $# -ge 1 ] || { echo "usage: $0 FRAMES [BATCHES] [DIR]" >&2; exit 2; }
frames=$(python3 -c 'import sys; s=sys.argv[1]; m={"k":10**3,"M":10**6,"G":10**9}; print(int(float(s[:-1])*m[s[-1]]) if s[-1] in m else int(s))' "$1")
batches=${2:-1}
build_vfp
cargo build --release --locked -q -p vfp-index --example synthetic_titles
make_titles=$root/target/release/examples/synthetic_titles
if [ -n "${3:-}" ]; then
  work=$3
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/vfp-catalog.XXXXXX")
  at_exit 'rm -rf "$work"'
fi
catalog=$work/catalog
rm -rf "$catalog"
per_batch=$((frames / batches))
# Titles are numbered on from one batch to the next (one hour each).
per_title=14400
printf '%-6s %-6s %14s %12s %10s %12s %9s %10s\n' step batch "catalog frames" "peak RSS MB" "wall s" "frames/s" segments "GB on disk"
first=0
total=0
for ((b = 1; b <= batches; b++)); do
  titles=$work/batch-$b
  "$make_titles" "$per_batch" "$titles" "$first" > /dev/null
  if [ "$b" = 1 ]; then step=build; else step=add; fi
  /usr/bin/time -f "%M %e" -o "$work/time" \
    "$vfp" index "$step" --catalog "$catalog" --manifest "$titles/titles.csv" 2> "$work/log" \
    || { cat "$work/log" >&2; exit 1; }
  rm -rf "$titles"
  total=$((total + per_batch))
  first=$((first + (per_batch + per_title - 1) / per_title))
  read -r kb secs < <(tail -1 "$work/time")
  segments=$(ls "$catalog" | grep -c '^seg-.*\.vfps$')
  gb=$(du -sb "$catalog" | awk '{printf "%.2f", $1 / 1e9}')
  printf '%-6s %-6s %14s %12s %10s %12s %9s %10s\n' "$step" "$b/$batches" "$total" $((kb / 1024)) "$secs" \
    "$(awk -v n="$per_batch" -v s="$secs" 'BEGIN {printf "%.0f", n / (s > 0 ? s : 0.01)}')" "$segments" "$gb"
done
