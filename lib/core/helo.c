/*
 * helo - HELO/EHLO name checks
 *
 * pcl_helo_judge() follows Postfix 3.x smtpd_check.c:
 *
 *   - One trailing dot is dropped first, but not from "x.." or "."
 *     (dup_if_truncate).
 *   - A name starting with '[' is an address literal and must be
 *     "[a.b.c.d]" or "[IPv6:addr]" with a valid address inside
 *     (reject_invalid_hostaddr). Unlike Postfix 3.x we also accept an
 *     untagged "[2001:db8::1]", as Postfix 2.x did and as addr.h does;
 *     the literal is still compared with the client address.
 *   - Any other name must be a hostname as valid_hostname() sees it:
 *     letters, digits, '-', '_' and '.'; labels 1..63 bytes, no '-' at
 *     either end of a label; or a bare address (valid_hostaddr). A name
 *     made only of digits and dots must be a valid dotted quad: "1.2.3"
 *     and "999.1.1.1" are invalid, while "host.123" is a hostname.
 *
 * The client address and this host's addresses are compared as
 * struct pcl_addr, with IPv4-mapped IPv6 unwrapped, so a client on an
 * IPv6 socket that says "[IPv6:::ffff:192.0.2.1]" is not a mismatch.
 *
 * pcl_helo_self_from_host() reads gethostname() and getifaddrs(). It
 * leaves out loopback, link-local and unspecified addresses: a local
 * program saying "[127.0.0.1]" over loopback is not impersonating
 * anyone, and fe80:: addresses are reused on every link.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helo.h"
#include "util.h"

#define HELO_BIT(p) (1u << (p))
#define HELO_V6_TAG "IPv6:"
#define HELO_V6_TAG_LEN (sizeof(HELO_V6_TAG) - 1)

/* ascii_digit - '0'..'9', independent of the locale */
static bool
ascii_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* ascii_alnum - ASCII letter or digit, independent of the locale */
static bool
ascii_alnum(unsigned char c)
{
	return ascii_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* ascii_lower - ASCII lower case, independent of the locale */
static unsigned char
ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* ascii_caseeq - n bytes equal ignoring ASCII case (strncasecmp follows
 * the locale, and "I" is not "i" in a Turkish one) */
static bool
ascii_caseeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ascii_lower((unsigned char)a[i]) !=
		    ascii_lower((unsigned char)b[i]))
			return false;
	return true;
}

/* helo_strip_dot - length without one trailing dot (not from "x.." or ".") */
static size_t
helo_strip_dot(const char *name, size_t len)
{
	if (len > 1 && name[len - 1] == '.' && name[len - 2] != '.')
		return len - 1;
	return len;
}

/* helo_hostname_ok - Postfix valid_hostname() on name[0..len) */
static bool
helo_hostname_ok(const char *name, size_t len, bool *numeric)
{
	size_t label = 0;
	bool non_numeric = false;

	if (len == 0 || len > PCL_HELO_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		bool last = (i + 1 == len);

		if (ascii_alnum(c) || c == '_') {
			if (!ascii_digit(c))
				non_numeric = true;
		} else if (c == '-') {
			non_numeric = true;
			if (label == 0 || last || name[i + 1] == '.')
				return false;
		} else if (c == '.') {
			if (label == 0 || last)
				return false;
			label = 0;
			continue;
		} else {
			return false;
		}
		if (++label > PCL_LABEL_MAX)
			return false;
	}
	*numeric = !non_numeric;
	return true;
}

/* helo_unmap - IPv4-mapped IPv6 as IPv4; other addresses unchanged */
static struct pcl_addr
helo_unmap(const struct pcl_addr *a)
{
	static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
	struct pcl_addr out = *a;

	if (a->family == AF_INET6 && memcmp(a->bytes, mapped, 12) == 0) {
		memset(&out, 0, sizeof(out));
		out.family = AF_INET;
		memcpy(out.bytes, a->bytes + 12, 4);
	}
	return out;
}

/* helo_same_addr - equal as addresses, IPv4-mapped unwrapped */
static bool
helo_same_addr(const struct pcl_addr *a, const struct pcl_addr *b)
{
	/* addr.c unwraps on entry; this also covers a hand-built addr. */
	struct pcl_addr ua = helo_unmap(a);
	struct pcl_addr ub = helo_unmap(b);

	return pcl_addr_equal(&ua, &ub);
}

