/* Media anchoring of sdpanchor.h: per call, per leg, what was offered and
 * answered, the relay ports and our keys; streams once a negotiation
 * completes. Keys are wiped when a call ends. */
#include "sdpanchor.h"
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define ANCHOR_SUITES 4

typedef struct anchor_leg {
	void *ch;
	bw_srtp_policy policy;
	bw_sdp offer;                       /* the last offer from this leg */
	bw_relay_ports ports[BW_SDP_MAX_MEDIA];   /* bound, not yet handed over */
	guint port[BW_SDP_MAX_MEDIA];
	bw_sdp_crypto local[BW_SDP_MAX_MEDIA][ANCHOR_SUITES];   /* what we offered */
	guint n_local[BW_SDP_MAX_MEDIA];
	bw_relay_leg neg[BW_SDP_MAX_MEDIA];
	char addr[BW_SDP_ADDR_MAX];         /* ours, as written for this leg */
} anchor_leg;

/* A delayed offer's progress: our offer to the called leg awaits its
 * answer, then our offer to the calling leg awaits the ACK's answer. */
typedef enum { LATE_NONE = 0, LATE_CALLEE, LATE_CALLER } anchor_late;

typedef struct anchor_call {
	char id[64];
	anchor_leg leg[2];
	int offerer;                        /* leg whose offer awaits or got an answer */
	bw_relay_stream *stream[BW_SDP_MAX_MEDIA];
	anchor_late late;
	char hint[BW_SDP_ADDR_MAX];         /* delayed offer: the caller's signalling address */
} anchor_call;

struct bw_anchor {
	bw_relay *relay;
	char addr[BW_SDP_ADDR_MAX];
	bw_anchor_secure_fn secure;
	GHashTable *calls;                  /* id -> anchor_call* */
	bw_sdp_codec codecs[BW_SDP_MAX_CODECS];   /* originated offers */
	guint n_codecs;
};

static const srtpc_suite anchor_suites[ANCHOR_SUITES] = {
	SRTPC_AES_CM_128_HMAC_SHA1_80, SRTPC_AES_CM_128_HMAC_SHA1_32,
	SRTPC_AEAD_AES_128_GCM, SRTPC_AEAD_AES_256_GCM
};

static char *anchor_fail(char *reason, gsize len, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static char *anchor_fail(char *reason, gsize len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (reason && len)
		g_vsnprintf(reason, len, fmt, ap);
	va_end(ap);
	return NULL;
}

static void anchor_leg_init(anchor_leg *l)
{
	explicit_bzero(l, sizeof *l);
	for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++)
		l->ports[i].rtp_fd = l->ports[i].rtcp_fd = -1;
}

/* Ports not handed to the relay are closed; keys wiped. */
static void anchor_leg_clear(anchor_leg *l)
{
	for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++)
		bw_relay_ports_close(&l->ports[i]);
	bw_sdp_clear(&l->offer);
	anchor_leg_init(l);
}

static void anchor_call_free(gpointer p)
{
	anchor_call *c = p;
	for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++)
		bw_relay_stream_remove(c->stream[i]);
	anchor_leg_clear(&c->leg[0]);
	anchor_leg_clear(&c->leg[1]);
	g_free(c);
}

bw_anchor *bw_anchor_new(bw_relay *relay, const char *addr, bw_anchor_secure_fn secure)
{
	bw_anchor *a = g_new0(bw_anchor, 1);
	a->relay = relay;
	a->secure = secure;
	g_strlcpy(a->addr, addr ? addr : "", sizeof a->addr);
	a->calls = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, anchor_call_free);
	(void)bw_sdp_codecs_parse(BW_SDP_CODECS_DEFAULT, a->codecs, &a->n_codecs, NULL, 0);
	return a;
}

void bw_anchor_free(bw_anchor *a)
{
	if (!a)
		return;
	g_hash_table_destroy(a->calls);
	g_free(a);
}

