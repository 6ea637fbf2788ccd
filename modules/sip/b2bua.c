/* The channel driver "sip": inbound legs, the driver callbacks, OPTIONS.
 *
 * Contract (sipmod.h, bulwark/call.h): an INVITE outside a dialog is
 * either from a trunk (trunk.c identifies it by its transport source) or
 * must carry digest credentials (sip_auth_request answers 407 itself); only
 * then does it get a 100 Trying and reach the engine (bw_call_incoming),
 * so 404/480/486 are only ever seen by authenticated callers. In-dialog
 * requests (ACK, BYE, re-INVITE) belong to libre's sipsess layer: our
 * dispatch handlers return false for them. The SDP is passed on as it
 * came; a re-INVITE is answered at once from what the leg last relayed
 * (sipsess wants the answer synchronously) and travels on to the other
 * party as a new offer. An INVITE without a body (delayed offer) is taken
 * only when the media service can originate offers
 * (bw_call_delayed_offer_ok, else 488 "Delayed Offer Not Supported"):
 * the engine then hands us an offer for our 200, and libre's sipsess
 * gives the caller's answer in its ACK to our answer handler, which
 * reports it (bw_channel_late_answer) once libre is done with the ACK.
 * Until then (bw_call_late_pending) a re-INVITE from the callee gets 491
 * (the caller's own gets 500 Retry-After from libre).
 * An INVITE whose body we cannot use is refused (415 with Accept for a
 * type other than application/sdp, 488 for an SDP over SIP_SDP_MAX): libre
 * takes only a body-less INVITE as a delayed offer. */
#define G_LOG_DOMAIN SIP_LOG_DOMAIN
#include <errno.h>
#include <string.h>
#include "b2bua.h"

static struct sipsess_sock *b2b_socket;
static GHashTable *b2b_legs;        /* sip_leg* -> itself: the live ones */
static guint b2b_late_calls;        /* live inbound legs of delayed-offer calls */
static GHashTable *b2b_pending;     /* key -> inbound leg without a session */

/* Session and ACK hash buckets (power of two): a few thousand concurrent
 * calls at a few entries per bucket; libre walks a bucket per request. */
#define B2B_SESS_HTSIZE 4096

#define B2B_ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER\r\n" \
	"Accept: application/sdp\r\n"

struct sipsess_sock *b2b_sock(void)
{
	return b2b_socket;
}

bool b2b_leg_live(const sip_leg *leg)
{
	return leg && b2b_legs && g_hash_table_contains(b2b_legs, leg);
}

sip_leg *b2b_leg_new(bool inbound)
{
	sip_leg *leg = g_new0(sip_leg, 1);

	leg->inbound = inbound;
	tmr_init(&leg->ring_tmr);
	tmr_init(&leg->ack_tmr);
	g_hash_table_add(b2b_legs, leg);
	return leg;
}

void b2b_fork_free(void *p)
{
	sip_fork *f = p;

	f->sess = mem_deref(f->sess);   /* CANCEL or BYE as the state needs */
	g_free(f->uri);
	g_free(f->route);
	g_free(f);
}

void b2b_leg_free(sip_leg *leg)
{
	if (!b2b_leg_live(leg))
		return;
	g_hash_table_remove(b2b_legs, leg);
	b2b_late_calls -= leg->late;
	if (leg->key)
		g_hash_table_remove(b2b_pending, leg->key);
	tmr_cancel(&leg->ring_tmr);
	tmr_cancel(&leg->ack_tmr);
	if (leg->forks)
		g_ptr_array_free(leg->forks, TRUE);
	if (leg->inbound)
		leg->sess = mem_deref(leg->sess);
	leg->invite = mem_deref(leg->invite);
	g_free(leg->key);
	g_free(leg->trunk);
	g_free(leg->from_uri);
	g_free(leg->from_name);
	g_free(leg->offer);
	g_free(leg->sent_sdp);
	g_free(leg->ack_sdp);
	g_free(leg);
}

char *b2b_body(const struct sip_msg *msg)
{
	size_t n = msg && msg->mb ? mbuf_get_left(msg->mb) : 0;

	if (n == 0 || n > SIP_SDP_MAX)
		return NULL;
	if (pl_isset(&msg->ctyp.type) && msg_ctype_cmp(&msg->ctyp, "application", "sdp") == false)
		return NULL;
	return g_strndup((const char *) mbuf_buf(msg->mb), n);
}

