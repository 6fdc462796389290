/*
 * access - access(5) results and Postfix's lookup order
 *
 * Results, as Postfix's smtpd_check.c reads them (keywords in any case):
 *
 *   OK, PERMIT, RELAY, all digits    PCL_ACCESS_OK (trailing text kept,
 *                                    Postfix ignores it); note that a
 *                                    bare "550" is all digits, so OK
 *   REJECT [5.x.x] [text]            PCL_ACCESS_REJECT, code 0
 *   DEFER [4.x.x] [text]             PCL_ACCESS_DEFER, code 0
 *   DEFER_IF_PERMIT, DEFER_IF_REJECT PCL_ACCESS_DEFER: a milter cannot
 *                                    hold a verdict until the rest of
 *                                    the restrictions have run, so both
 *                                    become a plain temporary failure
 *   4NN|5NN [d.d.d] text             DEFER or REJECT with that code
 *   DISCARD|HOLD|WARN [text]         text kept as written
 *   PREPEND name: value              header name checked (RFC 5322)
 *   DUNNO [text]                     found, but no decision
 *
 * An enhanced status code must have the class of the reply (5.x.x for
 * REJECT and 5NN, 4.x.x for DEFER and 4NN): Postfix would silently
 * rewrite it, here it is an error. Anything else (restriction names such
 * as reject_unverified_sender, FILTER, REDIRECT, BCC, a nested map) is
 * an error that names the word. Control characters in text are replaced
 * by '?': text may carry $n from an SMTP client's own words.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "access.h"
#include "addr.h"
#include "util.h"

/* The key looked up for the null sender (Postfix smtpd_null_access_lookup_key)
 */
#define ACCESS_NULL_KEY "<>"

static const struct {
	const char *word;
	enum pcl_access_kind kind;
	char dsn_class; /* '4' or '5' when text may start with d.d.d */
} access_words[] = {
    {"OK", PCL_ACCESS_OK, 0},
    {"PERMIT", PCL_ACCESS_OK, 0},
    {"RELAY", PCL_ACCESS_OK, 0},
    {"DUNNO", PCL_ACCESS_DUNNO, 0},
    {"REJECT", PCL_ACCESS_REJECT, '5'},
    {"DEFER", PCL_ACCESS_DEFER, '4'},
    {"DEFER_IF_PERMIT", PCL_ACCESS_DEFER, '4'},
    {"DEFER_IF_REJECT", PCL_ACCESS_DEFER, '4'},
    {"DISCARD", PCL_ACCESS_DISCARD, 0},
    {"HOLD", PCL_ACCESS_HOLD, 0},
    {"WARN", PCL_ACCESS_WARN, 0},
    {"PREPEND", PCL_ACCESS_PREPEND, 0},
};

/* all_digits - non-empty and only 0-9 */
static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* dsn_length - length of a leading RFC 3463 code "c.sss.ddd", or 0 */
static size_t
dsn_length(const char *s)
{
	size_t i = 1;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return 0;
	for (int part = 0; part < 2; part++) {
		size_t start;

		if (s[i++] != '.')
			return 0;
		for (start = i; isdigit((unsigned char)s[i]); i++)
			;
		if (i == start || i - start > 3)
			return 0;
	}
	return s[i] == '\0' || isspace((unsigned char)s[i]) ? i : 0;
}

/* header_ok - "Name: value" with an RFC 5322 field name */
static bool
header_ok(const char *s)
{
	const char *p = s;

	for (; *p != '\0' && *p != ':'; p++)
		if (*p < 33 || *p > 126)
			return false;
	return p != s && *p == ':';
}

