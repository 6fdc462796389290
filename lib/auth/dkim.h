/*
 * dkim - DKIM verification and signing of our own, over OpenSSL 3
 * (RFC 6376, RFC 8463 Ed25519-SHA256, RFC 8301)
 *
 * One library handle per configuration (pcl_dkim_lib_new), shared by
 * every thread: the DNS module it looks keys up with (so dns_servers,
 * the deadline and the answer cache apply, and tests serve keys from a
 * test DNS), the limits, the cache of parsed public keys, and what
 * signing needs. Verification: dkim_verify.c (header, choice of
 * signatures, body) and dkim_verify_judge.c (keys, hashes, verdicts);
 * their header comments give the bounds and the order of verdicts.
 */
#ifndef PCL_DKIM_H
#define PCL_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dns.h"
#include "util.h"

#define PCL_DKIM_MAX_SIGNATURES_LIMIT 50

struct pcl_dkim_lib_conf {
	unsigned min_key_bits;   /* default 1024 (RSA) */
	unsigned max_signatures; /* verified per message, default 5, at
	                            most PCL_DKIM_MAX_SIGNATURES_LIMIT */
	long fixed_time;         /* tests: pin the clock; 0 = real */
};

struct pcl_dkim_lib;

/* pcl_dkim_lib_new - one per configuration, shared by threads; NULL
 * with err */
struct pcl_dkim_lib *pcl_dkim_lib_new(struct pcl_dns *dns,
                                      const struct pcl_dkim_lib_conf *conf,
                                      char *err, size_t errlen);
void pcl_dkim_lib_free(struct pcl_dkim_lib *lib);

enum pcl_dkim_result {
	PCL_DKIM_PASS = 0,
	PCL_DKIM_FAIL,      /* bad signature or body hash, weak key,
	                       rsa-sha1 (RFC 8301), revoked key */
	PCL_DKIM_NEUTRAL,   /* e.g. a signature not processed (cap) */
	PCL_DKIM_POLICY,    /* acceptable by syntax, refused by policy */
	PCL_DKIM_TEMPERROR, /* key lookup failed temporarily */
	PCL_DKIM_PERMERROR, /* missing key, bad syntax, bad key */
};

/* One signature's verdict, for Authentication-Results and the trace. */
struct pcl_dkim_sig {
	enum pcl_dkim_result result;
	char domain[256];   /* d= */
	char selector[64];  /* s= */
	char algorithm[32]; /* "rsa-sha256", "ed25519-sha256" */
	char b[16];         /* first characters of b=, for header.b */
	unsigned key_bits;
	char reason[128]; /* "signature verified", "body hash
	                     mismatch", "no key for signature", ... */
};

struct pcl_dkim_verify;

/* pcl_dkim_verify_new - a verifier for one message; NULL on error */
struct pcl_dkim_verify *pcl_dkim_verify_new(struct pcl_dkim_lib *lib,
                                            const char *id);

/* Feed the message as Postfix's milter gives it: header values with
 * the leading space kept and folds as bare LF; body chunks as they
 * come (CRLF line ends). */
void pcl_dkim_verify_header(struct pcl_dkim_verify *v, const char *name,
                            const char *value);
void pcl_dkim_verify_eoh(struct pcl_dkim_verify *v);
void pcl_dkim_verify_body(struct pcl_dkim_verify *v, const unsigned char *p,
                          size_t len);
void pcl_dkim_verify_eom(struct pcl_dkim_verify *v);

/* After eom: every DKIM-Signature field examined (pcl_dkim_verify_sig
 * of 0 .. count - 1 is one array) (the first
 * 2 * max_signatures + 10; at most max_signatures of them verified, the
 * others judged on their face or neutral), in header order. */
size_t pcl_dkim_verify_count(const struct pcl_dkim_verify *v);

/* pcl_dkim_verify_unexamined - DKIM-Signature fields past those
 * examined (or past the verifier's header budget): counted, never read */
size_t pcl_dkim_verify_unexamined(const struct pcl_dkim_verify *v);
const struct pcl_dkim_sig *pcl_dkim_verify_sig(const struct pcl_dkim_verify *v,
                                               size_t i);
void pcl_dkim_verify_free(struct pcl_dkim_verify *v);

