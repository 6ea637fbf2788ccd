/* Unit tests of the CoR/CoS rule engine (modules/cor): patterns and their
 * automaton, precedence, periods and schedules, account codes, emergency
 * override, interconnect, CoS, ARS, provisioning JSON and fraud guards. */
#include "corjson.h"
#include "corguard.h"
#include "corlimits.h"

#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Builds a model from (key, json) pairs, NULL-terminated; asserts each
 * record applies. */
static cor_model *model_from(const char *const *recs)
{
	cor_model *m = cor_model_new();
	for (guint i = 0; recs[i]; i += 2) {
		GError *e = NULL;
		gboolean ok = cor_json_apply(m, recs[i], recs[i + 1], strlen(recs[i + 1]), &e);
		g_assert_no_error(e);
		g_assert_true(ok);
	}
	return m;
}

static cor_ruleset *compile_from(const char *const *recs)
{
	cor_model *m = model_from(recs);
	GError *e = NULL;
	cor_ruleset *rs = cor_compile(m, &e);
	g_assert_no_error(e);
	cor_model_free(m);
	return rs;
}

static cor_verdict decide_ext(const cor_ruleset *rs, const char *ext,
			      const char *number, cor_period p, cor_decision *d)
{
	cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = ext,
			  .dialed = number, .period = p, .target_kind = COR_KIND_TRUNK,
			  .when = { 1, 600, FALSE } };
	return cor_decide(rs, &r, d);
}

/* ---- patterns ------------------------------------------------------------ */

static void test_pattern_match(void)
{
	static const struct { const char *pat, *num; gboolean match; } t[] = {
		{ "123", "123", TRUE },        { "123", "1234", FALSE },
		{ "123", "12", FALSE },        { "*72#", "*72#", TRUE },
		{ "+49X.", "+4930", TRUE },    { "X", "0", TRUE },
		{ "X", "*", FALSE },           { "Z", "0", FALSE },
		{ "Z", "1", TRUE },            { "N", "1", FALSE },
		{ "N", "2", TRUE },            { "n", "9", TRUE },
		{ "x", "5", TRUE },            { "[1-5]", "5", TRUE },
		{ "[1-5]", "6", FALSE },       { "[137]", "3", TRUE },
		{ "[137]", "2", FALSE },       { "[0-35-9]", "4", FALSE },
		{ "[0-35-9]", "6", TRUE },     { "00900X.", "009001", FALSE },
		{ "00900X.", "0090012", TRUE },{ "00900X.", "00900123456", TRUE },
		{ "0!", "0", TRUE },           { "0!", "0123", TRUE },
		{ "0.", "0", FALSE },          { "0.", "01", TRUE },
		{ "0.", "0*#+", TRUE },        { "!", "5", TRUE },
		{ ".", "5", TRUE },            { "0X", "0a", FALSE },
	};
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_pattern p;
		GError *e = NULL;
		g_assert_true(cor_pattern_parse(t[i].pat, &p, &e));
		g_assert_no_error(e);
		if (cor_pattern_match(&p, t[i].num) != t[i].match)
			g_error("pattern %s number %s: expected %d", t[i].pat, t[i].num, t[i].match);
	}
}

