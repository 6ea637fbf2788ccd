/* Unit tests of the access-log view (modules/webadmin/walog.c) over a real
 * store's audit log: the last 20 failed and successful accesses newest
 * first with "webadmin." left off, changes paged with before until
 * next_before is null (each once, no access among them), blocked logins
 * audited at most 10 a minute, only GET, field errors for bad paging
 * arguments, 503 without a store. */
#include <string.h>
#include "testutil.h"
#include "storedb.h"
#include "webadmin.h"
#include <bulwark/audit.h>

typedef struct fx {
	char     *dir;
	bw_store *s;
} fx;

static void add(fx *f, const char *actor, const char *action, const char *object)
{
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, actor, action, object, NULL, &err), >, 0);
	g_assert_no_error(err);
}

/* 25 failures, 3 logins and a logout, 60 ext.add, a ctl.denied, a daemon.start. */
static void fx_setup(fx *f, gconstpointer data)
{
	f->dir = bw_test_tmpdir();
	f->s = bw_test_store_open(f->dir);
	bw_store_set_system(f->s);
	add(f, "system", "daemon.start", "bulwarkd");
	for (int i = 0; i < 60; i++) {
		char obj[32];
		g_snprintf(obj, sizeof obj, "ext/%d", 1000 + i);
		add(f, "web:admin@192.0.2.1", "ext.add", obj);
		if (i < 25)
			add(f, "web:eve@192.0.2.66", "webadmin.login.failed", "eve");
		if (i % 20 == 0)
			add(f, "web:admin@192.0.2.1", "webadmin.login", "admin");
	}
	add(f, "web:admin@192.0.2.1", "webadmin.logout", "admin");
	add(f, "uid=1000", "ctl.denied", "/run/bulwarkd.sock");
	wa_log_clear();
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_set_system(NULL);
	bw_store_close(f->s);
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

static JsonObject *get(const char *query, guint want, JsonParser **p)
{
	wa_req r = { .method = (char *)"GET", .path = (char *)"/api/audit",
		     .query = (char *)query, .remote = (char *)"127.0.0.1" };
	wa_resp *resp = wa_api_audit(&r);
	g_assert_cmpuint(resp->status, ==, want);
	*p = json_parser_new();
	GError *err = NULL;
	g_assert_true(json_parser_load_from_data(*p, resp->body, -1, &err));
	g_assert_no_error(err);
	wa_resp_free(resp);
	return json_node_get_object(json_parser_get_root(*p));
}

static const char *str_at(JsonArray *a, guint i, const char *m)
{
	return json_object_get_string_member(json_array_get_object_element(a, i), m);
}

static gint64 seq_at(JsonArray *a, guint i)
{
	return json_object_get_int_member(json_array_get_object_element(a, i), "seq");
}

static void test_first_page(fx *f, gconstpointer data)
{
	JsonParser *p = NULL;
	JsonObject *o = get(NULL, 200, &p);
	JsonArray *failed = json_object_get_array_member(o, "failed");
	JsonArray *ok = json_object_get_array_member(o, "successful");
	JsonArray *ch = json_object_get_array_member(o, "changes");
	g_assert_cmpuint(json_array_get_length(failed), ==, WA_ACCESS_KEEP);
	g_assert_cmpstr(str_at(failed, 0, "action"), ==, "ctl.denied");
	g_assert_cmpstr(str_at(failed, 1, "action"), ==, "login.failed");
	g_assert_cmpstr(str_at(failed, 1, "actor"), ==, "web:eve@192.0.2.66");
	for (guint i = 1; i < json_array_get_length(failed); i++)
		g_assert_cmpint(seq_at(failed, i - 1), >, seq_at(failed, i));
	g_assert_cmpuint(json_array_get_length(ok), ==, 4);
	g_assert_cmpstr(str_at(ok, 0, "action"), ==, "logout");
	g_assert_cmpstr(str_at(ok, 1, "action"), ==, "login");
	g_assert_cmpuint(json_array_get_length(ch), ==, 50);
	g_assert_cmpstr(str_at(ch, 0, "action"), ==, "ext.add");
	g_assert_cmpstr(str_at(ch, 0, "object"), ==, "ext/1059");
	g_assert_nonnull(strstr(str_at(ch, 0, "time"), "T"));
	g_assert_true(json_object_get_null_member(json_array_get_object_element(ch, 0), "detail"));
	g_assert_cmpint(json_object_get_int_member(o, "next_before"), >, 0);
	g_object_unref(p);
}

/* Every change once, in order, then next_before null. */
static void test_paging(fx *f, gconstpointer data)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *query = g_strdup("limit=7");
	gint64 prev = G_MAXINT64;
	guint pages = 0;
	for (;;) {
		JsonParser *p = NULL;
		JsonObject *o = get(query, 200, &p);
		g_assert_true(pages == 0 || !json_object_has_member(o, "failed"));
		JsonArray *ch = json_object_get_array_member(o, "changes");
		g_assert_cmpuint(json_array_get_length(ch), <=, 7);
		for (guint i = 0; i < json_array_get_length(ch); i++) {
			const char *act = str_at(ch, i, "action");
			g_assert_true(strcmp(act, "ext.add") == 0 || strcmp(act, "daemon.start") == 0);
			g_assert_cmpint(seq_at(ch, i), <, prev);
			prev = seq_at(ch, i);
			g_assert_true(g_hash_table_add(seen, g_strdup(str_at(ch, i, "object"))));
		}
		pages++;
		g_free(query);
		if (json_object_get_null_member(o, "next_before")) {
			g_object_unref(p);
			break;
		}
		query = g_strdup_printf("limit=7&before=%" G_GINT64_FORMAT,
					json_object_get_int_member(o, "next_before"));
		g_object_unref(p);
		g_assert_cmpuint(pages, <, 20);
	}
	g_assert_cmpuint(g_hash_table_size(seen), ==, 61);
	g_assert_true(g_hash_table_contains(seen, "bulwarkd"));
	g_hash_table_unref(seen);
}

