#!/bin/bash
#
# t_arc.sh - ARC (RFC 8617) through Postfix: chains made by python3-dkim's
# arc_sign from outside clients (XCLIENT, 192.0.2.0/24), sealer keys in the
# test DNS (unbound, see dns.sh and auth.sh); every delivered header block is
# parsed by authcheck.py, and every chain judged again by python3-dkim's
# arc_verify (and python3-authheaders) over the same DNS.
#   1. Verification (arc_sign = no): one hop (from IPv4 and IPv6 clients);
#      two hops, the 'list' between them rewriting the Subject and adding a
#      footer (AMS(1) broken: the oldest pass is 2); the body changed after
#      the last seal; the first hop's ARC-Authentication-Results changed; a
#      set missing its AMS. Our A-R says arc=pass (i=N) header.oldest-pass=K
#      smtp.remote-ip=... or arc=fail (why), and arc_verify agrees (pass or
#      not, and the oldest pass).
#   2. Sealing (arc_sign = yes; dkim_sign_domain/selector/key, then an
#      OpenDKIM KeyTable and arc_sign_key): no chain gets i=1 cv=none, a
#      passing chain i=3 cv=pass, a failing one i=3 cv=fail (whose seal
#      must cover its own set alone, RFC 8617 5.1.2); the AAR holds our
#      A-R's results; arc_verify and authheaders pass the delivered
#      message, as Postfix delivered it, for cv=none and cv=pass; our own
#      seal sent through again passes here; an Ed25519 seal passes here
#      (python3-dkim 1.1.4 knows rsa-sha256 only for ARC: no cross-check);
#      trusted clients are not sealed; a chain whose last seal says cv=fail
#      is not continued (test mode's trace says why; the live log has no
#      trace).
#   3. Trusted sealers (dmarc_verify = yes, From: dm.test with p=reject):
#      a forwarded message whose DKIM broke on the list and whose SPF
#      domain does not align fails DMARC here; with arc_trusted_sealers =
#      sealer1.test (whose AAR says dmarc=pass) it is delivered with
#      dmarc=fail (p=reject sp=reject dis=none override=arc:sealer1.test);
#      the same message with no sealer listed (or only one not in its
#      chain), a listed sealer whose AAR says dmarc=fail, an unlisted
#      sealer's chain, or a broken chain of a listed sealer: 550 5.7.1 at
#      end of data.
#
# Needs what t_auth_dkim.sh needs (auth.sh: auth_require) and python3-authres
# (exit 77 otherwise); python3-authheaders for its cross-check (skipped, with
# the reason, without it). python3-dkim's arc_sign seals with rsa-sha256
# only, so the sealers' keys are RSA-2048. python3-authheaders takes a
# dnsfunc, so it asks the test DNS through authcheck.py's; it judges a chain
# with python3-dkim's ARC class, so it is a second reading of the same
# verifier, not an independent one.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"
# shellcheck source=auth.sh
. "$(dirname "$0")/auth.sh"

# python3-dkim's arc_sign needs python3-authres (which it only suggests)
if ! "$PY" -c 'import dkim, authres' 2>/dev/null; then
	echo "e2e: skipped: $PY lacks authres for python3-dkim's arc_sign (apt-get install python3-authres)" >&2
	exit 77
fi

# arc_zones - (auth_setup's hook) the sealers' keys and zones, the From:
# domain with its DMARC record, and the zone of the keys portcullis seals with
# shellcheck disable=SC2317 # called through auth_setup
arc_zones() {
	local n key pub
	for n in 1 2 3 seal2; do
		openssl genrsa -traditional -out "$KEYS/$n.pem" 2048 2>/dev/null ||
			e2e_bail "openssl genrsa 2048 ($n)"
		chmod 600 "$KEYS/$n.pem"
	done
	for n in 1 2 3; do
		pub=$(openssl pkey -in "$KEYS/$n.pem" -pubout -outform DER | base64 -w0)
		AUTH_ZONES+=("$(e2e_dns_zone "sealer$n.test" <<EOF
arc$n._domainkey IN TXT $(txt_strings "v=DKIM1; k=rsa; p=$pub")
EOF
		)")
	done
	AUTH_ZONES+=("$(e2e_dns_zone dm.test <<EOF
dk._domainkey IN TXT $rsa_txt
_dmarc        IN TXT "v=DMARC1; p=reject"
mail          IN A   192.0.2.50
EOF
	)")
	pub=$(openssl pkey -in "$KEYS/seal2.pem" -pubout -outform DER | base64 -w0)
	AUTH_ZONES+=("$(e2e_dns_zone seal.test <<EOF
rsa._domainkey IN TXT $rsa_txt
s2._domainkey  IN TXT $(txt_strings "v=DKIM1; k=rsa; p=$pub")
ed._domainkey  IN TXT $ed_txt
EOF
	)")
	# portcullis reads its signing keys as $E2E_MILTER_USER, mode 0600
	for key in rsa.pem seal2.pem ed.pem; do
		install -m 600 -o "$E2E_MILTER_USER" "$KEYS/$key" "$KEYS/milter.$key"
	done
}

