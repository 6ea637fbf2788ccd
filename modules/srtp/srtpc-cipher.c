/* srtpc cipher: AES-CM keystream and AES-GCM on the keyed EVP contexts of a
 * context, re-armed per packet with a new IV only (EVP_CipherInit_ex with no
 * cipher and no key keeps the key schedule: nothing is allocated). The GCM
 * tag is compared by OpenSSL in constant time; on a mismatch the decrypted
 * bytes are wiped so no unauthenticated plaintext reaches the caller. */
#include "srtpc-int.h"
#include <string.h>
#include <openssl/crypto.h>

bool srtpc_cm_xor(const srtpc_keys *k, const uint8_t iv[16], uint8_t *p, size_t n)
{
	int outl = 0;
	if (!EVP_CipherInit_ex(k->cipher, NULL, NULL, NULL, iv, 1))
		return false;
	return n == 0 || (EVP_CipherUpdate(k->cipher, p, &outl, p, (int)n) && outl == (int)n);
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
