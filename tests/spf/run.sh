#!/bin/sh
# run.sh - the RFC 7208 conformance suite against lib/auth/spf*.c
#
# usage: tests/spf/run.sh [--tap] [SPF_SUITE_BINARY [TEST ...]]
#
# Converts the suite python3-spf ships (read where it is installed, never
# copied here) with suite2cases.py, then runs spf_suite on it: one line
# per test, then "SPF conformance: N/203 passed". Exits 1 when fewer
# than $SPF_MIN (default 200) pass, 77 (skip) when python3-yaml or
# python3-spf is missing, 99 on a hard error.
#
# The binary is the first argument, else $SPF_SUITE, else
# tests/spf/spf_suite under the current directory; when none exists it
# is compiled from the sources next to this script with $CC (default
# cc) and pkg-config's ldns flags, against a configured tree's
# config.h ($SPF_BUILDDIR, default the source tree).
#
# --tap (or SPF_TAP=1): TAP for automake's tap-driver.sh instead: one
# test point for the threshold, every failure as a "#" line, and
# "1..0 # SKIP" with status 0 when a package is missing.
#
# SPF_PORTCULLIS=PATH: every test through the test mode of that daemon
# binary (spf_suite -p, one "PATH -t" per test) instead of the
# evaluator; tests/spf/testmode.sh sets it. Same minimum.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
suite=${SPF_SUITE_YML:-/usr/share/doc/python3-spf/rfc7208-tests.yml.gz}
min=${SPF_MIN:-200}
tap=${SPF_TAP:-0}
portcullis=${SPF_PORTCULLIS:-}
if [ "${1:-}" = "--tap" ]; then
	tap=1
	shift
fi

# skip - a package is missing
skip() {
	if [ "$tap" = 1 ]; then
		echo "1..0 # SKIP $1"
		exit 0
	fi
	echo "run.sh: $1: skipped" >&2
	exit 77
}

# fail_hard - not a test failure: the harness itself broke
fail_hard() {
	if [ "$tap" = 1 ]; then
		echo "Bail out! $1"
	else
		echo "run.sh: $1" >&2
	fi
	exit 99
}

# A python3 with yaml: a pyenv or venv shim may hide Debian's modules.
python=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 &&
		"$p" -c 'import yaml' >/dev/null 2>&1; then
		python=$p
		break
	fi
done
[ -n "$python" ] || skip "python3-yaml is not installed"
[ -r "$suite" ] || skip "python3-spf is not installed (no $suite)"

work=$(mktemp -d "${TMPDIR:-/tmp}/spf-suite.XXXXXX") ||
	fail_hard "cannot make a temporary directory"
trap 'rm -rf "$work"' EXIT INT TERM

bin=${1:-${SPF_SUITE:-tests/spf/spf_suite}}
[ $# -gt 0 ] && shift
if [ ! -x "$bin" ]; then
	builddir=${SPF_BUILDDIR:-$top}
	[ -r "$builddir/config.h" ] ||
		fail_hard "no spf_suite binary and no config.h in $builddir (configure first)"
	bin=$work/spf_suite
	# shellcheck disable=SC2046 # pkg-config output is word-split on purpose
	"${CC:-cc}" -std=gnu11 -O1 -I"$builddir" -I"$top/lib/core" \
		-I"$top/lib/dns" -I"$top/lib/auth" \
		"$top"/lib/core/util.c "$top"/lib/core/addr.c "$top"/lib/core/log.c \
		"$top"/lib/dns/dns.c "$top"/lib/dns/dns_batch.c \
		"$top"/lib/dns/dns_cache.c "$top"/lib/dns/dns_health.c \
		"$top"/lib/dns/dns_query.c "$top"/lib/dns/dns_wire.c \
		"$top"/lib/auth/spf*.c \
		"$top/tests/unit/fakedns.c" "$top/tests/unit/fakedns_knobs.c" \
		"$top/tests/unit/fakedns_zone.c" "$here/spf_suite.c" \
		"$here/spf_testmode.c" \
		$(pkg-config --cflags --libs ldns) -lpthread -o "$bin" ||
		fail_hard "cannot build spf_suite"
fi

"$python" "$here/suite2cases.py" "$suite" >"$work/cases.txt" ||
	fail_hard "suite2cases.py failed"

if [ -n "$portcullis" ]; then
	[ -x "$portcullis" ] || fail_hard "no portcullis binary at $portcullis"
	set -- -p "$portcullis" "$work/cases.txt" "$@"
else
	set -- "$work/cases.txt" "$@"
fi
"$bin" -m "$min" "$@" >"$work/out.txt" 2>&1
status=$?
if [ "$tap" != 1 ]; then
	cat "$work/out.txt"
	[ $status -le 1 ] || exit 99
	exit $status
fi
summary=$(grep '^SPF conformance' "$work/out.txt")
if [ -z "$summary" ] || [ $status -gt 1 ]; then
	sed 's/^/# /' "$work/out.txt"
	fail_hard "spf_suite did not finish (status $status)"
fi
echo "1..1"
# failures, and passes with a note (a non-preferred result, case)
grep -v -e '^ok [^ ]*$' -e '^SPF conformance' "$work/out.txt" |
	sed 's/^/# /'
if [ $status -eq 0 ]; then
	echo "ok 1 - $summary (at least $min)"
else
	echo "not ok 1 - $summary (at least $min)"
fi
exit 0
