/*
 * dkim - DKIM verification with libopendkim
 *
 * pcl_dkim_lib_new sets up one DKIM_LIB per configuration. Its DNS
 * hooks send key lookups through portcullis's DNS module: query_start
 * runs pcl_dns_lookup synchronously (bounded by the DNS module's own
 * deadline, dns_timeout), waitreply copies the reply packet, in wire
 * format as libopendkim parses it, into the library's buffer, and
 * cancel, which libopendkim calls once per started query, frees it. A
 * timeout, SERVFAIL or a malformed reply becomes DKIM_DNS_EXPIRED or
 * DKIM_DNS_ERROR, that is KEYFAIL, a temperror: handing libopendkim a
 * SERVFAIL packet would make it "no key", a permerror.
 *
 * Library flags: BADSIGHANDLES, so that a signature with bad syntax
 * gets a handle and a permerror instead of vanishing; FIXCRLF, so a
 * stray bare LF in a body chunk is taken as a line end. VERIFYONE is
 * off: every signature is judged, for Authentication-Results. CACHE is
 * off: the DNS module caches already. EOHCHECK and DELAYSIGPROC are
 * off: keys are fetched at end of header, bodies hashed regardless.
 *
 * The per-message cap is applied in the prescreen callback, before
 * any key lookup: signatures are taken in header order, and the first
 * max_signatures that need a lookup are verified; the others are
 * ignored and reported neutral "not verified: over the per-message
 * limit". Signatures that are judged on their face cost nothing and do
 * not use up the cap: bad syntax (permerror) and rsa-sha1 (fail, RFC
 * 8301; ignored, so its key is never fetched). So junk signatures
 * cannot push a real one out of the cap.
 *
 * A signature passes only by DKIM_SIG_CHECK (signature and body hash)
 * and an RSA key of at least min_key_bits. libopendkim applies
 * MINKEYBITS only when no signature passed before, so the size is
 * checked here again for every signature.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_int.h"
#include "util.h"

#define DKIM_FLAGS (DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_FIXCRLF)
/* longest header field passed on; Postfix's whole header limit is
 * 100 KiB by default */
#define DKIM_HEADER_MAX (256 * 1024)
#define DKIM_ID_MAX 64

/* One key lookup, from query_start to query_cancel. */
struct key_query {
	struct pcl_dns_answer *answer;
	unsigned char *buf; /* libopendkim's reply buffer */
	size_t buflen;
};

enum verify_state {
	VERIFY_HEADERS = 0, /* taking header fields */
	VERIFY_BODY,        /* after dkim_eoh said OK */
	VERIFY_SKIP,        /* no signature, or dkim_eoh failed */
	VERIFY_DONE,        /* results collected */
};

struct pcl_dkim_verify {
	struct pcl_dkim_lib *lib;
	DKIM *dkim;
	enum verify_state state;
	char id[DKIM_ID_MAX]; /* libopendkim keeps a pointer to it */
	char *hdr;            /* "Name:value" with CRLF folds */
	size_t hdrcap;
	struct pcl_dkim_sig *sigs;
	size_t nsigs;
};

/* key_query_start - libopendkim's query_start hook: look the name up
 * now; on failure (no handle made) libopendkim calls no cancel */
static int
key_query_start(void *svc, int type, unsigned char *qname, unsigned char *buf,
                size_t buflen, void **qh)
{
	struct pcl_dkim_lib *dl = svc;
	struct key_query *q;

	if (dl == NULL || qname == NULL || buf == NULL || qh == NULL ||
	    type != PCL_DNS_TXT)
		return DKIM_DNS_INVALID;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return DKIM_DNS_ERROR;
	q->answer = pcl_dns_lookup(dl->dns, (const char *)qname, type);
	if (q->answer == NULL) {
		free(q);
		return DKIM_DNS_ERROR;
	}
	q->buf = buf;
	q->buflen = buflen;
	*qh = q;
	return DKIM_DNS_SUCCESS;
}

