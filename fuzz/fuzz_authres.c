/*
 * fuzz_authres - Authentication-Results (lib/auth/authres.c): telling
 * this host's headers from forgeries in received values (comments,
 * quoting, white space before the authserv-id), and building a header
 * from hostile results
 *
 * Fields: the received header value, the authserv-id, then groups of
 * four (method, result, comment, property value) added one result each,
 * cycled through until 40 results were added (more than fit).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* results added per input: more than a header has room for */
#define RESULTS 40

/* LLVMFuzzerTestOneInput - judge one value, build one header */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct pcl_authres *ar = NULL;
	size_t ngroups;

	if (size > 65536 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	(void)pcl_authres_is_ours(ff.f[0], ff.f[1]);
	(void)pcl_authres_is_ours(ff.f[0], "mx.example.net");
	ar = malloc(sizeof(*ar));
	if (ar == NULL)
		goto out;
	pcl_authres_init(ar, ff.f[1]);
	ngroups = ff.n > 2 ? (ff.n - 2 + 3) / 4 : 1;
	if (ngroups > (FUZZ_FIELDS_MAX - 2) / 4)
		ngroups = (FUZZ_FIELDS_MAX - 2) / 4;
	for (size_t r = 0; r < RESULTS; r++) {
		size_t i = 2 + 4 * (r % ngroups);
		const char *comment = *ff.f[i + 2] ? ff.f[i + 2] : NULL;

		pcl_authres_add(ar, ff.f[i], ff.f[i + 1], comment,
		                "smtp.mailfrom", ff.f[i + 3], "header.d",
		                ff.f[i + 3], NULL);
	}
	(void)pcl_authres_is_ours(pcl_authres_value(ar), ff.f[1]);
out:
	free(ar);
	fuzz_fields_free(&ff);
	return 0;
}
