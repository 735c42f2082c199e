#!/usr/bin/env bash
# Makes the test clips with the ffmpeg CLI into testdata/generated/ (git-
# ignored; or $VFP_TESTDATA_GENERATED). Transforms are applied to the real
# film excerpt fetched by fetch-testdata.sh; edge cases are small synthetic
# clips. Idempotent: existing files are kept (delete the folder to remake).
set -euo pipefail

source "$(dirname "$0")/../lib.sh"
cache=${VFP_TESTDATA_CACHE:-$root/testdata/cache}
out=${VFP_TESTDATA_GENERATED:-$root/testdata/generated}
src=$cache/Megamind.avi
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
mkdir -p "$out"
need "$cache" scripts/dev/fetch-testdata.sh Megamind.avi
need "$(dirname "$font")" scripts/dev/install-deps.sh "$(basename "$font")"

ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# make NAME CMD...: runs CMD writing to a temporary name, then renames, so
# an interrupted run never leaves a half-written clip that looks done.
make() {
  local name=$1; shift
  [ -s "$out/$name" ] && return 0
  local tmp="$out/.tmp.$name"
  rm -f "$tmp"
  "$@" "$tmp"
  mv "$tmp" "$out/$name"
  echo "gen-testdata: $name"
}
x264=(-c:v libx264 -preset veryfast -pix_fmt yuv420p -an)
enc() { ff -an -i "$src" -vf "$1" "${@:2}" "${x264[@]}" -f mp4; }

# --- Transforms of a real film excerpt; the timeline is kept, so frame i of
# --- the original and of each transform show the same moment.
make ref.mp4             enc "null" -crf 18
make crf-low-bitrate.mp4 enc "null" -b:v 150k
make downscale-240p.mp4  enc "scale=-2:240"
make letterbox-16x9.mp4  enc "pad=ih*16/9:ih:(ow-iw)/2:(oh-ih)/2:black,setsar=1"
make letterbox-21x9.mp4  enc "pad=iw:iw*9/21*2:(ow-iw)/2:(oh-ih)/2:black,setsar=1"
make vertical-black.mp4  enc "scale=360:-2,pad=360:640:(ow-iw)/2:(oh-ih)/2:black,setsar=1"
make vertical-blur.mp4   enc "split[fg][bg];[bg]scale=360:640:force_original_aspect_ratio=increase,crop=360:640,gblur=sigma=18,eq=brightness=-0.08[bgb];[fg]scale=360:-2[fgs];[bgb][fgs]overlay=(W-w)/2:(H-h)/2,setsar=1"
make watermark-text.mp4  enc "drawtext=fontfile=$font:text='PROPERTY OF STUDIO - INTERNAL USE':fontcolor=white@0.7:fontsize=30:borderw=2:bordercolor=black@0.7:x=(w-text_w)/2:y=h-text_h-h/12"
make brightness-contrast.mp4 enc "eq=brightness=0.12:contrast=1.35"
make mirrored.mp4        enc "hflip"
make crop-85.mp4         enc "crop=trunc(iw*0.85/2)*2:trunc(ih*0.85/2)*2"
make tilt-5deg.mp4       enc "rotate=5*PI/180:fillcolor=black"
# A keyframe every second (the encodes above have a few per clip), for the
# keyframe triage of `vfp scan --fast`; and 30 s of unrelated street
# footage encoded the same way.
make keyint-1s.mp4       enc "null" -g 24 -keyint_min 24 -sc_threshold 0
make street-keyint-1s.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -t 30 -c:v libx264 -preset veryfast -g 25 -keyint_min 25 -sc_threshold 0 -pix_fmt yuv420p -an -f mp4 "$2"' _ "$cache/vtest.avi"
# The film at 45 % size over street footage (vtest.avi), as a reaction or
# news video shows it; the film's timeline and frame rate are kept.
film_fps=$(ffprobe -v error -select_streams v:0 -show_entries stream=r_frame_rate -of csv=p=0 "$src")
make pip.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -stream_loop -1 -i "$2" -filter_complex "[1:v]fps=$3,scale=720:528,setsar=1[bg];[0:v]scale=324:-2,setsar=1[fg];[bg][fg]overlay=360:48:shortest=1" -c:v libx264 -preset veryfast -pix_fmt yuv420p -an -f mp4 "$4"' _ "$src" "$cache/vtest.avi" "$film_fps"
# Content stored sideways (turned clockwise) with a display matrix that
# turns it back, as phones record it; `ffmpeg -i sideways.mp4 x.png` shows
# it upright.
make sideways.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -vf transpose=1 -c:v libx264 -preset veryfast -pix_fmt yuv420p -an -f mp4 "$2.raw" && ffmpeg -nostdin -loglevel error -y -i "$2.raw" -c copy -metadata:s:v:0 rotate=90 -f mp4 "$2" && rm "$2.raw"' _ "$src"
# The same film starting at 10 s of stream time.
make start-offset.mp4    enc "null" -crf 18 -output_ts_offset 10
# Variable frame rate: drop two frames in three after the first second.
make vfr.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -vf "select=lt(n\,24)+not(mod(n\,3))" -fps_mode vfr -c:v libx264 -preset veryfast -pix_fmt yuv420p -an -f mp4 "$2"' _ "$out/ref.mp4"

