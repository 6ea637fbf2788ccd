/* libFuzzer harness: the relay's per-packet path (bw_relay_pkt_one of
 * modules/srtp/relaypkt.c) fed arbitrary datagrams on one fixed stream:
 * leg 0 SRTP (AES_CM_128_HMAC_SHA1_80, RTCP on its own port), leg 1 plain
 * RTP with rtcp-mux. The input is a sequence of records
 * [flags][length][bytes]: flags bit 0 the leg it arrives on, bit 1 the
 * RTCP socket, bit 2 from the negotiated address (else a stranger),
 * bit 3 protected first with the phone's real key (so that the
 * authenticated paths, latching and re-protection are reached).
 * Checked: a forwarded packet goes out of the other leg's socket, fits
 * the buffer, is plain towards the plain leg and decrypts to what came in
 * towards the SRTP leg; every packet received is either dropped or sent. */
#include "../../modules/srtp/relayint.h"   /* first: it sets _GNU_SOURCE */
#include <bulwark/bus.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The packet path reports to the bus and metrics; nothing listens here. */
void bw_event_emit(const char *type, ...) { (void)type; }
void bw_metric_add(bw_metric *m, gint64 delta) { (void)m; (void)delta; }

#define FUZZ_SUITE SRTPC_AES_CM_128_HMAC_SHA1_80
#define FUZZ_KEY   30

typedef struct fuzz_rig {
	bw_relay r;
	bw_relay_stream s;
	relay_thread *t;
	srtpc *phone_tx, *phone_rx;   /* the SRTP phone on leg 0 */
	struct sockaddr_storage stranger;
} fuzz_rig;

