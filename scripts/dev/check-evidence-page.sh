#!/usr/bin/env bash
# The evidence page as a reviewer sees it: `vfp verify --report` on a
# mirrored copy of the test film (with where it was found, who reviews
# it), rendered by Debian's headless Chromium to a screenshot and printed
# to PDF. Every request the browser makes goes through a proxy on a
# loopback port that records it: the check fails if the page asks for
# anything (it must hold all it shows). The frames must render: the
# screenshot is compared with one of the same page without its images.
# Then the batch page of a scan's hits (`vfp report`), checked the same
# way, and its links to the hits' evidence pages. Leaves evidence.html,
# evidence.png, evidence.pdf, report/ and report.png in
# target/evidence-check/; with --screenshot FILE (a .jpg), also writes
# the top of the screenshot there, 800 px wide (the README's).
#   scripts/dev/check-evidence-page.sh [--screenshot FILE]
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
copy_to=
[ "${1:-}" = --screenshot ] && copy_to=${2:?--screenshot FILE}
bash scripts/dev/install-deps.sh >/dev/null
generated=${VFP_TESTDATA_GENERATED:-$root/testdata/generated}
need "$generated" "scripts/dev/fetch-testdata.sh and scripts/dev/gen-testdata.sh" ref.mp4 mirrored.mp4
build_vfp
out=$root/target/evidence-check
rm -rf "$out"
mkdir -p "$out"
"$vfp" index build --catalog "$out/catalog" "$generated/ref.mp4" 2>/dev/null
"$vfp" verify --catalog "$out/catalog" --report "$out/evidence.html" \
    --source-url "https://video.example/watch?v=leak-0001" --found-at 2026-11-30T08:12:00Z \
    --reviewer "A. Reviewer" --case "CASE-2026-117" "$generated/mirrored.mp4" >/dev/null

work=$(mktemp -d)
at_exit 'rm -rf "$work"'
# The proxy: records the first line of every request, answers 403.
python3 - "$work/requests.log" "$work/port" <<'EOF' &
import socket, sys, threading
log, port_file = sys.argv[1], sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
open(port_file, "w").write(str(server.getsockname()[1]))
def serve(conn):
    try:
        first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        with open(log, "a") as f:
            f.write(first + "\n")
        conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    finally:
        conn.close()
while True:
    conn, _ = server.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
EOF
proxy=$!
kill_at_exit "$proxy"
for _ in $(seq 1 50); do [ -s "$work/port" ] && break; sleep 0.1; done
: > "$work/requests.log"
browse() {
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
        --disable-component-update --disable-sync --disable-default-apps --no-default-browser-check \
        --disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate \
        --user-data-dir="$work/profile" \
        --proxy-server="127.0.0.1:$(cat "$work/port")" --proxy-bypass-list='<-loopback>' \
        --hide-scrollbars "$@" 2>>"$work/chromium.log"
}
browse --window-size=1200,2200 --screenshot="$out/evidence.png" "file://$out/evidence.html"
browse --no-pdf-header-footer --print-to-pdf="$out/evidence.pdf" "file://$out/evidence.html"
# The same page without its frames, for comparison.
sed -E 's/<img src="data:image\/png;base64,[^"]*" alt="frame">//g' "$out/evidence.html" > "$work/bare.html"
browse --window-size=1200,2200 --screenshot="$work/bare.png" "file://$work/bare.html"

# The batch page of a scan's hits, as a reviewer opens it.
"$vfp" scan --catalog "$out/catalog" --format jsonl -o "$out/results.jsonl" \
    "$generated/mirrored.mp4" "$generated/crf-low-bitrate.mp4" "$generated/vertical-crop.mp4" 2>/dev/null
"$vfp" report "$out/results.jsonl" -c "$out/catalog" -o "$out/report" 2>/dev/null
browse --window-size=1300,1400 --screenshot="$out/report.png" "file://$out/report/index.html"
sed -E 's/<img src="data:image\/png;base64,[^"]*" alt="[a-z ]*">//g' "$out/report/index.html" > "$work/report-bare.html"
browse --window-size=1300,1400 --screenshot="$work/report-bare.png" "file://$work/report-bare.html"

