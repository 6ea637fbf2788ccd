/* Unit tests of core/tls.c: the generated certificate, customer PEM and
 * PKCS#12 material, protocol floor, host name verification and the
 * errors a configuration check reports. Handshakes run over BIO pairs in
 * one thread, so nothing waits on time. */
#include "tlsctx.h"
#include "testutil.h"
#include <bulwark/bus.h>
#include <bulwark/tls.h>
#include <errno.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

/* ---- material made by the test itself, independent of tls.c ------------- */

static long t_serial = 1;

static void t_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	g_assert_nonnull(e);
	g_assert_cmpint(X509_add_ext(x, e, -1), ==, 1);
	X509_EXTENSION_free(e);
}

/* issuer NULL: self-signed. */
static X509 *t_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, gboolean ca)
{
	X509 *x = X509_new();
	g_assert_nonnull(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), t_serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	t_ext(x, issuer ? issuer : x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	t_ext(x, issuer ? issuer : x, NID_key_usage,
	      ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (!ca) {
		char *san = g_strdup_printf("DNS:%s", cn);
		t_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
		g_free(san);
	}
	g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), >, 0);
	return x;
}

static void t_write(const char *path, const char *data, gsize len, int mode)
{
	g_assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
	g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static void t_write_bio(const char *path, BIO *b, int mode)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	t_write(path, data, (gsize)n, mode);
	BIO_free(b);
}

static void t_write_certs(const char *path, X509 *a, X509 *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	g_assert_true(PEM_write_bio_X509(bio, a));
	if (b)
		g_assert_true(PEM_write_bio_X509(bio, b));
	t_write_bio(path, bio, 0644);
}

static void t_write_key(const char *path, EVP_PKEY *key, const char *password)
{
	BIO *bio = BIO_new(BIO_s_mem());
	g_assert_true(PEM_write_bio_PrivateKey(bio, key, password ? EVP_aes_256_cbc() : NULL,
					       NULL, 0, NULL, (void *)password));
	t_write_bio(path, bio, 0600);
}

static void t_write_p12(const char *path, EVP_PKEY *key, X509 *cert, X509 *extra, const char *password)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	if (extra)
		sk_X509_push(ca, extra);
	PKCS12 *p12 = PKCS12_create(password, "bulwark", key, cert, ca, 0, 0, 0, 0, 0);
	g_assert_nonnull(p12);
	BIO *bio = BIO_new(BIO_s_mem());
	g_assert_true(i2d_PKCS12_bio(bio, p12));
	t_write_bio(path, bio, 0600);
	PKCS12_free(p12);
	sk_X509_free(ca);
}

static X509 *t_read_cert(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	g_assert_nonnull(b);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	g_assert_nonnull(x);
	return x;
}

static char *t_path(const char *dir, const char *name)
{
	return g_build_filename(dir, name, NULL);
}

/* ---- expected warnings ------------------------------------------------------ */

/* Warnings of tls.c are not fatal here: an expected one is counted, any
 * other fails the test. */
static const char *t_expect_pattern;
static guint t_expect_seen;

static void t_warning_handler(const gchar *domain, GLogLevelFlags level, const gchar *msg,
			      gpointer unused)
{
	g_log_default_handler(domain, level, msg, NULL);
	if (t_expect_pattern && g_pattern_match_simple(t_expect_pattern, msg))
		t_expect_seen++;
	else
		g_test_fail();
}

static void t_expect_warning(const char *pattern)
{
	t_expect_pattern = pattern;
	t_expect_seen = 0;
}

static void t_assert_warned(void)
{
	g_assert_cmpuint(t_expect_seen, >, 0);
	t_expect_pattern = NULL;
}

/* ---- handshakes over a BIO pair ------------------------------------------ */

typedef struct {
	gboolean ok;
	int version;
	long verify;
	char cipher[64];
} t_result;

