/* The checks behind the services the WebAdmin's Trunks and CoR/CoS pages
 * use: sip's trunk record check (modules/sip/trunkcheck.c over the
 * module's own parser) ties each parser message to its field, and cor's
 * record check (modules/cor/corsvc-check.c) names every bad rule. If a
 * parser's messages change shape, these tests say which field got lost. */
#include <string.h>
#include <glib.h>
#include "trunksvc.h"
#include "corsvc.h"
#include "corrules.h"

typedef struct {
	const char *name, *json, *field;   /* field NULL: the record is fine */
} trunk_case;

static const trunk_case trunk_cases[] = {
	{ "peer1", "{\"mode\":\"peer\",\"proxy\":\"sip:192.0.2.1\",\"address\":\"192.0.2.1\"}", NULL },
	{ "reg1", "{\"proxy\":\"sip:p.test;transport=tls\",\"transport\":\"tls\",\"username\":\"u\","
		  "\"realm\":\"r\",\"ha1_md5\":\"00\"}", NULL },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"http://x\",\"address\":\"192.0.2.1\"}", "proxy" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:\",\"address\":\"192.0.2.1\"}", "proxy" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:a b\",\"address\":\"192.0.2.1\"}", "proxy" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"nope\"}", "address" },
	{ "p", "{\"mode\":\"bridge\",\"proxy\":\"sip:x\"}", "mode" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\",\"transport\":\"sctp\"}",
	  "transport" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\",\"srtp\":\"maybe\"}", "srtp" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\",\"verify\":\"yes\"}", "verify" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\",\"expires\":5}", "expires" },
	{ "p", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\",\"caller_id\":\"a\\\"b\"}",
	  "caller_id" },
	{ "p", "{\"driver\":\"iax\",\"proxy\":\"sip:x\"}", "driver" },
	{ "p", "{\"proxy\":\"sip:x\"}", "username" },
	{ "p", "{\"proxy\":\"sip:x\",\"username\":\"u\"}", "ha1_md5" },
	{ "bad name", "{\"mode\":\"peer\",\"proxy\":\"sip:x\",\"address\":\"192.0.2.1\"}", "name" },
};

static void test_trunk_fields(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(trunk_cases); i++) {
		const trunk_case *c = &trunk_cases[i];
		const char *field = "unset";
		char *why = NULL;
		gboolean ok = sip_trunk_check(c->name, c->json, strlen(c->json), &field, &why);
		if (!c->field) {
			g_assert_true(ok);
			g_assert_null(why);
			continue;
		}
		g_assert_false(ok);
		g_assert_nonnull(why);
		g_assert_cmpstr(field, ==, c->field);
		g_free(why);
	}
}

static void test_trunk_broken_json(void)
{
	const char *field = "unset";
	char *why = NULL;
	g_assert_false(sip_trunk_check("t", "{\"proxy\":", 10, &field, &why));
	g_assert_null(field);
	g_assert_true(g_str_has_prefix(why, "trunk/t: "));
	g_free(why);
	g_assert_null(sip_trunk_error_field(NULL));
	g_assert_null(sip_trunk_error_field("no colon here"));
	g_assert_null(sip_trunk_error_field("trunk/x: \"unterminated"));
}

static void test_trunk_states(void)
{
	GPtrArray *a = sip_trunk_states_parse("a\tpeer\tpeer\t-\nb\tregister\tfailed\t408 Request\tTimeout\n"
					      "junk\n\n");
	g_assert_cmpuint(a->len, ==, 2);
	sip_trunk_state *s = a->pdata[0];
	g_assert_cmpstr(s->name, ==, "a");
	g_assert_null(s->reason);
	s = a->pdata[1];
	g_assert_cmpstr(s->state, ==, "failed");
	g_assert_cmpstr(s->reason, ==, "408 Request\tTimeout");
	g_ptr_array_unref(a);
	a = sip_trunk_states_parse(NULL);
	g_assert_cmpuint(a->len, ==, 0);
	g_ptr_array_unref(a);
}

