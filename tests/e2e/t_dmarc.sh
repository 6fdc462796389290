#!/bin/bash
#
# t_dmarc.sh - DMARC through Postfix (XCLIENT clients in 192.0.2.0/24)
# against a real DNS server (unbound on 127.0.0.1 serving _dmarc
# records, SPF records and DKIM keys, see dns.sh); messages signed by
# python3-dkim; every delivered header block parsed by authcheck.py.
#   Default actions: pass by aligned SPF (relaxed) and by aligned DKIM
#   (d= a subdomain); p=reject refused at end of data with 550 5.7.1
#   naming the domain; p=quarantine held in Postfix's hold queue;
#   p=none delivered with dmarc=fail; no record: dmarc=none; the
#   _dmarc lookup timing out or SERVFAIL: 451 4.7.1 within dns_timeout
#   (on_error), delivered with dmarc=temperror under dmarc_on_error =
#   accept; two From: fields, a From: in two domains: 550 5.7.1
#   (dmarc_multi_from); no From: (Postfix adds one with the envelope
#   sender, which DMARC then judges); an internal client not judged;
#   dry run.
#   CROSS-CHECK: the same messages (every action accept, so that all
#   are delivered) judged by python3-authheaders (check_spf, check_dkim
#   and check_dmarc over dnspython pointed at the same unbound, see
#   dmarcjudge.py): the dmarc result of our Authentication-Results, its
#   header.from and, on a failure, its dis= equal authheaders' result,
#   header.from and policy, in 22 cases (SPF and DKIM, relaxed and
#   strict, a MAIL FROM domain in mixed case, subdomains, sp=, np=,
#   co.uk, the null sender); with dmarc_mode = rfc9989 and again with
#   rfc7489. authheaders implements RFC 7489 (the Public Suffix List),
#   so the domains are under real public suffixes (com, net, org,
#   co.uk: the zones are served by the test unbound only, nothing
#   leaves loopback) and no record sits where the two methods differ
#   (psd=, a record at a suffix); the unit suite check_session_dmarc
#   covers those.
#
# Needs /usr/bin/python3 with python3-spf, python3-dkim,
# python3-dnspython, python3-nacl and python3-authheaders, opendkim and
# openssl (exit 77 otherwise).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"
# shellcheck source=auth.sh
. "$(dirname "$0")/auth.sh"

JUDGE=$E2E_DIR/dmarcjudge.py
SPF='"v=spf1 ip4:192.0.2.0/24 -all"'

# dmarc_require - exit 77 unless python3-authheaders (and its public suffix list) is installed
dmarc_require() {
	if ! "$PY" -c 'import authheaders, publicsuffix2' 2>/dev/null ||
		[ ! -r /usr/share/publicsuffix/public_suffix_list.dat ]; then
		echo "e2e: skipped: $PY lacks authheaders (apt-get install python3-authheaders)" >&2
		exit 77
	fi
}

# dmarc_dns_start - unbound with the zones of this test (after auth_keys)
dmarc_dns_start() {
	local com net org uk
	com=$(e2e_dns_zone com <<EOF
example                         IN TXT  $SPF
bounce.example                  IN TXT  $SPF
_dmarc.example                  IN TXT  "v=DMARC1; p=reject"
news.example                    IN A    192.0.2.80
rsa._domainkey.example          IN TXT  $rsa_txt
rsa._domainkey.mail.example     IN TXT  $rsa_txt
_dmarc.quar.example             IN TXT  "v=DMARC1; p=quarantine"
_dmarc.none.example             IN TXT  "v=DMARC1; p=none"
_dmarc.strict.example           IN TXT  "v=DMARC1; p=reject; aspf=s; adkim=s"
strict.example                  IN TXT  $SPF
bounce.strict.example           IN TXT  $SPF
rsa._domainkey.strict.example   IN TXT  $rsa_txt
rsa._domainkey.mail.strict.example IN TXT $rsa_txt
EOF
	)
	net=$(e2e_dns_zone net <<EOF
_dmarc.example                  IN TXT  "v=DMARC1; p=none; sp=quarantine; np=reject"
live.example                    IN A    192.0.2.81
rsa._domainkey.example          IN TXT  $rsa_txt
EOF
	)
	# example.org: the envelope domain that passes SPF and aligns with nothing
	org=$(e2e_dns_zone org <<EOF
example                         IN TXT  $SPF
EOF
	)
	uk=$(e2e_dns_zone uk <<EOF
_dmarc.example.co               IN TXT  "v=DMARC1; p=reject"
bounce.example.co               IN TXT  $SPF
other.co                        IN TXT  $SPF
EOF
	)
	e2e_dns_start --drop to.test --servfail sf.test "$com" "$net" "$org" "$uk"
	export E2E_DNS_PORT # for authcheck.py and dmarcjudge.py
}

