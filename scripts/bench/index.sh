#!/usr/bin/env bash
# Catalog speed and size at scale: builds a synthetic catalog of FRAMES
# frames (default 10 million; random shots with drifting frames) and prints
# the build rate, bytes per frame, the search structure's size, the open
# time, and per radius the queries per second on one core with recall
# against an exact scan (the scan's own rate is the baseline).
#   scripts/bench/index.sh [FRAMES] [DIR]     (needs ~3 GB RAM and ~1 GB in DIR at 10M)
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
cargo run --release --locked -q -p vfp-index --example bench_scale -- "${1:-10000000}" "${2:-${TMPDIR:-/tmp}}"
