/*
 * session_sign - DKIM signatures for outgoing mail
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

#include "log.h"
#include "session_int.h"

/* the longest line SMTP allows, without CRLF (RFC 5321 4.5.3.1.6) */
#define PCL_SMTP_LINE_MAX 998

/* outgoing - is this message ours to sign */
static bool
outgoing(const struct pcl_session *s)
{
	const struct pcl_words *names = &s->conf->dkim_sign_daemon_names;

	if (s->internal || s->authenticated || s->port == 0)
		return true;
	for (size_t i = 0; *s->daemon && i < names->count; i++)
		if (strcasecmp(names->items[i], s->daemon) == 0)
			return true;
	return false;
}

/* pcl_sign_header - keep a header for the signers */
void
pcl_sign_header(struct pcl_session *s, const char *name, const char *value)
{
	if (s->conf->signing && s->conf->dkim && outgoing(s))
		pcl_session_headers_add(s, &s->sign_hdrs, name, value);
}

/* from_address - the address of a From: value ("Name" <a@b> or a@b) */
static bool
from_address(const char *value, char *out, size_t len)
{
	const char *lt = strchr(value, '<'), *p, *end;
	size_t n;

	if (lt && (end = strchr(lt, '>')) != NULL) {
		p = lt + 1;
	} else {
		p = value;
		while (isspace((unsigned char)*p))
			p++;
		end = p;
		while (*end && !isspace((unsigned char)*end) && *end != '(')
			end++;
	}
	n = (size_t)(end - p);
	if (n == 0 || n >= len || memchr(p, '@', n) == NULL)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

/* long_lines - note lines longer than SMTP allows (RFC 5321 4.5.3.1.6):
 * Postfix's smtp client breaks them on the way out
 * (smtp_line_length_limit), after the signature was made */
static void
long_lines(struct pcl_session *s, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n') {
			s->sign_line = 0;
			continue;
		}
		if (text[i] != '\r' && ++s->sign_line > PCL_SMTP_LINE_MAX &&
		    s->sign_line > s->sign_long)
			s->sign_long = s->sign_line;
	}
}

/* pcl_sign_eoh - the From: address decides the keys; start a signing
 * context per key and replay the headers into it */
void
pcl_sign_eoh(struct pcl_session *s)
{
	const struct pcl_dkim_signer *who[PCL_SIGNERS_MAX];
	const struct pcl_dkim_sign_opts opts = {
	    .headers = s->conf->sign_headers,
	};
	char address[PCL_ADDRESS_MAX + 1] = "";
	size_t n;

	if (s->hdr_over) {
		if (s->sign_hdrs.count > 0)
			pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign",
			                  "skip", "header budget spent");
		return;
	}
	if (s->conf->dkim_sign_by_sender && strchr(s->sender, '@') != NULL)
		(void)pcl_copy(address, sizeof(address), s->sender);
	for (size_t i = 0; !*address && i < s->sign_hdrs.count; i++)
		if (strcasecmp(s->sign_hdrs.items[i].name, "From") == 0 &&
		    from_address(s->sign_hdrs.items[i].value, address,
		                 sizeof(address)))
			break;
	if (*address == '\0') {
		if (s->sign_hdrs.count > 0)
			pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign",
			                  "skip", "no From: address");
		return;
	}
	n = pcl_dkim_signing_match(s->conf->signing, address, who,
	                           PCL_SIGNERS_MAX);
	if (n == 0) {
		pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign", "skip",
		                  "no key for %s", address);
		return;
	}
	for (size_t j = 0; j < s->sign_hdrs.count; j++) {
		s->sign_line = strlen(s->sign_hdrs.items[j].name) + 1;
		long_lines(s, s->sign_hdrs.items[j].value,
		           strlen(s->sign_hdrs.items[j].value));
	}
	s->sign_line = 0;
	for (size_t i = 0; i < n; i++) {
		struct pcl_dkim_signer_ctx *ctx =
		    pcl_dkim_sign_new(s->conf->dkim, who[i], &opts);

		if (ctx == NULL) {
			s->error = true;
			continue;
		}
		for (size_t j = 0; j < s->sign_hdrs.count; j++)
			pcl_dkim_sign_header(ctx, s->sign_hdrs.items[j].name,
			                     s->sign_hdrs.items[j].value);
		pcl_dkim_sign_eoh(ctx);
		s->signers[s->nsigners++] = ctx;
	}
}

/* pcl_sign_body - a body chunk for every signer */
void
pcl_sign_body(struct pcl_session *s, const unsigned char *chunk, size_t len)
{
	if (s->nsigners > 0)
		long_lines(s, (const char *)chunk, len);
	for (size_t i = 0; i < s->nsigners; i++)
		pcl_dkim_sign_body(s->signers[i], chunk, len);
}

/* pcl_sign_eom - a DKIM-Signature header per signer; a message that
 * cannot be signed leaves unsigned, and the log says why */
void
pcl_sign_eom(struct pcl_session *s)
{
	char value[PCL_DKIM_SIGN_VALUE_MAX];

	if (s->nsigners > 0 && s->sign_long > 0) {
		pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign", "long_line",
		                  "a line of %zu bytes (more than %d)",
		                  s->sign_long, PCL_SMTP_LINE_MAX);
		pcl_log(LOG_WARNING,
		        "%s: dkim_sign warning=long_line length=%zu limit=%d: "
		        "an MTA that breaks longer lines (Postfix: "
		        "smtp_line_length_limit) breaks the signature",
		        *s->qid ? s->qid : "NOQUEUE", s->sign_long,
		        PCL_SMTP_LINE_MAX);
	}
	for (size_t i = 0; i < s->nsigners; i++) {
		if (pcl_dkim_sign_eom(s->signers[i], value, sizeof(value)) ==
		    PCL_DKIM_SIGN_OK) {
			pcl_session_headers_add(s, &s->add, "DKIM-Signature",
			                        value);
			pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign",
			                  "signed", "signature %zu added",
			                  i + 1);
			continue;
		}
		pcl_session_trace(s, PCL_STAGE_DATA, "dkim_sign", "error", "%s",
		                  pcl_dkim_sign_error(s->signers[i]));
		pcl_log(LOG_WARNING,
		        "%s: dkim_sign error=\"%s\": sent unsigned",
		        *s->qid ? s->qid : "NOQUEUE",
		        pcl_dkim_sign_error(s->signers[i]));
	}
}

/* pcl_sign_reset - forget the message's signers */
void
pcl_sign_reset(struct pcl_session *s)
{
	for (size_t i = 0; i < s->nsigners; i++)
		pcl_dkim_sign_free(s->signers[i]);
	s->nsigners = 0;
	s->sign_line = 0;
	s->sign_long = 0;
	for (size_t i = 0; i < s->sign_hdrs.count; i++) {
		free(s->sign_hdrs.items[i].name);
		free(s->sign_hdrs.items[i].value);
	}
	free(s->sign_hdrs.items);
	memset(&s->sign_hdrs, 0, sizeof(s->sign_hdrs));
}
