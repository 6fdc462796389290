/*
 * dnslist - DNS list sites: syntax, query names, answers, scores
 *
 * Site syntax follows postscreen_dnsbl_sites: the weight is split off
 * at the rightmost '*', the filter at the first '=' of what is left,
 * so "zone*3=1.2.3.4" is a bad weight, as in Postfix. A weight is an
 * optional '-' and digits (Postfix refuses '+' too).
 *
 * The DQS key lives only in site->zone and in the query names built
 * from it. Every error text is built from the site as written, with
 * "$dqs_key" unexpanded, and is then redacted once more against the key
 * (ignoring case) as a safety net; a site that spells the key out
 * literally is refused, so site->text never holds it either. The key is
 * kept in its own case inside the zone (DNS does not care) so that
 * pcl_dnsbl_redact(), which is case-sensitive, finds it byte for byte.
 *
 * Names (zones and domains) are checked with the rules of RFC 1035 and
 * RFC 1123 plus the underscore: labels of 1..63 letters, digits, '-' or
 * '_', no '-' at either end of a label, at most 253 characters, and a
 * last label that is not all digits (that is an IP address or a piece
 * of one, never a domain).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnslist.h"
#include "util.h"

#define DNSBL_SITE_MAX PCL_LINE_MAX /* longest site text accepted */
#define DNSBL_QUOTE_MAX 200         /* site text quoted in an error */
#define DNSBL_KEY_MAX 64
#define DNSBL_WEIGHT_MIN (-1000)
#define DNSBL_WEIGHT_MAX 1000
#define DNSBL_REDACTED "<redacted>"

static const char key_plain[] = "$dqs_key";
static const char key_braced[] = "${dqs_key}";

/* put - append n bytes to out[*used]; false (keeping what fits) if cut */
static bool
put(char *out, size_t len, size_t *used, const char *s, size_t n)
{
	bool fits;

	if (len == 0 || *used >= len)
		return false;
	fits = n < len - *used;
	if (!fits)
		n = len - 1 - *used;
	memcpy(out + *used, s, n);
	*used += n;
	out[*used] = '\0';
	return fits;
}

/* redact_into - copy text, every occurrence of key replaced */
static void
redact_into(const char *text, const char *key, bool icase, char *out,
            size_t len)
{
	size_t klen = key ? strlen(key) : 0;
	size_t used = 0;
	bool hit;

	if (out == NULL || len == 0)
		return;
	out[0] = '\0';
	if (text == NULL)
		return;
	while (*text) {
		/* Matched against the whole source, so a key cut by the
		 * end of out is still replaced, never half copied. */
		hit = klen > 0 && (icase ? strncasecmp(text, key, klen)
		                         : strncmp(text, key, klen)) == 0;
		if (hit) {
			if (!put(out, len, &used, DNSBL_REDACTED,
			         sizeof(DNSBL_REDACTED) - 1))
				return;
			text += klen;
		} else {
			if (!put(out, len, &used, text, 1))
				return;
			text++;
		}
	}
}

/* pcl_dnsbl_redact - copy text with every key replaced by "<redacted>" */
void
pcl_dnsbl_redact(const char *text, const char *key, char *out, size_t len)
{
	redact_into(text, key, true, out, len);
}

/* site_fail - format "bad DNSBL site ...: problem" into err, redacted */
static int site_fail(char *err, size_t errlen, const char *text,
                     const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
site_fail(char *err, size_t errlen, const char *text, const char *key,
          const char *fmt, ...)
{
	char quoted[DNSBL_QUOTE_MAX + 1];
	char problem[PCL_ERR_MAX];
	char msg[PCL_ERR_MAX];
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	/* Redact before cutting, so no key prefix survives the cut. */
	redact_into(text, key, true, quoted, sizeof(quoted));
	va_start(ap, fmt);
	if (vsnprintf(problem, sizeof(problem), fmt, ap) < 0)
		problem[0] = '\0';
	va_end(ap);
	(void)pcl_format(msg, sizeof(msg), "bad DNSBL site \"%s\": %s", quoted,
	                 problem);
	redact_into(msg, key, true, err, errlen);
	return -1;
}

/* key_valid - a DQS key is 1..64 ASCII letters and digits */
static bool
key_valid(const char *key)
{
	size_t n = 0;

	for (const char *p = key; *p; p++, n++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return false;
	}
	return n >= 1 && n <= DNSBL_KEY_MAX;
}

/* is_digit - ASCII decimal digit, independent of the locale */
static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* is_name_char - letter, digit, '-' or '_' */
static bool
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       is_digit(c) || c == '-' || c == '_';
}

