/*
 * dkim_signer - DKIM signatures of our own (RFC 6376 3.5, 3.7, 5;
 * RFC 8463), one context per signature, over OpenSSL 3
 *
 * Per message: the header fields whose names are in the list (From
 * always) are kept as Postfix gives them; the body is canonicalized
 * as it streams (dkim_canon.c) into a SHA-256 (bh=). At the end of the
 * message the field is written, folded as it will be inserted:
 *
 *   v=1; a=; c=; d=; s=; t=; [x=;] h=; bh=; then b= on a line of its own
 *
 * h= names the kept fields in the order the message has them, then
 * From once more (oversigned, RFC 6376 8.15: a From added on the way
 * breaks the signature). The header hash takes, for each name of h=,
 * the lowest field of that name not yet taken (5.4.2); the extra From
 * finds none and adds nothing. Last comes this field itself, with b=
 * empty and no CRLF, canonicalized like the others: the bytes hashed
 * are the very bytes inserted (" v=1; ...\n\tb="; the LF TAB folds
 * reach the verifier as CRLF TAB, and simple canonicalization hashes
 * them so). b= is then filled in, folded inside its value, which a
 * verifier removes whole with the FWS in it (3.7). The signature is
 * over the SHA-256 of that input: RSASSA-PKCS1-v1_5 (rsa-sha256), or
 * PureEdDSA over the 32 hash bytes (ed25519-sha256, RFC 8463 3).
 *
 * The key was parsed at load (dkim_sign_key.c) and is shared read-only;
 * each context has its own EVP_MD_CTX. t= is the library's pinned
 * clock (tests) or now; x= = t= + pcl_dkim_sign_prepare's lifetime.
 *
 * Budgets, checked before the bytes are kept (the action: the
 * message is not signed, PCL_DKIM_SIGN_MESSAGE, as libopendkim did):
 *   SIGN_FIELD_MAX   bytes of one header field (name, colon, value);
 *   SIGN_KEPT_MAX    header fields kept for h= (its names must fit the
 *                    PCL_DKIM_SIGN_VALUE_MAX field);
 *   SIGN_KEPT_BYTES  bytes of all kept fields together.
 * Fields not in the list cost nothing; the body costs a few bytes of
 * canonicalizer state whatever its size.
 *
 * Failures are kept in the context (the first one wins) and reported
 * by pcl_dkim_sign_eom: "message" when the message is at fault (no
 * From field, a budget), "error" for everything on our side.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkim_canon.h"
#include "dkim_int.h"
#include "util.h"

#define SIGN_FIELD_MAX (256 * 1024)
#define SIGN_KEPT_MAX 100
#define SIGN_KEPT_BYTES (512 * 1024)
#define SIGN_NAMES_MAX 64
#define SIGN_LINE_MAX 78 /* RFC 5322 2.1.1: SHOULD be 78 at most */
#define SIGN_FIELD_NAME "DKIM-Signature"

enum sign_state {
	SIGN_HEADERS = 0,
	SIGN_BODY,
	SIGN_DONE,
	SIGN_FAILED,
};

/* A header field kept for signing, as Postfix gave it. */
struct kept {
	char *name;
	char *value; /* leading space kept, LF folds, no final line end */
	bool taken;  /* hashed already (bottom-up selection) */
};

struct pcl_dkim_signer_ctx {
	const struct pcl_dkim_lib *lib;       /* borrowed */
	const struct pcl_dkim_signer *signer; /* borrowed */
	enum sign_state state;
	enum pcl_dkim_sign_status failure;
	char error[PCL_ERR_MAX];
	enum pcl_canon_mode hc, bc;
	unsigned arc_instance; /* 0: a DKIM-Signature; else an AMS */
	const char *field;     /* the field's name */
	const char *names[SIGN_NAMES_MAX + 2]; /* the list, From added */
	struct kept kept[SIGN_KEPT_MAX];
	size_t nkept, kept_bytes;
	EVP_MD_CTX *md; /* body hash, then header hash */
	bool md_failed;
	struct pcl_dkim_body body;
	char *value; /* the field value, once made */
};

