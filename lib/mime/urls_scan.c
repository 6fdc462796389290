/*
 * urls_scan - find host names in decoded text
 *
 * One pass from left to right, no backtracking, no regular
 * expressions: every trigger reads forward from where it stands and
 * the pass resumes after what it read, so the work is linear in the
 * text. Triggers, each case-insensitive:
 *
 *   "http:", "https:", "ftp:"  then one or more '/' or '\' (browsers
 *           take "http:\\host" and "http:///host" alike); the host
 *           follows the last '@' of the authority (userinfo skipped),
 *           and ends at ':' (port) or any other non-host character.
 *           An authority starting with '[' is an IP literal: skipped.
 *   "www."  at the start of a word.
 *   "@"     after a local-part character: the domain of an address
 *           ("mailto:" needs nothing more). "@[" is a literal: skipped.
 *   "//"    in HTML only, after '=', a quote or '(' (protocol-relative
 *           href="//host/" or url(//host/)).
 *
 * Bare "example.com" is never taken: "file.txt" and "e.g." look alike.
 *
 * Host text is ASCII letters, digits, '-', '.', '_' and %XX escapes
 * (decoded), and non-ASCII letters for IDNs. Soft hyphens, zero-width
 * characters and BOMs are dropped ("pay<U+200B>pal.example" is what the
 * reader sees as paypal.example). An ideographic full stop followed by
 * an ASCII letter or digit is a dot, as UTS #46 maps it; otherwise it
 * ends a sentence. Punctuation, symbols and emoji end the host, and so
 * does a CJK character right after an ASCII letter ("访问www.example.cn谢谢"
 * has no spaces). urls_host.c judges what is left.
 *
 * HTML: character references are decoded in place first (always
 * shorter), so "www&#46;example&#46;com" and "&#x68;ttp://" are found.
 * Tags are then mere punctuation: attribute values and text are both
 * scanned. A tag inside a word ("www.exa<b></b>mple.com") still splits
 * it: joining across tags would glue "</p><p>" paragraphs together.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "urls_int.h"

#define SCAN_BAD_CP 0xFFFDu

struct host_text {
	char text[URLS_HOST_TEXT_MAX];
	size_t len;
	bool overflow;
};

struct named_ref {
	const char *name;
	uint32_t cp;
};

/* Named references that can hide a host or a scheme; the rest of the
 * HTML 5 list only makes letters, which do not matter here. */
static const struct named_ref named_refs[] = {
    {"amp", '&'},      {"lt", '<'},
    {"gt", '>'},       {"quot", '"'},
    {"apos", '\''},    {"nbsp", 0xA0},
    {"period", '.'},   {"commat", '@'},
    {"sol", '/'},      {"bsol", '\\'},
    {"colon", ':'},    {"semi", ';'},
    {"comma", ','},    {"excl", '!'},
    {"quest", '?'},    {"num", '#'},
    {"percnt", '%'},   {"lowbar", '_'},
    {"equals", '='},   {"plus", '+'},
    {"lpar", '('},     {"rpar", ')'},
    {"NewLine", '\n'}, {"Tab", '\t'},
    {"shy", 0xAD},     {"zwj", 0x200D},
    {"zwnj", 0x200C},  {"ZeroWidthSpace", 0x200B},
};

/* scan_alnum - ASCII letter or digit, independent of the locale */
static bool
scan_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* scan_in - c is one of the characters of set (never NUL) */
static bool
scan_in(unsigned char c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* scan_hexval - value of a hex digit, or -1 */
static int
scan_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* scan_prefix - s[0..n) starts with the lowercase word w, ignoring
 * ASCII case */
static bool
scan_prefix(const unsigned char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)w[i])
			return false;
	}
	return true;
}

