/*
 * callbacks - libmilter's events, driven into a session
 *
 * Per connection, smfi_setpriv holds a struct conn: the session, the
 * on_error of the configuration the session started with, and the
 * queue ID last passed on. The session decides; this file only
 * translates:
 *
 *   accept, tag, quarantine -> SMFIS_CONTINUE (tag and quarantine act
 *                              at end of message)
 *   tempfail, reject        -> smfi_setreply + SMFIS_TEMPFAIL/REJECT
 *   discard                 -> SMFIS_DISCARD
 *
 * The session logs its own decisions; lines written here are about
 * the milter's own trouble (out of memory, a failed libmilter call).
 */
#include "config.h"

#include <stdbool.h>

#include <libmilter/mfapi.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "callbacks.h"
#include "conf.h"
#include "log.h"
#include "policy.h"
#include "session.h"
#include "snapshot.h"
#include "util.h"

/* Postfix queue IDs are at most 16 (short) or 26 (long) characters. */
#define QID_MAX 64

/* Action flags we need, and protocol steps we need or want. */
#define NEED_ACTIONS (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE)

struct conn {
	struct pcl_session *session;
	enum pcl_on_error on_error; /* of the session's configuration */
	bool error_logged;          /* internal error reported once */
	char qid[QID_MAX];          /* "" until Postfix tells */
};

/*
 * The macros read, per stage. Once any list is sent Postfix sends no
 * macros for stages without one, so every stage read is listed; "i"
 * is listed wherever the queue ID may first become known.
 */
static const struct {
	int stage;
	char *macros;
} macro_lists[] = {
    {SMFIM_CONNECT, "j {daemon_name}"},
    {SMFIM_HELO, "{tls_version} {cipher}"},
    {SMFIM_ENVFROM, "i {auth_type} {auth_authen}"},
    {SMFIM_ENVRCPT, "i"},
    {SMFIM_DATA, "i"},
    {SMFIM_EOH, "i"},
    {SMFIM_EOM, "i"},
};

/* conn_qid - the queue ID for log lines */
static const char *
conn_qid(const struct conn *c)
{
	return c != NULL && c->qid[0] != '\0' ? c->qid : "NOQUEUE";
}

/* conn_update_qid - pass Postfix's queue ID to the session once known */
static void
conn_update_qid(SMFICTX *ctx, struct conn *c)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid == NULL || *qid == '\0' || strcmp(qid, c->qid) == 0)
		return;
	/* A longer ID than expected is still passed on; only the cache
	 * (and so the comparison) is cut. */
	(void)pcl_copy(c->qid, sizeof(c->qid), qid);
	pcl_session_set_queue_id(c->session, qid);
}

/* on_error_status - what on_error means as a milter return code; the
 * reply is Postfix's default for the code */
static sfsistat
on_error_status(enum pcl_on_error e)
{
	switch (e) {
	case PCL_ONERR_ACCEPT:
		return SMFIS_ACCEPT;
	case PCL_ONERR_REJECT:
		return SMFIS_REJECT;
	case PCL_ONERR_TEMPFAIL:
	default:
		return SMFIS_TEMPFAIL;
	}
}

/* no_session - a callback without private data: connect failed in a
 * way that should have ended the connection; refuse, temporarily */
static sfsistat
no_session(const char *stage)
{
	pcl_log(LOG_ERR, "NOQUEUE: internal error: no session at %s: tempfail",
	        stage);
	return SMFIS_TEMPFAIL;
}

/* conn_set_reply - hand the decision's reply to libmilter; without a
 * usable one Postfix gives its default text for the code */
static void
conn_set_reply(SMFICTX *ctx, const struct conn *c, const struct pcl_reply *r)
{
	char code[8], enhanced[sizeof(r->enhanced)];
	char text[2 * PCL_REPLY_TEXT_MAX + 1];
	char *textp = text;

	if (r->code < 400 || r->code > 599)
		return;
	(void)pcl_format(code, sizeof(code), "%d", r->code);
	(void)pcl_copy(enhanced, sizeof(enhanced), r->enhanced);
	if (!pcl_reply_milter_text(r, text, sizeof(text))) {
		pcl_log(LOG_WARNING,
		        "%s: reply text too long: sending code only",
		        conn_qid(c));
		textp = NULL;
	}
	if (smfi_setreply(ctx, code, enhanced[0] != '\0' ? enhanced : NULL,
	                  textp) != MI_SUCCESS)
		pcl_log(LOG_WARNING,
		        "%s: smfi_setreply(%s %s) failed: Postfix's default "
		        "reply goes out",
		        conn_qid(c), code, enhanced);
}

/* conn_enact - the milter return code for a decision, with its reply;
 * an internal error in the session turns "go on" into on_error */