/* A field value being written with folds. */
struct fold {
	char *buf;
	size_t n, cap;
	size_t col; /* characters on the current line */
	bool full;
};

/* sign_fail - keep the first failure; later calls change nothing */
static void sign_fail(struct pcl_dkim_signer_ctx *ctx,
                      enum pcl_dkim_sign_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sign_fail(struct pcl_dkim_signer_ctx *ctx, enum pcl_dkim_sign_status status,
          const char *fmt, ...)
{
	va_list ap;

	if (ctx->state == SIGN_FAILED)
		return;
	ctx->state = SIGN_FAILED;
	ctx->failure = status;
	va_start(ap, fmt);
	(void)vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
}

/* mode_of - the canonicalizer's mode for an option (checked before) */
static enum pcl_canon_mode
mode_of(enum pcl_dkim_canon c)
{
	return c == PCL_DKIM_CANON_SIMPLE ? PCL_CANON_SIMPLE
	                                  : PCL_CANON_RELAXED;
}

/* pcl_dkim_sign_new - a signature for one message */
struct pcl_dkim_signer_ctx *
pcl_dkim_sign_new(struct pcl_dkim_lib *dl, const struct pcl_dkim_signer *signer,
                  const struct pcl_dkim_sign_opts *opts)
{
	static const struct pcl_dkim_sign_opts defaults;
	struct pcl_dkim_signer_ctx *ctx;
	const char *const *names;
	char err[PCL_ERR_MAX] = "";
	bool from = false;
	size_t n;

	if (dl == NULL || signer == NULL || signer->key == NULL)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->lib = dl;
	ctx->signer = signer;
	if (opts == NULL)
		opts = &defaults;
	if (!dl->sign_ready) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: signing not prepared (pcl_dkim_sign_prepare)");
		return ctx;
	}
	if (!pcl_dkim_sign_check(signer, opts, err, sizeof(err))) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "%s", err);
		return ctx;
	}
	ctx->hc = mode_of(opts->header_canon);
	ctx->bc = mode_of(opts->body_canon);
	ctx->arc_instance = opts->arc_instance;
	ctx->field =
	    opts->arc_instance ? "ARC-Message-Signature" : SIGN_FIELD_NAME;
	names = opts->headers != NULL ? opts->headers
	                              : pcl_dkim_sign_default_headers;
	for (n = 0; names[n] != NULL; n++) { /* at most SIGN_NAMES_MAX */
		ctx->names[n] = names[n];
		from = from || strcasecmp(names[n], "From") == 0;
	}
	if (!from)
		ctx->names[n++] = "From";
	ctx->names[n] = NULL;
	ctx->md = EVP_MD_CTX_new();
	if (ctx->md == NULL)
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: out of memory");
	return ctx;
}

/* listed - whether name is in the context's list */
static bool
listed(const struct pcl_dkim_signer_ctx *ctx, const char *name)
{
	for (size_t i = 0; ctx->names[i] != NULL; i++)
		if (strcasecmp(ctx->names[i], name) == 0)
			return true;
	return false;
}