static GHashTable *errs_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static gboolean cor_check(const char *key, const char *json, GHashTable *errs)
{
	return cor_svc_check(key, json, strlen(json), errs);
}

static void test_cor_rules(void)
{
	GHashTable *e = errs_new();
	g_assert_true(cor_check("cor/group/1", "{\"name\":\"o\",\"rules\":[{\"pattern\":\"00.\","
				"\"action\":\"deny\"},{\"pattern\":\"0049.\",\"action\":\"allow\"}]}", e));
	g_assert_cmpuint(g_hash_table_size(e), ==, 0);
	g_assert_false(cor_check("cor/group/1", "{\"rules\":[{\"pattern\":\"00.\",\"action\":\"deny\"},"
				 "{\"pattern\":\"0Q\",\"action\":\"deny\"},{\"action\":\"deny\"},"
				 "{\"pattern\":\"1\",\"action\":\"maybe\"},7]}", e));
	g_assert_null(g_hash_table_lookup(e, "rules[0]"));
	const char *m = g_hash_table_lookup(e, "rules[1]");
	g_assert_nonnull(m);
	g_assert_true(g_str_has_prefix(m, "rule 2: pattern \"0Q\": position 2:"));
	m = g_hash_table_lookup(e, "rules[2]");
	g_assert_true(m && g_str_has_prefix(m, "rule 3: pattern: missing"));
	m = g_hash_table_lookup(e, "rules[3]");
	g_assert_true(m && g_str_has_prefix(m, "rule 4: action:"));
	m = g_hash_table_lookup(e, "rules[4]");
	g_assert_true(m && g_str_has_prefix(m, "rule 5: must be an object"));
	g_hash_table_unref(e);
}

static void test_cor_fields(void)
{
	GHashTable *e = errs_new();
	g_assert_false(cor_check("cor/cos/1", "{\"name\":\"x\",\"teleport\":true}", e));
	g_assert_cmpstr(g_hash_table_lookup(e, "teleport"), ==, "unknown field");
	g_hash_table_remove_all(e);
	g_assert_false(cor_check("cor/group/1", "{\"on_deny\":\"attendant\"}", e));
	g_assert_nonnull(g_hash_table_lookup(e, "attendant"));
	g_hash_table_remove_all(e);
	g_assert_false(cor_check("cor/ext/100", "{\"cor\":\"high\"}", e));
	g_assert_nonnull(g_hash_table_lookup(e, "cor"));
	g_hash_table_remove_all(e);
	g_assert_false(cor_check("cor/group/70000", "{}", e));
	g_assert_nonnull(g_hash_table_lookup(e, ""));
	g_hash_table_remove_all(e);
	g_assert_false(cor_check("cor/ext/100", "[1]", e));
	g_assert_nonnull(g_hash_table_lookup(e, ""));
	g_hash_table_remove_all(e);
	g_assert_true(cor_check("cor/ext/100", "{\"cor\":{\"day\":1,\"night1\":2},\"cos\":1}", e));
	g_hash_table_unref(e);

	char *f = NULL, *why = NULL;
	g_assert_true(cor_svc_split("cor/group/1: field rules[0]: pattern \"x\": bad", &f, &why));
	g_assert_cmpstr(f, ==, "rules[0]");
	g_assert_cmpstr(why, ==, "pattern \"x\": bad");
	g_free(f);
	g_free(why);
	g_assert_false(cor_svc_split("plain message", &f, &why));
}

/* Items of other records, each named alone: ARS routes, interconnect
 * links, schedule windows and holidays, emergency numbers. */
