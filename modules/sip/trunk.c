/* SIP trunks: registration to providers, IP-authenticated peers, and what
 * the channel driver asks of them (see calls.h).
 *
 * Trunks come from the directory (bw_trunk_names/bw_trunk_json, records
 * trunk/<name> with "driver":"sip"). A registering trunk sends REGISTER
 * through its proxy with our own client (libre's sipreg would need the
 * secret; we hold only HA1) and answers 401/407 with the stored HA1
 * (SHA-256 when the provider offers it and we have it, else MD5). It
 * refreshes before expiry and retries after failures with a doubling
 * backoff (5 s .. 5 min). Transitions publish trunk.up / trunk.down
 * (name, reason). Over TLS the provider's chain and host name are
 * verified (trunktls.c) and a failed verification is the reason given;
 * the name is the proxy's host, or the domain when the proxy is an
 * address.
 * A peer is trusted by source address (its CIDR), allow-listed in the DoS
 * protection when it is one address. `bulwarkctl trunks` lists them.
 * The trunks follow the store: a watch on "trunk/" (management thread)
 * hands every burst of changes to the signalling thread, which re-reads
 * the directory and starts, restarts or drops the trunks whose records
 * appeared, changed or went away (sip_trunks_resync).
 * Leaving: a trunk that may hold a binding at its provider (a 2xx since
 * its dialog began, or a REGISTER in flight) and is deleted, changed in
 * what its registration is made of, or stopped with the module sends an
 * un-REGISTER (Expires: 0, our own Contact, same Call-ID, next CSeq;
 * 401/407 answered as for a refresh) and shows "unregistering" until the
 * answer, at most TRUNK_LEAVE_MS. A changed trunk's successor waits for
 * it: the old binding's un-REGISTER must not remove the new one (RFC 3261
 * 10.3: Expires 0 with another Call-ID removes the binding). Outcomes
 * publish trunk.unregistered (name, registrar, status, reason); not
 * trunk.down, whose alarm would never clear for a trunk that is gone.
 * A change that leaves the registration as it was (caller_id, srtp ...)
 * takes the new record in place: the binding stays. */
#define G_LOG_DOMAIN SIP_LOG_DOMAIN
#include <errno.h>
#include <string.h>
#include "sipint-core.h"
#include "recompat.h"
#include "calls.h"
#include "trunksvc.h"

#define TRUNK_RETRY_MIN_S 5
#define TRUNK_RETRY_MAX_S 300
#define TRUNK_CMD_MS 10000
#define TRUNK_LEAVE_MS 5000          /* one un-REGISTER, challenge included */

typedef struct sip_trunk {
	const char *name;            /* interned: callers may keep it past a resync */
	char *json;                  /* the record as loaded: a change restarts the trunk */
	sip_trunk_cfg *cfg;          /* NULL: invalid record (error says why) */
	char *host;
	char *tls_host;              /* the name the provider's certificate must carry */
	sip_trunk_cidr cidr;
	struct sa provider;          /* where our REGISTERs go */
	bool has_provider;
	/* registration */
	struct sip_dialog *dlg;
	struct sip_request *req;
	struct tmr tmr;
	char *reg_uri, *aor;
	sip_digest_chall chall;
	bool chall_proxy, chall_sha256, have_chall;
	guint32 nc;
	guint auth_tries, failures;
	bool up;
	bool bound;                  /* a 2xx since the dialog began: a binding may exist */
	bool waiting;                /* for its predecessor's un-REGISTER to end */
	const char *leave_why;       /* "deleted", "changed", "stopping": leaving */
	const char *state;
	char *last_error;
} sip_trunk;

static GPtrArray *trunks;            /* sip_trunk* (signalling thread) */
static GPtrArray *leaving;           /* sip_trunk* sending their un-REGISTER */
static bool trunks_stopping;         /* no resync, no successor starts */
/* leaving->len for the management thread's bounded wait at stop */
static GMutex leave_lock;
static GCond leave_cond;
static guint leave_count;
/* management thread */
static bool trunk_cmd_added;
static bw_watch *trunk_watch;
static guint trunk_idle;

