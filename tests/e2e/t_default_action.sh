#!/bin/bash
#
# t_default_action.sh - what Postfix 3.7 does when the milter is not there:
# smtpd_milters and non_smtpd_milters point at a socket nobody listens on,
# and milter_default_action decides. Needs no portcullis binary.
#
# Observed (Postfix 3.7.11): the milter connect happens when the SMTP
# session opens, but smtpd delays the verdict to MAIL FROM:
#   tempfail  greeting 220, EHLO 250, MAIL "451 4.7.1 Service unavailable -
#             try again later"; sendmail(1) mail stays in the maildrop queue
#   reject    greeting "554 <host> ESMTP not accepting connections"
#   accept    250 at every stage, mail delivered (sendmail(1) too)

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# --- tempfail --------------------------------------------------------------
e2e_setup --default-action tempfail

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply CONNECT '220 ' "tempfail: greeting 220"
e2e_expect_reply XCLIENT '220 ' "tempfail: XCLIENT 220"
e2e_expect_reply EHLO '250 ' "tempfail: EHLO 250"
e2e_expect_reply MAIL '451 4\.7\.1 Service unavailable - try again later$' \
	"tempfail: MAIL 451 4.7.1"
e2e_expect_not_delivered "$m" "tempfail: not delivered"
e2e_expect_maillog "connect to Milter service $E2E_MILTER_SOCKET: No such file" \
	"tempfail: smtpd logs the failed milter connect"
e2e_expect_maillog 'milter-reject: MAIL from host\.example\[192\.0\.2\.7\]: 451 4\.7\.1' \
	"tempfail: smtpd logs milter-reject at MAIL"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo two.example.net \
	--local-interface 127.0.0.2 --header "Subject: $m"
e2e_expect_reply MAIL '451 4\.7\.1 ' "tempfail, no XCLIENT: MAIL 451 4.7.1"
e2e_expect_not_delivered "$m" "tempfail, no XCLIENT: not delivered"

m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net rcpt@example.com
e2e_expect_maillog 'cleanup.*milter-reject: CONNECT from localhost\[127\.0\.0\.1\]: 4\.7\.1 ' \
	"tempfail, sendmail: cleanup logs milter-reject at CONNECT"
e2e_expect_not_delivered "$m" "tempfail, sendmail: not delivered"
e2e_check "tempfail, sendmail: message waits in the maildrop queue" \
	test "$(e2e_queue_count maildrop)" -eq 1
e2e_teardown

# --- reject ------------------------------------------------------------------
e2e_setup --default-action reject

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--header "Subject: $m"
e2e_expect_reply CONNECT '554 .*not accepting connections$' "reject: greeting 554"
e2e_expect_not_delivered "$m" "reject: not delivered"
e2e_teardown

# --- accept ------------------------------------------------------------------
e2e_setup --default-action accept

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply EHLO '250 ' "accept: EHLO 250"
e2e_expect_reply MAIL '250 ' "accept: MAIL 250"
e2e_expect_reply RCPT '250 ' "accept: RCPT 250"
e2e_expect_reply DATA '354 ' "accept: DATA 354"
e2e_expect_reply DOT '250 ' "accept: end of data 250"
e2e_expect_delivered "$m" "accept: delivered"

m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net rcpt@example.com
e2e_expect_delivered "$m" "accept, sendmail: delivered"

e2e_finish
