/*
 * check_dmarc_report - the DMARC aggregate report data (lib/auth/
 * dmarc_report*.c): a line written and read back field for field,
 * whatever bytes a sender put into its values; every prefix of a line
 * (a write cut short) refused; the line's bound (4000 bytes: DKIM
 * signatures dropped and counted, rua= cut at a URI); the reading of a
 * file with torn, foreign and later-version lines; and the writer: a
 * file per UTC day, the newline put after a torn tail, directories
 * others may write refused, FIFOs and symbolic links not followed,
 * failures counted, old days removed, and threads and two writers
 * appending at once without one line cut into another.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "dmarc_report.h"
#include "log.h"
#include "util.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define DAY0 1773446400 /* 2026-03-14 00:00:00 UTC */

static char dir[] = "/tmp/check_dmarc_report.XXXXXX";

/* base - a row of every kind of field */
static void
base(struct pcl_dmarc_report_row *r)
{
	memset(r, 0, sizeof(*r));
	r->time = DAY0 + 3600;
	pcl_copy(r->ip, sizeof(r->ip), "192.0.2.1");
	pcl_copy(r->from, sizeof(r->from), "news.example.com");
	pcl_copy(r->domain, sizeof(r->domain), "example.com");
	r->p = PCL_DMARC_P_REJECT;
	r->sp = PCL_DMARC_P_QUARANTINE;
	r->np = PCL_DMARC_P_UNSET;
	r->aspf_strict = true;
	r->psd = 'n';
	pcl_copy(r->rua, sizeof(r->rua),
	         "mailto:d@example.com,mailto:x@rua.example!10m");
	r->result = PCL_DMARC_R_FAIL;
	r->spf_aligned = false;
	r->disposition = PCL_DMARC_DIS_REJECT;
	r->action = PCL_ACT_REJECT;
	pcl_copy(r->mailfrom, sizeof(r->mailfrom), "bounce.example.net");
	r->spf = true;
	pcl_copy(r->spf_domain, sizeof(r->spf_domain), "bounce.example.net");
	r->spf_result = "pass";
	r->ndkim = 2;
	pcl_copy(r->dkim[0].domain, sizeof(r->dkim[0].domain), "example.com");
	pcl_copy(r->dkim[0].selector, sizeof(r->dkim[0].selector), "s1");
	r->dkim[0].result = "fail";
	pcl_copy(r->dkim[1].domain, sizeof(r->dkim[1].domain), "esp.example");
	pcl_copy(r->dkim[1].selector, sizeof(r->dkim[1].selector), "k2");
	r->dkim[1].result = "pass";
}

/* --- a row and back -------------------------------------------------- */

static void
nasty_values(struct pcl_dmarc_report_row *r)
{
	pcl_copy(r->from, sizeof(r->from), "evil.example\nv=1 time=0 end");
	pcl_copy(r->dkim[0].selector, sizeof(r->dkim[0].selector),
	         "a b=c/d\t\r%25%");
	pcl_copy(r->dkim[1].domain, sizeof(r->dkim[1].domain),
	         "\xff\xfe<&>\"'\x01\x7f");
	pcl_copy(r->rua, sizeof(r->rua),
	         "mailto:a@b.example,https://x.example/r?a=b&c=%20 d");
}

static void
eight_bit(struct pcl_dmarc_report_row *r)
{
	pcl_copy(r->from, sizeof(r->from),
	         "b\xc3\xbc"
	         "cher.example");
	pcl_copy(r->spf_domain, sizeof(r->spf_domain), "\xe2\x82\xac.example");
}

static void
null_sender(struct pcl_dmarc_report_row *r)
{
	*r->mailfrom = '\0';
	pcl_copy(r->spf_domain, sizeof(r->spf_domain), "mail.example.net");
	r->spf_helo = true;
	r->spf_result = "none";
}

static void
no_results(struct pcl_dmarc_report_row *r)
{
	r->spf = false;
	r->ndkim = 0;
	*r->rua = '\0';
	r->result = PCL_DMARC_R_PASS;
	r->dkim_aligned = r->spf_aligned = true;
	r->disposition = PCL_DMARC_DIS_PASS;
	r->action = PCL_ACT_ACCEPT;
}

static void
every_override(struct pcl_dmarc_report_row *r)
{
	r->override = PCL_DMARC_OVR_ALL;
	r->disposition = PCL_DMARC_DIS_NONE;
	r->action = PCL_ACT_TAG;
}