static void test_cor_items(void)
{
	GHashTable *e = errs_new();
	g_assert_false(cor_check("cor/ars/default", "{\"routes\":[{\"pattern\":\"0Z.\",\"trunks\":[\"a\"]},"
				 "{\"pattern\":\"0Q\",\"trunks\":[\"b\"]},{\"pattern\":\"1\",\"trunks\":[\"c\"],"
				 "\"windows\":[{\"days\":\"mon-xyz\",\"from\":\"08:00\",\"to\":\"18:00\"}]}]}", e));
	g_assert_null(g_hash_table_lookup(e, "routes[0]"));
	const char *m = g_hash_table_lookup(e, "routes[1]");
	g_assert_true(m && g_str_has_prefix(m, "route 2: ") && strstr(m, "position 2"));
	m = g_hash_table_lookup(e, "routes[2]");
	g_assert_true(m && g_str_has_prefix(m, "route 3: "));
	g_hash_table_remove_all(e);

	g_assert_false(cor_check("cor/interconnect", "{\"rules\":[{\"from\":\"trunk:1\",\"to\":\"trunk:2\","
				 "\"action\":\"allow\"},{\"from\":\"pbx:1\",\"to\":\"ext:0\",\"action\":\"deny\"}]}", e));
	m = g_hash_table_lookup(e, "rules[1]");
	g_assert_true(m && g_str_has_prefix(m, "rule 2: from: kind must be ext or trunk"));
	g_assert_cmpuint(g_hash_table_size(e), ==, 1);
	g_hash_table_remove_all(e);

	g_assert_false(cor_check("cor/schedule", "{\"windows\":[{\"days\":\"all\",\"from\":\"08:00\","
				 "\"to\":\"25:00\",\"period\":\"day\"}],\"holidays\":[\"12-25\",\"13-01\"]}", e));
	g_assert_true(g_str_has_prefix(g_hash_table_lookup(e, "windows[0]"), "window 1: "));
	g_assert_true(g_str_has_prefix(g_hash_table_lookup(e, "holidays[1]"), "holiday 2: "));
	g_assert_null(g_hash_table_lookup(e, "holidays[0]"));
	g_hash_table_remove_all(e);

	g_assert_false(cor_check("cor/schedule", "{\"timezone\":\"Mars/Olympus\"}", e));
	g_assert_nonnull(g_hash_table_lookup(e, "timezone"));
	g_hash_table_remove_all(e);

	g_assert_false(cor_check("cor/emergency", "{\"numbers\":[\"112\",\"9a9\"]}", e));
	g_assert_true(g_str_has_prefix(g_hash_table_lookup(e, "numbers[1]"), "number 2: "));
	g_hash_table_remove_all(e);
	g_assert_true(cor_check("cor/emergency", "{\"numbers\":[\"112\",\"999\"],\"trunk_prefix\":\"0\"}", e));
	g_hash_table_unref(e);
}

/* The PIN is hashed as the module verifies it; bad PINs refused. */
static void test_cor_pin(void)
{
	GError *err = NULL;
	char *h = cor_svc_pin_hash("4711", &err);
	g_assert_no_error(err);
	g_assert_true(g_str_has_prefix(h, "sha256:") && !strstr(h, "4711"));
	g_assert_true(cor_pin_verify(h, "4711"));
	g_assert_false(cor_pin_verify(h, "4712"));
	char *rec = g_strdup_printf("{\"verified\":true,\"pin_hash\":\"%s\",\"cor\":3}", h);
	GHashTable *e = errs_new();
	g_assert_true(cor_check("cor/account/4711", rec, e));
	g_hash_table_unref(e);
	g_free(rec);
	g_free(h);
	const char *bad[] = { "", "123", "12a4", "1*34", "12345678901234567", NULL };
	for (guint i = 0; bad[i]; i++) {
		g_assert_null(cor_svc_pin_hash(bad[i], &err));
		g_assert_nonnull(err);
		g_assert_null(strstr(err->message, bad[i][0] ? bad[i] : "\x01"));
		g_clear_error(&err);
	}
	g_assert_null(cor_svc_pin_hash(NULL, &err));
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wa-trunks/trunk/fields", test_trunk_fields);
	g_test_add_func("/wa-trunks/trunk/broken-json", test_trunk_broken_json);
	g_test_add_func("/wa-trunks/trunk/states", test_trunk_states);
	g_test_add_func("/wa-trunks/cor/rules", test_cor_rules);
	g_test_add_func("/wa-trunks/cor/fields", test_cor_fields);
	g_test_add_func("/wa-trunks/cor/items", test_cor_items);
	g_test_add_func("/wa-trunks/cor/pin", test_cor_pin);
	return g_test_run();
}
