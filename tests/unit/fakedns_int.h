/*
 * fakedns_int - what the files of fakedns share, not for the suites
 *
 * fakedns.c       the server thread: sockets, queries, delayed replies
 * fakedns_knobs.c knobs and counters, shared with the test thread
 * fakedns_zone.c  the zone and the answers from it
 */
#ifndef FAKEDNS_INT_H
#define FAKEDNS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

#define FK_NAME_MAX 256

/* How to misbehave for one name. */
struct knob {
	char name[FK_NAME_MAX];
	unsigned delay_ms;
	bool drop;
	bool drop_empty; /* drop only answers without records */
	bool truncate;
	bool tcp_close;
	bool spoof;
	bool garbage;
	bool hold; /* answer only at fakedns_release */
	int rcode; /* -1: answer from the zone */
	unsigned queries;
};

/* fk_normalize - lower case, no trailing dot */
void fk_normalize(const char *in, char out[FK_NAME_MAX]);

/* fk_count - count a query for name; the knob that applies to it */
void fk_count(const char *name, struct knob *k);

/* fk_release - hold answers for the knob name no more */
void fk_release(const char *name);

/* fk_holding - does the knob named knob (as set) still hold answers */
bool fk_holding(const char *knob);

/* fk_knobs_init, fk_knobs_free - knobs and counters, at start and stop */
void fk_knobs_init(void);
void fk_knobs_free(void);

/* fk_zone_load - parse zone text; 0, or -1 with a note on stderr */
int fk_zone_load(const char *text);

/* fk_zone_add_txt - add a TXT record of len bytes of text (strings of
 * 255) owned by the absolute name to the loaded zone; 0, or -1 with a
 * note on stderr */
int fk_zone_add_txt(const char *name, const char *text, size_t len);

/* fk_zone_free - undo fk_zone_load */
void fk_zone_free(void);

/* fk_answer - the reply packet to query: RCODE rcode, or from the zone
 * when rcode is -1 */
ldns_pkt *fk_answer(const ldns_pkt *query, int rcode);

/* fk_empty - is reply an NXDOMAIN or NODATA for the asked type */
bool fk_empty(const ldns_pkt *reply, const ldns_pkt *query);

#endif
