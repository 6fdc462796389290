/*
 * session_dns - the fake DNS server and a configuration pointed at it
 */
#include "config.h"

#include <check.h>

#include <time.h>
#include <unistd.h>

#include "conf_fixture.h"
#include "fakedns.h"
#include "fd_count.h"
#include "session.h"
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

/* session_dns_fds_settle - HELO until one socket is left, then MAIL */
void
session_dns_fds_settle(struct pcl_session *s, int base)
{
	struct timespec t0, t;
	struct pcl_decision d;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(10 * 1000);
		pcl_session_helo(s, "mail.example.net", &d);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (fd_count() - base > 1 && t.tv_sec - t0.tv_sec < 10);
	ck_assert_msg(fd_count() - base == 1,
	              "after HELO: got %d sockets, want 1 (the dropped list)",
	              fd_count() - base);
	pcl_session_mail(s, "a@example.net", NULL, &d);
	ck_assert_msg(fd_count() - base == 1,
	              "after MAIL: got %d sockets, want 1", fd_count() - base);
}
