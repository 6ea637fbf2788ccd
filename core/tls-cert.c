/* Certificate uploads (tlsctx.h, bulwark/tls.h): PEM texts or PKCS#12
 * bytes parsed from memory into a bundle, the checks that refuse one
 * (key mismatch, not valid now, weak key, broken chain) and the details
 * with warnings shown to an administrator.
 *
 * Every failure is a BW_TLS_UPLOAD_ERROR whose code names the part of
 * the upload at fault, so a form can put the message next to its field.
 * Texts are bounded (BW_TLS_UPLOAD_MAX); passwords are never copied. */
#define G_LOG_DOMAIN "tls"
#include "tlsctx.h"
#include <string.h>
#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#define TLS_WARN_DAYS BW_TLS_EXPIRY_WARN_DAYS
#define TLS_CHAIN_MAX 10      /* intermediates accepted after the leaf */

G_DEFINE_QUARK(bw-tls-upload-error-quark, bw_tls_upload_error)

void bw_tls_bundle_clear(bw_tls_bundle *b)
{
	X509_free(b->cert);
	EVP_PKEY_free(b->key);
	sk_X509_pop_free(b->chain, X509_free);
	memset(b, 0, sizeof *b);
}

static gboolean bw_tls_fail(GError **err, bw_tls_upload_field f, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static gboolean bw_tls_fail(GError **err, bw_tls_upload_field f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	ERR_clear_error();   /* a later failure must not inherit these reasons */
	g_set_error_literal(err, BW_TLS_UPLOAD_ERROR, f, msg);
	g_free(msg);
	return FALSE;
}

static char *bw_tls_name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *text = NULL;
	long len;
	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		text = g_strndup(data, (gsize)len);
	BIO_free(b);
	return text ? text : g_strdup("?");
}

static char *bw_tls_subject_text(const X509 *x)
{
	return bw_tls_name_text(X509_get_subject_name(x));
}

/* ---- parsing ----------------------------------------------------------- */

static gboolean bw_tls_text_ok(const char *text, const char *what, bw_tls_upload_field f,
			       GError **err)
{
	if (strlen(text) > BW_TLS_UPLOAD_MAX)
		return bw_tls_fail(err, f, "the %s is larger than %d KiB: not a certificate file",
				   what, BW_TLS_UPLOAD_MAX / 1024);
	return TRUE;
}

/* Every CERTIFICATE block of text, in order (other blocks are skipped). */
static gboolean bw_tls_pem_certs(const char *text, const char *what, bw_tls_upload_field f,
				 STACK_OF(X509) *out, GError **err)
{
	if (!bw_tls_text_ok(text, what, f, err))
		return FALSE;
	BIO *bio = BIO_new_mem_buf(text, -1);
	ERR_clear_error();
	X509 *x;
	while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(out) > TLS_CHAIN_MAX || !sk_X509_push(out, x)) {
			X509_free(x);
			BIO_free(bio);
			return bw_tls_fail(err, f, "the %s holds more than %d certificates", what,
					   TLS_CHAIN_MAX + 1);
		}
	}
	unsigned long e = ERR_peek_last_error();
	gboolean at_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	BIO_free(bio);
	if (!at_end) {
		const char *why = ERR_reason_error_string(e);
		return bw_tls_fail(err, f, "the %s has a damaged PEM certificate block (%s)", what,
				   why ? why : "cannot decode");
	}
	ERR_clear_error();
	return TRUE;
}

typedef struct {
	const char *password;
	gboolean asked;
} bw_tls_pass;

static int bw_tls_pass_cb(char *buf, int size, int rwflag, void *u)
{
	bw_tls_pass *p = u;
	(void)rwflag;
	p->asked = TRUE;
	size_t n = p->password ? strlen(p->password) : 0;
	if (!p->password || n > (size_t)size)
		return -1;
	memcpy(buf, p->password, n);
	return (int)n;
}

static gboolean bw_tls_has_key_block(const char *text)
{
	return text && strstr(text, "PRIVATE KEY-----") != NULL;
}

