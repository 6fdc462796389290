/*
 * log - syslog and stderr output
 *
 * Settings are written once at start (and at reload, before sessions
 * of the new configuration run); pcl_log itself only reads them, under
 * a lock so a reload never races a line being written.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "util.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool log_stderr = true;
static bool log_syslog = false;

/* pcl_log_open - start logging */
void
pcl_log_open(const char *ident, int facility, bool to_stderr, bool to_syslog)
{
	pthread_mutex_lock(&log_lock);
	if (log_syslog)
		closelog();
	log_stderr = to_stderr;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	pthread_mutex_unlock(&log_lock);
}

/* pcl_log_close - stop syslog */
void
pcl_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_syslog)
		closelog();
	log_syslog = false;
	pthread_mutex_unlock(&log_lock);
}

/* pcl_log - write one line */
void
pcl_log(int priority, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* A line is one line: a stray newline would forge a second one. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	pthread_mutex_lock(&log_lock);
	if (log_syslog)
		syslog(priority, "%s", line);
	if (log_stderr)
		fprintf(stderr, "portcullis: %s\n", line);
	pthread_mutex_unlock(&log_lock);
}

static const struct {
	const char *name;
	int facility;
} facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* pcl_log_facility_parse - facility name to LOG_* value */
int
pcl_log_facility_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(name, facilities[i].name) == 0)
			return facilities[i].facility;
	return -1;
}

/* is_plain - may c appear unquoted in a key=value line */
static bool
is_plain(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

/* pcl_log_quote - render a value for a key=value line */
void
pcl_log_quote(const char *value, char *buf, size_t len)
{
	const unsigned char *p;
	bool plain = *value != '\0';
	size_t n = 0;

	if (len < 8) {
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	for (p = (const unsigned char *)value; *p; p++)
		if (!is_plain(*p))
			plain = false;
	if (plain && pcl_copy(buf, len, value))
		return;
	buf[n++] = '"';
	for (p = (const unsigned char *)value; *p; p++) {
		char piece[5];

		if (*p == '"' || *p == '\\')
			pcl_format(piece, sizeof(piece), "\\%c", *p);
		else if (*p < ' ' || *p >= 0x7f)
			pcl_format(piece, sizeof(piece), "\\x%02x", *p);
		else
			pcl_format(piece, sizeof(piece), "%c", *p);
		if (n + strlen(piece) + 5 > len) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(buf + n, piece, strlen(piece));
		n += strlen(piece);
	}
	buf[n++] = '"';
	buf[n] = '\0';
}
