/*
 * table - Postfix-format lookup tables
 *
 * Reads the text files an admin already has for Postfix:
 *   cidr:/path      cidr_table(5): "network/prefix  result", if/endif
 *   regexp:/path    regexp_table(5): "/re/flags result", "!/re/", if/endif,
 *                   POSIX extended regular expressions, $1..$9 in results
 *   pcre:/path      pcre_table(5): the same syntax with PCRE2
 *   texthash:/path  "key  result" as for postmap(1), keys folded to lower
 *                   case; a line starting with white space continues
 *                   the previous one; '#' comment lines and blank lines
 *                   are skipped
 *
 * A table is read once, at open, into memory and never changes; lookups
 * are thread-safe. Reload opens a new table.
 *
 * Pattern tables (cidr, regexp, pcre) match the whole key only; the
 * access(5) partial-key search (parent domains, user@, address octets)
 * is the caller's business (see access.h) and applies to texthash only,
 * as in Postfix.
 */
#ifndef PCL_TABLE_H
#define PCL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct pcl_table;

enum pcl_table_status {
	PCL_TABLE_NOTFOUND = 0,
	PCL_TABLE_FOUND = 1,
	PCL_TABLE_ERROR = -1, /* e.g. PCRE2 match limit hit */
};

/* Longest result after $n substitution. */
#define PCL_TABLE_RESULT_MAX 1024

/*
 * A validator for result text, called at open for every result in the
 * file (after stripping; before $n substitution). It returns 0, or -1
 * with a message in err; open then fails with "path:line: message".
 */
typedef int (*pcl_table_check_fn)(const char *result, char *err, size_t errlen);

/* pcl_table_open - open "type:/path"; check may be NULL. On error
 * returns NULL with err as "path:line: message" or "spec: message". */
struct pcl_table *pcl_table_open(const char *spec, pcl_table_check_fn check,
                                 char *err, size_t errlen);

/* pcl_table_free - release a table; NULL is safe */
void pcl_table_free(struct pcl_table *t);

/* pcl_table_spec - the "type:/path" the table was opened with */
const char *pcl_table_spec(const struct pcl_table *t);

/* pcl_table_is_pattern - cidr, regexp and pcre tables: whole-key only */
bool pcl_table_is_pattern(const struct pcl_table *t);

/* pcl_table_is_cidr - a cidr table: keys must be IP addresses */
bool pcl_table_is_cidr(const struct pcl_table *t);

/*
 * pcl_table_lookup - look up key. FOUND copies the result (with $n
 * substituted for regexp/pcre) into result; a result longer than len is
 * an ERROR, never silently cut. A cidr table given a key that is not an
 * address answers NOTFOUND.
 */
enum pcl_table_status pcl_table_lookup(const struct pcl_table *t,
                                       const char *key, char *result,
                                       size_t len);

/*
 * pcl_table_lookup_err - pcl_table_lookup that also says why on ERROR:
 * err gets "path:line: message" (a PCRE2 match limit hit, a regexec
 * failure, a result too long after $n substitution) or "spec: message".
 */
enum pcl_table_status pcl_table_lookup_err(const struct pcl_table *t,
                                           const char *key, char *result,
                                           size_t len, char *err,
                                           size_t errlen);

#endif