const char *pcl_dkim_result_name(enum pcl_dkim_result r);

/* ARC (RFC 8617), verified by the same verifier: the chain of
 * ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results sets
 * (i=1..50) the message arrived with. */
#define PCL_ARC_SETS_MAX 50 /* RFC 8617 4.2.1 */

enum pcl_arc_chain {
	PCL_ARC_NONE = 0, /* no ARC set */
	PCL_ARC_PASS,
	PCL_ARC_FAIL,
	PCL_ARC_TEMPERROR, /* a key lookup failed temporarily */
};

struct pcl_arc_result {
	enum pcl_arc_chain result;
	unsigned instances;   /* sets in the chain */
	unsigned oldest_pass; /* pass: the oldest AMS that verified, with
	                         every newer one; 0 when not known */
	char reason[128];
};

/* pcl_dkim_verify_arc - the chain's verdict, after eom */
const struct pcl_arc_result *
pcl_dkim_verify_arc(const struct pcl_dkim_verify *v);

/* pcl_dkim_verify_arc_set - of a passing chain, instance i's sealer
 * (its ARC-Seal's d=) and its ARC-Authentication-Results value; false
 * when there is no such set */
bool pcl_dkim_verify_arc_set(const struct pcl_dkim_verify *v, unsigned i,
                             const char **sealer, const char **aar);

/* pcl_dkim_verify_arc_values - the values of set i (1 .. instances)
 * as the message has them; false when the set is incomplete */
bool pcl_dkim_verify_arc_values(const struct pcl_dkim_verify *v, unsigned i,
                                const char **aar, const char **ams,
                                const char **as);

/* pcl_dkim_verify_arc_sealable - after eom: whether a sealer may add
 * the next set (*next = the highest instance + 1) and with which cv=
 * ("none" for a message without ARC, "pass" or "fail" after the
 * chain's verdict; a broken chain, incomplete sets and all, gets
 * "fail"); false at 50 sets, after a chain whose last seal says
 * cv=fail, or after a temperror */
bool pcl_dkim_verify_arc_sealable(const struct pcl_dkim_verify *v,
                                  unsigned *next, const char **cv);

const char *pcl_arc_result_name(enum pcl_arc_chain r);

/*
 * Signing (dkim_sign.c, dkim_signer.c, dkim_sign_key.c,
 * dkim_sign_table.c), without libopendkim
 *
 * Call order: load the signers once per configuration
 * (pcl_dkim_signing_load for OpenDKIM-style KeyTable and SigningTable
 * files, or pcl_dkim_signing_simple for one domain), and call
 * pcl_dkim_sign_prepare once on the shared library handle before
 * threads start. Per message: pcl_dkim_signing_match on the From
 * address, then one signer context per matching signer (two for dual
 * RSA and Ed25519 signing), fed the same header fields and body
 * chunks as the verifier, in the state the message will leave in: a
 * header field portcullis changes (a Subject tag, say) must be fed
 * changed. Header fields portcullis adds itself
 * (Authentication-Results, its tag header) are not in the signed list,
 * so adding them before or after the signature breaks nothing.
 *
 * Lifetimes: a pcl_dkim_signer belongs to its pcl_dkim_signing, which
 * must outlive every context made from it (the configuration snapshot
 * holds both). Private keys never reach a log line or an error text:
 * errors name the file, never its contents.
 *
 * Keys are parsed once, at load, and shared read-only by all threads;
 * a signature costs its hashes and one private-key operation. (While
 * libopendkim signed, it parsed the PEM key for every signature, leaked
 * Ed25519 key copies, and could not sign Ed25519 with simple header
 * canonicalization; none of that applies now.)
 */

/* Room for a DKIM-Signature value as pcl_dkim_sign_eom writes it: an
 * RSA-4096 b= is 684 characters, the default h= about 250 */
#define PCL_DKIM_SIGN_VALUE_MAX 8192
#define PCL_DKIM_KEY_NAME_MAX 128 /* a KeyTable key name */

struct pcl_dkim_key;

/* pcl_dkim_key_load - read and check a PEM private key: RSA (PKCS#1
 * or PKCS#8, at least 1024 bits) or Ed25519 (PKCS#8); the file must
 * be a regular file with no permission bits for group or others; NULL
 * with err naming the file */
