/*
 * dns_wire - names, queries and replies in wire format
 *
 * The only file of portcullis that calls ldns: it encodes queries and
 * decodes replies, nothing more (ldns's resolver is not used; see
 * dns_query.c). A reply is first matched to its query on the raw bytes,
 * because a truncated UDP reply need not parse, then decoded with
 * ldns_wire2pkt into a struct pcl_dns_answer.
 *
 * Query names are taken byte for byte: the name is cut into labels at
 * the dots and handed to ldns as wire data, never as presentation text,
 * so a backslash or a quote in an SPF-expanded name is an ordinary byte
 * and not an escape.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns_int.h"

#define DNAME_WIRE_MAX 255 /* RFC 1035 3.1 */

/* dns_name_normalize - check a name; copy it lower-cased, undotted */
int
dns_name_normalize(const char *name, char *out, char *err, size_t errlen)
{
	size_t len = strnlen(name, PCL_DOMAIN_MAX + 2);
	size_t label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0) {
		pcl_copy(err, errlen, "bad name: empty");
		return -1;
	}
	if (len > PCL_DOMAIN_MAX) {
		pcl_format(err, errlen, "bad name: over %d bytes",
		           PCL_DOMAIN_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* Not LDH only: DNSBL, DKIM (_domainkey) and SPF macro
		 * names carry '_' and other odd bytes, even a space (an
		 * SPF macro may expand to one: RFC 7208 test suite,
		 * macro-mania-in-domain). Controls are never meant. */
		if (c < 0x20 || c == 0x7f) {
			pcl_format(err, errlen, "bad name: byte 0x%02x", c);
			return -1;
		}
		if (c == '.') {
			if (label == 0) {
				pcl_copy(err, errlen, "bad name: empty label");
				return -1;
			}
			label = 0;
		} else if (++label > PCL_LABEL_MAX) {
			pcl_format(err, errlen, "bad name: label over %d bytes",
			           PCL_LABEL_MAX);
			return -1;
		}
		out[i] = (char)tolower(c);
	}
	out[len] = '\0';
	return 0;
}

/* name_wire - a normalised name as an uncompressed wire dname */
static size_t
name_wire(const char *name, unsigned char wire[DNAME_WIRE_MAX])
{
	size_t at = 0;

	/* dns_name_normalize bounds the name to 253 bytes and labels to
	 * 1..63, so the result has at most 255 bytes. */
	while (*name) {
		size_t n = strcspn(name, ".");

		wire[at++] = (unsigned char)n;
		memcpy(wire + at, name, n);
		at += n;
		name += n;
		if (*name == '.')
			name++;
	}
	wire[at++] = 0;
	return at;
}

/* name_rdf - a normalised name as an ldns dname; NULL out of memory */
static ldns_rdf *
name_rdf(const char *name)
{
	unsigned char wire[DNAME_WIRE_MAX];
	size_t len = name_wire(name, wire);

	return ldns_dname_new_frm_data((uint16_t)len, wire);
}

/* dns_query_build - query wire form with its TCP length prefix */
int
dns_query_build(const char *name, int type, uint16_t id, unsigned char **out,
                size_t *outlen)
{
	ldns_rdf *qname = name_rdf(name);
	ldns_pkt *pkt = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (qname == NULL)
		goto out;
	/* ldns_pkt_query_new owns qname once it returns a packet */
	pkt = ldns_pkt_query_new(qname, (ldns_rr_type)type, LDNS_RR_CLASS_IN,
	                         LDNS_RD);
	if (pkt == NULL) {
		ldns_rdf_deep_free(qname);
		goto out;
	}
	ldns_pkt_set_id(pkt, id);
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK ||
	    len > DNS_MSG_MAX)
		goto out;
	*out = malloc(len + 2);
	if (*out == NULL)
		goto out;
	(*out)[0] = (unsigned char)(len >> 8);
	(*out)[1] = (unsigned char)len;
	memcpy(*out + 2, wire, len);
	*outlen = len + 2;
	rc = 0;
