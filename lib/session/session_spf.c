/*
 * session_spf - SPF for the HELO and MAIL FROM identities (RFC 7208)
 *
 * Both are evaluated at MAIL, once it is known whether the client is
 * trusted (internal and authenticated clients are not checked, nor
 * loopback ones: SPF says nothing about them). The HELO identity is
 * checked when spf_helo is on and the HELO name is a domain; for the
 * null sender, the MAIL FROM identity is postmaster@HELO (RFC 7208
 * §2.4) and its result is the HELO's. Each identity's result maps to
 * its configured action; temperror follows spf_on_error. The results
 * feed Authentication-Results and a Received-SPF header.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "session_int.h"

/* spf_conf - the configured behaviour for an identity's result, or
 * NULL when the result has none (pass; none and neutral for HELO) */
static const struct pcl_check_conf *
spf_conf(const struct pcl_conf *c, bool helo, enum pcl_spf_result r,
         const char **check)
{
	switch (r) {
	case PCL_SPF_FAIL:
		*check = helo ? "spf_helo_fail" : "spf_mailfrom_fail";
		return helo ? &c->spf_helo_fail : &c->spf_mailfrom_fail;
	case PCL_SPF_SOFTFAIL:
		*check = helo ? "spf_helo_softfail" : "spf_mailfrom_softfail";
		return helo ? &c->spf_helo_softfail : &c->spf_mailfrom_softfail;
	case PCL_SPF_PERMERROR:
		*check = helo ? "spf_helo_permerror" : "spf_mailfrom_permerror";
		return helo ? &c->spf_helo_permerror
		            : &c->spf_mailfrom_permerror;
	case PCL_SPF_NEUTRAL:
		*check = "spf_mailfrom_neutral";
		return helo ? NULL : &c->spf_mailfrom_neutral;
	case PCL_SPF_NONE:
		*check = "spf_mailfrom_none";
		return helo ? NULL : &c->spf_mailfrom_none;
	case PCL_SPF_PASS:
	case PCL_SPF_TEMPERROR:
		break;
	}
	return NULL;
}

/* act - the finding for one identity's result */
static void
act(struct pcl_session *s, bool helo, const struct pcl_spf_response *r)
{
	const struct pcl_check_conf *cc;
	const char *check = "spf";
	char detail[PCL_FINDING_DETAIL_MAX];

	pcl_format(detail, sizeof(detail), "%s %s: %s%s%s",
	           helo ? "helo" : "mailfrom", pcl_spf_result_name(r->result),
	           r->mechanism, *r->mechanism && *r->problem ? ": " : "",
	           r->problem);
	if (r->result == PCL_SPF_TEMPERROR) {
		pcl_session_error(s, &s->txn, "spf", PCL_STAGE_MAIL,
		                  s->conf->spf_on_error, detail, "4.3",
		                  "SPF temporary error, try again later");
		return;
	}
	cc = spf_conf(s->conf, helo, r->result, &check);
	if (cc == NULL)
		return;
	s->spf = r; /* for $spf_* in the reply */
	pcl_session_configured(s, &s->txn, check, PCL_STAGE_MAIL, cc, detail);
	s->spf = NULL;
}

/* check_one - evaluate one identity into out and trace it */
static void
check_one(struct pcl_session *s, const char *sender, const char *domain,
          bool helo, struct pcl_spf_response *out)
{
	struct pcl_spf_request req = {
	    .ip = s->caddr,
	    .sender = sender,
	    .domain = domain,
	    .helo = s->helo,
	    .receiver = s->conf->myhostname,
	};

	pcl_spf_check(s->conf->dns, &req, out);
	pcl_session_trace(s, PCL_STAGE_MAIL, helo ? "spf_helo" : "spf_mailfrom",
	                  pcl_spf_result_name(out->result), "%s: %s%s%s",
	                  domain, out->mechanism,
	                  *out->mechanism && *out->problem ? ": " : "",
	                  out->problem);
}

/* pcl_checks_spf - SPF at MAIL */
void
pcl_checks_spf(struct pcl_session *s)
{
	const struct pcl_conf *c = s->conf;
	const char *at = strrchr(s->sender, '@');
	char postmaster[PCL_ADDRESS_MAX + 1];
	bool helo_domain =
	    s->helo_seen && s->helo[0] != '[' && strchr(s->helo, '.') != NULL;

	if (!c->spf_verify || c->dns == NULL || !s->have_addr)
		return;
	if (pcl_addr_classify(&s->caddr) == PCL_ADDR_LOOPBACK) {
		pcl_session_trace(s, PCL_STAGE_MAIL, "spf", "skip",
		                  "loopback client");
		return;
	}
	pcl_format(postmaster, sizeof(postmaster), "postmaster@%s", s->helo);
	if (helo_domain && (c->spf_helo || *s->sender == '\0')) {
		check_one(s, postmaster, s->helo, true, &s->spf_he);
		s->spf_he_done = true;
		act(s, true, &s->spf_he);
	}
	if (*s->sender == '\0') {
		/* the null sender: the MAIL FROM identity is the HELO's */
		if (s->spf_he_done) {
			s->spf_mf = s->spf_he;
			s->spf_mf_done = true;
			pcl_copy(s->spf_mf_identity, sizeof(s->spf_mf_identity),
			         postmaster);
		}
		return;
	}
	if (at == NULL || at[1] == '\0')
		return; /* no domain to ask */
	check_one(s, s->sender, at + 1, false, &s->spf_mf);
	s->spf_mf_done = true;
	pcl_copy(s->spf_mf_identity, sizeof(s->spf_mf_identity), s->sender);
	act(s, false, &s->spf_mf);
}

/* pcl_spf_authres - the spf results for Authentication-Results */
void
pcl_spf_authres(struct pcl_session *s, struct pcl_authres *ar)
{
	if (s->spf_mf_done && *s->sender)
		pcl_authres_add(ar, "spf",
		                pcl_spf_result_name(s->spf_mf.result), NULL,
		                "smtp.mailfrom", s->spf_mf_identity, NULL);
	if (s->spf_he_done)
		pcl_authres_add(ar, "spf",
		                pcl_spf_result_name(s->spf_he.result), NULL,
		                "smtp.helo", s->helo, NULL);
}

/* pcl_spf_received_header - a Received-SPF header for the MAIL FROM
 * identity (the HELO's for the null sender) */
void
pcl_spf_received_header(struct pcl_session *s)
{
	char value[PCL_SPF_TEXT_MAX * 2];
	const char *at = strrchr(s->spf_mf_identity, '@');
	struct pcl_spf_request req = {
	    .ip = s->caddr,
	    .sender = s->spf_mf_identity,
	    .domain = at ? at + 1 : s->helo,
	    .helo = s->helo,
	    .receiver = s->conf->myhostname,
	};

	if (!s->spf_mf_done || !s->conf->spf_received_header)
		return;
	if (pcl_spf_received(&req, &s->spf_mf, *s->sender ? "mailfrom" : "helo",
	                     value, sizeof(value)))
		pcl_session_headers_add(s, &s->add, "Received-SPF", value);
}
