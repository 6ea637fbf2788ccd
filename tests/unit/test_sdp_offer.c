/* Unit tests of module srtp's delayed offer (sdp.h codec lists,
 * sdpanchor.h bw_anchor_originate) over a real relay: the codec list and
 * its payload types, the offer originated for the called leg under each
 * SRTP policy, the offer made to the caller from the called leg's answer,
 * the caller's answer completing the streams and secure flags, refusals
 * with reasons, a new attempt dropping the previous one's ports. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include "sdp.h"
#include "sdpanchor.h"
#include "anchorfix.h"

/* ---- the codec list ---- */

static void test_codecs_default(void)
{
	bw_sdp_codec c[BW_SDP_MAX_CODECS];
	guint n = 0;
	g_assert_cmpint(bw_sdp_codecs_parse(BW_SDP_CODECS_DEFAULT, c, &n, NULL, 0), ==, 0);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpstr(c[0].name, ==, "PCMU");
	g_assert_cmpuint(c[0].pt, ==, 0);
	g_assert_cmpuint(c[1].pt, ==, 8);
	g_assert_cmpuint(c[2].pt, ==, 9);
	g_assert_cmpstr(c[3].name, ==, "telephone-event");
	g_assert_cmpuint(c[3].pt, ==, 101);
	g_autofree char *t = bw_sdp_offer_text(c, n, 42);
	g_assert_nonnull(strstr(t, "m=audio 9 RTP/AVP 0 8 9 101\r\n"));
	g_assert_nonnull(strstr(t, "a=rtpmap:9 G722/8000\r\n"));
	g_assert_nonnull(strstr(t, "a=fmtp:101 0-16\r\n"));
	bw_sdp s;
	g_assert_cmpint(bw_sdp_parse(t, &s, NULL, 0), ==, 0);
	g_assert_cmpuint(s.n_media, ==, 1);
	bw_sdp_clear(&s);
}

static void test_codecs_dynamic(void)
{
	bw_sdp_codec c[BW_SDP_MAX_CODECS];
	guint n = 0;
	char why[256] = "";
	g_assert_cmpint(bw_sdp_codecs_parse("opus/48000/2, PCMA/8000,telephone-event/8000 iLBC/8000",
					    c, &n, why, sizeof why), ==, 0);
	g_assert_cmpuint(n, ==, 4);
	g_assert_cmpuint(c[0].pt, ==, 96);
	g_assert_cmpuint(c[0].channels, ==, 2);
	g_assert_cmpuint(c[1].pt, ==, 8);
	g_assert_cmpuint(c[2].pt, ==, 101);
	g_assert_cmpuint(c[3].pt, ==, 97);
	g_autofree char *t = bw_sdp_offer_text(c, n, 1);
	g_assert_nonnull(strstr(t, "a=rtpmap:96 opus/48000/2\r\n"));
}

static void expect_codecs_bad(const char *list, const char *needle)
{
	bw_sdp_codec c[BW_SDP_MAX_CODECS];
	guint n = 7;
	char why[256] = "";
	g_assert_cmpint(bw_sdp_codecs_parse(list, c, &n, why, sizeof why), ==, EINVAL);
	g_assert_cmpuint(n, ==, 0);
	if (!strstr(why, needle))
		g_error("codecs \"%s\": reason \"%s\" lacks \"%s\"", list, why, needle);
}

static void test_codecs_bad(void)
{
	expect_codecs_bad("PCMU", "not NAME/RATE");
	expect_codecs_bad("PCMU/8k", "not NAME/RATE");
	expect_codecs_bad("PCMU/8000/", "not NAME/RATE");
	expect_codecs_bad("PCMU/800", "not NAME/RATE");
	expect_codecs_bad("PCMU/8000x", "not NAME/RATE");
	expect_codecs_bad("PCMU/1234567", "not NAME/RATE");   /* not read as 123456 */
	expect_codecs_bad("PC;MU/8000", "not NAME/RATE");
	expect_codecs_bad("opus/48000/9", "not NAME/RATE");
	expect_codecs_bad("", "no audio codec");
	expect_codecs_bad("telephone-event/8000", "no audio codec");
	expect_codecs_bad("PCMU/8000 pcmu/8000", "listed twice");
	GString *many = g_string_new(NULL);
	for (guint i = 0; i < BW_SDP_MAX_CODECS + 1; i++)
		g_string_append_printf(many, "c%u/8000 ", i);
	expect_codecs_bad(many->str, "more than");
	g_string_free(many, TRUE);
}