auth_setup arc_zones

for n in 1 2 3; do
	e2e_check "dns: sealer$n.test's key record" \
		grep -q "^TXT v=DKIM1; k=rsa; p=" <(e2e_dns_query "arc$n._domainkey.sealer$n.test" TXT)
done
e2e_check "dns: dm.test's DMARC record says p=reject" \
	test "$(e2e_dns_query _dmarc.dm.test TXT)" = "$(printf 'NOERROR\nTXT v=DMARC1; p=reject')"

AUTHHEADERS=yes
if ! "$PY" -c 'import authheaders' 2>/dev/null; then
	AUTHHEADERS="python3-authheaders is not installed for $PY (apt-get install python3-authheaders)"
fi

e2e_write_conf < <(printf '%s\n' "$base")
e2e_start_milter || e2e_finish
REMOTE=192.0.2.10 # the outside client: SPF passes for pass.spf.test

# --- the messages ---------------------------------------------------------------------

# original FILE - a message From: alice@dm.test (Subject: a new $m), DKIM-signed by dm.test
original() {
	m=$(e2e_marker)
	cat >"$1" <<EOF
From: Alice <alice@dm.test>
To: <list@sealer1.test>
Subject: $m
Date: $(LC_ALL=C date -R)
Message-ID: <$m@dm.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello,

this message is forwarded twice.
EOF
	if "$PY" "$AUTHCHECK" sign rsa-sha256 relaxed/relaxed dm.test dk "$KEYS/rsa.pem" \
		from:to:subject:date:message-id:mime-version:content-type <"$1" >"$1.tmp" 2>"$1.err"; then
		mv "$1.tmp" "$1"
	else
		e2e_not_ok "python3-dkim signs $1 as dm.test" "$(cat "$1.err")"
	fi
}

# hop FILE N RESULTS - sealerN.test receives FILE: its Authentication-Results
# (mx.sealerN.test; RESULTS) goes on top, then python3-dkim adds its ARC set
hop() {
	{
		printf 'Authentication-Results: mx.sealer%s.test; %s\n' "$2" "$3"
		cat "$1"
	} >"$1.ar"
	if "$PY" "$AUTHCHECK" arcsign "arc$2" "sealer$2.test" "$KEYS/$2.pem" "mx.sealer$2.test" \
		<"$1.ar" >"$1.tmp" 2>"$1.err"; then
		mv "$1.tmp" "$1"
	else
		e2e_not_ok "python3-dkim's arc_sign seals $1 as sealer$2.test" "$(cat "$1.err")"
	fi
	rm -f "$1.ar"
}

# list FILE - the mailing list: "[list] " before the Subject, a footer after the body
list() {
	sed -i 's/^Subject: /Subject: [list] /' "$1"
	printf -- '-- \nlist footer\n' >>"$1"
}

# the results the hops see and seal
R1="dkim=pass header.d=dm.test; spf=pass smtp.mailfrom=alice@dm.test; dmarc=pass header.from=dm.test"
R2="arc=pass; dkim=fail header.d=dm.test; spf=pass smtp.mailfrom=list-bounces@sealer1.test; dmarc=fail header.from=dm.test"

# one_hop FILE - original, sealed by sealer1
one_hop() {
	original "$1"
	hop "$1" 1 "$R1"
}

# two_hops FILE - one_hop, the list's changes, sealed by sealer2 (cv=pass)
two_hops() {
	one_hop "$1"
	list "$1"
	hop "$1" 2 "$R2"
}

# body_changed FILE - two_hops, then a word of the body changed (after the last seal)
body_changed() {
	two_hops "$1"
	sed -i 's/^this message is forwarded twice\.$/this message is forwarded thrice./' "$1"
}

