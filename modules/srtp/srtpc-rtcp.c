/* srtpc RTCP: SRTCP protect/unprotect (RFC 3711 3.4, RFC 7714 9). The first
 * 8 bytes (header and sender SSRC) stay clear; we always encrypt (E bit
 * set) and accept E=0 packets on unprotect. The SRTCP index counts per
 * sender SSRC from 0; 2^31 packets per master key at most.
 * CM layout:  hdr | enc | E+index | tag(10)   (tag over all before it)
 * GCM layout: hdr | enc | tag(16) | E+index   (AAD: hdr + E+index) */
#include "srtpc-int.h"
#include <string.h>
#include <openssl/crypto.h>

static void cm_iv(const srtpc_keys *k, const uint8_t *ssrc, uint32_t idx, uint8_t iv[16])
{
	memcpy(iv, k->salt, 14);
	iv[14] = iv[15] = 0;
	for (int i = 0; i < 4; i++) {
		iv[4 + i] ^= ssrc[i];
		iv[10 + i] ^= (uint8_t)(idx >> (24 - 8 * i));
	}
}

static void gcm_iv(const srtpc_keys *k, const uint8_t *ssrc, uint32_t idx, uint8_t iv[12])
{
	memcpy(iv, k->salt, 12);
	for (int i = 0; i < 4; i++) {
		iv[2 + i] ^= ssrc[i];
		iv[8 + i] ^= (uint8_t)(idx >> (24 - 8 * i));
	}
}

static bool rtcp_header_ok(const uint8_t *p, size_t len, size_t min)
{
	return len >= min && len <= SRTPC_MAX_PACKET && (p[0] >> 6) == 2;
}

static void rtcp_commit(srtpc *c, srtpc_stream *st, uint32_t idx)
{
	srtpc_window_commit(c, &st->rtcp, idx);
	st->used = true;
	c->rtcp_used++;
}

srtpc_status srtpc_protect_rtcp(srtpc *c, uint8_t *p, size_t *len, size_t cap)
{
	size_t tag = c->gcm ? SRTPC_GCM_TAG : SRTPC_CM_RTCP_TAG, n = *len;
	uint8_t iv[16], e[4], mac[20];
	if (!rtcp_header_ok(p, n, 8))
		return SRTPC_ERR_PARSE;
	srtpc_stream *st = srtpc_stream_get(c, srtpc_get32(p + 4));
	if (!st)
		return SRTPC_ERR_LIMIT;
	uint64_t idx = st->rtcp.any ? st->rtcp.top + 1 : 0;
	if (idx >= SRTPC_RTCP_LIMIT || c->rtcp_used >= SRTPC_RTCP_LIMIT)
		return SRTPC_ERR_LIMIT;
	if (cap < n || cap - n < tag + 4)
		return SRTPC_ERR_SPACE;
	srtpc_put32(e, 0x80000000u | (uint32_t)idx);
	if (c->gcm) {
		gcm_iv(&c->rtcp, p + 4, (uint32_t)idx, iv);
		if (!srtpc_gcm_seal(&c->rtcp, iv, p, 8, e, 4, p + 8, n - 8, p + n))
			return SRTPC_ERR_PARSE;
		memcpy(p + n + tag, e, 4);
	} else {
		cm_iv(&c->rtcp, p + 4, (uint32_t)idx, iv);
		if (!srtpc_cm_xor(&c->rtcp, iv, p + 8, n - 8))
			return SRTPC_ERR_PARSE;
		memcpy(p + n, e, 4);
		srtpc_hmac(&c->rtcp, p, n + 4, NULL, 0, mac);
		memcpy(p + n + 4, mac, tag);
	}
	*len = n + tag + 4;
	rtcp_commit(c, st, (uint32_t)idx);
	return SRTPC_OK;
}

static bool open_cm(srtpc *c, uint8_t *p, size_t len, bool enc, uint32_t idx)
{
	uint8_t iv[16], mac[20];
	size_t body = len - SRTPC_CM_RTCP_TAG;     /* hdr | enc | E+index */
	srtpc_hmac(&c->rtcp, p, body, NULL, 0, mac);
	if (CRYPTO_memcmp(mac, p + body, SRTPC_CM_RTCP_TAG) != 0)
		return false;
	if (!enc)
		return true;
	cm_iv(&c->rtcp, p + 4, idx, iv);
	return srtpc_cm_xor(&c->rtcp, iv, p + 8, body - 4 - 8);
}

static bool open_gcm(srtpc *c, uint8_t *p, size_t len, bool enc, uint32_t idx)
{
	uint8_t iv[12];
	size_t end = len - 4 - SRTPC_GCM_TAG;      /* hdr | enc (or clear) */
	gcm_iv(&c->rtcp, p + 4, idx, iv);
	if (enc)
		return srtpc_gcm_open(&c->rtcp, iv, p, 8, p + len - 4, 4, p + 8, end - 8, p + end);
	return srtpc_gcm_open(&c->rtcp, iv, p, end, p + len - 4, 4, NULL, 0, p + end);
}

srtpc_status srtpc_unprotect_rtcp(srtpc *c, uint8_t *p, size_t *len)
{
	size_t tag = c->gcm ? SRTPC_GCM_TAG : SRTPC_CM_RTCP_TAG, n = *len;
	if (!rtcp_header_ok(p, n, 8 + 4 + tag))
		return SRTPC_ERR_PARSE;
	const uint8_t *e = c->gcm ? p + n - 4 : p + n - tag - 4;
	uint32_t word = srtpc_get32(e), idx = word & 0x7fffffff;
	srtpc_stream scratch = { 0 }, *st = srtpc_stream_get(c, srtpc_get32(p + 4));
	if (!st)
		st = &scratch;  /* table full: AUTH if forged, LIMIT if authentic */
	if (!srtpc_window_check(c, &st->rtcp, idx))
		return SRTPC_ERR_REPLAY;
	if (c->rtcp_used >= SRTPC_RTCP_LIMIT)
		return SRTPC_ERR_LIMIT;
	bool ok = c->gcm ? open_gcm(c, p, n, word >> 31, idx) : open_cm(c, p, n, word >> 31, idx);
	if (!ok)
		return SRTPC_ERR_AUTH;
	if (st == &scratch)
		return SRTPC_ERR_LIMIT;
	*len = n - tag - 4;
	rtcp_commit(c, st, idx);
	return SRTPC_OK;
}
