#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2317 # bench_teardown and its helpers run from a trap
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

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/../.." && pwd)

if [ $# -ne 1 ]; then
	echo "usage: $0 PATH/TO/portcullis" >&2
	exit 2
fi
PORTCULLIS=$(realpath -m -- "$1")
export PORTCULLIS

: "${BENCH_K:=11}"
: "${BENCH_DELAY_MS:=100}"
: "${BENCH_DNS_ADDR:=127.0.0.153}"
: "${BENCH_TIMEOUT:=150}"
export BENCH_K BENCH_DELAY_MS BENCH_DNS_ADDR BENCH_TIMEOUT

# bench_skip REASON - exit 77: this machine cannot run the benchmark
bench_skip() {
	echo "bench: skipped: $1" >&2
	exit 77
}

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	[ "$(id -u)" -eq 0 ] || bench_skip "must run as root (private Postfix, port 53, unshare)"
	for cmd in gcc pkg-config unshare mount python3; do
		command -v "$cmd" >/dev/null 2>&1 || bench_skip "'$cmd' not found"
	done
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	case $BENCH_K in '' | *[!0-9]*) echo "bench: BENCH_K must be a number" >&2; exit 2 ;; esac
	if [ "$BENCH_K" -lt 1 ] || [ "$BENCH_K" -gt 20 ]; then
		echo "bench: BENCH_K must be 1..20" >&2
		exit 2
	fi
	# A private mount namespace (propagation private, unshare's default):
	# the bind mount over /etc/resolv.conf below exists only in here.
	BENCH_IN_NAMESPACE=1 exec unshare --mount --propagation private -- bash "$0" "$@"
	exit 1
fi

E2E_NAME=bench-dnsbl
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

BENCH_MILTER_PIDS=()
BENCH_RESOLV_MOUNTED=no
BENCH_MEASURE_PID=

# bench_teardown - stop what this script started, then the e2e instance
bench_teardown() {
	local pid left
	[ "${BENCH_TORN_DOWN:-no}" = no ] || return 0
	BENCH_TORN_DOWN=yes
	if [ -n "$BENCH_MEASURE_PID" ]; then
		kill -TERM "$BENCH_MEASURE_PID" 2>/dev/null
		wait "$BENCH_MEASURE_PID" 2>/dev/null
	fi
	# fakedns_main dies with measure.py (end of input, PDEATHSIG); this
	# is for a measure.py killed hard.
	if [ -s "$E2E_WORK/bench/fakedns.pid" ]; then
		pid=$(cat "$E2E_WORK/bench/fakedns.pid")
		_e2e_alive "$pid" && kill -TERM "$pid" 2>/dev/null
		_e2e_wait_until 3 _e2e_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	# portcullis takes up to 5 s to leave after SIGTERM: all at once.
	for pid in "${BENCH_MILTER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BENCH_MILTER_PIDS[@]}"; do
		if ! _e2e_wait_until "$E2E_MILTER_STOP_TIMEOUT" _e2e_pgroup_gone "$pid"; then
			left=$(_e2e_pgroup_members "$pid")
			echo "# teardown: portcullis group $pid still there, killing: $left" >&2
			kill -KILL -- "-$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	BENCH_MILTER_PIDS=()
	_e2e_stop_postfix
	if [ "$BENCH_RESOLV_MOUNTED" = yes ]; then
		umount /etc/resolv.conf 2>/dev/null
		BENCH_RESOLV_MOUNTED=no
	fi
	E2E_KEEP=${BENCH_KEEP:-0}
	e2e_teardown
}

# bench_start_milter NAME SOCKET CONF - start a portcullis daemon in its own process group
bench_start_milter() {
	(
		exec setsid "$PORTCULLIS" -f -c "$3" -p "$2" -u "$E2E_MILTER_USER"
	) >>"$E2E_WORK/bench/portcullis.$1.log" 2>&1 </dev/null &
	BENCH_MILTER_PIDS+=("$!")
}

# bench_milters_ready - true once every unix socket exists and every inet port listens
bench_milters_ready() {
	local s
	for s in "${BENCH_SOCKETS[@]}"; do
		case $s in
		unix:*) [ -S "${s#unix:}" ] || return 1 ;;
		inet:*) _e2e_listening "${s##*:}" || return 1 ;;
		esac
	done
}

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

# Milter defaults as the rig's, for the smtpd services that set
# smtpd_milters below. in_flow_delay = 0: every accepted RCPT opens a
# queue file that the session then abandons, so qmgr never hands back
# the in-flow token and after a few dozen sessions each RCPT would wait
# in_flow_delay (1 s) for one.
ORIGIN=bench.test
LISTS="list1.$ORIGIN list2.$ORIGIN list3.$ORIGIN list4.$ORIGIN list5.$ORIGIN"
LIST1="list5.$ORIGIN"
# shellcheck disable=SC2086 # one word per list
e2e_setup --no-milter \
	--main 'in_flow_delay = 0' \
	--main 'milter_default_action = tempfail' \
	--main 'milter_protocol = 6' \
	--main 'milter_connect_timeout = 5s' \
	--main 'milter_command_timeout = 15s' \
	--main "bench_rbl_1 = reject_rbl_client $LIST1" \
	--main "bench_rbl_5 = $(printf 'reject_rbl_client %s, ' $LISTS | sed 's/, $//')" \
	>&2
