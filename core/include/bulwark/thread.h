/* The two event loops and how to cross between them.
 *
 * Management thread: the GLib main loop (configuration, control socket,
 * store watchers, web and SNMP requests, alarms). Signalling thread: libre's
 * re_main (SIP, MiNET, the call engine). Never block either. */
#ifndef BULWARK_THREAD_H
#define BULWARK_THREAD_H

#include <glib.h>

G_BEGIN_DECLS

typedef void (*bw_call_fn)(void *user_data);

GMainContext *bw_mgmt_context(void);
gboolean      bw_in_mgmt_thread(void);
gboolean      bw_in_sig_thread(void);

/* Queue fn to run on that thread; never runs it inline. 0 or an errno
 * (ESHUTDOWN once the loop has stopped; fn is then not called). */
int bw_mgmt_call(bw_call_fn fn, void *user_data);
int bw_sig_call(bw_call_fn fn, void *user_data);
/* Run fn on the signalling thread and wait for it (at most timeout_ms):
 * for the management thread to read or change signalling state (module
 * start/stop, control commands). Runs fn inline when already on the
 * signalling thread. 0, ETIMEDOUT (fn may still run later: pass only data
 * that outlives it) or ESHUTDOWN. Never call it from the signalling thread
 * while holding a lock the management thread may wait on. */
int bw_sig_call_sync(bw_call_fn fn, void *user_data, guint timeout_ms);

G_END_DECLS
#endif
