/* Web accounts in the system store, "webadmin/user/<name>":
 *   {"role": "system|group|user", "hash": "$argon2id$...",
 *    "history": [older hashes, newest first, at most 4],
 *    "must_change": bool, "locked_until": unix seconds, "failures": n,
 *    "changed": unix seconds the password was set,
 *    "profile": authorization profile (group), "extension": own number}
 * An account without "changed" (written before expiry existed) reads as
 * changed now, so an upgrade never expires anyone's password at once.
 * Writes carry the revision read (expect), so two concurrent changes never
 * silently overwrite each other. First start creates "admin" with a random
 * password printed once on stdout (never the log) and must_change; every
 * start creates the profile WA_PROFILE_DEFAULT when it is absent. */
#include "webadmin.h"
#include <bulwark/audit.h>
#include <bulwark/store.h>
#include <stdio.h>
#include <string.h>

#define ACCT_PREFIX "webadmin/user/"

gboolean wa_user_valid(const char *name)
{
	return wa_chars_ok(name, WA_USER_MAX, "-_.");
}

gboolean wa_role_valid(const char *role)
{
	return g_strcmp0(role, "system") == 0 || g_strcmp0(role, "group") == 0 ||
	       g_strcmp0(role, "user") == 0;
}

void wa_acct_free(wa_acct *a)
{
	if (!a)
		return;
	g_free(a->name);
	g_free(a->role);
	g_free(a->hash);
	g_free(a->profile);
	g_free(a->extension);
	for (int i = 0; i < WA_HISTORY; i++)
		g_free(a->history[i]);
	g_free(a);
}

char *wa_acct_to_json(const wa_acct *a)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "role");
	json_builder_add_string_value(b, a->role);
	json_builder_set_member_name(b, "hash");
	json_builder_add_string_value(b, a->hash);
	json_builder_set_member_name(b, "history");
	json_builder_begin_array(b);
	for (int i = 0; i < WA_HISTORY && a->history[i]; i++)
		json_builder_add_string_value(b, a->history[i]);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "must_change");
	json_builder_add_boolean_value(b, a->must_change);
	json_builder_set_member_name(b, "locked_until");
	json_builder_add_int_value(b, a->locked_until);
	json_builder_set_member_name(b, "failures");
	json_builder_add_int_value(b, a->failures);
	json_builder_set_member_name(b, "changed");
	json_builder_add_int_value(b, a->changed);
	if (a->profile) {
		json_builder_set_member_name(b, "profile");
		json_builder_add_string_value(b, a->profile);
	}
	if (a->extension) {
		json_builder_set_member_name(b, "extension");
		json_builder_add_string_value(b, a->extension);
	}
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

static const char *obj_str(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		       ? json_node_get_string(n) : NULL;
}

static gint64 obj_int(JsonObject *o, const char *k)
{
	JsonNode *n = json_object_get_member(o, k);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
		       ? json_node_get_int(n) : 0;
}

static void acct_history(wa_acct *a, JsonObject *o)
{
	JsonNode *n = json_object_get_member(o, "history");
	if (!n || !JSON_NODE_HOLDS_ARRAY(n))
		return;
	JsonArray *arr = json_node_get_array(n);
	for (guint i = 0, j = 0; i < json_array_get_length(arr) && j < WA_HISTORY; i++) {
		JsonNode *e = json_array_get_element(arr, i);
		if (JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING)
			a->history[j++] = g_strdup(json_node_get_string(e));
	}
}

static void acct_extra(wa_acct *a, JsonObject *o)
{
	a->profile = g_strdup(obj_str(o, "profile"));
	a->extension = g_strdup(obj_str(o, "extension"));
	a->changed = obj_int(o, "changed");
	if (a->changed <= 0) {
		a->changed = g_get_real_time() / G_USEC_PER_SEC;
		a->changed_missing = TRUE;
	}
}

wa_acct *wa_acct_from_json(const char *name, const char *text, gsize len, GError **err)
{
	JsonParser *p = json_parser_new_immutable();
	wa_acct *a = NULL;
	if (json_parser_load_from_data(p, text, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		JsonObject *o = json_node_get_object(json_parser_get_root(p));
		const char *role = obj_str(o, "role"), *hash = obj_str(o, "hash");
		if (wa_role_valid(role) && hash) {
			a = g_new0(wa_acct, 1);
			a->name = g_strdup(name);
			a->role = g_strdup(role);
			a->hash = g_strdup(hash);
			JsonNode *mc = json_object_get_member(o, "must_change");
			a->must_change = mc && JSON_NODE_HOLDS_VALUE(mc) && json_node_get_boolean(mc);
			a->locked_until = obj_int(o, "locked_until");
			a->failures = (guint)CLAMP(obj_int(o, "failures"), 0, G_MAXINT32);
			acct_history(a, o);
			acct_extra(a, o);
		}
	}
	g_object_unref(p);
	if (!a)
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
			    "webadmin: record %s%s is not a valid account (role, hash)",
			    ACCT_PREFIX, name);
	return a;
}

