/* Read-only views: the dashboard (figures from the metrics registry, so
 * no call state is touched from here, and the call-volume history),
 * modules and their state, alarms.
 *
 * History: calls started per WA_HISTORY_INTERVAL over the last
 * WA_HISTORY_SLOTS intervals (24 hours), counted from call.started events
 * by the event log's subscription (waevents.c) in a ring indexed by
 * interval number, so an old slot is recognised by its number and reads
 * as 0. In memory: it starts empty when the module starts. */
#include "webadmin.h"
#include <bulwark/store.h>
#include <bulwark/alarm.h>
#include <bulwark/metrics.h>
#include <string.h>

static gint64 metric(const char *name)
{
	bw_metric *m = bw_metric_find(name);
	return m ? bw_metric_value(m) : 0;
}

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void add_metric(const bw_metric *m, void *data)
{
	add_int(data, bw_metric_name(m), bw_metric_value(m));
}

static wa_resp *finish(JsonBuilder *b)
{
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

static struct { gint64 interval; guint calls; } history[WA_HISTORY_SLOTS];

void wa_history_note(gint64 t)
{
	gint64 n = t / WA_HISTORY_INTERVAL;
	guint slot = (guint)(n % WA_HISTORY_SLOTS);
	if (t < 0)
		return;
	if (history[slot].interval != n) {
		history[slot].interval = n;
		history[slot].calls = 0;
	}
	history[slot].calls++;
}

void wa_history_clear(void)
{
	memset(history, 0, sizeof history);
}

void wa_history_json(JsonBuilder *b, gint64 now)
{
	gint64 last = now / WA_HISTORY_INTERVAL;
	json_builder_set_member_name(b, "history");
	json_builder_begin_object(b);
	add_int(b, "interval", WA_HISTORY_INTERVAL);
	add_int(b, "end", (last + 1) * WA_HISTORY_INTERVAL);   /* the newest interval's end */
	json_builder_set_member_name(b, "calls");
	json_builder_begin_array(b);
	for (gint64 n = last - WA_HISTORY_SLOTS + 1; n <= last; n++) {
		guint slot = (guint)(n % WA_HISTORY_SLOTS);
		json_builder_add_int_value(b, history[slot].interval == n ? history[slot].calls : 0);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
}

wa_resp *wa_api_dashboard(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	add_int(b, "registrations", metric("sip.registrations"));
	add_int(b, "active_calls", metric("calls.active"));
	add_int(b, "total_calls", metric("calls.total"));
	add_int(b, "active_alarms", bw_alarm_active_count());
	add_int(b, "blocked_sources_sip", metric("sip.blocked_sources"));
	add_int(b, "blocked_sources_web", wa_auth_blocked());
	add_int(b, "sessions", wa_sess_count());
	wa_history_json(b, g_get_real_time() / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "metrics");
	json_builder_begin_object(b);
	bw_metric_foreach(add_metric, b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return finish(b);
}

static void add_module(const char *name, const char *version, const char *state, void *data)
{
	JsonBuilder *b = data;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, "version");
	json_builder_add_string_value(b, version ? version : "");
	json_builder_set_member_name(b, "state");
	json_builder_add_string_value(b, state ? state : "");
	json_builder_end_object(b);
}

wa_resp *wa_api_modules(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "modules");
	json_builder_begin_array(b);
	bw_module_foreach_state(add_module, b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	return finish(b);
}

static void add_alarm(const bw_alarm *a, void *data)
{
	JsonBuilder *b = data;
	json_builder_begin_object(b);
	add_int(b, "id", (gint64)a->id);
	json_builder_set_member_name(b, "rule");
	json_builder_add_string_value(b, a->rule ? a->rule : "");
	json_builder_set_member_name(b, "event");
	json_builder_add_string_value(b, a->event ? a->event : "");
	json_builder_set_member_name(b, "severity");
	json_builder_add_string_value(b, bw_severity_name(a->severity));
	json_builder_set_member_name(b, "active");
	json_builder_add_boolean_value(b, a->active);
	add_int(b, "count", (gint64)a->count);
	add_int(b, "raised", a->raised / G_USEC_PER_SEC);
	add_int(b, "cleared", a->cleared / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "text");
	json_builder_add_string_value(b, a->text ? a->text : "");
	json_builder_end_object(b);
}

wa_resp *wa_api_alarms(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "alarms");
	json_builder_begin_array(b);
	bw_alarm_foreach(FALSE, add_alarm, b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	return finish(b);
}

wa_resp *wa_resp_record_list(const char *prefix, const char *member, wa_record_view add)
{
	return wa_resp_record_list_more(prefix, member, add, NULL);
}

wa_resp *wa_resp_record_list_more(const char *prefix, const char *member, wa_record_view add,
				  void (*more)(JsonBuilder *b))
{
	GError *err = NULL;
	GPtrArray *all = bw_store_list(bw_store_system(), prefix, &err);
	if (!all) {
		wa_resp *r = wa_resp_error1(409, NULL, err->message);
		g_error_free(err);
		return r;
	}
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (guint i = 0; i < all->len; i++)
		add(b, all->pdata[i]);
	json_builder_end_array(b);
	if (more)
		more(b);
	json_builder_end_object(b);
	g_ptr_array_unref(all);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}
