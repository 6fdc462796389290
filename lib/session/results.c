/*
 * results - what a check may do: trace, find, refuse with the admin's
 * reply, fail with on_error, exempt a scope, add and delete headers,
 * publish what others read
 *
 * Findings and headers are kept in the scope they belong to and go with
 * it. Running out of memory marks the message (pcl_session_had_error),
 * whose verdict then is on_error, and the next message starts clean;
 * before the first transaction it marks the connection. A check that
 * cannot decide gets its own *_on_error finding, in the scope of what
 * it judges.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "session_int.h"

/* pcl_scope_clear - empty a scope */
void
pcl_scope_clear(struct scope *sc)
{
	pcl_header_list_clear(&sc->hdrs);
	free(sc->items);
	free(sc->logged);
	memset(sc, 0, sizeof(*sc));
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
			pcl_session_oom(s);
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
pcl_session_find(struct pcl_session *s, enum pcl_scope scope, const char *check,
                 enum pcl_stage stage, enum pcl_action action)
{
	struct scope *sc = &s->scopes[scope];
	struct pcl_finding *f;

	if (sc->count == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 4;
		struct pcl_finding *items;
		bool *logged;

		items = realloc(sc->items, cap * sizeof(*items));
		if (items == NULL)
			goto oom;
		sc->items = items;
		logged = realloc(sc->logged, cap * sizeof(*logged));
		if (logged == NULL)
			goto oom;
		sc->logged = logged;
		sc->cap = cap;
	}
	sc->logged[sc->count] = false;
	f = &sc->items[sc->count++];
	memset(f, 0, sizeof(*f));
	pcl_copy(f->check, sizeof(f->check), check);
	f->stage = stage;
	f->action = action;
	f->dry_run = pcl_conf_is_dry_run(s->conf, check);
	return f;
oom:
	pcl_session_oom(s);
	return NULL;
}

/* configured - a finding with the admin's action and reply */
static void
configured(struct pcl_session *s, enum pcl_scope scope, const char *check,
           enum pcl_stage stage, const struct pcl_check_conf *cc,
           const char *detail, const struct pcl_reply_var *vars)
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
	pcl_session_reply(s, f, cc->reply, vars);
	pcl_session_trace(s, stage, check, "hit", "%s -> %s%s", detail,
	                  pcl_action_name(cc->action),
	                  f->dry_run ? " (dry run)" : "");
}

/* pcl_session_configured - the same, for the session's own budgets */
void
pcl_session_configured(struct pcl_session *s, enum pcl_scope scope,
                       const char *check, enum pcl_stage stage,
                       const struct pcl_check_conf *cc, const char *detail)
{
	configured(s, scope, check, stage, cc, detail, NULL);
}

