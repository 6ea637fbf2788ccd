/* Unit tests of the shared internal helpers (core/util.h): the bounded
 * file reader (sizes at and over the limit, non-regular files, a FIFO
 * that must not block) and bw_util_fail. */
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "util.h"

static char *put(const char *dir, const char *name, const char *text)
{
	char *p = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	return p;
}

static void test_read_file(void)
{
	char *dir = bw_test_tmpdir();
	char *p = put(dir, "f", "0123456789");
	GError *err = NULL;
	gsize len = 99;
	char *buf = bw_util_read_file(p, 10, &len, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(buf, ==, "0123456789");
	g_assert_cmpuint(len, ==, 10);
	g_free(buf);
	g_assert_null(bw_util_read_file(p, 9, &len, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED);
	g_assert_nonnull(strstr(err->message, p));
	g_assert_nonnull(strstr(err->message, "larger than 9 bytes"));
	g_clear_error(&err);
	char *e = put(dir, "empty", "");
	buf = bw_util_read_file(e, 0, &len, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(buf, ==, "");
	g_assert_cmpuint(len, ==, 0);
	g_free(buf);

	g_assert_null(bw_util_read_file(dir, 10, &len, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_clear_error(&err);
	char *fifo = g_build_filename(dir, "fifo", NULL);
	g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
	g_assert_null(bw_util_read_file(fifo, 10, &len, &err));   /* must not block */
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_assert_nonnull(strstr(err->message, "not a regular file"));
	g_clear_error(&err);
	char *none = g_build_filename(dir, "none", NULL);
	g_assert_null(bw_util_read_file(none, 10, &len, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
	g_clear_error(&err);
	bw_test_rmtree(dir);
	g_free(none);
	g_free(fifo);
	g_free(e);
	g_free(p);
	g_free(dir);
}

static void test_fail(void)
{
	GError *err = NULL;
	g_assert_false(bw_util_fail(NULL, G_FILE_ERROR, G_FILE_ERROR_IO, "x %d", 1));
	g_assert_false(bw_util_fail(&err, G_FILE_ERROR, G_FILE_ERROR_IO, "what %s: %d", "where", 7));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_IO);
	g_assert_cmpstr(err->message, ==, "what where: 7");
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/util/read-file", test_read_file);
	g_test_add_func("/util/fail", test_fail);
	return g_test_run();
}
