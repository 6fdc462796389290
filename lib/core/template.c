/*
 * template - $variable expansion for reply texts
 *
 * Postfix's syntax: "$name", "${name}", "$$" for "$", and the
 * conditionals "${name?text}" (text when name has a non-empty value)
 * and "${name:text}" (text when it has none); text may hold variables
 * itself, as in Postfix's default rbl reply "${rbl_reason?; $rbl_reason}".
 * One walker serves both the load-time check (every branch visited,
 * every name verified) and the expansion.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "template.h"
#include "util.h"

const char *const pcl_template_vars_session[] = {
    "client_address", "client_name", "helo_name", "sender",
    "recipient",      "myhostname",  "check",     NULL,
};

const char *const pcl_template_vars_rbl[] = {
    "client_address", "client_name", "helo_name",  "sender",    "recipient",
    "myhostname",     "check",       "rbl_code",   "rbl_class", "rbl_what",
    "rbl_domain",     "rbl_txt",     "rbl_reason", NULL,
};

const char *const pcl_template_vars_spf[] = {
    "client_address",  "client_name", "helo_name", "sender",
    "recipient",       "myhostname",  "check",     "spf_result",
    "spf_explanation", "spf_problem", NULL,
};

const char *const pcl_template_vars_dmarc[] = {
    "client_address", "client_name", "helo_name", "sender",
    "recipient",      "myhostname",  "check",     "dmarc_domain",
    "dmarc_policy",   NULL,
};

/* The state of one check or expansion. */
struct walk {
	const char *const *vars;       /* check: the known names */
	pcl_template_lookup_fn lookup; /* expand: where values come from */
	void *ctx;
	char *buf;
	size_t len, used;
	bool cut;  /* expand: output did not fit */
	char *err; /* check: the first error */
	size_t errlen;
	bool failed;
};

/* fail - record a check error: what, then the text concerned */
static void
fail(struct walk *w, const char *what, const char *arg)
{
	if (!w->failed && w->err)
		pcl_format(w->err, w->errlen, "%s%s%s", what, arg,
		           what[strlen(what) - 1] == '"' ? "\"" : "");
	w->failed = true;
}

/* put - append n bytes of s, control characters as '?' */
static void
put(struct walk *w, const char *s, size_t n)
{
	if (w->buf == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (w->used + 1 >= w->len) {
			w->cut = true;
			return;
		}
		w->buf[w->used++] = (c < ' ' || c == 0x7f) ? '?' : (char)c;
	}
}

/* value - a variable's value; in check mode verify the name */
static const char *
value(struct walk *w, const char *name)
{
	if (w->vars) {
		for (size_t i = 0; w->vars[i]; i++)
			if (strcmp(w->vars[i], name) == 0)
				return "x"; /* known: visit both branches */
		fail(w, "unknown variable $", name);
		return NULL;
	}
	return w->lookup(name, w->ctx);
}

/* read_name - a variable name at p into name; NULL if none/too long */
static const char *
read_name(const char *p, const char *end, char *name, size_t len)
{
	size_t n = 0;

	while (p < end && (isalnum((unsigned char)*p) || *p == '_')) {
		if (n + 1 >= len)
			return NULL;
		name[n++] = *p++;
	}
	name[n] = '\0';
	return n ? p : NULL;
}

/* closing - the '}' that closes a conditional's text, or NULL */
static const char *
closing(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth-- == 0)
			return p;
	}
	return NULL;
}

/* walk - check or expand [p, end) */
static void
walk(struct walk *w, const char *p, const char *end)
{
	char name[PCL_TEMPLATE_NAME_MAX + 1];

	while (p < end && !w->failed) {
		const char *dollar = memchr(p, '$', (size_t)(end - p));
		const char *v, *close;
		bool braced;

		if (dollar == NULL) {
			put(w, p, (size_t)(end - p));
			return;
		}
		put(w, p, (size_t)(dollar - p));
		p = dollar + 1;
		if (p < end && *p == '$') {
			put(w, "$", 1);
			p++;
			continue;
		}
		braced = p < end && *p == '{';
		p = read_name(p + braced, end, name, sizeof(name));
		close = NULL;
		if (p && braced && p < end && (*p == '?' || *p == ':'))
			close = closing(p + 1, end);
		if (p == NULL ||
		    (braced && close == NULL && (p >= end || *p != '}'))) {
			/* checked at load; expansion copies it as it is */
			if (w->vars) {
				fail(w, "bad $variable syntax in \"", dollar);
				return;
			}
			put(w, "$", 1);
			p = dollar + 1;
			continue;
		}
		v = value(w, name);
		if (close == NULL) {
			if (v)
				put(w, v, strlen(v));
			p += braced;
			continue;
		}
		if (w->vars || ((v && *v) == (*p == '?')))
			walk(w, p + 1, close);
		p = close + 1;
	}
}

/* pcl_template_check - every $variable is known, the syntax is good */
int
pcl_template_check(const char *tpl, const char *const *vars, char *err,
                   size_t errlen)
{
	struct walk w = {.vars = vars, .err = err, .errlen = errlen};

	walk(&w, tpl, tpl + strlen(tpl));
	return w.failed ? -1 : 0;
}

/* pcl_template_expand - expand tpl into buf; false when cut */
bool
pcl_template_expand(const char *tpl, pcl_template_lookup_fn lookup, void *ctx,
                    char *buf, size_t len)
{
	struct walk w = {.lookup = lookup, .ctx = ctx, .buf = buf, .len = len};

	if (len == 0)
		return false;
	walk(&w, tpl, tpl + strlen(tpl));
	buf[w.used] = '\0';
	return !w.cut && !w.failed;
}
