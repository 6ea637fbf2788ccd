/* TLS contexts (bulwark/tls.h) and the <tls> set-up (tlsctx.h).
 *
 * Contract: one server SSL_CTX is current, kept behind a lock and replaced
 * whole by every bw_tls_configure* call (so a certificate can be swapped
 * without a restart); callers get their own reference. TLS 1.3 minimum, 1.2
 * only when configured and then only ECDHE + AEAD suites. The certificate
 * is the customer's (PEM or PKCS#12) or one generated once in DATA_DIR/tls.
 * Every file read is bounded in size; key material and passwords are wiped
 * after use and never logged. A certificate installed at run time
 * (tls-install.c) lives in DATA_DIR/tls/installed.pem and takes precedence
 * over <tls> and the generated one. */
#define G_LOG_DOMAIN "tls"
#include "tlsctx.h"
#include "util.h"
#include <bulwark/tls.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define TLS_MAX_FILE (1024 * 1024)      /* a PEM/P12 bigger than this is not ours */
#define TLS_MAX_PASSWORD 1024
#define TLS_CERT_DAYS 825               /* the CA/Browser ceiling browsers accept */

static const char tls12_ciphers[] =
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
static const char tls13_suites[] =
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
static const char tls_groups[] = "X25519:P-256:P-384";

const char *bw_tls_policy(const char *name)
{
	if (g_strcmp0(name, "CipherString") == 0)
		return tls12_ciphers;
	if (g_strcmp0(name, "Ciphersuites") == 0)
		return tls13_suites;
	if (g_strcmp0(name, "Groups") == 0)
		return tls_groups;
	return NULL;
}

static GMutex state_lock;
static SSL_CTX *server_ctx;                 /* under state_lock */
static int min_version = TLS1_3_VERSION;    /* under state_lock */

G_DEFINE_QUARK(bw-tls-error-quark, bw_tls_error)

static char *installed_path;                /* under state_lock; DATA_DIR/tls/installed.pem */
static const char *cert_source;             /* under state_lock; a static string */

typedef bw_tls_bundle tls_material;

static void tls_material_clear(tls_material *m)
{
	bw_tls_bundle_clear(m);
}

/* The most specific OpenSSL reason of the failure just seen; empties the
 * queue so a later failure does not inherit stale reasons. */
static char *bw_tls_reason(void)
{
	unsigned long e, first = 0;
	while ((e = ERR_get_error()) != 0)
		if (!first)
			first = e;
	if (!first)
		return g_strdup("no detail from OpenSSL");
	const char *lib = ERR_lib_error_string(first);
	const char *reason = ERR_reason_error_string(first);
	if (!reason) {
		char buf[256];
		ERR_error_string_n(first, buf, sizeof buf);
		return g_strdup(buf);
	}
	return lib ? g_strdup_printf("%s: %s", lib, reason) : g_strdup(reason);
}

static void bw_tls_crypto_error(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void bw_tls_crypto_error(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *why = bw_tls_reason();
	g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO, "%s: %s", what, why);
	g_free(what);
	g_free(why);
}

static void bw_tls_secret_free(char *buf, gsize len)
{
	if (buf) {
		OPENSSL_cleanse(buf, len);
		g_free(buf);
	}
}

/* ---- bounded file reading ------------------------------------------------ */

static gboolean bw_tls_read_fd(int fd, char *buf, gsize len)
{
	gsize got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		got += (gsize)n;
	}
	return TRUE;
}

/* The whole file named by attribute attr, at most TLS_MAX_FILE bytes;
 * free with bw_tls_secret_free. */
