# shellcheck shell=bash
#
# lib.sh - helpers for the end-to-end tests: a private Postfix on loopback
#
# Sourced by tests/e2e/t_*.sh (and by run.sh). A test does:
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_setup [--no-milter] [--default-action ACTION] [--main 'k = v'] [--shared]
#   e2e_write_conf <<'EOF' ... EOF          # $E2E_MILTER_CONF
#   e2e_start_milter                        # $PORTCULLIS on $E2E_MILTER_SOCKET
#   m=$(e2e_marker)
#   e2e_swaks --from a@example.net --to b@example.com --header "Subject: $m"
#   e2e_expect_reply RCPT '250 '
#   e2e_expect_delivered "$m"
#   e2e_stop_milter
#   e2e_finish                              # summary line and exit status
#
# The instance: config_directory $E2E_CONF, queue and data directories,
# maillog_file $E2E_MAILLOG (no syslog needed), smtpd on
# 127.0.0.1:$E2E_SMTP_PORT, every chroot column "n", XCLIENT allowed from
# 127.0.0.0/8, every recipient domain relayed to smtp-sink on
# 127.0.0.1:$E2E_SINK_PORT, which writes one file per message into
# $E2E_SINK_DIR. Nothing listens on or connects to a non-loopback address,
# and nothing needs DNS: the next hop is an IP literal, the client name
# lookup is off, and XCLIENT supplies names.
#
# Nothing under /etc/postfix is read or changed: as root, "postfix -c DIR",
# "postqueue -c DIR" and "sendmail -C DIR" accept a non-default directory
# without alternate_config_directories, and /etc/postfix/main.cf may be
# missing. post-install only reads $meta_directory/postfix-files
# (/etc/postfix, shipped by the package) to create the queue directories.
#
# Public helpers (each has a one-line comment below):
#   setup      e2e_setup, e2e_teardown, e2e_postfix_reconfigure, e2e_require
#   milter     e2e_write_conf, e2e_start_milter [ARGS], e2e_stop_milter
#   clients    e2e_swaks ARGS, e2e_sendmail MARKER FROM TO..., e2e_sendmail_raw,
#              e2e_smtp (script on stdin), e2e_smtp_bg, e2e_smtp_wait
#   daemon     e2e_milter_worker_pid, e2e_milter_alive, e2e_milter_reload,
#              e2e_reconfigure NAME (config on stdin, SIGHUP, assert reload ok)
#   queue      e2e_postqueue, e2e_queue_count QUEUE
#   replies    e2e_reply STAGE[:N], e2e_expect_reply STAGE[:N] REGEX [NAME],
#              e2e_expect_reply_is STAGE[:N] TEXT [NAME], e2e_re TEXT
#   sink       e2e_marker, e2e_sink_file MARKER, e2e_sink_headers FILE, e2e_expect_delivered,
#              e2e_expect_not_delivered, e2e_settle, e2e_queue_count QUEUE
#   logs       e2e_log_mark, e2e_expect_maillog, e2e_expect_milter_log,
#              e2e_expect_no_milter_log, e2e_expect_milter_log_clean
#   reporting  e2e_ok, e2e_not_ok, e2e_check, e2e_diag, e2e_bail, e2e_finish
#   misc       e2e_wait SECONDS CMD...
# Variables: E2E_WORK E2E_CONF E2E_MAILLOG E2E_SINK_DIR E2E_SMTP_PORT
# E2E_SINK_PORT E2E_MILTER_SOCKET (unix:PATH) E2E_MILTER_CONF E2E_MILTER_LOG
# E2E_MILTER_USER
# E2E_TRANSCRIPT E2E_SWAKS_RC E2E_SENDMAIL_RC; PORTCULLIS (from run.sh).
#
# Assertions print "ok - NAME" or "not ok - NAME" followed by "# " lines of
# diagnostics; run.sh counts those lines. Every wait is bounded. A trap runs
# e2e_teardown on any exit, so no process outlives the test and the work
# directory goes away unless E2E_KEEP=1.