static void
psl_testing(struct pcl_dmarc_report_row *r)
{
	r->psl = true;
	r->testing = true;
	r->psd = 'y';
	r->adkim_strict = true;
	r->p = PCL_DMARC_P_NONE;
	r->sp = PCL_DMARC_P_UNSET;
	r->np = PCL_DMARC_P_REJECT;
	r->result = PCL_DMARC_R_TEMPERROR;
	r->action = PCL_ACT_TEMPFAIL;
	r->override = PCL_DMARC_OVR_OTHER;
}

static void
ipv6(struct pcl_dmarc_report_row *r)
{
	pcl_copy(r->ip, sizeof(r->ip), "2001:db8::25");
	r->dkim_dropped = 7;
}

struct trip_case {
	const char *label;
	void (*tweak)(struct pcl_dmarc_report_row *r);
};

static const struct trip_case trips[] = {
    {"plain", NULL},
    {"spaces, =, /, %, newlines, controls, 8-bit and XML specials",
     nasty_values},
    {"UTF-8 domains", eight_bit},
    {"null sender: no MAIL FROM domain, HELO scope", null_sender},
    {"pass without SPF, DKIM or rua=", no_results},
    {"every override", every_override},
    {"PSL, t=y, psd=y, sp unset, temperror", psl_testing},
    {"IPv6, signatures dropped before", ipv6},
};

/* same - the first field two rows differ in, or NULL */
static const char *
same(const struct pcl_dmarc_report_row *a, const struct pcl_dmarc_report_row *b)
{
#define F(x)                                                                   \
	if (a->x != b->x)                                                      \
	return #x
#define S(x)                                                                   \
	if (strcmp(a->x, b->x) != 0)                                           \
	return #x
	F(time);
	S(ip);
	S(from);
	S(domain);
	F(psl);
	F(p);
	F(sp);
	F(np);
	F(adkim_strict);
	F(aspf_strict);
	F(testing);
	F(psd);
	S(rua);
	F(result);
	F(dkim_aligned);
	F(spf_aligned);
	F(disposition);
	F(action);
	F(override);
	S(mailfrom);
	F(spf);
	F(ndkim);
	F(dkim_dropped);
	if (a->spf) {
		S(spf_domain);
		F(spf_helo);
		S(spf_result);
	}
	for (size_t i = 0; i < a->ndkim; i++) {
		S(dkim[i].domain);
		S(dkim[i].selector);
		S(dkim[i].result);
	}
#undef F
#undef S
	return NULL;
}

START_TEST(test_round_trip)
{
	const struct trip_case *c = &trips[_i];
	struct pcl_dmarc_report_row in, out;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1], err[128] = "";
	const char *diff;
	size_t n;

	base(&in);
	if (c->tweak)
		c->tweak(&in);
	n = pcl_dmarc_report_format(&in, line, sizeof(line));
	ck_assert_msg(n > 0, "%s: not formatted", c->label);
	ck_assert_msg(n == strlen(line) && line[n - 1] == '\n',
	              "%s: no line: %s", c->label, line);
	ck_assert_msg(pcl_dmarc_report_parse(line, n - 1, &out, err,
	                                     sizeof(err)) == PCL_DMARC_LINE_OK,
	              "%s: got %s, want ok: %s", c->label, err, line);
	diff = same(&in, &out);
	ck_assert_msg(diff == NULL, "%s: %s differs after the trip: %s",
	              c->label, diff, line);
}
END_TEST

/* Escaping: what a line may hold. */
START_TEST(test_escaping)
{
	struct pcl_dmarc_report_row r;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1];
	size_t n;

	base(&r);
	nasty_values(&r);
	n = pcl_dmarc_report_format(&r, line, sizeof(line));
	ck_assert_uint_gt(n, 0);
	ck_assert_msg(strncmp(line, "v=1 time=", 9) == 0 &&
	                  strcmp(line + n - 5, " end\n") == 0,
	              "got %s, want v=1 ... end", line);
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)line[i];

		ck_assert_msg(c == ' ' || (c > 0x20 && c < 0x7f),
		              "byte 0x%02x at %zu: %s", c, i, line);
		ck_assert_msg(!(c == ' ' && line[i + 1] == ' '),
		              "two spaces at %zu", i);
		if (c == '%')
			ck_assert_msg(
			    strchr("0123456789ABCDEF", line[i + 1]) &&
			        strchr("0123456789ABCDEF", line[i + 2]) &&
			        line[i + 1] && line[i + 2],
			    "a bare %% at %zu: %s", i, line);
	}
	ck_assert_ptr_nonnull(
	    strstr(line, " from=evil.example%0Av%3D1%20time%3D0%20end "));
	ck_assert_ptr_nonnull(strstr(line, " dkim=example.com/a%20b%3Dc%2Fd%09"
	                                   "%0D%2525%25/fail "));
	ck_assert_ptr_null(strstr(line, " end ")); /* the marker once */
}
END_TEST

