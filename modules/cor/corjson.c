/* JSON provisioning records into the CoR model (contract in corjson.h).
 * Each record is parsed into a scratch model first and moved into the real
 * one only when it parsed completely: a bad record changes nothing. */
#include "corjsonint.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

typedef struct jctx {
	const char *key;
	GError    **err;
} jctx;

static gboolean jfail(jctx *c, const char *field, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean jfail(jctx *c, const char *field, const char *fmt, ...)
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
static gboolean jwrap(jctx *c, const char *field, GError *e)
{
	g_set_error(c->err, COR_ERROR, e->code, "%s: field %s: %s", c->key, field,
		    e->message);
	g_error_free(e);
	return FALSE;
}

static gboolean only_fields(jctx *c, JsonObject *o, const char *where,
			    const char *const *allowed)
{
	GList *names = json_object_get_members(o);
	gboolean ok = TRUE;

	for (GList *l = names; ok && l; l = l->next) {
		if (!g_strv_contains(allowed, l->data))
			ok = jfail(c, where, "unknown field \"%.64s\"", (const char *) l->data);
	}
	g_list_free(names);
	return ok;
}

static gboolean get_str(jctx *c, JsonObject *o, const char *f, const char **out,
			gboolean required)
{
	JsonNode *n = json_object_get_member(o, f);

	*out = NULL;
	if (!n)
		return required ? jfail(c, f, "missing") : TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return jfail(c, f, "must be a string");
	*out = json_node_get_string(n);
	if (strlen(*out) > 256)
		return jfail(c, f, "longer than 256 characters");
	for (const char *q = *out; *q; q++)
		if ((guchar) *q < 0x20 || *q == 0x7f)
			return jfail(c, f, "control character at position %d", (int) (q - *out) + 1);
	return TRUE;
}

static gboolean get_uint(jctx *c, JsonObject *o, const char *f, guint max,
			 guint *out)
{
	JsonNode *n = json_object_get_member(o, f);

	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return jfail(c, f, "must be an integer");
	gint64 v = json_node_get_int(n);
	if (v < 0 || v > max)
		return jfail(c, f, "%" G_GINT64_FORMAT " is outside 0..%u", v, max);
	*out = (guint) v;
	return TRUE;
}

static gboolean get_bool(jctx *c, JsonObject *o, const char *f, gboolean *out)
{
	JsonNode *n = json_object_get_member(o, f);

	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return jfail(c, f, "must be true or false");
	*out = json_node_get_boolean(n);
	return TRUE;
}

static gboolean get_array(jctx *c, JsonObject *o, const char *f, guint max,
			  JsonArray **out)
{
	JsonNode *n = json_object_get_member(o, f);

	*out = NULL;
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return jfail(c, f, "must be an array");
	*out = json_node_get_array(n);
	if (json_array_get_length(*out) > max)
		return jfail(c, f, "more than %u entries", max);
	return TRUE;
}

static JsonObject *elem_object(jctx *c, JsonArray *a, guint i, const char *f)
{
	JsonNode *n = json_array_get_element(a, i);
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		jfail(c, f, "entry %u must be an object", i + 1);
		return NULL;
	}
	return json_node_get_object(n);
}

static gboolean get_action(jctx *c, JsonObject *o, const char *f, cor_action *out)
{
	const char *s;

	if (!get_str(c, o, f, &s, FALSE))
		return FALSE;
	if (!s)
		return TRUE;
	if (strcmp(s, "allow") == 0 || strcmp(s, "deny") == 0) {
		*out = s[0] == 'a' ? COR_ACTION_ALLOW : COR_ACTION_DENY;
		return TRUE;
	}
	return jfail(c, f, "must be \"allow\" or \"deny\"");
}

/* ---- cor/group/<id> ---------------------------------------------------- */

