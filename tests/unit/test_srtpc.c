/* Unit tests of srtpc (modules/srtp/srtpc*.c): RFC 3711 B.2/B.3 and RFC 7714
 * 16/17 vectors through the packet and key paths, byte-for-byte interop
 * with Debian's libsrtp2 for the four suites (RTP and RTCP, CSRCs, header
 * extensions, ROC rollover), replay windows, tampering, key-usage limits,
 * malformed and truncated packets. */
#include <string.h>
#include <glib.h>
#include <srtp2/srtp.h>
#include "srtpc.h"
#include "srtpc-test.h"

#define BUF 1600

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; *h; h++) {
		if (!g_ascii_isxdigit(*h))
			continue;
		g_assert_cmpuint(n / 2, <, cap);
		int v = g_ascii_xdigit_value(*h);
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	g_assert_cmpuint(n % 2, ==, 0);
	return n / 2;
}

static void assert_hex(const uint8_t *got, size_t len, const char *want)
{
	uint8_t w[BUF];
	size_t wl = unhex(want, w, sizeof(w));
	g_assert_cmpmem(got, len, w, wl);
}

/* ---- vectors ------------------------------------------------------------ */

static void test_rfc3711_b3_kdf(void)
{
	uint8_t key[16], salt[14], out[20];
	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", key, sizeof(key));
	unhex("0EC675AD498AFEEBB6960B3AABE6", salt, sizeof(salt));
	g_assert_cmpint(srtpc_test_kdf(key, 16, salt, 14, 0, out, 16), ==, 0);
	assert_hex(out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
	g_assert_cmpint(srtpc_test_kdf(key, 16, salt, 14, 2, out, 14), ==, 0);
	assert_hex(out, 14, "30CBBC08863D8C85D49DB34A9AE1");
	g_assert_cmpint(srtpc_test_kdf(key, 16, salt, 14, 1, out, 20), ==, 0);
	assert_hex(out, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");
	g_assert_cmpint(srtpc_test_kdf(key, 15, salt, 14, 1, out, 20), ==, EINVAL);
}

/* B.2: with SSRC 0, ROC 0, SEQ 0 the payload of a packet of zeros becomes
 * the keystream. */
static void test_rfc3711_b2_keystream(void)
{
	uint8_t key[16], salt[14], auth[20] = { 0 }, pkt[BUF] = { 0x80 };
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof(salt));
	srtpc *c;
	g_assert_cmpint(srtpc_test_new_session(&c, SRTPC_AES_CM_128_HMAC_SHA1_80, key, salt,
					       auth, 0), ==, 0);
	size_t len = 12 + 48;
	g_assert_cmpint(srtpc_protect(c, pkt, &len, sizeof(pkt)), ==, SRTPC_OK);
	g_assert_cmpuint(len, ==, 12 + 48 + 10);
	assert_hex(pkt + 12, 48, "E03EAD0935C95E80E166B16DD92B4EB4"
		   "D23513162B02D0F72A43A2FE4A5F97AB"
		   "41E95B3BB0A2E8DD477901E4FCA894C0");
	srtpc_free(c);
}

typedef struct {
	srtpc_suite suite;
	const char *key, *rtp_out, *rtcp_out;
} gcm_vector;

static const char gcm_salt[] = "517569642070726f2071756f";
static const char gcm_rtp_in[] = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e6973"
	"2064697669736120696e2070617274657320747265 73";
static const char gcm_rtcp_in[] = "81c8000d4d6172734e5450314e545032525450200000042a0000e930"
	"4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";

static const gcm_vector gcm_vectors[] = {
	{ SRTPC_AEAD_AES_128_GCM, "000102030405060708090a0b0c0d0e0f",
	  "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a"
	  "51c7d19b36de3adf8833899d7f27beb16a9152cf765ee4390cce",
	  "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda"
	  "4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4" },
	{ SRTPC_AEAD_AES_256_GCM, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a02"
	  "76ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13",
	  "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50a2eaa5c1110555be"
	  "8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6cb26ac3be800005d4" },
};

static void test_rfc7714_vectors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(gcm_vectors); i++) {
		const gcm_vector *v = &gcm_vectors[i];
		uint8_t key[32], salt[12], pkt[BUF];
		size_t kl = unhex(v->key, key, sizeof(key)), len;
		unhex(gcm_salt, salt, sizeof(salt));
		g_assert_cmpuint(kl, ==, srtpc_master_key_len(v->suite));
		srtpc *tx, *rx;
		g_assert_cmpint(srtpc_test_new_session(&tx, v->suite, key, salt, NULL, 0), ==, 0);
		g_assert_cmpint(srtpc_test_new_session(&rx, v->suite, key, salt, NULL, 0), ==, 0);
		/* RTP: ROC 0, SEQ 0xf17b */
		len = unhex(gcm_rtp_in, pkt, sizeof(pkt));
		g_assert_cmpint(srtpc_protect(tx, pkt, &len, sizeof(pkt)), ==, SRTPC_OK);
		assert_hex(pkt, len, v->rtp_out);
		g_assert_cmpint(srtpc_unprotect(rx, pkt, &len), ==, SRTPC_OK);
		assert_hex(pkt, len, gcm_rtp_in);
		/* RTCP: SRTCP index 0x5d4 */
		srtpc_test_set_rtcp_index(tx, 0x4d617273, 0x5d3);
		len = unhex(gcm_rtcp_in, pkt, sizeof(pkt));
		g_assert_cmpint(srtpc_protect_rtcp(tx, pkt, &len, sizeof(pkt)), ==, SRTPC_OK);
		assert_hex(pkt, len, v->rtcp_out);
		g_assert_cmpint(srtpc_unprotect_rtcp(rx, pkt, &len), ==, SRTPC_OK);
		assert_hex(pkt, len, gcm_rtcp_in);
		srtpc_free(tx);
		srtpc_free(rx);
	}
}

