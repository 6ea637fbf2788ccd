/* SDP reader of sdp.h: bounded in bytes, lines and media sections; every
 * refusal says which line and why (the caller answers 488 with it). Only
 * what the relay needs is interpreted; other lines are kept verbatim. */
#include "sdp.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int sdp_fail(char *reason, gsize len, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int sdp_fail(char *reason, gsize len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (reason && len)
		g_vsnprintf(reason, len, fmt, ap);
	va_end(ap);
	return EINVAL;
}

static gboolean sdp_uint(const char *s, guint max, guint *out)
{
	guint64 v = 0;
	if (!s || !*s)
		return FALSE;
	for (; *s; s++) {
		if (!g_ascii_isdigit(*s) || (v = v * 10 + (guint)(*s - '0')) > max)
			return FALSE;
	}
	*out = (guint)v;
	return TRUE;
}

/* "IN IP4 192.0.2.1" -> addr; refuses FQDNs longer than the buffer and
 * multicast TTL suffixes (the relay sends unicast only). */
static gboolean sdp_conn(const char *v, char *addr, gsize len)
{
	g_auto(GStrv) f = g_strsplit(v, " ", 4);
	if (g_strv_length(f) != 3 || strcmp(f[0], "IN") != 0 ||
	    (strcmp(f[1], "IP4") != 0 && strcmp(f[1], "IP6") != 0) ||
	    !*f[2] || strlen(f[2]) >= len || strchr(f[2], '/'))
		return FALSE;
	g_strlcpy(addr, f[2], len);
	return TRUE;
}

static gboolean sdp_b64_ok(const char *s, gsize n)
{
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/' && s[i] != '=')
			return FALSE;
	return n > 0 && n % 4 == 0;
}

/* "1 AES_CM_128_HMAC_SHA1_80 inline:KEY[|lifetime]": usable or not (an
 * unknown suite, an MKI or session parameters make a line unusable, not
 * the whole SDP wrong: the answerer simply picks another). */
static gboolean sdp_crypto_parse(const char *v, bw_sdp_crypto *c)
{
	g_auto(GStrv) f = g_strsplit(v, " ", 4);
	if (g_strv_length(f) != 3 || !sdp_uint(f[0], 999999999, &c->tag) ||
	    srtpc_suite_parse(f[1], &c->suite) != 0 || !g_str_has_prefix(f[2], "inline:"))
		return FALSE;
	const char *k = f[2] + 7;
	const char *bar = strchr(k, '|');
	gsize klen = bar ? (gsize)(bar - k) : strlen(k);
	if (bar && (strchr(bar + 1, ':') || strchr(bar + 1, '|')))
		return FALSE;   /* MKI: one key per direction is all we keep */
	gsize want = srtpc_master_key_len(c->suite) + srtpc_master_salt_len(c->suite);
	if (!sdp_b64_ok(k, klen) || klen > 4 * ((BW_SDP_KEY_MAX + 2) / 3) || want > BW_SDP_KEY_MAX)
		return FALSE;
	g_autofree char *b = g_strndup(k, klen);
	gsize n = 0;
	g_autofree guchar *raw = g_base64_decode(b, &n);
	if (n != want)
		return FALSE;
	memcpy(c->key, raw, n);
	c->key_len = n;
	return TRUE;
}

static int sdp_media_line(bw_sdp *s, guint i, const char *v, char *reason, gsize rl)
{
	if (s->n_media == BW_SDP_MAX_MEDIA)
		return sdp_fail(reason, rl, "line %u: more than %d media sections", i + 1,
				BW_SDP_MAX_MEDIA);
	bw_sdp_media *m = &s->media[s->n_media++];
	g_auto(GStrv) f = g_strsplit(v, " ", 4);
	if (g_strv_length(f) < 4 || strlen(f[0]) >= sizeof m->type ||
	    strlen(f[2]) >= sizeof m->proto || !sdp_uint(f[1], 65535, &m->port))
		return sdp_fail(reason, rl, "line %u: m= is not \"media port proto fmt...\"", i + 1);
	g_strlcpy(m->type, f[0], sizeof m->type);
	g_strlcpy(m->proto, f[2], sizeof m->proto);
	m->line = i;
	m->savp = !strcmp(m->proto, "RTP/SAVP") || !strcmp(m->proto, "RTP/SAVPF");
	m->avpf = g_str_has_suffix(m->proto, "AVPF");
	m->rtp = m->savp || !strcmp(m->proto, "RTP/AVP") || !strcmp(m->proto, "RTP/AVPF");
	return 0;
}

static int sdp_attr(bw_sdp_media *m, guint i, const char *v, char *reason, gsize rl)
{
	if (!strcmp(v, "rtcp-mux")) {
		m->mux = TRUE;
	} else if (g_str_has_prefix(v, "rtcp:")) {
		g_auto(GStrv) f = g_strsplit(v + 5, " ", 2);
		if (!sdp_uint(f[0], 65535, &m->rtcp_port) || m->rtcp_port == 0 ||
		    (f[1] && !sdp_conn(f[1], m->rtcp_addr, sizeof m->rtcp_addr)))
			return sdp_fail(reason, rl, "line %u: a=rtcp is not \"port [IN IP4 addr]\"", i + 1);
	} else if (g_str_has_prefix(v, "ptime:")) {
		if (!sdp_uint(v + 6, 1000, &m->ptime))
			return sdp_fail(reason, rl, "line %u: a=ptime is not 0-1000 ms", i + 1);
	} else if (g_str_has_prefix(v, "crypto:")) {
		m->n_crypto_lines++;
		if (m->n_crypto < BW_SDP_MAX_CRYPTO &&
		    sdp_crypto_parse(v + 7, &m->crypto[m->n_crypto]))
			m->n_crypto++;
	}
	return 0;
}

