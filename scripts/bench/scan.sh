#!/usr/bin/env bash
# What a scan costs on this machine, by `vfp bench` (built-in material unless
# arguments say otherwise), and a check that its figures agree with a scan
# timed from outside: the CPU time `vfp bench` reports for its scans against
# the user+system time /usr/bin/time gives for `vfp scan -j 1 --threads 1` (one
# decoder thread, as vfp bench decodes; frame threads cost CPU) of the same
# files and catalog (median of 3), within 25 %.
#   scripts/bench/scan.sh [--quick] [VFP BENCH ARGS...]
#     --quick: one pass per file (CI); otherwise vfp bench's default of 3.
# The built-in material is kept in target/bench-material. Prints the report
# and writes it as JSON to target/bench-scan.json.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
repeat=()
if [ "${1:-}" = "--quick" ]; then
  repeat=(--repeat 1)
  shift
fi
build_vfp
json=$root/target/bench-scan.json
material=$root/target/bench-material

"$vfp" bench --material "$material" "${repeat[@]}" --format json "$@" > "$json"

# The report as people read it, from the same run.
python3 - "$json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t, c = r["totals"], r["catalog"]
print(f"vfp bench: {t['files']} files, {t['clip_s']:.1f} s of video; catalog {c['frames']:,} frames"
      f" ({c['padded_frames']:,} synthetic), {c['bytes_per_frame']:.1f} B/frame, open {c['open_ms']:.2f} ms")
for f in r["files"]:
    d = f["decode_only_s"]
    ratio = f"{f['scan']['total_s'] / d:.2f}" if d else "-"
    print(f"  {f['file'].rsplit('/', 1)[-1]:<28} decode {d or 0:6.2f} s  scan {f['scan']['total_s']:6.2f} s"
          f"  scan/decode {ratio}  {f['verdict']}")
for name, st in t["stages"].items():
    print(f"  {name:<16} {st['s']:7.2f} s  {100 * st['share']:5.1f} %")
print(r["verdict"])
EOF

# Every figure the JSON promises is there.
python3 - "$json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
need = {
    "": ["vfp_version", "machine", "settings", "catalog", "built_in_files", "files", "totals",
         "parallel", "peak_rss_bytes", "peak_rss_scope", "verdict"],
    "catalog": ["path", "built_in", "titles", "frames", "padded_frames", "segments", "bytes",
                "search_bytes", "bytes_per_frame", "local_features", "open_ms"],
    "totals": ["files", "matched", "no_match", "errors", "clip_s", "scan_s", "scan_cpu_s",
               "decode_only_s", "scan_over_decode", "files_per_s", "clip_s_per_core_s",
               "stages", "cost", "lookups_per_s", "hits_per_lookup"],
}
for section, keys in need.items():
    obj = r[section] if section else r
    missing = [k for k in keys if k not in obj]
    if missing:
        sys.exit(f"bench-scan: {section or 'report'} lacks {missing}")
for f in r["files"]:
    for k in ["file", "verdict", "clip_s", "decode_only_s", "scan", "scan_cpu_s"]:
        if k not in f:
            sys.exit(f"bench-scan: a file record lacks {k}: {f}")
if r["totals"]["errors"]:
    sys.exit("bench-scan: some files could not be scanned")
EOF

# The same files and catalog, scanned by `vfp scan` and timed from outside.
mapfile -t files < <(python3 -c 'import json,sys; [print(f["file"]) for f in json.load(open(sys.argv[1]))["files"]]' "$json")
catalog=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["catalog"]["path"])' "$json")
padded=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["catalog"]["padded_frames"])' "$json")
if [ "$padded" != 0 ]; then
  echo "bench-scan: a padded catalog is gone after vfp bench; the outside check is skipped"
  exit 0
fi
cpu=()
timing=$(mktemp)
at_exit 'rm -f "$timing"'
for _ in 1 2 3; do
  # Exit status 1 is "no match", not a failure.
  /usr/bin/time -o "$timing" -f "%U %S" "$vfp" scan --no-progress -j 1 --threads 1 --catalog "$catalog" "${files[@]}" >/dev/null 2>&1 || [ $? -eq 1 ]
  cpu+=("$(awk '{print $1 + $2}' "$timing")")
done
python3 - "$json" "${cpu[@]}" <<'EOF'
import json, statistics, sys
r = json.load(open(sys.argv[1]))
outside = statistics.median(float(x) for x in sys.argv[2:])
inside = r["totals"]["scan_cpu_s"]
ratio = outside / inside
print(f"bench-scan: vfp scan -j 1 --threads 1 of the same files, timed by /usr/bin/time: {outside:.2f} s of CPU"
      f" (median of 3); vfp bench's scans: {inside:.2f} s; ratio {ratio:.2f}")
if not 0.8 <= ratio <= 1.25:
    sys.exit("bench-scan: vfp bench and a timed vfp scan disagree by more than 25 %")
EOF
