#!/bin/bash
# shellcheck source-path=SCRIPTDIR
#
# run.sh - the whole-chain benchmark (issue 11): messages per second and
# milter CPU per message through one private Postfix with no milter,
# with portcullis, with rspamd 3.4 and with OpenDKIM, each doing the
# same work on the same messages, the chains alternated in one run
#
# usage: bench/chain/run.sh [PATH/TO/portcullis]
#        (default: the first ./build*/portcullis)
# Run it under the lock the e2e tests share:
#        flock /tmp/portcullis-e2e.lock bench/chain/run.sh build/portcullis
#
# A benchmark, not a test: it prints figures and asserts nothing about
# them. Exit status 0 when it measured, 77 when it cannot run here (not
# root, tools missing), anything else when the rig failed, including a
# milter that did not do its work on every delivered message. See
# README.md.
#
# The work, per message (2,000 x ~1 KiB, 20 sessions, each from a
# client claimed in a PROXY protocol header: 192.0.2.10, or with
# BENCH_CLIENTS=many a new one from 198.18.0.0/15 every session, so that
# no DNS list answer is ever cached; see README.md):
#   - three DNS lists on the client address: a zen-like list, a DQS-style
#     zone with a (fake) key label, a DNSWL;
#   - SPF for the envelope sender (pass);
#   - DKIM verification of the signature the message carries (RSA-2048,
#     made in advance with python3-dkim; pass);
#   - DKIM signing with an RSA-2048 and an Ed25519 key (dual);
#   - an Authentication-Results header.
# portcullis and rspamd do all of it; OpenDKIM the DKIM part (one
# verifier and one signer per algorithm: three milters).
#
# What it sets up, all on loopback and torn down on any exit:
#   - a private network namespace (unshare --net) holding only "lo": no
#     milter can send a packet anywhere else whatever its configuration;
#     a private mount namespace where /etc/resolv.conf names only the
#     fake DNS server;
#   - fakedns_main (bench/dnsbl) on $BENCH_DNS_ADDR:53 serving
#     bench.example: the SPF record, three DKIM keys, the three lists;
#   - keys: RSA-2048 and Ed25519 for signing (the same keys for every
#     milter, in the form each wants), an RSA-2048 "ext" key that signs
#     the messages in advance;
#   - a private Postfix (tests/e2e/lib.sh) relaying to smtp-sink, one
#     smtpd listener per chain, each taking the haproxy protocol;
#   - portcullis, a private rspamd (rspamd_proxy in milter mode,
#     self_scan, only rbl/spf/dkim/dkim_signing/milter_headers; not the
#     package's service), three opendkim;
#   - measure.py: signs the message, checks one message per chain, runs
#     the rounds (its SMTP client: 20 threads, a PROXY header, then one
#     message per session), checks every delivered message, prints the
#     table.
#
# Environment: BENCH_K (rounds, default 3, at most 20), BENCH_MSGS
# (messages per run, default 2000), BENCH_SESSIONS (default 20),
# BENCH_WARMUP (messages per chain before the rounds, default 200),
# BENCH_CLIENTS (one: every session from 192.0.2.10; many: a new client
# address every session; default one),
# BENCH_TRANSPORT (inet or unix: how Postfix reaches the milters;
# default inet), BENCH_DNS_ADDR (default 127.0.0.153; port 53),
# BENCH_TIMEOUT (seconds for the measuring part, default 1800),
# BENCH_DMARC (yes: portcullis evaluates DMARC, the domain publishing
# p=reject, aligned by DKIM; no: dmarc_verify = no; default yes: run
# both to see what DMARC adds per message),
# BENCH_KEEP=1 (keep the work directory), BENCH_VERBOSE=1.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$BENCH_DIR/../lib.sh"
if [ $# -eq 0 ]; then
	for b in "$TOP"/build*/portcullis; do
		[ -x "$b" ] && set -- "$b" && break
	done
fi
bench_usage "$@"
bench_env BENCH_K=3 BENCH_MSGS=2000 BENCH_SESSIONS=20 BENCH_WARMUP=200 \
	BENCH_CLIENTS=one BENCH_TRANSPORT=inet BENCH_DNS_ADDR=127.0.0.153 BENCH_TIMEOUT=1800 \
	BENCH_DMARC=yes

# Debian's python3, which has python3-dkim; a pyenv python3 on PATH
# does not.
PY=/usr/bin/python3

if [ -z "${BENCH_IN_NAMESPACE:-}" ]; then
	bench_require gcc pkg-config unshare mount ip openssl smtp-sink
	[ -x /usr/sbin/opendkim ] || bench_skip "opendkim not found (apt-get install opendkim)"
	[ -x /usr/bin/rspamd ] || bench_skip "rspamd not found (apt-get install rspamd)"
	/usr/bin/rspamd --version 2>/dev/null | grep -q 'version 3\.' ||
		bench_skip "rspamd is not 3.x: $(/usr/bin/rspamd --version 2>&1 | head -n 1)"
	getent passwd _rspamd >/dev/null || bench_skip "no _rspamd user (the rspamd package makes it)"
	"$PY" -c 'import dkim, nacl, dns.resolver' 2>/dev/null ||
		bench_skip "$PY lacks dkim/nacl/dns (apt-get install python3-dkim python3-nacl python3-dnspython)"
	pkg-config --exists ldns || bench_skip "ldns development files not found (libldns-dev)"
	[ -x "$PORTCULLIS" ] || { echo "bench: $PORTCULLIS is not executable" >&2; exit 2; }
	bench_number BENCH_K "$BENCH_K" 1 20
	case $BENCH_DMARC in
	yes | no) ;;
	*) echo "bench: BENCH_DMARC must be yes or no" >&2; exit 2 ;;
	esac
	bench_number BENCH_MSGS "$BENCH_MSGS" 50 100000
	bench_number BENCH_SESSIONS "$BENCH_SESSIONS" 1 100
	bench_number BENCH_WARMUP "$BENCH_WARMUP" 0 100000
	case $BENCH_CLIENTS in
	one | many) ;;
	*) echo "bench: BENCH_CLIENTS must be one or many" >&2; exit 2 ;;
	esac
	case $BENCH_TRANSPORT in
	unix | inet) ;;
	*) echo "bench: BENCH_TRANSPORT must be inet or unix" >&2; exit 2 ;;
	esac
	unshare --net --mount --propagation private -- true 2>/dev/null ||
		bench_skip "unshare --net --mount does not work here"
	bench_reexec --net --mount -- "$@"
