/* /api/users[/NAME], system administrators only: list accounts, create one
 * (role, initial password under the policy, must_change set so its owner
 * picks their own), change role / unlock / force a password change, delete
 * (never oneself, never the last system administrator). A group
 * administrator has an authorization profile ("profile", an existing one;
 * WA_PROFILE_DEFAULT unless given), any account may have its own extension
 * ("extension", an existing one) for the Self Service Portal. Hashing runs
 * on the FastCGI worker (wa_resp_defer), like logins. Every change audited. */
#include "webadmin.h"
#include <bulwark/store.h>
#include <string.h>

#define ACCT_PREFIX "webadmin/user/"

static void users_audit(wa_sess *s, const char *action, const char *name, const char *detail)
{
	char *key = g_strconcat(ACCT_PREFIX, name, NULL);
	wa_audit_change(s, action, key, detail);
	g_free(key);
}

static void user_view(JsonBuilder *b, const wa_acct *a)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, a->name);
	json_builder_set_member_name(b, "role");
	json_builder_add_string_value(b, a->role);
	json_builder_set_member_name(b, "must_change");
	json_builder_add_boolean_value(b, a->must_change);
	json_builder_set_member_name(b, "locked");
	json_builder_add_boolean_value(b, a->locked_until > g_get_real_time() / G_USEC_PER_SEC);
	json_builder_set_member_name(b, "profile");
	if (wa_acct_profile(a))
		json_builder_add_string_value(b, wa_acct_profile(a));
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "extension");
	if (a->extension)
		json_builder_add_string_value(b, a->extension);
	else
		json_builder_add_null_value(b);
	json_builder_end_object(b);
}

static void users_list_add(JsonBuilder *b, const bw_record *rec)
{
	gsize len;
	const char *d = g_bytes_get_data(rec->value, &len);
	wa_acct *a = wa_acct_from_json(rec->key + strlen(ACCT_PREFIX), d, len, NULL);
	if (a)
		user_view(b, a);
	wa_acct_free(a);
}

static wa_resp *users_list(void)
{
	return wa_resp_record_list(ACCT_PREFIX, "users", users_list_add);
}

static guint system_admins(void)
{
	GPtrArray *all = wa_acct_list(NULL);
	guint n = 0;
	for (guint i = 0; all && i < all->len; i++)
		n += strcmp(((wa_acct *)all->pdata[i])->role, "system") == 0;
	if (all)
		g_ptr_array_unref(all);
	return n;
}

static gboolean ext_exists(const char *number)
{
	return wa_digits_ok(number, 1, 32) && wa_record_exists("ext/", number);
}

/* "profile" and "extension" of a create or change: NULL (absent) leaves
 * them, JSON null clears; messages go into f (field -> g_strdup'ed text). */
static void assign_check(JsonObject *in, const char *role, GHashTable *f)
{
	gboolean bad = FALSE;
	const char *prof = wa_json_str(in, "profile", &bad);
	if (bad || (prof && !wa_prof_exists(prof)))
		g_hash_table_insert(f, "profile", g_strdup("no such authorization profile"));
	else if (prof && g_strcmp0(role, "group") != 0)
		g_hash_table_insert(f, "profile", g_strdup("only group administrators have a profile"));
	bad = FALSE;
	const char *ext = wa_json_str(in, "extension", &bad);
	if (bad || (ext && !ext_exists(ext)))
		g_hash_table_insert(f, "extension", g_strdup("no such extension (1-32 digits of an existing one)"));
}

/* Sets a's profile and extension from a checked input; the profile goes
 * with the group role only. */
static void assign_apply(wa_acct *a, JsonObject *in)
{
	gboolean bad = FALSE;
	if (json_object_has_member(in, "profile")) {
		g_free(a->profile);
		a->profile = g_strdup(wa_json_str(in, "profile", &bad));
	}
	if (g_strcmp0(a->role, "group") != 0)
		g_clear_pointer(&a->profile, g_free);
	if (json_object_has_member(in, "extension")) {
		g_free(a->extension);
		a->extension = g_strdup(wa_json_str(in, "extension", &bad));
	}
}

/* "role=group profile=ops extension=100" for the audit: what was asked. */
static char *assign_detail(JsonObject *in)
{
	static const char *const keys[] = { "role", "profile", "extension", NULL };
	GString *d = g_string_new(NULL);
	for (int i = 0; keys[i]; i++) {
		if (!json_object_has_member(in, keys[i]))
			continue;
		gboolean bad = FALSE;
		const char *v = wa_json_str(in, keys[i], &bad);
		g_string_append_printf(d, "%s%s=%s", d->len ? " " : "", keys[i], v ? v : "");
	}
	return g_string_free(d, d->len == 0);
}

