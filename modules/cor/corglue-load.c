/* The model behind the rule set: every "cor/" record of the store applied
 * with cor_json_apply, kept on the management thread and updated record by
 * record from the store watch ("cor/limits" goes to the fraud guard
 * instead: no compile); changes are compiled once per batch (an
 * idle source, so an import of many records compiles once) and the new
 * immutable set goes to the signalling thread, which swaps its pointer and
 * releases the old set there. A record that is refused leaves the model,
 * and so the rule set in force, as it was. */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* The configuration's emergency list and prefix are the model's defaults:
 * set at the start and again when cor/emergency is deleted. */
static void model_defaults(cor_glue *g)
{
	GError *e = NULL;
	if (!cor_model_emergency(g->model, (const char *const *) g->conf.emergency,
				 g->conf.trunk_prefix, &e)) {
		g_warning("cor: configuration: emergency numbers refused: %s", e->message);
		g_error_free(e);
	}
}

/* A schedule naming no time zone takes the module's (not the host's). */
static gboolean schedule_zone(cor_glue *g, const char *data, gsize len)
{
	cor_sched *s = g->model->sched;
	if (!g->conf.zone || !s || strcmp(cor_sched_tzname(s), "local") != 0)
		return TRUE;
	JsonParser *p = json_parser_new();
	gboolean ok = json_parser_load_from_data(p, data, (gssize) len, NULL);
	JsonNode *root = ok ? json_parser_get_root(p) : NULL;
	ok = root && JSON_NODE_HOLDS_OBJECT(root);
	if (ok) {
		json_object_set_string_member(json_node_get_object(root), "timezone", g->conf.zone);
		gsize n = 0;
		char *text = json_to_string(root, FALSE);
		n = strlen(text);
		GError *e = NULL;
		ok = cor_json_apply(g->model, "cor/schedule", text, n, &e);
		if (!ok) {
			g_warning("cor: record %s with the module's time zone %s refused: %s",
				  "cor/schedule", g->conf.zone, e->message);
			g_error_free(e);
		}
		g_free(text);
	}
	g_object_unref(p);
	return ok;
}

static gboolean apply_service(cor_glue *g, GBytes *value)
{
	gsize n = 0;
	const char *d = value ? g_bytes_get_data(value, &n) : NULL;
	char buf[16] = "auto";
	cor_override o;

	if (d && (n == 0 || n >= sizeof buf)) {
		g_warning("cor: record %s: value must be day, night1, night2 or auto; ignored",
			  COR_SERVICE_KEY);
		return FALSE;
	}
	if (d) {
		memcpy(buf, d, n);
		buf[n] = 0;
		g_strstrip(buf);
	}
	if (!cor_override_parse(buf, &o)) {
		char *esc = g_strescape(buf, NULL);
		g_warning("cor: record %s: value \"%s\" is not day, night1, night2 or auto; ignored",
			  COR_SERVICE_KEY, esc);
		g_free(esc);
		return FALSE;
	}
	if (g_atomic_int_get(&g->override) != (gint) o)
		g_message("cor: service override: %s", buf);
	g_atomic_int_set(&g->override, (gint) o);
	return FALSE;
}

/* ---- the fraud limits: cor/limits over the configuration ---- */

void cor_glue_limits(const cor_glue *g, guint *max_concurrent, guint *max_per_minute)
{
	*max_concurrent = cor_limits_pick(g->limits.max_concurrent, g->conf.max_concurrent);
	*max_per_minute = cor_limits_pick(g->limits.max_per_minute, g->conf.max_per_minute);
}

typedef struct limits_job {
	cor_sig *sig;
	guint max_concurrent, max_per_minute;
} limits_job;

static void limits_on_sig(void *data)
{
	limits_job *j = data;
	cor_guard_set_limits(j->sig->guard, j->max_concurrent, j->max_per_minute);
	g_free(j);
}

/* The guard is the signalling thread's: the values travel there. */
static void limits_push(cor_glue *g)
{
	limits_job *j = g_new(limits_job, 1);
	j->sig = g->sig;
	cor_glue_limits(g, &j->max_concurrent, &j->max_per_minute);
	int rc = g->sig ? bw_sig_call(limits_on_sig, j) : EINVAL;
	if (rc) {
		g_warning("cor: cannot hand the fraud limits to the signalling thread: %s",
			  g_strerror(rc));
		g_free(j);
	}
}

static const char *limit_source(gint64 saved)
{
	return saved >= 0 ? "saved" : "xml";
}

