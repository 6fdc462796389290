#!/bin/bash
# shellcheck source-path=SCRIPTDIR
#
# run.sh - load with faults: mail through two Postfix hops and portcullis
# while one DNS list times out, another answers 127.255.255.254 and the
# milter worker is killed once; then 1,000 concurrent SMTP sessions with
# three slow DNS lists
#
# usage: bench/faults/run.sh PATH/TO/portcullis
#
# A benchmark, not a test: it prints figures and asserts nothing about
# timings. Exit status 0 when it measured, 77 when it cannot run here
# (not root, tools missing), anything else when the rig failed. See
# README.md. Run it under flock /tmp/portcullis-e2e.lock (port 53 on
# loopback, a private Postfix).
#
# What it sets up, all on loopback and torn down on any exit:
#   - fakedns_main on $BENCH_DNS_ADDR:53 serving bench.test: ok (NXDOMAIN
#     for everyone), to (never answers: "drop *.to.bench.test"), err
#     (127.255.255.254 for 127.0.0.1), s1..s3 (NXDOMAIN, every answer
#     $BENCH_SESSIONS_DELAY_MS late);
#   - three portcullis daemons: "accept" and "tempfail" ask ok, to, err
#     with dnsbl_on_error = accept / tempfail; "sessions" asks s1 s2 s3;
#   - a private Postfix (tests/e2e/lib.sh) relaying to smtp-sink, with
#     two hops per fault configuration: hop A (no milter) queues every
#     message and hands it, by content_filter, to hop B (an smtpd with
#     the daemon as smtpd_milters), which relays to the sink; what B
#     tempfails stays in the queue and A retries it (queue_run_delay and
#     minimal_backoff_time 1 s). And one smtpd (maxproc
#     $BENCH_CONCURRENT + 100) with the "sessions" daemon;
#   - all of it inside a private mount namespace (unshare --mount) where
#     /etc/resolv.conf names only the fake server.
#
# Environment: BENCH_MODE (faults, sessions or all; default all),
# BENCH_MSGS (default 2000), BENCH_SESSIONS (smtp-source sessions,
# default 20), BENCH_TEMPFAIL_MSGS (default 200, 0 skips that run),
# BENCH_DNS_TIMEOUT (default 1s), BENCH_CONCURRENT (default 1000),
# BENCH_SESSIONS_DELAY_MS (default 300), BENCH_DNS_ADDR (default
# 127.0.0.153), BENCH_DRAIN (seconds to wait for the queue to empty,
# default 180), BENCH_TIMEOUT (seconds for the measuring part, default
# 900), BENCH_KEEP=1, BENCH_VERBOSE=1.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$BENCH_DIR/../lib.sh"
bench_usage "$@"
bench_env BENCH_MODE=all BENCH_MSGS=2000 BENCH_SESSIONS=20 BENCH_TEMPFAIL_MSGS=200 \
	BENCH_DNS_TIMEOUT=1s BENCH_CONCURRENT=1000 BENCH_SESSIONS_DELAY_MS=300 \
	BENCH_DNS_ADDR=127.0.0.153 BENCH_DRAIN=180 BENCH_TIMEOUT=900

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	bench_require gcc pkg-config unshare mount python3 smtp-source smtp-sink postsuper
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	case $BENCH_MODE in
	faults | sessions | all) ;;
	*) echo "bench: BENCH_MODE must be faults, sessions or all" >&2; exit 2 ;;
	esac
	bench_number BENCH_MSGS "$BENCH_MSGS" 20 100000
	bench_number BENCH_SESSIONS "$BENCH_SESSIONS" 1 100
	bench_number BENCH_TEMPFAIL_MSGS "$BENCH_TEMPFAIL_MSGS" 0 10000
	bench_number BENCH_CONCURRENT "$BENCH_CONCURRENT" 1 5000
	bench_number BENCH_SESSIONS_DELAY_MS "$BENCH_SESSIONS_DELAY_MS" 0 10000
	bench_number BENCH_DRAIN "$BENCH_DRAIN" 10 3600
	bench_reexec --mount -- "$@"
fi

E2E_NAME=bench-faults
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

ORIGIN=bench.test

# write_conf FILE ON_ERROR DNS_TIMEOUT SITES... - a portcullis config with these lists
write_conf() {
	local file=$1 on_error=$2 timeout=$3 c
	shift 3
	{
		echo "# bench/faults/run.sh"
		echo "dns_servers = $BENCH_DNS_ADDR:53"
		echo "dns_timeout = $timeout"
		echo "spf_verify = no"
		# hop A (127.0.0.1) and XCLIENT's 10.77.x.y are looked up
		echo "internal_networks = 192.0.2.255/32"
		echo "dnsbl_skip_local = no"
		echo "dnsbl_on_error = $on_error"
		for c in required invalid non_fqdn bare_ip literal_mismatch impersonation; do
			echo "helo_${c}_action = accept"
		done
		echo "dnsbl_sites = $*"
	} >"$file"
	chmod 644 "$file"
}

