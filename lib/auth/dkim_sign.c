/*
 * dkim_sign - DKIM signatures with libopendkim, one context per
 * signature
 *
 * Signing shares the verifier's DKIM_LIB (struct pcl_dkim_lib): the
 * DNS hooks are not used when signing, and the library options signing
 * needs (oversigned From, the x= lifetime) are set once by
 * pcl_dkim_sign_prepare, before threads start, because libopendkim
 * keeps them per library. They only change the signatures it makes.
 *
 * Per message: dkim_sign with the signer's PEM text (libopendkim
 * copies it), the header list set per handle with dkim_signhdrs (it
 * adds From itself), header fields fed as "Name:value" with the bare
 * LF folds of Postfix made CRLF and no trailing line end, the body as
 * it comes, then dkim_eom and dkim_getsighdr_d. The value that comes
 * back is folded with CRLF TAB; a milter must insert LF TAB, so the
 * CRs are dropped and the leading space Postfix keeps
 * (SMFIP_HDR_LEADSPC) is added. With simple header canonicalization
 * the inserted field must be byte for byte what was signed: "name:" +
 * " " + value, which is what libopendkim hashed (initial = the name's
 * length + 2).
 *
 * Failures are kept in the context (the first one wins) and reported
 * by pcl_dkim_sign_eom: "message" when the message is at fault (no
 * From field), "error" for everything on our side.
 *
 * The key is not loaded before dkim_eom (dkim_privkey_load): a handle
 * freed before eom (an aborted message) would leak the loaded key, as
 * libopendkim frees a key only once a signature holds it. Ed25519 keys
 * leak even then (libopendkim 2.11.0~beta2, see dkim.h): about 520
 * bytes per signature, unavoidable from outside the library.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"
#include "util.h"

/* longest header field signed, as in the verifier */
#define SIGN_FIELD_MAX (256 * 1024)
#define SIGN_NAMES_MAX 64
#define SIGN_NAME_LEN_MAX 64

const char *const pcl_dkim_sign_default_headers[] = {
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "In-Reply-To",
    "References",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "List-Help",
    "List-Subscribe",
    "List-Owner",
    "List-Archive",
    NULL,
};

/* h= names From once more than there are From fields, so a From added
 * on the way makes the signature fail (RFC 6376 8.15) */
static const char *oversign_headers[] = {"from", NULL};

enum sign_state {
	SIGN_HEADERS = 0,
	SIGN_BODY,
	SIGN_DONE,
	SIGN_FAILED,
};

struct pcl_dkim_signer_ctx {
	DKIM *dkim;
	const struct pcl_dkim_signer *signer; /* borrowed */
	enum sign_state state;
	enum pcl_dkim_sign_status failure;
	char error[PCL_ERR_MAX];
	char id[8];  /* libopendkim keeps a pointer to it */
	char *field; /* "Name:value" with CRLF folds */
	size_t fieldcap;
	const char *names[SIGN_NAMES_MAX + 1]; /* for dkim_signhdrs */
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

/* lib_why - libopendkim's last error for this handle */
static const char *
lib_why(const struct pcl_dkim_signer_ctx *ctx, DKIM_STAT stat)
{
	const char *why = ctx->dkim != NULL ? dkim_geterror(ctx->dkim) : NULL;

	if (why == NULL || *why == '\0')
		why = dkim_getresultstr(stat);
	return why != NULL ? why : "unknown error";
}

/* pcl_dkim_sign_prepare - the per-library signing options */
bool
pcl_dkim_sign_prepare(struct pcl_dkim_lib *dl, unsigned long expire_s,
                      char *err, size_t errlen)
{
	uint64_t ttl = expire_s;

	if (dl == NULL || dl->lib == NULL) {
		pcl_format(err, errlen, "dkim: no library handle");
		return false;
	}
	if (dkim_options(dl->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	                 oversign_headers,
	                 sizeof(const char **)) != DKIM_STAT_OK ||
	    dkim_options(dl->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNATURETTL, &ttl,
	                 sizeof(ttl)) != DKIM_STAT_OK) {
		pcl_format(err, errlen,
		           "dkim: cannot set libopendkim's signing options");
		return false;
	}
	dl->sign_ready = true;
	return true;
}

/* canon_of - libopendkim's canonicalization for ours */
static bool
canon_of(enum pcl_dkim_canon c, dkim_canon_t *out)
{
	switch (c) {
	case PCL_DKIM_CANON_DEFAULT:
	case PCL_DKIM_CANON_RELAXED:
		*out = DKIM_CANON_RELAXED;
		return true;
	case PCL_DKIM_CANON_SIMPLE:
		*out = DKIM_CANON_SIMPLE;
		return true;
	}
	return false;
}

/* name_ok - a header name safe in libopendkim's list, which it turns
 * into a regular expression: letters, digits, '-' and '_' */
static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SIGN_NAME_LEN_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
	                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == n;
}

