/* Certificate uploads (core/tls-cert.c, core/tls-install.c): every refusal
 * with the part at fault, the warnings, PKCS#12, and an install that swaps
 * the served certificate, writes DATA_DIR/tls/installed.pem (0600),
 * publishes tls.certificate.changed and wins over <tls> at the next start. */
#include "tlsctx.h"
#include "testutil.h"
#include <bulwark/bus.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

static long t_serial = 1;

typedef struct {
	const char *cn;
	const char *san;        /* NULL: DNS:cn */
	long from, to;          /* seconds from now */
	gboolean ca;
} t_spec;

static void t_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	g_assert_nonnull(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

static X509 *t_cert(const t_spec *s, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), t_serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x));
	t_ext(x, issuer ? issuer : x, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (!s->ca) {
		char *san = s->san ? g_strdup(s->san) : g_strdup_printf("DNS:%s", s->cn);
		t_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
		g_free(san);
	}
	g_assert_cmpint(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()), >, 0);
	return x;
}

static char *t_pem_cert(X509 *a, X509 *b)
{
	BIO *bio = BIO_new(BIO_s_mem());
	g_assert_true(PEM_write_bio_X509(bio, a));
	if (b)
		g_assert_true(PEM_write_bio_X509(bio, b));
	char *d;
	long n = BIO_get_mem_data(bio, &d);
	char *s = g_strndup(d, (gsize)n);
	BIO_free(bio);
	return s;
}

static char *t_pem_key(EVP_PKEY *k, const char *password)
{
	BIO *bio = BIO_new(BIO_s_mem());
	g_assert_true(PEM_write_bio_PrivateKey(bio, k, password ? EVP_aes_256_cbc() : NULL,
					       NULL, 0, NULL, (void *)password));
	char *d;
	long n = BIO_get_mem_data(bio, &d);
	char *s = g_strndup(d, (gsize)n);
	BIO_free(bio);
	return s;
}

/* A root, an intermediate and a leaf "pbx.example.test" it issued. */
typedef struct {
	EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key;
	X509 *root, *inter, *leaf;
	char *leaf_pem, *inter_pem, *root_pem, *key_pem, *other_key_pem;
} t_pki;

static const t_spec root_spec = { "Test Root", NULL, -60, 86400 * 400, TRUE };
static const t_spec inter_spec = { "Test Intermediate", NULL, -60, 86400 * 400, TRUE };
static const t_spec leaf_spec = { "pbx.example.test", NULL, -60, 86400 * 200, FALSE };

static void t_pki_init(t_pki *k)
{
	k->root_key = EVP_EC_gen("P-256");
	k->inter_key = EVP_EC_gen("P-256");
	k->leaf_key = EVP_EC_gen("P-256");
	k->other_key = EVP_EC_gen("P-256");
	k->root = t_cert(&root_spec, k->root_key, NULL, NULL);
	k->inter = t_cert(&inter_spec, k->inter_key, k->root, k->root_key);
	k->leaf = t_cert(&leaf_spec, k->leaf_key, k->inter, k->inter_key);
	k->leaf_pem = t_pem_cert(k->leaf, NULL);
	k->inter_pem = t_pem_cert(k->inter, NULL);
	k->root_pem = t_pem_cert(k->root, NULL);
	k->key_pem = t_pem_key(k->leaf_key, NULL);
	k->other_key_pem = t_pem_key(k->other_key, NULL);
}

static void t_pki_clear(t_pki *k)
{
	EVP_PKEY *keys[] = { k->root_key, k->inter_key, k->leaf_key, k->other_key };
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
		EVP_PKEY_free(keys[i]);
	X509_free(k->root);
	X509_free(k->inter);
	X509_free(k->leaf);
	g_free(k->leaf_pem);
	g_free(k->inter_pem);
	g_free(k->root_pem);
	g_free(k->key_pem);
	g_free(k->other_key_pem);
}

static gboolean t_has_warning(const bw_tls_cert_info *i, const char *part)
{
	for (char **w = i->warnings; *w; w++)
		if (strstr(*w, part))
			return TRUE;
	return FALSE;
}