# Ogg Theora, whose container states durations only roughly.
# A vertical re-post: the film scaled to fill a 9:16 screen, its centre kept
# (crop-to-fill, 41 % of its width).
make vertical-crop.mp4   enc "scale=-2:640,crop=360:640,setsar=1"
# Framing that changes inside a clip: the film pillarboxed into 1280x720
# after a 0.5 s full-frame card (a channel's sting), before one, and
# windowboxed (bars on all four sides) between two full-frame excerpts of
# the street scene (a compilation).
pillar="fps=24,scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
card="testsrc2=size=1280x720:rate=24:duration=0.5,setsar=1,format=yuv420p"
street="fps=24,scale=1280:720:force_original_aspect_ratio=increase,crop=1280:720,setsar=1,format=yuv420p"
windowbox="fps=24,scale=-2:544,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
make intro-card-pillarbox.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -f lavfi -i "$2" -an -i "$1" -filter_complex "[1:v]$3[m];[0:v][m]concat=n=2:v=1[v]" -map "[v]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4 "$4"' _ "$src" "$card" "$pillar"
make pillarbox-outro-card.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -f lavfi -i "$2" -an -i "$1" -filter_complex "[1:v]$3[m];[m][0:v]concat=n=2:v=1[v]" -map "[v]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4 "$4"' _ "$src" "$card" "$pillar"
make compilation-windowbox.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -ss 5 -t 1.5 -i "$2" -an -i "$1" -an -ss 20 -t 1.5 -i "$2" -filter_complex "[0:v]$4[a];[1:v]$3[m];[2:v]$4[b];[a][m][b]concat=n=3:v=1[v]" -map "[v]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4 "$5"' _ "$src" "$cache/vtest.avi" "$windowbox" "$street"
# A split screen: the film cropped to fill the top half of a 9:16 screen
# (360x320: 63 % of its width, centred, full height), street footage
# filling the bottom half; the film's timeline is kept.
make split-screen.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -stream_loop -1 -i "$2" -filter_complex "[0:v]scale=360:320:force_original_aspect_ratio=increase,crop=360:320,setsar=1[top];[1:v]fps=$3,scale=360:320:force_original_aspect_ratio=increase,crop=360:320,setsar=1[bottom];[top][bottom]vstack=inputs=2:shortest=1" -c:v libx264 -preset veryfast -pix_fmt yuv420p -an -f mp4 "$4"' _ "$src" "$cache/vtest.avi" "$film_fps"
# A screen filmed with a phone: the film on a dark monitor turned bright
# (gamma 1.6), shown at 86 %, keystoned, with vignette, blur, sensor grain.
make camcord.mp4 enc "eq=gamma=1.6,scale=620:454,pad=720:528:(ow-iw)/2:(oh-ih)/2:0x101010,perspective=x0=25:y0=12:x1=700:y1=24:x2=10:y2=510:x3=712:y3=500:sense=destination,vignette=PI/5,gblur=sigma=1.1,noise=alls=14:allf=t,eq=saturation=0.85,setsar=1"
# Caption boxes: the film fitted to a 9:16 screen (360x264 at y 188),
# white boxes with black text laid 20 px over its top and bottom edges.
make caption-bars.mp4 enc "scale=360:264,pad=360:640:0:188:black,drawbox=x=20:y=152:w=320:h=56:color=white@1:t=fill,drawtext=fontfile=$font:text='wait for the end':fontcolor=black:fontsize=24:x=(w-text_w)/2:y=152+(56-text_h)/2,drawbox=x=20:y=432:w=320:h=56:color=white@1:t=fill,drawtext=fontfile=$font:text='part 2 in bio':fontcolor=black:fontsize=24:x=(w-text_w)/2:y=432+(56-text_h)/2,setsar=1"

