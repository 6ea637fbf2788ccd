/* Module srtp's relay with real UDP sockets on loopback, negotiated through
 * the media anchor like the call engine does: SRTP->SRTP for each suite
 * and SRTP->RTP both ways, SRTCP on rtcp-mux, foreign packets, replayed
 * and tampered packets, latching onto the first authenticated packet, the
 * rate limit, the auth_failed event limit, and no socket left in the port
 * range after release (ss -uln). The phones' side uses libsrtp2, so the
 * relay's SRTP (srtpc) is checked against an independent implementation. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <srtp2/srtp.h>
#include <bulwark/bus.h>
#include <bulwark/metrics.h>
#include "sdp.h"
#include "sdpanchor.h"

#define PAYLOAD 160

typedef struct phone {
	int fd;
	guint port;
	srtp_t tx, rx;                   /* NULL: plain RTP */
	guint16 seq;
	guint32 ssrc;
} phone;

typedef struct fixture {
	bw_relay_config cfg;
	bw_relay_loop_opts loop;
	bw_relay *relay;
	bw_anchor *anchor;
	phone a, b;
	bw_sdp to_b, to_a;               /* what the relay sent each phone */
	char call[16];
	char *a_offer;                   /* what A offered first */
} fixture;

static void phone_open(phone *p, guint32 ssrc)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	memset(p, 0, sizeof *p);
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(bind(p->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(getsockname(p->fd, (struct sockaddr *)&sa, &sl), ==, 0);
	p->port = ntohs(sa.sin_port);
	p->ssrc = ssrc;
	p->seq = 1000;
}

static void phone_close(phone *p)
{
	if (p->tx)
		srtp_dealloc(p->tx);
	if (p->rx)
		srtp_dealloc(p->rx);
	close(p->fd);
}

static void lsrtp_policy(srtp_crypto_policy_t *rtp, srtp_crypto_policy_t *rtcp, srtpc_suite s)
{
	switch (s) {
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		break;
	case SRTPC_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		break;
	case SRTPC_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		break;
	case SRTPC_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		break;
	}
	*rtcp = *rtp;
	if (s == SRTPC_AES_CM_128_HMAC_SHA1_32)   /* RFC 4568 6.2.1: SRTCP keeps 80 bits */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
}

static srtp_t lsrtp_new(const bw_sdp_crypto *c, gboolean outbound)
{
	srtp_policy_t pol;
	srtp_t s = NULL;
	guint8 key[BW_SDP_KEY_MAX];
	memset(&pol, 0, sizeof pol);
	memcpy(key, c->key, c->key_len);
	lsrtp_policy(&pol.rtp, &pol.rtcp, c->suite);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = key;
	pol.window_size = 128;
	g_assert_cmpint(srtp_create(&s, &pol), ==, srtp_err_status_ok);
	return s;
}

static bw_sdp_crypto fresh(guint tag, srtpc_suite s)
{
	bw_sdp_crypto c = { .tag = tag, .suite = s };
	c.key_len = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	g_assert_cmpint(srtpc_random_key(s, c.key, c.key_len), ==, 0);
	return c;
}

static char *phone_sdp(const phone *p, gboolean savp, const bw_sdp_crypto *c)
{
	g_autofree char *k = c ? g_base64_encode(c->key, c->key_len) : NULL;
	g_autofree char *cl = c ? g_strdup_printf("a=crypto:%u %s inline:%s\r\n", c->tag,
						  srtpc_suite_name(c->suite), k) : g_strdup("");
	return g_strdup_printf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			       "t=0 0\r\nm=audio %u %s 0\r\na=ptime:20\r\na=rtcp-mux\r\n%s",
			       p->port, savp ? "RTP/SAVP" : "RTP/AVP", cl);
}

/* Negotiates a call: A offers (SRTP with suite unless a_plain), B answers
 * with the same suite unless leg 1's policy is off. */
