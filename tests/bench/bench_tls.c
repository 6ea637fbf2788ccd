/* Benchmark of core/tls.c: generating the self-signed certificate (P-256,
 * RSA-3072) and full TLS 1.3 handshakes with chain and host name
 * verification, client and server in one thread over a BIO pair (so a
 * figure is the cost of both ends). Prints one summary line; figures only. */
#include "tlsctx.h"
#include <bulwark/tls.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>

static void bench_rmtree(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	while (d && (name = g_dir_read_name(d))) {
		char *p = g_build_filename(path, name, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			bench_rmtree(p);
		else
			remove(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	remove(path);
}

static gboolean bench_step(SSL *ssl, gboolean *done)
{
	if (*done)
		return TRUE;
	int r = SSL_do_handshake(ssl);
	if (r == 1)
		return (*done = TRUE);
	int e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static gboolean bench_handshake(SSL_CTX *sctx, SSL_CTX *cctx)
{
	SSL *s = SSL_new(sctx), *c = SSL_new(cctx);
	BIO *bs, *bc;
	gboolean ok = s && c && BIO_new_bio_pair(&bs, 0, &bc, 0) == 1;
	if (ok) {
		SSL_set_bio(s, bs, bs);
		SSL_set_bio(c, bc, bc);
		SSL_set_accept_state(s);
		SSL_set_connect_state(c);
		ok = bw_tls_client_setup(c, "localhost") == 0;
	}
	gboolean sd = FALSE, cd = FALSE;
	for (int i = 0; ok && i < 50 && !(sd && cd); i++)
		ok = bench_step(c, &cd) && bench_step(s, &sd);
	SSL_free(s);
	SSL_free(c);
	return ok && sd && cd;
}

/* Generation time (ms) and handshakes per second for one key type. */
static gboolean bench_key_type(const char *key_type, int rounds, double *gen_ms, double *per_s)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("bwbench-XXXXXX", &err);
	if (!dir) {
		fprintf(stderr, "bench tls: %s\n", err->message);
		g_error_free(err);
		return FALSE;
	}
	bw_tls_params p = { .data_dir = dir, .key_type = key_type, .host_name = "localhost" };
	gint64 t0 = g_get_monotonic_time();
	gboolean ok = bw_tls_configure_params(&p, &err);
	*gen_ms = (double)(g_get_monotonic_time() - t0) / 1000.0;
	char *crt = g_build_filename(dir, "tls", "server.crt", NULL);
	SSL_CTX *s = ok ? bw_tls_server_ctx(&err) : NULL;
	SSL_CTX *c = s ? bw_tls_client_ctx(crt, &err) : NULL;
	ok = c != NULL;
	/* no session resumption: every round is a full handshake */
	if (c)
		SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	t0 = g_get_monotonic_time();
	for (int i = 0; ok && i < rounds; i++)
		ok = bench_handshake(s, c);
	double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
	*per_s = ok && secs > 0 ? rounds / secs : 0;
	if (err) {
		fprintf(stderr, "bench tls: %s\n", err->message);
		g_error_free(err);
	} else if (!ok) {
		fprintf(stderr, "bench tls: %s handshake failed\n", key_type);
	}
	SSL_CTX_free(c);
	SSL_CTX_free(s);
	bw_tls_shutdown();
	g_free(crt);
	bench_rmtree(dir);
	g_free(dir);
	return ok;
}

int main(void)
{
	double ec_gen, ec_hs, rsa_gen, rsa_hs;
	bw_log_setup("warning");
	gboolean ok = bench_key_type("ec", 500, &ec_gen, &ec_hs) &&
		      bench_key_type("rsa", 200, &rsa_gen, &rsa_hs);
	if (!ok)
		return 1;
	printf("bench tls: gen_p256_ms=%.1f gen_rsa3072_ms=%.1f handshakes_tls13_p256_per_s=%.0f "
	       "handshakes_tls13_rsa3072_per_s=%.0f\n", ec_gen, rsa_gen, ec_hs, rsa_hs);
	return 0;
}
