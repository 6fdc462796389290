/*
 * dkim_tags - the two parsers of untrusted DKIM text: the tag-list of a
 * DKIM-Signature header field (RFC 6376 3.5) and of a key record
 * (3.6.1), and the public key a record carries as an EVP_PKEY
 *
 * Call order for a verifier: pcl_dkim_tags_sig_parse on the field's
 * value (the text after "DKIM-Signature:", folds kept); look up the key
 * at s=._domainkey.d=; pcl_dkim_tags_key_parse on the TXT strings
 * concatenated; pcl_dkim_tags_key_fits to hold the key against the
 * signature; pcl_dkim_tags_key_pkey for the OpenSSL key (parse it once
 * and cache it: it is the expensive step).
 *
 * Bounds, each checked before the work it limits and answered with a
 * permerror whose reason names it:
 *   a field or record:   PCL_DKIM_TAGS_TEXT_MAX bytes (64 KiB), refused
 *                        unread above;
 *   tags in one list:    PCL_DKIM_TAGS_MAX (64);
 *   b= decoded:          PCL_DKIM_TAGS_B_MAX (2048 bytes, RSA-16384),
 *                        counted from the base64 length before decoding;
 *   bh= decoded:         exactly 32 bytes (SHA-256);
 *   h= names:            PCL_DKIM_TAGS_H_MAX (128), their text
 *                        PCL_DKIM_TAGS_H_TEXT (4096 bytes with NULs);
 *   d=, s=, i= domain:   253 bytes, labels 63; i= local-part 64;
 *   l=:                  76 digits (ABNF), value below 2^63;
 *   t=, x=:              12 digits (ABNF);
 *   p= decoded:          PCL_DKIM_TAGS_P_MAX (2100 bytes: the DER of
 *                        an RSA-16384 SubjectPublicKeyInfo with e=65537
 *                        is 2086), counted before decoding;
 *   RSA key:             PCL_DKIM_TAGS_RSA_BITS_MAX (8192) bits at most,
 *                        at least what the caller asks; the DER length
 *                        is held against both before OpenSSL reads it.
 *
 * Ownership: the parsers copy what they keep into the caller's struct
 * (no pointer into the input survives); z= is never copied. The
 * structs own no memory; the EVP_PKEY returned is the caller's to free
 * with EVP_PKEY_free. Nothing here allocates but that key, so the
 * parsers never fail for want of memory. Tag names are case-sensitive
 * (3.2: "V=1" is not "v="). Every error fills err with a short reason
 * fit for an Authentication-Results reason ("bad b= base64").
 */
#ifndef PCL_DKIM_TAGS_H
#define PCL_DKIM_TAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define PCL_DKIM_TAGS_TEXT_MAX 65536 /* a field or a key record */
#define PCL_DKIM_TAGS_MAX 64         /* tags in one tag-list */
#define PCL_DKIM_TAGS_B_MAX 2048     /* b= bytes: an RSA-16384 signature */
#define PCL_DKIM_TAGS_BH_LEN 32      /* bh= bytes: SHA-256 */
#define PCL_DKIM_TAGS_H_MAX 128      /* names in h= */
#define PCL_DKIM_TAGS_H_TEXT 4096    /* h= names with a NUL each */
#define PCL_DKIM_TAGS_DOMAIN_MAX 253 /* RFC 1035, no trailing dot */
#define PCL_DKIM_TAGS_LOCAL_MAX 64   /* RFC 5321 local-part */
#define PCL_DKIM_TAGS_P_MAX 2100     /* p= bytes: RSA-16384 SPKI DER */
#define PCL_DKIM_TAGS_RSA_BITS_MAX 8192
#define PCL_DKIM_TAGS_ED25519_LEN 32 /* RFC 8463 4: the raw key */

enum pcl_dkim_tags_status {
	PCL_DKIM_TAGS_OK = 0,
	PCL_DKIM_TAGS_PERMERROR, /* malformed, refused or revoked: err */
	PCL_DKIM_TAGS_TEMPERROR, /* out of memory in OpenSSL: err */
};

/* One tag of a list: offsets into the text that was parsed. The value
 * runs from its first to its last VALCHAR, folds inside kept as they
 * are; blank_off..blank_end is what follows "=" up to the ";" or the
 * end, white space around the value included (RFC 6376 3.7 deletes
 * this for b=). */
struct pcl_dkim_tag {
	size_t name_off, name_len;
	size_t value_off, value_len;
	size_t blank_off, blank_end;
};

struct pcl_dkim_tag_list {
	const char *text; /* borrowed: the text parsed */
	size_t n;
	struct pcl_dkim_tag tag[PCL_DKIM_TAGS_MAX];
};

/* pcl_dkim_tags_parse - a tag-list (RFC 6376 3.2) of len bytes into
 * list, which borrows text; duplicate tags and more than
 * PCL_DKIM_TAGS_MAX are errors */
enum pcl_dkim_tags_status pcl_dkim_tags_parse(const char *text, size_t len,
                                              struct pcl_dkim_tag_list *list,
                                              char *err, size_t errlen);

/* pcl_dkim_tags_find - the tag named name (case-sensitive), or NULL */
const struct pcl_dkim_tag *
pcl_dkim_tags_find(const struct pcl_dkim_tag_list *list, const char *name);

enum pcl_dkim_tags_alg {
	PCL_DKIM_TAGS_RSA_SHA256 = 1,
	PCL_DKIM_TAGS_ED25519_SHA256, /* RFC 8463 */
};

