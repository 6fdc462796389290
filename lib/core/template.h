/*
 * template - reply text with $variables, in the spirit of Postfix's
 * rbl_reply_maps: "$name" or "${name}", "$$" for a literal "$", and
 * "${name?text}" / "${name:text}" for text shown only when name has a
 * value / has none (text may use variables too).
 *
 * Templates are checked when the configuration is loaded, against the
 * variables the check that uses them can supply, so an unknown variable
 * is a config error, never a surprise in a reply. Expanded values are
 * cleaned of control characters; the reply layer bounds the length.
 */
#ifndef PCL_TEMPLATE_H
#define PCL_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

/* Variable names a template may use; NULL-terminated. The session's,
 * and those plus the DNS list variables of Postfix's rbl_reply_maps
 * ($rbl_code, $rbl_class, $rbl_what, $rbl_domain, $rbl_txt,
 * $rbl_reason). */
extern const char *const pcl_template_vars_session[];
extern const char *const pcl_template_vars_rbl[];
/* the session's plus $spf_result, $spf_explanation, $spf_problem */
extern const char *const pcl_template_vars_spf[];
extern const char *const pcl_template_vars_dmarc[];

/* Longest variable name. */
#define PCL_TEMPLATE_NAME_MAX 32

/* pcl_template_check - every $variable is in vars; 0, or -1 with err */
int pcl_template_check(const char *tpl, const char *const *vars, char *err,
                       size_t errlen);

/* A variable's value, or NULL when it has none (expands to ""). */
typedef const char *(*pcl_template_lookup_fn)(const char *name, void *ctx);

/* pcl_template_expand - expand into buf; false when cut */
bool pcl_template_expand(const char *tpl, pcl_template_lookup_fn lookup,
                         void *ctx, char *buf, size_t len);

#endif
