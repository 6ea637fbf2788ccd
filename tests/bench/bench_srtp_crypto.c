/* bench srtp-crypto: the raw cost of SRTP on one core, no I/O: protect then
 * unprotect of the same 160-byte G.711 packets (12-byte header), in order,
 * for each candidate and suite: srtpc (ours, OpenSSL), Debian's libsrtp2
 * (NSS backend) and libre 1.1.0's srtp (OpenSSL). Packets are built outside
 * the timed loops, in batches. Each unprotected packet is compared with
 * what was sent, so a broken candidate cannot look fast. Prints one line:
 * NAME_SUITE_ns = protect + unprotect per packet, and calls per core for a
 * G.711 SRTP<->SRTP relay (1e9 / (ns x 100): 2 directions x 50 packets/s,
 * each unprotected and protected once). Optional argument: packets per case
 * (default 1,000,000). Timed in thread CPU time, so that other load on a
 * shared machine inflates the figures less. Figures only, no verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srtp2/srtp.h>
#include <re.h>
#include "srtpc.h"

#define BATCH 1024
#define HDR 12
#define PAYLOAD 160
#define SLOT 256

typedef struct {
	const char *tag;
	srtpc_suite suite;
	void (*lib_set)(srtp_crypto_policy_t *);
	int re_suite;
} suite_case;

static const suite_case cases[] = {
	{ "cm80", SRTPC_AES_CM_128_HMAC_SHA1_80, srtp_crypto_policy_set_rtp_default,
	  SRTP_AES_CM_128_HMAC_SHA1_80 },
	{ "cm32", SRTPC_AES_CM_128_HMAC_SHA1_32, srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
	  SRTP_AES_CM_128_HMAC_SHA1_32 },
	{ "gcm128", SRTPC_AEAD_AES_128_GCM, srtp_crypto_policy_set_aes_gcm_128_16_auth,
	  SRTP_AES_128_GCM },
	{ "gcm256", SRTPC_AEAD_AES_256_GCM, srtp_crypto_policy_set_aes_gcm_256_16_auth,
	  SRTP_AES_256_GCM },
};

/* One candidate: open sender and receiver, seal and open n bytes in place. */
typedef struct {
	const char *name;
	int (*open)(const suite_case *sc, const uint8_t *key, void **tx, void **rx);
	int (*seal)(void *tx, uint8_t *p, size_t *len);
	int (*unseal)(void *rx, uint8_t *p, size_t *len);
	void (*close)(void *tx, void *rx);
} candidate;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* ---- srtpc ---- */
static int c_open(const suite_case *sc, const uint8_t *key, void **tx, void **rx)
{
	size_t kl = srtpc_master_key_len(sc->suite) + srtpc_master_salt_len(sc->suite);
	return srtpc_new((srtpc **)tx, sc->suite, key, kl, 128) ||
		srtpc_new((srtpc **)rx, sc->suite, key, kl, 128);
}
static int c_seal(void *tx, uint8_t *p, size_t *len) { return srtpc_protect(tx, p, len, SLOT); }
static int c_unseal(void *rx, uint8_t *p, size_t *len) { return srtpc_unprotect(rx, p, len); }
static void c_close(void *tx, void *rx) { srtpc_free(tx); srtpc_free(rx); }

/* ---- libsrtp2 ---- */
static int l_open(const suite_case *sc, const uint8_t *key, void **tx, void **rx)
{
	for (int dir = 0; dir < 2; dir++) {
		srtp_policy_t pol;
		memset(&pol, 0, sizeof(pol));
		sc->lib_set(&pol.rtp);
		sc->lib_set(&pol.rtcp);
		pol.ssrc.type = dir ? ssrc_any_inbound : ssrc_any_outbound;
		pol.key = (uint8_t *)key;
		pol.window_size = 128;
		if (srtp_create((srtp_t *)(dir ? rx : tx), &pol) != srtp_err_status_ok)
			return -1;
	}
	return 0;
}
static int l_seal(void *tx, uint8_t *p, size_t *len)
{
	int l = (int)*len, rc = srtp_protect(tx, p, &l);
	*len = (size_t)l;
	return rc;
}
static int l_unseal(void *rx, uint8_t *p, size_t *len)
{
	int l = (int)*len, rc = srtp_unprotect(rx, p, &l);
	*len = (size_t)l;
	return rc;
}
static void l_close(void *tx, void *rx)
{
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
}

/* ---- libre: an mbuf over the caller's buffer, no copy ---- */
static int r_open(const suite_case *sc, const uint8_t *key, void **tx, void **rx)
{
	size_t kl = srtpc_master_key_len(sc->suite) + srtpc_master_salt_len(sc->suite);
	return srtp_alloc((struct srtp **)tx, sc->re_suite, key, kl, 0) ||
		srtp_alloc((struct srtp **)rx, sc->re_suite, key, kl, 0);
}
static int r_run(void *s, uint8_t *p, size_t *len, int seal)
{
	struct mbuf mb = { .buf = p, .size = SLOT, .pos = 0, .end = *len };
	int rc = seal ? srtp_encrypt(s, &mb) : srtp_decrypt(s, &mb);
	*len = mb.end;
	return rc;
}
static int r_seal(void *tx, uint8_t *p, size_t *len) { return r_run(tx, p, len, 1); }
static int r_unseal(void *rx, uint8_t *p, size_t *len) { return r_run(rx, p, len, 0); }
static void r_close(void *tx, void *rx) { mem_deref(tx); mem_deref(rx); }

