/* /api/trunks[/NAME]: the SIP trunks, store records trunk/<name> of
 * docs/sip.md. The rules of a record are the sip module's own: every
 * record is checked through its "sip.trunks" service (modules/sip/
 * trunksvc.h) before it is stored, and the state shown (registered,
 * failed and why, peer) is the one the module runs. Without the sip
 * module the list still shows the stored records, and changes are refused.
 * A password becomes HA1 (MD5 and SHA-256 over user:realm:password) at
 * once; it is never stored, returned, logged or audited ("password_set").
 * Changes carry the revision the page read: a concurrent change is 409. */
#include "webadmin.h"
#include "../sip/trunksvc.h"
#include <bulwark/call.h>
#include <bulwark/service.h>
#include <bulwark/store.h>
#include <string.h>

#define TRUNK_PREFIX "trunk/"
#define NO_SIP "the sip module is not loaded: trunks cannot be checked or changed " \
	"(load it: bulwarkctl module load sip)"

static const sip_trunks_v1 *trunk_svc(void)
{
	return bw_service_lookup(SIP_TRUNKS_SERVICE, SIP_TRUNKS_VERSION);
}

/* A string member, or NULL (absent or of another type). */
static const char *str_member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		? json_node_get_string(n) : NULL;
}

/* The directory's default driver is sip. */
static gboolean ours(JsonObject *o)
{
	const char *d = str_member(o, "driver");
	return !json_object_has_member(o, "driver") || (d && strcmp(d, "sip") == 0);
}

/* ---- views ---- */

static void add_member(JsonBuilder *b, JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	if (!n || !JSON_NODE_HOLDS_VALUE(n))
		return;
	json_builder_set_member_name(b, name);
	json_builder_add_value(b, json_node_copy(n));
}

static void trunk_view_add(JsonBuilder *b, const char *name, JsonObject *o, gint64 rev,
			   GHashTable *states)
{
	static const char *const shown[] = { "mode", "proxy", "domain", "username", "realm",
		"address", "transport", "verify", "ca_file", "expires", "caller_id",
		"allow_direct_extensions", "srtp", NULL };
	json_builder_begin_object(b);
	wa_json_add_str(b, "name", name);
	for (guint i = 0; shown[i]; i++)
		add_member(b, o, shown[i]);
	json_builder_set_member_name(b, "password_set");
	json_builder_add_boolean_value(b, json_object_has_member(o, "ha1_md5") ||
					  json_object_has_member(o, "ha1_sha256"));
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	const sip_trunk_state *st = states ? g_hash_table_lookup(states, name) : NULL;
	wa_json_add_str(b, "state", !states ? "unknown" : st ? st->state : "pending");
	wa_json_add_str(b, "reason", !states ? "the sip module is not loaded"
		: st ? st->reason : "not started by the sip module yet");
	json_builder_end_object(b);
}

/* The sip module's trunk states: by name (sip_trunk_state*, owned by
 * list), or by NULL without the module or its answer (why says which). */
typedef struct trunk_states {
	GHashTable *by_name;
	GPtrArray *list;
	char *why;
} trunk_states;

static void trunk_states_get(trunk_states *t)
{
	const sip_trunks_v1 *svc = trunk_svc();
	GError *err = NULL;
	*t = (trunk_states){ 0 };
	if (!svc) {
		t->why = g_strdup(NO_SIP);
		return;
	}
	t->list = svc->states(&err);
	if (!t->list) {
		t->why = g_strdup(err->message);
		g_error_free(err);
		return;
	}
	t->by_name = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < t->list->len; i++) {
		sip_trunk_state *st = t->list->pdata[i];
		g_hash_table_insert(t->by_name, st->name, st);
	}
}

static void trunk_states_clear(trunk_states *t)
{
	g_clear_pointer(&t->by_name, g_hash_table_unref);
	g_clear_pointer(&t->list, g_ptr_array_unref);
	g_clear_pointer(&t->why, g_free);
}

static wa_resp *trunk_list(void)
{
	GError *err = NULL;
	GPtrArray *recs = bw_store_list(bw_store_system(), TRUNK_PREFIX, &err);
	if (!recs)
		return wa_store_error(err, "the trunk list");
	trunk_states st;
	trunk_states_get(&st);
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "available");
	json_builder_add_boolean_value(b, trunk_svc() != NULL);
	wa_json_add_str(b, "message", st.why);
	json_builder_set_member_name(b, "trunks");
	json_builder_begin_array(b);
	for (guint i = 0; i < recs->len; i++) {
		const bw_record *rec = recs->pdata[i];
		JsonObject *o = wa_record_object(rec->value);
		if (ours(o))
			trunk_view_add(b, rec->key + strlen(TRUNK_PREFIX), o, rec->revision, st.by_name);
		json_object_unref(o);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	trunk_states_clear(&st);
	g_ptr_array_unref(recs);
	return r;
}

