/* libFuzzer harness: arbitrary bytes as an SDP offer or answer, through the
 * media anchor's reader (modules/srtp/sdp.c) and writer (sdpwrite.c). A
 * refusal must come with a reason; what the writer makes of an accepted
 * description must read back with the same media sections (unless the
 * added relay lines push it over the size or line bounds). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "../../modules/srtp/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sdp_roundtrip(const bw_sdp *s)
{
	bw_sdp_crypto c = { .tag = 1, .suite = SRTPC_AES_CM_128_HMAC_SHA1_80, .key_len = 30 };
	bw_sdp_out out[BW_SDP_MAX_MEDIA];
	for (guint i = 0; i < BW_SDP_MAX_MEDIA; i++)
		out[i] = (bw_sdp_out){ 40000 + 2 * i, i % 2 ? 0 : 40001 + 2 * i, TRUE, i % 2,
				       &c, 1 };
	char *w = bw_sdp_write(s, "192.0.2.1", out);
	bw_sdp r;
	char why[256] = "";
	if (bw_sdp_parse(w, &r, why, sizeof why) == 0) {
		if (r.n_media != s->n_media)
			g_error("fuzz_sdp: %u media sections became %u", s->n_media, r.n_media);
		for (guint i = 0; i < r.n_media; i++)
			if (r.media[i].rtp && r.media[i].n_crypto != 1)
				g_error("fuzz_sdp: media %u lost its crypto line", i);
	} else if (!strstr(why, "lines") && !strstr(why, "larger")) {
		g_error("fuzz_sdp: the writer's output does not read back: %s", why);
	}
	bw_sdp_clear(&r);
	g_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	bw_sdp s;
	char why[256] = "";
	if (bw_sdp_parse(text, &s, why, sizeof why) == 0) {
		for (guint i = 0; i < s.n_media; i++)
			(void)bw_sdp_crypto_first(&s.media[i]);
		fuzz_sdp_roundtrip(&s);
	} else if (!why[0]) {
		g_error("fuzz_sdp: refused without a reason");
	}
	bw_sdp_clear(&s);
	g_free(text);
	return 0;
}
