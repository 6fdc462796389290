/*
 * check_dkim_keycache - the cache of parsed public keys
 * (lib/auth/dkim_keycache.c), on its own and under the verifier
 *
 * On its own: put and get, expiry at the entry's time, a changed record
 * text or name is another entry, a slot taken over while a key handed
 * out from it is still in use (the key must stay valid: its reference
 * is the caller's; run under ASan), threads at one small cache. Under
 * the verifier: the same message twice costs one key parse, the second
 * time is a hit; five signatures by one key cost one; a key that does
 * not parse is never kept. The verifier's cache is reached through the
 * library handle's internals (dkim_int.h).
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "dkim_craft.h"
#include "dkim_int.h"
#include "dkim_keycache.h"
#include "dns.h"
#include "fakedns.h"
#include "util.h"

#define NOW 1000
#define FIXED_TIME 1700000100L
#define BODY "Hello Bob,\r\nthis is the body.\r\n"

static struct craft_key *keys[4]; /* RSA, RSA, Ed25519, Ed25519 */
static struct pcl_dns *dns;

/* keys_make - once per run (unchecked fixture) */
static void
keys_make(void)
{
	for (size_t i = 0; i < 4; i++)
		keys[i] = craft_key_new(i >= 2);
}

/* keys_free - undo keys_make */
static void
keys_free(void)
{
	for (size_t i = 0; i < 4; i++) {
		craft_key_free(keys[i]);
		keys[i] = NULL;
	}
}

/* digest - the entry name of a key name and record text */
static void
digest(const char *name, const char *text, unsigned char out[32])
{
	ck_assert(dkim_keycache_digest(name, text, strlen(text), out));
}

/* info_of - the parameters kept with key k */
static struct dkim_keyinfo
info_of(const struct craft_key *k)
{
	struct dkim_keyinfo info = {0};

	info.type = k->ed ? PCL_DKIM_TAGS_KEY_ED25519 : PCL_DKIM_TAGS_KEY_RSA;
	info.bits = k->ed ? 256 : 2048;
	info.strict = !k->ed;
	return info;
}

/* stats_are - hits and misses of c */
static void
stats_are(struct dkim_keycache *c, uint64_t hits, uint64_t misses)
{
	uint64_t h = 0, m = 0;

	dkim_keycache_stats(c, &h, &m);
	ck_assert_msg(h == hits && m == misses,
	              "stats: got %llu hits %llu misses, want %llu %llu",
	              (unsigned long long)h, (unsigned long long)m,
	              (unsigned long long)hits, (unsigned long long)misses);
}

/* test_put_get - a key put is got back, with its parameters, as a
 * reference of the caller's own */
START_TEST(test_put_get)
{
	struct dkim_keycache *c = dkim_keycache_new(8);
	struct dkim_keyinfo in = info_of(keys[0]), out = {0};
	unsigned char d[32], other[32];
	EVP_PKEY *got;

	ck_assert_ptr_nonnull(c);
	digest("good._domainkey.example.test", "v=DKIM1; p=A", d);
	digest("good._domainkey.example.test", "v=DKIM1; p=B", other);
	ck_assert_ptr_null(dkim_keycache_get(c, d, NOW, &out));
	stats_are(c, 0, 1);
	dkim_keycache_put(c, d, NOW + 300, keys[0]->pkey, &in);
	got = dkim_keycache_get(c, d, NOW, &out);
	ck_assert_ptr_eq(got, keys[0]->pkey);
	ck_assert_int_eq(out.type, PCL_DKIM_TAGS_KEY_RSA);
	ck_assert_uint_eq(out.bits, 2048);
	ck_assert(out.strict && !out.testing);
	stats_are(c, 1, 1);
	ck_assert_ptr_null(dkim_keycache_get(c, other, NOW, &out));
	stats_are(c, 1, 2);
	dkim_keycache_free(c);
	/* the cache is gone, our reference is not */
	ck_assert_int_eq(EVP_PKEY_get_bits(got), 2048);
	EVP_PKEY_free(got);
}
END_TEST

