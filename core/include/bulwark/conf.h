/* Read-only view of the running configuration.
 *
 * The configuration is validated (RelaxNG) before anything sees it, so a
 * getter only meets well-typed values; defaults apply to absent attributes.
 * Nodes belong to an immutable snapshot: do not keep pointers past the
 * module's stop/reconfigure. */
#ifndef BULWARK_CONF_H
#define BULWARK_CONF_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct bw_conf_node bw_conf_node;

const char *bw_conf_name(const bw_conf_node *n);      /* element name */
const char *bw_conf_file(const bw_conf_node *n);      /* source file */
int         bw_conf_line(const bw_conf_node *n);      /* source line */
const char *bw_conf_text(const bw_conf_node *n);      /* text content or "" */

const char *bw_conf_attr(const bw_conf_node *n, const char *name); /* NULL if absent */
const char *bw_conf_str(const bw_conf_node *n, const char *name, const char *def);
gint64      bw_conf_int(const bw_conf_node *n, const char *name, gint64 def);
gboolean    bw_conf_bool(const bw_conf_node *n, const char *name, gboolean def);
/* "90", "90s", "15m", "1h", "2d" -> seconds */
gint64      bw_conf_seconds(const bw_conf_node *n, const char *name, gint64 def);

const bw_conf_node *bw_conf_child(const bw_conf_node *n, const char *name); /* first */
const bw_conf_node *bw_conf_first(const bw_conf_node *n);   /* first child element */
const bw_conf_node *bw_conf_next(const bw_conf_node *n);    /* next sibling element */
/* next sibling element with the same name as n */
const bw_conf_node *bw_conf_next_named(const bw_conf_node *n);

G_END_DECLS
#endif
