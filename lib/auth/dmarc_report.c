/*
 * dmarc_report - one line of DMARC aggregate report data: format and
 * parse (the layout is in dmarc_report.h), and the reading of a file
 *
 * Every value goes through one encoder (pct_encode) and one decoder
 * (pct_decode): what is not a letter, a digit or one of "-._@:+,!" is
 * written %XX, so a line never holds a space, '=', '/', '%' or a byte
 * below 0x21 or above 0x7e but as the separators put them. The parser
 * checks each value against its field (a keyword from a fixed list, a
 * number, an address, a bounded string) and refuses the line when one
 * does not fit; it needs the "end" word, so a line cut short by a
 * crash is refused even when it was cut at a word's end.
 *
 * Bounds: a line of at most PCL_DMARC_REPORT_LINE_MAX bytes, its
 * newline included; at most 8 + PCL_DMARC_REPORT_DKIM_MAX words of a
 * kind repeated (dkim=) or not; the reader refuses longer lines and
 * reads through them.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc_report.h"

/* Room kept at the end of a line for " dkim_dropped=NN end\n". */
#define TAIL_ROOM 32

static const char *const dkim_results[] = {
    "none", "pass", "fail", "policy", "neutral", "temperror", "permerror", NULL,
};

static const char *const spf_results[] = {
    "none",   "neutral",   "pass",      "fail", "softfail",
    "policy", "temperror", "permerror", NULL,
};

static const char *const disposition_names[] = {
    [PCL_DMARC_DIS_NONE] = "none",
    [PCL_DMARC_DIS_PASS] = "pass",
    [PCL_DMARC_DIS_QUARANTINE] = "quarantine",
    [PCL_DMARC_DIS_REJECT] = "reject",
};

/* The words of policies and results (dmarc_walk.c has them too, but
 * would bring libpsl into portcullis-report). */
static const char *const policy_names[] = {
    [PCL_DMARC_P_UNSET] = "-",
    [PCL_DMARC_P_NONE] = "none",
    [PCL_DMARC_P_QUARANTINE] = "quarantine",
    [PCL_DMARC_P_REJECT] = "reject",
};

static const char *const result_names[] = {
    [PCL_DMARC_R_NONE] = "none",
    [PCL_DMARC_R_PASS] = "pass",
    [PCL_DMARC_R_FAIL] = "fail",
    [PCL_DMARC_R_TEMPERROR] = "temperror",
    [PCL_DMARC_R_PERMERROR] = "permerror",
};

/* The override words, bit by bit from PCL_DMARC_OVR_LOCAL_POLICY. */
static const char *const override_names[] = {
    "local_policy",      "dry_run",      "policy_test_mode",
    "trusted_forwarder", "mailing_list", "other",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* pcl_dmarc_disposition_name - RFC 9990's word */
const char *
pcl_dmarc_disposition_name(enum pcl_dmarc_disposition d)
{
	return (size_t)d < COUNT(disposition_names) ? disposition_names[d]
	                                            : "none";
}

/* pcl_dmarc_report_policy - a policy's word, "-" when unset */
const char *
pcl_dmarc_report_policy(enum pcl_dmarc_policy p)
{
	return (size_t)p < COUNT(policy_names) ? policy_names[p] : "-";
}

/* pcl_dmarc_override_name - the word of one bit */
const char *
pcl_dmarc_override_name(unsigned bit)
{
	for (size_t i = 0; i < COUNT(override_names); i++)
		if (bit == 1u << i)
			return override_names[i];
	return NULL;
}

/* pcl_dmarc_report_result - the static keyword for word */
const char *
pcl_dmarc_report_result(const char *method, const char *word)
{
	const char *const *list =
	    strcmp(method, "dkim") == 0 ? dkim_results : spf_results;

	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], word) == 0)
			return list[i];
	return NULL;
}

/* --- the encoding --------------------------------------------------- */

/* safe - a byte written as itself */
static bool
safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("-._@:+,!", c) != NULL;
}

/* A line being written: buf of len bytes, used of it, and the end it
 * may not pass (len minus the room kept for the tail). */
struct out {
	char *buf;
	size_t len, used, limit;
	bool cut; /* something did not fit */
};