enum pcl_dkim_tags_canon {
	PCL_DKIM_TAGS_SIMPLE = 0, /* the default (3.5 c=) */
	PCL_DKIM_TAGS_RELAXED,
};

#define PCL_DKIM_TAGS_ARC_MAX 50 /* ARC instances (RFC 8617 4.2.1) */

/* Which field a signature tag-list comes from. */
enum pcl_dkim_tags_kind {
	PCL_DKIM_TAGS_DKIM = 0, /* DKIM-Signature (v=1, i= identity) */
	PCL_DKIM_TAGS_ARC_SIG,  /* ARC-Message-Signature (i= instance) */
	PCL_DKIM_TAGS_SEAL,     /* ARC-Seal (i=, cv=; no h=, bh=, c=) */
};

/* A DKIM-Signature, every string NUL-terminated and owned. */
struct pcl_dkim_tags_sig {
	enum pcl_dkim_tags_alg alg;
	enum pcl_dkim_tags_canon header_canon, body_canon;
	unsigned char b[PCL_DKIM_TAGS_B_MAX];
	size_t b_len;
	unsigned char bh[PCL_DKIM_TAGS_BH_LEN];
	char d[PCL_DKIM_TAGS_DOMAIN_MAX + 1]; /* lower case */
	char s[PCL_DKIM_TAGS_DOMAIN_MAX + 1]; /* as written */
	/* i=, or "@" d= when absent; i_domain points into it */
	char i[PCL_DKIM_TAGS_LOCAL_MAX + 1 + PCL_DKIM_TAGS_DOMAIN_MAX + 1];
	size_t i_domain; /* offset of the domain in i */
	bool i_given;
	/* h=: n names in order, case kept, each NUL-terminated in h_text */
	size_t h_n;
	uint16_t h_off[PCL_DKIM_TAGS_H_MAX];
	char h_text[PCL_DKIM_TAGS_H_TEXT];
	bool l_given;
	uint64_t l;
	bool t_given, x_given;
	uint64_t t, x;
	unsigned instance; /* ARC: i= */
	char cv;           /* ARC-Seal: 'n'one, 'p'ass, 'f'ail */
	/* offsets in the field of b='s value (folds kept) and of what 3.7
	 * blanks: all after "b=" to the ";" or the end */
	size_t b_value_off, b_value_end;
	size_t b_blank_off, b_blank_end;
};

/* pcl_dkim_tags_sig_parse - a DKIM-Signature field value of len bytes
 * into sig; rsa-sha1 is refused (RFC 8301) with its own reason */
enum pcl_dkim_tags_status pcl_dkim_tags_sig_parse(const char *field, size_t len,
                                                  struct pcl_dkim_tags_sig *sig,
                                                  char *err, size_t errlen);

/* pcl_dkim_tags_arc_parse - an ARC-Message-Signature (as a
 * DKIM-Signature but no v=, i= the instance, 1 to 50) or an ARC-Seal
 * (i=, cv=, a=, b=, d=, s=, t=; h= refused; relaxed header
 * canonicalization) of len bytes into sig, with the same bounds */
enum pcl_dkim_tags_status pcl_dkim_tags_arc_parse(const char *field, size_t len,
                                                  enum pcl_dkim_tags_kind kind,
                                                  struct pcl_dkim_tags_sig *sig,
                                                  char *err, size_t errlen);

/* pcl_dkim_tags_sig_header - the n-th name of h= (n < sig->h_n) */
const char *pcl_dkim_tags_sig_header(const struct pcl_dkim_tags_sig *sig,
                                     size_t n);

/* pcl_dkim_tags_sig_signs - true when h= names the header name
 * (compared without regard to case) */
bool pcl_dkim_tags_sig_signs(const struct pcl_dkim_tags_sig *sig,
                             const char *name);

enum pcl_dkim_tags_keytype {
	PCL_DKIM_TAGS_KEY_RSA = 1, /* k=rsa, the default */
	PCL_DKIM_TAGS_KEY_ED25519, /* k=ed25519 */
};

/* A key record (RFC 6376 3.6.1). */
struct pcl_dkim_tags_key {
	enum pcl_dkim_tags_keytype type;
	bool testing; /* t=y */
	bool strict;  /* t=s: i= must be d= itself, not a subdomain */
	unsigned char p[PCL_DKIM_TAGS_P_MAX];
	size_t p_len;
};

/* pcl_dkim_tags_key_parse - a key record (TXT strings concatenated) of
 * len bytes into key; an empty p= is the error "key revoked" */
enum pcl_dkim_tags_status pcl_dkim_tags_key_parse(const char *record,
                                                  size_t len,
                                                  struct pcl_dkim_tags_key *key,
                                                  char *err, size_t errlen);

/* pcl_dkim_tags_key_fits - the key may verify sig: its type is that of
 * a=, and under t=s the i= domain is d= itself */
enum pcl_dkim_tags_status
pcl_dkim_tags_key_fits(const struct pcl_dkim_tags_key *key,
                       const struct pcl_dkim_tags_sig *sig, char *err,
                       size_t errlen);

/* pcl_dkim_tags_key_pkey - the public key of key as an EVP_PKEY in
 * *out and its size in *bits; an RSA key must have min_bits to
 * PCL_DKIM_TAGS_RSA_BITS_MAX bits (min_bits does not apply to
 * Ed25519). The caller frees *out. */
enum pcl_dkim_tags_status
pcl_dkim_tags_key_pkey(const struct pcl_dkim_tags_key *key, unsigned min_bits,
                       EVP_PKEY **out, unsigned *bits, char *err,
                       size_t errlen);

#endif
