/*
 * checks - the contract between the session and every check
 *
 * A check is a module with private state and a few entry points, listed
 * once in the table of checks.c, in the order they run. The session
 * (lib/session) orchestrates: it calls each check at the events the
 * check wants, in table order; it keeps the findings, the scopes they
 * live in, the exemptions, dry-run, on_error and the trace; and it
 * enacts the verdict at the right SMTP stage. A check never sees
 * another check's state: what one check learns that others need (the
 * SPF results, the DKIM results, the DNS list score) it publishes, and
 * the others read it from the read-only facts.
 *
 * Per connection:
 *
 *   start(CONNECT) once; start(HELO) per HELO/EHLO (after reset(HELO));
 *   per transaction: start(MAIL), start(RCPT) per recipient, header()
 *   per header field, start(EOH), body() per chunk, start(EOM), then
 *   reset(TXN) (also on abort and at the next MAIL); free() at close.
 *   collect(wait = false) between stages takes in DNS answers that have
 *   arrived; collect(wait = true) before a verdict waits for the rest
 *   (bounded by dns_timeout). Both may be called again with nothing new.
 *
 * Who is judged: an inbound check is skipped for trusted clients
 * (internal_networks, SASL-authenticated, client_access OK) and for
 * what an exemption covers (helo_access OK: the rest of the HELO
 * checks; sender_access OK: the rest of the transaction but the
 * recipients); an outgoing check runs only for mail portcullis signs;
 * a check for all mail always runs.
 */
#ifndef PCL_CHECKS_H
#define PCL_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "conf.h"
#include "policy.h"

struct pcl_session;
struct pcl_spf_response;
struct pcl_dkim_sig;
struct pcl_dmarc_verdict;
struct pcl_dkim_verify;

/* The events of a session, in SMTP order. */
enum pcl_event {
	PCL_EV_CONNECT = 0,
	PCL_EV_HELO,
	PCL_EV_MAIL,
	PCL_EV_RCPT,
	PCL_EV_HEADER, /* header() */
	PCL_EV_EOH,
	PCL_EV_BODY, /* body() */
	PCL_EV_EOM,
	PCL_EV_COUNT
};
#define PCL_EV(e) (1u << (e))

/* Whose mail a check judges. */
enum pcl_check_kind {
	PCL_CHECK_INBOUND,  /* not trusted clients', not what is exempted */
	PCL_CHECK_OUTGOING, /* only the mail that is signed */
	PCL_CHECK_ALL,      /* every message (budgets, forged headers) */
};

/* How long a finding, an exemption or a header lives. */
enum pcl_scope {
	PCL_SCOPE_CONN = 0, /* the connection */
	PCL_SCOPE_HELO,     /* until the next HELO/EHLO */
	PCL_SCOPE_TXN,      /* the transaction (MAIL to end of message) */
	PCL_SCOPE_MSG,      /* the message's content */
	PCL_SCOPE_RCPT,     /* the recipient being judged */
	PCL_SCOPE_LIMIT,    /* the message, for every client (budgets) */
	PCL_SCOPE_COUNT
};

/* What the session knows, for every check to read. */
struct pcl_facts {
	const struct pcl_conf *conf;
	const char *qid; /* "" until known */
	bool log;        /* log lines wanted (not the test mode) */

	/* the connection */
	const char *addr;          /* client address text, "" = unknown */
	const struct pcl_addr *ip; /* NULL when unknown */
	const char *name;          /* verified client name, "" = none */
	int port;                  /* 0: Postfix's sendmail path */
	const char *daemon;        /* Postfix's {daemon_name}, or "" */
	bool helo_seen;
	const char *helo;             /* "" before HELO */
	const char *sender;           /* "" for the null sender */
	const char *rcpt;             /* the recipient being judged */
	bool internal, authenticated; /* trusted: inbound checks skipped */
	bool trusted;                 /* those, or client_access said OK */
	bool outgoing;                /* mail to sign */

	/* published by the checks (pcl_check_publish_*) */
	const struct pcl_spf_response *spf_helo;     /* NULL: not checked */
	const struct pcl_spf_response *spf_mailfrom; /* NULL: not checked */
	const char *spf_mailfrom_identity;           /* the address checked */
	const struct pcl_dkim_sig *dkim;             /* every signature */
	size_t ndkim;
	const struct pcl_dmarc_verdict *dmarc; /* NULL: not evaluated */
	const struct pcl_dkim_verify *arc;     /* the verifier that judged
	                                          the ARC chain, or NULL */
	bool dnsbl_done; /* the client lists answered (or failed) */
	int dnsbl_score;
};

/* What a check is handed at each call. */
struct pcl_check_ctx {
	void *state;                   /* the check's own, zeroed at connect */
	const struct pcl_facts *facts; /* read-only */
	const struct pcl_check *check;
	struct pcl_session *session; /* opaque: only for the calls below */
};