/* Torn: no prefix of a line is a line. */
START_TEST(test_every_prefix_refused)
{
	struct pcl_dmarc_report_row r, out;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1], err[128];
	size_t n;

	base(&r);
	n = pcl_dmarc_report_format(&r, line, sizeof(line));
	ck_assert_uint_gt(n, 0);
	for (size_t k = 0; k + 1 < n; k++)
		ck_assert_msg(
		    pcl_dmarc_report_parse(line, k, &out, err, sizeof(err)) !=
		        PCL_DMARC_LINE_OK,
		    "the first %zu of %zu bytes parse: %.*s", k, n - 1, (int)k,
		    line);
	ck_assert_int_eq(
	    pcl_dmarc_report_parse(line, n - 1, &out, err, sizeof(err)),
	    PCL_DMARC_LINE_OK);
}
END_TEST

/* Bounds: 50 long signatures, long values everywhere. */
START_TEST(test_bound)
{
	struct pcl_dmarc_report_row r, out;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1], err[128], label[64];
	char *weird = malloc(PCL_DOMAIN_MAX + 1);
	const char *rua;
	size_t n;

	ck_assert_ptr_nonnull(weird);
	memset(weird, 0xff, PCL_DOMAIN_MAX);
	weird[PCL_DOMAIN_MAX] = '\0';
	base(&r);
	/* every value at its longest: the names the DMARC check read as
	 * DNS names, the sender's encoded three bytes a byte */
	memset(r.from, 'f', PCL_DOMAIN_MAX);
	r.from[PCL_DOMAIN_MAX] = '\0';
	memset(r.domain, 'd', PCL_DOMAIN_MAX);
	r.domain[PCL_DOMAIN_MAX] = '\0';
	pcl_copy(r.mailfrom, sizeof(r.mailfrom), weird);
	pcl_copy(r.spf_domain, sizeof(r.spf_domain), weird);
	pcl_copy(r.ip, sizeof(r.ip), "2001:db8:1:2:3:4:5:6");
	r.override = PCL_DMARC_OVR_ALL;
	r.ndkim = PCL_DMARC_REPORT_DKIM_MAX;
	for (size_t i = 0; i < r.ndkim; i++) {
		pcl_format(label, sizeof(label), "%02zu", i);
		memset(r.dkim[i].domain, 'd', PCL_DOMAIN_MAX);
		r.dkim[i].domain[PCL_DOMAIN_MAX] = '\0';
		memcpy(r.dkim[i].domain, label, 2);
		memset(r.dkim[i].selector, 's', PCL_DMARC_SELECTOR_MAX);
		r.dkim[i].selector[PCL_DMARC_SELECTOR_MAX] = '\0';
		r.dkim[i].result = "pass";
	}
	/* as many URIs as the row holds, each 26 bytes, 34 encoded (the
	 * slashes): more than rua= keeps */
	*r.rua = '\0';
	for (int i = 0; strlen(r.rua) + 27 < sizeof(r.rua); i++)
		ck_assert(pcl_append(r.rua, sizeof(r.rua),
		                     "%shttps://r.example/a/b/c/%02d",
		                     i ? "," : "", i));
	n = pcl_dmarc_report_format(&r, line, sizeof(line));
	ck_assert_msg(n > 0 && n <= PCL_DMARC_REPORT_LINE_MAX,
	              "got %zu bytes, want 1..%d", n,
	              PCL_DMARC_REPORT_LINE_MAX);
	ck_assert_int_eq(
	    pcl_dmarc_report_parse(line, n - 1, &out, err, sizeof(err)),
	    PCL_DMARC_LINE_OK);
	ck_assert_msg(out.ndkim + out.dkim_dropped == PCL_DMARC_REPORT_DKIM_MAX,
	              "got %zu kept + %u dropped, want %d", out.ndkim,
	              out.dkim_dropped, PCL_DMARC_REPORT_DKIM_MAX);
	ck_assert_uint_gt(out.dkim_dropped, 0);
	/* the first signatures kept, in their order */
	for (size_t i = 0; i < out.ndkim; i++)
		ck_assert_str_eq(out.dkim[i].domain, r.dkim[i].domain);
	/* rua=: whole URIs, a prefix of the list, at most 1024 bytes as
	 * written */
	rua = strstr(line, " rua=") + 5;
	ck_assert_uint_le(strcspn(rua, " "), PCL_DMARC_RUA_MAX);
	ck_assert_uint_gt(strcspn(rua, " "), PCL_DMARC_RUA_MAX - 35);
	ck_assert_int_eq(strncmp(out.rua, r.rua, strlen(out.rua)), 0);
	ck_assert_int_eq(r.rua[strlen(out.rua)], ',');
	ck_assert_str_eq(out.mailfrom, weird);
	/* a row that cannot fit is refused whole, never cut */
	pcl_copy(r.from, sizeof(r.from), weird);
	pcl_copy(r.domain, sizeof(r.domain), weird);
	ck_assert_uint_eq(pcl_dmarc_report_format(&r, line, sizeof(line)), 0);
	free(weird);
}
END_TEST

