/* Login, logout, password change and the session view, with the lockout:
 * after N failures (15 standard, 3 strict) the source address is blocked
 * (5 / 15 minutes) and an account locked (60 / 15 minutes). An unknown
 * user, a wrong password and a locked account get the same answer, and an
 * unknown user costs one Argon2id verification like a known one.
 * Password expiry: an administrator whose password is older than
 * password-expiry-days logs in with must_change and the reason "password
 * expired"; the session view says when the password expires. */
#include "webadmin.h"
#include <bulwark/audit.h>
#include <bulwark/bus.h>
#include <bulwark/metrics.h>
#include <bulwark/store.h>
#include <openssl/crypto.h>
#include <string.h>

#define LOGIN_FAILED "invalid user name or password, or the account is locked"
#define COOKIE_ATTRS "; Secure; HttpOnly; SameSite=Strict; Path=/"

typedef struct { guint failures; gint64 blocked_until; } wa_src;

static GHashTable *sources;   /* ip -> wa_src* */
static char *dummy_hash;      /* verified for unknown users */

static gint64 now_s(void) { return g_get_real_time() / G_USEC_PER_SEC; }
static guint threshold(const wa_conf *c) { return c->strict ? 3 : 15; }
static gint64 ip_block_s(const wa_conf *c) { return c->strict ? 15 * 60 : 5 * 60; }
static gint64 acct_lock_s(const wa_conf *c) { return c->strict ? 15 * 60 : 60 * 60; }

void wa_auth_init(const wa_conf *c)
{
	sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	wa_prof_init();
	dummy_hash = wa_pass_hash("not-a-password-Bulwark-1!", c->argon_t, c->argon_m_kib, NULL);
}

void wa_auth_fini(void)
{
	wa_prof_fini();
	if (sources)
		g_hash_table_destroy(sources);
	sources = NULL;
	g_free(dummy_hash);
	dummy_hash = NULL;
}

guint wa_auth_blocked(void)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, sources);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += ((wa_src *)v)->blocked_until > now_s();
	return n;
}

char *wa_actor(const wa_sess *s)
{
	return g_strdup_printf("web:%s@%s", s->user, s->ip);
}

const char *wa_json_str(JsonObject *o, const char *name, gboolean *bad)
{
	JsonNode *n = json_object_get_member(o, name);
	if (!n || JSON_NODE_HOLDS_NULL(n))
		return NULL;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		*bad = TRUE;
		return NULL;
	}
	return json_node_get_string(n);
}

static void audit(const char *user, const char *ip, const char *action, const char *detail)
{
	char *actor = g_strdup_printf("web:%s@%s", user ? user : "-", ip);
	GError *err = NULL;
	if (!bw_audit_append(actor, action, user ? user : "", detail, &err)) {
		g_warning("webadmin: audit of %s by %s failed: %s", action, actor, err->message);
		g_error_free(err);
	}
	g_free(actor);
}

static void src_failure(const wa_conf *c, const char *ip, const char *user)
{
	wa_src *s = g_hash_table_lookup(sources, ip);
	if (!s) {
		if (g_hash_table_size(sources) >= 100000)
			g_hash_table_remove_all(sources);   /* bounded: forget, not grow */
		s = g_new0(wa_src, 1);
		g_hash_table_insert(sources, g_strdup(ip), s);
	}
	if (++s->failures < threshold(c))
		return;
	s->failures = 0;
	s->blocked_until = now_s() + ip_block_s(c);
	char *secs = g_strdup_printf("%" G_GINT64_FORMAT, ip_block_s(c));
	bw_event_emit("webadmin.lockout", "source", ip, "seconds", secs, NULL);
	g_free(secs);
	audit(user, ip, "webadmin.lockout", "source address blocked after repeated login failures");
}

static void acct_failure(const wa_conf *c, wa_acct *a, const char *ip)
{
	if (++a->failures >= threshold(c)) {
		a->failures = 0;
		a->locked_until = now_s() + acct_lock_s(c);
		bw_event_emit("webadmin.lockout", "user", a->name, "source", ip, NULL);
		audit(a->name, ip, "webadmin.lockout", "account locked after repeated login failures");
	}
	GError *err = NULL;
	if (!wa_acct_save(a, &err)) {
		g_warning("webadmin: cannot record a login failure of %s: %s", a->name, err->message);
		g_error_free(err);
	}
}