E2E_NAME=${E2E_NAME:-$(basename "$0" .sh)}
E2E_DIR=${E2E_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
E2E_PASS=0
E2E_FAIL=0

# Tunables; the environment may override any of them.
: "${E2E_SWAKS_TIMEOUT:=20}"       # seconds per SMTP reply (swaks --timeout)
: "${E2E_DELIVERY_TIMEOUT:=10}"    # seconds to wait for a message in the sink
: "${E2E_SETTLE_TIMEOUT:=5}"       # seconds to wait for the queue to settle
: "${E2E_MILTER_START_TIMEOUT:=15}" # seconds for the milter socket to appear
: "${E2E_MILTER_STOP_TIMEOUT:=10}" # seconds for the milter to exit on SIGTERM
: "${E2E_MILTER_DEFAULT_ACTION:=tempfail}"
: "${E2E_MILTER_UMASK:=0007}"      # portcullis sets 0007 itself before creating its socket
: "${E2E_MILTER_USER:=}"           # -u for portcullis; default portcullis, else nobody

# --- small utilities -------------------------------------------------------

# _e2e_now_ms - print the wall clock in milliseconds
_e2e_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# _e2e_wait_until SECONDS CMD... - poll CMD every 0.1 s until it succeeds or time runs out
_e2e_wait_until() {
	local limit=$(($(_e2e_now_ms) + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		(($(_e2e_now_ms) >= limit)) && return 1
		sleep 0.1
	done
}

# e2e_wait SECONDS CMD... - poll CMD every 0.1 s until it succeeds (true) or SECONDS pass (false)
e2e_wait() {
	_e2e_wait_until "$@"
}

# _e2e_alive PID - true while PID exists and is not a zombie
_e2e_alive() {
	local state
	[ -n "$1" ] || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# _e2e_dead PID - true once PID has exited
_e2e_dead() {
	! _e2e_alive "$1"
}

# _e2e_free_ports N - print N distinct free TCP ports on 127.0.0.1, outside the ephemeral range
_e2e_free_ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
want, held = int(sys.argv[1]), []
while len(held) < want:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(20000, 32000)))
    except OSError:
        s.close()
        continue
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

# _e2e_banner PORT - true if an SMTP server on 127.0.0.1:PORT sends a greeting within 5 s
_e2e_banner() {
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		read -r -t 5 line <&3 || exit 1
		printf 'QUIT\r\n' >&3
		[[ $line =~ ^[245][0-9][0-9] ]]
	) 2>/dev/null
}

# _e2e_listening PORT - true if something accepts TCP connections on 127.0.0.1:PORT
_e2e_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# --- reporting ---------------------------------------------------------------

# e2e_diag LINE... - print diagnostic lines, each prefixed with "# "
e2e_diag() {
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

# _e2e_diag_file TITLE FILE [N] - print the last N lines of FILE as diagnostics
_e2e_diag_file() {
	[ -s "$2" ] || return 0
	printf '# --- %s (%s, last %s lines)\n' "$1" "$2" "${3:-15}"
	tail -n "${3:-15}" "$2" | sed 's/^/#   /'
}

# e2e_diag_context - print the swaks transcript, maillog and portcullis log tails (once per change)
e2e_diag_context() {
	local key
	key="${E2E_TRANSCRIPT:-}:$(cat "${E2E_MAILLOG:-}" "${E2E_MILTER_LOG:-}" 2>/dev/null | wc -c)"
	if [ "$key" = "${E2E_DIAG_LAST:-}" ]; then
		echo "# (transcript and logs as above)"
		return 0
	fi
	E2E_DIAG_LAST=$key
	_e2e_diag_file "swaks transcript" "${E2E_TRANSCRIPT:-}" 25
	_e2e_diag_file "postfix maillog" "${E2E_MAILLOG:-}" 15
	_e2e_diag_file "portcullis log" "${E2E_MILTER_LOG:-}" 15
}

# e2e_ok NAME - record and print a passed assertion
e2e_ok() {
	E2E_PASS=$((E2E_PASS + 1))
	printf 'ok - %s\n' "$1"
}

# e2e_not_ok NAME [DIAG...] - record and print a failed assertion with context
e2e_not_ok() {
	E2E_FAIL=$((E2E_FAIL + 1))
	printf 'not ok - %s\n' "$1"
	shift
	[ $# -gt 0 ] && e2e_diag "$@"
	e2e_diag_context
}

# e2e_check NAME CMD... - assert that CMD succeeds
e2e_check() {
	local name=$1
	shift
	if "$@"; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "command failed: $*"
	fi
}

# e2e_finish - print this test's summary and exit 1 if anything failed
e2e_finish() {
	printf '# %s: %d passed, %d failed\n' "$E2E_NAME" "$E2E_PASS" "$E2E_FAIL"
	[ "$E2E_FAIL" -eq 0 ] && [ "$E2E_PASS" -gt 0 ]
	exit $?
}

# e2e_bail REASON - fail, then end the test at once (teardown still runs)
e2e_bail() {
	e2e_not_ok "$1"
	e2e_finish
}

# e2e_marker - print a string unique to this run, for a Subject to find later
e2e_marker() {
	printf 'e2e-%s-%s-%04d\n' "$E2E_NAME" "${EPOCHREALTIME//[!0-9]/}" $((RANDOM % 10000))
}

# --- the Postfix instance ----------------------------------------------------

# e2e_require - exit 77 unless running as root with the needed tools installed
e2e_require() {
	local cmd
	if [ "$(id -u)" -ne 0 ]; then
		echo "e2e: skipped: must run as root (a private Postfix instance needs it)" >&2
		exit 77
	fi
	for cmd in postfix postconf postqueue sendmail smtp-sink swaks python3 timeout; do
		if ! command -v "$cmd" >/dev/null 2>&1; then
			echo "e2e: skipped: '$cmd' not found (apt-get install postfix swaks python3)" >&2
			exit 77
		fi
	done
}

# _e2e_write_main_cf ACTION MILTER EXTRA... - write main.cf for this instance
_e2e_write_main_cf() {
	local action=$1 milter=$2 line
	shift 2
	cat >"$E2E_CONF/main.cf" <<EOF
# Private Postfix instance for the portcullis end-to-end tests.
compatibility_level = 3.6
queue_directory = $E2E_WORK/queue
data_directory = $E2E_WORK/data
maillog_file = $E2E_MAILLOG
maillog_file_prefixes = $E2E_WORK
myhostname = mx.e2e.portcullis.test
mydomain = e2e.portcullis.test
inet_interfaces = 127.0.0.1
# IPv6 support is needed for XCLIENT ADDR=IPV6:...; listeners stay on 127.0.0.1.
inet_protocols = all
mynetworks = 127.0.0.0/8
smtpd_authorized_xclient_hosts = 127.0.0.0/8
# Everything is relayed to the sink: no local delivery, no DNS.
mydestination =
alias_maps =
alias_database =
relay_domains = static:all
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
relayhost = [127.0.0.1]:$E2E_SINK_PORT
transport_maps = static:smtp:[127.0.0.1]:$E2E_SINK_PORT
default_transport = smtp
smtp_host_lookup = native
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
EOF
	if [ "$milter" = yes ]; then
		cat >>"$E2E_CONF/main.cf" <<EOF
smtpd_milters = $E2E_MILTER_SOCKET
non_smtpd_milters = $E2E_MILTER_SOCKET
milter_default_action = $action
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 15s
milter_content_timeout = 30s
internal_mail_filter_classes = bounce
EOF
	fi
	for line in "$@"; do
		printf '%s\n' "$line" >>"$E2E_CONF/main.cf"
	done
}

# _e2e_write_master_cf - write master.cf: smtpd on the test port, no chroot anywhere
_e2e_write_master_cf() {
	cat >"$E2E_CONF/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$E2E_SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

# _e2e_age_conf - backdate main.cf and master.cf so that Postfix reads them at once
_e2e_age_conf() {
	# Postfix's dict_load_file() re-reads a file whose mtime is within the
	# last second or so (it may still be being written), sleeping 0.3 s a
	# round: a fresh main.cf costs every Postfix command about 2 s.
	touch -d '-1 min' "$E2E_CONF/main.cf" "$E2E_CONF/master.cf"
}

# _e2e_start_sink - start smtp-sink on 127.0.0.1:$E2E_SINK_PORT writing one file per message
_e2e_start_sink() {
	# -d: one file per transaction, named by strftime(template) plus a random
	# hex suffix; opened at MAIL, closed (complete) just before the 250 reply
	# to ".", unlinked on RSET or abort. -u: drop root after binding.
	smtp-sink -u postfix -d "$E2E_SINK_DIR/%H%M%S." \
		"127.0.0.1:$E2E_SINK_PORT" 100 >"$E2E_WORK/smtp-sink.log" 2>&1 &
	E2E_SINK_PID=$!
	if ! _e2e_wait_until 5 _e2e_listening "$E2E_SINK_PORT"; then
		cat "$E2E_WORK/smtp-sink.log" >&2
		return 1
	fi
}

# _e2e_start_postfix - start the instance and wait for smtpd's greeting
_e2e_start_postfix() {
	if ! postfix -c "$E2E_CONF" start >"$E2E_WORK/postfix-start.log" 2>&1; then
		cat "$E2E_WORK/postfix-start.log" "$E2E_MAILLOG" >&2 2>/dev/null
		return 1
	fi
	E2E_MASTER_PID=$(sed -n '1{s/ //g;p}' "$E2E_WORK/queue/pid/master.pid" 2>/dev/null)
	if ! _e2e_wait_until 10 _e2e_banner "$E2E_SMTP_PORT"; then
		echo "e2e: smtpd on 127.0.0.1:$E2E_SMTP_PORT sends no greeting" >&2
		tail -n 20 "$E2E_MAILLOG" >&2 2>/dev/null
		return 1
	fi
}

# _e2e_export_env FILE - save the instance's variables for tests sharing it
_e2e_export_env() {
	declare -p E2E_WORK E2E_CONF E2E_MAILLOG E2E_SINK_DIR E2E_SMTP_PORT \
		E2E_SINK_PORT E2E_MILTER_SOCKET E2E_MILTER_SOCK_PATH E2E_MILTER_USER \
		E2E_MASTER_PID E2E_SINK_PID | sed 's/^declare -[-a-zA-Z]* /declare -g /' >"$1"
}

# e2e_setup [--no-milter] [--default-action A] [--main 'k = v']... [--shared] - create and start a private instance
e2e_setup() {
	local milter=yes action=$E2E_MILTER_DEFAULT_ACTION shared=no ports
	local -a extra=()
	while [ $# -gt 0 ]; do
		case $1 in
		--no-milter) milter=no ;;
		--default-action) action=$2; shift ;;
		--main) extra+=("$2"); shift ;;
		--shared) shared=yes ;;
		*) echo "e2e_setup: unknown option $1" >&2; exit 2 ;;
		esac
		shift
	done
	e2e_require
	trap e2e_teardown EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
	E2E_TORN_DOWN=no
	E2E_SHARED=no
	E2E_TRANSCRIPT=
	E2E_SWAKS_N=0
	E2E_MILTER_PID=

	# A test that asks for the shared instance of run.sh uses it as it is.
	if [ "$shared" = yes ] && [ -n "${E2E_SHARED_ENV:-}" ] && [ -r "$E2E_SHARED_ENV" ]; then
		# shellcheck source=/dev/null
		. "$E2E_SHARED_ENV"
		E2E_SHARED=yes
		E2E_MILTER_CONF=$E2E_WORK/portcullis.$E2E_NAME.conf
		E2E_MILTER_LOG=$E2E_WORK/portcullis.$E2E_NAME.log
		return 0
	fi

	E2E_WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-e2e.XXXXXX") || exit 1
	# Postfix's daemons (user postfix) must reach the milter socket in here.
	chmod 755 "$E2E_WORK"
	E2E_CONF=$E2E_WORK/conf
	E2E_MAILLOG=$E2E_WORK/maillog
	E2E_SINK_DIR=$E2E_WORK/sink
	# The daemon gives up root before it creates its socket, with umask
	# 0007: the socket's directory belongs to the user it becomes, and is
	# setgid group postfix so that the socket is too, as in a real install
	# (smtpd and cleanup connect as user postfix).
	if [ -z "$E2E_MILTER_USER" ]; then
		E2E_MILTER_USER=nobody
		getent passwd portcullis >/dev/null && E2E_MILTER_USER=portcullis
	fi
	E2E_MILTER_SOCK_PATH=$E2E_WORK/milter/milter.sock
	E2E_MILTER_SOCKET=unix:$E2E_MILTER_SOCK_PATH
	E2E_MILTER_CONF=$E2E_WORK/portcullis.conf
	E2E_MILTER_LOG=$E2E_WORK/portcullis.log
	mkdir -p "$E2E_CONF" "$E2E_WORK/queue" "$E2E_WORK/data" "$E2E_SINK_DIR"
	chown postfix "$E2E_WORK/data" "$E2E_SINK_DIR"
	install -d -o "$E2E_MILTER_USER" -g postfix -m 2750 "$E2E_WORK/milter"
	ports=$(_e2e_free_ports 2) || exit 1
	read -r E2E_SMTP_PORT E2E_SINK_PORT <<<"$ports"

	_e2e_write_main_cf "$action" "$milter" "${extra[@]}"
	_e2e_write_master_cf
	_e2e_age_conf
	_e2e_start_sink || e2e_bail "setup: start smtp-sink on 127.0.0.1:$E2E_SINK_PORT"
	_e2e_start_postfix || e2e_bail "setup: start postfix -c $E2E_CONF"
	_e2e_export_env "$E2E_WORK/env"
	printf '# setup: %s smtpd=127.0.0.1:%s sink=127.0.0.1:%s milter=%s default_action=%s\n' \
		"$E2E_WORK" "$E2E_SMTP_PORT" "$E2E_SINK_PORT" "$milter" "$action"
}

