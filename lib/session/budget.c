/*
 * budget - what one message's header may cost, checked before the work
 *
 * A message's header fields are counted (header_count_limit) and their
 * bytes added up (header_bytes_limit) as they arrive. Once either runs
 * out, no later field is looked at, and the checks that read the
 * content get no more of the message (judged on part of its header it
 * would get wrong results: no DKIM verdict, no signature, no body
 * scan); the message gets header_limit_action (552 5.3.4 by default),
 * at once when that refuses it (pcl_session_refused_early). The budget
 * applies to every client, the trusted ones too: it protects
 * portcullis and the MTA, not the recipients. In dry run it is traced
 * and logged, the message goes through, and the work stays bounded all
 * the same. (The forged Authentication-Results deletions have a budget
 * of their own: lib/checks/authres_header.c.)
 */
#include "config.h"

#include <string.h>

#include "session_int.h"

/* header_over - the header budget ran out on this field */
static void
header_over(struct pcl_session *s, const char *what, long limit)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_session_content_stop(s);
	pcl_format(detail, sizeof(detail), "more than %ld header %s", limit,
	           what);
	pcl_session_configured(s, PCL_SCOPE_LIMIT, "header_limit",
	                       PCL_STAGE_DATA, &s->conf->header_limit, detail);
	pcl_session_trace(s, PCL_STAGE_DATA, "header_limit", "cut",
	                  "field %zu and later not looked at", s->hdr_count);
}

/* pcl_budget_header - count one field; false once the message is over
 * its header budget (this field and the rest are ignored) */
bool
pcl_budget_header(struct pcl_session *s, const char *name, const char *value)
{
	/* as the field travels: name, colon, value, CRLF */
	size_t bytes = strlen(name) + 1 + strlen(value) + 2;

	if (s->hdr_over)
		return false;
	s->hdr_count++;
	s->hdr_bytes += bytes;
	if (s->hdr_count > (size_t)s->conf->header_count_limit) {
		header_over(s, "fields", s->conf->header_count_limit);
		return false;
	}
	if (s->hdr_bytes > (size_t)s->conf->header_bytes_limit) {
		header_over(s, "bytes", s->conf->header_bytes_limit);
		return false;
	}
	return true;
}

/* pcl_budget_reset - a new message */
void
pcl_budget_reset(struct pcl_session *s)
{
	s->hdr_count = s->hdr_bytes = 0;
	s->hdr_over = false;
}
