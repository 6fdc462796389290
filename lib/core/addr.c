/*
 * addr - IP addresses and CIDR blocks
 *
 * Text is parsed with inet_pton(3), so only the strict forms are
 * accepted: dotted quads without leading zeros and RFC 4291 IPv6 text,
 * no zone index. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) become
 * IPv4 on the way in; the comparison and classification functions also
 * unwrap a hand-built mapped address, so no caller can get a different
 * answer for the two spellings of one client.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "util.h"

/* Longest bracketed text accepted: "[IPv6:" + 45 + "]" */
#define ADDR_INPUT_MAX 64

static const unsigned char mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                                0, 0, 0, 0, 0xff, 0xff};

/* addr_bits - number of address bits in a family */
static unsigned
addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* addr_is_mapped - an AF_INET6 address of the form ::ffff:a.b.c.d */
static bool
addr_is_mapped(const struct pcl_addr *a)
{
	return a->family == AF_INET6 &&
	       memcmp(a->bytes, mapped_prefix, sizeof(mapped_prefix)) == 0;
}

/* addr_unwrap - turn an IPv4-mapped address into IPv4 in place */
static void
addr_unwrap(struct pcl_addr *a)
{
	unsigned char v4[4];

	if (!addr_is_mapped(a))
		return;
	memcpy(v4, a->bytes + 12, 4);
	memset(a->bytes, 0, sizeof(a->bytes));
	memcpy(a->bytes, v4, 4);
	a->family = AF_INET;
}

/* addr_normal - a copy of a with a mapped address unwrapped */
static struct pcl_addr
addr_normal(const struct pcl_addr *a)
{
	struct pcl_addr n = *a;

	addr_unwrap(&n);
	return n;
}