/* pcl_dkim_sign_header - one header field as Postfix gives it */
void
pcl_dkim_sign_header(struct pcl_dkim_signer_ctx *ctx, const char *name,
                     const char *value)
{
	size_t nlen, vlen;
	struct kept *k;

	if (ctx == NULL || ctx->state != SIGN_HEADERS || name == NULL)
		return;
	if (value == NULL)
		value = "";
	nlen = strlen(name);
	vlen = strlen(value);
	while (vlen > 0 && (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
		vlen--;
	if (nlen + 1 + vlen > SIGN_FIELD_MAX) {
		sign_fail(ctx, PCL_DKIM_SIGN_MESSAGE,
		          "dkim: a header field is longer than %d bytes",
		          SIGN_FIELD_MAX);
		return;
	}
	if (!listed(ctx, name))
		return;
	if (ctx->nkept == SIGN_KEPT_MAX ||
	    ctx->kept_bytes + nlen + 1 + vlen > SIGN_KEPT_BYTES) {
		sign_fail(
		    ctx, PCL_DKIM_SIGN_MESSAGE,
		    "dkim: more than %d header fields or %d bytes to sign",
		    SIGN_KEPT_MAX, SIGN_KEPT_BYTES);
		return;
	}
	k = &ctx->kept[ctx->nkept];
	k->name = pcl_strdup(name);
	k->value = malloc(vlen + 1);
	if (k->name == NULL || k->value == NULL) {
		free(k->name);
		free(k->value);
		k->name = k->value = NULL;
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: out of memory");
		return;
	}
	memcpy(k->value, value, vlen);
	k->value[vlen] = '\0';
	ctx->nkept++;
	ctx->kept_bytes += nlen + 1 + vlen;
}

/* md_emit - canonical bytes into the context's hash */
static void
md_emit(void *arg, const char *p, size_t n)
{
	struct pcl_dkim_signer_ctx *ctx = arg;

	if (EVP_DigestUpdate(ctx->md, p, n) != 1)
		ctx->md_failed = true;
}

/* pcl_dkim_sign_eoh - end of header: a From field is needed */
void
pcl_dkim_sign_eoh(struct pcl_dkim_signer_ctx *ctx)
{
	bool from = false;

	if (ctx == NULL || ctx->state != SIGN_HEADERS)
		return;
	for (size_t i = 0; i < ctx->nkept; i++)
		from = from || strcasecmp(ctx->kept[i].name, "From") == 0;
	if (!from) {
		sign_fail(ctx, PCL_DKIM_SIGN_MESSAGE,
		          "dkim: cannot sign the header: no From field");
		return;
	}
	if (EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: cannot start the body hash");
		return;
	}
	pcl_dkim_body_init(&ctx->body, ctx->bc, UINT64_MAX, md_emit, ctx);
	ctx->state = SIGN_BODY;
}

/* pcl_dkim_sign_body - one body chunk, CRLF line ends */
void
pcl_dkim_sign_body(struct pcl_dkim_signer_ctx *ctx, const unsigned char *p,
                   size_t len)
{
	if (ctx == NULL)
		return;
	if (ctx->state == SIGN_HEADERS)
		pcl_dkim_sign_eoh(ctx);
	if (ctx->state != SIGN_BODY || p == NULL || len == 0)
		return;
	pcl_dkim_body_update(&ctx->body, p, len);
}

/* fold_put - text as it is on the current line */
static void
fold_put(struct fold *f, const char *s, size_t len)
{
	if (f->full || f->n + len + 1 > f->cap) {
		f->full = true;
		return;
	}
	memcpy(f->buf + f->n, s, len);
	f->n += len;
	f->buf[f->n] = '\0';
	f->col += len;
}

/* fold_break - a fold as a milter inserts it: LF TAB */
static void
fold_break(struct fold *f)
{
	fold_put(f, "\n\t", 2);
	f->col = 1;
}

/* fold_tag - " text", or a fold and text when the line would grow
 * past SIGN_LINE_MAX */
static void fold_tag(struct fold *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fold_tag(struct fold *f, const char *fmt, ...)
{
	char text[PCL_DOMAIN_MAX + 64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text)) {
		f->full = true;
		return;
	}
	if (f->col + 1 + (size_t)n > SIGN_LINE_MAX)
		fold_break(f);
	else
		fold_put(f, " ", 1);
	fold_put(f, text, (size_t)n);
}

/* write_head - the value up to "b=" (the part the header hash takes
 * with b= empty) */
static void
write_head(struct pcl_dkim_signer_ctx *ctx, struct fold *f, const char *bh)
{
	const struct pcl_dkim_signer *sg = ctx->signer;
	long t =
	    ctx->lib->fixed_time > 0 ? ctx->lib->fixed_time : (long)time(NULL);

	f->col = strlen(ctx->field) + 1;
	if (ctx->arc_instance)
		fold_tag(f, "i=%u;", ctx->arc_instance);
	else
		fold_tag(f, "v=1;");
	fold_tag(f, "a=%s;", pcl_dkim_key_algorithm(sg->key));
	fold_tag(f, "c=%s/%s;",
	         ctx->hc == PCL_CANON_SIMPLE ? "simple" : "relaxed",
	         ctx->bc == PCL_CANON_SIMPLE ? "simple" : "relaxed");
	fold_tag(f, "d=%s;", sg->domain);
	fold_tag(f, "s=%s;", sg->selector);
	fold_tag(f, "t=%ld;", t);
	if (ctx->lib->sign_expire != 0 && ctx->arc_instance == 0)
		fold_tag(f, "x=%lu;", (unsigned long)t + ctx->lib->sign_expire);
	/* h=: the kept names in message order, then From once more */
	for (size_t i = 0; i <= ctx->nkept; i++) {
		const char *name = i < ctx->nkept ? ctx->kept[i].name : "From";
		size_t len = strlen(name) + (i == ctx->nkept);

		if (i == 0) {
			fold_tag(f, "h=%s", name);
			continue;
		}
		fold_put(f, ":", 1);
		if (f->col + len > SIGN_LINE_MAX)
			fold_break(f);
		fold_put(f, name, strlen(name));
	}
	fold_put(f, ";", 1);
	fold_tag(f, "bh=%s;", bh);
	fold_break(f);
	fold_put(f, "b=", 2);
}

/* hash_headers - the header hash: the fields of h= bottom-up, then
 * the signature field head (b= empty, no CRLF) */
static void
hash_headers(struct pcl_dkim_signer_ctx *ctx, const char *head)
{
	for (size_t i = 0; i < ctx->nkept; i++) {
		const char *name = ctx->kept[i].name;

		for (size_t j = ctx->nkept; j-- > 0;) {
			struct kept *k = &ctx->kept[j];

			if (!k->taken && strcasecmp(k->name, name) == 0) {
				k->taken = true;
				pcl_dkim_canon_header(ctx->hc, k->name,
				                      k->value, true, md_emit,
				                      ctx);
				break;
			}
		}
	}
	/* the oversigned From: no field left, nothing hashed */
	pcl_dkim_canon_header(ctx->hc, ctx->field, head, false, md_emit, ctx);
}

/* pcl_dkim_sign_digest - sign the SHA-256 of a signing input */
size_t
pcl_dkim_sign_digest(const struct pcl_dkim_key *key,
                     const unsigned char hash[DKIM_SHA256_LEN],
                     unsigned char sig[DKIM_SIG_MAX])
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	size_t len = DKIM_SIG_MAX;
	bool ok = false;

	if (key == NULL || key->pkey == NULL ||
	    EVP_PKEY_get_size(key->pkey) > DKIM_SIG_MAX)
		return 0;
	if (key->type == DKIM_KEY_ED25519) {
		/* one-shot only: no digest, no update (LIBRARIES.md 8) */
		mc = EVP_MD_CTX_new();
		ok = mc != NULL &&
		     EVP_DigestSignInit(mc, NULL, NULL, NULL, key->pkey) == 1 &&
		     EVP_DigestSign(mc, sig, &len, hash, DKIM_SHA256_LEN) == 1;
	} else {
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
		ok = pc != NULL && EVP_PKEY_sign_init(pc) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(pc, sig, &len, hash, DKIM_SHA256_LEN) == 1;
	}
	EVP_MD_CTX_free(mc);
	EVP_PKEY_CTX_free(pc);
	ERR_clear_error(); /* the queue is per thread: leave it empty */
	return ok ? len : 0;
}

/* b64 - base64 of n bytes into out (room for 4 * ceil(n / 3) + 1) */
static void
b64(char *out, const unsigned char *p, size_t n)
{
	(void)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

/* fold_b - b='s value, base64 of the signature, folded inside (a
 * verifier deletes the value whole, folds and all: 3.7) */
static void
fold_b(struct fold *f, const unsigned char *sig, size_t siglen)
{
	char b[4 * DKIM_SIG_MAX / 3 + 8];
	size_t blen;

	b64(b, sig, siglen);
	blen = strlen(b);
	for (size_t off = 0; off < blen;) {
		size_t room = SIGN_LINE_MAX -
		              (f->col < SIGN_LINE_MAX ? f->col : SIGN_LINE_MAX);
		size_t n = blen - off < room ? blen - off : room;

		if (n == 0) {
			fold_break(f);
			continue;
		}
		fold_put(f, b + off, n);
		off += n;
	}
}

/* too_long - the field would not fit what pcl_dkim_sign_eom hands out */
static void
too_long(struct pcl_dkim_signer_ctx *ctx)
{
	sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
	          "dkim: the signature field is longer than %d bytes",
	          PCL_DKIM_SIGN_VALUE_MAX);
}

/* sign_finish - body hash, the field, the header hash, the signature;
 * the value in ctx->value, or a failure */
static void
sign_finish(struct pcl_dkim_signer_ctx *ctx)
{
	unsigned char hash[DKIM_SHA256_LEN], sig[DKIM_SIG_MAX];
	char bh[64];
	struct fold f = {0};
	unsigned hlen = 0;
	size_t siglen;

	pcl_dkim_body_final(&ctx->body);
	if (ctx->md_failed || EVP_DigestFinal_ex(ctx->md, hash, &hlen) != 1 ||
	    hlen != DKIM_SHA256_LEN) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: body hash failed");
		return;
	}
	b64(bh, hash, hlen);
	f.cap = PCL_DKIM_SIGN_VALUE_MAX;
	f.buf = malloc(f.cap);
	if (f.buf == NULL) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: out of memory");
		return;
	}
	write_head(ctx, &f, bh);
	if (f.full) {
		free(f.buf);
		too_long(ctx);
		return;
	}
	if (EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1)
		ctx->md_failed = true;
	else
		hash_headers(ctx, f.buf);
	if (ctx->md_failed || EVP_DigestFinal_ex(ctx->md, hash, &hlen) != 1) {
		free(f.buf);
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: header hash failed");
		return;
	}
	siglen = pcl_dkim_sign_digest(ctx->signer->key, hash, sig);
	if (siglen == 0) {
		free(f.buf);
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: cannot sign as d=%s s=%s: OpenSSL failed",
		          ctx->signer->domain, ctx->signer->selector);
		return;
	}
	fold_b(&f, sig, siglen);
	if (f.full) {
		free(f.buf);
		too_long(ctx);
		return;
	}
	ctx->value = f.buf;
	ctx->state = SIGN_DONE;
}

