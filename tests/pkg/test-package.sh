#!/bin/bash
#
# test-package.sh - the Debian package, end to end: build it from a clean
# clone, check it with lintian, install it, send mail through a private
# Postfix wired to the packaged socket, purge it, and check that nothing
# is left.
#
# usage: tests/pkg/test-package.sh [REPO]
#
# REPO is the git repository whose HEAD is built (default: the one holding
# this script). Only committed files are built, never a working tree.
#
# Needs root on Debian 12 with the build dependencies (scripts/deps),
# dpkg-dev, debhelper and lintian, and for the mail part postfix, swaks
# and python3 (scripts/deps --test); exits 77 (skip) when not root. It
# refuses to run where portcullis is installed or has left files, and
# purges the package on any exit.
#
# Under systemd the package's own postinst starts the unit. Without it
# (a container), the daemon is started as systemd would: the unit's
# ExecStart line, as its User and Group, with its UMask, no
# capabilities, no new privileges; ExecReload and stop likewise by hand.
#
# The private Postfix is tests/e2e/lib.sh's (its own configuration,
# queue and port on 127.0.0.1; the system's Postfix is not touched), with
# smtpd_milters and non_smtpd_milters pointed at the packaged socket.
#
# Output: "ok - NAME" / "not ok - NAME" lines with "# " diagnostics, then
# one line "N passed, N failed"; exit status 0 only when nothing failed.
# Every step has a time limit (PKG_BUILD_TIMEOUT, default 900 s, for the
# build; 300 s for apt-get and lintian). PKG_KEEP=1 keeps the work
# directory.

if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi

PKG_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=${1:-$(cd "$PKG_DIR/../.." && pwd)}
: "${PKG_BUILD_TIMEOUT:=900}"

# The paths the package installs and the names it uses.
PKG=portcullis
BIN=/usr/sbin/portcullis
GENKEY=/usr/sbin/portcullis-genkey
REPORT=/usr/sbin/portcullis-report
REPORT_DIR=/var/lib/portcullis/dmarc
CONF=/etc/portcullis/portcullis.conf
UNIT=/lib/systemd/system/portcullis.service
TMPFILES=/usr/lib/tmpfiles.d/portcullis.conf
SOCK_DIR=/var/spool/postfix/portcullis
SOCK=$SOCK_DIR/portcullis.sock

E2E_NAME=test-package
# shellcheck source=../e2e/lib.sh
. "$PKG_DIR/../e2e/lib.sh"

PKG_WORK=
PKG_SINCE=$(date +%s)
PKG_INSTALLED=no
PKG_DAEMON_PID=
PKG_DAEMON_LOG=

# --- helpers -------------------------------------------------------------------

# pkg_tail TITLE FILE [N] - print the last N lines of FILE as diagnostics
pkg_tail() {
	[ -s "$2" ] || return 0
	printf '# --- %s (last %s lines)\n' "$1" "${3:-20}"
	tail -n "${3:-20}" "$2" | sed 's/^/#   /'
}

# pkg_done - print the totals and exit
pkg_done() {
	echo "$E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ] && [ "$E2E_PASS" -gt 0 ]
	exit $?
}

# pkg_bail NAME [DIAG...] - fail, then stop here (cleanup still runs)
pkg_bail() {
	e2e_not_ok "$@"
	pkg_done
}

# pkg_quiet CMD... - run CMD without output; its status
# shellcheck disable=SC2317 # called through e2e_check
pkg_quiet() {
	"$@" >/dev/null 2>&1
}

# pkg_systemd - true when systemd runs this machine
pkg_systemd() {
	[ -d /run/systemd/system ]
}

# pkg_unit KEY - print the value of KEY= in the installed unit
pkg_unit() {
	sed -n "s/^$1=//p" "$UNIT" | tail -n 1
}

# pkg_main_pid - print the supervisor's pid (systemd's MainPID, or ours)
pkg_main_pid() {
	if pkg_systemd; then
		systemctl show -p MainPID --value "$PKG.service" 2>/dev/null | grep -v '^0$'
	else
		[ -n "$PKG_DAEMON_PID" ] && _e2e_alive "$PKG_DAEMON_PID" && echo "$PKG_DAEMON_PID"
	fi
}