static sip_trunk *trunk_find(const char *name)
{
	for (guint i = 0; trunks && i < trunks->len; i++) {
		sip_trunk *t = trunks->pdata[i];

		if (g_strcmp0(t->name, name) == 0)
			return t;
	}
	return NULL;
}

static void trunk_free(void *p)
{
	sip_trunk *t = p;

	tmr_cancel(&t->tmr);
	t->req = mem_deref(t->req);
	t->dlg = mem_deref(t->dlg);
	if (t->cfg && t->cfg->mode == TRUNK_PEER && t->cidr.bits == t->cidr.len * 8u) {
		struct sa sa;

		if (sa_set_str(&sa, t->cfg->address, 0) == 0)
			sip_dos_trust(&sa, false);
	}
	sip_trunk_tls_forget(t->name);
	sip_digest_chall_clear(&t->chall);
	sip_trunk_cfg_free(t->cfg);
	g_free(t->json);
	g_free(t->host);
	g_free(t->tls_host);
	g_free(t->reg_uri);
	g_free(t->aor);
	g_free(t->last_error);
	g_free(t);
}

/* ---- state changes ---- */

static void trunk_set_error(sip_trunk *t, const char *why)
{
	g_free(t->last_error);
	t->last_error = g_strdup(why);
}

static void trunk_went_up(sip_trunk *t)
{
	t->failures = 0;
	if (t->up)
		return;
	t->up = true;
	t->bound = true;
	t->state = "registered";
	g_message("sip: trunk %s registered at %s", t->name, t->cfg->proxy);
	bw_event_emit("trunk.up", "name", t->name, "driver", "sip", NULL);
}

static void trunk_reg_send(sip_trunk *t);
static void trunk_leave_resph(int err, const struct sip_msg *msg, void *arg);

static void trunk_retry(void *arg)
{
	trunk_reg_send(arg);
}

static void trunk_failed(sip_trunk *t, const char *why)
{
	guint wait = TRUNK_RETRY_MIN_S << MIN(t->failures, 6u);
	bool was = t->up || g_strcmp0(t->state, "failed") != 0;

	wait = MIN(wait, TRUNK_RETRY_MAX_S);
	t->failures++;
	t->up = false;
	t->state = "failed";
	t->have_chall = false;
	t->auth_tries = 0;
	trunk_set_error(t, why);
	if (was) {
		g_warning("sip: trunk %s: registration at %s failed: %s (retry in %u s)", t->name,
			  t->cfg->proxy, why, wait);
		bw_event_emit("trunk.down", "name", t->name, "driver", "sip", "reason", why, NULL);
	}
	tmr_start(&t->tmr, (uint64_t) wait * 1000, trunk_retry, t);
}

/* ---- digest challenges ---- */

typedef struct trunk_pick {
	const sip_trunk_cfg *cfg;
	sip_digest_chall *out;
	bool sha256;
	bool found;
} trunk_pick;

static char *trunk_pl_dup(const struct pl *pl)
{
	return pl_isset(pl) && pl->l < 512 ? g_strndup(pl->p, pl->l) : NULL;
}

static bool trunk_pick_chall(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	trunk_pick *p = arg;
	struct httpauth_digest_chall c;
	bool sha;

	(void) msg;
	if (sip_re_digest_challenge_decode(&c, &hdr->val) != 0)
		return false;
	sha = pl_isset(&c.algorithm) && !pl_strcasecmp(&c.algorithm, "SHA-256");
	if (pl_isset(&c.algorithm) && !sha && pl_strcasecmp(&c.algorithm, "MD5"))
		return false;   /* -sess and others: not with a stored HA1 */
	if ((sha && !p->cfg->ha1_sha256) || (!sha && !p->cfg->ha1_md5))
		return false;
	if (p->cfg->realm && pl_strcmp(&c.realm, p->cfg->realm) != 0)
		return false;
	if (p->found && p->sha256 && !sha)
		return false;   /* keep the SHA-256 one */
	sip_digest_chall_clear(p->out);
	p->out->realm = trunk_pl_dup(&c.realm);
	p->out->nonce = trunk_pl_dup(&c.nonce);
	p->out->opaque = trunk_pl_dup(&c.opaque);
	p->out->qop = trunk_pl_dup(&c.qop);
	p->out->stale = pl_isset(&c.stale) && !pl_strcasecmp(&c.stale, "true");
	p->sha256 = sha;
	p->found = true;
	return false;   /* look at every challenge */
}

