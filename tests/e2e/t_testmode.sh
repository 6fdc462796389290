#!/bin/bash
#
# t_testmode.sh - "portcullis -t": the trace, the headers it would add,
# the last line "verdict: ACTION [CODE ENH TEXT]" and the exit status
# (0 accept/tag, 4 tempfail, 5 reject, 2 usage); then the same inputs
# through Postfix and the running milter must get the same verdict.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup

if [ -z "${PORTCULLIS:-}" ] || [ ! -x "$PORTCULLIS" ]; then
	e2e_bail "PORTCULLIS='${PORTCULLIS:-}' is not an executable"
fi

maps=$E2E_WORK/maps
mkdir -p "$maps"
cat >"$maps/clients.cidr" <<'EOF'
192.0.2.9       REJECT
EOF
cat >"$maps/sender_checks" <<'EOF'
slow@           DEFER
EOF
e2e_write_conf <<EOF
internal_networks = 127.0.0.0/8
helo_own_names = mx.example.org
client_access = cidr:$maps/clients.cidr
sender_access = texthash:$maps/sender_checks
EOF

msg=$E2E_WORK/message.eml
cat >"$msg" <<'EOF'
From: Alice <a@example.net>
To: Bob <b@example.org>
Subject: a real message
 with a folded subject
Date: Sat, 21 Nov 2026 12:00:00 +0000
Message-ID: <testmode-1@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hello Bob,

a body of a few lines.
.leading dot
EOF

# tmode ARGS... - run portcullis -t on the config; stdout in $out, stderr in $err, status in $rc
tmode() {
	out=$(timeout 10 "$PORTCULLIS" -c "$E2E_MILTER_CONF" -t "$@" 2>"$E2E_WORK/tmode.err")
	rc=$?
	err=$(cat "$E2E_WORK/tmode.err")
}

# verdict_line - the last line of the test mode's output
verdict_line() {
	tail -n 1 <<<"$out"
}

# section NAME - print the indented lines under "NAME:" in the output, unindented
section() {
	awk -v want="$1:" '$0 == want { on = 1; next } /^[^ ]/ { on = 0 } on { sub(/^  /, ""); print }' <<<"$out"
}

# --- test mode alone ---------------------------------------------------------------
tmode --client-ip 192.0.2.7 --helo 'bad_name!' --from a@example.net --rcpt b@example.org
e2e_check "reject: exit 5 (got $rc)" test "$rc" -eq 5
e2e_check "reject: a trace: section" grep -qx 'trace:' <<<"$out"
e2e_check "reject: the trace names helo_invalid" grep -q 'helo_invalid' <<<"$(section trace)"
e2e_check "reject: last line is the verdict" \
	test "$(verdict_line)" = 'verdict: reject 501 5.5.2 <bad_name!>: Helo command rejected: Invalid name'
e2e_check "reject: nothing on stderr" test -z "$err"

tmode --client-ip 192.0.2.7 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "clean: exit 0 (got $rc)" test "$rc" -eq 0
e2e_check "clean: verdict: accept" test "$(verdict_line)" = 'verdict: accept'
e2e_check "clean: no headers" test -z "$(section headers)"

tmode --client-ip 192.0.2.7 --helo mailhost --from a@example.net --rcpt b@example.org
e2e_check "tag: exit 0 (got $rc)" test "$rc" -eq 0
e2e_check "tag: the header under headers:" \
	test "$(section headers)" = 'X-Portcullis-Tag: helo_non_fqdn'
e2e_check "tag: the last line is the verdict" grep -q '^verdict: ' <<<"$(verdict_line)"

tmode --client-ip 192.0.2.7 --helo mailhost --from a@example.net --rcpt b@example.org \
	--message "$msg"
e2e_check "--message: exit 0 (got $rc)" test "$rc" -eq 0
e2e_check "--message: the tag header" test "$(section headers)" = 'X-Portcullis-Tag: helo_non_fqdn'
e2e_check "--message: the trace reaches the end of data" grep -q '^data ' <<<"$(section trace)"
e2e_check "--message: nothing on stderr" test -z "$err"

