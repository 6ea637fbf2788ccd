/* The call engine: channels, calls, routing, call records.
 *
 * A channel is one leg of a call, owned by a channel driver (sip today;
 * minet and tdm later). A call bridges an inbound channel to the outbound
 * channel that answered. Drivers report what happens on their legs; the
 * engine decides: it runs the hooks "call.authorize" then "call.route"
 * (args: bw_call_attempt*), originates the outbound leg(s) through the
 * target's driver, relays progress/answer/updates/hang-ups between the legs,
 * publishes call.* events, and writes a call record when the call ends.
 *
 * Everything here runs on the signalling thread (bw_in_sig_thread()).
 * Media is anchored through the optional "media" service (version 1,
 * bw_media_v1 below): when it is present, every SDP crossing the engine
 * goes through it, so each leg gets its own media endpoint and keys. */
#ifndef BULWARK_CALL_H
#define BULWARK_CALL_H

#include <glib.h>
#include <bulwark/bus.h>

G_BEGIN_DECLS

typedef struct bw_call bw_call;
typedef struct bw_channel bw_channel;

typedef enum { BW_PARTY_EXTENSION = 1, BW_PARTY_TRUNK } bw_party_kind;
typedef enum { BW_CALL_NORMAL = 0, BW_CALL_FORWARD, BW_CALL_TRANSFER } bw_call_type;
typedef enum {
	BW_SRTP_MANDATORY = 0,   /* the default for extensions */
	BW_SRTP_OPTIONAL,
	BW_SRTP_OFF
} bw_srtp_policy;

/* Who: an extension (number) or a trunk (name). */
typedef struct bw_party {
	bw_party_kind kind;
	const char *id;            /* extension number or trunk name */
	const char *number;        /* the number shown: extension or caller id */
	const char *display;       /* display name, may be NULL */
	const char *group;         /* CoR/interconnect group, may be NULL */
	bw_srtp_policy srtp;
} bw_party;

/* What the hooks see and may change. call.authorize: deny with a verdict
 * (code 403 + reason) or continue. call.route: fill target (kind, id,
 * number) and return STOP, or deny; when no hook routes, the engine's
 * default routing applies (see bw_route_default). */
typedef struct bw_call_attempt {
	const char *call_id;       /* the engine's id for the call */
	bw_party caller;
	const char *dialed;        /* digits as dialed (after driver cleanup) */
	bw_call_type type;
	const char *account_code;  /* as dialed, may be NULL */
	const char *account_pin;
	bw_party target;           /* call.route output */
	char target_number[64];    /* number to send to the target (trunks) */
	char note[128];            /* shown on the call record (e.g. "ARS plan 2") */
	/* BW_CALL_FORWARD: the extension whose forward setting made this
	 * attempt (the caller is still the original caller); NULL otherwise.
	 * Appended last so the fields above keep their offsets. */
	const char *forwarded_by;
	/* Trunk fallback: the trunks (names, NULL-terminated; NULL on the
	 * first route of an attempt) already tried for this attempt whose
	 * outbound leg failed before answer with a "try elsewhere" code
	 * (originate error, 408, 480, 486, 5xx but 501). The engine runs
	 * call.route again with the failed trunk appended, at most
	 * BW_CALL_ROUTE_ATTEMPTS times per attempt; a route hook should pick
	 * a trunk not in this list, or deny (503) when none is left. Appended
	 * last. */
	const char *const *tried_trunks;
} bw_call_attempt;

#define BW_CALL_ROUTE_ATTEMPTS 4

/* ---- drivers ---- */

/* A target's leg: what the driver needs to ring it. */
typedef struct bw_originate {
	bw_call *call;
	const bw_party *caller;    /* presented identity */
	const bw_party *target;
	const char *number;        /* what to dial at the target */
	const char *sdp;           /* the offer for this leg (after media) */
	guint timeout_s;           /* no-answer timeout */
} bw_originate;

typedef struct bw_channel_driver {
	const char *name;          /* "sip" */
	/* Create and start an outbound leg; report through bw_channel_* below.
	 * 0 or an errno (the engine then tries the next route or fails the call). */
	int  (*originate)(const bw_originate *o, bw_channel **out);
	/* Relay to this (inbound) leg: provisional response with optional SDP. */
	void (*progress)(bw_channel *ch, int code, const char *sdp);
	/* Relay to this (inbound) leg: the call was answered with this SDP. */
	void (*answer)(bw_channel *ch, const char *sdp);
	/* Send a new offer on this leg (hold/resume); the answer comes back
	 * through bw_channel_updated. */
	void (*update)(bw_channel *ch, const char *sdp);
	/* End this leg: code is the final response an unanswered inbound leg
	 * gets (486, 480, 404, 403, 487, 503...), ignored once answered. */
	void (*hangup)(bw_channel *ch, int code, const char *reason);
	/* Is the target reachable right now (registered contacts / trunk up)? */
	gboolean (*reachable)(const bw_party *target);
} bw_channel_driver;

