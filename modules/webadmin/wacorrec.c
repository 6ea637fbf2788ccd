/* Changes to the CoR records through /api/cor (wacor.h): PUT and DELETE
 * of groups, CoS, extension and trunk assignments, ARS plans, account
 * codes and the singletons (interconnect, emergency, schedule). A PUT
 * body is the record plus "revision": without it the record must not
 * exist yet, with it the record must still be at that revision (409
 * otherwise). The cor module's own parser and compiler judge the record
 * before it is stored (field errors per item: "rules[2]", "routes[0]"...).
 * An account code's PIN is write-only: "pin" in, hashed by the cor module
 * (its pin_hash), stored as pin_hash, shown only as "pin_set"; it never
 * reaches an answer, the audit or the log. */
#include "wacor.h"
#include <bulwark/store.h>
#include <string.h>

#define ID_MAX 64

static const wa_cor_kind kinds[] = {
	{ "groups", "cor/group/", "groups", "cor.group", WA_COR_NUMERIC },
	{ "cos", "cor/cos/", "cos", "cor.cos", WA_COR_NUMERIC },
	{ "ext", "cor/ext/", "assignments", "cor.ext", 0 },
	{ "trunks", "cor/trunk/", "trunks", "cor.trunk", 0 },
	{ "ars", "cor/ars/", "ars", "cor.ars", 0 },
	{ "accounts", "cor/account/", "accounts", "cor.account", WA_COR_ACCOUNT | WA_COR_DIGITS },
	{ "interconnect", "cor/interconnect", "interconnect", "cor.interconnect", WA_COR_SINGLE },
	{ "emergency", "cor/emergency", "emergency", "cor.emergency", WA_COR_SINGLE },
	{ "schedule", "cor/schedule", "schedule", "cor.schedule", WA_COR_SINGLE },
};

const wa_cor_kind *wa_cor_kinds(guint *n)
{
	*n = G_N_ELEMENTS(kinds);
	return kinds;
}

gboolean wa_cor_id_ok(const wa_cor_kind *k, const char *id)
{
	gsize n = strlen(id);
	if (k->flags & WA_COR_SINGLE)
		return n == 0;
	if (n == 0 || n > ID_MAX || ((k->flags & WA_COR_DIGITS) && n > 32))
		return FALSE;
	if (k->flags & WA_COR_NUMERIC)
		return g_ascii_string_to_unsigned(id, 10, 0, 65535, NULL, NULL) && id[0] != '+';
	for (gsize i = 0; i < n; i++)
		if ((k->flags & WA_COR_DIGITS) ? !g_ascii_isdigit(id[i])
		    : !g_ascii_isalnum(id[i]) && !strchr("-_.", id[i]))
			return FALSE;
	return TRUE;
}

static const char *id_rule(const wa_cor_kind *k)
{
	if (k->flags & WA_COR_NUMERIC)
		return "a number from 0 to 65535";
	if (k->flags & WA_COR_DIGITS)
		return "1 to 32 digits (the code is dialled)";
	return "1 to 64 letters, digits, '-', '_' or '.'";
}

void wa_cor_view(const wa_cor_kind *k, JsonObject *rec)
{
	if (!(k->flags & WA_COR_ACCOUNT))
		return;
	gboolean set = json_object_has_member(rec, "pin_hash");
	json_object_remove_member(rec, "pin_hash");
	json_object_set_boolean_member(rec, "pin_set", set);
}

/* ---- answers ---- */

static wa_resp *check_errors(const wa_cor_kind *k, GHashTable *errs)
{
	char *pin = (k->flags & WA_COR_ACCOUNT) ? g_hash_table_lookup(errs, "pin_hash") : NULL;
	if (pin) {   /* the administrator typed a PIN, never a hash */
		g_hash_table_insert(errs, g_strdup("pin"), g_strdup("a verified code needs a PIN"));
		g_hash_table_remove(errs, "pin_hash");
	}
	const char *general = g_hash_table_lookup(errs, "");
	if (general && g_hash_table_size(errs) == 1)
		return wa_resp_error1(400, NULL, general);
	char *msg = g_strdup(general ? general : "some fields are not valid");
	g_hash_table_remove(errs, "");
	wa_resp *r = wa_resp_error(400, msg, errs);
	g_free(msg);
	return r;
}

