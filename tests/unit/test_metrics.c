/* Unit tests of the metrics registry (core/metrics.c): names, kinds,
 * idempotent registration, atomic updates from several threads, sorted
 * iteration, the 1024 bound, and the core metrics refresh. */
#include "alarmint.h"
#include "storedb.h"
#include "testutil.h"
#include <bulwark/metrics.h>
#include <string.h>

static void test_names(void)
{
	static const char *const bad[] = {
		"", "nodot", ".a", "a.", "a..b", "Upper.case", "sp ace.x", "a.b\n", "a/b.c",
	};
	char *longname = g_strnfill(200, 'a');

	longname[5] = '.';
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_test_expect_message("metrics", G_LOG_LEVEL_WARNING, "*refused*");
		g_assert_null(bw_metric_counter(bad[i], "x"));
		g_test_assert_expected_messages();
	}
	g_test_expect_message("metrics", G_LOG_LEVEL_WARNING, "*refused*");
	g_assert_null(bw_metric_gauge(longname, "x"));
	g_test_assert_expected_messages();
	g_test_expect_message("metrics", G_LOG_LEVEL_WARNING, "*refused*");
	g_assert_null(bw_metric_counter(NULL, "x"));
	g_test_assert_expected_messages();
	g_assert_nonnull(bw_metric_counter("sip.registrations_2-x", NULL));
	g_free(longname);
}

static void test_kinds(void)
{
	bw_metric *c = bw_metric_counter("test.counter", "a counter\nwith a newline");
	bw_metric *g = bw_metric_gauge("test.gauge", "a gauge");

	g_assert_nonnull(c);
	g_assert_true(bw_metric_counter("test.counter", "other help") == c);
	g_assert_true(bw_metric_find("test.counter") == c);
	g_assert_null(bw_metric_find("test.absent"));
	g_test_expect_message("metrics", G_LOG_LEVEL_WARNING, "*already registered as a counter*");
	g_assert_null(bw_metric_gauge("test.counter", NULL));
	g_test_assert_expected_messages();
	g_assert_cmpstr(bw_metric_name(c), ==, "test.counter");
	g_assert_cmpstr(bw_metric_help(c), ==, "a counter with a newline");
	g_assert_cmpint(bw_metric_get_kind(c), ==, BW_METRIC_COUNTER);
	g_assert_cmpint(bw_metric_get_kind(g), ==, BW_METRIC_GAUGE);
	bw_metric_add(c, 5);
	bw_metric_add(c, -3);          /* counters never go down */
	bw_metric_add(c, 2);
	g_assert_cmpint(bw_metric_value(c), ==, 7);
	bw_metric_set(g, 42);
	bw_metric_set(g, -1);
	g_assert_cmpint(bw_metric_value(g), ==, -1);
	bw_metric_add(NULL, 1);        /* NULL from a refused name is harmless */
	g_assert_cmpint(bw_metric_value(NULL), ==, 0);
}

#define THREADS 4
#define ADDS    100000

static gpointer adder(gpointer m)
{
	for (int i = 0; i < ADDS; i++)
		bw_metric_add(m, 1);
	return NULL;
}

static void test_threads(void)
{
	bw_metric *m = bw_metric_counter("test.threads", NULL);
	GThread *t[THREADS];

	for (int i = 0; i < THREADS; i++)
		t[i] = g_thread_new("adder", adder, m);
	for (int i = 0; i < THREADS; i++)
		g_thread_join(t[i]);
	g_assert_cmpint(bw_metric_value(m), ==, (gint64)THREADS * ADDS);
}

static void collect(const bw_metric *m, void *user_data)
{
	g_ptr_array_add(user_data, (gpointer)bw_metric_name(m));
}

static void test_foreach_sorted(void)
{
	GPtrArray *names = g_ptr_array_new();

	bw_metric_counter("zz.last", NULL);
	bw_metric_counter("aa.first", NULL);
	bw_metric_foreach(collect, names);
	g_assert_cmpuint(names->len, >=, 2);
	g_assert_cmpstr(g_ptr_array_index(names, 0), ==, "aa.first");
	g_assert_cmpstr(g_ptr_array_index(names, names->len - 1), ==, "zz.last");
	for (guint i = 1; i < names->len; i++)
		g_assert_cmpint(strcmp(g_ptr_array_index(names, i - 1), g_ptr_array_index(names, i)), <, 0);
	g_ptr_array_unref(names);
}

static void count_modules(const char *name, const char *version, const char *state, void *n)
{
	(void)name;
	(void)version;
	(void)state;
	(*(guint *)n)++;
}

static void test_core_refresh(void)
{
	GError *err = NULL;
	char *dir = bw_test_tmpdir();
	char *path = g_build_filename(dir, "bulwark.db", NULL);
	bw_store *s = bw_store_open(path, 0, &err);
	bw_bus_stats st;
	guint mods = 0;

	g_assert_no_error(err);
	bw_store_put(s, "x/y", "1", 1, BW_STORE_ANY, &err);
	g_assert_no_error(err);
	bw_event_emit("test.refresh", NULL);
	bw_metrics_refresh_core(s);
	bw_bus_stats_get(&st);
	g_assert_cmpint(bw_metric_value(bw_metric_find("bus.published")), ==, (gint64)st.published);
	g_assert_cmpint(bw_metric_value(bw_metric_find("bus.published")), >=, 1);
	g_assert_nonnull(bw_metric_find("bus.delivered"));
	g_assert_nonnull(bw_metric_find("bus.dropped"));
	g_assert_nonnull(bw_metric_find("core.uptime_seconds"));
	g_assert_cmpint(bw_metric_value(bw_metric_find("store.revision")), ==, bw_store_revision(s));
	bw_module_foreach_state(count_modules, &mods);
	g_assert_cmpuint(mods, ==, 0);     /* no loader in this process */
	bw_store_close(s);
	bw_test_rmtree(dir);
	g_free(dir);
	g_free(path);
}

/* Last: it fills the registry. */
static void test_bound(void)
{
	guint made = 0;
	char name[32];

	/* warned once, at the first refusal */
	g_test_expect_message("metrics", G_LOG_LEVEL_WARNING, "*maximum of 1024*");
	for (int i = 0; i < 1100; i++) {
		g_snprintf(name, sizeof name, "fill.m%04d", i);
		if (bw_metric_gauge(name, NULL))
			made++;
	}
	g_test_assert_expected_messages();
	g_assert_cmpuint(made, <, 1100);
	g_assert_nonnull(bw_metric_find("test.counter"));   /* old ones still there */
	g_assert_nonnull(bw_metric_counter("test.counter", NULL));
	g_assert_null(bw_metric_find("fill.m1099"));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/metrics/names", test_names);
	g_test_add_func("/metrics/kinds", test_kinds);
	g_test_add_func("/metrics/threads", test_threads);
	g_test_add_func("/metrics/foreach-sorted", test_foreach_sorted);
	g_test_add_func("/metrics/core-refresh", test_core_refresh);
	g_test_add_func("/metrics/bound", test_bound);
	return g_test_run();
}