static gboolean t_step(SSL *ssl, gboolean *done)
{
	if (*done)
		return TRUE;
	int r = SSL_do_handshake(ssl);
	if (r == 1) {
		*done = TRUE;
		return TRUE;
	}
	int e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* host NULL: no name check requested. */
static t_result t_handshake(SSL_CTX *sctx, SSL_CTX *cctx, const char *host)
{
	t_result res = { 0 };
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs, *bc;
	g_assert_nonnull(s);
	g_assert_nonnull(c);
	g_assert_cmpint(BIO_new_bio_pair(&bs, 0, &bc, 0), ==, 1);
	SSL_set_bio(s, bs, bs);
	SSL_set_bio(c, bc, bc);
	SSL_set_accept_state(s);
	SSL_set_connect_state(c);
	if (host)
		g_assert_cmpint(bw_tls_client_setup(c, host), ==, 0);
	gboolean sd = FALSE, cd = FALSE, alive = TRUE;
	/* each round moves the handshake on or fails: a bound, not a timer */
	for (int i = 0; i < 50 && alive && !(sd && cd); i++)
		alive = t_step(c, &cd) && t_step(s, &sd);
	res.ok = sd && cd;
	res.version = SSL_version(c);
	res.verify = SSL_get_verify_result(c);
	const SSL_CIPHER *ci = SSL_get_current_cipher(c);
	g_strlcpy(res.cipher, ci ? SSL_CIPHER_get_name(ci) : "", sizeof res.cipher);
	SSL_free(s);
	SSL_free(c);
	ERR_clear_error();
	return res;
}

static SSL_CTX *t_server(void)
{
	GError *err = NULL;
	SSL_CTX *ctx = bw_tls_server_ctx(&err);
	g_assert_no_error(err);
	g_assert_nonnull(ctx);
	return ctx;
}

static SSL_CTX *t_client(const char *ca)
{
	GError *err = NULL;
	SSL_CTX *ctx = bw_tls_client_ctx(ca, &err);
	g_assert_no_error(err);
	g_assert_nonnull(ctx);
	return ctx;
}

/* A client that accepts anything, pinned to TLS 1.2: stands for an old phone. */
static SSL_CTX *t_tls12_client(const char *ciphers)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (ciphers)
		g_assert_cmpint(SSL_CTX_set_cipher_list(ctx, ciphers), ==, 1);
	return ctx;
}

static void t_configure(const bw_tls_params *p)
{
	GError *err = NULL;
	gboolean ok = bw_tls_configure_params(p, &err);
	g_assert_no_error(err);
	g_assert_true(ok);
}

static char *t_error(const bw_tls_params *p, gboolean check_only)
{
	GError *err = NULL;
	gboolean ok = check_only ? bw_tls_check_params(p, &err) : bw_tls_configure_params(p, &err);
	g_assert_false(ok);
	g_assert_nonnull(err);
	g_test_message("error: %s", err->message);
	char *msg = g_strdup(err->message);
	g_error_free(err);
	return msg;
}

static void t_assert_error(const bw_tls_params *p, const char *a, const char *b, const char *c)
{
	for (int check = 0; check < 2; check++) {
		char *msg = t_error(p, check);
		g_assert_nonnull(strstr(msg, a));
		g_assert_true(!b || strstr(msg, b));
		g_assert_true(!c || strstr(msg, c));
		g_free(msg);
	}
}

/* ---- the generated certificate ---------------------------------------- */

static const char *t_expected_host(void)
{
	const char *h = g_get_host_name();
	if (g_hostname_is_ip_address(h) || strchr(h, '*') || strlen(h) > 64 || strchr(h, '_'))
		return "localhost";
	return h;
}

static char *t_cn(X509 *x)
{
	char buf[256];
	g_assert_cmpint(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
						  sizeof buf), >, 0);
	return g_strdup(buf);
}

static void t_assert_san(X509 *x, const char *host)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	gboolean has_host = FALSE, has_localhost = FALSE;
	g_assert_nonnull(names);
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		g_assert_cmpint(gn->type, ==, GEN_DNS);   /* no IP SAN */
		const char *dns = (const char *)ASN1_STRING_get0_data(gn->d.dNSName);
		g_assert_null(strchr(dns, '*'));
		has_host |= strcmp(dns, host) == 0;
		has_localhost |= strcmp(dns, "localhost") == 0;
	}
	GENERAL_NAMES_free(names);
	g_assert_true(has_host);
	g_assert_true(has_localhost);
}

static void t_assert_mode(const char *path, int mode)
{
	struct stat st;
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 07777, ==, mode);
}

