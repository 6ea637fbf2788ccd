/* SDP direction helpers for the B2BUA (see calls.h).
 *
 * libre's sipsess wants the answer to a re-INVITE at once, while the other
 * leg's answer comes later; so a leg answers a hold/resume offer itself
 * from what it last relayed, with the complementary direction, and the
 * offer still travels on to the other party. Line-based: only a=
 * direction lines and the o= version are touched, the rest is kept. */
#include <string.h>
#include <stdlib.h>
#include "calls.h"

static const char *const sip_sdp_dir_names[] = {
	"sendrecv", "sendonly", "recvonly", "inactive"
};

static int sip_sdp_dir_of_line(const char *line, gsize len)
{
	for (guint i = 0; i < G_N_ELEMENTS(sip_sdp_dir_names); i++) {
		gsize n = strlen(sip_sdp_dir_names[i]);

		if (len == n + 2 && strncmp(line, "a=", 2) == 0 &&
		    strncmp(line + 2, sip_sdp_dir_names[i], n) == 0)
			return (int) i;
	}
	return -1;
}

/* Length of the line at p without its CR/LF; *next is the next line. */
static gsize sip_sdp_line(const char *p, const char **next)
{
	const char *e = strchr(p, '\n');
	gsize len;

	if (e == NULL) {
		len = strlen(p);
		*next = p + len;
	} else {
		len = (gsize) (e - p);
		*next = e + 1;
	}
	if (len > 0 && p[len - 1] == '\r')
		len--;
	return len;
}

sip_sdp_dir sip_sdp_direction(const char *sdp)
{
	const char *p = sdp, *next;

	while (p && *p) {
		gsize len = sip_sdp_line(p, &next);
		int d = sip_sdp_dir_of_line(p, len);

		if (d >= 0)
			return (sip_sdp_dir) d;
		p = next;
	}
	return SIP_DIR_SENDRECV;
}

sip_sdp_dir sip_sdp_dir_answer(sip_sdp_dir offer)
{
	switch (offer) {
	case SIP_DIR_SENDONLY:
		return SIP_DIR_RECVONLY;
	case SIP_DIR_RECVONLY:
		return SIP_DIR_SENDONLY;
	case SIP_DIR_INACTIVE:
		return SIP_DIR_INACTIVE;
	default:
		return SIP_DIR_SENDRECV;
	}
}

/* "o=user id version net type addr": raise version by one. */
static void sip_sdp_append_origin(GString *out, const char *line, gsize len)
{
	g_autofree char *copy = g_strndup(line, len);
	g_auto(GStrv) tok = g_strsplit(copy, " ", 0);

	if (g_strv_length(tok) >= 6) {
		guint64 v = g_ascii_strtoull(tok[2], NULL, 10);
		g_autofree char *nv = g_strdup_printf("%" G_GUINT64_FORMAT, v + 1);

		g_free(tok[2]);
		tok[2] = g_steal_pointer(&nv);
		g_autofree char *joined = g_strjoinv(" ", tok);
		g_string_append(out, joined);
	} else {
		g_string_append_len(out, line, (gssize) len);
	}
	g_string_append(out, "\r\n");
}

char *sip_sdp_with_direction(const char *base, sip_sdp_dir dir)
{
	const char *p = base, *next;
	bool in_media = false;
	GString *out;

	if (base == NULL || strncmp(base, "v=", 2) != 0)
		return NULL;
	out = g_string_sized_new(strlen(base) + 32);
	while (*p) {
		gsize len = sip_sdp_line(p, &next);
		bool is_m = len >= 2 && strncmp(p, "m=", 2) == 0;

		/* the direction closes each media section (a= lines come last) */
		if (is_m && in_media)
			g_string_append_printf(out, "a=%s\r\n", sip_sdp_dir_names[dir]);
		in_media = in_media || is_m;
		if (sip_sdp_dir_of_line(p, len) < 0 && len > 0) {
			if (len >= 2 && strncmp(p, "o=", 2) == 0) {
				sip_sdp_append_origin(out, p, len);
			} else {
				g_string_append_len(out, p, (gssize) len);
				g_string_append(out, "\r\n");
			}
		}
		p = next;
	}
	if (in_media)
		g_string_append_printf(out, "a=%s\r\n", sip_sdp_dir_names[dir]);
	return g_string_free(out, FALSE);
}
