#!/usr/bin/env bash
# Runs a command against a private JACK server: jackd -d dummy -r 48000 -p 256 under a unique name
# (so it cannot collide with anyone else's server on the machine), exported as JACK_DEFAULT_SERVER for
# the command and every JACK client it starts. The server is stopped when the command ends, whatever
# happens. Usage: scripts/with-jackd.sh [-r RATE] [-p PERIOD] COMMAND [ARGS...]
#   scripts/with-jackd.sh swift run -c release latentvj bench live
set -euo pipefail

rate=48000 period=256
while getopts "r:p:" opt; do
    case $opt in
        r) rate=$OPTARG ;;
        p) period=$OPTARG ;;
        *) echo "usage: $0 [-r RATE] [-p PERIOD] COMMAND [ARGS...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-r RATE] [-p PERIOD] COMMAND [ARGS...]" >&2; exit 2; }

for tool in jackd jack_lsp; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (Debian: apt-get install jackd2)" >&2; exit 1; }
done

export JACK_DEFAULT_SERVER="lvj-$$-$RANDOM"
export JACK_NO_AUDIO_RESERVATION=1
log=$(mktemp -t "$JACK_DEFAULT_SERVER.XXXX.log")
jackd -n "$JACK_DEFAULT_SERVER" -d dummy -r "$rate" -p "$period" >"$log" 2>&1 &
server=$!
stop() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -f "$log"
}
trap stop EXIT

for _ in $(seq 100); do
    jack_lsp >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { echo "jackd exited:" >&2; cat "$log" >&2; exit 1; }
    sleep 0.1
done
jack_lsp >/dev/null 2>&1 || { echo "jackd did not answer within 10 s:" >&2; cat "$log" >&2; exit 1; }

echo "JACK server $JACK_DEFAULT_SERVER: dummy, $rate Hz, $period frames" >&2
status=0
"$@" || status=$?
exit $status