/* name_check - NULL when name (no trailing dot) is a valid domain,
 * else a static text naming the problem */
static const char *
name_check(const char *name)
{
	const char *label = name;
	bool all_digits = true;
	size_t n;

	if (*name == '\0')
		return "empty name";
	if (strlen(name) > PCL_DOMAIN_MAX)
		return "name longer than 253 characters";
	for (const char *p = name;; p++) {
		if (*p != '.' && *p != '\0') {
			if (!is_name_char(*p))
				return "invalid character in name";
			if (!is_digit(*p))
				all_digits = false;
			continue;
		}
		n = (size_t)(p - label);
		if (n == 0)
			return "empty label in name";
		if (n > PCL_LABEL_MAX)
			return "label longer than 63 characters";
		if (label[0] == '-' || p[-1] == '-')
			return "label starts or ends with '-'";
		if (*p == '\0')
			break;
		label = p + 1;
		all_digits = true;
	}
	if (all_digits)
		return "last label is all digits";
	return NULL;
}

/* parse_weight - optional '-' and 1+ digits in -1000..1000 */
static bool
parse_weight(const char *w, int *out, char *why, size_t whylen)
{
	const char *p = w + (*w == '-');
	bool digits = *p != '\0';
	long v = 0;

	for (; *p && digits; p++) {
		if (!(digits = is_digit(*p)))
			break;
		if (v <= DNSBL_WEIGHT_MAX) /* past it, stop growing */
			v = v * 10 + (*p - '0');
	}
	if (!digits) {
		(void)pcl_format(
		    why, whylen,
		    "bad weight \"%.20s\" (want an integer, e.g. *3 "
		    "or *-2)",
		    w);
		return false;
	}
	if (v > DNSBL_WEIGHT_MAX) {
		(void)pcl_format(why, whylen,
		                 "weight \"%.20s\" out of range %d..%d", w,
		                 DNSBL_WEIGHT_MIN, DNSBL_WEIGHT_MAX);
		return false;
	}
	*out = (int)(*w == '-' ? -v : v);
	return true;
}

/* parse_number - an octet value 0..255 at *pp; advances *pp */
static bool
parse_number(const char **pp, unsigned char *out, char *why, size_t whylen)
{
	const char *p = *pp;
	unsigned v = 0;

	if (!is_digit(*p)) {
		if (*p == '\0')
			(void)pcl_format(why, whylen,
			                 "filter ends where a number is due");
		else
			(void)pcl_format(why, whylen,
			                 "expected a number at \"%.20s\" in "
			                 "filter",
			                 p);
		return false;
	}
	for (; is_digit(*p); p++) {
		if (v <= 255)
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 255) {
		(void)pcl_format(why, whylen,
		                 "octet value %.*s out of range 0..255",
		                 (int)(p - *pp > 20 ? 20 : p - *pp), *pp);
		return false;
	}
	*out = (unsigned char)v;
	*pp = p;
	return true;
}

