/*
 * dkim_fixture - shared setup of the DKIM suites (see dkim_fixture.h)
 */
#include "config.h"

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_fixture.h"
#include "fakedns.h"
#include "util.h"

/* fixture_dir_make - a fresh, empty directory */
void
fixture_dir_make(char *dir, size_t len, const char *prefix)
{
	ck_assert(pcl_format(dir, len, "/tmp/%s-XXXXXX", prefix));
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* rm_entry - nftw callback removing one entry */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* fixture_dir_remove - remove the directory */
void
fixture_dir_remove(const char *dir)
{
	ck_assert_int_eq(nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

/* fixture_dns_start - fakedns with the records, a DNS module on it */
struct pcl_dns *
fixture_dns_start(const char *records)
{
	static const char head[] = "$ORIGIN test.\n$TTL 300\n@ IN SOA ns.test. "
	                           "admin.test. 1 3600 600 86400 120\n";
	size_t len = sizeof(head) + strlen(records);
	char *zone = malloc(len), err[PCL_ERR_MAX] = "";
	struct pcl_dns_conf conf = {0};
	struct fakedns *fk;
	struct pcl_dns *dns;

	ck_assert_ptr_nonnull(zone);
	ck_assert(pcl_format(zone, len, "%s%s", head, records));
	fk = fakedns_start(zone);
	free(zone);
	ck_assert_ptr_nonnull(fk);
	conf.servers = fk->servers;
	conf.timeout_ms = 1000;
	conf.cache_max_entries = 100;
	dns = pcl_dns_new(&conf, err, sizeof(err));
	ck_assert_msg(dns != NULL, "pcl_dns_new: %s", err);
	return dns;
}

/* fixture_dns_stop - the DNS module, then the server */
void
fixture_dns_stop(struct pcl_dns *dns)
{
	pcl_dns_free(dns);
	fakedns_stop();
}
