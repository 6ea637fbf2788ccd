/* Module webadmin: the web administration's back end. start() creates the
 * first administrator if there is none, writes DATA_DIR/webadmin (the
 * certificate, lighttpd.conf), opens the FastCGI responder and starts
 * lighttpd under supervision; stop() undoes it in reverse. Configuration:
 * <module name="webadmin" https="0.0.0.0:443" http="0.0.0.0:80"
 *  tls-compat="false" session-idle="15m" session-max="12h"
 *  max-sessions="50" lockout="standard|strict" allow="CIDR ..."/>
 * (docs/webadmin.md lists every attribute). */
#include "webadmin.h"
#include <bulwark/bulwark.h>
#include <errno.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

typedef struct wa_mod {
	wa_conf *conf;
	char *dir;
	wa_fcgi *fcgi;
	wa_sup *sup;
	int fds[2];           /* https, http listeners handed to lighttpd */
	guint nfds;
} wa_mod;

static int wa_init(bw_module *m)
{
	GError *err = NULL;
	wa_conf *c = wa_conf_parse(bw_module_conf(m), &err);
	if (!c) {
		g_warning("%s", err->message);
		g_error_free(err);
		return EINVAL;
	}
	wa_mod *w = g_new0(wa_mod, 1);
	w->conf = c;
	w->fds[0] = w->fds[1] = -1;
	bw_module_set_data(m, w);
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

static gboolean wa_bind(wa_mod *w, GError **err)
{
	const wa_conf *c = w->conf;
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

static gboolean wa_start_all(wa_mod *w, GError **err)
{
	if (!bw_store_system()) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
			    "webadmin: the system store is not open");
		return FALSE;
	}
	w->dir = g_build_filename(bw_data_dir(), "webadmin", NULL);
	if (!wa_acct_bootstrap(w->conf, err) || !wa_lighttpd_files(w->conf, w->dir, err))
		return FALSE;
	wa_api_init(w->conf);
	char *sock = g_build_filename(w->dir, "fcgi.sock", NULL);
	w->fcgi = wa_fcgi_start(sock, w->conf->workers, err);
	g_free(sock);
	char *conf_path = NULL;
	gboolean ok = w->fcgi && wa_bind(w, err) && wa_write_conf(w, &conf_path, err);
	if (ok)
		w->sup = wa_sup_start(w->conf->lighttpd, conf_path, w->fds, w->nfds, err);
	g_free(conf_path);
	return ok && w->sup;
}

static void wa_stop_all(wa_mod *w)
{
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
