/*
 * session_checks - the checks of the foundation: access maps on the
 * client, HELO, sender and recipient, the HELO name checks, and
 * recipient exceptions
 *
 * Access map results follow Postfix's check_*_access: OK and PERMIT
 * exempt the identity, REJECT/DEFER/NNN refuse and end the search,
 * DUNNO tries the next table, and HOLD, DISCARD, WARN and PREPEND take
 * effect but let the search go on, as in Postfix. Replies read like
 * Postfix's: "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected:
 * Access denied".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "helo.h"
#include "log.h"
#include "session_int.h"

/* Postfix's access_map_reject_code and access_map_defer_code. */
#define ACCESS_REJECT_CODE 554
#define ACCESS_DEFER_CODE 450

/* What an access check needs to know about its identity. */
struct access_ctx {
	const char *check; /* "client_access" ... */
	enum pcl_access_class cls;
	enum pcl_stage stage;
	const struct pcl_tables *tables;
	enum pcl_on_error on_error;
	const char *key;   /* name, HELO, address */
	const char *addr;  /* client address, or NULL */
	const char *ident; /* shown in replies: <ident>: */
	const char *what;  /* "Client host", "Helo command" ... */
	struct findings *scope;
	struct headers *headers;
};

/* Outcome of a search through an access table list. */
enum access_outcome {
	ACCESS_NONE,    /* nothing decisive */
	ACCESS_EXEMPT,  /* OK or PERMIT */
	ACCESS_REFUSED, /* a finding was added (or would be) */
};

/* access_reply - a Postfix-style reply for a refusal */
static void
access_reply(struct pcl_finding *f, const struct access_ctx *a,
             const struct pcl_access_result *r)
{
	char text[PCL_REPLY_TEXT_MAX];
	int code = r->code;

	if (code == 0)
		code = f->action == PCL_ACT_TEMPFAIL ? ACCESS_DEFER_CODE
		                                     : ACCESS_REJECT_CODE;
	pcl_format(text, sizeof(text), "<%s>: %s rejected: %s", a->ident,
	           a->what, *r->text ? r->text : "Access denied");
	pcl_reply_set(&f->reply, f->action, code, r->enhanced, text);
}

/* pcl_session_error - the finding of a check that could not decide:
 * its on_error action (none for accept), with a reply whose enhanced
 * code is CLASS.tail, CLASS following the action */
void
pcl_session_error(struct pcl_session *s, struct findings *scope,
                  const char *check, enum pcl_stage stage,
                  enum pcl_on_error on_error, const char *detail,
                  const char *tail, const char *text)
{
	enum pcl_action act = pcl_on_error_action(on_error);
	struct pcl_finding *f;
	char enhanced[16];

	if (act == PCL_ACT_ACCEPT)
		return;
	f = pcl_session_find(s, scope, check, stage, act);
	if (f == NULL)
		return;
	f->from_error = true;
	pcl_copy(f->detail, sizeof(f->detail), detail);
	pcl_format(enhanced, sizeof(enhanced), "%c.%s",
	           act == PCL_ACT_TEMPFAIL ? '4' : '5', tail);
	pcl_reply_set(&f->reply, act, 0, enhanced, text);
}

/* access_error - a lookup that failed: the check's on_error */
static void
access_error(struct pcl_session *s, const struct access_ctx *a,
             const char *spec, const char *err)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_session_trace(s, a->stage, a->check, "error", "%s: %s", spec, err);
	pcl_log(LOG_WARNING, "%s: %s lookup error: %s: %s",
	        *s->qid ? s->qid : "NOQUEUE", a->check, spec, err);
	pcl_format(detail, sizeof(detail), "lookup error in %s", spec);
	pcl_session_error(s, a->scope, a->check, a->stage, a->on_error, detail,
	                  "3.0", "Server configuration problem");
}

