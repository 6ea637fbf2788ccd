/* Provides the service "cor.admin" version 1 (corsvc.h) for the running
 * glue: the record check (corsvc-check.c), `cor show` (the decision runs
 * on the signalling thread against the rule set calls see) and the
 * service-period override of `bulwarkctl service`. Management thread. */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"
#include "corsvc.h"

#include <errno.h>
#include <string.h>

#define EXPLAIN_TIMEOUT_MS 5000
#define ARG_MAX 200

static cor_glue *glue;   /* while the module runs */

static const char *override_name(cor_override o)
{
	switch (o) {
	case COR_OVERRIDE_DAY:    return "day";
	case COR_OVERRIDE_NIGHT1: return "night1";
	case COR_OVERRIDE_NIGHT2: return "night2";
	default:                  return "auto";
	}
}

static void svc_service(const char **override, const char **period)
{
	cor_when when;
	cor_override o = glue ? (cor_override) g_atomic_int_get(&glue->override) : COR_OVERRIDE_AUTO;
	cor_period p = glue && glue->latest ? cor_glue_period(glue, glue->latest, &when)
		: COR_PERIOD_DAY;
	*override = override_name(o);
	*period = cor_period_name(p);
}

static gboolean svc_service_set(const char *mode, const char *actor, GError **err)
{
	if (!glue) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: the module is stopping");
		return FALSE;
	}
	cor_override o;
	if (!mode || !cor_override_parse(mode, &o)) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "service: the mode must be day, night1, night2 or auto");
		return FALSE;
	}
	return cor_glue_service_set(glue, mode, actor, err);
}

/* ---- cor show ---- */

typedef struct explain_job {
	cor_glue *g;
	char *caller, *number, *result;
} explain_job;

static void explain_job_clear(gpointer p)
{
	explain_job *j = p;
	g_free(j->caller);
	g_free(j->number);
	g_free(j->result);
}

static void explain_on_sig(void *data)
{
	explain_job *j = data;
	j->result = cor_glue_explain(j->g, j->caller, j->number);
	g_atomic_rc_box_release_full(j, explain_job_clear);
}

/* The arguments `cor show` accepts. */
static gboolean arg_ok(const char *s, const char *extra)
{
	gsize n = s ? strlen(s) : 0;
	if (n == 0 || n > ARG_MAX)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(extra, *p))
			return FALSE;
	return TRUE;
}

static char *svc_explain(const char *caller, const char *number, const char **field,
			 GError **err)
{
	*field = NULL;
	if (!arg_ok(caller, "_.-:")) {
		*field = "caller";
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "the caller is an extension number or trunk:NAME");
		return NULL;
	}
	if (!arg_ok(number, "*#+")) {
		*field = "number";
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "the number is 1-%u of 0-9 * # + (as dialled)", ARG_MAX);
		return NULL;
	}
	if (!glue) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: the module is stopping");
		return NULL;
	}
	explain_job *j = g_atomic_rc_box_new0(explain_job);
	j->g = glue;
	j->caller = g_strdup(caller);
	j->number = g_strdup(number);
	g_atomic_rc_box_acquire(j);
	int rc = bw_sig_call_sync(explain_on_sig, j, EXPLAIN_TIMEOUT_MS);
	if (rc == ESHUTDOWN)
		g_atomic_rc_box_release_full(j, explain_job_clear);   /* never ran */
	char *out = rc == 0 ? g_steal_pointer(&j->result) : NULL;
	if (!out)
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "cor show: the signalling thread did not answer: %s", g_strerror(rc ? rc : EIO));
	g_atomic_rc_box_release_full(j, explain_job_clear);
	return out;
}

static void svc_limits(guint *max_external, guint *per_minute)
{
	*max_external = glue ? glue->conf.max_concurrent : 0;
	*per_minute = glue ? glue->conf.max_per_minute : 0;
}

static char *svc_zone(void)
{
	if (glue && glue->conf.zone)
		return g_strdup(glue->conf.zone);
	GTimeZone *tz = g_time_zone_new_local();
	const char *id = g_time_zone_get_identifier(tz);
	char *out = g_strdup(id && *id ? id : "local");
	g_time_zone_unref(tz);
	return out;
}

static const cor_admin_v1 svc_table = {
	.check = cor_svc_check,
	.explain = svc_explain,
	.service = svc_service,
	.service_set = svc_service_set,
	.pin_hash = cor_svc_pin_hash,
	.limits = svc_limits,
	.zone = svc_zone,
};

int cor_svc_provide(struct bw_module *m, struct cor_glue *g)
{
	glue = g;
	int rc = bw_service_provide(m, COR_ADMIN_SERVICE, COR_ADMIN_VERSION, &svc_table);
	if (rc)
		g_warning("cor: cannot provide the service \"%s\": %s (the webadmin cannot edit CoR)",
			  COR_ADMIN_SERVICE, g_strerror(rc));
	return rc;
}

void cor_svc_forget(void)
{
	glue = NULL;
}
