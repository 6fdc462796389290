/*
 * session_int - the orchestrator's state, shared by the files of
 * lib/session: session.c (the events), verdict.c (scopes, exemptions,
 * enactment), results.c (what checks may do), reply.c (replies and log
 * lines), budget.c (what a message may cost). Not for use elsewhere: a
 * check sees only checks.h.
 */
#ifndef PCL_SESSION_INT_H
#define PCL_SESSION_INT_H

#include "addr.h"
#include "checks.h"
#include "helo.h"
#include "session.h"
#include "util.h"

/* The findings and headers of one scope, and whether it is exempt. */
struct scope {
	struct pcl_finding *items;
	bool *logged; /* dry-run findings are logged once */
	size_t count, cap;
	struct pcl_header_list
	    hdrs;    /* to add at the end, as long as the scope */
	bool exempt; /* an access map said OK */
};

/* The most trace lines kept; one more says the rest was cut. */
#define PCL_TRACE_MAX 1000

struct pcl_session {
	struct pcl_conf *conf;
	bool log;
	bool error;      /* out of memory in this message: on_error */
	bool conn_error; /* the same before any transaction: for all */
	char qid[32];

	/* the facts, and the view of them the checks read */
	char addr[PCL_ADDR_TEXT_MAX]; /* "" when unknown */
	struct pcl_addr caddr;
	char name[PCL_DOMAIN_MAX + 1]; /* verified name, "" = none */
	char daemon[64];
	char helo[PCL_HELO_MAX + 1];            /* cut to fit, for replies */
	char *helo_full;                        /* as received: judged */
	char sender[PCL_ADDRESS_MAX + 1];       /* of the transaction */
	char rcpt[PCL_ADDRESS_MAX + 1];         /* the recipient being judged */
	char spf_identity[PCL_ADDRESS_MAX + 1]; /* published by SPF */
	struct pcl_facts facts;

	/* the checks: one context (and private state) per table row */
	struct pcl_check_ctx *ctx;
	size_t nchecks;

	struct scope scopes[PCL_SCOPE_COUNT];
	bool allowlisted; /* on the DNS allow-lists */
	bool in_txn;
	size_t rcpt_accepted;
	size_t rcpt_excepted; /* of them, recipient_exceptions */

	/* what the message has cost so far (budget.c) */
	size_t hdr_count, hdr_bytes;
	bool hdr_over; /* header budget spent: content checks stop */

	/* end of message */
	struct pcl_header_list add;  /* handed to the caller */
	struct pcl_del_header *dels; /* handed to the caller */
	size_t ndels, delcap;
	char quarantine[PCL_FINDING_DETAIL_MAX];

	struct pcl_trace_entry *trace;
	size_t ntrace, trace_cap;
};

/* session.c */
bool pcl_session_trusted(const struct pcl_session *s);
void pcl_session_update_trust(struct pcl_session *s);
void pcl_session_oom(struct pcl_session *s);
const char *pcl_session_log_id(const struct pcl_session *s);
void pcl_session_dispatch(struct pcl_session *s, enum pcl_event ev);
void pcl_session_content_stop(struct pcl_session *s);
void pcl_session_collect(struct pcl_session *s, bool wait);

/* results.c */
void pcl_session_trace(struct pcl_session *s, enum pcl_stage stage,
                       const char *check, const char *result, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));
struct pcl_finding *pcl_session_find(struct pcl_session *s,
                                     enum pcl_scope scope, const char *check,
                                     enum pcl_stage stage,
                                     enum pcl_action action);
void pcl_session_configured(struct pcl_session *s, enum pcl_scope scope,
                            const char *check, enum pcl_stage stage,
                            const struct pcl_check_conf *cc,
                            const char *detail);
void pcl_scope_clear(struct scope *sc);

/* reply.c */
void pcl_session_reply(struct pcl_session *s, struct pcl_finding *f,
                       const char *tpl, const struct pcl_reply_var *vars);
void pcl_session_log_line(struct pcl_session *s, const char *verdict,
                          enum pcl_stage stage, const struct pcl_finding *f);

/* verdict.c */
void pcl_verdict_decide(struct pcl_session *s, enum pcl_stage stage,
                        struct pcl_decision *d);
void pcl_verdict_recipient(struct pcl_session *s, struct pcl_decision *d);
void pcl_verdict_eom(struct pcl_session *s, struct pcl_decision *d);

/* budget.c */
bool pcl_budget_header(struct pcl_session *s, const char *name,
                       const char *value);
void pcl_budget_reset(struct pcl_session *s);

#endif
