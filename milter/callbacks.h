/*
 * callbacks - libmilter's events, driven into a session
 *
 * One struct smfiDesc for smfi_register. The callbacks translate each
 * milter event into the matching pcl_session call and its decision
 * into a milter return code and reply. They keep no state of their own
 * outside the per-connection private data (libmilter moves a
 * connection between worker threads).
 */
#ifndef PCL_CALLBACKS_H
#define PCL_CALLBACKS_H

/* mfapi.h typedefs bool as int unless stdbool.h came first. */
#include <stdbool.h>

#include <libmilter/mfapi.h>

/* pcl_callbacks_desc - the filter description for smfi_register */
const struct smfiDesc *pcl_callbacks_desc(void);

#endif