/* pcl_dkim_sign_check - whether opts can sign with signer */
bool
pcl_dkim_sign_check(const struct pcl_dkim_signer *signer,
                    const struct pcl_dkim_sign_opts *opts, char *err,
                    size_t errlen)
{
	const char *const *names;
	dkim_canon_t hc = DKIM_CANON_RELAXED, bc = DKIM_CANON_RELAXED;
	size_t n;

	if (opts == NULL)
		return true; /* the defaults */
	if (!canon_of(opts->header_canon, &hc) ||
	    !canon_of(opts->body_canon, &bc)) {
		pcl_format(err, errlen, "dkim: bad canonicalization option");
		return false;
	}
	/* libopendkim 2.11 folds an Ed25519 signature field before "b="
	 * when b= is filled in but not when it hashes the field with b=
	 * empty (for RSA it forces the fold both times); with simple
	 * header canonicalization that whitespace counts, and the
	 * signature never verifies */
	if (signer != NULL && signer->key != NULL &&
	    signer->key->type == DKIM_KEY_ED25519 && hc == DKIM_CANON_SIMPLE) {
		pcl_format(err, errlen,
		           "dkim: simple header canonicalization does not work "
		           "with the Ed25519 key of d=%s s=%s; use relaxed",
		           signer->domain, signer->selector);
		return false;
	}
	names = opts->headers != NULL ? opts->headers
	                              : pcl_dkim_sign_default_headers;
	for (n = 0; names[n] != NULL; n++) {
		if (n == SIGN_NAMES_MAX) {
			pcl_format(err, errlen,
			           "dkim: more than %d header names to sign",
			           SIGN_NAMES_MAX);
			return false;
		}
		if (!name_ok(names[n])) {
			pcl_format(err, errlen,
			           "dkim: bad header name \"%.*s\" to sign",
			           SIGN_NAME_LEN_MAX, names[n]);
			return false;
		}
	}
	return true;
}

/* pcl_dkim_sign_new - a signature for one message */
struct pcl_dkim_signer_ctx *
pcl_dkim_sign_new(struct pcl_dkim_lib *dl, const struct pcl_dkim_signer *signer,
                  const struct pcl_dkim_sign_opts *opts)
{
	static const struct pcl_dkim_sign_opts defaults;
	struct pcl_dkim_signer_ctx *ctx;
	const char *const *names;
	dkim_canon_t hc = DKIM_CANON_RELAXED, bc = DKIM_CANON_RELAXED;
	dkim_alg_t alg;
	DKIM_STAT stat = DKIM_STAT_OK;
	char err[PCL_ERR_MAX] = "";
	size_t n;

	if (dl == NULL || signer == NULL || signer->key == NULL)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->signer = signer;
	pcl_copy(ctx->id, sizeof(ctx->id), "sign");
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
	(void)canon_of(opts->header_canon, &hc);
	(void)canon_of(opts->body_canon, &bc);
	names = opts->headers != NULL ? opts->headers
	                              : pcl_dkim_sign_default_headers;
	for (n = 0; names[n] != NULL; n++) /* at most SIGN_NAMES_MAX */
		ctx->names[n] = names[n];
	ctx->names[n] = NULL;
	alg = signer->key->type == DKIM_KEY_ED25519 ? DKIM_SIGN_ED25519SHA256
	                                            : DKIM_SIGN_RSASHA256;
	ctx->dkim = dkim_sign(dl->lib, (const unsigned char *)ctx->id, NULL,
	                      (dkim_sigkey_t)signer->key->pem,
	                      (const unsigned char *)signer->selector,
	                      (const unsigned char *)signer->domain, hc, bc,
	                      alg, -1, &stat);
	if (ctx->dkim == NULL) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: cannot sign as d=%s s=%s: %s", signer->domain,
		          signer->selector, lib_why(ctx, stat));
		return ctx;
	}
	stat = dkim_signhdrs(ctx->dkim, ctx->names);
	if (stat != DKIM_STAT_OK)
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: libopendkim refused the header list: %s",
		          lib_why(ctx, stat));
	return ctx;
}

/* pcl_dkim_field_build - "name:value" with CRLF folds into *buf */
size_t
pcl_dkim_field_build(char **buf, size_t *cap, const char *name,
                     const char *value, size_t max)
{
	size_t nlen = strlen(name);
	size_t vlen = strlen(value);
	size_t need = nlen + 1 + 2 * vlen + 1;
	size_t n;

	while (vlen > 0 && (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
		vlen--;
	if (nlen + 1 + vlen > max)
		return 0;
	if (need > *cap) {
		char *grown = realloc(*buf, need);

		if (grown == NULL)
			return 0;
		*buf = grown;
		*cap = need;
	}
	memcpy(*buf, name, nlen);
	n = nlen;
	(*buf)[n++] = ':';
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			(*buf)[n++] = '\r';
		(*buf)[n++] = value[i];
	}
	(*buf)[n] = '\0';
	return n;
}

/* pcl_dkim_sign_header - one header field as Postfix gives it */
void
pcl_dkim_sign_header(struct pcl_dkim_signer_ctx *ctx, const char *name,
                     const char *value)
{
	size_t len;
	DKIM_STAT stat;

	if (ctx == NULL || ctx->state != SIGN_HEADERS || name == NULL)
		return;
	if (value == NULL)
		value = "";
	if (strlen(name) + 1 + strlen(value) > SIGN_FIELD_MAX) {
		sign_fail(ctx, PCL_DKIM_SIGN_MESSAGE,
		          "dkim: a header field is longer than %d bytes",
		          SIGN_FIELD_MAX);
		return;
	}
	len = pcl_dkim_field_build(&ctx->field, &ctx->fieldcap, name, value,
	                           SIGN_FIELD_MAX);
	if (len == 0) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: out of memory");
		return;
	}
	stat = dkim_header(ctx->dkim, (u_char *)ctx->field, len);
	if (stat != DKIM_STAT_OK)
		sign_fail(ctx,
		          stat == DKIM_STAT_SYNTAX ? PCL_DKIM_SIGN_MESSAGE
		                                   : PCL_DKIM_SIGN_ERROR,
		          "dkim: header field refused: %s", lib_why(ctx, stat));
}

