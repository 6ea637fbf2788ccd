/* mod_srtp: media anchoring and the SRTP relay.
 *
 * Contract: provides the service "media" versions 2 and 1 (bw_media_v2
 * and its v1 part, bulwark/call.h) from start to stop; the call engine passes every SDP of
 * a call through it on the signalling thread. Each leg gets relay ports
 * bound from the configured range for the call only, its own SRTP keys
 * and its policy (bw_channel_srtp of the caller's leg, bw_call_target_srtp
 * for the target's leg while it is originated). Relay threads start in
 * start and stop in stop; `bulwarkctl media` lists the streams. Configuration:
 * <module name="srtp" ports="40000-40499" threads="2" rate-limit-factor="3"
 * replay-window="128" address="192.0.2.10"><codecs>PCMU/8000 ...</codecs>
 * </module> (the codecs offered when a caller sends no SDP, a delayed
 * offer: the service's originate), see docs/srtp.md. */
#include <bulwark/bulwark.h>
#include <bulwark/call.h>
#include <bulwark/ctl.h>
#include <bulwark/service.h>
#include <bulwark/thread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "relay.h"
#include "sdpanchor.h"

typedef struct srtp_mod {
	bw_relay_config cfg;
	char addr[64];
	char *codecs;                    /* <codecs>, checked; NULL: the default */
	bw_relay *relay;
	bw_anchor *anchor;               /* signalling thread */
	gboolean ctl_added;
} srtp_mod;

static srtp_mod *srtp_live;          /* signalling thread: NULL once stopped */

static gboolean srtp_conf_fail(GError **err, const bw_conf_node *n, const char *what)
{
	g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%d: <module name=\"srtp\">: %s",
		    bw_conf_file(n), bw_conf_line(n), what);
	return FALSE;
}

/* <codecs> text, checked here so that a bad list fails at load time. */
static gboolean srtp_conf_codecs(const bw_conf_node *n, srtp_mod *m, GError **err)
{
	const bw_conf_node *c = bw_conf_child(n, "codecs");
	bw_sdp_codec list[BW_SDP_MAX_CODECS];
	guint count = 0;
	char why[160] = "";
	if (!c)
		return TRUE;
	if (bw_sdp_codecs_parse(bw_conf_text(c), list, &count, why, sizeof why) != 0) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%d: <codecs>: %s",
			    bw_conf_file(c), bw_conf_line(c), why);
		return FALSE;
	}
	m->codecs = g_strdup(bw_conf_text(c));
	return TRUE;
}

