/* The libre 1.1.0 compatibility layer (see recompat.h): the only file of
 * module sip that calls the libre APIs which changed in later releases.
 *
 * TLS: libre 1.1.0 cannot take an SSL_CTX from outside and has no TLS
 * version API. We let tls_alloc build its own context, then adjust that
 * context (tls_openssl_context) to match the core's server context: same
 * certificate, key and chain, same protocol floor (TLS 1.3 by default),
 * same options, same TLS 1.2 and 1.3 suites, same verify mode. The
 * certificate follows the core's without a restart: a certificate
 * callback on that context compares, at each new handshake, the identity
 * the connection would present with the core's current one
 * (bw_tls_server_ctx, replaced by bw_tls_cert_install) and swaps it in
 * when they differ; connections already established keep theirs. Pulled
 * per handshake on the signalling thread rather than pushed by the
 * tls.certificate.changed event, so nothing outlives the stack (the
 * callback lives in the context libre frees with its tls object). */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <glib.h>
#include <openssl/x509.h>
#include <bulwark/tls.h>
#include "recompat.h"

/* Hash sizes (buckets, powers of two) for client transactions, server
 * transactions and TCP/TLS connections. A UDP non-INVITE transaction lives
 * 32 s (Timer J/K): at 4,000 authenticated REGISTERs/s that is ~250,000 live
 * server transactions, and libre walks a bucket's list (twice per request:
 * the branch and the merge lookups); with 1,024 buckets the walk was 25 %
 * of the signalling thread. 65,536 buckets cost ~1.5 MB. */
enum { SIP_RE_CTSZ = 16384, SIP_RE_STSZ = 65536, SIP_RE_TCSZ = 1024 };
#define SIP_RE_UDP_RCVBUF (4 * 1024 * 1024)

int sip_re_alloc(struct sip **sipp, struct dnsc *dnsc, const char *software)
{
	return sip_alloc(sipp, dnsc, SIP_RE_CTSZ, SIP_RE_STSZ, SIP_RE_TCSZ, software,
			 NULL, NULL);
}

/* libre 1.1.0 keeps a UDP transport's socket to itself and leaves the
 * kernel's default receive buffer (208 KiB: ~90 datagrams): a burst the
 * signalling thread does not read within a few ms is dropped, and each drop
 * costs the client a 500 ms retransmission (7,000 drops in 5 s at 8,000
 * REGISTERs/s in bench_sip). The socket is found by its bound address among
 * the process's descriptors; the kernel caps the size at net.core.rmem_max.
 * Best effort: the transport works with the default buffer too. */
static void sip_re_udp_rcvbuf(const struct sa *laddr)
{
	GDir *dir;
	const char *name;

	if (sa_port(laddr) == 0 || !(dir = g_dir_open("/proc/self/fd", 0, NULL)))
		return;
	while ((name = g_dir_read_name(dir))) {
		int fd = atoi(name), type = 0, size = SIP_RE_UDP_RCVBUF;
		socklen_t tlen = sizeof(type);
		struct sa local;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_DGRAM)
			continue;
		sa_init(&local, AF_UNSPEC);
		local.len = sizeof(local.u);
		if (getsockname(fd, &local.u.sa, &local.len) != 0 || !sa_cmp(&local, laddr, SA_ALL))
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0) {
			char where[80];
			re_snprintf(where, sizeof(where), "%J", laddr);
			g_debug("sip: UDP %s keeps the default receive buffer: %s", where,
				g_strerror(errno));
		}
	}
	g_dir_close(dir);
}

static int sip_re_transp_add1(struct sip *sip, enum sip_transp tp, const struct sa *laddr,
			      struct tls *tls)
{
	int err;

	if (tp == SIP_TRANSP_TLS) {
		if (tls == NULL)
			return EINVAL;
		return sip_transp_add(sip, tp, laddr, tls);
	}
	err = sip_transp_add(sip, tp, laddr);
	if (err == 0 && tp == SIP_TRANSP_UDP)
		sip_re_udp_rcvbuf(laddr);
	return err;
}

typedef struct sip_re_any {
	struct sip *sip;
	enum sip_transp tp;
	struct tls *tls;
	const struct sa *wild;
	int err;
	unsigned added;
} sip_re_any;

static bool sip_re_any_add(const char *ifname, const struct sa *sa, void *arg)
{
	sip_re_any *a = arg;
	struct sa one = *sa;
	(void)ifname;
	if (sa_af(&one) != sa_af(a->wild) || sa_is_linklocal(&one))
		return false;
	sa_set_port(&one, sa_port(a->wild));
	a->err = sip_re_transp_add1(a->sip, a->tp, &one, a->tls);
	a->added += a->err == 0;
	return a->err != 0;
}