/*
 * helo_addr_text - parse text[0..len) as a bare address. want is
 * AF_INET6 when the text must be IPv6 syntax (after "IPv6:", or when it
 * holds a ':'), AF_INET for a dotted quad, AF_UNSPEC for either. Only
 * hex digits, ':' and '.' reach pcl_addr_parse, so whatever else it
 * tolerates (brackets, tags, space) cannot make a bad HELO valid.
 */
static bool
helo_addr_text(const char *text, size_t len, int want, struct pcl_addr *out)
{
	char buf[PCL_ADDR_TEXT_MAX];
	bool colon = false;
	bool hexalpha = false;

	if (len == 0 || len >= sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == ':')
			colon = true;
		else if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
			hexalpha = true;
		else if (!ascii_digit(c) && c != '.')
			return false;
	}
	if (want == AF_INET6 && !colon)
		return false;
	if ((want == AF_INET || !colon) && hexalpha)
		return false;
	if (want == AF_INET && colon)
		return false;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return pcl_addr_parse(buf, out) == 0;
}

/* helo_self_has_addr - is a one of self's addresses */
static bool
helo_self_has_addr(const struct pcl_helo_self *self, const struct pcl_addr *a)
{
	if (self == NULL || self->addrs == NULL)
		return false;
	for (size_t i = 0; i < self->naddrs; i++)
		if (helo_same_addr(&self->addrs[i], a))
			return true;
	return false;
}

/* helo_self_has_name - is name[0..len) one of self's names */
static bool
helo_self_has_name(const struct pcl_helo_self *self, const char *name,
                   size_t len)
{
	if (self == NULL || self->names == NULL)
		return false;
	for (size_t i = 0; i < self->nnames; i++) {
		const char *own = self->names[i];

		if (own != NULL && helo_strip_dot(own, strlen(own)) == len &&
		    ascii_caseeq(own, name, len))
			return true;
	}
	return false;
}

/* helo_judge_literal - "[addr]": invalid, or mismatch and impersonation */
static unsigned
helo_judge_literal(const char *name, size_t len, const struct pcl_addr *client,
                   const struct pcl_helo_self *self)
{
	const char *inner = name + 1;
	size_t ilen;
	int want = AF_UNSPEC;
	struct pcl_addr a;
	unsigned bits = 0;

	/* "[]" and "[1.2.3.4" are invalid; so is "[1.2.3.4]." */
	if (len < 3 || name[len - 1] != ']')
		return HELO_BIT(PCL_HELO_INVALID);
	ilen = len - 2;
	if (ilen > HELO_V6_TAG_LEN &&
	    ascii_caseeq(inner, HELO_V6_TAG, HELO_V6_TAG_LEN)) {
		inner += HELO_V6_TAG_LEN;
		ilen -= HELO_V6_TAG_LEN;
		want = AF_INET6;
	}
	if (!helo_addr_text(inner, ilen, want, &a))
		return HELO_BIT(PCL_HELO_INVALID);
	if (client != NULL && !helo_same_addr(&a, client))
		bits |= HELO_BIT(PCL_HELO_LITERAL_MISMATCH);
	if (helo_self_has_addr(self, &a))
		bits |= HELO_BIT(PCL_HELO_IMPERSONATION);
	return bits;
}

/* helo_judge_bare - a bare address: bare IP, maybe impersonation */
static unsigned
helo_judge_bare(const struct pcl_addr *a, const struct pcl_helo_self *self)
{
	unsigned bits = HELO_BIT(PCL_HELO_BARE_IP);

	if (helo_self_has_addr(self, a))
		bits |= HELO_BIT(PCL_HELO_IMPERSONATION);
	return bits;
}

/* pcl_helo_judge - judge a HELO name; bit set of problems */
unsigned
pcl_helo_judge(const char *name, const struct pcl_addr *client,
               const struct pcl_helo_self *self)
{
	struct pcl_addr a;
	size_t len;
	bool numeric = false;
	unsigned bits = 0;

	if (name == NULL)
		return HELO_BIT(PCL_HELO_INVALID);
	len = strnlen(name, PCL_HELO_MAX + 1);
	if (len == 0 || len > PCL_HELO_MAX)
		return HELO_BIT(PCL_HELO_INVALID);
	if (name[0] == '[')
		return helo_judge_literal(name, len, client, self);

	len = helo_strip_dot(name, len);
	if (memchr(name, ':', len) != NULL) {
		if (!helo_addr_text(name, len, AF_INET6, &a))
			return HELO_BIT(PCL_HELO_INVALID);
		return helo_judge_bare(&a, self);
	}
	if (!helo_hostname_ok(name, len, &numeric))
		return HELO_BIT(PCL_HELO_INVALID);
	if (numeric) {
		if (!helo_addr_text(name, len, AF_INET, &a))
			return HELO_BIT(PCL_HELO_INVALID);
		return helo_judge_bare(&a, self);
	}
	if (memchr(name, '.', len) == NULL)
		bits |= HELO_BIT(PCL_HELO_NON_FQDN);
	if (helo_self_has_name(self, name, len))
		bits |= HELO_BIT(PCL_HELO_IMPERSONATION);
	return bits;
}

