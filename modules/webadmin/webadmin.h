/* Internal to the webadmin module: its configuration, the request and
 * response it passes between the FastCGI workers and the management
 * thread, accounts, sessions and the API router.
 *
 * Threads: FastCGI workers only parse requests (wareq.c) and write
 * responses; everything in waacct.c, wasess.c, waapi*.c runs on the
 * management thread (handed over with bw_mgmt_call), so those parts need
 * no locks of their own. */
#ifndef BW_WEBADMIN_H
#define BW_WEBADMIN_H

#include <glib.h>
#include <json-glib/json-glib.h>
#include <bulwark/store.h>

#define WA_BODY_MAX      (1024 * 1024)   /* request bodies, bytes */
#define WA_JSON_DEPTH    32              /* nesting accepted in a JSON body */
#define WA_PATH_MAX      512
#define WA_WORKERS_MAX   64
#define WA_HISTORY       4               /* previous passwords refused */
#define WA_ACCESS_KEEP   20              /* failed/successful accesses shown */
#define WA_CHANGES_KEEP  1000            /* changes shown (newest kept) */
#define WA_USER_MAX      64

typedef struct wa_conf {
	char *https_host, *http_host;   /* "0.0.0.0" */
	guint https_port, http_port;    /* http_port 0: no plain listener */
	gboolean tls_compat;            /* TLS 1.2 accepted as well */
	gint64 session_idle, session_max;   /* seconds */
	guint password_expiry_days;     /* administrators' passwords; 0: never */
	guint max_sessions, max_system, max_group;
	gboolean strict;                /* lockout profile */
	GPtrArray *allow;               /* GInetAddressMask*, empty: everyone */
	char *www_dir;
	guint argon_t, argon_m_kib;
	guint workers;
	char *lighttpd;                 /* binary */
	guint events_keep;              /* events area: event-log size */
} wa_conf;
/* The module's wa_conf is one object for its lifetime: the security-options
 * form (wasecurity.c) changes its fields in place on the management
 * thread, where every reader runs, so a saved option applies at once. */

/* ---- configuration (waconf.c) ---- */
typedef struct bw_conf_node bw_conf_node;
wa_conf *wa_conf_parse(const bw_conf_node *n, GError **err);
void     wa_conf_free(wa_conf *c);
gboolean wa_conf_allowed(const wa_conf *c, const char *ip);
/* "host:port" -> parts; FALSE on anything else. */
gboolean wa_hostport_parse(const char *s, char **host, guint *port);

/* ---- requests and responses (wareq.c: pure, fuzzed) ---- */
typedef struct wa_req {
	char *method, *path, *query, *remote;
	char *sid, *csrf;               /* cookie bw_session, X-CSRF-Token */
	char *content_type;
	GBytes *body;                   /* may be NULL */
} wa_req;

/* Slow work (Argon2id) a handler leaves to the FastCGI worker: work() runs
 * on the worker, then finish() on the management thread gives the answer;
 * free() releases data in every case (also when finish never runs). */
typedef struct wa_defer {
	void     (*work)(void *data);
	struct wa_resp *(*finish)(void *data);
	void     (*free)(void *data);
	void      *data;
} wa_defer;

typedef struct wa_resp {
	wa_defer *defer;                /* non-NULL: not the answer yet */
	guint status;
	char *body;                     /* JSON text */
	GPtrArray *headers;             /* "Name: value" strings */
} wa_resp;

/* Fills a request from FastCGI parameters (NULL-terminated "K=V"). */
wa_req  *wa_req_from_env(const char *const *envp);
void     wa_req_free(wa_req *r);
/* The value of cookie name in a Cookie header, or NULL. */
char    *wa_cookie_get(const char *header, const char *name);
/* Deepest nesting of [ and { outside strings. */
guint    wa_json_depth(const char *text, gsize len);
/* The body as a JSON object, or NULL with *why set (static text). */
JsonObject *wa_req_json(const wa_req *r, const char **why);
/* Only [A-Za-z0-9/_.-] and no "..": anything else is refused. */
gboolean wa_path_ok(const char *path);

wa_resp *wa_resp_new(guint status);
void     wa_resp_free(wa_resp *r);
wa_resp *wa_resp_defer(void (*work)(void *), wa_resp *(*finish)(void *),
		       void (*free_fn)(void *), void *data);
void     wa_defer_free(wa_defer *d);
void     wa_resp_header(wa_resp *r, const char *name, const char *value);
void     wa_resp_json(wa_resp *r, JsonBuilder *b);   /* takes the root */
/* Member name: v as a string, or null when v is NULL. */
void     wa_json_add_str(JsonBuilder *b, const char *name, const char *v);
/* {"error": msg, "fields": {field: msg}} (fields may be NULL) */
wa_resp *wa_resp_error(guint status, const char *msg, GHashTable *fields);
wa_resp *wa_resp_error1(guint status, const char *field, const char *msg);
/* (wainfo.c) 200 {"<member>": [...]} with add() called for every store
 * record under prefix (add may skip a record by adding nothing), or 409 on
 * a store error. */