static wa_resp *trunk_view(const char *name, JsonObject *o, gint64 rev, guint status)
{
	trunk_states st;
	trunk_states_get(&st);
	JsonBuilder *b = json_builder_new();
	trunk_view_add(b, name, o, rev, st.by_name);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	trunk_states_clear(&st);
	return r;
}

/* ---- edits ---- */

typedef struct trunk_edit {
	JsonObject *rec;
	GHashTable *errs;        /* field -> message (static or owned by msgs) */
	GPtrArray *changed;      /* field names (static) */
	GPtrArray *msgs;         /* messages to free */
	const char *password;
} trunk_edit;

static void err_field(trunk_edit *e, const char *f, const char *msg)
{
	if (!g_hash_table_contains(e->errs, f))
		g_hash_table_insert(e->errs, (char *) f, (char *) msg);
}

static const char *const str_fields[] = { "mode", "proxy", "domain", "username", "realm",
	"address", "transport", "ca_file", "caller_id", "srtp", NULL };
static const char *const bool_fields[] = { "verify", "allow_direct_extensions", NULL };

/* Strings, booleans and expires as given: null or "" removes the member
 * (the module's default). The module's check judges the values. */
static void set_value(trunk_edit *e, JsonObject *in, const char *f, gboolean want_str)
{
	JsonNode *n = json_object_get_member(in, f);
	if (!n)
		return;
	GType t = JSON_NODE_HOLDS_VALUE(n) ? json_node_get_value_type(n) : G_TYPE_INVALID;
	gboolean clear = JSON_NODE_HOLDS_NULL(n) ||
		(t == G_TYPE_STRING && !*json_node_get_string(n));
	if (!clear && t != (want_str ? G_TYPE_STRING : G_TYPE_BOOLEAN)) {
		err_field(e, f, want_str ? "must be text" : "must be true or false");
		return;
	}
	if (clear)
		json_object_remove_member(e->rec, f);
	else
		json_object_set_member(e->rec, f, json_node_copy(n));
	g_ptr_array_add(e->changed, (char *) f);
}

static void set_expires(trunk_edit *e, JsonObject *in)
{
	JsonNode *n = json_object_get_member(in, "expires");
	if (!n)
		return;
	if (JSON_NODE_HOLDS_NULL(n))
		json_object_remove_member(e->rec, "expires");
	else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
		json_object_set_int_member(e->rec, "expires", json_node_get_int(n));
	else {
		err_field(e, "expires", "must be a whole number of seconds from 60 to 86400");
		return;
	}
	g_ptr_array_add(e->changed, "expires");
}

static gboolean password_ok(const char *s)
{
	gsize n = strlen(s);
	if (n == 0 || n > 255)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if ((guchar) s[i] < 0x20 || s[i] == 0x7f)
			return FALSE;
	return TRUE;
}

static const char *const known[] = { "name", "mode", "proxy", "domain", "username", "realm",
	"password", "address", "transport", "verify", "ca_file", "expires", "caller_id",
	"allow_direct_extensions", "srtp", "revision", NULL };

static void trunk_apply(trunk_edit *e, JsonObject *in)
{
	GList *members = json_object_get_members(in);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(known, m->data) && g_hash_table_size(e->errs) < 32) {
			char *f = g_strndup(m->data, 64);
			g_ptr_array_add(e->msgs, f);
			err_field(e, f, "unknown field");
		}
	g_list_free(members);
	for (guint i = 0; str_fields[i]; i++)
		set_value(e, in, str_fields[i], TRUE);
	for (guint i = 0; bool_fields[i]; i++)
		set_value(e, in, bool_fields[i], FALSE);
	set_expires(e, in);
	gboolean bad = FALSE;
	e->password = wa_json_str(in, "password", &bad);
	if (bad || (e->password && *e->password && !password_ok(e->password)))
		err_field(e, "password", "1-255 characters without control characters");
	if (e->password && !*e->password)
		e->password = NULL;   /* empty: keep the current one */
	json_object_set_string_member(e->rec, "driver", "sip");
}