fi

ip link set lo up || { echo "bench: cannot bring up lo in the namespace" >&2; exit 1; }

E2E_NAME=bench-chain
# rspamd's first start compiles the public suffix list (about 10 s)
E2E_MILTER_START_TIMEOUT=120
# shellcheck source=../../tests/e2e/lib.sh
. "$TOP/tests/e2e/lib.sh"

# Not under .test: libunbound (OpenDKIM's resolver) answers NXDOMAIN for
# .test itself.
ORIGIN=bench.example
SENDER=anna.weber@$ORIGIN
PCL_AUTHSERV=pcl.$ORIGIN
ODK_AUTHSERV=odk.$ORIGIN
SEL_RSA=rsa2048
SEL_ED=ed25519
SEL_EXT=ext
# The load's client, claimed in the PROXY protocol header of every
# session (no packet goes there: the namespace has only "lo"). Not a
# loopback address: portcullis never checks SPF for a loopback client,
# and rspamd treats one as local. BENCH_CLIENTS=many: a new address of
# CLIENTS_MANY (the benchmarking range of RFC 2544) every session.
CLIENT=192.0.2.10
CLIENTS_MANY=198.18.0.0/15
# The three lists. The DQS-style zone carries a key label, as Spamhaus's
# Data Query Service does; the key is made up.
DQS_KEY=bnchk3yq4d7xw2mzp5r6s8t9uv
LIST_ZEN=zen.$ORIGIN
LIST_DQS=$DQS_KEY.zen.dq.$ORIGIN
LIST_WL=list.dnswl.$ORIGIN

bench_setup --main 'milter_content_timeout = 30s'
W=$BENCH_WORK
bench_build_fakedns

