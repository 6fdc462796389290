#!/bin/bash
# shellcheck source-path=SCRIPTDIR
#
# run.sh - DNS list benchmark: latency portcullis adds with N lists that
# each answer after D ms, against Postfix's own reject_rbl_client
#
# usage: bench/dnsbl/run.sh PATH/TO/portcullis
#
# A benchmark, not a test: it prints figures and asserts nothing about
# them. Exit status 0 when it measured, 77 when it cannot run here (not
# root, tools missing), anything else when the rig failed. See README.md.
#
# What it sets up, all on loopback and torn down on any exit:
#   - fakedns_main (bench/dnsbl/fakedns_main.c + tests/unit/fakedns.c,
#     compiled into the work directory) on $BENCH_DNS_ADDR:53, every
#     answer delayed by $BENCH_DELAY_MS;
#   - a private Postfix (tests/e2e/lib.sh) with one smtpd per
#     configuration: no milter (the baseline), portcullis with 0, 1 and 5
#     lists over a unix socket and over inet:, and reject_rbl_client with
#     1 and 5 lists (also with max_use=1: a new smtpd every session);
#   - six portcullis daemons (N = 0, 1, 5; unix and inet);
#   - all of it inside a private mount namespace (unshare --mount) where
#     /etc/resolv.conf is a bind mount naming only the fake server, so
#     Postfix's libc resolver asks it; the system's resolv.conf is not
#     touched.
#
# Environment: BENCH_K (runs per figure, default 11, at most 20),
# BENCH_DELAY_MS (default 100), BENCH_DNS_ADDR (default 127.0.0.153;
# port 53), BENCH_KEEP=1 (keep the work directory), BENCH_TIMEOUT
# (seconds for the measuring part, default 150).

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$BENCH_DIR/../lib.sh"
bench_usage "$@"
bench_env BENCH_K=11 BENCH_DELAY_MS=100 BENCH_DNS_ADDR=127.0.0.153 BENCH_TIMEOUT=150

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	bench_require gcc pkg-config unshare mount python3
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	bench_number BENCH_K "$BENCH_K" 1 20
	# A private mount namespace, for the bind mount over /etc/resolv.conf.
	bench_reexec --mount -- "$@"
fi

E2E_NAME=bench-dnsbl
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

