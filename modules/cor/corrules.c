/* The mutable CoR/CoS model (contract in corrules.h): get-or-create
 * accessors that enforce the count and size bounds, so provisioning input
 * can never grow it without limit. */
#include "corrules.h"

#include <string.h>

static gboolean name_ok(const char *what, const char *s, gboolean empty_ok,
			GError **err)
{
	gsize n = s ? strnlen(s, COR_MAX_NAME + 1) : 0;

	if ((n == 0 && !empty_ok) || n > COR_MAX_NAME) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "%s \"%.64s\": must be 1 to %u characters", what,
			    s ? s : "", COR_MAX_NAME);
		return FALSE;
	}
	for (gsize i = 0; i < n; i++) {
		/* Free-text names may hold spaces; ids may not. */
		if (!(empty_ok ? g_ascii_isprint(s[i]) : g_ascii_isgraph(s[i]))) {
			g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
				    "%s \"%.64s\": character %zu is not printable ASCII",
				    what, s, i + 1);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean count_ok(const char *what, guint have, guint max, GError **err)
{
	if (have < max)
		return TRUE;
	g_set_error(err, COR_ERROR, COR_ERROR_LIMIT, "%s: more than %u", what, max);
	return FALSE;
}

static void group_free(gpointer p)
{
	cor_group *g = p;
	for (guint i = 0; i < g->rules->len; i++) {
		cor_rule *r = &g_array_index(g->rules, cor_rule, i);
		g_free(r->text);
		g_free(r->name);
	}
	g_array_free(g->rules, TRUE);
	g_free(g->name);
	g_free(g->attendant);
	g_free(g);
}

static void cos_free(gpointer p)
{
	cor_cos *c = p;
	g_free(c->name);
	g_free(c);
}

static void party_free(gpointer p)
{
	cor_party *x = p;
	g_free(x->id);
	g_free(x->ars);
	g_free(x->system_code);
	g_free(x);
}

static void account_free(gpointer p)
{
	cor_account *a = p;
	g_free(a->code);
	if (a->pin_hash)
		memset(a->pin_hash, 0, strlen(a->pin_hash));
	g_free(a->pin_hash);
	g_free(a);
}

static void plan_free(gpointer p)
{
	cor_plan *pl = p;
	for (guint i = 0; i < pl->routes->len; i++) {
		cor_route *r = &g_array_index(pl->routes, cor_route, i);
		g_free(r->text);
		for (guint j = 0; j < r->n_trunks; j++)
			g_free(r->trunks[j]);
	}
	g_array_free(pl->routes, TRUE);
	g_free(pl->name);
	g_free(pl);
}

cor_model *cor_model_new(void)
{
	static const char *const emergency[] = { "112", "911", "999", "000", "110", NULL };
	cor_model *m = g_new0(cor_model, 1);

	m->groups = g_hash_table_new_full(NULL, NULL, NULL, group_free);
	m->cos = g_hash_table_new_full(NULL, NULL, NULL, cos_free);
	for (int k = 0; k < 2; k++)
		m->parties[k] = g_hash_table_new_full(g_str_hash, g_str_equal,
						      NULL, party_free);
	m->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, account_free);
	m->plans = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, plan_free);
	m->links = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	m->link_default[COR_KIND_EXTENSION][COR_KIND_EXTENSION] = COR_ACTION_ALLOW;
	m->link_default[COR_KIND_EXTENSION][COR_KIND_TRUNK] = COR_ACTION_ALLOW;
	m->link_default[COR_KIND_TRUNK][COR_KIND_EXTENSION] = COR_ACTION_ALLOW;
	m->link_default[COR_KIND_TRUNK][COR_KIND_TRUNK] = COR_ACTION_DENY;
	m->emergency = g_ptr_array_new_with_free_func(g_free);
	cor_model_emergency(m, emergency, NULL, NULL);
	return m;
}

