#!/bin/bash
#
# t_dbl.sh - DNS lists on domains (dbl_sites: Spamhaus DBL/ZRD style),
# through Postfix (XCLIENT clients in 192.0.2.0/24) against a real DNS
# server (unbound on 127.0.0.1 serving dbl.test, zrd.test and dq.test,
# see dns.sh):
#   envelope identities are judged at RCPT, one reply per recipient,
#   postmaster@ excepted: the HELO name, the client name (XCLIENT NAME=,
#   looked up as is, not by its registered domain), the sender's domain;
#   the message's identities refuse the whole message after the final
#   ".": the From: and Reply-To: domains, and body URLs (a quoted-
#   printable text/html part with an entity-encoded dot and a soft line
#   break in the href; a URL's host and its registered domain, libpsl);
#   ":identity+identity" restricts a list (no query for what it does not
#   judge); IP literals (HELO [192.0.2.1], bare HELO address, From:
#   x@[...], http://192.0.2.55/, http://[2001:db8::55]/, decimal and hex
#   IPv4 hosts, user@[...]) are never sent to a list (unbound's query
#   log holds exactly the names expected); DBL's 127.0.1.255, ZRD's
#   127.0.2.255 and 127.255.255.254 are errors, not listings:
#   dbl_on_error accept delivers, tempfail answers 451 4.4.3 (at RCPT or
#   after DATA); dry_run = dbl; dbl_action = tag; dbl_body_max_size (a
#   URL beyond it is neither looked up nor refused); recipient
#   exceptions at the end of data (mail to postmaster@ alone is not
#   refused, yet adding postmaster@ must not let the others have it);
#   sendmail(1) mail judged at the end, and Postfix's bounces (headers
#   only, or the whole message with its listed URL) never refused;
#   DKIM signers (python3-dkim signs, the key on unbound): a listed d=
#   whose signature passed refuses the message after the final "."
#   though From: is clean ("DKIM signer" in the reply, dkim= in the log),
#   the same d= on a broken signature is never asked of a list and the
#   message is delivered (tagged dkim_fail), a list without ":dkim" does
#   not judge signers;
#   Spamhaus DQS ($dqs_key.dbl.dq.test shown as dbl.spamhaus.org through
#   dns_list_names), a listed DKIM signer included: the key is in no
#   reply, log, sink file or test-mode output (every file of the run is
#   scanned, case-insensitively).
#
# The DKIM signers need /usr/bin/python3 with python3-dkim, and openssl,
# as t_auth_dkim.sh does; without them those cases are skipped.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"
# shellcheck source=auth.sh
. "$(dirname "$0")/auth.sh" # $PY, $AUTHCHECK and auth_keys; its other helpers are redefined below

e2e_dns_require
e2e_setup

# DKIM signers: an RSA key ($KEYS/rsa.pem, $rsa_txt) under signer.example
HAVE_DKIM=no
if "$PY" -c 'import dkim' 2>/dev/null && command -v openssl >/dev/null 2>&1; then
	HAVE_DKIM=yes
	auth_keys
else
	e2e_diag "DKIM signer cases skipped: $PY lacks python3-dkim, or openssl is missing"
fi

KEY=e2eDb1K3yQQsecret # the DQS key: only the config and the zone hold it

txt_bad='https://dbl.test/lookup?d=bad.example'
txt_host='dbl.test: host.bad.example is a spam source'
txt_spoof='dbl.test: spoof.example phish'
txt_reply='dbl.test: replyto.example spam'
txt_url='dbl.test: url.example redirector'
txt_early='dbl.test: early.example'
txt_new='zrd.test: new.example registered 2 hours ago'
txt_dq='https://check.spamhaus.example/dbl/bad.example'
txt_signer='dbl.test: signer.example signs spam'

dbl=$(e2e_dns_zone dbl.test <<EOF
bad.example          IN A    127.0.1.2
bad.example          IN TXT  "$txt_bad"
host.bad.example     IN A    127.0.1.2
host.bad.example     IN TXT  "$txt_host"
spoof.example        IN A    127.0.1.4
spoof.example        IN TXT  "$txt_spoof"
replyto.example      IN A    127.0.1.2
replyto.example      IN TXT  "$txt_reply"
url.example          IN A    127.0.1.2
url.example          IN TXT  "$txt_url"
early.example        IN A    127.0.1.2
early.example        IN TXT  "$txt_early"
late.example         IN A    127.0.1.2
late.example         IN TXT  "dbl.test: late.example"
new.example          IN A    127.0.1.2
err.example          IN A    127.0.1.255
errurl.example       IN A    127.0.1.255
oerr.example         IN A    127.255.255.254
signer.example       IN A    127.0.1.2
signer.example       IN TXT  "$txt_signer"
EOF
)
zrd=$(e2e_dns_zone zrd.test <<EOF
new.example          IN A    127.0.2.5
new.example          IN TXT  "$txt_new"
zerr.example         IN A    127.0.2.255
EOF
)
dq=$(e2e_dns_zone dq.test <<EOF
bad.example.$KEY.dbl      IN A    127.0.1.2
bad.example.$KEY.dbl      IN TXT  "$txt_dq"
spoof.example.$KEY.dbl    IN A    127.0.1.2
spoof.example.$KEY.dbl    IN TXT  "dbl.dq.test: spoof.example"
url.example.$KEY.dbl      IN A    127.0.1.2
url.example.$KEY.dbl      IN TXT  "listed: url.example.${KEY,,}.dbl.dq.test"
err.example.$KEY.dbl      IN A    127.0.1.255
signer.example.$KEY.dbl   IN A    127.0.1.2
signer.example.$KEY.dbl   IN TXT  "listed: signer.example.${KEY,,}.dbl.dq.test"
EOF
)
signer=
if [ "$HAVE_DKIM" = yes ]; then
	signer=$(e2e_dns_zone signer.example <<EOF
rsa._domainkey  IN TXT  $rsa_txt
EOF
	)
fi
e2e_dns_start "$dbl" "$zrd" "$dq" ${signer:+"$signer"}

