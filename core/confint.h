/* Internal: the node tree behind bw_conf_node.
 *
 * A tree is built once from a validated libxml2 document (which is then
 * freed) and never changes: every string lives in the tree's string chunk,
 * so freeing the root frees everything. The file name is shared by all
 * nodes of a tree. */
#ifndef BW_CONFINT_H
#define BW_CONFINT_H

#include <glib.h>
#include <libxml/tree.h>
#include <bulwark/conf.h>
#include "config.h"

struct bw_conf_node {
	const char *name;
	const char *file;
	int line;
	const char *text;              /* direct text, trimmed, or "" */
	const char **attrs;            /* name, value, ..., NULL */
	bw_conf_node *parent, *first, *next;
	GStringChunk *strings;         /* the root's only; shared via root */
};

/* Copy the element subtree at el (elements, attributes, text). */
bw_conf_node *bw_conf_build(xmlNode *el, const char *file);
void          bw_conf_free(bw_conf_node *root);
/* The element's label for messages: <name> or <module name="x">. */
char         *bw_conf_label(const char *elname, const char *name_attr);

#endif

/* ---- shared by config.c, config-rng.c and config-check.c ---- */

/* Error lines "FILE:LINE: <element>: what", deduplicated and bounded. */
typedef struct bw_errs {
	GString *text;
	GHashTable *seen;
	guint n;
} bw_errs;
#define BW_ERRS_MAX 20
void bw_errs_init(bw_errs *e);
void bw_errs_add(bw_errs *e, const char *file, int line, const char *label,
		 const char *fmt, ...) G_GNUC_PRINTF(5, 6);
void bw_errs_add_raw(bw_errs *e, const char *entry);
void bw_errs_clear(bw_errs *e);

/* <elname> or <module name="x"> for an xmlNode, for messages. */
char *bw_config_xml_label(xmlNode *n);

/* RelaxNG: the embedded core schema, or a module's fragment file. */
gboolean bw_config_rng_core(xmlDoc *doc, const char *file, bw_errs *e);
gboolean bw_config_rng_fragment(const char *rng_path, xmlNode *module_el,
				const char *file, bw_errs *e);
/* The <module> element as the root of a document of its own, optionally
 * without the core attributes (name, enabled, critical, log-level). */
xmlDoc  *bw_config_module_copy(xmlNode *el, gboolean strip_core);

/* One <module> entry: the public view plus the storage it points into. */
typedef struct bw_mentry {
	bw_module_entry pub;
	char *digest, *so_path, *version;
	char **requires;
	int line;
	guint index;        /* file order */
} bw_mentry;
void bw_mentry_free(gpointer p);

/* Probe, check and order the modules: entries (bw_mentry*) come back
 * enabled-first in dependency order, then disabled in file order. */
void bw_config_check_modules(xmlNode *modules_el, const bw_conf_node *modules,
			     const char *file, const char *const *module_path,
			     GPtrArray *entries, bw_errs *e);
void bw_config_check_listeners(const bw_conf_node *root, bw_errs *e);
void bw_config_check_tls(const bw_conf_node *root, bw_errs *e);