/* set_text - copy text into out, control characters made '?' */
static int
set_text(struct pcl_access_result *out, const char *text, char *err,
         size_t errlen)
{
	if (!pcl_copy(out->text, sizeof(out->text), text)) {
		pcl_format(err, errlen, "access(5) text longer than %zu bytes",
		           sizeof(out->text) - 1);
		return -1;
	}
	for (char *p = out->text; *p != '\0'; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			*p = '?';
	return 0;
}

/* pcl_access_parse - parse an access(5) result */
int
pcl_access_parse(const char *value, struct pcl_access_result *out, char *err,
                 size_t errlen)
{
	struct pcl_access_result r;
	char buf[PCL_TABLE_RESULT_MAX + 1];
	char *word;
	char *text;
	size_t wlen;
	size_t i;
	char dsn_class = 0;

	memset(&r, 0, sizeof(r));
	if (value == NULL || !pcl_copy(buf, sizeof(buf), value)) {
		pcl_format(err, errlen, "access(5) result %s",
		           value ? "too long" : "missing");
		return -1;
	}
	word = pcl_trim(buf);
	if (*word == '\0') {
		pcl_format(err, errlen, "empty access(5) result");
		return -1;
	}
	wlen = strcspn(word, " \t");
	for (text = word + wlen; isspace((unsigned char)*text); text++)
		;
	word[wlen] = '\0';
	if (all_digits(word, wlen) && *text == '\0') {
		r.kind = PCL_ACCESS_OK; /* as Postfix: all-numeric is OK */
	} else if (wlen == 3 && all_digits(word, wlen)) {
		if (word[0] != '4' && word[0] != '5') {
			pcl_format(err, errlen,
			           "unsupported reply code %s in access(5) "
			           "result (want 4NN or 5NN)",
			           word);
			return -1;
		}
		r.kind = word[0] == '4' ? PCL_ACCESS_DEFER : PCL_ACCESS_REJECT;
		r.code = atoi(word);
		dsn_class = word[0];
	} else {
		for (i = 0; i < sizeof(access_words) / sizeof(access_words[0]);
		     i++)
			if (strcasecmp(word, access_words[i].word) == 0)
				break;
		if (i == sizeof(access_words) / sizeof(access_words[0])) {
			pcl_format(err, errlen,
			           "unsupported access(5) action: %.64s", word);
			return -1;
		}
		r.kind = access_words[i].kind;
		dsn_class = access_words[i].dsn_class;
	}
	if (dsn_class != 0 && (wlen = dsn_length(text)) > 0) {
		if (text[0] != dsn_class) {
			pcl_format(err, errlen,
			           "enhanced status code %.*s does not match "
			           "%s (want %c.x.x)",
			           (int)wlen, text, word, dsn_class);
			return -1;
		}
		memcpy(r.enhanced, text, wlen);
		r.enhanced[wlen] = '\0';
		for (text += wlen; isspace((unsigned char)*text); text++)
			;
	}
	if (r.kind == PCL_ACCESS_PREPEND && !header_ok(text)) {
		pcl_format(
		    err, errlen,
		    "PREPEND wants \"Header-Name: value\", got \"%.64s\"",
		    text);
		return -1;
	}
	if (set_text(&r, text, err, errlen) < 0)
		return -1;
	if (out != NULL)
		*out = r;
	return 0;
}

/* pcl_access_check_value - a pcl_table_check_fn for pcl_table_open */
int
pcl_access_check_value(const char *value, char *err, size_t errlen)
{
	struct pcl_access_result r;

	return pcl_access_parse(value, &r, err, errlen);
}

/* One search of one table. */
struct access_search {
	const struct pcl_table *t;
	struct pcl_access_result *out;
	char *matched;
	size_t matchedlen;
	char *err;
	size_t errlen;
};

/* try_key - one lookup; a found result is parsed into s->out */
static enum pcl_table_status
try_key(struct access_search *s, const char *key)
{
	char value[PCL_TABLE_RESULT_MAX + 1];
	char why[PCL_ERR_MAX];
	enum pcl_table_status st;

	st = pcl_table_lookup_err(s->t, key, value, sizeof(value), why,
	                          sizeof(why));
	if (st == PCL_TABLE_ERROR) {
		pcl_format(s->err, s->errlen, "%s", why);
		return st;
	}
	if (st != PCL_TABLE_FOUND)
		return PCL_TABLE_NOTFOUND;
	if (pcl_access_parse(value, s->out, why, sizeof(why)) < 0) {
		pcl_format(s->err, s->errlen, "%s: key \"%.100s\": %s",
		           pcl_table_spec(s->t), key, why);
		return PCL_TABLE_ERROR;
	}
	if (s->matched != NULL && s->matchedlen > 0)
		pcl_copy(s->matched, s->matchedlen, key);
	return PCL_TABLE_FOUND;
}

/* domain_search - name, then ".parent" and "parent" up to the TLD */
static enum pcl_table_status
domain_search(struct access_search *s, const char *name)
{
	struct pcl_addr unused;
	enum pcl_table_status st;
	const char *p;
	const char *dot;

	if (*name == '\0')
		return PCL_TABLE_NOTFOUND;
	if ((st = try_key(s, name)) != PCL_TABLE_NOTFOUND)
		return st;
	/* Pattern tables see the whole key only; an address (bare or
	 * "[literal]") has no parent domains. */
	if (pcl_table_is_pattern(s->t) || pcl_addr_parse(name, &unused) == 0)
		return PCL_TABLE_NOTFOUND;
	for (p = name; (dot = strchr(p + 1, '.')) != NULL && dot[1] != '\0';
	     p = dot + 1) {
		/* ".example.com" first: the subdomain-only entry is the
		 * more specific one when an admin has both. */
		if ((st = try_key(s, dot)) != PCL_TABLE_NOTFOUND ||
		    (st = try_key(s, dot + 1)) != PCL_TABLE_NOTFOUND)
			return st;
	}
	return PCL_TABLE_NOTFOUND;
}

/* addr_search - the address, then without trailing octets or groups */
static enum pcl_table_status
addr_search(struct access_search *s, const char *text)
{
	char key[PCL_ADDR_TEXT_MAX];
	struct pcl_addr a;
	enum pcl_table_status st;
	char *cut;

	if (pcl_addr_parse(text, &a) < 0) {
		pcl_format(s->err, s->errlen,
		           "client address \"%.60s\" is not an IP address",
		           text);
		return PCL_TABLE_ERROR;
	}
	pcl_addr_format(&a, key, sizeof(key));
	/* Postfix cuts the text at the last '.' or ':' each time:
	 * 2001:db8::1, 2001:db8:, 2001:db8, 2001. */
	for (;;) {
		if (*key != '\0' &&
		    (st = try_key(s, key)) != PCL_TABLE_NOTFOUND)
			return st;
		if (pcl_table_is_pattern(s->t) ||
		    (cut = strrchr(key, a.family == AF_INET ? '.' : ':')) ==
		        NULL)
			return PCL_TABLE_NOTFOUND;
		*cut = '\0';
	}
}

/* mail_search - user@domain, domain and parents, user@ */
static enum pcl_table_status
mail_search(struct access_search *s, const char *addr,
            enum pcl_access_class cls)
{
	char local[PCL_ADDRESS_MAX + 2];
	enum pcl_table_status st;
	const char *at;
	size_t n;

	if (*addr == '\0')
		return cls == PCL_ACCESS_SENDER ? try_key(s, ACCESS_NULL_KEY)
		                                : PCL_TABLE_NOTFOUND;
	if ((st = try_key(s, addr)) != PCL_TABLE_NOTFOUND ||
	    pcl_table_is_pattern(s->t))
		return st;
	at = strrchr(addr, '@');
	if (at != NULL && (st = domain_search(s, at + 1)) != PCL_TABLE_NOTFOUND)
		return st;
	/* "user@"; an address without a domain is all local part */
	n = at != NULL ? (size_t)(at - addr) : strlen(addr);
	if (n == 0 || n + 2 > sizeof(local))
		return PCL_TABLE_NOTFOUND;
	memcpy(local, addr, n);
	local[n] = '@';
	local[n + 1] = '\0';
	return try_key(s, local);
}

/* pcl_access_lookup - search t for the identity, in Postfix's order */
enum pcl_table_status
pcl_access_lookup(const struct pcl_table *t, enum pcl_access_class cls,
                  const char *key, const char *addr,
                  struct pcl_access_result *out, char *matched,
                  size_t matchedlen, char *err, size_t errlen)
{
	struct pcl_access_result unused;
	struct access_search s = {
	    t, out ? out : &unused, matched, matchedlen, err, errlen};
	enum pcl_table_status st = PCL_TABLE_NOTFOUND;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (matched != NULL && matchedlen > 0)
		matched[0] = '\0';
	memset(s.out, 0, sizeof(*s.out));
	if (t == NULL)
		return PCL_TABLE_NOTFOUND;
	switch (cls) {
	case PCL_ACCESS_CLIENT:
		/* "unknown" is Postfix's name for a client without one. */
		if (key != NULL && strcasecmp(key, "unknown") != 0 &&
		    !pcl_table_is_cidr(t))
			st = domain_search(&s, key);
		if (st == PCL_TABLE_NOTFOUND && addr != NULL && *addr != '\0')
			st = addr_search(&s, addr);
		break;
	case PCL_ACCESS_HELO:
		if (key != NULL)
			st = domain_search(&s, key);
		break;
	case PCL_ACCESS_SENDER:
	case PCL_ACCESS_RECIPIENT:
		if (key != NULL)
			st = mail_search(&s, key, cls);
		break;
	}
	return st;
}