# --- the DNS server itself ------------------------------------------------------
e2e_check "dns: bad.example.dbl.test has its A record" \
	test "$(e2e_dns_query bad.example.dbl.test A)" = "$(printf 'NOERROR\nA 127.0.1.2')"
e2e_check "dns: bad.example.dbl.test has its TXT record" \
	test "$(e2e_dns_query bad.example.dbl.test TXT)" = "$(printf 'NOERROR\nTXT %s' "$txt_bad")"
e2e_check "dns: an unlisted domain is NXDOMAIN" test "$(e2e_dns_query example.net.dbl.test A)" = NXDOMAIN
e2e_check "dns: the keyed DQS name answers" \
	test "$(e2e_dns_query "bad.example.$KEY.dbl.dq.test" A)" = "$(printf 'NOERROR\nA 127.0.1.2')"

# --- helpers --------------------------------------------------------------------

base="internal_networks = 127.0.0.0/8
dns_servers = $E2E_DNS_SERVER
dns_timeout = 2s
dns_attempts = 2"

# reconf NAME - the base config plus the lines on stdin; SIGHUP; assert "reload ok"
reconf() {
	e2e_reconfigure "reload: $1" < <(printf '%s\n' "$base" && cat)
}

# send ADDR TO [SWAKS ARGS] - one session from client ADDR (XCLIENT NAME $NAME) with HELO $HELO,
# MAIL FROM $FROM, to TO (comma list); Subject in $m
send() {
	local addr=$1 to=$2
	shift 2
	m=$(e2e_marker)
	e2e_swaks --from "${FROM:-a@example.net}" --to "$to" --helo "${HELO:-mail.example.net}" \
		--xclient-addr "$addr" --xclient-name "${NAME:-host.example}" \
		--header "Subject: $m" "$@"
}

# message FILE - write a message (From: $HDR_FROM, Subject: $m) with the headers and body on stdin after it
message() {
	{
		printf 'From: %s\nTo: <b@example.org>\nSubject: %s\n' "${HDR_FROM:-<a@example.net>}" "$m"
		printf 'Date: %s\nMessage-ID: <%s@example.net>\n' "$(LC_ALL=C date -R)" "$m"
		cat
	} >"$1"
}

# send_msg ADDR FILE - send FILE as the whole DATA (headers included) from client ADDR; Subject in $m
send_msg() {
	e2e_swaks --from "${FROM:-a@example.net}" --to b@example.org --helo "${HELO:-mail.example.net}" \
		--xclient-addr "$1" --xclient-name "${NAME:-host.example}" --data "@$2"
}

# dns_names - the names unbound was asked for since e2e_dns_mark, lowercased, sorted, unique
dns_names() {
	tail -c +"$((E2E_DNS_MARK + 1))" "$E2E_DNS_LOG" 2>/dev/null |
		awk '$0 ~ / info: [0-9.:a-f]+ [^ ]+ [A-Z0-9]+ IN$/ { n = tolower($(NF - 2)); sub(/\.$/, "", n); print n }' |
		sort -u
}