static sfsistat
conn_enact(SMFICTX *ctx, struct conn *c, const struct pcl_decision *d)
{
	if (d->action == PCL_ACT_ACCEPT && pcl_session_had_error(c->session)) {
		if (!c->error_logged)
			pcl_log(LOG_ERR,
			        "%s: internal error (out of memory): "
			        "on_error=%s",
			        conn_qid(c), pcl_on_error_name(c->on_error));
		c->error_logged = true;
		return on_error_status(c->on_error);
	}
	switch (d->action) {
	case PCL_ACT_TEMPFAIL:
		conn_set_reply(ctx, c, &d->reply);
		return SMFIS_TEMPFAIL;
	case PCL_ACT_REJECT:
		conn_set_reply(ctx, c, &d->reply);
		return SMFIS_REJECT;
	case PCL_ACT_DISCARD:
		return SMFIS_DISCARD;
	case PCL_ACT_ACCEPT:
	case PCL_ACT_TAG:
	case PCL_ACT_QUARANTINE:
	default:
		return SMFIS_CONTINUE;
	}
}

/* conn_free - release a connection's data */
static void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	pcl_session_free(c->session);
	free(c);
}

/* sockaddr_text - the client address as text and its port; NULL and
 * -1 for a unix socket or when unknown */
static const char *
sockaddr_text(const struct sockaddr *sa, char *buf, size_t len, int *port)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	*port = -1;
	if (sa == NULL)
		return NULL;
	/* Copied out: libmilter's buffer need not be aligned for the
	 * family's struct. */
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		if (inet_ntop(AF_INET, &sin.sin_addr, buf, (socklen_t)len) ==
		    NULL)
			return NULL;
		*port = ntohs(sin.sin_port);
		return buf;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		if (inet_ntop(AF_INET6, &sin6.sin6_addr, buf, (socklen_t)len) ==
		    NULL)
			return NULL;
		*port = ntohs(sin6.sin6_port);
		return buf;
	default:
		return NULL;
	}
}

/* cb_negotiate - agree on actions, protocol steps and macros */
static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
             unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	if ((f0 & NEED_ACTIONS) != NEED_ACTIONS) {
		pcl_log(LOG_ERR,
		        "negotiate: the MTA does not offer adding/changing "
		        "headers and quarantine (actions 0x%lx): milter "
		        "disabled for this connection",
		        f0);
		return SMFIS_REJECT;
	}
	/* Without HDR_LEADSPC Postfix eats the space after the colon,
	 * and the headers we pass on and add would be altered. */
	if ((f1 & SMFIP_HDR_LEADSPC) == 0) {
		pcl_log(LOG_ERR,
		        "negotiate: the MTA does not offer verbatim header "
		        "values (SMFIP_HDR_LEADSPC; Postfix needs "
		        "milter_protocol = 6): milter disabled for this "
		        "connection");
		return SMFIS_REJECT;
	}
	*pf0 = NEED_ACTIONS | (f0 & SMFIF_SETSYMLIST);
	*pf1 = SMFIP_HDR_LEADSPC | (f1 & SMFIP_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	if ((f0 & SMFIF_SETSYMLIST) != 0) {
		for (size_t i = 0;
		     i < sizeof(macro_lists) / sizeof(macro_lists[0]); i++)
			if (smfi_setsymlist(ctx, macro_lists[i].stage,
			                    macro_lists[i].macros) !=
			    MI_SUCCESS)
				pcl_log(
				    LOG_WARNING,
				    "negotiate: smfi_setsymlist(%d, \"%s\") "
				    "failed",
				    macro_lists[i].stage,
				    macro_lists[i].macros);
	}
	return SMFIS_CONTINUE;
}

/* cb_connect - start a session on the configuration in force */
static sfsistat
cb_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	char addrbuf[INET6_ADDRSTRLEN];
	struct pcl_decision d;
	struct pcl_conf *conf;
	enum pcl_on_error on_error;
	struct conn *c = NULL;
	const char *addr, *name = NULL;
	int port;

	conf = pcl_snapshot_acquire();
	if (conf == NULL) {
		pcl_log(LOG_ERR, "NOQUEUE: no configuration loaded: tempfail");
		return SMFIS_TEMPFAIL;
	}
	on_error = conf->on_error;
	c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->session = pcl_session_new(conf);
	pcl_conf_release(conf); /* the session holds its own reference */
	if (c == NULL || c->session == NULL ||
	    smfi_setpriv(ctx, c) != MI_SUCCESS) {
		pcl_log(LOG_ERR,
		        "NOQUEUE: out of memory at connect: on_error=%s",
		        pcl_on_error_name(on_error));
		conn_free(c);
		/* Postfix keeps a connect-stage verdict for the whole
		 * session. */
		return on_error_status(on_error);
	}
	c->on_error = on_error;
	pcl_session_set_log(c->session, true);

	addr = sockaddr_text(sa, addrbuf, sizeof(addrbuf), &port);
	/* An unresolved client arrives as "[192.0.2.1]": no name. */
	if (host != NULL && host[0] != '\0' && host[0] != '[')
		name = host;
	pcl_session_connect(c->session, addr, name, port,
	                    smfi_getsymval(ctx, "{daemon_name}"), &d);
	return conn_enact(ctx, c, &d);
}

