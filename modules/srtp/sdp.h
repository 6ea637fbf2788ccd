/* Internal to module srtp: a bounded SDP (RFC 4566) reader and rewriter
 * for the media anchor, with SDES (RFC 4568) a=crypto, rtcp-mux (RFC 5761)
 * and a=rtcp (RFC 3605).
 *
 * bw_sdp_parse keeps every line and records, per media section, what the
 * relay needs: the peer's address and ports, the profile, the usable
 * crypto offers/answers (suite known, inline key of the right length, no
 * MKI, no session parameters). bw_sdp_write emits the same description
 * with the relay's address, ports, profile and crypto in place of the
 * peer's; ICE and DTLS attributes are dropped (the relay anchors media). */
#ifndef BW_SDP_H
#define BW_SDP_H

#include <glib.h>
#include "srtpc.h"

#define BW_SDP_MAX_BYTES   16384
#define BW_SDP_MAX_LINES   256
#define BW_SDP_MAX_MEDIA   4
#define BW_SDP_MAX_CRYPTO  8
#define BW_SDP_KEY_MAX     46      /* 32-byte key + 14-byte salt */
#define BW_SDP_ADDR_MAX    64

typedef struct bw_sdp_crypto {
	guint tag;
	srtpc_suite suite;
	guint8 key[BW_SDP_KEY_MAX];   /* master key || master salt */
	gsize key_len;
} bw_sdp_crypto;

typedef struct bw_sdp_media {
	guint line, end;              /* m= line index, one past the section */
	char type[16];
	guint port;                   /* 0: disabled */
	char proto[24];
	gboolean rtp;                 /* RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF */
	gboolean savp, avpf;
	gboolean mux;                 /* a=rtcp-mux */
	char addr[BW_SDP_ADDR_MAX];   /* effective connection address */
	guint rtcp_port;              /* a=rtcp or port + 1 */
	char rtcp_addr[BW_SDP_ADDR_MAX];
	guint ptime;                  /* ms, 0 when not given */
	guint n_crypto_lines;         /* every a=crypto, usable or not */
	guint n_crypto;
	bw_sdp_crypto crypto[BW_SDP_MAX_CRYPTO];
} bw_sdp_media;

typedef struct bw_sdp {
	char **lines;                 /* without line ends */
	guint n_lines;
	guint n_media;
	bw_sdp_media media[BW_SDP_MAX_MEDIA];
} bw_sdp;

/* 0, or EINVAL with a reason naming the line and what is wrong (then
 * nothing is left to clear). */
int  bw_sdp_parse(const char *text, bw_sdp *out, char *reason, gsize reason_len);
void bw_sdp_clear(bw_sdp *s);

/* What to write for one media section. port 0 disables it. */
typedef struct bw_sdp_out {
	guint port;
	guint rtcp_port;              /* 0: no a=rtcp line */
	gboolean mux;                 /* write a=rtcp-mux */
	gboolean savp;                /* RTP/SAVP(F) instead of RTP/AVP(F) */
	const bw_sdp_crypto *crypto;  /* written in this order */
	guint n_crypto;
} bw_sdp_out;

/* A new SDP (g_free): s with addr ("IN IP4/IP6") and out[i] for media i. */
char *bw_sdp_write(const bw_sdp *s, const char *addr, const bw_sdp_out *out);

/* The first usable crypto line of m, or NULL. */
const bw_sdp_crypto *bw_sdp_crypto_first(const bw_sdp_media *m);
/* The crypto line of m with this tag, or NULL. */
const bw_sdp_crypto *bw_sdp_crypto_tag(const bw_sdp_media *m, guint tag);

/* ---- originated offers (sdpoffer.c): a delayed offer ----
 * The codecs offered when no party offered first, in preference order:
 * "NAME/RATE[/CHANNELS]" separated by spaces or commas (at most
 * BW_SDP_MAX_CODECS, at least one that is not telephone-event). Payload
 * types: RFC 3551's static ones (PCMU 0, GSM 3, G723 4, PCMA 8, G722 9,
 * L16 10/11, G729 18), otherwise dynamic from 96 (telephone-event 101). */
#define BW_SDP_MAX_CODECS  16
#define BW_SDP_CODEC_NAME  32
#define BW_SDP_CODECS_DEFAULT "PCMU/8000 PCMA/8000 G722/8000 telephone-event/8000"
typedef struct bw_sdp_codec {
	char name[BW_SDP_CODEC_NAME];
	guint rate, channels, pt;
} bw_sdp_codec;
/* 0, or EINVAL with a reason naming the entry at fault. */
int  bw_sdp_codecs_parse(const char *list, bw_sdp_codec *out, guint *n, char *reason,
			 gsize reason_len);
/* A one-section audio offer (g_free) listing the codecs, at 0.0.0.0 port
 * 9: a template that bw_sdp_parse reads and bw_sdp_write fills in. */
char *bw_sdp_offer_text(const bw_sdp_codec *codecs, guint n, guint64 session_id);

#endif
