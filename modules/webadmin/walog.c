/* GET /api/audit: the access log, read from the durable audit log
 * (bw_audit_query), so it survives restarts and shows what bulwarkctl and
 * other modules did as well. The first page has the last 20 failed and 20
 * successful accesses; every page has the changes (every record that is
 * not an access), newest first, paged with before=SEQ. GET only: nothing
 * here or anywhere else edits or deletes a record.
 *
 * Who writes: waauth.c and the handlers audit their own logins, failures
 * and changes; wa_log_blocked adds the one access nobody else records, an
 * attempt from a blocked source, at most WA_LOG_BLOCKED_RATE a minute so
 * a flood cannot fill the log. */
#include "webadmin.h"
#include <bulwark/audit.h>
#include <string.h>

#define WA_LOG_PAGE          200     /* records read per query */
#define WA_LOG_SCAN          10000   /* records looked at per answer, at most */
#define WA_LOG_LIMIT_DEFAULT 50      /* changes per page */
#define WA_LOG_LIMIT_MAX     200
#define WA_LOG_BLOCKED_RATE  10      /* blocked attempts audited per minute */

/* Access actions: the key is the audit action, shown without "webadmin.". */
static const char *const failed_actions[] = {
	"webadmin.login.failed", "webadmin.login.refused", "webadmin.login.blocked",
	"webadmin.lockout", "webadmin.password.failed", "ctl.denied", NULL };
static const char *const ok_actions[] = { "webadmin.login", "webadmin.logout", NULL };

static gint64 blocked_minute;
static guint blocked_count;

static gboolean in_list(const char *const *list, const char *action)
{
	for (; *list; list++)
		if (strcmp(*list, action) == 0)
			return TRUE;
	return FALSE;
}

static gboolean is_access(const char *action)
{
	return in_list(failed_actions, action) || in_list(ok_actions, action);
}

void wa_log_blocked(const char *user, const char *ip)
{
	gint64 minute = g_get_monotonic_time() / (60 * G_USEC_PER_SEC);
	if (minute != blocked_minute) {
		blocked_minute = minute;
		blocked_count = 0;
	}
	if (++blocked_count > WA_LOG_BLOCKED_RATE)
		return;
	char *actor = g_strdup_printf("web:%s@%s", user ? user : "-", ip ? ip : "-");
	GError *err = NULL;
	if (!bw_audit_append(actor, "webadmin.login.blocked", user ? user : "",
			     blocked_count == WA_LOG_BLOCKED_RATE ?
			     "source blocked; more attempts this minute are not recorded" :
			     "source blocked", &err)) {
		g_warning("webadmin: audit of a blocked login by %s failed: %s", actor, err->message);
		g_error_free(err);
	}
	g_free(actor);
}

void wa_log_clear(void)
{
	blocked_minute = 0;
	blocked_count = 0;
}

static void add_entry(JsonBuilder *b, const bw_audit_record *e, gboolean access)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "seq");
	json_builder_add_int_value(b, e->seq);
	GDateTime *dt = g_date_time_new_from_unix_utc(e->time / G_USEC_PER_SEC);
	char *iso = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
	if (dt)
		g_date_time_unref(dt);
	wa_json_add_str(b, "time", iso ? iso : "");
	g_free(iso);
	wa_json_add_str(b, "actor", e->actor);
	const char *act = e->action;
	if (access && g_str_has_prefix(act, "webadmin."))
		act += strlen("webadmin.");
	wa_json_add_str(b, "action", act);
	wa_json_add_str(b, "object", e->object);
	wa_json_add_str(b, "detail", e->detail);
	json_builder_end_object(b);
}

/* Newest first, merged from queries of each action (each at most keep). */
static gint cmp_seq_desc(gconstpointer a, gconstpointer b)
{
	gint64 x = (*(bw_audit_record *const *)a)->seq, y = (*(bw_audit_record *const *)b)->seq;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* The newest WA_ACCESS_KEEP records of exactly action, into all. The
 * prefix "webadmin.login" also brings "webadmin.login.failed": page on
 * past those, looking at WA_LOG_SCAN records at most. */
static gboolean last_exact(const char *action, GPtrArray *all, GError **err)
{
	guint found = 0, scanned = 0;
	gint64 before = 0;
	while (found < WA_ACCESS_KEEP && scanned < WA_LOG_SCAN) {
		GPtrArray *page = bw_audit_query(WA_LOG_PAGE, action, before, err);
		if (!page)
			return FALSE;
		for (guint i = 0; i < page->len && found < WA_ACCESS_KEEP; i++) {
			bw_audit_record *r = page->pdata[i];
			before = r->seq;
			scanned++;
			if (strcmp(r->action, action) == 0) {
				g_ptr_array_add(all, r);
				page->pdata[i] = NULL;
				found++;
			}
		}
		gboolean end = page->len < WA_LOG_PAGE;
		g_ptr_array_unref(page);
		if (end)
			break;
	}
	return TRUE;
}

/* Newest first, merged from each action's newest. */
static GPtrArray *last_of(const char *const *actions, GError **err)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)bw_audit_record_free);
	for (; *actions; actions++)
		if (!last_exact(*actions, all, err)) {
			g_ptr_array_unref(all);
			return NULL;
		}
	g_ptr_array_sort(all, cmp_seq_desc);
	if (all->len > WA_ACCESS_KEEP)
		g_ptr_array_remove_range(all, WA_ACCESS_KEEP, all->len - WA_ACCESS_KEEP);
	return all;
}

