/* JSON provisioning records into the CoR model (contract in corjson.h).
 * Each record is parsed into a scratch model first and moved into the real
 * one only when it parsed completely: a bad record changes nothing. */
#include "corjsonint.h"

#include <string.h>

/* ---- cor/group/<id> ---------------------------------------------------- */

static gboolean parse_rule(jctx *c, cor_group *g, JsonObject *o, guint i)
{
	static const char *const fields[] = { "pattern", "action", "name", NULL };
	const char *pattern, *name;
	cor_action action = COR_ACTION_DENY;
	char where[32];
	GError *e = NULL;

	g_snprintf(where, sizeof where, "rules[%u]", i);
	if (!cor_jfields(c, o, where, fields) ||
	    !cor_jstr(c, o, "pattern", &pattern, TRUE) ||
	    !cor_jstr(c, o, "name", &name, FALSE))
		return FALSE;
	if (!json_object_has_member(o, "action"))
		return cor_jfail(c, where, "missing action");
	if (!cor_jaction(c, o, "action", &action))
		return FALSE;
	if (!cor_group_add_rule(g, pattern, action, name, &e))
		return cor_jwrap(c, where, e);
	return TRUE;
}

static gboolean parse_group(jctx *c, cor_model *t, guint id, JsonObject *o)
{
	static const char *const fields[] = {
		"name", "default", "on_deny", "attendant", "rules", NULL };
	const char *name, *on_deny, *attendant;
	JsonArray *rules;
	cor_group *g = cor_model_group(t, id, c->err);

	if (!g || !cor_jfields(c, o, "(record)", fields) ||
	    !cor_jstr(c, o, "name", &name, FALSE) ||
	    !cor_jaction(c, o, "default", &g->fallback) ||
	    !cor_jstr(c, o, "on_deny", &on_deny, FALSE) ||
	    !cor_jstr(c, o, "attendant", &attendant, FALSE) ||
	    !cor_jarray(c, o, "rules", COR_MAX_RULES, &rules))
		return FALSE;
	if (on_deny && strcmp(on_deny, "reject") && strcmp(on_deny, "attendant"))
		return cor_jfail(c, "on_deny", "must be \"reject\" or \"attendant\"");
	g->on_deny = on_deny && on_deny[0] == 'a' ? COR_ON_DENY_ATTENDANT : COR_ON_DENY_REJECT;
	if (g->on_deny == COR_ON_DENY_ATTENDANT && (!attendant || !cor_number_valid(attendant)))
		return cor_jfail(c, "attendant", "on_deny \"attendant\" needs an extension number");
	if (name) {
		if (strlen(name) > COR_MAX_NAME)
			return cor_jfail(c, "name", "longer than %u characters", COR_MAX_NAME);
		g_free(g->name);
		g->name = g_strdup(name);
	}
	g->attendant = g_strdup(attendant);
	for (guint i = 0; rules && i < json_array_get_length(rules); i++) {
		JsonObject *r = cor_jelem(c, rules, i, "rules");
		if (!r || !parse_rule(c, g, r, i))
			return FALSE;
	}
	return TRUE;
}

/* ---- cor/cos/<id> ------------------------------------------------------ */

static gboolean parse_cos(jctx *c, cor_model *t, guint id, JsonObject *o)
{
	static const char *const fields[] = { "name", "external", "forward_external",
		"transfer_external", "conference", "account_code_required", NULL };
	static const guint flags[] = { COR_COS_EXTERNAL, COR_COS_FORWARD_EXTERNAL,
		COR_COS_TRANSFER_EXTERNAL, COR_COS_CONFERENCE, COR_COS_ACCOUNT_REQUIRED };
	cor_cos *cos = cor_model_cos(t, id, c->err);
	const char *name;

	if (!cos || !cor_jfields(c, o, "(record)", fields) ||
	    !cor_jstr(c, o, "name", &name, FALSE))
		return FALSE;
	if (name && strlen(name) > COR_MAX_NAME)
		return cor_jfail(c, "name", "longer than %u characters", COR_MAX_NAME);
	if (name) {
		g_free(cos->name);
		cos->name = g_strdup(name);
	}
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		gboolean on = (cos->flags & flags[i]) != 0;
		if (!cor_jbool(c, o, fields[i + 1], &on))
			return FALSE;
		cos->flags = on ? cos->flags | flags[i] : cos->flags & ~flags[i];
	}
	return TRUE;
}

/* ---- cor/ext/<n>, cor/trunk/<name> ------------------------------------- */