/* Take the best challenge of a 401/407. FALSE: none we can answer. */
static bool trunk_take_chall(const sip_trunk_cfg *cfg, const struct sip_msg *msg,
			     sip_digest_chall *out, bool *proxy, bool *sha256)
{
	trunk_pick p = { .cfg = cfg, .out = out };

	*proxy = msg->scode == 407;
	(void) sip_msg_hdr_apply(msg, true, *proxy ? SIP_HDR_PROXY_AUTHENTICATE
				 : SIP_HDR_WWW_AUTHENTICATE, trunk_pick_chall, &p);
	*sha256 = p.sha256;
	return p.found && out->nonce && out->realm;
}

static char *trunk_auth_line(const sip_trunk_cfg *cfg, const sip_digest_chall *c, bool proxy,
			     bool sha256, guint32 nc, const char *method, const char *uri)
{
	g_autofree char *cnonce = g_strdup_printf("%016" G_GINT64_MODIFIER "x",
						  (guint64) rand_u64());
	g_autofree char *v = sip_digest_response(c, sha256, cfg->username,
						 sha256 ? cfg->ha1_sha256 : cfg->ha1_md5,
						 method, uri, cnonce, nc);

	if (v == NULL)
		return NULL;
	return g_strdup_printf("%s: %s\r\n", proxy ? "Proxy-Authorization" : "Authorization", v);
}

char *sip_trunk_auth_header(const char *name, const struct sip_msg *resp, const char *method,
			    const char *uri)
{
	sip_trunk *t = trunk_find(name);
	sip_digest_chall c = { 0 };
	bool proxy, sha;
	char *line = NULL;

	if (t && t->cfg && t->cfg->username && trunk_take_chall(t->cfg, resp, &c, &proxy, &sha))
		line = trunk_auth_line(t->cfg, &c, proxy, sha, 1, method, uri);
	sip_digest_chall_clear(&c);
	return line;
}

/* ---- registration ---- */

static int trunk_sendh(enum sip_transp tp, const struct sa *src, const struct sa *dst,
		       struct mbuf *mb, void *arg)
{
	sip_trunk *t = arg;
	const char *param = tp == SIP_TRANSP_TCP ? ";transport=tcp"
		: tp == SIP_TRANSP_TLS ? ";transport=tls" : "";

	t->provider = *dst;
	t->has_provider = true;
	if (tp == SIP_TRANSP_TLS &&
	    sip_trunk_tls_expect(dst, t->name, t->tls_host, t->cfg->ca_file, t->cfg->verify) != 0)
		return EEXIST;
	return mbuf_printf(mb, "Contact: <sip:%s@%J%s>\r\n", t->cfg->username, src, param);
}

static guint trunk_granted(const sip_trunk *t, const struct sip_msg *msg)
{
	guint exp = pl_isset(&msg->expires) ? pl_u32(&msg->expires) : t->cfg->expires;

	return exp ? exp : t->cfg->expires;
}

static void trunk_resph(int err, const struct sip_msg *msg, void *arg)
{
	sip_trunk *t = arg;
	char why[256];

	if (err) {
		g_autofree char *tls = sip_trunk_tls_take_error(t->name);

		g_snprintf(why, sizeof(why), "%s", tls ? tls : g_strerror(err));
		trunk_failed(t, why);
		return;
	}
	if (msg->scode < 200)
		return;
	if (msg->scode < 300) {
		guint exp = trunk_granted(t, msg);

		t->auth_tries = 0;
		trunk_went_up(t);
		tmr_start(&t->tmr, (uint64_t) MAX(exp * 8u / 10u, 10u) * 1000, trunk_retry, t);
		return;
	}
	if ((msg->scode == 401 || msg->scode == 407) && t->auth_tries < 2) {
		t->have_chall = trunk_take_chall(t->cfg, msg, &t->chall, &t->chall_proxy,
						 &t->chall_sha256);
		if (t->have_chall) {
			t->auth_tries++;
			t->nc = 0;
			trunk_reg_send(t);
			return;
		}
		g_snprintf(why, sizeof(why), "%u %.*s: no challenge we can answer (realm or "
			   "algorithm differs from the trunk's)", msg->scode,
			   (int) MIN(msg->reason.l, 64), msg->reason.p);
	} else {
		g_snprintf(why, sizeof(why), "%u %.*s", msg->scode, (int) MIN(msg->reason.l, 64),
			   msg->reason.p);
	}
	trunk_failed(t, why);
}

