/* What lighttpd needs, written into DATA_DIR/webadmin (0700): the
 * certificate and key the core serves (cert.pem, key.pem, 0600, taken from
 * bw_tls_server_ctx so the customer's certificate is used when installed;
 * rewritten when a new one is installed, see wasup.c) and lighttpd.conf.
 * TLS is the main listener; the plain one is a $SERVER["socket"] block that only redirects (the other way round served
 * a page in clear to a Host-less request, see DESIGN pitfalls). */
#define _GNU_SOURCE
#include "webadmin.h"
#include <bulwark/tls.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#ifndef BW_WWWDIR
#define BW_WWWDIR "/usr/local/share/bulwark/www"
#endif

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'"

char *wa_www_find(const wa_conf *c)
{
	if (c->www_dir)
		return g_strdup(c->www_dir);
	const char *env = g_getenv("BULWARK_WWW_DIR");
	if (env && *env)
		return g_strdup(env);
#if defined(BW_BUILDDIR) && defined(BW_SRCWWW)
	/* A module running from the build tree serves the source tree's www/,
	 * as the loader finds build-tree modules through BULWARK_MODULE_PATH. */
	Dl_info info;
	if (dladdr((void *)wa_www_find, &info) && info.dli_fname &&
	    g_str_has_prefix(info.dli_fname, BW_BUILDDIR "/"))
		return g_strdup(BW_SRCWWW);
#endif
	return g_strdup(BW_WWWDIR);
}

/* Written beside and renamed over, so a lighttpd starting meanwhile reads
 * the old file or the new one, never half of one. */
static gboolean write_bio_file(const char *path, BIO *bio, GError **err)
{
	char *data = NULL;
	long len = BIO_get_mem_data(bio, &data);
	char *tmp = g_strconcat(path, ".new", NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	gboolean ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
		      write(fd, data, (size_t)len) == (ssize_t)len && fsync(fd) == 0;
	int e = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = FALSE;
		e = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = FALSE;
		e = errno;
	}
	if (!ok) {
		unlink(tmp);
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "webadmin: cannot write %s: %s", path, g_strerror(e));
	}
	g_free(tmp);
	return ok;
}

static gboolean write_pems(SSL_CTX *ctx, const char *dir, GError **err)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *key = SSL_CTX_get0_privatekey(ctx);
	if (!cert || !key) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "webadmin: the core's TLS context has no certificate or key");
		return FALSE;
	}
	STACK_OF(X509) *chain = NULL;
	SSL_CTX_get0_chain_certs(ctx, &chain);
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	gboolean ok = PEM_write_bio_X509(cb, cert) == 1;
	for (int i = 0; ok && chain && i < sk_X509_num(chain); i++)
		ok = PEM_write_bio_X509(cb, sk_X509_value(chain, i)) == 1;
	ok = ok && PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1;
	char *cp = g_build_filename(dir, "cert.pem", NULL);
	char *kp = g_build_filename(dir, "key.pem", NULL);
	if (!ok)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "webadmin: cannot encode the certificate or key as PEM");
	ok = ok && write_bio_file(kp, kb, err) && write_bio_file(cp, cb, err);
	g_free(cp);
	g_free(kp);
	BIO_free(cb);
	BIO_free(kb);
	return ok;
}

gboolean wa_lighttpd_files(const wa_conf *c, const char *dir, GError **err)
{
	(void)c;
	if (g_mkdir_with_parents(dir, 0700) != 0 || chmod(dir, 0700) != 0) {
		int e = errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "webadmin: cannot create %s (mode 0700): %s", dir, g_strerror(e));
		return FALSE;
	}
	return wa_lighttpd_certs(dir, err);
}

gboolean wa_lighttpd_certs(const char *dir, GError **err)
{
	SSL_CTX *ctx = bw_tls_server_ctx(err);
	if (!ctx) {
		g_prefix_error(err, "webadmin: no certificate for HTTPS: ");
		return FALSE;
	}
	gboolean ok = write_pems(ctx, dir, err);
	SSL_CTX_free(ctx);
	return ok;
}

/* lighttpd strings are double-quoted; paths with quotes or backslashes are
 * refused by the caller rather than escaped. */
static gboolean plain_ok(const char *s)
{
	return s && !strpbrk(s, "\"\\\n\r$");
}

