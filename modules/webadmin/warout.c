/* /api/routes: the call engine's outgoing routes (store records
 * route/out/PREFIX: {"trunk", "strip", "prepend"}) and DIDs
 * (route/did/NUMBER: {"extension"}) of docs/provisioning.md.
 *
 *   GET    /api/routes                  both lists, the trunk names and the
 *                                       extension numbers (the page's choices)
 *   GET    /api/routes/out/PREFIX       one route (did/NUMBER: one DID)
 *   PUT    /api/routes/out/PREFIX       {"trunk","strip","prepend","revision"}:
 *                                       revision 0 creates, N replaces the
 *                                       record read at N (409 otherwise)
 *   DELETE /api/routes/out/PREFIX?revision=N
 *
 * The API path cannot carry + * # (wa_path_ok), which prefixes and DIDs
 * may hold, so the key may be given as ?prefix= / ?number= (percent-
 * encoded) instead of the last path segment. A record is checked with the
 * rules the directory loads it with (below) plus: the trunk or extension
 * it names exists, so a saved route is one a call can take. Every change
 * is audited as route.out|did.add|set|del; nothing here is secret. */
#include "webadmin.h"
#include <bulwark/call.h>
#include <bulwark/store.h>
#include <string.h>

#define OUT_PREFIX   "route/out/"
#define DID_PREFIX   "route/did/"
#define TRUNK_PREFIX "trunk/"
#define EXT_PREFIX   "ext/"
#define RT_DIAL_MAX  32      /* BW_CALL_NUMBER_MAX (core/callint.h) */
#define RT_NAME_MAX  64      /* BW_CALL_TEXT_MAX */

/* ---- the directory's rules, in one place ----
 * core/directory.c keeps them internal (callint.h), so they are repeated
 * here: rt_dial_ok mirrors dial_string_valid(), rt_trunk_name_ok
 * trunk_name_valid(), rt_ext_ok bw_dir_number_valid(); rt_out_check
 * mirrors bw_dir_parse_route() (only trunk, strip, prepend; strip an
 * integer 0-32) and rt_did_check bw_dir_parse_did(). Change both together:
 * test_webadmin_routes.py saves edge cases here and checks that the
 * directory loads them and routes a call through them. */
static gboolean rt_dial_ok(const char *s, gsize min)
{
	gsize n = s ? strlen(s) : 0;
	if (!s || n < min || n > RT_DIAL_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]) && !strchr("+*#", s[i]))
			return FALSE;
	return TRUE;
}

static gboolean rt_trunk_name_ok(const char *s) { return wa_chars_ok(s, RT_NAME_MAX, "-_."); }
static gboolean rt_ext_ok(const char *s) { return wa_digits_ok(s, 1, RT_DIAL_MAX); }

#define MSG_DIAL    "1-32 of digits, + * #"
#define MSG_PREPEND "at most 32 of digits, + * #"
#define MSG_TRUNK   "1-64 of A-Z a-z 0-9 - _ ."
#define MSG_EXT     "an extension number (1-32 digits)"
#define MSG_STRIP   "a whole number from 0 to 32"

typedef struct rt_errs {
	GHashTable *t;     /* field -> message, both owned */
} rt_errs;

static void rt_err(rt_errs *e, const char *field, const char *msg)
{
	if (!g_hash_table_contains(e->t, field))
		g_hash_table_insert(e->t, g_strdup(field), g_strdup(msg));
}

/* A string member: NULL when absent or null; an error when not a string. */
static const char *rt_str(JsonObject *in, const char *f, rt_errs *e)
{
	gboolean bad = FALSE;
	const char *v = wa_json_str(in, f, &bad);
	if (bad)
		rt_err(e, f, "must be a string");
	return bad ? NULL : v;
}

static void rt_unknown(JsonObject *in, const char *const *known, rt_errs *e)
{
	GList *members = json_object_get_members(in);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(known, m->data))
			rt_err(e, m->data, "unknown field");
	g_list_free(members);
}

/* The trunk or extension must exist; known: the names listed (NULL: ask
 * the store). */
