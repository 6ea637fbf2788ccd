/* /api/self, the Self Service Portal: every account with an extension of
 * its own ("extension" in its account record, set by a system
 * administrator) reads and changes that extension's display name and call
 * forwarding, and sets its PIN. The extension always comes from the
 * account, never from the request. Forwarding follows the directory's
 * rules for ext/<number> (docs/provisioning.md: a target is 1-32 digits and
 * not the extension itself), so a saved record is never one the directory
 * skips. The PIN (4-12 digits) is stored only as an iterated salted
 * SHA-256 in "extpin/<number>" {"pin_hash": ...}, hashed by the cor
 * module's own code (modules/cor/corpin.c, built into this module too) so
 * both keep one format ("sha256:<iterations>:<salt>:<digest>", hex), and
 * is never returned, logged or audited. Writes carry the revision read;
 * a client may send the one it showed ("revision") to refuse a change made
 * meanwhile by an administrator (409). */
#include "webadmin.h"
#include "../cor/corrules.h"
#include <bulwark/store.h>
#include <string.h>

#define EXT_PREFIX "ext/"
#define NOANSWER_MIN 5
#define NOANSWER_MAX 120

static const char *const forwards[] = { "forward_always", "forward_busy", "forward_noanswer", NULL };

static JsonObject *ext_load(const char *number, gint64 *rev)
{
	return wa_record_load(EXT_PREFIX, number, rev);
}

static void add_str(JsonBuilder *b, JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);
	json_builder_set_member_name(b, name);
	if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
		json_builder_add_string_value(b, json_node_get_string(n));
	else
		json_builder_add_null_value(b);
}

static wa_resp *self_view(const char *number, JsonObject *o, gint64 rev)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "number");
	json_builder_add_string_value(b, number);
	add_str(b, o, "name");
	for (int i = 0; forwards[i]; i++)
		add_str(b, o, forwards[i]);
	JsonNode *s = json_object_get_member(o, "forward_noanswer_s");
	json_builder_set_member_name(b, "forward_noanswer_s");
	json_builder_add_int_value(b, s && JSON_NODE_HOLDS_VALUE(s) &&
				   json_node_get_value_type(s) == G_TYPE_INT64 ? json_node_get_int(s) : 20);
	json_builder_set_member_name(b, "pin_set");
	json_builder_add_boolean_value(b, wa_record_exists(WA_PIN_PREFIX, number));
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

/* ---- changes ---- */
typedef struct {
	const char *number;
	JsonObject *rec;
	GHashTable *errs;        /* field -> static message */
	GPtrArray *changed;      /* field names, for the audit */
	const char *pin;
} self_edit;

static void bad(self_edit *e, const char *field, const char *msg)
{
	g_hash_table_insert(e->errs, (char *)field, (char *)msg);
}

static void edit_name(self_edit *e, JsonObject *in)
{
	gboolean isbad = FALSE;
	const char *v = wa_json_str(in, "name", &isbad);
	if (!json_object_has_member(in, "name"))
		return;
	if (isbad || (v && !wa_display_name_ok(v))) {
		bad(e, "name", "at most 128 bytes of UTF-8 without control characters");
		return;
	}
	if (v && *v)
		json_object_set_string_member(e->rec, "name", v);
	else
		json_object_remove_member(e->rec, "name");
	g_ptr_array_add(e->changed, "name");
}

/* "" or null clears a forward. */
static void edit_forward(self_edit *e, JsonObject *in, const char *f)
{
	gboolean isbad = FALSE;
	const char *v = wa_json_str(in, f, &isbad);
	if (!json_object_has_member(in, f))
		return;
	if (isbad || (v && *v && !wa_digits_ok(v, 1, 32))) {
		bad(e, f, "a number of 1-32 digits, or empty for no forwarding");
		return;
	}
	if (v && strcmp(v, e->number) == 0) {
		bad(e, f, "must not be your own extension");
		return;
	}
	if (v && *v)
		json_object_set_string_member(e->rec, f, v);
	else
		json_object_remove_member(e->rec, f);
	g_ptr_array_add(e->changed, (char *)f);
}

static void edit_noanswer_s(self_edit *e, JsonObject *in)
{
	JsonNode *n = json_object_get_member(in, "forward_noanswer_s");
	if (!n)
		return;
	if (JSON_NODE_HOLDS_NULL(n)) {
		json_object_remove_member(e->rec, "forward_noanswer_s");
	} else if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
		   json_node_get_int(n) < NOANSWER_MIN || json_node_get_int(n) > NOANSWER_MAX) {
		bad(e, "forward_noanswer_s", "seconds of ringing, a whole number from 5 to 120");
		return;
	} else {
		json_object_set_int_member(e->rec, "forward_noanswer_s", json_node_get_int(n));
	}
	g_ptr_array_add(e->changed, "forward_noanswer_s");
}

