/*
 * dkim_sign_table - which key signs which mail: OpenDKIM's KeyTable
 * and SigningTable, or one domain
 *
 * KeyTable lines are "name domain:selector:/path/to/key"; every key is
 * loaded and checked at load time, so a bad key is a start-up error,
 * not a per-message one. A key path starting with ./ or ../ is taken
 * relative to the KeyTable's directory (OpenDKIM takes it relative to
 * its working directory, which for a daemon is an accident). Refused,
 * with a message, where OpenDKIM would accept: a key written inline in
 * the table (the table would then be a secret, and its mode is not
 * checked), "%" as the domain, a third SigningTable field (i=), and
 * dataset types other than flat files (db:, ldap:, ...).
 *
 * SigningTable lines are "pattern keyname". Given as "refile:path",
 * patterns are globs ("*" matches any run of characters, case
 * ignored) tried against "user@domain" in file order. Otherwise
 * entries are exact, and tried in OpenDKIM's order: user@host, host,
 * user@.parent for each parent domain, .parent for each, user@*, *.
 * A wildcard in an exact table (other than "*" and "user@*") could
 * never match, so it is an error naming refile:. The first match signs,
 * or with multiple every match does (each key once).
 *
 * The simple setting signs mail from one domain and its subdomains
 * with d= that domain.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include "dkim_int.h"
#include "util.h"

#define TABLE_FIELDS_MAX 4
#define SUBJECT_MAX (PCL_ADDRESS_MAX + 256)

enum signing_mode {
	SIGNING_SIMPLE = 0,
	SIGNING_EXACT,
	SIGNING_PATTERN,
};

/* A KeyTable entry: the signer handed out, its key, its line. */
struct key_slot {
	struct pcl_dkim_signer signer;
	struct pcl_dkim_key *key;
	unsigned line;
};

/* A SigningTable entry. */
struct sign_entry {
	char *pattern;
	size_t slot;
};

struct pcl_dkim_signing {
	enum signing_mode mode;
	bool multiple;
	struct key_slot *slots;
	size_t nslots, slotcap;
	struct sign_entry *entries;
	size_t nentries, entrycap;
};

/* What a table line handler works with. */
struct table_ctx {
	struct pcl_dkim_signing *s;
	const char *path;   /* this table's file */
	const char *keydir; /* KeyTable's directory, for ./ and ../ */
	unsigned line;
};

typedef bool (*line_fn)(struct table_ctx *t, char **fields, size_t n, char *msg,
                        size_t msglen);

/* table_spec - split "refile:path", "file:path" or "path"; false with
 * err for other dataset types */
static bool
table_spec(const char *spec, const char **path, bool *pattern, char *err,
           size_t errlen)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon != NULL ? (size_t)(colon - spec) : 0;

	*pattern = false;
	*path = spec;
	if (colon == NULL || spec[0] == '/' || spec[0] == '.')
		return true;
	for (size_t i = 0; i < n; i++)
		if (!isalpha((unsigned char)spec[i]))
			return true; /* a path with a colon in it */
	if (n == 6 && strncmp(spec, "refile", 6) == 0)
		*pattern = true;
	else if (n != 4 || strncmp(spec, "file", 4) != 0) {
		pcl_format(err, errlen,
		           "%s: dataset type \"%.*s:\" is not supported (use "
		           "a file, file: or refile:)",
		           spec, (int)n, spec);
		return false;
	}
	*path = colon + 1;
	if (**path == '\0') {
		pcl_format(err, errlen, "%s: no file name", spec);
		return false;
	}
	return true;
}

/* split_fields - cut a line at white space after dropping a # comment;
 * the number of fields, TABLE_FIELDS_MAX meaning "that many or more" */
static size_t
split_fields(char *line, char **fields)
{
	char *hash = strchr(line, '#');
	size_t n = 0;
	char *save = NULL;

	if (hash != NULL)
		*hash = '\0';
	for (char *f = strtok_r(line, " \t\r\n", &save);
	     f != NULL && n < TABLE_FIELDS_MAX;
	     f = strtok_r(NULL, " \t\r\n", &save))
		fields[n++] = f;
	return n;
}

/* read_table - feed each non-empty line of path to fn; errors as
 * "path:line: message"; false when a line or the file failed */
