/* Internal: what the daemon's main offers to the control socket. */
#ifndef BW_DAEMON_H
#define BW_DAEMON_H

#include <glib.h>

/* Handed to the control socket by the daemon's main, so the library does
 * not depend on the executable. */
typedef struct bw_daemon_ops {
	/* Re-read the configuration file, validate it and apply it; on failure
	 * the running configuration stays and err says why. actor: audit. */
	gboolean (*reload)(const char *actor, GError **err);
	/* Human-readable status: version, uptime, config file, data dir,
	 * listeners, modules, bus and store counters. */
	void     (*status)(GString *out);
} bw_daemon_ops;
void     bw_daemon_quit(void);

/* Threads (core/thread.c): start the signalling thread (libre) and stop
 * it; the management context is the default GMainContext. */
gboolean bw_threads_start(GError **err);
void     bw_threads_stop(void);

#endif
