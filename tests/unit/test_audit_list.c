/* Unit tests of reading the audit log back (bw_audit_query and its JSON
 * form, bulwark/audit.h): newest first, the limit, the action-prefix
 * filter (a prefix's '%' and '_' are plain characters), paging with
 * before, argument errors, no store open; and a log altered behind the
 * store's back still reads while verify reports it. */
#include <string.h>
#include <sqlite3.h>
#include <json-glib/json-glib.h>
#include "testutil.h"
#include "test_audit_util.h"
#include "storedb.h"
#include <bulwark/audit.h>

typedef struct fx {
	char     *dir, *path;
	bw_store *s;
} fx;

/* seq 1..12: actions cycle login, login.failed, ext.add; seq 7 has no detail. */
static const char *const actions[] = { "webadmin.login", "webadmin.login.failed", "ext.add" };

static void fx_setup(fx *f, gconstpointer data)
{
	GError *err = NULL;
	f->dir = bw_test_tmpdir();
	f->path = g_build_filename(f->dir, "bulwark.db", NULL);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	for (int i = 1; i <= 12; i++) {
		char obj[32];
		g_snprintf(obj, sizeof obj, "ext/%d", 100 + i);
		g_assert_cmpint(bw_audit_append_to(f->s, "web:admin@192.0.2.7", actions[(i - 1) % 3],
						   obj, i == 7 ? NULL : "fields: \"name\"\n", &err), ==, i);
		g_assert_no_error(err);
	}
	bw_store_set_system(f->s);
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_set_system(NULL);
	bw_store_close(f->s);
	bw_test_rmtree(f->dir);
	g_free(f->path);
	g_free(f->dir);
}

static gint64 seq_at(GPtrArray *a, guint i)
{
	return ((bw_audit_record *)a->pdata[i])->seq;
}

static void test_order_limit(fx *f, gconstpointer data)
{
	GError *err = NULL;
	GPtrArray *a = bw_audit_query(BW_AUDIT_QUERY_MAX, NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 12);
	for (guint i = 0; i < a->len; i++)
		g_assert_cmpint(seq_at(a, i), ==, 12 - (gint64)i);
	bw_audit_record *r = a->pdata[0];
	g_assert_cmpstr(r->actor, ==, "web:admin@192.0.2.7");
	g_assert_cmpstr(r->action, ==, "ext.add");
	g_assert_cmpstr(r->object, ==, "ext/112");
	g_assert_cmpstr(r->detail, ==, "fields: \"name\"\n");
	g_assert_cmpint(r->time, >, 1600000000LL * G_USEC_PER_SEC);
	g_assert_null(((bw_audit_record *)a->pdata[12 - 7])->detail);
	g_ptr_array_unref(a);

	a = bw_audit_query(5, "", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 5);
	g_assert_cmpint(seq_at(a, 0), ==, 12);
	g_assert_cmpint(seq_at(a, 4), ==, 8);
	g_ptr_array_unref(a);
}

static void test_filter(fx *f, gconstpointer data)
{
	GError *err = NULL;
	/* "webadmin.login" is a prefix of "webadmin.login.failed" too */
	GPtrArray *a = bw_audit_query(100, "webadmin.login", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 8);
	g_ptr_array_unref(a);
	a = bw_audit_query(3, "webadmin.login.failed", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 3);
	for (guint i = 0; i < a->len; i++)
		g_assert_cmpstr(((bw_audit_record *)a->pdata[i])->action, ==, "webadmin.login.failed");
	g_assert_cmpint(seq_at(a, 0), ==, 11);
	g_assert_cmpint(seq_at(a, 2), ==, 5);
	g_ptr_array_unref(a);
	/* LIKE wildcards would match everything here */
	a = bw_audit_query(100, "%", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 0);
	g_ptr_array_unref(a);
	a = bw_audit_query(100, "ext_add", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 0);
	g_ptr_array_unref(a);
}

/* Following the last seq of each page visits every record once. */
static void test_paging(fx *f, gconstpointer data)
{
	GError *err = NULL;
	gint64 before = 0, expect = 12;
	guint pages = 0;
	for (;;) {
		GPtrArray *a = bw_audit_query(5, NULL, before, &err);
		g_assert_no_error(err);
		if (!a->len) {
			g_ptr_array_unref(a);
			break;
		}
		pages++;
		for (guint i = 0; i < a->len; i++)
			g_assert_cmpint(seq_at(a, i), ==, expect--);
		before = seq_at(a, a->len - 1);
		g_ptr_array_unref(a);
	}
	g_assert_cmpint(expect, ==, 0);
	g_assert_cmpuint(pages, ==, 3);

	GPtrArray *a = bw_audit_query(2, "ext.", 9, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 2);
	g_assert_cmpint(seq_at(a, 0), ==, 6);
	g_assert_cmpint(seq_at(a, 1), ==, 3);
	g_ptr_array_unref(a);
	a = bw_audit_query(2, NULL, 1, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 0);
	g_ptr_array_unref(a);
}

