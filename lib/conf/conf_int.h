/*
 * conf_int - what the configuration's files share: conf.c (reading
 * files, the key table's bookkeeping), conf_values.c (one parser per
 * value type) and conf_resolve.c (values that depend on other keys or
 * on the host). Not for use outside conf*.c.
 */
#ifndef PCL_CONF_INT_H
#define PCL_CONF_INT_H

#include "conf.h"

/* Collected errors: one "where:line: message" per line. */
struct errs {
	char *text;
	size_t len;
	size_t count;
};

/* conf.c */
void pcl_conf_errs_add(struct errs *e, const char *where, int line,
                       const char *msg);
void *pcl_conf_field(struct pcl_conf *c, const struct pcl_conf_key *k);
void pcl_conf_set_text(struct pcl_conf *c, const char *name, const char *value);

/* conf_values.c */
int pcl_conf_parse_value(struct pcl_conf *c, const struct pcl_conf_key *k,
                         const char *text, char *err, size_t errlen);
void pcl_conf_value_free(struct pcl_conf *c, const struct pcl_conf_key *k);
int pcl_conf_words_split(const char *text, struct pcl_words *out);
void pcl_conf_words_clear(struct pcl_words *w);

/* conf_resolve.c */
void pcl_conf_resolve(struct pcl_conf *c, struct errs *e);
void pcl_conf_resolved_free(struct pcl_conf *c);

#endif
