/*
 * dmarc_record - a DMARC Policy Record (RFC 9989 4.7, 4.8)
 *
 *   dmarc-record = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep]
 *   dmarc-sep    = *WSP ";" *WSP
 *   dmarc-tag    = 1*ALPHA equals 1*dmarc-value   ; %x20-3A / %x3C-7E
 *   dmarc-version = "v" equals %s"DMARC1"
 *
 * v=DMARC1 must come first, its value exactly so (else the text is not
 * DMARC and is ignored). Tag names and the keyword values compare
 * without regard to case (ABNF strings); values lose the white space
 * around them. Unknown tags, pct=, rf=, ri= (gone with RFC 9989) and
 * bad values of adkim=, aspf=, t=, psd=, fo= are ignored, so their
 * defaults apply. A bad p=, sp= or np= makes the record p=none when
 * rua= holds a valid URI, else unusable (4.10.1). A missing p= is
 * p=none. The first of a repeated tag counts.
 *
 * Bounds: PCL_DMARC_TEXT_MAX bytes and PCL_DMARC_TAGS_MAX tags, refused
 * (not DMARC) above; one pass over the text, no allocation.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"

#define PCL_DMARC_TEXT_MAX 65536
#define PCL_DMARC_TAGS_MAX 64

/* A tag's name and value, trimmed. */
struct tag {
	const char *name, *value;
	size_t nlen, vlen;
};

/* is_wsp - WSP (RFC 5234) */
static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* next_tag - the tag at *pos, separators before it skipped: 1; 0 at
 * the end; -1 for a malformed one (no name, no '=', a byte outside
 * dmarc-value), *pos then past it */
static int
next_tag(const char *t, size_t len, size_t *pos, struct tag *out)
{
	size_t i = *pos, vend;
	bool bad = false;

	while (i < len && (is_wsp(t[i]) || t[i] == ';'))
		i++;
	if (i == len)
		return 0;
	out->name = t + i;
	while (i < len && isalpha((unsigned char)t[i]))
		i++;
	out->nlen = (size_t)(t + i - out->name);
	while (i < len && is_wsp(t[i]))
		i++;
	bad = out->nlen == 0 || i == len || t[i] != '=';
	if (!bad)
		i++;
	while (i < len && is_wsp(t[i]))
		i++;
	out->value = t + i;
	for (; i < len && t[i] != ';'; i++) {
		unsigned char c = (unsigned char)t[i];

		bad |= (c < 0x20 || c > 0x7e) && c != '\t';
	}
	*pos = i;
	if (bad)
		return -1;
	vend = i;
	while (vend > (size_t)(out->value - t) && is_wsp(t[vend - 1]))
		vend--;
	out->vlen = vend - (size_t)(out->value - t);
	return 1;
}

/* is - the span equals s, case aside */
static bool
is(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* policy - a dmarc-request; UNSET when it is none of them */
static enum pcl_dmarc_policy
policy(const struct tag *g)
{
	if (is(g->value, g->vlen, "none"))
		return PCL_DMARC_P_NONE;
	if (is(g->value, g->vlen, "quarantine"))
		return PCL_DMARC_P_QUARANTINE;
	if (is(g->value, g->vlen, "reject"))
		return PCL_DMARC_P_REJECT;
	return PCL_DMARC_P_UNSET;
}

/* uri_ok - one dmarc-uri of a list looks like a URI: a scheme, ':',
 * something without white space (an obsolete "!size" allowed) */
static bool
uri_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !isalpha((unsigned char)p[0]))
		return false;
	while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '+' ||
	                 p[i] == '-' || p[i] == '.'))
		i++;
	if (i == n || p[i] != ':' || i + 1 == n)
		return false;
	for (i++; i < n; i++)
		if (is_wsp(p[i]))
			return false;
	return true;
}

/* uri_list_ok - at least one URI of a comma-separated list is valid */
static bool
uri_list_ok(const char *p, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t a, b;

		if (i < n && p[i] != ',')
			continue;
		for (a = start; a < i && is_wsp(p[a]); a++)
			;
		for (b = i; b > a && is_wsp(p[b - 1]); b--)
			;
		if (uri_ok(p + a, b - a))
			return true;
		start = i + 1;
	}
	return false;
}

/* Which tags were seen, for "the first counts". */
enum {
	SEEN_P = 1 << 0,
	SEEN_SP = 1 << 1,
	SEEN_NP = 1 << 2,
	SEEN_ADKIM = 1 << 3,
	SEEN_ASPF = 1 << 4,
	SEEN_T = 1 << 5,
	SEEN_PSD = 1 << 6,
	SEEN_RUA = 1 << 7,
};

/* first - the tag was not seen before (and now is) */
static bool
first(unsigned *seen, unsigned bit)
{
	bool was = (*seen & bit) != 0;

	*seen |= bit;
	return !was;
}