/* ---- suites and contexts ------------------------------------------------- */

static void test_suites(void)
{
	srtpc_suite s;
	for (int i = SRTPC_AES_CM_128_HMAC_SHA1_80; i <= SRTPC_AEAD_AES_256_GCM; i++) {
		g_assert_cmpint(srtpc_suite_parse(srtpc_suite_name((srtpc_suite)i), &s), ==, 0);
		g_assert_cmpint(s, ==, i);
	}
	g_assert_cmpint(srtpc_suite_parse("AES_CM_128_NULL_AUTH", &s), ==, EINVAL);
	g_assert_cmpint(srtpc_suite_parse(NULL, &s), ==, EINVAL);
	g_assert_null(srtpc_suite_name((srtpc_suite)0));
	g_assert_cmpuint(srtpc_master_key_len(SRTPC_AEAD_AES_256_GCM), ==, 32);
	g_assert_cmpuint(srtpc_master_salt_len(SRTPC_AEAD_AES_128_GCM), ==, 12);
	g_assert_cmpuint(srtpc_master_salt_len(SRTPC_AES_CM_128_HMAC_SHA1_32), ==, 14);
	g_assert_cmpuint(srtpc_overhead(SRTPC_AES_CM_128_HMAC_SHA1_80), ==, 10);
	g_assert_cmpuint(srtpc_overhead(SRTPC_AES_CM_128_HMAC_SHA1_32), ==, 4);
	g_assert_cmpuint(srtpc_overhead(SRTPC_AEAD_AES_128_GCM), ==, 16);

	uint8_t k[46] = { 0 }, z[46] = { 0 };
	srtpc *c = NULL;
	g_assert_cmpint(srtpc_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_80, k, 29, 0), ==, EINVAL);
	g_assert_cmpint(srtpc_new(&c, (srtpc_suite)9, k, 30, 0), ==, EINVAL);
	g_assert_cmpint(srtpc_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_80, k, 30, 63), ==, EINVAL);
	g_assert_cmpint(srtpc_new(&c, SRTPC_AES_CM_128_HMAC_SHA1_80, k, 30, 32769), ==, EINVAL);
	g_assert_null(c);
	g_assert_cmpint(srtpc_random_key(SRTPC_AEAD_AES_256_GCM, k, 43), ==, EINVAL);
	g_assert_cmpint(srtpc_random_key(SRTPC_AEAD_AES_256_GCM, k, sizeof(k)), ==, 0);
	g_assert_true(memcmp(k, z, 44) != 0);
	g_assert_cmpint(srtpc_new(&c, SRTPC_AEAD_AES_256_GCM, k, 44, 32768), ==, 0);
	srtpc_free(c);
	srtpc_free(NULL);
}