struct pcl_check {
	const char *name; /* in the trace and the log */
	enum pcl_check_kind kind;
	unsigned events;   /* PCL_EV() bits of the start() events wanted */
	size_t state_size; /* bytes of private state per connection */

	/* start - the facts of an event are known: look, send queries,
	 * add findings, trace; NULL when only header/body are wanted */
	void (*start)(struct pcl_check_ctx *x, enum pcl_event ev);
	/* collect - take in DNS answers: what has arrived, or (wait) all */
	void (*collect)(struct pcl_check_ctx *x, bool wait);
	/* header, body - the message as it streams by */
	void (*header)(struct pcl_check_ctx *x, const char *name,
	               const char *value);
	void (*body)(struct pcl_check_ctx *x, const unsigned char *chunk,
	             size_t len);
	/* reset - forget what belongs to a scope that ends: HELO, TXN, or
	 * MSG (the message's content, when its header budget is spent:
	 * a check that reads the content then gets no more events of the
	 * message, end of message included; one for all mail gets them) */
	void (*reset)(struct pcl_check_ctx *x, enum pcl_scope scope);
	/* free - release what the state points to (not the state) */
	void (*free)(struct pcl_check_ctx *x);
};

/* The checks, in the order they run; NULL-terminated (checks.c). */
extern const struct pcl_check *const pcl_checks[];

/* One reply variable a check supplies, beyond the session's. */
struct pcl_reply_var {
	const char *name, *value;
};

/* --- what a check may do (lib/session/results.c) ---------------------- */

/* pcl_check_trace - a line of the decision trace */
void pcl_check_trace(struct pcl_check_ctx *x, enum pcl_stage stage,
                     const char *check, const char *result, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));

/* pcl_check_find - a finding in scope with action; its reply and
 * detail are the caller's to fill; NULL when out of memory (the message
 * then gets on_error) */
struct pcl_finding *pcl_check_find(struct pcl_check_ctx *x,
                                   enum pcl_scope scope, const char *check,
                                   enum pcl_stage stage,
                                   enum pcl_action action);

/* pcl_check_configured - a finding with the admin's action and reply
 * template (vars: extra $variables, NULL-terminated, or NULL); an
 * accept action only traces */
void pcl_check_configured(struct pcl_check_ctx *x, enum pcl_scope scope,
                          const char *check, enum pcl_stage stage,
                          const struct pcl_check_conf *cc, const char *detail,
                          const struct pcl_reply_var *vars);

/* pcl_check_reply - fill f->reply from a "NNN X.Y.Z text" template */
void pcl_check_reply(struct pcl_check_ctx *x, struct pcl_finding *f,
                     const char *tpl, const struct pcl_reply_var *vars);

/* pcl_check_error - the check could not decide: its on_error action
 * (none for accept), with the reply "CLASS.tail text" */
void pcl_check_error(struct pcl_check_ctx *x, enum pcl_scope scope,
                     const char *check, enum pcl_stage stage,
                     enum pcl_on_error on_error, const char *detail,
                     const char *tail, const char *text);

/* pcl_check_oom - out of memory: the message cannot be judged as it
 * should, and gets on_error */
void pcl_check_oom(struct pcl_check_ctx *x);

/* pcl_check_exempt - an OK of an access map: the client (CONN), the
 * HELO name (HELO) or the sender (TXN) is exempt from the remaining
 * checks of that scope */
void pcl_check_exempt(struct pcl_check_ctx *x, enum pcl_scope scope);

/* pcl_check_allowlist - the client is on the DNS allow-lists: every
 * finding but a client_access refusal and a budget is set aside */
void pcl_check_allowlist(struct pcl_check_ctx *x);

/* pcl_check_header - a header to add at the end of the message, kept
 * as long as scope; false when out of memory */
bool pcl_check_header(struct pcl_check_ctx *x, enum pcl_scope scope,
                      const char *name, const char *value);

/* pcl_check_delete - delete the occurrence-th (from 1) header field of
 * name at the end of the message; call in descending occurrence */
bool pcl_check_delete(struct pcl_check_ctx *x, const char *name,
                      int occurrence);

/* pcl_check_publish_* - results other checks read in the facts; the
 * pointers must stay valid until the transaction ends */
void pcl_check_publish_spf(struct pcl_check_ctx *x,
                           const struct pcl_spf_response *helo,
                           const struct pcl_spf_response *mailfrom,
                           const char *mailfrom_identity);
void pcl_check_publish_dkim(struct pcl_check_ctx *x,
                            const struct pcl_dkim_sig *sigs, size_t n);
void pcl_check_publish_arc(struct pcl_check_ctx *x,
                           const struct pcl_dkim_verify *v);
void pcl_check_publish_dmarc(struct pcl_check_ctx *x,
                             const struct pcl_dmarc_verdict *v);
void pcl_check_publish_dnsbl(struct pcl_check_ctx *x, int score);

/* pcl_check_log_id - the queue ID, or "NOQUEUE", for a log line */
const char *pcl_check_log_id(const struct pcl_check_ctx *x);

#endif
