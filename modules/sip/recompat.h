/* The libre compatibility layer of module sip.
 *
 * Contract: every libre call whose signature changed after Debian's libre
 * 1.1.0 (sip_alloc, sip_transp_add, tls_alloc, sipsess_*, sipreg_register,
 * httpauth_*) is made here and nowhere else in the module, so moving to a
 * later libre means editing recompat.c only. Wrappers take extra header
 * lines as one preformatted string (NULL or "" for none; each line ends in
 * "\r\n") instead of a printf format, because the variadic tails are what
 * changed most. All of them run on the signalling thread and return 0 or
 * an errno value like libre does. */
#ifndef SIP_RECOMPAT_H
#define SIP_RECOMPAT_H

#include <re.h>
#include <openssl/ssl.h>

/* ---- the stack and transports ---- */
/* A SIP stack with hash sizes fitted to a PBX; software is the
 * Server/User-Agent value (no version). dnsc may be NULL (no DNS). */
int  sip_re_alloc(struct sip **sipp, struct dnsc *dnsc, const char *software);
/* tls is needed (and only used) for SIP_TRANSP_TLS. */
int  sip_re_transp_add(struct sip *sip, enum sip_transp tp, const struct sa *laddr,
		       struct tls *tls);

/* ---- TLS ----
 * A libre TLS object (mem_deref it) for the server side, serving the
 * certificate and key of src (the core's bw_tls_server_ctx) with src's
 * protocol floor, options and TLS 1.3 suites. libre 1.1.0 has no way to
 * hand it an SSL_CTX, so the one tls_alloc made is adjusted in place. */
int  sip_re_tls_server(struct tls **tlsp, SSL_CTX *src);
/* A bare client TLS object; the SSL_CTX to adjust (verification, CA
 * store, protocol floor) is sip_re_tls_ctx(tls). */
int  sip_re_tls_client(struct tls **tlsp);
SSL_CTX *sip_re_tls_ctx(const struct tls *tls);

/* ---- sessions (sipsess) ---- */
typedef struct sip_re_sess_handlers {
	sipsess_offer_h  *offer;     /* a re-INVITE/UPDATE offer came */
	sipsess_answer_h *answer;    /* the answer to our offer came */
	sipsess_progr_h  *progress;  /* 1xx (outbound sessions only) */
	sipsess_estab_h  *estab;     /* 2xx/ACK: established */
	sipsess_info_h   *info;      /* may be NULL */
	sipsess_refer_h  *refer;     /* may be NULL */
	sipsess_close_h  *close;     /* ended (err or BYE/final response) */
	void *arg;
} sip_re_sess_handlers;

int  sip_re_sess_listen(struct sipsess_sock **sockp, struct sip *sip, int htsize,
			sipsess_conn_h *connh, void *arg);
/* An outgoing INVITE. sdp: the offer (sent as application/sdp) or NULL. */
int  sip_re_sess_connect(struct sipsess **sessp, struct sipsess_sock *sock,
			 const char *to_uri, const char *from_name, const char *from_uri,
			 const char *cuser, const char *routev[], uint32_t routec,
			 struct mbuf *sdp, sip_auth_h *authh, void *aarg,
			 const sip_re_sess_handlers *h, const char *hdrs);
/* Accept an incoming INVITE with a provisional (1xx) or final (2xx) answer. */
int  sip_re_sess_accept(struct sipsess **sessp, struct sipsess_sock *sock,
			const struct sip_msg *msg, uint16_t scode, const char *reason,
			const char *cuser, struct mbuf *sdp,
			const sip_re_sess_handlers *h, const char *hdrs);
int  sip_re_sess_progress(struct sipsess *sess, uint16_t scode, const char *reason,
			  struct mbuf *sdp, const char *hdrs);
int  sip_re_sess_answer(struct sipsess *sess, uint16_t scode, const char *reason,
			struct mbuf *sdp, const char *hdrs);
int  sip_re_sess_reject(struct sipsess *sess, uint16_t scode, const char *reason,
			const char *hdrs);
int  sip_re_sess_modify(struct sipsess *sess, struct mbuf *sdp);

/* ---- registration client (sipreg) ---- */
int  sip_re_reg_register(struct sipreg **regp, struct sip *sip, const char *reg_uri,
			 const char *to_uri, const char *from_name, const char *from_uri,
			 uint32_t expires, const char *cuser,
			 const char *routev[], uint32_t routec,
			 sip_auth_h *authh, void *aarg,
			 sip_resp_h *resph, void *arg, const char *params, const char *hdrs);

/* ---- digest headers (httpauth) ---- */
int  sip_re_digest_challenge_decode(struct httpauth_digest_chall *chall,
				    const struct pl *hval);
int  sip_re_digest_response_decode(struct httpauth_digest_resp *resp,
				   const struct pl *hval);

#endif
