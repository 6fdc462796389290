/*
 * dnsbl - the check of DNS lists on the client address, postscreen-style
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
 * accept, adds an on_error finding. A site that lib/dns knows to be
 * down (dns_health.c: timeouts in a row) is not asked at all while it
 * is: its on_error applies at once, traced "list down, not asked", so a
 * dead list costs no message its deadline. What people see names a site
 * by its public name only: the DQS key never leaves the query.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "checks.h"
#include "dns.h"
#include "dnslist.h"
#include "lists.h"
#include "log.h"
#include "table.h"

/* The check's state: one batch, sent at connect. */
struct dnsbl {
	struct pcl_dns_batch *batch;
	int *idx;     /* per site: the A and the TXT query's index */
	bool pending; /* answers not collected yet */
};

/* exempted - does dnsbl_exceptions say OK for this client */
static bool
exempted(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_tables *t = &k->conf->dnsbl_exceptions;

	for (size_t i = 0; i < t->count; i++) {
		struct pcl_access_result r;
		char matched[PCL_ADDRESS_MAX + 1], err[PCL_ERR_MAX];
		enum pcl_table_status st;

		st = pcl_access_lookup(
		    t->items[i], PCL_ACCESS_CLIENT, *k->name ? k->name : NULL,
		    k->addr, &r, matched, sizeof(matched), err, sizeof(err));
		if (st == PCL_TABLE_FOUND && r.kind == PCL_ACCESS_OK) {
			pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "exempt",
			                "%s: %s OK",
			                pcl_table_spec(t->items[i]), matched);
			return true;
		}
		if (st == PCL_TABLE_ERROR)
			pcl_log(LOG_WARNING,
			        "%s: dnsbl_exceptions lookup error: %s",
			        pcl_check_log_id(x), err);
	}
	return false;
}

/* start - at connect: send every site's query */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	const struct pcl_conf *c = x->facts->conf;
	const struct pcl_addr *ip = x->facts->ip;
	struct dnsbl *st = x->state;
	char name[PCL_DOMAIN_MAX + 1];

	(void)ev;
	if (c->ndnsbl_sites == 0 || c->dns == NULL || ip == NULL)
		return;
	if (c->dnsbl_skip_local && pcl_addr_classify(ip) != PCL_ADDR_PUBLIC) {
		pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "skip",
		                "%s is not a public address", x->facts->addr);
		return;
	}
	if (exempted(x))
		return;
	st->idx = calloc(c->ndnsbl_sites * 2, sizeof(int));
	st->batch = pcl_dns_batch_new(c->dns);
	if (st->idx == NULL || st->batch == NULL) {
		pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "error",
		                "out of memory");
		pcl_check_error(x, PCL_SCOPE_CONN, "dnsbl", PCL_STAGE_CONNECT,
		                c->dnsbl_on_error, "out of memory", "3.0",
		                "DNS list lookup failed");
		return;
	}
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dnsbl_site *site = &c->dnsbl_sites[i];

		st->idx[2 * i] = -1;
		st->idx[2 * i + 1] = -1; /* TXT: asked once listed */
		if (!pcl_dnsbl_ip_query(ip, site->zone, name, sizeof(name)))
			continue; /* traced as an error when collected */
		/* a list that is down is not asked: answered at once */
		st->idx[2 * i] = pcl_dns_batch_add_list(
		    st->batch, name, PCL_DNS_A, site->zone, site->public_name);
	}
	pcl_dns_batch_send(st->batch);
	st->pending = true;
}

/* site_error - trace and remember a site that could not answer */
static void
site_error(struct pcl_check_ctx *x, const struct pcl_dnsbl_site *site,
           const char *why, char *errors, size_t len)
{
	pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "error", "%s: %s",
	                site->public_name, why);
	if (x->facts->log)
		pcl_log(LOG_WARNING,
		        "%s: dnsbl error list=%s client=%s "
		        "error=\"%s\"",
		        pcl_check_log_id(x), site->public_name, x->facts->addr,
		        why);
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

/* take_early - between stages: take in the answers that have arrived
 * (which closes their sockets: between HELO and RCPT a session holds
 * descriptors only for the lists that have not answered yet) and, when
 * the reply shows it, ask the TXT record of each listing at once, so
 * that a listed client does not wait a second round trip at RCPT */
static void
take_early(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dnsbl *st = x->state;
	char name[PCL_DOMAIN_MAX + 1];
	bool added = false;

	if (!st->pending)
		return;
	pcl_dns_batch_poll(st->batch);
	if (!pcl_lists_wants_txt(c->dnsbl.reply))
		return;
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dns_answer *a;
		struct pcl_addr addrs[16];
		size_t n;

		if (st->idx[2 * i] < 0 || st->idx[2 * i + 1] >= 0)
			continue;
		a = pcl_dns_batch_answer(st->batch, st->idx[2 * i]);
		if (a == NULL || a->status != PCL_DNS_FOUND)
			continue;
		n = answer_addrs(a, addrs, sizeof(addrs) / sizeof(addrs[0]));
		if (pcl_dnsbl_classify(&c->dnsbl_sites[i], addrs, n, false,
		                       NULL, NULL) != PCL_DNSBL_LISTED ||
		    !pcl_dnsbl_ip_query(x->facts->ip, c->dnsbl_sites[i].zone,
		                        name, sizeof(name)))
			continue;
		st->idx[2 * i + 1] =
		    pcl_dns_batch_add(st->batch, name, PCL_DNS_TXT);
		added = true;
	}
	if (added)
		pcl_dns_batch_send(st->batch);
}

