/*
 * addr - IP addresses and CIDR blocks
 *
 * One representation for IPv4 and IPv6 client addresses. IPv4-mapped
 * IPv6 addresses (::ffff:a.b.c.d) are unwrapped to IPv4 on every entry
 * path, so a client reaching an IPv6 socket is matched, logged and
 * looked up as the IPv4 address it really is.
 */
#ifndef PCL_ADDR_H
#define PCL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Longest text form, with room for brackets: "[" IPv6 "]" NUL */
#define PCL_ADDR_TEXT_MAX 48

struct pcl_addr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char bytes[16]; /* network order; 4 used for AF_INET */
};

struct pcl_cidr {
	struct pcl_addr net; /* host bits are zero */
	unsigned prefix;     /* 0..32 or 0..128 */
};

enum pcl_addr_class {
	PCL_ADDR_PUBLIC = 0,
	PCL_ADDR_LOOPBACK,    /* 127/8, ::1 */
	PCL_ADDR_PRIVATE,     /* RFC 1918, 100.64/10 CGN, fc00::/7 ULA */
	PCL_ADDR_LINKLOCAL,   /* 169.254/16, fe80::/10 */
	PCL_ADDR_UNSPECIFIED, /* 0.0.0.0/8, :: */
};

/* pcl_addr_parse - parse "1.2.3.4", "2001:db8::1", "[1.2.3.4]",
 * "[2001:db8::1]" or "[IPv6:2001:db8::1]"; unwraps IPv4-mapped.
 * Returns 0, or -1 when text is not an address. */
int pcl_addr_parse(const char *text, struct pcl_addr *out);

/* pcl_addr_from_sockaddr - convert AF_INET/AF_INET6; -1 otherwise */
int pcl_addr_from_sockaddr(const struct sockaddr *sa, struct pcl_addr *out);

/* pcl_addr_format - canonical text ("192.0.2.1", "2001:db8::1") */
void pcl_addr_format(const struct pcl_addr *a, char *buf, size_t len);

/* pcl_addr_equal - same family and bytes */
bool pcl_addr_equal(const struct pcl_addr *a, const struct pcl_addr *b);

/* pcl_addr_classify - loopback, private, link-local or public */
enum pcl_addr_class pcl_addr_classify(const struct pcl_addr *a);

/* pcl_cidr_parse - parse "192.0.2.0/24", "2001:db8::/32",
 * "[2001:db8::]/32" or a bare address (full-length prefix). Non-zero
 * host bits are an error, as in Postfix's cidr_table(5). Returns 0, or
 * -1 with a message in err. */
int pcl_cidr_parse(const char *text, struct pcl_cidr *out, char *err,
                   size_t errlen);

/* pcl_cidr_match - is a inside c (families must agree) */
bool pcl_cidr_match(const struct pcl_cidr *c, const struct pcl_addr *a);

/* A list of CIDR blocks, e.g. internal_networks. */
struct pcl_cidr_list {
	struct pcl_cidr *items;
	size_t count;
};

/* pcl_cidr_list_parse - parse a comma/space separated list into out;
 * returns 0, or -1 with err naming the bad element. */
int pcl_cidr_list_parse(const char *text, struct pcl_cidr_list *out, char *err,
                        size_t errlen);
bool pcl_cidr_list_match(const struct pcl_cidr_list *l,
                         const struct pcl_addr *a);
void pcl_cidr_list_clear(struct pcl_cidr_list *l);

#endif
