/* Pure helpers of the sip calls part: SDP direction answers (hold and
 * resume), client digest from a stored HA1 (RFC 2617 and RFC 7616
 * vectors), trunk records and CIDR matching. */
#include <string.h>
#include <arpa/inet.h>
#include <glib.h>
#include "../../modules/sip/calls.h"

static const char *sdp_offer =
	"v=0\r\no=- 100 7 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
	"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
	"m=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

static void test_sdp_direction(void)
{
	g_assert_cmpint(sip_sdp_direction(sdp_offer), ==, SIP_DIR_SENDRECV);
	g_assert_cmpint(sip_sdp_direction("v=0\r\na=sendonly\r\n"), ==, SIP_DIR_SENDONLY);
	g_assert_cmpint(sip_sdp_direction("v=0\na=inactive\n"), ==, SIP_DIR_INACTIVE);
	g_assert_cmpint(sip_sdp_direction("v=0\r\na=sendonlyx\r\n"), ==, SIP_DIR_SENDRECV);
	g_assert_cmpint(sip_sdp_dir_answer(SIP_DIR_SENDONLY), ==, SIP_DIR_RECVONLY);
	g_assert_cmpint(sip_sdp_dir_answer(SIP_DIR_RECVONLY), ==, SIP_DIR_SENDONLY);
	g_assert_cmpint(sip_sdp_dir_answer(SIP_DIR_INACTIVE), ==, SIP_DIR_INACTIVE);
	g_assert_cmpint(sip_sdp_dir_answer(SIP_DIR_SENDRECV), ==, SIP_DIR_SENDRECV);
}

static void test_sdp_hold_answer(void)
{
	g_autofree char *held = sip_sdp_with_direction(sdp_offer, SIP_DIR_RECVONLY);
	g_autofree char *again = NULL;

	g_assert_nonnull(held);
	/* version raised, one direction per media section, at its end */
	g_assert_nonnull(strstr(held, "o=- 100 8 IN IP4 192.0.2.1\r\n"));
	g_assert_null(strstr(held, "a=sendrecv"));
	g_assert_nonnull(strstr(held, "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\nm=video"));
	g_assert_true(g_str_has_suffix(held, "a=rtpmap:96 H264/90000\r\na=recvonly\r\n"));
	g_assert_nonnull(strstr(held, "c=IN IP4 192.0.2.1\r\n"));
	again = sip_sdp_with_direction(held, SIP_DIR_SENDRECV);
	g_assert_nonnull(strstr(again, "o=- 100 9 IN"));
	g_assert_null(strstr(again, "recvonly"));
	g_assert_null(sip_sdp_with_direction("not sdp", SIP_DIR_INACTIVE));
	g_assert_null(sip_sdp_with_direction(NULL, SIP_DIR_INACTIVE));
}