/* Checks common to every generated certificate; returns it. */
static X509 *t_assert_generated(const char *dir, const char *host)
{
	char *tdir = t_path(dir, "tls"), *crt = t_path(tdir, "server.crt"), *key = t_path(tdir, "server.key");
	t_assert_mode(tdir, 0700);
	t_assert_mode(key, 0600);
	t_assert_mode(crt, 0644);
	X509 *x = t_read_cert(crt);
	char *cn = t_cn(x);
	g_assert_cmpstr(cn, ==, host);
	g_assert_false(g_hostname_is_ip_address(cn));
	g_assert_null(strchr(cn, '*'));
	t_assert_san(x, host);
	g_assert_cmpint(X509_check_host(x, host, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL), ==, 1);
	g_assert_cmpint(X509_check_ca(x), ==, 0);
	g_assert_cmpuint(X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT), ==,
			 XKU_SSL_SERVER | XKU_SSL_CLIENT);
	int days = 0, secs = 0;
	g_assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)));
	g_assert_cmpint(days, ==, 825);
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	g_assert_cmpint(BN_num_bits(serial), >, 64);   /* random 128 bits: below 2^64 by chance 2^-64 */
	BN_free(serial);
	/* the running context serves exactly this certificate */
	SSL_CTX *ctx = t_server();
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(ctx), x), ==, 0);
	SSL_CTX_free(ctx);
	g_free(cn);
	g_free(key);
	g_free(crt);
	g_free(tdir);
	return x;
}

static void test_unconfigured(void)
{
	GError *err = NULL;
	bw_tls_shutdown();
	g_assert_null(bw_tls_server_ctx(&err));
	g_assert_error(err, BW_TLS_ERROR, BW_TLS_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "not configured"));
	g_error_free(err);
	g_assert_cmpint(bw_tls_client_setup(NULL, "localhost"), ==, EINVAL);
}

static void test_generated_ec(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .system_name = "office" };
	t_configure(&p);
	X509 *first = t_assert_generated(dir, t_expected_host());
	EVP_PKEY *pub = X509_get0_pubkey(first);
	char group[64];
	size_t glen;
	g_assert_true(EVP_PKEY_is_a(pub, "EC"));
	g_assert_true(EVP_PKEY_get_group_name(pub, group, sizeof group, &glen));
	g_assert_cmpstr(group, ==, "prime256v1");
	g_assert_cmpint(X509_get_signature_nid(first), ==, NID_ecdsa_with_SHA256);
	g_assert_false(X509_get_key_usage(first) & KU_KEY_ENCIPHERMENT);

	/* second start: the same certificate, not a new one */
	char *keyf = g_build_filename(dir, "tls", "server.key", NULL);
	char *key1 = NULL, *key2 = NULL;
	g_assert_true(g_file_get_contents(keyf, &key1, NULL, NULL));
	t_configure(&p);
	X509 *second = t_assert_generated(dir, t_expected_host());
	g_assert_cmpint(X509_cmp(first, second), ==, 0);
	g_assert_true(g_file_get_contents(keyf, &key2, NULL, NULL));
	g_assert_cmpstr(key1, ==, key2);
	X509_free(first);
	X509_free(second);
	g_free(key1);
	g_free(key2);
	g_free(keyf);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_generated_rsa(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .key_type = "rsa", .host_name = "pbx.example.test" };
	t_configure(&p);
	X509 *x = t_assert_generated(dir, "pbx.example.test");
	EVP_PKEY *pub = X509_get0_pubkey(x);
	g_assert_true(EVP_PKEY_is_a(pub, "RSA"));
	g_assert_cmpint(EVP_PKEY_get_bits(pub), ==, 3072);
	g_assert_cmpint(X509_get_signature_nid(x), ==, NID_sha256WithRSAEncryption);
	g_assert_true(X509_get_key_usage(x) & KU_KEY_ENCIPHERMENT);
	g_assert_true(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE);
	X509_free(x);
	bw_test_rmtree(dir);
	g_free(dir);
}

/* An address or a wildcard never becomes a CN. */
static void test_generated_bad_host(void)
{
	const char *bad[] = { "192.0.2.1", "::1", "*.example.com", "bad host", "10.1.2" };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		char *dir = bw_test_tmpdir();
		bw_tls_params p = { .data_dir = dir, .host_name = bad[i] };
		t_expect_warning("*cannot name a certificate*");
		t_configure(&p);
		t_assert_warned();
		X509 *x = t_assert_generated(dir, "localhost");
		X509_free(x);
		bw_test_rmtree(dir);
		g_free(dir);
	}
}

