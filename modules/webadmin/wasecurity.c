/* /api/security: the security options form. GET answers every option's
 * value in force and where it comes from ("xml": the configuration or its
 * built-in default, "saved": the form); PUT {"revision": R, option: value
 * or null (back to the XML value), ...} checks every option with a message
 * per field (422, nothing saved when any is wrong), refuses an allow-list
 * that would shut out the administrator saving it, and writes the record
 * WA_SEC_KEY at revision R (409 when someone saved meanwhile). The change
 * is audited as "option: old -> new". Saving only writes the record: each
 * owner applies its part from its own store watch (mod_webadmin.c for the
 * web options, modules/sip/dos.c, core/backup.c). */
#include "webadmin.h"
#include <bulwark/metrics.h>
#include <bulwark/store.h>
#include <gio/gio.h>
#include <string.h>

typedef enum { F_BOOL, F_UINT, F_ENUM, F_CIDRS } sec_kind;

typedef struct sec_field {
	const char *name;
	sec_kind kind;
	gint64 lo, hi;
	const char *choices;       /* F_ENUM: "a|b|c" */
	const char *rule;          /* the field message when broken */
	const char *gauge;         /* in force elsewhere: the owner's gauge */
	double gauge_div;
} sec_field;

static const sec_field fields[] = {
	{ "tls_compat", F_BOOL, 0, 0, NULL, "must be true or false", NULL, 0 },
	{ "https_redirect", F_BOOL, 0, 0, NULL, "must be true or false", NULL, 0 },
	{ "backup_interval_h", F_UINT, 0, 720, NULL,
	  "a whole number of hours from 1 to 720, or 0 for no periodic backups",
	  "backup.interval_s", 3600 },
	{ "password_expiry_days", F_UINT, 0, 3650, NULL,
	  "a whole number of days from 1 to 3650, or 0 for never", NULL, 0 },
	{ "session_idle_min", F_UINT, 1, 240, NULL,
	  "a whole number of minutes from 1 to 240", NULL, 0 },
	{ "lockout", F_ENUM, 0, 0, "standard|strict", "one of standard, strict", NULL, 0 },
	{ "sip_dos_auth_failures", F_UINT, 1, 100000, NULL,
	  "a whole number from 1 to 100000", "sip.dos_auth_failures", 1 },
	{ "sip_dos_transactions", F_UINT, 1, 100000, NULL,
	  "a whole number from 1 to 100000", "sip.dos_transactions", 1 },
	{ "sip_dos_window_s", F_UINT, 1, 3600, NULL,
	  "a whole number of seconds from 1 to 3600", "sip.dos_window_s", 1 },
	{ "sip_dos_ban_s", F_UINT, 10, 86400, NULL,
	  "a whole number of seconds from 10 to 86400", "sip.dos_ban_s", 1 },
	{ "srtp_default", F_ENUM, 0, 0, "mandatory|optional|off",
	  "one of mandatory, optional, off", NULL, 0 },
	{ "allow", F_CIDRS, 0, WA_ALLOW_MAX, NULL,
	  "a list of IP addresses or CIDRs (192.0.2.0/24, 2001:db8::/32), at most 256", NULL, 0 },
};

