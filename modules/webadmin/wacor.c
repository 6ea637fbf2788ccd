/* /api/cor: the CoR/CoS page, only while the cor module runs (its service
 * "cor.admin", modules/cor/corsvc.h). Records are those of docs/cor.md:
 *   GET    /api/cor                       groups, CoS, assignments, service
 *   PUT    /api/cor/groups/ID             CoR group (barring plan)
 *   PUT    /api/cor/cos/ID                CoS group (feature flags)
 *   PUT    /api/cor/ext/NUMBER            an extension's CoR per period, CoS
 *   DELETE /api/cor/{groups,cos,ext}/...  ?revision=N
 *   POST   /api/cor/service {"mode"}      day | night1 | night2 | auto
 *   GET    /api/cor/explain?caller=&number=   as `bulwarkctl cor show`
 * A PUT body is the record plus "revision": without it the record must
 * not exist yet, with it the record must still be at that revision (409
 * otherwise). The module's own parser and compiler judge every record
 * before it is stored; their messages come back per field (a bad rule as
 * "rules[I]", naming the rule and why). */
#include "webadmin.h"
#include "../cor/corsvc.h"
#include <bulwark/service.h>
#include <bulwark/store.h>
#include <string.h>

#define NO_COR "the cor module is not loaded: CoR/CoS cannot be shown or changed " \
	"(load it: bulwarkctl module load cor)"
#define ID_MAX 64

static const cor_admin_v1 *cor_svc(void)
{
	return bw_service_lookup(COR_ADMIN_SERVICE, COR_ADMIN_VERSION);
}

typedef struct cor_kind {
	const char *path;        /* after /api/cor/ */
	const char *prefix;      /* store key prefix */
	const char *member;      /* in the overview */
	const char *action;      /* audit: <action>.add|set|del */
	gboolean numeric;        /* ids 0..65535 */
} cor_kind;

static const cor_kind kinds[] = {
	{ "groups", "cor/group/", "groups", "cor.group", TRUE },
	{ "cos", "cor/cos/", "cos", "cor.cos", TRUE },
	{ "ext", "cor/ext/", "assignments", "cor.ext", FALSE },
};

static gboolean id_ok(const cor_kind *k, const char *id)
{
	gsize n = strlen(id);
	if (n == 0 || n > ID_MAX)
		return FALSE;
	if (k->numeric)
		return g_ascii_string_to_unsigned(id, 10, 0, 65535, NULL, NULL) && id[0] != '+';
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(id[i]) && !strchr("-_.", id[i]))
			return FALSE;
	return TRUE;
}

/* ---- the overview ---- */

static void add_item(JsonBuilder *b, const cor_kind *k, const bw_record *rec)
{
	const char *id = rec->key + strlen(k->prefix);
	JsonObject *o = wa_record_object(rec->value);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	if (k->numeric)
		json_builder_add_int_value(b, (gint64) g_ascii_strtoull(id, NULL, 10));
	else
		json_builder_add_string_value(b, id);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rec->revision);
	json_builder_set_member_name(b, "record");
	JsonNode *n = json_node_init_object(json_node_alloc(), o);
	json_builder_add_value(b, n);
	json_builder_end_object(b);
	json_object_unref(o);
}

static void add_kind(JsonBuilder *b, const cor_kind *k, GPtrArray *recs)
{
	json_builder_set_member_name(b, k->member);
	json_builder_begin_array(b);
	for (guint i = 0; i < recs->len; i++) {
		const bw_record *rec = recs->pdata[i];
		if (g_str_has_prefix(rec->key, k->prefix) && id_ok(k, rec->key + strlen(k->prefix)))
			add_item(b, k, rec);
	}
	json_builder_end_array(b);
}

static void add_service(JsonBuilder *b, const cor_admin_v1 *svc)
{
	const char *override = NULL, *period = NULL;
	svc->service(&override, &period);
	json_builder_set_member_name(b, "service");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "override");
	json_builder_add_string_value(b, override);
	json_builder_set_member_name(b, "period");
	json_builder_add_string_value(b, period);
	json_builder_end_object(b);
}

static wa_resp *cor_overview(const cor_admin_v1 *svc)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "available");
	json_builder_add_boolean_value(b, svc != NULL);
	if (!svc) {
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, NO_COR);
	} else {
		GError *err = NULL;
		GPtrArray *recs = bw_store_list(bw_store_system(), "cor/", &err);
		if (!recs) {
			g_object_unref(b);
			return wa_store_error(err, "the CoR records");
		}
		add_service(b, svc);
		for (guint i = 0; i < G_N_ELEMENTS(kinds); i++)
			add_kind(b, &kinds[i], recs);
		g_ptr_array_unref(recs);
	}
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