/* Lines a reader refuses, and what it lets through. */
struct parse_case {
	const char *label;
	const char *line;
	enum pcl_dmarc_report_parse want;
};

#define HEAD                                                                   \
	"v=1 time=1773450000 ip=192.0.2.1 from=example.com "                   \
	"domain=example.com p=reject result=fail disposition=reject "          \
	"action=reject"

static const struct parse_case parses[] = {
    {"the least a line holds", HEAD " end", PCL_DMARC_LINE_OK},
    {"a later field is skipped", HEAD " arc=pass end", PCL_DMARC_LINE_OK},
    {"a later version", "v=2 anything at all end", PCL_DMARC_LINE_VERSION},
    {"no version", "time=1 end", PCL_DMARC_LINE_BAD},
    {"no end", HEAD, PCL_DMARC_LINE_BAD},
    {"end not last", HEAD " end p=none", PCL_DMARC_LINE_BAD},
    {"a field missing", "v=1 time=1 ip=192.0.2.1 end", PCL_DMARC_LINE_BAD},
    {"not an address", HEAD " ip=192.0.2.300 end", PCL_DMARC_LINE_BAD},
    {"a raw byte that needs escaping", HEAD " mailfrom=a/b end",
     PCL_DMARC_LINE_BAD},
    {"a bad escape", HEAD " mailfrom=a%2 end", PCL_DMARC_LINE_BAD},
    {"an escaped NUL", HEAD " mailfrom=a%00b end", PCL_DMARC_LINE_BAD},
    {"two spaces", HEAD "  end", PCL_DMARC_LINE_BAD},
    {"a word without =", HEAD " torn end", PCL_DMARC_LINE_BAD},
    {"p unset", HEAD " p=- end", PCL_DMARC_LINE_BAD},
    {"an unknown result", HEAD " result=none end", PCL_DMARC_LINE_BAD},
    {"an unknown DKIM result", HEAD " dkim=a/b/maybe end", PCL_DMARC_LINE_BAD},
    {"a DKIM value of two parts", HEAD " dkim=a/b end", PCL_DMARC_LINE_BAD},
    {"two SPF results", HEAD " spf=a/mfrom/pass spf=b/mfrom/pass end",
     PCL_DMARC_LINE_BAD},
    {"an SPF scope unknown", HEAD " spf=a/pra/pass end", PCL_DMARC_LINE_BAD},
    {"an unknown override", HEAD " override=local_policy,bribe end",
     PCL_DMARC_LINE_BAD},
    {"an empty from", HEAD " from= end", PCL_DMARC_LINE_BAD},
    {"a time of 13 digits", HEAD " time=1773450000000 end", PCL_DMARC_LINE_BAD},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parses[_i];
	struct pcl_dmarc_report_row r;
	char err[128] = "";
	enum pcl_dmarc_report_parse got = pcl_dmarc_report_parse(
	    c->line, strlen(c->line), &r, err, sizeof(err));

	ck_assert_msg(got == c->want, "%s: got %d (%s), want %d", c->label, got,
	              err, c->want);
}
END_TEST

