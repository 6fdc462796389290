#!/bin/bash
# shellcheck source-path=SCRIPTDIR
#
# run.sh - DKIM benchmark: messages per second through Postfix with
# portcullis signing or verifying, side by side with OpenDKIM configured
# the same way, under the same smtp-source load
#
# usage: bench/dkim/run.sh PATH/TO/portcullis
#
# A benchmark, not a test: it prints figures and asserts nothing about
# them. Exit status 0 when it measured, 77 when it cannot run here (not
# root, tools missing), anything else when the rig failed, including a
# milter that did not sign, or did not verify, the check message of its
# configuration. See README.md.
#
# What it sets up, all on loopback and torn down on any exit:
#   - a private network namespace (unshare --net) with only "lo" in it,
#     so that no packet can leave the machine whatever a resolver does,
#     and a private mount namespace where /etc/resolv.conf is a bind
#     mount naming only the fake DNS server;
#   - fakedns_main (bench/dnsbl/fakedns_main.c + tests/unit/fakedns.c,
#     compiled into the work directory) on $BENCH_DNS_ADDR:53, serving
#     the two public keys as TXT records;
#   - an RSA-2048 and an Ed25519 key (openssl genpkey, mode 0600);
#   - a private Postfix (tests/e2e/lib.sh) relaying everything to
#     smtp-sink, with one smtpd listener per milter (and one without);
#   - per transport (unix socket, inet), six milters: portcullis signing
#     with either key and verifying, OpenDKIM the same (Mode s, Mode v;
#     its libunbound forwarding to the fake server: Nameservers);
#   - measure.py, which signs the verify-only messages with python3-dkim,
#     checks one delivered message per configuration, runs smtp-source
#     and prints the tables.
#
# Environment: BENCH_K (runs per figure, default 3, at most 20),
# BENCH_MSGS (messages per run, default 1000), BENCH_SESSIONS (parallel
# SMTP sessions, default 10), BENCH_TRANSPORT (unix, inet or both;
# default both), BENCH_DNS_ADDR (default 127.0.0.153; port 53),
# BENCH_TIMEOUT (seconds for the measuring part, default 600),
# BENCH_KEEP=1 (keep the work directory), BENCH_VERBOSE=1.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$BENCH_DIR/../lib.sh"
bench_usage "$@"
bench_env BENCH_K=3 BENCH_MSGS=1000 BENCH_SESSIONS=10 BENCH_TRANSPORT=both \
	BENCH_DNS_ADDR=127.0.0.153 BENCH_TIMEOUT=600

# The Debian python3, which has python3-dkim; a pyenv python3 on PATH
# does not.
PY=/usr/bin/python3

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	bench_require gcc pkg-config unshare mount ip openssl smtp-source smtp-sink
	[ -x /usr/sbin/opendkim ] || bench_skip "opendkim not found (apt-get install opendkim)"
	"$PY" -c 'import dkim, nacl, dns.resolver' 2>/dev/null ||
		bench_skip "$PY lacks dkim/nacl/dns (apt-get install python3-dkim python3-nacl python3-dnspython)"
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	bench_number BENCH_K "$BENCH_K" 1 20
	bench_number BENCH_MSGS "$BENCH_MSGS" 50 100000
	bench_number BENCH_SESSIONS "$BENCH_SESSIONS" 1 100
	case $BENCH_TRANSPORT in
	unix | inet | both) ;;
	*) echo "bench: BENCH_TRANSPORT must be unix, inet or both" >&2; exit 2 ;;
	esac
	# A private network namespace holds only a loopback interface: the
	# milters' resolvers cannot reach anything but the fake server even
	# if misconfigured. A private mount namespace keeps the bind mount
	# over /etc/resolv.conf in here.
	unshare --net --mount --propagation private -- true 2>/dev/null ||
		bench_skip "unshare --net --mount does not work here"
	bench_reexec --net --mount -- "$@"
fi

ip link set lo up || { echo "bench: cannot bring up lo in the namespace" >&2; exit 1; }

E2E_NAME=bench-dkim
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

