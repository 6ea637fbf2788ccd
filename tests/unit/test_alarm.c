/* Unit tests of the alarm engine (core/alarm.c, core/alarm-rule.c) with
 * an injected clock, the real bus and a temporary store: thresholds and the
 * sliding window, floods, instance keys, clearing by event and by quiet
 * period, rules from the store (valid, invalid, disabled), the defaults
 * seeded once, no alarm.* feedback, sinks, the bounded history, and the
 * tcp/syslog formats of core/alarm-dest.c. */
#include "alarmint.h"
#include "storedb.h"
#include "testutil.h"
#include <bulwark/metrics.h>
#include <errno.h>
#include <string.h>

typedef struct seen {
	guint64  id, count;
	gboolean active;
	char    *rule, *event, *text;
} seen;

static struct {
	char      *dir;
	bw_store  *store;
	gint64     now;
	GPtrArray *calls;     /* seen* */
} fx;

static gint64 fake_clock(void) { return fx.now; }

static void seen_free(seen *s)
{
	g_free(s->rule);
	g_free(s->event);
	g_free(s->text);
	g_free(s);
}

static void rec_sink(const bw_alarm *a, void *user_data)
{
	seen *s = g_new0(seen, 1);
	g_assert_true(user_data == &fx);
	s->id = a->id;
	s->count = a->count;
	s->active = a->active;
	s->rule = g_strdup(a->rule);
	s->event = g_strdup(a->event);
	s->text = g_strdup(a->text);
	g_ptr_array_add(fx.calls, s);
}

static void put(const char *key, const char *json)
{
	GError *err = NULL;
	g_assert_cmpint(bw_store_put(fx.store, key, json, strlen(json), BW_STORE_ANY, &err), >, 0);
	g_assert_no_error(err);
}

static void drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* Publishes through the bus and waits until the engine has looked at it. */
static void emit(const char *type, const char *key, const char *value)
{
	guint64 before = bw_alarms_events_seen();
	gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;

	bw_event_emit(type, key, value, NULL);
	while (bw_alarms_events_seen() <= before && g_get_monotonic_time() < deadline)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(bw_alarms_events_seen(), >, before);
	drain();
}

/* Synchronous: the same path without the bus (for big loops). */
static void process(const char *type, const char *key, const char *value)
{
	bw_event *ev = bw_event_new(type);
	if (key)
		bw_event_add(ev, key, value);
	bw_alarms_process(ev);
	bw_event_unref(ev);
}

static void setup(gconstpointer rules)
{
	GError *err = NULL;
	char *path;

	fx.dir = bw_test_tmpdir();
	path = g_build_filename(fx.dir, "bulwark.db", NULL);
	fx.store = bw_store_open(path, 0, &err);
	g_assert_no_error(err);
	g_free(path);
	fx.now = G_GINT64_CONSTANT(1800000000) * G_USEC_PER_SEC;
	bw_alarms_set_clock(fake_clock);
	fx.calls = g_ptr_array_new_with_free_func((GDestroyNotify)seen_free);
	/* pairs key, json; NULL: leave the store empty (defaults get seeded) */
	for (const char *const *r = rules; r && *r; r += 2)
		put(r[0], r[1]);
	g_assert_cmpint(bw_alarm_sink_add("rec", rec_sink, &fx), ==, 0);
	g_assert_true(bw_alarms_start(fx.store, &err));
	g_assert_no_error(err);
}

static void teardown(void)
{
	bw_alarms_stop();
	bw_alarm_sink_remove("rec");
	bw_alarms_set_clock(NULL);
	drain();
	bw_store_close(fx.store);
	bw_test_rmtree(fx.dir);
	g_free(fx.dir);
	g_ptr_array_unref(fx.calls);
	memset(&fx, 0, sizeof fx);
}

static seen *call(guint i)
{
	g_assert_cmpuint(i, <, fx.calls->len);
	return g_ptr_array_index(fx.calls, i);
}

static void count_alarm(const bw_alarm *a, void *user_data)
{
	(void)a;
	(*(guint *)user_data)++;
}

static guint n_alarms(gboolean active_only)
{
	guint n = 0;
	bw_alarm_foreach(active_only, count_alarm, &n);
	return n;
}

