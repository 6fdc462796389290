/*
 * session_dbl - DNS lists on domains (Spamhaus DBL and ZRD, RHSBLs)
 *
 * Each identity is looked up as soon as it is known: the client's name
 * at connect, the HELO name at HELO, the sender's domain at MAIL, the
 * From:/Reply-To: domains and the body's URL domains at the end of the
 * message. A lookup round goes out as one batch and is collected when
 * its verdict is needed (RCPT for the envelope, end of message for the
 * content). For each domain, the weights of the lists that list it add
 * up; at dbl_threshold the finding gets dbl_action and a reply in
 * rbl_reply_maps style. IP literals are never sent to a domain list.
 * Errors (timeouts, 127.255.255.x, DBL's 127.0.1.255, ZRD's 127.0.2.255)
 * are not listings and go to dbl_on_error.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session_int.h"

/* rbl_class - how a reply names the identity, Postfix-style */
static const char *
rbl_class(enum pcl_dbl_identity id)
{
	static const char *const names[PCL_DBL_NIDENT] = {
	    [PCL_DBL_HELO] = "Helo command",
	    [PCL_DBL_CLIENT] = "Client host",
	    [PCL_DBL_SENDER] = "Sender address",
	    [PCL_DBL_FROM] = "From: header",
	    [PCL_DBL_REPLY_TO] = "Reply-To: header",
	    [PCL_DBL_BODY] = "Body URL",
	};

	return (unsigned)id < PCL_DBL_NIDENT ? names[id] : "Domain";
}

/* pcl_dbl_wanted - does any domain list judge this identity */
bool
pcl_dbl_wanted(const struct pcl_session *s, enum pcl_dbl_identity id)
{
	for (size_t i = 0; i < s->conf->ndbl_sites; i++)
		if (s->conf->dbl_sites[i].identities & (1u << id))
			return true;
	return false;
}

/* lookups_grow - room for one more query */
static struct dbl_query *
lookups_grow(struct pcl_session *s, struct dbl_lookups *l)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct dbl_query *items;

		items = realloc(l->items, cap * sizeof(*items));
		if (items == NULL) {
			s->error = true;
			return NULL;
		}
		l->items = items;
		l->cap = cap;
	}
	return &l->items[l->count++];
}

/* pcl_dbl_add - queue the lists for one domain of an identity; the
 * findings will go to scope */
void
pcl_dbl_add(struct pcl_session *s, struct dbl_lookups *l,
            enum pcl_dbl_identity id, const char *domain,
            struct findings *scope)
{
	const struct pcl_conf *c = s->conf;
	char name[PCL_DOMAIN_MAX + 1];

	if (c->dns == NULL || domain == NULL || *domain == '\0')
		return;
	for (size_t i = 0; i < c->ndbl_sites; i++) {
		const struct pcl_dbl_site *site = &c->dbl_sites[i];
		struct dbl_query *q;

		if (!(site->identities & (1u << id)))
			continue;
		if (!pcl_dnsbl_domain_query(domain, site->site.zone, name,
		                            sizeof(name))) {
			pcl_session_trace(s, PCL_STAGE_CONNECT, "dbl", "skip",
			                  "%s %s: not a domain name",
			                  pcl_dbl_identity_name(id), domain);
			return; /* an IP literal or a bad name: for every list
			         */
		}
		if (l->batch == NULL &&
		    (l->batch = pcl_dns_batch_new(c->dns)) == NULL) {
			s->error = true;
			return;
		}
		if ((q = lookups_grow(s, l)) == NULL)
			return;
		q->site = i;
		q->id = id;
		q->scope = scope;
		pcl_copy(q->domain, sizeof(q->domain), domain);
		pcl_lower(q->domain);
		q->a_idx = pcl_dns_batch_add(l->batch, name, PCL_DNS_A);
	}
}

/* pcl_dbl_send - send what was queued */
void
pcl_dbl_send(struct dbl_lookups *l)
{
	if (l->batch)
		pcl_dns_batch_send(l->batch);
}

/* listed_finding - a domain whose score reached the threshold */
static void
listed_finding(struct pcl_session *s, const struct dbl_query *q,
               const struct pcl_dbl_site *best, const struct pcl_addr *code,
               int score)
{
	struct pcl_finding *f;
	char codetext[PCL_ADDR_TEXT_MAX], txt[PCL_REPLY_TEXT_MAX] = "";
	char qname[PCL_DOMAIN_MAX + 1], smtp_code[4];
	struct pcl_rbl_vars vars = {0};

	f = pcl_session_find(s, q->scope, "dbl", PCL_STAGE_CONNECT,
	                     s->conf->dbl.action);
	if (f == NULL)
		return;
	pcl_addr_format(code, codetext, sizeof(codetext));
	if (pcl_dnsbl_domain_query(q->domain, best->site.zone, qname,
	                           sizeof(qname)))
		pcl_list_txt(s, qname, s->conf->dbl.reply, txt, sizeof(txt));
	pcl_format(f->detail, sizeof(f->detail),
	           "%s=%s list=%s code=%s score=%d",
	           pcl_dbl_identity_name(q->id), q->domain,
	           best->site.public_name, codetext, score);
	memcpy(smtp_code, s->conf->dbl.reply, 3);
	smtp_code[3] = '\0';
	vars.code = smtp_code;
	vars.class_ = rbl_class(q->id);
	vars.what = q->domain;
	vars.domain = best->site.public_name;
	vars.txt = txt;
	s->rbl = &vars;
	pcl_session_reply(s, f, s->conf->dbl.reply);
	s->rbl = NULL;
	pcl_session_trace(
	    s, PCL_STAGE_CONNECT, "dbl", "hit", "%s %s: score %d -> %s%s",
	    pcl_dbl_identity_name(q->id), q->domain, score,
	    pcl_action_name(f->action), f->dry_run ? " (dry run)" : "");
}

