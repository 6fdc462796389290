/*
 * supervise_worker - the milter worker process that the supervisor
 * (supervise.c) forks, and the settings it carries
 *
 * Call order, in the worker: supervise_worker_run keeps USR1 (for the
 * reload thread) and HUP/TERM/INT (for smfi_main()) blocked, asks to
 * die with the supervisor, loads the configuration file when it is a
 * new worker (conf_load_current, as a reload does), installs the
 * snapshot, starts the reload thread (reloader_main: one reload per
 * SIGUSR1), opens the socket (milter_open), reports ready (over the
 * launcher's pipe, first worker only, and SIGUSR2 to the supervisor),
 * runs smfi_main(); then removes its unix socket, stops the reload
 * thread and drops the configuration, and returns its exit status.
 *
 * Ownership: the supervisor fills the struct reloader before the first
 * fork (supervise_reloader_init) and frees it (supervise_reloader_free);
 * a worker uses its own copy of it. A reload or a new worker warns
 * about each setting that takes effect only at a restart of the daemon
 * (the socket, user, pid_file, milter_timeout, the worker_restart keys)
 * and keeps the value in force at the start.
 *
 * The socket: a dead worker's unix socket no longer accepts, so
 * socket_in_use() lets smfi_opensocket(true) replace it; one that a live
 * process accepts on is refused. The supervisor calls
 * supervise_socket_remove_stale when no worker runs any more.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "callbacks.h"
#include "dkim.h"
#include "log.h"
#include "options.h"
#include "snapshot.h"
#include "supervise.h"
#include "supervise_int.h"
#include "util.h"

/* listen(2) backlog of the milter socket: one SMTP burst of Postfix's
 * default 100 smtpd processes, with room. */
#define MILTER_BACKLOG 256

/* socket_path - the file of a unix socket spec ("unix:/p", "local:/p",
 * or a bare path, as libmilter reads it), else NULL */
static const char *
socket_path(const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t n;

	if (colon == NULL)
		return spec;
	n = (size_t)(colon - spec);
	if (n == 0 || (n == 4 && strncasecmp(spec, "unix", 4) == 0) ||
	    (n == 5 && strncasecmp(spec, "local", 5) == 0))
		return colon + 1;
	return NULL;
}

/* socket_in_use - does a live process accept on the unix socket path?
 * smfi_opensocket(true) would unlink it from under that process. */
static bool
socket_in_use(const char *path)
{
	struct sockaddr_un sun;
	bool live;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (!pcl_copy(sun.sun_path, sizeof(sun.sun_path), path))
		return false; /* libmilter will refuse it by name */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return live;
}

/* socket_remove - unlink our unix socket, unless it is gone or is no
 * longer the one we created (a newer instance's) */
static void
socket_remove(const char *path, const struct stat *ours)
{
	struct stat st;

	if (path == NULL || lstat(path, &st) != 0)
		return;
	if (st.st_dev != ours->st_dev || st.st_ino != ours->st_ino)
		return;
	if (unlink(path) != 0 && errno != ENOENT)
		pcl_log(LOG_WARNING, "cannot remove socket %s: %s", path,
		        strerror(errno));
}

/* supervise_socket_remove_stale - when no worker runs any more,
 * unlink a unix socket that no process accepts on (left by a killed
 * worker), so that Postfix finds none, as after a clean stop */
void
supervise_socket_remove_stale(const char *spec)
{
	const char *path = spec != NULL ? socket_path(spec) : NULL;
	struct stat st;

	if (path == NULL || lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) ||
	    socket_in_use(path))
		return;
	if (unlink(path) != 0 && errno != ENOENT)
		pcl_log(LOG_WARNING, "cannot remove socket %s: %s", path,
		        strerror(errno));
}

/* reloader_changed - warn about a setting a reload cannot apply */
static void
reloader_changed(const char *key, const char *running, const char *loaded)
{
	if (strcmp(running, loaded) != 0)
		pcl_log(LOG_WARNING,
		        "%s changed to \"%s\": takes effect at restart "
		        "(running with \"%s\")",
		        key, loaded, running);
}

/* restart_changed - warn about a worker_restart key a reload or a new
 * worker cannot apply: the supervisor read them at start */
static void
restart_changed(const struct reloader *rl, const struct pcl_conf *conf)
{
	char was[48], now[48];

	reloader_changed("worker_restart", rl->restart ? "yes" : "no",
	                 conf->worker_restart ? "yes" : "no");
	(void)pcl_format(was, sizeof(was), "%ld/%lds", rl->rate.count,
	                 rl->rate.seconds);
	(void)pcl_format(now, sizeof(now), "%ld/%lds",
	                 conf->worker_restart_rate.count,
	                 conf->worker_restart_rate.seconds);
	reloader_changed("worker_restart_rate", was, now);
	(void)pcl_format(was, sizeof(was), "%lds", rl->max_delay);
	(void)pcl_format(now, sizeof(now), "%lds",
	                 conf->worker_restart_max_delay);
	reloader_changed("worker_restart_max_delay", was, now);
}