/* put - n bytes; false (and cut) when they do not fit */
static bool
put(struct out *o, const char *p, size_t n)
{
	if (o->cut || n > o->limit - o->used) {
		o->cut = true;
		return false;
	}
	memcpy(o->buf + o->used, p, n);
	o->used += n;
	return true;
}

/* pct_encode - value, percent-encoded */
static bool
pct_encode(struct out *o, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

		if (!(safe(*p) ? put(o, (const char *)p, 1) : put(o, e, 3)))
			return false;
	}
	return true;
}

/* field - " name=value", the value encoded */
static bool
field(struct out *o, const char *name, const char *value)
{
	return put(o, " ", 1) && put(o, name, strlen(name)) && put(o, "=", 1) &&
	       pct_encode(o, value);
}

/* rua_field - " rua=" with the URIs that fit PCL_DMARC_RUA_MAX bytes
 * encoded, whole URIs only */
static bool
rua_field(struct out *o, const char *rua)
{
	size_t start = o->used, limit = o->limit;
	const char *p = rua;

	if (!put(o, " rua=", 5))
		return false;
	/* each URI alone, so that one that does not fit leaves none of
	 * itself behind */
	if (start + 5 + PCL_DMARC_RUA_MAX < o->limit)
		o->limit = start + 5 + PCL_DMARC_RUA_MAX;
	while (*p) {
		size_t n = strcspn(p, ","), before = o->used;
		char uri[PCL_DMARC_RUA_MAX + 1];

		if (n < sizeof(uri)) {
			memcpy(uri, p, n);
			uri[n] = '\0';
			if (!((before == start + 5 || put(o, ",", 1)) &&
			      pct_encode(o, uri))) {
				o->used = before;
				o->cut = false;
				break;
			}
		}
		p += n + (p[n] == ',' ? 1 : 0);
	}
	o->limit = limit;
	return true;
}

/* sig_field - " dkim=d/s/result" */
static bool
sig_field(struct out *o, const struct pcl_dmarc_report_sig *s)
{
	return put(o, " dkim=", 6) && pct_encode(o, s->domain) &&
	       put(o, "/", 1) && pct_encode(o, s->selector) && put(o, "/", 1) &&
	       pct_encode(o, s->result);
}

/* overrides - the words of the bits, comma-separated, "-" for none */
static void
overrides(unsigned bits, char *buf, size_t len)
{
	*buf = '\0';
	for (unsigned b = 1; b <= PCL_DMARC_OVR_ALL; b <<= 1)
		if ((bits & b) && pcl_dmarc_override_name(b) != NULL)
			pcl_append(buf, len, "%s%s", *buf ? "," : "",
			           pcl_dmarc_override_name(b));
	if (*buf == '\0')
		pcl_copy(buf, len, "-");
}

/* fixed_part - every field up to the signatures */
static bool
fixed_part(struct out *o, const struct pcl_dmarc_report_row *r)
{
	char num[32], ovr[128];

	pcl_format(num, sizeof(num), "%lld", r->time);
	overrides(r->override, ovr, sizeof(ovr));
	return put(o, "v=1", 3) && field(o, "time", num) &&
	       field(o, "ip", r->ip) && field(o, "from", r->from) &&
	       field(o, "domain", r->domain) &&
	       field(o, "disc", r->psl ? "psl" : "treewalk") &&
	       field(o, "p", pcl_dmarc_report_policy(r->p)) &&
	       field(o, "sp", pcl_dmarc_report_policy(r->sp)) &&
	       field(o, "np", pcl_dmarc_report_policy(r->np)) &&
	       field(o, "adkim", r->adkim_strict ? "s" : "r") &&
	       field(o, "aspf", r->aspf_strict ? "s" : "r") &&
	       field(o, "t", r->testing ? "y" : "n") &&
	       field(o, "psd",
	             r->psd == 'y'   ? "y"
	             : r->psd == 'n' ? "n"
	                             : "u") &&
	       rua_field(o, r->rua) &&
	       field(o, "result", result_names[r->result]) &&
	       field(o, "align_dkim", r->dkim_aligned ? "pass" : "fail") &&
	       field(o, "align_spf", r->spf_aligned ? "pass" : "fail") &&
	       field(o, "disposition",
	             pcl_dmarc_disposition_name(r->disposition)) &&
	       field(o, "action", pcl_action_name(r->action)) &&
	       field(o, "override", ovr) && field(o, "mailfrom", r->mailfrom) &&
	       (!r->spf || (put(o, " spf=", 5) &&
	                    pct_encode(o, r->spf_domain) && put(o, "/", 1) &&
	                    pct_encode(o, r->spf_helo ? "helo" : "mfrom") &&
	                    put(o, "/", 1) && pct_encode(o, r->spf_result)));
}