static void fuzz_addr(struct sockaddr_storage *ss, guint16 port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

static srtpc *fuzz_ctx(const guint8 *key)
{
	srtpc *c = NULL;
	if (srtpc_new(&c, FUZZ_SUITE, key, FUZZ_KEY, 128) != 0)
		g_error("fuzz_relay: srtpc_new failed");
	return c;
}

static void fuzz_rig_init(fuzz_rig *g)
{
	memset(g, 0, sizeof *g);
	g->r.cfg.rate_factor = 3;
	g->r.cfg.event_interval_s = 10;
	g->t = g_new0(relay_thread, 1);
	g->t->r = &g->r;
	bw_relay_stream *s = &g->s;
	s->r = &g->r;
	g_strlcpy(s->call_id, "fuzz", sizeof s->call_id);
	for (guint l = 0; l < 2; l++) {
		bw_relay_leg *n = &s->leg[l];
		fuzz_addr(&n->rtp_addr, (guint16)(5000 + 1000 * l));
		fuzz_addr(&n->rtcp_addr, (guint16)(l ? 6000 : 5001));
		n->have_addr = TRUE;
		n->mux = l == 1;
		n->secure = l == 0;
		n->suite = FUZZ_SUITE;
		n->key_len = FUZZ_KEY;
		n->pps = 50;
		for (guint i = 0; i < FUZZ_KEY; i++) {
			n->key_in[i] = (guint8)(0x10 + i + 64 * l);
			n->key_out[i] = (guint8)(0x90 + i + 64 * l);
		}
		for (guint j = 0; j < 2; j++)
			s->sock[l][j] = (relay_sock){ s, l, j == 1, (l == 1 && j == 1) ? -1
							 : (int)(100 + 2 * l + j) };
		bw_relay_pkt_reset(s, l);
	}
	s->in[0] = fuzz_ctx(s->leg[0].key_in);
	s->out[0] = fuzz_ctx(s->leg[0].key_out);
	g->phone_tx = fuzz_ctx(s->leg[0].key_in);
	g->phone_rx = fuzz_ctx(s->leg[0].key_out);
	fuzz_addr(&g->stranger, 7777);
}

static void fuzz_rig_clear(fuzz_rig *g)
{
	srtpc_free(g->s.in[0]);
	srtpc_free(g->s.out[0]);
	srtpc_free(g->phone_tx);
	srtpc_free(g->phone_rx);
	g_free(g->t);
}

/* What the relay sent (p, len) for what came in (orig, olen) on leg l. */
static void fuzz_check_out(fuzz_rig *g, guint l, gboolean rtcp, const relay_out *o,
			   const guint8 *orig, size_t olen, guint8 *p, size_t len)
{
	guint m = !l;
	bw_relay_stream *s = &g->s;
	if (o->fd != s->sock[m][0].fd && o->fd != s->sock[m][1].fd)
		g_error("fuzz_relay: leg %u's packet leaves by fd %d, not leg %u's", l, o->fd, m);
	if (len > RELAY_BUF || o->to == NULL)
		g_error("fuzz_relay: %zu bytes out, or no destination", len);
	if (m == 1) {
		if (len > olen)
			g_error("fuzz_relay: plain RTP out (%zu) longer than SRTP in (%zu)", len, olen);
		return;
	}
	/* towards the SRTP phone: it must decrypt to what the plain leg sent
	 * (unless the index estimate or the replay window rightly refuse) */
	srtpc_status st = rtcp ? srtpc_unprotect_rtcp(g->phone_rx, p, &len)
			       : srtpc_unprotect(g->phone_rx, p, &len);
	if (st == SRTPC_OK && (len != olen || memcmp(p, orig, olen) != 0))
		g_error("fuzz_relay: SRTP towards the phone decrypts to other bytes");
}

static void fuzz_one(fuzz_rig *g, guint8 flags, const guint8 *in, size_t n, gint64 now)
{
	static guint8 buf[RELAY_BUF], orig[RELAY_BUF];
	guint l = flags & 1;
	relay_sock *k = &g->s.sock[l][(flags >> 1) & 1];
	if (k->fd < 0)
		k = &g->s.sock[l][0];
	size_t len = MIN(n, (size_t)RELAY_PKT_MAX + 1);
	memcpy(buf, in, len);
	if ((flags & 8) && l == 0 && len >= 12 && len <= RELAY_PKT_MAX) {
		gboolean rtcp = k->rtcp || (buf[1] >= 192 && buf[1] <= 223);
		(void)(rtcp ? srtpc_protect_rtcp(g->phone_tx, buf, &len, sizeof buf)
			    : srtpc_protect(g->phone_tx, buf, &len, sizeof buf));
	}
	memcpy(orig, buf, len);
	size_t olen = len;
	const struct sockaddr_storage *src = (flags & 4)
		? (k->rtcp ? &g->s.leg[l].rtcp_addr : &g->s.leg[l].rtp_addr) : &g->stranger;
	struct sockaddr_storage from = *src;   /* latching may rewrite the leg's */
	relay_out o = { -1, NULL };
	gboolean rtcp = k->rtcp || (len >= 2 && buf[1] >= 192 && buf[1] <= 223);
	if (bw_relay_pkt_one(g->t, k, buf, &len, &from, now, &o))
		fuzz_check_out(g, l, rtcp, &o, orig, olen, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_rig g;
	fuzz_rig_init(&g);
	gint64 now = g_get_monotonic_time();
	size_t i = 0;
	while (i + 2 <= size) {
		guint8 flags = data[i];
		size_t n = MIN((size_t)data[i + 1] * 8, size - i - 2);
		fuzz_one(&g, flags, data + i + 2, n, now);
		i += 2 + n;
		now += 20000 * ((flags >> 4) & 3);
	}
	for (guint l = 0; l < 2; l++) {
		const bw_relay_counts *c = &g.s.counts[l];
		if (c->rx != c->dropped + g.s.counts[!l].tx)
			g_error("fuzz_relay: leg %u: %" G_GUINT64_FORMAT " in, %" G_GUINT64_FORMAT
				" dropped, %" G_GUINT64_FORMAT " sent on", l, c->rx, c->dropped,
				g.s.counts[!l].tx);
	}
	fuzz_rig_clear(&g);
	return 0;
}
