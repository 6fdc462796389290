/*
 * dkim_craft - a DKIM signer for the test suites that may write any
 * tag: an expired x=, an l= past the end of the body, i= in a
 * subdomain, a z= of 60 KB, an a= the key does not have
 *
 * Independent of lib/auth (which it tests): its own relaxed header
 * canonicalization and header selection (RFC 6376 3.4.2, 5.4.2), RSA
 * and Ed25519 straight from OpenSSL. Signatures are c=relaxed/simple,
 * over bodies that are in simple canonical form already (CRLF line
 * ends, one CRLF at the end, no empty line before it), so that the body
 * hash is the SHA-256 of the bytes as they are. Messages are kept the
 * way Postfix's milter gives them: values with the leading space, folds
 * as bare LF. Every failure is a test failure (ck_assert).
 */
#ifndef PCL_DKIM_CRAFT_H
#define PCL_DKIM_CRAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "dkim.h"

/* A growable string. */
struct craft_buf {
	char *p; /* NUL-terminated */
	size_t len, cap;
};

void craft_buf_add(struct craft_buf *b, const char *data, size_t n);
void craft_buf_printf(struct craft_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void craft_buf_free(struct craft_buf *b);

struct craft_key {
	EVP_PKEY *pkey;
	bool ed;      /* Ed25519, else RSA */
	char p[1024]; /* the record's p=, base64 */
};

/* craft_key_new - a new RSA-2048 or Ed25519 key */
struct craft_key *craft_key_new(bool ed);
void craft_key_free(struct craft_key *k);

/* craft_record - the key's TXT record as a zone-file line appended to
 * zone: owner, then "v=DKIM1; k=...; <tags>p=..." cut into nstrings
 * quoted strings of about equal length (0: strings of 250 bytes) */
void craft_record(struct craft_buf *zone, const char *owner,
                  const struct craft_key *k, const char *tags, size_t nstrings);

/* A message as the milter gives it. */
struct craft_msg {
	size_t n, cap;
	char **names;
	char **values; /* leading space kept, folds as bare LF */
	char *body;    /* simple-canonical, CRLF */
	size_t bodylen;
};

void craft_msg_init(struct craft_msg *m, const char *body);
/* craft_msg_add - a field below the others; craft_msg_top - above */
void craft_msg_add(struct craft_msg *m, const char *name, const char *value);
void craft_msg_top(struct craft_msg *m, const char *name, const char *value);
void craft_msg_free(struct craft_msg *m);

struct craft_sig {
	const struct craft_key *key;
	const char *alg; /* a=; NULL: the key's own */
	const char *d, *s;
	const char *h;       /* "from:subject" */
	const char *tags;    /* more tags, each ending in "; ", or NULL */
	uint64_t body_limit; /* body bytes hashed; 0: all of it */
};

/* craft_sign - a DKIM-Signature value (leading space) over m, put on
 * top of m too */
void craft_sign(struct craft_msg *m, const struct craft_sig *sig);

/* craft_feed - m through v: fields, eoh, the body in chunks of chunk
 * bytes (0: one), eom */
void craft_feed(struct pcl_dkim_verify *v, const struct craft_msg *m,
                size_t chunk);

#endif