/* parse_octet - "N" or "[item;item...]" with items "N" or "a..b" */
static bool
parse_octet(const char **pp, struct pcl_dnsbl_octet *o, char *why,
            size_t whylen)
{
	const char *p = *pp;
	unsigned char lo;
	unsigned char hi;

	o->count = 0;
	if (*p != '[') {
		if (!parse_number(&p, &lo, why, whylen))
			return false;
		o->lo[0] = o->hi[0] = lo;
		o->count = 1;
		*pp = p;
		return true;
	}
	p++;
	for (;;) {
		if (!parse_number(&p, &lo, why, whylen))
			return false;
		hi = lo;
		if (strncmp(p, "..", 2) == 0) {
			p += 2;
			if (!parse_number(&p, &hi, why, whylen))
				return false;
			if (lo > hi) {
				(void)pcl_format(why, whylen,
				                 "range %u..%u is backwards",
				                 lo, hi);
				return false;
			}
		}
		if (o->count == PCL_DNSBL_RANGES_MAX) {
			(void)pcl_format(why, whylen,
			                 "more than %d items in one octet",
			                 PCL_DNSBL_RANGES_MAX);
			return false;
		}
		o->lo[o->count] = lo;
		o->hi[o->count] = hi;
		o->count++;
		if (*p == ';') {
			p++;
			continue;
		}
		if (*p == ']')
			break;
		if (*p == '\0')
			(void)pcl_format(why, whylen, "missing ']' in filter");
		else
			(void)pcl_format(why, whylen,
			                 "unexpected '%c' in filter octet, "
			                 "want ';', '..' or ']'",
			                 *p);
		return false;
	}
	*pp = p + 1;
	return true;
}

/* parse_filter - exactly four octet patterns separated by dots */
static bool
parse_filter(const char *f, struct pcl_dnsbl_octet filter[4], char *why,
             size_t whylen)
{
	const char *p = f;

	if (*p == '\0') {
		(void)pcl_format(why, whylen, "empty filter after '='");
		return false;
	}
	for (int i = 0; i < 4; i++) {
		if (!parse_octet(&p, &filter[i], why, whylen))
			return false;
		if (strncmp(p, "..", 2) == 0) {
			(void)pcl_format(why, whylen,
			                 "\"..\" outside brackets: an empty "
			                 "octet, or a range that needs "
			                 "brackets, e.g. [2..11]");
			return false;
		}
		if (i == 3)
			break;
		if (*p == '\0') {
			(void)pcl_format(why, whylen,
			                 "filter has %d octets, want 4", i + 1);
			return false;
		}
		if (*p != '.') {
			(void)pcl_format(why, whylen,
			                 "unexpected '%c' in filter", *p);
			return false;
		}
		p++;
	}
	if (*p == '.') {
		(void)pcl_format(why, whylen,
		                 "filter has more than 4 octets, want 4");
		return false;
	}
	if (*p != '\0') {
		(void)pcl_format(why, whylen, "unexpected '%c' in filter", *p);
		return false;
	}
	return true;
}

/* placeholder_len - length of "$dqs_key"/"${dqs_key}" at p, 0 if none */
static size_t
placeholder_len(const char *p, size_t n)
{
	size_t k = sizeof(key_braced) - 1;

	if (n >= k && strncmp(p, key_braced, k) == 0)
		return k;
	k = sizeof(key_plain) - 1;
	/* "$dqs_keyx" is another (unknown) name, not the key plus "x". */
	if (n >= k && strncmp(p, key_plain, k) == 0 &&
	    (n == k || !(is_name_char(p[k]) && p[k] != '-')))
		return k;
	return 0;
}

/* zone_too_long - the message for a zone that outgrew its buffer */
static bool
zone_too_long(char *why, size_t whylen)
{
	(void)pcl_format(why, whylen, "zone longer than %d characters",
	                 PCL_DOMAIN_MAX);
	return false;
}

/* expand_zone - build the query zone (key substituted, the rest
 * lowercased) and the public name (key labels dropped) from the raw
 * zone raw[0..n); false with why */
