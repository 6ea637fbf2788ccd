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

G_END_DECLS
#endif
