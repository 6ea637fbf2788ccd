/* Unit tests of the SQLite store: records, revisions, expect, validation,
 * limits, list ranges, watches, reopening, schema versions. */
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "testutil.h"
#include "storedb.h"

typedef struct fx {
	char     *dir;
	char     *path;
	bw_store *s;
} fx;

static void fx_setup(fx *f, gconstpointer data)
{
	f->dir = bw_test_tmpdir();
	f->path = g_build_filename(f->dir, "store.db", NULL);
	GError *err = NULL;
	f->s = bw_store_open(f->path, data ? GPOINTER_TO_SIZE(data) : 0, &err);
	g_assert_no_error(err);
	g_assert_nonnull(f->s);
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_close(f->s);
	bw_test_rmtree(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static gint64 put_str(bw_store *s, const char *key, const char *v, gint64 expect, GError **err)
{
	return bw_store_put(s, key, v, strlen(v), expect, err);
}

static void assert_value(bw_store *s, const char *key, const char *want, gint64 want_rev)
{
	GBytes *v = NULL;
	gint64 rev = 0;
	GError *err = NULL;
	g_assert_true(bw_store_get(s, key, &v, &rev, &err));
	g_assert_no_error(err);
	gsize len = 0;
	const char *d = g_bytes_get_data(v, &len);
	g_assert_cmpmem(d, len, want, strlen(want));
	g_assert_cmpint(rev, ==, want_rev);
	g_bytes_unref(v);
}

static void test_put_get_delete(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_cmpint(bw_store_revision(f->s), ==, 0);
	g_assert_cmpint(put_str(f->s, "ext/100", "alice", BW_STORE_ANY, &err), ==, 1);
	g_assert_no_error(err);
	assert_value(f->s, "ext/100", "alice", 1);
	g_assert_cmpint(put_str(f->s, "ext/100", "bob", BW_STORE_ANY, &err), ==, 2);
	assert_value(f->s, "ext/100", "bob", 2);
	g_assert_cmpint(put_str(f->s, "ext/empty", "", BW_STORE_ANY, &err), ==, 3);
	assert_value(f->s, "ext/empty", "", 3);

	GPtrArray *l = bw_store_list(f->s, "ext/100", &err);
	g_assert_no_error(err);
	g_assert_cmpuint(l->len, ==, 1);
	bw_record *r = l->pdata[0];
	g_assert_cmpint(r->revision, ==, 2);
	g_assert_cmpint(r->create_revision, ==, 1);
	g_ptr_array_unref(l);

	g_assert_cmpint(bw_store_delete(f->s, "ext/100", BW_STORE_ANY, &err), ==, 4);
	g_assert_no_error(err);
	g_assert_false(bw_store_get(f->s, "ext/100", NULL, NULL, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(err->message, "ext/100"));
	g_clear_error(&err);
	g_assert_cmpint(bw_store_delete(f->s, "ext/100", BW_STORE_ANY, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND);
	g_clear_error(&err);
	g_assert_cmpint(bw_store_revision(f->s), ==, 4);

	/* re-created: a new create_revision */
	g_assert_cmpint(put_str(f->s, "ext/100", "carol", BW_STORE_ABSENT, &err), ==, 5);
	l = bw_store_list(f->s, "ext/100", &err);
	g_assert_cmpint(((bw_record *)l->pdata[0])->create_revision, ==, 5);
	g_ptr_array_unref(l);
}

static void check_list(bw_store *s, const char *prefix, const char *const *want)
{
	GError *err = NULL;
	GPtrArray *l = bw_store_list(s, prefix, &err);
	g_assert_no_error(err);
	guint n = g_strv_length((char **)want);
	for (guint i = 0; i < MIN(n, l->len); i++)
		g_assert_cmpstr(((bw_record *)l->pdata[i])->key, ==, want[i]);
	g_assert_cmpuint(l->len, ==, n);
	g_ptr_array_unref(l);
}

static void test_list_ranges(fx *f, gconstpointer data)
{
	const char *keys[] = { "ext/2", "ext/100", "ext0/1", "exs/1", "ext", "f",
			       "ext/101", "ext~", NULL };
	for (int i = 0; keys[i]; i++)
		g_assert_cmpint(put_str(f->s, keys[i], keys[i], BW_STORE_ANY, NULL), ==, i + 1);
	check_list(f->s, "ext/", (const char *[]){ "ext/100", "ext/101", "ext/2", NULL });
	check_list(f->s, "ext/1", (const char *[]){ "ext/100", "ext/101", NULL });
	check_list(f->s, "ext", (const char *[]){ "ext", "ext/100", "ext/101", "ext/2",
						   "ext0/1", "ext~", NULL });
	check_list(f->s, "zzz", (const char *[]){ NULL });
	check_list(f->s, "", (const char *[]){ "exs/1", "ext", "ext/100", "ext/101", "ext/2",
						"ext0/1", "ext~", "f", NULL });
	GError *err = NULL;
	g_assert_null(bw_store_list(f->s, "ext /", &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
}

static void test_expect(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_cmpint(put_str(f->s, "cor/1", "a", BW_STORE_ABSENT, &err), ==, 1);
	g_assert_cmpint(put_str(f->s, "cor/1", "b", BW_STORE_ABSENT, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT);
	g_assert_nonnull(strstr(err->message, "cor/1"));
	g_assert_nonnull(strstr(err->message, "expected absent"));
	g_assert_nonnull(strstr(err->message, "found revision 1"));
	g_clear_error(&err);
	g_assert_cmpint(put_str(f->s, "cor/1", "c", 1, &err), ==, 2);
	g_assert_no_error(err);
	g_assert_cmpint(put_str(f->s, "cor/1", "d", 1, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT);
	g_assert_nonnull(strstr(err->message, "expected revision 1, found revision 2"));
	g_clear_error(&err);
	g_assert_cmpint(put_str(f->s, "cor/2", "x", 7, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT);
	g_assert_nonnull(strstr(err->message, "found absent"));
	g_clear_error(&err);
	g_assert_cmpint(bw_store_delete(f->s, "cor/1", 1, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT);
	g_clear_error(&err);
	g_assert_cmpint(put_str(f->s, "cor/1", "e", -5, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
	/* refused changes do not bump the revision nor change the value */
	g_assert_cmpint(bw_store_revision(f->s), ==, 2);
	assert_value(f->s, "cor/1", "c", 2);
	g_assert_cmpint(bw_store_delete(f->s, "cor/1", 2, &err), ==, 3);
	g_assert_no_error(err);
}

static void test_key_validation(fx *f, gconstpointer data)
{
	char long_key[300];
	memset(long_key, 'k', sizeof long_key);
	long_key[256] = '\0';
	const char *bad[] = { "", "/ext/1", "ext/", "ext//1", "ext 1", "ext\t1", "ext/\x7f",
			      "ext/\xc3\xa9", long_key, NULL };
	for (int i = 0; bad[i]; i++) {
		GError *err = NULL;
		g_assert_cmpint(put_str(f->s, bad[i], "v", BW_STORE_ANY, &err), ==, 0);
		g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
		g_assert_true(g_str_has_prefix(err->message, "store: key"));
		g_clear_error(&err);
		g_assert_false(bw_store_get(f->s, bad[i], NULL, NULL, &err));
		g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
		g_clear_error(&err);
	}
	long_key[255] = '\0';
	g_assert_cmpint(put_str(f->s, long_key, "v", BW_STORE_ANY, NULL), ==, 1);
	g_assert_cmpint(put_str(f->s, "a/b-c_d.e:f@g~!", "v", BW_STORE_ANY, NULL), ==, 2);
	g_assert_cmpint(bw_store_revision(f->s), ==, 2);
}

static void test_max_value(fx *f, gconstpointer data)
{
	GError *err = NULL;
	char buf[17] = "0123456789abcdefX";
	g_assert_cmpint(bw_store_put(f->s, "v/16", buf, 16, BW_STORE_ANY, &err), ==, 1);
	g_assert_no_error(err);
	g_assert_cmpint(bw_store_put(f->s, "v/17", buf, 17, BW_STORE_ANY, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_TOO_LARGE);
	g_assert_nonnull(strstr(err->message, "v/17"));
	g_assert_nonnull(strstr(err->message, "17 bytes"));
	g_clear_error(&err);
	g_assert_cmpint(bw_store_revision(f->s), ==, 1);
	/* binary values with NUL bytes survive */
	const char bin[] = { 0, 1, 0, (char)0xff };
	g_assert_cmpint(bw_store_put(f->s, "v/bin", bin, sizeof bin, BW_STORE_ANY, &err), ==, 2);
	GBytes *v = NULL;
	g_assert_true(bw_store_get(f->s, "v/bin", &v, NULL, &err));
	g_assert_cmpmem(g_bytes_get_data(v, NULL), g_bytes_get_size(v), bin, sizeof bin);
	g_bytes_unref(v);
}

/* ---- watches ---- */

typedef struct seen {
	GPtrArray *events;                   /* "key=value@rev" */
	gint       done;
	guint      want;
	bw_watch  *self;                     /* unwatch from inside the callback */
} seen;

static void on_change(const char *key, GBytes *value, gint64 revision, void *ud)
{
	seen *s = ud;
	char *v = value ? g_strndup(g_bytes_get_data(value, NULL), g_bytes_get_size(value))
		: g_strdup("(deleted)");
	g_ptr_array_add(s->events, g_strdup_printf("%s=%s@%" G_GINT64_FORMAT, key, v, revision));
	g_free(v);
	if (s->self) {
		bw_store_unwatch(s->self);
		s->self = NULL;
	}
	if (s->events->len >= s->want)
		g_atomic_int_set(&s->done, 1);
}

static void test_watch_order(fx *f, gconstpointer data)
{
	GMainContext *ctx = g_main_context_new();
	seen sn = { g_ptr_array_new_with_free_func(g_free), 0, 3, NULL };
	bw_watch *w = bw_store_watch(f->s, "ext/", ctx, on_change, &sn);
	put_str(f->s, "ext/1", "a", BW_STORE_ANY, NULL);
	put_str(f->s, "other/1", "x", BW_STORE_ANY, NULL);
	put_str(f->s, "ext/2", "b", BW_STORE_ANY, NULL);
	bw_store_delete(f->s, "ext/1", BW_STORE_ANY, NULL);
	/* nothing runs on the watcher's context until it is iterated */
	g_assert_cmpuint(sn.events->len, ==, 0);
	g_assert_true(bw_test_wait(ctx, &sn.done, 5000));
	g_assert_cmpuint(sn.events->len, ==, 3);
	g_assert_cmpstr(sn.events->pdata[0], ==, "ext/1=a@1");
	g_assert_cmpstr(sn.events->pdata[1], ==, "ext/2=b@3");
	g_assert_cmpstr(sn.events->pdata[2], ==, "ext/1=(deleted)@4");

	/* queued but not yet delivered: unwatch drops it */
	put_str(f->s, "ext/3", "c", BW_STORE_ANY, NULL);
	bw_store_unwatch(w);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_assert_cmpuint(sn.events->len, ==, 3);
	g_ptr_array_unref(sn.events);
	g_main_context_unref(ctx);
}

typedef struct writer_arg {
	bw_store *s;
	int       id;
} writer_arg;

static gpointer writer_thread(gpointer p)
{
	writer_arg *a = p;
	for (int i = 0; i < 50; i++) {
		char key[32];
		g_snprintf(key, sizeof key, "w/%d/%d", a->id, i);
		GError *err = NULL;
		if (!put_str(a->s, key, "v", BW_STORE_ANY, &err))
			g_error("put %s: %s", key, err->message);
	}
	return NULL;
}

typedef struct order {
	gint64 last;
	guint  n;
	gboolean sorted;
	gint   done;
} order;

static void on_order(const char *key, GBytes *value, gint64 revision, void *ud)
{
	order *o = ud;
	if (revision != o->last + 1)
		o->sorted = FALSE;
	o->last = revision;
	if (++o->n == 200)
		g_atomic_int_set(&o->done, 1);
}

/* Concurrent writers: each revision once, delivered in commit order. */
static void test_watch_concurrent(fx *f, gconstpointer data)
{
	order o = { 0, 0, TRUE, 0 };
	bw_watch *w = bw_store_watch(f->s, "w/", NULL, on_order, &o);
	GThread *t[4];
	writer_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (writer_arg){ f->s, i };
		t[i] = g_thread_new("writer", writer_thread, &args[i]);
	}
	for (int i = 0; i < 4; i++)
		g_thread_join(t[i]);
	g_assert_cmpint(bw_store_revision(f->s), ==, 200);
	g_assert_true(bw_test_wait(NULL, &o.done, 10000));
	g_assert_true(o.sorted);
	g_assert_cmpint(o.last, ==, 200);
	bw_store_unwatch(w);
}

static void test_unwatch_in_callback(fx *f, gconstpointer data)
{
	seen sn = { g_ptr_array_new_with_free_func(g_free), 0, 1, NULL };
	sn.self = bw_store_watch(f->s, "", NULL, on_change, &sn);
	put_str(f->s, "a", "1", BW_STORE_ANY, NULL);
	put_str(f->s, "b", "2", BW_STORE_ANY, NULL);
	g_assert_true(bw_test_wait(NULL, &sn.done, 5000));
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_assert_cmpuint(sn.events->len, ==, 1);
	g_assert_cmpstr(sn.events->pdata[0], ==, "a=1@1");
	g_ptr_array_unref(sn.events);
}

/* ---- files ---- */

static void test_reopen(fx *f, gconstpointer data)
{
	GError *err = NULL;
	put_str(f->s, "ext/100", "alice", BW_STORE_ANY, NULL);
	put_str(f->s, "ext/101", "bob", BW_STORE_ANY, NULL);
	bw_store_delete(f->s, "ext/101", BW_STORE_ANY, NULL);
	bw_store_close(f->s);
	struct stat st;
	g_assert_cmpint(stat(f->path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(bw_store_revision(f->s), ==, 3);
	assert_value(f->s, "ext/100", "alice", 1);
	g_assert_false(bw_store_get(f->s, "ext/101", NULL, NULL, NULL));
	g_assert_cmpint(put_str(f->s, "ext/102", "c", BW_STORE_ANY, NULL), ==, 4);
	g_assert_cmpstr(bw_store_path(f->s), ==, f->path);
}

static void set_user_version(const char *path, int v)
{
	sqlite3 *db = NULL;
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	char *sql = g_strdup_printf("PRAGMA user_version=%d", v);
	g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
	g_free(sql);
	sqlite3_close(db);
}

static void test_newer_schema(fx *f, gconstpointer data)
{
	put_str(f->s, "ext/100", "alice", BW_STORE_ANY, NULL);
	bw_store_close(f->s);
	f->s = NULL;
	set_user_version(f->path, 99);
	GError *err = NULL;
	g_assert_null(bw_store_open(f->path, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_assert_nonnull(strstr(err->message, "99"));
	g_assert_nonnull(strstr(err->message, "newer"));
	g_assert_nonnull(strstr(err->message, f->path));
	g_clear_error(&err);
	/* refused, not changed: the version is still 99 */
	g_assert_null(bw_store_open(f->path, 0, &err));
	g_clear_error(&err);
	set_user_version(f->path, 2);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	assert_value(f->s, "ext/100", "alice", 1);
}

static void test_open_errors(void)
{
	GError *err = NULL;
	char *dir = bw_test_tmpdir();
	char *bad = g_build_filename(dir, "missing", "store.db", NULL);
	g_assert_null(bw_store_open(bad, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_assert_nonnull(strstr(err->message, bad));
	g_clear_error(&err);
	/* not a database */
	char *junk = g_build_filename(dir, "junk.db", NULL);
	g_assert_true(g_file_set_contents(junk, "this is not sqlite, not at all, no, no, no,"
					  " a long enough text to fill a header........",
					  -1, NULL));
	g_assert_null(bw_store_open(junk, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_clear_error(&err);
	bw_test_rmtree(dir);
	g_free(bad);
	g_free(junk);
	g_free(dir);
}

static void test_system_pointer(fx *f, gconstpointer data)
{
	g_assert_null(bw_store_system());
	bw_store_set_system(f->s);
	g_assert_true(bw_store_system() == f->s);
	bw_store_close(f->s);
	f->s = NULL;
	g_assert_null(bw_store_system());
}

#define ADD(name, fn, data) \
	g_test_add(name, fx, data, fx_setup, fn, fx_teardown)

static int json_int(const char *text, const char *member, gint64 *out)
{
	GBytes *b = text ? g_bytes_new(text, strlen(text)) : NULL;
	int rc = bw_store_json_int(b, member, out);
	if (b)
		g_bytes_unref(b);
	return rc;
}

static void test_json_int(void)
{
	gint64 v = 7;
	g_assert_cmpint(json_int("{\"a\": 12, \"b\": \"x\", \"c\": 1.5}", "a", &v), ==, 1);
	g_assert_cmpint(v, ==, 12);
	v = 7;
	g_assert_cmpint(json_int("{\"a\": 12, \"b\": \"x\", \"c\": 1.5}", "b", &v), ==, -1);
	g_assert_cmpint(json_int("{\"a\": 12, \"b\": \"x\", \"c\": 1.5}", "c", &v), ==, -1);
	g_assert_cmpint(json_int("{\"a\": 12}", "z", &v), ==, 0);
	g_assert_cmpint(json_int("[1, 2]", "a", &v), ==, 0);
	g_assert_cmpint(json_int("not json", "a", &v), ==, 0);
	g_assert_cmpint(json_int(NULL, "a", &v), ==, 0);
	g_assert_cmpint(v, ==, 7);   /* untouched unless 1 */
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/store/put-get-delete", test_put_get_delete, NULL);
	ADD("/store/list-ranges", test_list_ranges, NULL);
	ADD("/store/expect", test_expect, NULL);
	ADD("/store/key-validation", test_key_validation, NULL);
	ADD("/store/max-value", test_max_value, GSIZE_TO_POINTER(16));
	ADD("/store/watch-order", test_watch_order, NULL);
	ADD("/store/watch-concurrent", test_watch_concurrent, NULL);
	ADD("/store/unwatch-in-callback", test_unwatch_in_callback, NULL);
	ADD("/store/reopen", test_reopen, NULL);
	ADD("/store/newer-schema", test_newer_schema, NULL);
	ADD("/store/system-pointer", test_system_pointer, NULL);
	g_test_add_func("/store/open-errors", test_open_errors);
	g_test_add_func("/store/json-int", test_json_int);
	return g_test_run();
}
