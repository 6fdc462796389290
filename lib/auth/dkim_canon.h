/*
 * dkim_canon - DKIM canonicalization (RFC 6376 section 3.4), streaming
 *
 * The canonical form is handed to an emit function piece by piece (to
 * a hash, or to a buffer in the tests), never kept: a body of any size
 * costs a few bytes of state. Header fields are given as Postfix's
 * milter gives them: the value with its leading white space and folds
 * as bare LF (CRLF is accepted too); the body in chunks cut anywhere,
 * with CRLF line ends (a bare LF is taken as one).
 *
 *   pcl_dkim_canon_header(c, name, value, crlf, emit, ctx)  per field
 *   pcl_dkim_body_init(&b, c, limit, emit, ctx)
 *   pcl_dkim_body_update(&b, chunk, len)...
 *   pcl_dkim_body_final(&b)
 */
#ifndef PCL_DKIM_CANON_H
#define PCL_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pcl_canon_mode {
	PCL_CANON_SIMPLE = 0,
	PCL_CANON_RELAXED,
};

/* Where canonical bytes go. */
typedef void (*pcl_dkim_emit_fn)(void *ctx, const char *p, size_t n);

/* pcl_dkim_canon_header - one header field in canonical form, ended
 * with CRLF unless crlf is false (the DKIM-Signature field itself, last
 * in the header hash: RFC 6376 section 3.7) */
void pcl_dkim_canon_header(enum pcl_canon_mode c, const char *name,
                           const char *value, bool crlf, pcl_dkim_emit_fn emit,
                           void *ctx);

/* The state of one body being canonicalized. */
struct pcl_dkim_body {
	enum pcl_canon_mode c;
	pcl_dkim_emit_fn emit;
	void *ctx;
	uint64_t limit;   /* l=: bytes at most; UINT64_MAX: all */
	uint64_t emitted; /* canonical bytes emitted so far */
	uint64_t empty;   /* empty lines held back (dropped at the end) */
	bool cr;          /* a CR ended the last chunk */
	bool wsp;         /* relaxed: white space not yet emitted */
	bool in_line;     /* the current line has content */
};

/* pcl_dkim_body_init - start a body; limit is l= (UINT64_MAX: none) */
void pcl_dkim_body_init(struct pcl_dkim_body *b, enum pcl_canon_mode c,
                        uint64_t limit, pcl_dkim_emit_fn emit, void *ctx);

/* pcl_dkim_body_update - a chunk of the body */
void pcl_dkim_body_update(struct pcl_dkim_body *b, const unsigned char *p,
                          size_t n);

/* pcl_dkim_body_final - the end of the body: an unfinished last line is
 * ended, empty lines at the end dropped, and an empty body is CRLF in
 * simple and nothing in relaxed canonicalization */
void pcl_dkim_body_final(struct pcl_dkim_body *b);

#endif
