/* Benchmark of the event bus and hooks. Prints one line:
 *   bench bus: events_1sub_per_s=... events_4sub_per_s=... events_16sub_per_s=...
 *              hooks_1_per_s=... hooks_4_per_s=... hooks_16_per_s=... dropped=...
 * events_N: one publisher thread publishes for about a second to N
 * subscribers, each draining its own GMainContext in its own thread; the
 * figure is deliveries per second, counted exactly once everything is
 * delivered or dropped. hooks_N: bw_hook_run calls per second on one point
 * with N hooks that all continue. Figures only: no pass/fail on time. */
#include <bulwark/bus.h>
#include <stdio.h>
#include <stdlib.h>

#define RUN_USEC   G_USEC_PER_SEC
#define MAX_SUBS   16
#define DRAIN_USEC (30 * G_USEC_PER_SEC)

typedef struct {
	GMainContext *ctx;
	GThread      *thread;
	bw_sub       *sub;
	guint64       seen;      /* written by the subscriber's thread only */
	gint          quit;
} bench_sub;

static void bench_sub_cb(const bw_event *ev, void *data)
{
	((bench_sub *)data)->seen++;
}

static gpointer bench_sub_main(gpointer data)
{
	bench_sub *s = data;
	while (!g_atomic_int_get(&s->quit))
		g_main_context_iteration(s->ctx, TRUE);
	bw_bus_unsubscribe(s->sub);   /* from the context's own thread */
	return NULL;
}

static guint64 bench_publish_for(guint64 usec)
{
	gint64 end = g_get_monotonic_time() + (gint64)usec;
	guint64 n = 0;
	do {
		for (guint i = 0; i < 256; i++, n++) {
			bw_event *ev = bw_event_new("bench.event");
			bw_event_add(ev, "source", "192.0.2.7");
			bw_event_addf(ev, "n", "%" G_GUINT64_FORMAT, n);
			bw_event_publish(ev);
		}
	} while (g_get_monotonic_time() < end);
	return n;
}

/* Every published event is either delivered or dropped once publishing
 * stops; wait for that, bounded so a bug cannot hang the benchmark. */
static gboolean bench_drained(bench_sub *subs, guint n, guint64 published)
{
	gint64 end = g_get_monotonic_time() + DRAIN_USEC;
	for (guint i = 0; i < n; i++)
		while (bw_sub_delivered(subs[i].sub) + bw_sub_dropped(subs[i].sub) < published)
			if (g_get_monotonic_time() > end)
				return FALSE;
			else
				g_usleep(200);
	return TRUE;
}

static double bench_events(guint n, guint64 *dropped)
{
	bench_sub subs[MAX_SUBS] = { { 0 } };
	guint64 published, delivered = 0;
	gint64 t0, t1;

	for (guint i = 0; i < n; i++) {
		subs[i].ctx = g_main_context_new();
		subs[i].sub = bw_bus_subscribe("bench.*", subs[i].ctx, 0, bench_sub_cb, &subs[i]);
		subs[i].thread = g_thread_new("bench-sub", bench_sub_main, &subs[i]);
	}
	t0 = g_get_monotonic_time();
	published = bench_publish_for(RUN_USEC);
	if (!bench_drained(subs, n, published)) {
		fprintf(stderr, "bench_bus: %u subscribers did not drain %" G_GUINT64_FORMAT
			" events within %d s\n", n, published, (int)(DRAIN_USEC / G_USEC_PER_SEC));
		exit(1);
	}
	t1 = g_get_monotonic_time();
	for (guint i = 0; i < n; i++) {
		guint64 d = bw_sub_delivered(subs[i].sub);
		delivered += d;
		*dropped += bw_sub_dropped(subs[i].sub);
		g_atomic_int_set(&subs[i].quit, 1);
		g_main_context_wakeup(subs[i].ctx);
		g_thread_join(subs[i].thread);   /* unsubscribes: sub is gone */
		g_main_context_unref(subs[i].ctx);
		if (subs[i].seen != d) {
			fprintf(stderr, "bench_bus: subscriber %u saw %" G_GUINT64_FORMAT
				" events, its counter says %" G_GUINT64_FORMAT "\n", i, subs[i].seen, d);
			exit(1);
		}
	}
	return (double)delivered * G_USEC_PER_SEC / (double)(t1 - t0);
}

static bw_hook_result bench_hook(void *args, bw_verdict *v, void *data)
{
	(*(guint64 *)args)++;
	return BW_HOOK_CONTINUE;
}

static double bench_hooks(guint n)
{
	bw_hook *hooks[MAX_SUBS];
	char point[32];
	guint64 runs = 0, calls = 0;
	gint64 t0, t1, end;

	g_snprintf(point, sizeof point, "bench.hooks%u", n);
	for (guint i = 0; i < n; i++)
		hooks[i] = bw_hook_add(point, (int)(i % 4), "bench", bench_hook, NULL);
	t0 = g_get_monotonic_time();
	end = t0 + RUN_USEC;
	do {
		for (guint i = 0; i < 1024; i++, runs++)
			bw_hook_run(point, &calls, NULL);
	} while ((t1 = g_get_monotonic_time()) < end);
	for (guint i = 0; i < n; i++)
		bw_hook_remove(hooks[i]);
	if (calls != runs * n) {
		fprintf(stderr, "bench_bus: %u hooks ran %" G_GUINT64_FORMAT " times for %"
			G_GUINT64_FORMAT " runs\n", n, calls, runs);
		exit(1);
	}
	return (double)runs * G_USEC_PER_SEC / (double)(t1 - t0);
}

int main(void)
{
	guint64 dropped = 0;
	double e1 = bench_events(1, &dropped);
	double e4 = bench_events(4, &dropped);
	double e16 = bench_events(16, &dropped);
	double h1 = bench_hooks(1), h4 = bench_hooks(4), h16 = bench_hooks(16);

	printf("bench bus: events_1sub_per_s=%.0f events_4sub_per_s=%.0f "
	       "events_16sub_per_s=%.0f hooks_1_per_s=%.0f hooks_4_per_s=%.0f "
	       "hooks_16_per_s=%.0f dropped=%" G_GUINT64_FORMAT "\n",
	       e1, e4, e16, h1, h4, h16, dropped);
	return 0;
}