guint bw_anchor_calls(bw_anchor *a)
{
	return g_hash_table_size(a->calls);
}

static anchor_call *anchor_call_get(bw_anchor *a, const char *id, gboolean create)
{
	anchor_call *c = g_hash_table_lookup(a->calls, id);
	if (c || !create)
		return c;
	c = g_new0(anchor_call, 1);
	g_strlcpy(c->id, id, sizeof c->id);
	anchor_leg_init(&c->leg[0]);
	anchor_leg_init(&c->leg[1]);
	c->offerer = -1;
	g_hash_table_insert(a->calls, c->id, c);
	return c;
}

void bw_anchor_policy(bw_anchor *a, const char *call_id, guint leg, bw_srtp_policy p)
{
	anchor_call *c = anchor_call_get(a, call_id, TRUE);
	if (leg < 2 && p <= BW_SRTP_OFF)
		c->leg[leg].policy = p;
}

void bw_anchor_release(bw_anchor *a, const char *call_id)
{
	g_hash_table_remove(a->calls, call_id);
}

/* ---- addresses ---- */

static gboolean anchor_sockaddr(const char *ip, guint port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((guint16)port);
		return TRUE;
	}
	if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((guint16)port);
		return TRUE;
	}
	return FALSE;
}

static gboolean anchor_unspec(const struct sockaddr_storage *ss)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6, sizeof any6);
}

/* Our address toward peer: the configured one, or the source address the
 * kernel would use to reach the peer (no packet is sent). */
static void anchor_local(const bw_anchor *a, const char *peer, char *out, gsize len)
{
	struct sockaddr_storage ss, me;
	socklen_t sl = sizeof me;
	g_strlcpy(out, a->addr[0] ? a->addr : "127.0.0.1", len);
	if (a->addr[0] || !peer || !anchor_sockaddr(peer, 9, &ss) || anchor_unspec(&ss))
		return;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&me, &sl) == 0) {
		char ip[INET6_ADDRSTRLEN];
		const void *src = me.ss_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)&me)->sin6_addr
			: (const void *)&((struct sockaddr_in *)&me)->sin_addr;
		if (inet_ntop(me.ss_family, src, ip, sizeof ip))
			g_strlcpy(out, ip, len);
	}
	close(fd);
}

/* ---- policy ---- */

static const char *anchor_leg_name(guint l)
{
	return l ? "the called leg" : "the calling leg";
}

static gboolean anchor_active(const bw_sdp_media *m)
{
	return m->rtp && m->port != 0;
}

/* May leg l's offer be answered under its policy? */
static gboolean anchor_offer_ok(const anchor_call *c, guint l, const bw_sdp *s,
				char *reason, gsize rl)
{
	bw_srtp_policy p = c->leg[l].policy;
	guint active = 0;
	for (guint i = 0; i < s->n_media; i++) {
		const bw_sdp_media *m = &s->media[i];
		if (!anchor_active(m))
			continue;
		active++;
		struct sockaddr_storage ss;
		if (!anchor_sockaddr(m->addr, m->port, &ss)) {
			anchor_fail(reason, rl, "media %u: address \"%s\" is not a numeric IP "
				    "address", i + 1, m->addr);
			return FALSE;
		}
		if (p == BW_SRTP_MANDATORY && !m->n_crypto) {
			anchor_fail(reason, rl, "SRTP is mandatory on %s but media %u (%s) offers "
				    "no usable a=crypto (%u line(s); supported: "
				    "AES_CM_128_HMAC_SHA1_80/32, AEAD_AES_128/256_GCM)",
				    anchor_leg_name(l), i + 1, m->type, m->n_crypto_lines);
			return FALSE;
		}
		if (p == BW_SRTP_OFF && m->savp) {
			anchor_fail(reason, rl, "SRTP is off on %s but media %u (%s) is offered "
				    "as %s only", anchor_leg_name(l), i + 1, m->type, m->proto);
			return FALSE;
		}
		if (m->savp && !m->n_crypto) {
			anchor_fail(reason, rl, "media %u (%s) is %s without usable a=crypto",
				    i + 1, m->type, m->proto);
			return FALSE;
		}
	}
	if (!active)
		anchor_fail(reason, rl, "no RTP media section to relay");
	return active > 0;
}

