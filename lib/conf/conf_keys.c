/*
 * conf_keys - the table of configuration keys
 *
 * One row per key: name, type, default, bounds, where the typed value
 * lives, and a one-line doc. The dump (-d), the man page check and the
 * shipped example config are all held against this table.
 */
#include "config.h"

#include <stddef.h>

#include "conf.h"
#include "dmarc_report.h"

#define OFF(field) offsetof(struct pcl_conf, field)
#define NOB 0, 0

/* HELO_CHECK - the action and reply keys of one HELO check */
#define HELO_CHECK(name, act_def, reply_def, doc)                              \
	{#name "_action",   PCL_CT_ACTION, act_def, NOB, OFF(name.action), 0,  \
	 "action when " doc},                                                  \
	{                                                                      \
#name "_reply", PCL_CT_REPLY, reply_def, NOB, OFF(name.reply), \
		    0, "reply when " doc                                       \
	}

/* SPF_CHECK - the action and reply of one SPF result; the reply may
 * use $spf_result, $spf_explanation and $spf_problem */
#define SPF_CHECK(name, act_def, reply_def, doc)                               \
	{#name "_action",   PCL_CT_ACTION, act_def, NOB, OFF(name.action), 0,  \
	 "action when " doc},                                                  \
	{                                                                      \
#name "_reply", PCL_CT_REPLY, reply_def, NOB, OFF(name.reply), \
		    PCL_CK_SPF, "reply when " doc                              \
	}

/* DMARC_CHECK - the action and reply of one DMARC outcome; the reply
 * may use $dmarc_domain and $dmarc_policy */
#define DMARC_CHECK(name, act_def, reply_def, doc)                             \
	{#name "_action",   PCL_CT_ACTION, act_def, NOB, OFF(name.action), 0,  \
	 "action when " doc},                                                  \
	{                                                                      \
#name "_reply", PCL_CT_REPLY, reply_def, NOB, OFF(name.reply), \
		    PCL_CK_DMARC, "reply when " doc                            \
	}

