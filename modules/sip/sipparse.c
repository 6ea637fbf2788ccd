/* Parsing of ours on top of libre's decoder, pure (no module state, no
 * network), so the fuzz harness (tests/fuzz/fuzz_sip.c) drives exactly
 * what the module runs: Digest credentials, Contact expiry, CIDRs, and the
 * RFC 3261 8.2 request checks. */
#define G_LOG_DOMAIN "sip"
#include <string.h>
#include <arpa/inet.h>
#include "sipint-core.h"

#define AUTH_HDR_MAX 4096

/* ---- the Digest credentials parser (pure) ---- */

static void auth_skip_lws(struct pl *p)
{
	while (p->l && (*p->p == ' ' || *p->p == '\t' || *p->p == '\r' || *p->p == '\n')) {
		p->p++;
		p->l--;
	}
}

/* name=value where value is a token or a quoted string (the quotes are
 * stripped; escapes stay in place, which only matters to values we
 * compare byte-wise anyway). */
static int auth_param(struct pl *p, struct pl *name, struct pl *val)
{
	auth_skip_lws(p);
	name->p = p->p;
	while (p->l && *p->p != '=' && *p->p != ',' && *p->p != ' ' && *p->p != '\t') {
		p->p++;
		p->l--;
	}
	name->l = (size_t)(p->p - name->p);
	auth_skip_lws(p);
	if (name->l == 0 || !p->l || *p->p != '=')
		return EBADMSG;
	p->p++;
	p->l--;
	auth_skip_lws(p);
	if (p->l && *p->p == '"') {
		p->p++;
		p->l--;
		val->p = p->p;
		while (p->l && *p->p != '"') {
			if (*p->p == '\\' && p->l > 1) {
				p->p++;
				p->l--;
			}
			p->p++;
			p->l--;
		}
		if (!p->l)
			return EBADMSG;
		val->l = (size_t)(p->p - val->p);
		p->p++;
		p->l--;
	} else {
		val->p = p->p;
		while (p->l && *p->p != ',' && *p->p != ' ' && *p->p != '\t') {
			p->p++;
			p->l--;
		}
		val->l = (size_t)(p->p - val->p);
	}
	auth_skip_lws(p);
	if (p->l) {
		if (*p->p != ',')
			return EBADMSG;
		p->p++;
		p->l--;
	}
	return 0;
}

static struct pl *auth_field(sip_digest *d, const struct pl *name)
{
	static const struct { const char *n; size_t off; } f[] = {
		{ "username", offsetof(sip_digest, username) },
		{ "realm", offsetof(sip_digest, realm) },
		{ "nonce", offsetof(sip_digest, nonce) },
		{ "uri", offsetof(sip_digest, uri) },
		{ "response", offsetof(sip_digest, response) },
		{ "algorithm", offsetof(sip_digest, algorithm) },
		{ "cnonce", offsetof(sip_digest, cnonce) },
		{ "opaque", offsetof(sip_digest, opaque) },
		{ "qop", offsetof(sip_digest, qop) },
		{ "nc", offsetof(sip_digest, nc) },
	};
	for (gsize i = 0; i < G_N_ELEMENTS(f); i++)
		if (!pl_strcasecmp(name, f[i].n))
			return (struct pl *)((char *)d + f[i].off);
	return NULL;
}

int sip_digest_parse(const struct pl *hval, sip_digest *d)
{
	struct pl p, name, val;
	guint n = 0;

	memset(d, 0, sizeof(*d));
	if (!hval || !hval->p || hval->l > AUTH_HDR_MAX)
		return EBADMSG;
	p = *hval;
	auth_skip_lws(&p);
	if (p.l < 7 || g_ascii_strncasecmp(p.p, "Digest", 6) != 0 ||
	    (p.p[6] != ' ' && p.p[6] != '\t'))
		return ENOTSUP;
	p.p += 6;
	p.l -= 6;
	while (p.l) {
		int err = auth_param(&p, &name, &val);
		if (err || ++n > 32)
			return EBADMSG;
		struct pl *field = auth_field(d, &name);
		if (field == NULL)
			continue;
		if (field->p)
			return EBADMSG;     /* a parameter twice */
		*field = val;
		if (!field->p)
			field->p = "";
	}
	if (!pl_isset(&d->username) || !pl_isset(&d->realm) || !pl_isset(&d->nonce) ||
	    !pl_isset(&d->uri) || !pl_isset(&d->response))
		return EBADMSG;
	return 0;
}