/* ---- the anchor ---- */


static void check_offer(const fixture *f, const char *text, bw_srtp_policy p, bw_sdp *s)
{
	g_assert_cmpint(bw_sdp_parse(text, s, NULL, 0), ==, 0);
	const bw_sdp_media *m = &s->media[0];
	g_assert_cmpuint(s->n_media, ==, 1);
	g_assert_cmpstr(m->addr, ==, "127.0.0.1");
	g_assert_cmpuint(m->port, >=, f->cfg.port_min);
	g_assert_cmpuint(m->port, <=, f->cfg.port_max);
	g_assert_false(port_free(m->port));   /* bound for the call */
	g_assert_true(m->mux);
	g_assert_cmpuint(m->rtcp_port, ==, m->port + 1);
	g_assert_cmpint(m->savp, ==, p == BW_SRTP_MANDATORY);
	g_assert_cmpuint(m->n_crypto, ==, p == BW_SRTP_OFF ? 0 : 4);
	g_assert_null(strstr(text, "0.0.0.0"));
}

/* An answer to `offer` on 127.0.0.1:port with these payload types and,
 * when suite >= 0, the offer's crypto line of that suite with a new key. */
static char *answer_to(const bw_sdp *offer, guint port, const char *fmts, int suite)
{
	GString *a = g_string_new(NULL);
	const bw_sdp_crypto *pick = NULL;
	for (guint i = 0; suite >= 0 && i < offer->media[0].n_crypto; i++)
		if (offer->media[0].crypto[i].suite == (srtpc_suite)suite)
			pick = &offer->media[0].crypto[i];
	g_string_append_printf(a, "v=0\r\no=peer 7 7 IN IP4 127.0.0.1\r\ns=-\r\n"
			       "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %u %s %s\r\n", port,
			       pick && offer->media[0].savp ? "RTP/SAVP" : "RTP/AVP", fmts);
	if (strstr(fmts, "101"))
		g_string_append(a, "a=rtpmap:101 telephone-event/8000\r\n");
	if (pick) {
		guint8 k[BW_SDP_KEY_MAX];
		g_assert_cmpint(srtpc_random_key(pick->suite, k, pick->key_len), ==, 0);
		g_autofree char *b = g_base64_encode(k, pick->key_len);
		g_string_append_printf(a, "a=crypto:%u %s inline:%s\r\n", pick->tag,
				       srtpc_suite_name(pick->suite), b);
	}
	g_string_append(a, "a=sendrecv\r\n");
	return g_string_free(a, FALSE);
}

typedef struct lcase {
	bw_srtp_policy p0, p1;       /* caller, called */
} lcase;

