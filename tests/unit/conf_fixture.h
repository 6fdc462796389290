/*
 * conf_fixture - a configuration from text, for the session suites
 */
#ifndef CONF_FIXTURE_H
#define CONF_FIXTURE_H

#include "conf.h"

/* conf_fixture_load - write text to a file in dir, load it, remove the
 * file; a load that fails fails the test with the errors */
struct pcl_conf *conf_fixture_load(const char *dir, const char *text);

#endif
