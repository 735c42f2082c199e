#!/usr/bin/env bash
# Fetches real videos for the tests from Debian packages into a git-ignored
# cache (testdata/cache/, or $VFP_TESTDATA_CACHE). Idempotent: files already
# there are kept.
#
#   opencv-doc               Megamind.avi: a real film excerpt (MPEG-4, 720x528, 11 s)
#                            vtest.avi: a street scene (MS-MPEG4v3, 768x576, 80 s)
#   forensics-samples-files  VID_20191220_170832.mp4: a phone video (H.264 1080p, variable frame rate)
set -euo pipefail

source "$(dirname "$0")/../lib.sh"
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
mkdir -p "$cache"

# package, path pattern inside the package, name in the cache
wanted=(
  "opencv-doc|*/examples/data/Megamind.avi|Megamind.avi"
  "opencv-doc|*/examples/data/vtest.avi|vtest.avi"
  "forensics-samples-files|*/VID_20191220_170832.mp4|phone.mp4"
)

need_update=1
work=
at_exit '[ -z "$work" ] || rm -rf "$work"'
for entry in "${wanted[@]}"; do
  IFS='|' read -r pkg pattern name <<<"$entry"
  [ -s "$cache/$name" ] && continue
  work=$(mktemp -d)
  (
    cd "$work"
    if ! apt-get download "$pkg" >/dev/null 2>&1; then
      if [ "$need_update" = 1 ]; then
        sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
        "${sudo_cmd[@]}" apt-get update -qq
      fi
      apt-get download "$pkg" >/dev/null
    fi
    dpkg -x ./*.deb extracted
  )
  need_update=0
  found=$(find "$work/extracted" -path "$pattern" -type f | head -n 1)
  if [ -z "$found" ]; then
    echo "fetch-testdata: $pkg has no file matching $pattern" >&2
    exit 1
  fi
  cp "$found" "$cache/$name.part" && mv "$cache/$name.part" "$cache/$name"
  # Other wanted files may come from the same package: take them now.
  for other in "${wanted[@]}"; do
    IFS='|' read -r opkg opattern oname <<<"$other"
    if [ "$opkg" = "$pkg" ] && [ ! -s "$cache/$oname" ]; then
      ofound=$(find "$work/extracted" -path "$opattern" -type f | head -n 1)
      [ -n "$ofound" ] && cp "$ofound" "$cache/$oname.part" && mv "$cache/$oname.part" "$cache/$oname"
    fi
  done
  rm -rf "$work"
  work=
  echo "fetch-testdata: $name from $pkg"
done
echo "fetch-testdata: real videos in $cache"