# pkg_procs - print the live processes running the packaged binary
pkg_procs() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in
		"$BIN" | "$BIN (deleted)") ;;
		*) continue ;;
		esac
		[ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" = Z ] && continue
		printf '%s %s\n' "${p#/proc/}" "$(tr '\0' ' ' <"$p/cmdline")"
	done
}

# pkg_no_procs - true when no process runs the packaged binary
pkg_no_procs() {
	[ -z "$(pkg_procs)" ]
}

# pkg_log - print the daemon's log since the package was installed (journal or our file)
pkg_log() {
	if pkg_systemd; then
		journalctl -q -u "$PKG.service" --since "@$PKG_SINCE" --no-pager -o cat 2>/dev/null
	else
		cat "$PKG_DAEMON_LOG" 2>/dev/null
	fi
}

# pkg_log_has REGEX - true when the daemon's log has a line matching REGEX
# shellcheck disable=SC2317 # called through e2e_check or a trap
pkg_log_has() {
	pkg_log | grep -qE -- "$1"
}

# _pkg_exec_as_unit CMD... - in a subshell: become CMD as the unit's User
# and Group with its UMask, in a session of its own, without capabilities
# or a way to gain them, as systemd would
_pkg_exec_as_unit() {
	local mask
	mask=$(pkg_unit UMask)
	umask "${mask:-0022}"
	exec setsid setpriv --reuid="$(pkg_unit User)" --regid="$(pkg_unit Group)" \
		--init-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- "$@"
}

# pkg_log_lacks REGEX - true when no line of the daemon's log matches REGEX
# shellcheck disable=SC2317 # called through e2e_check
pkg_log_lacks() {
	! pkg_log | grep -qE -- "$1"
}

# pkg_as_unit CMD... - run CMD as the unit would (see _pkg_exec_as_unit)
# shellcheck disable=SC2317 # also called through e2e_check
pkg_as_unit() {
	(_pkg_exec_as_unit "$@")
}