/* row_ok - the values format can write */
static bool
row_ok(const struct pcl_dmarc_report_row *r)
{
	if (r->p == PCL_DMARC_P_UNSET || r->ndkim > PCL_DMARC_REPORT_DKIM_MAX ||
	    (r->result != PCL_DMARC_R_PASS && r->result != PCL_DMARC_R_FAIL &&
	     r->result != PCL_DMARC_R_TEMPERROR) ||
	    (size_t)r->disposition >= COUNT(disposition_names) ||
	    (r->spf && (r->spf_result == NULL ||
	                pcl_dmarc_report_result("spf", r->spf_result) == NULL)))
		return false;
	for (size_t i = 0; i < r->ndkim; i++)
		if (r->dkim[i].result == NULL ||
		    pcl_dmarc_report_result("dkim", r->dkim[i].result) == NULL)
			return false;
	return true;
}

/* pcl_dmarc_report_format - the line of row */
size_t
pcl_dmarc_report_format(const struct pcl_dmarc_report_row *row, char *buf,
                        size_t len)
{
	struct out o = {buf, len, 0, 0, false};
	unsigned dropped = row->dkim_dropped;
	char tail[TAIL_ROOM];

	if (len > PCL_DMARC_REPORT_LINE_MAX + 1)
		len = o.len = PCL_DMARC_REPORT_LINE_MAX + 1;
	if (len <= TAIL_ROOM + 1 || !row_ok(row))
		return 0;
	/* the line without its NUL, with room for the tail */
	o.limit = len - 1 - TAIL_ROOM;
	if (!fixed_part(&o, row))
		return 0;
	for (size_t i = 0; i < row->ndkim; i++) {
		size_t before = o.used;

		if (!sig_field(&o, &row->dkim[i])) {
			o.used = before;
			o.cut = false;
			dropped += (unsigned)(row->ndkim - i);
			break;
		}
	}
	o.limit = len - 1;
	if (dropped > 0) {
		pcl_format(tail, sizeof(tail), " dkim_dropped=%u", dropped);
		if (!put(&o, tail, strlen(tail)))
			return 0;
	}
	if (!put(&o, " end\n", 5))
		return 0;
	buf[o.used] = '\0';
	return o.used;
}

/* --- the parsing ---------------------------------------------------- */

/* hexval - a hex digit's value, -1 for another byte */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* pct_decode - n bytes of an encoded value into out (outlen bytes, NUL
 * terminated); false for a bad escape, a raw byte that should have
 * been one, a NUL, or a value that does not fit */
static bool
pct_decode(const char *p, size_t n, char *out, size_t outlen)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return false;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = hi * 16 + lo;
			i += 2;
			if (c == 0)
				return false;
		} else if (!safe((unsigned char)c)) {
			return false;
		}
		if (used + 1 >= outlen)
			return false;
		out[used++] = (char)c;
	}
	if (outlen == 0)
		return false;
	out[used] = '\0';
	return true;
}

/* split3 - "a/b/c" of n bytes into its three encoded parts */
static bool
split3(const char *p, size_t n, const char **part, size_t *plen)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (k == 3)
			return false;
		part[k] = p + start;
		plen[k++] = i - start;
		start = i + 1;
	}
	return k == 3;
}

/* keyword - the value is one of list's words: its index, else -1 */
static int
keyword(const char *value, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (list[i] != NULL && strcmp(value, list[i]) == 0)
			return (int)i;
	return -1;
}

/* policy_parse - a policy word, "-" for unset */
static bool
policy_parse(const char *v, enum pcl_dmarc_policy *p)
{
	int i = keyword(v, policy_names, COUNT(policy_names));

	if (i < 0)
		return false;
	*p = (enum pcl_dmarc_policy)i;
	return true;
}