# _e2e_pgroup_members PGID - print live (non-zombie) processes in process group PGID
_e2e_pgroup_members() {
	ps -e -o pid=,pgid=,stat=,args= | awk -v g="$1" '$2 == g && $3 !~ /^Z/'
}

# _e2e_stop_postfix - stop the instance and make sure none of its processes remain
_e2e_stop_postfix() {
	[ -n "${E2E_CONF:-}" ] && [ -f "$E2E_CONF/main.cf" ] || return 0
	postfix -c "$E2E_CONF" stop >/dev/null 2>&1
	# "postfix stop" only signals master; master is a session and process
	# group leader (setsid), and all its children share its group.
	[ -n "${E2E_MASTER_PID:-}" ] || return 0
	if ! _e2e_wait_until 10 _e2e_pgroup_gone "$E2E_MASTER_PID"; then
		echo "# teardown: postfix processes left, killing:" >&2
		_e2e_pgroup_members "$E2E_MASTER_PID" >&2
		kill -KILL -- "-$E2E_MASTER_PID" 2>/dev/null
	fi
}

# _e2e_pgroup_gone PGID - true when no live process is left in group PGID
_e2e_pgroup_gone() {
	[ -z "$(_e2e_pgroup_members "$1")" ]
}

# e2e_teardown - stop portcullis, Postfix and smtp-sink; remove the work dir unless E2E_KEEP=1
e2e_teardown() {
	[ "${E2E_TORN_DOWN:-yes}" = no ] || return 0
	E2E_TORN_DOWN=yes
	_e2e_kill_milter
	# The shared instance belongs to run.sh, which tears it down at the end.
	[ "$E2E_SHARED" = yes ] && return 0
	_e2e_stop_postfix
	if [ -n "${E2E_SINK_PID:-}" ]; then
		kill -TERM "$E2E_SINK_PID" 2>/dev/null
		wait "$E2E_SINK_PID" 2>/dev/null
	fi
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		echo "# kept $E2E_WORK (E2E_KEEP=1)"
	elif [ -n "${E2E_WORK:-}" ] && [ -d "$E2E_WORK" ]; then
		rm -rf "$E2E_WORK"
	fi
}