static gboolean parse_party_cor(jctx *c, cor_party *p, JsonObject *o)
{
	static const char *const fields[] = { "day", "night1", "night2", NULL };
	JsonNode *n = json_object_get_member(o, "cor");

	if (!n)
		return TRUE;
	if (JSON_NODE_HOLDS_VALUE(n)) {
		if (!cor_juint(c, o, "cor", COR_MAX_GROUP_ID, &p->cor[0]))
			return FALSE;
		p->cor[1] = p->cor[2] = p->cor[0];
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return cor_jfail(c, "cor", "must be a group id or {day, night1, night2}");
	JsonObject *per = json_node_get_object(n);
	if (!cor_jfields(c, per, "cor", fields))
		return FALSE;
	/* A period left out inherits the one before: night2 <- night1 <- day. */
	for (int i = 0; i < COR_PERIOD_COUNT; i++) {
		p->cor[i] = i ? p->cor[i - 1] : 0;
		if (!cor_juint(c, per, fields[i], COR_MAX_GROUP_ID, &p->cor[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean parse_party(jctx *c, cor_model *t, cor_kind kind, const char *id,
			    JsonObject *o)
{
	static const char *const fields[] = {
		"cor", "cos", "group", "ars", "system_code", NULL };
	const char *ars, *code;
	cor_party *p = cor_model_party(t, kind, id, c->err);

	if (!p || !cor_jfields(c, o, "(record)", fields) || !parse_party_cor(c, p, o) ||
	    !cor_juint(c, o, "cos", COR_MAX_GROUP_ID, &p->cos) ||
	    !cor_juint(c, o, "group", COR_MAX_GROUP_ID, &p->group) ||
	    !cor_jstr(c, o, "ars", &ars, FALSE) ||
	    !cor_jstr(c, o, "system_code", &code, FALSE))
		return FALSE;
	if (ars && (!*ars || strlen(ars) > COR_MAX_NAME))
		return cor_jfail(c, "ars", "must be a plan name of 1 to %u characters", COR_MAX_NAME);
	if (code && (kind != COR_KIND_TRUNK || !cor_number_valid(code)))
		return cor_jfail(c, "system_code", "only trunks have one, of symbols 0-9 * # +");
	p->ars = g_strdup(ars);
	p->system_code = g_strdup(code);
	return TRUE;
}

/* ---- cor/account/<code> ------------------------------------------------ */

static gboolean parse_account(jctx *c, cor_model *t, const char *code, JsonObject *o)
{
	static const char *const fields[] = { "verified", "pin_hash", "cor", "cos", NULL };
	const char *hash;
	cor_account *a = cor_model_account(t, code, c->err);

	if (!a || !cor_jfields(c, o, "(record)", fields) ||
	    !cor_jbool(c, o, "verified", &a->verified) ||
	    !cor_jstr(c, o, "pin_hash", &hash, FALSE) ||
	    !cor_juint(c, o, "cor", COR_MAX_GROUP_ID, &a->cor) ||
	    !cor_juint(c, o, "cos", COR_MAX_GROUP_ID, &a->cos))
		return FALSE;
	if (a->verified && !cor_pin_hash_valid(hash))
		return cor_jfail(c, "pin_hash", "a verified code needs a hash "
			     "\"sha256:<iterations>:<salt hex>:<digest hex>\"");
	if (!a->verified && hash)
		return cor_jfail(c, "pin_hash", "only verified codes have a PIN");
	a->pin_hash = g_strdup(hash);
	return TRUE;
}

/* ---- cor/ars/<plan> ---------------------------------------------------- */

static gboolean parse_route(jctx *c, cor_plan *p, JsonObject *o, guint i)
{
	static const char *const fields[] = { "pattern", "trunks", "windows", NULL };
	const char *pattern, *trunks[COR_MAX_CANDIDATES];
	cor_window w[COR_MAX_WINDOWS];
	JsonArray *ta, *wa;
	GError *e = NULL;
	char where[32];

	g_snprintf(where, sizeof where, "routes[%u]", i);
	if (!cor_jfields(c, o, where, fields) || !cor_jstr(c, o, "pattern", &pattern, TRUE) ||
	    !cor_jarray(c, o, "trunks", COR_MAX_CANDIDATES, &ta) ||
	    !cor_jarray(c, o, "windows", COR_MAX_WINDOWS, &wa))
		return FALSE;
	guint nt = ta ? json_array_get_length(ta) : 0, nw = wa ? json_array_get_length(wa) : 0;
	for (guint k = 0; k < nt; k++) {
		JsonNode *n = json_array_get_element(ta, k);
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
			return cor_jfail(c, where, "trunks must be names");
		trunks[k] = json_node_get_string(n);
	}
	for (guint k = 0; k < nw; k++) {
		JsonObject *wo = cor_jelem(c, wa, k, where);
		if (!wo || !cor_jwindow(c, wo, &w[k], FALSE, NULL))
			return FALSE;
	}
	if (!cor_plan_add_route(p, pattern, w, nw, trunks, nt, &e))
		return cor_jwrap(c, where, e);
	return TRUE;
}

static gboolean parse_plan(jctx *c, cor_model *t, const char *name, JsonObject *o)
{
	static const char *const fields[] = { "routes", NULL };
	JsonArray *routes;
	cor_plan *p = cor_model_plan(t, name, c->err);

	if (!p || !cor_jfields(c, o, "(record)", fields) ||
	    !cor_jarray(c, o, "routes", COR_MAX_ROUTES, &routes))
		return FALSE;
	for (guint i = 0; routes && i < json_array_get_length(routes); i++) {
		JsonObject *r = cor_jelem(c, routes, i, "routes");
		if (!r || !parse_route(c, p, r, i))
			return FALSE;
	}
	return TRUE;
}

/* ---- dispatch ---------------------------------------------------------- */

static const struct { const char *prefix; gboolean has_id; } rec_keys[] = {
	[REC_GROUP] = { "cor/group/", TRUE },   [REC_COS] = { "cor/cos/", TRUE },
	[REC_EXT] = { "cor/ext/", TRUE },       [REC_TRUNK] = { "cor/trunk/", TRUE },
	[REC_ACCOUNT] = { "cor/account/", TRUE }, [REC_ARS] = { "cor/ars/", TRUE },
	[REC_INTERCONNECT] = { "cor/interconnect", FALSE },
	[REC_EMERGENCY] = { "cor/emergency", FALSE },
	[REC_SCHEDULE] = { "cor/schedule", FALSE },
};

static rec_type key_type(const char *key, const char **id)
{
	for (guint i = 0; i < REC_NONE; i++) {
		gsize n = strlen(rec_keys[i].prefix);
		if (rec_keys[i].has_id ? strncmp(key, rec_keys[i].prefix, n) == 0 && key[n]
				       : strcmp(key, rec_keys[i].prefix) == 0) {
			*id = key + n;
			return (rec_type) i;
		}
	}
	return REC_NONE;
}

static gboolean numeric_id(jctx *c, const char *id, guint *out)
{
	guint64 v;
	if (!g_ascii_string_to_unsigned(id, 10, 0, COR_MAX_GROUP_ID, &v, NULL))
		return cor_jfail(c, "(key)", "id must be 0..%u", COR_MAX_GROUP_ID);
	*out = (guint) v;
	return TRUE;
}

static gboolean parse_into(jctx *c, cor_model *t, rec_type type, const char *id,
			   JsonObject *o)
{
	guint n = 0;

	switch (type) {
	case REC_GROUP:   return numeric_id(c, id, &n) && parse_group(c, t, n, o);
	case REC_COS:     return numeric_id(c, id, &n) && parse_cos(c, t, n, o);
	case REC_EXT:     return parse_party(c, t, COR_KIND_EXTENSION, id, o);
	case REC_TRUNK:   return parse_party(c, t, COR_KIND_TRUNK, id, o);
	case REC_ACCOUNT: return parse_account(c, t, id, o);
	case REC_ARS:     return parse_plan(c, t, id, o);
	case REC_INTERCONNECT: return cor_json_interconnect(c, t, o);
	case REC_EMERGENCY:    return cor_json_emergency(c, t, o);
	case REC_SCHEDULE:     return cor_json_schedule(c, t, o);
	default:          return FALSE;
	}
}

/* The deepest nesting of [ and { outside strings, so that json-glib's
 * recursive parser never sees a hostile depth. */
static gboolean depth_ok(const char *d, gsize len)
{
	int depth = 0;
	gboolean in_str = FALSE;

	for (gsize i = 0; i < len; i++) {
		char ch = d[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = FALSE;
		} else if (ch == '"') {
			in_str = TRUE;
		} else if (ch == '[' || ch == '{') {
			if (++depth > COR_JSON_MAX_DEPTH)
				return FALSE;
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return TRUE;
}

static JsonObject *load(jctx *c, JsonParser *p, const char *data, gsize len)
{
	GError *e = NULL;

	if (len > COR_JSON_MAX_BYTES) {
		cor_jfail(c, "(record)", "larger than %u bytes", COR_JSON_MAX_BYTES);
		return NULL;
	}
	if (!depth_ok(data, len)) {
		cor_jfail(c, "(record)", "nested deeper than %d", COR_JSON_MAX_DEPTH);
		return NULL;
	}
	if (!json_parser_load_from_data(p, data, (gssize) len, &e)) {
		cor_jfail(c, "(record)", "not JSON: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		cor_jfail(c, "(record)", "must be a JSON object");
		return NULL;
	}
	return json_node_get_object(root);
}

gboolean cor_json_apply(cor_model *m, const char *key, const char *data,
			gsize len, GError **err)
{
	jctx c = { key ? key : "(null)", err };
	const char *id = NULL;
	rec_type type = key ? key_type(key, &id) : REC_NONE;

	if (type == REC_NONE)
		return cor_jfail(&c, "(key)", "not a CoR record key");
	if (!data)
		return cor_json_remove(m, type, id, c.key, err);
	JsonParser *p = json_parser_new_immutable();
	cor_model *t = cor_model_new();
	JsonObject *o = load(&c, p, data, len);
	gboolean ok = o && parse_into(&c, t, type, id, o) && cor_json_move(m, t, type, id, c.key, err);
	cor_model_free(t);
	g_object_unref(p);
	return ok;
}
