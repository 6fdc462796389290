/*
 * session_budget - what one message may cost, checked before the work
 *
 * A message's header fields are counted (header_count_limit) and their
 * bytes added up (header_bytes_limit) as they arrive. Once either runs
 * out, no later field is looked at: DKIM verification of the message is
 * abandoned, nothing is kept for the signers or the body scan, and the
 * message gets header_limit_action at the end (552 5.3.4 by default).
 *
 * Every forged Authentication-Results field (one that claims our
 * authserv-id) costs the MTA one deletion at the end of the message.
 * Postfix's cleanup handles each deletion as a reverse jump in the
 * queue file: 20,000 of them took it 27 s and then made it panic, so
 * that no mail was accepted for a minute. Past authres_delete_limit
 * no deletion is asked for at all and the message gets
 * authres_limit_action (550 5.7.1 by default).
 *
 * Both apply to every client, the trusted ones too: they protect
 * portcullis and the MTA, not the recipients. A dry-run budget is
 * traced and logged, the message goes through, and the work stays
 * bounded all the same.
 */
#include "config.h"

#include <string.h>

#include "session_int.h"

/* header_over - the header budget ran out on this field */
static void
header_over(struct pcl_session *s, const char *what, long limit)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	s->hdr_over = true;
	pcl_format(detail, sizeof(detail), "more than %ld header %s", limit,
	           what);
	pcl_session_configured(s, &s->budget, "header_limit", PCL_STAGE_DATA,
	                       &s->conf->header_limit, detail);
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

/* pcl_budget_authres - one more forged Authentication-Results; false
 * when that is more than may be deleted */
bool
pcl_budget_authres(struct pcl_session *s)
{
	char detail[PCL_FINDING_DETAIL_MAX];

	if (s->ar_over)
		return false;
	if (s->nar_forged < (size_t)s->conf->authres_delete_limit)
		return true;
	s->ar_over = true;
	pcl_format(detail, sizeof(detail),
	           "more than %ld forged Authentication-Results fields",
	           s->conf->authres_delete_limit);
	pcl_session_configured(s, &s->budget, "authres_limit", PCL_STAGE_DATA,
	                       &s->conf->authres_limit, detail);
	return false;
}

/* pcl_budget_reset - a new message */
void
pcl_budget_reset(struct pcl_session *s)
{
	s->hdr_count = s->hdr_bytes = 0;
	s->hdr_over = s->ar_over = false;
}
