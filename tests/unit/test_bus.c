/* Unit tests of the event bus, hooks and service tables (core/bus.c,
 * core/hooks.c, core/service.c). The bus counters are process-wide, so
 * each test compares deltas and leaves no subscriber behind. */
#include <bulwark/bus.h>
#include <bulwark/service.h>
#include "businternal.h"
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000

/* Dispatches everything ready on the default context. Every publisher has
 * returned by then, so a pending event means a ready source: no waiting. */
static void drain_default(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* ---- a collector: records what a subscriber saw, from any thread ---- */
typedef struct {
	GMutex     lock;
	GCond      cond;
	GPtrArray *events;     /* bw_event* (referenced) */
	guint64    count;
	GThread   *thread;     /* where the last callback ran */
	gboolean   keep;
} collector;

static void collector_init(collector *c, gboolean keep)
{
	memset(c, 0, sizeof *c);
	g_mutex_init(&c->lock);
	g_cond_init(&c->cond);
	c->events = g_ptr_array_new_with_free_func((GDestroyNotify)bw_event_unref);
	c->keep = keep;
}

static void collector_clear(collector *c)
{
	g_ptr_array_free(c->events, TRUE);
	g_mutex_clear(&c->lock);
	g_cond_clear(&c->cond);
}

static void collector_cb(const bw_event *ev, void *data)
{
	collector *c = data;
	g_mutex_lock(&c->lock);
	if (c->keep)
		g_ptr_array_add(c->events, bw_event_ref((bw_event *)ev));
	c->count++;
	c->thread = g_thread_self();
	g_cond_broadcast(&c->cond);
	g_mutex_unlock(&c->lock);
}

static gboolean collector_wait(collector *c, guint64 target)
{
	gint64 end = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;
	gboolean ok = TRUE;
	g_mutex_lock(&c->lock);
	while (c->count < target && ok)
		ok = g_cond_wait_until(&c->cond, &c->lock, end);
	ok = c->count >= target;
	g_mutex_unlock(&c->lock);
	return ok;
}

static guint64 field_u64(const bw_event *ev, const char *key)
{
	const char *v = bw_event_get(ev, key);
	g_assert_nonnull(v);
	return g_ascii_strtoull(v, NULL, 10);
}

/* ---- a subscriber living on its own context in its own thread ---- */
typedef struct {
	GMainContext *ctx;
	GThread      *thread;
	bw_sub       *sub;
	const char   *glob;
	guint         queue_max;
	collector    *col;
	gint          quit;
	gint          ready;
	GMutex        lock;
	GCond         cond;
} worker;

static gpointer worker_main(gpointer data)
{
	worker *w = data;
	g_main_context_push_thread_default(w->ctx);
	g_mutex_lock(&w->lock);
	w->sub = bw_bus_subscribe(w->glob, w->ctx, w->queue_max, collector_cb, w->col);
	w->ready = 1;
	g_cond_broadcast(&w->cond);
	g_mutex_unlock(&w->lock);
	while (!g_atomic_int_get(&w->quit))
		g_main_context_iteration(w->ctx, TRUE);
	bw_bus_unsubscribe(w->sub);   /* from the context's own thread */
	g_main_context_pop_thread_default(w->ctx);
	return NULL;
}

static void worker_start(worker *w, const char *glob, guint queue_max, collector *col)
{
	memset(w, 0, sizeof *w);
	g_mutex_init(&w->lock);
	g_cond_init(&w->cond);
	w->ctx = g_main_context_new();
	w->glob = glob;
	w->queue_max = queue_max;
	w->col = col;
	w->thread = g_thread_new("bus-worker", worker_main, w);
	g_mutex_lock(&w->lock);
	while (!w->ready)
		g_cond_wait(&w->cond, &w->lock);
	g_mutex_unlock(&w->lock);
	g_assert_nonnull(w->sub);
}

static void worker_stop(worker *w)
{
	g_atomic_int_set(&w->quit, 1);
	g_main_context_wakeup(w->ctx);
	g_thread_join(w->thread);
	g_main_context_unref(w->ctx);
	g_mutex_clear(&w->lock);
	g_cond_clear(&w->cond);
}

/* ---- events ---- */

static void test_event_fields(void)
{
	bw_event *ev = bw_event_new("call.answered");
	char big[120];

	g_assert_cmpstr(bw_event_type(ev), ==, "call.answered");
	bw_event_add(ev, "caller", "1001");
	bw_event_addf(ev, "n", "%d-%s", 42, "x");
	g_assert_cmpuint(bw_event_nfields(ev), ==, 2);
	g_assert_cmpstr(bw_event_key(ev, 0), ==, "caller");
	g_assert_cmpstr(bw_event_value(ev, 1), ==, "42-x");
	g_assert_cmpstr(bw_event_get(ev, "n"), ==, "42-x");
	g_assert_null(bw_event_get(ev, "missing"));
	g_assert_null(bw_event_key(ev, 2));
	g_assert_cmpuint(bw_event_seq(ev), ==, 0);

	/* beyond the inline storage: strings and offsets move to the heap */
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	for (int i = 0; i < 40; i++) {
		char key[16];
		g_snprintf(key, sizeof key, "k%d", i);
		big[0] = (char)('a' + i % 26);
		bw_event_add(ev, key, big);
	}
	g_assert_cmpuint(bw_event_nfields(ev), ==, 42);
	g_assert_cmpstr(bw_event_get(ev, "caller"), ==, "1001");
	g_assert_cmpstr(bw_event_key(ev, 41), ==, "k39");
	g_assert_cmpuint(strlen(bw_event_value(ev, 41)), ==, sizeof big - 1);
	g_assert_cmpint(bw_event_value(ev, 41)[0], ==, 'a' + 39 % 26);
	g_assert_cmpint(bw_event_value(ev, 2)[0], ==, 'a');
	bw_event_unref(ev);
}

static void test_event_format(void)
{
	bw_event *ev = bw_event_new("sip.auth.failed");
	bw_event *keep;
	char *line;

	bw_event_add(ev, "plain", "abc");
	bw_event_add(ev, "sp", "a b");
	bw_event_add(ev, "q", "say \"hi\"");
	bw_event_add(ev, "nl", "l1\nl2\r\t");
	bw_event_add(ev, "empty", "");
	bw_event_add(ev, "ctl", "\x01z");
	bw_event_add(ev, "eq", "a=b");
	bw_event_add(ev, "bs", "a\\b");
	bw_event_add(ev, "utf8", "h\xc3\xa9");
	bw_event_add(ev, "bad", "\xff\xfe");
	keep = bw_event_ref(ev);
	bw_event_publish(ev);
	g_assert_cmpuint(bw_event_seq(keep), >, 0);
	g_assert_cmpint(bw_event_time(keep), >, 0);
	line = bw_event_format(keep);
	g_assert_null(strchr(line, '\n'));
	g_assert_null(strchr(line, '\r'));
	g_assert_true(g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z "
					   "sip\\.auth\\.failed ", line, 0, 0));
	g_assert_nonnull(strstr(line, " plain=abc "));
	g_assert_nonnull(strstr(line, " sp=\"a b\" "));
	g_assert_nonnull(strstr(line, " q=\"say \\\"hi\\\"\" "));
	g_assert_nonnull(strstr(line, " nl=\"l1\\nl2\\r\\t\" "));
	g_assert_nonnull(strstr(line, " empty=\"\" "));
	g_assert_nonnull(strstr(line, " ctl=\"\\x01z\" "));
	g_assert_nonnull(strstr(line, " eq=\"a=b\" "));
	g_assert_nonnull(strstr(line, " bs=\"a\\\\b\" "));
	g_assert_nonnull(strstr(line, " utf8=h\xc3\xa9 "));
	g_assert_true(g_str_has_suffix(line, " bad=\"\\xff\\xfe\""));
	g_free(line);

	/* published means immutable */
	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*immutable*");
	bw_event_add(keep, "late", "x");
	g_test_assert_expected_messages();
	g_assert_cmpuint(bw_event_nfields(keep), ==, 10);
	bw_event_unref(keep);
}