static const sec_field *sec_field_find(const char *name)
{
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static gboolean node_is(JsonNode *n, GType t)
{
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == t;
}

static gboolean choice_ok(const char *choices, const char *v)
{
	char **all = g_strsplit(choices, "|", -1);
	gboolean ok = g_strv_contains((const char *const *)all, v);
	g_strfreev(all);
	return ok;
}

static gboolean cidrs_ok(JsonNode *n)
{
	if (!n || !JSON_NODE_HOLDS_ARRAY(n))
		return FALSE;
	JsonArray *a = json_node_get_array(n);
	if (json_array_get_length(a) > WA_ALLOW_MAX)
		return FALSE;
	for (guint i = 0; i < json_array_get_length(a); i++) {
		JsonNode *e = json_array_get_element(a, i);
		if (!node_is(e, G_TYPE_STRING) || strlen(json_node_get_string(e)) > 64)
			return FALSE;
		GInetAddressMask *m = g_inet_address_mask_new_from_string(json_node_get_string(e), NULL);
		if (!m)
			return FALSE;
		g_object_unref(m);
	}
	return TRUE;
}

/* Is n a valid value of f? (null is handled by the caller) */
static gboolean sec_valid(const sec_field *f, JsonNode *n)
{
	switch (f->kind) {
	case F_BOOL:
		return node_is(n, G_TYPE_BOOLEAN);
	case F_UINT:
		return node_is(n, G_TYPE_INT64) && json_node_get_int(n) >= f->lo &&
		       json_node_get_int(n) <= f->hi;
	case F_ENUM:
		return node_is(n, G_TYPE_STRING) && choice_ok(f->choices, json_node_get_string(n));
	case F_CIDRS:
		return cidrs_ok(n);
	}
	return FALSE;
}

JsonObject *wa_sec_parse(GBytes *value)
{
	JsonObject *out = json_object_new();
	gsize len = 0;
	const char *d = value ? g_bytes_get_data(value, &len) : NULL;
	JsonParser *p = json_parser_new_immutable();
	if (d && json_parser_load_from_data(p, d, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		JsonObject *o = json_node_get_object(json_parser_get_root(p));
		for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
			JsonNode *n = json_object_get_member(o, fields[i].name);
			if (n && sec_valid(&fields[i], n))
				json_object_set_member(out, fields[i].name, json_node_copy(n));
			else if (n)
				g_warning("webadmin: %s: member \"%s\" is not valid (%s): the XML value applies",
					  WA_SEC_KEY, fields[i].name, fields[i].rule);
		}
	} else if (d) {
		g_warning("webadmin: %s is not a JSON object: the XML values apply", WA_SEC_KEY);
	}
	g_object_unref(p);
	return out;
}

JsonObject *wa_sec_load(gint64 *rev)
{
	GBytes *v = NULL;
	*rev = 0;
	bw_store *s = bw_store_system();
	if (!s || !bw_store_get(s, WA_SEC_KEY, &v, rev, NULL))
		return json_object_new();
	JsonObject *o = wa_sec_parse(v);
	g_bytes_unref(v);
	return o;
}

static GPtrArray *allow_masks(JsonArray *a)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; a && i < json_array_get_length(a); i++) {
		GInetAddressMask *m = g_inet_address_mask_new_from_string(
			json_array_get_string_element(a, i), NULL);
		if (m)
			g_ptr_array_add(out, m);
	}
	return out;
}

static GPtrArray *masks_copy(const GPtrArray *in)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; in && i < in->len; i++)
		g_ptr_array_add(out, g_object_ref(in->pdata[i]));
	return out;
}

static gint64 saved_int(JsonObject *o, const char *name, gint64 def)
{
	return json_object_has_member(o, name) ? json_object_get_int_member(o, name) : def;
}

static gboolean saved_bool(JsonObject *o, const char *name, gboolean def)
{
	return json_object_has_member(o, name) ? json_object_get_boolean_member(o, name) : def;
}

void wa_sec_apply(wa_conf *c, const wa_conf *xml, JsonObject *saved)
{
	c->tls_compat = saved_bool(saved, "tls_compat", xml->tls_compat);
	c->http_port = saved_bool(saved, "https_redirect", xml->http_port != 0) ? xml->http_port : 0;
	c->session_idle = json_object_has_member(saved, "session_idle_min")
		? json_object_get_int_member(saved, "session_idle_min") * 60 : xml->session_idle;
	c->password_expiry_days = (guint)saved_int(saved, "password_expiry_days",
						   xml->password_expiry_days);
	c->strict = json_object_has_member(saved, "lockout")
		? strcmp(json_object_get_string_member(saved, "lockout"), "strict") == 0 : xml->strict;
	GPtrArray *allow = json_object_has_member(saved, "allow")
		? allow_masks(json_object_get_array_member(saved, "allow")) : masks_copy(xml->allow);
	if (c->allow)
		g_ptr_array_unref(c->allow);
	c->allow = allow;
}

/* ---- the view ---- */

static void add_number(JsonBuilder *b, double v)
{
	if (v == (double)(gint64)v)
		json_builder_add_int_value(b, (gint64)v);
	else
		json_builder_add_double_value(b, v);
}

static void add_allow(JsonBuilder *b, const GPtrArray *masks)
{
	json_builder_begin_array(b);
	for (guint i = 0; masks && i < masks->len; i++) {
		char *s = g_inet_address_mask_to_string(masks->pdata[i]);
		json_builder_add_string_value(b, s);
		g_free(s);
	}
	json_builder_end_array(b);
}

/* The value of f in force: the web options from x (the live wa_conf, or
 * the XML's), the others as their owner reports them (its gauge), null
 * when the owner is not running. */
