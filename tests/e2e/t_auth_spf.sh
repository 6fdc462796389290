#!/bin/bash
#
# t_auth_spf.sh - SPF through Postfix (XCLIENT clients in 192.0.2.0/24
# and 2001:db8::/32) against a real DNS server (unbound on 127.0.0.1
# serving SPF records, see dns.sh and auth.sh); every delivered header
# block is parsed by authcheck.py, not grepped. DKIM is t_auth_dkim.sh.
#   SPF, default actions: pass; fail (550 5.7.23 at RCPT with the exp=
#   text, equal to pyspf's explanation; postmaster@ still accepted);
#   softfail (tagged spf_mailfrom_softfail); neutral; none; permerror
#   (accepted); temperror on a timeout, an include: that times out and
#   SERVFAIL (451 4.4.3 within dns_timeout); a failing HELO (550
#   5.7.23 for HELO); the null sender judged by its HELO (Received-SPF
#   identity=helo, envelope-from postmaster@HELO), also when the HELO is
#   not a domain (none, RFC 7208 4.3); IPv6; an internal
#   client not checked (no headers). Then spf_mailfrom_permerror_action
#   = reject (550 5.7.24 naming the problem), spf_on_error = accept
#   (delivered, spf=temperror), auth_results = no (Received-SPF only).
#   One Authentication-Results (authserv-id = myhostname) and one
#   Received-SPF lead the delivered header, above Postfix's Received.
#   CROSS-CHECK: 34 cases (ip4, ip6, a, mx, include, redirect, exists,
#   exp=, none, NXDOMAIN, syntax, unknown mechanism, two records, the
#   10-lookup and 2-void limits, timeouts, SERVFAIL, HELO identities,
#   null senders) whose MAIL FROM result in Authentication-Results and
#   Received-SPF, and HELO result in Authentication-Results, equal
#   pyspf's (spf.check2 with dnspython pointed at the same unbound).
#
# Needs /usr/bin/python3 with python3-spf, python3-dkim, python3-dnspython
# and python3-nacl, opendkim and openssl (exit 77 otherwise).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"
# shellcheck source=auth.sh
. "$(dirname "$0")/auth.sh"

auth_setup

e2e_check "dns: pass.spf.test has its SPF record" \
	test "$(e2e_dns_query pass.spf.test TXT)" = "$(printf 'NOERROR\nTXT v=spf1 ip4:192.0.2.0/25 -all')"
e2e_check "dns: x.to.test gets no answer" test "$(e2e_dns_query x.to.test TXT)" = TIMEOUT
e2e_check "dns: x.sf.test answers SERVFAIL" test "$(e2e_dns_query x.sf.test TXT)" = SERVFAIL

e2e_write_conf < <(printf '%s\n' "$base")
e2e_start_milter || e2e_finish

# === 1. SPF for MAIL FROM, default actions ==========================================
limit=$TIMEOUT_MS
floor=$((TIMEOUT_MS - 100))

# pass: delivered, with one Authentication-Results and a Received-SPF at the top
send 192.0.2.10 a@pass.spf.test b@example.org
e2e_expect_reply RCPT '250 ' "spf pass: RCPT 250"
e2e_expect_delivered "$m" "spf pass: delivered"
parse "$m"
expect_top "spf pass: Authentication-Results and Received-SPF lead the header, above Postfix's Received"
e2e_check "spf pass: exactly one Authentication-Results" test "$(count_re 'HDR [0-9]+ Authentication-Results')" -eq 1
expect_line "spf pass: authserv-id is myhostname" "AR 1 $ID"
expect_line "spf pass: A-R spf=pass smtp.mailfrom" "AR 1 spf=pass smtp.mailfrom=a@pass.spf.test"
expect_line "spf pass: A-R spf=pass smtp.helo" "AR 1 spf=pass smtp.helo=mail.spf.test"
expect_line "spf pass: Received-SPF, every key as RFC 7208 9.1 orders them" \
	"RSPF pass client-ip=192.0.2.10 envelope-from=a@pass.spf.test helo=mail.spf.test receiver=$ID identity=mailfrom mechanism=ip4:192.0.2.0/25"
