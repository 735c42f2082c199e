#!/usr/bin/env bash
# The project's checks, as CI runs them (.ci/run calls this): installs the
# system packages, fetches and generates the test videos, then format
# check, clippy with warnings denied, docs, all tests, benches compiled,
# a short fuzz run of each parser of untrusted bytes (VFP_FUZZ_SECONDS per
# target, default 30), the reliability soak (VFP_SOAK_FILES, default
# 1000), a 3-node NATS JetStream cluster losing a worker and a server
# mid-run (demo/cluster.sh 60), the evidence page in headless Chromium
# (dev/check-evidence-page.sh), the check that a scan's memory does not grow with a file's
# length (bench/memory.sh --quick) and `vfp bench` on its built-in material,
# checked against a scan timed from outside (bench/scan.sh --quick).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

bash scripts/dev/install-deps.sh
bash scripts/dev/fetch-testdata.sh
bash scripts/dev/gen-testdata.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p vfp-index --features fuzzing --locked -- -D warnings
echo "== cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
echo "== cargo test"
cargo test --workspace --locked
echo "== cargo bench --no-run"
cargo bench --workspace --no-run --locked --quiet
echo "== fuzz"
bash scripts/dev/fuzz.sh "${VFP_FUZZ_SECONDS:-30}"
echo "== soak"
bash scripts/dev/soak.sh "${VFP_SOAK_FILES:-1000}"
echo "== many machines: a 3-node NATS cluster losing a worker and a server mid-run"
bash scripts/demo/cluster.sh 60
echo "== the evidence page in headless Chromium"
bash scripts/dev/check-evidence-page.sh
echo "== memory of a long file in flight"
bash scripts/bench/memory.sh --quick
echo "== vfp bench, against a timed scan"
bash scripts/bench/scan.sh --quick
echo "test.sh: all checks passed"