wa_acct *wa_acct_load(const char *name, GError **err)
{
	if (!wa_user_valid(name)) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND, "no such user");
		return NULL;
	}
	char *key = g_strconcat(ACCT_PREFIX, name, NULL);
	GBytes *v = NULL;
	gint64 rev = 0;
	wa_acct *a = NULL;
	if (bw_store_get(bw_store_system(), key, &v, &rev, err)) {
		gsize len;
		const char *d = g_bytes_get_data(v, &len);
		a = wa_acct_from_json(name, d, len, err);
		if (a)
			a->revision = rev;
		g_bytes_unref(v);
	}
	g_free(key);
	return a;
}

gboolean wa_acct_save(wa_acct *a, GError **err)
{
	char *key = g_strconcat(ACCT_PREFIX, a->name, NULL);
	char *json = wa_acct_to_json(a);
	gint64 rev = bw_store_put(bw_store_system(), key, json, strlen(json),
				  a->revision ? a->revision : BW_STORE_ABSENT, err);
	g_free(json);
	g_free(key);
	if (rev > 0)
		a->revision = rev;
	return rev > 0;
}

GPtrArray *wa_acct_list(GError **err)
{
	GPtrArray *all = bw_store_list(bw_store_system(), ACCT_PREFIX, err);
	if (!all)
		return NULL;
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)wa_acct_free);
	for (guint i = 0; i < all->len; i++) {
		bw_record *rec = all->pdata[i];
		gsize len;
		const char *d = g_bytes_get_data(rec->value, &len);
		wa_acct *a = wa_acct_from_json(rec->key + strlen(ACCT_PREFIX), d, len, NULL);
		if (a) {
			a->revision = rec->revision;
			g_ptr_array_add(out, a);
		}
	}
	g_ptr_array_unref(all);
	return out;
}

const char *wa_acct_profile(const wa_acct *a)
{
	if (g_strcmp0(a->role, "group") != 0)
		return NULL;
	return a->profile ? a->profile : WA_PROFILE_DEFAULT;
}

/* End users are not administrators: their password does not expire. */
gint64 wa_acct_expires(const wa_conf *c, const wa_acct *a)
{
	if (!c->password_expiry_days || g_strcmp0(a->role, "user") == 0)
		return 0;
	return a->changed + (gint64)c->password_expiry_days * 86400;
}

/* 16 characters, one of each class the policy asks for, the rest mixed. */
static char *acct_random_password(void)
{
	static const char *const cls[] = { "ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz",
					   "23456789", "!#%+-.:=?@_" };
	char *hex = wa_random_hex(16);
	char *pw = g_malloc0(17);
	for (int i = 0; i < 16; i++) {
		guint v = (guint)g_ascii_xdigit_value(hex[2 * i]) * 16 +
			  (guint)g_ascii_xdigit_value(hex[2 * i + 1]);
		const char *set = cls[i < 4 ? (guint)i : v % 3];
		pw[i] = set[v % strlen(set)];
	}
	g_free(hex);
	return pw;
}

gboolean wa_acct_bootstrap(const wa_conf *c, GError **err)
{
	if (!wa_prof_bootstrap(err))
		return FALSE;
	GPtrArray *users = bw_store_list(bw_store_system(), ACCT_PREFIX, err);
	if (!users)
		return FALSE;
	gboolean have = users->len > 0;
	g_ptr_array_unref(users);
	if (have)
		return TRUE;
	char *pw = acct_random_password();
	wa_acct a = { .name = "admin", .role = "system", .must_change = TRUE,
		      .changed = g_get_real_time() / G_USEC_PER_SEC };
	a.hash = wa_pass_hash(pw, c->argon_t, c->argon_m_kib, err);
	gboolean ok = a.hash && wa_acct_save(&a, err);
	if (ok) {
		/* stdout, once: the console of whoever started the daemon, not the log. */
		printf("webadmin: initial administrator \"admin\", password %s (must be changed at first login)\n",
		       pw);
		fflush(stdout);
		bw_audit_append("system", "webadmin.user.create", ACCT_PREFIX "admin",
				"initial administrator, must change password", NULL);
	}
	memset(pw, 0, strlen(pw));
	g_free(pw);
	g_free(a.hash);
	return ok;
}
