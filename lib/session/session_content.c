/*
 * session_content - what the message itself says: the From: and
 * Reply-To: domains and the domains of the body's URLs, judged by the
 * domain lists at the end of the message
 *
 * The message is kept only when a list judges the body, and only up to
 * dbl_body_max_size bytes; what lies beyond is not scanned (and said so
 * in the trace). Headers arrive from Postfix with folds as bare LF and
 * the leading space kept; they are stored back in that form.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "log.h"
#include "session_int.h"
#include "urls.h"

/* keep - append bytes to the message buffer, up to the size limit */
static void
keep(struct pcl_session *s, const char *p, size_t n)
{
	size_t max = (size_t)s->conf->dbl_body_max_size;

	if (s->msglen >= max)
		return;
	if (n > max - s->msglen)
		n = max - s->msglen;
	if (s->msglen + n > s->msgcap) {
		size_t cap = s->msgcap ? s->msgcap : 16384;
		char *grown;

		while (cap < s->msglen + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		grown = realloc(s->msgbuf, cap);
		if (grown == NULL) {
			s->error = true;
			return;
		}
		s->msgbuf = grown;
		s->msgcap = cap;
	}
	memcpy(s->msgbuf + s->msglen, p, n);
	s->msglen += n;
}

/* note_authres - count Authentication-Results headers; one that
 * claims our authserv-id is a forgery to delete (RFC 8601 §5) */
static void
note_authres(struct pcl_session *s, const char *value)
{
	int *grown;

	s->ar_seen++;
	if (!pcl_authres_is_ours(value, s->conf->authserv_id) ||
	    !pcl_budget_authres(s))
		return;
	grown = realloc(s->ar_forged, (s->nar_forged + 1) * sizeof(int));
	if (grown == NULL) {
		s->error = true;
		return;
	}
	s->ar_forged = grown;
	s->ar_forged[s->nar_forged++] = s->ar_seen;
}

/* pcl_content_header - note From:/Reply-To: and forged
 * Authentication-Results, feed DKIM, keep the header */
void
pcl_content_header(struct pcl_session *s, const char *name, const char *value)
{
	if (strcasecmp(name, "Authentication-Results") == 0)
		note_authres(s, value);
	if (pcl_session_trusted(s))
		return;
	if (s->conf->dkim && s->conf->dkim_verify && s->dkimv == NULL)
		s->dkimv = pcl_dkim_verify_new(s->conf->dkim,
		                               *s->qid ? s->qid : "portcullis");
	if (s->dkimv)
		pcl_dkim_verify_header(s->dkimv, name, value);
	if (strcasecmp(name, "From") == 0 && s->from_hdr == NULL)
		s->from_hdr = strdup(value);
	else if (strcasecmp(name, "Reply-To") == 0 && s->reply_to_hdr == NULL)
		s->reply_to_hdr = strdup(value);
	if (!pcl_dbl_wanted(s, PCL_DBL_BODY))
		return;
	keep(s, name, strlen(name));
	keep(s, ":", 1);
	for (const char *p = value; *p; p++) {
		if (*p == '\n')
			keep(s, "\r\n", 2);
		else
			keep(s, p, 1);
	}
	keep(s, "\r\n", 2);
}

/* pcl_content_body - keep a body chunk (after the header block) */
void
pcl_content_body(struct pcl_session *s, const unsigned char *chunk, size_t len)
{
	if (s->hdr_over)
		return;
	if (s->dkimv)
		pcl_dkim_verify_body(s->dkimv, chunk, len);
	if (!pcl_dbl_wanted(s, PCL_DBL_BODY))
		return;
	if (s->msglen > 0 && !s->body_started) {
		keep(s, "\r\n", 2);
		s->body_started = true;
	}
	keep(s, (const char *)chunk, len);
}

/* header_domains - queue the domain of every address in a header
 * value ("Name" <a@b.example>, a@b.example (c), list, group) */
static void
header_domains(struct pcl_session *s, const char *value,
               enum pcl_dbl_identity id)
{
	const char *p = value;
	size_t n = 0;

	while (value && (p = strchr(p, '@')) != NULL && n < 8) {
		char domain[PCL_DOMAIN_MAX + 1];
		size_t len = 0;

		p++;
		while (*p &&
		       (isalnum((unsigned char)*p) || *p == '.' || *p == '-' ||
		        *p == '[' || *p == ']' || *p == ':' || *p == '_')) {
			if (len + 1 < sizeof(domain))
				domain[len++] = *p;
			p++;
		}
		domain[len] = '\0';
		if (len > 0) {
			pcl_dbl_add(s, &s->dbl_msg, id, domain, &s->msg);
			n++;
		}
	}
}

/* pcl_content_eoh - end of headers */
void
pcl_content_eoh(struct pcl_session *s)
{
	if (s->hdr_over) {
		/* judged on part of its header the message would get
		 * wrong results: it gets header_limit_action instead */
		if (s->dkimv)
			pcl_session_trace(s, PCL_STAGE_DATA, "dkim", "skip",
			                  "header budget spent");
		pcl_dkim_verify_free(s->dkimv);
		s->dkimv = NULL;
		free(s->msgbuf);
		s->msgbuf = NULL;
		s->msglen = s->msgcap = 0;
		return;
	}
	if (s->conf->dkim && s->conf->dkim_verify && s->dkimv == NULL &&
	    !pcl_session_trusted(s))
		s->dkimv = pcl_dkim_verify_new(s->conf->dkim,
		                               *s->qid ? s->qid : "portcullis");
	if (s->dkimv)
		pcl_dkim_verify_eoh(s->dkimv);
}

/* dkim_verdict - trace every signature; one finding for the message:
 * pass if any signature passed, else fail if any failed, else the
 * on_error action when a key lookup failed, else none */
static void
dkim_verdict(struct pcl_session *s)
{
	size_t n = pcl_dkim_verify_count(s->dkimv);
	bool pass = false, fail = false, temp = false;
	char detail[PCL_FINDING_DETAIL_MAX] = "";

	pcl_dkim_verify_eom(s->dkimv);
	n = pcl_dkim_verify_count(s->dkimv);
	for (size_t i = 0; i < n; i++) {
		const struct pcl_dkim_sig *g = pcl_dkim_verify_sig(s->dkimv, i);

		pcl_session_trace(s, PCL_STAGE_DATA, "dkim",
		                  pcl_dkim_result_name(g->result),
		                  "d=%s s=%s a=%s: %s", g->domain, g->selector,
		                  g->algorithm, g->reason);
		pass |= g->result == PCL_DKIM_PASS;
		fail |= g->result == PCL_DKIM_FAIL ||
		        g->result == PCL_DKIM_PERMERROR ||
		        g->result == PCL_DKIM_POLICY;
		temp |= g->result == PCL_DKIM_TEMPERROR;
		if (g->result != PCL_DKIM_PASS && *detail == '\0')
			pcl_format(detail, sizeof(detail), "d=%s s=%s: %s",
			           g->domain, g->selector, g->reason);
	}
	if (pass)
		return;
	if (fail) {
		pcl_session_configured(s, &s->msg, "dkim_fail", PCL_STAGE_DATA,
		                       &s->conf->dkim_fail, detail);
	} else if (temp) {
		pcl_session_error(s, &s->msg, "dkim", PCL_STAGE_DATA,
		                  s->conf->dkim_on_error, detail, "7.5",
		                  "DKIM key lookup failed");
	} else if (n == 0) {
		pcl_session_configured(s, &s->msg, "dkim_none", PCL_STAGE_DATA,
		                       &s->conf->dkim_none, "no signature");
	}
}

/* pcl_content_authres - Received-SPF and the Authentication-Results
 * header, first in the list of headers to add (both belong at the top:
 * RFC 7208 §9.1, RFC 8601 §5), and the forged ones to delete */
void
pcl_content_authres(struct pcl_session *s)
{
	struct pcl_authres ar;
	/* past the limit, not one deletion: see session_budget.c */
	size_t forged = s->ar_over ? 0 : s->nar_forged;

	if (s->ar_over)
		pcl_session_trace(s, PCL_STAGE_DATA, "authres", "kept",
		                  "more than %ld forged: none deleted",
		                  s->conf->authres_delete_limit);
	free(s->dels);
	s->dels = calloc(forged + 1, sizeof(*s->dels));
	s->ndels = 0;
	for (size_t i = forged; s->dels && i > 0; i--) {
		s->dels[s->ndels].name = "Authentication-Results";
		s->dels[s->ndels++].occurrence = s->ar_forged[i - 1];
		pcl_session_trace(s, PCL_STAGE_DATA, "authres", "delete",
		                  "Authentication-Results #%d claims %s",
		                  s->ar_forged[i - 1], s->conf->authserv_id);
	}
	if (pcl_session_trusted(s))
		return;
	pcl_spf_received_header(s);
	if (!s->conf->auth_results)
		return;
	pcl_authres_init(&ar, s->conf->authserv_id);
	pcl_spf_authres(s, &ar);
	for (size_t i = 0; s->dkimv && i < pcl_dkim_verify_count(s->dkimv);
	     i++) {
		const struct pcl_dkim_sig *g = pcl_dkim_verify_sig(s->dkimv, i);

		pcl_authres_add(&ar, "dkim", pcl_dkim_result_name(g->result),
		                g->result == PCL_DKIM_PASS ? NULL : g->reason,
		                "header.d", g->domain, "header.s", g->selector,
		                "header.a", g->algorithm, "header.b", g->b,
		                NULL);
	}
	if (ar.results > 0) /* nothing checked: nothing to say */
		pcl_session_headers_add(s, &s->add, "Authentication-Results",
		                        pcl_authres_value(&ar));
}

/* pcl_content_eom - verify DKIM, look up the message's domains */
void
pcl_content_eom(struct pcl_session *s)
{
	struct pcl_url_domains body = {0};
	char err[PCL_ERR_MAX];

	if (s->hdr_over)
		return;
	if (s->dkimv)
		dkim_verdict(s);
	if (s->conf->ndbl_sites == 0)
		return;
	if (pcl_dbl_wanted(s, PCL_DBL_FROM))
		header_domains(s, s->from_hdr, PCL_DBL_FROM);
	if (pcl_dbl_wanted(s, PCL_DBL_REPLY_TO))
		header_domains(s, s->reply_to_hdr, PCL_DBL_REPLY_TO);
	if (pcl_dbl_wanted(s, PCL_DBL_BODY) && s->msglen > 0) {
		if (pcl_urls_extract(s->msgbuf, s->msglen,
		                     (size_t)s->conf->dbl_body_max_domains,
		                     &body, err, sizeof(err)) < 0)
			s->error = true;
		if (s->msglen >= (size_t)s->conf->dbl_body_max_size ||
		    body.truncated)
			pcl_session_trace(s, PCL_STAGE_DATA, "dbl", "cut",
			                  "only the first %zu bytes scanned",
			                  s->msglen);
		if (body.capped)
			pcl_session_trace(s, PCL_STAGE_DATA, "dbl", "cut",
			                  "only the first %ld body domains",
			                  s->conf->dbl_body_max_domains);
		for (size_t i = 0; i < body.count; i++)
			pcl_dbl_add(s, &s->dbl_msg, PCL_DBL_BODY, body.items[i],
			            &s->msg);
		pcl_url_domains_clear(&body);
	}
	pcl_dbl_send(&s->dbl_msg);
	pcl_dbl_finish(s, &s->dbl_msg);
}

/* pcl_content_reset - forget the message */
void
pcl_content_reset(struct pcl_session *s)
{
	pcl_dbl_clear(&s->dbl_msg);
	pcl_dkim_verify_free(s->dkimv);
	s->dkimv = NULL;
	free(s->ar_forged);
	s->ar_forged = NULL;
	s->nar_forged = 0;
	s->ar_seen = 0;
	free(s->dels);
	s->dels = NULL;
	s->ndels = 0;
	free(s->from_hdr);
	free(s->reply_to_hdr);
	free(s->msgbuf);
	s->from_hdr = s->reply_to_hdr = s->msgbuf = NULL;
	s->msglen = s->msgcap = 0;
	s->body_started = false;
	free(s->msg.items);
	free(s->msg.logged);
	memset(&s->msg, 0, sizeof(s->msg));
}
