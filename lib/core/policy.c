/*
 * policy - actions, replies and findings
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "util.h"

static const char *const action_names[] = {
    [PCL_ACT_ACCEPT] = "accept",         [PCL_ACT_TAG] = "tag",
    [PCL_ACT_QUARANTINE] = "quarantine", [PCL_ACT_DISCARD] = "discard",
    [PCL_ACT_TEMPFAIL] = "tempfail",     [PCL_ACT_REJECT] = "reject",
};

static const char *const onerr_names[] = {
    [PCL_ONERR_ACCEPT] = "accept",
    [PCL_ONERR_TEMPFAIL] = "tempfail",
    [PCL_ONERR_REJECT] = "reject",
};

static const char *const stage_names[] = {
    [PCL_STAGE_CONNECT] = "connect", [PCL_STAGE_HELO] = "helo",
    [PCL_STAGE_MAIL] = "mail",       [PCL_STAGE_RCPT] = "rcpt",
    [PCL_STAGE_DATA] = "data",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* pcl_action_parse - action word to enum */
int
pcl_action_parse(const char *word, enum pcl_action *out)
{
	for (size_t i = 0; i < COUNT(action_names); i++)
		if (strcasecmp(word, action_names[i]) == 0) {
			*out = (enum pcl_action)i;
			return 0;
		}
	return -1;
}

/* pcl_action_name - enum to action word */
const char *
pcl_action_name(enum pcl_action a)
{
	return (size_t)a < COUNT(action_names) ? action_names[a] : "?";
}

/* pcl_on_error_parse - on_error word to enum */
int
pcl_on_error_parse(const char *word, enum pcl_on_error *out)
{
	for (size_t i = 0; i < COUNT(onerr_names); i++)
		if (strcasecmp(word, onerr_names[i]) == 0) {
			*out = (enum pcl_on_error)i;
			return 0;
		}
	return -1;
}

/* pcl_on_error_name - enum to on_error word */
const char *
pcl_on_error_name(enum pcl_on_error e)
{
	return (size_t)e < COUNT(onerr_names) ? onerr_names[e] : "?";
}

/* pcl_on_error_action - the action an on_error word stands for */
enum pcl_action
pcl_on_error_action(enum pcl_on_error e)
{
	switch (e) {
	case PCL_ONERR_TEMPFAIL:
		return PCL_ACT_TEMPFAIL;
	case PCL_ONERR_REJECT:
		return PCL_ACT_REJECT;
	case PCL_ONERR_ACCEPT:
		break;
	}
	return PCL_ACT_ACCEPT;
}

/* pcl_stage_name - enum to stage word */
const char *
pcl_stage_name(enum pcl_stage s)
{
	return (size_t)s < COUNT(stage_names) ? stage_names[s] : "?";
}

/* parse_enhanced - read "D.DDD.DDD" at p; length consumed or 0 */
static size_t
parse_enhanced(const char *p, char *out, size_t outlen)
{
	size_t n = 0, digits;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return 0;
	if (p[1] != '.')
		return 0;
	n = 2;
	for (int part = 0; part < 2; part++) {
		for (digits = 0; isdigit((unsigned char)p[n]); digits++)
			n++;
		if (digits == 0 || digits > 3)
			return 0;
		if (part == 0 && p[n++] != '.')
			return 0;
	}
	if (p[n] != '\0' && p[n] != ' ' && p[n] != '\t')
		return 0;
	if (n >= outlen)
		return 0;
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

/* pcl_reply_parse - parse "550 5.7.1 text" */
int
pcl_reply_parse(const char *spec, struct pcl_reply *out, char *err,
                size_t errlen)
{
	const char *p = spec;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) &&
	    (p[3] == ' ' || p[3] == '\t' || p[3] == '\0')) {
		out->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + p[2] - '0';
		if (out->code < 400 || out->code > 599) {
			pcl_format(err, errlen,
			           "reply code %d is not 4xx or 5xx",
			           out->code);
			return -1;
		}
		p += 3;
		while (*p == ' ' || *p == '\t')
			p++;
		n = parse_enhanced(p, out->enhanced, sizeof(out->enhanced));
		if (n > 0) {
			if (out->enhanced[0] - '0' != out->code / 100) {
				pcl_format(err, errlen,
				           "enhanced status code %s does not "
				           "match reply code %d",
				           out->enhanced, out->code);
				return -1;
			}
			p += n;
			while (*p == ' ' || *p == '\t')
				p++;
		}
	}
	for (const char *q = p; *q; q++)
		if (((unsigned char)*q < ' ' && *q != '\t') || *q == 0x7f) {
			pcl_format(err, errlen, "control character in reply");
			return -1;
		}
	if (strlen(p) >= sizeof(out->text)) {
		pcl_format(err, errlen, "reply text longer than %d characters",
		           PCL_REPLY_TEXT_MAX - 1);
		return -1;
	}
	pcl_copy(out->text, sizeof(out->text), p);
	return 0;
}

