/*
 * table_pattern - regexp: and pcre: rules, and $n substitution
 *
 * The rule syntax is that of regexp_table(5) and pcre_table(5):
 *
 *   [!]/pattern/flags  result      match (or, with "!", do not match)
 *   /pat1/!/pat2/ result          regexp only: pat1 and not pat2
 *   if [!]/pattern/flags          enter the block when it (not) matches
 *   endif
 *
 * Any character that is not a letter, digit or white space may be the
 * delimiter; "\delim" inside the pattern does not end it (the backslash
 * stays, as in Postfix). Where Postfix warns and skips a rule, this
 * code fails the open: a skipped rule is a hole in a policy.
 *
 * Matching is thread-safe: regexec() on a compiled regex_t needs no
 * lock of ours, and PCRE2 match data is allocated per lookup by the
 * caller. The PCRE2 match context (match and heap limits) is only read.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "table_int.h"
#include "util.h"

/* A pattern as written, before compiling. */
struct pattern_text {
	char *text; /* NUL-terminated inside the line */
	int flags;  /* regcomp() cflags or PCRE2 options */
	bool negate;
};

/* pattern_flags - apply "/re/flags"; -1 on an unknown flag */
static int
pattern_flags(struct table_load *ld, char **pp, struct pattern_text *pat)
{
	bool pcre = ld->t->type == TABLE_PCRE;
	char *p = *pp;

	/* Postfix defaults: POSIX extended, and both case-insensitive;
	 * PCRE also lets "." match a newline. */
	pat->flags = pcre ? (int)(PCRE2_CASELESS | PCRE2_DOTALL)
	                  : REG_EXTENDED | REG_ICASE;
	for (; *p != '\0' && !isspace((unsigned char)*p); p++) {
		unsigned bit = 0;

		if (!pcre && *p == '!')
			break; /* "/pat1/!/pat2/" */
		switch (*p) {
		case 'i':
			bit = pcre ? PCRE2_CASELESS : REG_ICASE;
			break;
		case 'm':
			bit = pcre ? PCRE2_MULTILINE : REG_NEWLINE;
			break;
		case 'x':
			bit = pcre ? PCRE2_EXTENDED : REG_EXTENDED;
			break;
		case 's':
			bit = pcre ? PCRE2_DOTALL : 0;
			break;
		case 'A':
			bit = pcre ? PCRE2_ANCHORED : 0;
			break;
		case 'E':
			bit = pcre ? PCRE2_DOLLAR_ENDONLY : 0;
			break;
		case 'U':
			bit = pcre ? PCRE2_UNGREEDY : 0;
			break;
		case 'X':
			/* PCRE_EXTRA has no PCRE2 equivalent; Postfix built
			 * with PCRE2 ignores it too. */
			if (pcre)
				continue;
			break;
		default:
			break;
		}
		if (bit == 0)
			return table_error(ld, "unknown %s flag \"%c\"",
			                   pcre ? "pcre" : "regexp", *p);
		pat->flags ^= (int)bit;
	}
	*pp = p;
	return 0;
}

