/*
 * check_dkim - DKIM verification against messages signed by an
 * independent signer (python3-dkim, tests/unit/data/dkim/make.py),
 * with the keys served by fakedns through the DNS module
 *
 * Messages are fed the way Postfix's milter gives them: header values
 * with the leading space kept and folds as bare LF, body chunks of odd
 * sizes with CRLF line ends. Each table case may change one string of
 * the message first, or make fakedns misbehave for one name.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim.h"
#include "dns.h"
#include "fakedns.h"
#include "util.h"

#define FIXED_TIME 1700000100L /* the fixtures are signed at 1700000000 */
#define DNS_TIMEOUT_MS 500
#define MAX_FIELDS 64
#define SLOW "slow._domainkey.example.test"

static struct fakedns *fk;
static struct pcl_dns *dns;

/* slurp - a file of tests/unit/data/dkim, NUL-terminated */
static char *
slurp(const char *name)
{
	const char *srcdir = getenv("srcdir");
	char path[512];
	FILE *fp;
	char *buf;
	long len;

	ck_assert(pcl_format(path, sizeof(path), "%s/tests/unit/data/dkim/%s",
	                     srcdir ? srcdir : ".", name));
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	ck_assert_int_ge(len, 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* setup - fakedns serving the fixture keys, a DNS module pointed at it
 * (checked fixture: both live in the process running the test) */
static void
setup(void)
{
	static const char soa[] =
	    "$ORIGIN test.\n"
	    "$TTL 300\n"
	    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n";
	char *keys = slurp("keys.zone");
	char *arc = slurp("arc.zone");
	size_t len = strlen(soa) + strlen(keys) + strlen(arc) + 1;
	char *zone = malloc(len);
	struct pcl_dns_conf conf = {0};
	char err[PCL_ERR_MAX] = "";

	ck_assert_ptr_nonnull(zone);
	ck_assert(pcl_format(zone, len, "%s%s%s", soa, keys, arc));
	fk = fakedns_start(zone);
	free(zone);
	free(keys);
	free(arc);
	ck_assert_ptr_nonnull(fk);
	conf.servers = fk->servers;
	conf.timeout_ms = DNS_TIMEOUT_MS;
	conf.cache_max_entries = 100;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "pcl_dns_new: %s", err);
}

/* teardown - free the DNS module, stop the server */
static void
teardown(void)
{
	pcl_dns_free(dns);
	dns = NULL;
	fakedns_stop();
}

/* lib_new - a verifier library on dns with the given limits (0:
 * default) and the clock pinned */
static struct pcl_dkim_lib *
lib_new(unsigned max_signatures, unsigned min_key_bits)
{
	struct pcl_dkim_lib_conf conf = {0};
	struct pcl_dkim_lib *lib;
	char err[PCL_ERR_MAX] = "";

	conf.max_signatures = max_signatures;
	conf.min_key_bits = min_key_bits;
	conf.fixed_time = FIXED_TIME;
	lib = pcl_dkim_lib_new(dns, &conf, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	return lib;
}

/* A message split the way Postfix's milter hands it over. */
struct msg {
	char *text; /* the file, cut up in place */
	char *names[MAX_FIELDS];
	char *values[MAX_FIELDS]; /* leading space kept, folds bare LF */
	size_t nfields;
	char *body; /* CRLF line ends */
	size_t bodylen;
};

/* replace_once - text with the first from replaced by to (new
 * allocation); from must occur */
static char *
replace_once(char *text, const char *from, const char *to)
{
	char *at = strstr(text, from);
	size_t head, flen = strlen(from), tlen = strlen(to);
	char *out;

	ck_assert_msg(at != NULL, "mutation \"%s\" not in the message", from);
	head = (size_t)(at - text);
	out = malloc(strlen(text) - flen + tlen + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, text, head);
	memcpy(out + head, to, tlen);
	memcpy(out + head + tlen, at + flen, strlen(at + flen) + 1);
	free(text);
	return out;
}

/* msg_load - read an .eml (LF line ends), change one string when from
 * is set, split it into fields and a CRLF body */
static void
msg_load(struct msg *m, const char *file, const char *from, const char *to)
{
	char *p, *end;
	size_t lines = 0, n = 0;

	memset(m, 0, sizeof(*m));
	m->text = slurp(file);
	if (from != NULL)
		m->text = replace_once(m->text, from, to);
	end = strstr(m->text, "\n\n");
	ck_assert_ptr_nonnull(end);
	end[1] = '\0'; /* header lines, each ending in LF */
	for (p = m->text; *p; p = strchr(p, '\n') + 1) {
		if (*p == ' ' || *p == '\t') {
			/* a fold: the LF before it stays, as Postfix sends */
			ck_assert_uint_gt(m->nfields, 0);
			continue;
		}
		ck_assert_uint_lt(m->nfields, MAX_FIELDS);
		if (p != m->text)
			p[-1] = '\0'; /* end the previous field's value */
		m->names[m->nfields] = p;
		p = strchr(p, ':');
		ck_assert_ptr_nonnull(p);
		*p++ = '\0';
		m->values[m->nfields++] = p;
	}
	end[0] = '\0'; /* the last field's line end */
	for (p = end + 2; *p; p++)
		lines += *p == '\n';
	m->body = malloc(strlen(end + 2) + lines + 1);
	ck_assert_ptr_nonnull(m->body);
	for (p = end + 2; *p; p++) {
		if (*p == '\n')
			m->body[n++] = '\r';
		m->body[n++] = *p;
	}
	m->bodylen = n;
}

/* msg_free - free what msg_load made */
static void
msg_free(struct msg *m)
{
	free(m->text);
	free(m->body);
}

/* feed - one message through a verifier: fields, eoh, body in chunks
 * of the sizes in chunks (cycled, 0-terminated), eom */
static void
feed(struct pcl_dkim_verify *v, const struct msg *m, const size_t *chunks)
{
	size_t off = 0, k = 0;

	for (size_t i = 0; i < m->nfields; i++)
		pcl_dkim_verify_header(v, m->names[i], m->values[i]);
	pcl_dkim_verify_eoh(v);
	while (off < m->bodylen) {
		size_t n = chunks[k];

		if (chunks[++k] == 0)
			k = 0;
		if (n > m->bodylen - off)
			n = m->bodylen - off;
		pcl_dkim_verify_body(v, (const unsigned char *)m->body + off,
		                     n);
		off += n;
	}
	pcl_dkim_verify_eom(v);
}

static const size_t odd_chunks[] = {1, 7, 64, 333, 2, 1000, 3, 0};

/* verify_file - verify one fixture with lib; the verifier is the
 * caller's */
static struct pcl_dkim_verify *
verify_file(struct pcl_dkim_lib *lib, const char *file, const char *from,
            const char *to, const size_t *chunks)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");
	struct msg m;

	ck_assert_ptr_nonnull(v);
	msg_load(&m, file, from, to);
	feed(v, &m, chunks);
	msg_free(&m);
	return v;
}

struct want_sig {
	enum pcl_dkim_result result;
	const char *reason; /* a substring of the reason */
	const char *selector;
	const char *algorithm;
};

struct dkim_case {
	const char *label;
	const char *file;
	const char *from, *to; /* change this string first */
	const char *servfail;  /* fakedns answers SERVFAIL for this name */
	unsigned max_signatures, min_key_bits; /* 0: default */
	size_t want_count;
	struct want_sig want[8];
};

#define PASS_RSA                                                               \
	{                                                                      \
		PCL_DKIM_PASS, "signature verified", "rsa2048", "rsa-sha256"   \
	}
#define PASS_ED                                                                \
	{                                                                      \
		PCL_DKIM_PASS, "signature verified", "ed", "ed25519-sha256"    \
	}
#define OVER_CAP                                                               \
	{                                                                      \
		PCL_DKIM_NEUTRAL, "not verified: over the per-message limit",  \
		    "rsa2048", "rsa-sha256"                                    \
	}
#define BODY_BYTE "Line 07: the quick", "Line 07: the quicK"
#define SUBJECT "Subject: DKIM fixture", "Subject: DKIM Fixture"

static const struct dkim_case cases[] = {
    {"relaxed/relaxed rsa-sha256 passes",
     "relaxed.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {PASS_RSA}},
    {"simple/simple rsa-sha256 passes",
     "simple.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {PASS_RSA}},
    {"ed25519-sha256 passes",
     "ed25519.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {PASS_ED}},
    {"RSA-1024 passes at the 1024 minimum",
     "rsa1024.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_PASS, "signature verified", "rsa1024", "rsa-sha256"}}},
    {"one body byte changed, relaxed",
     "relaxed.eml",
     BODY_BYTE,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "body hash mismatch", "rsa2048", NULL}}},
    {"one body byte changed, simple",
     "simple.eml",
     BODY_BYTE,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "body hash mismatch", "rsa2048", NULL}}},
    {"one body byte changed, ed25519",
     "ed25519.eml",
     BODY_BYTE,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "body hash mismatch", "ed", NULL}}},
    {"signed header changed, rsa",
     "relaxed.eml",
     SUBJECT,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "signature did not verify", "rsa2048", NULL}}},
    {"signed header changed, ed25519",
     "ed25519.eml",
     SUBJECT,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "signature did not verify", "ed", NULL}}},
    {"white space in a header, relaxed: still passes",
     "relaxed.eml",
     "Subject: DKIM",
     "Subject:   DKIM",
     NULL,
     0,
     0,
     1,
     {PASS_RSA}},
    {"white space in a header, simple: fails",
     "simple.eml",
     "Subject: DKIM",
     "Subject:   DKIM",
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "signature did not verify", "rsa2048", NULL}}},
    {"missing key (NXDOMAIN) is a permerror",
     "nokey.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_PERMERROR, "no key", "gone", NULL}}},
    {"key lookup SERVFAIL is a temperror",
     "slow.eml",
     NULL,
     NULL,
     SLOW,
     0,
     0,
     1,
     {{PCL_DKIM_TEMPERROR, "key lookup failed", "slow", NULL}}},
    {"RSA-512 fails: key too small",
     "rsa512.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "key too small (512 bits, minimum 1024)", "rsa512",
       NULL}}},
    {"RSA-512 passes when the minimum is 512",
     "rsa512.eml",
     NULL,
     NULL,
     NULL,
     0,
     512,
     1,
     {{PCL_DKIM_PASS, "signature verified", "rsa512", NULL}}},
    {"RSA-1024 fails when the minimum is 2048",
     "rsa1024.eml",
     NULL,
     NULL,
     NULL,
     0,
     2048,
     1,
     {{PCL_DKIM_FAIL, "key too small", "rsa1024", NULL}}},
    {"rsa-sha1 fails (RFC 8301)",
     "sha1.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "rsa-sha1 not allowed (RFC 8301)", "rsa2048",
       "rsa-sha1"}}},
    {"rsa and ed25519: both pass, in header order",
     "two.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     2,
     {PASS_ED, PASS_RSA}},
    {"two signatures with a cap of 1",
     "two.eml",
     NULL,
     NULL,
     NULL,
     1,
     0,
     2,
     {PASS_ED, OVER_CAP}},
    {"rsa-sha1 does not use up a cap of 1",
     "sha1_rsa.eml",
     NULL,
     NULL,
     NULL,
     1,
     0,
     2,
     {{PCL_DKIM_FAIL, "rsa-sha1 not allowed", "rsa2048", "rsa-sha1"},
      PASS_RSA}},
    {"seven signatures, cap 5: 5 judged, 2 neutral",
     "seven.eml",
     NULL,
     NULL,
     NULL,
     5,
     0,
     7,
     {PASS_RSA, PASS_RSA, PASS_RSA, PASS_RSA, PASS_RSA, OVER_CAP, OVER_CAP}},
    {"seven signatures, body changed: 5 fail, 2 neutral",
     "seven.eml",
     BODY_BYTE,
     NULL,
     5,
     0,
     7,
     {{PCL_DKIM_FAIL, "body hash mismatch", NULL, NULL},
      {PCL_DKIM_FAIL, "body hash mismatch", NULL, NULL},
      {PCL_DKIM_FAIL, "body hash mismatch", NULL, NULL},
      {PCL_DKIM_FAIL, "body hash mismatch", NULL, NULL},
      {PCL_DKIM_FAIL, "body hash mismatch", NULL, NULL},
      OVER_CAP,
      OVER_CAP}},
    {"no signature: count 0", "unsigned.eml", NULL, NULL, NULL, 0, 0, 0, {{0}}},
    {"revoked key (empty p=) fails",
     "revoked.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_FAIL, "key revoked", "revoked", NULL}}},
    {"undecodable key is a permerror",
     "garbled.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_PERMERROR, "bad key", "garbled", NULL}}},
    {"signature without bh= is a permerror",
     "broken.eml",
     NULL,
     NULL,
     NULL,
     0,
     0,
     1,
     {{PCL_DKIM_PERMERROR, "bad signature", "rsa2048", NULL}}},
};

/* check_sigs - compare every verdict of v with want */
static void
check_sigs(const char *label, const struct pcl_dkim_verify *v,
           size_t want_count, const struct want_sig *want)
{
	size_t n = pcl_dkim_verify_count(v);

	ck_assert_msg(n == want_count, "%s: count: got %zu, want %zu", label, n,
	              want_count);
	for (size_t i = 0; i < n; i++) {
		const struct pcl_dkim_sig *s = pcl_dkim_verify_sig(v, i);
		const struct want_sig *w = &want[i];

		ck_assert_ptr_nonnull(s);
		ck_assert_msg(s->result == w->result,
		              "%s: sig %zu: got %s (%s), want %s", label, i,
		              pcl_dkim_result_name(s->result), s->reason,
		              pcl_dkim_result_name(w->result));
		ck_assert_msg(strstr(s->reason, w->reason) != NULL,
		              "%s: sig %zu reason: got \"%s\", want \"%s\"",
		              label, i, s->reason, w->reason);
		ck_assert_msg(strcmp(s->domain, "example.test") == 0,
		              "%s: sig %zu d=: got \"%s\", want example.test",
		              label, i, s->domain);
		ck_assert_msg(w->selector == NULL ||
		                  strcmp(s->selector, w->selector) == 0,
		              "%s: sig %zu s=: got \"%s\", want \"%s\"", label,
		              i, s->selector, w->selector);
		ck_assert_msg(w->algorithm == NULL ||
		                  strcmp(s->algorithm, w->algorithm) == 0,
		              "%s: sig %zu a=: got \"%s\", want \"%s\"", label,
		              i, s->algorithm, w->algorithm);
		ck_assert_msg(strlen(s->b) > 8, "%s: sig %zu b=: got \"%s\"",
		              label, i, s->b);
	}
	ck_assert_ptr_null(pcl_dkim_verify_sig(v, n));
}

/* test_cases - the table, each message fed in odd-sized chunks */
START_TEST(test_cases)
{
	const struct dkim_case *c = &cases[_i];
	struct pcl_dkim_lib *lib = lib_new(c->max_signatures, c->min_key_bits);
	struct pcl_dkim_verify *v;

	if (c->servfail != NULL)
		fakedns_set_servfail(c->servfail);
	v = verify_file(lib, c->file, c->from, c->to, odd_chunks);
	check_sigs(c->label, v, c->want_count, c->want);
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

struct chunk_case {
	const char *label;
	const char *file;
	size_t chunk;
};

static const struct chunk_case chunk_cases[] = {
    {"simple, 1-byte chunks", "simple.eml", 1},
    {"simple, 2-byte chunks (CRLF split)", "simple.eml", 2},
    {"simple, 3-byte chunks", "simple.eml", 3},
    {"simple, 77-byte chunks", "simple.eml", 77},
    {"simple, one chunk", "simple.eml", 1 << 20},
    {"relaxed, 1-byte chunks", "relaxed.eml", 1},
    {"relaxed, 5-byte chunks", "relaxed.eml", 5},
    {"ed25519, 13-byte chunks", "ed25519.eml", 13},
};

/* test_chunks - chunk boundaries anywhere, CR and LF split included */
START_TEST(test_chunks)
{
	const struct chunk_case *c = &chunk_cases[_i];
	const size_t chunks[] = {c->chunk, 0};
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	struct pcl_dkim_verify *v;
	const struct pcl_dkim_sig *s;

	v = verify_file(lib, c->file, NULL, NULL, chunks);
	ck_assert_msg(pcl_dkim_verify_count(v) == 1,
	              "%s: count: got %zu, want 1", c->label,
	              pcl_dkim_verify_count(v));
	s = pcl_dkim_verify_sig(v, 0);
	ck_assert_msg(s->result == PCL_DKIM_PASS, "%s: got %s (%s), want pass",
	              c->label, pcl_dkim_result_name(s->result), s->reason);
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* now_ms - monotonic milliseconds */
static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* test_timeout - an unanswered key lookup is a temperror, within the
 * DNS deadline */
START_TEST(test_timeout)
{
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	struct pcl_dkim_verify *v;
	const struct pcl_dkim_sig *s;
	long t0, took;

	fakedns_set_drop(SLOW);
	t0 = now_ms();
	v = verify_file(lib, "slow.eml", NULL, NULL, odd_chunks);
	took = now_ms() - t0;
	ck_assert_msg(pcl_dkim_verify_count(v) == 1, "count: got %zu, want 1",
	              pcl_dkim_verify_count(v));
	s = pcl_dkim_verify_sig(v, 0);
	ck_assert_msg(s->result == PCL_DKIM_TEMPERROR,
	              "dropped key query: got %s (%s), want temperror",
	              pcl_dkim_result_name(s->result), s->reason);
	ck_assert_msg(took >= DNS_TIMEOUT_MS - 50 &&
	                  took < DNS_TIMEOUT_MS + 1000,
	              "dropped key query took %ld ms, want about %d", took,
	              DNS_TIMEOUT_MS);
	ck_assert_uint_ge(fakedns_queries(SLOW), 1);
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* test_lib_free_keeps_dns - dkim_close must not free our DNS service:
 * after many verifications and pcl_dkim_lib_free, the DNS module still
 * answers (from its cache too), and a new library on it works */
START_TEST(test_lib_free_keeps_dns)
{
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	struct pcl_dns_answer *a;
	struct pcl_dns_stats st;
	struct pcl_dkim_verify *v;

	for (int i = 0; i < 30; i++) {
		v = verify_file(lib, "two.eml", NULL, NULL, odd_chunks);
		ck_assert_uint_eq(pcl_dkim_verify_count(v), 2);
		ck_assert_int_eq(pcl_dkim_verify_sig(v, 0)->result,
		                 PCL_DKIM_PASS);
		ck_assert_int_eq(pcl_dkim_verify_sig(v, 1)->result,
		                 PCL_DKIM_PASS);
		pcl_dkim_verify_free(v);
	}
	pcl_dkim_lib_free(lib);
	/* keys came from the cache after the first message: the cached
	 * wire reply is what libopendkim parsed */
	pcl_dns_stats(dns, &st);
	ck_assert_msg(st.cache_hits >= 58, "cache hits: got %llu, want >= 58",
	              (unsigned long long)st.cache_hits);
	a = pcl_dns_lookup(dns, "ed._domainkey.example.test", PCL_DNS_TXT);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(a->status == PCL_DNS_FOUND, "lookup after free: got %s",
	              pcl_dns_status_name(a->status));
	pcl_dns_answer_free(a);
	lib = lib_new(0, 0);
	v = verify_file(lib, "relaxed.eml", NULL, NULL, odd_chunks);
	ck_assert_int_eq(pcl_dkim_verify_sig(v, 0)->result, PCL_DKIM_PASS);
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

#define THREADS 4
#define PER_THREAD 8

/* verify_loop - a thread verifying two.eml repeatedly on a shared
 * library; returns the number of messages that did not pass */
static void *
verify_loop(void *arg)
{
	struct pcl_dkim_lib *lib = arg;
	uintptr_t bad = 0;

	for (int i = 0; i < PER_THREAD; i++) {
		struct pcl_dkim_verify *v =
		    verify_file(lib, "two.eml", NULL, NULL, odd_chunks);

		if (pcl_dkim_verify_count(v) != 2 ||
		    pcl_dkim_verify_sig(v, 0)->result != PCL_DKIM_PASS ||
		    pcl_dkim_verify_sig(v, 1)->result != PCL_DKIM_PASS)
			bad++;
		pcl_dkim_verify_free(v);
	}
	return (void *)bad;
}

/* test_threads - the DNS hooks are reentrant: threads share one lib */
START_TEST(test_threads)
{
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	pthread_t t[THREADS];

	pcl_dns_cache_flush(dns);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, verify_loop, lib),
		                 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad = NULL;

		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_msg(bad == NULL,
		              "thread %d: got %lu messages not passing, want 0",
		              i, (unsigned long)(uintptr_t)bad);
	}
	pcl_dkim_lib_free(lib);
}
END_TEST

/* test_api_edges - NULLs, order mistakes, names */
START_TEST(test_api_edges)
{
	char err[PCL_ERR_MAX] = "";
	struct pcl_dkim_lib *lib;
	struct pcl_dkim_verify *v;
	struct msg m;
	static const struct {
		enum pcl_dkim_result r;
		const char *want;
	} names[] = {
	    {PCL_DKIM_PASS, "pass"},
	    {PCL_DKIM_FAIL, "fail"},
	    {PCL_DKIM_NEUTRAL, "neutral"},
	    {PCL_DKIM_POLICY, "policy"},
	    {PCL_DKIM_TEMPERROR, "temperror"},
	    {PCL_DKIM_PERMERROR, "permerror"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(strcmp(pcl_dkim_result_name(names[i].r),
		                     names[i].want) == 0,
		              "result name %d: got %s, want %s",
		              (int)names[i].r, pcl_dkim_result_name(names[i].r),
		              names[i].want);
	ck_assert_ptr_null(pcl_dkim_lib_new(NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "dkim: no DNS resolver");
	pcl_dkim_lib_free(NULL);
	pcl_dkim_verify_free(NULL);
	ck_assert_ptr_null(pcl_dkim_verify_new(NULL, "x"));
	ck_assert_uint_eq(pcl_dkim_verify_count(NULL), 0);

	/* defaults (NULL conf), no id, eom without eoh, eom twice */
	lib = pcl_dkim_lib_new(dns, NULL, err, sizeof(err));
	ck_assert_msg(lib != NULL, "default conf: %s", err);
	v = pcl_dkim_verify_new(lib, NULL);
	ck_assert_ptr_nonnull(v);
	msg_load(&m, "relaxed.eml", NULL, NULL);
	for (size_t i = 0; i < m.nfields; i++)
		pcl_dkim_verify_header(v, m.names[i], m.values[i]);
	ck_assert_uint_eq(pcl_dkim_verify_count(v), 0); /* before eom */
	pcl_dkim_verify_body(v, (const unsigned char *)m.body, m.bodylen);
	pcl_dkim_verify_eom(v);
	pcl_dkim_verify_eom(v);
	pcl_dkim_verify_header(v, "X-Late", " ignored");
	ck_assert_uint_eq(pcl_dkim_verify_count(v), 1);
	ck_assert_int_eq(pcl_dkim_verify_sig(v, 0)->result, PCL_DKIM_PASS);
	ck_assert_uint_eq(pcl_dkim_verify_sig(v, 0)->key_bits, 2048);
	pcl_dkim_verify_free(v);
	msg_free(&m);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* ARC chains made by python3-dkim's arc_sign (data/dkim/arc_make.py),
 * each judged by its arc_verify as here */
struct arc_case {
	const char *file;
	enum pcl_arc_chain want;
	unsigned instances, oldest_pass;
	const char *reason; /* a substring */
};

static const struct arc_case arc_cases[] = {
    {"arc_one.eml", PCL_ARC_PASS, 1, 1, "chain verified"},
    /* a list changed Subject and body: AMS(1) fails, the chain holds */
    {"arc_two.eml", PCL_ARC_PASS, 2, 2, "chain verified"},
    {"arc_body.eml", PCL_ARC_FAIL, 2, 0,
     "ARC-Message-Signature: body hash mismatch (i=2)"},
    {"arc_aar.eml", PCL_ARC_FAIL, 2, 0, "ARC-Seal did not verify (i=2)"},
    {"relaxed.eml", PCL_ARC_NONE, 0, 0, ""},
};

/* test_arc - each chain's verdict */
START_TEST(test_arc)
{
	const struct arc_case *c = &arc_cases[_i];
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	struct pcl_dkim_verify *v =
	    verify_file(lib, c->file, NULL, NULL, odd_chunks);
	const struct pcl_arc_result *r = pcl_dkim_verify_arc(v);
	const char *sealer = NULL, *aar = NULL;

	ck_assert_msg(r->result == c->want, "%s: got %s (%s)", c->file,
	              pcl_arc_result_name(r->result), r->reason);
	ck_assert_msg(r->instances == c->instances &&
	                  r->oldest_pass == c->oldest_pass,
	              "%s: instances %u oldest %u", c->file, r->instances,
	              r->oldest_pass);
	ck_assert_msg(strstr(r->reason, c->reason) != NULL, "%s: reason %s",
	              c->file, r->reason);
	ck_assert(pcl_dkim_verify_arc_set(v, 1, &sealer, &aar) ==
	          (c->want == PCL_ARC_PASS));
	if (c->want == PCL_ARC_PASS) {
		ck_assert_str_eq(sealer, "sealer1.test");
		ck_assert_ptr_nonnull(strstr(aar, "dmarc=pass"));
	}
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* arc_fields - feed name/value pairs, then an empty body */
static const struct pcl_arc_result *
arc_fields(struct pcl_dkim_verify *v, const char *const *f, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		pcl_dkim_verify_header(v, f[i], f[i + 1]);
	pcl_dkim_verify_eom(v);
	return pcl_dkim_verify_arc(v);
}

/* test_arc_hostile - shapes that crashed other validators, judged from
 * the fields alone: no key is fetched */
START_TEST(test_arc_hostile)
{
	static const char *const cv_only[] = {"ARC-Seal", " i=1; cv", "From",
	                                      " a@example.org"};
	static const char *const twice[] = {
	    "ARC-Seal",
	    " i=1; cv=none; a=rsa-sha256; d=a.test; s=s; b=AA==", "ARC-Seal",
	    " i=1; cv=none; a=rsa-sha256; d=a.test; s=s; b=AA=="};
	static const char *const gap[] = {
	    "ARC-Authentication-Results",
	    " i=2; mx.test; none",
	    "ARC-Message-Signature",
	    " i=2; a=rsa-sha256; d=a.test; s=s; "
	    "h=from; bh=AA==; b=AA==",
	    "ARC-Seal",
	    " i=2; cv=pass; a=rsa-sha256; d=a.test; s=s; b=AA=="};
	struct pcl_dkim_lib *lib = lib_new(0, 0);
	struct pcl_dkim_verify *v;
	const struct pcl_arc_result *r;
	char value[64];

	v = pcl_dkim_verify_new(lib, "x");
	r = arc_fields(v, cv_only, 4);
	ck_assert_int_eq(r->result, PCL_ARC_FAIL);
	pcl_dkim_verify_free(v);
	v = pcl_dkim_verify_new(lib, "x");
	r = arc_fields(v, twice, 4);
	ck_assert_int_eq(r->result, PCL_ARC_FAIL);
	ck_assert_ptr_nonnull(strstr(r->reason, "two ARC fields"));
	pcl_dkim_verify_free(v);
	v = pcl_dkim_verify_new(lib, "x");
	r = arc_fields(v, gap, 6);
	ck_assert_ptr_nonnull(strstr(r->reason, "incomplete ARC set (i=1)"));
	pcl_dkim_verify_free(v);
	/* an ARC-Authentication-Results of 64 KB (100 results): filed by
	 * its i=, never parsed further; the set is incomplete */
	{
		size_t cap = 70000, n;
		char *big = malloc(cap);

		ck_assert_ptr_nonnull(big);
		n = (size_t)snprintf(big, cap, " i=1; mx.test");
		for (int i = 0; i < 100 && n + 700 < cap; i++)
			n += (size_t)snprintf(big + n, cap - n,
			                      "; dkim=pass header.d=d%d.test "
			                      "header.s=%0600d",
			                      i, i);
		v = pcl_dkim_verify_new(lib, "x");
		pcl_dkim_verify_header(v, "ARC-Authentication-Results", big);
		pcl_dkim_verify_eom(v);
		r = pcl_dkim_verify_arc(v);
		ck_assert_int_eq(r->result, PCL_ARC_FAIL);
		ck_assert_ptr_nonnull(strstr(r->reason, "incomplete ARC set"));
		pcl_dkim_verify_free(v);
		free(big);
	}
	/* 60 sets: over the 50 the chain may have */
	v = pcl_dkim_verify_new(lib, "x");
	for (int i = 1; i <= 60; i++) {
		ck_assert(pcl_format(value, sizeof(value),
		                     " i=%d; mx.test; none", i));
		pcl_dkim_verify_header(v, "ARC-Authentication-Results", value);
		pcl_dkim_verify_header(v, "ARC-Seal", value);
		pcl_dkim_verify_header(v, "ARC-Message-Signature", value);
	}
	pcl_dkim_verify_eom(v);
	r = pcl_dkim_verify_arc(v);
	ck_assert_int_eq(r->result, PCL_ARC_FAIL);
	pcl_dkim_verify_free(v);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* dkim_suite - the suite */
static Suite *
dkim_suite(void)
{
	Suite *s = suite_create("dkim");
	TCase *tc = tcase_create("verify");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_cases, 0,
	                    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(
	    tc, test_chunks, 0,
	    (int)(sizeof(chunk_cases) / sizeof(chunk_cases[0])));
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_lib_free_keeps_dns);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_api_edges);
	tcase_add_loop_test(tc, test_arc, 0,
	                    (int)(sizeof(arc_cases) / sizeof(arc_cases[0])));
	tcase_add_test(tc, test_arc_hostile);
	suite_add_tcase(s, tc);
	return s;
}

/* main - run the suite */
int
main(void)
{
	SRunner *sr = srunner_create(dkim_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
