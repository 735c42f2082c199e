#!/usr/bin/env bash
# The main job on real videos, from a fresh machine: installs what is
# needed, fetches real videos from Debian packages, builds vfp,
# fingerprints them (dense and keyframe-only), shows one fingerprint, and
# builds, lists and verifies a catalog of them. A later issue adds the scan.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/fetch-testdata.sh
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
out=${VFP_DEMO_OUT:-$root/target/demo}
mkdir -p "$out/dense" "$out/keyframes"

echo "== building vfp (release)"
cargo build --release --locked -p vfp-cli --quiet
vfp=$root/target/release/vfp

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
echo "== vfp index build: a catalog of the real videos, from their fingerprints"
rm -rf "$out/catalog"
"$vfp" index build -o "$out/catalog" "$out/dense"
"$vfp" index list "$out/catalog"
"$vfp" index info "$out/catalog"
"$vfp" index verify "$out/catalog"
