/*
 * dkim - the DKIM library handle: the DNS module keys are looked up
 * with, the verifier's limits, the cache of parsed public keys, and the
 * state signing keeps (dkim_sign.c); and the names of the results
 */
#include "config.h"

#include <stdlib.h>

#include "dkim_int.h"
#include "dkim_keycache.h"
#include "util.h"

/* pcl_dkim_lib_new - a handle on dns with the limits of conf (NULL:
 * the defaults); NULL with err */
struct pcl_dkim_lib *
pcl_dkim_lib_new(struct pcl_dns *dns, const struct pcl_dkim_lib_conf *conf,
                 char *err, size_t errlen)
{
	struct pcl_dkim_lib *dl;

	if (dns == NULL) {
		pcl_format(err, errlen, "dkim: no DNS resolver");
		return NULL;
	}
	if (conf != NULL &&
	    conf->max_signatures > PCL_DKIM_MAX_SIGNATURES_LIMIT) {
		pcl_format(err, errlen,
		           "dkim: at most %d signatures per message",
		           PCL_DKIM_MAX_SIGNATURES_LIMIT);
		return NULL;
	}
	dl = calloc(1, sizeof(*dl));
	if (dl == NULL ||
	    (dl->keys = dkim_keycache_new(DKIM_KEYCACHE_SLOTS)) == NULL) {
		free(dl);
		pcl_format(err, errlen, "dkim: out of memory");
		return NULL;
	}
	dl->dns = dns;
	dl->min_key_bits = DKIM_DEFAULT_MIN_KEY_BITS;
	dl->max_signatures = DKIM_DEFAULT_MAX_SIGNATURES;
	if (conf != NULL) {
		if (conf->min_key_bits != 0)
			dl->min_key_bits = conf->min_key_bits;
		if (conf->max_signatures != 0)
			dl->max_signatures = conf->max_signatures;
		dl->fixed_time = conf->fixed_time > 0 ? conf->fixed_time : 0;
	}
	return dl;
}

/* pcl_dkim_lib_free - the handle and its key cache (the DNS module is
 * the caller's); NULL is safe */
void
pcl_dkim_lib_free(struct pcl_dkim_lib *dl)
{
	if (dl == NULL)
		return;
	dkim_keycache_free(dl->keys);
	free(dl);
}

/* pcl_dkim_result_name - the RFC 8601 result keyword */
const char *
pcl_dkim_result_name(enum pcl_dkim_result r)
{
	switch (r) {
	case PCL_DKIM_PASS:
		return "pass";
	case PCL_DKIM_FAIL:
		return "fail";
	case PCL_DKIM_NEUTRAL:
		return "neutral";
	case PCL_DKIM_POLICY:
		return "policy";
	case PCL_DKIM_TEMPERROR:
		return "temperror";
	case PCL_DKIM_PERMERROR:
		return "permerror";
	}
	return "unknown";
}