/* key_query_waitreply - libopendkim's waitreply hook: hand over the
 * reply packet; the lookup already ran to the DNS module's deadline,
 * so the timeout offered here is not used */
static int
key_query_waitreply(void *svc, void *qh, struct timeval *to, size_t *bytes,
                    int *error, int *dnssec)
{
	struct key_query *q = qh;
	const struct pcl_dns_answer *a;

	(void)svc;
	(void)to;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if (error != NULL)
		*error = 0;
	if (q == NULL || bytes == NULL)
		return DKIM_DNS_ERROR;
	a = q->answer;
	switch (a->status) {
	case PCL_DNS_FOUND:
	case PCL_DNS_NXDOMAIN:
	case PCL_DNS_NODATA:
		break;
	case PCL_DNS_TEMPFAIL:
		/* no reply at all: libopendkim says "query timed out" */
		return a->rcode < 0 ? DKIM_DNS_EXPIRED : DKIM_DNS_ERROR;
	default:
		return DKIM_DNS_ERROR;
	}
	if (a->wire == NULL || a->wirelen > q->buflen)
		return DKIM_DNS_ERROR;
	memcpy(q->buf, a->wire, a->wirelen);
	*bytes = a->wirelen;
	return DKIM_DNS_SUCCESS;
}

/* key_query_cancel - libopendkim's cancel hook, called once for every
 * query that started, answered or not: free it */
static int
key_query_cancel(void *svc, void *qh)
{
	struct key_query *q = qh;

	(void)svc;
	if (q != NULL) {
		pcl_dns_answer_free(q->answer);
		free(q);
	}
	return 0;
}

/* sig_syntax_ok - at prescreen time, before any processing: the
 * signature field parsed (with BADSIGHANDLES, bad ones come with an
 * error already set) */
static bool
sig_syntax_ok(DKIM_SIGINFO *sig)
{
	int e = dkim_sig_geterror(sig);

	return e == DKIM_SIGERROR_UNKNOWN || e == DKIM_SIGERROR_OK;
}

/* sig_is_rsa_sha1 - a= is rsa-sha1 (only meaningful when the syntax
 * is good: a handle with bad syntax may leave the algorithm at 0,
 * which is DKIM_SIGN_RSASHA1) */
static bool
sig_is_rsa_sha1(DKIM_SIGINFO *sig)
{
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;

	return dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK &&
	       alg == DKIM_SIGN_RSASHA1;
}

/* prescreen - libopendkim's prescreen callback, at end of header
 * before any key lookup: apply rsa-sha1 refusal and the cap */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct pcl_dkim_verify *v = dkim_get_user_context(dkim);
	unsigned budget = DKIM_DEFAULT_MAX_SIGNATURES;

	if (v != NULL)
		budget = v->lib->max_signatures;
	for (int i = 0; i < nsigs; i++) {
		if (!sig_syntax_ok(sigs[i]))
			continue; /* no lookup; judged permerror */
		if (sig_is_rsa_sha1(sigs[i]) || budget == 0) {
			dkim_sig_ignore(sigs[i]);
			continue;
		}
		budget--;
	}
	return DKIM_CBSTAT_CONTINUE;
}

/* set_option - one dkim_options call; false with err */
static bool
set_option(DKIM_LIB *lib, int opt, void *ptr, size_t len, const char *name,
           char *err, size_t errlen)
{
	if (dkim_options(lib, DKIM_OP_SETOPT, opt, ptr, len) == DKIM_STAT_OK)
		return true;
	pcl_format(err, errlen, "dkim: cannot set libopendkim option %s", name);
	return false;
}