static void rt_exists(rt_errs *e, const char *field, const char *prefix, const char *name,
		      GHashTable *known, const char *what)
{
	if (g_hash_table_contains(e->t, field))
		return;
	if (known ? g_hash_table_contains(known, name) : wa_record_exists(prefix, name))
		return;
	char *msg = known && wa_record_exists(prefix, name)
		? g_strdup_printf("the %s \"%s\" is not in use: its record was refused "
				  "(the log says why)", what, name)
		: g_strdup_printf("there is no %s \"%s\"; create it first", what, name);
	rt_err(e, field, msg);
	g_free(msg);
}

/* in -> rec (the record to store) for route/out/; fields the directory
 * reads, plus "revision" which the caller took already. */
static void rt_out_check(JsonObject *in, JsonObject *rec, rt_errs *e, GHashTable *known)
{
	static const char *const fields[] = { "trunk", "strip", "prepend", "revision", NULL };
	rt_unknown(in, fields, e);
	const char *trunk = rt_str(in, "trunk", e);
	if (!trunk || !*trunk)
		rt_err(e, "trunk", "is required: choose a trunk");
	else if (!rt_trunk_name_ok(trunk))
		rt_err(e, "trunk", MSG_TRUNK);
	else
		rt_exists(e, "trunk", TRUNK_PREFIX, trunk, known, "trunk");
	if (trunk)
		json_object_set_string_member(rec, "trunk", trunk);
	JsonNode *n = json_object_get_member(in, "strip");
	if (n && !JSON_NODE_HOLDS_NULL(n)) {
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
		    json_node_get_int(n) < 0 || json_node_get_int(n) > RT_DIAL_MAX)
			rt_err(e, "strip", MSG_STRIP);
		else if (json_node_get_int(n) > 0)
			json_object_set_int_member(rec, "strip", json_node_get_int(n));
	}
	const char *prepend = rt_str(in, "prepend", e);
	if (prepend && !rt_dial_ok(prepend, 0))
		rt_err(e, "prepend", MSG_PREPEND);
	else if (prepend && *prepend)
		json_object_set_string_member(rec, "prepend", prepend);
}

static void rt_did_check(JsonObject *in, JsonObject *rec, rt_errs *e, GHashTable *known)
{
	static const char *const fields[] = { "extension", "revision", NULL };
	rt_unknown(in, fields, e);
	const char *ext = rt_str(in, "extension", e);
	if (!ext || !*ext)
		rt_err(e, "extension", "is required: choose an extension");
	else if (!rt_ext_ok(ext))
		rt_err(e, "extension", MSG_EXT);
	else
		rt_exists(e, "extension", EXT_PREFIX, ext, known, "extension");
	if (ext)
		json_object_set_string_member(rec, "extension", ext);
}

/* ---- the two kinds of record ---- */

typedef struct rt_kind {
	const char *prefix;      /* store prefix */
	const char *key_field;   /* "prefix" | "number" */
	const char *what;        /* for messages */
	const char *audit;       /* audit action stem */
	void (*check)(JsonObject *in, JsonObject *rec, rt_errs *e, GHashTable *known);
	void (*view)(JsonBuilder *b, JsonObject *rec);
	void (*describe)(GString *out, JsonObject *rec);
} rt_kind;

static gint64 rt_int(JsonObject *o, const char *f)
{
	JsonNode *n = json_object_get_member(o, f);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
		? json_node_get_int(n) : 0;
}

static const char *rt_text(JsonObject *o, const char *f)
{
	JsonNode *n = json_object_get_member(o, f);
	return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING
		? json_node_get_string(n) : NULL;
}

static void rt_out_view(JsonBuilder *b, JsonObject *rec)
{
	wa_json_add_str(b, "trunk", rt_text(rec, "trunk"));
	json_builder_set_member_name(b, "strip");
	json_builder_add_int_value(b, rt_int(rec, "strip"));
	const char *p = rt_text(rec, "prepend");
	wa_json_add_str(b, "prepend", p ? p : "");
}

static void rt_did_view(JsonBuilder *b, JsonObject *rec)
{
	wa_json_add_str(b, "extension", rt_text(rec, "extension"));
}

static void rt_out_describe(GString *out, JsonObject *rec)
{
	const char *t = rt_text(rec, "trunk"), *p = rt_text(rec, "prepend");
	g_string_append_printf(out, "trunk=%s strip=%" G_GINT64_FORMAT " prepend=%s",
			       t ? t : "", rt_int(rec, "strip"), p ? p : "");
}

