/*
 * conf - read, check and hold the configuration
 *
 * Load order: every key gets its default; the file is read line by line
 * (continuations joined, comments skipped) and each "name = value" is
 * parsed into its typed field at once, so that errors carry the line;
 * the overrides from the command line come last; then the values that
 * depend on others are resolved (empty per-check on_error, myhostname,
 * helo_own_*). Every error is collected; any error fails the load.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "access.h"
#include "conf.h"
#include "log.h"
#include "template.h"
#include "util.h"

/* Longest logical line (with continuations) of a config file. */
#define CONF_LINE_MAX 65536

/* Collected errors: one "where: message" per line. */
struct errs {
	char *text;
	size_t len;
	size_t count;
};

/* errs_add - append one error line */
static void
errs_add(struct errs *e, const char *where, int line, const char *msg)
{
	char buf[PCL_ERR_MAX + 512];
	size_t n;
	char *grown;

	if (line > 0)
		pcl_format(buf, sizeof(buf), "%s:%d: %s\n", where, line, msg);
	else
		pcl_format(buf, sizeof(buf), "%s: %s\n", where, msg);
	n = strlen(buf);
	grown = realloc(e->text, e->len + n + 1);
	if (grown == NULL)
		return;
	e->text = grown;
	memcpy(e->text + e->len, buf, n + 1);
	e->len += n;
	e->count++;
}

/* field - the typed field of key k in c */
static void *
field(struct pcl_conf *c, const struct pcl_conf_key *k)
{
	return (char *)c + k->offset;
}

/* pcl_conf_key_find - the key-table row for name */
const struct pcl_conf_key *
pcl_conf_key_find(const char *name)
{
	for (size_t i = 0; i < pcl_conf_nkeys; i++)
		if (strcmp(pcl_conf_keys[i].name, name) == 0)
			return &pcl_conf_keys[i];
	return NULL;
}

/* words_clear - free a word list */
static void
words_clear(struct pcl_words *w)
{
	for (size_t i = 0; i < w->count; i++)
		free(w->items[i]);
	free(w->items);
	w->items = NULL;
	w->count = 0;
}

/* words_split - split text at commas and white space */
static int
words_split(const char *text, struct pcl_words *out)
{
	const char *p = text;

	words_clear(out);
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
	if (words_split(text, &w) < 0) {
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
			pcl_format(err, errlen, "table path must be absolute: "
				   "\"%s\"", w.items[i]);
			goto out;
		}
		out->items[i] = pcl_table_open(w.items[i],
					       pcl_access_check_value, err,
					       errlen);
		if (out->items[i] == NULL)
			goto out;
		out->count++;
	}
	rc = 0;
out:
	words_clear(&w);
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
			pcl_format(err, errlen, "milter_socket: socket path "
				   "must be absolute: \"%s\"", text);
			return -1;
		}
		/* sizeof(sockaddr_un.sun_path) is 108 on Linux */
		if (strlen(rest) >= 108) {
			pcl_format(err, errlen, "milter_socket: socket path "
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
			pcl_format(err, errlen, "milter_socket: expected "
				   "inet:PORT@HOST with PORT 1..65535, not "
				   "\"%s\"", text);
			return -1;
		}
		return 0;
	}
	pcl_format(err, errlen, "milter_socket: expected unix:/path, "
		   "local:/path, inet:PORT@HOST or inet6:PORT@HOST, not \"%s\"",
		   text);
	return -1;
}

