/*
 * fuzz_util - field splitting and temporary files for the fuzz targets
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"

/* fuzz_fields_split - cut a copy of data at NUL bytes */
int
fuzz_fields_split(const uint8_t *data, size_t size, struct fuzz_fields *out)
{
	size_t start = 0;

	memset(out, 0, sizeof(*out));
	out->buf = malloc(size + 1);
	if (out->buf == NULL)
		return -1;
	if (size > 0)
		memcpy(out->buf, data, size);
	out->buf[size] = '\0';
	for (size_t i = 0; i < FUZZ_FIELDS_MAX; i++) {
		out->f[i] = "";
		out->len[i] = 0;
	}
	if (size == 0)
		return 0;
	while (out->n < FUZZ_FIELDS_MAX) {
		char *nul = out->n + 1 < FUZZ_FIELDS_MAX
		                ? memchr(out->buf + start, '\0', size - start)
		                : NULL;
		size_t end = nul != NULL ? (size_t)(nul - out->buf) : size;

		out->f[out->n] = out->buf + start;
		out->len[out->n] = end - start;
		out->n++;
		if (nul == NULL)
			break;
		start = end + 1;
	}
	return 0;
}

/* fuzz_fields_free - release the copy */
void
fuzz_fields_free(struct fuzz_fields *ff)
{
	free(ff->buf);
	ff->buf = NULL;
}

static char tmpdir[256];

/* tmpdir_remove - at exit, empty and remove the private directory (it
 * holds only plain files this process wrote) */
static void
tmpdir_remove(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	(void)rmdir(tmpdir);
}

/* fuzz_tmpdir - mkdtemp once per process */
const char *
fuzz_tmpdir(void)
{
	char *dir = tmpdir;
	const char *base = getenv("TMPDIR");

	if (dir[0] != '\0')
		return dir;
	if (base == NULL || *base == '\0')
		base = "/tmp";
	if (snprintf(dir, sizeof(tmpdir), "%s/pcl-fuzz.XXXXXX", base) >=
	        (int)sizeof(tmpdir) ||
	    mkdtemp(dir) == NULL) {
		perror("fuzz_tmpdir");
		abort();
	}
	atexit(tmpdir_remove);
	return dir;
}

/* fuzz_write_file - truncate and write */
void
fuzz_write_file(const char *path, const void *data, size_t size)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0) {
		perror(path);
		abort();
	}
	while (size > 0) {
		ssize_t n = write(fd, p, size);

		if (n <= 0) {
			perror(path);
			abort();
		}
		p += n;
		size -= (size_t)n;
	}
	close(fd);
}
