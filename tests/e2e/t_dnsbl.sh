#!/bin/bash
#
# t_dnsbl.sh - DNS lists on the client address, through Postfix (XCLIENT
# clients in 192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32) against a real
# DNS server (unbound on 127.0.0.1, see dns.sh):
#   listed -> 554 5.7.1 at RCPT with the list's TXT, postmaster@ still
#   accepted; not listed -> delivered; IPv6 nibble names; weights and a
#   threshold; a DNSWL's negative weight; dnsbl_allowlist_threshold
#   exempting from the HELO checks; error codes (127.255.255.254), a list
#   that times out, one that SERVFAILs and a resolver that is down, with
#   dnsbl_on_error accept, tempfail and reject (replies within the
#   deadline, with mail.sh's slack); dnsbl_skip_local; dry_run; a returning client
#   costs no query (counted in unbound's query log); hostile TXT records
#   ('%', CR LF, 600 bytes); parallel sessions; Spamhaus DQS: the key
#   never shows in a reply, a header, a log, "portcullis -d" or the test
#   mode (every file of the run is scanned, case-insensitively); and the
#   test mode's DNS trace and verdict.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=dns.sh
. "$(dirname "$0")/dns.sh"

e2e_dns_require
e2e_setup

KEY=e2eK3yZZtop5ecret # the DQS key: only the config and the zone hold it
TIMEOUT_MS=800         # dns_timeout; unbound drops to.test, so lookups there time out

# nibbles ADDR - the reversed-nibble DNSBL name of an IPv6 address (python3, not portcullis)
nibbles() {
	python3 -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer[:-len(".ip6.arpa")])' "$1"
}
V6=$(nibbles 2001:db8::5)

bl_txt2='Listed by bl.test, see https://bl.test/q?ip=192.0.2.2'
bl_txt6='IPv6 listed by bl.test'
txt_pct='see https://bl.example/q?ip=192.0.2.40&why=spam%20trap, 100%'
long=$(printf '%0200d' 0) # three 200-byte strings in one TXT record
dq_txt7='https://check.spamhaus.example/listed/?searchterm=192.0.2.7'

bl=$(e2e_dns_zone bl.test <<EOF
2.2.0.192   IN A    127.0.0.2
2.2.0.192   IN TXT  "$bl_txt2"
3.2.0.192   IN A    127.0.0.2
3.2.0.192   IN TXT  "bl.test three"
4.2.0.192   IN A    127.0.0.2
4.2.0.192   IN TXT  "bl.test four"
5.2.0.192   IN A    127.0.0.2
5.2.0.192   IN TXT  "bl.test five"
6.2.0.192   IN A    127.255.255.254
9.2.0.192   IN A    127.0.0.2
9.2.0.192   IN TXT  "bl.test nine"
2.0.0.10    IN A    127.0.0.2
40.2.0.192  IN A    127.0.0.2
40.2.0.192  IN TXT  "$txt_pct"
41.2.0.192  IN A    127.0.0.2
41.2.0.192  IN TXT  "evil\013\010250 2.0.0 injected"
42.2.0.192  IN A    127.0.0.2
42.2.0.192  IN TXT  "$long" "$long" "$long"
$(for i in 100 102 104 106; do printf '%s.2.0.192 IN A 127.0.0.2\n%s.2.0.192 IN TXT "parallel %s"\n' "$i" "$i" "$i"; done)
$V6 IN A   127.0.0.2
$V6 IN TXT "$bl_txt6"
EOF
)
bl2=$(e2e_dns_zone bl2.test <<'EOF'
4.2.0.192   IN A    127.0.0.3
4.2.0.192   IN TXT  "bl2.test four"
EOF
)
wl=$(e2e_dns_zone wl.test <<'EOF'
3.2.0.192     IN A  127.0.10.9
5.2.0.192     IN A  127.0.10.2
9.100.51.198  IN A  127.0.10.3
EOF
)
dq=$(e2e_dns_zone dq.test <<EOF
7.2.0.192.$KEY.zen   IN A    127.0.0.2
7.2.0.192.$KEY.zen   IN TXT  "$dq_txt7"
17.2.0.192.$KEY.zen  IN A    127.0.0.4
17.2.0.192.$KEY.zen  IN TXT  "a list that echoes the key $KEY in its text"
18.2.0.192.$KEY.zen  IN A    127.0.0.20
19.2.0.192.$KEY.zen  IN A    127.0.0.2
19.2.0.192.$KEY.zen  IN TXT  "listed: 19.2.0.192.${KEY,,}.zen.dq.test"
EOF
)
e2e_dns_start --drop to.test --servfail sf.test "$bl" "$bl2" "$wl" "$dq"