/* yesno - one of the two words */
static bool
yesno(const char *v, const char *yes, const char *no, bool *out)
{
	if (strcmp(v, yes) == 0)
		*out = true;
	else if (strcmp(v, no) == 0)
		*out = false;
	else
		return false;
	return true;
}

/* override_parse - comma-separated override words, "-" for none */
static bool
override_parse(const char *v, unsigned *bits)
{
	*bits = 0;
	if (strcmp(v, "-") == 0)
		return true;
	while (*v) {
		size_t n = strcspn(v, ",");
		bool found = false;

		for (size_t i = 0; i < COUNT(override_names); i++)
			if (strlen(override_names[i]) == n &&
			    strncmp(v, override_names[i], n) == 0) {
				*bits |= 1u << i;
				found = true;
			}
		if (!found)
			return false;
		v += n + (v[n] == ',' ? 1 : 0);
	}
	return true;
}

/* number - a decimal of at most 12 digits */
static bool
number(const char *v, long long *out)
{
	long long n = 0;
	size_t i = 0;

	for (; v[i] >= '0' && v[i] <= '9' && i < 12; i++)
		n = n * 10 + (v[i] - '0');
	if (i == 0 || v[i] != '\0')
		return false;
	*out = n;
	return true;
}

/* What a line must have (bits). */
enum {
	HAVE_TIME = 1 << 0,
	HAVE_IP = 1 << 1,
	HAVE_FROM = 1 << 2,
	HAVE_DOMAIN = 1 << 3,
	HAVE_P = 1 << 4,
	HAVE_RESULT = 1 << 5,
	HAVE_DISPOSITION = 1 << 6,
	HAVE_ACTION = 1 << 7,
	HAVE_ALL = (1 << 8) - 1,
};

/* sig_parse - a dkim= value */
static bool
sig_parse(const char *v, size_t n, struct pcl_dmarc_report_row *r)
{
	const char *part[3];
	size_t plen[3];
	struct pcl_dmarc_report_sig *s;
	char result[16];

	if (r->ndkim == PCL_DMARC_REPORT_DKIM_MAX || !split3(v, n, part, plen))
		return false;
	s = &r->dkim[r->ndkim];
	if (!pct_decode(part[0], plen[0], s->domain, sizeof(s->domain)) ||
	    !pct_decode(part[1], plen[1], s->selector, sizeof(s->selector)) ||
	    !pct_decode(part[2], plen[2], result, sizeof(result)) ||
	    (s->result = pcl_dmarc_report_result("dkim", result)) == NULL)
		return false;
	r->ndkim++;
	return true;
}

/* spf_parse - an spf= value */
static bool
spf_parse(const char *v, size_t n, struct pcl_dmarc_report_row *r)
{
	const char *part[3];
	size_t plen[3];
	char scope[8], result[16];

	if (r->spf || !split3(v, n, part, plen) ||
	    !pct_decode(part[0], plen[0], r->spf_domain,
	                sizeof(r->spf_domain)) ||
	    !pct_decode(part[1], plen[1], scope, sizeof(scope)) ||
	    !yesno(scope, "helo", "mfrom", &r->spf_helo) ||
	    !pct_decode(part[2], plen[2], result, sizeof(result)) ||
	    (r->spf_result = pcl_dmarc_report_result("spf", result)) == NULL)
		return false;
	r->spf = true;
	return true;
}

/* word_parse - one name=value word (value still encoded) into r;
 * false with why */