struct pcl_dkim_key *pcl_dkim_key_load(const char *path, char *err,
                                       size_t errlen);
void pcl_dkim_key_free(struct pcl_dkim_key *key);

/* pcl_dkim_key_algorithm - "rsa-sha256" or "ed25519-sha256" */
const char *pcl_dkim_key_algorithm(const struct pcl_dkim_key *key);

/* pcl_dkim_key_bits - the RSA modulus size; 256 for Ed25519 */
unsigned pcl_dkim_key_bits(const struct pcl_dkim_key *key);

/*
 * Key generation (dkim_genkey.c), for portcullis-genkey(8): a new key
 * file in the form pcl_dkim_key_load reads, the public half in the form
 * DNS publishes, and the TXT record text.
 */

enum pcl_dkim_keytype {
	PCL_DKIM_RSA = 1, /* k=rsa, signs rsa-sha256 */
	PCL_DKIM_ED25519, /* k=ed25519, signs ed25519-sha256 (RFC 8463) */
};

#define PCL_DKIM_RSA_BITS_DEFAULT 2048 /* RFC 8301: SHOULD be 2048 */
#define PCL_DKIM_RSA_BITS_MIN 1024     /* RFC 8301: MUST be 1024 */
#define PCL_DKIM_RSA_BITS_MAX 8192
/* Room for a base64 public key and its NUL: RSA-8192's DER
 * SubjectPublicKeyInfo is 1062 bytes, 1416 characters */
#define PCL_DKIM_PUBKEY_MAX 2048
/* Room for pcl_dkim_record_zone's text: a 253-byte name, the tags and
 * that key, split into strings of 250 */
#define PCL_DKIM_RECORD_MAX 4096

struct pcl_dkim_genkey_opts {
	enum pcl_dkim_keytype type;
	unsigned bits;  /* RSA; 0: PCL_DKIM_RSA_BITS_DEFAULT. Ed25519: 0 */
	bool replace;   /* replace an existing file: write a temporary file
	                   in the same directory and rename it over the old
	                   one; else an existing path is refused */
	bool set_owner; /* give the file to uid:gid before the key is
	                   written into it (needs root for another user) */
	uid_t uid;
	gid_t gid;
};

/* pcl_dkim_genkey - make a key pair and write the private key to path:
 * unencrypted PKCS#8 PEM, mode 0600 from creation, fsynced, into a
 * temporary file beside path that is read back with pcl_dkim_key_load
 * before it takes the name (link(2), or rename(2) over the old key
 * with replace); an existing path (a symlink too) is never written
 * through, and a failure leaves an old key as it was. The DNS p= value
 * (base64 of the DER SubjectPublicKeyInfo for RSA, of the raw 32-byte
 * key for Ed25519) into pubkey, which PCL_DKIM_PUBKEY_MAX bytes fit.
 * false with err (naming the file, never quoting key material), pubkey
 * "" and no file left behind. */
bool pcl_dkim_genkey(const char *path, const struct pcl_dkim_genkey_opts *opts,
                     char *pubkey, size_t publen, char *err, size_t errlen);

/* pcl_dkim_keytype_parse - "rsa" or "ed25519", any case; false when
 * neither */
bool pcl_dkim_keytype_parse(const char *text, enum pcl_dkim_keytype *type);

/* pcl_dkim_keytype_name - the k= value: "rsa", "ed25519", or "unknown" */
const char *pcl_dkim_keytype_name(enum pcl_dkim_keytype type);

/* pcl_dkim_genkey_names_check - whether domain and selector can name a
 * new key: RFC 6376's d= (at least two labels) and s=, labels of
 * letters, digits and inner hyphens (RFC 5321 sub-domains), and
 * "selector._domainkey.domain" at most 253 bytes; false with err */
bool pcl_dkim_genkey_names_check(const char *domain, const char *selector,
                                 char *err, size_t errlen);

/* pcl_dkim_record_value - the TXT record's text, "v=DKIM1; k=rsa;
 * p=..." (with "t=y; " before p= when testing); false when cut */
bool pcl_dkim_record_value(char *out, size_t len, enum pcl_dkim_keytype type,
                           const char *pubkey, bool testing);