static void test_event_bad_input(void)
{
	bw_event *ev;
	char *huge;

	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*refused event type*");
	g_assert_null(bw_event_new("has space"));
	g_test_assert_expected_messages();
	bw_event_add(NULL, "k", "v");      /* NULL events are inert */
	bw_event_publish(NULL);

	ev = bw_event_new("x.y");
	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*refused field name*");
	bw_event_add(ev, "a=b", "v");
	g_test_assert_expected_messages();
	huge = g_malloc(70 * 1024);
	memset(huge, 'h', 70 * 1024 - 1);
	huge[70 * 1024 - 1] = '\0';
	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*larger than 64 KiB*");
	bw_event_add(ev, "huge", huge);
	g_test_assert_expected_messages();
	g_free(huge);
	for (int i = 0; i < 100; i++)   /* 64 fields at most, silently after the first */
		bw_event_addf(ev, "f", "%d", i);
	g_assert_cmpuint(bw_event_nfields(ev), ==, 64);
	bw_event_unref(ev);
}

/* ---- subscriptions ---- */

static void test_glob(void)
{
	collector call, auth, all;
	bw_sub *s1, *s2, *s3;
	const char *types[] = { "call.answered", "call.hangup", "sip.auth.failed",
				"sip.auth.Failed", "sip.auth.failedx", "callx", "alarm.raised" };

	collector_init(&call, TRUE);
	collector_init(&auth, TRUE);
	collector_init(&all, FALSE);
	s1 = bw_bus_subscribe("call.*", NULL, 0, collector_cb, &call);
	s2 = bw_bus_subscribe("sip.auth.?ailed", NULL, 0, collector_cb, &auth);
	s3 = bw_bus_subscribe("*", NULL, 0, collector_cb, &all);
	for (guint i = 0; i < G_N_ELEMENTS(types); i++)
		bw_event_emit(types[i], "i", "1", NULL);
	drain_default();
	g_assert_cmpuint(call.count, ==, 2);
	g_assert_cmpstr(bw_event_type(call.events->pdata[0]), ==, "call.answered");
	g_assert_cmpstr(bw_event_type(call.events->pdata[1]), ==, "call.hangup");
	g_assert_cmpuint(auth.count, ==, 2);
	g_assert_cmpstr(bw_event_type(auth.events->pdata[1]), ==, "sip.auth.Failed");
	g_assert_cmpuint(all.count, ==, G_N_ELEMENTS(types));
	g_assert_cmpuint(bw_sub_delivered(s3), ==, G_N_ELEMENTS(types));
	bw_bus_unsubscribe(s1);
	bw_bus_unsubscribe(s2);
	bw_bus_unsubscribe(s3);
	collector_clear(&call);
	collector_clear(&auth);
	collector_clear(&all);
}