static bool
read_table(struct table_ctx *t, line_fn fn, size_t *entries, char *err,
           size_t errlen)
{
	FILE *fp = fopen(t->path, "re");
	char *raw = NULL;
	size_t cap = 0;
	char msg[PCL_ERR_MAX];
	char *fields[TABLE_FIELDS_MAX];
	bool ok = false;

	*entries = 0;
	t->line = 0;
	if (fp == NULL) {
		pcl_format(err, errlen, "%s: cannot open: %s", t->path,
		           strerror(errno));
		return false;
	}
	while (getline(&raw, &cap, fp) >= 0) {
		size_t n;

		t->line++;
		n = split_fields(raw, fields);
		if (n == 0)
			continue;
		msg[0] = '\0';
		if (!fn(t, fields, n, msg, sizeof(msg))) {
			pcl_format(err, errlen, "%s:%u: %s", t->path, t->line,
			           msg);
			goto out;
		}
		(*entries)++;
	}
	if (ferror(fp)) {
		pcl_format(err, errlen, "%s: read error", t->path);
		goto out;
	}
	if (*entries == 0) {
		pcl_format(err, errlen, "%s: no entries", t->path);
		goto out;
	}
	ok = true;
out:
	free(raw);
	fclose(fp);
	return ok;
}

/* name_ok - a domain (selector: '_' allowed too) of dot-separated
 * labels of 1 to 63 letters, digits and hyphens */
static bool
name_ok(const char *name, bool selector)
{
	size_t label = 0;
	size_t len = strlen(name);

	if (len == 0 || len > PCL_DOMAIN_MAX)
		return false;
	for (const char *p = name;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > PCL_LABEL_MAX)
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-' ||
		           (selector && *p == '_')) {
			label++;
		} else {
			return false;
		}
	}
}

/* signer_fill - check and store name, domain and selector; false with
 * msg */
static bool
signer_fill(struct pcl_dkim_signer *sg, const char *name, const char *domain,
            const char *selector, char *msg, size_t msglen)
{
	if (strcmp(domain, "%") == 0) {
		pcl_format(msg, msglen,
		           "domain \"%%\" (the From domain) is "
		           "not supported: name the domain");
		return false;
	}
	if (!name_ok(domain, false)) {
		pcl_format(msg, msglen, "bad domain \"%s\"", domain);
		return false;
	}
	if (!name_ok(selector, true) ||
	    strlen(selector) + strlen("._domainkey.") + strlen(domain) >
	        PCL_DOMAIN_MAX) {
		pcl_format(msg, msglen, "bad selector \"%s\"", selector);
		return false;
	}
	if (!pcl_copy(sg->name, sizeof(sg->name), name)) {
		pcl_format(msg, msglen, "key name longer than %d characters",
		           PCL_DKIM_KEY_NAME_MAX - 1);
		return false;
	}
	pcl_copy(sg->domain, sizeof(sg->domain), domain);
	pcl_lower(sg->domain);
	pcl_copy(sg->selector, sizeof(sg->selector), selector);
	return true;
}

/* slot_add - a new zeroed KeyTable slot; NULL when memory is short */
static struct key_slot *
slot_add(struct pcl_dkim_signing *s)
{
	if (s->nslots == s->slotcap) {
		size_t cap = s->slotcap ? 2 * s->slotcap : 8;
		struct key_slot *grown =
		    realloc(s->slots, cap * sizeof(*grown));

		if (grown == NULL)
			return NULL;
		s->slots = grown;
		s->slotcap = cap;
	}
	memset(&s->slots[s->nslots], 0, sizeof(s->slots[0]));
	return &s->slots[s->nslots++];
}

/* slot_find - the KeyTable slot named name, or NULL */
static struct key_slot *
slot_find(const struct pcl_dkim_signing *s, const char *name)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (strcmp(s->slots[i].signer.name, name) == 0)
			return &s->slots[i];
	return NULL;
}

/* key_path - where the key of a KeyTable line lives; false with msg */
static bool
key_path(const struct table_ctx *t, const char *spec, char *path, size_t len,
         char *msg, size_t msglen)
{
	bool relative =
	    strncmp(spec, "./", 2) == 0 || strncmp(spec, "../", 3) == 0;

	if (spec[0] != '/' && !relative) {
		pcl_format(msg, msglen,
		           "the key must be a file path starting with /, ./ or "
		           "../ (keys written in the table are not supported)");
		return false;
	}
	if (relative ? pcl_format(path, len, "%s/%s", t->keydir, spec)
	             : pcl_copy(path, len, spec))
		return true;
	pcl_format(msg, msglen, "key path too long");
	return false;
}

