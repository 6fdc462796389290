/*
 * fd_count - the open descriptors of the test process
 */
#include "config.h"

#include <dirent.h>
#include <stddef.h>

#include "fd_count.h"

/* fd_count - entries of /proc/self/fd but ".", ".." and its own */
int
fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own descriptor */
}
