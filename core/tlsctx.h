/* Internal: TLS set-up from <tls>, certificate generation, hardening. */
#ifndef BW_TLSCTX_H
#define BW_TLSCTX_H

#include <glib.h>
#include <time.h>
#include <openssl/x509.h>
#include <bulwark/tls.h>
#include "config.h"

/* Errors of this area (TLS, hardening, logging set-up). */
#define BW_TLS_ERROR (bw_tls_error_quark())
GQuark bw_tls_error_quark(void);
typedef enum {
	BW_TLS_ERROR_INVALID,   /* bad or contradictory settings */
	BW_TLS_ERROR_IO,        /* a file cannot be read or written */
	BW_TLS_ERROR_CRYPTO,    /* OpenSSL refused a certificate, key or context */
	BW_TLS_ERROR_UNSAFE,    /* permissions that let others tamper */
	BW_TLS_ERROR_PRIVILEGE  /* cannot switch user */
} bw_tls_error;

/* Load (or on first start generate, in data_dir) the certificate described
 * by the configuration's <tls> element. */
gboolean bw_tls_configure(const bw_config *cfg, GError **err);
void     bw_tls_shutdown(void);
/* Used by config checks: is the certificate/key/PKCS#12 named by <tls>
 * readable and parseable? */
gboolean bw_tls_check_files(const bw_conf_node *tls, GError **err);

/* The plain-parameter form behind bw_tls_configure / bw_tls_check_files
 * (NULL members: absent attributes). */
typedef struct bw_tls_params {
	const char *certificate;    /* PEM leaf (may be followed by the chain) */
	const char *key;            /* PEM private key */
	const char *chain;          /* PEM intermediates */
	const char *pkcs12;         /* .p12/.pfx instead of certificate+key */
	const char *password_file;  /* first line: the PKCS#12 or key password */
	const char *min_version;    /* "1.3" (default) or "1.2" */
	const char *key_type;       /* "ec" (default, P-256) or "rsa" (3072) */
	const char *data_dir;       /* the generated certificate goes in DIR/tls */
	const char *host_name;      /* NULL: g_get_host_name() */
	const char *system_name;    /* O= of the generated certificate, may be NULL */
} bw_tls_params;
/* Build a server context from p and make it the current one (a later call
 * swaps it; references already handed out stay valid). */
gboolean bw_tls_configure_params(const bw_tls_params *p, GError **err);
/* Only the checks: settings valid, named files readable and consistent. */
gboolean bw_tls_check_params(const bw_tls_params *p, GError **err);

/* Certificate expiry watch (tls-expiry.c): whole days from now to the
 * certificate's notAfter (negative once expired, -1 when unreadable); a
 * check that publishes tls.certificate.expiring when the current server
 * certificate has warn_days or fewer left (TRUE then); start checks now and
 * every 12 hours, on the management context. */
#define BW_TLS_EXPIRY_WARN_DAYS 30
int      bw_tls_days_left(const X509 *cert, time_t now);
/* A certificate date as OpenSSL prints it (g_free), or fallback when it
 * cannot be printed; shared with the upload checks (tls-cert.c). */
char    *bw_tls_time_text(const ASN1_TIME *t, const char *fallback);
gboolean bw_tls_expiry_check(time_t now, int warn_days);
void     bw_tls_expiry_start(void);
void     bw_tls_expiry_stop(void);

/* ---- certificate upload and replacement (tls-cert.c, tls-install.c) ----
 * A certificate, its key and the chain sent after it. */
typedef struct bw_tls_bundle {
	X509 *cert;
	EVP_PKEY *key;
	STACK_OF(X509) *chain;      /* may be NULL */
} bw_tls_bundle;
void     bw_tls_bundle_clear(bw_tls_bundle *b);
/* (tls.c) Make b the current server identity at the current minimum
 * version, noting its source ("installed", ...); b stays the caller's. */
gboolean bw_tls_use_bundle(const bw_tls_bundle *b, const char *source, GError **err);
/* (tls.c) DATA_DIR/tls/installed.pem of the running set-up, NULL before a
 * successful bw_tls_configure*; and where the current certificate came
 * from. g_free both. */
char    *bw_tls_installed_path(void);
char    *bw_tls_current_source(void);
/* (tls-cert.c) The upload's texts or PKCS#12 bytes as a bundle, every
 * failure in BW_TLS_UPLOAD_ERROR naming the part at fault. */
gboolean bw_tls_upload_parse(const bw_tls_upload *u, bw_tls_bundle *b, GError **err);
/* (tls-cert.c) What refuses a bundle (key mismatch, validity at now, weak
 * key, broken chain); p12 reports the faults on the PKCS#12 part. */
gboolean bw_tls_bundle_check(const bw_tls_bundle *b, time_t now, gboolean p12, GError **err);
/* (tls-cert.c) Details and warnings of a bundle (key may be NULL: the
 * certificate's public key is described). */
bw_tls_cert_info *bw_tls_info_new(X509 *cert, const STACK_OF(X509) *chain,
				  const char *source, time_t now);
/* (tls-expiry.c) After a replacement: check the new certificate now and
 * restart the 12-hour timer, when the watch runs. */
void     bw_tls_expiry_rearm(void);

/* Refuse a group- or world-writable file or directory (and its parents up
 * to /), with a message that says which and how to fix it. */
gboolean bw_harden_check_path(const char *path, GError **err);
/* After binding: switch to user (no-op when not root or user NULL). */
gboolean bw_harden_drop_privileges(const char *user, const char *data_dir, GError **err);
/* At start: umask 027 and no core dumps (they would hold keys). */
gboolean bw_harden_process_defaults(GError **err);

/* Logging: GLib structured writer with a level per log domain (module). */
void bw_log_setup(const char *default_level);            /* error..debug */
void bw_log_set_domain_level(const char *domain, const char *level);  /* level NULL: back to the default */
gboolean bw_log_level_valid(const char *level);
/* Where the writer writes (default 2, stderr); for tests. */
void bw_log_set_fd(int fd);

#endif
