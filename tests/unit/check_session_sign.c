/*
 * check_session_sign - outgoing mail signed through the session engine
 *
 * Internal, authenticated and sendmail-path mail from a configured
 * domain gets a DKIM-Signature that portcullis's own verifier accepts
 * against the fixture keys served by fakedns; inbound mail and mail
 * from a domain without a key gets none.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "conf_fixture.h"
#include "fakedns.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

static struct fakedns *fk;
static char dir[] = "/tmp/check_session_sign.XXXXXX";

/* slurp - a fixture file's text (caller frees) */
static char *
slurp(const char *name)
{
	char path[512];
	const char *src = getenv("srcdir");
	FILE *fp;
	char *buf = calloc(1, 65536);
	size_t n;

	pcl_format(path, sizeof(path), "%s/tests/unit/data/dkim/%s",
	           src ? src : ".", name);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* setup - the fixture keys in DNS, a private copy of the key file */
static void
setup(void)
{
	char *keys = slurp("keys.zone"), *pem = slurp("rsa2048.key");
	char zone[70000], path[300];
	FILE *fp;

	pcl_format(zone, sizeof(zone),
	           "$ORIGIN test.\n$TTL 300\n"
	           "@ IN SOA ns.test. admin.test. 1 3600 600 86400 120\n%s",
	           keys);
	fk = fakedns_start(zone);
	ck_assert_ptr_nonnull(fk);
	pcl_format(path, sizeof(path), "%s/rsa%d.key", dir, (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(pem, fp);
	fclose(fp);
	chmod(path, 0600);
	free(keys);
	free(pem);
}

/* teardown - stop the server */
static void
teardown(void)
{
	fakedns_stop();
}

/* load_with - signing example.test with the fixture key, and extra */
static struct pcl_conf *
load_with(const char *extra)
{
	char text[4096];

	pcl_format(text, sizeof(text),
	           "spf_verify = no\n"
	           "dns_servers = %s\n"
	           "internal_networks = 127.0.0.0/8\n"
	           "dkim_sign_domain = example.test\n"
	           "dkim_sign_selector = rsa2048\n"
	           "dkim_sign_key = %s/rsa%d.key\n"
	           "dkim_sign_daemon_names = ORIGINATING\n%s",
	           fk->servers, dir, (int)getpid(), extra);
	return conf_fixture_load(dir, text);
}

/* load - the usual signing configuration */
static struct pcl_conf *
load(void)
{
	return load_with("");
}

static const char *body = "Hello,\r\n\r\nthis is signed.\r\n";

/* sign_one - one message through a session; its DKIM-Signature value
 * (caller frees) or NULL */
static char *
sign_one(struct pcl_conf *c, const char *addr, int port, const char *daemon,
         const char *auth, const char *sender, const char *from)
{
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	char *sig = NULL;

	pcl_session_connect(s, addr, NULL, port, daemon, &d);
	pcl_session_helo(s, "mail.example.test", &d);
	pcl_session_mail(s, sender, auth, &d);
	pcl_session_rcpt(s, "bob@example.net", &d);
	pcl_session_header(s, "From", from);
	pcl_session_header(s, "To", " bob@example.net");
	pcl_session_header(s, "Subject", " a folded\n\tsubject");
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)body, strlen(body));
	pcl_session_eom(s, &d);
	for (size_t i = 0; i < pcl_session_header_count(s); i++)
		if (strcmp(pcl_session_header_get(s, i)->name,
		           "DKIM-Signature") == 0 &&
		    sig == NULL)
			sig = strdup(pcl_session_header_get(s, i)->value);
	pcl_session_free(s);
	return sig;
}

/* expect_pass - the signature verifies as the receiver will see it,
 * with d=domain */
static void
expect_pass(struct pcl_conf *c, const char *label, const char *sig,
            const char *from, const char *domain)
{
	struct pcl_dkim_verify *v = pcl_dkim_verify_new(c->dkim, "check");

	pcl_dkim_verify_header(v, "DKIM-Signature", sig);
	pcl_dkim_verify_header(v, "From", from);
	pcl_dkim_verify_header(v, "To", " bob@example.net");
	pcl_dkim_verify_header(v, "Subject", " a folded\n\tsubject");
	pcl_dkim_verify_eoh(v);
	pcl_dkim_verify_body(v, (const unsigned char *)body, strlen(body));
	pcl_dkim_verify_eom(v);
	ck_assert_uint_eq(pcl_dkim_verify_count(v), 1);
	ck_assert_msg(pcl_dkim_verify_sig(v, 0)->result == PCL_DKIM_PASS,
	              "%s: got %s (%s), want pass", label,
	              pcl_dkim_result_name(pcl_dkim_verify_sig(v, 0)->result),
	              pcl_dkim_verify_sig(v, 0)->reason);
	ck_assert_str_eq(pcl_dkim_verify_sig(v, 0)->domain, domain);
	pcl_dkim_verify_free(v);
}

struct sign_case {
	const char *label;
	const char *addr;
	int port;
	const char *daemon, *auth, *from;
	bool want_signed;
};

static const struct sign_case cases[] = {
    {"internal client", "127.0.0.1", 40000, NULL, NULL,
     " Alice <alice@example.test>", true},
    {"subdomain of the signing domain", "127.0.0.1", 40000, NULL, NULL,
     " bob@mail.example.test", true},
    {"authenticated client", "192.0.2.10", 40000, NULL, "alice",
     " alice@example.test", true},
    {"sendmail path", "127.0.0.1", 0, NULL, NULL, " root@example.test", true},
    {"submission service by daemon name", "192.0.2.10", 40000, "ORIGINATING",
     NULL, " alice@example.test", true},
    {"inbound mail is never signed", "192.0.2.10", 40000, NULL, NULL,
     " alice@example.test", false},
    {"a domain without a key", "127.0.0.1", 40000, NULL, NULL,
     " carol@example.org", false},
};

START_TEST(test_cases)
{
	const struct sign_case *tc = &cases[_i];
	struct pcl_conf *c = load();
	char *sig = sign_one(c, tc->addr, tc->port, tc->daemon, tc->auth,
	                     "alice@example.test", tc->from);

	ck_assert_msg((sig != NULL) == tc->want_signed, "%s: got %s, want %s",
	              tc->label, sig ? "signed" : "unsigned",
	              tc->want_signed ? "signed" : "unsigned");
	if (sig)
		expect_pass(c, tc->label, sig, tc->from, "example.test");
	free(sig);
	pcl_conf_release(c);
}
END_TEST

/* dkim_sign_address = sender: the envelope sender picks the key; the
 * null sender falls back to From: */
START_TEST(test_by_sender)
{
	struct pcl_conf *c = load_with("dkim_sign_address = sender\n");
	char *sig;

	sig = sign_one(c, "127.0.0.1", 40000, NULL, NULL, "alice@example.test",
	               " carol@example.org");
	ck_assert_msg(sig != NULL, "envelope sender's domain: unsigned");
	expect_pass(c, "by sender", sig, " carol@example.org", "example.test");
	free(sig);
	sig = sign_one(c, "127.0.0.1", 40000, NULL, NULL, "carol@example.org",
	               " alice@example.test");
	ck_assert_msg(sig == NULL, "a sender without a key: signed");
	sig = sign_one(c, "127.0.0.1", 40000, NULL, NULL, "",
	               " alice@example.test");
	ck_assert_msg(sig != NULL, "null sender: From: not used");
	expect_pass(c, "null sender", sig, " alice@example.test",
	            "example.test");
	free(sig);
	pcl_conf_release(c);
}
END_TEST

/* dkim_sign_headers: h= names exactly the configured fields present,
 * From once more (oversigned) */
START_TEST(test_header_list)
{
	struct pcl_conf *c = load_with("dkim_sign_headers = from subject "
	                               "x-absent\n");
	char *sig = sign_one(c, "127.0.0.1", 40000, NULL, NULL,
	                     "alice@example.test", " alice@example.test");
	char *h;

	ck_assert_ptr_nonnull(sig);
	h = strstr(sig, " h=");
	if (h == NULL)
		h = strstr(sig, "\th=");
	ck_assert_msg(h != NULL, "no h= in %s", sig);
	h++;
	ck_assert_msg(strncasecmp(h, "h=from:subject:from;", 20) == 0,
	              "got %.40s", h);
	expect_pass(c, "header list", sig, " alice@example.test",
	            "example.test");
	free(sig);
	pcl_conf_release(c);
}
END_TEST

/* long_line_note - sign a message whose body has one line of n bytes
 * (fed in two chunks, split inside the line); the long_line trace
 * entry's detail, or "" */
static void
long_line_note(struct pcl_conf *c, size_t n, char *note, size_t len)
{
	struct pcl_session *s = pcl_session_new(c);
	struct pcl_decision d;
	char *line = malloc(n + 3);
	bool signed_ = false;

	ck_assert_ptr_nonnull(line);
	memset(line, 'x', n);
	memcpy(line + n, "\r\n", 3);
	*note = '\0';
	pcl_session_connect(s, "127.0.0.1", NULL, 40000, NULL, &d);
	pcl_session_helo(s, "mail.example.test", &d);
	pcl_session_mail(s, "alice@example.test", NULL, &d);
	pcl_session_rcpt(s, "bob@example.net", &d);
	pcl_session_header(s, "From", " alice@example.test");
	pcl_session_eoh(s);
	pcl_session_body(s, (const unsigned char *)line, n / 2);
	pcl_session_body(s, (const unsigned char *)line + n / 2, n + 2 - n / 2);
	pcl_session_eom(s, &d);
	for (size_t i = 0; i < pcl_session_header_count(s); i++)
		signed_ = signed_ || strcmp(pcl_session_header_get(s, i)->name,
		                            "DKIM-Signature") == 0;
	ck_assert_msg(signed_, "a line of %zu: not signed", n);
	for (size_t i = 0; i < pcl_session_trace_count(s); i++)
		if (strcmp(pcl_session_trace_get(s, i)->result, "long_line") ==
		    0)
			pcl_format(note, len, "%s",
			           pcl_session_trace_get(s, i)->detail);
	free(line);
	pcl_session_free(s);
}

/* A line longer than SMTP allows is signed, and the trace says an MTA
 * breaking it will break the signature; 998 bytes is fine */
START_TEST(test_long_line)
{
	struct pcl_conf *c = load();
	char note[256];

	long_line_note(c, 998, note, sizeof(note));
	ck_assert_str_eq(note, "");
	long_line_note(c, 5000, note, sizeof(note));
	ck_assert_str_eq(note, "a line of 5000 bytes (more than 998)");
	pcl_conf_release(c);
}
END_TEST

/* Bad signing options are config errors, with the key named */
START_TEST(test_option_errors)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
	    {"dkim_sign_headers = To, Subject\n", "From must be signed"},
	    {"dkim_sign_headers = From, Sub*ject\n", "bad header name"},
	    {"dkim_sign_address = envelope\n", "want from or sender"},
	};
	char path[300], text[2048];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *errors = NULL;
		FILE *fp;

		pcl_format(path, sizeof(path), "%s/opt%d.conf", dir,
		           (int)getpid());
		pcl_format(text, sizeof(text),
		           "dns_servers = %s\ndkim_sign_domain = example.test\n"
		           "dkim_sign_selector = s\n"
		           "dkim_sign_key = %s/rsa%d.key\n%s",
		           fk->servers, dir, (int)getpid(), bad[i].line);
		fp = fopen(path, "w");
		ck_assert_ptr_nonnull(fp);
		fputs(text, fp);
		fclose(fp);
		ck_assert_ptr_null(pcl_conf_load(path, NULL, 0, &errors));
		ck_assert_msg(errors && strstr(errors, bad[i].want) &&
		                  strstr(errors, ":5: "),
		              "%s: got \"%s\", want \"%s\" at line 5",
		              bad[i].line, errors ? errors : "", bad[i].want);
		free(errors);
		unlink(path);
	}
}
END_TEST