/* 51 signatures, and a line at the bound: refused */
START_TEST(test_parse_bounds)
{
	struct pcl_dmarc_report_row r;
	char line[PCL_DMARC_REPORT_LINE_MAX + 64], err[128];

	pcl_copy(line, sizeof(line), HEAD);
	for (int i = 0; i <= PCL_DMARC_REPORT_DKIM_MAX; i++)
		ck_assert(pcl_append(line, sizeof(line), " dkim=d/s/pass"));
	ck_assert(pcl_append(line, sizeof(line), " end"));
	ck_assert_int_eq(
	    pcl_dmarc_report_parse(line, strlen(line), &r, err, sizeof(err)),
	    PCL_DMARC_LINE_BAD);
	pcl_copy(line, sizeof(line), HEAD " mailfrom=");
	while (strlen(line) < PCL_DMARC_REPORT_LINE_MAX)
		ck_assert(pcl_append(line, sizeof(line), "a"));
	ck_assert(pcl_append(line, sizeof(line), " end"));
	ck_assert_int_eq(
	    pcl_dmarc_report_parse(line, strlen(line), &r, err, sizeof(err)),
	    PCL_DMARC_LINE_BAD);
}
END_TEST

/* --- reading a file --------------------------------------------------- */

/* count_row - a read callback counting rows (ctx: a counter) */
static bool
count_row(const struct pcl_dmarc_report_row *r, void *ctx)
{
	(void)r;
	(*(unsigned *)ctx)++;
	return true;
}

/* read_text - what reading text as a file finds */
static unsigned
read_text(const char *text, size_t len, struct pcl_dmarc_report_stats *st)
{
	FILE *fp = fmemopen((void *)text, len, "r");
	unsigned rows = 0;

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(pcl_dmarc_report_read(fp, count_row, &rows, st), 0);
	fclose(fp);
	return rows;
}

START_TEST(test_read_file)
{
	static const char text[] =
	    HEAD " end\n"
	         "\n"
	         "garbage\n"
	         "v=1 a\0b end\n"
	         "v=7 from the future end\n" HEAD " end\n"
	         /* a torn line, then the newline the writer put before the
	          * next: the piece is a line of its own, refused */
	         "v=1 time=1773450000 ip=192.0.2.1\n" HEAD " end\n" HEAD;
	struct pcl_dmarc_report_stats st;
	unsigned rows = read_text(text, sizeof(text) - 1, &st);

	ck_assert_uint_eq(rows, 3);
	ck_assert_uint_eq(st.rows, 3);
	ck_assert_uint_eq(st.lines, 7); /* the empty one aside */
	ck_assert_uint_eq(st.bad, 3);
	ck_assert_uint_eq(st.version, 1);
	ck_assert_msg(st.torn, "the last line without newline: not seen");
	ck_assert_uint_eq(st.first_bad_line, 3);
}
END_TEST

/* --- the writer ------------------------------------------------------- */

/* sub - a fresh directory under the scratch one, mode, its path */
static void
sub(const char *name, mode_t mode, char *path, size_t len)
{
	ck_assert(pcl_format(path, len, "%s/%s.%d", dir, name, (int)getpid()));
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

/* slurp - a file's text (caller frees); NULL when it does not exist */
static char *
slurp(const char *d, const char *name, size_t *len)
{
	char path[512];
	char *buf;
	FILE *fp;

	pcl_format(path, sizeof(path), "%s/%s", d, name);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	return buf;
}

/* a_line - the base row's line, its time t */
static size_t
a_line(long long t, char *line, size_t len)
{
	struct pcl_dmarc_report_row r;

	base(&r);
	r.time = t;
	return pcl_dmarc_report_format(&r, line, len);
}

/* mode_of - a file's permission bits, -1 if it is not there */
static int
mode_of(const char *d, const char *name)
{
	char path[512];
	struct stat st;

	pcl_format(path, sizeof(path), "%s/%s", d, name);
	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

START_TEST(test_writer_days)
{
	char d[300], line[PCL_DMARC_REPORT_LINE_MAX + 1], *text;
	struct pcl_dmarc_report_log *l;
	size_t n, len;
	mode_t old = umask(022);

	sub("days", 0750, d, sizeof(d));
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(mode_of(d, "2026-03-14.log"), -1); /* lazy */
	n = a_line(DAY0 + 10, line, sizeof(line));
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 10));
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 86399));
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 86400));
	/* a line of just before midnight after the first of the new day:
	 * the new day's file; the day never goes back one */
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 86399));
	pcl_dmarc_report_log_free(l);
	umask(old);
	ck_assert_int_eq(mode_of(d, "2026-03-14.log"), 0640);
	ck_assert_int_eq(mode_of(d, "2026-03-15.log"), 0640);
	text = slurp(d, "2026-03-14.log", &len);
	ck_assert_uint_eq(len, 2 * n);
	ck_assert_int_eq(memcmp(text, line, n), 0);
	free(text);
	text = slurp(d, "2026-03-15.log", &len);
	ck_assert_uint_eq(len, 2 * n);
	free(text);
}
END_TEST