/* A damaged certificate is replaced, and the log says so. */
static void test_generated_regenerate(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .host_name = "pbx.example.test" };
	t_configure(&p);
	char *crt = g_build_filename(dir, "tls", "server.crt", NULL);
	X509 *before = t_read_cert(crt);
	SSL_CTX *old = t_server();
	t_write(crt, "garbage\n", 8, 0644);
	t_expect_warning("*unusable*not a PEM certificate*generating a new one*");
	t_configure(&p);
	t_assert_warned();
	X509 *after = t_assert_generated(dir, "pbx.example.test");
	g_assert_cmpint(X509_cmp(before, after), !=, 0);
	/* a context handed out before the swap still works */
	SSL_CTX *cli = t_tls12_client(NULL);
	SSL_CTX_set_max_proto_version(cli, 0);
	t_result r = t_handshake(old, cli, NULL);
	g_assert_true(r.ok);
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(old), before), ==, 0);
	SSL_CTX_free(cli);
	SSL_CTX_free(old);
	X509_free(before);
	X509_free(after);
	g_free(crt);
	bw_test_rmtree(dir);
	g_free(dir);
}

/* ---- protocol floor and verification ------------------------------------ */

static void test_handshake_tls13(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .host_name = "localhost" };
	t_configure(&p);
	char *crt = g_build_filename(dir, "tls", "server.crt", NULL);
	SSL_CTX *s = t_server(), *c = t_client(crt);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(c), ==, TLS1_3_VERSION);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(s), ==, TLS1_3_VERSION);
	g_assert_true(SSL_CTX_get_options(s) & SSL_OP_NO_RENEGOTIATION);
	g_assert_true(SSL_CTX_get_options(s) & SSL_OP_NO_COMPRESSION);
	t_result r = t_handshake(s, c, "localhost");
	g_assert_true(r.ok);
	g_assert_cmpint(r.version, ==, TLS1_3_VERSION);
	g_assert_cmpint(r.verify, ==, X509_V_OK);

	/* old clients stay out unless min-version="1.2" */
	SSL_CTX *old = t_tls12_client(NULL);
	r = t_handshake(s, old, NULL);
	g_assert_false(r.ok);
	SSL_CTX_free(old);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	g_free(crt);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_handshake_tls12(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .host_name = "localhost", .min_version = "1.2" };
	t_configure(&p);
	SSL_CTX *s = t_server(), *old = t_tls12_client(NULL);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(s), ==, TLS1_2_VERSION);
	t_result r = t_handshake(s, old, NULL);
	g_assert_true(r.ok);
	g_assert_cmpint(r.version, ==, TLS1_2_VERSION);
	g_test_message("TLS 1.2 suite: %s", r.cipher);
	g_assert_true(g_str_has_prefix(r.cipher, "ECDHE-"));
	g_assert_true(strstr(r.cipher, "GCM") || strstr(r.cipher, "CHACHA20"));
	SSL_CTX_free(old);

	/* without forward secrecy or AEAD there is nothing in common */
	const char *weak[] = { "AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256", "DHE-RSA-AES128-GCM-SHA256" };
	for (guint i = 0; i < G_N_ELEMENTS(weak); i++) {
		old = t_tls12_client(weak[i]);
		r = t_handshake(s, old, NULL);
		g_assert_false(r.ok);
		SSL_CTX_free(old);
	}
	/* the same floor applies to outgoing connections */
	SSL_CTX *c = t_client(NULL);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(c), ==, TLS1_2_VERSION);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_verify_host(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .host_name = "localhost" };
	t_configure(&p);
	char *crt = g_build_filename(dir, "tls", "server.crt", NULL);
	SSL_CTX *s = t_server(), *c = t_client(crt);
	t_result r = t_handshake(s, c, "localhost");
	g_assert_true(r.ok);
	g_assert_cmpint(r.verify, ==, X509_V_OK);
	r = t_handshake(s, c, "example.org");
	g_assert_false(r.ok);
	g_assert_cmpint(r.verify, ==, X509_V_ERR_HOSTNAME_MISMATCH);
	r = t_handshake(s, c, "127.0.0.1");   /* an address needs an iPAddress SAN */
	g_assert_false(r.ok);
	g_assert_cmpint(r.verify, ==, X509_V_ERR_IP_ADDRESS_MISMATCH);
	r = t_handshake(s, c, "[::1]");
	g_assert_false(r.ok);
	g_assert_cmpint(r.verify, ==, X509_V_ERR_IP_ADDRESS_MISMATCH);
	SSL_CTX_free(c);
	/* the system's trust store does not know a self-signed certificate */
	c = t_client(NULL);
	r = t_handshake(s, c, "localhost");
	g_assert_false(r.ok);
	g_assert_cmpint(r.verify, ==, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
	SSL_CTX_free(c);
	GError *err = NULL;
	g_assert_null(bw_tls_client_ctx("/nonexistent/ca.pem", &err));
	g_assert_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO);
	g_assert_nonnull(strstr(err->message, "/nonexistent/ca.pem"));
	g_error_free(err);
	SSL_CTX_free(s);
	g_free(crt);
	bw_test_rmtree(dir);
	g_free(dir);
}