struct mbuf *b2b_mbuf(const char *s)
{
	struct mbuf *mb;

	if (s == NULL)
		return NULL;
	mb = mbuf_alloc(strlen(s) + 1);
	if (mb == NULL)
		return NULL;
	(void) mbuf_write_str(mb, s);
	mb->pos = 0;
	return mb;
}

/* A re-INVITE (or UPDATE) on an established leg. */
int b2b_offer_common(sip_leg *leg, struct mbuf **descp, const struct sip_msg *msg)
{
	g_autofree char *offer = b2b_body(msg);
	char *local;

	if (!b2b_leg_live(leg) || leg->sent_sdp == NULL)
		return EPROTO;
	if (bw_call_late_pending(bw_channel_call(leg->ch)))
		return EBUSY;   /* b2b_invite answers 491 first; never a 200 here */
	if (offer == NULL) {
		/* an offer-less re-INVITE: we offer what the party had */
		local = sip_sdp_with_direction(leg->sent_sdp, sip_sdp_direction(leg->sent_sdp));
	} else {
		local = sip_sdp_with_direction(leg->sent_sdp,
					       sip_sdp_dir_answer(sip_sdp_direction(offer)));
	}
	if (local == NULL)
		return EPROTO;
	*descp = b2b_mbuf(local);
	g_free(leg->sent_sdp);
	leg->sent_sdp = local;
	if (offer)
		bw_channel_reoffer(leg->ch, offer);
	return *descp ? 0 : ENOMEM;
}

/* ---- inbound session handlers (arg: the leg) ---- */

static int b2b_in_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	return b2b_offer_common(arg, descp, msg);
}

/* The ACK's answer to the offer in our 200 (delayed offer), or none. */
static void b2b_in_late_ack(void *arg)
{
	sip_leg *leg = arg;
	g_autofree char *sdp = leg->ack_sdp;

	leg->ack_sdp = NULL;
	bw_channel_late_answer(leg->ch, sdp);   /* may end the call and free leg */
}

static int b2b_in_answer(const struct sip_msg *msg, void *arg)
{
	sip_leg *leg = arg;
	g_autofree char *sdp = b2b_body(msg);

	if (!b2b_leg_live(leg) || !leg->answered)
		return 0;
	if (leg->late && !leg->ack_seen) {
		/* libre goes on with this session after we return: report later */
		leg->ack_seen = true;
		leg->ack_sdp = g_steal_pointer(&sdp);
		tmr_start(&leg->ack_tmr, 0, b2b_in_late_ack, leg);
	} else if (sdp) {
		bw_channel_updated(leg->ch, sdp);
	}
	return 0;
}

static void b2b_in_estab(const struct sip_msg *msg, void *arg)
{
	(void) msg;
	(void) arg;
}

static void b2b_in_close(int err, const struct sip_msg *msg, void *arg)
{
	sip_leg *leg = arg;
	char cause[64];

	if (!b2b_leg_live(leg))
		return;
	if (msg && !pl_strcmp(&msg->met, "CANCEL"))
		g_strlcpy(cause, "cancelled", sizeof(cause));
	else if (err == ECONNRESET || err == 0)
		g_strlcpy(cause, leg->answered ? "caller hung up" : "cancelled", sizeof(cause));
	else
		g_snprintf(cause, sizeof(cause), "caller leg failed: %s", g_strerror(err));
	leg->sess = mem_deref(leg->sess);
	bw_channel_hungup(leg->ch, cause);
	b2b_leg_free(leg);
}

static const sip_re_sess_handlers b2b_in_handlers_tmpl = {
	.offer = b2b_in_offer, .answer = b2b_in_answer, .estab = b2b_in_estab,
	.close = b2b_in_close,
};

