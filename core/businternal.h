/* Internal: what the core (loader, control socket) needs from the bus area
 * beyond the public SDK headers bulwark/bus.h and bulwark/service.h. */
#ifndef BW_BUSINTERNAL_H
#define BW_BUSINTERNAL_H

#include <glib.h>
#include <bulwark/module.h>

/* The loader calls it when a module stops: every service table the module
 * provided disappears (lookups return NULL afterwards). NULL is a no-op. */
void bw_service_withdraw_owner(const bw_module *owner);
/* The loader calls it after a module's stop, in case it forgot to remove its
 * hooks: every hook registered with this owner name is removed. */
void bw_hook_remove_owner(const char *owner);
/* Appends the bus counters and one line per subscriber, for
 * `bulwarkctl status`. Never includes event contents. */
void bw_bus_describe(GString *out);

#endif
