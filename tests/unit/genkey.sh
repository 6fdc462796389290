#!/bin/sh
# genkey - the portcullis-genkey command as a user runs it: usage errors
# (status 2), keys made in a temporary directory (modes, ownership as
# root), the record on standard output matching the key file (checked
# with openssl(1) when it is installed), an existing key refused and
# replaced with -f, and "portcullis -n" accepting configurations made of
# the lines printed. Nothing here sends a query. TAP output.
# shellcheck disable=SC2317 # the helpers run through ok()
set -u
gen=${PORTCULLIS_GENKEY:-./portcullis-genkey}
bin=${PORTCULLIS:-./portcullis}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/genkey.XXXXXX") || {
	echo "1..1"
	echo "not ok 1 - cannot create a temporary directory"
	exit 1
}
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

n=0
failed=0

# ok NAME CMD... - one TAP line: ok when CMD succeeds
ok() {
	name=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/ok.out" 2>&1; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/ok.out"
		failed=1
	fi
}

# skip NAME REASON - one TAP line, skipped
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# status WANT CMD... - CMD exits with WANT (its stderr kept in err.txt)
status() {
	want=$1
	shift
	"$@" >"$tmp/out.txt" 2>"$tmp/err.txt"
	got=$?
	[ "$got" -eq "$want" ] && return 0
	echo "exit status $got, want $want"
	cat "$tmp/err.txt"
	return 1
}

# mode PATH - the octal mode of PATH
mode() {
	stat -c %a "$1"
}

# value OUT - the record of genkey's output OUT, its strings joined
value() {
	sed -n '1,/ )$/p' "$1" | grep -o '"[^"]*"' | tr -d '"\n'
}

# openssl_p KEY TYPE - what DNS should hold for KEY, computed by openssl
openssl_p() {
	if [ "$2" = rsa ]; then
		openssl pkey -in "$1" -pubout -outform DER | base64 -w0
	else
		openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0
	fi
}

# same_p OUT KEY TYPE - the p= of OUT is openssl's public key of KEY
same_p() {
	got=$(value "$1")
	want=$(openssl_p "$2" "$3")
	[ -n "$want" ] && [ "${got##*; p=}" = "$want" ] && return 0
	echo "record: $got"
	echo "openssl: $want"
	return 1
}

# printed OUT PATTERN - the lines of OUT matching "#    PATTERN", the
# prefix cut
printed() {
	sed -n "s|^#    \($2\)\$|\1|p" "$1"
}

# has_line FILE LINE - FILE has LINE exactly
has_line() {
	grep -qxF -- "$2" "$1" || {
		echo "no line \"$2\" in:"
		cat "$1"
		return 1
	}
}

# check_conf FILE - "portcullis -n" accepts FILE, silently
check_conf() {
	out=$("$bin" -n -c "$1" 2>&1) && [ -z "$out" ] && return 0
	echo "$out"
	cat "$1"
	return 1
}

# --- usage errors: status 2 -------------------------------------------

ok "no options: usage error" status 2 "$gen"
ok "-s missing: usage error" status 2 "$gen" -d example.test
ok "bad domain: usage error" status 2 "$gen" -d exa_mple.test -s s
ok "one-label domain: usage error" status 2 "$gen" -d localhost -s s
ok "bad selector: usage error" status 2 "$gen" -d example.test -s a/b
ok "-a dsa: usage error" status 2 "$gen" -d example.test -s s -a dsa
ok "-b 512: usage error" status 2 "$gen" -d example.test -s s -b 512
ok "-b 9000: usage error" status 2 "$gen" -d example.test -s s -b 9000
ok "-b x: usage error" status 2 "$gen" -d example.test -s s -b 2k
ok "-b with ed25519: usage error" status 2 \
	"$gen" -d example.test -s s -a ed25519 -b 2048
ok "-D and -o: usage error" status 2 \
	"$gen" -d example.test -s s -D "$tmp" -o "$tmp/k.key"
ok "unknown option: usage error" status 2 "$gen" -d example.test -s s -x
ok "extra argument: usage error" status 2 "$gen" -d example.test -s s extra
ok "usage errors made no key" test -z "$(find "$tmp" -name '*.key')"
ok "-h: the usage, status 0" status 0 "$gen" -h
ok "-V: status 0" status 0 "$gen" -V
ok "-V: the version" grep -q '^portcullis-genkey [0-9]' "$tmp/out.txt"