static void rt_did_describe(GString *out, JsonObject *rec)
{
	const char *x = rt_text(rec, "extension");
	g_string_append_printf(out, "extension=%s", x ? x : "");
}

static const rt_kind kind_out = { OUT_PREFIX, "prefix", "the outgoing route", "route.out",
				  rt_out_check, rt_out_view, rt_out_describe };
static const rt_kind kind_did = { DID_PREFIX, "number", "the DID", "route.did",
				  rt_did_check, rt_did_view, rt_did_describe };

static gboolean rt_key_ok(const char *key)
{
	return rt_dial_ok(key, 1);
}

/* ---- GET /api/routes ---- */

/* Valid names under prefix as a set (owned keys), and as a JSON array on b. */
/* What the list offers and checks routes against: the trunks and
 * extensions the directory took, not every stored record (one it skipped
 * cannot carry a call; the log says why). A PUT checks only that the
 * record exists, so that one saved a moment ago is not refused before the
 * directory's rebuild. */
static gboolean rt_trunk_usable(const char *name)
{
	char *json = rt_trunk_name_ok(name) ? bw_trunk_json(name) : NULL;
	gboolean ok = json != NULL;
	g_free(json);
	return ok;
}

static gboolean rt_ext_usable(const char *number)
{
	bw_extension *x = rt_ext_ok(number) ? bw_extension_lookup(number) : NULL;
	gboolean ok = x != NULL;
	if (x)
		bw_extension_free(x);
	return ok;
}

static GHashTable *rt_names(JsonBuilder *b, const char *member, const char *prefix,
			    gboolean (*ok)(const char *))
{
	GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GError *err = NULL;
	GPtrArray *all = bw_store_list(bw_store_system(), prefix, &err);
	if (!all) {
		g_warning("webadmin: routes: cannot list %s: %s", prefix, err->message);
		g_error_free(err);
	}
	json_builder_set_member_name(b, member);
	json_builder_begin_array(b);
	for (guint i = 0; all && i < all->len; i++) {
		const char *name = ((bw_record *)all->pdata[i])->key + strlen(prefix);
		if (!ok(name))
			continue;
		json_builder_add_string_value(b, name);
		g_hash_table_add(set, g_strdup(name));
	}
	json_builder_end_array(b);
	if (all)
		g_ptr_array_unref(all);
	return set;
}

/* Why the directory would skip or not use a stored record, or NULL. */
static char *rt_problem(const rt_kind *k, const char *key, JsonObject *rec, GHashTable *known)
{
	rt_errs e = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free) };
	JsonObject *scratch = json_object_new();
	if (!rt_key_ok(key))
		rt_err(&e, k->key_field, MSG_DIAL);
	if (json_object_has_member(rec, "revision"))
		rt_err(&e, "revision", "unknown field");
	/* a PUT may send null for "none"; the directory refuses a stored null */
	GList *members = json_object_get_members(rec);
	for (GList *m = members; m; m = m->next)
		if (JSON_NODE_HOLDS_NULL(json_object_get_member(rec, m->data)))
			rt_err(&e, m->data, "null is not a value");
	g_list_free(members);
	k->check(rec, scratch, &e, known);
	char *why = NULL;
	GList *keys = g_list_sort(g_hash_table_get_keys(e.t), (GCompareFunc)strcmp);
	if (keys)
		why = g_strdup_printf("%s: %s", (char *)keys->data,
				      (char *)g_hash_table_lookup(e.t, keys->data));
	g_list_free(keys);
	json_object_unref(scratch);
	g_hash_table_unref(e.t);
	return why;
}