/* RFC 2617 3.5: Mufasa / Circle Of Life at testrealm@host.com. */
static void test_digest_md5(void)
{
	sip_digest_chall c = {
		.realm = g_strdup("testrealm@host.com"),
		.nonce = g_strdup("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
		.opaque = g_strdup("5ccc069c403ebaf9f0171e9517f40e41"),
		.qop = g_strdup("auth,auth-int"),
	};
	g_autofree char *ha1 = g_compute_checksum_for_string(G_CHECKSUM_MD5,
		"Mufasa:testrealm@host.com:Circle Of Life", -1);
	g_autofree char *h = sip_digest_response(&c, false, "Mufasa", ha1, "GET", "/dir/index.html",
						 "0a4f113b", 1);

	g_assert_nonnull(h);
	g_assert_nonnull(strstr(h, "response=\"6629fae49393a05397450978507c4ef1\""));
	g_assert_nonnull(strstr(h, "nc=00000001"));
	g_assert_nonnull(strstr(h, "qop=auth,"));
	g_assert_nonnull(strstr(h, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
	g_assert_nonnull(strstr(h, "algorithm=MD5"));
	/* auth-int only: refused rather than answered wrongly */
	g_free(c.qop);
	c.qop = g_strdup("auth-int");
	g_assert_null(sip_digest_response(&c, false, "Mufasa", ha1, "GET", "/", "x", 1));
	sip_digest_chall_clear(&c);
	g_assert_null(c.realm);
}

/* RFC 7616 3.9.1: SHA-256, Mufasa / Circle of Life at http-auth@example.org. */
static void test_digest_sha256(void)
{
	sip_digest_chall c = {
		.realm = g_strdup("http-auth@example.org"),
		.nonce = g_strdup("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
		.opaque = g_strdup("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"),
		.qop = g_strdup("auth"),
	};
	g_autofree char *ha1 = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
		"Mufasa:http-auth@example.org:Circle of Life", -1);
	g_autofree char *h = sip_digest_response(&c, true, "Mufasa", ha1, "GET", "/dir/index.html",
						 "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1);

	g_assert_nonnull(strstr(h,
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
	g_assert_nonnull(strstr(h, "algorithm=SHA-256"));
	sip_digest_chall_clear(&c);
}

static void test_digest_no_qop(void)
{
	sip_digest_chall c = { .realm = g_strdup("r"), .nonce = g_strdup("n") };
	g_autofree char *h = sip_digest_response(&c, false, "u", "00", "REGISTER", "sip:x", "c", 1);
	g_autofree char *ha2 = g_compute_checksum_for_string(G_CHECKSUM_MD5, "REGISTER:sip:x", -1);
	g_autofree char *src = g_strdup_printf("00:n:%s", ha2);
	g_autofree char *want = g_compute_checksum_for_string(G_CHECKSUM_MD5, src, -1);

	g_assert_nonnull(strstr(h, want));
	g_assert_null(strstr(h, "qop"));
	g_assert_null(strstr(h, "cnonce"));
	sip_digest_chall_clear(&c);
}

static sip_trunk_cfg *parse(const char *json, GError **err)
{
	return sip_trunk_cfg_parse("t1", json, strlen(json), err);
}

static void test_trunk_cfg(void)
{
	g_autoptr(GError) err = NULL;
	sip_trunk_cfg *c = parse("{\"driver\":\"sip\",\"mode\":\"register\","
		"\"proxy\":\"sip:provider.example.org:5061;transport=tls\",\"username\":\"acme\","
		"\"ha1_md5\":\"0123\",\"transport\":\"tls\",\"expires\":30,\"ca_file\":\"/ca.pem\"}",
		&err);
	g_autofree char *host = NULL;

	g_assert_no_error(err);
	g_assert_cmpint(c->mode, ==, TRUNK_REGISTER);
	g_assert_true(c->verify);            /* default on */
	g_assert_false(c->allow_direct_extensions);
	g_assert_cmpuint(c->expires, ==, 60); /* clamped */
	g_assert_cmpstr(c->domain, ==, "provider.example.org");
	host = sip_trunk_cfg_host(c);
	g_assert_cmpstr(host, ==, "provider.example.org");
	sip_trunk_cfg_free(c);

	c = parse("{\"mode\":\"peer\",\"proxy\":\"sip:[2001:db8::5]:5060\",\"address\":\"2001:db8::/32\","
		  "\"verify\":false}", &err);
	g_assert_no_error(err);
	g_assert_cmpint(c->mode, ==, TRUNK_PEER);
	g_assert_cmpstr(c->domain, ==, "2001:db8::5");
	g_assert_cmpstr(c->transport, ==, "udp");
	sip_trunk_cfg_free(c);
}

static void test_trunk_cfg_errors(void)
{
	static const struct { const char *json, *needle; } bad[] = {
		{ "[1]", "not a JSON object" },
		{ "{\"proxy\":\"http://x\",\"username\":\"u\",\"ha1_md5\":\"1\"}", "\"proxy\"" },
		{ "{\"proxy\":\"sip:x\"}", "\"username\"" },
		{ "{\"proxy\":\"sip:x\",\"mode\":\"peer\",\"address\":\"nope\"}", "\"address\"" },
		{ "{\"proxy\":\"sip:x\",\"mode\":\"sideways\"}", "mode \"sideways\"" },
		{ "{\"proxy\":\"sip:x\",\"username\":\"a\\\"b\",\"ha1_md5\":\"1\"}", "\"username\"" },
		{ "{\"proxy\":\"sip:x\",\"username\":\"a\\r\\nX: y\",\"ha1_md5\":\"1\"}", "\"username\"" },
		{ "{\"proxy\":\"sip:x\",\"username\":\"u\",\"ha1_md5\":\"1\",\"transport\":\"sctp\"}", "sctp" },
		{ "{\"proxy\":\"sip:x\",\"username\":\"u\",\"ha1_md5\":\"1\",\"verify\":\"yes\"}", "\"verify\"" },
		{ "{\"proxy\":\"sip:x\",\"username\":\"u\",\"ha1_md5\":\"1\",\"srtp\":\"always\"}", "srtp" },
		{ "{\"proxy\":5}", "\"proxy\" must be a string" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) err = NULL;

		g_assert_null(parse(bad[i].json, &err));
		g_assert_nonnull(err);
		g_assert_true(g_str_has_prefix(err->message, "trunk/t1: "));
		if (!strstr(err->message, bad[i].needle))
			g_error("case %u: \"%s\" lacks \"%s\"", i, err->message, bad[i].needle);
	}
	{
		g_autoptr(GError) err = NULL;

		g_assert_null(parse("{\"driver\":\"minet\",\"proxy\":\"sip:x\"}", &err));
		g_assert_cmpint(err->code, ==, 2);   /* not ours: skipped quietly */
	}
}

static void test_cidr(void)
{
	sip_trunk_cidr c;
	guint8 a[16];

	g_assert_true(sip_trunk_cidr_parse("192.0.2.0/24", &c));
	inet_pton(AF_INET, "192.0.2.77", a);
	g_assert_true(sip_trunk_cidr_match(&c, AF_INET, a));
	inet_pton(AF_INET, "192.0.3.1", a);
	g_assert_false(sip_trunk_cidr_match(&c, AF_INET, a));
	g_assert_true(sip_trunk_cidr_parse("10.0.0.1", &c));
	g_assert_cmpuint(c.bits, ==, 32);
	inet_pton(AF_INET, "10.0.0.1", a);
	g_assert_true(sip_trunk_cidr_match(&c, AF_INET, a));
	g_assert_false(sip_trunk_cidr_match(&c, AF_INET6, a));
	g_assert_true(sip_trunk_cidr_parse("2001:db8::/29", &c));
	inet_pton(AF_INET6, "2001:dbf::1", a);
	g_assert_true(sip_trunk_cidr_match(&c, AF_INET6, a));
	inet_pton(AF_INET6, "2001:dc0::1", a);
	g_assert_false(sip_trunk_cidr_match(&c, AF_INET6, a));
	g_assert_false(sip_trunk_cidr_parse("10.0.0.0/33", &c));
	g_assert_false(sip_trunk_cidr_parse("10.0.0.0/", &c));
	g_assert_false(sip_trunk_cidr_parse("10.0.0.0/8x", &c));
	g_assert_false(sip_trunk_cidr_parse("example.org", &c));
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sip-calls/sdp/direction", test_sdp_direction);
	g_test_add_func("/sip-calls/sdp/hold-answer", test_sdp_hold_answer);
	g_test_add_func("/sip-calls/digest/md5-rfc2617", test_digest_md5);
	g_test_add_func("/sip-calls/digest/sha256-rfc7616", test_digest_sha256);
	g_test_add_func("/sip-calls/digest/no-qop", test_digest_no_qop);
	g_test_add_func("/sip-calls/trunk/cfg", test_trunk_cfg);
	g_test_add_func("/sip-calls/trunk/cfg-errors", test_trunk_cfg_errors);
	g_test_add_func("/sip-calls/trunk/cidr", test_cidr);
	return g_test_run();
}
