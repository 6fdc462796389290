/*
 * supervise - the daemon: a supervisor process and a milter worker
 *
 *   launcher    (without -f) forks, waits for the daemon to report
 *               ready over a pipe, exits 0 or 1 accordingly
 *   supervisor  setsid, chdir /, stdio to /dev/null (without -f);
 *               raises its soft limit of open files to the hard one;
 *               pid file; drops privileges; forks the worker; then
 *               sigwait()s:
 *                 SIGHUP, SIGUSR1  -> SIGUSR1 to the worker
 *                 SIGTERM, SIGINT  -> SIGTERM to the worker, wait,
 *                                     exit 0 if it exited 0
 *                 SIGUSR2          -> from the worker: it listens
 *                 SIGCHLD          -> the worker died: see below
 *   worker      a reload thread that sigwait()s SIGUSR1, then
 *               libmilter: socket, SIGUSR2 to the supervisor,
 *               smfi_main(); at the end removes its unix socket and
 *               drops the configuration (supervise_worker.c)
 *
 * This file is the launcher and the supervisor. Call order:
 * pcl_supervise_run -> daemonize, block the signals, nofile_raise,
 * pidfile_write, pcl_privs_drop, supervise_reloader_init,
 * pcl_restart_new; then per worker fork(): the child returns from
 * supervise_worker_run to main(), the parent runs supervise_loop
 * (worker_stop on SIGTERM, ready_pending and worker_ended on SIGCHLD);
 * at the end supervise_socket_remove_stale. Ownership: conf passes to
 * the first worker and the supervisor frees its copy after the fork;
 * the supervisor owns the pid file, the struct reloader (on its stack,
 * the worker runs on its copy) and the restart history, which no
 * worker keeps.
 *
 * A dead worker is replaced (worker_restart, like OpenDKIM's
 * AutoRestart) at most worker_restart_rate.count times within its
 * window, the first time at once and then after a back-off that
 * doubles up to worker_restart_max_delay (restart.h); past the rate
 * the supervisor exits 1, so that systemd still sees a failure. Not
 * replaced, and the supervisor exits: a worker that exited 0 (it was
 * told to stop), and the first worker when it never listened (a
 * failed start is reported at once, not retried). SIGTERM during a
 * back-off stops at once with status 0. A new worker loads the
 * configuration file, as a reload does (as the service user); the
 * settings that take effect only at a restart of the daemon stay as
 * they were at its start, the socket among them: the dead worker's
 * unix socket no longer accepts, so socket_in_use() lets
 * smfi_opensocket(true) replace it.
 *
 * Rejected: catching SIGHUP in the milter process. smfi_main() blocks
 * HUP/TERM/INT and sigwait()s them in its own thread, which treats HUP
 * as "stop"; no handler or second sigwait() can win that race.
 * Rejected: keeping the start's configuration in the supervisor for
 * the next worker. It would hold the private keys in a process that
 * needs none, and be stale after the first reload.
 *
 * Privileges are dropped in the supervisor, before the worker exists,
 * so the socket belongs to the service user (it can remove it at exit)
 * and the supervisor has no root to lose. The pid file is written
 * while still root; removing it later may fail, which is harmless.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "privs.h"
#include "restart.h"
#include "supervise.h"
#include "supervise_int.h"
#include "util.h"

/* Seconds the worker gets to stop after SIGTERM before SIGKILL. */
#define STOP_TIMEOUT 30

/* The supervisor's state across the workers it starts. */
struct supervisor {
	struct reloader *rl;          /* settings of the start */
	const sigset_t *set;          /* the signals it sigwait()s */
	struct pcl_restart *restarts; /* NULL: worker_restart = no */
	pid_t worker;                 /* 0 while none runs */
	bool ever_ready;              /* some worker has listened */
	size_t nstarted;              /* workers started */
};