/* known_code - a reply code of RFC 5321 (and 3463/4954) in 4xx/5xx */
static bool
known_code(int code)
{
	static const int known[] = {421, 450, 451, 452, 454, 455, 500, 501,
	                            502, 503, 504, 521, 530, 534, 535, 538,
	                            550, 551, 552, 553, 554, 555, 556};

	for (size_t i = 0; i < COUNT(known); i++)
		if (known[i] == code)
			return true;
	return false;
}

/* pcl_reply_set - a reply whose class matches the action */
void
pcl_reply_set(struct pcl_reply *r, enum pcl_action a, int code,
              const char *enhanced, const char *text)
{
	int want = a == PCL_ACT_TEMPFAIL ? 4 : 5;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (a != PCL_ACT_TEMPFAIL && a != PCL_ACT_REJECT)
		return;
	if (code >= 400 && code <= 599)
		code = want * 100 + code % 100;
	/* 501 as a tempfail would be 401, which no client knows: codes
	 * that do not exist in the wanted class take its default. */
	if (!known_code(code))
		code = want == 4 ? 451 : 550;
	r->code = code;
	if (enhanced && *enhanced &&
	    pcl_copy(r->enhanced, sizeof(r->enhanced), enhanced))
		r->enhanced[0] = (char)('0' + want);
	else
		pcl_copy(r->enhanced, sizeof(r->enhanced),
		         want == 4 ? "4.7.1" : "5.7.1");
	if (text == NULL || *text == '\0')
		text = want == 4 ? "Service unavailable - try again later"
		                 : "Command rejected";
	/* Cut on a character boundary: never inside a UTF-8 sequence. */
	n = strlen(text);
	if (n >= sizeof(r->text)) {
		n = sizeof(r->text) - 1;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(r->text, text, n);
	r->text[n] = '\0';
	for (char *p = r->text; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
}

/* pcl_reply_format - "550 5.7.1 text" */
void
pcl_reply_format(const struct pcl_reply *r, char *buf, size_t len)
{
	if (r->code == 0)
		pcl_copy(buf, len, r->text);
	else if (r->enhanced[0])
		pcl_format(buf, len, "%d %s %s", r->code, r->enhanced, r->text);
	else
		pcl_format(buf, len, "%d %s", r->code, r->text);
}

/* pcl_reply_milter_text - double every '%' for smfi_setreply */
bool
pcl_reply_milter_text(const struct pcl_reply *r, char *buf, size_t len)
{
	size_t n = 0;

	if (len == 0)
		return false;
	for (const char *p = r->text; *p; p++) {
		size_t need = *p == '%' ? 2 : 1;

		if (n + need >= len) {
			buf[n] = '\0';
			return false;
		}
		buf[n++] = *p;
		if (*p == '%')
			buf[n++] = '%';
	}
	buf[n] = '\0';
	return true;
}

/* pcl_action_rank - strength of an action */
int
pcl_action_rank(enum pcl_action a)
{
	switch (a) {
	case PCL_ACT_REJECT:
		return 5;
	case PCL_ACT_TEMPFAIL:
		return 4;
	case PCL_ACT_DISCARD:
		return 3;
	case PCL_ACT_QUARANTINE:
		return 2;
	case PCL_ACT_TAG:
		return 1;
	case PCL_ACT_ACCEPT:
		break;
	}
	return 0;
}

/* pcl_finding_stronger - does a win over b */
bool
pcl_finding_stronger(const struct pcl_finding *a, const struct pcl_finding *b)
{
	return pcl_action_rank(a->action) > pcl_action_rank(b->action);
}

/* pcl_header_list_add - append a header to a list */
bool
pcl_header_list_add(struct pcl_header_list *h, const char *name,
                    const char *value)
{
	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4;
		struct pcl_add_header *items;

		items = realloc(h->items, cap * sizeof(*items));
		if (items == NULL)
			return false;
		h->items = items;
		h->cap = cap;
	}
	h->items[h->count].name = strdup(name);
	h->items[h->count].value = strdup(value);
	if (h->items[h->count].name == NULL ||
	    h->items[h->count].value == NULL) {
		free(h->items[h->count].name);
		free(h->items[h->count].value);
		return false;
	}
	h->count++;
	return true;
}

/* pcl_header_list_clear - empty a header list */
void
pcl_header_list_clear(struct pcl_header_list *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->items[i].name);
		free(h->items[i].value);
	}
	free(h->items);
	memset(h, 0, sizeof(*h));
}
