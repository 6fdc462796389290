/*
 * session - stages, findings and the verdict for one connection
 *
 * The checks themselves live in session_checks.c; this file keeps the
 * facts of the connection and the message, collects findings by scope
 * (connection, HELO, transaction) and decides where to enact them:
 *
 *   - internal and (with skip_authenticated) authenticated clients are
 *     exempt from every inbound check;
 *   - a finding of tempfail or reject is enacted at RCPT (default) or at
 *     the first stage after connect that can carry a reply (immediate);
 *     recipients in recipient_exceptions are accepted regardless;
 *   - tag, quarantine and discard wait for the end of the message;
 *   - mail from non_smtpd_milters (client port 0) is judged only at the
 *     end of the message, because Postfix treats a RCPT reject there as
 *     a configuration error and keeps the mail queued;
 *   - a dry-run finding is traced and logged like an enacted one, with
 *     "dry-run" in front, and changes nothing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "session_int.h"
#include "snapshot.h"
#include "template.h"

/* pcl_session_new - a session on conf */
struct pcl_session *
pcl_session_new(struct pcl_conf *conf)
{
	struct pcl_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	pcl_conf_hold(conf);
	s->conf = conf;
	s->port = -1;
	return s;
}

/* findings_clear - empty a scope */
static void
findings_clear(struct findings *f)
{
	free(f->items);
	free(f->logged);
	memset(f, 0, sizeof(*f));
}

/* headers_clear - empty a header list */
static void
headers_clear(struct headers *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->items[i].name);
		free(h->items[i].value);
	}
	free(h->items);
	memset(h, 0, sizeof(*h));
}

/* pcl_session_free - end the session */
void
pcl_session_free(struct pcl_session *s)
{
	if (s == NULL)
		return;
	pcl_session_reset(s);
	findings_clear(&s->conn);
	findings_clear(&s->helo_findings);
	headers_clear(&s->conn_headers);
	headers_clear(&s->helo_headers);
	pcl_dns_batch_free(s->dnsbl_batch);
	free(s->dnsbl_idx);
	pcl_dbl_clear(&s->dbl_client);
	pcl_dbl_clear(&s->dbl_helo);
	free(s->trace);
	pcl_conf_release(s->conf);
	free(s);
}

/* pcl_session_set_log - log decisions or not */
void
pcl_session_set_log(struct pcl_session *s, bool on)
{
	s->log = on;
}

/* pcl_session_set_queue_id - remember Postfix's queue ID */
void
pcl_session_set_queue_id(struct pcl_session *s, const char *qid)
{
	if (qid && *qid)
		pcl_copy(s->qid, sizeof(s->qid), qid);
}

/* pcl_session_trace - append one trace line */
void
pcl_session_trace(struct pcl_session *s, enum pcl_stage stage,
                  const char *check, const char *result, const char *fmt, ...)
{
	struct pcl_trace_entry *e;
	va_list ap;

	if (s->ntrace > PCL_TRACE_MAX)
		return;
	if (s->ntrace == s->trace_cap) {
		size_t cap = s->trace_cap ? s->trace_cap * 2 : 16;
		struct pcl_trace_entry *grown;

		grown = realloc(s->trace, cap * sizeof(*grown));
		if (grown == NULL) {
			s->error = true;
			return;
		}
		s->trace = grown;
		s->trace_cap = cap;
	}
	e = &s->trace[s->ntrace++];
	memset(e, 0, sizeof(*e));
	e->stage = stage;
	if (s->ntrace > PCL_TRACE_MAX) {
		pcl_copy(e->check, sizeof(e->check), "trace");
		pcl_copy(e->result, sizeof(e->result), "cut");
		pcl_copy(e->detail, sizeof(e->detail), "too many lines");
		return;
	}
	pcl_copy(e->check, sizeof(e->check), check);
	pcl_copy(e->result, sizeof(e->result), result);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
}

