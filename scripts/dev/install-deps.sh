#!/usr/bin/env bash
# Installs the system packages vfp needs to build and test, idempotently.
#
# Build: pkg-config + libclang-dev (bindgen in ffmpeg-sys-next) + the FFmpeg
# development libraries we link (avcodec, avformat, avutil, swscale; the
# others are pulled in by ffmpeg-sys-next's pkg-config probing).
# Tests and scripts: the `ffmpeg` CLI (fixtures, benchmarks), a font for
# burned-in watermark text, GNU time (peak memory in benchmarks and the
# soak), procps (pgrep) and python3 (scripts' checks); nats-server (2.9,
# JetStream) for the many-machines mode's tests, started on loopback ports;
# chromium (headless) to check the evidence page as a reviewer sees it and
# prints it (scripts/dev/check-evidence-page.sh); postgresql (15) for the review
# ledger's tests against a throwaway cluster on a loopback port.
set -euo pipefail

packages=(
  pkg-config
  libclang-dev
  libavcodec-dev
  libavformat-dev
  libavutil-dev
  libswscale-dev
  libavfilter-dev
  libavdevice-dev
  libswresample-dev
  ffmpeg
  fonts-dejavu-core
  time
  procps
  python3
  nats-server
  chromium
  postgresql
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} system packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