# e2e_postfix_reconfigure 'k = v'... - change main.cf, restart the instance (not the sink)
e2e_postfix_reconfigure() {
	local line
	for line in "$@"; do
		postconf -c "$E2E_CONF" -e "$line" || e2e_bail "postconf -e '$line'"
	done
	_e2e_age_conf
	_e2e_stop_postfix
	_e2e_start_postfix || e2e_bail "restart postfix -c $E2E_CONF"
}

# --- the milter ----------------------------------------------------------------

# e2e_write_conf - write the portcullis config ($E2E_MILTER_CONF) from stdin
# Lookups never leave loopback: a config that names no dns_servers gets a
# loopback port where nothing listens (answers fail at once), and one
# that does not mention SPF gets spf_verify = no, since every sender of
# the tests would otherwise be an SPF temperror, and likewise one that
# does not mention DMARC gets dmarc_verify = no; and one that does not
# name a dmarc_report_dir records no report data (the host's
# /var/lib/portcullis is not the tests'). Lines are appended, so the
# test's own line numbers stay as written.
e2e_write_conf() {
	local text
	text=$(cat)
	printf '%s\n' "$text" >"$E2E_MILTER_CONF"
	grep -q '^[[:space:]]*dns_servers[[:space:]]*=' <<<"$text" ||
		echo "dns_servers = 127.0.0.1:9" >>"$E2E_MILTER_CONF"
	grep -q '^[[:space:]]*spf_' <<<"$text" ||
		echo "spf_verify = no" >>"$E2E_MILTER_CONF"
	grep -q '^[[:space:]]*dmarc_' <<<"$text" ||
		echo "dmarc_verify = no" >>"$E2E_MILTER_CONF"
	grep -q '^[[:space:]]*dmarc_report_dir[[:space:]]*=' <<<"$text" ||
		echo "dmarc_report_dir =" >>"$E2E_MILTER_CONF"
}