#define RULE(ev, extra) "{\"event\": \"" ev "\", \"severity\": \"major\", " \
	"\"destinations\": [\"rec\"]" extra "}"

/* ---- thresholds ---- */

static const char *const rules_three[] = {
	"alarm/rule/three", RULE("test.hit", ", \"count\": 3, \"period\": 60"), NULL
};

static void test_threshold(void)
{
	setup(rules_three);
	emit("test.hit", NULL, NULL);
	fx.now += 10 * G_USEC_PER_SEC;
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 0);
	g_assert_cmpuint(bw_alarm_active_count(), ==, 0);
	fx.now += 10 * G_USEC_PER_SEC;
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_true(call(0)->active);
	g_assert_cmpstr(call(0)->rule, ==, "three");
	g_assert_cmpuint(call(0)->count, ==, 3);
	g_assert_cmpuint(bw_alarm_active_count(), ==, 1);
	teardown();
}

static const char *const rules_two[] = {
	"alarm/rule/two", RULE("test.hit", ", \"count\": 2, \"period\": 60"), NULL
};

/* t=0 and t=61 are not within 60 s; t=61 and t=62 are: the window slides. */
static void test_window(void)
{
	setup(rules_two);
	emit("test.hit", NULL, NULL);
	fx.now += 61 * G_USEC_PER_SEC;
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 0);
	emit("test.other", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 0);
	fx.now += 1 * G_USEC_PER_SEC;
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	teardown();
}

static const char *const rules_one[] = {
	"alarm/rule/one", RULE("sip.source.*", ", \"clear_event\": \"sip.unblock\", \"text\": "
			       "\"Source {source} blocked: {reason}\""), NULL
};

static void test_flood(void)
{
	setup(rules_one);
	for (int i = 0; i < 1000; i++)
		process("sip.source.blocked", NULL, NULL);
	emit("sip.source.blocked", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_cmpuint(bw_alarm_active_count(), ==, 1);
	g_assert_cmpuint(n_alarms(FALSE), ==, 1);
	g_assert_cmpint(bw_metric_value(bw_metric_find("alarms.active")), ==, 1);
	teardown();
}

static void find_count(const bw_alarm *a, void *user_data)
{
	*(guint64 *)user_data = a->count;
}

static void test_instances(void)
{
	guint64 count = 0;

	setup(rules_one);
	emit("sip.source.blocked", "source", "192.0.2.1");
	emit("sip.source.blocked", "source", "192.0.2.2");
	emit("sip.source.blocked", "source", "192.0.2.2");
	g_assert_cmpuint(fx.calls->len, ==, 2);
	g_assert_cmpstr(call(0)->text, ==, "Source 192.0.2.1 blocked: -");
	g_assert_cmpstr(call(1)->text, ==, "Source 192.0.2.2 blocked: -");
	g_assert_cmpuint(bw_alarm_active_count(), ==, 2);
	emit("sip.unblock", "source", "192.0.2.2");
	g_assert_cmpuint(fx.calls->len, ==, 3);
	g_assert_false(call(2)->active);
	g_assert_cmpuint(call(2)->id, ==, call(1)->id);
	g_assert_cmpuint(call(2)->count, ==, 2);
	g_assert_cmpuint(bw_alarm_active_count(), ==, 1);
	bw_alarm_foreach(TRUE, find_count, &count);
	g_assert_cmpuint(count, ==, 1);
	/* an unkeyed clear clears every instance of the rule */
	emit("sip.source.blocked", "source", "192.0.2.3");
	emit("sip.unblock", NULL, NULL);
	g_assert_cmpuint(bw_alarm_active_count(), ==, 0);
	g_assert_cmpuint(n_alarms(FALSE), ==, 3);
	teardown();
}

static void test_text_sanitised(void)
{
	setup(rules_one);
	process("sip.source.blocked", "source", "a\nb\tc\x7f");
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_cmpstr(call(0)->text, ==, "Source a?b?c? blocked: -");
	teardown();
}

static const char *const rules_quiet[] = {
	"alarm/rule/quiet", RULE("test.hit", ", \"count\": 2, \"period\": 10, \"clear_after\": 300"), NULL
};

static void test_quiet_and_reraise(void)
{
	setup(rules_quiet);
	emit("test.hit", NULL, NULL);
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	fx.now += 200 * G_USEC_PER_SEC;
	emit("test.hit", NULL, NULL);                 /* bumps: the quiet period restarts */
	fx.now += 299 * G_USEC_PER_SEC;
	bw_alarms_tick();
	g_assert_cmpuint(bw_alarm_active_count(), ==, 1);
	fx.now += 1 * G_USEC_PER_SEC;
	bw_alarms_tick();
	g_assert_cmpuint(bw_alarm_active_count(), ==, 0);
	g_assert_cmpuint(fx.calls->len, ==, 2);
	g_assert_false(call(1)->active);
	g_assert_cmpuint(call(1)->count, ==, 3);
	/* after a clear the window starts empty: one event is not enough */
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 2);
	emit("test.hit", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 3);
	g_assert_true(call(2)->active);
	g_assert_cmpuint(call(2)->id, >, call(0)->id);
	teardown();
}

