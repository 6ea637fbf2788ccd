/* /api/extensions[/N]: the store records ext/<number> of
 * docs/provisioning.md. Every field is checked here with a message per
 * field; a secret becomes HA1 (MD5 and SHA-256 over user:realm:secret,
 * realm = the system name, the core's own bw_digest_ha1) and is never
 * stored, returned or audited. Writes carry the revision read, so a
 * concurrent change is refused (409), never overwritten. */
#include "webadmin.h"
#include <bulwark/call.h>
#include <bulwark/module.h>
#include <bulwark/store.h>
#include <string.h>

#define EXT_PREFIX "ext/"

static gboolean number_ok(const char *s)
{
	return wa_digits_ok(s, 1, 32);
}

static gboolean secret_ok(const char *s)
{
	gsize n = strlen(s);
	if (n == 0 || n > 255)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if ((guchar)s[i] < 0x20 || s[i] == 0x7f)
			return FALSE;
	return TRUE;
}

typedef struct {
	JsonObject *rec;       /* the record being built */
	GHashTable *errs;      /* field -> message */
	GPtrArray *changed;    /* field names */
	const char *secret;
} ext_edit;

static void err_field(ext_edit *e, const char *f, const char *msg)
{
	g_hash_table_insert(e->errs, (char *)f, (char *)msg);
}

static void set_str(ext_edit *e, JsonObject *in, const char *f, gboolean (*ok)(const char *),
		    const char *msg)
{
	if (!json_object_has_member(in, f))
		return;
	gboolean bad = FALSE;
	const char *v = wa_json_str(in, f, &bad);
	if (bad || (v && !ok(v))) {
		err_field(e, f, msg);
		return;
	}
	if (v)
		json_object_set_string_member(e->rec, f, v);
	else
		json_object_remove_member(e->rec, f);
	g_ptr_array_add(e->changed, (char *)f);
}

static gboolean user_ok(const char *s) { return wa_chars_ok(s, 64, "-.!%*_+`'~"); }
static gboolean group_ok(const char *s) { return wa_chars_ok(s, 64, "-_."); }
static gboolean srtp_ok(const char *s)
{
	return !strcmp(s, "mandatory") || !strcmp(s, "optional") || !strcmp(s, "off");
}

static void set_contacts(ext_edit *e, JsonObject *in)
{
	JsonNode *n = json_object_get_member(in, "max_contacts");
	if (!n)
		return;
	if (JSON_NODE_HOLDS_NULL(n)) {
		json_object_remove_member(e->rec, "max_contacts");
	} else if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
		   json_node_get_int(n) < 1 || json_node_get_int(n) > 20) {
		err_field(e, "max_contacts", "must be a whole number from 1 to 20");
		return;
	} else {
		json_object_set_int_member(e->rec, "max_contacts", json_node_get_int(n));
	}
	g_ptr_array_add(e->changed, "max_contacts");
}

static const char *const known[] = { "number", "name", "sip_user", "secret", "cor", "cos",
				     "srtp", "max_contacts", NULL };

static void ext_apply(ext_edit *e, JsonObject *in)
{
	GList *members = json_object_get_members(in);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(known, m->data))
			err_field(e, m->data, "unknown field");
	g_list_free(members);
	set_str(e, in, "name", wa_display_name_ok, "at most 128 bytes of UTF-8 without control characters");
	set_str(e, in, "sip_user", user_ok, "1-64 of A-Z a-z 0-9 - . ! % * _ + ` ' ~");
	set_str(e, in, "cor", group_ok, "1-64 of A-Z a-z 0-9 - _ .");
	set_str(e, in, "cos", group_ok, "1-64 of A-Z a-z 0-9 - _ .");
	set_str(e, in, "srtp", srtp_ok, "one of mandatory, optional, off");
	set_contacts(e, in);
	gboolean bad = FALSE;
	e->secret = wa_json_str(in, "secret", &bad);
	if (bad || (e->secret && !secret_ok(e->secret)))
		err_field(e, "secret", "1-255 characters without control characters");
}