# --- the DNS server itself ------------------------------------------------------
e2e_check "dns: listed name has its A record" \
	test "$(e2e_dns_query 2.2.0.192.bl.test A)" = "$(printf 'NOERROR\nA 127.0.0.2')"
e2e_check "dns: listed name has its TXT record" \
	test "$(e2e_dns_query 2.2.0.192.bl.test TXT)" = "$(printf 'NOERROR\nTXT %s' "$bl_txt2")"
e2e_check "dns: unlisted name is NXDOMAIN" \
	test "$(e2e_dns_query 20.2.0.192.bl.test A)" = NXDOMAIN
e2e_check "dns: sf.test answers SERVFAIL" test "$(e2e_dns_query 2.2.0.192.sf.test A)" = SERVFAIL
e2e_check "dns: to.test gets no answer" test "$(e2e_dns_query 2.2.0.192.to.test A)" = TIMEOUT
e2e_check "dns: a name outside the test zones is REFUSED, not looked up" \
	test "$(e2e_dns_query www.debian.org A)" = REFUSED

# --- helpers --------------------------------------------------------------------

base="internal_networks = 127.0.0.0/8
dns_servers = $E2E_DNS_SERVER
dns_timeout = ${TIMEOUT_MS}ms
dns_attempts = 2"

# reconf NAME - the base config plus the lines on stdin; SIGHUP; assert "reload ok"
reconf() {
	e2e_reconfigure "reload: $1" < <(printf '%s\n' "$base" && cat)
}

# send ADDR TO [SWAKS ARGS] - one session from client ADDR (XCLIENT) to TO (comma list); Subject in $m
send() {
	local addr=$1 to=$2
	shift 2
	m=$(e2e_marker)
	e2e_swaks --from a@example.net --to "$to" --helo "${HELO:-mail.example.net}" \
		--xclient-addr "$addr" --xclient-name host.example \
		--header "Subject: $m" --show-time-lapse "$@"
}

# session_ms - milliseconds from connecting to the reply to the last RCPT (all lapses summed)
session_ms() {
	awk '
	substr($0, 1, 4) == " -> " && toupper(substr($0, 5)) ~ /^DATA/ { exit }
	/^=== response in [0-9.]+s$/ { v = $4; sub(/s$/, "", v); t += v }
	END { printf "%d\n", t * 1000 }' "$E2E_TRANSCRIPT"
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

# rcpt_args FILE - the recipients a sink file was sent to
rcpt_args() {
	grep '^X-Rcpt-Args:' "$1" | cut -d' ' -f2 | tr '\n' ' ' | sed 's/ $//'
}

# tmode ARGS... - portcullis -t on the live config; output saved in $E2E_WORK/tmode.N.out, $out; status in $rc
TMODE_N=0
tmode() {
	TMODE_N=$((TMODE_N + 1))
	timeout 20 "$PORTCULLIS" -c "$E2E_MILTER_CONF" -t "$@" >"$E2E_WORK/tmode.$TMODE_N.out" 2>&1
	rc=$?
	out=$(cat "$E2E_WORK/tmode.$TMODE_N.out")
}

# === 1. one list ==================================================================
e2e_write_conf <<EOF
$base
dnsbl_sites = bl.test
EOF
e2e_start_milter || e2e_finish

reply2="554 5.7.1 Service unavailable; Client host [192.0.2.2] blocked using bl.test; $bl_txt2"
send 192.0.2.2 b@example.org
e2e_expect_reply MAIL '250 ' "listed: MAIL 250 (refused at RCPT)"
e2e_expect_reply_is RCPT "$reply2" "listed: RCPT 554 5.7.1 ... blocked using bl.test; TXT"
e2e_expect_not_delivered "$m" "listed: not delivered"
e2e_expect_milter_log 'reject stage=rcpt check=dnsbl client=host\.example\[192\.0\.2\.2\]' \
	"listed: portcullis logs reject stage=rcpt check=dnsbl"
e2e_expect_maillog "milter-reject: RCPT from host\.example\[192\.0\.2\.2\]: $(e2e_re "$reply2")" \
	"listed: Postfix logs the milter-reject with the same text"

send 192.0.2.2 b@example.org,postmaster@example.org
e2e_expect_reply_is RCPT:1 "$reply2" "listed + postmaster: RCPT b@ 554"
e2e_expect_reply RCPT:2 '250 2\.1\.5 ' "listed + postmaster: RCPT postmaster@ 250"
e2e_expect_delivered "$m" "listed + postmaster: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "listed + postmaster: the sink got postmaster@example.org only" \
	test "$(rcpt_args "$f")" = '<postmaster@example.org>'

send 192.0.2.20 b@example.org
e2e_expect_reply RCPT '250 ' "not listed: RCPT 250"
e2e_expect_delivered "$m" "not listed: delivered"

reply6="554 5.7.1 Service unavailable; Client host [2001:db8::5] blocked using bl.test; $bl_txt6"
send IPV6:2001:db8::5 b@example.org
e2e_expect_reply_is RCPT "$reply6" "IPv6 listed (nibble name): RCPT 554"
e2e_expect_not_delivered "$m" "IPv6 listed: not delivered"
e2e_check "IPv6: portcullis asked for the 32-nibble name" test "$(e2e_dns_queries "$V6.bl.test" A)" -ge 1
send IPV6:2001:db8::20 b@example.org
e2e_expect_reply RCPT '250 ' "IPv6 not listed: RCPT 250"
e2e_expect_delivered "$m" "IPv6 not listed: delivered"

# An IPv4-mapped IPv6 client is looked up by its IPv4 address.
e2e_dns_mark
send IPV6:::ffff:192.0.2.3 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[[^]]*192\.0\.2\.3\] blocked using bl\.test; bl\.test three$' \
	"IPv4-mapped IPv6 client (Postfix unwraps it): RCPT 554"
