/* The alarm engine (bulwark/alarm.h, alarmint.h): every bus event (but
 * alarm.*) is matched against the compiled rules on the management thread.
 * Per rule and instance key a ring of `count` timestamps is the sliding
 * window: `count` events within `period` raise an alarm; while it is
 * active, matching events only bump its counter. It clears on the rule's
 * clear_event or after clear_after quiet seconds. The instance key is the
 * event's first field among source, module, trunk (docs/alarms.md), so
 * "source A blocked" and "source B blocked" are two alarms.
 * State: rules, windows and sinks are touched on the management thread
 * only; the alarm lists are also read by bw_alarm_foreach from anywhere,
 * so they sit under alarms_lock. Everything is bounded (alarmint.h). */
#define G_LOG_DOMAIN "alarm"
#include "alarmint.h"
#include "storedb.h"
#include <bulwark/metrics.h>
#include <bulwark/module.h>
#include <errno.h>
#include <string.h>

#define KEY_MAX          128
#define DROP_CHECK_US    (10 * G_USEC_PER_SEC)

typedef struct window window;

typedef struct alarm_rec {
	bw_alarm a;
	char    *rule, *event, *text, *source, *key;
	char   **dests;
	gint64   last_seen;          /* engine clock */
	window  *win;                /* while active */
} alarm_rec;

struct window {
	char      *rule, *key;
	gint64    *ring;
	guint      cap, head, len;
	gint64     last_seen;
	alarm_rec *active;
};

typedef struct sink {
	bw_alarm_sink_fn fn;
	void *user_data;
} sink;

static struct {
	bw_store   *store;
	bw_sub     *sub;
	bw_watch   *watch;
	guint       timer, reload_idle;
	GPtrArray  *rules;           /* bw_alarm_rule*, sorted by name */
	GHashTable *rule_by_name;    /* borrowed from rules */
	GHashTable *windows;         /* "rule\nkey" -> window* */
	GHashTable *warned;          /* destination names logged as missing */
	gint64      drop_checked;    /* engine clock */
	guint64     drop_seen;
	gint        suppress_warned;
	gboolean    running;
} eng;

static GMutex     alarms_lock;       /* guards active, history, alarm fields */
static GPtrArray *active;            /* alarm_rec*, raise order */
static GQueue     history;           /* cleared alarm_rec*, newest at head */
static guint64    next_id;
static guint64    events_seen;       /* __atomic */

static GRecMutex  sinks_lock;        /* recursive: a sink may remove itself */
static GHashTable *sinks;            /* name -> sink* */

static bw_alarm_clock_fn clock_fn;

G_DEFINE_QUARK(bw-alarm-error-quark, bw_alarm_error)

static gint64 now_us(void) { return clock_fn ? clock_fn() : g_get_real_time(); }
void bw_alarms_set_clock(bw_alarm_clock_fn now) { clock_fn = now; }
guint64 bw_alarms_events_seen(void) { return __atomic_load_n(&events_seen, __ATOMIC_RELAXED); }

/* ---- severities ---- */

static const char *const severity_names[] = {
	NULL, "cleared", "indeterminate", "critical", "major", "minor", "warning",
};

const char *bw_severity_name(bw_severity s)
{
	return s >= BW_SEVERITY_CLEARED && s <= BW_SEVERITY_WARNING ? severity_names[s] : "unknown";
}

gboolean bw_severity_parse(const char *s, bw_severity *out)
{
	for (int i = BW_SEVERITY_CLEARED; s && i <= BW_SEVERITY_WARNING; i++) {
		if (g_ascii_strcasecmp(s, severity_names[i]) == 0) {
			if (out)
				*out = (bw_severity)i;
			return TRUE;
		}
	}
	return FALSE;
}

/* ---- metrics ---- */

static void metric_add(const char *name, const char *help, gint64 n)
{
	bw_metric_add(bw_metric_counter(name, help), n);
}

static void metric_active_update(void)
{
	guint n = bw_alarm_active_count();
	bw_metric_set(bw_metric_gauge("alarms.active", "alarms active now"), n);
}

/* ---- sinks ---- */

