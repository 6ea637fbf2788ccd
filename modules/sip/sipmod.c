/* Module sip: descriptor, life cycle, the libre stack on the signalling
 * thread, transports, and the one request handler.
 *
 * Contract (sipmod.h): start() builds the stack through bw_sig_call_sync
 * (Server/User-Agent "bulwark", no version), adds the configured
 * transports (TLS with the core's certificate, see recompat.c), announces
 * them, and adds `bulwarkctl registrations`, `blocked` and `trunks` and
 * the store watch on trunks.
 * Every request first passes sip_dos_admit on its transport source
 * (blocked sources are dropped unanswered), then the global rate limit
 * (max-transactions per second, 503), the size limit (513) and the RFC
 * 3261 8.2 checks, then goes to the handler registered for its method.
 * stop() tears everything down on the signalling thread the same way. */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <string.h>
#include "sipint-core.h"
#include "recompat.h"
#include "trunksvc.h"

#define SIP_SERVER_NAME "bulwark"
#define SIP_SYNC_MS 10000
#define SIP_CTL_ERROR (g_quark_from_static_string("sip-ctl"))

sipmod *sip_mod;

static struct {
	sip_core_conf conf;
	struct tls *tls;
	struct sip_lsnr *lsnr;
	GHashTable *dispatch;      /* method -> sip_method_h* */
	GPtrArray *announced;      /* char* listener names */
	gint64 rate_start;         /* µs, current second */
	guint rate_count;
	gboolean stack_up;
} sm;

static const char *const sip_rfc_methods[] = {
	"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK", "SUBSCRIBE",
	"NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE", NULL
};

const char *sip_tp_name(enum sip_transp tp)
{
	switch (tp) {
	case SIP_TRANSP_UDP: return "udp";
	case SIP_TRANSP_TCP: return "tcp";
	case SIP_TRANSP_TLS: return "tls";
	default: return "other";
	}
}

/* ---- replies and dispatch ---- */

void sip_reply_hdrs(const struct sip_msg *msg, uint16_t code, const char *reason,
		    const char *hdrs)
{
	int err;

	if (!sip_mod || !sip_mod->sip)
		return;
	err = sip_treplyf(NULL, NULL, sip_mod->sip, msg, false, code, reason,
			  "%sContent-Length: 0\r\n\r\n", hdrs ? hdrs : "");
	if (err)
		g_debug("sip: cannot send %u %s: %s", code, reason, g_strerror(err));
}

void sip_reply_stateless(const struct sip_msg *msg, uint16_t code, const char *reason,
			 const char *hdrs)
{
	int err;

	if (!sip_mod || !sip_mod->sip)
		return;
	err = sip_replyf(sip_mod->sip, msg, code, reason, "%sContent-Length: 0\r\n\r\n",
			 hdrs ? hdrs : "");
	if (err)
		g_debug("sip: cannot send %u %s: %s", code, reason, g_strerror(err));
}

void sip_dispatch_register(const char *method, sip_method_h *h)
{
	if (sm.dispatch == NULL)
		sm.dispatch = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (h)
		g_hash_table_replace(sm.dispatch, g_strdup(method), (gpointer)h);
	else
		g_hash_table_remove(sm.dispatch, method);
}

static char *sip_allow_header(void)
{
	GString *s = g_string_new("Allow: OPTIONS");

	for (const char *const *m = sip_rfc_methods; *m; m++)
		if (strcmp(*m, "OPTIONS") && sm.dispatch && g_hash_table_contains(sm.dispatch, *m))
			g_string_append_printf(s, ", %s", *m);
	g_string_append(s, "\r\n");
	return g_string_free(s, FALSE);
}

static gboolean sip_known_method(const struct pl *met)
{
	for (const char *const *m = sip_rfc_methods; *m; m++)
		if (!pl_strcmp(met, *m))
			return TRUE;
	return FALSE;
}