/* conf_load_current - load the configuration file again (as a reload
 * does, and a new worker at its start): the loaded one, with the log
 * facility applied and a warning for each setting that waits for a
 * restart; NULL with the errors logged */
static struct pcl_conf *
conf_load_current(struct reloader *rl)
{
	const struct pcl_daemon_args *a = rl->args;
	struct pcl_conf *conf;
	char *errors = NULL;
	char buf[32], was[32];
	int facility = -1;

	conf =
	    pcl_conf_load(a->conf_path, a->overrides, a->noverrides, &errors);
	if (conf != NULL &&
	    (facility = pcl_log_facility_parse(conf->syslog_facility)) < 0) {
		pcl_log(LOG_ERR, "syslog_facility: unknown facility \"%s\"",
		        conf->syslog_facility);
		pcl_conf_free(conf);
		conf = NULL;
	}
	if (conf == NULL) {
		if (errors != NULL)
			pcl_supervise_log_lines(LOG_ERR, errors);
		free(errors);
		return NULL;
	}
	free(errors);
	reloader_changed("milter_socket", rl->socket, conf->milter_socket);
	reloader_changed("user", rl->user, conf->user);
	reloader_changed("pid_file", rl->pid_file, conf->pid_file);
	(void)pcl_format(buf, sizeof(buf), "%ld", conf->milter_timeout);
	(void)pcl_format(was, sizeof(was), "%ld", rl->timeout);
	reloader_changed("milter_timeout", was, buf);
	restart_changed(rl, conf);
	if (facility != rl->facility) {
		pcl_log_open(PCL_IDENT, facility, a->foreground, true);
		rl->facility = facility;
	}
	return conf;
}

/* reload - load the configuration again and install it, or keep the
 * one in force */
static void
reload(struct reloader *rl)
{
	const struct pcl_daemon_args *a = rl->args;
	struct pcl_conf *conf;

	pcl_log(LOG_INFO, "reloading %s",
	        a->conf_path != NULL ? a->conf_path : "built-in defaults");
	conf = conf_load_current(rl);
	if (conf == NULL) {
		pcl_log(LOG_ERR,
		        "reload failed: keeping the previous configuration");
		return;
	}
	pcl_snapshot_install(conf);
	pcl_log(LOG_NOTICE, "reload ok");
}

/* reloader_main - the worker's reload thread: one reload per SIGUSR1
 * until told to stop */
static void *
reloader_main(void *arg)
{
	struct reloader *rl = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (atomic_load(&rl->stop))
			break;
		reload(rl);
	}
	return NULL;
}

/* supervise_reloader_init - remember the settings in force at start */
int
supervise_reloader_init(struct reloader *rl, const struct pcl_daemon_args *a,
                        const struct pcl_conf *conf)
{
	memset(rl, 0, sizeof(*rl));
	rl->args = a;
	rl->facility = a->facility;
	rl->timeout = conf->milter_timeout;
	atomic_init(&rl->stop, false);
	rl->socket = strdup(conf->milter_socket);
	rl->user = strdup(conf->user);
	rl->pid_file = strdup(conf->pid_file);
	rl->restart = conf->worker_restart;
	rl->rate = conf->worker_restart_rate;
	rl->max_delay = conf->worker_restart_max_delay;
	rl->rate_text =
	    strdup(conf->text[pcl_conf_key_find("worker_restart_rate") -
	                      pcl_conf_keys]);
	return rl->socket && rl->user && rl->pid_file && rl->rate_text ? 0 : -1;
}

/* supervise_reloader_free - release supervise_reloader_init's copies */
void
supervise_reloader_free(struct reloader *rl)
{
	free(rl->socket);
	free(rl->user);
	free(rl->pid_file);
	free(rl->rate_text);
}

/* socket_dir_usable - can we create the unix socket path? libmilter
 * logs its own reason only to syslog, so say it here; 0 or -1 */
