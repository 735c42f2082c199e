#!/usr/bin/env bash
# The main job on real videos, from a fresh machine: installs what is
# needed, fetches real videos from Debian packages, builds vfp,
# fingerprints them (dense and keyframe-only), shows one fingerprint,
# builds, lists and verifies a catalog of two of them, then makes leaked-style
# copies with the ffmpeg CLI (excerpt, mirror, 9:16 re-frame with blurred
# fill, speed-up, crop with a tilt, picture-in-picture, a panned 9:16 crop, a zoom, the
# third video as an unrelated clip)
# and scans them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$root"

bash scripts/dev/install-deps.sh
bash scripts/dev/fetch-testdata.sh
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
out=${VFP_DEMO_OUT:-$root/target/demo}
mkdir -p "$out/dense" "$out/keyframes"

echo "== building vfp (release)"
build_vfp

videos=("$cache"/*.avi "$cache"/*.mp4)
echo "== vfp extract (dense, 4 samples/s) ${#videos[@]} real videos -> $out/dense"
time "$vfp" extract -o "$out/dense" "${videos[@]}"
echo "== vfp extract --keyframes -> $out/keyframes"
time "$vfp" extract --keyframes -o "$out/keyframes" "${videos[@]}"
echo "== vfp show $out/dense/Megamind.vfp"
"$vfp" show "$out/dense/Megamind.vfp"
echo "== first frames as JSON (vfp extract --format json)"
"$vfp" extract --format json --fps 1 "$cache/Megamind.avi" 2>/dev/null \
  | python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); [print(f["t_ms"], "ms", f["hash"], "quality", f["quality"]) for f in d["frames"][:5]]'
# The phone video stays out of the catalog: it is the unrelated clip below.
titles=("$cache"/*.avi)
echo "== vfp index build: a catalog of ${#titles[@]} real videos (from .vfp files works too: vfp index build --catalog CAT $out/dense)"
rm -rf "$out/catalog"
"$vfp" index build --catalog "$out/catalog" "${titles[@]}"
"$vfp" index list --catalog "$out/catalog"
"$vfp" index info --catalog "$out/catalog"
"$vfp" index verify --catalog "$out/catalog"
echo "== leaked-style copies of Megamind.avi, made with the ffmpeg CLI -> $out/clips"
clips=$out/clips
# Made afresh: a clip left by an older demo would be scanned with these.
rm -rf "$clips"
mkdir -p "$clips"
src=$cache/Megamind.avi
ff() { ffmpeg -nostdin -loglevel error -y "$@"; }
ff -ss 3 -t 6 -i "$src" -an -vf hflip -c:v libx264 -crf 28 "$clips/excerpt-mirrored.mp4"
ff -i "$src" -an -filter_complex "split[fg][bg];[bg]scale=360:640:force_original_aspect_ratio=increase,crop=360:640,gblur=sigma=18[b];[fg]scale=360:-2[f];[b][f]overlay=(W-w)/2:(H-h)/2" -c:v libx264 -crf 28 "$clips/vertical-blur.mp4"
ff -i "$src" -an -vf "setpts=PTS/1.1,scale=-2:240" -r 30 -c:v libx264 -crf 30 "$clips/sped-up-240p.mp4"
ff -ss 2 -t 7 -i "$src" -an -vf "crop=iw*0.85:ih*0.85,rotate=4*PI/180:fillcolor=black" -c:v libx264 -crf 26 "$clips/cropped-tilted.mp4"
ff -i "$cache/vtest.avi" -ss 1 -t 8 -i "$src" -an -filter_complex "[0:v]scale=720:528[bg];[1:v]scale=324:-2[fg];[bg][fg]overlay=360:48:shortest=1" -c:v libx264 -crf 26 "$clips/picture-in-picture.mp4"
# Short-video re-posts found by local features: cropped to fill a 9:16
# phone screen away from the centre (a pan), and zoomed in off-centre
# (62 % of each side kept).
ff -ss 2 -t 7 -i "$src" -an -vf "scale=-2:640,crop=360:640:(iw-360)*0.2:0" -c:v libx264 -crf 26 "$clips/vertical-panned.mp4"
ff -ss 1 -t 8 -i "$src" -an -vf "crop=iw*0.62:ih*0.62:iw*0.3:ih*0.1,scale=720:-2" -c:v libx264 -crf 26 "$clips/zoomed.mp4"
cp "$cache/phone.mp4" "$clips/unrelated-phone.mp4"
echo "== vfp scan (exit status 0 if anything matched)"
"$vfp" scan --catalog "$out/catalog" "$clips" -r || true
echo "== the same as jsonl, for takedown tools"
"$vfp" scan --catalog "$out/catalog" --format jsonl "$clips/excerpt-mirrored.mp4" || true
echo "== vfp verify: the thorough re-check a reviewer signs off"
"$vfp" verify --catalog "$out/catalog" --report "$out/evidence.html" --force "$clips/excerpt-mirrored.mp4" || true
echo "== evidence page: $out/evidence.html (open it in a browser)"