int  bw_channel_driver_register(const bw_channel_driver *drv);   /* 0, EEXIST */
void bw_channel_driver_unregister(const char *name);

/* The driver creates its channels with these; the engine owns the call. */
bw_channel *bw_channel_new(const char *driver, void *driver_data);
void       *bw_channel_driver_data(const bw_channel *ch);
bw_call    *bw_channel_call(const bw_channel *ch);
const char *bw_channel_id(const bw_channel *ch);
void        bw_channel_set_secure(bw_channel *ch, gboolean secure);  /* SRTP on this leg */
/* The SRTP policy of the party a leg reaches (the caller's for the inbound
 * leg, the target's for an outbound one), for the media service. */
bw_srtp_policy bw_channel_srtp(const bw_channel *ch);
/* The target's policy while its leg is being originated: the media
 * service's offer() is called before that leg exists (to == NULL). */
bw_srtp_policy bw_call_target_srtp(const bw_call *call);
/* Peer address for the call record and logs ("udp:192.0.2.7:5060"). */
void        bw_channel_set_peer(bw_channel *ch, const char *peer);

/* An inbound leg asks for a call. The engine authorizes and routes it
 * (hooks), then originates; failures come back as driver->hangup(in, code,
 * reason). Returns the call (owned by the engine) or NULL with *code set
 * when it is refused at once. */
bw_call *bw_call_incoming(bw_channel *in, const bw_party *caller, const char *dialed,
			  const char *sdp_offer, bw_call_type type, int *code,
			  char *reason, gsize reason_len);

/* An outbound leg reports. */
void bw_channel_ringing(bw_channel *out, int code, const char *sdp);   /* 180/183 */
void bw_channel_answered(bw_channel *out, const char *sdp);
void bw_channel_failed(bw_channel *out, int code, const char *reason);  /* before answer */
/* Either leg: a new offer arrived (re-INVITE); the engine relays it to the
 * other leg's update(); the other leg's answer arrives with
 * bw_channel_updated and is relayed back to this leg as driver->answer. */
void bw_channel_reoffer(bw_channel *ch, const char *sdp);
void bw_channel_updated(bw_channel *ch, const char *sdp);
/* Either leg hung up (BYE, CANCEL, transport failure). The engine ends the
 * other leg and writes the call record. The channel is freed by the engine
 * after driver->hangup returns for it or after this call. */
void bw_channel_hungup(bw_channel *ch, const char *cause);

/* ---- media anchoring (provided by the srtp module) ---- */
typedef struct bw_media_v1 {
	/* Rewrite an offer/answer crossing from leg `from` to leg `to`.
	 * Returns a new string (g_free) or NULL with a reason to refuse (488). */
	char *(*offer)(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
		       char *reason, gsize reason_len);
	char *(*answer)(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			char *reason, gsize reason_len);
	void  (*release)(bw_call *call);
} bw_media_v1;

/* Version 2 of "media" (ABI minor 2): version 1 plus the delayed offer.
 * A provider offers both versions (v1 pointing at .v1); the engine takes
 * version 2 when it is there, else version 1 and refuses a delayed offer
 * with 488.
 * originate: the caller (leg `from`, the inbound one) sent no SDP.
 * Originate the first offer for a new outbound leg: the relay's address,
 * fresh ports, the provider's codec list and crypto per
 * bw_call_target_srtp (any previous outbound attempt is dropped). Then,
 * for that call only: the called leg's answer given to answer()
 * completes the called leg and returns an OFFER for the calling leg (what
 * the called leg accepted, with the caller's own crypto), which the
 * engine sends in the caller's 200; the caller's answer to it (in its
 * ACK) given to answer() from the calling leg to the called one completes
 * the calling leg and returns "" (nothing to relay). NULL with a reason:
 * refuse (488) or end the call. */
typedef struct bw_media_v2 {
	bw_media_v1 v1;
	char *(*originate)(bw_call *call, bw_channel *from, char *reason, gsize reason_len);
} bw_media_v2;

const char *bw_call_id(const bw_call *call);