static char *bw_tls_read_file(const char *attr, const char *path, gboolean secret,
			      gsize *len, GError **err)
{
	int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_IO, "<tls> %s=\"%s\": cannot read: %s",
			    attr, path, g_strerror(e));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	const char *bad = !S_ISREG(st.st_mode) ? "not a regular file"
		: st.st_size == 0 ? "the file is empty"
		: st.st_size > TLS_MAX_FILE ? "larger than 1 MiB, not a certificate or key file" : NULL;
	if (bad) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_IO, "<tls> %s=\"%s\": %s", attr, path, bad);
		close(fd);
		return NULL;
	}
	if (secret && (st.st_mode & 0077))
		g_warning("<tls> %s=\"%s\" is readable by others (mode %04o): fix with 'chmod 0600 %s'",
			  attr, path, (unsigned)(st.st_mode & 07777), path);
	*len = (gsize)st.st_size;
	char *buf = g_malloc(*len + 1);
	gboolean ok = bw_tls_read_fd(fd, buf, *len);
	int e = errno;
	close(fd);
	if (!ok) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_IO, "<tls> %s=\"%s\": read failed: %s",
			    attr, path, e ? g_strerror(e) : "the file shrank while being read");
		bw_tls_secret_free(buf, *len);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* The first line of password-file; NULL without one. */
static gboolean bw_tls_read_password(const char *path, char **out, GError **err)
{
	*out = NULL;
	if (!path)
		return TRUE;
	gsize len;
	char *buf = bw_tls_read_file("password-file", path, TRUE, &len, err);
	if (!buf)
		return FALSE;
	gsize n = strcspn(buf, "\r\n");
	if (n > TLS_MAX_PASSWORD) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_INVALID,
			    "<tls> password-file=\"%s\": the first line is longer than %d bytes",
			    path, TLS_MAX_PASSWORD);
		bw_tls_secret_free(buf, len);
		return FALSE;
	}
	*out = g_strndup(buf, n);
	bw_tls_secret_free(buf, len);
	return TRUE;
}

/* ---- customer certificates -------------------------------------------- */

typedef struct {
	const char *password;
	gboolean asked;
} bw_tls_pw;

/* Never prompt on a terminal: the password comes from password-file only. */
static int bw_tls_pem_password(char *buf, int size, int rwflag, void *u)
{
	bw_tls_pw *pw = u;
	pw->asked = TRUE;
	if (!pw->password)
		return -1;
	size_t n = strlen(pw->password);
	if (n > (size_t)size)
		return -1;
	memcpy(buf, pw->password, n);
	return (int)n;
}

static gboolean bw_tls_pem_at_end(void)
{
	unsigned long e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return TRUE;
	}
	return FALSE;
}

/* Every certificate of a PEM file: the first into *leaf (when leaf is not
 * NULL), the others appended to chain. */
static gboolean bw_tls_load_certs(const char *attr, const char *path, X509 **leaf,
				  STACK_OF(X509) *chain, GError **err)
{
	gsize len;
	char *buf = bw_tls_read_file(attr, path, FALSE, &len, err);
	if (!buf)
		return FALSE;
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	guint n = 0;
	gboolean ok = bio != NULL;
	ERR_clear_error();
	while (ok) {
		X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (!x) {
			ok = n > 0 && bw_tls_pem_at_end();
			break;
		}
		if (n++ == 0 && leaf)
			*leaf = x;
		else if (!sk_X509_push(chain, x)) {
			X509_free(x);
			ok = FALSE;
		}
	}
	if (!ok)
		bw_tls_crypto_error(err, "<tls> %s=\"%s\": not a PEM certificate", attr, path);
	BIO_free(bio);
	bw_tls_secret_free(buf, len);
	return ok;
}

static EVP_PKEY *bw_tls_load_key(const char *path, const char *pwfile, const char *password,
				 GError **err)
{
	gsize len;
	char *buf = bw_tls_read_file("key", path, TRUE, &len, err);
	if (!buf)
		return NULL;
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	bw_tls_pw pw = { password, FALSE };
	ERR_clear_error();
	EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, bw_tls_pem_password, &pw) : NULL;
	if (!key && pw.asked && !password) {
		ERR_clear_error();   /* OpenSSL only says "interrupted": ours is clearer */
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO,
			    "<tls> key=\"%s\": the key is encrypted and no password-file= is set", path);
	} else if (!key && pw.asked)
		bw_tls_crypto_error(err, "<tls> key=\"%s\": wrong password in password-file=\"%s\"",
				    path, pwfile);
	else if (!key && !strstr(buf, "PRIVATE KEY-----")) {
		ERR_clear_error();
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO,
			    "<tls> key=\"%s\": not a PEM private key (no \"-----BEGIN ... PRIVATE KEY-----\" block)",
			    path);
	} else if (!key)
		bw_tls_crypto_error(err, "<tls> key=\"%s\": not a PEM private key", path);
	BIO_free(bio);
	bw_tls_secret_free(buf, len);
	return key;
}

