#!/bin/bash
#
# t_rig.sh - the rig itself, with no milter configured at all: SMTP with and
# without XCLIENT (IPv4 and IPv6 claims), another loopback source address,
# and sendmail(1) all reach the sink. When this fails, the other tests'
# failures say nothing about portcullis.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup --no-milter

# A plain session from 127.0.0.1.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo client.example.net \
	--header "Subject: $m"
e2e_expect_reply CONNECT '220 ' "plain: greeting 220"
e2e_expect_reply EHLO '250 ' "plain: EHLO 250"
e2e_expect_reply MAIL '250 2\.1\.0' "plain: MAIL 250"
e2e_expect_reply RCPT '250 2\.1\.5' "plain: RCPT 250"
e2e_expect_reply DATA '354 ' "plain: DATA 354"
e2e_expect_reply DOT '250 2\.0\.0 Ok: queued' "plain: end of data 250"
e2e_expect_delivered "$m" "plain: delivered"
f=$(e2e_sink_file "$m")
e2e_check "plain: sink file holds the headers" grep -q "^Subject: $m\$" "$f"
e2e_check "plain: sink file holds the body" grep -q '^This is a test mailing' "$f"

# XCLIENT with an IPv4 documentation address and a name.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.org --helo mail.example.net \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply XCLIENT '220 ' "xclient v4: XCLIENT 220"
e2e_expect_reply RCPT '250 ' "xclient v4: RCPT 250"
e2e_expect_delivered "$m" "xclient v4: delivered"
e2e_check "xclient v4: Postfix saw the claimed client" \
	grep -q 'from mail.example.net (host.example \[192.0.2.7\])' "$(e2e_sink_file "$m")"

# XCLIENT with an IPv6 address and no name.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo v6.example.net \
	--xclient-addr IPV6:2001:db8::7 --header "Subject: $m"
e2e_expect_reply XCLIENT '220 ' "xclient v6: XCLIENT 220"
e2e_expect_delivered "$m" "xclient v6: delivered"
e2e_check "xclient v6: Postfix saw the claimed client" \
	grep -q '\[IPv6:2001:db8::7\]' "$(e2e_sink_file "$m")"

# Another loopback source address.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo two.example.net \
	--local-interface 127.0.0.2 --header "Subject: $m"
e2e_expect_delivered "$m" "127.0.0.2: delivered"
e2e_check "127.0.0.2: Postfix saw the source address" \
	grep -q '\[127.0.0.2\]' "$(e2e_sink_file "$m")"

# A rejected recipient (no such domain syntax) is not delivered.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to 'b@[300.1.1.1]' --header "Subject: $m"
e2e_expect_reply RCPT '5[0-9][0-9] ' "bad rcpt: RCPT 5xx"
e2e_expect_not_delivered "$m" "bad rcpt: not delivered"

# sendmail(1) through the private instance.
m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net rcpt@example.com other@example.org
e2e_expect_delivered "$m" "sendmail: delivered"
e2e_check "sendmail: both recipients reached the sink" \
	test "$(grep -c '^X-Rcpt-Args:' "$(e2e_sink_file "$m")")" -eq 2

e2e_finish