/* The upload is refused on part code with a message holding text. */
static void t_refused(const bw_tls_upload *u, int code, const char *text)
{
	GError *err = NULL;
	bw_tls_cert_info *i = bw_tls_cert_check(u, &err);
	g_assert_null(i);
	g_assert_error(err, BW_TLS_UPLOAD_ERROR, code);
	if (!strstr(err->message, text))
		g_error("expected \"%s\" in \"%s\"", text, err->message);
	g_error_free(err);
}

static void test_pem_ok(void)
{
	t_pki k;
	t_pki_init(&k);
	bw_tls_upload u = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = k.inter_pem };
	GError *err = NULL;
	bw_tls_cert_info *i = bw_tls_cert_check(&u, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(i->common_name, ==, "pbx.example.test");
	g_assert_cmpstr(i->san[0], ==, "DNS:pbx.example.test");
	g_assert_null(i->san[1]);
	g_assert_cmpstr(i->issuer, ==, "CN=Test Intermediate");
	g_assert_cmpstr(i->key_type, ==, "EC");
	g_assert_cmpint(i->key_bits, ==, 256);
	g_assert_cmpuint(i->chain_length, ==, 1);
	g_assert_cmpint(i->days_left, >=, 199);
	g_assert_cmpuint(strlen(i->fingerprint), ==, 32 * 3 - 1);
	g_assert_false(i->self_signed);
	g_assert_null(i->warnings[0]);   /* a proper certificate: nothing to say */
	bw_tls_cert_info_free(i);

	/* everything in one text: leaf, chain, key */
	char *all = g_strconcat(k.leaf_pem, k.inter_pem, k.key_pem, NULL);
	bw_tls_upload one = { .certificate = all };
	i = bw_tls_cert_check(&one, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(i->chain_length, ==, 1);
	bw_tls_cert_info_free(i);
	g_free(all);

	/* no chain: a warning, not a refusal */
	bw_tls_upload nochain = { .certificate = k.leaf_pem, .key = k.key_pem };
	i = bw_tls_cert_check(&nochain, &err);
	g_assert_no_error(err);
	g_assert_true(t_has_warning(i, "no chain was given"));
	bw_tls_cert_info_free(i);
	t_pki_clear(&k);
}

static void test_pem_refused(void)
{
	t_pki k;
	t_pki_init(&k);
	bw_tls_upload none = { .certificate = "" };
	t_refused(&none, BW_TLS_UPLOAD_CERTIFICATE, "missing");
	bw_tls_upload garbage = { .certificate = "hello", .key = k.key_pem };
	t_refused(&garbage, BW_TLS_UPLOAD_CERTIFICATE, "no PEM certificate");
	char *broken = g_strdup(k.leaf_pem);
	broken[40] = '!';
	bw_tls_upload damaged = { .certificate = broken, .key = k.key_pem };
	t_refused(&damaged, BW_TLS_UPLOAD_CERTIFICATE, "damaged");
	g_free(broken);
	bw_tls_upload nokey = { .certificate = k.leaf_pem };
	t_refused(&nokey, BW_TLS_UPLOAD_KEY, "private key is missing");
	bw_tls_upload badkey = { .certificate = k.leaf_pem, .key = "-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----\n" };
	t_refused(&badkey, BW_TLS_UPLOAD_KEY, "not a readable PEM private key");
	bw_tls_upload mismatch = { .certificate = k.leaf_pem, .key = k.other_key_pem };
	t_refused(&mismatch, BW_TLS_UPLOAD_KEY, "does not match");
	/* the root did not sign the leaf */
	bw_tls_upload broken_chain = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = k.root_pem };
	t_refused(&broken_chain, BW_TLS_UPLOAD_CHAIN, "broken chain");
	/* right certificates, wrong order */
	char *reversed = g_strconcat(k.root_pem, k.inter_pem, NULL);
	bw_tls_upload order = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = reversed };
	t_refused(&order, BW_TLS_UPLOAD_CHAIN, "chain certificate 1");
	g_free(reversed);
	bw_tls_upload badchain = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = "nothing" };
	t_refused(&badchain, BW_TLS_UPLOAD_CHAIN, "no PEM certificate");
	char *big = g_malloc(BW_TLS_UPLOAD_MAX + 2);
	memset(big, 'A', BW_TLS_UPLOAD_MAX + 1);
	big[BW_TLS_UPLOAD_MAX + 1] = '\0';
	bw_tls_upload huge = { .certificate = big, .key = k.key_pem };
	t_refused(&huge, BW_TLS_UPLOAD_CERTIFICATE, "larger than");
	g_free(big);
	t_pki_clear(&k);
}

