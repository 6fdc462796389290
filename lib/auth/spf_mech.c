/*
 * spf_mech - the mechanisms that match the client address (RFC 7208
 * section 5): ip4 and ip6 against the record; a, mx, ptr and exists
 * against the DNS; and the validated PTR names that ptr and %{p} share
 *
 * DNS answers map onto SPF like this: records found are compared; no
 * records (NXDOMAIN, NODATA) is a void lookup, counted against the
 * limit of 2 once per term (4.6.4); a name the DNS module will not send
 * (a space, a control byte) matches nothing, as an invalid name does
 * (4.3, 4.8); any other failure is a temperror (5), except inside ptr,
 * where a failed lookup only skips (5.5).
 *
 * The address lookups of mx and the validation lookups of ptr go out
 * together in one batch, so ten names cost one round trip.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "spf_int.h"

/* spf_answer_kind - what a DNS answer means to SPF */
enum spf_answer
spf_answer_kind(const struct pcl_dns_answer *a)
{
	if (a == NULL)
		return SPF_ANSWER_ERROR; /* out of memory */
	switch (a->status) {
	case PCL_DNS_FOUND:
		return SPF_ANSWER_FOUND;
	case PCL_DNS_NXDOMAIN:
	case PCL_DNS_NODATA:
		return SPF_ANSWER_VOID;
	case PCL_DNS_PERMFAIL:
		/* refused before any query was sent: a bad name */
		if (a->wire == NULL && a->rcode < 0)
			return SPF_ANSWER_BADNAME;
		return SPF_ANSWER_ERROR;
	case PCL_DNS_PENDING:
	case PCL_DNS_TEMPFAIL:
		return SPF_ANSWER_ERROR;
	}
	return SPF_ANSWER_ERROR;
}

/* addr_type - the address RR type that matches the client */
static int
addr_type(const struct spf_ctx *c)
{
	return c->ip.family == AF_INET ? PCL_DNS_A : PCL_DNS_AAAA;
}

/* addr_in - is the client inside a/cidr (the length of its family) */
static bool
addr_in(const struct spf_ctx *c, const struct pcl_addr *a, unsigned cidr4,
        unsigned cidr6)
{
	struct pcl_cidr block;

	if (a->family != c->ip.family)
		return false;
	block.net = *a;
	block.prefix = a->family == AF_INET ? cidr4 : cidr6;
	return pcl_cidr_match(&block, &c->ip);
}

/* spf_answer_error - why a lookup failed */
const char *
spf_answer_error(const struct pcl_dns_answer *a)
{
	if (a == NULL)
		return "out of memory";
	return a->error[0] ? a->error : pcl_dns_status_name(a->status);
}

/* spf_ip_dotted - the "i" macro (7.3): IPv4 dotted, IPv6 as 32 nibbles
 * in lower case */
void
spf_ip_dotted(const struct pcl_addr *ip, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ip->family == AF_INET) {
		pcl_format(buf, len, "%u.%u.%u.%u", ip->bytes[0], ip->bytes[1],
		           ip->bytes[2], ip->bytes[3]);
		return;
	}
	for (size_t i = 0; i < 16; i++)
		pcl_append(buf, len, "%s%c.%c", i ? "." : "",
		           hex[ip->bytes[i] >> 4], hex[ip->bytes[i] & 0x0f]);
}

/* reverse_name - the PTR query name of an address */
static void
reverse_name(const struct pcl_addr *ip, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf[0] = '\0';
	if (ip->family == AF_INET) {
		pcl_format(buf, len, "%u.%u.%u.%u.in-addr.arpa", ip->bytes[3],
		           ip->bytes[2], ip->bytes[1], ip->bytes[0]);
		return;
	}
	for (size_t i = 16; i-- > 0;)
		pcl_append(buf, len, "%c.%c.", hex[ip->bytes[i] & 0x0f],
		           hex[ip->bytes[i] >> 4]);
	pcl_append(buf, len, "ip6.arpa");
}

/* batch_matches - does any address answer of b match the client;
 * *failed is set when one of the lookups failed */
