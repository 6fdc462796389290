#!/bin/bash
#
# t_access.sh - Postfix access(5) maps as the admin already has them
# (tests/../seeds 001: helo.regexp, rbl_client_exceptions, sender_checks),
# read unchanged: cidr, regexp, pcre and texthash tables on the client,
# HELO, sender and recipient; REJECT, DEFER, NNN text, OK, HOLD, DISCARD
# and PREPEND results, IPv4 and IPv6 clients.
#
# Replies as Postfix's check_*_access writes them: REJECT is 554 5.7.1,
# DEFER 450 4.7.1, "550 text" gets 5.7.1, text defaults to "Access denied".

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

maps=$E2E_WORK/maps
mkdir -p "$maps"
# The admin's helo.regexp, verbatim (placeholders and all).
cat >"$maps/helo.regexp" <<'EOF'
/^subdomain\.host\.com$/           550 Don't use my own hostname
/^xxx\.yyy\.zzz\.xxx$/             550 Don't use my own IP address
/^\[xxx\.yyy\.zzz\.xxx\]$/         550 Don't use my own IP address
/^[0-9.]+$/                        550 Your software is not RFC 2821 compliant
/^[0-9]+(\.[0-9]+){3}$/            550 Your software is not RFC 2821 compliant
EOF
# An rbl_client_exceptions file (the postmap source, read as texthash).
cat >"$maps/rbl_client_exceptions" <<'EOF'
## Some Random comment OK
192.0.2.7 OK
EOF
cat >"$maps/client_access.cidr" <<'EOF'
# networks we do not take mail from
192.0.2.0/24        REJECT
198.51.100.10       HOLD
198.51.100.11       DISCARD
198.51.100.12       PREPEND X-Portcullis-E2E: client 198.51.100.12
2001:db8::/32       REJECT
EOF
cat >"$maps/sender_checks" <<'EOF'
spammer.example     REJECT Go away
slow@               DEFER
<>                  REJECT No bounces here
EOF
cat >"$maps/sender_checks.pcre" <<'EOF'
/^spam[0-9]+@/      REJECT numbered spammers
EOF
cat >"$maps/recipient_checks" <<'EOF'
full@example.com    452 4.2.2 mailbox full
vip@example.com     OK
EOF

e2e_write_conf <<EOF
internal_networks = 127.0.0.0/8
client_access = texthash:$maps/rbl_client_exceptions, cidr:$maps/client_access.cidr
helo_access = regexp:$maps/helo.regexp
sender_access = texthash:$maps/sender_checks pcre:$maps/sender_checks.pcre
recipient_access = texthash:$maps/recipient_checks
EOF
e2e_start_milter || e2e_finish

# send [SWAKS ARGS] - a message from an outside client; its marker in $m
send() {
	m=$(e2e_marker)
	e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
		--header "Subject: $m" "$@"
}

# --- helo.regexp --------------------------------------------------------------
send --helo 192.0.2.7 --xclient-addr 198.51.100.6
e2e_expect_reply_is RCPT '550 5.7.1 <192.0.2.7>: Helo command rejected: Your software is not RFC 2821 compliant' \
	"helo.regexp: HELO 192.0.2.7 refused at RCPT"
e2e_expect_not_delivered "$m" "helo.regexp: not delivered"
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=helo_access client=unknown\[198\.51\.100\.6\] helo=192\.0\.2\.7 .*detail=\"regexp:$(e2e_re "$maps/helo.regexp") matched 192\.0\.2\.7\"" \
	"helo.regexp: portcullis logs check=helo_access with the table"

# --- client_access cidr --------------------------------------------------------
send --xclient-addr 192.0.2.9
e2e_expect_reply MAIL '250 ' "cidr REJECT: MAIL 250"
e2e_expect_reply_is RCPT '554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: Access denied' \
	"cidr REJECT: RCPT 554 5.7.1 Client host rejected"
e2e_expect_not_delivered "$m" "cidr REJECT: not delivered"
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=client_access client=unknown\[192\.0\.2\.9\] .*reply=\"554 5\.7\.1 <unknown\[192\.0\.2\.9\]>: Client host rejected: Access denied\" detail=\"cidr:$(e2e_re "$maps/client_access.cidr") matched 192\.0\.2\.9\"" \
	"cidr REJECT: portcullis logs check=client_access"