out:
	LDNS_FREE(wire);
	ldns_pkt_free(pkt);
	return rc;
}

/* dns_reply_rcode - the RCODE of a reply header */
int
dns_reply_rcode(const unsigned char *reply)
{
	return reply[3] & 0x0f;
}

/* dns_reply_truncated - the TC bit of a reply header */
bool
dns_reply_truncated(const unsigned char *reply)
{
	return (reply[2] & 0x02) != 0;
}

/* rcode_may_omit_question - error RCODEs sent without a question */
static bool
rcode_may_omit_question(int rcode)
{
	return rcode == DNS_FORMERR || rcode == DNS_SERVFAIL ||
	       rcode == DNS_NOTIMP || rcode == DNS_REFUSED;
}

/* dns_reply_match - is this the reply to that query */
enum dns_match
dns_reply_match(const unsigned char *reply, size_t rlen,
                const unsigned char *query, size_t qlen)
{
	size_t at = DNS_HEADER;
	unsigned qdcount;
	int rcode;

	if (rlen < DNS_HEADER || qlen < DNS_HEADER + 5)
		return DNS_MATCH_NO;
	if (reply[0] != query[0] || reply[1] != query[1])
		return DNS_MATCH_NO; /* ID */
	if (!(reply[2] & 0x80) || (reply[2] & 0x78) != (query[2] & 0x78))
		return DNS_MATCH_NO; /* QR, OPCODE */
	qdcount = (unsigned)reply[4] << 8 | reply[5];
	rcode = dns_reply_rcode(reply);
	/* RFC 1035 lets an error reply leave out the question */
	if (qdcount == 0)
		return rcode_may_omit_question(rcode) ? DNS_MATCH_OK
		                                      : DNS_MATCH_NO;
	if (qdcount != 1)
		return DNS_MATCH_NO;
	/* The name label by label; lengths are at most 63, below 'A', so
	 * tolower() on every byte folds only the letters. A compression
	 * pointer (0xc0..) never equals a length and fails the match. */
	for (;;) {
		size_t n;

		if (at >= qlen || at >= rlen || reply[at] != query[at])
			return DNS_MATCH_NO;
		n = query[at++];
		if (n == 0)
			break;
		if (at + n > qlen || at + n > rlen)
			return DNS_MATCH_NO;
		for (size_t i = 0; i < n; i++, at++)
			if (tolower(reply[at]) != tolower(query[at]))
				return DNS_MATCH_NO;
	}
	/* type and class, byte for byte */
	if (at + 4 > qlen || at + 4 > rlen || memcmp(reply + at, query + at, 4))
		return DNS_MATCH_NO;
	return DNS_MATCH_OK;
}