/* ---- ports and keys ---- */

static int anchor_ports(bw_anchor *a, anchor_call *c, guint l, guint i, gboolean rtcp)
{
	anchor_leg *g = &c->leg[l];
	if (g->port[i])
		return 0;
	int rc = bw_relay_ports_open(a->relay, rtcp, &g->ports[i]);
	if (!rc)
		g->port[i] = g->ports[i].port;
	return rc;
}

static int anchor_key(srtpc_suite s, guint tag, bw_sdp_crypto *out)
{
	out->tag = tag;
	out->suite = s;
	out->key_len = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	if (out->key_len > BW_SDP_KEY_MAX)
		return EINVAL;
	return srtpc_random_key(s, out->key, out->key_len);
}

/* Our crypto offer to leg l, media i: every suite, fresh keys, once. */
static int anchor_local_offer(anchor_leg *g, guint i)
{
	if (g->n_local[i])
		return 0;
	for (guint k = 0; k < ANCHOR_SUITES; k++) {
		int rc = anchor_key(anchor_suites[k], k + 1, &g->local[i][k]);
		if (rc)
			return rc;
	}
	g->n_local[i] = ANCHOR_SUITES;
	return 0;
}

static guint anchor_pps(const bw_sdp_media *m)
{
	guint ptime = m->ptime ? m->ptime : 20;
	return MAX(1000 / MAX(ptime, 1u), 1u);
}

/* The peer's address and ports of leg l, media i, from its SDP. */
static gboolean anchor_remote(bw_relay_leg *n, const bw_sdp_media *m, char *reason, gsize rl)
{
	struct sockaddr_storage rtp, rtcp;
	if (!anchor_sockaddr(m->addr, m->port, &rtp) ||
	    !anchor_sockaddr(m->rtcp_addr, m->rtcp_port, &rtcp)) {
		anchor_fail(reason, rl, "media address \"%s\" is not a numeric IP address", m->addr);
		return FALSE;
	}
	n->rtp_addr = rtp;
	n->rtcp_addr = rtcp;
	n->have_addr = !anchor_unspec(&rtp);   /* 0.0.0.0: on hold, send nothing */
	n->mux = m->mux;
	n->pps = anchor_pps(m);
	return TRUE;
}

/* A new outbound attempt: whatever a previous one left is dropped. */
static void anchor_attempt(anchor_call *c, void *from)
{
	bw_srtp_policy p = c->leg[1].policy;
	for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++) {
		bw_relay_stream_remove(c->stream[i]);
		c->stream[i] = NULL;
	}
	anchor_leg_clear(&c->leg[1]);
	c->leg[1].policy = p;
	c->leg[0].ch = from;
	c->late = LATE_NONE;
}