void cor_model_free(cor_model *m)
{
	if (!m)
		return;
	g_hash_table_destroy(m->groups);
	g_hash_table_destroy(m->cos);
	g_hash_table_destroy(m->parties[0]);
	g_hash_table_destroy(m->parties[1]);
	g_hash_table_destroy(m->accounts);
	g_hash_table_destroy(m->plans);
	g_hash_table_destroy(m->links);
	g_ptr_array_free(m->emergency, TRUE);
	g_free(m->trunk_prefix);
	cor_sched_unref(m->sched);
	g_free(m);
}

cor_group *cor_model_group(cor_model *m, guint id, GError **err)
{
	cor_group *g = g_hash_table_lookup(m->groups, GUINT_TO_POINTER(id));

	if (g)
		return g;
	if (id > COR_MAX_GROUP_ID) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "CoR group %u: ids go from 0 to %u", id, COR_MAX_GROUP_ID);
		return NULL;
	}
	g = g_new0(cor_group, 1);
	g->id = id;
	g->name = g_strdup_printf("cor%u", id);
	g->fallback = COR_ACTION_DENY;
	g->rules = g_array_new(FALSE, FALSE, sizeof(cor_rule));
	g_hash_table_insert(m->groups, GUINT_TO_POINTER(id), g);
	return g;
}

gboolean cor_group_add_rule(cor_group *g, const char *pattern,
			    cor_action action, const char *name, GError **err)
{
	cor_rule r = { .action = action };

	if (!count_ok("CoR group rules", g->rules->len, COR_MAX_RULES, err) ||
	    !cor_pattern_parse(pattern, &r.pat, err) ||
	    (name && !name_ok("rule name", name, TRUE, err)))
		return FALSE;
	r.text = g_strdup(pattern);
	r.name = g_strdup(name && *name ? name : pattern);
	g_array_append_val(g->rules, r);
	return TRUE;
}

cor_cos *cor_model_cos(cor_model *m, guint id, GError **err)
{
	cor_cos *c = g_hash_table_lookup(m->cos, GUINT_TO_POINTER(id));

	if (c)
		return c;
	if (id > COR_MAX_GROUP_ID) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "CoS group %u: ids go from 0 to %u", id, COR_MAX_GROUP_ID);
		return NULL;
	}
	c = g_new0(cor_cos, 1);
	c->id = id;
	c->name = g_strdup_printf("cos%u", id);
	c->flags = COR_COS_DEFAULT;
	g_hash_table_insert(m->cos, GUINT_TO_POINTER(id), c);
	return c;
}

cor_party *cor_model_party(cor_model *m, cor_kind kind, const char *id,
			   GError **err)
{
	GHashTable *t = m->parties[kind == COR_KIND_TRUNK];
	cor_party *p = g_hash_table_lookup(t, id);
	guint total = g_hash_table_size(m->parties[0]) + g_hash_table_size(m->parties[1]);

	if (p)
		return p;
	if (!name_ok(kind == COR_KIND_TRUNK ? "trunk" : "extension", id, FALSE, err) ||
	    !count_ok("extensions and trunks", total, COR_MAX_PARTIES, err))
		return NULL;
	p = g_new0(cor_party, 1);
	p->kind = kind;
	p->id = g_strdup(id);
	g_hash_table_insert(t, p->id, p);
	return p;
}

cor_account *cor_model_account(cor_model *m, const char *code, GError **err)
{
	cor_account *a = g_hash_table_lookup(m->accounts, code);

	if (a)
		return a;
	if (!name_ok("account code", code, FALSE, err) ||
	    !count_ok("account codes", g_hash_table_size(m->accounts),
		      COR_MAX_ACCOUNTS, err))
		return NULL;
	a = g_new0(cor_account, 1);
	a->code = g_strdup(code);
	a->cor = a->cos = COR_KEEP;
	g_hash_table_insert(m->accounts, a->code, a);
	return a;
}

