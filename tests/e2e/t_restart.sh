#!/bin/bash
#
# t_restart.sh - the supervisor replaces a dead worker (worker_restart):
# after kill -9 a new worker listens on the same unix socket (the dead
# one's file replaced), mail flows again and a reload still works; a
# message in flight when the worker dies is tempfailed, never lost, and
# goes through when the client retries; a new worker whose configuration
# does not load is retried with a growing back-off, and SIGTERM during a
# back-off stops at once with status 0; past worker_restart_rate the
# supervisor gives up with status 1 and a clear log line; a worker that
# exits 0 (told to stop) is not replaced. Every wait is on an event
# (a pid, a log line, a socket that accepts), bounded generously.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

# conf [LINES] - the config: internal clients, restarts 3/1h, back-off up
# to 2 s, plus LINES
conf() {
	e2e_write_conf <<EOF
internal_networks = 127.0.0.0/8
worker_restart_rate = 3/1h
worker_restart_max_delay = 2s
${1:-}
EOF
}

# new_worker OLD - print the worker pid once it differs from OLD
new_worker() {
	local w
	w=$(e2e_milter_worker_pid) || return 1
	[ "$w" != "$1" ] && echo "$w"
}

# socket_accepts - true if the milter socket accepts a connection
# shellcheck disable=SC2317 # called through e2e_wait
socket_accepts() {
	python3 - "$E2E_MILTER_SOCK_PATH" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError:
    sys.exit(1)
EOF
}

# milter_log_since MARK REGEX - true if the portcullis log has REGEX after byte MARK
# shellcheck disable=SC2317 # called through e2e_wait
milter_log_since() {
	_e2e_log_since "$E2E_MILTER_LOG" "$1" "$2"
}

# kill_and_time PID - kill -9 PID, poll every 5 ms until the socket
# accepts for another process (SO_PEERCRED: the pid that listens; a
# dying worker's threads may hold its socket open a little while);
# print the milliseconds it took (at most 30 s)
kill_and_time() {
	python3 - "$1" "$E2E_MILTER_SOCK_PATH" <<'EOF'
import os, signal, socket, struct, sys, time
pid, path = int(sys.argv[1]), sys.argv[2]
start = time.monotonic()
os.kill(pid, signal.SIGKILL)
while time.monotonic() - start < 30:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        cred = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
        if struct.unpack("3i", cred)[0] != pid:
            print(int((time.monotonic() - start) * 1000))
            sys.exit(0)
    except OSError:
        pass
    finally:
        s.close()
    time.sleep(0.005)
sys.exit(1)
EOF
}

# send_ok NAME - a message from 192.0.2.7; assert RCPT 250 and delivery
send_ok() {
	m=$(e2e_marker)
	e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
		--xclient-addr 192.0.2.7 --header "Subject: $m"
	e2e_expect_reply RCPT '250 ' "$1: RCPT 250"
	e2e_expect_delivered "$m" "$1: delivered"
}

conf
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
w1=$(e2e_milter_worker_pid)
e2e_check "a supervisor and a worker run" test -n "$w1"
e2e_check "the open files limit is logged once, at start" \
	test "$(grep -c '^portcullis: open files: ' "$E2E_MILTER_LOG")" -eq 1
e2e_diag "$(grep '^portcullis: open files: ' "$E2E_MILTER_LOG")"
worker_nofile=$(awk '$1 == "Max" && $2 == "open" { print $4 }' "/proc/$w1/limits")
e2e_check "the worker's soft limit of open files is its hard limit ($worker_nofile)" \
	test "$worker_nofile" = "$(awk '$1 == "Max" && $2 == "open" { print $5 }' "/proc/$w1/limits")"
send_ok "before"

# --- kill -9: a new worker listens on the same socket --------------------------
e2e_log_mark
mark=$E2E_MILTER_LOG_MARK
ms=$(kill_and_time "$w1")
e2e_check "kill -9: a worker accepts on the socket again" test -n "$ms"
e2e_diag "kill -9 to a new worker accepting on the socket: ${ms:-?} ms"
w2=
e2e_wait 30 new_worker "$w1" >/dev/null && w2=$(new_worker "$w1")
e2e_check "kill -9: a new worker pid ($w1 -> ${w2:-none})" test -n "$w2"
e2e_check "kill -9: the same supervisor" test "$E2E_MILTER_PID" = "$sup" -a -n "$(ps -o pid= -p "$sup")"
e2e_expect_milter_log "^portcullis: worker $w1 was killed by signal 9 \(Killed\): starting a new one now \(restart 1 of 3 within 1h\)\$" \
	"kill -9: one log line says how it died and that the next starts now"