/* pcl_session_find - add a finding to a scope; NULL on out-of-memory */
struct pcl_finding *
pcl_session_find(struct pcl_session *s, struct findings *scope,
                 const char *check, enum pcl_stage stage,
                 enum pcl_action action)
{
	struct pcl_finding *f;

	if (scope->count == scope->cap) {
		size_t cap = scope->cap ? scope->cap * 2 : 4;
		struct pcl_finding *items;
		bool *logged;

		items = realloc(scope->items, cap * sizeof(*items));
		if (items == NULL)
			goto oom;
		scope->items = items;
		logged = realloc(scope->logged, cap * sizeof(*logged));
		if (logged == NULL)
			goto oom;
		scope->logged = logged;
		scope->cap = cap;
	}
	scope->logged[scope->count] = false;
	f = &scope->items[scope->count++];
	memset(f, 0, sizeof(*f));
	pcl_copy(f->check, sizeof(f->check), check);
	f->stage = stage;
	f->action = action;
	f->dry_run = pcl_conf_is_dry_run(s->conf, check);
	return f;
oom:
	s->error = true;
	return NULL;
}

/* pcl_session_headers_add - queue a header for the end of message */
int
pcl_session_headers_add(struct pcl_session *s, struct headers *h,
                        const char *name, const char *value)
{
	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4;
		struct pcl_add_header *items;

		items = realloc(h->items, cap * sizeof(*items));
		if (items == NULL)
			goto oom;
		h->items = items;
		h->cap = cap;
	}
	h->items[h->count].name = strdup(name);
	h->items[h->count].value = strdup(value);
	if (h->items[h->count].name == NULL ||
	    h->items[h->count].value == NULL) {
		free(h->items[h->count].name);
		free(h->items[h->count].value);
		goto oom;
	}
	h->count++;
	return 0;
oom:
	s->error = true;
	return -1;
}

/* pcl_session_trusted - is the client exempt from every inbound check */
bool
pcl_session_trusted(const struct pcl_session *s)
{
	return s->internal || s->authenticated || s->conn_exempt;
}

/* scope_active - do the findings of a scope count: the budgets' for
 * every client; the others' unless the client is trusted or an OK from
 * helo_access or sender_access exempted the scope */
static bool
scope_active(const struct pcl_session *s, const struct findings *scope)
{
	if (scope == &s->budget)
		return true;
	if (pcl_session_trusted(s))
		return false;
	if (scope == &s->helo_findings && s->helo_exempt)
		return false;
	if (scope == &s->txn && s->txn_exempt)
		return false;
	return true;
}

/* counts - does a finding count: a client at or below the DNS list
 * allow-list threshold is excused every finding but an explicit
 * client_access refusal (postscreen, too, reads its access list first)
 * and a spent budget */
static bool
counts(const struct pcl_session *s, const struct findings *scope,
       const struct pcl_finding *f)
{
	return !s->dnsbl_allowlisted || scope == &s->budget ||
	       strcmp(f->check, "client_access") == 0;
}

/* strongest_in - the strongest finding of one scope with a rank in
 * min_rank..max_rank, not dry-run when real is set */
static const struct pcl_finding *
strongest_in(struct pcl_session *s, struct findings *scope, int min_rank,
             int max_rank, bool real)
{
	const struct pcl_finding *best = NULL;

	if (!scope_active(s, scope))
		return NULL;
	for (size_t j = 0; j < scope->count; j++) {
		const struct pcl_finding *f = &scope->items[j];

		if (pcl_action_rank(f->action) < min_rank ||
		    pcl_action_rank(f->action) > max_rank ||
		    f->dry_run == real || !counts(s, scope, f))
			continue;
		if (best == NULL || pcl_finding_stronger(f, best))
			best = f;
	}
	return best;
}

/* strongest - the same over the envelope's scopes (connection, HELO,
 * transaction) */
