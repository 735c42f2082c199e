#!/usr/bin/env bash
# The project's checks, as CI runs them (.ci/run calls this): installs
# the system packages, fetches and generates the test videos, then:
# format check, clippy with warnings denied, docs, all tests, each
# criterion benchmark run once in test mode (that it runs, not its
# speed), a short fuzz run of each parser of untrusted bytes
# (VFP_FUZZ_SECONDS per target, default 10), the reliability soak
# (VFP_SOAK_FILES, default 1000), the README's start to finish from a
# crawl to a notice (walkthrough.sh), a 3-node NATS JetStream cluster
# losing a worker and a server mid-run (demo/cluster.sh 60), the
# evidence page in headless Chromium (dev/check-evidence-page.sh), the
# check that a scan's memory does not grow with a file's length
# (bench/memory.sh --quick) and `vfp bench` on its built-in material,
# checked against a scan timed from outside (bench/scan.sh --quick); the
# scripts with the test build of `vfp`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
# Each phase says when it starts, so that a slow one shows (the whole
# should stay well under 30 minutes on a fresh 2-core machine).
started=$(date +%s)
phase() { echo "== $* (at $(( $(date +%s) - started )) s)"; }

bash scripts/dev/install-deps.sh
bash scripts/dev/fetch-testdata.sh
bash scripts/dev/gen-testdata.sh

phase "cargo fmt --check"
cargo fmt --all -- --check
phase "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p vfp-index --features fuzzing --locked -- -D warnings
phase "cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet
phase "cargo test"
cargo test --workspace --locked
# Criterion runs each benchmark once, unmeasured, when started by `cargo
# test`: the benches are checked to work in the debug build the tests
# already made, where `cargo bench --no-run` spent 5 minutes on a release
# build of them that nothing ran.
phase "criterion benches, once each in test mode"
cargo test -p vfp-benches --benches --locked
# The scripts below run the `vfp` the tests built (its picture code and
# hashing are optimized in test builds too: a scan takes 1.5 times the
# release build's time) instead of spending 5 minutes on a release build:
# they check behaviour, and the figures the docs quote come from release
# builds (scripts/bench/*.sh run alone build one).
export VFP_BIN=$root/target/debug/vfp
phase "fuzz"
bash scripts/dev/fuzz.sh "${VFP_FUZZ_SECONDS:-10}"
phase "soak"
bash scripts/dev/soak.sh "${VFP_SOAK_FILES:-1000}"
phase "walkthrough: the README's start to finish, from a crawl to a notice"
bash scripts/walkthrough.sh
phase "many machines: a 3-node NATS cluster losing a worker and a server mid-run"
bash scripts/demo/cluster.sh 60
phase "the evidence page in headless Chromium"
bash scripts/dev/check-evidence-page.sh
phase "memory of a long file in flight"
bash scripts/bench/memory.sh --quick
phase "vfp bench, against a timed scan"
bash scripts/bench/scan.sh --quick
echo "test.sh: all checks passed in $(( $(date +%s) - started )) s"
