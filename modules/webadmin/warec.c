/* Helpers the resource handlers share (webadmin.h, "trunks and CoR/CoS
 * pages" and "polish"): query parameters, the revision a change expects,
 * the audit of a change, stored records as JSON objects (parse, load,
 * write), store errors as answers, the list/create dispatch of a
 * collection, the field checks several forms use. Management thread. */
#include "webadmin.h"
#include <bulwark/audit.h>
#include <bulwark/store.h>
#include <string.h>

#define QUERY_PARAMS_MAX 16

char *wa_query_param(const wa_req *r, const char *name)
{
	if (!r->query || !*r->query)
		return NULL;
	char **pairs = g_strsplit(r->query, "&", QUERY_PARAMS_MAX + 1);
	char *out = NULL;
	for (guint i = 0; pairs[i] && i < QUERY_PARAMS_MAX && !out; i++) {
		char *eq = strchr(pairs[i], '=');
		if (!eq || (gsize) (eq - pairs[i]) != strlen(name) ||
		    strncmp(pairs[i], name, strlen(name)) != 0)
			continue;
		out = g_uri_unescape_string(eq + 1, NULL);   /* NULL: a bad %-escape */
	}
	g_strfreev(pairs);
	return out;
}

static gboolean revision_text(const char *s, gint64 *out)
{
	guint64 v = 0;
	if (!s || !g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL))
		return FALSE;
	*out = (gint64) v;
	return TRUE;
}

gboolean wa_expect_revision(const wa_req *r, JsonObject *body, gint64 fallback, gint64 *out)
{
	JsonNode *n = body ? json_object_get_member(body, "revision") : NULL;
	*out = fallback;
	if (n && !JSON_NODE_HOLDS_NULL(n)) {
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
		    json_node_get_int(n) < 1)
			return FALSE;
		*out = json_node_get_int(n);
		return TRUE;
	}
	char *q = wa_query_param(r, "revision");
	gboolean ok = !q || revision_text(q, out);
	g_free(q);
	return ok;
}

void wa_audit_change(wa_sess *s, const char *action, const char *key, const char *detail)
{
	char *actor = wa_actor(s);
	GError *err = NULL;
	if (!bw_audit_append(actor, action, key, detail, &err)) {
		g_warning("webadmin: audit of %s on %s by %s failed: %s", action, key, actor,
			  err->message);
		g_error_free(err);
	}
	g_free(actor);
}

void wa_audit_fields(wa_sess *s, const char *action, const char *key, GPtrArray *changed)
{
	GString *d = g_string_new(NULL);
	for (guint i = 0; changed && i < changed->len; i++)
		g_string_append_printf(d, "%s %s", i ? "" : "fields:",
				       (const char *)changed->pdata[i]);
	wa_audit_change(s, action, key, d->len ? d->str : NULL);
	g_string_free(d, TRUE);
}

JsonObject *wa_record_parse(GBytes *value)
{
	gsize len = 0;
	const char *d = value ? g_bytes_get_data(value, &len) : NULL;
	JsonObject *o = NULL;
	JsonParser *p = json_parser_new();
	if (d && json_parser_load_from_data(p, d, (gssize) len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	return o;
}

JsonObject *wa_record_object(GBytes *value)
{
	JsonObject *o = wa_record_parse(value);
	return o ? o : json_object_new();
}

JsonObject *wa_record_load(const char *prefix, const char *name, gint64 *rev)
{
	char *key = g_strconcat(prefix, name, NULL);
	GBytes *v = NULL;
	JsonObject *o = NULL;
	if (bw_store_get(bw_store_system(), key, &v, rev, NULL)) {
		o = wa_record_object(v);
		g_bytes_unref(v);
	}
	g_free(key);
	return o;
}

gboolean wa_record_exists(const char *prefix, const char *name)
{
	char *key = g_strconcat(prefix, name, NULL);
	GBytes *v = NULL;
	gboolean ok = bw_store_get(bw_store_system(), key, &v, NULL, NULL);
	if (v)
		g_bytes_unref(v);
	g_free(key);
	return ok;
}

char *wa_record_text(JsonObject *rec)
{
	JsonNode *root = json_node_init_object(json_node_alloc(), rec);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	return text;
}

gint64 wa_record_put(const char *prefix, const char *name, JsonObject *rec, gint64 rev,
		     GError **err)
{
	char *key = g_strconcat(prefix, name, NULL);
	char *text = wa_record_text(rec);
	gint64 now = bw_store_put(bw_store_system(), key, text, strlen(text), rev, err);
	g_free(text);
	g_free(key);
	return now;
}

gboolean wa_digits_ok(const char *s, gsize min, gsize max)
{
	gsize n = s ? strlen(s) : 0;
	if (!s || n < min || n > max)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	return TRUE;
}

gboolean wa_chars_ok(const char *s, gsize max, const char *extra)
{
	gsize n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr(extra, s[i]))
			return FALSE;
	return TRUE;
}

gboolean wa_display_name_ok(const char *s)
{
	if (!s || strlen(s) > 128 || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return FALSE;
	return TRUE;
}

wa_resp *wa_store_error(GError *err, const char *what)
{
	wa_resp *r;
	if (err && err->domain == BW_STORE_ERROR && err->code == BW_STORE_ERROR_CONFLICT) {
		char *msg = g_strdup_printf("%s changed meanwhile (another administrator?) or "
					    "already exists; reload and try again", what);
		r = wa_resp_error1(409, NULL, msg);
		g_free(msg);
	} else {
		r = wa_resp_error1(409, NULL, err ? err->message : "the store refused the change");
	}
	if (err)
		g_error_free(err);
	return r;
}

wa_resp *wa_resp_method(const char *allow)
{
	wa_resp *r = wa_resp_error1(405, NULL, "method not allowed on this resource");
	wa_resp_header(r, "Allow", allow);
	return r;
}

wa_resp *wa_collection(const wa_conf *c, wa_sess *s, const wa_req *r,
		       wa_resp *(*list)(void), wa_create_fn create)
{
	if (strcmp(r->method, "GET") == 0)
		return list();
	if (strcmp(r->method, "POST") != 0)
		return wa_resp_method("GET, POST");
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	wa_resp *resp = create(c, s, in);
	json_object_unref(in);
	return resp;
}