# send_msg FILE [FROM] [ADDR] - send FILE from ADDR (XCLIENT; $REMOTE), MAIL FROM FROM (a@pass.spf.test)
send_msg() {
	e2e_swaks --from "${2:-a@pass.spf.test}" --to b@example.org --helo mail.spf.test \
		--xclient-addr "${3:-$REMOTE}" --xclient-name host.example --data "@$1"
}

# py_arc - python3-dkim's arc_verify on the delivered message ($F): "CV n=N oldest-pass=K"
py_arc() {
	"$PY" "$AUTHCHECK" arcverify "${F:-/dev/null}" 2>&1 | sed -n 's/^ARC //p'
}

# our_arc - our A-R's arc entry, without "AR 1 "
our_arc() {
	awk -v id="$ID" '$1 == "AR" && NF == 3 && tolower($3) == tolower(id) { ours = $2 }
		$1 == "AR" && $2 == ours && $3 ~ /^arc=/ { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' <<<"$H"
}

# expect_py_arc NAME CV N OLDEST - assert arc_verify says CV for the delivered message, N sets, oldest pass OLDEST
expect_py_arc() {
	local got
	got=$(py_arc)
	if [ "$got" = "$2 n=$3 oldest-pass=$4" ]; then
		e2e_ok "$1 ($got)"
	else
		e2e_not_ok "$1" "python3-dkim arc_verify: got '$got', want '$2 n=$3 oldest-pass=$4'" \
			"$("$PY" "$AUTHCHECK" arcverify "${F:-/dev/null}" 2>&1)"
	fi
}

# expect_agree NAME - assert our arc= verdict and python3-dkim's agree (pass, with the same
# instances and oldest pass, or both not pass)
expect_agree() {
	local ours py want
	ours=$(our_arc)
	py=$(py_arc)
	case $ours in
	"arc=pass (i="*) want="pass n=$(sed -n 's/^arc=pass (i=\([0-9]*\)).*/\1/p' <<<"$ours") oldest-pass=$(sed -n 's/.* header\.oldest-pass=\([0-9]*\).*/\1/p' <<<"$ours")" ;;
	arc=*) want=notpass ;;
	*) want="(no arc entry)" ;;
	esac
	if [ "$want" = "$py" ] || { [ "$want" = notpass ] && [ -n "$py" ] && [ "${py%% *}" != pass ]; }; then
		e2e_ok "$1 (portcullis: $ours; python3-dkim: $py)"
	else
		e2e_not_ok "$1" "portcullis: '${ours:-(none)}', python3-dkim: '$py'" \
			"$("$PY" "$AUTHCHECK" arcverify "${F:-/dev/null}" 2>&1)"
	fi
}

# expect_authheaders NAME WANT - assert python3-authheaders' arc= verdict on the delivered message
# is WANT (a regex; "ERROR" for it raising), or say why the cross-check is skipped
expect_authheaders() {
	local out got
	if [ "$AUTHHEADERS" != yes ]; then
		e2e_ok "$1 # skip: $AUTHHEADERS"
		return
	fi
	out=$("$PY" "$AUTHCHECK" authheaders "${F:-/dev/null}" 2>&1)
	got=$(sed -n 's/^ARC //p; s/^\(ERROR\) .*/\1/p' <<<"$out" | head -n 1)
	if [[ $got =~ ^($2)$ ]]; then
		e2e_ok "$1 ($(head -n 1 <<<"$out"))"
	else
		e2e_not_ok "$1" "python3-authheaders: got '${got:-nothing}', want '$2'" "$out"
	fi
}

# === 1. verification ==================================================================
reconf "verification: dkim_verify (the default), arc_sign = no" </dev/null

file=$E2E_WORK/msg.one
one_hop "$file"
e2e_check "one hop: the message carries one ARC set of sealer1.test" \
	test "$(grep -c '^ARC-Seal: i=1;' "$file")" -eq 1
send_msg "$file"
e2e_expect_reply DOT '250 ' "one hop: end of data 250"
e2e_expect_delivered "$m" "one hop: delivered"
parse "$m"
expect_line "one hop: A-R arc=pass (i=1) header.oldest-pass=1 smtp.remote-ip=$REMOTE" \
	"AR 1 arc=pass (i=1) header.oldest-pass=1 smtp.remote-ip=$REMOTE"
expect_line_re "one hop: dm.test's DKIM signature still passes" 'AR 1 dkim=pass header\.d=dm\.test header\.s=dk .*'
expect_py_arc "one hop: python3-dkim's arc_verify on the delivered message: pass" pass 1 1
expect_agree "one hop: portcullis and python3-dkim agree"
expect_authheaders "one hop: python3-authheaders says arc=pass" pass
expect_no_line_re "one hop: nothing sealed here (arc_sign = no)" 'AS 2 .*'

