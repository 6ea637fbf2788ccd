/* The CoR page's fraud limits (wacor.h): the store record "cor/limits"
 * that the cor module watches (docs/cor.md), each member overriding the
 * module's XML attribute.
 *   in GET /api/cor: "limits": {"revision" (0: nothing saved), "values",
 *                    "sources" ("xml" | "saved"), "xml", "in_force" (what the
 *                    module applies now: "values" once it has seen the
 *                    record), "max"}
 *   PUT    /api/cor/limits {"revision": R, "max_external_calls": N|null,
 *                    "max_calls_per_minute": N|null}: only the members sent
 *                    change, null drops the saved value (the XML's applies
 *                    again); checked by the cor module's own parser
 *                    (cor.admin check), one field error per bad member and
 *                    nothing saved; 409 when R is not the stored revision
 *   DELETE /api/cor/limits?revision=R   back to the XML's
 * Audited as cor.limits.set / cor.limits.del with "old (source) -> new
 * (source)" per member. */
#include "wacor.h"
#include "../cor/corlimits.h"
#include <bulwark/store.h>
#include <string.h>

static const char *const names[] = { "max_external_calls", "max_calls_per_minute" };

#define CONFLICT "the fraud limits were changed by someone else meanwhile; reload " \
	"the page and try again"

/* The saved value of name in rec, or -1 when it has none usable. */
static gint64 saved_value(JsonObject *rec, const char *name)
{
	JsonNode *n = rec ? json_object_get_member(rec, name) : NULL;
	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return -1;
	gint64 v = json_node_get_int(n);
	return v >= 0 && v <= COR_LIMIT_MAX ? v : -1;
}

static void xml_values(const cor_admin_v1 *svc, guint xml[2])
{
	xml[0] = xml[1] = 0;
	if (svc->limits_xml)
		svc->limits_xml(&xml[0], &xml[1]);
}

static void add_pairs(JsonBuilder *b, const char *member, const gint64 v[2])
{
	json_builder_set_member_name(b, member);
	json_builder_begin_object(b);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		json_builder_set_member_name(b, names[i]);
		json_builder_add_int_value(b, v[i]);
	}
	json_builder_end_object(b);
}

static void view(JsonBuilder *b, const cor_admin_v1 *svc, JsonObject *rec, gint64 rev)
{
	guint xml[2];
	xml_values(svc, xml);
	gint64 values[2], xmlv[2] = { xml[0], xml[1] };
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_set_member_name(b, "sources");
	json_builder_begin_object(b);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		gint64 v = saved_value(rec, names[i]);
		values[i] = v >= 0 ? v : xml[i];
		json_builder_set_member_name(b, names[i]);
		json_builder_add_string_value(b, v >= 0 ? "saved" : "xml");
	}
	json_builder_end_object(b);
	add_pairs(b, "values", values);
	add_pairs(b, "xml", xmlv);
	guint now[2] = { 0, 0 };
	svc->limits(&now[0], &now[1]);   /* the guard's: "values" once the module saw the record */
	gint64 nowv[2] = { now[0], now[1] };
	add_pairs(b, "in_force", nowv);
	json_builder_set_member_name(b, "max");
	json_builder_add_int_value(b, COR_LIMIT_MAX);
	json_builder_end_object(b);
}

/* The stored record (ref'd, empty when absent) and its revision (0). */
static JsonObject *load(gint64 *rev)
{
	GBytes *v = NULL;
	*rev = 0;
	if (!bw_store_get(bw_store_system(), COR_LIMITS_KEY, &v, rev, NULL))
		return json_object_new();
	JsonObject *o = wa_record_object(v);
	g_bytes_unref(v);
	return o;
}

void wa_cor_limits_add(JsonBuilder *b, const cor_admin_v1 *svc)
{
	gint64 rev = 0;
	JsonObject *rec = load(&rev);
	json_builder_set_member_name(b, "limits");
	view(b, svc, rec, rev);
	json_object_unref(rec);
}

static wa_resp *answer(const cor_admin_v1 *svc, JsonObject *rec, gint64 rev)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "limits");
	view(b, svc, rec, rev);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

/* "name: 4 (xml) -> 2 (saved); ..." for the audit: limits are no secret. */
static char *diff(const cor_admin_v1 *svc, JsonObject *before, JsonObject *after)
{
	guint xml[2];
	xml_values(svc, xml);
	GString *g = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		gint64 o = saved_value(before, names[i]), n = saved_value(after, names[i]);
		if (o == n)
			continue;
		g_string_append_printf(g, "%s%s: %" G_GINT64_FORMAT " (%s) -> %" G_GINT64_FORMAT " (%s)",
				       g->len ? "; " : "", names[i], o >= 0 ? o : (gint64) xml[i],
				       o >= 0 ? "saved" : "xml", n >= 0 ? n : (gint64) xml[i],
				       n >= 0 ? "saved" : "xml");
	}
	if (!g->len)
		g_string_append(g, "no change");
	return g_string_free(g, FALSE);
}

/* ---- writes ---- */

