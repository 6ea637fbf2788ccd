/* Test module: requires t_alpha and uses its service "alpha" v1; start
 * fails with ENOENT when the service is not there. */
#include "tmod.h"

typedef struct alpha_v1 { int (*answer)(void); } alpha_v1;
static const char *const beta_requires[] = { "t_alpha", NULL };

static int beta_init(bw_module *m) { tmod_trace("t_beta", "init"); return 0; }

static int beta_start(bw_module *m)
{
	const alpha_v1 *a = bw_service_lookup("alpha", 1);
	if (!a || a->answer() != 42) {
		tmod_trace("t_beta", "start-no-alpha");
		return ENOENT;
	}
	tmod_trace("t_beta", "start");
	return 0;
}

static void beta_stop(bw_module *m) { tmod_trace("t_beta", "stop"); }
static void beta_fini(bw_module *m) { tmod_trace("t_beta", "fini"); }

BW_MODULE_DEFINE(.name = "t_beta", .version = "0.1", .summary = "loader test: consumer",
		 .requires = beta_requires, .init = beta_init, .start = beta_start,
		 .stop = beta_stop, .fini = beta_fini);
