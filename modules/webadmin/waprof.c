/* Authorization: which forms a session may read or change, and
 * /api/profiles. A system administrator has every form (so there is always
 * a full administrator), a group administrator exactly what its account's
 * profile grants, an end user no form (only /api/self and /api/password).
 * Profiles are store records "webadmin/profile/<name>":
 *   {"description": "...", "forms": {"<form>": "read"|"write"}}
 * where a form is a non-NULL `form` of wa_routes() other than "users" and
 * "profiles": those stay with system administrators, who alone create
 * accounts and grant profiles. Every request asks wa_access_allows, so the
 * profiles are cached: a store watch (and every write here) drops a cached
 * entry and the next request reads it again, so a change applies at once. */
#include "webadmin.h"
#include <bulwark/audit.h>
#include <bulwark/store.h>
#include <string.h>

#define PROF_PREFIX "webadmin/profile/"
#define PROF_DESC_MAX 256
#define PROF_CACHE_MAX 1024

enum { GRANT_NONE, GRANT_READ, GRANT_WRITE };

static GHashTable *cache;     /* name -> GHashTable form -> grant, or a NULL value: absent */
static bw_watch *watch;

static void grants_free(gpointer g)
{
	if (g)
		g_hash_table_unref(g);
}

static void prof_drop(const char *name)
{
	if (cache)
		g_hash_table_remove(cache, name);
}

static void prof_watch_fn(const char *key, GBytes *value, gint64 revision, void *data)
{
	(void)value, (void)revision, (void)data;
	prof_drop(key + strlen(PROF_PREFIX));
}

void wa_prof_init(void)
{
	if (cache)
		return;
	cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, grants_free);
	if (bw_store_system())
		watch = bw_store_watch(bw_store_system(), PROF_PREFIX, NULL, prof_watch_fn, NULL);
}

void wa_prof_fini(void)
{
	if (watch)
		bw_store_unwatch(watch);
	watch = NULL;
	if (cache)
		g_hash_table_destroy(cache);
	cache = NULL;
}

/* May a profile grant this form at all? */
static gboolean form_grantable(const char *form)
{
	if (!form || !strcmp(form, "users") || !strcmp(form, "profiles"))
		return FALSE;
	guint n;
	const wa_route *rt = wa_routes(&n);
	for (guint i = 0; i < n; i++)
		if (rt[i].form && strcmp(rt[i].form, form) == 0)
			return TRUE;
	return FALSE;
}

static int grant_parse(JsonNode *n)
{
	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return -1;
	const char *v = json_node_get_string(n);
	return !strcmp(v, "read") ? GRANT_READ : !strcmp(v, "write") ? GRANT_WRITE : -1;
}

/* The grants of a stored profile; a broken entry grants nothing. */
static GHashTable *prof_grants(JsonObject *o)
{
	GHashTable *g = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	JsonNode *fn = o ? json_object_get_member(o, "forms") : NULL;
	if (!fn || !JSON_NODE_HOLDS_OBJECT(fn))
		return g;
	JsonObject *forms = json_node_get_object(fn);
	GList *names = json_object_get_members(forms);
	for (GList *l = names; l; l = l->next) {
		int grant = grant_parse(json_object_get_member(forms, l->data));
		if (form_grantable(l->data) && grant > 0)
			g_hash_table_insert(g, g_strdup(l->data), GINT_TO_POINTER(grant));
	}
	g_list_free(names);
	return g;
}

/* A broken record grants nothing and can be rewritten. */
static JsonObject *prof_load(const char *name, gint64 *rev)
{
	return wa_record_load(PROF_PREFIX, name, rev);
}

/* The cached grants of a profile; NULL when it does not exist. */
static GHashTable *prof_lookup(const char *name)
{
	gpointer v = NULL;
	if (!name || !cache)
		return NULL;
	if (g_hash_table_lookup_extended(cache, name, NULL, &v))
		return v;
	gint64 rev = 0;
	JsonObject *o = wa_user_valid(name) ? prof_load(name, &rev) : NULL;
	GHashTable *g = o ? prof_grants(o) : NULL;
	if (o)
		json_object_unref(o);
	if (g_hash_table_size(cache) >= PROF_CACHE_MAX)
		g_hash_table_remove_all(cache);   /* bounded: read again, not grow */
	g_hash_table_insert(cache, g_strdup(name), g);
	return g;
}

gboolean wa_prof_exists(const char *name)
{
	return prof_lookup(name) != NULL;
}

