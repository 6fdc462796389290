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
#include "conf_int.h"
#include "log.h"
#include "template.h"
#include "util.h"

/* Longest logical line (with continuations) of a config file. */
#define CONF_LINE_MAX 65536

/* pcl_conf_errs_add - append one error line */
void
pcl_conf_errs_add(struct errs *e, const char *where, int line, const char *msg)
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

/* pcl_conf_field - the typed field of key k in c */
void *
pcl_conf_field(struct pcl_conf *c, const struct pcl_conf_key *k)
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
		pcl_conf_errs_add(e, where, line, err);
		return;
	}
	if (pcl_conf_parse_value(c, k, value, err, sizeof(err)) < 0) {
		pcl_conf_errs_add(e, where, line, err);
		return;
	}
	i = (size_t)(k - pcl_conf_keys);
	copy = strdup(value);
	if (copy == NULL) {
		pcl_conf_errs_add(e, where, line, "out of memory");
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
		pcl_conf_errs_add(e, where, line, "expected \"name = value\"");
		return;
	}
	*eq = '\0';
	name = pcl_trim(logical);
	value = pcl_trim(eq + 1);
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '_') {
			pcl_conf_errs_add(
			    e, where, line,
			    "bad key name: expected \"name = value\"");
			return;
		}
	if (*name == '\0') {
		pcl_conf_errs_add(e, where, line,
		                  "missing key name before \"=\"");
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

		pcl_format(msg, sizeof(msg), "cannot open: %s",
		           strerror(errno));
		pcl_conf_errs_add(e, path, 0, msg);
		return;
	}
	logical = malloc(CONF_LINE_MAX);
	if (logical == NULL) {
		pcl_conf_errs_add(e, path, 0, "out of memory");
		goto out;
	}
	logical[0] = '\0';
	while ((n = getline(&raw, &cap, fp)) >= 0) {
		lineno++;
		if (memchr(raw, '\0', (size_t)n) != NULL) {
			pcl_conf_errs_add(e, path, lineno, "NUL byte in line");
			continue;
		}
		raw[strcspn(raw, "\r\n")] = '\0';
		if (*pcl_trim(raw) == '#' || *pcl_trim(raw) == '\0')
			continue;
		if (isspace((unsigned char)raw[0])) {
			if (start == 0) {
				pcl_conf_errs_add(
				    e, path, lineno,
				    "continuation line without a setting");
				continue;
			}
			if (start > 0) {
				const char *more = pcl_trim(raw);
				size_t m = strlen(more);

				if (used + m + 2 > CONF_LINE_MAX) {
					pcl_conf_errs_add(e, path, start,
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
			pcl_conf_errs_add(e, path, lineno, "setting too long");
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
		pcl_conf_errs_add(e, path, 0, msg);
	}
	if (start > 0)
		set_setting(c, logical, path, start, e);
out:
	free(raw);
	free(logical);
	fclose(fp);
}

/* pcl_conf_set_text - record a resolved value so the dump shows it */
void
pcl_conf_set_text(struct pcl_conf *c, const char *name, const char *value)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);
	size_t i = (size_t)(k - pcl_conf_keys);
	char *copy = strdup(value);

	if (copy == NULL)
		return;
	free(c->text[i]);
	c->text[i] = copy;
}

/* pcl_conf_load - read, check and open the configuration */
struct pcl_conf *
pcl_conf_load(const char *path, const char *const *overrides, size_t noverrides,
              char **errors)
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
		pcl_conf_resolve(c, &e);
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
		pcl_conf_value_free(c, &pcl_conf_keys[i]);
		if (c->text)
			free(c->text[i]);
	}
	pcl_conf_resolved_free(c);
	free(c->text);
	free(c->line);
	free(c->path);
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
