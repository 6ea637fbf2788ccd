/* Test entries into srtpc (modules/srtp/srtpc*.c), for tests/unit/test_srtpc.c
 * and the fuzz harness only: the key derivation alone, a context keyed with
 * given session keys (to replay RFC 3711 B.2 and RFC 7714 16/17 vectors
 * through the packet path), and the key-usage counters. */
#ifndef SRTPC_TEST_H
#define SRTPC_TEST_H

#include "srtpc.h"

/* RFC 3711 4.3: n bytes of the session key for label from a master key (16
 * or 32 bytes) and master salt (14, or 12 for GCM). 0, EINVAL or EIO. */
int srtpc_test_kdf(const uint8_t *key, size_t key_len, const uint8_t *salt,
		   size_t salt_len, uint8_t label, uint8_t *out, size_t n);

/* A context whose RTP and RTCP halves both use this session key, salt (14
 * bytes CM, 12 GCM) and, for CM, 20-byte auth key (NULL for GCM). */
int srtpc_test_new_session(srtpc **out, srtpc_suite suite, const uint8_t *key,
			   const uint8_t *salt, const uint8_t *auth, unsigned replay_window);

/* Packets already counted against the master key's limits. */
void srtpc_test_set_usage(srtpc *c, uint64_t rtp_used, uint64_t rtcp_used);

/* Marks SRTCP index last as used for ssrc (protect continues at last + 1). */
int srtpc_test_set_rtcp_index(srtpc *c, uint32_t ssrc, uint32_t last);
/* Marks SRTP packet index last (ROC << 16 | SEQ, < 2^48) as the highest seen
 * for ssrc. */
int srtpc_test_set_rtp_index(srtpc *c, uint32_t ssrc, uint64_t last);

#endif