static bool sip_no_handler(const struct sip_msg *msg)
{
	char *allow;

	if (!pl_strcmp(&msg->met, "ACK") || pl_isset(&msg->to.tag))
		return false;      /* libre's later listeners (dialogs) */
	if (!pl_strcmp(&msg->met, "CANCEL")) {
		sip_reply_hdrs(msg, 481, "Call/Transaction Does Not Exist", NULL);
		return true;
	}
	allow = sip_allow_header();
	if (!pl_strcmp(&msg->met, "OPTIONS")) {
		GString *h = g_string_new(allow);
		g_string_append(h, "Accept: application/sdp\r\n");
		sip_reply_hdrs(msg, 200, "OK", h->str);
		g_string_free(h, TRUE);
	} else if (sip_known_method(&msg->met)) {
		sip_reply_hdrs(msg, 405, "Method Not Allowed", allow);
	} else {
		sip_reply_hdrs(msg, 501, "Not Implemented", allow);
	}
	g_free(allow);
	return true;
}

/* max-transactions new requests per second, over all sources. */
static gboolean sip_rate_admit(void)
{
	gint64 now = g_get_monotonic_time();

	if (now - sm.rate_start >= G_USEC_PER_SEC) {
		sm.rate_start = now;
		sm.rate_count = 0;
	}
	return ++sm.rate_count <= sm.conf.max_transactions;
}

static bool sip_on_request(const struct sip_msg *msg, void *arg)
{
	char met[32];
	sip_method_h *h;

	(void)arg;
	if (!sip_dos_admit(&msg->src))
		return true;       /* dropped: no answer to a blocked source */
	if (!sip_rate_admit()) {
		sip_reply_hdrs(msg, 503, "Service Unavailable", "Retry-After: 5\r\n");
		return true;
	}
	if (msg->mb && msg->mb->end > sm.conf.max_message) {
		sip_reply_hdrs(msg, 513, "Message Too Large", NULL);
		return true;
	}
	const char *reason = NULL;
	char hdrs[300];
	uint16_t code = sip_request_check(msg, &reason, hdrs, sizeof(hdrs));
	if (code) {
		sip_reply_hdrs(msg, code, reason, hdrs);
		return true;
	}
	if (msg->met.l >= sizeof(met)) {
		sip_reply_hdrs(msg, 501, "Not Implemented", NULL);
		return true;
	}
	pl_strcpy(&msg->met, met, sizeof(met));
	h = sm.dispatch ? g_hash_table_lookup(sm.dispatch, met) : NULL;
	return h ? h(msg) : sip_no_handler(msg);
}

/* ---- the stack on the signalling thread ---- */

typedef struct sip_start_job {
	SSL_CTX *tlsctx;
	GPtrArray *saved;
	int rc;
	char *why;
} sip_start_job;

static void sip_dns_init(void)
{
	struct sa nsv[8];
	uint32_t nsn = G_N_ELEMENTS(nsv);

	if (dns_srv_get(NULL, 0, nsv, &nsn) != 0 || nsn == 0 ||
	    dnsc_alloc(&sip_mod->dnsc, NULL, nsv, nsn) != 0) {
		sip_mod->dnsc = NULL;
		g_message("sip: no DNS resolver: outgoing requests need IP addresses");
	}
}

static int sip_transports_add(sip_start_job *job)
{
	for (guint i = 0; i < sm.conf.transports->len; i++) {
		const sip_transport_conf *t = sm.conf.transports->pdata[i];
		struct sa laddr;
		int err;

		if (sa_decode(&laddr, t->listen, strlen(t->listen)) != 0)
			err = EINVAL;
		else if (t->tp == SIP_TRANSP_TLS && sm.tls == NULL)
			err = (job->tlsctx ? sip_re_tls_server(&sm.tls, job->tlsctx) : ENOENT);
		else
			err = 0;
		if (!err)
			err = sip_re_transp_add(sip_mod->sip, t->tp, &laddr, sm.tls);
		if (err) {
			job->why = g_strdup_printf("cannot listen for SIP over %s on %s: %s",
						   sip_tp_name(t->tp), t->listen, g_strerror(err));
			return err;
		}
	}
	return 0;
}

