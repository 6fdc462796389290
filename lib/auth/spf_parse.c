/*
 * spf_parse - the syntax of an SPF record (RFC 7208 sections 4.6, 12)
 *
 * A record is parsed whole before any term is evaluated, so a syntax
 * error anywhere is a permerror even behind a term that would match
 * (4.6). Terms are separated by spaces only; any other byte outside
 * visible ASCII (a NUL, a CR, 8-bit text) is an error (3.1, 4.6.1).
 *
 * Where the ABNF leaves room, the parser reads it the way the
 * conformance suite and pyspf do: "redirect:x" is an unknown mechanism,
 * not a modifier; a CIDR length has no leading zero ("/032" is an
 * error); the known modifier names are never unknown modifiers, so
 * "exp=-all" is an error and not an ignored term; unknown modifiers
 * must hold a valid macro-string without c, r, t.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spf_int.h"

#define TERM_QUOTE 64 /* how much of a bad term an error message shows */

static const struct {
	const char *name;
	enum spf_mech mech;
} mechanisms[] = {
    {"all", SPF_MECH_ALL}, {"include", SPF_MECH_INCLUDE}, {"a", SPF_MECH_A},
    {"mx", SPF_MECH_MX},   {"ptr", SPF_MECH_PTR},         {"ip4", SPF_MECH_IP4},
    {"ip6", SPF_MECH_IP6}, {"exists", SPF_MECH_EXISTS},
};

/* is_alpha - ASCII letter, whatever the locale */
static bool
is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* is_digit - ASCII digit */
static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* toplabel_valid - ( *alphanum ALPHA *alphanum ) /
 * ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel_valid(const char *s, size_t len)
{
	bool alpha = false;
	bool dash = false;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (is_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!is_digit(s[i]))
			return false;
	}
	if (dash)
		return s[0] != '-' && s[len - 1] != '-';
	return alpha;
}

/* spf_spec_check - domain-spec = macro-string domain-end */
const char *
spf_spec_check(const char *s, size_t len)
{
	bool macro_end = false;
	size_t end = len;
	size_t dot;

	if (len == 0)
		return "empty domain-spec";
	if (spf_macro_check(s, len, SPF_MACRO_DOMAIN, &macro_end) !=
	    SPF_MACRO_OK)
		return "bad macro";
	if (macro_end)
		return NULL;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		continue;
	if (dot == 0 || !toplabel_valid(s + dot, end - dot))
		return "domain-spec does not end in a valid top label";
	return NULL;
}

/* cidr_value - the digits of a CIDR length ("0", or 1..3 digits
 * without a leading zero); the value, or -1 */