/* ---- rules from the store ---- */

static void test_rules_from_store(void)
{
	GError *err = NULL;
	GString *desc = g_string_new(NULL);

	setup(rules_one);
	put("alarm/rule/other", RULE("test.x", ", \"count\": 1, \"severity\": \"critical\""));
	drain();   /* the watch recompiles on an idle */
	bw_alarms_describe_rules(desc);
	g_assert_nonnull(strstr(desc->str, "other event=test.x count=1 period=60s severity=critical"));
	g_assert_nonnull(strstr(desc->str, "one event=sip.source.*"));

	/* an invalid record: refused with key and field, old rules stay */
	put("alarm/rule/bad", "{\"event\": \"test.y\", \"count\": 0}");
	g_test_expect_message("alarm", G_LOG_LEVEL_WARNING, "*refused, the 2 rules in force stay*alarm/rule/bad*count*");
	g_test_expect_message("alarm", G_LOG_LEVEL_WARNING, "*refused, the 2 rules in force stay*");
	g_assert_false(bw_alarms_reload(&err));
	g_assert_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "alarm/rule/bad"));
	g_assert_nonnull(strstr(err->message, "\"count\""));
	g_clear_error(&err);
	drain();   /* the watch's own recompile fails the same way */
	g_test_assert_expected_messages();
	emit("test.x", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);

	/* fixed, and the other rule disabled: it no longer matches and its
	 * active alarm clears */
	put("alarm/rule/bad", RULE("test.y", ""));
	put("alarm/rule/other", RULE("test.x", ", \"enabled\": false"));
	drain();
	g_assert_cmpuint(fx.calls->len, ==, 2);
	g_assert_false(call(1)->active);
	emit("test.x", NULL, NULL);
	emit("test.y", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 3);
	g_assert_cmpstr(call(2)->rule, ==, "bad");
	g_string_free(desc, TRUE);
	teardown();
}

static void expect_refused(const char *json, const char *field)
{
	GError *err = NULL;
	bw_alarm_rule *r = bw_alarm_rule_parse("alarm/rule/t", json, strlen(json), &err);
	g_assert_null(r);
	g_assert_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID);
	if (!strstr(err->message, field))
		g_error("message \"%s\" does not name %s", err->message, field);
	g_error_free(err);
}

