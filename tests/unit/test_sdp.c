/* Unit tests of module srtp's SDP reader/writer (sdp.h) and of the media
 * anchor (sdpanchor.h) over a real relay: offers and answers for each SRTP
 * policy and suite, 488 refusals with reasons, rtcp-mux and separate RTCP,
 * fresh keys per leg, bad input, ports closed on release. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "sdp.h"
#include "sdpanchor.h"
#include "anchorfix.h"

#define KEY80 "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"   /* 30 bytes */

#define OFFER_FMT \
	"v=0\r\n" \
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n" \
	"s=-\r\n" \
	"c=IN IP4 127.0.0.1\r\n" \
	"t=0 0\r\n" \
	"m=audio %u %s 0 8 101\r\n" \
	"a=rtpmap:101 telephone-event/8000\r\n" \
	"a=ptime:20\r\n" \
	"%s" \
	"a=sendrecv\r\n"

static char *offer(guint port, const char *proto, const char *extra)
{
	return g_strdup_printf(OFFER_FMT, port, proto, extra);
}

static char *crypto_line(guint tag, srtpc_suite s)
{
	guint8 k[BW_SDP_KEY_MAX];
	gsize n = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	g_assert_cmpint(srtpc_random_key(s, k, n), ==, 0);
	g_autofree char *b = g_base64_encode(k, n);
	return g_strdup_printf("a=crypto:%u %s inline:%s\r\n", tag, srtpc_suite_name(s), b);
}

/* ---- the reader ---- */

static void test_parse_ok(void)
{
	g_autofree char *cl = crypto_line(7, SRTPC_AES_CM_128_HMAC_SHA1_32);
	g_autofree char *extra = g_strconcat("a=rtcp:5003 IN IP4 127.0.0.2\r\n", cl,
					     "a=crypto:9 F8_128_HMAC_SHA1_80 inline:" KEY80 "\r\n", NULL);
	g_autofree char *o = offer(5002, "RTP/SAVP", extra);
	bw_sdp s;
	char why[256] = "";
	g_assert_cmpint(bw_sdp_parse(o, &s, why, sizeof why), ==, 0);
	g_assert_cmpuint(s.n_media, ==, 1);
	const bw_sdp_media *m = &s.media[0];
	g_assert_cmpstr(m->type, ==, "audio");
	g_assert_cmpuint(m->port, ==, 5002);
	g_assert_true(m->rtp && m->savp && !m->avpf && !m->mux);
	g_assert_cmpstr(m->addr, ==, "127.0.0.1");
	g_assert_cmpuint(m->rtcp_port, ==, 5003);
	g_assert_cmpstr(m->rtcp_addr, ==, "127.0.0.2");
	g_assert_cmpuint(m->ptime, ==, 20);
	g_assert_cmpuint(m->n_crypto_lines, ==, 2);
	g_assert_cmpuint(m->n_crypto, ==, 1);     /* F8 is not supported */
	g_assert_cmpuint(m->crypto[0].tag, ==, 7);
	g_assert_cmpint(m->crypto[0].suite, ==, SRTPC_AES_CM_128_HMAC_SHA1_32);
	g_assert_cmpuint(m->crypto[0].key_len, ==, 30);
	bw_sdp_clear(&s);
}