/* pcl_dkim_lib_new - a libopendkim handle wired to the DNS module */
struct pcl_dkim_lib *
pcl_dkim_lib_new(struct pcl_dns *dns, const struct pcl_dkim_lib_conf *conf,
                 char *err, size_t errlen)
{
	struct pcl_dkim_lib *dl = NULL;
	struct pcl_dkim_lib *ret = NULL;
	unsigned flags = DKIM_FLAGS;
	unsigned timeout;
	unsigned min_bits;
	uint64_t fixed;

	if (dns == NULL) {
		pcl_format(err, errlen, "dkim: no DNS resolver");
		goto out;
	}
	dl = calloc(1, sizeof(*dl));
	if (dl == NULL) {
		pcl_format(err, errlen, "dkim: out of memory");
		goto out;
	}
	dl->dns = dns;
	dl->min_key_bits = DKIM_DEFAULT_MIN_KEY_BITS;
	dl->max_signatures = DKIM_DEFAULT_MAX_SIGNATURES;
	timeout = DKIM_DEFAULT_TIMEOUT;
	fixed = 0;
	if (conf != NULL) {
		if (conf->min_key_bits != 0)
			dl->min_key_bits = conf->min_key_bits;
		if (conf->max_signatures != 0)
			dl->max_signatures = conf->max_signatures;
		if (conf->timeout_s != 0)
			timeout = conf->timeout_s;
		if (conf->fixed_time > 0)
			fixed = (uint64_t)conf->fixed_time;
		dl->fixed_time = conf->fixed_time > 0 ? conf->fixed_time : 0;
	}
	min_bits = dl->min_key_bits;
	dl->lib = dkim_init(NULL, NULL);
	if (dl->lib == NULL) {
		pcl_format(err, errlen, "dkim: dkim_init failed");
		goto out;
	}
	/* LIBRARIES.md §2 hazards: with an init hook, a service the
	 * library thinks missing is replaced by a res_state; the default
	 * close hook res_nclose()s and free()s our service in dkim_close;
	 * the nslist/config/trustanchor hooks start uninitialised */
	dkim_dns_set_init(dl->lib, NULL);
	dkim_dns_set_close(dl->lib, NULL);
	dkim_dns_set_nslist(dl->lib, NULL);
	dkim_dns_set_config(dl->lib, NULL);
	dkim_dns_set_trustanchor(dl->lib, NULL);
	(void)dkim_dns_set_query_service(dl->lib, dl);
	dkim_dns_set_query_start(dl->lib, key_query_start);
	dkim_dns_set_query_waitreply(dl->lib, key_query_waitreply);
	dkim_dns_set_query_cancel(dl->lib, key_query_cancel);
	if (!set_option(dl->lib, DKIM_OPTS_FLAGS, &flags, sizeof(flags),
	                "FLAGS", err, errlen) ||
	    !set_option(dl->lib, DKIM_OPTS_TIMEOUT, &timeout, sizeof(timeout),
	                "TIMEOUT", err, errlen) ||
	    !set_option(dl->lib, DKIM_OPTS_MINKEYBITS, &min_bits,
	                sizeof(min_bits), "MINKEYBITS", err, errlen))
		goto out;
	if (fixed != 0 && !set_option(dl->lib, DKIM_OPTS_FIXEDTIME, &fixed,
	                              sizeof(fixed), "FIXEDTIME", err, errlen))
		goto out;
	if (dkim_set_prescreen(dl->lib, prescreen) != DKIM_STAT_OK) {
		pcl_format(err, errlen, "dkim: cannot set the prescreen");
		goto out;
	}
	ret = dl;
	dl = NULL;
out:
	pcl_dkim_lib_free(dl);
	return ret;
}

/* pcl_dkim_lib_free - close libopendkim (which, with the close hook
 * cleared, leaves the DNS module alone); NULL is safe */
void
pcl_dkim_lib_free(struct pcl_dkim_lib *dl)
{
	if (dl == NULL)
		return;
	if (dl->lib != NULL)
		dkim_close(dl->lib);
	free(dl);
}

/* pcl_dkim_verify_new - a verifier for one message */
struct pcl_dkim_verify *
pcl_dkim_verify_new(struct pcl_dkim_lib *dl, const char *id)
{
	struct pcl_dkim_verify *v;
	DKIM_STAT stat = DKIM_STAT_OK;

	if (dl == NULL)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	v->lib = dl;
	/* libopendkim insists on an id and keeps the pointer */
	pcl_copy(v->id, sizeof(v->id), id != NULL && *id ? id : "-");
	v->dkim =
	    dkim_verify(dl->lib, (const unsigned char *)v->id, NULL, &stat);
	if (v->dkim == NULL) {
		free(v);
		return NULL;
	}
	dkim_set_user_context(v->dkim, v);
	return v;
}

