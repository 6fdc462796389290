/*
 * snapshot - the configuration in force, swapped on reload
 *
 * The only shared mutable state of the daemon: a pointer to the current
 * configuration and its reference count, guarded by one mutex. A
 * session acquires the current configuration at connect and releases
 * it at close, so a reload never changes the rules under a connection.
 */
#ifndef PCL_SNAPSHOT_H
#define PCL_SNAPSHOT_H

#include "conf.h"

/* pcl_snapshot_install - make c current (takes the caller's
 * reference); the previous one is released */
void pcl_snapshot_install(struct pcl_conf *c);

/* pcl_snapshot_acquire - the current conf with one more reference, or
 * NULL when none is installed */
struct pcl_conf *pcl_snapshot_acquire(void);

/* pcl_conf_hold - one more reference to c */
void pcl_conf_hold(struct pcl_conf *c);

/* pcl_conf_release - drop one reference; frees at zero. NULL is safe. */
void pcl_conf_release(struct pcl_conf *c);

/* pcl_snapshot_clear - release the current conf (at exit) */
void pcl_snapshot_clear(void);

#endif
