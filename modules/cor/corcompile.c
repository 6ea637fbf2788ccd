/* Compiles a cor_model into an immutable cor_ruleset (contract in
 * corrules.h). Strings are copied into one chunk and every reference is
 * resolved to a pointer, so the model can change or go once this returns
 * and a decision never looks anything up by id except the parties. */
#include "corint.h"

#include <string.h>

/* The built-in default CoR (group 0 unless provisioned). */
static const struct { const char *pattern, *name; cor_action action; } default_rules[] = {
	{ "00.",    "international",         COR_ACTION_DENY },
	{ "+.",     "international (E.164)", COR_ACTION_DENY },
	{ "00900.", "international premium", COR_ACTION_DENY },
	{ "0900.",  "premium rate",          COR_ACTION_DENY },
	{ "0137.",  "premium televoting",    COR_ACTION_DENY },
	{ "0190.",  "premium rate (legacy)", COR_ACTION_DENY },
};

static const char *str(cor_ruleset *rs, const char *s)
{
	return s ? g_string_chunk_insert_const(rs->strings, s) : NULL;
}

static gpointer keep(cor_ruleset *rs, gpointer p)
{
	g_ptr_array_add(rs->allocs, p);
	return p;
}

static int cmp_uint(const void *a, const void *b)
{
	guint x = *(const guint *) a, y = *(const guint *) b;
	return x < y ? -1 : x > y;
}

static gboolean build_dfa(cor_ruleset *rs, cor_dfa **out,
			  const cor_pattern *const *pats, guint n, const char *what,
			  GError **err)
{
	GError *e = NULL;

	*out = cor_dfa_build(pats, n, rs->state_budget, &e);
	if (*out) {
		rs->state_budget -= (*out)->n_states;
		return TRUE;
	}
	g_set_error(err, COR_ERROR, e->code, "%s: %s", what, e->message);
	g_error_free(e);
	return FALSE;
}

static gboolean compile_group(cor_ruleset *rs, rs_group *g, const cor_group *src,
			      GError **err)
{
	guint n = src->rules->len;
	const cor_pattern **pats = g_new(const cor_pattern *, n + 1);

	g->id = src->id;
	g->name = str(rs, src->name);
	g->fallback = src->fallback;
	g->on_deny = src->on_deny;
	g->attendant = str(rs, src->attendant);
	g->n_rules = n;
	g->rules = keep(rs, g_new0(rs_rule, n + 1));
	for (guint i = 0; i < n; i++) {
		const cor_rule *r = &g_array_index(src->rules, cor_rule, i);
		g->rules[i] = (rs_rule) { str(rs, r->text), str(rs, r->name), r->action };
		pats[i] = &r->pat;
	}
	char *what = g_strdup_printf("CoR group %u", src->id);
	gboolean ok = build_dfa(rs, &g->dfa, pats, n, what, err);
	g_free(what);
	g_free(pats);
	return ok;
}

static void default_group(cor_group *g)
{
	for (guint i = 0; i < G_N_ELEMENTS(default_rules); i++)
		cor_group_add_rule(g, default_rules[i].pattern, default_rules[i].action,
				   default_rules[i].name, NULL);
	g_free(g->name);
	g->name = g_strdup("default");
	g->fallback = COR_ACTION_ALLOW;
}

static gboolean compile_groups(cor_ruleset *rs, const cor_model *m, GError **err)
{
	guint n = g_hash_table_size(m->groups);
	gboolean has0 = g_hash_table_contains(m->groups, GUINT_TO_POINTER(0));
	guint *ids = g_new(guint, n + 1), k = 0;
	GHashTableIter it;
	gpointer key;
	cor_model *tmp = NULL;

	g_hash_table_iter_init(&it, m->groups);
	while (g_hash_table_iter_next(&it, &key, NULL))
		ids[k++] = GPOINTER_TO_UINT(key);
	if (!has0)
		ids[k++] = 0;
	qsort(ids, k, sizeof *ids, cmp_uint);
	rs->n_groups = k;
	rs->groups = keep(rs, g_new0(rs_group, k));
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < k; i++) {
		const cor_group *src = g_hash_table_lookup(m->groups, GUINT_TO_POINTER(ids[i]));
		if (!src) {
			tmp = cor_model_new();
			cor_group *g = cor_model_group(tmp, 0, NULL);
			default_group(g);
			src = g;
		}
		ok = compile_group(rs, &rs->groups[i], src, err);
	}
	cor_model_free(tmp);
	g_free(ids);
	if (ok) {
		static const cor_pattern *none[1];
		rs->barred = (rs_group) { G_MAXUINT, "(undefined: barred)",
					  COR_ACTION_DENY, COR_ON_DENY_REJECT, NULL, 0, NULL, NULL };
		ok = build_dfa(rs, &rs->barred.dfa, none, 0, "barred group", err);
	}
	return ok;
}