/* pcl_dkim_record_zone - the record as a zone-file line, no final
 * newline: "selector._domainkey.domain. IN TXT ( "v=DKIM1; k=rsa; "
 * "p=..." ... )", every quoted string at most 250 bytes (a TXT string
 * holds 255), their concatenation pcl_dkim_record_value's text. false
 * with err for a bad name or key text, or when out is too small. */
bool pcl_dkim_record_zone(char *out, size_t len, const char *domain,
                          const char *selector, enum pcl_dkim_keytype type,
                          const char *pubkey, bool testing, char *err,
                          size_t errlen);

/* One key to sign with, read-only. */
struct pcl_dkim_signer {
	char name[PCL_DKIM_KEY_NAME_MAX];  /* KeyTable name; simple: domain */
	char domain[PCL_DOMAIN_MAX + 1];   /* d= */
	char selector[PCL_DOMAIN_MAX + 1]; /* s= */
	const struct pcl_dkim_key *key;
};

struct pcl_dkim_signing;

/* pcl_dkim_signing_load - OpenDKIM's KeyTable and SigningTable. A
 * table is a file path, "file:path", or (SigningTable) "refile:path"
 * for wildcard patterns. Every key is loaded and checked now. Errors
 * as "file:line: message". multiple: every matching line signs, not
 * only the first. */
struct pcl_dkim_signing *pcl_dkim_signing_load(const char *keytable,
                                               const char *signingtable,
                                               bool multiple, char *err,
                                               size_t errlen);

/* pcl_dkim_signing_simple - one domain, selector and key file; mail
 * from the domain and its subdomains is signed with d=domain */
struct pcl_dkim_signing *pcl_dkim_signing_simple(const char *domain,
                                                 const char *selector,
                                                 const char *keyfile, char *err,
                                                 size_t errlen);

/* pcl_dkim_signing_match - the signers for a From address
 * ("user@domain") or a bare domain (an address with an empty user:
 * "@domain" for refile patterns), at most max, in table order, each
 * key once; returns how many were stored in out. Domains and patterns
 * compare without regard to case. */
size_t pcl_dkim_signing_match(const struct pcl_dkim_signing *s,
                              const char *address_or_domain,
                              const struct pcl_dkim_signer **out, size_t max);
void pcl_dkim_signing_free(struct pcl_dkim_signing *s);

/* pcl_dkim_signing_named - the signer of a KeyTable key name (in the
 * simple mode: its domain), or the first one for ""; NULL when none */
const struct pcl_dkim_signer *
pcl_dkim_signing_named(const struct pcl_dkim_signing *s, const char *name);

/* pcl_dkim_signing_unreadable - the first key file that this process,
 * with its uid now, cannot read (access(2)), or NULL: a key read as
 * root at start that the service user cannot read makes every reload
 * fail */
const char *pcl_dkim_signing_unreadable(const struct pcl_dkim_signing *s);

/* pcl_dkim_sign_prepare - once per library handle, before threads
 * start: add x= (signing time + expire_s) when expire_s is not 0, kept
 * in the handle; From is always oversigned. Without it every signature
 * fails. Verification is not affected. false with err. */
bool pcl_dkim_sign_prepare(struct pcl_dkim_lib *lib, unsigned long expire_s,
                           char *err, size_t errlen);

enum pcl_dkim_canon {
	PCL_DKIM_CANON_DEFAULT = 0, /* relaxed */
	PCL_DKIM_CANON_RELAXED,
	PCL_DKIM_CANON_SIMPLE,
};

/* Signing options; all-zero (or NULL) means relaxed/relaxed and the
 * default header list. No l= is ever added; t= always is. */
struct pcl_dkim_sign_opts {
	enum pcl_dkim_canon header_canon;
	enum pcl_dkim_canon body_canon;
	const char *const *headers; /* NULL-terminated names; NULL: the
	                               default list. From is always signed */
	unsigned arc_instance;      /* 0: a DKIM-Signature; 1 to 50: an
	                               ARC-Message-Signature of that i= (no
	                               v=, no x=; RFC 8617 4.1.2) */
};