static bool
word_parse(const char *name, size_t nlen, const char *ev, size_t evlen,
           struct pcl_dmarc_report_row *r, unsigned *have, const char **why)
{
	char v[PCL_DMARC_RUA_MAX + 1];
	struct pcl_addr a;
	enum pcl_action act;
	long long num;
	int k;

#define IS(s) (nlen == strlen(s) && memcmp(name, s, nlen) == 0)
	*why = "a bad value";
	if (IS("dkim"))
		return sig_parse(ev, evlen, r);
	if (IS("spf"))
		return spf_parse(ev, evlen, r);
	if (!pct_decode(ev, evlen, v, sizeof(v)))
		return false;
	if (IS("time")) {
		*have |= HAVE_TIME;
		return number(v, &r->time);
	}
	if (IS("ip")) {
		*have |= HAVE_IP;
		if (pcl_addr_parse(v, &a) != 0)
			return false;
		pcl_addr_format(&a, r->ip, sizeof(r->ip));
		return true;
	}
	if (IS("from")) {
		*have |= HAVE_FROM;
		return *v && pcl_copy(r->from, sizeof(r->from), v);
	}
	if (IS("domain")) {
		*have |= HAVE_DOMAIN;
		return *v && pcl_copy(r->domain, sizeof(r->domain), v);
	}
	if (IS("mailfrom"))
		return pcl_copy(r->mailfrom, sizeof(r->mailfrom), v);
	if (IS("disc"))
		return yesno(v, "psl", "treewalk", &r->psl);
	if (IS("p")) {
		*have |= HAVE_P;
		return policy_parse(v, &r->p) && r->p != PCL_DMARC_P_UNSET;
	}
	if (IS("sp"))
		return policy_parse(v, &r->sp);
	if (IS("np"))
		return policy_parse(v, &r->np);
	if (IS("adkim"))
		return yesno(v, "s", "r", &r->adkim_strict);
	if (IS("aspf"))
		return yesno(v, "s", "r", &r->aspf_strict);
	if (IS("t"))
		return yesno(v, "y", "n", &r->testing);
	if (IS("psd")) {
		r->psd = v[0];
		return (v[0] == 'y' || v[0] == 'n' || v[0] == 'u') && !v[1];
	}
	if (IS("rua"))
		return pcl_copy(r->rua, sizeof(r->rua), v);
	if (IS("result")) {
		*have |= HAVE_RESULT;
		if (strcmp(v, "pass") == 0)
			r->result = PCL_DMARC_R_PASS;
		else if (strcmp(v, "fail") == 0)
			r->result = PCL_DMARC_R_FAIL;
		else if (strcmp(v, "temperror") == 0)
			r->result = PCL_DMARC_R_TEMPERROR;
		else
			return false;
		return true;
	}
	if (IS("align_dkim"))
		return yesno(v, "pass", "fail", &r->dkim_aligned);
	if (IS("align_spf"))
		return yesno(v, "pass", "fail", &r->spf_aligned);
	if (IS("disposition")) {
		*have |= HAVE_DISPOSITION;
		k = keyword(v, disposition_names, COUNT(disposition_names));
		r->disposition = (enum pcl_dmarc_disposition)k;
		return k >= 0;
	}
	if (IS("action")) {
		*have |= HAVE_ACTION;
		if (pcl_action_parse(v, &act) != 0)
			return false;
		r->action = act;
		return true;
	}
	if (IS("override"))
		return override_parse(v, &r->override);
	if (IS("dkim_dropped")) {
		if (!number(v, &num) || num > 1000000)
			return false;
		r->dkim_dropped = (unsigned)num;
		return true;
	}
#undef IS
	return true; /* a later version's: skipped */
}

/* pcl_dmarc_report_parse - one line into row */
enum pcl_dmarc_report_parse
pcl_dmarc_report_parse(const char *line, size_t len,
                       struct pcl_dmarc_report_row *row, char *err,
                       size_t errlen)
{
	const char *why = "no \"end\"";
	unsigned have = 0;
	size_t pos = 0, words = 0;
	bool end = false;

	memset(row, 0, sizeof(*row));
	row->psd = 'u';
	if (len >= PCL_DMARC_REPORT_LINE_MAX) {
		why = "too long";
		goto bad;
	}
	if (len < 4 || memcmp(line, "v=", 2) != 0) {
		why = "not a report line";
		goto bad;
	}
	if (len < 4 || memcmp(line, "v=1 ", 4) != 0) {
		pcl_format(err, errlen, "version %.*s",
		           (int)strcspn(line + 2, " "), line + 2);
		return PCL_DMARC_LINE_VERSION;
	}
	pos = 4;
	while (pos < len && !end) {
		size_t n = 0, eq;

		while (pos + n < len && line[pos + n] != ' ')
			n++;
		if (n == 0 || ++words > 2 * PCL_DMARC_REPORT_DKIM_MAX + 64) {
			why = n == 0 ? "an empty word" : "too many words";
			goto bad;
		}
		if (n == 3 && memcmp(line + pos, "end", 3) == 0 &&
		    pos + n == len) {
			end = true;
			break;
		}
		for (eq = 0; eq < n && line[pos + eq] != '='; eq++)
			;
		if (eq == 0 || eq == n) {
			why = "a word without a name=";
			goto bad;
		}
		if (!word_parse(line + pos, eq, line + pos + eq + 1, n - eq - 1,
		                row, &have, &why)) {
			pcl_format(err, errlen, "%s in \"%.*s\"", why,
			           (int)(eq > 32 ? 32 : eq), line + pos);
			return PCL_DMARC_LINE_BAD;
		}
		pos += n + 1;
	}
	if (!end)
		goto bad;
	if ((have & HAVE_ALL) != HAVE_ALL) {
		why = "a field missing";
		goto bad;
	}
	return PCL_DMARC_LINE_OK;
bad:
	pcl_copy(err, errlen, why);
	return PCL_DMARC_LINE_BAD;
}