/* ---- customer material ------------------------------------------------- */

typedef struct {
	char *dir;
	EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key;
	X509 *root, *inter, *leaf;
	char *root_pem, *inter_pem, *leaf_pem, *key_pem, *other_pem, *enc_key_pem;
	char *pw_file, *bad_pw_file, *p12, *garbage;
} t_pki;

static void t_pki_init(t_pki *k)
{
	k->dir = bw_test_tmpdir();
	k->root_key = EVP_EC_gen("P-256");
	k->inter_key = EVP_EC_gen("P-256");
	k->leaf_key = EVP_EC_gen("P-256");
	k->other_key = EVP_EC_gen("P-256");
	k->root = t_cert("Test Root", k->root_key, NULL, NULL, TRUE);
	k->inter = t_cert("Test Intermediate", k->inter_key, k->root, k->root_key, TRUE);
	k->leaf = t_cert("pbx.customer.test", k->leaf_key, k->inter, k->inter_key, FALSE);
	k->root_pem = t_path(k->dir, "root.pem");
	k->inter_pem = t_path(k->dir, "inter.pem");
	k->leaf_pem = t_path(k->dir, "leaf.pem");
	k->key_pem = t_path(k->dir, "leaf.key");
	k->other_pem = t_path(k->dir, "other.key");
	k->enc_key_pem = t_path(k->dir, "leaf-enc.key");
	k->pw_file = t_path(k->dir, "password");
	k->bad_pw_file = t_path(k->dir, "bad-password");
	k->p12 = t_path(k->dir, "leaf.p12");
	k->garbage = t_path(k->dir, "garbage.pem");
	t_write_certs(k->root_pem, k->root, NULL);
	t_write_certs(k->inter_pem, k->inter, NULL);
	t_write_certs(k->leaf_pem, k->leaf, NULL);
	t_write_key(k->key_pem, k->leaf_key, NULL);
	t_write_key(k->other_pem, k->other_key, NULL);
	t_write_key(k->enc_key_pem, k->leaf_key, "s3cret-Pass");
	t_write(k->pw_file, "s3cret-Pass\n", 12, 0600);
	t_write(k->bad_pw_file, "wrong\n", 6, 0600);
	t_write_p12(k->p12, k->leaf_key, k->leaf, k->inter, "s3cret-Pass");
	t_write(k->garbage, "-----BEGIN NOTHING-----\n", 24, 0644);
}

static void t_pki_clear(t_pki *k)
{
	EVP_PKEY_free(k->root_key);
	EVP_PKEY_free(k->inter_key);
	EVP_PKEY_free(k->leaf_key);
	EVP_PKEY_free(k->other_key);
	X509_free(k->root);
	X509_free(k->inter);
	X509_free(k->leaf);
	char **paths[] = { &k->root_pem, &k->inter_pem, &k->leaf_pem, &k->key_pem, &k->other_pem,
			   &k->enc_key_pem, &k->pw_file, &k->bad_pw_file, &k->p12, &k->garbage };
	for (guint i = 0; i < G_N_ELEMENTS(paths); i++)
		g_free(*paths[i]);
	bw_test_rmtree(k->dir);
	g_free(k->dir);
}

/* The customer's certificate is served, with its chain, to a client that
 * trusts only the root. */
static void t_assert_serves_leaf(t_pki *k, gboolean chain_expected)
{
	SSL_CTX *s = t_server(), *c = t_client(k->root_pem);
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(s), k->leaf), ==, 0);
	t_result r = t_handshake(s, c, "pbx.customer.test");
	g_assert_cmpint(r.ok, ==, chain_expected);
	g_assert_cmpint(r.verify, ==, chain_expected ? X509_V_OK
					 : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
	SSL_CTX_free(c);
	SSL_CTX_free(s);
}