/* pcl_dkim_sign_arc_instance - the AMS's final i= */
void
pcl_dkim_sign_arc_instance(struct pcl_dkim_signer_ctx *ctx, unsigned i)
{
	if (ctx != NULL && ctx->arc_instance != 0 && i >= 1 && i <= 50)
		ctx->arc_instance = i;
}

/* pcl_dkim_sign_eom - finish and write the DKIM-Signature value */
enum pcl_dkim_sign_status
pcl_dkim_sign_eom(struct pcl_dkim_signer_ctx *ctx, char *out, size_t len)
{
	if (out != NULL && len > 0)
		out[0] = '\0';
	if (ctx == NULL)
		return PCL_DKIM_SIGN_ERROR;
	if (out == NULL || len < 2)
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: no output buffer");
	if (ctx->state == SIGN_HEADERS)
		pcl_dkim_sign_eoh(ctx);
	if (ctx->state == SIGN_BODY)
		sign_finish(ctx);
	if (ctx->state == SIGN_FAILED)
		return ctx->failure;
	if (!pcl_copy(out, len, ctx->value)) {
		out[0] = '\0';
		sign_fail(
		    ctx, PCL_DKIM_SIGN_ERROR,
		    "dkim: the signature field (%zu bytes) does not fit in "
		    "%zu",
		    strlen(ctx->value) + 1, len);
		return ctx->failure;
	}
	return PCL_DKIM_SIGN_OK;
}

