/*
 * session_dnsbl - DNS lists on the client address, postscreen-style
 *
 * The queries for every site leave at connect, in one batch, and are
 * collected when a verdict is first needed (RCPT by default), so the
 * lists answer while the client says HELO and MAIL. The score is the
 * sum of the weights of the sites whose answer matches their filter; at
 * or above dnsbl_threshold the client gets dnsbl_action; at or below a
 * negative dnsbl_allowlist_threshold it is exempt from the remaining
 * checks of the connection, as postscreen does.
 *
 * A site that times out, fails, or answers an error code (Spamhaus's
 * 127.255.255.x) counts as not listed and, unless dnsbl_on_error is
 * accept, adds an on_error finding. What people see names a site by its
 * public name only: the DQS key never leaves the query.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session_int.h"

/* pcl_list_txt - the TXT record of a listing, for a reply that shows
 * it: asked only once a list has said "listed" (postscreen asks no TXT
 * at all; asking it for every client would double the queries counted
 * against a DQS quota), through the cache, the DQS key removed */
void
pcl_list_txt(struct pcl_session *s, const char *qname, const char *tpl,
             char *out, size_t len)
{
	struct pcl_dns_answer *a;

	*out = '\0';
	if (strstr(tpl, "rbl_txt") == NULL && strstr(tpl, "rbl_reason") == NULL)
		return;
	a = pcl_dns_lookup(s->conf->dns, qname, PCL_DNS_TXT);
	if (a == NULL) {
		s->error = true;
		return;
	}
	if (a->status == PCL_DNS_FOUND && a->count > 0)
		pcl_dnsbl_redact(a->rrs[0].u.txt.text, s->conf->dqs_key, out,
		                 len);
	pcl_dns_answer_free(a);
}

/* exempted - does dnsbl_exceptions say OK for this client */
static bool
exempted(struct pcl_session *s)
{
	const struct pcl_tables *t = &s->conf->dnsbl_exceptions;

	for (size_t i = 0; i < t->count; i++) {
		struct pcl_access_result r;
		char matched[PCL_ADDRESS_MAX + 1], err[PCL_ERR_MAX];
		enum pcl_table_status st;

		st = pcl_access_lookup(
		    t->items[i], PCL_ACCESS_CLIENT, *s->name ? s->name : NULL,
		    s->addr, &r, matched, sizeof(matched), err, sizeof(err));
		if (st == PCL_TABLE_FOUND && r.kind == PCL_ACCESS_OK) {
			pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl",
			                  "exempt", "%s: %s OK",
			                  pcl_table_spec(t->items[i]), matched);
			return true;
		}
		if (st == PCL_TABLE_ERROR)
			pcl_log(LOG_WARNING,
			        "dnsbl_exceptions lookup error: "
			        "%s",
			        err);
	}
	return false;
}

/* pcl_checks_dnsbl_start - send every site's query */
void
pcl_checks_dnsbl_start(struct pcl_session *s)
{
	const struct pcl_conf *c = s->conf;
	char name[PCL_DOMAIN_MAX + 1];
	enum pcl_addr_class cls;

	if (c->ndnsbl_sites == 0 || c->dns == NULL || !s->have_addr)
		return;
	cls = pcl_addr_classify(&s->caddr);
	if (c->dnsbl_skip_local && cls != PCL_ADDR_PUBLIC) {
		pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl", "skip",
		                  "%s is not a public address", s->addr);
		return;
	}
	if (exempted(s))
		return;
	s->dnsbl_idx = calloc(c->ndnsbl_sites * 2, sizeof(int));
	s->dnsbl_batch = pcl_dns_batch_new(c->dns);
	if (s->dnsbl_idx == NULL || s->dnsbl_batch == NULL) {
		s->error = true;
		return;
	}
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dnsbl_site *site = &c->dnsbl_sites[i];

		s->dnsbl_idx[2 * i] = -1;
		s->dnsbl_idx[2 * i + 1] = -1; /* TXT: asked once listed */
		if (!pcl_dnsbl_ip_query(&s->caddr, site->zone, name,
		                        sizeof(name)))
			continue; /* traced as an error when collected */
		s->dnsbl_idx[2 * i] =
		    pcl_dns_batch_add(s->dnsbl_batch, name, PCL_DNS_A);
	}
	pcl_dns_batch_send(s->dnsbl_batch);
	s->dnsbl_pending = true;
}

