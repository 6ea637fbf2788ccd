/* Internal: the alarm engine (event tables) as the daemon, the control
 * socket, the core destinations and the tests see it, beyond the public
 * bulwark/alarm.h and bulwark/metrics.h. Everything here runs on the
 * management thread unless it says otherwise. */
#ifndef BW_ALARMINT_H
#define BW_ALARMINT_H

#include <glib.h>
#include <bulwark/alarm.h>
#include <bulwark/bus.h>
#include <bulwark/store.h>

#define BW_ALARM_ERROR (bw_alarm_error_quark())
GQuark bw_alarm_error_quark(void);
typedef enum {
	BW_ALARM_ERROR_INVALID,     /* a rule or destination record is refused */
	BW_ALARM_ERROR_STORE,       /* the store could not be read or written */
	BW_ALARM_ERROR_STATE,       /* started twice */
} bw_alarm_error;

#define BW_ALARM_HISTORY        200     /* cleared alarms kept in memory */
#define BW_ALARM_MAX_RULES      256
#define BW_ALARM_MAX_ACTIVE     1024    /* more raises are counted, not kept */
#define BW_ALARM_MAX_INSTANCES  4096    /* windows kept per engine */
#define BW_ALARM_SUB_QUEUE      65536

/* Seeds the default rules on first start (audited as "system"), compiles
 * the rules, watches "alarm/", subscribes to every event, registers the
 * core sinks "tcp" and "syslog" and starts the 1-second timer.
 * An invalid stored rule set is logged and leaves the engine with no
 * rules; start fails only when the store cannot be read. */
gboolean bw_alarms_start(bw_store *s, GError **err);
void     bw_alarms_stop(void);

/* ---- for the control socket ---- */
/* One line per compiled rule ("NAME event=... count=N period=Ns ..."). */
void     bw_alarms_describe_rules(GString *out);

/* ---- for tests and benchmarks ---- */
/* The engine's clock in real-time microseconds (default g_get_real_time);
 * NULL restores the default. Windows and quiet periods use it too. */
typedef gint64 (*bw_alarm_clock_fn)(void);
void     bw_alarms_set_clock(bw_alarm_clock_fn now);
/* What the 1-second timer does: metrics, clear_after, the bus drop check
 * (every 10 s of the clock). */
void     bw_alarms_tick(void);
/* Events the engine has looked at (alarm.* included, counted as skipped). */
guint64  bw_alarms_events_seen(void);
/* Compile "alarm/rule/" now (the watch does it on change). */
gboolean bw_alarms_reload(GError **err);
/* Process one event as if it came from the bus (the benchmark's direct
 * path and the tests' synchronous one). */
void     bw_alarms_process(const bw_event *ev);

/* ---- rules (core/alarm-rule.c) ---- */
typedef struct bw_alarm_rule {
	char         *name;
	char         *event;          /* glob */
	GPatternSpec *match;
	guint         count;          /* 1..BW_ALARM_RULE_MAX_COUNT */
	guint         period;         /* seconds */
	bw_severity   severity;
	char        **destinations;   /* NULL-terminated */
	char         *clear_event;    /* glob or NULL */
	GPatternSpec *clear_match;
	guint         clear_after;    /* seconds, 0: never */
	char         *text;           /* template or NULL */
	gboolean      enabled;
} bw_alarm_rule;

#define BW_ALARM_RULE_MAX_COUNT   10000
#define BW_ALARM_RULE_MAX_PERIOD  (7 * 86400)
#define BW_ALARM_RULE_MAX_BYTES   8192

void           bw_alarm_rule_free(bw_alarm_rule *r);
/* Parses one stored rule strictly; the error names the key and the field. */
bw_alarm_rule *bw_alarm_rule_parse(const char *key, const void *data, gsize len,
				   GError **err);
/* GPtrArray of bw_alarm_rule* sorted by name (frees them), or NULL with
 * an error naming the first bad key: never a partial table. */
GPtrArray     *bw_alarm_rules_load(bw_store *s, GError **err);
/* Writes the default rules when no rule and no seed marker exist;
 * returns how many were written (0 when seeded before), -1 on error. */
int            bw_alarm_rules_seed(bw_store *s, GError **err);
/* The rule's text with {field} taken from ev, one line, bounded. */
char          *bw_alarm_rule_text(const bw_alarm_rule *r, const bw_event *ev);
void           bw_alarm_rule_describe(const bw_alarm_rule *r, GString *out);

/* ---- core destinations (core/alarm-dest.c) ---- */
/* Registers the sinks and reads "alarm/destination/tcp|syslog". */
void bw_alarm_dest_start(bw_store *s);
/* A record under "alarm/destination/" changed (value NULL: deleted). */
void bw_alarm_dest_changed(const char *key, GBytes *value);
void bw_alarm_dest_stop(void);
/* The TCP line for an alarm, without the newline (tests). */
char *bw_alarm_dest_tcp_line(const bw_alarm *a);
/* The RFC 5424 message for an alarm (tests). */
char *bw_alarm_dest_syslog_msg(const bw_alarm *a, int facility);

/* ---- metrics (core/metrics.c) ---- */
void bw_metrics_refresh_core(bw_store *s);

#endif