static gboolean sink_name_ok(const char *name)
{
	gsize n = name ? strlen(name) : 0;
	if (n == 0 || n > 32)
		return FALSE;
	for (; *name; name++)
		if (!g_ascii_islower(*name) && !g_ascii_isdigit(*name) && !strchr("_-", *name))
			return FALSE;
	return TRUE;
}

int bw_alarm_sink_add(const char *name, bw_alarm_sink_fn fn, void *user_data)
{
	sink *k;
	int rc = 0;

	if (!fn || !sink_name_ok(name))
		return EINVAL;
	g_rec_mutex_lock(&sinks_lock);
	if (!sinks)
		sinks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (g_hash_table_contains(sinks, name)) {
		rc = EEXIST;
	} else {
		k = g_new(sink, 1);
		k->fn = fn;
		k->user_data = user_data;
		g_hash_table_insert(sinks, g_strdup(name), k);
	}
	g_rec_mutex_unlock(&sinks_lock);
	return rc;
}

void bw_alarm_sink_remove(const char *name)
{
	if (!name)
		return;
	g_rec_mutex_lock(&sinks_lock);
	if (sinks)
		g_hash_table_remove(sinks, name);
	g_rec_mutex_unlock(&sinks_lock);
}

static void deliver_one(const alarm_rec *r, const char *dest)
{
	sink *k;

	g_rec_mutex_lock(&sinks_lock);
	k = sinks ? g_hash_table_lookup(sinks, dest) : NULL;
	if (k)
		k->fn(&r->a, k->user_data);
	g_rec_mutex_unlock(&sinks_lock);
	if (k)
		return;
	metric_add("alarms.undeliverable", "alarm notifications for unregistered destinations", 1);
	if (eng.warned && !g_hash_table_contains(eng.warned, dest)) {
		g_hash_table_add(eng.warned, g_strdup(dest));
		g_warning("alarm %s (rule %s): destination \"%s\" is not registered (module not "
			  "loaded?); skipped, counted in alarms.undeliverable, logged once",
			  r->a.event, r->rule, dest);
	}
}

static void deliver(const alarm_rec *r)
{
	for (char **d = r->dests; d && *d; d++)
		deliver_one(r, *d);
}

static void publish(const alarm_rec *r)
{
	bw_event *ev = bw_event_new(r->a.active ? "alarm.raised" : "alarm.cleared");
	bw_event_addf(ev, "id", "%" G_GUINT64_FORMAT, r->a.id);
	bw_event_add(ev, "rule", r->rule);
	bw_event_add(ev, "event", r->event);
	bw_event_add(ev, "severity", bw_severity_name(r->a.severity));
	bw_event_addf(ev, "count", "%" G_GUINT64_FORMAT, r->a.count);
	if (*r->key)
		bw_event_add(ev, "instance", r->key);
	bw_event_add(ev, "text", r->text);
	bw_event_publish(ev);
}

/* ---- alarm records ---- */

static void rec_free(alarm_rec *r)
{
	g_free(r->rule);
	g_free(r->event);
	g_free(r->text);
	g_free(r->source);
	g_free(r->key);
	g_strfreev(r->dests);
	g_free(r);
}

static alarm_rec *rec_new(const bw_alarm_rule *rule, const bw_event *ev, window *w, gint64 now)
{
	alarm_rec *r = g_new0(alarm_rec, 1);
	const char *sys = bw_system_name();

	r->rule = g_strdup(rule->name);
	r->event = g_strdup(bw_event_type(ev));
	r->text = bw_alarm_rule_text(rule, ev);
	r->source = g_strdup(sys ? sys : "bulwark");
	r->key = g_strdup(w->key);
	r->dests = g_strdupv(rule->destinations);
	r->win = w;
	r->last_seen = now;
	r->a.rule = r->rule;
	r->a.event = r->event;
	r->a.text = r->text;
	r->a.source = r->source;
	r->a.severity = rule->severity;
	r->a.active = TRUE;
	r->a.count = rule->count;
	r->a.raised = now;
	return r;
}

