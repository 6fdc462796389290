/*
 * check_session_dmarc_report - the line of aggregate report data the
 * DMARC check writes for a message (lib/checks/dmarc_history.c),
 * through the session engine, against zone data and a DKIM key served
 * by fakedns
 *
 * Each case sends one message and says which words its line must hold,
 * in any order (or that no line is written): the record that applied and its
 * rua=, the result, both kinds of alignment (the search goes on past the first
 * aligned identifier when a line is written), the disposition, the admin's
 * action and why it differs from the policy, the MAIL FROM domain, the SPF and
 * DKIM results.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "dkim.h"
#include "dmarc_report.h"
#include "fakedns.h"
#include "session.h"
#include "session_dns.h"
#include "snapshot.h"
#include "util.h"

static const char zone[] =
    "$ORIGIN test.\n"
    "$TTL 300\n"
    "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n"
    "_dmarc.example.test. IN TXT \"v=DMARC1; p=reject; sp=quarantine; "
    "adkim=s; rua=mailto:d@example.test, bogus, "
    "mailto:agg@rua.example!10m\"\n"
    "example.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "bounce.example.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "mail.example.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "mail.example.test. IN A 192.0.2.10\n"
    "news.example.test. IN A 192.0.2.99\n"
    "x.other.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.lax.test. IN TXT \"v=DMARC1; p=reject; t=y\"\n"
    "lax.test. IN TXT \"v=spf1 -all\"\n"
    "nodmarc.test. IN TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n";

static char dir[] = "/tmp/check_session_dmarc_report.XXXXXX";
static char keypath[300], reports[300];

/* slurp - a file of tests/unit/data/dkim (caller frees) */
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

/* setup - the zone with the fixture's RSA key under example.test, the
 * key file (mode 0600), the report directory (0750), servfail on the
 * walk of other.test (checked fixture: in the test's fork) */
static void
setup(void)
{
	static const char owner[] = "rsa2048._domainkey.example.test.";
	char *keys = slurp("keys.zone"), *pem = slurp("rsa2048.key");
	char *rec = strstr(keys, owner), *eol, text[16384];
	FILE *fp;

	ck_assert_ptr_nonnull(rec);
	if ((eol = strchr(rec, '\n')) != NULL)
		*eol = '\0';
	ck_assert(pcl_format(text, sizeof(text), "%s%s\n", zone, rec));
	session_dns_start(text);
	fakedns_set_servfail("_dmarc.other.test");
	fakedns_set_servfail("_dmarc.x.other.test");
	ck_assert(pcl_format(keypath, sizeof(keypath), "%s/rsa%d.key", dir,
	                     (int)getpid()));
	ck_assert_ptr_nonnull(fp = fopen(keypath, "w"));
	fputs(pem, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(keypath, 0600), 0);
	ck_assert(pcl_format(reports, sizeof(reports), "%s/reports.%d", dir,
	                     (int)getpid()));
	ck_assert_int_eq(mkdir(reports, 0750), 0);
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

/* The message: its header fields (From: per case) and its body. */
static const char *const fields[][2] = {
    {"To", " <b@example.org>"},
    {"Subject", " a message"},
    {"Date", " Tue, 14 Nov 2023 22:13:20 +0000"},
};
static const char body[] = "Hello,\r\n\r\nthis is the message.\r\n";

/* sign - a DKIM-Signature value by the fixture key for d=domain over
 * the message with From: from (caller frees) */
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
	ck_assert(pcl_dkim_sign_prepare(lib, 0, err, sizeof(err)));
	key = pcl_dkim_key_load(keypath, err, sizeof(err));
	ck_assert_msg(key != NULL, "pcl_dkim_key_load: %s", err);
	ck_assert(pcl_copy(signer.name, sizeof(signer.name), domain));
	ck_assert(pcl_copy(signer.domain, sizeof(signer.domain), domain));
	ck_assert(
	    pcl_copy(signer.selector, sizeof(signer.selector), "rsa2048"));
	signer.key = key;
	ctx = pcl_dkim_sign_new(lib, &signer, NULL);
	ck_assert_ptr_nonnull(ctx);
	pcl_dkim_sign_header(ctx, "From", from);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		pcl_dkim_sign_header(ctx, fields[i][0], fields[i][1]);
	pcl_dkim_sign_eoh(ctx);
	pcl_dkim_sign_body(ctx, (const unsigned char *)body, strlen(body));
	ck_assert(pcl_dkim_sign_eom(ctx, out, PCL_DKIM_SIGN_VALUE_MAX) ==
	          PCL_DKIM_SIGN_OK);
	pcl_dkim_sign_free(ctx);
	pcl_dkim_key_free(key);
	pcl_dkim_lib_free(lib);
	return out;
}

