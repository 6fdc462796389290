/*
 * policy - actions, SMTP replies and findings
 *
 * Every check yields findings; a finding carries the action the admin
 * configured for it (accept, tag, tempfail, reject, discard, quarantine),
 * whether that action is a dry run, and the reply to give. The session
 * keeps the findings and, at the stage where verdicts are enacted,
 * picks the strongest one.
 *
 * Replies are made safe here and nowhere else: the code class always
 * agrees with the action (4xx with tempfail, 5xx with reject), the
 * enhanced status code agrees with the code, the text has no control
 * characters and is bounded so that libmilter accepts it.
 */
#ifndef PCL_POLICY_H
#define PCL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

enum pcl_action {
	PCL_ACT_ACCEPT = 0, /* let the mail through; for a check: no effect */
	PCL_ACT_TAG,        /* add a header, deliver */
	PCL_ACT_QUARANTINE, /* deliver to Postfix's hold queue */
	PCL_ACT_DISCARD,    /* accept and silently drop */
	PCL_ACT_TEMPFAIL,   /* 4xx */
	PCL_ACT_REJECT,     /* 5xx */
};

/* Failure actions: the words of Postfix's milter_default_action. */
enum pcl_on_error {
	PCL_ONERR_ACCEPT = 0,
	PCL_ONERR_TEMPFAIL,
	PCL_ONERR_REJECT,
};

enum pcl_stage {
	PCL_STAGE_CONNECT = 0,
	PCL_STAGE_HELO,
	PCL_STAGE_MAIL,
	PCL_STAGE_RCPT,
	PCL_STAGE_DATA, /* headers, body and end of message */
};

/* libmilter takes at most 980 characters of text per line; leave room
 * for the codes and the "%" escapes the milter layer adds. */
#define PCL_REPLY_TEXT_MAX 400

struct pcl_reply {
	int code;                      /* 0 = none, else 400..599 */
	char enhanced[16];             /* "" or "4.7.1" */
	char text[PCL_REPLY_TEXT_MAX]; /* printable ASCII, no CR/LF */
};

/* pcl_action_parse - "accept", "tag", ...; -1 when unknown */
int pcl_action_parse(const char *word, enum pcl_action *out);
const char *pcl_action_name(enum pcl_action a);
int pcl_on_error_parse(const char *word, enum pcl_on_error *out);
const char *pcl_on_error_name(enum pcl_on_error e);
/* pcl_on_error_action - the action an on_error word stands for */
enum pcl_action pcl_on_error_action(enum pcl_on_error e);
const char *pcl_stage_name(enum pcl_stage s);

/*
 * pcl_reply_parse - parse "550 5.7.1 text", "550 text" or "text"
 * (code 0). A code outside 400..599 or an enhanced code whose class
 * disagrees with it is an error. Returns 0 or -1 with err.
 */
int pcl_reply_parse(const char *spec, struct pcl_reply *out, char *err,
                    size_t errlen);

/*
 * pcl_reply_set - fill r for action a from code, enhanced code and text
 * (each may be 0/NULL/empty to take the default for the action: 550
 * 5.7.1 "Command rejected" or 451 4.7.1 "Service unavailable - try
 * again later"). A code of the wrong class is moved to the right one
 * (550 -> 450, 451 -> 551 keeping the last two digits) when that code
 * exists in RFC 5321, else to the default (501 -> 451); the enhanced
 * code's class follows. Control characters in text become '?', and
 * over-long text is cut at PCL_REPLY_TEXT_MAX - 1 on a character
 * boundary.
 */
void pcl_reply_set(struct pcl_reply *r, enum pcl_action a, int code,
                   const char *enhanced, const char *text);

/* pcl_reply_format - "550 5.7.1 text" for logs and the test mode */
void pcl_reply_format(const struct pcl_reply *r, char *buf, size_t len);

/* pcl_reply_milter_text - text with each '%' doubled for
 * smfi_setreply; false if it does not fit */
bool pcl_reply_milter_text(const struct pcl_reply *r, char *buf, size_t len);

/* A header to add at the end of a message. */
struct pcl_add_header {
	char *name;
	char *value; /* folds as bare LF, leading space included */
};

/* A list of header fields, kept in the order added. */
struct pcl_header_list {
	struct pcl_add_header *items;
	size_t count, cap;
};

/* pcl_header_list_add - append copies of name and value; false when
 * out of memory */
bool pcl_header_list_add(struct pcl_header_list *h, const char *name,
                         const char *value);
void pcl_header_list_clear(struct pcl_header_list *h);

/* Longest check name, e.g. "helo_literal_mismatch". */
#define PCL_CHECK_NAME_MAX 40
#define PCL_FINDING_DETAIL_MAX 256

struct pcl_finding {
	char check[PCL_CHECK_NAME_MAX]; /* "helo_invalid", "client_access" */
	enum pcl_stage stage;           /* where it was found */
	enum pcl_action action;         /* what the admin wants done */
	bool dry_run;                   /* log and trace only */
	bool from_error;                /* action came from on_error */
	struct pcl_reply reply;         /* for tempfail/reject */
	char detail[PCL_FINDING_DETAIL_MAX]; /* why, for trace and log */
};

/* pcl_action_rank - order of strength: reject > tempfail > discard >
 * quarantine > tag > accept */
int pcl_action_rank(enum pcl_action a);

/* pcl_finding_stronger - does a win over b (ties: the earlier, b) */
bool pcl_finding_stronger(const struct pcl_finding *a,
                          const struct pcl_finding *b);

#endif