/* listed_finding - the dnsbl finding for a client at the threshold */
static void
listed_finding(struct pcl_check_ctx *x, const struct pcl_dnsbl_site *best,
               const struct pcl_addr *code, int score)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dnsbl *st = x->state;
	int txt_idx = st->idx[2 * (best - c->dnsbl_sites) + 1];
	const struct pcl_dns_answer *early =
	    pcl_dns_batch_answer(st->batch, txt_idx);
	struct pcl_finding *f;
	char codetext[PCL_ADDR_TEXT_MAX], txt[PCL_REPLY_TEXT_MAX] = "";
	char qname[PCL_DOMAIN_MAX + 1];
	const struct pcl_rbl_vars vars = {
	    .class_ = "Client host",
	    .what = x->facts->addr,
	    .domain = best->public_name,
	    .txt = txt,
	};

	f = pcl_check_find(x, PCL_SCOPE_CONN, "dnsbl", PCL_STAGE_CONNECT,
	                   c->dnsbl.action);
	if (f == NULL)
		return;
	pcl_addr_format(code, codetext, sizeof(codetext));
	if (early && early->status == PCL_DNS_FOUND && early->count > 0)
		pcl_dnsbl_redact(early->rrs[0].u.txt.text, c->dqs_key, txt,
		                 sizeof(txt));
	else if (pcl_dnsbl_ip_query(x->facts->ip, best->zone, qname,
	                            sizeof(qname)))
		pcl_lists_txt(x, qname, c->dnsbl.reply, txt, sizeof(txt));
	pcl_format(f->detail, sizeof(f->detail), "list=%s code=%s score=%d",
	           best->public_name, codetext, score);
	pcl_lists_reply(x, f, c->dnsbl.reply, &vars);
	pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "hit",
	                "score %d >= %ld -> %s%s", score, c->dnsbl_threshold,
	                pcl_action_name(f->action),
	                f->dry_run ? " (dry run)" : "");
}

/* error_finding - the on_error finding when sites failed */
static void
error_finding(struct pcl_check_ctx *x, const char *errors)
{
	pcl_check_error(x, PCL_SCOPE_CONN, "dnsbl", PCL_STAGE_CONNECT,
	                x->facts->conf->dnsbl_on_error, errors, "4.3",
	                "DNS list lookup failed");
}

/* finish - collect the answers and score them */
static void
finish(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dnsbl *st = x->state;
	const struct pcl_dnsbl_site *best = NULL;
	struct pcl_addr best_code = {0};
	char errors[PCL_FINDING_DETAIL_MAX] = "";
	int score = 0;

	if (!st->pending)
		return;
	st->pending = false;
	pcl_dns_batch_wait(st->batch);
	for (size_t i = 0; i < c->ndnsbl_sites; i++) {
		const struct pcl_dnsbl_site *site = &c->dnsbl_sites[i];
		const struct pcl_dns_answer *a;
		struct pcl_addr addrs[16], code;
		const char *meaning = NULL;
		char codetext[PCL_ADDR_TEXT_MAX];
		size_t n;

		if (st->idx[2 * i] < 0) {
			site_error(x, site, "no query name", errors,
			           sizeof(errors));
			continue;
		}
		a = pcl_dns_batch_answer(st->batch, st->idx[2 * i]);
		if (a->status == PCL_DNS_TEMPFAIL ||
		    a->status == PCL_DNS_PERMFAIL) {
			char why[sizeof(a->error) + sizeof(a->server) + 16];

			site_error(x, site,
			           pcl_dns_error_log(a, why, sizeof(why)),
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
			site_error(x, site, why, errors, sizeof(errors));
			break;
		}
		case PCL_DNSBL_LISTED:
			score += site->weight;
			pcl_addr_format(&code, codetext, sizeof(codetext));
			pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "listed",
			                "%s: %s weight %d%s", site->public_name,
			                codetext, site->weight,
			                a->from_cache ? " (cached)" : "");
			if (site->weight > 0 &&
			    (best == NULL || site->weight > best->weight)) {
				best = site;
				best_code = code;
			}
			break;
		case PCL_DNSBL_NOT_LISTED:
			pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl",
			                "not-listed", "%s%s", site->public_name,
			                a->from_cache ? " (cached)" : "");
			break;
		}
	}
	if (*errors)
		error_finding(x, errors);
	pcl_check_publish_dnsbl(x, score);
	if (best && score >= c->dnsbl_threshold)
		listed_finding(x, best, &best_code, score);
	else if (c->dnsbl_allowlist_threshold < 0 &&
	         score <= c->dnsbl_allowlist_threshold) {
		pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "allowlisted",
		                "score %d <= %ld: other checks set aside",
		                score, c->dnsbl_allowlist_threshold);
		pcl_check_allowlist(x);
	} else {
		pcl_check_trace(x, PCL_STAGE_CONNECT, "dnsbl", "pass",
		                "score %d", score);
	}
	pcl_dns_batch_free(st->batch);
	st->batch = NULL;
}

/* collect - the TXT of early listings between stages; all answers
 * before a verdict */
static void
collect(struct pcl_check_ctx *x, bool wait)
{
	if (wait)
		finish(x);
	else
		take_early(x);
}

/* release - the batch, if still open */
static void
release(struct pcl_check_ctx *x)
{
	struct dnsbl *st = x->state;

	pcl_dns_batch_free(st->batch);
	free(st->idx);
}

const struct pcl_check pcl_check_dnsbl = {
    .name = "dnsbl",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_CONNECT),
    .state_size = sizeof(struct dnsbl),
    .start = start,
    .collect = collect,
    .free = release,
};