static const struct pcl_finding *
strongest(struct pcl_session *s, int min_rank, int max_rank, bool real)
{
	struct findings *scopes[] = {&s->conn, &s->helo_findings, &s->txn};
	const struct pcl_finding *best = NULL;

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		const struct pcl_finding *f =
		    strongest_in(s, scopes[i], min_rank, max_rank, real);

		if (f && (best == NULL || pcl_finding_stronger(f, best)))
			best = f;
	}
	return best;
}

/* log_dry_runs - log each dry-run finding of rank ≥ min once */
static void
log_dry_runs(struct pcl_session *s, enum pcl_stage stage, int min_rank)
{
	struct findings *scopes[] = {&s->conn, &s->helo_findings, &s->txn,
	                             &s->msg, &s->budget};
	char verdict[32];

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		for (size_t j = 0;
		     scope_active(s, scopes[i]) && j < scopes[i]->count; j++) {
			struct pcl_finding *f = &scopes[i]->items[j];

			if (!f->dry_run || scopes[i]->logged[j] ||
			    pcl_action_rank(f->action) < min_rank)
				continue;
			scopes[i]->logged[j] = true;
			pcl_format(verdict, sizeof(verdict), "dry-run %s",
			           pcl_action_name(f->action));
			pcl_session_trace(s, stage, f->check, "dry-run",
			                  "would %s",
			                  pcl_action_name(f->action));
			pcl_session_log_line(s, verdict, stage, f);
		}
}

/* collect - the answers of every lookup round sent so far */
static void
collect(struct pcl_session *s)
{
	pcl_checks_dnsbl_finish(s);
	pcl_dbl_finish(s, &s->dbl_client);
	pcl_dbl_finish(s, &s->dbl_helo);
	pcl_dbl_finish(s, &s->dbl_txn);
}

/* decide - set d to the pending refusal, if any, for this stage */
static void
decide(struct pcl_session *s, enum pcl_stage stage, struct pcl_decision *d)
{
	const struct pcl_finding *f;
	int min = pcl_action_rank(PCL_ACT_TEMPFAIL);

	memset(d, 0, sizeof(*d));
	if (s->port == 0)
		return; /* non_smtpd_milters: judged at end of message */
	collect(s);
	log_dry_runs(s, stage, min);
	f = strongest(s, min, pcl_action_rank(PCL_ACT_REJECT), true);
	if (f == NULL)
		return;
	d->action = f->action;
	d->reply = f->reply;
	pcl_session_trace(s, stage, f->check, "enacted", "%s %d %s",
	                  pcl_action_name(f->action), f->reply.code,
	                  f->reply.enhanced);
	pcl_session_log_line(s, pcl_action_name(f->action), stage, f);
}

/* pcl_session_connect - the client's facts and the client checks */
void
pcl_session_connect(struct pcl_session *s, const char *addr, const char *name,
                    int port, const char *daemon_name, struct pcl_decision *d)
{
	memset(d, 0, sizeof(*d));
	s->port = port;
	if (daemon_name)
		pcl_copy(s->daemon, sizeof(s->daemon), daemon_name);
	if (addr && *addr && pcl_addr_parse(addr, &s->caddr) == 0) {
		s->have_addr = true;
		pcl_addr_format(&s->caddr, s->addr, sizeof(s->addr));
	}
	/* Postfix says "unknown" or "[addr]" for a client without a
	 * verified name; either means none. */
	if (name && *name && *name != '[' && strcasecmp(name, "unknown") != 0)
		pcl_copy(s->name, sizeof(s->name), name);
	if (s->have_addr &&
	    pcl_cidr_list_match(&s->conf->internal_networks, &s->caddr)) {
		s->internal = true;
		pcl_session_trace(s, PCL_STAGE_CONNECT, "internal_networks",
		                  "hit", "%s: inbound checks skipped", s->addr);
		return;
	}
	pcl_checks_client(s);
	if (pcl_session_trusted(s))
		return;
	pcl_checks_dnsbl_start(s);
	if (*s->name && pcl_dbl_wanted(s, PCL_DBL_CLIENT)) {
		pcl_dbl_add(s, &s->dbl_client, PCL_DBL_CLIENT, s->name,
		            &s->conn);
		pcl_dbl_send(&s->dbl_client);
	}
}

