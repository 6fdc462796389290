/*
 * lists - what the two DNS list checks (dnsbl on the client address,
 * dbl on domains) share: the TXT record of a listing and the reply with
 * Postfix's $rbl_* variables
 */
#ifndef PCL_LISTS_H
#define PCL_LISTS_H

#include <stdbool.h>
#include <stddef.h>

#include "checks.h"

/* pcl_lists_wants_txt - does a reply template show the TXT record */
bool pcl_lists_wants_txt(const char *tpl);

/* pcl_lists_txt - the TXT record of qname, the DQS key removed, into
 * out ("" when the template shows none, or there is none) */
void pcl_lists_txt(struct pcl_check_ctx *x, const char *qname, const char *tpl,
                   char *out, size_t len);

/* The $rbl_* values of a listing. */
struct pcl_rbl_vars {
	const char *class_; /* "Client host", "Helo command", ... */
	const char *what;   /* the address or domain looked up */
	const char *domain; /* the list's public name */
	const char *txt;    /* its TXT record, or "" */
};

/* pcl_lists_reply - f's reply from tpl with the $rbl_* variables;
 * $rbl_code is the reply's own code, as Postfix's */
void pcl_lists_reply(struct pcl_check_ctx *x, struct pcl_finding *f,
                     const char *tpl, const struct pcl_rbl_vars *v);

#endif
