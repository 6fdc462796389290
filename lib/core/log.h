/*
 * log - one place where log lines are written
 *
 * Lines go to syslog (LOG_MAIL by default) and, in the foreground, to
 * stderr. A decision is one line of key=value pairs led by the queue ID
 * (or NOQUEUE), as Postfix logs. Values that may hold spaces or quotes
 * are quoted with pcl_log_quote.
 */
#ifndef PCL_LOG_H
#define PCL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/* pcl_log_open - start logging; facility is a LOG_* value. May be
 * called again (reload) to change the facility. */
void pcl_log_open(const char *ident, int facility, bool to_stderr,
                  bool to_syslog);

/* pcl_log_close - stop syslog */
void pcl_log_close(void);

/* pcl_log - write one line at a syslog priority (LOG_ERR ...) */
void pcl_log(int priority, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* pcl_log_facility_parse - "mail", "daemon", "local0".."local7";
 * -1 when unknown */
int pcl_log_facility_parse(const char *name);

/*
 * pcl_log_quote - render value for a key=value line: as is when it has
 * only safe characters, else in double quotes with '"' and '\' escaped
 * and control or 8-bit bytes as \xNN. Always NUL-terminates; cut values
 * end in "...".
 */
void pcl_log_quote(const char *value, char *buf, size_t len);

#endif