static gboolean bw_tls_p12_password_ok(PKCS12 *p12, const char *path, const char *pwfile,
				       const char *password, GError **err)
{
	if (!PKCS12_mac_present(p12))
		return TRUE;
	if (password && *password) {
		if (PKCS12_verify_mac(p12, password, -1))
			return TRUE;
		ERR_clear_error();
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO,
			    "<tls> pkcs12=\"%s\": wrong password in password-file=\"%s\" (MAC verification failed)",
			    path, pwfile);
		return FALSE;
	}
	if (PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0))
		return TRUE;
	ERR_clear_error();
	g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO,
		    "<tls> pkcs12=\"%s\": the file is password-protected: name the password with password-file=",
		    path);
	return FALSE;
}

static gboolean bw_tls_load_p12(const char *path, const char *pwfile, const char *password,
				tls_material *m, GError **err)
{
	gsize len;
	char *buf = bw_tls_read_file("pkcs12", path, TRUE, &len, err);
	if (!buf)
		return FALSE;
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	ERR_clear_error();
	PKCS12 *p12 = bio ? d2i_PKCS12_bio(bio, NULL) : NULL;
	gboolean ok = FALSE;
	if (!p12)
		bw_tls_crypto_error(err, "<tls> pkcs12=\"%s\": not a PKCS#12 file", path);
	else if (bw_tls_p12_password_ok(p12, path, pwfile, password, err)) {
		ok = PKCS12_parse(p12, password, &m->key, &m->cert, &m->chain) == 1;
		if (ok && (!m->key || !m->cert)) {
			ok = FALSE;
			g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO,
				    "<tls> pkcs12=\"%s\": holds no %s", path, m->key ? "certificate" : "private key");
		} else if (!ok)
			bw_tls_crypto_error(err, "<tls> pkcs12=\"%s\": cannot decode (a file exported with "
					    "legacy RC2 encryption must be converted: 'openssl pkcs12 -legacy -in "
					    "OLD.p12 -nodes | openssl pkcs12 -export -out NEW.p12')", path);
	}
	PKCS12_free(p12);
	BIO_free(bio);
	bw_tls_secret_free(buf, len);
	return ok;
}

static gboolean bw_tls_load_customer(const bw_tls_params *p, tls_material *m, GError **err)
{
	char *password = NULL;
	if (!bw_tls_read_password(p->password_file, &password, err))
		return FALSE;
	gboolean ok;
	if (p->pkcs12) {
		ok = bw_tls_load_p12(p->pkcs12, p->password_file, password, m, err);
	} else {
		m->chain = sk_X509_new_null();
		ok = m->chain && bw_tls_load_certs("certificate", p->certificate, &m->cert, m->chain, err) &&
		     (m->key = bw_tls_load_key(p->key, p->password_file, password, err)) != NULL;
	}
	bw_tls_secret_free(password, password ? strlen(password) : 0);
	if (ok && p->chain) {
		if (!m->chain)
			m->chain = sk_X509_new_null();
		ok = m->chain && bw_tls_load_certs("chain", p->chain, NULL, m->chain, err);
	}
	if (ok && X509_check_private_key(m->cert, m->key) != 1) {
		const char *what = p->pkcs12 ? "pkcs12" : "key";
		const char *path = p->pkcs12 ? p->pkcs12 : p->key;
		bw_tls_crypto_error(err, "<tls> %s=\"%s\": the private key does not match the certificate%s%s%s",
				    what, path, p->pkcs12 ? "" : " in certificate=\"",
				    p->pkcs12 ? "" : p->certificate, p->pkcs12 ? "" : "\"");
		ok = FALSE;
	}
	if (!ok)
		tls_material_clear(m);
	return ok;
}

/* ---- generated certificate ---------------------------------------------- */

