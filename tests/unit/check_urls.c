/*
 * check_urls - unit tests for lib/mime/urls.c
 *
 * mail_cases runs each sample under tests/unit/data/mail (found
 * through $srcdir, default ".") twice: as stored, and with its line
 * ends flipped (LF to CRLF, CRLF to LF). scan_cases wraps a short body
 * in a one-part message, to pin the scanner's rules one at a time.
 * slow_cases repeat a pattern to 1 MiB and must finish in time. Then
 * generated messages: 5 MiB, the budget across parts, deep nesting,
 * threads, and the API's edges.
 *
 * A want is the list joined with spaces, in order: "www.example.com
 * example.com".
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "urls.h"
#include "util.h"

#define MAX 100
#define MIB ((size_t)1 << 20)
#define TIME_LIMIT 10.0 /* seconds; generous for valgrind */

/* Labels of known length, for the 63/64 and 253/254 limits. */
#define L10 "abcdefghij"
#define L50 L10 L10 L10 L10 L10
#define L53 L50 "abc"
#define L54 L50 "abcd"
#define L63 L50 L10 "abc"
#define L64 L50 L10 "abcd"
#define N253 L63 "." L63 "." L63 "." L53 ".example"
#define N254 L63 "." L63 "." L63 "." L54 ".example"
#define A500 L50 L50 L50 L50 L50 L50 L50 L50 L50 L50
#define A2000 A500 A500 A500 A500

struct mail_case {
	const char *label;
	const char *file;
	size_t max;
	const char *want;
	bool capped;
	bool truncated;
};

#define PLAIN_ALL                                                              \
	"shop.example.org example.org www.example.com example.com "            \
	"files.example.edu example.edu example.net mail.example.biz "          \
	"example.biz www.example.info example.info"

static const struct mail_case mail_cases[] = {
    {"plain text", "plain.eml", MAX, PLAIN_ALL, false, false},
    {"quoted-printable soft breaks", "qp-softbreak.eml", MAX,
     "example.com www.split.example.net example.net www.encoded.example "
     "encoded.example",
     false, false},
    {"base64 html", "base64-html.eml", MAX,
     "img.example.net example.net track.example.com example.com "
     "www.entity.example entity.example upper.example.org example.org "
     "cdn.example.net support.example hex.example.info example.info "
     "dec.example.info button.example",
     false, false},
    {"multipart/alternative", "alternative.eml", MAX,
     "shared.example plain-only.example html-only.example", false, false},
    {"nested, message/rfc822", "nested.eml", MAX,
     "www.outer.example outer.example inner-alt.example inner-html.example "
     "forwarded.example attachment.example",
     false, false},
    {"iso-8859-1 quoted-printable", "latin1.eml", MAX,
     "www.xn--mller-kva.example xn--mller-kva.example xn--bcker-gra.example",
     false, false},
    {"iso-8859-1 8bit html", "latin1-8bit.eml", MAX,
     "xn--strae-oqa.example www.xn--fe-gia9i.example xn--fe-gia9i.example",
     false, false},
    {"idn", "idn.eml", MAX,
     "xn--bcher-kva.example www.xn--bcher-kva.de xn--bcher-kva.de "
     "example.jp paypal.example www.example.cn example.cn evil.example "
     "xn--r8jz45g.xn--zckzah",
     false, false},
    {"ip literals", "ip.eml", MAX, "real.example", false, false},
    {"registered domains", "psl.eml", MAX,
     "a.b.example.co.uk example.co.uk www.example.com.au example.com.au "
     "someone.github.io co.uk",
     false, false},
    {"duplicates", "dup.eml", MAX, "www.example.com example.com", false, false},
    {"multipart without boundary", "broken-noboundary.eml", MAX,
     "broken.example", false, false},
    {"boundary never used", "broken-unused-boundary.eml", MAX,
     "www.prologue.example prologue.example", false, false},
    {"cut short", "broken-truncated.eml", MAX,
     "before-cut.example in-cut-part.example", false, false},
    {"empty", "empty.eml", MAX, "", false, false},
    {"headers only", "headers-only.eml", MAX, "", false, false},
    {"no header block", "no-headers.eml", MAX, "raw.example raw-mail.example",
     false, false},
    {"messages in messages", "deep-messages.eml", MAX,
     "level1.example level2.example level3.example level4.example", false,
     true},
    {"cap 3", "plain.eml", 3, "shop.example.org example.org www.example.com",
     true, false},
    {"cap 0", "plain.eml", 0, "", true, false},
    {"cap exactly met", "plain.eml", 11, PLAIN_ALL, false, false},
    {"cap between host and domain", "dup.eml", 1, "www.example.com", true,
     false},
    {"cap 0, nothing found", "empty.eml", 0, "", false, false},
};

