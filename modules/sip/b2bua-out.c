/* The channel driver "sip": outbound legs (originate), forking, no-answer.
 *
 * An extension is rung at every live contact at once (at most
 * SIP_FORKS_MAX), each INVITE routed to the transport address its REGISTER
 * came from, so a TCP/TLS phone is reached over its own connection. The
 * first 2xx wins; the others get CANCEL (or BYE if their 2xx crossed).
 * A trunk is rung once through its proxy; a 401/407 from the provider is
 * answered once with the trunk's stored HA1 (libre's client would need
 * the secret). When no fork is left the leg fails with the most telling
 * final code; the ring timer fails it with 480. */
#define G_LOG_DOMAIN SIP_LOG_DOMAIN
#include <errno.h>
#include <string.h>
#include "b2bua.h"

static int b2b_no_auth(char **user, char **pass, const char *realm, void *arg)
{
	(void) user;
	(void) pass;
	(void) realm;
	(void) arg;
	return EAUTH;   /* challenges are answered in b2b_fork_close */
}

static int b2b_fork_start(sip_leg *leg, const char *uri, const char *route, const char *hdrs,
			  guint auth_tries);

/* Busy and decline say more than timeouts and "unavailable". */
static int b2b_code_rank(int code)
{
	if (code >= 600)
		return 4;
	if (code == 486)
		return 3;
	if (code == 408 || code == 480 || code == 487 || code >= 500)
		return 1;
	return 2;
}

static void b2b_leg_note_failure(sip_leg *leg, int code, const struct pl *reason)
{
	if (leg->best_code && b2b_code_rank(code) <= b2b_code_rank(leg->best_code))
		return;
	leg->best_code = code;
	if (reason && pl_isset(reason))
		(void) pl_strcpy(reason, leg->best_reason, sizeof(leg->best_reason));
	else
		g_snprintf(leg->best_reason, sizeof(leg->best_reason), "SIP %d", code);
}

/* No fork left and nobody answered: the leg fails (and ends). */
static void b2b_leg_check_failed(sip_leg *leg)
{
	if (leg->answered || leg->forks->len > 0)
		return;
	tmr_cancel(&leg->ring_tmr);
	bw_channel_failed(leg->ch, leg->best_code ? leg->best_code : 480,
			  leg->best_reason[0] ? leg->best_reason : "no contact answered");
	b2b_leg_free(leg);
}

static int b2b_fork_offer(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	sip_fork *f = arg;

	if (f != f->leg->winner)
		return EPROTO;
	return b2b_offer_common(f->leg, descp, msg);
}

static int b2b_fork_answer(const struct sip_msg *msg, void *arg)
{
	sip_fork *f = arg;
	g_autofree char *sdp = NULL;

	/* the first 2xx's SDP is taken in b2b_fork_estab; later ones answer
	 * our re-INVITEs */
	if (f != f->leg->winner || !f->leg->answered)
		return 0;
	sdp = b2b_body(msg);
	if (sdp)
		bw_channel_updated(f->leg->ch, sdp);
	return 0;
}

static bool b2b_leg_ringing(const sip_leg *leg)
{
	for (guint i = 0; i < leg->forks->len; i++)
		if (((sip_fork *) leg->forks->pdata[i])->ringing)
			return true;
	return false;
}

static void b2b_fork_progress(const struct sip_msg *msg, void *arg)
{
	sip_fork *f = arg;
	sip_leg *leg = f->leg;
	g_autofree char *sdp = NULL;

	if (msg->scode <= 100 || msg->scode >= 200 || leg->answered)
		return;
	sdp = b2b_body(msg);
	if (sdp && !leg->early_media) {
		leg->early_media = true;   /* one early media stream: the first */
		f->ringing = true;
		bw_channel_ringing(leg->ch, msg->scode, sdp);
	} else if (!b2b_leg_ringing(leg)) {
		f->ringing = true;
		bw_channel_ringing(leg->ch, msg->scode == 183 ? 183 : 180, NULL);
	}
	f->ringing = true;
}

