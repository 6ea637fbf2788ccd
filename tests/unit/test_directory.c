/* The directory: strict JSON parsing with errors naming key and field,
 * bad records skipped with a warning without hiding the good ones, the
 * default routing over it, rebuilds on store changes, and snapshot swaps
 * while other threads read. */
#include "callint.h"
#include "storedb.h"
#include "testutil.h"
#include <string.h>

static const char MD5[] = "0123456789abcdef0123456789abcdef";
static const char SHA[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static bw_extension *parse_ext(const char *number, const char *json, GError **err)
{
	return bw_dir_parse_ext(number, json, strlen(json), err);
}

static void test_ext_good(void)
{
	GError *err = NULL;
	char *json = g_strdup_printf("{\"name\":\"Alice Ö\",\"sip_user\":\"alice\",\"ha1_md5\":\"%s\","
				     "\"ha1_sha256\":\"%s\",\"cor\":\"staff\",\"cos\":\"basic\","
				     "\"srtp\":\"optional\",\"max_contacts\":3}", MD5, SHA);
	bw_extension *e = parse_ext("100", json, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(e->number, ==, "100");
	g_assert_cmpstr(e->name, ==, "Alice Ö");
	g_assert_cmpstr(e->sip_user, ==, "alice");
	g_assert_cmpstr(e->ha1_md5, ==, MD5);
	g_assert_cmpstr(e->ha1_sha256, ==, SHA);
	g_assert_cmpstr(e->cor, ==, "staff");
	g_assert_cmpstr(e->cos, ==, "basic");
	g_assert_cmpint(e->srtp, ==, BW_SRTP_OPTIONAL);
	g_assert_cmpuint(e->max_contacts, ==, 3);
	bw_extension_free(e);
	g_free(json);

	e = parse_ext("200", "{}", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(e->sip_user, ==, "200");
	g_assert_null(e->name);
	g_assert_null(e->ha1_md5);
	g_assert_cmpint(e->srtp, ==, BW_SRTP_MANDATORY);
	g_assert_cmpuint(e->max_contacts, ==, 1);
	bw_extension_free(e);
}

static void expect_bad_ext(const char *number, const char *json, const char *part1,
			   const char *part2)
{
	GError *err = NULL;
	bw_extension *e = parse_ext(number, json, &err);
	g_assert_null(e);
	g_assert_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID);
	if (!strstr(err->message, part1) || (part2 && !strstr(err->message, part2)))
		g_error("message \"%s\" lacks \"%s\"/\"%s\"", err->message, part1,
			part2 ? part2 : "");
	g_error_free(err);
}

static void test_ext_bad(void)
{
	expect_bad_ext("100", "{\"srtp\":\"maybe\"}", "ext/100", "\"srtp\"");
	expect_bad_ext("100", "{\"max_contacts\":0}", "ext/100", "\"max_contacts\"");
	expect_bad_ext("100", "{\"max_contacts\":21}", "ext/100", "from 1 to 20");
	expect_bad_ext("100", "{\"max_contacts\":\"2\"}", "ext/100", "\"max_contacts\"");
	expect_bad_ext("100", "{\"ha1_md5\":\"ABC\"}", "ext/100", "\"ha1_md5\"");
	expect_bad_ext("100", "{\"ha1_sha256\":\"0123\"}", "ext/100", "\"ha1_sha256\"");
	expect_bad_ext("100", "{\"sip_user\":\"a b\"}", "ext/100", "\"sip_user\"");
	expect_bad_ext("100", "{\"sip_user\":7}", "ext/100", "must be a string");
	expect_bad_ext("100", "{\"name\":\"a\\nb\"}", "ext/100", "\"name\"");
	expect_bad_ext("100", "{\"secret\":\"x\"}", "ext/100", "unknown field");
	expect_bad_ext("100", "[1,2]", "ext/100", "JSON object");
	expect_bad_ext("100", "{\"name\":", "ext/100", "not valid JSON");
	expect_bad_ext("10a", "{}", "ext/10a", "1-32 digits");
	expect_bad_ext("123456789012345678901234567890123", "{}", "1-32 digits", NULL);
	char *big = g_strnfill(BW_DIR_RECORD_MAX + 1, ' ');
	expect_bad_ext("100", big, "ext/100", "bound");
	g_free(big);
}

static void test_routes_trunks(void)
{
	GError *err = NULL;
	const char *j = "{\"trunk\":\"prov\",\"strip\":1,\"prepend\":\"+49\"}";
	bw_route_out *r = bw_dir_parse_route("0", j, strlen(j), &err);
	g_assert_no_error(err);
	g_assert_cmpstr(r->trunk, ==, "prov");
	g_assert_cmpuint(r->strip, ==, 1);
	char out[64];
	g_assert_true(bw_route_rewrite(r, "0301234", out, sizeof out));
	g_assert_cmpstr(out, ==, "+49301234");
	r->strip = 9;
	g_assert_false(bw_route_rewrite(r, "0301234", out, sizeof out));
	g_free(r->prefix); g_free(r->trunk); g_free(r->prepend); g_free(r);

	j = "{\"strip\":1}";
	g_assert_null(bw_dir_parse_route("0", j, strlen(j), &err));
	g_assert_nonnull(strstr(err->message, "route/out/0: field \"trunk\": is required"));
	g_clear_error(&err);
	j = "{\"trunk\":\"p\",\"prepend\":\"abc\"}";
	g_assert_null(bw_dir_parse_route("0", j, strlen(j), &err));
	g_assert_nonnull(strstr(err->message, "\"prepend\""));
	g_clear_error(&err);

	j = "{\"extension\":\"100\"}";
	char *ext = bw_dir_parse_did("+4930555", j, strlen(j), &err);
	g_assert_no_error(err);
	g_assert_cmpstr(ext, ==, "100");
	g_free(ext);
	j = "{\"extension\":\"abc\"}";
	g_assert_null(bw_dir_parse_did("555", j, strlen(j), &err));
	g_assert_nonnull(strstr(err->message, "route/did/555: field \"extension\""));
	g_clear_error(&err);

	j = "{\"driver\":\"sip\",\"allow_direct_extensions\":true,\"srtp\":\"off\",\"host\":\"x\"}";
	bw_trunk *t = bw_dir_parse_trunk("prov", j, strlen(j), &err);
	g_assert_no_error(err);
	g_assert_true(t->direct_extensions);
	g_assert_cmpint(t->srtp, ==, BW_SRTP_OFF);
	g_assert_cmpstr(t->json, ==, j);
	g_free(t->name); g_free(t->driver); g_free(t->cor); g_free(t->json); g_free(t);
	j = "{\"allow_direct_extensions\":\"yes\"}";
	g_assert_null(bw_dir_parse_trunk("prov", j, strlen(j), &err));
	g_assert_nonnull(strstr(err->message, "trunk/prov: field \"allow_direct_extensions\""));
	g_clear_error(&err);
}

/* ---- against a store ---- */

typedef struct {
	char *dir;
	bw_store *store;
} fixture;

static void fx_setup(fixture *f, gconstpointer unused)
{
	f->dir = bw_test_tmpdir();
	f->store = bw_test_store_open(f->dir);
}

static void fx_teardown(fixture *f, gconstpointer unused)
{
	bw_directory_stop();
	bw_store_close(f->store);
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

static void test_build_skips_bad(fixture *f, gconstpointer unused)
{
	bw_test_put(f->store, "ext/100", "{\"name\":\"Alice\",\"sip_user\":\"alice\"}");
	bw_test_put(f->store, "ext/101", "{\"srtp\":\"sometimes\"}");
	bw_test_put(f->store, "ext/102", "{\"sip_user\":\"alice\"}");   /* duplicate user */
	bw_test_put(f->store, "ext/103", "{}");
	bw_test_put(f->store, "trunk/prov", "{\"driver\":\"sip\"}");
	bw_test_put(f->store, "trunk/bad", "not json");
	bw_test_put(f->store, "route/out/0", "{\"trunk\":\"prov\",\"strip\":1}");
	bw_test_put(f->store, "route/out/00", "{\"trunk\":\"prov\",\"strip\":2,\"prepend\":\"+\"}");
	bw_test_put(f->store, "route/did/4930555", "{\"extension\":\"103\"}");
	bw_test_put(f->store, "route/ars/plan", "{\"owned\":\"by cor\"}");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*ext/101: field \"srtp\"*");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*ext/102: field \"sip_user\"*already used by ext/100*");
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*trunk/bad: not valid JSON*");
	GError *err = NULL;
	g_assert_true(bw_directory_start(f->store, &err));
	g_assert_no_error(err);
	g_test_assert_expected_messages();

	bw_directory *d = bw_directory_get();
	g_assert_cmpuint(d->skipped, ==, 3);
	g_assert_cmpuint(g_hash_table_size(d->ext), ==, 2);
	g_assert_cmpuint(d->routes->len, ==, 2);
	g_assert_cmpstr(((bw_route_out *)g_ptr_array_index(d->routes, 0))->prefix, ==, "00");
	bw_directory_unref(d);

	bw_extension *e = bw_extension_by_user("alice");
	g_assert_nonnull(e);
	g_assert_cmpstr(e->number, ==, "100");
	bw_extension_free(e);
	g_assert_null(bw_extension_lookup("101"));
	g_assert_null(bw_extension_lookup("999"));
	char *json = bw_trunk_json("prov");
	g_assert_cmpstr(json, ==, "{\"driver\":\"sip\"}");
	g_free(json);
	g_assert_null(bw_trunk_json("bad"));
	char **names = bw_trunk_names();
	g_assert_cmpuint(g_strv_length(names), ==, 1);
	g_assert_cmpstr(names[0], ==, "prov");
	g_strfreev(names);
}

static void route(const bw_directory *d, bw_party_kind kind, const char *id, const char *dialed,
		  guint n, const char *want_id, const char *want_number)
{
	bw_call_attempt a = { .caller = { kind, id, id, NULL, NULL, 0 }, .dialed = dialed };
	gboolean ok = bw_route_default(d, &a, n);
	if (!want_id) {
		g_assert_false(ok);
		return;
	}
	g_assert_true(ok);
	g_assert_cmpstr(a.target.id, ==, want_id);
	g_assert_cmpstr(a.target_number, ==, want_number);
}

static void test_default_routing(fixture *f, gconstpointer unused)
{
	bw_test_put(f->store, "ext/100", "{}");
	bw_test_put(f->store, "ext/103", "{}");
	bw_test_put(f->store, "trunk/prov", "{}");
	bw_test_put(f->store, "trunk/pbx2", "{\"allow_direct_extensions\":true}");
	bw_test_put(f->store, "trunk/backup", "{}");
	bw_test_put(f->store, "route/out/0", "{\"trunk\":\"backup\",\"strip\":1,\"prepend\":\"+49\"}");
	bw_test_put(f->store, "route/out/00", "{\"trunk\":\"prov\",\"strip\":2,\"prepend\":\"+\"}");
	bw_test_put(f->store, "route/out/9", "{\"trunk\":\"gone\"}");
	bw_test_put(f->store, "route/did/4930555", "{\"extension\":\"103\"}");
	GError *err = NULL;
	g_assert_true(bw_directory_start(f->store, &err));
	bw_directory *d = bw_directory_get();
	route(d, BW_PARTY_EXTENSION, "100", "103", 0, "103", "103");
	route(d, BW_PARTY_EXTENSION, "100", "103", 1, NULL, NULL);
	route(d, BW_PARTY_EXTENSION, "100", "0044207", 0, "prov", "+44207");
	route(d, BW_PARTY_EXTENSION, "100", "0044207", 1, "backup", "+49044207");
	route(d, BW_PARTY_EXTENSION, "100", "0044207", 2, NULL, NULL);
	route(d, BW_PARTY_EXTENSION, "100", "555", 0, NULL, NULL);
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*route/out/9*gone*");
	route(d, BW_PARTY_EXTENSION, "100", "912", 0, NULL, NULL);
	g_test_assert_expected_messages();
	route(d, BW_PARTY_TRUNK, "prov", "4930555", 0, "103", "103");
	route(d, BW_PARTY_TRUNK, "prov", "100", 0, NULL, NULL);    /* not direct */
	route(d, BW_PARTY_TRUNK, "pbx2", "100", 0, "100", "100");  /* direct allowed */
	route(d, BW_PARTY_TRUNK, "pbx2", "555", 0, NULL, NULL);
	bw_directory_unref(d);
}

static void wait_generation(guint gen)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (bw_directory_generation() == gen && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
}

static void test_watch_rebuilds(fixture *f, gconstpointer unused)
{
	GError *err = NULL;
	g_assert_true(bw_directory_start(f->store, &err));
	g_assert_null(bw_extension_lookup("300"));
	guint gen = bw_directory_generation();
	bw_test_put(f->store, "ext/300", "{\"name\":\"Carol\"}");
	wait_generation(gen);
	bw_extension *e = bw_extension_lookup("300");
	g_assert_nonnull(e);
	g_assert_cmpstr(e->name, ==, "Carol");
	bw_extension_free(e);
}

static bw_srtp_policy srtp_of(const char *number)
{
	bw_extension *e = bw_extension_lookup(number);
	g_assert_nonnull(e);
	bw_srtp_policy p = e->srtp;
	bw_extension_free(e);
	return p;
}

/* The security options' srtp_default applies at once to extensions that
 * set no policy; an extension's own policy wins; nonsense keeps mandatory. */
static void test_srtp_default(fixture *f, gconstpointer unused)
{
	GError *err = NULL;
	bw_test_put(f->store, "ext/400", "{}");
	bw_test_put(f->store, "ext/401", "{\"srtp\":\"mandatory\"}");
	g_assert_true(bw_directory_start(f->store, &err));
	g_assert_cmpint(srtp_of("400"), ==, BW_SRTP_MANDATORY);
	guint gen = bw_directory_generation();
	bw_test_put(f->store, "config/security", "{\"srtp_default\":\"optional\"}");
	wait_generation(gen);
	g_assert_cmpint(srtp_of("400"), ==, BW_SRTP_OPTIONAL);
	g_assert_cmpint(srtp_of("401"), ==, BW_SRTP_MANDATORY);
	gen = bw_directory_generation();
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*srtp_default*not a policy*");
	bw_test_put(f->store, "config/security", "{\"srtp_default\":\"sometimes\"}");
	wait_generation(gen);
	g_test_assert_expected_messages();
	g_assert_cmpint(srtp_of("400"), ==, BW_SRTP_MANDATORY);
}

/* Readers must always see a whole snapshot: both records of one
 * generation, never one of each. */
typedef struct {
	gint stop;
	gint reads;
	gint torn;
} readers;

static gpointer reader_main(gpointer data)
{
	readers *r = data;
	while (!g_atomic_int_get(&r->stop)) {
		bw_directory *d = bw_directory_get();
		const bw_extension *a = g_hash_table_lookup(d->ext, "1");
		const bw_extension *b = g_hash_table_lookup(d->ext, "2");
		if (a && b && g_strcmp0(a->name, b->name) != 0)
			g_atomic_int_inc(&r->torn);
		g_atomic_int_inc(&r->reads);
		bw_directory_unref(d);
	}
	return NULL;
}

static void test_concurrent_swap(fixture *f, gconstpointer unused)
{
	GError *err = NULL;
	g_assert_true(bw_directory_start(f->store, &err));
	readers r = { 0 };
	GThread *t[4];
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		t[i] = g_thread_new("reader", reader_main, &r);
	for (int gen = 0; gen < 200; gen++) {
		char *json = g_strdup_printf("{\"name\":\"gen%d\"}", gen);
		bw_test_put(f->store, "ext/1", json);
		bw_test_put(f->store, "ext/2", json);
		g_free(json);
		g_assert_true(bw_directory_reload(&err));
	}
	g_atomic_int_set(&r.stop, 1);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		g_thread_join(t[i]);
	g_assert_cmpint(r.reads, >, 0);
	g_assert_cmpint(r.torn, ==, 0);
	bw_extension *e = bw_extension_lookup("2");
	g_assert_cmpstr(e->name, ==, "gen199");
	bw_extension_free(e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/directory/ext/good", test_ext_good);
	g_test_add_func("/directory/ext/bad", test_ext_bad);
	g_test_add_func("/directory/routes-trunks", test_routes_trunks);
	g_test_add("/directory/build/skips-bad", fixture, NULL, fx_setup, test_build_skips_bad,
		   fx_teardown);
	g_test_add("/directory/routing", fixture, NULL, fx_setup, test_default_routing, fx_teardown);
	g_test_add("/directory/watch", fixture, NULL, fx_setup, test_watch_rebuilds, fx_teardown);
	g_test_add("/directory/srtp-default", fixture, NULL, fx_setup, test_srtp_default, fx_teardown);
	g_test_add("/directory/concurrent-swap", fixture, NULL, fx_setup, test_concurrent_swap,
		   fx_teardown);
	return g_test_run();
}
