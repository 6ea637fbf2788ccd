/* Internal to module sip: what its parts share.
 *
 * Parts and owners:
 *   sipmod.c     module descriptor, configuration, the libre stack on the
 *                signalling thread, transports, request dispatch      (core)
 *   recompat.c   the only place that calls libre APIs that changed after
 *                1.1.0 (keep every such call behind a sip_re_* wrapper)  (core)
 *   auth.c       digest server: nonces, MD5/SHA-256, nc replay          (core)
 *   registrar.c  REGISTER, location (contacts), persistence             (core)
 *   dos.c        per-source counters, bans, allow-list                  (core)
 *   b2bua.c      the channel driver "sip": INVITE/CANCEL/BYE/re-INVITE  (calls)
 *   trunk.c      trunks: registration client, peers, TLS verification   (calls)
 *
 * Everything below runs on the signalling thread unless said otherwise. */
#ifndef SIPMOD_H
#define SIPMOD_H

#include <re.h>
#include <bulwark/bulwark.h>

#define SIP_LOG_DOMAIN "sip"

typedef struct sipmod {
	bw_module *module;
	struct sip *sip;              /* the libre stack */
	struct dnsc *dnsc;            /* DNS client for outgoing requests, may be NULL */
	char *realm;                  /* digest realm: the system name */
	char *server_name;            /* Server/User-Agent: no version */
	/* limits from the configuration */
	guint max_message;            /* bytes */
	guint max_contacts_default;
	guint min_expires, max_expires, default_expires;
	guint ring_timeout;           /* seconds, no-answer */
	guint max_calls;              /* concurrent calls through the B2BUA */
} sipmod;

extern sipmod *sip_mod;           /* the running instance (one) */

/* ---- dispatch (sipmod.c): a request handler per method ---- */
typedef bool (sip_method_h)(const struct sip_msg *msg);
/* b2bua.c and trunk.c register INVITE/OPTIONS/... handlers at their init.
 * A handler returns true when it answered (or kept) the request, false to
 * let libre's later listeners (sipsess) have it. Without a handler:
 * OPTIONS gets 200 with Allow; an in-dialog request goes on to libre's
 * later listeners; CANCEL gets 481; other RFC 3261 methods 405 with Allow;
 * unknown methods 501. Requests reach handlers only after the DoS check,
 * the size and rate limits and the RFC 3261 8.2 checks. */
void sip_dispatch_register(const char *method, sip_method_h *h);

/* ---- digest authentication (auth.c) ----
 * Checks Authorization/Proxy-Authorization of msg. Returns 0 and the
 * authenticated extension (free with bw_extension_free), or an errno after
 * having answered the request itself (401/407 challenge, 403) — callers
 * then stop. Unknown users and bad passwords are indistinguishable. */
int  sip_auth_request(const struct sip_msg *msg, bool proxy, bw_extension **ext);

/* ---- DoS protection (dos.c) ---- */
bool sip_dos_admit(const struct sa *src);          /* false: drop silently */
void sip_dos_auth_failed(const struct sa *src, const char *user);
bool sip_dos_is_trusted(const struct sa *src);     /* trunk/peer allow-list */
void sip_dos_trust(const struct sa *src, bool trusted);

/* ---- location (registrar.c) ----
 * The tag is not sip_contact: libre already defines struct sip_contact
 * (re_sip.h); the typedef name sip_contact is ours. */
typedef struct sip_loc_contact {
	char *uri;                    /* Contact URI as registered */
	char *transport_peer;         /* "tcp:192.0.2.7:50123": reach a TCP/TLS phone over its connection */
	enum sip_transp tp;
	struct sa peer;               /* transport source of the REGISTER */
	gint64 expires;               /* monotonic µs */
	struct sip_keepalive *ka;     /* TCP/TLS: hears the connection close (registrar only; NULL in copies) */
} sip_contact;
/* The live contacts of an extension (GPtrArray of sip_contact*, owning). */
GPtrArray *sip_location_lookup(const char *number);
guint      sip_location_count(void);

/* ---- the channel driver and trunks ---- */
int  sip_b2bua_init(void);
void sip_b2bua_close(void);
int  sip_trunks_init(void);
void sip_trunks_close(void);
/* Re-read the directory's trunks: start new ones, restart changed ones,
 * drop deleted ones (registrations stop, peers leave the allow-list). */
void sip_trunks_resync(void);
/* Management thread, from the module's start() after the stack is up and
 * its stop() before it goes down: `bulwarkctl trunks` and the store watch
 * on "trunk/" that calls sip_trunks_resync on the signalling thread. */
void sip_trunks_mgmt_start(void);
void sip_trunks_mgmt_stop(void);

#endif
