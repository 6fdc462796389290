/*
 * session - the decision engine for one SMTP connection
 *
 * Independent of libmilter: the milter callbacks and the offline test
 * mode drive the same calls in SMTP order, so "portcullis -t" answers
 * exactly what the milter would do.
 *
 *   pcl_session_new(conf)            at connect (holds a conf reference)
 *   pcl_session_connect(...)         once
 *   pcl_session_helo(...)            zero or more times
 *   per message: mail, rcpt..., header..., eoh, body..., eom
 *   pcl_session_reset()              after eom, or on abort
 *   pcl_session_free()               at close
 *
 * Each step fills a struct pcl_decision: PCL_ACT_ACCEPT means "go on"
 * (or, from eom, deliver), other actions are to be enacted now with the
 * given reply. Checks run as soon as their facts are known; verdicts are
 * enacted at RCPT by default (enforce_stage), so that recipient
 * exceptions (postmaster@, abuse@) work and Postfix logs the recipient.
 * Mail through non_smtpd_milters (client port 0) is never rejected at
 * RCPT, which Postfix treats as a configuration error: verdicts wait
 * for end of message there.
 *
 * Every check appends to an ordered trace (stage, check, result, why)
 * that the test mode prints. One log line is written per decision.
 */
#ifndef PCL_SESSION_H
#define PCL_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "policy.h"

struct pcl_session;

struct pcl_decision {
	enum pcl_action action;
	struct pcl_reply reply; /* for tempfail and reject */
};

/* One line of the decision trace. */
struct pcl_trace_entry {
	enum pcl_stage stage;
	char check[PCL_CHECK_NAME_MAX];
	char result[24]; /* "pass", "hit", "skip", "error", "exempt",
	                    "dry-run", "enacted", ... */
	char detail[PCL_FINDING_DETAIL_MAX];
};

/* pcl_session_new - a session on conf (takes its own reference);
 * NULL on out-of-memory */
struct pcl_session *pcl_session_new(struct pcl_conf *conf);
void pcl_session_free(struct pcl_session *s);

/* pcl_session_set_log - log decisions to syslog/stderr (the milter) or
 * not (the test mode prints the trace instead) */
void pcl_session_set_log(struct pcl_session *s, bool on);

/* pcl_session_set_queue_id - Postfix's queue ID, once known */
void pcl_session_set_queue_id(struct pcl_session *s, const char *qid);

/*
 * pcl_session_connect - addr is the client address text ("192.0.2.1",
 * or NULL/"" when unknown); name is the verified client name or NULL
 * (Postfix's "[192.0.2.1]" and "unknown" both mean none); port is the
 * client port, 0 for Postfix's non_smtpd_milters emulation, -1 unknown;
 * daemon_name is Postfix's {daemon_name} or NULL.
 */
void pcl_session_connect(struct pcl_session *s, const char *addr,
                         const char *name, int port, const char *daemon_name,
                         struct pcl_decision *d);

void pcl_session_helo(struct pcl_session *s, const char *name,
                      struct pcl_decision *d);

/* sender as the MTA gives it, "<a@b>" ("<>" for the null sender), or
 * without the angle brackets; auth_user is {auth_authen} or NULL. An
 * address too long to be one is refused (501 5.1.7) and starts no
 * transaction. */
void pcl_session_mail(struct pcl_session *s, const char *sender,
                      const char *auth_user, struct pcl_decision *d);

/* recipient, with or without angle brackets; one too long to be an
 * address is refused (501 5.1.3) */
void pcl_session_rcpt(struct pcl_session *s, const char *rcpt,
                      struct pcl_decision *d);

/* Message content; values as received (leading space kept, folds as
 * bare LF). */
void pcl_session_header(struct pcl_session *s, const char *name,
                        const char *value);
void pcl_session_eoh(struct pcl_session *s);
void pcl_session_body(struct pcl_session *s, const unsigned char *chunk,
                      size_t len);

/* pcl_session_refused_early - after a header: true, with d to enact
 * now, when the message is over one of its budgets (header_count_limit,
 * header_bytes_limit, authres_delete_limit) and that budget's action
 * refuses it; the MTA then need not send the rest. Otherwise false, and
 * the verdict comes at eom as usual. */
bool pcl_session_refused_early(struct pcl_session *s, struct pcl_decision *d);

/* pcl_session_eom - the final verdict for the message */
void pcl_session_eom(struct pcl_session *s, struct pcl_decision *d);

/* Headers to add (valid after eom until reset). */
size_t pcl_session_header_count(const struct pcl_session *s);
const struct pcl_add_header *pcl_session_header_get(const struct pcl_session *s,
                                                    size_t i);

/* A header to delete at end of message: the occurrence-th (from 1) of
 * name, as smfi_chgheader counts. Listed highest occurrence first, so
 * applying them in order never shifts one still to come. */
struct pcl_del_header {
	const char *name;
	int occurrence;
};
size_t pcl_session_delete_count(const struct pcl_session *s);
const struct pcl_del_header *pcl_session_delete_get(const struct pcl_session *s,
                                                    size_t i);

/* Reason for quarantine, when eom decided PCL_ACT_QUARANTINE. */
const char *pcl_session_quarantine_reason(const struct pcl_session *s);

/* pcl_session_reset - end the message (after eom or on abort); the
 * connection's facts and findings stay */
void pcl_session_reset(struct pcl_session *s);

/* The trace so far, oldest first. */
size_t pcl_session_trace_count(const struct pcl_session *s);
const struct pcl_trace_entry *pcl_session_trace_get(const struct pcl_session *s,
                                                    size_t i);

/* pcl_session_had_error - an internal error happened (out of memory):
 * the milter applies on_error */
bool pcl_session_had_error(const struct pcl_session *s);

#endif
