/* The event bus: asynchronous events and synchronous hooks, kept apart.
 *
 * Events are typed "area.name" (e.g. "call.answered"), carry string
 * key/value fields, and are immutable once published. Publishing is
 * thread-safe and never waits for a consumer: each subscriber has its own
 * bounded FIFO drained on the GMainContext it chose; when the FIFO is full
 * the oldest event is dropped and counted. Anything that must never be lost
 * (audit, call records) is written through its own persistence as well.
 *
 * Hooks are named decision points run synchronously in the caller's thread,
 * in ascending priority, until one returns STOP (accept, skip the rest) or
 * DENY (refuse, with a code and reason in the verdict). Each hook point
 * documents the type behind its `args`. */
#ifndef BULWARK_BUS_H
#define BULWARK_BUS_H

#include <glib.h>

G_BEGIN_DECLS

/* ---- events ---- */
typedef struct bw_event bw_event;

/* Build an event; it stays private to the caller until published. */
bw_event   *bw_event_new(const char *type);
void        bw_event_add(bw_event *ev, const char *key, const char *value);
void        bw_event_addf(bw_event *ev, const char *key, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Consumes the caller's reference; stamps time and sequence number. */
void        bw_event_publish(bw_event *ev);
/* Shorthand: bw_event_emit("sip.auth.failed", "source", ip, NULL) */
void        bw_event_emit(const char *type, ...) G_GNUC_NULL_TERMINATED;

bw_event   *bw_event_ref(bw_event *ev);
void        bw_event_unref(bw_event *ev);
const char *bw_event_type(const bw_event *ev);
const char *bw_event_get(const bw_event *ev, const char *key);  /* NULL if absent */
guint       bw_event_nfields(const bw_event *ev);
const char *bw_event_key(const bw_event *ev, guint i);
const char *bw_event_value(const bw_event *ev, guint i);
guint64     bw_event_seq(const bw_event *ev);    /* 1, 2, ... in publish order */
gint64      bw_event_time(const bw_event *ev);   /* g_get_real_time() at publish */
/* One line: "TIME type key=value ..." with values quoted/escaped as needed. */
char       *bw_event_format(const bw_event *ev);

typedef void (*bw_event_fn)(const bw_event *ev, void *user_data);
typedef struct bw_sub bw_sub;

#define BW_BUS_QUEUE_DEFAULT 1024

/* glob: "*" and "?" wildcards ("call.*", "*"). ctx NULL means the
 * management context. queue_max 0 means BW_BUS_QUEUE_DEFAULT. The callback
 * must not keep ev beyond its return without bw_event_ref. */
bw_sub  *bw_bus_subscribe(const char *glob, GMainContext *ctx, guint queue_max,
			  bw_event_fn fn, void *user_data);
/* Call from the subscriber context's thread; no callback runs after return. */
void     bw_bus_unsubscribe(bw_sub *sub);
guint64  bw_sub_dropped(const bw_sub *sub);
guint64  bw_sub_delivered(const bw_sub *sub);

typedef struct bw_bus_stats {
	guint64 published;
	guint64 delivered;
	guint64 dropped;       /* summed over all subscribers, past and present */
	guint   subscribers;
} bw_bus_stats;
void bw_bus_stats_get(bw_bus_stats *out);

/* ---- hooks ---- */
typedef enum {
	BW_HOOK_CONTINUE = 0,
	BW_HOOK_STOP,          /* accept; skip the remaining hooks */
	BW_HOOK_DENY           /* refuse; verdict says why */
} bw_hook_result;

typedef struct bw_verdict {
	int  code;             /* protocol-neutral hint, e.g. 403 */
	char reason[160];      /* shown to the user/peer: no secrets */
	char by[48];           /* owner of the hook that decided */
} bw_verdict;

typedef bw_hook_result (*bw_hook_fn)(void *args, bw_verdict *v, void *user_data);
typedef struct bw_hook bw_hook;

/* Lower priority runs first; equal priorities run in registration order.
 * owner names the module for `by` and diagnostics. */
bw_hook *bw_hook_add(const char *point, int priority, const char *owner,
		     bw_hook_fn fn, void *user_data);
/* Not from inside a hook callback of the same point. */
void     bw_hook_remove(bw_hook *h);
/* Runs the chain; v may be NULL. No hooks means CONTINUE. */
bw_hook_result bw_hook_run(const char *point, void *args, bw_verdict *v);
/* Convenience for callbacks: fills v (if not NULL) and returns BW_HOOK_DENY. */
bw_hook_result bw_verdict_deny(bw_verdict *v, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

G_END_DECLS
#endif
