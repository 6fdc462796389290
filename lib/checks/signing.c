/*
 * signing - the check that signs outgoing mail with DKIM (over
 * lib/auth/dkim_sign*.c)
 *
 * Mail is outgoing when it comes from internal_networks, from a
 * SASL-authenticated client, through Postfix's sendmail (the
 * non_smtpd_milters path, client port 0), or from a Postfix service
 * whose {daemon_name} is listed in dkim_sign_daemon_names; inbound mail
 * from outside is never signed. The signing domain comes from the From:
 * address (or, with dkim_sign_address = sender, the envelope sender,
 * From: for the null sender), matched against the SigningTable (or, in the
 * simple mode, dkim_sign_domain and its subdomains). Headers are kept until the
 * end of the headers, since the From: field decides which keys sign, then
 * replayed into one signing context per key (dual RSA and Ed25519
 * signing is two keys).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "dkim.h"
#include "log.h"
#include "util.h"

/* the longest line SMTP allows, without CRLF (RFC 5321 4.5.3.1.6) */
#define PCL_SMTP_LINE_MAX 998

/* Most signatures one outgoing message gets (dual RSA + Ed25519, and
 * room for a second domain). */
#define PCL_SIGNERS_MAX 4

/* The check's state: the headers kept until the From: is known, and
 * one signing context per key. */
struct signing {
	struct pcl_header_list hdrs;
	struct pcl_dkim_signer_ctx *signers[PCL_SIGNERS_MAX];
	size_t nsigners;
	size_t line;    /* length of the body line being fed so far */
	size_t longest; /* longest line over PCL_SMTP_LINE_MAX, or 0 */
	bool lost;      /* out of memory: the message leaves unsigned */
};

/* header - keep a header for the signers */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	const struct pcl_conf *c = x->facts->conf;
	struct signing *st = x->state;

	if (c->signing && c->dkim && !st->lost &&
	    !pcl_header_list_add(&st->hdrs, name, value))
		st->lost = true;
}

/* long_lines - note lines longer than SMTP allows (RFC 5321 4.5.3.1.6):
 * Postfix's smtp client breaks them on the way out
 * (smtp_line_length_limit), after the signature was made */
static void
long_lines(struct signing *st, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			st->line = 0;
			continue;
		}
		if (text[i] != '\r' && ++st->line > PCL_SMTP_LINE_MAX &&
		    st->line > st->longest)
			st->longest = st->line;
	}
}

/* eoh - the From: address decides the keys; start a signing context
 * per key and replay the headers into it */
static void
eoh(struct pcl_check_ctx *x)
{
	const struct pcl_facts *k = x->facts;
	const struct pcl_conf *c = k->conf;
	struct signing *st = x->state;
	const struct pcl_dkim_signer *who[PCL_SIGNERS_MAX];
	const struct pcl_dkim_sign_opts opts = {
	    .headers = c->sign_headers,
	};
	char address[PCL_ADDRESS_MAX + 1] = "";
	size_t n;

	if (st->lost) {
		pcl_check_oom(x);
		return;
	}
	if (c->dkim_sign_by_sender && strchr(k->sender, '@') != NULL)
		(void)pcl_copy(address, sizeof(address), k->sender);
	for (size_t i = 0; !*address && i < st->hdrs.count; i++)
		if (strcasecmp(st->hdrs.items[i].name, "From") == 0 &&
		    pcl_header_address(st->hdrs.items[i].value, address,
		                       sizeof(address)))
			break;
	if (*address == '\0') {
		if (st->hdrs.count > 0)
			pcl_check_trace(x, PCL_STAGE_DATA, "dkim_sign", "skip",
			                "no From: address");
		return;
	}
	n = pcl_dkim_signing_match(c->signing, address, who, PCL_SIGNERS_MAX);
	if (n == 0) {
		pcl_check_trace(x, PCL_STAGE_DATA, "dkim_sign", "skip",
		                "no key for %s", address);
		return;
	}
	for (size_t j = 0; j < st->hdrs.count; j++) {
		st->line = strlen(st->hdrs.items[j].name) + 1;
		long_lines(st, st->hdrs.items[j].value,
		           strlen(st->hdrs.items[j].value));
	}
	st->line = 0;
	for (size_t i = 0; i < n; i++) {
		struct pcl_dkim_signer_ctx *ctx =
		    pcl_dkim_sign_new(c->dkim, who[i], &opts);

		if (ctx == NULL) {
			pcl_check_oom(x);
			continue;
		}
		for (size_t j = 0; j < st->hdrs.count; j++)
			pcl_dkim_sign_header(ctx, st->hdrs.items[j].name,
			                     st->hdrs.items[j].value);
		pcl_dkim_sign_eoh(ctx);
		st->signers[st->nsigners++] = ctx;
	}
}

