#!/bin/bash
#
# t_helo.sh - the HELO checks through Postfix: an invalid name refused at
# RCPT (recipient_exceptions still accepted), a non-FQDN name and a foreign
# address literal tagged, this host's own name refused, enforce_stage =
# immediate, dry_run, a tempfail action, and no HELO at all.
#
# Observed (Postfix 3.7.11), enforce_stage = immediate: portcullis refuses
# the HELO/EHLO itself, but smtpd answers the EHLO with 250 (only the
# ENHANCEDSTATUSCODES extension left) and logs "milter-reject: EHLO"; the
# refusal reaches the client at MAIL FROM. A HELO-stage refusal rejects
# the whole connection: the milter is asked nothing more in the session,
# and every MAIL FROM gets the same reply, even after a good second HELO.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup
e2e_write_conf <<'EOF'
internal_networks = 127.0.0.0/8
helo_own_names = mx.example.org
helo_own_addresses = 198.51.100.1
EOF
e2e_start_milter || e2e_finish

invalid='501 5.5.2 <bad_name!>: Helo command rejected: Invalid name'
client='client=host\.example\[192\.0\.2\.7\]'

# --- an invalid HELO: refused at RCPT, postmaster still accepted ---------------
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com,postmaster@example.org \
	--helo 'bad_name!' --xclient-addr 192.0.2.7 --xclient-name host.example \
	--header "Subject: $m"
e2e_expect_reply EHLO '250 ' "invalid: EHLO 250 (refused later)"
e2e_expect_reply MAIL '250 ' "invalid: MAIL 250"
e2e_expect_reply_is RCPT:1 "$invalid" "invalid: RCPT b@example.com 501 5.5.2 Invalid name"
e2e_expect_reply RCPT:2 '250 2\.1\.5 Ok$' "invalid: RCPT postmaster@ 250"
e2e_expect_reply DOT '250 2\.0\.0 Ok: queued' "invalid: end of data 250"
e2e_expect_delivered "$m" "invalid: delivered (to postmaster)"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "invalid: the sink got postmaster@example.org only" \
	test "$(grep '^X-Rcpt-Args:' "$f" 2>/dev/null | cut -d' ' -f2)" = '<postmaster@example.org>'
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=helo_invalid $client helo=bad_name! from=<a@example\.net> to=<b@example\.com> reply=\"$(e2e_re "$invalid")\"" \
	"invalid: portcullis logs NOQUEUE reject stage=rcpt check=helo_invalid"
e2e_expect_milter_log '^portcullis: [0-9A-F]+: accept stage=data ' \
	"invalid: portcullis logs the accepted message under its queue ID"
e2e_expect_maillog "milter-reject: RCPT from host\.example\[192\.0\.2\.7\]: $(e2e_re "$invalid"); from=<a@example\.net> to=<b@example\.com>" \
	"invalid: Postfix logs milter-reject at RCPT"

# Once a recipient is accepted Postfix has a queue ID, and both logs use it.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to postmaster@example.org,b@example.com \
	--helo 'bad_name!' --xclient-addr 192.0.2.7 --xclient-name host.example \
	--header "Subject: $m"
e2e_expect_reply RCPT:1 '250 ' "queue ID: RCPT postmaster@ 250"
e2e_expect_reply_is RCPT:2 "$invalid" "queue ID: RCPT b@example.com 501 5.5.2"
e2e_expect_delivered "$m" "queue ID: delivered (to postmaster)"
qid=$(e2e_reply DOT | sed -n 's/^250 2\.0\.0 Ok: queued as \([0-9A-F]*\)$/\1/p')
e2e_expect_maillog "${qid:-QID}: milter-reject: RCPT from host\.example\[192\.0\.2\.7\]: " \
	"queue ID: Postfix logs the reject under the queue ID"
e2e_expect_milter_log "^portcullis: ${qid:-QID}: reject stage=rcpt check=helo_invalid .*to=<b@example\.com>" \
	"queue ID: portcullis logs the reject under the queue ID too"

# A name starting with '-' (raw client: swaks would take it for an option).
m=$(e2e_marker)
e2e_smtp <<EOF
EHLO client.example
XCLIENT ADDR=192.0.2.7 NAME=host.example
EHLO -foo.example
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
DATA
Subject: $m

body
.
QUIT
EOF
e2e_expect_reply_is RCPT '501 5.5.2 <-foo.example>: Helo command rejected: Invalid name' \
	"leading hyphen: RCPT 501 5.5.2 Invalid name"
