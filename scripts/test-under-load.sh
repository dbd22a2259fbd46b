#!/usr/bin/env bash
# The test suite while another process keeps one core busy (stress-ng --cpu 1), as a VJ's laptop is
# while a browser or a second program runs. The suite must pass the same: no test depends on speed.
# Usage: scripts/test-under-load.sh [swift test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v stress-ng >/dev/null || { echo "stress-ng is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
stress-ng --cpu 1 --cpu-method matrixprod --timeout 3h --quiet &
load=$!
trap 'kill $load 2>/dev/null || true; wait $load 2>/dev/null || true' EXIT
echo "test-under-load: stress-ng (pid $load) keeps one core busy" >&2
status=0
scripts/run-tests.sh "$@" || status=$?
exit $status