static gboolean changed(trunk_edit *e, const char *f)
{
	return g_ptr_array_find_with_equal_func(e->changed, f, g_str_equal, NULL);
}

/* HA1 over user:realm:password; both digests, as the module picks the one
 * the provider offers. */
static void trunk_password(trunk_edit *e)
{
	const char *user = str_member(e->rec, "username");
	const char *realm = str_member(e->rec, "realm");
	gboolean has = json_object_has_member(e->rec, "ha1_md5") ||
		json_object_has_member(e->rec, "ha1_sha256");
	if (!e->password) {
		if (has && (changed(e, "username") || changed(e, "realm")))
			err_field(e, "password", "needed again when the user name or the realm changes");
		if (has && !user) {
			json_object_remove_member(e->rec, "ha1_md5");
			json_object_remove_member(e->rec, "ha1_sha256");
		}
		return;
	}
	if (!user)
		err_field(e, "username", "needed with a password: the account at the provider");
	if (!realm)
		err_field(e, "realm", "needed with a password: the provider's digest realm "
			  "(the password is stored only as a digest over user:realm:password)");
	if (!user || !realm)
		return;
	char *md5 = bw_digest_ha1(G_CHECKSUM_MD5, user, realm, e->password);
	char *sha = bw_digest_ha1(G_CHECKSUM_SHA256, user, realm, e->password);
	json_object_set_string_member(e->rec, "ha1_md5", md5);
	json_object_set_string_member(e->rec, "ha1_sha256", sha);
	g_free(md5);
	g_free(sha);
	g_ptr_array_add(e->changed, "password");
}

/* The module's verdict; its message names the field, and an HA1 is the
 * password field of the form. */
static void trunk_check(trunk_edit *e, const sip_trunks_v1 *svc, const char *name,
			const char *text)
{
	const char *field = NULL;
	char *why = NULL;
	if (svc->check(name, text, strlen(text), &field, &why))
		return;
	if (field && g_str_has_prefix(field, "ha1_"))
		field = "password";
	g_ptr_array_add(e->msgs, why);
	err_field(e, field ? field : "", why);
}

static char *changed_detail(GPtrArray *changed)
{
	GString *d = g_string_new("fields:");
	for (guint i = 0; i < changed->len; i++)
		g_string_append_printf(d, " %s", (const char *) changed->pdata[i]);
	return g_string_free(d, FALSE);
}

static wa_resp *trunk_errors(trunk_edit *e)
{
	const char *general = g_hash_table_lookup(e->errs, "");
	if (general && g_hash_table_size(e->errs) == 1)
		return wa_resp_error1(400, NULL, general);
	g_hash_table_remove(e->errs, "");
	return wa_resp_error(400, general ? general : "some fields are not valid", e->errs);
}

/* POST (rev BW_STORE_ABSENT) and PUT (rev: the one the page read). */
static wa_resp *trunk_write(wa_sess *s, const sip_trunks_v1 *svc, const char *name,
			    JsonObject *rec, gint64 rev, JsonObject *in)
{
	trunk_edit e = { .rec = rec, .errs = g_hash_table_new(g_str_hash, g_str_equal),
			 .changed = g_ptr_array_new(), .msgs = g_ptr_array_new_with_free_func(g_free) };
	trunk_apply(&e, in);
	trunk_password(&e);
	/* the module's check as well, so one answer names the most problems;
	 * not after a password problem, which it would report again */
	char *text = wa_record_text(rec);
	if (!g_hash_table_contains(e.errs, "password") && !g_hash_table_contains(e.errs, "username") &&
	    !g_hash_table_contains(e.errs, "realm"))
		trunk_check(&e, svc, name, text);
	wa_resp *r = NULL;
	if (g_hash_table_size(e.errs) > 0) {
		r = trunk_errors(&e);
	} else {
		char *key = g_strconcat(TRUNK_PREFIX, name, NULL);
		GError *err = NULL;
		gint64 now = bw_store_put(bw_store_system(), key, text, strlen(text), rev, &err);
		if (now > 0) {
			char *detail = changed_detail(e.changed);
			wa_audit_change(s, rev == BW_STORE_ABSENT ? "trunk.add" : "trunk.set", key, detail);
			g_free(detail);
			r = trunk_view(name, rec, now, rev == BW_STORE_ABSENT ? 201 : 200);
		} else {
			r = wa_store_error(err, "the trunk");
		}
		g_free(key);
	}
	g_free(text);
	g_hash_table_unref(e.errs);
	g_ptr_array_unref(e.changed);
	g_ptr_array_unref(e.msgs);
	return r;
}

