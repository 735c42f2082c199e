#!/usr/bin/env bash
# Throughput through the job queue against a local scan of the same files:
# FILES clips of SECONDS each (default 120 of 10 s; scripts/dev/make-clips.sh)
# against a catalog of the two test videos, ROUNDS rounds (default 3), each
# timing in turn
#   local     vfp scan -j CORES, the whole process;
#   1 worker  vfp worker -j CORES (started and its catalog fetched
#             beforehand): from vfp submit to vfp results --follow seeing
#             the last result;
#   2 workers two vfp worker -j CORES/2, timed the same way;
# against a throwaway nats-server on a loopback port. Prints the medians,
# each fleet run's ratio to the local scan of its round, and the queue's
# cost per file. Clips and results stay in target/bench-fleet/.
#   scripts/bench/fleet.sh [FILES] [SECONDS] [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
files=${1:-120}
seconds=${2:-10}
rounds=${3:-3}
command -v nats-server >/dev/null || bash scripts/dev/install-deps.sh
bash scripts/dev/fetch-testdata.sh >/dev/null
build_vfp
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
out=$root/target/bench-fleet
clips=$out/clips-$files-${seconds}s
mkdir -p "$out"
bash scripts/dev/make-clips.sh "$files" "$seconds" "$clips"
if [ ! -s "$out/catalog/MANIFEST" ]; then
    rm -rf "$out/catalog"
    "$vfp" index build --catalog "$out/catalog" "$cache/Megamind.avi" "$cache/vtest.avi" 2>/dev/null
fi
cores=$(nproc)
half=$(( cores / 2 > 0 ? cores / 2 : 1 ))

work=$(mktemp -d)
at_exit 'rm -rf "$work"'
port=$(free_ports 1)
nats-server -a 127.0.0.1 -p "$port" -js -sd "$work/store" -l "$work/server.log" &
kill_at_exit "$!"
url=nats://127.0.0.1:$port
for _ in $(seq 1 100); do
    "$vfp" index publish --catalog "$out/catalog" --nats "$url" --name bench 2>/dev/null && break
    sleep 0.1
done

now() { date +%s.%N; }

# Starts N workers with -j J, waits for their catalogs; their pids in $workers.
start_workers() {
    local n=$1 j=$2 w
    workers=()
    for w in $(seq 1 "$n"); do
        "$vfp" worker --nats "$url" --catalog bench --cache "$work/cache" -j "$j" -q \
            --name "w$w" 2>"$work/worker-$w.log" &
        workers+=("$!")
        kill_at_exit "$!"
    done
    for w in $(seq 1 "$n"); do
        for _ in $(seq 1 200); do grep -q "ready in" "$work/worker-$w.log" && break; sleep 0.05; done
    done
}

stop_workers() {
    local pid
    for pid in "${workers[@]}"; do kill -TERM "$pid"; done
    for pid in "${workers[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# Seconds from submit to the last result, with N workers of -j J.
fleet_run() {
    start_workers "$1" "$2"
    local t0 t1 batch
    t0=$(now)
    batch=$("$vfp" submit --nats "$url" "$clips"/*.mp4 2>/dev/null)
    "$vfp" results --nats "$url" --batch "$batch" --follow --format jsonl -q \
        > "$out/results-$1w.jsonl" || true
    t1=$(now)
    stop_workers
    [ "$(wc -l < "$out/results-$1w.jsonl")" -eq "$files" ] || { echo "bench-fleet: results missing" >&2; exit 1; }
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

local_run() {
    local t0 t1
    t0=$(now)
    "$vfp" scan --catalog "$out/catalog" -j "$cores" --no-progress --format jsonl "$clips"/*.mp4 \
        > "$out/results-local.jsonl" || true
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

echo "bench-fleet: $files clips of $seconds s, $cores cores, $rounds rounds (local, 1 worker, 2 workers; order rotated)"
: > "$out/times.tsv"
for r in $(seq 1 "$rounds"); do
    declare -A t=()
    case $((r % 3)) in
        1) order="local one two" ;;
        2) order="one two local" ;;
        0) order="two local one" ;;
    esac
    for what in $order; do
        case $what in
            local) t[local]=$(local_run) ;;
            one) t[one]=$(fleet_run 1 "$cores") ;;
            two) t[two]=$(fleet_run 2 "$half") ;;
        esac
    done
    printf '%s\t%s\t%s\n' "${t[local]}" "${t[one]}" "${t[two]}" | tee -a "$out/times.tsv" \
        | awk -F'\t' -v r="$r" '{ printf "  round %d: local %.2f s, 1 worker %.2f s, 2 workers %.2f s\n", r, $1, $2, $3 }'
    unset t
done
python3 - "$out/times.tsv" "$files" "$seconds" <<'PY'
import statistics, sys
rows = [list(map(float, l.split("\t"))) for l in open(sys.argv[1]) if l.strip()]
files, seconds = int(sys.argv[2]), float(sys.argv[3])
med = lambda xs: statistics.median(xs)
local = med([r[0] for r in rows])
for i, name in ((1, "1 worker"), (2, "2 workers")):
    ratio = med([r[i] / r[0] for r in rows])
    per_file_ms = med([(r[i] - r[0]) / files * 1000 for r in rows])
    print(f"bench-fleet: {name}: {med([r[i] for r in rows]):.2f} s vs local {local:.2f} s: "
          f"ratio {ratio:.3f} (median of per-round ratios), {per_file_ms:+.1f} ms per file, "
          f"{files / med([r[i] for r in rows]):.2f} files/s, {files * seconds / med([r[i] for r in rows]):.0f} s of video a second")
print(f"bench-fleet: local scan: {files / local:.2f} files/s, {files * seconds / local:.0f} s of video a second")
PY
