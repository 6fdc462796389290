/*
 * check_dkim_genkey - key generation for portcullis-genkey: the file
 * (mode 0600, PKCS#8 PEM, loads with pcl_dkim_key_load), the p= value
 * (decoded and compared by OpenSSL with the file's key), existing files
 * (refused; replaced atomically with replace), refused options, the
 * zone-file record (strings of at most 255 bytes that join into the
 * record's text), and a round trip: a message signed with a new key and
 * verified by portcullis's verifier, the key served by fakedns from the
 * very record text pcl_dkim_record_zone wrote.
 *
 * Every test works in its own mkdtemp directory.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "dns.h"
#include "dkim_fixture.h"
#include "util.h"

#define FIXED_TIME 1700000000L
#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];
static struct pcl_dns *dns;

/* tmp_path - a file of the test's directory */
static void
tmp_path(char *buf, size_t len, const char *name)
{
	ck_assert(pcl_format(buf, len, "%s/%s", tmpdir, name));
}

/* setup_dir - a fresh, empty directory */
static void
setup_dir(void)
{
	fixture_dir_make(tmpdir, sizeof(tmpdir), "pcl-genkey");
}

/* teardown_dir - remove the directory */
static void
teardown_dir(void)
{
	fixture_dir_remove(tmpdir);
}

/* dir_list - the names in the test's directory, sorted, ","-joined */
static void
dir_list(char *out, size_t len)
{
	struct dirent **names = NULL;
	int n = scandir(tmpdir, &names, NULL, alphasort);

	ck_assert_int_ge(n, 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			ck_assert(pcl_append(out, len, "%s%s", *out ? "," : "",
			                     names[i]->d_name));
		free(names[i]);
	}
	free(names);
}

/* file_text - the first len-1 bytes of a file, NUL-terminated */
static void
file_text(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* pub_matches - whether the p= text decodes to the public half of the
 * private key in path: OpenSSL decodes both and compares them */
static bool
pub_matches(const char *path, enum pcl_dkim_keytype type, const char *p)
{
	unsigned char der[PCL_DKIM_PUBKEY_MAX];
	const unsigned char *in = der;
	EVP_PKEY *priv = NULL, *pub = NULL;
	size_t plen = strlen(p);
	FILE *fp = fopen(path, "r");
	int n;
	bool same;

	ck_assert_ptr_nonnull(fp);
	priv = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	ck_assert_ptr_nonnull(priv);
	ck_assert_uint_le(plen / 4 * 3, sizeof(der));
	n = EVP_DecodeBlock(der, (const unsigned char *)p, (int)plen);
	ck_assert_int_gt(n, 0);
	/* EVP_DecodeBlock counts the padding as zero bytes */
	n -=
	    (plen > 0 && p[plen - 1] == '=') + (plen > 1 && p[plen - 2] == '=');
	if (type == PCL_DKIM_RSA)
		pub = d2i_PUBKEY(NULL, &in, n);
	else
		pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der,
		                                  (size_t)n);
	same = pub != NULL && EVP_PKEY_eq(pub, priv) == 1 &&
	       (type != PCL_DKIM_RSA || in == der + n);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(priv);
	ERR_clear_error();
	return same;
}

struct gen_case {
	const char *label;
	enum pcl_dkim_keytype type;
	unsigned bits; /* 0: the default */
	const char *want_alg;
	unsigned want_bits;
	size_t want_plen; /* length of p= */
};

static const struct gen_case gen_cases[] = {
    {"RSA, default size", PCL_DKIM_RSA, 0, "rsa-sha256", 2048, 392},
    {"RSA-1024", PCL_DKIM_RSA, 1024, "rsa-sha256", 1024, 216},
    {"Ed25519", PCL_DKIM_ED25519, 0, "ed25519-sha256", 256, 44},
};