/* ---- interop with libsrtp2 ------------------------------------------------ */

static const srtpc_suite all_suites[] = {
	SRTPC_AES_CM_128_HMAC_SHA1_80, SRTPC_AES_CM_128_HMAC_SHA1_32,
	SRTPC_AEAD_AES_128_GCM, SRTPC_AEAD_AES_256_GCM,
};

static void lib_policy(srtpc_suite s, srtp_policy_t *pol)
{
	memset(pol, 0, sizeof(*pol));
	switch (s) {
	case SRTPC_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case SRTPC_AES_CM_128_HMAC_SHA1_32: /* RFC 4568 6.2: SRTCP keeps 80 bits */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
		break;
	case SRTPC_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
		break;
	case SRTPC_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
		break;
	}
}

static srtp_t lib_session(srtpc_suite s, uint8_t *key, gboolean outbound)
{
	srtp_policy_t pol;
	srtp_t t = NULL;
	lib_policy(s, &pol);
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.key = key;
	pol.window_size = 128;
	g_assert_cmpint(srtp_create(&t, &pol), ==, srtp_err_status_ok);
	return t;
}

/* An RTP packet: 2 CSRCs and a one-word 0xBEDE extension on odd i, payload
 * length varying with i, padding bit set on every fifth (the padding is
 * payload to SRTP). */
static size_t make_rtp(uint8_t *p, unsigned i, uint16_t seq, uint32_t ssrc)
{
	size_t n = 12;
	gboolean ext = i % 2, pad = i % 5 == 0;
	p[0] = (uint8_t)(0x80 | (pad ? 0x20 : 0) | (ext ? 0x12 : 0));
	p[1] = 0;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	memset(p + 4, 0, 4);
	p[7] = (uint8_t)i;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	if (ext) {
		memcpy(p + n, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);  /* CSRCs */
		memcpy(p + n + 8, "\xbe\xde\x00\x01\x10\xaa\x00\x00", 8);
		n += 16;
	}
	size_t pl = 1 + (i * 37) % 200;
	for (size_t j = 0; j < pl; j++)
		p[n + j] = (uint8_t)(j * 7 + i);
	n += pl;
	if (pad) {
		memset(p + n, 0, 3);
		p[n + 3] = 4;
		n += 4;
	}
	return n;
}

static size_t make_rtcp(uint8_t *p, unsigned i, uint32_t ssrc)
{
	static const uint8_t sr[] = { 0x80, 0xc8, 0x00, 0x06 };
	memcpy(p, sr, 4);
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	for (size_t j = 8; j < 28; j++)
		p[j] = (uint8_t)(j + i);
	return 28;
}

#define N_INTEROP 40  /* from SEQ 65520 across the rollover */