/* A name fit for CN and a dNSName: LDH labels, no wildcard, not an IP
 * address, and short enough for CN (64). */
static gboolean bw_tls_host_name_ok(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 64 || g_hostname_is_ip_address(h))
		return FALSE;
	const char *label = h;
	gboolean digits_only = TRUE;
	for (const char *c = h;; c++) {
		if (*c == '.' || *c == '\0') {
			size_t l = (size_t)(c - label);
			if (l == 0 || l > 63 || label[0] == '-' || c[-1] == '-')
				return FALSE;
			if (*c == '\0')
				return !digits_only;   /* an all-numeric last label reads as an address */
			label = c + 1;
			digits_only = TRUE;
			continue;
		}
		if (!g_ascii_isalnum(*c) && *c != '-')
			return FALSE;
		if (!g_ascii_isdigit(*c))
			digits_only = FALSE;
	}
}

static const char *bw_tls_pick_host_name(const char *h)
{
	if (!h)
		h = g_get_host_name();
	if (bw_tls_host_name_ok(h))
		return h;
	g_warning("host name \"%s\" cannot name a certificate (an IP address, a wildcard or not a "
		  "DNS name): the generated certificate uses CN=localhost", h);
	return "localhost";
}

static gboolean bw_tls_set_serial(X509 *x)
{
	unsigned char r[16];   /* 128 random bits: unguessable, unique */
	if (RAND_bytes(r, sizeof r) != 1)
		return FALSE;
	BIGNUM *bn = BN_bin2bn(r, sizeof r, NULL);
	gboolean ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static gboolean bw_tls_set_names(X509 *x, const char *host, const char *org)
{
	X509_NAME *n = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)host, -1, -1, 0))
		return FALSE;
	if (org && *org && strlen(org) <= 64 && g_utf8_validate(org, -1, NULL) &&
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0))
		return FALSE;
	return X509_set_issuer_name(x, n) == 1;
}

static gboolean bw_tls_add_dns(GENERAL_NAMES *names, const char *dns)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();
	if (!gn || !s || !ASN1_STRING_set(s, dns, -1)) {
		GENERAL_NAME_free(gn);
		ASN1_IA5STRING_free(s);
		return FALSE;
	}
	GENERAL_NAME_set0_value(gn, GEN_DNS, s);
	if (!sk_GENERAL_NAME_push(names, gn)) {
		GENERAL_NAME_free(gn);
		return FALSE;
	}
	return TRUE;
}

/* Built as objects, not as a config string, so a host name cannot inject
 * more names. */
static gboolean bw_tls_add_san(X509 *x, const char *host)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	gboolean ok = names && bw_tls_add_dns(names, host) &&
		      (g_ascii_strcasecmp(host, "localhost") == 0 || bw_tls_add_dns(names, "localhost")) &&
		      X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(names);
	return ok;
}

static gboolean bw_tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	gboolean ok = e && X509_add_ext(x, e, -1) == 1;
	X509_EXTENSION_free(e);
	return ok;
}

static X509 *bw_tls_build_cert(EVP_PKEY *key, const char *host, const char *org, gboolean rsa)
{
	X509 *x = X509_new();
	gboolean ok = x && X509_set_version(x, X509_VERSION_3) && bw_tls_set_serial(x) &&
		X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
		X509_time_adj_ex(X509_getm_notAfter(x), TLS_CERT_DAYS, 0, NULL) &&
		X509_set_pubkey(x, key) && bw_tls_set_names(x, host, org) &&
		bw_tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") &&
		bw_tls_add_ext(x, NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment"
						     : "critical,digitalSignature") &&
		bw_tls_add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") &&
		bw_tls_add_ext(x, NID_subject_key_identifier, "hash") &&
		bw_tls_add_san(x, host) && X509_sign(x, key, EVP_sha256()) > 0;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Atomic replace, then the exact mode (the umask may have narrowed it). */
static gboolean bw_tls_write_pem(const char *path, int mode, BIO *mem, GError **err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(mem, &data);
	GError *e = NULL;
	if (n <= 0 || !g_file_set_contents_full(path, data, (gssize)n, G_FILE_SET_CONTENTS_CONSISTENT,
						 mode, &e) || g_chmod(path, mode) != 0) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_IO, "cannot write the generated %s: %s", path,
			    e ? e->message : g_strerror(errno));
		g_clear_error(&e);
		return FALSE;
	}
	return TRUE;
}