static void test_order(void)
{
	const guint n = 5000;
	collector c;
	bw_sub *sub;
	guint64 prev = 0;

	collector_init(&c, TRUE);
	sub = bw_bus_subscribe("seq.*", NULL, n, collector_cb, &c);
	for (guint i = 0; i < n; i++) {
		bw_event *ev = bw_event_new("seq.test");
		bw_event_addf(ev, "i", "%u", i);
		bw_event_publish(ev);
	}
	drain_default();
	g_assert_cmpuint(c.count, ==, n);
	for (guint i = 0; i < n; i++) {
		const bw_event *ev = c.events->pdata[i];
		g_assert_cmpuint(field_u64(ev, "i"), ==, i);
		g_assert_cmpuint(bw_event_seq(ev), >, prev);
		prev = bw_event_seq(ev);
	}
	g_assert_cmpuint(bw_sub_delivered(sub), ==, n);
	g_assert_cmpuint(bw_sub_dropped(sub), ==, 0);
	bw_bus_unsubscribe(sub);
	collector_clear(&c);
}

static void test_thread_context(void)
{
	collector c, main_c;
	worker w;
	bw_sub *other;

	collector_init(&c, TRUE);
	collector_init(&main_c, FALSE);
	worker_start(&w, "thr.*", 0, &c);
	other = bw_bus_subscribe("none.*", NULL, 0, collector_cb, &main_c);
	for (guint i = 0; i < 1000; i++)
		bw_event_emit("thr.ev", "i", (i % 2) ? "odd" : "even", NULL);
	g_assert_true(collector_wait(&c, 1000));
	g_mutex_lock(&c.lock);
	g_assert_true(c.thread == w.thread);
	g_assert_cmpstr(bw_event_get(c.events->pdata[999], "i"), ==, "odd");
	g_mutex_unlock(&c.lock);
	drain_default();
	g_assert_cmpuint(main_c.count, ==, 0);
	worker_stop(&w);
	bw_bus_unsubscribe(other);
	g_assert_cmpuint(c.count, ==, 1000);
	collector_clear(&c);
	collector_clear(&main_c);
}