/* Create the inbound session with a first 1xx/2xx answer. */
static int b2b_in_accept(sip_leg *leg, uint16_t code, const char *reason, const char *sdp)
{
	sip_re_sess_handlers h = b2b_in_handlers_tmpl;
	struct mbuf *mb = b2b_mbuf(sdp);
	int err;

	h.arg = leg;
	err = sip_re_sess_accept(&leg->sess, b2b_socket, leg->invite, code, reason, "bulwark",
				 mb, &h, NULL);
	mem_deref(mb);
	if (err) {
		g_warning("sip: cannot answer the INVITE of channel %s with %u: %s",
			  bw_channel_id(leg->ch), code, g_strerror(err));
		return err;
	}
	g_hash_table_remove(b2b_pending, leg->key);
	g_clear_pointer(&leg->key, g_free);
	leg->invite = mem_deref(leg->invite);
	return 0;
}

/* ---- driver callbacks (the engine calls them for our channels) ---- */

static void b2b_drv_progress(bw_channel *ch, int code, const char *sdp)
{
	sip_leg *leg = bw_channel_driver_data(ch);
	const char *reason = code == 183 ? "Session Progress" : "Ringing";

	if (!b2b_leg_live(leg) || !leg->inbound || leg->answered)
		return;
	if (code < 101 || code > 199)
		code = 180;
	if (sdp) {
		g_free(leg->sent_sdp);
		leg->sent_sdp = g_strdup(sdp);
	}
	if (leg->invite) {
		(void) b2b_in_accept(leg, (uint16_t) code, reason, sdp);
	} else if (leg->sess) {
		struct mbuf *mb = b2b_mbuf(sdp);

		(void) sip_re_sess_progress(leg->sess, (uint16_t) code, reason, mb, NULL);
		mem_deref(mb);
	}
}

static void b2b_drv_answer(bw_channel *ch, const char *sdp)
{
	sip_leg *leg = bw_channel_driver_data(ch);

	if (!b2b_leg_live(leg))
		return;
	if (leg->answered || !leg->inbound)
		return;   /* the other party's answer to a re-offer we answered already */
	g_free(leg->sent_sdp);
	leg->sent_sdp = g_strdup(sdp);
	leg->answered = true;
	if (leg->invite) {
		(void) b2b_in_accept(leg, 200, "OK", sdp);
	} else if (leg->sess) {
		struct mbuf *mb = b2b_mbuf(sdp);
		int err = sip_re_sess_answer(leg->sess, 200, "OK", mb, NULL);

		mem_deref(mb);
		if (err)
			g_warning("sip: cannot send 200 OK on channel %s: %s", bw_channel_id(ch),
				  g_strerror(err));
	}
}

static void b2b_drv_update(bw_channel *ch, const char *sdp)
{
	sip_leg *leg = bw_channel_driver_data(ch);
	struct mbuf *mb;
	int err;

	if (!b2b_leg_live(leg) || !leg->answered || leg->sess == NULL || sdp == NULL)
		return;
	mb = b2b_mbuf(sdp);
	err = sip_re_sess_modify(leg->sess, mb);
	mem_deref(mb);
	if (err) {
		g_warning("sip: cannot send a re-INVITE on channel %s: %s", bw_channel_id(ch),
			  g_strerror(err));
		return;
	}
	g_free(leg->sent_sdp);
	leg->sent_sdp = g_strdup(sdp);
}

static const char *b2b_reason_phrase(int code)
{
	switch (code) {
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 480: return "Temporarily Unavailable";
	case 484: return "Address Incomplete";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 488: return "Not Acceptable Here";
	case 503: return "Service Unavailable";
	case 603: return "Decline";
	default:  return "Call Failed";
	}
}

/* A policy refusal (403 barred, 488 media) carries the engine's reason as
 * its phrase, so the caller learns why ("Number unobtainable: barred by
 * international"); it reaches only authenticated callers and trunks.
 * Printable ASCII only, bounded; anything else keeps the standard phrase. */
static const char *b2b_policy_phrase(int code, const char *reason, char *buf, size_t size)
{
	size_t n = reason ? strlen(reason) : 0;

	if ((code != 403 && code != 488) || n == 0 || n >= size)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) reason[i] < 0x20 || (unsigned char) reason[i] > 0x7e)
			return NULL;
	memcpy(buf, reason, n + 1);
	return buf;
}

