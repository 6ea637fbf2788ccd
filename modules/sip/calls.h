/* Internal to module sip, calls part: what b2bua.c, trunk*.c and their
 * helpers share. The pure helpers (SDP, client digest, trunk records) have
 * no libre state and are unit-tested on their own. */
#ifndef SIP_CALLS_H
#define SIP_CALLS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define SIP_SDP_MAX      16384     /* bytes of SDP accepted per message */
#define SIP_NUMBER_MAX   64        /* digits of a dialed number */
#define SIP_FORKS_MAX    16        /* contacts rung per outbound leg */

/* ---- SDP (sdpdir.c) ---- */
typedef enum { SIP_DIR_SENDRECV = 0, SIP_DIR_SENDONLY, SIP_DIR_RECVONLY, SIP_DIR_INACTIVE } sip_sdp_dir;
/* The first direction attribute of sdp (session or media level). */
sip_sdp_dir sip_sdp_direction(const char *sdp);
sip_sdp_dir sip_sdp_dir_answer(sip_sdp_dir offer);
/* A local answer to a re-offer: base (what this side last saw of the
 * other party) with its direction attributes replaced by dir at every
 * media section and the o= session version raised by one. NULL if base
 * is not SDP. */
char *sip_sdp_with_direction(const char *base, sip_sdp_dir dir);

/* ---- client digest (digestc.c) ---- */
typedef struct sip_digest_chall {
	char *realm, *nonce, *opaque, *algorithm, *qop;
	bool stale;
} sip_digest_chall;
void sip_digest_chall_clear(sip_digest_chall *c);
/* One response header value ("Digest username=..."), computed from the
 * stored HA1 (hex) for method/uri; sha256 chooses the hash. cnonce and nc
 * are the client's. NULL when qop is offered but not "auth". */
char *sip_digest_response(const sip_digest_chall *c, bool sha256, const char *user,
			  const char *ha1_hex, const char *method, const char *uri,
			  const char *cnonce, guint32 nc);

/* ---- trunk records (trunkcfg.c) ---- */
typedef enum { TRUNK_REGISTER = 0, TRUNK_PEER } sip_trunk_mode;
typedef struct sip_trunk_cfg {
	char *name;
	sip_trunk_mode mode;
	char *proxy;              /* "sip:host:port;transport=tls" */
	char *domain;             /* registration/From domain */
	char *username, *realm, *ha1_md5, *ha1_sha256;
	char *address;            /* peers: CIDR allowed */
	char *transport;          /* "udp", "tcp", "tls" */
	bool verify;              /* TLS: chain and host name (default true) */
	char *ca_file;
	guint expires;
	char *caller_id;
	bool allow_direct_extensions;
	char *srtp;               /* "off", "optional", "mandatory" */
} sip_trunk_cfg;
/* Parse trunk/<name>'s JSON. NULL with a message naming the field. */
sip_trunk_cfg *sip_trunk_cfg_parse(const char *name, const char *json, gsize len,
				   GError **err);
void sip_trunk_cfg_free(sip_trunk_cfg *c);
/* The host of the proxy URI ("provider.example.org"), newly allocated. */
char *sip_trunk_cfg_host(const sip_trunk_cfg *c);

/* CIDR "192.0.2.0/24", "2001:db8::/32" or a single address. */
typedef struct sip_trunk_cidr { guint8 addr[16]; guint8 len; int family; guint bits; } sip_trunk_cidr;
bool sip_trunk_cidr_parse(const char *text, sip_trunk_cidr *out);
bool sip_trunk_cidr_match(const sip_trunk_cidr *c, int family, const guint8 *addr);

/* ---- trunks, as the channel driver sees them (trunk.c) ---- */
struct sip_msg;
/* The trunk an incoming request comes from (peer address or registered
 * provider), or NULL. The name stays valid until the next reload. */
const char *sip_trunk_identify(const struct sip_msg *msg);
bool sip_trunk_reachable(const char *name);
typedef struct sip_trunk_dial {
	char *request_uri;        /* sip:NUMBER@domain */
	char *from_uri;           /* sip:caller@domain */
	char *route;              /* the proxy (no <>), NULL for none */
	char *srtp;
} sip_trunk_dial;
int  sip_trunk_dial_prepare(const char *name, const char *number, const char *caller,
			    sip_trunk_dial *out);
void sip_trunk_dial_clear(sip_trunk_dial *d);
/* The (Proxy-)Authorization header line ("Proxy-Authorization: ...\r\n")
 * answering the challenge in resp (401/407) for method/uri. NULL: cannot. */
char *sip_trunk_auth_header(const char *name, const struct sip_msg *resp,
			    const char *method, const char *uri);

/* ---- TLS verification of trunks (trunktls.c, recompat-calls.c) ---- */
struct tls;
struct sa;
int  sip_trunk_tls_attach(struct tls *tls);   /* hook the client side of tls */
void sip_trunk_tls_detach(void);
/* Record the host/CA expected at peer for the next TLS connections.
 * EEXIST (and an error for trunk) when another trunk expects another
 * identity at the same address: libre would share the connection. */
int  sip_trunk_tls_expect(const struct sa *peer, const char *trunk, const char *host,
			 const char *ca_file, bool verify);
void sip_trunk_tls_forget(const char *trunk);
/* The last verification failure for a trunk ("certificate verify failed:
 * ..."), newly allocated, or NULL. Cleared by reading. */
char *sip_trunk_tls_take_error(const char *trunk);
/* libre 1.1.0: the TCP peer of the TLS connection behind ssl. */
struct ssl_st;
int  sip_re_tls_ssl_peer(struct ssl_st *ssl, struct sa *peer);
/* libre 1.1.0: the TLS object of the stack's TLS transport, or NULL. */
struct sip;
struct tls *sip_re_transp_tls(struct sip *sip);

#endif