e2e_expect_milter_log '^portcullis: supervisor [0-9]+: worker [0-9]+ started \(restart\)$' \
	"kill -9: the supervisor logs the new worker"
e2e_expect_milter_log "^portcullis: new worker: loading $(e2e_re "$E2E_MILTER_CONF")\$" \
	"kill -9: the new worker loads the configuration file"
e2e_check "kill -9: the socket is a new file, still group postfix" \
	test "$(stat -c %G "$E2E_MILTER_SOCK_PATH")" = postfix
if milter_log_since "$mark" 'in use'; then
	e2e_not_ok "kill -9: the dead worker's socket is not taken for a live one"
else
	e2e_ok "kill -9: the dead worker's socket is not taken for a live one"
fi
send_ok "after kill -9"

# --- a reload reaches the new worker ------------------------------------------------
conf 'helo_invalid_action = reject'
if e2e_milter_reload; then
	e2e_ok "reload after a restart: reload ok"
else
	e2e_not_ok "reload after a restart: reload ok" "no 'reload ok' after SIGHUP"
fi
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo 'bad_name!' \
	--xclient-addr 192.0.2.7 --header "Subject: $m"
e2e_expect_reply_is RCPT '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"reload after a restart: the new rules apply"
conf

# --- a message in flight when the worker dies ------------------------------------------
# The session has its RCPT accepted by the worker, which dies; Postfix's
# milter connection is gone, so milter_default_action (tempfail) answers
# for the message: a 4xx, nothing delivered. The client retries it, and
# the new worker lets it through.
e2e_check "in flight: the worker reloaded back to the base rules" e2e_milter_reload
go=$E2E_WORK/inflight.go
m=$(e2e_marker)
e2e_smtp_bg <<EOF
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO mail.example.net
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
@wait $go
DATA
Subject: $m

in flight while the worker dies
.
QUIT
EOF
inflight=$E2E_TRANSCRIPT

# rcpt_answered - true once the paused session's RCPT has its reply
# shellcheck disable=SC2317 # called through e2e_wait
rcpt_answered() {
	[ -n "$(e2e_reply RCPT "$inflight")" ]
}

e2e_check "in flight: the session reached its pause (RCPT answered)" e2e_wait 20 rcpt_answered
e2e_check "in flight: RCPT was accepted by the worker" \
	test "$(e2e_reply RCPT "$inflight" | cut -c1-3)" = 250
w3=
ms=$(kill_and_time "$w2")
e2e_wait 30 new_worker "$w2" >/dev/null && w3=$(new_worker "$w2")
e2e_check "in flight: a new worker runs ($w2 -> ${w3:-none})" test -n "$w3"
e2e_diag "kill -9 to a new worker accepting (after the 1 s back-off): ${ms:-?} ms"
touch "$go"
e2e_smtp_wait
E2E_TRANSCRIPT=$inflight
tempfail=$(
	{
		e2e_reply DATA
		e2e_reply DOT
	} | grep -m1 '^4'
)
e2e_check "in flight: the message gets a 4xx (got '${tempfail:-none}')" \
	grep -q '^451 4\.7\.1 ' <<<"$tempfail"
e2e_check "in flight: no 2xx for the message" \
	test -z "$(e2e_reply DOT | grep '^2')"
e2e_expect_not_delivered "$m" "in flight: not delivered (the sender keeps it)"
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.7 --header "Subject: $m"
e2e_expect_reply DOT '250 ' "in flight: the client's retry is accepted"
e2e_expect_delivered "$m" "in flight: the retry is delivered"
e2e_check "in flight: delivered once" test "$(e2e_sink_file "$m" | wc -l)" -eq 1

# --- past the rate: the supervisor gives up --------------------------------------------
# Two restarts of 3 are spent; the third waits the back-off (2 s), the
# fourth death is one too many.
e2e_log_mark
kill -9 "$w3"
w4=
e2e_wait 30 new_worker "$w3" >/dev/null && w4=$(new_worker "$w3")
e2e_check "rate: the third restart happens ($w3 -> ${w4:-none})" test -n "$w4"
e2e_expect_milter_log "^portcullis: worker $w3 was killed by signal 9 \(Killed\): starting a new one in 2 s \(restart 3 of 3 within 1h\)\$" \
	"rate: the third restart waits the back-off"
