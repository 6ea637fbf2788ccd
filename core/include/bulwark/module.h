/* Module descriptor and the loader's handle.
 *
 * A module is a shared object exporting one const data symbol,
 * bw_module_descriptor, declared with BW_MODULE_DEFINE. The loader reads the
 * first three fields straight from the file (before dlopen, so before any
 * module code, constructors included) and refuses the module unless
 * abi_major == core's, abi_minor <= core's and size matches. Keep those
 * three fields first and fixed-width forever.
 *
 * Lifecycle: init (read configuration, allocate; may fail) -> start (open
 * sockets, subscribe, register hooks) ... stop -> fini. Every callback runs
 * on the management thread. A non-zero return is an errno value; the module
 * should log why with g_warning first. */
#ifndef BULWARK_MODULE_H
#define BULWARK_MODULE_H

#include <stdint.h>
#include <glib.h>
#include <gmodule.h>
#include <bulwark/abi.h>
#include <bulwark/conf.h>

G_BEGIN_DECLS

typedef struct bw_module bw_module;   /* the loader's handle, opaque */

typedef struct bw_module_desc {
	uint32_t abi_major;   /* BW_ABI_MAJOR at build time */
	uint32_t abi_minor;   /* BW_ABI_MINOR at build time */
	uint32_t size;        /* sizeof(bw_module_desc) at build time */
	uint32_t flags;       /* reserved, 0 */
	const char *name;     /* equals the NAME in mod_NAME.so */
	const char *version;
	const char *summary;
	const char *const *requires;  /* NULL-terminated module names, or NULL */
	int  (*init)(bw_module *m);
	int  (*start)(bw_module *m);
	void (*stop)(bw_module *m);
	void (*fini)(bw_module *m);
	/* Optional: apply a changed <module> element in place. Returning
	 * non-zero (or leaving this NULL) makes the loader reload the module. */
	int  (*reconfigure)(bw_module *m, const bw_conf_node *conf);
} bw_module_desc;

#define BW_MODULE_SYMBOL "bw_module_descriptor"

/* BW_MODULE_DEFINE(.name = "hello", .version = "1.0", .init = ..., ...) */
#define BW_MODULE_DEFINE(...)                                          \
	G_MODULE_EXPORT const bw_module_desc bw_module_descriptor = {  \
		.abi_major = BW_ABI_MAJOR,                              \
		.abi_minor = BW_ABI_MINOR,                              \
		.size = sizeof(bw_module_desc),                         \
		__VA_ARGS__ }

const char *bw_module_name(const bw_module *m);
/* The module's <module> element of the running configuration. Valid
 * until the module's stop (or reconfigure) returns. */
const bw_conf_node *bw_module_conf(const bw_module *m);
void  bw_module_set_data(bw_module *m, void *data);
void *bw_module_data(const bw_module *m);

/* System facts from the running configuration. */
const char *bw_system_name(void);
const char *bw_data_dir(void);

/* Tell the administrator what listens where: shown at start-up and by
 * `bulwarkctl status` ("sip/udp", "0.0.0.0:5060"). Withdraw on stop. */
void bw_listener_announce(const char *what, const char *where);
void bw_listener_withdraw(const char *what);
/* "what where" lines, one per listener, in announce order */
char *bw_listener_describe(void);

G_END_DECLS
#endif