static gboolean add_access(JsonBuilder *b, const char *name, const char *const *actions,
			   GError **err)
{
	GPtrArray *list = last_of(actions, err);
	if (!list)
		return FALSE;
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (guint i = 0; i < list->len; i++)
		add_entry(b, list->pdata[i], TRUE);
	json_builder_end_array(b);
	g_ptr_array_unref(list);
	return TRUE;
}

/* Changes older than before, at most limit, scanning at most WA_LOG_SCAN
 * records; *next is where the next page starts (0: the log's start). */
static gboolean add_changes(JsonBuilder *b, gint64 before, guint limit, gint64 *next,
			    GError **err)
{
	guint shown = 0, scanned = 0;
	gint64 cursor = before;
	gboolean end = FALSE;
	json_builder_set_member_name(b, "changes");
	json_builder_begin_array(b);
	while (shown < limit && scanned < WA_LOG_SCAN && !end) {
		GPtrArray *page = bw_audit_query(WA_LOG_PAGE, NULL, cursor, err);
		if (!page)
			return FALSE;
		guint i;
		for (i = 0; i < page->len && shown < limit; i++) {
			const bw_audit_record *r = page->pdata[i];
			cursor = r->seq;
			scanned++;
			if (!is_access(r->action)) {
				add_entry(b, r, FALSE);
				shown++;
			}
		}
		end = page->len < WA_LOG_PAGE && i == page->len;
		g_ptr_array_unref(page);
	}
	json_builder_end_array(b);
	*next = end || cursor == 1 ? 0 : cursor;
	return TRUE;
}

static JsonNode *log_json(gint64 before, guint limit, GError **err)
{
	JsonBuilder *b = json_builder_new();
	gint64 next = 0;
	json_builder_begin_object(b);
	gboolean ok = before != 0 || (add_access(b, "failed", failed_actions, err) &&
				      add_access(b, "successful", ok_actions, err));
	ok = ok && add_changes(b, before, limit, &next, err);
	JsonNode *n = NULL;
	if (ok) {
		json_builder_set_member_name(b, "next_before");
		if (next)
			json_builder_add_int_value(b, next);
		else
			json_builder_add_null_value(b);
		json_builder_end_object(b);
		n = json_builder_get_root(b);
	}
	g_object_unref(b);
	return n;
}

/* A whole number in [lo, hi], or FALSE. */
static gboolean parse_num(const char *s, gint64 lo, gint64 hi, gint64 *out)
{
	char *end = NULL;
	if (!s || !g_ascii_isdigit(*s) || strlen(s) > 19)
		return FALSE;
	gint64 v = g_ascii_strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return FALSE;
	*out = v;
	return TRUE;
}

static wa_resp *bad_param(const char *name, const char *msg)
{
	return wa_resp_error1(400, name, msg);
}

wa_resp *wa_api_audit(const wa_req *r)
{
	if (strcmp(r->method, "GET") != 0) {
		wa_resp *resp = wa_resp_error1(405, NULL, "the access log is read only (GET)");
		wa_resp_header(resp, "Allow", "GET");
		return resp;
	}
	GHashTable *q = r->query && *r->query ?
		g_uri_parse_params(r->query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
	if (r->query && *r->query && !q)
		return bad_param(NULL, "the query string is not valid (name=value&...)");
	gint64 before = 0, limit = WA_LOG_LIMIT_DEFAULT;
	const char *bv = q ? g_hash_table_lookup(q, "before") : NULL;
	const char *lv = q ? g_hash_table_lookup(q, "limit") : NULL;
	wa_resp *resp = NULL;
	if (bv && !parse_num(bv, 1, G_MAXINT64, &before))
		resp = bad_param("before", "before must be a sequence number (1 or more)");
	else if (lv && !parse_num(lv, 1, WA_LOG_LIMIT_MAX, &limit))
		resp = bad_param("limit", "limit must be from 1 to " G_STRINGIFY(WA_LOG_LIMIT_MAX));
	if (q)
		g_hash_table_unref(q);
	if (resp)
		return resp;
	GError *err = NULL;
	JsonNode *n = log_json(before, (guint)limit, &err);
	if (!n) {
		resp = wa_resp_error1(503, NULL, err->message);
		g_error_free(err);
		return resp;
	}
	resp = wa_resp_new(200);
	resp->body = json_to_string(n, FALSE);
	json_node_unref(n);
	return resp;
}