static void test_encrypted_key(void)
{
	t_pki k;
	t_pki_init(&k);
	char *enc = t_pem_key(k.leaf_key, "s3cret-Pass");
	bw_tls_upload u = { .certificate = k.leaf_pem, .key = enc, .chain = k.inter_pem };
	t_refused(&u, BW_TLS_UPLOAD_KEY_PASSWORD, "encrypted: give its password");
	u.key_password = "wrong";
	t_refused(&u, BW_TLS_UPLOAD_KEY_PASSWORD, "wrong password");
	u.key_password = "s3cret-Pass";
	GError *err = NULL;
	bw_tls_cert_info *i = bw_tls_cert_check(&u, &err);
	g_assert_no_error(err);
	bw_tls_cert_info_free(i);
	g_free(enc);
	t_pki_clear(&k);
}

/* A self-signed certificate of spec with key, checked. */
static bw_tls_cert_info *t_check_self(const t_spec *s, EVP_PKEY *key, GError **err)
{
	X509 *x = t_cert(s, key, NULL, NULL);
	char *cp = t_pem_cert(x, NULL), *kp = t_pem_key(key, NULL);
	bw_tls_upload u = { .certificate = cp, .key = kp };
	bw_tls_cert_info *i = bw_tls_cert_check(&u, err);
	g_free(cp);
	g_free(kp);
	X509_free(x);
	return i;
}

static void test_validity_and_strength(void)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	GError *err = NULL;
	t_spec expired = { "old.example.test", NULL, -86400 * 10, -86400, FALSE };
	g_assert_null(t_check_self(&expired, ec, &err));
	g_assert_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_CERTIFICATE);
	g_assert_nonnull(strstr(err->message, "has expired"));
	g_clear_error(&err);
	t_spec future = { "new.example.test", NULL, 86400, 86400 * 10, FALSE };
	g_assert_null(t_check_self(&future, ec, &err));
	g_assert_nonnull(strstr(err->message, "not valid yet"));
	g_clear_error(&err);
	EVP_PKEY *rsa = EVP_RSA_gen(1024);
	g_assert_null(t_check_self(&leaf_spec, rsa, &err));
	g_assert_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_CERTIFICATE);
	g_assert_nonnull(strstr(err->message, "weak key: RSA with 1024 bits"));
	g_clear_error(&err);
	EVP_PKEY *p224 = EVP_EC_gen("P-224");
	g_assert_null(t_check_self(&leaf_spec, p224, &err));
	g_assert_nonnull(strstr(err->message, "weak key: EC with 224 bits"));
	g_clear_error(&err);
	EVP_PKEY_free(p224);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

static void test_warnings(void)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	GError *err = NULL;
	t_spec wild = { "*.example.test", "DNS:*.example.test,DNS:example.test", -60, 86400 * 20, FALSE };
	bw_tls_cert_info *i = t_check_self(&wild, ec, &err);
	g_assert_no_error(err);
	g_assert_true(t_has_warning(i, "wildcard common name *.example.test"));
	g_assert_true(t_has_warning(i, "wildcard subject alternative name *.example.test"));
	g_assert_true(t_has_warning(i, "expires in 19 days") || t_has_warning(i, "expires in 20 days"));
	g_assert_true(t_has_warning(i, "self-signed"));
	g_assert_false(t_has_warning(i, "no chain"));   /* self-signed: there is none */
	g_assert_true(i->self_signed);
	bw_tls_cert_info_free(i);
	t_spec ip = { "192.0.2.7", "IP:192.0.2.7", -60, 86400 * 100, FALSE };
	i = t_check_self(&ip, ec, &err);
	g_assert_no_error(err);
	g_assert_true(t_has_warning(i, "common name is an IP address (192.0.2.7)"));
	g_assert_cmpstr(i->san[0], ==, "IP:192.0.2.7");
	g_assert_false(t_has_warning(i, "expires in"));
	bw_tls_cert_info_free(i);
	EVP_PKEY_free(ec);
}