static void negotiate(fixture *f, srtpc_suite suite, bw_srtp_policy p1)
{
	char why[256] = "";
	bw_anchor_policy(f->anchor, f->call, 0, BW_SRTP_MANDATORY);
	bw_anchor_policy(f->anchor, f->call, 1, p1);
	bw_sdp_crypto ka = fresh(1, suite);
	f->a.tx = lsrtp_new(&ka, TRUE);
	g_autofree char *o = phone_sdp(&f->a, TRUE, &ka);
	g_free(f->a_offer);
	f->a_offer = g_strdup(o);
	g_autofree char *ob = bw_anchor_offer(f->anchor, f->call, &f->a, NULL, o, why, sizeof why);
	if (!ob)
		g_error("offer refused: %s", why);
	g_assert_cmpint(bw_sdp_parse(ob, &f->to_b, why, sizeof why), ==, 0);
	const bw_sdp_crypto *rb = NULL;
	for (guint i = 0; i < f->to_b.media[0].n_crypto; i++)
		if (f->to_b.media[0].crypto[i].suite == suite)
			rb = &f->to_b.media[0].crypto[i];
	bw_sdp_crypto kb;
	if (rb) {
		kb = fresh(rb->tag, suite);
		f->b.rx = lsrtp_new(rb, FALSE);
		f->b.tx = lsrtp_new(&kb, TRUE);
	}
	g_autofree char *ans = phone_sdp(&f->b, rb != NULL, rb ? &kb : NULL);
	g_autofree char *aa = bw_anchor_answer(f->anchor, f->call, &f->b, &f->a, ans, why, sizeof why);
	if (!aa)
		g_error("answer refused: %s", why);
	g_assert_cmpint(bw_sdp_parse(aa, &f->to_a, why, sizeof why), ==, 0);
	g_assert_cmpuint(f->to_a.media[0].n_crypto, ==, 1);
	f->a.rx = lsrtp_new(&f->to_a.media[0].crypto[0], FALSE);
}

/* data: the bw_relay_loop_opts under test (each test runs on every loop) */
static void fx_setup(fixture *f, gconstpointer data)
{
	guint base = 20000 + 2 * (guint)g_random_int_range(0, 5000);
	f->cfg = (bw_relay_config){ "127.0.0.1", base, base + 19, 1, 0, 128, 10 };
	f->loop = *(const bw_relay_loop_opts *)data;
	bw_relay_io io = f->loop.io;
	g_autoptr(GError) err = NULL;
	f->relay = bw_relay_new_loop(&f->cfg, &f->loop, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(bw_relay_io_name(f->relay), ==, io == BW_RELAY_IO_URING ? "io_uring" : "epoll");
	f->anchor = bw_anchor_new(f->relay, NULL, NULL);
	phone_open(&f->a, 0x11111111);
	phone_open(&f->b, 0x22222222);
	g_strlcpy(f->call, "call-1", sizeof f->call);
}

static void fx_teardown(fixture *f, gconstpointer data)
{
	(void)data;
	bw_anchor_free(f->anchor);
	bw_relay_free(f->relay);
	bw_sdp_clear(&f->to_a);
	bw_sdp_clear(&f->to_b);
	phone_close(&f->a);
	phone_close(&f->b);
	g_free(f->a_offer);
}

/* ---- packets ---- */

static int rtp_build(phone *p, guint8 *buf, guint8 fill)
{
	buf[0] = 0x80;
	buf[1] = 0;   /* PCMU */
	guint16 seq = p->seq++;
	guint32 ts = (guint32)seq * 160;
	buf[2] = seq >> 8; buf[3] = seq & 0xff;
	buf[4] = ts >> 24; buf[5] = ts >> 16; buf[6] = ts >> 8; buf[7] = ts & 0xff;
	buf[8] = p->ssrc >> 24; buf[9] = p->ssrc >> 16; buf[10] = p->ssrc >> 8; buf[11] = p->ssrc & 0xff;
	memset(buf + 12, fill, PAYLOAD);
	int len = 12 + PAYLOAD;
	if (p->tx)
		g_assert_cmpint(srtp_protect(p->tx, buf, &len), ==, srtp_err_status_ok);
	return len;
}

static void send_to(int fd, guint port, const guint8 *buf, int len)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((guint16)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	g_assert_cmpint(sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa), ==, len);
}

