/*
 * dmarc_report_file - the daily files of DMARC report data, written by
 * every thread of the daemon through one writer per configuration
 *
 * The writer holds the file of the current UTC day, YYYY-MM-DD.log in
 * its directory, opened at the day's first line with O_APPEND (and
 * O_CLOEXEC, O_NOFOLLOW, O_NONBLOCK: a FIFO planted there never blocks
 * a mail thread; read access for the look at its last byte), mode
 * 0640. A line goes in with one write(2) of at
 * most PCL_DMARC_REPORT_LINE_MAX bytes, which Linux appends whole, so
 * the lines of an older configuration's writer and of another worker
 * process never interleave with it. A file that ends without a
 * newline (a crash cut a write short) gets one before the next line,
 * so the torn piece stays a line of its own, which readers refuse.
 * (A file opened while another process's line is being written may
 * look torn for a moment: that costs an empty line, which readers
 * skip.)
 *
 * One lock guards the day, the descriptor and the counters, and is
 * held around write(2) too, so that a descriptor is never closed (at
 * the change of day) while another thread writes to it. It costs no
 * parallelism: the kernel serializes appends to one file on its inode
 * anyway. A thread waits for it at most LOCK_WAIT seconds (a write
 * stuck on a slow disk): past that its line is dropped and counted,
 * and the mail goes on. Syslog is never written with the lock held.
 * The thread that changes the day then removes the files of days more
 * than keep_days before it, without the lock (one readdir of a few dozen
 * names).
 *
 * Failures (no directory, a full disk) never reach the mail: the line
 * is lost, counted, and logged at most once a minute with the count
 * since the last log line; opening is tried again at most once a
 * minute. A directory that others may write to is refused, since
 * anyone could then plant or remove report data: logged once, and
 * nothing is recorded by this writer.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmarc_report.h"
#include "log.h"

#define FILE_MODE 0640
#define RETRY_SECONDS 60 /* between attempts to open, and log lines */
#define LOCK_WAIT 1      /* seconds a line waits for the writer */

struct pcl_dmarc_report_log {
	pthread_mutex_t lock;
	char *dir;
	unsigned keep; /* days; 0: keep all */

	/* guarded by lock */
	bool refused;  /* the directory is writable by others */
	long long day; /* days since the epoch of fd, -1: none */
	int fd;        /* the day's file, or -1 */
	bool newline;  /* the file ends in a torn line: '\n' first */
	time_t retry;  /* no open before this */
	unsigned long failures, unlogged;
	time_t logged; /* when failures were last logged */
	char why[160]; /* the last failure */

	unsigned long stuck; /* lines dropped waiting for the lock
	                        (atomic) */
};

/* world_writable - a directory mode that lets anyone write */
static bool
world_writable(const struct stat *st)
{
	return (st->st_mode & S_IWOTH) != 0;
}

/* refuse - log once that dir is not used */
static void
refuse(const char *dir, const struct stat *st)
{
	pcl_log(LOG_WARNING,
	        "dmarc_report_dir %s is writable by others (mode %04o): "
	        "no DMARC report data is recorded there; \"chmod o-w %s\"",
	        dir, (unsigned)(st->st_mode & 07777), dir);
}

/* pcl_dmarc_report_log_new - a writer into dir */
struct pcl_dmarc_report_log *
pcl_dmarc_report_log_new(const char *dir, unsigned keep_days)
{
	struct pcl_dmarc_report_log *l = calloc(1, sizeof(*l));
	struct stat st;

	if (l == NULL || (l->dir = strdup(dir)) == NULL ||
	    pthread_mutex_init(&l->lock, NULL) != 0) {
		if (l != NULL)
			free(l->dir);
		free(l);
		return NULL;
	}
	l->keep = keep_days;
	l->day = -1;
	l->fd = -1;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && world_writable(&st)) {
		refuse(dir, &st);
		l->refused = true;
	}
	return l;
}

/* pcl_dmarc_report_log_free - close the files */
void
pcl_dmarc_report_log_free(struct pcl_dmarc_report_log *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	free(l->dir);
	free(l);
}

/* open_day - the file of day t in the directory (lock held): the
 * descriptor, or -1 with why; *torn when it ends without a newline */
static int
open_day(struct pcl_dmarc_report_log *l, time_t t, bool *torn)
{
	char name[32], c;
	struct stat st;
	int dfd, fd = -1;

	*torn = false;
	pcl_dmarc_report_day_name(t, name, sizeof(name));
	dfd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		pcl_format(l->why, sizeof(l->why), "%s: %s", l->dir,
		           strerror(errno));
		goto out;
	}
	if (world_writable(&st)) {
		refuse(l->dir, &st);
		l->refused = true;
		goto out;
	}
	/* read too: the last byte says whether a crash tore a line */
	fd = openat(dfd, name,
	            O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	                O_NOCTTY | O_NONBLOCK,
	            FILE_MODE);
	if (fd < 0 || fstat(fd, &st) != 0) {
		pcl_format(l->why, sizeof(l->why), "%s/%s: %s", l->dir, name,
		           strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		pcl_format(l->why, sizeof(l->why), "%s/%s: not a regular file",
		           l->dir, name);
		goto fail;
	}
	if (st.st_size > 0 && pread(fd, &c, 1, st.st_size - 1) == 1)
		*torn = c != '\n';
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
out:
	if (dfd >= 0)
		close(dfd);
	return fd;
}

