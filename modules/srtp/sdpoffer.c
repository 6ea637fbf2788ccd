/* Originated offers of sdp.h (delayed offer): the module's codec list and
 * the one-section SDP template the anchor writes for a leg with its own
 * address, ports and crypto. Payload types are RFC 3551's static ones
 * where a codec has one, dynamic ones (96-127, telephone-event 101 when
 * free) otherwise, so every peer maps them the same way. */
#include "sdp.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

typedef struct sdp_static_pt {
	const char *name;
	guint rate, channels, pt;
} sdp_static_pt;

static const sdp_static_pt sdp_static[] = {
	{ "PCMU", 8000, 1, 0 }, { "GSM", 8000, 1, 3 }, { "G723", 8000, 1, 4 },
	{ "PCMA", 8000, 1, 8 }, { "G722", 8000, 1, 9 }, { "L16", 44100, 2, 10 },
	{ "L16", 44100, 1, 11 }, { "G729", 8000, 1, 18 },
};

static int sdp_codec_fail(char *reason, gsize rl, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int sdp_codec_fail(char *reason, gsize rl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (reason && rl)
		g_vsnprintf(reason, rl, fmt, ap);
	va_end(ap);
	return EINVAL;
}

static gboolean sdp_codec_name_ok(const char *s, gsize n)
{
	if (n == 0 || n >= BW_SDP_CODEC_NAME)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return FALSE;
	return TRUE;
}

static gboolean sdp_codec_pt_used(const bw_sdp_codec *c, guint n, guint pt)
{
	for (guint i = 0; i < n; i++)
		if (c[i].pt == pt)
			return TRUE;
	return FALSE;
}

/* "NAME/RATE[/CHANNELS]" */
static gboolean sdp_codec_one(const char *tok, bw_sdp_codec *c)
{
	char name[BW_SDP_CODEC_NAME + 1], tail = 0;
	guint rate = 0, ch = 1;
	const char *slash = strchr(tok, '/');
	if (!slash || !sdp_codec_name_ok(tok, (gsize)(slash - tok)) ||
	    strspn(slash + 1, "0123456789/") != strlen(slash + 1) ||
	    strspn(slash + 1, "0123456789") > 6)   /* %6u would cut a longer rate short */
		return FALSE;
	g_strlcpy(name, tok, (gsize)(slash - tok) + 1);
	int k = sscanf(slash + 1, "%6u/%2u%c", &rate, &ch, &tail);
	if ((k != 1 && k != 2) || rate < 1000 || rate > 192000 || ch < 1 || ch > 8 ||
	    !g_ascii_isdigit(slash[1]) || tok[strlen(tok) - 1] == '/')
		return FALSE;
	g_strlcpy(c->name, name, sizeof c->name);
	c->rate = rate;
	c->channels = ch;
	c->pt = 128;   /* not yet numbered */
	for (guint i = 0; i < G_N_ELEMENTS(sdp_static); i++)
		if (!g_ascii_strcasecmp(sdp_static[i].name, name) && sdp_static[i].rate == rate &&
		    sdp_static[i].channels == ch)
			c->pt = sdp_static[i].pt;
	return TRUE;
}

/* Dynamic numbers for the rest, telephone-event first at 101. */
static gboolean sdp_codecs_number(bw_sdp_codec *c, guint n)
{
	for (guint i = 0; i < n; i++)
		if (c[i].pt == 128 && !g_ascii_strcasecmp(c[i].name, "telephone-event") &&
		    !sdp_codec_pt_used(c, n, 101))
			c[i].pt = 101;
	guint next = 96;
	for (guint i = 0; i < n; i++) {
		while (c[i].pt == 128 && next < 128 && sdp_codec_pt_used(c, n, next))
			next++;
		if (c[i].pt == 128 && next == 128)
			return FALSE;
		if (c[i].pt == 128)
			c[i].pt = next++;
	}
	return TRUE;
}

int bw_sdp_codecs_parse(const char *list, bw_sdp_codec *out, guint *n_out, char *reason,
			gsize rl)
{
	g_auto(GStrv) toks = g_strsplit_set(list ? list : "", " ,\t\r\n", -1);
	guint n = 0;
	gboolean audio = FALSE;
	*n_out = 0;
	for (guint i = 0; toks[i]; i++) {
		if (!*toks[i])
			continue;
		if (n == BW_SDP_MAX_CODECS)
			return sdp_codec_fail(reason, rl, "more than %d codecs", BW_SDP_MAX_CODECS);
		if (!sdp_codec_one(toks[i], &out[n]))
			return sdp_codec_fail(reason, rl, "codec \"%.40s\" is not NAME/RATE[/CHANNELS] "
					      "(e.g. PCMU/8000; NAME of letters, digits, -_.; "
					      "RATE 1000-192000; CHANNELS 1-8)", toks[i]);
		for (guint k = 0; k < n; k++)
			if (!g_ascii_strcasecmp(out[k].name, out[n].name) &&
			    out[k].rate == out[n].rate && out[k].channels == out[n].channels)
				return sdp_codec_fail(reason, rl, "codec \"%.40s\" is listed twice",
						      toks[i]);
		audio |= g_ascii_strcasecmp(out[n].name, "telephone-event") != 0;
		n++;
	}
	if (!audio)
		return sdp_codec_fail(reason, rl, "the codec list names no audio codec "
				      "(telephone-event alone carries no voice)");
	if (!sdp_codecs_number(out, n))
		return sdp_codec_fail(reason, rl, "no dynamic payload type left (96-127)");
	*n_out = n;
	return 0;
}

char *bw_sdp_offer_text(const bw_sdp_codec *c, guint n, guint64 session_id)
{
	GString *o = g_string_sized_new(512);
	g_string_append_printf(o, "v=0\r\no=bulwark %" G_GUINT64_FORMAT " 1 IN IP4 0.0.0.0\r\n"
			       "s=bulwark\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP",
			       session_id);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(o, " %u", c[i].pt);
	g_string_append(o, "\r\n");
	for (guint i = 0; i < n; i++) {
		g_string_append_printf(o, "a=rtpmap:%u %s/%u", c[i].pt, c[i].name, c[i].rate);
		if (c[i].channels > 1)
			g_string_append_printf(o, "/%u", c[i].channels);
		g_string_append(o, "\r\n");
		if (!g_ascii_strcasecmp(c[i].name, "telephone-event"))
			g_string_append_printf(o, "a=fmtp:%u 0-16\r\n", c[i].pt);
	}
	g_string_append(o, "a=ptime:20\r\na=sendrecv\r\n");
	return g_string_free(o, FALSE);
}
