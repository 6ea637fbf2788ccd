/* mod_cor: Class of Restriction / Class of Service for the call engine.
 *
 * Contract: reads <module name="cor" timezone=".." barred="reject|attendant"
 * attendant=".." trunk-prefix=".." emergency=".." account-prefix=".."
 * max-external-calls=".." max-calls-per-minute=".."/> (mod_cor.rng); at
 * start compiles every "cor/" record of the system store and hooks
 * "call.authorize" and "call.route" (priority 100) on the signalling
 * thread; recompiles when the records change; adds `bulwarkctl cor show`
 * and `bulwarkctl service`. The glue is in corglue*.c, the rule engine in
 * the other cor*.c files (docs/cor.md). */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"
#include "corsvc.h"

#include <errno.h>

static int cor_init(bw_module *m)
{
	cor_glue_conf conf;
	GError *e = NULL;

	if (!cor_glue_conf_read(bw_module_conf(m), &conf, &e)) {
		g_warning("cor: init: %s", e->message);
		g_error_free(e);
		cor_glue_conf_clear(&conf);
		return EINVAL;
	}
	bw_module_set_data(m, cor_glue_new(&conf));
	return 0;
}

static int cor_start(bw_module *m)
{
	cor_glue *g = bw_module_data(m);
	GError *e = NULL;

	if (!cor_glue_start(g, bw_store_system(), &e)) {
		g_warning("cor: start: %s", e->message);
		g_error_free(e);
		return EIO;
	}
	cor_glue_ctl_add(g);
	(void) cor_svc_provide(m, g);   /* the webadmin's CoR/CoS page */
	g_message("cor: rules loaded (time zone %s, barred calls: %s)",
		  g->conf.zone ? g->conf.zone : "local",
		  g->conf.barred == COR_BARRED_ATTENDANT ? "to the attendant" : "rejected");
	return 0;
}

static void cor_stop(bw_module *m)
{
	cor_glue *g = bw_module_data(m);

	cor_svc_forget();
	cor_glue_ctl_remove();
	cor_glue_stop(g);
}

static void cor_fini(bw_module *m)
{
	cor_glue_free(bw_module_data(m));
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "cor",
	.version = "1.0.0",
	.summary = "Class of Restriction/Service, interconnect, ARS, account codes, fraud guard",
	.requires = NULL,
	.init = cor_init,
	.start = cor_start,
	.stop = cor_stop,
	.fini = cor_fini,
);
