/* Internal: what the daemon's main offers to the control socket. */
#ifndef BW_DAEMON_H
#define BW_DAEMON_H

#include <glib.h>

/* Re-read the configuration file, validate it and apply it; on failure the
 * running configuration stays and err says why. actor goes to the audit. */
gboolean bw_daemon_reload(const char *actor, GError **err);
/* Human-readable status: version, uptime, config file, data dir, listeners,
 * modules, bus and store counters. */
void     bw_daemon_status(GString *out);
void     bw_daemon_quit(void);

/* Threads (core/thread.c): start the signalling thread (libre) and stop
 * it; the management context is the default GMainContext. */
gboolean bw_threads_start(GError **err);
void     bw_threads_stop(void);

#endif
