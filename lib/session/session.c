/*
 * session - the events of one connection, handed to the checks
 *
 * The session keeps the facts of the connection and the message and
 * calls every check of the table (lib/checks/checks.c) at the events it
 * wants, in table order, when the check is to judge this mail:
 *
 *   - inbound checks are skipped for internal and (with
 *     skip_authenticated) authenticated clients and for a client that
 *     client_access said OK to; helo_access OK skips the rest of the
 *     HELO checks, sender_access OK the rest of the transaction but the
 *     recipients;
 *   - outgoing checks run only for mail to sign: from internal or
 *     authenticated clients, through Postfix's sendmail (client port 0)
 *     or a service listed in dkim_sign_daemon_names;
 *   - once a message is over its header budget, the checks that read
 *     the content get no more of it.
 *
 * Where verdicts are enacted is verdict.c's business; what a check may
 * do, results.c's.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "session_int.h"
#include "snapshot.h"

/* pcl_session_new - a session on conf, with every check's state */
struct pcl_session *
pcl_session_new(struct pcl_conf *conf)
{
	struct pcl_session *s = calloc(1, sizeof(*s));
	size_t n = 0;

	if (s == NULL)
		return NULL;
	while (pcl_checks[n] != NULL)
		n++;
	s->ctx = calloc(n, sizeof(*s->ctx));
	if (s->ctx == NULL) {
		free(s);
		return NULL;
	}
	s->nchecks = n;
	for (size_t i = 0; i < n; i++) {
		struct pcl_check_ctx *x = &s->ctx[i];

		x->check = pcl_checks[i];
		x->facts = &s->facts;
		x->session = s;
		if (x->check->state_size > 0 &&
		    (x->state = calloc(1, x->check->state_size)) == NULL) {
			pcl_session_free(s);
			return NULL;
		}
	}
	pcl_conf_hold(conf);
	s->conf = conf;
	s->facts = (struct pcl_facts){
	    .conf = conf,
	    .qid = s->qid,
	    .addr = s->addr,
	    .name = s->name,
	    .port = -1,
	    .daemon = s->daemon,
	    .helo = s->helo,
	    .sender = s->sender,
	    .rcpt = s->rcpt,
	};
	return s;
}

/* pcl_session_free - end the session */
void
pcl_session_free(struct pcl_session *s)
{
	if (s == NULL)
		return;
	if (s->conf != NULL)
		pcl_session_reset(s);
	for (size_t i = 0; i < s->nchecks; i++) {
		struct pcl_check_ctx *x = &s->ctx[i];

		if (x->state != NULL && x->check->free != NULL)
			x->check->free(x);
		free(x->state);
	}
	free(s->ctx);
	free(s->helo_full);
	for (int i = 0; i < PCL_SCOPE_COUNT; i++)
		pcl_scope_clear(&s->scopes[i]);
	free(s->trace);
	pcl_conf_release(s->conf);
	free(s);
}

/* pcl_session_set_log - log decisions or not */
void
pcl_session_set_log(struct pcl_session *s, bool on)
{
	s->log = on;
	s->facts.log = on;
}

/* pcl_session_set_queue_id - Postfix's queue ID */
void
pcl_session_set_queue_id(struct pcl_session *s, const char *qid)
{
	if (qid && *qid)
		pcl_copy(s->qid, sizeof(s->qid), qid);
}

/* pcl_session_trusted - is the client exempt from every inbound check */
bool
pcl_session_trusted(const struct pcl_session *s)
{
	return s->facts.trusted;
}

/* pcl_session_update_trust - the facts after internal_networks,
 * authentication or client_access OK */
void
pcl_session_update_trust(struct pcl_session *s)
{
	s->facts.trusted = s->facts.internal || s->facts.authenticated ||
	                   s->scopes[PCL_SCOPE_CONN].exempt;
}

/* pcl_session_oom - out of memory: the message gets on_error; before
 * any transaction, every message of the connection does (what was
 * lost, a refusal of the client perhaps, would be lost for all) */
