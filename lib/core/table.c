/*
 * table - Postfix-format lookup tables
 *
 * Call order: pcl_table_open() once (at start or reload), then any
 * number of concurrent pcl_table_lookup() calls, then pcl_table_free().
 * A table never changes after open, so lookups share it without locks.
 *
 * Files are read as Postfix's readlline() reads them: blank lines and
 * lines whose first non-blank character is '#' are skipped, a line that
 * starts with white space continues the previous one (comment lines
 * between do not end it), and a logical line is named by its first
 * line number. Where Postfix warns and carries on (a rule it cannot
 * parse, an unbalanced if/endif, a continuation with nothing to
 * continue), open fails here with "path:line: message": a rule silently
 * skipped is a hole in the admin's policy.
 *
 * texthash keys are folded to lower case (ASCII) and kept in an
 * open-addressing hash table; like postmap(1), the first of two equal
 * keys wins. cidr rules are parsed here; regexp and pcre rules in
 * table_pattern.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "table_int.h"
#include "util.h"

/* Table types by name. */
static const struct {
	const char *name;
	enum table_type type;
} table_types[] = {
    {"cidr", TABLE_CIDR},
    {"regexp", TABLE_REGEXP},
    {"pcre", TABLE_PCRE},
    {"texthash", TABLE_TEXTHASH},
};

/* table_error - "path:line: message" into the load's error buffer */
int
table_error(struct table_load *ld, const char *fmt, ...)
{
	char msg[PCL_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->err != NULL && ld->errlen > 0)
		pcl_format(ld->err, ld->errlen, "%s:%d: %s", ld->t->path,
		           ld->line, msg);
	return -1;
}

/* table_check_result - run the caller's validator on one result */
int
table_check_result(struct table_load *ld, const char *result)
{
	char why[PCL_ERR_MAX];

	if (strlen(result) > PCL_TABLE_RESULT_MAX)
		return table_error(ld, "result longer than %d bytes",
		                   PCL_TABLE_RESULT_MAX);
	if (ld->check == NULL)
		return 0;
	why[0] = '\0';
	if (ld->check(result, why, sizeof(why)) < 0)
		return table_error(ld, "%s", why[0] ? why : "bad result");
	return 0;
}

/* table_add_rule - append r (taking its memory) and track if/endif */
int
table_add_rule(struct table_load *ld, struct table_rule *r)
{
	struct pcl_table *t = ld->t;

	if (r->op == RULE_ENDIF && ld->depth == 0)
		return table_error(ld, "endif without a matching if");
	if (t->nrules == t->caprules) {
		size_t cap = t->caprules ? t->caprules * 2 : 16;
		struct table_rule *grown =
		    realloc(t->rules, cap * sizeof(*grown));

		if (grown == NULL)
			return table_error(ld, "out of memory");
		t->rules = grown;
		t->caprules = cap;
	}
	if (r->op == RULE_IF && ld->depth == ld->capdepth) {
		size_t cap = ld->capdepth ? ld->capdepth * 2 : 8;
		size_t *grown = realloc(ld->ifstack, cap * sizeof(*grown));

		if (grown == NULL)
			return table_error(ld, "out of memory");
		ld->ifstack = grown;
		ld->capdepth = cap;
	}
	if (r->op == RULE_IF)
		ld->ifstack[ld->depth++] = t->nrules;
	else if (r->op == RULE_ENDIF)
		t->rules[ld->ifstack[--ld->depth]].endif = t->nrules;
	t->rules[t->nrules++] = *r;
	return 0;
}

/* cidr_pattern - "[!]network/prefix" into p */
static int
cidr_pattern(struct table_load *ld, const char *text, struct table_pattern *p)
{
	char why[PCL_ERR_MAX];

	memset(p, 0, sizeof(*p));
	for (; *text == '!'; text++)
		p->negate = !p->negate;
	if (pcl_cidr_parse(text, &p->cidr, why, sizeof(why)) < 0)
		return table_error(ld, "%s", why);
	return 0;
}

