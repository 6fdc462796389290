#!/bin/bash
#
# t_sendmail.sh - mail submitted with sendmail(1) goes through
# non_smtpd_milters: Postfix's cleanup shows it to portcullis as client
# localhost[127.0.0.1], HELO "localhost", port 0. It is judged only at the
# end of the message (a RCPT-stage refusal there would keep it queued).
#
#   - internal_networks at its default (127.0.0.0/8): delivered untouched;
#   - internal_networks empty, helo_non_fqdn_action = tag: delivered with
#     the tag header, and nothing is left in the queue;
#   - helo_non_fqdn_action = reject: cleanup refuses it at end of data and
#     the message bounces to its sender (status=bounced, "sender
#     non-delivery notification"); it must not stay in the queue.
#
# The rig has internal_mail_filter_classes = bounce, as a site that signs
# its bounces would: the bounce itself then goes through portcullis too
# (client localhost[127.0.0.1], HELO localhost, sender <>).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

# bounce_file MARKER SENDER - print the sink file of a bounce to SENDER that quotes MARKER
# shellcheck disable=SC2317 # called through e2e_wait
bounce_file() {
	local f head
	for f in "$E2E_SINK_DIR"/*; do
		[ -f "$f" ] || continue
		head=$(e2e_sink_headers "$f")
		grep -qE '^X-Mail-Args: <>( |$)' <<<"$head" || continue
		grep -q "^X-Rcpt-Args: <$2>" <<<"$head" || continue
		grep -qF -- "$1" "$f" || continue
		printf '%s\n' "$f"
		return 0
	done
	return 1
}

# has_bounce MARKER SENDER - true once the bounce is in the sink
# shellcheck disable=SC2317 # called through e2e_wait
has_bounce() {
	bounce_file "$@" >/dev/null
}

# queue_empty - true when Postfix's queue (maildrop included) is empty
# shellcheck disable=SC2317 # called through e2e_wait
queue_empty() {
	[ -z "$(postqueue -c "$E2E_CONF" -j 2>/dev/null)" ]
}

# --- internal_networks at its default: untouched ------------------------------
e2e_write_conf <<'EOF'
helo_non_fqdn_action = tag
EOF
e2e_start_milter || e2e_finish

m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net rcpt@example.com
e2e_expect_delivered "$m" "internal: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "internal: no tag header" \
	test -n "$f" -a -z "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"
e2e_expect_no_milter_log ' (tag|reject|tempfail|quarantine|discard) stage=' \
	"internal: portcullis enacts nothing"

# --- internal_networks empty, tag: tagged, and gone from the queue ----------------
e2e_reconfigure "tag: reload ok" <<'EOF'
internal_networks =
helo_non_fqdn_action = tag
EOF
m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net rcpt@example.com
e2e_expect_delivered "$m" "tag: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "tag: 'X-Portcullis-Tag: helo_non_fqdn' in the sink file" \
	grep -qx 'X-Portcullis-Tag: helo_non_fqdn' <<<"$(e2e_sink_headers "$f")"
e2e_check "tag: the tag header comes once" \
	test "$(e2e_sink_headers "$f" | grep -c '^X-Portcullis-Tag:')" -eq 1
e2e_expect_milter_log '^portcullis: [0-9A-F]+: tag stage=data client=localhost\[127\.0\.0\.1\] helo=localhost from=<sender@example\.net>' \
	"tag: portcullis logs the tag under the queue ID"
e2e_check "tag: the queue is empty after delivery" e2e_wait 5 queue_empty

# --- internal_networks empty, reject: refused at end of data, bounced -----------
e2e_reconfigure "reject: reload ok" <<'EOF'
internal_networks =
helo_non_fqdn_action = reject
EOF
m=$(e2e_marker)
reply='504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname'
e2e_sendmail "$m" sender@example.net rcpt@example.com
e2e_check "reject: sendmail(1) exits 0 (the refusal comes later, in cleanup)" \
	test "$E2E_SENDMAIL_RC" -eq 0
e2e_expect_milter_log "^portcullis: [0-9A-F]+: reject stage=data check=helo_non_fqdn client=localhost\[127\.0\.0\.1\] helo=localhost from=<sender@example\.net> reply=\"$(e2e_re "$reply")\"" \
	"reject: portcullis logs reject stage=data under the queue ID"
e2e_expect_maillog "cleanup\[[0-9]+\]: [0-9A-F]+: milter-reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: 5\.5\.2 <localhost>: Helo command rejected: need fully-qualified hostname; from=<sender@example\.net> to=<rcpt@example\.com>" \
	"reject: cleanup logs milter-reject at END-OF-MESSAGE"
e2e_expect_maillog 'to=<rcpt@example\.com>, relay=none, .*status=bounced \(<localhost>: Helo command rejected' \
	"reject: Postfix bounces it"
e2e_expect_not_delivered "$m" "reject: not delivered to the recipient"
if e2e_wait 5 has_bounce "$m" sender@example.net; then
	e2e_ok "reject: the bounce reaches the sender"
else
	e2e_not_ok "reject: the bounce reaches the sender" \
		"portcullis judges Postfix's own bounce (sender <>, HELO localhost) and refuses it:" \
		"$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -m 1 'from=<> ')" \
		"$(tail -c +"$((E2E_MAILLOG_MARK + 1))" "$E2E_MAILLOG" | grep -m 1 'bounce message failure')"
fi
if e2e_wait 5 queue_empty; then
	e2e_ok "reject: nothing left in the queue"
else
	e2e_not_ok "reject: nothing left in the queue" "$(e2e_postqueue)" \
		"pickup has submitted it $(tail -c +"$((E2E_MAILLOG_MARK + 1))" "$E2E_MAILLOG" | grep -c 'uid=0 from=<sender@example.net>') times"
fi
e2e_expect_no_milter_log ': reject stage=data .*from=<> ' \
	"reject: portcullis does not refuse Postfix's bounce"

# --- control: bounces not filtered (internal_mail_filter_classes empty) -----------
# The same refusal with Postfix's bounces kept away from the milter; the
# message from the case above, if still queued, bounces now too.
e2e_postfix_reconfigure 'internal_mail_filter_classes ='
m=$(e2e_marker)
e2e_sendmail "$m" other@example.net rcpt@example.com
e2e_expect_maillog 'status=bounced \(<localhost>: Helo command rejected' \
	"unfiltered bounces: Postfix bounces it"
e2e_expect_not_delivered "$m" "unfiltered bounces: not delivered to the recipient"
e2e_check "unfiltered bounces: the bounce reaches the sender" \
	e2e_wait 5 has_bounce "$m" other@example.net
if e2e_wait 5 queue_empty; then
	e2e_ok "unfiltered bounces: nothing left in the queue"
else
	e2e_not_ok "unfiltered bounces: nothing left in the queue" "$(e2e_postqueue)"
fi

# --- recipient_exceptions hold for sendmail(1) mail too ----------------------------
# README: recipient_exceptions (postmaster@ abuse@) "are always accepted";
# over SMTP a refused HELO still lets mail to postmaster@ through.
m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net postmaster@example.org
e2e_expect_delivered "$m" "exception: mail to postmaster@ only is delivered despite the HELO refusal"
e2e_expect_no_milter_log ': reject stage=data .*from=<sender@example\.net>' \
	"exception: portcullis does not refuse mail to postmaster@"

# --- recipient_access on the sendmail path: logged, not enforced ----------------
# Postfix calls a RCPT refusal through non_smtpd_milters a configuration
# error, and one message cannot be split between refused and accepted
# recipients without losing mail silently. So a per-recipient refusal is
# traced and logged as "not-enforced", and the message goes to all.
printf 'full@example.com    REJECT mailbox gone\n' >"$E2E_WORK/recipient_checks"
e2e_reconfigure "one recipient: reload ok" <<EOF
internal_networks =
recipient_access = texthash:$E2E_WORK/recipient_checks
EOF
m=$(e2e_marker)
e2e_sendmail "$m" sender@example.net full@example.com ok@example.com
e2e_expect_delivered "$m" "one recipient: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "one recipient: both recipients delivered" \
	test -n "$f" -a "$(grep '^X-Rcpt-Args:' "$f" 2>/dev/null | cut -d' ' -f2 | sort | paste -sd' ' -)" = '<full@example.com> <ok@example.com>'
e2e_expect_milter_log 'not-enforced stage=rcpt check=recipient_access .*to=<full@example\.com>' \
	"one recipient: the refusal is logged as not enforced"

e2e_stop_milter
e2e_finish
