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

/* pcl_content_header - note From:/Reply-To:, keep the header */
void
pcl_content_header(struct pcl_session *s, const char *name, const char *value)
{
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

/* pcl_content_eom - look up the message's domains and collect them */
void
pcl_content_eom(struct pcl_session *s)
{
	struct pcl_url_domains body = {0};
	char err[PCL_ERR_MAX];

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
