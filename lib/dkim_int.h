/*
 * dkim_int - internals shared by the DKIM files (dkim.c verifies; the
 * signing file will share the library handle); no other module
 * includes this
 *
 * libopendkim's header is included as <opendkim/dkim.h>: its
 * pkg-config flags add -I/usr/include/opendkim, where a bare <dkim.h>
 * would also match portcullis's own lib/dkim.h.
 */
#ifndef PCL_DKIM_INT_H
#define PCL_DKIM_INT_H

#include <opendkim/dkim.h>

#include "dkim.h"

#define DKIM_DEFAULT_MIN_KEY_BITS 1024
#define DKIM_DEFAULT_MAX_SIGNATURES 5
#define DKIM_DEFAULT_TIMEOUT 5

/* The library handle: immutable after pcl_dkim_lib_new, so threads
 * share it without a lock. It is also libopendkim's DNS "service"
 * (the first argument of every DNS hook). */
struct pcl_dkim_lib {
	DKIM_LIB *lib;
	struct pcl_dns *dns; /* borrowed: the caller frees it, after us */
	unsigned min_key_bits;
	unsigned max_signatures;
};

#endif
