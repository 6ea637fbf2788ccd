/* Benchmark of the CoR engine: authorization decisions per second on one
 * core with 75 CoR groups x 200 rules and 10 000 extensions, over a mix of
 * dialled numbers (local, national, mobile, international, premium,
 * emergency), and the time to recompile the whole rule set. Then the same
 * through the module's hook: bw_hook_run("call.authorize") with a
 * bw_call_attempt, as the call engine runs it (mapping, period, decision,
 * note, cor.denied events, guard). Figures only: no pass/fail on time. */
#include "corglue.h"

#include <stdio.h>

#define GROUPS 75
#define RULES 200
#define EXTENSIONS 10000
#define NUMBERS 4096

static void add_rules(cor_model *m, guint id, GRand *r)
{
	cor_group *g = cor_model_group(m, id, NULL);
	g->fallback = id % 3 ? COR_ACTION_ALLOW : COR_ACTION_DENY;
	for (guint i = 0; i < RULES; i++) {
		char pat[32];
		switch (i % 5) {
		case 0: g_snprintf(pat, sizeof pat, "00%u.", g_rand_int_range(r, 1, 999)); break;
		case 1: g_snprintf(pat, sizeof pat, "0%uX.", g_rand_int_range(r, 2, 9999)); break;
		case 2: g_snprintf(pat, sizeof pat, "0900%u.", g_rand_int_range(r, 0, 99)); break;
		case 3: g_snprintf(pat, sizeof pat, "01[5-7]%02u.", g_rand_int_range(r, 0, 99)); break;
		default: g_snprintf(pat, sizeof pat, "[2-9]%03uX!", g_rand_int_range(r, 0, 999)); break;
		}
		cor_group_add_rule(g, pat, g_rand_boolean(r) ? COR_ACTION_ALLOW : COR_ACTION_DENY,
				   NULL, NULL);
	}
}

static cor_model *build_model(GRand *r)
{
	cor_model *m = cor_model_new();
	for (guint id = 1; id <= GROUPS; id++)
		add_rules(m, id, r);
	for (guint e = 0; e < EXTENSIONS; e++) {
		char ext[16];
		g_snprintf(ext, sizeof ext, "%u", 20000 + e);
		cor_party *p = cor_model_party(m, COR_KIND_EXTENSION, ext, NULL);
		for (int k = 0; k < COR_PERIOD_COUNT; k++)
			p->cor[k] = (guint) g_rand_int_range(r, 1, GROUPS + 1);
		p->group = e % 8;
	}
	const char *const em[] = { "112", "911", "999", "000", "110", NULL };
	cor_model_emergency(m, em, "0", NULL);
	return m;
}

/* Numbers as dialled with the trunk prefix 0 in front. */
static void make_numbers(GRand *r, char (*nums)[24])
{
	for (guint i = 0; i < NUMBERS; i++) {
		guint32 x = g_rand_int(r) % 1000000u;
		switch (g_rand_int_range(r, 0, 20)) {
		case 0: case 1: case 2: case 3:
			g_snprintf(nums[i], 24, "0%u%06u", g_rand_int_range(r, 200, 999), x); break;
		case 4: case 5: case 6:
			g_snprintf(nums[i], 24, "001%02u%07u", g_rand_int_range(r, 50, 79), x); break;
		case 7: case 8:
			g_snprintf(nums[i], 24, "000%u%08u", g_rand_int_range(r, 1, 999), x); break;
		case 9:
			g_snprintf(nums[i], 24, "00900%06u", x); break;
		case 10:
			g_snprintf(nums[i], 24, "0112"); break;
		default:
			g_snprintf(nums[i], 24, "0%u%03u", g_rand_int_range(r, 2000, 9999), x % 1000); break;
		}
	}
}

/* The module's authorize hook over the same rule set, on this thread
 * (it stands in for the signalling thread: nothing else touches the set). */