/* The next datagram, or -1 after timeout_ms. */
static int recv_from(int fd, guint8 *buf, gsize cap, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return (int)recv(fd, buf, cap, 0);
}

/* Receives on p one RTP packet and checks it: seq and fill. */
static void expect_rtp(phone *p, guint16 seq, guint8 fill)
{
	guint8 buf[2048];
	int len = recv_from(p->fd, buf, sizeof buf, 5000);
	g_assert_cmpint(len, >, 12);
	if (p->rx)
		g_assert_cmpint(srtp_unprotect(p->rx, buf, &len), ==, srtp_err_status_ok);
	g_assert_cmpint(len, ==, 12 + PAYLOAD);
	g_assert_cmpuint((guint)(buf[2] << 8 | buf[3]), ==, seq);
	for (guint i = 12; i < 12 + PAYLOAD; i++)
		g_assert_cmpuint(buf[i], ==, fill);
}

static guint relay_port(const fixture *f, guint leg)
{
	return leg ? f->to_b.media[0].port : f->to_a.media[0].port;
}

/* A -> relay -> B, one packet, checked. */
static void a_to_b(fixture *f, guint8 fill)
{
	guint8 buf[2048];
	guint16 seq = f->a.seq;
	int len = rtp_build(&f->a, buf, fill);
	send_to(f->a.fd, relay_port(f, 0), buf, len);
	expect_rtp(&f->b, seq, fill);
}

static void b_to_a(fixture *f, guint8 fill)
{
	guint8 buf[2048];
	guint16 seq = f->b.seq;
	int len = rtp_build(&f->b, buf, fill);
	send_to(f->b.fd, relay_port(f, 1), buf, len);
	expect_rtp(&f->a, seq, fill);
}

typedef struct counts_q {
	guint leg;
	bw_relay_counts c;
} counts_q;

static void counts_cb(const char *call_id, guint index, guint leg, guint port, const char *peer,
		      gboolean secure, const bw_relay_counts *c, void *ud)
{
	counts_q *q = ud;
	(void)call_id; (void)index; (void)port; (void)peer; (void)secure;
	if (leg == q->leg)
		q->c = *c;
}

static bw_relay_counts counts(fixture *f, guint leg)
{
	counts_q q = { leg, { 0 } };
	bw_relay_foreach(f->relay, counts_cb, &q);
	return q.c;
}

/* ---- tests ---- */

static void test_srtp_srtp(fixture *f, gconstpointer data)
{
	(void)data;
	static const srtpc_suite suites[] = { SRTPC_AES_CM_128_HMAC_SHA1_80,
		SRTPC_AES_CM_128_HMAC_SHA1_32, SRTPC_AEAD_AES_128_GCM, SRTPC_AEAD_AES_256_GCM };
	for (guint s = 0; s < G_N_ELEMENTS(suites); s++) {
		g_snprintf(f->call, sizeof f->call, "call-%u", s);
		negotiate(f, suites[s], BW_SRTP_MANDATORY);
		g_assert_true(f->to_b.media[0].savp);
		for (guint i = 0; i < 20; i++) {
			a_to_b(f, (guint8)i);
			b_to_a(f, (guint8)(0x80 + i));
		}
		bw_relay_counts c = counts(f, 0);
		g_assert_cmpuint(c.rx, ==, 20);
		g_assert_cmpuint(c.tx, ==, 20);
		g_assert_cmpuint(c.dropped, ==, 0);
		bw_anchor_release(f->anchor, f->call);
		g_assert_true(bw_relay_wait_idle(f->relay, 5000));
		for (guint p = 0; p < 2; p++) {
			phone *ph = p ? &f->b : &f->a;
			g_clear_pointer(&ph->tx, srtp_dealloc);
			g_clear_pointer(&ph->rx, srtp_dealloc);
		}
		bw_sdp_clear(&f->to_a);
		bw_sdp_clear(&f->to_b);
	}
}