static void test_pattern_errors(void)
{
	static const struct { const char *pat, *where; } t[] = {
		{ "", "position 1" },            { "12a", "position 3" },
		{ "0.1", "position 2" },         { "0!!", "position 2" },
		{ "[1-", "position 3" },         { "[]", "position 1" },
		{ "[5-1]", "position 2" },       { "[1a]", "position 3" },
		{ "1]", "position 2" },          { "[*]", "position 2" },
		{ "0 1", "position 2" },
		{ "00000000000000000000000000000000000000000000000000000000000000000",
		  "longer than 64" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_pattern p;
		GError *e = NULL;
		g_assert_false(cor_pattern_parse(t[i].pat, &p, &e));
		g_assert_error(e, COR_ERROR, COR_ERROR_PATTERN);
		if (!strstr(e->message, t[i].where))
			g_error("pattern \"%s\": message \"%s\" lacks \"%s\"", t[i].pat,
				e->message, t[i].where);
		g_error_free(e);
	}
	g_assert_true(cor_pattern_parse(
		"0000000000000000000000000000000000000000000000000000000000000000",
		&(cor_pattern){ 0 }, NULL));
}

static void test_pattern_specificity(void)
{
	static const struct { const char *pat; guint lit, wild; } t[] = {
		{ "0049", 4, 0 }, { "0049.", 4, 1 }, { "00X.", 2, 2 },
		{ "0[1-9]1", 1, 1 }, { "X00", 0, 1 }, { "!", 0, 1 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_pattern p;
		g_assert_true(cor_pattern_parse(t[i].pat, &p, NULL));
		g_assert_cmpuint(p.literal_prefix, ==, t[i].lit);
		g_assert_cmpuint(p.wildcards, ==, t[i].wild);
	}
}

/* The automaton must agree with the reference matcher and the ordering on
 * random pattern sets and numbers. */
static void test_dfa_agrees(void)
{
	static const char *const atoms[] = { "0", "1", "9", "X", "Z", "N", "[1-3]", "*" };
	GRand *rnd = g_rand_new_with_seed(4711);

	for (guint round = 0; round < 40; round++) {
		guint n = g_rand_int_range(rnd, 1, 30);
		cor_pattern *pats = g_new0(cor_pattern, n);
		const cor_pattern **pp = g_new(const cor_pattern *, n);
		for (guint i = 0; i < n; i++) {
			GString *s = g_string_new(NULL);
			guint len = g_rand_int_range(rnd, 1, 6);
			for (guint k = 0; k < len; k++)
				g_string_append(s, atoms[g_rand_int_range(rnd, 0, G_N_ELEMENTS(atoms))]);
			guint tail = g_rand_int_range(rnd, 0, 3);
			if (tail)
				g_string_append_c(s, tail == 1 ? '.' : '!');
			g_assert_true(cor_pattern_parse(s->str, &pats[i], NULL));
			pp[i] = &pats[i];
			g_string_free(s, TRUE);
		}
		cor_dfa *d = cor_dfa_build(pp, n, COR_DFA_MAX_STATES, NULL);
		g_assert_nonnull(d);
		for (guint q = 0; q < 200; q++) {
			char num[10];
			guint len = g_rand_int_range(rnd, 1, 9);
			for (guint k = 0; k < len; k++)
				num[k] = "0123459*"[g_rand_int_range(rnd, 0, 8)];
			num[len] = 0;
			gint best = -1;
			guint count = 0;
			for (guint i = 0; i < n; i++) {
				if (!cor_pattern_match(&pats[i], num))
					continue;
				count++;
				if (best < 0 || cor_pattern_better(&pats[i], i, &pats[best], best))
					best = (gint) i;
			}
			guint32 got;
			const guint32 *m = cor_dfa_match(d, num, &got);
			g_assert_cmpuint(got, ==, count);
			if (count)
				g_assert_cmpint((gint) m[0], ==, best);
		}
		cor_dfa_free(d);
		/* the state bound holds: an error, not a partial automaton */
		GError *e = NULL;
		g_assert_null(cor_dfa_build(pp, n, round % 2 ? 1 : 2, &e));
		g_assert_error(e, COR_ERROR, COR_ERROR_LIMIT);
		g_error_free(e);
		g_free(pats);
		g_free(pp);
	}
	g_rand_free(rnd);
}

/* ---- precedence and the default CoR ---------------------------------------- */

static void test_precedence(void)
{
	static const char *const recs[] = {
		"cor/group/5", "{\"name\":\"office\",\"default\":\"deny\",\"rules\":["
			"{\"pattern\":\"0X.\",\"action\":\"allow\",\"name\":\"national\"},"
			"{\"pattern\":\"00X.\",\"action\":\"deny\",\"name\":\"international\"},"
			"{\"pattern\":\"0049.\",\"action\":\"allow\",\"name\":\"germany\"},"
			"{\"pattern\":\"0049[1-9]X.\",\"action\":\"allow\",\"name\":\"germany-wide\"},"
			"{\"pattern\":\"0049900.\",\"action\":\"deny\",\"name\":\"de premium\"},"
			"{\"pattern\":\"0[1-9].\",\"action\":\"deny\",\"name\":\"later tie A\"},"
			"{\"pattern\":\"0N.\",\"action\":\"allow\",\"name\":\"later tie B\"}]}",
		"cor/ext/100", "{\"cor\":5}",
		NULL };
	static const struct { const char *num; gint rule; cor_verdict v; } t[] = {
		{ "030123", 0, COR_ALLOW },        /* 0X., 0[1-9]., 0N. tie: first written */
		{ "0044123", 1, COR_DENY },        /* 00X. beats 0X. (longer literal prefix) */
		{ "0049301", 2, COR_ALLOW },       /* 0049. beats 0049[1-9]X. (fewer wildcards) */
		{ "004990012", 4, COR_DENY },       /* 0049900. has the longest prefix */
		{ "12345", -1, COR_DENY },         /* fallback deny */
	};
	cor_ruleset *rs = compile_from(recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_decision d;
		cor_verdict v = decide_ext(rs, "100", t[i].num, COR_PERIOD_DAY, &d);
		if (v != t[i].v || d.rule_index != t[i].rule)
			g_error("%s: verdict %d rule %d, expected %d rule %d", t[i].num, v,
				d.rule_index, t[i].v, t[i].rule);
	}
	/* 0X. and 0[1-9]. and 0N. all have literal prefix 1 and 1..2 wildcards:
	 * "0312" matches 0X. (2 wildcards: X and tail), 0[1-9]. (2), 0N. (2):
	 * the tie goes to the first written. */
	cor_decision d;
	decide_ext(rs, "100", "0312", COR_PERIOD_DAY, &d);
	g_assert_cmpint(d.rule_index, ==, 0);
	g_assert_cmpuint(d.cor_group, ==, 5);
	g_assert_cmpstr(d.rule_name, ==, "national");
	cor_ruleset_unref(rs);
}

static void test_default_cor(void)
{
	static const char *const recs[] = { "cor/ext/200", "{}", NULL };
	static const struct { const char *num; cor_verdict v; const char *rule; } t[] = {
		{ "0049301234", COR_DENY, "international" },
		{ "+4930123", COR_DENY, "international (E.164)" },
		{ "0900123456", COR_DENY, "premium rate" },
		{ "00900123", COR_DENY, "international premium" },
		{ "0137123", COR_DENY, "premium televoting" },
		{ "030123456", COR_ALLOW, NULL },
		{ "5551234", COR_ALLOW, NULL },
	};
	cor_ruleset *rs = compile_from(recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_decision d;
		/* provisioned without a CoR, and not provisioned at all */
		for (int who = 0; who < 2; who++) {
			g_assert_cmpint(decide_ext(rs, who ? "999999" : "200", t[i].num,
						   COR_PERIOD_DAY, &d), ==, t[i].v);
			g_assert_cmpuint(d.cor_group, ==, 0);
			g_assert_cmpstr(d.rule_name, ==, t[i].rule);
		}
	}
	cor_ruleset_unref(rs);
}

static void test_missing_group_barred(void)
{
	static const char *const recs[] = { "cor/ext/300", "{\"cor\":42}", NULL };
	cor_ruleset *rs = compile_from(recs);
	cor_decision d;
	g_assert_cmpint(decide_ext(rs, "300", "030123", COR_PERIOD_DAY, &d), ==, COR_DENY);
	g_assert_cmpint(d.why, ==, COR_WHY_GROUP_DEFAULT);
	g_assert_nonnull(strstr(d.cor_name, "undefined"));
	cor_ruleset_unref(rs);
}

static void test_many_groups(void)
{
	cor_model *m = cor_model_new();
	for (guint id = 1; id <= 1200; id++) {
		cor_group *g = cor_model_group(m, id, NULL);
		char pat[16];
		g_snprintf(pat, sizeof pat, "%u.", id);
		g_assert_true(cor_group_add_rule(g, pat, COR_ACTION_ALLOW, NULL, NULL));
		char ext[16];
		g_snprintf(ext, sizeof ext, "%u", 10000 + id);
		cor_party *p = cor_model_party(m, COR_KIND_EXTENSION, ext, NULL);
		p->cor[0] = p->cor[1] = p->cor[2] = id;
	}
	GError *e = NULL;
	cor_ruleset *rs = cor_compile(m, &e);
	g_assert_no_error(e);
	cor_model_free(m);
	cor_decision d;
	g_assert_cmpint(decide_ext(rs, "11100", "11009", COR_PERIOD_DAY, &d), ==, COR_ALLOW);
	g_assert_cmpuint(d.cor_group, ==, 1100);
	g_assert_cmpint(decide_ext(rs, "11100", "11019", COR_PERIOD_DAY, &d), ==, COR_DENY);
	cor_ruleset_unref(rs);
	g_assert_null(cor_model_group(m = cor_model_new(), COR_MAX_GROUP_ID + 1, &e));
	g_assert_error(e, COR_ERROR, COR_ERROR_INVALID);
	g_clear_error(&e);
	cor_model_free(m);
}

/* ---- periods, emergency, account codes -------------------------------------- */

static const char *const base_recs[] = {
	"cor/group/1", "{\"name\":\"open\",\"default\":\"allow\",\"rules\":["
		"{\"pattern\":\"0900.\",\"action\":\"deny\",\"name\":\"premium\"}]}",
	"cor/group/2", "{\"name\":\"local\",\"rules\":["
		"{\"pattern\":\"[1-9]XXX.\",\"action\":\"allow\",\"name\":\"local\"}]}",
	"cor/group/9", "{\"name\":\"barred\",\"rules\":["
		"{\"pattern\":\"!\",\"action\":\"deny\",\"name\":\"everything\"}]}",
	"cor/cos/1", "{\"name\":\"staff\",\"forward_external\":true}",
	"cor/cos/2", "{\"name\":\"lobby\",\"external\":false}",
	"cor/cos/3", "{\"name\":\"billing\",\"account_code_required\":true}",
	"cor/ext/100", "{\"cor\":{\"day\":1,\"night1\":2,\"night2\":9},\"cos\":1,\"group\":1}",
	"cor/ext/101", "{\"cor\":9,\"cos\":1,\"group\":1}",
	"cor/ext/102", "{\"cor\":9,\"cos\":2,\"group\":1}",
	"cor/ext/103", "{\"cor\":2,\"cos\":3,\"group\":1}",
	"cor/ext/104", "{\"cor\":{\"day\":1,\"night1\":2},\"cos\":1}",
	"cor/emergency", "{\"numbers\":[\"112\",\"911\",\"999\",\"000\",\"110\"],"
		"\"trunk_prefix\":\"0\"}",
	NULL };

static void test_periods(void)
{
	static const struct { const char *ext, *num; cor_period p; cor_verdict v; guint cor; } t[] = {
		{ "100", "00441234", COR_PERIOD_DAY, COR_ALLOW, 1 },
		{ "100", "009001234", COR_PERIOD_DAY, COR_DENY, 1 },   /* 0 stripped: 0900. */
		{ "100", "00441234", COR_PERIOD_NIGHT1, COR_DENY, 2 },
		{ "100", "05551234", COR_PERIOD_NIGHT1, COR_ALLOW, 2 },
		{ "100", "05551234", COR_PERIOD_NIGHT2, COR_DENY, 9 },
		{ "104", "05551234", COR_PERIOD_NIGHT2, COR_ALLOW, 2 }, /* night2 <- night1 */
	};
	cor_ruleset *rs = compile_from(base_recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_decision d;
		if (decide_ext(rs, t[i].ext, t[i].num, t[i].p, &d) != t[i].v || d.cor_group != t[i].cor)
			g_error("case %u: verdict %d cor %u", i, d.verdict, d.cor_group);
		g_assert_cmpint(d.period, ==, t[i].p);
		g_assert_cmpint(d.night_external, ==, t[i].v == COR_ALLOW && t[i].p != COR_PERIOD_DAY);
	}
	cor_ruleset_unref(rs);
}

static void test_emergency(void)
{
	static const struct { const char *ext, *num; cor_period p; const char *code, *pin;
			      cor_verdict v; gboolean emerg; } t[] = {
		{ "101", "112", COR_PERIOD_DAY, NULL, NULL, COR_ALLOW, TRUE },
		{ "101", "0112", COR_PERIOD_NIGHT1, NULL, NULL, COR_ALLOW, TRUE },
		{ "101", "0911", COR_PERIOD_NIGHT2, NULL, NULL, COR_ALLOW, TRUE },
		{ "101", "000", COR_PERIOD_DAY, NULL, NULL, COR_ALLOW, TRUE },
		{ "101", "0110", COR_PERIOD_DAY, NULL, NULL, COR_ALLOW, TRUE },
		{ "101", "1120", COR_PERIOD_DAY, NULL, NULL, COR_DENY, FALSE },
		{ "101", "00112", COR_PERIOD_DAY, NULL, NULL, COR_DENY, FALSE },
		{ "102", "112", COR_PERIOD_NIGHT2, NULL, NULL, COR_ALLOW, TRUE }, /* no external CoS */
		{ "101", "112", COR_PERIOD_DAY, "4711", "0000", COR_ALLOW, TRUE }, /* wrong PIN */
		{ "101", "112", COR_PERIOD_DAY, "nosuch", NULL, COR_ALLOW, TRUE },
		{ "103", "112", COR_PERIOD_DAY, NULL, NULL, COR_ALLOW, TRUE },     /* code required */
	};
	cor_model *m = model_from(base_recs);
	char *h = cor_pin_hash("1234");
	cor_account *a = cor_model_account(m, "4711", NULL);
	a->verified = TRUE;
	a->pin_hash = h;
	a->cor = 1;
	cor_ruleset *rs = cor_compile(m, NULL);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = t[i].ext,
				  .dialed = t[i].num, .period = t[i].p,
				  .account_code = t[i].code, .pin = t[i].pin,
				  .target_kind = COR_KIND_TRUNK };
		cor_decision d;
		if (cor_decide(rs, &r, &d) != t[i].v || d.emergency != t[i].emerg)
			g_error("case %u (%s): verdict %d why %s", i, t[i].num, d.verdict,
				cor_why_text(d.why));
		if (t[i].emerg)
			g_assert_cmpint(d.why, ==, COR_WHY_EMERGENCY);
	}
	/* Emergency from a trunk caller, trunk to trunk: still allowed. */
	cor_request r = { .caller_kind = COR_KIND_TRUNK, .caller = "sip1", .dialed = "112",
			  .target_kind = COR_KIND_TRUNK };
	cor_decision d;
	g_assert_cmpint(cor_decide(rs, &r, &d), ==, COR_ALLOW);
	cor_ruleset_unref(rs);
	cor_model_free(m);
}

