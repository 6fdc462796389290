/*
 * spf_suite - run the RFC 7208 conformance suite against lib/auth/spf.c
 *
 * usage: spf_suite [-v] [-m MIN] [-p PORTCULLIS] CASES [TEST ...]
 *
 * CASES is the output of suite2cases.py ("-" for stdin). Each scenario's
 * zone is served by fakedns (a new server per scenario; "timeout" names
 * get fakedns_set_drop_empty), each test is one pcl_spf_check, and a
 * Received-SPF header is built for every answer. Prints "ok NAME" or
 * "FAIL NAME: got X, want Y" per test, then "SPF conformance: N/T
 * passed"; exits 1 when fewer than MIN (default 200) pass, 2 when the
 * cases cannot be read. With TEST names, runs only those.
 *
 * How answers are compared, as the suite's own driver does: any listed
 * result passes (a non-preferred one is noted); an explanation is
 * compared when the test gives one, "DEFAULT" meaning none from exp=.
 * Explanations are compared ignoring case when they differ only in
 * case (noted): RFC 7208 does not say in which case %{i} writes IPv6
 * nibbles, the suite expects pyspf's upper case, and lib/auth/spf.c writes
 * the lower case of the examples in RFC 7208 7.4.
 *
 * With -p, each test runs through the test mode of the daemon instead
 * (PORTCULLIS -t, one process per test, its dns_servers pointed at the
 * scenario's fakedns; spf_testmode.c): what is compared then is what
 * the headers show, the result of Received-SPF (any listed result
 * passes, as above), its identity= (mailfrom, or helo for the suite's
 * tests without a sender: the null sender, whose MAIL FROM identity is
 * postmaster@HELO) and the spf= of Authentication-Results, which must
 * agree with it. Explanations are not compared: no header carries one.
 * The summary line then reads "SPF conformance (portcullis -t): N/T
 * passed".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns.h"
#include "../unit/fakedns.h"
#include "spf.h"
#include "spf_testmode.h"
#include "util.h"

#define TOKENS_MAX 32
#define RESULTS_MAX 8
#define DNS_TIMEOUT_MS                                                         \
	400 /* fakedns answers in microseconds; this is                        \
	       what every TIMEOUT costs */

struct token {
	char *s; /* unescaped, NUL-terminated (may hold NULs inside) */
	size_t len;
	bool quoted;
};

struct text {
	char *buf;
	size_t len;
	size_t cap;
};

struct test {
	char name[256];
	char host[256];
	char mailfrom[1024];
	char helo[1024];
	char results[RESULTS_MAX][16];
	size_t nresults;
	char explanation[1024];
	bool has_explanation;
};

struct scenario {
	char name[256];
	struct text zone;
	char **timeouts;
	size_t ntimeouts;
	bool started;
	struct pcl_dns *dns;
	char conf[300]; /* with -p: the configuration for the server */
};

static bool verbose;
static const char *portcullis; /* -p: through its test mode */
static char workdir[] = "/tmp/spf_suite.XXXXXX";
static char **only;
static int nonly;
static unsigned total, passed;

/* text_add - append n bytes; exits when out of memory (a test tool) */
static void
text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		char *grown;

		while (t->len + n + 1 > cap)
			cap *= 2;
		grown = realloc(t->buf, cap);
		if (grown == NULL) {
			fprintf(stderr, "spf_suite: out of memory\n");
			exit(2);
		}
		t->buf = grown;
		t->cap = cap;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

/* text_str - append a C string */
static void
text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* text_escaped - append bytes, those outside keep as \DDD */
static void
text_escaped(struct text *t, const char *s, size_t n, bool (*keep)(int))
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[8];

		if (keep(ch)) {
			text_add(t, (const char *)&ch, 1);
		} else {
			snprintf(esc, sizeof(esc), "\\%03u", ch);
			text_str(t, esc);
		}
	}
}

