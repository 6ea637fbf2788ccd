/* Metrics (bulwark/metrics.h): a process-wide registry of named counters
 * and gauges. Registration and lookup take a mutex; values are gint64
 * updated with atomics, so hot paths never lock. At most BW_METRICS_MAX
 * metrics; a metric is never freed (modules keep the pointer). Also the
 * core's own metrics (bus, uptime, store revision), refreshed by the alarm
 * engine's 1-second timer through bw_metrics_refresh_core (alarmint.h). */
#define G_LOG_DOMAIN "metrics"
#include "alarmint.h"
#include "loader.h"
#include <bulwark/bus.h>
#include <bulwark/metrics.h>
#include <string.h>

#define BW_METRICS_MAX      1024
#define BW_METRIC_NAME_MAX  128
#define BW_METRIC_HELP_MAX  256

struct bw_metric {
	char          *name;
	char          *help;
	bw_metric_kind kind;
	gint64         value;      /* __atomic only */
};

static GMutex      metrics_lock;
static GHashTable *metrics;    /* name -> bw_metric*, never shrinks */
static gint        metrics_warned_full;
static gint64      metrics_started;   /* monotonic, first core refresh */

/* "area.name": lower-case letters, digits, '_' and '-', dot-separated
 * non-empty parts, at least two of them. */
static gboolean bw_metric_name_valid(const char *name)
{
	gsize n;
	if (!name || (n = strlen(name)) == 0 || n > BW_METRIC_NAME_MAX)
		return FALSE;
	if (name[0] == '.' || name[n - 1] == '.' || strstr(name, "..") || !strchr(name, '.'))
		return FALSE;
	for (const char *c = name; *c; c++)
		if (!(g_ascii_islower(*c) || g_ascii_isdigit(*c) || strchr("._-", *c)))
			return FALSE;
	return TRUE;
}

/* One line of printable ASCII, bounded: help texts end up in SNMP and UIs. */
static char *bw_metric_help_clean(const char *help)
{
	char *h = g_strndup(help ? help : "", BW_METRIC_HELP_MAX);
	for (char *c = h; *c; c++)
		if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
			*c = ' ';
	return h;
}

static bw_metric *bw_metric_register(const char *name, const char *help, bw_metric_kind kind)
{
	bw_metric *m;

	if (!bw_metric_name_valid(name)) {
		g_warning("metric \"%.64s\" refused: want lower-case \"area.name\" of at most %d "
			  "characters [a-z0-9_-.]", name ? name : "(null)", BW_METRIC_NAME_MAX);
		return NULL;
	}
	g_mutex_lock(&metrics_lock);
	if (!metrics)
		metrics = g_hash_table_new(g_str_hash, g_str_equal);
	m = g_hash_table_lookup(metrics, name);
	if (m && m->kind != kind) {
		g_mutex_unlock(&metrics_lock);
		g_warning("metric %s refused: already registered as a %s", name,
			  m->kind == BW_METRIC_COUNTER ? "counter" : "gauge");
		return NULL;
	}
	if (!m && g_hash_table_size(metrics) >= BW_METRICS_MAX) {
		g_mutex_unlock(&metrics_lock);
		if (g_atomic_int_compare_and_exchange(&metrics_warned_full, 0, 1))
			g_warning("metric %s refused: the registry holds its maximum of %d metrics",
				  name, BW_METRICS_MAX);
		return NULL;
	}
	if (!m) {
		m = g_new0(bw_metric, 1);
		m->name = g_strdup(name);
		m->help = bw_metric_help_clean(help);
		m->kind = kind;
		g_hash_table_insert(metrics, m->name, m);
	}
	g_mutex_unlock(&metrics_lock);
	return m;
}

bw_metric *bw_metric_counter(const char *name, const char *help)
{
	return bw_metric_register(name, help, BW_METRIC_COUNTER);
}

bw_metric *bw_metric_gauge(const char *name, const char *help)
{
	return bw_metric_register(name, help, BW_METRIC_GAUGE);
}

void bw_metric_add(bw_metric *m, gint64 delta)
{
	if (m && delta > 0)
		__atomic_add_fetch(&m->value, delta, __ATOMIC_RELAXED);
}

void bw_metric_set(bw_metric *m, gint64 value)
{
	if (m)
		__atomic_store_n(&m->value, value, __ATOMIC_RELAXED);
}

gint64 bw_metric_value(const bw_metric *m)
{
	return m ? __atomic_load_n(&m->value, __ATOMIC_RELAXED) : 0;
}

bw_metric *bw_metric_find(const char *name)
{
	bw_metric *m = NULL;
	if (!name)
		return NULL;
	g_mutex_lock(&metrics_lock);
	if (metrics)
		m = g_hash_table_lookup(metrics, name);
	g_mutex_unlock(&metrics_lock);
	return m;
}

const char *bw_metric_name(const bw_metric *m) { return m ? m->name : NULL; }
const char *bw_metric_help(const bw_metric *m) { return m ? m->help : NULL; }
bw_metric_kind bw_metric_get_kind(const bw_metric *m) { return m ? m->kind : BW_METRIC_COUNTER; }

static gint bw_metric_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp((*(bw_metric *const *)a)->name, (*(bw_metric *const *)b)->name);
}

/* The callback runs without the lock, so it may register metrics itself. */
void bw_metric_foreach(bw_metric_fn fn, void *user_data)
{
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	g_return_if_fail(fn != NULL);
	g_mutex_lock(&metrics_lock);
	if (metrics) {
		g_hash_table_iter_init(&it, metrics);
		while (g_hash_table_iter_next(&it, NULL, &v))
			g_ptr_array_add(all, v);
	}
	g_mutex_unlock(&metrics_lock);
	g_ptr_array_sort(all, bw_metric_cmp);
	for (guint i = 0; i < all->len; i++)
		fn(g_ptr_array_index(all, i), user_data);
	g_ptr_array_unref(all);
}

void bw_module_foreach_state(bw_module_state_fn fn, void *user_data)
{
	GPtrArray *mods;

	g_return_if_fail(fn != NULL);
	mods = bw_loader_list();
	for (guint i = 0; i < mods->len; i++) {
		bw_module_info *m = g_ptr_array_index(mods, i);
		fn(m->name, m->version ? m->version : "", m->state ? m->state : "unknown", user_data);
	}
	g_ptr_array_unref(mods);
}

/* ---- the core's own metrics ---- */

void bw_metrics_refresh_core(bw_store *s)
{
	bw_bus_stats st;

	if (metrics_started == 0)
		metrics_started = g_get_monotonic_time();
	bw_bus_stats_get(&st);
	bw_metric_set(bw_metric_counter("bus.published", "events published on the bus"),
		      (gint64)st.published);
	bw_metric_set(bw_metric_counter("bus.delivered", "events delivered to subscribers"),
		      (gint64)st.delivered);
	bw_metric_set(bw_metric_counter("bus.dropped", "events dropped by full subscriber queues"),
		      (gint64)st.dropped);
	bw_metric_set(bw_metric_gauge("core.uptime_seconds", "seconds since the core started"),
		      (g_get_monotonic_time() - metrics_started) / G_USEC_PER_SEC);
	if (s)
		bw_metric_set(bw_metric_gauge("store.revision", "the system store's revision"),
			      bw_store_revision(s));
}