# bench_pcl_conf FILE sign|verify [ALG SELECTOR KEY] - a portcullis config doing only that
bench_pcl_conf() {
	{
		echo "# bench/dkim: portcullis, $2 only"
		echo "dns_servers = $BENCH_DNS_ADDR:53"
		echo "spf_verify = no"
		if [ "$2" = sign ]; then
			# Loopback clients are internal: no inbound check at all,
			# and no Authentication-Results.
			echo "internal_networks = 127.0.0.0/8"
			echo "dkim_verify = no"
			echo "auth_results = no"
			echo "dkim_sign_domain = $ORIGIN"
			echo "dkim_sign_selector = $4"
			echo "dkim_sign_key = $5"
		else
			# smtp-source connects from 127.0.0.1: take it out of
			# internal_networks so that it is checked; of the inbound
			# checks only DKIM is left (no lists, no SPF, HELO checks
			# accept whatever they find).
			echo "internal_networks = 192.0.2.255/32"
			echo "dkim_verify = yes"
			echo "auth_results = yes"
			echo "authserv_id = $PCL_AUTHSERV"
			local c
			for c in required invalid non_fqdn bare_ip literal_mismatch impersonation; do
				echo "helo_${c}_action = accept"
			done
		fi
	} >"$1"
	chmod 644 "$1"
}

# bench_odk_conf FILE SOCKET sign|verify [ALG SELECTOR KEY] - an opendkim config doing only that
bench_odk_conf() {
	{
		echo "# bench/dkim: OpenDKIM, $3 only"
		echo "Socket $2"
		# the socket's directory is setgid postfix: group rw for smtpd
		echo "UMask 007"
		# One line per message, as portcullis logs (to a syslog that
		# is not there: both only pay for the attempt).
		echo "Syslog yes"
		echo "SyslogSuccess yes"
		if [ "$3" = sign ]; then
			echo "Mode s"
			echo "InternalHosts 127.0.0.1"
			echo "Domain $ORIGIN"
			echo "Selector $5"
			echo "KeyFile $6"
			echo "SignatureAlgorithm $4"
			echo "Canonicalization relaxed/relaxed"
			echo "SignHeaders $PCL_SIGN_HEADERS"
			echo "OversignHeaders From"
			# the key is 0600, but opendkim refuses it when any directory
			# above is writable by others ("/tmp can be read or written
			# by other users")
			echo "RequireSafeKeys no"
		else
			echo "Mode v"
			# not 127.0.0.1: mail from smtp-source is verified
			echo "InternalHosts 192.0.2.255"
			echo "AuthservID $ODK_AUTHSERV"
			# libunbound forwards to the fake server (it reads no
			# resolv.conf). Not ResolverConfiguration: OpenDKIM makes a
			# libunbound context per message and parses that file each
			# time, and unbound's parser is not reentrant (see README).
			echo "Nameservers $BENCH_DNS_ADDR"
			# portcullis caches DNS answers; this is OpenDKIM's cache
			# (it has no other: the libunbound context, and its cache,
			# live for one message)
			echo "QueryCache yes"
		fi
	} >"$1"
	chmod 644 "$1"
}

# Not under .test: libunbound (OpenDKIM's resolver) answers NXDOMAIN
# for .test names itself, and only a config file could say otherwise.
ORIGIN=bench.example
PCL_AUTHSERV=pcl.$ORIGIN
ODK_AUTHSERV=odk.$ORIGIN
SEL_RSA=rsa2048
SEL_ED=ed25519

# The busy instance of bench_setup; a failing milter makes smtp-source
# fail rather than pass mail unsigned.
bench_setup --main 'milter_content_timeout = 30s'
W=$BENCH_WORK

# The DNS server, built from the unit tests' fakedns.
bench_build_fakedns

