/*
 * dkim_tags - the tag-list syntax of RFC 6376 3.2 and the value helpers
 * the signature and key parsers share (dkim_tags_int.h)
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC
 *   tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      = 1*VALCHAR   ; %x21-3A / %x3C-7E
 *
 * A fold is CRLF or a bare LF (Postfix hands milters bare LF folds)
 * followed by at least one space or tab; a line break not followed by
 * one is an error, as is any byte outside VALCHAR and white space (NUL,
 * controls, 8-bit). White space after the last ";" is allowed.
 *
 * Bounds: the text is refused unread above PCL_DKIM_TAGS_TEXT_MAX
 * bytes; at most PCL_DKIM_TAGS_MAX tags; duplicate names are found by
 * comparing each new name with those before it, at most 64 * 63 / 2
 * short comparisons. No memory is allocated: the list holds offsets.
 */
#include "config.h"

#include <string.h>

#include "dkim_tags.h"
#include "dkim_tags_int.h"
#include "util.h"

/* is_alpha - an ASCII letter */
static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - an ASCII digit */
static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* is_valchar - VALCHAR: visible ASCII but ";" */
static bool
is_valchar(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/* is_ws - a byte a fold or white space may hold */
static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* skip_fws - past white space and folds from *pos; false on a line
 * break that is not a fold (no space or tab after it, or a lone CR) */
static bool
skip_fws(const char *t, size_t len, size_t *pos)
{
	size_t i = *pos;

	while (i < len) {
		if (t[i] == ' ' || t[i] == '\t') {
			i++;
			continue;
		}
		if (t[i] == '\r') {
			if (i + 1 >= len || t[i + 1] != '\n')
				return false;
			i++;
		}
		if (t[i] != '\n')
			break;
		i++;
		if (i >= len || (t[i] != ' ' && t[i] != '\t'))
			return false;
	}
	*pos = i;
	return true;
}

/* is_duplicate - a tag before the last of list has the last's name */
static bool
is_duplicate(const struct pcl_dkim_tag_list *list)
{
	const struct pcl_dkim_tag *last = &list->tag[list->n - 1];

	for (size_t k = 0; k + 1 < list->n; k++) {
		const struct pcl_dkim_tag *g = &list->tag[k];

		if (g->name_len == last->name_len &&
		    memcmp(list->text + g->name_off,
		           list->text + last->name_off, g->name_len) == 0)
			return true;
	}
	return false;
}

/* pcl_dkim_tags_parse - a tag-list into list (offsets into text) */
enum pcl_dkim_tags_status
pcl_dkim_tags_parse(const char *text, size_t len,
                    struct pcl_dkim_tag_list *list, char *err, size_t errlen)
{
	size_t pos = 0;

	list->text = text;
	list->n = 0;
	if (len > PCL_DKIM_TAGS_TEXT_MAX) {
		pcl_format(err, errlen, "tag-list too long");
		return PCL_DKIM_TAGS_PERMERROR;
	}
	for (;;) {
		struct pcl_dkim_tag *g;
		size_t end;

		if (!skip_fws(text, len, &pos))
			goto bad_fold;
		if (pos == len) {
			if (list->n > 0)
				return PCL_DKIM_TAGS_OK;
			pcl_format(err, errlen, "empty tag-list");
			return PCL_DKIM_TAGS_PERMERROR;
		}
		if (list->n == PCL_DKIM_TAGS_MAX) {
			pcl_format(err, errlen, "too many tags");
			return PCL_DKIM_TAGS_PERMERROR;
		}
		g = &list->tag[list->n++];
		if (!is_alpha((unsigned char)text[pos])) {
			pcl_format(err, errlen, "bad tag name");
			return PCL_DKIM_TAGS_PERMERROR;
		}
		g->name_off = pos;
		while (pos < len &&
		       (is_alpha((unsigned char)text[pos]) ||
		        is_digit((unsigned char)text[pos]) || text[pos] == '_'))
			pos++;
		g->name_len = pos - g->name_off;
		if (!skip_fws(text, len, &pos))
			goto bad_fold;
		if (pos == len || text[pos] != '=') {
			pcl_format(err, errlen, "bad tag name or no =");
			return PCL_DKIM_TAGS_PERMERROR;
		}
		g->blank_off = ++pos;
		if (!skip_fws(text, len, &pos))
			goto bad_fold;
		g->value_off = end = pos;
		while (pos < len && text[pos] != ';') {
			if (is_valchar((unsigned char)text[pos])) {
				end = ++pos;
			} else if (is_ws((unsigned char)text[pos])) {
				if (!skip_fws(text, len, &pos))
					goto bad_fold;
			} else {
				pcl_format(err, errlen,
				           "bad byte in tag value");
				return PCL_DKIM_TAGS_PERMERROR;
			}
		}
		g->value_len = end - g->value_off;
		g->blank_end = pos;
		if (is_duplicate(list)) {
			pcl_format(err, errlen, "duplicate %.*s= tag",
			           (int)(g->name_len < 16 ? g->name_len : 16),
			           text + g->name_off);
			return PCL_DKIM_TAGS_PERMERROR;
		}
		if (pos == len)
			return PCL_DKIM_TAGS_OK;
		pos++; /* the ";" */
	}
bad_fold:
	pcl_format(err, errlen, "bad line break in tag-list");
	return PCL_DKIM_TAGS_PERMERROR;
}

/* pcl_dkim_tags_find - the tag named name, or NULL */
const struct pcl_dkim_tag *
pcl_dkim_tags_find(const struct pcl_dkim_tag_list *list, const char *name)
{
	size_t n = strlen(name);

	for (size_t k = 0; k < list->n; k++) {
		const struct pcl_dkim_tag *g = &list->tag[k];

		if (g->name_len == n &&
		    memcmp(list->text + g->name_off, name, n) == 0)
			return g;
	}
	return NULL;
}

/* pcl_dkim_tags_value - the value of the tag named name, or false */
bool
pcl_dkim_tags_value(const struct pcl_dkim_tag_list *list, const char *name,
                    struct pcl_dkim_span *v)
{
	const struct pcl_dkim_tag *g = pcl_dkim_tags_find(list, name);

	if (g == NULL)
		return false;
	v->p = list->text + g->value_off;
	v->len = g->value_len;
	return true;
}

/* pcl_dkim_span_is - the span is exactly s */
bool
pcl_dkim_span_is(struct pcl_dkim_span v, const char *s)
{
	return strlen(s) == v.len && memcmp(v.p, s, v.len) == 0;
}

/* b64_value - the 6-bit value of a base64 character, or -1 */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* pcl_dkim_tags_base64 - decode v into out, refused above max bytes
 * before decoding. Padding is required ("=" to a multiple of four);
 * bits left over in the last character are ignored (RFC 4648 3.5
 * allows either; refusing them would fail mail for no gain). */
enum pcl_dkim_b64
pcl_dkim_tags_base64(struct pcl_dkim_span v, unsigned char *out, size_t max,
                     size_t *outlen)
{
	size_t chars = 0, pad = 0, n = 0;
	uint32_t acc = 0;
	int got = 0;

	/* First pass: syntax and length only. */
	for (size_t k = 0; k < v.len; k++) {
		unsigned char c = (unsigned char)v.p[k];

		if (is_ws(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || b64_value(c) < 0)
			return PCL_DKIM_B64_BAD;
		chars++;
	}
	if (pad > 2 || (chars + pad) % 4 != 0 || (pad > 0 && chars % 4 == 0))
		return PCL_DKIM_B64_BAD;
	if (chars / 4 * 3 + (chars % 4 ? chars % 4 - 1 : 0) > max)
		return PCL_DKIM_B64_LONG;
	for (size_t k = 0; k < v.len; k++) {
		int d = b64_value((unsigned char)v.p[k]);

		if (d < 0)
			continue;
		acc = (acc << 6) | (uint32_t)d;
		if (++got == 4) {
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			acc = 0;
			got = 0;
		}
	}
	if (got == 2) {
		out[n++] = (unsigned char)(acc >> 4);
	} else if (got == 3) {
		out[n++] = (unsigned char)(acc >> 10);
		out[n++] = (unsigned char)(acc >> 2);
	}
	*outlen = n;
	return PCL_DKIM_B64_OK;
}

/* pcl_dkim_tags_decimal - 1 to maxdigits digits, at most INT64_MAX */
bool
pcl_dkim_tags_decimal(struct pcl_dkim_span v, size_t maxdigits, uint64_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > maxdigits)
		return false;
	for (size_t k = 0; k < v.len; k++) {
		unsigned d;

		if (!is_digit((unsigned char)v.p[k]))
			return false;
		d = (unsigned)(v.p[k] - '0');
		if (n > ((uint64_t)INT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* pcl_dkim_tags_domain - check and copy a domain name (see the
 * header); a label starts and ends with a letter or digit */
bool
pcl_dkim_tags_domain(struct pcl_dkim_span v, size_t min_labels, bool underscore,
                     bool lower, char *out)
{
	size_t labels = 0, label_len = 0;

	if (v.len == 0 || v.len > PCL_DKIM_TAGS_DOMAIN_MAX)
		return false;
	for (size_t k = 0; k <= v.len; k++) {
		unsigned char c = k < v.len ? (unsigned char)v.p[k] : '.';

		if (c == '.') {
			if (label_len == 0 || label_len > PCL_LABEL_MAX ||
			    v.p[k - 1] == '-')
				return false;
			labels++;
			label_len = 0;
		} else if (is_alpha(c) || is_digit(c) ||
		           (underscore && c == '_')) {
			label_len++;
		} else if (c == '-' && label_len > 0) {
			label_len++;
		} else {
			return false;
		}
		if (k < v.len)
			out[k] =
			    (char)(lower && c >= 'A' && c <= 'Z' ? c - 'A' + 'a'
			                                         : c);
	}
	out[v.len] = '\0';
	return labels >= min_labels;
}

/* pcl_dkim_list_start - begin reading the items of v */
void
pcl_dkim_list_start(struct pcl_dkim_list *it, struct pcl_dkim_span v)
{
	it->p = v.p;
	it->end = v.p + v.len;
	it->done = false;
}

/* pcl_dkim_list_next - the next item of a colon-separated list */
int
pcl_dkim_list_next(struct pcl_dkim_list *it, struct pcl_dkim_span *item)
{
	const char *p = it->p, *colon, *e;

	if (it->done)
		return 0;
	colon = memchr(p, ':', (size_t)(it->end - p));
	e = colon != NULL ? colon : it->end;
	while (p < e && is_ws((unsigned char)*p))
		p++;
	while (e > p && is_ws((unsigned char)e[-1]))
		e--;
	if (p == e)
		return -1;
	for (const char *q = p; q < e; q++)
		if (is_ws((unsigned char)*q))
			return -1;
	item->p = p;
	item->len = (size_t)(e - p);
	if (colon != NULL)
		it->p = colon + 1;
	else
		it->done = true;
	return 1;
}
