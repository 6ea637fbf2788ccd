/* TLS verification of trunk providers (see calls.h).
 *
 * libre 1.1.0 opens client TLS connections without verifying anything. We
 * hook the TLS transport's SSL_CTX: when a client handshake starts, the
 * connection's TCP peer (recompat-calls.c) is looked up among the
 * addresses trunks are sending to (recorded by their send handler), and
 * that SSL gets SSL_VERIFY_PEER with the trunk's CA file (or the system
 * store), the expected host name (SSL_set1_host, or the IP address) and
 * SNI. A client connection to an address no trunk expects is verified
 * against the system store (fail closed). Failures are kept per trunk so
 * the registration can say why it failed. */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <re.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include "recompat.h"
#include "calls.h"

typedef struct tls_expect {
	struct sa peer;
	char *trunk, *host, *ca_file;
	X509_STORE *store;
	bool verify;
} tls_expect;

static struct {
	SSL_CTX *ctx;
	void (*prev)(const SSL *ssl, int where, int ret);
	GPtrArray *expects;        /* tls_expect* */
	GHashTable *errors;        /* trunk -> reason */
	int idx;                   /* SSL ex_data: trunk name */
} tt = { .idx = -1 };

static void tls_expect_free(void *p)
{
	tls_expect *e = p;

	g_free(e->trunk);
	g_free(e->host);
	g_free(e->ca_file);
	if (e->store)
		X509_STORE_free(e->store);
	g_free(e);
}

static int tls_verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	const char *trunk = ssl ? SSL_get_ex_data(ssl, tt.idx) : NULL;

	if (!ok && trunk && tt.errors) {
		int e = X509_STORE_CTX_get_error(x);

		g_hash_table_replace(tt.errors, g_strdup(trunk),
				     g_strdup_printf("certificate verification failed: %s (depth %d)",
						     X509_verify_cert_error_string(e),
						     X509_STORE_CTX_get_error_depth(x)));
	}
	return ok;
}

static tls_expect *tls_expect_find(const struct sa *peer)
{
	for (guint i = 0; tt.expects && i < tt.expects->len; i++) {
		tls_expect *e = tt.expects->pdata[i];

		if (sa_cmp(&e->peer, peer, SA_ALL))
			return e;
	}
	return NULL;
}

static void tls_set_host(SSL *ssl, const char *host)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		return;
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	SSL_set1_host(ssl, host);
	SSL_set_tlsext_host_name(ssl, host);
}

static void tls_client_start(SSL *ssl)
{
	struct sa peer;
	tls_expect *e;

	if (sip_re_tls_ssl_peer(ssl, &peer) != 0 || (e = tls_expect_find(&peer)) == NULL) {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);   /* nobody vouches: system store */
		return;
	}
	if (!e->verify) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);   /* configured off for this trunk */
		return;
	}
	/* interned: no free function, which would dangle once the module is
	 * unloaded while OpenSSL still frees SSLs */
	SSL_set_ex_data(ssl, tt.idx, (void *) g_intern_string(e->trunk));
	if (e->store)
		SSL_set1_verify_cert_store(ssl, e->store);
	SSL_set_verify(ssl, SSL_VERIFY_PEER, tls_verify_cb);
	tls_set_host(ssl, e->host);
}

static void tls_info_cb(const SSL *cssl, int where, int ret)
{
	SSL *ssl = (SSL *) cssl;   /* OpenSSL hands out const; setters need it */

	if (tt.prev)
		tt.prev(cssl, where, ret);
	if ((where & SSL_CB_HANDSHAKE_START) && !SSL_is_server(ssl) &&
	    SSL_get_ex_data(ssl, tt.idx) == NULL)
		tls_client_start(ssl);
}

int sip_trunk_tls_attach(struct tls *tls)
{
	SSL_CTX *ctx = sip_re_tls_ctx(tls);

	if (ctx == NULL)
		return ENOENT;
	if (tt.idx < 0)
		tt.idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (tt.idx < 0)
		return ENOMEM;
	if (tt.ctx == ctx)
		return 0;
	sip_trunk_tls_detach();
	tt.ctx = ctx;
	tt.prev = SSL_CTX_get_info_callback(ctx);
	SSL_CTX_set_info_callback(ctx, tls_info_cb);
	if (tt.expects == NULL)
		tt.expects = g_ptr_array_new_with_free_func(tls_expect_free);
	if (tt.errors == NULL)
		tt.errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return 0;
}

void sip_trunk_tls_detach(void)
{
	if (tt.ctx)
		SSL_CTX_set_info_callback(tt.ctx, tt.prev);
	tt.ctx = NULL;
	tt.prev = NULL;
	g_clear_pointer(&tt.expects, g_ptr_array_unref);
	g_clear_pointer(&tt.errors, g_hash_table_destroy);
}

static X509_STORE *tls_store_new(const char *ca_file, const char *trunk)
{
	X509_STORE *st = X509_STORE_new();
	int ok;

	if (st == NULL)
		return NULL;
	ok = ca_file ? X509_STORE_load_file(st, ca_file) : X509_STORE_set_default_paths(st);
	if (ok != 1) {
		g_warning("sip: trunk %s: cannot load the CA file %s: verification will fail",
			  trunk, ca_file ? ca_file : "(system store)");
	}
	return st;
}

int sip_trunk_tls_expect(const struct sa *peer, const char *trunk, const char *host,
			 const char *ca_file, bool verify)
{
	tls_expect *e;

	if (tt.expects == NULL || peer == NULL)
		return ENOENT;
	e = tls_expect_find(peer);
	if (e && g_strcmp0(e->host, host) == 0 && g_strcmp0(e->ca_file, ca_file) == 0 &&
	    e->verify == verify)
		return 0;   /* same identity: the connection may be shared */
	if (e && g_strcmp0(e->trunk, trunk) != 0) {
		/* libre shares one connection per address: it was verified for
		 * the other trunk's identity, which is not this one's */
		g_hash_table_replace(tt.errors, g_strdup(trunk),
				     g_strdup_printf("TLS address already used by trunk %s with another "
						     "host name, CA or verify setting", e->trunk));
		return EEXIST;
	}
	if (e)
		g_ptr_array_remove(tt.expects, e);
	e = g_new0(tls_expect, 1);
	e->peer = *peer;
	e->trunk = g_strdup(trunk);
	e->host = g_strdup(host);
	e->ca_file = g_strdup(ca_file);
	e->verify = verify;
	e->store = verify ? tls_store_new(ca_file, trunk) : NULL;
	g_ptr_array_add(tt.expects, e);
	return 0;
}

void sip_trunk_tls_forget(const char *trunk)
{
	for (guint i = tt.expects ? tt.expects->len : 0; i-- > 0;)
		if (g_strcmp0(((tls_expect *) tt.expects->pdata[i])->trunk, trunk) == 0)
			g_ptr_array_remove_index(tt.expects, i);
	if (tt.errors)
		g_hash_table_remove(tt.errors, trunk);
}

char *sip_trunk_tls_take_error(const char *trunk)
{
	char *key = NULL, *why = NULL;

	if (tt.errors && g_hash_table_steal_extended(tt.errors, trunk, (void **) &key,
						     (void **) &why)) {
		g_free(key);
		return why;
	}
	return NULL;
}
