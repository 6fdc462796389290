/*
 * dmarc_history - the DMARC check's line of aggregate report data for
 * each message it judged under a policy record (lib/auth/dmarc_report.h
 * has the format, the writer and the reader)
 */
#ifndef PCL_DMARC_HISTORY_H
#define PCL_DMARC_HISTORY_H

#include <stdbool.h>

#include "checks.h"
#include "dmarc.h"

/* pcl_dmarc_history_wanted - whether the message's line will be
 * written: a writer is configured (dmarc_report_dir) and this is the
 * daemon, not the test mode. The check then looks at both kinds of
 * identifier even when the first aligns, and keeps the rua= text. */
bool pcl_dmarc_history_wanted(const struct pcl_check_ctx *x);

/* pcl_dmarc_history_record - the line of the message whose verdict is
 * v, when wanted and a record applied (pass, fail, temperror) */
void pcl_dmarc_history_record(struct pcl_check_ctx *x,
                              const struct pcl_dmarc_verdict *v);

#endif