static void edit_apply(self_edit *e, JsonObject *in)
{
	static const char *const known[] = { "name", "forward_always", "forward_busy",
					     "forward_noanswer", "forward_noanswer_s", "pin",
					     "revision", NULL };
	GList *members = json_object_get_members(in);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(known, m->data))
			bad(e, m->data, "unknown field");
	edit_name(e, in);
	for (int i = 0; forwards[i]; i++)
		edit_forward(e, in, forwards[i]);
	edit_noanswer_s(e, in);
	gboolean isbad = FALSE;
	e->pin = wa_json_str(in, "pin", &isbad);
	if (isbad || (e->pin && !wa_digits_ok(e->pin, 4, 12)))
		bad(e, "pin", "4 to 12 digits");
	JsonNode *rv = json_object_get_member(in, "revision");
	if (rv && !JSON_NODE_HOLDS_NULL(rv) &&
	    (!JSON_NODE_HOLDS_VALUE(rv) || json_node_get_value_type(rv) != G_TYPE_INT64))
		bad(e, "revision", "must be the revision read (a whole number)");
	g_list_free(members);
}

static wa_resp *conflict(GError *err)
{
	wa_resp *r = err && err->code != BW_STORE_ERROR_CONFLICT
		? wa_resp_error1(409, NULL, err->message)
		: wa_resp_error1(409, NULL, "your extension was changed meanwhile (by an administrator?); reload and try again");
	if (err)
		g_error_free(err);
	return r;
}

static gboolean save_pin(const char *number, const char *pin, GError **err)
{
	char *h = cor_pin_hash(pin);
	char *text = g_strdup_printf("{\"pin_hash\":\"%s\"}", h);
	char *key = g_strconcat(WA_PIN_PREFIX, number, NULL);
	gboolean ok = bw_store_put(bw_store_system(), key, text, strlen(text), BW_STORE_ANY, err) > 0;
	g_free(key);
	g_free(text);
	g_free(h);
	return ok;
}

/* The ext record first (at its revision), then the PIN record. */
static wa_resp *self_save(wa_sess *s, self_edit *e, gint64 rev)
{
	char *key = g_strconcat(EXT_PREFIX, e->number, NULL);
	GError *err = NULL;
	gboolean ext_changed = e->changed->len > 0;
	wa_resp *r = NULL;
	if (ext_changed) {
		gint64 nrev = wa_record_put(EXT_PREFIX, e->number, e->rec, rev, &err);
		if (nrev <= 0)
			r = conflict(err);
		else
			rev = nrev;
	}
	if (!r && e->pin) {
		if (save_pin(e->number, e->pin, &err))
			g_ptr_array_add(e->changed, "pin");
		else
			r = conflict(err);
	}
	if (e->changed->len)
		wa_audit_fields(s, "self.set", key, e->changed);
	g_free(key);
	return r ? r : self_view(e->number, e->rec, rev);
}

static wa_resp *self_put(wa_sess *s, const wa_req *r, const char *number, JsonObject *rec,
			 gint64 rev)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	self_edit e = { .number = number, .rec = rec,
			.errs = g_hash_table_new(g_str_hash, g_str_equal),
			.changed = g_ptr_array_new() };
	edit_apply(&e, in);
	JsonNode *rv = json_object_get_member(in, "revision");
	wa_resp *resp;
	if (g_hash_table_size(e.errs) > 0)
		resp = wa_resp_error(400, "some fields are not valid", e.errs);
	else if (rv && !JSON_NODE_HOLDS_NULL(rv) && json_node_get_int(rv) != rev)
		resp = conflict(NULL);
	else
		resp = self_save(s, &e, rev);
	g_hash_table_unref(e.errs);
	g_ptr_array_unref(e.changed);
	json_object_unref(in);
	return resp;
}

wa_resp *wa_api_self(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void)c;
	if (*rest)
		return wa_resp_error1(404, NULL, "no such API resource");
	wa_acct *a = wa_acct_load(s->user, NULL);
	char *number = a && a->extension && wa_digits_ok(a->extension, 1, 32)
		? g_strdup(a->extension) : NULL;
	wa_acct_free(a);
	if (!number)
		return wa_resp_error1(404, NULL, "your account has no extension; an administrator assigns one on the Users page");
	gint64 rev = 0;
	JsonObject *rec = ext_load(number, &rev);
	wa_resp *resp;
	if (!rec) {
		resp = wa_resp_error1(404, NULL, "your extension no longer exists; ask an administrator");
	} else if (strcmp(r->method, "GET") == 0) {
		resp = self_view(number, rec, rev);
	} else if (strcmp(r->method, "PUT") == 0) {
		resp = self_put(s, r, number, rec, rev);
	} else {
		resp = wa_resp_method("GET, PUT");
	}
	if (rec)
		json_object_unref(rec);
	g_free(number);
	return resp;
}