/* name_byte - bytes left as they are in a zone-file owner name */
static bool
name_byte(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

/* string_byte - bytes left as they are in a zone-file "string" */
static bool
string_byte(int ch)
{
	return ch >= 0x20 && ch <= 0x7e && ch != '"' && ch != '\\';
}

/* zone_name - a name of the suite as an absolute zone-file name */
static void
zone_name(struct text *t, const struct token *tok)
{
	size_t n = tok->len;

	if (n > 0 && tok->s[n - 1] == '.')
		n--;
	text_escaped(t, tok->s, n, name_byte);
	text_str(t, ".");
}

/* tokenize - split a line into words; quoted words are unescaped in
 * place; the count, or -1 on a syntax error */
static int
tokenize(char *line, struct token *tok, int max)
{
	char *p = line;
	int n = 0;

	for (;;) {
		char *w;

		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return n;
		if (n == max)
			return -1;
		w = p;
		tok[n].s = w;
		tok[n].quoted = *p == '"';
		if (!tok[n].quoted) {
			while (*p && *p != ' ' && *p != '\n')
				p++;
			tok[n].len = (size_t)(p - w);
		} else {
			char *o = w;

			p++;
			while (*p != '"') {
				if (*p == '\0' || *p == '\n')
					return -1;
				if (*p == '\\') {
					if (p[1] < '0' || p[1] > '9' ||
					    p[2] < '0' || p[2] > '9' ||
					    p[3] < '0' || p[3] > '9')
						return -1;
					*o++ = (char)((p[1] - '0') * 100 +
					              (p[2] - '0') * 10 +
					              (p[3] - '0'));
					p += 4;
				} else {
					*o++ = *p++;
				}
			}
			p++;
			tok[n].len = (size_t)(o - w);
		}
		if (*p == ' ' || *p == '\n')
			*p++ = '\0';
		else if (*p != '\0')
			return -1;
		tok[n].s[tok[n].len] = '\0';
		n++;
	}
}

/* scenario_stop - stop the server, forget the zone */
static void
scenario_stop(struct scenario *sc)
{
	if (sc->started) {
		pcl_dns_free(sc->dns);
		fakedns_stop();
		if (sc->conf[0] != '\0')
			unlink(sc->conf);
	}
	for (size_t i = 0; i < sc->ntimeouts; i++)
		free(sc->timeouts[i]);
	free(sc->timeouts);
	free(sc->zone.buf);
	memset(sc, 0, sizeof(*sc));
}

/* scenario_start - serve the zone; false when that fails */
static bool
scenario_start(struct scenario *sc)
{
	struct pcl_dns_conf conf;
	struct fakedns *fk;
	char err[256];

	if (sc->started)
		return sc->dns != NULL || sc->conf[0] != '\0';
	sc->started = true;
	fk = fakedns_start(sc->zone.buf);
	if (fk == NULL) {
		fprintf(stderr, "spf_suite: %s: the zone does not load\n",
		        sc->name);
		return false;
	}
	for (size_t i = 0; i < sc->ntimeouts; i++)
		fakedns_set_drop_empty(sc->timeouts[i]);
	if (portcullis != NULL) {
		char path[sizeof(sc->conf)];

		pcl_format(path, sizeof(path), "%s/portcullis.conf", workdir);
		if (!spf_testmode_conf(path, fk->servers, DNS_TIMEOUT_MS, err,
		                       sizeof(err))) {
			fprintf(stderr, "spf_suite: %s\n", err);
			return false;
		}
		pcl_copy(sc->conf, sizeof(sc->conf), path);
		return true;
	}
	memset(&conf, 0, sizeof(conf));
	conf.servers = fk->servers;
	conf.timeout_ms = DNS_TIMEOUT_MS;
	conf.attempts = 1;
	conf.cache_max_entries = 0;
	sc->dns = pcl_dns_new(&conf, err, sizeof(err));
	if (sc->dns == NULL) {
		fprintf(stderr, "spf_suite: dns: %s\n", err);
		return false;
	}
	return true;
}

/* scenario_begin - a new scenario: the zone's head */
static void
scenario_begin(struct scenario *sc, const char *name)
{
	scenario_stop(sc);
	pcl_copy(sc->name, sizeof(sc->name), name);
	text_str(&sc->zone, "$ORIGIN .\n$TTL 300\n"
	                    ". IN SOA ns.invalid. admin.invalid. 1 3600 600 "
	                    "86400 120\n");
}

/* zone_rr - one "rr" line into the zone text; false when malformed */
static bool
zone_rr(struct scenario *sc, const struct token *tok, int n)
{
	struct text *z = &sc->zone;
	const char *type;

	if (n < 3 || !tok[1].quoted)
		return false;
	type = tok[2].s;
	zone_name(z, &tok[1]);
	text_str(z, " IN ");
	text_str(z, type);
	if (strcmp(type, "TXT") == 0 || strcmp(type, "SPF") == 0) {
		if (n == 3)
			text_str(z, " \\# 0"); /* a record without strings */
		for (int i = 3; i < n; i++) {
			text_str(z, " \"");
			text_escaped(z, tok[i].s, tok[i].len, string_byte);
			text_str(z, "\"");
		}
	} else if (strcmp(type, "MX") == 0) {
		if (n != 5)
			return false;
		text_str(z, " ");
		text_str(z, tok[3].s);
		text_str(z, " ");
		zone_name(z, &tok[4]);
	} else if (strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) {
		if (n != 4)
			return false;
		text_str(z, " ");
		zone_name(z, &tok[3]);
	} else if (strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) {
		if (n != 4)
			return false;
		text_str(z, " ");
		text_str(z, tok[3].s);
	} else {
		return false;
	}
	text_str(z, "\n");
	return true;
}

/* selected - is this test to be run */
static bool
selected(const char *name)
{
	if (nonly == 0)
		return true;
	for (int i = 0; i < nonly; i++)
		if (strcmp(only[i], name) == 0)
			return true;
	return false;
}

/* result_listed - the index of got among the test's results, or
 * nresults when it is not one of them */
static size_t
result_listed(const struct test *t, const char *got)
{
	size_t r;

	for (r = 0; r < t->nresults; r++)
		if (strcmp(t->results[r], got) == 0)
			break;
	return r;
}

/* print_want - " want X or Y" */
static void
print_want(const struct test *t)
{
	printf(", want %s", t->results[0]);
	for (size_t i = 1; i < t->nresults; i++)
		printf(" or %s", t->results[i]);
}

/* testmode_run - one test through the test mode; prints its line */
static void
testmode_run(const struct scenario *sc, const struct test *t)
{
	struct spf_testmode_out out;
	const char *identity = t->mailfrom[0] ? "mailfrom" : "helo";
	char why[256];
	size_t r;

	if (!spf_testmode_run(portcullis, sc->conf, t->host, t->mailfrom,
	                      t->helo, &out, why, sizeof(why))) {
		printf("FAIL %s: %s", t->name, why);
		print_want(t);
		printf("\n");
		return;
	}
	r = result_listed(t, out.result);
	if (r == t->nresults) {
		printf("FAIL %s: got %s", t->name, out.result);
		print_want(t);
		printf(" (Received-SPF:%s)\n", out.header);
		return;
	}
	if (strcmp(out.identity, identity) != 0) {
		printf("FAIL %s: identity: got \"%s\", want \"%s\"\n", t->name,
		       out.identity, identity);
		return;
	}
	if (strcmp(out.authres, out.result) != 0) {
		printf("FAIL %s: Authentication-Results: got spf=%s, want "
		       "spf=%s\n",
		       t->name, out.authres, out.result);
		return;
	}
	passed++;
	printf("ok %s", t->name);
	if (r > 0)
		printf(" (got %s; %s preferred)", out.result, t->results[0]);
	printf("\n");
	if (verbose)
		printf("  Received-SPF:%s\n", out.header);
}

/* test_run - one test; prints its line */
static void
test_run(struct scenario *sc, const struct test *t)
{
	struct pcl_spf_request req;
	struct pcl_spf_response resp;
	char sender[1300];
	char header[2048];
	const char *got;
	const char *expl;
	const char *at;
	size_t r;

	if (!selected(t->name))
		return;
	total++;
	memset(&req, 0, sizeof(req));
	if (pcl_addr_parse(t->host, &req.ip) < 0) {
		printf("FAIL %s: bad host \"%s\"\n", t->name, t->host);
		return;
	}
	if (!scenario_start(sc)) {
		printf("FAIL %s: no DNS server\n", t->name);
		return;
	}
	if (portcullis != NULL) {
		testmode_run(sc, t);
		return;
	}
	if (t->mailfrom[0] == '\0') {
		/* the HELO identity (RFC 7208 2.3) */
		pcl_format(sender, sizeof(sender), "postmaster@%s", t->helo);
		req.domain = t->helo;
	} else {
		pcl_copy(sender, sizeof(sender), t->mailfrom);
		at = strrchr(t->mailfrom, '@');
		req.domain = at ? at + 1 : t->mailfrom;
	}
	req.sender = sender;
	req.helo = t->helo;
	req.receiver = NULL;
	pcl_spf_check(sc->dns, &req, &resp);
	got = pcl_spf_result_name(resp.result);
	expl = resp.explanation[0] ? resp.explanation : "DEFAULT";
	r = result_listed(t, got);
	if (r == t->nresults) {
		printf("FAIL %s: got %s", t->name, got);
		print_want(t);
		printf(" (mechanism \"%s\", problem \"%s\")\n", resp.mechanism,
		       resp.problem);
		return;
	}
	if (t->has_explanation && strcmp(expl, t->explanation) != 0 &&
	    strcasecmp(expl, t->explanation) != 0) {
		printf("FAIL %s: explanation: got \"%s\", want \"%s\"\n",
		       t->name, expl, t->explanation);
		return;
	}
	if (!pcl_spf_received(&req, &resp, t->mailfrom[0] ? "mailfrom" : "helo",
	                      header, sizeof(header))) {
		printf("FAIL %s: Received-SPF does not fit\n", t->name);
		return;
	}
	passed++;
	printf("ok %s", t->name);
	if (r > 0)
		printf(" (got %s; %s preferred)", got, t->results[0]);
	if (t->has_explanation && strcmp(expl, t->explanation) != 0)
		printf(" (explanation differs in case only: \"%s\")", expl);
	printf("\n");
	if (verbose)
		printf("  %s mechanism=\"%s\" problem=\"%s\" lookups=%u "
		       "voids=%u\n  Received-SPF:%s\n",
		       got, resp.mechanism, resp.problem, resp.dns_lookups,
		       resp.void_lookups, header);
}

/* field - copy a quoted word into a test field */
static bool
field(char *dst, size_t len, const struct token *tok, int n)
{
	return n == 2 && tok[1].quoted && pcl_copy(dst, len, tok[1].s);
}

/* run - read the cases and run them; false on a malformed line */
static bool
run(FILE *fp, const char *path)
{
	struct scenario sc;
	struct test t;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	bool ok = true;

	memset(&sc, 0, sizeof(sc));
	memset(&t, 0, sizeof(t));
	while (ok && getline(&line, &cap, fp) >= 0) {
		struct token tok[TOKENS_MAX];
		int n;
		const char *kw;

		lineno++;
		if (line[0] == '#')
			continue;
		n = tokenize(line, tok, TOKENS_MAX);
		if (n == 0)
			continue;
		kw = n > 0 ? tok[0].s : "";
		if (n < 0) {
			ok = false;
		} else if (strcmp(kw, "scenario") == 0) {
			scenario_begin(&sc, n > 1 ? tok[1].s : "");
		} else if (strcmp(kw, "rr") == 0) {
			ok = !sc.started && zone_rr(&sc, tok, n);
		} else if (strcmp(kw, "timeout") == 0 && n == 2) {
			char **grown = realloc(sc.timeouts, (sc.ntimeouts + 1) *
			                                        sizeof(*grown));

			ok = grown != NULL && !sc.started;
			if (grown != NULL)
				sc.timeouts = grown;
			if (ok)
				sc.timeouts[sc.ntimeouts++] = strdup(tok[1].s);
		} else if (strcmp(kw, "test") == 0) {
			memset(&t, 0, sizeof(t));
			ok = field(t.name, sizeof(t.name), tok, n);
		} else if (strcmp(kw, "host") == 0) {
			ok = field(t.host, sizeof(t.host), tok, n);
		} else if (strcmp(kw, "mailfrom") == 0) {
			ok = field(t.mailfrom, sizeof(t.mailfrom), tok, n);
		} else if (strcmp(kw, "helo") == 0) {
			ok = field(t.helo, sizeof(t.helo), tok, n);
		} else if (strcmp(kw, "explanation") == 0) {
			ok =
			    field(t.explanation, sizeof(t.explanation), tok, n);
			t.has_explanation = true;
		} else if (strcmp(kw, "result") == 0) {
			for (int i = 1; ok && i < n; i++)
				ok = t.nresults < RESULTS_MAX &&
				     pcl_copy(t.results[t.nresults++],
				              sizeof(t.results[0]), tok[i].s);
			ok = ok && n > 1;
		} else if (strcmp(kw, "end") == 0) {
			ok = t.name[0] != '\0' && t.nresults > 0;
			if (ok)
				test_run(&sc, &t);
			fflush(stdout);
		} else {
			ok = false;
		}
	}
	if (!ok)
		fprintf(stderr, "spf_suite: %s:%u: cannot read this line\n",
		        path, lineno);
	free(line);
	scenario_stop(&sc);
	return ok;
}

int
main(int argc, char **argv)
{
	unsigned min = 200;
	FILE *fp;
	bool ok;
	int opt;

	while ((opt = getopt(argc, argv, "vm:p:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'm':
			min = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			portcullis = optarg;
			break;
		default:
			fprintf(
			    stderr,
			    "usage: spf_suite [-v] [-m MIN] [-p PORTCULLIS] "
			    "CASES [TEST ...]\n");
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
		        "usage: spf_suite [-v] [-m MIN] [-p PORTCULLIS] "
		        "CASES [TEST ...]\n");
		return 2;
	}
	fp = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "r");
	if (fp == NULL) {
		perror(argv[optind]);
		return 2;
	}
	if (portcullis != NULL && mkdtemp(workdir) == NULL) {
		perror("spf_suite: mkdtemp");
		return 2;
	}
	only = argv + optind + 1;
	nonly = argc - optind - 1;
	ok = run(fp, argv[optind]);
	if (fp != stdin)
		fclose(fp);
	if (portcullis != NULL)
		rmdir(workdir);
	printf("SPF conformance%s: %u/%u passed\n",
	       portcullis ? " (portcullis -t)" : "", passed, total);
	if (!ok)
		return 2;
	if (nonly > 0)
		return passed == total ? 0 : 1;
	return passed >= min ? 0 : 1;
}
