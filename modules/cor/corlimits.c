/* The "cor/limits" record parser (contract in corlimits.h). All or
 * nothing: a record with one bad member changes no limit. */
#include "corlimits.h"
#include "corjsonint.h"

#include <string.h>

static const char *const members[] = { "max_external_calls", "max_calls_per_minute", NULL };

void cor_limits_init(cor_limits *l)
{
	l->max_concurrent = COR_LIMIT_UNSET;
	l->max_per_minute = COR_LIMIT_UNSET;
}

guint cor_limits_pick(gint64 saved, guint xml)
{
	return saved >= 0 && saved <= COR_LIMIT_MAX ? (guint) saved : xml;
}

static gboolean limit(jctx *c, JsonObject *o, const char *f, gint64 *out)
{
	JsonNode *n = json_object_get_member(o, f);
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return cor_jfail(c, f, "must be a whole number from 0 (no limit) to %u", COR_LIMIT_MAX);
	gint64 v = json_node_get_int(n);
	if (v < 0 || v > COR_LIMIT_MAX)
		return cor_jfail(c, f, "%" G_GINT64_FORMAT " is outside 0 (no limit) to %u", v,
				 COR_LIMIT_MAX);
	*out = v;
	return TRUE;
}

static gboolean parse(jctx *c, JsonObject *o, cor_limits *out)
{
	cor_limits l;
	cor_limits_init(&l);
	if (!cor_jfields(c, o, "(record)", members) ||
	    !limit(c, o, "max_external_calls", &l.max_concurrent) ||
	    !limit(c, o, "max_calls_per_minute", &l.max_per_minute))
		return FALSE;
	*out = l;
	return TRUE;
}

gboolean cor_limits_parse(const char *json, gsize len, cor_limits *out, GError **err)
{
	jctx c = { COR_LIMITS_KEY, err };
	if (!json || len > COR_LIMITS_BYTES)
		return cor_jfail(&c, "(record)", "larger than %d bytes", COR_LIMITS_BYTES);
	JsonParser *p = json_parser_new_immutable();
	GError *e = NULL;
	gboolean ok = json_parser_load_from_data(p, json, (gssize) len, &e);
	if (!ok) {
		cor_jfail(&c, "(record)", "not JSON: %s", e->message);
		g_error_free(e);
	} else {
		JsonNode *root = json_parser_get_root(p);
		ok = root && JSON_NODE_HOLDS_OBJECT(root)
			? parse(&c, json_node_get_object(root), out)
			: cor_jfail(&c, "(record)", "must be a JSON object");
	}
	g_object_unref(p);
	return ok;
}