# bench_write_conf FILE SITES... - a portcullis config asking the fake server for these lists
bench_write_conf() {
	local file=$1
	shift
	{
		echo "# bench/dnsbl: $# list(s)"
		echo "dns_servers = $BENCH_DNS_ADDR:53"
		# only the DNS lists are measured: SPF would add its own
		# (delayed) lookups at MAIL
		echo "spf_verify = no"
		[ $# -gt 0 ] && echo "dnsbl_sites = $*"
	} >"$file"
	chmod 644 "$file"
}

# The fake server's address must be free (another test's DNS server may
# sit on 127.0.0.53): try to bind it, UDP and TCP.
if ! python3 - "$BENCH_DNS_ADDR" <<'EOF'
import socket, sys
for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    if kind == socket.SOCK_STREAM:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((sys.argv[1], 53))
    except OSError as e:
        sys.exit("bench: cannot bind %s:53 (%s); set BENCH_DNS_ADDR to "
                 "another 127.0.0.x" % (sys.argv[1], e.strerror))
    finally:
        s.close()
EOF
then
	exit 1
fi

# bench_rbl_1 and bench_rbl_5: the restrictions of the reject_rbl_client
# services below.
ORIGIN=bench.test
LISTS="list1.$ORIGIN list2.$ORIGIN list3.$ORIGIN list4.$ORIGIN list5.$ORIGIN"
LIST1="list5.$ORIGIN"
# shellcheck disable=SC2086 # one word per list
bench_setup \
	--main "bench_rbl_1 = reject_rbl_client $LIST1" \
	--main "bench_rbl_5 = $(printf 'reject_rbl_client %s, ' $LISTS | sed 's/, $//')"

# The delaying DNS server, built from the unit tests' fakedns.
bench_build_fakedns

# Postfix's libc resolver: only the fake server, in this namespace only.
bench_resolv_conf 5

# Ports: 11 smtpd services, 3 inet milters.
read -r P_B0 P_U0 P_U1 P_U5 P_I0 P_I1 P_I5 P_PF1 P_PF5 P_PX1 P_PX5 M_I0 M_I1 M_I5 <<<"$(_e2e_free_ports 14)"
SOCKDIR=$E2E_WORK/milter
BENCH_SOCKETS=(
	"unix:$SOCKDIR/n0.sock" "unix:$SOCKDIR/n1.sock" "unix:$SOCKDIR/n5.sock"
	"inet:127.0.0.1:$M_I0" "inet:127.0.0.1:$M_I1" "inet:127.0.0.1:$M_I5"
)
bench_write_conf "$BENCH_WORK/n0.conf"
bench_write_conf "$BENCH_WORK/n1.conf" "$LIST1"
# shellcheck disable=SC2086 # one word per list
bench_write_conf "$BENCH_WORK/n5.conf" $LISTS
bench_start_portcullis u0 "unix:$SOCKDIR/n0.sock" "$BENCH_WORK/n0.conf"
bench_start_portcullis u1 "unix:$SOCKDIR/n1.sock" "$BENCH_WORK/n1.conf"
bench_start_portcullis u5 "unix:$SOCKDIR/n5.sock" "$BENCH_WORK/n5.conf"
bench_start_portcullis i0 "inet:$M_I0@127.0.0.1" "$BENCH_WORK/n0.conf"
bench_start_portcullis i1 "inet:$M_I1@127.0.0.1" "$BENCH_WORK/n1.conf"
bench_start_portcullis i5 "inet:$M_I5@127.0.0.1" "$BENCH_WORK/n5.conf"

# One smtpd per configuration, each with a single process (maxproc 1),
# so that the same process serves a client's second session: smtpd
# keeps RBL answers in a per-process cache.
cat >>"$E2E_CONF/master.cf" <<EOF
# bench/dnsbl: one smtpd per configuration
127.0.0.1:$P_B0 inet n - n - 1 smtpd
127.0.0.1:$P_U0 inet n - n - 1 smtpd -o smtpd_milters=unix:$SOCKDIR/n0.sock
127.0.0.1:$P_U1 inet n - n - 1 smtpd -o smtpd_milters=unix:$SOCKDIR/n1.sock
127.0.0.1:$P_U5 inet n - n - 1 smtpd -o smtpd_milters=unix:$SOCKDIR/n5.sock
127.0.0.1:$P_I0 inet n - n - 1 smtpd -o smtpd_milters=inet:127.0.0.1:$M_I0
127.0.0.1:$P_I1 inet n - n - 1 smtpd -o smtpd_milters=inet:127.0.0.1:$M_I1
127.0.0.1:$P_I5 inet n - n - 1 smtpd -o smtpd_milters=inet:127.0.0.1:$M_I5
127.0.0.1:$P_PF1 inet n - n - 1 smtpd -o smtpd_recipient_restrictions=\$bench_rbl_1
127.0.0.1:$P_PF5 inet n - n - 1 smtpd -o smtpd_recipient_restrictions=\$bench_rbl_5
# the same with a new smtpd process for every session
127.0.0.1:$P_PX1 inet n - n - 1 smtpd -o max_use=1 -o smtpd_recipient_restrictions=\$bench_rbl_1
127.0.0.1:$P_PX5 inet n - n - 1 smtpd -o max_use=1 -o smtpd_recipient_restrictions=\$bench_rbl_5
EOF
# shellcheck disable=SC2119 # no main.cf change: a restart
e2e_postfix_reconfigure >/dev/null
for p in $P_B0 $P_U0 $P_U1 $P_U5 $P_I0 $P_I1 $P_I5 $P_PF1 $P_PF5 $P_PX1 $P_PX5; do
	_e2e_wait_until 10 _e2e_banner "$p" || { echo "bench: no smtpd on 127.0.0.1:$p" >&2; tail -n 20 "$E2E_MAILLOG" >&2; exit 1; }
done
bench_wait_milters portcullis portcullis

bench_measure python3 "$BENCH_DIR/measure.py" \
	--fakedns "$BENCH_WORK/fakedns_main" --dns "$BENCH_DNS_ADDR:53" \
	--zone "$BENCH_WORK/zone" --origin "$ORIGIN" --lists "${LISTS// /,}" \
	--delay-ms "$BENCH_DELAY_MS" --k "$BENCH_K" --portcullis "$PORTCULLIS" \
	--pidfile "$BENCH_WORK/fakedns.pid" \
	--service base="$P_B0" \
	--service u0="$P_U0" --service u1="$P_U1" --service u5="$P_U5" \
	--service i0="$P_I0" --service i1="$P_I1" --service i5="$P_I5" \
	--service pf1="$P_PF1" --service pf5="$P_PF5" \
	--once px1="$P_PX1" --once px5="$P_PX5" \
	--tconf t0="$BENCH_WORK/n0.conf" --tconf t1="$BENCH_WORK/n1.conf" \
	--tconf t5="$BENCH_WORK/n5.conf"
exit  # measure.py's status
