/* Helpers shared by the unit tests. */
#ifndef BW_TESTUTIL_H
#define BW_TESTUTIL_H
#include <glib.h>

/* A fresh private directory (mode 0700) removed by bw_test_rmtree. */
char    *bw_test_tmpdir(void);
void     bw_test_rmtree(const char *path);
/* Iterate ctx (NULL: default) until *flag is TRUE or timeout_ms passes. */
gboolean bw_test_wait(GMainContext *ctx, volatile gint *flag, guint timeout_ms);
/* Absolute paths into the source and build trees ($top_srcdir, $top_builddir
 * set by make check; "." when run by hand from the build tree). */
char    *bw_test_srcpath(const char *rel);
char    *bw_test_buildpath(const char *rel);

/* A store (dir/bulwark.db) that must open; a put that must succeed. */
struct bw_store;
struct bw_store *bw_test_store_open(const char *dir);
void     bw_test_put(struct bw_store *s, const char *key, const char *json);
#endif
