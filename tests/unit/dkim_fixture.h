/*
 * dkim_fixture - what the DKIM suites set up alike: a scratch
 * directory, and fakedns serving a test. zone with a DNS module on it
 */
#ifndef PCL_DKIM_FIXTURE_H
#define PCL_DKIM_FIXTURE_H

#include <stddef.h>

#include "dns.h"

/* fixture_dir_make - a new empty directory /tmp/PREFIX-XXXXXX into dir */
void fixture_dir_make(char *dir, size_t len, const char *prefix);

/* fixture_dir_remove - remove dir and everything in it */
void fixture_dir_remove(const char *dir);

/* fixture_dns_start - fakedns serving the records (relative to test.,
 * SOA added) and a DNS module asking it */
struct pcl_dns *fixture_dns_start(const char *records);

/* fixture_dns_stop - undo fixture_dns_start */
void fixture_dns_stop(struct pcl_dns *dns);

#endif