/* dns_rcode_name - the mnemonic of an RCODE */
const char *
dns_rcode_name(int rcode, char *buf, size_t len)
{
	static const char *const names[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	pcl_format(buf, len, "RCODE %d", rcode);
	return buf;
}

/* dns_answer_clear - free an answer's contents, back to PENDING */
void
dns_answer_clear(struct pcl_dns_answer *a)
{
	for (size_t i = 0; a->rrs != NULL && i < a->count; i++) {
		struct pcl_dns_rr *rr = &a->rrs[i];

		switch (a->type) {
		case PCL_DNS_MX:
			free(rr->u.mx.host);
			break;
		case PCL_DNS_PTR:
			free(rr->u.name);
			break;
		case PCL_DNS_TXT:
			free(rr->u.txt.text);
			break;
		default:
			break;
		}
	}
	free(a->rrs);
	free(a->wire);
	memset(a, 0, sizeof(*a));
	a->status = PCL_DNS_PENDING;
	a->rcode = -1;
}

/* dns_answer_fail - a failed answer with a reason */
void
dns_answer_fail(struct pcl_dns_answer *a, enum pcl_dns_status status,
                const char *fmt, ...)
{
	va_list ap;
	int n;

	a->status = status;
	a->ttl = 0;
	va_start(ap, fmt);
	n = vsnprintf(a->error, sizeof(a->error), fmt, ap);
	va_end(ap);
	if (n < 0)
		a->error[0] = '\0';
}

/* dname_text - a dname as text without the trailing dot; NULL no mem */
static char *
dname_text(const ldns_rdf *rdf)
{
	char *text = ldns_rdf2str(rdf);
	char *copy = NULL;
	size_t n;

	if (text == NULL)
		return NULL;
	n = strlen(text);
	if (n > 0 && text[n - 1] == '.')
		n--;
	copy = malloc(n + 1);
	if (copy != NULL) {
		memcpy(copy, text, n);
		copy[n] = '\0';
	}
	LDNS_FREE(text);
	return copy;
}

/* rr_fill - the typed fields of one record: 0, -1 no memory, -2 bad */
static int
rr_fill(const ldns_rr *rr, int type, struct pcl_dns_rr *out)
{
	const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);
	size_t total = 0;

	out->ttl = ldns_rr_ttl(rr);
	switch (type) {
	case PCL_DNS_A:
	case PCL_DNS_AAAA: {
		size_t want = type == PCL_DNS_A ? 4 : 16;

		if (rdf == NULL || ldns_rdf_size(rdf) != want)
			return -2;
		out->u.addr.family = type == PCL_DNS_A ? AF_INET : AF_INET6;
		memcpy(out->u.addr.bytes, ldns_rdf_data(rdf), want);
		return 0;
	}
	case PCL_DNS_MX:
		if (ldns_rr_rd_count(rr) < 2 || ldns_rdf_size(rdf) != 2)
			return -2;
		out->u.mx.preference = ldns_rdf2native_int16(rdf);
		out->u.mx.host = dname_text(ldns_rr_rdf(rr, 1));
		return out->u.mx.host ? 0 : -1;
	case PCL_DNS_PTR:
		if (rdf == NULL)
			return -2;
		out->u.name = dname_text(rdf);
		return out->u.name ? 0 : -1;
	case PCL_DNS_TXT:
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			rdf = ldns_rr_rdf(rr, i);
			if (ldns_rdf_size(rdf) < 1 ||
			    ldns_rdf_data(rdf)[0] + 1u != ldns_rdf_size(rdf))
				return -2;
			total += ldns_rdf_data(rdf)[0];
		}
		out->u.txt.text = malloc(total + 1);
		if (out->u.txt.text == NULL)
			return -1;
		for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
			rdf = ldns_rr_rdf(rr, i);
			memcpy(out->u.txt.text + out->u.txt.len,
			       ldns_rdf_data(rdf) + 1, ldns_rdf_data(rdf)[0]);
			out->u.txt.len += ldns_rdf_data(rdf)[0];
		}
		out->u.txt.text[total] = '\0';
		return 0;
	default:
		return 0; /* other types: the TTL, and the wire form */
	}
}

/* owned_by - is rr of class IN, of type, and owned by name */
static bool
owned_by(const ldns_rr *rr, const ldns_rdf *name, int type)
{
	return ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       (int)ldns_rr_get_type(rr) == type &&
	       ldns_dname_compare(ldns_rr_owner(rr), name) == 0;
}

/* negative_ttl - RFC 2308 section 5: the lesser of the SOA's TTL and
 * its MINIMUM field; 0 (the floor after clamping) without an SOA */
static uint32_t
negative_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *auth = ldns_pkt_authority(pkt);

	for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *min = ldns_rr_rdf(rr, 6);
		uint32_t ttl = ldns_rr_ttl(rr);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || min == NULL ||
		    ldns_rdf_size(min) != 4)
			continue;
		return ldns_rdf2native_int32(min) < ttl
		           ? ldns_rdf2native_int32(min)
		           : ttl;
	}
	return 0;
}

/* decode_records - status, TTL and records of a NOERROR or NXDOMAIN
 * reply, following a CNAME chain inside the answer section */
static int
decode_records(const ldns_pkt *pkt, const ldns_rdf *qname, int qtype,
               struct pcl_dns_answer *a)
{
	const ldns_rr_list *ans = ldns_pkt_answer(pkt);
	size_t nans = ldns_rr_list_rr_count(ans);
	const ldns_rdf *owner = qname;
	uint32_t ttl = UINT32_MAX;
	size_t n = 0;

