/*
 * check_session_arc - this hop's ARC set (arc_sign = yes) through the
 * session engine: a message without a chain gets i=1 cv=none, one with
 * a passing two-hop chain (made by python3-dkim's arc_sign) i=3
 * cv=pass, one whose chain fails i=3 cv=fail; trusted clients get
 * none. Every sealed message is judged again by portcullis's verifier
 * and, when Debian's python3-dkim is there, by its arc_verify.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "dkim.h"
#include "fakedns.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

#define FIELDS_MAX 64
#define PY "/usr/bin/python3"

static struct fakedns *fk;
static char dir[] = "/tmp/check_session_arc.XXXXXX";
static char *zone_text;

/* slurp - a fixture file of data/dkim (caller frees) */
static char *
slurp(const char *name)
{
	char path[512];
	const char *src = getenv("srcdir");
	FILE *fp;
	char *buf = calloc(1, 65536);
	size_t n;

	ck_assert_ptr_nonnull(buf);
	pcl_format(path, sizeof(path), "%s/tests/unit/data/dkim/%s",
	           src ? src : ".", name);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* setup - the fixture keys (signing and the sealers') in DNS, a
 * private copy of the signing key */
static void
setup(void)
{
	char *keys = slurp("keys.zone"), *arc = slurp("arc.zone");
	char *pem = slurp("rsa2048.key"), path[300];
	size_t len = strlen(keys) + strlen(arc) + 200;
	FILE *fp;

	zone_text = malloc(len);
	ck_assert_ptr_nonnull(zone_text);
	pcl_format(zone_text, len,
	           "$ORIGIN test.\n$TTL 300\n"
	           "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n%s%s",
	           keys, arc);
	fk = fakedns_start(zone_text);
	ck_assert_ptr_nonnull(fk);
	pcl_format(path, sizeof(path), "%s/rsa%d.key", dir, (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(pem, fp);
	fclose(fp);
	chmod(path, 0600);
	free(keys);
	free(arc);
	free(pem);
}

/* teardown - stop the server */
static void
teardown(void)
{
	fakedns_stop();
	free(zone_text);
}

/* load - sealing with the fixture key; no SPF, no DMARC */
static struct pcl_conf *
load(void)
{
	char text[4096];

	pcl_format(text, sizeof(text),
	           "spf_verify = no\ndmarc_verify = no\n"
	           "dns_servers = %s\n"
	           "internal_networks = 127.0.0.0/8\n"
	           "authserv_id = mx.portcullis.test\n"
	           "dkim_sign_domain = example.test\n"
	           "dkim_sign_selector = rsa2048\n"
	           "dkim_sign_key = %s/rsa%d.key\n"
	           "arc_sign = yes\n",
	           fk->servers, dir, (int)getpid());
	return conf_fixture_load(dir, text);
}

/* A message: fields as Postfix gives them, a CRLF body. */
struct msg {
	size_t n;
	char *name[FIELDS_MAX], *value[FIELDS_MAX];
	char *body;
	char *text;
};

/* msg_load - a fixture (LF line ends) split as Postfix's milter does */
static void
msg_load(struct msg *m, const char *file)
{
	char *p, *end, *b;

	memset(m, 0, sizeof(*m));
	m->text = slurp(file);
	end = strstr(m->text, "\n\n");
	ck_assert_ptr_nonnull(end);
	end[1] = '\0';
	for (p = m->text; *p && m->n < FIELDS_MAX;) {
		char *colon = strchr(p, ':'), *nl = p;

		ck_assert_ptr_nonnull(colon);
		*colon = '\0';
		m->name[m->n] = p;
		m->value[m->n++] = colon + 1;
		for (nl = colon + 1; (nl = strchr(nl, '\n')) != NULL; nl++)
			if (nl[1] != ' ' && nl[1] != '\t')
				break;
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		p = nl + 1;
	}
	m->body = calloc(1, 2 * strlen(end + 2) + 1);
	ck_assert_ptr_nonnull(m->body);
	b = m->body;
	for (p = end + 2; *p; p++) {
		if (*p == '\n')
			*b++ = '\r';
		*b++ = *p;
	}
}

/* The sealed message: the fields portcullis added, in order. */
struct sealed {
	size_t n;
	char *name[8], *value[8];
};

/* seal_one - m through a session from addr; what was added */
static void
seal_one(struct pcl_conf *c, const struct msg *m, const char *addr,
         struct sealed *out)
{
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;

	memset(out, 0, sizeof(*out));
	pcl_session_connect(s, addr, NULL, 40000, NULL, &d);
	pcl_session_helo(s, "mail.sealer2.test", &d);
	pcl_session_mail(s, "alice@example.org", NULL, &d);
	pcl_session_rcpt(s, "bob@example.net", &d);
	for (size_t i = 0; i < m->n; i++)
		pcl_session_header(s, m->name[i], m->value[i]);
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)m->body, strlen(m->body));
	pcl_session_eom(s, &d);
	for (size_t i = 0; i < pcl_session_header_count(s) && out->n < 8; i++) {
		const struct pcl_add_header *h = pcl_session_header_get(s, i);

		if (strncasecmp(h->name, "ARC-", 4) != 0)
			continue;
		out->name[out->n] = strdup(h->name);
		out->value[out->n++] = strdup(h->value);
	}
	pcl_session_free(s);
}

/* sealed_free - what seal_one kept */
static void
sealed_free(struct sealed *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->name[i]);
		free(x->value[i]);
	}
}

