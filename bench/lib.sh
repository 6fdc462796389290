# shellcheck shell=bash
# shellcheck disable=SC2317 # bench_teardown and its helpers run from a trap
#
# lib.sh - what the benchmark scripts (bench/*/run.sh) share: the checks
# before the namespace, the private Postfix with the fake DNS server and
# the milters in their own process groups, the measuring step, and the
# teardown of all of it
#
# A run.sh does, in this order:
#
#   BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
#   . "$BENCH_DIR/../lib.sh"                # sets TOP
#   bench_usage "$@"                        # $PORTCULLIS
#   bench_env BENCH_K=DEFAULT...            # the knobs, exported
#   outside the namespace: bench_require CMD..., bench_number NAME VALUE
#     MIN MAX, then bench_reexec UNSHARE_FLAG... -- "$@"
#   E2E_NAME=bench-NAME; . "$TOP/tests/e2e/lib.sh"
#   bench_setup [--main 'k = v']...         # Postfix, trap, $BENCH_WORK
#   bench_build_fakedns                     # $BENCH_WORK/fakedns_main
#   bench_resolv_conf TIMEOUT               # /etc/resolv.conf, bind mount
#   bench_start_portcullis NAME SOCKET CONF (and bench_start_group)...
#   BENCH_SOCKETS=(...); bench_wait_milters WHAT LOGNAME...
#   bench_measure CMD...; exit with its status
#
# The teardown (trap on EXIT, set by bench_setup) stops measure.py, the
# fake DNS server, every milter process group, Postfix, and removes the
# bind mount over /etc/resolv.conf and the work directory (unless
# BENCH_KEEP=1).

# The scripts and this file are bash: run under sh, a script that sources
# this file starts again under bash here, before anything bash-only.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

BENCH_MILTER_PIDS=()
declare -A BENCH_PGID
BENCH_SOCKETS=()
BENCH_RESOLV_MOUNTED=no
BENCH_MEASURE_PID=
BENCH_WORK=

# bench_usage ARG... - exit 2 unless exactly one argument, the portcullis binary, which goes to $PORTCULLIS
bench_usage() {
	if [ $# -ne 1 ]; then
		echo "usage: $0 PATH/TO/portcullis" >&2
		exit 2
	fi
	PORTCULLIS=$(realpath -m -- "$1")
	export PORTCULLIS
}

# bench_env NAME=DEFAULT... - NAME from the environment, or DEFAULT when unset or empty; exported
bench_env() {
	local kv name
	for kv in "$@"; do
		name=${kv%%=*}
		[ -n "${!name:-}" ] || printf -v "$name" %s "${kv#*=}"
		export "${name?}"
	done
}

# bench_skip REASON - exit 77: this machine cannot run the benchmark
bench_skip() {
	echo "bench: skipped: $1" >&2
	exit 77
}

# bench_require CMD... - exit 77 unless root and every CMD is on PATH
bench_require() {
	local cmd
	[ "$(id -u)" -eq 0 ] || bench_skip "must run as root (private Postfix, port 53, unshare)"
	for cmd in "$@"; do
		command -v "$cmd" >/dev/null 2>&1 || bench_skip "'$cmd' not found"
	done
}

# bench_number NAME VALUE MIN MAX - exit 2 unless VALUE is a number in MIN..MAX
bench_number() {
	case $2 in '' | *[!0-9]*) echo "bench: $1 must be a number" >&2; exit 2 ;; esac
	if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
		echo "bench: $1 must be $3..$4" >&2
		exit 2
	fi
}

# bench_reexec UNSHARE_FLAG... -- ARG... - run this script again with ARG in new namespaces; does not return
bench_reexec() {
	local flags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		flags+=("$1")
		shift
	done
	shift
	# Propagation private (unshare's default, said anyway): the bind
	# mount over /etc/resolv.conf exists only in the new mount namespace.
	BENCH_IN_NAMESPACE=1 exec unshare "${flags[@]}" --propagation private -- bash "$0" "$@"
	exit 1
}

# bench_setup [--main 'k = v']... - the private Postfix of tests/e2e/lib.sh for a milter benchmark, the teardown trap, $BENCH_WORK
bench_setup() {
	# A busy instance. in_flow_delay = 0: smtpd would otherwise pause up
	# to 1 s whenever qmgr lags, and sessions that abandon their queue
	# file never hand back the in-flow token, so after a few dozen of
	# them every RCPT would wait. milter_default_action = tempfail: a
	# failing milter makes the client fail (and the run with it) rather
	# than pass mail unchecked.
	e2e_setup --no-milter \
		--main 'in_flow_delay = 0' \
		--main 'milter_default_action = tempfail' \
		--main 'milter_protocol = 6' \
		--main 'milter_connect_timeout = 5s' \
		--main 'milter_command_timeout = 15s' \
		"$@" \
		>&2
	BENCH_WORK=$E2E_WORK/bench
	trap bench_teardown EXIT
	mkdir -p "$BENCH_WORK"
	chmod 755 "$BENCH_WORK"
}