# Keys: PKCS#8 PEM for both milters (portcullis refuses a key that
# group or others can read; the daemon reads it after giving up root),
# PKCS#1 and the raw Ed25519 seed for python3-dkim.
KEYS=$W/keys
mkdir -p "$KEYS"
chmod 755 "$KEYS"
(
	umask 077
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" 2>/dev/null &&
		openssl genpkey -algorithm ed25519 -out "$KEYS/ed.pem" 2>/dev/null &&
		openssl pkey -in "$KEYS/rsa.pem" -traditional -out "$KEYS/rsa.pkcs1.pem" &&
		openssl pkey -in "$KEYS/ed.pem" -outform DER | tail -c 32 | base64 -w0 >"$KEYS/ed.seed"
) || { echo "bench: cannot make the keys" >&2; exit 1; }
chown "$E2E_MILTER_USER" "$KEYS/rsa.pem" "$KEYS/ed.pem"
rsa_pub=$(openssl pkey -in "$KEYS/rsa.pem" -pubout -outform DER | base64 -w0)
ed_pub=$(openssl pkey -in "$KEYS/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
rsa_txt="v=DKIM1; k=rsa; p=$rsa_pub"

# The zone: one TXT per key; the RSA one in strings of at most 200 bytes.
{
	echo "\$ORIGIN $ORIGIN."
	echo "\$TTL 3600"
	echo "@ IN SOA ns.$ORIGIN. admin.$ORIGIN. 1 3600 600 86400 3600"
	echo "@ IN NS ns.$ORIGIN."
	echo "ns IN A $BENCH_DNS_ADDR"
	echo "$SEL_RSA._domainkey IN TXT \"${rsa_txt:0:200}\" \"${rsa_txt:200}\""
	echo "$SEL_ED._domainkey IN TXT \"v=DKIM1; k=ed25519; p=$ed_pub\""
} >"$W/zone"

# libc resolvers: only the fake server, in this namespace only.
bench_resolv_conf 2

# portcullis's default sign list (man portcullis.conf, dkim_sign_headers),
# for OpenDKIM's SignHeaders.
PCL_SIGN_HEADERS=$("$PORTCULLIS" -d -c /dev/null 2>/dev/null | sed -n 's/^dkim_sign_headers = //p' | tr -d ' ')
[ -n "$PCL_SIGN_HEADERS" ] || PCL_SIGN_HEADERS=From,To,Cc,Subject,Date,Message-ID,Reply-To,In-Reply-To,References,MIME-Version,Content-Type,Content-Transfer-Encoding,List-Id,List-Unsubscribe,List-Post,List-Help,List-Subscribe,List-Owner,List-Archive

case $BENCH_TRANSPORT in
both) TRANSPORTS="unix inet" ;;
*) TRANSPORTS=$BENCH_TRANSPORT ;;
esac

# The milters: per transport, portcullis and OpenDKIM, each signing
# with the RSA key, signing with the Ed25519 key, and verifying.
declare -A BENCH_SOCKET
ODK_DIR=$E2E_WORK/opendkim
install -d -o root -g postfix -m 2750 "$ODK_DIR"
bench_pcl_conf "$W/pcl.sign-rsa.conf" sign rsa-sha256 "$SEL_RSA" "$KEYS/rsa.pem"
bench_pcl_conf "$W/pcl.sign-ed.conf" sign ed25519-sha256 "$SEL_ED" "$KEYS/ed.pem"
bench_pcl_conf "$W/pcl.verify.conf" verify
"$PORTCULLIS" -n -c "$W/pcl.sign-rsa.conf" || { echo "bench: bad portcullis config" >&2; exit 1; }
# Every port at once (_e2e_free_ports only avoids ports in use): 6
# smtpd listeners per transport, 6 inet milters, the baseline listener.
read -r -a PORTS <<<"$(_e2e_free_ports 19)"
[ "${#PORTS[@]}" -eq 19 ] || { echo "bench: no free ports" >&2; exit 1; }
# bench_port - the next free port, in $PORT
bench_port() {
	PORT=${PORTS[0]}
	PORTS=("${PORTS[@]:1}")
}
for tr in $TRANSPORTS; do
	for role in sign-rsa sign-ed verify; do
		case $role in
		sign-rsa) oargs=(sign rsa-sha256 "$SEL_RSA" "$KEYS/rsa.pem") ;;
		sign-ed) oargs=(sign ed25519-sha256 "$SEL_ED" "$KEYS/ed.pem") ;;
		verify) oargs=(verify) ;;
		esac
		if [ "$tr" = unix ]; then
			psock=unix:$E2E_WORK/milter/$role.sock
			osock=unix:$ODK_DIR/$role.sock
			BENCH_SOCKET[pcl-$role-$tr]=$psock
			BENCH_SOCKET[odk-$role-$tr]=$osock
			bench_odk_conf "$W/odk.$role.$tr.conf" "local:${osock#unix:}" "${oargs[@]}"
			bench_start_portcullis "pcl-$role-$tr" "$psock" "$W/pcl.$role.conf"
		else
			# Postfix writes inet:HOST:PORT, libmilter inet:PORT@HOST
			bench_port
			BENCH_SOCKET[pcl-$role-$tr]=inet:127.0.0.1:$PORT
			bench_start_portcullis "pcl-$role-$tr" "inet:$PORT@127.0.0.1" "$W/pcl.$role.conf"
			bench_port
			BENCH_SOCKET[odk-$role-$tr]=inet:127.0.0.1:$PORT
			bench_odk_conf "$W/odk.$role.$tr.conf" "inet:$PORT@127.0.0.1" "${oargs[@]}"
		fi
		bench_start_group "odk-$role-$tr" opendkim /usr/sbin/opendkim -f -x "$W/odk.$role.$tr.conf"
		BENCH_SOCKETS+=("${BENCH_SOCKET[pcl-$role-$tr]}" "${BENCH_SOCKET[odk-$role-$tr]}")
	done