START_TEST(test_writer_torn_tail)
{
	static const char torn[] = "v=1 time=1773450000 ip=192.0.2.1 fr";
	char d[300], path[400], line[PCL_DMARC_REPORT_LINE_MAX + 1], *text;
	struct pcl_dmarc_report_stats st;
	struct pcl_dmarc_report_log *l;
	size_t n, len;
	FILE *fp;

	sub("torn", 0750, d, sizeof(d));
	pcl_format(path, sizeof(path), "%s/2026-03-14.log", d);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(torn, fp);
	fclose(fp);
	l = pcl_dmarc_report_log_new(d, 14);
	n = a_line(DAY0 + 10, line, sizeof(line));
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 10));
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 11));
	pcl_dmarc_report_log_free(l);
	text = slurp(d, "2026-03-14.log", &len);
	ck_assert_uint_eq(len, strlen(torn) + 1 + 2 * n);
	ck_assert_int_eq(text[strlen(torn)], '\n');
	ck_assert_uint_eq(read_text(text, len, &st), 2);
	ck_assert_uint_eq(st.bad, 1);
	ck_assert(!st.torn);
	free(text);
}
END_TEST

START_TEST(test_writer_refuses_world_writable)
{
	char d[300], line[PCL_DMARC_REPORT_LINE_MAX + 1];
	struct pcl_dmarc_report_log *l;
	size_t n = a_line(DAY0, line, sizeof(line));

	/* refused at load */
	sub("open", 0777, d, sizeof(d));
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert_ptr_nonnull(l);
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0));
	ck_assert_int_eq(mode_of(d, "2026-03-14.log"), -1);
	pcl_dmarc_report_log_free(l);
	/* and when it became so after the load (sticky bit or not) */
	sub("later", 0750, d, sizeof(d));
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert_int_eq(chmod(d, 01777), 0);
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0));
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0 + 86400));
	ck_assert_int_eq(mode_of(d, "2026-03-14.log"), -1);
	ck_assert_int_eq(mode_of(d, "2026-03-15.log"), -1);
	pcl_dmarc_report_log_free(l);
}
END_TEST

START_TEST(test_writer_missing_dir)
{
	char d[300], line[PCL_DMARC_REPORT_LINE_MAX + 1];
	struct pcl_dmarc_report_log *l;
	size_t n = a_line(DAY0, line, sizeof(line));

	pcl_format(d, sizeof(d), "%s/missing.%d", dir, (int)getpid());
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0 + 100));
	ck_assert_uint_eq(pcl_dmarc_report_log_failures(l), 1);
	ck_assert_int_eq(mkdir(d, 0750), 0);
	/* tried again a minute later, not at every line */
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0 + 130));
	ck_assert_uint_eq(pcl_dmarc_report_log_failures(l), 2);
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 160));
	ck_assert_uint_eq(pcl_dmarc_report_log_failures(l), 2);
	pcl_dmarc_report_log_free(l);
}
END_TEST

START_TEST(test_writer_not_followed)
{
	char d[300], path[400], line[PCL_DMARC_REPORT_LINE_MAX + 1];
	char target[400];
	struct pcl_dmarc_report_log *l;
	size_t n = a_line(DAY0, line, sizeof(line));

	sub("planted", 0750, d, sizeof(d));
	pcl_format(path, sizeof(path), "%s/2026-03-14.log", d);
	pcl_format(target, sizeof(target), "%s/target", d);
	ck_assert_int_eq(mkfifo(path, 0640), 0);
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0));
	pcl_dmarc_report_log_free(l);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	l = pcl_dmarc_report_log_new(d, 14);
	ck_assert(!pcl_dmarc_report_log_append(l, line, n, DAY0));
	pcl_dmarc_report_log_free(l);
	ck_assert_int_eq(mode_of(d, "target"), -1);
}
END_TEST