static void run_late(fixture *f, const lcase *lc)
{
	char why[256] = "";
	bw_anchor_policy(f->anchor, "d1", 0, lc->p0);
	bw_anchor_policy(f->anchor, "d1", 1, lc->p1);
	g_autofree char *o1 = bw_anchor_originate(f->anchor, "d1", &f->leg0, "udp:127.0.0.1:5070",
						  why, sizeof why);
	g_assert_nonnull(o1);
	g_assert_nonnull(strstr(o1, " 0 8 9 101\r\n"));
	g_assert_nonnull(strstr(o1, "a=rtpmap:8 PCMA/8000\r\n"));
	bw_sdp s1, s0;
	check_offer(f, o1, lc->p1, &s1);
	/* the called leg keeps PCMA and telephone-event */
	g_autofree char *a1 = answer_to(&s1, 7000, "8 101",
					lc->p1 == BW_SRTP_OFF ? -1 : SRTPC_AES_CM_128_HMAC_SHA1_80);
	g_autofree char *o0 = bw_anchor_answer(f->anchor, "d1", &f->leg1, &f->leg0, a1, why,
					       sizeof why);
	if (!o0)
		g_error("answer of the called leg refused: %s", why);
	check_offer(f, o0, lc->p0, &s0);
	g_assert_nonnull(strstr(o0, " 8 101\r\n"));
	g_assert_null(strstr(o0, " 0 8"));
	g_assert_cmpuint(s0.media[0].port, !=, s1.media[0].port);
	for (guint i = 0; i < s0.media[0].n_crypto; i++)
		for (guint k = 0; k < s1.media[0].n_crypto; k++)
			g_assert_true(memcmp(s0.media[0].crypto[i].key, s1.media[0].crypto[k].key,
					     s0.media[0].crypto[i].key_len) != 0);   /* fresh keys */
	g_assert_cmpint(secure_of(&f->leg0), ==, -1);   /* not before the caller answers */
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 0);
	g_autofree char *a0 = answer_to(&s0, 7100, "8 101",
					lc->p0 == BW_SRTP_OFF ? -1 : SRTPC_AES_CM_128_HMAC_SHA1_32);
	g_autofree char *done = bw_anchor_answer(f->anchor, "d1", &f->leg0, &f->leg1, a0, why,
						 sizeof why);
	if (!done)
		g_error("answer of the calling leg refused: %s", why);
	g_assert_cmpstr(done, ==, "");
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 1);
	g_assert_cmpint(secure_of(&f->leg0), ==, lc->p0 != BW_SRTP_OFF);
	g_assert_cmpint(secure_of(&f->leg1), ==, lc->p1 != BW_SRTP_OFF);
	guint p0 = s0.media[0].port, p1 = s1.media[0].port;
	bw_sdp_clear(&s0);
	bw_sdp_clear(&s1);
	bw_anchor_release(f->anchor, "d1");
	g_assert_true(bw_relay_wait_idle(f->relay, 5000));
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 0);
	g_assert_true(port_free(p0) && port_free(p1));
	secure_forget();
}