static void test_overflow(void)
{
	collector c;
	bw_bus_stats before, after;
	bw_sub *sub, *one;
	collector c1;

	collector_init(&c, TRUE);
	collector_init(&c1, TRUE);
	bw_bus_stats_get(&before);
	sub = bw_bus_subscribe("ovf.*", NULL, 8, collector_cb, &c);
	one = bw_bus_subscribe("ovf.*", NULL, 1, collector_cb, &c1);
	for (guint i = 0; i < 20; i++) {
		bw_event *ev = bw_event_new("ovf.ev");
		bw_event_addf(ev, "i", "%u", i);
		bw_event_publish(ev);
	}
	g_assert_cmpuint(bw_sub_dropped(sub), ==, 12);
	g_assert_cmpuint(bw_sub_dropped(one), ==, 19);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.dropped - before.dropped, ==, 12 + 19);
	g_assert_cmpuint(after.published - before.published, ==, 20);
	drain_default();
	g_assert_cmpuint(c.count, ==, 8);
	for (guint i = 0; i < 8; i++)   /* the newest 8, in order */
		g_assert_cmpuint(field_u64(c.events->pdata[i], "i"), ==, 12 + i);
	g_assert_cmpuint(c1.count, ==, 1);
	g_assert_cmpuint(field_u64(c1.events->pdata[0], "i"), ==, 19);
	g_assert_cmpuint(bw_sub_delivered(sub), ==, 8);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.delivered - before.delivered, ==, 9);
	bw_bus_unsubscribe(sub);
	bw_bus_unsubscribe(one);
	collector_clear(&c);
	collector_clear(&c1);
}

/* ---- publishing from 4 threads while a 5th churns subscriptions ---- */
#define LOAD_THREADS 4
#define LOAD_EVENTS  20000

static gpointer load_publisher(gpointer data)
{
	guint t = GPOINTER_TO_UINT(data);
	for (guint i = 0; i < LOAD_EVENTS; i++) {
		bw_event *ev = bw_event_new("load.ev");
		bw_event_addf(ev, "t", "%u", t);
		bw_event_addf(ev, "i", "%u", i);
		bw_event_publish(ev);
	}
	return NULL;
}

static void churn_cb(const bw_event *ev, void *data) { g_atomic_int_inc((gint *)data); }

static gpointer load_churn(gpointer data)
{
	gint *stop = data;
	GMainContext *ctx = g_main_context_new();
	gint hits = 0;
	while (!g_atomic_int_get(stop)) {
		bw_sub *s = bw_bus_subscribe("load.never", ctx, 4, churn_cb, &hits);
		g_main_context_iteration(ctx, FALSE);
		bw_bus_unsubscribe(s);
	}
	g_main_context_unref(ctx);
	g_assert_cmpint(hits, ==, 0);
	return NULL;
}

static void check_per_thread_order(const collector *c)
{
	gint64 last[LOAD_THREADS] = { -1, -1, -1, -1 };
	for (guint k = 0; k < c->events->len; k++) {
		guint64 t = field_u64(c->events->pdata[k], "t");
		gint64 i = (gint64)field_u64(c->events->pdata[k], "i");
		g_assert_cmpuint(t, <, LOAD_THREADS);
		g_assert_cmpint(i, >, last[t]);
		last[t] = i;
	}
}