e2e_check "IPv4-mapped IPv6 client: the query was 3.2.0.192.bl.test" \
	test "$(e2e_dns_queries 3.2.0.192.bl.test A)" -ge 1

# A private client is not looked up (dnsbl_skip_local = yes).
e2e_dns_mark
send 10.0.0.2 b@example.org
e2e_expect_reply RCPT '250 ' "private client, dnsbl_skip_local = yes: RCPT 250"
e2e_expect_delivered "$m" "private client: delivered"
n=$(e2e_dns_queries 2.0.0.10.bl.test)
e2e_check "private client: no query sent (got $n)" test "$n" -eq 0

# A returning client within the TTL: the answers come from portcullis's cache.
e2e_dns_mark
send 192.0.2.9 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 .*blocked using bl\.test; bl\.test nine$' "cache: first session 554"
e2e_check "cache: the first session queried 9.2.0.192.bl.test (A)" test "$(e2e_dns_queries 9.2.0.192.bl.test A)" -ge 1
e2e_dns_mark
send 192.0.2.9 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 .*blocked using bl\.test; bl\.test nine$' "cache: second session 554, TXT included"
n=$(e2e_dns_queries 9.2.0.192.bl.test)
e2e_check "cache: the second session sent no query to the server (got $n)" test "$n" -eq 0
e2e_dns_mark
send 192.0.2.21 b@example.org
e2e_check "cache: a not-listed client is looked up once" test "$(e2e_dns_queries 21.2.0.192.bl.test A)" -ge 1
e2e_dns_mark
send 192.0.2.21 b@example.org
e2e_expect_delivered "$m" "cache: not-listed returning client delivered"
n=$(e2e_dns_queries 21.2.0.192.bl.test)
e2e_check "cache: NXDOMAIN is cached too: no query the second time (got $n)" test "$n" -eq 0

# A list's TXT is untrusted text in our SMTP reply: '%' (libmilter's
# escape character), CR LF, and a reply longer than SMTP allows.
send 192.0.2.40 b@example.org
e2e_expect_reply_is RCPT "554 5.7.1 Service unavailable; Client host [192.0.2.40] blocked using bl.test; $txt_pct" \
	"hostile TXT: '%' reaches the client as is"
send 192.0.2.41 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.41\] blocked using bl\.test; evil' \
	"hostile TXT: CR LF in the TXT: one 554 reply"