static gboolean bw_tls_pem_key(const char *text, const char *what, const char *password,
			       EVP_PKEY **key, GError **err)
{
	if (!bw_tls_text_ok(text, what, BW_TLS_UPLOAD_KEY, err))
		return FALSE;
	BIO *bio = BIO_new_mem_buf(text, -1);
	bw_tls_pass p = { password, FALSE };
	ERR_clear_error();
	*key = bio ? PEM_read_bio_PrivateKey(bio, NULL, bw_tls_pass_cb, &p) : NULL;
	BIO_free(bio);
	if (*key)
		return TRUE;
	if (p.asked && !(password && *password))
		return bw_tls_fail(err, BW_TLS_UPLOAD_KEY_PASSWORD,
				   "the private key is encrypted: give its password");
	if (p.asked)
		return bw_tls_fail(err, BW_TLS_UPLOAD_KEY_PASSWORD,
				   "wrong password for the encrypted private key");
	return bw_tls_fail(err, BW_TLS_UPLOAD_KEY, "the %s is not a readable PEM private key", what);
}

static gboolean bw_tls_parse_pem(const bw_tls_upload *u, bw_tls_bundle *b, GError **err)
{
	if (!u->certificate || !*u->certificate)
		return bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
				   "the certificate is missing (PEM, \"-----BEGIN CERTIFICATE-----\")");
	STACK_OF(X509) *certs = sk_X509_new_null();
	b->chain = sk_X509_new_null();
	if (!certs || !b->chain) {
		sk_X509_free(certs);
		return bw_tls_fail(err, BW_TLS_UPLOAD_SYSTEM, "out of memory");
	}
	gboolean ok = bw_tls_pem_certs(u->certificate, "certificate text", BW_TLS_UPLOAD_CERTIFICATE,
				       certs, err);
	if (ok && sk_X509_num(certs) == 0)
		ok = bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
				 "no PEM certificate found (a \"-----BEGIN CERTIFICATE-----\" block)");
	if (ok) {
		b->cert = sk_X509_shift(certs);
		while (sk_X509_num(certs) > 0)   /* certificates after the leaf: its chain */
			sk_X509_push(b->chain, sk_X509_shift(certs));
	}
	sk_X509_pop_free(certs, X509_free);
	if (ok && u->chain && *u->chain)
		ok = bw_tls_pem_certs(u->chain, "chain", BW_TLS_UPLOAD_CHAIN, b->chain, err);
	if (ok && u->chain && *u->chain && sk_X509_num(b->chain) == 0)
		ok = bw_tls_fail(err, BW_TLS_UPLOAD_CHAIN, "no PEM certificate found in the chain");
	const char *ktext = u->key && *u->key ? u->key : u->certificate;
	if (ok && !bw_tls_has_key_block(ktext))
		ok = bw_tls_fail(err, BW_TLS_UPLOAD_KEY, u->key && *u->key
				 ? "not a PEM private key (no \"-----BEGIN ... PRIVATE KEY-----\" block)"
				 : "the private key is missing (PEM, \"-----BEGIN PRIVATE KEY-----\")");
	if (ok)
		ok = bw_tls_pem_key(ktext, ktext == u->key ? "key" : "certificate text",
				    u->key_password, &b->key, err);
	return ok;
}

/* PKCS#12 bags come in any order: put the intermediates in issuing order
 * from the leaf up; unrelated ones stay at the end for the check. */
static void bw_tls_chain_order(bw_tls_bundle *b)
{
	X509 *prev = b->cert;
	int n = b->chain ? sk_X509_num(b->chain) : 0;
	for (int i = 0; i < n; i++) {
		int found = -1;
		for (int j = i; j < n && found < 0; j++)
			if (X509_check_issued(sk_X509_value(b->chain, j), prev) == X509_V_OK)
				found = j;
		if (found < 0)
			return;
		X509 *x = sk_X509_value(b->chain, found);
		sk_X509_set(b->chain, found, sk_X509_value(b->chain, i));
		sk_X509_set(b->chain, i, x);
		prev = x;
	}
}

