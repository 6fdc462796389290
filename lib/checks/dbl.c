/*
 * dbl - the check of DNS lists on domains (Spamhaus DBL and ZRD, RHSBLs)
 *
 * Each identity is looked up as soon as it is known: the client's name
 * at connect, the HELO name at HELO, the sender's domain at MAIL, the
 * From:/Reply-To: domains, the body's URL domains and the d= of the
 * DKIM signatures that passed at the end of the message. A lookup round
 * goes out as one batch and is collected when its verdict is needed:
 * at RCPT for the envelope; for the content, in collect() once every
 * check has seen the end of the message, so that the checks after this
 * one run while its queries are out. For each domain, the weights of
 * the lists that list it add up; at dbl_threshold the finding gets
 * dbl_action and a reply in rbl_reply_maps style. IP literals are
 * never sent to a domain list.
 * Errors (timeouts, 127.255.255.x, DBL's 127.0.1.255, ZRD's 127.0.2.255)
 * are not listings and go to dbl_on_error; so do the lookups of a list
 * that lib/dns knows to be down (dns_health.c), at once and unasked.
 *
 * DKIM: the dkim check comes before this one (checks.c) and publishes
 * its results at the end of the message. Only a signature that passed
 * names its signer: the d= of one that failed is whatever the sender
 * wrote, so looking it up would let anyone choose our queries (against
 * a DQS quota, or a slow zone) and refuse mail in the name of a domain
 * that did not sign it. Each distinct d= (in any case) is asked once.
 * A finding on a signer is the message's, like one on From: (refused
 * after the final dot, "DKIM signer" in the reply, exempted as the
 * content is).
 *
 * The message is kept only when a list judges the body, and only up to
 * dbl_body_max_size bytes; what lies beyond is not scanned (and said so
 * in the trace). Headers arrive from Postfix with folds as bare LF and
 * the leading space kept; they are stored back in that form.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <ctype.h>
#include <strings.h>

#include "checks.h"
#include "dkim.h"
#include "dns.h"
#include "dnslist.h"
#include "lists.h"
#include "log.h"
#include "urls.h"
#include "util.h"

/* One domain-list query of a lookup round. */
struct query {
	size_t site; /* index in conf->dbl_sites */
	enum pcl_dbl_identity id;
	enum pcl_scope scope; /* where a finding goes */
	char domain[PCL_DOMAIN_MAX + 1];
	int a_idx; /* in the batch */
};

/* A round of lookups sent together. */
struct round {
	struct pcl_dns_batch *batch;
	struct query *items;
	size_t count, cap;
};

/* The check's state: a round per identity scope, and the message. */
struct dbl {
	struct round client, helo, txn, msg;
	char *from, *reply_to; /* the first of each, as received */
	char *msgbuf;          /* headers and body, for body domains */
	size_t msglen, msgcap;
	bool body_started; /* the empty line was kept */
	bool lost;         /* out of memory: the body cannot be scanned */
};

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
	    [PCL_DBL_DKIM] = "DKIM signer",
	};

	return (unsigned)id < PCL_DBL_NIDENT ? names[id] : "Domain";
}

/* stage_of - where an identity becomes known, for the trace */
static enum pcl_stage
stage_of(enum pcl_dbl_identity id)
{
	switch (id) {
	case PCL_DBL_CLIENT:
		return PCL_STAGE_CONNECT;
	case PCL_DBL_HELO:
		return PCL_STAGE_HELO;
	case PCL_DBL_SENDER:
		return PCL_STAGE_MAIL;
	default:
		return PCL_STAGE_DATA;
	}
}

/* wanted - does any domain list judge this identity */
static bool
wanted(const struct pcl_conf *c, enum pcl_dbl_identity id)
{
	for (size_t i = 0; i < c->ndbl_sites; i++)
		if (c->dbl_sites[i].identities & (1u << id))
			return true;
	return false;
}

/* oom - out of memory: the lookup cannot decide */
static void
oom(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	pcl_check_trace(x, PCL_STAGE_DATA, "dbl", "error", "out of memory");
	pcl_check_error(x, scope, "dbl", PCL_STAGE_DATA,
	                x->facts->conf->dbl_on_error, "out of memory", "3.0",
	                "DNS list lookup failed");
}