e2e_expect_maillog 'milter-reject: RCPT from unknown\[192\.0\.2\.9\]: 554 5\.7\.1 ' \
	"cidr REJECT: Postfix logs milter-reject"

send --xclient-addr 192.0.2.9 --to postmaster@example.org
e2e_expect_reply RCPT '250 ' "cidr REJECT: postmaster@ still accepted"
e2e_expect_delivered "$m" "cidr REJECT: postmaster@ delivered"

# --- rbl_client_exceptions first: OK exempts the client from everything -----------
send --helo 'bad_name!' --xclient-addr 192.0.2.7
e2e_expect_reply RCPT '250 ' "client OK: bad HELO accepted at RCPT"
e2e_expect_reply DOT '250 ' "client OK: end of data 250"
e2e_expect_delivered "$m" "client OK: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "client OK: no tag header" \
	test -n "$f" -a -z "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"
e2e_expect_milter_log '^portcullis: [0-9A-F]+: accept stage=data client=unknown\[192\.0\.2\.7\] helo=bad_name! ' \
	"client OK: portcullis logs accept"

send --helo 192.0.2.7 --xclient-addr 192.0.2.7
e2e_expect_reply RCPT '250 ' "client OK: helo.regexp not consulted either"
e2e_expect_delivered "$m" "client OK: numeric HELO delivered"

# --- IPv6 client in a cidr table -------------------------------------------------
send --xclient-addr IPV6:2001:db8::7
e2e_expect_reply XCLIENT '220 ' "cidr v6: XCLIENT 220"
e2e_expect_reply_is RCPT '554 5.7.1 <unknown[2001:db8::7]>: Client host rejected: Access denied' \
	"cidr v6: 2001:db8::7 refused by 2001:db8::/32"
e2e_expect_not_delivered "$m" "cidr v6: not delivered"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=client_access client=unknown\[2001:db8::7\] .*matched 2001:db8::7"' \
	"cidr v6: portcullis logs check=client_access"

# --- sender_access texthash and pcre --------------------------------------------
send --xclient-addr 198.51.100.20 --from x@spammer.example
e2e_expect_reply MAIL '250 ' "sender domain: MAIL 250 (enacted at RCPT)"
e2e_expect_reply_is RCPT '554 5.7.1 <x@spammer.example>: Sender address rejected: Go away' \
	"sender domain: RCPT 554 5.7.1 with the map's text"
e2e_expect_not_delivered "$m" "sender domain: not delivered"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=sender_access client=unknown\[198\.51\.100\.20\] helo=mail\.example\.net from=<x@spammer\.example> to=<b@example\.com> .*matched spammer\.example"' \
	"sender domain: portcullis logs check=sender_access"

send --xclient-addr 198.51.100.20 --from slow@example.net
e2e_expect_reply_is RCPT '450 4.7.1 <slow@example.net>: Sender address rejected: Access denied' \
	"sender user@: DEFER is 450 4.7.1"
e2e_expect_not_delivered "$m" "sender user@: not delivered"
e2e_expect_milter_log ': NOQUEUE: tempfail stage=rcpt check=sender_access .*from=<slow@example\.net> .*matched slow@"' \
	"sender user@: portcullis logs tempfail"

send --xclient-addr 198.51.100.20 --from '<>'
e2e_expect_reply MAIL '250 ' "null sender: MAIL FROM:<> 250"
e2e_expect_reply_is RCPT '554 5.7.1 <>: Sender address rejected: No bounces here' \
	"null sender: looked up as <>"
e2e_expect_not_delivered "$m" "null sender: not delivered"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=sender_access .*from=<> .*matched <>"' \
	"null sender: portcullis logs from=<>"

send --xclient-addr 198.51.100.20 --from spam42@example.net
e2e_expect_reply_is RCPT '554 5.7.1 <spam42@example.net>: Sender address rejected: numbered spammers' \
	"sender pcre: second table of the list matches"
e2e_expect_not_delivered "$m" "sender pcre: not delivered"
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=sender_access .*detail=\"pcre:$(e2e_re "$maps/sender_checks.pcre") matched spam42@example\.net\"" \
	"sender pcre: portcullis names the pcre table"