e2e_dns_require
auth_require
dmarc_require
e2e_setup
auth_keys
dmarc_dns_start
base="internal_networks = 127.0.0.0/8
myhostname = $ID
dns_servers = $E2E_DNS_SERVER
dns_timeout = ${TIMEOUT_MS}ms
dns_attempts = 2
spf_verify = yes
spf_helo = no
dmarc_verify = yes"

e2e_check "dns: _dmarc.example.com has its record" \
	test "$(e2e_dns_query _dmarc.example.com TXT)" = "$(printf 'NOERROR\nTXT v=DMARC1; p=reject')"
e2e_check "dns: _dmarc.com does not exist (the walk ends there)" \
	test "$(e2e_dns_query _dmarc.com TXT)" = NXDOMAIN
e2e_check "dns: _dmarc.co.uk does not exist" test "$(e2e_dns_query _dmarc.co.uk TXT)" = NXDOMAIN
e2e_check "dns: _dmarc.x.to.test gets no answer" test "$(e2e_dns_query _dmarc.x.to.test TXT)" = TIMEOUT
e2e_check "dns: _dmarc.sf.test answers SERVFAIL" test "$(e2e_dns_query _dmarc.sf.test TXT)" = SERVFAIL

e2e_write_conf < <(printf '%s\n' "$base")
e2e_start_milter || e2e_finish

# message FILE FROM... - write a message with these From: field values (none: no From:) to FILE; Subject: a new $m
message() {
	local file=$1 f
	shift
	m=$(e2e_marker)
	{
		for f in "$@"; do
			printf 'From: %s\n' "$f"
		done
		printf 'To: <b@example.org>\nSubject: %s\nDate: %s\nMessage-ID: <%s@example.com>\n' \
			"$m" "$(LC_ALL=C date -R)" "$m"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\nHello world.\n'
	} >"$file"
}

# sign DOMAIN FILE - sign FILE in place with python3-dkim, d=DOMAIN s=rsa, relaxed/relaxed
sign() {
	"$PY" "$AUTHCHECK" sign rsa-sha256 relaxed/relaxed "$1" rsa "$KEYS/rsa.pem" \
		from:to:subject:date:message-id <"$2" >"$2.signed" 2>"$2.err" && mv "$2.signed" "$2"
}

# dsend MAILFROM FILE [ADDR] - send FILE from ADDR (XCLIENT; 192.0.2.10), HELO $HELO (mail.example.org); MAILFROM <> is the null sender
dsend() {
	e2e_swaks --from "$1" --to b@example.org --helo "${HELO:-mail.example.org}" \
		--xclient-addr "${3:-192.0.2.10}" --xclient-name host.example --data "@$2" --show-time-lapse
}

# case_send NAME MAILFROM FROM [SIGNER] - a message From: Alice <alice@FROM>, signed by SIGNER ("-": none), sent
case_send() {
	file=$E2E_WORK/msg.$1
	message "$file" "Alice <alice@$3>"
	if [ -n "${4:-}" ] && [ "$4" != - ]; then
		sign "$4" "$file" || e2e_not_ok "$1: signed by $4" "$(cat "$file.err")"
	fi
	dsend "$2" "$file"
}

