# shellcheck shell=bash
#
# dns.sh - a real DNS server for the end-to-end tests: unbound on 127.0.0.1
#
# Sourced after lib.sh by the tests that need DNS:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/dns.sh"
#   e2e_setup
#   zone=$(e2e_dns_zone bl.test <<'EOF'
#   2.2.0.192  IN A    127.0.0.2
#   2.2.0.192  IN TXT  "listed"
#   EOF
#   )
#   e2e_dns_start --drop to.test --servfail sf.test "$zone"
#   e2e_write_conf <<EOF
#   dns_servers = $E2E_DNS_SERVER
#   EOF
#   ...
#   e2e_dns_stop
#
# The server: Debian's unbound (package "unbound"), in the foreground as
# a child of the test, with its own config, pid file and log in
# $E2E_DNS_DIR. It listens on 127.0.0.1:$E2E_DNS_PORT (UDP and TCP; a
# free port, not 53: portcullis takes host:port in dns_servers) and
# answers authoritatively from its auth-zones, one per zone file. It
# never talks to the internet:
#   - module-config is "iterator" alone (no validator, no trust anchor);
#   - "local-zone: . refuse" answers REFUSED at once for every name
#     outside the test zones (each test zone is "transparent" so that
#     its auth-zone answers), so the iterator and the root hints are never
#     used;
#   - as a second fence, "." is forwarded to a loopback port where
#     nothing listens, and outgoing-interface is 127.0.0.1.
# Failures on demand, per zone:
#   --drop ZONE      "local-zone: ZONE deny": unbound drops every query for
#                    ZONE and below without an answer, so clients time
#                    out (portcullis's dns_timeout, not unbound's)
#   --servfail ZONE  an auth-zone with an empty zone file and no fallback:
#                    unbound answers SERVFAIL at once
# (A zone forwarded to a dead loopback port does NOT make a quick
# SERVFAIL: unbound 1.17 keeps retrying for well over 15 s, so a client
# sees a timeout. Hence the two mechanisms above.)
#
# Every query unbound receives is logged (log-queries) as
#   "... info: 127.0.0.1 NAME. TYPE IN"; e2e_dns_queries counts them, so a
# test can prove that portcullis answered from its cache.
#
# Public helpers:
#   e2e_dns_require               exit 77 unless unbound is installed
#   e2e_dns_zone ZONE [TTL]       write $E2E_DNS_DIR/ZONE.zone (SOA, NS
#                                 added) from the records on stdin; print
#                                 its path
#   e2e_dns_start [--drop ZONE]... [--servfail ZONE]... [--port53]
#                 ZONEFILE...     start unbound (bails when it cannot);
#                                 the zone's name is the file's $ORIGIN,
#                                 else its name without ".zone";
#                                 --port53: also on $E2E_DNS_LIBC_ADDR:53,
#                                 for e2e_dns_libc
#   e2e_dns_libc CMD [ARG]...     run CMD with the libc resolver asking
#                                 unbound (started with --port53): in a
#                                 private mount namespace whose
#                                 /etc/resolv.conf names only
#                                 $E2E_DNS_LIBC_ADDR (the system's file is
#                                 not touched); for programs that take
#                                 no server or port, like
#                                 opendkim-testmsg
#   e2e_dns_stop                  stop it (also run at exit)
#   e2e_dns_query NAME [TYPE]     ask it directly (python3, no resolver
#                                 library): "RCODE" then "TYPE DATA" lines,
#                                 or "TIMEOUT"
#   e2e_dns_mark                  start the e2e_dns_queries window here
#   e2e_dns_queries NAME [TYPE]   print how many queries for NAME (of
#                                 TYPE, or any) unbound got since the mark
#   e2e_expect_secret_absent SECRET NAME [ALLOWED_FILE...]
#                                 assert no file under $E2E_WORK holds
#                                 SECRET (any case) but the allowed ones
#                                 and unbound's own files
# Variables: E2E_DNS_DIR E2E_DNS_PORT E2E_DNS_SERVER (127.0.0.1:PORT)
# E2E_DNS_CONF E2E_DNS_LOG E2E_DNS_PID E2E_DNS_LIBC_ADDR.

: "${E2E_DNS_START_TIMEOUT:=10}" # seconds for unbound to answer after start
: "${E2E_DNS_STOP_TIMEOUT:=5}"   # seconds for unbound to exit on SIGTERM
: "${E2E_DNS_LIBC_ADDR:=127.0.0.154}" # --port53: where unbound also listens, port 53
E2E_DNS_PID=
E2E_DNS_MARK=0