	for (int hops = 0; hops <= DNS_CNAME_HOPS; hops++) {
		const ldns_rr *cname = NULL;

		for (size_t i = 0; i < nans; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);

			if (owned_by(rr, owner, qtype))
				n++;
			else if (owned_by(rr, owner, LDNS_RR_TYPE_CNAME))
				cname = rr;
		}
		if (n > 0 || cname == NULL || ldns_rr_rdf(cname, 0) == NULL)
			break;
		if (ldns_rr_ttl(cname) < ttl)
			ttl = ldns_rr_ttl(cname);
		owner = ldns_rr_rdf(cname, 0);
	}
	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN || n == 0) {
		uint32_t neg = negative_ttl(pkt);

		a->status = ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN
		                ? PCL_DNS_NXDOMAIN
		                : PCL_DNS_NODATA;
		a->ttl = neg < ttl ? neg : ttl;
		return 0;
	}
	a->rrs = calloc(n, sizeof(*a->rrs));
	if (a->rrs == NULL)
		return -1;
	for (size_t i = 0; i < nans; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		int rc;

		if (!owned_by(rr, owner, qtype))
			continue;
		/* count first: dns_answer_clear frees what was filled */
		a->count++;
		rc = rr_fill(rr, qtype, &a->rrs[a->count - 1]);
		if (rc == -1)
			return -1;
		if (rc == -2) {
			dns_answer_clear(a);
			a->type = qtype;
			a->rcode = DNS_NOERROR;
			dns_answer_fail(a, PCL_DNS_PERMFAIL,
			                "malformed record of type %d", qtype);
			return 0;
		}
		if (a->rrs[a->count - 1].ttl < ttl)
			ttl = a->rrs[a->count - 1].ttl;
	}
	a->status = PCL_DNS_FOUND;
	a->ttl = ttl;
	return 0;
}

/* dns_reply_decode - a matched reply as an answer */
int
dns_reply_decode(const unsigned char *reply, size_t rlen, const char *qname,
                 int qtype, unsigned min_ttl, unsigned max_ttl,
                 struct pcl_dns_answer *a)
{
	ldns_pkt *pkt = NULL;
	ldns_rdf *name = NULL;
	char buf[16];
	int rc = 0;

	a->type = qtype;
	if (ldns_wire2pkt(&pkt, reply, rlen) != LDNS_STATUS_OK) {
		a->rcode = rlen >= DNS_HEADER ? dns_reply_rcode(reply) : -1;
		dns_answer_fail(a, PCL_DNS_PERMFAIL, "unparsable reply");
		goto out;
	}
	a->rcode = ldns_pkt_get_rcode(pkt);
	switch (a->rcode) {
	case DNS_NOERROR:
	case DNS_NXDOMAIN:
		name = name_rdf(qname);
		if (name == NULL || decode_records(pkt, name, qtype, a) < 0) {
			rc = -1;
			break;
		}
		if (a->status == PCL_DNS_PERMFAIL)
			break;
		if (a->ttl < min_ttl)
			a->ttl = min_ttl;
		if (a->ttl > max_ttl)
			a->ttl = max_ttl;
		break;
	case DNS_SERVFAIL:
	case DNS_REFUSED:
		dns_answer_fail(a, PCL_DNS_TEMPFAIL, "%s",
		                dns_rcode_name(a->rcode, buf, sizeof(buf)));
		break;
	default:
		dns_answer_fail(a, PCL_DNS_PERMFAIL, "%s",
		                dns_rcode_name(a->rcode, buf, sizeof(buf)));
		break;
	}
	if (rc < 0) {
		int rcode = a->rcode;

		dns_answer_clear(a);
		a->type = qtype;
		a->rcode = rcode;
		dns_answer_fail(a, PCL_DNS_TEMPFAIL, "out of memory");
	}
out:
	ldns_rdf_deep_free(name);
	ldns_pkt_free(pkt);
	return rc;
}