static void b2b_in_reject(sip_leg *leg, int code, const char *reason)
{
	const char *phrase;
	char buf[128];

	if (code < 300 || code > 699)
		code = 480;
	phrase = b2b_policy_phrase(code, reason, buf, sizeof(buf));
	if (!phrase)
		phrase = b2b_reason_phrase(code);
	if (leg->invite)
		(void) sip_treply(NULL, sip_mod->sip, leg->invite, (uint16_t) code, phrase);
	else if (leg->sess)
		(void) sip_re_sess_reject(leg->sess, (uint16_t) code, phrase, NULL);
}

static void b2b_drv_hangup(bw_channel *ch, int code, const char *reason)
{
	sip_leg *leg = bw_channel_driver_data(ch);

	if (!b2b_leg_live(leg))
		return;
	if (leg->inbound) {
		if (!leg->answered)
			b2b_in_reject(leg, code, reason);
		leg->sess = mem_deref(leg->sess);   /* BYE when established */
	} else {
		b2b_out_hangup(leg);
	}
	b2b_leg_free(leg);
}

static const bw_channel_driver b2b_driver = {
	.name = "sip",
	.originate = b2b_originate,
	.progress = b2b_drv_progress,
	.answer = b2b_drv_answer,
	.update = b2b_drv_update,
	.hangup = b2b_drv_hangup,
	.reachable = b2b_reachable,
};

/* ---- incoming INVITE ---- */

/* Request-URI user without visual separators; NULL when unusable. */
static char *b2b_dialed(const struct sip_msg *msg)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < msg->uri.user.l; i++) {
		char c = msg->uri.user.p[i];

		if (g_ascii_isalnum(c) || c == '*' || c == '#' || c == '+')
			g_string_append_c(s, c);
		else if (c != '-' && c != '.' && c != '(' && c != ')')
			break;
	}
	if (s->len == 0 || s->len > SIP_NUMBER_MAX) {
		g_string_free(s, TRUE);
		return NULL;
	}
	return g_string_free(s, FALSE);
}

static char *b2b_key(const struct sip_msg *msg)
{
	return g_strdup_printf("%.*s|%.*s", (int) msg->callid.l, msg->callid.p,
			       (int) msg->from.tag.l, msg->from.tag.p);
}

/* The caller: an authenticated extension or a trunk. FALSE: answered. */
typedef struct b2b_caller {
	bw_party party;
	bw_extension *ext;
	char *number, *display;
} b2b_caller;

static void b2b_caller_clear(b2b_caller *c)
{
	g_clear_pointer(&c->ext, bw_extension_free);
	g_clear_pointer(&c->number, g_free);
	g_clear_pointer(&c->display, g_free);
}

/* A trunk's SRTP policy from its directory record ("srtp", default off:
 * providers rarely offer SRTP). */
static bw_srtp_policy b2b_trunk_srtp(const char *trunk)
{
	g_autofree char *json = bw_trunk_json(trunk);
	g_autoptr(GError) err = NULL;
	sip_trunk_cfg *cfg = json ? sip_trunk_cfg_parse(trunk, json, strlen(json), &err) : NULL;
	/* the directory's default for trunks too: secure unless configured off */
	bw_srtp_policy p = BW_SRTP_MANDATORY;
	if (cfg && cfg->srtp && !strcmp(cfg->srtp, "off"))
		p = BW_SRTP_OFF;
	else if (cfg && cfg->srtp && !strcmp(cfg->srtp, "optional"))
		p = BW_SRTP_OPTIONAL;
	if (cfg)
		sip_trunk_cfg_free(cfg);
	return p;
}

static gboolean b2b_caller_identify(const struct sip_msg *msg, b2b_caller *c)
{
	const char *trunk = sip_trunk_identify(msg);

	memset(c, 0, sizeof(*c));
	if (trunk) {
		c->party.kind = BW_PARTY_TRUNK;
		c->party.id = trunk;
		c->number = pl_isset(&msg->from.uri.user) && msg->from.uri.user.l <= SIP_NUMBER_MAX
			? g_strndup(msg->from.uri.user.p, msg->from.uri.user.l) : g_strdup("anonymous");
		if (pl_isset(&msg->from.dname) && msg->from.dname.l <= 128)
			c->display = g_strndup(msg->from.dname.p, msg->from.dname.l);
		c->party.number = c->number;
		c->party.display = c->display;
		c->party.srtp = b2b_trunk_srtp(trunk);
		return TRUE;
	}
	if (sip_auth_request(msg, true, &c->ext) != 0)
		return FALSE;
	c->party.kind = BW_PARTY_EXTENSION;
	c->party.id = c->ext->number;
	c->party.number = c->ext->number;
	c->party.display = c->ext->name;
	c->party.group = c->ext->cor;
	c->party.srtp = c->ext->srtp;
	return TRUE;
}

