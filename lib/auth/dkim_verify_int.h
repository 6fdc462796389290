/*
 * dkim_verify_int - the verifier's state, shared by dkim_verify.c (the
 * header, the choice of signatures, the body) and dkim_verify_judge.c
 * (key lookups, hashes, verdicts); no other module includes this
 */
#ifndef PCL_DKIM_VERIFY_INT_H
#define PCL_DKIM_VERIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "dkim_canon.h"
#include "dkim_int.h"
#include "dkim_tags.h"

#define VERIFY_ID_MAX 64

enum verify_state {
	VERIFY_HEADERS = 0, /* taking header fields */
	VERIFY_BODY,        /* after the end of the header */
	VERIFY_DONE,        /* verdicts made */
};

/* One body hash: the body in one canonicalization up to one l=. */
struct vbody {
	enum pcl_canon_mode mode;
	uint64_t limit; /* l=, or UINT64_MAX */
	EVP_MD_CTX *md; /* NULL: OpenSSL failed */
	struct pcl_dkim_body canon;
	unsigned char digest[DKIM_SHA256_LEN];
	bool ok; /* digest made */
};

/* A key name asked for, and its lookup in the batch. */
struct vkey {
	char name[2 * PCL_DKIM_TAGS_DOMAIN_MAX + 16];
	int query;
};

/* The ARC sets of the message (RFC 8617): the kept fields of each
 * instance, then what was found. */
struct varc {
	size_t nfields;                        /* ARC fields seen */
	size_t aar[PCL_DKIM_TAGS_ARC_MAX + 1]; /* field index + 1; 0: none */
	size_t ams[PCL_DKIM_TAGS_ARC_MAX + 1];
	size_t as[PCL_DKIM_TAGS_ARC_MAX + 1];
	unsigned n;        /* the highest instance */
	struct vsig *seal; /* AS(1..n) at seal[i - 1] */
	struct vsig *sig;  /* AMS(1..n) at sig[i - 1] */
	struct pcl_arc_result result;
	bool decided; /* result is final before the keys */
};

/* One DKIM-Signature field examined. */
struct vsig {
	size_t field;                   /* its index among the kept fields */
	struct pcl_dkim_sig out;        /* the report */
	bool judged;                    /* out is final */
	bool chosen;                    /* parsed in full, to be verified */
	struct pcl_dkim_tags_sig *tags; /* when chosen */
	int query;                      /* its key lookup in the batch, or -1 */
	size_t body;                    /* its body hash, when chosen */
};

struct pcl_dkim_verify {
	struct pcl_dkim_lib *lib;
	enum verify_state state;
	char id[VERIFY_ID_MAX];
	/* the header: "name\0value\0" per field at field[i] in text */
	char *text;
	size_t used, cap;
	size_t *field;
	size_t nfields, fieldcap;
	bool overflow; /* a field could not be kept */
	struct vsig *sigs;
	size_t nsigs, sigcap;
	struct pcl_dkim_sig *report; /* the verdicts, once made */
	size_t scan_max;   /* DKIM-Signature fields examined at most */
	size_t unexamined; /* fields past scan_max or the budget */
	struct vbody bodies[PCL_DKIM_MAX_SIGNATURES_LIMIT + 4];
	size_t nbodies;
	struct pcl_dns_batch *batch;
	struct vkey *keys; /* names asked for, one query each */
	size_t nkeys;
	struct varc arc;
};

/* dkim_verify_set - the verdict of s, final (reason printf-style) */
void dkim_verify_set(struct vsig *s, enum pcl_dkim_result r, const char *fmt,
                     ...) __attribute__((format(printf, 3, 4)));

const char *dkim_verify_field_name(const struct pcl_dkim_verify *v, size_t i);
const char *dkim_verify_field_value(const struct pcl_dkim_verify *v, size_t i);

/* dkim_verify_md_emit - canonical bytes into a digest (an EVP_MD_CTX) */
void dkim_verify_md_emit(void *ctx, const char *p, size_t n);

/* dkim_verify_prepare - a chosen signature's key lookup queued and,
 * with body, its body hash ready; false with the verdict set */
bool dkim_verify_prepare(struct pcl_dkim_verify *v, struct vsig *s, bool body);

/* dkim_verify_key - the key of a chosen signature, its lookup answered,
 * held against it; NULL with the verdict set (EVP_PKEY_free it) */
EVP_PKEY *dkim_verify_key(struct pcl_dkim_verify *v, struct vsig *s);

/* dkim_verify_signature_ok - b= over a SHA-256: 1 good, 0 bad, -1 when
 * OpenSSL fails */
int dkim_verify_signature_ok(EVP_PKEY *pkey, const struct pcl_dkim_tags_sig *t,
                             const unsigned char hash[DKIM_SHA256_LEN]);

/* dkim_verify_judge - the verdict of a chosen DKIM-Signature or
 * ARC-Message-Signature, its key and body hash ready */
void dkim_verify_judge(struct pcl_dkim_verify *v, struct vsig *s);

/* dkim_verify_arc_header - an ARC field (arc.c); false when it is none */
bool dkim_verify_arc_header(struct pcl_dkim_verify *v, const char *name,
                            size_t field);

/* dkim_verify_arc_start - at the end of the header: the sets checked,
 * the seals' and the newest AMS's keys asked for */
void dkim_verify_arc_start(struct pcl_dkim_verify *v);

/* dkim_verify_arc_finish - at the end of the message: the chain judged */
void dkim_verify_arc_finish(struct pcl_dkim_verify *v);

/* dkim_verify_arc_free - what the ARC part holds */
void dkim_verify_arc_free(struct pcl_dkim_verify *v);

/* dkim_verify_start - at the end of the header: the key lookups sent,
 * the body hashes set up, for the chosen signatures */
void dkim_verify_start(struct pcl_dkim_verify *v);

/* dkim_verify_finish - at the end of the message: the body hashes
 * ended, the lookups awaited, every chosen signature judged */
void dkim_verify_finish(struct pcl_dkim_verify *v);

/* dkim_verify_release - the batch and the body hashes */
void dkim_verify_release(struct pcl_dkim_verify *v);

#endif