/* round_grow - room for one more query */
static struct query *
round_grow(struct round *l)
{
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct query *items;

		items = realloc(l->items, cap * sizeof(*items));
		if (items == NULL)
			return NULL;
		l->items = items;
		l->cap = cap;
	}
	return &l->items[l->count++];
}

/* add - queue the lists for one domain of an identity; the findings
 * will go to scope */
static void
add(struct pcl_check_ctx *x, struct round *l, enum pcl_dbl_identity id,
    const char *domain, enum pcl_scope scope)
{
	const struct pcl_conf *c = x->facts->conf;
	char name[PCL_DOMAIN_MAX + 1];

	if (c->dns == NULL || domain == NULL || *domain == '\0')
		return;
	for (size_t i = 0; i < c->ndbl_sites; i++) {
		const struct pcl_dbl_site *site = &c->dbl_sites[i];
		struct query *q;

		if (!(site->identities & (1u << id)))
			continue;
		if (!pcl_dnsbl_domain_query(domain, site->site.zone, name,
		                            sizeof(name))) {
			pcl_check_trace(x, stage_of(id), "dbl", "skip",
			                "%s %s: not a domain name",
			                pcl_dbl_identity_name(id), domain);
			return; /* an IP literal or a bad name: for every list
			         */
		}
		if ((l->batch == NULL &&
		     (l->batch = pcl_dns_batch_new(c->dns)) == NULL) ||
		    (q = round_grow(l)) == NULL) {
			oom(x, scope);
			return;
		}
		q->site = i;
		q->id = id;
		q->scope = scope;
		pcl_copy(q->domain, sizeof(q->domain), domain);
		pcl_lower(q->domain);
		q->a_idx = pcl_dns_batch_add_list(l->batch, name, PCL_DNS_A,
		                                  site->site.zone,
		                                  site->site.public_name);
	}
}

/* round_send - send what was queued */
static void
round_send(struct round *l)
{
	if (l->batch)
		pcl_dns_batch_send(l->batch);
}

/* listed_finding - a domain whose score reached the threshold */
static void
listed_finding(struct pcl_check_ctx *x, const struct query *q,
               const struct pcl_dbl_site *best, const struct pcl_addr *code,
               int score)
{
	const struct pcl_conf *c = x->facts->conf;
	struct pcl_finding *f;
	char codetext[PCL_ADDR_TEXT_MAX], txt[PCL_REPLY_TEXT_MAX] = "";
	char qname[PCL_DOMAIN_MAX + 1];
	const struct pcl_rbl_vars vars = {
	    .class_ = rbl_class(q->id),
	    .what = q->domain,
	    .domain = best->site.public_name,
	    .txt = txt,
	};

	f = pcl_check_find(x, q->scope, "dbl", stage_of(q->id), c->dbl.action);
	if (f == NULL)
		return;
	pcl_addr_format(code, codetext, sizeof(codetext));
	if (pcl_dnsbl_domain_query(q->domain, best->site.zone, qname,
	                           sizeof(qname)))
		pcl_lists_txt(x, qname, c->dbl.reply, txt, sizeof(txt));
	pcl_format(f->detail, sizeof(f->detail),
	           "%s=%s list=%s code=%s score=%d",
	           pcl_dbl_identity_name(q->id), q->domain,
	           best->site.public_name, codetext, score);
	pcl_lists_reply(x, f, c->dbl.reply, &vars);
	pcl_check_trace(x, stage_of(q->id), "dbl", "hit",
	                "%s %s: score %d -> %s%s", pcl_dbl_identity_name(q->id),
	                q->domain, score, pcl_action_name(f->action),
	                f->dry_run ? " (dry run)" : "");
}

/* error_finding - the on_error finding for a failed lookup */
static void
error_finding(struct pcl_check_ctx *x, const struct query *q, const char *list,
              const char *why)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_check_trace(x, stage_of(q->id), "dbl", "error", "%s %s: %s: %s",
	                pcl_dbl_identity_name(q->id), q->domain, list, why);
	if (x->facts->log)
		pcl_log(LOG_WARNING, "%s: dbl error list=%s %s=%s error=\"%s\"",
		        pcl_check_log_id(x), list, pcl_dbl_identity_name(q->id),
		        q->domain, why);
	pcl_format(detail, sizeof(detail), "%s: %s", list, why);
	pcl_check_error(x, q->scope, "dbl", stage_of(q->id),
	                x->facts->conf->dbl_on_error, detail, "4.3",
	                "DNS list lookup failed");
}

