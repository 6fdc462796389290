/*
 * authres_header - the Authentication-Results header (RFC 8601): the
 * forged ones removed, ours added
 *
 * A received Authentication-Results field that claims our authserv-id
 * is a forgery (RFC 8601 §5) and is deleted at the end of the message,
 * whoever sent it. Each deletion costs the MTA: Postfix's cleanup
 * handles it as a reverse jump in the queue file, and 20,000 of them
 * took it 27 s and then made it panic, so that no mail was accepted for
 * a minute. So at most authres_delete_limit are deleted; past that not
 * one deletion is asked for and the message gets authres_limit_action
 * (550 5.7.1 by default; enacted at once when it refuses).
 *
 * Inbound mail then gets one Authentication-Results header with the
 * results the other checks published (SPF, DKIM), at the top.
 */
#include "config.h"

#include <stdlib.h>
#include <strings.h>

#include "authres.h"
#include "checks.h"
#include "authres_ours.h"
#include "spf.h"
#include "util.h"

/* The check's state: the message's Authentication-Results fields. */
struct authres {
	int seen;    /* Authentication-Results fields so far */
	int *forged; /* the occurrences that claim our authserv-id */
	size_t nforged;
	bool over; /* more than authres_delete_limit: none deleted */
};

/* too_many - one forgery more than may be deleted: the budget's action */
static void
too_many(struct pcl_check_ctx *x)
{
	const struct pcl_conf *c = x->facts->conf;
	struct authres *st = x->state;
	char detail[PCL_FINDING_DETAIL_MAX];

	st->over = true;
	pcl_format(detail, sizeof(detail),
	           "more than %ld forged Authentication-Results fields",
	           c->authres_delete_limit);
	pcl_check_configured(x, PCL_SCOPE_LIMIT, "authres_limit",
	                     PCL_STAGE_DATA, &c->authres_limit, detail, NULL);
}

/* header - count Authentication-Results fields, note the forged */
static void
header(struct pcl_check_ctx *x, const char *name, const char *value)
{
	const struct pcl_conf *c = x->facts->conf;
	struct authres *st = x->state;
	int *grown;

	if (strcasecmp(name, "Authentication-Results") != 0)
		return;
	st->seen++;
	if (st->over || !pcl_authres_is_ours(value, c->authserv_id))
		return;
	if (st->nforged >= (size_t)c->authres_delete_limit) {
		too_many(x);
		return;
	}
	grown = realloc(st->forged, (st->nforged + 1) * sizeof(int));
	if (grown == NULL) {
		pcl_check_oom(x); /* cannot keep it: cannot delete it */
		return;
	}
	st->forged = grown;
	st->forged[st->nforged++] = st->seen;
}

/* delete_forged - ask for the deletions, highest occurrence first, so
 * that one never shifts another still to come */
static void
delete_forged(struct pcl_check_ctx *x)
{
	struct authres *st = x->state;

	if (st->over) {
		pcl_check_trace(x, PCL_STAGE_DATA, "authres", "kept",
		                "more than %ld forged: none deleted",
		                x->facts->conf->authres_delete_limit);
		return;
	}
	for (size_t i = st->nforged; i > 0; i--) {
		pcl_check_delete(x, "Authentication-Results",
		                 st->forged[i - 1]);
		pcl_check_trace(x, PCL_STAGE_DATA, "authres", "delete",
		                "Authentication-Results #%d claims %s",
		                st->forged[i - 1], x->facts->conf->authserv_id);
	}
}

/* add_ours - our header, from the published results; none when no
 * check had anything to say */
static void
add_ours(struct pcl_check_ctx *x)
{
	struct pcl_authres ar;

	if (x->facts->conf->auth_results && pcl_authres_ours(x->facts, &ar) > 0)
		pcl_check_header(x, PCL_SCOPE_MSG, "Authentication-Results",
		                 pcl_authres_value(&ar));
}

/* start - at the end of the message */
static void
start(struct pcl_check_ctx *x, enum pcl_event ev)
{
	(void)ev;
	delete_forged(x);
	if (!x->facts->trusted)
		add_ours(x);
}

/* reset - a transaction ends */
static void
reset(struct pcl_check_ctx *x, enum pcl_scope scope)
{
	struct authres *st = x->state;

	if (scope != PCL_SCOPE_TXN)
		return;
	free(st->forged);
	st->forged = NULL;
	st->nforged = 0;
	st->seen = 0;
	st->over = false;
}

/* release - the list of forgeries */
static void
release(struct pcl_check_ctx *x)
{
	reset(x, PCL_SCOPE_TXN);
}

const struct pcl_check pcl_check_authres = {
    .name = "authres",
    .kind = PCL_CHECK_ALL,
    .events = PCL_EV(PCL_EV_EOM),
    .state_size = sizeof(struct authres),
    .start = start,
    .header = header,
    .reset = reset,
    .free = release,
};