e2e_check "rate: the new worker listens" e2e_wait 30 socket_accepts
e2e_log_mark
kill -9 "$w4"
e2e_check "rate: the supervisor exits after the fourth death" e2e_wait 30 _e2e_dead "$sup"
wait "$sup"
rc=$?
E2E_MILTER_PID=
e2e_check "rate: exit status 1 (got $rc)" test "$rc" -eq 1
e2e_expect_milter_log "^portcullis: worker $w4 was killed by signal 9 \(Killed\): restarted 3 times within 1h already \(worker_restart_rate = 3/1h\): giving up, exiting\$" \
	"rate: the log says why it gave up"
e2e_check "rate: no process left" _e2e_pgroup_gone "$sup"
e2e_check "rate: the dead worker's socket is removed" test ! -e "$E2E_MILTER_SOCK_PATH"

# --- SIGTERM during a back-off ---------------------------------------------------------
# A new worker whose configuration does not load exits 1 at once; each
# one is a restart, so the supervisor backs off 1 s, 2 s, 4 s, 8 s. A
# SIGTERM while it waits 8 s stops it at once, with status 0.
e2e_write_conf <<'EOF'
internal_networks = 127.0.0.0/8
worker_restart_rate = 10/1h
worker_restart_max_delay = 60s
EOF
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
w1=$(e2e_milter_worker_pid)
echo 'no_such_key = 1' >>"$E2E_MILTER_CONF"
e2e_log_mark
kill -9 "$w1"
e2e_check "back-off: the broken configuration is logged" \
	e2e_wait 30 milter_log_since "$E2E_MILTER_LOG_MARK" "$(e2e_re "$E2E_MILTER_CONF"):[0-9]+: unknown key \"no_such_key\""
e2e_check "back-off: a new worker that cannot load it says so" \
	e2e_wait 30 milter_log_since "$E2E_MILTER_LOG_MARK" '^portcullis: new worker: the configuration does not load: exiting$'
e2e_check "back-off: the waits grow to 8 s" \
	e2e_wait 60 milter_log_since "$E2E_MILTER_LOG_MARK" 'exited with status 1: starting a new one in 8 s \(restart 5 of 10 within 1h\)$'
for d in 1 2 4; do
	e2e_check "back-off: a wait of $d s before it" \
		milter_log_since "$E2E_MILTER_LOG_MARK" "exited with status 1: starting a new one in $d s "
done
e2e_log_mark
e2e_stop_milter
e2e_expect_milter_log '^portcullis: stopping \(SIGTERM\) while waiting to start a worker$' \
	"back-off: SIGTERM stops during the wait"
e2e_check "back-off: no worker was started after the SIGTERM" \
	test -z "$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep 'new worker: loading')"

# --- a worker that exits 0 is not replaced -----------------------------------------------
conf
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
w1=$(e2e_milter_worker_pid)
e2e_log_mark
kill -TERM "$w1"
e2e_check "exit 0: the supervisor stops too" e2e_wait 30 _e2e_dead "$sup"
wait "$sup"
rc=$?
E2E_MILTER_PID=
e2e_check "exit 0: status 0 (got $rc)" test "$rc" -eq 0
e2e_expect_milter_log "^portcullis: worker $w1 exited with status 0: stopping\$" \
	"exit 0: the log says so"
e2e_check "exit 0: no new worker" test -z "$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep 'started (restart)')"
e2e_check "exit 0: the socket is removed" test ! -e "$E2E_MILTER_SOCK_PATH"

# --- worker_restart = no: the old behaviour ----------------------------------------------
conf 'worker_restart = no'
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
w1=$(e2e_milter_worker_pid)
e2e_log_mark
kill -9 "$w1"
e2e_check "no restart: the supervisor exits" e2e_wait 30 _e2e_dead "$sup"
wait "$sup"
rc=$?
E2E_MILTER_PID=
e2e_check "no restart: status 1 (got $rc)" test "$rc" -eq 1
e2e_expect_milter_log "^portcullis: worker $w1 was killed by signal 9 \(Killed\): exiting \(worker_restart = no\)\$" \
	"no restart: the log says so"

e2e_finish
