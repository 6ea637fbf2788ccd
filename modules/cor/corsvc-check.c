/* The record check of the "cor.admin" service (corsvc.h): a record is
 * applied with cor_json_apply to a scratch model and compiled, exactly
 * what the module does with a stored record, and each error is tied to
 * the field it names. When a record fails, the items of its arrays (a
 * group's rules, a plan's routes, the interconnect links, the schedule's
 * windows and holidays, the emergency numbers) are applied one at a time
 * so that an administrator sees every bad item at once, each with its
 * number and the reason ("rules[2]": "rule 3: ..."). Also the PIN hash
 * of the service. Pure: the rule engine, json-glib and GLib. */
#include "corsvc.h"
#include "corjson.h"
#include "corlimits.h"
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

/* The arrays whose items are checked one at a time after a record
 * failed, so that each bad item is named with its number and why. */
typedef struct item_kind {
	const char *prefix;    /* key, or key prefix when it ends in '/' */
	const char *array;     /* member */
	const char *scratch;   /* the key a lone item is applied to; NULL: the key */
	const char *noun;      /* "rule 3: ..." */
	const char *shape;     /* an item that is not an object; NULL: strings */
} item_kind;

static const item_kind item_kinds[] = {
	{ "cor/group/", "rules", "cor/group/0", "rule", "pattern, action and name" },
	{ "cor/ars/", "routes", NULL, "route", "pattern, trunks and windows" },
	{ "cor/interconnect", "rules", NULL, "rule", "from, to and action" },
	{ "cor/schedule", "windows", NULL, "window", "days, from, to and period" },
	{ "cor/schedule", "holidays", NULL, "holiday", NULL },
	{ "cor/emergency", "numbers", NULL, "number", NULL },
};

static gboolean kind_matches(const item_kind *k, const char *key)
{
	gsize n = strlen(k->prefix);
	return k->prefix[n - 1] == '/' ? g_str_has_prefix(key, k->prefix) : !strcmp(key, k->prefix);
}

/* The error of a scratch record with the item alone, or NULL. */
static char *item_error(const item_kind *k, const char *key, JsonNode *item)
{
	if (k->shape && !JSON_NODE_HOLDS_OBJECT(item))
		return g_strdup_printf("must be an object with %s", k->shape);
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, k->array);
	json_builder_begin_array(b);
	json_builder_add_value(b, json_node_copy(item));
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	cor_model *m = cor_model_new();
	GError *e = NULL;
	char *out = NULL, *own = g_strdup_printf("%s[0]", k->array);
	if (!cor_json_apply(m, k->scratch ? k->scratch : key, text, strlen(text), &e)) {
		char *field = NULL, *why = NULL;
		if (cor_svc_split(e->message, &field, &why))
			out = !strcmp(field, own) || !strcmp(field, k->array) ? g_strdup(why)
				: g_strdup_printf("%s: %s", field, why);
		else
			out = g_strdup(e->message);
		g_free(field);
		g_free(why);
		g_error_free(e);
	}
	g_free(own);
	cor_model_free(m);
	g_free(text);
	return out;
}

/* The items of k from index first on, one at a time: FALSE when one is
 * bad (each bad one in errs, as "ARRAY[I]"). */
static gboolean check_items(const item_kind *k, const char *key, const char *json, gsize len,
			    guint first, GHashTable *errs)
{
	JsonParser *p = json_parser_new_immutable();
	gboolean ok = TRUE;
	JsonNode *root = json_parser_load_from_data(p, json, (gssize) len, NULL)
		? json_parser_get_root(p) : NULL;
	JsonNode *items = root && JSON_NODE_HOLDS_OBJECT(root)
		? json_object_get_member(json_node_get_object(root), k->array) : NULL;
	JsonArray *a = items && JSON_NODE_HOLDS_ARRAY(items) ? json_node_get_array(items) : NULL;
	guint n = a ? MIN(json_array_get_length(a), COR_MAX_LINKS) : 0, bad = 0;
	for (guint i = first; i < n && bad < RULE_ERRORS_MAX; i++) {
		char *why = item_error(k, key, json_array_get_element(a, i));
		if (!why)
			continue;
		char field[48];
		g_snprintf(field, sizeof field, "%s[%u]", k->array, i);
		add(errs, field, g_strdup_printf("%s %u: %s", k->noun, i + 1, why));
		g_free(why);
		bad++;
		ok = FALSE;
	}
	g_object_unref(p);
	return ok;
}

/* A record other than a group failed: FALSE when some item of its arrays
 * is bad on its own (each named in errs). */
static gboolean check_all_items(const char *key, const char *json, gsize len, GHashTable *errs)
{
	gboolean ok = TRUE;
	for (guint i = 1; i < G_N_ELEMENTS(item_kinds); i++)
		if (kind_matches(&item_kinds[i], key))
			ok = check_items(&item_kinds[i], key, json, len, 0, errs) && ok;
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

char *cor_svc_pin_hash(const char *pin, GError **err)
{
	gsize n = pin ? strnlen(pin, COR_SVC_PIN_MAX + 1) : 0;
	gboolean digits = n >= COR_SVC_PIN_MIN && n <= COR_SVC_PIN_MAX;
	for (gsize i = 0; digits && i < n; i++)
		digits = g_ascii_isdigit(pin[i]);
	if (!digits) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "the PIN is %u to %u digits (it is dialled between '*'s)",
			    COR_SVC_PIN_MIN, COR_SVC_PIN_MAX);
		return NULL;
	}
	return cor_pin_hash(pin);
}

/* cor/limits is no rule-set record: its own parser, no compile. */
static gboolean check_limits(const char *json, gsize len, GHashTable *errs)
{
	cor_limits l;
	GError *e = NULL;
	if (cor_limits_parse(json, len, &l, &e))
		return TRUE;
	add_error(errs, e->message);
	g_error_free(e);
	return FALSE;
}

gboolean cor_svc_check(const char *key, const char *json, gsize len, GHashTable *errs)
{
	if (key && strcmp(key, COR_LIMITS_KEY) == 0)
		return check_limits(json, len, errs);
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
	 * rules one at a time costs ten times the whole record); other
	 * records' items (routes, windows, links...) alike */
	gboolean group = g_str_has_prefix(key, "cor/group/");
	if (!ok && !(group && rule_failure(e->message, &first) &&
		     !check_items(&item_kinds[0], key, json, len, first, errs)) &&
	    !(!group && !check_all_items(key, json, len, errs)))
		add_error(errs, e->message);
	g_clear_error(&e);
	cor_model_free(m);
	return ok;
}
