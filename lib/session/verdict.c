/*
 * verdict - which findings count, and where they are enacted
 *
 *   - a finding lives in a scope: the connection, the HELO (replaced by
 *     the next HELO), the transaction, the message, the recipient being
 *     judged, or the message's budgets; an exempt scope's findings do
 *     not count, and a trusted client's count only for the budgets;
 *   - a client at or below the DNS allow-list threshold is excused
 *     every finding but a client_access refusal and a budget;
 *   - a finding of tempfail or reject is enacted at RCPT (default) or
 *     at the first stage after connect that can carry a reply
 *     (immediate); recipients in recipient_exceptions are accepted
 *     regardless;
 *   - tag, quarantine and discard wait for the end of the message;
 *   - mail from non_smtpd_milters (client port 0) is judged only at the
 *     end of the message, because Postfix treats a RCPT reject there as
 *     a configuration error and keeps the mail queued;
 *   - a dry-run finding is traced and logged like an enacted one, with
 *     "dry-run" in front, and changes nothing.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "log.h"
#include "session_int.h"

/* The scopes of the envelope, enacted before the message. */
static const enum pcl_scope envelope[] = {PCL_SCOPE_CONN, PCL_SCOPE_HELO,
                                          PCL_SCOPE_TXN};
#define NENVELOPE (sizeof(envelope) / sizeof(envelope[0]))

/* Every scope whose findings a message can carry, in the order the
 * trace and the tag header list them. */
static const enum pcl_scope order[] = {PCL_SCOPE_CONN, PCL_SCOPE_HELO,
                                       PCL_SCOPE_TXN, PCL_SCOPE_MSG,
                                       PCL_SCOPE_LIMIT};
#define NORDER (sizeof(order) / sizeof(order[0]))

/* scope_active - do a scope's findings count */
static bool
scope_active(const struct pcl_session *s, enum pcl_scope scope)
{
	if (scope == PCL_SCOPE_LIMIT)
		return true;
	if (pcl_session_trusted(s))
		return false;
	return !s->scopes[scope].exempt &&
	       !(scope == PCL_SCOPE_MSG && s->scopes[PCL_SCOPE_TXN].exempt);
}

/* counts - does a finding count for a client on the DNS allow-lists:
 * only a client_access refusal (postscreen, too, reads its access list
 * first) and a spent budget */
static bool
counts(const struct pcl_session *s, enum pcl_scope scope,
       const struct pcl_finding *f)
{
	return !s->allowlisted || scope == PCL_SCOPE_LIMIT ||
	       strcmp(f->check, "client_access") == 0;
}

/* strongest_in - the strongest finding of one scope with a rank in
 * min_rank..max_rank, not dry-run when real is set */
static const struct pcl_finding *
strongest_in(struct pcl_session *s, enum pcl_scope scope, int min_rank,
             int max_rank, bool real)
{
	const struct scope *sc = &s->scopes[scope];
	const struct pcl_finding *best = NULL;

	if (!scope_active(s, scope))
		return NULL;
	for (size_t j = 0; j < sc->count; j++) {
		const struct pcl_finding *f = &sc->items[j];

		if (pcl_action_rank(f->action) < min_rank ||
		    pcl_action_rank(f->action) > max_rank ||
		    f->dry_run == real || !counts(s, scope, f))
			continue;
		if (best == NULL || pcl_finding_stronger(f, best))
			best = f;
	}
	return best;
}

/* strongest - the same over the envelope's scopes */
static const struct pcl_finding *
strongest(struct pcl_session *s, int min_rank, int max_rank, bool real)
{
	const struct pcl_finding *best = NULL;

	for (size_t i = 0; i < NENVELOPE; i++) {
		const struct pcl_finding *f =
		    strongest_in(s, envelope[i], min_rank, max_rank, real);

		if (f && (best == NULL || pcl_finding_stronger(f, best)))
			best = f;
	}
	return best;
}