/* Another extension already using sip_user? */
static gboolean user_taken(const char *number, const char *user)
{
	GPtrArray *all = bw_store_list(bw_store_system(), EXT_PREFIX, NULL);
	gboolean taken = FALSE;
	for (guint i = 0; all && i < all->len && !taken; i++) {
		bw_record *r = all->pdata[i];
		const char *num = r->key + strlen(EXT_PREFIX);
		if (strcmp(num, number) == 0)
			continue;
		gsize len;
		const char *d = g_bytes_get_data(r->value, &len);
		JsonParser *p = json_parser_new_immutable();
		if (json_parser_load_from_data(p, d, (gssize)len, NULL) &&
		    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
			JsonObject *o = json_node_get_object(json_parser_get_root(p));
			const char *u = json_object_has_member(o, "sip_user")
				? json_object_get_string_member_with_default(o, "sip_user", num) : num;
			taken = g_strcmp0(u, user) == 0;
		}
		g_object_unref(p);
	}
	if (all)
		g_ptr_array_unref(all);
	return taken;
}

static void ext_secret(ext_edit *e, const char *number, gboolean user_changed)
{
	const char *user = json_object_has_member(e->rec, "sip_user")
		? json_object_get_string_member(e->rec, "sip_user") : number;
	if (!e->secret) {
		if (user_changed && json_object_has_member(e->rec, "ha1_md5"))
			err_field(e, "secret", "needed again when the SIP user name changes");
		return;
	}
	const char *realm = bw_system_name();
	if (!realm || !*realm) {
		err_field(e, "secret", "the system has no name to use as the digest realm");
		return;
	}
	char *md5 = bw_digest_ha1(G_CHECKSUM_MD5, user, realm, e->secret);
	char *sha = bw_digest_ha1(G_CHECKSUM_SHA256, user, realm, e->secret);
	json_object_set_string_member(e->rec, "ha1_md5", md5);
	json_object_set_string_member(e->rec, "ha1_sha256", sha);
	g_free(md5);
	g_free(sha);
	g_ptr_array_add(e->changed, "secret");
}

static JsonObject *ext_load(const char *number, gint64 *rev)
{
	return wa_record_load(EXT_PREFIX, number, rev);
}

static void ext_view_add(JsonBuilder *b, const char *number, JsonObject *o)
{
	static const char *const strs[] = { "name", "sip_user", "cor", "cos", "srtp", NULL };
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "number");
	json_builder_add_string_value(b, number);
	for (int i = 0; strs[i]; i++) {
		JsonNode *n = json_object_get_member(o, strs[i]);
		if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
			json_builder_set_member_name(b, strs[i]);
			json_builder_add_string_value(b, json_node_get_string(n));
		}
	}
	JsonNode *mc = json_object_get_member(o, "max_contacts");
	if (mc && JSON_NODE_HOLDS_VALUE(mc)) {
		json_builder_set_member_name(b, "max_contacts");
		json_builder_add_int_value(b, json_node_get_int(mc));
	}
	json_builder_set_member_name(b, "secret_set");
	json_builder_add_boolean_value(b, json_object_has_member(o, "ha1_md5") ||
					  json_object_has_member(o, "ha1_sha256"));
	json_builder_end_object(b);
}

static wa_resp *ext_view(const char *number, JsonObject *o, guint status)
{
	JsonBuilder *b = json_builder_new();
	ext_view_add(b, number, o);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	return r;
}

static void ext_list_add(JsonBuilder *b, const bw_record *rec)
{
	const char *num = rec->key + strlen(EXT_PREFIX);
	if (!number_ok(num))
		return;
	JsonObject *o = wa_record_object(rec->value);   /* the listed value: no second read */
	ext_view_add(b, num, o);
	json_object_unref(o);
}

static wa_resp *ext_list(void)
{
	return wa_resp_record_list(EXT_PREFIX, "extensions", ext_list_add);
}

static void ext_audit(wa_sess *s, const char *action, const char *number, GPtrArray *changed)
{
	char *key = g_strconcat(EXT_PREFIX, number, NULL);
	wa_audit_fields(s, action, key, changed);
	g_free(key);
}