static void test_srtp_rtp(fixture *f, gconstpointer data)
{
	(void)data;
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_OFF);
	g_assert_false(f->to_b.media[0].savp);
	g_assert_cmpuint(f->to_b.media[0].n_crypto, ==, 0);
	g_assert_null(f->b.rx);
	for (guint i = 0; i < 10; i++) {
		a_to_b(f, 0x55);   /* B checks the plain payload */
		b_to_a(f, 0x66);   /* A unprotects what the relay protected */
	}
	/* SRTCP on the mux port: B gets plain RTCP with the same content */
	guint8 rtcp[128] = { 0x80, 200, 0, 6 };
	rtcp[4] = 0x11; rtcp[5] = 0x11; rtcp[6] = 0x11; rtcp[7] = 0x11;
	for (guint i = 8; i < 28; i++)
		rtcp[i] = (guint8)i;
	guint8 copy[28];
	memcpy(copy, rtcp, sizeof copy);
	int len = 28;
	g_assert_cmpint(srtp_protect_rtcp(f->a.tx, rtcp, &len), ==, srtp_err_status_ok);
	send_to(f->a.fd, relay_port(f, 0), rtcp, len);
	guint8 buf[256];
	g_assert_cmpint(recv_from(f->b.fd, buf, sizeof buf, 5000), ==, 28);
	g_assert_cmpmem(buf, 28, copy, 28);
}

static gint64 metric(const char *name)
{
	bw_metric *m = bw_metric_find(name);
	return m ? bw_metric_value(m) : -1;
}

/* The relay thread adds its counts to the metrics after each round. */
static gboolean metric_reaches(const char *name, gint64 value)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (metric(name) < value && g_get_monotonic_time() < end)
		g_usleep(1000);
	return metric(name) == value;
}

static void test_foreign_replay_tamper(fixture *f, gconstpointer data)
{
	(void)data;
	gint64 dropped0 = metric("media.dropped"), auth0 = metric("media.auth_failed");
	gint64 packets0 = metric("media.packets");
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_MANDATORY);
	g_assert_cmpint(metric("media.streams"), ==, 1);
	a_to_b(f, 1);   /* latched on A's negotiated address */
	phone x;
	phone_open(&x, 0x33333333);
	guint8 buf[2048], keep[2048];
	/* a stranger: plain RTP, then a genuine SRTP packet of A replayed from elsewhere */
	int len = rtp_build(&x, buf, 9);
	send_to(x.fd, relay_port(f, 0), buf, len);
	guint16 seq = f->a.seq;
	int klen = rtp_build(&f->a, keep, 2);
	send_to(x.fd, relay_port(f, 0), keep, klen);
	/* the genuine packet from A arrives; nothing of the stranger's before it */
	send_to(f->a.fd, relay_port(f, 0), keep, klen);
	expect_rtp(&f->b, seq, 2);
	/* replay of the same packet from A, then a tampered one */
	send_to(f->a.fd, relay_port(f, 0), keep, klen);
	len = rtp_build(&f->a, buf, 3);
	buf[20] ^= 1;
	send_to(f->a.fd, relay_port(f, 0), buf, len);
	a_to_b(f, 4);
	b_to_a(f, 5);   /* B's leg latched: a stranger toward it is foreign too */
	len = rtp_build(&x, buf, 9);
	send_to(x.fd, relay_port(f, 1), buf, len);
	b_to_a(f, 6);
	bw_relay_counts c = counts(f, 0), c1 = counts(f, 1);
	g_assert_cmpuint(c.foreign, ==, 2);
	g_assert_cmpuint(c.replayed, ==, 1);
	g_assert_cmpuint(c.auth_failed, ==, 1);
	g_assert_cmpuint(c.tx, ==, 2);          /* B -> A */
	g_assert_cmpuint(c1.tx, ==, 3);         /* A -> B: seq 1000, 1002, 1004 */
	g_assert_cmpuint(c1.foreign, ==, 1);
	g_assert_cmpint(recv_from(x.fd, buf, sizeof buf, 0), ==, -1);
	g_assert_true(metric_reaches("media.dropped", dropped0 + 5));
	g_assert_true(metric_reaches("media.auth_failed", auth0 + 1));
	g_assert_true(metric_reaches("media.packets", packets0 + 5));
	phone_close(&x);
}