/* the writer of keep days at DAY0: which of 25 days' files stay */
static void
keep_days(unsigned keep, int want_first_kept)
{
	char d[300], name[32], other[400], line[PCL_DMARC_REPORT_LINE_MAX + 1];
	struct pcl_dmarc_report_log *l;
	size_t n = a_line(DAY0, line, sizeof(line));
	FILE *fp;

	pcl_format(name, sizeof(name), "keep%u", keep);
	sub(name, 0750, d, sizeof(d));
	for (int i = 1; i <= 25; i++) {
		pcl_dmarc_report_day_name(DAY0 - i * 86400, name, sizeof(name));
		pcl_format(other, sizeof(other), "%s/%s", d, name);
		ck_assert_ptr_nonnull(fp = fopen(other, "w"));
		fclose(fp);
	}
	/* names that are not a day's file stay */
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {
		    "notes.txt", "2020-13-01.log", "2020-01-01.log.gz"};

		pcl_format(other, sizeof(other), "%s/%s", d, names[i]);
		ck_assert_ptr_nonnull(fp = fopen(other, "w"));
		fclose(fp);
	}
	l = pcl_dmarc_report_log_new(d, keep);
	ck_assert(pcl_dmarc_report_log_append(l, line, n, DAY0 + 5));
	pcl_dmarc_report_log_free(l);
	for (int i = 1; i <= 25; i++) {
		pcl_dmarc_report_day_name(DAY0 - i * 86400, name, sizeof(name));
		ck_assert_msg((mode_of(d, name) >= 0) == (i <= want_first_kept),
		              "keep %u: %s (%d days before) %s", keep, name, i,
		              mode_of(d, name) >= 0 ? "kept" : "removed");
	}
	ck_assert_int_ge(mode_of(d, "notes.txt"), 0);
	ck_assert_int_ge(mode_of(d, "2020-13-01.log"), 0);
	ck_assert_int_ge(mode_of(d, "2020-01-01.log.gz"), 0);
}

START_TEST(test_writer_keep)
{
	keep_days(14, 14);
	keep_days(1, 1);
	keep_days(0, 25);
}
END_TEST

#define THREADS 8
#define PER_THREAD 400

struct writer_arg {
	struct pcl_dmarc_report_log *l;
	int id;
};

/* writer - PER_THREAD lines of one thread, each saying who and which */
static void *
writer(void *p)
{
	const struct writer_arg *a = p;
	struct pcl_dmarc_report_row r;
	char line[PCL_DMARC_REPORT_LINE_MAX + 1];

	base(&r);
	for (int i = 0; i < PER_THREAD; i++) {
		size_t n;

		r.time = DAY0 + a->id * 1000 + i;
		r.ndkim = (size_t)(i % 3) * 10; /* lines of 3 lengths */
		for (size_t k = 0; k < r.ndkim; k++) {
			pcl_format(r.dkim[k].domain, sizeof(r.dkim[k].domain),
			           "signer%zu.example", k);
			pcl_copy(r.dkim[k].selector, sizeof(r.dkim[k].selector),
			         "s");
			r.dkim[k].result = "pass";
		}
		n = pcl_dmarc_report_format(&r, line, sizeof(line));
		if (n == 0 || !pcl_dmarc_report_log_append(a->l, line, n, DAY0))
			return (void *)1;
	}
	return NULL;
}

/* seen - a read callback: mark the (thread, line) of a row */
static bool
seen(const struct pcl_dmarc_report_row *r, void *ctx)
{
	unsigned char *marks = ctx;
	long long k = r->time - DAY0;

	if (k >= 0 && k < THREADS * 1000 && k % 1000 < PER_THREAD)
		marks[k / 1000 * PER_THREAD + k % 1000]++;
	return true;
}

