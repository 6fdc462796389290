#!/bin/bash
#
# t_hostile.sh - hostile messages through a real Postfix: each gets the
# action of the budget it exceeds, costs bounded work, and leaves
# Postfix able to take the next message.
#
#   - 20 forged Authentication-Results claiming our authserv-id among
#     others': all 20 removed, the others' kept (authres_delete_limit).
#   - 20,000 forged Authentication-Results (1.6 MB): refused at the end of
#     data (550 5.7.1), not one deletion asked for. Before the budget,
#     20,000 smfi_chgheader deletions made Postfix 3.7's cleanup work 27 s
#     and panic ("too many reverse jump records"), and master throttled
#     cleanup: no mail was accepted for a minute.
#   - 10,000 header fields: 552 5.3.4 (header_count_limit).
#   - 100,000 DKIM-Signature fields (7.6 MB): 552 5.3.4; not one of them
#     past the budget reaches the DKIM verifier.
#   - A header of 24 folded fields of 60 KB each: 552 5.3.4
#     (header_bytes_limit).
#   - Within the budgets, delivered: a 5 MB header line (Postfix keeps
#     100 KB of it), 20,000 URLs in the body (20 domains looked up),
#     MIME nested 5,000 deep, 60 ARC sets.
#   - The same flood with authres_limit in dry_run: delivered, nothing
#     deleted, and Postfix still fine.
# After each, a clean message is delivered and Postfix's log has no
# panic, fatal or throttling. The worker's CPU time and RSS growth per
# message are printed as figures (not asserted: no timing in tests).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

e2e_setup --main 'message_size_limit = 20480000'
ID=mx.e2e.portcullis.test
# The body's domains are looked up (on a port where nothing listens:
# each lookup fails at once, and dbl_on_error lets the mail through), so
# that the body scan does its whole work.
base="internal_networks = 127.0.0.0/8
authserv_id = $ID
spf_verify = no
dns_servers = 127.0.0.1:9
dbl_sites = dbl.example=127.0.1.[2..99]:body
dbl_on_error = accept"
e2e_write_conf <<<"$base"
e2e_start_milter || e2e_finish
worker=$(e2e_milter_worker_pid)

# cpu_ticks - the worker's user + system CPU time, in clock ticks
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$worker/stat" 2>/dev/null || echo 0
}

# rss_kb - the worker's resident set, in KiB
rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$worker/status" 2>/dev/null || echo 0
}

# message FILE - write a message (Subject: $m) with the header fields on stdin before its body
message() {
	{
		printf 'From: <a@example.net>\nTo: <b@example.org>\nSubject: %s\n' "$m"
		printf 'Date: %s\nMessage-ID: <%s@example.net>\n' "$(LC_ALL=C date -R)" "$m"
		cat
		printf '\nA hostile message.\n'
	} >"$1"
}

# send FILE - send FILE as the whole DATA from an outside client; prints the figures
send() {
	local t0 r0 ticks
	t0=$(cpu_ticks)
	r0=$(rss_kb)
	e2e_swaks --from a@example.net --to b@example.org --helo mail.example.net \
		--xclient-addr 192.0.2.7 --xclient-name mail.example.net --data "@$1"
	ticks=$(($(cpu_ticks) - t0))
	e2e_diag "figures: $(basename "$1"): $(stat -c %s "$1") bytes, worker CPU $((ticks * 1000 / $(getconf CLK_TCK))) ms, RSS ${r0} KiB -> $(rss_kb) KiB"
}

# postfix_fine NAME - no panic, fatal or throttling in Postfix's log, the same worker, and a clean message delivered
postfix_fine() {
	local m
	e2e_check "$1: Postfix logs no panic, fatal or throttling" \
		not_grep 'panic|fatal|throttling' "$E2E_MAILLOG"
	if e2e_milter_alive && [ "$(e2e_milter_worker_pid)" = "$worker" ]; then
		e2e_ok "$1: the same portcullis worker runs"
	else
		e2e_not_ok "$1: the same portcullis worker runs" "was $worker, now '$(e2e_milter_worker_pid)'"
	fi
	m=$(e2e_marker)
	e2e_swaks --from a@example.net --to b@example.org --helo mail.example.net \
		--xclient-addr 192.0.2.8 --xclient-name mail.example.net --header "Subject: $m"
	e2e_expect_reply DOT '250 ' "$1: the next message: 250"
	e2e_expect_delivered "$m" "$1: the next message is delivered"
}