static void test_account_codes(void)
{
	cor_model *m = model_from(base_recs);
	char *h = cor_pin_hash("2468");
	cor_account *v = cor_model_account(m, "77", NULL);
	v->verified = TRUE;
	v->pin_hash = h;
	v->cor = 1;
	v->cos = 1;
	cor_model_account(m, "555", NULL);   /* non-verified */
	cor_ruleset *rs = cor_compile(m, NULL);
	cor_model_free(m);
	static const struct { const char *ext, *code, *pin; cor_verdict v; cor_why why;
			      gboolean verified; guint cor; } t[] = {
		{ "101", NULL, NULL,   COR_DENY,  COR_WHY_RULE, FALSE, 9 },
		{ "101", "77", "2468", COR_ALLOW, COR_WHY_GROUP_DEFAULT, TRUE, 1 },
		{ "101", NULL, NULL,   COR_DENY,  COR_WHY_RULE, FALSE, 9 },  /* one call only */
		{ "101", "77", "2469", COR_DENY,  COR_WHY_ACCOUNT_PIN, FALSE, 9 },
		{ "101", "77", NULL,   COR_DENY,  COR_WHY_ACCOUNT_PIN, FALSE, 9 },
		{ "101", "78", "2468", COR_DENY,  COR_WHY_ACCOUNT_UNKNOWN, FALSE, 9 },
		{ "102", "77", "2468", COR_ALLOW, COR_WHY_GROUP_DEFAULT, TRUE, 1 }, /* CoS too */
		{ "103", NULL, NULL,   COR_DENY,  COR_WHY_ACCOUNT_REQUIRED, FALSE, 2 },
		{ "103", "555", NULL,  COR_ALLOW, COR_WHY_RULE, FALSE, 2 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = t[i].ext,
				  .dialed = "055512345", .period = COR_PERIOD_DAY,
				  .account_code = t[i].code, .pin = t[i].pin,
				  .target_kind = COR_KIND_TRUNK };
		cor_decision d;
		cor_decide(rs, &r, &d);
		if (d.verdict != t[i].v || d.why != t[i].why || d.account_verified != t[i].verified ||
		    d.cor_group != t[i].cor)
			g_error("case %u: verdict %d why %s verified %d cor %u", i, d.verdict,
				cor_why_text(d.why), d.account_verified, d.cor_group);
		if (t[i].code && t[i].v == COR_ALLOW)
			g_assert_cmpstr(d.account_code, ==, t[i].code);
	}
	cor_ruleset_unref(rs);
}