typedef void (*wa_record_view)(JsonBuilder *b, const bw_record *rec);
wa_resp *wa_resp_record_list(const char *prefix, const char *member, wa_record_view add);
/* The same with more(b) adding members after the list (more may be NULL). */
wa_resp *wa_resp_record_list_more(const char *prefix, const char *member, wa_record_view add,
				  void (*more)(JsonBuilder *b));
const char *wa_status_text(guint status);

/* ---- passwords and accounts (wapass.c, waacct.c) ---- */
/* One message per rule broken, appended to msgs (char*). */
void     wa_pass_policy(const char *pw, const char *user, GPtrArray *msgs);
char    *wa_pass_hash(const char *pw, guint t, guint m_kib, GError **err);
gboolean wa_pass_verify(const char *encoded, const char *pw);

typedef struct wa_acct {
	char *name, *role;              /* system | group | user */
	char *hash;
	char *history[WA_HISTORY];      /* older hashes, newest first */
	gboolean must_change;
	gint64 locked_until;            /* unix seconds */
	guint failures;
	gint64 revision;                /* store revision it was read at */
	/* profiles area: */
	char *profile;                  /* group administrators; NULL: WA_PROFILE_DEFAULT */
	char *extension;                /* own extension (Self Service Portal); NULL: none */
	gint64 changed;                 /* unix seconds the password was set */
	gboolean changed_missing;       /* "changed" absent: read as now, stamped at login */
} wa_acct;

gboolean wa_user_valid(const char *name);
gboolean wa_role_valid(const char *role);
wa_acct *wa_acct_load(const char *name, GError **err);   /* NULL, NOT_FOUND */
gboolean wa_acct_save(wa_acct *a, GError **err);
void     wa_acct_free(wa_acct *a);
char    *wa_acct_to_json(const wa_acct *a);
wa_acct *wa_acct_from_json(const char *name, const char *text, gsize len, GError **err);
/* First start: creates "admin" with a random password printed on stdout. */
gboolean wa_acct_bootstrap(const wa_conf *c, GError **err);

/* ---- sessions (wasess.c) ---- */
typedef struct wa_sess {
	char *sid, *csrf, *user, *role, *ip;
	gboolean must_change;
	gint64 created, last;           /* monotonic seconds */
	char *profile;                  /* group administrators: the account's profile */
	const char *reason;             /* static text: why must_change (NULL: first login) */
} wa_sess;

void     wa_sess_init(void);
void     wa_sess_fini(void);
/* NULL with *why when full (the message says which limit). */
wa_sess *wa_sess_create(const wa_conf *c, const char *user, const char *role,
			const char *ip, const char **why);
/* The live session of sid (touched), or NULL when absent or expired. */
wa_sess *wa_sess_find(const wa_conf *c, const char *sid);
void     wa_sess_drop(const char *sid);
void     wa_sess_drop_user(const char *user, const char *keep_sid);
guint    wa_sess_count(void);
char    *wa_random_hex(guint bytes);

/* ---- API (waapi.c and friends), management thread ---- */
void     wa_api_init(const wa_conf *c);
void     wa_api_fini(void);
wa_resp *wa_api_handle(const wa_req *r);
/* (walog.c) Audits a login refused because its source is blocked: the
 * one access nobody else records; at most 10 a minute. */
void     wa_log_blocked(const char *user, const char *ip);
void     wa_log_clear(void);

/* login, logout, password, session (waauth.c); lockout state */
void     wa_auth_init(const wa_conf *c);
void     wa_auth_fini(void);
guint    wa_auth_blocked(void);          /* source addresses blocked now */
wa_resp *wa_auth_login(const wa_conf *c, const wa_req *r);
wa_resp *wa_auth_logout(wa_sess *s);
wa_resp *wa_auth_password(const wa_conf *c, wa_sess *s, const wa_req *r);
wa_resp *wa_auth_session(const wa_conf *c, const wa_sess *s);
char    *wa_actor(const wa_sess *s);     /* "web:USER@IP" */
/* A string member of o: NULL when absent, *bad when present but not a string. */
const char *wa_json_str(JsonObject *o, const char *name, gboolean *bad);

/* Handlers get the session (never NULL), the request and the path after
 * their resource name ("" or "/..."); the router has checked the form's
 * read (GET) or write (any other method) grant already. */