/* expired - name is a day's file ("YYYY-MM-DD.log") of more than keep
 * days before today */
static bool
expired(const char *name, long long today, unsigned keep)
{
	time_t start;

	if (strlen(name) != 14 || strcmp(name + 10, ".log") != 0 ||
	    !pcl_dmarc_report_day_parse(name, 10, &start))
		return false;
	return (long long)start / 86400 + keep < today;
}

/* remove_old - the files of days older than keep days (no lock held) */
static void
remove_old(const char *dir, unsigned keep, long long today)
{
	DIR *d;
	struct dirent *e;
	int dfd;

	if (keep == 0 || (d = opendir(dir)) == NULL)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL)
		if (expired(e->d_name, today, keep) &&
		    unlinkat(dfd, e->d_name, 0) != 0 && errno != ENOENT)
			pcl_log(LOG_WARNING,
			        "dmarc report data: cannot remove %s/%s: %s",
			        dir, e->d_name, strerror(errno));
	closedir(d);
}

/* take - the descriptor for a line of now (lock held), -1 when none;
 * *changed when the day changed. A line of just before midnight that
 * comes after the first of the new day goes into the new day's file:
 * the day never goes back by one (a clock stepped back further does). */
static int
take(struct pcl_dmarc_report_log *l, time_t now, bool *changed)
{
	long long day = (long long)now / 86400;
	bool torn;

	*changed = false;
	if (l->refused)
		return -1;
	if (day > l->day || day < l->day - 1) {
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
		l->day = day;
		l->retry = 0;
		*changed = true;
	}
	if (l->fd < 0 && now >= l->retry) {
		l->fd = open_day(l, now, &torn);
		l->newline = torn;
		if (l->fd < 0)
			l->retry = now + RETRY_SECONDS;
	}
	return l->fd;
}

/* failed - count a lost line (lock held); the log line to write after
 * the lock is released, when a minute has passed since the last, in
 * msg (empty: none) */
static void
failed(struct pcl_dmarc_report_log *l, time_t now, char *msg, size_t len)
{
	*msg = '\0';
	l->failures++;
	l->unlogged++;
	if (l->logged != 0 && now - l->logged < RETRY_SECONDS)
		return;
	pcl_format(msg, len, "dmarc report data: %lu line%s not recorded: %s",
	           l->unlogged, l->unlogged == 1 ? "" : "s",
	           *l->why ? l->why : "no file");
	l->unlogged = 0;
	l->logged = now;
}

/* lock - the writer's lock within LOCK_WAIT seconds; false when a
 * write stuck on a slow disk holds it longer */
static bool
lock(struct pcl_dmarc_report_log *l)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += LOCK_WAIT;
	return pthread_mutex_timedlock(&l->lock, &until) == 0;
}

/* pcl_dmarc_report_log_append - one line into the day's file */
bool
pcl_dmarc_report_log_append(struct pcl_dmarc_report_log *l, const char *line,
                            size_t len, time_t now)
{
	char buf[PCL_DMARC_REPORT_LINE_MAX + 1], msg[256] = "";
	bool changed = false, ok = false;
	size_t n = 0;
	ssize_t w = 0;
	int fd;

	if (l == NULL || len == 0 || len > PCL_DMARC_REPORT_LINE_MAX ||
	    line[len - 1] != '\n')
		return false;
	if (!lock(l)) {
		/* counted without the lock: a lost count is harmless */
		__atomic_add_fetch(&l->stuck, 1, __ATOMIC_RELAXED);
		return false;
	}
	fd = take(l, now, &changed);
	if (fd >= 0) {
		if (l->newline)
			buf[n++] = '\n';
		memcpy(buf + n, line, len);
		n += len;
		do
			w = write(fd, buf, n);
		while (w < 0 && errno == EINTR);
		ok = w == (ssize_t)n;
		if (ok)
			l->newline = false;
		else if (w > 0)
			l->newline = true; /* a part is in: the next
			                      line starts on its own */
		if (w < 0)
			pcl_format(l->why, sizeof(l->why), "%s: %s", l->dir,
			           strerror(errno));
		else if (!ok)
			pcl_format(l->why, sizeof(l->why),
			           "%s: short write (%zd of %zu bytes)", l->dir,
			           w, n);
	}
	if (!ok && !l->refused)
		failed(l, now, msg, sizeof(msg));
	pthread_mutex_unlock(&l->lock);
	if (*msg)
		pcl_log(LOG_WARNING, "%s", msg);
	if (changed)
		remove_old(l->dir, l->keep, (long long)now / 86400);
	return ok;
}

/* pcl_dmarc_report_log_failures - lines lost so far */
unsigned long
pcl_dmarc_report_log_failures(struct pcl_dmarc_report_log *l)
{
	unsigned long n;

	pthread_mutex_lock(&l->lock);
	n = l->failures;
	pthread_mutex_unlock(&l->lock);
	return n + __atomic_load_n(&l->stuck, __ATOMIC_RELAXED);
}
