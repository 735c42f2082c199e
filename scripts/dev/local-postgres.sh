#!/usr/bin/env bash
# A throwaway PostgreSQL server for trying `--ledger postgres://...`: a new
# cluster in a temporary folder (initdb; as the `postgres` user when run as
# root, since PostgreSQL refuses root), on 127.0.0.1 at a free port, trust
# authentication for the user `vfp`; prints its URL and runs until Ctrl-C
# or SIGTERM, then stops and removes it. The tests start the same from
# Rust (vfp_ledger::local_postgres).
#   scripts/dev/local-postgres.sh
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
    bash "$root/scripts/dev/install-deps.sh"
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
dir=$(mktemp -d)
as=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$dir"
    as=(runuser -u postgres --)
fi
server=
stop() {
    if [ -n "$server" ]; then
        # pg_ctl: as root the child is runuser, which does not pass a kill on.
        "${as[@]}" "$bin/pg_ctl" stop -D "$dir/data" -m fast -w >/dev/null 2>&1 || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
at_exit stop
trap 'exit 0' INT TERM
"${as[@]}" "$bin/initdb" -D "$dir/data" -U vfp --auth=trust --no-sync -E UTF8 >/dev/null
port=$(free_ports 1)
"${as[@]}" "$bin/postgres" -D "$dir/data" -h 127.0.0.1 -p "$port" -k "$dir" 2>"$dir/server.log" &
server=$!
for _ in $(seq 1 100); do
    "$bin/pg_isready" -h 127.0.0.1 -p "$port" -U vfp -q && break
    sleep 0.1
done
echo "postgres://vfp@127.0.0.1:$port/postgres"
echo "local-postgres: PostgreSQL on 127.0.0.1:$port, cluster $dir; Ctrl-C stops it and removes it" >&2
wait "$server"
