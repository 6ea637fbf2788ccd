/* What GET /api/audit shows: the last 20 failed and 20 successful
 * accesses and the changes made (newest 1000), kept in memory since the
 * module started. The durable, tamper-evident copy is the audit log
 * (every entry here was also written with bw_audit_append); nothing here
 * can be edited or deleted through the API. */
#include "webadmin.h"

typedef struct wa_entry {
	gint64 time;   /* unix microseconds */
	char *actor, *action, *object;
} wa_entry;

static GQueue failed = G_QUEUE_INIT, okays = G_QUEUE_INIT, changes = G_QUEUE_INIT;

static void entry_free(gpointer p)
{
	wa_entry *e = p;
	g_free(e->actor);
	g_free(e->action);
	g_free(e->object);
	g_free(e);
}

static void push(GQueue *q, guint keep, const char *actor, const char *action,
		 const char *object)
{
	wa_entry *e = g_new0(wa_entry, 1);
	e->time = g_get_real_time();
	e->actor = g_strdup(actor);
	e->action = g_strdup(action);
	e->object = g_strdup(object ? object : "");
	g_queue_push_head(q, e);
	while (g_queue_get_length(q) > keep)
		entry_free(g_queue_pop_tail(q));
}

void wa_log_access(const char *user, const char *ip, gboolean ok, const char *what)
{
	char *actor = g_strdup_printf("web:%s@%s", user ? user : "-", ip);
	push(ok ? &okays : &failed, WA_ACCESS_KEEP, actor, what, NULL);
	g_free(actor);
}

void wa_log_change(const char *actor, const char *action, const char *object)
{
	push(&changes, WA_CHANGES_KEEP, actor, action, object);
}

static void add_list(JsonBuilder *b, const char *name, GQueue *q)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (GList *l = q->head; l; l = l->next) {
		wa_entry *e = l->data;
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "time");
		char *iso = NULL;
		GDateTime *dt = g_date_time_new_from_unix_utc(e->time / G_USEC_PER_SEC);
		if (dt) {
			iso = g_date_time_format_iso8601(dt);
			g_date_time_unref(dt);
		}
		json_builder_add_string_value(b, iso ? iso : "");
		g_free(iso);
		json_builder_set_member_name(b, "actor");
		json_builder_add_string_value(b, e->actor);
		json_builder_set_member_name(b, "action");
		json_builder_add_string_value(b, e->action);
		json_builder_set_member_name(b, "object");
		json_builder_add_string_value(b, e->object);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
}

JsonNode *wa_log_json(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	add_list(b, "failed", &failed);
	add_list(b, "successful", &okays);
	add_list(b, "changes", &changes);
	json_builder_end_object(b);
	JsonNode *n = json_builder_get_root(b);
	g_object_unref(b);
	return n;
}

void wa_log_clear(void)
{
	g_queue_clear_full(&failed, entry_free);
	g_queue_clear_full(&okays, entry_free);
	g_queue_clear_full(&changes, entry_free);
}