/* parse_time - "30", "30s", "5m", "2h", "1d" to seconds */
static int
parse_time(const char *text, long *out)
{
	char *end;
	long v, mult = 1;

	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || errno != 0 || v < 0)
		return -1;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 's':
			mult = 1;
			break;
		case 'm':
			mult = 60;
			break;
		case 'h':
			mult = 3600;
			break;
		case 'd':
			mult = 86400;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > __LONG_MAX__ / mult)
		return -1;
	*out = v * mult;
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
parse_reply(const char *text, char **out, char *err, size_t errlen)
{
	struct pcl_reply r;

	if (pcl_reply_parse(text, &r, err, errlen) < 0)
		return -1;
	if (r.code == 0) {
		pcl_copy(err, errlen, "reply must start with a 4xx or 5xx code");
		return -1;
	}
	if (pcl_template_check(text, pcl_template_vars_session, err, errlen) < 0)
		return -1;
	free(*out);
	*out = strdup(text);
	if (*out == NULL) {
		pcl_copy(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* parse_value - parse text into the typed field of k; 0 or -1 */
static int
parse_value(struct pcl_conf *c, const struct pcl_conf_key *k, const char *text,
	    char *err, size_t errlen)
{
	void *f = field(c, k);
	long n;
	char *end;

	switch (k->type) {
	case PCL_CT_BOOL:
		if (strcasecmp(text, "yes") == 0 || strcasecmp(text, "true") == 0)
			*(bool *)f = true;
		else if (strcasecmp(text, "no") == 0 ||
			 strcasecmp(text, "false") == 0)
			*(bool *)f = false;
		else {
			pcl_format(err, errlen, "%s: expected yes or no, not "
				   "\"%s\"", k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_INT:
	case PCL_CT_TIME:
		if (k->type == PCL_CT_INT) {
			errno = 0;
			n = strtol(text, &end, 10);
			if (end == text || *end || errno)
				n = -1, end = NULL;
		} else if (parse_time(text, &n) < 0) {
			end = NULL;
		} else {
			end = (char *)"";
		}
		if (end == NULL) {
			pcl_format(err, errlen, "%s: bad number \"%s\"", k->name,
				   text);
			return -1;
		}
		if (n < k->min || n > k->max) {
			pcl_format(err, errlen, "%s: %ld is out of range "
				   "%ld..%ld", k->name, n, k->min, k->max);
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
		if (words_split(text, f) < 0)
			goto oom;
		if (f == &c->dry_run)
			return check_dry_run(f, err, errlen);
		return 0;
	case PCL_CT_ACTION:
		if (pcl_action_parse(text, f) < 0) {
			pcl_format(err, errlen, "%s: unknown action \"%s\" "
				   "(accept, tag, quarantine, discard, "
				   "tempfail, reject)", k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_ONERR:
		if (*text == '\0' && strcmp(k->name, "on_error") != 0)
			return 0; /* resolved later */
		if (pcl_on_error_parse(text, f) < 0) {
			pcl_format(err, errlen, "%s: expected accept, tempfail "
				   "or reject, not \"%s\"", k->name, text);
			return -1;
		}
		return 0;
	case PCL_CT_REPLY:
		if (parse_reply(text, f, err, errlen) < 0)
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
			pcl_format(err, errlen, "%s: expected rcpt or "
				   "immediate, not \"%s\"", k->name, text);
			return -1;
		}
		return 0;
	}
	pcl_format(err, errlen, "%s: internal error: unknown type", k->name);
	return -1;
oom:
	pcl_copy(err, errlen, "out of memory");
	return -1;
prefixed: {
	char msg[PCL_ERR_MAX];

	pcl_format(msg, sizeof(msg), "%s: %s", k->name, err);
	pcl_copy(err, errlen, msg);
	return -1;
}
}

/* set_key - parse and record one setting */
static void
set_key(struct pcl_conf *c, const char *name, const char *value,
	const char *where, int line, struct errs *e)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);
	char err[PCL_ERR_MAX] = "";
	size_t i;
	char *copy;

	if (k == NULL) {
		pcl_format(err, sizeof(err), "unknown key \"%s\"", name);
		errs_add(e, where, line, err);
		return;
	}
	if (parse_value(c, k, value, err, sizeof(err)) < 0) {
		errs_add(e, where, line, err);
		return;
	}
	i = (size_t)(k - pcl_conf_keys);
	copy = strdup(value);
	if (copy == NULL) {
		errs_add(e, where, line, "out of memory");
		return;
	}
	free(c->text[i]);
	c->text[i] = copy;
	c->line[i] = line;
}

/* set_setting - split "name = value" and set it */
static void
set_setting(struct pcl_conf *c, char *logical, const char *where, int line,
	    struct errs *e)
{
	char *eq = strchr(logical, '=');
	char *name, *value;

	if (eq == NULL) {
		errs_add(e, where, line, "expected \"name = value\"");
		return;
	}
	*eq = '\0';
	name = pcl_trim(logical);
	value = pcl_trim(eq + 1);
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
		    *p != '_') {
			errs_add(e, where, line,
				 "bad key name: expected \"name = value\"");
			return;
		}
	if (*name == '\0') {
		errs_add(e, where, line, "missing key name before \"=\"");
		return;
	}
	set_key(c, name, value, where, line, e);
}

/* read_file - parse every setting of path */
static void
read_file(struct pcl_conf *c, const char *path, struct errs *e)
{
	FILE *fp = fopen(path, "r");
	char *logical = NULL, *raw = NULL;
	size_t cap = 0, used = 0;
	int lineno = 0, start = 0;
	ssize_t n;

	if (fp == NULL) {
		char msg[PCL_ERR_MAX];

		pcl_format(msg, sizeof(msg), "cannot open: %s", strerror(errno));
		errs_add(e, path, 0, msg);
		return;
	}
	logical = malloc(CONF_LINE_MAX);
	if (logical == NULL) {
		errs_add(e, path, 0, "out of memory");
		goto out;
	}
	logical[0] = '\0';
	while ((n = getline(&raw, &cap, fp)) >= 0) {
		lineno++;
		if (memchr(raw, '\0', (size_t)n) != NULL) {
			errs_add(e, path, lineno, "NUL byte in line");
			continue;
		}
		raw[strcspn(raw, "\r\n")] = '\0';
		if (*pcl_trim(raw) == '#' || *pcl_trim(raw) == '\0')
			continue;
		if (isspace((unsigned char)raw[0])) {
			if (start == 0) {
				errs_add(e, path, lineno,
					 "continuation line without a setting");
				continue;
			}
			if (start > 0) {
				const char *more = pcl_trim(raw);
				size_t m = strlen(more);

				if (used + m + 2 > CONF_LINE_MAX) {
					errs_add(e, path, start,
						 "setting too long");
					start = -1;
					continue;
				}
				logical[used++] = ' ';
				memcpy(logical + used, more, m + 1);
				used += m;
			}
			continue;
		}
		if (start > 0)
			set_setting(c, logical, path, start, e);
		start = lineno;
		used = strlen(raw);
		if (used >= CONF_LINE_MAX) {
			errs_add(e, path, lineno, "setting too long");
			start = -1;
			used = 0;
			logical[0] = '\0';
			continue;
		}
		memcpy(logical, raw, used + 1);
	}
	if (ferror(fp)) { /* e.g. EISDIR: not an empty file */
		char msg[PCL_ERR_MAX];

		pcl_format(msg, sizeof(msg), "read error: %s", strerror(errno));
		errs_add(e, path, 0, msg);
	}
	if (start > 0)
		set_setting(c, logical, path, start, e);
out:
	free(raw);
	free(logical);
	fclose(fp);
}

/* set_text - record a resolved value so the dump shows it */
static void
set_text(struct pcl_conf *c, const char *name, const char *value)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);
	size_t i = (size_t)(k - pcl_conf_keys);
	char *copy = strdup(value);

	if (copy == NULL)
		return;
	free(c->text[i]);
	c->text[i] = copy;
}

/* resolve - fill the values that depend on others or on the host */
static void
resolve(struct pcl_conf *c, struct errs *e)
{
	const char *where = c->path ? c->path : "built-in configuration";
	char err[PCL_ERR_MAX];

	if (*c->myhostname == '\0') {
		char host[PCL_DOMAIN_MAX + 2] = "";

		if (gethostname(host, sizeof(host) - 1) < 0 || *host == '\0')
			pcl_copy(host, sizeof(host), "localhost");
		free(c->myhostname);
		c->myhostname = strdup(host);
		set_text(c, "myhostname", host);
	}
	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];

		if (k->type == PCL_CT_ONERR && c->text[i][0] == '\0') {
			*(enum pcl_on_error *)field(c, k) = c->on_error;
			set_text(c, k->name, pcl_on_error_name(c->on_error));
		}
	}
	if (c->helo_own_names.count == 0 && c->myhostname) {
		words_split(c->myhostname, &c->helo_own_names);
		set_text(c, "helo_own_names", c->myhostname);
	}
	if (c->helo_own_addresses.count == 0) {
		struct pcl_helo_self_store store = {0};
		char text[4096] = "";

		if (pcl_helo_self_from_host(&store, err, sizeof(err)) < 0) {
			errs_add(e, where, 0, err);
		} else {
			for (size_t i = 0; i < store.naddrs; i++) {
				char a[PCL_ADDR_TEXT_MAX];

				pcl_addr_format(&store.addrs[i], a, sizeof(a));
				if (store.addrs[i].family == AF_INET6)
					pcl_append(text, sizeof(text), "%s[%s]",
						   *text ? " " : "", a);
				else
					pcl_append(text, sizeof(text), "%s%s",
						   *text ? " " : "", a);
			}
			if (pcl_cidr_list_parse(text, &c->helo_own_addresses,
						err, sizeof(err)) < 0)
				errs_add(e, where, 0, err);
			set_text(c, "helo_own_addresses", text);
		}
		pcl_helo_self_clear(&store);
	}
	c->self_addrs = calloc(c->helo_own_addresses.count + 1,
			       sizeof(*c->self_addrs));
	if (c->self_addrs == NULL) {
		errs_add(e, where, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->helo_own_addresses.count; i++)
		c->self_addrs[i] = c->helo_own_addresses.items[i].net;
	c->self.names = (const char *const *)c->helo_own_names.items;
	c->self.nnames = c->helo_own_names.count;
	c->self.addrs = c->self_addrs;
	c->self.naddrs = c->helo_own_addresses.count;
}

/* pcl_conf_load - read, check and open the configuration */
struct pcl_conf *
pcl_conf_load(const char *path, const char *const *overrides,
	      size_t noverrides, char **errors)
{
	struct pcl_conf *c = calloc(1, sizeof(*c));
	struct errs e = {0};

	*errors = NULL;
	if (c == NULL)
		goto oom;
	c->refs = 1;
	c->text = calloc(pcl_conf_nkeys, sizeof(char *));
	c->line = calloc(pcl_conf_nkeys, sizeof(int));
	if (c->text == NULL || c->line == NULL)
		goto oom;
	for (size_t i = 0; i < pcl_conf_nkeys; i++)
		set_key(c, pcl_conf_keys[i].name, pcl_conf_keys[i].def,
			"built-in default", 0, &e);
	if (path) {
		c->path = strdup(path);
		if (c->path == NULL)
			goto oom;
		read_file(c, path, &e);
	}
	for (size_t i = 0; i < noverrides; i++) {
		char *copy = strdup(overrides[i]);

		if (copy == NULL)
			goto oom;
		set_setting(c, copy, "command line", -1, &e);
		free(copy);
	}
	if (e.count == 0)
		resolve(c, &e);
	if (e.count == 0) {
		free(e.text);
		return c;
	}
	*errors = e.text;
	pcl_conf_free(c);
	return NULL;
oom:
	free(e.text);
	*errors = strdup("out of memory\n");
	pcl_conf_free(c);
	return NULL;
}

/* pcl_conf_free - release everything */
void
pcl_conf_free(struct pcl_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];
		void *f = field(c, k);

		switch (k->type) {
		case PCL_CT_STRING:
		case PCL_CT_SOCKET:
		case PCL_CT_REPLY:
			free(*(char **)f);
			break;
		case PCL_CT_LIST:
			words_clear(f);
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
		if (c->text)
			free(c->text[i]);
	}
	free(c->text);
	free(c->line);
	free(c->path);
	free(c->self_addrs);
	free(c);
}

/* pcl_conf_dump - "name = value" for every key */
char *
pcl_conf_dump(const struct pcl_conf *c)
{
	size_t cap = 1, used = 0;
	char *out;

	for (size_t i = 0; i < pcl_conf_nkeys; i++)
		cap += strlen(pcl_conf_keys[i].name) + strlen(c->text[i]) + 16;
	out = malloc(cap);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];
		const char *v = c->text[i];

		if ((k->flags & PCL_CK_SECRET) && *v)
			v = "<redacted>";
		pcl_append(out + used, cap - used, "%s =%s%s\n", k->name,
			   *v ? " " : "", v);
		used += strlen(out + used);
	}
	return out;
}

/* pcl_conf_is_dry_run - is check in dry_run */
bool
pcl_conf_is_dry_run(const struct pcl_conf *c, const char *check)
{
	for (size_t i = 0; i < c->dry_run.count; i++)
		if (strcmp(c->dry_run.items[i], "all") == 0 ||
		    strcmp(c->dry_run.items[i], check) == 0)
			return true;
	return false;
}