# --- keys -------------------------------------------------------------------
# One RSA-2048 and one Ed25519 signing key, PKCS#8 PEM; copies in the
# form and with the owner each milter wants: portcullis (its user, 0600),
# rspamd (_rspamd; Ed25519 as base64 of seed || public key), OpenDKIM
# (root). The "ext" key signs the messages before they are sent.
KEYS=$W/keys
mkdir -p "$KEYS"
chmod 755 "$KEYS"
(
	umask 077
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" 2>/dev/null &&
		openssl genpkey -algorithm ed25519 -out "$KEYS/ed.pem" 2>/dev/null &&
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/ext.pem" 2>/dev/null &&
		openssl pkey -in "$KEYS/ext.pem" -traditional -out "$KEYS/ext.pkcs1.pem" &&
		openssl pkey -in "$KEYS/rsa.pem" -traditional -out "$KEYS/rsa.pkcs1.pem" &&
		openssl pkey -in "$KEYS/ed.pem" -outform DER | tail -c 32 | base64 -w0 >"$KEYS/ed.seed" &&
		mkdir "$KEYS/pcl" "$KEYS/rspamd" "$KEYS/odk" &&
		cp "$KEYS/rsa.pem" "$KEYS/ed.pem" "$KEYS/pcl/" &&
		cp "$KEYS/rsa.pem" "$KEYS/ed.pem" "$KEYS/odk/" &&
		cp "$KEYS/rsa.pem" "$KEYS/rspamd/rsa.pem" &&
		{ openssl pkey -in "$KEYS/ed.pem" -outform DER | tail -c 32 &&
			openssl pkey -in "$KEYS/ed.pem" -pubout -outform DER | tail -c 32; } |
		base64 -w0 >"$KEYS/rspamd/ed.key"
) || { echo "bench: cannot make the keys" >&2; exit 1; }
chown -R "$E2E_MILTER_USER" "$KEYS/pcl"
chown -R _rspamd:_rspamd "$KEYS/rspamd"
rsa_pub=$(openssl pkey -in "$KEYS/rsa.pem" -pubout -outform DER | base64 -w0)
ext_pub=$(openssl pkey -in "$KEYS/ext.pem" -pubout -outform DER | base64 -w0)
ed_pub=$(openssl pkey -in "$KEYS/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)
rsa_txt="v=DKIM1; k=rsa; p=$rsa_pub"
ext_txt="v=DKIM1; k=rsa; p=$ext_pub"

# --- the zone -------------------------------------------------------------------
# The client ($CLIENT) is on no list: every list answers NXDOMAIN, so
# every milter asks all three and goes on. 127.0.0.2 is listed
# everywhere, as the real lists' test entry. SPF: the clients pass.
{
	echo "\$ORIGIN $ORIGIN."
	echo "\$TTL 3600"
	echo "@ IN SOA ns.$ORIGIN. admin.$ORIGIN. 1 3600 600 86400 3600"
	echo "@ IN NS ns.$ORIGIN."
	echo "ns IN A $BENCH_DNS_ADDR"
	echo "@ IN TXT \"v=spf1 ip4:192.0.2.0/24 ip4:$CLIENTS_MANY -all\""
	echo "$SEL_RSA._domainkey IN TXT \"${rsa_txt:0:200}\" \"${rsa_txt:200}\""
	echo "$SEL_EXT._domainkey IN TXT \"${ext_txt:0:200}\" \"${ext_txt:200}\""
	echo "$SEL_ED._domainkey IN TXT \"v=DKIM1; k=ed25519; p=$ed_pub\""
	echo "_dmarc IN TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@$ORIGIN\""
	for l in "$LIST_ZEN" "$LIST_DQS"; do
		echo "2.0.0.127.$l. IN A 127.0.0.2"
		echo "2.0.0.127.$l. IN TXT \"bench: test entry\""
	done
	echo "2.0.0.127.$LIST_WL. IN A 127.0.10.3"
} >"$W/zone"

# libc resolvers (Postfix): only the fake server, in this namespace only.
bench_resolv_conf 2

# portcullis's default sign list, for the other two signers.
PCL_SIGN_HEADERS=$("$PORTCULLIS" -d -c /dev/null 2>/dev/null | sed -n 's/^dkim_sign_headers = //p' | tr -d ' ')
[ -n "$PCL_SIGN_HEADERS" ] || PCL_SIGN_HEADERS=From,To,Cc,Subject,Date,Message-ID,Reply-To,In-Reply-To,References,MIME-Version,Content-Type,Content-Transfer-Encoding,List-Id,List-Unsubscribe,List-Post,List-Help,List-Subscribe,List-Owner,List-Archive

# --- sockets and ports --------------------------------------------------------
# 4 smtpd listeners, 5 inet milters.
read -r -a PORTS <<<"$(_e2e_free_ports 9)"
[ "${#PORTS[@]}" -eq 9 ] || { echo "bench: no free ports" >&2; exit 1; }
read -r P_BASE P_PCL P_RSP P_ODK M_PCL M_RSP M_ODKV M_ODKR M_ODKE <<<"${PORTS[*]}"
SOCKDIR=$E2E_WORK/milter
ODK_DIR=$E2E_WORK/opendkim
RSP_DIR=$W/rspamd
install -d -o root -g postfix -m 2750 "$ODK_DIR"
install -d -o _rspamd -g _rspamd -m 755 "$RSP_DIR" "$RSP_DIR/run" "$RSP_DIR/db" "$RSP_DIR/log"
# milter_sock INET_PORT UNIX_PATH - Postfix's and libmilter's spelling of the socket, in S_PF and S_MILTER
milter_sock() {
	if [ "$BENCH_TRANSPORT" = inet ]; then
		S_PF=inet:127.0.0.1:$1
		S_MILTER=inet:$1@127.0.0.1
	else
		S_PF=unix:$2
		S_MILTER=unix:$2
	fi
}

# --- portcullis -------------------------------------------------------------------
# The client is checked as inbound mail (not internal; the DNS lists
# asked whatever its address) and its mail signed as outgoing: the
# listener is named ORIGINATING (milter_macro_daemon_name), which
# dkim_sign_daemon_names signs. The HELO checks accept (the client's
# HELO name does not resolve); spf_helo = no, as rspamd checks the HELO
# only for the null sender.
cat >"$KEYS/pcl/KeyTable" <<EOF
$SEL_RSA._domainkey.$ORIGIN $ORIGIN:$SEL_RSA:$KEYS/pcl/rsa.pem
$SEL_ED._domainkey.$ORIGIN $ORIGIN:$SEL_ED:$KEYS/pcl/ed.pem
EOF
cat >"$KEYS/pcl/SigningTable" <<EOF
*@$ORIGIN $SEL_RSA._domainkey.$ORIGIN
*@$ORIGIN $SEL_ED._domainkey.$ORIGIN
EOF
{
	echo "# bench/chain: portcullis doing the whole chain"
	echo "dns_servers = $BENCH_DNS_ADDR:53"
	echo "internal_networks = 127.0.0.0/8"
	echo "dnsbl_skip_local = no"
	echo "dqs_key = $DQS_KEY"
	echo "dnsbl_sites = $LIST_ZEN=127.0.0.[2..11]*3"
	echo "    \$dqs_key.zen.dq.$ORIGIN=127.0.0.[2..11]*3"
	echo "    $LIST_WL=127.0.[0..255].[1..3]*-2"
	echo "spf_verify = yes"
	echo "spf_helo = no"
	echo "dkim_verify = yes"
	echo "dmarc_verify = $BENCH_DMARC"
	echo "dmarc_report_dir ="
	echo "auth_results = yes"
	echo "authserv_id = $PCL_AUTHSERV"
	echo "dkim_key_table = $KEYS/pcl/KeyTable"
	echo "dkim_signing_table = refile:$KEYS/pcl/SigningTable"
	echo "dkim_sign_multiple = yes"
	echo "dkim_sign_daemon_names = ORIGINATING"
	for c in required invalid non_fqdn bare_ip literal_mismatch impersonation; do
		echo "helo_${c}_action = accept"
	done
} >"$W/pcl.conf"
chmod 644 "$W/pcl.conf"
"$PORTCULLIS" -n -c "$W/pcl.conf" || { echo "bench: bad portcullis config" >&2; exit 1; }
milter_sock "$M_PCL" "$SOCKDIR/pcl.sock"
PCL_SOCK=$S_PF
bench_start_portcullis pcl "$S_MILTER" "$W/pcl.conf"
BENCH_SOCKETS+=("$PCL_SOCK")

# --- rspamd ---------------------------------------------------------------------------
# /work/shared/BENCHMARKS.md: a private copy (its own RUNDIR, DBDIR,
# LOGDIR; not the package's service), one rspamd_proxy worker in milter
# mode scanning itself, two processes; only the modules doing this work
# (any other Lua plugin is "unconfigured" and disabled; filters = dkim
# is the only C module); a lua file that loads global_functions only (no
# stock heuristic rules). Nothing names a host but the fake DNS server:
# no stock list, no map URL, no fuzzy, no update check (measure.py greps
# the dumped configuration for URLs and fails on any).
if [ "$BENCH_TRANSPORT" = inet ]; then
	RSP_BIND=127.0.0.1:$M_RSP
	RSP_SOCK=inet:127.0.0.1:$M_RSP
else
	RSP_BIND="$RSP_DIR/run/proxy.sock mode=0666"
	RSP_SOCK=unix:$RSP_DIR/run/proxy.sock
fi
# rspamd's sign_headers: portcullis's list, each only if present (a
# bare name; "(x)" would oversign the ones present), From oversigned
# ("(o)").
RSP_SIGN_HEADERS=$(echo "$PCL_SIGN_HEADERS" | tr 'A-Z,' 'a-z\n' |
	sed -e '/^$/d' -e 's/^from$/(o)from/' | paste -sd:)
cat >"$RSP_DIR/init.lua" <<'EOF'
-- bench/chain: the global functions only, none of the stock rules
require "global_functions" ()
config['regexp'] = {}
rspamd_maps = {}
EOF
cat >"$RSP_DIR/rspamd.conf" <<EOF
# bench/chain: rspamd 3.4 as a milter doing portcullis's work, nothing else
lua = "$RSP_DIR/init.lua";

options {
    pidfile = "\$RUNDIR/rspamd.pid";
    filters = "dkim";
    check_local = true;
    check_authed = true;
    dns {
        nameserver = ["$BENCH_DNS_ADDR:53"];
        timeout = 2s;
        retransmits = 2;
        sockets = 16;
    }
    url_tld = "\${SHAREDIR}/effective_tld_names.dat";
    hs_cache_dir = "\${DBDIR}/";
    cache_file = "\$DBDIR/symbols.cache";
    task_timeout = 8s;
    allow_raw_input = true;
}

logging {
    type = "file";
    filename = "\$LOGDIR/rspamd.log";
    level = "info";
}

actions {
    reject = 15;
    add_header = 6;
    greylist = 4;
}

worker "rspamd_proxy" {
    bind_socket = "$RSP_BIND";
    milter = yes;
    timeout = 120s;
    upstream "local" {
        default = yes;
        self_scan = yes;
    }
    count = 2;
    max_retries = 5;
    discard_on_reject = false;
    quarantine_on_reject = false;
    spam_header = "X-Spam";
    reject_message = "Spam message rejected";
}

rbl {
    rbls {
        bench_zen {
            symbol = "BENCH_ZEN";
            rbl = "$LIST_ZEN";
            checks = ["from"];
            exclude_local = false;
            exclude_private_ips = false;
            returncodes {
                BENCH_ZEN_LISTED = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.9", "127.0.0.10", "127.0.0.11"];
            }
        }
        bench_dqs {
            symbol = "BENCH_DQS";
            rbl = "$LIST_DQS";
            checks = ["from"];
            exclude_local = false;
            exclude_private_ips = false;
            returncodes {
                BENCH_DQS_LISTED = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.9", "127.0.0.10", "127.0.0.11"];
            }
        }
        bench_dnswl {
            symbol = "BENCH_DNSWL";
            rbl = "$LIST_WL";
            checks = ["from"];
            is_whitelist = true;
            exclude_local = false;
            exclude_private_ips = false;
        }
    }
}

spf {
    spf_cache_size = 2k;
    spf_cache_expire = 1d;
}

dkim {
    dkim_cache_size = 2k;
    dkim_cache_expire = 1d;
    time_jitter = 6h;
    trusted_only = false;
    skip_multi = false;
    sign_headers = "$RSP_SIGN_HEADERS";
}

dkim_signing {
    allow_envfrom_empty = true;
    allow_hdrfrom_mismatch = false;
    allow_username_mismatch = false;
    sign_authenticated = true;
    sign_local = true;
    sign_networks = ["$CLIENT/32", "$CLIENTS_MANY"];
    use_domain = "header";
    use_esld = false;
    use_redis = false;
    try_fallback = false;
    domain {
        $ORIGIN {
            selectors [
                { path = "$KEYS/rspamd/rsa.pem"; selector = "$SEL_RSA"; },
                { path = "$KEYS/rspamd/ed.key"; selector = "$SEL_ED"; }
            ]
        }
    }
}

milter_headers {
    use = ["authentication-results"];
    skip_local = false;
    skip_authenticated = false;
}

modules {
    path = "\${PLUGINSDIR}";
}
EOF
chmod 644 "$RSP_DIR/rspamd.conf" "$RSP_DIR/init.lua"
RSPAMD_VARS=("--var=RUNDIR=$RSP_DIR/run" "--var=DBDIR=$RSP_DIR/db" "--var=LOGDIR=$RSP_DIR/log")
rspamadm "${RSPAMD_VARS[@]}" configtest -c "$RSP_DIR/rspamd.conf" >"$W/rspamd.configtest" 2>&1 ||
	{ echo "bench: rspamadm configtest failed:" >&2; cat "$W/rspamd.configtest" >&2; exit 1; }
rspamadm "${RSPAMD_VARS[@]}" configdump -c "$RSP_DIR/rspamd.conf" >"$W/rspamd.configdump" 2>&1 ||
	{ echo "bench: rspamadm configdump failed:" >&2; tail "$W/rspamd.configdump" >&2; exit 1; }
bench_start_group rspamd rspamd /usr/bin/rspamd -f -c "$RSP_DIR/rspamd.conf" \
	-u _rspamd -g _rspamd "${RSPAMD_VARS[@]}"
BENCH_SOCKETS+=("$RSP_SOCK")

# --- OpenDKIM ------------------------------------------------------------------------
# One verifier (InternalHosts elsewhere: the client's mail is inbound)
# and one signer per algorithm (SignatureAlgorithm is per process):
# OpenDKIM either signs or verifies a message, never both. As in
# bench/dkim: Nameservers and QueryCache (not ResolverConfiguration),
# the same header list, From oversigned.
# odk_conf FILE SOCKET verify|ALG [SELECTOR KEY]
odk_conf() {
	{
		echo "# bench/chain: OpenDKIM $3"
		echo "Socket $2"
		echo "UMask 007"
		echo "Syslog yes"
		echo "SyslogSuccess yes"
		if [ "$3" = verify ]; then
			echo "Mode v"
			echo "InternalHosts 192.0.2.255"
			echo "AuthservID $ODK_AUTHSERV"
			echo "Nameservers $BENCH_DNS_ADDR"
			echo "QueryCache yes"
		else
			echo "Mode s"
			echo "InternalHosts $CLIENT,$CLIENTS_MANY"
			echo "Domain $ORIGIN"
			echo "Selector $4"
			echo "KeyFile $5"
			echo "SignatureAlgorithm $3"
			echo "Canonicalization relaxed/relaxed"
			echo "SignHeaders $PCL_SIGN_HEADERS"
			echo "OversignHeaders From"
			echo "RequireSafeKeys no"
		fi
	} >"$1"
	chmod 644 "$1"
}
ODK_SOCKS=()
for role in verify rsa ed; do
	case $role in
	verify) port=$M_ODKV; oargs=(verify) ;;
	rsa) port=$M_ODKR; oargs=(rsa-sha256 "$SEL_RSA" "$KEYS/odk/rsa.pem") ;;
	ed) port=$M_ODKE; oargs=(ed25519-sha256 "$SEL_ED" "$KEYS/odk/ed.pem") ;;
	esac
	milter_sock "$port" "$ODK_DIR/$role.sock"
	odk_conf "$W/odk.$role.conf" "$S_MILTER" "${oargs[@]}"
	bench_start_group "odk-$role" opendkim /usr/sbin/opendkim -f -x "$W/odk.$role.conf"
	ODK_SOCKS+=("$S_PF")
	BENCH_SOCKETS+=("$S_PF")