/* A re-offers (hold, then resume) with its same key, B answers with a new
 * one: media keeps flowing, counters keep counting, no replay trouble. */
static void test_reoffer(fixture *f, gconstpointer data)
{
	(void)data;
	char why[256] = "";
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_MANDATORY);
	for (guint i = 0; i < 3; i++)
		a_to_b(f, 1), b_to_a(f, 2);
	/* re-offer from A: the SDP it sent first, with its same key */
	bw_sdp_clear(&f->to_b);
	g_autofree char *o = g_strdup(f->a_offer);
	g_autofree char *ob = bw_anchor_offer(f->anchor, f->call, &f->a, &f->b, o, why, sizeof why);
	g_assert_nonnull(ob);
	g_assert_cmpint(bw_sdp_parse(ob, &f->to_b, why, sizeof why), ==, 0);
	const bw_sdp_crypto *rb = &f->to_b.media[0].crypto[0];
	bw_sdp_crypto kb = fresh(rb->tag, rb->suite);
	srtp_dealloc(f->b.tx);
	f->b.tx = lsrtp_new(&kb, TRUE);
	g_autofree char *ans = phone_sdp(&f->b, TRUE, &kb);
	g_autofree char *aa = bw_anchor_answer(f->anchor, f->call, &f->b, &f->a, ans, why, sizeof why);
	g_assert_nonnull(aa);
	bw_sdp a2;
	g_assert_cmpint(bw_sdp_parse(aa, &a2, why, sizeof why), ==, 0);
	g_assert_cmpuint(a2.media[0].port, ==, f->to_a.media[0].port);
	g_assert_cmpmem(a2.media[0].crypto[0].key, a2.media[0].crypto[0].key_len,
			f->to_a.media[0].crypto[0].key, f->to_a.media[0].crypto[0].key_len);
	bw_sdp_clear(&a2);
	for (guint i = 0; i < 3; i++)
		a_to_b(f, 3), b_to_a(f, 4);
	bw_relay_counts c0 = counts(f, 0), c1 = counts(f, 1);
	g_assert_cmpuint(c0.rx, ==, 6);
	g_assert_cmpuint(c1.rx, ==, 6);
	g_assert_cmpuint(c0.dropped + c1.dropped, ==, 0);
}

/* A sends from another port than it offered (NAT): the first packet that
 * authenticates moves the leg there; the offered port is then a stranger. */
static void test_latch(fixture *f, gconstpointer data)
{
	(void)data;
	negotiate(f, SRTPC_AEAD_AES_128_GCM, BW_SRTP_MANDATORY);
	phone nat;
	phone_open(&nat, 0);
	guint8 buf[2048];
	/* a forged packet from the new address does not latch */
	guint8 junk[200] = { 0x80, 0, 0, 1 };
	send_to(nat.fd, relay_port(f, 0), junk, sizeof junk);
	guint16 seq = f->a.seq;
	int len = rtp_build(&f->a, buf, 7);
	send_to(nat.fd, relay_port(f, 0), buf, len);
	expect_rtp(&f->b, seq, 7);
	/* B's media now goes to the latched address */
	len = rtp_build(&f->b, buf, 8);
	send_to(f->b.fd, relay_port(f, 1), buf, len);
	int n = recv_from(nat.fd, buf, sizeof buf, 5000);
	g_assert_cmpint(n, >, 12);
	g_assert_cmpint(srtp_unprotect(f->a.rx, buf, &n), ==, srtp_err_status_ok);
	/* the offered address is foreign now */
	len = rtp_build(&f->a, buf, 9);
	send_to(f->a.fd, relay_port(f, 0), buf, len);
	seq = f->a.seq;
	len = rtp_build(&f->a, buf, 10);
	send_to(nat.fd, relay_port(f, 0), buf, len);
	expect_rtp(&f->b, seq, 10);
	bw_relay_counts c = counts(f, 0);
	g_assert_cmpuint(c.foreign, ==, 1);
	g_assert_cmpuint(c.auth_failed, ==, 1);
	phone_close(&nat);
}

