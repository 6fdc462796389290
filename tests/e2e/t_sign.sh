#!/bin/bash
#
# t_sign.sh - DKIM signing of outgoing mail through a real Postfix, the
# delivered messages checked by two independent verifiers
#
#   - keys: RSA-2048 and Ed25519 made by portcullis-genkey, whose printed
#     zone-file records are what unbound serves; an OpenDKIM KeyTable and
#     a refile: SigningTable, dkim_sign_multiple = yes (dual signing);
#   - the tricky message set of the unit tests (tests/unit/data/dkim/
#     sign_*.eml: folded headers, 8-bit body, 5,000-byte lines, empty
#     body, blank lines only, no body, no trailing newline, many headers)
#     from an internal client over SMTP: each delivered message carries
#     an rsa-sha256 and an ed25519-sha256 signature, d=example.test,
#     relaxed/relaxed, and python3-dkim (over the test DNS) and OpenDKIM's
#     opendkim-testmsg (libc resolver pointed at the same unbound) pass
#     each signature;
#   - mail submitted with Postfix's sendmail (non_smtpd_milters), mail
#     from a SASL-authenticated client (Cyrus sasldb, AUTH PLAIN, from an
#     outside address given by XCLIENT) and mail through a submission
#     service named ORIGINATING (milter_macro_daemon_name) is signed and
#     verifies; the same outside client without AUTH is not signed, nor
#     is mail From: a domain without a key;
#   - key rotation: a new key in the KeyTable and SIGHUP; the next
#     message is signed with the new selector; a reload with a key file
#     readable by others fails, naming the file, and the old keys sign on;
#   - no private key text in any log.
#
# Needs /usr/bin/python3 with python3-dkim, python3-dnspython and
# python3-nacl, opendkim-testmsg, saslpasswd2 and Cyrus SASL's sasldb
# and PLAIN plugins, unshare (exit 77 otherwise).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"

PY=/usr/bin/python3 # Debian's python3, where python3-dkim lives
AUTHCHECK=$E2E_DIR/authcheck.py
DATA=$E2E_DIR/../unit/data/dkim
GENKEY=${PORTCULLIS_GENKEY:-$(dirname "${PORTCULLIS:-.}")/portcullis-genkey}

# sign_require - exit 77 unless the verifiers and SASL tools are installed
sign_require() {
	local cmd
	if ! "$PY" -c 'import dkim, dns.resolver, nacl' 2>/dev/null; then
		echo "e2e: skipped: $PY lacks dkim/dns/nacl (apt-get install python3-dkim python3-dnspython python3-nacl)" >&2
		exit 77
	fi
	for cmd in opendkim-testmsg saslpasswd2 unshare; do
		if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
			echo "e2e: skipped: '$cmd' not found (apt-get install opendkim-tools sasl2-bin libsasl2-modules)" >&2
			exit 77
		fi
	done
}

e2e_dns_require
sign_require
e2e_setup

if [ ! -x "$GENKEY" ]; then
	e2e_bail "no portcullis-genkey at $GENKEY (PORTCULLIS_GENKEY)"
fi

# --- keys and zone --------------------------------------------------------------
KEYS=$E2E_WORK/keys
install -d -o "$E2E_MILTER_USER" -m 700 "$KEYS"
ZONE_RECORDS=$E2E_WORK/records

# genkey ALG SELECTOR - make KEYS/SELECTOR.key for example.test, owned by
# the milter's user; its zone-file record goes to $ZONE_RECORDS
genkey() {
	local out=$E2E_WORK/genkey.$2.out
	if "$GENKEY" -a "$1" -d example.test -s "$2" -o "$KEYS/$2.key" \
		-u "$E2E_MILTER_USER" >"$out" 2>&1; then
		e2e_ok "portcullis-genkey -a $1 -s $2"
	else
		e2e_not_ok "portcullis-genkey -a $1 -s $2" "$(cat "$out")"
	fi
	# The record: from its first line to the closing parenthesis.
	awk '/^[^;#]*_domainkey/ { on = 1 } on { print } on && /\)/ { exit }' "$out" |
		sed 's/\.example\.test\./.example.test./' >>"$ZONE_RECORDS"
}
genkey rsa rsa
genkey ed25519 ed
genkey rsa rsa2 # for the rotation
e2e_check "the keys are mode 0600, owned by $E2E_MILTER_USER" \
	test "$(stat -c '%a %U' "$KEYS/rsa.key" "$KEYS/ed.key" "$KEYS/rsa2.key" | sort -u)" = "600 $E2E_MILTER_USER"

