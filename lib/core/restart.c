/*
 * restart - when may a dead worker be started again, and after how long
 *
 * A ring of the times of the last limit restarts: a new one is allowed
 * when the ring is not full or its oldest entry has left the window,
 * and then overwrites that entry. The back-off doubles with each
 * restart still in the window. Rejected: resetting the back-off after
 * a worker that "ran long enough"; that is a second clock and a second
 * setting to explain, and the window already forgets old deaths.
 */
#include "config.h"

#include <stdlib.h>

#include "restart.h"

struct pcl_restart {
	long long *times; /* limit entries, oldest at head */
	size_t limit, count, head;
	long window_ms, max_delay_ms;
};

/* pcl_restart_new - an empty history */
struct pcl_restart *
pcl_restart_new(long limit, long window_ms, long max_delay_ms)
{
	struct pcl_restart *r;

	if (limit < 1 || window_ms < 1 || max_delay_ms < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->times = calloc((size_t)limit, sizeof(*r->times));
	if (r->times == NULL) {
		free(r);
		return NULL;
	}
	r->limit = (size_t)limit;
	r->window_ms = window_ms;
	r->max_delay_ms = max_delay_ms;
	return r;
}

/* pcl_restart_free - release r */
void
pcl_restart_free(struct pcl_restart *r)
{
	if (r == NULL)
		return;
	free(r->times);
	free(r);
}

/* pcl_restart_recent - restarts recorded within the window */
size_t
pcl_restart_recent(const struct pcl_restart *r, long long now_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < r->count; i++)
		if (now_ms - r->times[(r->head + i) % r->limit] < r->window_ms)
			n++;
	return n;
}

/* backoff - the wait before a restart with recent others in the window:
 * 0, then 1 s, 2 s, 4 s ... up to max_delay_ms */
static long
backoff(const struct pcl_restart *r, size_t recent)
{
	long delay = PCL_RESTART_FIRST_DELAY;

	if (recent == 0)
		return 0;
	for (size_t i = 1; i < recent && delay < r->max_delay_ms; i++)
		delay *= 2;
	return delay < r->max_delay_ms ? delay : r->max_delay_ms;
}

/* pcl_restart_next - may a worker that died at now_ms start again? */
bool
pcl_restart_next(struct pcl_restart *r, long long now_ms, long *delay_ms)
{
	size_t recent = pcl_restart_recent(r, now_ms);

	if (recent >= r->limit)
		return false;
	*delay_ms = backoff(r, recent);
	if (r->count < r->limit) {
		r->times[(r->head + r->count) % r->limit] = now_ms;
		r->count++;
	} else {
		/* full, and the oldest has left the window */
		r->times[r->head] = now_ms;
		r->head = (r->head + 1) % r->limit;
	}
	return true;
}