/* addr_pton - parse bare text as IPv4 or IPv6 (no unwrapping) */
static int
addr_pton(const char *text, struct pcl_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* addr_strip - copy text without "[...]" or "[IPv6:...]"; -1 if bad */
static int
addr_strip(const char *text, char *buf, size_t len, bool *v6tag)
{
	size_t n = strlen(text);

	*v6tag = false;
	if (n == 0 || n >= len)
		return -1;
	if (text[0] != '[') {
		if (strchr(text, ']') != NULL)
			return -1;
		memcpy(buf, text, n + 1);
		return 0;
	}
	if (n < 3 || text[n - 1] != ']')
		return -1;
	text++;
	n -= 2;
	if (n > 5 && strncasecmp(text, "IPv6:", 5) == 0) {
		*v6tag = true;
		text += 5;
		n -= 5;
	}
	memcpy(buf, text, n);
	buf[n] = '\0';
	return 0;
}

/* pcl_addr_parse - parse an address, bare or in brackets */
int
pcl_addr_parse(const char *text, struct pcl_addr *out)
{
	char buf[ADDR_INPUT_MAX];
	struct pcl_addr a;
	bool v6tag;

	if (text == NULL || out == NULL)
		return -1;
	if (addr_strip(text, buf, sizeof(buf), &v6tag) < 0)
		return -1;
	if (addr_pton(buf, &a) < 0)
		return -1;
	/* "[IPv6:1.2.3.4]" is not an RFC 5321 address literal. */
	if (v6tag && a.family != AF_INET6)
		return -1;
	addr_unwrap(&a);
	*out = a;
	return 0;
}

/* pcl_addr_from_sockaddr - convert AF_INET/AF_INET6; -1 otherwise */
int
pcl_addr_from_sockaddr(const struct sockaddr *sa, struct pcl_addr *out)
{
	struct pcl_addr a;

	if (sa == NULL || out == NULL)
		return -1;
	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a.family = AF_INET;
		memcpy(a.bytes, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		a.family = AF_INET6;
		memcpy(a.bytes, &sin6->sin6_addr, 16);
		addr_unwrap(&a);
	} else {
		return -1;
	}
	*out = a;
	return 0;
}

/* pcl_addr_format - canonical text ("192.0.2.1", "2001:db8::1") */
void
pcl_addr_format(const struct pcl_addr *a, char *buf, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	if (a == NULL || (a->family != AF_INET && a->family != AF_INET6))
		return;
	if (inet_ntop(a->family, a->bytes, text, sizeof(text)) == NULL)
		return;
	if (!pcl_copy(buf, len, text))
		buf[0] = '\0'; /* never a cut address */
}

/* pcl_addr_equal - same address, after unwrapping IPv4-mapped */
bool
pcl_addr_equal(const struct pcl_addr *a, const struct pcl_addr *b)
{
	struct pcl_addr x;
	struct pcl_addr y;

	if (a == NULL || b == NULL)
		return false;
	x = addr_normal(a);
	y = addr_normal(b);
	if (x.family != y.family)
		return false;
	return memcmp(x.bytes, y.bytes, x.family == AF_INET ? 4 : 16) == 0;
}

/* in_block - do the first prefix bits of a equal those of net */
static bool
in_block(const unsigned char *a, const unsigned char *net, unsigned prefix)
{
	unsigned whole = prefix / 8;
	unsigned rest = prefix % 8;
	unsigned char mask;

	if (memcmp(a, net, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (net[whole] & mask);
}

/* One special-purpose block for classification. */
struct class_block {
	int family;
	unsigned char net[16];
	unsigned prefix;
	enum pcl_addr_class cls;
};

static const struct class_block class_blocks[] = {
    {AF_INET, {127}, 8, PCL_ADDR_LOOPBACK},
    {AF_INET, {0}, 8, PCL_ADDR_UNSPECIFIED},
    {AF_INET, {10}, 8, PCL_ADDR_PRIVATE},
    {AF_INET, {172, 16}, 12, PCL_ADDR_PRIVATE},
    {AF_INET, {192, 168}, 16, PCL_ADDR_PRIVATE},
    {AF_INET, {100, 64}, 10, PCL_ADDR_PRIVATE},
    {AF_INET, {169, 254}, 16, PCL_ADDR_LINKLOCAL},
    {AF_INET6, {[15] = 1}, 128, PCL_ADDR_LOOPBACK},
    {AF_INET6, {0}, 128, PCL_ADDR_UNSPECIFIED},
    {AF_INET6, {0xfc}, 7, PCL_ADDR_PRIVATE},
    {AF_INET6, {0xfe, 0x80}, 10, PCL_ADDR_LINKLOCAL},
};

/* pcl_addr_classify - loopback, private, link-local or public */
enum pcl_addr_class
pcl_addr_classify(const struct pcl_addr *a)
{
	struct pcl_addr n;

	if (a == NULL)
		return PCL_ADDR_PUBLIC;
	n = addr_normal(a);
	for (size_t i = 0; i < sizeof(class_blocks) / sizeof(class_blocks[0]);
	     i++) {
		const struct class_block *b = &class_blocks[i];

		if (b->family == n.family &&
		    in_block(n.bytes, b->net, b->prefix))
			return b->cls;
	}
	return PCL_ADDR_PUBLIC;
}

/* cidr_prefix - parse the digits after '/'; -1 when not 0..max */
static int
cidr_prefix(const char *text, unsigned max)
{
	unsigned v = 0;
	size_t n = 0;

	for (; text[n] != '\0'; n++) {
		if (!isdigit((unsigned char)text[n]) || n >= 3)
			return -1;
		v = v * 10 + (unsigned)(text[n] - '0');
	}
	if (n == 0 || v > max)
		return -1;
	return (int)v;
}

/* cidr_split - "[addr]/len", "[addr/len]", "addr/len" or "addr" */
static int
cidr_split(const char *text, char *abuf, size_t alen, char *lbuf, size_t llen,
           bool *has_len)
{
	const char *close;
	const char *slash;
	const char *end;
	size_t n;

	*has_len = false;
	if (text[0] == '[') {
		if ((close = strchr(text, ']')) == NULL)
			return -1;
		slash = memchr(text, '/', (size_t)(close - text));
		if (close[1] == '/' && slash == NULL) {
			/* "[addr]/len" */
			n = (size_t)(close - text) + 1;
			slash = close + 1;
			end = slash + strlen(slash);
		} else if (close[1] == '\0' && slash != NULL) {
			/* "[addr/len]": the address keeps its brackets */
			n = (size_t)(slash - text);
			end = close;
		} else if (close[1] == '\0') {
			n = (size_t)(close - text) + 1;
			slash = NULL;
			end = NULL;
		} else {
			return -1;
		}
	} else if ((slash = strchr(text, '/')) != NULL) {
		n = (size_t)(slash - text);
		end = slash + strlen(slash);
	} else {
		n = strlen(text);
		end = NULL;
	}
	if (n + 2 > alen)
		return -1;
	memcpy(abuf, text, n);
	if (text[0] == '[' && abuf[n - 1] != ']')
		abuf[n++] = ']';
	abuf[n] = '\0';
	if (slash != NULL) {
		n = (size_t)(end - slash - 1);
		if (n >= llen)
			n = llen - 1; /* still too long for cidr_prefix() */
		memcpy(lbuf, slash + 1, n);
		lbuf[n] = '\0';
		*has_len = true;
	}
	return 0;
}

/* pcl_cidr_parse - parse a network block; host bits must be zero */
int
pcl_cidr_parse(const char *text, struct pcl_cidr *out, char *err, size_t errlen)
{
	char abuf[ADDR_INPUT_MAX];
	char bare[ADDR_INPUT_MAX];
	char lenbuf[8];
	struct pcl_addr net;
	struct pcl_addr masked;
	bool has_len;
	bool v6tag;
	int prefix;

	if (text == NULL || out == NULL || *text == '\0') {
		pcl_format(err, errlen, "bad CIDR: empty");
		return -1;
	}
	/* Parse without unwrapping: ::ffff:0:0/96 must keep its prefix. */
	if (cidr_split(text, abuf, sizeof(abuf), lenbuf, sizeof(lenbuf),
	               &has_len) < 0 ||
	    addr_strip(abuf, bare, sizeof(bare), &v6tag) < 0 ||
	    addr_pton(bare, &net) < 0 || (v6tag && net.family != AF_INET6)) {
		pcl_format(err, errlen, "bad CIDR \"%.80s\": not an address",
		           text);
		return -1;
	}
	if (!has_len) {
		prefix = (int)addr_bits(net.family);
	} else if ((prefix = cidr_prefix(lenbuf, addr_bits(net.family))) < 0) {
		pcl_format(err, errlen,
		           "bad CIDR \"%s\": prefix length must be 0..%u", text,
		           addr_bits(net.family));
		return -1;
	}
	masked = net;
	for (unsigned bit = (unsigned)prefix; bit < addr_bits(net.family);
	     bit++)
		masked.bytes[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	if (memcmp(masked.bytes, net.bytes, sizeof(net.bytes)) != 0) {
		char fixed[PCL_ADDR_TEXT_MAX];

		pcl_addr_format(&masked, fixed, sizeof(fixed));
		pcl_format(err, errlen,
		           "non-zero host bits in \"%s\" (perhaps \"%s/%d\")",
		           text, fixed, prefix);
		return -1;
	}
	/* ::ffff:a.b.c.d/96+n is the IPv4 block a.b.c.d/n. */
	if (addr_is_mapped(&net) && prefix >= 96) {
		addr_unwrap(&net);
		prefix -= 96;
	}
	out->net = net;
	out->prefix = (unsigned)prefix;
	return 0;
}

/* pcl_cidr_match - is a inside c (families must agree) */
bool
pcl_cidr_match(const struct pcl_cidr *c, const struct pcl_addr *a)
{
	struct pcl_addr n;

	if (c == NULL || a == NULL)
		return false;
	n = addr_normal(a);
	if (n.family != c->net.family || c->prefix > addr_bits(n.family))
		return false;
	return in_block(n.bytes, c->net.bytes, c->prefix);
}

/*
 * pcl_cidr_list_parse - parse "a/n, b/m c" into out. out is overwritten
 * (clear it first when reusing one); on error it is left empty.
 */
int
pcl_cidr_list_parse(const char *text, struct pcl_cidr_list *out, char *err,
                    size_t errlen)
{
	static const char seps[] = ", \t\r\n";
	struct pcl_cidr_list l = {NULL, 0};
	size_t cap = 0;
	const char *p = text ? text : "";
	int status = -1;

	while (*(p += strspn(p, seps)) != '\0') {
		size_t n = strcspn(p, seps);
		char item[ADDR_INPUT_MAX];
		char why[PCL_ERR_MAX];

		if (n >= sizeof(item)) {
			pcl_format(err, errlen,
			           "bad CIDR \"%.*s...\": too long", 40, p);
			goto out;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (l.count == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct pcl_cidr *grown =
			    realloc(l.items, ncap * sizeof(*grown));

			if (grown == NULL) {
				pcl_format(err, errlen, "out of memory");
				goto out;
			}
			l.items = grown;
			cap = ncap;
		}
		if (pcl_cidr_parse(item, &l.items[l.count], why, sizeof(why)) <
		    0) {
			pcl_format(err, errlen, "%s", why);
			goto out;
		}
		l.count++;
	}
	*out = l;
	l.items = NULL;
	status = 0;
out:
	free(l.items);
	if (status < 0 && out != NULL) {
		out->items = NULL;
		out->count = 0;
	}
	return status;
}

/* pcl_cidr_list_match - is a inside any block of l */
bool
pcl_cidr_list_match(const struct pcl_cidr_list *l, const struct pcl_addr *a)
{
	if (l == NULL)
		return false;
	for (size_t i = 0; i < l->count; i++)
		if (pcl_cidr_match(&l->items[i], a))
			return true;
	return false;
}

/* pcl_cidr_list_clear - release the blocks; l is empty afterwards */
void
pcl_cidr_list_clear(struct pcl_cidr_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	l->items = NULL;
	l->count = 0;
}
