#!/usr/bin/env bash
# The test suite as CI runs it (release build, XCTest), bounded as a whole: every test has its own
# time limit (Tests/TestSupport/TimeLimitedTestCase.swift), and the run itself is ended after
# LVJ_SUITE_LIMIT seconds (default 45 minutes), so a hang can never hold CI to its own limit.
# Usage: scripts/run-tests.sh [swift test arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
limit=${LVJ_SUITE_LIMIT:-2700}
started=$(date +%s)
status=0
timeout --signal=TERM --kill-after=60 "$limit" swift test -c release --disable-swift-testing "$@" || status=$?
echo "test suite: $(( $(date +%s) - started )) s wall, exit $status" >&2
[ $status -eq 124 ] && echo "test suite: ended after $limit s (LVJ_SUITE_LIMIT)" >&2
exit $status