static int
socket_dir_usable(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	if (!pcl_copy(dir, sizeof(dir), path)) {
		pcl_log(LOG_ERR,
		        "milter socket path %s: too long (at most %zu "
		        "characters)",
		        path, sizeof(dir) - 1);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		pcl_copy(dir, sizeof(dir), ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (access(dir, W_OK | X_OK) != 0) {
		pcl_log(LOG_ERR, "milter socket %s: cannot create it in %s: %s",
		        path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* milter_open - set libmilter up and open the socket; 0 or -1 (logged) */
static int
milter_open(const struct reloader *rl, struct stat *sockstat)
{
	const char *path = socket_path(rl->socket);
	long timeout = rl->timeout;

	if (smfi_setconn(rl->socket) != MI_SUCCESS) {
		pcl_log(LOG_ERR, "milter_socket %s: not usable", rl->socket);
		return -1;
	}
	if (timeout > INT_MAX)
		timeout = INT_MAX;
	(void)smfi_settimeout((int)timeout);
	(void)smfi_setbacklog(MILTER_BACKLOG);
	if (smfi_register(*pcl_callbacks_desc()) != MI_SUCCESS) {
		pcl_log(LOG_ERR, "smfi_register failed");
		return -1;
	}
	if (path != NULL && socket_in_use(path)) {
		pcl_log(LOG_ERR,
		        "milter socket %s is in use: is another portcullis "
		        "running?",
		        path);
		return -1;
	}
	if (path != NULL && socket_dir_usable(path) != 0)
		return -1;
	/* Group access for Postfix through the socket directory's group;
	 * nothing for others. */
	umask(0007);
	if (smfi_opensocket(true) != MI_SUCCESS) {
		pcl_log(LOG_ERR,
		        "cannot open milter socket %s (libmilter logs the "
		        "reason to syslog)%s",
		        rl->socket,
		        path != NULL ? ""
		                     : ": is the address local and the port "
		                       "free? (unix:/path, inet:port@host, "
		                       "inet6:port@host)");
		return -1;
	}
	/* libmilter sends each reply of end-of-message (a header to add,
	 * then the verdict) in a write of its own; with Nagle's algorithm
	 * the second waits for the MTA's delayed ACK (about 40 ms on
	 * Linux), once per message. The connections libmilter accepts
	 * inherit TCP_NODELAY from its listening socket. */
	if (path == NULL && pcl_tcp_nodelay_listeners() < 1)
		pcl_log(LOG_WARNING,
		        "milter socket %s: cannot set TCP_NODELAY "
		        "(replies may wait for delayed ACKs)",
		        rl->socket);
	if (path != NULL && lstat(path, sockstat) != 0)
		memset(sockstat, 0, sizeof(*sockstat));
	return 0;
}

/* supervise_worker_run - the milter process on conf (ownership
 * passes), or for a new worker (conf NULL) on the configuration file
 * as it is now; returns its exit status */
int
supervise_worker_run(struct pcl_conf *conf, struct reloader *rl, int ready_fd,
                     const sigset_t *orig, pid_t supervisor)
{
	const struct pcl_daemon_args *a = rl->args;
	struct stat sockstat;
	pthread_t thread;
	bool thread_started = false;
	sigset_t mask;
	int rc = PCL_EXIT_CONFIG;

	memset(&sockstat, 0, sizeof(sockstat));
	/*
	 * USR1 stays blocked in every thread for the reload thread's
	 * sigwait(). HUP/TERM/INT stay blocked too: smfi_main() blocks
	 * and sigwait()s them anyway, and one that arrives during start
	 * stays pending for it instead of killing us without cleanup.
	 */
	mask = *orig;
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	/* Die with the supervisor rather than linger unsupervised. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != supervisor)
		goto out;

	if (conf == NULL) {
		pcl_log(LOG_INFO, "new worker: loading %s",
		        a->conf_path != NULL ? a->conf_path
		                             : "built-in defaults");
		conf = conf_load_current(rl);
		if (conf == NULL) {
			pcl_log(LOG_ERR, "new worker: the configuration does "
			                 "not load: exiting");
			goto out;
		}
	}
	/* Keys were read as root; reloads read them as the service user */
	if (pcl_dkim_signing_unreadable(conf->signing) != NULL)
		pcl_log(LOG_WARNING,
		        "key file %s: user %s cannot read it, so every reload "
		        "and every new worker will fail until it can (chown "
		        "it to that user, mode 0600)",
		        pcl_dkim_signing_unreadable(conf->signing),
		        *conf->user ? conf->user : "(this one)");
	pcl_snapshot_install(conf);
	conf = NULL;
	if (pthread_create(&thread, NULL, reloader_main, rl) != 0) {
		pcl_log(LOG_ERR, "cannot start the reload thread");
		goto out;
	}
	thread_started = true;
	if (milter_open(rl, &sockstat) != 0)
		goto out;
	if (ready_fd >= 0) {
		if (write(ready_fd, "1", 1) != 1)
			pcl_log(LOG_WARNING, "cannot report ready: %s",
			        strerror(errno));
		close(ready_fd);
		ready_fd = -1;
	}
	/* A worker that listened is replaced when it dies (see the top). */
	if (kill(supervisor, SIGUSR2) != 0)
		pcl_log(LOG_WARNING,
		        "cannot report ready to the supervisor: %s",
		        strerror(errno));
	pcl_log(LOG_NOTICE, "%s %s started: socket %s", PCL_IDENT,
	        PACKAGE_VERSION, rl->socket);
	rc = smfi_main() == MI_SUCCESS ? PCL_EXIT_OK : PCL_EXIT_CONFIG;
	socket_remove(socket_path(rl->socket), &sockstat);
	pcl_log(LOG_NOTICE, "stopped");
out:
	if (thread_started) {
		atomic_store(&rl->stop, true);
		pthread_kill(thread, SIGUSR1);
		pthread_join(thread, NULL);
	}
	if (ready_fd >= 0)
		close(ready_fd);
	pcl_snapshot_clear();
	pcl_conf_free(conf);
	return rc;
}
