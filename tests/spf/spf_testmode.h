/*
 * spf_testmode - one test of the RFC 7208 suite through "portcullis -t"
 *
 * spf_suite -p PORTCULLIS runs every test through the test mode of the
 * daemon instead of calling lib/auth/spf.c: a configuration that points
 * dns_servers at the scenario's fakedns and lets every verdict through,
 * one portcullis process per test, and the result read from the headers
 * it prints (see spf_testmode.c for what is compared).
 */
#ifndef SPF_TESTMODE_H
#define SPF_TESTMODE_H

#include <stdbool.h>
#include <stddef.h>

/* What one run of the test mode showed. */
struct spf_testmode_out {
	char result[16];   /* the Received-SPF result: "pass", ... */
	char identity[16]; /* its identity=: "mailfrom" or "helo" */
	char authres[16];  /* the spf= of Authentication-Results */
	char header[2048]; /* the Received-SPF value, unfolded, for -v */
};

/* spf_testmode_conf - write the configuration for a DNS server at
 * servers ("127.0.0.1:PORT") to path; false with why */
bool spf_testmode_conf(const char *path, const char *servers,
                       unsigned timeout_ms, char *why, size_t whylen);

/* spf_testmode_run - portcullis -c conf -t for one test (mailfrom ""
 * is the null sender; helo "" sends no HELO); true with out filled
 * from a Received-SPF header, false with why (no header, a crash, a
 * verdict that is not accept) */
bool spf_testmode_run(const char *portcullis, const char *conf,
                      const char *host, const char *mailfrom, const char *helo,
                      struct spf_testmode_out *out, char *why, size_t whylen);

#endif