done
bench_wait_milters "a milter" portcullis opendkim

# One smtpd listener per milter, and one without (the baseline). The
# configurations measure.py runs, one line each:
#   NAME PORT PGID KIND ALG IMPL TRANSPORT
# KIND base, sign or verify; PGID "-" for the baseline.
bench_port
echo "127.0.0.1:$PORT inet n - n - - smtpd" >>"$E2E_CONF/master.cf"
CONFIGS=$W/configs
echo "base $PORT - base - none -" >"$CONFIGS"
for tr in $TRANSPORTS; do
	for impl in pcl odk; do
		for role in sign-rsa sign-ed verify; do
			name=$impl-$role-$tr
			sock=${BENCH_SOCKET[$name]}
			bench_port
			echo "127.0.0.1:$PORT inet n - n - - smtpd -o smtpd_milters=$sock" >>"$E2E_CONF/master.cf"
			case $role in
			sign-rsa) echo "$name $PORT ${BENCH_PGID[$name]} sign rsa $impl $tr" ;;
			sign-ed) echo "$name $PORT ${BENCH_PGID[$name]} sign ed $impl $tr" ;;
			verify)
				echo "$impl-verify-rsa-$tr $PORT ${BENCH_PGID[$name]} verify rsa $impl $tr"
				echo "$impl-verify-ed-$tr $PORT ${BENCH_PGID[$name]} verify ed $impl $tr"
				;;
			esac >>"$CONFIGS"
		done
	done
done
# shellcheck disable=SC2119 # no main.cf change: a restart
e2e_postfix_reconfigure >/dev/null
while read -r name port _; do
	_e2e_wait_until 10 _e2e_banner "$port" || { echo "bench: no smtpd for $name on 127.0.0.1:$port" >&2; tail -n 20 "$E2E_MAILLOG" >&2; exit 1; }
done <"$CONFIGS"

bench_measure "$PY" "$BENCH_DIR/measure.py" \
	--fakedns "$W/fakedns_main" --dns "$BENCH_DNS_ADDR:53" --zone "$W/zone" \
	--pidfile "$W/fakedns.pid" --work "$W" --sink "$E2E_SINK_DIR" --sink-pid "$E2E_SINK_PID" \
	--postfix-pgid "$E2E_MASTER_PID" \
	--message "$BENCH_DIR/message.eml" --domain "$ORIGIN" \
	--rsa "$SEL_RSA:$KEYS/rsa.pkcs1.pem" --ed "$SEL_ED:$KEYS/ed.seed" \
	--sign-headers "$PCL_SIGN_HEADERS" \
	--authserv "pcl=$PCL_AUTHSERV" --authserv "odk=$ODK_AUTHSERV" \
	--configs "$CONFIGS" --k "$BENCH_K" --msgs "$BENCH_MSGS" \
	--sessions "$BENCH_SESSIONS"
exit  # measure.py's status