static void test_customer_pem(void)
{
	t_pki k;
	t_pki_init(&k);
	bw_tls_params p = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = k.inter_pem };
	GError *err = NULL;
	g_assert_true(bw_tls_check_params(&p, &err));
	g_assert_no_error(err);
	t_configure(&p);
	t_assert_serves_leaf(&k, TRUE);
	/* without chain= the intermediate is missing */
	p.chain = NULL;
	t_configure(&p);
	t_assert_serves_leaf(&k, FALSE);
	/* the chain may follow the leaf in certificate= */
	char *both = t_path(k.dir, "leaf+inter.pem");
	t_write_certs(both, k.leaf, k.inter);
	p.certificate = both;
	t_configure(&p);
	t_assert_serves_leaf(&k, TRUE);
	/* an encrypted key with its password-file */
	p.key = k.enc_key_pem;
	p.password_file = k.pw_file;
	t_configure(&p);
	t_assert_serves_leaf(&k, TRUE);
	g_free(both);
	t_pki_clear(&k);
}

static void test_customer_pkcs12(void)
{
	t_pki k;
	t_pki_init(&k);
	bw_tls_params p = { .pkcs12 = k.p12, .password_file = k.pw_file };
	t_configure(&p);
	t_assert_serves_leaf(&k, TRUE);
	p.password_file = k.bad_pw_file;
	t_assert_error(&p, "pkcs12=", k.p12, "wrong password");
	p.password_file = NULL;
	t_assert_error(&p, "pkcs12=", k.p12, "password-file=");
	/* a failed reconfiguration keeps the running context */
	SSL_CTX *s = t_server();
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(s), k.leaf), ==, 0);
	SSL_CTX_free(s);
	p.pkcs12 = k.leaf_pem;
	p.password_file = k.pw_file;
	t_expect_warning("*pkcs12=*readable by others (mode 0644)*chmod 0600*");
	t_assert_error(&p, "pkcs12=", k.leaf_pem, "not a PKCS#12 file");
	t_assert_warned();
	t_pki_clear(&k);
}

static void test_errors(void)
{
	t_pki k;
	t_pki_init(&k);
	bw_tls_params p = { .certificate = k.leaf_pem, .key = k.other_pem };
	t_assert_error(&p, "key=", k.other_pem, "does not match");
	p.key = k.enc_key_pem;
	t_assert_error(&p, "key=", k.enc_key_pem, "no password-file");
	p.password_file = k.bad_pw_file;
	t_assert_error(&p, "key=", k.enc_key_pem, "wrong password");
	p.password_file = NULL;
	p.key = "/nonexistent/leaf.key";
	t_assert_error(&p, "key=", "/nonexistent/leaf.key", g_strerror(ENOENT));
	p.key = k.key_pem;
	p.certificate = k.garbage;
	t_assert_error(&p, "certificate=", k.garbage, "not a PEM certificate");
	p.certificate = k.key_pem;   /* a key where a certificate belongs */
	t_assert_error(&p, "certificate=", k.key_pem, "not a PEM certificate");
	p.certificate = k.leaf_pem;
	p.key = k.leaf_pem;          /* and the other way round */
	t_expect_warning("*key=*readable by others (mode 0644)*");
	t_assert_error(&p, "key=", k.leaf_pem, "not a PEM private key");
	t_assert_warned();
	p.key = k.key_pem;
	p.chain = k.garbage;
	t_assert_error(&p, "chain=", k.garbage, "not a PEM certificate");

	bw_tls_params bad[] = {
		{ .min_version = "1.1" }, { .key_type = "dsa" }, { .certificate = k.leaf_pem },
		{ .key = k.key_pem }, { .pkcs12 = k.p12, .certificate = k.leaf_pem, .key = k.key_pem },
		{ .chain = k.inter_pem }, { .password_file = k.pw_file },
	};
	const char *why[] = { "min-version", "key-type", "key= is missing", "certificate= is missing",
			      "pkcs12=", "chain=", "password-file=" };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
		t_assert_error(&bad[i], why[i], NULL, NULL);
	bw_tls_params none = { 0 };
	GError *err = NULL;
	g_assert_true(bw_tls_check_params(&none, &err));   /* nothing to check: generated later */
	g_assert_no_error(err);
	t_pki_clear(&k);
}