/* keytable_line - "name domain:selector:path" */
static bool
keytable_line(struct table_ctx *t, char **f, size_t n, char *msg, size_t msglen)
{
	struct pcl_dkim_signing *s = t->s;
	const struct key_slot *dup;
	struct key_slot *slot;
	char *sel, *file;
	char path[PATH_MAX];
	char kerr[PCL_ERR_MAX] = "";

	sel = n == 2 ? strchr(f[1], ':') : NULL;
	file = sel != NULL ? strchr(sel + 1, ':') : NULL;
	if (file == NULL) {
		pcl_format(msg, msglen,
		           "want \"name domain:selector:/path/to/key\"");
		return false;
	}
	*sel++ = '\0';
	*file++ = '\0';
	if ((dup = slot_find(s, f[0])) != NULL) {
		pcl_format(msg, msglen, "key name \"%s\" already at line %u",
		           f[0], dup->line);
		return false;
	}
	if (!key_path(t, file, path, sizeof(path), msg, msglen))
		return false;
	if ((slot = slot_add(s)) == NULL) {
		pcl_format(msg, msglen, "out of memory");
		return false;
	}
	slot->line = t->line;
	if (!signer_fill(&slot->signer, f[0], f[1], sel, msg, msglen)) {
		s->nslots--;
		return false;
	}
	slot->key = pcl_dkim_key_load(path, kerr, sizeof(kerr));
	if (slot->key == NULL) {
		s->nslots--;
		pcl_copy(msg, msglen, kerr);
		return false;
	}
	slot->signer.key = slot->key;
	return true;
}

/* is_wildcard_ok - a "*" an exact table can hold: "*" or "user@*" */
static bool
is_wildcard_ok(const char *pattern)
{
	const char *star = strchr(pattern, '*');
	size_t len = strlen(pattern);

	if (star == NULL)
		return true;
	return strchr(star + 1, '*') == NULL && star == pattern + len - 1 &&
	       (len == 1 || star[-1] == '@');
}

/* signtable_line - "pattern keyname" */
static bool
signtable_line(struct table_ctx *t, char **f, size_t n, char *msg,
               size_t msglen)
{
	struct pcl_dkim_signing *s = t->s;
	const struct key_slot *slot;
	struct sign_entry *e;

	if (n == 3) {
		pcl_format(msg, msglen,
		           "a signer identity (third field, "
		           "i=) is not supported");
		return false;
	}
	if (n != 2) {
		pcl_format(msg, msglen, "want \"pattern keyname\"");
		return false;
	}
	if (s->mode == SIGNING_EXACT && !is_wildcard_ok(f[0])) {
		pcl_format(msg, msglen,
		           "wildcard \"%s\" needs the table "
		           "given as refile:%s",
		           f[0], t->path);
		return false;
	}
	if ((slot = slot_find(s, f[1])) == NULL) {
		pcl_format(msg, msglen, "no key \"%s\" in the KeyTable", f[1]);
		return false;
	}
	if (s->nentries == s->entrycap) {
		size_t cap = s->entrycap ? 2 * s->entrycap : 8;
		struct sign_entry *grown =
		    realloc(s->entries, cap * sizeof(*grown));

		if (grown == NULL) {
			pcl_format(msg, msglen, "out of memory");
			return false;
		}
		s->entries = grown;
		s->entrycap = cap;
	}
	e = &s->entries[s->nentries];
	e->pattern = pcl_strdup(f[0]);
	if (e->pattern == NULL) {
		pcl_format(msg, msglen, "out of memory");
		return false;
	}
	e->slot = (size_t)(slot - s->slots);
	s->nentries++;
	return true;
}

/* dir_of - the directory part of path ("." when none) */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		pcl_copy(dir, len, ".");
	else if (slash == path)
		pcl_copy(dir, len, "/");
	else
		pcl_format(dir, len, "%.*s", (int)(slash - path), path);
}