/* judge - one query's answer: weight when listed, 0 otherwise */
static int
judge(struct pcl_check_ctx *x, const struct query *q, struct round *l,
      struct pcl_addr *code)
{
	const struct pcl_dbl_site *site = &x->facts->conf->dbl_sites[q->site];
	const struct pcl_dns_answer *a;
	struct pcl_addr addrs[16];
	const char *meaning = NULL;
	char codetext[PCL_ADDR_TEXT_MAX], why[160];
	size_t n = 0;

	a = pcl_dns_batch_answer(l->batch, q->a_idx);
	if (a == NULL || a->status == PCL_DNS_TEMPFAIL ||
	    a->status == PCL_DNS_PERMFAIL) {
		char failed[sizeof(a->error) + sizeof(a->server) + 16];

		error_finding(x, q, site->site.public_name,
		              a ? pcl_dns_error_log(a, failed, sizeof(failed))
		                : "lookup failed");
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
		error_finding(x, q, site->site.public_name, why);
		return 0;
	case PCL_DNSBL_LISTED:
		pcl_addr_format(code, codetext, sizeof(codetext));
		pcl_check_trace(x, stage_of(q->id), "dbl", "listed",
		                "%s %s: %s %s weight %d",
		                pcl_dbl_identity_name(q->id), q->domain,
		                site->site.public_name, codetext,
		                site->site.weight);
		return site->site.weight;
	case PCL_DNSBL_NOT_LISTED:
		break;
	}
	pcl_check_trace(x, stage_of(q->id), "dbl", "not-listed", "%s %s: %s",
	                pcl_dbl_identity_name(q->id), q->domain,
	                site->site.public_name);
	return 0;
}

/* round_clear - forget a round */
static void
round_clear(struct round *l)
{
	pcl_dns_batch_free(l->batch);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

/* finish - collect a round and score each domain */
static void
finish(struct pcl_check_ctx *x, struct round *l)
{
	const struct pcl_conf *c = x->facts->conf;
	size_t i = 0;

	if (l->batch == NULL)
		return;
	pcl_dns_batch_wait(l->batch);
	/* queries of one domain are adjacent (added together) */
	while (i < l->count) {
		const struct query *first = &l->items[i];
		const struct pcl_dbl_site *best = NULL;
		struct pcl_addr best_code = {0};
		int score = 0;

		for (; i < l->count && l->items[i].id == first->id &&
		       strcmp(l->items[i].domain, first->domain) == 0;
		     i++) {
			struct pcl_addr code;
			int w = judge(x, &l->items[i], l, &code);
			const struct pcl_dbl_site *site =
			    &c->dbl_sites[l->items[i].site];

			score += w;
			if (w > 0 && (best == NULL || w > best->site.weight)) {
				best = site;
				best_code = code;
			}
		}
		if (best && score >= c->dbl_threshold)
			listed_finding(x, first, best, &best_code, score);
	}
	round_clear(l);
}

/* address_domain - the domain of an address, or NULL */
static const char *
address_domain(const char *address)
{
	const char *at = strrchr(address, '@');

	return at && at[1] ? at + 1 : NULL;
}

/* keep - append bytes to the message buffer, up to the size limit */
static void
keep(struct dbl *st, size_t max, const char *p, size_t n)
{
	if (n == 0 || st->lost || st->msglen >= max)
		return; /* n == 0: msgbuf may still be NULL (fuzz_session) */
	if (n > max - st->msglen)
		n = max - st->msglen;
	if (st->msglen + n > st->msgcap) {
		size_t cap = st->msgcap ? st->msgcap : 16384;
		char *grown;

		while (cap < st->msglen + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		grown = realloc(st->msgbuf, cap);
		if (grown == NULL) {
			st->lost = true;
			return;
		}
		st->msgbuf = grown;
		st->msgcap = cap;
	}
	memcpy(st->msgbuf + st->msglen, p, n);
	st->msglen += n;
}

/* first - keep the first value of a header */
static void
first(struct dbl *st, char **slot, const char *value)
{
	if (*slot == NULL && (*slot = strdup(value)) == NULL)
		st->lost = true;
}

/* header - note From: and Reply-To:, keep the field for the body scan */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	const struct pcl_conf *c = x->facts->conf;
	size_t max = (size_t)c->dbl_body_max_size;
	struct dbl *st = x->state;

	if (strcasecmp(name, "From") == 0 && wanted(c, PCL_DBL_FROM))
		first(st, &st->from, value);
	else if (strcasecmp(name, "Reply-To") == 0 &&
	         wanted(c, PCL_DBL_REPLY_TO))
		first(st, &st->reply_to, value);
	if (!wanted(c, PCL_DBL_BODY))
		return;
	keep(st, max, name, strlen(name));
	keep(st, max, ":", 1);
	for (const char *p = value; *p; p++) {
		if (*p == '\n')
			keep(st, max, "\r\n", 2);
		else
			keep(st, max, p, 1);
	}
	keep(st, max, "\r\n", 2);
}

/* body - keep a body chunk (after the header block) */
static void
body(struct pcl_check_ctx *x, const unsigned char *chunk, size_t len)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dbl *st = x->state;

	if (!wanted(c, PCL_DBL_BODY))
		return;
	if (st->msglen > 0 && !st->body_started) {
		keep(st, (size_t)c->dbl_body_max_size, "\r\n", 2);
		st->body_started = true;
	}
	keep(st, (size_t)c->dbl_body_max_size, (const char *)chunk, len);
}