cor_plan *cor_model_plan(cor_model *m, const char *name, GError **err)
{
	cor_plan *p = g_hash_table_lookup(m->plans, name);

	if (p)
		return p;
	if (!name_ok("ARS plan", name, FALSE, err) ||
	    !count_ok("ARS plans", g_hash_table_size(m->plans), COR_MAX_PLANS, err))
		return NULL;
	p = g_new0(cor_plan, 1);
	p->name = g_strdup(name);
	p->routes = g_array_new(FALSE, FALSE, sizeof(cor_route));
	g_hash_table_insert(m->plans, p->name, p);
	return p;
}

gboolean cor_plan_add_route(cor_plan *p, const char *pattern,
			    const cor_window *windows, guint n_windows,
			    const char *const *trunks, guint n_trunks,
			    GError **err)
{
	cor_route r = { 0 };

	if (!count_ok("ARS routes", p->routes->len, COR_MAX_ROUTES, err) ||
	    !count_ok("ARS route windows", n_windows, COR_MAX_WINDOWS + 1, err) ||
	    !count_ok("ARS route trunks", n_trunks, COR_MAX_CANDIDATES + 1, err) ||
	    !cor_pattern_parse(pattern, &r.pat, err))
		return FALSE;
	for (guint i = 0; i < n_trunks; i++)
		if (!name_ok("ARS trunk", trunks[i], FALSE, err))
			return FALSE;
	r.text = g_strdup(pattern);
	r.n_windows = n_windows;
	if (n_windows)
		memcpy(r.windows, windows, n_windows * sizeof *windows);
	r.n_trunks = n_trunks;
	for (guint i = 0; i < n_trunks; i++)
		r.trunks[i] = g_strdup(trunks[i]);
	g_array_append_val(p->routes, r);
	return TRUE;
}

gboolean cor_model_link(cor_model *m, cor_kind from, guint from_group,
			cor_kind to, guint to_group, cor_action action,
			GError **err)
{
	if (from_group > COR_MAX_GROUP_ID || to_group > COR_MAX_GROUP_ID) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "interconnect: groups go from 0 to %u", COR_MAX_GROUP_ID);
		return FALSE;
	}
	gint64 key = cor_link_key(from, from_group, to, to_group);
	if (!g_hash_table_contains(m->links, &key) &&
	    !count_ok("interconnect rules", g_hash_table_size(m->links),
		      COR_MAX_LINKS, err))
		return FALSE;
	g_hash_table_insert(m->links, g_memdup2(&key, sizeof key),
			    GUINT_TO_POINTER(action + 1));
	return TRUE;
}

gboolean cor_model_emergency(cor_model *m, const char *const *numbers,
			     const char *trunk_prefix, GError **err)
{
	guint n = numbers ? g_strv_length((gchar **) numbers) : 0;

	if (n > COR_MAX_EMERGENCY) {
		g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
			    "emergency: more than %u numbers", COR_MAX_EMERGENCY);
		return FALSE;
	}
	for (guint i = 0; i < n; i++) {
		if (!cor_number_valid(numbers[i]) || strlen(numbers[i]) > 16) {
			g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
				    "emergency: \"%.64s\" is not a number of 1 to 16 "
				    "symbols 0-9 * # +", numbers[i]);
			return FALSE;
		}
	}
	if (trunk_prefix && *trunk_prefix &&
	    (!cor_number_valid(trunk_prefix) || strlen(trunk_prefix) > 8)) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "emergency: trunk prefix \"%.64s\" is not 1 to 8 symbols 0-9 * # +",
			    trunk_prefix);
		return FALSE;
	}
	g_ptr_array_set_size(m->emergency, 0);
	for (guint i = 0; i < n; i++)
		g_ptr_array_add(m->emergency, g_strdup(numbers[i]));
	g_free(m->trunk_prefix);
	m->trunk_prefix = trunk_prefix && *trunk_prefix ? g_strdup(trunk_prefix) : NULL;
	return TRUE;
}

void cor_model_set_sched(cor_model *m, cor_sched *sched)
{
	cor_sched_unref(m->sched);
	m->sched = sched;
}