expect_no_line_re "spf pass: not tagged" 'HDR [0-9]+ X-Portcullis-Tag'
expect_no_line_re "spf pass: no dkim entry for an unsigned message" 'AR [0-9]+ dkim=.*'

# fail, with the domain's explanation; postmaster@ excepted
pyexp=$(printf '192.0.2.10 a@fail.spf.test mail.spf.test\n' | "$PY" "$AUTHCHECK" spf | cut -f2-)
send 192.0.2.10 a@fail.spf.test b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 '550 5.7.23 <a@fail.spf.test>: SPF fail: Mail from fail.spf.test must come from its own servers, not 192.0.2.10' \
	"spf fail: RCPT 550 5.7.23 with the exp= text, macros expanded"
e2e_check "spf fail: the explanation is pyspf's ('$pyexp')" \
	test "$(e2e_reply RCPT:1)" = "550 5.7.23 <a@fail.spf.test>: SPF fail: $pyexp"
e2e_expect_reply RCPT:2 '250 ' "spf fail: postmaster@ still accepted"
e2e_expect_delivered "$m" "spf fail: delivered to postmaster@ only"
parse "$m"
e2e_check "spf fail: the sink got postmaster@ only" test "$(grep '^X-Rcpt-Args:' "${F:-/dev/null}" | cut -d' ' -f2 | tr '\n' ' ')" = '<postmaster@example.org> '
expect_line "spf fail: A-R spf=fail" "AR 1 spf=fail smtp.mailfrom=a@fail.spf.test"
expect_line_re "spf fail: Received-SPF fail, mechanism -all" 'RSPF fail client-ip=192\.0\.2\.10 envelope-from=a@fail\.spf\.test .* identity=mailfrom mechanism=-all'
e2e_expect_milter_log 'reject stage=rcpt check=spf_mailfrom_fail .*to=<b@example\.org>' "spf fail: portcullis logs the reject"

send 192.0.2.10 a@fail2.spf.test b@example.org
e2e_expect_reply_is RCPT '550 5.7.23 <a@fail2.spf.test>: SPF fail' "spf fail without exp=: RCPT 550 5.7.23, no explanation"
e2e_expect_not_delivered "$m" "spf fail: not delivered"

# softfail: tagged
send 192.0.2.10 a@soft.spf.test b@example.org
e2e_expect_reply RCPT '250 ' "spf softfail: RCPT 250"
e2e_expect_delivered "$m" "spf softfail: delivered"
parse "$m"
expect_line "spf softfail: A-R spf=softfail" "AR 1 spf=softfail smtp.mailfrom=a@soft.spf.test"
expect_line_re "spf softfail: Received-SPF softfail" 'RSPF softfail .* identity=mailfrom mechanism=~all'
expect_tag "spf softfail: tagged" spf_mailfrom_softfail

# neutral, none: accepted as they are
send 192.0.2.10 a@neutral.spf.test b@example.org
e2e_expect_delivered "$m" "spf neutral: delivered"
parse "$m"
expect_line "spf neutral: A-R spf=neutral" "AR 1 spf=neutral smtp.mailfrom=a@neutral.spf.test"
expect_line_re "spf neutral: Received-SPF neutral" 'RSPF neutral .* identity=mailfrom mechanism=\?all'
expect_no_line_re "spf neutral: not tagged" 'HDR [0-9]+ X-Portcullis-Tag'

send 192.0.2.10 a@none.spf.test b@example.org
e2e_expect_delivered "$m" "spf none (a TXT that is no SPF record): delivered"
parse "$m"
expect_line "spf none: A-R spf=none" "AR 1 spf=none smtp.mailfrom=a@none.spf.test"
expect_line_re "spf none: Received-SPF none" 'RSPF none client-ip=192\.0\.2\.10 .* identity=mailfrom'
expect_no_line_re "spf none: not tagged" 'HDR [0-9]+ X-Portcullis-Tag'

