/* Named, versioned service tables: how modules call each other without
 * linking. A provider registers a const table of function pointers in its
 * start(); consumers look it up (usually in their start()) and must list
 * the provider in their descriptor's `requires`, which keeps the provider
 * loaded for as long as they are. The loader withdraws a module's services
 * when it stops. A version is an interface: change the table, bump it. */
#ifndef BULWARK_SERVICE_H
#define BULWARK_SERVICE_H

#include <glib.h>
#include <bulwark/module.h>

G_BEGIN_DECLS

/* 0, or EEXIST when name+version is already provided, EINVAL on bad args */
int         bw_service_provide(bw_module *owner, const char *name, guint version,
			       const void *table);
/* The table, or NULL when nobody provides name at exactly this version. */
const void *bw_service_lookup(const char *name, guint version);

G_END_DECLS
#endif