/* header_build - "name:value" into v->hdr with every bare LF fold
 * made CRLF and trailing line ends dropped; its length, or 0 when the
 * field is too long or memory is short */
static size_t
header_build(struct pcl_dkim_verify *v, const char *name, const char *value)
{
	size_t nlen = strlen(name);
	size_t vlen = strlen(value);
	size_t need = nlen + 1 + 2 * vlen + 1;
	size_t n = 0;

	while (vlen > 0 && (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
		vlen--;
	if (nlen + 1 + vlen > DKIM_HEADER_MAX)
		return 0;
	if (need > v->hdrcap) {
		char *grown = realloc(v->hdr, need);

		if (grown == NULL)
			return 0;
		v->hdr = grown;
		v->hdrcap = need;
	}
	memcpy(v->hdr, name, nlen);
	n = nlen;
	v->hdr[n++] = ':';
	for (size_t i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			v->hdr[n++] = '\r';
		v->hdr[n++] = value[i];
	}
	v->hdr[n] = '\0';
	return n;
}

/* pcl_dkim_verify_header - one header field as Postfix gives it */
void
pcl_dkim_verify_header(struct pcl_dkim_verify *v, const char *name,
                       const char *value)
{
	size_t len;

	if (v == NULL || v->state != VERIFY_HEADERS || name == NULL)
		return;
	len = header_build(v, name, value != NULL ? value : "");
	/* a field we cannot pass on is missing for libopendkim: the
	 * signatures that cover it fail, which is the safe side */
	if (len > 0)
		(void)dkim_header(v->dkim, (u_char *)v->hdr, len);
}

/* pcl_dkim_verify_eoh - end of header: parse signatures, fetch keys */
void
pcl_dkim_verify_eoh(struct pcl_dkim_verify *v)
{
	if (v == NULL || v->state != VERIFY_HEADERS)
		return;
	/* NOSIG also when every signature was ignored by the prescreen:
	 * the body need not be hashed then */
	v->state =
	    dkim_eoh(v->dkim) == DKIM_STAT_OK ? VERIFY_BODY : VERIFY_SKIP;
}

/* pcl_dkim_verify_body - one body chunk, CRLF line ends */
void
pcl_dkim_verify_body(struct pcl_dkim_verify *v, const unsigned char *p,
                     size_t len)
{
	if (v == NULL)
		return;
	if (v->state == VERIFY_HEADERS)
		pcl_dkim_verify_eoh(v);
	if (v->state != VERIFY_BODY || p == NULL || len == 0)
		return;
	/* libopendkim only reads the chunk; its prototype lacks const */
	(void)dkim_body(v->dkim, (u_char *)(uintptr_t)p, len);
}

/* copy_token - copy a tag value for display: white space dropped,
 * bytes outside printable ASCII or that would need quoting in a
 * header (;()"\) replaced by '?'; truncated to len */
static void
copy_token(char *dst, size_t len, const unsigned char *src)
{
	size_t n = 0;

	if (len == 0)
		return;
	for (; src != NULL && *src && n + 1 < len; src++) {
		if (isspace(*src))
			continue;
		dst[n++] = (*src > 0x20 && *src < 0x7f &&
		            strchr(";()\"\\", *src) == NULL)
		               ? (char)*src
		               : '?';
	}
	dst[n] = '\0';
}

/* sig_describe - the d=, s=, a=, b= and key size of a signature */
static void
sig_describe(DKIM_SIGINFO *sig, struct pcl_dkim_sig *out)
{
	unsigned bits = 0;

	copy_token(out->domain, sizeof(out->domain),
	           dkim_sig_gettagvalue(sig, false, (u_char *)"d"));
	copy_token(out->selector, sizeof(out->selector),
	           dkim_sig_gettagvalue(sig, false, (u_char *)"s"));
	copy_token(out->algorithm, sizeof(out->algorithm),
	           dkim_sig_gettagvalue(sig, false, (u_char *)"a"));
	pcl_lower(out->algorithm);
	copy_token(out->b, sizeof(out->b),
	           dkim_sig_gettagvalue(sig, false, (u_char *)"b"));
	/* 0 until a key was fetched and decoded */
	if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
		out->key_bits = bits;
}

/* judge_error - the verdict for a signature libopendkim gave an error */
static void
judge_error(int e, struct pcl_dkim_sig *out)
{
	const char *what = dkim_sig_geterrorstr(e);

	if (what == NULL)
		what = "unknown error";
	switch (e) {
	case DKIM_SIGERROR_NOKEY:
		out->result = PCL_DKIM_PERMERROR;
		pcl_copy(out->reason, sizeof(out->reason),
		         "no key for signature");
		break;
	case DKIM_SIGERROR_KEYFAIL:
		out->result = PCL_DKIM_TEMPERROR;
		pcl_copy(out->reason, sizeof(out->reason),
		         "key lookup failed (DNS)");
		break;
	case DKIM_SIGERROR_KEYREVOKED:
		/* RFC 6376 3.6.1: an empty p= means revoked; PERMFAIL */
		out->result = PCL_DKIM_FAIL;
		pcl_copy(out->reason, sizeof(out->reason), "key revoked");
		break;
	case DKIM_SIGERROR_BADSIG:
		out->result = PCL_DKIM_FAIL;
		pcl_copy(out->reason, sizeof(out->reason),
		         "signature did not verify");
		break;
	case DKIM_SIGERROR_KEYTOOSMALL:
		out->result = PCL_DKIM_FAIL;
		pcl_copy(out->reason, sizeof(out->reason), "key too small");
		break;
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
	case DKIM_SIGERROR_KEYVERSION:
	case DKIM_SIGERROR_KEYUNKNOWNHASH:
	case DKIM_SIGERROR_KEYHASHMISMATCH:
	case DKIM_SIGERROR_NOTEMAILKEY:
	case DKIM_SIGERROR_KEYTYPEMISSING:
	case DKIM_SIGERROR_KEYTYPEUNKNOWN:
	case DKIM_SIGERROR_KEYDECODE:
		out->result = PCL_DKIM_PERMERROR;
		pcl_format(out->reason, sizeof(out->reason), "bad key: %s",
		           what);
		break;
	default: /* the signature field: tags, syntax, times, l= */
		out->result = PCL_DKIM_PERMERROR;
		pcl_format(out->reason, sizeof(out->reason),
		           "bad signature: %s", what);
		break;
	}
}

/* judge - one signature's verdict */
static void
judge(struct pcl_dkim_verify *v, DKIM_SIGINFO *sig, struct pcl_dkim_sig *out)
{
	unsigned flags = dkim_sig_getflags(sig);
	int e = dkim_sig_geterror(sig);
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	bool ed25519 = dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK &&
	               alg == DKIM_SIGN_ED25519SHA256;

	/* only the prescreen ignores, and only signatures of good syntax:
	 * rsa-sha1 ones and those over the cap */
	if ((flags & DKIM_SIGFLAG_IGNORE) != 0 && sig_is_rsa_sha1(sig)) {
		out->result = PCL_DKIM_FAIL;
		pcl_copy(out->reason, sizeof(out->reason),
		         "rsa-sha1 not allowed (RFC 8301)");
		return;
	}
	if ((flags & DKIM_SIGFLAG_IGNORE) != 0) {
		out->result = PCL_DKIM_NEUTRAL;
		pcl_copy(out->reason, sizeof(out->reason),
		         "not verified: over the per-message limit");
		return;
	}
	/* before libopendkim's own KEYTOOSMALL, to give the numbers;
	 * libopendkim reports no size for ed25519 keys */
	if (!ed25519 && out->key_bits > 0 &&
	    out->key_bits < v->lib->min_key_bits) {
		out->result = PCL_DKIM_FAIL;
		pcl_format(out->reason, sizeof(out->reason),
		           "key too small (%u bits, minimum %u)", out->key_bits,
		           v->lib->min_key_bits);
		return;
	}
	if (e != DKIM_SIGERROR_UNKNOWN && e != DKIM_SIGERROR_OK &&
	    e != DKIM_SIGERROR_BADSIG) {
		judge_error(e, out);
		return;
	}
	if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
		/* dkim_eoh or dkim_eom stopped early (out of memory, ...) */
		const char *why = dkim_geterror(v->dkim);

		out->result = PCL_DKIM_TEMPERROR;
		pcl_format(out->reason, sizeof(out->reason), "not verified: %s",
		           why != NULL ? why : "verifier error");
		return;
	}
	/* a good header signature over a changed body: libopendkim sets
	 * BADSIG then, but keeps PASSED and says MISMATCH */
	if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		out->result = PCL_DKIM_FAIL;
		pcl_copy(out->reason, sizeof(out->reason),
		         "body hash mismatch");
		return;
	}
	if ((flags & DKIM_SIGFLAG_PASSED) == 0 || e == DKIM_SIGERROR_BADSIG) {
		judge_error(DKIM_SIGERROR_BADSIG, out);
		return;
	}
	if (dkim_sig_getbh(sig) != DKIM_SIGBH_MATCH) {
		out->result = PCL_DKIM_TEMPERROR;
		pcl_copy(out->reason, sizeof(out->reason),
		         "not verified: body not hashed");
		return;
	}
	if (!DKIM_SIG_CHECK(sig)) { /* the only test that may say pass */
		judge_error(DKIM_SIGERROR_BADSIG, out);
		return;
	}
	out->result = PCL_DKIM_PASS;
	pcl_copy(out->reason, sizeof(out->reason), "signature verified");
}