static gboolean parse_rule(jctx *c, cor_group *g, JsonObject *o, guint i)
{
	static const char *const fields[] = { "pattern", "action", "name", NULL };
	const char *pattern, *name;
	cor_action action = COR_ACTION_DENY;
	char where[32];
	GError *e = NULL;

	g_snprintf(where, sizeof where, "rules[%u]", i);
	if (!only_fields(c, o, where, fields) ||
	    !get_str(c, o, "pattern", &pattern, TRUE) ||
	    !get_str(c, o, "name", &name, FALSE))
		return FALSE;
	if (!json_object_has_member(o, "action"))
		return jfail(c, where, "missing action");
	if (!get_action(c, o, "action", &action))
		return FALSE;
	if (!cor_group_add_rule(g, pattern, action, name, &e))
		return jwrap(c, where, e);
	return TRUE;
}

static gboolean parse_group(jctx *c, cor_model *t, guint id, JsonObject *o)
{
	static const char *const fields[] = {
		"name", "default", "on_deny", "attendant", "rules", NULL };
	const char *name, *on_deny, *attendant;
	JsonArray *rules;
	cor_group *g = cor_model_group(t, id, c->err);

	if (!g || !only_fields(c, o, "(record)", fields) ||
	    !get_str(c, o, "name", &name, FALSE) ||
	    !get_action(c, o, "default", &g->fallback) ||
	    !get_str(c, o, "on_deny", &on_deny, FALSE) ||
	    !get_str(c, o, "attendant", &attendant, FALSE) ||
	    !get_array(c, o, "rules", COR_MAX_RULES, &rules))
		return FALSE;
	if (on_deny && strcmp(on_deny, "reject") && strcmp(on_deny, "attendant"))
		return jfail(c, "on_deny", "must be \"reject\" or \"attendant\"");
	g->on_deny = on_deny && on_deny[0] == 'a' ? COR_ON_DENY_ATTENDANT : COR_ON_DENY_REJECT;
	if (g->on_deny == COR_ON_DENY_ATTENDANT && (!attendant || !cor_number_valid(attendant)))
		return jfail(c, "attendant", "on_deny \"attendant\" needs an extension number");
	if (name) {
		if (strlen(name) > COR_MAX_NAME)
			return jfail(c, "name", "longer than %u characters", COR_MAX_NAME);
		g_free(g->name);
		g->name = g_strdup(name);
	}
	g->attendant = g_strdup(attendant);
	for (guint i = 0; rules && i < json_array_get_length(rules); i++) {
		JsonObject *r = elem_object(c, rules, i, "rules");
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

	if (!cos || !only_fields(c, o, "(record)", fields) ||
	    !get_str(c, o, "name", &name, FALSE))
		return FALSE;
	if (name && strlen(name) > COR_MAX_NAME)
		return jfail(c, "name", "longer than %u characters", COR_MAX_NAME);
	if (name) {
		g_free(cos->name);
		cos->name = g_strdup(name);
	}
	for (guint i = 0; i < G_N_ELEMENTS(flags); i++) {
		gboolean on = (cos->flags & flags[i]) != 0;
		if (!get_bool(c, o, fields[i + 1], &on))
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
		if (!get_uint(c, o, "cor", COR_MAX_GROUP_ID, &p->cor[0]))
			return FALSE;
		p->cor[1] = p->cor[2] = p->cor[0];
		return TRUE;
	}
	if (!JSON_NODE_HOLDS_OBJECT(n))
		return jfail(c, "cor", "must be a group id or {day, night1, night2}");
	JsonObject *per = json_node_get_object(n);
	if (!only_fields(c, per, "cor", fields))
		return FALSE;
	/* A period left out inherits the one before: night2 <- night1 <- day. */
	for (int i = 0; i < COR_PERIOD_COUNT; i++) {
		p->cor[i] = i ? p->cor[i - 1] : 0;
		if (!get_uint(c, per, fields[i], COR_MAX_GROUP_ID, &p->cor[i]))
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

	if (!p || !only_fields(c, o, "(record)", fields) || !parse_party_cor(c, p, o) ||
	    !get_uint(c, o, "cos", COR_MAX_GROUP_ID, &p->cos) ||
	    !get_uint(c, o, "group", COR_MAX_GROUP_ID, &p->group) ||
	    !get_str(c, o, "ars", &ars, FALSE) ||
	    !get_str(c, o, "system_code", &code, FALSE))
		return FALSE;
	if (ars && (!*ars || strlen(ars) > COR_MAX_NAME))
		return jfail(c, "ars", "must be a plan name of 1 to %u characters", COR_MAX_NAME);
	if (code && (kind != COR_KIND_TRUNK || !cor_number_valid(code)))
		return jfail(c, "system_code", "only trunks have one, of symbols 0-9 * # +");
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

	if (!a || !only_fields(c, o, "(record)", fields) ||
	    !get_bool(c, o, "verified", &a->verified) ||
	    !get_str(c, o, "pin_hash", &hash, FALSE) ||
	    !get_uint(c, o, "cor", COR_MAX_GROUP_ID, &a->cor) ||
	    !get_uint(c, o, "cos", COR_MAX_GROUP_ID, &a->cos))
		return FALSE;
	if (a->verified && !cor_pin_hash_valid(hash))
		return jfail(c, "pin_hash", "a verified code needs a hash "
			     "\"sha256:<iterations>:<salt hex>:<digest hex>\"");
	if (!a->verified && hash)
		return jfail(c, "pin_hash", "only verified codes have a PIN");
	a->pin_hash = g_strdup(hash);
	return TRUE;
}

/* ---- cor/ars/<plan> ---------------------------------------------------- */

static gboolean parse_window(jctx *c, JsonObject *o, cor_window *w, gboolean with_period,
			     cor_period *period)
{
	static const char *const fields[] = { "days", "from", "to", "period", NULL };
	const char *days, *from, *to, *per = NULL;
	GError *e = NULL;

	if (!only_fields(c, o, "windows", fields) ||
	    !get_str(c, o, "days", &days, FALSE) ||
	    !get_str(c, o, "from", &from, TRUE) || !get_str(c, o, "to", &to, TRUE) ||
	    (with_period && !get_str(c, o, "period", &per, TRUE)))
		return FALSE;
	w->days = COR_DAYS_ALL;
	if ((days && !cor_days_parse(days, &w->days, &e)) ||
	    !cor_hhmm_parse(from, &w->from, &e) || !cor_hhmm_parse(to, &w->to, &e))
		return jwrap(c, "windows", e);
	if (with_period && !cor_period_parse(per, period))
		return jfail(c, "windows.period", "must be day, night1 or night2");
	return TRUE;
}

static gboolean parse_route(jctx *c, cor_plan *p, JsonObject *o, guint i)
{
	static const char *const fields[] = { "pattern", "trunks", "windows", NULL };
	const char *pattern, *trunks[COR_MAX_CANDIDATES];
	cor_window w[COR_MAX_WINDOWS];
	JsonArray *ta, *wa;
	GError *e = NULL;
	char where[32];

	g_snprintf(where, sizeof where, "routes[%u]", i);
	if (!only_fields(c, o, where, fields) || !get_str(c, o, "pattern", &pattern, TRUE) ||
	    !get_array(c, o, "trunks", COR_MAX_CANDIDATES, &ta) ||
	    !get_array(c, o, "windows", COR_MAX_WINDOWS, &wa))
		return FALSE;
	guint nt = ta ? json_array_get_length(ta) : 0, nw = wa ? json_array_get_length(wa) : 0;
	for (guint k = 0; k < nt; k++) {
		JsonNode *n = json_array_get_element(ta, k);
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
			return jfail(c, where, "trunks must be names");
		trunks[k] = json_node_get_string(n);
	}
	for (guint k = 0; k < nw; k++) {
		JsonObject *wo = elem_object(c, wa, k, where);
		if (!wo || !parse_window(c, wo, &w[k], FALSE, NULL))
			return FALSE;
	}
	if (!cor_plan_add_route(p, pattern, w, nw, trunks, nt, &e))
		return jwrap(c, where, e);
	return TRUE;
}

static gboolean parse_plan(jctx *c, cor_model *t, const char *name, JsonObject *o)
{
	static const char *const fields[] = { "routes", NULL };
	JsonArray *routes;
	cor_plan *p = cor_model_plan(t, name, c->err);

	if (!p || !only_fields(c, o, "(record)", fields) ||
	    !get_array(c, o, "routes", COR_MAX_ROUTES, &routes))
		return FALSE;
	for (guint i = 0; routes && i < json_array_get_length(routes); i++) {
		JsonObject *r = elem_object(c, routes, i, "routes");
		if (!r || !parse_route(c, p, r, i))
			return FALSE;
	}
	return TRUE;
}

/* ---- singletons -------------------------------------------------------- */

static gboolean parse_kind_group(jctx *c, const char *f, const char *s,
				 cor_kind *kind, guint *group)
{
	guint64 v;
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon)
		return jfail(c, f, "must be \"ext:<group>\" or \"trunk:<group>\"");
	if (colon - s == 3 && strncmp(s, "ext", 3) == 0)
		*kind = COR_KIND_EXTENSION;
	else if (colon - s == 5 && strncmp(s, "trunk", 5) == 0)
		*kind = COR_KIND_TRUNK;
	else
		return jfail(c, f, "kind must be ext or trunk");
	if (!g_ascii_string_to_unsigned(colon + 1, 10, 0, COR_MAX_GROUP_ID, &v, NULL))
		return jfail(c, f, "group must be 0..%u", COR_MAX_GROUP_ID);
	*group = (guint) v;
	return TRUE;
}

static gboolean parse_link(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = { "from", "to", "action", NULL };
	const char *from, *to;
	cor_kind fk, tk;
	guint fg, tg;
	cor_action a = COR_ACTION_DENY;

	if (!only_fields(c, o, "rules", fields) || !get_str(c, o, "from", &from, TRUE) ||
	    !get_str(c, o, "to", &to, TRUE) || !get_action(c, o, "action", &a) ||
	    !parse_kind_group(c, "from", from, &fk, &fg) ||
	    !parse_kind_group(c, "to", to, &tk, &tg))
		return FALSE;
	if (!json_object_has_member(o, "action"))
		return jfail(c, "rules", "missing action");
	return cor_model_link(t, fk, fg, tk, tg, a, c->err);
}

static gboolean parse_interconnect(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = { "defaults", "rules", NULL };
	static const char *const pairs[] = {
		"ext-ext", "ext-trunk", "trunk-ext", "trunk-trunk", NULL };
	JsonArray *rules;
	JsonNode *d = json_object_get_member(o, "defaults");

	if (!only_fields(c, o, "(record)", fields) ||
	    !get_array(c, o, "rules", COR_MAX_LINKS, &rules))
		return FALSE;
	if (d && !JSON_NODE_HOLDS_OBJECT(d))
		return jfail(c, "defaults", "must be an object");
	if (d) {
		JsonObject *dobj = json_node_get_object(d);
		if (!only_fields(c, dobj, "defaults", pairs))
			return FALSE;
		for (int i = 0; i < 4; i++)
			if (!get_action(c, dobj, pairs[i], &t->link_default[i / 2][i % 2]))
				return FALSE;
	}
	for (guint i = 0; rules && i < json_array_get_length(rules); i++) {
		JsonObject *r = elem_object(c, rules, i, "rules");
		if (!r || !parse_link(c, t, r))
			return FALSE;
	}
	return TRUE;
}

static gboolean parse_emergency(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = { "numbers", "trunk_prefix", NULL };
	const char *prefix, *nums[COR_MAX_EMERGENCY + 1];
	JsonArray *a;
	GError *e = NULL;

	if (!only_fields(c, o, "(record)", fields) ||
	    !get_array(c, o, "numbers", COR_MAX_EMERGENCY, &a) ||
	    !get_str(c, o, "trunk_prefix", &prefix, FALSE))
		return FALSE;
	if (!a)
		return jfail(c, "numbers", "missing");
	guint n = json_array_get_length(a);
	for (guint i = 0; i < n; i++) {
		JsonNode *x = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_VALUE(x) || json_node_get_value_type(x) != G_TYPE_STRING)
			return jfail(c, "numbers", "entry %u must be a string", i + 1);
		nums[i] = json_node_get_string(x);
	}
	nums[n] = NULL;
	if (!cor_model_emergency(t, nums, prefix, &e))
		return jwrap(c, "numbers", e);
	return TRUE;
}

