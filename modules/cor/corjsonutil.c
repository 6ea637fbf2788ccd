/* Typed, bounded accessors for JSON provisioning records (contract in
 * corjsonint.h): every failure names the record key and the field. */
#include "corjsonint.h"

#include <string.h>

gboolean cor_jfail(jctx *c, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(c->err, COR_ERROR, COR_ERROR_JSON, "%s: field %s: %s",
		    c->key, field, why);
	g_free(why);
	return FALSE;
}

/* Re-labels an error from the model API with the key and field. */
gboolean cor_jwrap(jctx *c, const char *field, GError *e)
{
	g_set_error(c->err, COR_ERROR, e->code, "%s: field %s: %s", c->key, field,
		    e->message);
	g_error_free(e);
	return FALSE;
}

gboolean cor_jfields(jctx *c, JsonObject *o, const char *where,
		     const char *const *allowed)
{
	GList *names = json_object_get_members(o);
	gboolean ok = TRUE;

	for (GList *l = names; ok && l; l = l->next) {
		if (!g_strv_contains(allowed, l->data))
			ok = cor_jfail(c, where, "unknown field \"%.64s\"", (const char *) l->data);
	}
	g_list_free(names);
	return ok;
}

gboolean cor_jstr(jctx *c, JsonObject *o, const char *f, const char **out,
		  gboolean required)
{
	JsonNode *n = json_object_get_member(o, f);

	*out = NULL;
	if (!n)
		return required ? cor_jfail(c, f, "missing") : TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return cor_jfail(c, f, "must be a string");
	*out = json_node_get_string(n);
	if (strlen(*out) > 256)
		return cor_jfail(c, f, "longer than 256 characters");
	for (const char *q = *out; *q; q++)
		if ((guchar) *q < 0x20 || *q == 0x7f)
			return cor_jfail(c, f, "control character at position %d", (int) (q - *out) + 1);
	return TRUE;
}

gboolean cor_juint(jctx *c, JsonObject *o, const char *f, guint max,
		   guint *out)
{
	JsonNode *n = json_object_get_member(o, f);

	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return cor_jfail(c, f, "must be an integer");
	gint64 v = json_node_get_int(n);
	if (v < 0 || v > max)
		return cor_jfail(c, f, "%" G_GINT64_FORMAT " is outside 0..%u", v, max);
	*out = (guint) v;
	return TRUE;
}

gboolean cor_jbool(jctx *c, JsonObject *o, const char *f, gboolean *out)
{
	JsonNode *n = json_object_get_member(o, f);

	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return cor_jfail(c, f, "must be true or false");
	*out = json_node_get_boolean(n);
	return TRUE;
}

gboolean cor_jarray(jctx *c, JsonObject *o, const char *f, guint max,
		    JsonArray **out)
{
	JsonNode *n = json_object_get_member(o, f);

	*out = NULL;
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return cor_jfail(c, f, "must be an array");
	*out = json_node_get_array(n);
	if (json_array_get_length(*out) > max)
		return cor_jfail(c, f, "more than %u entries", max);
	return TRUE;
}

JsonObject *cor_jelem(jctx *c, JsonArray *a, guint i, const char *f)
{
	JsonNode *n = json_array_get_element(a, i);
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		cor_jfail(c, f, "entry %u must be an object", i + 1);
		return NULL;
	}
	return json_node_get_object(n);
}

gboolean cor_jaction(jctx *c, JsonObject *o, const char *f, cor_action *out)
{
	const char *s;

	if (!cor_jstr(c, o, f, &s, FALSE))
		return FALSE;
	if (!s)
		return TRUE;
	if (strcmp(s, "allow") == 0 || strcmp(s, "deny") == 0) {
		*out = s[0] == 'a' ? COR_ACTION_ALLOW : COR_ACTION_DENY;
		return TRUE;
	}
	return cor_jfail(c, f, "must be \"allow\" or \"deny\"");
}

gboolean cor_jwindow(jctx *c, JsonObject *o, cor_window *w, gboolean with_period,
		     cor_period *period)
{
	static const char *const fields[] = { "days", "from", "to", "period", NULL };
	const char *days, *from, *to, *per = NULL;
	GError *e = NULL;

	if (!cor_jfields(c, o, "windows", fields) ||
	    !cor_jstr(c, o, "days", &days, FALSE) ||
	    !cor_jstr(c, o, "from", &from, TRUE) || !cor_jstr(c, o, "to", &to, TRUE) ||
	    (with_period && !cor_jstr(c, o, "period", &per, TRUE)))
		return FALSE;
	w->days = COR_DAYS_ALL;
	if ((days && !cor_days_parse(days, &w->days, &e)) ||
	    !cor_hhmm_parse(from, &w->from, &e) || !cor_hhmm_parse(to, &w->to, &e))
		return cor_jwrap(c, "windows", e);
	if (with_period && !cor_period_parse(per, period))
		return cor_jfail(c, "windows.period", "must be day, night1 or night2");
	return TRUE;
}