# --- an RSA key in a new directory -----------------------------------

keys=$tmp/keys
rsa=$keys/mail2026._domainkey.example.test.key
ok "RSA key made, status 0" status 0 \
	"$gen" -d Example.TEST. -s mail2026 -D "$keys"
cp "$tmp/out.txt" "$tmp/rsa.out"
ok "the directory was made, mode 750" test "$(mode "$keys")" = 750
ok "the key file is mode 600" test "$(mode "$rsa")" = 600
ok "the key file is PKCS#8 PEM" has_line "$rsa" "-----BEGIN PRIVATE KEY-----"
ok "the output starts with the record" \
	grep -q '^mail2026\._domainkey\.example\.test\. IN TXT ( "v=DKIM1; k=rsa; "$' \
	"$tmp/rsa.out"
ok "the record's strings hold at most 255 bytes" \
	test -z "$(sed -n '1,/ )$/p' "$tmp/rsa.out" | grep -o '"[^"]*"' | awk 'length($0) > 257')"
ok "the record reads v=DKIM1; k=rsa; p=..." \
	test -n "$(value "$tmp/rsa.out" | grep -x 'v=DKIM1; k=rsa; p=[A-Za-z0-9+/]*=*')"
ok "the output has the KeyTable line" has_line "$tmp/rsa.out" \
	"#    mail2026._domainkey.example.test example.test:mail2026:$rsa"
ok "the output has the SigningTable line" has_line "$tmp/rsa.out" \
	"#    *@example.test mail2026._domainkey.example.test"
ok "the output has the simple settings" has_line "$tmp/rsa.out" \
	"#    dkim_sign_key = $rsa"
if command -v openssl >/dev/null 2>&1; then
	ok "p= is openssl's public key of the file (RSA)" \
		same_p "$tmp/rsa.out" "$rsa" rsa
else
	skip "p= is openssl's public key of the file (RSA)" "no openssl"
fi

# --- refused, then replaced ------------------------------------------

sum=$(cksum <"$rsa")
ok "an existing key is refused, status 1" status 1 \
	"$gen" -d example.test -s mail2026 -D "$keys"
ok "the refusal says so" grep -q 'exists: choose a new selector' "$tmp/err.txt"
ok "the existing key is unchanged" test "$(cksum <"$rsa")" = "$sum"
ok "-f replaces it, status 0" status 0 \
	"$gen" -d example.test -s mail2026 -D "$keys" -f -b 1024
cp "$tmp/out.txt" "$tmp/rsa1024.out"
ok "the new key differs" test "$(cksum <"$rsa")" != "$sum"
ok "the new key is mode 600" test "$(mode "$rsa")" = 600
ok "no temporary file is left" test "$(ls -A "$keys")" = "$(basename "$rsa")"
ok "-b 1024 draws a note" grep -q 'note: RFC 8301' "$tmp/err.txt"
if command -v openssl >/dev/null 2>&1; then
	ok "p= is openssl's public key of the replaced file" \
		same_p "$tmp/rsa1024.out" "$rsa" rsa
else
	skip "p= is openssl's public key of the replaced file" "no openssl"
fi

# --- an Ed25519 key, testing, -o -------------------------------------

ed=$tmp/ed.key
ok "Ed25519 key with -o and -T, status 0" status 0 \
	"$gen" -d example.test -s ed -a ed25519 -o "$ed" -T
cp "$tmp/out.txt" "$tmp/ed.out"
ok "the Ed25519 key file is mode 600" test "$(mode "$ed")" = 600
ok "the record reads v=DKIM1; k=ed25519; t=y; p=..." \
	test -n "$(value "$tmp/ed.out" | grep -x 'v=DKIM1; k=ed25519; t=y; p=[A-Za-z0-9+/]\{43\}=')"
if command -v openssl >/dev/null 2>&1; then
	ok "p= is openssl's raw public key of the file (Ed25519)" \
		same_p "$tmp/ed.out" "$ed" ed25519
else
	skip "p= is openssl's raw public key of the file (Ed25519)" "no openssl"
fi

# --- the lines printed make configurations portcullis accepts --------

{
	printed "$tmp/rsa1024.out" '[^ ]* [^ ]*:[^ ]*:/.*'
	printed "$tmp/ed.out" '[^ ]* [^ ]*:[^ ]*:/.*'
} >"$tmp/KeyTable"
{
	printed "$tmp/rsa1024.out" '\*@.*'
	printed "$tmp/ed.out" '\*@.*'
} >"$tmp/SigningTable"
cat >"$tmp/tables.conf" <<EOF
dns_servers = 127.0.0.1:9
spf_verify = no
dkim_key_table = $tmp/KeyTable
dkim_signing_table = refile:$tmp/SigningTable
dkim_sign_multiple = yes
EOF
ok "the KeyTable has both keys" test "$(wc -l <"$tmp/KeyTable")" -eq 2
ok "portcullis -n accepts the KeyTable and SigningTable lines" \
	check_conf "$tmp/tables.conf"
{
	echo "dns_servers = 127.0.0.1:9"
	echo "spf_verify = no"
	printed "$tmp/ed.out" 'dkim_sign_[a-z]* = .*'
} >"$tmp/simple.conf"
ok "the simple settings are three lines" \
	test "$(grep -c '^dkim_sign_' "$tmp/simple.conf")" -eq 3
ok "portcullis -n accepts the simple settings" check_conf "$tmp/simple.conf"

# --- directories -----------------------------------------------------

mkdir "$tmp/open" && chmod 777 "$tmp/open"
ok "a directory others can write to is refused, status 1" status 1 \
	"$gen" -d example.test -s s -D "$tmp/open"
ok "... saying why" grep -q 'writable by group or others' "$tmp/err.txt"
ok "... and no key is made there" test -z "$(ls -A "$tmp/open")"
ok "a missing parent directory is an error, status 1" status 1 \
	"$gen" -d example.test -s s -D "$tmp/no/keys"

# --- as root: -u gives the key away ----------------------------------

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	group=$(id -gn nobody)
	ok "-u nobody, status 0" status 0 \
		"$gen" -d example.test -s u -a ed25519 -D "$tmp/ukeys" -u nobody
	ok "the key belongs to nobody:$group, mode 600" test \
		"$(stat -c '%U:%G %a' "$tmp/ukeys/u._domainkey.example.test.key")" = \
		"nobody:$group 600"
	ok "the new directory is root:$group 750" test \
		"$(stat -c '%U:%G %a' "$tmp/ukeys")" = "root:$group 750"
	mkdir -m 750 "$tmp/rootonly"
	ok "-u nobody into a directory nobody cannot enter, status 0" status 0 \
		"$gen" -d example.test -s w -a ed25519 -D "$tmp/rootonly" -u nobody
	ok "... with a warning naming the group to give it" \
		grep -q "warning: user nobody cannot enter directory.*chgrp $group " "$tmp/err.txt"
	ok "-u no-such-user is an error, status 1" status 1 \
		"$gen" -d example.test -s v -D "$tmp/ukeys" -u no-such-user-here
	ok "-f without -u replaces the key of nobody, status 0" status 0 \
		"$gen" -d example.test -s u -a ed25519 -D "$tmp/ukeys" -f
	ok "... and the new key still belongs to nobody:$group, mode 600" test \
		"$(stat -c '%U:%G %a' "$tmp/ukeys/u._domainkey.example.test.key")" = \
		"nobody:$group 600"
	ok "... with no temporary file left" test "$(find "$tmp/ukeys" -type f | wc -l)" -eq 1
	mkdir -m 755 "$tmp/theirs"
	chown nobody "$tmp/theirs"
	ok "a directory owned by another user is refused, status 1" status 1 \
		"$gen" -d example.test -s t -D "$tmp/theirs"
	ok "... saying why" grep -q 'belongs to uid .*could replace the key' "$tmp/err.txt"
	ok "... and no key is made there" test -z "$(ls -A "$tmp/theirs")"
	ok "... but taken for a key of its owner (-u nobody), status 0" status 0 \
		"$gen" -d example.test -s t -a ed25519 -D "$tmp/theirs" -u nobody
else
	skip "-u nobody" "not root"
fi

echo "1..$n"
exit $failed
