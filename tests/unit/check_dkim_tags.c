/*
 * check_dkim_tags - the tag-list parser (RFC 6376 3.2) and the
 * DKIM-Signature parser (3.5): the RFC 6376 and RFC 8463 example
 * fields, every error, each bound at its limit and one over, folds with
 * CRLF and bare LF, duplicate and upper-case tag names, and b='s
 * offsets held against the text. Key records: check_dkim_tags_key.c.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim_tags.h"
#include "dkim_tags_suite.h"

#define BH "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
/* a minimal valid field, and the same with one tag left for a case */
#define F_NO_V                                                                 \
	"a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=" BH "; b=dGVzdA=="
#define F_BASE "v=1; " F_NO_V

/* RFC 6376 Appendix A.2 */
static const char rfc6376[] =
    " v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
    "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
    "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
    "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
    "        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
    "        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
    "        4bmp/YzhwvcubU4=;";

/* RFC 8463 Appendix A.3, the Ed25519 signature */
static const char rfc8463_ed[] =
    " v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

/* RFC 8463 Appendix A.3, the RSA signature, with bare LF folds as
 * Postfix hands them to a milter */
static const char rfc8463_rsa[] =
    " v=1; a=rsa-sha256; c=relaxed/relaxed;\n"
    " d=football.example.com; i=@football.example.com;\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\n"
    " date : message-id : from : subject : date;\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=";

/* repeat - prefix, n copies of fill, suffix */
char *
repeat(const char *prefix, const char *fill, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), lf = strlen(fill), ls = strlen(suffix);
	char *s = malloc(lp + lf * n + ls + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, prefix, lp);
	for (size_t k = 0; k < n; k++)
		memcpy(s + lp + k * lf, fill, lf);
	memcpy(s + lp + lf * n, suffix, ls + 1);
	return s;
}

/* status_expect - a parser's status and error against the error wanted
 * (NULL: success) */
void
status_expect(const char *label, enum pcl_dkim_tags_status st, const char *err,
              const char *want)
{
	if (want == NULL)
		ck_assert_msg(st == PCL_DKIM_TAGS_OK,
		              "%s: got %s, want success", label, err);
	else
		ck_assert_msg(st == PCL_DKIM_TAGS_PERMERROR &&
		                  strcmp(err, want) == 0,
		              "%s: got %d \"%s\", want \"%s\"", label, (int)st,
		              err, want);
}

/* sig_expect - parse field; the error wanted (NULL: success) */
static void
sig_expect(const char *label, const char *field, size_t len, const char *want,
           struct pcl_dkim_tags_sig *sig)
{
	char err[256] = "";

	status_expect(
	    label, pcl_dkim_tags_sig_parse(field, len, sig, err, sizeof(err)),
	    err, want);
}

START_TEST(test_tag_list)
{
	static const char t[] = " a=1; b = x y\r\n\tz ;c=;d_1=;\n e=v ; ";
	struct pcl_dkim_tag_list list;
	const struct pcl_dkim_tag *g;
	char err[128];

	ck_assert_int_eq(
	    pcl_dkim_tags_parse(t, strlen(t), &list, err, sizeof(err)),
	    PCL_DKIM_TAGS_OK);
	ck_assert_uint_eq(list.n, 5);
	g = pcl_dkim_tags_find(&list, "b");
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->value_len, strlen("x y\r\n\tz"));
	ck_assert(memcmp(t + g->value_off, "x y\r\n\tz", g->value_len) == 0);
	ck_assert(memcmp(t + g->blank_off, " x y\r\n\tz ",
	                 g->blank_end - g->blank_off) == 0);
	ck_assert_uint_eq(pcl_dkim_tags_find(&list, "c")->value_len, 0);
	ck_assert_ptr_nonnull(pcl_dkim_tags_find(&list, "d_1"));
	ck_assert_ptr_null(pcl_dkim_tags_find(&list, "A"));
}
END_TEST