/* pcl_session_helo - a HELO or EHLO */
void
pcl_session_helo(struct pcl_session *s, const char *name,
                 struct pcl_decision *d)
{
	memset(d, 0, sizeof(*d));
	pcl_checks_dnsbl_poll(s);
	pcl_dbl_clear(&s->dbl_helo); /* a new HELO replaces the old */
	findings_clear(&s->helo_findings);
	headers_clear(&s->helo_headers);
	s->helo_exempt = false;
	s->helo_seen = true;
	pcl_copy(s->helo, sizeof(s->helo), name ? name : "");
	if (!pcl_session_trusted(s))
		pcl_checks_helo(s, name ? name : "");
	if (!pcl_session_trusted(s) && !s->helo_exempt &&
	    pcl_dbl_wanted(s, PCL_DBL_HELO)) {
		pcl_dbl_add(s, &s->dbl_helo, PCL_DBL_HELO, s->helo,
		            &s->helo_findings);
		pcl_dbl_send(&s->dbl_helo);
	}
	if (s->conf->enforce_stage == PCL_ENFORCE_IMMEDIATE)
		decide(s, PCL_STAGE_HELO, d);
}

/* pcl_session_mail - MAIL FROM */
void
pcl_session_mail(struct pcl_session *s, const char *sender,
                 const char *auth_user, struct pcl_decision *d)
{
	char qid[sizeof(s->qid)];

	memset(d, 0, sizeof(*d));
	pcl_checks_dnsbl_poll(s);
	/* A new transaction; the queue ID may already be known (Postfix's
	 * sendmail path knows it at MAIL) and belongs to it. */
	memcpy(qid, s->qid, sizeof(qid));
	pcl_session_reset(s);
	memcpy(s->qid, qid, sizeof(qid));
	s->in_txn = true;
	if (!pcl_copy(s->sender, sizeof(s->sender), sender ? sender : ""))
		pcl_session_trace(s, PCL_STAGE_MAIL, "sender", "cut",
		                  "sender address longer than %d",
		                  PCL_ADDRESS_MAX);
	if (auth_user && *auth_user && s->conf->skip_authenticated &&
	    !s->authenticated) {
		s->authenticated = true;
		pcl_session_trace(s, PCL_STAGE_MAIL, "authenticated", "hit",
		                  "SASL user: inbound checks skipped");
	}
	if (!pcl_session_trusted(s))
		pcl_checks_sender(s);
	if (!pcl_session_trusted(s) && !s->txn_exempt)
		pcl_checks_spf(s);
	if (!pcl_session_trusted(s) && !s->txn_exempt &&
	    pcl_dbl_wanted(s, PCL_DBL_SENDER)) {
		pcl_dbl_add(s, &s->dbl_txn, PCL_DBL_SENDER,
		            pcl_dbl_address_domain(s->sender), &s->txn);
		pcl_dbl_send(&s->dbl_txn);
	}
	if (s->conf->enforce_stage == PCL_ENFORCE_IMMEDIATE)
		decide(s, PCL_STAGE_MAIL, d);
}

/* pcl_session_rcpt - RCPT TO: where pre-DATA verdicts are enacted */
void
pcl_session_rcpt(struct pcl_session *s, const char *rcpt,
                 struct pcl_decision *d)
{
	struct pcl_finding own;
	bool refuse;
	char verdict[32];