/* access_apply - act on one result; true when the search ends */
static bool
access_apply(struct pcl_session *s, const struct access_ctx *a,
             const char *spec, const struct pcl_access_result *r,
             const char *matched, enum access_outcome *outcome)
{
	static const enum pcl_action acts[] = {
	    [PCL_ACCESS_REJECT] = PCL_ACT_REJECT,
	    [PCL_ACCESS_DEFER] = PCL_ACT_TEMPFAIL,
	    [PCL_ACCESS_DISCARD] = PCL_ACT_DISCARD,
	    [PCL_ACCESS_HOLD] = PCL_ACT_QUARANTINE,
	};
	struct pcl_finding *f;

	switch (r->kind) {
	case PCL_ACCESS_DUNNO:
		pcl_session_trace(s, a->stage, a->check, "dunno", "%s: %s",
		                  spec, matched);
		return false;
	case PCL_ACCESS_OK:
		pcl_session_trace(s, a->stage, a->check, "exempt", "%s: %s OK",
		                  spec, matched);
		*outcome = ACCESS_EXEMPT;
		return true;
	case PCL_ACCESS_WARN:
		pcl_session_trace(s, a->stage, a->check, "warn", "%s: %s %s",
		                  spec, matched, r->text);
		if (s->log)
			pcl_log(LOG_INFO,
			        "%s: warn stage=%s check=%s "
			        "match=%s text=%s",
			        *s->qid ? s->qid : "NOQUEUE",
			        pcl_stage_name(a->stage), a->check, matched,
			        r->text);
		return false;
	case PCL_ACCESS_PREPEND: {
		char name[128];
		const char *colon = strchr(r->text, ':');
		size_t n = colon ? (size_t)(colon - r->text) : 0;

		/* validated at load: "Name: value" */
		if (n == 0 || n >= sizeof(name))
			return false;
		memcpy(name, r->text, n);
		name[n] = '\0';
		pcl_session_headers_add(s, a->headers, name, colon + 1);
		pcl_session_trace(s, a->stage, a->check, "prepend", "%s: %s",
		                  spec, r->text);
		return false;
	}
	case PCL_ACCESS_REJECT:
	case PCL_ACCESS_DEFER:
	case PCL_ACCESS_DISCARD:
	case PCL_ACCESS_HOLD:
		break;
	}
	f = pcl_session_find(s, a->scope, a->check, a->stage, acts[r->kind]);
	if (f == NULL)
		return true;
	pcl_format(f->detail, sizeof(f->detail), "%s matched %s", spec,
	           matched);
	access_reply(f, a, r);
	pcl_session_trace(s, a->stage, a->check, "hit", "%s: %s -> %s%s", spec,
	                  matched, pcl_action_name(f->action),
	                  f->dry_run ? " (dry run)" : "");
	if (r->kind == PCL_ACCESS_DISCARD || r->kind == PCL_ACCESS_HOLD)
		return false;
	*outcome = ACCESS_REFUSED;
	return true;
}

/* access_search - search every table of a list in order */
static enum access_outcome
access_search(struct pcl_session *s, const struct access_ctx *a)
{
	enum access_outcome outcome = ACCESS_NONE;

	for (size_t i = 0; i < a->tables->count; i++) {
		const struct pcl_table *t = a->tables->items[i];
		struct pcl_access_result r;
		char matched[PCL_ADDRESS_MAX + 1] = "";
		char err[PCL_ERR_MAX] = "";
		enum pcl_table_status st;

		st = pcl_access_lookup(t, a->cls, a->key, a->addr, &r, matched,
		                       sizeof(matched), err, sizeof(err));
		if (st == PCL_TABLE_ERROR) {
			access_error(s, a, pcl_table_spec(t), err);
			return ACCESS_REFUSED;
		}
		if (st == PCL_TABLE_NOTFOUND)
			continue;
		if (access_apply(s, a, pcl_table_spec(t), &r, matched,
		                 &outcome))
			return outcome;
	}
	if (a->tables->count)
		pcl_session_trace(s, a->stage, a->check, "pass", "%s%s%s",
		                  a->key ? a->key : "", a->addr ? " " : "",
		                  a->addr ? a->addr : "");
	return outcome;
}

