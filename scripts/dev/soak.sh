#!/usr/bin/env bash
# Reliability soak: a bulk scan of many files, a tenth of them hostile, is
# killed with SIGKILL at random moments and resumed with the same command
# until it finishes; meanwhile other processes add and remove titles of
# the catalog it reads. Then checks, against an uninterrupted scan of the
# same files: one final record per file with the same verdict and
# matches, the exact count of errors, no finished record written twice,
# no title lost, every scan and every catalog change exited as documented,
# and the peak memory of every scan.
#   scripts/dev/soak.sh [FILES]   (default 1000; CI runs the default)
# Env: VFP_BIN (default: target/release/vfp, built first),
# SOAK_SEED (default 1), SOAK_MAX_RSS_MB (default 200), SOAK_JOBS (default 2).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
files=${1:-1000}
seed=${SOAK_SEED:-1}
max_rss_mb=${SOAK_MAX_RSS_MB:-200}
jobs=${SOAK_JOBS:-2}
build_vfp
cache=$root/testdata/cache
need "$cache" scripts/dev/fetch-testdata.sh Megamind.avi vtest.avi
RANDOM=$seed
work=$(mktemp -d "${TMPDIR:-/tmp}/vfp-soak.XXXXXX")
at_exit '[ -n "${SOAK_KEEP:-}" ] || rm -rf "$work"'
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
log() { echo "soak: $*"; }

# --- The catalog: two real videos; spare titles for the writers.
log "work folder $work"
mkdir -p "$work/titles" "$work/clips/dir"
cp "$cache/Megamind.avi" "$cache/vtest.avi" "$work/titles/"
printf 'megamind,Megamind.avi\nvtest,vtest.avi\n' > "$work/titles/base.csv"
"$vfp" index build --catalog "$work/catalog" --manifest "$work/titles/base.csv" 2>/dev/null
for i in 1 2 3 4; do
    ff -f lavfi -i "testsrc2=size=320x180:rate=10:duration=4,hue=h=$((i * 70))" \
        -c:v libx264 -preset veryfast -pix_fmt yuv420p "$work/titles/spare$i.mp4"
    printf 'spare%s,spare%s.mp4\n' "$i" "$i" > "$work/titles/spare$i.csv"
done

# --- Distinct clips: excerpts of the titles (matches) and unrelated
# --- footage (no match), small so that a thousand scan in a minute.
n_distinct=24
for i in $(seq 0 $((n_distinct - 1))); do
    out="$work/distinct-$i.mp4"
    case $((i % 3)) in
        0) ff -ss "$((i % 8)).5" -t 2 -i "$cache/Megamind.avi" -vf scale=320:-2 -an \
               -c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p "$out" ;;
        1) ff -ss "$((i * 2 % 50))" -t 2 -i "$cache/vtest.avi" -vf scale=320:-2 -an \
               -c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p "$out" ;;
        2) ff -f lavfi -i "mandelbrot=size=320x180:rate=15:start_scale=$((i + 1)).0,trim=duration=2" \
               -c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p "$out" ;;
    esac
done