/* site_error - trace and remember a site that could not answer */
static void
site_error(struct pcl_session *s, const struct pcl_dnsbl_site *site,
           const char *why, char *errors, size_t len)
{
	pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl", "error", "%s: %s",
	                  site->public_name, why);
	if (s->log)
		pcl_log(LOG_WARNING,
		        "%s: dnsbl error list=%s client=%s "
		        "error=\"%s\"",
		        *s->qid ? s->qid : "NOQUEUE", site->public_name,
		        s->addr, why);
	pcl_append(errors, len, "%s%s: %s", *errors ? "; " : "",
	           site->public_name, why);
}

/* answer_addrs - the addresses of an A answer */
static size_t
answer_addrs(const struct pcl_dns_answer *a, struct pcl_addr *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; a->status == PCL_DNS_FOUND && i < a->count; i++)
		if (n < max)
			out[n++] = a->rrs[i].u.addr;
	return n;
}

/* wants_txt - does a reply template show the TXT record */
static bool
wants_txt(const char *tpl)
{
	return strstr(tpl, "rbl_txt") != NULL ||
	       strstr(tpl, "rbl_reason") != NULL;
}

/* pcl_checks_dnsbl_poll - between stages: take in the answers that
 * have arrived and ask the TXT record of each listing at once, so that
 * a listed client does not wait a second round trip at RCPT */
void
pcl_checks_dnsbl_poll(struct pcl_session *s)
{
	const struct pcl_conf *c = s->conf;
	char name[PCL_DOMAIN_MAX + 1];
	bool added = false;

	if (!s->dnsbl_pending || !wants_txt(c->dnsbl.reply))
		return;
	pcl_dns_batch_poll(s->dnsbl_batch);
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dns_answer *a;
		struct pcl_addr addrs[16];
		size_t n;

		if (s->dnsbl_idx[2 * i] < 0 || s->dnsbl_idx[2 * i + 1] >= 0)
			continue;
		a = pcl_dns_batch_answer(s->dnsbl_batch, s->dnsbl_idx[2 * i]);
		if (a == NULL || a->status != PCL_DNS_FOUND)
			continue;
		n = answer_addrs(a, addrs, sizeof(addrs) / sizeof(addrs[0]));
		if (pcl_dnsbl_classify(&c->dnsbl_sites[i], addrs, n, false,
		                       NULL, NULL) != PCL_DNSBL_LISTED ||
		    !pcl_dnsbl_ip_query(&s->caddr, c->dnsbl_sites[i].zone, name,
		                        sizeof(name)))
			continue;
		s->dnsbl_idx[2 * i + 1] =
		    pcl_dns_batch_add(s->dnsbl_batch, name, PCL_DNS_TXT);
		added = true;
	}
	if (added)
		pcl_dns_batch_send(s->dnsbl_batch);
}

/* listed_finding - the dnsbl finding for a client at the threshold */
static void
listed_finding(struct pcl_session *s, const struct pcl_dnsbl_site *best,
               const struct pcl_addr *code, int score)
{
	int txt_idx = s->dnsbl_idx[2 * (best - s->conf->dnsbl_sites) + 1];
	const struct pcl_dns_answer *early =
	    pcl_dns_batch_answer(s->dnsbl_batch, txt_idx);
	struct pcl_finding *f;
	char codetext[PCL_ADDR_TEXT_MAX], txt[PCL_REPLY_TEXT_MAX] = "";
	char qname[PCL_DOMAIN_MAX + 1], smtp_code[4];
	struct pcl_rbl_vars vars = {0};

	f = pcl_session_find(s, &s->conn, "dnsbl", PCL_STAGE_CONNECT,
	                     s->conf->dnsbl.action);
	if (f == NULL)
		return;
	pcl_addr_format(code, codetext, sizeof(codetext));
	if (early && early->status == PCL_DNS_FOUND && early->count > 0)
		pcl_dnsbl_redact(early->rrs[0].u.txt.text, s->conf->dqs_key,
		                 txt, sizeof(txt));
	else if (pcl_dnsbl_ip_query(&s->caddr, best->zone, qname,
	                            sizeof(qname)))
		pcl_list_txt(s, qname, s->conf->dnsbl.reply, txt, sizeof(txt));
	pcl_format(f->detail, sizeof(f->detail), "list=%s code=%s score=%d",
	           best->public_name, codetext, score);
	/* Postfix's $rbl_code is the SMTP code; the reply starts with it
	 * (checked at load). */
	memcpy(smtp_code, s->conf->dnsbl.reply, 3);
	smtp_code[3] = '\0';
	vars.code = smtp_code;
	vars.class_ = "Client host";
	vars.what = s->addr;
	vars.domain = best->public_name;
	vars.txt = txt;
	s->rbl = &vars;
	pcl_session_reply(s, f, s->conf->dnsbl.reply);
	s->rbl = NULL;
	pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl", "hit",
	                  "score %d >= %ld -> %s%s", score,
	                  s->conf->dnsbl_threshold, pcl_action_name(f->action),
	                  f->dry_run ? " (dry run)" : "");
}