/* ---- create: validate here, hash on the worker, save here ---- */
typedef struct {
	const wa_conf *c;
	char *sid, *name, *role, *pw, *hash, *profile, *extension;
} create_job;

static void create_work(void *data)
{
	create_job *j = data;
	j->hash = wa_pass_hash(j->pw, j->c->argon_t, j->c->argon_m_kib, NULL);
}

static wa_resp *create_finish(void *data)
{
	create_job *j = data;
	wa_sess *s = wa_sess_find(j->c, j->sid);
	if (!s)
		return wa_resp_error1(401, NULL, "not logged in, or the session has expired");
	if (!j->hash)
		return wa_resp_error1(409, NULL, "the password could not be hashed; try again");
	wa_acct a = { .name = j->name, .role = j->role, .hash = j->hash, .must_change = TRUE,
		      .profile = j->profile, .extension = j->extension,
		      .changed = g_get_real_time() / G_USEC_PER_SEC };
	GError *err = NULL;
	if (!wa_acct_save(&a, &err)) {
		gboolean exists = err->code == BW_STORE_ERROR_CONFLICT;
		wa_resp *r = exists ? wa_resp_error1(409, "name", "this user already exists")
				    : wa_resp_error1(409, NULL, err->message);
		g_error_free(err);
		return r;
	}
	char *detail = g_strdup_printf("role=%s%s%s%s%s", j->role, j->profile ? " profile=" : "",
				       j->profile ? j->profile : "", j->extension ? " extension=" : "",
				       j->extension ? j->extension : "");
	users_audit(s, "webadmin.user.create", j->name, detail);
	g_free(detail);
	JsonBuilder *b = json_builder_new();
	user_view(b, &a);
	wa_resp *r = wa_resp_new(201);
	wa_resp_json(r, b);
	return r;
}

static void create_free(void *data)
{
	create_job *j = data;
	memset(j->pw, 0, strlen(j->pw));
	g_free(j->pw);
	g_free(j->sid);
	g_free(j->name);
	g_free(j->role);
	g_free(j->hash);
	g_free(j->profile);
	g_free(j->extension);
	g_free(j);
}

static wa_resp *users_create(const wa_conf *c, wa_sess *s, JsonObject *in)
{
	gboolean bad = FALSE;
	const char *name = wa_json_str(in, "name", &bad), *role = wa_json_str(in, "role", &bad);
	const char *pw = wa_json_str(in, "password", &bad);
	GHashTable *f = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	if (!wa_user_valid(name))
		g_hash_table_insert(f, "name", g_strdup("1-64 of A-Z a-z 0-9 - _ ."));
	if (!wa_role_valid(role))
		g_hash_table_insert(f, "role", g_strdup("one of system, group, user"));
	assign_check(in, role, f);
	const char *prof = wa_json_str(in, "profile", &bad);
	if (!prof && g_strcmp0(role, "group") == 0 && !g_hash_table_contains(f, "profile")) {
		prof = WA_PROFILE_DEFAULT;
		if (!wa_prof_exists(prof))
			g_hash_table_insert(f, "profile", g_strdup("choose a profile: the default "
						WA_PROFILE_DEFAULT " no longer exists"));
	}
	GPtrArray *msgs = g_ptr_array_new_with_free_func(g_free);
	wa_pass_policy(pw, name, msgs);
	g_ptr_array_add(msgs, NULL);
	if (msgs->len > 1)
		g_hash_table_insert(f, "password", g_strjoinv("; ", (char **)msgs->pdata));
	g_ptr_array_unref(msgs);
	wa_acct *old = wa_user_valid(name) ? wa_acct_load(name, NULL) : NULL;
	gboolean exists = old != NULL;
	if (exists)
		g_hash_table_insert(f, "name", g_strdup("this user already exists"));
	wa_acct_free(old);
	wa_resp *r = NULL;
	if (g_hash_table_size(f) > 0 || bad) {
		r = wa_resp_error(exists ? 409 : 400, "some fields are not valid", f);
	} else {
		create_job *j = g_new0(create_job, 1);
		j->c = c;
		j->sid = g_strdup(s->sid);
		j->name = g_strdup(name);
		j->role = g_strdup(role);
		j->pw = g_strdup(pw);
		j->profile = g_strdup(prof);
		j->extension = g_strdup(wa_json_str(in, "extension", &bad));
		r = wa_resp_defer(create_work, create_finish, create_free, j);
	}
	g_hash_table_unref(f);
	return r;
}

