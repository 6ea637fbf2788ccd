/* Module webadmin: the web administration's back end. start() creates the
 * first administrator if there is none, writes DATA_DIR/webadmin (the
 * certificate, lighttpd.conf), opens the FastCGI responder and starts
 * lighttpd under supervision; stop() undoes it in reverse. Configuration:
 * <module name="webadmin" https="0.0.0.0:443" http="0.0.0.0:80"
 *  tls-compat="false" session-idle="15m" session-max="12h"
 *  max-sessions="50" lockout="standard|strict" allow="CIDR ..."/>
 * (docs/webadmin.md lists every attribute).
 *
 * Security options form: the saved record WA_SEC_KEY overrides the XML
 * (wasecurity.c). It is applied at start and again whenever it changes
 * (store watch, management thread): wa_conf changes in place, and a change
 * of TLS compatibility or of the redirect restarts lighttpd with a new
 * configuration. The plain listener stays bound while the redirect is off
 * (shut down, so connections are refused) and listens again when it comes
 * back on: bulwarkd may no longer be allowed to bind port 80 by then. */
#include "webadmin.h"
#include <bulwark/bulwark.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Delay before a lighttpd restart caused by a saved option, so the answer
 * to the request that saved it leaves through the old lighttpd first. */
#define WA_RESTART_DELAY_MS 500

typedef struct wa_mod {
	wa_conf *conf;
	wa_conf *xml;         /* as the XML gave it: what the form falls back to */
	char *dir;
	wa_fcgi *fcgi;
	wa_sup *sup;
	int fds[2];           /* https, http listeners handed to lighttpd */
	guint nfds;
	bw_watch *sec_watch;  /* WA_SEC_KEY */
	GSource *restart;     /* pending lighttpd restart */
} wa_mod;

static wa_mod *wa_live;

const wa_conf *wa_conf_xml(void)
{
	return wa_live ? wa_live->xml : NULL;
}

static int wa_init(bw_module *m)
{
	GError *err = NULL;
	wa_conf *c = wa_conf_parse(bw_module_conf(m), &err);
	wa_conf *xml = c ? wa_conf_parse(bw_module_conf(m), &err) : NULL;
	if (!xml) {
		g_warning("%s", err->message);
		g_error_free(err);
		wa_conf_free(c);
		return EINVAL;
	}
	wa_mod *w = g_new0(wa_mod, 1);
	w->conf = c;
	w->xml = xml;
	w->fds[0] = w->fds[1] = -1;
	bw_module_set_data(m, w);
	wa_live = w;
	return 0;
}

static void wa_announce(const wa_conf *c)
{
	char *s = g_strdup_printf("%s:%u", c->https_host, c->https_port);
	bw_listener_announce("webadmin/https", s);
	g_free(s);
	if (c->http_port) {
		s = g_strdup_printf("%s:%u (redirect to https)", c->http_host, c->http_port);
		bw_listener_announce("webadmin/http", s);
		g_free(s);
	}
}

static gboolean wa_write_conf(wa_mod *w, char **path, GError **err)
{
	char *www = wa_www_find(w->conf);
	char *text = wa_lighttpd_config(w->conf, w->dir, www);
	if (!text) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "webadmin: the paths %s or %s contain quotes, backslashes or '$'",
			    w->dir, www);
		g_free(www);
		return FALSE;
	}
	if (!g_file_test(www, G_FILE_TEST_IS_DIR))
		g_warning("webadmin: the front end directory %s does not exist: only /api/ will answer", www);
	g_free(www);
	*path = g_build_filename(w->dir, "lighttpd.conf", NULL);
	gboolean ok = g_file_set_contents_full(*path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
					       0600, err);
	g_free(text);
	return ok;
}

/* Binds what the XML names; the redirect option only opens or shuts the
 * plain listener (wa_http_gate). */
static gboolean wa_bind(wa_mod *w, GError **err)
{
	const wa_conf *c = w->xml;
	w->fds[0] = wa_listen(c->https_host, c->https_port, err);
	if (w->fds[0] < 0)
		return FALSE;
	w->nfds = 1;
	if (!c->http_port)
		return TRUE;
	w->fds[1] = wa_listen(c->http_host, c->http_port, err);
	if (w->fds[1] < 0)
		return FALSE;
	w->nfds = 2;
	return TRUE;
}

/* The plain listener accepts only while the redirect is on; shut down, it
 * refuses connections but keeps its (explicitly bound) port. */
static void wa_http_gate(wa_mod *w)
{
	if (w->fds[1] < 0)
		return;
	if (w->conf->http_port && listen(w->fds[1], SOMAXCONN) != 0)
		g_warning("webadmin: cannot listen again on the plain listener %s:%u: %s",
			  w->xml->http_host, w->xml->http_port, g_strerror(errno));
	if (!w->conf->http_port)
		shutdown(w->fds[1], SHUT_RDWR);   /* ENOTCONN when already shut: fine */
}

static guint wa_nfds(const wa_mod *w)
{
	return w->conf->http_port && w->nfds > 1 ? 2 : 1;
}

