/*
 * dns - the resolver object: settings, server list, counters
 *
 * pcl_dns_new checks the settings and turns the server list (or the
 * nameserver lines of resolv.conf) into socket addresses once, so the
 * query path never parses or resolves anything. The object is
 * immutable after that, except for the cache, the list health and the
 * table of queries in flight (each with its own lock) and the counters
 * (atomics), which is what makes it shareable between threads. The
 * query machinery is in dns_batch.c, dns_query.c and dns_inflight.c,
 * the wire format in dns_wire.c, the cache in dns_cache.c.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_int.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define SERVER_TEXT_MAX 80 /* longest server element we look at */

/* server_format - "192.0.2.1:53" or "[2001:db8::1]:53" for messages */
static void
server_format(struct dns_server *srv)
{
	char host[NI_MAXHOST];
	char port[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)&srv->sa, srv->salen, host,
	                sizeof(host), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		pcl_copy(srv->text, sizeof(srv->text), "?");
		return;
	}
	pcl_format(srv->text, sizeof(srv->text),
	           srv->sa.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
	           port);
}

/* port_valid - a decimal port 1..65535 */
static bool
port_valid(const char *port)
{
	unsigned long n = 0;

	if (*port == '\0' || strlen(port) > 5)
		return false;
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n >= 1 && n <= 65535;
}

/* server_parse - "192.0.2.1", "192.0.2.1:5353", "2001:db8::1",
 * "[2001:db8::1]" or "[2001:db8::1]:5353" (numeric only: resolving a
 * name here would need the DNS we are setting up); 0 or -1 */
