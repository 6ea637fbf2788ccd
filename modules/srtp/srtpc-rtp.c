/* srtpc RTP: SRTP protect/unprotect (RFC 3711 3.3, RFC 7714 8). The header
 * (with CSRCs and extension) stays clear and authenticated; the payload,
 * padding included, is encrypted. Unprotect order as in libsrtp2: index
 * estimate, replay check, key limit, tag check in constant time, and only
 * then decryption and the update of ROC and window. */
#include "srtpc-int.h"
#include <string.h>
#include <openssl/crypto.h>

/* Length of the RTP header with CSRCs and extension, 0 if malformed. */
static size_t rtp_header_len(const uint8_t *p, size_t len)
{
	if (len < 12 || len > SRTPC_MAX_PACKET || (p[0] >> 6) != 2)
		return 0;
	size_t h = 12 + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (len < h + 4)
			return 0;
		h += 4 + 4 * (size_t)(p[h + 2] << 8 | p[h + 3]);
	}
	return h <= len ? h : 0;
}

static void cm_iv(const srtpc_keys *k, const uint8_t *ssrc, uint64_t idx, uint8_t iv[16])
{
	memcpy(iv, k->salt, 14);
	iv[14] = iv[15] = 0;
	for (int i = 0; i < 4; i++)
		iv[4 + i] ^= ssrc[i];
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(idx >> (40 - 8 * i));
}

static void gcm_iv(const srtpc_keys *k, const uint8_t *ssrc, uint64_t idx, uint8_t iv[12])
{
	memcpy(iv, k->salt, 12);
	for (int i = 0; i < 4; i++)
		iv[2 + i] ^= ssrc[i];
	for (int i = 0; i < 6; i++)
		iv[6 + i] ^= (uint8_t)(idx >> (40 - 8 * i));
}

/* Common checks of both directions: the stream and the packet index. With
 * the SSRC table full, unprotect works on scratch (a new, empty stream) so
 * that a forged packet gets AUTH, and only an authentic one LIMIT. */
static srtpc_status rtp_prepare(srtpc *c, const uint8_t *p, srtpc_stream **st, uint64_t *idx,
				srtpc_stream *scratch)
{
	*st = srtpc_stream_get(c, srtpc_get32(p + 8));
	if (!*st && !scratch)
		return SRTPC_ERR_LIMIT;
	if (!*st)
		*st = scratch;
	*idx = srtpc_rtp_index(&(*st)->rtp, (uint16_t)(p[2] << 8 | p[3]));
	if (!srtpc_window_check(c, &(*st)->rtp, *idx))
		return SRTPC_ERR_REPLAY;
	if (*idx >= SRTPC_RTP_LIMIT || c->rtp_used >= SRTPC_RTP_LIMIT)
		return SRTPC_ERR_LIMIT;
	return SRTPC_OK;
}

static void rtp_commit(srtpc *c, srtpc_stream *st, uint64_t idx)
{
	srtpc_window_commit(c, &st->rtp, idx);
	st->used = true;
	c->rtp_used++;
}

srtpc_status srtpc_protect(srtpc *c, uint8_t *p, size_t *len, size_t cap)
{
	size_t hl = rtp_header_len(p, *len);
	srtpc_stream *st;
	uint64_t idx;
	uint8_t iv[16], roc[4], mac[20];
	if (!hl)
		return SRTPC_ERR_PARSE;
	srtpc_status rc = rtp_prepare(c, p, &st, &idx, NULL);
	if (rc)
		return rc;
	if (cap < *len || cap - *len < c->tag_len)
		return SRTPC_ERR_SPACE;
	if (c->gcm) {
		gcm_iv(&c->rtp, p + 8, idx, iv);
		if (!srtpc_gcm_seal(&c->rtp, iv, p, hl, NULL, 0, p + hl, *len - hl, p + *len))
			return SRTPC_ERR_PARSE;
	} else {
		cm_iv(&c->rtp, p + 8, idx, iv);
		if (!srtpc_cm_xor(&c->rtp, iv, p + hl, *len - hl))
			return SRTPC_ERR_PARSE;
		srtpc_put32(roc, (uint32_t)(idx >> 16));
		srtpc_hmac(&c->rtp, p, *len, roc, 4, mac);
		memcpy(p + *len, mac, c->tag_len);
	}
	*len += c->tag_len;
	rtp_commit(c, st, idx);
	return SRTPC_OK;
}

srtpc_status srtpc_unprotect(srtpc *c, uint8_t *p, size_t *len)
{
	size_t hl = rtp_header_len(p, *len);
	srtpc_stream *st, scratch = { 0 };
	uint64_t idx;
	uint8_t iv[16], roc[4], mac[20];
	if (!hl || *len - hl < c->tag_len)
		return SRTPC_ERR_PARSE;
	srtpc_status rc = rtp_prepare(c, p, &st, &idx, &scratch);
	if (rc)
		return rc;
	size_t n = *len - c->tag_len - hl;
	if (c->gcm) {
		gcm_iv(&c->rtp, p + 8, idx, iv);
		if (!srtpc_gcm_open(&c->rtp, iv, p, hl, NULL, 0, p + hl, n, p + hl + n))
			return SRTPC_ERR_AUTH;
	} else {
		srtpc_put32(roc, (uint32_t)(idx >> 16));
		srtpc_hmac(&c->rtp, p, hl + n, roc, 4, mac);
		if (CRYPTO_memcmp(mac, p + hl + n, c->tag_len) != 0)
			return SRTPC_ERR_AUTH;
		cm_iv(&c->rtp, p + 8, idx, iv);
		if (!srtpc_cm_xor(&c->rtp, iv, p + hl, n))
			return SRTPC_ERR_AUTH;
	}
	if (st == &scratch)
		return SRTPC_ERR_LIMIT;
	*len -= c->tag_len;
	rtp_commit(c, st, idx);
	return SRTPC_OK;
}
