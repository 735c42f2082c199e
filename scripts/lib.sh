# shellcheck shell=bash
# What the scripts share; each sources it first:
#   source "$(dirname "$0")/../lib.sh"   (a script in a folder of scripts/)
#   source "$(dirname "$0")/lib.sh"      (scripts/test.sh, scripts/demo.sh)
# It sets `root` (the checkout; the working folder stays the caller's) and
# defines:
#   build_vfp            builds the release `vfp` (quietly) and sets `vfp` to it;
#                        VFP_BIN names another binary to use instead, unbuilt
#   free_ports N         prints N distinct free TCP ports on 127.0.0.1
#   at_exit COMMAND...   runs COMMAND when the script exits, however it exits
#                        (the last registered first); a script sets no EXIT trap
#                        of its own
#   kill_at_exit PID...  kills these processes at exit and waits for them
#   need DIR REMEDY FILE...  exits with a message if a file is missing from DIR
#   testdata             fetches the real test videos and makes the generated
#                        clips (quietly; both idempotent); sets `cache` and
#                        `generated` to their folders
# Scripts name themselves in messages by `name` (default: the file name).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=${name:-$(basename "$0" .sh)}

build_vfp() {
  if [ -n "${VFP_BIN:-}" ]; then
    vfp=$VFP_BIN
  else
    cargo build --release --locked -q -p vfp-cli
    vfp=$root/target/release/vfp
  fi
}

free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
# All bound at once, so the ports differ; closed on exit for the caller.
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

_at_exit=()
_run_at_exit() {
  local i
  for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
    eval "${_at_exit[i]}" || true
  done
}
trap _run_at_exit EXIT

at_exit() {
  _at_exit+=("$*")
}

kill_at_exit() {
  local pid
  for pid in "$@"; do
    at_exit "kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null"
  done
}

need() {
  local dir=$1 remedy=$2 f
  shift 2
  for f in "$@"; do
    [ -s "$dir/$f" ] || { echo "$name: $dir/$f missing; run $remedy" >&2; exit 1; }
  done
}

testdata() {
  bash "$root/scripts/dev/fetch-testdata.sh" >/dev/null
  bash "$root/scripts/dev/gen-testdata.sh" >/dev/null
  cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
  generated=${VFP_TESTDATA_GENERATED:-$root/testdata/generated}
}
