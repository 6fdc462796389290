/*
 * snapshot - the configuration in force
 *
 * One mutex guards the current pointer and every reference count.
 * Reference changes happen once per connection, so a plain mutex costs
 * nothing measurable and keeps the rules obvious.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>

#include "snapshot.h"

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pcl_conf *current;

/* pcl_conf_hold - one more reference */
void
pcl_conf_hold(struct pcl_conf *c)
{
	pthread_mutex_lock(&snapshot_lock);
	c->refs++;
	pthread_mutex_unlock(&snapshot_lock);
}

/* pcl_conf_release - one reference less; free at zero */
void
pcl_conf_release(struct pcl_conf *c)
{
	bool last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&snapshot_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&snapshot_lock);
	if (last)
		pcl_conf_free(c);
}

/* pcl_snapshot_install - make c current */
void
pcl_snapshot_install(struct pcl_conf *c)
{
	struct pcl_conf *old;

	pthread_mutex_lock(&snapshot_lock);
	old = current;
	/* A reload keeps the DNS answers learned so far, and which DNS
	 * lists are down. */
	if (c && old) {
		pcl_dns_share_cache(c->dns, old->dns);
		pcl_dns_share_health(c->dns, old->dns);
	}
	current = c;
	pthread_mutex_unlock(&snapshot_lock);
	pcl_conf_release(old);
}

/* pcl_snapshot_acquire - the current conf, held */
struct pcl_conf *
pcl_snapshot_acquire(void)
{
	struct pcl_conf *c;

	pthread_mutex_lock(&snapshot_lock);
	c = current;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&snapshot_lock);
	return c;
}

/* pcl_snapshot_clear - drop the current conf */
void
pcl_snapshot_clear(void)
{
	pcl_snapshot_install(NULL);
}
