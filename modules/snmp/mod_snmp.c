/* mod_snmp: the SNMP agent (BULWARK-MIB, docs/BULWARK-MIB.txt) and the
 * alarm sink "snmp" that sends traps.
 *
 * Contract: init reads <module name="snmp"> (docs/snmp.md) and fails on
 * anything inconsistent; start persists the engine identity in
 * DATA_DIR/snmp, starts the agent thread (embedded master agent on
 * `listen`, or AgentX subagent on `agentx-socket`), registers the sink
 * and announces "snmp/udp" (master) or "snmp/agentx"; stop undoes all of
 * it and joins the thread. Uses only the SDK. */
#define G_LOG_DOMAIN "snmp"
#include <errno.h>
#include <string.h>
#include <bulwark/bulwark.h>
#include "snmpint.h"

#define SNMP_SINK "snmp"
#define SNMP_REFRESH_S 1

typedef struct {
	snmp_conf  *conf;
	snmp_agent *agent;
	guint       timer;
	guint       idle;          /* first refresh, once the loader says running */
	const char *listener;      /* what we announced, or NULL */
} snmp_state;

static gboolean snmp_on_timer(gpointer data)
{
	(void)data;
	snmp_snap_refresh();
	return G_SOURCE_CONTINUE;
}

static gboolean snmp_on_started(gpointer data)
{
	snmp_state *st = data;

	st->idle = 0;
	snmp_snap_refresh();
	return G_SOURCE_REMOVE;
}

/* Management thread, must not block: copy the alarm and queue it. */
static void snmp_on_alarm(const bw_alarm *a, void *user_data)
{
	snmp_state *st = user_data;

	snmp_snap_refresh();
	if (st->agent != NULL)
		snmp_agent_trap(st->agent, snmp_alarm_row_copy(a), a->active);
}

static int snmp_init(bw_module *m)
{
	GError *err = NULL;
	snmp_state *st;
	snmp_conf *c = snmp_conf_parse(bw_module_conf(m), bw_data_dir(), &err);

	if (c == NULL) {
		g_warning("snmp: init: %s", err->message);
		g_error_free(err);
		return EINVAL;
	}
	st = g_new0(snmp_state, 1);
	st->conf = c;
	bw_module_set_data(m, st);
	return 0;
}

static guint snmp_source_add(GSource *src, GSourceFunc fn, void *data)
{
	guint id;

	g_source_set_callback(src, fn, data, NULL);
	id = g_source_attach(src, bw_mgmt_context());
	g_source_unref(src);
	return id;
}

static void snmp_announce(snmp_state *st, const snmp_engine *e)
{
	g_autofree char *hex = snmp_engine_hex(e);
	const snmp_conf *c = st->conf;

	if (c->mode == SNMP_MODE_MASTER) {
		st->listener = "snmp/udp";
		bw_listener_announce(st->listener, c->listen);
	} else {
		st->listener = "snmp/agentx";
		bw_listener_announce(st->listener, c->agentx_socket);
	}
	g_message("%s %s, engine ID 0x%s (boots %" G_GINT64_FORMAT "), "
		  "%u communities, %u users, %u trap receivers",
		  c->mode == SNMP_MODE_MASTER ? "master agent on" : "AgentX subagent of",
		  c->mode == SNMP_MODE_MASTER ? c->listen : c->agentx_socket,
		  hex, e->boots, c->communities->len, c->users->len, c->receivers->len);
	if (c->mode == SNMP_MODE_MASTER && c->communities->len == 0)
		g_message("no <community>: SNMPv1/v2c requests are refused");
}

static int snmp_start(bw_module *m)
{
	snmp_state *st = bw_module_data(m);
	snmp_engine e;
	GError *err = NULL;
	int rc;

	if (!snmp_engine_load(st->conf->dir, bw_system_name(), st->conf->engine_id_hex,
			      &e, &err)) {
		g_warning("snmp: start: %s", err->message);
		g_error_free(err);
		return EIO;
	}
	snmp_snap_refresh();
	st->agent = snmp_agent_start(st->conf, &e, &err);
	if (st->agent == NULL) {
		g_warning("snmp: start: %s", err->message);
		rc = err->domain == SNMP_ERROR && err->code > 0 ? err->code : EIO;
		g_error_free(err);
		snmp_snap_clear();
		return rc;
	}
	rc = bw_alarm_sink_add(SNMP_SINK, snmp_on_alarm, st);
	if (rc != 0) {
		g_warning("snmp: start: cannot register the alarm sink \"%s\": %s",
			  SNMP_SINK, g_strerror(rc));
		snmp_agent_stop(st->agent);
		st->agent = NULL;
		snmp_snap_clear();
		return rc;
	}
	st->timer = snmp_source_add(g_timeout_source_new_seconds(SNMP_REFRESH_S),
				    snmp_on_timer, NULL);
	st->idle = snmp_source_add(g_idle_source_new(), snmp_on_started, st);
	snmp_announce(st, &e);
	return 0;
}

static void snmp_source_remove(guint *id)
{
	GSource *src;

	if (*id == 0)
		return;
	src = g_main_context_find_source_by_id(bw_mgmt_context(), *id);
	if (src != NULL)
		g_source_destroy(src);
	*id = 0;
}

static void snmp_stop(bw_module *m)
{
	snmp_state *st = bw_module_data(m);

	if (st->listener != NULL) {
		bw_listener_withdraw(st->listener);
		st->listener = NULL;
	}
	bw_alarm_sink_remove(SNMP_SINK);
	snmp_source_remove(&st->timer);
	snmp_source_remove(&st->idle);
	snmp_agent_stop(st->agent);
	st->agent = NULL;
	snmp_snap_clear();
}

static void snmp_fini(bw_module *m)
{
	snmp_state *st = bw_module_data(m);

	if (st == NULL)
		return;
	snmp_conf_free(st->conf);
	g_free(st);
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "snmp",
	.version = "1.0.0",
	.summary = "SNMP agent (BULWARK-MIB, master or AgentX) and alarm traps v1/v2c/v3",
	.requires = NULL,
	.init = snmp_init,
	.start = snmp_start,
	.stop = snmp_stop,
	.fini = snmp_fini,
);