START_TEST(test_writer_threads)
{
	struct pcl_dmarc_report_log *l[2];
	struct pcl_dmarc_report_stats st;
	struct writer_arg args[THREADS];
	pthread_t t[THREADS];
	static unsigned char marks[THREADS * PER_THREAD];
	char d[300], path[400];
	FILE *fp;

	sub("threads", 0750, d, sizeof(d));
	/* two writers, as an old and a new configuration would have */
	l[0] = pcl_dmarc_report_log_new(d, 14);
	l[1] = pcl_dmarc_report_log_new(d, 14);
	for (int i = 0; i < THREADS; i++) {
		args[i].l = l[i % 2];
		args[i].id = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer, &args[i]),
		                 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *rc;

		ck_assert_int_eq(pthread_join(t[i], &rc), 0);
		ck_assert_ptr_null(rc);
	}
	pcl_dmarc_report_log_free(l[0]);
	pcl_dmarc_report_log_free(l[1]);
	pcl_format(path, sizeof(path), "%s/2026-03-14.log", d);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	memset(marks, 0, sizeof(marks));
	ck_assert_int_eq(pcl_dmarc_report_read(fp, seen, marks, &st), 0);
	fclose(fp);
	/* (the second writer may have opened the file while a line of the
	 * first was half in, and put an empty line: skipped) */
	ck_assert_uint_eq(st.lines, THREADS * PER_THREAD);
	ck_assert_uint_eq(st.rows, THREADS * PER_THREAD);
	ck_assert_uint_eq(st.bad, 0);
	for (size_t i = 0; i < sizeof(marks); i++)
		ck_assert_msg(marks[i] == 1, "thread %zu line %zu: seen %u",
		              i / PER_THREAD, i % PER_THREAD, marks[i]);
}
END_TEST

/* Days: names and the parsing of dates. */
START_TEST(test_days)
{
	static const struct {
		const char *text;
		bool ok;
		long long start;
	} days[] = {
	    {"2026-03-14", true, DAY0},       {"1970-01-01", true, 0},
	    {"2024-02-29", true, 1709164800}, {"2023-02-29", false, 0},
	    {"2100-02-29", false, 0},         {"2000-02-29", true, 951782400},
	    {"2026-13-01", false, 0},         {"2026-00-10", false, 0},
	    {"2026-04-31", false, 0},         {"1969-12-31", false, 0},
	    {"2026-3-14", false, 0},          {"2026/03/14", false, 0},
	};
	char name[32];
	time_t t;

	for (size_t i = 0; i < NITEMS(days); i++) {
		bool got = pcl_dmarc_report_day_parse(days[i].text,
		                                      strlen(days[i].text), &t);

		ck_assert_msg(got == days[i].ok, "%s: got %d, want %d",
		              days[i].text, got, days[i].ok);
		if (got)
			ck_assert_msg((long long)t == days[i].start,
			              "%s: got %lld, want %lld", days[i].text,
			              (long long)t, days[i].start);
	}
	pcl_dmarc_report_day_name(DAY0 + 86399, name, sizeof(name));
	ck_assert_str_eq(name, "2026-03-14.log");
	pcl_dmarc_report_day_name(DAY0 + 86400, name, sizeof(name));
	ck_assert_str_eq(name, "2026-03-15.log");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("dmarc_report");
	TCase *line = tcase_create("line");
	TCase *file = tcase_create("file");

	/* the writer's warnings (refused directories) go to stderr */
	pcl_log_open("check_dmarc_report", LOG_MAIL, true, false);
	tcase_add_loop_test(line, test_round_trip, 0, NITEMS(trips));
	tcase_add_test(line, test_escaping);
	tcase_add_test(line, test_every_prefix_refused);
	tcase_add_test(line, test_bound);
	tcase_add_loop_test(line, test_parse, 0, NITEMS(parses));
	tcase_add_test(line, test_parse_bounds);
	tcase_add_test(line, test_read_file);
	tcase_add_test(line, test_days);
	suite_add_tcase(su, line);
	tcase_add_test(file, test_writer_days);
	tcase_add_test(file, test_writer_torn_tail);
	tcase_add_test(file, test_writer_refuses_world_writable);
	tcase_add_test(file, test_writer_missing_dir);
	tcase_add_test(file, test_writer_not_followed);
	tcase_add_test(file, test_writer_keep);
	tcase_add_test(file, test_writer_threads);
	tcase_set_timeout(file, 30);
	suite_add_tcase(su, file);
	return conf_fixture_run(su, dir);
}