static bw_config *t_load_config(const char *dir, const char *tls, GError **err)
{
	static const char *const no_dirs[] = { NULL };
	char *path = g_build_filename(dir, "bulwark.xml", NULL);
	char *xml = g_strdup_printf("<bulwark>\n<system name=\"office\" data-dir=\"%s/data\"/>\n%s\n"
				    "<modules/>\n</bulwark>\n", dir, tls);
	t_write(path, xml, strlen(xml), 0644);
	bw_config *cfg = bw_config_load(path, no_dirs, err);
	g_free(xml);
	g_free(path);
	return cfg;
}

/* Through the configuration: <tls> attributes, errors with file and line. */
static void test_config(void)
{
	t_pki k;
	t_pki_init(&k);
	GError *err = NULL;
	char *tls = g_strdup_printf("<tls certificate=\"%s\" key=\"%s\" chain=\"%s\" min-version=\"1.2\"/>",
				    k.leaf_pem, k.key_pem, k.inter_pem);
	bw_config *cfg = t_load_config(k.dir, tls, &err);
	g_free(tls);
	g_assert_no_error(err);
	g_assert_nonnull(cfg);
	g_assert_true(bw_tls_check_files(bw_conf_child(bw_config_root(cfg), "tls"), &err));
	g_assert_no_error(err);
	g_assert_true(bw_tls_configure(cfg, &err));
	g_assert_no_error(err);
	t_assert_serves_leaf(&k, TRUE);
	SSL_CTX *s = t_server();
	g_assert_cmpint(SSL_CTX_get_min_proto_version(s), ==, TLS1_2_VERSION);
	SSL_CTX_free(s);
	bw_config_unref(cfg);

	tls = g_strdup_printf("<tls certificate=\"%s\" key=\"%s\"/>", k.leaf_pem, k.other_pem);
	cfg = t_load_config(k.dir, tls, &err);
	g_free(tls);
	g_assert_null(cfg);
	g_assert_nonnull(err);
	g_test_message("config error: %s", err->message);
	g_assert_nonnull(strstr(err->message, "bulwark.xml:3"));
	g_assert_nonnull(strstr(err->message, "does not match"));
	g_assert_nonnull(strstr(err->message, k.other_pem));
	g_clear_error(&err);

	/* no <tls>: generated in data-dir, named after the system */
	cfg = t_load_config(k.dir, "", &err);
	g_assert_no_error(err);
	g_assert_true(bw_tls_configure(cfg, &err));
	g_assert_no_error(err);
	char *crt = g_build_filename(k.dir, "data", "tls", "server.crt", NULL);
	X509 *x = t_read_cert(crt);
	char org[128];
	g_assert_cmpint(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_organizationName,
						  org, sizeof org), >, 0);
	g_assert_cmpstr(org, ==, "office");
	s = t_server();
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(s), x), ==, 0);
	g_assert_cmpint(SSL_CTX_get_min_proto_version(s), ==, TLS1_3_VERSION);
	SSL_CTX_free(s);
	X509_free(x);
	g_free(crt);
	bw_config_unref(cfg);
	t_pki_clear(&k);
}

static void t_assert_unreadable(const char *key)
{
	char *dir = g_path_get_dirname(key);
	char *crt = g_build_filename(dir, "leaf.pem", NULL);
	bw_tls_params p = { .certificate = crt, .key = key };
	t_assert_error(&p, "key=", key, g_strerror(EACCES));
	g_free(crt);
	g_free(dir);
}

/* In the subprocess: become nobody, then read the mode 000 key. */
static void t_unreadable_child(void)
{
	const char *key = g_getenv("BW_TEST_UNREADABLE_KEY");
	GError *err = NULL;
	g_assert_nonnull(key);
	gboolean ok = bw_harden_drop_privileges("nobody", NULL, &err);
	g_assert_no_error(err);
	g_assert_true(ok);
	g_assert_cmpint(geteuid(), !=, 0);
	t_assert_unreadable(key);
}

static void test_unreadable(void)
{
	if (g_test_subprocess()) {
		t_unreadable_child();
		return;
	}
	t_pki k;
	t_pki_init(&k);
	g_assert_cmpint(g_chmod(k.key_pem, 0), ==, 0);
	if (geteuid() != 0) {
		t_assert_unreadable(k.key_pem);
	} else if (!getpwnam("nobody")) {
		g_test_skip("running as root (root reads a mode 000 file) and no user nobody to switch to");
	} else {
		/* root reads anything: check as nobody, in a child process */
		g_test_message("running as root: the mode 000 case runs as user nobody in a subprocess");
		g_assert_cmpint(g_chmod(k.dir, 0755), ==, 0);
		g_assert_cmpint(g_chmod(k.leaf_pem, 0644), ==, 0);
		g_setenv("BW_TEST_UNREADABLE_KEY", k.key_pem, TRUE);
		g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
	}
	t_pki_clear(&k);
}

