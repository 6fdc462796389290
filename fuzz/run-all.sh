#!/bin/sh
# run-all.sh - run every libFuzzer target of a build for a short time,
# each on a scratch copy of its committed seed corpus (fuzz/corpus/), so
# the tree stays clean. Exits non-zero at the first crash, leak,
# sanitizer report or timeout, after printing the fuzzer's report. The
# mutations follow a fixed seed (FUZZ_SEED), so that CI runs the same
# inputs every time (as many as the machine gets through in the time):
# a longer or another-seed run is how new bugs are looked for.
#   fuzz/run-all.sh BUILDDIR [SECONDS-PER-TARGET]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: run-all.sh BUILDDIR [SECONDS]}" && pwd)
secs=${2:-20}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/pcl-fuzz-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

for corpus in "$top"/fuzz/corpus/*/; do
	t=$(basename "$corpus")
	mkdir -p "$scratch/$t/corpus" "$scratch/$t/artifacts"
	cp "$corpus"* "$scratch/$t/corpus/"
	if ! (cd "$scratch/$t" && "$build/fuzz/fuzz_$t" \
				-max_total_time="$secs" -seed="${FUZZ_SEED:-6376}" \
		-rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$scratch/$t/artifacts/" \
		"$scratch/$t/corpus" >"$scratch/$t/log" 2>&1); then
		echo "fuzz_$t: FAILED"
		tail -n 60 "$scratch/$t/log"
		for a in "$scratch/$t/artifacts/"*; do
			[ -f "$a" ] && echo "input (base64):" && base64 "$a" | head -c 4000
		done
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/$t/log")
	echo "fuzz_$t: ok, $runs runs in ${secs}s ($rate/s)"
done
