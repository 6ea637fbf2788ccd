/* Test module: init fails with EIO (start, stop and fini must never run). */
#include "tmod.h"

TMOD_TRACING("t_fail_init")

static int fail_init(bw_module *m)
{
	tmod_trace("t_fail_init", "init-failed");
	return EIO;
}

BW_MODULE_DEFINE(.name = "t_fail_init", .version = "0", .init = fail_init,
		 .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini);