#define NMAIL (sizeof(mail_cases) / sizeof(mail_cases[0]))

struct scan_case {
	const char *label;
	bool html;
	const char *body;
	const char *want;
};

#define P false
#define H true

static const struct scan_case scan_cases[] = {
    /* URL syntax */
    {"port stripped", P, "see http://example.com:8080/x", "example.com"},
    {"userinfo skipped", P, "http://user:secret@host.example/", "host.example"},
    {"userinfo like a host", P, "http://www.bank.example@evil.example/",
     "evil.example"},
    {"backslashes", P, "http:\\\\back.example\\path", "back.example"},
    {"three slashes", P, "https:///three.example/", "three.example"},
    {"scheme case", P, "HtTpS://Case.Example/", "case.example"},
    {"scheme glued to a word", P, "Linkhttp://glued.example/", "glued.example"},
    {"ftp", P, "ftp://ftp.example.org/pub", "ftp.example.org example.org"},
    {"defanged hxxp", P, "hxxp://defanged.example/", ""},
    {"scheme without slashes", P, "http:noslash.example", ""},
    {"scheme alone", P, "http:// and https://", ""},
    {"url in query", P, "http://a.example/r?u=http://b.example/",
     "a.example b.example"},
    {"www in query", P, "http://a.example/r?u=www.c.example",
     "a.example www.c.example c.example"},
    {"www in path", P, "http://a.example/www.d.example", "a.example"},
    {"at in path", P, "https://medium.example/@user.name", "medium.example"},
    /* where a host ends */
    {"trailing dots", P, "www.dot.example...", "www.dot.example dot.example"},
    {"trailing hyphens", P, "www.hy.example-- and so on",
     "www.hy.example hy.example"},
    {"parentheses", P, "(http://paren.example)", "paren.example"},
    {"angle brackets", P, "<http://angle.example/>", "angle.example"},
    {"quotes", P, "\"http://quote.example\"", "quote.example"},
    {"comma list", P, "www.a.example,www.b.example",
     "www.a.example a.example www.b.example b.example"},
    {"non-breaking space", P, "www.nb.example\xc2\xa0next",
     "www.nb.example nb.example"},
    {"curly quotes", P, "“http://curly.example”", "curly.example"},
    {"invalid UTF-8", P, "http://ok.example\xff\xfe", "ok.example"},
    /* percent-encoding */
    {"percent-encoded host", P, "http://%65xample.com/", "example.com"},
    {"percent-encoded dots", P, "http://www%2Eexample%2Eorg/",
     "www.example.org example.org"},
    {"percent-encoded slash", P, "http://bad%2Fhost.example/", ""},
    {"percent-encoded UTF-8", P, "http://b%C3%BCcher.example/",
     "xn--bcher-kva.example"},
    /* host validity */
    {"63-byte label", P, "http://" L63 ".example/", L63 ".example"},
    {"64-byte label", P, "http://" L64 ".example/", ""},
    {"253-byte name", P, "http://" N253 "/", N253 " " L53 ".example"},
    {"254-byte name", P, "http://" N254 "/", ""},
    {"overlong run", P, "http://" A2000 ".example/ then http://after.example/",
     "after.example"},
    {"leading hyphen", P, "http://-bad.example/", ""},
    {"trailing hyphen in label", P, "http://bad-.example/", ""},
    {"underscore", P, "http://my_host.example/", ""},
    {"empty label", P, "http://a..example/", ""},
    {"single label", P, "http://localhost/ admin@localhost", ""},
    {"numeric last label", P, "http://host.123/", ""},
    {"hex last label", P, "http://host.0x1f/", ""},
    {"digits elsewhere", P, "http://123.example/", "123.example"},
    /* www. and @ */
    {"www at a word start only", P, "awww.example.com x.www.example.com", ""},
    {"www upper case", P, "WWW.UP.EXAMPLE", "www.up.example up.example"},
    {"www in a local part", P, "www.foo@bar.example", "bar.example"},
    {"bare names", P, "example.com file.txt e.g. v1.2", ""},
    {"at without local part", P, "@handle.example and a @ b.example", ""},
    {"address", P, "write to first.last+tag@mail.example.org.",
     "mail.example.org example.org"},
    {"address literals", P, "x@[192.0.2.1] y@[IPv6:2001:db8::1]", ""},
    {"mailto", P, "mailto:someone@mailto.example?subject=x", "mailto.example"},
    /* Unicode */
    {"zero-width space", P, "http://pay\u200bpal.example/", "paypal.example"},
    {"soft hyphen", P, "http://ex\u00adample.org/", "example.org"},
    {"CJK around", P, "访问www.example.cn谢谢", "www.example.cn example.cn"},
    {"ideographic full stop", P, "www.example.cn。谢谢",
     "www.example.cn example.cn"},
    {"ideographic dot inside", P, "http://evil。example/", "evil.example"},
    {"full-width letters", P, "http://ｅｘａｍｐｌｅ.jp/", "example.jp"},
    {"emoji", P, "http://\U0001F600.example/", ""},
    /* plain text is not HTML */
    {"plain keeps references", P, "www&#46;plain&#46;example", ""},
    {"plain has no relative", P, "src=\"//rel.example/\"", ""},
    /* HTML */
    {"decimal reference", H, "www&#46;dec&#46;example",
     "www.dec.example dec.example"},
    {"hex reference", H, "www&#x2E;hex&#x2e;example",
     "www.hex.example hex.example"},
    {"reference without semicolon", H, "www&#46nosemi&#46example",
     "www.nosemi.example nosemi.example"},
    {"named references", H, "www&period;named&period;example",
     "www.named.example named.example"},
    {"at as reference", H, "me&commat;ref.example", "ref.example"},
    {"scheme as references", H,
     "&#104;&#116;&#116;&#112;&#58;&#47;&#47;refs.example/", "refs.example"},
    {"nbsp ends a host", H, "www.nb.example&nbsp;x",
     "www.nb.example nb.example"},
    {"shy dropped", H, "http://ex&shy;ample.net/", "example.net"},
    {"reference out of range", H, "&#99999999;www.range.example",
     "www.range.example range.example"},
    {"reference zero", H, "&#0;www.zero.example",
     "www.zero.example zero.example"},
    {"lone ampersands", H, "a & b &# &#x; www.amp.example",
     "www.amp.example amp.example"},
    {"relative href", H, "<a href=\"//rel.example/\">", "rel.example"},
    {"relative unquoted", H, "<a href=//rel2.example/>", "rel2.example"},
    {"relative in css", H, "url(//css.example/a.png)", "css.example"},
    {"slashes in text", H, "a // b.example", ""},
    {"unquoted href", H, "<a href=http://unq.example/x>", "unq.example"},
    {"href with &amp;", H, "<a href=\"http://amp.example/?a=1&amp;b=2\">",
     "amp.example"},
    {"conditional comment", H,
     "<!--[if mso]><v:roundrect href=\"http://vml.example/\"/><![endif]-->",
     "vml.example"},
    {"attribute text", H, "<img alt=\"visit www.alt.example\">",
     "www.alt.example alt.example"},
    {"meta refresh", H,
     "<meta http-equiv=\"refresh\" content=\"0;url=http://refresh.example/\">",
     "refresh.example"},
};

