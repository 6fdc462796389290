/*
 * dkim_tags_int - helpers the files of the DKIM tag parsers share
 * (dkim_tags.c, dkim_tags_sig.c, dkim_tags_key.c): values with their
 * folds, base64 counted before it is decoded, decimals, domain names,
 * colon-separated lists. None allocates; all read (text, len) spans.
 */
#ifndef PCL_DKIM_TAGS_INT_H
#define PCL_DKIM_TAGS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim_tags.h"

/* A span of the text: a tag's value or an item of a list. */
struct pcl_dkim_span {
	const char *p;
	size_t len;
};

/* pcl_dkim_tags_value - the value of the tag named name, or false */
bool pcl_dkim_tags_value(const struct pcl_dkim_tag_list *list, const char *name,
                         struct pcl_dkim_span *v);

/* pcl_dkim_span_is - the span is exactly the string s */
bool pcl_dkim_span_is(struct pcl_dkim_span v, const char *s);

enum pcl_dkim_b64 {
	PCL_DKIM_B64_OK = 0,
	PCL_DKIM_B64_BAD,  /* not base64 (folds aside) */
	PCL_DKIM_B64_LONG, /* would decode to more than max bytes */
};

/* pcl_dkim_tags_base64 - decode v, folds and white space skipped, into
 * out (room for max bytes); the decoded length is known from the count
 * of characters and refused above max before any byte is decoded */
enum pcl_dkim_b64 pcl_dkim_tags_base64(struct pcl_dkim_span v,
                                       unsigned char *out, size_t max,
                                       size_t *outlen);

/* pcl_dkim_tags_decimal - 1 to maxdigits digits, value at most
 * INT64_MAX; false otherwise */
bool pcl_dkim_tags_decimal(struct pcl_dkim_span v, size_t maxdigits,
                           uint64_t *out);

/* pcl_dkim_tags_domain - v is a domain name of at least min_labels
 * labels of letters, digits and inner hyphens (underscores too when
 * underscore), at most 253 bytes, labels at most 63; copied into out
 * (PCL_DKIM_TAGS_DOMAIN_MAX + 1 bytes), lower-cased when lower */
bool pcl_dkim_tags_domain(struct pcl_dkim_span v, size_t min_labels,
                          bool underscore, bool lower, char *out);

/* A colon-separated list (h=, q=, and the key's h=, s=, t=), items
 * trimmed of folds. */
struct pcl_dkim_list {
	const char *p, *end;
	bool done;
};

/* pcl_dkim_list_start - begin reading the items of v */
void pcl_dkim_list_start(struct pcl_dkim_list *it, struct pcl_dkim_span v);

/* pcl_dkim_list_next - the next item into *item: 1; 0 at the end; -1
 * for an empty item or one with white space inside */
int pcl_dkim_list_next(struct pcl_dkim_list *it, struct pcl_dkim_span *item);

#endif
