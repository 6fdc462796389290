/*
 * fakedns_zone - the zone of fakedns and the answers it gives
 *
 * Zone text (master-file format) is parsed once at start into a list
 * of records, the SOA among them; it is read-only while the server
 * thread runs. An answer is what an authoritative server would give:
 * the records of the asked type, a CNAME chain followed inside the
 * zone, NODATA or NXDOMAIN with the SOA in the authority section.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fakedns_int.h"

#define FK_HOPS 8

static struct {
	ldns_rr_list *rrs; /* the zone, SOA included */
	ldns_rr *soa;
} zone;

/* fk_zone_load - parse zone text into the zone */
int
fk_zone_load(const char *text)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	ldns_zone *z = NULL;
	ldns_status st;
	int line = 0;

	if (fp == NULL)
		return -1;
	st = ldns_zone_new_frm_fp_l(&z, fp, NULL, 300, LDNS_RR_CLASS_IN, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK) {
		fprintf(stderr, "fakedns: zone line %d: %s\n", line,
		        ldns_get_errorstr_by_id(st));
		return -1;
	}
	zone.rrs = ldns_rr_list_clone(ldns_zone_rrs(z));
	if (ldns_zone_soa(z) != NULL) {
		zone.soa = ldns_rr_clone(ldns_zone_soa(z));
		ldns_rr_list_push_rr(zone.rrs, ldns_rr_clone(zone.soa));
	}
	ldns_zone_deep_free(z);
	return zone.rrs ? 0 : -1;
}

/* fk_zone_add_txt - a TXT record of any length into the loaded zone */
int
fk_zone_add_txt(const char *name, const char *text, size_t len)
{
	ldns_rdf *owner = ldns_dname_new_frm_str(name);
	ldns_rr *rr = ldns_rr_new();
	size_t at = 0;

	if (zone.rrs == NULL || owner == NULL || rr == NULL ||
	    len + (len + 254) / 255 > LDNS_MAX_RDFLEN)
		goto fail;
	ldns_rr_set_owner(rr, owner);
	owner = NULL; /* the record's now */
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 300);
	do {
		size_t n = len - at < 255 ? len - at : 255;
		uint8_t str[256];
		ldns_rdf *rdf;

		str[0] = (uint8_t)n;
		memcpy(str + 1, text + at, n);
		rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, str);
		if (rdf == NULL || !ldns_rr_push_rdf(rr, rdf)) {
			ldns_rdf_deep_free(rdf);
			goto fail;
		}
		at += n;
	} while (at < len);
	if (ldns_rr_list_push_rr(zone.rrs, rr))
		return 0;
fail:
	fprintf(stderr, "fakedns: cannot add a TXT record of %zu bytes at %s\n",
	        len, name);
	ldns_rdf_deep_free(owner);
	ldns_rr_free(rr);
	return -1;
}

/* fk_zone_free - undo fk_zone_load */
void
fk_zone_free(void)
{
	if (zone.rrs != NULL)
		ldns_rr_list_deep_free(zone.rrs);
	if (zone.soa != NULL)
		ldns_rr_free(zone.soa);
	memset(&zone, 0, sizeof(zone));
}

/* fk_exists - does name own records or have names below it */
static bool
fk_exists(const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(zone.rrs); i++) {
		const ldns_rdf *owner =
		    ldns_rr_owner(ldns_rr_list_rr(zone.rrs, i));

		if (ldns_dname_compare(owner, name) == 0 ||
		    ldns_dname_is_subdomain(owner, name))
			return true;
	}
	return false;
}

/* fk_resolve - answer section, RCODE and authority for (qname, type) */
static void
fk_resolve(ldns_pkt *r, const ldns_rdf *qname, ldns_rr_type type)
{
	const ldns_rdf *name = qname;

	for (int hop = 0; hop < FK_HOPS; hop++) {
		const ldns_rr *cname = NULL;
		bool found = false;

		for (size_t i = 0; i < ldns_rr_list_rr_count(zone.rrs); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(zone.rrs, i);

			if (ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
				continue;
			if (ldns_rr_get_type(rr) == type ||
			    type == LDNS_RR_TYPE_ANY) {
				ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER,
				                 ldns_rr_clone(rr));
				found = true;
			} else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
				cname = rr;
			}
		}
		if (found)
			return;
		if (cname == NULL)
			break;
		ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, ldns_rr_clone(cname));
		name = ldns_rr_rdf(cname, 0);
	}
	ldns_pkt_set_rcode(r, fk_exists(name) ? LDNS_RCODE_NOERROR
	                                      : LDNS_RCODE_NXDOMAIN);
	if (zone.soa != NULL)
		ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY,
		                 ldns_rr_clone(zone.soa));
}

/* fk_answer - the reply packet to query: RCODE rcode, or from the zone
 * when rcode is -1 */
ldns_pkt *
fk_answer(const ldns_pkt *query, int rcode)
{
	ldns_pkt *r = ldns_pkt_new();
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);

	if (r == NULL)
		return NULL;
	ldns_pkt_set_id(r, ldns_pkt_id(query));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_aa(r, true);
	ldns_pkt_set_rd(r, ldns_pkt_rd(query));
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(query));
	if (q == NULL) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_FORMERR);
		return r;
	}
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, ldns_rr_clone(q));
	if (rcode >= 0)
		ldns_pkt_set_rcode(r, (uint8_t)rcode);
	else
		fk_resolve(r, ldns_rr_owner(q), ldns_rr_get_type(q));
	return r;
}

/* fk_empty - is reply an NXDOMAIN or NODATA for the asked type */
bool
fk_empty(const ldns_pkt *reply, const ldns_pkt *query)
{
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_rr_list *found;

	if (q == NULL || ldns_pkt_get_rcode(reply) != LDNS_RCODE_NOERROR)
		return true;
	found = ldns_pkt_rr_list_by_type(reply, ldns_rr_get_type(q),
	                                 LDNS_SECTION_ANSWER);
	if (found == NULL)
		return true;
	ldns_rr_list_deep_free(found);
	return false;
}
