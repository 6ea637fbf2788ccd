/* libFuzzer harness for srtpc's packet path (modules/srtp/srtpc*.c). The
 * first input byte picks the suite (bits 0-1) and the operation (bits 2-3):
 * unprotect of arbitrary bytes, unprotect_rtcp of arbitrary bytes, or
 * protect / protect_rtcp of arbitrary bytes followed by the unprotect of
 * the result on a receiving context, which must give the input back. The
 * rest is the packet. Keys are fixed, contexts fresh per input, so every
 * input replays alike. Built with -DSRTPC_FUZZ_SEEDS it is instead a
 * program writing the seed corpus (real packets) into the directory argv[1]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srtpc.h"

static const uint8_t fuzz_key[46] = {
	0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde,
	0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a,
	0xab, 0xe6, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
	0x0d, 0x0e, 0x0f, 0x10,
};

static srtpc *fuzz_ctx(srtpc_suite s)
{
	srtpc *c = NULL;
	size_t kl = srtpc_master_key_len(s) + srtpc_master_salt_len(s);
	if (srtpc_new(&c, s, fuzz_key, kl, 0) != 0)
		abort();
	return c;
}

/* Protect then unprotect on a second context: the input must come back. */
static void roundtrip(srtpc_suite s, int rtcp, uint8_t *buf, size_t len, size_t cap)
{
	srtpc *tx = fuzz_ctx(s), *rx = fuzz_ctx(s);
	uint8_t *orig = malloc(len ? len : 1);
	if (!orig)
		abort();
	memcpy(orig, buf, len);
	size_t n = len;
	srtpc_status rc = rtcp ? srtpc_protect_rtcp(tx, buf, &n, cap) : srtpc_protect(tx, buf, &n, cap);
	if (rc == SRTPC_OK) {
		rc = rtcp ? srtpc_unprotect_rtcp(rx, buf, &n) : srtpc_unprotect(rx, buf, &n);
		if (rc != SRTPC_OK || n != len || memcmp(buf, orig, len) != 0)
			abort();
	} else if (n != len) {
		abort();       /* a refused packet keeps its length */
	}
	free(orig);
	srtpc_free(tx);
	srtpc_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	srtpc_suite s = (srtpc_suite)(SRTPC_AES_CM_128_HMAC_SHA1_80 + (data[0] & 3));
	int op = (data[0] >> 2) & 3;
	size_t len = size - 1, cap = len + 32;
	uint8_t *buf = malloc(cap);
	if (!buf)
		abort();
	memcpy(buf, data + 1, len);
	if (op >= 2) {
		roundtrip(s, op == 3, buf, len, cap);
	} else {
		srtpc *rx = fuzz_ctx(s);
		size_t n = len;
		srtpc_status rc = op ? srtpc_unprotect_rtcp(rx, buf, &n) : srtpc_unprotect(rx, buf, &n);
		if (n > len || (rc != SRTPC_OK && n != len))
			abort();
		srtpc_free(rx);
	}
	free(buf);
	return 0;
}

#ifdef SRTPC_FUZZ_SEEDS
static void seed(const char *dir, const char *name, uint8_t sel, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fputc(sel, f) == EOF || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const uint8_t rtp[] = {
		0x90, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0x11, 0x22, 0x33, 0x44,
		0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,
		0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5, 0xd5,
	};
	static const uint8_t rtcp[] = {
		0x80, 0xc8, 0x00, 0x06, 0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8,
		9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	};
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (int s = 0; s < 4; s++) {
		uint8_t b[128];
		char name[64];
		size_t n = sizeof(rtp);
		srtpc *c = fuzz_ctx((srtpc_suite)(SRTPC_AES_CM_128_HMAC_SHA1_80 + s));
		memcpy(b, rtp, n);
		if (srtpc_protect(c, b, &n, sizeof(b)) != SRTPC_OK)
			return 1;
		snprintf(name, sizeof(name), "srtp-%d", s);
		seed(argv[1], name, (uint8_t)s, b, n);
		snprintf(name, sizeof(name), "rtp-%d", s);
		seed(argv[1], name, (uint8_t)(s | 8), rtp, sizeof(rtp));
		n = sizeof(rtcp);
		memcpy(b, rtcp, n);
		if (srtpc_protect_rtcp(c, b, &n, sizeof(b)) != SRTPC_OK)
			return 1;
		snprintf(name, sizeof(name), "srtcp-%d", s);
		seed(argv[1], name, (uint8_t)(s | 4), b, n);
		snprintf(name, sizeof(name), "rtcp-%d", s);
		seed(argv[1], name, (uint8_t)(s | 12), rtcp, sizeof(rtcp));
		srtpc_free(c);
	}
	return 0;
}
#endif