static wa_resp *write_result(const cor_admin_v1 *svc, wa_sess *s, JsonObject *before,
			     JsonObject *after, gint64 nrev, GError *err, const char *action)
{
	if (nrev <= 0 && err->code == BW_STORE_ERROR_CONFLICT) {
		g_error_free(err);
		return wa_resp_error1(409, NULL, CONFLICT);
	}
	if (nrev <= 0)
		return wa_store_error(err, "the fraud limits");
	char *detail = diff(svc, before, after);
	wa_audit_change(s, action, COR_LIMITS_KEY, detail);
	g_free(detail);
	return answer(svc, after, strcmp(action, "cor.limits.del") == 0 ? 0 : nrev);
}

/* Stores next (or deletes the record when next is empty) at revision rev. */
static wa_resp *limits_write(const cor_admin_v1 *svc, wa_sess *s, JsonObject *before,
			     JsonObject *next, gint64 rev)
{
	GError *err = NULL;
	gint64 nrev;
	if (json_object_get_size(next) == 0) {
		if (rev == 0)   /* nothing saved, nothing to save */
			return answer(svc, next, 0);
		nrev = bw_store_delete(bw_store_system(), COR_LIMITS_KEY, rev, &err);
		return write_result(svc, s, before, next, nrev, err, "cor.limits.del");
	}
	char *text = wa_record_text(next);
	nrev = bw_store_put(bw_store_system(), COR_LIMITS_KEY, text, strlen(text),
			    rev ? rev : BW_STORE_ABSENT, &err);
	g_free(text);
	return write_result(svc, s, before, next, nrev, err, "cor.limits.set");
}

/* The body's members over the stored record: null drops a saved value. */
static JsonObject *merge(JsonObject *stored, JsonObject *in)
{
	JsonObject *next = json_object_new();
	GList *have = json_object_get_members(stored);
	for (GList *l = have; l; l = l->next)
		json_object_set_member(next, l->data, json_object_dup_member(stored, l->data));
	g_list_free(have);
	GList *sent = json_object_get_members(in);
	for (GList *l = sent; l; l = l->next) {
		JsonNode *n = json_object_get_member(in, l->data);
		if (strcmp(l->data, "revision") == 0)
			continue;
		if (JSON_NODE_HOLDS_NULL(n))
			json_object_remove_member(next, l->data);
		else
			json_object_set_member(next, l->data, json_node_copy(n));
	}
	g_list_free(sent);
	return next;
}

static gboolean body_revision(JsonObject *in, gint64 *rev)
{
	JsonNode *n = json_object_get_member(in, "revision");
	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0)
		return FALSE;
	*rev = json_node_get_int(n);
	return TRUE;
}

static wa_resp *check(const cor_admin_v1 *svc, JsonObject *next)
{
	char *text = wa_record_text(next);
	GHashTable *errs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	wa_resp *resp = NULL;
	if (!svc->check(COR_LIMITS_KEY, text, strlen(text), errs)) {
		char *general = g_strdup(g_hash_table_lookup(errs, ""));
		g_hash_table_remove(errs, "");
		resp = g_hash_table_size(errs)
			? wa_resp_error(400, "some limits are not valid; nothing was saved", errs)
			: wa_resp_error1(400, NULL, general ? general : "the limits are not valid");
		g_free(general);
	}
	g_hash_table_unref(errs);
	g_free(text);
	return resp;
}

static wa_resp *limits_put(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gint64 want = 0, rev = 0;
	JsonObject *stored = load(&rev);
	JsonObject *next = merge(stored, in);
	wa_resp *resp;
	if (!body_revision(in, &want))
		resp = wa_resp_error1(400, "revision", "required: the limits' revision GET /api/cor "
				      "answered (0 while nothing is saved)");
	else if ((resp = check(svc, next)) != NULL)
		;
	else if (want != rev)
		resp = wa_resp_error1(409, NULL, CONFLICT);
	else
		resp = limits_write(svc, s, stored, next, rev);
	json_object_unref(next);
	json_object_unref(stored);
	json_object_unref(in);
	return resp;
}

static wa_resp *limits_delete(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r)
{
	gint64 want = 0, rev = 0;
	if (!wa_expect_revision(r, NULL, 0, &want) || want == 0)
		return wa_resp_error1(400, "revision", "required: ?revision=N, the limits' revision "
				      "GET /api/cor answered");
	JsonObject *stored = load(&rev);
	JsonObject *none = json_object_new();
	wa_resp *resp;
	if (rev == 0)
		resp = wa_resp_error1(404, NULL, "no saved fraud limits: the configuration's are in force");
	else if (want != rev)
		resp = wa_resp_error1(409, NULL, CONFLICT);
	else
		resp = limits_write(svc, s, stored, none, rev);
	json_object_unref(none);
	json_object_unref(stored);
	return resp;
}

wa_resp *wa_cor_limits(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r)
{
	if (strcmp(r->method, "PUT") == 0)
		return limits_put(svc, s, r);
	if (strcmp(r->method, "DELETE") == 0)
		return limits_delete(svc, s, r);
	return wa_resp_method("PUT, DELETE");
}