typedef wa_resp *(*wa_handler)(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);
typedef struct wa_route {
	const char *name;       /* /api/<name>[/...] */
	const char *form;       /* authorization-profile form; NULL: every account */
	wa_handler fn;
} wa_route;
const wa_route *wa_routes(guint *n);   /* the table, for the profile editor */

/* (waprof.c) May this session read (write FALSE) or change the form? */
gboolean wa_access_allows(const wa_sess *s, const char *form, gboolean write);

/* ---- profiles area: authorization profiles (waprof.c), accounts
 * (waacct.c), the Self Service Portal (waself.c), password expiry ---- */
#define WA_PROFILE_DEFAULT "group-admin"   /* new group administrators' profile */
/* Profile cache kept fresh by a store watch (wa_auth_init/fini call these). */
void     wa_prof_init(void);
void     wa_prof_fini(void);
/* Creates WA_PROFILE_DEFAULT (dashboard, extensions, alarms: write) if absent. */
gboolean wa_prof_bootstrap(GError **err);
gboolean wa_prof_exists(const char *name);
/* Adds the session's grants as {"<form>": "read"|"write"} (an object value). */
void     wa_prof_forms_json(JsonBuilder *b, const wa_sess *s);
/* The profile an account's sessions use: NULL unless a group administrator. */
const char *wa_acct_profile(const wa_acct *a);
/* Every valid account (wa_acct*, freed with the array), or NULL on a store error. */
GPtrArray *wa_acct_list(GError **err);
/* When an administrator's password expires (unix seconds); 0: never. */
gint64   wa_acct_expires(const wa_conf *c, const wa_acct *a);

wa_resp *wa_api_extensions(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);
wa_resp *wa_api_users(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);
wa_resp *wa_api_profiles(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);     /* waprof.c */
wa_resp *wa_api_self(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);         /* waself.c */
wa_resp *wa_api_cor(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);          /* wacor.c */
wa_resp *wa_api_trunks(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);       /* watrunk.c */
wa_resp *wa_api_certificates(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest); /* wacert.c */
wa_resp *wa_api_security(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);     /* wasecurity.c */
wa_resp *wa_api_events(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);       /* waevents.c */
wa_resp *wa_api_dashboard(void);
wa_resp *wa_api_modules(void);
wa_resp *wa_api_alarms(void);

/* ---- security options form (area: security; wasecurity.c, mod_webadmin.c) ----
 * The saved form is one JSON record, WA_SEC_KEY, holding only the options
 * an administrator set (an absent member: the XML value applies). Each
 * owner applies its part by watching the record: webadmin (here), the sip
 * module's DoS limits, the backup timer. docs/configuration.md lists the
 * members. */
#define WA_SEC_KEY      "config/security"
#define WA_ALLOW_MAX    256
/* The saved record's valid members (invalid ones dropped with a warning);
 * an empty object when none is saved (*rev 0). Never NULL. */
JsonObject *wa_sec_load(gint64 *rev);
JsonObject *wa_sec_parse(GBytes *value);
/* Sets c's tls_compat, http_port (0 when the redirect is off), session_idle,
 * password_expiry_days, strict and allow from saved, else from xml. */
void      wa_sec_apply(wa_conf *c, const wa_conf *xml, JsonObject *saved);
/* (mod_webadmin.c) The configuration as the XML gave it, before the saved
 * options: the defaults the form falls back to. NULL when not running. */
const wa_conf *wa_conf_xml(void);

/* ---- trunks and CoR/CoS pages (watrunk.c, wacor.c): shared helpers ---- */
/* The value of name in the query string, percent-decoded (g_free), or NULL. */
char    *wa_query_param(const wa_req *r, const char *name);
/* The revision a change expects: the body's "revision" (body may be NULL),
 * else the query's revision=N, else fallback. FALSE when one is given
 * but is not a whole number >= 1. */
gboolean wa_expect_revision(const wa_req *r, JsonObject *body, gint64 fallback, gint64 *out);
/* A change into the audit log (actor from the session); detail may be
 * NULL and never holds a secret. */
void     wa_audit_change(wa_sess *s, const char *action, const char *key, const char *detail);
/* A stored record's JSON object (ref'd); a broken record reads as empty. */
JsonObject *wa_record_object(GBytes *value);
/* 409 for a store error: a conflict says "changed meanwhile" (what names
 * the record), anything else gives the store's message. Frees err. */
wa_resp *wa_store_error(GError *err, const char *what);

/* ---- polish: helpers every list + form resource shares (warec.c) ---- */
/* An extension's self-service PIN record (waself.c writes it; it goes
 * with the extension: waext.c, core/callctl.c). */