# permerror: accepted by default
send 192.0.2.10 a@perm-mech.spf.test b@example.org
e2e_expect_reply RCPT '250 ' "spf permerror: RCPT 250 (accept by default)"
e2e_expect_delivered "$m" "spf permerror: delivered"
parse "$m"
expect_line "spf permerror: A-R spf=permerror" "AR 1 spf=permerror smtp.mailfrom=a@perm-mech.spf.test"
expect_line_re "spf permerror: Received-SPF permerror with a problem= naming the mechanism" \
	'RSPF permerror .* problem=[^ ].*frobnicate.* identity=mailfrom.*'

# temperror: a domain whose records time out, one that SERVFAILs
send 192.0.2.10 a@x.to.test b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 '451 4.4.3 SPF temporary error, try again later' "spf temperror (timeout): RCPT 451 4.4.3"
e2e_expect_reply RCPT:2 '250 ' "spf temperror (timeout): postmaster@ still accepted"
ms=$(($(lapse_ms MAIL) + $(lapse_ms RCPT)))
expect_within "spf temperror (timeout): MAIL to RCPT reply within dns_timeout" "$ms" "$limit"
expect_at_least "spf temperror (timeout): the session did wait for the DNS timeout" "$ms" "$floor"
e2e_check "spf temperror (timeout): the TXT query reached unbound, which dropped it" \
	test "$(e2e_dns_queries x.to.test TXT)" -ge 1
e2e_expect_milter_log 'tempfail stage=rcpt check=spf .*to=<b@example\.org>' "spf temperror: portcullis logs the tempfail"

send 192.0.2.10 a@temp-inc.spf.test b@example.org
e2e_expect_reply_is RCPT '451 4.4.3 SPF temporary error, try again later' "spf temperror (an include: that times out): RCPT 451 4.4.3"
expect_within "spf temperror (include: timeout): within dns_timeout" "$(($(lapse_ms MAIL) + $(lapse_ms RCPT)))" "$limit"

send 192.0.2.10 a@x.sf.test b@example.org
e2e_expect_reply_is RCPT '451 4.4.3 SPF temporary error, try again later' "spf temperror (SERVFAIL): RCPT 451 4.4.3"
expect_within "spf temperror (SERVFAIL): within dns_timeout" "$(($(lapse_ms MAIL) + $(lapse_ms RCPT)))" "$limit"
e2e_expect_not_delivered "$m" "spf temperror: not delivered"

# the HELO identity
HELO=badhelo.spf.test send 192.0.2.10 a@pass.spf.test b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 '550 5.7.23 <badhelo.spf.test>: SPF fail for HELO: HELO badhelo.spf.test is not a name of 192.0.2.10' \
	"spf helo fail: RCPT 550 5.7.23 with the HELO domain's explanation"
e2e_expect_reply RCPT:2 '250 ' "spf helo fail: postmaster@ still accepted"
e2e_expect_delivered "$m" "spf helo fail: delivered to postmaster@"
parse "$m"
expect_line "spf helo fail: A-R spf=pass for MAIL FROM" "AR 1 spf=pass smtp.mailfrom=a@pass.spf.test"
expect_line "spf helo fail: A-R spf=fail smtp.helo" "AR 1 spf=fail smtp.helo=badhelo.spf.test"
expect_line_re "spf helo fail: Received-SPF is for the MAIL FROM identity" 'RSPF pass .* identity=mailfrom .*'
e2e_expect_milter_log 'reject stage=rcpt check=spf_helo_fail ' "spf helo fail: portcullis logs check=spf_helo_fail"

# the null sender: judged by its HELO
HELO=badhelo.spf.test send 192.0.2.10 '<>' b@example.org
e2e_expect_reply_is RCPT '550 5.7.23 <badhelo.spf.test>: SPF fail for HELO: HELO badhelo.spf.test is not a name of 192.0.2.10' \
	"spf null sender, HELO fail: RCPT 550 5.7.23"
e2e_expect_not_delivered "$m" "spf null sender, HELO fail: not delivered"
send 192.0.2.10 '<>' b@example.org
e2e_expect_reply RCPT '250 ' "spf null sender, HELO pass: RCPT 250"
e2e_expect_delivered "$m" "spf null sender, HELO pass: delivered"
parse "$m"
expect_line "spf null sender: A-R spf=pass smtp.helo" "AR 1 spf=pass smtp.helo=mail.spf.test"
expect_no_line_re "spf null sender: no smtp.mailfrom entry" 'AR .* smtp\.mailfrom=.*'
expect_line "spf null sender: Received-SPF for postmaster@HELO, identity=helo" \
	"RSPF pass client-ip=192.0.2.10 envelope-from=postmaster@mail.spf.test helo=mail.spf.test receiver=$ID identity=helo mechanism=ip4:192.0.2.0/24"
