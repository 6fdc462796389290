#!/bin/sh
# man_documented - man/portcullis.conf.5 documents exactly the keys the
# daemon knows (from "portcullis -d -c /dev/null"), each with the default
# the daemon uses, so the man page cannot drift from the key table.
# TAP output.
#
# An entry in the page reads (see the comment at its top):
#   .TP
#   .B key
#   \fItype\fR[ range], default \fBvalue\fR     a literal default
#                       default empty          must print as empty
#                       default empty: ...     derived (on_error, the
#                                              host): not compared
set -u
bin=${PORTCULLIS:-./portcullis}
src=${srcdir:-.}
page=$src/man/portcullis.conf.5

echo "1..3"
dump=$("$bin" -d -c /dev/null) || dump=""
if [ -z "$dump" ] || [ ! -r "$page" ]; then
	for n in 1 2 3; do
		echo "not ok $n - need \"$bin -d -c /dev/null\" output and $page"
	done
	exit 1
fi

# The page's entries, one "key<TAB>default" line each; the default is
# the literal value (escapes undone), "<empty>" or "<derived>".
entries=$(awk '
	# unroff - a default as the daemon prints it
	function unroff(s) {
		gsub(/\\-/, "-", s)
		gsub(/\\&/, "", s)
		gsub(/\\\(aq/, "\047", s)
		gsub(/\\e/, "\\", s)
		return s
	}
	prev2 == ".TP" && prev1 ~ /^\.B [a-z0-9_]+$/ && /^\\fI[^\\]+\\fR.*, default / {
		key = substr(prev1, 4)
		def = $0
		sub(/^.*, default /, "", def)
		if (def ~ /^\\fB.*\\fR$/)
			def = unroff(substr(def, 4, length(def) - 6))
		else if (def == "empty")
			def = "<empty>"
		else if (def ~ /^empty: /)
			def = "<derived>"
		else
			def = "<unreadable: " def ">"
		printf "%s\t%s\n", key, def
	}
	{ prev2 = prev1; prev1 = $0 }' "$page")

keys=$(printf '%s\n' "$dump" | sed -n 's/^\([a-z0-9_]*\) =.*/\1/p')
documented=$(printf '%s\n' "$entries" | cut -f1)

# 1: every key has an entry
missing=""
for k in $keys; do
	printf '%s\n' "$documented" | grep -qx "$k" || missing="$missing $k"
done
if [ -z "$missing" ]; then
	echo "ok 1 - every key is in man/portcullis.conf.5"
else
	echo "not ok 1 - missing from man/portcullis.conf.5:$missing"
fi

# 2: every literal default is the daemon's
wrong=$(printf '%s\n' "$entries" | while IFS='	' read -r k def; do
	[ "$def" = "<derived>" ] && continue
	line=$(printf '%s\n' "$dump" | grep -m1 "^$k =") || continue
	val=${line#"$k ="}
	val=${val# }
	[ "$def" = "<empty>" ] && def=""
	[ "$def" = "$val" ] ||
		printf '# %s: page says "%s", portcullis -d says "%s"\n' "$k" "$def" "$val"
done)
if [ -z "$wrong" ]; then
	echo "ok 2 - every default in man/portcullis.conf.5 is the daemon's"
else
	echo "not ok 2 - defaults in man/portcullis.conf.5 differ from portcullis -d"
	printf '%s\n' "$wrong"
fi

# 3: no entry for a key the daemon does not know
stale=""
for k in $documented; do
	printf '%s\n' "$keys" | grep -qx "$k" || stale="$stale $k"
done
if [ -z "$stale" ]; then
	echo "ok 3 - man/portcullis.conf.5 documents no unknown key"
else
	echo "not ok 3 - unknown to portcullis -d but in man/portcullis.conf.5:$stale"
fi