/* error_finding - the on_error finding when sites failed */
static void
error_finding(struct pcl_session *s, const char *errors)
{
	pcl_session_error(s, &s->conn, "dnsbl", PCL_STAGE_CONNECT,
	                  s->conf->dnsbl_on_error, errors, "4.3",
	                  "DNS list lookup failed");
}

/* pcl_checks_dnsbl_finish - collect the answers and score them */
void
pcl_checks_dnsbl_finish(struct pcl_session *s)
{
	const struct pcl_conf *c = s->conf;
	const struct pcl_dnsbl_site *best = NULL;
	struct pcl_addr best_code = {0};
	char errors[PCL_FINDING_DETAIL_MAX] = "";
	int score = 0;

	if (!s->dnsbl_pending)
		return;
	s->dnsbl_pending = false;
	pcl_dns_batch_wait(s->dnsbl_batch);
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dnsbl_site *site = &c->dnsbl_sites[i];
		const struct pcl_dns_answer *a;
		struct pcl_addr addrs[16], code;
		const char *meaning = NULL;
		char codetext[PCL_ADDR_TEXT_MAX];
		size_t n;

		if (s->dnsbl_idx[2 * i] < 0) {
			site_error(s, site, "no query name", errors,
			           sizeof(errors));
			continue;
		}
		a = pcl_dns_batch_answer(s->dnsbl_batch, s->dnsbl_idx[2 * i]);
		if (a->status == PCL_DNS_TEMPFAIL ||
		    a->status == PCL_DNS_PERMFAIL) {
			site_error(s, site,
			           *a->error ? a->error
			                     : pcl_dns_status_name(a->status),
			           errors, sizeof(errors));
			continue;
		}
		n = answer_addrs(a, addrs, sizeof(addrs) / sizeof(addrs[0]));
		switch (pcl_dnsbl_classify(site, addrs, n, false, &code,
		                           &meaning)) {
		case PCL_DNSBL_ERROR: {
			char why[160];

			pcl_addr_format(&code, codetext, sizeof(codetext));
			pcl_format(why, sizeof(why), "%s (%s)", meaning,
			           codetext);
			site_error(s, site, why, errors, sizeof(errors));
			break;
		}
		case PCL_DNSBL_LISTED:
			score += site->weight;
			pcl_addr_format(&code, codetext, sizeof(codetext));
			pcl_session_trace(
			    s, PCL_STAGE_CONNECT, "dnsbl", "listed",
			    "%s: %s weight %d%s", site->public_name, codetext,
			    site->weight, a->from_cache ? " (cached)" : "");
			if (site->weight > 0 &&
			    (best == NULL || site->weight > best->weight)) {
				best = site;
				best_code = code;
			}
			break;
		case PCL_DNSBL_NOT_LISTED:
			pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl",
			                  "not-listed", "%s%s",
			                  site->public_name,
			                  a->from_cache ? " (cached)" : "");
			break;
		}
	}
	if (*errors)
		error_finding(s, errors);
	if (best && score >= c->dnsbl_threshold)
		listed_finding(s, best, &best_code, score);
	else if (c->dnsbl_allowlist_threshold < 0 &&
	         score <= c->dnsbl_allowlist_threshold) {
		pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl", "allowlisted",
		                  "score %d <= %ld: other checks set aside",
		                  score, c->dnsbl_allowlist_threshold);
		s->dnsbl_allowlisted = true;
	} else {
		pcl_session_trace(s, PCL_STAGE_CONNECT, "dnsbl", "pass",
		                  "score %d", score);
	}
	pcl_dns_batch_free(s->dnsbl_batch);
	s->dnsbl_batch = NULL;
}