char *bw_anchor_offer(bw_anchor *a, const char *call_id, void *from, void *to,
		      const char *sdp, char *reason, gsize rl)
{
	anchor_call *c = anchor_call_get(a, call_id, TRUE);
	guint f;
	if (!to) {
		anchor_attempt(c, from);
		f = 0;
	} else if (from == c->leg[0].ch && to == c->leg[1].ch) {
		f = 0;
	} else if (from == c->leg[1].ch && to == c->leg[0].ch) {
		f = 1;
	} else {
		return anchor_fail(reason, rl, "call %s: an offer between legs it does not know",
				   call_id);
	}
	guint t = !f;
	bw_sdp s;
	if (bw_sdp_parse(sdp, &s, reason, rl) != 0)
		return NULL;
	if (!anchor_offer_ok(c, f, &s, reason, rl) ||
	    (c->leg[f].offer.n_media && s.n_media < c->leg[f].offer.n_media &&
	     !anchor_fail(reason, rl, "a re-offer may not remove media sections (%u, was %u)",
			  s.n_media, c->leg[f].offer.n_media))) {
		bw_sdp_clear(&s);
		return NULL;
	}
	bw_sdp_clear(&c->leg[f].offer);
	c->leg[f].offer = s;
	c->offerer = (int)f;
	anchor_leg *g = &c->leg[t];
	anchor_local(a, s.media[0].addr, g->addr, sizeof g->addr);
	bw_sdp_out out[BW_SDP_MAX_MEDIA] = { { 0 } };
	for (guint i = 0; i < s.n_media; i++) {
		if (!anchor_active(&s.media[i]))
			continue;
		int rc = anchor_ports(a, c, t, i, TRUE);
		if (!rc && g->policy != BW_SRTP_OFF)
			rc = anchor_local_offer(g, i);
		if (rc)
			return anchor_fail(reason, rl, "no relay port or key for media %u: %s",
					   i + 1, g_strerror(rc));
		out[i] = (bw_sdp_out){ g->port[i], g->port[i] + 1, TRUE,
				       g->policy == BW_SRTP_MANDATORY,
				       g->policy == BW_SRTP_OFF ? NULL : g->local[i],
				       g->policy == BW_SRTP_OFF ? 0 : g->n_local[i] };
	}
	return bw_sdp_write(&s, g->addr, out);
}

/* ---- answers ---- */

static char *bw_anchor_late_answer(bw_anchor *a, anchor_call *c, const char *sdp,
				   char *reason, gsize rl);

/* Leg a's answer for media i against what we offered it. */
static gboolean anchor_take_answer(anchor_call *c, guint a, guint i, const bw_sdp_media *m,
				   char *reason, gsize rl)
{
	anchor_leg *g = &c->leg[a];
	bw_relay_leg *n = &g->neg[i];
	const bw_sdp_crypto *theirs = bw_sdp_crypto_first(m);
	const bw_sdp_crypto *ours = NULL;
	for (guint k = 0; theirs && k < g->n_local[i]; k++)
		if (g->local[i][k].tag == theirs->tag && g->local[i][k].suite == theirs->suite)
			ours = &g->local[i][k];
	if (m->n_crypto_lines && !ours)
		return !!anchor_fail(reason, rl, "media %u: the answer's a=crypto matches no "
				     "offered tag and suite", i + 1);
	if (!ours && (m->savp || g->policy == BW_SRTP_MANDATORY))
		return !!anchor_fail(reason, rl, "SRTP is mandatory on %s but media %u (%s) is "
				     "answered without a=crypto", anchor_leg_name(a), i + 1, m->type);
	if (!anchor_remote(n, m, reason, rl))
		return FALSE;
	n->secure = ours != NULL;
	if (ours) {
		n->suite = ours->suite;
		n->key_len = ours->key_len;
		memcpy(n->key_out, ours->key, ours->key_len);
		memcpy(n->key_in, theirs->key, theirs->key_len);
	}
	return TRUE;
}

/* Our answer to leg o's offer for media i: its first usable suite under
 * its policy, with a key of ours kept across repeated answers (183, 200). */