static void test_late_policies(fixture *f, gconstpointer data)
{
	(void)data;
	static const lcase cases[] = {
		{ BW_SRTP_MANDATORY, BW_SRTP_MANDATORY }, { BW_SRTP_OFF, BW_SRTP_MANDATORY },
		{ BW_SRTP_MANDATORY, BW_SRTP_OFF }, { BW_SRTP_OPTIONAL, BW_SRTP_OPTIONAL },
		{ BW_SRTP_OFF, BW_SRTP_OFF },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
		run_late(f, &cases[i]);
}

/* Up to our offer to the caller; returns it parsed in s0. */
static void late_to_caller(fixture *f, bw_srtp_policy p0, bw_sdp *s0)
{
	char why[256] = "";
	bw_sdp s1;
	bw_anchor_policy(f->anchor, "d2", 0, p0);
	bw_anchor_policy(f->anchor, "d2", 1, BW_SRTP_OFF);
	g_autofree char *o1 = bw_anchor_originate(f->anchor, "d2", &f->leg0, NULL, why, sizeof why);
	g_assert_nonnull(o1);
	g_assert_cmpint(bw_sdp_parse(o1, &s1, NULL, 0), ==, 0);
	g_autofree char *a1 = answer_to(&s1, 7000, "0", -1);
	g_autofree char *o0 = bw_anchor_answer(f->anchor, "d2", &f->leg1, &f->leg0, a1, why,
					       sizeof why);
	g_assert_nonnull(o0);
	g_assert_cmpint(bw_sdp_parse(o0, s0, NULL, 0), ==, 0);
	bw_sdp_clear(&s1);
}

static void expect_caller_refused(fixture *f, bw_srtp_policy p0, const char *answer,
				  const char *needle)
{
	char why[256] = "";
	bw_sdp s0;
	late_to_caller(f, p0, &s0);
	g_autofree char *a = answer ? g_strdup(answer) : answer_to(&s0, 0, "0", -1);
	g_assert_null(bw_anchor_answer(f->anchor, "d2", &f->leg0, &f->leg1, a, why, sizeof why));
	if (!strstr(why, needle))
		g_error("reason \"%s\" lacks \"%s\"", why, needle);
	g_assert_cmpuint(bw_relay_stream_count(f->relay), ==, 0);
	bw_sdp_clear(&s0);
	bw_anchor_release(f->anchor, "d2");
}

static void test_late_refusals(fixture *f, gconstpointer data)
{
	(void)data;
	char why[256] = "";
	bw_sdp s0;
	/* mandatory caller answering in plain RTP */
	late_to_caller(f, BW_SRTP_MANDATORY, &s0);
	g_autofree char *plain = answer_to(&s0, 7100, "0", -1);
	bw_sdp_clear(&s0);
	bw_anchor_release(f->anchor, "d2");
	expect_caller_refused(f, BW_SRTP_MANDATORY, plain, "SRTP is mandatory on the calling leg");
	/* every section refused (port 0) */
	expect_caller_refused(f, BW_SRTP_OFF, NULL, "refused every media section");
	/* not SDP, and two sections for one */
	expect_caller_refused(f, BW_SRTP_OFF, "hello", "line 1");
	expect_caller_refused(f, BW_SRTP_OFF,
			      "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 7100 RTP/AVP 0\r\n"
			      "m=audio 7102 RTP/AVP 0\r\n", "2 media sections");
	/* the called leg accepting nothing */
	bw_sdp s1;
	g_autofree char *o1 = bw_anchor_originate(f->anchor, "d3", &f->leg0, NULL, why, sizeof why);
	g_assert_cmpint(bw_sdp_parse(o1, &s1, NULL, 0), ==, 0);
	g_autofree char *a1 = answer_to(&s1, 0, "0", -1);
	g_assert_null(bw_anchor_answer(f->anchor, "d3", &f->leg1, &f->leg0, a1, why, sizeof why));
	g_assert_nonnull(strstr(why, "no common codec"));
	/* a mandatory called leg answering without crypto */
	bw_anchor_policy(f->anchor, "d4", 1, BW_SRTP_MANDATORY);
	g_autofree char *o4 = bw_anchor_originate(f->anchor, "d4", &f->leg0, NULL, why, sizeof why);
	g_autofree char *a4 = answer_to(&s1, 7000, "0", -1);
	g_assert_null(bw_anchor_answer(f->anchor, "d4", &f->leg1, &f->leg0, a4, why, sizeof why));
	g_assert_nonnull(strstr(why, "SRTP is mandatory on the called leg"));
	bw_sdp_clear(&s1);
	bw_anchor_release(f->anchor, "d3");
	bw_anchor_release(f->anchor, "d4");
	g_assert_cmpuint(bw_anchor_calls(f->anchor), ==, 0);
}

/* A new outbound attempt (trunk fallback, forward) drops the ports of the
 * previous one; a configured codec list is what is offered. */
static void test_late_attempts(fixture *f, gconstpointer data)
{
	(void)data;
	char why[256] = "";
	bw_sdp s1;
	g_assert_cmpint(bw_anchor_set_codecs(f->anchor, "G722/8000 PCMA/8000", why, sizeof why),
			==, 0);
	g_assert_cmpint(bw_anchor_set_codecs(f->anchor, "bogus", why, sizeof why), ==, EINVAL);
	g_autofree char *first = bw_anchor_originate(f->anchor, "d5", &f->leg0, NULL, why,
						     sizeof why);
	g_assert_cmpint(bw_sdp_parse(first, &s1, NULL, 0), ==, 0);
	guint port = s1.media[0].port;
	bw_sdp_clear(&s1);
	g_assert_nonnull(strstr(first, "RTP/SAVP 9 8\r\n"));
	g_assert_null(strstr(first, "telephone-event"));
	g_autofree char *second = bw_anchor_originate(f->anchor, "d5", &f->leg0, NULL, why,
						      sizeof why);
	g_assert_nonnull(second);
	g_assert_true(port_free(port));
	bw_anchor_release(f->anchor, "d5");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sdp-offer/codecs/default", test_codecs_default);
	g_test_add_func("/sdp-offer/codecs/dynamic", test_codecs_dynamic);
	g_test_add_func("/sdp-offer/codecs/bad", test_codecs_bad);
	g_test_add("/sdp-offer/anchor/policies", fixture, NULL, fx_setup, test_late_policies,
		   fx_teardown);
	g_test_add("/sdp-offer/anchor/refusals", fixture, NULL, fx_setup, test_late_refusals,
		   fx_teardown);
	g_test_add("/sdp-offer/anchor/attempts", fixture, NULL, fx_setup, test_late_attempts,
		   fx_teardown);
	return g_test_run();
}