static gboolean bw_tls_make_dir(const char *dir, GError **err)
{
	struct stat st;
	if (g_mkdir_with_parents(dir, 0700) != 0 || g_stat(dir, &st) != 0 ||
	    ((st.st_mode & 07777) != 0700 && g_chmod(dir, 0700) != 0)) {
		int e = errno;
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_IO,
			    "cannot create %s (mode 0700) for the generated certificate: %s", dir,
			    g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

static gboolean bw_tls_generate(const bw_tls_params *p, const char *dir, const char *crt,
				const char *keyf, tls_material *m, GError **err)
{
	gboolean rsa = g_strcmp0(p->key_type, "rsa") == 0;
	if (!bw_tls_make_dir(dir, err))
		return FALSE;
	const char *host = bw_tls_pick_host_name(p->host_name);
	ERR_clear_error();
	m->key = rsa ? EVP_RSA_gen(3072) : EVP_EC_gen("P-256");
	m->cert = m->key ? bw_tls_build_cert(m->key, host, p->system_name, rsa) : NULL;
	if (!m->cert) {
		bw_tls_crypto_error(err, "cannot generate a %s certificate for %s", rsa ? "RSA-3072" : "P-256",
				    host);
		tls_material_clear(m);
		return FALSE;
	}
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	gboolean ok = kb && cb && PEM_write_bio_PrivateKey(kb, m->key, NULL, NULL, 0, NULL, NULL) &&
		      PEM_write_bio_X509(cb, m->cert);
	if (!ok)
		bw_tls_crypto_error(err, "cannot encode the generated certificate for %s", host);
	ok = ok && bw_tls_write_pem(keyf, 0600, kb, err) && bw_tls_write_pem(crt, 0644, cb, err);
	BIO_free(kb);   /* memory BIOs wipe their buffer when freed */
	BIO_free(cb);
	if (!ok)
		tls_material_clear(m);
	else
		g_message("generated a self-signed %s certificate for %s in %s (valid %d days)",
			  rsa ? "RSA-3072" : "P-256", host, dir, TLS_CERT_DAYS);
	return ok;
}

/* The certificate of an earlier start, when both files are still good. */
static gboolean bw_tls_load_generated(const char *crt, const char *keyf, tls_material *m,
				      GError **why)
{
	bw_tls_params p = { .certificate = crt, .key = keyf };
	if (!bw_tls_load_customer(&p, m, why))
		return FALSE;
	if (X509_cmp_current_time(X509_get0_notAfter(m->cert)) < 0)
		g_warning("the generated certificate %s has expired: delete %s and %s, then restart, "
			  "to get a new one", crt, crt, keyf);
	return TRUE;
}

static void bw_tls_note_key_type(const bw_tls_params *p, EVP_PKEY *key, const char *keyf)
{
	gboolean want_rsa = g_strcmp0(p->key_type, "rsa") == 0;
	if (EVP_PKEY_is_a(key, "RSA") != want_rsa)
		g_message("<tls> key-type=\"%s\" differs from the existing %s: it applies only when the "
			  "certificate is generated again (delete %s to do so)", want_rsa ? "rsa" : "ec",
			  keyf, keyf);
}

static gboolean bw_tls_ensure_generated(const bw_tls_params *p, tls_material *m, GError **err)
{
	if (!p->data_dir) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_INVALID,
			    "<tls> no certificate configured and no data directory to generate one in");
		return FALSE;
	}
	char *dir = g_build_filename(p->data_dir, "tls", NULL);
	char *crt = g_build_filename(dir, "server.crt", NULL);
	char *keyf = g_build_filename(dir, "server.key", NULL);
	gboolean ok;
	GError *why = NULL;
	if (!g_file_test(crt, G_FILE_TEST_EXISTS) && !g_file_test(keyf, G_FILE_TEST_EXISTS)) {
		g_message("no certificate configured and none generated yet: generating one in %s", dir);
		ok = bw_tls_generate(p, dir, crt, keyf, m, err);
	} else if (bw_tls_load_generated(crt, keyf, m, &why)) {
		g_info("using the generated certificate %s", crt);
		bw_tls_note_key_type(p, m->key, keyf);
		ok = TRUE;
	} else {
		g_warning("the generated certificate is unusable (%s): generating a new one in %s",
			  why->message, dir);
		ok = bw_tls_generate(p, dir, crt, keyf, m, err);
	}
	g_clear_error(&why);
	g_free(keyf);
	g_free(crt);
	g_free(dir);
	return ok;
}