/* pcl_dkim_signing_load - a KeyTable and a SigningTable */
struct pcl_dkim_signing *
pcl_dkim_signing_load(const char *keytable, const char *signingtable,
                      bool multiple, char *err, size_t errlen)
{
	struct pcl_dkim_signing *s = NULL;
	struct pcl_dkim_signing *ret = NULL;
	struct table_ctx t = {0};
	char keydir[PATH_MAX];
	bool pattern;
	size_t n;

	if (keytable == NULL || signingtable == NULL) {
		pcl_format(err, errlen,
		           "dkim signing: a KeyTable and a "
		           "SigningTable are both needed");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		pcl_format(err, errlen, "dkim signing: out of memory");
		goto out;
	}
	s->multiple = multiple;
	t.s = s;
	/* refile: on a KeyTable changes nothing: names are looked up whole */
	if (!table_spec(keytable, &t.path, &pattern, err, errlen))
		goto out;
	dir_of(t.path, keydir, sizeof(keydir));
	t.keydir = keydir;
	if (!read_table(&t, keytable_line, &n, err, errlen))
		goto out;
	if (!table_spec(signingtable, &t.path, &pattern, err, errlen))
		goto out;
	s->mode = pattern ? SIGNING_PATTERN : SIGNING_EXACT;
	if (!read_table(&t, signtable_line, &n, err, errlen))
		goto out;
	ret = s;
	s = NULL;
out:
	pcl_dkim_signing_free(s);
	return ret;
}

/* pcl_dkim_signing_simple - one domain, one selector, one key */
struct pcl_dkim_signing *
pcl_dkim_signing_simple(const char *domain, const char *selector,
                        const char *keyfile, char *err, size_t errlen)
{
	struct pcl_dkim_signing *s = NULL;
	struct pcl_dkim_signing *ret = NULL;
	struct key_slot *slot;
	char msg[PCL_ERR_MAX] = "";

	if (domain == NULL || selector == NULL || keyfile == NULL) {
		pcl_format(err, errlen,
		           "dkim signing: a domain, a selector "
		           "and a key file are all needed");
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (slot = slot_add(s)) == NULL) {
		pcl_format(err, errlen, "dkim signing: out of memory");
		goto out;
	}
	s->mode = SIGNING_SIMPLE;
	if (!signer_fill(&slot->signer, domain, domain, selector, msg,
	                 sizeof(msg))) {
		pcl_format(err, errlen, "dkim signing: %s", msg);
		goto out;
	}
	pcl_copy(slot->signer.name, sizeof(slot->signer.name),
	         slot->signer.domain);
	slot->key = pcl_dkim_key_load(keyfile, err, errlen);
	if (slot->key == NULL)
		goto out;
	slot->signer.key = slot->key;
	ret = s;
	s = NULL;
out:
	pcl_dkim_signing_free(s);
	return ret;
}

/* pcl_dkim_signing_free - the signers, their keys, the tables; NULL
 * is safe */
void
pcl_dkim_signing_free(struct pcl_dkim_signing *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nslots; i++)
		pcl_dkim_key_free(s->slots[i].key);
	for (size_t i = 0; i < s->nentries; i++)
		free(s->entries[i].pattern);
	free(s->slots);
	free(s->entries);
	free(s);
}

/* pcl_dkim_signing_named - the signer of KeyTable key name (the
 * simple mode's one signer answers to its domain), or the first signer
 * for an empty name; NULL when there is none */
const struct pcl_dkim_signer *
pcl_dkim_signing_named(const struct pcl_dkim_signing *s, const char *name)
{
	for (size_t i = 0; s != NULL && i < s->nslots; i++)
		if (*name == '\0' ||
		    strcasecmp(s->slots[i].signer.name, name) == 0)
			return &s->slots[i].signer;
	return NULL;
}

/* pcl_dkim_signing_unreadable - the first key file this process can
 * no longer open, or NULL */
const char *
pcl_dkim_signing_unreadable(const struct pcl_dkim_signing *s)
{
	for (size_t i = 0; s != NULL && i < s->nslots; i++) {
		const struct pcl_dkim_key *key = s->slots[i].key;

		if (key != NULL && key->path != NULL &&
		    access(key->path, R_OK) != 0)
			return key->path;
	}
	return NULL;
}