	memset(d, 0, sizeof(*d));
	pcl_copy(s->rcpt, sizeof(s->rcpt), rcpt ? rcpt : "");
	if (s->port != 0)
		collect(s); /* the same facts for the first recipient as for
		               the others */
	switch (pcl_checks_recipient(s, &own)) {
	case 2:
		s->rcpt_excepted++;
		/* fall through */
	case 1:
		s->rcpt_accepted++;
		return;
	default:
		break;
	}
	refuse =
	    pcl_action_rank(own.action) >= pcl_action_rank(PCL_ACT_TEMPFAIL);
	if (own.action != PCL_ACT_ACCEPT && own.dry_run) {
		pcl_format(verdict, sizeof(verdict), "dry-run %s",
		           pcl_action_name(own.action));
		pcl_session_log_line(s, verdict, PCL_STAGE_RCPT, &own);
	} else if (refuse && s->port == 0) {
		/* Postfix calls a RCPT refusal on the sendmail path a
		 * configuration error, and a message cannot be split. */
		pcl_session_trace(s, PCL_STAGE_RCPT, own.check, "not-enforced",
		                  "per-recipient %s on the sendmail path",
		                  pcl_action_name(own.action));
		pcl_session_log_line(s, "not-enforced", PCL_STAGE_RCPT, &own);
	} else if (refuse) {
		d->action = own.action;
		d->reply = own.reply;
		pcl_session_log_line(s, pcl_action_name(own.action),
		                     PCL_STAGE_RCPT, &own);
		return;
	} else if (own.action != PCL_ACT_ACCEPT) {
		/* Discard and quarantine act on the whole message. */
		struct pcl_finding *kept = pcl_session_find(
		    s, &s->txn, own.check, PCL_STAGE_RCPT, own.action);

		if (kept)
			*kept = own;
	}
	decide(s, PCL_STAGE_RCPT, d);
	if (d->action == PCL_ACT_ACCEPT)
		s->rcpt_accepted++;
}

/* pcl_session_header - a header of the message (kept for later
 * modules: DKIM, From: domain lists) */
void
pcl_session_header(struct pcl_session *s, const char *name, const char *value)
{
	if (!pcl_budget_header(s, name, value))
		return;
	pcl_content_header(s, name, value);
	pcl_sign_header(s, name, value);
}

/* pcl_session_eoh - end of headers */
void
pcl_session_eoh(struct pcl_session *s)
{
	pcl_content_eoh(s);
	pcl_sign_eoh(s);
}

/* pcl_session_body - a chunk of the body */
void
pcl_session_body(struct pcl_session *s, const unsigned char *chunk, size_t len)
{
	if (!pcl_session_trusted(s))
		pcl_content_body(s, chunk, len);
	pcl_sign_body(s, chunk, len);
}

/* copy_headers - append every header of h to the output list */
static void
copy_headers(struct pcl_session *s, const struct headers *h)
{
	for (size_t i = 0; i < h->count; i++)
		pcl_session_headers_add(s, &s->add, h->items[i].name,
		                        h->items[i].value);
}

/* tag_header - the tag header listing every tagging check */
static void
tag_header(struct pcl_session *s)
{
	struct findings *scopes[] = {&s->conn, &s->helo_findings, &s->txn,
	                             &s->msg};
	char value[PCL_LINE_MAX] = "";

	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		for (size_t j = 0;
		     scope_active(s, scopes[i]) && j < scopes[i]->count; j++) {
			const struct pcl_finding *f = &scopes[i]->items[j];

			if (f->action != PCL_ACT_TAG || f->dry_run ||
			    !counts(s, scopes[i], f))
				continue;
			pcl_append(value, sizeof(value), "%s%s",
			           *value ? ", " : " ", f->check);
		}
	if (*value && *s->conf->tag_header)
		pcl_session_headers_add(s, &s->add, s->conf->tag_header, value);
}

