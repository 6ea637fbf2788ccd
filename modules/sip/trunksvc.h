/* The service "sip.trunks" version 1: what the sip module offers the
 * administration (the webadmin's Trunks page) about trunks, so that the
 * rules of a trunk record exist once, in trunkcfg.c, and the state shown
 * is the one the module runs. Looked up with bw_service_lookup() on the
 * management thread, where every function of the table must be called.
 * Consumers include this header only: it needs GLib and nothing of libre. */
#ifndef SIP_TRUNKSVC_H
#define SIP_TRUNKSVC_H

#include <glib.h>

#define SIP_TRUNKS_SERVICE "sip.trunks"
#define SIP_TRUNKS_VERSION 1u

typedef struct sip_trunk_state {
	char *name;
	char *mode;               /* "register", "peer", "-" (invalid record) */
	char *state;              /* "registering", "registered", "failed", "peer", "invalid",
	                           * "unregistering" (deleted, its un-REGISTER under way) */
	char *reason;             /* the last error, or NULL */
} sip_trunk_state;

typedef struct sip_trunks_v1 {
	/* Checks trunk/<name>'s JSON exactly as the module loads it (plus
	 * the trunk name and the proxy's host). TRUE, or FALSE with *field
	 * (static: the record member at fault, NULL for the record as a
	 * whole) and *why (g_free; names the field and the reason). */
	gboolean (*check)(const char *name, const char *json, gsize len,
			  const char **field, char **why);
	/* The trunks the module runs now (sip_trunk_state*, the array frees
	 * them), or NULL with err when the signalling thread does not answer. */
	GPtrArray *(*states)(GError **err);
} sip_trunks_v1;

/* ---- inside the sip module ---- */
/* trunkcheck.c (pure: trunkcfg.c and GLib only) */
gboolean    sip_trunk_check(const char *name, const char *json, gsize len,
			    const char **field, char **why);
/* The record member a message of sip_trunk_cfg_parse is about, or NULL. */
const char *sip_trunk_error_field(const char *message);
/* Parses `bulwarkctl trunks` lines (name TAB mode TAB state TAB error). */
GPtrArray  *sip_trunk_states_parse(const char *text);
void        sip_trunk_state_free(void *p);

/* trunksvc.c: provides the service; from the module's start (management
 * thread). The loader withdraws it when the module stops. */
struct bw_module;
int   sip_trunksvc_provide(struct bw_module *m);
/* trunk.c: the trunks' lines as `bulwarkctl trunks` prints them, from the
 * signalling thread (management thread; g_free), or NULL with err. */
char *sip_trunks_state_text(GError **err);
/* trunk.c, management thread, from the module's stop() before the stack
 * goes down: every trunk that may hold a binding sends its un-REGISTER
 * (all at once); waits until all have answered, at most bound_ms. */
#define SIP_TRUNKS_STOP_MS 2000u
void  sip_trunks_leave_all(guint bound_ms);

#endif