static gboolean parse_holiday(jctx *c, cor_sched *s, JsonNode *n, guint i)
{
	guint y = 0, mo, d;
	char tail;
	const char *v = JSON_NODE_HOLDS_VALUE(n) &&
		json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : "";
	GError *e = NULL;

	if (!((strlen(v) == 10 && sscanf(v, "%4u-%2u-%2u%c", &y, &mo, &d, &tail) == 3) ||
	      (strlen(v) == 5 && sscanf(v, "%2u-%2u%c", &mo, &d, &tail) == 2)))
		return jfail(c, "holidays", "entry %u must be \"MM-DD\" or \"YYYY-MM-DD\"", i + 1);
	if (!cor_sched_add_holiday(s, y, mo, d, &e))
		return jwrap(c, "holidays", e);
	return TRUE;
}

static gboolean parse_schedule_body(jctx *c, cor_sched *s, JsonObject *o)
{
	const char *def, *hol;
	cor_period pd = COR_PERIOD_NIGHT1, ph = COR_PERIOD_NIGHT2;
	JsonArray *wa, *ha;

	if (!get_str(c, o, "default", &def, FALSE) || !get_str(c, o, "holiday", &hol, FALSE) ||
	    !get_array(c, o, "windows", COR_SCHED_MAX_WINDOWS, &wa) ||
	    !get_array(c, o, "holidays", COR_SCHED_MAX_HOLIDAYS, &ha))
		return FALSE;
	if ((def && !cor_period_parse(def, &pd)) || (hol && !cor_period_parse(hol, &ph)))
		return jfail(c, def && !cor_period_parse(def, &pd) ? "default" : "holiday",
			     "must be day, night1 or night2");
	cor_sched_set_defaults(s, pd, ph);
	for (guint i = 0; wa && i < json_array_get_length(wa); i++) {
		JsonObject *wo = elem_object(c, wa, i, "windows");
		cor_window w;
		cor_period p;
		GError *e = NULL;
		if (!wo || !parse_window(c, wo, &w, TRUE, &p))
			return FALSE;
		if (!cor_sched_add_window(s, w.days, w.from, w.to, p, &e))
			return jwrap(c, "windows", e);
	}
	for (guint i = 0; ha && i < json_array_get_length(ha); i++)
		if (!parse_holiday(c, s, json_array_get_element(ha, i), i))
			return FALSE;
	return TRUE;
}

