#!/bin/bash
# shellcheck source-path=SCRIPTDIR
#
# deadlist.sh - DNS list benchmark, throughput with a dead list: messages
# per second through Postfix and portcullis with three lists, all healthy
# or one never answering, under smtp-source load from one clean client
#
# usage: bench/dnsbl/deadlist.sh PATH/TO/portcullis
#
# A benchmark, not a test: it prints figures and asserts nothing about
# them. Exit status 0 when it measured, 77 when it cannot run here (not
# root, tools missing), anything else when the rig failed. See README.md
# ("Dead list").
#
# What it sets up, all on loopback and torn down on any exit:
#   - fakedns_main on $BENCH_DNS_ADDR:53 serving list1..list4.bench.test,
#     where the client (127.0.0.1) is listed nowhere (NXDOMAIN), and
#     list3 never answers (measure: "drop *.list3.bench.test");
#   - three portcullis daemons, dnsbl_on_error = accept,
#     dns_timeout = $BENCH_DNS_TIMEOUT: "healthy" asks list1 list2 list4,
#     "dead" list1 list2 list3, "dead-old" the same with
#     dns_list_down_after = 0 (no list health: as before it existed);
#   - a private Postfix (tests/e2e/lib.sh) relaying to smtp-sink, one
#     smtpd per daemon; inside a private mount namespace.
#
# Environment: BENCH_K (rounds, default 3), BENCH_MSGS (messages per run,
# default 2000), BENCH_OLD_MSGS (messages per "dead-old" run, default
# 200, 0 to skip it), BENCH_SESSIONS (default 20), BENCH_DNS_TIMEOUT
# (default 1s), BENCH_DNS_ADDR (default 127.0.0.153), BENCH_TIMEOUT
# (seconds for the measuring part, default 900), BENCH_KEEP=1.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$BENCH_DIR/../lib.sh"
bench_usage "$@"
bench_env BENCH_K=3 BENCH_MSGS=2000 BENCH_OLD_MSGS=200 BENCH_SESSIONS=20 \
	BENCH_DNS_TIMEOUT=1s BENCH_DNS_ADDR=127.0.0.153 BENCH_TIMEOUT=900

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	bench_require gcc pkg-config unshare mount python3 smtp-source smtp-sink
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	bench_number BENCH_K "$BENCH_K" 1 20
	bench_number BENCH_MSGS "$BENCH_MSGS" 50 100000
	bench_number BENCH_OLD_MSGS "$BENCH_OLD_MSGS" 0 100000
	bench_number BENCH_SESSIONS "$BENCH_SESSIONS" 1 100
	bench_reexec --mount -- "$@"
fi

E2E_NAME=bench-deadlist
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

ORIGIN=bench.test

# bench_write_conf FILE EXTRA SITES... - a portcullis config with these lists
bench_write_conf() {
	local file=$1 extra=$2
	shift 2
	{
		echo "# bench/dnsbl/deadlist.sh"
		echo "dns_servers = $BENCH_DNS_ADDR:53"
		echo "dns_timeout = $BENCH_DNS_TIMEOUT"
		echo "spf_verify = no"
		# smtp-source connects from 127.0.0.1: look it up
		echo "internal_networks = 192.0.2.255/32"
		echo "dnsbl_skip_local = no"
		echo "dnsbl_on_error = accept"
		local c
		for c in required invalid non_fqdn bare_ip literal_mismatch impersonation; do
			echo "helo_${c}_action = accept"
		done
		[ -n "$extra" ] && echo "$extra"
		echo "dnsbl_sites = $*"
	} >"$file"
	chmod 644 "$file"
}

bench_setup --main 'milter_content_timeout = 30s'
W=$BENCH_WORK
bench_build_fakedns
{
	echo "\$ORIGIN $ORIGIN."
	echo "\$TTL 300"
	echo "@ IN SOA ns.$ORIGIN. admin.$ORIGIN. 1 3600 600 86400 300"
	echo "ns IN A $BENCH_DNS_ADDR"
} >"$W/zone"
bench_resolv_conf 2

read -r P_H P_D P_O <<<"$(_e2e_free_ports 3)"
SOCKDIR=$E2E_WORK/milter
BENCH_SOCKETS=("unix:$SOCKDIR/healthy.sock" "unix:$SOCKDIR/dead.sock" "unix:$SOCKDIR/dead-old.sock")
bench_write_conf "$W/healthy.conf" "" list1.$ORIGIN list2.$ORIGIN list4.$ORIGIN
bench_write_conf "$W/dead.conf" "" list1.$ORIGIN list2.$ORIGIN list3.$ORIGIN
bench_write_conf "$W/dead-old.conf" "dns_list_down_after = 0" list1.$ORIGIN list2.$ORIGIN list3.$ORIGIN
"$PORTCULLIS" -n -c "$W/dead.conf" || { echo "bench: bad portcullis config" >&2; exit 1; }
bench_start_portcullis healthy "unix:$SOCKDIR/healthy.sock" "$W/healthy.conf"
bench_start_portcullis dead "unix:$SOCKDIR/dead.sock" "$W/dead.conf"
bench_start_portcullis dead-old "unix:$SOCKDIR/dead-old.sock" "$W/dead-old.conf"
cat >>"$E2E_CONF/master.cf" <<EOF
# bench/dnsbl/deadlist.sh: one smtpd per daemon
127.0.0.1:$P_H inet n - n - - smtpd -o smtpd_milters=unix:$SOCKDIR/healthy.sock
127.0.0.1:$P_D inet n - n - - smtpd -o smtpd_milters=unix:$SOCKDIR/dead.sock
127.0.0.1:$P_O inet n - n - - smtpd -o smtpd_milters=unix:$SOCKDIR/dead-old.sock
EOF
# shellcheck disable=SC2119 # no main.cf change: a restart
e2e_postfix_reconfigure >/dev/null
for p in $P_H $P_D $P_O; do
	_e2e_wait_until 10 _e2e_banner "$p" || { echo "bench: no smtpd on 127.0.0.1:$p" >&2; tail -n 20 "$E2E_MAILLOG" >&2; exit 1; }
done
bench_wait_milters portcullis portcullis

bench_measure python3 "$BENCH_DIR/deadlist.py" \
	--fakedns "$W/fakedns_main" --dns "$BENCH_DNS_ADDR:53" --zone "$W/zone" \
	--pidfile "$W/fakedns.pid" --k "$BENCH_K" --msgs "$BENCH_MSGS" \
	--old-msgs "$BENCH_OLD_MSGS" --sessions "$BENCH_SESSIONS" \
	--sink "$E2E_SINK_DIR" --sink-pid "$E2E_SINK_PID" \
	--dead "*.list3.$ORIGIN" \
	--service "healthy=$P_H:$W/portcullis.healthy.log" \
	--service "dead=$P_D:$W/portcullis.dead.log" \
	--service "dead-old=$P_O:$W/portcullis.dead-old.log"
exit  # deadlist.py's status
