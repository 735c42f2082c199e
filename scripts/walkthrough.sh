#!/usr/bin/env bash
# The README's "start to finish", run and checked on real video: a
# catalog with owners and a public trailer range; a crawl folder as
# crawlers leave it (copies named by hash, .bin, a .part cut short,
# thumbnails, notes, an empty file, a hidden file) with the crawler's
# manifest; a scan; the batch page of its hits; a verify with its
# bundle; ledger decisions; a notice draft; the notice sent; a second
# scan in which every settled copy reads as settled and the trailer copy
# as allowed. Each output is checked; the
# first that is wrong stops the script with what was expected.
#   scripts/walkthrough.sh
# Env: VFP_BIN (default: target/release/vfp, built first).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"
build_vfp
testdata
work=$(mktemp -d "${TMPDIR:-/tmp}/vfp-walkthrough.XXXXXX")
at_exit '[ -n "${WALKTHROUGH_KEEP:-}" ] || rm -rf "$work"'
cd "$work"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
step() { echo "walkthrough: $*"; }
fail() { echo "walkthrough: FAIL: $*" >&2; exit 1; }
# expect FILE TEXT: FILE holds TEXT.
expect() { grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$1 does not say: $2"; }; }
# status WANTED COMMAND...: runs it, output in out.txt / err.txt.
status() {
    local want=$1 got=0
    shift
    "$@" >out.txt 2>err.txt || got=$?
    [ "$got" -eq "$want" ] || { cat err.txt out.txt >&2; fail "$* exited $got, expected $want"; }
}

step "1. the catalog: two real films with their owner, asset id and release date"
mkdir -p vault
cp "$cache/Megamind.avi" "$cache/vtest.avi" vault/
cat > titles.csv <<EOF
id,path,name,owner,asset_id,release_date
megamind,vault/Megamind.avi,Megamind,Example Studios,EX-0001,2099-03-01
vtest,vault/vtest.avi,Street,Example Studios,EX-0002,
EOF
# With a small still of each title at each stored moment, for pages made
# away from the vault.
status 0 "$vfp" index build -c catalog --manifest titles.csv --stills
expect err.txt "stills of 2 titles kept"
status 0 "$vfp" index list -c catalog
expect out.txt "Example Studios"
# Its first 3 s were released as a trailer.
status 0 "$vfp" index exclude -c catalog megamind 0-3 --reason trailer
status 0 "$vfp" review init --ledger reviews.sqlite

step "2. a crawl folder as crawlers leave it, and the crawler's manifest"
mkdir -p crawl/.tmp
ff -ss 4 -t 5 -i "$cache/Megamind.avi" -vf scale=480:-2 -c:v libx264 -crf 30 -an -f mp4 crawl/97a81f0c2d
ff -ss 10 -t 6 -i "$cache/vtest.avi" -vf hflip,scale=320:-2 -c:v libx264 -crf 28 -an -f matroska crawl/street.bin
ff -t 2.5 -i "$cache/Megamind.avi" -c:v libx264 -crf 28 -an -f mp4 crawl/trailer-copy.mp4
# A download cut short: an MP4 (its index at the front) stopped at 60 %.
ff -ss 2 -t 6 -i "$cache/Megamind.avi" -c:v libx264 -crf 28 -an -movflags +faststart -f mp4 full.mp4
head -c $(( $(stat -c %s full.mp4) * 6 / 10 )) full.mp4 > crawl/c0ffee.mp4.part
ff -i "$cache/phone.mp4" -frames:v 1 -f image2 crawl/thumb.jpg
echo "crawled 2026-12-07" > crawl/notes.txt
: > crawl/failed-download.mp4
cp crawl/97a81f0c2d crawl/.tmp/partial-rsync
cat > crawl/manifest.jsonl <<'EOF'
{"path":"97a81f0c2d","source_url":"https://video.example/@leaker/v/1","found_at":"2026-12-07T01:00:00Z"}
{"path":"street.bin","source_url":"https://video.example/@someone/v/2","found_at":"2026-12-07T01:02:00Z"}
{"path":"trailer-copy.mp4","source_url":"https://video.example/@fan/v/3","found_at":"2026-12-07T01:03:00Z"}
{"path":"c0ffee.mp4.part","source_url":"https://cdn.example/dl/c0ffee","found_at":"2026-12-07T01:04:00Z"}
EOF

step "3. a scan of the whole folder: every file accounted for"
status 0 "$vfp" scan -c catalog -r crawl --ledger reviews.sqlite --format jsonl -o folder.jsonl
python3 - <<'PY'
import json, sys
recs = {r["file"].rsplit("/", 1)[-1]: r for r in map(json.loads, open("folder.jsonl"))}
def want(name, verdict, **fields):
    r = recs.get(name)
    if r is None or r["verdict"] != verdict or any(r.get(k) != v for k, v in fields.items()):
        sys.exit(f"walkthrough: FAIL: {name}: expected {verdict} {fields}, got {r}")
want("97a81f0c2d", "match")
want("street.bin", "match")
want("c0ffee.mp4.part", "match", partial=True)
want("thumb.jpg", "skipped", skipped="type")
want("notes.txt", "skipped", skipped="not_video")
want("failed-download.mp4", "skipped", skipped="empty")
want(".tmp", "skipped", skipped="hidden")
if recs["97a81f0c2d"]["matches"][0]["title_owner"] != "Example Studios":
    sys.exit("walkthrough: FAIL: the record does not name the owner")
PY

step "4. the crawler's manifest: each file's source carried into its record"
status 0 "$vfp" scan -c catalog --from crawl/manifest.jsonl --ledger reviews.sqlite --format jsonl -o results.jsonl
python3 - <<'PY'
import json, sys
recs = {r["file"].rsplit("/", 1)[-1]: r for r in map(json.loads, open("results.jsonl"))}
if len(recs) != 4:
    sys.exit(f"walkthrough: FAIL: {len(recs)} records for the manifest's 4 files")
leak = recs["97a81f0c2d"]
if leak["source_url"] != "https://video.example/@leaker/v/1" or not leak["review"]["to_act_on"]:
    sys.exit(f"walkthrough: FAIL: the leak's record: {leak}")
part = recs["c0ffee.mp4.part"]
if part["verdict"] != "match" or not part.get("partial"):
    sys.exit(f"walkthrough: FAIL: the download cut short lost its match: {part}")
trailer = recs["trailer-copy.mp4"]
if trailer["verdict"] != "match" or trailer["matches"][0].get("public") != "trailer" or trailer["review"]["to_act_on"]:
    sys.exit(f"walkthrough: FAIL: the trailer copy is not allowed: {trailer}")
PY

step "5. the day's hits on one page for review, each with its evidence page"
status 0 "$vfp" report results.jsonl -c catalog -o review --ledger reviews.sqlite
expect review/index.html "4 files with a match, of 4 records"
expect review/index.html "3 to act on, 1 settled"
expect review/index.html "public (trailer): allowed"
for page in review/pages/000{1,2,3,4}.html; do
    [ -s "$page" ] || fail "$page is missing"
    (cd review/pages && sha256sum -c "$(basename "$page").sha256" >/dev/null) || fail "$page.sha256 does not hold"
done
grep -l "Read only in part" review/pages/*.html >/dev/null || fail "no page says the cut-short download was read only in part"

step "6. verify the leak before a notice: the evidence bundle"
status 0 "$vfp" verify -c catalog crawl/97a81f0c2d --bundle case-1 \
    --source-url https://video.example/@leaker/v/1 --found-at 2026-12-07T01:00:00Z
(cd case-1 && sha256sum -c SHA256SUMS >/dev/null) || fail "the bundle's checksums do not hold"
expect case-1/report.html "Example Studios"
expect case-1/report.html "not released when this page was made"
# Away from the vault, the page shows the catalog's stills, and says so.
mv vault vault.away
status 0 "$vfp" verify -c catalog crawl/97a81f0c2d --report away.html
expect away.html "the catalog&#39;s still"
grep -q "vault" away.html && fail "a page made away from the vault names it"
mv vault.away vault

step "7. the decisions: the leak confirmed on its evidence, the street copy a false positive"
status 0 "$vfp" review mark --ledger reviews.sqlite --clip crawl/97a81f0c2d --title megamind \
    --status confirmed --reviewer ann --evidence case-1/report.json
street_sha=$(python3 -c 'import json; [print(r["sha256"]) for r in map(json.loads, open("results.jsonl")) if r["file"].endswith("street.bin")]')
status 0 "$vfp" review mark --ledger reviews.sqlite --clip-sha256 "$street_sha" --title vtest \
    --status false_positive --reviewer ann --note "our own B-roll"

step "8. the notice draft"
status 0 "$vfp" review notice --ledger reviews.sqlite -c catalog
expect out.txt "To: the designated agent of video.example"
expect out.txt "On behalf of: Example Studios"
expect out.txt "The infringing copy: https://video.example/@leaker/v/1 (file 97a81f0c2d), found 2026-12-07T01:00:00Z"
expect out.txt "of the work ("
expect out.txt "under penalty of perjury"

step "9. sent: recorded, and nothing is left in the drafts"
status 0 "$vfp" review mark --ledger reviews.sqlite --clip crawl/97a81f0c2d --title megamind \
    --status notice_sent --notice-id N-1 --notice-date 2026-12-07 --reviewer ann
status 1 "$vfp" review notice --ledger reviews.sqlite -c catalog

step "10. the next scan: settled copies read as settled, the trailer copy as allowed"
status 0 "$vfp" scan -c catalog --from crawl/manifest.jsonl --ledger reviews.sqlite --format jsonl
python3 - <<'PY'
import json, sys
recs = {r["file"].rsplit("/", 1)[-1]: r for r in map(json.loads, open("out.txt"))}
for name in ["97a81f0c2d", "street.bin", "trailer-copy.mp4"]:
    if recs[name]["review"]["to_act_on"]:
        sys.exit(f"walkthrough: FAIL: {name} is still to act on: {recs[name]}")
PY
# Only the download cut short is left to act on.
status 0 "$vfp" scan -c catalog --from crawl/manifest.jsonl --ledger reviews.sqlite --to-act-on --format jsonl
left=$(wc -l < out.txt)
[ "$left" -eq 1 ] && grep -q 'c0ffee.mp4.part' out.txt || { cat out.txt >&2; fail "expected only c0ffee.mp4.part left to act on"; }
step "passed"
