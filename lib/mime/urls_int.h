/*
 * urls_int - what the files of the urls module share
 *
 * urls.c walks the MIME tree (GMime) and keeps the list; urls_scan.c
 * finds host text in decoded UTF-8 text; urls_host.c turns host text
 * into list entries (libidn2, libpsl). Nothing here is public.
 */
#ifndef PCL_URLS_INT_H
#define PCL_URLS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "urls.h"

/* Longest host text the scanner hands on, before IDN mapping: a
 * 253-byte name in UTF-8 with a few escapes fits. */
#define URLS_HOST_TEXT_MAX 1024

/* One extraction: the caller's list, its limit, and a set of the
 * names already in it (open addressing; slot = index + 1, 0 = empty). */
struct urls_ctx {
	struct pcl_url_domains *out;
	size_t max;
	size_t items_cap;
	size_t *slots;
	size_t nslots;
	bool oom;
};

/* urls_stopped - nothing more can change the list (full or out of
 * memory), so scanning may stop */
bool urls_stopped(const struct urls_ctx *ctx);

/* urls_list_add - add name unless listed; sets capped when full;
 * -1 on out of memory (urls.c) */
int urls_list_add(struct urls_ctx *ctx, const char *name);

/* urls_host_init - libpsl setup, once (urls_host.c) */
void urls_host_init(void);

/* urls_host_note - check host text and add it and its registered
 * domain; -1 on out of memory (urls_host.c) */
int urls_host_note(struct urls_ctx *ctx, const char *text, size_t len);

/* urls_scan_text - find hosts in len bytes of UTF-8 text; html says
 * the text is HTML, whose character references are decoded in place
 * first (urls_scan.c) */
void urls_scan_text(struct urls_ctx *ctx, char *text, size_t len, bool html);

#endif
