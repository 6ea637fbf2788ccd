/* Digest authentication for requests to us (RFC 3261 22, RFC 7616,
 * RFC 8760): qop=auth with MD5 and SHA-256; a challenge offers every
 * configured algorithm with one nonce (SHA-256 first by default).
 *
 * Nonces are stateless and signed: hex(time | random | HMAC-SHA256(key,
 * time | random)[0..15]) with a per-process key, valid nonce-lifetime
 * seconds; an authentic but expired nonce gets a new challenge with
 * stale=true. Replays: a bounded table remembers the highest nonce-count
 * seen per nonce; a repeated or lower count is refused. When the table
 * evicts a nonce, every nonce as old as it becomes stale, so eviction never
 * reopens a replay.
 *
 * No enumeration: an unknown user is checked against a dummy HA1 so the
 * work and the answer (401/407 challenge, 403 "Forbidden") are the same as
 * for a wrong password. Failures count towards the source's ban
 * (sip_dos_auth_failed) and publish sip.auth.failed; neither the response
 * nor any HA1 is ever logged. Signalling thread. */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "sipint-core.h"

#define AUTH_USER_MAX 128
#define AUTH_NC_MAX 16384
#define AUTH_NONCE_HEX 64      /* 8 time + 8 random + 16 MAC bytes */

typedef struct auth_nc {
	char nonce[AUTH_NONCE_HEX + 1];
	guint32 nc;
	gint64 issued;         /* s, from the nonce */
} auth_nc;

static struct {
	sip_auth_conf conf;
	char *realm;
	guint8 key[32];
	char dummy_md5[33], dummy_sha256[65];
	GHashTable *nc;        /* nonce -> auth_nc* (owning) */
	GQueue order;          /* auth_nc*, oldest first use at the head */
	gint64 floor;          /* nonces issued at or before: stale */
} auth;

/* ---- nonces ---- */

