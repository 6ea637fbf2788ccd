/* Certificate expiry watch. Once the modules have started (so that alarm
 * destinations are registered), and then every 12 hours, the certificate of
 * the current server context is compared with the clock: from
 * BW_TLS_EXPIRY_WARN_DAYS days before its notAfter on (and after it) the
 * event tls.certificate.expiring is published with subject, not_after and
 * days_left. The default alarm rule tls-certificate-expiring turns it into
 * an alarm and clears it a day after the last one, i.e. once a new
 * certificate is in place; installing one re-arms the watch at once
 * (bw_tls_expiry_rearm). Management thread only. */
#define G_LOG_DOMAIN "tls"
#include "tlsctx.h"
#include <bulwark/bus.h>
#include <bulwark/tls.h>
#include <openssl/x509.h>

#define EXPIRY_CHECK_SECONDS (12 * 3600)

static guint expiry_timer;

int bw_tls_days_left(const X509 *cert, time_t now)
{
	int days = 0, secs = 0;
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	gboolean ok = t && ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(cert));

	ASN1_TIME_free(t);
	/* an unreadable date counts as expired: say so rather than stay quiet */
	return ok ? days : -1;
}

char *bw_tls_time_text(const ASN1_TIME *t, const char *fallback)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *text = NULL;
	long n;

	if (b && ASN1_TIME_print(b, t) && (n = BIO_get_mem_data(b, &data)) > 0)
		text = g_strndup(data, (gsize)n);
	BIO_free(b);
	return text ? text : g_strdup(fallback);
}

static void bw_tls_expiry_publish(const X509 *cert, int days)
{
	char *subject = X509_NAME_oneline(X509_get_subject_name(cert), NULL, 0);
	char *not_after = bw_tls_time_text(X509_get0_notAfter(cert), "unknown");
	char left[16];

	g_snprintf(left, sizeof left, "%d", days);
	g_warning("TLS certificate %s %s on %s (%d days): install a new one (WebAdmin "
		  "Certificates page, or <tls>), or delete the generated one in the data "
		  "directory's tls/ to get a fresh one",
		  subject ? subject : "?", days < 0 ? "expired" : "expires", not_after, days);
	bw_event_emit("tls.certificate.expiring", "subject", subject ? subject : "?",
		      "not_after", not_after, "days_left", left, NULL);
	OPENSSL_free(subject);
	g_free(not_after);
}

gboolean bw_tls_expiry_check(time_t now, int warn_days)
{
	SSL_CTX *ctx = bw_tls_server_ctx(NULL);
	X509 *cert = ctx ? SSL_CTX_get0_certificate(ctx) : NULL;
	gboolean expiring = FALSE;

	if (cert) {
		int days = bw_tls_days_left(cert, now);
		expiring = days <= warn_days;
		if (expiring)
			bw_tls_expiry_publish(cert, days);
	}
	SSL_CTX_free(ctx);
	return expiring;
}

static gboolean bw_tls_expiry_tick(gpointer unused)
{
	bw_tls_expiry_check(time(NULL), BW_TLS_EXPIRY_WARN_DAYS);
	return G_SOURCE_CONTINUE;
}

void bw_tls_expiry_start(void)
{
	bw_tls_expiry_stop();
	bw_tls_expiry_check(time(NULL), BW_TLS_EXPIRY_WARN_DAYS);
	expiry_timer = g_timeout_add_seconds(EXPIRY_CHECK_SECONDS, bw_tls_expiry_tick, NULL);
}

void bw_tls_expiry_stop(void)
{
	if (expiry_timer)
		g_source_remove(expiry_timer);
	expiry_timer = 0;
}

void bw_tls_expiry_rearm(void)
{
	if (expiry_timer)
		bw_tls_expiry_start();
}
