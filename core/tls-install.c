/* The installed certificate (bulwark/tls.h): inspect it, check an upload,
 * install one at run time.
 *
 * Contract: an install writes DATA_DIR/tls/installed.pem (key, certificate
 * and chain in one file, mode 0600, replaced atomically) before the server
 * context is swapped, so what is served is what a restart loads; then it
 * audits (the fingerprint, never key material), publishes
 * tls.certificate.changed and re-arms the expiry watch. Management thread
 * (audit, bus, expiry timer). */
#define G_LOG_DOMAIN "tls"
#include "tlsctx.h"
#include <bulwark/audit.h>
#include <bulwark/bus.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>

static bw_tls_cert_info *bw_tls_info_of_ctx(SSL_CTX *ctx, time_t now)
{
	X509 *cert = SSL_CTX_get0_certificate(ctx);
	STACK_OF(X509) *chain = NULL;
	if (!cert)
		return NULL;
	SSL_CTX_get0_chain_certs(ctx, &chain);
	char *source = bw_tls_current_source();
	bw_tls_cert_info *i = bw_tls_info_new(cert, chain, source, now);
	g_free(source);
	return i;
}

bw_tls_cert_info *bw_tls_cert_current(GError **err)
{
	SSL_CTX *ctx = bw_tls_server_ctx(err);
	if (!ctx)
		return NULL;
	bw_tls_cert_info *i = bw_tls_info_of_ctx(ctx, time(NULL));
	SSL_CTX_free(ctx);
	if (!i)
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_INVALID,
			    "the TLS server context has no certificate");
	return i;
}

static gboolean bw_tls_upload_load(const bw_tls_upload *u, bw_tls_bundle *b, GError **err)
{
	if (!bw_tls_upload_parse(u, b, err))
		return FALSE;
	if (bw_tls_bundle_check(b, time(NULL), u->pkcs12 != NULL, err))
		return TRUE;
	bw_tls_bundle_clear(b);
	return FALSE;
}

bw_tls_cert_info *bw_tls_cert_check(const bw_tls_upload *u, GError **err)
{
	bw_tls_bundle b;
	if (!bw_tls_upload_load(u, &b, err))
		return NULL;
	bw_tls_cert_info *i = bw_tls_info_new(b.cert, b.chain, "installed", time(NULL));
	bw_tls_bundle_clear(&b);
	return i;
}

static gboolean bw_tls_install_fail(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean bw_tls_install_fail(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_SYSTEM, msg);
	g_free(msg);
	return FALSE;
}

/* Key first, then the certificate and the chain: one PEM file that
 * bw_tls_upload_parse reads back as the "certificate" text. */
static gboolean bw_tls_bundle_write(const bw_tls_bundle *b, const char *path, GError **err)
{
	char *dir = g_path_get_dirname(path);
	int rc = g_mkdir_with_parents(dir, 0700);
	int e = errno;
	g_free(dir);
	if (rc != 0)
		return bw_tls_install_fail(err, "cannot create the directory of %s: %s", path,
					   g_strerror(e));
	BIO *mem = BIO_new(BIO_s_mem());
	gboolean ok = mem && PEM_write_bio_PrivateKey(mem, b->key, NULL, NULL, 0, NULL, NULL) == 1 &&
		      PEM_write_bio_X509(mem, b->cert) == 1;
	for (int i = 0; ok && b->chain && i < sk_X509_num(b->chain); i++)
		ok = PEM_write_bio_X509(mem, sk_X509_value(b->chain, i)) == 1;
	char *data = NULL;
	long len = ok ? BIO_get_mem_data(mem, &data) : 0;
	GError *fe = NULL;
	if (!ok)
		bw_tls_install_fail(err, "cannot encode the certificate and key as PEM");
	else if (!g_file_set_contents_full(path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
					   0600, &fe) || g_chmod(path, 0600) != 0) {
		ok = bw_tls_install_fail(err, "cannot write %s: %s", path,
					 fe ? fe->message : g_strerror(errno));
		g_clear_error(&fe);
	}
	BIO_free(mem);   /* a memory BIO wipes its buffer when freed */
	return ok;
}

static void bw_tls_install_notify(const bw_tls_cert_info *i, const char *actor)
{
	char *detail = g_strdup_printf("subject=%s not_after=%" G_GINT64_FORMAT " serial=%s",
				       i->subject, i->not_after, i->serial);
	GError *e = NULL;
	if (!bw_audit_append(actor ? actor : "system", "tls.certificate.install", i->fingerprint,
			     detail, &e)) {
		g_warning("certificate %s installed, but no audit record: %s", i->fingerprint,
			  e ? e->message : "unknown reason");
		g_clear_error(&e);
	}
	g_free(detail);
	char not_after[32];
	g_snprintf(not_after, sizeof not_after, "%" G_GINT64_FORMAT, i->not_after);
	bw_event_emit("tls.certificate.changed", "subject", i->subject, "fingerprint",
		      i->fingerprint, "not_after", not_after, "source", "installed", NULL);
	g_message("certificate installed by %s: %s, SHA-256 %s, %d days left",
		  actor ? actor : "system", i->subject, i->fingerprint, i->days_left);
}

bw_tls_cert_info *bw_tls_cert_install(const bw_tls_upload *u, const char *actor, GError **err)
{
	char *path = bw_tls_installed_path();
	if (!path) {
		g_set_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_SYSTEM,
			    "TLS is not set up with a data directory: nowhere to install a certificate");
		return NULL;
	}
	bw_tls_bundle b;
	bw_tls_cert_info *i = NULL;
	if (bw_tls_upload_load(u, &b, err)) {
		GError *e = NULL;
		if (bw_tls_bundle_write(&b, path, err) && bw_tls_use_bundle(&b, "installed", &e))
			i = bw_tls_info_new(b.cert, b.chain, "installed", time(NULL));
		else if (e) {   /* the old one stays: so must the file a restart reads */
			g_unlink(path);
			g_set_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_SYSTEM,
				    "the certificate passed the checks but cannot serve TLS: %s", e->message);
			g_error_free(e);
		}
		bw_tls_bundle_clear(&b);
	}
	g_free(path);
	if (!i)
		return NULL;
	bw_tls_install_notify(i, actor);
	bw_tls_expiry_rearm();
	return i;
}