static bool
expand_zone(const char *raw, size_t n, const char *key, char *zone, size_t zlen,
            char *pub, size_t plen, bool *secret, char *why, size_t whylen)
{
	size_t zused = 0;
	size_t pused = 0;
	size_t i = 0;
	size_t k;
	char c;

	*secret = false;
	zone[0] = pub[0] = '\0';
	if (n > 0 && raw[n - 1] == '.')
		n--; /* one trailing dot, as in a fully qualified name */
	while (i <= n) {
		size_t end = i;
		bool has_key = false;

		while (end < n && raw[end] != '.')
			end++;
		if (i > 0 && !put(zone, zlen, &zused, ".", 1))
			return zone_too_long(why, whylen);
		for (size_t j = i; j < end; j += k) {
			k = 1;
			if (raw[j] != '$') {
				c = raw[j];
				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				if (!put(zone, zlen, &zused, &c, 1))
					return zone_too_long(why, whylen);
				continue;
			}
			k = placeholder_len(raw + j, end - j);
			if (k == 0) {
				(void)pcl_format(why, whylen,
				                 "'$' in zone must start "
				                 "$dqs_key or ${dqs_key}");
				return false;
			}
			if (key == NULL || *key == '\0') {
				(void)pcl_format(why, whylen,
				                 "zone uses $dqs_key but no "
				                 "DQS key is configured");
				return false;
			}
			if (!key_valid(key)) {
				(void)pcl_format(why, whylen,
				                 "the DQS key must be 1 to %d "
				                 "letters and digits",
				                 DNSBL_KEY_MAX);
				return false;
			}
			if (!put(zone, zlen, &zused, key, strlen(key)))
				return zone_too_long(why, whylen);
			has_key = true;
		}
		if (has_key) {
			*secret = true;
		} else {
			/* Empty labels are reported by name_check. */
			if (pused > 0)
				(void)put(pub, plen, &pused, ".", 1);
			for (size_t j = i; j < end; j++) {
				c = raw[j];
				if (c >= 'A' && c <= 'Z')
					c = (char)(c - 'A' + 'a');
				(void)put(pub, plen, &pused, &c, 1);
			}
		}
		i = end + 1;
	}
	return true;
}

/* contains_key - does text hold key (any case) outside "$dqs_key" */
static bool
contains_key(const char *text, const char *key)
{
	size_t klen = strlen(key);
	size_t n = strlen(text);
	size_t k;

	for (size_t i = 0; i < n; i++) {
		/* A short key ("dqs") must not match the placeholder. */
		if ((k = placeholder_len(text + i, n - i)) > 0) {
			i += k - 1;
			continue;
		}
		if (strncasecmp(text + i, key, klen) == 0)
			return true;
	}
	return false;
}

