/* libFuzzer harness: arbitrary bytes as a configuration file. No module
 * directory is searched, so every listed module is "unknown": the parser,
 * the schemas, the listener and order checks are what is exercised. */
#include <stddef.h>
#include <stdint.h>
#include <glib.h>
#include "../../core/config.h"   /* not the autoconf config.h */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const no_dirs[] = { NULL };
	GError *err = NULL;
	bw_config *c = bw_config_parse((const char *)data, size, "fuzz.xml", no_dirs, &err);
	if (c) {
		for (guint i = 0; i < bw_config_n_modules(c); i++)
			(void)bw_config_module(c, i)->digest;
		bw_config_unref(c);
	} else if (!err || !err->message[0]) {
		g_error("fuzz_config: bw_config_parse failed without a message");
	}
	g_clear_error(&err);
	return 0;
}