/* ACCESS - an access map list and its on_error */
#define ACCESS(name, what)                                                     \
	{#name,                                                                \
	 PCL_CT_TABLES,                                                        \
	 "",                                                                   \
	 NOB,                                                                  \
	 OFF(name),                                                            \
	 0,                                                                    \
	 "access(5) tables searched for the " what ", in order"},              \
	{                                                                      \
#name "_on_error", PCL_CT_ONERR, "", NOB,                      \
		    OFF(name##_on_error), 0,                                   \
		    "when a " what " lookup fails (empty: on_error)"           \
	}

const struct pcl_conf_key pcl_conf_keys[] = {
    /* the daemon */
    {"milter_socket", PCL_CT_SOCKET, "inet:8894@127.0.0.1", NOB,
     OFF(milter_socket), 0,
     "where Postfix connects: unix:/path, inet:PORT@HOST, inet6:PORT@HOST"},
    {"milter_timeout", PCL_CT_TIME, "7210s", 1, 86400, OFF(milter_timeout), 0,
     "I/O timeout towards the MTA"},
    {"user", PCL_CT_STRING, "portcullis", NOB, OFF(user), 0,
     "account to run as after start (empty or root: stay root)"},
    {"pid_file", PCL_CT_STRING, "", NOB, OFF(pid_file), 0,
     "file to write the process ID to (empty: none)"},
    {"syslog_facility", PCL_CT_STRING, "mail", NOB, OFF(syslog_facility), 0,
     "syslog facility: mail, daemon, user, local0..local7"},
    {"myhostname", PCL_CT_STRING, "", NOB, OFF(myhostname), 0,
     "this host's name (empty: the system host name)"},
    {"worker_restart", PCL_CT_BOOL, "yes", NOB, OFF(worker_restart), 0,
     "the supervisor starts a new worker when the worker dies"},
    {"worker_restart_rate", PCL_CT_RATE, "10/1h", 1, 1000,
     OFF(worker_restart_rate), 0,
     "at most N worker restarts within the time (N/time), then exit 1"},
    {"worker_restart_max_delay", PCL_CT_TIME, "5s", 0, 300,
     OFF(worker_restart_max_delay), 0,
     "longest back-off before a restart (0 s, 1 s, 2 s ... up to it)"},

    /* trust and enforcement */
    {"internal_networks", PCL_CT_CIDRS, "127.0.0.0/8 [::1]/128", NOB,
     OFF(internal_networks), 0,
     "clients exempt from inbound checks, like Postfix's mynetworks"},
    {"skip_authenticated", PCL_CT_BOOL, "yes", NOB, OFF(skip_authenticated), 0,
     "SASL-authenticated clients are exempt from inbound checks"},
    {"enforce_stage", PCL_CT_STAGE, "rcpt", NOB, OFF(enforce_stage), 0,
     "when pre-DATA verdicts are enacted: rcpt or immediate"},
    {"recipient_exceptions", PCL_CT_LIST, "postmaster@ abuse@", NOB,
     OFF(recipient_exceptions), 0,
     "recipients always accepted: user@, @domain or user@domain"},
    {"on_error", PCL_CT_ONERR, "tempfail", NOB, OFF(on_error), 0,
     "when a check cannot decide: accept, tempfail or reject"},
    {"dry_run", PCL_CT_LIST, "", NOB, OFF(dry_run), 0,
     "checks that only log and trace (check names, or all)"},
    {"tag_header", PCL_CT_STRING, "X-Portcullis-Tag", NOB, OFF(tag_header), 0,
     "header that the tag action adds, listing the checks"},

    /* access maps */
    ACCESS(client_access, "client name and address"),
    ACCESS(helo_access, "HELO name"),
    ACCESS(sender_access, "envelope sender"),
    ACCESS(recipient_access, "envelope recipient"),

    /* HELO checks */
    HELO_CHECK(helo_required, "reject", "503 5.5.1 Error: send HELO/EHLO first",
               "the client sent no HELO/EHLO"),
    HELO_CHECK(helo_invalid, "reject",
               "501 5.5.2 <$helo_name>: Helo command rejected: Invalid name",
               "the HELO name is not a valid host name or address literal"),
    HELO_CHECK(helo_non_fqdn, "tag",
               "504 5.5.2 <$helo_name>: Helo command rejected: "
               "need fully-qualified hostname",
               "the HELO name has no dot"),
    HELO_CHECK(helo_bare_ip, "tag",
               "501 5.5.2 <$helo_name>: Helo command rejected: "
               "address literal must be in brackets",
               "the HELO name is an IP address without brackets"),
    HELO_CHECK(helo_literal_mismatch, "tag",
               "550 5.7.1 <$helo_name>: Helo command rejected: "
               "not your address",
               "a HELO address literal is not the client's address"),
    HELO_CHECK(helo_impersonation, "reject",
               "550 5.7.1 <$helo_name>: Helo command rejected: "
               "You are not me",
               "the HELO claims this host's own name or address"),
    {"helo_own_names", PCL_CT_LIST, "", NOB, OFF(helo_own_names), 0,
     "names that only this host may use (empty: myhostname)"},
    {"helo_own_addresses", PCL_CT_CIDRS, "", NOB, OFF(helo_own_addresses), 0,
     "addresses that only this host may use (empty: its interfaces)"},

    /* DNS */
    {"dns_servers", PCL_CT_STRING, "", NOB, OFF(dns_servers), 0,
     "resolvers to ask: host, host:port, [v6]:port (empty: "
     "/etc/resolv.conf)"},
    {"dns_timeout", PCL_CT_MSEC, "5s", 100, 60000, OFF(dns_timeout), 0,
     "deadline for a lookup, retries included (ms or s)"},
    {"dns_attempts", PCL_CT_INT, "2", 1, 10, OFF(dns_attempts), 0,
     "queries sent per lookup within the deadline, over the servers"},
    {"dns_cache_min_ttl", PCL_CT_TIME, "60s", 0, 86400, OFF(dns_cache_min_ttl),
     0, "shortest time an answer is cached"},
    {"dns_cache_max_ttl", PCL_CT_TIME, "1h", 0, 604800, OFF(dns_cache_max_ttl),
     0, "longest time an answer is cached"},
    {"dns_cache_size", PCL_CT_INT, "10000", 0, 10000000, OFF(dns_cache_size), 0,
     "most answers cached (0: no cache)"},
    {"dns_cache_bytes", PCL_CT_INT, "33554432", 65536, 17179869184L,
     OFF(dns_cache_bytes), 0,
     "most bytes the cached answers take, names and overhead included"},
    {"dns_cache_answer_max", PCL_CT_INT, "16384", 512, 65535,
     OFF(dns_cache_answer_max), 0,
     "bytes of the largest reply cached (a larger one is used, not kept)"},
    {"dns_list_down_after", PCL_CT_INT, "5", 0, 1000, OFF(dns_list_down_after),
     0, "timeouts or SERVFAILs in a row that mark a DNS list down (0: never)"},
    {"dns_list_down_window", PCL_CT_TIME, "60s", 1, 86400,
     OFF(dns_list_down_window), 0,
     "a failure longer ago than this starts the count again"},
    {"dns_list_down_backoff", PCL_CT_TIME, "30s", 1, 86400,
     OFF(dns_list_down_backoff), 0,
     "a down list is not asked for this long, then probed"},
    {"dns_list_down_backoff_max", PCL_CT_TIME, "10m", 1, 604800,
     OFF(dns_list_down_backoff_max), 0,
     "the back-off doubles while probes fail, up to this"},

    /* DNS lists on the client address */
    {"dqs_key", PCL_CT_STRING, "", NOB, OFF(dqs_key), PCL_CK_SECRET,
     "Spamhaus DQS access key, used as $dqs_key in list zones"},
    {"dns_list_names", PCL_CT_LIST, "", NOB, OFF(dns_list_names), 0,
     "public names for lists, as zone=name (e.g. "
     "zen.dq.spamhaus.net=zen.spamhaus.org)"},
    {"dnsbl_sites", PCL_CT_LIST, "", NOB, OFF(dnsbl_site_text), 0,
     "lists as zone[=filter][*weight], postscreen's syntax"},
    {"dnsbl_threshold", PCL_CT_INT, "1", -1000, 1000, OFF(dnsbl_threshold), 0,
     "score at or above which dnsbl_action applies"},
    {"dnsbl_allowlist_threshold", PCL_CT_INT, "0", -1000, 0,
     OFF(dnsbl_allowlist_threshold), 0,
     "negative: a score at or below it exempts the client (0: off)"},
    {"dnsbl_action", PCL_CT_ACTION, "reject", NOB, OFF(dnsbl.action), 0,
     "action when the score reaches dnsbl_threshold"},
    {"dnsbl_reply", PCL_CT_REPLY,
     "554 5.7.1 Service unavailable; $rbl_class [$rbl_what] blocked "
     "using $rbl_domain${rbl_reason?; $rbl_reason}",
     NOB, OFF(dnsbl.reply), PCL_CK_RBL,
     "reply for a listed client, with Postfix's $rbl_* variables"},
    {"dnsbl_on_error", PCL_CT_ONERR, "", NOB, OFF(dnsbl_on_error), 0,
     "when a list times out or answers an error code (empty: on_error)"},
    {"dnsbl_exceptions", PCL_CT_TABLES, "", NOB, OFF(dnsbl_exceptions), 0,
     "client access(5) tables whose OK skips the DNS lists"},
    {"dnsbl_skip_local", PCL_CT_BOOL, "yes", NOB, OFF(dnsbl_skip_local), 0,
     "loopback, private and link-local clients are not looked up"},

    /* DNS lists on domains */
    {"dbl_sites", PCL_CT_LIST, "", NOB, OFF(dbl_site_text), 0,
     "domain lists as zone[=filter][*weight][:identity+...]"},
    {"dbl_threshold", PCL_CT_INT, "1", 1, 1000, OFF(dbl_threshold), 0,
     "score of one domain at or above which dbl_action applies"},
    {"dbl_action", PCL_CT_ACTION, "reject", NOB, OFF(dbl.action), 0,
     "action when a domain's score reaches dbl_threshold"},
    {"dbl_reply", PCL_CT_REPLY,
     "554 5.7.1 Service unavailable; $rbl_class <$rbl_what> blocked "
     "using $rbl_domain${rbl_reason?; $rbl_reason}",
     NOB, OFF(dbl.reply), PCL_CK_RBL,
     "reply for a listed domain, with Postfix's $rbl_* variables"},
    {"dbl_on_error", PCL_CT_ONERR, "", NOB, OFF(dbl_on_error), 0,
     "when a domain list fails or answers an error code (empty: "
     "on_error)"},
    {"dbl_body_max_domains", PCL_CT_INT, "20", 0, 1000,
     OFF(dbl_body_max_domains), 0,
     "most distinct body domains looked up per message"},
    {"dbl_body_max_size", PCL_CT_INT, "1048576", 0, 104857600,
     OFF(dbl_body_max_size), 0, "bytes of a message scanned for body domains"},

    /* what one message may cost (checked before the work) */
    {"header_count_limit", PCL_CT_INT, "1000", 10, 1000000,
     OFF(header_count_limit), 0, "most header fields a message may have"},
    {"header_bytes_limit", PCL_CT_INT, "1048576", 1024, 104857600,
     OFF(header_bytes_limit), 0,
     "most bytes the header fields of a message may have"},
    HELO_CHECK(header_limit, "reject", "552 5.3.4 Message header too large",
               "a message has more header fields or bytes than "
               "header_count_limit or header_bytes_limit"),
    {"authres_delete_limit", PCL_CT_INT, "20", 0, 1000,
     OFF(authres_delete_limit), 0,
     "most forged Authentication-Results fields deleted from a message"},
    HELO_CHECK(authres_limit, "reject",
               "550 5.7.1 Message refused: too many forged "
               "Authentication-Results fields",
               "a message has more forged Authentication-Results fields "
               "than authres_delete_limit"),

    /* sender authentication */
    {"authserv_id", PCL_CT_STRING, "", NOB, OFF(authserv_id), 0,
     "the authserv-id of Authentication-Results (empty: myhostname)"},
    {"auth_results", PCL_CT_BOOL, "yes", NOB, OFF(auth_results), 0,
     "add an Authentication-Results header to inbound mail"},
    {"dkim_verify", PCL_CT_BOOL, "yes", NOB, OFF(dkim_verify), 0,
     "verify the DKIM signatures of inbound mail"},
    {"dkim_min_key_bits", PCL_CT_INT, "1024", 512, 16384,
     OFF(dkim_min_key_bits), 0, "smallest RSA key a signature may use"},
    {"dkim_max_signatures", PCL_CT_INT, "5", 1, 50, OFF(dkim_max_signatures), 0,
     "signatures verified per message (more are neutral)"},
    HELO_CHECK(dkim_fail, "tag", "550 5.7.20 No valid DKIM signature found",
               "signatures were found and none verified"),
    HELO_CHECK(dkim_none, "accept", "550 5.7.20 No DKIM signature found",
               "the message has no DKIM signature"),
    {"dkim_on_error", PCL_CT_ONERR, "", NOB, OFF(dkim_on_error), 0,
     "when a key lookup fails temporarily (empty: on_error)"},
    {"dmarc_verify", PCL_CT_BOOL, "yes", NOB, OFF(dmarc_verify), 0,
     "evaluate DMARC for inbound mail"},
    {"dmarc_mode", PCL_CT_STRING, "rfc9989", NOB, OFF(dmarc_mode), 0,
     "rfc9989 (DNS tree walk) or rfc7489 (Public Suffix List)"},
    DMARC_CHECK(dmarc_reject, "reject",
                "550 5.7.1 Email rejected per DMARC policy for "
                "$dmarc_domain",
                "DMARC fails and the domain's policy is reject"),
    DMARC_CHECK(dmarc_quarantine, "quarantine",
                "550 5.7.1 Email rejected per DMARC policy for "
                "$dmarc_domain",
                "DMARC fails and the domain's policy is quarantine"),
    DMARC_CHECK(dmarc_none, "accept",
                "550 5.7.1 Email rejected per DMARC policy for "
                "$dmarc_domain",
                "DMARC fails and the domain's policy is none"),
    DMARC_CHECK(dmarc_multi_from, "reject",
                "550 5.7.1 One From: address in one domain is required",
                "the message has no From:, several, or addresses in "
                "several domains"),
    {"arc_trusted_sealers", PCL_CT_LIST, "", NOB, OFF(arc_trusted_sealers), 0,
     "ARC sealers whose dmarc=pass outweighs a local DMARC fail"},
    {"arc_sign", PCL_CT_BOOL, "no", NOB, OFF(arc_sign), 0,
     "add an ARC set (RFC 8617) to inbound mail"},
    {"arc_sign_key", PCL_CT_STRING, "", NOB, OFF(arc_sign_key), 0,
     "the KeyTable key that seals (empty: the first, or the simple key)"},
    {"dmarc_on_error", PCL_CT_ONERR, "", NOB, OFF(dmarc_on_error), 0,
     "when a DMARC lookup fails temporarily (empty: on_error)"},
    {"dmarc_report_dir", PCL_CT_STRING, PCL_DMARC_REPORT_DIR, NOB,
     OFF(dmarc_report_dir), 0,
     "directory of the daily DMARC aggregate report data (empty: none "
     "recorded)"},
    {"dmarc_report_keep", PCL_CT_INT, "14", 0, 3650, OFF(dmarc_report_keep), 0,
     "days of report data kept before today (0: never removed)"},
    {"dkim_sign_domain", PCL_CT_STRING, "", NOB, OFF(dkim_sign_domain), 0,
     "sign outgoing mail of this domain and its subdomains (simple mode)"},
    {"dkim_sign_selector", PCL_CT_STRING, "", NOB, OFF(dkim_sign_selector), 0,
     "the selector of dkim_sign_domain's key"},
    {"dkim_sign_key", PCL_CT_STRING, "", NOB, OFF(dkim_sign_key), 0,
     "the private key file of dkim_sign_domain (mode 0600 or stricter)"},
    {"dkim_key_table", PCL_CT_STRING, "", NOB, OFF(dkim_key_table), 0,
     "an OpenDKIM KeyTable file (instead of the simple mode)"},
    {"dkim_signing_table", PCL_CT_STRING, "", NOB, OFF(dkim_signing_table), 0,
     "an OpenDKIM SigningTable file, or refile:/path for wildcards"},
    {"dkim_sign_multiple", PCL_CT_BOOL, "no", NOB, OFF(dkim_sign_multiple), 0,
     "sign with every matching SigningTable entry, not the first"},
    {"dkim_sign_daemon_names", PCL_CT_LIST, "", NOB,
     OFF(dkim_sign_daemon_names), 0,
     "Postfix {daemon_name} values whose mail is signed (e.g. "
     "ORIGINATING)"},
    {"dkim_sign_expire", PCL_CT_TIME, "0", 0, 31536000, OFF(dkim_sign_expire),
     0, "signature lifetime for x= (0: no x=)"},
    {"dkim_sign_headers", PCL_CT_LIST,
     "From, To, Cc, Subject, Date, Message-ID, Reply-To, In-Reply-To, "
     "References, MIME-Version, Content-Type, Content-Transfer-Encoding, "
     "List-Id, List-Unsubscribe, List-Post, List-Help, List-Subscribe, "
     "List-Owner, List-Archive",
     NOB, OFF(dkim_sign_headers), 0,
     "header fields a signature covers; From is required and oversigned"},
    {"dkim_sign_address", PCL_CT_STRING, "from", NOB, OFF(dkim_sign_address), 0,
     "which address picks the keys: from (the From: header) or sender "
     "(the envelope sender; From: for the null sender)"},
    {"spf_verify", PCL_CT_BOOL, "yes", NOB, OFF(spf_verify), 0,
     "evaluate SPF for inbound mail (RFC 7208)"},
    {"spf_helo", PCL_CT_BOOL, "yes", NOB, OFF(spf_helo), 0,
     "also check the HELO identity (always for the null sender)"},
    {"spf_received_header", PCL_CT_BOOL, "yes", NOB, OFF(spf_received_header),
     0, "add a Received-SPF header"},
    SPF_CHECK(spf_mailfrom_fail, "reject",
              "550 5.7.23 <$sender>: SPF fail${spf_explanation?: "
              "$spf_explanation}",
              "the sender's domain does not allow the client (fail)"),
    SPF_CHECK(spf_mailfrom_softfail, "tag",
              "550 5.7.23 <$sender>: SPF softfail",
              "the sender's domain discourages the client (softfail)"),
    SPF_CHECK(spf_mailfrom_neutral, "accept",
              "550 5.7.23 <$sender>: SPF neutral",
              "the sender's domain says nothing of the client (neutral)"),
    SPF_CHECK(spf_mailfrom_none, "accept",
              "550 5.7.23 <$sender>: no SPF record",
              "the sender's domain has no SPF record (none)"),
    SPF_CHECK(spf_mailfrom_permerror, "accept",
              "550 5.7.24 <$sender>: SPF permanent error: $spf_problem",
              "the sender's SPF record is broken (permerror)"),
    SPF_CHECK(spf_helo_fail, "reject",
              "550 5.7.23 <$helo_name>: SPF fail for HELO"
              "${spf_explanation?: $spf_explanation}",
              "the HELO name's domain does not allow the client (fail)"),
    SPF_CHECK(spf_helo_softfail, "accept",
              "550 5.7.23 <$helo_name>: SPF softfail for HELO",
              "the HELO name's domain discourages the client (softfail)"),
    SPF_CHECK(spf_helo_permerror, "accept",
              "550 5.7.24 <$helo_name>: SPF permanent error: $spf_problem",
              "the HELO name's SPF record is broken (permerror)"),
    {"spf_on_error", PCL_CT_ONERR, "", NOB, OFF(spf_on_error), 0,
     "on an SPF temperror (empty: on_error; 451 4.4.3)"},
};

const size_t pcl_conf_nkeys = sizeof(pcl_conf_keys) / sizeof(pcl_conf_keys[0]);

const char *const pcl_conf_check_names[] = {
    "client_access",
    "helo_access",
    "sender_access",
    "recipient_access",
    "helo_required",
    "helo_invalid",
    "helo_non_fqdn",
    "helo_bare_ip",
    "helo_literal_mismatch",
    "helo_impersonation",
    "dnsbl",
    "dbl",
    "dkim_fail",
    "dkim_none",
    "dkim",
    "dmarc_reject",
    "dmarc_quarantine",
    "dmarc_none",
    "dmarc_multi_from",
    "dmarc",
    "spf_mailfrom_fail",
    "spf_mailfrom_softfail",
    "spf_mailfrom_neutral",
    "spf_mailfrom_none",
    "spf_mailfrom_permerror",
    "spf_helo_fail",
    "spf_helo_softfail",
    "spf_helo_permerror",
    "spf",
    "header_limit",
    "authres_limit",
    NULL,
};
