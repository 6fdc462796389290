/*
 * spf - an RFC 7208 SPF evaluator over portcullis's DNS module
 *
 * Written here because Debian's libspf2 1.2.10 passes only 111 of the
 * 203 tests of the official conformance suite, with false passes. This
 * module is held to that suite (tests/spf/): strict record parsing
 * (permerror on any syntax error), every mechanism and modifier, macro
 * expansion (explanations with exp= included), the 10 DNS-mechanism
 * limit (include, a, mx, ptr, exists, redirect), the 2 void-lookup
 * limit, the per-mechanism MX and PTR limits of 10, IPv4-mapped client
 * addresses treated as IPv4.
 *
 * Thread-safe: no state beyond the request; DNS through the shared
 * struct pcl_dns (its cache and deadline apply).
 */
#ifndef PCL_SPF_H
#define PCL_SPF_H

#include <stddef.h>

#include "addr.h"
#include "dns.h"

enum pcl_spf_result {
	PCL_SPF_NONE = 0,
	PCL_SPF_NEUTRAL,
	PCL_SPF_PASS,
	PCL_SPF_FAIL,
	PCL_SPF_SOFTFAIL,
	PCL_SPF_TEMPERROR,
	PCL_SPF_PERMERROR,
};

struct pcl_spf_request {
	struct pcl_addr ip;   /* the client */
	const char *sender;   /* MAIL FROM address, or "postmaster@HELO"
	                         for the HELO identity and null sender */
	const char *domain;   /* the identity's domain (after the @) */
	const char *helo;     /* the HELO name, for %{h} */
	const char *receiver; /* this host's name, for %{r} */
};

#define PCL_SPF_TEXT_MAX 512

struct pcl_spf_response {
	enum pcl_spf_result result;
	char mechanism[128];                /* the mechanism that matched, or
	                                       "default" / "redirect" */
	char explanation[PCL_SPF_TEXT_MAX]; /* fail: exp= text, expanded */
	char problem[PCL_SPF_TEXT_MAX];     /* temperror/permerror: why */
	unsigned dns_lookups;               /* DNS-mechanism terms evaluated */
	unsigned void_lookups;
};

/* pcl_spf_check - evaluate check_host() for the request; fills out
 * (never fails: errors are results) */
void pcl_spf_check(struct pcl_dns *dns, const struct pcl_spf_request *req,
                   struct pcl_spf_response *out);

/* pcl_spf_result_name - "pass", "fail", ... (RFC 7208 §2.6) */
const char *pcl_spf_result_name(enum pcl_spf_result r);

/* pcl_spf_received - the value of a Received-SPF header (RFC 7208
 * §9.1), e.g. " pass (mx.example.org: domain of a@example.net designates
 * 192.0.2.1 as permitted sender) client-ip=192.0.2.1;
 * envelope-from=\"a@example.net\"; helo=mail.example.net;", with a
 * leading space and LF folds as milter headers want; identity is
 * "mailfrom" or "helo". False when it does not fit. */
bool pcl_spf_received(const struct pcl_spf_request *req,
                      const struct pcl_spf_response *resp, const char *identity,
                      char *buf, size_t len);

#endif