static wa_resp *login_failed(const wa_conf *c, const char *user, const char *ip, wa_acct *a)
{
	if (a)
		acct_failure(c, a, ip);
	src_failure(c, ip, user);
	bw_metric_add(bw_metric_counter("webadmin.logins_failed", "failed web logins"), 1);
	audit(user, ip, "webadmin.login.failed", NULL);
	bw_event_emit("webadmin.login.failed", "user", user ? user : "", "source", ip, NULL);
	return wa_resp_error1(401, NULL, LOGIN_FAILED);
}

static wa_resp *login_ok(const wa_conf *c, const char *ip, const char *old_sid, wa_acct *a)
{
	const char *why = NULL;
	wa_sess_drop(old_sid);   /* a new id at every login */
	wa_sess *s = wa_sess_create(c, a->name, a->role, ip, &why);
	if (!s) {
		audit(a->name, ip, "webadmin.login.refused", why);
		return wa_resp_error1(409, NULL, why);
	}
	s->must_change = a->must_change;
	s->profile = g_strdup(wa_acct_profile(a));
	gint64 expires = wa_acct_expires(c, a);
	if (!s->must_change && expires && expires <= now_s()) {
		s->must_change = TRUE;
		s->reason = "password expired";
	}
	bw_metric_add(bw_metric_counter("webadmin.logins", "successful web logins"), 1);
	audit(a->name, ip, "webadmin.login", NULL);
	bw_event_emit("webadmin.login", "user", a->name, "source", ip, NULL);
	wa_resp *resp = wa_auth_session(c, s);
	char *cookie = g_strconcat("bw_session=", s->sid, COOKIE_ATTRS, NULL);
	wa_resp_header(resp, "Set-Cookie", cookie);
	g_free(cookie);
	return resp;
}

/* A login in two halves: the account is read on the management thread,
 * Argon2id runs on the FastCGI worker (login_work), the verdict is applied
 * on the management thread again with the account read afresh. */
typedef struct {
	const wa_conf *c;
	char *ip, *sid, *user, *pw, *hash;
	gboolean ok;
} login_job;

static void login_work(void *data)
{
	login_job *j = data;
	j->ok = strlen(j->pw) <= 255 && wa_pass_verify(j->hash, j->pw);
}

static wa_resp *login_finish(void *data)
{
	login_job *j = data;
	wa_acct *a = j->user ? wa_acct_load(j->user, NULL) : NULL;
	wa_resp *resp;
	/* the hash verified must still be the account's: no login with a
	 * password changed meanwhile */
	if (a && j->ok && strcmp(a->hash, j->hash) == 0 && a->locked_until <= now_s()) {
		if (a->failures || a->changed_missing) {   /* "changed" stamped once */
			a->failures = 0;
			wa_acct_save(a, NULL);
		}
		wa_src *src = g_hash_table_lookup(sources, j->ip);
		if (src)
			src->failures = 0;
		resp = login_ok(j->c, j->ip, j->sid, a);
	} else {
		resp = login_failed(j->c, j->user, j->ip, a);
	}
	wa_acct_free(a);
	return resp;
}

static void login_free(void *data)
{
	login_job *j = data;
	if (j->pw)
		memset(j->pw, 0, strlen(j->pw));
	g_free(j->pw);
	g_free(j->ip);
	g_free(j->sid);
	g_free(j->user);
	g_free(j->hash);
	g_free(j);
}

wa_resp *wa_auth_login(const wa_conf *c, const wa_req *r)
{
	const char *why = NULL;
	gboolean bad = FALSE;
	JsonObject *o = wa_req_json(r, &why);
	if (!o)
		return wa_resp_error1(400, NULL, why);
	const char *user = wa_json_str(o, "user", &bad), *pw = wa_json_str(o, "password", &bad);
	wa_resp *resp = NULL;
	wa_src *src = g_hash_table_lookup(sources, r->remote);
	if (src && src->blocked_until > now_s()) {
		wa_log_blocked(user && wa_user_valid(user) ? user : NULL, r->remote);
		resp = wa_resp_error1(429, NULL, "too many failed logins from this address; try again later");
	} else if (bad || !user || !pw || !*user || !*pw) {
		resp = wa_resp_error1(400, !user || !*user ? "user" : "password",
				      "user and password are required (strings)");
	} else {
		login_job *j = g_new0(login_job, 1);
		j->c = c;
		j->ip = g_strdup(r->remote);
		j->sid = g_strdup(r->sid);
		j->user = wa_user_valid(user) ? g_strdup(user) : NULL;
		j->pw = g_strdup(pw);
		wa_acct *a = j->user ? wa_acct_load(j->user, NULL) : NULL;
		j->hash = g_strdup(a ? a->hash : dummy_hash);   /* unknown: same cost */
		wa_acct_free(a);
		resp = wa_resp_defer(login_work, login_finish, login_free, j);
	}
	json_object_unref(o);
	return resp;
}

