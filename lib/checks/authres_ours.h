/*
 * authres_ours - this host's Authentication-Results from the published
 * results (authres_ours.c)
 */
#ifndef PCL_AUTHRES_OURS_H
#define PCL_AUTHRES_OURS_H

#include <stddef.h>

#include "authres.h"
#include "checks.h"

/* pcl_authres_ours - k's results into ar (initialised with
 * authserv_id); how many there are */
size_t pcl_authres_ours(const struct pcl_facts *k, struct pcl_authres *ar);

#endif
