/* Delivering one queued message to the relay with libcurl's easy
 * interface (blocking, bounded by timeouts), and the retry schedule.
 *
 * TLS is required unless configured off: STARTTLS with CURLUSESSL_ALL (a
 * relay that does not offer it fails the transfer; never a fallback to
 * clear text) or implicit TLS (smtps://); TLS 1.3 minimum unless 1.2 is
 * configured; the chain and host name always verified. Credentials are set
 * only when a user name is configured (libcurl 7.88 fails with 67 when it
 * has credentials and the relay offers no AUTH). */
#ifndef BW_SMTPSEND_H
#define BW_SMTPSEND_H

#include <glib.h>

typedef enum {
	BW_SMTP_TLS_STARTTLS,
	BW_SMTP_TLS_IMPLICIT,
	BW_SMTP_TLS_NONE,
} bw_smtp_tls;

#define BW_SMTP_BACKOFF_FIRST  (1 * G_USEC_PER_SEC)
#define BW_SMTP_BACKOFF_MAX    (300 * G_USEC_PER_SEC)

typedef struct bw_smtpsend_conf {
	char       *url;          /* effective: smtp://HOST[:PORT] or smtps:// */
	bw_smtp_tls tls;
	gboolean    tls12;        /* accept TLS 1.2 (default: 1.3 minimum) */
	char       *ca_file;      /* NULL: the system trust store */
	char       *username;     /* NULL: no AUTH */
	char       *password;     /* never logged; wiped when freed */
	char       *auth;         /* "PLAIN", "LOGIN", "CRAM-MD5" or NULL (any) */
	char       *from;
	long        connect_timeout;  /* seconds */
	long        total_timeout;    /* seconds */
} bw_smtpsend_conf;

void bw_smtpsend_conf_clear(bw_smtpsend_conf *c);

/* The URL to hand libcurl for that TLS mode: "smtp://" for starttls and
 * none, "smtps://" for implicit. NULL with an error for a URL that is not
 * smtp:// or smtps://, carries credentials (user@), or contradicts the
 * mode (smtps:// with starttls/none). */
char *bw_smtpsend_url(const char *url, bw_smtp_tls tls, GError **error);

/* Polled about once a second during a transfer; TRUE aborts it. */
typedef gboolean (*bw_smtpsend_abort_fn)(void *user_data);

/* Blocking. FALSE with an error naming the relay, libcurl's reason and
 * the relay's last reply code (never the password). */
gboolean bw_smtpsend_deliver(const bw_smtpsend_conf *c, const char *const *rcpt,
			     const char *data, gsize len,
			     bw_smtpsend_abort_fn abort_fn, void *user_data,
			     GError **error);

/* Delay before retry number attempt (0-based): 1 s doubling up to 5 min,
 * minus up to 20 % jitter (jitter in [0, 1)) so that relays coming back
 * are not hit by every sender at once. Microseconds. */
gint64 bw_smtpsend_backoff(guint attempt, double jitter);

#endif
