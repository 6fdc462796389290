/*
 * restart - when may a dead worker be started again, and after how long
 *
 * The supervisor's memory of recent restarts, kept apart from fork()
 * and signals so that it can be tested with a pinned clock. Like
 * OpenDKIM's AutoRestartRate "n/t": at most limit restarts within any
 * window; one more is refused, and the daemon should give up. Between
 * restarts it backs off: the first restart in the window is immediate,
 * the next ones wait 1 s, 2 s, 4 s ..., capped at max_delay. A worker
 * that died once an hour ago has no effect on today's restart, since
 * both the count and the back-off look only at the window.
 *
 * Call order: pcl_restart_new once; pcl_restart_next at each death of
 * a worker; pcl_restart_free. Times are milliseconds of a monotonic
 * clock; the caller supplies them.
 */
#ifndef PCL_RESTART_H
#define PCL_RESTART_H

#include <stdbool.h>
#include <stddef.h>

/* The first back-off step after an immediate restart, in ms. */
#define PCL_RESTART_FIRST_DELAY 1000

struct pcl_restart;

/* pcl_restart_new - a history allowing limit (>= 1) restarts within
 * window_ms (>= 1), backing off up to max_delay_ms (>= 0); NULL on
 * bad arguments or out of memory */
struct pcl_restart *pcl_restart_new(long limit, long window_ms,
                                    long max_delay_ms);

/* pcl_restart_free - release r; NULL is safe */
void pcl_restart_free(struct pcl_restart *r);

/* pcl_restart_recent - how many restarts r recorded within the window
 * ending at now_ms */
size_t pcl_restart_recent(const struct pcl_restart *r, long long now_ms);

/* pcl_restart_next - a worker died at now_ms: true when another may
 * start, after *delay_ms (the restart is recorded); false when limit
 * restarts already happened within the window (nothing recorded) */
bool pcl_restart_next(struct pcl_restart *r, long long now_ms, long *delay_ms);

#endif