#define WA_PIN_PREFIX "extpin/"
/* wa_audit_change with detail "fields: a b c" (none: no detail). */
void     wa_audit_fields(wa_sess *s, const char *action, const char *key, GPtrArray *changed);
/* 405 "method not allowed on this resource" with Allow: allow. */
wa_resp *wa_resp_method(const char *allow);
/* A collection: GET lists, POST creates from the JSON body, else 405. */
typedef wa_resp *(*wa_create_fn)(const wa_conf *c, wa_sess *s, JsonObject *in);
wa_resp *wa_collection(const wa_conf *c, wa_sess *s, const wa_req *r,
		       wa_resp *(*list)(void), wa_create_fn create);
/* A stored record's JSON object (ref'd), NULL when it is not one. */
JsonObject *wa_record_parse(GBytes *value);
/* The record prefix+name (ref'd, *rev its revision when rev is not NULL),
 * NULL when absent; a broken one reads as empty so it can be rewritten. */
JsonObject *wa_record_load(const char *prefix, const char *name, gint64 *rev);
gboolean wa_record_exists(const char *prefix, const char *name);
/* rec as compact JSON text (g_free). */
char    *wa_record_text(JsonObject *rec);
/* rec stored at prefix+name expecting revision rev: the new revision, or
 * <= 0 with err set (bw_store_put). */
gint64   wa_record_put(const char *prefix, const char *name, JsonObject *rec, gint64 rev,
		       GError **err);
/* Field checks: min..max ASCII digits; 1..max ASCII letters, digits and
 * characters of extra; a display name (at most 128 bytes of UTF-8 without
 * control characters). NULL is never valid. */
gboolean wa_digits_ok(const char *s, gsize min, gsize max);
gboolean wa_chars_ok(const char *s, gsize max, const char *extra);
gboolean wa_display_name_ok(const char *s);

/* ---- events area: access log from the audit log (walog.c), event log
 * (waevents.c), dashboard call-volume history (wainfo.c) ---- */
#define WA_EVENTS_KEEP_DEFAULT 1000      /* events kept for the event log */
#define WA_EVENTS_KEEP_MAX     100000
#define WA_HISTORY_SLOTS       96        /* call-volume intervals: 24 hours */
#define WA_HISTORY_INTERVAL    900       /* seconds per interval */
/* GET /api/audit[?before=SEQ&limit=N] from the audit log (GET only). */
wa_resp *wa_api_audit(const wa_req *r);
/* Subscribe to every bus event on the management loop: keeps the last
 * c->events_keep (secret-looking fields dropped) and counts call.started
 * per interval; wa_api_init/fini call these. */
void     wa_events_start(const wa_conf *c);
void     wa_events_stop(void);
/* (wainfo.c) Count one started call at unix time t (seconds). */
void     wa_history_note(gint64 t);
void     wa_history_clear(void);
/* Adds "history": {"interval", "end", "calls": [oldest .. newest]}. */
void     wa_history_json(JsonBuilder *b, gint64 now);

/* ---- routes area: outgoing routes and DIDs (warout.c) ----
 * /api/routes (form "routes"): the store records route/out/PREFIX and
 * route/did/NUMBER the call engine's directory reads, checked with the
 * directory's rules; docs/webadmin.md "Routes". */
wa_resp *wa_api_routes(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest);

/* ---- lighttpd (walighttpd.c, wasup.c) and FastCGI (wafcgi.c) ---- */
char    *wa_www_find(const wa_conf *c);
char    *wa_lighttpd_config(const wa_conf *c, const char *dir, const char *www);
gboolean wa_lighttpd_files(const wa_conf *c, const char *dir, GError **err);
/* A listening TCP socket (close-on-exec), or -1 with an error. */
int      wa_listen(const char *host, guint port, GError **err);
typedef struct wa_sup wa_sup;
/* lighttpd gets fds[0..nfds-1] as its activated sockets 3, 4, ...; the
 * first start is queued on the management loop (after any privilege drop). */
wa_sup  *wa_sup_start(const char *lighttpd, const char *conf_path, const int *fds,
		      guint nfds, GError **err);
void     wa_sup_stop(wa_sup *s);
/* ---- certificates area (wacert.c, walighttpd.c, wasup.c) ----
 * DIR/cert.pem and DIR/key.pem (0600) from the core's current server
 * context. The supervisor rewrites them on tls.certificate.changed and
 * restarts lighttpd gracefully (SIGINT: requests in flight finish; the
 * listening sockets stay bulwarkd's, so nothing is refused meanwhile). */
gboolean wa_lighttpd_certs(const char *dir, GError **err);
/* Restart lighttpd now without counting it as a failure (why: logged). */
void     wa_sup_restart(wa_sup *s, const char *why);

typedef struct wa_fcgi wa_fcgi;
wa_fcgi *wa_fcgi_start(const char *sock_path, guint workers, GError **err);
void     wa_fcgi_stop(wa_fcgi *f);

#endif
