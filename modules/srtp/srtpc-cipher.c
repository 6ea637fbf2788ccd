/* srtpc cipher: AES-CM keystream and AES-GCM on the keyed EVP contexts of a
 * context. AES-CM runs AES-ECB over counter blocks we build (RFC 3711 4.1.1:
 * IV with a 16-bit block counter) in 512-byte chunks: an ECB context needs
 * no re-arming, and OpenSSL 3's EVP_CipherInit_ex per packet (IV reset of a
 * CTR context: parameter lookups) cost 10-15 % of a protect+unprotect.
 * GCM is re-armed per packet with the IV only (no cipher, no key: the key
 * schedule is kept, nothing is allocated). The GCM
 * tag is compared by OpenSSL in constant time; on a mismatch the decrypted
 * bytes are wiped so no unauthenticated plaintext reaches the caller. */
#include "srtpc-int.h"
#include <string.h>
#include <openssl/crypto.h>

/* p ^= ks, eight bytes at a time (memcpy: p has no alignment); a byte loop
 * was about a fifth of a protect+unprotect's AES-CM time. */
static void cm_xor_words(uint8_t *p, const uint8_t *ks, size_t m)
{
	size_t i = 0;
	for (; i + 8 <= m; i += 8) {
		uint64_t a, b;
		memcpy(&a, p + i, 8);
		memcpy(&b, ks + i, 8);
		a ^= b;
		memcpy(p + i, &a, 8);
	}
	for (; i < m; i++)
		p[i] ^= ks[i];
}

bool srtpc_cm_xor(const srtpc_keys *k, const uint8_t iv[16], uint8_t *p, size_t n)
{
	uint8_t ctr[32 * 16], ks[32 * 16];
	uint32_t blk = 0;               /* < 2^16: packets are <= 64 KiB */
	size_t used = n < sizeof(ks) ? (n + 15) / 16 * 16 : sizeof(ks);
	while (n) {
		size_t nb = (n + 15) / 16;
		if (nb > 32)
			nb = 32;
		for (size_t b = 0; b < nb; b++, blk++) {
			memcpy(ctr + 16 * b, iv, 14);
			ctr[16 * b + 14] = (uint8_t)(blk >> 8);
			ctr[16 * b + 15] = (uint8_t)blk;
		}
		int outl = 0;
		if (!EVP_EncryptUpdate(k->cipher, ks, &outl, ctr, (int)(nb * 16)))
			return false;
		size_t m = n < nb * 16 ? n : nb * 16;
		cm_xor_words(p, ks, m);
		p += m;
		n -= m;
	}
	explicit_bzero(ks, used);       /* no keystream left on the stack (cheaper than
					 * OPENSSL_cleanse's byte loop, as sure) */
	return true;
}

static bool gcm_start(const srtpc_keys *k, const uint8_t iv[12], int enc, const uint8_t *aad,
		      size_t aadlen, const uint8_t *aad2, size_t aad2len)
{
	int outl = 0;
	if (!EVP_CipherInit_ex(k->cipher, NULL, NULL, NULL, iv, enc))
		return false;
	if (aadlen && !EVP_CipherUpdate(k->cipher, NULL, &outl, aad, (int)aadlen))
		return false;
	return aad2len == 0 || EVP_CipherUpdate(k->cipher, NULL, &outl, aad2, (int)aad2len);
}

bool srtpc_gcm_seal(const srtpc_keys *k, const uint8_t iv[12], const uint8_t *aad,
		    size_t aadlen, const uint8_t *aad2, size_t aad2len, uint8_t *p,
		    size_t n, uint8_t tag[SRTPC_GCM_TAG])
{
	int outl = 0;
	if (!gcm_start(k, iv, 1, aad, aadlen, aad2, aad2len))
		return false;
	if (n && (!EVP_CipherUpdate(k->cipher, p, &outl, p, (int)n) || outl != (int)n))
		return false;
	if (!EVP_CipherFinal_ex(k->cipher, p + n, &outl))
		return false;
	return EVP_CIPHER_CTX_ctrl(k->cipher, EVP_CTRL_GCM_GET_TAG, SRTPC_GCM_TAG, tag) == 1;
}

bool srtpc_gcm_open(const srtpc_keys *k, const uint8_t iv[12], const uint8_t *aad,
		    size_t aadlen, const uint8_t *aad2, size_t aad2len, uint8_t *p,
		    size_t n, const uint8_t tag[SRTPC_GCM_TAG])
{
	uint8_t t[SRTPC_GCM_TAG];
	int outl = 0;
	memcpy(t, tag, sizeof(t));
	bool ok = gcm_start(k, iv, 0, aad, aadlen, aad2, aad2len) &&
		(n == 0 || (EVP_CipherUpdate(k->cipher, p, &outl, p, (int)n) && outl == (int)n)) &&
		EVP_CIPHER_CTX_ctrl(k->cipher, EVP_CTRL_GCM_SET_TAG, SRTPC_GCM_TAG, t) == 1 &&
		EVP_CipherFinal_ex(k->cipher, p + n, &outl) == 1;
	if (!ok)
		OPENSSL_cleanse(p, n);
	return ok;
}