/* cidr_line - one logical line of a cidr_table(5) file */
static int
cidr_line(struct table_load *ld, char *line)
{
	struct table_rule r;
	char *p = line + strcspn(line, " \t\r\n\v\f");
	char *result = p;

	memset(&r, 0, sizeof(r));
	r.line = ld->line;
	while (isspace((unsigned char)*result))
		*result++ = '\0';
	if (strcasecmp(line, "endif") == 0) {
		if (*result != '\0')
			return table_error(ld, "text after endif");
		r.op = RULE_ENDIF;
		return table_add_rule(ld, &r);
	}
	if (strcasecmp(line, "if") == 0) {
		char *extra = result + strcspn(result, " \t\r\n\v\f");

		if (*result == '\0')
			return table_error(ld, "missing network after if");
		if (*extra != '\0')
			return table_error(ld, "text after the if network (do "
			                       "not indent lines between if "
			                       "and endif)");
		r.op = RULE_IF;
		if (cidr_pattern(ld, result, &r.pat) < 0)
			return -1;
		return table_add_rule(ld, &r);
	}
	r.op = RULE_MATCH;
	if (cidr_pattern(ld, line, &r.pat) < 0)
		return -1;
	if (*result == '\0')
		return table_error(ld, "missing result");
	if (table_check_result(ld, result) < 0)
		return -1;
	if ((r.result = strdup(result)) == NULL)
		return table_error(ld, "out of memory");
	if (table_add_rule(ld, &r) < 0) {
		free(r.result);
		return -1;
	}
	return 0;
}

/* fold - ASCII lower case, independent of the locale */
static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* hash_key - FNV-1a of the folded key */
static uint64_t
hash_key(const char *key)
{
	uint64_t h = 14695981039346656037ULL;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= fold(*p);
		h *= 1099511628211ULL;
	}
	return h;
}

/* hash_same - does key equal the (lower case) stored key */
static bool
hash_same(const char *stored, const char *key)
{
	const unsigned char *a = (const unsigned char *)stored;
	const unsigned char *b = (const unsigned char *)key;

	for (; *a != '\0' && *a == fold(*b); a++, b++)
		;
	return *a == '\0' && *b == '\0';
}

/* hash_slot - the slot holding key, or the empty slot where it goes */
static size_t
hash_slot(const struct pcl_table *t, const char *key)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash_key(key) & mask;

	while (t->slots[i] != 0 &&
	       !hash_same(t->entries[t->slots[i] - 1].key, key))
		i = (i + 1) & mask;
	return i;
}

/* hash_grow - double the slots (load stays under one half) */
static int
hash_grow(struct pcl_table *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 64;
	size_t *old = t->slots;
	size_t oldn = t->nslots;

	if ((t->slots = calloc(n, sizeof(*t->slots))) == NULL) {
		t->slots = old;
		return -1;
	}
	t->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i] != 0)
			t->slots[hash_slot(t, t->entries[old[i] - 1].key)] =
			    old[i];
	free(old);
	return 0;
}

/* texthash_line - "key  value" */
static int
texthash_line(struct table_load *ld, char *line)
{
	struct pcl_table *t = ld->t;
	char *value = line + strcspn(line, " \t\r\n\v\f");
	struct table_entry e;
	size_t slot;

	while (isspace((unsigned char)*value))
		*value++ = '\0';
	if (*value == '\0')
		return table_error(ld, "missing result");
	if (table_check_result(ld, value) < 0)
		return -1;
	if ((t->nentries + 1) * 2 > t->nslots && hash_grow(t) < 0)
		return table_error(ld, "out of memory");
	slot = hash_slot(t, line);
	if (t->slots[slot] != 0)
		return 0; /* postmap(1) keeps the first of duplicates */
	if (t->nentries == t->capentries) {
		size_t cap = t->capentries ? t->capentries * 2 : 64;
		struct table_entry *grown =
		    realloc(t->entries, cap * sizeof(*grown));

		if (grown == NULL)
			return table_error(ld, "out of memory");
		t->entries = grown;
		t->capentries = cap;
	}
	e.key = strdup(line);
	e.value = strdup(value);
	if (e.key == NULL || e.value == NULL) {
		free(e.key);
		free(e.value);
		return table_error(ld, "out of memory");
	}
	for (char *k = e.key; *k; k++)
		*k = (char)fold((unsigned char)*k);
	t->entries[t->nentries++] = e;
	t->slots[slot] = t->nentries;
	return 0;
}