static void test_json(fx *f, gconstpointer data)
{
	GError *err = NULL;
	char *text = bw_audit_query_json(2, "ext.add", 0, &err);
	g_assert_no_error(err);
	JsonParser *p = json_parser_new();
	g_assert_true(json_parser_load_from_data(p, text, -1, &err));
	g_assert_no_error(err);
	JsonArray *arr = json_node_get_array(json_parser_get_root(p));
	g_assert_cmpuint(json_array_get_length(arr), ==, 2);
	JsonObject *o = json_array_get_object_element(arr, 0);
	g_assert_cmpint(json_object_get_int_member(o, "seq"), ==, 12);
	g_assert_cmpstr(json_object_get_string_member(o, "action"), ==, "ext.add");
	g_assert_cmpstr(json_object_get_string_member(o, "object"), ==, "ext/112");
	g_assert_cmpstr(json_object_get_string_member(o, "detail"), ==, "fields: \"name\"\n");
	g_assert_cmpint(json_object_get_int_member(o, "time"), >, 0);
	g_object_unref(p);
	g_free(text);

	text = bw_audit_query_json(1, NULL, 8, &err);   /* seq 7: detail null */
	g_assert_no_error(err);
	g_assert_nonnull(strstr(text, "\"seq\":7,"));
	g_assert_nonnull(strstr(text, "\"detail\":null}"));
	g_free(text);
	text = bw_audit_query_json(1, "nothing.", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(text, ==, "[]");
	g_free(text);
}

static void test_bad_args(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_null(bw_audit_query(0, NULL, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "limit"));
	g_clear_error(&err);
	g_assert_null(bw_audit_query(BW_AUDIT_QUERY_MAX + 1, NULL, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
	g_assert_null(bw_audit_query(10, NULL, -1, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "before"));
	g_clear_error(&err);
	char *long_prefix = g_strnfill(200, 'a');
	g_assert_null(bw_audit_query_json(10, long_prefix, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
	g_free(long_prefix);
	g_assert_null(bw_audit_query(10, "\xff", 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);

	bw_store_set_system(NULL);
	g_assert_null(bw_audit_query(10, NULL, 0, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_assert_nonnull(strstr(err->message, "not open"));
	g_clear_error(&err);
	bw_store_set_system(f->s);
}

static void tamper(fx *f, const char *sql)
{
	bw_test_audit_tamper(f->path, sql);
}

/* Reading shows what is there; only verify can say it was altered. */
static void test_tampered(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_true(bw_audit_verify(f->s, NULL, &err));
	tamper(f, "UPDATE audit SET actor='nobody' WHERE seq=4; DELETE FROM audit WHERE seq=9;");
	GPtrArray *a = bw_audit_query(100, NULL, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 11);
	g_assert_cmpint(seq_at(a, 3), ==, 8);     /* 12 11 10 8: 9 is gone */
	g_assert_cmpstr(((bw_audit_record *)a->pdata[7])->actor, ==, "nobody");
	g_assert_cmpint(seq_at(a, 7), ==, 4);
	g_ptr_array_unref(a);
	GString *report = g_string_new(NULL);
	g_assert_false(bw_audit_verify(f->s, report, &err));
	g_assert_no_error(err);
	g_assert_nonnull(strstr(report->str, "seq 4: hash does not match"));
	g_assert_nonnull(strstr(report->str, "seq 10: gap"));
	g_string_free(report, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/audit/query/order-limit", fx, NULL, fx_setup, test_order_limit, fx_teardown);
	g_test_add("/audit/query/filter", fx, NULL, fx_setup, test_filter, fx_teardown);
	g_test_add("/audit/query/paging", fx, NULL, fx_setup, test_paging, fx_teardown);
	g_test_add("/audit/query/json", fx, NULL, fx_setup, test_json, fx_teardown);
	g_test_add("/audit/query/bad-args", fx, NULL, fx_setup, test_bad_args, fx_teardown);
	g_test_add("/audit/query/tampered", fx, NULL, fx_setup, test_tampered, fx_teardown);
	return g_test_run();
}