# A zoom: 38 % cut away (62 % of each side kept, off-centre, at 30 % of
# the slack across and 60 % down), scaled back to the film's size.
make zoom.mp4 enc "crop=iw*0.62:ih*0.62:iw*0.38*0.3:ih*0.38*0.6,scale=720:528,setsar=1"
# A 9:16 crop-to-fill panned away from the centre: the window at 15 % of
# the slack from the left.
make vertical-crop-pan.mp4 enc "scale=-2:640,crop=360:640:(iw-360)*0.15:0,setsar=1"

make theora.ogv sh -c 'ffmpeg -nostdin -loglevel error -y -an -i "$1" -c:v libtheora -q:v 5 -f ogg "$2"' _ "$src"

# --- Synthetic edge cases.
make odd-size.mkv ff -f lavfi -i testsrc2=size=320x240:rate=25:duration=3 -vf scale=321:241,format=yuv444p -c:v ffv1 -f matroska
# 8K frames (lossless, so tiny on disk): the scaler must take any size.
make huge-8k.mkv ff -f lavfi -i testsrc2=size=7680x4320:rate=2:duration=2 -c:v ffv1 -f matroska
# Larger than any codec level allows (8192×8192): refused before decoding.
make oversized.mkv ff -f lavfi -i color=c=gray:size=8192x8192:rate=1:duration=1 -c:v ffv1 -f matroska
# A stream that grows past that mid-way: 2 s of 320x240, then 8192x8192
# (MPEG-TS concatenated; decoded whole it peaked at 505 MB).
make grows-past-8k.ts sh -c 'ffmpeg -nostdin -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=10:duration=2 -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mpegts "$1.a" && ffmpeg -nostdin -loglevel error -y -f lavfi -i color=gray:size=8192x8192:rate=10:duration=0.3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -f mpegts "$1.b" && cat "$1.a" "$1.b" > "$1" && rm "$1.a" "$1.b"' _
make audio-only.m4a ff -f lavfi -i sine=frequency=440:duration=2 -c:a aac -f mp4
# Low-information frames: 1 s black, 1 s flat grey, 1 s title card, then a
# fade from the film to black.
make low-information.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y \
  -f lavfi -i color=black:size=720x528:rate=24:duration=1 \
  -f lavfi -i color=0x808080:size=720x528:rate=24:duration=1 \
  -f lavfi -i "color=black:size=720x528:rate=24:duration=1,drawtext=fontfile=$2:text=EPISODE 1:fontcolor=white:fontsize=40:x=(w-text_w)/2:y=(h-text_h)/2" \
  -an -i "$1" -filter_complex "[3:v]trim=0:3,setpts=PTS-STARTPTS,fade=t=out:st=1:d=2,fps=24,setsar=1[f];[0:v][1:v][2:v][f]concat=n=4:v=1[v]" \
  -map "[v]" -c:v libx264 -preset veryfast -pix_fmt yuv420p -f mp4 "$3"' _ "$src" "$font"
# Damaged files.
# A long film (the reference looped 20 times, 3 min 45 s, not re-encoded):
# for the tests that stop, kill or cut off a worker in the middle of a scan.
make long.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -stream_loop 19 -i "$1" -c copy -f mp4 "$2"' _ "$out/ref.mp4"
# The film remuxed to MPEG-TS: a self-contained stream that a playlist or a
# concat list may name (the tests check that those are refused, not
# followed).
make ref.ts sh -c 'ffmpeg -nostdin -loglevel error -y -i "$1" -c copy -f mpegts "$2"' _ "$out/ref.mp4"
make truncated.mp4 sh -c 'head -c $(( $(stat -c %s "$1") / 2 )) "$1" > "$2"' _ "$out/ref.mp4"
make truncated-faststart.mp4 sh -c 'ffmpeg -nostdin -loglevel error -y -i "$1" -c copy -movflags +faststart -f mp4 "$2.full" && head -c $(( $(stat -c %s "$2.full") / 2 )) "$2.full" > "$2" && rm "$2.full"' _ "$out/ref.mp4"
make random.mp4 python3 -c 'import random,sys; random.seed(7); open(sys.argv[1],"wb").write(bytes(random.getrandbits(8) for _ in range(65536)))'
make text.mp4 sh -c 'printf "This is a text file, not a video.\n" > "$1"' _
make empty.mp4 sh -c ': > "$1"' _
echo "gen-testdata: clips in $out"