static GBytes *t_p12(t_pki *k, const char *password, gboolean with_chain)
{
	STACK_OF(X509) *ca = sk_X509_new_null();
	if (with_chain) {
		sk_X509_push(ca, k->root);     /* bags in the wrong order on purpose */
		sk_X509_push(ca, k->inter);
	}
	PKCS12 *p12 = PKCS12_create(password, "bulwark", k->leaf_key, k->leaf, ca, 0, 0, 0, 0, 0);
	g_assert_nonnull(p12);
	unsigned char *der = NULL;
	int n = i2d_PKCS12(p12, &der);
	g_assert_cmpint(n, >, 0);
	GBytes *b = g_bytes_new(der, (gsize)n);
	OPENSSL_free(der);
	PKCS12_free(p12);
	sk_X509_free(ca);
	return b;
}

static void test_pkcs12(void)
{
	t_pki k;
	t_pki_init(&k);
	GBytes *p12 = t_p12(&k, "p12-Pass", TRUE);
	bw_tls_upload u = { .pkcs12 = p12, .password = "p12-Pass" };
	GError *err = NULL;
	bw_tls_cert_info *i = bw_tls_cert_check(&u, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(i->common_name, ==, "pbx.example.test");
	g_assert_cmpuint(i->chain_length, ==, 2);   /* reordered: intermediate, root */
	bw_tls_cert_info_free(i);
	u.password = "nope";
	t_refused(&u, BW_TLS_UPLOAD_PASSWORD, "wrong password");
	u.password = NULL;
	t_refused(&u, BW_TLS_UPLOAD_PASSWORD, "password-protected");
	GBytes *junk = g_bytes_new_static("not pkcs12", 10);
	bw_tls_upload j = { .pkcs12 = junk, .password = "x" };
	t_refused(&j, BW_TLS_UPLOAD_PKCS12, "not a PKCS#12 file");
	g_bytes_unref(junk);
	g_bytes_unref(p12);
	t_pki_clear(&k);
}

static void t_on_changed(const bw_event *ev, void *user_data)
{
	GPtrArray *got = user_data;
	g_ptr_array_add(got, g_strdup(bw_event_get(ev, "fingerprint")));
}

static void test_install(void)
{
	char *dir = bw_test_tmpdir();
	bw_tls_params p = { .data_dir = dir, .host_name = "localhost" };
	GError *err = NULL;
	g_assert_true(bw_tls_configure_params(&p, &err));
	g_assert_no_error(err);
	bw_tls_cert_info *before = bw_tls_cert_current(&err);
	g_assert_no_error(err);
	g_assert_true(before->generated);
	g_assert_cmpstr(before->source, ==, "generated");
	g_assert_true(t_has_warning(before, "bulwarkd generated"));

	GMainContext *ctx = g_main_context_new();
	GPtrArray *got = g_ptr_array_new_with_free_func(g_free);
	bw_sub *sub = bw_bus_subscribe("tls.certificate.changed", ctx, 0, t_on_changed, got);

	t_pki k;
	t_pki_init(&k);
	bw_tls_upload bad = { .certificate = k.leaf_pem, .key = k.other_key_pem };
	g_assert_null(bw_tls_cert_install(&bad, "test", &err));
	g_assert_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_KEY);
	g_clear_error(&err);
	char *path = g_build_filename(dir, "tls", "installed.pem", NULL);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));   /* a refusal installs nothing */

	bw_tls_upload u = { .certificate = k.leaf_pem, .key = k.key_pem, .chain = k.inter_pem };
	bw_tls_cert_info *i = bw_tls_cert_install(&u, "test", &err);
	g_assert_no_error(err);
	g_assert_cmpstr(i->source, ==, "installed");
	SSL_CTX *s = bw_tls_server_ctx(&err);
	g_assert_cmpint(X509_cmp(SSL_CTX_get0_certificate(s), k.leaf), ==, 0);
	SSL_CTX_free(s);
	struct stat st;
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	for (int n = 0; n < 200 && got->len == 0; n++)
		g_main_context_iteration(ctx, got->len == 0 && n > 0);
	g_assert_cmpuint(got->len, ==, 1);
	g_assert_cmpstr(got->pdata[0], ==, i->fingerprint);

	/* a restart keeps it, even with a certificate named in <tls> */
	bw_tls_shutdown();
	char *cfg_crt = g_build_filename(dir, "cfg.crt", NULL), *cfg_key = g_build_filename(dir, "cfg.key", NULL);
	char *rk = t_pem_key(k.root_key, NULL);
	g_assert_true(g_file_set_contents(cfg_crt, k.root_pem, -1, NULL));
	g_assert_true(g_file_set_contents(cfg_key, rk, -1, NULL));
	bw_tls_params pc = { .data_dir = dir, .certificate = cfg_crt, .key = cfg_key };
	g_assert_true(bw_tls_configure_params(&pc, &err));
	bw_tls_cert_info *after = bw_tls_cert_current(&err);
	g_assert_no_error(err);
	g_assert_cmpstr(after->fingerprint, ==, i->fingerprint);
	g_assert_cmpstr(after->source, ==, "installed");
	g_assert_cmpuint(after->chain_length, ==, 1);
	bw_tls_cert_info_free(after);

	/* a damaged installed file falls back to the configured one, then the generated one */
	g_assert_true(g_file_set_contents(path, "junk", 4, NULL));
	g_assert_true(bw_tls_configure_params(&pc, &err));
	after = bw_tls_cert_current(&err);
	g_assert_cmpstr(after->source, ==, "configuration");
	g_assert_cmpstr(after->common_name, ==, "Test Root");
	bw_tls_cert_info_free(after);
	g_assert_true(bw_tls_configure_params(&p, &err));
	after = bw_tls_cert_current(&err);
	g_assert_cmpstr(after->fingerprint, ==, before->fingerprint);
	bw_tls_cert_info_free(after);
	g_free(rk);
	g_free(cfg_crt);
	g_free(cfg_key);

	bw_bus_unsubscribe(sub);
	g_main_context_unref(ctx);
	g_ptr_array_unref(got);
	bw_tls_cert_info_free(i);
	bw_tls_cert_info_free(before);
	bw_tls_shutdown();
	t_pki_clear(&k);
	g_free(path);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_install_unconfigured(void)
{
	bw_tls_shutdown();
	GError *err = NULL;
	bw_tls_upload u = { .certificate = "x" };
	g_assert_null(bw_tls_cert_install(&u, "test", &err));
	g_assert_error(err, BW_TLS_UPLOAD_ERROR, BW_TLS_UPLOAD_SYSTEM);
	g_clear_error(&err);
	g_assert_null(bw_tls_cert_current(&err));
	g_assert_nonnull(err);
	g_clear_error(&err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* the core warns (no audit log here, a damaged installed file): expected */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_test_add_func("/tls-cert/pem-ok", test_pem_ok);
	g_test_add_func("/tls-cert/pem-refused", test_pem_refused);
	g_test_add_func("/tls-cert/encrypted-key", test_encrypted_key);
	g_test_add_func("/tls-cert/validity-strength", test_validity_and_strength);
	g_test_add_func("/tls-cert/warnings", test_warnings);
	g_test_add_func("/tls-cert/pkcs12", test_pkcs12);
	g_test_add_func("/tls-cert/install", test_install);
	g_test_add_func("/tls-cert/install-unconfigured", test_install_unconfigured);
	return g_test_run();
}