/* log_dry_runs - log each dry-run finding of rank >= min once */
static void
log_dry_runs(struct pcl_session *s, enum pcl_stage stage, int min_rank)
{
	char verdict[32];

	for (size_t i = 0; i < NORDER; i++) {
		struct scope *sc = &s->scopes[order[i]];

		for (size_t j = 0; scope_active(s, order[i]) && j < sc->count;
		     j++) {
			struct pcl_finding *f = &sc->items[j];

			if (!f->dry_run || sc->logged[j] ||
			    pcl_action_rank(f->action) < min_rank)
				continue;
			sc->logged[j] = true;
			pcl_format(verdict, sizeof(verdict), "dry-run %s",
			           pcl_action_name(f->action));
			pcl_session_trace(s, stage, f->check, "dry-run",
			                  "would %s",
			                  pcl_action_name(f->action));
			pcl_session_log_line(s, verdict, stage, f);
		}
	}
}

/* pcl_verdict_decide - set d to the pending refusal, if any */
void
pcl_verdict_decide(struct pcl_session *s, enum pcl_stage stage,
                   struct pcl_decision *d)
{
	const struct pcl_finding *f;
	int min = pcl_action_rank(PCL_ACT_TEMPFAIL);

	memset(d, 0, sizeof(*d));
	if (s->facts.port == 0)
		return; /* non_smtpd_milters: judged at end of message */
	pcl_session_collect(s, true);
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

/* own_finding - the strongest finding about this recipient itself
 * (dry-run ones included), or one of action accept */
static struct pcl_finding
own_finding(const struct pcl_session *s)
{
	const struct scope *mine = &s->scopes[PCL_SCOPE_RCPT];
	struct pcl_finding own;

	memset(&own, 0, sizeof(own));
	for (size_t i = 0; i < mine->count; i++)
		if (i == 0 || pcl_finding_stronger(&mine->items[i], &own))
			own = mine->items[i];
	return own;
}

/* pcl_verdict_recipient - RCPT: exceptions, trust, the recipient's own
 * checks, then the pending refusal of the envelope */
void
pcl_verdict_recipient(struct pcl_session *s, struct pcl_decision *d)
{
	struct pcl_finding own;
	const char *which = NULL;
	char verdict[32];
	bool refuse;

	memset(d, 0, sizeof(*d));
	if (s->facts.port != 0)
		pcl_session_collect(s, true); /* the same facts for the first
		                                 recipient as for the others */
	if (is_exception(s->conf, s->rcpt, &which)) {
		pcl_session_trace(s, PCL_STAGE_RCPT, "recipient_exceptions",
		                  "accept", "<%s> matches %s", s->rcpt, which);
		s->rcpt_excepted++;
		s->rcpt_accepted++;
		return;
	}
	if (pcl_session_trusted(s)) {
		s->rcpt_accepted++;
		return;
	}
	pcl_scope_clear(&s->scopes[PCL_SCOPE_RCPT]);
	pcl_session_dispatch(s, PCL_EV_RCPT);
	if (s->scopes[PCL_SCOPE_RCPT].exempt) {
		s->rcpt_accepted++;
		return;
	}
	own = own_finding(s);
	refuse =
	    pcl_action_rank(own.action) >= pcl_action_rank(PCL_ACT_TEMPFAIL);
	if (own.action != PCL_ACT_ACCEPT && own.dry_run) {
		pcl_format(verdict, sizeof(verdict), "dry-run %s",
		           pcl_action_name(own.action));
		pcl_session_log_line(s, verdict, PCL_STAGE_RCPT, &own);
	} else if (refuse && s->facts.port == 0) {
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
		    s, PCL_SCOPE_TXN, own.check, PCL_STAGE_RCPT, own.action);

		if (kept)
			*kept = own;
	}
	pcl_verdict_decide(s, PCL_STAGE_RCPT, d);
	if (d->action == PCL_ACT_ACCEPT)
		s->rcpt_accepted++;
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
	if (s->facts.port == 0 && s->in_txn && *s->sender == '\0') {
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
	if (s->scopes[PCL_SCOPE_LIMIT].count == 0 ||
	    eom_limit(s, false) != EOM_ANY)
		return false;
	f = strongest_in(s, PCL_SCOPE_LIMIT, pcl_action_rank(PCL_ACT_TEMPFAIL),
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

/* copy_headers - append the headers of a scope to the output */
static void
copy_headers(struct pcl_session *s, enum pcl_scope scope)
{
	const struct scope *sc = &s->scopes[scope];

	for (size_t i = 0; i < sc->hdrs.count; i++)
		if (!pcl_header_list_add(&s->add, sc->hdrs.items[i].name,
		                         sc->hdrs.items[i].value))
			pcl_session_oom(s);
}

/* tag_header - the tag header listing every tagging check */
static void
tag_header(struct pcl_session *s)
{
	char value[PCL_LINE_MAX] = "";

	for (size_t i = 0; i < NORDER; i++) {
		const struct scope *sc = &s->scopes[order[i]];

		for (size_t j = 0; scope_active(s, order[i]) && j < sc->count;
		     j++) {
			const struct pcl_finding *f = &sc->items[j];

			if (f->action != PCL_ACT_TAG || f->dry_run ||
			    !counts(s, order[i], f))
				continue;
			pcl_append(value, sizeof(value), "%s%s",
			           *value ? ", " : " ", f->check);
		}
	}
	if (*value && *s->conf->tag_header &&
	    !pcl_header_list_add(&s->add, s->conf->tag_header, value))
		pcl_session_oom(s);
}

/* eom_headers - what the message gets: the checks' own headers first
 * (Received-SPF, Authentication-Results: RFC 7208 §9.1 and RFC 8601 §5
 * want them at the top; DKIM-Signature), then PREPEND results, then
 * the tag header */
static void
eom_headers(struct pcl_session *s)
{
	copy_headers(s, PCL_SCOPE_MSG);
	if (pcl_session_trusted(s))
		return;
	copy_headers(s, PCL_SCOPE_CONN);
	copy_headers(s, PCL_SCOPE_HELO);
	if (!s->scopes[PCL_SCOPE_TXN].exempt)
		copy_headers(s, PCL_SCOPE_TXN);
	tag_header(s);
}

/* eom_strongest - the finding the message's verdict follows */
static const struct pcl_finding *
eom_strongest(struct pcl_session *s, int min, int cap)
{
	static const enum pcl_scope content[] = {PCL_SCOPE_MSG,
	                                         PCL_SCOPE_LIMIT};
	int max = pcl_action_rank(PCL_ACT_DISCARD);
	const struct pcl_finding *f, *g;

	/* On the SMTP path refusals of the envelope were enacted at RCPT:
	 * a message that got here is not refused for them again; on the
	 * sendmail path nothing was enacted before. */
	f = strongest(s, min,
	              s->facts.port == 0 ? cap : (max < cap ? max : cap), true);
	for (size_t i = 0; i < sizeof(content) / sizeof(content[0]); i++)
		if ((g = strongest_in(s, content[i], min, cap, true)) != NULL &&
		    (f == NULL || pcl_finding_stronger(g, f)))
			f = g;
	return f;
}

/* pcl_verdict_eom - the message's checks, its verdict, its headers */
void
pcl_verdict_eom(struct pcl_session *s, struct pcl_decision *d)
{
	const struct pcl_finding *f;
	int min = pcl_action_rank(PCL_ACT_TAG);
	enum eom_limit limit;
	enum pcl_action act;

	memset(d, 0, sizeof(*d));
	pcl_header_list_clear(&s->add);
	pcl_session_collect(s, true);
	pcl_session_dispatch(s, PCL_EV_EOM);
	pcl_session_collect(s, true); /* lookups begun at its end */
	log_dry_runs(s, PCL_STAGE_DATA, min);
	limit = eom_limit(s, true);
	f = eom_strongest(s, min,
	                  pcl_action_rank(limit == EOM_NONE ? PCL_ACT_QUARANTINE
	                                                    : PCL_ACT_REJECT));
	eom_headers(s);
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
