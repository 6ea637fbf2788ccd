/* Internal to module srtp: media anchoring of one call's SDP exchanges
 * (the logic behind the "media" service, bw_media_v2 in bulwark/call.h).
 *
 * Legs are the engine's channels, seen as opaque pointers: leg 0 is the
 * call's inbound leg, leg 1 the outbound one. Each offer or answer from
 * one leg is rewritten for the other with the relay's address and ports
 * and that leg's own crypto: a fresh key per leg and media section
 * (srtpc_random_key), RTP/SAVP or RTP/AVP by the leg's SRTP policy
 * (mandatory: an offer or answer without usable crypto is refused with a
 * reason; optional: SRTP when the peer offers or accepts it; off: plain
 * RTP). When an answer completes a negotiation, the relay streams are
 * created or updated and the legs' secure flags reported. For a caller
 * that sent no offer (delayed offer) the anchor originates the offers
 * itself (bw_anchor_originate). Runs on one thread (the signalling
 * thread). */
#ifndef BW_SDPANCHOR_H
#define BW_SDPANCHOR_H

#include <bulwark/call.h>
#include "relay.h"
#include "sdp.h"

typedef struct bw_anchor bw_anchor;
/* Told when a leg's media becomes SRTP or plain (bw_channel_set_secure). */
typedef void (*bw_anchor_secure_fn)(void *leg, gboolean secure);

/* addr: the address written into SDP; NULL or "" picks, per leg, the
 * local address that routes to the leg's peer. */
bw_anchor *bw_anchor_new(bw_relay *relay, const char *addr, bw_anchor_secure_fn secure);
void       bw_anchor_free(bw_anchor *a);

/* A leg's policy, before its first offer (default: mandatory). */
void  bw_anchor_policy(bw_anchor *a, const char *call_id, guint leg, bw_srtp_policy p);
/* to NULL: the first offer, for a new outbound leg (any previous outbound
 * attempt of the call is dropped). NULL with a reason: refuse with 488. */
char *bw_anchor_offer(bw_anchor *a, const char *call_id, void *from, void *to,
		      const char *sdp, char *reason, gsize reason_len);
char *bw_anchor_answer(bw_anchor *a, const char *call_id, void *from, void *to,
		       const char *sdp, char *reason, gsize reason_len);
void  bw_anchor_release(bw_anchor *a, const char *call_id);

/* Delayed offer (the caller sent no SDP). The codecs we offer (sdp.h,
 * default BW_SDP_CODECS_DEFAULT): 0 or EINVAL with a reason. */
int   bw_anchor_set_codecs(bw_anchor *a, const char *list, char *reason, gsize reason_len);
/* The first offer for a new outbound leg of such a call, from leg 0
 * (from) whose signalling peer ("udp:IP:port", may be NULL) picks our
 * address when none is configured: the codecs, relay ports, crypto per
 * leg 1's policy (mandatory RTP/SAVP, optional RTP/AVP, both with every
 * suite and fresh keys; off RTP/AVP without). Then bw_anchor_answer takes
 * leg 1's answer (leg 1 done) and returns our OFFER for leg 0: what leg 1
 * accepted, with leg 0's ports and crypto under leg 0's policy; then leg
 * 0's answer to it (from leg 0 to leg 1), which completes the streams,
 * reports both legs' secure flags and returns "" (nothing to relay). */
char *bw_anchor_originate(bw_anchor *a, const char *call_id, void *from, const char *peer,
			  char *reason, gsize reason_len);
guint bw_anchor_calls(bw_anchor *a);

#endif