# a HELO that is not a domain: none (RFC 7208 4.3, the suite's
# helo-not-fqdn and helo-domain-literal), said in both headers. Not in
# the cross-check: pyspf 2.0.14 asks for the name's TXT record before it
# checks that the name is a domain, and this DNS server refuses names
# outside its zones, so it says temperror (none with an NXDOMAIN).
HELO=nofqdn send 192.0.2.10 '<>' b@example.org
e2e_expect_delivered "$m" "spf null sender, HELO of one label: delivered"
parse "$m"
expect_line "spf null sender, HELO of one label: A-R spf=none smtp.helo" "AR 1 spf=none smtp.helo=nofqdn"
expect_line "spf null sender, HELO of one label: Received-SPF none, identity=helo" \
	"RSPF none client-ip=192.0.2.10 envelope-from=postmaster@nofqdn helo=nofqdn receiver=$ID identity=helo"
HELO='[192.0.2.10]' send 192.0.2.10 '<>' b@example.org
e2e_expect_delivered "$m" "spf null sender, HELO an address literal: delivered"
parse "$m"
expect_line "spf null sender, HELO an address literal: A-R spf=none smtp.helo" "AR 1 spf=none smtp.helo=[192.0.2.10]"
expect_line "spf null sender, HELO an address literal: Received-SPF none, identity=helo" \
	"RSPF none client-ip=192.0.2.10 envelope-from=postmaster@[192.0.2.10] helo=[192.0.2.10] receiver=$ID identity=helo"

# IPv6
send IPV6:2001:db8:1::5 a@pass6.spf.test b@example.org
e2e_expect_delivered "$m" "spf IPv6 pass: delivered"
parse "$m"
expect_line "spf IPv6: A-R spf=pass" "AR 1 spf=pass smtp.mailfrom=a@pass6.spf.test"
expect_line_re "spf IPv6: Received-SPF client-ip=2001:db8:1::5" 'RSPF pass client-ip=2001:db8:1::5 .* mechanism=ip6:2001:db8:1::/48'
send IPV6:2001:db8:2::5 a@pass6.spf.test b@example.org
e2e_expect_reply_is RCPT '550 5.7.23 <a@pass6.spf.test>: SPF fail' "spf IPv6 outside the ip6: range: RCPT 550"

# an internal client is not checked: no SPF, no headers
m=$(e2e_marker)
e2e_swaks --from a@fail.spf.test --to b@example.org --helo badhelo.spf.test --header "Subject: $m"
e2e_expect_reply RCPT '250 ' "internal client (127.0.0.1): a failing sender and HELO are not checked: RCPT 250"
e2e_expect_delivered "$m" "internal client: delivered"
parse "$m"
expect_no_line_re "internal client: no Authentication-Results, no Received-SPF" 'HDR [0-9]+ (Authentication-Results|Received-SPF)'

# === 2. SPF actions changed ===========================================================
reconf "spf_mailfrom_permerror_action = reject, spf_on_error = accept" <<'EOF'
spf_mailfrom_permerror_action = reject
spf_on_error = accept
EOF
send 192.0.2.10 a@perm-mech.spf.test b@example.org,postmaster@example.org
e2e_expect_reply RCPT:1 '550 5\.7\.24 <a@perm-mech\.spf\.test>: SPF permanent error: .*frobnicate' \
	"spf permerror, reject: RCPT 550 5.7.24 naming the problem"
