/* Named counters and gauges that modules keep and the core exposes
 * (bulwarkctl metrics, SNMP, the WebAdmin dashboard). A metric lives as
 * long as the process: get it once (bw_metric_counter/gauge are idempotent:
 * the same name returns the same metric) and update it from any thread
 * with atomics, so updating costs nothing on hot paths.
 * Names are "area.name" in lower case ("sip.registrations", "calls.active").
 * Well-known names other parts rely on are listed in docs/metrics.md. */
#ifndef BULWARK_METRICS_H
#define BULWARK_METRICS_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct bw_metric bw_metric;
typedef enum { BW_METRIC_COUNTER, BW_METRIC_GAUGE } bw_metric_kind;

/* NULL only for an invalid name (or over the 1024-metric bound). A name
 * first registered as the other kind returns NULL too. */
bw_metric *bw_metric_counter(const char *name, const char *help);
bw_metric *bw_metric_gauge(const char *name, const char *help);

void   bw_metric_add(bw_metric *m, gint64 delta);   /* counters: delta >= 0 */
void   bw_metric_set(bw_metric *m, gint64 value);   /* gauges */
gint64 bw_metric_value(const bw_metric *m);

/* A registered metric by name, or NULL. */
bw_metric  *bw_metric_find(const char *name);
const char *bw_metric_name(const bw_metric *m);
const char *bw_metric_help(const bw_metric *m);
bw_metric_kind bw_metric_get_kind(const bw_metric *m);

/* Every metric, sorted by name. */
typedef void (*bw_metric_fn)(const bw_metric *m, void *user_data);
void bw_metric_foreach(bw_metric_fn fn, void *user_data);

/* Modules as the loader sees them, in start order (for status views). */
typedef void (*bw_module_state_fn)(const char *name, const char *version,
				   const char *state, void *user_data);
void bw_module_foreach_state(bw_module_state_fn fn, void *user_data);

G_END_DECLS
#endif
