/* Benchmark: events per second through the event tables. The default
 * rules plus one bench rule (5 in 60 s, keyed by source); N events, half
 * matching over SOURCES instances, half matching nothing, published on the
 * real bus in batches and drained. Checks exact counts (every event seen,
 * one alarm per instance, one sink call each) and prints one line:
 * bench alarms-engine: events_per_s=... events=... alarms=...
 * Exit 1 only when a count is wrong; time is a figure, never a verdict. */
#include "alarmint.h"
#include "storedb.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#define EVENTS   400000
#define BATCH    10000
#define SOURCES  100

static guint sink_calls;

static void count_sink(const bw_alarm *a, void *unused)
{
	(void)a;
	(void)unused;
	sink_calls++;
}

static void drain_until(guint64 seen)
{
	while (bw_alarms_events_seen() < seen)
		g_main_context_iteration(NULL, TRUE);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

static gboolean setup_rules(bw_store *s, GError **err)
{
	static const char rule[] = "{\"event\": \"bench.hit\", \"count\": 5, \"period\": 60, "
				   "\"severity\": \"minor\", \"destinations\": [\"bench\"]}";
	if (!bw_alarms_start(s, err))
		return FALSE;
	if (bw_store_put(s, "alarm/rule/bench", rule, strlen(rule), BW_STORE_ANY, err) <= 0)
		return FALSE;
	return bw_alarms_reload(err);
}

static gboolean run(bw_store *s)
{
	GError *err = NULL;
	char src[32];
	guint64 base;
	gint64 t0, t1;
	guint alarms;

	if (!setup_rules(s, &err)) {
		fprintf(stderr, "bench alarms-engine: setup failed: %s\n", err->message);
		g_error_free(err);
		return FALSE;
	}
	bw_alarm_sink_add("bench", count_sink, NULL);
	base = bw_alarms_events_seen();
	t0 = g_get_monotonic_time();
	for (guint i = 0; i < EVENTS; i += BATCH) {
		for (guint j = i; j < i + BATCH; j++) {
			if (j % 2) {
				bw_event_emit("bench.miss", "source", "198.51.100.1", NULL);
				continue;
			}
			g_snprintf(src, sizeof src, "10.0.0.%u", (j / 2) % SOURCES);
			bw_event_emit("bench.hit", "source", src, NULL);
		}
		/* the engine also sees its own alarm.raised events */
		drain_until(base + i + BATCH + sink_calls);
	}
	t1 = g_get_monotonic_time();
	alarms = bw_alarm_active_count();
	drain_until(base + EVENTS + sink_calls);
	printf("bench alarms-engine: events_per_s=%.0f events=%u alarms=%u\n",
	       EVENTS / ((double)(t1 - t0) / G_USEC_PER_SEC), EVENTS, alarms);
	bw_alarm_sink_remove("bench");
	if (bw_alarms_events_seen() - base != (guint64)EVENTS + sink_calls || alarms != SOURCES
	    || sink_calls != SOURCES) {
		fprintf(stderr, "bench alarms-engine: wrong counts: seen %" G_GUINT64_FORMAT
			" of %u events (+%u alarm events), %u alarms and %u sink calls, want %u\n",
			bw_alarms_events_seen() - base, EVENTS, sink_calls, alarms, sink_calls, SOURCES);
		return FALSE;
	}
	return TRUE;
}

/* The store leaves files beside its database (WAL, audit head): all go. */
static void remove_files(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d))) {
		char *f = g_build_filename(dir, name, NULL);
		g_unlink(f);
		g_free(f);
	}
	if (d)
		g_dir_close(d);
}

/* The engine logs every raise: 100 lines would bury the one summary line. */
static GLogWriterOutput quiet_writer(GLogLevelFlags level, const GLogField *fields,
				     gsize n, gpointer unused)
{
	if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG))
		return G_LOG_WRITER_HANDLED;
	return g_log_writer_default(level, fields, n, unused);
}

int main(void)
{
	GError *err = NULL;
	char *dir;
	char *path;
	bw_store *s;
	gboolean ok;

	g_log_set_writer_func(quiet_writer, NULL, NULL);
	dir = g_dir_make_tmp("bwbench-XXXXXX", &err);
	if (!dir) {
		fprintf(stderr, "bench alarms-engine: %s\n", err->message);
		return 1;
	}
	path = g_build_filename(dir, "bulwark.db", NULL);
	s = bw_store_open(path, 0, &err);
	if (!s) {
		fprintf(stderr, "bench alarms-engine: cannot open a store in %s: %s\n", dir, err->message);
		return 1;
	}
	ok = run(s);
	bw_alarms_stop();
	bw_store_close(s);
	remove_files(dir);
	g_free(path);
	g_rmdir(dir);
	g_free(dir);
	return ok ? 0 : 1;
}
