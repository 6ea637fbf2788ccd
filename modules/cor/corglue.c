/* The glue's life cycle on the management thread: start (signalling state,
 * store watch, model and first rule set, subscriptions, hooks) and stop in
 * reverse. What the signalling thread owns is created here but released
 * there, after every job queued for it has run (the queue is FIFO). */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"

#include <errno.h>
#include <string.h>

#define COR_GLUE_QUEUE 8192   /* call.ended can come in bursts */

cor_glue *cor_glue_new(cor_glue_conf *conf)
{
	cor_glue *g = g_new0(cor_glue, 1);
	g->conf = *conf;
	memset(conf, 0, sizeof *conf);
	g->override = COR_OVERRIDE_AUTO;
	cor_limits_init(&g->limits);
	return g;
}

void cor_glue_free(cor_glue *g)
{
	if (!g)
		return;
	cor_glue_stop(g);
	cor_glue_conf_clear(&g->conf);
	g_free(g);
}

/* ---- events to the signalling thread ---- */

typedef struct sig_job {
	cor_sig *sig;
	gboolean down;
	char name[];
} sig_job;

static sig_job *job_new(cor_sig *s, const char *name, gboolean down)
{
	gsize n = strnlen(name, 128);
	sig_job *j = g_malloc(sizeof *j + n + 1);
	j->sig = s;
	j->down = down;
	memcpy(j->name, name, n);
	j->name[n] = 0;
	return j;
}

static void ended_on_sig(void *data)
{
	sig_job *j = data;
	cor_glue_call_ended(j->sig, j->name);
	g_free(j);
}

static void trunk_on_sig(void *data)
{
	sig_job *j = data;
	cor_glue_trunk_state(j->sig, j->name, j->down);
	g_free(j);
}

static void queue_job(bw_call_fn fn, sig_job *j)
{
	if (bw_sig_call(fn, j))
		g_free(j);
}

static void on_ended(const bw_event *ev, void *data)
{
	cor_glue *g = data;
	const char *id = bw_event_get(ev, "call_id");
	if (id && g->sig)
		queue_job(ended_on_sig, job_new(g->sig, id, FALSE));
}

static void on_trunk(const bw_event *ev, void *data)
{
	cor_glue *g = data;
	const char *name = bw_event_get(ev, "name");
	const char *type = bw_event_type(ev);
	gboolean up = strcmp(type, "trunk.up") == 0, down = strcmp(type, "trunk.down") == 0;
	if (name && g->sig && (up || down))
		queue_job(trunk_on_sig, job_new(g->sig, name, down));
}

/* ---- start / stop ---- */

static void free_on_sig(void *data)
{
	cor_sig_free(data);
}

gboolean cor_glue_start(cor_glue *g, bw_store *s, GError **err)
{
	if (!s) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: start: the system store is not open");
		return FALSE;
	}
	g->store = s;
	g->sig = cor_sig_new(&g->conf);
	cor_glue_watch(g);   /* before the listing: a change in between is seen twice, not lost */
	if (!cor_glue_load(g, err)) {
		cor_glue_stop(g);
		return FALSE;
	}
	g->ended_sub = bw_bus_subscribe("call.ended", NULL, COR_GLUE_QUEUE, on_ended, g);
	g->trunk_sub = bw_bus_subscribe("trunk.*", NULL, 0, on_trunk, g);
	g->h_authorize = bw_hook_add("call.authorize", COR_GLUE_PRIORITY, "cor",
				     cor_glue_authorize, g);
	g->h_route = bw_hook_add("call.route", COR_GLUE_PRIORITY, "cor", cor_glue_route, g);
	if (!g->h_authorize || !g->h_route) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: start: cannot add the hooks");
		cor_glue_stop(g);
		return FALSE;
	}
	return TRUE;
}

void cor_glue_stop(cor_glue *g)
{
	cor_glue_unwatch(g);
	if (g->h_authorize)
		bw_hook_remove(g->h_authorize);
	if (g->h_route)
		bw_hook_remove(g->h_route);
	g->h_authorize = g->h_route = NULL;
	if (g->ended_sub)
		bw_bus_unsubscribe(g->ended_sub);
	if (g->trunk_sub)
		bw_bus_unsubscribe(g->trunk_sub);
	g->ended_sub = g->trunk_sub = NULL;
	if (g->sig) {
		int rc = bw_sig_call_sync(free_on_sig, g->sig, 5000);
		if (rc == ESHUTDOWN)
			cor_sig_free(g->sig);   /* no signalling thread any more */
		else if (rc)
			g_warning("cor: stop: the signalling thread did not answer in 5 s: %s",
				  g_strerror(rc));
		g->sig = NULL;
	}
	cor_ruleset_unref(g->latest);
	g->latest = NULL;
	cor_model_free(g->model);
	g->model = NULL;
}