# not_grep REGEX FILE - true if no line of FILE matches REGEX
# shellcheck disable=SC2317 # called through e2e_check
not_grep() {
	! grep -qE -- "$1" "$2"
}

# forged N - N Authentication-Results fields claiming our authserv-id
forged() {
	awk -v n="$1" -v id="$ID" 'BEGIN { for (i = 0; i < n; i++)
		printf "Authentication-Results: %s; spf=pass smtp.mailfrom=f%d.example\n", id, i }'
}

# === 20 forged among others' =====================================================
m=$(e2e_marker)
{
	echo "Authentication-Results: other.example; dkim=pass header.d=example.net"
	forged 20
	echo "Authentication-Results: e2e.portcullis.test.example; spf=fail"
} | message "$E2E_WORK/ar20.eml"
send "$E2E_WORK/ar20.eml"
e2e_expect_reply DOT '250 ' "20 forged A-R: 250"
e2e_expect_delivered "$m" "20 forged A-R: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
head=$(e2e_sink_headers "${f:-/dev/null}")
e2e_check "20 forged A-R: none of the forged left" \
	test "$(grep -c "^Authentication-Results: $ID; spf=pass smtp.mailfrom=f" <<<"$head")" -eq 0
e2e_check "20 forged A-R: the others' kept verbatim" \
	grep -qx 'Authentication-Results: other.example; dkim=pass header.d=example.net' <<<"$head"
e2e_check "20 forged A-R: the look-alike kept" \
	grep -qx 'Authentication-Results: e2e.portcullis.test.example; spf=fail' <<<"$head"

# === 20,000 forged ===============================================================
m=$(e2e_marker)
forged 20000 | message "$E2E_WORK/ar20000.eml"
send "$E2E_WORK/ar20000.eml"
e2e_expect_reply_is DOT '550 5.7.1 Message refused: too many forged Authentication-Results fields' \
	"20,000 forged A-R: 550 5.7.1 at end of data"
e2e_expect_not_delivered "$m" "20,000 forged A-R: not delivered"
e2e_expect_milter_log ": reject stage=data check=authres_limit .*detail=\"more than 20 forged" \
	"20,000 forged A-R: portcullis logs the reject"
postfix_fine "20,000 forged A-R"

# === 10,000 header fields ========================================================
m=$(e2e_marker)
awk 'BEGIN { for (i = 0; i < 10000; i++) printf "X-Filler-%d: %d\n", i, i }' |
	message "$E2E_WORK/fields.eml"
send "$E2E_WORK/fields.eml"
e2e_expect_reply_is DOT '552 5.3.4 Message header too large' "10,000 fields: 552 5.3.4"
e2e_expect_not_delivered "$m" "10,000 fields: not delivered"
e2e_expect_milter_log ': reject stage=data check=header_limit .*detail="more than 1000 header fields"' \
	"10,000 fields: portcullis logs the reject"
postfix_fine "10,000 fields"

# === 100,000 DKIM signatures =====================================================
m=$(e2e_marker)
awk 'BEGIN { for (i = 0; i < 100000; i++)
	printf "DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=s%d; h=from; bh=AAAA; b=AAAA\n", i }' |
	message "$E2E_WORK/dkim.eml"
send "$E2E_WORK/dkim.eml"
e2e_expect_reply_is DOT '552 5.3.4 Message header too large' "100,000 DKIM signatures: 552 5.3.4"
e2e_expect_not_delivered "$m" "100,000 DKIM signatures: not delivered"
postfix_fine "100,000 DKIM signatures"

# === header bytes ================================================================
m=$(e2e_marker)
# Postfix keeps at most header_size_limit (100 KB) of one field: 24
# fields of 60 lines of 1,000 bytes each, folded.
line=$(head -c 1000 /dev/zero | tr '\0' x)
for i in $(seq 24); do
	printf 'X-Big-%d: %s\n' "$i" "$line"
	for j in $(seq 59); do printf '\t%s\n' "$line"; done