/* glob_match - pattern with "*" (any run, empty too) against text,
 * ASCII case ignored */
static bool
glob_match(const char *p, const char *t)
{
	const char *star = NULL;
	const char *resume = NULL;

	while (*t != '\0') {
		if (*p == '*') {
			star = p++;
			resume = t;
		} else if (tolower((unsigned char)*p) ==
		           tolower((unsigned char)*t)) {
			p++;
			t++;
		} else if (star != NULL) {
			p = star + 1;
			t = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* The match being built. */
struct match {
	const struct pcl_dkim_signing *s;
	const struct pcl_dkim_signer **out;
	size_t max, n;
};

/* match_add - store a slot's signer once; true when matching is over
 * (the first match is all that is wanted, or out is full) */
static bool
match_add(struct match *m, size_t slot)
{
	const struct pcl_dkim_signer *sg = &m->s->slots[slot].signer;

	for (size_t i = 0; i < m->n; i++)
		if (m->out[i] == sg)
			return false; /* one key signs once */
	if (m->n < m->max)
		m->out[m->n++] = sg;
	return !m->s->multiple || m->n >= m->max;
}

/* match_exact - every entry equal to key; true when matching is over */
static bool
match_exact(struct match *m, const char *key)
{
	for (size_t i = 0; i < m->s->nentries; i++)
		if (strcasecmp(m->s->entries[i].pattern, key) == 0 &&
		    match_add(m, m->s->entries[i].slot))
			return true;
	return false;
}

/* match_lookups - OpenDKIM's lookup order for exact tables */
static void
match_lookups(struct match *m, const char *user, const char *domain)
{
	char key[SUBJECT_MAX];
	const char *p;

	if (*user && pcl_format(key, sizeof(key), "%s@%s", user, domain) &&
	    match_exact(m, key))
		return;
	if (match_exact(m, domain))
		return;
	for (p = strchr(domain, '.'); *user && p != NULL;
	     p = strchr(p + 1, '.'))
		if (pcl_format(key, sizeof(key), "%s@%s", user, p) &&
		    match_exact(m, key))
			return;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		if (match_exact(m, p))
			return;
	if (*user && pcl_format(key, sizeof(key), "%s@*", user) &&
	    match_exact(m, key))
		return;
	(void)match_exact(m, "*");
}

/* pcl_dkim_signing_match - the signers for a From address or domain */
size_t
pcl_dkim_signing_match(const struct pcl_dkim_signing *s,
                       const char *address_or_domain,
                       const struct pcl_dkim_signer **out, size_t max)
{
	struct match m = {s, out, max, 0};
	char user[256] = "";
	char domain[PCL_DOMAIN_MAX + 2];
	char subject[SUBJECT_MAX];
	const char *at;
	size_t len;

	if (s == NULL || address_or_domain == NULL || out == NULL || max == 0)
		return 0;
	at = strrchr(address_or_domain, '@');
	if (at != NULL &&
	    !pcl_format(user, sizeof(user), "%.*s",
	                (int)(at - address_or_domain), address_or_domain))
		return 0;
	if (!pcl_copy(domain, sizeof(domain),
	              at != NULL ? at + 1 : address_or_domain))
		return 0;
	pcl_lower(domain);
	len = strlen(domain);
	if (len > 0 && domain[len - 1] == '.')
		domain[--len] = '\0';
	if (len == 0 || len > PCL_DOMAIN_MAX)
		return 0;
	switch (s->mode) {
	case SIGNING_SIMPLE: {
		const char *d = s->slots[0].signer.domain;
		size_t dlen = strlen(d);

		if (strcmp(domain, d) == 0 ||
		    (len > dlen && strcmp(domain + len - dlen, d) == 0 &&
		     domain[len - dlen - 1] == '.'))
			(void)match_add(&m, 0);
		break;
	}
	case SIGNING_PATTERN:
		/* a bare domain is matched as "@domain" */
		if (!pcl_format(subject, sizeof(subject), "%s@%s", user,
		                domain))
			return 0;
		for (size_t i = 0; i < s->nentries; i++)
			if (glob_match(s->entries[i].pattern, subject) &&
			    match_add(&m, s->entries[i].slot))
				break;
		break;
	case SIGNING_EXACT:
		match_lookups(&m, user, domain);
		break;
	}
	return m.n;
}
