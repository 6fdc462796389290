/*
 * conf_resolve - values that depend on other keys or on the host
 *
 * Run once every key is parsed, so the order of keys in the file does
 * not matter: an empty per-check on_error takes on_error, myhostname
 * and the HELO self-identity come from the host when not set.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_int.h"
#include "dmarc_report.h"
#include "util.h"

/* key_where - file and line where a key was set, for error messages */
static const char *
key_where(const struct pcl_conf *c, const char *name, int *line)
{
	const struct pcl_conf_key *k = pcl_conf_key_find(name);

	*line = c->line[k - pcl_conf_keys];
	if (*line < 0)
		return "command line";
	if (*line == 0 || c->path == NULL)
		return "built-in configuration";
	return c->path;
}

/* shown_name - the admin's public name for a list whose default public
 * name is dflt (dns_list_names), or NULL */
static const char *
shown_name(const struct pcl_conf *c, const char *dflt)
{
	size_t n = strlen(dflt);

	for (size_t i = 0; i < c->dns_list_names.count; i++) {
		const char *w = c->dns_list_names.items[i];

		if (strncasecmp(w, dflt, n) == 0 && w[n] == '=' && w[n + 1])
			return w + n + 1;
	}
	return NULL;
}

/* site_parse - a site with its public name from dns_list_names */
static int
site_parse(const struct pcl_conf *c, const char *text,
           struct pcl_dnsbl_site *out, char *err, size_t errlen)
{
	const char *shown;

	if (pcl_dnsbl_site_parse(text, c->dqs_key, NULL, out, err, errlen) < 0)
		return -1;
	shown = shown_name(c, out->public_name);
	if (shown == NULL)
		return 0;
	pcl_dnsbl_site_clear(out);
	return pcl_dnsbl_site_parse(text, c->dqs_key, shown, out, err, errlen);
}

/* resolve_dnsbl - parse the sites now that dqs_key is known, wherever
 * it stands in the file */
