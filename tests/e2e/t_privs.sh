#!/bin/bash
#
# t_privs.sh - started as root with -u USER, the daemon gives up root for
# good before it forks its worker: supervisor and worker both run with
# USER's uid and gid (real, effective, saved and filesystem) and no
# capabilities, the milter socket belongs to USER, SIGTERM ends both with
# status 0 and removes the socket; -u with an unknown user fails at once
# with a message naming it.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

user=$E2E_MILTER_USER
uid=$(id -u "$user")
gid=$(id -g "$user")

# ids_are PID FIELD ID - true if every value on /proc/PID/status line FIELD is ID
# shellcheck disable=SC2317 # called through e2e_check
ids_are() {
	awk -v f="$2:" -v id="$3" '$1 == f { found = 1; for (i = 2; i <= NF; i++) if ($i != id) bad = 1 }
		END { exit !(found && !bad) }' "/proc/$1/status"
}

# caps_zero PID - true if the process has no permitted or effective capability
# shellcheck disable=SC2317 # called through e2e_check
caps_zero() {
	awk '$1 == "CapPrm:" || $1 == "CapEff:" { n++; if ($2 !~ /^0+$/) bad = 1 }
		END { exit !(n == 2 && !bad) }' "/proc/$1/status"
}

e2e_write_conf <<'EOF'
internal_networks = 127.0.0.0/8
EOF
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
worker=$(e2e_milter_worker_pid)
e2e_check "a worker runs under the supervisor" test -n "$worker"

for who in supervisor worker; do
	pid=$sup
	[ "$who" = worker ] && pid=$worker
	e2e_check "$who: Uid all $uid ($user)" ids_are "$pid" Uid "$uid"
	e2e_check "$who: Gid all $gid" ids_are "$pid" Gid "$gid"
	e2e_check "$who: not in group root" \
		test -z "$(awk '$1 == "Groups:" { for (i = 2; i <= NF; i++) if ($i == 0) print }' "/proc/$pid/status")"
	e2e_check "$who: no capabilities" caps_zero "$pid"
done

e2e_check "socket owned by $user" test "$(stat -c %U "$E2E_MILTER_SOCK_PATH")" = "$user"
e2e_check "socket group postfix (from its setgid directory)" \
	test "$(stat -c %G "$E2E_MILTER_SOCK_PATH")" = postfix
e2e_check "socket not open to others (umask 0007)" \
	test "$(($(stat -c '0%a' "$E2E_MILTER_SOCK_PATH") & 7))" -eq 0

# Postfix (user postfix) can use the socket: a message goes through.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.7 --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "Postfix reaches the socket: RCPT 250"
e2e_expect_delivered "$m" "Postfix reaches the socket: delivered"
e2e_expect_milter_log "^portcullis: [0-9A-F]+: accept stage=data client=unknown\[192\.0\.2\.7\]" \
	"Postfix reaches the socket: portcullis judged it"

# e2e_stop_milter: exit 0, no process left, socket removed.
e2e_stop_milter
e2e_check "the log says which user it became" \
	grep -q "running as user $user (uid $uid, gid $gid)" "$E2E_MILTER_LOG"

# --- -u with a user that does not exist --------------------------------------------------
sock=$E2E_WORK/milter/nouser.sock
out=$(timeout 20 "$PORTCULLIS" -f -c "$E2E_MILTER_CONF" -p "unix:$sock" -u no-such-user-e2e 2>&1)
rc=$?
e2e_check "unknown user: exit 1 (got $rc)" test "$rc" -eq 1
e2e_check "unknown user: the message names the user" grep -q '"no-such-user-e2e"' <<<"$out"
e2e_check "unknown user: no socket" test ! -e "$sock"
e2e_diag "unknown user said: $out"

e2e_finish