/* Both senders produce the same bytes; each receiver opens the other's. */
static void interop_suite(srtpc_suite s)
{
	uint8_t key[46];
	size_t klen = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	g_assert_cmpint(srtpc_random_key(s, key, sizeof(key)), ==, 0);
	srtp_t ltx = lib_session(s, key, TRUE), lrx = lib_session(s, key, FALSE);
	srtpc *ctx, *crx;
	g_assert_cmpint(srtpc_new(&ctx, s, key, klen, 0), ==, 0);
	g_assert_cmpint(srtpc_new(&crx, s, key, klen, 0), ==, 0);
	/* libsrtp2 sends SRTCP index 1 first, we send 0 (RFC 3711 3.4): start
	 * ours one later so that the bytes can be compared too. */
	g_assert_cmpint(srtpc_test_set_rtcp_index(ctx, 0x11223344, 0), ==, 0);
	for (unsigned i = 0; i < N_INTEROP; i++) {
		uint8_t plain[BUF], a[BUF], b[BUF];
		uint16_t seq = (uint16_t)(65520 + i);
		size_t n = make_rtp(plain, i, seq, 0x11223344), bl = n;
		int al = (int)n;
		memcpy(a, plain, n);
		memcpy(b, plain, n);
		g_assert_cmpint(srtp_protect(ltx, a, &al), ==, srtp_err_status_ok);
		g_assert_cmpint(srtpc_protect(ctx, b, &bl, sizeof(b)), ==, SRTPC_OK);
		g_assert_cmpmem(a, al, b, bl);
		g_assert_cmpint(srtpc_unprotect(crx, a, &bl), ==, SRTPC_OK);
		g_assert_cmpmem(a, bl, plain, n);
		g_assert_cmpint(srtp_unprotect(lrx, b, &al), ==, srtp_err_status_ok);
		g_assert_cmpmem(b, al, plain, n);
		n = make_rtcp(plain, i, 0x11223344);
		memcpy(a, plain, n);
		memcpy(b, plain, n);
		al = (int)n;
		bl = n;
		g_assert_cmpint(srtp_protect_rtcp(ltx, a, &al), ==, srtp_err_status_ok);
		g_assert_cmpint(srtpc_protect_rtcp(ctx, b, &bl, sizeof(b)), ==, SRTPC_OK);
		g_assert_cmpmem(a, al, b, bl);
		g_assert_cmpint(srtpc_unprotect_rtcp(crx, a, &bl), ==, SRTPC_OK);
		g_assert_cmpmem(a, bl, plain, n);
		g_assert_cmpint(srtp_unprotect_rtcp(lrx, b, &al), ==, srtp_err_status_ok);
		g_assert_cmpmem(b, al, plain, n);
	}
	srtpc_free(ctx);
	srtpc_free(crx);
	srtp_dealloc(ltx);
	srtp_dealloc(lrx);
}

/* SRTCP from a libsrtp2 sender that only authenticates RTCP (E bit 0). */
static void test_rtcp_unencrypted(gconstpointer data)
{
	srtpc_suite s = (srtpc_suite)GPOINTER_TO_INT(data);
	uint8_t key[46], plain[BUF], b[BUF];
	size_t klen = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	srtp_policy_t pol;
	srtp_t ltx = NULL;
	srtpc *crx;
	g_assert_cmpint(srtpc_random_key(s, key, sizeof(key)), ==, 0);
	lib_policy(s, &pol);
	pol.rtcp.sec_serv = sec_serv_auth;
	pol.ssrc.type = ssrc_any_outbound;
	pol.key = key;
	pol.window_size = 128;
	g_assert_cmpint(srtp_create(&ltx, &pol), ==, srtp_err_status_ok);
	g_assert_cmpint(srtpc_new(&crx, s, key, klen, 0), ==, 0);
	for (unsigned i = 0; i < 3; i++) {
		size_t n = make_rtcp(plain, i, 0x55667788);
		int l = (int)n;
		memcpy(b, plain, n);
		g_assert_cmpint(srtp_protect_rtcp(ltx, b, &l), ==, srtp_err_status_ok);
		g_assert_cmpmem(b, n, plain, n);                      /* sent in clear */
		size_t m = (size_t)l;
		b[9] ^= 1;                                            /* still authenticated */
		g_assert_cmpint(srtpc_unprotect_rtcp(crx, b, &m), ==, SRTPC_ERR_AUTH);
		b[9] ^= 1;
		g_assert_cmpint(srtpc_unprotect_rtcp(crx, b, &m), ==, SRTPC_OK);
		g_assert_cmpmem(b, m, plain, n);
	}
	srtpc_free(crx);
	srtp_dealloc(ltx);
}

static void test_interop(gconstpointer data)
{
	interop_suite((srtpc_suite)GPOINTER_TO_INT(data));
}