static void test_rule_parse(void)
{
	GError *err = NULL;
	const char *good = "{\"event\": \"a.*\", \"count\": 5, \"period\": 30, \"severity\": \"minor\", "
			   "\"destinations\": [\"snmp\", \"tcp\"], \"clear_event\": \"a.ok\", "
			   "\"clear_after\": 600, \"text\": \"x {y}\", \"enabled\": true}";
	bw_alarm_rule *r = bw_alarm_rule_parse("alarm/rule/good", good, strlen(good), &err);

	g_assert_no_error(err);
	g_assert_cmpstr(r->name, ==, "good");
	g_assert_cmpuint(r->count, ==, 5);
	g_assert_cmpuint(r->period, ==, 30);
	g_assert_cmpint(r->severity, ==, BW_SEVERITY_MINOR);
	g_assert_cmpstr(r->destinations[1], ==, "tcp");
	g_assert_null(r->destinations[2]);
	g_assert_cmpuint(r->clear_after, ==, 600);
	bw_alarm_rule_free(r);

	expect_refused("{\"event\": \"a.b\", \"colour\": 1}", "\"colour\"");
	expect_refused("{\"count\": 1}", "\"event\"");
	expect_refused("{\"event\": \"alarm.raised\"}", "\"event\"");
	expect_refused("{\"event\": \"a b\"}", "\"event\"");
	expect_refused("{\"event\": \"a.b\", \"count\": 10001}", "\"count\"");
	expect_refused("{\"event\": \"a.b\", \"count\": 1.5}", "\"count\"");
	expect_refused("{\"event\": \"a.b\", \"period\": \"60\"}", "\"period\"");
	expect_refused("{\"event\": \"a.b\", \"severity\": \"cleared\"}", "\"severity\"");
	expect_refused("{\"event\": \"a.b\", \"destinations\": [\"x\", \"x\"]}", "\"destinations\"");
	expect_refused("{\"event\": \"a.b\", \"destinations\": \"snmp\"}", "\"destinations\"");
	expect_refused("{\"event\": \"a.b\", \"text\": \"two\\nlines\"}", "\"text\"");
	expect_refused("{\"event\": \"a.b\", \"enabled\": 1}", "\"enabled\"");
	expect_refused("[1, 2]", "(record)");
	expect_refused("{\"event\": ", "not valid JSON");
	r = bw_alarm_rule_parse("alarm/rule/bad name", "{\"event\": \"a.b\"}", 16, &err);
	g_assert_null(r);
	g_assert_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID);
	g_clear_error(&err);
}

static void test_invalid_at_start(void)
{
	static const char *const rules[] = { "alarm/rule/bad", "{\"event\": 3}", NULL };
	GString *desc = g_string_new(NULL);

	g_test_expect_message("alarm", G_LOG_LEVEL_WARNING, "*starting with none*alarm/rule/bad*\"event\"*");
	setup(rules);   /* starts, logs the refusal, runs without rules */
	g_test_assert_expected_messages();
	bw_alarms_describe_rules(desc);
	g_assert_cmpstr(desc->str, ==, "(no alarm rules)\n");
	g_string_free(desc, TRUE);
	teardown();
}

/* ---- defaults ---- */

static guint n_records(const char *prefix)
{
	GPtrArray *recs = bw_store_list(fx.store, prefix, NULL);
	guint n = recs->len;
	g_ptr_array_unref(recs);
	return n;
}