/* pcl_checks_client - client_access on the name and address */
void
pcl_checks_client(struct pcl_session *s)
{
	char ident[PCL_DOMAIN_MAX + PCL_ADDR_TEXT_MAX + 4];
	struct access_ctx a = {
	    .check = "client_access",
	    .cls = PCL_ACCESS_CLIENT,
	    .stage = PCL_STAGE_CONNECT,
	    .tables = &s->conf->client_access,
	    .on_error = s->conf->client_access_on_error,
	    .key = *s->name ? s->name : NULL,
	    .addr = *s->addr ? s->addr : NULL,
	    .ident = ident,
	    .what = "Client host",
	    .scope = &s->conn,
	    .headers = &s->conn_headers,
	};

	pcl_format(ident, sizeof(ident), "%s[%s]",
	           *s->name ? s->name : "unknown",
	           *s->addr ? s->addr : "unknown");
	if (access_search(s, &a) == ACCESS_EXEMPT)
		s->conn_exempt = true;
}

/* helo_check_conf - the configured behaviour for a HELO problem */
static const struct pcl_check_conf *
helo_check_conf(const struct pcl_conf *c, enum pcl_helo_problem p)
{
	switch (p) {
	case PCL_HELO_INVALID:
		return &c->helo_invalid;
	case PCL_HELO_BARE_IP:
		return &c->helo_bare_ip;
	case PCL_HELO_NON_FQDN:
		return &c->helo_non_fqdn;
	case PCL_HELO_LITERAL_MISMATCH:
		return &c->helo_literal_mismatch;
	case PCL_HELO_IMPERSONATION:
		return &c->helo_impersonation;
	case PCL_HELO_FINE:
		break;
	}
	return NULL;
}

/* pcl_session_configured - a finding for a check with its own action and
 * reply template; none when the action is accept */
void
pcl_session_configured(struct pcl_session *s, struct findings *scope,
                       const char *check, enum pcl_stage stage,
                       const struct pcl_check_conf *cc, const char *detail)
{
	struct pcl_finding *f;

	if (cc->action == PCL_ACT_ACCEPT) {
		pcl_session_trace(s, stage, check, "hit", "%s (action accept)",
		                  detail);
		return;
	}
	f = pcl_session_find(s, scope, check, stage, cc->action);
	if (f == NULL)
		return;
	pcl_copy(f->detail, sizeof(f->detail), detail);
	pcl_session_reply(s, f, cc->reply);
	pcl_session_trace(s, stage, check, "hit", "%s -> %s%s", detail,
	                  pcl_action_name(cc->action),
	                  f->dry_run ? " (dry run)" : "");
}

/* pcl_checks_helo - helo_access, then the HELO name checks */
void
pcl_checks_helo(struct pcl_session *s, const char *name)
{
	struct access_ctx a = {
	    .check = "helo_access",
	    .cls = PCL_ACCESS_HELO,
	    .stage = PCL_STAGE_HELO,
	    .tables = &s->conf->helo_access,
	    .on_error = s->conf->helo_access_on_error,
	    .key = name,
	    .ident = s->helo,
	    .what = "Helo command",
	    .scope = &s->helo_findings,
	    .headers = &s->helo_headers,
	};
	unsigned bits;

	if (access_search(s, &a) == ACCESS_EXEMPT) {
		s->helo_exempt = true;
		return;
	}
	bits = pcl_helo_judge(name, s->have_addr ? &s->caddr : NULL,
	                      &s->conf->self);
	if (bits == 0) {
		pcl_session_trace(s, PCL_STAGE_HELO, "helo", "pass", "%s",
		                  s->helo);
		return;
	}
	for (int p = PCL_HELO_INVALID; p <= PCL_HELO_IMPERSONATION; p++) {
		char detail[PCL_FINDING_DETAIL_MAX];
		const char *check;

		if (!(bits & (1u << p)))
			continue;
		check = pcl_helo_problem_name((enum pcl_helo_problem)p);
		/* raw: the log line and the test mode quote it */
		pcl_copy(detail, sizeof(detail), s->helo);
		pcl_session_configured(
		    s, &s->helo_findings, check, PCL_STAGE_HELO,
		    helo_check_conf(s->conf, (enum pcl_helo_problem)p), detail);
	}
}

