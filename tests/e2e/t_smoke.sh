#!/bin/bash
#
# t_smoke.sh - portcullis with a minimal config lets clean mail through, over
# SMTP (smtpd_milters) and sendmail(1) (non_smtpd_milters), logs no errors,
# and stops cleanly on SIGTERM.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
e2e_write_conf <<'EOF'
internal_networks = 127.0.0.0/8
EOF
e2e_start_milter || e2e_finish

# (a) a clean message from an outside client
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mail.example.net \
	--xclient-addr 192.0.2.10 --xclient-name mail.example.net --header "Subject: $m"
e2e_expect_reply CONNECT '220 ' "smtp: greeting 220"
e2e_expect_reply XCLIENT '220 ' "smtp: XCLIENT 220"
e2e_expect_reply EHLO '250 ' "smtp: EHLO 250"
e2e_expect_reply MAIL '250 ' "smtp: MAIL 250"
e2e_expect_reply RCPT '250 ' "smtp: RCPT 250"
e2e_expect_reply DATA '354 ' "smtp: DATA 354"
e2e_expect_reply DOT '250 ' "smtp: end of data 250"
e2e_expect_delivered "$m" "smtp: delivered"

# (b) the same through sendmail(1)
m=$(e2e_marker)
e2e_sendmail "$m" a@example.net b@example.com
e2e_expect_delivered "$m" "sendmail: delivered"

# (c) nothing went wrong inside portcullis
e2e_expect_milter_log_clean

e2e_stop_milter
e2e_finish
