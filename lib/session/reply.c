/*
 * reply - what a session says: replies expanded from the
 * configured templates, and the one key=value log line per decision
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "session_int.h"
#include "template.h"

/* The values a reply template may use. */
struct reply_env {
	const struct pcl_session *s;
	const struct pcl_reply_var *vars; /* the check's own, or NULL */
};

/* var_lookup - a check's own variables first ($rbl_*, $spf_*), then
 * the session's */
static const char *
var_lookup(const char *name, void *ctx)
{
	const struct reply_env *env = ctx;
	const struct pcl_session *s = env->s;

	for (const struct pcl_reply_var *v = env->vars; v && v->name; v++)
		if (strcmp(name, v->name) == 0)
			return v->value;
	if (strcmp(name, "client_address") == 0)
		return s->addr;
	if (strcmp(name, "client_name") == 0)
		return *s->name ? s->name : "unknown";
	if (strcmp(name, "helo_name") == 0)
		return s->helo;
	if (strcmp(name, "sender") == 0)
		return s->sender;
	if (strcmp(name, "recipient") == 0)
		return s->rcpt;
	if (strcmp(name, "myhostname") == 0)
		return s->conf->myhostname;
	return NULL;
}

/* pcl_session_reply - fill f->reply from a "NNN X.Y.Z text" template;
 * the code part was checked at load, and the expanded text is cut to
 * fit rather than refused (a long HELO name must not lose the reply) */
void
pcl_session_reply(struct pcl_session *s, struct pcl_finding *f, const char *tpl,
                  const struct pcl_reply_var *vars)
{
	struct reply_env env = {s, vars};
	char text[PCL_LINE_MAX];
	struct pcl_reply parsed;
	char err[PCL_ERR_MAX];

	if (pcl_reply_parse(tpl, &parsed, err, sizeof(err)) < 0) {
		pcl_reply_set(&f->reply, f->action, 0, NULL, NULL);
		return;
	}
	pcl_template_expand(parsed.text, var_lookup, &env, text, sizeof(text));
	pcl_reply_set(&f->reply, f->action, parsed.code, parsed.enhanced, text);
}

/* client_ident - "name[addr]" as Postfix logs a client */
static void
client_ident(const struct pcl_session *s, char *buf, size_t len)
{
	pcl_format(buf, len, "%s[%s]", *s->name ? s->name : "unknown",
	           *s->addr ? s->addr : "unknown");
}

/* pcl_session_log_line - one key=value line for a decision */
void
pcl_session_log_line(struct pcl_session *s, const char *verdict,
                     enum pcl_stage stage, const struct pcl_finding *f)
{
	char client[PCL_DOMAIN_MAX + PCL_ADDR_TEXT_MAX + 4];
	char helo[PCL_HELO_MAX * 4 + 8], from[PCL_ADDRESS_MAX * 4 + 8];
	char to[PCL_ADDRESS_MAX * 4 + 8], reply[PCL_REPLY_TEXT_MAX + 32];
	char qreply[sizeof(reply) * 4], detail[PCL_FINDING_DETAIL_MAX * 4];
	char line[PCL_LINE_MAX * 4] = "";
	char angle[PCL_ADDRESS_MAX + 3];

	if (!s->log)
		return;
	client_ident(s, client, sizeof(client));
	pcl_append(line, sizeof(line), "%s: %s stage=%s", pcl_session_log_id(s),
	           verdict, pcl_stage_name(stage));
	if (f)
		pcl_append(line, sizeof(line), " check=%s", f->check);
	pcl_log_quote(client, qreply, sizeof(qreply));
	pcl_append(line, sizeof(line), " client=%s", qreply);
	if (s->facts.helo_seen) {
		pcl_log_quote(s->helo, helo, sizeof(helo));
		pcl_append(line, sizeof(line), " helo=%s", helo);
	}
	/* "<addr>" is quoted as one value, so an address with quotes or
	 * spaces in it cannot forge a field */
	if (s->in_txn) {
		pcl_format(angle, sizeof(angle), "<%s>", s->sender);
		pcl_log_quote(angle, from, sizeof(from));
		pcl_append(line, sizeof(line), " from=%s", from);
	}
	if (*s->rcpt) {
		pcl_format(angle, sizeof(angle), "<%s>", s->rcpt);
		pcl_log_quote(angle, to, sizeof(to));
		pcl_append(line, sizeof(line), " to=%s", to);
	}
	if (f && f->reply.code) {
		pcl_reply_format(&f->reply, reply, sizeof(reply));
		pcl_log_quote(reply, qreply, sizeof(qreply));
		pcl_append(line, sizeof(line), " reply=%s", qreply);
	}
	if (f && *f->detail) {
		pcl_log_quote(f->detail, detail, sizeof(detail));
		pcl_append(line, sizeof(line), " detail=%s", detail);
	}
	pcl_log(LOG_INFO, "%s", line);
}