static gboolean bw_tls_p12_mac(PKCS12 *p12, const char *password, GError **err)
{
	if (!PKCS12_mac_present(p12))
		return TRUE;
	if (password && *password) {
		if (PKCS12_verify_mac(p12, password, -1))
			return TRUE;
		return bw_tls_fail(err, BW_TLS_UPLOAD_PASSWORD,
				   "wrong password for the PKCS#12 file (MAC verification failed)");
	}
	if (PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0))
		return TRUE;
	return bw_tls_fail(err, BW_TLS_UPLOAD_PASSWORD,
			   "the PKCS#12 file is password-protected: give its password");
}

static gboolean bw_tls_parse_p12(const bw_tls_upload *u, bw_tls_bundle *b, GError **err)
{
	gsize len = 0;
	const unsigned char *data = g_bytes_get_data(u->pkcs12, &len);
	if (len == 0)
		return bw_tls_fail(err, BW_TLS_UPLOAD_PKCS12, "the PKCS#12 file is empty");
	if (len > BW_TLS_UPLOAD_MAX)
		return bw_tls_fail(err, BW_TLS_UPLOAD_PKCS12, "the PKCS#12 file is larger than %d KiB",
				   BW_TLS_UPLOAD_MAX / 1024);
	ERR_clear_error();
	PKCS12 *p12 = d2i_PKCS12(NULL, &data, (long)len);
	if (!p12)
		return bw_tls_fail(err, BW_TLS_UPLOAD_PKCS12,
				   "not a PKCS#12 file (.p12/.pfx in binary DER form)");
	gboolean ok = bw_tls_p12_mac(p12, u->password, err);
	if (ok && PKCS12_parse(p12, u->password && *u->password ? u->password : NULL,
			       &b->key, &b->cert, &b->chain) != 1)
		ok = bw_tls_fail(err, BW_TLS_UPLOAD_PKCS12,
				 "cannot decode the PKCS#12 file (one exported with legacy RC2 "
				 "encryption must be converted: 'openssl pkcs12 -legacy -in OLD.p12 "
				 "-nodes | openssl pkcs12 -export -out NEW.p12')");
	PKCS12_free(p12);
	if (ok && (!b->cert || !b->key))
		ok = bw_tls_fail(err, BW_TLS_UPLOAD_PKCS12, "the PKCS#12 file holds no %s",
				 b->cert ? "private key" : "certificate");
	if (ok)
		bw_tls_chain_order(b);
	return ok;
}

gboolean bw_tls_upload_parse(const bw_tls_upload *u, bw_tls_bundle *b, GError **err)
{
	memset(b, 0, sizeof *b);
	gboolean ok = u->pkcs12 ? bw_tls_parse_p12(u, b, err) : bw_tls_parse_pem(u, b, err);
	if (!ok)
		bw_tls_bundle_clear(b);
	return ok;
}

/* ---- checks ------------------------------------------------------------ */

static gboolean bw_tls_check_dates(X509 *x, time_t now, GError **err)
{
	time_t t = now;
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	gboolean expired = X509_cmp_time(na, &t) < 0;
	if (!expired && X509_cmp_time(nb, &t) <= 0)
		return TRUE;
	char *date = bw_tls_time_text(expired ? na : nb, "an unreadable date");
	if (expired)
		bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
			    "the certificate has expired: it was valid until %s", date);
	else
		bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
			    "the certificate is not valid yet: it is valid from %s", date);
	g_free(date);
	return FALSE;
}

static gboolean bw_tls_check_key_strength(X509 *x, GError **err)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	int bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	if (!pk)
		return bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE, "the certificate's public key is unreadable");
	if (EVP_PKEY_is_a(pk, "DSA"))
		return bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
				   "weak key: DSA is not accepted; use RSA (2048 bits or more) or EC (P-256 or more)");
	if ((EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS")) && bits < 2048)
		return bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
				   "weak key: RSA with %d bits; at least 2048 are needed", bits);
	if (EVP_PKEY_is_a(pk, "EC") && bits < 256)
		return bw_tls_fail(err, BW_TLS_UPLOAD_CERTIFICATE,
				   "weak key: EC with %d bits; at least 256 (P-256) are needed", bits);
	return TRUE;
}