/* pattern_get - split "[!]/text/flags" off the front of *pp */
static int
pattern_get(struct table_load *ld, char **pp, struct pattern_text *pat)
{
	char *p = *pp;
	char delim;

	pat->negate = false;
	for (; *p == '!' || isspace((unsigned char)*p); p++)
		if (*p == '!')
			pat->negate = !pat->negate;
	if (*p == '\0')
		return table_error(ld, "missing pattern");
	delim = *p;
	if (isalnum((unsigned char)delim) || delim == '\\')
		return table_error(ld, "bad pattern delimiter \"%c\"", delim);
	pat->text = ++p;
	for (; *p != '\0' && *p != delim; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	if (*p == '\0')
		return table_error(ld, "missing closing delimiter \"%c\"",
		                   delim);
	*p++ = '\0';
	*pp = p;
	return pattern_flags(ld, pp, pat);
}

/* How many copies of its atoms a POSIX pattern may ask for. glibc's
 * regcomp() builds a copy of a subexpression for each count of a
 * repetition ("a+" is "aa*", "(x){9}" nine x's), so repetitions of
 * repetitions multiply: "((a)+)+...+" with seventy '+' asked it for 2^70
 * and took the process's memory (found by fuzz_table). A copied
 * subexpression that can match the empty string costs more: regcomp()
 * works out which nodes each node reaches without reading a character,
 * and for such copies that is about the square of their size
 * ("(a*)++++++++++++" took 31 s and "(())++++++++++++" 1.6 GB, found by
 * fuzz_table). Postfix has the same trap; a map is the admin's, but a
 * reload must not kill the daemon. pcre: compiles without copies. */
#define ERE_COPIES_MAX 20000

/* A repetition: the copies it asks for of its atom, and whether the
 * repeated atom may then match the empty string. */
struct ere_rep {
	size_t len;     /* its length; 0: no repetition there */
	uint64_t times; /* copies of the atom */
	bool empty;     /* a minimum of zero */
};

/* ere_rep - the repetition at p, if any */
static struct ere_rep
ere_rep(const char *p)
{
	struct ere_rep r = {1, 1, true};
	unsigned long lo = 0, hi = 0;
	char *end;

	if (*p == '*' || *p == '?')
		return r; /* a loop or an alternative: no copy */
	if (*p == '+')
		return (struct ere_rep){1, 2, false};
	r.len = 0;
	if (*p != '{' || !isdigit((unsigned char)p[1]))
		return r;
	lo = strtoul(p + 1, &end, 10);
	hi = lo;
	if (*end == ',')
		hi = isdigit((unsigned char)end[1]) ? strtoul(end + 1, &end, 10)
		                                    : (end++, lo + 1);
	if (*end != '}')
		return r; /* not an interval: regcomp says so */
	r.len = (size_t)(end - p) + 1;
	r.empty = lo == 0;
	if (hi < lo)
		hi = lo;
	r.times = hi >= ERE_COPIES_MAX ? ERE_COPIES_MAX + 1 : hi + 1;
	return r;
}

/* The cost so far of one open group (or of the whole pattern). */
struct ere_group {
	uint64_t sum;    /* its nodes so far */
	bool branch;     /* its current branch may match the empty string */
	bool before;     /* ... without its last atom */
	bool any_branch; /* an earlier branch (before a '|') may */
};

/* ere_cost - n saturated just above ERE_COPIES_MAX */
static uint64_t
ere_cost(uint64_t n)
{
	return n > ERE_COPIES_MAX ? ERE_COPIES_MAX + 1 : n;
}

/* ere_atom_end - past the atom at p (a bracket expression is one) */
static const char *
ere_atom_end(const char *p)
{
	if (*p == '\\' && p[1])
		return p + 1;
	if (*p != '[')
		return p;
	for (p += p[1] == '^' ? 2 : 1, p += *p == ']'; *p && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=') &&
		    strchr(p + 2, ']'))
			p = strchr(p + 2, ']');
	return p;
}

/* ere_copies - an upper bound of the work regcomp() would do for re, in
 * nodes, saturating just above ERE_COPIES_MAX */
static uint64_t
ere_copies(const char *re)
{
	struct ere_group g[64] = {{0, true, true, false}};
	uint64_t last = 0; /* the atom or group a repetition applies to */
	bool last_empty = false;
	size_t depth = 0;

	for (const char *p = re; *p; p++) {
		struct ere_rep r = ere_rep(p);
		struct ere_group *cur = &g[depth];

		if (r.len > 0) {
			/* the last atom, copied, plus the repetition's node */
			cur->sum -= last;
			last = ere_cost(last * r.times + 1);
			if (last_empty && r.times > 1)
				last = ere_cost(last * last);
			last_empty = last_empty || r.empty;
			cur->branch = cur->before && last_empty;
			p += r.len - 1;
		} else if (*p == '(') {
			if (depth + 1 == sizeof(g) / sizeof(g[0]))
				return ERE_COPIES_MAX + 1; /* 63 deep */
			g[++depth] = (struct ere_group){0, true, true, false};
			last = 0;
			last_empty = false;
			continue;
		} else if (*p == '|') {
			cur->any_branch = cur->any_branch || cur->branch;
			cur->branch = cur->before = true;
			last = 1;
			last_empty = false;
		} else {
			bool empty = false;

			if (*p == ')' && depth > 0) {
				last = cur->sum + 1; /* the group's own node */
				empty = cur->branch || cur->any_branch;
				cur = &g[--depth];
			} else {
				const char *atom = p;

				p = ere_atom_end(p);
				if (*p == '\0')
					break;
				last = 1;
				empty = p == atom && (*p == '^' || *p == '$');
			}
			last_empty = empty;
			cur->before = cur->branch;
			cur->branch = cur->branch && empty;
		}
		cur->sum = ere_cost(cur->sum + last);
		if (cur->sum > ERE_COPIES_MAX)
			return ERE_COPIES_MAX + 1;
	}
	for (; depth > 0; depth--)
		g[depth - 1].sum = ere_cost(g[depth - 1].sum + g[depth].sum);
	return g[0].sum;
}

/* pattern_compile - compile pat into out; nosub when no $n is used */
static int
pattern_compile(struct table_load *ld, const struct pattern_text *pat,
                bool nosub, struct table_pattern *out)
{
	memset(out, 0, sizeof(*out));
	out->negate = pat->negate;
	if (ld->t->type == TABLE_REGEXP) {
		char why[256];
		int rc;

		if (ere_copies(pat->text) > ERE_COPIES_MAX)
			return table_error(ld,
			                   "bad regular expression: too "
			                   "complex for regexp: (repetitions "
			                   "asking for more than %d copies, or "
			                   "groups 64 deep); use pcre:",
			                   ERE_COPIES_MAX);
		if ((out->re = malloc(sizeof(*out->re))) == NULL)
			return table_error(ld, "out of memory");
		rc = regcomp(out->re, pat->text,
		             pat->flags | (nosub ? REG_NOSUB : 0));
		if (rc != 0) {
			regerror(rc, out->re, why, sizeof(why));
			free(out->re);
			out->re = NULL;
			return table_error(ld, "bad regular expression: %s",
			                   why);
		}
		out->groups = (unsigned)out->re->re_nsub;
	} else {
		PCRE2_UCHAR why[256];
		PCRE2_SIZE offset;
		uint32_t groups = 0;
		int rc;

		out->pcre =
		    pcre2_compile((PCRE2_SPTR)pat->text, PCRE2_ZERO_TERMINATED,
		                  (uint32_t)pat->flags, &rc, &offset, NULL);
		if (out->pcre == NULL) {
			if (pcre2_get_error_message(rc, why, sizeof(why)) < 0)
				pcl_copy((char *)why, sizeof(why),
				         "unknown error");
			return table_error(ld,
			                   "bad regular expression at offset "
			                   "%zu: %s",
			                   (size_t)offset, (char *)why);
		}
		(void)pcre2_pattern_info(out->pcre, PCRE2_INFO_CAPTURECOUNT,
		                         &groups);
		out->groups = groups;
		if (groups > ld->t->max_groups)
			ld->t->max_groups = groups;
	}
	return 0;
}

/* table_pattern_free - release a compiled pattern; safe twice */
void
table_pattern_free(struct table_pattern *p)
{
	if (p->re != NULL) {
		regfree(p->re);
		free(p->re);
		p->re = NULL;
	}
	if (p->pcre != NULL) {
		pcre2_code_free(p->pcre);
		p->pcre = NULL;
	}
}

/* pattern_rule - "[!]/re/flags result" (and regexp "/a/!/b/ result") */
static int
pattern_rule(struct table_load *ld, char *p)
{
	struct table_rule r;
	struct pattern_text first;
	struct pattern_text second = {NULL, 0, false};
	char literal[PCL_TABLE_RESULT_MAX + 1];
	char why[PCL_ERR_MAX];

	memset(&r, 0, sizeof(r));
	r.op = RULE_MATCH;
	r.line = ld->line;
	if (pattern_get(ld, &p, &first) < 0)
		goto out;
	if (*p == '!' && pattern_get(ld, &p, &second) < 0)
		goto out;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		table_error(ld, "missing result");
		goto out;
	}
	if (table_subst(p, NULL, NULL, literal, sizeof(literal), &r.max_sub,
	                why, sizeof(why)) < 0) {
		table_error(ld, "%s", why);
		goto out;
	}
	if (r.max_sub > 0 && first.negate) {
		table_error(ld,
		            "$%u in the result of a negated pattern, which "
		            "captures nothing",
		            r.max_sub);
		goto out;
	}
	if (table_check_result(ld, p) < 0)
		goto out;
	if (pattern_compile(ld, &first, r.max_sub == 0, &r.pat) < 0)
		goto out;
	if (second.text != NULL &&
	    pattern_compile(ld, &second, true, &r.also) < 0)
		goto out;
	if (r.max_sub > r.pat.groups) {
		table_error(ld,
		            "result uses $%u but the pattern has %u (...) "
		            "group%s",
		            r.max_sub, r.pat.groups,
		            r.pat.groups == 1 ? "" : "s");
		goto out;
	}
	/* Without $n the result is stored with "$$" already made "$". */
	if ((r.result = strdup(r.max_sub ? p : literal)) == NULL) {
		table_error(ld, "out of memory");
		goto out;
	}
	if (table_add_rule(ld, &r) == 0)
		return 0;
out:
	free(r.result);
	table_pattern_free(&r.pat);
	table_pattern_free(&r.also);
	return -1;
}

