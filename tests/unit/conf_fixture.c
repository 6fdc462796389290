/*
 * conf_fixture - a configuration from text, for the session suites
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "util.h"

/* conf_fixture_load - write, load and remove a config file */
struct pcl_conf *
conf_fixture_load(const char *dir, const char *text)
{
	char path[300];
	char *errors = NULL;
	struct pcl_conf *c;
	FILE *fp;

	pcl_format(path, sizeof(path), "%s/p%d.conf", dir, (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	c = pcl_conf_load(path, NULL, 0, &errors);
	ck_assert_msg(c != NULL, "config: %s", errors ? errors : "");
	unlink(path);
	return c;
}

/* conf_fixture_errors - the errors of text that must not load */
char *
conf_fixture_errors(const char *dir, const char *text)
{
	char path[300];
	char *errors = NULL;
	struct pcl_conf *c;
	FILE *fp;

	pcl_format(path, sizeof(path), "%s/e%d.conf", dir, (int)getpid());
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	c = pcl_conf_load(path, NULL, 0, &errors);
	unlink(path);
	ck_assert_msg(c == NULL, "config loaded: %s", text);
	ck_assert_ptr_nonnull(errors);
	return errors;
}

/* conf_fixture_run - the suite between mkdtemp and rm -rf of dir */
int
conf_fixture_run(Suite *su, char *dir)
{
	SRunner *sr;
	char cmd[300];
	int failed;

	if (mkdtemp(dir) == NULL)
		return 99;
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	pcl_format(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return failed ? 1 : 0;
}