static void trunk_reg_send(sip_trunk *t)
{
	g_autofree char *auth = NULL;
	const char *routev[1] = { t->cfg->proxy };
	int err = 0;

	if (t->have_chall)
		auth = trunk_auth_line(t->cfg, &t->chall, t->chall_proxy, t->chall_sha256, ++t->nc,
				       "REGISTER", t->reg_uri);
	if (!g_strcmp0(t->cfg->transport, "tls")) {
		struct tls *tls = sip_re_transp_tls(sip_mod->sip);

		err = tls ? sip_trunk_tls_attach(tls) : ENOENT;
		if (err) {
			trunk_failed(t, "no TLS transport: add <transport type=\"tls\"> to module sip");
			return;
		}
	}
	if (t->dlg == NULL)
		err = sip_dialog_alloc(&t->dlg, t->reg_uri, t->aor, NULL, t->aor, routev, 1);
	if (!err)
		err = sip_drequestf(&t->req, sip_mod->sip, true, "REGISTER", t->dlg, 0, NULL,
				    trunk_sendh, trunk_resph, t,
				    "%sExpires: %u\r\nContent-Length: 0\r\n\r\n",
				    auth ? auth : "", t->cfg->expires);
	if (err) {
		g_autofree char *tls = sip_trunk_tls_take_error(t->name);
		char why[256];

		g_snprintf(why, sizeof(why), "cannot send REGISTER via %s: %s", t->cfg->proxy,
			   tls ? tls : g_strerror(err));
		trunk_failed(t, why);
		return;
	}
	if (!t->up)
		t->state = "registering";
}

/* ---- leaving: the un-REGISTER ---- */

static void trunk_leave_count_update(void)
{
	g_mutex_lock(&leave_lock);
	leave_count = leaving ? leaving->len : 0;
	g_cond_broadcast(&leave_cond);
	g_mutex_unlock(&leave_lock);
}

static sip_trunk *trunk_leaving_find(const char *name)
{
	for (guint i = 0; leaving && i < leaving->len; i++)
		if (((sip_trunk *) leaving->pdata[i])->name == name)
			return leaving->pdata[i];   /* names are interned */
	return NULL;
}

/* The successor of a changed trunk registers once no predecessor is left. */
static void trunk_successor_start(const char *name)
{
	sip_trunk *n = trunk_find(name);

	if (trunks_stopping || n == NULL || !n->waiting || trunk_leaving_find(name))
		return;
	n->waiting = false;
	tmr_start(&n->tmr, 0, trunk_retry, n);
}

static void trunk_leave_end(sip_trunk *t, bool ok, const char *status)
{
	const char *name = t->name;

	if (ok)
		g_message("sip: trunk %s (%s): unregistered at %s: %s", name, t->leave_why,
			  t->cfg->proxy, status);
	else
		g_warning("sip: trunk %s (%s): un-REGISTER at %s failed: %s; the provider keeps "
			  "the binding until it expires", name, t->leave_why, t->cfg->proxy, status);
	bw_event_emit("trunk.unregistered", "name", name, "driver", "sip", "registrar",
		      t->cfg->proxy, "status", status, "reason", t->leave_why, NULL);
	g_ptr_array_remove(leaving, t);   /* frees it */
	trunk_leave_count_update();
	trunk_successor_start(name);
}

static void trunk_leave_timeout(void *arg)
{
	trunk_leave_end(arg, false, "no answer within " G_STRINGIFY(TRUNK_LEAVE_MS) " ms");
}