static int
cidr_value(const char *s, size_t len)
{
	int v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* cidr_strip - take "//n" (IPv6) and then "/n" (IPv4) off the end of
 * s[0..*len) into t; -1 when a length is out of range. A suffix whose
 * digits are no CIDR length ("/032") stays, as part of the name. */
static int
cidr_strip(struct spf_term *t, const char *s, size_t *len)
{
	size_t k = *len;
	int v;

	while (k > 0 && is_digit(s[k - 1]))
		k--;
	if (k < *len && k >= 2 && s[k - 1] == '/' && s[k - 2] == '/' &&
	    (v = cidr_value(s + k, *len - k)) >= 0) {
		if (v > 128)
			return -1;
		t->cidr6 = (unsigned)v;
		*len = k - 2;
	}
	k = *len;
	while (k > 0 && is_digit(s[k - 1]))
		k--;
	if (k < *len && k >= 1 && s[k - 1] == '/' &&
	    (v = cidr_value(s + k, *len - k)) >= 0) {
		if (v > 32)
			return -1;
		t->cidr4 = (unsigned)v;
		*len = k - 1;
	}
	return 0;
}

/* parse_spec - rest is ":" domain-spec; required or optional */
static const char *
parse_spec(struct spf_term *t, const char *rest, bool required)
{
	const char *why;

	if (*rest == '\0')
		return required ? "domain-spec missing" : NULL;
	if (*rest != ':')
		return "bad syntax";
	why = spf_spec_check(rest + 1, strlen(rest + 1));
	if (why != NULL)
		return why;
	t->spec = rest + 1;
	t->speclen = strlen(rest + 1);
	return NULL;
}

/* parse_dual - a and mx: [ ":" domain-spec ] [ dual-cidr-length ] */
static const char *
parse_dual(struct spf_term *t, const char *rest)
{
	size_t len = strlen(rest);
	const char *why;

	if (*rest == ':') {
		len--;
		if (cidr_strip(t, rest + 1, &len) < 0)
			return "CIDR length out of range";
		why = spf_spec_check(rest + 1, len);
		if (why != NULL)
			return why;
		t->spec = rest + 1;
		t->speclen = len;
		return NULL;
	}
	if (*rest != '\0' && *rest != '/')
		return "bad syntax";
	if (cidr_strip(t, rest, &len) < 0)
		return "CIDR length out of range";
	return len == 0 ? NULL : "bad CIDR length";
}

/* ip4_parse - ip4-network: four decimal octets, no leading zeros */
static bool
ip4_parse(const char *s, size_t len, unsigned char out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start = i;
		unsigned v = 0;

		while (i < len && is_digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return false;
		out[part] = (unsigned char)v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

/* parse_ip - ip4 and ip6: ":" network [ "/" length ] */
static const char *
parse_ip(struct spf_term *t, const char *rest)
{
	bool v4 = t->mech == SPF_MECH_IP4;
	const char *slash;
	size_t netlen;
	char buf[INET6_ADDRSTRLEN];
	int v;

	if (*rest != ':')
		return "address missing";
	rest++;
	slash = strchr(rest, '/');
	netlen = slash ? (size_t)(slash - rest) : strlen(rest);
	if (v4) {
		t->net.family = AF_INET;
		if (!ip4_parse(rest, netlen, t->net.bytes))
			return "bad IPv4 address";
	} else {
		/* inet_pton, not pcl_addr_parse: an IPv4-mapped network
		 * must stay IPv6, and so match no client (5.6) */
		t->net.family = AF_INET6;
		if (netlen >= sizeof(buf))
			return "bad IPv6 address";
		memcpy(buf, rest, netlen);
		buf[netlen] = '\0';
		if (inet_pton(AF_INET6, buf, t->net.bytes) != 1)
			return "bad IPv6 address";
	}
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (slash == NULL)
		return NULL;
	v = cidr_value(slash + 1, strlen(slash + 1));
	if (v < 0 || v > (v4 ? 32 : 128))
		return "bad CIDR length";
	if (v4)
		t->cidr4 = (unsigned)v;
	else
		t->cidr6 = (unsigned)v;
	return NULL;
}

/* parse_directive - [ qualifier ] mechanism */
static const char *
parse_directive(char *term, struct spf_term *t)
{
	const char *p = term;
	const char *rest;
	size_t n = 0;
	size_t m;

	t->text = term;
	t->qualifier = PCL_SPF_PASS;
	switch (*p) {
	case '+':
		p++;
		break;
	case '-':
		t->qualifier = PCL_SPF_FAIL;
		p++;
		break;
	case '~':
		t->qualifier = PCL_SPF_SOFTFAIL;
		p++;
		break;
	case '?':
		t->qualifier = PCL_SPF_NEUTRAL;
		p++;
		break;
	default:
		break;
	}
	while (is_alpha(p[n]) || is_digit(p[n]))
		n++;
	for (m = 0; m < sizeof(mechanisms) / sizeof(mechanisms[0]); m++)
		if (strlen(mechanisms[m].name) == n &&
		    strncasecmp(p, mechanisms[m].name, n) == 0)
			break;
	if (n == 0 || m == sizeof(mechanisms) / sizeof(mechanisms[0]))
		return "unknown mechanism";
	t->mech = mechanisms[m].mech;
	rest = p + n;
	switch (t->mech) {
	case SPF_MECH_ALL:
		return *rest == '\0' ? NULL : "bad syntax";
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		return parse_spec(t, rest, true);
	case SPF_MECH_PTR:
		return parse_spec(t, rest, false);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		t->cidr4 = 32;
		t->cidr6 = 128;
		return parse_dual(t, rest);
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return parse_ip(t, rest);
	}
	return "unknown mechanism";
}

/* modifier_name - the length of name in name "=" (name = ALPHA *(
 * ALPHA / DIGIT / "-" / "_" / ".")), or 0 when term is a directive */
static size_t
modifier_name(const char *term)
{
	size_t i = 1;

	if (!is_alpha(term[0]))
		return 0;
	while (is_alpha(term[i]) || is_digit(term[i]) || term[i] == '-' ||
	       term[i] == '_' || term[i] == '.')
		i++;
	return term[i] == '=' ? i : 0;
}

/* parse_modifier - redirect=, exp= (each at most once, 6) or an
 * unknown modifier (ignored once its macro-string is checked) */
static const char *
parse_modifier(char *term, size_t namelen, struct spf_record *rec)
{
	const char *value = term + namelen + 1;
	size_t len = strlen(value);
	const char *why;

	if (namelen == 8 && strncasecmp(term, "redirect", 8) == 0) {
		if (rec->redirect != NULL)
			return "redirect= more than once";
		if ((why = spf_spec_check(value, len)) != NULL)
			return why;
		rec->redirect = value;
		rec->redirectlen = len;
	} else if (namelen == 3 && strncasecmp(term, "exp", 3) == 0) {
		if (rec->exp != NULL)
			return "exp= more than once";
		if ((why = spf_spec_check(value, len)) != NULL)
			return why;
		rec->exp = value;
		rec->explen = len;
	} else if (spf_macro_check(value, len, SPF_MACRO_DOMAIN, NULL) !=
	           SPF_MACRO_OK) {
		return "bad macro in modifier";
	}
	return NULL;
}

/* spf_record_parse - the whole record into rec, or -1 and err */
int
spf_record_parse(const char *text, size_t len, struct spf_record *rec,
                 char *err, size_t errlen)
{
	size_t count = 0;
	char *save = NULL;
	char *term;
	int rc = -1;

	memset(rec, 0, sizeof(*rec));
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];

		if (ch < 0x20 || ch > 0x7e) {
			pcl_format(err, errlen, "byte 0x%02x in the record",
			           ch);
			goto out;
		}
		if (ch == ' ' && i + 1 < len && text[i + 1] != ' ')
			count++;
	}
	if (len < 6 || strncasecmp(text, "v=spf1", 6) != 0 ||
	    (len > 6 && text[6] != ' ')) {
		pcl_copy(err, errlen, "not a v=spf1 record");
		goto out;
	}
	rec->text = malloc(len + 1);
	rec->terms = calloc(count ? count : 1, sizeof(*rec->terms));
	if (rec->text == NULL || rec->terms == NULL) {
		pcl_copy(err, errlen, "out of memory");
		goto out;
	}
	memcpy(rec->text, text, len);
	rec->text[len] = '\0';
	/* the version, then one term per run of non-spaces */
	strtok_r(rec->text, " ", &save);
	while ((term = strtok_r(NULL, " ", &save)) != NULL) {
		size_t namelen = modifier_name(term);
		const char *why;

		if (namelen > 0) {
			why = parse_modifier(term, namelen, rec);
		} else {
			why = parse_directive(term, &rec->terms[rec->nterms]);
			rec->nterms++;
		}
		if (why != NULL) {
			pcl_format(err, errlen, "%s: \"%.*s\"", why, TERM_QUOTE,
			           term);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		spf_record_clear(rec);
	return rc;
}

/* spf_record_clear - free a parsed record; a cleared one is safe */
void
spf_record_clear(struct spf_record *rec)
{
	free(rec->text);
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
}