static JsonObject *trunk_load(const char *name, gint64 *rev)
{
	return wa_record_load(TRUNK_PREFIX, name, rev);
}

static gboolean name_plain(const char *s)
{
	return wa_chars_ok(s, 64, "-_.");
}

static wa_resp *trunk_create(wa_sess *s, const sip_trunks_v1 *svc, JsonObject *in)
{
	gboolean bad = FALSE;
	const char *name = wa_json_str(in, "name", &bad);
	if (bad || !name_plain(name))
		return wa_resp_error1(400, "name", "the trunk name is 1-64 of letters, digits, - _ .");
	gint64 rev = 0;
	JsonObject *old = trunk_load(name, &rev);
	if (old) {
		json_object_unref(old);
		return wa_resp_error1(409, "name", "a trunk of this name already exists");
	}
	JsonObject *rec = json_object_new();
	wa_resp *r = trunk_write(s, svc, name, rec, BW_STORE_ABSENT, in);
	json_object_unref(rec);
	return r;
}

static wa_resp *trunk_delete(wa_sess *s, const wa_req *r, const char *name, gint64 rev)
{
	gint64 expect;
	if (!wa_expect_revision(r, NULL, rev, &expect))
		return wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	char *key = g_strconcat(TRUNK_PREFIX, name, NULL);
	GError *err = NULL;
	wa_resp *resp;
	if (bw_store_delete(bw_store_system(), key, expect, &err) > 0) {
		wa_audit_change(s, "trunk.del", key, NULL);
		resp = wa_resp_new(200);
		resp->body = g_strdup("{\"ok\":true}");
	} else {
		resp = wa_store_error(err, "the trunk");
	}
	g_free(key);
	return resp;
}

static wa_resp *trunk_update(wa_sess *s, const sip_trunks_v1 *svc, const wa_req *r,
			     const char *name, JsonObject *rec, gint64 rev)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gint64 expect;
	wa_resp *resp;
	if (json_object_has_member(in, "name"))
		resp = wa_resp_error1(400, "name", "the name cannot change: create a new trunk");
	else if (!wa_expect_revision(r, in, rev, &expect))
		resp = wa_resp_error1(400, "revision", "the revision is a whole number from 1");
	else
		resp = trunk_write(s, svc, name, rec, expect, in);
	json_object_unref(in);
	return resp;
}

static wa_resp *trunk_one(wa_sess *s, const wa_req *r, const char *name)
{
	gint64 rev = 0;
	JsonObject *rec = trunk_load(name, &rev);
	if (!rec || !ours(rec)) {
		if (rec)
			json_object_unref(rec);
		return wa_resp_error1(404, NULL, "no such SIP trunk");
	}
	const sip_trunks_v1 *svc = trunk_svc();
	wa_resp *resp;
	if (strcmp(r->method, "GET") == 0)
		resp = trunk_view(name, rec, rev, 200);
	else if (strcmp(r->method, "PUT") != 0 && strcmp(r->method, "DELETE") != 0)
		resp = wa_resp_method("GET, PUT, DELETE");
	else if (!svc)
		resp = wa_resp_error1(503, NULL, NO_SIP);
	else if (strcmp(r->method, "DELETE") == 0)
		resp = trunk_delete(s, r, name, rev);
	else
		resp = trunk_update(s, svc, r, name, rec, rev);
	json_object_unref(rec);
	return resp;
}

wa_resp *wa_api_trunks(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c;
	if (*rest == '/' && rest[1])
		return name_plain(rest + 1) ? trunk_one(s, r, rest + 1)
					    : wa_resp_error1(404, NULL, "no such SIP trunk");
	if (*rest && strcmp(rest, "/") != 0)
		return wa_resp_error1(404, NULL, "no such API resource");
	if (strcmp(r->method, "GET") == 0)
		return trunk_list();
	if (strcmp(r->method, "POST") != 0)
		return wa_resp_method("GET, POST");
	const sip_trunks_v1 *svc = trunk_svc();
	if (!svc)
		return wa_resp_error1(503, NULL, NO_SIP);
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	wa_resp *resp = trunk_create(s, svc, in);
	json_object_unref(in);
	return resp;
}
