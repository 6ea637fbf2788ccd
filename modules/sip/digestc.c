/* Client digest (RFC 2617/8760) from a stored HA1 (see calls.h).
 *
 * libre's client authentication wants the secret itself; trunks keep only
 * HA1 (MD5 and/or SHA-256 of "user:realm:secret"), so responses to a
 * provider's 401/407 are computed here. qop=auth when offered, otherwise
 * the RFC 2069 form. auth-int is not supported (NULL). */
#include <string.h>
#include "calls.h"

void sip_digest_chall_clear(sip_digest_chall *c)
{
	g_clear_pointer(&c->realm, g_free);
	g_clear_pointer(&c->nonce, g_free);
	g_clear_pointer(&c->opaque, g_free);
	g_clear_pointer(&c->algorithm, g_free);
	g_clear_pointer(&c->qop, g_free);
	c->stale = false;
}

static char *sip_digest_hash(bool sha256, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static char *sip_digest_hash(bool sha256, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *text = NULL;

	va_start(ap, fmt);
	text = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return g_compute_checksum_for_string(sha256 ? G_CHECKSUM_SHA256 : G_CHECKSUM_MD5,
					     text, -1);
}

/* Does the comma-separated qop list offer "auth"? */
static bool sip_digest_qop_auth(const char *qop)
{
	g_auto(GStrv) v = g_strsplit(qop, ",", 0);

	for (guint i = 0; v[i]; i++)
		if (strcmp(g_strstrip(v[i]), "auth") == 0)
			return true;
	return false;
}

char *sip_digest_response(const sip_digest_chall *c, bool sha256, const char *user,
			  const char *ha1_hex, const char *method, const char *uri,
			  const char *cnonce, guint32 nc)
{
	g_autofree char *ha2 = NULL, *resp = NULL;
	bool qop = c->qop && *c->qop;
	GString *h;

	if (!c->nonce || !c->realm || !user || !ha1_hex || !method || !uri)
		return NULL;
	if (qop && !sip_digest_qop_auth(c->qop))
		return NULL;
	ha2 = sip_digest_hash(sha256, "%s:%s", method, uri);
	if (qop)
		resp = sip_digest_hash(sha256, "%s:%s:%08x:%s:auth:%s", ha1_hex, c->nonce, nc,
				       cnonce, ha2);
	else
		resp = sip_digest_hash(sha256, "%s:%s:%s", ha1_hex, c->nonce, ha2);
	h = g_string_new(NULL);
	g_string_append_printf(h, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
			       "uri=\"%s\", response=\"%s\", algorithm=%s",
			       user, c->realm, c->nonce, uri, resp, sha256 ? "SHA-256" : "MD5");
	if (qop)
		g_string_append_printf(h, ", cnonce=\"%s\", qop=auth, nc=%08x", cnonce, nc);
	if (c->opaque)
		g_string_append_printf(h, ", opaque=\"%s\"", c->opaque);
	return g_string_free(h, FALSE);
}
