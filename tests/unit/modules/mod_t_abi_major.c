/* Test module: built for ABI major 99. Its constructor creates the file
 * named by $BW_TEST_MARKER, so a test can prove the loader never mapped it
 * as code (the ELF pre-check must refuse it first). */
#include "tmod.h"

TMOD_TRACING("t_abi_major")

__attribute__((constructor)) static void abi_major_ctor(void)
{
	const char *marker = g_getenv("BW_TEST_MARKER");
	if (marker)
		g_file_set_contents(marker, "ran\n", -1, NULL);
}

G_MODULE_EXPORT const bw_module_desc bw_module_descriptor = {
	.abi_major = 99, .abi_minor = BW_ABI_MINOR, .size = sizeof(bw_module_desc),
	.name = "t_abi_major", .version = "0",
	.init = tmod_init, .start = tmod_start, .stop = tmod_stop, .fini = tmod_fini,
};
