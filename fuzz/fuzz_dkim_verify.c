/*
 * fuzz_dkim_verify - the DKIM verifier (lib/auth/dkim_verify.c,
 * dkim_verify_judge.c, dkim_keycache.c) on hostile messages, its key
 * lookups answered from a fixed zone
 *
 * Fields (split at NUL): the header block ("Name: value" lines, folds
 * as lines that start with white space, as Postfix hands them over),
 * then body chunks (line ends as given: the milter's are CRLF).
 *
 * Keys: fakedns (tests/unit/fakedns*.c) runs in this process, started
 * once, serving the keys of tests/unit/data/dkim/keys.zone (so the
 * seeds, signed by python3-dkim at t=1700000000, verify) and a few
 * more (t=s, two records at one name, a record in 66 strings, a
 * CNAME). The DNS module caches every answer for an hour, so after its
 * first lookup a name costs no round trip; any other name is NXDOMAIN,
 * cached too. The clock is pinned (fixed_time). Every answer fits a
 * UDP reply: lookups over TCP (a 64 KB record) are check_dkim_hostile's.
 * ARC chains (RFC 8617) go through the same verifier: the seeds
 * include the chains of tests/unit/data/dkim/arc_*.eml.
 *
 * Each message is verified twice on one library handle: with the body
 * in the fuzzer's chunks, then in one piece (its keys from the key
 * cache). The two must agree (unless a lookup failed for time), and the
 * API's promises must hold: DKIM-Signature fields examined plus those
 * unexamined are those fed, at most 2 * max + 10 examined and max
 * verified, every string terminated, a pass "signature verified" with
 * a known algorithm and a key size. A broken promise aborts, so the
 * fuzzer reports it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"
#include "dns.h"
#include "fakedns.h"
#include "fuzz_util.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FIXED_TIME 1700000100L /* the seeds are signed at 1700000000 */
#define MAX_SIGNATURES 5
#define INPUT_MAX 262144

/* The records of tests/unit/data/dkim/keys.zone and arc.zone, strings
 * joined. */