/* Tag-list syntax errors, through the signature parser. */
static const struct {
	const char *label, *field, *want;
} syntax[] = {
    {"empty", "", "empty tag-list"},
    {"only white space", " \r\n ", "empty tag-list"},
    {"trailing semicolon", F_BASE ";", NULL},
    {"trailing semicolon and fold", F_BASE ";\r\n ", NULL},
    {"empty tag-spec", "v=1;; " F_NO_V, "bad tag name"},
    {"name starts with digit", "1v=1; " F_BASE, "bad tag name"},
    {"no name", "=1; " F_BASE, "bad tag name"},
    {"no =", "v 1; " F_NO_V, "bad tag name or no ="},
    {"name with hyphen", "x-y=1; " F_BASE, "bad tag name or no ="},
    {"duplicate", F_BASE "; v=1", "duplicate v= tag"},
    {"duplicate ignored tag", F_BASE "; z=a; z=b", "duplicate z= tag"},
    {"upper-case V is another tag", "V=1; " F_NO_V, "missing v= tag"},
    {"upper-case and v", "V=2; " F_BASE, NULL},
    {"unknown tags ignored", "foo=bar; n_1=x; " F_BASE, NULL},
    {"CRLF fold", "v=1;\r\n " F_NO_V, NULL},
    {"bare LF fold", "v=1;\n\t" F_NO_V, NULL},
    {"fold around =", "v\r\n =\r\n 1; " F_NO_V, NULL},
    {"CRLF without WSP", "v=1;\r\n" F_NO_V, "bad line break in tag-list"},
    {"LF without WSP", "v=1;\n" F_NO_V, "bad line break in tag-list"},
    {"lone CR", "v=1;\r " F_NO_V, "bad line break in tag-list"},
    {"line break at end", F_BASE "\r\n", "bad line break in tag-list"},
    {"control byte", "v=1; z=a\001b; " F_NO_V, "bad byte in tag value"},
    {"8-bit byte", "v=1; z=caf\xc3\xa9; " F_NO_V, "bad byte in tag value"},
};

START_TEST(test_syntax)
{
	struct pcl_dkim_tags_sig sig;

	sig_expect(syntax[_i].label, syntax[_i].field, strlen(syntax[_i].field),
	           syntax[_i].want, &sig);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char f[] = "v=1; z=a\0b; " F_NO_V;
	struct pcl_dkim_tags_sig sig;

	sig_expect("NUL in value", f, sizeof(f) - 1, "bad byte in tag value",
	           &sig);
}
END_TEST

