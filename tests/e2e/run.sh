#!/bin/bash
#
# run.sh - run the end-to-end tests against a portcullis binary
#
# usage: tests/e2e/run.sh PORTCULLIS_BINARY [t_name.sh ...]
#
# Runs every tests/e2e/t_*.sh (or the ones named), each as its own bash
# process under a time limit. A test normally builds its own private Postfix
# instance; one that calls "e2e_setup --shared" reuses a single instance that
# this script creates first and removes at the end. Prints each test's
# "ok -" / "not ok -" lines, then exactly one line "N passed, N failed" and
# exits non-zero if anything failed. Exits 77 (skip) unless run as root with
# Postfix, swaks and python3 installed.
#
# Environment: E2E_KEEP=1 keeps work directories; E2E_TEST_TIMEOUT (seconds
# per test file, default 900); E2E_SLACK_MS (mail.sh); the tunables at the top of lib.sh.

# "make e2e" runs this with $(SHELL), which may be a plain sh.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

E2E_DIR=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 1 ]; then
	echo "usage: $0 PORTCULLIS_BINARY [t_name.sh ...]" >&2
	exit 2
fi
PORTCULLIS=$(realpath -m -- "$1")
export PORTCULLIS
shift

# shellcheck source=lib.sh
. "$E2E_DIR/lib.sh"
e2e_require

# A guard against a hung test, not a time budget: a loaded machine (load
# average 10, sanitizers) takes several times as long as an idle one.
: "${E2E_TEST_TIMEOUT:=900}"
if [ ! -x "$PORTCULLIS" ]; then
	echo "# warning: $PORTCULLIS is not executable; tests that start it will fail"
fi

# tests_to_run NAME... - print the test scripts to run, in order
tests_to_run() {
	local t
	if [ $# -eq 0 ]; then
		printf '%s\n' "$E2E_DIR"/t_*.sh
		return
	fi
	for t in "$@"; do
		t=$(basename "$t")
		[ -f "$E2E_DIR/$t" ] || { echo "run.sh: no such test: $t" >&2; exit 2; }
		printf '%s\n' "$E2E_DIR/$t"
	done
}

# run_one SCRIPT - run one test file, add its results to the totals
run_one() {
	local t=$1 name log rc start ms pass fail
	name=$(basename "$t")
	log=$(mktemp "${TMPDIR:-/tmp}/portcullis-e2e-out.XXXXXX")
	echo "# $name"
	start=$(_e2e_now_ms)
	# -k: give teardown (trap on SIGTERM) time to stop Postfix before SIGKILL.
	timeout -k 30 "$E2E_TEST_TIMEOUT" bash "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	ms=$(($(_e2e_now_ms) - start))
	pass=$(grep -c '^ok - ' "$log")
	fail=$(grep -c '^not ok - ' "$log")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok - $name: timed out after ${E2E_TEST_TIMEOUT}s"
		fail=$((fail + 1))
	elif [ "$rc" -eq 77 ]; then
		echo "# $name: skipped"
	elif [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "not ok - $name: exited with status $rc"
		fail=$((fail + 1))
	elif [ "$rc" -eq 0 ] && [ "$pass" -eq 0 ]; then
		echo "not ok - $name: made no assertions"
		fail=$((fail + 1))
	fi
	printf '# %s: %d.%03ds\n' "$name" $((ms / 1000)) $((ms % 1000))
	TOTAL_PASS=$((TOTAL_PASS + pass))
	TOTAL_FAIL=$((TOTAL_FAIL + fail))
	rm -f "$log"
}

TOTAL_PASS=0
TOTAL_FAIL=0
mapfile -t TESTS < <(tests_to_run "$@") || exit 2

# One shared instance, only if some test asks for it.
if grep -lq -- '^[[:space:]]*e2e_setup .*--shared' "${TESTS[@]}"; then
	E2E_NAME=shared e2e_setup
	export E2E_SHARED_ENV=$E2E_WORK/env
fi

for t in "${TESTS[@]}"; do
	run_one "$t"
done

echo "$TOTAL_PASS passed, $TOTAL_FAIL failed"
[ "$TOTAL_FAIL" -eq 0 ]
