/* Internal to the core part of module sip (sipmod.c, auth.c, registrar.c,
 * dos.c): configuration records and the set-up/teardown of each part.
 * Pure helpers (no network, no module state) are listed separately so the
 * fuzz harness can drive them. Everything runs on the signalling thread
 * unless said otherwise. */
#ifndef SIPINT_CORE_H
#define SIPINT_CORE_H

#include "sipmod.h"

typedef struct sip_dos_conf {
	guint auth_failures;          /* per window, then banned */
	guint transactions;           /* per window, then banned */
	guint window_s, ban_s;
	GPtrArray *allow;             /* char* CIDRs */
} sip_dos_conf;

typedef struct sip_auth_conf {
	guint nonce_lifetime;         /* seconds */
	gboolean md5, sha256;         /* offered algorithms */
	gboolean sha256_first;        /* order of the challenges */
} sip_auth_conf;

typedef struct sip_reg_conf {
	guint min_expires, max_expires, default_expires;
	guint max_contacts;           /* when the extension sets none */
	guint max_per_source;
} sip_reg_conf;

typedef struct sip_transport_conf {
	enum sip_transp tp;
	char *listen;                 /* "ADDR:PORT" */
} sip_transport_conf;

typedef struct sip_core_conf {
	GPtrArray *transports;        /* sip_transport_conf* */
	guint max_message, max_transactions;
	sip_reg_conf reg;
	sip_dos_conf dos;
	sip_auth_conf auth;
	guint ring_timeout, max_calls;
} sip_core_conf;

/* sipconf.c (management thread) */
gboolean sip_conf_read(const bw_conf_node *n, sip_core_conf *c, GError **err);
void     sip_conf_clear(sip_core_conf *c);

/* Replies (sipmod.c): stateful, so retransmissions are absorbed by
 * libre's server transaction. hdrs: extra header lines or NULL. */
void sip_reply_hdrs(const struct sip_msg *msg, uint16_t code, const char *reason,
		    const char *hdrs);
/* The same without a server transaction (no retransmission timers): for
 * digest challenges, which hold no state — a retransmitted request simply
 * gets a fresh challenge, and the ACK of a challenged INVITE is absorbed. */
void sip_reply_stateless(const struct sip_msg *msg, uint16_t code, const char *reason,
			 const char *hdrs);

/* Run fn(out, arg) on the signalling thread for a control command and
 * return what it printed (g_free), or NULL with *err set. arg is copied. */
typedef void (sip_sig_fn)(GString *out, const char *arg);
char *sip_sig_run(sip_sig_fn *fn, const char *arg, GError **err);
/* "udp"/"tcp"/"tls" */
const char *sip_tp_name(enum sip_transp tp);

/* dos.c */
int  sip_dos_init(const sip_dos_conf *c);
void sip_dos_close(void);
void sip_dos_list(GString *out, const char *unused);
/* 0, or ENOENT when ADDR is not blocked, EINVAL when it is no address */
int  sip_dos_lift(const char *addr);
/* pure: "192.0.2.0/24", "2001:db8::/32", "192.0.2.7" */
typedef struct sip_cidr { int family; guint8 addr[16]; guint bits; } sip_cidr;
gboolean sip_cidr_parse(const char *s, sip_cidr *out);
gboolean sip_cidr_match(const sip_cidr *c, const struct sa *sa);

/* auth.c */
int  sip_auth_init(const sip_auth_conf *c, const char *realm);
void sip_auth_close(void);
/* pure: a Digest credentials header value, bounded */
typedef struct sip_digest {
	struct pl username, realm, nonce, uri, response, algorithm, cnonce,
		  opaque, qop, nc;
} sip_digest;
int  sip_digest_parse(const struct pl *hval, sip_digest *d);

/* registrar.c */
int  sip_registrar_init(const sip_reg_conf *c, GPtrArray *saved);
void sip_registrar_close(void);
/* management thread, after the signalling side closed: waits for the
 * queued store writes */
void sip_registrar_finish(void);
void sip_registrar_list(GString *out, const char *unused);
/* management thread, before start: the persisted records (owning
 * GPtrArray of bw_record*), or NULL */
GPtrArray *sip_registrar_load(void);
/* pure: the expiry asked for one Contact (param, else Expires header,
 * else def); -1 when unparseable */
gint64 sip_reg_expires(const struct sip_addr *contact, const struct pl *hdr_expires,
		       guint def);

/* sipparse.c: RFC 3261 8.2 checks of a request before dispatch: 0 when
 * it may go on, else the status code to answer with, its reason phrase,
 * and extra header lines written to hdrs (hlen bytes). */
uint16_t sip_request_check(const struct sip_msg *msg, const char **reason, char *hdrs,
			   size_t hlen);

#endif
