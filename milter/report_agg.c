/*
 * report_agg - the rows of a day gathered per policy domain into
 * records: rows whose record would read the same but for its count
 * (source address, disposition and overrides, DKIM and SPF alignment,
 * header_from, envelope_from, every DKIM and SPF result) are one
 * record, counted. The rendering is the key, so two rows are merged
 * exactly when the report could not tell them apart (the key starts
 * with the policy domain's name).
 *
 * Rows of messages portcullis deferred (action tempfail: the client
 * tries again, and that attempt has a row of its own) are left out, as
 * are rows of a policy domain that could not name a file (the daemon
 * writes DNS names there; anything else is not a report to make).
 *
 * Memory grows with the distinct records and domains of the day, not
 * with its rows: two hashes (FNV-1a, open addressing, kept at most
 * half full) from rendering to record and from name to domain.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"

/* hash - FNV-1a of s */
static uint64_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The key of entry i of an index's owner. */
typedef const char *(*key_fn)(const struct report_agg *a, size_t i);

static const char *
record_key(const struct report_agg *a, size_t i)
{
	return a->records[i].key;
}

static const char *
domain_key(const struct report_agg *a, size_t i)
{
	return a->domains[i].name;
}

/* index_find - the slot of key: holding its index + 1, or empty (0) */
static size_t
index_find(const struct report_agg *a, const struct report_index *x, key_fn key,
           const char *k)
{
	size_t mask = x->nslots - 1, s = (size_t)hash(k) & mask;

	while (x->slots[s] != 0 && strcmp(key(a, x->slots[s] - 1), k) != 0)
		s = (s + 1) & mask;
	return s;
}

/* index_grow - twice the slots, when half are taken; false on oom */
static bool
index_grow(struct report_agg *a, struct report_index *x, key_fn key)
{
	struct report_index bigger = {0};

	if (x->nslots != 0 && (x->count + 1) * 2 <= x->nslots)
		return true;
	bigger.nslots = x->nslots ? x->nslots * 2 : 64;
	bigger.count = x->count;
	if ((bigger.slots = calloc(bigger.nslots, sizeof(size_t))) == NULL)
		return false;
	for (size_t i = 0; i < x->nslots; i++)
		if (x->slots[i] != 0)
			bigger.slots[index_find(a, &bigger, key,
			                        key(a, x->slots[i] - 1))] =
			    x->slots[i];
	free(x->slots);
	*x = bigger;
	return true;
}

/* grow - room for one more element of size in *p (cap of them) */
static bool
grow(void **p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 16;
	void *q;

	if (n < *cap)
		return true;
	if ((q = realloc(*p, c * size)) == NULL)
		return false;
	*p = q;
	*cap = c;
	return true;
}

/* domain_of - the index of the domain named name, made when new;
 * (size_t)-1 on oom */
static size_t
domain_of(struct report_agg *a, const char *name)
{
	struct report_domain *d;
	size_t s;

	if (!index_grow(a, &a->domain_index, domain_key))
		return (size_t)-1;
	s = index_find(a, &a->domain_index, domain_key, name);
	if (a->domain_index.slots[s] != 0)
		return a->domain_index.slots[s] - 1;
	if (!grow((void **)&a->domains, &a->dcap, a->ndomains, sizeof(*d)))
		return (size_t)-1;
	d = &a->domains[a->ndomains];
	memset(d, 0, sizeof(*d));
	pcl_copy(d->name, sizeof(d->name), name);
	a->domain_index.slots[s] = ++a->ndomains;
	a->domain_index.count++;
	return a->ndomains - 1;
}

/* record_of - the record whose key is key, in domain d, made when new
 * (key then owned by it); NULL on oom */
static struct report_record *
record_of(struct report_agg *a, size_t d, struct buf *key)
{
	struct report_record *r;
	struct report_domain *dom = &a->domains[d];
	size_t s;

	if (!index_grow(a, &a->record_index, record_key))
		return NULL;
	s = index_find(a, &a->record_index, record_key, key->p);
	if (a->record_index.slots[s] != 0)
		return &a->records[a->record_index.slots[s] - 1];
	if (!grow((void **)&a->records, &a->rcap, a->nrecords, sizeof(*r)))
		return NULL;
	r = &a->records[a->nrecords];
	memset(r, 0, sizeof(*r));
	r->key = key->p;
	memset(key, 0, sizeof(*key));
	a->record_index.slots[s] = ++a->nrecords;
	a->record_index.count++;
	if (dom->last != 0)
		a->records[dom->last - 1].next = a->nrecords;
	else
		dom->first = a->nrecords;
	dom->last = a->nrecords;
	return r;
}

/* report_name_ok - letters, digits, '-', '_', dots; no dot first */
bool
report_name_ok(const char *s)
{
	if (*s == '\0' || *s == '.')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}

/* agg_add - one row */
bool
agg_add(const struct pcl_dmarc_report_row *row, void *ctx)
{
	struct report_agg *a = ctx;
	struct report_record *r;
	struct report_policy *p;
	struct buf key = {0};
	char name[PCL_DOMAIN_MAX + 1];
	size_t d, n;

	pcl_copy(name, sizeof(name), row->domain);
	pcl_lower(name);
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		name[n - 1] = '\0';
	if (a->only != NULL && strcasecmp(name, a->only) != 0) {
		a->other++;
		return true;
	}
	if (row->action == PCL_ACT_TEMPFAIL) {
		a->deferred++;
		return true;
	}
	/* the name makes a file's name (and a key's first part) */
	if (!report_name_ok(name)) {
		a->unnamed++;
		return true;
	}
	if ((d = domain_of(a, name)) == (size_t)-1)
		goto oom;
	/* the domain's name first: a From: domain may move from one
	 * policy domain to another within a day */
	buf_str(&key, name);
	buf_add(&key, "\1", 1);
	xml_record_key(row, a->format, &key);
	if (key.oom || (r = record_of(a, d, &key)) == NULL)
		goto oom;
	r->count++;
	a->domains[d].rows++;
	p = &a->domains[d].policy;
	p->p = row->p;
	p->sp = row->sp;
	p->np = row->np;
	p->adkim_strict = row->adkim_strict;
	p->aspf_strict = row->aspf_strict;
	p->testing = row->testing;
	p->psl = row->psl;
	pcl_copy(p->rua, sizeof(p->rua), row->rua);
	buf_free(&key);
	return true;
oom:
	buf_free(&key);
	a->oom = true;
	return false;
}

/* agg_free - the records, domains and indexes */
void
agg_free(struct report_agg *a)
{
	for (size_t i = 0; i < a->nrecords; i++)
		free(a->records[i].key);
	free(a->records);
	free(a->domains);
	free(a->record_index.slots);
	free(a->domain_index.slots);
	memset(a, 0, sizeof(*a));
}