e2e_check "hostile TXT: CR LF: exactly one reply to RCPT, the session stays in step (QUIT 221)" \
	test "$(e2e_reply RCPT | wc -l)-$(e2e_reply QUIT | cut -c1-3)" = 1-221
e2e_check "hostile TXT: CR LF: no forged line in portcullis's log" \
	not_grep '^250 2\.0\.0 injected' "$E2E_MILTER_LOG"
send 192.0.2.42 b@example.org
r=$(e2e_reply RCPT)
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.42\] blocked using bl\.test; 0000' \
	"hostile TXT: 600-byte TXT: still 554 with the text's start"
e2e_check "hostile TXT: 600-byte TXT: the reply line fits SMTP's 512 octets (got $((${#r} + 2)))" \
	test $((${#r} + 2)) -le 512

# Parallel sessions share the resolver: each gets its own answer.
pids=()
for i in 100 101 102 103 104 105 106 107; do
	timeout -k 5 60 swaks --server 127.0.0.1 --port "$E2E_SMTP_PORT" --timeout "$E2E_SWAKS_TIMEOUT" \
		--from a@example.net --to b@example.org --helo mail.example.net \
		--xclient-addr "192.0.2.$i" --xclient-name host.example \
		</dev/null >"$E2E_WORK/parallel.$i.txt" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
bad=""
for i in 100 101 102 103 104 105 106 107; do
	r=$(e2e_reply RCPT "$E2E_WORK/parallel.$i.txt")
	if ((i % 2 == 0)); then
		[ "$r" = "554 5.7.1 Service unavailable; Client host [192.0.2.$i] blocked using bl.test; parallel $i" ] || bad="$bad $i:'$r'"
	else
		[[ $r == "250 "* ]] || bad="$bad $i:'$r'"
	fi
done
e2e_check "parallel: 8 concurrent clients, each with its own verdict and TXT${bad:+ (wrong:$bad)}" test -z "$bad"

# --- the test mode against the same DNS ---------------------------------------------
tmode --client-ip 192.0.2.2 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "test mode: listed client exits 5 (got $rc)" test "$rc" -eq 5
e2e_check "test mode: trace 'connect dnsbl listed bl.test: 127.0.0.2 weight 1'" \
	grep -qx '  connect dnsbl listed bl\.test: 127\.0\.0\.2 weight 1.*' <<<"$out"
e2e_check "test mode: trace 'connect dnsbl hit score 1 >= 1 -> reject'" \
	grep -qx '  connect dnsbl hit score 1 >= 1 -> reject' <<<"$out"
e2e_check "test mode: the last line is the verdict with the TXT" \
	test "$(tail -n 1 <<<"$out")" = "verdict: reject $reply2"
tmode --client-ip 192.0.2.20 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "test mode: not-listed client exits 0 (got $rc)" test "$rc" -eq 0
e2e_check "test mode: trace 'connect dnsbl not-listed bl.test'" \
	grep -qx '  connect dnsbl not-listed bl\.test.*' <<<"$out"
e2e_check "test mode: verdict: accept" test "$(tail -n 1 <<<"$out")" = 'verdict: accept'
tmode --client-ip ::ffff:192.0.2.3 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "test mode: IPv4-mapped ::ffff:192.0.2.3 is looked up as 3.2.0.192.bl.test (exit $rc)" \
	grep -q '^  connect dnsbl listed bl\.test: 127\.0\.0\.2' <<<"$out"

reconf "dnsbl_skip_local = no" <<'EOF'
dnsbl_sites = bl.test
dnsbl_skip_local = no
EOF
send 10.0.0.2 b@example.org
e2e_expect_reply_is RCPT '554 5.7.1 Service unavailable; Client host [10.0.0.2] blocked using bl.test' \
	"private client, dnsbl_skip_local = no: looked up, RCPT 554 (no TXT record, no '; ')"

# --- dry run ------------------------------------------------------------------------
reconf "dry_run = dnsbl" <<'EOF'
dnsbl_sites = bl.test
dry_run = dnsbl
EOF
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '250 ' "dry run: RCPT 250"
e2e_expect_delivered "$m" "dry run: delivered"
e2e_expect_milter_log 'dry-run reject .*check=dnsbl' "dry run: portcullis logs 'dry-run reject ... check=dnsbl'"

# === 2. weights and a threshold ======================================================
reconf "two lists *1, threshold 2" <<'EOF'
dnsbl_sites = bl.test*1 bl2.test*1
dnsbl_threshold = 2
EOF
send 192.0.2.3 b@example.org
e2e_expect_reply RCPT '250 ' "weights: on one list (score 1 < 2): RCPT 250"
e2e_expect_delivered "$m" "weights: on one list: delivered"
send 192.0.2.4 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.4\] blocked using bl2?\.test; bl2?\.test four$' \
	"weights: on both lists (score 2): RCPT 554"
e2e_expect_not_delivered "$m" "weights: on both lists: not delivered"
e2e_expect_milter_log 'check=dnsbl .*score=2' "weights: portcullis logs score=2"

# === 3. an allow list with a negative weight ========================================
reconf "bl.test*2 and wl.test*-2" <<'EOF'
dnsbl_sites = bl.test*2 wl.test=127.0.[0..255].[1..3]*-2
EOF
send 192.0.2.5 b@example.org
e2e_expect_reply RCPT '250 ' "DNSWL: listed on both (2 - 2 = 0): RCPT 250"
e2e_expect_delivered "$m" "DNSWL: listing cancelled, delivered"
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 ' "DNSWL: on the block list only: RCPT 554"
send 192.0.2.3 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 ' "DNSWL: allow-list answer outside its filter (127.0.10.9) counts nothing: 554"

# === 4. dnsbl_allowlist_threshold exempts from the HELO checks ======================
reconf "dnsbl_allowlist_threshold = -1" <<'EOF'
dnsbl_sites = bl.test*2 wl.test=127.0.[0..255].[1..3]*-2
dnsbl_allowlist_threshold = -1
EOF
HELO='bad_name!' send 198.51.100.9 b@example.org
e2e_expect_reply RCPT '250 ' "allowlisted (score -2): invalid HELO not held against it: RCPT 250"
e2e_expect_delivered "$m" "allowlisted: delivered"
HELO='bad_name!' send 198.51.100.10 b@example.org
e2e_expect_reply_is RCPT '501 5.5.2 <bad_name!>: Helo command rejected: Invalid name' \
	"not allowlisted: invalid HELO refused at RCPT (501 5.5.2)"
e2e_expect_not_delivered "$m" "not allowlisted: not delivered"
HELO='bad_name!' send 192.0.2.5 b@example.org
e2e_expect_reply RCPT '501 5\.5\.2 ' "score 0 (> -1) is no allow listing: invalid HELO refused"

# === 5. errors: error codes, timeouts, SERVFAIL ======================================
reconf "error code, dnsbl_on_error = accept" <<'EOF'
dnsbl_sites = bl.test
dnsbl_on_error = accept
EOF
send 192.0.2.6 b@example.org
e2e_expect_reply RCPT '250 ' "127.255.255.254, accept: RCPT 250 (not listed)"
e2e_expect_delivered "$m" "127.255.255.254, accept: delivered"
e2e_expect_milter_log 'dnsbl error list=bl\.test client=192\.0\.2\.6 error=".*127\.255\.255\.254' \
	"127.255.255.254: portcullis logs a dnsbl error"

reconf "error code, dnsbl_on_error = tempfail" <<'EOF'
dnsbl_sites = bl.test
dnsbl_on_error = tempfail
EOF
send 192.0.2.6 b@example.org,postmaster@example.org
e2e_expect_reply RCPT:1 '451 4\.4\.3 ' "127.255.255.254, tempfail: RCPT 451 4.4.3"
e2e_expect_reply RCPT:2 '250 ' "127.255.255.254, tempfail: postmaster@ still 250"
send 192.0.2.2 b@example.org
e2e_expect_reply_is RCPT "$reply2" "tempfail on error: a listed client is still refused 554"

reconf "error code, dnsbl_on_error = reject" <<'EOF'
dnsbl_sites = bl.test
dnsbl_on_error = reject
EOF
send 192.0.2.6 b@example.org
e2e_expect_reply RCPT '5[0-9][0-9] 5\.4\.3 ' "127.255.255.254, reject: RCPT 5xx 5.4.3"

limit=$TIMEOUT_MS
floor=$((TIMEOUT_MS - 100))
reconf "a list that times out, dnsbl_on_error = accept" <<'EOF'
dnsbl_sites = to.test
dnsbl_on_error = accept
EOF
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '250 ' "timeout, accept: RCPT 250"
expect_within "timeout, accept: RCPT reply within dns_timeout" "$(lapse_ms RCPT)" "$limit"
expect_at_least "timeout, accept: the session did wait for the DNS timeout" "$(session_ms)" "$floor"
e2e_expect_delivered "$m" "timeout, accept: delivered"
e2e_expect_milter_log 'dnsbl error list=to\.test client=192\.0\.2\.2 error="timeout' \
	"timeout: portcullis logs the timeout"
e2e_check "timeout: the query reached unbound, which dropped it" \
	test "$(e2e_dns_queries 2.2.0.192.to.test A)" -ge 1

reconf "a list that times out, dnsbl_on_error = tempfail" <<'EOF'
dnsbl_sites = to.test
dnsbl_on_error = tempfail
EOF
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '451 4\.4\.3 ' "timeout, tempfail: RCPT 451 4.4.3"
expect_within "timeout, tempfail: RCPT reply within dns_timeout" "$(lapse_ms RCPT)" "$limit"
e2e_expect_not_delivered "$m" "timeout, tempfail: not delivered"

reconf "a list that SERVFAILs, dnsbl_on_error = accept" <<'EOF'
dnsbl_sites = sf.test
dnsbl_on_error = accept
EOF
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '250 ' "SERVFAIL, accept: RCPT 250"
expect_within "SERVFAIL, accept: RCPT reply within dns_timeout" "$(lapse_ms RCPT)" "$limit"
e2e_expect_delivered "$m" "SERVFAIL, accept: delivered"
e2e_expect_milter_log 'dnsbl error list=sf\.test client=192\.0\.2\.2 error=".*SERVFAIL' \
	"SERVFAIL: portcullis logs it"

reconf "a list that SERVFAILs, dnsbl_on_error = tempfail" <<'EOF'
dnsbl_sites = sf.test
dnsbl_on_error = tempfail
EOF
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '451 4\.4\.3 ' "SERVFAIL, tempfail: RCPT 451 4.4.3"
e2e_expect_not_delivered "$m" "SERVFAIL, tempfail: not delivered"

# The resolver itself is down: nothing listens on its port. A reload
# keeps the DNS cache, so these are clients never looked up before.
dead_port=$(_e2e_dns_free_port)
base_down=${base/$E2E_DNS_SERVER/127.0.0.1:$dead_port}
client=60
for on_error in accept tempfail; do
	client=$((client + 1))
	e2e_reconfigure "reload: no DNS server, dnsbl_on_error = $on_error" \
		< <(printf '%s\ndnsbl_sites = bl.test\ndnsbl_on_error = %s\n' "$base_down" "$on_error")
	send "192.0.2.$client" b@example.org
	if [ "$on_error" = accept ]; then
		e2e_expect_reply RCPT '250 ' "no DNS server, accept: RCPT 250"
		e2e_expect_delivered "$m" "no DNS server, accept: delivered"
	else
		e2e_expect_reply RCPT '451 4\.4\.3 ' "no DNS server, tempfail: RCPT 451 4.4.3"
	fi
	expect_within "no DNS server, $on_error: RCPT reply within dns_timeout" "$(lapse_ms RCPT)" "$limit"
done
# A reload keeps what the resolver learned: 192.0.2.2, looked up before
# the reloads, is still judged with no server to ask.
send 192.0.2.2 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 ' "reload keeps the DNS cache: a known client is still refused"

# === 6. Spamhaus DQS: the key stays secret ============================================
dqs_sites="dnsbl_sites = \$dqs_key.zen.dq.test=127.0.0.[2..11]*3
	\$dqs_key.zen.to.test \$dqs_key.zen.sf.test"
reconf "DQS" <<EOF
dqs_key = $KEY
$dqs_sites
dnsbl_on_error = accept
EOF
reply7="554 5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.dq.test; $dq_txt7"
send 192.0.2.7 b@example.org
e2e_expect_reply_is RCPT "$reply7" "DQS: RCPT 554 names zen.dq.test"
e2e_expect_not_delivered "$m" "DQS: not delivered"
e2e_check "DQS: the query carried the key" test "$(e2e_dns_queries "7.2.0.192.$KEY.zen.dq.test" A)" -ge 1
e2e_expect_milter_log 'dnsbl error list=zen\.to\.test client=192\.0\.2\.7 error="timeout' \
	"DQS: a timeout is logged with the public name"
e2e_expect_milter_log 'dnsbl error list=zen\.sf\.test client=192\.0\.2\.7 error=".*SERVFAIL' \
	"DQS: a SERVFAIL is logged with the public name"
send 192.0.2.17 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.17\] blocked using zen\.dq\.test; a list that echoes the key ' \
	"DQS: a TXT that contains the key: 554, key removed"
# portcullis sends the key lowercased (DNS ignores case); a list that
# echoes the queried name in its TXT then echoes the key in lower case.
send 192.0.2.19 b@example.org
e2e_expect_reply RCPT '554 5\.7\.1 Service unavailable; Client host \[192\.0\.2\.19\] blocked using zen\.dq\.test' \
	"DQS: a TXT that echoes the queried name: 554"
r=$(e2e_reply RCPT)
e2e_check "DQS: ... and the reply does not hold the key in any case" not_grep_i "$KEY" <<<"$r"
send 192.0.2.18 b@example.org
e2e_expect_reply RCPT '250 ' "DQS: an answer outside the filter (127.0.0.20): RCPT 250"
e2e_expect_delivered "$m" "DQS: outside the filter: delivered"

reconf "DQS, dry run" <<EOF
dqs_key = $KEY
$dqs_sites
dnsbl_on_error = accept
dry_run = dnsbl
EOF
send 192.0.2.17 b@example.org
e2e_expect_delivered "$m" "DQS dry run: delivered"
e2e_expect_milter_log 'dry-run reject .*check=dnsbl.*zen\.dq\.test' "DQS dry run: logged with the public name"

reconf "DQS, tag" <<EOF
dqs_key = $KEY
$dqs_sites
dnsbl_on_error = accept
dnsbl_action = tag
EOF
send 192.0.2.7 b@example.org
e2e_expect_delivered "$m" "DQS tag: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "DQS tag: X-Portcullis-Tag names dnsbl" grep -q '^X-Portcullis-Tag: .*dnsbl' "${f:-/dev/null}"

reconf "DQS, reject" <<EOF
dqs_key = $KEY
$dqs_sites
dnsbl_on_error = accept
EOF
tmode --client-ip 192.0.2.7 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "DQS test mode: exit 5 (got $rc)" test "$rc" -eq 5
e2e_check "DQS test mode: trace names zen.dq.test" grep -q 'connect dnsbl listed zen\.dq\.test: 127\.0\.0\.2 weight 3' <<<"$out"
e2e_check "DQS test mode: verdict" test "$(tail -n 1 <<<"$out")" = "verdict: reject $reply7"
tmode --client-ip 192.0.2.17 --helo mail.example.net --from a@example.net --rcpt b@example.org
e2e_check "DQS test mode, key in TXT: exit 5 (got $rc)" test "$rc" -eq 5
timeout 10 "$PORTCULLIS" -d -c "$E2E_MILTER_CONF" >"$E2E_WORK/dump.out" 2>&1
e2e_check "DQS: portcullis -d exits 0" test "$?" -eq 0
e2e_check "DQS: portcullis -d shows dqs_key redacted" grep -q '^dqs_key = <redacted>$' "$E2E_WORK/dump.out"
# A config that spells the key out in a site: refused, and the error hides it.
bad=$E2E_WORK/bad-dqs.conf
printf '%s\ndqs_key = %s\ndnsbl_sites = %s.zen.dq.test\n' "$base" "$KEY" "$KEY" >"$bad"
timeout 10 "$PORTCULLIS" -n -c "$bad" >"$E2E_WORK/check-bad.out" 2>&1
e2e_check "DQS: -n refuses a site that spells out the key" test "$?" -eq 1

e2e_stop_milter
# The scan below is not vacuous: the key is where it must be.
e2e_check "DQS scan sanity: the key is in the config and in unbound's query log" \
	in_each "$KEY" "$E2E_MILTER_CONF" "$E2E_DNS_LOG"
e2e_expect_secret_absent "$KEY" "DQS: the key is in no transcript, sink file, log or output" \
	"$E2E_MILTER_CONF" "$bad"

e2e_dns_stop
e2e_finish