/* header_domains - queue the domain of every address in a header
 * value ("Name" <a@b.example>, a@b.example (c), list, group) */
static void
header_domains(struct pcl_check_ctx *x, const char *value,
               enum pcl_dbl_identity id)
{
	struct dbl *st = x->state;
	const char *p = value;
	size_t n = 0;

	while (value && (p = strchr(p, '@')) != NULL && n < 8) {
		char domain[PCL_DOMAIN_MAX + 1];
		size_t len = 0;

		p++;
		while (*p &&
		       (isalnum((unsigned char)*p) || *p == '.' || *p == '-' ||
		        *p == '[' || *p == ']' || *p == ':' || *p == '_')) {
			if (len + 1 < sizeof(domain))
				domain[len++] = *p;
			p++;
		}
		domain[len] = '\0';
		if (len > 0) {
			add(x, &st->msg, id, domain, PCL_SCOPE_MSG);
			n++;
		}
	}
}

/* body_domains - queue the domains of the body's URLs */
static void
body_domains(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct dbl *st = x->state;
	struct pcl_url_domains found = {0};
	char err[PCL_ERR_MAX];

	if (pcl_urls_extract(st->msgbuf, st->msglen,
	                     (size_t)c->dbl_body_max_domains, &found, err,
	                     sizeof(err)) < 0) {
		oom(x, PCL_SCOPE_MSG);
		return;
	}
	if (st->msglen >= (size_t)c->dbl_body_max_size || found.truncated)
		pcl_check_trace(x, PCL_STAGE_DATA, "dbl", "cut",
		                "only the first %zu bytes scanned", st->msglen);
	if (found.capped)
		pcl_check_trace(x, PCL_STAGE_DATA, "dbl", "cut",
		                "only the first %ld body domains",
		                c->dbl_body_max_domains);
	for (size_t i = 0; i < found.count; i++)
		add(x, &st->msg, PCL_DBL_BODY, found.items[i], PCL_SCOPE_MSG);
	pcl_url_domains_clear(&found);
}

/* The most signers one message has looked up: dkim_max_signatures'
 * own upper bound, which already caps the signatures that can pass. */
#define DKIM_SIGNERS_MAX 50

/* dkim_domains - queue the d= of each signature that passed, once per
 * domain in any case. Budget: at most dkim_max_signatures domains (a
 * verifier judges no more); past it the rest are cut, and traced. */
