/* Test module: requires t_cycle_a, which requires it back (a cycle the
 * configuration must refuse). */
#include "tmod.h"

TMOD_TRACING("t_cycle_b")
static const char *const cycle_requires[] = { "t_cycle_a", NULL };

BW_MODULE_DEFINE(.name = "t_cycle_b", .version = "0", .requires = cycle_requires,
		 .init = tmod_init, .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini);