/* pcl_supervise_log_lines - log each line of text at priority */
void
pcl_supervise_log_lines(int priority, const char *text)
{
	const char *p = text, *nl;

	while (p != NULL && *p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			pcl_log(priority, "%s", p);
			break;
		}
		if (nl > p)
			pcl_log(priority, "%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
}

/* status_text - how a child ended, for a log line */
static void
status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		pcl_format(buf, len, "exited with status %d",
		           WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		pcl_format(buf, len, "was killed by signal %d (%s)%s",
		           WTERMSIG(status), strsignal(WTERMSIG(status)),
		           WCOREDUMP(status) ? ", core dumped" : "");
	else
		pcl_format(buf, len, "ended with wait status 0x%x", status);
}

/* worker_stop - SIGTERM the worker and wait; its exit status, or
 * SIGKILL after STOP_TIMEOUT seconds */
static int
worker_stop(pid_t worker)
{
	struct timespec now, end, wait;
	char how[96];
	sigset_t chld;
	int status = 0;
	pid_t r;

	if (kill(worker, SIGTERM) != 0 && errno != ESRCH)
		pcl_log(LOG_WARNING, "cannot signal worker %ld: %s",
		        (long)worker, strerror(errno));
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += STOP_TIMEOUT;
	while ((r = waitpid(worker, &status, WNOHANG)) == 0 ||
	       (r < 0 && errno == EINTR)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec >= end.tv_sec) {
			pcl_log(LOG_ERR,
			        "worker did not stop in %d s: killing it",
			        STOP_TIMEOUT);
			kill(worker, SIGKILL);
			while (waitpid(worker, &status, 0) < 0 &&
			       errno == EINTR)
				;
			return PCL_EXIT_CONFIG;
		}
		wait.tv_sec = end.tv_sec - now.tv_sec;
		wait.tv_nsec = 0;
		(void)sigtimedwait(&chld, NULL, &wait);
	}
	if (r < 0) {
		pcl_log(LOG_ERR, "waiting for worker: %s", strerror(errno));
		return PCL_EXIT_CONFIG;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return PCL_EXIT_OK;
	status_text(status, how, sizeof(how));
	pcl_log(LOG_ERR, "worker %s while stopping", how);
	return PCL_EXIT_CONFIG;
}

/* now_ms - the monotonic clock in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ready_pending - take a SIGUSR2 of the worker still pending: a worker
 * that listened and died at once may be reaped before it is seen */
static void
ready_pending(struct supervisor *sv)
{
	const struct timespec zero = {0, 0};
	siginfo_t info;
	sigset_t usr2;

	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	while (sigtimedwait(&usr2, &info, &zero) == SIGUSR2)
		if (info.si_pid == sv->worker)
			sv->ever_ready = true;
}

/* worker_ended - the worker ended with status: true to start another
 * after *delay_ms, false to exit with *rc; one log line either way */
static bool
worker_ended(struct supervisor *sv, int status, long *delay_ms, int *rc)
{
	const struct reloader *rl = sv->rl;
	const char *window = strchr(rl->rate_text, '/');
	long pid = (long)sv->worker;
	char how[96], when[32];

	window = window != NULL ? window + 1 : rl->rate_text;
	sv->worker = 0;
	*rc = PCL_EXIT_CONFIG;
	status_text(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* told to stop by someone else: stop, as it did */
		pcl_log(LOG_NOTICE, "worker %ld %s: stopping", pid, how);
		*rc = PCL_EXIT_OK;
		return false;
	}
	if (!sv->ever_ready) {
		pcl_log(LOG_ERR, "worker %ld %s before it listened: exiting",
		        pid, how);
		return false;
	}
	if (sv->restarts == NULL) {
		pcl_log(LOG_ERR, "worker %ld %s: exiting (worker_restart = no)",
		        pid, how);
		return false;
	}
	if (!pcl_restart_next(sv->restarts, now_ms(), delay_ms)) {
		pcl_log(LOG_ERR,
		        "worker %ld %s: restarted %ld times within %s already "
		        "(worker_restart_rate = %s): giving up, exiting",
		        pid, how, rl->rate.count, window, rl->rate_text);
		return false;
	}
	if (*delay_ms == 0)
		(void)pcl_format(when, sizeof(when), "now");
	else
		(void)pcl_format(when, sizeof(when), "in %ld s",
		                 *delay_ms / 1000);
	pcl_log(LOG_ERR,
	        "worker %ld %s: starting a new one %s (restart %zu of %ld "
	        "within %s)",
	        pid, how, when, pcl_restart_recent(sv->restarts, now_ms()),
	        rl->rate.count, window);
	return true;
}

/* supervise_loop - forward signals to the worker until it ends, and
 * wait out the back-off after that; true when a new worker should
 * start, false with *rc to exit with */
static bool
supervise_loop(struct supervisor *sv, int *rc)
{
	long long deadline = 0, left;
	struct timespec wait;
	siginfo_t info;
	long delay;
	int sig, status;

	for (;;) {
		if (sv->worker != 0) {
			sig = sigwaitinfo(sv->set, &info);
		} else {
			/* a back-off: no worker runs */
			left = deadline - now_ms();
			if (left <= 0)
				return true;
			wait.tv_sec = (time_t)(left / 1000);
			wait.tv_nsec = (long)(left % 1000) * 1000000;
			sig = sigtimedwait(sv->set, &info, &wait);
		}
		if (sig < 0)
			continue; /* EINTR, or the back-off is over */
		switch (sig) {
		case SIGHUP:
		case SIGUSR1:
			if (sv->worker == 0) {
				pcl_log(LOG_INFO, "reload requested: the next "
				                  "worker loads the "
				                  "configuration");
				break;
			}
			pcl_log(LOG_INFO, "reload requested");
			if (kill(sv->worker, SIGUSR1) != 0)
				pcl_log(LOG_WARNING, "cannot signal worker: %s",
				        strerror(errno));
			break;
		case SIGTERM:
		case SIGINT:
			if (sv->worker == 0) {
				pcl_log(LOG_INFO,
				        "stopping (%s) while waiting to start "
				        "a worker",
				        sig == SIGTERM ? "SIGTERM" : "SIGINT");
				*rc = PCL_EXIT_OK;
				return false;
			}
			pcl_log(LOG_INFO, "stopping (%s)",
			        sig == SIGTERM ? "SIGTERM" : "SIGINT");
			*rc = worker_stop(sv->worker);
			sv->worker = 0;
			return false;
		case SIGUSR2:
			if (sv->worker != 0 && info.si_pid == sv->worker)
				sv->ever_ready = true;
			break;
		case SIGCHLD:
			if (sv->worker == 0 ||
			    waitpid(sv->worker, &status, WNOHANG) != sv->worker)
				break;
			ready_pending(sv);
			if (!worker_ended(sv, status, &delay, rc))
				return false;
			if (delay == 0)
				return true;
			deadline = now_ms() + delay;
			break;
		default:
			break;
		}
	}
}

/* nofile_raise - raise the soft limit of open files to the hard one,
 * since each session may hold several DNS sockets; log the limit */
static void
nofile_raise(void)
{
	/* Linux refuses RLIM_INFINITY here; its default fs.nr_open */
	const rlim_t unlimited = 1048576;
	struct rlimit lim;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
		pcl_log(LOG_WARNING, "getrlimit(RLIMIT_NOFILE): %s",
		        strerror(errno));
		return;
	}
	was = lim.rlim_cur;
	if (lim.rlim_cur < lim.rlim_max &&
	    (lim.rlim_max != RLIM_INFINITY || lim.rlim_cur < unlimited)) {
		lim.rlim_cur =
		    lim.rlim_max == RLIM_INFINITY ? unlimited : lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim) != 0) {
			pcl_log(LOG_WARNING,
			        "open files: cannot raise the limit from %llu "
			        "to %llu: %s",
			        (unsigned long long)was,
			        (unsigned long long)lim.rlim_cur,
			        strerror(errno));
			return;
		}
		pcl_log(LOG_INFO, "open files: limit %llu (raised from %llu)",
		        (unsigned long long)lim.rlim_cur,
		        (unsigned long long)was);
		return;
	}
	if (was == RLIM_INFINITY)
		pcl_log(LOG_INFO, "open files: no limit");
	else
		pcl_log(LOG_INFO, "open files: limit %llu",
		        (unsigned long long)was);
}

