#!/bin/bash
#
# t_badinput.sh - bad input of every kind: broken configurations and map
# files (portcullis -n, and the daemon refusing to start), over-long and
# odd HELO names, 1,000 recipients in one transaction, and client
# values in log lines (a quoted sender, an access map's WARN). The daemon
# must answer each, never crash, log no error, and stop cleanly.
#
# Postfix limits met on the way (3.7.11, checked here):
#   - a refused RCPT counts as an error: after smtpd_soft_error_limit (10)
#     smtpd sleeps 1 s before each reply, after smtpd_hard_error_limit (20)
#     it says "421 4.7.0 ... Error: too many errors" and hangs up; both are
#     raised for this test so that 1,000 refusals take seconds;
#   - smtp_destination_recipient_limit (50) would split the delivery of
#     1,000 recipients into 20; raised so that the sink gets one message;
#   - with smtputf8_enable = yes (the default) a HELO that is not valid
#     UTF-8 is refused by smtpd itself ("500 5.5.2 Error: bad UTF-8
#     syntax") and never reaches the milter; valid UTF-8 and control
#     characters such as \x01 are passed on.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup --main 'smtpd_soft_error_limit = 2000' --main 'smtpd_hard_error_limit = 2000' \
	--main 'smtp_destination_recipient_limit = 1000'

if [ -z "${PORTCULLIS:-}" ] || [ ! -x "$PORTCULLIS" ]; then
	e2e_bail "PORTCULLIS='${PORTCULLIS:-}' is not an executable"
fi

cf=$E2E_WORK/check
mkdir -p "$cf"
chmod 755 "$cf"

# check_conf FILE - run portcullis -n -c FILE; stdout, stderr and status in $out, $err, $rc
check_conf() {
	out=$(timeout 10 "$PORTCULLIS" -n -c "$1" 2>"$cf/stderr")
	rc=$?
	err=$(cat "$cf/stderr")
}

# --- portcullis -n ------------------------------------------------------------
cat >"$cf/good.conf" <<'EOF'
internal_networks = 127.0.0.0/8
helo_invalid_action = reject
EOF
check_conf "$cf/good.conf"
e2e_check "-n good: exit 0" test "$rc" -eq 0
e2e_check "-n good: prints nothing" test -z "$out$err"

cat >"$cf/bad.conf" <<'EOF'
internal_networks = 127.0.0.0/8
no_such_key = 1
# a comment
helo_invalid_action = maybe
enforce_stage = rcpt
EOF
check_conf "$cf/bad.conf"
e2e_check "-n broken: exit 1" test "$rc" -eq 1
e2e_check "-n broken: nothing on stdout" test -z "$out"
e2e_check "-n broken: one line per problem" test "$(grep -c . <<<"$err")" -eq 2
e2e_check "-n broken: FILE:2: unknown key" \
	grep -qx "$(e2e_re "$cf/bad.conf"):2: unknown key \"no_such_key\"" <<<"$err"
e2e_check "-n broken: FILE:4: unknown action" \
	grep -q "^$(e2e_re "$cf/bad.conf"):4: helo_invalid_action: unknown action \"maybe\"" <<<"$err"

# A map file that is missing, a directory, or malformed.
printf 'client_access = cidr:%s\n' "$cf/missing.cidr" >"$cf/missing.conf"
check_conf "$cf/missing.conf"
e2e_check "-n missing map: exit 1" test "$rc" -eq 1
e2e_check "-n missing map: names the map and the reason" \
	grep -qx "$(e2e_re "$cf/missing.conf"):1: cidr:$(e2e_re "$cf/missing.cidr"): cannot open: No such file or directory" <<<"$err"

mkdir -p "$cf/dir.cidr"
printf 'client_access = cidr:%s\n' "$cf/dir.cidr" >"$cf/dir.conf"
check_conf "$cf/dir.conf"
e2e_check "-n directory as map: exit 1" test "$rc" -eq 1
e2e_check "-n directory as map: names it" \
	grep -q "^$(e2e_re "$cf/dir.conf"):1: .*$(e2e_re "$cf/dir.cidr").*Is a directory" <<<"$err"