/* table_pattern_line - parse one logical line of a regexp/pcre file */
int
table_pattern_line(struct table_load *ld, char *line)
{
	struct table_rule r;
	struct pattern_text pat;
	char *p = line;

	memset(&r, 0, sizeof(r));
	r.line = ld->line;
	if (!isalnum((unsigned char)*p))
		return pattern_rule(ld, p);
	if (strncasecmp(p, "if", 2) == 0 && !isalnum((unsigned char)p[2])) {
		p += 2;
		if (pattern_get(ld, &p, &pat) < 0)
			return -1;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '\0')
			return table_error(ld, "text after the if pattern (do "
			                       "not indent lines between if "
			                       "and endif)");
		r.op = RULE_IF;
		if (pattern_compile(ld, &pat, true, &r.pat) < 0)
			return -1;
		if (table_add_rule(ld, &r) < 0) {
			table_pattern_free(&r.pat);
			return -1;
		}
		return 0;
	}
	if (strncasecmp(p, "endif", 5) == 0 && !isalnum((unsigned char)p[5])) {
		for (p += 5; isspace((unsigned char)*p); p++)
			;
		if (*p != '\0')
			return table_error(ld, "text after endif");
		r.op = RULE_ENDIF;
		return table_add_rule(ld, &r);
	}
	return table_error(ld, "unrecognized line: want \"/pattern/ result\", "
	                       "\"if /pattern/\" or \"endif\"");
}