void
pcl_session_oom(struct pcl_session *s)
{
	if (s->in_txn)
		s->error = true;
	else
		s->conn_error = true;
}

/* pcl_session_log_id - the queue ID for a log line, or NOQUEUE */
const char *
pcl_session_log_id(const struct pcl_session *s)
{
	return *s->qid ? s->qid : "NOQUEUE";
}

/* outgoing - is the mail of this client ours to sign */
static bool
outgoing(const struct pcl_session *s)
{
	const struct pcl_words *names = &s->conf->dkim_sign_daemon_names;

	if (s->facts.internal || s->facts.authenticated || s->facts.port == 0)
		return true;
	for (size_t i = 0; *s->daemon && i < names->count; i++)
		if (strcasecmp(names->items[i], s->daemon) == 0)
			return true;
	return false;
}

/* reads_content - does a check read the header or the body */
static bool
reads_content(const struct pcl_check *c)
{
	return c->header != NULL || c->body != NULL;
}

/* runs - is check c to judge event ev of this mail */
static bool
runs(const struct pcl_session *s, const struct pcl_check *c, enum pcl_event ev)
{
	if (ev >= PCL_EV_HEADER && s->hdr_over && reads_content(c) &&
	    c->kind != PCL_CHECK_ALL)
		return false;
	switch (c->kind) {
	case PCL_CHECK_ALL:
		return true;
	case PCL_CHECK_OUTGOING:
		return s->facts.outgoing;
	case PCL_CHECK_INBOUND:
		break;
	}
	if (pcl_session_trusted(s))
		return false;
	if (ev == PCL_EV_HELO && s->scopes[PCL_SCOPE_HELO].exempt)
		return false;
	return !(ev >= PCL_EV_MAIL && ev != PCL_EV_RCPT &&
	         s->scopes[PCL_SCOPE_TXN].exempt);
}

/* pcl_session_content_stop - the header budget is spent: each check
 * that reads the content forgets the message (its verdict would be
 * wrong on part of the header) and gets no more of it */
void
pcl_session_content_stop(struct pcl_session *s)
{
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct pcl_check *c = s->ctx[i].check;

		if (!reads_content(c) || c->kind == PCL_CHECK_ALL ||
		    !runs(s, c, PCL_EV_HEADER))
			continue;
		pcl_session_trace(s, PCL_STAGE_DATA, c->name, "skip",
		                  "header budget spent");
		if (c->reset != NULL)
			c->reset(&s->ctx[i], PCL_SCOPE_MSG);
	}
	s->hdr_over = true;
}

/* pcl_session_dispatch - start(ev) of every check that wants it */
void
pcl_session_dispatch(struct pcl_session *s, enum pcl_event ev)
{
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct pcl_check *c = s->ctx[i].check;

		if (c->start != NULL && (c->events & PCL_EV(ev)) &&
		    runs(s, c, ev))
			c->start(&s->ctx[i], ev);
	}
}

/* pcl_session_collect - every check takes in its DNS answers: those
 * that have arrived, or (wait) all of them */
void
pcl_session_collect(struct pcl_session *s, bool wait)
{
	for (size_t i = 0; i < s->nchecks; i++)
		if (s->ctx[i].check->collect != NULL)
			s->ctx[i].check->collect(&s->ctx[i], wait);
}

/* reset_checks - the checks forget what belongs to a scope that ends */
static void
reset_checks(struct pcl_session *s, enum pcl_scope scope)
{
	for (size_t i = 0; i < s->nchecks; i++)
		if (s->ctx[i].check->reset != NULL)
			s->ctx[i].check->reset(&s->ctx[i], scope);
}