/* Each chain certificate must have signed the one before it. */
static gboolean bw_tls_check_chain(const bw_tls_bundle *b, gboolean p12, GError **err)
{
	X509 *prev = b->cert;
	for (int i = 0; b->chain && i < sk_X509_num(b->chain); i++) {
		X509 *ca = sk_X509_value(b->chain, i);
		EVP_PKEY *pk = X509_get0_pubkey(ca);
		if (X509_check_issued(ca, prev) != X509_V_OK || !pk || X509_verify(prev, pk) != 1) {
			char *cs = bw_tls_subject_text(ca), *ps = bw_tls_subject_text(prev);
			bw_tls_fail(err, p12 ? BW_TLS_UPLOAD_PKCS12 : BW_TLS_UPLOAD_CHAIN,
				    "broken chain: chain certificate %d (%s) did not sign %s (%s); give the "
				    "intermediates in order, the one that signed the server certificate first",
				    i + 1, cs, i == 0 ? "the server certificate" : "the one before it", ps);
			g_free(cs);
			g_free(ps);
			return FALSE;
		}
		prev = ca;
	}
	return TRUE;
}

gboolean bw_tls_bundle_check(const bw_tls_bundle *b, time_t now, gboolean p12, GError **err)
{
	ERR_clear_error();
	if (X509_check_private_key(b->cert, b->key) != 1)
		return bw_tls_fail(err, p12 ? BW_TLS_UPLOAD_PKCS12 : BW_TLS_UPLOAD_KEY,
				   "the private key does not match the certificate");
	return bw_tls_check_dates(b->cert, now, err) && bw_tls_check_key_strength(b->cert, err) &&
	       bw_tls_check_chain(b, p12, err);
}

/* ---- details and warnings ---------------------------------------------- */

static char *bw_tls_common_name(X509 *x)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;
	unsigned char *utf8 = NULL;
	int len = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;
	char *cn = len >= 0 ? g_strndup((const char *)utf8, (gsize)len) : NULL;
	OPENSSL_free(utf8);
	return cn;
}

static char *bw_tls_gen_text(const GENERAL_NAME *gn)
{
	int type;
	const ASN1_STRING *s = GENERAL_NAME_get0_value(gn, &type);
	const unsigned char *d = s ? ASN1_STRING_get0_data(s) : NULL;
	int len = s ? ASN1_STRING_length(s) : 0;
	if (type == GEN_DNS && d)
		return g_strdup_printf("DNS:%.*s", len, (const char *)d);
	if (type == GEN_EMAIL && d)
		return g_strdup_printf("email:%.*s", len, (const char *)d);
	if (type == GEN_URI && d)
		return g_strdup_printf("URI:%.*s", len, (const char *)d);
	char addr[INET6_ADDRSTRLEN];
	if (type == GEN_IPADD && d && (len == 4 || len == 16) &&
	    inet_ntop(len == 4 ? AF_INET : AF_INET6, d, addr, sizeof addr))
		return g_strconcat("IP:", addr, NULL);
	return g_strdup("other");
}

static char **bw_tls_sans(X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	GPtrArray *out = g_ptr_array_new();
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && i < 100; i++)
		g_ptr_array_add(out, bw_tls_gen_text(sk_GENERAL_NAME_value(names, i)));
	GENERAL_NAMES_free(names);
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static char *bw_tls_fingerprint(const X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (X509_digest(x, EVP_sha256(), md, &n) != 1)
		return g_strdup("");
	GString *s = g_string_sized_new(n * 3);
	for (unsigned int i = 0; i < n; i++)
		g_string_append_printf(s, i ? ":%02X" : "%02X", md[i]);
	return g_string_free(s, FALSE);
}

