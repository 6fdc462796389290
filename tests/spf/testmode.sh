#!/bin/sh
# testmode.sh - the RFC 7208 conformance suite through "portcullis -t"
#
# usage: tests/spf/testmode.sh [--tap] [PORTCULLIS [SPF_SUITE_BINARY [TEST ...]]]
#
# run.sh with every test sent through the daemon's test mode (a
# configuration pointing dns_servers at the scenario's fakedns, one
# portcullis process per test; see spf_suite.c and spf_testmode.c for
# what is compared): "SPF conformance (portcullis -t): N/203 passed",
# the same minimum ($SPF_MIN, default 200), the same exit statuses and
# TAP output. The daemon is the first argument, else $PORTCULLIS, else
# ./portcullis.
set -u

here=$(cd "$(dirname "$0")" && pwd)
tap=
if [ "${1:-}" = "--tap" ]; then
	tap=--tap
	shift
fi
SPF_PORTCULLIS=${1:-${PORTCULLIS:-./portcullis}}
[ $# -gt 0 ] && shift
case $SPF_PORTCULLIS in
/*) ;;
*) SPF_PORTCULLIS=$(pwd)/$SPF_PORTCULLIS ;;
esac
export SPF_PORTCULLIS
exec "$here/run.sh" $tap "$@"
