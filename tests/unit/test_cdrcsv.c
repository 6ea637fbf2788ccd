/* Unit tests for plugins/cdr-csv/cdrcsv.c: RFC 4180 quoting, formula
 * injection neutralising, time parsing, daily files with headers and
 * modes, rotation at local midnight (injected times and time zone), and
 * retention by the date in the file name. */
#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "cdrcsv.h"
#include "testutil.h"

#define HEADER "call_id,start,answer,end,duration,billsec,caller,caller_name," \
	"callee,dialed,trunk,disposition,cause,account_code,secure\r\n"

static char *quoted(const char *field)
{
	GString *s = g_string_new(NULL);

	bw_cdrcsv_quote(s, field);
	return g_string_free(s, FALSE);
}

static void check_quote(const char *in, const char *want)
{
	g_autofree char *got = quoted(in);

	g_assert_cmpstr(got, ==, want);
}

static void test_quote(void)
{
	check_quote(NULL, "");
	check_quote("", "");
	check_quote("100", "100");
	check_quote("Alice Smith", "Alice Smith");
	check_quote("Smith, Alice", "\"Smith, Alice\"");
	check_quote("say \"hi\"", "\"say \"\"hi\"\"\"");
	check_quote("two\nlines", "\"two\nlines\"");
	check_quote("cr\rlf", "\"cr\rlf\"");
	check_quote("\"", "\"\"\"\"");
}