python3 - "$out" "$work" <<'EOF'
import os, struct, sys
out, work = sys.argv[1], sys.argv[2]
problems = []
import re
# Chromium's own housekeeping (its clock, its updater) goes to Google's
# hosts whatever the page; the page never names them (checked below).
def host(request):
    parts = request.split()
    target = parts[1] if len(parts) > 1 else ""
    return re.sub(r"^[a-z]+://", "", target).split("/")[0].split(":")[0]
own = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")
requests = [l.strip() for l in open(os.path.join(work, "requests.log")) if l.strip()]
page_requests = [r for r in requests if not host(r).endswith(own)]
if page_requests:
    problems.append(f"the page made {len(page_requests)} requests: {page_requests[:3]}")
html_text = open(os.path.join(out, "evidence.html"), encoding="utf-8").read()
external = re.findall(r'(?:src|href)\s*=\s*"(?!data:)[^"]*"|url\((?!data:)[^)]*\)|@import', html_text)
if external:
    problems.append(f"the page names outside resources: {external[:3]}")
def png_size(path):
    data = open(path, "rb").read(32)
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", data[16:24])
shot, bare = os.path.join(out, "evidence.png"), os.path.join(work, "bare.png")
for p in (shot, bare):
    if not os.path.exists(p) or png_size(p) is None:
        problems.append(f"{p}: no screenshot")
if not problems:
    ratio = os.path.getsize(shot) / os.path.getsize(bare)
    if ratio < 1.5:
        problems.append(f"the frames did not render: the screenshot is {ratio:.2f} x the one without them")
pdf = os.path.join(out, "evidence.pdf")
head = open(pdf, "rb").read(5) if os.path.exists(pdf) else b""
if head != b"%PDF-" or os.path.getsize(pdf) < 20_000:
    problems.append(f"{pdf}: not a printed page")
html = open(os.path.join(out, "evidence.html"), encoding="utf-8").read()
for shown in ("This clip shows the catalog title ref", "mirrored", "CASE-2026-117", "A. Reviewer",
              "https://video.example/watch?v=leak-0001", "How sure:"):
    if shown not in html:
        problems.append(f"the page does not say {shown!r}")
# The batch page: a row per hit, its pictures rendered, every link to an
# evidence page that exists, nothing from outside.
report = os.path.join(out, "report", "index.html")
report_html = open(report, encoding="utf-8").read() if os.path.exists(report) else ""
if "3 files with a match" not in report_html:
    problems.append("the batch page does not list the 3 hits")
if re.findall(r'src\s*=\s*"(?!data:)[^"]*"|url\((?!data:)[^)]*\)|@import', report_html):
    problems.append("the batch page names outside resources")
links = re.findall(r'href="([^"]+)"', report_html)
missing = [l for l in links if not os.path.exists(os.path.join(out, "report", l))]
if len(links) < 3 or missing:
    problems.append(f"the batch page's links: {len(links)}, missing {missing[:3]}")
shot_r, bare_r = os.path.join(out, "report.png"), os.path.join(work, "report-bare.png")
if not all(os.path.exists(p) and png_size(p) for p in (shot_r, bare_r)):
    problems.append("the batch page has no screenshot")
elif os.path.getsize(shot_r) / os.path.getsize(bare_r) < 1.5:
    problems.append("the batch page's pictures did not render")
if problems:
    print("check-evidence-page: FAILED\n  " + "\n  ".join(problems))
    sys.exit(1)
w, h = png_size(shot)
print(f"check-evidence-page: the page loads with no request of its own ({len(requests)} of Chromium's own to its update and time hosts, refused), its frames render "
      f"(screenshot {w}x{h}, {os.path.getsize(shot) / os.path.getsize(bare):.1f} x the size without them), "
      f"and it prints ({os.path.getsize(pdf) // 1024} KB PDF); the batch page of 3 hits loads alike, its pictures render "
      f"({os.path.getsize(shot_r) / os.path.getsize(bare_r):.1f} x) and its {len(links)} links lead to their evidence pages: {out}")
EOF
if [ -n "$copy_to" ]; then
    ffmpeg -nostdin -loglevel error -y -i "$out/evidence.png" \
        -vf "crop=iw:min(ih\,1750):0:0,scale=800:-1" -q:v 7 "$copy_to"
fi