static void
dkim_domains(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	struct dbl *st = x->state;
	const char *signers[DKIM_SIGNERS_MAX];
	size_t max = (size_t)k->conf->dkim_max_signatures, n = 0, failed = 0;

	if (max > DKIM_SIGNERS_MAX)
		max = DKIM_SIGNERS_MAX;
	for (size_t i = 0; k->dkim != NULL && i < k->ndkim; i++) {
		const char *d = k->dkim[i].domain;
		size_t j = 0;

		if (k->dkim[i].result != PCL_DKIM_PASS) {
			failed++;
			continue;
		}
		while (j < n && strcasecmp(signers[j], d) != 0)
			j++;
		if (j < n)
			continue; /* looked up already */
		if (n == max) {
			pcl_check_trace(x, PCL_STAGE_DATA, "dbl", "cut",
			                "only the first %zu DKIM signers", max);
			break;
		}
		signers[n++] = d;
		add(x, &st->msg, PCL_DBL_DKIM, d, PCL_SCOPE_MSG);
	}
	if (failed > 0)
		pcl_check_trace(x, PCL_STAGE_DATA, "dbl", "skip",
		                "dkim: %zu signature(s) did not pass: their d= "
		                "not looked up",
		                failed);
}

/* start - look each identity up as soon as it is known; the message's
 * domains at its end, sent at once and judged in collect() */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	struct dbl *st = x->state;

	if (c->ndbl_sites == 0)
		return;
	switch (ev) {
	case PCL_EV_CONNECT:
		if (*k->name && wanted(c, PCL_DBL_CLIENT)) {
			add(x, &st->client, PCL_DBL_CLIENT, k->name,
			    PCL_SCOPE_CONN);
			round_send(&st->client);
		}
		break;
	case PCL_EV_HELO:
		if (wanted(c, PCL_DBL_HELO)) {
			add(x, &st->helo, PCL_DBL_HELO, k->helo,
			    PCL_SCOPE_HELO);
			round_send(&st->helo);
		}
		break;
	case PCL_EV_MAIL:
		if (wanted(c, PCL_DBL_SENDER)) {
			add(x, &st->txn, PCL_DBL_SENDER,
			    address_domain(k->sender), PCL_SCOPE_TXN);
			round_send(&st->txn);
		}
		break;
	case PCL_EV_EOM:
		if (st->lost) {
			oom(x, PCL_SCOPE_MSG);
			break;
		}
		header_domains(x, st->from, PCL_DBL_FROM);
		header_domains(x, st->reply_to, PCL_DBL_REPLY_TO);
		if (wanted(c, PCL_DBL_BODY) && st->msglen > 0)
			body_domains(x);
		if (wanted(c, PCL_DBL_DKIM))
			dkim_domains(x);
		round_send(&st->msg);
		break;
	default:
		break;
	}
}

/* collect - between stages, take in what has arrived of the envelope's
 * rounds, which closes the sockets of the answered lookups (a session
 * then holds descriptors only for lookups still unanswered); before a
 * verdict, all of them, and the message's round once it was sent */
static void
collect(struct pcl_check_ctx *x, bool wait)
{
	struct dbl *st = x->state;

	if (!wait) {
		pcl_dns_batch_poll(st->client.batch);
		pcl_dns_batch_poll(st->helo.batch);
		pcl_dns_batch_poll(st->txn.batch);
		return;
	}
	finish(x, &st->client);
	finish(x, &st->helo);
	finish(x, &st->txn);
	finish(x, &st->msg);
}

/* forget_content - what the message's content gave */
static void
forget_content(struct dbl *st)
{
	round_clear(&st->msg);
	free(st->from);
	free(st->reply_to);
	free(st->msgbuf);
	st->from = st->reply_to = st->msgbuf = NULL;
	st->msglen = st->msgcap = 0;
	st->body_started = st->lost = false;
}

/* reset - a new HELO replaces the old one's lookups; a transaction
 * ends; the content is forgotten over the header budget */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct dbl *st = x->state;

	if (scope == PCL_SCOPE_HELO)
		round_clear(&st->helo);
	if (scope == PCL_SCOPE_TXN)
		round_clear(&st->txn);
	if (scope == PCL_SCOPE_TXN || scope == PCL_SCOPE_MSG)
		forget_content(st);
}

/* release - everything */
static void
release(struct pcl_check_ctx *x)
{
	struct dbl *st = x->state;

	forget_content(st);
	round_clear(&st->txn);
	round_clear(&st->client);
	round_clear(&st->helo);
}

const struct pcl_check pcl_check_dbl = {
    .name = "dbl",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_CONNECT) | PCL_EV(PCL_EV_HELO) |
              PCL_EV(PCL_EV_MAIL) | PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct dbl),
    .start = start,
    .collect = collect,
    .header = header,
    .body = body,
    .reset = reset,
    .free = release,
};
