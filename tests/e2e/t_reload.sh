#!/bin/bash
#
# t_reload.sh - SIGHUP to the supervisor (the pid the rig started; it
# passes the reload on to its worker as SIGUSR1) reloads the configuration
# and every map file: the next SMTP session follows the new rules, a
# session in flight finishes on the rules it started with, and a broken
# configuration is refused with "file:line: message" while the daemon
# keeps running on the previous one.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

maps=$E2E_WORK/maps
mkdir -p "$maps"
cat >"$maps/clients.cidr" <<'EOF'
198.51.100.66       REJECT
EOF

# conf ACTION - write the config with helo_invalid_action = ACTION
conf() {
	e2e_write_conf <<EOF
internal_networks = 127.0.0.0/8
client_access = cidr:$maps/clients.cidr
helo_invalid_action = $1
EOF
}

# send_bad_helo - a message with HELO bad_name! from 192.0.2.7; marker in $m
send_bad_helo() {
	m=$(e2e_marker)
	e2e_swaks --from a@example.net --to b@example.com --helo 'bad_name!' \
		--xclient-addr 192.0.2.7 --header "Subject: $m"
}

# reload_ok NAME - SIGHUP; assert "reload ok"
reload_ok() {
	if e2e_milter_reload; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "no 'reload ok' after SIGHUP"
	fi
}

# reload_refused NAME - SIGHUP; assert "reload failed"
reload_refused() {
	if e2e_milter_reload; then
		e2e_not_ok "$1" "'reload ok' after SIGHUP"
	elif _e2e_log_since "$E2E_MILTER_LOG" "$E2E_MILTER_LOG_MARK" 'reload failed'; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "neither 'reload ok' nor 'reload failed' after SIGHUP"
	fi
}

invalid='501 5.5.2 <bad_name!>: Helo command rejected: Invalid name'

conf accept
e2e_start_milter || e2e_finish
sup=$E2E_MILTER_PID
worker=$(e2e_milter_worker_pid)
e2e_check "a supervisor and a worker run" test -n "$worker"

# --- the starting rules: a bad HELO is accepted ---------------------------------
send_bad_helo
e2e_expect_reply RCPT '250 ' "accept: RCPT 250"
e2e_expect_delivered "$m" "accept: delivered"

# --- reload to reject ---------------------------------------------------------------
conf reject
reload_ok "reject: SIGHUP logs 'reload ok'"
e2e_expect_milter_log "^portcullis: reloading $(e2e_re "$E2E_MILTER_CONF")\$" \
	"reject: the worker names the file it reloads"
e2e_check "reject: the same supervisor and worker still run" \
	test "$(e2e_milter_worker_pid)" = "$worker" -a "$E2E_MILTER_PID" = "$sup"
send_bad_helo
e2e_expect_reply_is RCPT "$invalid" "reject: the next session gets 501 5.5.2"
e2e_expect_not_delivered "$m" "reject: not delivered"

# --- a broken configuration is refused, the previous one kept ----------------------
e2e_write_conf <<EOF
internal_networks = 127.0.0.0/8
client_access = cidr:$maps/clients.cidr
no_such_key = 1
helo_invalid_action = accept
EOF
reload_refused "broken: reload refused"
e2e_expect_milter_log "^portcullis: $(e2e_re "$E2E_MILTER_CONF"):3: unknown key \"no_such_key\"\$" \
	"broken: the log names file:line and the problem"
e2e_expect_milter_log '^portcullis: reload failed: keeping the previous configuration$' \
	"broken: the log says the previous configuration is kept"
e2e_check "broken: the daemon keeps running (same supervisor and worker)" \
	test "$(e2e_milter_worker_pid)" = "$worker" -a "$E2E_MILTER_PID" = "$sup"
send_bad_helo
e2e_expect_reply_is RCPT "$invalid" "broken: still rejects per the previous configuration"
e2e_expect_not_delivered "$m" "broken: not delivered"

# A broken map file is refused the same way.
conf reject
printf '192.0.2.0/33 REJECT\n' >"$maps/clients.cidr"
reload_refused "broken map: reload refused"
e2e_expect_milter_log "$(e2e_re "$maps/clients.cidr"):1: bad CIDR \"192\.0\.2\.0/33\"" \
	"broken map: the log names map:line"