static void raise_alarm(const bw_alarm_rule *rule, const bw_event *ev, window *w, gint64 now)
{
	alarm_rec *r;

	g_mutex_lock(&alarms_lock);
	if (active->len >= BW_ALARM_MAX_ACTIVE) {
		g_mutex_unlock(&alarms_lock);
		metric_add("alarms.suppressed", "raises refused: too many active alarms", 1);
		if (g_atomic_int_compare_and_exchange(&eng.suppress_warned, 0, 1))
			g_warning("alarm rule %s: %d alarms are active, the maximum; further raises "
				  "are counted in alarms.suppressed", rule->name, BW_ALARM_MAX_ACTIVE);
		return;
	}
	r = rec_new(rule, ev, w, now);
	r->a.id = ++next_id;
	g_ptr_array_add(active, r);
	g_mutex_unlock(&alarms_lock);
	w->active = r;
	w->len = 0;
	metric_add("alarms.raised", "alarms raised since start", 1);
	metric_active_update();
	g_message("alarm %" G_GUINT64_FORMAT " raised: %s %s (rule %s): %s", r->a.id,
		  bw_severity_name(r->a.severity), r->event, r->rule, r->text);
	deliver(r);
	publish(r);
}

static void clear_alarm(alarm_rec *r, gint64 now, const char *why)
{
	g_mutex_lock(&alarms_lock);
	g_ptr_array_remove(active, r);
	r->a.active = FALSE;
	r->a.severity = BW_SEVERITY_CLEARED;
	r->a.cleared = now;
	g_queue_push_head(&history, r);
	while (history.length > BW_ALARM_HISTORY)
		rec_free(g_queue_pop_tail(&history));
	g_mutex_unlock(&alarms_lock);
	if (r->win) {
		r->win->active = NULL;
		r->win->len = 0;
		r->win = NULL;
	}
	metric_active_update();
	g_message("alarm %" G_GUINT64_FORMAT " cleared (%s): %s (rule %s)", r->a.id, why,
		  r->event, r->rule);
	/* the history may be trimmed by the next clear, not while we use r */
	deliver(r);
	publish(r);
}

/* ---- windows ---- */

static void window_free(window *w)
{
	g_free(w->rule);
	g_free(w->key);
	g_free(w->ring);
	g_free(w);
}

static void window_resize(window *w, guint cap)
{
	g_free(w->ring);
	w->ring = g_new(gint64, cap);
	w->cap = cap;
	w->head = w->len = 0;
}

/* The least recently used window without an active alarm goes first. */
static gboolean window_evict(void)
{
	GHashTableIter it;
	gpointer k, v;
	gpointer victim = NULL;
	gint64 oldest = G_MAXINT64;

	g_hash_table_iter_init(&it, eng.windows);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		window *w = v;
		if (!w->active && w->last_seen < oldest) {
			oldest = w->last_seen;
			victim = k;
		}
	}
	return victim && g_hash_table_remove(eng.windows, victim);
}

static window *window_get(const bw_alarm_rule *rule, const char *key, gboolean create)
{
	char *id = g_strconcat(rule->name, "\n", key, NULL);
	window *w = g_hash_table_lookup(eng.windows, id);

	if (w || !create) {
		g_free(id);
		return w;
	}
	if (g_hash_table_size(eng.windows) >= BW_ALARM_MAX_INSTANCES && !window_evict()) {
		g_free(id);
		metric_add("alarms.suppressed", "raises refused: too many active alarms", 1);
		return NULL;
	}
	w = g_new0(window, 1);
	w->rule = g_strdup(rule->name);
	w->key = g_strdup(key);
	window_resize(w, rule->count);
	g_hash_table_insert(eng.windows, id, w);
	return w;
}

/* TRUE when `count` timestamps, the newest `now`, fit inside `period`. */
static gboolean window_push(window *w, const bw_alarm_rule *rule, gint64 now)
{
	w->ring[w->head] = now;
	w->head = (w->head + 1) % w->cap;
	if (w->len < w->cap)
		w->len++;
	if (w->len < w->cap)
		return FALSE;
	/* full: head now points at the oldest of the last `count` */
	return now - w->ring[w->head] <= (gint64)rule->period * G_USEC_PER_SEC;
}

/* ---- matching ---- */

static const char *instance_key(const bw_event *ev)
{
	static const char *const fields[] = { "source", "module", "trunk" };
	for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *v = bw_event_get(ev, fields[i]);
		if (v && *v)
			return v;
	}
	return "";
}

