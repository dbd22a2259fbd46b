#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (Swift's -sanitize=fuzzer, with AddressSanitizer).
#   scripts/fuzz.sh [-t SECONDS] [TARGET...]      default: 60 s each, every target
# Targets: wav pickle safetensors osc midi mapping preset envelope patch (Fuzz/FuzzTargets).
# Seeds: the shipped fixtures, mappings, presets and envelope networks, plus made ones (latentvj-fuzz seeds).
# Each target's corpus grows in .build-fuzz/corpus/TARGET; a crash is written to Fuzz/crashes/TARGET-*
# and the script fails: copy it into Fuzz/regressions/TARGET/ (the regression tests replay that folder).
# Prints, per target: executions, corpus size, coverage, and findings.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while getopts "t:" opt; do
    case $opt in
        t) seconds=$OPTARG ;;
        *) echo "usage: $0 [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wav pickle safetensors osc oscdatagram midi mapping preset envelope patch)

scratch=.build-fuzz
echo "fuzz: building latentvj-fuzz with -sanitize=fuzzer,address (into $scratch)" >&2
swift build -c release --product latentvj-fuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld 2>&1 | grep -E "error|warning: unre|Compiling|Build" >&2 || true
fuzzer="$scratch/release/latentvj-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz: the fuzzing build failed" >&2; exit 1; }
swift build -c release --product latentvj-fuzz >/dev/null     # the plain build writes the made seeds
seeder=.build/release/latentvj-fuzz

seed_files() {
    case $1 in
        wav) ls Tests/FeaturesTests/Fixtures/librosa/*.wav ;;
        pickle) ls Tests/StyleGANTests/Fixtures/stylegan2/*.pkl ;;
        mapping) ls Mappings/*.yaml ;;
        preset) ls Presets/*.preset.yaml ;;
        envelope) ls Presets/*.envelope ;;
    esac
}

mkdir -p Fuzz/crashes
status=0
summary=()
for t in "${targets[@]}"; do
    corpus="$scratch/corpus/$t"
    mkdir -p "$corpus"
    for f in $(seed_files "$t"); do cp "$f" "$corpus/seed-$(basename "$f")"; done
    "$seeder" seeds "$t" "$corpus"
    [ -d "Fuzz/regressions/$t" ] && cp Fuzz/regressions/"$t"/* "$corpus/" 2>/dev/null || true
    log="$scratch/$t.log"
    echo "fuzz: $t for ${seconds} s" >&2
    set +e
    LVJ_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$fuzzer" "$corpus" \
        -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
        -artifact_prefix="Fuzz/crashes/$t-" >"$log" 2>&1
    code=$?
    set -e
    execs=$(grep -E "^stat::number_of_executed_units" "$log" | awk '{print $2}')
    cov=$(grep -E "#[0-9]+.*(DONE|pulse|NEW|REDUCE)" "$log" | tail -1 | grep -oE "cov: [0-9]+" || true)
    files=$(ls "$corpus" | wc -l)
    if [ $code -eq 0 ]; then finding="no crash"; else finding="CRASH (exit $code): $(ls -t Fuzz/crashes/"$t"-* 2>/dev/null | head -1)"; status=1; fi
    summary+=("$(printf '%-12s %10s executions  %4s corpus files  %-10s %s' "$t" "${execs:-?}" "$files" "${cov:-}" "$finding")")
done
echo
printf '%s\n' "${summary[@]}"
exit $status
