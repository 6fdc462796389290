#!/bin/sh
# keys_documented - every configuration key the daemon knows (from
# "portcullis -d") appears in the shipped example configuration, so the
# documentation cannot drift from the key table. TAP output.
set -u
bin=${PORTCULLIS:-./portcullis}
src=${srcdir:-.}

keys=$("$bin" -d -c /dev/null | sed -n 's/^\([a-z0-9_]*\) =.*/\1/p')
if [ -z "$keys" ]; then
	echo "1..1"
	echo "not ok 1 - portcullis -d printed no keys"
	exit 1
fi
echo "1..1"
missing=""
for k in $keys; do
	grep -Eq "^#?$k =" "$src/contrib/portcullis.conf" || missing="$missing $k"
done
if [ -z "$missing" ]; then
	echo "ok 1 - every key is in contrib/portcullis.conf"
else
	echo "not ok 1 - missing from contrib/portcullis.conf:$missing"
fi
