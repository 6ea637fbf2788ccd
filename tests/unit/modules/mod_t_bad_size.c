/* Test module: its descriptor claims a size this core does not know. */
#include "tmod.h"

TMOD_TRACING("t_bad_size")

G_MODULE_EXPORT const bw_module_desc bw_module_descriptor = {
	.abi_major = BW_ABI_MAJOR, .abi_minor = BW_ABI_MINOR, .size = sizeof(bw_module_desc) + 8,
	.name = "t_bad_size", .version = "0",
	.init = tmod_init, .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini,
};