/* table_pattern_match - 1 when key matches p (negation applied), 0 when
 * not, -1 on a matching error (err filled) */
int
table_pattern_match(const struct pcl_table *t, const struct table_pattern *p,
                    const char *key, unsigned nsub, pcre2_match_data *md,
                    struct table_groups *g, char *err, size_t errlen)
{
	bool matched;

	g->count = 0;
	if (p->re != NULL) {
		regmatch_t pm[TABLE_SUB_MAX + 1];
		int rc = regexec(p->re, key, nsub ? nsub + 1 : 0,
		                 nsub ? pm : NULL, 0);

		if (rc != 0 && rc != REG_NOMATCH) {
			char why[256];

			regerror(rc, p->re, why, sizeof(why));
			pcl_format(err, errlen, "%s", why);
			return -1;
		}
		matched = rc == 0;
		for (unsigned i = 0; matched && nsub && i <= nsub; i++) {
			g->so[i] =
			    pm[i].rm_so < 0 ? SIZE_MAX : (size_t)pm[i].rm_so;
			g->eo[i] =
			    pm[i].rm_so < 0 ? SIZE_MAX : (size_t)pm[i].rm_eo;
			g->count = i + 1;
		}
	} else {
		int rc = pcre2_match(p->pcre, (PCRE2_SPTR)key, strlen(key), 0,
		                     0, md, t->mctx);
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		uint32_t n = pcre2_get_ovector_count(md);

		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) {
			PCRE2_UCHAR why[256];

			if (pcre2_get_error_message(rc, why, sizeof(why)) < 0)
				pcl_copy((char *)why, sizeof(why), "error");
			pcl_format(err, errlen, "%s", (char *)why);
			return -1;
		}
		matched = rc >= 0;
		/* rc is one more than the highest group set (0: ovector
		 * too small, which match data from max_groups rules out) */
		for (uint32_t i = 0; matched && nsub && i <= nsub && i < n;
		     i++) {
			bool set = (int)i < rc && ov[2 * i] != PCRE2_UNSET;

			g->so[i] = set ? ov[2 * i] : SIZE_MAX;
			g->eo[i] = set ? ov[2 * i + 1] : SIZE_MAX;
			g->count = i + 1;
		}
	}
	return matched != p->negate;
}

