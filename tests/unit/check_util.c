/*
 * check_util - unit tests for lib/core/util.c
 *
 * The bounded helpers are tested at their edges: a result that fits
 * exactly, one that is one byte too long, a buffer of one byte and a
 * buffer of none. Every buffer starts filled with 'X' so a test can
 * also see that nothing was written at or beyond len.
 */
#include "config.h"

#include <check.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define BUF 64

/* fill - a buffer of 'X', NUL-terminated at its very end */
static void
fill(char *buf, size_t len)
{
	memset(buf, 'X', len - 1);
	buf[len - 1] = '\0';
}

/* check_untouched - buf[len..] still 'X': nothing written past len */
static void
check_untouched(const char *label, const char *buf, size_t len)
{
	for (size_t i = len; i < 8 && i < BUF - 1; i++)
		ck_assert_msg(buf[i] == 'X',
		              "%s: got byte %zu written (0x%02x), want "
		              "nothing written at or past len %zu",
		              label, i, (unsigned char)buf[i], len);
}

/* check_result - the bool and the text (NULL: dst untouched) */
static void
check_result(const char *label, bool ok, bool want_ok, const char *buf,
             const char *want, size_t len)
{
	ck_assert_msg(ok == want_ok, "%s: got %s, want %s", label,
	              ok ? "true" : "false", want_ok ? "true" : "false");
	if (want == NULL)
		ck_assert_msg(buf[0] == 'X',
		              "%s: got \"%.8s\", want dst untouched", label,
		              buf);
	else
		ck_assert_msg(strcmp(buf, want) == 0,
		              "%s: got \"%s\", want \"%s\"", label, buf, want);
	check_untouched(label, buf, len);
}

struct copy_case {
	const char *label;
	size_t len;
	const char *src;
	bool want_ok;
	const char *want; /* NULL: dst untouched */
};

static const struct copy_case copy_cases[] = {
    {"fits", 8, "abc", true, "abc"},
    {"exact fit", 4, "abc", true, "abc"},
    {"one byte short", 3, "abc", false, "ab"},
    {"len 1", 1, "abc", false, ""},
    {"empty src, len 1", 1, "", true, ""},
    {"empty src", 8, "", true, ""},
    {"len 0", 0, "abc", false, NULL},
    {"len 0, empty src", 0, "", false, NULL},
};

/* test_copy - one row of copy_cases */
START_TEST(test_copy)
{
	const struct copy_case *c = &copy_cases[_i];
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	ok = pcl_copy(buf, c->len, c->src);
	check_result(c->label, ok, c->want_ok, buf, c->want, c->len);
}
END_TEST

struct format_case {
	const char *label;
	size_t len;
	const char *s;
	int d;
	bool want_ok;
	const char *want;
};

/* The format is "%s-%d". */
static const struct format_case format_cases[] = {
    {"fits", 16, "ab", 7, true, "ab-7"},
    {"exact fit", 5, "ab", 7, true, "ab-7"},
    {"one byte short", 4, "ab", 7, false, "ab-"},
    {"cut in the number", 5, "ab", 1234, false, "ab-1"},
    {"len 1", 1, "ab", 7, false, ""},
    {"len 0", 0, "ab", 7, false, NULL},
};

/* test_format - one row of format_cases */
START_TEST(test_format)
{
	const struct format_case *c = &format_cases[_i];
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	ok = pcl_format(buf, c->len, "%s-%d", c->s, c->d);
	check_result(c->label, ok, c->want_ok, buf, c->want, c->len);
}
END_TEST

/* test_format_empty - an empty result fits in one byte */
START_TEST(test_format_empty)
{
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	ok = pcl_format(buf, 1, "%s", "");
	check_result("empty format, len 1", ok, true, buf, "", 1);
}
END_TEST

struct append_case {
	const char *label;
	size_t len;
	const char *before; /* dst's content before the call */
	const char *add;
	bool want_ok;
	const char *want;
};

static const struct append_case append_cases[] = {
    {"to empty", 8, "", "abc", true, "abc"},
    {"fits", 16, "abc", "def", true, "abcdef"},
    {"exact fit", 7, "abc", "def", true, "abcdef"},
    {"one byte short", 6, "abc", "def", false, "abcde"},
    {"dst already full", 4, "abc", "d", false, "abc"},
    {"nothing to a full dst", 4, "abc", "", true, "abc"},
    {"to empty, len 1", 1, "", "a", false, ""},
    {"nothing, len 1", 1, "", "", true, ""},
    /* dst holds no NUL within len: nothing may be written */
    {"unterminated dst", 3, "abc", "d", false, "abc"},
};

