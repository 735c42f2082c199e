#!/usr/bin/env bash
# A throwaway nats-server with JetStream on 127.0.0.1 at a free port, its
# store in a temporary folder removed when it stops: to try the
# many-machines commands on one machine. Prints its URL (and, with
# --env, `export VFP_NATS=...` to eval); runs until Ctrl-C or SIGTERM.
# The tests start the same server from Rust (vfp_fleet::local_server).
#   scripts/dev/local-nats.sh [--env]
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
command -v nats-server >/dev/null || bash "$root/scripts/dev/install-deps.sh"
store=$(mktemp -d)
at_exit 'rm -rf "$store"'
trap 'exit 0' INT TERM
port=$(free_ports 1)
nats-server -a 127.0.0.1 -p "$port" -js -sd "$store/js" -l "$store/server.log" &
server=$!
kill_at_exit "$server"
for _ in $(seq 1 100); do
    grep -q "Server is ready" "$store/server.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$store/server.log" >&2; exit 1; }
    sleep 0.1
done
if [ "${1:-}" = --env ]; then
    echo "export VFP_NATS=nats://127.0.0.1:$port"
else
    echo "nats://127.0.0.1:$port"
fi
echo "local-nats: JetStream on nats://127.0.0.1:$port, store $store; Ctrl-C stops it and removes the store" >&2
wait "$server"