/* error_finding - the on_error finding for a failed lookup */
static void
error_finding(struct pcl_session *s, const struct dbl_query *q,
              const char *list, const char *why)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_session_trace(s, PCL_STAGE_CONNECT, "dbl", "error", "%s %s: %s: %s",
	                  pcl_dbl_identity_name(q->id), q->domain, list, why);
	if (s->log)
		pcl_log(LOG_WARNING, "%s: dbl error list=%s %s=%s error=\"%s\"",
		        *s->qid ? s->qid : "NOQUEUE", list,
		        pcl_dbl_identity_name(q->id), q->domain, why);
	pcl_format(detail, sizeof(detail), "%s: %s", list, why);
	pcl_session_error(s, q->scope, "dbl", PCL_STAGE_CONNECT,
	                  s->conf->dbl_on_error, detail, "4.3",
	                  "DNS list lookup failed");
}

/* judge - one query's answer: weight when listed, 0 otherwise */
static int
judge(struct pcl_session *s, const struct dbl_query *q, struct dbl_lookups *l,
      struct pcl_addr *code)
{
	const struct pcl_dbl_site *site = &s->conf->dbl_sites[q->site];
	const struct pcl_dns_answer *a;
	struct pcl_addr addrs[16];
	const char *meaning = NULL;
	char codetext[PCL_ADDR_TEXT_MAX], why[160];
	size_t n = 0;

	a = pcl_dns_batch_answer(l->batch, q->a_idx);
	if (a == NULL || a->status == PCL_DNS_TEMPFAIL ||
	    a->status == PCL_DNS_PERMFAIL) {
		error_finding(s, q, site->site.public_name,
		              a && *a->error ? a->error : "lookup failed");
		return 0;
	}
	for (size_t i = 0; a->status == PCL_DNS_FOUND && i < a->count; i++)
		if (n < sizeof(addrs) / sizeof(addrs[0]))
			addrs[n++] = a->rrs[i].u.addr;
	switch (
	    pcl_dnsbl_classify(&site->site, addrs, n, true, code, &meaning)) {
	case PCL_DNSBL_ERROR:
		pcl_addr_format(code, codetext, sizeof(codetext));
		pcl_format(why, sizeof(why), "%s (%s)", meaning, codetext);
		error_finding(s, q, site->site.public_name, why);
		return 0;
	case PCL_DNSBL_LISTED:
		pcl_addr_format(code, codetext, sizeof(codetext));
		pcl_session_trace(s, PCL_STAGE_CONNECT, "dbl", "listed",
		                  "%s %s: %s %s weight %d",
		                  pcl_dbl_identity_name(q->id), q->domain,
		                  site->site.public_name, codetext,
		                  site->site.weight);
		return site->site.weight;
	case PCL_DNSBL_NOT_LISTED:
		break;
	}
	pcl_session_trace(s, PCL_STAGE_CONNECT, "dbl", "not-listed",
	                  "%s %s: %s", pcl_dbl_identity_name(q->id), q->domain,
	                  site->site.public_name);
	return 0;
}

/* pcl_dbl_finish - collect a round and score each domain */
void
pcl_dbl_finish(struct pcl_session *s, struct dbl_lookups *l)
{
	size_t i = 0;

	if (l->batch == NULL)
		return;
	pcl_dns_batch_wait(l->batch);
	/* queries of one domain are adjacent (added together) */
	while (i < l->count) {
		const struct dbl_query *first = &l->items[i];
		const struct pcl_dbl_site *best = NULL;
		struct pcl_addr best_code = {0};
		int score = 0;

		for (; i < l->count && l->items[i].id == first->id &&
		       strcmp(l->items[i].domain, first->domain) == 0;
		     i++) {
			struct pcl_addr code;
			int w = judge(s, &l->items[i], l, &code);
			const struct pcl_dbl_site *site =
			    &s->conf->dbl_sites[l->items[i].site];

			score += w;
			if (w > 0 && (best == NULL || w > best->site.weight)) {
				best = site;
				best_code = code;
			}
		}
		if (best && score >= s->conf->dbl_threshold)
			listed_finding(s, first, best, &best_code, score);
	}
	pcl_dbl_clear(l);
}

/* pcl_dbl_clear - forget a round */
void
pcl_dbl_clear(struct dbl_lookups *l)
{
	pcl_dns_batch_free(l->batch);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* pcl_dbl_sender_domain - the domain of an address, or NULL */
const char *
pcl_dbl_address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at && at[1] ? at + 1 : NULL;
}