e2e_expect_reply RCPT:2 '250 ' "spf permerror, reject: postmaster@ still accepted"
e2e_diag "reply: $(e2e_reply RCPT:1)"
send 192.0.2.10 a@perm-two.spf.test b@example.org
e2e_expect_reply RCPT '550 5\.7\.24 <a@perm-two\.spf\.test>: SPF permanent error: ' "spf permerror (two records), reject: RCPT 550 5.7.24"
send 192.0.2.10 a@x.to.test b@example.org
e2e_expect_reply RCPT '250 ' "spf temperror, spf_on_error = accept: RCPT 250"
e2e_expect_delivered "$m" "spf temperror, accept: delivered"
parse "$m"
expect_line "spf temperror, accept: A-R spf=temperror" "AR 1 spf=temperror smtp.mailfrom=a@x.to.test"
expect_line_re "spf temperror, accept: Received-SPF temperror" 'RSPF temperror client-ip=192\.0\.2\.10 envelope-from=a@x\.to\.test .*identity=mailfrom.*'

reconf "auth_results = no" <<'EOF'
auth_results = no
EOF
send 192.0.2.10 a@pass.spf.test b@example.org
e2e_expect_delivered "$m" "auth_results = no: delivered"
parse "$m"
expect_no_line_re "auth_results = no: no Authentication-Results" 'HDR [0-9]+ Authentication-Results'
expect_line_re "auth_results = no: the Received-SPF stays (spf_received_header)" 'RSPF pass client-ip=192\.0\.2\.10 .*identity=mailfrom.*'

# === 3. CROSS-CHECK: portcullis and pyspf on the same zones =========================
# Every action accept, so that every case is delivered with its headers.
reconf "every SPF action accept (cross-check)" <<'EOF'
spf_mailfrom_fail_action = accept
spf_mailfrom_softfail_action = accept
spf_mailfrom_permerror_action = accept
spf_helo_fail_action = accept
spf_helo_permerror_action = accept
spf_on_error = accept
EOF
# NAME IP SENDER HELO (SENDER <> is the null sender)
cases="pass            192.0.2.10    a@pass.spf.test         mail.spf.test
pass-outside    192.0.2.200   a@pass.spf.test         mail.spf.test
ip6             2001:db8:1::5 a@pass6.spf.test        mail.spf.test
ip6-outside     2001:db8:2::5 a@pass6.spf.test        mail.spf.test
a               192.0.2.20    a@amx.spf.test          mail.spf.test
mx              192.0.2.21    a@amx.spf.test          mail.spf.test
a-mx-neither    192.0.2.22    a@amx.spf.test          mail.spf.test
include         192.0.2.10    a@inc.spf.test          mail.spf.test
redirect        192.0.2.200   a@redir.spf.test        mail.spf.test
exists          192.0.2.30    a@exists.spf.test       mail.spf.test
exists-not      192.0.2.31    a@exists.spf.test       mail.spf.test
fail-exp        192.0.2.10    a@fail.spf.test         mail.spf.test
softfail        192.0.2.10    a@soft.spf.test         mail.spf.test
neutral         192.0.2.10    a@neutral.spf.test      mail.spf.test
none-txt        192.0.2.10    a@none.spf.test         mail.spf.test
none-nxdomain   192.0.2.10    a@nx.spf.test           mail.spf.test
perm-syntax     192.0.2.10    a@perm-syntax.spf.test  mail.spf.test
perm-mechanism  192.0.2.10    a@perm-mech.spf.test    mail.spf.test
perm-include    192.0.2.10    a@perm-inc.spf.test     mail.spf.test
perm-two        192.0.2.10    a@perm-two.spf.test     mail.spf.test
perm-10-lookups 192.0.2.10    a@perm-limit.spf.test   mail.spf.test
perm-2-voids    192.0.2.10    a@perm-void.spf.test    mail.spf.test
temp-timeout    192.0.2.10    a@x.to.test             mail.spf.test
temp-include    192.0.2.10    a@temp-inc.spf.test     mail.spf.test
temp-servfail   192.0.2.10    a@x.sf.test             mail.spf.test
temp-sf-include 192.0.2.10    a@temp-sf.spf.test      mail.spf.test
helo-fail       192.0.2.10    a@pass.spf.test         badhelo.spf.test
helo-softfail   192.0.2.10    a@pass.spf.test         softhelo.spf.test
helo-none       192.0.2.10    a@pass.spf.test         none.spf.test
helo-servfail   192.0.2.10    a@pass.spf.test         x.sf.test
null-pass       192.0.2.10    <>                      mail.spf.test
null-fail       192.0.2.10    <>                      badhelo.spf.test
null-softfail   192.0.2.10    <>                      softhelo.spf.test
null-none       192.0.2.10    <>                      none.spf.test"