/* ---- replay, tampering, limits, malformed input ------------------------- */

typedef struct {
	srtpc *tx, *rx;
	srtpc_suite suite;
} pair;

static void pair_new(pair *p, srtpc_suite s, unsigned window)
{
	uint8_t key[46];
	size_t klen = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	g_assert_cmpint(srtpc_random_key(s, key, sizeof(key)), ==, 0);
	g_assert_cmpint(srtpc_new(&p->tx, s, key, klen, window), ==, 0);
	g_assert_cmpint(srtpc_new(&p->rx, s, key, klen, window), ==, 0);
	p->suite = s;
}

static void pair_free(pair *p)
{
	srtpc_free(p->tx);
	srtpc_free(p->rx);
}

/* Protected packet i with sequence number seq into out. */
static size_t sealed(pair *p, uint8_t *out, unsigned i, uint16_t seq)
{
	size_t n = make_rtp(out, i, seq, 0xcafe0001);
	g_assert_cmpint(srtpc_protect(p->tx, out, &n, BUF), ==, SRTPC_OK);
	return n;
}

static srtpc_status open_copy(pair *p, const uint8_t *pkt, size_t n)
{
	uint8_t b[BUF];
	memcpy(b, pkt, n);
	return srtpc_unprotect(p->rx, b, &n);
}

static void test_replay(gconstpointer data)
{
	pair p;
	uint8_t pk[200][BUF];
	size_t len[200];
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	for (unsigned i = 0; i < 200; i++)
		len[i] = sealed(&p, pk[i], i, (uint16_t)(65400 + i));   /* ROC 0 -> 1 */
	/* reordered inside the window: accepted once each */
	g_assert_cmpint(open_copy(&p, pk[10], len[10]), ==, SRTPC_OK);
	g_assert_cmpint(open_copy(&p, pk[12], len[12]), ==, SRTPC_OK);
	g_assert_cmpint(open_copy(&p, pk[11], len[11]), ==, SRTPC_OK);
	g_assert_cmpint(open_copy(&p, pk[11], len[11]), ==, SRTPC_ERR_REPLAY);
	g_assert_cmpint(open_copy(&p, pk[199], len[199]), ==, SRTPC_OK);
	/* 199 - 72 = 127 behind the top: the window's last slot, once */
	g_assert_cmpint(open_copy(&p, pk[72], len[72]), ==, SRTPC_OK);
	g_assert_cmpint(open_copy(&p, pk[72], len[72]), ==, SRTPC_ERR_REPLAY);
	g_assert_cmpint(open_copy(&p, pk[71], len[71]), ==, SRTPC_ERR_REPLAY);  /* too old */
	g_assert_cmpint(open_copy(&p, pk[13], len[13]), ==, SRTPC_ERR_REPLAY);
	g_assert_cmpint(open_copy(&p, pk[150], len[150]), ==, SRTPC_OK);      /* after ROC 1 */
	g_assert_cmpint(open_copy(&p, pk[199], len[199]), ==, SRTPC_ERR_REPLAY);
	/* protect refuses to reuse an index (a keystream reuse) */
	uint8_t b[BUF];
	size_t n = make_rtp(b, 0, (uint16_t)(65400 + 150), 0xcafe0001);
	g_assert_cmpint(srtpc_protect(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_REPLAY);
	/* RTCP: same packet twice */
	n = make_rtcp(b, 1, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), ==, SRTPC_OK);
	uint8_t c[BUF];
	size_t m = n;
	memcpy(c, b, n);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &n), ==, SRTPC_OK);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, c, &m), ==, SRTPC_ERR_REPLAY);
	pair_free(&p);
}

/* A larger window keeps older packets; the estimate follows a gap of
 * 30000 packets and several rollovers. */