/* pidfile_write - our pid into path; 0 or -1 (logged) */
static int
pidfile_write(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (!pcl_format(buf, sizeof(buf), "%ld\n", (long)getpid()))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	          0644);
	if (fd < 0) {
		pcl_log(LOG_ERR, "cannot create pid file %s: %s", path,
		        strerror(errno));
		return -1;
	}
	n = write(fd, buf, strlen(buf));
	if (n != (ssize_t)strlen(buf) || close(fd) != 0) {
		pcl_log(LOG_ERR, "cannot write pid file %s: %s", path,
		        n < 0 ? strerror(errno) : "short write");
		if (n != (ssize_t)strlen(buf))
			close(fd);
		unlink(path);
		return -1;
	}
	return 0;
}

/* daemonize - detach; -1 on error (logged), 1 in the launcher with
 * *status set when the daemon reported, 0 in the daemon with
 * *ready_fd to report on */
static int
daemonize(int *ready_fd, int *status)
{
	int p[2], fd;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) != 0) {
		pcl_log(LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pcl_log(LOG_ERR, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
			;
		close(p[0]);
		*status = n == 1 ? PCL_EXIT_OK : PCL_EXIT_CONFIG;
		if (n != 1)
			fprintf(stderr,
			        "%s: startup failed: see the mail log\n",
			        PCL_IDENT);
		return 1;
	}
	close(p[0]);
	*ready_fd = p[1];
	if (setsid() < 0 || chdir("/") != 0) {
		pcl_log(LOG_ERR, "cannot detach: %s", strerror(errno));
		return -1;
	}
	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		pcl_log(LOG_ERR, "cannot redirect to /dev/null: %s",
		        strerror(errno));
		return -1;
	}
	if (fd > 2)
		close(fd);
	return 0;
}

