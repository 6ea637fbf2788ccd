/* SDP writer of sdp.h: the parsed description with the relay in place of
 * the peer. What would let the two legs reach each other directly or pin
 * them to one transport (ICE candidates, DTLS fingerprints, the peer's
 * crypto and RTCP ports) is left out; everything else is copied. */
#include "sdp.h"
#include <string.h>

static const char *const sdp_dropped[] = {
	"a=crypto:", "a=rtcp:", "a=rtcp-mux", "a=candidate:", "a=ice-", "a=end-of-candidates",
	"a=remote-candidates", "a=fingerprint:", "a=setup:", "a=rtcp-rsize", NULL
};

static gboolean sdp_drop(const char *l)
{
	for (guint i = 0; sdp_dropped[i]; i++)
		if (g_str_has_prefix(l, sdp_dropped[i]))
			return TRUE;
	return FALSE;
}

static const char *sdp_family(const char *addr)
{
	return strchr(addr, ':') ? "IP6" : "IP4";
}

/* "o=user id version IN IP4 addr": the peer's address is replaced. */
static void sdp_write_origin(GString *o, const char *l, const char *addr)
{
	g_auto(GStrv) f = g_strsplit(l, " ", 7);
	if (g_strv_length(f) != 6) {
		g_string_append_printf(o, "%s\r\n", l);
		return;
	}
	g_string_append_printf(o, "%s %s %s IN %s %s\r\n", f[0], f[1], f[2],
			       sdp_family(addr), addr);
}

static void sdp_write_mline(GString *o, const bw_sdp_media *m, const bw_sdp_out *w,
			    const char *line)
{
	const char *fmts = line + 2;
	for (int k = 0; k < 3 && fmts; k++) {
		fmts = strchr(fmts, ' ');
		fmts = fmts ? fmts + 1 : NULL;
	}
	const char *proto = !m->rtp ? m->proto
			    : w->savp ? (m->avpf ? "RTP/SAVPF" : "RTP/SAVP")
			    : (m->avpf ? "RTP/AVPF" : "RTP/AVP");
	g_string_append_printf(o, "m=%s %u %s %s\r\n", m->type, w->port, proto,
			       fmts ? fmts : "0");
}

static void sdp_write_extra(GString *o, const bw_sdp_out *w, const char *addr)
{
	if (!w->port)
		return;
	if (w->rtcp_port)
		g_string_append_printf(o, "a=rtcp:%u IN %s %s\r\n", w->rtcp_port,
				       sdp_family(addr), addr);
	if (w->mux)
		g_string_append(o, "a=rtcp-mux\r\n");
	for (guint i = 0; i < w->n_crypto; i++) {
		const bw_sdp_crypto *c = &w->crypto[i];
		g_autofree char *k = g_base64_encode(c->key, c->key_len);
		g_string_append_printf(o, "a=crypto:%u %s inline:%s\r\n", c->tag,
				       srtpc_suite_name(c->suite), k);
	}
}

static gboolean sdp_has_c(const bw_sdp *s, guint from, guint to)
{
	for (guint i = from; i < to && i < s->n_lines; i++)
		if (s->lines[i][0] == 'c')
			return TRUE;
	return FALSE;
}

char *bw_sdp_write(const bw_sdp *s, const char *addr, const bw_sdp_out *out)
{
	gboolean session_c = sdp_has_c(s, 0, s->n_media ? s->media[0].line : s->n_lines);
	GString *o = g_string_sized_new(1024);
	guint k = 0;   /* media section of line i, + 1; 0 before the first */
	for (guint i = 0; i < s->n_lines; i++) {
		const char *l = s->lines[i];
		if (k < s->n_media && i == s->media[k].line) {
			if (k)
				sdp_write_extra(o, &out[k - 1], addr);
			sdp_write_mline(o, &s->media[k], &out[k], l);
			/* a section enabled here that had no address anywhere gets ours */
			if (out[k].port && !session_c &&
			    !sdp_has_c(s, s->media[k].line, s->media[k].end))
				g_string_append_printf(o, "c=IN %s %s\r\n", sdp_family(addr), addr);
			k++;
		} else if (l[0] == 'o') {
			sdp_write_origin(o, l, addr);
		} else if (l[0] == 'c') {
			g_string_append_printf(o, "c=IN %s %s\r\n", sdp_family(addr), addr);
		} else if (!sdp_drop(l)) {
			g_string_append_printf(o, "%s\r\n", l);
		}
	}
	if (k)
		sdp_write_extra(o, &out[k - 1], addr);
	return g_string_free(o, FALSE);
}
