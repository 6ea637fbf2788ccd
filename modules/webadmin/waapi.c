/* The API router, on the management thread. Order of checks: the path is
 * plain and under /api/ (404), the source address is on the allow-list
 * (403), then login is the only call without a session (401), a change
 * needs the session's CSRF token in X-CSRF-Token (403), an account that
 * must change its password may only do that or log out (403), and the
 * role must reach the endpoint's level (403). Every answer is JSON. */
#include "webadmin.h"
#include <bulwark/metrics.h>
#include <openssl/crypto.h>
#include <string.h>

static const wa_conf *conf;

void wa_api_init(const wa_conf *c)
{
	conf = c;
	wa_sess_init();
	wa_auth_init(c);
	wa_events_start(c);
}

void wa_api_fini(void)
{
	wa_events_stop();
	wa_auth_fini();
	wa_sess_fini();
	wa_log_clear();
	conf = NULL;
}

static gboolean is_change(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static gboolean csrf_ok(const wa_sess *s, const char *token)
{
	return token && strlen(token) == strlen(s->csrf) &&
	       CRYPTO_memcmp(token, s->csrf, strlen(token)) == 0;
}

/* The read-only views take no arguments; GET only. */
static wa_resp *get_only(const wa_req *r, wa_resp *(*view)(void))
{
	return strcmp(r->method, "GET") == 0 ? view() : wa_resp_method("GET");
}

static wa_resp *api_dashboard(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) rest;
	return get_only(r, wa_api_dashboard);
}

static wa_resp *api_alarms(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) rest;
	return get_only(r, wa_api_alarms);
}

static wa_resp *api_modules(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) rest;
	return get_only(r, wa_api_modules);
}

static wa_resp *api_audit(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) rest;
	return wa_api_audit(r);   /* walog.c: GET only, paged */
}

/* Each resource (first path segment) belongs to one form, the unit an
 * authorization profile grants read or write on; "self" (the Self Service
 * Portal) is every account's own data and needs no grant. */
static const wa_route routes[] = {
	{ "dashboard", "dashboard", api_dashboard },
	{ "extensions", "extensions", wa_api_extensions },
	{ "users", "users", wa_api_users },
	{ "profiles", "profiles", wa_api_profiles },
	{ "cor", "cor", wa_api_cor },
	{ "trunks", "trunks", wa_api_trunks },
	{ "routes", "routes", wa_api_routes },
	{ "certificates", "certificates", wa_api_certificates },
	{ "security", "security", wa_api_security },
	{ "audit", "audit", api_audit },
	{ "events", "events", wa_api_events },
	{ "modules", "modules", api_modules },
	{ "alarms", "alarms", api_alarms },
	{ "self", NULL, wa_api_self },
};

const wa_route *wa_routes(guint *n)
{
	*n = G_N_ELEMENTS(routes);
	return routes;
}

/* Queries sent as POST so that their arguments stay out of URLs, access
 * logs and browser history (a number dialled with an account code and its
 * PIN): they change nothing, so their form's read grant is enough. The
 * CSRF token is still checked, as on every POST. */
static const char *const queries[] = { "cor/explain", NULL };

static gboolean needs_write(const char *method, const char *p)
{
	return is_change(method) && !(strcmp(method, "POST") == 0 && g_strv_contains(queries, p));
}

/* Endpoints once the session is established and checked. */
static wa_resp *route(wa_sess *s, const wa_req *r, const char *p)
{
	const char *m = r->method;
	if (strcmp(p, "logout") == 0)
		return strcmp(m, "POST") == 0 ? wa_auth_logout(s) : wa_resp_method("POST");
	if (strcmp(p, "password") == 0)
		return strcmp(m, "POST") == 0 ? wa_auth_password(conf, s, r) : wa_resp_method("POST");
	if (s->must_change)
		return wa_resp_error1(403, NULL, "the password must be changed first (POST /api/password)");
	if (strcmp(p, "session") == 0)
		return strcmp(m, "GET") == 0 ? wa_auth_session(conf, s) : wa_resp_method("GET");
	for (guint i = 0; i < G_N_ELEMENTS(routes); i++) {
		const wa_route *rt = &routes[i];
		gsize len = strlen(rt->name);
		if (strncmp(p, rt->name, len) != 0 || (p[len] != '\0' && p[len] != '/'))
			continue;
		if (rt->form && !wa_access_allows(s, rt->form, needs_write(m, p)))
			return wa_resp_error1(403, NULL, needs_write(m, p) ?
					      "your profile does not allow changes on this form" :
					      "your profile does not allow this form");
		return rt->fn(conf, s, r, p + len);
	}
	return wa_resp_error1(404, NULL, "no such API resource");
}

static wa_resp *api_handle(const wa_req *r);

wa_resp *wa_api_handle(const wa_req *r)
{
	static bw_metric *sessions;
	if (!sessions)
		sessions = bw_metric_gauge("webadmin.sessions", "web sessions open now");
	wa_resp *resp = api_handle(r);
	bw_metric_set(sessions, wa_sess_count());
	return resp;
}

static wa_resp *api_handle(const wa_req *r)
{
	if (!conf)
		return wa_resp_error1(503, NULL, "the web administration is not running");
	if (!wa_path_ok(r->path) || !g_str_has_prefix(r->path, "/api/"))
		return wa_resp_error1(404, NULL, "no such API resource");
	if (!wa_conf_allowed(conf, r->remote))
		return wa_resp_error1(403, NULL, "your address may not use the web administration");
	const char *p = r->path + strlen("/api/");
	if (strcmp(p, "login") == 0)
		return strcmp(r->method, "POST") == 0 ? wa_auth_login(conf, r)
						      : wa_resp_method("POST");
	wa_sess *s = wa_sess_find(conf, r->sid);
	if (!s)
		return wa_resp_error1(401, NULL, "not logged in, or the session has expired");
	if (is_change(r->method) && !csrf_ok(s, r->csrf))
		return wa_resp_error1(403, NULL, "missing or wrong CSRF token (header X-CSRF-Token)");
	return route(s, r, p);
}