static void test_pin(void)
{
	char *h = cor_pin_hash("9876");
	char *h2 = cor_pin_hash("9876");
	g_assert_true(g_str_has_prefix(h, "sha256:"));
	g_assert_null(strstr(h, "9876"));
	g_assert_cmpstr(h, !=, h2);          /* salted */
	g_assert_true(cor_pin_verify(h, "9876"));
	g_assert_true(cor_pin_verify(h2, "9876"));
	g_assert_false(cor_pin_verify(h, "9877"));
	g_assert_false(cor_pin_verify(h, ""));
	g_assert_false(cor_pin_verify(h, NULL));
	g_assert_false(cor_pin_verify("sha256:1:00:00", "9876"));
	g_assert_false(cor_pin_verify("md5:1:x:y", "9876"));
	g_assert_false(cor_pin_hash_valid("sha256:0:00112233445566778899aabbccddeeff:"
					  "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
	g_assert_true(cor_pin_hash_valid(h));
	g_free(h);
	g_free(h2);
}

/* ---- CoS, interconnect, attendant ------------------------------------------- */

static void test_cos(void)
{
	static const struct { const char *ext; cor_call_type type; cor_verdict v; cor_why why; } t[] = {
		{ "100", COR_CALL_NORMAL, COR_ALLOW, COR_WHY_GROUP_DEFAULT },
		{ "100", COR_CALL_FORWARD, COR_ALLOW, COR_WHY_GROUP_DEFAULT },
		{ "100", COR_CALL_TRANSFER, COR_DENY, COR_WHY_COS_TRANSFER },
		{ "100", COR_CALL_CONFERENCE, COR_ALLOW, COR_WHY_GROUP_DEFAULT },
		{ "102", COR_CALL_NORMAL, COR_DENY, COR_WHY_COS_EXTERNAL },
		{ "103", COR_CALL_FORWARD, COR_DENY, COR_WHY_COS_FORWARD },
	};
	cor_ruleset *rs = compile_from(base_recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = t[i].ext,
				  .dialed = "0555123", .call_type = t[i].type,
				  .target_kind = COR_KIND_TRUNK };
		cor_decision d;
		if (cor_decide(rs, &r, &d) != t[i].v || d.why != t[i].why)
			g_error("case %u: verdict %d why %s", i, d.verdict, cor_why_text(d.why));
	}
	cor_ruleset_unref(rs);
}

static void test_interconnect(void)
{
	static const char *const extra[] = {
		"cor/trunk/carrier", "{\"cor\":1,\"group\":1}",
		"cor/trunk/partner", "{\"cor\":1,\"group\":2}",
		"cor/trunk/tie", "{\"cor\":1,\"group\":3}",
		"cor/ext/500", "{\"cor\":1,\"group\":5}",
		"cor/interconnect", "{\"rules\":["
			"{\"from\":\"trunk:3\",\"to\":\"trunk:1\",\"action\":\"allow\"},"
			"{\"from\":\"ext:5\",\"to\":\"ext:1\",\"action\":\"deny\"},"
			"{\"from\":\"ext:5\",\"to\":\"trunk:2\",\"action\":\"deny\"}]}",
		NULL };
	cor_model *m = model_from(base_recs);
	for (guint i = 0; extra[i]; i += 2)
		g_assert_true(cor_json_apply(m, extra[i], extra[i + 1], strlen(extra[i + 1]), NULL));
	cor_ruleset *rs = cor_compile(m, NULL);
	cor_model_free(m);
	static const struct { cor_kind ck; const char *caller, *via; cor_call_type type;
			      cor_kind tk; const char *target; cor_verdict v; } t[] = {
		/* trunk to trunk: denied by default */
		{ COR_KIND_TRUNK, "carrier", NULL, COR_CALL_NORMAL, COR_KIND_TRUNK, "partner", COR_DENY },
		{ COR_KIND_TRUNK, "carrier", NULL, COR_CALL_NORMAL, COR_KIND_TRUNK, "carrier", COR_DENY },
		/* ... unless the matrix says so */
		{ COR_KIND_TRUNK, "tie", NULL, COR_CALL_NORMAL, COR_KIND_TRUNK, "carrier", COR_ALLOW },
		/* the forward-to-premium fraud: a trunk call forwarded to a trunk */
		{ COR_KIND_TRUNK, "carrier", "100", COR_CALL_FORWARD, COR_KIND_TRUNK, "carrier", COR_DENY },
		/* the same forward of an internal call is fine */
		{ COR_KIND_EXTENSION, "101", "100", COR_CALL_FORWARD, COR_KIND_TRUNK, "carrier", COR_ALLOW },
		{ COR_KIND_TRUNK, "carrier", NULL, COR_CALL_NORMAL, COR_KIND_EXTENSION, "100", COR_ALLOW },
		{ COR_KIND_EXTENSION, "500", NULL, COR_CALL_NORMAL, COR_KIND_EXTENSION, "100", COR_DENY },
		{ COR_KIND_EXTENSION, "500", NULL, COR_CALL_NORMAL, COR_KIND_TRUNK, "partner", COR_DENY },
		{ COR_KIND_EXTENSION, "500", NULL, COR_CALL_NORMAL, COR_KIND_TRUNK, "carrier", COR_ALLOW },
	};
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_request r = { .caller_kind = t[i].ck, .caller = t[i].caller, .via = t[i].via,
				  .call_type = t[i].type, .dialed = "05551234",
				  .target_kind = t[i].tk, .target = t[i].target };
		cor_decision d;
		if (cor_decide(rs, &r, &d) != t[i].v)
			g_error("case %u: verdict %d why %s", i, d.verdict, cor_why_text(d.why));
		if (t[i].v == COR_DENY)
			g_assert_cmpint(d.why, ==, COR_WHY_INTERCONNECT);
	}
	cor_ruleset_unref(rs);
}

