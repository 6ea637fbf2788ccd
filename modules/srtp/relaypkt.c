/* The packet path of relay.h, on a relay thread, lock-free: read a batch,
 * check each packet's source, rate, SRTP, forward to the other leg in a
 * sendmmsg batch. Every drop is counted on the leg it came from; the
 * global metrics take one update per batch. */
#include "relayint.h"
#include <bulwark/bus.h>
#include <errno.h>
#include <string.h>

#define RELAY_BURST_S 1     /* the bucket holds this many seconds of the rate */

static gboolean relay_same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return FALSE;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
}

static gint64 relay_rate(const bw_relay_stream *s, guint l)
{
	guint f = s->r->cfg.rate_factor;
	return f ? (gint64)f * MAX(s->leg[l].pps, 1u) : 0;
}

void bw_relay_pkt_reset(bw_relay_stream *s, guint l)
{
	s->latched[l] = FALSE;
	s->tokens[l] = relay_rate(s, l) * RELAY_BURST_S * 1000000;
	s->refill[l] = g_get_monotonic_time();
}

static gboolean relay_bucket(bw_relay_stream *s, guint l, gint64 now)
{
	gint64 rate = relay_rate(s, l);
	if (!rate)
		return TRUE;
	gint64 cap = rate * RELAY_BURST_S * 1000000;
	s->tokens[l] = MIN(cap, s->tokens[l] + (now - s->refill[l]) * rate);
	s->refill[l] = now;
	if (s->tokens[l] < 1000000)
		return FALSE;
	s->tokens[l] -= 1000000;
	return TRUE;
}

/* media.srtp.auth_failed, at most once per interval per leg, with the
 * number of failures since the last one. */
static void relay_auth_event(bw_relay_stream *s, guint l, gint64 now)
{
	s->auth_unreported[l]++;
	gint64 every = (gint64)s->r->cfg.event_interval_s * G_USEC_PER_SEC;
	if (s->last_event[l] && now - s->last_event[l] < every)
		return;
	char idx[16], leg[4], count[24];
	g_snprintf(idx, sizeof idx, "%u", s->index);
	g_snprintf(leg, sizeof leg, "%u", l);
	g_snprintf(count, sizeof count, "%" G_GUINT64_FORMAT, s->auth_unreported[l]);
	bw_event_emit("media.srtp.auth_failed", "call_id", s->call_id, "stream", idx,
		      "leg", leg, "count", count, NULL);
	s->last_event[l] = now;
	s->auth_unreported[l] = 0;
}

static gboolean relay_is_rtcp(const guint8 *p, size_t len, gboolean rtcp_sock)
{
	/* RFC 5761 4: RTCP packet types 192-223 in the second byte */
	return rtcp_sock || (len >= 2 && p[1] >= 192 && p[1] <= 223);
}

/* SRTP in: 0 or the counter that the drop goes to. */
static srtpc_status relay_unprotect(bw_relay_stream *s, guint l, gboolean rtcp,
				    guint8 *p, size_t *len)
{
	if (!s->leg[l].secure)
		return SRTPC_OK;
	return rtcp ? srtpc_unprotect_rtcp(s->in[l], p, len) : srtpc_unprotect(s->in[l], p, len);
}

static gboolean relay_source_ok(bw_relay_stream *s, guint l, gboolean rtcp_sock,
				const struct sockaddr_storage *src, gboolean authed)
{
	bw_relay_leg *g = &s->leg[l];
	struct sockaddr_storage *want = rtcp_sock ? &g->rtcp_addr : &g->rtp_addr;
	if (g->have_addr && relay_same_addr(src, want)) {
		s->latched[l] = TRUE;
		return TRUE;
	}
	if (!authed || s->latched[l])
		return FALSE;
	/* the first packet that authenticates from elsewhere (NAT): latch */
	*want = *src;
	if (!rtcp_sock && g->mux)
		g->rtcp_addr = *src;
	g->have_addr = s->latched[l] = TRUE;
	return TRUE;
}