# bench_teardown - stop what the benchmark started, then the e2e instance
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
	if [ -s "$BENCH_WORK/fakedns.pid" ]; then
		pid=$(cat "$BENCH_WORK/fakedns.pid")
		_e2e_alive "$pid" && kill -TERM "$pid" 2>/dev/null
		_e2e_wait_until 3 _e2e_dead "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	# Every milter is a process group leader (setsid); portcullis takes
	# up to 5 s to leave after SIGTERM: all at once.
	for pid in "${BENCH_MILTER_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${BENCH_MILTER_PIDS[@]}"; do
		if ! _e2e_wait_until "$E2E_MILTER_STOP_TIMEOUT" _e2e_pgroup_gone "$pid"; then
			left=$(_e2e_pgroup_members "$pid")
			echo "# teardown: milter group $pid still there, killing: $left" >&2
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
	# shellcheck disable=SC2034 # read by e2e_teardown
	E2E_KEEP=${BENCH_KEEP:-0}
	e2e_teardown
}

# bench_build_fakedns - compile the fake DNS server (bench/dnsbl/fakedns_main.c and the unit tests' fakedns) into $BENCH_WORK
bench_build_fakedns() {
	# shellcheck disable=SC2046 # pkg-config's words
	# config.h: in the tree, or in the build directory of $PORTCULLIS
	if ! gcc -O2 -Wall -Wextra -pthread -I"$TOP" -I"$(dirname "$PORTCULLIS")" -I"$TOP/tests/unit" \
		"$TOP/bench/dnsbl/fakedns_main.c" "$TOP/tests/unit/fakedns.c" \
		"$TOP/tests/unit/fakedns_knobs.c" "$TOP/tests/unit/fakedns_zone.c" \
		$(pkg-config --cflags --libs ldns) -o "$BENCH_WORK/fakedns_main"; then
		echo "bench: cannot build fakedns_main" >&2
		exit 1
	fi
}

# bench_resolv_conf TIMEOUT - libc resolvers ask only the fake server (TIMEOUT s, one attempt), in this mount namespace only
bench_resolv_conf() {
	printf 'nameserver %s\noptions timeout:%s attempts:1\n' "$BENCH_DNS_ADDR" "$1" >"$BENCH_WORK/resolv.conf"
	chmod 644 "$BENCH_WORK/resolv.conf"
	mount --bind "$BENCH_WORK/resolv.conf" /etc/resolv.conf || { echo "bench: cannot bind-mount resolv.conf" >&2; exit 1; }
	BENCH_RESOLV_MOUNTED=yes
}

# bench_start_group NAME LOGNAME CMD... - CMD in the background as leader of its own process group, logging to $BENCH_WORK/LOGNAME.NAME.log; BENCH_PGID[NAME]
bench_start_group() {
	local name=$1 log=$2
	shift 2
	(
		exec setsid "$@"
	) >>"$BENCH_WORK/$log.$name.log" 2>&1 </dev/null &
	BENCH_MILTER_PIDS+=("$!")
	# shellcheck disable=SC2034 # read by run.sh
	BENCH_PGID[$name]=$!
}

# bench_start_portcullis NAME SOCKET CONF - a portcullis daemon in its own process group
bench_start_portcullis() {
	bench_start_group "$1" portcullis "$PORTCULLIS" -f -c "$3" -p "$2" -u "$E2E_MILTER_USER"
}

# bench_milters_ready - true once every unix socket of BENCH_SOCKETS exists and every inet port listens
bench_milters_ready() {
	local s
	for s in "${BENCH_SOCKETS[@]}"; do
		case $s in
		unix:*) [ -S "${s#unix:}" ] || return 1 ;;
		inet:*) _e2e_listening "${s##*:}" || return 1 ;;
		esac
	done
}

# bench_wait_milters WHAT LOGNAME... - exit 1, showing the ends of the LOGNAME logs, unless every milter comes up in time
bench_wait_milters() {
	local what=$1 log logs=()
	shift
	_e2e_wait_until "$E2E_MILTER_START_TIMEOUT" bench_milters_ready && return 0
	echo "bench: $what did not start:" >&2
	for log in "$@"; do
		logs+=("$BENCH_WORK/$log".*.log)
	done
	tail -n 5 "${logs[@]}" >&2
	exit 1
}

# bench_measure CMD... - run CMD (measure.py) within BENCH_TIMEOUT, where the teardown can stop it; its exit status
bench_measure() {
	local rc
	timeout -k 5 "$BENCH_TIMEOUT" "$@" &
	BENCH_MEASURE_PID=$!
	wait "$BENCH_MEASURE_PID"
	rc=$?
	BENCH_MEASURE_PID=
	if grep -qiE 'panic|fatal' "$BENCH_WORK"/portcullis.*.log 2>/dev/null; then
		echo "bench: portcullis logged a panic or fatal error:" >&2
		grep -hiE 'panic|fatal' "$BENCH_WORK"/portcullis.*.log | head -n 5 >&2
	fi
	return "$rc"
}