# has_bounce MARKER SENDER - true once a bounce (sender <>) to SENDER quoting MARKER is in the sink
# shellcheck disable=SC2317 # called through e2e_wait
has_bounce() {
	local f head
	for f in "$E2E_SINK_DIR"/*; do
		[ -f "$f" ] || continue
		head=$(e2e_sink_headers "$f")
		grep -qE '^X-Mail-Args: <>( |$)' <<<"$head" || continue
		grep -q "^X-Rcpt-Args: <$2>" <<<"$head" || continue
		grep -qF -- "$1" "$f" && return 0
	done
	return 1
}

# rcpt_args FILE - the recipients a sink file was sent to
rcpt_args() {
	grep '^X-Rcpt-Args:' "$1" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'
}

# not_grep REGEX FILE - true if no line of FILE matches REGEX
# shellcheck disable=SC2317 # called through e2e_check
not_grep() {
	! grep -qE -- "$1" "$2"
}

# not_grep_i TEXT - true if stdin does not hold TEXT (any case)
# shellcheck disable=SC2317 # called through e2e_check
not_grep_i() {
	! grep -qiF -- "$1"
}

# in_each TEXT FILE... - true if every FILE holds TEXT (any case)
# shellcheck disable=SC2317 # called through e2e_check
in_each() {
	local text=$1 f
	shift
	for f in "$@"; do
		grep -qiF -- "$text" "$f" || return 1
	done
}

# expect_names NAME WANT - assert the names unbound was asked for since the mark are exactly WANT (one a line)
expect_names() {
	local got
	got=$(dns_names)
	if [ "$got" = "$(sort -u <<<"$2")" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "got: $(tr '\n' ' ' <<<"$got")" "want: $(sort -u <<<"$2" | tr '\n' ' ')"
	fi
}

# tmode ARGS... - portcullis -t on the live config; output in $out (and $E2E_WORK/tmode.N.out); status in $rc
TMODE_N=0
tmode() {
	TMODE_N=$((TMODE_N + 1))
	timeout 20 "$PORTCULLIS" -c "$E2E_MILTER_CONF" -t "$@" >"$E2E_WORK/tmode.$TMODE_N.out" 2>&1
	rc=$?
	out=$(cat "$E2E_WORK/tmode.$TMODE_N.out")
}

# signed FILE [SED] - sign FILE in place as d=signer.example (python3-dkim, rsa-sha256
# relaxed/relaxed, s=rsa), then edit it with SED (a broken signature)
signed() {
	"$PY" "$AUTHCHECK" sign rsa-sha256 relaxed/relaxed signer.example rsa "$KEYS/rsa.pem" \
		from:to:subject:date:message-id <"$1" >"$1.signed" 2>"$1.err" ||
		e2e_not_ok "signed by signer.example: $1" "$(cat "$1.err")"
	mv "$1.signed" "$1"
	[ -z "${2:-}" ] || sed -i "$2" "$1"
}

# dbl_reply CLASS WHAT LIST [TXT] - the default dbl_reply text
dbl_reply() {
	printf '554 5.7.1 Service unavailable; %s <%s> blocked using %s%s' "$1" "$2" "$3" "${4:+; $4}"
}

# === 1. one list on every identity ======================================================
e2e_write_conf <<EOF
$base
dbl_sites = dbl.test
EOF
e2e_start_milter || e2e_finish

# --- the HELO name, at RCPT; postmaster@ excepted ---
r_helo=$(dbl_reply "Helo command" bad.example dbl.test "$txt_bad")
HELO=bad.example send 192.0.2.10 b@example.org,postmaster@example.org
e2e_expect_reply MAIL '250 ' "HELO listed: MAIL 250 (judged at RCPT)"
e2e_expect_reply_is RCPT:1 "$r_helo" "HELO listed: RCPT b@ 554 'Helo command <bad.example> blocked using dbl.test; TXT'"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "HELO listed: RCPT postmaster@ 250"
e2e_expect_delivered "$m" "HELO listed: delivered to postmaster@ only"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "HELO listed: the sink got <postmaster@example.org> alone" \
	test "$(rcpt_args "${f:-/dev/null}")" = '<postmaster@example.org>'
e2e_expect_milter_log 'reject stage=rcpt check=dbl client=host\.example\[192\.0\.2\.10\] helo=bad\.example .*to=<b@example\.org>.*detail="?helo=bad\.example list=dbl\.test code=127\.0\.1\.2 score=1' \
	"HELO listed: portcullis logs reject stage=rcpt check=dbl with the detail"
e2e_expect_maillog "milter-reject: RCPT from host\.example\[192\.0\.2\.10\]: $(e2e_re "$r_helo")" \
	"HELO listed: Postfix logs the milter-reject with the same text"

HELO=bad.example send 192.0.2.10 b@example.org
e2e_expect_reply_is RCPT "$r_helo" "HELO listed, one recipient: RCPT 554"
e2e_expect_not_delivered "$m" "HELO listed, one recipient: not delivered"

# Case does not hide a name; the reply names it lowercased.
HELO=Bad.EXAMPLE send 192.0.2.10 b@example.org
e2e_expect_reply_is RCPT "$r_helo" "HELO 'Bad.EXAMPLE': RCPT 554 '... <bad.example> ...'"
HELO=bad.example. send 192.0.2.10 b@example.org
e2e_expect_reply RCPT "554 5\\.7\\.1 Service unavailable; Helo command <bad\\.example\\.?> blocked using dbl\\.test; $(e2e_re "$txt_bad")\$" \
	"HELO 'bad.example.' (trailing dot): RCPT 554"

# --- a clean session: every identity looked up, nothing listed ---
e2e_dns_mark
HELO=clean-helo.example FROM=a@clean-sender.example NAME=clean-client.example send 192.0.2.11 b@example.org \
	--header 'From: <a@clean-from.example>' --header 'Reply-To: <r@clean-reply.example>' \
	--body 'See https://www.clean-url.example/page for details.'
e2e_expect_reply RCPT '250 ' "clean: RCPT 250"
e2e_expect_reply DOT '250 ' "clean: end of data 250"
e2e_expect_delivered "$m" "clean: delivered"
expect_names "clean: unbound was asked for each identity: HELO, client name, sender, From:, Reply-To:, URL host and its registered domain" \
	"$(printf '%s.dbl.test\n' clean-helo.example clean-client.example clean-sender.example \
		clean-from.example clean-reply.example www.clean-url.example clean-url.example)"

# --- the client name (XCLIENT NAME=), as is ---
NAME=host.bad.example send 192.0.2.12 b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 "$(dbl_reply "Client host" host.bad.example dbl.test "$txt_host")" \
	"client name listed: RCPT 554 'Client host <host.bad.example> blocked using dbl.test; TXT'"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "client name listed: RCPT postmaster@ 250"
e2e_expect_milter_log 'reject stage=rcpt check=dbl client=host\.bad\.example\[192\.0\.2\.12\] .*detail="?client=host\.bad\.example list=dbl\.test' \
	"client name listed: portcullis logs check=dbl client=host.bad.example"
# The client name is looked up as is (reject_rhsbl_client style): a
# name under a listed domain is not its registered domain.
e2e_dns_mark
NAME=other.bad.example send 192.0.2.13 b@example.org
e2e_expect_reply RCPT '250 ' "client name under a listed domain (other.bad.example): looked up as is, RCPT 250"
e2e_expect_delivered "$m" "client name under a listed domain: delivered"
e2e_check "client name under a listed domain: other.bad.example.dbl.test was asked" \
	test "$(e2e_dns_queries other.bad.example.dbl.test A)" -ge 1

# --- the sender's domain, at RCPT ---
FROM=a@bad.example send 192.0.2.14 b@example.org,postmaster@example.org
e2e_expect_reply MAIL '250 ' "sender listed: MAIL 250 (judged at RCPT)"
e2e_expect_reply_is RCPT:1 "$(dbl_reply "Sender address" bad.example dbl.test "$txt_bad")" \
	"sender listed: RCPT 554 'Sender address <bad.example> blocked using dbl.test; TXT'"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "sender listed: RCPT postmaster@ 250"
e2e_expect_milter_log 'reject stage=rcpt check=dbl .*from=<a@bad\.example> .*detail="?sender=bad\.example list=dbl\.test' \
	"sender listed: portcullis logs check=dbl sender=bad.example"
# Only postmaster@ is left, a recipient exception: its From: (the same
# listed domain) does not refuse the message at the end either.
e2e_expect_reply DOT '250 ' "sender listed: the message to postmaster@ alone is not refused after '.'"
e2e_expect_delivered "$m" "sender listed: delivered to postmaster@"

# --- From: (envelope clean): the whole message refused after the final "." ---
r_from=$(dbl_reply "From: header" spoof.example dbl.test "$txt_spoof")
send 192.0.2.15 b@example.org,c@example.org --header 'From: "Your Bank" <service@spoof.example>'
e2e_expect_reply RCPT '250 ' "From: listed: every RCPT 250 (judged at the end of data)"
e2e_expect_reply DATA '354 ' "From: listed: DATA 354"
e2e_expect_reply_is DOT "$r_from" "From: listed: after '.', 554 'From: header <spoof.example> blocked using dbl.test; TXT'"
e2e_expect_not_delivered "$m" "From: listed: not delivered to either recipient"
e2e_expect_milter_log 'reject stage=data check=dbl client=host\.example\[192\.0\.2\.15\] .*detail="?from=spoof\.example list=dbl\.test code=127\.0\.1\.4' \
	"From: listed: portcullis logs reject check=dbl from=spoof.example"
e2e_expect_maillog "milter-reject: END-OF-MESSAGE from host\.example\[192\.0\.2\.15\]: 5\.7\.1 Service unavailable; From: header <spoof\.example> blocked using dbl\.test" \
	"From: listed: Postfix logs milter-reject END-OF-MESSAGE"

# A recipient exception among the recipients: mail to postmaster@ is
# never refused, but the other recipients must not get what would have
# been refused without it (else adding postmaster@ to any message
# defeats every content check). Whether the message is then refused
# whole or goes to postmaster@ alone is the daemon's choice.
send 192.0.2.15 b@example.org,postmaster@example.org --header 'From: "Your Bank" <service@spoof.example>'
e2e_expect_reply RCPT '250 ' "From: listed + postmaster@: every RCPT 250"
e2e_settle
got=""
for f in $(e2e_sink_file "$m"); do
	got="$got $(rcpt_args "$f")"
done
if [[ $got == *'<b@example.org>'* ]]; then
	e2e_not_ok "From: listed + postmaster@: b@example.org does not get the message" \
		"delivered to:$got (DOT reply: $(e2e_reply DOT))" \
		"adding postmaster@ as a recipient lifts the From: refusal for every recipient"
else
	e2e_ok "From: listed + postmaster@: b@example.org does not get the message (delivered to:${got:- nobody})"
fi
send 192.0.2.15 postmaster@example.org --header 'From: "Your Bank" <service@spoof.example>'
e2e_expect_reply DOT '250 ' "From: listed, to postmaster@ alone: not refused after '.' (recipient exception)"
e2e_expect_delivered "$m" "From: listed, to postmaster@ alone: delivered"

# --- Reply-To: likewise ---
send 192.0.2.16 b@example.org --header 'Reply-To: Claims Dept <claims@replyto.example>'
e2e_expect_reply RCPT '250 ' "Reply-To: listed: RCPT 250"
e2e_expect_reply_is DOT "$(dbl_reply "Reply-To: header" replyto.example dbl.test "$txt_reply")" \
	"Reply-To: listed: after '.', 554 'Reply-To: header <replyto.example> ...'"
e2e_expect_not_delivered "$m" "Reply-To: listed: not delivered"
e2e_expect_milter_log 'reject stage=data check=dbl .*detail="?reply_to=replyto\.example list=dbl\.test' \
	"Reply-To: listed: portcullis logs check=dbl reply_to=replyto.example"

# --- a body URL in a quoted-printable text/html part: href with an
# entity-encoded dot, cut by a soft line break ---
m=$(e2e_marker)
message "$E2E_WORK/qp-html.eml" <<'EOF'
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Your parcel is waiting. Open the HTML part.

--b1
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Your parcel is waiting:</p><p><a href=3D"http://ur=
l&#46;example/track?id=3D42">track it</a></p></body></html>

--b1--
EOF
send_msg 192.0.2.17 "$E2E_WORK/qp-html.eml"
e2e_expect_reply RCPT '250 ' "body URL (QP HTML): RCPT 250"
e2e_expect_reply_is DOT "$(dbl_reply "Body URL" url.example dbl.test "$txt_url")" \
	"body URL (QP HTML, href, &#46;, soft break): after '.', 554 'Body URL <url.example> ...'"
e2e_expect_not_delivered "$m" "body URL (QP HTML): not delivered"
e2e_expect_milter_log 'reject stage=data check=dbl .*detail="?body=url\.example list=dbl\.test' \
	"body URL: portcullis logs check=dbl body=url.example"

# --- the registered domain of a URL's host (libpsl) ---
e2e_dns_mark
send 192.0.2.18 b@example.org --body 'Best prices: http://www.shop.bad.example/offer?id=1 today only.'
e2e_expect_reply_is DOT "$(dbl_reply "Body URL" bad.example dbl.test "$txt_bad")" \
	"registered domain: http://www.shop.bad.example/ refused as 'Body URL <bad.example>'"
e2e_expect_not_delivered "$m" "registered domain: not delivered"
e2e_check "registered domain: the host www.shop.bad.example was asked too" \
	test "$(e2e_dns_queries www.shop.bad.example.dbl.test A)" -ge 1
e2e_check "registered domain: the intermediate shop.bad.example was not asked" \
	test "$(e2e_dns_queries shop.bad.example.dbl.test)" -eq 0

# --- IP literals are never sent to a domain list ---
m=$(e2e_marker)
HDR_FROM='<x@[192.0.2.57]>' message "$E2E_WORK/literals.eml" <<'EOF'
Reply-To: <r@[IPv6:2001:db8::57]>

Links: http://192.0.2.55/login http://[2001:db8::55]/x http://3221226039/y
http://0xC0.0x00.0x02.0x38/z and mail me at user@[192.0.2.56] or see
http://fresh-literal.example/ok
EOF
e2e_dns_mark
HELO='[192.0.2.1]' FROM='a@[192.0.2.58]' NAME=lit-client.example send_msg 192.0.2.1 "$E2E_WORK/literals.eml"
e2e_expect_reply RCPT '250 ' "IP literals: RCPT 250"
e2e_expect_reply DOT '250 ' "IP literals: end of data 250"
e2e_expect_delivered "$m" "IP literals: delivered"
expect_names "IP literals: HELO [192.0.2.1], MAIL FROM a@[...], From:/Reply-To: @[...], literal/decimal/hex URLs: no query; only the client name and the real URL host" \
	"$(printf '%s.dbl.test\n' lit-client.example fresh-literal.example)"

# (Not an address of this host: that would be helo_impersonation.)
e2e_dns_mark
HELO=203.0.113.77 NAME=lit-client2.example send 203.0.113.77 b@example.org
e2e_expect_reply RCPT '250 ' "bare address as HELO: RCPT 250"
e2e_expect_delivered "$m" "bare address as HELO: delivered"
e2e_check "bare address as HELO: no query for it" \
	test "$(dns_names | grep -c '203\.0\.113\.77\|77\.113\.0\.203')" -eq 0
e2e_check "bare address as HELO: the client name was asked (the window is not empty)" \
	test "$(e2e_dns_queries lit-client2.example.dbl.test A)" -ge 1

# --- dbl_body_max_size: what lies beyond is not scanned ---
reconf "dbl_body_max_size = 8192" <<'EOF'
dbl_sites = dbl.test
dbl_body_max_size = 8192
EOF
filler=$(for i in $(seq 1 250); do printf 'filler line %03d: lorem ipsum dolor sit amet consectetur adipiscing elit sed do\n' "$i"; done)
m=$(e2e_marker)
message "$E2E_WORK/early.eml" <<EOF

Look at http://early.example/ first.
$filler
EOF
send_msg 192.0.2.19 "$E2E_WORK/early.eml"
e2e_expect_reply_is DOT "$(dbl_reply "Body URL" early.example dbl.test "$txt_early")" \
	"body size limit: a URL within the first 8192 bytes of a $(stat -c %s "$E2E_WORK/early.eml")-byte message is refused"
e2e_expect_not_delivered "$m" "body size limit: early URL: not delivered"
m=$(e2e_marker)
message "$E2E_WORK/late.eml" <<EOF

$filler
Look at http://late.example/ last.
EOF
e2e_dns_mark
send_msg 192.0.2.19 "$E2E_WORK/late.eml"
e2e_expect_reply DOT '250 ' "body size limit: a listed URL beyond 8192 bytes: end of data 250"
e2e_expect_delivered "$m" "body size limit: late URL: delivered (not scanned)"
e2e_check "body size limit: late.example was not looked up" \
	test "$(e2e_dns_queries late.example.dbl.test)" -eq 0

# === 2. lists restricted to identities ===================================================
reconf "dbl.test:helo+body zrd.test:sender" <<'EOF'
dbl_sites = dbl.test:helo+body zrd.test=127.0.2.[2..24]:sender
EOF
# new.example is on both lists: dbl.test judges the HELO and the body
# only, zrd.test the sender only.
e2e_dns_mark
HELO=new.example FROM=a@fresh-restricted.example send 192.0.2.20 b@example.org --body 'Visit http://new.example/ now.'
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Helo command <new\.example> blocked using dbl\.test$' \
	"restricted: HELO on dbl.test (helo+body): RCPT 554 (no TXT record: no '; ')"
e2e_check "restricted: the ':sender' list was not asked for the HELO name" \
	test "$(e2e_dns_queries new.example.zrd.test)" -eq 0
e2e_check "restricted: the 'helo+body' list was not asked for the sender's domain" \
	test "$(e2e_dns_queries fresh-restricted.example.dbl.test)" -eq 0
e2e_check "restricted: the ':sender' list was asked for the sender's domain" \
	test "$(e2e_dns_queries fresh-restricted.example.zrd.test A)" -ge 1

e2e_dns_mark
HELO=mail.example.net FROM=a@example.net send 192.0.2.21 b@example.org \
	--header 'From: <x@unjudged-from.example>' --body 'Visit http://www.new.example/ now.'
e2e_expect_reply RCPT '250 ' "restricted: RCPT 250"
e2e_expect_reply_is DOT "$(dbl_reply "Body URL" new.example dbl.test)" \
	"restricted: the body judged by dbl.test only: 554 'Body URL <new.example> blocked using dbl.test'"
e2e_check "restricted: the ':sender' list was not asked for the body's domains" \
	test "$(e2e_dns_queries www.new.example.zrd.test)-$(e2e_dns_queries new.example.zrd.test)" = 0-0
e2e_check "restricted: no list was asked for the From: domain" \
	test "$(e2e_dns_queries unjudged-from.example.dbl.test)-$(e2e_dns_queries unjudged-from.example.zrd.test)" = 0-0

FROM=a@new.example send 192.0.2.22 b@example.org
e2e_expect_reply_is RCPT "$(dbl_reply "Sender address" new.example zrd.test "$txt_new")" \
	"restricted: the sender on zrd.test: RCPT 554 'Sender address <new.example> blocked using zrd.test; TXT'"
e2e_expect_not_delivered "$m" "restricted: sender on zrd.test: not delivered"

reconf "zrd.test:sender alone" <<'EOF'
dbl_sites = zrd.test=127.0.2.[2..24]:sender
EOF
e2e_dns_mark
HELO=new.example NAME=new.example FROM=a@fresh-sender.example send 192.0.2.23 b@example.org \
	--header 'From: <x@new.example>' --body 'Visit http://new.example/ now.'
e2e_expect_reply RCPT '250 ' "':sender' alone: a listed HELO and client name are not judged: RCPT 250"
e2e_expect_reply DOT '250 ' "':sender' alone: listed From: and body URL are not judged: end of data 250"
e2e_expect_delivered "$m" "':sender' alone: delivered"
expect_names "':sender' alone: the only query is the sender's domain" 'fresh-sender.example.zrd.test'

# === 3. error codes are not listings =========================================================
reconf "error codes, dbl_on_error = accept" <<'EOF'
dbl_sites = dbl.test zrd.test
dbl_on_error = accept
EOF
HELO=err.example send 192.0.2.30 b@example.org
e2e_expect_reply RCPT '250 ' "127.0.1.255 (DBL error), accept: RCPT 250"
e2e_expect_delivered "$m" "127.0.1.255, accept: delivered"
e2e_expect_milter_log 'dbl error list=dbl\.test helo=err\.example error=".*127\.0\.1\.255' \
	"127.0.1.255: portcullis logs a dbl error"
FROM=a@zerr.example send 192.0.2.31 b@example.org
e2e_expect_reply RCPT '250 ' "127.0.2.255 (ZRD error), accept: RCPT 250"
e2e_expect_delivered "$m" "127.0.2.255, accept: delivered"
e2e_expect_milter_log 'dbl error list=zrd\.test sender=zerr\.example error=".*127\.0\.2\.255' \
	"127.0.2.255: portcullis logs a dbl error"
send 192.0.2.32 b@example.org --body 'http://errurl.example/ and http://oerr.example/'
e2e_expect_reply DOT '250 ' "error codes in body URLs, accept: end of data 250"
e2e_expect_delivered "$m" "error codes in body URLs, accept: delivered"
e2e_expect_milter_log 'dbl error list=dbl\.test body=errurl\.example error=".*127\.0\.1\.255' \
	"127.0.1.255 in a body URL: portcullis logs a dbl error"
e2e_expect_milter_log 'dbl error list=dbl\.test body=oerr\.example error=".*127\.255\.255\.254' \
	"127.255.255.254: portcullis logs a dbl error"

reconf "error codes, dbl_on_error = tempfail" <<'EOF'
dbl_sites = dbl.test zrd.test
dbl_on_error = tempfail
EOF
HELO=err.example send 192.0.2.33 b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 '451 4.4.3 DNS list lookup failed' "127.0.1.255, tempfail: RCPT 451 4.4.3"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "127.0.1.255, tempfail: postmaster@ still 250"
FROM=a@zerr.example send 192.0.2.34 b@example.org
e2e_expect_reply RCPT '451 4\.4\.3 ' "127.0.2.255, tempfail: RCPT 451 4.4.3"
e2e_expect_not_delivered "$m" "127.0.2.255, tempfail: not delivered"
send 192.0.2.35 b@example.org --body 'http://errurl.example/'
e2e_expect_reply RCPT '250 ' "127.0.1.255 in a body URL, tempfail: RCPT 250"
e2e_expect_reply_is DOT '451 4.4.3 DNS list lookup failed' "127.0.1.255 in a body URL, tempfail: after '.', 451 4.4.3"
e2e_expect_not_delivered "$m" "127.0.1.255 in a body URL, tempfail: not delivered"
HELO=bad.example send 192.0.2.36 b@example.org
e2e_expect_reply_is RCPT "$r_helo" "tempfail on error: a listed HELO is still refused 554"

# === 4. dry run, tag =========================================================================
reconf "dry_run = dbl" <<'EOF'
dbl_sites = dbl.test
dry_run = dbl
EOF
HELO=bad.example send 192.0.2.40 b@example.org
e2e_expect_reply RCPT '250 ' "dry run: listed HELO: RCPT 250"
e2e_expect_delivered "$m" "dry run: listed HELO: delivered"
e2e_expect_milter_log 'dry-run reject stage=rcpt check=dbl .*detail="?helo=bad\.example' \
	"dry run: listed HELO: portcullis logs 'dry-run reject stage=rcpt check=dbl'"
send 192.0.2.41 b@example.org --header 'From: <x@spoof.example>'
e2e_expect_reply DOT '250 ' "dry run: listed From: end of data 250"
e2e_expect_delivered "$m" "dry run: listed From: delivered"
e2e_expect_milter_log 'dry-run reject stage=data check=dbl .*detail="?from=spoof\.example' \
	"dry run: listed From: portcullis logs 'dry-run reject ... check=dbl'"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "dry run: no tag header" not_grep '^X-Portcullis-Tag:' "${f:-/dev/null}"

reconf "dbl_action = tag" <<'EOF'
dbl_sites = dbl.test
dbl_action = tag
EOF
send 192.0.2.42 b@example.org --body 'http://url.example/x'
e2e_expect_reply DOT '250 ' "tag: listed body URL: end of data 250"
e2e_expect_delivered "$m" "tag: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "tag: X-Portcullis-Tag names dbl" grep -q '^X-Portcullis-Tag: .*dbl' "${f:-/dev/null}"

# === 5. sendmail(1): judged at the end; Postfix's bounce is never refused ======================
# internal_networks empty: mail from localhost is judged. The bounce
# Postfix makes for a refused message quotes it, listed URL included,
# and goes through portcullis too (internal_mail_filter_classes =
# bounce, sender <>): refusing it would leave the original queued.
e2e_reconfigure "reload: sendmail path, internal_networks empty" <<EOF
dns_servers = $E2E_DNS_SERVER
dns_timeout = 2s
internal_networks =
dbl_sites = dbl.test
EOF
m=$(e2e_marker)
HDR_FROM='<sender@example.net>' message "$E2E_WORK/sendmail-url.eml" <<<$'\nTrack it: http://url.example/t?x=1'
e2e_sendmail_raw sender@example.net rcpt@example.com <"$E2E_WORK/sendmail-url.eml"
e2e_expect_milter_log "^portcullis: [0-9A-F]+: reject stage=data check=dbl client=localhost\\[127\\.0\\.0\\.1\\] .*from=<sender@example\\.net> reply=\"$(e2e_re "$(dbl_reply "Body URL" url.example dbl.test "$txt_url")")\"" \
	"sendmail: a listed body URL: reject stage=data under the queue ID"
e2e_expect_maillog 'to=<rcpt@example\.com>, relay=none, .*status=bounced \(Service unavailable; Body URL <url\.example> blocked using dbl\.test' \
	"sendmail: Postfix bounces it"
e2e_expect_not_delivered "$m" "sendmail: not delivered to the recipient"
if e2e_wait 5 has_bounce "$m" sender@example.net; then
	e2e_ok "sendmail: the bounce (quoting the listed URL) reaches the sender"
else
	e2e_not_ok "sendmail: the bounce (quoting the listed URL) reaches the sender" \
		"portcullis refuses Postfix's own bounce (sender <>) for the URL it quotes:" \
		"$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -m 1 'from=<> ')" \
		"$(tail -c +"$((E2E_MAILLOG_MARK + 1))" "$E2E_MAILLOG" | grep -m 1 'bounce message failure')"
fi
e2e_expect_no_milter_log ': reject stage=data .*from=<> ' \
	"sendmail: portcullis does not refuse Postfix's bounce"

# That bounce held the original's headers only. A non-delivery report
# holds the whole message: a client in internal_networks (not judged)
# sends a listed URL to a recipient the error transport refuses (a full
# address key: static: would match it before any domain key; smtpd
# would refuse it at RCPT unless smtpd_reject_unlisted_recipient = no);
# the bounce back to it quotes the URL in its message/rfc822 part.
e2e_postfix_reconfigure "transport_maps = inline:{ {gone@nobody.example=error:no such user} }, static:smtp:[127.0.0.1]:$E2E_SINK_PORT" \
	"smtpd_reject_unlisted_recipient = no"
e2e_reconfigure "reload: internal_networks = 10.0.0.0/8" <<EOF
dns_servers = $E2E_DNS_SERVER
dns_timeout = 2s
internal_networks = 10.0.0.0/8
dbl_sites = dbl.test
EOF
FROM=sender@example.net send 10.0.0.5 gone@nobody.example --body 'Track it: http://url.example/t?x=2'
e2e_expect_reply DOT '250 ' "bounce: an internal client's message with a listed URL is accepted"
e2e_expect_maillog 'to=<gone@nobody\.example>, relay=none, .*status=bounced \(no such user\)' \
	"bounce: the error transport bounces it"
if e2e_wait 5 has_bounce "$m" sender@example.net; then
	e2e_ok "bounce: the non-delivery report (message/rfc822 with the listed URL) reaches the sender"
else
	e2e_not_ok "bounce: the non-delivery report (message/rfc822 with the listed URL) reaches the sender" \
		"portcullis refuses Postfix's own bounce (sender <>) for the URL of the message it returns:" \
		"$(tail -c +"$((E2E_MILTER_LOG_MARK + 1))" "$E2E_MILTER_LOG" | grep -m 1 'from=<> ')" \
		"$(tail -c +"$((E2E_MAILLOG_MARK + 1))" "$E2E_MAILLOG" | grep -m 1 'bounce message failure')"
fi
e2e_expect_no_milter_log ': reject stage=data .*from=<> ' \
	"bounce: portcullis does not refuse Postfix's bounce"
n=$(e2e_queue_count deferred)
e2e_check "bounce: the original is not left deferred with 'bounce failed' ($n deferred)" test "$n" -eq 0

# === 6. DKIM signers: the d= of the signatures that passed ===================================
# The From: (a@example.net) is clean; signer.example, the d=, is listed.
if [ "$HAVE_DKIM" = yes ]; then
	reconf "DKIM signers" <<'EOF'
dbl_sites = dbl.test zrd.test=127.0.2.[2..24]
EOF
	# A broken signature first, so that no answer is cached: its d= is
	# whatever the sender wrote, and is never asked of a list.
	m=$(e2e_marker)
	message "$E2E_WORK/dkim-broken.eml" <<<$'\nHello from a listed signer.'
	signed "$E2E_WORK/dkim-broken.eml" 's/^Hello from /Hello, from /'
	e2e_dns_mark
	send_msg 192.0.2.60 "$E2E_WORK/dkim-broken.eml"
	e2e_expect_reply DOT '250 ' "DKIM signer listed, signature broken: end of data 250"
	e2e_expect_delivered "$m" "DKIM signer listed, signature broken: delivered"
	f=$(e2e_sink_file "$m" | head -n 1)
	e2e_check "DKIM signer listed, signature broken: tagged dkim_fail, not dbl" \
		grep -qE '^X-Portcullis-Tag: dkim_fail$' "${f:-/dev/null}"
	e2e_check "DKIM signer listed, signature broken: its key was fetched (the signature was judged)" \
		test "$(e2e_dns_queries rsa._domainkey.signer.example TXT)" -ge 1
	e2e_check "DKIM signer listed, signature broken: signer.example was asked of no list" \
		test "$(e2e_dns_queries signer.example.dbl.test)-$(e2e_dns_queries signer.example.zrd.test)" = 0-0

	# The same message, its signature intact: refused after the final ".".
	r_signer=$(dbl_reply "DKIM signer" signer.example dbl.test "$txt_signer")
	m=$(e2e_marker)
	message "$E2E_WORK/dkim-pass.eml" <<<$'\nHello from a listed signer.'
	signed "$E2E_WORK/dkim-pass.eml"
	e2e_dns_mark
	send_msg 192.0.2.61 "$E2E_WORK/dkim-pass.eml"
	e2e_expect_reply RCPT '250 ' "DKIM signer listed, From: clean: RCPT 250 (judged at the end of data)"
	e2e_expect_reply_is DOT "$r_signer" \
		"DKIM signer listed, From: clean: after '.', 554 'DKIM signer <signer.example> blocked using dbl.test; TXT'"
	e2e_expect_not_delivered "$m" "DKIM signer listed: not delivered"
	e2e_check "DKIM signer listed: signer.example was asked of each list" \
		test "$(e2e_dns_queries signer.example.dbl.test A)-$(e2e_dns_queries signer.example.zrd.test A)" = 1-1
	e2e_expect_milter_log 'reject stage=data check=dbl client=host\.example\[192\.0\.2\.61\] .*detail="?dkim=signer\.example list=dbl\.test code=127\.0\.1\.2' \
		"DKIM signer listed: portcullis logs reject stage=data check=dbl dkim=signer.example"
	e2e_expect_maillog "milter-reject: END-OF-MESSAGE from host\.example\[192\.0\.2\.61\]: 5\.7\.1 Service unavailable; DKIM signer <signer\.example> blocked using dbl\.test" \
		"DKIM signer listed: Postfix logs milter-reject END-OF-MESSAGE"

	reconf "DKIM signers not judged: every identity but dkim" <<'EOF'
dbl_sites = dbl.test:helo+client+sender+from+reply_to+body
EOF
	m=$(e2e_marker)
	message "$E2E_WORK/dkim-unjudged.eml" <<<$'\nHello from a listed signer.'
	signed "$E2E_WORK/dkim-unjudged.eml"
	send_msg 192.0.2.62 "$E2E_WORK/dkim-unjudged.eml"
	e2e_expect_reply DOT '250 ' "a list without ':dkim': a listed signer is not judged: end of data 250"
	e2e_expect_delivered "$m" "a list without ':dkim': delivered"
fi

# === 7. Spamhaus DQS: the key stays secret =======================================================
dqs_conf="dqs_key = $KEY
dbl_sites = \$dqs_key.dbl.dq.test=127.0.1.[2..99]
dns_list_names = dbl.dq.test=dbl.spamhaus.org
dbl_on_error = accept"
reconf "DQS" <<<"$dqs_conf"
r_dq=$(dbl_reply "Helo command" bad.example dbl.spamhaus.org "$txt_dq")
e2e_dns_mark
HELO=bad.example send 192.0.2.50 b@example.org
e2e_expect_reply_is RCPT "$r_dq" "DQS: listed HELO: RCPT 554 names dbl.spamhaus.org"
e2e_expect_not_delivered "$m" "DQS: listed HELO: not delivered"
e2e_check "DQS: the query carried the key" \
	test "$(e2e_dns_queries "bad.example.$KEY.dbl.dq.test" A)" -ge 1
e2e_expect_milter_log 'reject stage=rcpt check=dbl .*list=dbl\.spamhaus\.org' "DQS: logged with the public name"
send 192.0.2.51 b@example.org --header 'From: <x@spoof.example>'
e2e_expect_reply_is DOT "$(dbl_reply "From: header" spoof.example dbl.spamhaus.org 'dbl.dq.test: spoof.example')" \
	"DQS: listed From: after '.', 554 names dbl.spamhaus.org"
send 192.0.2.52 b@example.org --body 'http://url.example/'
e2e_expect_reply DOT '554 5\.7\.1 Service unavailable; Body URL <url\.example> blocked using dbl\.spamhaus\.org' \
	"DQS: body URL whose TXT echoes the keyed name: 554"
r=$(e2e_reply DOT)
e2e_check "DQS: ... and the reply does not hold the key in any case" not_grep_i "$KEY" <<<"$r"
if [ "$HAVE_DKIM" = yes ]; then
	m=$(e2e_marker)
	message "$E2E_WORK/dq-dkim.eml" <<<$'\nHello from a listed signer.'
	signed "$E2E_WORK/dq-dkim.eml"
	send_msg 192.0.2.59 "$E2E_WORK/dq-dkim.eml"
	e2e_expect_reply DOT '554 5\.7\.1 Service unavailable; DKIM signer <signer\.example> blocked using dbl\.spamhaus\.org; listed: signer\.example\.' \
		"DQS: listed DKIM signer (its TXT echoes the keyed name): after '.', 554 names dbl.spamhaus.org"
	r=$(e2e_reply DOT)
	e2e_check "DQS: listed DKIM signer: the reply does not hold the key in any case" not_grep_i "$KEY" <<<"$r"
	e2e_expect_milter_log 'reject stage=data check=dbl .*detail="?dkim=signer\.example list=dbl\.spamhaus\.org' \
		"DQS: listed DKIM signer: logged as dkim= with the public name"
	tmode --client-ip 192.0.2.59 --helo mail.example.net --from a@example.net --rcpt b@example.org \
		--message "$E2E_WORK/dq-dkim.eml"
	e2e_check "DQS test mode: a listed DKIM signer exits 5 (got $rc)" test "$rc" -eq 5
	e2e_check "DQS test mode: the verdict names the DKIM signer and dbl.spamhaus.org" \
		grep -qE '^verdict: reject 554 5\.7\.1 Service unavailable; DKIM signer <signer\.example> blocked using dbl\.spamhaus\.org' <<<"$out"
fi
HELO=err.example send 192.0.2.53 b@example.org
e2e_expect_reply RCPT '250 ' "DQS: 127.0.1.255, accept: RCPT 250"
e2e_expect_milter_log 'dbl error list=dbl\.spamhaus\.org helo=err\.example' "DQS: an error is logged with the public name"
reconf "DQS, dry run" < <(printf '%s\ndry_run = dbl\n' "$dqs_conf")
HELO=bad.example send 192.0.2.54 b@example.org --body 'http://url.example/'
e2e_expect_delivered "$m" "DQS dry run: delivered"
e2e_expect_milter_log 'dry-run reject .*check=dbl.*list=dbl\.spamhaus\.org' "DQS dry run: logged with the public name"
reconf "DQS, reject" <<<"$dqs_conf"
tmode --client-ip 192.0.2.55 --helo bad.example --from a@example.net --rcpt b@example.org
e2e_check "DQS test mode: listed HELO exits 5 (got $rc)" test "$rc" -eq 5
e2e_check "DQS test mode: verdict names dbl.spamhaus.org" test "$(tail -n 1 <<<"$out")" = "verdict: reject $r_dq"
m=$(e2e_marker)
message "$E2E_WORK/dq-body.eml" <<<$'\nhttp://url.example/ and http://www.shop.bad.example/'
tmode --client-ip 192.0.2.55 --helo mail.example.net --from a@example.net --rcpt b@example.org \
	--message "$E2E_WORK/dq-body.eml"
e2e_check "DQS test mode: listed body URLs exit 5 (got $rc)" test "$rc" -eq 5
timeout 10 "$PORTCULLIS" -d -c "$E2E_MILTER_CONF" >"$E2E_WORK/dump.out" 2>&1
e2e_check "DQS: portcullis -d shows dqs_key redacted" grep -q '^dqs_key = <redacted>$' "$E2E_WORK/dump.out"

e2e_stop_milter
e2e_check "DQS scan sanity: the key is in the config and in unbound's query log" \
	in_each "$KEY" "$E2E_MILTER_CONF" "$E2E_DNS_LOG"
e2e_expect_secret_absent "$KEY" "DQS: the key is in no transcript, sink file, log or output" \
	"$E2E_MILTER_CONF"

e2e_dns_stop
e2e_finish