static const candidate candidates[] = {
	{ "srtpc", c_open, c_seal, c_unseal, c_close },
	{ "libsrtp2", l_open, l_seal, l_unseal, l_close },
	{ "libre", r_open, r_seal, r_unseal, r_close },
};

static void build(uint8_t *p, uint32_t seq)
{
	memset(p, 0, HDR);
	p[0] = 0x80;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(seq >> 24);   /* timestamp: anything */
	memcpy(p + 8, "\x11\x22\x33\x44", 4);
	memset(p + HDR, 0xd5, PAYLOAD);
	p[HDR] = (uint8_t)seq;
}

typedef struct {
	void *tx, *rx;
	double ns;          /* total; -1: unavailable or wrong */
	uint32_t seq;
} run_state;

/* One batch of b packets through candidate cd: seal all, open all, check. */
static void batch(const candidate *cd, run_state *rs, int b, uint8_t *bufs)
{
	size_t lens[BATCH];
	uint8_t ref[SLOT];
	for (int i = 0; i < b; i++) {
		build(bufs + (size_t)i * SLOT, rs->seq + (uint32_t)i);
		lens[i] = HDR + PAYLOAD;
	}
	double t0 = now_ns();
	for (int i = 0; i < b; i++)
		if (cd->seal(rs->tx, bufs + (size_t)i * SLOT, &lens[i]))
			goto fail;
	for (int i = 0; i < b; i++)
		if (cd->unseal(rs->rx, bufs + (size_t)i * SLOT, &lens[i]))
			goto fail;
	rs->ns += now_ns() - t0;
	build(ref, rs->seq + (uint32_t)b - 1);
	if (lens[b - 1] != HDR + PAYLOAD || memcmp(ref, bufs + (size_t)(b - 1) * SLOT, HDR + PAYLOAD))
		goto fail;
	rs->seq += (uint32_t)b;
	return;
fail:
	fprintf(stderr, "bench srtp-crypto: %s: protect/unprotect failed or altered the packet\n",
		cd->name);
	rs->ns = -1;
}

/* The candidates take turns batch by batch, so that load from elsewhere on
 * the machine falls on all of them alike. ns[c]: per packet, or -1. */
static void run_suite(const suite_case *sc, long npkts, uint8_t *bufs, double *ns)
{
	enum { NC = sizeof(candidates) / sizeof(candidates[0]) };
	run_state rs[NC];
	uint8_t key[46];
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 3);
	for (size_t c = 0; c < NC; c++) {
		rs[c] = (run_state){ .seq = 1 };
		if (candidates[c].open(sc, key, &rs[c].tx, &rs[c].rx))
			rs[c].ns = -1;
	}
	for (long done = 0; done < npkts; done += BATCH) {
		int b = npkts - done < BATCH ? (int)(npkts - done) : BATCH;
		for (size_t c = 0; c < NC; c++)
			if (rs[c].ns >= 0)
				batch(&candidates[c], &rs[c], b, bufs);
	}
	for (size_t c = 0; c < NC; c++) {
		candidates[c].close(rs[c].tx, rs[c].rx);
		ns[c] = rs[c].ns < 0 ? -1 : rs[c].ns / npkts;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	if (n < BATCH)
		n = BATCH;
	uint8_t *bufs = malloc((size_t)BATCH * SLOT);
	if (!bufs || srtp_init() != srtp_err_status_ok || libre_init()) {
		fprintf(stderr, "bench srtp-crypto: cannot initialise\n");
		return 1;
	}
	enum { NS = sizeof(cases) / sizeof(cases[0]), NC = sizeof(candidates) / sizeof(candidates[0]) };
	double ns[NS][NC];
	char line[2048];
	size_t off = (size_t)snprintf(line, sizeof(line), "bench srtp-crypto: packets=%ld payload=%d",
				      n, PAYLOAD);
	for (size_t s = 0; s < NS; s++) {
		run_suite(&cases[s], n, bufs, ns[s]);
		for (size_t c = 0; c < NC; c++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						ns[s][c] < 0 ? " %s_%s_ns=nan" : " %s_%s_ns=%.0f",
						candidates[c].name, cases[s].tag, ns[s][c]);
	}
	for (size_t s = 0; s < NS; s += 2)     /* cm80 and gcm128 */
		for (size_t c = 0; c < NC; c++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
						ns[s][c] <= 0 ? " calls_per_core_%s_%s=nan" :
						" calls_per_core_%s_%s=%.0f", candidates[c].name,
						cases[s].tag, 1e9 / (ns[s][c] * 100));
	printf("%s\n", line);
	libre_close();
	srtp_shutdown();
	free(bufs);
	return 0;
}
