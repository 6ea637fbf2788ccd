/* Internal to the control socket: one request as the commands see it
 * (core/ctlcmd.c), run by the server (core/ctl.c). */
#ifndef BW_CTLINT_H
#define BW_CTLINT_H

#include <glib.h>
#include "daemon.h"

#define BW_CTL_MAX_CLIENTS      16
#define BW_CTL_REQUEST_TIMEOUT  30                   /* seconds */
#define BW_CTL_REPLY_MAX        (16 * 1024 * 1024)   /* one command's output */

typedef struct bw_ctl_req {
	guint               uid;        /* the peer's */
	const char         *actor;      /* "bulwarkctl:uid=N" */
	const char         *data_dir;   /* where the socket lives */
	guint               argc;
	const char *const  *argv;       /* NUL-terminated copies */
	const gsize        *lens;       /* real lengths (values may hold NUL) */
	GString            *reply;      /* ". " lines so far */
	gboolean            truncated;  /* output went over BW_CTL_REPLY_MAX */
	char               *events_glob;/* set by `events`: stream from now on */
} bw_ctl_req;

/* Runs the request: TRUE when it succeeded (the caller answers +OK unless
 * events_glob is set), FALSE with err (the caller answers -ERR). */
gboolean bw_ctl_cmd_run(bw_ctl_req *r, GError **err);
/* Output for the reply, split into lines and escaped, bounded. */
void     bw_ctl_out(bw_ctl_req *r, const void *text, gsize len);
void     bw_ctl_outf(bw_ctl_req *r, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* Commands added by modules (core/ctlext.c): ENOENT when name is not one
 * of them; otherwise 0 with *ok the command's result. */
int      bw_ctl_ext_run(bw_ctl_req *r, gboolean *ok, GError **err);
void     bw_ctl_ext_help(bw_ctl_req *r);
/* Is name a built-in command word (core/ctlcmd.c)? */
gboolean bw_ctl_cmd_builtin(const char *name);
/* What the daemon offers (NULL in tests). */
const bw_daemon_ops *bw_ctl_daemon(void);
/* Connected clients right now (for status). */
guint    bw_ctl_clients(void);

#endif