static gboolean anchor_make_answer(bw_anchor *a, anchor_call *c, guint o, guint i,
				   bw_sdp_out *out, bw_sdp_crypto *mine, char *reason, gsize rl)
{
	anchor_leg *g = &c->leg[o];
	const bw_sdp_media *m = &g->offer.media[i];
	bw_relay_leg *n = &g->neg[i];
	const bw_sdp_crypto *theirs = g->policy == BW_SRTP_OFF ? NULL : bw_sdp_crypto_first(m);
	int rc = anchor_ports(a, c, o, i, !m->mux);
	if (rc)
		return !!anchor_fail(reason, rl, "no relay port for media %u: %s", i + 1,
				     g_strerror(rc));
	gboolean keep = theirs && n->secure && n->suite == theirs->suite;
	if (!anchor_remote(n, m, reason, rl))
		return FALSE;
	*out = (bw_sdp_out){ g->port[i], m->mux ? 0 : g->port[i] + 1, m->mux, m->savp, NULL, 0 };
	n->secure = theirs != NULL;
	if (!theirs)
		return TRUE;
	mine->tag = theirs->tag;
	mine->suite = theirs->suite;
	mine->key_len = theirs->key_len;
	if (keep)
		memcpy(mine->key, n->key_out, n->key_len);
	else if ((rc = srtpc_random_key(theirs->suite, mine->key, mine->key_len)) != 0)
		return !!anchor_fail(reason, rl, "no SRTP key: %s", g_strerror(rc));
	n->suite = theirs->suite;
	n->key_len = theirs->key_len;
	memcpy(n->key_out, mine->key, mine->key_len);
	memcpy(n->key_in, theirs->key, theirs->key_len);
	out->crypto = mine;
	out->n_crypto = 1;
	return TRUE;
}

static int anchor_commit(bw_anchor *a, anchor_call *c, guint i)
{
	bw_relay_leg legs[2] = { c->leg[0].neg[i], c->leg[1].neg[i] };
	int rc = 0;
	if (c->stream[i]) {
		rc = bw_relay_stream_update(c->stream[i], legs);
	} else {
		bw_relay_ports p[2] = { c->leg[0].ports[i], c->leg[1].ports[i] };
		c->stream[i] = bw_relay_stream_add(a->relay, c->id, i, p, legs, &rc);
		for (guint l = 0; l < 2; l++)
			c->leg[l].ports[i].rtp_fd = c->leg[l].ports[i].rtcp_fd = -1;
	}
	explicit_bzero(legs, sizeof legs);
	return rc;
}

static void anchor_report(bw_anchor *a, anchor_call *c, const gboolean active[])
{
	for (guint l = 0; l < 2; l++) {
		gboolean secure = FALSE, plain = FALSE;
		for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++) {
			if (!active[i])
				continue;
			secure |= c->leg[l].neg[i].secure;
			plain |= !c->leg[l].neg[i].secure;
		}
		if (a->secure && c->leg[l].ch)
			a->secure(c->leg[l].ch, secure && !plain);
	}
}

/* Media i of both legs after leg ans answered: negotiated, or disabled. */
static gboolean anchor_answer_one(bw_anchor *a, anchor_call *c, guint ans, guint i,
				  const bw_sdp_media *m, bw_sdp_out *out, bw_sdp_crypto *mine,
				  gboolean *active, char *reason, gsize rl)
{
	guint o = !ans;
	*active = anchor_active(m) && anchor_active(&c->leg[o].offer.media[i]) &&
		  c->leg[ans].port[i];
	if (!*active)
		return TRUE;   /* out[i] stays port 0: refused on both sides */
	if (!anchor_take_answer(c, ans, i, m, reason, rl) ||
	    !anchor_make_answer(a, c, o, i, out, mine, reason, rl))
		return FALSE;
	int rc = anchor_commit(a, c, i);
	if (rc)
		return !!anchor_fail(reason, rl, "the relay cannot take media %u: %s", i + 1,
				     g_strerror(rc));
	return TRUE;
}

