/*
 * dkim_int - internals shared by the DKIM files (dkim.c verifies;
 * dkim_sign*.c sign with the same library handle); no other module
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
	bool sign_ready; /* pcl_dkim_sign_prepare ran (calloc: false) */
};

enum dkim_key_type {
	DKIM_KEY_RSA = 1,
	DKIM_KEY_ED25519,
};

/* A private key (dkim_sign_key.c): the file's PEM text, handed to
 * libopendkim as it is, wiped when freed. */
struct pcl_dkim_key {
	char *path; /* the file it was read from */
	char *pem;
	size_t pemlen;
	enum dkim_key_type type;
	unsigned bits;
};

/* pcl_dkim_field_build - "name:value" into *buf (grown as needed),
 * every bare LF fold made CRLF and trailing line ends dropped; its
 * length, or 0 when longer than max or memory is short (dkim_sign.c;
 * the verifier has its own copy, header_build, for now) */
size_t pcl_dkim_field_build(char **buf, size_t *cap, const char *name,
                            const char *value, size_t max);

#endif