static void test_parse_unusable_crypto(void)
{
	static const char *const lines[] = {
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^20|1:4\r\n",   /* MKI */
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:QUJD\r\n",                 /* short */
		"a=crypto:1 AEAD_AES_256_GCM inline:" KEY80 "\r\n",                   /* 30 != 44 */
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 " UNENCRYPTED_SRTP\r\n",
		"a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n",
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:*VNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	};
	for (guint i = 0; i < G_N_ELEMENTS(lines); i++) {
		g_autofree char *o = offer(5002, "RTP/SAVP", lines[i]);
		bw_sdp s;
		g_assert_cmpint(bw_sdp_parse(o, &s, NULL, 0), ==, 0);
		g_assert_cmpuint(s.media[0].n_crypto_lines, ==, 1);
		g_assert_cmpuint(s.media[0].n_crypto, ==, 0);
		bw_sdp_clear(&s);
	}
	/* a lifetime alone is fine */
	g_autofree char *o = offer(5002, "RTP/SAVP",
		"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "|2^31\r\n");
	bw_sdp s;
	g_assert_cmpint(bw_sdp_parse(o, &s, NULL, 0), ==, 0);
	g_assert_cmpuint(s.media[0].n_crypto, ==, 1);
	bw_sdp_clear(&s);
}

static void expect_bad(const char *text, const char *needle)
{
	bw_sdp s;
	char why[256] = "";
	g_assert_cmpint(bw_sdp_parse(text, &s, why, sizeof why), ==, EINVAL);
	bw_sdp_clear(&s);
	if (!strstr(why, needle))
		g_error("reason \"%s\" lacks \"%s\"", why, needle);
}

static void test_parse_bad(void)
{
	expect_bad("", "empty");
	expect_bad("v=1\r\nm=audio 1 RTP/AVP 0\r\n", "v=0");
	expect_bad("v=0\r\nno equals\r\n", "line 2");
	expect_bad("v=0\r\nc=IN IP4 1.2.3.4\r\n", "no media");
	expect_bad("v=0\r\nm=audio 5000 RTP/AVP 0\r\n", "no connection address");
	expect_bad("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", "line 3: m=");
	expect_bad("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP\r\n", "line 3: m=");
	expect_bad("v=0\r\nc=IN IPX 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\n", "line 2: c=");
	expect_bad("v=0\r\nc=IN IP4 224.2.1.1/127\r\nm=audio 5000 RTP/AVP 0\r\n", "line 2: c=");
	expect_bad("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\na=rtcp:0\r\n", "a=rtcp");
	expect_bad("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5000 RTP/AVP 0\r\na=ptime:x\r\n", "a=ptime");
	expect_bad("v=0\r\ns=\x01\r\n", "control character");
	GString *g = g_string_new("v=0\r\nc=IN IP4 1.2.3.4\r\n");
	for (guint i = 0; i < BW_SDP_MAX_MEDIA + 1; i++)
		g_string_append(g, "m=audio 5000 RTP/AVP 0\r\n");
	expect_bad(g->str, "media sections");
	g_string_assign(g, "v=0\r\n");
	for (guint i = 0; i < BW_SDP_MAX_LINES; i++)
		g_string_append(g, "a=x\r\n");
	expect_bad(g->str, "lines");
	g_string_assign(g, "v=0\r\n");
	while (g->len <= BW_SDP_MAX_BYTES)
		g_string_append(g, "a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n");
	expect_bad(g->str, "larger than");
	g_string_free(g, TRUE);
}

static void test_write(void)
{
	g_autofree char *o = offer(5002, "RTP/AVPF",
		"a=rtcp-mux\r\na=candidate:1 1 UDP 1 10.0.0.1 5 typ host\r\na=ice-ufrag:x\r\n"
		"a=fingerprint:sha-256 AA\r\n");
	bw_sdp s;
	g_assert_cmpint(bw_sdp_parse(o, &s, NULL, 0), ==, 0);
	bw_sdp_crypto c = { .tag = 2, .suite = SRTPC_AEAD_AES_128_GCM, .key_len = 28 };
	bw_sdp_out w = { 40000, 40001, TRUE, TRUE, &c, 1 };
	g_autofree char *out = bw_sdp_write(&s, "198.51.100.1", &w);
	g_assert_nonnull(strstr(out, "o=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\n"));
	g_assert_nonnull(strstr(out, "c=IN IP4 198.51.100.1\r\n"));
	g_assert_nonnull(strstr(out, "m=audio 40000 RTP/SAVPF 0 8 101\r\n"));
	g_assert_nonnull(strstr(out, "a=rtcp:40001 IN IP4 198.51.100.1\r\n"));
	g_assert_nonnull(strstr(out, "a=rtcp-mux\r\n"));
	g_assert_nonnull(strstr(out, "a=crypto:2 AEAD_AES_128_GCM inline:"));
	g_assert_nonnull(strstr(out, "a=rtpmap:101 telephone-event/8000\r\n"));
	g_assert_null(strstr(out, "192.0.2.10"));
	g_assert_null(strstr(out, "127.0.0.1"));
	g_assert_null(strstr(out, "candidate"));
	g_assert_null(strstr(out, "ice-"));
	g_assert_null(strstr(out, "fingerprint"));
	/* and it reads back */
	bw_sdp r;
	g_assert_cmpint(bw_sdp_parse(out, &r, NULL, 0), ==, 0);
	g_assert_cmpuint(r.media[0].n_crypto, ==, 1);
	g_assert_true(r.media[0].savp && r.media[0].avpf && r.media[0].mux);
	bw_sdp_clear(&r);
	bw_sdp_clear(&s);
}

/* ---- the anchor ---- */


static void check_in_range(const fixture *f, const bw_sdp_media *m)
{
	g_assert_cmpuint(m->port, >=, f->cfg.port_min);
	g_assert_cmpuint(m->port, <=, f->cfg.port_max);
	g_assert_cmpuint(m->port % 2, ==, 0);
	g_assert_false(port_free(m->port));   /* bound for the call */
}

static gboolean key_in(const char *sdp, const bw_sdp_crypto *c)
{
	g_autofree char *b = g_base64_encode(c->key, c->key_len);
	return strstr(sdp, b) != NULL;
}

typedef struct pcase {
	bw_srtp_policy p0, p1;
	srtpc_suite suite;
} pcase;

/* leg 0 offers SRTP with `suite` (mandatory/optional) or plain RTP (off);
 * leg 1 answers with the same suite when its policy allows. */
static void run_case(fixture *f, const pcase *pc)
{
	char why[256] = "";
	bw_anchor_policy(f->anchor, "c1", 0, pc->p0);
	bw_anchor_policy(f->anchor, "c1", 1, pc->p1);
	g_autofree char *cl = crypto_line(5, pc->suite);
	gboolean srtp0 = pc->p0 != BW_SRTP_OFF;
	g_autofree char *extra = g_strconcat("a=rtcp-mux\r\n", srtp0 ? cl : "", NULL);
	g_autofree char *o = offer(6000, srtp0 ? "RTP/SAVP" : "RTP/AVP", extra);
	g_autofree char *o2 = bw_anchor_offer(f->anchor, "c1", &f->leg0, NULL, o, why, sizeof why);
	g_assert_nonnull(o2);
	bw_sdp s1, a0;
	g_assert_cmpint(bw_sdp_parse(o2, &s1, NULL, 0), ==, 0);
	check_in_range(f, &s1.media[0]);
	g_assert_cmpstr(s1.media[0].addr, ==, "127.0.0.1");
	g_assert_true(s1.media[0].mux);
	g_assert_cmpuint(s1.media[0].rtcp_port, ==, s1.media[0].port + 1);
	g_assert_cmpint(s1.media[0].savp, ==, pc->p1 == BW_SRTP_MANDATORY);
	g_assert_cmpuint(s1.media[0].n_crypto, ==, pc->p1 == BW_SRTP_OFF ? 0 : 4);
	const bw_sdp_crypto *pick = NULL;
	for (guint i = 0; i < s1.media[0].n_crypto; i++) {
		g_assert_false(key_in(o, &s1.media[0].crypto[i]));
		if (s1.media[0].crypto[i].suite == pc->suite)
			pick = &s1.media[0].crypto[i];
	}
	g_assert_true(pc->p1 == BW_SRTP_OFF || pick);
	/* leg 1 answers */
	g_autofree char *acl = pick ? crypto_line(pick->tag, pc->suite) : g_strdup("");
	g_autofree char *ans = offer(7000, pick && s1.media[0].savp ? "RTP/SAVP" : "RTP/AVP", acl);
	g_autofree char *a2 = bw_anchor_answer(f->anchor, "c1", &f->leg1, &f->leg0, ans, why,
					       sizeof why);
	g_assert_nonnull(a2);
	g_assert_cmpint(bw_sdp_parse(a2, &a0, NULL, 0), ==, 0);
	check_in_range(f, &a0.media[0]);
	g_assert_cmpuint(a0.media[0].port, !=, s1.media[0].port);
	g_assert_true(a0.media[0].mux);
	g_assert_cmpuint(a0.media[0].n_crypto, ==, srtp0 ? 1 : 0);
	if (srtp0) {
		g_assert_cmpint(a0.media[0].crypto[0].suite, ==, pc->suite);
		g_assert_cmpuint(a0.media[0].crypto[0].tag, ==, 5);
		g_assert_false(key_in(o, &a0.media[0].crypto[0]));
		g_assert_false(key_in(ans, &a0.media[0].crypto[0]));
		g_assert_false(key_in(o2, &a0.media[0].crypto[0]));
	}
	g_assert_cmpint(a0.media[0].savp, ==, srtp0);
	g_assert_cmpint(secure_of(&f->leg0), ==, srtp0);
	g_assert_cmpint(secure_of(&f->leg1), ==, pick != NULL);
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 1);
	guint p0 = a0.media[0].port, p1 = s1.media[0].port;
	bw_sdp_clear(&s1);
	bw_sdp_clear(&a0);
	bw_anchor_release(f->anchor, "c1");
	g_assert_true(bw_relay_wait_idle(f->relay, 5000));
	g_assert_true(port_free(p0) && port_free(p1) && port_free(p1 + 1));
	g_assert_cmpuint(bw_anchor_calls(f->anchor), ==, 0);
}

