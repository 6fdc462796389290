/*
 * check_dmarc - the parts of DMARC that need no DNS (lib/auth/dmarc*.c):
 * the policy record (RFC 9989 4.7, 4.8), the names of the DNS Tree Walk
 * and the examples of 4.10 and 4.10.2, policy discovery (4.10.1), the
 * policy of a failing message (p, sp, np, t), and the Author Domain of
 * From: values, hostile ones included.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* --- records ------------------------------------------------------------ */

struct record_case {
	const char *text;
	enum pcl_dmarc_parse want;
	enum pcl_dmarc_policy p, sp, np;
	bool adkim_strict, aspf_strict, testing, rua;
	char psd;
};

#define P_ PCL_DMARC_P_UNSET
#define PN PCL_DMARC_P_NONE
#define PQ PCL_DMARC_P_QUARANTINE
#define PR PCL_DMARC_P_REJECT
#define OK PCL_DMARC_RECORD
#define NOT PCL_DMARC_NOT_DMARC
#define UNUSABLE PCL_DMARC_UNUSABLE

static const struct record_case records[] = {
    {"v=DMARC1; p=reject", OK, PR, P_, P_, false, false, false, false, 'u'},
    {"v=DMARC1;p=quarantine;sp=none;np=reject;adkim=s;aspf=s;t=y;psd=n", OK, PQ,
     PN, PR, true, true, true, false, 'n'},
    {"v = DMARC1 ; p = Reject ; psd = Y", OK, PR, P_, P_, false, false, false,
     false, 'y'},
    /* no p=: p=none (4.7) */
    {"v=DMARC1; rua=mailto:d@example.com", OK, PN, P_, P_, false, false, false,
     true, 'u'},
    {"v=DMARC1", OK, PN, P_, P_, false, false, false, false, 'u'},
    {"v=DMARC1;", OK, PN, P_, P_, false, false, false, false, 'u'},
    /* v= first, exactly DMARC1 */
    {"p=reject; v=DMARC1", NOT, P_, P_, P_, false, false, false, false, 'u'},
    {"v=dmarc1; p=reject", NOT, P_, P_, P_, false, false, false, false, 'u'},
    {"v=DMARC10; p=reject", NOT, P_, P_, P_, false, false, false, false, 'u'},
    {"v=spf1 -all", NOT, P_, P_, P_, false, false, false, false, 'u'},
    {"", NOT, P_, P_, P_, false, false, false, false, 'u'},
    {"v=DMARC1p=reject", NOT, P_, P_, P_, false, false, false, false, 'u'},
    /* a bad p=: none with a valid rua=, else unusable (4.10.1) */
    {"v=DMARC1; p=rejekt; rua=mailto:d@example.com", OK, PN, P_, P_, false,
     false, false, true, 'u'},
    {"v=DMARC1; p=rejekt", UNUSABLE, P_, P_, P_, false, false, false, false,
     'u'},
    {"v=DMARC1; p=reject; sp=bogus", UNUSABLE, P_, P_, P_, false, false, false,
     false, 'u'},
    {"v=DMARC1; p=reject; np=bogus; rua=mailto:a@b.example", OK, PN, P_, P_,
     false, false, false, true, 'u'},
    {"v=DMARC1; p=rejekt; rua=not a uri", UNUSABLE, P_, P_, P_, false, false,
     false, false, 'u'},
    {"v=DMARC1; p=reject; rua=bogus, mailto:x@example.org!10m", OK, PR, P_, P_,
     false, false, false, true, 'u'},
    /* other bad values: their defaults */
    {"v=DMARC1; p=reject; adkim=x; aspf=strict; t=maybe; psd=q", OK, PR, P_, P_,
     false, false, false, false, 'u'},
    /* unknown tags, removed tags, malformed tags: ignored */
    {"v=DMARC1; p=reject; pct=0; rf=afrf; ri=3600; zz=top", OK, PR, P_, P_,
     false, false, false, false, 'u'},
    {"v=DMARC1; garbage; =x; p=reject", OK, PR, P_, P_, false, false, false,
     false, 'u'},
    {"v=DMARC1; p=\x01reject; sp=none", OK, PN, PN, P_, false, false, false,
     false, 'u'},
    /* the first of a repeated tag counts */
    {"v=DMARC1; p=none; p=reject", OK, PN, P_, P_, false, false, false, false,
     'u'},
};