file=$E2E_WORK/msg.one6
one_hop "$file"
send_msg "$file" a@pass6.spf.test IPV6:2001:db8:1::10
e2e_expect_reply DOT '250 ' "one hop, IPv6 client: end of data 250"
e2e_expect_delivered "$m" "one hop, IPv6 client: delivered"
parse "$m"
expect_line "one hop, IPv6 client: A-R arc=pass (i=1) header.oldest-pass=1 smtp.remote-ip=2001:db8:1::10" \
	"AR 1 arc=pass (i=1) header.oldest-pass=1 smtp.remote-ip=2001:db8:1::10"

file=$E2E_WORK/msg.two
two_hops "$file"
e2e_check "two hops: AS(2) says cv=pass" grep -q '^ARC-Seal: i=2; cv=pass;' "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "two hops: end of data 250"
e2e_expect_delivered "$m" "two hops: delivered"
parse "$m"
expect_line "two hops: A-R arc=pass (i=2) header.oldest-pass=2 (the list broke AMS(1))" \
	"AR 1 arc=pass (i=2) header.oldest-pass=2 smtp.remote-ip=$REMOTE"
expect_line_re "two hops: dm.test's DKIM signature no longer passes" 'AR 1 dkim=fail \(.*\) header\.d=dm\.test .*'
expect_py_arc "two hops: python3-dkim's arc_verify: pass, oldest pass 2" pass 2 2
expect_agree "two hops: portcullis and python3-dkim agree"
expect_authheaders "two hops: python3-authheaders says arc=pass" pass

file=$E2E_WORK/msg.body
body_changed "$file"
e2e_check "body changed after the last seal: the body says thrice" grep -qx 'this message is forwarded thrice.' "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "body changed: end of data 250"
e2e_expect_delivered "$m" "body changed: delivered"
parse "$m"
expect_line "body changed: A-R arc=fail (AMS(2): body hash mismatch)" \
	"AR 1 arc=fail (ARC-Message-Signature: body hash mismatch (i=2)) smtp.remote-ip=$REMOTE"
expect_py_arc "body changed: python3-dkim's arc_verify: fail" fail 2 0
expect_agree "body changed: portcullis and python3-dkim agree"
expect_authheaders "body changed: python3-authheaders says arc=fail" fail

file=$E2E_WORK/msg.aar
two_hops "$file"
# within the AAR i=1 field only (the sealer's own A-R below it says the same)
awk '/^[^ \t]/ { aar = ($0 ~ /^ARC-Authentication-Results: i=1;/) }
	aar { sub(/dmarc=pass header\.from=dm\.test/, "dmarc=pass header.from=evil.test") } { print }' \
	"$file" >"$file.tmp" && mv "$file.tmp" "$file"
e2e_check "first hop's AAR changed: only AAR(1) names evil.test" \
	test "$(grep -c 'header\.from=evil\.test' "$file")-$(grep -A3 '^ARC-Authentication-Results: i=1;' "$file" | grep -c 'header\.from=evil\.test')" = 1-1
send_msg "$file"
e2e_expect_delivered "$m" "AAR(1) changed: delivered"
parse "$m"
expect_line "AAR(1) changed: A-R arc=fail (AS(2), which covers AAR(1), does not verify)" \
	"AR 1 arc=fail (ARC-Seal did not verify (i=2)) smtp.remote-ip=$REMOTE"
expect_py_arc "AAR(1) changed: python3-dkim's arc_verify: fail" fail 2 0
expect_agree "AAR(1) changed: portcullis and python3-dkim agree"
expect_authheaders "AAR(1) changed: python3-authheaders says arc=fail" fail

file=$E2E_WORK/msg.noams
two_hops "$file"
# ARC-Message-Signature i=1 with its folded lines out
awk '/^[^ \t]/ { skip = ($0 ~ /^ARC-Message-Signature: i=1;/) } !skip' "$file" >"$file.tmp" && mv "$file.tmp" "$file"
e2e_check "AMS(1) removed: no ARC-Message-Signature i=1" not_grep '^ARC-Message-Signature: i=1;' "$file"
send_msg "$file"
e2e_expect_delivered "$m" "AMS(1) removed: delivered"
parse "$m"
expect_line "AMS(1) removed: A-R arc=fail (incomplete ARC set (i=1))" \
	"AR 1 arc=fail (incomplete ARC set (i=1)) smtp.remote-ip=$REMOTE"