char *bw_anchor_answer(bw_anchor *a, const char *call_id, void *from, void *to,
		       const char *sdp, char *reason, gsize rl)
{
	anchor_call *c = anchor_call_get(a, call_id, FALSE);
	if (!c || c->offerer < 0)
		return anchor_fail(reason, rl, "call %s: an answer without an offer", call_id);
	guint ans = !c->offerer;
	if (!c->leg[ans].ch && ans == 1)
		c->leg[1].ch = from;   /* the outbound leg, first heard of */
	if (from != c->leg[ans].ch || to != c->leg[c->offerer].ch)
		return anchor_fail(reason, rl, "call %s: an answer from a leg not offered to",
				   call_id);
	if (c->late != LATE_NONE)
		return bw_anchor_late_answer(a, c, sdp, reason, rl);
	bw_sdp s;
	bw_sdp_out out[BW_SDP_MAX_MEDIA] = { { 0 } };
	bw_sdp_crypto mine[BW_SDP_MAX_MEDIA];
	gboolean active[BW_SDP_MAX_MEDIA] = { FALSE };
	char *res = NULL;
	if (bw_sdp_parse(sdp, &s, reason, rl) != 0)
		return NULL;
	anchor_leg *og = &c->leg[c->offerer];
	if (s.n_media != og->offer.n_media) {
		anchor_fail(reason, rl, "the answer has %u media sections, the offer %u",
			    s.n_media, og->offer.n_media);
		goto out;
	}
	for (guint i = 0; i < s.n_media; i++)
		if (!anchor_answer_one(a, c, ans, i, &s.media[i], &out[i], &mine[i], &active[i],
				       reason, rl))
			goto out;
	anchor_local(a, og->offer.media[0].addr, og->addr, sizeof og->addr);
	anchor_report(a, c, active);
	res = bw_sdp_write(&s, og->addr, out);
out:
	explicit_bzero(mine, sizeof mine);
	bw_sdp_clear(&s);
	return res;
}

/* ---- delayed offer: we offer to both legs ---- */

int bw_anchor_set_codecs(bw_anchor *a, const char *list, char *reason, gsize rl)
{
	bw_sdp_codec c[BW_SDP_MAX_CODECS];
	guint n = 0;
	int rc = bw_sdp_codecs_parse(list, c, &n, reason, rl);
	if (rc)
		return rc;
	memcpy(a->codecs, c, sizeof c);
	a->n_codecs = n;
	return 0;
}

/* "udp:192.0.2.7:5060", "tls:[2001:db8::1]:5061" -> the IP, or "". */
static void anchor_peer_ip(const char *peer, char *out, gsize len)
{
	const char *p = peer ? strchr(peer, ':') : NULL;
	out[0] = 0;
	if (!p)
		return;
	p++;
	const char *end = *p == '[' ? strchr(++p, ']') : strrchr(p, ':');
	gsize n = end ? (gsize)(end - p) : strlen(p);
	if (n < len) {
		memcpy(out, p, n);
		out[n] = 0;
	}
}

/* Media i offered to leg l: its ports and, unless off, every suite. */
static gboolean anchor_late_media(bw_anchor *a, anchor_call *c, guint l, guint i,
				  bw_sdp_out *out, char *reason, gsize rl)
{
	anchor_leg *g = &c->leg[l];
	int rc = anchor_ports(a, c, l, i, TRUE);
	if (!rc && g->policy != BW_SRTP_OFF)
		rc = anchor_local_offer(g, i);
	if (rc)
		return !!anchor_fail(reason, rl, "no relay port or key for media %u of %s: %s",
				     i + 1, anchor_leg_name(l), g_strerror(rc));
	*out = (bw_sdp_out){ g->port[i], g->port[i] + 1, TRUE, g->policy == BW_SRTP_MANDATORY,
			     g->policy == BW_SRTP_OFF ? NULL : g->local[i],
			     g->policy == BW_SRTP_OFF ? 0 : g->n_local[i] };
	return TRUE;
}