/* What the end of a message may do with a refusal. */
enum eom_limit {
	EOM_ANY,  /* enact it */
	EOM_HOLD, /* quarantine instead: recipients are mixed */
	EOM_NONE, /* deliver (at most quarantine) */
};

/* eom_limit - a message only to recipient exceptions (postmaster@,
 * abuse@: reports of spam carry spam) and a bounce on the sendmail path
 * (Postfix's own, null sender: refused, it could never be returned and
 * would stay queued) are never refused or discarded. A message to
 * exceptions and to others cannot be split: a refusal holds it in the
 * quarantine, so that adding postmaster@ gets spam past no check and no
 * mail is lost. */
static enum eom_limit
eom_limit(struct pcl_session *s, bool trace)
{
	if (s->port == 0 && s->in_txn && *s->sender == '\0') {
		if (trace)
			pcl_session_trace(
			    s, PCL_STAGE_DATA, "sendmail_path", "pass",
			    "null sender: a bounce is never refused");
		return EOM_NONE;
	}
	if (s->rcpt_excepted > 0 && s->rcpt_excepted == s->rcpt_accepted) {
		if (trace)
			pcl_session_trace(s, PCL_STAGE_DATA,
			                  "recipient_exceptions", "accept",
			                  "every recipient is excepted");
		return EOM_NONE;
	}
	return s->rcpt_excepted > 0 ? EOM_HOLD : EOM_ANY;
}

/* pcl_session_refused_early - a spent budget that refuses: enacted at
 * once, so that the MTA sends no more of the message (a round trip per
 * header field is most of what a hostile one costs) */
bool
pcl_session_refused_early(struct pcl_session *s, struct pcl_decision *d)
{
	const struct pcl_finding *f;

	memset(d, 0, sizeof(*d));
	if (s->budget.count == 0 || eom_limit(s, false) != EOM_ANY)
		return false;
	f = strongest_in(s, &s->budget, pcl_action_rank(PCL_ACT_TEMPFAIL),
	                 pcl_action_rank(PCL_ACT_REJECT), true);
	if (f == NULL)
		return false;
	d->action = f->action;
	d->reply = f->reply;
	pcl_session_trace(s, PCL_STAGE_DATA, f->check, "enacted",
	                  "%s %d %s before the end of the message",
	                  pcl_action_name(f->action), f->reply.code,
	                  f->reply.enhanced);
	pcl_session_log_line(s, pcl_action_name(f->action), PCL_STAGE_DATA, f);
	return true;
}

