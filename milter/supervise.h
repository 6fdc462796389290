/*
 * supervise - the daemon: a supervisor process and a milter worker
 *
 * libmilter's smfi_main() starts a thread that sigwait()s SIGHUP,
 * SIGTERM and SIGINT and stops the milter on any of them, so SIGHUP
 * cannot mean "reload" inside the milter process. The process the
 * admin starts (pid file, systemd's MainPID) therefore only
 * supervises: it forwards SIGHUP to the worker as SIGUSR1, stops it on
 * SIGTERM/SIGINT, and exits 1 when it dies (systemd restarts both).
 */
#ifndef PCL_SUPERVISE_H
#define PCL_SUPERVISE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* What the daemon needs besides the loaded configuration: how to load
 * it again on reload. */
struct pcl_daemon_args {
	const char *conf_path;        /* absolute; NULL: built-in */
	const char *const *overrides; /* as given to pcl_conf_load */
	size_t noverrides;
	bool foreground; /* -f: no fork, log to stderr too */
	int facility;    /* syslog facility of conf */
};

/*
 * pcl_supervise_run - run the daemon on conf (ownership passes) until
 * it is stopped. Returns the exit status for main(), in every process
 * that returns from here: the launching parent (after the daemon
 * reported ready or failed), the supervisor, and the worker.
 */
int pcl_supervise_run(struct pcl_conf *conf, const struct pcl_daemon_args *a);

/* pcl_supervise_log_lines - log each line of text (e.g. the errors of
 * pcl_conf_load) at priority */
void pcl_supervise_log_lines(int priority, const char *text);

#endif
