/*
 * session_int - the session's inner state, shared by session.c (the
 * stages and enactment) and session_checks.c (the checks themselves).
 * Not for use outside the session module.
 */
#ifndef PCL_SESSION_INT_H
#define PCL_SESSION_INT_H

#include "access.h"
#include "addr.h"
#include "authres.h"
#include "spf.h"
#include "session.h"
#include "util.h"

/* Findings of one scope (connection, HELO, transaction, message). */
struct findings {
	struct pcl_finding *items;
	bool *logged; /* dry-run findings are logged once */
	size_t count, cap;
};

/* Headers to add (PREPEND results, tags). */
struct headers {
	struct pcl_add_header *items;
	size_t count, cap;
};

/* The $rbl_* values while a DNS list reply is expanded. */
struct pcl_rbl_vars {
	const char *code;   /* the SMTP reply code, as Postfix's */
	const char *class_; /* "Client host", "Helo command", ... */
	const char *what;   /* the address or domain looked up */
	const char *domain; /* the list's public name */
	const char *txt;    /* its TXT record, or "" */
};

/* One domain-list query of a lookup round. */
struct dbl_query {
	size_t site; /* index in conf->dbl_sites */
	enum pcl_dbl_identity id;
	struct findings *scope; /* where a finding goes */
	char domain[PCL_DOMAIN_MAX + 1];
	int a_idx; /* in the batch */
};

/* A round of domain-list lookups sent together. */
struct dbl_lookups {
	struct pcl_dns_batch *batch;
	struct dbl_query *items;
	size_t count, cap;
};

/* Most signatures one outgoing message gets (dual RSA + Ed25519, and
 * room for a second domain). */
#define PCL_SIGNERS_MAX 4

/* The most trace lines kept; one more says the rest was cut. */
#define PCL_TRACE_MAX 1000

struct pcl_session {
	struct pcl_conf *conf;
	bool log;
	bool error; /* out of memory somewhere */
	char qid[32];

	/* connection */
	char addr[PCL_ADDR_TEXT_MAX]; /* "" when unknown */
	struct pcl_addr caddr;
	bool have_addr;
	char name[PCL_DOMAIN_MAX + 1]; /* verified name, "" = none */
	int port;
	char daemon[64];
	bool internal;                     /* internal_networks */
	bool conn_exempt;                  /* client_access said OK */
	struct findings conn;              /* client checks */
	struct headers conn_headers;       /* PREPEND from client/helo maps */
	struct pcl_dns_batch *dnsbl_batch; /* sent at connect */
	int *dnsbl_idx;                    /* per site: A, TXT query index */
	bool dnsbl_pending;                /* answers not collected yet */
	bool dnsbl_allowlisted; /* at or below the allow-list threshold */
	const struct pcl_rbl_vars *rbl; /* during a DNS list reply */
	struct dbl_lookups dbl_client;  /* the client's name */
	struct dbl_lookups dbl_helo;    /* the latest HELO name */

	/* HELO (replaced by each HELO/EHLO) */
	bool helo_seen;
	char helo[PCL_HELO_MAX + 1]; /* as received, cut to fit */
	bool helo_exempt;            /* helo_access said OK */
	struct findings helo_findings;
	struct headers helo_headers;

	/* transaction */
	bool in_txn;
	char sender[PCL_ADDRESS_MAX + 1];
	bool authenticated;
	bool txn_exempt; /* sender_access said OK */
	struct findings txn;
	struct headers txn_headers;
	char rcpt[PCL_ADDRESS_MAX + 1];         /* the recipient being judged */
	struct pcl_spf_response spf_he, spf_mf; /* HELO, MAIL FROM */
	bool spf_he_done, spf_mf_done;
	char spf_mf_identity[PCL_ADDRESS_MAX + 1];
	const struct pcl_spf_response *spf; /* during an SPF reply */
	size_t rcpt_accepted;
	size_t rcpt_excepted; /* of them, recipient_exceptions */

	struct dbl_lookups dbl_txn; /* sender domain */

	/* the message */
	struct findings msg;           /* content checks */
	struct dbl_lookups dbl_msg;    /* From:, Reply-To:, body domains */
	char *from_hdr, *reply_to_hdr; /* the first of each, as received */
	struct pcl_dkim_verify *dkimv; /* this message's DKIM verifier */
	int ar_seen;                   /* Authentication-Results so far */
	int *ar_forged;                /* occurrences claiming our id */
	size_t nar_forged;
	struct pcl_del_header *dels; /* handed to the caller */
	size_t ndels;
	char *msgbuf; /* headers and body, for body domains */
	size_t msglen, msgcap;
	bool body_started; /* the empty line was kept */

