/* Internal to srtpc (modules/srtp/srtpc*.c): the context layout, the key
 * derivation and the replay/rollover bookkeeping shared by its files. Not a
 * contract for the rest of the module: use srtpc.h. */
#ifndef SRTPC_INT_H
#define SRTPC_INT_H

#define OPENSSL_SUPPRESS_DEPRECATED 1 /* SHA1_* on SHA_CTX: see srtpc-keys.c */
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include "srtpc.h"

#define SRTPC_MAX_STREAMS 8            /* SSRCs tracked per context */
#define SRTPC_RTP_LIMIT  (1ULL << 48)  /* packets per master key, RFC 3711 9.2 */
#define SRTPC_RTCP_LIMIT (1ULL << 31)
#define SRTPC_SALT_MAX   14
#define SRTPC_CM_RTCP_TAG 10           /* RFC 4568 6.2: SRTCP keeps 80 bits */
#define SRTPC_GCM_TAG     16
#define SRTPC_MAX_PACKET  65536        /* larger is no UDP datagram */

/* A replay window: a circular bitmap of 2^k bits over packet indices, the
 * highest index accepted so far at top. */
typedef struct {
	uint64_t *bits;
	uint64_t top;
	bool any;
} srtpc_window;

typedef struct {
	uint32_t ssrc;
	bool used;
	srtpc_window rtp;     /* RTP: 48-bit index (ROC << 16 | SEQ) */
	srtpc_window rtcp;    /* SRTCP: 31-bit index */
} srtpc_stream;

/* Keys of one direction's RTP or RTCP half. */
typedef struct {
	EVP_CIPHER_CTX *cipher;       /* AES-ECB keyed (CM keystream) or AES-GCM */
	SHA_CTX ipad, opad;           /* HMAC-SHA1 state after the padded key */
	uint8_t salt[SRTPC_SALT_MAX];
} srtpc_keys;

struct srtpc {
	srtpc_suite suite;
	bool gcm;
	size_t tag_len;               /* SRTP tag */
	unsigned window;              /* accepted distance below top */
	uint64_t mask;                /* bitmap bits - 1 */
	size_t words;                 /* uint64_t per bitmap */
	srtpc_keys rtp, rtcp;
	uint64_t rtp_used, rtcp_used; /* packets processed under this key */
	unsigned last;                /* stream of the previous packet */
	srtpc_stream streams[SRTPC_MAX_STREAMS];
	uint64_t bitmap[];            /* 2 * SRTPC_MAX_STREAMS * words */
};

/* srtpc-keys.c: RFC 3711 4.3.1 AES-CM PRF with kdr 0; key is the master key
 * (16 or 32 bytes), salt the master salt (14, or 12 zero-padded), out gets
 * n bytes of the session key for label. 0 or EIO. */
int srtpc_kdf(const uint8_t *key, size_t key_len, const uint8_t salt[SRTPC_SALT_MAX],
	      uint8_t label, uint8_t *out, size_t n);

/* srtpc-keys.c: HMAC-SHA1 with precomputed pads. */
void srtpc_hmac_init(srtpc_keys *k, const uint8_t key[20]);
void srtpc_hmac(const srtpc_keys *k, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, uint8_t out[20]);

/* srtpc.c: the stream of ssrc or a free slot (caller sets used), NULL if full */
srtpc_stream *srtpc_stream_get(srtpc *c, uint32_t ssrc);

/* srtpc-replay.c */
uint64_t srtpc_rtp_index(const srtpc_window *w, uint16_t seq); /* RFC 3711 3.3.1 */
bool     srtpc_window_check(const srtpc *c, const srtpc_window *w, uint64_t idx);
void     srtpc_window_commit(const srtpc *c, srtpc_window *w, uint64_t idx);

/* Big-endian helpers. */
static inline uint32_t srtpc_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void srtpc_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* srtpc-cipher.c: the keystream XOR (CM) or AEAD seal/open (GCM) in place.
 * iv is 16 bytes for CM, 12 for GCM. false on failure (GCM: tag mismatch,
 * the text is then wiped). */
bool srtpc_cm_xor(const srtpc_keys *k, const uint8_t iv[16], uint8_t *p, size_t n);
bool srtpc_gcm_seal(const srtpc_keys *k, const uint8_t iv[12], const uint8_t *aad,
		    size_t aadlen, const uint8_t *aad2, size_t aad2len, uint8_t *p,
		    size_t n, uint8_t tag[SRTPC_GCM_TAG]);
bool srtpc_gcm_open(const srtpc_keys *k, const uint8_t iv[12], const uint8_t *aad,
		    size_t aadlen, const uint8_t *aad2, size_t aad2len, uint8_t *p,
		    size_t n, const uint8_t tag[SRTPC_GCM_TAG]);

#endif