declare -A marker
while read -r name ip sender helo; do
	addr=$ip
	[[ $ip == *:* ]] && addr=IPV6:$ip
	HELO=$helo send "$addr" "$sender" b@example.org
	marker[$name]=$m
done <<<"$cases"

# the identities pyspf is asked about: each case's MAIL FROM (postmaster@HELO
# for the null sender), then each non-null case's HELO
{
	awk '{ print $2, $3, $4 }' <<<"$cases"
	awk '$3 != "<>" { print $2, "postmaster@" $4, $4 }' <<<"$cases"
} >"$E2E_WORK/spf.rows"
"$PY" "$AUTHCHECK" spf <"$E2E_WORK/spf.rows" >"$E2E_WORK/spf.pyspf" 2>"$E2E_WORK/spf.pyspf.err"
mapfile -t py < <(cut -f1 "$E2E_WORK/spf.pyspf")
e2e_check "cross-check: pyspf answered every identity ($(wc -l <"$E2E_WORK/spf.rows") rows)" \
	test "${#py[@]}" -eq "$(wc -l <"$E2E_WORK/spf.rows")"

ncases=$(wc -l <<<"$cases")
table=("$(printf '%-16s %-14s %-24s %-18s | %-9s %-9s %-9s | %-9s %-9s' case ip sender helo \
	'mf:A-R' 'mf:R-SPF' 'mf:pyspf' 'helo:A-R' 'helo:pyspf')")
differ=()
i=0
j=$ncases
while read -r name ip sender helo; do
	e2e_wait "$E2E_DELIVERY_TIMEOUT" _e2e_has_sink_file "${marker[$name]}"
	parse "${marker[$name]}"
	if [ "$sender" = '<>' ]; then
		mf=$(ar_result spf "smtp.helo=$helo")
		he=-
		pyhe=-
	else
		mf=$(ar_result spf "smtp.mailfrom=$sender")
		he=$(ar_result spf "smtp.helo=$helo")
		pyhe=${py[j]}
		j=$((j + 1))
	fi
	rs=$(rspf_result)
	table+=("$(printf '%-16s %-14s %-24s %-18s | %-9s %-9s %-9s | %-9s %-9s' "$name" "$ip" "$sender" "$helo" \
		"${mf:-(none)}" "${rs:-(none)}" "${py[i]}" "${he:-(none)}" "$pyhe")")
	if [ -z "$mf" ] || [ "$mf" != "${py[i]}" ] || [ "$rs" != "${py[i]}" ] || [ "$he" != "$pyhe" ]; then
		differ+=("$name")
	fi
	e2e_check "cross-check $name: MAIL FROM identity: A-R '${mf:-(none)}' = Received-SPF '${rs:-(none)}' = pyspf '${py[i]}'" \
		test -n "$mf" -a "$mf" = "${py[i]}" -a "$rs" = "${py[i]}"
	[ "$sender" = '<>' ] ||
		e2e_check "cross-check $name: HELO identity: A-R '${he:-(none)}' = pyspf '$pyhe'" test "$he" = "$pyhe"
	i=$((i + 1))
done <<<"$cases"
printf '# %s\n' "${table[@]}"
e2e_check "cross-check: $ncases cases, every result the same as pyspf's${differ[*]:+ (differ: ${differ[*]})}" test ${#differ[@]} -eq 0
e2e_check "cross-check: the table covers pass, fail, softfail, neutral, none, permerror and temperror" \
	test "$(printf '%s\n' "${py[@]}" | sort -u | tr '\n' ' ')" = 'fail neutral none pass permerror softfail temperror '

e2e_stop_milter
e2e_check "portcullis never failed to add or delete a header" not_grep 'smfi_[a-z]+\(.*failed' "$E2E_MILTER_LOG"
e2e_dns_stop
e2e_finish