gboolean bw_relay_pkt_one(relay_thread *t, relay_sock *k, guint8 *p, size_t *len,
			  const struct sockaddr_storage *src, gint64 now, relay_out *o)
{
	bw_relay_stream *s = k->s;
	guint l = k->leg, m = !l;
	bw_relay_counts *c = &s->counts[l];
	RELAY_INC(c->rx);
	gboolean rtcp = relay_is_rtcp(p, *len, k->rtcp);
	if (*len < (rtcp ? 8u : 12u) || (p[0] >> 6) != 2 || *len > RELAY_PKT_MAX)
		goto drop;
	if (!relay_bucket(s, l, now)) {
		RELAY_INC(c->rate_limited);
		goto drop;
	}
	gboolean known = s->leg[l].have_addr &&
			 relay_same_addr(src, k->rtcp ? &s->leg[l].rtcp_addr : &s->leg[l].rtp_addr);
	if (!known && (!s->leg[l].secure || s->latched[l])) {
		RELAY_INC(c->foreign);   /* checked first: a stranger costs no crypto */
		goto drop;
	}
	srtpc_status st = relay_unprotect(s, l, rtcp, p, len);
	if (st == SRTPC_ERR_AUTH) {
		RELAY_INC(c->auth_failed);
		t->m_auth++;
		relay_auth_event(s, l, now);
		goto drop;
	} else if (st == SRTPC_ERR_REPLAY) {
		RELAY_INC(c->replayed);
		goto drop;
	} else if (st != SRTPC_OK || !relay_source_ok(s, l, k->rtcp, src, TRUE)) {
		goto drop;
	}
	bw_relay_leg *to = &s->leg[m];
	if (!to->have_addr)
		goto drop;
	if (to->secure) {
		st = rtcp ? srtpc_protect_rtcp(s->out[m], p, len, RELAY_BUF)
			  : srtpc_protect(s->out[m], p, len, RELAY_BUF);
		if (st != SRTPC_OK)
			goto drop;
	}
	gboolean sep = rtcp && !to->mux && s->sock[m][1].fd >= 0;
	o->fd = sep ? s->sock[m][1].fd : s->sock[m][0].fd;
	o->to = rtcp && !to->mux ? &to->rtcp_addr : &to->rtp_addr;
	RELAY_INC(s->counts[m].tx);
	return TRUE;
drop:
	RELAY_INC(c->dropped);
	t->m_dropped++;
	return FALSE;
}

static void relay_flush(relay_thread *t)
{
	guint sent = 0;
	while (sent < t->n_out) {
		int n = sendmmsg(t->out_fd, t->out + sent, t->n_out - sent, MSG_DONTWAIT);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			t->m_dropped += t->n_out - sent;   /* full socket buffer or gone peer */
			break;
		}
		sent += (guint)n;
		t->m_packets += n;
	}
	t->n_out = 0;
}

static void relay_queue(relay_thread *t, guint i, size_t len, const relay_out *o)
{
	if (t->n_out && t->out_fd != o->fd)
		relay_flush(t);
	guint j = t->n_out++;
	t->out_fd = o->fd;
	t->out_iov[j] = (struct iovec){ t->buf[i], len };
	t->dst[j] = *o->to;
	t->out[j].msg_hdr = (struct msghdr){
		.msg_name = &t->dst[j],
		.msg_namelen = t->dst[j].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in),
		.msg_iov = &t->out_iov[j], .msg_iovlen = 1 };
}

void bw_relay_pkt_metrics(relay_thread *t)
{
	bw_relay *r = t->r;
	if (t->m_packets)
		bw_metric_add(r->packets, t->m_packets);
	if (t->m_dropped)
		bw_metric_add(r->dropped, t->m_dropped);
	if (t->m_auth)
		bw_metric_add(r->auth_failed, t->m_auth);
	t->m_packets = t->m_dropped = t->m_auth = 0;
}

void bw_relay_pkt_read(relay_thread *t, relay_sock *k)
{
	for (guint round = 0; round < RELAY_ROUNDS; round++) {
		for (guint i = 0; i < RELAY_BATCH; i++) {
			t->in_iov[i] = (struct iovec){ t->buf[i], RELAY_PKT_MAX + 1 };
			t->in[i].msg_hdr = (struct msghdr){ .msg_name = &t->src[i],
				.msg_namelen = sizeof t->src[i], .msg_iov = &t->in_iov[i],
				.msg_iovlen = 1 };
		}
		int n = recvmmsg(k->fd, t->in, RELAY_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		gint64 now = g_get_monotonic_time();
		for (int i = 0; i < n; i++) {
			size_t len = t->in[i].msg_len;
			relay_out o;
			if (bw_relay_pkt_one(t, k, t->buf[i], &len, &t->src[i], now, &o))
				relay_queue(t, (guint)i, len, &o);
		}
		if (t->n_out)
			relay_flush(t);
		if (n < RELAY_BATCH)
			break;
	}
}