/* pcl_dnsbl_site_parse - parse "zone[=filter][*weight]" */
int
pcl_dnsbl_site_parse(const char *text, const char *dqs_key,
                     const char *public_name, struct pcl_dnsbl_site *out,
                     char *err, size_t errlen)
{
	char buf[DNSBL_SITE_MAX + 1];
	char zone[PCL_DOMAIN_MAX + 1];
	char pub[PCL_DOMAIN_MAX + 1];
	char why[PCL_ERR_MAX];
	const char *problem;
	char *weight;
	char *filter;
	bool secret;
	bool has_key = dqs_key != NULL && *dqs_key != '\0';
	int rc = -1;

	zone[0] = '\0';
	if (out == NULL)
		return site_fail(err, errlen, "", NULL, "no output");
	memset(out, 0, sizeof(*out));
	out->weight = 1;
	if (text == NULL || *text == '\0') {
		site_fail(err, errlen, "", dqs_key, "empty site");
		goto out;
	}
	if (!pcl_copy(buf, sizeof(buf), text)) {
		site_fail(err, errlen, text, dqs_key,
		          "longer than %d characters", DNSBL_SITE_MAX);
		goto out;
	}
	/*
	 * Before any message quotes a piece of the text (site_fail redacts
	 * the whole quote before cutting it, so the length check may come
	 * first). An invalid key is otherwise reported only where used.
	 */
	if (has_key &&
	    (contains_key(text, dqs_key) ||
	     (public_name != NULL && contains_key(public_name, dqs_key)))) {
		if (!key_valid(dqs_key))
			site_fail(err, errlen, text, dqs_key,
			          "the DQS key must be 1 to %d letters and "
			          "digits",
			          DNSBL_KEY_MAX);
		else if (contains_key(text, dqs_key))
			site_fail(err, errlen, text, dqs_key,
			          "contains the DQS key itself; write "
			          "$dqs_key instead");
		else
			site_fail(err, errlen, text, dqs_key,
			          "public name contains the DQS key");
		goto out;
	}
	if ((weight = strrchr(buf, '*')) != NULL) {
		*weight++ = '\0';
		if (!parse_weight(weight, &out->weight, why, sizeof(why))) {
			site_fail(err, errlen, text, dqs_key, "%s", why);
			goto out;
		}
	}
	if ((filter = strchr(buf, '=')) != NULL) {
		*filter++ = '\0';
		if (!parse_filter(filter, out->filter, why, sizeof(why))) {
			site_fail(err, errlen, text, dqs_key, "%s", why);
			goto out;
		}
		out->has_filter = true;
	}
	if (buf[0] == '\0') {
		site_fail(err, errlen, text, dqs_key,
		          "missing zone before '=' or '*'");
		goto out;
	}
	if (!expand_zone(buf, strlen(buf), dqs_key, zone, sizeof(zone), pub,
	                 sizeof(pub), &secret, why, sizeof(why))) {
		site_fail(err, errlen, text, dqs_key, "%s", why);
		goto out;
	}
	if ((problem = name_check(zone)) != NULL) {
		site_fail(err, errlen, text, dqs_key, "zone: %s", problem);
		goto out;
	}
	if (secret && pub[0] == '\0') {
		site_fail(err, errlen, text, dqs_key,
		          "zone has no labels besides $dqs_key");
		goto out;
	}
	out->secret = secret;
	out->zone = strdup(zone);
	out->text = strdup(text);
	out->public_name = strdup(
	    public_name != NULL && *public_name != '\0' ? public_name : pub);
	if (out->zone == NULL || out->text == NULL ||
	    out->public_name == NULL) {
		site_fail(err, errlen, text, dqs_key, "out of memory");
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(zone, sizeof(zone));
	if (rc < 0)
		pcl_dnsbl_site_clear(out);
	return rc;
}

/* pcl_dnsbl_site_clear - free a site's strings (the zone wiped first) */
void
pcl_dnsbl_site_clear(struct pcl_dnsbl_site *s)
{
	if (s == NULL)
		return;
	if (s->zone != NULL)
		explicit_bzero(s->zone, strlen(s->zone));
	free(s->zone);
	free(s->public_name);
	free(s->text);
	memset(s, 0, sizeof(*s));
}

/* octet_match - is v in one of the octet pattern's ranges */
static bool
octet_match(const struct pcl_dnsbl_octet *o, unsigned char v)
{
	for (size_t i = 0; i < o->count && i < PCL_DNSBL_RANGES_MAX; i++) {
		if (v >= o->lo[i] && v <= o->hi[i])
			return true;
	}
	return false;
}

/* pcl_dnsbl_filter_match - an A answer against the filter, or 127/8 */
bool
pcl_dnsbl_filter_match(const struct pcl_dnsbl_site *s,
                       const struct pcl_addr *answer)
{
	if (s == NULL || answer == NULL || answer->family != AF_INET)
		return false; /* AAAA answers never list anything */
	if (!s->has_filter)
		return answer->bytes[0] == 127;
	for (int i = 0; i < 4; i++) {
		if (!octet_match(&s->filter[i], answer->bytes[i]))
			return false;
	}
	return true;
}

/* error_meaning - the text of an error code, or NULL for no error */
static const char *
error_meaning(const struct pcl_addr *a, bool domain_list)
{
	const unsigned char *b = a->bytes;

	if (a->family != AF_INET || b[0] != 127)
		return NULL;
	if (b[1] == 255 && b[2] == 255) {
		switch (b[3]) {
		case 252:
			return "typing error in DNSBL name";
		case 254:
			return "query via public or open resolver";
		case 255:
			return "excessive number of queries";
		default:
			return "list error code";
		}
	}
	if (domain_list && b[1] == 0 && b[3] == 255) {
		if (b[2] == 1)
			return "DBL: query via public or open resolver / "
			       "error";
		if (b[2] == 2)
			return "ZRD: query via public or open resolver / "
			       "error";
	}
	return NULL;
}

/* pcl_dnsbl_classify - error code, listing or nothing */
enum pcl_dnsbl_answer_kind
pcl_dnsbl_classify(const struct pcl_dnsbl_site *s,
                   const struct pcl_addr *answers, size_t n, bool domain_list,
                   struct pcl_addr *code, const char **meaning)
{
	const char *m;

	if (code != NULL)
		memset(code, 0, sizeof(*code));
	if (meaning != NULL)
		*meaning = NULL;
	if (answers == NULL)
		return PCL_DNSBL_NOT_LISTED;
	/* Errors first: one in the answer outweighs any listing. */
	for (size_t i = 0; i < n; i++) {
		if ((m = error_meaning(&answers[i], domain_list)) == NULL)
			continue;
		if (code != NULL)
			*code = answers[i];
		if (meaning != NULL)
			*meaning = m;
		return PCL_DNSBL_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		if (!pcl_dnsbl_filter_match(s, &answers[i]))
			continue;
		if (code != NULL)
			*code = answers[i];
		return PCL_DNSBL_LISTED;
	}
	return PCL_DNSBL_NOT_LISTED;
}

/* pcl_dnsbl_ip_query - reversed octets or nibbles, then the zone */
bool
pcl_dnsbl_ip_query(const struct pcl_addr *client, const char *zone, char *out,
                   size_t len)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
	                                         0, 0, 0, 0, 0xff, 0xff};
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b;
	char rev[64 + 1];
	size_t r = 0;
	bool v4;
	bool ok;

	if (out == NULL || len == 0)
		return false;
	out[0] = '\0';
	if (client == NULL || zone == NULL || *zone == '\0')
		return false;
	b = client->bytes;
	if (client->family == AF_INET) {
		v4 = true;
	} else if (client->family == AF_INET6) {
		/* addr unwraps these; a hand-built one is IPv4 all the same */
		v4 = memcmp(b, mapped, sizeof(mapped)) == 0;
		if (v4)
			b += sizeof(mapped);
	} else {
		return false;
	}
	if (v4) {
		ok = pcl_format(out, len, "%u.%u.%u.%u.%s", b[3], b[2], b[1],
		                b[0], zone);
	} else {
		/* Least significant nibble first: low half, then high. */
		for (int i = 15; i >= 0; i--) {
			rev[r++] = hex[b[i] & 0x0f];
			rev[r++] = '.';
			rev[r++] = hex[b[i] >> 4];
			rev[r++] = '.';
		}
		rev[r] = '\0';
		ok = pcl_format(out, len, "%s%s", rev, zone);
	}
	if (!ok || strlen(out) > PCL_DOMAIN_MAX) {
		out[0] = '\0'; /* never a cut name */
		return false;
	}
	return true;
}

/* pcl_dnsbl_domain_query - "domain.zone"; never an IP literal */
bool
pcl_dnsbl_domain_query(const char *domain, const char *zone, char *out,
                       size_t len)
{
	char name[PCL_DOMAIN_MAX + 2];
	struct pcl_addr a;
	size_t n;

	if (out == NULL || len == 0)
		return false;
	out[0] = '\0';
	if (domain == NULL || zone == NULL || *zone == '\0')
		return false;
	/* "[1.2.3.4]", "[IPv6:...]" and a bare "IPv6:..." tag. */
	if (domain[0] == '[' || strncasecmp(domain, "IPv6:", 5) == 0)
		return false;
	if (!pcl_copy(name, sizeof(name), domain))
		return false;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		name[--n] = '\0';
	if (n == 0 || pcl_addr_parse(name, &a) == 0)
		return false;
	pcl_lower(name);
	if (name_check(name) != NULL)
		return false;
	if (n + 1 + strlen(zone) > PCL_DOMAIN_MAX)
		return false;
	if (!pcl_format(out, len, "%s.%s", name, zone)) {
		out[0] = '\0';
		return false;
	}
	return true;
}