/* subst_index - parse the digits of $n; -1 with err when not 1..99 */
static int
subst_index(const char *name, size_t n, unsigned *out, char *err, size_t errlen)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)name[i])) {
			pcl_format(err, errlen,
			           "non-numeric replacement \"$%.*s\" in "
			           "result (write \"$$\" for a dollar sign)",
			           (int)(n > 40 ? 40 : n), name);
			return -1;
		}
		if (v <= TABLE_SUB_MAX)
			v = v * 10 + (unsigned)(name[i] - '0');
	}
	if (v < 1 || v > TABLE_SUB_MAX) {
		pcl_format(err, errlen,
		           "replacement \"$%.*s\" out of range 1..%d",
		           (int)(n > 40 ? 40 : n), name, TABLE_SUB_MAX);
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * table_subst - expand $n, ${n}, $(n) and $$ in tmpl. With key NULL it
 * only checks the syntax: max_sub gets the highest n and out the text
 * with "$$" as "$" (meaningful when max_sub is 0). Returns 0, or -1
 * with err (bad syntax, or out too small).
 */
int
table_subst(const char *tmpl, const char *key, const struct table_groups *g,
            char *out, size_t len, unsigned *max_sub, char *err, size_t errlen)
{
	size_t used = 0;
	unsigned top = 0;

	for (const char *p = tmpl; *p != '\0';) {
		const char *piece = p;
		size_t plen = 1;
		unsigned n = 0;

		if (*p == '$' && p[1] == '$') {
			p += 2;
		} else if (*p == '$') {
			const char *name = ++p;
			size_t nlen;

			if (*p == '{' || *p == '(') {
				const char *close =
				    strchr(p, *p == '{' ? '}' : ')');

				if (close == NULL) {
					pcl_format(err, errlen,
					           "unclosed \"$%c\" in result",
					           *p);
					return -1;
				}
				name = p + 1;
				nlen = (size_t)(close - name);
				p = close + 1;
			} else {
				for (nlen = 0;
				     isalnum((unsigned char)p[nlen]) ||
				     p[nlen] == '_';
				     nlen++)
					;
				p += nlen;
			}
			if (nlen == 0) {
				pcl_format(err, errlen,
				           "lone \"$\" in result (write \"$$\" "
				           "for a dollar sign)");
				return -1;
			}
			if (subst_index(name, nlen, &n, err, errlen) < 0)
				return -1;
			if (n > top)
				top = n;
			plen = 0;
			if (key != NULL && n < g->count &&
			    g->so[n] != SIZE_MAX) {
				piece = key + g->so[n];
				plen = g->eo[n] - g->so[n];
			}
		} else {
			p++;
		}
		if (used + plen >= len) {
			pcl_format(err, errlen, "result longer than %zu bytes",
			           len ? len - 1 : 0);
			return -1;
		}
		memcpy(out + used, piece, plen);
		used += plen;
	}
	if (len > 0)
		out[used] = '\0';
	if (max_sub != NULL)
		*max_sub = top;
	return 0;
}