/* libre needs a concrete address per transport (it writes it into Via and
 * Contact), so a wildcard listen address becomes one transport on every
 * address of that family the interfaces have (link-local IPv6 left out:
 * it needs a scope). */
int sip_re_transp_add(struct sip *sip, enum sip_transp tp, const struct sa *laddr,
		      struct tls *tls)
{
	if (!sa_is_any(laddr))
		return sip_re_transp_add1(sip, tp, laddr, tls);
	sip_re_any a = { .sip = sip, .tp = tp, .tls = tls, .wild = laddr };
	int err = net_if_apply(sip_re_any_add, &a);
	if (a.err)
		return a.err;
	return err ? err : (a.added ? 0 : EADDRNOTAVAIL);
}

SSL_CTX *sip_re_tls_ctx(const struct tls *tls)
{
	return tls ? tls_openssl_context(tls) : NULL;
}

int sip_re_tls_client(struct tls **tlsp)
{
	return tls_alloc(tlsp, TLS_METHOD_SSLV23, NULL, NULL);
}

/* Split src's enabled suites into the TLS 1.2 list and the TLS 1.3 list
 * (OpenSSL names every TLS 1.3 suite "TLS_..."). */
static void sip_re_tls_suites(SSL_CTX *src, GString *v12, GString *v13)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(src);

	for (int i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
		const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
		GString *to = g_str_has_prefix(name, "TLS_") ? v13 : v12;

		if (to->len)
			g_string_append_c(to, ':');
		g_string_append(to, name);
	}
}

static int sip_re_tls_copy_suites(SSL_CTX *dst, SSL_CTX *src)
{
	GString *v12 = g_string_new(NULL), *v13 = g_string_new(NULL);
	int ok = 1;

	sip_re_tls_suites(src, v12, v13);
	if (v12->len)
		ok = SSL_CTX_set_cipher_list(dst, v12->str);
	if (ok && v13->len)
		ok = SSL_CTX_set_ciphersuites(dst, v13->str);
	g_string_free(v12, TRUE);
	g_string_free(v13, TRUE);
	return ok ? 0 : EINVAL;
}

static int sip_re_tls_copy_identity(SSL_CTX *dst, SSL_CTX *src)
{
	X509 *cert = SSL_CTX_get0_certificate(src);
	EVP_PKEY *key = SSL_CTX_get0_privatekey(src);
	STACK_OF(X509) *chain = NULL;

	if (cert == NULL || key == NULL)
		return ENOENT;
	if (SSL_CTX_use_certificate(dst, cert) != 1 || SSL_CTX_use_PrivateKey(dst, key) != 1 ||
	    SSL_CTX_check_private_key(dst) != 1)
		return EINVAL;
	SSL_CTX_clear_chain_certs(dst);
	if (SSL_CTX_get0_chain_certs(src, &chain) == 1 && chain != NULL) {
		for (int i = 0; i < sk_X509_num(chain); i++)
			if (SSL_CTX_add1_chain_cert(dst, sk_X509_value(chain, i)) != 1)
				return EINVAL;
	}
	return 0;
}

/* The core's current certificate, key and chain on ssl, replacing all it
 * had (a new certificate of another key type must not leave the old one
 * selectable). Without a core context the connection keeps what it has;
 * a failed swap (the core checked the pair) fails this handshake only. */
static int sip_re_tls_cert_cb(SSL *ssl, void *arg)
{
	SSL_CTX *cur = bw_tls_server_ctx(NULL);
	X509 *cert = cur ? SSL_CTX_get0_certificate(cur) : NULL;
	EVP_PKEY *key = cur ? SSL_CTX_get0_privatekey(cur) : NULL;
	STACK_OF(X509) *chain = NULL;

	(void)arg;
	if (cert && key && SSL_get_certificate(ssl) != cert) {
		SSL_CTX_get0_chain_certs(cur, &chain);
		SSL_certs_clear(ssl);
		if (SSL_use_cert_and_key(ssl, cert, key, chain, 1) != 1) {
			g_warning("sip: TLS: cannot present the new certificate on this connection");
			SSL_CTX_free(cur);
			return 0;
		}
	}
	SSL_CTX_free(cur);
	return 1;
}