wa_resp *wa_auth_logout(wa_sess *s)
{
	audit(s->user, s->ip, "webadmin.logout", NULL);
	wa_sess_drop(s->sid);   /* frees s */
	wa_resp *r = wa_resp_new(200);
	r->body = g_strdup("{\"ok\":true}");
	wa_resp_header(r, "Set-Cookie", "bw_session=" COOKIE_ATTRS "; Max-Age=0");
	return r;
}

/* "extension" and "password_expires" (unix seconds) of the account, or null. */
static void session_account(const wa_conf *c, JsonBuilder *b, const wa_sess *s)
{
	wa_acct *a = wa_acct_load(s->user, NULL);
	gint64 expires = a ? wa_acct_expires(c, a) : 0;
	json_builder_set_member_name(b, "extension");
	if (a && a->extension)
		json_builder_add_string_value(b, a->extension);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "password_expires");
	if (expires)
		json_builder_add_int_value(b, expires);
	else
		json_builder_add_null_value(b);
	wa_acct_free(a);
}

wa_resp *wa_auth_session(const wa_conf *c, const wa_sess *s)
{
	wa_resp *r = wa_resp_new(200);
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "user");
	json_builder_add_string_value(b, s->user);
	json_builder_set_member_name(b, "role");
	json_builder_add_string_value(b, s->role);
	json_builder_set_member_name(b, "must_change");
	json_builder_add_boolean_value(b, s->must_change);
	json_builder_set_member_name(b, "csrf");
	json_builder_add_string_value(b, s->csrf);
	json_builder_set_member_name(b, "idle_timeout");
	json_builder_add_int_value(b, c->session_idle);
	json_builder_set_member_name(b, "reason");
	if (s->must_change && s->reason)
		json_builder_add_string_value(b, s->reason);
	else
		json_builder_add_null_value(b);
	json_builder_set_member_name(b, "forms");
	wa_prof_forms_json(b, s);
	session_account(c, b, s);
	json_builder_end_object(b);
	wa_resp_json(r, b);
	return r;
}

static wa_resp *policy_error(GPtrArray *msgs)
{
	char *joined = g_strjoinv("; ", (char **)msgs->pdata);
	wa_resp *r = wa_resp_error1(400, "new", "the new password does not meet the password policy");
	JsonParser *p = json_parser_new();
	json_parser_load_from_data(p, r->body, -1, NULL);
	JsonObject *o = json_node_get_object(json_parser_get_root(p));
	json_object_set_string_member(json_object_get_object_member(o, "fields"), "new", joined);
	JsonArray *rules = json_array_new();
	for (guint i = 0; i < msgs->len - 1; i++)
		json_array_add_string_element(rules, msgs->pdata[i]);
	json_object_set_array_member(o, "rules", rules);
	g_free(r->body);
	r->body = json_to_string(json_parser_get_root(p), FALSE);
	g_object_unref(p);
	g_free(joined);
	return r;
}

static wa_resp *password_set(const wa_conf *c, wa_sess *s, wa_acct *a, char *hash)
{
	GError *err = NULL;
	g_free(a->history[WA_HISTORY - 1]);
	memmove(&a->history[1], &a->history[0], sizeof a->history[0] * (WA_HISTORY - 1));
	a->history[0] = a->hash;
	a->hash = hash;
	a->must_change = FALSE;
	a->changed = now_s();
	if (!wa_acct_save(a, &err)) {
		wa_resp *r = wa_resp_error1(409, NULL, "the account changed meanwhile; try again");
		g_warning("webadmin: password change of %s not saved: %s", a->name, err->message);
		g_error_free(err);
		return r;
	}
	s->must_change = FALSE;
	s->reason = NULL;
	wa_sess_drop_user(s->user, s->sid);
	audit(s->user, s->ip, "webadmin.password", "password changed");
	return wa_auth_session(c, s);
}

