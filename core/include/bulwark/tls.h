/* TLS contexts for every listener and every outgoing connection, built in
 * one place from the <tls> configuration: TLS 1.3 minimum (1.2 only when
 * configured), forward-secret AEAD suites only, the installed certificate
 * (or the generated self-signed one). */
#ifndef BULWARK_TLS_H
#define BULWARK_TLS_H

#include <glib.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/* A new reference to the server context of the current certificate; free
 * with SSL_CTX_free. NULL with an error when TLS is not usable. */
SSL_CTX *bw_tls_server_ctx(GError **err);
/* A client context that verifies the peer's chain against ca_file (NULL:
 * the system's trust store). Pair each connection with bw_tls_client_setup. */
SSL_CTX *bw_tls_client_ctx(const char *ca_file, GError **err);
/* Ask for host name verification (and SNI) of host on ssl. 0 or errno. */
int      bw_tls_client_setup(SSL *ssl, const char *host);
/* The core's policy as OpenSSL configuration text, for servers configured
 * by text (lighttpd's ssl-conf-cmd): "CipherString" (TLS 1.2 suites),
 * "Ciphersuites" (TLS 1.3) or "Groups"; NULL for any other name. */
const char *bw_tls_policy(const char *name);

/* ---- the installed certificate (ABI minor 1) ----
 * Inspect the certificate every listener serves and replace it at run
 * time: bw_tls_cert_install checks the upload, stores it in
 * DATA_DIR/tls/installed.pem (0600; it then takes precedence over <tls>
 * and the generated one, across restarts), swaps the context that
 * bw_tls_server_ctx hands out (connections already open keep theirs),
 * audits "tls.certificate.install" and publishes "tls.certificate.changed"
 * (subject, fingerprint, not_after, source). A module that takes
 * bw_tls_server_ctx for each new listener or connection serves the new
 * certificate without doing anything. Management thread only. */
typedef struct bw_tls_cert_info {
	char   *subject;        /* RFC 2253 */
	char   *common_name;    /* NULL when the subject has none */
	char  **san;            /* NULL-terminated: "DNS:name", "IP:address", ... */
	char   *issuer;         /* RFC 2253 */
	char   *serial;         /* hexadecimal */
	gint64  not_before, not_after;   /* Unix seconds */
	int     days_left;      /* whole days to not_after, negative once expired */
	char   *key_type;       /* "RSA", "EC", "ED25519", ... */
	int     key_bits;
	char   *fingerprint;    /* SHA-256 of the DER, "AB:CD:..." */
	gboolean self_signed;
	gboolean generated;     /* the one bulwarkd generated itself */
	char   *source;         /* "installed", "configuration" or "generated" */
	guint   chain_length;   /* certificates sent after the leaf */
	char  **warnings;       /* NULL-terminated sentences, may be empty */
} bw_tls_cert_info;
void bw_tls_cert_info_free(bw_tls_cert_info *info);

/* The certificate served now; NULL with an error when TLS is not set up. */
bw_tls_cert_info *bw_tls_cert_current(GError **err);

/* An upload: PEM texts (the certificate text may also hold the key and
 * the chain) or PKCS#12 DER bytes. Every text is bounded by
 * BW_TLS_UPLOAD_MAX bytes. */
#define BW_TLS_UPLOAD_MAX (256 * 1024)
typedef struct bw_tls_upload {
	const char *certificate;    /* PEM: the leaf first, then optionally chain and key */
	const char *key;            /* PEM private key; NULL: taken from certificate */
	const char *chain;          /* PEM intermediates; may be NULL */
	const char *key_password;   /* for an encrypted PEM key; may be NULL */
	GBytes     *pkcs12;         /* instead of the PEM texts */
	const char *password;       /* the PKCS#12 password; may be NULL */
} bw_tls_upload;

/* Failures of an upload name the part at fault: the GError code is one of
 * these (domain BW_TLS_UPLOAD_ERROR), the message says what and why. */
#define BW_TLS_UPLOAD_ERROR (bw_tls_upload_error_quark())
GQuark bw_tls_upload_error_quark(void);
typedef enum {
	BW_TLS_UPLOAD_CERTIFICATE,  /* unparsable, expired, not yet valid, weak key */
	BW_TLS_UPLOAD_KEY,          /* unparsable, missing, does not match */
	BW_TLS_UPLOAD_CHAIN,        /* unparsable or broken */
	BW_TLS_UPLOAD_KEY_PASSWORD, /* the PEM key is encrypted: missing or wrong password */
	BW_TLS_UPLOAD_PKCS12,       /* not PKCS#12, or without certificate or key */
	BW_TLS_UPLOAD_PASSWORD,     /* the PKCS#12 password is wrong */
	BW_TLS_UPLOAD_SYSTEM        /* checks passed but it could not be installed */
} bw_tls_upload_field;

/* Only the checks: details and warnings of what would be installed. */
bw_tls_cert_info *bw_tls_cert_check(const bw_tls_upload *u, GError **err);
/* Checks, then installs (see above); actor is for the audit record. The
 * details and warnings of the new certificate, or NULL with an error. */
bw_tls_cert_info *bw_tls_cert_install(const bw_tls_upload *u, const char *actor, GError **err);

G_END_DECLS
#endif