/* cb_helo - HELO or EHLO */
static sfsistat
cb_helo(SMFICTX *ctx, char *name)
{
	struct conn *c = smfi_getpriv(ctx);
	struct pcl_decision d;

	if (c == NULL)
		return no_session("helo");
	pcl_session_helo(c->session, name != NULL ? name : "", &d);
	return conn_enact(ctx, c, &d);
}

/* cb_envfrom - MAIL FROM */
static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	struct pcl_decision d;
	const char *auth;

	if (c == NULL)
		return no_session("mail");
	conn_update_qid(ctx, c);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	if (auth != NULL && *auth == '\0')
		auth = NULL;
	pcl_session_mail(c->session,
	                 argv != NULL && argv[0] != NULL ? argv[0] : "<>", auth,
	                 &d);
	return conn_enact(ctx, c, &d);
}

/* cb_envrcpt - RCPT TO; a refusal here refuses this recipient only */
static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	struct pcl_decision d;

	if (c == NULL)
		return no_session("rcpt");
	conn_update_qid(ctx, c);
	pcl_session_rcpt(c->session,
	                 argv != NULL && argv[0] != NULL ? argv[0] : "", &d);
	return conn_enact(ctx, c, &d);
}

/* cb_data - DATA: only the queue ID is of interest */
static sfsistat
cb_data(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return no_session("data");
	conn_update_qid(ctx, c);
	return SMFIS_CONTINUE;
}

/* cb_header - one header, value verbatim (SMFIP_HDR_LEADSPC) */
static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);
	struct pcl_decision d;

	if (c == NULL)
		return no_session("header");
	pcl_session_header(c->session, name != NULL ? name : "",
	                   value != NULL ? value : "");
	if (pcl_session_refused_early(c->session, &d))
		return conn_enact(ctx, c, &d);
	return SMFIS_CONTINUE;
}

/* cb_eoh - end of headers */
static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return no_session("eoh");
	conn_update_qid(ctx, c);
	pcl_session_eoh(c->session);
	return SMFIS_CONTINUE;
}

/* cb_body - a body chunk, CRLF line ends, any size */
static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return no_session("body");
	pcl_session_body(c->session, chunk, len);
	return SMFIS_CONTINUE;
}

/* conn_add_headers - delete forged headers (highest occurrence first,
 * as the session lists them), then insert the session's headers at the
 * top, last first, so that they end up in the session's order */
static void
conn_add_headers(SMFICTX *ctx, const struct conn *c)
{
	const struct pcl_add_header *h;
	const struct pcl_del_header *del;

	for (size_t i = 0; i < pcl_session_delete_count(c->session); i++) {
		del = pcl_session_delete_get(c->session, i);
		if (smfi_chgheader(ctx, (char *)del->name, del->occurrence,
		                   NULL) != MI_SUCCESS)
			pcl_log(LOG_ERR, "%s: smfi_chgheader(%s, %d) failed",
			        conn_qid(c), del->name, del->occurrence);
	}

	for (size_t i = pcl_session_header_count(c->session); i-- > 0;) {
		h = pcl_session_header_get(c->session, i);
		if (h == NULL)
			continue;
		/* libmilter takes char * but only reads the strings. */
		if (smfi_insheader(ctx, 0, h->name, h->value) != MI_SUCCESS)
			pcl_log(LOG_ERR, "%s: smfi_insheader(%s) failed",
			        conn_qid(c), h->name);
	}
}

/* conn_end_message - the message is over: its error, if any, with it */
static void
conn_end_message(struct conn *c)
{
	pcl_session_reset(c->session);
	c->qid[0] = '\0';
	/* an error of the connection stays, and was logged once */
	c->error_logged = c->error_logged && pcl_session_had_error(c->session);
}

/* cb_eom - end of message: the verdict, headers, quarantine */
static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct pcl_decision d;
	const char *reason;
	sfsistat rc;

	if (c == NULL)
		return no_session("eom");
	conn_update_qid(ctx, c);
	pcl_session_eom(c->session, &d);
	rc = conn_enact(ctx, c, &d);
	if (rc == SMFIS_CONTINUE) {
		conn_add_headers(ctx, c);
		if (d.action == PCL_ACT_QUARANTINE) {
			reason = pcl_session_quarantine_reason(c->session);
			if (reason == NULL || *reason == '\0')
				reason = "portcullis";
			if (smfi_quarantine(ctx, (char *)reason) != MI_SUCCESS)
				pcl_log(LOG_ERR,
				        "%s: smfi_quarantine failed: message "
				        "delivered",
				        conn_qid(c));
		}
	}
	conn_end_message(c);
	return rc;
}

/* cb_abort - the MTA ended the message early */
static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		conn_end_message(c);
	return SMFIS_CONTINUE;
}

/* cb_close - end of connection; runs even when connect did not */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		conn_free(c);
		(void)smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/* cb_unknown - a command the MTA did not know: not ours to judge */
static sfsistat
cb_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

static const struct smfiDesc desc = {
    .xxfi_name = "portcullis",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = NEED_ACTIONS,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_unknown = cb_unknown,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};

/* pcl_callbacks_desc - the filter description for smfi_register */
const struct smfiDesc *
pcl_callbacks_desc(void)
{
	return &desc;
}