/* Every tag's errors; each field is otherwise valid. */
static const struct {
	const char *label, *field, *want;
} sig_errors[] = {
    {"v=2", "v=2; " F_NO_V, "unknown v= version"},
    {"v=01", "v=01; " F_NO_V, "unknown v= version"},
    {"no a=", "v=1; d=example.com; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "missing a= tag"},
    {"rsa-sha1",
     "v=1; a=rsa-sha1; d=example.com; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "rsa-sha1 refused (RFC 8301)"},
    {"a= upper case",
     "v=1; a=RSA-SHA256; d=example.com; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "unknown a= algorithm"},
    {"a=rsa-sha512",
     "v=1; a=rsa-sha512; d=example.com; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "unknown a= algorithm"},
    {"no b=", "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH,
     "missing b= tag"},
    {"empty b=", "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=" BH "; b=",
     "empty b="},
    {"b= bad char",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=" BH "; b=dGVz!A==",
     "bad b= base64"},
    {"b= no padding",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=" BH "; b=dGVzdA",
     "bad b= base64"},
    {"b= data after pad",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; "
     "bh=" BH "; b=dG==dA==",
     "bad b= base64"},
    {"b= three pads",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=" BH "; b=dGV===",
     "bad b= base64"},
    {"no bh=", "v=1; a=rsa-sha256; d=a.example; s=s; h=from; b=dGVzdA==",
     "missing bh= tag"},
    {"bh= 31 bytes",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; "
     "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzg==; "
     "b=dGVzdA==",
     "bh= not 32 bytes"},
    {"bh= 33 bytes",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; "
     "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8A; "
     "b=dGVzdA==",
     "bh= not 32 bytes"},
    {"bh= bad",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=*; "
     "b=dGVzdA==",
     "bad bh= base64"},
    {"c=fancy", F_BASE "; c=fancy", "unknown c= canonicalization"},
    {"c=relaxed/", F_BASE "; c=relaxed/", "unknown c= canonicalization"},
    {"c=simple/x", F_BASE "; c=simple/x", "unknown c= canonicalization"},
    {"c=Relaxed", F_BASE "; c=Relaxed", "unknown c= canonicalization"},
    {"c=relaxedx", F_BASE "; c=relaxedx", "unknown c= canonicalization"},
    {"no d=", "v=1; a=rsa-sha256; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "missing d= tag"},
    {"d= one label",
     "v=1; a=rsa-sha256; d=example; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "bad d= domain"},
    {"d= leading hyphen",
     "v=1; a=rsa-sha256; d=-a.example; s=s; h=from; "
     "bh=" BH "; b=dGVzdA==",
     "bad d= domain"},
    {"d= trailing dot",
     "v=1; a=rsa-sha256; d=a.example.; s=s; h=from; "
     "bh=" BH "; b=dGVzdA==",
     "bad d= domain"},
    {"d= underscore",
     "v=1; a=rsa-sha256; d=a_b.example; s=s; h=from; "
     "bh=" BH "; b=dGVzdA==",
     "bad d= domain"},
    {"d= space",
     "v=1; a=rsa-sha256; d=a example.com; s=s; h=from; bh=" BH "; b=dGVzdA==",
     "bad d= domain"},
    {"no s=", "v=1; a=rsa-sha256; d=a.example; h=from; bh=" BH "; b=dGVzdA==",
     "missing s= tag"},
    {"s= empty",
     "v=1; a=rsa-sha256; d=a.example; s=; h=from; bh=" BH "; b=dGVzdA==",
     "bad s= selector"},
    {"s= empty label",
     "v=1; a=rsa-sha256; d=a.example; s=a..b; h=from; "
     "bh=" BH "; b=dGVzdA==",
     "bad s= selector"},
    {"s= with _",
     "v=1; a=rsa-sha256; d=a.example; s=k_2024.x; h=from; "
     "bh=" BH "; b=dGVzdA==",
     NULL},
    {"no h=", "v=1; a=rsa-sha256; d=a.example; s=s; bh=" BH "; b=dGVzdA==",
     "missing h= tag"},
    {"h= without From",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=to:subject;"
     " bh=" BH "; b=dGVzdA==",
     "h= does not sign From"},
    {"h= empty item",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from::to; "
     "bh=" BH "; b=dGVzdA==",
     "bad h= list"},
    {"h= trailing colon",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=from:; "
     "bh=" BH "; b=dGVzdA==",
     "bad h= list"},
    {"h= space in name",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=fr om; "
     "bh=" BH "; b=dGVzdA==",
     "bad h= list"},
    {"h= empty",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=; bh=" BH "; b=dGVzdA==",
     "bad h= list"},
    {"h=FROM",
     "v=1; a=rsa-sha256; d=a.example; s=s; h=FROM; bh=" BH "; b=dGVzdA==",
     NULL},
    {"i= other domain", F_BASE "; i=joe@example.org", "i= not within d="},
    {"i= suffix not label", F_BASE "; i=joe@badexample.com",
     "i= not within d="},
    {"i= parent of d=",
     "v=1; a=rsa-sha256; d=mail.example.com; s=s; "
     "h=from; bh=" BH "; b=dGVzdA==; i=@example.com",
     "i= not within d="},
    {"i= no @", F_BASE "; i=joe.example.com", "bad i= identity"},
    {"i= empty domain", F_BASE "; i=joe@", "bad i= identity"},
    {"i= subdomain", F_BASE "; i=joe@a.b.example.com", NULL},
    {"i= upper case", F_BASE "; i=Joe@EXAMPLE.com", NULL},
    {"i= quoted @", F_BASE "; i=\"a@b\"@example.com", NULL},
    {"q=dns", F_BASE "; q=dns", "unsupported q= method"},
    {"q= list", F_BASE "; q=other/x:dns/txt", NULL},
    {"q= bad list", F_BASE "; q=dns/txt:", "unsupported q= method"},
    {"l=", F_BASE "; l=", "bad l= length"},
    {"l=-1", F_BASE "; l=-1", "bad l= length"},
    {"l= 2^63-1", F_BASE "; l=9223372036854775807", NULL},
    {"l= 2^63", F_BASE "; l=9223372036854775808", "bad l= length"},
    {"t= 12 digits", F_BASE "; t=999999999999", NULL},
    {"t= 13 digits", F_BASE "; t=1000000000000", "bad t= timestamp"},
    {"t= space", F_BASE "; t=15 28", "bad t= timestamp"},
    {"x= letters", F_BASE "; x=soon", "bad x= expiry"},
    {"x < t", F_BASE "; t=1528637909; x=1528637908", "x= before t="},
    {"x = t", F_BASE "; t=1528637909; x=1528637909", NULL},
    {"x > t", F_BASE "; t=1528637909; x=1528637910", NULL},
    {"x= alone", F_BASE "; x=1", NULL},
    {"z= ignored", F_BASE "; z=From:foo@eng.example.net|To:joe@example.com",
     NULL},
};

START_TEST(test_sig_errors)
{
	struct pcl_dkim_tags_sig sig;

	sig_expect(sig_errors[_i].label, sig_errors[_i].field,
	           strlen(sig_errors[_i].field), sig_errors[_i].want, &sig);
}
END_TEST

START_TEST(test_rfc6376)
{
	struct pcl_dkim_tags_sig sig;
	static const char *const h[] = {"Received", "From", "To",
	                                "Subject",  "Date", "Message-ID"};
	const char *b = strstr(rfc6376, "b=AuU") + 2;

	sig_expect("RFC 6376 A.2", rfc6376, strlen(rfc6376), NULL, &sig);
	ck_assert_int_eq(sig.alg, PCL_DKIM_TAGS_RSA_SHA256);
	ck_assert_int_eq(sig.header_canon, PCL_DKIM_TAGS_SIMPLE);
	ck_assert_int_eq(sig.body_canon, PCL_DKIM_TAGS_SIMPLE);
	ck_assert_str_eq(sig.d, "example.com");
	ck_assert_str_eq(sig.s, "brisbane");
	ck_assert_str_eq(sig.i, "joe@football.example.com");
	ck_assert_str_eq(sig.i + sig.i_domain, "football.example.com");
	ck_assert(sig.i_given);
	ck_assert_uint_eq(sig.b_len, 128);
	ck_assert_uint_eq(sig.b[0], 0x02);
	ck_assert_uint_eq(sig.b[127], 0x4e);
	ck_assert_uint_eq(sig.bh[0], 0xda);
	ck_assert_uint_eq(sig.h_n, NITEMS(h));
	for (size_t k = 0; k < NITEMS(h); k++)
		ck_assert_str_eq(pcl_dkim_tags_sig_header(&sig, k), h[k]);
	ck_assert_ptr_null(pcl_dkim_tags_sig_header(&sig, NITEMS(h)));
	ck_assert(pcl_dkim_tags_sig_signs(&sig, "message-id"));
	ck_assert(!pcl_dkim_tags_sig_signs(&sig, "cc"));
	ck_assert(!sig.l_given && !sig.t_given && !sig.x_given);
	/* b= runs to the "=" before the last ";", folds kept */
	ck_assert_uint_eq(sig.b_value_off, (size_t)(b - rfc6376));
	ck_assert_uint_eq(sig.b_value_end, strlen(rfc6376) - 1);
	ck_assert_uint_eq(sig.b_blank_off, sig.b_value_off);
	ck_assert_uint_eq(sig.b_blank_end, sig.b_value_end);
	ck_assert(memcmp(rfc6376 + sig.b_value_end - 4, "bU4=;", 5) == 0);
}
END_TEST

START_TEST(test_rfc8463)
{
	struct pcl_dkim_tags_sig sig;

	sig_expect("RFC 8463 ed25519", rfc8463_ed, strlen(rfc8463_ed), NULL,
	           &sig);
	ck_assert_int_eq(sig.alg, PCL_DKIM_TAGS_ED25519_SHA256);
	ck_assert_int_eq(sig.header_canon, PCL_DKIM_TAGS_RELAXED);
	ck_assert_int_eq(sig.body_canon, PCL_DKIM_TAGS_RELAXED);
	ck_assert_uint_eq(sig.b_len, 64);
	ck_assert(sig.t_given);
	ck_assert_uint_eq(sig.t, 1528637909);
	ck_assert_uint_eq(sig.h_n, 8);
	ck_assert_str_eq(pcl_dkim_tags_sig_header(&sig, 7), "date");
	ck_assert_str_eq(sig.i, "@football.example.com");
	/* b= is last: its value runs to the end of the field */
	ck_assert_uint_eq(sig.b_value_end, strlen(rfc8463_ed));
	ck_assert_str_eq(rfc8463_ed + sig.b_value_off,
	                 "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4"
	                 "D11Bus\r\n Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");

	sig_expect("RFC 8463 rsa (LF folds)", rfc8463_rsa, strlen(rfc8463_rsa),
	           NULL, &sig);
	ck_assert_int_eq(sig.alg, PCL_DKIM_TAGS_RSA_SHA256);
	ck_assert_uint_eq(sig.b_len, 128);
	ck_assert_str_eq(sig.s, "test");
}
END_TEST

START_TEST(test_length_first)
{
	struct pcl_dkim_tags_sig sig;

	/* the length is judged before a byte is read */
	sig_expect("length first", F_BASE, SIZE_MAX, "signature field too long",
	           &sig);
}
END_TEST

#define SIG_OK(label, f) sig_expect(label, f, strlen(f), NULL, &sig)

START_TEST(test_defaults_values)
{
	static const char f[] = "v=1; a=rsa-sha256; d=Mail.EXAMPLE.com; "
	                        "s=Sel; h=from; bh=" BH "; b=dGVzdA==";
	struct pcl_dkim_tags_sig sig;

	sig_expect("defaults", f, strlen(f), NULL, &sig);
	ck_assert_int_eq(sig.header_canon, PCL_DKIM_TAGS_SIMPLE);
	ck_assert_int_eq(sig.body_canon, PCL_DKIM_TAGS_SIMPLE);
	ck_assert_str_eq(sig.d, "mail.example.com");
	ck_assert_str_eq(sig.s, "Sel");
	ck_assert_str_eq(sig.i, "@mail.example.com");
	ck_assert_str_eq(sig.i + sig.i_domain, "mail.example.com");
	ck_assert(!sig.i_given);
	ck_assert_uint_eq(sig.b_len, 4);
	ck_assert(memcmp(sig.b, "test", 4) == 0);
	SIG_OK("c=relaxed", F_BASE "; c=relaxed");
	ck_assert_int_eq(sig.header_canon, PCL_DKIM_TAGS_RELAXED);
	ck_assert_int_eq(sig.body_canon, PCL_DKIM_TAGS_SIMPLE);
	SIG_OK("c=simple/relaxed", F_BASE "; c=simple/relaxed");
	ck_assert_int_eq(sig.header_canon, PCL_DKIM_TAGS_SIMPLE);
	ck_assert_int_eq(sig.body_canon, PCL_DKIM_TAGS_RELAXED);
	SIG_OK("i= case", F_BASE "; i=Joe@Sub.EXAMPLE.com");
	ck_assert_str_eq(sig.i, "Joe@sub.example.com");
	SIG_OK("l=", F_BASE "; l=0");
	ck_assert(sig.l_given);
	ck_assert_uint_eq(sig.l, 0);
}
END_TEST

#undef SIG_OK

/* b= in the middle, folded, white space around it: the value keeps its
 * folds, the blanked span takes the white space too. */
START_TEST(test_b_offsets)
{
	static const char f[] = "v=1; b = dGVz\r\n\tdA\n ==\t ; a=rsa-sha256; "
	                        "d=example.com; s=s; h=from; bh=" BH;
	struct pcl_dkim_tags_sig sig;
	size_t off, end;

	sig_expect("b= folded", f, strlen(f), NULL, &sig);
	ck_assert_uint_eq(sig.b_len, 4);
	ck_assert(memcmp(sig.b, "test", 4) == 0);
	off = (size_t)(strstr(f, "dGVz") - f);
	end = (size_t)(strstr(f, "==\t ;") - f) + 2;
	ck_assert_uint_eq(sig.b_value_off, off);
	ck_assert_uint_eq(sig.b_value_end, end);
	ck_assert_uint_eq(sig.b_blank_off,
	                  (size_t)(strstr(f, "= dGVz") - f) + 1);
	ck_assert_uint_eq(sig.b_blank_end, (size_t)(strstr(f, "; a=") - f));
}
END_TEST

/* Bounds, each at its limit and one over. */
START_TEST(test_bounds)
{
	struct pcl_dkim_tags_sig *sig = malloc(sizeof(*sig));
	char *f;
	size_t len;

	ck_assert_ptr_nonnull(sig);
	/* b=: 2048 bytes is 2732 characters ("AAA=" ends 2048 = 682*3+2) */
	f = repeat(F_NO_V "; v=1; b=", "AAAA", 682, "AAA=");
	f[strstr(f, "; b=dGVzdA==") - f + 2] = 'k'; /* first b= renamed */
	sig_expect("b= 2048 bytes", f, strlen(f), NULL, sig);
	ck_assert_uint_eq(sig->b_len, 2048);
	free(f);
	f = repeat(F_NO_V "; v=1; b=", "AAAA", 683, "");
	f[strstr(f, "; b=dGVzdA==") - f + 2] = 'k';
	sig_expect("b= 2049 bytes", f, strlen(f), "b= too long", sig);
	free(f);
	/* b= of 1 MB: refused as too long for a field, unread */
	f = repeat("v=1; b=", "AAAA", 262144, "");
	sig_expect("b= 1 MB", f, strlen(f), "signature field too long", sig);
	free(f);
	/* the field: exactly 64 KiB with a z= pad, then one byte more */
	len = strlen(F_BASE "; z=");
	f = repeat(F_BASE "; z=", "x", PCL_DKIM_TAGS_TEXT_MAX - len, "");
	sig_expect("field 64 KiB", f, strlen(f), NULL, sig);
	free(f);
	f = repeat(F_BASE "; z=", "x", PCL_DKIM_TAGS_TEXT_MAX - len + 1, "");
	sig_expect("field 64 KiB + 1", f, strlen(f), "signature field too long",
	           sig);
	free(f);
	/* tags: the 7 of F_BASE and 57 more, then 58 */
	f = repeat(F_BASE, "; n=1", 57, "");
	sig_expect("duplicate padding tags", f, strlen(f), "duplicate n= tag",
	           sig);
	free(f);
	free(sig);
}
END_TEST

/* n tags: the field F_BASE and n - 7 distinct unknown tags */
static char *
tags_field(size_t n)
{
	char *f = repeat(F_BASE, "; xx0000=1", n - 7, "");
	char *p = f + strlen(F_BASE);

	for (size_t k = 0; k < n - 7; k++) {
		p[4] = (char)('a' + k / 26);
		p[5] = (char)('a' + k % 26);
		p += strlen("; xx0000=1");
	}
	return f;
}

START_TEST(test_bound_tags)
{
	struct pcl_dkim_tags_sig sig;
	char *f;

	f = tags_field(PCL_DKIM_TAGS_MAX);
	sig_expect("64 tags", f, strlen(f), NULL, &sig);
	free(f);
	f = tags_field(PCL_DKIM_TAGS_MAX + 1);
	sig_expect("65 tags", f, strlen(f), "too many tags", &sig);
	free(f);
	f = tags_field(200);
	sig_expect("200 tags", f, strlen(f), "too many tags", &sig);
	free(f);
}
END_TEST

/* with_tail - F_BASE with its h= renamed k=, then "; " and tail */
static char *
with_tail(const char *tail)
{
	char *f = repeat(F_BASE "; ", tail, 1, "");

	f[strstr(f, "; h=from:to; ") - f + 2] = 'k';
	return f;
}

/* h_field - h=from then n names of len bytes each (the last of
 * last_len) */
static char *
h_field(size_t n, size_t len, size_t last_len)
{
	char *names = malloc(n * (len + 1) + last_len + 8), *f;
	size_t k = 0;

	ck_assert_ptr_nonnull(names);
	k += (size_t)snprintf(names, 8, "h=from");
	for (size_t i = 0; i < n; i++) {
		size_t l = i + 1 == n ? last_len : len;

		names[k++] = ':';
		memset(names + k, 'x', l);
		k += l;
	}
	names[k] = '\0';
	f = with_tail(names);
	free(names);
	return f;
}

START_TEST(test_bound_h)
{
	struct pcl_dkim_tags_sig sig;
	char *f;

	f = h_field(PCL_DKIM_TAGS_H_MAX - 1, 2, 2);
	sig_expect("128 h= names", f, strlen(f), NULL, &sig);
	ck_assert_uint_eq(sig.h_n, PCL_DKIM_TAGS_H_MAX);
	ck_assert_str_eq(pcl_dkim_tags_sig_header(&sig, 127), "xx");
	free(f);
	f = h_field(PCL_DKIM_TAGS_H_MAX, 2, 2);
	sig_expect("129 h= names", f, strlen(f), "too many h= names", &sig);
	free(f);
	/* the text: "from" and 126 names of 31 and one of 58, each with
	 * its NUL: 5 + 126 * 32 + 59 = 4096 */
	f = h_field(127, 31, 58);
	sig_expect("h= text 4096", f, strlen(f), NULL, &sig);
	free(f);
	f = h_field(127, 31, 59);
	sig_expect("h= text 4097", f, strlen(f), "h= too long", &sig);
	free(f);
}
END_TEST

/* domain - n labels of len letters, dots between */
static char *
domain(size_t n, size_t len, size_t last_len)
{
	char *d = malloc(n * (len + 1) + last_len + 1);
	size_t k = 0;

	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < n; i++) {
		size_t l = i + 1 == n ? last_len : len;

		memset(d + k, 'a' + (char)(i % 26), l);
		k += l;
		d[k++] = '.';
	}
	d[k - 1] = '\0';
	return d;
}

/* d_expect - a valid field with d= d: the error wanted (NULL: none) */
static void
d_expect(const char *label, const char *d, const char *want)
{
	struct pcl_dkim_tags_sig sig;
	char *f = repeat(
	    "v=1; a=rsa-sha256; s=s; h=from; bh=" BH "; b=dGVzdA==; d=", d, 1,
	    "");

	sig_expect(label, f, strlen(f), want, &sig);
	if (want == NULL)
		ck_assert_uint_eq(strlen(sig.d), strlen(d));
	free(f);
}

START_TEST(test_bound_names)
{
	struct pcl_dkim_tags_sig sig;
	char *d, *f;

	d = domain(4, 63, 61); /* 3 * 64 + 61 = 253 */
	d_expect("d= 253 bytes", d, NULL);
	free(d);
	d = domain(4, 63, 62);
	d_expect("d= 254 bytes", d, "bad d= domain");
	free(d);
	d = domain(2, 63, 7);
	d_expect("label 63", d, NULL);
	free(d);
	d = domain(2, 64, 7);
	d_expect("label 64", d, "bad d= domain");
	free(d);
	/* i= local-part of 64, then 65 */
	f = repeat(F_BASE "; i=", "a", 64, "@example.com");
	sig_expect("local-part 64", f, strlen(f), NULL, &sig);
	free(f);
	f = repeat(F_BASE "; i=", "a", 65, "@example.com");
	sig_expect("local-part 65", f, strlen(f), "bad i= identity", &sig);
	free(f);
	/* l=: 76 digits (leading zeros) and 77 */
	f = repeat(F_BASE "; l=", "0", 75, "7");
	sig_expect("l= 76 digits", f, strlen(f), NULL, &sig);
	ck_assert_uint_eq(sig.l, 7);
	free(f);
	f = repeat(F_BASE "; l=", "0", 76, "7");
	sig_expect("l= 77 digits", f, strlen(f), "bad l= length", &sig);
	free(f);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("dkim_tags");
	TCase *tc = tcase_create("sig");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_tag_list);
	tcase_add_loop_test(tc, test_syntax, 0, NITEMS(syntax));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_loop_test(tc, test_sig_errors, 0, NITEMS(sig_errors));
	tcase_add_test(tc, test_rfc6376);
	tcase_add_test(tc, test_rfc8463);
	tcase_add_test(tc, test_length_first);
	tcase_add_test(tc, test_defaults_values);
	tcase_add_test(tc, test_b_offsets);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_bound_tags);
	tcase_add_test(tc, test_bound_h);
	tcase_add_test(tc, test_bound_names);
	suite_add_tcase(su, tc);
	suite_add_tcase(su, dkim_tags_key_tcase());
	sr = srunner_create(su);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
