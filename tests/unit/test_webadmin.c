/* Unit tests of the webadmin module's pure parts: FastCGI parameters to a
 * request, cookies, paths, JSON bodies (size, nesting, type), error
 * bodies, the password policy (one message per rule), Argon2id hashes,
 * listener addresses and the lighttpd configuration text. */
#include "webadmin.h"
#include <string.h>

static void test_req_env(void)
{
	const char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api/login?x=1",
			      "REMOTE_ADDR=192.0.2.7", "HTTP_COOKIE=a=b; bw_session=abc123; c=d",
			      "HTTP_X_CSRF_TOKEN=tok", NULL };
	wa_req *r = wa_req_from_env(env);
	g_assert_cmpstr(r->method, ==, "POST");
	g_assert_cmpstr(r->path, ==, "/api/login");
	g_assert_cmpstr(r->query, ==, "x=1");
	g_assert_cmpstr(r->remote, ==, "192.0.2.7");
	g_assert_cmpstr(r->sid, ==, "abc123");
	g_assert_cmpstr(r->csrf, ==, "tok");
	wa_req_free(r);
	const char *none[] = { "HTTP_X_CSRF_TOKEN=a\001b", NULL };
	r = wa_req_from_env(none);
	g_assert_cmpstr(r->method, ==, "");
	g_assert_cmpstr(r->path, ==, "");
	g_assert_null(r->csrf);   /* control characters refused */
	wa_req_free(r);
}

static void test_cookie(void)
{
	char *v = wa_cookie_get("bw_sessionx=1; bw_session=2", "bw_session");
	g_assert_cmpstr(v, ==, "2");
	g_free(v);
	g_assert_null(wa_cookie_get("other=1", "bw_session"));
	g_assert_null(wa_cookie_get(NULL, "bw_session"));
}

static void test_path(void)
{
	g_assert_true(wa_path_ok("/api/extensions/100"));
	g_assert_false(wa_path_ok("/api/../etc"));
	g_assert_false(wa_path_ok("/api/a%20b"));
	g_assert_false(wa_path_ok("api/x"));
	g_assert_false(wa_path_ok(""));
}

static wa_req *body_req(const char *body)
{
	wa_req *r = g_new0(wa_req, 1);
	r->body = body ? g_bytes_new(body, strlen(body)) : NULL;
	return r;
}

static void test_json(void)
{
	const char *why = NULL;
	wa_req *r = body_req("{\"a\": \"b\"}");
	JsonObject *o = wa_req_json(r, &why);
	g_assert_nonnull(o);
	g_assert_cmpstr(json_object_get_string_member(o, "a"), ==, "b");
	json_object_unref(o);
	wa_req_free(r);
	const char *bad[] = { NULL, "[1]", "{", "\"x\"", "{\"a\":}", "\xff{}" };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		r = body_req(bad[i]);
		why = NULL;
		g_assert_null(wa_req_json(r, &why));
		g_assert_nonnull(why);
		wa_req_free(r);
	}
	GString *deep = g_string_new("{\"a\":");
	for (int i = 0; i < 100; i++)
		g_string_append_c(deep, '[');
	r = body_req(deep->str);
	g_assert_null(wa_req_json(r, &why));
	g_assert_nonnull(strstr(why, "nested"));
	wa_req_free(r);
	g_string_free(deep, TRUE);
	g_assert_cmpuint(wa_json_depth("{\"[[[\": [1]}", 12), ==, 2);
}

static void test_error_body(void)
{
	wa_resp *r = wa_resp_error1(400, "number", "the number is 1-32 digits");
	g_assert_cmpuint(r->status, ==, 400);
	g_assert_cmpstr(r->body, ==,
			"{\"error\":\"the number is 1-32 digits\",\"fields\":{\"number\":\"the number is 1-32 digits\"}}");
	wa_resp_free(r);
}

static guint policy_count(const char *pw, const char *user, const char *expect)
{
	GPtrArray *m = g_ptr_array_new_with_free_func(g_free);
	wa_pass_policy(pw, user, m);
	gboolean found = expect == NULL;
	for (guint i = 0; i < m->len; i++)
		found |= expect && strstr(m->pdata[i], expect) != NULL;
	g_assert_true(found);
	guint n = m->len;
	g_ptr_array_unref(m);
	return n;
}

static void test_policy(void)
{
	g_assert_cmpuint(policy_count("Good-Pass-123", "admin", NULL), ==, 0);
	g_assert_cmpuint(policy_count("Aa1!", "x", "8 to 255"), ==, 1);
	g_assert_cmpuint(policy_count("aaaaaaa1!", "x", "upper-case"), ==, 1);
	g_assert_cmpuint(policy_count("AAAAAAA1!", "x", "lower-case"), ==, 1);
	g_assert_cmpuint(policy_count("AAAAaaaa!", "x", "digit"), ==, 1);
	g_assert_cmpuint(policy_count("AAAAaaaa1", "x", "special"), ==, 1);
	g_assert_cmpuint(policy_count("Aaaaa1!\xc3\xa9", "x", "diacritics"), ==, 1);
	g_assert_cmpuint(policy_count("Aaaa a1!", "x", "spaces"), ==, 1);
	g_assert_cmpuint(policy_count("Admin-12!", "admin-12!", "user name"), ==, 1);
	g_assert_cmpuint(policy_count("password", "x", "\"password\""), ==, 4);
	g_assert_cmpuint(policy_count("", "x", NULL), ==, 5);
}