static int trunk_leave_send(sip_trunk *t)
{
	g_autofree char *auth = NULL;

	if (t->have_chall)
		auth = trunk_auth_line(t->cfg, &t->chall, t->chall_proxy, t->chall_sha256, ++t->nc,
				       "REGISTER", t->reg_uri);
	/* no "Contact: *": only our own binding goes (RFC 3261 10.2.2) */
	return sip_drequestf(&t->req, sip_mod->sip, true, "REGISTER", t->dlg, 0, NULL,
			     trunk_sendh, trunk_leave_resph, t,
			     "%sExpires: 0\r\nContent-Length: 0\r\n\r\n", auth ? auth : "");
}

static void trunk_leave_resph(int err, const struct sip_msg *msg, void *arg)
{
	sip_trunk *t = arg;
	char why[256];

	if (err) {
		trunk_leave_end(t, false, g_strerror(err));
		return;
	}
	if (msg->scode < 200)
		return;
	g_snprintf(why, sizeof(why), "%u %.*s", msg->scode, (int) MIN(msg->reason.l, 64),
		   msg->reason.p);
	if ((msg->scode == 401 || msg->scode == 407) && t->auth_tries < 2) {
		t->have_chall = trunk_take_chall(t->cfg, msg, &t->chall, &t->chall_proxy,
						 &t->chall_sha256);
		t->auth_tries++;
		t->nc = 0;
		if (t->have_chall && (err = trunk_leave_send(t)) == 0)
			return;
		if (err)
			g_snprintf(why, sizeof(why), "cannot answer the challenge: %s",
				   g_strerror(err));
	}
	trunk_leave_end(t, msg->scode < 300, why);
}

/* Could the provider hold a binding of ours? */
static bool trunk_may_be_bound(const sip_trunk *t)
{
	return t->cfg && t->cfg->mode == TRUNK_REGISTER && t->dlg && (t->bound || t->req) &&
		sip_mod && sip_mod->sip;
}

/* Takes t (out of the trunks): frees it, or un-REGISTERs it first. */
static void trunk_leave(sip_trunk *t, const char *why)
{
	int err;
	bool bound;

	tmr_cancel(&t->tmr);
	bound = trunk_may_be_bound(t);   /* a REGISTER in flight counts: ask first */
	t->req = mem_deref(t->req);   /* a refresh in flight: the next CSeq overrides it */
	if (!bound) {
		const char *name = t->name;

		trunk_free(t);
		trunk_successor_start(name);
		return;
	}
	t->leave_why = why;
	t->state = "unregistering";
	t->up = false;
	t->auth_tries = 0;
	err = trunk_leave_send(t);
	g_ptr_array_add(leaving, t);
	trunk_leave_count_update();
	if (err) {
		g_autofree char *tls = sip_trunk_tls_take_error(t->name);

		trunk_leave_end(t, false, tls ? tls : g_strerror(err));
		return;
	}
	tmr_start(&t->tmr, TRUNK_LEAVE_MS, trunk_leave_timeout, t);
}

static void trunk_leave_index(guint i, const char *why)
{
	trunk_leave(g_ptr_array_steal_index(trunks, i), why);
}

/* ---- loading ---- */

/* The proxy's host name; for a proxy given as an address, the trunk's
 * domain (the name its certificate is issued for). */
static char *trunk_tls_host(const sip_trunk *t)
{
	struct sa sa;

	if (sa_set_str(&sa, t->host, 0) == 0 && t->cfg->domain)
		return g_strdup(t->cfg->domain);
	return g_strdup(t->host);
}

static void trunk_start(sip_trunk *t)
{
	t->host = sip_trunk_cfg_host(t->cfg);
	t->tls_host = trunk_tls_host(t);
	if (t->cfg->mode == TRUNK_PEER) {
		struct sa sa;

		t->state = "peer";
		(void) sip_trunk_cidr_parse(t->cfg->address, &t->cidr);
		if (t->cidr.bits == t->cidr.len * 8u && sa_set_str(&sa, t->cfg->address, 0) == 0)
			sip_dos_trust(&sa, true);
		return;
	}
	t->reg_uri = g_strdup_printf("sip:%s", t->cfg->domain);
	t->aor = g_strdup_printf("sip:%s@%s", t->cfg->username, t->cfg->domain);
	t->state = "registering";
	if (trunk_leaving_find(t->name)) {
		t->waiting = true;   /* trunk_successor_start */
		return;
	}
	/* transports are added after the parts are up: send from the loop */
	tmr_start(&t->tmr, 50, trunk_retry, t);
}