static bool
batch_matches(const struct spf_ctx *c, const struct pcl_dns_batch *b,
              const int *idx, size_t n, unsigned cidr4, unsigned cidr6,
              bool *failed)
{
	for (size_t i = 0; i < n; i++) {
		const struct pcl_dns_answer *a;

		if (idx[i] < 0)
			continue;
		a = pcl_dns_batch_answer(b, idx[i]);
		switch (spf_answer_kind(a)) {
		case SPF_ANSWER_FOUND:
			for (size_t r = 0; r < a->count; r++)
				if (addr_in(c, &a->rrs[r].u.addr, cidr4, cidr6))
					return true;
			break;
		case SPF_ANSWER_ERROR:
			*failed = true;
			break;
		case SPF_ANSWER_VOID:
		case SPF_ANSWER_BADNAME:
			break;
		}
	}
	return false;
}

/* spf_ptr_names - the client's validated names (5.5), looked up once:
 * the first 10 PTR names whose addresses include the client */
void
spf_ptr_names(struct spf_ctx *c)
{
	char rev[PCL_DOMAIN_MAX + 1];
	struct pcl_dns_answer *ptr = NULL;
	struct pcl_dns_batch *b = NULL;
	int idx[SPF_PTR_MAX];
	size_t n;

	if (c->ptr_done)
		return;
	c->ptr_done = true;
	reverse_name(&c->ip, rev, sizeof(rev));
	ptr = pcl_dns_lookup(c->dns, rev, PCL_DNS_PTR);
	switch (spf_answer_kind(ptr)) {
	case SPF_ANSWER_FOUND:
		break;
	case SPF_ANSWER_VOID:
		c->ptr_void = true;
		goto out;
	case SPF_ANSWER_BADNAME:
	case SPF_ANSWER_ERROR:
		goto out; /* 5.5: no names, so no match */
	}
	b = pcl_dns_batch_new(c->dns);
	if (b == NULL)
		goto out;
	/* 4.6.4: the names past the tenth are ignored */
	n = ptr->count < SPF_PTR_MAX ? ptr->count : SPF_PTR_MAX;
	for (size_t i = 0; i < n; i++) {
		const char *name = ptr->rrs[i].u.name;

		idx[i] = spf_name_valid(name, strlen(name))
		             ? pcl_dns_batch_add(b, name, addr_type(c))
		             : -1;
	}
	pcl_dns_batch_wait(b);
	for (size_t i = 0; i < n; i++) {
		bool failed = false;

		/* 5.5: a name whose lookup fails is skipped */
		if (batch_matches(c, b, &idx[i], 1, 32, 128, &failed))
			pcl_copy(c->ptr_names[c->nptr++],
			         sizeof(c->ptr_names[0]), ptr->rrs[i].u.name);
	}
out:
	pcl_dns_batch_free(b);
	pcl_dns_answer_free(ptr);
}

/* mech_a - a and exists: the addresses of target (exists: any A) */
static int
mech_a(struct spf_ctx *c, const struct spf_term *t, const char *target)
{
	bool exists = t->mech == SPF_MECH_EXISTS;
	int type = exists ? PCL_DNS_A : addr_type(c);
	struct pcl_dns_answer *a = pcl_dns_lookup(c->dns, target, type);
	int rc = 0;

	switch (spf_answer_kind(a)) {
	case SPF_ANSWER_FOUND:
		for (size_t i = 0; i < a->count && rc == 0; i++)
			if (exists ||
			    addr_in(c, &a->rrs[i].u.addr, t->cidr4, t->cidr6))
				rc = 1;
		break;
	case SPF_ANSWER_VOID:
		rc = spf_count_void(c, target);
		break;
	case SPF_ANSWER_BADNAME:
		break;
	case SPF_ANSWER_ERROR:
		rc = spf_error(c, PCL_SPF_TEMPERROR, "%s: %s lookup of %s: %s",
		               t->text, type == PCL_DNS_A ? "A" : "AAAA",
		               target, spf_answer_error(a));
		break;
	}
	pcl_dns_answer_free(a);
	return rc;
}