static void compile_cos(cor_ruleset *rs, const cor_model *m)
{
	guint n = g_hash_table_size(m->cos), k = 0;
	gboolean has0 = g_hash_table_contains(m->cos, GUINT_TO_POINTER(0));
	GHashTableIter it;
	gpointer key, val;

	rs->cos = keep(rs, g_new0(rs_cos, n + 1));
	g_hash_table_iter_init(&it, m->cos);
	while (g_hash_table_iter_next(&it, &key, &val)) {
		const cor_cos *c = val;
		rs->cos[k++] = (rs_cos) { c->id, str(rs, c->name), c->flags };
	}
	if (!has0)
		rs->cos[k++] = (rs_cos) { 0, "default", COR_COS_DEFAULT };
	/* rs_cos starts with its id: sort on it. */
	qsort(rs->cos, k, sizeof *rs->cos, cmp_uint);
	rs->n_cos = k;
}

static int cmp_group_id(const void *key, const void *elem)
{
	return cmp_uint(key, elem);
}

const rs_group *cor_rs_group(const cor_ruleset *rs, guint id)
{
	const rs_group *g = bsearch(&id, rs->groups, rs->n_groups, sizeof *g, cmp_group_id);
	return g ? g : &rs->barred;
}

const rs_cos *cor_rs_cos(const cor_ruleset *rs, guint id)
{
	const rs_cos *c = bsearch(&id, rs->cos, rs->n_cos, sizeof *c, cmp_group_id);
	/* A missing CoS grants nothing, like a missing CoR. */
	static const rs_cos none = { G_MAXUINT, "(undefined: no features)", 0 };
	return c ? c : &none;
}

static gboolean compile_plan(cor_ruleset *rs, rs_plan *p, const cor_plan *src,
			     GError **err)
{
	guint n = src->routes->len;
	const cor_pattern **pats = g_new(const cor_pattern *, n + 1);

	p->name = str(rs, src->name);
	p->n_routes = n;
	p->routes = keep(rs, g_new0(rs_route, n + 1));
	for (guint i = 0; i < n; i++) {
		const cor_route *r = &g_array_index(src->routes, cor_route, i);
		rs_route *d = &p->routes[i];
		d->pattern = str(rs, r->text);
		d->n_windows = r->n_windows;
		memcpy(d->windows, r->windows, sizeof d->windows);
		d->n_trunks = r->n_trunks;
		for (guint j = 0; j < r->n_trunks; j++) {
			d->trunks[j] = str(rs, r->trunks[j]);
			d->trunk[j] = g_hash_table_lookup(rs->parties[COR_KIND_TRUNK], r->trunks[j]);
		}
		pats[i] = &r->pat;
	}
	char *what = g_strdup_printf("ARS plan %s", src->name);
	gboolean ok = build_dfa(rs, &p->dfa, pats, n, what, err);
	g_free(what);
	g_free(pats);
	return ok;
}

static void free_plan(gpointer p)
{
	rs_plan *pl = p;
	cor_dfa_free(pl->dfa);
	g_free(pl);
}