static void test_window_and_rollover(void)
{
	pair p;
	uint8_t b[BUF], p0[BUF], p1[BUF];
	pair_new(&p, SRTPC_AES_CM_128_HMAC_SHA1_80, 1000);
	size_t n0 = sealed(&p, p0, 0, 0), n1 = sealed(&p, p1, 1, 1);
	for (unsigned i = 2; i <= 1000; i++) {
		size_t n = sealed(&p, b, i, (uint16_t)i);
		g_assert_cmpint(open_copy(&p, b, n), ==, SRTPC_OK);
	}
	/* top 1000: 999 behind is the window's last slot, 1000 behind too old */
	g_assert_cmpint(open_copy(&p, p1, n1), ==, SRTPC_OK);
	g_assert_cmpint(open_copy(&p, p0, n0), ==, SRTPC_ERR_REPLAY);
	/* jumps of 30000 (less than half the SEQ space) across 5 rollovers */
	for (unsigned r = 1; r <= 12; r++) {
		uint32_t idx = 1000 + r * 30000;
		size_t n = sealed(&p, b, r, (uint16_t)idx);
		g_assert_cmpint(open_copy(&p, b, n), ==, SRTPC_OK);
	}
	pair_free(&p);
}

static void test_tamper(gconstpointer data)
{
	pair p;
	uint8_t pk[BUF], b[BUF];
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	size_t n = sealed(&p, pk, 3, 4000);
	size_t tag = srtpc_overhead(p.suite);
	/* every bit of the tag, every 7th bit elsewhere (header and payload) */
	for (size_t bit = 0; bit < n * 8; bit++) {
		if (bit < (n - tag) * 8 && bit % 7)
			continue;
		memcpy(b, pk, n);
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		size_t m = n;
		srtpc_status rc = srtpc_unprotect(p.rx, b, &m);
		/* a flipped version, CC, X or extension length may be a
		 * parse error; a flipped SEQ may fall behind the window */
		size_t at = bit / 8;
		if (rc == SRTPC_ERR_PARSE)
			g_assert_true(at == 0 || at == 22 || at == 23);
		else if (rc == SRTPC_ERR_REPLAY)
			g_assert_true(at == 2 || at == 3);
		else
			g_assert_cmpint(rc, ==, SRTPC_ERR_AUTH);
	}
	g_assert_cmpint(open_copy(&p, pk, n), ==, SRTPC_OK);   /* state untouched */
	/* RTCP */
	n = make_rtcp(pk, 0, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, pk, &n, sizeof(pk)), ==, SRTPC_OK);
	for (size_t bit = 8; bit < n * 8; bit += 3) {
		memcpy(b, pk, n);
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		size_t m = n;
		srtpc_status rc = srtpc_unprotect_rtcp(p.rx, b, &m);
		g_assert_true(rc == SRTPC_ERR_AUTH || rc == SRTPC_ERR_REPLAY);
	}
	size_t m = n;
	memcpy(b, pk, n);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &m), ==, SRTPC_OK);
	pair_free(&p);
}

static void test_limits(gconstpointer data)
{
	pair p;
	uint8_t b[BUF];
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	srtpc_test_set_usage(p.tx, (1ULL << 48) - 1, (1ULL << 31) - 1);
	srtpc_test_set_usage(p.rx, (1ULL << 48) - 1, (1ULL << 31) - 1);
	size_t n = sealed(&p, b, 0, 1);                       /* the last one */
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_OK);
	n = make_rtp(b, 0, 2, 0xcafe0001);
	g_assert_cmpint(srtpc_protect(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_LIMIT);
	n = make_rtcp(b, 0, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), ==, SRTPC_OK);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &n), ==, SRTPC_OK);
	n = make_rtcp(b, 1, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_LIMIT);
	pair_free(&p);
	/* receiver side */
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	n = sealed(&p, b, 0, 1);
	srtpc_test_set_usage(p.rx, 1ULL << 48, 1ULL << 31);
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_ERR_LIMIT);
	n = make_rtcp(b, 0, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), ==, SRTPC_OK);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &n), ==, SRTPC_ERR_LIMIT);
	pair_free(&p);
	/* the SRTP index is 48 bits: ROC 2^32 - 1, SEQ 65535 is the last */
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	g_assert_cmpint(srtpc_test_set_rtp_index(p.tx, 0xcafe0001, (1ULL << 48) - 2), ==, 0);
	g_assert_cmpint(srtpc_test_set_rtp_index(p.rx, 0xcafe0001, (1ULL << 48) - 3), ==, 0);
	g_assert_cmpint(srtpc_test_set_rtp_index(p.rx, 1, 1ULL << 48), ==, EINVAL);
	n = sealed(&p, b, 0, 0xffff);
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_OK);
	n = make_rtp(b, 0, 0, 0xcafe0001);
	g_assert_cmpint(srtpc_protect(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_LIMIT);
	/* the SRTCP index is 31 bits */
	g_assert_cmpint(srtpc_test_set_rtcp_index(p.tx, 0xcafe0001, 0x7fffffff), ==, 0);
	n = make_rtcp(b, 0, 0xcafe0001);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_LIMIT);
	pair_free(&p);
}