static gboolean apply_limits(cor_glue *g, GBytes *value)
{
	cor_limits l;
	cor_limits_init(&l);
	if (value) {
		gsize n = 0;
		const char *d = g_bytes_get_data(value, &n);
		GError *e = NULL;
		if (!cor_limits_parse(d ? d : "", n, &l, &e)) {
			g_warning("cor: record refused, the fraud limits in force stay: %s", e->message);
			g_error_free(e);
			return FALSE;
		}
	}
	g->limits = l;
	guint conc = 0, rate = 0;
	cor_glue_limits(g, &conc, &rate);
	g_message("cor: fraud limits: max-external-calls=%u (%s), max-calls-per-minute=%u (%s)",
		  conc, limit_source(l.max_concurrent), rate, limit_source(l.max_per_minute));
	limits_push(g);
	return FALSE;   /* the rule set is unchanged */
}

gboolean cor_glue_apply(cor_glue *g, const char *key, GBytes *value)
{
	GError *e = NULL;
	gsize n = 0;
	const char *d = value ? g_bytes_get_data(value, &n) : NULL;

	if (strcmp(key, COR_SERVICE_KEY) == 0)
		return apply_service(g, value);
	if (strcmp(key, COR_LIMITS_KEY) == 0)
		return apply_limits(g, value);
	if (!cor_json_apply(g->model, key, value ? (d ? d : "") : NULL, n, &e)) {
		g_warning("cor: record refused, the rules in force stay: %s", e->message);
		g_error_free(e);
		return FALSE;
	}
	if (!value && strcmp(key, "cor/emergency") == 0)
		model_defaults(g);
	if (value && strcmp(key, "cor/schedule") == 0)
		schedule_zone(g, d ? d : "", n);
	return TRUE;
}

/* ---- handing a set to the signalling thread ---- */

typedef struct install_job {
	cor_sig *sig;
	cor_ruleset *rs;
} install_job;

static void install_on_sig(void *data)
{
	install_job *j = data;
	cor_ruleset *old = j->sig->rs;
	j->sig->rs = j->rs;
	j->sig->installs++;
	cor_ruleset_unref(old);
	g_free(j);
}

gboolean cor_glue_publish(cor_glue *g)
{
	GError *e = NULL;
	gint64 t0 = g_get_monotonic_time();
	cor_ruleset *rs = cor_compile(g->model, &e);

	if (!rs) {
		g_warning("cor: the rules do not compile, the rules in force stay: %s", e->message);
		g_error_free(e);
		return FALSE;
	}
	cor_ruleset_unref(g->latest);
	g->latest = cor_ruleset_ref(rs);
	install_job *j = g_new(install_job, 1);
	*j = (install_job){ g->sig, rs };
	int rc = bw_sig_call(install_on_sig, j);
	if (rc) {
		g_warning("cor: cannot hand the new rules to the signalling thread: %s",
			  g_strerror(rc));
		cor_ruleset_unref(rs);
		g_free(j);
		return FALSE;
	}
	g_atomic_int_inc(&g->generation);
	g_debug("cor: rules compiled in %.1f ms", (g_get_monotonic_time() - t0) / 1000.0);
	return TRUE;
}

gboolean cor_glue_load(cor_glue *g, GError **err)
{
	GPtrArray *recs = bw_store_list(g->store, "cor/", err);
	if (!recs)
		return FALSE;
	cor_model_free(g->model);
	g->model = cor_model_new();
	model_defaults(g);
	cor_limits_init(&g->limits);
	for (guint i = 0; i < recs->len; i++) {
		const bw_record *r = recs->pdata[i];
		cor_glue_apply(g, r->key, r->value);
	}
	g_ptr_array_unref(recs);
	if (cor_glue_publish(g))
		return TRUE;
	/* Never run without rules: the built-in defaults still bar
	 * international and premium numbers. */
	cor_model_free(g->model);
	g->model = cor_model_new();
	model_defaults(g);
	if (cor_glue_publish(g))
		return TRUE;
	g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: even the default rules do not compile");
	return FALSE;
}

/* ---- the watch ---- */

static gboolean compile_idle(void *data)
{
	cor_glue *g = data;
	g->compile_source = 0;
	cor_glue_publish(g);
	return G_SOURCE_REMOVE;
}

static void on_change(const char *key, GBytes *value, gint64 revision, void *data)
{
	cor_glue *g = data;
	if (!cor_glue_apply(g, key, value) || g->compile_source)
		return;
	GSource *s = g_idle_source_new();
	g_source_set_priority(s, G_PRIORITY_DEFAULT_IDLE);
	g_source_set_callback(s, compile_idle, g, NULL);
	g->compile_source = g_source_attach(s, bw_mgmt_context());
	g_source_unref(s);
}

void cor_glue_watch(cor_glue *g)
{
	g->watch = bw_store_watch(g->store, "cor/", NULL, on_change, g);
}

void cor_glue_unwatch(cor_glue *g)
{
	if (g->watch)
		bw_store_unwatch(g->watch);
	g->watch = NULL;
	if (g->compile_source) {
		GSource *s = g_main_context_find_source_by_id(bw_mgmt_context(), g->compile_source);
		if (s)
			g_source_destroy(s);
	}
	g->compile_source = 0;
}