/* pcl_checks_sender - HELO required, then sender_access */
void
pcl_checks_sender(struct pcl_session *s)
{
	char ident[PCL_ADDRESS_MAX + 1];
	struct access_ctx a = {
	    .check = "sender_access",
	    .cls = PCL_ACCESS_SENDER,
	    .stage = PCL_STAGE_MAIL,
	    .tables = &s->conf->sender_access,
	    .on_error = s->conf->sender_access_on_error,
	    .key = s->sender,
	    .ident = ident,
	    .what = "Sender address",
	    .scope = &s->txn,
	    .headers = &s->txn_headers,
	};

	if (!s->helo_seen)
		pcl_session_configured(s, &s->txn, "helo_required",
		                       PCL_STAGE_MAIL, &s->conf->helo_required,
		                       "no HELO/EHLO");
	pcl_copy(ident, sizeof(ident), s->sender);
	if (access_search(s, &a) == ACCESS_EXEMPT)
		s->txn_exempt = true;
}

/* is_exception - is rcpt in recipient_exceptions */
static bool
is_exception(const struct pcl_conf *c, const char *rcpt, const char **which)
{
	const char *at = strrchr(rcpt, '@');
	size_t local = at ? (size_t)(at - rcpt) : strlen(rcpt);

	for (size_t i = 0; i < c->recipient_exceptions.count; i++) {
		const char *e = c->recipient_exceptions.items[i];
		const char *eat = strchr(e, '@');
		bool hit;

		*which = e;
		if (eat == NULL ||
		    eat[1] == '\0') /* "postmaster" or "postmaster@" */
			hit = strlen(e) - (eat ? 1 : 0) == local &&
			      strncasecmp(e, rcpt, local) == 0;
		else if (eat == e) /* "@domain" */
			hit = at && strcasecmp(at, e) == 0;
		else
			hit = strcasecmp(e, rcpt) == 0;
		if (hit)
			return true;
	}
	return false;
}

/* pcl_checks_recipient - exceptions, trust, then recipient_access */
int
pcl_checks_recipient(struct pcl_session *s, struct pcl_finding *own)
{
	struct findings mine = {0};
	struct access_ctx a = {
	    .check = "recipient_access",
	    .cls = PCL_ACCESS_RECIPIENT,
	    .stage = PCL_STAGE_RCPT,
	    .tables = &s->conf->recipient_access,
	    .on_error = s->conf->recipient_access_on_error,
	    .key = s->rcpt,
	    .ident = s->rcpt,
	    .what = "Recipient address",
	    .scope = &mine,
	    .headers = &s->txn_headers,
	};
	enum access_outcome outcome;
	const char *which = NULL;

	memset(own, 0, sizeof(*own));
	if (is_exception(s->conf, s->rcpt, &which)) {
		pcl_session_trace(s, PCL_STAGE_RCPT, "recipient_exceptions",
		                  "accept", "<%s> matches %s", s->rcpt, which);
		return 2;
	}
	if (s->internal || s->authenticated || s->conn_exempt)
		return 1;
	outcome = access_search(s, &a);
	if (outcome == ACCESS_EXEMPT) {
		free(mine.items);
		free(mine.logged);
		return 1;
	}
	/* the strongest per-recipient finding, if any */
	for (size_t i = 0; i < mine.count; i++)
		if (i == 0 || pcl_finding_stronger(&mine.items[i], own))
			*own = mine.items[i];
	free(mine.items);
	free(mine.logged);
	return 0;
}