static int
server_parse(const char *elem, struct dns_server *out)
{
	char host[SERVER_TEXT_MAX + 1];
	const char *port = "53";
	char *colon;
	struct addrinfo hints;
	struct addrinfo *ai = NULL;
	struct in_addr v4;

	if (!pcl_copy(host, sizeof(host), elem))
		return -1;
	if (host[0] == '[') {
		char *end = strchr(host, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		if (end[1] == ':')
			port = end + 2;
		*end = '\0';
		memmove(host, host + 1, strlen(host + 1) + 1);
		if (strchr(host, ':') == NULL)
			return -1; /* brackets are for IPv6 */
	} else if ((colon = strchr(host, ':')) != NULL &&
	           strchr(colon + 1, ':') == NULL) {
		*colon = '\0'; /* one colon: IPv4 and a port */
		port = colon + 1;
	}
	if (!port_valid(port) || host[0] == '\0')
		return -1;
	/* getaddrinfo takes inet_aton forms ("192.0.2" is 192.0.0.2):
	 * only a dotted quad is an IPv4 address here */
	if (strchr(host, ':') == NULL && inet_pton(AF_INET, host, &v4) != 1)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL)
		return -1;
	if (ai->ai_addrlen > sizeof(out->sa)) {
		freeaddrinfo(ai);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	memcpy(&out->sa, ai->ai_addr, ai->ai_addrlen);
	out->salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	server_format(out);
	return 0;
}

/* servers_parse - a comma/space separated list into dns->servers */
static int
servers_parse(struct pcl_dns *dns, const char *list, char *err, size_t errlen)
{
	const char *sep = ", \t\r\n";
	const char *p = list + strspn(list, sep);

	while (*p) {
		size_t n = strcspn(p, sep);
		char elem[SERVER_TEXT_MAX + 1];

		/* too long for any address: quote a cut-off version */
		pcl_format(elem, sizeof(elem), "%.*s",
		           (int)(n < SERVER_TEXT_MAX ? n : SERVER_TEXT_MAX), p);
		if (dns->nservers == DNS_SERVERS_MAX) {
			pcl_format(err, errlen,
			           "dns_servers: more than %d servers",
			           DNS_SERVERS_MAX);
			return -1;
		}
		if (n > SERVER_TEXT_MAX ||
		    server_parse(elem, &dns->servers[dns->nservers]) < 0) {
			pcl_format(err, errlen,
			           "dns_servers: bad address \"%s\"", elem);
			return -1;
		}
		dns->nservers++;
		p += n;
		p += strspn(p, sep);
	}
	return 0;
}

/* resolv_conf_read - the nameserver lines of a resolv.conf(5); bad
 * addresses are skipped, as the C library does */
static int
resolv_conf_read(struct pcl_dns *dns, const char *path, char *err,
                 size_t errlen)
{
	char line[512];
	char ebuf[64];
	FILE *fp = fopen(path, "re");
	bool cut = false;

	if (fp == NULL && errno != ENOENT) {
		pcl_format(err, errlen, "%s: %s", path,
		           strerror_r(errno, ebuf, sizeof(ebuf)));
		return -1;
	}
	if (fp == NULL)
		goto fallback;
	while (fgets(line, sizeof(line), fp) != NULL) {
		bool tail = cut; /* rest of an overlong line */
		char *save = NULL;
		char *key;
		char *addr;

		cut = strchr(line, '\n') == NULL && !feof(fp);
		if (tail)
			continue;
		key = strtok_r(line, " \t\r\n", &save);
		addr = strtok_r(NULL, " \t\r\n", &save);
		if (key == NULL || addr == NULL ||
		    strcmp(key, "nameserver") != 0 ||
		    dns->nservers == DNS_SERVERS_MAX || strchr(addr, '[') ||
		    server_parse(addr, &dns->servers[dns->nservers]) < 0)
			continue;
		dns->nservers++;
	}
	fclose(fp);
fallback:
	/* As the libc resolver (resolv.conf(5)): no file or no nameserver
	 * line means the name server on this machine. */
	if (dns->nservers == 0 &&
	    server_parse("127.0.0.1", &dns->servers[dns->nservers++]) < 0) {
		pcl_copy(err, errlen, "cannot use 127.0.0.1 as name server");
		return -1;
	}
	return 0;
}

/* settings_check - copy the numbers of conf, 0 meaning the default */
static int
settings_check(struct pcl_dns *dns, const struct pcl_dns_conf *conf, char *err,
               size_t errlen)
{
	dns->timeout_ms =
	    conf->timeout_ms ? conf->timeout_ms : DNS_DEFAULT_TIMEOUT;
	dns->attempts = conf->attempts ? conf->attempts : DNS_DEFAULT_ATTEMPTS;
	dns->min_ttl =
	    conf->cache_min_ttl ? conf->cache_min_ttl : DNS_DEFAULT_MIN_TTL;
	dns->max_ttl =
	    conf->cache_max_ttl ? conf->cache_max_ttl : DNS_DEFAULT_MAX_TTL;
	dns->list_down_after = conf->list_down_after;
	dns->list_window =
	    conf->list_window ? conf->list_window : DNS_DEFAULT_LIST_WINDOW;
	dns->list_backoff =
	    conf->list_backoff ? conf->list_backoff : DNS_DEFAULT_LIST_BACKOFF;
	dns->list_backoff_max = conf->list_backoff_max
	                            ? conf->list_backoff_max
	                            : DNS_DEFAULT_LIST_BACKOFF_MAX;
	if (dns->list_backoff > dns->list_backoff_max) {
		pcl_format(err, errlen, "list back-off %u above its maximum %u",
		           dns->list_backoff, dns->list_backoff_max);
		return -1;
	}
	if (conf->cache_max_answer > DNS_MSG_MAX) {
		pcl_format(err, errlen, "cache_max_answer %zu over %d",
		           conf->cache_max_answer, DNS_MSG_MAX);
		return -1;
	}
	if (dns->timeout_ms > DNS_TIMEOUT_MAX) {
		pcl_format(err, errlen, "dns timeout %u ms over %u",
		           dns->timeout_ms, DNS_TIMEOUT_MAX);
		return -1;
	}
	if (dns->attempts > DNS_ATTEMPTS_MAX) {
		pcl_format(err, errlen, "dns attempts %u over %u",
		           dns->attempts, DNS_ATTEMPTS_MAX);
		return -1;
	}
	if (dns->min_ttl > dns->max_ttl) {
		pcl_format(err, errlen,
		           "cache_min_ttl %u above cache_max_ttl %u",
		           dns->min_ttl, dns->max_ttl);
		return -1;
	}
	return 0;
}

/* pcl_dns_new - a resolver; NULL with err */
struct pcl_dns *
pcl_dns_new(const struct pcl_dns_conf *conf, char *err, size_t errlen)
{
	struct pcl_dns *made = calloc(1, sizeof(*made));
	struct pcl_dns *dns = NULL;
	const char *servers = conf ? conf->servers : NULL;
	int rc;

	if (made == NULL || conf == NULL) {
		pcl_copy(err, errlen, made ? "no settings" : "out of memory");
		goto out;
	}
	if (settings_check(made, conf, err, errlen) < 0)
		goto out;
	if (servers != NULL && servers[strspn(servers, ", \t\r\n")] != '\0')
		rc = servers_parse(made, servers, err, errlen);
	else
		rc = resolv_conf_read(
		    made, conf->resolv_conf ? conf->resolv_conf : RESOLV_CONF,
		    err, errlen);
	if (rc < 0)
		goto out;
	if (conf->cache_max_entries > 0) {
		made->cache = dns_cache_new(
		    conf->cache_max_entries,
		    conf->cache_max_bytes ? conf->cache_max_bytes
		                          : DNS_DEFAULT_CACHE_BYTES,
		    conf->cache_max_answer ? conf->cache_max_answer
		                           : DNS_DEFAULT_CACHE_ANSWER);
		if (made->cache == NULL) {
			pcl_copy(err, errlen, "out of memory");
			goto out;
		}
	}
	made->health = dns_health_new();
	made->inflight = dns_inflight_new();
	if (made->health == NULL || made->inflight == NULL) {
		pcl_copy(err, errlen, "out of memory");
		goto out;
	}
	dns = made;
	made = NULL;
out:
	pcl_dns_free(made);
	return dns;
}

/* pcl_dns_free - release a resolver; NULL is safe */
void
pcl_dns_free(struct pcl_dns *dns)
{
	if (dns == NULL)
		return;
	dns_cache_free(dns->cache);
	dns_health_free(dns->health);
	dns_inflight_free(dns->inflight);
	free(dns);
}

/* pcl_dns_share_cache - let a new resolver use an older one's cache */
void
pcl_dns_share_cache(struct pcl_dns *to, struct pcl_dns *from)
{
	if (to == NULL || from == NULL || to->cache == NULL ||
	    from->cache == NULL || to->cache == from->cache ||
	    !dns_cache_same_bounds(to->cache, from->cache))
		return;
	dns_cache_free(to->cache);
	to->cache = dns_cache_hold(from->cache);
}

/* pcl_dns_share_health - let a new resolver use an older one's list
 * health; its own settings apply to it from now on */
void
pcl_dns_share_health(struct pcl_dns *to, struct pcl_dns *from)
{
	if (to == NULL || from == NULL || to->health == from->health)
		return;
	dns_health_free(to->health);
	to->health = dns_health_hold(from->health);
}

/* pcl_dns_list_down - is the list of zone marked down */
bool
pcl_dns_list_down(struct pcl_dns *dns, const char *zone)
{
	char norm[PCL_DOMAIN_MAX + 1];
	char err[64];

	if (dns == NULL || zone == NULL ||
	    dns_name_normalize(zone, norm, err, sizeof(err)) < 0)
		return false;
	return dns_health_is_down(dns->health, norm);
}

/* pcl_dns_set_clock - pin the cache clock (NULL: the real one) */
void
pcl_dns_set_clock(struct pcl_dns *dns, time_t (*now)(void))
{
	if (dns == NULL)
		return;
	if (dns->cache != NULL)
		dns_cache_set_clock(dns->cache, now);
	dns_health_set_clock(dns->health, now);
}

/* pcl_dns_cache_flush - forget every cached answer */
void
pcl_dns_cache_flush(struct pcl_dns *dns)
{
	if (dns != NULL && dns->cache != NULL)
		dns_cache_flush(dns->cache);
}

/* pcl_dns_stats - a snapshot of the counters */
void
pcl_dns_stats(struct pcl_dns *dns, struct pcl_dns_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (dns == NULL)
		return;
	out->queries_sent = atomic_load(&dns->queries_sent);
	out->cache_hits = atomic_load(&dns->cache_hits);
	out->cache_misses = atomic_load(&dns->cache_misses);
	out->mismatched = atomic_load(&dns->mismatched);
	out->lists_skipped = atomic_load(&dns->lists_skipped);
	out->probes_sent = atomic_load(&dns->probes_sent);
	out->shared = atomic_load(&dns->shared);
	if (dns->cache != NULL)
		dns_cache_usage(dns->cache, &out->cache_entries,
		                &out->cache_bytes);
}

/* pcl_dns_servers_format - the servers in use, comma separated */
size_t
pcl_dns_servers_format(const struct pcl_dns *dns, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	if (dns == NULL)
		return 0;
	for (size_t i = 0; i < dns->nservers; i++)
		pcl_append(buf, len, "%s%s", i ? "," : "",
		           dns->servers[i].text);
	return dns->nservers;
}

/* pcl_dns_answer_free - free an answer of pcl_dns_lookup; NULL safe */
void
pcl_dns_answer_free(struct pcl_dns_answer *a)
{
	if (a == NULL)
		return;
	dns_answer_clear(a);
	free(a);
}

/* pcl_dns_error_log - the error and its server, for logs */
const char *
pcl_dns_error_log(const struct pcl_dns_answer *a, char *buf, size_t len)
{
	const char *why = *a->error ? a->error : pcl_dns_status_name(a->status);

	if (*a->server)
		pcl_format(buf, len, "%s (server %s)", why, a->server);
	else
		pcl_format(buf, len, "%s", why);
	return buf;
}

/* pcl_dns_status_name - "found", "nxdomain", ... */
const char *
pcl_dns_status_name(enum pcl_dns_status s)
{
	switch (s) {
	case PCL_DNS_PENDING:
		return "pending";
	case PCL_DNS_FOUND:
		return "found";
	case PCL_DNS_NXDOMAIN:
		return "nxdomain";
	case PCL_DNS_NODATA:
		return "nodata";
	case PCL_DNS_TEMPFAIL:
		return "tempfail";
	case PCL_DNS_PERMFAIL:
		return "permfail";
	}
	return "unknown";
}