static double hook_rate(cor_ruleset *rs, char (*nums)[24], char (*exts)[16], guint64 n)
{
	cor_glue_conf conf = { 0 };
	char *em[] = { "112", "911", "999", "000", "110", NULL };
	conf.trunk_prefix = g_strdup("0");
	conf.emergency = g_strdupv(em);
	cor_glue *g = cor_glue_new(&conf);
	g->sig = cor_sig_new(&g->conf);
	g->sig->rs = cor_ruleset_ref(rs);
	bw_hook *h = bw_hook_add("call.authorize", COR_GLUE_PRIORITY, "cor", cor_glue_authorize, g);
	guint64 allowed = 0;
	gint64 t0 = g_get_monotonic_time();
	for (guint64 i = 0; i < n; i++) {
		bw_call_attempt a = { .dialed = nums[i % NUMBERS] };
		a.caller.kind = BW_PARTY_EXTENSION;
		a.caller.id = a.caller.number = exts[(i * 7919) % EXTENSIONS];
		bw_verdict v;
		allowed += bw_hook_run("call.authorize", &a, &v) == BW_HOOK_CONTINUE;
	}
	gint64 t1 = g_get_monotonic_time();
	bw_hook_remove(h);
	cor_sig_free(g->sig);
	g->sig = NULL;
	cor_glue_free(g);
	return allowed ? (double) n * 1e6 / (double) MAX(t1 - t0, 1) : 0.0;
}

int main(void)
{
	GRand *r = g_rand_new_with_seed(20260322);
	cor_model *m = build_model(r);
	char (*nums)[24] = g_malloc(sizeof(char[24]) * NUMBERS);
	char (*exts)[16] = g_malloc(sizeof(char[16]) * EXTENSIONS);
	GError *e = NULL;

	make_numbers(r, nums);
	for (guint i = 0; i < EXTENSIONS; i++)
		g_snprintf(exts[i], 16, "%u", 20000 + i);

	gint64 t0 = g_get_monotonic_time();
	cor_ruleset *rs = cor_compile(m, &e);
	gint64 t1 = g_get_monotonic_time();
	if (!rs) {
		fprintf(stderr, "bench_cor: compile failed: %s\n", e->message);
		return 1;
	}
	/* A recompile after a change is a full compile: time a second one. */
	cor_group_add_rule(cor_model_group(m, 1, NULL), "0123.", COR_ACTION_DENY, NULL, NULL);
	gint64 t2 = g_get_monotonic_time();
	cor_ruleset *rs2 = cor_compile(m, NULL);
	gint64 t3 = g_get_monotonic_time();
	cor_ruleset_unref(rs2);

	const guint64 n = 4000000;
	guint64 allowed = 0;
	cor_request req = { .caller_kind = COR_KIND_EXTENSION, .target_kind = COR_KIND_TRUNK,
			    .when = { 3, 600, FALSE } };
	cor_decision d;
	gint64 t4 = g_get_monotonic_time();
	for (guint64 i = 0; i < n; i++) {
		req.caller = exts[(i * 7919) % EXTENSIONS];
		req.dialed = nums[i % NUMBERS];
		req.period = (cor_period) (i % 3);
		allowed += cor_decide(rs, &req, &d) == COR_ALLOW;
	}
	gint64 t5 = g_get_monotonic_time();
	double hook = hook_rate(rs, nums, exts, n / 4);

	printf("bench cor: decisions_per_s=%.0f hook_decisions_per_s=%.0f compile_ms=%.1f "
	       "recompile_ms=%.1f groups=%d rules_per_group=%d extensions=%d allowed_pct=%.1f\n",
	       (double) n * 1e6 / (double) MAX(t5 - t4, 1), hook, (t1 - t0) / 1000.0,
	       (t3 - t2) / 1000.0, GROUPS, RULES, EXTENSIONS, 100.0 * allowed / n);
	cor_ruleset_unref(rs);
	cor_model_free(m);
	g_free(nums);
	g_free(exts);
	g_rand_free(r);
	return 0;
}