trap bench_teardown EXIT
mkdir -p "$E2E_WORK/bench"
chmod 755 "$E2E_WORK/bench"

# The delaying DNS server, built from the unit tests' fakedns.
# shellcheck disable=SC2046 # pkg-config's words
if ! gcc -O2 -Wall -Wextra -pthread -I"$TOP" -I"$TOP/tests/unit" \
	"$BENCH_DIR/fakedns_main.c" "$TOP/tests/unit/fakedns.c" \
	$(pkg-config --cflags --libs ldns) -o "$E2E_WORK/bench/fakedns_main"; then
	echo "bench: cannot build fakedns_main" >&2
	exit 1
fi

# Postfix's libc resolver: only the fake server, in this namespace only.
printf 'nameserver %s\noptions timeout:5 attempts:1\n' "$BENCH_DNS_ADDR" >"$E2E_WORK/bench/resolv.conf"
chmod 644 "$E2E_WORK/bench/resolv.conf"
mount --bind "$E2E_WORK/bench/resolv.conf" /etc/resolv.conf || { echo "bench: cannot bind-mount resolv.conf" >&2; exit 1; }
BENCH_RESOLV_MOUNTED=yes

# Ports: 11 smtpd services, 3 inet milters.
read -r P_B0 P_U0 P_U1 P_U5 P_I0 P_I1 P_I5 P_PF1 P_PF5 P_PX1 P_PX5 M_I0 M_I1 M_I5 <<<"$(_e2e_free_ports 14)"
SOCKDIR=$E2E_WORK/milter
BENCH_SOCKETS=(
	"unix:$SOCKDIR/n0.sock" "unix:$SOCKDIR/n1.sock" "unix:$SOCKDIR/n5.sock"
	"inet:127.0.0.1:$M_I0" "inet:127.0.0.1:$M_I1" "inet:127.0.0.1:$M_I5"
)
bench_write_conf "$E2E_WORK/bench/n0.conf"
bench_write_conf "$E2E_WORK/bench/n1.conf" "$LIST1"
# shellcheck disable=SC2086 # one word per list
bench_write_conf "$E2E_WORK/bench/n5.conf" $LISTS
bench_start_milter u0 "unix:$SOCKDIR/n0.sock" "$E2E_WORK/bench/n0.conf"
bench_start_milter u1 "unix:$SOCKDIR/n1.sock" "$E2E_WORK/bench/n1.conf"
bench_start_milter u5 "unix:$SOCKDIR/n5.sock" "$E2E_WORK/bench/n5.conf"
bench_start_milter i0 "inet:$M_I0@127.0.0.1" "$E2E_WORK/bench/n0.conf"
bench_start_milter i1 "inet:$M_I1@127.0.0.1" "$E2E_WORK/bench/n1.conf"
bench_start_milter i5 "inet:$M_I5@127.0.0.1" "$E2E_WORK/bench/n5.conf"

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
if ! _e2e_wait_until "$E2E_MILTER_START_TIMEOUT" bench_milters_ready; then
	echo "bench: portcullis did not start:" >&2
	tail -n 5 "$E2E_WORK"/bench/portcullis.*.log >&2
	exit 1
fi

timeout -k 5 "$BENCH_TIMEOUT" python3 "$BENCH_DIR/measure.py" \
	--fakedns "$E2E_WORK/bench/fakedns_main" --dns "$BENCH_DNS_ADDR:53" \
	--zone "$E2E_WORK/bench/zone" --origin "$ORIGIN" --lists "${LISTS// /,}" \
	--delay-ms "$BENCH_DELAY_MS" --k "$BENCH_K" --portcullis "$PORTCULLIS" \
	--pidfile "$E2E_WORK/bench/fakedns.pid" \
	--service base="$P_B0" \
	--service u0="$P_U0" --service u1="$P_U1" --service u5="$P_U5" \
	--service i0="$P_I0" --service i1="$P_I1" --service i5="$P_I5" \
	--service pf1="$P_PF1" --service pf5="$P_PF5" \
	--once px1="$P_PX1" --once px5="$P_PX5" \
	--tconf t0="$E2E_WORK/bench/n0.conf" --tconf t1="$E2E_WORK/bench/n1.conf" \
	--tconf t5="$E2E_WORK/bench/n5.conf" &
BENCH_MEASURE_PID=$!
wait "$BENCH_MEASURE_PID"
rc=$?
BENCH_MEASURE_PID=
if grep -qiE 'panic|fatal' "$E2E_WORK"/bench/portcullis.*.log 2>/dev/null; then
	echo "bench: portcullis logged a panic or fatal error:" >&2
	grep -hiE 'panic|fatal' "$E2E_WORK"/bench/portcullis.*.log | head -n 5 >&2
fi
exit "$rc"