static gboolean srtp_conf_read(const bw_conf_node *n, srtp_mod *m, GError **err)
{
	const char *ports = bw_conf_str(n, "ports", "40000-40499");
	guint lo = 0, hi = 0;
	char tail = 0;
	if (sscanf(ports, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1024 || hi > 65535 ||
	    lo % 2 || hi <= lo)
		return srtp_conf_fail(err, n, "ports must be \"EVEN-HIGHER\" within 1024-65535 "
				      "(e.g. 40000-40499)");
	gint64 threads = bw_conf_int(n, "threads", 0);
	gint64 factor = bw_conf_int(n, "rate-limit-factor", 3);
	gint64 window = bw_conf_int(n, "replay-window", 128);
	if (threads < 0 || threads > BW_RELAY_MAX_THREADS)
		return srtp_conf_fail(err, n, "threads must be 0 (one per core) to 64");
	if (factor < 0 || factor > 100)
		return srtp_conf_fail(err, n, "rate-limit-factor must be 0 (no limit) to 100");
	if (window < 64 || window > 32768)
		return srtp_conf_fail(err, n, "replay-window must be 64 to 32768 packets");
	const char *addr = bw_conf_str(n, "address", "");
	if (strlen(addr) >= sizeof m->addr)
		return srtp_conf_fail(err, n, "address is too long");
	g_strlcpy(m->addr, addr, sizeof m->addr);
	g_strlcpy(m->cfg.bind_addr, addr[0] ? addr : "0.0.0.0", sizeof m->cfg.bind_addr);
	m->cfg.port_min = lo;
	m->cfg.port_max = hi;
	m->cfg.threads = (guint)threads;
	m->cfg.rate_factor = (guint)factor;
	m->cfg.replay_window = (guint)window;
	m->cfg.event_interval_s = 10;
	return srtp_conf_codecs(n, m, err);
}

/* ---- the media service (signalling thread) ---- */

static void srtp_secure(void *leg, gboolean secure)
{
	bw_channel_set_secure(leg, secure);
}

static char *srtp_offer(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			char *reason, gsize reason_len)
{
	srtp_mod *m = srtp_live;
	const char *id = bw_call_id(call);
	if (!m) {
		g_strlcpy(reason, "the media relay is stopping", reason_len);
		return NULL;
	}
	/* The first offer of an outbound attempt comes before that leg
	 * exists: the engine tells the routed target's policy by the call. */
	if (!to) {
		bw_anchor_policy(m->anchor, id, 0, bw_channel_srtp(from));
		bw_anchor_policy(m->anchor, id, 1, bw_call_target_srtp(call));
	}
	return bw_anchor_offer(m->anchor, id, from, to, sdp, reason, reason_len);
}

static char *srtp_answer(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			 char *reason, gsize reason_len)
{
	srtp_mod *m = srtp_live;
	if (!m) {
		g_strlcpy(reason, "the media relay is stopping", reason_len);
		return NULL;
	}
	return bw_anchor_answer(m->anchor, bw_call_id(call), from, to, sdp, reason, reason_len);
}

/* A delayed offer: the caller sent none; we offer to the target. */
static char *srtp_originate(bw_call *call, bw_channel *from, char *reason, gsize reason_len)
{
	srtp_mod *m = srtp_live;
	const char *id = bw_call_id(call);
	if (!m) {
		g_strlcpy(reason, "the media relay is stopping", reason_len);
		return NULL;
	}
	bw_anchor_policy(m->anchor, id, 0, bw_channel_srtp(from));
	bw_anchor_policy(m->anchor, id, 1, bw_call_target_srtp(call));
	return bw_anchor_originate(m->anchor, id, from, bw_channel_peer(from), reason,
				   reason_len);
}

static void srtp_release(bw_call *call)
{
	srtp_mod *m = srtp_live;
	if (!m)
		return;
	bw_anchor_release(m->anchor, bw_call_id(call));
}

static const bw_media_v2 srtp_media = { { srtp_offer, srtp_answer, srtp_release },
					srtp_originate };

/* ---- bulwarkctl media ---- */

static void srtp_ctl_line(const char *call_id, guint index, guint leg, guint port,
			  const char *peer, gboolean secure, const bw_relay_counts *c, void *ud)
{
	bw_ctl_printf(ud, "%s media %u leg %u port %u peer %s %s rx %" G_GUINT64_FORMAT
		      " tx %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT " foreign %"
		      G_GUINT64_FORMAT " auth_failed %" G_GUINT64_FORMAT " replayed %"
		      G_GUINT64_FORMAT " rate_limited %" G_GUINT64_FORMAT "\n", call_id, index,
		      leg, port, peer, secure ? "srtp" : "rtp", c->rx, c->tx, c->dropped,
		      c->foreign, c->auth_failed, c->replayed, c->rate_limited);
}

static gboolean srtp_ctl_media(bw_ctl_reply *out, guint argc, const char *const *argv,
			       const char *actor, void *user_data, GError **err)
{
	srtp_mod *m = user_data;
	(void)argc; (void)argv; (void)actor; (void)err;
	bw_ctl_printf(out, "streams %u ports %u-%u\n", bw_relay_stream_count(m->relay),
		      m->cfg.port_min, m->cfg.port_max);
	bw_relay_foreach(m->relay, srtp_ctl_line, out);
	return TRUE;
}

/* ---- lifecycle ---- */

static void srtp_free(srtp_mod *m)
{
	bw_anchor_free(m->anchor);
	bw_relay_free(m->relay);
	g_free(m->codecs);
	g_free(m);
}

static int srtp_init(bw_module *mod)
{
	g_autoptr(GError) err = NULL;
	srtp_mod *m = g_new0(srtp_mod, 1);
	if (!srtp_conf_read(bw_module_conf(mod), m, &err)) {
		g_warning("srtp: init: %s", err->message);
		g_free(m->codecs);
		g_free(m);
		return EINVAL;
	}
	bw_module_set_data(mod, m);
	return 0;
}

static void srtp_attach(void *p)
{
	srtp_live = p;
}

static void srtp_detach(void *p)
{
	srtp_mod *m = p;
	srtp_live = NULL;
	bw_anchor_free(m->anchor);   /* every call's streams removed, ports closed */
	m->anchor = NULL;
}

static int srtp_start(bw_module *mod)
{
	srtp_mod *m = bw_module_data(mod);
	g_autoptr(GError) err = NULL;
	m->relay = bw_relay_new(&m->cfg, &err);
	if (!m->relay) {
		g_warning("srtp: start: %s", err->message);
		return EIO;
	}
	m->anchor = bw_anchor_new(m->relay, m->addr, srtp_secure);
	if (m->codecs)
		(void)bw_anchor_set_codecs(m->anchor, m->codecs, NULL, 0);   /* checked at init */
	int rc = bw_sig_call_sync(srtp_attach, m, 5000);
	if (rc == ESHUTDOWN)
		srtp_attach(m);
	m->ctl_added = bw_ctl_command_add("media", 1, 1, "media",
					  "relayed media streams: addresses, packets, drops",
					  srtp_ctl_media, m) == 0;
	rc = bw_service_provide(mod, "media", 2, &srtp_media);
	if (!rc)
		rc = bw_service_provide(mod, "media", 1, &srtp_media.v1);
	if (rc) {
		g_warning("srtp: start: cannot provide the \"media\" service: %s", g_strerror(rc));
		return rc;
	}
	char where[96];
	g_snprintf(where, sizeof where, "%s:%u-%u (during calls only)", m->cfg.bind_addr,
		   m->cfg.port_min, m->cfg.port_max);
	bw_listener_announce("media/udp", where);
	g_message("relay on %s ports %u-%u, %u thread(s)", m->cfg.bind_addr,
		  m->cfg.port_min, m->cfg.port_max, bw_relay_get_config(m->relay)->threads);
	return 0;
}

static void srtp_stop(bw_module *mod)
{
	srtp_mod *m = bw_module_data(mod);
	bw_listener_withdraw("media/udp");
	if (m->ctl_added)
		bw_ctl_command_remove("media");
	m->ctl_added = FALSE;
	if (!m->relay)
		return;
	int rc = bw_sig_call_sync(srtp_detach, m, 5000);
	if (rc == ESHUTDOWN) {
		srtp_detach(m);
	} else if (rc) {
		/* it may still run: leave it what it touches */
		g_warning("srtp: stop: the signalling thread did not answer (%s); the relay "
			  "is left running", g_strerror(rc));
		return;
	}
	bw_relay_free(m->relay);
	m->relay = NULL;
}

static void srtp_fini(bw_module *mod)
{
	srtp_mod *m = bw_module_data(mod);
	if (m && !m->relay)
		srtp_free(m);
}

BW_MODULE_DEFINE(.name = "srtp", .version = "1.0",
		 .summary = "media anchoring: SRTP/RTP relay, ports open only during calls",
		 .init = srtp_init, .start = srtp_start, .stop = srtp_stop, .fini = srtp_fini);