/* collect - judge every signature libopendkim found */
static void
collect(struct pcl_dkim_verify *v)
{
	DKIM_SIGINFO **list = NULL;
	int n = 0;

	if (dkim_getsiglist(v->dkim, &list, &n) != DKIM_STAT_OK || n <= 0 ||
	    list == NULL)
		return;
	v->sigs = calloc((size_t)n, sizeof(*v->sigs));
	if (v->sigs == NULL)
		return;
	v->nsigs = (size_t)n;
	for (int i = 0; i < n; i++) {
		sig_describe(list[i], &v->sigs[i]);
		judge(v, list[i], &v->sigs[i]);
	}
}

/* pcl_dkim_verify_eom - end of message: check body hashes, judge */
void
pcl_dkim_verify_eom(struct pcl_dkim_verify *v)
{
	if (v == NULL || v->state == VERIFY_DONE)
		return;
	if (v->state == VERIFY_HEADERS)
		pcl_dkim_verify_eoh(v);
	if (v->state == VERIFY_BODY)
		(void)dkim_eom(v->dkim, NULL);
	/* also after a failed or NOSIG eoh: signatures all refused by the
	 * prescreen (rsa-sha1, say) still get their verdicts */
	collect(v);
	v->state = VERIFY_DONE;
}

/* pcl_dkim_verify_count - signatures found (0 before eom) */
size_t
pcl_dkim_verify_count(const struct pcl_dkim_verify *v)
{
	return v != NULL ? v->nsigs : 0;
}

/* pcl_dkim_verify_sig - the verdict of signature i, in header order;
 * NULL past the end */
const struct pcl_dkim_sig *
pcl_dkim_verify_sig(const struct pcl_dkim_verify *v, size_t i)
{
	if (v == NULL || i >= v->nsigs)
		return NULL;
	return &v->sigs[i];
}

/* pcl_dkim_verify_free - free the verifier and libopendkim's handle
 * (with dkim_free, never plain free); NULL is safe */
void
pcl_dkim_verify_free(struct pcl_dkim_verify *v)
{
	if (v == NULL)
		return;
	if (v->dkim != NULL)
		(void)dkim_free(v->dkim);
	free(v->hdr);
	free(v->sigs);
	free(v);
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