/* test_generate - a new key: the file, what loads, the p= value */
START_TEST(test_generate)
{
	const struct gen_case *c = &gen_cases[_i];
	struct pcl_dkim_genkey_opts o = {c->type, c->bits, false, false, 0, 0};
	char path[256], err[PCL_ERR_MAX] = "", pub[PCL_DKIM_PUBKEY_MAX];
	char text[64], names[256];
	struct pcl_dkim_key *key;
	struct stat st;

	tmp_path(path, sizeof(path), "k.key");
	ck_assert_msg(
	    pcl_dkim_genkey(path, &o, pub, sizeof(pub), err, sizeof(err)),
	    "%s: got \"%s\", want a key", c->label, err);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	              "%s: mode: got %04o, want 0600", c->label,
	              (unsigned)(st.st_mode & 07777));
	ck_assert_uint_eq(st.st_uid, geteuid());
	file_text(path, text, sizeof(text));
	ck_assert_msg(strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
	              "%s: got \"%.28s\", want PKCS#8 PEM", c->label, text);
	key = pcl_dkim_key_load(path, err, sizeof(err));
	ck_assert_msg(key != NULL, "%s: load: %s", c->label, err);
	ck_assert_msg(strcmp(pcl_dkim_key_algorithm(key), c->want_alg) == 0 &&
	                  pcl_dkim_key_bits(key) == c->want_bits,
	              "%s: got %s/%u, want %s/%u", c->label,
	              pcl_dkim_key_algorithm(key), pcl_dkim_key_bits(key),
	              c->want_alg, c->want_bits);
	pcl_dkim_key_free(key);
	ck_assert_msg(strlen(pub) == c->want_plen,
	              "%s: p= length: got %zu, want %zu", c->label, strlen(pub),
	              c->want_plen);
	ck_assert_msg(pub_matches(path, c->type, pub),
	              "%s: p= is not the file's public key", c->label);
	ck_assert_msg(ERR_peek_error() == 0, "%s: OpenSSL errors left",
	              c->label);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "k.key");
}
END_TEST

/* test_existing - an existing file or symlink is left alone; replace
 * puts a new key in its place, mode 0600, no temporary file left */