static void test_injection(void)
{
	check_quote("=1+2", "'=1+2");
	check_quote("+33123", "'+33123");
	check_quote("-5", "'-5");
	check_quote("@SUM(A1)", "'@SUM(A1)");
	check_quote("\tx", "'\tx");
	check_quote("=HYPERLINK(\"http://x\",\"y\")",
		    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	/* only the first character matters */
	check_quote("a=b", "a=b");
	check_quote("1-2", "1-2");
}

static void test_cut(void)
{
	g_autofree char *big = g_strnfill(BW_CDRCSV_FIELD_MAX + 100, 'x');
	g_autofree char *got = quoted(big);
	g_autofree char *utf = NULL;
	g_autofree char *got2 = NULL;
	GString *s = g_string_new(NULL);

	g_assert_cmpuint(strlen(got), ==, BW_CDRCSV_FIELD_MAX);
	/* a 2-byte character straddling the limit is dropped whole */
	g_string_append(s, "y");
	for (guint i = 0; i < BW_CDRCSV_FIELD_MAX; i++)
		g_string_append(s, "\xc3\xa9");
	utf = g_string_free(s, FALSE);
	got2 = quoted(utf);
	g_assert_cmpuint(strlen(got2), ==, BW_CDRCSV_FIELD_MAX - 1);
	g_assert_true(g_utf8_validate(got2, -1, NULL));
}

static void test_format(void)
{
	const char *v[BW_CDRCSV_NCOLS] = { "c1", NULL, NULL, NULL, "10", "5",
		"100", "O'Brien, Pat", "200" };
	GString *s = g_string_new(NULL);

	bw_cdrcsv_header(s);
	g_assert_cmpstr(s->str, ==, HEADER);
	g_string_truncate(s, 0);
	bw_cdrcsv_format(s, v);
	g_assert_cmpstr(s->str, ==, "c1,,,,10,5,100,\"O'Brien, Pat\",200,,,,,,\r\n");
	g_string_free(s, TRUE);
}

static void test_parse_time(void)
{
	g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
	g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");

	g_assert_cmpint(bw_cdrcsv_parse_time("1700000000", utc), ==, G_GINT64_CONSTANT(1700000000000000));
	g_assert_cmpint(bw_cdrcsv_parse_time("1700000000.25", utc), ==, G_GINT64_CONSTANT(1700000000250000));
	g_assert_cmpint(bw_cdrcsv_parse_time("2026-03-01T00:00:00Z", utc), ==, G_GINT64_CONSTANT(1772323200000000));
	g_assert_cmpint(bw_cdrcsv_parse_time("2026-03-01T02:00:00", plus2), ==, G_GINT64_CONSTANT(1772323200000000));
	g_assert_cmpint(bw_cdrcsv_parse_time(NULL, utc), ==, -1);
	g_assert_cmpint(bw_cdrcsv_parse_time("", utc), ==, -1);
	g_assert_cmpint(bw_cdrcsv_parse_time("12abc", utc), ==, -1);
	g_assert_cmpint(bw_cdrcsv_parse_time("99999999999999999999", utc), ==, -1);
	g_assert_cmpint(bw_cdrcsv_parse_time("yesterday", utc), ==, -1);
}

static char *slurp(const char *path)
{
	char *text = NULL;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

/* 2026-03-01 23:59:30 and 2026-03-02 00:00:10 at +02:00, as UTC us */
#define BEFORE_MIDNIGHT G_GINT64_CONSTANT(1772402370000000)
#define AFTER_MIDNIGHT  G_GINT64_CONSTANT(1772402410000000)

static void test_rotation(void)
{
	g_autofree char *tmp = bw_test_tmpdir();
	g_autofree char *dir = g_build_filename(tmp, "sub", "cdr", NULL);
	g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
	g_autoptr(GError) error = NULL;
	const char *a[BW_CDRCSV_NCOLS] = { "a" };
	const char *b[BW_CDRCSV_NCOLS] = { "b" };
	const char *c[BW_CDRCSV_NCOLS] = { "c" };
	bw_cdrcsv *w = bw_cdrcsv_open(dir, 0, plus2, &error);
	g_autofree char *p1 = NULL, *p2 = NULL, *t1 = NULL, *t2 = NULL;
	GStatBuf st;

	g_assert_no_error(error);
	g_assert_nonnull(w);
	g_assert_cmpint(g_stat(dir, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0750);
	g_assert_true(bw_cdrcsv_write(w, a, BEFORE_MIDNIGHT, &error));
	g_assert_true(bw_cdrcsv_write(w, b, AFTER_MIDNIGHT, &error));
	g_assert_true(bw_cdrcsv_write(w, c, AFTER_MIDNIGHT + 1000000, &error));
	g_assert_no_error(error);
	p1 = g_build_filename(dir, "cdr-2026-03-01.csv", NULL);
	p2 = g_build_filename(dir, "cdr-2026-03-02.csv", NULL);
	t1 = slurp(p1);
	t2 = slurp(p2);
	g_assert_cmpstr(t1, ==, HEADER "a,,,,,,,,,,,,,,\r\n");
	g_assert_cmpstr(t2, ==, HEADER "b,,,,,,,,,,,,,,\r\nc,,,,,,,,,,,,,,\r\n");
	g_assert_cmpint(g_stat(p2, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0640);
	bw_cdrcsv_close(w);
	bw_test_rmtree(tmp);
}

/* Reopening an existing file appends without a second header, and ends a
 * line left unfinished by a crash before the next record. */
static void test_reopen(void)
{
	g_autofree char *dir = bw_test_tmpdir();
	g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
	g_autoptr(GError) error = NULL;
	const char *a[BW_CDRCSV_NCOLS] = { "a" };
	g_autofree char *path = g_build_filename(dir, "cdr-2026-03-01.csv", NULL);
	g_autofree char *text = NULL;
	bw_cdrcsv *w;

	g_assert_true(g_file_set_contents(path, HEADER "half", -1, NULL));
	w = bw_cdrcsv_open(dir, 0, plus2, &error);
	g_assert_true(bw_cdrcsv_write(w, a, BEFORE_MIDNIGHT, &error));
	g_assert_no_error(error);
	bw_cdrcsv_close(w);
	text = slurp(path);
	g_assert_cmpstr(text, ==, HEADER "half\r\na,,,,,,,,,,,,,,\r\n");
	bw_test_rmtree(dir);
}

static void touch(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	g_assert_true(g_file_set_contents(path, "x", -1, NULL));
}

static gboolean exists(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);

	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static void test_retention(void)
{
	g_autofree char *dir = bw_test_tmpdir();
	g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
	g_autoptr(GError) error = NULL;
	bw_cdrcsv *w = bw_cdrcsv_open(dir, 2, plus2, &error);

	/* today (AFTER_MIDNIGHT) is 2026-03-02 in +02:00 */
	touch(dir, "cdr-2026-03-02.csv");
	touch(dir, "cdr-2026-03-01.csv");
	touch(dir, "cdr-2026-02-28.csv");
	touch(dir, "cdr-2026-02-27.csv");
	touch(dir, "cdr-2025-12-31.csv");
	touch(dir, "cdr-2020-13-01.csv");   /* not a date: not ours */
	touch(dir, "notes.csv");
	g_assert_cmpint(bw_cdrcsv_prune(w, AFTER_MIDNIGHT, FALSE, &error), ==, 2);
	g_assert_no_error(error);
	g_assert_true(exists(dir, "cdr-2026-03-02.csv"));
	g_assert_true(exists(dir, "cdr-2026-03-01.csv"));
	g_assert_true(exists(dir, "cdr-2026-02-28.csv"));
	g_assert_false(exists(dir, "cdr-2026-02-27.csv"));
	g_assert_false(exists(dir, "cdr-2025-12-31.csv"));
	g_assert_true(exists(dir, "cdr-2020-13-01.csv"));
	g_assert_true(exists(dir, "notes.csv"));
	/* once a day: the same date does nothing, the next one prunes */
	touch(dir, "cdr-2026-02-01.csv");
	g_assert_cmpint(bw_cdrcsv_prune(w, AFTER_MIDNIGHT + (gint64) 3600 * G_USEC_PER_SEC, FALSE, &error), ==, 0);
	g_assert_true(exists(dir, "cdr-2026-02-01.csv"));
	g_assert_cmpint(bw_cdrcsv_prune(w, AFTER_MIDNIGHT + (gint64) 86400 * G_USEC_PER_SEC, FALSE, &error), ==, 2);
	g_assert_false(exists(dir, "cdr-2026-02-01.csv"));
	g_assert_false(exists(dir, "cdr-2026-02-28.csv"));
	bw_cdrcsv_close(w);
	bw_test_rmtree(dir);
}

static void test_keep_all(void)
{
	g_autofree char *dir = bw_test_tmpdir();
	g_autoptr(GError) error = NULL;
	bw_cdrcsv *w = bw_cdrcsv_open(dir, 0, NULL, &error);

	touch(dir, "cdr-2001-01-01.csv");
	g_assert_cmpint(bw_cdrcsv_prune(w, AFTER_MIDNIGHT, TRUE, &error), ==, 0);
	g_assert_true(exists(dir, "cdr-2001-01-01.csv"));
	bw_cdrcsv_close(w);
	bw_test_rmtree(dir);
}

static void test_write_error(void)
{
	g_autofree char *dir = bw_test_tmpdir();
	g_autoptr(GTimeZone) plus2 = g_time_zone_new_identifier("+02:00");
	g_autoptr(GError) error = NULL;
	const char *a[BW_CDRCSV_NCOLS] = { "a" };
	g_autofree char *path = g_build_filename(dir, "cdr-2026-03-01.csv", NULL);
	bw_cdrcsv *w = bw_cdrcsv_open(dir, 0, plus2, &error);

	/* a directory where the day file should be: refused, with the path */
	g_assert_cmpint(g_mkdir(path, 0700), ==, 0);
	g_assert_false(bw_cdrcsv_write(w, a, BEFORE_MIDNIGHT, &error));
	g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
	g_assert_nonnull(strstr(error->message, "cdr-2026-03-01.csv"));
	bw_cdrcsv_close(w);
	bw_test_rmtree(dir);
}

static void test_open_error(void)
{
	g_autofree char *dir = bw_test_tmpdir();
	g_autofree char *file = g_build_filename(dir, "plain", NULL);
	g_autofree char *sub = g_build_filename(file, "cdr", NULL);
	g_autoptr(GError) error = NULL;

	touch(dir, "plain");
	g_assert_null(bw_cdrcsv_open(sub, 0, NULL, &error));
	g_assert_nonnull(error);
	g_assert_nonnull(strstr(error->message, sub));
	bw_test_rmtree(dir);
}

int main(int argc, char **argv)
{
	umask(077);   /* the 0750/0640 modes must not depend on the umask */
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cdrcsv/quote", test_quote);
	g_test_add_func("/cdrcsv/injection", test_injection);
	g_test_add_func("/cdrcsv/cut", test_cut);
	g_test_add_func("/cdrcsv/format", test_format);
	g_test_add_func("/cdrcsv/parse-time", test_parse_time);
	g_test_add_func("/cdrcsv/rotation", test_rotation);
	g_test_add_func("/cdrcsv/reopen", test_reopen);
	g_test_add_func("/cdrcsv/retention", test_retention);
	g_test_add_func("/cdrcsv/keep-all", test_keep_all);
	g_test_add_func("/cdrcsv/write-error", test_write_error);
	g_test_add_func("/cdrcsv/open-error", test_open_error);
	return g_test_run();
}
