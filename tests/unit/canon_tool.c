/*
 * canon_tool - lib/auth/dkim_canon.c on standard input, for
 * dkim_canon_judge.py to hold against python3-dkim
 *
 *   canon_tool body   s|r STEP   the body, fed in chunks of STEP bytes
 *   canon_tool header s|r        "Name:value" (folds as bare LF)
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"

/* out - canonical bytes to standard output */
static void
out(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	fwrite(p, 1, n, stdout);
}

int
main(int argc, char **argv)
{
	static char buf[1 << 20];
	enum pcl_canon_mode c;
	struct pcl_dkim_body b;
	size_t n, step;
	char *colon;

	if (argc < 3)
		return 2;
	c = argv[2][0] == 'r' ? PCL_CANON_RELAXED : PCL_CANON_SIMPLE;
	n = fread(buf, 1, sizeof(buf) - 1, stdin);
	buf[n] = '\0';
	if (strcmp(argv[1], "header") == 0) {
		if ((colon = strchr(buf, ':')) == NULL)
			return 2;
		*colon = '\0';
		pcl_dkim_canon_header(c, buf, colon + 1, true, out, NULL);
		return 0;
	}
	step = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : n;
	if (step == 0)
		step = 1;
	pcl_dkim_body_init(&b, c, UINT64_MAX, out, NULL);
	for (size_t i = 0; i < n; i += step)
		pcl_dkim_body_update(&b, (const unsigned char *)buf + i,
		                     n - i < step ? n - i : step);
	pcl_dkim_body_final(&b);
	return 0;
}