done
bench_wait_milters "a milter" portcullis rspamd opendkim

# --- Postfix: one smtpd listener per chain ------------------------------------------
# Each takes the haproxy protocol: measure.py's client starts every
# session with "PROXY TCP4 $CLIENT ...", and Postfix and the milters see
# that client from the start (XCLIENT would connect the milters twice).
ODK_MILTERS=$(
	IFS=,
	echo "${ODK_SOCKS[*]}"
)
cat >>"$E2E_CONF/master.cf" <<EOF
# bench/chain: one smtpd per chain
127.0.0.1:$P_BASE inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy
127.0.0.1:$P_PCL inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy -o smtpd_milters=$PCL_SOCK -o milter_macro_daemon_name=ORIGINATING
127.0.0.1:$P_RSP inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy -o smtpd_milters=$RSP_SOCK
127.0.0.1:$P_ODK inet n - n - - smtpd -o smtpd_upstream_proxy_protocol=haproxy -o smtpd_milters=$ODK_MILTERS
EOF
# shellcheck disable=SC2119 # no main.cf change: a restart
e2e_postfix_reconfigure >/dev/null
for p in $P_BASE $P_PCL $P_RSP $P_ODK; do
	_e2e_wait_until 10 _e2e_listening "$p" || { echo "bench: no smtpd on 127.0.0.1:$p" >&2; tail -n 20 "$E2E_MAILLOG" >&2; exit 1; }