static void test_load(void)
{
	const guint64 total = (guint64)LOAD_THREADS * LOAD_EVENTS;
	GThread *pub[LOAD_THREADS], *churn;
	collector slow, big;
	bw_bus_stats before, after;
	bw_sub *bigsub;
	worker w;
	gint stop = 0;
	guint64 slow_dropped;

	collector_init(&slow, TRUE);
	collector_init(&big, TRUE);
	bw_bus_stats_get(&before);
	worker_start(&w, "*", 512, &slow);
	bigsub = bw_bus_subscribe("load.*", NULL, (guint)total, collector_cb, &big);
	churn = g_thread_new("churn", load_churn, &stop);
	for (guint t = 0; t < LOAD_THREADS; t++)
		pub[t] = g_thread_new("publisher", load_publisher, GUINT_TO_POINTER(t));
	for (guint t = 0; t < LOAD_THREADS; t++)
		g_thread_join(pub[t]);
	g_atomic_int_set(&stop, 1);
	g_thread_join(churn);

	/* no publisher left: the slow subscriber's drops are final */
	slow_dropped = bw_sub_dropped(w.sub);
	g_assert_true(collector_wait(&slow, total - slow_dropped));
	drain_default();
	g_assert_cmpuint(big.count, ==, total);
	g_assert_cmpuint(bw_sub_dropped(bigsub), ==, 0);
	g_assert_cmpuint(bw_sub_delivered(w.sub) + bw_sub_dropped(w.sub), ==, total);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.published - before.published, ==, total);
	g_assert_cmpuint((after.delivered - before.delivered) +
			 (after.dropped - before.dropped), ==, 2 * total);
	check_per_thread_order(&slow);
	check_per_thread_order(&big);
	g_test_message("slow subscriber dropped %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT,
		       slow_dropped, total);
	worker_stop(&w);
	bw_bus_unsubscribe(bigsub);
	g_assert_cmpuint(slow.count, ==, total - slow_dropped);
	collector_clear(&slow);
	collector_clear(&big);
}

/* ---- unsubscribe ---- */

typedef struct {
	bw_sub *sub;
	guint   calls;
} self_unsub;

static void self_unsub_cb(const bw_event *ev, void *data)
{
	self_unsub *s = data;
	s->calls++;
	bw_bus_unsubscribe(s->sub);
}

static void test_unsubscribe(void)
{
	collector c;
	bw_bus_stats before, after;
	self_unsub s = { 0 };
	bw_sub *sub;

	collector_init(&c, FALSE);
	bw_bus_stats_get(&before);
	sub = bw_bus_subscribe("uns.*", NULL, 0, collector_cb, &c);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.subscribers, ==, before.subscribers + 1);
	for (guint i = 0; i < 5; i++)
		bw_event_emit("uns.ev", NULL);
	bw_bus_unsubscribe(sub);       /* 5 queued, none delivered */
	bw_event_emit("uns.ev", NULL);  /* after: nobody to deliver to */
	drain_default();
	g_assert_cmpuint(c.count, ==, 0);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.dropped - before.dropped, ==, 5);
	g_assert_cmpuint(after.subscribers, ==, before.subscribers);

	/* from inside its own callback: the rest of the batch is not delivered */
	s.sub = bw_bus_subscribe("uns.*", NULL, 0, self_unsub_cb, &s);
	for (guint i = 0; i < 5; i++)
		bw_event_emit("uns.ev", NULL);
	drain_default();
	g_assert_cmpuint(s.calls, ==, 1);
	bw_event_emit("uns.ev", NULL);
	drain_default();
	g_assert_cmpuint(s.calls, ==, 1);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.dropped - before.dropped, ==, 5 + 4);
	g_assert_cmpuint(after.delivered - before.delivered, ==, 1);
	collector_clear(&c);
}