/* ---- changes ---- */

static wa_resp *check_errors(GHashTable *errs)
{
	const char *general = g_hash_table_lookup(errs, "");
	if (general && g_hash_table_size(errs) == 1)
		return wa_resp_error1(400, NULL, general);
	char *msg = g_strdup(general ? general : "some fields are not valid");
	g_hash_table_remove(errs, "");
	wa_resp *r = wa_resp_error(400, msg, errs);
	g_free(msg);
	return r;
}

static char *item_detail(const cor_kind *k, JsonObject *rec)
{
	JsonNode *rules = json_object_get_member(rec, "rules");
	if (k->numeric && rules && JSON_NODE_HOLDS_ARRAY(rules))
		return g_strdup_printf("rules: %u", json_array_get_length(json_node_get_array(rules)));
	return NULL;
}

static wa_resp *item_saved(const cor_kind *k, const char *id, JsonObject *rec, gint64 rev,
			   guint status)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, k->path);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_set_member_name(b, "record");
	json_builder_add_value(b, json_node_init_object(json_node_alloc(), rec));
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	return r;
}

static wa_resp *item_put(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r,
			 const cor_kind *k, const char *id)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gint64 expect = BW_STORE_ABSENT;
	wa_resp *resp = NULL;
	if (!wa_expect_revision(r, in, BW_STORE_ABSENT, &expect)) {
		json_object_unref(in);
		return wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	}
	json_object_remove_member(in, "revision");
	JsonNode *root = json_node_init_object(json_node_alloc(), in);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	char *key = g_strconcat(k->prefix, id, NULL);
	GHashTable *errs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	if (!svc->check(key, text, strlen(text), errs)) {
		resp = check_errors(errs);
	} else {
		GError *err = NULL;
		gint64 now = bw_store_put(bw_store_system(), key, text, strlen(text), expect, &err);
		if (now > 0) {
			char *detail = item_detail(k, in);
			char *action = g_strconcat(k->action, expect == BW_STORE_ABSENT ? ".add" : ".set",
						   NULL);
			wa_audit_change(s, action, key, detail);
			g_free(action);
			g_free(detail);
			resp = item_saved(k, id, in, now, expect == BW_STORE_ABSENT ? 201 : 200);
		} else {
			resp = wa_store_error(err, expect == BW_STORE_ABSENT
					      ? "the record already exists, or it" : "the record");
		}
	}
	g_hash_table_unref(errs);
	g_free(key);
	g_free(text);
	json_object_unref(in);
	return resp;
}

static wa_resp *item_delete(wa_sess *s, const wa_req *r, const cor_kind *k, const char *id)
{
	gint64 expect = BW_STORE_ANY;
	if (!wa_expect_revision(r, NULL, BW_STORE_ANY, &expect))
		return wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	char *key = g_strconcat(k->prefix, id, NULL);
	GBytes *v = NULL;
	gint64 rev = 0;
	wa_resp *resp;
	if (!bw_store_get(bw_store_system(), key, &v, &rev, NULL)) {
		resp = wa_resp_error1(404, NULL, "no such CoR record");
	} else {
		GError *err = NULL;
		if (bw_store_delete(bw_store_system(), key, expect == BW_STORE_ANY ? rev : expect,
				    &err) > 0) {
			char *action = g_strconcat(k->action, ".del", NULL);
			wa_audit_change(s, action, key, NULL);
			g_free(action);
			resp = wa_resp_new(200);
			resp->body = g_strdup("{\"ok\":true}");
		} else {
			resp = wa_store_error(err, "the record");
		}
		g_bytes_unref(v);
	}
	g_free(key);
	return resp;
}