# e2e_dns_require - exit 77 (skip) unless unbound is installed
e2e_dns_require() {
	if ! command -v unbound >/dev/null 2>&1 && [ ! -x /usr/sbin/unbound ]; then
		echo "e2e: skipped: 'unbound' not found (apt-get install unbound)" >&2
		exit 77
	fi
}

# _e2e_dns_bin - print the path of the unbound binary
_e2e_dns_bin() {
	command -v unbound 2>/dev/null || echo /usr/sbin/unbound
}

# _e2e_dns_dir - create (once) and set $E2E_DNS_DIR under the work dir
_e2e_dns_dir() {
	: "${E2E_DNS_DIR:=$E2E_WORK/dns.$E2E_NAME}"
	mkdir -p "$E2E_DNS_DIR"
}

# _e2e_dns_free_port - print a port free for both UDP and TCP on 127.0.0.1
_e2e_dns_free_port() {
	python3 - <<'EOF'
import random, socket
while True:
    port = random.randint(20000, 32000)
    held = []
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind)
            held.append(s)
            s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        for s in held:
            s.close()
    print(port)
    break
EOF
}

# e2e_dns_zone ZONE [TTL] - write ZONE's zone file (SOA and NS added) from the records on stdin; print its path
e2e_dns_zone() {
	local zone=${1%.} ttl=${2:-300} file
	_e2e_dns_dir
	file=$E2E_DNS_DIR/$zone.zone
	{
		printf '%s %s.\n%s %s\n' "\$ORIGIN" "$zone" "\$TTL" "$ttl"
		# The SOA minimum is the negative-caching TTL (RFC 2308).
		printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %s\n' "$zone" "$zone" "$ttl"
		printf '@ IN NS ns.%s.\n' "$zone"
		cat
	} >"$file"
	printf '%s\n' "$file"
}

# _e2e_dns_zone_name FILE - print the zone a zone file is for ($ORIGIN, else the file name)
_e2e_dns_zone_name() {
	local origin
	origin=$(awk 'toupper($1) == "$ORIGIN" { print $2; exit }' "$1")
	[ -n "$origin" ] || origin=$(basename "$1" .zone)
	printf '%s\n' "${origin%.}"
}

# _e2e_dns_write_conf DEAD_PORT DROP SERVFAIL FILE... - write unbound.conf (DROP, SERVFAIL: space-separated zones)
_e2e_dns_write_conf() {
	local dead=$1 drop=$2 servfail=$3 port53=$4 z f
	shift 4
	{
		cat <<EOF
# unbound for the portcullis e2e tests: authoritative for test zones on
# loopback, no internet access of any kind.
server:
	interface: 127.0.0.1@$E2E_DNS_PORT
${port53:+	interface: $E2E_DNS_LIBC_ADDR@53
}	port: $E2E_DNS_PORT
	do-ip4: yes
	do-ip6: no
	do-udp: yes
	do-tcp: yes
	num-threads: 1
	username: ""
	chroot: ""
	directory: "$E2E_DNS_DIR"
	pidfile: "$E2E_DNS_DIR/unbound.pid"
	logfile: "$E2E_DNS_LOG"
	use-syslog: no
	log-time-ascii: yes
	log-queries: yes
	verbosity: 1
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	do-not-query-localhost: no
	outgoing-interface: 127.0.0.1
	prefetch: no
	# Names outside the test zones: REFUSED at once, never looked up.
	local-zone: "." refuse
EOF
		for f in "$@"; do
			printf '\tlocal-zone: "%s." transparent\n' "$(_e2e_dns_zone_name "$f")"
		done
		for z in $servfail; do
			printf '\tlocal-zone: "%s." transparent\n' "${z%.}"
		done
		for z in $drop; do
			printf '\tlocal-zone: "%s." deny\n' "${z%.}"
		done
		for f in "$@"; do
			printf 'auth-zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$(_e2e_dns_zone_name "$f")" "$f"
			printf '\tfor-downstream: yes\n\tfor-upstream: no\n\tfallback-enabled: no\n'
		done
		for z in $servfail; do
			: >"$E2E_DNS_DIR/servfail.${z%.}.zone"
			printf 'auth-zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "${z%.}" "$E2E_DNS_DIR/servfail.${z%.}.zone"
			printf '\tfor-downstream: yes\n\tfor-upstream: no\n\tfallback-enabled: no\n'
		done
		cat <<EOF
# A second fence: anything that did reach the iterator would go to a
# loopback port where nothing listens.
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$dead
remote-control:
	control-enable: no
EOF
	} >"$E2E_DNS_CONF"
}

