/*
 * spf_macro - macro strings (RFC 7208 section 7)
 *
 * One scanner does both jobs: without an output it checks the syntax
 * (at parse time, for every domain-spec and modifier of a record), with
 * one it expands. The check and the expansion cannot disagree about
 * what a macro is.
 *
 *	%{d}  %{d2}  %{ir}  %{l-}  %{lr-}  %{L}  %%  %_  %-
 *
 * A macro takes a value (s l o d i p v h, and c r t in explanations),
 * splits it on its delimiters (default "."), reverses the parts with
 * "r", keeps the rightmost N with a digit transformer and joins them
 * with dots. An upper-case letter URL-escapes the result (7.3). The
 * IPv6 "i" value is written in lower case, as in the examples of 7.4.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "spf_int.h"

#define DELIMITERS ".-+,/_="
#define KEEP_CAP 1000 /* a larger digit transformer keeps every part */

/* Where an expansion goes; NULL when only checking. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
	bool over;
};

/* One parsed %{...}. */
struct macro {
	char letter; /* lower case */
	bool upper;  /* URL-escape the result */
	unsigned keep;
	bool reverse;
	char delims[sizeof(DELIMITERS)];
};

/* out_byte - append one byte, or note that it did not fit */
static void
out_byte(struct out *o, char ch)
{
	if (o->len + 1 >= o->cap) {
		o->over = true;
		return;
	}
	o->buf[o->len++] = ch;
}

/* out_text - append n bytes */
static void
out_text(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_byte(o, s[i]);
}

/* out_escaped - append n bytes URL-escaped: all but unreserved (RFC
 * 3986: ALPHA DIGIT "-" "." "_" "~") as %XX */
static void
out_escaped(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			out_byte(o, (char)ch);
		} else {
			out_byte(o, '%');
			out_byte(o, hex[ch >> 4]);
			out_byte(o, hex[ch & 0x0f]);
		}
	}
}

/* macro_parse - the inside of "%{...}" from s[i] (after "%{"); the
 * index after the "}", or 0 on a syntax error */
static size_t
macro_parse(const char *s, size_t len, size_t i, enum spf_macro_use use,
            struct macro *m)
{
	static const char letters[] = "slodipvhcrt";
	size_t nd = 0;
	bool digits = false;
	char ch;

	memset(m, 0, sizeof(*m));
	if (i >= len)
		return 0;
	ch = s[i++];
	m->upper = ch >= 'A' && ch <= 'Z';
	m->letter = m->upper ? (char)(ch - 'A' + 'a') : ch;
	if (m->letter == '\0' || strchr(letters, m->letter) == NULL)
		return 0;
	if (use == SPF_MACRO_DOMAIN && strchr("crt", m->letter) != NULL)
		return 0; /* 7.3: c, r, t only in explanations */
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		digits = true;
		if (m->keep < KEEP_CAP)
			m->keep = m->keep * 10 + (unsigned)(s[i] - '0');
		i++;
	}
	if (digits && m->keep == 0)
		return 0; /* 7.3: the digit transformer is nonzero */
	if (i < len && (s[i] == 'r' || s[i] == 'R')) {
		m->reverse = true;
		i++;
	}
	while (i < len && s[i] != '\0' && strchr(DELIMITERS, s[i]) != NULL) {
		if (memchr(m->delims, s[i], nd) == NULL)
			m->delims[nd++] = s[i];
		i++;
	}
	if (i >= len || s[i] != '}')
		return 0;
	return i + 1;
}

/* ptr_value - the "p" macro: the validated name of the client that is
 * d or under d, else the first one, else "unknown" (7.3) */
static const char *
ptr_value(struct spf_ctx *c, const char *d)
{
	size_t dlen = strlen(d);

	spf_ptr_names(c);
	for (size_t i = 0; i < c->nptr; i++)
		if (strcasecmp(c->ptr_names[i], d) == 0)
			return c->ptr_names[i];
	for (size_t i = 0; i < c->nptr; i++) {
		size_t n = strlen(c->ptr_names[i]);

		if (n > dlen && c->ptr_names[i][n - dlen - 1] == '.' &&
		    strcasecmp(c->ptr_names[i] + n - dlen, d) == 0)
			return c->ptr_names[i];
	}
	return c->nptr > 0 ? c->ptr_names[0] : "unknown";
}

/* macro_value - the value of a macro letter into buf; false when it
 * does not fit */
static bool
macro_value(struct spf_ctx *c, const char *d, char letter, char *buf,
            size_t len)
{
	const char *v = "";

	switch (letter) {
	case 's':
		v = c->sender;
		break;
	case 'l':
		if (c->locallen >= len)
			return false;
		memcpy(buf, c->sender, c->locallen);
		buf[c->locallen] = '\0';
		return true;
	case 'o':
		v = c->odomain;
		break;
	case 'd':
		v = d;
		break;
	case 'i':
		spf_ip_dotted(&c->ip, buf, len);
		return true;
	case 'p':
		v = ptr_value(c, d);
		break;
	case 'v':
		v = c->ip.family == AF_INET ? "in-addr" : "ip6";
		break;
	case 'h':
		v = c->req->helo ? c->req->helo : "";
		break;
	case 'c':
		pcl_addr_format(&c->ip, buf, len);
		return true;
	case 'r':
		v = c->req->receiver && *c->req->receiver ? c->req->receiver
		                                          : "unknown";
		break;
	case 't':
		return pcl_format(buf, len, "%lld", (long long)time(NULL));
	default:
		return false;
	}
	return pcl_copy(buf, len, v);
}