static void b2b_fork_estab(const struct sip_msg *msg, void *arg)
{
	sip_fork *f = arg;
	sip_leg *leg = f->leg;
	g_autofree char *sdp = NULL;

	if (leg->answered) {
		g_ptr_array_remove(leg->forks, f);   /* a crossing 2xx: BYE */
		return;
	}
	leg->answered = true;
	leg->winner = f;
	leg->sess = f->sess;
	tmr_cancel(&leg->ring_tmr);
	for (guint i = leg->forks->len; i-- > 0;)
		if (leg->forks->pdata[i] != f)
			g_ptr_array_remove_index(leg->forks, i);   /* CANCEL */
	g_free(leg->sent_sdp);
	leg->sent_sdp = g_strdup(leg->offer);
	sdp = b2b_body(msg);
	bw_channel_answered(leg->ch, sdp);
}

static void b2b_fork_close(int err, const struct sip_msg *msg, void *arg)
{
	sip_fork *f = arg;
	sip_leg *leg = f->leg;
	int code;

	if (f == leg->winner) {
		leg->sess = NULL;
		leg->winner = NULL;
		g_ptr_array_remove(leg->forks, f);
		bw_channel_hungup(leg->ch, err == 0 || err == ECONNRESET ? "callee hung up"
				  : "callee leg failed");
		b2b_leg_free(leg);
		return;
	}
	code = msg && msg->scode >= 300 ? msg->scode : (err == ETIMEDOUT ? 408 : 503);
	if ((code == 401 || code == 407) && leg->trunk && f->auth_tries == 0 && msg) {
		g_autofree char *hdr = sip_trunk_auth_header(leg->trunk, msg, "INVITE", f->uri);

		if (hdr && b2b_fork_start(leg, f->uri, f->route, hdr, 1) == 0) {
			g_ptr_array_remove(leg->forks, f);
			return;
		}
	}
	if (code == 401 || code == 407) {
		g_warning("sip: trunk %s refused our credentials for an INVITE (%d)",
			  leg->trunk ? leg->trunk : "?", code);
		code = 403;
	}
	b2b_leg_note_failure(leg, code, msg ? &msg->reason : NULL);
	g_ptr_array_remove(leg->forks, f);
	b2b_leg_check_failed(leg);
}

static int b2b_fork_start(sip_leg *leg, const char *uri, const char *route, const char *hdrs,
			  guint auth_tries)
{
	sip_re_sess_handlers h = {
		.offer = b2b_fork_offer, .answer = b2b_fork_answer,
		.progress = b2b_fork_progress, .estab = b2b_fork_estab,
		.close = b2b_fork_close,
	};
	sip_fork *f = g_new0(sip_fork, 1);
	const char *routev[1] = { route };
	struct mbuf *mb = b2b_mbuf(leg->offer);
	int err;

	f->leg = leg;
	f->uri = g_strdup(uri);
	f->route = g_strdup(route);
	f->auth_tries = auth_tries;
	h.arg = f;
	err = sip_re_sess_connect(&f->sess, b2b_sock(), uri, leg->from_name, leg->from_uri,
				  "bulwark", route ? routev : NULL, route ? 1 : 0, mb,
				  b2b_no_auth, NULL, &h, hdrs);
	mem_deref(mb);
	if (err) {
		g_warning("sip: cannot send an INVITE to %s: %s", uri, g_strerror(err));
		g_free(f->uri);
		g_free(f->route);
		g_free(f);
		return err;
	}
	g_ptr_array_add(leg->forks, f);
	return 0;
}

/* "sip:192.0.2.7:50123;transport=tcp": where the contact's REGISTER came from. */
static char *b2b_contact_route(const sip_contact *c)
{
	char buf[128];
	const char *param = c->tp == SIP_TRANSP_TCP ? ";transport=tcp"
		: c->tp == SIP_TRANSP_TLS ? ";transport=tls" : "";

	if (!sa_isset(&c->peer, SA_ALL))
		return NULL;
	(void) re_snprintf(buf, sizeof(buf), "sip:%J%s", &c->peer, param);
	return g_strdup(buf);
}

static int b2b_ring_extension(sip_leg *leg, const char *number)
{
	GPtrArray *contacts = sip_location_lookup(number);
	int err = ENOENT;

	for (guint i = 0; contacts && i < contacts->len && i < SIP_FORKS_MAX; i++) {
		const sip_contact *c = contacts->pdata[i];
		g_autofree char *route = b2b_contact_route(c);

		if (b2b_fork_start(leg, c->uri, route, NULL, 0) == 0)
			err = 0;
	}
	if (contacts)
		g_ptr_array_free(contacts, TRUE);
	return err;
}

