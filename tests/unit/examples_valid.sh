#!/bin/sh
# examples_valid - every example configuration in contrib/examples/ loads:
# "portcullis -n" on each, with the /etc/postfix/... map paths it names
# rewritten to the copies shipped in contrib/examples/maps/, so the
# example map files are checked too; /etc/opendkim/... likewise to the
# OpenDKIM tables of contrib/examples/opendkim/, whose key files are
# made here with portcullis-genkey (no private key is shipped). The
# copies go to a temporary directory: the source tree may be read-only
# (make distcheck). Nothing here sends a query: -n only loads. TAP
# output.
set -u
bin=${PORTCULLIS:-./portcullis}
genkey=${PORTCULLIS_GENKEY:-$(dirname "$bin")/portcullis-genkey}
src=$(cd "${srcdir:-.}" && pwd)
examples="$src/contrib/examples"
maps="$examples/maps"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/examples_valid.XXXXXX") || {
	echo "1..1"
	echo "not ok 1 - cannot create a temporary directory"
	exit 1
}
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

# The OpenDKIM tables with their keys, under $tmp/opendkim.
odk="$tmp/opendkim"
mkdir -p "$odk"
for t in KeyTable SigningTable; do
	sed "s|/etc/opendkim/|$odk/|g" "$examples/opendkim/$t" >"$odk/$t"
done
keys_made=yes
while read -r _name spec; do
	key=${spec#*:*:}
	sel=${spec#*:}
	sel=${sel%%:*}
	alg=rsa
	case $sel in ed*) alg=ed25519 ;; esac
	mkdir -p "$(dirname "$key")"
	"$genkey" -a "$alg" -d "${spec%%:*}" -s "$sel" -o "$key" >/dev/null 2>&1 ||
		keys_made="no ($genkey -a $alg -s $sel -o $key failed)"
done <<EOF
$(grep -v '^#' "$odk/KeyTable" | grep .)
EOF

set -- "$examples"/*.conf
if [ ! -e "$1" ]; then
	echo "1..1"
	echo "not ok 1 - no example configuration in $examples"
	exit 1
fi

echo "1..$#"
n=0
failed=0
for conf in "$@"; do
	n=$((n + 1))
	name=$(basename "$conf")
	copy="$tmp/$name"
	sed -e "s|/etc/postfix/|$maps/|g" -e "s|/etc/opendkim/|$odk/|g" "$conf" >"$copy"
	if [ "$keys_made" != yes ] && grep -q /etc/opendkim/ "$conf"; then
		echo "not ok $n - $name: keys for the example KeyTable: $keys_made"
		failed=1
	elif out=$("$bin" -n -c "$copy" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
