#include "testutil.h"
#include "storedb.h"
#include <glib/gstdio.h>
#include <string.h>

char *bw_test_tmpdir(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("bwtest-XXXXXX", &err);
	g_assert_no_error(err);
	g_chmod(dir, 0700);
	return dir;
}

void bw_test_rmtree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	if (d) {
		const char *name;
		while ((name = g_dir_read_name(d))) {
			char *p = g_build_filename(path, name, NULL);
			if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
				bw_test_rmtree(p);
			else
				g_unlink(p);
			g_free(p);
		}
		g_dir_close(d);
	}
	g_rmdir(path);
}

gboolean bw_test_wait(GMainContext *ctx, volatile gint *flag, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (!g_atomic_int_get(flag) && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(500);
	}
	return g_atomic_int_get(flag) != 0;
}

static char *tree_path(const char *var, const char *rel)
{
	const char *top = g_getenv(var);
	return g_build_filename(top ? top : ".", rel, NULL);
}

char *bw_test_srcpath(const char *rel) { return tree_path("top_srcdir", rel); }
char *bw_test_buildpath(const char *rel) { return tree_path("top_builddir", rel); }

bw_store *bw_test_store_open(const char *dir)
{
	GError *err = NULL;
	char *path = g_build_filename(dir, "bulwark.db", NULL);
	bw_store *s = bw_store_open(path, 0, &err);
	g_assert_no_error(err);
	g_free(path);
	return s;
}

void bw_test_put(bw_store *s, const char *key, const char *json)
{
	GError *err = NULL;
	g_assert_cmpint(bw_store_put(s, key, json, strlen(json), BW_STORE_ANY, &err), >, 0);
	g_assert_no_error(err);
}