# dmarc_entry - our A-R's dmarc entry ("dmarc=RESULT (...) header.from=D"), "" if none
dmarc_entry() {
	awk -v id="$ID" '$1 == "AR" && NF == 3 && tolower($3) == tolower(id) { ours = $2 }
		$1 == "AR" && $2 == ours && $3 ~ /^dmarc=/ { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' <<<"$H"
}

# expect_dmarc NAME ENTRY - assert our A-R's dmarc entry is exactly ENTRY
expect_dmarc() {
	local got
	got=$(dmarc_entry)
	if [ "$got" = "$2" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "got '$got', want '$2'" "$H"
	fi
}

# held QID - true if message QID is in Postfix's hold queue
# shellcheck disable=SC2317 # called through e2e_check
held() {
	[ -n "$1" ] && postqueue -c "$E2E_CONF" -j 2>/dev/null |
		grep -E "\"queue_id\": *\"$1\"" | grep -qE '"queue_name": *"hold"'
}

limit=$TIMEOUT_MS
floor=$((TIMEOUT_MS - 100))

# === 1. DMARC, default actions =====================================================

case_send pass-spf a@bounce.example.com example.com
e2e_expect_reply DOT '250 ' "pass, SPF aligned (relaxed): end of data 250"
e2e_expect_delivered "$m" "pass, SPF aligned: delivered"
parse "$m"
expect_line "pass, SPF aligned: A-R spf=pass" "AR 1 spf=pass smtp.mailfrom=a@bounce.example.com"
expect_dmarc "pass, SPF aligned: A-R dmarc=pass header.from=example.com" \
	"dmarc=pass (p=reject sp=reject) header.from=example.com"
e2e_check "pass, SPF aligned: the MAIL FROM domain's walk was asked" \
	test "$(e2e_dns_queries _dmarc.bounce.example.com TXT)" -ge 1

case_send pass-dkim a@example.org example.com mail.example.com
e2e_expect_reply DOT '250 ' "pass, DKIM aligned (d=mail.example.com): end of data 250"
e2e_expect_delivered "$m" "pass, DKIM aligned: delivered"
parse "$m"
expect_line_re "pass, DKIM aligned: A-R dkim=pass header.d=mail.example.com" \
	'AR 1 dkim=pass header\.d=mail\.example\.com header\.s=rsa header\.a=rsa-sha256 header\.b=[^ ]+'
expect_dmarc "pass, DKIM aligned: A-R dmarc=pass" "dmarc=pass (p=reject sp=reject) header.from=example.com"

case_send reject a@example.org example.com
e2e_expect_reply_is DOT '550 5.7.1 Email rejected per DMARC policy for example.com' \
	"p=reject, nothing aligned: end of data 550 5.7.1 naming the domain"
e2e_expect_not_delivered "$m" "p=reject: not delivered"
e2e_expect_milter_log 'reject stage=data check=dmarc_reject ' "p=reject: portcullis logs check=dmarc_reject"

case_send quarantine a@example.org quar.example.com
e2e_expect_reply DOT '250 2\.0\.0 Ok: queued as [0-9A-F]+$' "p=quarantine: end of data 250"
e2e_expect_not_delivered "$m" "p=quarantine: not delivered"
qid=$(e2e_reply DOT | sed -n 's/^250 2\.0\.0 Ok: queued as \([0-9A-F]*\)$/\1/p')
e2e_expect_milter_log "^portcullis: $qid: quarantine stage=data check=dmarc_quarantine " \
	"p=quarantine: portcullis logs quarantine under the queue ID"
e2e_expect_maillog "$qid: milter-hold: END-OF-MESSAGE from .*: milter triggers HOLD action" \
	"p=quarantine: Postfix logs milter-hold"
e2e_check "p=quarantine: $qid is in the hold queue" held "$qid"

case_send none a@example.org none.example.com
e2e_expect_reply DOT '250 ' "p=none: end of data 250"
e2e_expect_delivered "$m" "p=none: delivered"
parse "$m"
expect_dmarc "p=none: A-R dmarc=fail (p=none sp=none dis=none)" \
	"dmarc=fail (p=none sp=none dis=none) header.from=none.example.com"
expect_no_line_re "p=none: not tagged" 'HDR [0-9]+ X-Portcullis-Tag'

case_send no-record a@example.org example.org
e2e_expect_delivered "$m" "no record: delivered"
parse "$m"
expect_dmarc "no record: A-R dmarc=none" "dmarc=none header.from=example.org"

# the policy lookup fails: on_error (tempfail)
case_send timeout a@example.org x.to.test
e2e_expect_reply_is DOT '451 4.7.1 DMARC policy lookup failed' "_dmarc times out: end of data 451 4.7.1 (on_error = tempfail)"
expect_within "_dmarc times out: end-of-data reply within dns_timeout" "$(lapse_ms .)" "$limit"
expect_at_least "_dmarc times out: the end of data did wait for the DNS timeout" "$(lapse_ms .)" "$floor"
e2e_check "_dmarc times out: the query reached unbound, which dropped it" \
	test "$(e2e_dns_queries _dmarc.x.to.test TXT)" -ge 1
e2e_expect_not_delivered "$m" "_dmarc times out: not delivered"
e2e_expect_milter_log 'tempfail stage=data check=dmarc ' "_dmarc times out: portcullis logs the tempfail"

case_send servfail a@example.org sf.test
e2e_expect_reply_is DOT '451 4.7.1 DMARC policy lookup failed' "_dmarc SERVFAIL: end of data 451 4.7.1"
expect_within "_dmarc SERVFAIL: within dns_timeout" "$(lapse_ms .)" "$limit"

reconf "dmarc_on_error = accept" <<'EOF'
dmarc_on_error = accept
EOF
case_send timeout-accept a@example.org y.to.test
e2e_expect_reply DOT '250 ' "_dmarc times out, dmarc_on_error = accept: end of data 250"
e2e_expect_delivered "$m" "_dmarc times out, accept: delivered"
parse "$m"
expect_dmarc "_dmarc times out, accept: A-R dmarc=temperror" "dmarc=temperror header.from=y.to.test"

# From: fields DMARC cannot judge
reconf "default DMARC actions" </dev/null
file=$E2E_WORK/msg.two-from
message "$file" "Alice <alice@example.com>" "Mallory <m@example.com>"
dsend a@bounce.example.com "$file"
e2e_expect_reply_is DOT '550 5.7.1 One From: address in one domain is required' \
	"two From: fields: end of data 550 5.7.1 (dmarc_multi_from)"
e2e_expect_not_delivered "$m" "two From: fields: not delivered"
e2e_expect_milter_log 'reject stage=data check=dmarc_multi_from ' "two From: fields: portcullis logs check=dmarc_multi_from"

file=$E2E_WORK/msg.two-domains
message "$file" "alice@example.com, mallory@example.org"
dsend a@bounce.example.com "$file"
e2e_expect_reply_is DOT '550 5.7.1 One From: address in one domain is required' \
	"a From: in two domains: end of data 550 5.7.1"
e2e_expect_not_delivered "$m" "a From: in two domains: not delivered"

# no From: at all: Postfix (3.7, in this rig) adds a From: with the
# envelope sender before the milters see the header, so DMARC judges
# that domain, and dmarc_multi_from never sees this case
file=$E2E_WORK/msg.no-from
message "$file"
dsend a@bounce.example.com "$file"
e2e_expect_reply DOT '250 ' "no From:: end of data 250"
e2e_expect_delivered "$m" "no From:: delivered"
parse "$m"
expect_line_re "no From:: the delivered message has Postfix's From: field" 'HDR [0-9]+ From'
e2e_check "no From:: Postfix's From: is the envelope sender" \
	grep -qx 'From: a@bounce.example.com' <<<"$(e2e_sink_headers "${F:-/dev/null}")"
expect_dmarc "no From:: DMARC judged the envelope sender's domain" \
	"dmarc=pass (p=reject sp=reject) header.from=bounce.example.com"

file=$E2E_WORK/msg.one-domain
message "$file" "alice@example.com, bob@Example.COM"
dsend a@bounce.example.com "$file"
e2e_expect_delivered "$m" "a From: with two addresses in one domain: judged, delivered"
parse "$m"
expect_dmarc "a From: with two addresses in one domain: dmarc=pass" \
	"dmarc=pass (p=reject sp=reject) header.from=example.com"

# an internal client is not judged: no lookup, no header
e2e_dns_mark
file=$E2E_WORK/msg.internal
message "$file" "Alice <alice@fresh.example.com>"
e2e_swaks --from a@example.org --to b@example.org --helo mail.example.org --data "@$file"
e2e_expect_delivered "$m" "internal client (127.0.0.1): delivered"
parse "$m"
expect_no_line_re "internal client: no Authentication-Results" 'HDR [0-9]+ Authentication-Results'
e2e_check "internal client: its From: domain was never looked up" \
	test "$(e2e_dns_queries _dmarc.fresh.example.com)" -eq 0

# dry run
reconf "dry_run = dmarc_reject" <<'EOF'
dry_run = dmarc_reject
EOF
case_send dry-run a@example.org example.com
e2e_expect_reply DOT '250 ' "dry run of dmarc_reject: end of data 250"
e2e_expect_delivered "$m" "dry run: delivered"
e2e_expect_milter_log 'dry-run reject stage=data check=dmarc_reject ' "dry run: portcullis logs the dry-run reject"
parse "$m"
expect_dmarc "dry run: A-R dmarc=fail (dis=reject)" \
	"dmarc=fail (p=reject sp=reject dis=reject) header.from=example.com"

# === 2. CROSS-CHECK: portcullis and python3-authheaders on the same messages ====
# NAME MAILFROM FROM SIGNER ("-": unsigned); the null sender's identity is its HELO
cases="spf-relaxed     a@bounce.example.com         example.com        -
spf-same        a@example.com                example.com        -
spf-upper-case  a@BOUNCE.Example.COM         example.com        -
dkim-relaxed    a@example.org                example.com        mail.example.com
dkim-same       a@example.org                example.com        example.com
dkim-other      a@example.org                example.com        example.net
nothing         a@example.org                example.com        -
sub-inherits    a@example.org                news.example.com   -
sub-relaxed     a@bounce.example.com         news.example.com   -
quarantine      a@example.org                quar.example.com   -
quar-relaxed    a@bounce.example.com         quar.example.com   -
none-policy     a@example.org                none.example.com   -
aspf-strict     a@bounce.strict.example.com  strict.example.com -
aspf-same       a@strict.example.com         strict.example.com -
adkim-strict    a@example.org                strict.example.com mail.strict.example.com
adkim-same      a@example.org                strict.example.com strict.example.com
np-nonexistent  a@example.org                ghost.example.net  -
sp-existing     a@example.org                live.example.net   -
no-record       a@example.org                example.org        -
psl-relaxed     a@bounce.example.co.uk       a.b.example.co.uk  -
psl-other       a@other.co.uk                a.b.example.co.uk  -
null-sender     <>                           example.com        -"

# cross_check MODE - send every case under dmarc_mode MODE (every action accept), then compare with authheaders
cross_check() {
	local mode=$1 name sender from signer helo ours got res pol hfrom dis rows differ=() n=0
	local -A marker
	local -a table
	reconf "dmarc_mode = $mode, every DMARC action accept (cross-check)" <<EOF
dmarc_mode = $mode
dmarc_reject_action = accept
dmarc_quarantine_action = accept
EOF
	while read -r name sender from signer; do
		helo=mail.example.org
		[ "$sender" = '<>' ] && helo=bounce.example.com
		HELO=$helo case_send "$mode.$name" "$sender" "$from" "$signer"
		marker[$name]=$m
	done <<<"$cases"
	rows=$E2E_WORK/judge.$mode.rows
	: >"$rows"
	while read -r name sender from signer; do
		e2e_wait "$E2E_DELIVERY_TIMEOUT" _e2e_has_sink_file "${marker[$name]}"
		F=$(e2e_sink_file "${marker[$name]}" | head -n 1)
		helo=mail.example.org
		[ "$sender" = '<>' ] && helo=bounce.example.com
		printf '%s %s 192.0.2.10 %s %s\n' "$name" "${F:-/dev/null}" "$sender" "$helo" >>"$rows"
	done <<<"$cases"
	"$PY" "$JUDGE" <"$rows" >"$rows.out" 2>"$rows.err"
	e2e_check "cross-check $mode: authheaders judged every message ($(wc -l <"$rows") rows)" \
		test "$(grep -c . "$rows.out")" -eq "$(wc -l <"$rows")"
	table=("$(printf '%-15s %-28s %-19s %-24s | %-60s | %s' case mail-from from signer 'portcullis A-R' 'authheaders')")
	while read -r name sender from signer; do
		parse "${marker[$name]}"
		ours=$(dmarc_entry)
		IFS=$'\t' read -r _ res pol hfrom _ _ < <(grep -P "^\Q$name\E\t" "$rows.out")
		got=${ours%% *}
		got=${got#dmarc=}
		dis=$(sed -n 's/.* dis=\([a-z]*\)).*/\1/p' <<<"$ours")
		table+=("$(printf '%-15s %-28s %-19s %-24s | %-60s | %s %s %s' "$name" "$sender" "$from" "$signer" \
			"${ours:-(none)}" "${res:-?}" "${pol:--}" "${hfrom:--}")")
		n=$((n + 1))
		# the result; header.from unless none; on a fail, the policy authheaders applies is our dis=
		if [ -z "$got" ] || [ "$got" != "$res" ] ||
			{ [ "$res" != none ] && [ "$ours" = "${ours% header.from="$hfrom"}" ]; } ||
			{ [ "$res" = fail ] && [ "$dis" != "$pol" ]; }; then
			differ+=("$name")
			e2e_not_ok "cross-check $mode $name: portcullis '${ours:-(none)}', authheaders '$res $pol $hfrom'"
		else
			e2e_ok "cross-check $mode $name: dmarc=$got${dis:+ dis=$dis} header.from=$hfrom, as authheaders says"
		fi
	done <<<"$cases"
	printf '# %s\n' "${table[@]}"
	e2e_check "cross-check $mode: $n cases, every verdict the same as authheaders'${differ[*]:+ (differ: ${differ[*]})}" \
		test ${#differ[@]} -eq 0
	e2e_check "cross-check $mode: the table covers pass, fail and none" \
		test "$(cut -f2 "$rows.out" | sort -u | tr '\n' ' ')" = 'fail none pass '
}

cross_check rfc9989
cross_check rfc7489

e2e_stop_milter
e2e_check "portcullis never failed to add or delete a header" not_grep 'smfi_[a-z]+\(.*failed' "$E2E_MILTER_LOG"
e2e_dns_stop
e2e_finish