static void rt_list_add(JsonBuilder *b, const rt_kind *k, GHashTable *known)
{
	GError *err = NULL;
	GPtrArray *all = bw_store_list(bw_store_system(), k->prefix, &err);
	if (!all) {
		g_warning("webadmin: routes: cannot list %s: %s", k->prefix, err->message);
		g_error_free(err);
	}
	json_builder_begin_array(b);
	for (guint i = 0; all && i < all->len; i++) {
		const bw_record *rec = all->pdata[i];
		const char *key = rec->key + strlen(k->prefix);
		JsonObject *o = wa_record_parse(rec->value);
		char *why = o ? rt_problem(k, key, o, known) : g_strdup("not a JSON object");
		if (!o)
			o = json_object_new();
		json_builder_begin_object(b);
		wa_json_add_str(b, k->key_field, key);
		k->view(b, o);
		json_builder_set_member_name(b, "revision");
		json_builder_add_int_value(b, rec->revision);
		wa_json_add_str(b, "problem", why);
		json_builder_end_object(b);
		g_free(why);
		json_object_unref(o);
	}
	json_builder_end_array(b);
	if (all)
		g_ptr_array_unref(all);
}

static wa_resp *rt_list(void)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	GHashTable *trunks = rt_names(b, "trunks", TRUNK_PREFIX, rt_trunk_usable);
	GHashTable *exts = rt_names(b, "extensions", EXT_PREFIX, rt_ext_usable);
	json_builder_set_member_name(b, "outgoing");
	rt_list_add(b, &kind_out, trunks);
	json_builder_set_member_name(b, "dids");
	rt_list_add(b, &kind_did, exts);
	json_builder_end_object(b);
	g_hash_table_unref(trunks);
	g_hash_table_unref(exts);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

/* ---- one record ---- */

static wa_resp *rt_view(const rt_kind *k, const char *key, JsonObject *rec, gint64 rev,
			guint status)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	wa_json_add_str(b, k->key_field, key);
	k->view(b, rec);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	return r;
}

static void rt_audit(wa_sess *s, const rt_kind *k, const char *verb, const char *key,
		     JsonObject *old, JsonObject *now)
{
	char *action = g_strconcat(k->audit, ".", verb, NULL);
	char *rkey = g_strconcat(k->prefix, key, NULL);
	GString *d = g_string_new(NULL);
	if (old)
		k->describe(d, old);
	if (old && now)
		g_string_append(d, " -> ");
	if (now)
		k->describe(d, now);
	wa_audit_change(s, action, rkey, d->str);
	g_string_free(d, TRUE);
	g_free(rkey);
	g_free(action);
}

/* revision: required, 0 (create) or the revision read. */
static gboolean rt_revision(JsonObject *in, gint64 *rev, rt_errs *e)
{
	JsonNode *n = json_object_get_member(in, "revision");
	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < 0) {
		rt_err(e, "revision", "required: 0 to create, else the revision you read");
		return FALSE;
	}
	*rev = json_node_get_int(n);
	return TRUE;
}

/* A revision check before writing, so the answer can say which case it is;
 * the store checks again (a race ends in wa_store_error's 409). */
static wa_resp *rt_conflict(const rt_kind *k, const char *key, gint64 want, gint64 have)
{
	char *msg = NULL;
	wa_resp *r = NULL;
	if (want == 0 && have > 0) {
		msg = g_strdup_printf("%s for %s already exists; edit it instead", k->what, key);
		r = wa_resp_error1(409, k->key_field, msg);
	} else if (want > 0 && have == 0) {
		msg = g_strdup_printf("%s for %s was deleted meanwhile (another administrator?); "
				      "reload", k->what, key);
		r = wa_resp_error1(409, NULL, msg);
	} else if (want != have) {
		msg = g_strdup_printf("%s for %s changed meanwhile (another administrator?); "
				      "reload and try again", k->what, key);
		r = wa_resp_error1(409, NULL, msg);
	}
	g_free(msg);
	return r;
}

static wa_resp *rt_put(wa_sess *s, const rt_kind *k, const char *key, JsonObject *in)
{
	rt_errs e = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free) };
	JsonObject *rec = json_object_new();
	gint64 want = 0, have = 0;
	wa_resp *r = NULL;
	if (!rt_key_ok(key))
		rt_err(&e, k->key_field, MSG_DIAL);
	rt_revision(in, &want, &e);
	k->check(in, rec, &e, NULL);
	JsonObject *old = rt_key_ok(key) ? wa_record_load(k->prefix, key, &have) : NULL;
	if (!old)
		have = 0;
	if (g_hash_table_size(e.t) > 0)
		r = wa_resp_error(400, "some fields are not valid", e.t);
	if (!r)
		r = rt_conflict(k, key, want, have);
	if (!r) {
		GError *err = NULL;
		gint64 now = wa_record_put(k->prefix, key, rec, want ? want : BW_STORE_ABSENT, &err);
		if (now > 0) {
			rt_audit(s, k, want ? "set" : "add", key, old, rec);
			r = rt_view(k, key, rec, now, want ? 200 : 201);
		} else {
			r = wa_store_error(err, k->what);
		}
	}
	if (old)
		json_object_unref(old);
	json_object_unref(rec);
	g_hash_table_unref(e.t);
	return r;
}

