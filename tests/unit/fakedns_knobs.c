/*
 * fakedns_knobs - the knobs and query counters of fakedns
 *
 * A knob per normalised query name ("*.zone": every name under zone
 * without one of its own; "*": every name without either) says how to
 * misbehave; the server thread reads a copy of it per
 * query while counting the query. Knobs and counters are shared with
 * the test thread under one mutex.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fakedns.h"
#include "fakedns_int.h"

static struct {
	bool ready; /* between fk_knobs_init and fk_knobs_free */
	pthread_mutex_t lock;
	struct knob *knobs;
	size_t nknobs;
	unsigned total;
} kn;

/* fk_normalize - lower case, no trailing dot */
void
fk_normalize(const char *in, char out[FK_NAME_MAX])
{
	size_t n = strlen(in);

	if (n >= FK_NAME_MAX)
		n = FK_NAME_MAX - 1;
	if (n > 1 && in[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[n] = '\0';
}

/* fk_knob - the knob of a normalised name, created on demand; lock
 * held; NULL out of memory */
static struct knob *
fk_knob(const char *name, bool create)
{
	struct knob *grown;

	for (size_t i = 0; i < kn.nknobs; i++)
		if (strcmp(kn.knobs[i].name, name) == 0)
			return &kn.knobs[i];
	if (!create)
		return NULL;
	grown = realloc(kn.knobs, (kn.nknobs + 1) * sizeof(*grown));
	if (grown == NULL)
		return NULL;
	kn.knobs = grown;
	memset(&kn.knobs[kn.nknobs], 0, sizeof(kn.knobs[0]));
	memcpy(kn.knobs[kn.nknobs].name, name, strlen(name) + 1);
	kn.knobs[kn.nknobs].rcode = -1;
	return &kn.knobs[kn.nknobs++];
}

/* fk_set - apply one knob setting to name */
static void
fk_set(const char *name, void (*set)(struct knob *, int), int arg)
{
	char norm[FK_NAME_MAX];
	struct knob *k;

	if (!kn.ready || name == NULL)
		return;
	fk_normalize(name, norm);
	pthread_mutex_lock(&kn.lock);
	k = fk_knob(norm, true);
	if (k != NULL)
		set(k, arg);
	pthread_mutex_unlock(&kn.lock);
}

/* set_delay - the knob setter of fakedns_set_delay */
static void
set_delay(struct knob *k, int ms)
{
	k->delay_ms = (unsigned)ms;
}

/* set_drop - the knob setter of fakedns_set_drop */
static void
set_drop(struct knob *k, int unused)
{
	(void)unused;
	k->drop = true;
}

/* set_drop_empty - the knob setter of fakedns_set_drop_empty */
static void
set_drop_empty(struct knob *k, int unused)
{
	(void)unused;
	k->drop_empty = true;
}

/* set_rcode - the knob setter of fakedns_set_rcode */
static void
set_rcode(struct knob *k, int rcode)
{
	k->rcode = rcode;
}

/* set_truncate - the knob setter of fakedns_set_truncate */
static void
set_truncate(struct knob *k, int unused)
{
	(void)unused;
	k->truncate = true;
}

/* set_spoof - the knob setter of fakedns_set_spoof */
static void
set_spoof(struct knob *k, int unused)
{
	(void)unused;
	k->spoof = true;
}

/* set_garbage - the knob setter of fakedns_set_garbage */
static void
set_garbage(struct knob *k, int unused)
{
	(void)unused;
	k->garbage = true;
}

/* set_hold - the knob setter of fakedns_set_hold and fakedns_release */
static void
set_hold(struct knob *k, int hold)
{
	k->hold = hold != 0;
}

/* fakedns_set_hold - hold answers for name until released */
void
fakedns_set_hold(const char *name)
{
	fk_set(name, set_hold, 1);
}

/* fk_release - the knob side of fakedns_release: hold no more */
void
fk_release(const char *name)
{
	fk_set(name, set_hold, 0);
}

/* fk_holding - does the knob named knob still hold answers */
bool
fk_holding(const char *knob)
{
	struct knob *k;
	bool held;

	pthread_mutex_lock(&kn.lock);
	k = fk_knob(knob, false);
	held = k != NULL && k->hold;
	pthread_mutex_unlock(&kn.lock);
	return held;
}

/* fakedns_set_delay - delay answers for name */
void
fakedns_set_delay(const char *name, unsigned ms)
{
	fk_set(name, set_delay, (int)ms);
}

/* fakedns_set_drop - never answer name */
void
fakedns_set_drop(const char *name)
{
	fk_set(name, set_drop, 0);
}

/* fakedns_set_drop_empty - never answer name with no records */
void
fakedns_set_drop_empty(const char *name)
{
	fk_set(name, set_drop_empty, 0);
}

/* fakedns_set_servfail - answer name with SERVFAIL */
void
fakedns_set_servfail(const char *name)
{
	fk_set(name, set_rcode, LDNS_RCODE_SERVFAIL);
}

/* fakedns_set_rcode - answer name with rcode */
void
fakedns_set_rcode(const char *name, int rcode)
{
	fk_set(name, set_rcode, rcode);
}

/* set_tcp_close - the knob setter of fakedns_set_tcp_close */
static void
set_tcp_close(struct knob *k, int unused)
{
	(void)unused;
	k->tcp_close = true;
}

/* fakedns_set_tcp_close - hang up on TCP queries for name */
void
fakedns_set_tcp_close(const char *name)
{
	fk_set(name, set_tcp_close, 0);
}

/* fakedns_set_truncate - TC on UDP for name */
void
fakedns_set_truncate(const char *name)
{
	fk_set(name, set_truncate, 0);
}

/* fakedns_set_spoof - forged replies first for name */
void
fakedns_set_spoof(const char *name)
{
	fk_set(name, set_spoof, 0);
}

/* fakedns_set_garbage - an unparsable reply for name */
void
fakedns_set_garbage(const char *name)
{
	fk_set(name, set_garbage, 0);
}

/* fakedns_queries - queries seen for name, or all */
unsigned
fakedns_queries(const char *name)
{
	char norm[FK_NAME_MAX];
	struct knob *k;
	unsigned n = 0;

	if (!kn.ready)
		return 0;
	pthread_mutex_lock(&kn.lock);
	if (name == NULL) {
		n = kn.total;
	} else {
		fk_normalize(name, norm);
		k = fk_knob(norm, false);
		n = k ? k->queries : 0;
	}
	pthread_mutex_unlock(&kn.lock);
	return n;
}

/* fakedns_reset - forget knobs and counters */
void
fakedns_reset(void)
{
	if (!kn.ready)
		return;
	pthread_mutex_lock(&kn.lock);
	free(kn.knobs);
	kn.knobs = NULL;
	kn.nknobs = 0;
	kn.total = 0;
	pthread_mutex_unlock(&kn.lock);
}

/* knob_set - does k say to misbehave at all */
static bool
knob_set(const struct knob *k)
{
	return k->delay_ms || k->drop || k->drop_empty || k->truncate ||
	       k->tcp_close || k->spoof || k->garbage || k->hold ||
	       k->rcode >= 0;
}

/* fk_zone_knob - the knob "*.ZONE" of the longest zone that name is
 * under, or NULL; lock held */
static struct knob *
fk_zone_knob(const char *name)
{
	struct knob *best = NULL;
	size_t n = strlen(name), bestlen = 0;

	for (size_t i = 0; i < kn.nknobs; i++) {
		const char *z = kn.knobs[i].name;
		size_t zl;

		if (z[0] != '*' || z[1] != '.')
			continue;
		z += 2;
		zl = strlen(z);
		if (zl < n && name[n - zl - 1] == '.' &&
		    strcmp(name + n - zl, z) == 0 && zl > bestlen) {
			best = &kn.knobs[i];
			bestlen = zl;
		}
	}
	return best;
}

/* fk_count - count a query for name; the knob that applies to it */
void
fk_count(const char *name, struct knob *k)
{
	struct knob *mine;
	struct knob *star;
	struct knob *zone;

	pthread_mutex_lock(&kn.lock);
	mine = fk_knob(name, true);
	star = fk_knob("*", false);
	zone = fk_zone_knob(name);
	if (zone != NULL)
		zone->queries++;
	if (mine != NULL)
		mine->queries++;
	kn.total++;
	if (mine != NULL && knob_set(mine))
		*k = *mine;
	else if (zone != NULL)
		*k = *zone;
	else if (star != NULL)
		*k = *star;
	pthread_mutex_unlock(&kn.lock);
}

/* fk_knobs_init - no knobs, counters at zero */
void
fk_knobs_init(void)
{
	memset(&kn, 0, sizeof(kn));
	pthread_mutex_init(&kn.lock, NULL);
	kn.ready = true;
}

/* fk_knobs_free - undo fk_knobs_init */
void
fk_knobs_free(void)
{
	if (!kn.ready)
		return;
	free(kn.knobs);
	pthread_mutex_destroy(&kn.lock);
	memset(&kn, 0, sizeof(kn));
}