/* A password change in two halves like a login: up to 6 Argon2id runs
 * (current, the 4 before it, the new hash) on the FastCGI worker. */
typedef struct {
	const wa_conf *c;
	char *sid, *cur, *pw, *hash, *history[WA_HISTORY], *new_hash;
	gboolean cur_ok, reused;
} pass_job;

static void pass_work(void *data)
{
	pass_job *j = data;
	j->cur_ok = strlen(j->cur) <= 255 && wa_pass_verify(j->hash, j->cur);
	if (!j->cur_ok)
		return;
	j->reused = wa_pass_verify(j->hash, j->pw);
	for (int i = 0; i < WA_HISTORY && j->history[i] && !j->reused; i++)
		j->reused = wa_pass_verify(j->history[i], j->pw);
	if (!j->reused)
		j->new_hash = wa_pass_hash(j->pw, j->c->argon_t, j->c->argon_m_kib, NULL);
}

static wa_resp *pass_finish(void *data)
{
	pass_job *j = data;
	wa_sess *s = wa_sess_find(j->c, j->sid);
	if (!s)
		return wa_resp_error1(401, NULL, "not logged in, or the session has expired");
	wa_acct *a = wa_acct_load(s->user, NULL);
	wa_resp *resp;
	if (!a || strcmp(a->hash, j->hash) != 0) {
		resp = wa_resp_error1(409, NULL, "the account changed meanwhile; try again");
	} else if (!j->cur_ok) {
		audit(s->user, s->ip, "webadmin.password.failed", "wrong current password");
		resp = wa_resp_error1(400, "current", "the current password is wrong");
	} else if (j->reused) {
		GPtrArray *msgs = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(msgs, g_strdup("must not be one of the last 4 passwords"));
		g_ptr_array_add(msgs, NULL);
		resp = policy_error(msgs);
		g_ptr_array_unref(msgs);
	} else if (!j->new_hash) {
		resp = wa_resp_error1(409, NULL, "the new password could not be hashed; try again");
	} else {
		resp = password_set(j->c, s, a, j->new_hash);
		j->new_hash = NULL;   /* the account owns it now */
	}
	wa_acct_free(a);
	return resp;
}

static void pass_free(void *data)
{
	pass_job *j = data;
	for (char **p = (char *[]){ j->cur, j->pw, NULL }; *p; p++)
		memset(*p, 0, strlen(*p));
	g_free(j->cur);
	g_free(j->pw);
	g_free(j->sid);
	g_free(j->hash);
	for (int i = 0; i < WA_HISTORY; i++)
		g_free(j->history[i]);
	g_free(j->new_hash);
	g_free(j);
}

static wa_resp *pass_defer(const wa_conf *c, wa_sess *s, wa_acct *a, const char *cur,
			   const char *pw)
{
	pass_job *j = g_new0(pass_job, 1);
	j->c = c;
	j->sid = g_strdup(s->sid);
	j->cur = g_strdup(cur);
	j->pw = g_strdup(pw);
	j->hash = g_strdup(a->hash);
	for (int i = 0; i < WA_HISTORY; i++)
		j->history[i] = g_strdup(a->history[i]);
	return wa_resp_defer(pass_work, pass_finish, pass_free, j);
}

wa_resp *wa_auth_password(const wa_conf *c, wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	gboolean bad = FALSE;
	JsonObject *o = wa_req_json(r, &why);
	if (!o)
		return wa_resp_error1(400, NULL, why);
	const char *cur = wa_json_str(o, "current", &bad), *pw = wa_json_str(o, "new", &bad);
	wa_acct *a = wa_acct_load(s->user, NULL);
	wa_resp *resp = NULL;
	GPtrArray *msgs = g_ptr_array_new_with_free_func(g_free);
	if (bad || !cur || !pw) {
		resp = wa_resp_error1(400, !cur ? "current" : "new",
				      "current and new are required (strings)");
	} else if (!a) {
		resp = wa_resp_error1(409, NULL, "the account no longer exists");
	} else {
		/* the rules need no hash: answered at once, before any Argon2id */
		wa_pass_policy(pw, s->user, msgs);
		g_ptr_array_add(msgs, NULL);
		resp = msgs->len > 1 ? policy_error(msgs) : pass_defer(c, s, a, cur, pw);
	}
	g_ptr_array_unref(msgs);
	wa_acct_free(a);
	json_object_unref(o);
	return resp;
}
