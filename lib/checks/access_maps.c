/*
 * access_maps - the admin's access(5) maps on the client, the HELO
 * name, the sender and the recipient, searched like Postfix's
 * check_*_access
 *
 * OK and PERMIT exempt the identity (the client: every inbound check;
 * the HELO name: the rest of the HELO checks; the sender: the rest of
 * the transaction; the recipient: it is accepted), REJECT/DEFER/NNN
 * refuse and end the search, DUNNO tries the next table, and HOLD,
 * DISCARD, WARN and PREPEND take effect but let the search go on, as in
 * Postfix. Replies read like Postfix's: "554 5.7.1
 * <unknown[192.0.2.1]>: Client host rejected: Access denied".
 */
#include "config.h"

#include <string.h>

#include "access.h"
#include "checks.h"
#include "log.h"
#include "table.h"
#include "util.h"

/* Postfix's access_map_reject_code and access_map_defer_code. */
#define ACCESS_REJECT_CODE 554
#define ACCESS_DEFER_CODE 450

/* What a search needs to know about its identity. */
struct search {
	enum pcl_access_class cls;
	enum pcl_stage stage;
	const struct pcl_tables *tables;
	enum pcl_on_error on_error;
	const char *key;   /* name, HELO, address */
	const char *addr;  /* client address, or NULL */
	const char *ident; /* shown in replies: <ident>: */
	const char *what;  /* "Client host", "Helo command" ... */
	enum pcl_scope scope;
};

/* Outcome of a search through an access table list. */
enum outcome {
	ACCESS_NONE,    /* nothing decisive */
	ACCESS_EXEMPT,  /* OK or PERMIT */
	ACCESS_REFUSED, /* a finding was added (or would be) */
};

/* reply - a Postfix-style reply for a refusal */
static void
reply(struct pcl_finding *f, const struct search *a,
      const struct pcl_access_result *r)
{
	char text[PCL_REPLY_TEXT_MAX];
	int code = r->code;

	if (code == 0)
		code = f->action == PCL_ACT_TEMPFAIL ? ACCESS_DEFER_CODE
		                                     : ACCESS_REJECT_CODE;
	pcl_format(text, sizeof(text), "<%s>: %s rejected: %s", a->ident,
	           a->what, *r->text ? r->text : "Access denied");
	pcl_reply_set(&f->reply, f->action, code, r->enhanced, text);
}

/* lookup_error - a lookup that failed: the map's on_error */
static void
lookup_error(struct pcl_check_ctx *x, const struct search *a, const char *spec,
             const char *err)
{
	const char *check = x->check->name;
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_check_trace(x, a->stage, check, "error", "%s: %s", spec, err);
	pcl_log(LOG_WARNING, "%s: %s lookup error: %s: %s", pcl_check_log_id(x),
	        check, spec, err);
	pcl_format(detail, sizeof(detail), "lookup error in %s", spec);
	pcl_check_error(x, a->scope, check, a->stage, a->on_error, detail,
	                "3.0", "Server configuration problem");
}

/* warn - WARN: a log line, every client value quoted */
static void
warn(struct pcl_check_ctx *x, const struct search *a, const char *matched,
     const char *text)
{
	char qmatched[PCL_ADDRESS_MAX * 4 + 8], qtext[PCL_LINE_MAX * 4 + 8];

	if (!x->facts->log)
		return;
	pcl_log_quote(matched, qmatched, sizeof(qmatched));
	pcl_log_quote(text, qtext, sizeof(qtext));
	pcl_log(LOG_INFO, "%s: warn stage=%s check=%s match=%s text=%s",
	        pcl_check_log_id(x), pcl_stage_name(a->stage), x->check->name,
	        qmatched, qtext);
}

/* prepend - PREPEND "Name: value": a header for the end of message */
static void
prepend(struct pcl_check_ctx *x, const struct search *a, const char *text)
{
	char name[128];
	const char *colon = strchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : 0;

	/* validated at load: "Name: value" */
	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, text, n);
	name[n] = '\0';
	pcl_check_header(x,
	                 a->scope == PCL_SCOPE_RCPT ? PCL_SCOPE_TXN : a->scope,
	                 name, colon + 1);
}

/* apply - act on one result; true when the search ends */
static bool
apply(struct pcl_check_ctx *x, const struct search *a, const char *spec,
      const struct pcl_access_result *r, const char *matched,
      enum outcome *outcome)
{
	static const enum pcl_action acts[] = {
	    [PCL_ACCESS_REJECT] = PCL_ACT_REJECT,
	    [PCL_ACCESS_DEFER] = PCL_ACT_TEMPFAIL,
	    [PCL_ACCESS_DISCARD] = PCL_ACT_DISCARD,
	    [PCL_ACCESS_HOLD] = PCL_ACT_QUARANTINE,
	};
	const char *check = x->check->name;
	struct pcl_finding *f;