static void sip_stack_down(void)
{
	sip_trunks_close();
	sip_b2bua_close();
	sip_registrar_close();
	sip_dos_close();
	sip_auth_close();
	sm.lsnr = mem_deref(sm.lsnr);
	if (sip_mod->sip) {
		sip_close(sip_mod->sip, true);
		sip_mod->sip = mem_deref(sip_mod->sip);
	}
	sm.tls = mem_deref(sm.tls);
	sip_mod->dnsc = mem_deref(sip_mod->dnsc);
	if (sm.dispatch)
		g_hash_table_remove_all(sm.dispatch);
	sm.stack_up = FALSE;
}

static int sip_parts_up(sip_start_job *job)
{
	int err;

	if ((err = sip_auth_init(&sm.conf.auth, sip_mod->realm)) != 0)
		job->why = g_strdup("cannot set up digest authentication");
	else if ((err = sip_dos_init(&sm.conf.dos)) != 0)
		job->why = g_strdup("bad <dos> allow-list");
	else if ((err = sip_registrar_init(&sm.conf.reg, job->saved)) != 0)
		job->why = g_strdup("cannot set up the registrar");
	else if ((err = sip_b2bua_init()) != 0)
		job->why = g_strdup_printf("cannot set up the B2BUA: %s", g_strerror(err));
	else if ((err = sip_trunks_init()) != 0)
		job->why = g_strdup_printf("cannot set up the trunks: %s", g_strerror(err));
	return err;
}

static void sip_start_sig(void *p)
{
	sip_start_job *job = p;
	int err;

	sm.stack_up = TRUE;
	sip_dns_init();
	err = sip_re_alloc(&sip_mod->sip, sip_mod->dnsc, sip_mod->server_name);
	if (err)
		job->why = g_strdup_printf("cannot allocate the SIP stack: %s", g_strerror(err));
	if (!err)
		err = sip_listen(&sm.lsnr, sip_mod->sip, true, sip_on_request, NULL);
	if (!err)
		err = sip_parts_up(job);
	if (!err)
		err = sip_transports_add(job);
	if (err)
		sip_stack_down();
	job->rc = err ? err : 0;
}

static void sip_stop_sig(void *p)
{
	(void)p;
	if (sm.stack_up)
		sip_stack_down();
}

/* ---- control commands ---- */

typedef struct sip_sig_job {
	gint refs;
	sip_sig_fn *fn;
	char *arg;
	GString *out;
} sip_sig_job;

static void sip_sig_job_unref(sip_sig_job *j)
{
	if (!g_atomic_int_dec_and_test(&j->refs))
		return;
	g_free(j->arg);
	g_string_free(j->out, TRUE);
	g_free(j);
}

static void sip_sig_job_run(void *p)
{
	sip_sig_job *j = p;

	if (sm.stack_up)
		j->fn(j->out, j->arg);
	sip_sig_job_unref(j);
}

char *sip_sig_run(sip_sig_fn *fn, const char *arg, GError **err)
{
	sip_sig_job *j = g_new0(sip_sig_job, 1);
	char *res = NULL;
	int rc;

	j->refs = 2;
	j->fn = fn;
	j->arg = g_strdup(arg);
	j->out = g_string_new(NULL);
	rc = bw_sig_call_sync(sip_sig_job_run, j, SIP_SYNC_MS);
	if (rc == 0)
		res = g_strdup(j->out->str);
	else
		g_set_error(err, SIP_CTL_ERROR, 0, "sip: the signalling thread did not answer: %s",
			    g_strerror(rc));
	if (rc == ESHUTDOWN)
		sip_sig_job_unref(j);   /* fn never runs */
	sip_sig_job_unref(j);
	return res;
}