/* mech_mx - the addresses of the (at most 10) MX hosts of target */
static int
mech_mx(struct spf_ctx *c, const struct spf_term *t, const char *target)
{
	struct pcl_dns_answer *mx = pcl_dns_lookup(c->dns, target, PCL_DNS_MX);
	struct pcl_dns_batch *b = NULL;
	int idx[SPF_MX_MAX];
	bool failed = false;
	int rc = 0;

	switch (spf_answer_kind(mx)) {
	case SPF_ANSWER_FOUND:
		break;
	case SPF_ANSWER_VOID:
		rc = spf_count_void(c, target);
		goto out;
	case SPF_ANSWER_BADNAME:
		goto out;
	case SPF_ANSWER_ERROR:
		rc = spf_error(c, PCL_SPF_TEMPERROR, "%s: MX lookup of %s: %s",
		               t->text, target, spf_answer_error(mx));
		goto out;
	}
	/* 4.6.4 as RFC 7208 settled it: more than 10 is a permerror,
	 * decided before any lookup so the order of the RRs is moot */
	if (mx->count > SPF_MX_MAX) {
		rc = spf_error(c, PCL_SPF_PERMERROR,
		               "%s: %s has %zu MX records, over %d", t->text,
		               target, mx->count, SPF_MX_MAX);
		goto out;
	}
	b = pcl_dns_batch_new(c->dns);
	if (b == NULL) {
		rc = spf_error(c, PCL_SPF_TEMPERROR, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < mx->count; i++) {
		const char *host = mx->rrs[i].u.mx.host;
		/* "." (RFC 7505 null MX) and bad names have no address */
		bool valid = spf_name_valid(host, strlen(host));

		idx[i] = valid ? pcl_dns_batch_add(b, host, addr_type(c)) : -1;
		if (valid && idx[i] < 0)
			failed = true; /* out of memory */
	}
	pcl_dns_batch_wait(b);
	if (batch_matches(c, b, idx, mx->count, t->cidr4, t->cidr6, &failed))
		rc = 1;
	else if (failed)
		rc = spf_error(c, PCL_SPF_TEMPERROR,
		               "%s: address lookup of an MX host of %s failed",
		               t->text, target);
out:
	pcl_dns_batch_free(b);
	pcl_dns_answer_free(mx);
	return rc;
}

/* mech_ptr - a validated name of the client is target or under it */
static int
mech_ptr(struct spf_ctx *c, const char *target)
{
	size_t tlen = strlen(target);

	spf_ptr_names(c);
	if (c->ptr_void && spf_count_void(c, "the client's PTR") < 0)
		return -1;
	for (size_t i = 0; i < c->nptr; i++) {
		const char *name = c->ptr_names[i];
		size_t n = strlen(name);

		if (strcasecmp(name, target) == 0 ||
		    (n > tlen && name[n - tlen - 1] == '.' &&
		     strcasecmp(name + n - tlen, target) == 0))
			return 1;
	}
	return 0;
}

/* spf_mech_match - one mechanism (not include) for domain d */
int
spf_mech_match(struct spf_ctx *c, const struct spf_term *t, const char *d)
{
	char target[PCL_DOMAIN_MAX + 1];

	switch (t->mech) {
	case SPF_MECH_ALL:
		return 1;
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
		return addr_in(c, &t->net, t->cidr4, t->cidr6) ? 1 : 0;
	case SPF_MECH_INCLUDE:
		return spf_error(c, PCL_SPF_PERMERROR, "include misrouted");
	case SPF_MECH_A:
	case SPF_MECH_MX:
	case SPF_MECH_PTR:
	case SPF_MECH_EXISTS:
		break;
	}
	if (t->spec == NULL)
		pcl_copy(target, sizeof(target), d);
	else if (!spf_expand_name(c, d, t->spec, t->speclen, target))
		return 0; /* 4.8: an invalid target name matches nothing */
	switch (t->mech) {
	case SPF_MECH_A:
	case SPF_MECH_EXISTS:
		return mech_a(c, t, target);
	case SPF_MECH_MX:
		return mech_mx(c, t, target);
	case SPF_MECH_PTR:
		return mech_ptr(c, target);
	case SPF_MECH_ALL:
	case SPF_MECH_IP4:
	case SPF_MECH_IP6:
	case SPF_MECH_INCLUDE:
		break;
	}
	return 0;
}