/* test_append - one row of append_cases */
START_TEST(test_append)
{
	const struct append_case *c = &append_cases[_i];
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	memcpy(buf, c->before, strlen(c->before) + 1);
	ok = pcl_append(buf, c->len, "%s", c->add);
	ck_assert_msg(ok == c->want_ok, "%s: got %s, want %s", c->label,
	              ok ? "true" : "false", c->want_ok ? "true" : "false");
	ck_assert_msg(strcmp(buf, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, buf, c->want);
	/* the byte after the original text's NUL: never written past len */
	for (size_t i = strlen(c->before) + 1; i < BUF - 1; i++)
		if (i >= c->len)
			ck_assert_msg(buf[i] == 'X',
			              "%s: got byte %zu written, want nothing "
			              "at or past len %zu",
			              c->label, i, c->len);
}
END_TEST

/* test_append_len0 - len 0 is false and writes nothing */
START_TEST(test_append_len0)
{
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	ok = pcl_append(buf, 0, "%s", "a");
	check_result("len 0", ok, false, buf, NULL, 0);
}
END_TEST

/* test_append_repeated - appending in a loop stops at the edge */
START_TEST(test_append_repeated)
{
	char buf[8] = "";
	int ok = 0;

	for (int i = 0; i < 10; i++)
		ok += pcl_append(buf, sizeof(buf), "%d", i);
	ck_assert_msg(ok == 7, "repeated: got %d appends, want 7", ok);
	ck_assert_msg(strcmp(buf, "0123456") == 0,
	              "repeated: got \"%s\", want \"0123456\"", buf);
}
END_TEST

struct text_case {
	const char *label;
	const char *in;
	const char *want;
};

static const struct text_case trim_cases[] = {
    {"empty", "", ""},
    {"only spaces", "   ", ""},
    {"nothing to trim", "ab", "ab"},
    {"both sides", "  ab  ", "ab"},
    {"inner space kept", " a b ", "a b"},
    {"tabs and newlines", "\t a b \r\n", "a b"},
    {"vertical tab and form feed", "\v\fx\f\v", "x"},
    {"leading only", "  x", "x"},
    {"trailing only", "x  ", "x"},
    {"8-bit kept", " \xc3\xa4 ", "\xc3\xa4"},
};

/* test_trim - one row of trim_cases; trimmed in place */
START_TEST(test_trim)
{
	const struct text_case *c = &trim_cases[_i];
	char buf[BUF];
	char *got;

	pcl_copy(buf, sizeof(buf), c->in);
	got = pcl_trim(buf);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, got, c->want);
	ck_assert_msg(got >= buf && got <= buf + strlen(c->in),
	              "%s: got a pointer outside the buffer, want in place",
	              c->label);
}
END_TEST

static const struct text_case lower_cases[] = {
    {"empty", "", ""},
    {"upper", "ABC", "abc"},
    {"mixed", "MiXeD-123_@.Example.COM", "mixed-123_@.example.com"},
    {"already lower", "abc", "abc"},
    {"8-bit untouched", "\xc3\x84X\xff", "\xc3\x84x\xff"},
};

/* test_lower - one row of lower_cases; lowered in place */
START_TEST(test_lower)
{
	const struct text_case *c = &lower_cases[_i];
	char buf[BUF];
	char *got;

	pcl_copy(buf, sizeof(buf), c->in);
	got = pcl_lower(buf);
	ck_assert_msg(got == buf, "%s: got another pointer, want s", c->label);
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: got \"%s\", want \"%s\"",
	              c->label, got, c->want);
}
END_TEST

struct strip_case {
	const char *label;
	size_t len;
	const char *src;
	bool want_ok;
	const char *want; /* NULL: only the result is checked */
};

static const struct strip_case strip_cases[] = {
    {"address", BUF, "<a@b>", true, "a@b"},
    {"null sender", BUF, "<>", true, ""},
    {"no brackets", BUF, "a@b", true, "a@b"},
    {"empty", BUF, "", true, ""},
    {"open only", BUF, "<a@b", true, "<a@b"},
    {"close only", BUF, "a@b>", true, "a@b>"},
    {"lone open", BUF, "<", true, "<"},
    {"lone close", BUF, ">", true, ">"},
    {"reversed", BUF, "><", true, "><"},
    {"one pair only", BUF, "<<a@b>>", true, "<a@b>"},
    {"exact fit", 4, "<abc>", true, "abc"},
    {"one byte short", 3, "<abc>", false, NULL},
    {"null sender, len 1", 1, "<>", true, ""},
    {"too long, no brackets", 4, "abcd", false, NULL},
    {"unbalanced exact fit", 5, "<abc", true, "<abc"},
    {"unbalanced too long", 4, "<abc", false, NULL},
    {"len 0", 0, "<>", false, NULL},
};