# e2e_dns_query NAME [TYPE] - ask the test server for NAME (A): "RCODE", then one "TYPE DATA" line per answer, or "TIMEOUT"
e2e_dns_query() {
	python3 - "$E2E_DNS_PORT" "$1" "${2:-A}" <<'EOF'
import random, socket, struct, sys
port, name, qtype = int(sys.argv[1]), sys.argv[2].rstrip("."), sys.argv[3].upper()
TYPES = {"A": 1, "NS": 2, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]
qid = random.randint(0, 65535)
qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"
query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", TYPES[qtype], 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("127.0.0.1", port))
s.send(query)
try:
    while True:
        reply = s.recv(65535)
        if reply[:2] == query[:2]:
            break
except (socket.timeout, ConnectionRefusedError):
    print("TIMEOUT")
    sys.exit(0)

def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0:
            return off + 2
        off += n + 1

_, flags, qd, an, _, _ = struct.unpack(">HHHHHH", reply[:12])
rcode = flags & 15
print(RCODES[rcode] if rcode < len(RCODES) else "RCODE%d" % rcode)
off = 12
for _ in range(qd):
    off = skip_name(reply, off) + 4
for _ in range(an):
    off = skip_name(reply, off)
    rtype, _, _, rdlen = struct.unpack(">HHIH", reply[off:off + 10])
    rdata = reply[off + 10:off + 10 + rdlen]
    off += 10 + rdlen
    if rtype == 1:
        print("A", socket.inet_ntop(socket.AF_INET, rdata))
    elif rtype == 28:
        print("AAAA", socket.inet_ntop(socket.AF_INET6, rdata))
    elif rtype == 16:
        parts, i = [], 0
        while i < len(rdata):
            parts.append(rdata[i + 1:i + 1 + rdata[i]].decode("latin-1"))
            i += 1 + rdata[i]
        print("TXT", "".join(parts))
    else:
        print("TYPE%d" % rtype, rdata.hex())
EOF
}

# _e2e_dns_ready NAME - true once unbound answers NAME's SOA, or has died
_e2e_dns_ready() {
	_e2e_dead "$E2E_DNS_PID" && return 0
	[ "$(e2e_dns_query "$1" SOA | head -n 1)" = NOERROR ]
}

# _e2e_dns_kill - stop unbound: SIGTERM, then SIGKILL after E2E_DNS_STOP_TIMEOUT
_e2e_dns_kill() {
	[ -n "${E2E_DNS_PID:-}" ] || return 0
	kill -TERM "$E2E_DNS_PID" 2>/dev/null
	if ! _e2e_wait_until "$E2E_DNS_STOP_TIMEOUT" _e2e_dead "$E2E_DNS_PID"; then
		echo "# unbound (pid $E2E_DNS_PID) ignores SIGTERM; killing it" >&2
		kill -KILL "$E2E_DNS_PID" 2>/dev/null
	fi
	wait "$E2E_DNS_PID" 2>/dev/null
	E2E_DNS_PID=
}

# _e2e_dns_hook_exit - run _e2e_dns_kill at exit, before lib.sh's teardown removes the work dir
_e2e_dns_hook_exit() {
	local prev
	[ "${_E2E_DNS_HOOKED:-no}" = yes ] && return 0
	prev=$(trap -p EXIT)
	# "trap -- 'CMD' EXIT", quoted for the shell: the third word is CMD.
	eval "local -a words=($prev)"
	prev=${words[2]:-}
	# shellcheck disable=SC2064 # the previous command is expanded now, on purpose
	trap "_e2e_dns_kill${prev:+; $prev}" EXIT
	_E2E_DNS_HOOKED=yes
}