/* Takes json. */
static void trunk_load_one(const char *name, char *json)
{
	g_autoptr(GError) err = NULL;
	sip_trunk *t;
	sip_trunk_cfg *cfg;

	if (json == NULL)
		return;
	cfg = sip_trunk_cfg_parse(name, json, strlen(json), &err);
	if (cfg == NULL && err && err->code == 2) {
		g_free(json);
		return;   /* another driver's trunk */
	}
	t = g_new0(sip_trunk, 1);
	t->name = g_intern_string(name);
	t->json = json;
	tmr_init(&t->tmr);
	g_ptr_array_add(trunks, t);
	if (cfg == NULL) {
		t->state = "invalid";
		trunk_set_error(t, err ? err->message : "unreadable record");
		g_warning("sip: %s", t->last_error);
		return;
	}
	t->cfg = cfg;
	trunk_start(t);
}

/* ---- what the channel driver asks ---- */

const char *sip_trunk_identify(const struct sip_msg *msg)
{
	const struct sa *src = &msg->src;
	const guint8 *addr = sa_af(src) == AF_INET ? (const guint8 *) &src->u.in.sin_addr
		: (const guint8 *) &src->u.in6.sin6_addr;

	for (guint i = 0; trunks && i < trunks->len; i++) {
		sip_trunk *t = trunks->pdata[i];

		if (t->cfg == NULL)
			continue;
		if (t->cfg->mode == TRUNK_PEER && sip_trunk_cidr_match(&t->cidr, sa_af(src), addr))
			return t->name;
		if (t->cfg->mode == TRUNK_REGISTER && t->has_provider &&
		    sa_cmp(&t->provider, src, SA_ADDR))
			return t->name;
	}
	/* a changed trunk's successor waits for the old binding's un-REGISTER:
	 * meanwhile the provider is still known by the one leaving */
	for (guint i = 0; leaving && i < leaving->len; i++) {
		sip_trunk *t = leaving->pdata[i];

		if (t->has_provider && sa_cmp(&t->provider, src, SA_ADDR) && trunk_find(t->name))
			return t->name;
	}
	return NULL;
}

bool sip_trunk_reachable(const char *name)
{
	sip_trunk *t = trunk_find(name);

	return t && t->cfg && (t->cfg->mode == TRUNK_PEER || t->up);
}

static char *trunk_user(const char *s, const char *fallback)
{
	GString *o = g_string_new(NULL);

	for (; s && *s && o->len < SIP_NUMBER_MAX; s++)
		if (g_ascii_isalnum(*s) || strchr("*#+._-", *s))
			g_string_append_c(o, *s);
	if (o->len == 0)
		g_string_append(o, fallback);
	return g_string_free(o, FALSE);
}

int sip_trunk_dial_prepare(const char *name, const char *number, const char *caller,
			   sip_trunk_dial *out)
{
	sip_trunk *t = trunk_find(name);
	g_autofree char *num = NULL, *from = NULL;

	memset(out, 0, sizeof(*out));
	if (t == NULL || t->cfg == NULL)
		return ENOENT;
	num = trunk_user(number, "");
	if (*num == '\0')
		return EINVAL;
	from = trunk_user(t->cfg->caller_id ? t->cfg->caller_id : caller, "anonymous");
	out->request_uri = g_strdup_printf("sip:%s@%s", num, t->cfg->domain);
	out->from_uri = g_strdup_printf("sip:%s@%s", from, t->cfg->domain);
	out->route = g_strdup(t->cfg->proxy);
	out->srtp = g_strdup(t->cfg->srtp);
	return 0;
}

void sip_trunk_dial_clear(sip_trunk_dial *d)
{
	g_clear_pointer(&d->request_uri, g_free);
	g_clear_pointer(&d->from_uri, g_free);
	g_clear_pointer(&d->route, g_free);
	g_clear_pointer(&d->srtp, g_free);
}

