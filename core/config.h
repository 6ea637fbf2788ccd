/* Internal: loading, validating and holding the XML configuration.
 *
 * A bw_config is an immutable, refcounted snapshot. Loading does every
 * check that can be done before anything starts: well-formed XML, the
 * core schema (etc/bulwark.rng, embedded), each enabled module's schema
 * fragment (mod_NAME.rng beside mod_NAME.so), known modules, their
 * requires (missing, cycles), duplicate listeners, readable certificates.
 * Errors are BW_CONFIG_ERROR with "FILE:LINE: <element>: what is wrong". */
#ifndef BW_CONFIG_H
#define BW_CONFIG_H

#include <glib.h>
#include <bulwark/conf.h>

#define BW_CONFIG_ERROR (bw_config_error_quark())
GQuark bw_config_error_quark(void);
typedef enum { BW_CONFIG_ERROR_INVALID, BW_CONFIG_ERROR_IO } bw_config_error;

typedef struct bw_config bw_config;

typedef struct bw_module_entry {
	const char *name;
	gboolean enabled;
	gboolean critical;
	const char *log_level;          /* NULL: the system's */
	const bw_conf_node *node;       /* the <module> element */
	const char *digest;             /* SHA-256 hex of the element, to spot changes */
	const char *so_path;            /* resolved mod_NAME.so (enabled modules) */
	const char *version;            /* from the descriptor (enabled modules) */
	const char *const *requires;    /* from the descriptor (enabled modules) */
} bw_module_entry;

/* path NULL loads the embedded default (etc/bulwark.xml). module_path is a
 * NULL-terminated list of directories searched for mod_NAME.so. */
bw_config *bw_config_load(const char *path, const char *const *module_path, GError **err);
bw_config *bw_config_parse(const char *buf, gsize len, const char *filename,
			   const char *const *module_path, GError **err);
bw_config *bw_config_ref(bw_config *c);
void       bw_config_unref(bw_config *c);

const char *bw_config_filename(const bw_config *c);     /* "(embedded)" for the default */
const bw_conf_node *bw_config_root(const bw_config *c);
const bw_conf_node *bw_config_system_node(const bw_config *c);  /* <system> */
const char *bw_config_data_dir(const bw_config *c);
const char *bw_config_system_name(const bw_config *c);
const char *bw_config_user(const bw_config *c);         /* NULL: do not switch */
const char *bw_config_log_level(const bw_config *c);    /* "info" default */

/* All <module> entries, enabled ones first in dependency order (a module
 * after everything it requires), then the disabled ones in file order. */
guint bw_config_n_modules(const bw_config *c);
const bw_module_entry *bw_config_module(const bw_config *c, guint i);
const bw_module_entry *bw_config_find_module(const bw_config *c, const char *name);

/* The embedded default configuration and core schema. */
extern const char bw_default_config[];
extern const char bw_core_schema[];

/* Overrides from the command line, applied to every load (NULL: none). */
void bw_config_set_data_dir_override(const char *dir);

/* The running snapshot (a new reference) and its swap (takes a reference). */
bw_config *bw_config_current(void);
void       bw_config_set_current(bw_config *c);

#endif
