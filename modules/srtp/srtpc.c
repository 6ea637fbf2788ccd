/* srtpc: suites, contexts and their keys (contract in srtpc.h). A context
 * owns two keyed cipher contexts (RTP, RTCP) created once, the HMAC pads,
 * the key-usage counters and a fixed table of SRTPC_MAX_STREAMS SSRCs with
 * their replay windows, all allocated by srtpc_new: nothing is allocated
 * per packet. A stream is only added once a packet of its SSRC has been
 * authenticated (unprotect) or protected, so forged SSRCs cannot fill the
 * table; when it is full a new SSRC gets SRTPC_ERR_LIMIT (a new context is
 * needed), never the eviction of a live replay window. */
#include "srtpc-int.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <openssl/crypto.h>
#include "srtpc-test.h"

typedef struct {
	const char *name;
	size_t key, salt, tag;
	bool gcm;
} suite_info;

static const suite_info suites[] = {
	[SRTPC_AES_CM_128_HMAC_SHA1_80] = { "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, false },
	[SRTPC_AES_CM_128_HMAC_SHA1_32] = { "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, false },
	[SRTPC_AEAD_AES_128_GCM] = { "AEAD_AES_128_GCM", 16, 12, 16, true },
	[SRTPC_AEAD_AES_256_GCM] = { "AEAD_AES_256_GCM", 32, 12, 16, true },
};

static const suite_info *suite_get(srtpc_suite s)
{
	if (s < SRTPC_AES_CM_128_HMAC_SHA1_80 || s > SRTPC_AEAD_AES_256_GCM)
		return NULL;
	return &suites[s];
}

const char *srtpc_suite_name(srtpc_suite s)
{
	const suite_info *i = suite_get(s);
	return i ? i->name : NULL;
}

int srtpc_suite_parse(const char *name, srtpc_suite *out)
{
	for (int s = SRTPC_AES_CM_128_HMAC_SHA1_80; name && s <= SRTPC_AEAD_AES_256_GCM; s++)
		if (strcmp(name, suites[s].name) == 0) {
			*out = (srtpc_suite)s;
			return 0;
		}
	return EINVAL;
}

size_t srtpc_master_key_len(srtpc_suite s)
{
	const suite_info *i = suite_get(s);
	return i ? i->key : 0;
}

size_t srtpc_master_salt_len(srtpc_suite s)
{
	const suite_info *i = suite_get(s);
	return i ? i->salt : 0;
}

size_t srtpc_overhead(srtpc_suite s)
{
	const suite_info *i = suite_get(s);
	return i ? i->tag : 0;
}

static int keys_set(srtpc_keys *k, const suite_info *si, const uint8_t *key,
		    const uint8_t *salt, const uint8_t *auth)
{
	const EVP_CIPHER *ci = si->gcm ? (si->key == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm())
				       : EVP_aes_128_ecb();
	memset(k->salt, 0, sizeof(k->salt));
	memcpy(k->salt, salt, si->salt);
	if (!si->gcm)
		srtpc_hmac_init(k, auth);
	k->cipher = EVP_CIPHER_CTX_new();
	if (!k->cipher)
		return ENOMEM;
	if (!EVP_CipherInit_ex(k->cipher, ci, NULL, key, NULL, 1))
		return EIO;
	if (!si->gcm)
		EVP_CIPHER_CTX_set_padding(k->cipher, 0);
	return 0;
}

static srtpc *ctx_alloc(const suite_info *si, srtpc_suite suite, unsigned window)
{
	if (window == 0)
		window = 128;
	if (window < 64 || window > 32768)
		return NULL;
	uint64_t bits = 64;
	while (bits < window)
		bits <<= 1;
	size_t words = bits / 64;
	srtpc *c = calloc(1, sizeof(*c) + 2 * SRTPC_MAX_STREAMS * words * sizeof(uint64_t));
	if (!c)
		return NULL;
	c->suite = suite;
	c->gcm = si->gcm;
	c->tag_len = si->tag;
	c->window = window;
	c->mask = bits - 1;
	c->words = words;
	for (size_t i = 0; i < SRTPC_MAX_STREAMS; i++) {
		c->streams[i].rtp.bits = c->bitmap + (2 * i) * words;
		c->streams[i].rtcp.bits = c->bitmap + (2 * i + 1) * words;
	}
	return c;
}

/* Session keys of one half (labels base, base+1, base+2) into k. */
static int derive_half(srtpc_keys *k, const suite_info *si, const uint8_t *mkey,
		       const uint8_t msalt[SRTPC_SALT_MAX], uint8_t base)
{
	uint8_t key[32], auth[20], salt[SRTPC_SALT_MAX];
	int rc = srtpc_kdf(mkey, si->key, msalt, base, key, si->key);
	if (!rc && !si->gcm)
		rc = srtpc_kdf(mkey, si->key, msalt, base + 1, auth, sizeof(auth));
	if (!rc)
		rc = srtpc_kdf(mkey, si->key, msalt, base + 2, salt, si->salt);
	if (!rc)
		rc = keys_set(k, si, key, salt, auth);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(auth, sizeof(auth));
	OPENSSL_cleanse(salt, sizeof(salt));
	return rc;
}

int srtpc_new(srtpc **out, srtpc_suite suite, const uint8_t *key, size_t key_len,
	      unsigned replay_window)
{
	const suite_info *si = suite_get(suite);
	*out = NULL;
	if (!si || !key || key_len != si->key + si->salt)
		return EINVAL;
	srtpc *c = ctx_alloc(si, suite, replay_window);
	if (!c)
		return replay_window && (replay_window < 64 || replay_window > 32768) ? EINVAL : ENOMEM;
	uint8_t msalt[SRTPC_SALT_MAX] = { 0 };
	memcpy(msalt, key + si->key, si->salt);
	int rc = derive_half(&c->rtp, si, key, msalt, 0);
	if (!rc)
		rc = derive_half(&c->rtcp, si, key, msalt, 3);
	OPENSSL_cleanse(msalt, sizeof(msalt));
	if (rc) {
		srtpc_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void srtpc_free(srtpc *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->rtp.cipher);   /* cleanses its key schedule */
	EVP_CIPHER_CTX_free(c->rtcp.cipher);
	OPENSSL_cleanse(c, sizeof(*c) + 2 * SRTPC_MAX_STREAMS * c->words * sizeof(uint64_t));
	free(c);
}

int srtpc_random_key(srtpc_suite s, uint8_t *out, size_t out_len)
{
	const suite_info *si = suite_get(s);
	if (!si || !out || out_len < si->key + si->salt)
		return EINVAL;
	size_t n = si->key + si->salt, done = 0;
	while (done < n) {
		ssize_t r = getrandom(out + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EIO;
		done += (size_t)r;
	}
	return 0;
}

int srtpc_test_kdf(const uint8_t *key, size_t key_len, const uint8_t *salt,
		   size_t salt_len, uint8_t label, uint8_t *out, size_t n)
{
	uint8_t msalt[SRTPC_SALT_MAX] = { 0 };
	if ((key_len != 16 && key_len != 32) || (salt_len != 14 && salt_len != 12))
		return EINVAL;
	memcpy(msalt, salt, salt_len);
	return srtpc_kdf(key, key_len, msalt, label, out, n);
}

int srtpc_test_new_session(srtpc **out, srtpc_suite suite, const uint8_t *key,
			   const uint8_t *salt, const uint8_t *auth, unsigned replay_window)
{
	const suite_info *si = suite_get(suite);
	*out = NULL;
	if (!si || (!si->gcm && !auth))
		return EINVAL;
	srtpc *c = ctx_alloc(si, suite, replay_window);
	if (!c)
		return EINVAL;
	int rc = keys_set(&c->rtp, si, key, salt, auth);
	if (!rc)
		rc = keys_set(&c->rtcp, si, key, salt, auth);
	if (rc) {
		srtpc_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void srtpc_test_set_usage(srtpc *c, uint64_t rtp_used, uint64_t rtcp_used)
{
	c->rtp_used = rtp_used;
	c->rtcp_used = rtcp_used;
}

int srtpc_test_set_rtcp_index(srtpc *c, uint32_t ssrc, uint32_t last)
{
	srtpc_stream *st = srtpc_stream_get(c, ssrc);
	if (!st)
		return ENOSPC;
	srtpc_window_commit(c, &st->rtcp, last);
	st->used = true;
	return 0;
}

int srtpc_test_set_rtp_index(srtpc *c, uint32_t ssrc, uint64_t last)
{
	srtpc_stream *st = srtpc_stream_get(c, ssrc);
	if (!st || last >= SRTPC_RTP_LIMIT)
		return st ? EINVAL : ENOSPC;
	srtpc_window_commit(c, &st->rtp, last);
	st->used = true;
	return 0;
}

/* The stream of ssrc, or a free slot for it (not yet marked used), or NULL
 * when the table is full. */
srtpc_stream *srtpc_stream_get(srtpc *c, uint32_t ssrc)
{
	srtpc_stream *free_slot = NULL;
	if (c->streams[c->last].used && c->streams[c->last].ssrc == ssrc)
		return &c->streams[c->last];
	for (unsigned i = 0; i < SRTPC_MAX_STREAMS; i++) {
		srtpc_stream *s = &c->streams[i];
		if (s->used && s->ssrc == ssrc) {
			c->last = i;
			return s;
		}
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (free_slot) {
		free_slot->ssrc = ssrc;
		free_slot->rtp.any = free_slot->rtcp.any = false;
	}
	return free_slot;
}