/* utf8_next - decode one character of s[0..n) into *cp; returns its
 * length, or 0 for a malformed sequence (overlong, surrogate, cut) */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		k = 2;
		v = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		k = 3;
		v = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		k = 4;
		v = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	if ((k == 3 && v < 0x800) || (k == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return k;
}

/* utf8_put - write cp as UTF-8 at out; returns the length (1..4) */
static size_t
utf8_put(char *out, uint32_t cp)
{
	unsigned char *o = (unsigned char *)out;

	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ref_numeric - "&#46;", "&#x2e;" (';' optional, as browsers read
 * them) at s[0..n); returns the length read, 0 if none. Every result
 * is at most as long as its reference ("&#0" gives 3 bytes). */
static size_t
ref_numeric(const char *s, size_t n, uint32_t *cp)
{
	bool hex = n > 2 && (s[2] == 'x' || s[2] == 'X');
	size_t i = hex ? 3 : 2;
	size_t digits = 0;
	uint32_t v = 0;

	for (; i < n; i++, digits++) {
		int d = hex ? scan_hexval((unsigned char)s[i])
		            : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);

		if (d < 0)
			break;
		v = v * (hex ? 16u : 10u) + (uint32_t)d;
		if (v > 0x10FFFF)
			v = 0x110000; /* keep reading digits, stay bounded */
	}
	if (digits == 0)
		return 0;
	if (i < n && s[i] == ';')
		i++;
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		v = SCAN_BAD_CP;
	*cp = v;
	return i;
}

/* ref_named - "&name;" from named_refs at s[0..n); returns the length
 * read, 0 if none */
static size_t
ref_named(const char *s, size_t n, uint32_t *cp)
{
	for (size_t r = 0; r < sizeof(named_refs) / sizeof(named_refs[0]);
	     r++) {
		size_t k = strlen(named_refs[r].name);

		if (n >= k + 2 && memcmp(s + 1, named_refs[r].name, k) == 0 &&
		    s[k + 1] == ';') {
			*cp = named_refs[r].cp;
			return k + 2;
		}
	}
	return 0;
}

/* html_decode - decode character references of t[0..n) in place;
 * returns the new length, never more than n */
static size_t
html_decode(char *t, size_t n)
{
	size_t r = 0;
	size_t w = 0;

	while (r < n) {
		uint32_t cp = 0;
		size_t used = 0;

		if (t[r] == '&' && r + 1 < n)
			used = t[r + 1] == '#' ? ref_numeric(t + r, n - r, &cp)
			                       : ref_named(t + r, n - r, &cp);
		if (used == 0) {
			t[w++] = t[r++];
			continue;
		}
		/* Read before written: the output is no longer than used. */
		w += utf8_put(t + w, cp);
		r += used;
	}
	return w;
}

/* cp_cjk - a Han, kana or Hangul character */
static bool
cp_cjk(uint32_t cp)
{
	return (cp >= 0x2E80 && cp <= 0x9FFF) ||
	       (cp >= 0xAC00 && cp <= 0xD7AF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0x20000 && cp <= 0x3FFFF);
}

enum cp_class { CP_HOST, CP_SKIP, CP_DOT, CP_STOP };

/* cp_classify - what a non-ASCII character is to a host name */
static enum cp_class
cp_classify(uint32_t cp)
{
	if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 ||
	    cp == 0xFEFF)
		return CP_SKIP;
	if (cp == 0x3002 || cp == 0xFF0E || cp == 0xFF61)
		return CP_DOT;
	if ((cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) ||
	    (cp >= 0xFF41 && cp <= 0xFF5A) || cp == 0xFF0D)
		return CP_HOST; /* full-width letters, digits, hyphen */
	if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 ||
	    (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x2E00 && cp <= 0x2E7F) ||
	    (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xE000 && cp <= 0xF8FF) ||
	    (cp >= 0xFE10 && cp <= 0xFE6F) || (cp >= 0xFF00 && cp <= 0xFF65) ||
	    (cp >= 0xFFF0 && cp <= 0xFFFF) || (cp >= 0x1F000 && cp <= 0x1FAFF))
		return CP_STOP;
	return CP_HOST;
}

/* host_put - append n bytes to the host text, or mark it overlong */
static void
host_put(struct host_text *h, const unsigned char *s, size_t n)
{
	if (h->len + n > sizeof(h->text)) {
		h->overflow = true;
		return;
	}
	memcpy(h->text + h->len, s, n);
	h->len += n;
}

/* host_read - read host text from s[0..n) into h; returns the bytes
 * read (the whole run, even when h overflowed) */
static size_t
host_read(const unsigned char *s, size_t n, struct host_text *h)
{
	size_t i = 0;

	h->len = 0;
	h->overflow = false;
	while (i < n) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t k;

		if (scan_alnum(c) || c == '-' || c == '.' || c == '_') {
			host_put(h, &s[i++], 1);
			continue;
		}
		if (c == '%' && i + 2 < n && scan_hexval(s[i + 1]) >= 0 &&
		    scan_hexval(s[i + 2]) >= 0) {
			unsigned char b =
			    (unsigned char)(scan_hexval(s[i + 1]) * 16 +
			                    scan_hexval(s[i + 2]));

			host_put(h, &b, 1);
			i += 3;
			continue;
		}
		if (c < 0x80 || (k = utf8_next(s + i, n - i, &cp)) == 0)
			break;
		switch (cp_classify(cp)) {
		case CP_SKIP:
			break;
		case CP_DOT:
			if (i + k >= n || !scan_alnum(s[i + k]))
				return i;
			host_put(h, (const unsigned char *)".", 1);
			break;
		case CP_HOST:
			if (cp_cjk(cp) && h->len > 0 &&
			    scan_alnum((unsigned char)h->text[h->len - 1]))
				return i;
			host_put(h, s + i, k);
			break;
		case CP_STOP:
			return i;
		}
		i += k;
	}
	return i;
}