	/* what the message has cost so far (session_budget.c) */
	size_t hdr_count, hdr_bytes;
	bool hdr_over;          /* header budget spent: fields ignored */
	bool ar_over;           /* too many forged A-R: none deleted */
	struct findings budget; /* enacted for every client */

	/* outgoing mail: headers kept for the signers, one context each */
	struct headers sign_hdrs;
	struct pcl_dkim_signer_ctx *signers[PCL_SIGNERS_MAX];
	size_t nsigners;
	size_t sign_line; /* length of the body line being fed so far */
	size_t sign_long; /* longest line over PCL_SMTP_LINE_MAX, or 0 */

	/* end of message */
	struct headers add; /* handed to the caller */
	char quarantine[PCL_FINDING_DETAIL_MAX];

	struct pcl_trace_entry *trace;
	size_t ntrace, trace_cap;
};

/* session.c */
void pcl_session_trace(struct pcl_session *s, enum pcl_stage stage,
                       const char *check, const char *result, const char *fmt,
                       ...) __attribute__((format(printf, 5, 6)));
struct pcl_finding *pcl_session_find(struct pcl_session *s,
                                     struct findings *scope, const char *check,
                                     enum pcl_stage stage,
                                     enum pcl_action action);
int pcl_session_headers_add(struct pcl_session *s, struct headers *h,
                            const char *name, const char *value);
void pcl_session_reply(struct pcl_session *s, struct pcl_finding *f,
                       const char *tpl);
void pcl_session_log_line(struct pcl_session *s, const char *verdict,
                          enum pcl_stage stage, const struct pcl_finding *f);

bool pcl_session_trusted(const struct pcl_session *s);

/* session_checks.c */
void pcl_session_error(struct pcl_session *s, struct findings *scope,
                       const char *check, enum pcl_stage stage,
                       enum pcl_on_error on_error, const char *detail,
                       const char *tail, const char *text);
void pcl_session_configured(struct pcl_session *s, struct findings *scope,
                            const char *check, enum pcl_stage stage,
                            const struct pcl_check_conf *cc,
                            const char *detail);
void pcl_checks_client(struct pcl_session *s);
void pcl_checks_helo(struct pcl_session *s, const char *name);
void pcl_checks_sender(struct pcl_session *s);
/* returns 2 = a recipient exception, 1 = accept this recipient at once
 * (trusted client, or OK), 0 = go on; fills *f with a per-recipient
 * finding when the recipient map decided against it (f->action !=
 * accept) */
int pcl_checks_recipient(struct pcl_session *s, struct pcl_finding *f);

/* session_budget.c */
bool pcl_budget_header(struct pcl_session *s, const char *name,
                       const char *value);
bool pcl_budget_authres(struct pcl_session *s);
void pcl_budget_reset(struct pcl_session *s);

/* session_dbl.c */
bool pcl_dbl_wanted(const struct pcl_session *s, enum pcl_dbl_identity id);
void pcl_dbl_add(struct pcl_session *s, struct dbl_lookups *l,
                 enum pcl_dbl_identity id, const char *domain,
                 struct findings *scope);
void pcl_dbl_send(struct dbl_lookups *l);
void pcl_dbl_finish(struct pcl_session *s, struct dbl_lookups *l);
void pcl_dbl_clear(struct dbl_lookups *l);
const char *pcl_dbl_address_domain(const char *address);

/* session_content.c */
void pcl_content_header(struct pcl_session *s, const char *name,
                        const char *value);
void pcl_content_body(struct pcl_session *s, const unsigned char *chunk,
                      size_t len);
void pcl_content_eom(struct pcl_session *s);
void pcl_content_authres(struct pcl_session *s);
void pcl_content_eoh(struct pcl_session *s);
void pcl_content_reset(struct pcl_session *s);

/* session_sign.c */
void pcl_sign_header(struct pcl_session *s, const char *name,
                     const char *value);
void pcl_sign_eoh(struct pcl_session *s);
void pcl_sign_body(struct pcl_session *s, const unsigned char *chunk,
                   size_t len);
void pcl_sign_eom(struct pcl_session *s);
void pcl_sign_reset(struct pcl_session *s);

/* session_spf.c */
void pcl_checks_spf(struct pcl_session *s);
void pcl_spf_authres(struct pcl_session *s, struct pcl_authres *ar);
void pcl_spf_received_header(struct pcl_session *s);

/* session_dnsbl.c */
void pcl_list_txt(struct pcl_session *s, const char *qname, const char *tpl,
                  char *out, size_t len);
void pcl_checks_dnsbl_start(struct pcl_session *s);
void pcl_checks_dnsbl_poll(struct pcl_session *s);
void pcl_checks_dnsbl_finish(struct pcl_session *s);

#endif