static void test_streams(void)
{
	pair p;
	uint8_t b[BUF];
	pair_new(&p, SRTPC_AES_CM_128_HMAC_SHA1_80, 0);
	for (uint32_t s = 1; s <= 8; s++) {
		size_t n = make_rtp(b, 0, 100, s);
		g_assert_cmpint(srtpc_protect(p.tx, b, &n, sizeof(b)), ==, SRTPC_OK);
		g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_OK);
	}
	size_t n = make_rtp(b, 0, 100, 9);
	g_assert_cmpint(srtpc_protect(p.tx, b, &n, sizeof(b)), ==, SRTPC_ERR_LIMIT);
	/* the receiver's table is full too: a forged 9th SSRC is AUTH, an
	 * authentic one LIMIT (RTP and RTCP) */
	n = make_rtp(b, 0, 100, 9) + 10;
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_ERR_AUTH);
	n = make_rtcp(b, 0, 9);
	memset(b + n, 0, 14);
	n += 14;
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &n), ==, SRTPC_ERR_AUTH);
	srtpc *other;
	uint8_t key[30];
	memcpy(key, "0123456789abcdefghijklmnopqrstuvwxyz", 30);
	g_assert_cmpint(srtpc_new(&other, SRTPC_AES_CM_128_HMAC_SHA1_80, key, 30, 0), ==, 0);
	srtpc_free(p.rx);
	g_assert_cmpint(srtpc_new(&p.rx, SRTPC_AES_CM_128_HMAC_SHA1_80, key, 30, 0), ==, 0);
	for (uint32_t s = 1; s <= 9; s++) {
		n = make_rtp(b, 0, 100, s);
		g_assert_cmpint(srtpc_protect(other, b, &n, sizeof(b)), ==,
				s <= 8 ? SRTPC_OK : SRTPC_ERR_LIMIT);
		if (s <= 8)
			g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_OK);
	}
	srtpc_free(other);
	/* an authentic 9th SSRC from a context with room */
	g_assert_cmpint(srtpc_new(&other, SRTPC_AES_CM_128_HMAC_SHA1_80, key, 30, 0), ==, 0);
	n = make_rtp(b, 0, 100, 9);
	g_assert_cmpint(srtpc_protect(other, b, &n, sizeof(b)), ==, SRTPC_OK);
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_ERR_LIMIT);
	n = make_rtcp(b, 0, 9);
	g_assert_cmpint(srtpc_protect_rtcp(other, b, &n, sizeof(b)), ==, SRTPC_OK);
	g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &n), ==, SRTPC_ERR_LIMIT);
	srtpc_free(other);
	pair_free(&p);
	/* forged packets of unknown SSRCs take no slot */
	pair_new(&p, SRTPC_AES_CM_128_HMAC_SHA1_80, 0);
	for (uint32_t s = 1; s <= 20; s++) {
		n = make_rtp(b, 0, 100, s) + 10;
		g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_ERR_AUTH);
	}
	n = sealed(&p, b, 0, 5);
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &n), ==, SRTPC_OK);
	pair_free(&p);
}