static void test_attendant(void)
{
	static const char *const recs[] = {
		"cor/group/4", "{\"on_deny\":\"attendant\",\"attendant\":\"100\",\"rules\":["
			"{\"pattern\":\"00.\",\"action\":\"deny\",\"name\":\"intl\"},"
			"{\"pattern\":\"0X.\",\"action\":\"allow\"}]}",
		"cor/ext/10", "{\"cor\":4}", NULL };
	cor_ruleset *rs = compile_from(recs);
	cor_decision d;
	g_assert_cmpint(decide_ext(rs, "10", "0044123", COR_PERIOD_DAY, &d), ==, COR_REDIRECT);
	g_assert_cmpstr(d.attendant, ==, "100");
	g_assert_cmpstr(d.rule_name, ==, "intl");
	g_assert_cmpint(decide_ext(rs, "10", "030123", COR_PERIOD_DAY, &d), ==, COR_ALLOW);
	g_assert_cmpstr(d.rule_name, ==, "0X.");  /* unnamed rules are named by pattern */
	g_assert_cmpint(decide_ext(rs, "10", "12a", COR_PERIOD_DAY, &d), ==, COR_DENY);
	g_assert_cmpint(d.why, ==, COR_WHY_INVALID_NUMBER);
	cor_ruleset_unref(rs);
}

/* ---- ARS --------------------------------------------------------------------- */

static gboolean trunk_up(const char *trunk, void *data)
{
	return !g_strv_contains((const char *const *) data, trunk);
}

static void test_ars(void)
{
	static const char *const recs[] = {
		"cor/group/1", "{\"default\":\"allow\"}",
		"cor/ext/100", "{\"cor\":1}",
		"cor/ext/101", "{\"cor\":1,\"ars\":\"night\"}",
		"cor/trunk/cheap", "{\"system_code\":\"9911\"}",
		"cor/trunk/backup", "{}",
		"cor/trunk/mobile", "{}",
		"cor/ars/default", "{\"routes\":["
			"{\"pattern\":\"0X.\",\"trunks\":[\"cheap\",\"backup\"],"
			" \"windows\":[{\"days\":\"mon-fri\",\"from\":\"08:00\",\"to\":\"18:00\"}]},"
			"{\"pattern\":\"0X.\",\"trunks\":[\"backup\"]},"
			"{\"pattern\":\"01[5-7]X.\",\"trunks\":[\"mobile\",\"backup\"]}]}",
		"cor/ars/night", "{\"routes\":[{\"pattern\":\"!\",\"trunks\":[\"mobile\"]}]}",
		NULL };
	static const char *const none_down[] = { NULL };
	static const char *const cheap_down[] = { "cheap", NULL };
	static const char *const all_down[] = { "cheap", "backup", "mobile", NULL };
	static const struct { const char *ext, *num; guint8 wd; guint16 min;
			      const char *const *down; cor_verdict v; gint route;
			      const char *first; guint n; } t[] = {
		{ "100", "0301234", 3, 9 * 60, none_down, COR_ALLOW, 0, "cheap", 2 },
		{ "100", "0301234", 3, 9 * 60, cheap_down, COR_ALLOW, 0, "backup", 1 },
		{ "100", "0301234", 3, 19 * 60, none_down, COR_ALLOW, 1, "backup", 1 },
		{ "100", "0301234", 6, 9 * 60, none_down, COR_ALLOW, 1, "backup", 1 },
		{ "100", "01601234", 3, 9 * 60, none_down, COR_ALLOW, 2, "mobile", 2 },
		{ "100", "0301234", 3, 9 * 60, all_down, COR_DENY, 0, NULL, 0 },
		{ "101", "0301234", 3, 9 * 60, none_down, COR_ALLOW, 0, "mobile", 1 },
		{ "100", "5551234", 3, 9 * 60, none_down, COR_ALLOW, -1, NULL, 0 },
	};
	cor_ruleset *rs = compile_from(recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = t[i].ext,
				  .dialed = t[i].num, .target_kind = COR_KIND_TRUNK,
				  .when = { t[i].wd, t[i].min, FALSE },
				  .trunk_ok = trunk_up, .trunk_ok_data = (void *) t[i].down };
		cor_decision d;
		if (cor_decide(rs, &r, &d) != t[i].v || d.ars_route != t[i].route ||
		    d.n_candidates != t[i].n)
			g_error("case %u: verdict %d why %s route %d n %u", i, d.verdict,
				cor_why_text(d.why), d.ars_route, d.n_candidates);
		if (t[i].first)
			g_assert_cmpstr(d.candidates[0].trunk, ==, t[i].first);
		if (t[i].v == COR_DENY)
			g_assert_cmpint(d.why, ==, COR_WHY_NO_TRUNK);
	}
	cor_decision d;
	cor_request r = { .caller_kind = COR_KIND_EXTENSION, .caller = "100",
			  .dialed = "0301234", .target_kind = COR_KIND_TRUNK,
			  .when = { 1, 600, FALSE } };
	cor_decide(rs, &r, &d);
	g_assert_cmpstr(d.candidates[0].system_code, ==, "9911");
	g_assert_null(d.candidates[1].system_code);
	/* trunk-to-trunk: ARS candidates are filtered by the interconnect */
	r.caller_kind = COR_KIND_TRUNK;
	r.caller = "backup";
	g_assert_cmpint(cor_decide(rs, &r, &d), ==, COR_DENY);
	g_assert_cmpint(d.why, ==, COR_WHY_INTERCONNECT);
	cor_ruleset_unref(rs);
}

/* ---- schedules ------------------------------------------------------------------ */

static gint64 utc(int y, int mo, int d, int h, int mi)
{
	GDateTime *dt = g_date_time_new_utc(y, mo, d, h, mi, 0);
	gint64 t = g_date_time_to_unix(dt);
	g_date_time_unref(dt);
	return t;
}