static int b2b_ring_trunk(sip_leg *leg, const char *trunk, const char *number,
			  const char *caller)
{
	sip_trunk_dial d = { 0 };
	int err = sip_trunk_dial_prepare(trunk, number, caller, &d);

	if (err)
		return err;
	leg->trunk = g_strdup(trunk);
	g_free(leg->from_uri);
	leg->from_uri = g_strdup(d.from_uri);
	err = b2b_fork_start(leg, d.request_uri, d.route, NULL, 0);
	sip_trunk_dial_clear(&d);
	return err;
}

/* Keep only what is safe inside a SIP URI user part / a quoted name. */
static char *b2b_clean(const char *s, const char *fallback, bool display)
{
	GString *out = g_string_new(NULL);

	for (; s && *s && out->len < SIP_NUMBER_MAX; s++) {
		unsigned char c = (unsigned char) *s;

		if (g_ascii_isalnum(c) || strchr("*#+._-", c) || (display && c >= 0x20 &&
		    c != '"' && c != '\\' && c != 0x7f))
			g_string_append_c(out, (char) c);
	}
	if (out->len == 0) {
		g_string_free(out, TRUE);
		return fallback ? g_strdup(fallback) : NULL;
	}
	return g_string_free(out, FALSE);
}

static void b2b_ring_timeout(void *arg)
{
	sip_leg *leg = arg;

	if (!b2b_leg_live(leg) || leg->answered)
		return;
	g_ptr_array_set_size(leg->forks, 0);   /* CANCEL every fork */
	leg->best_code = 480;
	g_strlcpy(leg->best_reason, "no answer", sizeof(leg->best_reason));
	b2b_leg_check_failed(leg);
}

int b2b_originate(const bw_originate *o, bw_channel **out)
{
	sip_leg *leg;
	g_autofree char *caller = NULL;
	guint timeout;
	int err;

	if (o == NULL || o->target == NULL || o->sdp == NULL || out == NULL)
		return EINVAL;
	leg = b2b_leg_new(false);
	leg->forks = g_ptr_array_new_with_free_func(b2b_fork_free);
	leg->offer = g_strdup(o->sdp);
	caller = b2b_clean(o->caller ? o->caller->number : NULL, "anonymous", false);
	leg->from_uri = g_strdup_printf("sip:%s@%s", caller, sip_mod->realm);
	leg->from_name = o->caller ? b2b_clean(o->caller->display, NULL, true) : NULL;
	if (o->target->kind == BW_PARTY_TRUNK)
		err = b2b_ring_trunk(leg, o->target->id, o->number ? o->number : "", caller);
	else
		err = b2b_ring_extension(leg, o->target->id);
	if (err) {
		b2b_leg_free(leg);
		return err;
	}
	/* the forks report asynchronously, so the channel can come last */
	leg->ch = bw_channel_new("sip", leg);
	{
		const sip_fork *f0 = leg->forks->pdata[0];

		bw_channel_set_peer(leg->ch, f0->route ? f0->route : f0->uri);
	}
	/* the sip module's ring-timeout, within the engine's bound */
	timeout = sip_mod->ring_timeout;
	if (o->timeout_s && (timeout == 0 || o->timeout_s < timeout))
		timeout = o->timeout_s;
	if (timeout)
		tmr_start(&leg->ring_tmr, (uint64_t) timeout * 1000, b2b_ring_timeout, leg);
	*out = leg->ch;
	return 0;
}

void b2b_out_hangup(sip_leg *leg)
{
	leg->sess = NULL;
	leg->winner = NULL;
	g_ptr_array_set_size(leg->forks, 0);   /* CANCEL or BYE */
}

gboolean b2b_reachable(const bw_party *target)
{
	GPtrArray *contacts;
	gboolean ok;

	if (target == NULL || target->id == NULL)
		return FALSE;
	if (target->kind == BW_PARTY_TRUNK)
		return sip_trunk_reachable(target->id);
	contacts = sip_location_lookup(target->id);
	ok = contacts && contacts->len > 0;
	if (contacts)
		g_ptr_array_free(contacts, TRUE);
	return ok;
}
