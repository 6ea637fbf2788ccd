/* srtpc keys: the RFC 3711 4.3 key derivation (AES-CM PRF, kdr 0; AES-256
 * for 32-byte master keys as in RFC 6188 / RFC 7714 11) and HMAC-SHA1 for
 * the SRTP/SRTCP tags.
 *
 * HMAC works on SHA_CTX copies (a struct assignment) of the states after the
 * inner and outer padded keys: OpenSSL 3.0's EVP_MD_CTX_copy_ex and
 * EVP_MAC_init allocate a provider context on every call, this allocates
 * nothing and skips two compressions per packet (measured in docs/srtp.md).
 * The low-level SHA1 functions are deprecated in OpenSSL 3 but still the
 * same assembly (SHA-NI) underneath. */
#include "srtpc-int.h"
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>

int srtpc_kdf(const uint8_t *key, size_t key_len, const uint8_t salt[SRTPC_SALT_MAX],
	      uint8_t label, uint8_t *out, size_t n)
{
	uint8_t iv[16] = { 0 };
	memcpy(iv, salt, SRTPC_SALT_MAX);
	iv[7] ^= label;           /* key_id = label || r, r = 0 (kdr 0) */
	memset(out, 0, n);
	const EVP_CIPHER *ctr = key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl = 0, ok = x && EVP_EncryptInit_ex(x, ctr, NULL, key, iv) &&
		EVP_EncryptUpdate(x, out, &outl, out, (int)n);
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(iv, sizeof(iv));
	return ok && outl == (int)n ? 0 : EIO;
}

void srtpc_hmac_init(srtpc_keys *k, const uint8_t key[20])
{
	uint8_t pad[SHA_CBLOCK];
	memset(pad, 0x36, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->ipad);
	SHA1_Update(&k->ipad, pad, sizeof(pad));
	memset(pad, 0x5c, sizeof(pad));
	for (int i = 0; i < 20; i++)
		pad[i] ^= key[i];
	SHA1_Init(&k->opad);
	SHA1_Update(&k->opad, pad, sizeof(pad));
	OPENSSL_cleanse(pad, sizeof(pad));
}

void srtpc_hmac(const srtpc_keys *k, const uint8_t *a, size_t alen,
		const uint8_t *b, size_t blen, uint8_t out[20])
{
	SHA_CTX s = k->ipad;
	SHA1_Update(&s, a, alen);
	if (blen)
		SHA1_Update(&s, b, blen);
	SHA1_Final(out, &s);
	s = k->opad;
	SHA1_Update(&s, out, 20);
	SHA1_Final(out, &s);
	explicit_bzero(&s, sizeof(s));   /* per packet: glibc's, not a byte loop */
}