# e2e_start_milter ARGS... - start $PORTCULLIS -f -c CONF -p SOCKET -u USER ARGS in the background; wait for its socket
e2e_start_milter() {
	local name="start portcullis"
	if [ -z "${PORTCULLIS:-}" ] || [ ! -x "$PORTCULLIS" ]; then
		e2e_not_ok "$name" "PORTCULLIS='${PORTCULLIS:-}' is not an executable (run.sh PORTCULLIS_BINARY)"
		return 1
	fi
	[ -f "$E2E_MILTER_CONF" ] || : >"$E2E_MILTER_CONF"
	rm -f "$E2E_MILTER_SOCK_PATH"
	# setsid: its own process group (supervisor and worker), so that no
	# process of it can be missed at the end. A background job of a
	# non-interactive shell is no group leader, so setsid execs in place and
	# $! is the daemon itself. libmilter creates the socket with the process
	# umask (portcullis sets its own; this is for stub-milter.py).
	(
		umask "$E2E_MILTER_UMASK"
		exec setsid "$PORTCULLIS" -f -c "$E2E_MILTER_CONF" -p "$E2E_MILTER_SOCKET" \
			-u "$E2E_MILTER_USER" "$@"
	) >>"$E2E_MILTER_LOG" 2>&1 &
	E2E_MILTER_PID=$!
	_e2e_wait_until "$E2E_MILTER_START_TIMEOUT" _e2e_milter_ready
	if [ -S "$E2E_MILTER_SOCK_PATH" ] && _e2e_alive "$E2E_MILTER_PID"; then
		e2e_ok "$name"
		return 0
	fi
	if _e2e_alive "$E2E_MILTER_PID"; then
		e2e_not_ok "$name" "no socket $E2E_MILTER_SOCK_PATH after ${E2E_MILTER_START_TIMEOUT}s"
	else
		wait "$E2E_MILTER_PID"
		e2e_not_ok "$name" "portcullis exited with status $? before creating its socket"
	fi
	_e2e_kill_milter
	return 1
}