/* Reading physical lines into logical ones. */
struct reader {
	FILE *fp;
	int line;   /* physical lines read */
	char *phys; /* TABLE_LINE_MAX + 1 */
	size_t physlen;
	bool pending; /* phys starts the next logical line */
};

/* read_physical - one line without its newline; 1, 0 at EOF, or -1 */
static int
read_physical(struct table_load *ld, struct reader *r)
{
	bool any = false;
	bool nul = false;
	bool longline = false;
	size_t n = 0;
	int c;

	while ((c = getc(r->fp)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			nul = true;
		else if (n < TABLE_LINE_MAX)
			r->phys[n++] = (char)c;
		else
			longline = true;
	}
	if (ferror(r->fp)) {
		ld->line = r->line + 1;
		return table_error(ld, "read error: %s", strerror(errno));
	}
	if (!any)
		return 0;
	ld->line = ++r->line;
	if (nul)
		return table_error(ld, "NUL byte in line");
	if (longline)
		return table_error(ld, "line longer than %d bytes",
		                   TABLE_LINE_MAX);
	r->phys[n] = '\0';
	r->physlen = n;
	return 1;
}

/* next_logical - next logical line into buf; 1, 0 at EOF, or -1 */
static int
next_logical(struct table_load *ld, struct reader *r, char *buf)
{
	size_t len = 0;
	int first = 0;
	int rc;

	for (;;) {
		const char *p;

		if (!r->pending && (rc = read_physical(ld, r)) <= 0) {
			if (rc < 0)
				return -1;
			break;
		}
		r->pending = false;
		for (p = r->phys; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		if (p == r->phys && first != 0) {
			r->pending = true; /* next logical line begins */
			break;
		}
		if (p != r->phys && first == 0) {
			ld->line = r->line;
			return table_error(ld, "continuation line (starting "
			                       "with white space) without a "
			                       "line to continue");
		}
		if (first == 0)
			first = r->line;
		if (len + r->physlen > TABLE_LINE_MAX) {
			ld->line = first;
			return table_error(ld, "line longer than %d bytes",
			                   TABLE_LINE_MAX);
		}
		memcpy(buf + len, r->phys, r->physlen);
		len += r->physlen;
	}
	if (first == 0)
		return 0;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	ld->line = first;
	return 1;
}

/* table_read - parse every logical line of an open file */
static int
table_read(struct table_load *ld, FILE *fp)
{
	struct reader r = {fp, 0, NULL, 0, false};
	char *buf = malloc(TABLE_LINE_MAX + 1);
	int status = -1;
	int rc;

	if ((r.phys = malloc(TABLE_LINE_MAX + 1)) == NULL || buf == NULL) {
		table_error(ld, "out of memory");
		goto out;
	}
	while ((rc = next_logical(ld, &r, buf)) > 0) {
		switch (ld->t->type) {
		case TABLE_CIDR:
			rc = cidr_line(ld, buf);
			break;
		case TABLE_REGEXP:
		case TABLE_PCRE:
			rc = table_pattern_line(ld, buf);
			break;
		case TABLE_TEXTHASH:
			rc = texthash_line(ld, buf);
			break;
		}
		if (rc < 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	if (ld->depth > 0) {
		ld->line = ld->t->rules[ld->ifstack[ld->depth - 1]].line;
		table_error(ld, "if without a matching endif");
		goto out;
	}
	status = 0;
out:
	free(r.phys);
	free(buf);
	return status;
}

/* pcl_table_open - open "type:/path" */
struct pcl_table *
pcl_table_open(const char *spec, pcl_table_check_fn check, char *err,
               size_t errlen)
{
	struct table_load ld = {NULL, 0, check, err, errlen, NULL, 0, 0};
	struct pcl_table *t = NULL;
	const char *colon;
	FILE *fp = NULL;
	size_t i;
	bool ok = false;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (spec == NULL || (colon = strchr(spec, ':')) == NULL ||
	    colon == spec) {
		pcl_format(err, errlen, "%s: want type:/path",
		           spec ? spec : "(null)");
		goto out;
	}
	for (i = 0; i < sizeof(table_types) / sizeof(table_types[0]); i++)
		if (strlen(table_types[i].name) == (size_t)(colon - spec) &&
		    strncasecmp(spec, table_types[i].name,
		                (size_t)(colon - spec)) == 0)
			break;
	if (i == sizeof(table_types) / sizeof(table_types[0])) {
		pcl_format(err, errlen,
		           "%s: unsupported table type \"%.*s\" (use cidr, "
		           "regexp, pcre or texthash; for a hash/lmdb/cdb map "
		           "name its source file as texthash:%s)",
		           spec, (int)(colon - spec), spec, colon + 1);
		goto out;
	}
	if (colon[1] == '\0') {
		pcl_format(err, errlen, "%s: missing file name", spec);
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->spec = strdup(spec)) == NULL) {
		pcl_format(err, errlen, "%s: out of memory", spec);
		goto out;
	}
	t->path = t->spec + (colon - spec) + 1;
	t->type = table_types[i].type;
	ld.t = t;
	if ((fp = fopen(t->path, "re")) == NULL) {
		pcl_format(err, errlen, "%s: cannot open: %s", spec,
		           strerror(errno));
		goto out;
	}
	if (table_read(&ld, fp) < 0)
		goto out;
	if (t->type == TABLE_PCRE) {
		if ((t->mctx = pcre2_match_context_create(NULL)) == NULL) {
			pcl_format(err, errlen, "%s: out of memory", spec);
			goto out;
		}
		pcre2_set_match_limit(t->mctx, TABLE_MATCH_LIMIT);
		pcre2_set_heap_limit(t->mctx, TABLE_HEAP_LIMIT);
	}
	ok = true;
out:
	if (fp != NULL)
		fclose(fp);
	free(ld.ifstack);
	if (!ok) {
		pcl_table_free(t);
		t = NULL;
	}
	return t;
}

/* pcl_table_free - release a table; NULL is safe */
void
pcl_table_free(struct pcl_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrules; i++) {
		table_pattern_free(&t->rules[i].pat);
		table_pattern_free(&t->rules[i].also);
		free(t->rules[i].result);
	}
	free(t->rules);
	for (size_t i = 0; i < t->nentries; i++) {
		free(t->entries[i].key);
		free(t->entries[i].value);
	}
	free(t->entries);
	free(t->slots);
	pcre2_match_context_free(t->mctx);
	free(t->spec);
	free(t);
}

/* pcl_table_spec - the "type:/path" the table was opened with */
const char *
pcl_table_spec(const struct pcl_table *t)
{
	return t ? t->spec : "";
}

/* pcl_table_is_pattern - cidr, regexp and pcre tables */
bool
pcl_table_is_pattern(const struct pcl_table *t)
{
	return t != NULL && t->type != TABLE_TEXTHASH;
}

/* pcl_table_is_cidr - a cidr table */
bool
pcl_table_is_cidr(const struct pcl_table *t)
{
	return t != NULL && t->type == TABLE_CIDR;
}

/* rule_match - 1, 0 or -1 for one rule (both patterns of "/a/!/b/") */
static int
rule_match(const struct pcl_table *t, const struct table_rule *r,
           const char *key, const struct pcl_addr *addr, pcre2_match_data *md,
           struct table_groups *g, char *err, size_t errlen)
{
	struct table_groups unused;
	int m;

	if (t->type == TABLE_CIDR) {
		g->count = 0;
		/* As Postfix: a rule never matches the other family,
		 * negated or not. */
		if (addr->family != r->pat.cidr.net.family)
			return 0;
		return pcl_cidr_match(&r->pat.cidr, addr) != r->pat.negate;
	}
	m = table_pattern_match(t, &r->pat, key,
	                        r->op == RULE_MATCH ? r->max_sub : 0, md, g,
	                        err, errlen);
	if (m == 1 && r->also.re != NULL)
		m = table_pattern_match(t, &r->also, key, 0, md, &unused, err,
		                        errlen);
	return m;
}

/* rule_result - the result of a matched rule, $n substituted */
static int
rule_result(const struct table_rule *r, const char *key,
            const struct table_groups *g, char *result, size_t cap, char *why,
            size_t whylen)
{
	if (r->max_sub > 0)
		return table_subst(r->result, key, g, result, cap, NULL, why,
		                   whylen);
	/* Without $n the rule holds its final text ("$$" already "$"). */
	if (cap > 0 && pcl_copy(result, cap, r->result))
		return 0;
	pcl_format(why, whylen, "result longer than %zu bytes",
	           cap ? cap - 1 : 0);
	return -1;
}

/* pattern_lookup - first matching rule of a cidr/regexp/pcre table */
static enum pcl_table_status
pattern_lookup(const struct pcl_table *t, const char *key, char *result,
               size_t len, char *err, size_t errlen)
{
	enum pcl_table_status status = PCL_TABLE_NOTFOUND;
	pcre2_match_data *md = NULL;
	struct table_groups g;
	struct pcl_addr addr = {0};
	char why[PCL_ERR_MAX];
	/* never more than PCL_TABLE_RESULT_MAX, whatever the buffer */
	size_t cap = result == NULL                   ? 0
	             : len > PCL_TABLE_RESULT_MAX + 1 ? PCL_TABLE_RESULT_MAX + 1
	                                              : len;

	if (t->type == TABLE_CIDR && pcl_addr_parse(key, &addr) < 0)
		return PCL_TABLE_NOTFOUND;
	if (t->type == TABLE_PCRE &&
	    (md = pcre2_match_data_create(t->max_groups + 1, NULL)) == NULL) {
		pcl_format(err, errlen, "%s: out of memory", t->spec);
		status = PCL_TABLE_ERROR;
		goto out;
	}
	for (size_t i = 0; i < t->nrules; i++) {
		const struct table_rule *r = &t->rules[i];
		int m;

		if (r->op == RULE_ENDIF)
			continue;
		m = rule_match(t, r, key, &addr, md, &g, why, sizeof(why));
		if (m < 0) {
			pcl_format(err, errlen, "%s:%d: %s", t->path, r->line,
			           why);
			status = PCL_TABLE_ERROR;
			goto out;
		}
		if (r->op == RULE_IF) {
			if (m == 0)
				i = r->endif;
			continue;
		}
		if (m == 0)
			continue;
		if (rule_result(r, key, &g, result, cap, why, sizeof(why)) <
		    0) {
			pcl_format(err, errlen, "%s:%d: %s", t->path, r->line,
			           why);
			status = PCL_TABLE_ERROR;
			goto out;
		}
		status = PCL_TABLE_FOUND;
		break;
	}
out:
	pcre2_match_data_free(md);
	return status;
}

/* pcl_table_lookup_err - pcl_table_lookup, saying why on ERROR */
enum pcl_table_status
pcl_table_lookup_err(const struct pcl_table *t, const char *key, char *result,
                     size_t len, char *err, size_t errlen)
{
	size_t slot;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (t == NULL || key == NULL)
		return PCL_TABLE_NOTFOUND;
	if (t->type != TABLE_TEXTHASH)
		return pattern_lookup(t, key, result, len, err, errlen);
	if (t->nslots == 0 || t->slots[slot = hash_slot(t, key)] == 0)
		return PCL_TABLE_NOTFOUND;
	if (result == NULL ||
	    !pcl_copy(result, len, t->entries[t->slots[slot] - 1].value)) {
		pcl_format(err, errlen,
		           "%s: result for \"%.100s\" longer "
		           "than %zu bytes",
		           t->spec, key, len ? len - 1 : 0);
		return PCL_TABLE_ERROR;
	}
	return PCL_TABLE_FOUND;
}

/* pcl_table_lookup - look up key; see table.h */
enum pcl_table_status
pcl_table_lookup(const struct pcl_table *t, const char *key, char *result,
                 size_t len)
{
	return pcl_table_lookup_err(t, key, result, len, NULL, 0);
}
