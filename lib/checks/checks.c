/*
 * checks - the table of checks, in the order they run
 *
 * Within each event the session calls the checks in this order, so a
 * check that exempts (an access map's OK) comes before the checks it
 * exempts from, and a check that publishes (spf, dkim) before the ones
 * that read what it published (dbl: the DKIM signers, authres).
 * Adding a check: a file in lib/checks/ that defines its struct
 * pcl_check, one line here, its keys in lib/conf/conf_keys.c (see
 * HACKING.md).
 */
#include "config.h"

#include "checks.h"

extern const struct pcl_check pcl_check_client_access;
extern const struct pcl_check pcl_check_helo_access;
extern const struct pcl_check pcl_check_helo;
extern const struct pcl_check pcl_check_sender_access;
extern const struct pcl_check pcl_check_recipient_access;
extern const struct pcl_check pcl_check_dnsbl;
extern const struct pcl_check pcl_check_spf;
extern const struct pcl_check pcl_check_dkim;
extern const struct pcl_check pcl_check_dmarc;
extern const struct pcl_check pcl_check_dbl;
extern const struct pcl_check pcl_check_authres;
extern const struct pcl_check pcl_check_signing;
extern const struct pcl_check pcl_check_arc_seal;

const struct pcl_check *const pcl_checks[] = {
    &pcl_check_client_access,    /* connect: OK trusts the client */
    &pcl_check_helo_access,      /* helo: OK exempts the HELO name */
    &pcl_check_helo,             /* helo: the name; mail: none sent */
    &pcl_check_sender_access,    /* mail: OK exempts the transaction */
    &pcl_check_recipient_access, /* rcpt: this recipient */
    &pcl_check_dnsbl,            /* connect .. rcpt: the client lists */
    &pcl_check_spf,              /* mail: HELO and MAIL FROM */
    &pcl_check_dkim,             /* the message's signatures */
    &pcl_check_dmarc,            /* eom: reads spf and dkim */
    &pcl_check_dbl,              /* domains, as each is known; dkim d= */
    &pcl_check_authres,          /* forged ones out, ours in */
    &pcl_check_signing,          /* outgoing: DKIM-Signature */
    &pcl_check_arc_seal,         /* inbound: this hop's ARC set */
    NULL,
};