/* The audit detail: how many items, never a value that could be secret. */
static char *item_detail(const wa_cor_kind *k, JsonObject *rec, const char *pin_note)
{
	static const char *const arrays[] = { "rules", "routes", "windows", "numbers" };
	if (k->flags & WA_COR_ACCOUNT)
		return g_strdup(pin_note);
	for (guint i = 0; i < G_N_ELEMENTS(arrays); i++) {
		JsonNode *a = json_object_get_member(rec, arrays[i]);
		if (a && JSON_NODE_HOLDS_ARRAY(a))
			return g_strdup_printf("%s: %u", arrays[i], json_array_get_length(json_node_get_array(a)));
	}
	return NULL;
}

static wa_resp *item_saved(const wa_cor_kind *k, const char *id, JsonObject *rec, gint64 rev,
			   guint status)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	json_builder_add_string_value(b, id);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, k->path);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	wa_cor_view(k, rec);
	json_builder_set_member_name(b, "record");
	json_builder_add_value(b, json_node_init_object(json_node_alloc(), rec));
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	return r;
}

/* ---- account codes: the write-only PIN ---- */

/* The stored pin_hash of key at revision expect (g_free), NULL when it has
 * none; *conflict when the record changed meanwhile. */
static char *stored_hash(const char *key, gint64 expect, gboolean *conflict)
{
	GBytes *v = NULL;
	gint64 rev = 0;
	char *hash = NULL;
	*conflict = FALSE;
	if (expect == BW_STORE_ABSENT || !bw_store_get(bw_store_system(), key, &v, &rev, NULL))
		return NULL;
	if (rev != expect) {
		*conflict = TRUE;
	} else {
		JsonObject *o = wa_record_object(v);
		JsonNode *n = json_object_get_member(o, "pin_hash");
		if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
			hash = g_strdup(json_node_get_string(n));
		json_object_unref(o);
	}
	g_bytes_unref(v);
	return hash;
}

/* Replaces "pin" by "pin_hash" (hashed by the cor module), or keeps the
 * stored hash of a verified code; an error answer, or NULL. *note says
 * what happened to the PIN, for the audit. */
static wa_resp *account_pin(const cor_admin_v1 *svc, JsonObject *in, const char *key,
			    gint64 expect, const char **note)
{
	if (json_object_has_member(in, "pin_hash"))
		return wa_resp_error1(400, "pin_hash", "not accepted: send the PIN as \"pin\"; "
				      "the cor module stores it hashed");
	gboolean bad = FALSE;
	const char *pin = wa_json_str(in, "pin", &bad);
	JsonNode *v = json_object_get_member(in, "verified");
	gboolean verified = v && JSON_NODE_HOLDS_VALUE(v) &&
		json_node_get_value_type(v) == G_TYPE_BOOLEAN && json_node_get_boolean(v);
	if (bad || (pin && !*pin))
		return wa_resp_error1(400, "pin", "the PIN is a string of digits");
	if (pin && !verified)
		return wa_resp_error1(400, "pin", "only verified codes have a PIN");
	char *hash = NULL;
	*note = verified ? "verified, PIN kept" : "not verified";
	if (pin) {
		GError *e = NULL;
		hash = svc->pin_hash(pin, &e);
		if (!hash) {
			wa_resp *r = wa_resp_error1(400, "pin", e->message);
			g_error_free(e);
			return r;
		}
		*note = "verified, PIN set";
	} else if (verified) {
		gboolean conflict = FALSE;
		hash = stored_hash(key, expect, &conflict);
		if (conflict)
			return wa_resp_error1(409, NULL, "the account code changed meanwhile (another "
					      "administrator?); reload and try again");
		if (!hash)
			return wa_resp_error1(400, "pin", "a verified code needs a PIN");
	}
	json_object_remove_member(in, "pin");
	if (hash)
		json_object_set_string_member(in, "pin_hash", hash);
	g_free(hash);
	return NULL;
}

/* ---- PUT / DELETE ---- */