e2e_check "broken map: the daemon keeps running" e2e_milter_alive

# --- a map file edit takes effect on SIGHUP -------------------------------------------
printf '198.51.100.66 REJECT\n' >"$maps/clients.cidr"
reload_ok "map: reload ok with a good map"
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.50 --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "map: 192.0.2.50 accepted before the edit"
e2e_expect_delivered "$m" "map: delivered before the edit"
printf '198.51.100.66 REJECT\n192.0.2.50 REJECT\n' >"$maps/clients.cidr"
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.50 --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "map: edited but not reloaded, still accepted"
e2e_expect_delivered "$m" "map: delivered before the reload"
reload_ok "map: SIGHUP logs 'reload ok'"
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.50 --header "Subject: $m"
e2e_expect_reply_is RCPT '554 5.7.1 <unknown[192.0.2.50]>: Client host rejected: Access denied' \
	"map: refused after the reload"
e2e_expect_not_delivered "$m" "map: not delivered after the reload"

# --- a session in flight finishes on its old rules -------------------------------------
conf accept
reload_ok "in flight: back to accept"
go=$E2E_WORK/inflight.go
m=$(e2e_marker)
e2e_smtp_bg <<EOF
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO bad_name!
@wait $go
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
DATA
Subject: $m

in flight across a reload
.
QUIT
EOF
inflight=$E2E_TRANSCRIPT

# ehlo_twice - true once the paused session has its second EHLO answered
# shellcheck disable=SC2317 # called through e2e_wait
ehlo_twice() {
	[ "$(e2e_reply EHLO "$inflight" | grep -c '^250 ')" -ge 2 ]
}

e2e_check "in flight: the session reached its pause (EHLO bad_name! answered)" e2e_wait 10 ehlo_twice
conf reject
reload_ok "in flight: reload to reject while the session waits"
touch "$go"
e2e_smtp_wait
E2E_TRANSCRIPT=$inflight
e2e_check "in flight: the client finished its script" test "$E2E_SWAKS_RC" -eq 0
e2e_expect_reply RCPT '250 ' "in flight: RCPT 250 (the rules the session started with)"
e2e_expect_reply DOT '250 ' "in flight: end of data 250"
e2e_expect_delivered "$m" "in flight: delivered"

send_bad_helo
e2e_expect_reply_is RCPT "$invalid" "in flight: the next session gets the new rules"
e2e_expect_not_delivered "$m" "in flight: the next session's message is not delivered"

# --- a config only root can read -----------------------------------------------------
# The worker reloads as the service user: a file root could read at start
# (mode 0600, owner root) cannot be read again. The reload must fail
# loudly and leave the daemon on its rules.
conf accept
chmod 600 "$E2E_MILTER_CONF"
reload_refused "root-only config: reload refused"
e2e_expect_milter_log "^portcullis: $(e2e_re "$E2E_MILTER_CONF"): cannot open: Permission denied\$" \
	"root-only config: the log names the file and the reason"
e2e_check "root-only config: the daemon keeps running" e2e_milter_alive
send_bad_helo
e2e_expect_reply_is RCPT "$invalid" "root-only config: still rejects per the rules in force"
chmod 644 "$E2E_MILTER_CONF"

e2e_expect_milter_log_clean

# --- SIGTERM with a session in flight -----------------------------------------------------
# The daemon stops anyway (exit 0, socket removed); the session left
# behind gets Postfix's milter_default_action (tempfail here) at MAIL:
# nothing is accepted unchecked.
go=$E2E_WORK/stop.go
e2e_smtp_bg <<EOF
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO mail.example.net
@wait $go
MAIL FROM:<a@example.net>
QUIT
EOF
inflight=$E2E_TRANSCRIPT
e2e_check "stop in flight: the session reached its pause" e2e_wait 10 ehlo_twice
e2e_stop_milter
touch "$go"
e2e_smtp_wait
E2E_TRANSCRIPT=$inflight
e2e_expect_reply_is MAIL '451 4.7.1 Service unavailable - try again later' \
	"stop in flight: the orphaned session gets milter_default_action at MAIL"
e2e_finish
