/* Helpers the Trunks and CoR/CoS handlers share (webadmin.h, "trunks and
 * CoR/CoS pages"): query parameters, the revision a change expects, the
 * audit of a change, stored records as JSON objects, store errors as
 * answers. Management thread. */
#include "webadmin.h"
#include <bulwark/audit.h>
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
	wa_log_change(actor, action, key);
	g_free(actor);
}

JsonObject *wa_record_object(GBytes *value)
{
	gsize len = 0;
	const char *d = value ? g_bytes_get_data(value, &len) : NULL;
	JsonObject *o = NULL;
	JsonParser *p = json_parser_new();
	if (d && json_parser_load_from_data(p, d, (gssize) len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		o = json_object_ref(json_node_get_object(json_parser_get_root(p)));
	g_object_unref(p);
	return o ? o : json_object_new();
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