static void test_schedule(void)
{
	static const char *const recs[] = {
		"cor/schedule", "{\"timezone\":\"Europe/Berlin\",\"default\":\"night1\","
			"\"holiday\":\"night2\",\"windows\":["
			"{\"days\":\"mon-fri\",\"from\":\"08:00\",\"to\":\"18:00\",\"period\":\"day\"},"
			"{\"days\":\"sun\",\"from\":\"22:00\",\"to\":\"06:00\",\"period\":\"night2\"},"
			"{\"days\":\"sat,sun\",\"from\":\"09:00\",\"to\":\"12:00\",\"period\":\"day\"},"
			"{\"days\":\"hol\",\"from\":\"10:00\",\"to\":\"11:00\",\"period\":\"day\"}],"
			"\"holidays\":[\"12-25\",\"2026-04-03\"]}",
		NULL };
	static const struct { int y, mo, d, h, mi; cor_override o; cor_period p;
			      guint8 wd; guint16 minute; gboolean hol; } t[] = {
		/* Friday 27 March 2026, CET (UTC+1): 07:30 UTC = 08:30 local */
		{ 2026, 3, 27, 7, 30, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 5, 8 * 60 + 30, FALSE },
		{ 2026, 3, 27, 6, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT1, 5, 7 * 60 + 59, FALSE },
		{ 2026, 3, 27, 16, 59, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 5, 17 * 60 + 59, FALSE },
		{ 2026, 3, 27, 17, 0, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT1, 5, 18 * 60, FALSE },
		/* Sunday 29 March 2026: 02:00 CET -> 03:00 CEST */
		{ 2026, 3, 29, 0, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 7, 1 * 60 + 59, FALSE },
		{ 2026, 3, 29, 1, 0, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 7, 3 * 60, FALSE },
		{ 2026, 3, 29, 7, 0, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 7, 9 * 60, FALSE },
		{ 2026, 3, 29, 6, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT1, 7, 8 * 60 + 59, FALSE },
		/* Monday 30 March, CEST (UTC+2): 06:00 UTC = 08:00 local */
		{ 2026, 3, 30, 6, 0, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 1, 8 * 60, FALSE },
		{ 2026, 3, 30, 5, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT1, 1, 7 * 60 + 59, FALSE },
		/* midnight: Sunday 23:59 local is night2 (wrapping window), Monday
		 * 00:00 belongs to Monday (no window): night1 */
		{ 2026, 3, 29, 21, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 7, 23 * 60 + 59, FALSE },
		{ 2026, 3, 29, 22, 0, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT1, 1, 0, FALSE },
		/* Sunday 25 October 2026: 03:00 CEST -> 02:00 CET; 12-25 unrelated */
		{ 2026, 10, 25, 0, 30, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 7, 2 * 60 + 30, FALSE },
		{ 2026, 10, 25, 1, 30, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 7, 2 * 60 + 30, FALSE },
		{ 2026, 10, 25, 8, 0, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 7, 9 * 60, FALSE },
		/* holidays: Good Friday 2026 (one-off) and Christmas (every year);
		 * only the holiday window (10:00-11:00) applies on them */
		{ 2026, 4, 3, 7, 59, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 5, 9 * 60 + 59, TRUE },
		{ 2026, 4, 3, 8, 30, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 5, 10 * 60 + 30, TRUE },
		{ 2027, 4, 2, 8, 0, COR_OVERRIDE_AUTO, COR_PERIOD_DAY, 5, 10 * 60, FALSE },
		{ 2030, 12, 25, 8, 0, COR_OVERRIDE_AUTO, COR_PERIOD_NIGHT2, 3, 9 * 60, TRUE },
		/* manual override beats everything */
		{ 2026, 3, 27, 7, 30, COR_OVERRIDE_NIGHT1, COR_PERIOD_NIGHT1, 5, 8 * 60 + 30, FALSE },
		{ 2030, 12, 25, 8, 0, COR_OVERRIDE_DAY, COR_PERIOD_DAY, 3, 9 * 60, TRUE },
		{ 2026, 3, 27, 7, 30, COR_OVERRIDE_NIGHT2, COR_PERIOD_NIGHT2, 5, 8 * 60 + 30, FALSE },
	};
	cor_ruleset *rs = compile_from(recs);
	cor_sched *s = cor_ruleset_sched(rs);
	g_assert_cmpstr(cor_sched_tzname(s), ==, "Europe/Berlin");
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		cor_when w;
		cor_period p = cor_sched_resolve(s, utc(t[i].y, t[i].mo, t[i].d, t[i].h, t[i].mi),
						 t[i].o, &w);
		if (p != t[i].p || w.weekday != t[i].wd || w.minute != t[i].minute ||
		    w.holiday != t[i].hol)
			g_error("case %u: period %s weekday %u minute %u holiday %d", i,
				cor_period_name(p), w.weekday, w.minute, w.holiday);
	}
	cor_ruleset_unref(rs);

	GError *e = NULL;
	g_assert_null(cor_sched_new("Mars/Olympus_Mons", &e));
	g_assert_error(e, COR_ERROR, COR_ERROR_TIMEZONE);
	g_clear_error(&e);
	cor_sched *u = cor_sched_new("UTC", &e);
	g_assert_no_error(e);
	g_assert_false(cor_sched_add_holiday(u, 2026, 2, 29, &e));
	g_assert_error(e, COR_ERROR, COR_ERROR_INVALID);
	g_clear_error(&e);
	g_assert_true(cor_sched_add_holiday(u, 0, 2, 29, NULL));
	/* no windows: default period (day unless set) */
	g_assert_cmpint(cor_sched_resolve(u, utc(2026, 1, 1, 3, 0), COR_OVERRIDE_AUTO, NULL),
			==, COR_PERIOD_DAY);
	cor_sched_unref(u);
}

/* ---- provisioning JSON ------------------------------------------------------------ */