static gboolean sip_print_lines(bw_ctl_reply *out, const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);

	for (char **l = lines; *l; l++)
		if (**l)
			bw_ctl_printf(out, "%s", *l);
	g_strfreev(lines);
	return TRUE;
}

static gboolean sip_cmd_registrations(bw_ctl_reply *out, guint argc, const char *const *argv,
				      const char *actor, void *user_data, GError **err)
{
	char *text;

	(void)argc; (void)argv; (void)actor; (void)user_data;
	text = sip_sig_run(sip_registrar_list, NULL, err);
	if (text == NULL)
		return FALSE;
	bw_ctl_printf(out, "extension\tcontact\ttransport\tsource\texpires");
	sip_print_lines(out, text);
	g_free(text);
	return TRUE;
}

static void sip_lift_sig(GString *out, const char *addr)
{
	int rc = sip_dos_lift(addr);

	g_string_append(out, rc == 0 ? "ok" : rc == ENOENT ? "not blocked" : "not an address");
}

static gboolean sip_cmd_lift(bw_ctl_reply *out, const char *addr, const char *actor,
			     GError **err)
{
	char *text = sip_sig_run(sip_lift_sig, addr, err);
	gboolean ok;

	if (text == NULL)
		return FALSE;
	ok = !strcmp(text, "ok");
	if (!ok) {
		g_set_error(err, SIP_CTL_ERROR, 0, "blocked lift %.64s: %s", addr, text);
	} else if (bw_audit_append(actor, "sip.blocked.lift", addr, NULL, err) == 0) {
		g_prefix_error(err, "blocked lift %.64s: lifted, but no audit record: ", addr);
		ok = FALSE;
	} else {
		bw_ctl_printf(out, "lifted the block on %s", addr);
	}
	g_free(text);
	return ok;
}

static gboolean sip_cmd_blocked(bw_ctl_reply *out, guint argc, const char *const *argv,
				const char *actor, void *user_data, GError **err)
{
	char *text;

	(void)user_data;
	if (argc == 3 && !strcmp(argv[1], "lift"))
		return sip_cmd_lift(out, argv[2], actor, err);
	if (argc != 1) {
		g_set_error(err, SIP_CTL_ERROR, 0, "usage: blocked [lift ADDR]");
		return FALSE;
	}
	text = sip_sig_run(sip_dos_list, NULL, err);
	if (text == NULL)
		return FALSE;
	bw_ctl_printf(out, "source\tremaining\treason");
	sip_print_lines(out, text);
	g_free(text);
	return TRUE;
}

/* ---- life cycle (management thread) ---- */

static void sip_announce(void)
{
	sm.announced = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < sm.conf.transports->len; i++) {
		const sip_transport_conf *t = sm.conf.transports->pdata[i];
		char *what = g_strdup_printf("sip/%s", sip_tp_name(t->tp));
		for (guint n = 2; g_ptr_array_find_with_equal_func(sm.announced, what,
								   g_str_equal, NULL); n++) {
			g_free(what);
			what = g_strdup_printf("sip/%s#%u", sip_tp_name(t->tp), n);
		}
		bw_listener_announce(what, t->listen);
		g_ptr_array_add(sm.announced, what);
	}
}

static void sip_withdraw(void)
{
	for (guint i = 0; sm.announced && i < sm.announced->len; i++)
		bw_listener_withdraw(sm.announced->pdata[i]);
	g_clear_pointer(&sm.announced, g_ptr_array_unref);
}