static void add_value(JsonBuilder *b, const wa_conf *x, const sec_field *f)
{
	const char *n = f->name;
	bw_metric *m = f->gauge ? bw_metric_find(f->gauge) : NULL;
	if (!strcmp(n, "tls_compat"))
		json_builder_add_boolean_value(b, x->tls_compat);
	else if (!strcmp(n, "https_redirect"))
		json_builder_add_boolean_value(b, x->http_port != 0);
	else if (!strcmp(n, "password_expiry_days"))
		json_builder_add_int_value(b, x->password_expiry_days);
	else if (!strcmp(n, "session_idle_min"))
		add_number(b, (double)x->session_idle / 60.0);
	else if (!strcmp(n, "lockout"))
		json_builder_add_string_value(b, x->strict ? "strict" : "standard");
	else if (!strcmp(n, "allow"))
		add_allow(b, x->allow);
	else if (!strcmp(n, "srtp_default"))
		json_builder_add_string_value(b, "mandatory");
	else if (m)
		add_number(b, (double)bw_metric_value(m) / f->gauge_div);
	else
		json_builder_add_null_value(b);
}

/* live: the wa_conf in force (GET), or NULL for what saved will bring
 * (the answer to a PUT, before the owners have applied it). */
static JsonNode *sec_view(JsonObject *saved, gint64 rev, const wa_conf *live)
{
	const wa_conf *x = wa_conf_xml();
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_set_member_name(b, "values");
	json_builder_begin_object(b);
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		json_builder_set_member_name(b, fields[i].name);
		JsonNode *n = json_object_get_member(saved, fields[i].name);
		if (live && !fields[i].gauge && fields[i].kind != F_CIDRS &&
		    strcmp(fields[i].name, "srtp_default") != 0)
			add_value(b, live, &fields[i]);   /* the allow-list as typed, not normalised */
		else if (n)
			json_builder_add_value(b, json_node_copy(n));
		else if (x)
			add_value(b, x, &fields[i]);
		else
			json_builder_add_null_value(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sources");
	json_builder_begin_object(b);
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		json_builder_set_member_name(b, fields[i].name);
		json_builder_add_string_value(b, json_object_has_member(saved, fields[i].name)
					      ? "saved" : "xml");
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "client_address");
	json_builder_add_null_value(b);
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	g_object_unref(b);
	return root;
}

static wa_resp *sec_answer(JsonNode *view, const char *client)
{
	JsonObject *o = json_node_get_object(view);
	json_object_set_string_member(o, "client_address", client ? client : "");
	wa_resp *r = wa_resp_new(200);
	r->body = json_to_string(view, FALSE);
	json_node_unref(view);
	return r;
}

static wa_resp *sec_get(const wa_conf *c, const wa_req *r)
{
	gint64 rev = 0;
	JsonObject *saved = wa_sec_load(&rev);
	wa_resp *resp = sec_answer(sec_view(saved, rev, c), r->remote);
	json_object_unref(saved);
	return resp;
}

/* ---- saving ---- */

static gboolean allow_admits(JsonArray *a, const GPtrArray *xml_allow, const char *ip)
{
	GPtrArray *masks = a ? allow_masks(a) : masks_copy(xml_allow);
	GInetAddress *addr = ip ? g_inet_address_new_from_string(ip) : NULL;
	gboolean ok = masks->len == 0;
	for (guint i = 0; addr && i < masks->len && !ok; i++)
		ok = g_inet_address_mask_matches(masks->pdata[i], addr);
	if (addr)
		g_object_unref(addr);
	g_ptr_array_unref(masks);
	return ok;
}

/* Every member of in, checked; the valid ones applied to next. */
static void sec_check(JsonObject *in, JsonObject *next, const wa_req *r, GHashTable *errs)
{
	const wa_conf *x = wa_conf_xml();
	GList *members = json_object_get_members(in);
	for (GList *l = members; l; l = l->next) {
		const char *name = l->data;
		JsonNode *n = json_object_get_member(in, name);
		const sec_field *f = sec_field_find(name);
		if (!strcmp(name, "revision"))
			continue;
		if (!f) {
			g_hash_table_insert(errs, g_strdup(name), g_strdup("unknown option"));
		} else if (JSON_NODE_HOLDS_NULL(n)) {
			json_object_remove_member(next, name);
		} else if (!sec_valid(f, n)) {
			g_hash_table_insert(errs, g_strdup(name), g_strdup(f->rule));
		} else {
			json_object_set_member(next, name, json_node_copy(n));
		}
	}
	g_list_free(members);
	if (!g_hash_table_contains(errs, "https_redirect") && x && !x->http_port &&
	    saved_bool(next, "https_redirect", FALSE))
		g_hash_table_insert(errs, g_strdup("https_redirect"),
				    g_strdup("the configuration has http=\"off\": name a plain listener "
					     "(http=\"ADDRESS:PORT\") in the XML to allow a redirect"));
	JsonArray *allow = json_object_has_member(next, "allow")
		? json_object_get_array_member(next, "allow") : NULL;
	if (!g_hash_table_contains(errs, "allow") && x && !allow_admits(allow, x->allow, r->remote)) {
		char *msg = g_strdup_printf("this list does not include your own address %s: "
					    "saving it would lock you out", r->remote ? r->remote : "?");
		g_hash_table_insert(errs, g_strdup("allow"), msg);
	}
}