expect_agree "AMS(1) removed: portcullis and python3-dkim agree"

# === 2. sealing =======================================================================
# expect_set NAME I CV SEL - assert the delivered message has our set i=I: AS cv=CV d=seal.test
# s=SEL, AMS relaxed/relaxed over From (oversigned), AAR with our authserv-id and our A-R's results
expect_set() {
	local ar aar
	expect_line "$1: ARC-Seal i=$2 cv=$3 d=seal.test s=$4 a=rsa-sha256" "AS $2 cv=$3 d=seal.test s=$4 a=rsa-sha256"
	expect_line_re "$1: ARC-Message-Signature i=$2 d=seal.test s=$4 relaxed/relaxed, From oversigned" \
		"AMS $2 d=seal\\.test s=$4 a=rsa-sha256 c=relaxed/relaxed h=(.*:)?[Ff]rom:(.*:)?[Ff]rom(:.*)?"
	expect_line "$1: ARC-Authentication-Results i=$2 names $ID" "AAR $2 $ID"
	ar=$(awk -v id="$ID" '$1 == "AR" && NF == 3 && tolower($3) == tolower(id) { ours = $2 }
		$1 == "AR" && $2 == ours && NF > 2 && $3 != id { $1 = ""; $2 = ""; print }' <<<"$H")
	aar=$(awk -v i="$2" -v id="$ID" '$1 == "AAR" && $2 == i && $3 != id { $1 = ""; $2 = ""; print }' <<<"$H")
	if [ -n "$ar" ] && [ "$ar" = "$aar" ]; then
		e2e_ok "$1: AAR i=$2 holds the very results of our Authentication-Results"
	else
		e2e_not_ok "$1: AAR i=$2 holds the very results of our Authentication-Results" \
			"A-R:" "$ar" "AAR:" "$aar"
	fi
	e2e_check "$1: one set i=$2, the newest (no higher instance)" \
		test "$(awk -v i="$2" '($1 == "AS" || $1 == "AMS") && $2 + 0 >= i + 0 { c++ } END { print c + 0 }' <<<"$H")" -eq 2
}

# set_above NAME N - assert the ARC fields are N sets, newest on top: instances N N N ... 1 1 1, top down
set_above() {
	local order want="" i
	order=$(awk '$1 == "HDR" { arc = ($3 ~ /^ARC-/); next }
		arc && $1 ~ /^(AS|AMS|AAR)$/ { printf "%s%s", sep, $2; sep = " "; arc = 0 }' <<<"$H")
	for ((i = $2; i >= 1; i--)); do
		want="$want${want:+ }$i $i $i"
	done
	if [ "$order" = "$want" ]; then
		e2e_ok "$1: $2 sets, newest on top ($order)"
	else
		e2e_not_ok "$1: $2 sets, newest on top" "instances of the ARC fields, top down: $order" "want: $want"
	fi
}

reconf "sealing: arc_sign = yes, dkim_sign_domain/selector/key (seal.test, rsa)" <<EOF
arc_sign = yes
dkim_sign_domain = seal.test
dkim_sign_selector = rsa
dkim_sign_key = $KEYS/milter.rsa.pem
EOF

file=$E2E_WORK/msg.seal-none
original "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "no chain: end of data 250"
e2e_expect_delivered "$m" "no chain: delivered"
parse "$m"
expect_set "no chain" 1 none rsa
expect_no_line_re "no chain: our A-R has no arc= (none came in)" 'AR 1 arc=.*'
expect_py_arc "no chain: python3-dkim's arc_verify passes the delivered message" pass 1 1
expect_authheaders "no chain: python3-authheaders says arc=pass" pass
sealed=$E2E_WORK/sealed.by-us
"$PY" "$AUTHCHECK" unsink "$F" >"$sealed"
mv "$F" "$E2E_WORK/sealed.sink" # the same marker comes again below

file=$E2E_WORK/msg.seal-pass
two_hops "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "passing chain: end of data 250"
e2e_expect_delivered "$m" "passing chain: delivered"
parse "$m"
expect_line "passing chain: A-R arc=pass (i=2) header.oldest-pass=2" \
	"AR 1 arc=pass (i=2) header.oldest-pass=2 smtp.remote-ip=$REMOTE"
expect_set "passing chain" 3 pass rsa
expect_line "passing chain: AAR i=3 says arc=pass (i=2)" \
	"AAR 3 arc=pass (i=2) header.oldest-pass=2 smtp.remote-ip=$REMOTE"
set_above "passing chain" 3
expect_py_arc "passing chain: python3-dkim's arc_verify passes the delivered message (3 sets, oldest pass 2)" pass 3 2
expect_authheaders "passing chain: python3-authheaders says arc=pass" pass

file=$E2E_WORK/msg.seal-fail
body_changed "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "failing chain: end of data 250"
e2e_expect_delivered "$m" "failing chain: delivered"
parse "$m"
expect_set "failing chain" 3 fail rsa
set_above "failing chain" 3
e2e_check "failing chain: python3-dkim's arc_verify ends the chain at our cv=fail seal ($(py_arc))" \
	test "$(py_arc)" = "ended n=3 oldest-pass=0"
# (authheaders 0.15.2's check_arc calls .decode() on arc_verify's None for a
# chain that ended at a cv=fail seal, and raises AttributeError)
expect_authheaders "failing chain: python3-authheaders does not pass it" 'fail|ERROR'
# RFC 8617 5.1.2: the AS of a failed chain MUST sign only the set it adds, "as
# if this newest ARC Set was the only set present" (python3-dkim's arc_sign
# does, see the cv=fail chain below)
seals=$("$PY" "$AUTHCHECK" arcseals "$F" 2>&1)
if grep -qx 'AS 3 cv=fail chain=.* own=valid' <<<"$seals"; then
	e2e_ok "failing chain: our cv=fail seal covers its own set alone (RFC 8617 5.1.2)"
else
	e2e_not_ok "failing chain: our cv=fail seal covers its own set alone (RFC 8617 5.1.2)" \
		"want: AS 3 cv=fail ... own=valid; got (python3-dkim, each seal verified over" \
		"the sets 1..i (chain=) and over its own set alone (own=)):" "$seals"
fi

# our own seal, delivered by Postfix, comes in again from outside
send_msg "$sealed"
e2e_expect_reply DOT '250 ' "our seal again: end of data 250"
m=$(sed -n 's/^Subject: //p' "$sealed")
e2e_expect_delivered "$m" "our seal again: delivered"
parse "$m"
expect_line "our seal again: our verifier passes our own seal: arc=pass (i=1) header.oldest-pass=1" \
	"AR 1 arc=pass (i=1) header.oldest-pass=1 smtp.remote-ip=$REMOTE"
expect_set "our seal again" 2 pass rsa
expect_py_arc "our seal again: python3-dkim's arc_verify passes both our sets" pass 2 1
expect_authheaders "our seal again: python3-authheaders says arc=pass" pass

# trusted clients: no seal
file=$E2E_WORK/msg.trusted
two_hops "$file"
e2e_swaks --from a@dm.test --to b@example.org --helo mail.dm.test --data "@$file"
e2e_expect_reply DOT '250 ' "trusted client (127.0.0.1, internal_networks): end of data 250"
e2e_expect_delivered "$m" "trusted client: delivered"
parse "$m"
expect_no_line_re "trusted client: not sealed (no ARC set i=3)" '(AS|AMS|AAR) 3 .*'
expect_no_line_re "trusted client: no A-R of ours" "AR [0-9]+ $ID"
e2e_check "trusted client: the two sets it came with are there" test "$(count_re 'AS [12] .*')" -eq 2

# a chain whose last seal says cv=fail: not continued
file=$E2E_WORK/msg.ended
body_changed "$file"
hop "$file" 3 "arc=fail; dkim=fail header.d=dm.test; dmarc=fail header.from=dm.test"
e2e_check "cv=fail chain: sealer3.test's seal says cv=fail" grep -q '^ARC-Seal: i=3; cv=fail;' "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "cv=fail chain: end of data 250"
e2e_expect_delivered "$m" "cv=fail chain: delivered"
parse "$m"
expect_line "cv=fail chain: A-R arc=fail (the chain failed before (cv=fail) (i=3))" \
	"AR 1 arc=fail (the chain failed before (cv=fail) (i=3)) smtp.remote-ip=$REMOTE"
expect_no_line_re "cv=fail chain: not continued (no set i=4)" '(AS|AMS|AAR) 4 .*'
e2e_check "cv=fail chain: python3-dkim's arc_verify: the chain ended ($(py_arc))" test "$(py_arc)" = "ended n=3 oldest-pass=0"
seals=$("$PY" "$AUTHCHECK" arcseals "$F" 2>&1)
e2e_check "cv=fail chain: (the 5.1.2 check above, on python3-dkim's own cv=fail seal) it covers its own set alone" \
	grep -qx 'AS 3 cv=fail chain=invalid own=valid' <<<"$seals"
tm=$(timeout 30 "$PORTCULLIS" -c "$E2E_MILTER_CONF" -t --client-ip "$REMOTE" --helo mail.spf.test \
	--from a@pass.spf.test --rcpt b@example.org --message "$file" 2>&1)
if grep -qxF '  data arc_seal skip the chain cannot be continued (the chain failed before (cv=fail) (i=3))' <<<"$tm"; then
	e2e_ok "cv=fail chain: test mode's trace says why it is not sealed"
else
	e2e_not_ok "cv=fail chain: test mode's trace says why it is not sealed" "$tm"
fi
e2e_check "cv=fail chain: test mode adds no ARC field" not_grep '^  ARC-' <(printf '%s\n' "$tm")

# -- an OpenDKIM KeyTable, the sealing key named by arc_sign_key (not the table's first)
cat >"$KEYS/KeyTable" <<EOF
ed._domainkey.seal.test seal.test:ed:$KEYS/milter.ed.pem
s2._domainkey.seal.test seal.test:s2:$KEYS/milter.seal2.pem
EOF
# (a KeyTable needs a SigningTable: this one signs outgoing mail of seal.test)
printf '*@seal.test ed._domainkey.seal.test\n' >"$KEYS/SigningTable"
reconf "sealing: a KeyTable, arc_sign_key = s2._domainkey.seal.test" <<EOF
arc_sign = yes
dkim_key_table = $KEYS/KeyTable
dkim_signing_table = refile:$KEYS/SigningTable
arc_sign_key = s2._domainkey.seal.test
EOF
file=$E2E_WORK/msg.keytable
two_hops "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "KeyTable: end of data 250"
e2e_expect_delivered "$m" "KeyTable: delivered"
parse "$m"
expect_set "KeyTable" 3 pass s2
expect_py_arc "KeyTable: python3-dkim's arc_verify passes the delivered message" pass 3 2
expect_authheaders "KeyTable: python3-authheaders says arc=pass" pass

reconf "sealing: arc_sign_key = ed._domainkey.seal.test (Ed25519)" <<EOF
arc_sign = yes
dkim_key_table = $KEYS/KeyTable
dkim_signing_table = refile:$KEYS/SigningTable
arc_sign_key = ed._domainkey.seal.test
EOF
file=$E2E_WORK/msg.ed
two_hops "$file"
send_msg "$file"
e2e_expect_reply DOT '250 ' "Ed25519 seal: end of data 250"
e2e_expect_delivered "$m" "Ed25519 seal: delivered"
parse "$m"
expect_line "Ed25519 seal: ARC-Seal i=3 cv=pass d=seal.test s=ed a=ed25519-sha256" "AS 3 cv=pass d=seal.test s=ed a=ed25519-sha256"
expect_line_re "Ed25519 seal: ARC-Message-Signature i=3 a=ed25519-sha256" 'AMS 3 d=seal\.test s=ed a=ed25519-sha256 c=relaxed/relaxed h=.*'
# python3-dkim 1.1.4's ARC class knows rsa-sha256 only: no cross-check here
e2e_diag "python3-dkim on the Ed25519 seal: $("$PY" "$AUTHCHECK" arcverify "$F" | tr '\n' ' ')"
edsealed=$E2E_WORK/sealed.ed
"$PY" "$AUTHCHECK" unsink "$F" >"$edsealed"
mv "$F" "$E2E_WORK/sealed.ed.sink"
send_msg "$edsealed"
e2e_expect_delivered "$m" "Ed25519 seal again: delivered"
parse "$m"
expect_line "Ed25519 seal again: our verifier passes our Ed25519 seal (arc=pass (i=3) header.oldest-pass=2)" \
	"AR 1 arc=pass (i=3) header.oldest-pass=2 smtp.remote-ip=$REMOTE"
expect_line "Ed25519 seal again: sealed i=4 cv=pass" "AS 4 cv=pass d=seal.test s=ed a=ed25519-sha256"

# === 3. trusted sealers ===============================================================
# The forwarded message: From: alice@dm.test (p=reject), its DKIM signature
# broken by the list, MAIL FROM the list's bounce address (SPF passes for
# pass.spf.test, which does not align with dm.test): DMARC fails here.
# sealer1.test's AAR says dmarc=pass, sealer2.test's dmarc=fail.
LIST_FROM=list-bounces@pass.spf.test
DMARC_FAIL_AR="dmarc=fail (p=reject sp=reject dis=none override=arc:sealer1.test) header.from=dm.test"

reconf "trusted sealers: dmarc_verify = yes, arc_trusted_sealers = sealer1.test" <<'EOF'
dmarc_verify = yes
arc_trusted_sealers = sealer1.test
EOF
file=$E2E_WORK/msg.trusted-sealer
two_hops "$file"
send_msg "$file" "$LIST_FROM"
e2e_expect_reply DOT '250 ' "sealer1.test trusted: end of data 250 (the DMARC fail is not acted on)"
e2e_expect_delivered "$m" "sealer1.test trusted: delivered"
parse "$m"
expect_line "sealer1.test trusted: A-R $DMARC_FAIL_AR" "AR 1 $DMARC_FAIL_AR"
expect_line "sealer1.test trusted: A-R arc=pass (i=2)" \
	"AR 1 arc=pass (i=2) header.oldest-pass=2 smtp.remote-ip=$REMOTE"
expect_line_re "sealer1.test trusted: A-R dkim=fail for dm.test (the list broke it)" 'AR 1 dkim=fail \(.*\) header\.d=dm\.test .*'
expect_line "sealer1.test trusted: A-R spf=pass for the list's address" "AR 1 spf=pass smtp.mailfrom=$LIST_FROM"
expect_agree "sealer1.test trusted: python3-dkim agrees on the chain"
e2e_check "sealer1.test trusted: its AAR (i=1) says dmarc=pass" has 'AAR 1 dmarc=pass header.from=dm.test'
tm=$(timeout 30 "$PORTCULLIS" -c "$E2E_MILTER_CONF" -t --client-ip "$REMOTE" --helo mail.spf.test \
	--from "$LIST_FROM" --rcpt b@example.org --message "$file" 2>&1)
e2e_check "sealer1.test trusted: test mode's trace says why DMARC is not acted on" \
	grep -qxF '  data dmarc override not acted on: trusted ARC sealer sealer1.test saw dmarc=pass' <<<"$tm"
forwarded=$E2E_WORK/forwarded.eml
cp "$file" "$forwarded"
fwd_m=$m
mv "$F" "$E2E_WORK/forwarded.sink" # the same message comes again below

# expect_dmarc_reject NAME - assert the last message got 550 5.7.1 at end of data for dm.test, and was not delivered
expect_dmarc_reject() {
	e2e_expect_reply_is DOT '550 5.7.1 Email rejected per DMARC policy for dm.test' "$1: 550 5.7.1 at end of data"
	e2e_expect_not_delivered "$m" "$1: not delivered"
	e2e_expect_milter_log 'reject stage=data check=dmarc_reject ' "$1: portcullis logs the dmarc_reject"
}

reconf "trusted sealers: none listed" <<'EOF'
dmarc_verify = yes
EOF
m=$fwd_m
send_msg "$forwarded" "$LIST_FROM"
expect_dmarc_reject "the same message, no sealer listed"

reconf "trusted sealers: sealer2.test (its AAR says dmarc=fail)" <<'EOF'
dmarc_verify = yes
arc_trusted_sealers = sealer2.test
EOF
file=$E2E_WORK/msg.sealer2
two_hops "$file"
send_msg "$file" "$LIST_FROM"
expect_dmarc_reject "sealer2.test listed, whose AAR says dmarc=fail"

reconf "trusted sealers: sealer1.test again" <<'EOF'
dmarc_verify = yes
arc_trusted_sealers = sealer1.test
EOF
# an untrusted sealer (sealer3.test) whose AAR says dmarc=pass: the list, then its seal
file=$E2E_WORK/msg.untrusted
original "$file"
list "$file"
hop "$file" 3 "$R1"
send_msg "$file" "$LIST_FROM"
expect_dmarc_reject "an unlisted sealer's passing chain (sealer3.test, dmarc=pass)"

file=$E2E_WORK/msg.broken
body_changed "$file"
send_msg "$file" "$LIST_FROM"
expect_dmarc_reject "sealer1.test's chain, broken after the last seal"

reconf "trusted sealers: sealer3.test" <<'EOF'
dmarc_verify = yes
arc_trusted_sealers = sealer3.test
EOF
m=$fwd_m
send_msg "$forwarded" "$LIST_FROM"
expect_dmarc_reject "the same message, only sealer3.test (not in its chain) listed"

e2e_stop_milter
e2e_dns_stop
e2e_finish