#define NSCAN (sizeof(scan_cases) / sizeof(scan_cases[0]))

struct slow_case {
	const char *label;
	bool html;
	const char *prefix; /* once, then unit repeated to 1 MiB */
	const char *unit;
	const char *want;
};

static const struct slow_case slow_cases[] = {
    {"at signs", P, "", "@", ""},
    {"addresses", P, "", "a@", ""},
    {"one address", P, "", "a.b@", "a.b"},
    {"www", P, "", "www.", ""},
    {"schemes", P, "", "http://", ""},
    {"scheme colons", P, "", "http:", ""},
    {"ports", P, "", "http://a:", ""},
    {"userinfo", P, "", "http://a@", ""},
    {"host run", P, "", "a", ""},
    {"dots", P, "", ".", ""},
    {"escapes", P, "", "%41", ""},
    {"idn", P, "", "http://bü.example/ ", "xn--b-eha.example"},
    {"invisible", P, "http://a", "\u200b", ""},
    {"references", H, "", "&#", ""},
    {"long number", H, "&#", "0", ""},
    {"named", H, "", "&period", ""},
    {"relative", H, "", "=//", ""},
};

#define NSLOW (sizeof(slow_cases) / sizeof(slow_cases[0]))

/* now - seconds on a monotonic clock */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* read_mail - the bytes of tests/unit/data/mail/name; aborts the test
 * if it cannot be read */