# pkg_start_by_hand - start ExecStart= of the installed unit as the unit would
pkg_start_by_hand() {
	local line
	local -a words
	line=$(pkg_unit ExecStart)
	# Plain words only: no systemd specifiers, variables, quotes or prefixes.
	if [ -z "$line" ] || [[ $line == *[%\$\"\'\\]* ]] || [[ $line != /* ]]; then
		e2e_not_ok "ExecStart= is a plain command line" "ExecStart=$line"
		return 1
	fi
	read -r -a words <<<"$line"
	echo "# ExecStart=$line User=$(pkg_unit User) Group=$(pkg_unit Group) UMask=$(pkg_unit UMask)"
	PKG_DAEMON_LOG=$PKG_WORK/daemon.log
	# One subshell that execs: $! is the daemon itself (a background job
	# of a non-interactive shell is no process group leader, so setsid(1)
	# execs in place too).
	(_pkg_exec_as_unit "${words[@]}") >>"$PKG_DAEMON_LOG" 2>&1 &
	PKG_DAEMON_PID=$!
}

# pkg_reload_by_hand - run each ExecReload= of the installed unit as the
# unit would, $MAINPID being the daemon's pid; true if all succeed
# shellcheck disable=SC2317 # called through e2e_check
pkg_reload_by_hand() {
	local line
	local -a words
	[ -n "$PKG_DAEMON_PID" ] || return 1
	while IFS= read -r line; do
		line=${line//\$MAINPID/$PKG_DAEMON_PID}
		line=${line//\$\{MAINPID\}/$PKG_DAEMON_PID}
		if [[ $line == *[%\$\"\'\\]* ]] || [[ $line != /* ]]; then
			e2e_diag "not a plain command line: ExecReload=$line"
			return 1
		fi
		echo "# ExecReload=$line"
		read -r -a words <<<"$line"
		pkg_as_unit "${words[@]}" || return 1
	done < <(sed -n 's/^ExecReload=//p' "$UNIT")
}

# pkg_stop_by_hand - SIGTERM the daemon as "systemctl stop" would; true if it exits 0 in time
# shellcheck disable=SC2317 # called through e2e_check or a trap
pkg_stop_by_hand() {
	local rc
	[ -n "$PKG_DAEMON_PID" ] || return 1
	kill -TERM "$PKG_DAEMON_PID" 2>/dev/null
	if ! _e2e_wait_until 15 _e2e_dead "$PKG_DAEMON_PID"; then
		kill -KILL -- "-$PKG_DAEMON_PID" 2>/dev/null
		wait "$PKG_DAEMON_PID" 2>/dev/null
		PKG_DAEMON_PID=
		return 1
	fi
	wait "$PKG_DAEMON_PID"
	rc=$?
	PKG_DAEMON_PID=
	return "$rc"
}

# pkg_cleanup - stop what this script started, purge the package, remove the work directory
# shellcheck disable=SC2317 # called through e2e_check or a trap
pkg_cleanup() {
	if [ -n "$PKG_DAEMON_PID" ]; then
		kill -TERM "$PKG_DAEMON_PID" 2>/dev/null
		_e2e_wait_until 10 _e2e_dead "$PKG_DAEMON_PID" ||
			kill -KILL -- "-$PKG_DAEMON_PID" 2>/dev/null
		wait "$PKG_DAEMON_PID" 2>/dev/null
		PKG_DAEMON_PID=
	fi
	if [ "$PKG_INSTALLED" = yes ]; then
		echo "# cleanup: purging $PKG"
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get purge -y -q "$PKG" >/dev/null 2>&1
		PKG_INSTALLED=no
	fi
	if [ -n "$PKG_WORK" ] && [ -d "$PKG_WORK" ]; then
		if [ "${PKG_KEEP:-0}" = 1 ]; then
			echo "# kept $PKG_WORK (PKG_KEEP=1)"
		else
			rm -rf "$PKG_WORK"
		fi
	fi
}

# lib.sh's e2e_setup sets "trap e2e_teardown EXIT" (and signal traps
# that exit): run pkg_cleanup from there too, so the package is purged
# however this script ends.
eval "_pkg_e2e_teardown() $(declare -f e2e_teardown | tail -n +2)"
# shellcheck disable=SC2317 # called by a trap
e2e_teardown() {
	_pkg_e2e_teardown
	pkg_cleanup
}
trap e2e_teardown EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# --- preconditions ---------------------------------------------------------------

e2e_require # root, postfix, swaks, python3; exit 77 otherwise
for cmd in git dpkg-buildpackage dpkg-checkbuilddeps dh lintian apt-get setpriv; do
	command -v "$cmd" >/dev/null 2>&1 ||
		pkg_bail "tool $cmd is installed" "apt-get install dpkg-dev debhelper lintian git"
done
if dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q installed; then
	pkg_bail "$PKG is not installed before the test" "purge it first: apt-get purge $PKG"
fi
for f in /etc/portcullis "$SOCK_DIR" /var/lib/portcullis "$BIN"; do
	[ -e "$f" ] && pkg_bail "nothing of $PKG is on the system before the test" "$f exists"
done
pkg_no_procs || pkg_bail "no $BIN runs before the test" "$(pkg_procs)"

PKG_WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-pkg.XXXXXX") || exit 1
chmod 755 "$PKG_WORK"
start=$(_e2e_now_ms)

# --- build -------------------------------------------------------------------------

src=$PKG_WORK/src/$PKG
if git clone -q "$REPO" "$src" 2>"$PKG_WORK/clone.log"; then
	e2e_ok "clone $REPO at $(git -C "$src" rev-parse --short HEAD)"
else
	pkg_tail "git clone" "$PKG_WORK/clone.log"
	pkg_bail "clone $REPO"
fi
[ -f "$src/debian/control" ] || pkg_bail "the clone has debian/control" "is debian/ committed?"

if (cd "$src" && dpkg-checkbuilddeps) >"$PKG_WORK/builddeps.log" 2>&1; then
	e2e_ok "build dependencies installed"
else
	pkg_tail "dpkg-checkbuilddeps" "$PKG_WORK/builddeps.log"
	pkg_bail "build dependencies installed"
fi

t0=$(_e2e_now_ms)
(cd "$src" && timeout -k 10 "$PKG_BUILD_TIMEOUT" dpkg-buildpackage -us -uc -b) \
	>"$PKG_WORK/build.log" 2>&1
rc=$?
debs=("$PKG_WORK/src/${PKG}"_*_"$(dpkg --print-architecture)".deb)
deb=${debs[0]}
if [ "$rc" -eq 0 ] && [ -f "$deb" ]; then
	e2e_ok "dpkg-buildpackage -us -uc -b ($(( ($(_e2e_now_ms) - t0) / 1000 ))s): $(basename "$deb")"
else
	pkg_tail "dpkg-buildpackage" "$PKG_WORK/build.log" 40
	pkg_bail "dpkg-buildpackage -us -uc -b" "exit status $rc"
fi
unit_tests=$(grep -E '^# (TOTAL|FAIL):' "$PKG_WORK/build.log" | tr -s ' ' | tr '\n' ' ')
e2e_diag "make check during the build: ${unit_tests:-no summary found}"

changes=("$PKG_WORK/src/${PKG}"_*.changes)
timeout -k 10 300 lintian --fail-on error "${changes[0]}" >"$PKG_WORK/lintian.log" 2>&1
rc=$?
sed -i '/^running with root privileges is not recommended!$/d' "$PKG_WORK/lintian.log"
if [ "$rc" -eq 0 ] && ! grep -q '^E: ' "$PKG_WORK/lintian.log"; then
	e2e_ok "lintian: no errors"
else
	e2e_not_ok "lintian: no errors" "lintian exit status $rc"
fi
if [ -s "$PKG_WORK/lintian.log" ]; then
	sed 's/^/#   lintian: /' "$PKG_WORK/lintian.log"
fi

contents=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\.||')
for f in "$BIN" "$GENKEY" "$REPORT" "$CONF" "$UNIT" "$TMPFILES" \
	/usr/share/man/man8/portcullis.8.gz /usr/share/man/man8/portcullis-genkey.8.gz \
	/usr/share/man/man8/portcullis-report.8.gz \
	/usr/share/man/man5/portcullis.conf.5.gz \
	/usr/share/doc/portcullis/MIGRATION.md.gz \
	/usr/share/doc/portcullis/examples/dkim-sign-opendkim.conf \
	/usr/share/doc/portcullis/examples/dmarc-reports.cron \
	/usr/share/doc/portcullis/examples/opendkim/KeyTable \
	/usr/share/doc/portcullis/examples/main.cf.snippet; do
	e2e_check "the package has $f" grep -qx -- "$f" <<<"$contents"
done
e2e_check "$CONF is a conffile" grep -qx -- "$CONF" <(dpkg-deb -I "$deb" conffiles 2>/dev/null)

# --- install -----------------------------------------------------------------------

PKG_INSTALLED=yes # from here on, cleanup purges
if DEBIAN_FRONTEND=noninteractive timeout -k 10 300 apt-get install -y -q "$deb" \
	>"$PKG_WORK/install.log" 2>&1; then
	e2e_ok "apt-get install ./$(basename "$deb")"
else
	pkg_tail "apt-get install" "$PKG_WORK/install.log"
	pkg_bail "apt-get install ./$(basename "$deb")"
fi

e2e_check "user portcullis exists, a system account" \
	test "$(id -u portcullis 2>/dev/null || echo 1000)" -lt 1000
e2e_check "group postfix exists" pkg_quiet getent group postfix
e2e_check "socket directory $SOCK_DIR: portcullis:postfix 2750" \
	test "$(stat -c '%U:%G %a' "$SOCK_DIR" 2>/dev/null)" = "portcullis:postfix 2750"
e2e_check "report directory $REPORT_DIR: portcullis:portcullis 750" \
	test "$(stat -c '%U:%G %a' "$REPORT_DIR" 2>/dev/null)" = "portcullis:portcullis 750"
e2e_check "$CONF: root:portcullis 640" \
	test "$(stat -c '%U:%G %a' "$CONF" 2>/dev/null)" = "root:portcullis 640"
e2e_check "$CONF sets milter_socket = unix:$SOCK" \
	grep -qx "milter_socket = unix:$SOCK" "$CONF"
out=$("$BIN" -n 2>&1)
rc=$?
e2e_check "portcullis -n accepts the packaged configuration" test "$rc" -eq 0 -a -z "$out"
[ -n "$out" ] && e2e_diag "$out"
e2e_check "the unit's user can read the configuration (portcullis -n as it)" \
	pkg_as_unit "$BIN" -n
e2e_check "portcullis -d shows the packaged socket" \
	grep -qx "milter_socket = unix:$SOCK" <("$BIN" -d 2>/dev/null)

# A signing key as portcullis-genkey(8) tells the admin to make one, in a
# directory of the work area: the unit's user must be able to load it.
gk_key=$PKG_WORK/keys/pkgtest._domainkey.example.test.key
if "$GENKEY" -d example.test -s pkgtest -u portcullis -D "$PKG_WORK/keys" \
	>"$PKG_WORK/genkey.out" 2>"$PKG_WORK/genkey.err"; then
	e2e_ok "portcullis-genkey -u portcullis makes a key"
else
	pkg_tail "portcullis-genkey" "$PKG_WORK/genkey.err"
	e2e_not_ok "portcullis-genkey -u portcullis makes a key"
fi
e2e_check "the key is portcullis:portcullis 600" \
	test "$(stat -c '%U:%G %a' "$gk_key" 2>/dev/null)" = "portcullis:portcullis 600"
{
	printf 'dns_servers = 127.0.0.1:9\nspf_verify = no\n'
	sed -n 's/^#    \(dkim_sign_[a-z]* = .*\)$/\1/p' "$PKG_WORK/genkey.out"
} >"$PKG_WORK/genkey.conf"
chmod 644 "$PKG_WORK/genkey.conf"
e2e_check "the unit's user signs with the new key (portcullis -n as it)" \
	pkg_as_unit "$BIN" -n -c "$PKG_WORK/genkey.conf"
# No DMARC data yet: portcullis-report says so with exit status 3.
"$REPORT" dmarc --receiver mx.example.test --out "$PKG_WORK" >/dev/null 2>&1
e2e_check "portcullis-report finds the data directory (no data: exit 3)" test $? -eq 3

if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify --man=no "$UNIT" 2>&1)
	e2e_check "systemd-analyze verify $UNIT" test -z "$out"
	[ -n "$out" ] && e2e_diag "$out"
else
	echo "# systemd-analyze not installed: unit not verified"
fi

# Tests never leave loopback: the packaged configuration asks the system
# resolver (SPF, DKIM and DMARC are on by default), so point it at a
# loopback port where nothing listens, and turn SPF and DMARC off (every
# test sender would be an SPF and a DMARC temperror). The conffile is
# removed by the purge anyway.
printf '\n# added by tests/pkg/test-package.sh: lookups stay on loopback\ndns_servers = 127.0.0.1:9\nspf_verify = no\ndmarc_verify = no\n' >>"$CONF"

# --- start -------------------------------------------------------------------------

if pkg_systemd; then
	echo "# systemd runs this machine: the postinst started $PKG.service"
	e2e_check "$PKG.service is enabled" systemctl -q is-enabled "$PKG.service"
else
	echo "# no systemd: starting the unit's ExecStart by hand"
	e2e_check "tmpfiles.d entry is valid (systemd-tmpfiles --create)" \
		systemd-tmpfiles --create "$(basename "$TMPFILES")"
	pkg_start_by_hand
fi
if _e2e_wait_until 15 test -S "$SOCK"; then
	e2e_ok "the daemon opens $SOCK"
else
	e2e_not_ok "the daemon opens $SOCK" "$(pkg_log | tail -n 15)"
	pkg_systemd && e2e_diag "$(systemctl status --no-pager "$PKG.service" 2>&1 | tail -n 15)"
	pkg_done
fi
main=$(pkg_main_pid)
e2e_check "the supervisor runs as portcullis" \
	test "$(ps -o user= -p "${main:-0}" 2>/dev/null)" = portcullis
e2e_check "socket srwxrwx--- portcullis:postfix" \
	test "$(stat -c '%A %U:%G' "$SOCK" 2>/dev/null)" = "srwxrwx--- portcullis:postfix"
# The unit's User= and the configuration's "user" agree: no warning.
e2e_check "the daemon does not warn about its user" \
	pkg_log_lacks 'not started as root|running as root|has uid 0'

# --- mail through a private Postfix ------------------------------------------------------

e2e_setup
e2e_postfix_reconfigure "smtpd_milters = unix:$SOCK" "non_smtpd_milters = unix:$SOCK"
echo "# private Postfix on 127.0.0.1:$E2E_SMTP_PORT, milters = unix:$SOCK"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.10 --xclient-name mail.example.net --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "smtp: RCPT 250"
e2e_expect_reply DOT '250 ' "smtp: end of data 250"
e2e_expect_delivered "$m" "smtp: delivered through the packaged socket"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo 'bad_name!' \
	--xclient-addr 192.0.2.11 --header "Subject: $m"
e2e_expect_reply_is RCPT '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"smtp: the packaged configuration's checks run (invalid HELO refused)"

m=$(e2e_marker)
e2e_sendmail "$m" a@example.net b@example.com
e2e_expect_delivered "$m" "sendmail: delivered through the packaged socket"

# --- reload, as ExecReload= ---------------------------------------------------------------

if pkg_systemd; then
	e2e_check "systemctl reload $PKG" systemctl reload "$PKG.service"
else
	e2e_check "ExecReload= by hand" pkg_reload_by_hand
fi
if _e2e_wait_until 10 pkg_log_has 'reload ok'; then
	e2e_ok "the daemon logs 'reload ok'"
else
	e2e_not_ok "the daemon logs 'reload ok'" "$(pkg_log | tail -n 10)"
fi
e2e_check "the daemon runs after the reload" test -n "$(pkg_main_pid)"

# --- stop and purge -------------------------------------------------------------------------

if ! pkg_systemd; then
	# What the prerm's "deb-systemd-invoke stop" does under systemd.
	e2e_check "SIGTERM stops the daemon with status 0" pkg_stop_by_hand
fi
# Postfix first: nothing may hold the socket while it goes.
_e2e_stop_postfix

if DEBIAN_FRONTEND=noninteractive timeout -k 10 300 apt-get purge -y -q "$PKG" \
	>"$PKG_WORK/purge.log" 2>&1; then
	PKG_INSTALLED=no
	e2e_ok "apt-get purge $PKG"
else
	pkg_tail "apt-get purge" "$PKG_WORK/purge.log"
	e2e_not_ok "apt-get purge $PKG"
fi
status=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)
e2e_check "dpkg: $PKG is not installed, no config-files left (${status:-not known to dpkg})" \
	test -z "$status" -o "${status##* }" = not-installed
for f in "$BIN" "$GENKEY" "$REPORT" /etc/portcullis "$SOCK_DIR" /var/lib/portcullis \
	"$UNIT" "$TMPFILES" /etc/systemd/system/multi-user.target.wants/portcullis.service; do
	e2e_check "gone: $f" test ! -e "$f" -a ! -L "$f"
done
if _e2e_wait_until 5 pkg_no_procs; then
	e2e_ok "no $BIN process left"
else
	e2e_not_ok "no $BIN process left" "$(pkg_procs)"
fi
getent passwd portcullis >/dev/null &&
	echo "# the user portcullis stays, as Debian keeps system users"

printf '# %s: %ds in all\n' "$E2E_NAME" $(( ($(_e2e_now_ms) - start) / 1000 ))
pkg_done