# --- Hostile files, each kind a scan must refuse with one error record,
# --- or skip with one record for what it holds (and the kinds it must not
# --- choke on, as valid files). Each is counted as it is made: an error
# --- (a video or .vfp that cannot be read), a skip (no video inside:
# --- empty, text, a FIFO, zeros), or either (random bytes, which FFmpeg's
# --- probe may take for an elementary stream).
hostile=$((files / 10))
valid=$((files - hostile))
expected_errors=0
must_error=0
must_skip=0
hostile_file() {  # KIND INDEX
    local d="$work/clips/dir/h$2"
    case $1 in
        empty) : > "$d-empty.mp4" ;;
        text) printf 'not a video, %s\n' "$2" > "$d-text.mp4" ;;
        random) head -c $((4096 + RANDOM)) /dev/urandom > "$d-random.mkv" ;;
        truncated) head -c $((2000 + RANDOM % 3000)) "$work/distinct-$(($2 % n_distinct)).mp4" > "$d-truncated.mp4" ;;
        audio) ff -f lavfi -i "sine=frequency=$((200 + $2)):duration=1" -c:a aac -f mp4 "$d-audio.mp4" ;;
        garbage_vfp) head -c $((100 + RANDOM % 900)) /dev/urandom > "$d-garbage.vfp" ;;
        fake_vfp) printf '\x89VFP\r\n\x1a\n%s' "$(head -c 64 /dev/zero | tr '\0' 'x')" > "$d-fake.vfp" ;;
        sparse) truncate -s 2G "$d-sparse.mp4" ;;
        fifo) mkfifo "$d-fifo.mp4" ;;
        dangling) ln -s "$work/nowhere-$2.mp4" "$d-dangling.mp4" ;;
    esac
}
kinds=(empty text random truncated audio garbage_vfp fake_vfp sparse fifo dangling)
for i in $(seq 0 $((hostile - 1))); do
    kind=${kinds[$((i % ${#kinds[@]}))]}
    hostile_file "$kind" "$i"
    expected_errors=$((expected_errors + 1))
    case $kind in
        empty|text|sparse|fifo) must_skip=$((must_skip + 1)) ;;
        random) ;;
        *) must_error=$((must_error + 1)) ;;
    esac
done
# Folders that must not trap the walk: a symlink loop, and names that are
# not UTF-8 or hold a newline (valid videos: not errors).
ln -s .. "$work/clips/dir/loop"
ln -s "$work/clips" "$work/clips/dir/loop2"
names=0
for i in $(seq 0 $((valid - 1))); do
    src="$work/distinct-$((i % n_distinct)).mp4"
    case $((i % 50)) in
        7) dst="$work/clips/$(printf 'latin1-\xe9t\xe9-%d.mp4' "$i")" ;;
        8) dst="$work/clips/$(printf 'new\nline-%d.mp4' "$i")" ;;
        *) dst="$work/clips/c$i.mp4" ;;
    esac
    ln "$src" "$dst" 2>/dev/null || cp "$src" "$dst"
    names=$((names + 1))
done
log "$valid valid files ($n_distinct distinct clips), $hostile hostile ($must_error must be errors, $must_skip skipped)"

# --- An uninterrupted scan: the reference.
status=0
/usr/bin/time -f "%M" -o "$work/rss-ref" \
    "$vfp" scan --catalog "$work/catalog" -r "$work/clips" -j "$jobs" --format jsonl \
    -o "$work/reference.jsonl" 2>"$work/reference.err" || status=$?
[ "$status" -eq 2 ] || { echo "soak: reference scan exited $status, expected 2 (some errors)" >&2; cat "$work/reference.err" >&2; exit 1; }

# --- Catalog writers: add and remove spare titles in a loop, in the
# --- background, for as long as the interrupted scans run.
writer() {  # N
    local i=0
    while [ ! -e "$work/stop-writers" ]; do
        local s=$(( (i + $1) % 4 + 1 ))
        if "$vfp" index add --catalog "$work/catalog" --manifest "$work/titles/spare$s.csv" -j1 \
                >/dev/null 2>>"$work/writer$1.err"; then
            echo "add spare$s" >> "$work/writer$1.log"
            "$vfp" index remove --catalog "$work/catalog" "spare$s" >/dev/null 2>>"$work/writer$1.err" \
                && echo "remove spare$s" >> "$work/writer$1.log" \
                || echo "REMOVE FAILED spare$s" >> "$work/writer$1.log"
        else
            # Two writers may add the same spare: the second is refused
            # (an id already in the catalog), which is correct.
            echo "add refused spare$s" >> "$work/writer$1.log"
        fi
        i=$((i + 1))
    done
}
writer 0 & w0=$!
writer 1 & w1=$!

# --- The interrupted scan: killed at a random moment, resumed by the
# --- same command, until a run ends by itself.
kills=0
runs=0
while :; do
    runs=$((runs + 1))
    /usr/bin/time -f "%M" -o "$work/rss-$runs" \
        "$vfp" scan --catalog "$work/catalog" -r "$work/clips" -j "$jobs" --format jsonl \
        -o "$work/results.jsonl" --append 2>>"$work/scan.err" &
    timer=$!
    delay_ms=$((300 + RANDOM % 2500))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    scan_pid=$(pgrep -P "$timer" -x vfp || true)
    if [ -n "$scan_pid" ] && kill -KILL "$scan_pid" 2>/dev/null; then
        kills=$((kills + 1))
        wait "$timer" || true
    else
        status=0
        wait "$timer" || status=$?
        [ "$status" -eq 2 ] || { echo "soak: the last scan exited $status, expected 2" >&2; exit 1; }
        break
    fi
    [ "$runs" -lt 400 ] || { echo "soak: the scan never finished in 400 runs" >&2; exit 1; }
done
touch "$work/stop-writers"
wait "$w0" "$w1"
log "scan killed $kills times, finished on run $runs"

