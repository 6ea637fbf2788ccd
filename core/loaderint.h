/* Internal to the loader area: the ELF pre-check and the bus clean-up
 * entry points the loader calls after a module stops.
 *
 * bw_elf_* read a module's descriptor header (abi_major, abi_minor, size)
 * from the file without mapping it as code: the bytes are hostile input,
 * every offset is bounded by the file size, and no module code runs.
 * Also the loader's handle, shared by loader.c and module.c. */
#ifndef BW_LOADERINT_H
#define BW_LOADERINT_H

#include <stdint.h>
#include <glib.h>
#include <gmodule.h>
#include <bulwark/module.h>
#include "config.h"
#include "businternal.h"   /* bw_service_withdraw_owner, bw_hook_remove_owner */

typedef struct bw_elf_abi {
	uint32_t abi_major;
	uint32_t abi_minor;
	uint32_t size;
} bw_elf_abi;

/* e_machine of the running program (/proc/self/exe), or the build's
 * architecture when /proc is not readable; 0 if neither is known. */
guint16  bw_elf_host_machine(void);

/* Parse an in-memory image (used by the fuzzer and by tests). machine 0
 * accepts any machine. Errors are BW_LOADER_ERROR_INVALID. */
gboolean bw_elf_parse_abi(const guint8 *buf, gsize len, guint16 machine,
			  bw_elf_abi *out, GError **err);
/* Same, reading the file with bounded preads (the file is never mapped). */
gboolean bw_elf_read_abi(const char *path, bw_elf_abi *out, GError **err);

/* The loader's handle for one module (struct bw_module of module.h). */
typedef enum { BW_MOD_NEW, BW_MOD_INIT, BW_MOD_RUNNING, BW_MOD_FAILED } bw_mod_state;

struct bw_module {
	char *name;
	char *so_path;
	GModule *gmod;                 /* NULL unless INIT or RUNNING */
	const bw_module_desc *desc;    /* points into gmod */
	bw_mod_state state;
	bw_config *cfg;                /* a reference: keeps entry/node alive */
	const bw_module_entry *entry;  /* this module's entry in cfg */
	char *version;                 /* copied from the descriptor */
	char *error;                   /* last failure, for the list */
	void *data;                    /* bw_module_set_data */
};

#endif