static char *
read_mail(const char *name, size_t *len)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	char *buf = NULL;
	long size;
	FILE *fp;

	ck_assert(pcl_format(path, sizeof(path), "%s/tests/unit/data/mail/%s",
	                     srcdir ? srcdir : ".", name));
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert(fseek(fp, 0, SEEK_END) == 0 && (size = ftell(fp)) >= 0);
	rewind(fp);
	ck_assert((buf = malloc((size_t)size + 1)) != NULL);
	ck_assert_msg(fread(buf, 1, (size_t)size, fp) == (size_t)size,
	              "cannot read %s", path);
	fclose(fp);
	*len = (size_t)size;
	return buf;
}

/* flip_ends - a copy with LF and CRLF swapped (CRLF to LF if the text
 * has any CRLF, else each LF to CRLF) */
static char *
flip_ends(const char *text, size_t len, size_t *out_len)
{
	bool crlf = memmem(text, len, "\r\n", 2) != NULL;
	char *out = malloc(len * 2 + 1);
	size_t n = 0;

	ck_assert(out != NULL);
	for (size_t i = 0; i < len; i++) {
		if (crlf && text[i] == '\r' && i + 1 < len &&
		    text[i + 1] == '\n')
			continue;
		if (!crlf && text[i] == '\n')
			out[n++] = '\r';
		out[n++] = text[i];
	}
	*out_len = n;
	return out;
}

/* joined - the list as one string, items separated by spaces */
static const char *
joined(const struct pcl_url_domains *d, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; i < d->count; i++)
		if (!pcl_append(buf, len, "%s%s", i ? " " : "", d->items[i]))
			return "(list too long to show)";
	return buf;
}

/* extract_ok - pcl_urls_extract that must succeed */
static void
extract_ok(const char *label, const char *msg, size_t len, size_t max,
           struct pcl_url_domains *d)
{
	char err[PCL_ERR_MAX] = "";
	int rc = pcl_urls_extract(msg, len, max, d, err, sizeof(err));

	ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", label, rc, err);
}

/* check_list - compare the list and flags with the wants */
static void
check_list(const char *label, const struct pcl_url_domains *d, const char *want,
           bool capped, bool truncated)
{
	char got[8192];

	ck_assert_msg(strcmp(joined(d, got, sizeof(got)), want) == 0,
	              "%s: got \"%s\", want \"%s\"", label, got, want);
	ck_assert_msg(d->capped == capped, "%s: got capped=%d, want %d", label,
	              d->capped, capped);
	ck_assert_msg(d->truncated == truncated,
	              "%s: got truncated=%d, want %d", label, d->truncated,
	              truncated);
}

/* add - append formatted text at *len of buf; false when cut (unlike
 * pcl_append, does not rescan the text for its end) */