static int sip_init(bw_module *m)
{
	GError *err = NULL;

	if (!sip_conf_read(bw_module_conf(m), &sm.conf, &err)) {
		g_warning("sip: init: %s", err->message);
		g_error_free(err);
		return EINVAL;
	}
	sip_mod = g_new0(sipmod, 1);
	sip_mod->module = m;
	sip_mod->server_name = g_strdup(SIP_SERVER_NAME);
	sip_mod->max_message = sm.conf.max_message;
	sip_mod->max_contacts_default = sm.conf.reg.max_contacts;
	sip_mod->min_expires = sm.conf.reg.min_expires;
	sip_mod->max_expires = sm.conf.reg.max_expires;
	sip_mod->default_expires = sm.conf.reg.default_expires;
	sip_mod->ring_timeout = sm.conf.ring_timeout;
	sip_mod->max_calls = sm.conf.max_calls;
	/* the engine enforces the bound; without this, max-calls was ignored
	 * and the engine's default 1000 refused calls over it with 503 */
	bw_call_set_max(sm.conf.max_calls);
	bw_module_set_data(m, sip_mod);
	return 0;
}

static gboolean sip_needs_tls(void)
{
	for (guint i = 0; i < sm.conf.transports->len; i++)
		if (((sip_transport_conf *)sm.conf.transports->pdata[i])->tp == SIP_TRANSP_TLS)
			return TRUE;
	return FALSE;
}

static int sip_start(bw_module *m)
{
	sip_start_job job = { 0 };
	GError *err = NULL;
	int rc;

	(void)m;
	g_free(sip_mod->realm);
	sip_mod->realm = g_strdup(bw_system_name());
	if (sip_needs_tls() && (job.tlsctx = bw_tls_server_ctx(&err)) == NULL) {
		g_warning("sip: start: TLS transport configured but no TLS context: %s",
			  err ? err->message : "unknown reason");
		g_clear_error(&err);
		return EINVAL;
	}
	job.saved = sip_registrar_load();
	job.rc = EINPROGRESS;
	rc = bw_sig_call_sync(sip_start_sig, &job, SIP_SYNC_MS);
	if (rc == 0)
		rc = job.rc;
	if (rc)
		g_warning("sip: start: %s", job.why ? job.why : g_strerror(rc));
	g_free(job.why);
	if (job.saved)
		g_ptr_array_unref(job.saved);
	if (job.tlsctx)
		SSL_CTX_free(job.tlsctx);
	if (rc)
		return rc;
	sip_announce();
	if (bw_ctl_command_add("registrations", 1, 1, "registrations",
			       "SIP registrations: extension, contact, transport, source, expiry",
			       sip_cmd_registrations, NULL) != 0 ||
	    bw_ctl_command_add("blocked", 1, 3, "blocked [lift ADDR]",
			       "SIP sources blocked by the DoS protection; lift a block",
			       sip_cmd_blocked, NULL) != 0)
		g_warning("sip: start: cannot add the control commands registrations/blocked");
	sip_trunks_mgmt_start();
	return 0;
}

static void sip_stop(bw_module *m)
{
	(void)m;
	sip_trunks_mgmt_stop();
	sip_trunks_leave_all(SIP_TRUNKS_STOP_MS);   /* un-REGISTER while the stack lives */
	bw_ctl_command_remove("registrations");
	bw_ctl_command_remove("blocked");
	sip_withdraw();
	if (bw_sig_call_sync(sip_stop_sig, NULL, SIP_SYNC_MS) != 0)
		g_warning("sip: stop: the signalling thread did not answer; the stack may linger");
	sip_registrar_finish();
}

static void sip_fini(bw_module *m)
{
	sip_conf_clear(&sm.conf);
	if (sm.dispatch)
		g_hash_table_destroy(sm.dispatch);
	sm.dispatch = NULL;
	if (sip_mod) {
		g_free(sip_mod->realm);
		g_free(sip_mod->server_name);
		g_free(sip_mod);
		sip_mod = NULL;
		bw_call_set_max(0);
	}
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "sip",
	.version = "0.1.0",
	.summary = "SIP registrar and B2BUA over UDP, TCP and TLS",
	.requires = NULL,
	.init = sip_init,
	.start = sip_start,
	.stop = sip_stop,
	.fini = sip_fini,
);