static void on_event(const bw_event *ev, void *ud)
{
	GPtrArray *seen = ud;
	g_ptr_array_add(seen, g_strdup(bw_event_get(ev, "count")));
}

static void test_rate_limit_and_event(fixture *f, gconstpointer data)
{
	(void)data;
	bw_anchor_free(f->anchor);
	bw_relay_free(f->relay);
	f->cfg.rate_factor = 3;   /* 20 ms ptime: 150 packets/s, a 1 s bucket */
	f->relay = bw_relay_new_loop(&f->cfg, &f->loop, NULL);
	f->anchor = bw_anchor_new(f->relay, NULL, NULL);
	GMainContext *ctx = g_main_context_new();
	GPtrArray *seen = g_ptr_array_new_with_free_func(g_free);
	bw_sub *sub = bw_bus_subscribe("media.srtp.auth_failed", ctx, 0, on_event, seen);
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_MANDATORY);
	guint8 buf[2048];
	const guint total = 600;
	gint64 t0 = g_get_monotonic_time();
	for (guint i = 0; i < total; i++) {
		int len = rtp_build(&f->a, buf, 1);
		if (i < 3)
			buf[30] ^= 1;   /* three auth failures: one event */
		send_to(f->a.fd, relay_port(f, 0), buf, len);
	}
	gint64 t1 = g_get_monotonic_time();
	guint got = 0;
	while (recv_from(f->b.fd, buf, sizeof buf, 1000) > 0)
		got++;
	bw_relay_counts c = counts(f, 0);
	/* the kernel may drop some of the burst before the relay reads it */
	g_assert_cmpuint(c.rx, <=, total);
	g_assert_cmpuint(c.rate_limited + c.auth_failed + got, ==, c.rx);
	g_assert_cmpuint(c.dropped, ==, c.rate_limited + c.auth_failed);
	guint bound = 150 + (guint)(150 * (t1 - t0) / G_USEC_PER_SEC) + 1;
	g_assert_cmpuint(got + c.auth_failed, <=, bound);
	g_assert_cmpuint(c.rx, >, bound);
	g_assert_cmpuint(c.rate_limited, >=, c.rx - bound);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (seen->len < 1 && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(ctx, FALSE))
			g_usleep(1000);   /* the bus dispatches on ctx: wait for its source */
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_assert_cmpuint(seen->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(seen, 0), ==, "1");
	bw_bus_unsubscribe(sub);
	g_ptr_array_free(seen, TRUE);
	g_main_context_unref(ctx);
}

/* A burst far above the packet rate (no rate limit here) is relayed as a
 * whole as far as the kernel queued it, and the stream goes on working:
 * under io_uring, many packets per multishot receive. */
static void test_burst(fixture *f, gconstpointer data)
{
	(void)data;
	int big = 4 << 20;
	setsockopt(f->b.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_MANDATORY);
	guint8 buf[2048];
	const guint total = 2000;
	for (guint i = 0; i < total; i++) {
		int len = rtp_build(&f->a, buf, 7);
		send_to(f->a.fd, relay_port(f, 0), buf, len);
	}
	guint got = 0;
	while (recv_from(f->b.fd, buf, sizeof buf, 500) > 0)
		got++;
	bw_relay_counts c = counts(f, 0), c1 = counts(f, 1);
	g_assert_cmpuint(c.rx, <=, total);
	g_assert_cmpuint(c.rx, >, 0);
	g_assert_cmpuint(c.dropped, ==, 0);
	g_assert_cmpuint(c1.tx, ==, c.rx);
	g_assert_cmpuint(got, <=, c1.tx);
	g_assert_cmpuint(got, >, 0);
	a_to_b(f, 9);
	b_to_a(f, 10);
}