done

# The chains measure.py runs: NAME PORT PGID[,PGID...] (- for none)
CHAINS=$W/chains
{
	echo "none $P_BASE -"
	echo "portcullis $P_PCL ${BENCH_PGID[pcl]}"
	echo "rspamd $P_RSP ${BENCH_PGID[rspamd]}"
	echo "opendkim $P_ODK ${BENCH_PGID[odk-verify]},${BENCH_PGID[odk-rsa]},${BENCH_PGID[odk-ed]}"
} >"$CHAINS"

bench_measure "$PY" "$BENCH_DIR/measure.py" \
	--fakedns "$W/fakedns_main" --dns "$BENCH_DNS_ADDR:53" --zone "$W/zone" \
	--pidfile "$W/fakedns.pid" --work "$W" --sink "$E2E_SINK_DIR" --sink-pid "$E2E_SINK_PID" \
	--postfix-conf "$E2E_CONF" --postfix-pid "$E2E_MASTER_PID" \
	--message "$BENCH_DIR/message.eml" --domain "$ORIGIN" --sender "$SENDER" \
	--client "$CLIENT" --clients "$BENCH_CLIENTS" --clients-many "$CLIENTS_MANY" \
	--ext "$SEL_EXT:$KEYS/ext.pkcs1.pem" --selectors "$SEL_RSA,$SEL_ED" \
	--authserv "portcullis=$PCL_AUTHSERV" --authserv "opendkim=$ODK_AUTHSERV" \
	--lists "$LIST_ZEN,$LIST_DQS,$LIST_WL" \
	--rspamd-configdump "$W/rspamd.configdump" --rspamd-log "$RSP_DIR/log/rspamd.log" \
	--chains "$CHAINS" --k "$BENCH_K" --msgs "$BENCH_MSGS" \
	--sessions "$BENCH_SESSIONS" --warmup "$BENCH_WARMUP" --transport "$BENCH_TRANSPORT"
exit # measure.py's status