# e2e_dns_start [--drop ZONE]... [--servfail ZONE]... ZONEFILE... - start unbound for these zones; bail if it fails
e2e_dns_start() {
	local drop="" servfail="" port53="" dead first
	while [ $# -gt 0 ]; do
		case $1 in
		--port53) port53=yes ;;
		--drop) drop="$drop $2"; shift ;;
		--servfail) servfail="$servfail $2"; shift ;;
		--) shift; break ;;
		-*) echo "e2e_dns_start: unknown option $1" >&2; exit 2 ;;
		*) break ;;
		esac
		shift
	done
	[ $# -gt 0 ] || e2e_bail "e2e_dns_start: no zone file"
	e2e_dns_require
	_e2e_dns_dir
	E2E_DNS_CONF=$E2E_DNS_DIR/unbound.conf
	E2E_DNS_LOG=$E2E_DNS_DIR/unbound.log
	E2E_DNS_PORT=$(_e2e_dns_free_port) || e2e_bail "dns: no free port"
	dead=$(_e2e_dns_free_port) || e2e_bail "dns: no free port"
	E2E_DNS_SERVER=127.0.0.1:$E2E_DNS_PORT
	_e2e_dns_write_conf "$dead" "$drop" "$servfail" "$port53" "$@"
	if ! unbound-checkconf "$E2E_DNS_CONF" >"$E2E_DNS_DIR/checkconf.out" 2>&1; then
		e2e_diag "$(cat "$E2E_DNS_DIR/checkconf.out")"
		e2e_bail "dns: unbound-checkconf $E2E_DNS_CONF"
	fi
	_e2e_dns_hook_exit
	: >"$E2E_DNS_LOG"
	"$(_e2e_dns_bin)" -d -c "$E2E_DNS_CONF" >"$E2E_DNS_DIR/unbound.out" 2>&1 &
	E2E_DNS_PID=$!
	first=$(_e2e_dns_zone_name "$1")
	if ! _e2e_wait_until "$E2E_DNS_START_TIMEOUT" _e2e_dns_ready "$first" || _e2e_dead "$E2E_DNS_PID"; then
		e2e_diag "$(tail -n 20 "$E2E_DNS_DIR/unbound.out" "$E2E_DNS_LOG" 2>/dev/null)"
		_e2e_dns_kill
		e2e_bail "dns: unbound on $E2E_DNS_SERVER answers for $first"
	fi
	e2e_dns_mark
	printf '# dns: unbound pid %s on %s, zones:%s%s%s\n' "$E2E_DNS_PID" "$E2E_DNS_SERVER" \
		"$(for f in "$@"; do printf ' %s' "$(_e2e_dns_zone_name "$f")"; done)" \
		"${drop:+, dropped:$drop}" "${servfail:+, SERVFAIL:$servfail}"
}

# e2e_dns_libc CMD [ARG]... - run CMD with the libc resolver asking unbound's --port53 address
e2e_dns_libc() {
	printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$E2E_DNS_LIBC_ADDR" >"$E2E_DNS_DIR/resolv.conf"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$E2E_DNS_DIR/resolv.conf" "$@"
}

# e2e_dns_stop - stop unbound (bounded); true if it was running
e2e_dns_stop() {
	[ -n "${E2E_DNS_PID:-}" ] || return 1
	_e2e_dns_kill
}

# e2e_dns_mark - start the window of e2e_dns_queries here
e2e_dns_mark() {
	E2E_DNS_MARK=$(_e2e_size "$E2E_DNS_LOG")
}

# e2e_dns_queries NAME [TYPE] - print how many queries for NAME (TYPE, or any type) unbound logged since e2e_dns_mark
e2e_dns_queries() {
	local name=${1%.} type=${2:-}
	# "[...] unbound[PID:0] info: 127.0.0.1 NAME. TYPE IN"; names are
	# compared without case (DNS is case-insensitive; 0x20 may mix it).
	tail -c +"$((E2E_DNS_MARK + 1))" "$E2E_DNS_LOG" 2>/dev/null |
		awk -v n="${name,,}." -v t="${type^^}" '
		$0 ~ / info: [0-9.:a-f]+ [^ ]+ [A-Z0-9]+ IN$/ {
			if (tolower($(NF - 2)) == n && (t == "" || $(NF - 1) == t)) c++
		}
		END { print c + 0 }'
}

# e2e_expect_secret_absent SECRET NAME [ALLOWED_FILE...] - assert no file under $E2E_WORK holds SECRET (any case) except the allowed ones and unbound's
e2e_expect_secret_absent() {
	local secret=$1 name=$2 f allowed n=0
	local -a hits=()
	shift 2
	while IFS= read -r -d '' f; do
		n=$((n + 1))
		# unbound's own files (its log has the query names) are allowed.
		case $f in "${E2E_DNS_DIR:-/nonexistent}"/*) continue ;; esac
		for allowed in "$@"; do
			[ "$f" = "$allowed" ] && continue 2
		done
		grep -qiF -- "$secret" "$f" 2>/dev/null && hits+=("$f")
	done < <(find "$E2E_WORK" -type f -print0 2>/dev/null)
	if [ ${#hits[@]} -eq 0 ]; then
		e2e_ok "$name ($n files scanned)"
	else
		e2e_not_ok "$name" "found in: ${hits[*]}" \
			"$(grep -iF -- "$secret" "${hits[@]}" 2>/dev/null | head -n 5)"
	fi
}
