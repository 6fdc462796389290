/*
 * privs - give up root before the milter socket is opened
 *
 * Started as root with a service user configured, the daemon switches
 * to that user for good (supplementary groups, group, user, in that
 * order) and verifies that root cannot be regained. Any failure is
 * fatal: a milter that meant to drop privileges must not go on as
 * root. Started as another user, it runs as that user.
 */
#ifndef PCL_PRIVS_H
#define PCL_PRIVS_H

#include <stddef.h>

/* pcl_privs_drop - become user (conf's "user") when running as root;
 * 0, or -1 with a fatal error in err */
int pcl_privs_drop(const char *user, char *err, size_t errlen);

#endif