char *bw_anchor_originate(bw_anchor *a, const char *call_id, void *from, const char *peer,
			  char *reason, gsize rl)
{
	anchor_call *c = anchor_call_get(a, call_id, TRUE);
	bw_srtp_policy p0 = c->leg[0].policy;
	anchor_attempt(c, from);
	anchor_leg_clear(&c->leg[0]);   /* nothing of the caller's yet */
	c->leg[0].policy = p0;
	c->leg[0].ch = from;
	guint64 sid = g_get_real_time() / G_USEC_PER_SEC;
	g_autofree char *text = bw_sdp_offer_text(a->codecs, a->n_codecs, sid);
	/* the template stands for the caller's offer: what the called leg
	 * answers is checked against it like against a real one */
	if (bw_sdp_parse(text, &c->leg[0].offer, reason, rl) != 0)
		return NULL;
	anchor_peer_ip(peer, c->hint, sizeof c->hint);
	anchor_leg *g = &c->leg[1];
	anchor_local(a, c->hint[0] ? c->hint : NULL, g->addr, sizeof g->addr);
	bw_sdp_out out[BW_SDP_MAX_MEDIA] = { { 0 } };
	if (!anchor_late_media(a, c, 1, 0, &out[0], reason, rl))
		return NULL;
	c->offerer = 0;
	c->late = LATE_CALLEE;
	return bw_sdp_write(&c->leg[0].offer, g->addr, out);
}

/* The called leg answered our offer: that leg is done; what it accepted
 * becomes our offer to the caller, with the caller's own ports and crypto. */
static char *anchor_late_callee(bw_anchor *a, anchor_call *c, bw_sdp *s, char *reason,
				gsize rl)
{
	bw_sdp_out out[BW_SDP_MAX_MEDIA] = { { 0 } };
	guint active = 0;
	for (guint i = 0; i < s->n_media; i++) {
		const bw_sdp_media *m = &s->media[i];
		if (!anchor_active(m) || !c->leg[1].port[i])
			continue;
		if (!anchor_take_answer(c, 1, i, m, reason, rl) ||
		    !anchor_late_media(a, c, 0, i, &out[i], reason, rl))
			return NULL;
		active++;
	}
	if (!active)
		return anchor_fail(reason, rl, "the called leg accepted no media section of our "
				   "offer (no common codec)");
	anchor_local(a, c->hint[0] ? c->hint : NULL, c->leg[0].addr, sizeof c->leg[0].addr);
	c->late = LATE_CALLER;
	c->offerer = 1;   /* the caller's answer comes from leg 0 to leg 1 */
	return bw_sdp_write(s, c->leg[0].addr, out);
}

/* The caller's answer (its ACK) to our offer: both legs known, streams. */
static char *anchor_late_caller(bw_anchor *a, anchor_call *c, bw_sdp *s, char *reason,
				gsize rl)
{
	gboolean active[BW_SDP_MAX_MEDIA] = { FALSE };
	guint n = 0;
	for (guint i = 0; i < s->n_media; i++) {
		active[i] = anchor_active(&s->media[i]) && c->leg[0].port[i] && c->leg[1].port[i];
		if (!active[i])
			continue;
		if (!anchor_take_answer(c, 0, i, &s->media[i], reason, rl))
			return NULL;
		int rc = anchor_commit(a, c, i);
		if (rc)
			return anchor_fail(reason, rl, "the relay cannot take media %u: %s", i + 1,
					   g_strerror(rc));
		n++;
	}
	if (!n)
		return anchor_fail(reason, rl, "the calling leg refused every media section of "
				   "our offer (no common codec)");
	anchor_report(a, c, active);
	c->late = LATE_NONE;
	return g_strdup("");
}

static char *bw_anchor_late_answer(bw_anchor *a, anchor_call *c, const char *sdp,
				   char *reason, gsize rl)
{
	bw_sdp s;
	char *res = NULL;
	if (bw_sdp_parse(sdp, &s, reason, rl) != 0)
		return NULL;
	guint offered = c->leg[0].offer.n_media;
	if (s.n_media != offered)
		anchor_fail(reason, rl, "the answer has %u media sections, our offer %u",
			    s.n_media, offered);
	else if (c->late == LATE_CALLEE)
		res = anchor_late_callee(a, c, &s, reason, rl);
	else
		res = anchor_late_caller(a, c, &s, reason, rl);
	bw_sdp_clear(&s);
	return res;
}