static void test_describe_and_zero(void)
{
	bw_bus_stats before, after;
	GString *out = g_string_new(NULL);
	collector c;
	bw_sub *sub;

	bw_bus_stats_get(&before);
	g_assert_cmpuint(before.subscribers, ==, 0);
	for (guint i = 0; i < 100; i++)
		bw_event_emit("zero.ev", "k", "v", NULL);
	bw_bus_stats_get(&after);
	g_assert_cmpuint(after.published - before.published, ==, 100);
	g_assert_cmpuint(after.delivered, ==, before.delivered);

	collector_init(&c, FALSE);
	sub = bw_bus_subscribe("desc.*", NULL, 16, collector_cb, &c);
	bw_event_emit("desc.ev", "secret", "hunter2", NULL);
	bw_bus_describe(out);
	g_assert_nonnull(strstr(out->str, "bus: published="));
	g_assert_nonnull(strstr(out->str, "subscribers=1"));
	g_assert_nonnull(strstr(out->str, "subscriber desc.* queued=1/16 delivered=0 dropped=0"));
	g_assert_null(strstr(out->str, "hunter2"));
	bw_bus_unsubscribe(sub);
	g_string_free(out, TRUE);
	collector_clear(&c);
}

/* ---- hooks ---- */

typedef struct {
	const char    *name;
	bw_hook_result result;
} hook_spec;

static bw_hook_result trace_hook(void *args, bw_verdict *v, void *data)
{
	hook_spec *s = data;
	g_string_append(args, s->name);
	if (s->result == BW_HOOK_DENY)
		return bw_verdict_deny(v, 488, "barred: %s", s->name);
	return s->result;
}

static void test_hook_order_stop_deny(void)
{
	hook_spec a = { "A", BW_HOOK_CONTINUE }, b = { "B", BW_HOOK_CONTINUE },
		  c = { "C", BW_HOOK_CONTINUE }, d = { "D", BW_HOOK_CONTINUE };
	GString *trace = g_string_new(NULL);
	bw_hook *ha, *hb, *hc, *hd;
	bw_verdict v;

	ha = bw_hook_add("t.order", 10, "mod_a", trace_hook, &a);
	hb = bw_hook_add("t.order", 0, "mod_b", trace_hook, &b);
	hc = bw_hook_add("t.order", 10, "mod_c", trace_hook, &c);
	hd = bw_hook_add("t.order", -5, "mod_d", trace_hook, &d);
	g_assert_cmpint(bw_hook_run("t.order", trace, &v), ==, BW_HOOK_CONTINUE);
	g_assert_cmpstr(trace->str, ==, "DBAC");
	g_assert_cmpstr(v.by, ==, "");

	b.result = BW_HOOK_STOP;
	g_string_truncate(trace, 0);
	g_assert_cmpint(bw_hook_run("t.order", trace, &v), ==, BW_HOOK_STOP);
	g_assert_cmpstr(trace->str, ==, "DB");
	g_assert_cmpstr(v.by, ==, "mod_b");

	b.result = BW_HOOK_CONTINUE;
	a.result = BW_HOOK_DENY;
	g_string_truncate(trace, 0);
	g_assert_cmpint(bw_hook_run("t.order", trace, &v), ==, BW_HOOK_DENY);
	g_assert_cmpstr(trace->str, ==, "DBA");
	g_assert_cmpint(v.code, ==, 488);
	g_assert_cmpstr(v.reason, ==, "barred: A");
	g_assert_cmpstr(v.by, ==, "mod_a");

	g_string_truncate(trace, 0);   /* a NULL verdict is allowed */
	g_assert_cmpint(bw_hook_run("t.order", trace, NULL), ==, BW_HOOK_DENY);

	bw_hook_remove(ha);
	g_string_truncate(trace, 0);
	g_assert_cmpint(bw_hook_run("t.order", trace, &v), ==, BW_HOOK_CONTINUE);
	g_assert_cmpstr(trace->str, ==, "DBC");
	g_assert_cmpint(bw_hook_run("t.nobody", trace, &v), ==, BW_HOOK_CONTINUE);
	bw_hook_remove(hb);
	bw_hook_remove(hc);
	bw_hook_remove(hd);
	g_string_truncate(trace, 0);
	g_assert_cmpint(bw_hook_run("t.order", trace, &v), ==, BW_HOOK_CONTINUE);
	g_assert_cmpstr(trace->str, ==, "");
	g_string_free(trace, TRUE);
}

static bw_hook_result bare_deny(void *args, bw_verdict *v, void *data) { return BW_HOOK_DENY; }
static bw_hook_result bogus(void *args, bw_verdict *v, void *data) { return (bw_hook_result)7; }

