/* Unit tests of the control socket framing (core/ctlproto.c): round trips,
 * split reads, limits, malformed netstrings, reply lines and escaping. */
#include "ctlproto.h"
#include <string.h>

static bw_ctlp_status feed_all(bw_ctl_parser *p, const char *s, gsize len, gsize *used, GError **err)
{
	return bw_ctlproto_parser_feed(p, s, len, used, err);
}

static void test_roundtrip(void)
{
	GString *req = g_string_new(NULL);
	bw_ctl_parser *p = bw_ctlproto_parser_new();
	GError *err = NULL;
	gsize used = 0, len = 0;
	const char bin[] = { 'a', '\0', 'b', '\n' };

	bw_ctlproto_append_arg(req, "store", 5);
	bw_ctlproto_append_arg(req, "put", 3);
	bw_ctlproto_append_arg(req, bin, sizeof bin);
	bw_ctlproto_append_end(req);
	g_assert_cmpstr(req->str, ==, "5:store,3:put,4:a");
	g_string_append(req, "TRAILING");
	g_assert_cmpint(feed_all(p, req->str, req->len, &used, &err), ==, BW_CTLP_DONE);
	g_assert_no_error(err);
	g_assert_cmpuint(used, ==, req->len - strlen("TRAILING"));
	g_assert_cmpuint(bw_ctlproto_parser_argc(p), ==, 3);
	g_assert_cmpstr(bw_ctlproto_parser_arg(p, 0, &len), ==, "store");
	g_assert_cmpuint(len, ==, 5);
	g_assert_true(memcmp(bw_ctlproto_parser_arg(p, 2, &len), bin, sizeof bin) == 0);
	g_assert_cmpuint(len, ==, 4);
	g_assert_null(bw_ctlproto_parser_arg(p, 3, NULL));
	/* done: further input is not consumed */
	g_assert_cmpint(feed_all(p, "1:x,", 4, &used, &err), ==, BW_CTLP_DONE);
	g_assert_cmpuint(used, ==, 0);
	bw_ctlproto_parser_reset(p);
	g_assert_cmpint(feed_all(p, "0:,", 3, &used, &err), ==, BW_CTLP_DONE);
	g_assert_cmpuint(bw_ctlproto_parser_argc(p), ==, 0);
	bw_ctlproto_parser_free(p);
	g_string_free(req, TRUE);
}

/* Every split of the request into two reads and byte-by-byte feeding
 * give the same arguments. */
static void test_split_reads(void)
{
	const char *req = "6:status,11:hello world,0:,";
	gsize n = strlen(req);

	for (gsize cut = 0; cut <= n; cut++) {
		bw_ctl_parser *p = bw_ctlproto_parser_new();
		GError *err = NULL;
		gsize used = 0;
		bw_ctlp_status st = feed_all(p, req, cut, &used, &err);
		g_assert_cmpint(st, ==, cut == n ? BW_CTLP_DONE : BW_CTLP_MORE);
		g_assert_cmpuint(used, ==, cut);
		if (cut < n)
			st = feed_all(p, req + cut, n - cut, &used, &err);
		g_assert_no_error(err);
		g_assert_cmpint(st, ==, BW_CTLP_DONE);
		g_assert_cmpuint(bw_ctlproto_parser_argc(p), ==, 2);
		g_assert_cmpstr(bw_ctlproto_parser_arg(p, 1, NULL), ==, "hello world");
		bw_ctlproto_parser_free(p);
	}
	bw_ctl_parser *p = bw_ctlproto_parser_new();
	bw_ctlp_status st = BW_CTLP_MORE;
	for (gsize i = 0; i < n; i++) {
		g_assert_cmpint(st, ==, BW_CTLP_MORE);
		st = feed_all(p, req + i, 1, NULL, NULL);
	}
	g_assert_cmpint(st, ==, BW_CTLP_DONE);
	g_assert_cmpstr(bw_ctlproto_parser_arg(p, 0, NULL), ==, "status");
	bw_ctlproto_parser_free(p);
}

static void expect_error(const char *input, int code, const char *what)
{
	bw_ctl_parser *p = bw_ctlproto_parser_new();
	GError *err = NULL;
	bw_ctlp_status st = feed_all(p, input, strlen(input), NULL, &err);

	if (st != BW_CTLP_ERROR)
		g_error("'%s' (%s): expected an error, got %d", input, what, st);
	g_assert_error(err, BW_CTLPROTO_ERROR, code);
	g_assert_true(strstr(err->message, "control request") != NULL);
	g_clear_error(&err);
	/* a failed parser stays failed */
	g_assert_cmpint(feed_all(p, "0:,", 3, NULL, &err), ==, BW_CTLP_ERROR);
	g_clear_error(&err);
	g_assert_cmpuint(bw_ctlproto_parser_argc(p), ==, 0);
	bw_ctlproto_parser_free(p);
}