static int session_grant(const wa_sess *s, const char *form)
{
	if (strcmp(s->role, "system") == 0)
		return GRANT_WRITE;
	if (strcmp(s->role, "group") != 0 || !form_grantable(form))
		return GRANT_NONE;
	GHashTable *g = prof_lookup(s->profile);
	return g ? GPOINTER_TO_INT(g_hash_table_lookup(g, form)) : GRANT_NONE;
}

gboolean wa_access_allows(const wa_sess *s, const char *form, gboolean write)
{
	return session_grant(s, form) >= (write ? GRANT_WRITE : GRANT_READ);
}

void wa_prof_forms_json(JsonBuilder *b, const wa_sess *s)
{
	guint n;
	const wa_route *rt = wa_routes(&n);
	json_builder_begin_object(b);
	for (guint i = 0; i < n; i++) {
		int g = rt[i].form ? session_grant(s, rt[i].form) : GRANT_NONE;
		if (g == GRANT_NONE)
			continue;
		json_builder_set_member_name(b, rt[i].form);
		json_builder_add_string_value(b, g == GRANT_WRITE ? "write" : "read");
	}
	json_builder_end_object(b);
}

gboolean wa_prof_bootstrap(GError **err)
{
	static const char def[] = "{\"description\":\"group administrator: dashboard, extensions, alarms\","
				  "\"forms\":{\"dashboard\":\"write\",\"extensions\":\"write\",\"alarms\":\"write\"}}";
	GError *e = NULL;
	if (bw_store_put(bw_store_system(), PROF_PREFIX WA_PROFILE_DEFAULT, def, strlen(def),
			 BW_STORE_ABSENT, &e) > 0) {
		bw_audit_append("system", "webadmin.profile.create", PROF_PREFIX WA_PROFILE_DEFAULT,
				"default group administrator profile", NULL);
		return TRUE;
	}
	if (e->code == BW_STORE_ERROR_CONFLICT) {   /* there already */
		g_error_free(e);
		return TRUE;
	}
	g_propagate_prefixed_error(err, e, "webadmin: cannot create the profile %s: ",
				   WA_PROFILE_DEFAULT);
	return FALSE;
}

/* ---- /api/profiles ---- */

static void prof_audit(wa_sess *s, const char *action, const char *name, const char *detail)
{
	char *key = g_strconcat(PROF_PREFIX, name, NULL);
	wa_audit_change(s, action, key, detail);
	g_free(key);
}

/* Accounts whose sessions use the profile (name*, sorted). */
static GPtrArray *prof_users(const char *name)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *all = wa_acct_list(NULL);
	for (guint i = 0; all && i < all->len; i++) {
		const wa_acct *a = all->pdata[i];
		if (g_strcmp0(wa_acct_profile(a), name) == 0)
			g_ptr_array_add(out, g_strdup(a->name));
	}
	if (all)
		g_ptr_array_unref(all);
	return out;
}

static void prof_view(JsonBuilder *b, const char *name, JsonObject *o, gint64 rev)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, "description");
	const char *d = json_object_get_string_member_with_default(o, "description", "");
	json_builder_add_string_value(b, d ? d : "");
	json_builder_set_member_name(b, "forms");
	json_builder_begin_object(b);
	GHashTable *g = prof_grants(o);
	GList *keys = g_list_sort(g_hash_table_get_keys(g), (GCompareFunc)strcmp);
	for (GList *l = keys; l; l = l->next) {
		json_builder_set_member_name(b, l->data);
		json_builder_add_string_value(b, GPOINTER_TO_INT(g_hash_table_lookup(g, l->data)) ==
					      GRANT_WRITE ? "write" : "read");
	}
	g_list_free(keys);
	g_hash_table_unref(g);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rev);
	json_builder_set_member_name(b, "used_by");
	json_builder_begin_array(b);
	GPtrArray *users = prof_users(name);
	for (guint i = 0; i < users->len; i++)
		json_builder_add_string_value(b, users->pdata[i]);
	g_ptr_array_unref(users);
	json_builder_end_array(b);
	json_builder_end_object(b);
}

static wa_resp *prof_answer(const char *name, JsonObject *o, gint64 rev, guint status)
{
	JsonBuilder *b = json_builder_new();
	prof_view(b, name, o, rev);
	wa_resp *r = wa_resp_new(status);
	wa_resp_json(r, b);
	return r;
}

/* The list skips a record that is not an object (unlike prof_load). */
static void prof_list_add(JsonBuilder *b, const bw_record *rec)
{
	const char *name = rec->key + strlen(PROF_PREFIX);
	JsonObject *o = wa_user_valid(name) ? wa_record_parse(rec->value) : NULL;
	if (o) {
		prof_view(b, name, o, rec->revision);
		json_object_unref(o);
	}
}