static void on_raise_event(const bw_alarm_rule *rule, const bw_event *ev, const char *key, gint64 now)
{
	window *w = window_get(rule, key, TRUE);

	if (!w)
		return;
	w->last_seen = now;
	if (w->active) {
		g_mutex_lock(&alarms_lock);
		w->active->a.count++;
		w->active->last_seen = now;
		g_mutex_unlock(&alarms_lock);
		return;
	}
	if (window_push(w, rule, now))
		raise_alarm(rule, ev, w, now);
}

/* A keyed clear clears its own instance and the rule's unkeyed one; an
 * unkeyed clear clears every instance of the rule. */
static void on_clear_event(const bw_alarm_rule *rule, const char *key, gint64 now)
{
	GPtrArray *hit = g_ptr_array_new();

	g_mutex_lock(&alarms_lock);
	for (guint i = 0; i < active->len; i++) {
		alarm_rec *r = g_ptr_array_index(active, i);
		if (g_str_equal(r->rule, rule->name) && (!*key || !*r->key || g_str_equal(r->key, key)))
			g_ptr_array_add(hit, r);
	}
	g_mutex_unlock(&alarms_lock);
	for (guint i = 0; i < hit->len; i++)
		clear_alarm(g_ptr_array_index(hit, i), now, "clear event");
	g_ptr_array_unref(hit);
}

void bw_alarms_process(const bw_event *ev)
{
	const char *type = bw_event_type(ev);
	char key[KEY_MAX + 1];
	gint64 now;

	__atomic_add_fetch(&events_seen, 1, __ATOMIC_RELAXED);
	if (!eng.running || !type || g_str_has_prefix(type, "alarm."))
		return;
	now = now_us();
	g_strlcpy(key, instance_key(ev), sizeof key);
	for (guint i = 0; i < eng.rules->len; i++) {
		const bw_alarm_rule *r = g_ptr_array_index(eng.rules, i);
		if (!r->enabled)
			continue;
		if (r->clear_match && g_pattern_spec_match_string(r->clear_match, type))
			on_clear_event(r, key, now);
		else if (g_pattern_spec_match_string(r->match, type))
			on_raise_event(r, ev, key, now);
	}
}

static void on_bus_event(const bw_event *ev, void *unused)
{
	(void)unused;
	bw_alarms_process(ev);
}

/* ---- rules ---- */

/* Windows follow their rule; alarms of a rule that is gone or disabled
 * clear, since nothing could clear them any more. */
static void reconcile_windows(void)
{
	GHashTableIter it;
	gpointer v;
	GPtrArray *orphans = g_ptr_array_new();

	g_hash_table_iter_init(&it, eng.windows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		window *w = v;
		const bw_alarm_rule *r = g_hash_table_lookup(eng.rule_by_name, w->rule);
		if (!r || !r->enabled) {
			if (w->active)
				g_ptr_array_add(orphans, w->active);
			continue;
		}
		if (r->count != w->cap)
			window_resize(w, r->count);
	}
	for (guint i = 0; i < orphans->len; i++)
		clear_alarm(g_ptr_array_index(orphans, i), now_us(), "rule removed or disabled");
	g_ptr_array_unref(orphans);
	g_hash_table_iter_init(&it, eng.windows);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const bw_alarm_rule *r = g_hash_table_lookup(eng.rule_by_name, ((window *)v)->rule);
		if (!r || !r->enabled)
			g_hash_table_iter_remove(&it);
	}
}

static void rules_install(GPtrArray *rules)
{
	if (eng.rules)
		g_ptr_array_unref(eng.rules);
	eng.rules = rules;
	g_hash_table_remove_all(eng.rule_by_name);
	for (guint i = 0; i < rules->len; i++) {
		bw_alarm_rule *r = g_ptr_array_index(rules, i);
		g_hash_table_insert(eng.rule_by_name, r->name, r);
	}
	reconcile_windows();
}

gboolean bw_alarms_reload(GError **err)
{
	GPtrArray *rules;

	if (!eng.running) {
		g_set_error_literal(err, BW_ALARM_ERROR, BW_ALARM_ERROR_STATE,
				    "alarm rules: the alarm engine is not running");
		return FALSE;
	}
	rules = bw_alarm_rules_load(eng.store, err);
	if (!rules) {
		g_warning("alarm rules refused, the %u rules in force stay: %s", eng.rules->len,
			  (*err)->message);
		return FALSE;
	}
	rules_install(rules);
	g_info("alarm rules: %u compiled", rules->len);
	return TRUE;
}