static char *sock_addr(const char *host, guint port)
{
	return strchr(host, ':') ? g_strdup_printf("[%s]:%u", host, port)
				 : g_strdup_printf("%s:%u", host, port);
}

static void conf_http(GString *g, const wa_conf *c)
{
	if (!c->http_port)
		return;
	char *plain = sock_addr(c->http_host, c->http_port);
	char *port = c->https_port == 443 ? g_strdup("") : g_strdup_printf(":%u", c->https_port);
	g_string_append_printf(g,
		"$SERVER[\"socket\"] == \"%s\" {\n"
		"  ssl.engine = \"disable\"\n"
		"  fastcgi.server = ()\n"
		"  url.access-deny = (\"\")\n"
		"  $HTTP[\"host\"] =~ \"^([A-Za-z0-9.-]+)(:[0-9]+)?$\" {\n"
		"    url.redirect-code = 301\n"
		"    url.redirect = (\"\" => \"https://%%1%s${url.path}${qsa}\")\n"
		"  }\n"
		"}\n", plain, port);
	g_free(port);
	g_free(plain);
}

char *wa_lighttpd_config(const wa_conf *c, const char *dir, const char *www)
{
	if (!plain_ok(dir) || !plain_ok(www))
		return NULL;
	/* lighttpd takes an IPv6 address in brackets ("::1" fails to resolve) */
	char *bind = strchr(c->https_host, ':') ? g_strdup_printf("[%s]", c->https_host)
						 : g_strdup(c->https_host);
	GString *g = g_string_new("# written by bulwarkd (webadmin); changes are overwritten\n");
	g_string_append(g,
		"server.modules = (\"mod_openssl\", \"mod_redirect\", \"mod_access\",\n"
		"                  \"mod_setenv\", \"mod_fastcgi\")\n");
	g_string_append_printf(g,
		"server.document-root = \"%s\"\n"
		"server.bind = \"%s\"\n"
		"server.port = %u\n"
		"server.errorlog = \"%s/lighttpd.log\"\n"
		"server.upload-dirs = (\"%s\")\n"
		"server.tag = \"\"\n"
		"server.systemd-socket-activation = \"enable\"\n"
		"server.max-request-size = 2048\n"
		"server.follow-symlink = \"disable\"\n"
		"server.graceful-shutdown-timeout = 5\n"
		"index-file.names = (\"index.html\")\n"
		"url.access-deny = (\"~\", \".inc\")\n"
		"ssl.engine = \"enable\"\n"
		"ssl.pemfile = \"%s/cert.pem\"\n"
		"ssl.privkey = \"%s/key.pem\"\n"
		"ssl.openssl.ssl-conf-cmd = (\"MinProtocol\" => \"%s\",\n"
		"  \"CipherString\" => \"%s\", \"Ciphersuites\" => \"%s\", \"Groups\" => \"%s\")\n",
		www, bind, c->https_port, dir, dir, dir, dir, c->tls_compat ? "TLSv1.2" : "TLSv1.3",
		bw_tls_policy("CipherString"), bw_tls_policy("Ciphersuites"), bw_tls_policy("Groups"));
	g_free(bind);
	g_string_append(g,
		"mimetype.assign = (\".html\" => \"text/html; charset=utf-8\",\n"
		"  \".js\" => \"text/javascript; charset=utf-8\", \".css\" => \"text/css; charset=utf-8\",\n"
		"  \".svg\" => \"image/svg+xml\", \".png\" => \"image/png\", \".ico\" => \"image/x-icon\",\n"
		"  \".json\" => \"application/json\", \".woff2\" => \"font/woff2\")\n"
		"setenv.set-response-header = (\n"
		"  \"Strict-Transport-Security\" => \"max-age=31536000\",\n"
		"  \"Content-Security-Policy\" => \"" CSP "\",\n"
		"  \"X-Content-Type-Options\" => \"nosniff\",\n"
		"  \"X-Frame-Options\" => \"DENY\",\n"
		"  \"Referrer-Policy\" => \"no-referrer\",\n"
		"  \"Cache-Control\" => \"no-store\")\n");
	g_string_append_printf(g,
		"fastcgi.server = (\"/api/\" => ((\"socket\" => \"%s/fcgi.sock\",\n"
		"  \"check-local\" => \"disable\", \"max-procs\" => 1)))\n", dir);
	conf_http(g, c);
	return g_string_free(g, FALSE);
}