/* pcl_session_eom - the final verdict for the message */
void
pcl_session_eom(struct pcl_session *s, struct pcl_decision *d)
{
	const struct pcl_finding *f, *g;
	int min = pcl_action_rank(PCL_ACT_TAG);
	int max = pcl_action_rank(PCL_ACT_DISCARD), cap;
	enum eom_limit limit;
	enum pcl_action act;

	memset(d, 0, sizeof(*d));
	headers_clear(&s->add);
	collect(s);
	if (!pcl_session_trusted(s) && !s->txn_exempt)
		pcl_content_eom(s);
	log_dry_runs(s, PCL_STAGE_DATA, min);
	limit = eom_limit(s, true);
	cap = pcl_action_rank(limit == EOM_NONE ? PCL_ACT_QUARANTINE
	                                        : PCL_ACT_REJECT);
	/* On the SMTP path refusals of the envelope were enacted at RCPT: a
	 * message that got here is not refused for them again; on the
	 * sendmail path nothing was enacted before. */
	f = strongest(s, min, s->port == 0 ? cap : (max < cap ? max : cap),
	              true);
	if ((g = strongest_in(s, &s->msg, min, cap, true)) != NULL &&
	    (f == NULL || pcl_finding_stronger(g, f)))
		f = g;
	if ((g = strongest_in(s, &s->budget, min, cap, true)) != NULL &&
	    (f == NULL || pcl_finding_stronger(g, f)))
		f = g;
	pcl_content_authres(s);
	pcl_sign_eom(s);
	if (!pcl_session_trusted(s)) {
		copy_headers(s, &s->conn_headers);
		copy_headers(s, &s->helo_headers);
		if (!s->txn_exempt)
			copy_headers(s, &s->txn_headers);
		tag_header(s);
	}
	*s->rcpt = '\0';
	if (f && f->action != PCL_ACT_TAG) {
		act = f->action;
		if (limit == EOM_HOLD &&
		    pcl_action_rank(act) > pcl_action_rank(PCL_ACT_QUARANTINE))
			act = PCL_ACT_QUARANTINE;
		d->action = act;
		d->reply = f->reply;
		if (act == PCL_ACT_QUARANTINE)
			pcl_format(s->quarantine, sizeof(s->quarantine),
			           "portcullis: %s%s", f->check,
			           act != f->action ? " (held: a recipient is "
			                              "an exception)"
			                            : "");
		pcl_session_trace(s, PCL_STAGE_DATA, f->check, "enacted",
		                  "%s%s", pcl_action_name(act),
		                  act != f->action ? " instead of a refusal"
		                                   : "");
		pcl_session_log_line(s, pcl_action_name(act), PCL_STAGE_DATA,
		                     f);
		return;
	}
	if (f && f->action == PCL_ACT_TAG)
		d->action = PCL_ACT_TAG;
	pcl_session_trace(s, PCL_STAGE_DATA, "verdict",
	                  pcl_action_name(d->action), "%zu header(s) to add",
	                  s->add.count);
	pcl_session_log_line(s, pcl_action_name(d->action), PCL_STAGE_DATA,
	                     NULL);
}

/* pcl_session_header_count - headers to add */
size_t
pcl_session_header_count(const struct pcl_session *s)
{
	return s->add.count;
}

/* pcl_session_header_get - one header to add */
const struct pcl_add_header *
pcl_session_header_get(const struct pcl_session *s, size_t i)
{
	return i < s->add.count ? &s->add.items[i] : NULL;
}

/* pcl_session_delete_count - headers to delete */
size_t
pcl_session_delete_count(const struct pcl_session *s)
{
	return s->ndels;
}

/* pcl_session_delete_get - one header to delete */
const struct pcl_del_header *
pcl_session_delete_get(const struct pcl_session *s, size_t i)
{
	return i < s->ndels ? &s->dels[i] : NULL;
}

/* pcl_session_quarantine_reason - why the message is held */
const char *
pcl_session_quarantine_reason(const struct pcl_session *s)
{
	return s->quarantine;
}

/* pcl_session_reset - end the message */
void
pcl_session_reset(struct pcl_session *s)
{
	findings_clear(&s->txn);
	findings_clear(&s->budget);
	pcl_budget_reset(s);
	headers_clear(&s->txn_headers);
	pcl_dbl_clear(&s->dbl_txn);
	pcl_content_reset(s);
	pcl_sign_reset(s);
	s->spf_he_done = s->spf_mf_done = false;
	*s->spf_mf_identity = '\0';
	headers_clear(&s->add);
	s->in_txn = false;
	s->txn_exempt = false;
	s->rcpt_accepted = 0;
	s->rcpt_excepted = 0;
	*s->sender = '\0';
	*s->rcpt = '\0';
	*s->quarantine = '\0';
	*s->qid = '\0';
}

/* pcl_session_trace_count - trace lines so far */
size_t
pcl_session_trace_count(const struct pcl_session *s)
{
	return s->ntrace;
}

/* pcl_session_trace_get - one trace line */
const struct pcl_trace_entry *
pcl_session_trace_get(const struct pcl_session *s, size_t i)
{
	return i < s->ntrace ? &s->trace[i] : NULL;
}

/* pcl_session_had_error - did anything run out of memory */
bool
pcl_session_had_error(const struct pcl_session *s)
{
	return s->error;
}