/* The signing options are checked with signing off too */
START_TEST(test_option_errors_unsigned)
{
	char path[300];
	char *errors = NULL;
	FILE *fp;

	pcl_format(path, sizeof(path), "%s/off%d.conf", dir, (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "dns_servers = %s\ndkim_sign_address = sendr\n",
	        fk->servers);
	fclose(fp);
	ck_assert_ptr_null(pcl_conf_load(path, NULL, 0, &errors));
	ck_assert_msg(errors && strstr(errors, ":2: ") &&
	                  strstr(errors, "want from or sender"),
	              "got \"%s\"", errors ? errors : "");
	free(errors);
	unlink(path);
}
END_TEST

/* A key file the process can no longer read is named (a reload as
 * the service user would fail on it) */
START_TEST(test_unreadable)
{
	struct pcl_conf *c = load();
	char path[300];

	ck_assert_ptr_null(pcl_dkim_signing_unreadable(c->signing));
	pcl_format(path, sizeof(path), "%s/rsa%d.key", dir, (int)getpid());
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_ptr_nonnull(pcl_dkim_signing_unreadable(c->signing));
	ck_assert_str_eq(pcl_dkim_signing_unreadable(c->signing), path);
	pcl_conf_release(c);
}
END_TEST

/* The documented default header list is the library's own */
START_TEST(test_default_headers)
{
	struct pcl_conf *c = load();
	size_t n = 0;

	for (; pcl_dkim_sign_default_headers[n] != NULL; n++) {
		ck_assert_ptr_nonnull(c->sign_headers[n]);
		ck_assert_str_eq(c->sign_headers[n],
		                 pcl_dkim_sign_default_headers[n]);
	}
	ck_assert_ptr_null(c->sign_headers[n]);
	pcl_conf_release(c);
}
END_TEST

/* A key readable by others is refused at load, naming the file. */
START_TEST(test_key_mode)
{
	char path[300], text[1024];
	char *errors = NULL;
	FILE *fp;

	pcl_format(path, sizeof(path), "%s/rsa%d.key", dir, (int)getpid());
	chmod(path, 0644);
	pcl_format(text, sizeof(text), "%s/bad%d.conf", dir, (int)getpid());
	fp = fopen(text, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp,
	        "dns_servers = %s\ndkim_sign_domain = example.test\n"
	        "dkim_sign_selector = s\ndkim_sign_key = %s\n",
	        fk->servers, path);
	fclose(fp);
	ck_assert_ptr_null(pcl_conf_load(text, NULL, 0, &errors));
	ck_assert_msg(errors && strstr(errors, path) &&
	                  strstr(errors, "readable by others"),
	              "got \"%s\", want the file and \"readable by others\"",
	              errors ? errors : "");
	free(errors);
	unlink(text);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("session_sign");
	TCase *tc = tcase_create("sign");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cases, 0,
	                    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_key_mode);
	tcase_add_test(tc, test_by_sender);
	tcase_add_test(tc, test_header_list);
	tcase_add_test(tc, test_option_errors);
	tcase_add_test(tc, test_option_errors_unsigned);
	tcase_add_test(tc, test_default_headers);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_long_line);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(su, tc);
	return conf_fixture_run(su, dir);
}
