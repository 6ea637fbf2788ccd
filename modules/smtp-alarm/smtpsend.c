/* libcurl SMTP delivery (see smtpsend.h). One easy handle per attempt:
 * attempts are seconds apart at least, and a fresh handle carries no
 * state (connection, TLS session, half-done AUTH) from a failed one. */
#include <string.h>
#include <curl/curl.h>
#include "smtpsend.h"

typedef struct smtpsend_src {
	const char *data;
	gsize       len;
	gsize       off;
} smtpsend_src;

typedef struct smtpsend_abort {
	bw_smtpsend_abort_fn fn;
	void                *user_data;
} smtpsend_abort;

static void smtpsend_wipe(char *s)
{
	if (s == NULL)
		return;
	/* volatile: the compiler must not drop the stores before g_free */
	for (volatile char *p = s; *p; p++)
		*p = '\0';
}

void bw_smtpsend_conf_clear(bw_smtpsend_conf *c)
{
	smtpsend_wipe(c->password);
	g_free(c->password);
	g_free(c->url);
	g_free(c->ca_file);
	g_free(c->username);
	g_free(c->auth);
	g_free(c->from);
	memset(c, 0, sizeof *c);
}

char *bw_smtpsend_url(const char *url, bw_smtp_tls tls, GError **error)
{
	const char *rest = NULL;
	gboolean smtps = FALSE;

	if (url && g_str_has_prefix(url, "smtp://"))
		rest = url + 7;
	else if (url && g_str_has_prefix(url, "smtps://")) {
		rest = url + 8;
		smtps = TRUE;
	}
	if (rest == NULL || *rest == '\0' || *rest == '/' || strlen(url) > 1024) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "url must be smtp://HOST[:PORT] or smtps://HOST[:PORT]");
		return NULL;
	}
	for (const char *p = rest; *p; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '@') {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "url must not hold spaces, controls or credentials "
				    "(use username and password-file)");
			return NULL;
		}
	}
	if (smtps && tls != BW_SMTP_TLS_IMPLICIT) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "url smtps:// means implicit TLS, but tls is not \"implicit\"");
		return NULL;
	}
	return g_strconcat(tls == BW_SMTP_TLS_IMPLICIT ? "smtps://" : "smtp://", rest, NULL);
}

static size_t smtpsend_read(char *buf, size_t size, size_t nitems, void *user_data)
{
	smtpsend_src *src = user_data;
	size_t n = MIN(size * nitems, src->len - src->off);

	memcpy(buf, src->data + src->off, n);
	src->off += n;
	return n;
}

static int smtpsend_progress(void *user_data, curl_off_t dltotal, curl_off_t dlnow,
			     curl_off_t ultotal, curl_off_t ulnow)
{
	const smtpsend_abort *a = user_data;

	return a->fn != NULL && a->fn(a->user_data) ? 1 : 0;
}

static gboolean smtpsend_setopts(CURL *h, const bw_smtpsend_conf *c)
{
	gboolean ok = TRUE;

#define SET(opt, val) ok = ok && curl_easy_setopt(h, opt, val) == CURLE_OK
	SET(CURLOPT_URL, c->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_SMTP | CURLPROTO_SMTPS));
#endif
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
	SET(CURLOPT_TIMEOUT, c->total_timeout);
	SET(CURLOPT_USE_SSL, (long)(c->tls == BW_SMTP_TLS_NONE ? CURLUSESSL_NONE : CURLUSESSL_ALL));
	SET(CURLOPT_SSLVERSION, (long)(c->tls12 ? CURL_SSLVERSION_TLSv1_2 : CURL_SSLVERSION_TLSv1_3));
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (c->username) {
		SET(CURLOPT_USERNAME, c->username);
		SET(CURLOPT_PASSWORD, c->password ? c->password : "");
		if (c->auth) {
			g_autofree char *opt = g_strconcat("AUTH=", c->auth, NULL);
			SET(CURLOPT_LOGIN_OPTIONS, opt);
		}
	}
	SET(CURLOPT_UPLOAD, 1L);
#undef SET
	return ok;
}

static void smtpsend_error(GError **error, const bw_smtpsend_conf *c, CURL *h,
			   CURLcode rc, const char *detail)
{
	long reply = 0;

	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		    "delivery to %s failed: %s (curl %d%s%s; last reply %ld)", c->url,
		    curl_easy_strerror(rc), (int)rc, *detail ? ": " : "", detail, reply);
}

gboolean bw_smtpsend_deliver(const bw_smtpsend_conf *c, const char *const *rcpt,
			     const char *data, gsize len,
			     bw_smtpsend_abort_fn abort_fn, void *user_data,
			     GError **error)
{
	smtpsend_src src = { data, len, 0 };
	smtpsend_abort ab = { abort_fn, user_data };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *to = NULL;
	g_autofree char *from = g_strdup_printf("<%s>", c->from);
	CURL *h = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	gboolean ok = FALSE;

	if (h == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			    "delivery to %s: libcurl cannot create a handle", c->url);
		return FALSE;
	}
	for (guint i = 0; rcpt[i]; i++) {
		g_autofree char *r = g_strdup_printf("<%s>", rcpt[i]);
		to = curl_slist_append(to, r);
	}
	if (to != NULL && smtpsend_setopts(h, c) &&
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, to) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, smtpsend_read) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_READDATA, &src) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, smtpsend_progress) == CURLE_OK &&
	    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &ab) == CURLE_OK)
		rc = curl_easy_perform(h);
	else
		g_strlcpy(errbuf, "cannot set libcurl options (libcurl too old?)", sizeof errbuf);
	ok = rc == CURLE_OK;
	if (!ok)
		smtpsend_error(error, c, h, rc, errbuf);
	curl_slist_free_all(to);
	curl_easy_cleanup(h);
	return ok;
}

gint64 bw_smtpsend_backoff(guint attempt, double jitter)
{
	gint64 d = BW_SMTP_BACKOFF_FIRST;

	for (guint i = 0; i < attempt && d < BW_SMTP_BACKOFF_MAX; i++)
		d *= 2;
	d = MIN(d, BW_SMTP_BACKOFF_MAX);
	jitter = CLAMP(jitter, 0.0, 0.999999);
	return d - (gint64)((double)d * 0.2 * jitter);
}
