/* Commands that modules add to the control socket (`bulwarkctl NAME ...`).
 *
 * A command runs on the management thread when a permitted client (root or
 * the daemon's user) asks for it. It prints lines with bw_ctl_printf and
 * returns TRUE, or FALSE with an error whose message the client shows
 * ("usage: ..." for a wrong form). Every command that changes something
 * must write an audit record with the given actor before returning.
 * Add commands in start(), remove them in stop(). To read state owned by
 * the signalling thread, use bw_sig_call_sync (bulwark/thread.h). */
#ifndef BULWARK_CTL_H
#define BULWARK_CTL_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct bw_ctl_req bw_ctl_reply;   /* the reply being built */

void bw_ctl_printf(bw_ctl_reply *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* argv[0] is the command name; argc counts it. */
typedef gboolean (*bw_ctl_fn)(bw_ctl_reply *out, guint argc, const char *const *argv,
			      const char *actor, void *user_data, GError **err);

/* min_argc/max_argc include the command word. 0, EEXIST (a built-in or
 * another module's command) or EINVAL. */
int  bw_ctl_command_add(const char *name, guint min_argc, guint max_argc,
			const char *usage, const char *help, bw_ctl_fn fn, void *user_data);
void bw_ctl_command_remove(const char *name);

G_END_DECLS
#endif
