/* Internal: the control socket (bulwarkctl's server side).
 *
 * A Unix stream socket, mode 0600, owned by the daemon's user; a peer is
 * served only when SO_PEERCRED shows uid 0 or the daemon's uid. Framing
 * (core/ctlproto.h): a request is a list of netstring arguments ended by an
 * empty one; the reply is lines, each starting with '.' (output), then one
 * final line "+OK" or "-ERR message". `events` streams '.' lines until the
 * client closes. */
#ifndef BW_CTL_H
#define BW_CTL_H

#include <glib.h>
#include "daemon.h"

/* ops may be NULL (tests): status and reload then say they are unavailable. */
gboolean bw_ctl_start(const char *path, const bw_daemon_ops *ops, GError **err);
void     bw_ctl_stop(void);
/* Tests only: treat every peer as having this uid (-1: use SO_PEERCRED),
 * so the permission check can be exercised without a second user. */
void     bw_ctl_test_set_peer_uid(gint uid);

#endif