static gboolean wa_start_all(wa_mod *w, GError **err)
{
	if (!bw_store_system()) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
			    "webadmin: the system store is not open");
		return FALSE;
	}
	w->dir = g_build_filename(bw_data_dir(), "webadmin", NULL);
	gint64 rev = 0;
	JsonObject *saved = wa_sec_load(&rev);
	wa_sec_apply(w->conf, w->xml, saved);
	json_object_unref(saved);
	if (!wa_acct_bootstrap(w->conf, err) || !wa_lighttpd_files(w->conf, w->dir, err))
		return FALSE;
	wa_api_init(w->conf);
	char *sock = g_build_filename(w->dir, "fcgi.sock", NULL);
	w->fcgi = wa_fcgi_start(sock, w->conf->workers, err);
	g_free(sock);
	char *conf_path = NULL;
	gboolean ok = w->fcgi && wa_bind(w, err) && wa_write_conf(w, &conf_path, err);
	if (ok) {
		wa_http_gate(w);
		w->sup = wa_sup_start(w->conf->lighttpd, conf_path, w->fds, wa_nfds(w), err);
	}
	g_free(conf_path);
	return ok && w->sup;
}

static void wa_stop_all(wa_mod *w)
{
	g_clear_pointer(&w->sec_watch, bw_store_unwatch);
	if (w->restart) {
		g_source_destroy(w->restart);
		g_clear_pointer(&w->restart, g_source_unref);
	}
	wa_sup_stop(w->sup);
	w->sup = NULL;
	for (guint i = 0; i < G_N_ELEMENTS(w->fds); i++) {
		if (w->fds[i] >= 0)
			close(w->fds[i]);
		w->fds[i] = -1;
	}
	w->nfds = 0;
	wa_fcgi_stop(w->fcgi);
	w->fcgi = NULL;
	wa_api_fini();
	g_free(w->dir);
	w->dir = NULL;
}

/* Management loop, WA_RESTART_DELAY_MS after a saved change of TLS
 * compatibility or of the redirect. */
static gboolean wa_restart_lighttpd(gpointer data)
{
	wa_mod *w = data;
	g_clear_pointer(&w->restart, g_source_unref);
	wa_sup_stop(w->sup);
	w->sup = NULL;
	wa_http_gate(w);
	char *path = NULL;
	GError *err = NULL;
	if (wa_write_conf(w, &path, &err))
		w->sup = wa_sup_start(w->conf->lighttpd, path, w->fds, wa_nfds(w), &err);
	if (!w->sup) {
		g_warning("webadmin: lighttpd not restarted after a security option changed: %s",
			  err ? err->message : "unknown reason");
		g_clear_error(&err);
	}
	g_free(path);
	bw_listener_withdraw("webadmin/http");
	wa_announce(w->conf);
	return G_SOURCE_REMOVE;
}

static void wa_sec_changed(const char *key, GBytes *value, gint64 revision, void *data)
{
	wa_mod *w = data;
	if (strcmp(key, WA_SEC_KEY) != 0)
		return;
	gboolean tls = w->conf->tls_compat;
	guint http = w->conf->http_port;
	JsonObject *saved = wa_sec_parse(value);
	wa_sec_apply(w->conf, w->xml, saved);
	json_object_unref(saved);
	g_message("webadmin: security options of revision %" G_GINT64_FORMAT " applied", revision);
	if ((tls == w->conf->tls_compat && http == w->conf->http_port) || w->restart)
		return;
	g_message("webadmin: restarting lighttpd for TLS compatibility %s, redirect %s",
		  w->conf->tls_compat ? "on" : "off", w->conf->http_port ? "on" : "off");
	w->restart = g_timeout_source_new(WA_RESTART_DELAY_MS);
	g_source_set_callback(w->restart, wa_restart_lighttpd, w, NULL);
	g_source_attach(w->restart, bw_mgmt_context());
}

static int wa_start(bw_module *m)
{
	wa_mod *w = bw_module_data(m);
	GError *err = NULL;
	if (!wa_start_all(w, &err)) {
		g_warning("%s", err->message);
		g_error_free(err);
		wa_stop_all(w);
		return EIO;
	}
	wa_announce(w->conf);
	w->sec_watch = bw_store_watch(bw_store_system(), WA_SEC_KEY, bw_mgmt_context(),
				      wa_sec_changed, w);
	return 0;
}

static void wa_stop(bw_module *m)
{
	wa_mod *w = bw_module_data(m);
	bw_listener_withdraw("webadmin/https");
	bw_listener_withdraw("webadmin/http");
	wa_stop_all(w);
}

static void wa_fini(bw_module *m)
{
	wa_mod *w = bw_module_data(m);
	if (!w)
		return;
	wa_conf_free(w->conf);
	wa_conf_free(w->xml);
	if (wa_live == w)
		wa_live = NULL;
	g_free(w);
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "webadmin",
	.version = "0.1.0",
	.summary = "web administration: FastCGI API behind a supervised lighttpd",
	.init = wa_init,
	.start = wa_start,
	.stop = wa_stop,
	.fini = wa_fini,
);