/* host_take - read a host at s[0..n) and note it; returns bytes read */
static size_t
host_take(struct urls_ctx *ctx, const unsigned char *s, size_t n)
{
	struct host_text h;
	size_t used = host_read(s, n, &h);

	if (!h.overflow && h.len > 0)
		(void)urls_host_note(ctx, h.text, h.len); /* oom: ctx->oom */
	return used;
}

/* authority_end - where the authority starting at s[0] ends */
static size_t
authority_end(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] > ' ' && s[i] != 0x7F &&
	       !scan_in(s[i], "/\\?#\"'<>`{}|^"))
		i++;
	return i;
}

/* authority_take - the host of the authority at s[0..n), after any
 * userinfo; returns bytes read */
static size_t
authority_take(struct urls_ctx *ctx, const unsigned char *s, size_t n)
{
	size_t end = authority_end(s, n);
	size_t host = 0;

	for (size_t i = 0; i < end; i++)
		if (s[i] == '@')
			host = i + 1;
	if (host < end && s[host] == '[')
		return end; /* IP literal */
	if (host == 0) /* no userinfo: resume after the host, not after ':' */
		return host_take(ctx, s, end);
	return host + host_take(ctx, s + host, end - host);
}

/* try_scheme - "http:", "https:" or "ftp:" and slashes at s[i]; returns
 * bytes read, 0 if none */
static size_t
try_scheme(struct urls_ctx *ctx, const unsigned char *s, size_t n, size_t i)
{
	static const char *const schemes[] = {"https:", "http:", "ftp:"};
	size_t j = 0;

	for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
		if (scan_prefix(s + i, n - i, schemes[k])) {
			j = i + strlen(schemes[k]);
			break;
		}
	if (j == 0 || j >= n || (s[j] != '/' && s[j] != '\\'))
		return 0;
	while (j < n && (s[j] == '/' || s[j] == '\\'))
		j++;
	return j - i + authority_take(ctx, s + j, n - j);
}

/* try_www - "www." at the start of a word at s[i]; returns bytes read,
 * 0 if none */
static size_t
try_www(struct urls_ctx *ctx, const unsigned char *s, size_t n, size_t i)
{
	unsigned char p = i > 0 ? s[i - 1] : ' ';
	struct host_text h;
	size_t used;

	if (!scan_prefix(s + i, n - i, "www."))
		return 0;
	/* A non-ASCII byte before is a boundary: CJK text has no spaces. */
	if (scan_alnum(p) || scan_in(p, "-._@%/\\"))
		return 0;
	used = host_read(s + i, n - i, &h);
	/* "www.foo@example.org" is an address: try_at takes it next. */
	if (!h.overflow && h.len > 0 && (i + used >= n || s[i + used] != '@'))
		(void)urls_host_note(ctx, h.text, h.len); /* oom: ctx->oom */
	return used;
}

/* try_at - an address's "@" at s[i]; returns bytes read, 0 if none */
static size_t
try_at(struct urls_ctx *ctx, const unsigned char *s, size_t n, size_t i)
{
	unsigned char p = i > 0 ? s[i - 1] : ' ';

	/* RFC 5322 atext and '.', but not '/': "https://x.example/@user" */
	if (p >= 0x80 || scan_alnum(p) || scan_in(p, ".!#$%&'*+-=?^_`{|}~")) {
		if (i + 1 < n && s[i + 1] == '[')
			return 1; /* address literal */
		return 1 + host_take(ctx, s + i + 1, n - i - 1);
	}
	return 0;
}

/* try_relative - HTML "//host" after '=', a quote or '(' at s[i];
 * returns bytes read, 0 if none */
static size_t
try_relative(struct urls_ctx *ctx, const unsigned char *s, size_t n, size_t i)
{
	if (i == 0 || i + 2 >= n || s[i + 1] != '/' ||
	    !scan_in(s[i - 1], "=\"'("))
		return 0;
	return 2 + authority_take(ctx, s + i + 2, n - i - 2);
}

/* urls_scan_text - find hosts in len bytes of UTF-8 text */
void
urls_scan_text(struct urls_ctx *ctx, char *text, size_t len, bool html)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = html ? html_decode(text, len) : len;
	size_t i = 0;

	while (i < n && !urls_stopped(ctx)) {
		unsigned char c = s[i] | 0x20; /* ASCII letters lowercased */
		size_t used = 0;

		if (c == 'h' || c == 'f')
			used = try_scheme(ctx, s, n, i);
		else if (c == 'w')
			used = try_www(ctx, s, n, i);
		else if (s[i] == '@')
			used = try_at(ctx, s, n, i);
		else if (s[i] == '/' && html)
			used = try_relative(ctx, s, n, i);
		i += used > 0 ? used : 1;
	}
}