	switch (r->kind) {
	case PCL_ACCESS_DUNNO:
		pcl_check_trace(x, a->stage, check, "dunno", "%s: %s", spec,
		                matched);
		return false;
	case PCL_ACCESS_OK:
		pcl_check_trace(x, a->stage, check, "exempt", "%s: %s OK", spec,
		                matched);
		*outcome = ACCESS_EXEMPT;
		return true;
	case PCL_ACCESS_WARN:
		pcl_check_trace(x, a->stage, check, "warn", "%s: %s %s", spec,
		                matched, r->text);
		warn(x, a, matched, r->text);
		return false;
	case PCL_ACCESS_PREPEND:
		prepend(x, a, r->text);
		pcl_check_trace(x, a->stage, check, "prepend", "%s: %s", spec,
		                r->text);
		return false;
	case PCL_ACCESS_REJECT:
	case PCL_ACCESS_DEFER:
	case PCL_ACCESS_DISCARD:
	case PCL_ACCESS_HOLD:
		break;
	}
	f = pcl_check_find(x, a->scope, check, a->stage, acts[r->kind]);
	if (f == NULL)
		return true;
	pcl_format(f->detail, sizeof(f->detail), "%s matched %s", spec,
	           matched);
	reply(f, a, r);
	pcl_check_trace(x, a->stage, check, "hit", "%s: %s -> %s%s", spec,
	                matched, pcl_action_name(f->action),
	                f->dry_run ? " (dry run)" : "");
	if (r->kind == PCL_ACCESS_DISCARD || r->kind == PCL_ACCESS_HOLD)
		return false;
	*outcome = ACCESS_REFUSED;
	return true;
}

/* search - every table of a list in order; an OK exempts the scope */
static void
search(struct pcl_check_ctx *x, const struct search *a)
{
	enum outcome outcome = ACCESS_NONE;

	for (size_t i = 0; i < a->tables->count; i++) {
		const struct pcl_table *t = a->tables->items[i];
		struct pcl_access_result r;
		char matched[PCL_ADDRESS_MAX + 1] = "";
		char err[PCL_ERR_MAX] = "";
		enum pcl_table_status st;

		st = pcl_access_lookup(t, a->cls, a->key, a->addr, &r, matched,
		                       sizeof(matched), err, sizeof(err));
		if (st == PCL_TABLE_ERROR) {
			lookup_error(x, a, pcl_table_spec(t), err);
			return;
		}
		if (st == PCL_TABLE_NOTFOUND)
			continue;
		if (!apply(x, a, pcl_table_spec(t), &r, matched, &outcome))
			continue;
		if (outcome == ACCESS_EXEMPT)
			pcl_check_exempt(x, a->scope);
		return;
	}
	if (a->tables->count)
		pcl_check_trace(x, a->stage, x->check->name, "pass", "%s%s%s",
		                a->key ? a->key : "", a->addr ? " " : "",
		                a->addr ? a->addr : "");
}

/* start - the event's map list: client_access at connect (the name,
 * then the address), helo_access at HELO, sender_access at MAIL,
 * recipient_access at RCPT */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	char ident[PCL_DOMAIN_MAX + PCL_ADDR_TEXT_MAX + 4];
	struct search a;

	switch (ev) {
	case PCL_EV_CONNECT:
		pcl_format(ident, sizeof(ident), "%s[%s]",
		           *k->name ? k->name : "unknown",
		           *k->addr ? k->addr : "unknown");
		a = (struct search){PCL_ACCESS_CLIENT,
		                    PCL_STAGE_CONNECT,
		                    &c->client_access,
		                    c->client_access_on_error,
		                    *k->name ? k->name : NULL,
		                    *k->addr ? k->addr : NULL,
		                    ident,
		                    "Client host",
		                    PCL_SCOPE_CONN};
		break;
	case PCL_EV_HELO:
		a = (struct search){PCL_ACCESS_HELO, PCL_STAGE_HELO,
		                    &c->helo_access, c->helo_access_on_error,
		                    k->helo,         NULL,
		                    k->helo,         "Helo command",
		                    PCL_SCOPE_HELO};
		break;
	case PCL_EV_MAIL:
		a = (struct search){
		    PCL_ACCESS_SENDER, PCL_STAGE_MAIL,
		    &c->sender_access, c->sender_access_on_error,
		    k->sender,         NULL,
		    k->sender,         "Sender address",
		    PCL_SCOPE_TXN};
		break;
	case PCL_EV_RCPT:
		a = (struct search){PCL_ACCESS_RECIPIENT,
		                    PCL_STAGE_RCPT,
		                    &c->recipient_access,
		                    c->recipient_access_on_error,
		                    k->rcpt,
		                    NULL,
		                    k->rcpt,
		                    "Recipient address",
		                    PCL_SCOPE_RCPT};
		break;
	default:
		return;
	}
	search(x, &a);
}

const struct pcl_check pcl_check_client_access = {
    .name = "client_access",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_CONNECT),
    .start = start,
};

const struct pcl_check pcl_check_helo_access = {
    .name = "helo_access",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_HELO),
    .start = start,
};

const struct pcl_check pcl_check_sender_access = {
    .name = "sender_access",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_MAIL),
    .start = start,
};

const struct pcl_check pcl_check_recipient_access = {
    .name = "recipient_access",
    .kind = PCL_CHECK_INBOUND,
    .events = PCL_EV(PCL_EV_RCPT),
    .start = start,
};
