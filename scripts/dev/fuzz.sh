#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted bytes (`.vfp`
# files, catalog segments, a catalog's MANIFEST, titles CSVs, the queue's
# job and result records, the allow-list's URLs and --ledger locations)
# with cargo-fuzz (libFuzzer), seeded from the committed format fixtures
# and a few records.
#   scripts/dev/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default 30, all six)
# A crash, a hang or a leak fails the run and leaves the input in
# fuzz/artifacts/TARGET/; reproduce it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and make it a regression test. cargo-fuzz needs a nightly compiler's
# flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(vfp_file segment catalog_manifest titles_csv queue_records ledger_inputs)

if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
export RUSTC_BOOTSTRAP=1

# Seeds: every committed fixture of each format (the corpus folder is
# not committed; what the fuzzer adds to it stays between local runs).
corpus=fuzz/corpus
mkdir -p "$corpus"/{vfp_file,segment,catalog_manifest,titles_csv,queue_records,ledger_inputs}
cp testdata/format/*.vfp "$corpus/vfp_file/"
for cat in testdata/format/catalog-manifest-*; do
    v=${cat##*-}
    for seg in "$cat"/seg-*.vfps; do cp "$seg" "$corpus/segment/$v-$(basename "$seg")"; done
    # The manifest target takes a whole MANIFEST and, sealed, a body.
    cp "$cat/MANIFEST" "$corpus/catalog_manifest/$v-MANIFEST"
    tail -n +2 "$cat/MANIFEST" > "$corpus/catalog_manifest/$v-body"
done
printf 'id,path,name,labels\nep1,ep1.mp4,Episode 1,"season 1;dub"\n"#2-pilot",pilot.mkv\n# a comment\nep3,/abs/ep3.webm\n' \
    > "$corpus/titles_csv/seed.csv"
sha=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf '{"id":"b1-0-%s","path":"/crawl/a.mp4","batch":"b1","submitted_unix_ms":1,"upload":{"object":"sha256-%s","sha256":"%s","bytes":9}}' \
    "${sha:0:32}" "$sha" "$sha" > "$corpus/queue_records/job.json"
printf '{"file":"/crawl/a.mp4","sha256":null,"duration_s":null,"verdict":"no_match","error":null,"matches":[],"job_id":"b1-0-%s","batch":"b1","worker":"w","catalog_version":null}' \
    "${sha:0:32}" > "$corpus/queue_records/result.json"
printf 'https://video.example/@studio\nhttps://video.example/@studio/v/1?t=3' > "$corpus/ledger_inputs/prefix"
printf 'host=db port=5432 user=vfp password=s3cret dbname=ledger' > "$corpus/ledger_inputs/key-value"
printf 'postgres://vfp:s3cret@db:5432/ledger?password=x&sslmode=require' > "$corpus/ledger_inputs/url"

# Without AddressSanitizer: the targets are safe Rust (a prefetch hint
# aside), whose failures (panics, hangs, memory blow-ups) libFuzzer
# catches without it, and with it the build of the queue's and the
# ledger's dependencies took 5 minutes instead of 3.
cargo fuzz build --fuzz-dir fuzz -O --sanitizer none
for target in "${targets[@]}"; do
    echo "== fuzz $target for ${seconds}s"
    cargo fuzz run --fuzz-dir fuzz -O --sanitizer none "$target" "$corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        -print_final_stats=1 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|==|SUMMARY|.*(ERROR|panicked))' || true
    # libFuzzer leaves a crash-, timeout-, leak- or oom- file on failure.
    if compgen -G "fuzz/artifacts/$target/*" > /dev/null; then
        echo "fuzz.sh: $target failed; inputs in fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
echo "fuzz.sh: no failure in ${#targets[@]} target(s) × ${seconds}s"