static void test_policies(fixture *f, gconstpointer data)
{
	(void)data;
	static const srtpc_suite suites[] = { SRTPC_AES_CM_128_HMAC_SHA1_80,
		SRTPC_AES_CM_128_HMAC_SHA1_32, SRTPC_AEAD_AES_128_GCM, SRTPC_AEAD_AES_256_GCM };
	for (guint s = 0; s < G_N_ELEMENTS(suites); s++)
		for (int p0 = 0; p0 <= BW_SRTP_OFF; p0++)
			for (int p1 = 0; p1 <= BW_SRTP_OFF; p1++) {
				pcase pc = { p0, p1, suites[s] };
				run_case(f, &pc);
			}
}

static void expect_refused(fixture *f, bw_srtp_policy p0, const char *proto, const char *extra,
			   const char *needle)
{
	char why[256] = "";
	bw_anchor_policy(f->anchor, "c2", 0, p0);
	g_autofree char *o = offer(6000, proto, extra);
	g_autofree char *r = bw_anchor_offer(f->anchor, "c2", &f->leg0, NULL, o, why, sizeof why);
	if (r)
		g_error("accepted (wanted \"%s\"): %s", needle, r);
	if (!strstr(why, needle))
		g_error("reason \"%s\" lacks \"%s\"", why, needle);
	bw_anchor_release(f->anchor, "c2");
}

