/* Internal to the channel driver "sip" (b2bua.c inbound legs and the
 * driver, b2bua-out.c outbound legs and forks). Signalling thread only.
 *
 * A leg is one bw_channel. An inbound leg holds the caller's INVITE until
 * the first provisional or final answer creates its libre session; an
 * outbound leg rings every contact (a fork each) and keeps the one that
 * answers. A leg lives from bw_channel_new until it reports
 * bw_channel_hungup/failed or the engine's hangup returns; b2b_leg_live
 * tells whether a pointer still names a live leg. */
#ifndef SIP_B2BUA_H
#define SIP_B2BUA_H

#include "sipmod.h"
#include "recompat.h"
#include "calls.h"

typedef struct sip_leg sip_leg;

typedef struct sip_fork {
	sip_leg *leg;
	struct sipsess *sess;
	char *uri;                /* Request-URI */
	char *route;              /* first Route (no <>), or NULL */
	guint auth_tries;
	bool ringing;
} sip_fork;

struct sip_leg {
	bw_channel *ch;
	bool inbound, answered;
	/* inbound */
	struct sip_msg *invite;   /* referenced until a session exists */
	char *key;                /* Call-ID + From tag: INVITE retransmissions */
	/* outbound */
	GPtrArray *forks;         /* sip_fork*, owning */
	sip_fork *winner;
	struct tmr ring_tmr;
	char *trunk;              /* outbound over this trunk, or NULL */
	char *from_uri, *from_name;
	char *offer;              /* the initial offer (retries with credentials) */
	int best_code;
	char best_reason[64];
	bool early_media;
	/* inbound, delayed offer (INVITE without SDP): our 200 carries the
	 * offer, the ACK the answer, reported from ack_tmr (outside libre's
	 * ACK handling, since the engine may end the call on it) */
	bool late, ack_seen;
	struct tmr ack_tmr;
	char *ack_sdp;
	/* both */
	struct sipsess *sess;     /* inbound: ours; outbound: the winner's */
	char *sent_sdp;           /* what this party last got from us */
};

/* b2bua.c */
bool  b2b_leg_live(const sip_leg *leg);
sip_leg *b2b_leg_new(bool inbound);
void  b2b_leg_free(sip_leg *leg);
void  b2b_fork_free(void *fork);   /* GDestroyNotify: CANCEL/BYE as needed */
struct sipsess_sock *b2b_sock(void);
char *b2b_body(const struct sip_msg *msg);            /* SDP body or NULL */
struct mbuf *b2b_mbuf(const char *s);
int   b2b_offer_common(sip_leg *leg, struct mbuf **descp, const struct sip_msg *msg);

/* b2bua-out.c */
int      b2b_originate(const bw_originate *o, bw_channel **out);
void     b2b_out_hangup(sip_leg *leg);
gboolean b2b_reachable(const bw_party *target);

#endif