static bool add(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
add(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return false;
	*len += (size_t)n;
	return true;
}

/* test_mail - one row of mail_cases; odd rows with line ends flipped */
START_TEST(test_mail)
{
	const struct mail_case *c = &mail_cases[_i / 2];
	bool flip = _i % 2 == 1;
	struct pcl_url_domains d;
	char label[256];
	size_t len;
	char *msg = read_mail(c->file, &len);

	if (flip) {
		char *flipped = flip_ends(msg, len, &len);

		free(msg);
		msg = flipped;
	}
	ck_assert(pcl_format(label, sizeof(label), "%s%s", c->label,
	                     flip ? " (line ends flipped)" : ""));
	extract_ok(label, msg, len, c->max, &d);
	check_list(label, &d, c->want, c->capped, c->truncated);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* test_scan - one row of scan_cases, as the only part of a message */
START_TEST(test_scan)
{
	const struct scan_case *c = &scan_cases[_i];
	static const char head[] = "From: a@sender.example\r\n"
	                           "Content-Type: text/%s; charset=utf-8\r\n"
	                           "\r\n%s\r\n";
	size_t size = sizeof(head) + strlen(c->body) + 8;
	char *msg = malloc(size);
	struct pcl_url_domains d;

	ck_assert(msg != NULL);
	ck_assert(
	    pcl_format(msg, size, head, c->html ? "html" : "plain", c->body));
	extract_ok(c->label, msg, strlen(msg), MAX, &d);
	check_list(c->label, &d, c->want, false, false);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* test_slow - one row of slow_cases: 1 MiB of a pattern, in time */
START_TEST(test_slow)
{
	const struct slow_case *c = &slow_cases[_i];
	size_t unit = strlen(c->unit);
	size_t size = 2 * MIB;
	char *msg = malloc(size);
	struct pcl_url_domains d;
	size_t len;
	double t0;
	double took;

	ck_assert(msg != NULL);
	ck_assert(pcl_format(msg, size, "Content-Type: text/%s\n\n%s",
	                     c->html ? "html" : "plain", c->prefix));
	for (len = strlen(msg); len + unit <= MIB; len += unit)
		memcpy(msg + len, c->unit, unit);
	t0 = now();
	extract_ok(c->label, msg, len, MAX, &d);
	took = now() - t0;
	check_list(c->label, &d, c->want, false, false);
	ck_assert_msg(took < TIME_LIMIT, "%s: got %.2fs, want under %.0fs",
	              c->label, took, TIME_LIMIT);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* test_big - 5 MiB of text: scanning stops at 1 MiB, and fast */
START_TEST(test_big)
{
	static const char head[] = "From: a@sender.example\n"
	                           "Content-Type: text/plain\n\n"
	                           "start http://first.example/\n";
	static const char line[] =
	    "lorem ipsum dolor sit amet, www.filler.example consectetur\n";
	static const char tail[] = "end http://last.example/\n";
	size_t size = 5 * MIB + sizeof(line) + sizeof(tail);
	char *msg = malloc(size);
	struct pcl_url_domains d;
	size_t len;
	double t0;
	double took;

	ck_assert(msg != NULL);
	memcpy(msg, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (len < 5 * MIB) {
		memcpy(msg + len, line, sizeof(line) - 1);
		len += sizeof(line) - 1;
	}
	memcpy(msg + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	t0 = now();
	extract_ok("5 MiB", msg, len, MAX, &d);
	took = now() - t0;
	check_list("5 MiB", &d,
	           "first.example www.filler.example filler.example", false,
	           true);
	ck_assert_msg(took < TIME_LIMIT, "5 MiB: got %.2fs, want under %.0fs",
	              took, TIME_LIMIT);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* test_budget_parts - the 1 MiB is for the message, not per part:
 * parts of 300 KiB, each starting with its own host */
START_TEST(test_budget_parts)
{
	size_t part = 300 * 1024;
	size_t size = 8 * (part + 256) + 1024;
	char *msg = malloc(size);
	struct pcl_url_domains d;
	size_t len = 0;

	ck_assert(msg != NULL);
	ck_assert(add(msg, size, &len,
	              "Content-Type: multipart/mixed; boundary=\"b\"\n\n"));
	for (int k = 0; k < 8; k++) {
		ck_assert(add(msg, size, &len,
		              "--b\nContent-Type: text/plain\n\n"
		              "http://part%d.example/\n",
		              k));
		memset(msg + len, 'x', part);
		len += part;
		msg[len++] = '\n';
	}
	ck_assert(add(msg, size, &len, "--b--\n"));
	extract_ok("parts", msg, len, MAX, &d);
	check_list("parts", &d,
	           "part0.example part1.example part2.example part3.example",
	           false, true);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* test_deep_multipart - 2000 nested multiparts (beyond GMime's own
 * limit too), each with a text part: 16 levels are scanned, and the
 * rest sets truncated */
START_TEST(test_deep_multipart)
{
	size_t size = 2000 * 160;
	char *msg = malloc(size);
	char want[2048] = "";
	struct pcl_url_domains d;
	size_t len = 0;

	ck_assert(msg != NULL);
	for (int k = 0; k < 2000; k++)
		ck_assert(
		    add(msg, size, &len,
		        "Content-Type: multipart/mixed; boundary=\"d%d\"\n"
		        "\n--d%d\nContent-Type: text/plain\n\n"
		        "http://d%d.example/\n--d%d\n",
		        k, k, k, k));
	ck_assert(add(msg, size, &len, "Content-Type: text/plain\n\nend\n"));
	for (int k = 1999; k >= 0; k--)
		ck_assert(add(msg, size, &len, "--d%d--\n", k));
	for (int k = 0; k < 16; k++)
		ck_assert(pcl_append(want, sizeof(want), "%sd%d.example",
		                     k ? " " : "", k));
	extract_ok("deep", msg, len, MAX, &d);
	check_list("deep", &d, want, false, true);
	pcl_url_domains_clear(&d);
	free(msg);
}
END_TEST

/* The samples, read once for the threads. */
static char *thread_mail[NMAIL];
static size_t thread_len[NMAIL];

/* thread_case_ok - one mail case from a thread: no ck_assert there */
static bool
thread_case_ok(size_t i)
{
	const struct mail_case *c = &mail_cases[i];
	struct pcl_url_domains d;
	char got[8192];
	bool ok;

	if (pcl_urls_extract(thread_mail[i], thread_len[i], c->max, &d, NULL,
	                     0) != 0)
		return false;
	ok = strcmp(joined(&d, got, sizeof(got)), c->want) == 0 &&
	     d.capped == c->capped && d.truncated == c->truncated;
	pcl_url_domains_clear(&d);
	return ok;
}

/* thread_run - every mail case, a few times over; counts mismatches */
static void *
thread_run(void *arg)
{
	size_t *mismatches = arg;

	for (int round = 0; round < 5; round++)
		for (size_t i = 0; i < NMAIL; i++)
			if (!thread_case_ok(i))
				(*mismatches)++;
	return NULL;
}

/* test_threads - eight threads at once give the single-thread answers */
START_TEST(test_threads)
{
	pthread_t tid[8];
	size_t mismatches[8] = {0};
	size_t total = 0;

	for (size_t i = 0; i < NMAIL; i++)
		thread_mail[i] = read_mail(mail_cases[i].file, &thread_len[i]);
	for (int t = 0; t < 8; t++)
		ck_assert(pthread_create(&tid[t], NULL, thread_run,
		                         &mismatches[t]) == 0);
	for (int t = 0; t < 8; t++) {
		ck_assert(pthread_join(tid[t], NULL) == 0);
		total += mismatches[t];
	}
	for (size_t i = 0; i < NMAIL; i++)
		free(thread_mail[i]);
	ck_assert_msg(total == 0, "threads: got %zu mismatches, want 0", total);
}
END_TEST

/* test_edges - NULL input, clear twice, clear(NULL), err untouched */
START_TEST(test_edges)
{
	struct pcl_url_domains d;
	char err[PCL_ERR_MAX] = "untouched";

	ck_assert_msg(pcl_urls_extract(NULL, 0, MAX, &d, err, sizeof(err)) == 0,
	              "NULL message: got -1 (%s), want 0", err);
	check_list("NULL message", &d, "", false, false);
	ck_assert_msg(strcmp(err, "untouched") == 0,
	              "err on success: got \"%s\", want \"untouched\"", err);
	extract_ok("clear", "\n\nwww.clear.example", 19, MAX, &d);
	check_list("clear", &d, "www.clear.example clear.example", false,
	           false);
	pcl_url_domains_clear(&d);
	ck_assert_msg(d.items == NULL && d.count == 0,
	              "clear: got count=%zu, want 0", d.count);
	pcl_url_domains_clear(&d);
	pcl_url_domains_clear(NULL);
}
END_TEST

/* urls_suite - every test of the urls module */
static Suite *
urls_suite(void)
{
	Suite *s = suite_create("urls");
	TCase *tm = tcase_create("mail");
	TCase *ts = tcase_create("scan");
	TCase *tl = tcase_create("limits");

	tcase_add_loop_test(tm, test_mail, 0, (int)(2 * NMAIL));
	tcase_add_test(tm, test_threads);
	tcase_add_test(tm, test_edges);
	tcase_add_loop_test(ts, test_scan, 0, (int)NSCAN);
	tcase_add_loop_test(tl, test_slow, 0, (int)NSLOW);
	tcase_add_test(tl, test_big);
	tcase_add_test(tl, test_budget_parts);
	tcase_add_test(tl, test_deep_multipart);
	tcase_set_timeout(tl, 120);
	tcase_set_timeout(tm, 120);
	suite_add_tcase(s, tm);
	suite_add_tcase(s, ts);
	suite_add_tcase(s, tl);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr;
	int failed;

	pcl_urls_init();
	sr = srunner_create(urls_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
