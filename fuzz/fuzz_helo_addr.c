/*
 * fuzz_helo_addr - HELO names (lib/checks/helo.c), addresses and CIDR
 * blocks (lib/core/addr.c), and the envelope address helpers of
 * lib/core/util.c (angle brackets, trimming, lower-casing)
 *
 * Fields: the HELO name (any bytes, as received), the client address
 * text, an address or network text, then this host's names. Each text
 * goes through every parser it could meet in the daemon.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fuzz_util.h"
#include "helo.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { F_HELO, F_CLIENT, F_NET, F_SELF };

/* addr_all - one text through the address and network parsers */
static void
addr_all(const char *text)
{
	struct pcl_addr a = {0}, b;
	struct pcl_cidr c;
	struct pcl_cidr_list l = {0};
	char buf[PCL_ADDR_TEXT_MAX];
	char err[PCL_ERR_MAX];

	if (pcl_addr_parse(text, &a) == 0) {
		pcl_addr_format(&a, buf, sizeof(buf));
		/* the canonical form reads back as the same address */
		if (pcl_addr_parse(buf, &b) < 0 || !pcl_addr_equal(&a, &b))
			abort();
		(void)pcl_addr_classify(&a);
		pcl_addr_format(&a, buf, 8);
	}
	if (pcl_cidr_parse(text, &c, err, sizeof(err)) == 0)
		(void)pcl_cidr_match(&c, &a);
	if (pcl_cidr_list_parse(text, &l, err, sizeof(err)) == 0) {
		(void)pcl_addr_parse("192.0.2.1", &a);
		(void)pcl_cidr_list_match(&l, &a);
		pcl_cidr_list_clear(&l);
	}
}

/* text_all - the util helpers on one text */
static void
text_all(const char *text)
{
	char addr[PCL_ADDRESS_MAX];
	char tiny[2];
	char *copy = pcl_strdup(text);

	(void)pcl_strip_brackets(addr, sizeof(addr), text);
	(void)pcl_strip_brackets(tiny, sizeof(tiny), text);
	if (copy != NULL) {
		(void)pcl_lower(pcl_trim(copy));
		free(copy);
	}
}

/* LLVMFuzzerTestOneInput - judge one HELO, parse every address */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields ff;
	struct pcl_helo_self self;
	struct pcl_addr client, own[2];
	const char *names[FUZZ_FIELDS_MAX];
	size_t nnames = 0;

	if (size > 16384 || fuzz_fields_split(data, size, &ff) < 0)
		return 0;
	for (size_t i = F_SELF; i < ff.n; i++)
		names[nnames++] = ff.f[i];
	(void)pcl_addr_parse("192.0.2.25", &own[0]);
	if (pcl_addr_parse(ff.f[F_NET], &own[1]) < 0)
		(void)pcl_addr_parse("2001:db8::25", &own[1]);
	self.names = names;
	self.nnames = nnames;
	self.addrs = own;
	self.naddrs = 2;
	if (pcl_addr_parse(ff.f[F_CLIENT], &client) == 0) {
		(void)pcl_helo_judge(ff.f[F_HELO], &client, &self);
		(void)pcl_helo_judge(ff.f[F_HELO], &client, NULL);
	}
	(void)pcl_helo_judge(ff.f[F_HELO], NULL, &self);
	for (size_t i = 0; i < ff.n && i < F_SELF; i++) {
		addr_all(ff.f[i]);
		text_all(ff.f[i]);
	}
	fuzz_fields_free(&ff);
	return 0;
}