zone=$(e2e_dns_zone example.test <"$ZONE_RECORDS")
e2e_dns_start --port53 "$zone"
for sel in rsa ed rsa2; do
	e2e_check "unbound serves the $sel key record from portcullis-genkey" \
		grep -q "^TXT v=DKIM1; k=[a-z0-9]*; p=" <(e2e_dns_query "$sel._domainkey.example.test" TXT)
done
export E2E_DNS_PORT

cat >"$KEYS/KeyTable" <<EOF
# OpenDKIM's format, unchanged
rsa._domainkey.example.test example.test:rsa:$KEYS/rsa.key
ed._domainkey.example.test  example.test:ed:$KEYS/ed.key
EOF
cat >"$KEYS/SigningTable" <<'EOF'
*@example.test rsa._domainkey.example.test
*@example.test ed._domainkey.example.test
EOF

# --- Postfix: Cyrus SASL (sasldb), and a submission service ------------------------
# Debian's Postfix reads Cyrus's smtpd.conf from $config_directory/sasl
# (cyrus_sasl_config_path is not looked at).
SASL=$E2E_CONF/sasl
mkdir -p "$SASL"
cat >"$SASL/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $SASL/sasldb2
mech_list: PLAIN LOGIN
EOF
echo 'alice-secret' | saslpasswd2 -p -c -f "$SASL/sasldb2" -u sign.test alice ||
	e2e_bail "saslpasswd2"
chown root:postfix "$SASL/sasldb2"
chmod 640 "$SASL/sasldb2"
read -r SUB_PORT <<<"$(_e2e_free_ports 1)"
postconf -c "$E2E_CONF" -Me "127.0.0.1:$SUB_PORT/inet=127.0.0.1:$SUB_PORT inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING" ||
	e2e_bail "postconf -M: a submission smtpd on 127.0.0.1:$SUB_PORT"
e2e_postfix_reconfigure "smtpd_sasl_auth_enable = yes" "smtpd_sasl_type = cyrus" \
	"smtpd_sasl_path = smtpd" \
	"smtpd_sasl_local_domain = sign.test" "smtpd_sasl_security_options = noanonymous" \
	"smtpd_relay_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination"

e2e_write_conf <<EOF
dns_servers = $E2E_DNS_SERVER
internal_networks = 127.0.0.0/8
dkim_key_table = $KEYS/KeyTable
dkim_signing_table = refile:$KEYS/SigningTable
dkim_sign_multiple = yes
dkim_sign_daemon_names = ORIGINATING
EOF
e2e_start_milter || e2e_finish

# --- helpers -------------------------------------------------------------------------
# marked FILE - print the message in FILE with an X-Test-Marker: $m field first
marked() {
	printf 'X-Test-Marker: %s\n' "$m"
	cat "$1"
}

# delivered NAME - the delivered message of $m, as Postfix sent it, into $F
delivered() {
	local f
	F=$E2E_WORK/delivered.$m
	if e2e_expect_delivered "$m" "$1: delivered"; then
		f=$(e2e_sink_file "$m" | head -n 1)
		"$PY" "$AUTHCHECK" unsink "$f" >"$F"
		mv "$f" "$F.sink"
	else
		: >"$F"
	fi
}

# sigs - the DKIM-Signature fields of $F: "SIG N b=B d=D s=S a=A c=C"
sigs() {
	"$PY" "$AUTHCHECK" headers "$F" | grep '^SIG '
}