static void test_json_errors(void)
{
	static const struct { const char *key, *json, *want; } t[] = {
		{ "cor/group/1", "{\"rules\":[{\"pattern\":\"0Q\",\"action\":\"deny\"}]}",
		  "cor/group/1: field rules[0]: pattern \"0Q\": position 2" },
		{ "cor/group/1", "{\"rules\":[{\"pattern\":\"0\"}]}", "rules[0]: missing action" },
		{ "cor/group/1", "{\"rules\":[{\"pattern\":\"0\",\"action\":\"maybe\"}]}",
		  "field action: must be" },
		{ "cor/group/1", "{\"rulez\":[]}", "unknown field \"rulez\"" },
		{ "cor/group/x", "{}", "cor/group/x: field (key)" },
		{ "cor/group/70000", "{}", "field (key)" },
		{ "cor/group/1", "[1]", "must be a JSON object" },
		{ "cor/group/1", "{\"name\":", "not JSON" },
		{ "cor/group/1", "{\"on_deny\":\"attendant\"}", "field attendant" },
		{ "cor/ext/100", "{\"cor\":{\"day\":-1}}", "field day" },
		{ "cor/ext/100", "{\"cor\":\"one\"}", "field cor" },
		{ "cor/ext/100", "{\"system_code\":\"12\"}", "field system_code" },
		{ "cor/cos/1", "{\"external\":1}", "field external: must be true or false" },
		{ "cor/account/1", "{\"verified\":true}", "field pin_hash" },
		{ "cor/account/1", "{\"pin_hash\":\"x\"}", "only verified" },
		{ "cor/emergency", "{\"numbers\":[\"11a\"]}", "cor/emergency: field numbers" },
		{ "cor/schedule", "{\"timezone\":\"No/Where\"}", "field timezone" },
		{ "cor/schedule", "{\"windows\":[{\"from\":\"25:00\",\"to\":\"26:00\",\"period\":\"day\"}]}",
		  "field windows: time \"25:00\"" },
		{ "cor/schedule", "{\"holidays\":[\"13-01\"]}", "field holidays" },
		{ "cor/interconnect", "{\"rules\":[{\"from\":\"pbx:1\",\"to\":\"ext:1\",\"action\":\"allow\"}]}",
		  "field from" },
		{ "cor/ars/p", "{\"routes\":[{\"pattern\":\"0.\",\"trunks\":[1]}]}", "routes[0]" },
		{ "cor/ars/p", "{\"routes\":[{\"pattern\":\"0.\",\"trunks\":[\"a\",\"b\",\"c\",\"d\","
		  "\"e\",\"f\",\"g\",\"h\",\"i\"]}]}", "more than 8" },
		{ "cor/nothing", "{}", "not a CoR record key" },
		{ "cor/group/1", "{\"a\":[[[[[[[[[[1]]]]]]]]]]}", "nested deeper" },
	};
	cor_model *m = model_from(base_recs);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
		GError *e = NULL;
		g_assert_false(cor_json_apply(m, t[i].key, t[i].json, strlen(t[i].json), &e));
		g_assert_nonnull(e);
		if (!strstr(e->message, t[i].want))
			g_error("case %u: \"%s\" lacks \"%s\"", i, e->message, t[i].want);
		g_error_free(e);
	}
	/* a bad record changed nothing: group 1 still as provisioned */
	cor_group *g = g_hash_table_lookup(m->groups, GUINT_TO_POINTER(1));
	g_assert_cmpstr(g->name, ==, "open");
	g_assert_cmpuint(g->rules->len, ==, 1);
	/* a record over the size bound is refused before parsing */
	gsize big = COR_JSON_MAX_BYTES + 1;
	char *huge = g_malloc(big);
	memset(huge, ' ', big);
	GError *e = NULL;
	g_assert_false(cor_json_apply(m, "cor/group/1", huge, big, &e));
	g_assert_nonnull(strstr(e->message, "larger than"));
	g_clear_error(&e);
	g_free(huge);
	cor_model_free(m);
}

static void test_json_replace_delete(void)
{
	cor_model *m = model_from(base_recs);
	static const char grp[] = "{\"name\":\"renamed\",\"default\":\"allow\"}";
	g_assert_true(cor_json_apply(m, "cor/group/1", grp, strlen(grp), NULL));
	cor_group *g = g_hash_table_lookup(m->groups, GUINT_TO_POINTER(1));
	g_assert_cmpstr(g->name, ==, "renamed");
	g_assert_cmpuint(g->rules->len, ==, 0);
	static const char ext[] = "{\"cor\":2}";
	g_assert_true(cor_json_apply(m, "cor/ext/100", ext, strlen(ext), NULL));
	cor_party *p = g_hash_table_lookup(m->parties[COR_KIND_EXTENSION], "100");
	g_assert_cmpuint(p->cor[2], ==, 2);
	g_assert_cmpuint(p->cos, ==, 0);
	g_assert_true(cor_json_apply(m, "cor/ext/100", NULL, 0, NULL));
	g_assert_null(g_hash_table_lookup(m->parties[COR_KIND_EXTENSION], "100"));
	g_assert_true(cor_json_apply(m, "cor/group/9", NULL, 0, NULL));
	g_assert_false(g_hash_table_contains(m->groups, GUINT_TO_POINTER(9)));
	/* deleting a singleton restores its defaults */
	g_assert_cmpstr(m->trunk_prefix, ==, "0");
	g_assert_true(cor_json_apply(m, "cor/emergency", NULL, 0, NULL));
	g_assert_null(m->trunk_prefix);
	g_assert_cmpuint(m->emergency->len, ==, 5);
	cor_ruleset *rs = cor_compile(m, NULL);
	cor_decision d;
	/* ext 101 now points at deleted group 9: barred */
	g_assert_cmpint(decide_ext(rs, "101", "5551234", COR_PERIOD_DAY, &d), ==, COR_DENY);
	cor_ruleset_unref(rs);
	cor_model_free(m);
}

static void test_explain(void)
{
	cor_ruleset *rs = compile_from(base_recs);
	cor_decision d;
	decide_ext(rs, "100", "009001234", COR_PERIOD_DAY, &d);
	char *s = cor_decision_explain(&d);
	g_assert_nonnull(strstr(s, "verdict: deny (CoR rule)"));
	g_assert_nonnull(strstr(s, "number: 09001234"));
	g_assert_nonnull(strstr(s, "period: day"));
	g_assert_nonnull(strstr(s, "CoR: 1 (open)"));
	g_assert_nonnull(strstr(s, "rule: #1 \"0900.\" premium (deny)"));
	g_free(s);
	decide_ext(rs, "101", "0112", COR_PERIOD_NIGHT1, &d);
	s = cor_decision_explain(&d);
	g_assert_nonnull(strstr(s, "emergency override: applied"));
	g_assert_nonnull(strstr(s, "period: night1"));
	g_free(s);
	cor_ruleset_unref(rs);
}

/* ---- fraud guard ------------------------------------------------------------------ */

