/* Stand-ins for the loader and TLS entry points the configuration checks
 * call, so the libFuzzer build of fuzz_config compiles only the config
 * sources: no module is ever found, certificate files are never opened,
 * and so no module schema fragment is ever read. */
#include "loader.h"
#include "tlsctx.h"
#include "util.h"

G_DEFINE_QUARK(bw-loader-error-quark, bw_loader_error)

const char *const *bw_loader_path(void)
{
	static const char *const none[] = { NULL };
	return none;
}

gboolean bw_loader_probe(const char *name, const char *const *module_path,
			 bw_probe **out, GError **err)
{
	*out = NULL;
	g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND,
		    "mod_%s.so not found", name);
	return FALSE;
}

void bw_probe_free(bw_probe *p)
{
	(void)p;
}

gboolean bw_tls_check_files(const bw_conf_node *tls, GError **err)
{
	return TRUE;
}

char *bw_util_read_file(const char *path, gsize max, gsize *len, GError **err)
{
	g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: not read by fuzz_config", path);
	return NULL;
}