/* The default header list: From, To, Cc, Subject, Date, Message-ID,
 * Reply-To, In-Reply-To, References, MIME-Version, Content-Type,
 * Content-Transfer-Encoding and the List-* fields of RFC 2369/2919. */
extern const char *const pcl_dkim_sign_default_headers[];

enum pcl_dkim_sign_status {
	PCL_DKIM_SIGN_OK = 0,
	PCL_DKIM_SIGN_MESSAGE, /* this message cannot be signed (no From
	                          field, a malformed field): send it
	                          unsigned or refuse it */
	PCL_DKIM_SIGN_ERROR,   /* our side: key, memory, buffer, misuse */
};

/* pcl_dkim_sign_check - whether opts (NULL: the defaults) can sign with
 * signer: known canonicalizations, at most 64 header names of letters,
 * digits, '-' and '_' (every key signs every canonicalization: the
 * refusal of Ed25519 with simple header canonicalization, a defect of
 * libopendkim's signer, is gone with it). pcl_dkim_sign_new checks
 * the same; call it at configuration load to refuse early. false with
 * err. */
bool pcl_dkim_sign_check(const struct pcl_dkim_signer *signer,
                         const struct pcl_dkim_sign_opts *opts, char *err,
                         size_t errlen);

struct pcl_dkim_signer_ctx;

/* pcl_dkim_sign_new - a signature for one message; NULL only when an
 * argument is NULL or memory is short. Other failures (signing not
 * prepared, a bad option, a key OpenSSL cannot sign with) are kept in the
 * context and returned by pcl_dkim_sign_eom. */
struct pcl_dkim_signer_ctx *
pcl_dkim_sign_new(struct pcl_dkim_lib *lib,
                  const struct pcl_dkim_signer *signer,
                  const struct pcl_dkim_sign_opts *opts);

/* Feed the message as Postfix's milter gives it, like the verifier:
 * header values with the leading space kept and folds as bare LF;
 * body chunks as they come (CRLF line ends). */
void pcl_dkim_sign_header(struct pcl_dkim_signer_ctx *ctx, const char *name,
                          const char *value);
void pcl_dkim_sign_eoh(struct pcl_dkim_signer_ctx *ctx);
void pcl_dkim_sign_body(struct pcl_dkim_signer_ctx *ctx, const unsigned char *p,
                        size_t len);

/* pcl_dkim_sign_arc_instance - an ARC-Message-Signature context
 * (opts->arc_instance set) takes its final i= before eom: the instance
 * is known only once the chain is judged */
void pcl_dkim_sign_arc_instance(struct pcl_dkim_signer_ctx *ctx, unsigned i);

/* pcl_dkim_sign_eom - end of message: the DKIM-Signature field value,
 * ready for smfi_insheader(ctx, 0, "DKIM-Signature", out): a leading
 * space, folds as LF TAB, no CR. On failure out is "" and
 * pcl_dkim_sign_error says why. */
enum pcl_dkim_sign_status pcl_dkim_sign_eom(struct pcl_dkim_signer_ctx *ctx,
                                            char *out, size_t len);

/* pcl_arc_seal - an ARC-Seal value for instance (1 to 50) with cv=
 * "none", "pass" or "fail", over the prior sets (prior: the values of
 * ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal of
 * instances 1 .. instance - 1, in that order, as they are in the
 * message; not read for "fail", whose seal covers this hop's set
 * alone, RFC 8617 5.1.2) and this hop's aar and ams values (as they
 * will be inserted), relaxed canonicalization (RFC 8617 5.1.1): ready
 * for smfi_insheader as pcl_dkim_sign_eom's value. ERROR (out "") when
 * OpenSSL fails or out is too small. */
enum pcl_dkim_sign_status pcl_arc_seal(const struct pcl_dkim_lib *lib,
                                       const struct pcl_dkim_signer *signer,
                                       unsigned instance, const char *cv,
                                       const char *const *prior,
                                       const char *aar, const char *ams,
                                       char *out, size_t len);

/* pcl_dkim_sign_error - why the context failed; "" when it did not */
const char *pcl_dkim_sign_error(const struct pcl_dkim_signer_ctx *ctx);
void pcl_dkim_sign_free(struct pcl_dkim_signer_ctx *ctx);

#endif