/* How many UDP sockets of this process are bound in the relay's range, by
 * ss (other processes may hold ports there: only ours count). */
static guint ss_count(const fixture *f)
{
	g_autofree char *out = NULL;
	g_autoptr(GError) err = NULL;
	if (!g_spawn_command_line_sync("ss -Huanp", &out, NULL, NULL, &err))
		g_error("ss: %s", err->message);
	g_autofree char *me = g_strdup_printf("pid=%d,", (int)getpid());
	guint n = 0;
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		if (!strstr(lines[i], me))
			continue;
		g_auto(GStrv) col = g_strsplit_set(lines[i], " \t", -1);
		for (guint k = 0; col[k]; k++) {
			const char *colon = strrchr(col[k], ':');
			if (!colon || !strstr(col[k], "127.0.0.1"))
				continue;
			guint port = (guint)g_ascii_strtoull(colon + 1, NULL, 10);
			if (port >= f->cfg.port_min && port <= f->cfg.port_max)
				n++;
			break;
		}
	}
	return n;
}

static void test_ports_closed(fixture *f, gconstpointer data)
{
	(void)data;
	g_autofree char *ss = g_find_program_in_path("ss");
	if (!ss) {
		g_test_skip("ss (iproute2) is not installed");
		return;
	}
	g_assert_cmpuint(ss_count(f), ==, 0);
	negotiate(f, SRTPC_AES_CM_128_HMAC_SHA1_80, BW_SRTP_MANDATORY);
	/* leg 0 muxed (RTP only), leg 1 offered a pair */
	g_assert_cmpuint(ss_count(f), ==, 3);
	a_to_b(f, 1);
	bw_anchor_release(f->anchor, f->call);
	g_assert_true(bw_relay_wait_idle(f->relay, 5000));
	g_assert_cmpuint(ss_count(f), ==, 0);
}

/* The io_uring loop is tested where this kernel and build allow it. */
static gboolean uring_available(void)
{
	bw_relay_config cfg = { "127.0.0.1", 20000, 20001, 1, 0, 128, 10 };
	bw_relay_loop_opts loop = { BW_RELAY_IO_URING, 0 };
	g_autoptr(GError) err = NULL;
	bw_relay *r = bw_relay_new_loop(&cfg, &loop, &err);
	if (!r)
		g_test_message("io_uring loop not tested: %s", err->message);
	bw_relay_free(r);
	return r != NULL;
}

static void add_tests(const char *loop, const bw_relay_loop_opts *opts)
{
	static const struct {
		const char *name;
		void (*fn)(fixture *, gconstpointer);
	} tests[] = {
		{ "srtp-srtp", test_srtp_srtp }, { "srtp-rtp", test_srtp_rtp },
		{ "foreign-replay-tamper", test_foreign_replay_tamper },
		{ "reoffer", test_reoffer }, { "latch", test_latch },
		{ "rate-limit-event", test_rate_limit_and_event }, { "burst", test_burst },
		{ "ports-closed", test_ports_closed },
	};
	for (guint i = 0; i < G_N_ELEMENTS(tests); i++) {
		g_autofree char *path = g_strdup_printf("/relay/%s/%s", loop, tests[i].name);
		g_test_add(path, fixture, opts, fx_setup, tests[i].fn, fx_teardown);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(srtp_init(), ==, srtp_err_status_ok);
	static const bw_relay_loop_opts epoll = { BW_RELAY_IO_EPOLL, 0 },
		uring = { BW_RELAY_IO_URING, 0 }, uring_wait = { BW_RELAY_IO_URING, 200 };
	add_tests("epoll", &epoll);
	if (uring_available()) {
		add_tests("io_uring", &uring);
		add_tests("io_uring-batch-wait", &uring_wait);   /* the timed waits */
	}
	int rc = g_test_run();
	srtp_shutdown();
	return rc;
}