# --- recipient_access: one recipient refused, the other delivered -------------------
send --xclient-addr 198.51.100.20 --to full@example.com,ok@example.com
e2e_expect_reply_is RCPT:1 '452 4.2.2 <full@example.com>: Recipient address rejected: mailbox full' \
	"recipient: full@ 452 4.2.2"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "recipient: ok@ 250"
e2e_expect_reply DOT '250 ' "recipient: end of data 250"
e2e_expect_delivered "$m" "recipient: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "recipient: the sink got ok@example.com only" \
	test "$(grep '^X-Rcpt-Args:' "$f" 2>/dev/null | cut -d' ' -f2)" = '<ok@example.com>'
e2e_expect_milter_log ': NOQUEUE: tempfail stage=rcpt check=recipient_access .*to=<full@example\.com> reply="452 4\.2\.2 ' \
	"recipient: portcullis logs check=recipient_access"

# recipient OK: that recipient is accepted even from a refused client.
send --xclient-addr 192.0.2.9 --to vip@example.com,b@example.com
e2e_expect_reply RCPT:1 '250 ' "recipient OK: vip@ accepted from a REJECTed client"
e2e_expect_reply_is RCPT:2 '554 5.7.1 <unknown[192.0.2.9]>: Client host rejected: Access denied' \
	"recipient OK: the other recipient still refused"
e2e_expect_delivered "$m" "recipient OK: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "recipient OK: the sink got vip@example.com only" \
	test "$(grep '^X-Rcpt-Args:' "$f" 2>/dev/null | cut -d' ' -f2)" = '<vip@example.com>'

# --- HOLD: Postfix's hold queue ----------------------------------------------------
send --xclient-addr 198.51.100.10
e2e_expect_reply RCPT '250 ' "HOLD: RCPT 250"
e2e_expect_reply DOT '250 2\.0\.0 Ok: queued as [0-9A-F]+$' "HOLD: end of data 250"
e2e_expect_not_delivered "$m" "HOLD: not delivered"
e2e_expect_milter_log '^portcullis: [0-9A-F]+: quarantine stage=data check=client_access client=unknown\[198\.51\.100\.10\] ' \
	"HOLD: portcullis logs quarantine under the queue ID"
qid=$(e2e_reply DOT | sed -n 's/^250 2\.0\.0 Ok: queued as \([0-9A-F]*\)$/\1/p')
e2e_expect_maillog "$qid: milter-hold: END-OF-MESSAGE from unknown\[198\.51\.100\.10\]: milter triggers HOLD action" \
	"HOLD: Postfix logs milter-hold"
e2e_check "HOLD: postqueue -p lists $qid with '!'" grep -q "^$qid!" <<<"$(e2e_postqueue)"
e2e_check "HOLD: one message in the hold queue" test "$(e2e_queue_count hold)" -eq 1

# --- DISCARD: 250, then nothing ----------------------------------------------------
send --xclient-addr 198.51.100.11
e2e_expect_reply RCPT '250 ' "DISCARD: RCPT 250"
e2e_expect_reply DOT '250 ' "DISCARD: end of data 250"
e2e_expect_not_delivered "$m" "DISCARD: not delivered"
e2e_expect_milter_log '^portcullis: [0-9A-F]+: discard stage=data check=client_access client=unknown\[198\.51\.100\.11\] ' \
	"DISCARD: portcullis logs discard"
e2e_expect_maillog 'milter-discard: END-OF-MESSAGE from unknown\[198\.51\.100\.11\]: milter triggers DISCARD action' \
	"DISCARD: Postfix logs milter-discard"
e2e_check "DISCARD: nothing left in the queue but the held message" \
	test "$(postqueue -c "$E2E_CONF" -j | grep -c .)" -eq 1

# --- PREPEND: the header reaches the sink ------------------------------------------
send --xclient-addr 198.51.100.12
e2e_expect_reply RCPT '250 ' "PREPEND: RCPT 250"
e2e_expect_delivered "$m" "PREPEND: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "PREPEND: header in the sink file" \
	grep -qx 'X-Portcullis-E2E: client 198.51.100.12' <<<"$(e2e_sink_headers "$f")"

e2e_expect_milter_log_clean
e2e_stop_milter
e2e_finish
