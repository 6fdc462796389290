/*
 * conf_values - one parser per value type of the key table
 *
 * Each parser turns a value's text into its typed field, or fails with
 * a message that names the key; the caller adds the file and line.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "conf_int.h"
#include "log.h"
#include "template.h"
#include "util.h"

/* pcl_conf_words_clear - free a word list */
void
pcl_conf_words_clear(struct pcl_words *w)
{
	for (size_t i = 0; i < w->count; i++)
		free(w->items[i]);
	free(w->items);
	w->items = NULL;
	w->count = 0;
}

/* pcl_conf_words_split - split text at commas and white space */
int
pcl_conf_words_split(const char *text, struct pcl_words *out)
{
	const char *p = text;

	pcl_conf_words_clear(out);
	while (*p) {
		size_t n;
		char **grown;

		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t\r\n");
		grown = realloc(out->items, (out->count + 1) * sizeof(char *));
		if (grown == NULL)
			return -1;
		out->items = grown;
		out->items[out->count] = strndup(p, n);
		if (out->items[out->count] == NULL)
			return -1;
		out->count++;
		p += n;
	}
	return 0;
}

/* tables_clear - close every table of a list */
static void
tables_clear(struct pcl_tables *t)
{
	for (size_t i = 0; i < t->count; i++)
		pcl_table_free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

/* tables_open - open each type:/path of text; 0 or -1 with err */
static int
tables_open(const char *text, struct pcl_tables *out, char *err, size_t errlen)
{
	struct pcl_words w = {0};
	int rc = -1;

	tables_clear(out);
	if (pcl_conf_words_split(text, &w) < 0) {
		pcl_copy(err, errlen, "out of memory");
		goto out;
	}
	out->items = calloc(w.count ? w.count : 1, sizeof(*out->items));
	if (out->items == NULL) {
		pcl_copy(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < w.count; i++) {
		const char *colon = strchr(w.items[i], ':');

		/* The daemon runs in "/"; a relative path would change its
		 * meaning between start and reload. */
		if (colon && colon[1] != '/') {
			pcl_format(err, errlen,
			           "table path must be absolute: "
			           "\"%s\"",
			           w.items[i]);
			goto out;
		}
		out->items[i] = pcl_table_open(
		    w.items[i], pcl_access_check_value, err, errlen);
		if (out->items[i] == NULL)
			goto out;
		out->count++;
	}
	rc = 0;
out:
	pcl_conf_words_clear(&w);
	return rc;
}

/* check_socket - the libmilter socket forms, checked here because
 * libmilter would only log a bad one (and wraps a port over 65535) */
static int
check_socket(const char *text, char *err, size_t errlen)
{
	const char *rest;
	char *end;
	long port;

	if (strncmp(text, "unix:", 5) == 0 || strncmp(text, "local:", 6) == 0) {
		rest = strchr(text, ':') + 1;
		if (*rest != '/') {
			pcl_format(err, errlen,
			           "milter_socket: socket path "
			           "must be absolute: \"%s\"",
			           text);
			return -1;
		}
		/* sizeof(sockaddr_un.sun_path) is 108 on Linux */
		if (strlen(rest) >= 108) {
			pcl_format(err, errlen,
			           "milter_socket: socket path "
			           "longer than 107 characters");
			return -1;
		}
		return 0;
	}
	if (strncmp(text, "inet:", 5) == 0 || strncmp(text, "inet6:", 6) == 0) {
		rest = strchr(text, ':') + 1;
		errno = 0;
		port = strtol(rest, &end, 10);
		if (end == rest || errno || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != '@') ||
		    (*end == '@' && end[1] == '\0')) {
			pcl_format(err, errlen,
			           "milter_socket: expected "
			           "inet:PORT@HOST with PORT 1..65535, not "
			           "\"%s\"",
			           text);
			return -1;
		}
		return 0;
	}
	pcl_format(err, errlen,
	           "milter_socket: expected unix:/path, "
	           "local:/path, inet:PORT@HOST or inet6:PORT@HOST, not \"%s\"",
	           text);
	return -1;
}

/* parse_duration - "30", "30s", "500ms", "5m", "2h", "1d"; a bare
 * number is seconds; the result in seconds, or in milliseconds when
 * in_ms is set */
static int
parse_duration(const char *text, bool in_ms, long *out)
{
	static const struct {
		const char *suffix;
		long ms;
	} units[] = {{"", 1000},   {"s", 1000},    {"ms", 1},
	             {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || errno != 0 || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		long ms = units[i].ms;

		if (strcasecmp(end, units[i].suffix) != 0)
			continue;
		if (v > __LONG_MAX__ / ms)
			return -1;
		if (!in_ms && (v * ms) % 1000 != 0)
			return -1; /* "500ms" where seconds are wanted */
		*out = in_ms ? v * ms : v * ms / 1000;
		return 0;
	}
	return -1;
}

/* Bounds of the time of a rate ("N/time"). */
#define RATE_SECONDS_MIN 1
#define RATE_SECONDS_MAX (7 * 86400)

/* parse_rate - "N/time" (OpenDKIM's AutoRestartRate form), N within
 * k's bounds; 0 or -1 with err */
static int
parse_rate(const struct pcl_conf_key *k, const char *text,
           struct pcl_conf_rate *out, char *err, size_t errlen)
{
	const char *slash = strchr(text, '/');
	char count[32], *end;
	long n, seconds;

	if (slash == NULL || slash == text ||
	    (size_t)(slash - text) >= sizeof(count)) {
		pcl_format(err, errlen,
		           "%s: expected N/time (e.g. 10/1h), not \"%s\"",
		           k->name, text);
		return -1;
	}
	memcpy(count, text, (size_t)(slash - text));
	count[slash - text] = '\0';
	errno = 0;
	n = strtol(count, &end, 10);
	if (end == count || *end != '\0' || errno != 0 ||
	    parse_duration(slash + 1, false, &seconds) < 0) {
		pcl_format(err, errlen,
		           "%s: expected N/time (e.g. 10/1h), not \"%s\"",
		           k->name, text);
		return -1;
	}
	if (n < k->min || n > k->max) {
		pcl_format(err, errlen, "%s: %ld is out of range %ld..%ld",
		           k->name, n, k->min, k->max);
		return -1;
	}
	if (seconds < RATE_SECONDS_MIN || seconds > RATE_SECONDS_MAX) {
		pcl_format(err, errlen,
		           "%s: time \"%s\" is out of range 1s..7d", k->name,
		           slash + 1);
		return -1;
	}
	out->count = n;
	out->seconds = seconds;
	return 0;
}

/* check_dry_run - every word is "all" or a check name; 0 or -1 */
static int
check_dry_run(const struct pcl_words *w, char *err, size_t errlen)
{
	for (size_t i = 0; i < w->count; i++) {
		bool known = strcmp(w->items[i], "all") == 0;

		for (size_t j = 0; pcl_conf_check_names[j]; j++)
			if (strcmp(w->items[i], pcl_conf_check_names[j]) == 0)
				known = true;
		if (!known) {
			pcl_format(err, errlen, "dry_run: unknown check \"%s\"",
			           w->items[i]);
			return -1;
		}
	}
	return 0;
}

/* parse_reply - a reply key: "NNN X.Y.Z template" */
static int
parse_reply(const char *text, const char *const *vars, char **out, char *err,
            size_t errlen)
{
	struct pcl_reply r;

	if (pcl_reply_parse(text, &r, err, errlen) < 0)
		return -1;
	if (r.code == 0) {
		pcl_copy(err, errlen,
		         "reply must start with a 4xx or 5xx code");
		return -1;
	}
	if (pcl_template_check(text, vars, err, errlen) < 0)
		return -1;
	free(*out);
	*out = strdup(text);
	if (*out == NULL) {
		pcl_copy(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* pcl_conf_parse_value - parse text into the typed field of k; 0 or -1 */
int
pcl_conf_parse_value(struct pcl_conf *c, const struct pcl_conf_key *k,
                     const char *text, char *err, size_t errlen)
{
	void *f = pcl_conf_field(c, k);
	long n;
	char *end;

	switch (k->type) {
	case PCL_CT_BOOL:
		if (strcasecmp(text, "yes") == 0 ||
		    strcasecmp(text, "true") == 0)
			*(bool *)f = true;
		else if (strcasecmp(text, "no") == 0 ||
		         strcasecmp(text, "false") == 0)
			*(bool *)f = false;
		else {
			pcl_format(err, errlen,
			           "%s: expected yes or no, not "
			           "\"%s\"",
			           k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_INT:
	case PCL_CT_TIME:
	case PCL_CT_MSEC:
		if (k->type == PCL_CT_INT) {
			errno = 0;
			n = strtol(text, &end, 10);
			if (end == text || *end || errno)
				n = -1, end = NULL;
		} else if (parse_duration(text, k->type == PCL_CT_MSEC, &n) <
		           0) {
			end = NULL;
		} else {
			end = (char *)"";
		}
		if (end == NULL) {
			pcl_format(err, errlen, "%s: bad number \"%s\"",
			           k->name, text);
			return -1;
		}
		if (n < k->min || n > k->max) {
			pcl_format(err, errlen,
			           "%s: %ld is out of range "
			           "%ld..%ld",
			           k->name, n, k->min, k->max);
			return -1;
		}
		*(long *)f = n;
		return 0;
	case PCL_CT_SOCKET:
		if (check_socket(text, err, errlen) < 0)
			return -1;
		/* stored as a string */
		__attribute__((fallthrough));
	case PCL_CT_STRING:
		/* checked here, not in resolve(), so the error has a line */
		if (f == &c->syslog_facility &&
		    pcl_log_facility_parse(text) < 0) {
			pcl_format(err, errlen, "%s: unknown facility \"%s\"",
			           k->name, text);
			return -1;
		}
		free(*(char **)f);
		*(char **)f = strdup(text);
		if (*(char **)f == NULL)
			goto oom;
		return 0;
	case PCL_CT_LIST:
		if (pcl_conf_words_split(text, f) < 0)
			goto oom;
		if (f == &c->dry_run)
			return check_dry_run(f, err, errlen);
		return 0;
	case PCL_CT_ACTION:
		if (pcl_action_parse(text, f) < 0) {
			pcl_format(err, errlen,
			           "%s: unknown action \"%s\" "
			           "(accept, tag, quarantine, discard, "
			           "tempfail, reject)",
			           k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_ONERR:
		if (*text == '\0' && strcmp(k->name, "on_error") != 0)
			return 0; /* resolved later */
		if (pcl_on_error_parse(text, f) < 0) {
			pcl_format(err, errlen,
			           "%s: expected accept, tempfail "
			           "or reject, not \"%s\"",
			           k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_REPLY:
		if (parse_reply(
		        text,
		        (k->flags & PCL_CK_RBL)     ? pcl_template_vars_rbl
		        : (k->flags & PCL_CK_SPF)   ? pcl_template_vars_spf
		        : (k->flags & PCL_CK_DMARC) ? pcl_template_vars_dmarc
		                                    : pcl_template_vars_session,
		        f, err, errlen) < 0)
			goto prefixed;
		return 0;
	case PCL_CT_TABLES:
		if (tables_open(text, f, err, errlen) < 0)
			return -1; /* err names the file and line */
		return 0;
	case PCL_CT_CIDRS:
		pcl_cidr_list_clear(f);
		if (pcl_cidr_list_parse(text, f, err, errlen) < 0)
			goto prefixed;
		return 0;
	case PCL_CT_STAGE:
		if (strcasecmp(text, "rcpt") == 0)
			*(enum pcl_enforce *)f = PCL_ENFORCE_RCPT;
		else if (strcasecmp(text, "immediate") == 0)
			*(enum pcl_enforce *)f = PCL_ENFORCE_IMMEDIATE;
		else {
			pcl_format(err, errlen,
			           "%s: expected rcpt or "
			           "immediate, not \"%s\"",
			           k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_RATE:
		return parse_rate(k, text, f, err, errlen);
	}
	pcl_format(err, errlen, "%s: internal error: unknown type", k->name);
	return -1;
oom:
	pcl_copy(err, errlen, "out of memory");
	return -1;
prefixed : {
	char msg[PCL_ERR_MAX];

	pcl_format(msg, sizeof(msg), "%s: %s", k->name, err);
	pcl_copy(err, errlen, msg);
	return -1;
}
}

/* pcl_conf_value_free - release the typed field of k */
void
pcl_conf_value_free(struct pcl_conf *c, const struct pcl_conf_key *k)
{
	void *f = pcl_conf_field(c, k);

	switch (k->type) {
	case PCL_CT_STRING:
	case PCL_CT_SOCKET:
	case PCL_CT_REPLY:
		free(*(char **)f);
		*(char **)f = NULL;
		break;
	case PCL_CT_LIST:
		pcl_conf_words_clear(f);
		break;
	case PCL_CT_TABLES:
		tables_clear(f);
		break;
	case PCL_CT_CIDRS:
		pcl_cidr_list_clear(f);
		break;
	default:
		break;
	}
}