static const struct {
	const char *owner, *text;
} keys[] = {
    {"rsa2048._domainkey.example.test.",
     "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQ"
     "EAomNuTCTGRS61YXfOFB7CpH4jQ0j6QIfsBoFKrTUKAc6oZnyPAk8McEkY55"
     "XObuiPNtX7PZB5BJqD/RVu8kL+s//fbgWVxrjss+1GyHk7hB6q1v/yPbSz8f"
     "cvGLOCQ0prMogQo/X3tN8CleY6snJlB5f2crWKh8i6D4V0dhJtZZoR+duaxW"
     "BwZZkjY76NBQtjTTrrChke0oMpWXZ4jVM4/3DbWk3fWe+fPhVVZZGRSMwz0Z"
     "kKQgsFsJrFMenD3QntQSipG5iVPRhO0lx25qsRkkRqMpNqAm1BAKMwMDrHtT"
     "ZNHZP0pNFp1weC3EbMTE2MgS2/JEuNcpGAjzg5R113iwIDAQAB"},
    {"rsa1024._domainkey.example.test.",
     "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDM/N"
     "Mzc0Vc+Q5z3Uh9/EZzrjyP0jG5yxRuimrGcA32YOb+gtGL1GGgy7COC23buA"
     "4A0+fp2Zvhf911/cFSkIyUdK6i9QIFMLpa9zOvedX1MRmoJ26OB48Pbtg7mP"
     "wMZVawEw0Ey9ZiF/1Kts6qaGWkVfP1zGhE94GiPANy2DMoqQIDAQAB"},
    {"rsa512._domainkey.example.test.",
     "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAOqiGPYOKR"
     "mTzMRJQONIBuIxs2EXQbFZkQn4SFRHYWI23n4ouncNDXj776J/J44zHoQRCH"
     "1EwfGtsYhlbOm3Tl8CAwEAAQ=="},
    {"ed._domainkey.example.test.",
     "v=DKIM1; k=ed25519; p=B1FKMLC3OIFuLr86BKz5avGC1FeQ7qsiSwNT61"
     "vjcQ4="},
    {"slow._domainkey.example.test.",
     "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQ"
     "EAomNuTCTGRS61YXfOFB7CpH4jQ0j6QIfsBoFKrTUKAc6oZnyPAk8McEkY55"
     "XObuiPNtX7PZB5BJqD/RVu8kL+s//fbgWVxrjss+1GyHk7hB6q1v/yPbSz8f"
     "cvGLOCQ0prMogQo/X3tN8CleY6snJlB5f2crWKh8i6D4V0dhJtZZoR+duaxW"
     "BwZZkjY76NBQtjTTrrChke0oMpWXZ4jVM4/3DbWk3fWe+fPhVVZZGRSMwz0Z"
     "kKQgsFsJrFMenD3QntQSipG5iVPRhO0lx25qsRkkRqMpNqAm1BAKMwMDrHtT"
     "ZNHZP0pNFp1weC3EbMTE2MgS2/JEuNcpGAjzg5R113iwIDAQAB"},
    {"revoked._domainkey.example.test.", "v=DKIM1; k=rsa; p="},
    {"garbled._domainkey.example.test.", "v=DKIM1; k=rsa; p=AAAAB3NzaC1yc2E="},
    {"brisbane._domainkey.football.example.com.",
     "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaP"
     "cHURo="},
    {"test._domainkey.football.example.com.",
     "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHl"
     "OQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/b"
     "yYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hst"
     "T5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"},
    /* the ARC sealers of tests/unit/data/dkim/arc.zone */
    {"arc1._domainkey.sealer1.test.",
     "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQ"
     "EAoVHYGDSP5OXsQa0snyzNqr1l0la03TMdKMS67tPZ+sAhrWeRUDeEV65wi5"
     "kG5HhtgUzbQ6XYUFEYOPLTLTOAvvF0FAL5Wopqj2T3ti5zGW2N+FRXgYzpli"
     "3H4ZgX2K8ydsErBiNHZbCfzaNkjcgghGaW/FWfJWknu7wIqQVeYTmUT3esgO"
     "WjQ1oqJ5JeVXh3Vocd0gO+98zAgqnPhjPm3MPObcTF8MEKu4KxhtpuAK9MuY"
     "1zxZAZEzCf3gB4FdbXdsc7X/jx+1sYEWE6t370cmRlwT0euVIwf5ZoOMI1oG"
     "770/VrSNu9Wrk4ZQT5OATY/5Rf1XyV0SnmRkx0oxbMowIDAQAB"},
    {"arc2._domainkey.sealer2.test.",
     "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQ"
     "EAsTLGR1DeoQEP2QH4uhCFybe+zgRxqoE53wtGvpHz8kV8OP22AdI6lgJjSd"
     "pOY15vPZlIt+dT2WPBgg6gXMwRbZQP69hwkKUZkSSOCMsmyI5D2jO4TNJzrB"
     "kQCFF7GUX1D0LUXTWcN3jMGTtzcdOaSCBKooyjPhYFPqQPgi00pHRTJDyNGM"
     "YBaUX0pOYAMn60sk9ZLetbC9/Rh9RHL3rXJRYp+AX7xsMGGl6nm4vEOYD6pT"
     "shEU4QFZbz9SU1vw8KG2BzlgGULNUmoSmiO6sOuJg1MF+7JwOq6VTU2vfmMd"
     "nnmTQXlzjvhow+Reny6K2p5WeWCfbwSjNtSei2drXjNQIDAQAB"},
};

/* txt - a TXT record's text as quoted strings of at most piece bytes */
static void
txt(FILE *f, const char *owner, const char *text, size_t piece)
{
	size_t len = strlen(text);

	fprintf(f, "%s IN TXT", owner);
	for (size_t at = 0; at < len; at += piece)
		fprintf(f, " \"%.*s\"",
		        (int)(len - at < piece ? len - at : piece), text + at);
	fputc('\n', f);
}