/* POST (create, rev BW_STORE_ABSENT) and PUT (update at rev). */
static wa_resp *ext_write(wa_sess *s, const char *number, JsonObject *rec, gint64 rev,
			  JsonObject *in)
{
	ext_edit e = { .rec = rec, .errs = g_hash_table_new(g_str_hash, g_str_equal),
		       .changed = g_ptr_array_new() };
	ext_apply(&e, in);
	gboolean user_changed = g_ptr_array_find_with_equal_func(e.changed, "sip_user", g_str_equal, NULL);
	const char *user = json_object_has_member(rec, "sip_user")
		? json_object_get_string_member(rec, "sip_user") : number;
	if (g_hash_table_size(e.errs) == 0 && user_taken(number, user))
		err_field(&e, json_object_has_member(rec, "sip_user") ? "sip_user" : "number",
			  "this SIP user name is already used by another extension");
	if (g_hash_table_size(e.errs) == 0)
		ext_secret(&e, number, user_changed);
	wa_resp *r = NULL;
	if (g_hash_table_size(e.errs) > 0) {
		r = wa_resp_error(400, "some fields are not valid", e.errs);
	} else {
		GError *err = NULL;
		if (wa_record_put(EXT_PREFIX, number, rec, rev, &err) > 0) {
			ext_audit(s, rev == BW_STORE_ABSENT ? "ext.add" : "ext.set", number, e.changed);
			r = ext_view(number, rec, rev == BW_STORE_ABSENT ? 201 : 200);
		} else {
			r = wa_store_error(err, "the extension");
		}
	}
	g_hash_table_unref(e.errs);
	g_ptr_array_unref(e.changed);
	return r;
}

static wa_resp *ext_create(const wa_conf *c, wa_sess *s, JsonObject *in)
{
	(void)c;
	gboolean bad = FALSE;
	const char *number = wa_json_str(in, "number", &bad);
	if (bad || !number_ok(number))
		return wa_resp_error1(400, "number", "the number is 1-32 digits");
	if (wa_record_exists(EXT_PREFIX, number))
		return wa_resp_error1(409, "number", "this extension already exists");
	JsonObject *rec = json_object_new();
	wa_resp *r = ext_write(s, number, rec, BW_STORE_ABSENT, in);
	json_object_unref(rec);
	return r;
}

/* The extension's self-service PIN goes with it, deleted after the
 * extension so that a refused delete keeps both. None is fine. */
static void ext_pin_drop(const char *number)
{
	char *key = g_strconcat(WA_PIN_PREFIX, number, NULL);
	GError *err = NULL;
	if (bw_store_delete(bw_store_system(), key, BW_STORE_ANY, &err) <= 0 &&
	    !g_error_matches(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND))
		g_warning("webadmin: %s not deleted with its extension: %s", key, err->message);
	g_clear_error(&err);
	g_free(key);
}

static wa_resp *ext_one(wa_sess *s, const wa_req *r, const char *number)
{
	gint64 rev = 0;
	JsonObject *rec = ext_load(number, &rev);
	if (!rec)
		return wa_resp_error1(404, NULL, "no such extension");
	wa_resp *resp = NULL;
	if (strcmp(r->method, "GET") == 0) {
		resp = ext_view(number, rec, 200);
	} else if (strcmp(r->method, "DELETE") == 0) {
		GError *err = NULL;
		char *key = g_strconcat(EXT_PREFIX, number, NULL);
		if (bw_store_delete(bw_store_system(), key, rev, &err) > 0) {
			ext_pin_drop(number);
			ext_audit(s, "ext.del", number, NULL);
			resp = wa_resp_new(200);
			resp->body = g_strdup("{\"ok\":true}");
		} else {
			resp = wa_store_error(err, "the extension");
		}
		g_free(key);
	} else if (strcmp(r->method, "PUT") == 0) {
		const char *why = NULL;
		JsonObject *in = wa_req_json(r, &why);
		if (!in)
			resp = wa_resp_error1(400, NULL, why);
		else if (json_object_has_member(in, "number"))
			resp = wa_resp_error1(400, "number", "the number cannot change: create a new extension");
		else
			resp = ext_write(s, number, rec, rev, in);
		if (in)
			json_object_unref(in);
	} else {
		resp = wa_resp_method("GET, PUT, DELETE");
	}
	json_object_unref(rec);
	return resp;
}

wa_resp *wa_api_extensions(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	if (*rest == '/' && rest[1])
		return number_ok(rest + 1) ? ext_one(s, r, rest + 1)
					   : wa_resp_error1(404, NULL, "no such extension");
	return wa_collection(c, s, r, ext_list, ext_create);
}