/* macro_emit - split, reverse, keep the rightmost parts, join, escape */
static void
macro_emit(struct out *o, const char *v, size_t vlen, const struct macro *m)
{
	/* a value has at most SPF_VALUE_MAX bytes, so this many parts */
	unsigned short start[SPF_VALUE_MAX + 1];
	unsigned short plen[SPF_VALUE_MAX + 1];
	const char *delims = m->delims[0] ? m->delims : ".";
	size_t k = 0;
	size_t from = 0;
	size_t keep;

	for (size_t i = 0; i <= vlen; i++) {
		if (i < vlen && strchr(delims, v[i]) == NULL)
			continue;
		start[k] = (unsigned short)from;
		plen[k] = (unsigned short)(i - from);
		k++;
		from = i + 1;
	}
	keep = m->keep == 0 || m->keep > k ? k : m->keep;
	for (size_t j = k - keep; j < k; j++) {
		size_t idx = m->reverse ? k - 1 - j : j;

		if (j > k - keep)
			out_byte(o, '.');
		if (m->upper)
			out_escaped(o, v + start[idx], plen[idx]);
		else
			out_text(o, v + start[idx], plen[idx]);
	}
}

/* macro_run - check (o NULL) or expand s[0..len) */
static enum spf_macro_status
macro_run(struct spf_ctx *c, const char *d, const char *s, size_t len,
          enum spf_macro_use use, struct out *o, bool *ends_in_macro)
{
	char value[SPF_VALUE_MAX + 1];
	bool last = false;
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		struct macro m;
		size_t next;

		if (ch != '%') {
			/* macro-literal: visible ASCII but "%"; explanations
			 * may hold spaces (6.2: explain-string) */
			if ((ch < 0x21 || ch > 0x7e) &&
			    !(ch == ' ' && use == SPF_MACRO_EXP))
				return SPF_MACRO_SYNTAX;
			if (o != NULL)
				out_byte(o, (char)ch);
			last = false;
			i++;
			continue;
		}
		if (i + 1 >= len)
			return SPF_MACRO_SYNTAX;
		last = true;
		switch (s[i + 1]) {
		case '%':
			if (o != NULL)
				out_byte(o, '%');
			i += 2;
			break;
		case '_':
			if (o != NULL)
				out_byte(o, ' ');
			i += 2;
			break;
		case '-':
			if (o != NULL)
				out_text(o, "%20", 3);
			i += 2;
			break;
		case '{':
			next = macro_parse(s, len, i + 2, use, &m);
			if (next == 0)
				return SPF_MACRO_SYNTAX;
			if (o != NULL) {
				if (!macro_value(c, d, m.letter, value,
				                 sizeof(value)))
					return SPF_MACRO_LONG;
				macro_emit(o, value, strlen(value), &m);
			}
			i = next;
			break;
		default:
			return SPF_MACRO_SYNTAX;
		}
	}
	if (ends_in_macro != NULL)
		*ends_in_macro = last;
	return o != NULL && o->over ? SPF_MACRO_LONG : SPF_MACRO_OK;
}

/* spf_macro_check - syntax only */
enum spf_macro_status
spf_macro_check(const char *s, size_t len, enum spf_macro_use use,
                bool *ends_in_macro)
{
	return macro_run(NULL, NULL, s, len, use, NULL, ends_in_macro);
}

/* spf_macro_expand - expand into out */
enum spf_macro_status
spf_macro_expand(struct spf_ctx *c, const char *d, const char *s, size_t len,
                 enum spf_macro_use use, char *out, size_t outlen)
{
	struct out o = {out, outlen, 0, false};
	enum spf_macro_status st;

	if (outlen == 0)
		return SPF_MACRO_LONG;
	st = macro_run(c, d, s, len, use, &o, NULL);
	out[o.len] = '\0';
	return st;
}

/* spf_expand_name - a domain-spec as a query name, or false */
bool
spf_expand_name(struct spf_ctx *c, const char *d, const char *spec, size_t len,
                char name[PCL_DOMAIN_MAX + 1])
{
	char *x = c->scratch;
	size_t n;

	if (spf_macro_expand(c, d, spec, len, SPF_MACRO_DOMAIN, x,
	                     sizeof(c->scratch)) != SPF_MACRO_OK)
		return false;
	n = strlen(x);
	if (n > 0 && x[n - 1] == '.')
		x[--n] = '\0';
	/* 7.3: over 253 bytes, drop labels from the left until it fits */
	while (n > PCL_DOMAIN_MAX) {
		char *dot = memchr(x, '.', n);

		if (dot == NULL)
			return false;
		n -= (size_t)(dot + 1 - x);
		x = dot + 1;
	}
	if (!spf_name_valid(x, n))
		return false;
	memcpy(name, x, n + 1);
	return true;
}