START_TEST(test_records)
{
	const struct record_case *c = &records[_i];
	struct pcl_dmarc_record r;
	enum pcl_dmarc_parse got =
	    pcl_dmarc_record_parse(c->text, strlen(c->text), &r);

	ck_assert_msg(got == c->want, "\"%s\": got %d, want %d", c->text, got,
	              c->want);
	if (got == NOT)
		return;
	ck_assert_msg(r.p == c->p && r.sp == c->sp && r.np == c->np,
	              "\"%s\": p/sp/np %d/%d/%d, want %d/%d/%d", c->text, r.p,
	              r.sp, r.np, c->p, c->sp, c->np);
	ck_assert_msg(r.adkim_strict == c->adkim_strict &&
	                  r.aspf_strict == c->aspf_strict &&
	                  r.testing == c->testing && r.rua == c->rua &&
	                  r.psd == c->psd,
	              "\"%s\": flags", c->text);
}
END_TEST

/* test_record_bounds - 64 tags, 64 KiB */
START_TEST(test_record_bounds)
{
	size_t cap = 70000;
	char *t = malloc(cap);
	struct pcl_dmarc_record r;

	ck_assert_ptr_nonnull(t);
	strcpy(t, "v=DMARC1; p=reject");
	for (int i = 0; i < 63; i++)
		strcat(t, "; x=1");
	ck_assert_int_eq(pcl_dmarc_record_parse(t, strlen(t), &r), OK);
	strcat(t, "; x=1");
	ck_assert_int_eq(pcl_dmarc_record_parse(t, strlen(t), &r), NOT);
	memset(t, ' ', cap);
	memcpy(t, "v=DMARC1; p=reject;", 19);
	ck_assert_int_eq(pcl_dmarc_record_parse(t, 65536, &r), OK);
	ck_assert_int_eq(pcl_dmarc_record_parse(t, 65537, &r), NOT);
	free(t);
}
END_TEST

/* --- the tree walk -------------------------------------------------------- */