static void test_hash(void)
{
	char *h = wa_pass_hash("Good-Pass-123", 1, 1024, NULL);
	g_assert_nonnull(h);
	g_assert_true(g_str_has_prefix(h, "$argon2id$v=19$m=1024,t=1,p=1$"));
	g_assert_true(wa_pass_verify(h, "Good-Pass-123"));
	g_assert_false(wa_pass_verify(h, "Good-Pass-124"));
	g_assert_false(wa_pass_verify("$argon2i$garbage", "x"));
	g_assert_false(wa_pass_verify("garbage", "x"));
	char *h2 = wa_pass_hash("Good-Pass-123", 1, 1024, NULL);
	g_assert_cmpstr(h, !=, h2);   /* salted */
	g_free(h);
	g_free(h2);
}

static void test_hostport(void)
{
	char *h = NULL;
	guint p = 0;
	g_assert_true(wa_hostport_parse("0.0.0.0:443", &h, &p));
	g_assert_cmpstr(h, ==, "0.0.0.0");
	g_assert_cmpuint(p, ==, 443);
	g_free(h);
	g_assert_true(wa_hostport_parse("[::1]:8443", &h, &p));
	g_assert_cmpstr(h, ==, "::1");
	g_free(h);
	g_assert_false(wa_hostport_parse("host:443", &h, &p));
	g_assert_false(wa_hostport_parse("1.2.3.4:0", &h, &p));
	g_assert_false(wa_hostport_parse("1.2.3.4:70000", &h, &p));
	g_assert_false(wa_hostport_parse("1.2.3.4", &h, &p));
}

static void test_lighttpd_conf(void)
{
	wa_conf c = { .https_host = "127.0.0.1", .https_port = 8443, .http_host = "127.0.0.1",
		      .http_port = 8080 };
	char *t = wa_lighttpd_config(&c, "/var/lib/bulwark/webadmin", "/usr/share/bulwark/www");
	g_assert_nonnull(strstr(t, "\"MinProtocol\" => \"TLSv1.3\""));
	g_assert_nonnull(strstr(t, "server.port = 8443"));
	g_assert_nonnull(strstr(t, "$SERVER[\"socket\"] == \"127.0.0.1:8080\""));
	g_assert_nonnull(strstr(t, "https://%1:8443${url.path}"));
	g_assert_nonnull(strstr(t, "frame-ancestors 'none'"));
	g_assert_nonnull(strstr(t, "/var/lib/bulwark/webadmin/fcgi.sock"));
	g_free(t);
	c.tls_compat = TRUE;
	c.http_port = 0;
	t = wa_lighttpd_config(&c, "/d", "/w");
	g_assert_nonnull(strstr(t, "\"TLSv1.2\""));
	g_assert_null(strstr(t, "$SERVER"));
	g_free(t);
	g_assert_null(wa_lighttpd_config(&c, "/d\"x", "/w"));
	c.https_host = "::1";
	c.http_host = "::";
	c.http_port = 80;
	t = wa_lighttpd_config(&c, "/d", "/w");
	g_assert_nonnull(strstr(t, "server.bind = \"[::1]\""));
	g_assert_nonnull(strstr(t, "$SERVER[\"socket\"] == \"[::]:80\""));
	g_free(t);
}

static void test_sessions(void)
{
	wa_conf c = { .session_idle = 900, .session_max = 43200, .max_sessions = 4,
		      .max_system = 2, .max_group = 1 };
	const char *why = NULL;
	wa_sess_init();
	wa_sess *a = wa_sess_create(&c, "root1", "system", "192.0.2.1", &why);
	wa_sess *b = wa_sess_create(&c, "root1", "system", "192.0.2.1", &why);
	g_assert_nonnull(a);
	g_assert_nonnull(b);
	g_assert_cmpuint(strlen(a->sid), ==, 64);
	g_assert_cmpuint(strlen(a->csrf), ==, 64);
	g_assert_cmpstr(a->sid, !=, b->sid);
	g_assert_cmpstr(a->sid, !=, a->csrf);
	g_assert_null(wa_sess_create(&c, "root2", "system", "192.0.2.2", &why));
	g_assert_nonnull(strstr(why, "system administrators"));
	g_assert_nonnull(wa_sess_create(&c, "grp", "group", "192.0.2.3", &why));
	g_assert_null(wa_sess_create(&c, "grp2", "group", "192.0.2.3", &why));
	g_assert_nonnull(strstr(why, "group administrators"));
	g_assert_nonnull(wa_sess_create(&c, "u", "user", "192.0.2.4", &why));
	g_assert_null(wa_sess_create(&c, "u2", "user", "192.0.2.4", &why));
	g_assert_nonnull(strstr(why, "maximum number of sessions"));
	char *keep = g_strdup(a->sid), *gone = g_strdup(b->sid);
	wa_sess_drop_user("root1", keep);
	g_assert_nonnull(wa_sess_find(&c, keep));
	g_assert_null(wa_sess_find(&c, gone));
	g_assert_null(wa_sess_find(&c, NULL));
	g_assert_cmpuint(wa_sess_count(), ==, 3);
	c.session_idle = 0;   /* everything idle past the limit now */
	g_assert_null(wa_sess_find(&c, keep));
	g_free(keep);
	g_free(gone);
	wa_sess_fini();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/webadmin/req/env", test_req_env);
	g_test_add_func("/webadmin/req/cookie", test_cookie);
	g_test_add_func("/webadmin/req/path", test_path);
	g_test_add_func("/webadmin/req/json", test_json);
	g_test_add_func("/webadmin/resp/error", test_error_body);
	g_test_add_func("/webadmin/pass/policy", test_policy);
	g_test_add_func("/webadmin/pass/hash", test_hash);
	g_test_add_func("/webadmin/conf/hostport", test_hostport);
	g_test_add_func("/webadmin/lighttpd/conf", test_lighttpd_conf);
	g_test_add_func("/webadmin/sessions/limits", test_sessions);
	return g_test_run();
}
