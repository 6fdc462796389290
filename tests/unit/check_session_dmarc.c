/*
 * check_session_dmarc - DMARC through the session engine (lib/checks/
 * dmarc.c over lib/auth/dmarc*.c), against zone data and DKIM keys
 * served by fakedns
 *
 * What the pure functions of check_dmarc.c cannot show: the SPF and
 * DKIM results the session publishes turned into Authenticated
 * Identifiers, the DNS Tree Walks really sent (and when: the Author
 * Domain's at the end of the header, an identifier's only when relaxed
 * alignment needs it), the existence queries of np=, the admin's
 * actions and replies, dry run, dmarc_on_error, dmarc_multi_from, and
 * the dmarc entry of Authentication-Results.
 *
 * Every message comes from 192.0.2.10 (SPF passes for every envelope
 * domain of the zone), HELO mail.example.net, and carries the From:
 * fields of its case; a case's signatures are made here by
 * portcullis's own signer with the fixture RSA key, which the zone
 * publishes under each signing domain. A case says what the end of the
 * message gets, the dmarc entry of Authentication-Results, and how
 * often some names were asked. Where a case checks a rule of RFC 9989
 * that is easy to get wrong (the walk stopping at psd=y, what a
 * non-existent domain is, a DNS failure inside a walk), its label
 * names the section.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "dkim.h"
#include "fakedns.h"
#include "session.h"
#include "session_dns.h"
#include "snapshot.h"
#include "util.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The zone. SPF: the client is allowed for every envelope domain used.
 * DMARC records per case family; names outside test. (bank.example,
 * co.uk) are served too. */