static void test_refusals(fixture *f, gconstpointer data)
{
	(void)data;
	expect_refused(f, BW_SRTP_MANDATORY, "RTP/AVP", "", "SRTP is mandatory on the calling leg");
	expect_refused(f, BW_SRTP_MANDATORY, "RTP/SAVP",
		       "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY80 "\r\n", "no usable a=crypto (1 line");
	expect_refused(f, BW_SRTP_OFF, "RTP/SAVP",
		       "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n", "SRTP is off");
	expect_refused(f, BW_SRTP_OPTIONAL, "RTP/SAVP", "", "without usable a=crypto");
	expect_refused(f, BW_SRTP_OPTIONAL, "TCP/MSRP", "", "no RTP media");
	expect_refused(f, BW_SRTP_OPTIONAL, "RTP/AVP", "c=IN IP4 pbx.example\r\n", "numeric");
	/* nothing stays bound after refusals */
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 0);
}

static void test_answer_refusals(fixture *f, gconstpointer data)
{
	(void)data;
	char why[256] = "";
	bw_anchor_policy(f->anchor, "c3", 0, BW_SRTP_OPTIONAL);
	bw_anchor_policy(f->anchor, "c3", 1, BW_SRTP_MANDATORY);
	g_autofree char *o = offer(6000, "RTP/AVP", "");
	g_autofree char *o2 = bw_anchor_offer(f->anchor, "c3", &f->leg0, NULL, o, why, sizeof why);
	g_assert_nonnull(o2);
	g_autofree char *plain = offer(7000, "RTP/AVP", "");
	g_assert_null(bw_anchor_answer(f->anchor, "c3", &f->leg1, &f->leg0, plain, why, sizeof why));
	g_assert_nonnull(strstr(why, "SRTP is mandatory on the called leg"));
	g_autofree char *wrong = offer(7000, "RTP/SAVP",
		"a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" KEY80 "\r\n");
	g_assert_null(bw_anchor_answer(f->anchor, "c3", &f->leg1, &f->leg0, wrong, why, sizeof why));
	g_assert_nonnull(strstr(why, "matches no offered tag"));
	g_autofree char *two = g_strconcat(plain, "m=video 7002 RTP/AVP 96\r\n", NULL);
	g_assert_null(bw_anchor_answer(f->anchor, "c3", &f->leg1, &f->leg0, two, why, sizeof why));
	g_assert_nonnull(strstr(why, "2 media sections, the offer 1"));
	g_assert_null(bw_anchor_answer(f->anchor, "nope", &f->leg1, &f->leg0, plain, why, sizeof why));
	g_assert_nonnull(strstr(why, "without an offer"));
	int stranger;
	g_assert_null(bw_anchor_answer(f->anchor, "c3", &stranger, &f->leg1, plain, why, sizeof why));
	bw_anchor_release(f->anchor, "c3");
	g_assert_true(bw_relay_wait_idle(f->relay, 5000));
}

/* Separate RTCP on leg 0, a re-offer from leg 1 keeping ports and keys,
 * a 183 then 200 keeping leg 0's key. */
static void test_rtcp_and_reoffer(fixture *f, gconstpointer data)
{
	(void)data;
	char why[256] = "";
	bw_anchor_policy(f->anchor, "c4", 0, BW_SRTP_MANDATORY);
	bw_anchor_policy(f->anchor, "c4", 1, BW_SRTP_MANDATORY);
	g_autofree char *cl = crypto_line(1, SRTPC_AES_CM_128_HMAC_SHA1_80);
	g_autofree char *o = offer(6000, "RTP/SAVP", cl);
	g_autofree char *o2 = bw_anchor_offer(f->anchor, "c4", &f->leg0, NULL, o, why, sizeof why);
	g_assert_nonnull(o2);
	bw_sdp s1;
	g_assert_cmpint(bw_sdp_parse(o2, &s1, NULL, 0), ==, 0);
	g_autofree char *acl = crypto_line(1, SRTPC_AES_CM_128_HMAC_SHA1_80);
	g_autofree char *ans = offer(7000, "RTP/SAVP", acl);
	g_autofree char *a183 = bw_anchor_answer(f->anchor, "c4", &f->leg1, &f->leg0, ans, why, sizeof why);
	g_autofree char *a200 = bw_anchor_answer(f->anchor, "c4", &f->leg1, &f->leg0, ans, why, sizeof why);
	g_assert_nonnull(a183);
	g_assert_cmpstr(a183, ==, a200);
	bw_sdp a0;
	g_assert_cmpint(bw_sdp_parse(a200, &a0, NULL, 0), ==, 0);
	g_assert_false(a0.media[0].mux);
	g_assert_cmpuint(a0.media[0].rtcp_port, ==, a0.media[0].port + 1);
	g_assert_false(port_free(a0.media[0].port + 1));
	/* leg 1 re-offers (hold): leg 0 sees the same port and its offer again */
	g_autofree char *hold = offer(7000, "RTP/SAVP", acl);
	g_autofree char *h2 = bw_anchor_offer(f->anchor, "c4", &f->leg1, &f->leg0, hold, why, sizeof why);
	g_assert_nonnull(h2);
	bw_sdp h;
	g_assert_cmpint(bw_sdp_parse(h2, &h, NULL, 0), ==, 0);
	g_assert_cmpuint(h.media[0].port, ==, a0.media[0].port);
	g_autofree char *cl2 = crypto_line(h.media[0].crypto[0].tag, h.media[0].crypto[0].suite);
	g_autofree char *hans = offer(6000, "RTP/SAVP", cl2);
	g_autofree char *h3 = bw_anchor_answer(f->anchor, "c4", &f->leg0, &f->leg1, hans, why, sizeof why);
	g_assert_nonnull(h3);
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 1);
	bw_sdp_clear(&h);
	bw_sdp_clear(&a0);
	bw_sdp_clear(&s1);
	bw_anchor_release(f->anchor, "c4");
	g_assert_true(bw_relay_wait_idle(f->relay, 5000));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp/parse/ok", test_parse_ok);
	g_test_add_func("/sdp/parse/unusable-crypto", test_parse_unusable_crypto);
	g_test_add_func("/sdp/parse/bad", test_parse_bad);
	g_test_add_func("/sdp/write", test_write);
	g_test_add("/sdp/anchor/policies", fixture, NULL, fx_setup, test_policies, fx_teardown);
	g_test_add("/sdp/anchor/refusals", fixture, NULL, fx_setup, test_refusals, fx_teardown);
	g_test_add("/sdp/anchor/answer-refusals", fixture, NULL, fx_setup, test_answer_refusals,
		   fx_teardown);
	g_test_add("/sdp/anchor/rtcp-reoffer", fixture, NULL, fx_setup, test_rtcp_and_reoffer,
		   fx_teardown);
	return g_test_run();
}