/* ---- bulwarkctl trunks ---- */

static void trunk_list_one(GString *out, const sip_trunk *t)
{
	g_string_append_printf(out, "%s\t%s\t%s\t%s\n", t->name,
			       t->cfg ? (t->cfg->mode == TRUNK_PEER ? "peer" : "register") : "-",
			       t->state, t->last_error ? t->last_error : "-");
}

/* A leaving trunk shows while it un-REGISTERs, unless its successor does. */
static void trunk_list_sig(GString *out, const char *unused)
{
	(void) unused;
	for (guint i = 0; trunks && i < trunks->len; i++)
		trunk_list_one(out, trunks->pdata[i]);
	for (guint i = 0; leaving && i < leaving->len; i++)
		if (trunk_find(((sip_trunk *) leaving->pdata[i])->name) == NULL)
			trunk_list_one(out, leaving->pdata[i]);
}

char *sip_trunks_state_text(GError **err)
{
	return sip_sig_run(trunk_list_sig, NULL, err);
}

static gboolean trunk_cmd(bw_ctl_reply *out, guint argc, const char *const *argv,
			  const char *actor, void *user_data, GError **err)
{
	g_autofree char *text = NULL;
	g_auto(GStrv) lines = NULL;

	(void) argc;
	(void) argv;
	(void) actor;
	(void) user_data;
	text = sip_sig_run(trunk_list_sig, NULL, err);
	if (text == NULL)
		return FALSE;
	bw_ctl_printf(out, "name\tmode\tstate\tlast error");
	lines = g_strsplit(text, "\n", -1);
	for (guint i = 0; lines[i]; i++)
		if (*lines[i])
			bw_ctl_printf(out, "%s", lines[i]);
	return TRUE;
}

/* ---- following the store ---- */

static bool trunk_same_str(const char *a, const char *b)
{
	return g_strcmp0(a, b) == 0;
}

/* Is the registration made of the same parts (so the binding can stay)? */
static bool trunk_same_registration(const sip_trunk_cfg *a, const sip_trunk_cfg *b)
{
	return a->mode == TRUNK_REGISTER && b->mode == TRUNK_REGISTER &&
		trunk_same_str(a->proxy, b->proxy) && trunk_same_str(a->domain, b->domain) &&
		trunk_same_str(a->username, b->username) && trunk_same_str(a->realm, b->realm) &&
		trunk_same_str(a->ha1_md5, b->ha1_md5) &&
		trunk_same_str(a->ha1_sha256, b->ha1_sha256) &&
		trunk_same_str(a->transport, b->transport) &&
		trunk_same_str(a->ca_file, b->ca_file) && a->verify == b->verify &&
		a->expires == b->expires;
}

/* A change that leaves the registration as it was: take the new record in
 * place (takes json then). */
static bool trunk_keep(sip_trunk *t, const char *name, char *json)
{
	sip_trunk_cfg *cfg;

	if (t->cfg == NULL || json == NULL)
		return false;
	cfg = sip_trunk_cfg_parse(name, json, strlen(json), NULL);
	if (cfg == NULL || !trunk_same_registration(t->cfg, cfg)) {
		sip_trunk_cfg_free(cfg);
		return false;
	}
	g_message("sip: trunk %s changed, its registration did not: keeping it", t->name);
	sip_trunk_cfg_free(t->cfg);
	t->cfg = cfg;
	g_free(t->json);
	t->json = json;
	return true;
}

static bool trunk_known(sip_trunk *t, char **names)
{
	return names && g_strv_contains((const char *const *) names, t->name);
}

void sip_trunks_resync(void)
{
	g_auto(GStrv) names = NULL;
	guint i = 0;

	if (trunks == NULL || trunks_stopping)
		return;   /* stopped meanwhile */
	names = bw_trunk_names();
	while (i < trunks->len) {   /* drop the deleted ones */
		if (trunk_known(trunks->pdata[i], names))
			i++;
		else
			trunk_leave_index(i, "deleted");
	}
	for (i = 0; names && names[i]; i++) {
		char *json = bw_trunk_json(names[i]);
		sip_trunk *t = trunk_find(names[i]);
		guint at;

		if (t && g_strcmp0(t->json, json) == 0) {
			g_free(json);
			continue;
		}
		if (t && trunk_keep(t, names[i], json))
			continue;
		if (t && g_ptr_array_find(trunks, t, &at)) {
			g_message("sip: trunk %s changed: restarting it", t->name);
			trunk_leave_index(at, "changed");
		}
		trunk_load_one(names[i], json);
	}
}