/* body - a body chunk for every signer */
static void
body(struct pcl_check_ctx *x, const unsigned char *chunk, size_t len)
{
	struct signing *st = x->state;

	if (st->nsigners > 0)
		long_lines(st, (const char *)chunk, len);
	for (size_t i = 0; i < st->nsigners; i++)
		pcl_dkim_sign_body(st->signers[i], chunk, len);
}

/* eom - a DKIM-Signature header per signer; a signer that fails
 * leaves the message unsigned by it, and the log says why (out of
 * memory before: the message gets on_error) */
static void
eom(struct pcl_check_ctx *x)
{
	struct signing *st = x->state;
	char value[PCL_DKIM_SIGN_VALUE_MAX];

	if (st->nsigners > 0 && st->longest > 0) {
		pcl_check_trace(x, PCL_STAGE_DATA, "dkim_sign", "long_line",
		                "a line of %zu bytes (more than %d)",
		                st->longest, PCL_SMTP_LINE_MAX);
		pcl_log(LOG_WARNING,
		        "%s: dkim_sign warning=long_line length=%zu limit=%d: "
		        "an MTA that breaks longer lines (Postfix: "
		        "smtp_line_length_limit) breaks the signature",
		        pcl_check_log_id(x), st->longest, PCL_SMTP_LINE_MAX);
	}
	for (size_t i = 0; i < st->nsigners; i++) {
		if (pcl_dkim_sign_eom(st->signers[i], value, sizeof(value)) ==
		    PCL_DKIM_SIGN_OK) {
			pcl_check_header(x, PCL_SCOPE_MSG, "DKIM-Signature",
			                 value);
			pcl_check_trace(x, PCL_STAGE_DATA, "dkim_sign",
			                "signed", "signature %zu added", i + 1);
			continue;
		}
		pcl_check_trace(x, PCL_STAGE_DATA, "dkim_sign", "error", "%s",
		                pcl_dkim_sign_error(st->signers[i]));
		pcl_log(
		    LOG_WARNING, "%s: dkim_sign error=\"%s\": sent unsigned",
		    pcl_check_log_id(x), pcl_dkim_sign_error(st->signers[i]));
	}
}

/* start - the end of the header, the end of the message */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	if (ev == PCL_EV_EOH)
		eoh(x);
	else
		eom(x);
}

/* reset - forget the message's signers */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct signing *st = x->state;

	if (scope != PCL_SCOPE_TXN && scope != PCL_SCOPE_MSG)
		return;
	for (size_t i = 0; i < st->nsigners; i++)
		pcl_dkim_sign_free(st->signers[i]);
	st->nsigners = 0;
	st->line = 0;
	st->longest = 0;
	st->lost = false;
	pcl_header_list_clear(&st->hdrs);
}

/* release - the signers and the headers */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_signing = {
    .name = "dkim_sign",
    .kind = PCL_CHECK_OUTGOING,
    .events = PCL_EV(PCL_EV_EOH) | PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct signing),
    .start = start,
    .header = header,
    .body = body,
    .reset = reset,
    .free = release,
};