cat >"$cf/bad.regexp" <<'EOF'
/^good\.example$/   OK
/^[0-9.+$/          550 unbalanced bracket
EOF
printf 'internal_networks = 127.0.0.0/8\nhelo_access = regexp:%s\n' "$cf/bad.regexp" >"$cf/regexp.conf"
check_conf "$cf/regexp.conf"
e2e_check "-n bad regex: exit 1" test "$rc" -eq 1
e2e_check "-n bad regex: names conf:line and map:line" \
	grep -q "^$(e2e_re "$cf/regexp.conf"):2: $(e2e_re "$cf/bad.regexp"):2: bad regular expression" <<<"$err"

printf '/(/ REJECT\n' >"$cf/bad.pcre"
printf 'sender_access = pcre:%s\n' "$cf/bad.pcre" >"$cf/pcre.conf"
check_conf "$cf/pcre.conf"
e2e_check "-n bad pcre: names map:line" \
	grep -q "^$(e2e_re "$cf/pcre.conf"):1: $(e2e_re "$cf/bad.pcre"):1: bad regular expression" <<<"$err"

printf '192.0.2.0/33 REJECT\n' >"$cf/bad.cidr"
printf 'client_access = cidr:%s\n' "$cf/bad.cidr" >"$cf/cidr.conf"
check_conf "$cf/cidr.conf"
e2e_check "-n bad cidr: names map:line" \
	grep -q "^$(e2e_re "$cf/cidr.conf"):1: $(e2e_re "$cf/bad.cidr"):1: bad CIDR \"192\.0\.2\.0/33\"" <<<"$err"

# --- the daemon refuses to start on a broken map ------------------------------------
sock=$E2E_WORK/milter/refused.sock
out=$(timeout 20 "$PORTCULLIS" -f -c "$cf/regexp.conf" -p "unix:$sock" -u "$E2E_MILTER_USER" 2>&1)
rc=$?
e2e_check "daemon -f, bad map: exits 1 (status $rc)" test "$rc" -eq 1
e2e_check "daemon -f, bad map: says map:line" \
	grep -q "$(e2e_re "$cf/bad.regexp"):2: bad regular expression" <<<"$out"
e2e_check "daemon -f, bad map: no socket" test ! -e "$sock"
out=$(timeout 20 "$PORTCULLIS" -c "$cf/missing.conf" -p "unix:$sock" -u "$E2E_MILTER_USER" 2>&1)
rc=$?
e2e_check "daemon (detaching), missing map: exits 1 (status $rc)" test "$rc" -eq 1
e2e_check "daemon (detaching), missing map: says why" \
	grep -q "$(e2e_re "$cf/missing.cidr"): cannot open: No such file or directory" <<<"$out"
e2e_check "daemon (detaching), missing map: no socket" test ! -e "$sock"

# --- the running daemon and odd HELO names -------------------------------------------
e2e_write_conf <<'EOF'
internal_networks = 127.0.0.0/8
EOF
e2e_start_milter || e2e_finish
worker=$(e2e_milter_worker_pid)

# still_up NAME - assert the same supervisor and worker are running
still_up() {
	if e2e_milter_alive && [ "$(e2e_milter_worker_pid)" = "$worker" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "worker was $worker, now '$(e2e_milter_worker_pid)'"
	fi
}

long=$(printf 'a%.0s' {1..492}).example
e2e_smtp <<EOF
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO $long
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
RCPT TO:<postmaster@example.org>
QUIT
EOF
e2e_expect_reply EHLO:2 '250 ' "500-char HELO: Postfix accepts it"
e2e_expect_reply RCPT:1 '501 5\.5\.2 <a{200,}[a-z.]*>: Helo command rejected: Invalid name$' \
	"500-char HELO: RCPT 501 5.5.2 (the name shown cut to fit)"
e2e_expect_reply RCPT:2 '250 ' "500-char HELO: postmaster@ 250"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=helo_invalid client=unknown\[192\.0\.2\.7\] helo=a{200,}' \
	"500-char HELO: portcullis logs the reject"
still_up "500-char HELO: no crash"

e2e_smtp <<'EOF'
EHLO client.example
XCLIENT ADDR=192.0.2.7
@raw b'EHLO ctl\x01x.example'
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
QUIT
EOF
e2e_expect_reply EHLO:2 '250 ' "control char HELO: Postfix passes it (250)"
e2e_expect_reply_is RCPT '501 5.5.2 <ctl?x.example>: Helo command rejected: Invalid name' \
	"control char HELO: RCPT 501 5.5.2, the byte shown as ?"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=helo_invalid .*helo="ctl\\x01x\.example"' \
	"control char HELO: portcullis logs it escaped"
# detail= holds the same name, quoted once like helo= (not quoted twice)
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=helo_invalid .*helo="ctl\\x01x\.example" .* detail="ctl\\x01x\.example"$' \
	"control char HELO: detail= quoted once, like helo="
still_up "control char HELO: no crash"

e2e_smtp <<'EOF'
EHLO client.example
XCLIENT ADDR=192.0.2.7
@raw b'EHLO caf\xc3\xa9.example'
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
RSET
@raw b'EHLO caf\xe9.example'
QUIT
EOF
e2e_expect_reply EHLO:2 '250 ' "UTF-8 HELO: Postfix passes it (250)"
e2e_expect_reply RCPT "501 5\\.5\\.2 <caf$(printf '\303\251')\\.example>: Helo command rejected: Invalid name\$" \
	"UTF-8 HELO: RCPT 501 5.5.2"
e2e_expect_reply_is EHLO:3 '500 5.5.2 Error: bad UTF-8 syntax' \
	"Latin-1 HELO: refused by Postfix itself"
still_up "8-bit HELO: no crash"

# --- a sender address with spaces and "key=" inside ----------------------------------
# RFC 5321 allows a quoted local part and Postfix passes it on. In the
# key=value log line it must stay one value: a logfmt reader (a value is
# bare, or double-quoted from its first character) must find one from=
# and one to=, not a to= forged by the client.

# log_keys LINE - the keys of a key=value line as a logfmt reader sees them
log_keys() {
	python3 -c '
import re, sys
pair = re.compile(r"(?:^|\s)([A-Za-z_]+)=(\"(?:[^\"\\]|\\.)*\"|\S*)")
for m in pair.finditer(sys.argv[1]):
    print(m.group(1))
' "$1"
}

e2e_smtp <<'EOF'
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO bad_name!
MAIL FROM:<"x to=<forged@example.org> y"@example.net>
RCPT TO:<b@example.com>
QUIT
EOF
e2e_expect_reply MAIL '250 ' "quoted sender: Postfix accepts it"
e2e_expect_reply_is RCPT '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"quoted sender: RCPT refused"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=helo_invalid .*forged' \
	"quoted sender: portcullis logs the reject"
line=$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -m 1 'check=helo_invalid')
keys=$(log_keys "$line")
e2e_check "quoted sender: one from= and one to= in the log line (keys: $(paste -sd' ' - <<<"$keys"))" \
	test "$(grep -cx from <<<"$keys")-$(grep -cx to <<<"$keys")" = 1-1
still_up "quoted sender: no crash"

# --- 1,000 recipients -------------------------------------------------------------------
to=$(seq -f 'r%g@example.com' 1 1000 | paste -sd, -)
m=$(e2e_marker)
e2e_swaks --from a@example.net --to "$to" --helo 'bad_name!' --xclient-addr 192.0.2.7 \
	--header "Subject: $m"
e2e_check "1000 bad: 1000 RCPT replies" test "$(e2e_reply RCPT | grep -c .)" -eq 1000
e2e_expect_reply_is RCPT '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"1000 bad: every RCPT refused with 501 5.5.2"
e2e_check "1000 bad: swaks gives up before DATA (no recipient accepted)" \
	test -z "$(e2e_reply DATA)"
e2e_expect_not_delivered "$m" "1000 bad: not delivered"
e2e_check "1000 bad: 1000 reject lines in the portcullis log" \
	test "$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -c 'NOQUEUE: reject stage=rcpt check=helo_invalid')" -eq 1000
still_up "1000 bad: no crash"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to "$to" --helo mail.example.net --xclient-addr 192.0.2.7 \
	--header "Subject: $m"
e2e_check "1000 good: 1000 RCPT replies" test "$(e2e_reply RCPT | grep -c .)" -eq 1000
e2e_expect_reply RCPT '250 2\.1\.5 Ok$' "1000 good: every RCPT 250"
e2e_expect_reply DOT '250 2\.0\.0 Ok: queued' "1000 good: end of data 250"
e2e_expect_delivered "$m" "1000 good: delivered"
e2e_check "1000 good: delivered once" test "$(e2e_sink_file "$m" | grep -c .)" -eq 1
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "1000 good: 1000 recipients in the sink file's envelope" \
	test "$(grep -c '^X-Rcpt-Args: <r[0-9]*@example\.com>' "$f")" -eq 1000
e2e_expect_milter_log '^portcullis: [0-9A-F]+: accept stage=data client=unknown\[192\.0\.2\.7\] helo=mail\.example\.net ' \
	"1000 good: portcullis logs one accept"
still_up "1000 good: no crash"

# --- an access map's WARN: what the client sent is quoted ------------------------------
# Postfix joins the words of "EHLO a b" into one HELO name.
printf '/^warnme/ WARN odd HELO\n' >"$cf/warn.regexp"
chmod 644 "$cf/warn.regexp"
e2e_reconfigure "reload with a WARN in helo_access" <<EOF
internal_networks = 127.0.0.0/8
helo_access = regexp:$cf/warn.regexp
helo_invalid_action = accept
EOF
e2e_smtp <<'EOF'
EHLO client.example
XCLIENT ADDR=192.0.2.7
EHLO warnme text=forged match=x
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
QUIT
EOF
e2e_expect_reply RCPT '250 ' "WARN: the recipient is accepted"
e2e_expect_milter_log ': warn stage=helo check=helo_access match=' "WARN: portcullis logs it"
line=$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -m 1 ' warn stage=helo')
keys=$(log_keys "$line")
e2e_check "WARN: one match= and one text= in the log line (keys: $(paste -sd' ' - <<<"$keys"))" \
	test "$(grep -cx match <<<"$keys")-$(grep -cx text <<<"$keys")" = 1-1
still_up "WARN: no crash"

# --- after all that -----------------------------------------------------------------------
e2e_expect_milter_log_clean
e2e_check "portcullis log has no warning" test -z "$(grep -i 'warning' "$E2E_MILTER_LOG")"
e2e_stop_milter
e2e_finish
