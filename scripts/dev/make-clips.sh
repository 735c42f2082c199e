#!/usr/bin/env bash
# Cuts FILES short clips of SECONDS each (360p H.264) into DIR from the
# real test videos, at spread-out times, one in three mirrored: clip i is
#   i % 4 = 0 or 2  a copy of Megamind.avi (excerpt)
#   i % 4 = 1       a copy of vtest.avi (street scene)
#   i % 4 = 3       FFmpeg's life filter: in no catalog
# so a catalog of Megamind.avi alone matches exactly the even clips.
# Clips already there are kept (idempotent). Needs scripts/dev/fetch-testdata.sh.
#   scripts/dev/make-clips.sh FILES SECONDS DIR
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
files=${1:?FILES}
seconds=${2:?SECONDS}
dir=${3:?DIR}
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
need "$cache" scripts/dev/fetch-testdata.sh Megamind.avi vtest.avi
# Clip starts range over the source's length minus the clip's.
megamind_range=$(awk -v s="$seconds" 'BEGIN { r = 11 - s; if (r < 0) r = 0; print r }')
street_range=$(awk -v s="$seconds" 'BEGIN { r = 78 - s; if (r < 0) r = 0; print r }')
mkdir -p "$dir"
for i in $(seq 0 $((files - 1))); do
    out=$dir/clip-$(printf %05d "$i").mp4
    [ -s "$out" ] && continue
    filter=scale=-2:360
    [ $((i % 3)) -eq 0 ] && filter=$filter,hflip
    case $((i % 4)) in
        0|2) input=(-i "$cache/Megamind.avi"); len=$megamind_range ;;
        1) input=(-i "$cache/vtest.avi"); len=$street_range ;;
        3) input=(-f lavfi -i "life=size=640x360:rate=25:seed=$i:ratio=0.3:mold=10"); len=0 ;;
    esac
    # (Assigned before printing: some awks read `printf ..., (a > b ...)`
    # as output redirected to a file named by what follows `>`.)
    start=$(awk -v i="$i" -v len="$len" 'BEGIN { s = 0; if (len > 0) s = (i * 0.37) % len; printf "%.2f", s }')
    ffmpeg -nostdin -loglevel error -y -ss "$start" -t "$seconds" "${input[@]}" -an -vf "$filter" \
        -c:v libx264 -preset ultrafast -pix_fmt yuv420p -f mp4 "$out.tmp"
    mv "$out.tmp" "$out"
done