static void test_hook_defaults(void)
{
	bw_verdict v;
	bw_hook *h = bw_hook_add("t.def", 0, "mod_x", bare_deny, NULL);

	g_assert_cmpint(bw_hook_run("t.def", NULL, &v), ==, BW_HOOK_DENY);
	g_assert_cmpint(v.code, ==, 403);
	g_assert_cmpstr(v.reason, ==, "denied by mod_x");
	bw_hook_remove(h);

	h = bw_hook_add("t.def", 0, "mod_y", bogus, NULL);   /* fails closed */
	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*mod_y*returned 7*");
	g_assert_cmpint(bw_hook_run("t.def", NULL, &v), ==, BW_HOOK_DENY);
	g_test_assert_expected_messages();
	g_assert_cmpstr(v.by, ==, "mod_y");
	bw_hook_remove(h);
	g_assert_cmpint(bw_verdict_deny(NULL, 403, "x"), ==, BW_HOOK_DENY);
}

typedef struct {
	bw_hook *self;
	guint    calls;
	guint    depth;
} self_hook;

static bw_hook_result self_remove_hook(void *args, bw_verdict *v, void *data)
{
	self_hook *s = data;
	s->calls++;
	bw_hook_remove(s->self);
	return BW_HOOK_CONTINUE;
}

static bw_hook_result recursive_hook(void *args, bw_verdict *v, void *data)
{
	self_hook *s = data;
	s->calls++;
	if (++s->depth < 3)
		bw_hook_run("t.rec", NULL, NULL);
	return BW_HOOK_CONTINUE;
}

static void test_hook_remove_owner_and_reentry(void)
{
	hook_spec a = { "a", BW_HOOK_CONTINUE }, b = { "b", BW_HOOK_CONTINUE };
	GString *trace = g_string_new(NULL);
	self_hook s = { 0 }, r = { 0 };
	bw_hook *keep, *rec;

	bw_hook_add("t.own1", 0, "mod_gone", trace_hook, &a);
	bw_hook_add("t.own2", 0, "mod_gone", trace_hook, &a);
	keep = bw_hook_add("t.own2", 1, "mod_stays", trace_hook, &b);
	bw_hook_remove_owner("mod_gone");
	bw_hook_run("t.own1", trace, NULL);
	bw_hook_run("t.own2", trace, NULL);
	g_assert_cmpstr(trace->str, ==, "b");
	bw_hook_remove(keep);

	s.self = bw_hook_add("t.self", 0, "mod_s", self_remove_hook, &s);
	bw_hook_run("t.self", NULL, NULL);
	bw_hook_run("t.self", NULL, NULL);
	g_assert_cmpuint(s.calls, ==, 1);

	rec = bw_hook_add("t.rec", 0, "mod_r", recursive_hook, &r);
	bw_hook_run("t.rec", NULL, NULL);
	g_assert_cmpuint(r.calls, ==, 3);
	bw_hook_remove(rec);
	g_string_free(trace, TRUE);
}

static bw_hook_result count_hook(void *args, bw_verdict *v, void *data)
{
	g_atomic_int_inc((gint *)data);
	return BW_HOOK_CONTINUE;
}

static gpointer hook_runner(gpointer data)
{
	for (guint i = 0; i < 20000; i++)
		g_assert_cmpint(bw_hook_run("t.conc", NULL, NULL), ==, BW_HOOK_CONTINUE);
	return NULL;
}

/* Runs in two threads while this one adds and removes hooks: once remove
 * has returned, the removed hook's counter must stay frozen even while
 * the other threads keep running the point. */