/* test_strip_brackets - one row of strip_cases */
START_TEST(test_strip_brackets)
{
	const struct strip_case *c = &strip_cases[_i];
	char buf[BUF];
	bool ok;

	fill(buf, sizeof(buf));
	ok = pcl_strip_brackets(buf, c->len, c->src);
	ck_assert_msg(ok == c->want_ok, "%s: got %s, want %s", c->label,
	              ok ? "true" : "false", c->want_ok ? "true" : "false");
	if (c->want)
		ck_assert_msg(strcmp(buf, c->want) == 0,
		              "%s: got \"%s\", want \"%s\"", c->label, buf,
		              c->want);
	if (c->len > 0)
		ck_assert_msg(memchr(buf, '\0', c->len) != NULL,
		              "%s: got no NUL within len %zu, want one",
		              c->label, c->len);
	check_untouched(c->label, buf, c->len);
}
END_TEST

/* test_strdup - NULL passes through, else a fresh copy */
START_TEST(test_strdup)
{
	const char *src = "abc";
	char *got = pcl_strdup(NULL);

	ck_assert_msg(got == NULL, "NULL: got %p, want NULL", (void *)got);
	got = pcl_strdup(src);
	ck_assert_msg(got != NULL && got != src && strcmp(got, src) == 0,
	              "copy: got \"%s\", want a new \"abc\"",
	              got ? got : "(null)");
	free(got);
}
END_TEST

/* getopt_long's complaints, as the daemon and portcullis-genkey say them */
START_TEST(test_option_error)
{
	char err[64];

	pcl_option_error(err, sizeof(err), ':', 'c', "-c");
	ck_assert_str_eq(err, "option -c needs an argument");
	pcl_option_error(err, sizeof(err), ':', 0, "--config");
	ck_assert_str_eq(err, "option --config needs an argument");
	pcl_option_error(err, sizeof(err), '?', 'x', "-x");
	ck_assert_str_eq(err, "unknown option -x");
	pcl_option_error(err, sizeof(err), '?', 0, "--frobnicate");
	ck_assert_str_eq(err, "unknown option --frobnicate");
}
END_TEST

/* nodelay_of - TCP_NODELAY of a connection accepted on listener l */
static int
nodelay_of(int l)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int c, a, v = -1;

	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sin, len), 0);
	a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);
	len = sizeof(v);
	ck_assert_int_eq(getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
	close(a);
	close(c);
	return v;
}

/* The listening TCP socket gets TCP_NODELAY and the connections
 * accepted on it inherit it; a unix listener and a connected socket
 * are left alone (the fix for one delayed-ACK stall per message over
 * inet: milter sockets) */
START_TEST(test_tcp_nodelay)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int l = socket(AF_INET, SOCK_STREAM, 0),
	    u = socket(AF_UNIX, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(nodelay_of(l), 0);
	pcl_format(sun.sun_path, sizeof(sun.sun_path), "/tmp/check_util.%d",
	           (int)getpid());
	unlink(sun.sun_path);
	ck_assert_int_eq(bind(u, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(u, 4), 0);
	ck_assert_int_eq(pcl_tcp_nodelay_listeners(), 1);
	ck_assert_int_eq(nodelay_of(l), 1);
	unlink(sun.sun_path);
	close(u);
	close(l);
}
END_TEST

/* util_suite - every test of the util module */
static Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tb = tcase_create("bounded");
	TCase *tt = tcase_create("text");

	tcase_add_loop_test(tb, test_copy, 0, COUNT(copy_cases));
	tcase_add_loop_test(tb, test_format, 0, COUNT(format_cases));
	tcase_add_test(tb, test_format_empty);
	tcase_add_loop_test(tb, test_append, 0, COUNT(append_cases));
	tcase_add_test(tb, test_append_len0);
	tcase_add_test(tb, test_append_repeated);
	tcase_add_loop_test(tb, test_strip_brackets, 0, COUNT(strip_cases));
	tcase_add_loop_test(tt, test_trim, 0, COUNT(trim_cases));
	tcase_add_loop_test(tt, test_lower, 0, COUNT(lower_cases));
	tcase_add_test(tt, test_strdup);
	tcase_add_test(tt, test_tcp_nodelay);
	tcase_add_test(tt, test_option_error);
	suite_add_tcase(s, tb);
	suite_add_tcase(s, tt);
	return s;
}

/* main - run the suite; exit status is the verdict */
int
main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
