/* The snapshot of loader and alarm state the agent serves. The module
 * and alarm tables are only safe to read on the management thread, so
 * that thread builds an immutable copy (every second and whenever an
 * alarm changes) and swaps it in under a mutex; the agent thread takes a
 * reference and never waits for the management loop. Bounded: at most
 * SNMP_MODULE_ROWS_MAX modules and SNMP_ALARM_ROWS_MAX alarms. */
#define G_LOG_DOMAIN "snmp"
#include <string.h>
#include "snmpint.h"

static GMutex snap_lock;
static snmp_snap *snap_current;

char *snmp_text_dup(const char *s)
{
	const char *end;

	if (s == NULL)
		return g_strdup("");
	if (strlen(s) <= SNMP_TEXT_MAX)
		return g_strdup(s);
	end = s + SNMP_TEXT_MAX;
	/* cut before a UTF-8 continuation byte, never inside a character */
	while (end > s && ((guchar)*end & 0xC0) == 0x80)
		end--;
	return g_strndup(s, (gsize)(end - s));
}

static void module_row_free(gpointer p)
{
	snmp_module_row *r = p;
	g_free(r->name);
	g_free(r->version);
	g_free(r->state);
	g_free(r);
}

void snmp_alarm_row_free(gpointer p)
{
	snmp_alarm_row *r = p;
	if (r == NULL)
		return;
	g_free(r->rule);
	g_free(r->event);
	g_free(r->text);
	g_free(r);
}

snmp_alarm_row *snmp_alarm_row_copy(const bw_alarm *a)
{
	snmp_alarm_row *r = g_new0(snmp_alarm_row, 1);

	r->id = (guint32)a->id;
	r->rule = snmp_text_dup(a->rule);
	r->event = snmp_text_dup(a->event);
	r->text = snmp_text_dup(a->text);
	r->severity = a->active ? (int)a->severity : BW_SEVERITY_CLEARED;
	r->count = a->count > G_MAXUINT32 ? G_MAXUINT32 : (guint32)a->count;
	r->raised = a->raised;
	return r;
}

static void snap_free(gpointer p)
{
	snmp_snap *s = p;
	g_ptr_array_unref(s->modules);
	g_ptr_array_unref(s->alarms);
}

void snmp_snap_unref(snmp_snap *s)
{
	if (s != NULL)
		g_atomic_rc_box_release_full(s, snap_free);
}

static void add_module(const char *name, const char *version, const char *state,
		       void *user_data)
{
	GPtrArray *rows = user_data;
	snmp_module_row *r;

	if (rows->len >= SNMP_MODULE_ROWS_MAX)
		return;
	r = g_new0(snmp_module_row, 1);
	r->index = rows->len + 1;
	r->name = snmp_text_dup(name);
	r->version = snmp_text_dup(version);
	r->state = snmp_text_dup(state);
	g_ptr_array_add(rows, r);
}

static void add_alarm(const bw_alarm *a, void *user_data)
{
	GPtrArray *rows = user_data;

	if (rows->len < SNMP_ALARM_ROWS_MAX && a->active)
		g_ptr_array_add(rows, snmp_alarm_row_copy(a));
}

static gint alarm_cmp(gconstpointer a, gconstpointer b)
{
	const snmp_alarm_row *x = *(snmp_alarm_row *const *)a;
	const snmp_alarm_row *y = *(snmp_alarm_row *const *)b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void snmp_snap_refresh(void)
{
	snmp_snap *s = g_atomic_rc_box_new0(snmp_snap);
	snmp_snap *old;

	s->modules = g_ptr_array_new_with_free_func(module_row_free);
	s->alarms = g_ptr_array_new_with_free_func(snmp_alarm_row_free);
	bw_module_foreach_state(add_module, s->modules);
	bw_alarm_foreach(TRUE, add_alarm, s->alarms);
	g_ptr_array_sort(s->alarms, alarm_cmp);
	g_mutex_lock(&snap_lock);
	old = snap_current;
	snap_current = s;
	g_mutex_unlock(&snap_lock);
	snmp_snap_unref(old);
}

snmp_snap *snmp_snap_get(void)
{
	snmp_snap *s = NULL;

	g_mutex_lock(&snap_lock);
	if (snap_current != NULL)
		s = g_atomic_rc_box_acquire(snap_current);
	g_mutex_unlock(&snap_lock);
	return s;
}

void snmp_snap_clear(void)
{
	snmp_snap *old;

	g_mutex_lock(&snap_lock);
	old = snap_current;
	snap_current = NULL;
	g_mutex_unlock(&snap_lock);
	snmp_snap_unref(old);
}

gint64 snmp_metric(const char *name)
{
	const bw_metric *m = bw_metric_find(name);
	return m ? bw_metric_value(m) : 0;
}
