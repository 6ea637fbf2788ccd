/* Test module: claims a minor ABI newer than the core's. */
#include "tmod.h"

TMOD_TRACING("t_abi_minor")

G_MODULE_EXPORT const bw_module_desc bw_module_descriptor = {
	.abi_major = BW_ABI_MAJOR, .abi_minor = BW_ABI_MINOR + 1, .size = sizeof(bw_module_desc),
	.name = "t_abi_minor", .version = "0",
	.init = tmod_init, .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini,
};