/* test_walk_names - RFC 9989 4.10's example and short names */
START_TEST(test_walk_names)
{
	static const char *const deep[] = {
	    "a.b.c.d.e.f.g.h.i.j.mail.example.com",
	    "g.h.i.j.mail.example.com",
	    "h.i.j.mail.example.com",
	    "i.j.mail.example.com",
	    "j.mail.example.com",
	    "mail.example.com",
	    "example.com",
	    "com",
	};
	struct pcl_dmarc_walk w;

	pcl_dmarc_walk_init(&w, deep[0]);
	ck_assert_uint_eq(w.n, 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_str_eq(w.name[i], deep[i]);
	pcl_dmarc_walk_init(&w, "a.mail.example.com");
	ck_assert_uint_eq(w.n, 4);
	ck_assert_str_eq(w.name[3], "com");
	/* exactly 8 labels: the 7 rightmost next */
	pcl_dmarc_walk_init(&w, "a.b.c.d.e.f.g.h");
	ck_assert_uint_eq(w.n, 8);
	ck_assert_str_eq(w.name[1], "b.c.d.e.f.g.h");
	ck_assert_str_eq(w.name[7], "h");
	/* 7 labels: one fewer each time */
	pcl_dmarc_walk_init(&w, "b.c.d.e.f.g.h");
	ck_assert_uint_eq(w.n, 7);
	pcl_dmarc_walk_init(&w, "com");
	ck_assert_uint_eq(w.n, 1);
	pcl_dmarc_walk_init(&w, "");
	ck_assert_uint_eq(w.n, 0);
}
END_TEST

/* answer_text - name i answered one TXT text (NULL: nothing) */
static void
answer_text(struct pcl_dmarc_walk *w, size_t i, const char *text)
{
	size_t len = text ? strlen(text) : 0;

	pcl_dmarc_walk_answer(w, i, &text, &len, text ? 1 : 0);
}

/* walk_with - the walk from domain; records[i] for each name (NULL:
 * none, "!": a temporary failure) */
static void
walk_with(struct pcl_dmarc_walk *w, const char *domain, const char *const *recs)
{
	pcl_dmarc_walk_init(w, domain);
	for (size_t i = 0; i < w->n; i++)
		if (recs[i] && strcmp(recs[i], "!") == 0)
			w->answer[i] = PCL_DMARC_ERROR;
		else
			answer_text(w, i, recs[i]);
}

struct org_case {
	const char *label, *domain;
	const char *recs[8];
	enum pcl_dmarc_outcome want;
	const char *org;
};

static const struct org_case orgs[] = {
    /* the three examples of RFC 9989 4.10.2 */
    {"records at mail.example.com and example.com",
     "a.mail.example.com",
     {NULL, "v=DMARC1; p=none", "v=DMARC1; p=reject", NULL},
     PCL_DMARC_DECIDED,
     "example.com"},
    {"psd=n at mail.example.com",
     "a.mail.example.com",
     {NULL, "v=DMARC1; p=none; psd=n", "v=DMARC1; p=reject", NULL},
     PCL_DMARC_DECIDED,
     "mail.example.com"},
    {"only com, psd=y",
     "a.mail.example.com",
     {NULL, NULL, NULL, "v=DMARC1; p=reject; psd=y"},
     PCL_DMARC_DECIDED,
     "example.com"},
    {"no record: the start",
     "a.mail.example.com",
     {NULL, NULL, NULL, NULL},
     PCL_DMARC_DECIDED,
     "a.mail.example.com"},
    /* psd=y at the start stops the walk (4.10 step 2): the record
     * above is not read (check_session_dmarc found the walk going on) */
    {"psd=y at the start stops the walk",
     "reg.zone.test",
     {"v=DMARC1; p=reject; psd=y", "v=DMARC1; p=none", NULL},
     PCL_DMARC_DECIDED,
     "reg.zone.test"},
    {"psd=y at the start does not count",
     "example.com",
     {"v=DMARC1; p=none; psd=y", NULL},
     PCL_DMARC_DECIDED,
     "example.com"},
    {"a failure before the decision",
     "a.mail.example.com",
     {NULL, "!", "v=DMARC1; p=reject", NULL},
     PCL_DMARC_UNDECIDED,
     ""},
    {"psd=n decides before a failure",
     "a.mail.example.com",
     {NULL, "v=DMARC1; psd=n", "!", "!"},
     PCL_DMARC_DECIDED,
     "mail.example.com"},
};

START_TEST(test_org_domain)
{
	const struct org_case *c = &orgs[_i];
	struct pcl_dmarc_walk w;
	char org[PCL_DOMAIN_MAX + 1];

	walk_with(&w, c->domain, c->recs);
	ck_assert_msg(pcl_dmarc_org_domain(&w, org) == c->want, "%s", c->label);
	if (c->want == PCL_DMARC_DECIDED)
		ck_assert_msg(strcmp(org, c->org) == 0, "%s: got %s, want %s",
		              c->label, org, c->org);
}
END_TEST

/* test_duplicate_records - two DMARC records at a name: none (4.10) */
START_TEST(test_duplicate_records)
{
	struct pcl_dmarc_walk w;
	const char *texts[] = {"v=DMARC1; p=reject", "v=spf1 -all",
	                       "v=DMARC1; p=none"};
	size_t lens[] = {18, 11, 16};

	pcl_dmarc_walk_init(&w, "example.com");
	pcl_dmarc_walk_answer(&w, 0, texts, lens, 3);
	ck_assert_int_eq(w.answer[0], PCL_DMARC_NONE);
	pcl_dmarc_walk_answer(&w, 0, texts, lens, 2);
	ck_assert_int_eq(w.answer[0], PCL_DMARC_FOUND);
	ck_assert_int_eq(w.rec[0].p, PR);
}
END_TEST

struct discover_case {
	const char *label, *domain;
	const char *recs[8];
	enum pcl_dmarc_outcome want;
	bool found, author;
	size_t index;
	bool nonexistent;
	enum pcl_dmarc_policy policy; /* of a failing message */
};

static const struct discover_case discovers[] = {
    {"the Author Domain's own: p",
     "example.com",
     {"v=DMARC1; p=reject; sp=none", NULL},
     PCL_DMARC_DECIDED,
     true,
     true,
     0,
     false,
     PR},
    {"the Organizational Domain's: sp",
     "mail.example.com",
     {NULL, "v=DMARC1; p=reject; sp=quarantine", NULL},
     PCL_DMARC_DECIDED,
     true,
     false,
     1,
     false,
     PQ},
    {"no sp: p",
     "mail.example.com",
     {NULL, "v=DMARC1; p=reject", NULL},
     PCL_DMARC_DECIDED,
     true,
     false,
     1,
     false,
     PR},
    {"np for a domain that does not exist",
     "nx.example.com",
     {NULL, "v=DMARC1; p=none; sp=quarantine; np=reject", NULL},
     PCL_DMARC_DECIDED,
     true,
     false,
     1,
     true,
     PR},
    {"np does not apply to the domain itself",
     "example.com",
     {"v=DMARC1; p=none; np=reject", NULL},
     PCL_DMARC_DECIDED,
     true,
     true,
     0,
     true,
     PN},
    {"t=y: reject becomes quarantine",
     "example.com",
     {"v=DMARC1; p=reject; t=y", NULL},
     PCL_DMARC_DECIDED,
     true,
     true,
     0,
     false,
     PQ},
    {"t=y: quarantine becomes none",
     "example.com",
     {"v=DMARC1; p=quarantine; t=y", NULL},
     PCL_DMARC_DECIDED,
     true,
     true,
     0,
     false,
     PN},
    {"the PSD's record (psd=y)",
     "mail.example.com",
     {NULL, NULL, "v=DMARC1; p=reject; np=reject; psd=y"},
     PCL_DMARC_DECIDED,
     true,
     false,
     2,
     true,
     PR},
    {"no record anywhere: DMARC does not apply",
     "mail.example.com",
     {NULL, NULL, NULL},
     PCL_DMARC_DECIDED,
     false,
     false,
     0,
     false,
     P_},
    {"an unusable record of the Author Domain: no DMARC",
     "example.com",
     {"v=DMARC1; p=bogus", "v=DMARC1; p=reject"},
     PCL_DMARC_DECIDED,
     false,
     true,
     0,
     false,
     P_},
    {"the Author Domain's query failed",
     "example.com",
     {"!", NULL},
     PCL_DMARC_UNDECIDED,
     false,
     false,
     0,
     false,
     P_},
    {"the Author Domain's own, a failure above it (org unknown)",
     "a.example.com",
     {"v=DMARC1; p=reject", "!", NULL},
     PCL_DMARC_DECIDED,
     true,
     true,
     0,
     false,
     PR},
    {"the org's record, the PSD's failed after",
     "mail.example.com",
     {NULL, "v=DMARC1; p=quarantine; psd=n", "!"},
     PCL_DMARC_DECIDED,
     true,
     false,
     1,
     false,
     PQ},
};

START_TEST(test_discover)
{
	const struct discover_case *c = &discovers[_i];
	struct pcl_dmarc_walk w;
	struct pcl_dmarc_policy_found pf;

	walk_with(&w, c->domain, c->recs);
	ck_assert_msg(pcl_dmarc_policy_discover(&w, &pf) == c->want, "%s",
	              c->label);
	if (c->want != PCL_DMARC_DECIDED)
		return;
	ck_assert_msg(pf.found == c->found, "%s: found %d", c->label, pf.found);
	if (!pf.found)
		return;
	ck_assert_msg(pf.author == c->author && pf.index == c->index,
	              "%s: author %d index %zu", c->label, pf.author, pf.index);
	ck_assert_msg(pcl_dmarc_policy_of(&w.rec[pf.index], pf.author,
	                                  c->nonexistent) == c->policy,
	              "%s: policy", c->label);
	/* a failure on the way leaves the Organizational Domain unknown,
	 * never guessed (check_session_dmarc found it guessed) */
	if (strstr(c->label, "org unknown") != NULL)
		ck_assert_str_eq(pf.org, "");
}
END_TEST

/* test_relaxed_possible - a shared top-level label */
START_TEST(test_relaxed_possible)
{
	ck_assert(pcl_dmarc_relaxed_possible("a.example.com", "example.com"));
	ck_assert(pcl_dmarc_relaxed_possible("other.com", "example.com"));
	ck_assert(!pcl_dmarc_relaxed_possible("example.net", "example.com"));
	ck_assert(!pcl_dmarc_relaxed_possible("", "example.com"));
}
END_TEST

/* test_psl - RFC 7489 mode's registrable domain */
START_TEST(test_psl)
{
	char org[PCL_DOMAIN_MAX + 1];

	pcl_dmarc_psl_org("a.b.example.co.uk", org);
	ck_assert_str_eq(org, "example.co.uk");
	pcl_dmarc_psl_org("mail.example.com", org);
	ck_assert_str_eq(org, "example.com");
	pcl_dmarc_psl_org("co.uk", org);
	ck_assert_str_eq(org, "co.uk");
}
END_TEST

/* --- From: ------------------------------------------------------------------
 */

struct from_case {
	const char *value;
	enum pcl_dmarc_from want;
	const char *domain;
};

static const struct from_case froms[] = {
    {" alice@Example.COM", PCL_DMARC_FROM_ONE, "example.com"},
    {" Alice <alice@example.com>", PCL_DMARC_FROM_ONE, "example.com"},
    {" \"Bob, the <builder>\" <bob@example.org>", PCL_DMARC_FROM_ONE,
     "example.org"},
    {" \"a@evil.test\" <a@example.org>", PCL_DMARC_FROM_ONE, "example.org"},
    {" a@example.org (comment with a@evil.test)", PCL_DMARC_FROM_ONE,
     "example.org"},
    {" a@(c)example (nested (c)).org", PCL_DMARC_FROM_ONE, "example.org"},
    {" <@route.test,@r2.test:a@example.org>", PCL_DMARC_FROM_ONE,
     "example.org"},
    {" a@example.org, b@example.org", PCL_DMARC_FROM_ONE, "example.org"},
    {" Team: a@example.org, b@example.org;", PCL_DMARC_FROM_ONE, "example.org"},
    {" a@example.org,\n\tb@example.net", PCL_DMARC_FROM_MANY, NULL},
    {" Team: a@example.org; c@example.net", PCL_DMARC_FROM_MANY, NULL},
    {" undisclosed-recipients:;", PCL_DMARC_FROM_NONE, NULL},
    {" nobody", PCL_DMARC_FROM_NONE, NULL},
    {"", PCL_DMARC_FROM_NONE, NULL},
    /* hostile shapes */
    {" a@example.net(.example.com", PCL_DMARC_FROM_BAD, NULL},
    {" \"unclosed@example.com", PCL_DMARC_FROM_BAD, NULL},
    {" <a@example.com", PCL_DMARC_FROM_BAD, NULL},
    {" a@example.com>", PCL_DMARC_FROM_BAD, NULL},
    {" <<a@example.com>>", PCL_DMARC_FROM_BAD, NULL},
    {" a@[192.0.2.1]", PCL_DMARC_FROM_BAD, NULL},
    {" a@exa mple.com", PCL_DMARC_FROM_BAD, NULL},
    {" a@example..com", PCL_DMARC_FROM_BAD, NULL},
    {" a@-example.com", PCL_DMARC_FROM_BAD, NULL},
    {" a@example.com.", PCL_DMARC_FROM_BAD, NULL},
    {" a@\"example.com\"", PCL_DMARC_FROM_BAD, NULL},
    {" G: H: a@example.com;;", PCL_DMARC_FROM_BAD, NULL},
    {" a@example.com;", PCL_DMARC_FROM_BAD, NULL},
    /* a stray ']' once looped for ever (fuzz_dmarc) */
    {" a]@example.net", PCL_DMARC_FROM_BAD, NULL},
    {" a@example.net]", PCL_DMARC_FROM_BAD, NULL},
    {" ((((((((((((((((((a))))))))))))))))) a@example.com", PCL_DMARC_FROM_BAD,
     NULL},
    /* RFC 6532: an 8-bit domain becomes its A-label */
    {" a@b\xc3\xbc"
     "cher.example",
     PCL_DMARC_FROM_ONE, "xn--bcher-kva.example"},
};

START_TEST(test_from)
{
	const struct from_case *c = &froms[_i];
	char domain[PCL_DOMAIN_MAX + 1] = "x";
	char err[128] = "";
	enum pcl_dmarc_from got =
	    pcl_dmarc_from_domain(c->value, domain, err, sizeof(err));

	ck_assert_msg(got == c->want, "\"%s\": got %d (%s), want %d", c->value,
	              got, err, c->want);
	if (c->domain)
		ck_assert_msg(strcmp(domain, c->domain) == 0,
		              "\"%s\": got %s, want %s", c->value, domain,
		              c->domain);
	else
		ck_assert_msg(*err != '\0', "\"%s\": no reason", c->value);
}
END_TEST

/* test_from_many_addresses - 50 addresses are read, 51 refused */
START_TEST(test_from_many_addresses)
{
	char v[51 * 20 + 1] = "";
	char domain[PCL_DOMAIN_MAX + 1], err[128];

	for (int i = 0; i < 50; i++)
		strcat(v, i ? ", a@example.org" : " a@example.org");
	ck_assert_int_eq(pcl_dmarc_from_domain(v, domain, err, sizeof(err)),
	                 PCL_DMARC_FROM_ONE);
	strcat(v, ", a@example.org");
	ck_assert_int_eq(pcl_dmarc_from_domain(v, domain, err, sizeof(err)),
	                 PCL_DMARC_FROM_BAD);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("dmarc");
	TCase *tc = tcase_create("dmarc");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_records, 0, NITEMS(records));
	tcase_add_test(tc, test_record_bounds);
	tcase_add_test(tc, test_walk_names);
	tcase_add_loop_test(tc, test_org_domain, 0, NITEMS(orgs));
	tcase_add_test(tc, test_duplicate_records);
	tcase_add_loop_test(tc, test_discover, 0, NITEMS(discovers));
	tcase_add_test(tc, test_relaxed_possible);
	tcase_add_test(tc, test_psl);
	tcase_add_loop_test(tc, test_from, 0, NITEMS(froms));
	tcase_add_test(tc, test_from_many_addresses);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
