# shellcheck shell=bash
#
# auth.sh - what the sender authentication tests (t_auth_spf.sh,
# t_auth_dkim.sh, t_arc.sh) share: keys, zones, the config, sending, and
# the parsed header block of a delivered message
#
# Sourced after lib.sh and dns.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/dns.sh"
#   . "$(dirname "$0")/auth.sh"
#   auth_setup
#   e2e_write_conf < <(printf '%s\n' "$base")
#   e2e_start_milter || e2e_finish
#   send 192.0.2.10 a@pass.spf.test b@example.org
#   e2e_expect_delivered "$m" "spf pass: delivered"
#   parse "$m"
#   expect_line "spf pass: A-R spf=pass" "AR 1 spf=pass smtp.mailfrom=a@pass.spf.test"
#
# Clients are XCLIENT claims in 192.0.2.0/24 and 2001:db8::/32; every
# delivered header block is parsed by authcheck.py, not grepped.
#
#   auth_require     exit 77 unless /usr/bin/python3 has python3-spf,
#                    python3-dkim, python3-dnspython and python3-nacl, and
#                    opendkim and openssl are installed
#   auth_keys        RSA-2048 and Ed25519 keys in $KEYS; $rsa_pub, $ed_pub,
#                    and their key records $rsa_txt, $ed_txt
#   auth_dns_start   unbound serving spf.test, dk.test (keys rsa, sha1, ed)
#                    and odk.test (odk-rsa, odk-ed, odk-eds), and the zone
#                    files in AUTH_ZONES; to.test dropped, sf.test SERVFAIL
#   auth_setup [HOOK]
#                    the checks, e2e_setup, the keys and unbound; $base,
#                    the config every test starts from; HOOK, a function
#                    run after the keys and before unbound starts, may add
#                    zone files of its own to AUTH_ZONES
#   reconf NAME      $base plus the lines on stdin, reloaded
#   send, send_data  one session from an XCLIENT address; Subject: $m
#   (reply times: lapse_ms, expect_within, expect_at_least in mail.sh)
#   parse, has, has_re, count_re, expect_line, expect_line_re,
#   expect_no_line_re, ar_result, rspf_result, expect_top, expect_tag
#                    the parsed header block of a delivered message ($H)
#   not_grep         true if no line of a file matches

PY=/usr/bin/python3 # Debian's python3: the one python3-spf and python3-dkim install into
AUTH_ZONES=()       # more zone files for auth_dns_start (see auth_setup)
AUTHCHECK=$E2E_DIR/authcheck.py
TIMEOUT_MS=800 # dns_timeout; unbound drops to.test, so lookups there time out
ID=mx.e2e.portcullis.test
# shellcheck disable=SC2034 # limit and floor: for the tests
limit=$TIMEOUT_MS # a temperror comes within dns_timeout (expect_within adds a slack)
# shellcheck disable=SC2034
floor=$((TIMEOUT_MS - 100)) # and not before dns_timeout

# auth_require - exit 77 unless the independent verifiers and signers are installed
auth_require() {
	local cmd
	if ! "$PY" -c 'import spf, dkim, dns.resolver, nacl' 2>/dev/null; then
		echo "e2e: skipped: $PY lacks spf/dkim/dns/nacl (apt-get install python3-spf python3-dkim python3-dnspython python3-nacl)" >&2
		exit 77
	fi
	for cmd in opendkim openssl; do
		if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
			echo "e2e: skipped: '$cmd' not found (apt-get install opendkim openssl)" >&2
			exit 77
		fi
	done
}

# txt_strings TEXT - TEXT as a TXT record's quoted strings of at most 200 bytes
txt_strings() {
	local text=$1 out=""
	while [ -n "$text" ]; do
		out="$out \"${text:0:200}\""
		text=${text:200}
	done
	printf '%s\n' "${out# }"
}

