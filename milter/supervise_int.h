/*
 * supervise_int - what supervise.c and supervise_worker.c share; no
 * other file includes this
 *
 * supervise.c         the launcher and the supervisor: pid file, the
 *                     signal loop, stopping and replacing the worker
 * supervise_worker.c  the worker: its reload thread, the milter socket,
 *                     smfi_main()
 *
 * The supervisor owns the struct reloader: it fills it after dropping
 * privileges, before the first fork, and frees it at the end; each
 * worker runs on the copy fork() gave it.
 */
#ifndef PCL_SUPERVISE_INT_H
#define PCL_SUPERVISE_INT_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conf.h"
#include "supervise.h"

/* The worker's reload thread. Settings that only take effect at a
 * restart are kept to warn when a reload changes them. */
struct reloader {
	const struct pcl_daemon_args *args;
	int facility; /* in use */
	char *socket; /* in use */
	char *user;
	char *pid_file;
	long timeout;
	struct pcl_conf_rate rate; /* the worker_restart keys */
	bool restart;
	long max_delay;
	char *rate_text;
	atomic_bool stop;
};

/* supervise_reloader_init - remember the settings in force at start;
 * 0, or -1 out of memory (call supervise_reloader_free either way) */
int supervise_reloader_init(struct reloader *rl,
                            const struct pcl_daemon_args *a,
                            const struct pcl_conf *conf);

/* supervise_reloader_free - release supervise_reloader_init's copies */
void supervise_reloader_free(struct reloader *rl);

/* supervise_worker_run - the milter process on conf (ownership
 * passes), or for a new worker (conf NULL) on the configuration file as
 * it is now; ready_fd (or -1) is the launcher's pipe, orig the signal
 * mask before the supervisor blocked its signals; returns its exit
 * status */
int supervise_worker_run(struct pcl_conf *conf, struct reloader *rl,
                         int ready_fd, const sigset_t *orig, pid_t supervisor);

/* supervise_socket_remove_stale - when no worker runs any more, unlink
 * the unix socket of spec if no process accepts on it */
void supervise_socket_remove_stale(const char *spec);

#endif