/* pcl_helo_problem_name - "helo_invalid", "helo_bare_ip", ... */
const char *
pcl_helo_problem_name(enum pcl_helo_problem p)
{
	switch (p) {
	case PCL_HELO_FINE:
		return "helo_fine";
	case PCL_HELO_INVALID:
		return "helo_invalid";
	case PCL_HELO_BARE_IP:
		return "helo_bare_ip";
	case PCL_HELO_NON_FQDN:
		return "helo_non_fqdn";
	case PCL_HELO_LITERAL_MISMATCH:
		return "helo_literal_mismatch";
	case PCL_HELO_IMPERSONATION:
		return "helo_impersonation";
	}
	return "helo_unknown";
}

/* helo_self_add_addr - append a unless excluded or already present */
static void
helo_self_add_addr(struct pcl_helo_self_store *store, const struct pcl_addr *a)
{
	switch (pcl_addr_classify(a)) {
	case PCL_ADDR_LOOPBACK:
	case PCL_ADDR_LINKLOCAL:
	case PCL_ADDR_UNSPECIFIED:
		return;
	default:
		break;
	}
	for (size_t i = 0; i < store->naddrs; i++)
		if (pcl_addr_equal(&store->addrs[i], a))
			return;
	store->addrs[store->naddrs++] = *a;
}

/* pcl_helo_self_from_host - this host's name and interface addresses */
int
pcl_helo_self_from_host(struct pcl_helo_self_store *store, char *err,
                        size_t errlen)
{
	char host[PCL_HELO_MAX + 2];
	char ebuf[128];
	struct ifaddrs *ifs = NULL;
	size_t count = 0;
	int rc = -1;

	memset(store, 0, sizeof(*store));
	if (gethostname(host, sizeof(host)) != 0) {
		pcl_format(err, errlen, "gethostname: %s",
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	/* POSIX leaves a truncated name unterminated. */
	host[sizeof(host) - 1] = '\0';
	host[helo_strip_dot(host, strlen(host))] = '\0';
	if (host[0] == '\0') {
		pcl_format(err, errlen, "gethostname: empty host name");
		goto out;
	}
	if ((store->names = calloc(1, sizeof(*store->names))) == NULL ||
	    (store->names[0] = pcl_strdup(pcl_lower(host))) == NULL) {
		pcl_format(err, errlen, "out of memory");
		goto out;
	}
	store->nnames = 1;

	if (getifaddrs(&ifs) != 0) {
		pcl_format(err, errlen, "getifaddrs: %s",
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	for (struct ifaddrs *ifa = ifs; ifa != NULL; ifa = ifa->ifa_next)
		count++;
	if (count > 0 &&
	    (store->addrs = calloc(count, sizeof(*store->addrs))) == NULL) {
		pcl_format(err, errlen, "out of memory");
		goto out;
	}
	for (struct ifaddrs *ifa = ifs; ifa != NULL; ifa = ifa->ifa_next) {
		struct pcl_addr a;

		/* Interfaces without an address, and AF_PACKET entries. */
		if (ifa->ifa_addr == NULL ||
		    pcl_addr_from_sockaddr(ifa->ifa_addr, &a) != 0)
			continue;
		helo_self_add_addr(store, &a);
	}
	rc = 0;
out:
	if (ifs != NULL)
		freeifaddrs(ifs);
	if (rc != 0)
		pcl_helo_self_clear(store);
	return rc;
}

/* pcl_helo_self_clear - free what pcl_helo_self_from_host filled */
void
pcl_helo_self_clear(struct pcl_helo_self_store *store)
{
	if (store == NULL)
		return;
	for (size_t i = 0; i < store->nnames; i++)
		free(store->names[i]);
	free(store->names);
	free(store->addrs);
	memset(store, 0, sizeof(*store));
}

/* pcl_helo_self_view - borrow a store as the self pcl_helo_judge takes */
void
pcl_helo_self_view(const struct pcl_helo_self_store *store,
                   struct pcl_helo_self *self)
{
	/* char ** does not convert to const char *const * implicitly in C. */
	self->names = (const char *const *)store->names;
	self->nnames = store->nnames;
	self->addrs = store->addrs;
	self->naddrs = store->naddrs;
}