static void test_malformed(gconstpointer data)
{
	pair p;
	uint8_t pk[BUF], b[BUF];
	pair_new(&p, (srtpc_suite)GPOINTER_TO_INT(data), 0);
	size_t n = sealed(&p, pk, 1, 77), tag = srtpc_overhead(p.suite);
	/* every truncation: the header (CSRCs, extension) or the tag is cut */
	for (size_t m = 0; m < 12 + 16 + tag; m++) {
		memcpy(b, pk, m);
		size_t l = m;
		g_assert_cmpint(srtpc_unprotect(p.rx, b, &l), ==, SRTPC_ERR_PARSE);
	}
	for (size_t m = 12 + 16 + tag; m < n; m++) {
		memcpy(b, pk, m);
		size_t l = m;
		g_assert_cmpint(srtpc_unprotect(p.rx, b, &l), ==, SRTPC_ERR_AUTH);
	}
	/* version 1; extension length past the end */
	memcpy(b, pk, n);
	b[0] = (uint8_t)((b[0] & 0x3f) | 0x40);
	size_t l = n;
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &l), ==, SRTPC_ERR_PARSE);
	memcpy(b, pk, n);
	b[12 + 8 + 2] = 0xff;
	l = n;
	g_assert_cmpint(srtpc_unprotect(p.rx, b, &l), ==, SRTPC_ERR_PARSE);
	/* protect: no room for the tag, too short, too long */
	l = make_rtp(b, 2, 5, 1);
	g_assert_cmpint(srtpc_protect(p.tx, b, &l, l + tag - 1), ==, SRTPC_ERR_SPACE);
	l = 11;
	g_assert_cmpint(srtpc_protect(p.tx, b, &l, sizeof(b)), ==, SRTPC_ERR_PARSE);
	static uint8_t big[70000] = { 0x80 };
	l = sizeof(big) - 100;
	g_assert_cmpint(srtpc_protect(p.tx, big, &l, sizeof(big)), ==, SRTPC_ERR_PARSE);
	/* RTCP */
	size_t rtag = p.suite >= SRTPC_AEAD_AES_128_GCM ? 16 : 10;
	l = make_rtcp(b, 0, 1);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &l, l + rtag + 3), ==, SRTPC_ERR_SPACE);
	l = 7;
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, b, &l, sizeof(b)), ==, SRTPC_ERR_PARSE);
	l = make_rtcp(pk, 0, 1);
	g_assert_cmpint(srtpc_protect_rtcp(p.tx, pk, &l, sizeof(pk)), ==, SRTPC_OK);
	for (size_t m = 0; m < 8 + 4 + rtag; m++) {
		memcpy(b, pk, m);
		size_t k = m;
		g_assert_cmpint(srtpc_unprotect_rtcp(p.rx, b, &k), ==, SRTPC_ERR_PARSE);
	}
	pair_free(&p);
}

static void add_per_suite(const char *what, GTestDataFunc fn)
{
	for (size_t i = 0; i < G_N_ELEMENTS(all_suites); i++) {
		char *name = g_strdup_printf("/srtpc/%s/%s", what, srtpc_suite_name(all_suites[i]));
		g_test_add_data_func(name, GINT_TO_POINTER(all_suites[i]), fn);
		g_free(name);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/srtpc/rfc3711-b3-kdf", test_rfc3711_b3_kdf);
	g_test_add_func("/srtpc/rfc3711-b2-keystream", test_rfc3711_b2_keystream);
	g_test_add_func("/srtpc/rfc7714-vectors", test_rfc7714_vectors);
	g_test_add_func("/srtpc/suites", test_suites);
	add_per_suite("interop", test_interop);
	add_per_suite("rtcp-unencrypted", test_rtcp_unencrypted);
	add_per_suite("replay", test_replay);
	add_per_suite("tamper", test_tamper);
	add_per_suite("limits", test_limits);
	add_per_suite("malformed", test_malformed);
	g_test_add_func("/srtpc/window-and-rollover", test_window_and_rollover);
	g_test_add_func("/srtpc/streams", test_streams);
	g_assert_cmpint(srtp_init(), ==, srtp_err_status_ok);
	int rc = g_test_run();
	srtp_shutdown();
	return rc;
}
