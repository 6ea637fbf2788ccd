/* Provides the service "cor.admin" version 1 (corsvc.h) for the running
 * glue: the record check (corsvc-check.c), `cor show` (the decision runs
 * on the signalling thread against the rule set calls see, through the
 * same cor_glue_explain_wait as the control command) and the
 * service-period override of `bulwarkctl service`. Management thread. */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"
#include "corsvc.h"

#include <string.h>

static cor_glue *glue;   /* while the module runs */

static void svc_service(const char **override, const char **period)
{
	cor_when when;
	cor_override o = glue ? (cor_override) g_atomic_int_get(&glue->override) : COR_OVERRIDE_AUTO;
	cor_period p = glue && glue->latest ? cor_glue_period(glue, glue->latest, &when)
		: COR_PERIOD_DAY;
	*override = cor_override_name(o);
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

static char *svc_explain(const char *caller, const char *number, const char **field,
			 GError **err)
{
	*field = NULL;
	if (!cor_glue_arg_ok(caller, "_.-:")) {
		*field = "caller";
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "the caller is an extension number or trunk:NAME");
		return NULL;
	}
	if (!cor_glue_arg_ok(number, "*#+")) {
		*field = "number";
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "the number is 1-%u of 0-9 * # + (as dialled)", COR_GLUE_ARG_MAX);
		return NULL;
	}
	if (!glue) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "cor: the module is stopping");
		return NULL;
	}
	return cor_glue_explain_wait(glue, caller, number, err);
}

static void svc_limits(guint *max_external, guint *per_minute)
{
	*max_external = *per_minute = 0;
	if (glue)
		cor_glue_limits(glue, max_external, per_minute);
}

static void svc_limits_xml(guint *max_external, guint *per_minute)
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
	.limits_xml = svc_limits_xml,
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