e2e_expect_reply DATA '554 5\.5\.1 Error: no valid recipients$' "leading hyphen: DATA refused by Postfix"
e2e_expect_not_delivered "$m" "leading hyphen: not delivered"
e2e_expect_milter_log ': NOQUEUE: reject stage=rcpt check=helo_invalid .* helo=-foo\.example ' \
	"leading hyphen: portcullis logs the reject"

# --- a non-FQDN HELO: tagged ---------------------------------------------------
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mailhost \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "non-fqdn: RCPT 250"
e2e_expect_reply DOT '250 ' "non-fqdn: end of data 250"
e2e_expect_delivered "$m" "non-fqdn: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "non-fqdn: sink file has 'X-Portcullis-Tag: helo_non_fqdn'" \
	grep -qx 'X-Portcullis-Tag: helo_non_fqdn' <<<"$(e2e_sink_headers "$f")"
e2e_expect_milter_log "^portcullis: [0-9A-F]+: tag stage=data $client helo=mailhost from=<a@example\.net>" \
	"non-fqdn: portcullis logs the tag under the queue ID"

# --- this host's own name: refused -------------------------------------------------
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo mx.example.org \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply_is RCPT '550 5.7.1 <mx.example.org>: Helo command rejected: You are not me' \
	"own name: RCPT 550 5.7.1 You are not me"
e2e_expect_not_delivered "$m" "own name: not delivered"
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=helo_impersonation $client helo=mx\.example\.org " \
	"own name: portcullis logs check=helo_impersonation"

# --- address literals: another address tagged, the client's own not ---------------
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo '[192.0.2.99]' \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "foreign literal: RCPT 250"
e2e_expect_delivered "$m" "foreign literal: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "foreign literal: tagged helo_literal_mismatch" \
	grep -qx 'X-Portcullis-Tag: helo_literal_mismatch' <<<"$(e2e_sink_headers "$f")"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo '[192.0.2.7]' \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_delivered "$m" "own literal: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "own literal: no tag header" \
	test -n "$f" -a -z "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"
e2e_expect_milter_log "^portcullis: [0-9A-F]+: accept stage=data .*helo=\[192\.0\.2\.7\]" \
	"own literal: portcullis logs accept"

# IPv6 literals: another address tagged, the client's own not.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo '[IPv6:2001:db8::8]' \
	--xclient-addr IPV6:2001:db8::7 --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "foreign v6 literal: RCPT 250"
e2e_expect_delivered "$m" "foreign v6 literal: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "foreign v6 literal: tagged helo_literal_mismatch" \
	grep -qx 'X-Portcullis-Tag: helo_literal_mismatch' <<<"$(e2e_sink_headers "$f")"

m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo '[IPv6:2001:DB8:0::7]' \
	--xclient-addr IPV6:2001:db8::7 --header "Subject: $m"
e2e_expect_delivered "$m" "own v6 literal (other spelling): delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "own v6 literal (other spelling): no tag header" \
	test -n "$f" -a -z "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"

# This host's own address in a literal: refused.
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo '[198.51.100.1]' \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply_is RCPT '550 5.7.1 <[198.51.100.1]>: Helo command rejected: You are not me' \
	"own address: RCPT 550 5.7.1 You are not me"
e2e_expect_not_delivered "$m" "own address: not delivered"

# --- no HELO at all: refused at RCPT -------------------------------------------
# swaks always sends EHLO; the raw client sends XCLIENT first (which also
# forgets any HELO), then MAIL without one.
e2e_smtp <<'EOF'
XCLIENT ADDR=192.0.2.7 NAME=host.example
MAIL FROM:<a@example.net>
RCPT TO:<b@example.com>
RCPT TO:<postmaster@example.org>
QUIT
EOF
e2e_expect_reply XCLIENT '220 ' "no HELO: XCLIENT 220"
e2e_expect_reply MAIL '250 2\.1\.0 Ok$' "no HELO: MAIL 250 (Postfix does not require HELO)"
e2e_expect_reply_is RCPT:1 '503 5.5.1 Error: send HELO/EHLO first' "no HELO: RCPT 503 5.5.1"
e2e_expect_reply RCPT:2 '250 ' "no HELO: RCPT postmaster@ 250"
e2e_expect_milter_log ": NOQUEUE: reject stage=rcpt check=helo_required $client from=<a@example\.net> to=<b@example\.com> reply=\"503 5\.5\.1 Error: send HELO/EHLO first\"" \
	"no HELO: portcullis logs check=helo_required (no helo= field)"