static wa_resp *cor_service_set(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gboolean bad = FALSE;
	const char *mode = wa_json_str(in, "mode", &bad);
	static const char *const modes[] = { "day", "night1", "night2", "auto", NULL };
	wa_resp *resp;
	if (bad || !mode || !g_strv_contains(modes, mode)) {
		resp = wa_resp_error1(400, "mode", "one of day, night1, night2, auto");
	} else {
		char *actor = wa_actor(s);
		GError *err = NULL;
		if (svc->service_set(mode, actor, &err)) {   /* the module audits it */
			wa_log_change(actor, "cor.service", "cor/service");
			JsonBuilder *b = json_builder_new();
			json_builder_begin_object(b);
			add_service(b, svc);
			json_builder_end_object(b);
			resp = wa_resp_new(200);
			wa_resp_json(resp, b);
		} else {
			resp = wa_resp_error1(409, NULL, err->message);
			g_error_free(err);
		}
		g_free(actor);
	}
	json_object_unref(in);
	return resp;
}

/* The explanation's "key: value" lines, and its verdict word. */
static void explain_lines(JsonBuilder *b, const char *text)
{
	char **lines = g_strsplit(text, "\n", 64);
	char *verdict = NULL;
	json_builder_set_member_name(b, "lines");
	json_builder_begin_array(b);
	for (guint i = 0; lines[i]; i++) {
		char *sep = strstr(lines[i], ": ");
		if (!*lines[i])
			continue;
		if (sep)
			*sep = '\0';
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "key");
		json_builder_add_string_value(b, sep ? lines[i] : "");
		json_builder_set_member_name(b, "value");
		json_builder_add_string_value(b, sep ? sep + 2 : lines[i]);
		json_builder_end_object(b);
		if (sep && !verdict && strcmp(lines[i], "verdict") == 0)
			verdict = g_strndup(sep + 2, strcspn(sep + 2, " "));
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "verdict");
	if (verdict)
		json_builder_add_string_value(b, verdict);
	else
		json_builder_add_null_value(b);
	g_free(verdict);
	g_strfreev(lines);
}

static wa_resp *cor_explain(const cor_admin_v1 *svc, const wa_req *r)
{
	if (strcmp(r->method, "GET") != 0) {
		wa_resp *resp = wa_resp_error1(405, NULL, "method not allowed on this resource");
		wa_resp_header(resp, "Allow", "GET");
		return resp;
	}
	char *caller = wa_query_param(r, "caller"), *number = wa_query_param(r, "number");
	const char *field = NULL;
	GError *err = NULL;
	char *text = svc->explain(caller ? caller : "", number ? number : "", &field, &err);
	wa_resp *resp;
	if (!text) {
		resp = wa_resp_error1(field ? 400 : 409, field, err->message);
		g_error_free(err);
	} else {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, text);
		explain_lines(b, text);
		json_builder_end_object(b);
		resp = wa_resp_new(200);
		wa_resp_json(resp, b);
		g_free(text);
	}
	g_free(caller);
	g_free(number);
	return resp;
}

static wa_resp *cor_item(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r, const char *p)
{
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		const cor_kind *k = &kinds[i];
		gsize n = strlen(k->path);
		if (strncmp(p, k->path, n) != 0 || p[n] != '/')
			continue;
		const char *id = p + n + 1;
		if (!id_ok(k, id))
			return wa_resp_error1(404, NULL, k->numeric ? "no such CoR record (ids are 0-65535)"
					      : "no such CoR record");
		if (strcmp(r->method, "PUT") == 0)
			return item_put(svc, s, r, k, id);
		if (strcmp(r->method, "DELETE") == 0)
			return item_delete(s, r, k, id);
		wa_resp *resp = wa_resp_error1(405, NULL, "method not allowed on this resource");
		wa_resp_header(resp, "Allow", "PUT, DELETE");
		return resp;
	}
	return wa_resp_error1(404, NULL, "no such API resource");
}

wa_resp *wa_api_cor(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c;
	const cor_admin_v1 *svc = cor_svc();
	if (!*rest || strcmp(rest, "/") == 0) {
		if (strcmp(r->method, "GET") == 0)
			return cor_overview(svc);
		wa_resp *resp = wa_resp_error1(405, NULL, "method not allowed on this resource");
		wa_resp_header(resp, "Allow", "GET");
		return resp;
	}
	if (!svc)
		return wa_resp_error1(503, NULL, NO_COR);
	const char *p = rest + 1;
	if (strcmp(p, "explain") == 0)
		return cor_explain(svc, r);
	if (strcmp(p, "service") == 0) {
		if (strcmp(r->method, "POST") == 0)
			return cor_service_set(svc, s, r);
		wa_resp *resp = wa_resp_error1(405, NULL, "method not allowed on this resource");
		wa_resp_header(resp, "Allow", "POST");
		return resp;
	}
	return cor_item(svc, s, r, p);
}