# Hop A retries within the run: a queue run every second, a deferred
# message is due again after 1..2 s.
bench_setup --main 'milter_content_timeout = 30s' \
	--main 'queue_run_delay = 1s' \
	--main 'minimal_backoff_time = 1s' \
	--main 'maximal_backoff_time = 2s' \
	--main 'bounce_queue_lifetime = 1h' \
	--main 'maximal_queue_lifetime = 1h'
W=$BENCH_WORK
bench_build_fakedns
{
	echo "\$ORIGIN $ORIGIN."
	echo "\$TTL 300"
	echo "@ IN SOA ns.$ORIGIN. admin.$ORIGIN. 1 3600 600 86400 300"
	echo "ns IN A $BENCH_DNS_ADDR"
	# the "err" list answers its error code for hop A's address
	echo "1.0.0.127.err IN A 127.255.255.254"
} >"$W/zone"
bench_resolv_conf 2

read -r P_A1 P_B1 P_A2 P_B2 P_C <<<"$(_e2e_free_ports 5)"
SOCKDIR=$E2E_WORK/milter
FAULT_SITES=("ok.$ORIGIN" "to.$ORIGIN" "err.$ORIGIN")
write_conf "$W/accept.conf" accept "$BENCH_DNS_TIMEOUT" "${FAULT_SITES[@]}"
write_conf "$W/tempfail.conf" tempfail "$BENCH_DNS_TIMEOUT" "${FAULT_SITES[@]}"
write_conf "$W/sessions.conf" tempfail 5s s1.$ORIGIN s2.$ORIGIN s3.$ORIGIN
for c in accept tempfail sessions; do
	"$PORTCULLIS" -n -c "$W/$c.conf" || { echo "bench: bad portcullis config $c" >&2; exit 1; }
done
BENCH_SOCKETS=()
for c in accept tempfail sessions; do
	case $BENCH_MODE:$c in faults:sessions | sessions:accept | sessions:tempfail) continue ;; esac
	bench_start_portcullis "$c" "unix:$SOCKDIR/$c.sock" "$W/$c.conf"
	BENCH_SOCKETS+=("unix:$SOCKDIR/$c.sock")
done
MAXPROC=$((BENCH_CONCURRENT + 100))
cat >>"$E2E_CONF/master.cf" <<EOF
# bench/faults/run.sh: hop A (no milter) -> hop B (portcullis) -> sink
127.0.0.1:$P_A1 inet n - n - - smtpd -o content_filter=smtp:[127.0.0.1]:$P_B1
127.0.0.1:$P_B1 inet n - n - - smtpd -o smtpd_milters=unix:$SOCKDIR/accept.sock
127.0.0.1:$P_A2 inet n - n - - smtpd -o content_filter=smtp:[127.0.0.1]:$P_B2
127.0.0.1:$P_B2 inet n - n - - smtpd -o smtpd_milters=unix:$SOCKDIR/tempfail.sock
# concurrent sessions straight to portcullis
127.0.0.1:$P_C inet n - n - $MAXPROC smtpd -o smtpd_milters=unix:$SOCKDIR/sessions.sock
EOF
# shellcheck disable=SC2119 # no main.cf change: a restart
e2e_postfix_reconfigure >/dev/null
for p in $P_A1 $P_B1 $P_A2 $P_B2 $P_C; do
	_e2e_wait_until 10 _e2e_banner "$p" || { echo "bench: no smtpd on 127.0.0.1:$p" >&2; tail -n 20 "$E2E_MAILLOG" >&2; exit 1; }
done
bench_wait_milters portcullis portcullis

bench_measure python3 "$BENCH_DIR/faults.py" \
	--fakedns "$W/fakedns_main" --dns "$BENCH_DNS_ADDR:53" --zone "$W/zone" \
	--pidfile "$W/fakedns.pid" --k 1 --mode "$BENCH_MODE" \
	--msgs "$BENCH_MSGS" --sessions "$BENCH_SESSIONS" \
	--tempfail-msgs "$BENCH_TEMPFAIL_MSGS" --concurrent "$BENCH_CONCURRENT" \
	--sessions-delay-ms "$BENCH_SESSIONS_DELAY_MS" --drain "$BENCH_DRAIN" \
	--sink "$E2E_SINK_DIR" --sink-pid "$E2E_SINK_PID" \
	--maillog "$E2E_MAILLOG" --postfix-conf "$E2E_CONF" --queue "$E2E_WORK/queue" \
	--origin "$ORIGIN" \
	--faults "accept=$P_A1:$P_B1:${BENCH_PGID[accept]:-0}:$W/portcullis.accept.log" \
	--faults "tempfail=$P_A2:$P_B2:${BENCH_PGID[tempfail]:-0}:$W/portcullis.tempfail.log" \
	--concurrent-service "$P_C:${BENCH_PGID[sessions]:-0}:$W/portcullis.sessions.log"
exit  # faults.py's status