struct report_case {
	const char *label;
	const char *conf;   /* extra lines */
	const char *addr;   /* NULL: 192.0.2.10, allowed by the SPF records */
	const char *sender; /* "": the null sender */
	const char *from;   /* the From: address */
	const char *signer; /* d= of a good signature, or NULL */
	bool test_mode;     /* the session logs nothing, as portcullis -t */
	const char *want;   /* words the line holds (in any order);
	                       NULL: no line */
};

#define RUA "rua=mailto:d@example.test,mailto:agg@rua.example!10m"

static const struct report_case cases[] = {
    {"SPF and DKIM aligned strictly: pass, both kinds", "", NULL,
     "a@example.test", "a@example.test", "example.test", false,
     "ip=192.0.2.10 from=example.test domain=example.test disc=treewalk "
     "p=reject sp=quarantine np=- adkim=s aspf=r t=n psd=u " RUA
     " result=pass align_dkim=pass align_spf=pass disposition=pass "
     "action=accept override=- mailfrom=example.test "
     "spf=example.test/mfrom/pass dkim=example.test/rsa2048/pass end"},
    {"DKIM exact, SPF relaxed: both found, past the first", "", NULL,
     "a@bounce.example.test", "a@example.test", "example.test", false,
     "result=pass align_dkim=pass align_spf=pass disposition=pass "
     "mailfrom=bounce.example.test spf=bounce.example.test/mfrom/pass "},
    {"SPF relaxed alone: DKIM strict does not align d=news", "", NULL,
     "a@bounce.example.test", "a@news.example.test", NULL, false,
     "from=news.example.test domain=example.test result=pass "
     "align_dkim=fail align_spf=pass disposition=pass "},
    {"SPF fails under p=reject: rejected as asked", "", "198.51.100.7",
     "a@example.test", "a@example.test", NULL, false,
     "result=fail align_dkim=fail align_spf=fail disposition=reject "
     "action=reject override=- mailfrom=example.test "
     "spf=example.test/mfrom/fail end"},
    {"the admin tags instead: local_policy", "dmarc_reject_action = tag\n",
     "198.51.100.7", "a@example.test", "a@example.test", NULL, false,
     "result=fail disposition=quarantine action=tag override=local_policy "},
    {"dry run: delivered, dry_run", "dry_run = dmarc_reject\n", "198.51.100.7",
     "a@example.test", "a@example.test", NULL, false,
     "result=fail disposition=none action=reject override=dry_run "},
    {"a subdomain gets sp=", "", "198.51.100.7", "a@example.test",
     "a@news.example.test", NULL, false,
     "from=news.example.test domain=example.test result=fail "
     "disposition=quarantine action=quarantine override=- "},
    {"t=y: one step milder, policy_test_mode", "", NULL, "a@lax.test",
     "a@lax.test", NULL, false,
     "from=lax.test domain=lax.test p=reject sp=- np=- adkim=r aspf=r "
     "t=y psd=u rua= result=fail align_dkim=fail align_spf=fail "
     "disposition=quarantine action=quarantine override=policy_test_mode "
     "mailfrom=lax.test spf=lax.test/mfrom/fail end"},
    {"null sender: the HELO's SPF, relaxed", "", NULL, "", "a@example.test",
     NULL, false,
     "result=pass align_dkim=fail align_spf=pass disposition=pass "
     "action=accept override=- mailfrom= spf=mail.example.test/helo/pass "
     "end"},
    {"a DNS failure after the record: temperror, on_error's action",
     "dmarc_on_error = accept\n", NULL, "a@x.other.test", "a@example.test",
     NULL, false,
     "domain=example.test " RUA " result=temperror align_dkim=fail "
     "align_spf=fail disposition=none action=accept override=other "
     "mailfrom=x.other.test spf=x.other.test/mfrom/pass end"},
    {"no DMARC record: no line", "", NULL, "a@nodmarc.test", "a@nodmarc.test",
     NULL, false, NULL},
    {"the test mode: no line", "", NULL, "a@example.test", "a@example.test",
     NULL, true, NULL},
    {"dmarc_report_dir empty: no line", "dmarc_report_dir =\n", NULL,
     "a@example.test", "a@example.test", NULL, false, NULL},
};

