/*
 * fuzz_dkim_canon - DKIM canonicalization (lib/auth/dkim_canon.c):
 * header fields and bodies of any bytes, both kinds; each body fed
 * whole and in chunks of a size the input picks, which must give the
 * same bytes (the state kept between chunks is the whole point of a
 * streaming canonicalizer), and never more than l= bytes
 *
 * Input: one byte for the chunk size, one for the kind and l=, then
 * the data (for the header: up to the first NUL, "Name:value").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An output collected by the fuzzer. */
struct sink {
	unsigned char *p;
	size_t n, cap;
};

/* collect - append (aborts when out of memory: a harness fault) */
static void
collect(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;

	if (s->n + n > s->cap) {
		size_t cap = (s->n + n) * 2 + 64;

		if ((s->p = realloc(s->p, cap)) == NULL)
			abort();
		s->cap = cap;
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
}

/* body - canonicalize data in chunks of step (0: whole) */
static void
body(enum pcl_canon_mode c, uint64_t limit, const uint8_t *d, size_t n,
     size_t step, struct sink *s)
{
	struct pcl_dkim_body b;

	pcl_dkim_body_init(&b, c, limit, collect, s);
	for (size_t i = 0; i < n; i += step ? step : n)
		pcl_dkim_body_update(&b, d + i,
		                     step && n - i > step ? step : n - i);
	pcl_dkim_body_final(&b);
}

/* LLVMFuzzerTestOneInput - one body, one header field */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink whole = {0}, chunked = {0}, hdr = {0};
	enum pcl_canon_mode c;
	uint64_t limit;
	char *field, *colon;

	if (size < 2 || size > 1 << 20)
		return 0;
	c = data[1] & 1 ? PCL_CANON_RELAXED : PCL_CANON_SIMPLE;
	limit = data[1] & 2 ? (uint64_t)(data[1] >> 2) * 37 : UINT64_MAX;
	body(c, limit, data + 2, size - 2, 0, &whole);
	body(c, limit, data + 2, size - 2, (size_t)data[0] + 1, &chunked);
	if (whole.n != chunked.n ||
	    (whole.n > 0 && memcmp(whole.p, chunked.p, whole.n) != 0) ||
	    (limit != UINT64_MAX && whole.n > limit))
		abort();
	if ((field = malloc(size - 1)) == NULL)
		abort();
	memcpy(field, data + 2, size - 2);
	field[size - 2] = '\0';
	if ((colon = strchr(field, ':')) != NULL) {
		*colon = '\0';
		pcl_dkim_canon_header(c, field, colon + 1, true, collect, &hdr);
	}
	free(field);
	free(whole.p);
	free(chunked.p);
	free(hdr.p);
	return 0;
}