static void
resolve_dnsbl(struct pcl_conf *c, struct errs *e)
{
	char err[PCL_ERR_MAX], msg[PCL_ERR_MAX + 32];
	int line;
	const char *where = key_where(c, "dnsbl_sites", &line);

	c->dnsbl_sites =
	    calloc(c->dnsbl_site_text.count + 1, sizeof(*c->dnsbl_sites));
	if (c->dnsbl_sites == NULL) {
		pcl_conf_errs_add(e, where, line, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->dnsbl_site_text.count; i++) {
		if (site_parse(c, c->dnsbl_site_text.items[i],
		               &c->dnsbl_sites[i], err, sizeof(err)) < 0) {
			pcl_format(msg, sizeof(msg), "dnsbl_sites: %s", err);
			pcl_conf_errs_add(e, where, line, msg);
			continue;
		}
		c->ndnsbl_sites = i + 1;
	}
}

static const char *const identity_names[PCL_DBL_NIDENT] = {
    [PCL_DBL_HELO] = "helo",         [PCL_DBL_CLIENT] = "client",
    [PCL_DBL_SENDER] = "sender",     [PCL_DBL_FROM] = "from",
    [PCL_DBL_REPLY_TO] = "reply_to", [PCL_DBL_BODY] = "body",
    [PCL_DBL_DKIM] = "dkim",
};

/* pcl_dbl_identity_name - "helo", "client", ... */
const char *
pcl_dbl_identity_name(enum pcl_dbl_identity id)
{
	return (unsigned)id < PCL_DBL_NIDENT ? identity_names[id] : "?";
}

/* parse_identities - "helo,sender" to bits; 0 when one is unknown */
static unsigned
parse_identities(const char *text, char *bad, size_t badlen)
{
	struct pcl_words w = {0};
	unsigned bits = 0;

	if (pcl_conf_words_split(text, &w) < 0)
		return 0;
	for (size_t i = 0; i < w.count; i++) {
		unsigned bit = 0;

		for (int id = 0; id < PCL_DBL_NIDENT; id++)
			if (strcmp(w.items[i], identity_names[id]) == 0)
				bit = 1u << id;
		if (bit == 0) {
			pcl_copy(bad, badlen, w.items[i]);
			bits = 0;
			break;
		}
		bits |= bit;
	}
	pcl_conf_words_clear(&w);
	return bits;
}

/* resolve_dbl - parse the domain lists: a site, then ":identities"
 * (default: every identity, dkim included: a list of spam domains
 * judges a domain that signed as much as one that is named) */
static void
resolve_dbl(struct pcl_conf *c, struct errs *e)
{
	char err[PCL_ERR_MAX], msg[PCL_ERR_MAX + 64];
	int line;
	const char *where = key_where(c, "dbl_sites", &line);

	c->dbl_sites =
	    calloc(c->dbl_site_text.count + 1, sizeof(*c->dbl_sites));
	if (c->dbl_sites == NULL) {
		pcl_conf_errs_add(e, where, line, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->dbl_site_text.count; i++) {
		char text[PCL_LINE_MAX], bad[64] = "";
		char *colon;
		unsigned ids = (1u << PCL_DBL_NIDENT) - 1;

		pcl_copy(text, sizeof(text), c->dbl_site_text.items[i]);
		colon = strchr(text, ':');
		if (colon) {
			/* ":" ends the site; identities are joined with
			 * "+", since "," already separates list items */
			*colon = '\0';
			for (char *p = colon + 1; *p; p++)
				if (*p == '+')
					*p = ',';
			ids = parse_identities(colon + 1, bad, sizeof(bad));
			if (ids == 0) {
				pcl_format(
				    msg, sizeof(msg),
				    "dbl_sites: unknown "
				    "identity \"%s\" (helo, client, "
				    "sender, from, reply_to, body, dkim)",
				    bad);
				pcl_conf_errs_add(e, where, line, msg);
				continue;
			}
		}
		if (site_parse(c, text, &c->dbl_sites[i].site, err,
		               sizeof(err)) < 0) {
			pcl_format(msg, sizeof(msg), "dbl_sites: %s", err);
			pcl_conf_errs_add(e, where, line, msg);
			continue;
		}
		c->dbl_sites[i].identities = ids;
		c->ndbl_sites = i + 1;
	}
}

/* signing_wanted - is a signing key configured */
static bool
signing_wanted(const struct pcl_conf *c)
{
	return *c->dkim_key_table || *c->dkim_signing_table ||
	       *c->dkim_sign_domain || *c->dkim_sign_selector ||
	       *c->dkim_sign_key;
}

/* resolve_dns - the resolver, when a check needs one */
static void
resolve_dns(struct pcl_conf *c, struct errs *e)
{
	struct pcl_dns_conf dc = {
	    .servers = c->dns_servers,
	    .timeout_ms = (unsigned)c->dns_timeout,
	    .attempts = (unsigned)c->dns_attempts,
	    .cache_min_ttl = (unsigned)c->dns_cache_min_ttl,
	    .cache_max_ttl = (unsigned)c->dns_cache_max_ttl,
	    .cache_max_entries = (size_t)c->dns_cache_size,
	    .cache_max_bytes = (size_t)c->dns_cache_bytes,
	    .cache_max_answer = (size_t)c->dns_cache_answer_max,
	    .list_down_after = (unsigned)c->dns_list_down_after,
	    .list_window = (unsigned)c->dns_list_down_window,
	    .list_backoff = (unsigned)c->dns_list_down_backoff,
	    .list_backoff_max = (unsigned)c->dns_list_down_backoff_max,
	};
	char err[PCL_ERR_MAX];
	int line;
	const char *where = key_where(c, "dns_servers", &line);

	if (c->dnsbl_site_text.count == 0 && c->dbl_site_text.count == 0 &&
	    !c->dkim_verify && !c->spf_verify && !signing_wanted(c))
		return;
	if (c->dns_cache_min_ttl > c->dns_cache_max_ttl) {
		pcl_conf_errs_add(e, where, 0,
		                  "dns_cache_min_ttl is larger "
		                  "than dns_cache_max_ttl");
		return;
	}
	if (c->dns_list_down_backoff > c->dns_list_down_backoff_max) {
		where = key_where(c, "dns_list_down_backoff", &line);
		pcl_conf_errs_add(e, where, line,
		                  "dns_list_down_backoff is larger "
		                  "than dns_list_down_backoff_max");
		return;
	}
	c->dns = pcl_dns_new(&dc, err, sizeof(err));
	if (c->dns == NULL)
		pcl_conf_errs_add(e, where, line, err);
}

/* resolve_dmarc - dmarc_mode */
static void
resolve_dmarc(struct pcl_conf *c, struct errs *e)
{
	int line;
	const char *where = key_where(c, "dmarc_mode", &line);

	if (strcmp(c->dmarc_mode, "rfc7489") == 0)
		c->dmarc_psl = true;
	else if (strcmp(c->dmarc_mode, "rfc9989") != 0)
		pcl_conf_errs_add(e, where, line,
		                  "dmarc_mode: want rfc9989 or rfc7489");
	/* the report data's writer: nothing opened before the first line,
	 * so that -n, -d and -t touch no file */
	where = key_where(c, "dmarc_report_dir", &line);
	if (!c->dmarc_verify || *c->dmarc_report_dir == '\0')
		return;
	if (*c->dmarc_report_dir != '/') {
		pcl_conf_errs_add(e, where, line,
		                  "dmarc_report_dir: want an absolute path "
		                  "(or nothing)");
		return;
	}
	c->dmarc_report = pcl_dmarc_report_log_new(
	    c->dmarc_report_dir, (unsigned)c->dmarc_report_keep);
	if (c->dmarc_report == NULL)
		pcl_conf_errs_add(e, where, line, "out of memory");
}

/* resolve_arc - arc_sign needs the verifier (the chain's state) and a
 * key of the signing configuration */
static void
resolve_arc(struct pcl_conf *c, struct errs *e)
{
	int line;
	const char *where = key_where(c, "arc_sign", &line);

	if (!c->arc_sign)
		return;
	if (!c->dkim_verify)
		pcl_conf_errs_add(e, where, line,
		                  "arc_sign needs dkim_verify = yes");
	else if (c->signing == NULL && !signing_wanted(c))
		pcl_conf_errs_add(e, where, line,
		                  "arc_sign needs a signing key "
		                  "(dkim_key_table or dkim_sign_key)");
	else if (c->signing == NULL)
		return; /* the signing keys' own error says why */
	else if ((c->arc_signer = pcl_dkim_signing_named(
	              c->signing, c->arc_sign_key)) == NULL)
		pcl_conf_errs_add(
		    e, where, line,
		    "arc_sign_key: no such key in dkim_key_table");
}

/* resolve_sign_options - dkim_sign_address and the header list, which
 * must name From (RFC 6376 5.4) and pass the signer's checks */
static void
resolve_sign_options(struct pcl_conf *c, struct errs *e)
{
	const struct pcl_words *w = &c->dkim_sign_headers;
	struct pcl_dkim_sign_opts opts = {0};
	char err[PCL_ERR_MAX];
	bool from = false;
	int line;
	const char *where = key_where(c, "dkim_sign_address", &line);

	if (strcmp(c->dkim_sign_address, "sender") == 0)
		c->dkim_sign_by_sender = true;
	else if (strcmp(c->dkim_sign_address, "from") != 0)
		pcl_conf_errs_add(e, where, line,
		                  "dkim_sign_address: want from or sender");
	where = key_where(c, "dkim_sign_headers", &line);
	c->sign_headers = calloc(w->count + 1, sizeof(*c->sign_headers));
	if (c->sign_headers == NULL) {
		pcl_conf_errs_add(e, where, line, "out of memory");
		return;
	}
	for (size_t i = 0; i < w->count; i++) {
		c->sign_headers[i] = w->items[i];
		from = from || strcasecmp(w->items[i], "From") == 0;
	}
	opts.headers = c->sign_headers;
	if (!from)
		pcl_conf_errs_add(e, where, line,
		                  "dkim_sign_headers: From must be signed");
	else if (!pcl_dkim_sign_check(NULL, &opts, err, sizeof(err)))
		pcl_conf_errs_add(e, where, line, err);
}

/* resolve_signing - load the keys of outgoing mail: an OpenDKIM
 * KeyTable and SigningTable, or one domain, selector and key. Keys are
 * read now, so a bad one refuses the configuration, naming the file. */
static void
resolve_signing(struct pcl_conf *c, struct errs *e)
{
	char err[PCL_ERR_MAX], msg[PCL_ERR_MAX + 32];
	int line;
	const char *where;

	if (!signing_wanted(c))
		return;
	if (*c->dkim_key_table || *c->dkim_signing_table) {
		where = key_where(c, "dkim_key_table", &line);
		if (!*c->dkim_key_table || !*c->dkim_signing_table) {
			pcl_conf_errs_add(e, where, line,
			                  "dkim_key_table and "
			                  "dkim_signing_table go together");
			return;
		}
		c->signing = pcl_dkim_signing_load(
		    c->dkim_key_table, c->dkim_signing_table,
		    c->dkim_sign_multiple, err, sizeof(err));
	} else {
		where = key_where(c, "dkim_sign_domain", &line);
		if (!*c->dkim_sign_domain || !*c->dkim_sign_selector ||
		    !*c->dkim_sign_key) {
			pcl_conf_errs_add(
			    e, where, line,
			    "dkim_sign_domain, "
			    "dkim_sign_selector and dkim_sign_key "
			    "go together");
			return;
		}
		c->signing = pcl_dkim_signing_simple(
		    c->dkim_sign_domain, c->dkim_sign_selector,
		    c->dkim_sign_key, err, sizeof(err));
	}
	if (c->signing == NULL) {
		pcl_format(msg, sizeof(msg), "DKIM signing: %s", err);
		pcl_conf_errs_add(e, where, line, msg);
		return;
	}
	if (!pcl_dkim_sign_prepare(c->dkim, (unsigned long)c->dkim_sign_expire,
	                           err, sizeof(err)))
		pcl_conf_errs_add(e, where, line, err);
}

/* resolve_auth - authserv-id and the DKIM library */
static void
resolve_auth(struct pcl_conf *c, struct errs *e)
{
	struct pcl_dkim_lib_conf dc = {
	    .min_key_bits = (unsigned)c->dkim_min_key_bits,
	    .max_signatures = (unsigned)c->dkim_max_signatures,
	};
	char err[PCL_ERR_MAX];
	int line;
	const char *where = key_where(c, "dkim_verify", &line);

	if (*c->authserv_id == '\0') {
		free(c->authserv_id);
		c->authserv_id = strdup(c->myhostname);
		pcl_conf_set_text(c, "authserv_id", c->myhostname);
		if (c->authserv_id == NULL) {
			pcl_conf_errs_add(e, where, 0, "out of memory");
			return;
		}
	}
	if ((!c->dkim_verify && !signing_wanted(c)) || c->dns == NULL)
		return;
	c->dkim = pcl_dkim_lib_new(c->dns, &dc, err, sizeof(err));
	if (c->dkim == NULL) {
		pcl_conf_errs_add(e, where, line, err);
		return;
	}
	resolve_signing(c, e);
}

/* pcl_conf_resolve - fill the values that depend on others or on the host */
void
pcl_conf_resolve(struct pcl_conf *c, struct errs *e)
{
	const char *where = c->path ? c->path : "built-in configuration";
	char err[PCL_ERR_MAX];

	if (*c->myhostname == '\0') {
		char host[PCL_DOMAIN_MAX + 2] = "";

		if (gethostname(host, sizeof(host) - 1) < 0 || *host == '\0')
			pcl_copy(host, sizeof(host), "localhost");
		free(c->myhostname);
		c->myhostname = strdup(host);
		pcl_conf_set_text(c, "myhostname", host);
	}
	for (size_t i = 0; i < pcl_conf_nkeys; i++) {
		const struct pcl_conf_key *k = &pcl_conf_keys[i];

		if (k->type == PCL_CT_ONERR && c->text[i][0] == '\0') {
			*(enum pcl_on_error *)pcl_conf_field(c, k) =
			    c->on_error;
			pcl_conf_set_text(c, k->name,
			                  pcl_on_error_name(c->on_error));
		}
	}
	resolve_dnsbl(c, e);
	resolve_dbl(c, e);
	resolve_dns(c, e);
	resolve_auth(c, e);
	resolve_dmarc(c, e);
	resolve_sign_options(c, e); /* checked with signing off too */
	resolve_arc(c, e);
	if (c->helo_own_names.count == 0 && c->myhostname) {
		pcl_conf_words_split(c->myhostname, &c->helo_own_names);
		pcl_conf_set_text(c, "helo_own_names", c->myhostname);
	}
	if (c->helo_own_addresses.count == 0) {
		struct pcl_helo_self_store store = {0};
		char text[4096] = "";

		if (pcl_helo_self_from_host(&store, err, sizeof(err)) < 0) {
			pcl_conf_errs_add(e, where, 0, err);
		} else {
			for (size_t i = 0; i < store.naddrs; i++) {
				char a[PCL_ADDR_TEXT_MAX];

				pcl_addr_format(&store.addrs[i], a, sizeof(a));
				if (store.addrs[i].family == AF_INET6)
					pcl_append(text, sizeof(text), "%s[%s]",
					           *text ? " " : "", a);
				else
					pcl_append(text, sizeof(text), "%s%s",
					           *text ? " " : "", a);
			}
			if (pcl_cidr_list_parse(text, &c->helo_own_addresses,
			                        err, sizeof(err)) < 0)
				pcl_conf_errs_add(e, where, 0, err);
			pcl_conf_set_text(c, "helo_own_addresses", text);
		}
		pcl_helo_self_clear(&store);
	}
	c->self_addrs =
	    calloc(c->helo_own_addresses.count + 1, sizeof(*c->self_addrs));
	if (c->self_addrs == NULL) {
		pcl_conf_errs_add(e, where, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->helo_own_addresses.count; i++)
		c->self_addrs[i] = c->helo_own_addresses.items[i].net;
	c->self.names = (const char *const *)c->helo_own_names.items;
	c->self.nnames = c->helo_own_names.count;
	c->self.addrs = c->self_addrs;
	c->self.naddrs = c->helo_own_addresses.count;
}

/* pcl_conf_resolved_free - release what pcl_conf_resolve made */
void
pcl_conf_resolved_free(struct pcl_conf *c)
{
	free(c->self_addrs);
	c->self_addrs = NULL;
	for (size_t i = 0; c->dnsbl_sites && i < c->ndnsbl_sites; i++)
		pcl_dnsbl_site_clear(&c->dnsbl_sites[i]);
	free(c->dnsbl_sites);
	c->dnsbl_sites = NULL;
	for (size_t i = 0; c->dbl_sites && i < c->ndbl_sites; i++)
		pcl_dnsbl_site_clear(&c->dbl_sites[i].site);
	free(c->dbl_sites);
	c->dbl_sites = NULL;
	pcl_dkim_signing_free(c->signing);
	c->signing = NULL;
	free(c->sign_headers);
	c->sign_headers = NULL;
	pcl_dmarc_report_log_free(c->dmarc_report);
	c->dmarc_report = NULL;
	pcl_dkim_lib_free(c->dkim); /* before the resolver it uses */
	c->dkim = NULL;
	pcl_dns_free(c->dns);
	c->dns = NULL;
}
