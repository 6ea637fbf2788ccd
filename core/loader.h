/* Internal: the module loader (GModule).
 *
 * A module is mod_NAME.so found in the module path. Before dlopen, the
 * loader reads the descriptor's abi_major/abi_minor/size from the ELF file
 * itself, so a module built for another ABI never runs any code. Modules
 * are started in dependency order (init then start) and stopped in reverse
 * (stop then fini). A failing critical module aborts the start; a failing
 * other one is left "failed" with a module.failed event. */
#ifndef BW_LOADER_H
#define BW_LOADER_H

#include <glib.h>
#include "config.h"

#define BW_LOADER_ERROR (bw_loader_error_quark())
GQuark bw_loader_error_quark(void);
typedef enum {
	BW_LOADER_ERROR_NOT_FOUND,
	BW_LOADER_ERROR_ABI,
	BW_LOADER_ERROR_INVALID,   /* bad descriptor, bad file */
	BW_LOADER_ERROR_DEPENDENCY,
	BW_LOADER_ERROR_FAILED,    /* init/start returned an error */
	BW_LOADER_ERROR_STATE,     /* e.g. unload of a module others require */
} bw_loader_error;

typedef struct bw_probe {
	char  *name;
	char  *so_path;
	char  *rng_path;     /* mod_NAME.rng beside the .so (or one level up), or NULL */
	char  *version;
	char  *summary;
	char **requires;     /* NULL-terminated, never NULL */
} bw_probe;

/* The module path in effect: --module-path, else $BULWARK_MODULE_PATH
 * (':'-separated), else the installed moduledir. */
void bw_loader_set_path(const char *const *dirs);
const char *const *bw_loader_path(void);

gboolean bw_loader_probe(const char *name, const char *const *module_path,
			 bw_probe **out, GError **err);
void     bw_probe_free(bw_probe *p);

/* Bring the running modules in line with cfg: start new ones, stop removed
 * or disabled ones, reconfigure or reload changed ones. FALSE when a
 * critical module failed (the caller then shuts down). */
gboolean bw_loader_apply(bw_config *cfg, GError **err);
gboolean bw_loader_load(const char *name, GError **err);
gboolean bw_loader_unload(const char *name, GError **err);
gboolean bw_loader_reload(const char *name, GError **err);
void     bw_loader_shutdown(void);   /* stop+fini everything, reverse order */

typedef struct bw_module_info {
	char *name, *version, *state, *path;   /* state: running, failed, stopped */
	gboolean critical;
} bw_module_info;
/* GPtrArray of bw_module_info* (frees them), in start order. */
GPtrArray *bw_loader_list(void);

#endif
