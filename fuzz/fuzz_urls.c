/*
 * fuzz_urls - URL and address domains of a message body
 * (lib/mime/urls*.c): MIME decoding through GMime, HTML entities,
 * IDNs, registered domains, on arbitrary message bytes
 *
 * The whole input is the message (headers, empty line, body); the
 * domain cap is the daemon's default order of magnitude (50).
 */
#include <stdint.h>
#include <stdlib.h>

#include "urls.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerInitialize - GMime and libpsl set up once */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pcl_urls_init();
	return 0;
}

/* LLVMFuzzerTestOneInput - extract the domains of one message */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcl_url_domains d = {0};
	char err[PCL_ERR_MAX];

	if (size > 1024 * 1024)
		return 0;
	if (pcl_urls_extract((const char *)data, size, 50, &d, err,
	                     sizeof(err)) == 0) {
		for (size_t i = 0; i < d.count; i++)
			if (d.items[i] == NULL || d.items[i][0] == '\0')
				abort(); /* the contract: names, never empty */
	}
	pcl_url_domains_clear(&d);
	return 0;
}
