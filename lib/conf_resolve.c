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
#include <unistd.h>

#include "conf_int.h"
#include "util.h"

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
			*(enum pcl_on_error *)pcl_conf_field(c, k) = c->on_error;
			pcl_conf_set_text(c, k->name, pcl_on_error_name(c->on_error));
		}
	}
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
	c->self_addrs = calloc(c->helo_own_addresses.count + 1,
			       sizeof(*c->self_addrs));
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
}
