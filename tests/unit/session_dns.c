/*
 * session_dns - the fake DNS server and a configuration pointed at it
 */
#include "config.h"

#include <check.h>

#include "conf_fixture.h"
#include "fakedns.h"
#include "session_dns.h"
#include "util.h"

static struct fakedns *fk;

/* session_dns_start - fakedns on zone */
void
session_dns_start(const char *zone)
{
	fk = fakedns_start(zone);
	ck_assert_ptr_nonnull(fk);
}

/* session_dns_stop - stop it */
void
session_dns_stop(void)
{
	fakedns_stop();
	fk = NULL;
}

/* session_dns_load - base, the resolver, extra */
struct pcl_conf *
session_dns_load(const char *dir, const char *base, const char *extra)
{
	char text[4096];

	ck_assert_ptr_nonnull(fk);
	ck_assert_msg(
	    pcl_format(text, sizeof(text),
	               "%sdns_servers = %s\ndns_timeout = 500ms\n%s\n", base,
	               fk->servers, extra),
	    "configuration text too long");
	return conf_fixture_load(dir, text);
}
