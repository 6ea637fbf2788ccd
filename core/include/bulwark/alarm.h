/* Alarms: the event tables turn bus events into alarms, and destinations
 * (SNMP traps, e-mail, a TCP receiver, syslog, later phone displays)
 * deliver them.
 *
 * A rule (an event-table row, provisioned in the store under
 * "alarm/rule/NAME") says: when `count` events of type `event` arrive
 * within `period` seconds, raise an alarm of `severity` and send it to the
 * named destinations. While an alarm is active, further matching events
 * only bump its counter: a flood yields one alarm, not thousands. It clears
 * when `clear-event` arrives or after `clear-after` seconds without a
 * matching event, and the clearing is sent to the same destinations.
 *
 * A destination module registers a sink by name in its start() and removes
 * it in its stop(); sinks run on the management thread and must not block
 * (queue and send from a thread of their own). */
#ifndef BULWARK_ALARM_H
#define BULWARK_ALARM_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
	BW_SEVERITY_CLEARED = 1,      /* values as in ITU X.733 / RFC 3877 */
	BW_SEVERITY_INDETERMINATE = 2,
	BW_SEVERITY_CRITICAL = 3,
	BW_SEVERITY_MAJOR = 4,
	BW_SEVERITY_MINOR = 5,
	BW_SEVERITY_WARNING = 6,
} bw_severity;

const char *bw_severity_name(bw_severity s);          /* "major" */
gboolean    bw_severity_parse(const char *s, bw_severity *out);

typedef struct bw_alarm {
	guint64     id;          /* unique while the daemon runs, from 1 */
	const char *rule;        /* the rule's name */
	const char *event;       /* the event type that raised it */
	bw_severity severity;    /* the rule's; BW_SEVERITY_CLEARED once cleared */
	gboolean    active;
	guint64     count;       /* matching events while active */
	gint64      raised;      /* g_get_real_time() */
	gint64      cleared;     /* 0 while active */
	const char *text;        /* one line for people: what, where, why */
	const char *source;      /* the system name */
} bw_alarm;

/* Called once when the alarm is raised and once when it clears
 * (a->active tells which). */
typedef void (*bw_alarm_sink_fn)(const bw_alarm *a, void *user_data);

/* 0, EEXIST (name taken) or EINVAL. */
int  bw_alarm_sink_add(const char *name, bw_alarm_sink_fn fn, void *user_data);
void bw_alarm_sink_remove(const char *name);

/* Active and recently cleared alarms, newest first. The callback sees a
 * consistent snapshot; do not keep the pointers. */
typedef void (*bw_alarm_fn)(const bw_alarm *a, void *user_data);
void  bw_alarm_foreach(gboolean active_only, bw_alarm_fn fn, void *user_data);
guint bw_alarm_active_count(void);

G_END_DECLS
#endif