static void test_seeded_once(void)
{
	GError *err = NULL;
	GString *desc = g_string_new(NULL);
	gint64 rev;
	GPtrArray *audit;

	setup(NULL);
	g_assert_cmpuint(n_records("alarm/rule/"), ==, 11);
	bw_alarms_describe_rules(desc);
	g_assert_nonnull(strstr(desc->str, "sip-source-blocked event=sip.source.blocked count=1 period=60s "
				"severity=major destinations=snmp,email,syslog clear_event=sip.source.unblocked"));
	g_assert_nonnull(strstr(desc->str, "media-srtp-auth-failed event=media.srtp.auth_failed count=20 "
				"period=60s severity=minor"));
	g_assert_nonnull(strstr(desc->str, "cor-fraud-suspected event=cor.fraud.suspected count=1 "
				"period=60s severity=critical"));
	audit = bw_audit_list(fx.store, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(audit->len, ==, 12);   /* 11 rules and the marker */
	g_assert_nonnull(strstr(g_ptr_array_index(audit, 0), "system"));
	g_ptr_array_unref(audit);

	rev = bw_store_revision(fx.store);
	bw_alarms_stop();
	g_assert_true(bw_alarms_start(fx.store, &err));
	g_assert_cmpint(bw_store_revision(fx.store), ==, rev);

	/* an administrator who deletes every rule keeps none after a restart */
	bw_alarms_stop();
	GPtrArray *recs = bw_store_list(fx.store, "alarm/rule/", NULL);
	for (guint i = 0; i < recs->len; i++)
		bw_store_delete(fx.store, ((bw_record *)g_ptr_array_index(recs, i))->key, BW_STORE_ANY, NULL);
	g_ptr_array_unref(recs);
	g_assert_true(bw_alarms_start(fx.store, &err));
	g_assert_cmpuint(n_records("alarm/rule/"), ==, 0);
	g_string_free(desc, TRUE);
	teardown();
}

/* ---- feedback, sinks, history ---- */

static const char *const rules_all[] = {
	"alarm/rule/all", RULE("*", ""), NULL
};

static void test_no_feedback(void)
{
	setup(rules_all);
	emit("alarm.raised", "source", "x");
	emit("alarm.cleared", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 0);
	emit("test.any", NULL, NULL);   /* raises, and publishes alarm.raised */
	drain();
	drain();
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_cmpuint(n_alarms(FALSE), ==, 1);
	teardown();
}

static void other_sink(const bw_alarm *a, void *user_data)
{
	(void)a;
	(*(guint *)user_data)++;
}

static const char *const rules_multi[] = {
	"alarm/rule/multi", "{\"event\": \"test.*\", \"destinations\": [\"rec\", \"other\", \"nowhere\"]}",
	NULL
};

static void test_sinks(void)
{
	guint other = 0;
	bw_metric *undeliverable;
	gint64 before;

	setup(rules_multi);
	undeliverable = bw_metric_find("alarms.undeliverable");
	g_assert_nonnull(undeliverable);
	before = bw_metric_value(undeliverable);
	g_assert_cmpint(bw_alarm_sink_add("rec", rec_sink, &fx), ==, EEXIST);
	g_assert_cmpint(bw_alarm_sink_add("Bad Name", other_sink, &other), ==, EINVAL);
	g_assert_cmpint(bw_alarm_sink_add("x", NULL, NULL), ==, EINVAL);
	g_assert_cmpint(bw_alarm_sink_add("other", other_sink, &other), ==, 0);
	g_test_expect_message("alarm", G_LOG_LEVEL_MESSAGE, "*raised*");
	g_test_expect_message("alarm", G_LOG_LEVEL_WARNING, "*destination \"nowhere\" is not registered*");
	emit("test.a", "module", "m1");
	g_test_assert_expected_messages();
	g_assert_cmpuint(other, ==, 1);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_cmpint(bw_metric_value(undeliverable), ==, before + 1);
	bw_alarm_sink_remove("other");
	g_test_expect_message("alarm", G_LOG_LEVEL_MESSAGE, "*raised*");
	g_test_expect_message("alarm", G_LOG_LEVEL_WARNING, "*destination \"other\" is not registered*");
	emit("test.a", "module", "m2");
	g_test_assert_expected_messages();
	g_assert_cmpuint(other, ==, 1);
	g_assert_cmpuint(fx.calls->len, ==, 2);
	g_assert_cmpint(bw_metric_value(undeliverable), ==, before + 3);
	teardown();
}

static void test_history_bounded(void)
{
	setup(rules_one);
	for (int i = 0; i < BW_ALARM_HISTORY + 50; i++) {
		process("sip.source.blocked", NULL, NULL);
		process("sip.unblock", NULL, NULL);
	}
	process("sip.source.blocked", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 2 * (BW_ALARM_HISTORY + 50) + 1);
	g_assert_cmpuint(n_alarms(TRUE), ==, 1);
	g_assert_cmpuint(n_alarms(FALSE), ==, BW_ALARM_HISTORY + 1);
	teardown();
}

static void newest_first(const bw_alarm *a, void *user_data)
{
	guint64 *last = user_data;
	g_assert_true(*last == 0 || a->id < *last);
	*last = a->id;
}

static void test_order(void)
{
	guint64 last = 0;
	setup(rules_one);
	process("sip.source.blocked", "source", "a");
	process("sip.source.blocked", "source", "b");
	process("sip.unblock", "source", "a");
	process("sip.source.blocked", "source", "c");
	bw_alarm_foreach(FALSE, newest_first, &last);
	g_assert_cmpuint(last, >, 0);
	teardown();
}

static void ignore_event(const bw_event *ev, void *user_data)
{
	(void)ev;
	(void)user_data;
}

static void test_bus_dropped_event(void)
{
	static const char *const rules[] = {
		"alarm/rule/drops", RULE("bus.dropped", ", \"text\": \"{count} dropped\""), NULL
	};
	bw_sub *slow;

	setup(rules);
	/* a subscriber whose queue of 1 overflows */
	slow = bw_bus_subscribe("test.*", NULL, 1, ignore_event, NULL);
	bw_event_emit("test.d", NULL);
	bw_event_emit("test.d", NULL);
	bw_event_emit("test.d", NULL);
	bw_bus_unsubscribe(slow);   /* drops what was queued: counted too */
	fx.now += 5 * G_USEC_PER_SEC;
	bw_alarms_tick();           /* not yet 10 s */
	drain();
	g_assert_cmpuint(fx.calls->len, ==, 0);
	fx.now += 5 * G_USEC_PER_SEC;
	bw_alarms_tick();
	emit("test.sync", NULL, NULL);
	g_assert_cmpuint(fx.calls->len, ==, 1);
	g_assert_cmpstr(call(0)->event, ==, "bus.dropped");
	g_assert_cmpstr(call(0)->text, ==, "3 dropped");
	teardown();
}

/* ---- destination formats ---- */

static void test_formats(void)
{
	bw_alarm a = {
		.id = 3, .rule = "r", .event = "sip.source.blocked", .severity = BW_SEVERITY_MAJOR,
		.active = TRUE, .count = 1, .raised = G_GINT64_CONSTANT(1795341600) * G_USEC_PER_SEC,
		.text = "Source 192.0.2.7 blocked", .source = "pbx",
	};
	char *line = bw_alarm_dest_tcp_line(&a);
	char *msg = bw_alarm_dest_syslog_msg(&a, 16);

	g_assert_cmpstr(line, ==, "2026-11-22T10:00:00Z pbx MAJOR RAISED sip.source.blocked id=3 "
			"count=1 rule=r text=Source 192.0.2.7 blocked");
	/* local0 (16) * 8 + err (3) */
	g_assert_true(g_str_has_prefix(msg, "<131>1 2026-11-22T10:00:00.000000Z pbx bulwarkd "));
	g_assert_nonnull(strstr(msg, " RAISED [alarm@32473 id=\"3\" rule=\"r\" severity=\"major\" count=\"1\"] "
				"RAISED major sip.source.blocked id=3 count=1 Source 192.0.2.7 blocked"));
	g_free(line);
	g_free(msg);
	a.active = FALSE;
	a.severity = BW_SEVERITY_CLEARED;
	a.cleared = a.raised + 60 * G_USEC_PER_SEC;
	line = bw_alarm_dest_tcp_line(&a);
	g_assert_true(g_str_has_prefix(line, "2026-11-22T10:01:00Z pbx CLEARED CLEARED sip.source.blocked id=3"));
	msg = bw_alarm_dest_syslog_msg(&a, 23);
	g_assert_true(g_str_has_prefix(msg, "<189>1 "));   /* local7 * 8 + notice */
	g_free(line);
	g_free(msg);
}

static void test_severity_names(void)
{
	bw_severity s;
	g_assert_cmpstr(bw_severity_name(BW_SEVERITY_CRITICAL), ==, "critical");
	g_assert_cmpstr(bw_severity_name(BW_SEVERITY_WARNING), ==, "warning");
	g_assert_cmpstr(bw_severity_name((bw_severity)42), ==, "unknown");
	g_assert_true(bw_severity_parse("MAJOR", &s));
	g_assert_cmpint(s, ==, BW_SEVERITY_MAJOR);
	g_assert_false(bw_severity_parse("huge", &s));
	g_assert_false(bw_severity_parse(NULL, &s));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/alarm/threshold", test_threshold);
	g_test_add_func("/alarm/window", test_window);
	g_test_add_func("/alarm/flood", test_flood);
	g_test_add_func("/alarm/instances", test_instances);
	g_test_add_func("/alarm/text-sanitised", test_text_sanitised);
	g_test_add_func("/alarm/quiet-and-reraise", test_quiet_and_reraise);
	g_test_add_func("/alarm/rules-from-store", test_rules_from_store);
	g_test_add_func("/alarm/rule-parse", test_rule_parse);
	g_test_add_func("/alarm/invalid-at-start", test_invalid_at_start);
	g_test_add_func("/alarm/seeded-once", test_seeded_once);
	g_test_add_func("/alarm/no-feedback", test_no_feedback);
	g_test_add_func("/alarm/sinks", test_sinks);
	g_test_add_func("/alarm/history-bounded", test_history_bounded);
	g_test_add_func("/alarm/order", test_order);
	g_test_add_func("/alarm/bus-dropped", test_bus_dropped_event);
	g_test_add_func("/alarm/formats", test_formats);
	g_test_add_func("/alarm/severity-names", test_severity_names);
	return g_test_run();
}
