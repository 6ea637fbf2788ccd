/* The singleton CoR records: cor/interconnect, cor/emergency and
 * cor/schedule (shapes in docs/cor.md). */
#include "corjsonint.h"

#include <stdio.h>
#include <string.h>

static gboolean parse_kind_group(jctx *c, const char *f, const char *s,
				 cor_kind *kind, guint *group)
{
	guint64 v;
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon)
		return cor_jfail(c, f, "must be \"ext:<group>\" or \"trunk:<group>\"");
	if (colon - s == 3 && strncmp(s, "ext", 3) == 0)
		*kind = COR_KIND_EXTENSION;
	else if (colon - s == 5 && strncmp(s, "trunk", 5) == 0)
		*kind = COR_KIND_TRUNK;
	else
		return cor_jfail(c, f, "kind must be ext or trunk");
	if (!g_ascii_string_to_unsigned(colon + 1, 10, 0, COR_MAX_GROUP_ID, &v, NULL))
		return cor_jfail(c, f, "group must be 0..%u", COR_MAX_GROUP_ID);
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

	if (!cor_jfields(c, o, "rules", fields) || !cor_jstr(c, o, "from", &from, TRUE) ||
	    !cor_jstr(c, o, "to", &to, TRUE) || !cor_jaction(c, o, "action", &a) ||
	    !parse_kind_group(c, "from", from, &fk, &fg) ||
	    !parse_kind_group(c, "to", to, &tk, &tg))
		return FALSE;
	if (!json_object_has_member(o, "action"))
		return cor_jfail(c, "rules", "missing action");
	return cor_model_link(t, fk, fg, tk, tg, a, c->err);
}

gboolean cor_json_interconnect(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = { "defaults", "rules", NULL };
	static const char *const pairs[] = {
		"ext-ext", "ext-trunk", "trunk-ext", "trunk-trunk", NULL };
	JsonArray *rules;
	JsonNode *d = json_object_get_member(o, "defaults");

	if (!cor_jfields(c, o, "(record)", fields) ||
	    !cor_jarray(c, o, "rules", COR_MAX_LINKS, &rules))
		return FALSE;
	if (d && !JSON_NODE_HOLDS_OBJECT(d))
		return cor_jfail(c, "defaults", "must be an object");
	if (d) {
		JsonObject *dobj = json_node_get_object(d);
		if (!cor_jfields(c, dobj, "defaults", pairs))
			return FALSE;
		for (int i = 0; i < 4; i++)
			if (!cor_jaction(c, dobj, pairs[i], &t->link_default[i / 2][i % 2]))
				return FALSE;
	}
	for (guint i = 0; rules && i < json_array_get_length(rules); i++) {
		JsonObject *r = cor_jelem(c, rules, i, "rules");
		if (!r || !parse_link(c, t, r))
			return FALSE;
	}
	return TRUE;
}

gboolean cor_json_emergency(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = { "numbers", "trunk_prefix", NULL };
	const char *prefix, *nums[COR_MAX_EMERGENCY + 1];
	JsonArray *a;
	GError *e = NULL;

	if (!cor_jfields(c, o, "(record)", fields) ||
	    !cor_jarray(c, o, "numbers", COR_MAX_EMERGENCY, &a) ||
	    !cor_jstr(c, o, "trunk_prefix", &prefix, FALSE))
		return FALSE;
	if (!a)
		return cor_jfail(c, "numbers", "missing");
	guint n = json_array_get_length(a);
	for (guint i = 0; i < n; i++) {
		JsonNode *x = json_array_get_element(a, i);
		if (!JSON_NODE_HOLDS_VALUE(x) || json_node_get_value_type(x) != G_TYPE_STRING)
			return cor_jfail(c, "numbers", "entry %u must be a string", i + 1);
		nums[i] = json_node_get_string(x);
	}
	nums[n] = NULL;
	if (!cor_model_emergency(t, nums, prefix, &e))
		return cor_jwrap(c, "numbers", e);
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
		return cor_jfail(c, "holidays", "entry %u must be \"MM-DD\" or \"YYYY-MM-DD\"", i + 1);
	if (!cor_sched_add_holiday(s, y, mo, d, &e))
		return cor_jwrap(c, "holidays", e);
	return TRUE;
}

static gboolean parse_schedule_body(jctx *c, cor_sched *s, JsonObject *o)
{
	const char *def, *hol;
	cor_period pd = COR_PERIOD_NIGHT1, ph = COR_PERIOD_NIGHT2;
	JsonArray *wa, *ha;

	if (!cor_jstr(c, o, "default", &def, FALSE) || !cor_jstr(c, o, "holiday", &hol, FALSE) ||
	    !cor_jarray(c, o, "windows", COR_SCHED_MAX_WINDOWS, &wa) ||
	    !cor_jarray(c, o, "holidays", COR_SCHED_MAX_HOLIDAYS, &ha))
		return FALSE;
	if ((def && !cor_period_parse(def, &pd)) || (hol && !cor_period_parse(hol, &ph)))
		return cor_jfail(c, def && !cor_period_parse(def, &pd) ? "default" : "holiday",
			     "must be day, night1 or night2");
	cor_sched_set_defaults(s, pd, ph);
	for (guint i = 0; wa && i < json_array_get_length(wa); i++) {
		JsonObject *wo = cor_jelem(c, wa, i, "windows");
		cor_window w;
		cor_period p;
		GError *e = NULL;
		if (!wo || !cor_jwindow(c, wo, &w, TRUE, &p))
			return FALSE;
		if (!cor_sched_add_window(s, w.days, w.from, w.to, p, &e))
			return cor_jwrap(c, "windows", e);
	}
	for (guint i = 0; ha && i < json_array_get_length(ha); i++)
		if (!parse_holiday(c, s, json_array_get_element(ha, i), i))
			return FALSE;
	return TRUE;
}

gboolean cor_json_schedule(jctx *c, cor_model *t, JsonObject *o)
{
	static const char *const fields[] = {
		"timezone", "default", "holiday", "windows", "holidays", NULL };
	const char *tz;
	GError *e = NULL;

	if (!cor_jfields(c, o, "(record)", fields) || !cor_jstr(c, o, "timezone", &tz, FALSE))
		return FALSE;
	cor_sched *s = cor_sched_new(tz, &e);
	if (!s)
		return cor_jwrap(c, "timezone", e);
	cor_model_set_sched(t, s);
	return parse_schedule_body(c, s, o);
}