/* ---- change and delete ---- */
static gboolean is_bool(JsonNode *n)
{
	return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN;
}

static wa_resp *users_change(wa_sess *s, wa_acct *a, JsonObject *in)
{
	gboolean bad = FALSE;
	const char *role = wa_json_str(in, "role", &bad);
	JsonNode *unlock = json_object_get_member(in, "unlock");
	JsonNode *force = json_object_get_member(in, "must_change");
	if (bad || (role && !wa_role_valid(role)))
		return wa_resp_error1(400, "role", "one of system, group, user");
	if ((unlock && !is_bool(unlock)) || (force && !is_bool(force)))
		return wa_resp_error1(400, unlock ? "unlock" : "must_change", "must be true or false");
	if (role && strcmp(a->role, "system") == 0 && strcmp(role, "system") != 0 &&
	    system_admins() <= 1)
		return wa_resp_error1(409, "role", "the last system administrator must stay one");
	GHashTable *f = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
	assign_check(in, role ? role : a->role, f);
	if (g_hash_table_size(f) > 0) {
		wa_resp *r = wa_resp_error(400, "some fields are not valid", f);
		g_hash_table_unref(f);
		return r;
	}
	g_hash_table_unref(f);
	if (role) {
		g_free(a->role);
		a->role = g_strdup(role);
	}
	assign_apply(a, in);
	if (unlock && json_node_get_boolean(unlock)) {
		a->locked_until = 0;
		a->failures = 0;
	}
	if (force && json_node_get_boolean(force))
		a->must_change = TRUE;
	GError *err = NULL;
	if (!wa_acct_save(a, &err)) {
		wa_resp *r = wa_resp_error1(409, NULL, "the account changed meanwhile; reload and try again");
		g_error_free(err);
		return r;
	}
	wa_sess_drop_user(a->name, s->sid);   /* a changed role or profile applies at once */
	char *detail = assign_detail(in);
	users_audit(s, "webadmin.user.change", a->name, detail);
	g_free(detail);
	JsonBuilder *b = json_builder_new();
	user_view(b, a);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

static wa_resp *users_delete(wa_sess *s, wa_acct *a)
{
	if (strcmp(a->name, s->user) == 0)
		return wa_resp_error1(409, NULL, "you cannot delete your own account");
	if (strcmp(a->role, "system") == 0 && system_admins() <= 1)
		return wa_resp_error1(409, NULL, "the last system administrator cannot be deleted");
	char *key = g_strconcat(ACCT_PREFIX, a->name, NULL);
	GError *err = NULL;
	wa_resp *r;
	if (bw_store_delete(bw_store_system(), key, a->revision, &err) > 0) {
		wa_sess_drop_user(a->name, NULL);
		users_audit(s, "webadmin.user.delete", a->name, NULL);
		r = wa_resp_new(200);
		r->body = g_strdup("{\"ok\":true}");
	} else {
		r = wa_resp_error1(409, NULL, "the account changed meanwhile; reload and try again");
		g_error_free(err);
	}
	g_free(key);
	return r;
}

static wa_resp *users_one(wa_sess *s, const wa_req *r, const char *name)
{
	wa_acct *a = wa_user_valid(name) ? wa_acct_load(name, NULL) : NULL;
	if (!a)
		return wa_resp_error1(404, NULL, "no such user");
	wa_resp *resp = NULL;
	if (strcmp(r->method, "GET") == 0) {
		JsonBuilder *b = json_builder_new();
		user_view(b, a);
		resp = wa_resp_new(200);
		wa_resp_json(resp, b);
	} else if (strcmp(r->method, "DELETE") == 0) {
		resp = users_delete(s, a);
	} else if (strcmp(r->method, "PUT") == 0) {
		const char *why = NULL;
		JsonObject *in = wa_req_json(r, &why);
		resp = in ? users_change(s, a, in) : wa_resp_error1(400, NULL, why);
		if (in)
			json_object_unref(in);
	} else {
		resp = wa_resp_method("GET, PUT, DELETE");
	}
	wa_acct_free(a);
	return resp;
}

wa_resp *wa_api_users(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	if (*rest == '/' && rest[1])
		return users_one(s, r, rest + 1);
	return wa_collection(c, s, r, users_list, users_create);
}