static void prof_forms_add(JsonBuilder *b)
{
	json_builder_set_member_name(b, "forms");
	json_builder_begin_array(b);
	guint n;
	const wa_route *rt = wa_routes(&n);
	for (guint i = 0; i < n; i++)
		if (form_grantable(rt[i].form))
			json_builder_add_string_value(b, rt[i].form);
	json_builder_end_array(b);
}

/* {"profiles": [...], "forms": [every form a profile can grant]} */
static wa_resp *prof_list(void)
{
	return wa_resp_record_list_more(PROF_PREFIX, "profiles", prof_list_add, prof_forms_add);
}

static gboolean desc_ok(const char *s)
{
	if (strlen(s) > PROF_DESC_MAX || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_unichar_iscntrl(g_utf8_get_char(p)))
			return FALSE;
	return TRUE;
}

static void err_field(GHashTable *errs, const char *field, const char *msg)
{
	g_hash_table_insert(errs, g_strdup(field), g_strdup(msg));
}

/* The new forms object from the input, or NULL with errors "forms.<form>". */
static JsonObject *forms_from(JsonNode *n, GHashTable *errs)
{
	if (!JSON_NODE_HOLDS_OBJECT(n)) {
		err_field(errs, "forms", "must be an object {\"form\": \"read\" or \"write\"}");
		return NULL;
	}
	JsonObject *in = json_node_get_object(n), *out = json_object_new();
	GList *names = json_object_get_members(in);
	for (GList *l = names; l; l = l->next) {
		const char *f = l->data;
		char *field = g_strdup_printf("forms.%.64s", f);
		int g = grant_parse(json_object_get_member(in, f));
		JsonNode *v = json_object_get_member(in, f);
		if (!strcmp(f, "users") || !strcmp(f, "profiles"))
			err_field(errs, field, "only system administrators manage users and profiles");
		else if (!form_grantable(f))
			err_field(errs, field, "no such form");
		else if (g > 0)
			json_object_set_string_member(out, f, g == GRANT_WRITE ? "write" : "read");
		else if (!JSON_NODE_HOLDS_NULL(v) && !(JSON_NODE_HOLDS_VALUE(v) &&
			 json_node_get_value_type(v) == G_TYPE_STRING && !*json_node_get_string(v)))
			err_field(errs, field, "must be read or write (null or \"\": no access)");
		g_free(field);
	}
	g_list_free(names);
	return out;
}

/* Applies the input to rec (the stored object or a new one); errors in errs. */
static void prof_apply(JsonObject *rec, JsonObject *in, GHashTable *errs)
{
	static const char *const known[] = { "name", "description", "forms", "revision", NULL };
	GList *members = json_object_get_members(in);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(known, m->data))
			err_field(errs, m->data, "unknown field");
	g_list_free(members);
	gboolean bad = FALSE;
	const char *desc = wa_json_str(in, "description", &bad);
	if (bad || (desc && !desc_ok(desc)))
		err_field(errs, "description", "at most 256 bytes of UTF-8 without control characters");
	else if (json_object_has_member(in, "description"))
		json_object_set_string_member(rec, "description", desc ? desc : "");
	JsonNode *fn = json_object_get_member(in, "forms");
	JsonObject *forms = fn ? forms_from(fn, errs) : NULL;
	if (forms)
		json_object_set_object_member(rec, "forms", forms);
	else if (!json_object_has_member(rec, "forms"))
		json_object_set_object_member(rec, "forms", json_object_new());
}

/* "forms: dashboard=write extensions=read" for the audit. */
static char *prof_summary(JsonObject *rec)
{
	GString *s = g_string_new("forms:");
	GHashTable *g = prof_grants(rec);
	GList *keys = g_list_sort(g_hash_table_get_keys(g), (GCompareFunc)strcmp);
	for (GList *l = keys; l; l = l->next)
		g_string_append_printf(s, " %s=%s", (const char *)l->data,
				       GPOINTER_TO_INT(g_hash_table_lookup(g, l->data)) == GRANT_WRITE
				       ? "write" : "read");
	g_list_free(keys);
	g_hash_table_unref(g);
	return g_string_free(s, FALSE);
}