/* judge - the sealed message through our verifier: the chain's verdict */
static enum pcl_arc_chain
judge(struct pcl_conf *c, const struct msg *m, const struct sealed *x,
      unsigned *instances)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(c->dkim, "judge");
	enum pcl_arc_chain r;

	for (size_t i = 0; i < x->n; i++)
		pcl_dkim_verify_header(v, x->name[i], x->value[i]);
	for (size_t i = 0; i < m->n; i++)
		pcl_dkim_verify_header(v, m->name[i], m->value[i]);
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)m->body,
	                     strlen(m->body));
	pcl_dkim_verify_eom(v);
	r = pcl_dkim_verify_arc(v)->result;
	*instances = pcl_dkim_verify_arc(v)->instances;
	pcl_dkim_verify_free(v);
	return r;
}

/* python_judge - python3-dkim's arc_verify on the sealed message, keys
 * from the fixture zone: "pass", "fail" (it answers no cv at all for a
 * chain that ends with cv=fail), or NULL when it cannot run */
static const char *
python_judge(const struct msg *m, const struct sealed *x)
{
	static char verdict[16];
	char path[300], zpath[300], cmd[1024];
	FILE *fp;
	int rc;

	if (access(PY, X_OK) != 0 ||
	    system(PY " -c 'import dkim' 2>/dev/null") != 0)
		return NULL;
	pcl_format(path, sizeof(path), "%s/sealed%d.eml", dir, (int)getpid());
	pcl_format(zpath, sizeof(zpath), "%s/zone%d", dir, (int)getpid());
	fp = fopen(zpath, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(zone_text, fp);
	fclose(fp);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	for (size_t i = 0; i < x->n; i++)
		fprintf(fp, "%s:%s\n", x->name[i], x->value[i]);
	for (size_t i = 0; i < m->n; i++)
		fprintf(fp, "%s:%s\n", m->name[i], m->value[i]);
	fputs("\n", fp);
	for (const char *p = m->body; *p; p++)
		if (*p != '\r')
			fputc(*p, fp);
	fclose(fp);
	/* the zone's TXT strings joined; the message with CRLF */
	pcl_format(cmd, sizeof(cmd),
	           PY " -c 'import dkim,re,sys\n"
	              "z={}\n"
	              "for l in open(sys.argv[2]):\n"
	              " m=re.match(r\"(\\S+)\\s+IN\\s+TXT\\s+(.*)\",l)\n"
	              " if m: z[m.group(1).rstrip(\".\")]="
	              "\"\".join(re.findall(r\"\\\"([^\\\"]*)\\\"\","
	              "m.group(2))).encode()\n"
	              "f=lambda n,timeout=5: z.get(n.decode().rstrip(\".\"))\n"
	              "b=open(sys.argv[1],\"rb\").read().replace(b\"\\n\","
	              "b\"\\r\\n\")\n"
	              "cv,r,c=dkim.arc_verify(b,dnsfunc=f)\n"
	              "print(cv.decode() if cv else \"fail\")' %s %s > %s.out",
	           path, zpath, path);
	rc = system(cmd);
	ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
	              "python3-dkim failed");
	pcl_format(zpath, sizeof(zpath), "%s.out", path);
	fp = fopen(zpath, "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(verdict, sizeof(verdict), fp));
	fclose(fp);
	verdict[strcspn(verdict, "\n")] = '\0';
	return verdict;
}

struct seal_case {
	const char *label, *file, *addr;
	size_t want_fields;
	const char *want_cv; /* in the ARC-Seal */
	enum pcl_arc_chain want;
	unsigned instances;
	const char *python; /* arc_verify's verdict */
};

static const struct seal_case cases[] = {
    {"no chain: i=1 cv=none", "relaxed.eml", "192.0.2.10", 3, "cv=none",
     PCL_ARC_PASS, 1, "pass"},
    {"a passing chain of two: i=3 cv=pass", "arc_two.eml", "192.0.2.10", 3,
     "cv=pass", PCL_ARC_PASS, 3, "pass"},
    {"a failing chain: i=3 cv=fail", "arc_body.eml", "192.0.2.10", 3, "cv=fail",
     PCL_ARC_FAIL, 3, "fail"},
    {"a trusted client's mail is not sealed", "relaxed.eml", "127.0.0.1", 0,
     NULL, PCL_ARC_NONE, 0, NULL},
};

START_TEST(test_seal)
{
	const struct seal_case *tc = &cases[_i];
	struct pcl_conf *c = load();
	struct msg m;
	struct sealed x;
	unsigned instances = 0;
	const char *py;

	msg_load(&m, tc->file);
	seal_one(c, &m, tc->addr, &x);
	ck_assert_msg(x.n == tc->want_fields, "%s: %zu ARC fields added",
	              tc->label, x.n);
	if (x.n > 0) {
		ck_assert_str_eq(x.name[0], "ARC-Seal");
		ck_assert_str_eq(x.name[1], "ARC-Message-Signature");
		ck_assert_str_eq(x.name[2], "ARC-Authentication-Results");
		ck_assert_msg(strstr(x.value[0], tc->want_cv) != NULL, "%s: %s",
		              tc->label, x.value[0]);
		ck_assert_msg(strstr(x.value[2], "mx.portcullis.test;") != NULL,
		              "%s: AAR %s", tc->label, x.value[2]);
		ck_assert_msg(judge(c, &m, &x, &instances) == tc->want &&
		                  instances == tc->instances,
		              "%s: our verifier disagrees (%u sets)", tc->label,
		              instances);
		py = python_judge(&m, &x);
		ck_assert_msg(py == NULL || strcmp(py, tc->python) == 0,
		              "%s: python3-dkim says %s", tc->label, py);
	}
	sealed_free(&x);
	free(m.text);
	free(m.body);
	pcl_conf_release(c);
}
END_TEST

/* test_config - arc_sign needs a key and the verifier */
START_TEST(test_config)
{
	char text[512], *errs;

	errs = conf_fixture_errors(dir, "arc_sign = yes\n");
	ck_assert_msg(strstr(errs, "arc_sign needs a signing key") != NULL,
	              "%s", errs);
	free(errs);
	pcl_format(text, sizeof(text),
	           "arc_sign = yes\ndkim_verify = no\n"
	           "dkim_sign_domain = example.test\n"
	           "dkim_sign_selector = rsa2048\n"
	           "dkim_sign_key = %s/rsa%d.key\n",
	           dir, (int)getpid());
	errs = conf_fixture_errors(dir, text);
	ck_assert_msg(strstr(errs, "arc_sign needs dkim_verify") != NULL, "%s",
	              errs);
	free(errs);
	/* a signing configuration that fails says why, once: no second,
	 * misleading "needs a signing key" (t_arc.sh saw it) */
	errs = conf_fixture_errors(dir, "arc_sign = yes\n"
	                                "dkim_key_table = /nonexistent\n");
	ck_assert_msg(strstr(errs, "go together") != NULL, "%s", errs);
	ck_assert_msg(strstr(errs, "arc_sign needs a signing key") == NULL,
	              "%s", errs);
	free(errs);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_arc");
	TCase *tc = tcase_create("seal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_seal, 0,
	                    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_config);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
