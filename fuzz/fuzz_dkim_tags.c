/*
 * fuzz_dkim_tags - DKIM-Signature fields and key records
 * (lib/auth/dkim_tags.c, dkim_tags_sig.c, dkim_tags_key.c)
 *
 * Fields: a DKIM-Signature field value, then a key record; NUL bytes
 * beyond the second field stay in the record (the parsers read
 * lengths, not C strings). The whole input is also parsed as either,
 * NUL bytes and all. A key that parses is turned into an EVP_PKEY and
 * held against a signature that parses. What a parser returns is
 * checked against its promises (offsets inside the field, strings
 * terminated and within their bounds, From signed); a broken promise
 * aborts, so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_tags.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - abort when a promise is broken */
static void
check(int ok)
{
	if (!ok)
		abort();
}

/* sig_promises - what a parsed signature promises about field */
static void
sig_promises(const struct pcl_dkim_tags_sig *sig, size_t len)
{
	check(sig->b_blank_off <= sig->b_value_off);
	check(sig->b_value_off < sig->b_value_end);
	check(sig->b_value_end <= sig->b_blank_end && sig->b_blank_end <= len);
	check(sig->b_len > 0 && sig->b_len <= PCL_DKIM_TAGS_B_MAX);
	check(strlen(sig->d) <= PCL_DKIM_TAGS_DOMAIN_MAX);
	check(strlen(sig->s) <= PCL_DKIM_TAGS_DOMAIN_MAX);
	check(sig->i_domain > 0 && sig->i_domain < sizeof(sig->i));
	check(sig->i[sig->i_domain - 1] == '@');
	check(strlen(sig->i) < sizeof(sig->i));
	check(sig->h_n > 0 && sig->h_n <= PCL_DKIM_TAGS_H_MAX);
	check(pcl_dkim_tags_sig_signs(sig, "From"));
	for (size_t k = 0; k < sig->h_n; k++)
		check(strlen(pcl_dkim_tags_sig_header(sig, k)) > 0);
	check(!sig->t_given || !sig->x_given || sig->x >= sig->t);
}

/* key_use - the key as OpenSSL's, and against sig when there is one */
static void
key_use(const struct pcl_dkim_tags_key *key,
        const struct pcl_dkim_tags_sig *sig)
{
	EVP_PKEY *pkey = NULL;
	unsigned bits = 0;
	char err[128];

	check(key->p_len > 0 && key->p_len <= PCL_DKIM_TAGS_P_MAX);
	if (sig != NULL)
		(void)pcl_dkim_tags_key_fits(key, sig, err, sizeof(err));
	if (pcl_dkim_tags_key_pkey(key, 1024, &pkey, &bits, err, sizeof(err)) ==
	    PCL_DKIM_TAGS_OK) {
		check(pkey != NULL);
		check(key->type != PCL_DKIM_TAGS_KEY_RSA ||
		      (bits >= 1024 && bits <= PCL_DKIM_TAGS_RSA_BITS_MAX));
	} else {
		check(pkey == NULL);
	}
	EVP_PKEY_free(pkey);
}

/* LLVMFuzzerTestOneInput - parse one field and one record */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct pcl_dkim_tags_sig *sig = NULL;
	struct pcl_dkim_tags_key *key = NULL;
	const char *whole = (const char *)data;
	const char *rec;
	size_t rec_len;
	char err[128];
	bool sig_ok;

	if (size > 2 * 1024 * 1024 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	sig = malloc(sizeof(*sig));
	key = malloc(sizeof(*key));
	if (sig == NULL || key == NULL)
		goto out;
	if (pcl_dkim_tags_sig_parse(whole, size, sig, err, sizeof(err)) ==
	    PCL_DKIM_TAGS_OK)
		sig_promises(sig, size);
	if (pcl_dkim_tags_key_parse(whole, size, key, err, sizeof(err)) ==
	    PCL_DKIM_TAGS_OK)
		key_use(key, NULL);
	sig_ok = pcl_dkim_tags_sig_parse(ff.f[0], ff.len[0], sig, err,
	                                 sizeof(err)) == PCL_DKIM_TAGS_OK;
	if (sig_ok)
		sig_promises(sig, ff.len[0]);
	/* the record: everything after the first NUL */
	rec = ff.n > 1 ? whole + ff.len[0] + 1 : "";
	rec_len = ff.n > 1 ? size - ff.len[0] - 1 : 0;
	if (pcl_dkim_tags_key_parse(rec, rec_len, key, err, sizeof(err)) ==
	    PCL_DKIM_TAGS_OK)
		key_use(key, sig_ok ? sig : NULL);
out:
	free(sig);
	free(key);
	fuzz_fields_free(&ff);
	return 0;
}
