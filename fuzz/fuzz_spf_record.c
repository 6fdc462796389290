/*
 * fuzz_spf_record - SPF record syntax (lib/auth/spf_parse.c) and the
 * macro scanner behind it (spf_macro.c)
 *
 * The input is a TXT record as the DNS hands it over (NUL bytes
 * included); "v=spf1 " is put in front when it is missing so that the
 * fuzzer spends its time past the version check. A record that parses
 * has every domain-spec (terms, redirect=, exp=) expanded as the
 * evaluator would, for a fixed client, without DNS (the "p" macro sees
 * a fixed list of validated names). The input is also checked as an
 * explanation string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "spf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ctx_setup - a fixed request for expansions: no resolver, PTR names
 * already "looked up" */
static void
ctx_setup(struct spf_ctx *c, struct pcl_spf_request *req)
{
	memset(req, 0, sizeof(*req));
	(void)pcl_addr_parse("192.0.2.1", &req->ip);
	req->sender = "strong-bad@email.example.com";
	req->domain = "email.example.com";
	req->helo = "mx.example.org";
	req->receiver = "mx.example.net";
	memset(c, 0, sizeof(*c));
	c->req = req;
	c->ip = req->ip;
	pcl_copy(c->sender, sizeof(c->sender), req->sender);
	c->locallen = strlen("strong-bad");
	c->odomain = c->sender + c->locallen + 1;
	c->ptr_done = true;
	pcl_copy(c->ptr_names[0], sizeof(c->ptr_names[0]), "mx.example.com");
	c->nptr = 1;
}

/* LLVMFuzzerTestOneInput - parse one record, expand what it names */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char version[] = "v=spf1 ";
	struct spf_ctx *c = NULL;
	struct pcl_spf_request req;
	struct spf_record rec;
	char err[PCL_ERR_MAX];
	char name[PCL_DOMAIN_MAX + 1];
	char *text = NULL;
	size_t len = size;
	size_t off = 0;

	if (size > 65536)
		return 0; /* larger than any DNS message */
	if (size < 6 || memcmp(data, version, 6) != 0)
		off = sizeof(version) - 1;
	text = malloc(off + size + 1);
	c = malloc(sizeof(*c));
	if (text == NULL || c == NULL)
		goto out;
	memcpy(text, version, off);
	if (size > 0)
		memcpy(text + off, data, size);
	len = off + size;
	text[len] = '\0';

	(void)spf_macro_check(text, len, SPF_MACRO_EXP, NULL);
	memset(&rec, 0, sizeof(rec));
	if (spf_record_parse(text, len, &rec, err, sizeof(err)) < 0)
		goto out;
	ctx_setup(c, &req);
	for (size_t i = 0; i < rec.nterms; i++) {
		const struct spf_term *t = &rec.terms[i];

		if (t->spec != NULL) {
			(void)spf_spec_check(t->spec, t->speclen);
			(void)spf_expand_name(c, "email.example.com", t->spec,
			                      t->speclen, name);
		}
	}
	if (rec.redirect != NULL)
		(void)spf_expand_name(c, "email.example.com", rec.redirect,
		                      rec.redirectlen, name);
	if (rec.exp != NULL)
		(void)spf_expand_name(c, "email.example.com", rec.exp,
		                      rec.explen, name);
	spf_record_clear(&rec);
out:
	free(c);
	free(text);
	return 0;
}