/* ---- contexts -------------------------------------------------------- */

static gboolean bw_tls_apply_policy(SSL_CTX *ctx, int minv)
{
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
				 SSL_OP_CIPHER_SERVER_PREFERENCE);
	return SSL_CTX_set_min_proto_version(ctx, minv) == 1 &&
	       SSL_CTX_set_cipher_list(ctx, tls12_ciphers) == 1 &&
	       SSL_CTX_set_ciphersuites(ctx, tls13_suites) == 1 &&
	       SSL_CTX_set1_groups_list(ctx, tls_groups) == 1;
}

static SSL_CTX *bw_tls_build_server(const tls_material *m, int minv, GError **err)
{
	static const unsigned char sid_ctx[] = "bulwark";
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	gboolean ok = ctx && bw_tls_apply_policy(ctx, minv) &&
		SSL_CTX_use_certificate(ctx, m->cert) == 1 &&
		SSL_CTX_use_PrivateKey(ctx, m->key) == 1 &&
		(!m->chain || sk_X509_num(m->chain) == 0 || SSL_CTX_set1_chain(ctx, m->chain) == 1) &&
		SSL_CTX_check_private_key(ctx) == 1 &&
		SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1) == 1;
	if (!ok) {
		bw_tls_crypto_error(err, "cannot build the TLS server context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static gboolean bw_tls_is_customer(const bw_tls_params *p)
{
	return p->certificate || p->key || p->pkcs12;
}

#define bw_tls_invalid(err, ...) \
	bw_util_fail((err), BW_TLS_ERROR, BW_TLS_ERROR_INVALID, __VA_ARGS__)

static gboolean bw_tls_validate(const bw_tls_params *p, GError **err)
{
	if (p->min_version && strcmp(p->min_version, "1.3") != 0 && strcmp(p->min_version, "1.2") != 0)
		return bw_tls_invalid(err, "<tls> min-version=\"%s\": expected \"1.3\" or \"1.2\"", p->min_version);
	if (p->key_type && strcmp(p->key_type, "ec") != 0 && strcmp(p->key_type, "rsa") != 0)
		return bw_tls_invalid(err, "<tls> key-type=\"%s\": expected \"ec\" or \"rsa\"", p->key_type);
	if (p->pkcs12 && (p->certificate || p->key))
		return bw_tls_invalid(err, "<tls> pkcs12=\"%s\" replaces certificate= and key=: set one or the other", p->pkcs12);
	if (!p->pkcs12 && !p->key != !p->certificate)
		return bw_tls_invalid(err, "<tls> certificate= and key= go together%s (or use pkcs12=)",
				      p->key ? ": certificate= is missing" : ": key= is missing");
	if (!bw_tls_is_customer(p) && p->chain)
		return bw_tls_invalid(err, "<tls> chain=\"%s\" needs certificate= and key= or pkcs12=", p->chain);
	if (!bw_tls_is_customer(p) && p->password_file)
		return bw_tls_invalid(err, "<tls> password-file=\"%s\" needs pkcs12= or an encrypted key=", p->password_file);
	return TRUE;
}

static void bw_tls_log_ready(const X509 *cert, int minv)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;
	if (b && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0 &&
	    BIO_puts(b, ", valid until ") > 0 && ASN1_TIME_print(b, X509_get0_notAfter(cert)) &&
	    BIO_write(b, "", 1) == 1)
		BIO_get_mem_data(b, &s);
	g_message("TLS ready: minimum TLS 1.%d, certificate %s", minv == TLS1_2_VERSION ? 2 : 3,
		  s ? s : "(unprintable)");
	BIO_free(b);
}

static void bw_tls_swap(SSL_CTX *ctx, int minv, const char *source, char *installed);

/* The certificate installed at run time (key, certificate and chain in one
 * file, so a crash cannot leave a key beside the wrong certificate). A
 * damaged one is reported and the configured or generated one used. */
static gboolean bw_tls_load_installed(const char *path, tls_material *m)
{
	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return FALSE;
	GError *e = NULL;
	gsize len = 0;
	char *buf = bw_tls_read_file("installed", path, TRUE, &len, &e);
	bw_tls_upload u = { .certificate = buf };
	gboolean ok = buf && bw_tls_upload_parse(&u, m, &e);
	if (ok && X509_check_private_key(m->cert, m->key) != 1) {
		g_set_error(&e, BW_TLS_ERROR, BW_TLS_ERROR_CRYPTO, "the key does not match the certificate");
		ok = FALSE;
	}
	if (!ok) {
		g_warning("the installed certificate %s is unusable (%s): using the configured or "
			  "generated one; install a new one", path, e->message);
		tls_material_clear(m);
	} else {
		g_info("using the installed certificate %s", path);
		if (X509_cmp_current_time(X509_get0_notAfter(m->cert)) < 0)
			g_warning("the installed certificate %s has expired: install a new one", path);
	}
	g_clear_error(&e);
	bw_tls_secret_free(buf, len);
	return ok;
}

gboolean bw_tls_check_params(const bw_tls_params *p, GError **err)
{
	if (!bw_tls_validate(p, err))
		return FALSE;
	if (!bw_tls_is_customer(p))
		return TRUE;
	tls_material m = { 0 };
	gboolean ok = bw_tls_load_customer(p, &m, err);
	tls_material_clear(&m);
	return ok;
}

gboolean bw_tls_configure_params(const bw_tls_params *p, GError **err)
{
	if (!bw_tls_validate(p, err))
		return FALSE;
	int minv = g_strcmp0(p->min_version, "1.2") == 0 ? TLS1_2_VERSION : TLS1_3_VERSION;
	tls_material m = { 0 };
	char *installed = p->data_dir ? g_build_filename(p->data_dir, "tls", "installed.pem", NULL) : NULL;
	const char *source = "installed";
	gboolean ok = installed && bw_tls_load_installed(installed, &m);
	if (!ok) {
		source = bw_tls_is_customer(p) ? "configuration" : "generated";
		ok = bw_tls_is_customer(p) ? bw_tls_load_customer(p, &m, err)
					   : bw_tls_ensure_generated(p, &m, err);
	}
	SSL_CTX *ctx = ok ? bw_tls_build_server(&m, minv, err) : NULL;
	if (ctx)
		bw_tls_log_ready(m.cert, minv);
	tls_material_clear(&m);
	if (!ctx) {
		g_free(installed);
		return FALSE;
	}
	bw_tls_swap(ctx, minv, source, installed);
	return TRUE;
}

/* Another thread may be taking a reference right now: swap under the
 * lock, free the old one outside it. Takes ctx and installed. */
static void bw_tls_swap(SSL_CTX *ctx, int minv, const char *source, char *installed)
{
	g_mutex_lock(&state_lock);
	SSL_CTX *old = server_ctx;
	server_ctx = ctx;
	min_version = minv;
	cert_source = source;
	if (installed) {
		g_free(installed_path);
		installed_path = installed;
	}
	g_mutex_unlock(&state_lock);
	SSL_CTX_free(old);   /* connections still holding it keep their own reference */
}

gboolean bw_tls_use_bundle(const bw_tls_bundle *b, const char *source, GError **err)
{
	g_mutex_lock(&state_lock);
	int minv = min_version;
	g_mutex_unlock(&state_lock);
	SSL_CTX *ctx = bw_tls_build_server(b, minv, err);
	if (!ctx)
		return FALSE;
	bw_tls_log_ready(b->cert, minv);
	bw_tls_swap(ctx, minv, source, NULL);
	return TRUE;
}

char *bw_tls_installed_path(void)
{
	g_mutex_lock(&state_lock);
	char *p = g_strdup(installed_path);
	g_mutex_unlock(&state_lock);
	return p;
}

char *bw_tls_current_source(void)
{
	g_mutex_lock(&state_lock);
	char *s = g_strdup(cert_source);
	g_mutex_unlock(&state_lock);
	return s;
}

/* ---- the configuration adapter ---------------------------------------- */

/* The schema has already checked the values (absolute paths, known
 * versions and key types); validation runs again for direct callers. */
static void bw_tls_node_params(bw_tls_params *p, const bw_conf_node *n)
{
	memset(p, 0, sizeof *p);
	if (!n)
		return;
	p->certificate = bw_conf_attr(n, "certificate");
	p->key = bw_conf_attr(n, "key");
	p->chain = bw_conf_attr(n, "chain");
	p->pkcs12 = bw_conf_attr(n, "pkcs12");
	p->password_file = bw_conf_attr(n, "password-file");
	p->min_version = bw_conf_attr(n, "min-version");
	p->key_type = bw_conf_attr(n, "key-type");
}

gboolean bw_tls_configure(const bw_config *cfg, GError **err)
{
	bw_tls_params p;
	bw_tls_node_params(&p, bw_conf_child(bw_config_root(cfg), "tls"));
	p.data_dir = bw_config_data_dir(cfg);
	p.system_name = bw_config_system_name(cfg);
	return bw_tls_configure_params(&p, err);
}

gboolean bw_tls_check_files(const bw_conf_node *tls, GError **err)
{
	bw_tls_params p;
	bw_tls_node_params(&p, tls);
	return bw_tls_check_params(&p, err);
}

void bw_tls_shutdown(void)
{
	g_mutex_lock(&state_lock);
	SSL_CTX *old = server_ctx;
	server_ctx = NULL;
	min_version = TLS1_3_VERSION;
	cert_source = NULL;
	g_clear_pointer(&installed_path, g_free);
	g_mutex_unlock(&state_lock);
	SSL_CTX_free(old);
}

/* ---- public API (bulwark/tls.h) --------------------------------------- */

SSL_CTX *bw_tls_server_ctx(GError **err)
{
	g_mutex_lock(&state_lock);
	SSL_CTX *ctx = server_ctx;
	if (ctx && SSL_CTX_up_ref(ctx) != 1)
		ctx = NULL;
	g_mutex_unlock(&state_lock);
	if (!ctx)
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_INVALID,
			    "no TLS server context: TLS is not configured yet (bw_tls_configure has not "
			    "succeeded)");
	return ctx;
}

