/*
 * fuzz_util - helpers shared by the libFuzzer targets of fuzz/
 *
 * A target's input is split at NUL bytes into fields (a C string can
 * hold no NUL, so the separator costs the fuzzer nothing); missing
 * fields are "". Map files and configuration text go through one
 * temporary file per process.
 */
#ifndef PCL_FUZZ_UTIL_H
#define PCL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_FIELDS_MAX 16

struct fuzz_fields {
	char *buf; /* the input, NUL-terminated, cut at NUL bytes */
	const char *f[FUZZ_FIELDS_MAX];
	size_t len[FUZZ_FIELDS_MAX];
	size_t n; /* fields present in the input */
};

/* fuzz_fields_split - split data into at most FUZZ_FIELDS_MAX fields
 * (the last takes the rest, NUL bytes included); 0, or -1 when out of
 * memory */
int fuzz_fields_split(const uint8_t *data, size_t size,
                      struct fuzz_fields *out);

/* fuzz_fields_free - release what split allocated */
void fuzz_fields_free(struct fuzz_fields *ff);

/* fuzz_tmpdir - a private empty directory for this process, made on
 * first use; aborts when it cannot be made */
const char *fuzz_tmpdir(void);

/* fuzz_write_file - replace the file at path with data; aborts on
 * error (a harness fault, not a finding) */
void fuzz_write_file(const char *path, const void *data, size_t size);

#endif