static gboolean sec_revision(JsonObject *in, gint64 *rev)
{
	JsonNode *n = json_object_get_member(in, "revision");
	if (!node_is(n, G_TYPE_INT64) || json_node_get_int(n) < 0)
		return FALSE;
	*rev = json_node_get_int(n);
	return TRUE;
}

static char *value_text(JsonObject *values, const char *name)
{
	JsonNode *n = json_object_get_member(values, name);
	return n ? json_to_string(n, FALSE) : g_strdup("null");
}

/* "name: old -> new; ..." over the options whose value or source changed. */
static char *sec_diff(JsonNode *before, JsonNode *after)
{
	JsonObject *bv = json_object_get_object_member(json_node_get_object(before), "values");
	JsonObject *bs = json_object_get_object_member(json_node_get_object(before), "sources");
	JsonObject *av = json_object_get_object_member(json_node_get_object(after), "values");
	JsonObject *as = json_object_get_object_member(json_node_get_object(after), "sources");
	GString *g = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *n = fields[i].name;
		char *o = value_text(bv, n), *v = value_text(av, n);
		const char *os = json_object_get_string_member(bs, n);
		const char *ns = json_object_get_string_member(as, n);
		if (strcmp(o, v) != 0 || strcmp(os, ns) != 0)
			g_string_append_printf(g, "%s%s: %s (%s) -> %s (%s)", g->len ? "; " : "",
					       n, o, os, v, ns);
		g_free(o);
		g_free(v);
	}
	return g_string_free(g, FALSE);
}

static wa_resp *sec_write(const wa_conf *c, wa_sess *s, const wa_req *r, JsonObject *next,
			  gint64 rev, JsonObject *saved)
{
	JsonNode *before = sec_view(saved, rev, c);
	JsonNode *root = json_node_init_object(json_node_alloc(), next);
	char *text = json_to_string(root, FALSE);
	json_node_unref(root);
	GError *err = NULL;
	gint64 nrev = bw_store_put(bw_store_system(), WA_SEC_KEY, text, strlen(text),
				   rev ? rev : BW_STORE_ABSENT, &err);
	g_free(text);
	wa_resp *resp;
	if (nrev > 0) {
		JsonNode *after = sec_view(next, nrev, NULL);
		char *detail = sec_diff(before, after);
		wa_audit_change(s, "security.set", WA_SEC_KEY, *detail ? detail : "no change");
		g_free(detail);
		resp = sec_answer(after, r->remote);
	} else if (err->code == BW_STORE_ERROR_CONFLICT) {
		resp = wa_resp_error1(409, NULL, "the security options were saved by someone else "
				      "meanwhile; reload them and try again");
	} else {
		g_warning("webadmin: saving %s failed: %s", WA_SEC_KEY, err->message);
		resp = wa_resp_error1(409, NULL, err->message);
	}
	g_clear_error(&err);
	json_node_unref(before);
	return resp;
}

static wa_resp *sec_put(const wa_conf *c, wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gint64 want = 0, rev = 0;
	JsonObject *saved = wa_sec_load(&rev);
	JsonObject *next = wa_sec_load(&rev);   /* a copy to change */
	GHashTable *errs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	wa_resp *resp;
	if (!sec_revision(in, &want))
		g_hash_table_insert(errs, g_strdup("revision"),
				    g_strdup("required: the revision GET /api/security answered"));
	sec_check(in, next, r, errs);
	if (g_hash_table_size(errs) > 0)
		resp = wa_resp_error(422, "some options are not valid; nothing was saved", errs);
	else if (want != rev)
		resp = wa_resp_error1(409, NULL, "the security options were saved by someone else "
				      "meanwhile; reload them and try again");
	else
		resp = sec_write(c, s, r, next, want, saved);
	g_hash_table_unref(errs);
	json_object_unref(next);
	json_object_unref(saved);
	json_object_unref(in);
	return resp;
}

wa_resp *wa_api_security(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	if (*rest)
		return wa_resp_error1(404, NULL, "no such API resource");
	if (strcmp(r->method, "GET") == 0)
		return sec_get(c, r);
	if (strcmp(r->method, "PUT") == 0)
		return sec_put(c, s, r);
	return wa_resp_method("GET, PUT");
}