static gboolean parse_schedule(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = {
		"timezone", "default", "holiday", "windows", "holidays", NULL };
	const char *tz;
	GError *e = NULL;

	if (!only_fields(c, o, "(record)", fields) || !get_str(c, o, "timezone", &tz, FALSE))
		return FALSE;
	cor_sched *s = cor_sched_new(tz, &e);
	if (!s)
		return jwrap(c, "timezone", e);
	cor_model_set_sched(t, s);
	return parse_schedule_body(c, s, o);
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
		return jfail(c, "(key)", "id must be 0..%u", COR_MAX_GROUP_ID);
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
	case REC_INTERCONNECT: return parse_interconnect(c, t, o);
	case REC_EMERGENCY:    return parse_emergency(c, t, o);
	case REC_SCHEDULE:     return parse_schedule(c, t, o);
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
		jfail(c, "(record)", "larger than %u bytes", COR_JSON_MAX_BYTES);
		return NULL;
	}
	if (!depth_ok(data, len)) {
		jfail(c, "(record)", "nested deeper than %d", COR_JSON_MAX_DEPTH);
		return NULL;
	}
	if (!json_parser_load_from_data(p, data, (gssize) len, &e)) {
		jfail(c, "(record)", "not JSON: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		jfail(c, "(record)", "must be a JSON object");
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
		return jfail(&c, "(key)", "not a CoR record key");
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
