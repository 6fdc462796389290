#!/bin/sh
# examples_valid - every example configuration in contrib/examples/ loads:
# "portcullis -n" on each, with the /etc/postfix/... map paths it names
# rewritten to the copies shipped in contrib/examples/maps/, so the
# example map files are checked too. The copies go to a temporary
# directory: the source tree may be read-only (make distcheck). Nothing
# here sends a query: -n only loads. TAP output.
set -u
bin=${PORTCULLIS:-./portcullis}
src=$(cd "${srcdir:-.}" && pwd)
examples="$src/contrib/examples"
maps="$examples/maps"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/examples_valid.XXXXXX") || {
	echo "1..1"
	echo "not ok 1 - cannot create a temporary directory"
	exit 1
}
trap 'rm -rf "$tmp"' EXIT HUP INT TERM

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
	sed "s|/etc/postfix/|$maps/|g" "$conf" >"$copy"
	if out=$("$bin" -n -c "$copy" 2>&1); then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=1
	fi
done
exit $failed
