/* Test module: requires a module that does not exist. */
#include "tmod.h"

TMOD_TRACING("t_missing_dep")
static const char *const missing_requires[] = { "t_nonexistent", NULL };

BW_MODULE_DEFINE(.name = "t_missing_dep", .version = "0", .requires = missing_requires,
		 .init = tmod_init, .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini);