static const char records[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    /* envelope domains: SPF pass for 192.0.2.10 */
    "example IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.example IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "elsewhere IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "strict IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.strict IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.corp IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "a.dept.corp IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.agency.psd IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "other.psd IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.org IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.slowid IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "other.zone IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "mail.giant.bank.example. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.example.co.uk. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "other.co.uk. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    /* policies */
    "_dmarc.example IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.strict IN TXT \"v=DMARC1; p=reject; aspf=s; adkim=s\"\n"
    "_dmarc.half IN TXT \"v=DMARC1; p=reject; aspf=s\"\n"
    "_dmarc.quar IN TXT \"v=DMARC1; p=quarantine\"\n"
    "_dmarc.monitor IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.sp IN TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
    "live.sp IN A 192.0.2.1\n"
    "_dmarc.np IN TXT \"v=DMARC1; p=none; sp=quarantine; np=reject\"\n"
    "live.np IN MX 10 mx.elsewhere.test.\n"
    "txtonly.np IN TXT \"site-verification=1\"\n"
    "_dmarc.testing IN TXT \"v=DMARC1; p=reject; t=y\"\n"
    "_dmarc.testq IN TXT \"v=DMARC1; p=quarantine; t=y\"\n"
    /* a Public Suffix Domain and an organization under it */
    "_dmarc.psd IN TXT \"v=DMARC1; p=reject; sp=quarantine; psd=y\"\n"
    "mail.agency.psd IN A 192.0.2.2\n"
    /* psd=n below a record of its own parent */
    "_dmarc.dept.corp IN TXT \"v=DMARC1; p=reject; psd=n\"\n"
    "_dmarc.corp IN TXT \"v=DMARC1; p=none\"\n"
    /* records that apply nothing, or not as they look */
    "_dmarc.unusable IN TXT \"v=DMARC1; p=bogus\"\n"
    "_dmarc.unusable2 IN TXT \"v=DMARC1; p=bogus; "
    "rua=mailto:d@unusable2.test\"\n"
    "_dmarc.two IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.two IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.mixed IN TXT \"some-verification=1\"\n"
    "_dmarc.mixed IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.alias IN CNAME _dmarc.example.test.\n"
    "_dmarc.xn--bcher-kva IN TXT \"v=DMARC1; p=reject\"\n"
    /* a record at the Author Domain, a failing name, the org's record */
    "_dmarc.news.mid.org IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.org IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.slowid IN TXT \"v=DMARC1; p=none\"\n"
    /* psd=y at the Author Domain, a record above it */
    "_dmarc.reg.zone IN TXT \"v=DMARC1; p=reject; psd=y\"\n"
    "_dmarc.zone IN TXT \"v=DMARC1; p=none\"\n"
    /* RFC 9989 B.4.3 */
    "_dmarc.giant.bank.example. IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.bank.example. IN TXT \"v=DMARC1; p=none; psd=y\"\n"
    /* a public suffix (co.uk) in the zone, with a record the RFC 9989
     * walk finds and the Public Suffix List makes irrelevant */
    "_dmarc.example.co.uk. IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.co.uk. IN TXT \"v=DMARC1; p=none\"\n";

/* The signing domains, whose key (the fixture's rsa2048) is published. */
static const char *const keyed[] = {"example.test", "mail.example.test",
                                    "mail.strict.test", "elsewhere.test",
                                    "mail.mega.bank.example"};

static char dir[] = "/tmp/check_session_dmarc.XXXXXX";
static char keypath[300];

/* slurp - a file of tests/unit/data/dkim, NUL-terminated (caller
 * frees) */
static char *
slurp(const char *name)
{
	const char *src = getenv("srcdir");
	char path[512];
	char *buf = calloc(1, 65536);
	size_t n;
	FILE *fp;

	ck_assert_ptr_nonnull(buf);
	ck_assert(pcl_format(path, sizeof(path), "%s/tests/unit/data/dkim/%s",
	                     src ? src : ".", name));
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* setup - the zone with the fixture's key under each signing domain,
 * and a private copy of the key file (mode 0600); in the test's fork */
static void
setup(void)
{
	static const char owner[] = "rsa2048._domainkey.example.test.";
	char *keys = slurp("keys.zone"), *pem = slurp("rsa2048.key");
	char *rec = strstr(keys, owner), *eol, zone[32768];
	FILE *fp;

	ck_assert_msg(rec != NULL, "keys.zone lacks %s", owner);
	rec += strlen(owner);
	if ((eol = strchr(rec, '\n')) != NULL)
		*eol = '\0';
	ck_assert(pcl_format(zone, sizeof(zone), "%s", records));
	for (size_t i = 0; i < NITEMS(keyed); i++)
		ck_assert(pcl_append(zone, sizeof(zone),
		                     "rsa2048._domainkey.%s.%s\n", keyed[i],
		                     rec));
	session_dns_start(zone);
	ck_assert(pcl_format(keypath, sizeof(keypath), "%s/rsa%d.key", dir,
	                     (int)getpid()));
	fp = fopen(keypath, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(pem, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(keypath, 0600), 0);
	free(keys);
	free(pem);
}

/* teardown - stop the server, remove the key */
static void
teardown(void)
{
	session_dns_stop();
	unlink(keypath);
}

/* load - a conf pointed at fakedns: SPF of MAIL FROM only, every SPF
 * and DKIM result accepted, so that only DMARC decides; a dns_timeout
 * that a loaded machine's fakedns answers well within (only the
 * dropped names wait for it); extra lines */
static struct pcl_conf *
load(const char *extra)
{
	char lines[1024];

	ck_assert(
	    pcl_format(lines, sizeof(lines), "dns_timeout = 3s\n%s", extra));
	return session_dns_load(dir,
	                        "myhostname = mx.example.org\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "spf_helo = no\n"
	                        "spf_mailfrom_fail_action = accept\n"
	                        "spf_mailfrom_softfail_action = accept\n"
	                        "dkim_fail_action = accept\n",
	                        lines);
}

/* The message: header fields after the From: fields, and the body. */
static const char *const fields[][2] = {
    {"To", " <b@example.org>"},
    {"Subject", " a message"},
    {"Date", " Tue, 14 Nov 2023 22:13:20 +0000"},
};
static const char body[] = "Hello,\r\n\r\nthis is the body.\r\n";

/* sign - a DKIM-Signature value by the fixture key, d=domain, over the
 * message with the From: field from (as check_session_dbl_dkim.c
 * does); the caller frees it */
static char *
sign(const struct pcl_conf *c, const char *domain, const char *from)
{
	struct pcl_dkim_lib_conf lc = {0};
	struct pcl_dkim_signer signer = {0};
	struct pcl_dkim_signer_ctx *ctx;
	struct pcl_dkim_lib *lib;
	struct pcl_dkim_key *key;
	char err[PCL_ERR_MAX] = "";
	char *out = malloc(PCL_DKIM_SIGN_VALUE_MAX);

	ck_assert_ptr_nonnull(out);
	lib = pcl_dkim_lib_new(c->dns, &lc, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	ck_assert_msg(pcl_dkim_sign_prepare(lib, 0, err, sizeof(err)),
	              "pcl_dkim_sign_prepare: %s", err);
	key = pcl_dkim_key_load(keypath, err, sizeof(err));
	ck_assert_msg(key != NULL, "pcl_dkim_key_load: %s", err);
	ck_assert(pcl_copy(signer.name, sizeof(signer.name), domain));
	ck_assert(pcl_copy(signer.domain, sizeof(signer.domain), domain));
	ck_assert(
	    pcl_copy(signer.selector, sizeof(signer.selector), "rsa2048"));
	signer.key = key;
	ctx = pcl_dkim_sign_new(lib, &signer, NULL);
	ck_assert_ptr_nonnull(ctx);
	if (from != NULL)
		pcl_dkim_sign_header(ctx, "From", from);
	for (size_t i = 0; i < NITEMS(fields); i++)
		pcl_dkim_sign_header(ctx, fields[i][0], fields[i][1]);
	pcl_dkim_sign_eoh(ctx);
	pcl_dkim_sign_body(ctx, (const unsigned char *)body, strlen(body));
	ck_assert_msg(pcl_dkim_sign_eom(ctx, out, PCL_DKIM_SIGN_VALUE_MAX) ==
	                  PCL_DKIM_SIGN_OK,
	              "signing d=%s: %s", domain, pcl_dkim_sign_error(ctx));
	pcl_dkim_sign_free(ctx);
	pcl_dkim_key_free(key);
	pcl_dkim_lib_free(lib);
	return out;
}

#define MAX_FROM 3
#define MAX_SIGS 2
#define MAX_ASKED 6
#define CLIENT "192.0.2.10"
#define ELSEWHERE "a@elsewhere.test" /* SPF pass, aligned with nothing */

/* A message to send: what run() needs of a case. */
struct message {
	const char *addr;           /* NULL: CLIENT */
	const char *helo;           /* NULL: mail.example.net */
	const char *mailfrom;       /* NULL: ELSEWHERE */
	const char *from[MAX_FROM]; /* the From: field values, in order */
	const char *sigs[MAX_SIGS]; /* d= of each (passing) signature */
	bool stop_at_eoh;           /* run() returns after EOH */
};

/* run - one message; its end-of-message decision in d, or, with
 * m->stop_at_eoh, the session left after EOH for the caller to go on */
static struct pcl_session *
run(struct pcl_conf *c, const struct message *m, struct pcl_decision *d)
{
	struct pcl_session *s = pcl_session_new(c);

	ck_assert_ptr_nonnull(s);
	pcl_session_connect(s, m->addr ? m->addr : CLIENT, NULL, 25, NULL, d);
	pcl_session_helo(s, m->helo ? m->helo : "mail.example.net", d);
	pcl_session_mail(s, m->mailfrom ? m->mailfrom : ELSEWHERE, NULL, d);
	pcl_session_rcpt(s, "b@example.org", d);
	ck_assert_msg(d->action == PCL_ACT_ACCEPT, "rcpt: got %s",
	              pcl_action_name(d->action));
	for (size_t i = 0; i < MAX_SIGS && m->sigs[i]; i++) {
		char *sig = sign(c, m->sigs[i], m->from[0]);

		pcl_session_header(s, "DKIM-Signature", sig);
		free(sig);
	}
	for (size_t i = 0; i < MAX_FROM && m->from[i]; i++)
		pcl_session_header(s, "From", m->from[i]);
	for (size_t i = 0; i < NITEMS(fields); i++)
		pcl_session_header(s, fields[i][0], fields[i][1]);
	pcl_session_eoh(s);
	if (!m->stop_at_eoh) {
		pcl_session_body(s, (const unsigned char *)body, strlen(body));
		pcl_session_eom(s, d);
	}
	return s;
}

/* reply_of - the reply text of a refusing decision, "" otherwise */
static void
reply_of(const struct pcl_decision *d, char *buf, size_t len)
{
	*buf = '\0';
	if (d->action == PCL_ACT_REJECT || d->action == PCL_ACT_TEMPFAIL)
		pcl_reply_format(&d->reply, buf, len);
}

/* header - the unfolded value of the first header to add named name,
 * or "" */
static void
header(const struct pcl_session *s, const char *name, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < pcl_session_header_count(s); i++) {
		const struct pcl_add_header *h = pcl_session_header_get(s, i);

		if (strcmp(h->name, name) != 0)
			continue;
		for (const char *p = h->value; *p && n + 1 < len; p++) {
			if (*p == '\n' && p[1] == '\t')
				p++; /* a fold: LF TAB reads as one space */
			buf[n++] = *p == '\t' ? ' ' : *p;
		}
		buf[n] = '\0';
		return;
	}
}

/* ar_dmarc - the dmarc result of our Authentication-Results ("dmarc=
 * ... header.from=..." up to the next ';'), or "" */
static void
ar_dmarc(const struct pcl_session *s, char *buf, size_t len)
{
	char ar[2048];
	const char *p, *end;

	header(s, "Authentication-Results", ar, sizeof(ar));
	*buf = '\0';
	if ((p = strstr(ar, "dmarc=")) == NULL)
		return;
	end = strchr(p, ';');
	pcl_copy(buf, len, p);
	if (end != NULL && (size_t)(end - p) < len)
		buf[end - p] = '\0';
}

/* traced - does a trace line "CHECK RESULT DETAIL" of s hold text */
static bool
traced(const struct pcl_session *s, const char *text)
{
	char line[PCL_FINDING_DETAIL_MAX + 64];

	for (size_t i = 0; i < pcl_session_trace_count(s); i++) {
		const struct pcl_trace_entry *t = pcl_session_trace_get(s, i);

		pcl_format(line, sizeof(line), "%s %s %s", t->check, t->result,
		           t->detail);
		if (strstr(line, text) != NULL)
			return true;
	}
	return false;
}

/* trace_dump - the trace, for a failure message */
static const char *
trace_dump(const struct pcl_session *s)
{
	static char out[8192];

	*out = '\0';
	for (size_t i = 0; i < pcl_session_trace_count(s); i++) {
		const struct pcl_trace_entry *t = pcl_session_trace_get(s, i);

		pcl_append(out, sizeof(out), "\n  %s %s %s", t->check,
		           t->result, t->detail);
	}
	return out;
}

struct asked {
	const char *name;
	unsigned n;
};

struct dmarc_case {
	const char *label;
	const char *conf; /* extra configuration lines */
	struct message msg;
	const char *servfail[2]; /* names answered SERVFAIL */
	const char *drop;        /* a name never answered */
	enum pcl_action want;
	const char *want_reply; /* NULL: not checked */
	const char *want_ar;    /* dmarc entry of A-R; "": none; NULL: not
	                           checked */
	const char *want_trace; /* in a trace line, or NULL */
	struct asked asked[MAX_ASKED];
};

#define FROM(d) " Alice <alice@" d ">"
#define REJECT_REPLY(d) "550 5.7.1 Email rejected per DMARC policy for " d
#define MULTI_REPLY "550 5.7.1 One From: address in one domain is required"
#define AR_PASS(p, sp, d) "dmarc=pass (p=" p " sp=" sp ") header.from=" d
#define AR_FAIL(p, sp, dis, d)                                                 \
	"dmarc=fail (p=" p " sp=" sp " dis=" dis ") header.from=" d

static const struct dmarc_case cases[] = {
    /* --- alignment ------------------------------------------------- */
    {.label = "SPF aligned, relaxed: MAIL FROM a subdomain",
     .msg = {.mailfrom = "a@bounce.example.test",
             .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test"),
     .want_trace = "dmarc pass example.test: spf aligned",
     .asked = {{"_dmarc.example.test", 1},
               {"_dmarc.bounce.example.test", 1},
               {"_dmarc.test", 1}}},
    {.label = "SPF aligned, the same domain: no walk of the identifier",
     .msg = {.mailfrom = "a@example.test", .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test"),
     .asked = {{"_dmarc.example.test", 1}, {"_dmarc.test", 1}}},
    {.label = "SPF aligned, the MAIL FROM domain in upper case",
     .msg = {.mailfrom = "a@Bounce.EXAMPLE.Test",
             .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test")},
    {.label = "SPF aligned, the MAIL FROM domain's Organizational Domain "
              "in upper case",
     .msg = {.mailfrom = "a@bounce.EXAMPLE.test",
             .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test")},
    {.label = "DKIM aligned, d= in upper case",
     .msg = {.from = {FROM("example.test")}, .sigs = {"MAIL.Example.TEST"}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test")},
    {.label = "the null sender: the HELO identity (postmaster@HELO) aligns",
     .msg = {.helo = "bounce.example.test",
             .mailfrom = "<>",
             .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test")},
    {.label = "SPF strict (aspf=s): the same domain passes",
     .msg = {.mailfrom = "a@strict.test", .from = {FROM("strict.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "strict.test")},
    {.label = "SPF strict (aspf=s): a subdomain fails, and is not walked",
     .msg = {.mailfrom = "a@bounce.strict.test", .from = {FROM("strict.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("strict.test"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "strict.test"),
     .asked = {{"_dmarc.strict.test", 1},
               {"_dmarc.bounce.strict.test", 0},
               {"_dmarc.elsewhere.test", 0}}},
    {.label = "DKIM aligned, relaxed: d= a subdomain of the From: domain",
     .msg = {.from = {FROM("example.test")}, .sigs = {"mail.example.test"}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test"),
     .want_trace = "dmarc pass example.test: dkim aligned",
     .asked = {{"_dmarc.mail.example.test", 1}}},
    {.label = "DKIM aligned, relaxed: d= the parent of the From: domain",
     .msg = {.from = {FROM("mail.example.test")}, .sigs = {"example.test"}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "mail.example.test")},
    {.label = "DKIM strict (adkim=s): d= a subdomain fails, not walked",
     .msg = {.from = {FROM("strict.test")}, .sigs = {"mail.strict.test"}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "strict.test"),
     .asked = {{"_dmarc.mail.strict.test", 0}}},
    {.label = "DKIM pass of another organization: not aligned",
     .msg = {.from = {FROM("example.test")}, .sigs = {"elsewhere.test"}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("example.test"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "example.test"),
     .want_trace = "no aligned identifier for example.test"},
    {.label = "no aligned identifier, nothing shares the top-level label: "
              "no walk",
     .msg = {.mailfrom = "a@bounce.example.co.uk",
             .from = {FROM("example.test")}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "example.test"),
     .asked = {{"_dmarc.bounce.example.co.uk", 0}}},

    {.label = "aspf=s, adkim relaxed: the SPF identifier's walk is not "
              "needed, and its DNS failure does not make a temperror",
     .msg = {.mailfrom = "a@bounce.slowid.test",
             .from = {FROM("half.test")},
             .sigs = {"elsewhere.test"}},
     .servfail = {"_dmarc.slowid.test"},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("half.test"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "half.test"),
     .asked = {{"_dmarc.bounce.slowid.test", 0}, {"_dmarc.elsewhere.test", 1}}},

    /* --- policies and actions -------------------------------------- */
    {.label = "p=reject: 550 5.7.1 naming the domain",
     .msg = {.from = {FROM("example.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("example.test"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "example.test")},
    {.label = "p=quarantine: quarantined",
     .msg = {.from = {FROM("quar.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar = AR_FAIL("quarantine", "quarantine", "quarantine", "quar.test")},
    {.label = "p=none: accepted, the failure in A-R",
     .msg = {.from = {FROM("monitor.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_FAIL("none", "none", "none", "monitor.test")},
    {.label = "sp=: an existing subdomain gets sp (quarantine)",
     .msg = {.from = {FROM("live.sp.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar = AR_FAIL("reject", "quarantine", "quarantine", "live.sp.test"),
     .asked = {{"live.sp.test", 0}}}, /* no np=: existence not asked */
    {.label = "sp=: the domain itself gets p (reject)",
     .msg = {.from = {FROM("sp.test")}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "quarantine", "reject", "sp.test")},
    {.label = "np=: a subdomain that does not exist gets np (reject)",
     .msg = {.from = {FROM("ghost.np.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("ghost.np.test"),
     .want_ar = AR_FAIL("none", "quarantine", "reject", "ghost.np.test"),
     .want_trace = "no such domain",
     .asked = {{"ghost.np.test", 1}}}, /* one A query: NXDOMAIN */
    {.label = "np=: a subdomain with an MX exists: sp (quarantine)",
     .msg = {.from = {FROM("live.np.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar = AR_FAIL("none", "quarantine", "quarantine", "live.np.test"),
     .asked = {{"live.np.test", 1}}},
    {.label = "np=: the domain itself: p (none), existence not asked",
     .msg = {.from = {FROM("np.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_FAIL("none", "quarantine", "none", "np.test"),
     .asked = {{"np.test", 0}}},
    {.label = "np=: a subdomain whose name exists (NOERROR, a TXT only) is "
              "not a non-existent domain (RFC 9989 3.2.13, RFC 8020): sp",
     .msg = {.from = {FROM("txtonly.np.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar = AR_FAIL("none", "quarantine", "quarantine", "txtonly.np.test")},
    {.label = "t=y: p=reject one step milder, quarantine",
     .msg = {.from = {FROM("testing.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar = AR_FAIL("reject", "reject", "quarantine", "testing.test"),
     .want_trace = "t=y"},
    {.label = "t=y: p=quarantine one step milder, none: accepted",
     .msg = {.from = {FROM("testq.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_FAIL("quarantine", "quarantine", "none", "testq.test")},

    /* --- the tree walk: psd= ----------------------------------------- */
    {.label = "psd=y: the organization one label below it aligns",
     .msg = {.mailfrom = "a@bounce.agency.psd.test",
             .from = {FROM("mail.agency.psd.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "quarantine", "mail.agency.psd.test"),
     .asked = {{"_dmarc.mail.agency.psd.test", 1},
               {"_dmarc.agency.psd.test", 1},
               {"_dmarc.psd.test", 1},
               {"_dmarc.bounce.agency.psd.test", 1}}},
    {.label = "psd=y: a sibling organization under the PSD does not align; "
              "the PSD's sp applies",
     .msg = {.mailfrom = "a@other.psd.test",
             .from = {FROM("mail.agency.psd.test")}},
     .want = PCL_ACT_QUARANTINE,
     .want_ar =
         AR_FAIL("reject", "quarantine", "quarantine", "mail.agency.psd.test")},
    {.label = "psd=n: its own Organizational Domain, the parent does not "
              "align",
     .msg = {.mailfrom = "a@bounce.corp.test",
             .from = {FROM("dept.corp.test")}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "dept.corp.test")},
    {.label = "psd=n: a subdomain of it aligns",
     .msg = {.mailfrom = "a@a.dept.corp.test",
             .from = {FROM("dept.corp.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "dept.corp.test")},
    {.label = "psd=n decides before failures further up",
     .msg = {.mailfrom = "a@a.dept.corp.test",
             .from = {FROM("dept.corp.test")}},
     .servfail = {"_dmarc.corp.test", "_dmarc.test"},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "dept.corp.test")},
    {.label = "RFC 9989 B.4.3: SPF mail.giant.bank.example aligns with "
              "giant.bank.example",
     .msg = {.mailfrom = "a@mail.giant.bank.example",
             .from = {FROM("giant.bank.example")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "giant.bank.example")},
    {.label = "RFC 9989 B.4.3: DKIM mail.mega.bank.example does not",
     .msg = {.from = {FROM("giant.bank.example")},
             .sigs = {"mail.mega.bank.example"}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "giant.bank.example")},
    {.label = "psd=y at the Author Domain stops the walk (RFC 9989 4.10 "
              "step 2): it is its own Organizational Domain, its parent's "
              "record does not make other.zone.test aligned",
     .msg = {.mailfrom = "a@other.zone.test", .from = {FROM("reg.zone.test")}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "reg.zone.test")},

    /* --- records that apply nothing ---------------------------------- */
    {.label = "no record anywhere: dmarc=none, no identifier walked",
     .msg = {.from = {FROM("norecord.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=none header.from=norecord.test",
     .want_trace = "no policy record",
     .asked = {{"_dmarc.norecord.test", 1},
               {"_dmarc.test", 1},
               {"_dmarc.elsewhere.test", 0},
               {"norecord.test", 0}}},
    {.label = "an unusable record (bad p=, no rua=): dmarc=none",
     .msg = {.from = {FROM("unusable.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=none header.from=unusable.test"},
    {.label = "a bad p= with a valid rua=: p=none",
     .msg = {.from = {FROM("unusable2.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_FAIL("none", "none", "none", "unusable2.test")},
    {.label = "two DMARC records: both discarded, dmarc=none",
     .msg = {.from = {FROM("two.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=none header.from=two.test"},
    {.label = "a DMARC record among other TXT records applies",
     .msg = {.from = {FROM("mixed.test")}},
     .want = PCL_ACT_REJECT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "mixed.test")},
    {.label = "an 8-bit From: domain: its A-label's record",
     .msg = {.from = {" <a@b\xc3\xbc"
                      "cher.test>"}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("xn--bcher-kva.test"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "xn--bcher-kva.test"),
     .asked = {{"_dmarc.xn--bcher-kva.test", 1}}},
    {.label = "_dmarc a CNAME to another domain's record",
     .msg = {.from = {FROM("alias.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("alias.test")},

    /* --- DNS failures ----------------------------------------------- */
    {.label = "the Author Domain's _dmarc times out: on_error (tempfail)",
     .msg = {.from = {FROM("example.test")}},
     .drop = "_dmarc.example.test",
     .want = PCL_ACT_TEMPFAIL,
     .want_reply = "451 4.7.1 DMARC policy lookup failed",
     .want_ar = "dmarc=temperror header.from=example.test",
     .want_trace = "dmarc temperror example.test"},
    {.label = "SERVFAIL on the Author Domain's _dmarc, dmarc_on_error = "
              "accept: delivered, temperror",
     .conf = "dmarc_on_error = accept",
     .msg = {.from = {FROM("example.test")}},
     .servfail = {"_dmarc.example.test"},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=temperror header.from=example.test"},
    {.label = "SERVFAIL on the Organizational Domain's _dmarc (no record "
              "at the Author Domain): temperror",
     .conf = "dmarc_on_error = accept",
     .msg = {.mailfrom = "a@bounce.example.test",
             .from = {FROM("sub.example.test")}},
     .servfail = {"_dmarc.example.test"},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=temperror header.from=sub.example.test"},
    {.label = "SERVFAIL on _dmarc of the top-level domain: the policy is "
              "found, the org of a relaxed identifier is not: temperror",
     .conf = "dmarc_on_error = reject",
     .msg = {.mailfrom = "a@bounce.example.test",
             .from = {FROM("example.test")}},
     .servfail = {"_dmarc.test"},
     .want = PCL_ACT_REJECT,
     .want_reply = "550 5.7.1 DMARC policy lookup failed",
     .want_ar = "dmarc=temperror (p=reject sp=reject) "
                "header.from=example.test"},
    {.label = "an identifier's walk fails: temperror, not fail",
     .conf = "dmarc_on_error = accept",
     .msg = {.mailfrom = "a@bounce.slowid.test",
             .from = {FROM("example.test")}},
     .servfail = {"_dmarc.slowid.test"},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=temperror (p=reject sp=reject) "
                "header.from=example.test"},
    {.label = "SERVFAIL between the Author Domain's record and its "
              "Organizational Domain: the org is unknown, so relaxed "
              "alignment is a temperror, not a fail",
     .conf = "dmarc_on_error = accept",
     .msg = {.mailfrom = "a@bounce.org.test",
             .from = {FROM("news.mid.org.test")}},
     .servfail = {"_dmarc.mid.org.test"},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=temperror (p=reject sp=reject) "
                "header.from=news.mid.org.test"},

    /* --- From: ------------------------------------------------------ */
    {.label = "two From: fields: dmarc_multi_from",
     .msg = {.from = {FROM("example.test"), FROM("example.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = MULTI_REPLY,
     .want_ar = "dmarc=permerror",
     .want_trace = "dmarc permerror 2 From: fields",
     .asked = {{"_dmarc.example.test", 0}}},
    {.label = "a From: with addresses in two domains: dmarc_multi_from",
     .msg = {.from = {" a@example.test, b@elsewhere.test"}},
     .want = PCL_ACT_REJECT,
     .want_reply = MULTI_REPLY,
     .want_trace = "From: addresses in several domains",
     .asked = {{"_dmarc.example.test", 0}, {"_dmarc.elsewhere.test", 0}}},
    {.label = "a From: with two addresses in one domain: judged",
     .msg = {.mailfrom = "a@bounce.example.test",
             .from = {" a@example.test, b@Example.TEST"}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "example.test")},
    {.label = "no From: field: dmarc_multi_from",
     .msg = {.from = {NULL}},
     .want = PCL_ACT_REJECT,
     .want_reply = MULTI_REPLY,
     .want_trace = "dmarc permerror no From: field"},
    {.label = "a From: that is no address list: dmarc_multi_from",
     .msg = {.from = {" <a@example.test"}},
     .want = PCL_ACT_REJECT,
     .want_reply = MULTI_REPLY},
    {.label = "dmarc_multi_from_action = accept: delivered, permerror",
     .conf = "dmarc_multi_from_action = accept",
     .msg = {.from = {FROM("example.test"), FROM("elsewhere.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "dmarc=permerror"},

    /* --- the admin's settings --------------------------------------- */
    {.label = "dry run of dmarc_reject: delivered, the trace says so",
     .conf = "dry_run = dmarc_reject",
     .msg = {.from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_FAIL("reject", "reject", "reject", "example.test"),
     .want_trace = "dmarc_reject dry-run"},
    {.label = "reply template: $dmarc_domain and $dmarc_policy",
     .conf = "dmarc_reject_reply = 550 5.7.1 $dmarc_domain asks "
             "$dmarc_policy",
     .msg = {.from = {FROM("example.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = "550 5.7.1 example.test asks reject"},
    {.label = "reply template: $dmarc_policy is the policy applied (t=y)",
     .conf = "dmarc_quarantine_action = reject\n"
             "dmarc_quarantine_reply = 554 5.7.1 $dmarc_policy for "
             "$dmarc_domain",
     .msg = {.from = {FROM("testing.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = "554 5.7.1 quarantine for testing.test"},
    {.label = "dmarc_reject_action = tag: tagged",
     .conf = "dmarc_reject_action = tag",
     .msg = {.from = {FROM("example.test")}},
     .want = PCL_ACT_TAG},
    {.label = "dmarc_none_action = reject: p=none refused",
     .conf = "dmarc_none_action = reject",
     .msg = {.from = {FROM("monitor.test")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("monitor.test")},
    {.label = "internal client: not judged, nothing asked",
     .msg = {.addr = "127.0.0.1", .from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "",
     .asked = {{"_dmarc.example.test", 0}}},
    {.label = "dmarc_verify = no: nothing asked, no dmarc in A-R",
     .conf = "dmarc_verify = no",
     .msg = {.from = {FROM("example.test")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = "",
     .asked = {{"_dmarc.example.test", 0}}},

    /* --- RFC 7489 mode (the Public Suffix List) --------------------- */
    {.label = "rfc7489: the Author Domain, then its registrable domain; "
              "relaxed SPF aligned by the PSL, no DNS for it",
     .conf = "dmarc_mode = rfc7489",
     .msg = {.mailfrom = "a@bounce.example.co.uk",
             .from = {FROM("a.b.example.co.uk")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "a.b.example.co.uk"),
     .asked = {{"_dmarc.a.b.example.co.uk", 1},
               {"_dmarc.example.co.uk", 1},
               {"_dmarc.b.example.co.uk", 0},
               {"_dmarc.co.uk", 0},
               {"_dmarc.bounce.example.co.uk", 0}}},
    {.label = "rfc7489: the MAIL FROM domain in upper case",
     .conf = "dmarc_mode = rfc7489",
     .msg = {.mailfrom = "a@Bounce.Example.CO.UK",
             .from = {FROM("a.b.example.co.uk")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("reject", "reject", "a.b.example.co.uk")},
    {.label = "rfc7489: another registrable domain under co.uk does not "
              "align",
     .conf = "dmarc_mode = rfc7489",
     .msg = {.mailfrom = "a@other.co.uk", .from = {FROM("a.b.example.co.uk")}},
     .want = PCL_ACT_REJECT,
     .want_reply = REJECT_REPLY("a.b.example.co.uk"),
     .want_ar = AR_FAIL("reject", "reject", "reject", "a.b.example.co.uk")},
    {.label = "rfc9989, the same message: the walk finds co.uk's record "
              "(no psd=y), the Organizational Domain of both",
     .msg = {.mailfrom = "a@other.co.uk", .from = {FROM("a.b.example.co.uk")}},
     .want = PCL_ACT_ACCEPT,
     .want_ar = AR_PASS("none", "none", "a.b.example.co.uk"),
     .asked = {{"_dmarc.b.example.co.uk", 1}, {"_dmarc.co.uk", 1}}},
};

START_TEST(test_cases)
{
	const struct dmarc_case *tc = &cases[_i];
	struct pcl_conf *c = load(tc->conf ? tc->conf : "");
	struct pcl_decision d;
	char reply[PCL_REPLY_TEXT_MAX + 32], ar[1024];
	struct pcl_session *s;

	for (size_t i = 0; i < NITEMS(tc->servfail) && tc->servfail[i]; i++)
		fakedns_set_servfail(tc->servfail[i]);
	if (tc->drop)
		fakedns_set_drop(tc->drop);
	s = run(c, &tc->msg, &d);
	reply_of(&d, reply, sizeof(reply));
	ar_dmarc(s, ar, sizeof(ar));
	ck_assert_msg(d.action == tc->want,
	              "%s: got %s (%s), want %s; A-R %s%s", tc->label,
	              pcl_action_name(d.action), reply,
	              pcl_action_name(tc->want), ar, trace_dump(s));
	if (tc->want_reply)
		ck_assert_msg(strcmp(reply, tc->want_reply) == 0,
		              "%s: reply: got \"%s\", want \"%s\"", tc->label,
		              reply, tc->want_reply);
	if (tc->want_ar)
		ck_assert_msg(strcmp(ar, tc->want_ar) == 0,
		              "%s: A-R: got \"%s\", want \"%s\"%s", tc->label,
		              ar, tc->want_ar, trace_dump(s));
	if (tc->want_trace)
		ck_assert_msg(traced(s, tc->want_trace),
		              "%s: no trace line holds \"%s\"%s", tc->label,
		              tc->want_trace, trace_dump(s));
	for (size_t i = 0; i < MAX_ASKED && tc->asked[i].name; i++)
		ck_assert_msg(
		    fakedns_queries(tc->asked[i].name) == tc->asked[i].n,
		    "%s: %s asked %u times, want %u", tc->label,
		    tc->asked[i].name, fakedns_queries(tc->asked[i].name),
		    tc->asked[i].n);
	if (d.action == PCL_ACT_QUARANTINE)
		ck_assert_msg(
		    strstr(pcl_session_quarantine_reason(s), "dmarc") != NULL,
		    "%s: quarantine reason \"%s\"", tc->label,
		    pcl_session_quarantine_reason(s));
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

/* asked_within - wait (bounded, 10 s) until name was asked want times;
 * the count then */
static unsigned
asked_within(const char *name, unsigned want)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned n = fakedns_queries(name);

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (n >= want || t.tv_sec - t0.tv_sec >= 10)
			return n;
		usleep(5 * 1000);
	}
}

/* The Author Domain's walk goes out at the end of the header, before
 * the body, in one batch; the end of the message asks nothing again. */
START_TEST(test_walk_at_eoh)
{
	struct pcl_conf *c = load("");
	const struct message m = {.mailfrom = "a@bounce.example.test",
	                          .from = {FROM("mail.example.test")},
	                          .stop_at_eoh = true};
	struct pcl_decision d;
	struct pcl_session *s = run(c, &m, &d);
	char ar[1024];

	/* the three names of the walk, all before the body */
	ck_assert_uint_eq(asked_within("_dmarc.mail.example.test", 1), 1);
	ck_assert_uint_eq(asked_within("_dmarc.example.test", 1), 1);
	ck_assert_uint_eq(asked_within("_dmarc.test", 1), 1);
	/* the identifier's walk waits for the end (it needs the policy) */
	ck_assert_uint_eq(fakedns_queries("_dmarc.bounce.example.test"), 0);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, &d);
	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	ar_dmarc(s, ar, sizeof(ar));
	ck_assert_str_eq(ar, AR_PASS("reject", "reject", "mail.example.test"));
	ck_assert_uint_eq(fakedns_queries("_dmarc.mail.example.test"), 1);
	ck_assert_uint_eq(fakedns_queries("_dmarc.bounce.example.test"), 1);
	/* example.test and test were in the Author Domain's walk: the
	 * identifier's walk found them in the cache */
	ck_assert_uint_eq(fakedns_queries("_dmarc.example.test"), 1);
	ck_assert_uint_eq(fakedns_queries("_dmarc.test"), 1);
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

/* A long Author Domain: at most 8 queries (RFC 9989 4.10's example). */
START_TEST(test_walk_eight)
{
	static const char *const asked[] = {
	    "_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.test",
	    "_dmarc.g.h.i.j.mail.example.test",
	    "_dmarc.h.i.j.mail.example.test",
	    "_dmarc.i.j.mail.example.test",
	    "_dmarc.j.mail.example.test",
	    "_dmarc.mail.example.test",
	    "_dmarc.example.test",
	    "_dmarc.test",
	};
	static const char *const skipped[] = {
	    "_dmarc.b.c.d.e.f.g.h.i.j.mail.example.test",
	    "_dmarc.c.d.e.f.g.h.i.j.mail.example.test",
	    "_dmarc.f.g.h.i.j.mail.example.test",
	};
	struct pcl_conf *c = load("");
	const struct message m = {
	    .mailfrom = "a@bounce.example.test",
	    .from = {FROM("a.b.c.d.e.f.g.h.i.j.mail.example.test")}};
	struct pcl_decision d;
	struct pcl_session *s = run(c, &m, &d);
	char ar[1024];

	ck_assert_int_eq(d.action, PCL_ACT_ACCEPT);
	ar_dmarc(s, ar, sizeof(ar));
	ck_assert_str_eq(ar, AR_PASS("reject", "reject",
	                             "a.b.c.d.e.f.g.h.i.j.mail.example.test"));
	for (size_t i = 0; i < NITEMS(asked); i++)
		ck_assert_msg(fakedns_queries(asked[i]) == 1,
		              "%s asked %u times, want 1", asked[i],
		              fakedns_queries(asked[i]));
	for (size_t i = 0; i < NITEMS(skipped); i++)
		ck_assert_msg(fakedns_queries(skipped[i]) == 0,
		              "%s asked %u times, want 0", skipped[i],
		              fakedns_queries(skipped[i]));
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

/* From: budget: PCL_DMARC_FROM_MAX (50) addresses are read, one more
 * is refused as dmarc_multi_from. */
START_TEST(test_from_budget)
{
	struct pcl_conf *c = load("");
	char value[4096];
	const struct message m = {.mailfrom = "a@bounce.example.test",
	                          .from = {value}};

	for (int n = 50; n <= 51; n++) {
		struct pcl_decision d;
		struct pcl_session *s;
		char reply[PCL_REPLY_TEXT_MAX + 32];

		*value = '\0';
		for (int i = 0; i < n; i++)
			ck_assert(pcl_append(value, sizeof(value),
			                     "%s a%d@example.test",
			                     i ? "," : "", i));
		s = run(c, &m, &d);
		reply_of(&d, reply, sizeof(reply));
		if (n == 50) {
			ck_assert_msg(d.action == PCL_ACT_ACCEPT,
			              "50 addresses: got %s (%s)",
			              pcl_action_name(d.action), reply);
		} else {
			ck_assert_msg(d.action == PCL_ACT_REJECT,
			              "51 addresses: got %s",
			              pcl_action_name(d.action));
			ck_assert_str_eq(reply, MULTI_REPLY);
			ck_assert(traced(s, "too many From: addresses"));
		}
		pcl_session_free(s);
	}
	pcl_conf_release(c);
}
END_TEST

/* Two messages in one connection: the second's verdict is its own. */
START_TEST(test_two_messages)
{
	struct pcl_conf *c = load("");
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	char ar[1024];
	const char *froms[] = {FROM("example.test"), FROM("monitor.test")};
	enum pcl_action want[] = {PCL_ACT_REJECT, PCL_ACT_ACCEPT};
	const char *want_ar[] = {
	    AR_FAIL("reject", "reject", "reject", "example.test"),
	    AR_FAIL("none", "none", "none", "monitor.test")};

	pcl_session_connect(s, CLIENT, NULL, 25, NULL, &d);
	pcl_session_helo(s, "mail.example.net", &d);
	for (size_t i = 0; i < 2; i++) {
		pcl_session_mail(s, ELSEWHERE, NULL, &d);
		pcl_session_rcpt(s, "b@example.org", &d);
		pcl_session_header(s, "From", froms[i]);
		pcl_session_eoh(s);
		pcl_session_body(s, (const unsigned char *)body, strlen(body));
		pcl_session_eom(s, &d);
		ar_dmarc(s, ar, sizeof(ar));
		ck_assert_msg(d.action == want[i], "message %zu: got %s", i,
		              pcl_action_name(d.action));
		ck_assert_str_eq(ar, want_ar[i]);
		pcl_session_reset(s);
	}
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_dmarc");
	TCase *tc = tcase_create("dmarc");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0, NITEMS(cases));
	tcase_add_test(tc, test_walk_at_eoh);
	tcase_add_test(tc, test_walk_eight);
	tcase_add_test(tc, test_from_budget);
	tcase_add_test(tc, test_two_messages);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