/* pcl_session_connect - the client's facts and the client checks */
void
pcl_session_connect(struct pcl_session *s, const char *addr, const char *name,
                    int port, const char *daemon_name, struct pcl_decision *d)
{
	memset(d, 0, sizeof(*d));
	s->facts.port = port;
	if (daemon_name)
		pcl_copy(s->daemon, sizeof(s->daemon), daemon_name);
	if (addr && *addr && pcl_addr_parse(addr, &s->caddr) == 0) {
		s->facts.ip = &s->caddr;
		pcl_addr_format(&s->caddr, s->addr, sizeof(s->addr));
	}
	/* Postfix says "unknown" or "[addr]" for a client without a
	 * verified name; either means none. */
	if (name && *name && *name != '[' && strcasecmp(name, "unknown") != 0)
		pcl_copy(s->name, sizeof(s->name), name);
	if (s->facts.ip &&
	    pcl_cidr_list_match(&s->conf->internal_networks, &s->caddr)) {
		s->facts.internal = true;
		pcl_session_update_trust(s);
		pcl_session_trace(s, PCL_STAGE_CONNECT, "internal_networks",
		                  "hit", "%s: inbound checks skipped", s->addr);
	}
	s->facts.outgoing = outgoing(s);
	pcl_session_dispatch(s, PCL_EV_CONNECT);
}

/* pcl_session_helo - a HELO or EHLO, which replaces the one before */
void
pcl_session_helo(struct pcl_session *s, const char *name,
                 struct pcl_decision *d)
{
	memset(d, 0, sizeof(*d));
	pcl_session_collect(s, false);
	reset_checks(s, PCL_SCOPE_HELO);
	pcl_scope_clear(&s->scopes[PCL_SCOPE_HELO]);
	s->facts.helo_seen = true;
	pcl_copy(s->helo, sizeof(s->helo), name ? name : "");
	/* judged as received: a name too long to keep is still too long */
	free(s->helo_full);
	if ((s->helo_full = strdup(name ? name : "")) == NULL)
		pcl_session_oom(s);
	s->facts.helo = s->helo_full ? s->helo_full : s->helo;
	pcl_session_dispatch(s, PCL_EV_HELO);
	if (s->conf->enforce_stage == PCL_ENFORCE_IMMEDIATE)
		pcl_verdict_decide(s, PCL_STAGE_HELO, d);
}

/* address - an address as the MTA gives it ("<a@b>", "<>", or bare)
 * into buf; false, with d the refusal Postfix itself would give, when
 * it is too long to be one */
static bool
address(struct pcl_session *s, const char *arg, char *buf, size_t len,
        bool sender, struct pcl_decision *d)
{
	enum pcl_stage stage = sender ? PCL_STAGE_MAIL : PCL_STAGE_RCPT;

	memset(d, 0, sizeof(*d));
	/* "<>" is the null sender; a recipient is never empty */
	if (pcl_strip_brackets(buf, len, arg ? arg : "") && (sender || *buf))
		return true;
	*buf = '\0';
	d->action = PCL_ACT_REJECT;
	pcl_reply_set(&d->reply, PCL_ACT_REJECT, 501,
	              sender ? "5.1.7" : "5.1.3",
	              sender ? "Bad sender address syntax"
	                     : "Bad recipient address syntax");
	pcl_session_trace(s, stage, "address", "reject",
	                  "%s address empty or longer than %d",
	                  sender ? "sender" : "recipient", PCL_ADDRESS_MAX);
	if (s->log)
		pcl_log(LOG_NOTICE, "%s: reject stage=%s reason=\"%s\"",
		        pcl_session_log_id(s), pcl_stage_name(stage),
		        sender ? "address too long" : "bad address");
	return false;
}