# --- Checks.
python3 - "$work" "$files" "$expected_errors" "$max_rss_mb" "$kills" "$must_error" "$must_skip" <<'PY'
import glob, json, os, sys
work, files, expected_errors, max_rss_mb, kills, must_error, must_skip = sys.argv[1], *map(int, sys.argv[2:8])
def records(path):
    out = []
    with open(path, "rb") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            out.append(json.loads(line))  # a cut line would fail here
    return out
def final(recs):
    last = {}
    for r in recs:
        last[r["file"]] = r
    return last
def key(r):
    ms = sorted((m["title_id"], round(m["title_start_s"]), round(m["clip_start_s"])) for m in r["matches"])
    return (r["verdict"], ms)
problems = []
ref, got = records(f"{work}/reference.jsonl"), records(f"{work}/results.jsonl")
ref_final, got_final = final(ref), final(got)
if len(ref) != len(ref_final):
    problems.append(f"the reference scan wrote {len(ref)} records for {len(ref_final)} files")
if len(ref_final) != files:
    problems.append(f"the reference scan has records of {len(ref_final)} files, {files} were made")
if set(got_final) != set(ref_final):
    missing, extra = set(ref_final) - set(got_final), set(got_final) - set(ref_final)
    problems.append(f"files missing after resumes: {sorted(missing)[:5]}, unexpected: {sorted(extra)[:5]}")
errors = sum(r["verdict"] == "error" for r in got_final.values())
skipped = sum(r["verdict"] == "skipped" for r in got_final.values())
if errors + skipped != expected_errors or errors < must_error or skipped < must_skip:
    problems.append(f"{errors} files ended as errors and {skipped} skipped; {expected_errors} hostile files "
                    f"were made, {must_error} must be errors and {must_skip} skipped")
counts = {}
for r in got:
    if r["verdict"] != "error":
        counts[r["file"]] = counts.get(r["file"], 0) + 1
doubled = [f for f, c in counts.items() if c > 1]
if doubled:
    problems.append(f"{len(doubled)} finished records written twice, e.g. {doubled[:3]}")
differ = [f for f in ref_final if f in got_final and key(ref_final[f]) != key(got_final[f])]
if differ:
    f = differ[0]
    problems.append(f"{len(differ)} files differ from the uninterrupted scan, e.g. {f}: {key(ref_final[f])} vs {key(got_final[f])}")
matched = sum(r["verdict"] == "match" for r in got_final.values())
if matched == 0:
    problems.append("nothing matched: the soak tests nothing")
rss = []
for p in glob.glob(f"{work}/rss-*"):
    lines = [l for l in open(p).read().split("\n") if l.strip().isdigit()]
    if lines:
        rss.append(int(lines[-1]) // 1024)
peak = max(rss)
if peak > max_rss_mb:
    problems.append(f"a scan peaked at {peak} MB, bound {max_rss_mb} MB")
# Writers: every add was removed again, no failure but refused duplicates.
adds = removes = refused = 0
for p in glob.glob(f"{work}/writer*.log"):
    for line in open(p):
        if line.startswith("REMOVE FAILED"):
            problems.append(f"a writer's remove failed: {line.strip()}")
        adds += line.startswith("add spare")
        removes += line.startswith("remove ")
        refused += line.startswith("add refused")
print(f"soak: {files} files ({expected_errors} hostile), {len(got)} records written over the runs, "
      f"{len(got_final)} final: {matched} match, {errors} errors, {skipped} skipped; killed {kills} times; "
      f"peak RSS of a scan {peak} MB (bound {max_rss_mb}); catalog writers: {adds} adds, {removes} removes, "
      f"{refused} adds refused as duplicates")
if problems:
    for p in problems:
        print("soak: FAIL:", p, file=sys.stderr)
    sys.exit(1)
PY
# The catalog after the writers: the two base titles, every spare removed,
# and it verifies.
"$vfp" index verify --catalog "$work/catalog" >/dev/null
titles=$("$vfp" index list --catalog "$work/catalog" | grep -c . || true)
[ "$titles" -eq 2 ] || { echo "soak: FAIL: the catalog lists $titles titles, expected 2" >&2; "$vfp" index list --catalog "$work/catalog" >&2; exit 1; }
# A writer's errors, but for the refusal of a spare another writer added
# first. (Its other lines are progress. Read whole, not through `grep -q`,
# which under pipefail made a long log pass unread.)
failed=$(grep -h '^vfp: error:' "$work"/writer*.err | grep -v 'is in the catalog already' || true)
if [ -n "$failed" ]; then
    echo "soak: FAIL: a catalog writer failed:" >&2
    echo "$failed" >&2
    exit 1
fi
log "passed"