/* --- reading a file ------------------------------------------------- */

/* bad - count a refused line (line number at), the first one's
 * reason kept */
static void
bad(struct pcl_dmarc_report_stats *st, unsigned long at, const char *why)
{
	if (st->bad++ == 0) {
		st->first_bad_line = at;
		pcl_copy(st->first_bad, sizeof(st->first_bad), why);
	}
}

/* pcl_dmarc_report_read - every complete line of fp */
int
pcl_dmarc_report_read(FILE *fp,
                      bool (*fn)(const struct pcl_dmarc_report_row *row,
                                 void *ctx),
                      void *ctx, struct pcl_dmarc_report_stats *st)
{
	struct pcl_dmarc_report_row *row = malloc(sizeof(*row));
	char *line = NULL, err[128];
	unsigned long at = 0; /* the line's number in the file */
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (row == NULL)
		return -1;
	errno = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		size_t len = (size_t)n;

		if (line[len - 1] != '\n') {
			st->torn = true; /* the last line, cut short */
			break;
		}
		len--;
		at++;
		if (len == 0)
			continue; /* the newline a writer put after what it
			             took for a torn line */
		st->lines++;
		if (memchr(line, '\0', len) != NULL) {
			bad(st, at, "a NUL byte");
			continue;
		}
		switch (
		    pcl_dmarc_report_parse(line, len, row, err, sizeof(err))) {
		case PCL_DMARC_LINE_OK:
			st->rows++;
			if (!fn(row, ctx))
				goto out;
			break;
		case PCL_DMARC_LINE_VERSION:
			st->version++;
			break;
		case PCL_DMARC_LINE_BAD:
			bad(st, at, err);
			break;
		}
		errno = 0;
	}
	if (ferror(fp))
		rc = -1;
out:
	free(line);
	free(row);
	return rc;
}

/* --- days ------------------------------------------------------------ */

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian
 * date (H. Hinnant's algorithm) */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* pcl_dmarc_report_day_name - "YYYY-MM-DD.log" of t's UTC day */
void
pcl_dmarc_report_day_name(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    !pcl_format(buf, len, "%04d-%02d-%02d.log", tm.tm_year + 1900,
	                tm.tm_mon + 1, tm.tm_mday))
		pcl_copy(buf, len, "invalid.log");
}

/* pcl_dmarc_report_day_parse - "YYYY-MM-DD" to its first second */
bool
pcl_dmarc_report_day_parse(const char *text, size_t len, time_t *start)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30,
	                                 31, 31, 30, 31, 30, 31};
	unsigned y = 0, m, d;
	bool leap;

	if (len != 10 || text[4] != '-' || text[7] != '-')
		return false;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (text[i] < '0' || text[i] > '9'))
			return false;
	for (size_t i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(text[i] - '0');
	m = (unsigned)((text[5] - '0') * 10 + (text[6] - '0'));
	d = (unsigned)((text[8] - '0') * 10 + (text[9] - '0'));
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
	    (m == 2 && d == 29 && !leap))
		return false;
	*start = (time_t)(days_from_civil(y, m, d) * 86400);
	return true;
}