static void b2b_in_start(const struct sip_msg *msg, b2b_caller *caller, const char *dialed,
			 const char *sdp, char *key)
{
	sip_leg *leg = b2b_leg_new(true);
	char peer[80], reason[160] = "";
	int code = 0;
	bw_call *call;

	leg->invite = mem_ref((void *) msg);
	leg->late = sdp == NULL;
	b2b_late_calls += leg->late;
	leg->key = key;
	g_hash_table_insert(b2b_pending, leg->key, leg);
	leg->ch = bw_channel_new("sip", leg);
	(void) re_snprintf(peer, sizeof(peer), "%s:%J", sip_transp_name(msg->tp), &msg->src);
	bw_channel_set_peer(leg->ch, peer);
	bw_channel_set_secure(leg->ch, FALSE);   /* the srtp module decides later */
	call = bw_call_incoming(leg->ch, &caller->party, dialed, sdp, BW_CALL_NORMAL, &code,
				reason, sizeof(reason));
	if (call == NULL && b2b_leg_live(leg)) {
		/* refused at once: the engine freed the channel, we answer */
		leg->ch = NULL;
		b2b_in_reject(leg, code ? code : 480, reason);
		b2b_leg_free(leg);
	}
}

/* A re-INVITE on a leg whose call waits for the caller's answer in its
 * ACK (delayed offer): nothing can be relayed yet, and answering it from
 * what the party had would tell it that its new offer was taken. libre's
 * sipsess answers the caller's own re-INVITE then (500 Retry-After), so
 * only the called legs are looked for. TRUE: answered 491. */
static bool b2b_reinvite_pending(const struct sip_msg *msg)
{
	GHashTableIter it;
	gpointer key;

	if (b2b_late_calls == 0)
		return false;   /* the common case: no scan per re-INVITE */
	g_hash_table_iter_init(&it, b2b_legs);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		const sip_leg *leg = key;
		const struct sip_dialog *dlg;

		if (leg->inbound || leg->sess == NULL || leg->ch == NULL ||
		    !bw_call_late_pending(bw_channel_call(leg->ch)))
			continue;
		dlg = sipsess_dialog(leg->sess);
		if (dlg && sip_dialog_cmp(dlg, msg)) {
			g_info("sip: re-INVITE on channel %s answered 491: the call waits for "
				  "the caller's answer (delayed offer)", bw_channel_id(leg->ch));
			(void) sip_treply(NULL, sip_mod->sip, msg, 491, "Request Pending");
			return true;
		}
	}
	return false;
}

/* An INVITE's body that is there but cannot be used: refused as RFC 3261
 * 8.2.3 says for a type we do not take (415 listing what we accept), 488
 * for an SDP over our bound. Never a delayed offer: libre would send our
 * 200's offer but never pass the ACK's answer on (it waits for one only
 * after a body-less INVITE). */
static void b2b_body_refuse(const struct sip_msg *msg)
{
	if (pl_isset(&msg->ctyp.type) && !msg_ctype_cmp(&msg->ctyp, "application", "sdp"))
		(void) sip_treplyf(NULL, NULL, sip_mod->sip, msg, false, 415,
				   "Unsupported Media Type", "Accept: application/sdp\r\n"
				   "Content-Length: 0\r\n\r\n");
	else
		(void) sip_treply(NULL, sip_mod->sip, msg, 488, "Not Acceptable Here");
}