/* pcl_session_mail - MAIL FROM: a new transaction */
void
pcl_session_mail(struct pcl_session *s, const char *sender,
                 const char *auth_user, struct pcl_decision *d)
{
	char qid[sizeof(s->qid)], addr[sizeof(s->sender)];

	if (!address(s, sender, addr, sizeof(addr), true, d))
		return;
	pcl_session_collect(s, false);
	/* The queue ID may already be known (Postfix's sendmail path
	 * knows it at MAIL) and belongs to the new transaction. */
	memcpy(qid, s->qid, sizeof(qid));
	pcl_session_reset(s);
	memcpy(s->qid, qid, sizeof(qid));
	s->in_txn = true;
	pcl_copy(s->sender, sizeof(s->sender), addr);
	if (auth_user && *auth_user && s->conf->skip_authenticated &&
	    !s->facts.authenticated) {
		s->facts.authenticated = true;
		pcl_session_update_trust(s);
		s->facts.outgoing = outgoing(s);
		pcl_session_trace(s, PCL_STAGE_MAIL, "authenticated", "hit",
		                  "SASL user: inbound checks skipped");
	}
	pcl_session_dispatch(s, PCL_EV_MAIL);
	if (s->conf->enforce_stage == PCL_ENFORCE_IMMEDIATE)
		pcl_verdict_decide(s, PCL_STAGE_MAIL, d);
}

/* pcl_session_rcpt - RCPT TO: where pre-DATA verdicts are enacted */
void
pcl_session_rcpt(struct pcl_session *s, const char *rcpt,
                 struct pcl_decision *d)
{
	if (address(s, rcpt, s->rcpt, sizeof(s->rcpt), false, d))
		pcl_verdict_recipient(s, d);
}

/* pcl_session_header - a header field, once within the budget */
void
pcl_session_header(struct pcl_session *s, const char *name, const char *value)
{
	if (!pcl_budget_header(s, name, value))
		return;
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct pcl_check *c = s->ctx[i].check;

		if (c->header != NULL && runs(s, c, PCL_EV_HEADER))
			c->header(&s->ctx[i], name, value);
	}
}

/* pcl_session_eoh - end of headers */
void
pcl_session_eoh(struct pcl_session *s)
{
	pcl_session_dispatch(s, PCL_EV_EOH);
}

/* pcl_session_body - a chunk of the body */
void
pcl_session_body(struct pcl_session *s, const unsigned char *chunk, size_t len)
{
	for (size_t i = 0; i < s->nchecks; i++) {
		const struct pcl_check *c = s->ctx[i].check;

		if (c->body != NULL && runs(s, c, PCL_EV_BODY))
			c->body(&s->ctx[i], chunk, len);
	}
}

/* pcl_session_eom - the final verdict for the message */
void
pcl_session_eom(struct pcl_session *s, struct pcl_decision *d)
{
	pcl_verdict_eom(s, d);
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

/* pcl_session_reset - end the message; the connection's facts and
 * findings stay, and so does the HELO's */
void
pcl_session_reset(struct pcl_session *s)
{
	reset_checks(s, PCL_SCOPE_TXN);
	pcl_scope_clear(&s->scopes[PCL_SCOPE_TXN]);
	pcl_scope_clear(&s->scopes[PCL_SCOPE_MSG]);
	pcl_scope_clear(&s->scopes[PCL_SCOPE_RCPT]);
	pcl_scope_clear(&s->scopes[PCL_SCOPE_LIMIT]);
	pcl_budget_reset(s);
	pcl_header_list_clear(&s->add);
	free(s->dels);
	s->dels = NULL;
	s->ndels = s->delcap = 0;
	s->facts.spf_helo = s->facts.spf_mailfrom = NULL;
	s->facts.spf_mailfrom_identity = NULL;
	s->facts.dkim = NULL;
	s->facts.ndkim = 0;
	s->facts.dmarc = NULL;
	s->facts.arc = NULL;
	s->in_txn = false;
	s->error = false;
	s->rcpt_accepted = 0;
	s->rcpt_excepted = 0;
	*s->sender = '\0';
	*s->rcpt = '\0';
	*s->spf_identity = '\0';
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

/* pcl_session_had_error - did this message, or the connection before
 * any transaction, run out of memory */
bool
pcl_session_had_error(const struct pcl_session *s)
{
	return s->error || s->conn_error;
}
