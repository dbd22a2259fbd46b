#!/usr/bin/env bash
# The picture of Docs/outputs.md: the live window (under Xvfb) beside the last frame that a shared-memory
# receiver and an SRT receiver (gst-launch-1.0, decoding the H.264) got from the same run, side by side.
# Usage: scripts/outputs-screenshot.sh [OUT.jpg]   (default Docs/images/outputs-receivers.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Docs/images/outputs-receivers.jpg}
work=$(mktemp -d)
port=$(( 30000 + RANDOM % 20000 ))
display=":$(( 300 + RANDOM % 500 ))"
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
Xvfb "$display" -screen 0 800x600x24 -nolisten tcp &
for _ in $(seq 100); do [ -S "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
swift build -c release --product latentvj >/dev/null
DISPLAY=$display .build/release/latentvj live --seconds 12 --window-size 480 --screenshot "$work/window.png" \
    --output "shm:$work/out.shm?size=320x320" --output "srt://:$port?size=640x360" --json > "$work/events.jsonl" &
engine=$!
# Each receiver starts once its output is open, and keeps every frame as a PNG (the last is kept).
until grep -q '"name":"srt"' "$work/events.jsonl" 2>/dev/null && [ -S "$work/out.shm" ]; do
    kill -0 $engine 2>/dev/null || { echo "the engine ended early" >&2; exit 1; }; sleep 0.1
done
gst-launch-1.0 -q shmsrc socket-path="$work/out.shm" is-live=true ! video/x-raw,format=RGBx,width=320,height=320,framerate=30/1 \
    ! videoconvert ! pngenc ! multifilesink location="$work/shm-%05d.png" max-files=3 &
gst-launch-1.0 -q srtsrc uri="srt://127.0.0.1:$port?mode=caller" ! tsdemux ! h264parse ! avdec_h264 ! videoconvert \
    ! pngenc ! multifilesink location="$work/srt-%05d.png" max-files=3 &
wait $engine
last() { ls "$work"/$1-*.png | sort | tail -n 2 | head -n 1; }    # the newest complete one
ffmpeg -v error -y -i "$work/window.png" -i "$(last shm)" -i "$(last srt)" -filter_complex \
    "[0]scale=-2:360[a];[1]scale=-2:360[b];[2]scale=-2:360[c];[a]pad=iw+12:ih:0:0:gray[a2];[b]pad=iw+12:ih:0:0:gray[b2];[a2][b2][c]hstack=3" \
    -frames:v 1 -q:v 3 "$out"
echo "wrote $out"