static wa_resp *rt_delete(wa_sess *s, const rt_kind *k, const char *key, const wa_req *r)
{
	gint64 want = 0, have = 0;
	if (!wa_expect_revision(r, NULL, 0, &want) || want == 0)
		return wa_resp_error1(400, "revision", "required: ?revision=N, the revision you read");
	JsonObject *old = wa_record_load(k->prefix, key, &have);
	if (!old)
		return wa_resp_error1(404, NULL, "no such record");
	wa_resp *resp = rt_conflict(k, key, want, have);
	if (!resp) {
		GError *err = NULL;
		char *rkey = g_strconcat(k->prefix, key, NULL);
		if (bw_store_delete(bw_store_system(), rkey, want, &err) > 0) {
			rt_audit(s, k, "del", key, old, NULL);
			resp = wa_resp_new(200);
			resp->body = g_strdup("{\"ok\":true}");
		} else {
			resp = wa_store_error(err, k->what);
		}
		g_free(rkey);
	}
	json_object_unref(old);
	return resp;
}

static wa_resp *rt_get(const rt_kind *k, const char *key)
{
	gint64 rev = 0;
	JsonObject *rec = rt_key_ok(key) ? wa_record_load(k->prefix, key, &rev) : NULL;
	if (!rec)
		return wa_resp_error1(404, NULL, "no such record");
	wa_resp *r = rt_view(k, key, rec, rev, 200);
	json_object_unref(rec);
	return r;
}

/* rest after "/out" or "/did": "/KEY", or "" with ?prefix= / ?number=. */
static wa_resp *rt_one(wa_sess *s, const wa_req *r, const rt_kind *k, const char *rest)
{
	char *q = wa_query_param(r, k->key_field);
	const char *key = *rest == '/' && rest[1] ? rest + 1 : q;
	wa_resp *resp = NULL;
	if (!key || (q && strcmp(q, key) != 0)) {
		resp = wa_resp_error1(400, k->key_field, key ? "given twice (path and query) with "
				      "different values" : "is required (in the path or as a query parameter)");
	} else if (strchr(key, '/') && !(q && strcmp(r->method, "DELETE") == 0)) {
		/* a nested key (route/out/a/b, stored by other means) is listed
		 * with its problem: it may only be deleted, through the query */
		resp = wa_resp_error1(404, NULL, "no such API resource");
	} else if (strcmp(r->method, "GET") == 0) {
		resp = rt_get(k, key);
	} else if (strcmp(r->method, "DELETE") == 0) {
		resp = rt_delete(s, k, key, r);
	} else if (strcmp(r->method, "PUT") == 0) {
		const char *why = NULL;
		JsonObject *in = wa_req_json(r, &why);
		resp = in ? rt_put(s, k, key, in) : wa_resp_error1(400, NULL, why);
		if (in)
			json_object_unref(in);
	} else {
		resp = wa_resp_method("GET, PUT, DELETE");
	}
	g_free(q);
	return resp;
}

static const char *rt_sub(const char *rest, const char *name)
{
	gsize n = strlen(name);
	if (strncmp(rest, name, n) != 0 || (rest[n] != '\0' && rest[n] != '/'))
		return NULL;
	return rest + n;
}

wa_resp *wa_api_routes(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void)c;
	const char *sub;
	if (*rest == '\0' || strcmp(rest, "/") == 0)
		return strcmp(r->method, "GET") == 0 ? rt_list() : wa_resp_method("GET");
	if ((sub = rt_sub(rest, "/out")))
		return rt_one(s, r, &kind_out, sub);
	if ((sub = rt_sub(rest, "/did")))
		return rt_one(s, r, &kind_did, sub);
	return wa_resp_error1(404, NULL, "no such API resource");
}
