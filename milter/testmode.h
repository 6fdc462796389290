/*
 * testmode - one SMTP transaction through the session, offline
 *
 * "portcullis -t" drives the same session calls as the milter, in the
 * same order and with the same inputs as Postfix would give them, and
 * prints the decision trace, the headers that would be added and the
 * verdict. Nothing is logged; DNS lookups (when checks make them) are
 * real.
 */
#ifndef PCL_TESTMODE_H
#define PCL_TESTMODE_H

#include "conf.h"
#include "options.h"

/* pcl_testmode_run - run t against conf, print to stdout; the exit
 * status: 0 accept or tag, 3 quarantine, 4 tempfail, 5 reject,
 * 6 discard, 1 internal error, 2 unreadable message file */
int pcl_testmode_run(struct pcl_conf *conf, const struct pcl_test_args *t);

#endif