/* pcl_check_trace - a trace line */
void
pcl_check_trace(struct pcl_check_ctx *x, enum pcl_stage stage,
                const char *check, const char *result, const char *fmt, ...)
{
	char detail[PCL_FINDING_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	pcl_session_trace(x->session, stage, check, result, "%s", detail);
}

/* pcl_check_find - a finding whose reply the check fills */
struct pcl_finding *
pcl_check_find(struct pcl_check_ctx *x, enum pcl_scope scope, const char *check,
               enum pcl_stage stage, enum pcl_action action)
{
	return pcl_session_find(x->session, scope, check, stage, action);
}

/* pcl_check_configured - a finding with the admin's action and reply */
void
pcl_check_configured(struct pcl_check_ctx *x, enum pcl_scope scope,
                     const char *check, enum pcl_stage stage,
                     const struct pcl_check_conf *cc, const char *detail,
                     const struct pcl_reply_var *vars)
{
	configured(x->session, scope, check, stage, cc, detail, vars);
}

/* pcl_check_reply - a finding's reply from a template */
void
pcl_check_reply(struct pcl_check_ctx *x, struct pcl_finding *f, const char *tpl,
                const struct pcl_reply_var *vars)
{
	pcl_session_reply(x->session, f, tpl, vars);
}

/* pcl_check_error - the finding of a check that could not decide: its
 * on_error action (none for accept), with a reply whose enhanced code
 * is CLASS.tail, CLASS following the action */
void
pcl_check_error(struct pcl_check_ctx *x, enum pcl_scope scope,
                const char *check, enum pcl_stage stage,
                enum pcl_on_error on_error, const char *detail,
                const char *tail, const char *text)
{
	enum pcl_action act = pcl_on_error_action(on_error);
	struct pcl_finding *f;
	char enhanced[16];

	if (act == PCL_ACT_ACCEPT)
		return;
	f = pcl_session_find(x->session, scope, check, stage, act);
	if (f == NULL)
		return;
	f->from_error = true;
	pcl_copy(f->detail, sizeof(f->detail), detail);
	pcl_format(enhanced, sizeof(enhanced), "%c.%s",
	           act == PCL_ACT_TEMPFAIL ? '4' : '5', tail);
	pcl_reply_set(&f->reply, act, 0, enhanced, text);
}

/* pcl_check_oom - the message gets on_error */
void
pcl_check_oom(struct pcl_check_ctx *x)
{
	pcl_session_oom(x->session);
}

/* pcl_check_exempt - an access map's OK for a scope */
void
pcl_check_exempt(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct pcl_session *s = x->session;

	s->scopes[scope].exempt = true;
	pcl_session_update_trust(s);
}

/* pcl_check_allowlist - the client is on the DNS allow-lists */
void
pcl_check_allowlist(struct pcl_check_ctx *x)
{
	x->session->allowlisted = true;
}

/* pcl_check_header - a header to add, living as long as scope */
bool
pcl_check_header(struct pcl_check_ctx *x, enum pcl_scope scope,
                 const char *name, const char *value)
{
	bool ok =
	    pcl_header_list_add(&x->session->scopes[scope].hdrs, name, value);

	if (!ok)
		pcl_session_oom(x->session);
	return ok;
}

/* pcl_check_delete - a header field to delete at the end */
bool
pcl_check_delete(struct pcl_check_ctx *x, const char *name, int occurrence)
{
	struct pcl_session *s = x->session;

	if (s->ndels == s->delcap) {
		size_t cap = s->delcap ? s->delcap * 2 : 4;
		struct pcl_del_header *grown;

		grown = realloc(s->dels, cap * sizeof(*grown));
		if (grown == NULL) {
			pcl_session_oom(s);
			return false;
		}
		s->dels = grown;
		s->delcap = cap;
	}
	s->dels[s->ndels].name = name;
	s->dels[s->ndels++].occurrence = occurrence;
	return true;
}

/* pcl_check_publish_spf - the SPF results of the transaction */
void
pcl_check_publish_spf(struct pcl_check_ctx *x,
                      const struct pcl_spf_response *helo,
                      const struct pcl_spf_response *mailfrom,
                      const char *mailfrom_identity)
{
	struct pcl_session *s = x->session;

	s->facts.spf_helo = helo;
	s->facts.spf_mailfrom = mailfrom;
	pcl_copy(s->spf_identity, sizeof(s->spf_identity),
	         mailfrom_identity ? mailfrom_identity : "");
	s->facts.spf_mailfrom_identity = mailfrom ? s->spf_identity : NULL;
}

/* pcl_check_publish_dkim - the DKIM results of the message */
void
pcl_check_publish_dkim(struct pcl_check_ctx *x, const struct pcl_dkim_sig *sigs,
                       size_t n)
{
	x->session->facts.dkim = sigs;
	x->session->facts.ndkim = n;
}

/* pcl_check_publish_arc - the verifier holding the ARC verdict */
void
pcl_check_publish_arc(struct pcl_check_ctx *x, const struct pcl_dkim_verify *v)
{
	x->session->facts.arc = v;
}

/* pcl_check_publish_dmarc - the DMARC verdict of the message */
void
pcl_check_publish_dmarc(struct pcl_check_ctx *x,
                        const struct pcl_dmarc_verdict *v)
{
	x->session->facts.dmarc = v;
}

/* pcl_check_publish_dnsbl - the client lists' score */
void
pcl_check_publish_dnsbl(struct pcl_check_ctx *x, int score)
{
	x->session->facts.dnsbl_done = true;
	x->session->facts.dnsbl_score = score;
}

/* pcl_check_log_id - the queue ID for a log line */
const char *
pcl_check_log_id(const struct pcl_check_ctx *x)
{
	return pcl_session_log_id(x->session);
}
