#!/usr/bin/env bash
# The pictures of Docs/control.md: the web control surface in headless Chromium at a phone's and a
# tablet's size, controlling a running engine (the demo track, the shipped presets).
# Usage: scripts/web-surface-screenshots.sh [FOLDER]   (default Docs/images)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-Docs/images}
work=$(mktemp -d)
port=$(( 30000 + RANDOM % 20000 ))
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
swift build -c release --product latentvj >/dev/null
.build/release/latentvj live --headless --osc-port 0 --oscquery-port "$port" --preset journey --json > "$work/events.jsonl" &
until grep -q '"event":"started"' "$work/events.jsonl" 2>/dev/null; do sleep 0.1; done
url="http://127.0.0.1:$port/"
ready="document.getElementById('conn').className === 'ok' && window.lvjStats.previews >= 5 && window.lvjStats.status >= 300 && document.getElementById('bpm').textContent !== '0.0'"
python3 Tests/CLITests/Scripts/web_surface.py > "$work/answers.jsonl" <<JSON
{"op": "open", "client": "phone", "url": "$url", "width": 390, "height": 844}
{"op": "open", "client": "tablet", "url": "$url", "width": 1180, "height": 820}
{"op": "wait", "client": "phone", "expression": "$ready", "timeout": 120}
{"op": "wait", "client": "tablet", "expression": "$ready", "timeout": 120}
{"op": "shot", "client": "phone", "path": "$PWD/$out/web-surface-phone.png"}
{"op": "shot", "client": "tablet", "path": "$PWD/$out/web-surface-tablet.png"}
{"op": "quit"}
JSON
if grep -q '"ok": false' "$work/answers.jsonl"; then cat "$work/answers.jsonl" >&2; exit 1; fi
echo "wrote $out/web-surface-phone.png and $out/web-surface-tablet.png"
