/* Test module: provides the service "alpha" v1; reconfigure accepts a new
 * <module> element unless it says reconf="refuse" (then the loader must
 * reload it). Its fragment mod_t_alpha.rng declares tag and reconf. */
#include "tmod.h"

typedef struct alpha_v1 { int (*answer)(void); } alpha_v1;
static int alpha_answer(void) { return 42; }
static const alpha_v1 alpha_table = { alpha_answer };

static int alpha_init(bw_module *m)
{
	tmod_trace("t_alpha", "init");
	bw_module_set_data(m, g_strdup(bw_conf_str(bw_module_conf(m), "tag", "")));
	return 0;
}

static int alpha_start(bw_module *m)
{
	tmod_trace("t_alpha", "start");
	return bw_service_provide(m, "alpha", 1, &alpha_table);
}

static void alpha_stop(bw_module *m) { tmod_trace("t_alpha", "stop"); }

static void alpha_fini(bw_module *m)
{
	tmod_trace("t_alpha", "fini");
	g_free(bw_module_data(m));
	bw_module_set_data(m, NULL);
}

static int alpha_reconfigure(bw_module *m, const bw_conf_node *conf)
{
	if (g_strcmp0(bw_conf_attr(conf, "reconf"), "refuse") == 0) {
		tmod_trace("t_alpha", "reconfigure-refused");
		return EAGAIN;
	}
	tmod_trace("t_alpha", "reconfigure");
	g_free(bw_module_data(m));
	bw_module_set_data(m, g_strdup(bw_conf_str(conf, "tag", "")));
	return 0;
}

BW_MODULE_DEFINE(.name = "t_alpha", .version = "1.2.3", .summary = "loader test: provider",
		 .init = alpha_init, .start = alpha_start, .stop = alpha_stop,
		 .fini = alpha_fini, .reconfigure = alpha_reconfigure);
