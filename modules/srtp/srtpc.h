/* Internal to module srtp: SRTP/SRTCP (RFC 3711, RFC 7714 AEAD) on
 * OpenSSL, the project's own implementation (libsrtp2 from Debian is used
 * as the reference it is tested against and benchmarked beside).
 *
 * One context protects OR unprotects one direction of one leg (one SSRC
 * space): the relay holds an inbound and an outbound context per leg.
 * Guarantees kept from libsrtp2: a 128-packet (configurable) replay
 * window on unprotect, rollover-counter tracking with the RFC 3711
 * sequence-number estimation, key-usage limits (2^48 SRTP / 2^31 SRTCP
 * packets per master key: refuse beyond), authentication checked in
 * constant time before decryption. No allocation per packet. Not
 * thread-safe: a context belongs to one relay thread. */
#ifndef SRTPC_H
#define SRTPC_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	SRTPC_AES_CM_128_HMAC_SHA1_80 = 1,
	SRTPC_AES_CM_128_HMAC_SHA1_32,
	SRTPC_AEAD_AES_128_GCM,
	SRTPC_AEAD_AES_256_GCM,
} srtpc_suite;

typedef enum {
	SRTPC_OK = 0,
	SRTPC_ERR_AUTH,      /* authentication failed: drop, count */
	SRTPC_ERR_REPLAY,    /* replayed or too old: drop, count */
	SRTPC_ERR_LIMIT,     /* key usage limit reached: re-key needed */
	SRTPC_ERR_PARSE,     /* not an RTP/RTCP packet we can handle */
	SRTPC_ERR_SPACE,     /* buffer too small for the tag */
} srtpc_status;

typedef struct srtpc srtpc;

/* Suite names as in SDES (RFC 4568 / RFC 7714): "AES_CM_128_HMAC_SHA1_80"... */
const char *srtpc_suite_name(srtpc_suite s);
int         srtpc_suite_parse(const char *name, srtpc_suite *out);   /* 0 or EINVAL */
size_t      srtpc_master_key_len(srtpc_suite s);    /* 16 or 32 */
size_t      srtpc_master_salt_len(srtpc_suite s);   /* 14 (CM) or 12 (GCM) */
size_t      srtpc_overhead(srtpc_suite s);          /* max bytes added to RTP */

/* key: master key followed by master salt (the SDES inline key). 0, or an
 * errno. replay_window: 64..32768 (0 means 128). */
int  srtpc_new(srtpc **out, srtpc_suite suite, const uint8_t *key, size_t key_len,
	       unsigned replay_window);
void srtpc_free(srtpc *c);

/* In place; *len grows by the tag on protect and shrinks on unprotect.
 * cap is the buffer's size. */
srtpc_status srtpc_protect(srtpc *c, uint8_t *pkt, size_t *len, size_t cap);
srtpc_status srtpc_unprotect(srtpc *c, uint8_t *pkt, size_t *len);
srtpc_status srtpc_protect_rtcp(srtpc *c, uint8_t *pkt, size_t *len, size_t cap);
srtpc_status srtpc_unprotect_rtcp(srtpc *c, uint8_t *pkt, size_t *len);

/* Fresh random key material for a suite (key || salt), from the OS CSPRNG. */
int srtpc_random_key(srtpc_suite s, uint8_t *out, size_t out_len);

#endif