/* pcl_dkim_sign_error - why the context failed; "" when it did not */
const char *
pcl_dkim_sign_error(const struct pcl_dkim_signer_ctx *ctx)
{
	if (ctx == NULL)
		return "dkim: no signer";
	return ctx->state == SIGN_FAILED ? ctx->error : "";
}

/* pcl_dkim_sign_free - free the context; NULL is safe */
void
pcl_dkim_sign_free(struct pcl_dkim_signer_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = 0; i < ctx->nkept; i++) {
		free(ctx->kept[i].name);
		free(ctx->kept[i].value);
	}
	EVP_MD_CTX_free(ctx->md);
	free(ctx->value);
	free(ctx);
}

/* seal_emit - canonical bytes into a digest */
static void
seal_emit(void *md, const char *p, size_t n)
{
	(void)EVP_DigestUpdate(md, p, n);
}

/* pcl_arc_seal - an ARC-Seal value (RFC 8617 4.1.3, 5.1.1) */
enum pcl_dkim_sign_status
pcl_arc_seal(const struct pcl_dkim_lib *lib,
             const struct pcl_dkim_signer *signer, unsigned instance,
             const char *cv, const char *const *prior, const char *aar,
             const char *ams, char *out, size_t len)
{
	static const char *const names[3] = {
	    "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};
	unsigned char hash[DKIM_SHA256_LEN], sig[DKIM_SIG_MAX];
	struct fold f = {.buf = out, .cap = len};
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	long t = lib->fixed_time > 0 ? lib->fixed_time : (long)time(NULL);
	size_t siglen = 0;
	bool ok;

	if (len > 0)
		out[0] = '\0';
	ok = md != NULL && instance >= 1 && instance <= 50 && len > 0 &&
	     EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	f.col = strlen("ARC-Seal:");
	fold_tag(&f, "i=%u;", instance);
	fold_tag(&f, "a=%s;", pcl_dkim_key_algorithm(signer->key));
	fold_tag(&f, "cv=%s;", cv);
	fold_tag(&f, "d=%s;", signer->domain);
	fold_tag(&f, "s=%s;", signer->selector);
	fold_tag(&f, "t=%ld;", t);
	fold_break(&f);
	fold_put(&f, "b=", 2);
	/* a seal of a failed chain covers its own set alone (RFC 8617
	 * 5.1.2): as if it were the only set */
	for (unsigned i = 0; ok && strcmp(cv, "fail") != 0 && i + 1 < instance;
	     i++)
		for (int k = 0; k < 3; k++)
			pcl_dkim_canon_header(PCL_CANON_RELAXED, names[k],
			                      prior[3 * i + (unsigned)k], true,
			                      seal_emit, md);
	if (ok && !f.full) {
		pcl_dkim_canon_header(PCL_CANON_RELAXED, names[0], aar, true,
		                      seal_emit, md);
		pcl_dkim_canon_header(PCL_CANON_RELAXED, names[1], ams, true,
		                      seal_emit, md);
		pcl_dkim_canon_header(PCL_CANON_RELAXED, names[2], out, false,
		                      seal_emit, md);
		ok =
		    EVP_DigestFinal_ex(md, hash, NULL) == 1 &&
		    (siglen = pcl_dkim_sign_digest(signer->key, hash, sig)) > 0;
	}
	EVP_MD_CTX_free(md);
	if (ok)
		fold_b(&f, sig, siglen);
	if (!ok || f.full) {
		if (len > 0)
			out[0] = '\0';
		return PCL_DKIM_SIGN_ERROR;
	}
	return PCL_DKIM_SIGN_OK;
}