static void trunk_resync_sig(void *unused)
{
	(void) unused;
	sip_trunks_resync();
}

/* Low priority: the directory rebuilds from its own idle (default idle
 * priority) on the same change, and we must read the rebuilt one. */
static gboolean trunk_resync_idle(void *unused)
{
	(void) unused;
	trunk_idle = 0;
	if (bw_sig_call(trunk_resync_sig, NULL) != 0)
		g_warning("sip: trunks changed in the store but the signalling thread is gone");
	return G_SOURCE_REMOVE;
}

static void trunk_on_change(const char *key, GBytes *value, gint64 revision, void *unused)
{
	(void) key;
	(void) value;
	(void) revision;
	(void) unused;
	if (trunk_idle == 0)
		trunk_idle = g_idle_add_full(G_PRIORITY_LOW, trunk_resync_idle, NULL, NULL);
}

void sip_trunks_mgmt_start(void)
{
	bw_store *s = bw_store_system();

	trunk_watch = s ? bw_store_watch(s, "trunk/", NULL, trunk_on_change, NULL) : NULL;
	if (trunk_watch == NULL)
		g_warning("sip: no store to watch: trunk changes need `module reload sip`");
	trunk_cmd_added = bw_ctl_command_add("trunks", 1, 1, "trunks",
					     "SIP trunks: name, mode, state, last error",
					     trunk_cmd, NULL) == 0;
	if (!trunk_cmd_added)
		g_warning("sip: cannot add the control command trunks");
	(void) sip_trunksvc_provide(sip_mod->module);   /* the webadmin's Trunks page */
}

void sip_trunks_mgmt_stop(void)
{
	if (trunk_cmd_added)
		bw_ctl_command_remove("trunks");
	trunk_cmd_added = false;
	g_clear_pointer(&trunk_watch, bw_store_unwatch);
	if (trunk_idle)
		g_source_remove(trunk_idle);
	trunk_idle = 0;
}

int sip_trunks_init(void)
{
	g_auto(GStrv) names = bw_trunk_names();

	trunks = g_ptr_array_new_with_free_func(trunk_free);
	leaving = g_ptr_array_new_with_free_func(trunk_free);
	trunks_stopping = false;
	trunk_leave_count_update();
	for (guint i = 0; names && names[i]; i++)
		trunk_load_one(names[i], bw_trunk_json(names[i]));
	return 0;
}

/* Those still without an answer are abandoned: the stack goes down. */
void sip_trunks_close(void)
{
	trunks_stopping = true;
	while (leaving && leaving->len)
		trunk_leave_end(leaving->pdata[0], false, "no answer before the module stopped");
	g_clear_pointer(&leaving, g_ptr_array_unref);
	trunk_leave_count_update();
	g_clear_pointer(&trunks, g_ptr_array_unref);
	sip_trunk_tls_detach();
}

static void trunk_leave_all_sig(void *unused)
{
	(void) unused;
	if (trunks == NULL)
		return;
	trunks_stopping = true;
	while (trunks->len)
		trunk_leave_index(trunks->len - 1, "stopping");
}

void sip_trunks_leave_all(guint bound_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64) bound_ms * 1000;
	guint left;

	if (bw_sig_call_sync(trunk_leave_all_sig, NULL, TRUNK_CMD_MS) != 0) {
		g_warning("sip: stop: the signalling thread did not answer: no un-REGISTER sent");
		return;
	}
	g_mutex_lock(&leave_lock);
	while (leave_count > 0 && g_cond_wait_until(&leave_cond, &leave_lock, end))
		;
	left = leave_count;
	g_mutex_unlock(&leave_lock);
	if (left)
		g_warning("sip: stop: %u trunk(s) without an answer to their un-REGISTER after "
			  "%u ms: giving up on them", left, bound_ms);
}
