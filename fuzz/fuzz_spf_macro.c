/*
 * fuzz_spf_macro - SPF macro expansion (lib/auth/spf_macro.c) with
 * hostile values, and the Received-SPF header built from them
 * (spf_received.c)
 *
 * Fields (split at NUL bytes): the macro-string, the sender, the HELO
 * name, the current domain, the client address, the receiver, then up
 * to ten validated PTR names. The sender is cut into local-part and
 * domain as pcl_spf_check does; the current domain is held to 253
 * bytes as the evaluator holds it. The string is expanded as a
 * domain-spec (into a query name) and as an explanation, into the
 * evaluator's buffer and into a small one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz_util.h"
#include "spf_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_MACRO, F_SENDER, F_HELO, F_DOMAIN, F_IP, F_RECEIVER, F_PTR };

/* LLVMFuzzerTestOneInput - expand one macro-string */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct spf_ctx *c = NULL;
	struct pcl_spf_request req;
	struct pcl_spf_response resp;
	char domain[PCL_DOMAIN_MAX + 1];
	char name[PCL_DOMAIN_MAX + 1];
	char small[64];
	char header[2048];

	if (size > 16384 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	memset(&req, 0, sizeof(req));
	if (pcl_addr_parse(ff.f[F_IP], &req.ip) < 0)
		(void)pcl_addr_parse("2001:db8::cb01", &req.ip);
	req.sender = ff.f[F_SENDER];
	req.helo = ff.f[F_HELO];
	req.receiver = ff.f[F_RECEIVER];
	(void)pcl_copy(domain, sizeof(domain), ff.f[F_DOMAIN]);
	req.domain = domain;
	c->req = &req;
	c->ip = req.ip;
	c->ptr_done = true;
	for (size_t i = F_PTR; i < ff.n && c->nptr < SPF_PTR_MAX; i++)
		(void)pcl_copy(c->ptr_names[c->nptr++], sizeof(c->ptr_names[0]),
		               ff.f[i]);
	if (spf_sender_setup(c, domain) < 0)
		goto out;

	(void)spf_expand_name(c, domain, ff.f[F_MACRO], ff.len[F_MACRO], name);
	(void)spf_macro_expand(c, domain, ff.f[F_MACRO], ff.len[F_MACRO],
	                       SPF_MACRO_EXP, c->scratch, sizeof(c->scratch));
	(void)spf_macro_expand(c, domain, ff.f[F_MACRO], ff.len[F_MACRO],
	                       SPF_MACRO_EXP, small, sizeof(small));

	memset(&resp, 0, sizeof(resp));
	resp.result = (enum pcl_spf_result)(size % (PCL_SPF_PERMERROR + 1));
	(void)pcl_copy(resp.mechanism, sizeof(resp.mechanism), ff.f[F_MACRO]);
	(void)pcl_copy(resp.problem, sizeof(resp.problem), ff.f[F_MACRO]);
	(void)pcl_spf_received(&req, &resp, size & 1 ? "helo" : "mailfrom",
	                       header, sizeof(header));
out:
	free(c);
	fuzz_fields_free(&ff);
	return 0;
}