/* zone_text - the zone this target serves (malloc'ed) */
static char *
zone_text(void)
{
	const char *rsa2048 = keys[0].text, *ed = keys[3].text;
	char *text = NULL, strict[512];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		abort();
	fprintf(f, "$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. admin.test. "
	           "1 3600 600 86400 120\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		txt(f, keys[i].owner, keys[i].text, 250);
	/* the RSA-2048 key with t=s: "v=DKIM1; k=rsa; " is 16 bytes */
	if (!pcl_format(strict, sizeof(strict), "v=DKIM1; k=rsa; t=s; %s",
	                rsa2048 + 16))
		abort();
	txt(f, "strict._domainkey.example.test.", strict, 250);
	/* two records at one name, one record in 66 strings: Ed25519,
	 * so that the answers fit a UDP reply too */
	txt(f, "twice._domainkey.example.test.", ed, 250);
	if (!pcl_format(strict, sizeof(strict), "n=2; %s", ed))
		abort();
	txt(f, "twice._domainkey.example.test.", strict, 250);
	txt(f, "s66._domainkey.example.test.", ed, 1);
	fprintf(f, "alias._domainkey.example.test. IN CNAME "
	           "rsa2048._domainkey.example.test.\n");
	if (fclose(f) != 0)
		abort();
	return text;
}

static struct pcl_dns *dns;
static struct pcl_dkim_lib *lib;

/* LLVMFuzzerInitialize - fakedns, the DNS module and the library,
 * once for every run */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pcl_dkim_lib_conf lconf = {0};
	struct pcl_dns_conf conf = {0};
	char err[PCL_ERR_MAX] = "";
	char *zone = zone_text();
	struct fakedns *fk = fakedns_start(zone);

	(void)argc;
	(void)argv;
	free(zone);
	if (fk == NULL)
		abort();
	conf.servers = fk->servers;
	conf.timeout_ms = 5000;
	conf.attempts = 2;
	conf.cache_min_ttl = 3600;
	conf.cache_max_entries = 100000;
	lconf.max_signatures = MAX_SIGNATURES;
	lconf.fixed_time = FIXED_TIME;
	if ((dns = pcl_dns_new(&conf, err, sizeof(err))) == NULL ||
	    (lib = pcl_dkim_lib_new(dns, &lconf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_dkim_verify: %s\n", err);
		abort();
	}
	return 0;
}

/* check - abort when a promise is broken */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* A message cut into fields, values as Postfix gives them. */
struct fields {
	char *names[2048];
	char *values[2048];
	size_t n;
	size_t sigs; /* of them DKIM-Signature */
};

/* split_header - the header block into fields, in place: a line that
 * starts with white space continues the field before it (its LF
 * kept), a line without a colon is dropped */
static void
split_header(char *block, struct fields *h)
{
	char *field = NULL, *line, *next;

	h->n = h->sigs = 0;
	for (line = block;; line = next) {
		bool end = line == NULL || *line == '\0';
		char *colon;

		next = end ? NULL : strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (!end && (*line == ' ' || *line == '\t') && field != NULL) {
			line[-1] = '\n'; /* a fold stays in the value */
			continue;
		}
		if (field != NULL && (colon = strchr(field, ':')) != NULL &&
		    h->n < sizeof(h->names) / sizeof(h->names[0])) {
			*colon = '\0';
			h->names[h->n] = field;
			h->values[h->n] = colon + 1;
			h->sigs += strcasecmp(field, "DKIM-Signature") == 0;
			h->n++;
		}
		if (end)
			break;
		field = line;
	}
}

/* promises - what the verdicts of v promise, with nsigs fields fed */
static void
promises(const struct pcl_dkim_verify *v, size_t nsigs)
{
	size_t n = pcl_dkim_verify_count(v), keyed = 0;

	check(n + pcl_dkim_verify_unexamined(v) == nsigs);
	check(n <= 2 * MAX_SIGNATURES + 10);
	check(pcl_dkim_verify_sig(v, n) == NULL);
	for (size_t i = 0; i < n; i++) {
		const struct pcl_dkim_sig *s = pcl_dkim_verify_sig(v, i);

		check(s != NULL && s->result >= PCL_DKIM_PASS &&
		      s->result <= PCL_DKIM_PERMERROR);
		check(memchr(s->domain, 0, sizeof(s->domain)) != NULL);
		check(memchr(s->selector, 0, sizeof(s->selector)) != NULL);
		check(memchr(s->algorithm, 0, sizeof(s->algorithm)) != NULL);
		check(memchr(s->b, 0, sizeof(s->b)) != NULL);
		check(memchr(s->reason, 0, sizeof(s->reason)) != NULL);
		check(s->reason[0] != '\0');
		keyed += s->key_bits > 0;
		if (s->result != PCL_DKIM_PASS)
			continue;
		check(strncmp(s->reason, "signature verified", 18) == 0);
		check(strcmp(s->algorithm, "rsa-sha256") == 0 ||
		      strcmp(s->algorithm, "ed25519-sha256") == 0);
		check(s->algorithm[0] == 'e' ? s->key_bits == 256
		                             : s->key_bits >= 1024);
	}
	check(keyed <= MAX_SIGNATURES);
}

/* verify - one pass: the fields, then chunks (or the whole body when
 * whole is not NULL); the verifier, its verdicts made */
static struct pcl_dkim_verify *
verify(const struct fields *h, const struct fuzz_fields *ff, const char *whole,
       size_t wholelen)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(lib, "4XyZ1");

	check(v != NULL);
	for (size_t i = 0; i < h->n; i++)
		pcl_dkim_verify_header(v, h->names[i], h->values[i]);
	pcl_dkim_verify_eoh(v);
	if (whole != NULL)
		pcl_dkim_verify_body(v, (const unsigned char *)whole, wholelen);
	else
		for (size_t i = 1; i < ff->n; i++)
			pcl_dkim_verify_body(v, (const unsigned char *)ff->f[i],
			                     ff->len[i]);
	pcl_dkim_verify_eom(v);
	promises(v, h->sigs);
	return v;
}

/* timed_out - a verdict of v depends on a lookup that failed for time */
static bool
timed_out(const struct pcl_dkim_verify *v)
{
	for (size_t i = 0; i < pcl_dkim_verify_count(v); i++)
		if (pcl_dkim_verify_sig(v, i)->result == PCL_DKIM_TEMPERROR)
			return true;
	return false;
}

/* same - two passes agree on every verdict */
static void
same(const struct pcl_dkim_verify *a, const struct pcl_dkim_verify *b)
{
	check(pcl_dkim_verify_count(a) == pcl_dkim_verify_count(b));
	check(pcl_dkim_verify_unexamined(a) == pcl_dkim_verify_unexamined(b));
	for (size_t i = 0; i < pcl_dkim_verify_count(a); i++) {
		const struct pcl_dkim_sig *x = pcl_dkim_verify_sig(a, i);
		const struct pcl_dkim_sig *y = pcl_dkim_verify_sig(b, i);

		check(x->result == y->result && x->key_bits == y->key_bits);
		check(strcmp(x->reason, y->reason) == 0);
		check(strcmp(x->domain, y->domain) == 0 &&
		      strcmp(x->selector, y->selector) == 0 &&
		      strcmp(x->algorithm, y->algorithm) == 0 &&
		      strcmp(x->b, y->b) == 0);
	}
}

/* LLVMFuzzerTestOneInput - one message, verified twice */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fields h;
	struct pcl_dkim_verify *chunked, *whole;
	struct fuzz_fields ff;
	char *body = NULL;
	size_t bodylen = 0;

	if (size > INPUT_MAX || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	for (size_t i = 1; i < ff.n; i++)
		bodylen += ff.len[i];
	if ((body = malloc(bodylen + 1)) == NULL) {
		fuzz_fields_free(&ff);
		return 0;
	}
	bodylen = 0;
	for (size_t i = 1; i < ff.n; i++) {
		memcpy(body + bodylen, ff.f[i], ff.len[i]);
		bodylen += ff.len[i];
	}
	/* the block is cut in place: it is the fuzzer's copy */
	split_header((char *)ff.f[0], &h);
	chunked = verify(&h, &ff, NULL, 0);
	whole = verify(&h, &ff, body, bodylen);
	if (!timed_out(chunked) && !timed_out(whole))
		same(chunked, whole);
	pcl_dkim_verify_free(chunked);
	pcl_dkim_verify_free(whole);
	free(body);
	fuzz_fields_free(&ff);
	return 0;
}