/* test_expiry - an entry lives until its time, not at it */
START_TEST(test_expiry)
{
	struct dkim_keycache *c = dkim_keycache_new(8);
	struct dkim_keyinfo in = info_of(keys[2]), out = {0};
	unsigned char d[32];
	EVP_PKEY *got;

	digest("ed._domainkey.example.test", "v=DKIM1; k=ed25519; p=A", d);
	dkim_keycache_put(c, d, NOW + 60, keys[2]->pkey, &in);
	got = dkim_keycache_get(c, d, NOW + 59, &out);
	ck_assert_ptr_eq(got, keys[2]->pkey);
	EVP_PKEY_free(got);
	ck_assert_ptr_null(dkim_keycache_get(c, d, NOW + 60, &out));
	ck_assert_ptr_null(dkim_keycache_get(c, d, NOW + 3600, &out));
	stats_are(c, 1, 2);
	/* put again (a fresh answer): alive again */
	dkim_keycache_put(c, d, NOW + 7200, keys[2]->pkey, &in);
	got = dkim_keycache_get(c, d, NOW + 3600, &out);
	ck_assert_ptr_eq(got, keys[2]->pkey);
	EVP_PKEY_free(got);
	dkim_keycache_free(c);
}
END_TEST

struct name_case {
	const char *label;
	const char *name, *text; /* against the entry put */
};

#define PUT_NAME "sel._domainkey.example.test"
#define PUT_TEXT "v=DKIM1; k=rsa; p=MIIB"

static const struct name_case name_cases[] = {
    {"record text changed", PUT_NAME, "v=DKIM1; k=rsa; p=MIIC"},
    {"record text longer", PUT_NAME, PUT_TEXT " "},
    {"t=s added", PUT_NAME, "v=DKIM1; k=rsa; t=s; p=MIIB"},
    {"another selector", "les._domainkey.example.test", PUT_TEXT},
    {"another domain", "sel._domainkey.example.org", PUT_TEXT},
    {"name and text cut elsewhere", PUT_NAME "v", "=DKIM1; k=rsa; p=MIIB"},
};

/* test_changed - a changed record or name is another entry: a miss */
START_TEST(test_changed)
{
	const struct name_case *nc = &name_cases[_i];
	struct dkim_keycache *c = dkim_keycache_new(64);
	struct dkim_keyinfo in = info_of(keys[0]), out = {0};
	unsigned char d[32], other[32];
	EVP_PKEY *got;

	digest(PUT_NAME, PUT_TEXT, d);
	digest(nc->name, nc->text, other);
	ck_assert_msg(memcmp(d, other, sizeof(d)) != 0, "%s: the same digest",
	              nc->label);
	dkim_keycache_put(c, d, NOW + 300, keys[0]->pkey, &in);
	got = dkim_keycache_get(c, other, NOW, &out);
	ck_assert_msg(got == NULL, "%s: got a key, want a miss", nc->label);
	stats_are(c, 0, 1);
	got = dkim_keycache_get(c, d, NOW, &out);
	ck_assert_ptr_eq(got, keys[0]->pkey);
	EVP_PKEY_free(got);
	dkim_keycache_free(c);
}
END_TEST

/* verify_with - a signature over a fixed hash made by k verifies with
 * pkey: the key is alive and whole */
static void
verify_with(EVP_PKEY *pkey, const struct craft_key *k)
{
	unsigned char hash[32] = "0123456789abcdef0123456789abcdef";
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k->pkey, NULL);

	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(EVP_PKEY_sign_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING),
	                 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()), 1);
	ck_assert_int_eq(EVP_PKEY_sign(pc, sig, &siglen, hash, 32), 1);
	EVP_PKEY_CTX_free(pc);
	pc = EVP_PKEY_CTX_new(pkey, NULL);
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(EVP_PKEY_verify_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING),
	                 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()), 1);
	ck_assert_int_eq(EVP_PKEY_verify(pc, sig, siglen, hash, 32), 1);
	EVP_PKEY_CTX_free(pc);
}