gboolean sip_cidr_parse(const char *s, sip_cidr *out)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	gsize n = slash ? (gsize)(slash - s) : strlen(s);
	guint max;

	if (n == 0 || n >= sizeof(buf))
		return FALSE;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return FALSE;
	}
	out->bits = max;
	if (slash) {
		char *end = NULL;
		guint64 b = g_ascii_strtoull(slash + 1, &end, 10);

		if (end == slash + 1 || *end || b > max)
			return FALSE;
		out->bits = (guint)b;
	}
	return TRUE;
}

static gboolean sip_cidr_bits_equal(const guint8 *a, const guint8 *b, guint bits)
{
	guint whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return FALSE;
	if (rest == 0)
		return TRUE;
	guint8 mask = (guint8)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

gboolean sip_cidr_match(const sip_cidr *c, const struct sa *sa)
{
	if (c->family == AF_INET && sa_af(sa) == AF_INET) {
		guint32 ip = htonl(sa_in(sa));
		return sip_cidr_bits_equal(c->addr, (const guint8 *)&ip, c->bits);
	}
	if (c->family == AF_INET6 && sa_af(sa) == AF_INET6)
		return sip_cidr_bits_equal(c->addr, sa->u.in6.sin6_addr.s6_addr, c->bits);
	return FALSE;
}

static gint64 reg_delta_seconds(const struct pl *v)
{
	if (v->l == 0 || v->l > 10)
		return -1;
	for (size_t i = 0; i < v->l; i++)
		if (!g_ascii_isdigit(v->p[i]))
			return -1;
	return (gint64)pl_u64(v);
}

gint64 sip_reg_expires(const struct sip_addr *contact, const struct pl *hdr_expires, guint def)
{
	struct pl v = PL_INIT;

	if (contact && msg_param_decode(&contact->params, "expires", &v) == 0)
		return reg_delta_seconds(&v);
	if (hdr_expires && pl_isset(hdr_expires))
		return reg_delta_seconds(hdr_expires);
	return def;
}

static bool sip_count_hdr(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	(void)hdr; (void)msg;
	return ++*(guint *)arg > 1;
}

/* Headers that RFC 3261 7.3 allows once (RFC 4475 mcl01, multi01). */
static gboolean sip_duplicate_single(const struct sip_msg *msg)
{
	static const enum sip_hdrid once[] = {
		SIP_HDR_CONTENT_LENGTH, SIP_HDR_CSEQ, SIP_HDR_CALL_ID, SIP_HDR_FROM,
		SIP_HDR_TO, SIP_HDR_MAX_FORWARDS, SIP_HDR_CONTENT_TYPE, SIP_HDR_EXPIRES
	};
	for (gsize i = 0; i < G_N_ELEMENTS(once); i++) {
		guint n = 0;
		sip_msg_hdr_apply(msg, true, once[i], sip_count_hdr, &n);
		if (n > 1)
			return TRUE;
	}
	return FALSE;
}

/* RFC 3261 8.2.1-8.2.2 (see sipint-core.h) */
uint16_t sip_request_check(const struct sip_msg *msg, const char **reason, char *hdrs,
			   size_t hlen)
{
	hdrs[0] = '\0';
	if (pl_strcmp(&msg->ver, "SIP/2.0") != 0) {
		*reason = "Version Not Supported";
		return 505;
	}
	if (pl_strcasecmp(&msg->uri.scheme, "sip") && pl_strcasecmp(&msg->uri.scheme, "sips") &&
	    pl_strcasecmp(&msg->uri.scheme, "tel")) {
		*reason = "Unsupported URI Scheme";
		return 416;
	}
	if (pl_cmp(&msg->cseq.met, &msg->met) != 0) {
		*reason = "CSeq Method Mismatch";
		return 400;
	}
	if (!pl_isset(&msg->callid) || !pl_isset(&msg->from.auri) || !pl_isset(&msg->to.auri)) {
		*reason = "Missing Mandatory Header";
		return 400;
	}
	if (sip_duplicate_single(msg)) {
		*reason = "Duplicate Header";
		return 400;
	}
	if (pl_isset(&msg->maxfwd) && pl_u32(&msg->maxfwd) == 0 &&
	    pl_strcmp(&msg->met, "OPTIONS") && pl_strcmp(&msg->met, "REGISTER")) {
		*reason = "Too Many Hops";
		return 483;
	}
	const struct sip_hdr *req = sip_msg_hdr(msg, SIP_HDR_REQUIRE);
	if (req && pl_strcmp(&msg->met, "CANCEL") && pl_strcmp(&msg->met, "ACK")) {
		g_snprintf(hdrs, hlen, "Unsupported: %.*s\r\n", (int)MIN(req->val.l, 256),
			   req->val.p);
		*reason = "Bad Extension";
		return 420;
	}
	return 0;
}

