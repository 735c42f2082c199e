#!/usr/bin/env bash
# Memory of one file in flight: peak RSS (GNU time's %M) of `vfp scan -j 1`
# on generated videos of growing length, against a catalog of the two
# bundled films, with and without local features. A scan hands a long
# video to the matcher in parts (crates/scan SCAN_PARTS), so the peak must
# not grow with the length: the run fails if the longest file peaks more
# than SLACK_MB (default 15) above the shortest.
#   scripts/bench/memory.sh [--quick]
# --quick (CI): 2 and 20 minutes at 96×54, no local features (~1 min).
# Default: 5, 30 and 90 minutes at 192×108, both catalogs (~25 min).
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
cd "$root"
quick=${1:-}
slack_mb=${SLACK_MB:-15}
build_vfp
cache=$root/testdata/cache
work=$(mktemp -d "${TMPDIR:-/tmp}/vfp-mem.XXXXXX")
at_exit 'rm -rf "$work"'

if [ "$quick" = "--quick" ]; then
    minutes=(2 20); size=96x54; feature_modes=(none)
else
    minutes=(5 30 90); size=192x108; feature_modes=(none local)
fi
printf 'megamind,%s\nvtest,%s\n' "$cache/Megamind.avi" "$cache/vtest.avi" > "$work/titles.csv"
for mode in "${feature_modes[@]}"; do
    flag=()
    [ "$mode" = none ] && flag=(--no-local-features)
    "$vfp" index build --catalog "$work/catalog-$mode" --manifest "$work/titles.csv" "${flag[@]}" 2>/dev/null
done
# One long video, cut to each length without re-encoding: the same
# content, so only the length differs.
longest=${minutes[-1]}
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi \
    -i "testsrc2=size=$size:rate=30:duration=$((longest * 60))" \
    -c:v libx264 -preset ultrafast -g 300 -pix_fmt yuv420p "$work/long.mp4"
for m in "${minutes[@]}"; do
    ffmpeg -nostdin -hide_banner -loglevel error -y -i "$work/long.mp4" -t $((m * 60)) -c copy "$work/$m.mp4"
done

printf '%-8s %8s %12s %10s\n' catalog minutes "peak RSS MB" "wall s"
status=0
for mode in "${feature_modes[@]}"; do
    first=""
    for m in "${minutes[@]}"; do
        /usr/bin/time -f "%M %e" -o "$work/time" \
            "$vfp" scan --catalog "$work/catalog-$mode" -j 1 "$work/$m.mp4" > /dev/null || true
        read -r kb secs < <(tail -1 "$work/time")
        mb=$((kb / 1024))
        printf '%-8s %8s %12s %10s\n' "$mode" "$m" "$mb" "$secs"
        [ -n "$first" ] || first=$mb
        if [ "$mb" -gt $((first + slack_mb)) ]; then
            echo "bench-memory: $m minutes peaked at $mb MB, more than $slack_mb MB above ${minutes[0]} minutes ($first MB): memory grows with the length" >&2
            status=1
        fi
    done
done
exit $status