static void auth_hex(const guint8 *b, gsize n, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (gsize i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static gint64 auth_now(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static void auth_nonce_mac(const guint8 raw[16], guint8 mac[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), auth.key, sizeof(auth.key), raw, 16, mac, &len);
}

static void auth_nonce_new(char out[AUTH_NONCE_HEX + 1])
{
	guint8 raw[32], mac[32];
	guint64 t = (guint64)auth_now();

	for (int i = 0; i < 8; i++)
		raw[i] = (guint8)(t >> (56 - 8 * i));
	if (RAND_bytes(raw + 8, 8) != 1)
		g_warning("sip: auth: RAND_bytes failed; nonce randomness from GLib");
	auth_nonce_mac(raw, mac);
	memcpy(raw + 16, mac, 16);
	auth_hex(raw, 32, out);
}

typedef enum { NONCE_BAD, NONCE_STALE, NONCE_OK } auth_nonce_state;

static auth_nonce_state auth_nonce_check(const struct pl *nonce, gint64 *issued)
{
	guint8 raw[32], mac[32];

	if (nonce->l != AUTH_NONCE_HEX)
		return NONCE_BAD;
	for (int i = 0; i < 32; i++) {
		int hi = g_ascii_xdigit_value(nonce->p[2 * i]);
		int lo = g_ascii_xdigit_value(nonce->p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return NONCE_BAD;
		raw[i] = (guint8)(hi << 4 | lo);
	}
	auth_nonce_mac(raw, mac);
	if (CRYPTO_memcmp(mac, raw + 16, 16) != 0)
		return NONCE_BAD;
	guint64 t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	*issued = (gint64)t;
	if (auth_now() - *issued > (gint64)auth.conf.nonce_lifetime || *issued <= auth.floor)
		return NONCE_STALE;
	return NONCE_OK;
}

/* Expired entries leave from the head; when full, the oldest goes too and
 * raises the floor. */
static void auth_nc_trim(void)
{
	gint64 now = auth_now();
	auth_nc *e;

	while ((e = g_queue_peek_head(&auth.order)) &&
	       (now - e->issued > (gint64)auth.conf.nonce_lifetime ||
		g_queue_get_length(&auth.order) >= AUTH_NC_MAX)) {
		g_queue_pop_head(&auth.order);
		if (now - e->issued <= (gint64)auth.conf.nonce_lifetime && e->issued > auth.floor)
			auth.floor = e->issued;
		g_hash_table_remove(auth.nc, e->nonce);
	}
}

/* TRUE when nc is new for this nonce (and remembers it). */
static gboolean auth_nc_accept(const struct pl *nonce, gint64 issued, guint32 nc)
{
	char key[AUTH_NONCE_HEX + 1];
	auth_nc *e;

	pl_strcpy(nonce, key, sizeof(key));
	e = g_hash_table_lookup(auth.nc, key);
	if (e) {
		if (nc <= e->nc)
			return FALSE;
		e->nc = nc;
		return TRUE;
	}
	auth_nc_trim();
	e = g_new0(auth_nc, 1);
	g_strlcpy(e->nonce, key, sizeof(e->nonce));
	e->nc = nc;
	e->issued = issued;
	g_hash_table_insert(auth.nc, e->nonce, e);
	g_queue_push_tail(&auth.order, e);
	return TRUE;
}

/* ---- answers ---- */

static void auth_challenge(const struct sip_msg *msg, bool proxy, bool stale)
{
	char nonce[AUTH_NONCE_HEX + 1];
	const char *hname = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	GString *h = g_string_new(NULL);
	const char *algs[2];
	guint n = 0;

	auth_nonce_new(nonce);
	if (auth.conf.sha256 && auth.conf.sha256_first)
		algs[n++] = "SHA-256";
	if (auth.conf.md5)
		algs[n++] = "MD5";
	if (auth.conf.sha256 && !auth.conf.sha256_first)
		algs[n++] = "SHA-256";
	for (guint i = 0; i < n; i++)
		g_string_append_printf(h, "%s: Digest realm=\"%s\", nonce=\"%s\", algorithm=%s,"
				       " qop=\"auth\"%s\r\n", hname, auth.realm, nonce, algs[i],
				       stale ? ", stale=true" : "");
	sip_reply_stateless(msg, proxy ? 407 : 401,
			    proxy ? "Proxy Authentication Required" : "Unauthorized", h->str);
	g_string_free(h, TRUE);
}

static void auth_failed(const struct sip_msg *msg, const struct pl *user,
			const char *reason, bool forbid, bool proxy)
{
	char u[AUTH_USER_MAX + 1] = "";
	char src[64];

	if (user && user->p)
		pl_strcpy(user, u, sizeof(u));
	for (char *c = u; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (sa_ntop(&msg->src, src, sizeof(src)) != 0)
		g_strlcpy(src, "?", sizeof(src));
	g_info("sip: authentication failed from %s for user \"%s\": %s", src, u, reason);
	bw_event_emit("sip.auth.failed", "source", src, "user", u, "reason", reason, NULL);
	sip_dos_auth_failed(&msg->src, u);
	if (forbid)
		sip_reply_hdrs(msg, 403, "Forbidden", NULL);
	else
		auth_challenge(msg, proxy, false);
}

/* ---- verification ---- */

static void auth_digest_hex(const EVP_MD *md, const char *data, gsize len, char *out)
{
	guint8 b[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(data, len, b, &n, md, NULL);
	auth_hex(b, n, out);
}

/* H(HA1:nonce:nc:cnonce:qop:H(method:uri)) compared in constant time. */
static gboolean auth_response_ok(const sip_digest *d, const struct pl *method,
				 const EVP_MD *md, const char *ha1)
{
	char ha2[EVP_MAX_MD_SIZE * 2 + 1], want[EVP_MAX_MD_SIZE * 2 + 1];
	char *a2 = g_strdup_printf("%.*s:%.*s", (int)method->l, method->p,
				   (int)d->uri.l, d->uri.p);
	auth_digest_hex(md, a2, strlen(a2), ha2);
	g_free(a2);
	char *a = g_strdup_printf("%s:%.*s:%.*s:%.*s:%.*s:%s", ha1,
				  (int)d->nonce.l, d->nonce.p, (int)d->nc.l, d->nc.p,
				  (int)d->cnonce.l, d->cnonce.p, (int)d->qop.l, d->qop.p, ha2);
	auth_digest_hex(md, a, strlen(a), want);
	g_free(a);
	gsize n = strlen(want);
	return d->response.l == n && CRYPTO_memcmp(want, d->response.p, n) == 0;
}

typedef struct auth_pick {
	sip_digest d;
	bool found, any, bad;
} auth_pick;

static bool auth_pick_hdr(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	auth_pick *pk = arg;
	sip_digest d;
	int err = sip_digest_parse(&hdr->val, &d);

	(void)msg;
	if (err == ENOTSUP)
		return false;
	pk->any = true;
	if (err) {
		pk->bad = true;
		return false;
	}
	if (pl_strcmp(&d.realm, auth.realm) == 0) {
		pk->d = d;
		pk->found = true;
		return true;
	}
	if (!pk->found)
		pk->d = d;
	return false;
}

static const EVP_MD *auth_algorithm(const struct pl *alg, gboolean *sha)
{
	if (!pl_isset(alg) || !pl_strcasecmp(alg, "MD5")) {
		*sha = FALSE;
		return auth.conf.md5 ? EVP_md5() : NULL;
	}
	if (!pl_strcasecmp(alg, "SHA-256")) {
		*sha = TRUE;
		return auth.conf.sha256 ? EVP_sha256() : NULL;
	}
	return NULL;
}

static gboolean auth_nc_value(const struct pl *nc, guint32 *out)
{
	char buf[9];

	if (nc->l != 8)
		return FALSE;
	pl_strcpy(nc, buf, sizeof(buf));
	for (int i = 0; i < 8; i++)
		if (!g_ascii_isxdigit(buf[i]))
			return FALSE;
	*out = (guint32)g_ascii_strtoull(buf, NULL, 16);
	return *out != 0;
}

typedef enum {
	AUTH_GO,               /* go on with the user's HA1 */
	AUTH_RECHALLENGE,      /* a fresh challenge, not a failure */
	AUTH_STALE,            /* a fresh challenge with stale=true */
	AUTH_FAIL_CHALLENGE,   /* a failure, answered by a fresh challenge */
	AUTH_FAIL_FORBID       /* a failure, answered by 403 */
} auth_action;

/* The checks that do not depend on who the user is. A nonce that is not
 * ours (e.g. from before a restart: the key changed) gets a fresh
 * challenge without counting as a failure, as phones reuse nonces. */
static auth_action auth_precheck(const auth_pick *pk, const EVP_MD **md, gboolean *sha,
				 guint32 *nc, gint64 *issued, const char **why)
{
	if (!pk->found) {
		*why = pk->bad ? "malformed credentials" : "wrong realm";
		return AUTH_FAIL_CHALLENGE;
	}
	*md = auth_algorithm(&pk->d.algorithm, sha);
	if (*md == NULL) {
		*why = "unsupported algorithm";
		return AUTH_FAIL_CHALLENGE;
	}
	if (pl_strcmp(&pk->d.qop, "auth") != 0 || !pl_isset(&pk->d.cnonce) ||
	    !auth_nc_value(&pk->d.nc, nc)) {
		*why = "qop=auth with nc and cnonce required";
		return AUTH_FAIL_FORBID;
	}
	switch (auth_nonce_check(&pk->d.nonce, issued)) {
	case NONCE_BAD:
		return AUTH_RECHALLENGE;
	case NONCE_STALE:
		return AUTH_STALE;
	default:
		return AUTH_GO;
	}
}

int sip_auth_request(const struct sip_msg *msg, bool proxy, bw_extension **ext)
{
	auth_pick pk = { 0 };
	const EVP_MD *md = NULL;
	gboolean sha = FALSE;
	guint32 nc = 0;
	gint64 issued = 0;
	char user[AUTH_USER_MAX + 1];

	*ext = NULL;
	sip_msg_hdr_apply(msg, true, proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION,
			  auth_pick_hdr, &pk);
	if (!pk.any) {
		auth_challenge(msg, proxy, false);
		return EACCES;
	}
	const char *why = NULL;
	switch (auth_precheck(&pk, &md, &sha, &nc, &issued, &why)) {
	case AUTH_RECHALLENGE:
		auth_challenge(msg, proxy, false);
		return EACCES;
	case AUTH_STALE:
		auth_challenge(msg, proxy, true);
		return EACCES;
	case AUTH_FAIL_CHALLENGE:
		auth_failed(msg, &pk.d.username, why, false, proxy);
		return EACCES;
	case AUTH_FAIL_FORBID:
		auth_failed(msg, &pk.d.username, why, true, proxy);
		return EACCES;
	case AUTH_GO:
		break;
	}
	bw_extension *e = NULL;
	if (pk.d.username.l <= AUTH_USER_MAX) {
		pl_strcpy(&pk.d.username, user, sizeof(user));
		e = bw_extension_by_user(user);
	}
	const char *ha1 = e ? (sha ? e->ha1_sha256 : e->ha1_md5) : NULL;
	if (ha1 == NULL || strlen(ha1) != (sha ? 64u : 32u))
		ha1 = sha ? auth.dummy_sha256 : auth.dummy_md5;
	gboolean ok = auth_response_ok(&pk.d, &msg->met, md, ha1);
	if (!ok || e == NULL || ha1 == auth.dummy_md5 || ha1 == auth.dummy_sha256) {
		auth_failed(msg, &pk.d.username, "wrong credentials", true, proxy);
		bw_extension_free(e);
		return EACCES;
	}
	if (!auth_nc_accept(&pk.d.nonce, issued, nc)) {
		auth_failed(msg, &pk.d.username, "nonce count replayed", true, proxy);
		bw_extension_free(e);
		return EACCES;
	}
	*ext = e;
	return 0;
}

static void auth_nc_free(void *p)
{
	g_free(p);
}

int sip_auth_init(const sip_auth_conf *c, const char *realm)
{
	guint8 b[32];

	auth.conf = *c;
	auth.realm = g_strdup(realm);
	if (RAND_bytes(auth.key, sizeof(auth.key)) != 1 || RAND_bytes(b, sizeof(b)) != 1) {
		g_warning("sip: auth: cannot draw random bytes for the nonce key (OpenSSL RAND_bytes)");
		return EIO;
	}
	auth_hex(b, 16, auth.dummy_md5);
	auth_hex(b, 32, auth.dummy_sha256);
	auth.nc = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, auth_nc_free);
	g_queue_init(&auth.order);
	auth.floor = 0;
	return 0;
}

void sip_auth_close(void)
{
	g_queue_clear(&auth.order);
	if (auth.nc)
		g_hash_table_destroy(auth.nc);
	auth.nc = NULL;
	g_free(auth.realm);
	auth.realm = NULL;
	OPENSSL_cleanse(auth.key, sizeof(auth.key));
}