START_TEST(test_existing)
{
	struct pcl_dkim_genkey_opts o = {
	    PCL_DKIM_ED25519, 0, false, false, 0, 0};
	char path[256], link[256], target[256], err[PCL_ERR_MAX] = "";
	char pub[PCL_DKIM_PUBKEY_MAX], pub2[PCL_DKIM_PUBKEY_MAX];
	char text[256], names[256];
	struct stat st;
	FILE *fp;

	tmp_path(path, sizeof(path), "k.key");
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("old\n", fp);
	fclose(fp);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert(
	    !pcl_dkim_genkey(path, &o, pub, sizeof(pub), err, sizeof(err)));
	ck_assert_msg(
	    strstr(err, path) != NULL && strstr(err, "already exists") != NULL,
	    "got \"%s\", want \"already exists\" naming %s", err, path);
	ck_assert_str_eq(pub, "");
	file_text(path, text, sizeof(text));
	ck_assert_str_eq(text, "old\n");

	/* a symlink, dangling: not followed, nothing made at its target */
	tmp_path(link, sizeof(link), "link.key");
	tmp_path(target, sizeof(target), "target.key");
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert(
	    !pcl_dkim_genkey(link, &o, pub, sizeof(pub), err, sizeof(err)));
	ck_assert_msg(strstr(err, "already exists") != NULL, "symlink: got %s",
	              err);
	ck_assert_int_ne(access(target, F_OK), 0);

	/* replace, twice: a new key each time */
	o.replace = true;
	ck_assert_msg(
	    pcl_dkim_genkey(path, &o, pub, sizeof(pub), err, sizeof(err)),
	    "replace: %s", err);
	ck_assert_msg(pub_matches(path, PCL_DKIM_ED25519, pub),
	              "replace: p= is not the file's public key");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_msg((st.st_mode & 07777) == 0600,
	              "replace: mode: got %04o, want 0600",
	              (unsigned)(st.st_mode & 07777));
	ck_assert_msg(
	    pcl_dkim_genkey(path, &o, pub2, sizeof(pub2), err, sizeof(err)),
	    "replace again: %s", err);
	ck_assert_str_ne(pub, pub2);
	ck_assert(pub_matches(path, PCL_DKIM_ED25519, pub2));
	dir_list(names, sizeof(names));
	ck_assert_msg(strcmp(names, "k.key,link.key") == 0,
	              "files: got \"%s\", want \"k.key,link.key\"", names);

	/* replace on a new path makes it */
	ck_assert(
	    pcl_dkim_genkey(target, &o, pub, sizeof(pub), err, sizeof(err)));
	ck_assert_int_eq(lstat(target, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* test_owner - set_owner gives the file away before the key is in it;
 * a refusal leaves no file */
START_TEST(test_owner)
{
	struct pcl_dkim_genkey_opts o = {
	    PCL_DKIM_ED25519, 0, false, true, geteuid(), getegid()};
	char path[256], err[PCL_ERR_MAX] = "", pub[PCL_DKIM_PUBKEY_MAX];
	char names[256];
	struct stat st;

	tmp_path(path, sizeof(path), "mine.key");
	ck_assert_msg(
	    pcl_dkim_genkey(path, &o, pub, sizeof(pub), err, sizeof(err)),
	    "own user: %s", err);
	tmp_path(path, sizeof(path), "other.key");
	o.uid = geteuid() == 0 ? 65534 : 0; /* nobody, or root */
	o.gid = geteuid() == 0 ? 65534 : 0;
	if (geteuid() == 0) {
		ck_assert_msg(pcl_dkim_genkey(path, &o, pub, sizeof(pub), err,
		                              sizeof(err)),
		              "to nobody: %s", err);
		ck_assert_int_eq(lstat(path, &st), 0);
		ck_assert_msg(st.st_uid == 65534 && st.st_gid == 65534 &&
		                  (st.st_mode & 07777) == 0600,
		              "got %ld:%ld %04o, want 65534:65534 0600",
		              (long)st.st_uid, (long)st.st_gid,
		              (unsigned)(st.st_mode & 07777));
		return;
	}
	ck_assert(
	    !pcl_dkim_genkey(path, &o, pub, sizeof(pub), err, sizeof(err)));
	ck_assert_msg(strstr(err, "cannot give it to uid 0") != NULL,
	              "to root: got \"%s\"", err);
	dir_list(names, sizeof(names));
	ck_assert_str_eq(names, "mine.key");
}
END_TEST

struct refuse_case {
	const char *label;
	const char *name; /* in the directory; NULL: no path */
	struct pcl_dkim_genkey_opts opts;
	size_t publen;
	const char *want_err;
};

static const struct refuse_case refuse_cases[] = {
    {"RSA-512",
     "k.key",
     {PCL_DKIM_RSA, 512, false, false, 0, 0},
     2048,
     "RSA keys of 512 bits are not made: 1024 to 8192 (RFC 8301"},
    {"RSA-1023",
     "k.key",
     {PCL_DKIM_RSA, 1023, false, false, 0, 0},
     2048,
     "RSA keys of 1023 bits"},
    {"RSA-8193",
     "k.key",
     {PCL_DKIM_RSA, 8193, false, false, 0, 0},
     2048,
     "RSA keys of 8193 bits"},
    {"Ed25519 with a size",
     "k.key",
     {PCL_DKIM_ED25519, 256, false, false, 0, 0},
     2048,
     "Ed25519 keys have no size to choose"},
    {"no type",
     "k.key",
     {0, 0, false, false, 0, 0},
     2048,
     "key type not supported"},
    {"unknown type",
     "k.key",
     {(enum pcl_dkim_keytype)99, 0, false, false, 0, 0},
     2048,
     "key type not supported"},
    {"no directory",
     "no/k.key",
     {PCL_DKIM_RSA, 1024, false, false, 0, 0},
     2048,
     "cannot create a temporary file beside it: No such file"},
    {"no directory, replace",
     "no/k.key",
     {PCL_DKIM_ED25519, 0, true, false, 0, 0},
     2048,
     "cannot create a temporary file beside it"},
    {"p= does not fit",
     "k.key",
     {PCL_DKIM_RSA, 1024, false, false, 0, 0},
     100,
     "no room for the public key (162 bytes)"},
    {"no p= buffer",
     "k.key",
     {PCL_DKIM_ED25519, 0, false, false, 0, 0},
     0,
     "no room for the public key"},
    {"no path",
     NULL,
     {PCL_DKIM_ED25519, 0, false, false, 0, 0},
     2048,
     "no path or options given"},
};

/* test_refuse - bad options: refused with a reason, no file made */
START_TEST(test_refuse)
{
	const struct refuse_case *c = &refuse_cases[_i];
	char path[256] = "", err[PCL_ERR_MAX] = "", names[256];
	char pub[PCL_DKIM_PUBKEY_MAX] = "stale";

	if (c->name != NULL)
		tmp_path(path, sizeof(path), c->name);
	ck_assert_msg(!pcl_dkim_genkey(c->name ? path : NULL, &c->opts, pub,
	                               c->publen, err, sizeof(err)),
	              "%s: made a key", c->label);
	ck_assert_msg(strstr(err, c->want_err) != NULL &&
	                  (c->name == NULL || strstr(err, path) != NULL),
	              "%s: got \"%s\", want \"%s\"", c->label, err,
	              c->want_err);
	if (c->publen > 0)
		ck_assert_str_eq(pub, "");
	dir_list(names, sizeof(names));
	ck_assert_msg(*names == '\0', "%s: left \"%s\"", c->label, names);
	ck_assert(
	    !pcl_dkim_genkey(path, NULL, pub, sizeof(pub), err, sizeof(err)));
	ck_assert_msg(ERR_peek_error() == 0, "%s: OpenSSL errors left",
	              c->label);
}
END_TEST

struct names_case {
	const char *domain, *selector;
	const char *want_err; /* NULL: good */
};

#define LABEL63                                                                \
	"abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc"
#define SEL45 "abcdefghij0123456789abcdefghij0123456789abcde"

static const struct names_case names_cases[] = {
    {"example.com", "mail2026", NULL},
    {"mail.Example.COM", "s-1.2026", NULL},
    {"xn--bcher-kva.example", "a", NULL},
    {LABEL63 ".test", LABEL63, NULL},
    {"example", "s", "bad domain \"example\""},
    {"exa_mple.com", "s", "bad domain"},
    {"-example.com", "s", "bad domain"},
    {"example-.com", "s", "bad domain"},
    {"example..com", "s", "bad domain"},
    {".example.com", "s", "bad domain"},
    {"example.com.", "s", "bad domain"},
    {"b\xc3\xbc"
     "cher.example",
     "s", "bad domain"},
    {LABEL63 "x.test", "s", "bad domain"},
    {"", "s", "bad domain"},
    {"example.com", "", "bad selector \"\""},
    {"example.com", "a/b", "bad selector"},
    {"example.com", "s_1", "bad selector"},
    {"example.com", "a..b", "bad selector"},
    {"example.com", "-s", "bad selector"},
    {"example.com", "s.", "bad selector"},
    /* 196 + 12 + 45 = 253 */
    {LABEL63 "." LABEL63 "." LABEL63 ".test", SEL45, NULL},
    {LABEL63 "." LABEL63 "." LABEL63 ".test", SEL45 "x",
     "the record name would be longer than 253 bytes"},
};

/* test_names - which domains and selectors name a key */
START_TEST(test_names)
{
	const struct names_case *c = &names_cases[_i];
	char err[PCL_ERR_MAX] = "";
	bool ok = pcl_dkim_genkey_names_check(c->domain, c->selector, err,
	                                      sizeof(err));

	if (c->want_err == NULL)
		ck_assert_msg(ok, "%s / %s: got \"%s\", want good", c->domain,
		              c->selector, err);
	else
		ck_assert_msg(!ok && strstr(err, c->want_err) != NULL,
		              "%s / %s: got \"%s\", want \"%s\"", c->domain,
		              c->selector, ok ? "good" : err, c->want_err);
}
END_TEST

/* zone_strings - the quoted strings of a zone record joined into out;
 * each at most 255 bytes (the longest into *longest), the text outside
 * them checked */
static void
zone_strings(const char *zone, const char *want_name, char *out, size_t len,
             size_t *longest)
{
	const char *p = strchr(zone, '"'), *end;

	ck_assert_msg(
	    strncmp(zone, want_name, strlen(want_name)) == 0 &&
	        strncmp(zone + strlen(want_name), ". IN TXT ( \"", 12) == 0,
	    "got \"%.60s\", want \"%s. IN TXT ( \"...\"", zone, want_name);
	ck_assert_msg(strlen(zone) > 2 &&
	                  strcmp(zone + strlen(zone) - 2, " )") == 0,
	              "no \" )\" at the end");
	out[0] = '\0';
	*longest = 0;
	while (p != NULL) {
		end = strchr(p + 1, '"');
		ck_assert_ptr_nonnull(end);
		ck_assert(
		    pcl_append(out, len, "%.*s", (int)(end - p - 1), p + 1));
		if ((size_t)(end - p - 1) > *longest)
			*longest = (size_t)(end - p - 1);
		p = strchr(end + 1, '"');
		/* between two strings: a line break and a tab only */
		if (p != NULL)
			ck_assert_msg(p - end == 3 && end[1] == '\n' &&
			                  end[2] == '\t',
			              "between strings: got \"%.*s\"",
			              (int)(p - end - 1), end + 1);
	}
}

struct zone_case {
	enum pcl_dkim_keytype type;
	size_t keylen; /* of the made-up key */
	bool testing;
	size_t want_strings;
};

static const struct zone_case zone_cases[] = {
    {PCL_DKIM_ED25519, 44, false, 2}, {PCL_DKIM_ED25519, 44, true, 2},
    {PCL_DKIM_RSA, 216, false, 2},    {PCL_DKIM_RSA, 248, false, 2},
    {PCL_DKIM_RSA, 249, false, 3},    {PCL_DKIM_RSA, 392, true, 3},
    {PCL_DKIM_RSA, 498, false, 3},    {PCL_DKIM_RSA, 1416, false, 7},
};

/* test_zone - the record's strings fit and join into its text */
START_TEST(test_zone)
{
	const struct zone_case *c = &zone_cases[_i];
	char key[PCL_DKIM_PUBKEY_MAX], zone[PCL_DKIM_RECORD_MAX];
	char joined[PCL_DKIM_RECORD_MAX], value[PCL_DKIM_RECORD_MAX];
	char want[PCL_DKIM_RECORD_MAX], err[PCL_ERR_MAX] = "";
	size_t longest, strings = 0;

	for (size_t i = 0; i < c->keylen; i++)
		key[i] = "ABCxyz019+/"[i % 11];
	key[c->keylen] = '\0';
	ck_assert(pcl_format(want, sizeof(want), "v=DKIM1; k=%s; %sp=%s",
	                     c->type == PCL_DKIM_RSA ? "rsa" : "ed25519",
	                     c->testing ? "t=y; " : "", key));
	ck_assert(pcl_dkim_record_value(value, sizeof(value), c->type, key,
	                                c->testing));
	ck_assert_str_eq(value, want);
	ck_assert_msg(pcl_dkim_record_zone(zone, sizeof(zone), "example.test",
	                                   "sel", c->type, key, c->testing, err,
	                                   sizeof(err)),
	              "key of %zu: %s", c->keylen, err);
	zone_strings(zone, "sel._domainkey.example.test", joined,
	             sizeof(joined), &longest);
	ck_assert_msg(strcmp(joined, want) == 0,
	              "key of %zu: joined: got \"%s\", want \"%s\"", c->keylen,
	              joined, want);
	ck_assert_msg(longest <= 250, "key of %zu: a string of %zu bytes",
	              c->keylen, longest);
	for (const char *p = zone; (p = strchr(p, '"')) != NULL; p++)
		strings++;
	ck_assert_msg(strings == 2 * c->want_strings,
	              "key of %zu: got %zu strings, want %zu", c->keylen,
	              strings / 2, c->want_strings);
}
END_TEST

/* test_zone_refused - bad names, bad key text, no room */
START_TEST(test_zone_refused)
{
	char zone[PCL_DKIM_RECORD_MAX], small[64], err[PCL_ERR_MAX] = "";
	const char *key =
	    "MCowBQYDK2VwAyEAB1FKMLC3OIFuLr86BKz5avGC1FeQ7qsiSwNT";
	const struct {
		const char *domain, *selector, *key;
		enum pcl_dkim_keytype type;
		size_t len;
		const char *want_err;
	} cases[] = {
	    {"exa_mple.test", "s", key, PCL_DKIM_RSA, sizeof(zone),
	     "bad domain"},
	    {"example.test", "a/b", key, PCL_DKIM_RSA, sizeof(zone),
	     "bad selector"},
	    {"example.test", "s", "ab\"c", PCL_DKIM_RSA, sizeof(zone),
	     "not base64"},
	    {"example.test", "s", "", PCL_DKIM_RSA, sizeof(zone), "not base64"},
	    {"example.test", "s", NULL, PCL_DKIM_RSA, sizeof(zone),
	     "not base64"},
	    {"example.test", "s", key, (enum pcl_dkim_keytype)7, sizeof(zone),
	     "key type not supported"},
	    {"example.test", "s", key, PCL_DKIM_RSA, sizeof(small),
	     "does not fit in 64 bytes"},
	};

	for (size_t i = 0; i < NITEMS(cases); i++) {
		char *out = cases[i].len == sizeof(small) ? small : zone;

		ck_assert_msg(
		    !pcl_dkim_record_zone(
		        out, cases[i].len, cases[i].domain, cases[i].selector,
		        cases[i].type, cases[i].key, false, err, sizeof(err)) &&
		        strstr(err, cases[i].want_err) != NULL && *out == '\0',
		    "case %zu: got \"%s\", want \"%s\"", i, err,
		    cases[i].want_err);
	}
	ck_assert(!pcl_dkim_record_value(small, 20, PCL_DKIM_RSA, key, false));
}
END_TEST

/* test_keytype - the names of -a */
START_TEST(test_keytype)
{
	enum pcl_dkim_keytype t = 0;

	ck_assert(pcl_dkim_keytype_parse("rsa", &t) && t == PCL_DKIM_RSA);
	ck_assert(pcl_dkim_keytype_parse("Ed25519", &t) &&
	          t == PCL_DKIM_ED25519);
	ck_assert(!pcl_dkim_keytype_parse("ecdsa", &t));
	ck_assert(!pcl_dkim_keytype_parse(NULL, &t));
	ck_assert_str_eq(pcl_dkim_keytype_name(PCL_DKIM_RSA), "rsa");
	ck_assert_str_eq(pcl_dkim_keytype_name(PCL_DKIM_ED25519), "ed25519");
	ck_assert_str_eq(pcl_dkim_keytype_name((enum pcl_dkim_keytype)9),
	                 "unknown");
}
END_TEST

/* Keys made for the round trip, before the DNS starts: its zone holds
 * their records. */
static const struct {
	const char *selector;
	enum pcl_dkim_keytype type;
	bool testing;
	const char *want_alg;
	unsigned want_bits; /* as the verifier reports it: 256 for an
	                       Ed25519 key (libopendkim gave none) */
} trip_keys[] = {
    {"gen-rsa", PCL_DKIM_RSA, false, "rsa-sha256", 2048},
    {"gen-ed", PCL_DKIM_ED25519, false, "ed25519-sha256", 256},
    {"gen-rsa-t", PCL_DKIM_RSA, true, "rsa-sha256", 2048},
};

/* setup_dns - the directory, a key per trip_keys entry, fakedns
 * serving the records pcl_dkim_record_zone wrote, a DNS module */
static void
setup_dns(void)
{
	char zone[4 * PCL_DKIM_RECORD_MAX] = "", rec[PCL_DKIM_RECORD_MAX];
	char path[256], name[64], pub[PCL_DKIM_PUBKEY_MAX];
	char err[PCL_ERR_MAX] = "";

	setup_dir();
	for (size_t i = 0; i < NITEMS(trip_keys); i++) {
		struct pcl_dkim_genkey_opts o = {
		    trip_keys[i].type, 0, false, false, 0, 0};

		ck_assert(pcl_format(name, sizeof(name), "%s.key",
		                     trip_keys[i].selector));
		tmp_path(path, sizeof(path), name);
		ck_assert_msg(pcl_dkim_genkey(path, &o, pub, sizeof(pub), err,
		                              sizeof(err)),
		              "%s: %s", name, err);
		ck_assert_msg(pcl_dkim_record_zone(
		                  rec, sizeof(rec), "example.test",
		                  trip_keys[i].selector, trip_keys[i].type, pub,
		                  trip_keys[i].testing, err, sizeof(err)),
		              "%s: %s", name, err);
		ck_assert(pcl_append(zone, sizeof(zone), "%s\n", rec));
	}
	dns = fixture_dns_start(zone);
}

/* teardown_dns - undo setup_dns */
static void
teardown_dns(void)
{
	fixture_dns_stop(dns);
	dns = NULL;
	teardown_dir();
}

static const char *const trip_names[] = {
    "From", "To", "Subject", "Date", "Message-ID",
};
static const char *const trip_values[] = {
    " Alice <alice@example.test>", " bob@example.org",
    " a new key\n\tsigns",         " Tue, 14 Nov 2023 22:13:20 +0000",
    " <genkey.1@example.test>",
};
static const char trip_body[] = "Hello,\r\n\r\nsigned with a new key.\r\n";

/* test_round_trip - sign with a new key, verify against its record */
START_TEST(test_round_trip)
{
	struct pcl_dkim_lib_conf lconf = {0};
	const struct pcl_dkim_signer *signer;
	struct pcl_dkim_signer_ctx *ctx;
	struct pcl_dkim_signing *s;
	struct pcl_dkim_verify *v;
	const struct pcl_dkim_sig *sig;
	struct pcl_dkim_lib *lib;
	char path[256], name[64], err[PCL_ERR_MAX] = "";
	char value[PCL_DKIM_SIGN_VALUE_MAX];

	lconf.fixed_time = FIXED_TIME;
	lib = pcl_dkim_lib_new(dns, &lconf, err, sizeof(err));
	ck_assert_msg(lib != NULL, "pcl_dkim_lib_new: %s", err);
	ck_assert_msg(pcl_dkim_sign_prepare(lib, 0, err, sizeof(err)),
	              "prepare: %s", err);
	ck_assert(
	    pcl_format(name, sizeof(name), "%s.key", trip_keys[_i].selector));
	tmp_path(path, sizeof(path), name);
	s = pcl_dkim_signing_simple("example.test", trip_keys[_i].selector,
	                            path, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s: %s", name, err);
	ck_assert_uint_eq(
	    pcl_dkim_signing_match(s, "alice@example.test", &signer, 1), 1);

	ctx = pcl_dkim_sign_new(lib, signer, NULL);
	ck_assert_ptr_nonnull(ctx);
	for (size_t i = 0; i < NITEMS(trip_names); i++)
		pcl_dkim_sign_header(ctx, trip_names[i], trip_values[i]);
	pcl_dkim_sign_eoh(ctx);
	pcl_dkim_sign_body(ctx, (const unsigned char *)trip_body,
	                   strlen(trip_body));
	ck_assert_msg(pcl_dkim_sign_eom(ctx, value, sizeof(value)) ==
	                  PCL_DKIM_SIGN_OK,
	              "%s: sign: %s", name, pcl_dkim_sign_error(ctx));
	pcl_dkim_sign_free(ctx);

	v = pcl_dkim_verify_new(lib, "4XyZ1");
	ck_assert_ptr_nonnull(v);
	pcl_dkim_verify_header(v, "DKIM-Signature", value);
	for (size_t i = 0; i < NITEMS(trip_names); i++)
		pcl_dkim_verify_header(v, trip_names[i], trip_values[i]);
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)trip_body,
	                     strlen(trip_body));
	pcl_dkim_verify_eom(v);
	ck_assert_uint_eq(pcl_dkim_verify_count(v), 1);
	sig = pcl_dkim_verify_sig(v, 0);
	ck_assert_msg(sig->result == PCL_DKIM_PASS,
	              "%s: got %s (%s), want pass", name,
	              pcl_dkim_result_name(sig->result), sig->reason);
	ck_assert_msg(strcmp(sig->algorithm, trip_keys[_i].want_alg) == 0 &&
	                  sig->key_bits == trip_keys[_i].want_bits &&
	                  strcmp(sig->selector, trip_keys[_i].selector) == 0,
	              "%s: got %s/%u s=%s, want %s/%u s=%s", name,
	              sig->algorithm, sig->key_bits, sig->selector,
	              trip_keys[_i].want_alg, trip_keys[_i].want_bits,
	              trip_keys[_i].selector);

	/* and a changed body fails against the same record */
	pcl_dkim_verify_free(v);
	v = pcl_dkim_verify_new(lib, "4XyZ2");
	pcl_dkim_verify_header(v, "DKIM-Signature", value);
	for (size_t i = 0; i < NITEMS(trip_names); i++)
		pcl_dkim_verify_header(v, trip_names[i], trip_values[i]);
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)"Hello!\r\n", 8);
	pcl_dkim_verify_eom(v);
	ck_assert_int_eq(pcl_dkim_verify_sig(v, 0)->result, PCL_DKIM_FAIL);
	pcl_dkim_verify_free(v);
	pcl_dkim_signing_free(s);
	pcl_dkim_lib_free(lib);
}
END_TEST