static void test_blocked_rate(fx *f, gconstpointer data)
{
	for (int i = 0; i < 15; i++)
		wa_log_blocked(i % 2 ? "admin" : NULL, "192.0.2.9");
	GError *err = NULL;
	GPtrArray *a = bw_audit_query(100, "webadmin.login.blocked", 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(a->len, ==, 10);
	bw_audit_record *r = a->pdata[0];
	g_assert_cmpstr(r->actor, ==, "web:admin@192.0.2.9");
	g_assert_nonnull(strstr(r->detail, "not recorded"));
	g_ptr_array_unref(a);
	a = bw_audit_query(100, NULL, 0, &err);
	g_assert_cmpint(((bw_audit_record *)a->pdata[0])->seq, ==, 1 + 60 + 25 + 3 + 2 + 10);
	g_ptr_array_unref(a);
	JsonParser *p = NULL;
	JsonObject *o = get(NULL, 200, &p);
	JsonArray *failed = json_object_get_array_member(o, "failed");
	g_assert_cmpstr(str_at(failed, 0, "action"), ==, "login.blocked");
	g_object_unref(p);
}

static void test_bad_requests(fx *f, gconstpointer data)
{
	const char *bad[][2] = { { "before=abc", "before" }, { "before=0", "before" },
				 { "limit=0", "limit" }, { "limit=201", "limit" },
				 { "limit=-1", "limit" }, { "before=99999999999999999999", "before" } };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		JsonParser *p = NULL;
		JsonObject *o = get(bad[i][0], 400, &p);
		g_assert_true(json_object_has_member(json_object_get_object_member(o, "fields"),
						     bad[i][1]));
		g_object_unref(p);
	}
	const char *methods[] = { "POST", "PUT", "DELETE" };
	for (guint i = 0; i < G_N_ELEMENTS(methods); i++) {
		wa_req r = { .method = (char *)methods[i], .path = (char *)"/api/audit" };
		wa_resp *resp = wa_api_audit(&r);
		g_assert_cmpuint(resp->status, ==, 405);
		wa_resp_free(resp);
	}
}

static void test_no_store(void)
{
	wa_req r = { .method = (char *)"GET", .path = (char *)"/api/audit" };
	wa_resp *resp = wa_api_audit(&r);
	g_assert_cmpuint(resp->status, ==, 503);
	g_assert_nonnull(strstr(resp->body, "not open"));
	wa_resp_free(resp);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/walog/first-page", fx, NULL, fx_setup, test_first_page, fx_teardown);
	g_test_add("/walog/paging", fx, NULL, fx_setup, test_paging, fx_teardown);
	g_test_add("/walog/blocked-rate", fx, NULL, fx_setup, test_blocked_rate, fx_teardown);
	g_test_add("/walog/bad-requests", fx, NULL, fx_setup, test_bad_requests, fx_teardown);
	g_test_add_func("/walog/no-store", test_no_store);
	return g_test_run();
}
