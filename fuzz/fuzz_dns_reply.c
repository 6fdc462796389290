/*
 * fuzz_dns_reply - DNS reply packets (lib/dns/dns_wire.c): matching a
 * reply to its query and decoding the records of the type asked for
 *
 * Input: one byte picks the question type, one the question name, the
 * rest is the reply as it came off the wire. The query is built for
 * the reply's own ID, so the fuzzer needs to get only the question
 * right to reach the decoder (the seeds have it right). Names given to
 * the query builder are also normalized from the reply bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* LLVMFuzzerTestOneInput - match and decode one reply */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = {PCL_DNS_A, PCL_DNS_AAAA, PCL_DNS_MX,
	                            PCL_DNS_TXT, PCL_DNS_PTR};
	static const char *const names[] = {
	    "example.com",
	    "2.0.0.127.zen.spamhaus.org",
	    "_spf.example.net",
	    "sel._domainkey.example.org",
	    ("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
	     "ip6.arpa"),
	};
	const unsigned char *reply;
	unsigned char *query = NULL;
	size_t qlen = 0;
	size_t rlen;
	struct pcl_dns_answer a;
	char norm[PCL_DOMAIN_MAX + 1];
	char err[PCL_ERR_MAX];
	char text[PCL_DOMAIN_MAX + 2];
	const char *qname;
	int qtype;
	uint16_t id;

	if (size < 2 + DNS_HEADER || size > 2 + DNS_MSG_MAX)
		return 0;
	qtype = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	qname = names[data[1] % (sizeof(names) / sizeof(names[0]))];
	reply = data + 2;
	rlen = size - 2;

	/* the question name checker on raw bytes */
	memcpy(text, reply, rlen < sizeof(text) - 1 ? rlen : sizeof(text) - 1);
	text[rlen < sizeof(text) - 1 ? rlen : sizeof(text) - 1] = '\0';
	(void)dns_name_normalize(text, norm, err, sizeof(err));

	id = (uint16_t)(reply[0] << 8 | reply[1]);
	if (dns_query_build(qname, qtype, id, &query, &qlen) < 0)
		return 0;
	if (dns_reply_match(reply, rlen, query + 2, qlen - 2) != DNS_MATCH_OK)
		goto out;
	(void)dns_reply_rcode(reply);
	(void)dns_reply_truncated(reply);
	memset(&a, 0, sizeof(a));
	(void)dns_reply_decode(reply, rlen, qname, qtype, 60, 3600, &a);
	(void)pcl_dns_status_name(a.status);
	dns_answer_clear(&a);
out:
	free(query);
	return 0;
}