static void test_guard(void)
{
	cor_guard *g = cor_guard_new(2, 5, 3);
	gint64 t = 1000 * 60000;   /* on a minute boundary */

	g_assert_cmpint(cor_guard_start(g, "100", t), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "100", t + 1), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "100", t + 2), ==, COR_GUARD_CONCURRENT);
	g_assert_cmpuint(cor_guard_active(g, "100"), ==, 2);
	cor_guard_end(g, "100");
	cor_guard_end(g, "100");
	cor_guard_end(g, "100");    /* an extra end does not underflow */
	g_assert_cmpuint(cor_guard_active(g, "100"), ==, 0);
	for (int i = 0; i < 3; i++) {
		g_assert_cmpint(cor_guard_start(g, "100", t + 10 + i), ==, COR_GUARD_OK);
		cor_guard_end(g, "100");
	}
	/* 5 starts in this minute: the sixth trips the rate */
	g_assert_cmpint(cor_guard_start(g, "100", t + 20), ==, COR_GUARD_RATE);
	/* 30 s into the next minute, half of the previous 5 still counts */
	g_assert_cmpint(cor_guard_start(g, "100", t + 90000), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "100", t + 90001), ==, COR_GUARD_OK);
	cor_guard_end(g, "100");
	cor_guard_end(g, "100");
	g_assert_cmpint(cor_guard_start(g, "100", t + 90002), ==, COR_GUARD_OK);
	cor_guard_end(g, "100");
	g_assert_cmpint(cor_guard_start(g, "100", t + 90003), ==, COR_GUARD_RATE);
	/* bounded table: a fourth busy extension is refused, idle ones pruned */
	g_assert_cmpint(cor_guard_start(g, "200", t + 90004), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "300", t + 90005), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "400", t + 90006), ==, COR_GUARD_FULL);
	cor_guard_end(g, "300");
	g_assert_cmpint(cor_guard_start(g, "400", t + 10 * 60000), ==, COR_GUARD_OK);
	g_assert_cmpuint(cor_guard_tracked(g), <=, 3);
	cor_guard_free(g);
}

/* ---- cor/limits ---- */

static void limits_bad(const char *json, const char *want)
{
	cor_limits l = { 7, 9 };
	GError *e = NULL;
	g_assert_false(cor_limits_parse(json, strlen(json), &l, &e));
	g_assert_error(e, COR_ERROR, COR_ERROR_JSON);
	if (!g_pattern_match_simple(want, e->message))
		g_error("cor/limits %s: message \"%s\" does not match \"%s\"", json, e->message, want);
	g_error_free(e);
	g_assert_cmpint(l.max_concurrent, ==, 7);   /* nothing applied */
	g_assert_cmpint(l.max_per_minute, ==, 9);
}

static void test_limits_parse(void)
{
	cor_limits l;
	GError *e = NULL;
	const char *both = "{\"max_external_calls\": 0, \"max_calls_per_minute\": 100000}";
	g_assert_true(cor_limits_parse(both, strlen(both), &l, &e));
	g_assert_no_error(e);
	g_assert_cmpint(l.max_concurrent, ==, 0);
	g_assert_cmpint(l.max_per_minute, ==, 100000);
	g_assert_true(cor_limits_parse("{\"max_calls_per_minute\": 5}", 27, &l, &e));
	g_assert_cmpint(l.max_concurrent, ==, COR_LIMIT_UNSET);   /* the XML's */
	g_assert_cmpint(l.max_per_minute, ==, 5);
	g_assert_true(cor_limits_parse("{}", 2, &l, &e));
	g_assert_cmpint(l.max_per_minute, ==, COR_LIMIT_UNSET);
	g_assert_cmpuint(cor_limits_pick(COR_LIMIT_UNSET, 4), ==, 4);
	g_assert_cmpuint(cor_limits_pick(0, 4), ==, 0);
	g_assert_cmpuint(cor_limits_pick(2, 4), ==, 2);

	limits_bad("{\"max_external_calls\": 3,", "cor/limits: field (record): not JSON: *");
	limits_bad("[3, 4]", "cor/limits: field (record): must be a JSON object");
	limits_bad("{\"max_external_calls\": 100001}",
		   "cor/limits: field max_external_calls: 100001 is outside 0 (no limit) to 100000");
	limits_bad("{\"max_calls_per_minute\": -1, \"max_external_calls\": 2}",
		   "cor/limits: field max_calls_per_minute: -1 is outside 0 (no limit) to 100000");
	limits_bad("{\"max_calls_per_minute\": 2.5}",
		   "cor/limits: field max_calls_per_minute: must be a whole number from 0 (no limit) to 100000");
	limits_bad("{\"max_external_calls\": \"3\"}", "*max_external_calls: must be a whole number*");
	limits_bad("{\"max_external_calls\": 2, \"max_calls\": 1}",
		   "cor/limits: field (record): unknown field \"max_calls\"");
	char *big = g_strnfill(COR_LIMITS_BYTES + 1, ' ');
	limits_bad(big, "cor/limits: field (record): larger than 4096 bytes");
	g_free(big);
}

static void test_guard_set_limits(void)
{
	cor_guard *g = cor_guard_new(3, 0, 10);
	g_assert_cmpint(cor_guard_start(g, "100", 1000), ==, COR_GUARD_OK);
	g_assert_cmpint(cor_guard_start(g, "100", 1001), ==, COR_GUARD_OK);
	cor_guard_set_limits(g, 2, 0);   /* the two counted calls already reach it */
	g_assert_cmpint(cor_guard_start(g, "100", 1002), ==, COR_GUARD_CONCURRENT);
	cor_guard_set_limits(g, 0, 2);   /* no concurrency limit; 2 per minute, 2 made */
	g_assert_cmpint(cor_guard_start(g, "100", 1003), ==, COR_GUARD_RATE);
	cor_guard_set_limits(g, 0, 0);
	g_assert_cmpint(cor_guard_start(g, "100", 1004), ==, COR_GUARD_OK);
	g_assert_cmpuint(cor_guard_active(g, "100"), ==, 3);
	cor_guard_free(g);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/cor/pattern/match", test_pattern_match);
	g_test_add_func("/cor/pattern/errors", test_pattern_errors);
	g_test_add_func("/cor/pattern/specificity", test_pattern_specificity);
	g_test_add_func("/cor/pattern/dfa-agrees", test_dfa_agrees);
	g_test_add_func("/cor/rules/precedence", test_precedence);
	g_test_add_func("/cor/rules/default-cor", test_default_cor);
	g_test_add_func("/cor/rules/missing-group-barred", test_missing_group_barred);
	g_test_add_func("/cor/rules/many-groups", test_many_groups);
	g_test_add_func("/cor/rules/periods", test_periods);
	g_test_add_func("/cor/rules/emergency", test_emergency);
	g_test_add_func("/cor/rules/account-codes", test_account_codes);
	g_test_add_func("/cor/rules/pin", test_pin);
	g_test_add_func("/cor/rules/cos", test_cos);
	g_test_add_func("/cor/rules/interconnect", test_interconnect);
	g_test_add_func("/cor/rules/attendant", test_attendant);
	g_test_add_func("/cor/rules/ars", test_ars);
	g_test_add_func("/cor/sched/table", test_schedule);
	g_test_add_func("/cor/json/errors", test_json_errors);
	g_test_add_func("/cor/json/replace-delete", test_json_replace_delete);
	g_test_add_func("/cor/explain", test_explain);
	g_test_add_func("/cor/guard", test_guard);
	g_test_add_func("/cor/guard/set-limits", test_guard_set_limits);
	g_test_add_func("/cor/limits/parse", test_limits_parse);
	return g_test_run();
}