tmode --client-ip 192.0.2.7 --helo mail.example.net --from slow@example.net --rcpt b@example.org
e2e_check "tempfail: exit 4 (got $rc)" test "$rc" -eq 4
e2e_check "tempfail: verdict with 450 4.7.1" \
	test "$(verdict_line)" = 'verdict: tempfail 450 4.7.1 <slow@example.net>: Sender address rejected: Access denied'

tmode --client-ip 192.0.2.7 --helo 'bad_name!' --rcpt b@example.org --rcpt postmaster@example.org
e2e_check "exception: accepted for postmaster (exit $rc)" test "$rc" -eq 0
e2e_check "exception: b@ refused on its own line" \
	grep -qx 'rcpt <b@example.org>: reject 501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' <<<"$out"

tmode --client-ip 192.0.2.7 --rcpt b@example.org --message "$E2E_WORK/no-such-message"
e2e_check "unreadable --message: exit 2 (got $rc)" test "$rc" -eq 2
e2e_check "unreadable --message: says which file" grep -q 'no-such-message' <<<"$err"

tmode --client-ip not-an-ip --rcpt b@example.org
e2e_check "bad --client-ip: exit 2 (got $rc)" test "$rc" -eq 2

# --- the same inputs through Postfix --------------------------------------------------
e2e_start_milter || e2e_finish

# live_verdict - the milter's verdict in the test mode's words, from the last swaks session
live_verdict() {
	local r
	r=$(e2e_reply RCPT | head -n 1)
	case $r in
	4*) printf 'tempfail %s\n' "$r" ;;
	5*) printf 'reject %s\n' "$r" ;;
	*) tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" |
		sed -n 's/^portcullis: [0-9A-F]*: \([a-z]*\) stage=data .*/\1/p' | tail -n 1 ;;
	esac
}

# has_live_verdict - true once the last session has a verdict
# shellcheck disable=SC2317 # called through e2e_wait
has_live_verdict() {
	[ -n "$(live_verdict)" ]
}

# compare NAME CLIENT-IP CLIENT-NAME HELO FROM - test mode and live milter agree
compare() {
	local name=$1 ip=$2 cname=$3 helo=$4 from=$5 want got m f
	tmode --client-ip "$ip" --client-name "$cname" --helo "$helo" --from "$from" \
		--rcpt b@example.org --message "$msg"
	want=$(verdict_line)
	want=${want#verdict: }
	m=$(e2e_marker)
	sed "s/^Subject: a real message/Subject: $m/" "$msg" >"$E2E_WORK/live.eml"
	e2e_swaks --from "$from" --to b@example.org --helo "$helo" --xclient-addr "$ip" \
		--xclient-name "$cname" --data "$E2E_WORK/live.eml"
	e2e_wait 5 has_live_verdict
	got=$(live_verdict)
	if [ "$got" = "$want" ]; then
		e2e_ok "same verdict, $name: $want"
	else
		e2e_not_ok "same verdict, $name" "test mode: $want" "milter:    $got"
	fi
	case $want in
	reject* | tempfail*) e2e_expect_not_delivered "$m" "$name: not delivered" ;;
	*)
		e2e_expect_delivered "$m" "$name: delivered"
		f=$(e2e_sink_file "$m" | head -n 1)
		if [ "$(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')" = "$(section headers | grep '^X-Portcullis-Tag:')" ]; then
			e2e_ok "$name: the same tag header"
		else
			e2e_not_ok "$name: the same tag header" "test mode: $(section headers)" \
				"sink: $(e2e_sink_headers "$f" | grep '^X-Portcullis-Tag:')"
		fi
		;;
	esac
}

compare "invalid HELO" 192.0.2.7 host.example 'bad_name!' a@example.net
compare "own name" 192.0.2.7 host.example mx.example.org a@example.net
compare "client REJECT" 192.0.2.9 host.example mail.example.net a@example.net
compare "sender DEFER" 192.0.2.7 host.example mail.example.net slow@example.net
compare "non-FQDN tag" 192.0.2.7 host.example mailhost a@example.net
compare "clean" 192.0.2.7 host.example mail.example.net a@example.net

e2e_stop_milter
e2e_finish