/* test_replace - one slot: a new key takes it over while the old one,
 * handed out, is still in use; the holder's reference keeps it valid
 * (ASan: no use after free), and the cache's is dropped (LSan: no
 * leak). The keys are copies of their own, so that the cache's
 * references are the only others. */
START_TEST(test_replace)
{
	struct dkim_keycache *c = dkim_keycache_new(1);
	struct dkim_keyinfo in = info_of(keys[0]), out = {0};
	unsigned char da[32], db[32];
	unsigned char *der = NULL;
	const unsigned char *q;
	EVP_PKEY *a, *b, *held, *got;
	int n;

	n = i2d_PUBKEY(keys[0]->pkey, &der);
	ck_assert_int_gt(n, 0);
	q = der;
	a = d2i_PUBKEY(NULL, &q, n);
	OPENSSL_free(der);
	der = NULL;
	n = i2d_PUBKEY(keys[1]->pkey, &der);
	ck_assert_int_gt(n, 0);
	q = der;
	b = d2i_PUBKEY(NULL, &q, n);
	OPENSSL_free(der);
	ck_assert(a != NULL && b != NULL);
	digest("a._domainkey.example.test", "v=DKIM1; p=A", da);
	digest("b._domainkey.example.test", "v=DKIM1; p=B", db);
	/* the verifier's pattern: parse, put, drop its own reference */
	dkim_keycache_put(c, da, NOW + 300, a, &in);
	EVP_PKEY_free(a);
	held = dkim_keycache_get(c, da, NOW, &out);
	ck_assert_ptr_eq(held, a);
	dkim_keycache_put(c, db, NOW + 300, b, &in); /* takes the slot */
	EVP_PKEY_free(b);
	ck_assert_ptr_null(dkim_keycache_get(c, da, NOW, &out));
	verify_with(held, keys[0]); /* still whole */
	got = dkim_keycache_get(c, db, NOW, &out);
	ck_assert_ptr_eq(got, b);
	verify_with(got, keys[1]);
	EVP_PKEY_free(got);
	/* the same digest again: the entry's key is replaced */
	dkim_keycache_put(c, db, NOW + 600, held, &in);
	got = dkim_keycache_get(c, db, NOW + 400, &out);
	ck_assert_ptr_eq(got, held);
	EVP_PKEY_free(got);
	EVP_PKEY_free(held);
	stats_are(c, 3, 1);
	dkim_keycache_free(c);
}
END_TEST

/* test_null - NULL is safe where the header says so */
START_TEST(test_null)
{
	struct dkim_keyinfo in = info_of(keys[0]), out = {0};
	struct dkim_keycache *c = dkim_keycache_new(0); /* at least one */
	unsigned char d[32];
	EVP_PKEY *got;

	dkim_keycache_free(NULL);
	digest("x._domainkey.example.test", "p=", d);
	ck_assert_ptr_null(dkim_keycache_get(NULL, d, NOW, &out));
	dkim_keycache_put(NULL, d, NOW + 1, keys[0]->pkey, &in);
	dkim_keycache_put(c, d, NOW + 1, NULL, &in);
	ck_assert_ptr_null(dkim_keycache_get(c, d, NOW, &out));
	dkim_keycache_put(c, d, NOW + 1, keys[0]->pkey, &in);
	got = dkim_keycache_get(c, d, NOW, &out);
	ck_assert_ptr_eq(got, keys[0]->pkey);
	EVP_PKEY_free(got);
	dkim_keycache_free(c);
}
END_TEST

#define THREADS 4
#define ROUNDS 3000

static struct dkim_keycache *shared;