static int sdp_line(bw_sdp *s, guint i, char *session_addr, char *reason, gsize rl)
{
	const char *l = s->lines[i];
	if (!g_ascii_islower(l[0]) || l[1] != '=')
		return sdp_fail(reason, rl, "line %u: not \"x=value\"", i + 1);
	const char *v = l + 2;
	bw_sdp_media *m = s->n_media ? &s->media[s->n_media - 1] : NULL;
	if (i == 0 && strcmp(l, "v=0") != 0)
		return sdp_fail(reason, rl, "line 1: not \"v=0\"");
	if (l[0] == 'm')
		return sdp_media_line(s, i, v, reason, rl);
	if (l[0] == 'c' && !sdp_conn(v, m ? m->addr : session_addr, BW_SDP_ADDR_MAX))
		return sdp_fail(reason, rl, "line %u: c= is not \"IN IP4|IP6 address\"", i + 1);
	if (l[0] == 'a' && m)
		return sdp_attr(m, i, v, reason, rl);
	return 0;
}

static int sdp_finish(bw_sdp *s, const char *session_addr, char *reason, gsize rl)
{
	for (guint k = 0; k < s->n_media; k++) {
		bw_sdp_media *m = &s->media[k];
		m->end = k + 1 < s->n_media ? s->media[k + 1].line : s->n_lines;
		if (!m->addr[0])
			g_strlcpy(m->addr, session_addr, sizeof m->addr);
		if (m->port && m->rtp && !m->addr[0])
			return sdp_fail(reason, rl, "media %u (%s): no connection address (c=)",
					k + 1, m->type);
		if (!m->rtcp_port)
			m->rtcp_port = m->port ? (m->mux ? m->port : (m->port + 1) & 0xffff) : 0;
		if (!m->rtcp_addr[0])
			g_strlcpy(m->rtcp_addr, m->addr, sizeof m->rtcp_addr);
	}
	return 0;
}

static int sdp_parse_in(const char *text, bw_sdp *s, char *reason, gsize rl)
{
	if (!text || !*text)
		return sdp_fail(reason, rl, "empty SDP");
	gsize len = strnlen(text, BW_SDP_MAX_BYTES + 1);
	if (len > BW_SDP_MAX_BYTES)
		return sdp_fail(reason, rl, "SDP larger than %d bytes", BW_SDP_MAX_BYTES);
	for (gsize k = 0; k < len; k++)
		if ((guchar)text[k] < 0x20 && text[k] != '\r' && text[k] != '\n' && text[k] != '\t')
			return sdp_fail(reason, rl, "control character 0x%02x at byte %zu",
					(guchar)text[k], k);
	s->lines = g_strsplit(text, "\n", BW_SDP_MAX_LINES + 2);
	guint n = g_strv_length(s->lines);
	while (n && !*g_strchomp(s->lines[n - 1]))
		g_free(s->lines[--n]), s->lines[n] = NULL;   /* trailing CRLF */
	s->n_lines = n;
	if (n > BW_SDP_MAX_LINES)
		return sdp_fail(reason, rl, "more than %d lines", BW_SDP_MAX_LINES);
	char session_addr[BW_SDP_ADDR_MAX] = "";
	for (guint i = 0; i < n; i++) {
		g_strchomp(s->lines[i]);
		int rc = sdp_line(s, i, session_addr, reason, rl);
		if (rc)
			return rc;
	}
	if (!n)
		return sdp_fail(reason, rl, "empty SDP");
	if (!s->n_media)
		return sdp_fail(reason, rl, "no media section (m=)");
	return sdp_finish(s, session_addr, reason, rl);
}

int bw_sdp_parse(const char *text, bw_sdp *s, char *reason, gsize rl)
{
	memset(s, 0, sizeof *s);
	int rc = sdp_parse_in(text, s, reason, rl);
	if (rc)
		bw_sdp_clear(s);
	return rc;
}

void bw_sdp_clear(bw_sdp *s)
{
	for (guint i = 0; s->lines && s->lines[i]; i++)
		explicit_bzero(s->lines[i], strlen(s->lines[i]));   /* inline keys */
	g_strfreev(s->lines);
	explicit_bzero(s, sizeof *s);
}

const bw_sdp_crypto *bw_sdp_crypto_first(const bw_sdp_media *m)
{
	return m->n_crypto ? &m->crypto[0] : NULL;
}

const bw_sdp_crypto *bw_sdp_crypto_tag(const bw_sdp_media *m, guint tag)
{
	for (guint i = 0; i < m->n_crypto; i++)
		if (m->crypto[i].tag == tag)
			return &m->crypto[i];
	return NULL;
}
