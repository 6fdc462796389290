/*
 * fuzz_conf - configuration text (lib/core/conf*.c): main.cf syntax,
 * continuation lines, every typed value of the key table, replies and
 * their templates, and everything the load builds from them
 *
 * The input is written as a configuration file and loaded; a good one
 * is dumped and freed. Every '/' becomes '_' and the process works in
 * an empty private directory, so a value naming a file (a map, a key
 * table, a private key) names one that does not exist: the target
 * fuzzes the parser, not the file system.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz_util.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[512];

/* LLVMFuzzerInitialize - work in the private directory */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!pcl_format(path, sizeof(path), "%s/portcullis.conf",
	                fuzz_tmpdir()) ||
	    chdir(fuzz_tmpdir()) < 0)
		abort();
	return 0;
}

/* LLVMFuzzerTestOneInput - load one configuration */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcl_conf *c;
	char *text;
	char *errors = NULL;
	char *dump;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	for (size_t i = 0; i < size; i++)
		text[i] = data[i] == '/' ? '_' : (char)data[i];
	fuzz_write_file(path, text, size);
	free(text);
	c = pcl_conf_load(path, NULL, 0, &errors);
	if (c != NULL) {
		dump = pcl_conf_dump(c);
		free(dump);
		for (size_t i = 0; pcl_conf_check_names[i] != NULL; i++)
			(void)pcl_conf_is_dry_run(c, pcl_conf_check_names[i]);
		pcl_conf_free(c);
	}
	free(errors);
	return 0;
}