static bool b2b_invite(const struct sip_msg *msg)
{
	g_autofree char *dialed = NULL, *sdp = NULL;
	b2b_caller caller;
	bool body;
	char *key;

	if (pl_isset(&msg->to.tag))
		return b2b_reinvite_pending(msg);   /* else in a dialog: sipsess */
	key = b2b_key(msg);
	if (g_hash_table_contains(b2b_pending, key)) {
		(void) sip_reply(sip_mod->sip, msg, 100, "Trying");   /* a retransmission */
		g_free(key);
		return true;
	}
	if (!b2b_caller_identify(msg, &caller)) {
		g_free(key);
		return true;
	}
	(void) sip_reply(sip_mod->sip, msg, 100, "Trying");
	dialed = b2b_dialed(msg);
	sdp = b2b_body(msg);
	body = msg->mb && mbuf_get_left(msg->mb) > 0;
	if (dialed != NULL && body && sdp == NULL) {
		b2b_body_refuse(msg);
		g_free(key);
	} else if (dialed == NULL || (sdp == NULL && !bw_call_delayed_offer_ok())) {
		/* a delayed offer (no SDP) needs the media service to offer for
		 * the caller: docs/sip.md, "Delayed offer" */
		(void) sip_treply(NULL, sip_mod->sip, msg, dialed ? 488 : 404,
				  dialed ? "Delayed Offer Not Supported" : "Not Found");
		g_free(key);
	} else {
		b2b_in_start(msg, &caller, dialed, sdp, key);
	}
	b2b_caller_clear(&caller);
	return true;
}

static void b2b_connh(const struct sip_msg *msg, void *arg)
{
	(void) arg;
	if (!b2b_invite(msg))
		(void) sip_treply(NULL, sip_mod->sip, msg, 481, "Call/Transaction Does Not Exist");
}

/* CANCEL of an INVITE that has no session yet (nothing sent but 100). */
static bool b2b_cancel(const struct sip_msg *msg)
{
	g_autofree char *key = b2b_key(msg);
	sip_leg *leg = g_hash_table_lookup(b2b_pending, key);

	if (leg == NULL)
		return false;
	(void) sip_reply(sip_mod->sip, msg, 200, "OK");
	(void) sip_treply(NULL, sip_mod->sip, leg->invite, 487, "Request Terminated");
	leg->invite = mem_deref(leg->invite);
	bw_channel_hungup(leg->ch, "cancelled");
	b2b_leg_free(leg);
	return true;
}

static bool b2b_options(const struct sip_msg *msg)
{
	(void) sip_treplyf(NULL, NULL, sip_mod->sip, msg, false, 200, "OK",
			   B2B_ALLOW "Content-Length: 0\r\n\r\n");
	return true;
}

int sip_b2bua_init(void)
{
	int err;

	b2b_legs = g_hash_table_new(NULL, NULL);
	b2b_late_calls = 0;
	b2b_pending = g_hash_table_new(g_str_hash, g_str_equal);
	err = sip_re_sess_listen(&b2b_socket, sip_mod->sip, B2B_SESS_HTSIZE, b2b_connh, NULL);
	if (err) {
		g_warning("sip: cannot listen for sessions (INVITE): %s", g_strerror(err));
		sip_b2bua_close();
		return err;
	}
	err = bw_channel_driver_register(&b2b_driver);
	if (err) {
		g_warning("sip: cannot register the channel driver \"sip\": %s", g_strerror(err));
		sip_b2bua_close();
		return err;
	}
	sip_dispatch_register("INVITE", b2b_invite);
	sip_dispatch_register("CANCEL", b2b_cancel);
	sip_dispatch_register("OPTIONS", b2b_options);
	return 0;
}

void sip_b2bua_close(void)
{
	if (b2b_legs) {
		GList *legs = g_hash_table_get_keys(b2b_legs);

		for (GList *l = legs; l; l = l->next) {
			sip_leg *leg = l->data;

			if (!b2b_leg_live(leg))
				continue;   /* ended with its partner */
			if (leg->ch)
				bw_channel_hungup(leg->ch, "sip module stopping");
			b2b_leg_free(leg);
		}
		g_list_free(legs);
	}
	bw_channel_driver_unregister("sip");
	if (b2b_socket) {
		sipsess_close_all(b2b_socket);
		b2b_socket = mem_deref(b2b_socket);
	}
	g_clear_pointer(&b2b_pending, g_hash_table_destroy);
	g_clear_pointer(&b2b_legs, g_hash_table_destroy);
}