/* churn - one thread putting and getting four keys in two slots */
static void *
churn(void *arg)
{
	uintptr_t self = (uintptr_t)arg, bad = 0;
	unsigned char d[4][32];
	char name[64];

	for (size_t k = 0; k < 4; k++) {
		ck_assert(
		    pcl_format(name, sizeof(name), "k%zu._domainkey.t", k));
		ck_assert(dkim_keycache_digest(name, "p=", 2, d[k]));
	}
	for (size_t i = 0; i < ROUNDS; i++) {
		size_t k = (i + self) % 4, j = (i * 7 + self) % 4;
		struct dkim_keyinfo in = info_of(keys[k]), out = {0};
		EVP_PKEY *got;

		dkim_keycache_put(shared, d[k], NOW + 300, keys[k]->pkey, &in);
		got = dkim_keycache_get(shared, d[j], NOW, &out);
		if (got == NULL)
			continue;
		/* a key is always the one its digest names */
		bad += got != keys[j]->pkey ||
		       (out.type == PCL_DKIM_TAGS_KEY_ED25519) != keys[j]->ed;
		EVP_PKEY_free(got);
	}
	return (void *)bad;
}

/* test_threads - concurrent put and get on a small cache */
START_TEST(test_threads)
{
	pthread_t t[THREADS];
	uint64_t hits = 0, misses = 0;

	shared = dkim_keycache_new(2);
	for (uintptr_t i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, (void *)i),
		                 0);
	for (int i = 0; i < THREADS; i++) {
		void *bad = NULL;

		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_msg(bad == NULL, "thread %d: got %lu wrong keys", i,
		              (unsigned long)(uintptr_t)bad);
	}
	dkim_keycache_stats(shared, &hits, &misses);
	ck_assert_uint_eq(hits + misses, (uint64_t)THREADS * ROUNDS);
	dkim_keycache_free(shared);
	shared = NULL;
}
END_TEST

/* setup - keys in the zone, fakedns, a DNS module */
static void
setup(void)
{
	struct craft_buf zone = {0};
	struct pcl_dns_conf conf = {0};
	char err[PCL_ERR_MAX] = "";
	struct fakedns *fk;

	craft_buf_printf(&zone, "$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. "
	                        "admin.test. 1 3600 600 86400 120\n");
	craft_record(&zone, "good._domainkey.example.test.", keys[0], NULL, 0);
	craft_record(&zone, "same._domainkey.example.test.", keys[0], NULL, 0);
	craft_record(&zone, "ed._domainkey.example.test.", keys[2], NULL, 0);
	craft_buf_printf(&zone, "bad._domainkey.example.test. IN TXT "
	                        "\"v=DKIM1; k=rsa; p=MIIBIjAN\"\n");
	fk = fakedns_start(zone.p);
	craft_buf_free(&zone);
	ck_assert_ptr_nonnull(fk);
	conf.servers = fk->servers;
	conf.timeout_ms = 10000;
	conf.cache_max_entries = 100;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "pcl_dns_new: %s", err);
}

/* teardown - the DNS module, then the server */
static void
teardown(void)
{
	pcl_dns_free(dns);
	dns = NULL;
	fakedns_stop();
}

struct verify_case {
	const char *label;
	const char *selectors[5]; /* signatures, top first; NULL ends */
	enum pcl_dkim_result result;
	/* hits and misses after the first message and after the second */
	uint64_t hits1, misses1, hits2, misses2;
};

static const struct verify_case verify_cases[] = {
    {"one RSA signature", {"good"}, PCL_DKIM_PASS, 0, 1, 1, 1},
    {"one Ed25519 signature", {"ed"}, PCL_DKIM_PASS, 0, 1, 1, 1},
    {"five signatures, one key",
     {"good", "good", "good", "good", "good"},
     PCL_DKIM_PASS,
     4,
     1,
     9,
     1},
    {"one key under two names: two entries",
     {"good", "same"},
     PCL_DKIM_PASS,
     0,
     2,
     2,
     2},
    {"RSA and Ed25519", {"good", "ed"}, PCL_DKIM_PASS, 0, 2, 2, 2},
    {"a key that does not parse is not kept",
     {"bad"},
     PCL_DKIM_PERMERROR,
     0,
     1,
     0,
     2},
};