/* pcl_dkim_sign_eoh - end of header */
void
pcl_dkim_sign_eoh(struct pcl_dkim_signer_ctx *ctx)
{
	DKIM_STAT stat;

	if (ctx == NULL || ctx->state != SIGN_HEADERS)
		return;
	stat = dkim_eoh(ctx->dkim);
	if (stat != DKIM_STAT_OK) {
		/* SYNTAX: no From field, or a From without an address */
		sign_fail(ctx,
		          stat == DKIM_STAT_SYNTAX ? PCL_DKIM_SIGN_MESSAGE
		                                   : PCL_DKIM_SIGN_ERROR,
		          "dkim: cannot sign the header: %s",
		          lib_why(ctx, stat));
		return;
	}
	ctx->state = SIGN_BODY;
}

/* pcl_dkim_sign_body - one body chunk, CRLF line ends */
void
pcl_dkim_sign_body(struct pcl_dkim_signer_ctx *ctx, const unsigned char *p,
                   size_t len)
{
	DKIM_STAT stat;

	if (ctx == NULL)
		return;
	if (ctx->state == SIGN_HEADERS)
		pcl_dkim_sign_eoh(ctx);
	if (ctx->state != SIGN_BODY || p == NULL || len == 0)
		return;
	/* libopendkim only reads the chunk; its prototype lacks const */
	stat = dkim_body(ctx->dkim, (u_char *)(uintptr_t)p, len);
	if (stat != DKIM_STAT_OK)
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: body: %s",
		          lib_why(ctx, stat));
}

/* value_copy - " " + the value with its CRs dropped; false when it
 * does not fit */
static bool
value_copy(char *out, size_t len, const unsigned char *v, size_t vlen)
{
	size_t n = 0;

	out[n++] = ' ';
	for (size_t i = 0; i < vlen; i++) {
		if (v[i] == '\r')
			continue;
		if (n + 1 >= len)
			return false;
		out[n++] = (char)v[i];
	}
	out[n] = '\0';
	return true;
}

/* pcl_dkim_sign_eom - finish and write the DKIM-Signature value */
enum pcl_dkim_sign_status
pcl_dkim_sign_eom(struct pcl_dkim_signer_ctx *ctx, char *out, size_t len)
{
	unsigned char *value = NULL;
	size_t vlen = 0;
	DKIM_STAT stat;

	if (out != NULL && len > 0)
		out[0] = '\0';
	if (ctx == NULL)
		return PCL_DKIM_SIGN_ERROR;
	if (out == NULL || len < 2)
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR, "dkim: no output buffer");
	if (ctx->state == SIGN_HEADERS)
		pcl_dkim_sign_eoh(ctx);
	if (ctx->state == SIGN_BODY) {
		stat = dkim_eom(ctx->dkim, NULL);
		if (stat != DKIM_STAT_OK)
			sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
			          "dkim: cannot sign: %s", lib_why(ctx, stat));
		else
			ctx->state = SIGN_DONE;
	}
	if (ctx->state == SIGN_FAILED)
		return ctx->failure;
	stat = dkim_getsighdr_d(ctx->dkim, strlen(DKIM_SIGNHEADER) + 2, &value,
	                        &vlen);
	if (stat != DKIM_STAT_OK || value == NULL) {
		sign_fail(ctx, PCL_DKIM_SIGN_ERROR,
		          "dkim: cannot make the signature field: %s",
		          lib_why(ctx, stat));
		return ctx->failure;
	}
	if (!value_copy(out, len, value, vlen)) {
		out[0] = '\0';
		sign_fail(
		    ctx, PCL_DKIM_SIGN_ERROR,
		    "dkim: the signature field (%zu bytes) does not fit in "
		    "%zu",
		    vlen + 1, len);
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

/* pcl_dkim_sign_free - free the context and libopendkim's handle
 * (with dkim_free, never plain free); NULL is safe */
void
pcl_dkim_sign_free(struct pcl_dkim_signer_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->dkim != NULL)
		(void)dkim_free(ctx->dkim);
	free(ctx->field);
	free(ctx);
}
