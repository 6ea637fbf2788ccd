/* The record check of the "cor.admin" service (corsvc.h): a record is
 * applied with cor_json_apply to a scratch model and compiled, exactly
 * what the module does with a stored record, and each error is tied to
 * the field it names. A group's rules are first applied one at a time so
 * that an administrator sees every bad rule at once, each with its number
 * and the reason. Pure: the rule engine, json-glib and GLib. */
#include "corsvc.h"
#include "corjson.h"
#include "corrules.h"

#include <json-glib/json-glib.h>
#include <string.h>

#define RULE_ERRORS_MAX 50   /* per answer: enough to fix, bounded */

gboolean cor_svc_split(const char *message, char **field, char **why)
{
	const char *f = message ? strstr(message, ": field ") : NULL;
	if (!f)
		return FALSE;
	f += strlen(": field ");
	const char *end = strstr(f, ": ");
	if (!end)
		return FALSE;
	*field = g_strndup(f, (gsize) (end - f));
	*why = g_strdup(end + 2);
	return TRUE;
}

static void add(GHashTable *errs, const char *field, char *msg)
{
	if (!g_hash_table_contains(errs, field))
		g_hash_table_insert(errs, g_strdup(field), msg);
	else
		g_free(msg);
}

/* "(record): unknown field "x"" is about x; "(key)" and "(record)" are
 * about the record as a whole. */
static void add_error(GHashTable *errs, const char *message)
{
	char *field = NULL, *why = NULL;
	if (!cor_svc_split(message, &field, &why)) {
		add(errs, "", g_strdup(message));
		return;
	}
	const char *q = g_str_has_prefix(why, "unknown field \"") ? why + 15 : NULL;
	if (q && strchr(q, '"')) {
		char *name = g_strndup(q, (gsize) (strchr(q, '"') - q));
		add(errs, name, g_strdup("unknown field"));
		g_free(name);
	} else if (field[0] == '(') {
		add(errs, "", g_strdup(message));
	} else {
		add(errs, field, g_strdup(why));
	}
	g_free(field);
	g_free(why);
}

/* One rule alone in a scratch group; its error, or NULL. */
static char *rule_error(JsonNode *rule)
{
	if (!JSON_NODE_HOLDS_OBJECT(rule))
		return g_strdup("must be an object with pattern, action and name");
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "rules");
	json_builder_begin_array(b);
	json_builder_add_value(b, json_node_copy(rule));
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	cor_model *m = cor_model_new();
	GError *e = NULL;
	char *out = NULL;
	if (!cor_json_apply(m, "cor/group/0", text, strlen(text), &e)) {
		char *field = NULL, *why = NULL;
		if (cor_svc_split(e->message, &field, &why))
			out = strcmp(field, "rules[0]") == 0 ? g_strdup(why)
				: g_strdup_printf("%s: %s", field, why);
		else
			out = g_strdup(e->message);
		g_free(field);
		g_free(why);
		g_error_free(e);
	}
	cor_model_free(m);
	g_free(text);
	return out;
}

/* The rules from index first on, one at a time: FALSE when one is bad
 * (each bad one in errs). */
static gboolean check_rules(const char *json, gsize len, guint first, GHashTable *errs)
{
	JsonParser *p = json_parser_new_immutable();
	gboolean ok = TRUE;
	JsonNode *root = json_parser_load_from_data(p, json, (gssize) len, NULL)
		? json_parser_get_root(p) : NULL;
	JsonNode *rules = root && JSON_NODE_HOLDS_OBJECT(root)
		? json_object_get_member(json_node_get_object(root), "rules") : NULL;
	JsonArray *a = rules && JSON_NODE_HOLDS_ARRAY(rules) ? json_node_get_array(rules) : NULL;
	guint n = a ? MIN(json_array_get_length(a), COR_MAX_RULES) : 0, bad = 0;
	for (guint i = first; i < n && bad < RULE_ERRORS_MAX; i++) {
		char *why = rule_error(json_array_get_element(a, i));
		if (!why)
			continue;
		char field[32];
		g_snprintf(field, sizeof field, "rules[%u]", i);
		add(errs, field, g_strdup_printf("rule %u: %s", i + 1, why));
		g_free(why);
		bad++;
		ok = FALSE;
	}
	g_object_unref(p);
	return ok;
}

/* Where the rules may start to be wrong, after the record failed with
 * message: "rules[N]" names the first bad one (the parser goes in order);
 * a rule's own member (pattern, action, name) or a rule that is not an
 * object does not say which one. */
static gboolean rule_failure(const char *message, guint *first)
{
	char *field = NULL, *why = NULL;
	gboolean rule = FALSE;
	if (cor_svc_split(message, &field, &why)) {
		char *end = NULL;
		guint64 v = g_str_has_prefix(field, "rules[") ? g_ascii_strtoull(field + 6, &end, 10) : 0;
		if (end && end != field + 6 && strcmp(end, "]") == 0) {
			*first = (guint) MIN(v, COR_MAX_RULES);
			rule = TRUE;
		}
		rule = rule || !strcmp(field, "pattern") || !strcmp(field, "action") ||
		       !strcmp(field, "name") || (!strcmp(field, "rules") && g_str_has_prefix(why, "entry "));
	}
	g_free(field);
	g_free(why);
	return rule;
}

gboolean cor_svc_check(const char *key, const char *json, gsize len, GHashTable *errs)
{
	cor_model *m = cor_model_new();
	GError *e = NULL;
	gboolean ok = cor_json_apply(m, key, json, len, &e);
	if (ok) {
		cor_ruleset *rs = cor_compile(m, &e);
		ok = rs != NULL;
		cor_ruleset_unref(rs);
	}
	guint first = 0;
	/* a bad rule: every bad rule, each by its number (only now: checking
	 * rules one at a time costs ten times the whole record) */
	if (!ok && !(g_str_has_prefix(key, "cor/group/") && rule_failure(e->message, &first) &&
		     !check_rules(json, len, first, errs)))
		add_error(errs, e->message);
	g_clear_error(&e);
	cor_model_free(m);
	return ok;
}