/* day_lines - every line of the report directory's files into buf */
static size_t
day_lines(char *buf, size_t len, unsigned *files)
{
	DIR *d = opendir(reports);
	struct dirent *e;
	size_t used = 0;

	ck_assert_ptr_nonnull(d);
	*files = 0;
	*buf = '\0';
	while ((e = readdir(d)) != NULL) {
		char path[600];
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		(*files)++;
		pcl_format(path, sizeof(path), "%s/%s", reports, e->d_name);
		ck_assert_ptr_nonnull(fp = fopen(path, "r"));
		used += fread(buf + used, 1, len - 1 - used, fp);
		buf[used] = '\0';
		fclose(fp);
	}
	closedir(d);
	return used;
}

START_TEST(test_report_line)
{
	const struct report_case *c = &cases[_i];
	struct pcl_conf *conf;
	struct pcl_session *s;
	struct pcl_dmarc_report_row row;
	struct pcl_decision d;
	char text[1024], from[PCL_ADDRESS_MAX + 4], got[8192], err[128] = "";
	unsigned files;
	size_t n;

	ck_assert(pcl_format(text, sizeof(text), "dmarc_report_dir = %s\n%s",
	                     reports, c->conf));
	conf = session_dns_load(dir,
	                        "myhostname = mx.example.org\n"
	                        "internal_networks = 127.0.0.0/8\n"
	                        "helo_non_fqdn_action = accept\n"
	                        "spf_mailfrom_fail_action = accept\n"
	                        "spf_helo_fail_action = accept\n"
	                        "dkim_fail_action = accept\n",
	                        text);
	s = pcl_session_new(conf);
	pcl_session_set_log(s, !c->test_mode);
	pcl_session_connect(s, c->addr ? c->addr : "192.0.2.10", NULL, 25, NULL,
	                    &d);
	pcl_session_helo(s, "mail.example.test", &d);
	pcl_session_mail(s, *c->sender ? c->sender : "<>", NULL, &d);
	pcl_session_rcpt(s, "b@example.org", &d);
	ck_assert_msg(d.action == PCL_ACT_ACCEPT, "%s: refused before DATA",
	              c->label);
	ck_assert(pcl_format(from, sizeof(from), " <%s>", c->from));
	if (c->signer != NULL) {
		char *sig = sign(conf, c->signer, from);

		pcl_session_header(s, "DKIM-Signature", sig);
		free(sig);
	}
	pcl_session_header(s, "From", from);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		pcl_session_header(s, fields[i][0], fields[i][1]);
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, &d);
	pcl_session_free(s);
	pcl_conf_release(conf);

	n = day_lines(got, sizeof(got), &files);
	if (c->want == NULL) {
		ck_assert_msg(n == 0, "%s: got a line %s, want none", c->label,
		              got);
		return;
	}
	ck_assert_msg(files == 1 && n > 0 && got[n - 1] == '\n' &&
	                  strchr(got, '\n') == got + n - 1,
	              "%s: got %u files, %s; want one line", c->label, files,
	              got);
	got[n - 1] = ' ';
	for (const char *w = c->want; *w;) {
		size_t k = strcspn(w, " ");
		char word[512];

		ck_assert(pcl_format(word, sizeof(word), " %.*s ", (int)k, w));
		ck_assert_msg(
		    strstr(got, word) != NULL ||
		        (w == c->want && strncmp(got, word + 1, k + 1) == 0),
		    "%s: got %s, want the word%s", c->label, got, word);
		w += k + (w[k] == ' ');
	}
	ck_assert_msg(pcl_dmarc_report_parse(got, n - 1, &row, err,
	                                     sizeof(err)) == PCL_DMARC_LINE_OK,
	              "%s: the line does not parse: %s", c->label, err);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_dmarc_report");
	TCase *tc = tcase_create("session_dmarc_report");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_report_line, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_set_timeout(tc, 30);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