done | message "$E2E_WORK/bytes.eml"
send "$E2E_WORK/bytes.eml"
e2e_expect_reply_is DOT '552 5.3.4 Message header too large' "24 fields of 60 KB: 552 5.3.4"
e2e_expect_milter_log ': reject stage=data check=header_limit .*detail="more than 1048576 header bytes"' \
	"24 fields of 60 KB: portcullis logs the reject"
postfix_fine "24 fields of 60 KB"

# === within the budgets: delivered, at a bounded cost ============================
# delivered NAME FILE - the message is sent, delivered, and Postfix is fine
delivered() {
	m=$(e2e_marker)
	message "$2"
	send "$2"
	e2e_expect_reply DOT '250 ' "$1: 250"
	e2e_expect_delivered "$m" "$1: delivered"
	postfix_fine "$1"
}

# A 5 MB header line: Postfix keeps header_size_limit (100 KB) of it.
head -c 5000000 /dev/zero | tr '\0' x | sed 's/^/X-Long: /' >"$E2E_WORK/long.hdr"
echo >>"$E2E_WORK/long.hdr"
delivered "a 5 MB header line" "$E2E_WORK/long.eml" <"$E2E_WORK/long.hdr"

# 20,000 URLs: dbl_body_max_domains (20) are looked up, the rest not.
{
	echo
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "http://u%d.example%d.com/p\n", i, i % 500 }'
} >"$E2E_WORK/urls.body"
delivered "20,000 URLs" "$E2E_WORK/urls.eml" <"$E2E_WORK/urls.body"
e2e_check "20,000 URLs: 20 of the body's domains were looked up" \
	test "$(grep -c 'dbl error list=dbl\.example body=u[0-9]*\.example' "$E2E_MILTER_LOG")" -eq 10

# MIME nested 5,000 deep.
awk 'BEGIN { d = 5000
	printf "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
	for (i = 0; i < d; i++) printf "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1
	printf "--b%d\nContent-Type: text/plain\n\nhttp://deep.example.com/x\n", d
	for (i = d; i >= 0; i--) printf "--b%d--\n", i }' >"$E2E_WORK/deep.hdr"
delivered "MIME nested 5,000 deep" "$E2E_WORK/deep.eml" <"$E2E_WORK/deep.hdr"

# 60 ARC sets (180 fields).
awk 'BEGIN { for (i = 60; i >= 1; i--) {
	printf "ARC-Seal: i=%d; a=rsa-sha256; cv=pass; d=example.net; s=arc; t=1; b=AAAA\n", i
	printf "ARC-Message-Signature: i=%d; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=arc; h=from; bh=AAAA; b=AAAA\n", i
	printf "ARC-Authentication-Results: i=%d; hop%d.example; spf=pass\n", i, i } }' >"$E2E_WORK/arc.hdr"
delivered "60 ARC sets" "$E2E_WORK/arc.eml" <"$E2E_WORK/arc.hdr"

# === the flood in dry run ========================================================
e2e_write_conf <<<"$base
dry_run = authres_limit"
e2e_milter_reload || e2e_not_ok "reload with dry_run = authres_limit"
m=$(e2e_marker)
forged 500 | message "$E2E_WORK/ar500.eml"
send "$E2E_WORK/ar500.eml"
e2e_expect_reply DOT '250 ' "500 forged A-R, dry run: 250"
e2e_expect_delivered "$m" "500 forged A-R, dry run: delivered"
f=$(e2e_sink_file "$m" | head -n 1)
e2e_check "500 forged A-R, dry run: nothing deleted" \
	test "$(e2e_sink_headers "${f:-/dev/null}" | grep -c "^Authentication-Results: $ID; spf=pass smtp.mailfrom=f")" -eq 500
e2e_expect_milter_log ': dry-run reject stage=data check=authres_limit ' \
	"500 forged A-R, dry run: logged as dry-run reject"
postfix_fine "500 forged A-R, dry run"

# (each failed lookup of a body domain is a warning with "error" in it)
e2e_check "portcullis log has no panic, fatal or internal error" \
	not_grep 'panic|fatal|internal error|out of memory' "$E2E_MILTER_LOG"
e2e_stop_milter
e2e_finish