# --- helo_invalid_action = tempfail: the reply class follows the action ---------
e2e_reconfigure "tempfail: reload ok" <<'EOF'
internal_networks = 127.0.0.0/8
helo_own_names = mx.example.org
helo_own_addresses = 198.51.100.1
helo_invalid_action = tempfail
EOF
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo 'bad_name!' \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply_is RCPT '451 4.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"tempfail: RCPT 451 4.5.2"
e2e_expect_not_delivered "$m" "tempfail: not delivered"
e2e_expect_milter_log ": NOQUEUE: tempfail stage=rcpt check=helo_invalid $client .* reply=\"451 4\.5\.2 " \
	"tempfail: portcullis logs tempfail"

# --- dry_run = helo_invalid: logged, delivered ---------------------------------
e2e_reconfigure "dry run: reload ok" <<'EOF'
internal_networks = 127.0.0.0/8
helo_own_names = mx.example.org
helo_own_addresses = 198.51.100.1
dry_run = helo_invalid
EOF
m=$(e2e_marker)
e2e_swaks --from a@example.net --to b@example.com --helo 'bad_name!' \
	--xclient-addr 192.0.2.7 --xclient-name host.example --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "dry run: RCPT 250"
e2e_expect_delivered "$m" "dry run: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "dry run: no tag header" \
	test -n "$f" -a -z "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"
e2e_expect_milter_log ": NOQUEUE: dry-run reject stage=rcpt check=helo_invalid $client helo=bad_name! .*reply=\"$(e2e_re "$invalid")\"" \
	"dry run: portcullis logs 'dry-run reject ... check=helo_invalid'"
e2e_expect_no_milter_log ': (NOQUEUE|[0-9A-F]+): reject ' "dry run: no real reject logged"

# --- enforce_stage = immediate ---------------------------------------------------
e2e_reconfigure "immediate: reload ok" <<'EOF'
internal_networks = 127.0.0.0/8
helo_own_names = mx.example.org
helo_own_addresses = 198.51.100.1
enforce_stage = immediate
EOF
e2e_smtp <<'EOF'
EHLO client.example
XCLIENT ADDR=192.0.2.7 NAME=host.example
EHLO bad_name!
MAIL FROM:<a@example.net>
RCPT TO:<postmaster@example.org>
RSET
EHLO mail.example.net
MAIL FROM:<a@example.net>
QUIT
EOF
e2e_expect_reply EHLO:2 '250 ENHANCEDSTATUSCODES$' \
	"immediate: EHLO still 250, extensions withdrawn but ENHANCEDSTATUSCODES"
e2e_expect_reply_is MAIL:1 "$invalid" "immediate: MAIL 501 5.5.2 (Postfix defers a HELO reject to MAIL)"
e2e_expect_reply RCPT '503 5\.5\.1 Error: need MAIL command$' "immediate: no transaction, RCPT 503"
e2e_expect_reply EHLO:3 '250 ENHANCEDSTATUSCODES$' "immediate: a second EHLO is answered 250"
e2e_expect_reply_is MAIL:2 "$invalid" \
	"immediate: the refusal sticks to the connection despite a good second EHLO"
e2e_expect_milter_log ": NOQUEUE: reject stage=helo check=helo_invalid $client helo=bad_name! reply=\"$(e2e_re "$invalid")\"" \
	"immediate: portcullis logs reject stage=helo"
e2e_expect_maillog "milter-reject: EHLO from host\.example\[192\.0\.2\.7\]: $(e2e_re "$invalid")" \
	"immediate: Postfix logs milter-reject at EHLO"
e2e_expect_maillog "milter-reject: MAIL from host\.example\[192\.0\.2\.7\]: $(e2e_re "$invalid")" \
	"immediate: Postfix logs milter-reject at MAIL"

# No HELO with immediate enforcement: refused at MAIL.
e2e_smtp <<'EOF'
XCLIENT ADDR=192.0.2.7 NAME=host.example
MAIL FROM:<a@example.net>
QUIT
EOF
e2e_expect_reply_is MAIL '503 5.5.1 Error: send HELO/EHLO first' "immediate, no HELO: MAIL 503 5.5.1"
e2e_expect_milter_log ': NOQUEUE: reject stage=mail check=helo_required ' \
	"immediate, no HELO: portcullis logs reject stage=mail"

e2e_stop_milter
e2e_finish