# _e2e_milter_ready - true once the socket exists; true at once if the process died
_e2e_milter_ready() {
	[ -S "$E2E_MILTER_SOCK_PATH" ] || _e2e_dead "$E2E_MILTER_PID"
}

# _e2e_kill_milter - stop portcullis with SIGTERM, then SIGKILL its whole process group
_e2e_kill_milter() {
	[ -n "${E2E_MILTER_PID:-}" ] || return 0
	kill -TERM "$E2E_MILTER_PID" 2>/dev/null
	_e2e_wait_until "$E2E_MILTER_STOP_TIMEOUT" _e2e_pgroup_gone "$E2E_MILTER_PID" ||
		kill -KILL -- "-$E2E_MILTER_PID" 2>/dev/null
	wait "$E2E_MILTER_PID" 2>/dev/null
	E2E_MILTER_PID=
}

# e2e_stop_milter - SIGTERM portcullis; assert it exits 0 in time, leaves no process, removes its socket
e2e_stop_milter() {
	local rc pid=${E2E_MILTER_PID:-} left
	if [ -z "$pid" ]; then
		e2e_not_ok "portcullis stops on SIGTERM" "portcullis is not running"
		return 1
	fi
	kill -TERM "$pid" 2>/dev/null
	if ! _e2e_wait_until "$E2E_MILTER_STOP_TIMEOUT" _e2e_dead "$pid"; then
		e2e_not_ok "portcullis stops on SIGTERM" "still running after ${E2E_MILTER_STOP_TIMEOUT}s; killing it"
		_e2e_kill_milter
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		e2e_ok "portcullis exits 0 on SIGTERM"
	else
		e2e_not_ok "portcullis exits 0 on SIGTERM" "exit status $rc"
	fi
	if _e2e_wait_until 2 _e2e_pgroup_gone "$pid"; then
		e2e_ok "portcullis leaves no process behind"
	else
		left=$(_e2e_pgroup_members "$pid")
		e2e_not_ok "portcullis leaves no process behind" "$left"
	fi
	_e2e_kill_milter
	if [ -e "$E2E_MILTER_SOCK_PATH" ]; then
		e2e_not_ok "portcullis removes its socket on exit" "$E2E_MILTER_SOCK_PATH still exists"
	else
		e2e_ok "portcullis removes its socket on exit"
	fi
}

# e2e_expect_milter_log_clean [NAME] - assert the portcullis log has no "error" or "panic"
e2e_expect_milter_log_clean() {
	local name=${1:-"portcullis log has no error or panic"} hits
	hits=$(grep -inE 'error|panic' "$E2E_MILTER_LOG" 2>/dev/null | head -n 5)
	if [ -z "$hits" ]; then
		e2e_ok "$name"
	else
		e2e_not_ok "$name" "$hits"
	fi
}

# The clients, their replies, the sink, the queue and the logs.
# shellcheck source=mail.sh
. "$E2E_DIR/mail.sh"
