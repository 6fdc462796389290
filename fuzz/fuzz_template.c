/*
 * fuzz_template - reply templates (lib/core/template.c): the load-time
 * check and expansion with hostile variable values
 *
 * Fields: the template, then the values of the variables of
 * pcl_template_vars_rbl in table order (the session's and the DNS
 * list's; a field that is not there means "no value"). The template is
 * checked against each variable list and expanded into a reply-sized
 * buffer and into one whose size the input picks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* value_of - the lookup function: field 1 + index of name */
static const char *
value_of(const char *name, void *ctx)
{
	const struct fuzz_fields *ff = ctx;

	for (size_t i = 0; pcl_template_vars_rbl[i] != NULL; i++)
		if (strcmp(pcl_template_vars_rbl[i], name) == 0)
			return i + 1 < ff->n ? ff->f[i + 1] : NULL;
	return NULL;
}

/* LLVMFuzzerTestOneInput - check and expand one template */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	char err[PCL_TEMPLATE_NAME_MAX + 256];
	char reply[1024];
	char *small = NULL;
	size_t smallcap;

	if (size > 16384 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	(void)pcl_template_check(ff.f[0], pcl_template_vars_session, err,
	                         sizeof(err));
	(void)pcl_template_check(ff.f[0], pcl_template_vars_spf, err,
	                         sizeof(err));
	(void)pcl_template_check(ff.f[0], pcl_template_vars_rbl, err, 1);
	(void)pcl_template_expand(ff.f[0], value_of, &ff, reply, sizeof(reply));
	/* any size from 1: the cut must stay inside the buffer */
	smallcap = 1 + size % 64;
	small = malloc(smallcap);
	if (small != NULL)
		(void)pcl_template_expand(ff.f[0], value_of, &ff, small,
		                          smallcap);
	free(small);
	fuzz_fields_free(&ff);
	return 0;
}
