/*
 * fuzz_table - Postfix map files (lib/core/table*.c): cidr, regexp,
 * pcre and texthash lines read from a file, lookups with $n
 * substitution, and access(5) results with Postfix's lookup order
 * (lib/checks/access.c)
 *
 * Input: one byte picks the table type (and whether results are held
 * to access(5) syntax at open), then fields split at NUL bytes: the
 * file's text, then lookup keys. Each key is looked up as it is and
 * through pcl_access_lookup for a client (with a fixed address), a HELO
 * name and a sender.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "fuzz_util.h"
#include "table.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* lookup_all - one key every way a check asks */
static void
lookup_all(const struct pcl_table *t, const char *key)
{
	struct pcl_access_result res;
	char result[PCL_TABLE_RESULT_MAX];
	char err[PCL_ERR_MAX];
	char matched[PCL_ADDRESS_MAX];
	char tiny[4];

	(void)pcl_table_lookup_err(t, key, result, sizeof(result), err,
	                           sizeof(err));
	(void)pcl_table_lookup(t, key, tiny, sizeof(tiny));
	(void)pcl_access_lookup(t, PCL_ACCESS_CLIENT, key, "192.0.2.1", &res,
	                        matched, sizeof(matched), err, sizeof(err));
	(void)pcl_access_lookup(t, PCL_ACCESS_CLIENT, "mail.example.com", key,
	                        &res, matched, sizeof(matched), err,
	                        sizeof(err));
	(void)pcl_access_lookup(t, PCL_ACCESS_HELO, key, NULL, &res, matched,
	                        sizeof(matched), err, sizeof(err));
	(void)pcl_access_lookup(t, PCL_ACCESS_SENDER, key, NULL, &res, NULL, 0,
	                        err, sizeof(err));
}

/* LLVMFuzzerTestOneInput - open one table, look keys up */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {"cidr", "regexp", "pcre",
	                                    "texthash"};
	static char path[512];
	struct fuzz_fields ff;
	struct pcl_table *t = NULL;
	char spec[600];
	char err[PCL_ERR_MAX];
	unsigned sel;

	if (size < 1 || size > 65536)
		return 0;
	if (path[0] == '\0' &&
	    !pcl_format(path, sizeof(path), "%s/map", fuzz_tmpdir()))
		abort();
	sel = data[0];
	if (fuzz_fields_split(data + 1, size - 1, &ff) < 0)
		return 0;
	fuzz_write_file(path, ff.f[0], ff.len[0]);
	if (!pcl_format(spec, sizeof(spec), "%s:%s", types[sel % 4], path))
		abort();
	t = pcl_table_open(spec, sel & 4 ? pcl_access_check_value : NULL, err,
	                   sizeof(err));
	if (t == NULL)
		goto out;
	(void)pcl_table_is_pattern(t);
	(void)pcl_table_is_cidr(t);
	for (size_t i = 1; i < ff.n; i++)
		lookup_all(t, ff.f[i]);
	lookup_all(t, "192.0.2.1");
	lookup_all(t, "2001:db8::1");
	lookup_all(t, "user@mail.example.com");
	lookup_all(t, "");
	pcl_table_free(t);
out:
	fuzz_fields_free(&ff);
	return 0;
}