static void test_malformed(void)
{
	expect_error(":,", BW_CTLPROTO_ERROR_SYNTAX, "empty length");
	expect_error("x:,", BW_CTLPROTO_ERROR_SYNTAX, "letter");
	expect_error("-1:a,", BW_CTLPROTO_ERROR_SYNTAX, "sign");
	expect_error("+1:a,", BW_CTLPROTO_ERROR_SYNTAX, "plus sign");
	expect_error(" 1:a,", BW_CTLPROTO_ERROR_SYNTAX, "space");
	expect_error("01:a,", BW_CTLPROTO_ERROR_SYNTAX, "leading zero");
	expect_error("00:,", BW_CTLPROTO_ERROR_SYNTAX, "double zero");
	expect_error("1:ab", BW_CTLPROTO_ERROR_SYNTAX, "missing comma");
	expect_error("0:;", BW_CTLPROTO_ERROR_SYNTAX, "bad terminator");
	expect_error("1:a,0:x", BW_CTLPROTO_ERROR_SYNTAX, "bad end");
	expect_error("18446744073709551617:a,", BW_CTLPROTO_ERROR_LIMIT, "overflowing length");
	expect_error("99999999:", BW_CTLPROTO_ERROR_LIMIT, "eight digits");
	expect_error("1048577:", BW_CTLPROTO_ERROR_LIMIT, "over 1 MiB");
}

static void test_limits(void)
{
	GString *req = g_string_new(NULL);
	bw_ctl_parser *p = bw_ctlproto_parser_new();
	GError *err = NULL;
	char *big;

	for (int i = 0; i < BW_CTL_MAX_ARGS; i++)
		bw_ctlproto_append_arg(req, "a", 1);
	bw_ctlproto_append_end(req);
	g_assert_cmpint(feed_all(p, req->str, req->len, NULL, &err), ==, BW_CTLP_DONE);
	g_assert_cmpuint(bw_ctlproto_parser_argc(p), ==, BW_CTL_MAX_ARGS);
	bw_ctlproto_parser_reset(p);

	g_string_truncate(req, req->len - 3);
	bw_ctlproto_append_arg(req, "a", 1);
	g_assert_cmpint(feed_all(p, req->str, req->len, NULL, &err), ==, BW_CTLP_ERROR);
	g_assert_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT);
	g_clear_error(&err);
	bw_ctlproto_parser_reset(p);

	/* exactly 1 MiB of argument data passes, one more byte does not */
	big = g_malloc0(BW_CTL_MAX_REQUEST);
	g_string_truncate(req, 0);
	bw_ctlproto_append_arg(req, "x", 1);
	bw_ctlproto_append_arg(req, big, BW_CTL_MAX_REQUEST - 1);
	bw_ctlproto_append_end(req);
	g_assert_cmpint(feed_all(p, req->str, req->len, NULL, &err), ==, BW_CTLP_DONE);
	g_assert_no_error(err);
	bw_ctlproto_parser_reset(p);
	g_string_truncate(req, 0);
	bw_ctlproto_append_arg(req, "xy", 2);
	bw_ctlproto_append_arg(req, big, BW_CTL_MAX_REQUEST - 1);
	g_assert_cmpint(feed_all(p, req->str, req->len, NULL, &err), ==, BW_CTLP_ERROR);
	g_assert_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT);
	g_clear_error(&err);
	g_free(big);
	bw_ctlproto_parser_free(p);
	g_string_free(req, TRUE);
}

static void test_output_lines(void)
{
	GString *out = g_string_new(NULL);

	bw_ctlproto_append_output(out, "one\ntwo\n", 8);
	g_assert_cmpstr(out->str, ==, ". one\n. two\n");
	g_string_truncate(out, 0);
	bw_ctlproto_append_output(out, "", 0);
	g_assert_cmpstr(out->str, ==, ". \n");
	g_string_truncate(out, 0);
	bw_ctlproto_append_output(out, "a\n\nb", 4);
	g_assert_cmpstr(out->str, ==, ". a\n. \n. b\n");
	g_string_truncate(out, 0);
	bw_ctlproto_append_output(out, "t\tx\r\\\x01\x7f\0z", 9);
	g_assert_cmpstr(out->str, ==, ". t\tx\\x0d\\\\\\x01\\x7f\\x00z\n");
	g_string_truncate(out, 0);
	bw_ctlproto_append_err(out, "bad\nthing\x1b");
	g_assert_cmpstr(out->str, ==, "-ERR bad; thing\\x1b\n");
	g_string_truncate(out, 0);
	bw_ctlproto_append_ok(out);
	g_assert_cmpstr(out->str, ==, "+OK\n");
	g_string_free(out, TRUE);
}