static gboolean compile_plans(cor_ruleset *rs, const cor_model *m, GError **err)
{
	GHashTableIter it;
	gpointer val;

	g_hash_table_iter_init(&it, m->plans);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		rs_plan *p = g_new0(rs_plan, 1);
		gboolean ok = compile_plan(rs, p, val, err);
		g_hash_table_insert(rs->plans, (gpointer) p->name, p);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

static void resolve_party(cor_ruleset *rs, rs_party *d, const cor_party *p)
{
	d->id = str(rs, p->id);
	for (int i = 0; i < COR_PERIOD_COUNT; i++)
		d->cor[i] = cor_rs_group(rs, p->cor[i]);
	d->cos = cor_rs_cos(rs, p->cos);
	d->group = p->group;
	d->system_code = str(rs, p->system_code);
}

static void compile_parties(cor_ruleset *rs, const cor_model *m)
{
	for (int k = 0; k < 2; k++) {
		GHashTableIter it;
		gpointer val;
		guint n = g_hash_table_size(m->parties[k]), i = 0;
		rs_party *arr = keep(rs, g_new0(rs_party, n + 1));

		g_hash_table_iter_init(&it, m->parties[k]);
		while (g_hash_table_iter_next(&it, NULL, &val)) {
			resolve_party(rs, &arr[i], val);
			g_hash_table_insert(rs->parties[k], (gpointer) arr[i].id, &arr[i]);
			i++;
		}
		for (int p = 0; p < COR_PERIOD_COUNT; p++)
			rs->unknown[k].cor[p] = cor_rs_group(rs, 0);
		rs->unknown[k].cos = cor_rs_cos(rs, 0);
		rs->unknown[k].id = "(not provisioned)";
	}
}

/* ARS plans are compiled after the trunks (routes point at them) and
 * before parties point at plans. */
static void link_plans(cor_ruleset *rs, const cor_model *m)
{
	for (int k = 0; k < 2; k++) {
		GHashTableIter it;
		gpointer val;
		g_hash_table_iter_init(&it, m->parties[k]);
		while (g_hash_table_iter_next(&it, NULL, &val)) {
			const cor_party *p = val;
			rs_party *d = g_hash_table_lookup(rs->parties[k], p->id);
			d->ars = g_hash_table_lookup(rs->plans, p->ars ? p->ars : "default");
		}
		rs->unknown[k].ars = g_hash_table_lookup(rs->plans, "default");
	}
}

static void compile_accounts(cor_ruleset *rs, const cor_model *m)
{
	GHashTableIter it;
	gpointer val;
	guint n = g_hash_table_size(m->accounts), i = 0;
	rs_account *arr = keep(rs, g_new0(rs_account, n + 1));

	g_hash_table_iter_init(&it, m->accounts);
	while (g_hash_table_iter_next(&it, NULL, &val)) {
		const cor_account *a = val;
		arr[i] = (rs_account) {
			str(rs, a->code), a->verified, str(rs, a->pin_hash),
			a->cor == COR_KEEP ? NULL : cor_rs_group(rs, a->cor),
			a->cos == COR_KEEP ? NULL : cor_rs_cos(rs, a->cos),
		};
		g_hash_table_insert(rs->accounts, (gpointer) arr[i].code, &arr[i]);
		i++;
	}
}

static void compile_misc(cor_ruleset *rs, const cor_model *m)
{
	GHashTableIter it;
	gpointer key, val;

	g_hash_table_iter_init(&it, m->links);
	while (g_hash_table_iter_next(&it, &key, &val))
		g_hash_table_insert(rs->links, g_memdup2(key, sizeof(gint64)), val);
	memcpy(rs->link_default, m->link_default, sizeof rs->link_default);
	rs->n_emergency = m->emergency->len;
	rs->emergency = keep(rs, g_new0(const char *, m->emergency->len + 1));
	for (guint i = 0; i < m->emergency->len; i++)
		rs->emergency[i] = str(rs, g_ptr_array_index(m->emergency, i));
	rs->trunk_prefix = str(rs, m->trunk_prefix);
	rs->sched = m->sched ? cor_sched_ref(m->sched) : cor_sched_new(NULL, NULL);
}

cor_ruleset *cor_compile(const cor_model *m, GError **err)
{
	cor_ruleset *rs = g_new0(cor_ruleset, 1);

	rs->ref = 1;
	rs->state_budget = COR_MAX_TOTAL_STATES;
	rs->strings = g_string_chunk_new(4096);
	rs->allocs = g_ptr_array_new_with_free_func(g_free);
	for (int k = 0; k < 2; k++)
		rs->parties[k] = g_hash_table_new(g_str_hash, g_str_equal);
	rs->accounts = g_hash_table_new(g_str_hash, g_str_equal);
	rs->plans = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, free_plan);
	rs->links = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
	compile_cos(rs, m);
	compile_misc(rs, m);
	if (!compile_groups(rs, m, err)) {
		cor_ruleset_unref(rs);
		return NULL;
	}
	compile_parties(rs, m);
	compile_accounts(rs, m);
	if (!compile_plans(rs, m, err)) {
		cor_ruleset_unref(rs);
		return NULL;
	}
	link_plans(rs, m);
	return rs;
}

cor_ruleset *cor_ruleset_ref(cor_ruleset *rs)
{
	g_atomic_int_inc(&rs->ref);
	return rs;
}

void cor_ruleset_unref(cor_ruleset *rs)
{
	if (!rs || !g_atomic_int_dec_and_test(&rs->ref))
		return;
	for (guint i = 0; rs->groups && i < rs->n_groups; i++)
		cor_dfa_free(rs->groups[i].dfa);
	cor_dfa_free(rs->barred.dfa);
	g_hash_table_destroy(rs->parties[0]);
	g_hash_table_destroy(rs->parties[1]);
	g_hash_table_destroy(rs->accounts);
	g_hash_table_destroy(rs->plans);
	g_hash_table_destroy(rs->links);
	if (rs->sched)
		cor_sched_unref(rs->sched);
	g_ptr_array_free(rs->allocs, TRUE);
	g_string_chunk_free(rs->strings);
	g_free(rs);
}

cor_sched *cor_ruleset_sched(const cor_ruleset *rs)
{
	return rs->sched;
}