# auth_keys - RSA-2048 and Ed25519 keys in $KEYS, and their public halves
auth_keys() {
	KEYS=$E2E_WORK/keys
	mkdir -p "$KEYS"
	# RSA-2048 as PKCS#1 PEM (python3-dkim wants that; opendkim takes it too);
	# Ed25519 as PKCS#8 PEM (opendkim) and its raw seed in base64 (python3-dkim).
	openssl genrsa -traditional -out "$KEYS/rsa.pem" 2048 2>/dev/null ||
		e2e_bail "openssl genrsa 2048"
	openssl genpkey -algorithm ed25519 -out "$KEYS/ed.pem" 2>/dev/null ||
		e2e_bail "openssl genpkey ed25519"
	openssl pkey -in "$KEYS/ed.pem" -outform DER | tail -c 32 | base64 -w0 >"$KEYS/ed.seed"
	rsa_pub=$(openssl pkey -in "$KEYS/rsa.pem" -pubout -outform DER | base64 -w0)
	ed_pub=$(openssl pkey -in "$KEYS/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
	chmod 600 "$KEYS"/*
	rsa_txt=$(txt_strings "v=DKIM1; k=rsa; p=$rsa_pub")
	ed_txt="\"v=DKIM1; k=ed25519; p=$ed_pub\""
}

# auth_dns_start - unbound with the SPF records and DKIM keys (after auth_keys)
auth_dns_start() {
	local spf dk odk
	spf=$(e2e_dns_zone spf.test <<EOF
mail          IN A    192.0.2.10
mail          IN TXT  "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
badhelo       IN TXT  "v=spf1 ip4:198.51.100.0/24 -all exp=helo-exp.spf.test"
helo-exp      IN TXT  "HELO %{h} is not a name of %{i}"
softhelo      IN TXT  "v=spf1 ~all"
pass          IN TXT  "v=spf1 ip4:192.0.2.0/25 -all"
pass6         IN TXT  "v=spf1 ip6:2001:db8:1::/48 -all"
amx           IN TXT  "v=spf1 a mx -all"
amx           IN A    192.0.2.20
amx           IN MX   10 mx1.amx.spf.test.
mx1.amx       IN A    192.0.2.21
inc           IN TXT  "v=spf1 include:pass.spf.test -all"
redir         IN TXT  "v=spf1 redirect=pass.spf.test"
exists        IN TXT  "v=spf1 exists:%{ir}.ok.spf.test -all"
30.2.0.192.ok IN A    127.0.0.2
fail          IN TXT  "v=spf1 ip4:198.51.100.0/24 -all exp=explain.spf.test"
explain       IN TXT  "Mail from %{d} must come from its own servers, not %{i}"
fail2         IN TXT  "v=spf1 -all"
soft          IN TXT  "v=spf1 ip4:198.51.100.0/24 ~all"
neutral       IN TXT  "v=spf1 ?all"
none          IN A    192.0.2.99
none          IN TXT  "site-verification=0123456789"
perm-syntax   IN TXT  "v=spf1 ip4:192.0.2.0/33 -all"
perm-mech     IN TXT  "v=spf1 frobnicate -all"
perm-inc      IN TXT  "v=spf1 include:none.spf.test -all"
perm-two      IN TXT  "v=spf1 -all"
perm-two      IN TXT  "v=spf1 +all"
perm-limit    IN TXT  "v=spf1 a:l1.spf.test a:l2.spf.test a:l3.spf.test a:l4.spf.test a:l5.spf.test a:l6.spf.test a:l7.spf.test a:l8.spf.test a:l9.spf.test a:l10.spf.test a:l11.spf.test -all"
$(for i in 1 2 3 4 5 6 7 8 9 10 11; do printf 'l%s IN A 198.51.100.%s\n' "$i" "$i"; done)
perm-void     IN TXT  "v=spf1 a:v1.spf.test a:v2.spf.test a:v3.spf.test -all"
temp-inc      IN TXT  "v=spf1 include:x.to.test -all"
temp-sf       IN TXT  "v=spf1 include:x.sf.test -all"
EOF
	)
	dk=$(e2e_dns_zone dk.test <<EOF
rsa._domainkey  IN TXT  $rsa_txt
sha1._domainkey IN TXT  $rsa_txt
ed._domainkey   IN TXT  $ed_txt
EOF
	)
	odk=$(e2e_dns_zone odk.test <<EOF
odk-rsa._domainkey  IN TXT  $rsa_txt
odk-ed._domainkey   IN TXT  $ed_txt
odk-eds._domainkey  IN TXT  $ed_txt
EOF
	)
	e2e_dns_start --drop to.test --servfail sf.test "$spf" "$dk" "$odk" "${AUTH_ZONES[@]}"
	export E2E_DNS_PORT # for authcheck.py
}

# auth_setup [HOOK] - skip without the tools, else a Postfix instance, keys, HOOK's zones and unbound
auth_setup() {
	e2e_dns_require
	auth_require
	e2e_setup
	auth_keys
	[ -z "${1:-}" ] || "$1"
	auth_dns_start
	# base: the config each test starts from, once unbound has its port
	base="internal_networks = 127.0.0.0/8
myhostname = $ID
dns_servers = $E2E_DNS_SERVER
dns_timeout = ${TIMEOUT_MS}ms
dns_attempts = 2
spf_verify = yes"
}

# reconf NAME - the base config plus the lines on stdin; SIGHUP; assert "reload ok"
reconf() {
	e2e_reconfigure "reload: $1" < <(printf '%s\n' "$base" && cat)
}

# send ADDR FROM TO [SWAKS ARGS] - one session from ADDR (XCLIENT), HELO $HELO (mail.spf.test); Subject: $m
send() {
	local addr=$1 from=$2 to=$3
	shift 3
	m=$(e2e_marker)
	e2e_swaks --from "$from" --to "$to" --helo "${HELO:-mail.spf.test}" \
		--xclient-addr "$addr" --xclient-name host.example \
		--header "Subject: $m" --show-time-lapse "$@"
}

# send_data ADDR FILE [FROM] - send the message in FILE (its Subject holds $m) from ADDR (XCLIENT)
send_data() {
	e2e_swaks --from "${3:-a@pass.spf.test}" --to b@example.org --helo mail.spf.test \
		--xclient-addr "$1" --xclient-name host.example --data "@$2" --show-time-lapse
}

# parse MARKER - parse the header block of the delivered message with MARKER into $H (authcheck.py headers); its file in $F
parse() {
	F=$(e2e_sink_file "$1" | head -n 1)
	H=$("$PY" "$AUTHCHECK" headers "${F:-/dev/null}" 2>&1)
}

# has LINE - true if $H has exactly this line
has() {
	grep -qxF -- "$1" <<<"$H"
}

# has_re REGEX - true if a line of $H matches ^REGEX$
has_re() {
	grep -qxE -- "$1" <<<"$H"
}

# count_re REGEX - how many lines of $H match ^REGEX$
count_re() {
	grep -cxE -- "$1" <<<"$H"
}

# expect_line NAME LINE - assert $H (the parsed headers) has LINE
expect_line() {
	if has "$2"; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "no line '$2' in the parsed headers of ${F:-(no sink file)}:" "$H"
	fi
}

# expect_line_re NAME REGEX - assert a line of $H matches ^REGEX$
expect_line_re() {
	if has_re "$2"; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1" "no line matching '^$2\$' in the parsed headers of ${F:-(no sink file)}:" "$H"
	fi
}

# expect_no_line_re NAME REGEX - assert no line of $H matches ^REGEX$
expect_no_line_re() {
	if has_re "$2"; then
		e2e_not_ok "$1" "a line matches '^$2\$':" "$(grep -xE -- "$2" <<<"$H")"
	else
		e2e_ok "$1"
	fi
}

# ar_result METHOD PTYPE.PROP=VALUE - the result of our A-R's entry for METHOD with that property ("" if none)
ar_result() {
	awk -v id="$ID" -v method="$1" -v prop="$2" '
	$1 == "AR" && NF == 3 && tolower($3) == tolower(id) { ours = $2 }
	$1 == "AR" && $2 == ours && index($3, method "=") == 1 {
		for (i = 4; i <= NF; i++) if ($i == prop) { r = substr($3, length(method) + 2); print r; exit }
	}' <<<"$H"
}

# rspf_result - the result in the Received-SPF header ("" if none)
rspf_result() {
	awk '$1 == "RSPF" { print $2; exit }' <<<"$H"
}

# expect_top NAME - assert our Authentication-Results and the Received-SPF are the message's first two
# header fields (in either order: RFC 8601 and RFC 7208 each say "at the top"), above Postfix's Received
expect_top() {
	local top
	top=$(awk '$1 == "HDR" && $2 <= 2 { printf "%s%s", sep, $3; sep = " " }' <<<"$H")
	case "$top" in
	"Authentication-Results Received-SPF" | "Received-SPF Authentication-Results")
		if has "AR 1 $ID" && has_re 'HDR [3-9] Received'; then
			e2e_ok "$1"
			return
		fi ;;
	esac
	e2e_not_ok "$1" "first header fields: $top" "$H"
}

# not_grep REGEX FILE - true if no line of FILE matches REGEX
# shellcheck disable=SC2317 # called through e2e_check
not_grep() {
	! grep -qE -- "$1" "$2"
}

# expect_tag NAME CHECK - assert the tag header lists CHECK
expect_tag() {
	expect_line_re "$1" "HDR [0-9]+ X-Portcullis-Tag"
	if grep -qE "^X-Portcullis-Tag:.*(^|[ ,])$2(,|$)" < <("$PY" "$AUTHCHECK" unsink "${F:-/dev/null}" | awk 'NF == 0 { exit } { print }'); then
		e2e_ok "$1: lists $2"
	else
		e2e_not_ok "$1: lists $2" "$(grep -i '^X-Portcullis-Tag:' "${F:-/dev/null}")"
	fi
}
