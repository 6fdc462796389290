/*
 * table_int - internals shared by table.c and table_pattern.c
 *
 * Not a public header: only the table module includes it. table.c
 * reads files into logical lines, keeps the if/endif nesting, owns the
 * texthash and cidr formats and runs lookups; table_pattern.c parses,
 * compiles and matches regexp: and pcre: rules and does the $n
 * substitution. PCRE2 and <regex.h> are used nowhere else.
 */
#ifndef PCL_TABLE_INT_H
#define PCL_TABLE_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "addr.h"
#include "table.h"

#define TABLE_LINE_MAX 4096       /* longest logical line, in bytes */
#define TABLE_SUB_MAX 99          /* highest $n, as ${99} */
#define TABLE_MATCH_LIMIT 1000000 /* PCRE2 backtracking steps per rule */
#define TABLE_HEAP_LIMIT 8192     /* PCRE2 heap per match, KiB */

enum table_type {
	TABLE_CIDR,
	TABLE_REGEXP,
	TABLE_PCRE,
	TABLE_TEXTHASH,
};

enum rule_op {
	RULE_MATCH,
	RULE_IF,
	RULE_ENDIF,
};

/* One compiled pattern: a CIDR block, a POSIX regex or PCRE2 code. */
struct table_pattern {
	bool negate;          /* "!" before it */
	struct pcl_cidr cidr; /* TABLE_CIDR */
	regex_t *re;          /* TABLE_REGEXP; NULL when unused */
	pcre2_code *pcre;     /* TABLE_PCRE */
	unsigned groups;      /* number of (...) groups */
};

struct table_rule {
	enum rule_op op;
	int line;                  /* first line in the file */
	struct table_pattern pat;  /* MATCH and IF */
	struct table_pattern also; /* regexp "/a/!/b/": also.re or NULL */
	size_t endif;              /* IF: index of its endif rule */
	char *result;              /* MATCH: literal, or template if max_sub */
	unsigned max_sub;          /* highest $n in result; 0 = literal */
};

struct table_entry {
	char *key; /* lower case */
	char *value;
};

struct pcl_table {
	char *spec;
	const char *path; /* inside spec */
	enum table_type type;
	/* cidr, regexp, pcre */
	struct table_rule *rules;
	size_t nrules;
	size_t caprules;
	pcre2_match_context *mctx;
	unsigned max_groups; /* largest capture count of any pcre rule */
	/* texthash */
	struct table_entry *entries;
	size_t nentries;
	size_t capentries;
	size_t *slots; /* entry index + 1; 0 is empty */
	size_t nslots; /* a power of two */
};

/* State while one file is read. */
struct table_load {
	struct pcl_table *t;
	int line; /* line that error messages name */
	pcl_table_check_fn check;
	char *err;
	size_t errlen;
	size_t *ifstack; /* indexes of open if rules */
	size_t depth;
	size_t capdepth;
};

/* Matched text for $n: so[n]/eo[n] offsets into key, SIZE_MAX if unset. */
struct table_groups {
	unsigned count;
	size_t so[TABLE_SUB_MAX + 1];
	size_t eo[TABLE_SUB_MAX + 1];
};

/* table.c */
int table_error(struct table_load *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int table_add_rule(struct table_load *ld, struct table_rule *r);
int table_check_result(struct table_load *ld, const char *result);

/* table_pattern.c */
int table_pattern_line(struct table_load *ld, char *line);
void table_pattern_free(struct table_pattern *p);
int table_pattern_match(const struct pcl_table *t,
                        const struct table_pattern *p, const char *key,
                        unsigned nsub, pcre2_match_data *md,
                        struct table_groups *g, char *err, size_t errlen);
int table_subst(const char *tmpl, const char *key, const struct table_groups *g,
                char *out, size_t len, unsigned *max_sub, char *err,
                size_t errlen);

#endif