void bw_alarms_describe_rules(GString *out)
{
	if (!eng.running || eng.rules->len == 0) {
		g_string_append(out, "(no alarm rules)\n");
		return;
	}
	for (guint i = 0; i < eng.rules->len; i++)
		bw_alarm_rule_describe(g_ptr_array_index(eng.rules, i), out);
}

static gboolean on_reload_idle(gpointer unused)
{
	GError *err = NULL;
	(void)unused;
	eng.reload_idle = 0;
	if (!bw_alarms_reload(&err))
		g_error_free(err);   /* logged by reload */
	return G_SOURCE_REMOVE;
}

/* A store import changes many keys at once: one recompile for them all. */
static void on_store_change(const char *key, GBytes *value, gint64 rev, void *unused)
{
	(void)rev;
	(void)unused;
	if (g_str_has_prefix(key, "alarm/rule/") && !eng.reload_idle)
		eng.reload_idle = g_idle_add(on_reload_idle, NULL);
	else if (g_str_has_prefix(key, "alarm/destination/"))
		bw_alarm_dest_changed(key, value);
}

/* ---- the timer ---- */

static void check_quiet(gint64 now)
{
	GPtrArray *due = g_ptr_array_new();

	g_mutex_lock(&alarms_lock);
	for (guint i = 0; i < active->len; i++) {
		alarm_rec *r = g_ptr_array_index(active, i);
		const bw_alarm_rule *rule = g_hash_table_lookup(eng.rule_by_name, r->rule);
		if (rule && rule->clear_after
		    && now - r->last_seen >= (gint64)rule->clear_after * G_USEC_PER_SEC)
			g_ptr_array_add(due, r);
	}
	g_mutex_unlock(&alarms_lock);
	for (guint i = 0; i < due->len; i++)
		clear_alarm(g_ptr_array_index(due, i), now, "quiet period over");
	g_ptr_array_unref(due);
}

static void check_drops(gint64 now)
{
	bw_bus_stats st;

	if (now - eng.drop_checked < DROP_CHECK_US)
		return;
	eng.drop_checked = now;
	bw_bus_stats_get(&st);
	if (st.dropped > eng.drop_seen) {
		char delta[24];
		g_snprintf(delta, sizeof delta, "%" G_GUINT64_FORMAT, st.dropped - eng.drop_seen);
		eng.drop_seen = st.dropped;
		bw_event_emit("bus.dropped", "count", delta, NULL);
	}
}

void bw_alarms_tick(void)
{
	gint64 now;

	if (!eng.running)
		return;
	now = now_us();
	check_quiet(now);
	check_drops(now);
	bw_metrics_refresh_core(eng.store);
	metric_active_update();
}

static gboolean on_timer(gpointer unused)
{
	(void)unused;
	bw_alarms_tick();
	return G_SOURCE_CONTINUE;
}

/* ---- start, stop ---- */

static void register_metrics(void)
{
	bw_metric_counter("alarms.raised", "alarms raised since start");
	bw_metric_counter("alarms.undeliverable", "alarm notifications for unregistered destinations");
	bw_metric_counter("alarms.suppressed", "raises refused: too many active alarms");
	bw_metric_gauge("alarms.active", "alarms active now");
}

static gboolean start_rules(bw_store *s, GError **err)
{
	GError *e = NULL;
	int seeded = bw_alarm_rules_seed(s, err);
	GPtrArray *rules;

	if (seeded < 0)
		return FALSE;
	if (seeded > 0)
		g_message("alarm rules: %d defaults written to the store", seeded);
	rules = bw_alarm_rules_load(s, &e);
	if (!rules) {
		if (!g_error_matches(e, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID)) {
			g_propagate_error(err, e);
			return FALSE;
		}
		g_warning("alarm rules refused, starting with none: %s", e->message);
		g_error_free(e);
		rules = g_ptr_array_new_with_free_func((GDestroyNotify)bw_alarm_rule_free);
	}
	rules_install(rules);
	return TRUE;
}