/* dkim_genkey_suite - the suite */
static Suite *
dkim_genkey_suite(void)
{
	Suite *s = suite_create("dkim_genkey");
	TCase *keys = tcase_create("keys");
	TCase *records = tcase_create("records");
	TCase *trip = tcase_create("round_trip");

	tcase_add_checked_fixture(keys, setup_dir, teardown_dir);
	tcase_set_timeout(keys, 60);
	tcase_add_loop_test(keys, test_generate, 0, (int)NITEMS(gen_cases));
	tcase_add_test(keys, test_existing);
	tcase_add_test(keys, test_owner);
	tcase_add_loop_test(keys, test_refuse, 0, (int)NITEMS(refuse_cases));
	suite_add_tcase(s, keys);
	tcase_add_loop_test(records, test_names, 0, (int)NITEMS(names_cases));
	tcase_add_loop_test(records, test_zone, 0, (int)NITEMS(zone_cases));
	tcase_add_test(records, test_zone_refused);
	tcase_add_test(records, test_keytype);
	suite_add_tcase(s, records);
	tcase_add_checked_fixture(trip, setup_dns, teardown_dns);
	tcase_set_timeout(trip, 60);
	tcase_add_loop_test(trip, test_round_trip, 0, (int)NITEMS(trip_keys));
	suite_add_tcase(s, trip);
	return s;
}

/* main - run the suite */
int
main(void)
{
	SRunner *sr = srunner_create(dkim_genkey_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