# expect_signed NAME SELECTOR... - $F carries exactly these signatures
# (d=example.test, relaxed/relaxed) and both verifiers pass each
expect_signed() {
	local name=$1 want got n=0 sel alg out
	shift
	want=$(for sel in "$@"; do
		alg=rsa-sha256
		[ "$sel" = ed ] && alg=ed25519-sha256
		echo "d=example.test s=$sel a=$alg c=relaxed/relaxed"
	done | sort)
	got=$(sigs | cut -d' ' -f4- | sort)
	if [ "$got" = "$want" ]; then
		e2e_ok "$name: signed by $*"
	else
		e2e_not_ok "$name: signed by $*" "got: ${got:-(none)}" "want: $want"
	fi
	out=$("$PY" "$AUTHCHECK" verify "$F" 2>&1)
	if [ -n "$out" ] && ! grep -qv ' pass$' <<<"$out" &&
		[ "$(wc -l <<<"$out")" -eq $# ]; then
		e2e_ok "$name: python3-dkim passes every signature"
	else
		e2e_not_ok "$name: python3-dkim passes every signature" "$out"
	fi
	for n in $(seq 1 $#); do
		"$PY" "$AUTHCHECK" only "$F" "$n" >"$F.only$n"
		if out=$(e2e_dns_libc opendkim-testmsg <"$F.only$n" 2>&1) && [ -z "$out" ]; then
			e2e_ok "$name: opendkim-testmsg passes signature $n"
		else
			e2e_not_ok "$name: opendkim-testmsg passes signature $n" "${out:-exit status not 0}"
		fi
	done
}

# expect_unsigned NAME - $F has no DKIM-Signature
expect_unsigned() {
	local got
	got=$(sigs)
	if [ -z "$got" ]; then
		e2e_ok "$1: not signed"
	else
		e2e_not_ok "$1: not signed" "$got"
	fi
}

# send_internal FILE [SWAKS ARGS] - FILE (marked) from 127.0.0.1, an internal client
send_internal() {
	local file=$1
	shift
	marked "$file" >"$E2E_WORK/send.eml"
	e2e_swaks --from alice@example.test --to bob@example.org --helo mail.example.test \
		--data "@$E2E_WORK/send.eml" "$@"
}

# send_outside FILE [SWAKS ARGS] - FILE (marked) from 192.0.2.20 (XCLIENT)
send_outside() {
	local file=$1
	shift
	marked "$file" >"$E2E_WORK/send.eml"
	e2e_swaks --from alice@example.test --to bob@example.org --helo mail.example.test \
		--xclient-addr 192.0.2.20 --xclient-name client.example.net \
		--data "@$E2E_WORK/send.eml" "$@"
}

# --- 1. the tricky set, internal client, dual signatures --------------------------
# The set as the unit tests have it, but for two messages:
#   - sign_many has two Cc: fields, which RFC 5322 forbids and OpenDKIM's
#     tools refuse ("Syntax error"): here the second is folded into the first;
#   - sign_long has lines of 1,220 and 5,000 bytes. SMTP allows 998, and
#     Postfix's smtp client breaks longer lines on the way out
#     (smtp_line_length_limit), after the signature was made; no signer
#     in front of it can help that. Here it is cut to lines of exactly
#     998 bytes, which must verify; the original is sent below to see
#     portcullis warn about it.
SET=$E2E_WORK/set
mkdir -p "$SET"
cp "$DATA"/sign_*.eml "$SET/"
awk '/^Cc: Dave/ { next } /^Cc: Carol/ { print $0 ","; print " Dave <dave@example.org>"; next } { print }' \
	"$DATA/sign_many.eml" >"$SET/sign_many.eml"
awk 'length($0) > 998 { $0 = substr($0, 1, 998) } { print }' "$DATA/sign_long.eml" >"$SET/sign_long.eml"
e2e_check "the long-line message keeps lines of 998 bytes" \
	test "$(awk '{ print length($0) }' "$SET/sign_long.eml" | sort -n | tail -n 1)" -eq 998

for file in "$SET"/sign_*.eml; do
	name=$(basename "$file" .eml)
	m=$(e2e_marker)
	send_internal "$file"
	e2e_expect_reply DOT '250 ' "$name: end of data 250"
	delivered "$name"
	expect_signed "$name" rsa ed
	[ "$name" = sign_folded ] && FOLDED=$F
done

# The verifiers can fail: sign_folded with one body byte changed.
sed 's/^Hello,$/Hello!/' "$FOLDED" >"$FOLDED.changed"
grep -q '^Hello!$' "$FOLDED.changed" || e2e_bail "control: no 'Hello,' line in $FOLDED"
F=$FOLDED.changed
out=$("$PY" "$AUTHCHECK" verify "$F" 2>&1)
e2e_check "control: python3-dkim fails both signatures of a changed body" \
	test "$(grep -c ' fail$' <<<"$out")" -eq 2
"$PY" "$AUTHCHECK" only "$F" 1 >"$F.only1"
out=$(e2e_dns_libc opendkim-testmsg <"$F.only1" 2>&1)
e2e_check "control: opendkim-testmsg fails it too ($out)" grep -q 'Bad signature\|body hash' <<<"$out"

m=$(e2e_marker)
send_internal "$DATA/sign_long.eml"
delivered "lines over 998 bytes"
e2e_check "lines over 998 bytes: signed all the same" test "$(sigs | wc -l)" -eq 2
e2e_expect_milter_log 'dkim_sign warning=long_line length=5000 limit=998: .*smtp_line_length_limit' \
	"lines over 998 bytes: portcullis warns that the signature will break"
e2e_check "lines over 998 bytes: Postfix broke them on the way out, as the warning says" \
	test "$(awk '{ print length($0) }' "$F" | sort -n | tail -n 1)" -le 999

# --- 2. sendmail(1) ----------------------------------------------------------------------
# Postfix's sendmail marks a message with UTF-8 headers SMTPUTF8, which
# the sink does not offer: the 8-bit message keeps only its 8-bit body.
sed -e 's/^From: .*/From: Joerg Example <joerg@example.test>/' \
	-e 's/^Subject: .*/Subject: an 8-bit body/' "$SET/sign_8bit.eml" >"$SET/sendmail_8bit.eml"
for file in "$SET/sign_folded.eml" "$SET/sign_nonl.eml" "$SET/sendmail_8bit.eml"; do
	name="sendmail $(basename "$file" .eml)"
	m=$(e2e_marker)
	marked "$file" >"$E2E_WORK/send.eml"
	e2e_sendmail_raw alice@example.test bob@example.org <"$E2E_WORK/send.eml"
	delivered "$name"
	expect_signed "$name" rsa ed
done

# --- 3. outside clients: authenticated, submission service, neither -----------------
m=$(e2e_marker)
send_outside "$SET/sign_folded.eml" --auth PLAIN --auth-user alice --auth-password alice-secret
e2e_expect_reply AUTH '235 ' "SASL: AUTH PLAIN accepted"
e2e_expect_reply DOT '250 ' "SASL: end of data 250"
e2e_expect_maillog 'sasl_method=PLAIN, sasl_username=alice' "SASL: Postfix logs the login"
delivered "SASL-authenticated outside client"
expect_signed "SASL-authenticated outside client" rsa ed

m=$(e2e_marker)
marked "$SET/sign_many.eml" >"$E2E_WORK/send.eml"
E2E_SMTP_PORT_SAVED=$E2E_SMTP_PORT
E2E_SMTP_PORT=$SUB_PORT
e2e_swaks --from alice@example.test --to bob@example.org --helo mail.example.test \
	--xclient-addr 192.0.2.21 --xclient-name client.example.net --data "@$E2E_WORK/send.eml"
E2E_SMTP_PORT=$E2E_SMTP_PORT_SAVED
e2e_expect_reply DOT '250 ' "ORIGINATING service: end of data 250"
delivered "ORIGINATING service, outside client"
expect_signed "ORIGINATING service, outside client" rsa ed

m=$(e2e_marker)
send_outside "$SET/sign_folded.eml"
e2e_expect_reply DOT '250 ' "outside client: end of data 250"
delivered "outside client without AUTH"
expect_unsigned "outside client without AUTH"

m=$(e2e_marker)
sed 's/^From: .*/From: Carol <carol@example.org>/' "$SET/sign_blank.eml" >"$E2E_WORK/other.eml"
send_internal "$E2E_WORK/other.eml"
delivered "internal client, From: a domain without a key"
expect_unsigned "internal client, From: a domain without a key"

# --- 4. key rotation by reload ----------------------------------------------------------
sed -i "s|example.test:rsa:$KEYS/rsa.key|example.test:rsa2:$KEYS/rsa2.key|" "$KEYS/KeyTable"
if e2e_milter_reload; then
	e2e_ok "rotation: reload with the new key"
else
	e2e_not_ok "rotation: reload with the new key" "$(tail -n 5 "$E2E_MILTER_LOG")"
fi
m=$(e2e_marker)
send_internal "$SET/sign_folded.eml"
delivered "rotation"
expect_signed "rotation: the new selector signs" rsa2 ed

chmod 644 "$KEYS/ed.key"
if e2e_milter_reload; then
	e2e_not_ok "a key readable by others: reload refused" "reload ok"
else
	e2e_ok "a key readable by others: reload refused"
fi
e2e_expect_milter_log "$(e2e_re "$KEYS/ed.key") is readable by others" "a key readable by others: the log names the file"
m=$(e2e_marker)
send_internal "$SET/sign_folded.eml"
delivered "after the refused reload"
expect_signed "after the refused reload: the loaded keys sign on" rsa2 ed
chmod 600 "$KEYS/ed.key"

# --- 5. no key text in any log ---------------------------------------------------------
secret=$(sed -n 2p "$KEYS/rsa2.key")
e2e_check "no private key text in the milter log or the mail log" \
	test -n "$secret" -a "$(cat "$E2E_MILTER_LOG" "$E2E_MAILLOG" | grep -cF -- "$secret")" -eq 0

# --- 6. a key the service user cannot read: fine at start (read as
# root), but every reload would fail: the start says so ---------------
e2e_stop_milter
chown root "$KEYS/rsa2.key"
e2e_start_milter || e2e_finish
e2e_expect_milter_log "key file $(e2e_re "$KEYS/rsa2.key"): user $E2E_MILTER_USER cannot read it" \
	"a key only root can read: the start warns that reloads will fail"
chown "$E2E_MILTER_USER" "$KEYS/rsa2.key"

e2e_stop_milter
e2e_dns_stop
e2e_finish