static char *bw_tls_serial(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *s = g_strdup(hex ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

static gint64 bw_tls_unix_time(const ASN1_TIME *t)
{
	struct tm tm;
	return ASN1_TIME_to_tm(t, &tm) == 1 ? (gint64)timegm(&tm) : 0;
}

static gboolean bw_tls_self_signed(X509 *x)
{
	return X509_check_issued(x, x) == X509_V_OK;
}

static void bw_tls_warn_names(bw_tls_cert_info *i, GPtrArray *w)
{
	if (i->common_name && strchr(i->common_name, '*'))
		g_ptr_array_add(w, g_strdup_printf("wildcard common name %s: one key then serves every "
						   "host of the domain; a certificate per host is advised",
						   i->common_name));
	for (char **s = i->san; *s; s++)
		if (g_str_has_prefix(*s, "DNS:") && strchr(*s, '*'))
			g_ptr_array_add(w, g_strdup_printf("wildcard subject alternative name %s: a "
							   "certificate per host is advised", *s + 4));
	if (i->common_name && g_hostname_is_ip_address(i->common_name))
		g_ptr_array_add(w, g_strdup_printf("the common name is an IP address (%s): name the host "
						   "by its DNS name and list addresses as subject "
						   "alternative names", i->common_name));
}

static void bw_tls_warnings(bw_tls_cert_info *i, GPtrArray *w)
{
	bw_tls_warn_names(i, w);
	if (i->days_left <= TLS_WARN_DAYS) {
		GDateTime *t = g_date_time_new_from_unix_utc(i->not_after);
		char *date = t ? g_date_time_format(t, "%Y-%m-%d %H:%M UTC") : NULL;
		g_ptr_array_add(w, i->days_left < 0
				? g_strdup_printf("expired on %s: install a new one", date ? date : "?")
				: g_strdup_printf("expires in %d days (%s): install a new one before",
						  i->days_left, date ? date : "?"));
		g_free(date);
		if (t)
			g_date_time_unref(t);
	}
	if (i->self_signed && !i->generated)
		g_ptr_array_add(w, g_strdup("self-signed: phones and browsers trust it only when "
					    "told to explicitly"));
	if (i->generated)
		g_ptr_array_add(w, g_strdup("the self-signed certificate bulwarkd generated: install "
					    "one issued for this host"));
	if (!i->self_signed && i->chain_length == 0)
		g_ptr_array_add(w, g_strdup_printf("issued by %s but no chain was given: clients that "
						   "do not already have that issuer's certificate will "
						   "not trust it", i->issuer));
}

bw_tls_cert_info *bw_tls_info_new(X509 *cert, const STACK_OF(X509) *chain, const char *source,
				  time_t now)
{
	bw_tls_cert_info *i = g_new0(bw_tls_cert_info, 1);
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	i->subject = bw_tls_subject_text(cert);
	i->common_name = bw_tls_common_name(cert);
	i->san = bw_tls_sans(cert);
	i->issuer = bw_tls_name_text(X509_get_issuer_name(cert));
	i->serial = bw_tls_serial(cert);
	i->not_before = bw_tls_unix_time(X509_get0_notBefore(cert));
	i->not_after = bw_tls_unix_time(X509_get0_notAfter(cert));
	i->days_left = bw_tls_days_left(cert, now);
	i->key_type = g_strdup(pk && EVP_PKEY_get0_type_name(pk) ? EVP_PKEY_get0_type_name(pk) : "unknown");
	i->key_bits = pk ? EVP_PKEY_get_bits(pk) : 0;
	i->fingerprint = bw_tls_fingerprint(cert);
	i->self_signed = bw_tls_self_signed(cert);
	i->source = g_strdup(source ? source : "unknown");
	i->generated = g_strcmp0(source, "generated") == 0;
	i->chain_length = chain ? (guint)sk_X509_num(chain) : 0;
	GPtrArray *w = g_ptr_array_new();
	bw_tls_warnings(i, w);
	g_ptr_array_add(w, NULL);
	i->warnings = (char **)g_ptr_array_free(w, FALSE);
	return i;
}

void bw_tls_cert_info_free(bw_tls_cert_info *i)
{
	if (!i)
		return;
	g_free(i->subject);
	g_free(i->common_name);
	g_strfreev(i->san);
	g_free(i->issuer);
	g_free(i->serial);
	g_free(i->key_type);
	g_free(i->fingerprint);
	g_free(i->source);
	g_strfreev(i->warnings);
	g_free(i);
}