/* message - signed by each selector of vc */
static void
message(struct craft_msg *m, const struct verify_case *vc)
{
	craft_msg_init(m, BODY);
	craft_msg_add(m, "From", " Alice <alice@example.test>");
	craft_msg_add(m, "Subject", " cached");
	for (size_t i = 5; i-- > 0;) {
		struct craft_sig sig = {keys[0],
		                        NULL,
		                        "example.test",
		                        vc->selectors[i],
		                        "from:subject",
		                        NULL,
		                        0};

		if (vc->selectors[i] == NULL)
			continue;
		if (strcmp(vc->selectors[i], "ed") == 0)
			sig.key = keys[2];
		craft_sign(m, &sig);
	}
}

/* test_verify_twice - the same message twice on one library handle */
START_TEST(test_verify_twice)
{
	const struct verify_case *vc = &verify_cases[_i];
	struct pcl_dkim_lib_conf conf = {0};
	char err[PCL_ERR_MAX] = "";
	struct pcl_dkim_lib *lib;
	struct craft_msg m;

	conf.fixed_time = FIXED_TIME;
	lib = pcl_dkim_lib_new(dns, &conf, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	message(&m, vc);
	for (int pass = 1; pass <= 2; pass++) {
		struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");
		uint64_t hits = 0, misses = 0;

		craft_feed(v, &m, 0);
		ck_assert_uint_eq(pcl_dkim_verify_count(v), m.n - 2);
		for (size_t i = 0; i < pcl_dkim_verify_count(v); i++) {
			const struct pcl_dkim_sig *s =
			    pcl_dkim_verify_sig(v, i);

			ck_assert_msg(
			    s->result == vc->result,
			    "%s: pass %d sig %zu: got %s (%s), want %s",
			    vc->label, pass, i, pcl_dkim_result_name(s->result),
			    s->reason, pcl_dkim_result_name(vc->result));
		}
		pcl_dkim_verify_free(v);
		dkim_keycache_stats(lib->keys, &hits, &misses);
		ck_assert_msg(
		    hits == (pass == 1 ? vc->hits1 : vc->hits2) &&
		        misses == (pass == 1 ? vc->misses1 : vc->misses2),
		    "%s: after message %d: got %llu hits %llu misses, "
		    "want %llu %llu",
		    vc->label, pass, (unsigned long long)hits,
		    (unsigned long long)misses,
		    (unsigned long long)(pass == 1 ? vc->hits1 : vc->hits2),
		    (unsigned long long)(pass == 1 ? vc->misses1
		                                   : vc->misses2));
	}
	craft_msg_free(&m);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* keycache_suite - the suite */
static Suite *
keycache_suite(void)
{
	Suite *s = suite_create("dkim_keycache");
	TCase *tc = tcase_create("cache");
	TCase *tv = tcase_create("verifier");

	tcase_add_unchecked_fixture(tc, keys_make, keys_free);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_put_get);
	tcase_add_test(tc, test_expiry);
	tcase_add_loop_test(tc, test_changed, 0,
	                    (int)(sizeof(name_cases) / sizeof(name_cases[0])));
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_null);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(tv, keys_make, keys_free);
	tcase_add_checked_fixture(tv, setup, teardown);
	tcase_set_timeout(tv, 120);
	tcase_add_loop_test(
	    tv, test_verify_twice, 0,
	    (int)(sizeof(verify_cases) / sizeof(verify_cases[0])));
	suite_add_tcase(s, tv);
	return s;
}

/* main - run the suite */
int
main(void)
{
	SRunner *sr = srunner_create(keycache_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