static void test_reply_kind(void)
{
	const char *t;
	gsize tl;

	g_assert_cmpint(bw_ctlproto_reply_kind(". hi", 4, &t, &tl), ==, BW_CTLR_OUTPUT);
	g_assert_cmpuint(tl, ==, 2);
	g_assert_true(strncmp(t, "hi", 2) == 0);
	g_assert_cmpint(bw_ctlproto_reply_kind(".", 1, &t, &tl), ==, BW_CTLR_OUTPUT);
	g_assert_cmpuint(tl, ==, 0);
	g_assert_cmpint(bw_ctlproto_reply_kind("+OK", 3, NULL, NULL), ==, BW_CTLR_OK);
	g_assert_cmpint(bw_ctlproto_reply_kind("+OKAY", 5, NULL, NULL), ==, BW_CTLR_INVALID);
	g_assert_cmpint(bw_ctlproto_reply_kind("-ERR no", 7, &t, &tl), ==, BW_CTLR_ERR);
	g_assert_cmpuint(tl, ==, 2);
	g_assert_cmpint(bw_ctlproto_reply_kind("-ERR", 4, &t, &tl), ==, BW_CTLR_ERR);
	g_assert_cmpint(bw_ctlproto_reply_kind("-ERRx", 5, NULL, NULL), ==, BW_CTLR_INVALID);
	g_assert_cmpint(bw_ctlproto_reply_kind("", 0, NULL, NULL), ==, BW_CTLR_INVALID);
	g_assert_cmpint(bw_ctlproto_reply_kind(".x", 2, NULL, NULL), ==, BW_CTLR_INVALID);
}

static void test_lines_reader(void)
{
	bw_ctl_lines *l = bw_ctlproto_lines_new(8);
	GError *err = NULL;
	const char *line;
	gsize len;

	g_assert_true(bw_ctlproto_lines_feed(l, ". a", 3, &err));
	g_assert_null(bw_ctlproto_lines_next(l, &len));
	g_assert_true(bw_ctlproto_lines_feed(l, "b\n+OK\n-E", 8, &err));
	line = bw_ctlproto_lines_next(l, &len);
	g_assert_cmpstr(line, ==, ". ab");
	g_assert_cmpuint(len, ==, 4);
	g_assert_cmpstr(bw_ctlproto_lines_next(l, &len), ==, "+OK");
	g_assert_null(bw_ctlproto_lines_next(l, &len));
	g_assert_true(bw_ctlproto_lines_feed(l, "RR\n", 3, &err));
	g_assert_cmpstr(bw_ctlproto_lines_next(l, &len), ==, "-ERR");
	g_assert_null(bw_ctlproto_lines_next(l, &len));
	/* exactly max_line passes, in one piece or in two */
	g_assert_true(bw_ctlproto_lines_feed(l, "1234", 4, &err));
	g_assert_true(bw_ctlproto_lines_feed(l, "5678\n", 5, &err));
	g_assert_cmpstr(bw_ctlproto_lines_next(l, &len), ==, "12345678");
	g_assert_no_error(err);
	/* longer lines fail, wherever they are */
	g_assert_false(bw_ctlproto_lines_feed(l, "123456789", 9, &err));
	g_assert_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT);
	g_clear_error(&err);
	g_assert_false(bw_ctlproto_lines_feed(l, "a\n123456789\nb", 13, &err));
	g_clear_error(&err);
	g_assert_true(bw_ctlproto_lines_feed(l, "12345", 5, &err));
	g_assert_false(bw_ctlproto_lines_feed(l, "6789\n", 5, &err));
	g_clear_error(&err);
	bw_ctlproto_lines_free(l);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctlproto/roundtrip", test_roundtrip);
	g_test_add_func("/ctlproto/split-reads", test_split_reads);
	g_test_add_func("/ctlproto/malformed", test_malformed);
	g_test_add_func("/ctlproto/limits", test_limits);
	g_test_add_func("/ctlproto/output-lines", test_output_lines);
	g_test_add_func("/ctlproto/reply-kind", test_reply_kind);
	g_test_add_func("/ctlproto/lines-reader", test_lines_reader);
	return g_test_run();
}
