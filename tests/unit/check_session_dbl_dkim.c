/*
 * check_session_dbl_dkim - the dkim identity of the domain lists: the
 * d= of the DKIM signatures that passed, through the session engine,
 * against zone data and DKIM keys served by fakedns
 *
 * Each message is signed here, by portcullis's own signer with the
 * fixture RSA key published under several domains; a signature marked
 * broken is made over another body, so that it fails (body hash). A
 * case says what the end of the message gets and how often one list
 * name was asked: a failing signature's d= is never asked, a signer in
 * two signatures is asked once.
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
#include "log.h"
#include "session.h"
#include "session_dns.h"
#include "snapshot.h"
#include "util.h"

#define KEY "dQsK3yd1k1m" /* the DQS key of test_dqs_key_never_shown */

static const char lists[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    "bad.example.dbl.test. IN A 127.0.1.2\n"
    "bad.example.dbl.test. IN TXT \"https://dbl.test/bad.example\"\n"
    "forged.example.dbl.test. IN A 127.0.1.2\n"
    "young.example.zrd.test. IN A 127.0.2.5\n"
    "bad.example." KEY ".dbl.dq.test. IN A 127.0.1.2\n"
    "bad.example." KEY ".dbl.dq.test. IN TXT \"listed: bad.example." KEY
    ".dbl.dq.test\"\n";

/* The domains whose key (the fixture's rsa2048) is published. */
static const char *const keyed[] = {"bad.example", "forged.example",
                                    "good.example", "young.example"};

static char dir[] = "/tmp/check_session_dbl_dkim.XXXXXX";
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

/* setup - the lists and, under each keyed domain, the fixture's RSA key
 * record; a private copy of the key file (the loader wants mode 0600)
 * (checked fixture: all of it lives in the test's fork) */
static void
setup(void)
{
	static const char owner[] = "rsa2048._domainkey.example.test.";
	char *keys = slurp("keys.zone"), *pem = slurp("rsa2048.key");
	char *rec = strstr(keys, owner), *eol, zone[16384];
	FILE *fp;

	ck_assert_msg(rec != NULL, "keys.zone lacks %s", owner);
	rec += strlen(owner);
	if ((eol = strchr(rec, '\n')) != NULL)
		*eol = '\0';
	ck_assert(pcl_format(zone, sizeof(zone), "%s", lists));
	for (size_t i = 0; i < sizeof(keyed) / sizeof(keyed[0]); i++)
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

/* load - a conf pointed at fakedns with extra lines */
static struct pcl_conf *
load(const char *extra)
{
	return session_dns_load(dir,
	                        "spf_verify = no\n"
	                        "dmarc_verify = no\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "dqs_key = " KEY "\n",
	                        extra);
}

/* The message: its header fields (From: per case) and its body. */
static const char *const fields[][2] = {
    {"To", " <b@example.org>"},
    {"Subject", " a signed message"},
    {"Date", " Tue, 14 Nov 2023 22:13:20 +0000"},
};
static const char body[] = "Hello,\r\n\r\nthis message is signed.\r\n";
static const char other_body[] = "Hello,\r\n\r\nnot this one.\r\n";

/* sign - a DKIM-Signature value by the fixture key, d=domain, over the
 * message with From: from and the body (or, broken, another one); the
 * caller frees it */
static char *
sign(const struct pcl_conf *c, const char *domain, const char *selector,
     const char *from, bool broken)
{
	struct pcl_dkim_lib_conf lc = {0};
	struct pcl_dkim_signer signer = {0};
	struct pcl_dkim_signer_ctx *ctx;
	struct pcl_dkim_lib *lib;
	struct pcl_dkim_key *key;
	const char *b = broken ? other_body : body;
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
	ck_assert(pcl_copy(signer.selector, sizeof(signer.selector), selector));
	signer.key = key;
	ctx = pcl_dkim_sign_new(lib, &signer, NULL);
	ck_assert_ptr_nonnull(ctx);
	pcl_dkim_sign_header(ctx, "From", from);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		pcl_dkim_sign_header(ctx, fields[i][0], fields[i][1]);
	pcl_dkim_sign_eoh(ctx);
	pcl_dkim_sign_body(ctx, (const unsigned char *)b, strlen(b));
	ck_assert_msg(pcl_dkim_sign_eom(ctx, out, PCL_DKIM_SIGN_VALUE_MAX) ==
	                  PCL_DKIM_SIGN_OK,
	              "signing d=%s: %s", domain, pcl_dkim_sign_error(ctx));
	pcl_dkim_sign_free(ctx);
	pcl_dkim_key_free(key);
	pcl_dkim_lib_free(lib);
	return out;
}

#define MAX_SIGS 4
#define CLEAN_FROM " Alice <alice@example.net>"

/* run - one message from addr with From: from, signed by each of sigs
 * ("domain", "!domain" for a broken signature, "domain/selector" for
 * another key name); its end-of-message decision and reply; log lines
 * when log */
static struct pcl_session *
run(struct pcl_conf *c, const char *addr, const char *from,
    const char *const *sigs, bool log, struct pcl_decision *d, char *reply,
    size_t len)
{
	struct pcl_session *s = pcl_session_new(c);

	pcl_session_set_log(s, log);
	pcl_session_connect(s, addr, NULL, 25, NULL, d);
	pcl_session_helo(s, "mail.example.net", d);
	pcl_session_mail(s, "a@example.net", NULL, d);
	pcl_session_rcpt(s, "b@example.org", d);
	ck_assert_int_eq(d->action, PCL_ACT_ACCEPT);
	for (size_t i = 0; i < MAX_SIGS && sigs[i]; i++) {
		char domain[PCL_DOMAIN_MAX + 1], *slash, *sig;
		bool broken = sigs[i][0] == '!';

		ck_assert(pcl_copy(domain, sizeof(domain), sigs[i] + broken));
		if ((slash = strchr(domain, '/')) != NULL)
			*slash = '\0';
		sig = sign(c, domain, slash ? slash + 1 : "rsa2048", from,
		           broken);
		pcl_session_header(s, "DKIM-Signature", sig);
		free(sig);
	}
	pcl_session_header(s, "From", from);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		pcl_session_header(s, fields[i][0], fields[i][1]);
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, d);
	*reply = '\0';
	if (d->action == PCL_ACT_REJECT || d->action == PCL_ACT_TEMPFAIL)
		pcl_reply_format(&d->reply, reply, len);
	return s;
}

/* traced - does a trace line of s hold text */
static bool
traced(const struct pcl_session *s, const char *text)
{
	for (size_t i = 0; i < pcl_session_trace_count(s); i++)
		if (strstr(pcl_session_trace_get(s, i)->detail, text) != NULL)
			return true;
	return false;
}

struct dkim_case {
	const char *label;
	const char *conf;
	const char *addr; /* NULL: 192.0.2.10, an outside client */
	const char *from; /* NULL: CLEAN_FROM */
	const char *sigs[MAX_SIGS];
	enum pcl_action want;
	const char *want_reply; /* NULL: not checked */
	const char *asked;      /* a list name, and how often it was asked */
	unsigned want_asked;
	const char *want_trace; /* in a trace line, or NULL */
};

#define SITES "dbl_sites = dbl.test=127.0.1.[2..99] zrd.test=127.0.2.[2..24]"
/* a reply without $rbl_reason: no TXT query, so a count is of A only */
#define NOTXT "\ndbl_reply = 554 5.7.1 $rbl_class <$rbl_what> on $rbl_domain"

static const struct dkim_case cases[] = {
    {"signer listed, From: clean: refused at the end",
     SITES,
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; DKIM signer <bad.example> blocked "
     "using dbl.test; https://dbl.test/bad.example",
     "bad.example.zrd.test",
     1,
     "dkim bad.example: score 1 -> reject"},
    {"signer on the other list (ZRD)",
     SITES,
     NULL,
     NULL,
     {"young.example"},
     PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; DKIM signer <young.example> blocked "
     "using zrd.test",
     "young.example.dbl.test",
     1,
     NULL},
    {"signer not listed",
     SITES,
     NULL,
     NULL,
     {"good.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "good.example.dbl.test",
     1,
     "dkim good.example: dbl.test"},
    {"signer listed, signature broken: its d= never asked",
     SITES,
     NULL,
     NULL,
     {"!forged.example"},
     PCL_ACT_TAG, /* dkim_fail's own default action */
     NULL,
     "forged.example.dbl.test",
     0,
     "1 signature(s) did not pass"},
    {"signer listed, no key (permerror): never asked",
     SITES,
     NULL,
     NULL,
     {"bad.example/gone"},
     PCL_ACT_TAG,
     NULL,
     "bad.example.dbl.test",
     0,
     NULL},
    {"a good signature and a broken listed one: accepted",
     SITES,
     NULL,
     NULL,
     {"good.example", "!forged.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "forged.example.dbl.test",
     0,
     NULL},
    {"a listed good one and a broken one: refused",
     SITES,
     NULL,
     NULL,
     {"!good.example", "bad.example"},
     PCL_ACT_REJECT,
     "554 5.7.1 Service unavailable; DKIM signer <bad.example> blocked "
     "using dbl.test; https://dbl.test/bad.example",
     "good.example.dbl.test",
     0,
     NULL},
    {"one signer in three signatures, two cases: asked once",
     SITES NOTXT,
     NULL,
     NULL,
     {"bad.example", "BAD.Example", "good.example", "bad.example"},
     PCL_ACT_REJECT,
     "554 5.7.1 DKIM signer <bad.example> on dbl.test",
     "bad.example.dbl.test",
     1,
     NULL},
    {"over dkim_max_signatures: the signature not judged is not asked",
     SITES "\ndkim_max_signatures = 1",
     NULL,
     NULL,
     {"good.example", "bad.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.dbl.test",
     0,
     "1 signature(s) did not pass"},
    {"dry run: traced, not enacted",
     SITES "\ndry_run = dbl",
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.zrd.test",
     1,
     "dkim bad.example: score 1 -> reject (dry run)"},
    {"dbl_action = tag",
     SITES "\ndbl_action = tag",
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_TAG,
     NULL,
     NULL,
     0,
     NULL},
    {"list restricted to dkim: a listed From: is not judged",
     "dbl_sites = dbl.test:dkim",
     NULL,
     " <x@bad.example>",
     {"good.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.dbl.test",
     0,
     NULL},
    {"list restricted to dkim: the signer is",
     "dbl_sites = dbl.test:dkim",
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_REJECT,
     NULL,
     NULL,
     0,
     NULL},
    {"list without dkim: the signer is not asked",
     "dbl_sites = dbl.test:helo+client+sender+from+reply_to+body",
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.dbl.test",
     0,
     NULL},
    {"DKIM not verified: no signer known",
     SITES "\ndkim_verify = no",
     NULL,
     NULL,
     {"bad.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.dbl.test",
     0,
     NULL},
    {"internal client: not judged",
     SITES,
     "127.0.0.1",
     NULL,
     {"bad.example"},
     PCL_ACT_ACCEPT,
     NULL,
     "bad.example.dbl.test",
     0,
     NULL},
};

START_TEST(test_cases)
{
	const struct dkim_case *tc = &cases[_i];
	struct pcl_conf *c = load(tc->conf);
	struct pcl_decision d;
	char reply[PCL_REPLY_TEXT_MAX + 32];
	struct pcl_session *s;

	s = run(c, tc->addr ? tc->addr : "192.0.2.10",
	        tc->from ? tc->from : CLEAN_FROM, tc->sigs, false, &d, reply,
	        sizeof(reply));
	ck_assert_msg(d.action == tc->want, "%s: got %s (%s), want %s",
	              tc->label, pcl_action_name(d.action), reply,
	              pcl_action_name(tc->want));
	if (tc->want_reply)
		ck_assert_msg(strcmp(reply, tc->want_reply) == 0,
		              "%s: got \"%s\", want \"%s\"", tc->label, reply,
		              tc->want_reply);
	if (tc->asked)
		ck_assert_msg(fakedns_queries(tc->asked) == tc->want_asked,
		              "%s: %s asked %u times, want %u", tc->label,
		              tc->asked, fakedns_queries(tc->asked),
		              tc->want_asked);
	if (tc->want_trace)
		ck_assert_msg(traced(s, tc->want_trace),
		              "%s: no trace line holds \"%s\"", tc->label,
		              tc->want_trace);
	ck_assert(!pcl_session_had_error(s));
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

/* file_contains - does the file at path contain needle (any case) */
static bool
file_contains(const char *path, const char *needle)
{
	char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return strcasestr(buf, needle) != NULL;
}

/* A signer on a DQS list: the identity is named in the reply, the trace
 * and the log line; the key (also echoed in the list's TXT record) in
 * none of them, nor in a header the message gets. */
START_TEST(test_dqs_key_never_shown)
{
	struct pcl_conf *c = load("dbl_sites = $dqs_key.dbl.dq.test\n");
	const char *const sigs[] = {"bad.example", NULL};
	struct pcl_decision d;
	struct pcl_session *s;
	char reply[PCL_REPLY_TEXT_MAX + 32], logpath[300];

	ck_assert(pcl_format(logpath, sizeof(logpath), "%s/log%d", dir,
	                     (int)getpid()));
	ck_assert_ptr_nonnull(freopen(logpath, "w", stderr));
	pcl_log_open("check", LOG_MAIL, true, false);
	s = run(c, "192.0.2.10", CLEAN_FROM, sigs, true, &d, reply,
	        sizeof(reply));
	ck_assert_msg(d.action == PCL_ACT_REJECT, "got %s, want reject",
	              pcl_action_name(d.action));
	ck_assert_msg(strstr(reply,
	                     "DKIM signer <bad.example> blocked using "
	                     "dbl.dq.test; listed: bad.example.") != NULL,
	              "reply: %s", reply);
	ck_assert_msg(strcasestr(reply, KEY) == NULL,
	              "the reply holds the key");
	ck_assert(traced(s, "dkim bad.example"));
	for (size_t i = 0; i < pcl_session_trace_count(s); i++)
		ck_assert_msg(strcasestr(pcl_session_trace_get(s, i)->detail,
		                         KEY) == NULL,
		              "trace line holds the key: %s",
		              pcl_session_trace_get(s, i)->detail);
	for (size_t i = 0; i < pcl_session_header_count(s); i++) {
		const struct pcl_add_header *h = pcl_session_header_get(s, i);

		ck_assert_msg(strcasestr(h->value, KEY) == NULL,
		              "header %s holds the key", h->name);
	}
	ck_assert_uint_eq(fakedns_queries("bad.example." KEY ".dbl.dq.test"),
	                  2); /* A, then TXT for the reply */
	pcl_session_free(s);
	fflush(stderr);
	ck_assert_msg(
	    file_contains(logpath, "dkim=bad.example list=dbl.dq.test"),
	    "no log line names the signer and the list");
	ck_assert_msg(!file_contains(logpath, KEY), "a log line holds the key");
	pcl_conf_release(c);
	unlink(logpath);
}
END_TEST

/* The signers go out with the message's other domains, in one round:
 * the end of the message waits one answer time, not two. Every answer
 * of the list takes DELAY_MS; the list judges only the message, so
 * that nothing else waits for it. */
#define DELAY_MS 2000
START_TEST(test_one_round)
{
	struct pcl_conf *c = load("dbl_sites = dbl.test:from+dkim\n"
	                          "dns_timeout = 10s" NOTXT);
	const char *const sigs[] = {"bad.example", NULL};
	struct timespec t0, t1;
	struct pcl_decision d;
	struct pcl_session *s;
	char reply[PCL_REPLY_TEXT_MAX + 32];
	long ms;

	fakedns_set_delay("*.dbl.test", DELAY_MS);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s = run(c, "192.0.2.10", CLEAN_FROM, sigs, false, &d, reply,
	        sizeof(reply));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_eq(d.action, PCL_ACT_REJECT);
	ck_assert_uint_eq(fakedns_queries("example.net.dbl.test"), 1);
	ck_assert_uint_eq(fakedns_queries("bad.example.dbl.test"), 1);
	/* one round: DELAY_MS and the rest (slack for a loaded machine);
	 * two rounds cannot take less than twice DELAY_MS */
	ck_assert_msg(ms >= DELAY_MS - 50 && ms < 2 * DELAY_MS - 300,
	              "took %ld ms, want %d .. %d", ms, DELAY_MS - 50,
	              2 * DELAY_MS - 300);
	pcl_session_free(s);
	pcl_conf_release(c);
}
END_TEST

/* The identity's name, and its place in the default. */
START_TEST(test_identity_parsed)
{
	struct pcl_conf *c = load("dbl_sites = a.test b.test:dkim "
	                          "c.test:from+dkim d.test:from");

	ck_assert_str_eq(pcl_dbl_identity_name(PCL_DBL_DKIM), "dkim");
	ck_assert_uint_eq(c->ndbl_sites, 4);
	ck_assert_uint_eq(c->dbl_sites[0].identities,
	                  (1u << PCL_DBL_NIDENT) - 1);
	ck_assert(c->dbl_sites[0].identities & (1u << PCL_DBL_DKIM));
	ck_assert_uint_eq(c->dbl_sites[1].identities, 1u << PCL_DBL_DKIM);
	ck_assert_uint_eq(c->dbl_sites[2].identities,
	                  (1u << PCL_DBL_FROM) | (1u << PCL_DBL_DKIM));
	ck_assert_uint_eq(c->dbl_sites[3].identities, 1u << PCL_DBL_FROM);
	pcl_conf_release(c);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_dbl_dkim");
	TCase *tc = tcase_create("dbl_dkim");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_dqs_key_never_shown);
	tcase_add_test(tc, test_one_round);
	tcase_add_test(tc, test_identity_parsed);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