static wa_resp *store_put(const cor_admin_v1 *svc, wa_sess *s, const wa_cor_kind *k,
			  const char *id, const char *key, JsonObject *in, gint64 expect,
			  const char *pin_note)
{
	JsonNode *root = json_node_init_object(json_node_alloc(), in);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	GHashTable *errs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	wa_resp *resp;
	if (!svc->check(key, text, strlen(text), errs)) {
		resp = check_errors(k, errs);
	} else {
		GError *err = NULL;
		gint64 now = bw_store_put(bw_store_system(), key, text, strlen(text), expect, &err);
		if (now > 0) {
			char *detail = item_detail(k, in, pin_note);
			char *action = g_strconcat(k->action, expect == BW_STORE_ABSENT ? ".add" : ".set",
						   NULL);
			wa_audit_change(s, action, key, detail);
			g_free(action);
			g_free(detail);
			resp = item_saved(k, id, in, now, expect == BW_STORE_ABSENT ? 201 : 200);
		} else {
			resp = wa_store_error(err, expect == BW_STORE_ABSENT
					      ? "the record already exists, or it" : "the record");
		}
	}
	g_hash_table_unref(errs);
	memset(text, 0, strlen(text));   /* held a PIN hash */
	g_free(text);
	return resp;
}

static wa_resp *item_put(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r,
			 const wa_cor_kind *k, const char *id)
{
	if (!wa_cor_id_ok(k, id))
		return wa_resp_error1(400, "id", id_rule(k));
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gint64 expect = BW_STORE_ABSENT;
	if (!wa_expect_revision(r, in, BW_STORE_ABSENT, &expect)) {
		json_object_unref(in);
		return wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	}
	json_object_remove_member(in, "revision");
	char *key = g_strconcat(k->prefix, id, NULL);
	const char *note = NULL;
	wa_resp *resp = (k->flags & WA_COR_ACCOUNT) ? account_pin(svc, in, key, expect, &note) : NULL;
	if (!resp)
		resp = store_put(svc, s, k, id, key, in, expect, note);
	g_free(key);
	json_object_unref(in);
	return resp;
}

static wa_resp *item_delete(wa_sess *s, const wa_req *r, const wa_cor_kind *k, const char *id)
{
	if (!wa_cor_id_ok(k, id))
		return wa_resp_error1(404, NULL, "no such CoR record");
	gint64 expect = BW_STORE_ANY;
	if (!wa_expect_revision(r, NULL, BW_STORE_ANY, &expect))
		return wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	char *key = g_strconcat(k->prefix, id, NULL);
	GBytes *v = NULL;
	gint64 rev = 0;
	wa_resp *resp;
	if (!bw_store_get(bw_store_system(), key, &v, &rev, NULL)) {
		resp = wa_resp_error1(404, NULL, (k->flags & WA_COR_SINGLE)
				      ? "no stored record: the defaults are in force" : "no such CoR record");
	} else {
		GError *err = NULL;
		if (bw_store_delete(bw_store_system(), key, expect == BW_STORE_ANY ? rev : expect,
				    &err) > 0) {
			char *action = g_strconcat(k->action, ".del", NULL);
			wa_audit_change(s, action, key, NULL);
			g_free(action);
			resp = wa_resp_new(200);
			resp->body = g_strdup("{\"ok\":true}");
		} else {
			resp = wa_store_error(err, "the record");
		}
		g_bytes_unref(v);
	}
	g_free(key);
	return resp;
}

wa_resp *wa_cor_item(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r, const char *p)
{
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		const wa_cor_kind *k = &kinds[i];
		gsize n = strlen(k->path);
		if (strncmp(p, k->path, n) != 0 ||
		    (k->flags & WA_COR_SINGLE ? p[n] != '\0' : p[n] != '/'))
			continue;
		const char *id = p[n] ? p + n + 1 : p + n;
		if (strcmp(r->method, "PUT") == 0)
			return item_put(svc, s, r, k, id);
		if (strcmp(r->method, "DELETE") == 0)
			return item_delete(s, r, k, id);
		return wa_resp_method("PUT, DELETE");
	}
	return wa_resp_error1(404, NULL, "no such API resource");
}