SSL_CTX *bw_tls_client_ctx(const char *ca_file, GError **err)
{
	g_mutex_lock(&state_lock);
	int minv = min_version;
	g_mutex_unlock(&state_lock);
	ERR_clear_error();
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !bw_tls_apply_policy(ctx, minv)) {
		bw_tls_crypto_error(err, "cannot build a TLS client context");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
		    : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		bw_tls_crypto_error(err, "TLS client: cannot load trusted certificates from %s",
				    ca_file ? ca_file : "the system's default paths");
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int bw_tls_client_setup(SSL *ssl, const char *host)
{
	char name[256];
	if (!ssl || !host)
		return EINVAL;
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {   /* "[::1]" as in a URI */
		host++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof name)
		return EINVAL;
	memcpy(name, host, n);
	name[n] = '\0';
	if (g_hostname_is_ip_address(name)) {
		/* no SNI for addresses (RFC 6066); match the iPAddress SAN */
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
			return EINVAL;
	} else {
		if (SSL_set_tlsext_host_name(ssl, name) != 1 || SSL_set1_host(ssl, name) != 1)
			return EINVAL;
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	/* whatever context ssl came from, a name check without chain
	 * verification would mean nothing */
	SSL_set_verify(ssl, SSL_VERIFY_PEER, SSL_get_verify_callback(ssl));
	return 0;
}