/* ---- the directory: extensions, trunks, routes (from the store) ----
 * Provisioned as JSON in the system store (docs/provisioning.md):
 *   ext/<number>        {"name", "sip_user", "ha1_md5", "ha1_sha256", "cor",
 *                        "cos", "srtp": "mandatory|optional|off", "max_contacts",
 *                        "forward_always", "forward_busy", "forward_noanswer",
 *                        "forward_noanswer_s"}
 *   trunk/<name>        owned by the trunk's driver (e.g. sip: registrar,
 *                        credentials, transport); "driver": "sip"
 *   route/out/<prefix>  {"trunk", "strip", "prepend"}   outgoing by prefix
 *   route/did/<number>  {"extension"}                    incoming by DID
 * HA1 values are digests over "user:realm:secret" where realm is the
 * system name; the secret itself is never stored. Lookups read an
 * immutable snapshot rebuilt when the store changes; results are copies. */
typedef struct bw_extension {
	char *number, *name, *sip_user, *ha1_md5, *ha1_sha256, *cor, *cos;
	bw_srtp_policy srtp;
	guint max_contacts;
	/* Call forwarding (NULL: none): numbers dialled again, as a
	 * BW_CALL_FORWARD attempt by this extension, always / when it is busy
	 * (486) / when it does not answer within forward_noanswer_s (5-120,
	 * default 20) or is unreachable. Appended last. */
	char *forward_always, *forward_busy, *forward_noanswer;
	guint forward_noanswer_s;
} bw_extension;
/* HA1 as lowercase hex over "user:realm:secret" with G_CHECKSUM_MD5 or
 * G_CHECKSUM_SHA256 (g_free): what every provisioning path stores instead
 * of the secret. */
char *bw_digest_ha1(GChecksumType type, const char *user, const char *realm,
		    const char *secret);
bw_extension *bw_extension_lookup(const char *number);       /* NULL: none */
bw_extension *bw_extension_by_user(const char *sip_user);    /* NULL: none */
void          bw_extension_free(bw_extension *e);

/* ---- BEGIN call engine additions (owner: the call area) ----
 * Trunk records are kept raw for their drivers: the JSON text of
 * trunk/<name> as stored (g_free), or NULL when there is no such valid
 * trunk. The directory itself reads only "driver" (default "sip"),
 * "allow_direct_extensions" (bool, default false: may callers on this trunk
 * dial an extension number directly), "cor" and "srtp". */
char  *bw_trunk_json(const char *name);
/* Names of the valid trunks, sorted (g_strfreev). */
char **bw_trunk_names(void);
/* The bound on concurrent calls (default 1000; 0 restores the default);
 * an incoming call over it is refused with 503. Any thread. */
void   bw_call_set_max(guint max_calls);
/* Ownership notes for drivers:
 * - Call bw_call_incoming only for an AUTHENTICATED caller (or a trusted
 *   trunk peer): its 404/480/486 answers say whether a number exists.
 * - When bw_call_incoming returns NULL, the engine has already freed `in`
 *   (its driver_data stays the driver's): answer *code and forget `in`.
 * - Report on an outbound leg only after originate has returned it. */
/* ---- END call engine additions ---- */

/* ---- delayed offer (ABI minor 2) ----
 * An inbound leg whose INVITE had no body at all is started with
 * sdp_offer NULL in bw_call_incoming (a body the driver cannot use is no
 * delayed offer: the driver refuses it); the engine then has the media
 * service originate the outbound leg's offer (a driver should not start
 * such a call when bw_call_delayed_offer_ok() is FALSE: it answers 488
 * itself). The called party's answer becomes the offer sent to the caller
 * in the answer (driver->answer); the caller's answer to it arrives in its
 * ACK and the driver reports it with bw_channel_late_answer (sdp NULL: the
 * ACK had none), outside any libre callback of the leg: the engine may
 * end the call (both legs hung up) from this call. Until then the call is
 * not answered (no call.answered, no answer time, nothing billed): a hang-up,
 * an unusable answer or no answer within 32 s ends it as "failed".
 * bw_call_late_pending: TRUE in that window; a driver refuses a re-offer
 * (re-INVITE/UPDATE) then, 491 Request Pending for SIP, instead of
 * reporting it: nothing can be relayed before the caller answered, and the
 * engine ignores it. */
gboolean bw_call_delayed_offer_ok(void);
void     bw_channel_late_answer(bw_channel *in, const char *sdp);
gboolean bw_call_late_pending(const bw_call *call);
/* The peer address set with bw_channel_set_peer, or NULL. */
const char *bw_channel_peer(const bw_channel *ch);

G_END_DECLS
#endif