/* pcl_supervise_run - run the daemon on conf until it is stopped */
int
pcl_supervise_run(struct pcl_conf *conf, const struct pcl_daemon_args *a)
{
	struct supervisor sv;
	struct reloader rl;
	char err[PCL_ERR_MAX];
	char *pid_file = NULL;
	bool rl_init = false;
	int ready_fd = -1, rc = PCL_EXIT_CONFIG;
	sigset_t orig, set;
	pid_t worker, self;

	memset(&sv, 0, sizeof(sv));
	if (!a->foreground) {
		switch (daemonize(&ready_fd, &rc)) {
		case -1:
			rc = PCL_EXIT_CONFIG;
			goto out;
		case 1:
			goto out; /* the launcher, with the daemon's word */
		default:
			rc = PCL_EXIT_CONFIG;
			break;
		}
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, &orig) != 0) {
		pcl_log(LOG_ERR, "sigprocmask: %s", strerror(errno));
		goto out;
	}
	nofile_raise();
	if (conf->pid_file[0] != '\0') {
		if ((pid_file = strdup(conf->pid_file)) == NULL) {
			pcl_log(LOG_ERR, "out of memory");
			goto out;
		}
		if (pidfile_write(pid_file) != 0) {
			free(pid_file);
			pid_file = NULL;
			goto out;
		}
	}
	if (pcl_privs_drop(conf->user, err, sizeof(err)) != 0) {
		pcl_log(LOG_ERR, "%s", err);
		goto out;
	}
	rl_init = true;
	if (supervise_reloader_init(&rl, a, conf) != 0) {
		pcl_log(LOG_ERR, "out of memory");
		goto out;
	}
	sv.rl = &rl;
	sv.set = &set;
	if (conf->worker_restart &&
	    (sv.restarts = pcl_restart_new(
	         conf->worker_restart_rate.count,
	         conf->worker_restart_rate.seconds * 1000,
	         conf->worker_restart_max_delay * 1000)) == NULL) {
		pcl_log(LOG_ERR, "out of memory");
		goto out;
	}

	self = getpid();
	for (;;) {
		fflush(NULL);
		worker = fork();
		if (worker < 0) {
			pcl_log(LOG_ERR, "cannot start a worker: fork: %s",
			        strerror(errno));
			goto out;
		}
		if (worker == 0) {
			/* The worker returns to main() from here; the pid
			 * file is the supervisor's. */
			free(pid_file);
			pid_file = NULL;
			pcl_restart_free(sv.restarts);
			sv.restarts = NULL;
			rc = supervise_worker_run(conf, &rl, ready_fd, &orig,
			                          self);
			conf = NULL;
			ready_fd = -1;
			goto out;
		}
		/* Only the first worker reports ready, so the launcher
		 * sees EOF if it dies before that. Later workers load the
		 * configuration file themselves. */
		if (ready_fd >= 0) {
			close(ready_fd);
			ready_fd = -1;
		}
		pcl_conf_free(conf);
		conf = NULL;
		sv.worker = worker;
		if (sv.nstarted++ == 0)
			pcl_log(LOG_INFO, "supervisor %ld: worker %ld started",
			        (long)self, (long)worker);
		else
			pcl_log(LOG_INFO,
			        "supervisor %ld: worker %ld started (restart)",
			        (long)self, (long)worker);
		if (!supervise_loop(&sv, &rc))
			break;
	}
	supervise_socket_remove_stale(rl.socket);
out:
	if (ready_fd >= 0)
		close(ready_fd);
	if (pid_file != NULL) {
		if (unlink(pid_file) != 0 && errno != ENOENT)
			pcl_log(LOG_DEBUG, "cannot remove pid file %s: %s",
			        pid_file, strerror(errno));
		free(pid_file);
	}
	if (rl_init)
		supervise_reloader_free(&rl);
	pcl_restart_free(sv.restarts);
	pcl_conf_free(conf);
	return rc;
}