/* apply - one tag into r; *bad_policy when p, sp or np is bad */
static void
apply(const struct tag *g, struct pcl_dmarc_record *r, unsigned *seen,
      bool *bad_policy)
{
	const char *n = g->name;
	size_t nl = g->nlen;

	if (is(n, nl, "p") && first(seen, SEEN_P))
		*bad_policy |= (r->p = policy(g)) == PCL_DMARC_P_UNSET;
	else if (is(n, nl, "sp") && first(seen, SEEN_SP))
		*bad_policy |= (r->sp = policy(g)) == PCL_DMARC_P_UNSET;
	else if (is(n, nl, "np") && first(seen, SEEN_NP))
		*bad_policy |= (r->np = policy(g)) == PCL_DMARC_P_UNSET;
	else if (is(n, nl, "adkim") && first(seen, SEEN_ADKIM))
		r->adkim_strict = is(g->value, g->vlen, "s");
	else if (is(n, nl, "aspf") && first(seen, SEEN_ASPF))
		r->aspf_strict = is(g->value, g->vlen, "s");
	else if (is(n, nl, "t") && first(seen, SEEN_T))
		r->testing = is(g->value, g->vlen, "y");
	else if (is(n, nl, "psd") && first(seen, SEEN_PSD))
		r->psd = is(g->value, g->vlen, "y")   ? 'y'
		         : is(g->value, g->vlen, "n") ? 'n'
		                                      : 'u';
	else if (is(n, nl, "rua") && first(seen, SEEN_RUA))
		r->rua = uri_list_ok(g->value, g->vlen);
}

/* pcl_dmarc_record_parse - one record's text */
enum pcl_dmarc_parse
pcl_dmarc_record_parse(const char *text, size_t len, struct pcl_dmarc_record *r)
{
	struct tag g;
	size_t pos = 0, ntags = 0;
	unsigned seen = 0;
	bool bad_policy = false;
	int got;

	memset(r, 0, sizeof(*r));
	r->psd = 'u';
	if (len > PCL_DMARC_TEXT_MAX || next_tag(text, len, &pos, &g) != 1 ||
	    !is(g.name, g.nlen, "v") || g.vlen != 6 ||
	    memcmp(g.value, "DMARC1", 6) != 0)
		return PCL_DMARC_NOT_DMARC;
	/* a malformed tag is skipped: its default applies (4.8) */
	while ((got = next_tag(text, len, &pos, &g)) != 0) {
		if (++ntags > PCL_DMARC_TAGS_MAX)
			return PCL_DMARC_NOT_DMARC;
		if (got == 1)
			apply(&g, r, &seen, &bad_policy);
	}
	if (!(seen & SEEN_P))
		r->p = PCL_DMARC_P_NONE;
	if (!bad_policy)
		return PCL_DMARC_RECORD;
	r->sp = r->np = PCL_DMARC_P_UNSET;
	if (r->rua) {
		r->p = PCL_DMARC_P_NONE;
		return PCL_DMARC_RECORD;
	}
	r->p = PCL_DMARC_P_UNSET;
	return PCL_DMARC_UNUSABLE;
}

/* pcl_dmarc_record_rua - the valid URIs of the first rua= tag */
size_t
pcl_dmarc_record_rua(const char *text, size_t len, char *out, size_t outlen)
{
	struct tag g;
	size_t pos = 0, used = 0, kept = 0, ntags = 0, start = 0;
	int got;

	if (outlen == 0)
		return 0;
	*out = '\0';
	if (len > PCL_DMARC_TEXT_MAX || next_tag(text, len, &pos, &g) != 1 ||
	    !is(g.name, g.nlen, "v"))
		return 0;
	while ((got = next_tag(text, len, &pos, &g)) != 0 &&
	       ++ntags <= PCL_DMARC_TAGS_MAX)
		if (got == 1 && is(g.name, g.nlen, "rua"))
			break;
	if (got != 1 || ntags > PCL_DMARC_TAGS_MAX)
		return 0;
	for (size_t i = 0; i <= g.vlen; i++) {
		const char *p = g.value;
		size_t a, b, need;

		if (i < g.vlen && p[i] != ',')
			continue;
		for (a = start; a < i && is_wsp(p[a]); a++)
			;
		for (b = i; b > a && is_wsp(p[b - 1]); b--)
			;
		start = i + 1;
		need = (used > 0 ? 1 : 0) + (b - a);
		if (!uri_ok(p + a, b - a) || used + need >= outlen)
			continue;
		if (used > 0)
			out[used++] = ',';
		memcpy(out + used, p + a, b - a);
		used += b - a;
		out[used] = '\0';
		kept++;
	}
	return kept;
}