/* ---- certificate expiry ------------------------------------------------- */

static void t_on_expiring(const bw_event *ev, void *data)
{
	GPtrArray *got = data;
	g_ptr_array_add(got, g_strdup_printf("%s|%s|%s", bw_event_get(ev, "days_left"),
					     bw_event_get(ev, "subject"), bw_event_get(ev, "not_after")));
}

/* Runs one check at a given "now" and returns the one event it published
 * (or NULL): publishing is asynchronous, so wait for the delivery. */
static char *t_expiry_event(time_t now, gboolean expect)
{
	GMainContext *ctx = g_main_context_new();
	GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
	bw_sub *sub = bw_bus_subscribe("tls.certificate.*", ctx, 0, t_on_expiring, got);
	char *ev = NULL;

	g_assert_cmpint(bw_tls_expiry_check(now, BW_TLS_EXPIRY_WARN_DAYS), ==, expect);
	if (expect) {
		while (got->len == 0)
			g_main_context_iteration(ctx, TRUE);
		g_assert_cmpuint(got->len, ==, 1);
		ev = g_strdup(g_ptr_array_index(got, 0));
	}
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_assert_cmpuint(got->len, ==, expect ? 1 : 0);
	bw_bus_unsubscribe(sub);
	g_ptr_array_unref(got);
	g_main_context_unref(ctx);
	return ev;
}

static void test_expiry(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .system_name = "office" };
	time_t now = time(NULL);
	t_configure(&p);
	X509 *cert = t_assert_generated(dir, t_expected_host());
	int left = bw_tls_days_left(cert, now);

	g_assert_cmpint(left, >=, 824);   /* generated for 825 days, seconds ago */
	g_assert_cmpint(left, <=, 825);
	g_assert_cmpint(bw_tls_days_left(cert, now + (time_t)(left + 2) * 86400), <, 0);
	/* far from the end: quiet */
	g_assert_null(t_expiry_event(now, FALSE));
	g_assert_null(t_expiry_event(now + (time_t)(left - 31) * 86400, FALSE));
	/* 30 days or fewer before: one event with the days left */
	t_expect_warning("TLS certificate * expires on * (30 days)*");
	char *ev = t_expiry_event(now + (time_t)(left - 30) * 86400, TRUE);
	t_assert_warned();
	g_assert_true(g_str_has_prefix(ev, "30|"));
	g_assert_nonnull(strstr(ev, "O=office"));
	g_assert_nonnull(strstr(ev, "GMT"));
	g_free(ev);
	/* and after the end */
	t_expect_warning("TLS certificate * expired on *");
	ev = t_expiry_event(now + (time_t)(left + 3) * 86400, TRUE);
	t_assert_warned();
	g_assert_true(g_str_has_prefix(ev, "-"));
	g_free(ev);
	X509_free(cert);
	bw_tls_shutdown();
	g_assert_false(bw_tls_expiry_check(now + (time_t)(left + 3) * 86400, 30));  /* no TLS */
	bw_test_rmtree(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_log_set_handler("tls", G_LOG_LEVEL_WARNING, t_warning_handler, NULL);
	g_test_add_func("/tls/unconfigured", test_unconfigured);
	g_test_add_func("/tls/generated/ec", test_generated_ec);
	g_test_add_func("/tls/generated/rsa", test_generated_rsa);
	g_test_add_func("/tls/generated/bad-host", test_generated_bad_host);
	g_test_add_func("/tls/generated/regenerate", test_generated_regenerate);
	g_test_add_func("/tls/handshake/tls13", test_handshake_tls13);
	g_test_add_func("/tls/handshake/tls12", test_handshake_tls12);
	g_test_add_func("/tls/verify/host", test_verify_host);
	g_test_add_func("/tls/customer/pem", test_customer_pem);
	g_test_add_func("/tls/customer/pkcs12", test_customer_pkcs12);
	g_test_add_func("/tls/errors/files", test_errors);
	g_test_add_func("/tls/config", test_config);
	g_test_add_func("/tls/errors/unreadable", test_unreadable);
	g_test_add_func("/tls/expiry", test_expiry);
	int rc = g_test_run();
	bw_tls_shutdown();
	return rc;
}