static void test_hook_concurrent(void)
{
	gint fixed = 0;
	bw_hook *base = bw_hook_add("t.conc", 0, "mod_base", count_hook, &fixed);
	GThread *t1 = g_thread_new("hooks1", hook_runner, NULL);
	GThread *t2 = g_thread_new("hooks2", hook_runner, NULL);

	for (guint i = 0; i < 2000; i++) {
		gint calls = 0, frozen;
		bw_hook *h = bw_hook_add("t.conc", (int)(i % 3) - 1, "mod_churn", count_hook, &calls);
		if (i % 2)
			bw_hook_run("t.conc", NULL, NULL);
		bw_hook_remove(h);
		frozen = g_atomic_int_get(&calls);
		g_assert_cmpint(frozen, >=, (int)(i % 2));
		bw_hook_run("t.conc", NULL, NULL);
		g_assert_cmpint(g_atomic_int_get(&calls), ==, frozen);
	}
	g_thread_join(t1);
	g_thread_join(t2);
	g_assert_cmpint(fixed, ==, 40000 + 1000 + 2000);
	bw_hook_remove(base);
}

/* ---- services ---- */

typedef struct { int (*answer)(void); } svc_v1;
static int answer42(void) { return 42; }

static void test_service(void)
{
	static const svc_v1 t1 = { answer42 }, t2 = { answer42 }, t3 = { answer42 };
	int o1, o2;   /* only their addresses matter: stand-ins for modules */
	bw_module *m1 = (bw_module *)&o1, *m2 = (bw_module *)&o2;
	const svc_v1 *got;

	g_assert_cmpint(bw_service_provide(m1, "t.srtp", 1, &t1), ==, 0);
	g_assert_cmpint(bw_service_provide(m2, "t.srtp", 1, &t2), ==, EEXIST);
	g_assert_cmpint(bw_service_provide(m1, "t.srtp", 2, &t2), ==, 0);
	g_assert_cmpint(bw_service_provide(m2, "t.cor", 1, &t3), ==, 0);
	got = bw_service_lookup("t.srtp", 1);
	g_assert_true(got == &t1);
	g_assert_cmpint(got->answer(), ==, 42);
	g_assert_true(bw_service_lookup("t.srtp", 2) == &t2);
	g_assert_null(bw_service_lookup("t.srtp", 3));
	g_assert_null(bw_service_lookup("t.nope", 1));
	g_assert_null(bw_service_lookup(NULL, 1));

	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*refused service*");
	g_assert_cmpint(bw_service_provide(m1, "bad name", 1, &t1), ==, EINVAL);
	g_test_assert_expected_messages();
	g_test_expect_message("bus", G_LOG_LEVEL_WARNING, "*no table*");
	g_assert_cmpint(bw_service_provide(m1, "t.x", 1, NULL), ==, EINVAL);
	g_test_assert_expected_messages();

	bw_service_withdraw_owner(m1);
	g_assert_null(bw_service_lookup("t.srtp", 1));
	g_assert_null(bw_service_lookup("t.srtp", 2));
	g_assert_true(bw_service_lookup("t.cor", 1) == &t3);
	g_assert_cmpint(bw_service_provide(m2, "t.srtp", 1, &t2), ==, 0);   /* free again */
	g_assert_true(bw_service_lookup("t.srtp", 1) == &t2);
	bw_service_withdraw_owner(m2);
	g_assert_null(bw_service_lookup("t.cor", 1));
	bw_service_withdraw_owner(NULL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/bus/event/fields", test_event_fields);
	g_test_add_func("/bus/event/format", test_event_format);
	g_test_add_func("/bus/event/bad-input", test_event_bad_input);
	g_test_add_func("/bus/sub/glob", test_glob);
	g_test_add_func("/bus/sub/order", test_order);
	g_test_add_func("/bus/sub/thread-context", test_thread_context);
	g_test_add_func("/bus/sub/overflow", test_overflow);
	g_test_add_func("/bus/sub/load", test_load);
	g_test_add_func("/bus/sub/unsubscribe", test_unsubscribe);
	g_test_add_func("/bus/stats/describe-and-zero", test_describe_and_zero);
	g_test_add_func("/bus/hook/order-stop-deny", test_hook_order_stop_deny);
	g_test_add_func("/bus/hook/defaults", test_hook_defaults);
	g_test_add_func("/bus/hook/remove-owner-reentry", test_hook_remove_owner_and_reentry);
	g_test_add_func("/bus/hook/concurrent", test_hook_concurrent);
	g_test_add_func("/bus/service", test_service);
	return g_test_run();
}