/* POST (rev BW_STORE_ABSENT) and PUT (rev: the stored one). */
static wa_resp *prof_write(wa_sess *s, const char *name, JsonObject *rec, gint64 rev,
			   JsonObject *in)
{
	GHashTable *errs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	prof_apply(rec, in, errs);
	wa_resp *r = NULL;
	if (g_hash_table_size(errs) > 0) {
		r = wa_resp_error(400, "some fields are not valid", errs);
	} else {
		GError *err = NULL;
		gint64 nrev = wa_record_put(PROF_PREFIX, name, rec, rev, &err);
		if (nrev > 0) {
			prof_drop(name);
			char *sum = prof_summary(rec);
			prof_audit(s, rev == BW_STORE_ABSENT ? "webadmin.profile.create"
					: "webadmin.profile.change", name, sum);
			g_free(sum);
			r = prof_answer(name, rec, nrev, rev == BW_STORE_ABSENT ? 201 : 200);
		} else {
			r = wa_store_error(err, "the profile");
		}
	}
	g_hash_table_unref(errs);
	return r;
}

static wa_resp *prof_create(const wa_conf *c, wa_sess *s, JsonObject *in)
{
	(void)c;
	gboolean bad = FALSE;
	const char *name = wa_json_str(in, "name", &bad);
	if (bad || !wa_user_valid(name))
		return wa_resp_error1(400, "name", "1-64 of A-Z a-z 0-9 - _ .");
	if (wa_record_exists(PROF_PREFIX, name))
		return wa_resp_error1(409, "name", "this profile already exists");
	JsonObject *rec = json_object_new();
	json_object_set_string_member(rec, "description", "");
	wa_resp *r = prof_write(s, name, rec, BW_STORE_ABSENT, in);
	json_object_unref(rec);
	return r;
}

/* The revision the editor read, when it sent one, must still be current. */
static gboolean prof_stale(JsonObject *in, gint64 rev, wa_resp **r)
{
	JsonNode *n = json_object_get_member(in, "revision");
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return FALSE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		*r = wa_resp_error1(400, "revision", "must be the revision read (a whole number)");
	else if (json_node_get_int(n) != rev)
		*r = wa_resp_error1(409, NULL, "the profile was changed by someone else since you opened it; reload and try again");
	else
		return FALSE;
	return TRUE;
}

static wa_resp *prof_delete(wa_sess *s, const char *name, gint64 rev)
{
	if (strcmp(name, WA_PROFILE_DEFAULT) == 0)
		return wa_resp_error1(409, NULL, "the default profile " WA_PROFILE_DEFAULT
				      " cannot be deleted: new group administrators get it");
	GPtrArray *users = prof_users(name);
	wa_resp *r = NULL;
	if (users->len > 0) {
		g_ptr_array_add(users, NULL);
		char *list = g_strjoinv(", ", (char **)users->pdata);
		char *msg = g_strdup_printf("the profile is used by: %s; give them another profile first", list);
		r = wa_resp_error1(409, NULL, msg);
		g_free(msg);
		g_free(list);
	} else {
		char *key = g_strconcat(PROF_PREFIX, name, NULL);
		GError *err = NULL;
		if (bw_store_delete(bw_store_system(), key, rev, &err) > 0) {
			prof_drop(name);
			prof_audit(s, "webadmin.profile.delete", name, NULL);
			r = wa_resp_new(200);
			r->body = g_strdup("{\"ok\":true}");
		} else {
			r = wa_store_error(err, "the profile");
		}
		g_free(key);
	}
	g_ptr_array_unref(users);
	return r;
}

static wa_resp *prof_one(wa_sess *s, const wa_req *r, const char *name)
{
	gint64 rev = 0;
	JsonObject *rec = wa_user_valid(name) ? prof_load(name, &rev) : NULL;
	if (!rec)
		return wa_resp_error1(404, NULL, "no such profile");
	wa_resp *resp = NULL;
	if (strcmp(r->method, "GET") == 0) {
		resp = prof_answer(name, rec, rev, 200);
	} else if (strcmp(r->method, "DELETE") == 0) {
		resp = prof_delete(s, name, rev);
	} else if (strcmp(r->method, "PUT") == 0) {
		const char *why = NULL;
		JsonObject *in = wa_req_json(r, &why);
		gboolean bad = FALSE;
		const char *nm = in ? wa_json_str(in, "name", &bad) : NULL;
		if (!in)
			resp = wa_resp_error1(400, NULL, why);
		else if (bad || (nm && strcmp(nm, name) != 0))
			resp = wa_resp_error1(400, "name", "the name cannot change: create a new profile");
		else if (!prof_stale(in, rev, &resp))
			resp = prof_write(s, name, rec, rev, in);
		if (in)
			json_object_unref(in);
	} else {
		resp = wa_resp_method("GET, PUT, DELETE");
	}
	json_object_unref(rec);
	return resp;
}

wa_resp *wa_api_profiles(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	if (*rest == '/' && rest[1])
		return prof_one(s, r, rest + 1);
	return wa_collection(c, s, r, prof_list, prof_create);
}