gboolean bw_alarms_start(bw_store *s, GError **err)
{
	bw_bus_stats st;

	if (eng.running) {
		g_set_error_literal(err, BW_ALARM_ERROR, BW_ALARM_ERROR_STATE,
				    "alarm engine: already started");
		return FALSE;
	}
	g_return_val_if_fail(s != NULL, FALSE);
	eng.store = s;
	eng.rule_by_name = g_hash_table_new(g_str_hash, g_str_equal);
	eng.windows = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)window_free);
	eng.warned = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_mutex_lock(&alarms_lock);
	if (!active)
		active = g_ptr_array_new();
	g_mutex_unlock(&alarms_lock);
	register_metrics();
	eng.running = TRUE;
	if (!start_rules(s, err)) {
		bw_alarms_stop();
		return FALSE;
	}
	bw_bus_stats_get(&st);
	eng.drop_seen = st.dropped;
	eng.drop_checked = now_us();
	eng.watch = bw_store_watch(s, "alarm/", NULL, on_store_change, NULL);
	eng.sub = bw_bus_subscribe("*", NULL, BW_ALARM_SUB_QUEUE, on_bus_event, NULL);
	eng.timer = g_timeout_add_seconds(1, on_timer, NULL);
	bw_alarm_dest_start(s);
	bw_metrics_refresh_core(s);
	metric_active_update();
	return TRUE;
}

void bw_alarms_stop(void)
{
	if (!eng.store)
		return;
	bw_alarm_dest_stop();
	if (eng.timer)
		g_source_remove(eng.timer);
	if (eng.reload_idle)
		g_source_remove(eng.reload_idle);
	bw_bus_unsubscribe(eng.sub);
	bw_store_unwatch(eng.watch);
	g_mutex_lock(&alarms_lock);
	for (guint i = 0; active && i < active->len; i++)
		rec_free(g_ptr_array_index(active, i));
	if (active)
		g_ptr_array_free(active, TRUE);
	active = NULL;
	g_queue_clear_full(&history, (GDestroyNotify)rec_free);
	g_mutex_unlock(&alarms_lock);
	if (eng.rules)
		g_ptr_array_unref(eng.rules);
	g_hash_table_destroy(eng.rule_by_name);
	g_hash_table_destroy(eng.windows);
	g_hash_table_destroy(eng.warned);
	memset(&eng, 0, sizeof eng);
	metric_active_update();
}

/* ---- reading the alarms ---- */

static gint rec_newest_first(gconstpointer a, gconstpointer b)
{
	guint64 x = (*(alarm_rec *const *)a)->a.id, y = (*(alarm_rec *const *)b)->a.id;
	return x < y ? 1 : x > y ? -1 : 0;
}

static alarm_rec *rec_copy(const alarm_rec *r)
{
	alarm_rec *c = g_new0(alarm_rec, 1);
	c->a = r->a;
	c->rule = g_strdup(r->rule);
	c->event = g_strdup(r->event);
	c->text = g_strdup(r->text);
	c->source = g_strdup(r->source);
	c->key = g_strdup(r->key);
	c->a.rule = c->rule;
	c->a.event = c->event;
	c->a.text = c->text;
	c->a.source = c->source;
	return c;
}

/* The callback runs on copies without the lock: it may call back in. */
void bw_alarm_foreach(gboolean active_only, bw_alarm_fn fn, void *user_data)
{
	GPtrArray *snap = g_ptr_array_new_with_free_func((GDestroyNotify)rec_free);

	g_return_if_fail(fn != NULL);
	g_mutex_lock(&alarms_lock);
	for (guint i = 0; active && i < active->len; i++)
		g_ptr_array_add(snap, rec_copy(g_ptr_array_index(active, i)));
	for (GList *l = active_only ? NULL : history.head; l; l = l->next)
		g_ptr_array_add(snap, rec_copy(l->data));
	g_mutex_unlock(&alarms_lock);
	g_ptr_array_sort(snap, rec_newest_first);
	for (guint i = 0; i < snap->len; i++)
		fn(&((alarm_rec *)g_ptr_array_index(snap, i))->a, user_data);
	g_ptr_array_unref(snap);
}

guint bw_alarm_active_count(void)
{
	guint n;
	g_mutex_lock(&alarms_lock);
	n = active ? active->len : 0;
	g_mutex_unlock(&alarms_lock);
	return n;
}