int sip_re_tls_server(struct tls **tlsp, SSL_CTX *src)
{
	struct tls *tls = NULL;
	SSL_CTX *dst;
	int err;

	if (tlsp == NULL || src == NULL)
		return EINVAL;
	err = tls_alloc(&tls, TLS_METHOD_SSLV23, NULL, NULL);
	if (err)
		return err;
	dst = tls_openssl_context(tls);
	err = dst ? 0 : ENOMEM;
	if (!err)
		err = sip_re_tls_copy_identity(dst, src);
	if (!err)
		err = sip_re_tls_copy_suites(dst, src);
	if (!err) {
		SSL_CTX_set_options(dst, SSL_CTX_get_options(src));
		if (SSL_CTX_set_min_proto_version(dst, SSL_CTX_get_min_proto_version(src)) != 1 ||
		    SSL_CTX_set_max_proto_version(dst, SSL_CTX_get_max_proto_version(src)) != 1)
			err = EINVAL;
		SSL_CTX_set_verify(dst, SSL_CTX_get_verify_mode(src),
				   SSL_CTX_get_verify_callback(src));
		SSL_CTX_set_cert_cb(dst, sip_re_tls_cert_cb, NULL);
	}
	if (err) {
		mem_deref(tls);
		return err;
	}
	*tlsp = tls;
	return 0;
}

int sip_re_sess_listen(struct sipsess_sock **sockp, struct sip *sip, int htsize,
		       sipsess_conn_h *connh, void *arg)
{
	return sipsess_listen(sockp, sip, htsize, connh, arg);
}

/* libre 1.1.0 refuses a NULL content type in sipsess_connect and
 * sipsess_accept (EINVAL) and keeps the one given for every later body of
 * the session (the 200 after a bodiless 180, re-INVITEs); it writes the
 * Content-Type header only with a body. The session's bodies are SDP. */
#define SIP_RE_SESS_CTYPE "application/sdp"

int sip_re_sess_connect(struct sipsess **sessp, struct sipsess_sock *sock,
			const char *to_uri, const char *from_name, const char *from_uri,
			const char *cuser, const char *routev[], uint32_t routec,
			struct mbuf *sdp, sip_auth_h *authh, void *aarg,
			const sip_re_sess_handlers *h, const char *hdrs)
{
	if (h == NULL)
		return EINVAL;
	return sipsess_connect(sessp, sock, to_uri, from_name, from_uri, cuser, routev,
			       routec, SIP_RE_SESS_CTYPE, sdp, authh, aarg, false,
			       h->offer, h->answer, h->progress, h->estab, h->info,
			       h->refer, h->close, h->arg, "%s", hdrs ? hdrs : "");
}

int sip_re_sess_accept(struct sipsess **sessp, struct sipsess_sock *sock,
		       const struct sip_msg *msg, uint16_t scode, const char *reason,
		       const char *cuser, struct mbuf *sdp,
		       const sip_re_sess_handlers *h, const char *hdrs)
{
	if (h == NULL)
		return EINVAL;
	return sipsess_accept(sessp, sock, msg, scode, reason, cuser, SIP_RE_SESS_CTYPE, sdp,
			      NULL, NULL, false, h->offer, h->answer, h->estab, h->info,
			      h->refer, h->close, h->arg, "%s", hdrs ? hdrs : "");
}

int sip_re_sess_progress(struct sipsess *sess, uint16_t scode, const char *reason,
			 struct mbuf *sdp, const char *hdrs)
{
	return sipsess_progress(sess, scode, reason, sdp, "%s", hdrs ? hdrs : "");
}

int sip_re_sess_answer(struct sipsess *sess, uint16_t scode, const char *reason,
		       struct mbuf *sdp, const char *hdrs)
{
	return sipsess_answer(sess, scode, reason, sdp, "%s", hdrs ? hdrs : "");
}

int sip_re_sess_reject(struct sipsess *sess, uint16_t scode, const char *reason,
		       const char *hdrs)
{
	/* given a format, libre 1.1.0 leaves Content-Length and the empty line
	 * ending the header block to it */
	return sipsess_reject(sess, scode, reason, "%sContent-Length: 0\r\n\r\n",
			      hdrs ? hdrs : "");
}

int sip_re_sess_modify(struct sipsess *sess, struct mbuf *sdp)
{
	return sipsess_modify(sess, sdp);
}

int sip_re_reg_register(struct sipreg **regp, struct sip *sip, const char *reg_uri,
			const char *to_uri, const char *from_name, const char *from_uri,
			uint32_t expires, const char *cuser,
			const char *routev[], uint32_t routec,
			sip_auth_h *authh, void *aarg,
			sip_resp_h *resph, void *arg, const char *params, const char *hdrs)
{
	return sipreg_register(regp, sip, reg_uri, to_uri, from_name, from_uri, expires,
			       cuser, routev, routec, 0, authh, aarg, false, resph, arg,
			       params, "%s", hdrs ? hdrs : "");
}

int sip_re_digest_challenge_decode(struct httpauth_digest_chall *chall,
				   const struct pl *hval)
{
	return httpauth_digest_challenge_decode(chall, hval);
}

int sip_re_digest_response_decode(struct httpauth_digest_resp *resp,
				  const struct pl *hval)
{
	return httpauth_digest_response_decode(resp, hval);
}
