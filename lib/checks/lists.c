/*
 * lists - the TXT record and the reply of a DNS list listing
 */
#include "config.h"

#include <string.h>

#include "dns.h"
#include "dnslist.h"
#include "lists.h"

/* pcl_lists_wants_txt - does a template use $rbl_txt or $rbl_reason */
bool
pcl_lists_wants_txt(const char *tpl)
{
	return strstr(tpl, "rbl_txt") != NULL ||
	       strstr(tpl, "rbl_reason") != NULL;
}

/* pcl_lists_txt - the TXT record of a listing, for a reply that shows
 * it: asked only once a list has said "listed" (postscreen asks no TXT
 * at all; asking it for every client would double the queries counted
 * against a DQS quota), through the cache, the DQS key removed. Without
 * an answer the reply is given without it. */
void
pcl_lists_txt(struct pcl_check_ctx *x, const char *qname, const char *tpl,
              char *out, size_t len)
{
	const struct pcl_conf *c = x->facts->conf;
	struct pcl_dns_answer *a;

	*out = '\0';
	if (!pcl_lists_wants_txt(tpl) ||
	    (a = pcl_dns_lookup(c->dns, qname, PCL_DNS_TXT)) == NULL)
		return;
	if (a->status == PCL_DNS_FOUND && a->count > 0)
		pcl_dnsbl_redact(a->rrs[0].u.txt.text, c->dqs_key, out, len);
	pcl_dns_answer_free(a);
}

/* pcl_lists_reply - the reply of a listing */
void
pcl_lists_reply(struct pcl_check_ctx *x, struct pcl_finding *f, const char *tpl,
                const struct pcl_rbl_vars *v)
{
	char code[4];
	const struct pcl_reply_var vars[] = {
	    {"rbl_code", code},    {"rbl_class", v->class_},
	    {"rbl_what", v->what}, {"rbl_domain", v->domain},
	    {"rbl_txt", v->txt},   {"rbl_reason", v->txt},
	    {NULL, NULL},
	};

	/* the reply starts with its code (checked at load) */
	memcpy(code, tpl, 3);
	code[3] = '\0';
	pcl_check_reply(x, f, tpl, vars);
}
