#!/usr/bin/env bash
# Many machines, on one: a 3-node NATS JetStream cluster on loopback ports
# (each stream and bucket kept on all three), 3 `vfp worker`s, FILES
# generated clips (default 240, 4 s each; half are leaked-style copies of
# the catalog's title, see scripts/dev/make-clips.sh). A third of the way
# through, one worker and one server node (the one leading the cluster's
# metadata) are killed with SIGKILL. Prints
# the results summary and checks that every file has exactly one result
# and the right verdict. Logs and results stay in target/demo-cluster/.
#   scripts/demo/cluster.sh [FILES]
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
files=${1:-240}
command -v nats-server >/dev/null || bash scripts/dev/install-deps.sh
bash scripts/dev/fetch-testdata.sh
build_vfp
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
out=$root/target/demo-cluster
clips=$out/clips-$files
mkdir -p "$out"
echo "== $files clips of 4 s -> $clips"
bash scripts/dev/make-clips.sh "$files" 4 "$clips"
if [ ! -s "$out/catalog/MANIFEST" ]; then
    rm -rf "$out/catalog"
    "$vfp" index build --catalog "$out/catalog" "$cache/Megamind.avi"
fi

work=$(mktemp -d)
at_exit 'rm -rf "$work"'

# Six free loopback ports: client and route port of each node.
read -r -a ports < <(free_ports 6)
client=("${ports[0]}" "${ports[1]}" "${ports[2]}")
route=("${ports[3]}" "${ports[4]}" "${ports[5]}")
routes="nats://127.0.0.1:${route[0]},nats://127.0.0.1:${route[1]},nats://127.0.0.1:${route[2]}"
server_pid=()
echo "== 3 nats-server nodes, cluster vfp-demo, client ports ${client[*]}"
for n in 0 1 2; do
    nats-server -a 127.0.0.1 -p "${client[$n]}" -n "node$n" --cluster_name vfp-demo \
        --cluster "nats://127.0.0.1:${route[$n]}" --routes "$routes" \
        -js -sd "$work/node$n" -l "$out/node$n.log" &
    server_pid+=("$!")
    kill_at_exit "$!"
done
url() { # the three servers, node $1 first
    local first=$1 list="" n
    for n in "$first" $(((first + 1) % 3)) $(((first + 2) % 3)); do
        list+="${list:+,}nats://127.0.0.1:${client[$n]}"
    done
    echo "$list"
}
# The cluster takes a few seconds to elect its JetStream leader.
echo "== vfp index publish (retried until the cluster's JetStream is up)"
for try in $(seq 1 60); do
    if "$vfp" index publish --catalog "$out/catalog" --nats "$(url 0)" --name demo 2>"$work/publish.err"; then
        break
    fi
    [ "$try" = 60 ] && { cat "$work/publish.err" >&2; exit 1; }
    sleep 0.5
done
cat "$work/publish.err" >&2

worker_pid=()
for w in 0 1 2; do
    "$vfp" worker --nats "$(url "$w")" --catalog demo --cache "$work/cache-w$w" -j 1 \
        --ack-wait 10 --name "w$w" 2>"$out/worker-w$w.log" &
    worker_pid+=("$!")
    kill_at_exit "$!"
done
for w in 0 1 2; do
    for _ in $(seq 1 100); do grep -q "ready in" "$out/worker-w$w.log" && break; sleep 0.1; done
done

echo "== vfp submit $files files"
started=$(date +%s.%N)
batch=$("$vfp" submit --nats "$(url 0)" "$clips"/*.mp4)
# A third of the way through: a worker and a server node die.
while :; do
    # (Status 3 until every file has a result.)
    done_now=$({ "$vfp" results --nats "$(url 0)" --batch "$batch" --format jsonl -q || true; } | wc -l)
    [ "$done_now" -ge $((files / 3)) ] && break
    sleep 0.5
done
# The server lost is the one leading the cluster's metadata, the hardest
# to lose (the cluster elects another before it can place new reads and
# consumers): the last to say so in its log. The worker connected to it
# moves to another; the one killed is the next.
leader=$(grep -H "Self is new JetStream cluster metadata leader" "$out"/node*.log |
    sort -t' ' -k2,3 | tail -1 | sed 's|.*/node\([0-9]\)\.log:.*|\1|')
[ -n "$leader" ] || leader=2
victim=$(((leader + 1) % 3))
echo "== $done_now results in: SIGKILL worker w$victim and server node$leader (the metadata leader)"
kill -9 "${worker_pid[$victim]}" "${server_pid[$leader]}"
wait "${worker_pid[$victim]}" "${server_pid[$leader]}" 2>/dev/null || true
echo "== vfp results --follow"
timeout 900 "$vfp" results --nats "$(url 0)" --batch "$batch" --follow --format jsonl \
    > "$out/results.jsonl" || true
ended=$(date +%s.%N)
survivors=()
for w in 0 1 2; do [ "$w" = "$victim" ] || survivors+=("$w"); done
for w in "${survivors[@]}"; do kill -TERM "${worker_pid[$w]}"; done
for w in "${survivors[@]}"; do wait "${worker_pid[$w]}" || true; done

echo "== checks"
python3 - "$out/results.jsonl" "$files" "$out" <<'EOF'
import json, os, re, sys
path, files, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
records = [json.loads(l) for l in open(path) if l.strip()]
by_file = {}
for r in records:
    by_file.setdefault(r["file"], []).append(r)
wrong = []
for f, rs in by_file.items():
    i = int(re.search(r"clip-(\d+)\.mp4$", f).group(1))
    want = "match" if i % 4 in (0, 2) else "no_match"
    if rs[0]["verdict"] != want:
        wrong.append((os.path.basename(f), rs[0]["verdict"], want))
workers = {}
for r in records:
    workers[r["worker"]] = workers.get(r["worker"], 0) + 1
redelivered = 0
for w in ("w0", "w1", "w2"):
    log = open(os.path.join(out, f"worker-{w}.log")).read()
    redelivered += len(re.findall(r"taken \(delivery [2-9]\)", log))
print(f"results: {len(records)} records for {len(by_file)} files of {files} submitted; "
      f"per worker {dict(sorted(workers.items()))}; {redelivered} jobs taken again after their worker died")
print(f"verdicts: {sum(r['verdict'] == 'match' for r in records)} match, "
      f"{sum(r['verdict'] == 'no_match' for r in records)} no match, "
      f"{sum(r['verdict'] == 'error' for r in records)} errors; wrong: {wrong[:5]}")
ok = len(records) == files and len(by_file) == files and not wrong
print("demo-cluster: every file has exactly one result, each right" if ok
      else "demo-cluster: FAILED")
sys.exit(0 if ok else 1)
EOF
awk -v s="$started" -v e="$ended" -v n="$files" \
    'BEGIN { printf "demo-cluster: %d files in %.1f s through the cluster, %.2f files/s\n", n, e - s, n / (e - s) }'
