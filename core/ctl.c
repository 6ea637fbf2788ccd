/* The control socket's server (contract: core/ctl.h) on the management
 * context: a raw Unix socket watched with GLib fd sources, one request per
 * connection. The socket is created 0600 (umask around bind, chmod after);
 * a stale one is removed only when nobody answers on it. Peers other than
 * root and the daemon's own euid get "-ERR permission denied" and an audit
 * record. Each connection has a bounded parser, a 30 s deadline for its
 * request, and non-blocking writes; an `events` stream drops (and counts)
 * events rather than ever buffering without bound or blocking the loop.
 * Connections are freed from an idle callback, never from inside a GLib or
 * bus callback that still runs for them. */
#define _GNU_SOURCE
#include "ctl.h"
#include "ctlint.h"
#include "ctlproto.h"
#include <bulwark/audit.h>
#include <bulwark/bus.h>
#include <bulwark/thread.h>
#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define READ_CHUNK       65536
#define EVENTS_OUT_MAX   (256 * 1024)   /* unsent bytes an events client may hold */
#define EVENTS_QUEUE     256
#define DENY_AUDIT_MAX   10             /* ctl.denied records per minute */

typedef struct ctl_conn {
	int            fd;
	guint          uid;
	char          *actor;
	GSource       *in_src, *out_src, *timer, *free_src;
	bw_ctl_parser *parser;
	GString       *out;
	gsize          out_off;
	gboolean       request_done, close_after_flush, dead;
	bw_sub        *sub;
	guint64        lost, sub_dropped_seen;
} ctl_conn;

static struct {
	int      fd;
	char    *path, *dir;
	dev_t    dev;
	ino_t    ino;
	GSource *listen_src, *pause_src;
	GList   *conns;          /* open */
	GList   *zombies;        /* closed, waiting for their idle free */
	gint     peer_uid_override;
	gint64   deny_window;
	guint    deny_count, deny_suppressed;
} ctl = { .fd = -1, .peer_uid_override = -1 };

static void source_clear(GSource **s)
{
	if (*s) {
		g_source_destroy(*s);
		g_source_unref(*s);
		*s = NULL;
	}
}

static GSource *fd_source(int fd, GIOCondition cond, GUnixFDSourceFunc fn, void *data)
{
	GSource *s = g_unix_fd_source_new(fd, cond);
	g_source_set_callback(s, G_SOURCE_FUNC(fn), data, NULL);
	g_source_attach(s, bw_mgmt_context());
	return s;
}

guint bw_ctl_clients(void)
{
	return g_list_length(ctl.conns);
}

void bw_ctl_test_set_peer_uid(gint uid)
{
	ctl.peer_uid_override = uid;
}

/* ---- connection lifetime ---- */

static void conn_free(ctl_conn *c)
{
	if (c->sub)
		bw_bus_unsubscribe(c->sub);
	source_clear(&c->free_src);
	bw_ctlproto_parser_free(c->parser);
	g_string_free(c->out, TRUE);
	g_free(c->actor);
	g_free(c);
}

static gboolean conn_free_idle(gpointer data)
{
	ctl_conn *c = data;
	ctl.zombies = g_list_remove(ctl.zombies, c);
	conn_free(c);
	return G_SOURCE_REMOVE;
}

static void conn_close(ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = TRUE;
	source_clear(&c->in_src);
	source_clear(&c->out_src);
	source_clear(&c->timer);
	close(c->fd);
	c->fd = -1;
	ctl.conns = g_list_remove(ctl.conns, c);
	ctl.zombies = g_list_prepend(ctl.zombies, c);
	c->free_src = g_idle_source_new();
	g_source_set_callback(c->free_src, conn_free_idle, c, NULL);
	g_source_attach(c->free_src, bw_mgmt_context());
}

/* ---- output ---- */

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data);

static void conn_flush(ctl_conn *c)
{
	while (!c->dead && c->out_off < c->out->len) {
		ssize_t n = send(c->fd, c->out->str + c->out_off, c->out->len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (gsize)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->out_src)
				c->out_src = fd_source(c->fd, G_IO_OUT, on_writable, c);
			if (c->out_off > READ_CHUNK && c->out_off > c->out->len / 2) {
				g_string_erase(c->out, 0, (gssize)c->out_off);
				c->out_off = 0;
			}
			return;
		} else {
			conn_close(c);   /* the peer went away: nothing more to say */
			return;
		}
	}
	if (c->dead)
		return;
	g_string_truncate(c->out, 0);
	c->out_off = 0;
	source_clear(&c->out_src);
	if (c->close_after_flush)
		conn_close(c);
}

static gboolean on_timeout(gpointer data);

/* (Re)starts the 30 s deadline: for the request, then for a reply the
 * client does not read. */
static void conn_arm_timer(ctl_conn *c)
{
	source_clear(&c->timer);
	c->timer = g_timeout_source_new_seconds(BW_CTL_REQUEST_TIMEOUT);
	g_source_set_callback(c->timer, on_timeout, c, NULL);
	g_source_attach(c->timer, bw_mgmt_context());
}

static gboolean on_writable(gint fd, GIOCondition cond, gpointer data)
{
	ctl_conn *c = data;
	gsize before = c->out_off;

	conn_flush(c);
	/* a command's reply must keep moving; an events stream may idle */
	if (!c->dead && c->out_src && !c->sub && c->out_off != before)
		conn_arm_timer(c);
	return G_SOURCE_CONTINUE;
}

/* The final line is queued: send it, close after; a client that does not
 * read it gets the deadline. */
static void conn_finish(ctl_conn *c)
{
	c->close_after_flush = TRUE;
	conn_flush(c);
	if (!c->dead && c->out_src)
		conn_arm_timer(c);
}

static void conn_finish_err(ctl_conn *c, const char *message)
{
	bw_ctlproto_append_err(c->out, message);
	conn_finish(c);
}

/* ---- events ---- */

static void on_event(const bw_event *ev, void *data)
{
	ctl_conn *c = data;
	guint64 bus_dropped;
	char *line;
	gsize pending;

	if (c->dead)
		return;
	bus_dropped = bw_sub_dropped(c->sub);
	c->lost += bus_dropped - c->sub_dropped_seen;
	c->sub_dropped_seen = bus_dropped;
	line = bw_event_format(ev);
	pending = c->out->len - c->out_off;
	/* escaping may grow the line 4x; the notice needs a little more */
	if (pending + 4 * strlen(line) + 64 > EVENTS_OUT_MAX) {
		c->lost++;
		g_free(line);
		return;
	}
	if (c->lost) {
		char *notice = g_strdup_printf("(%" G_GUINT64_FORMAT " events dropped)", c->lost);
		bw_ctlproto_append_output(c->out, notice, strlen(notice));
		g_free(notice);
		c->lost = 0;
	}
	bw_ctlproto_append_output(c->out, line, strlen(line));
	g_free(line);
	conn_flush(c);
}

static void conn_start_events(ctl_conn *c, const char *glob)
{
	char *hello = g_strdup_printf("(streaming events matching '%s'; close to stop)", glob);

	bw_ctlproto_append_output(c->out, hello, strlen(hello));
	g_free(hello);
	c->sub = bw_bus_subscribe(glob, bw_mgmt_context(), EVENTS_QUEUE, on_event, c);
	c->sub_dropped_seen = 0;
	g_message("control: %s streams events matching '%s'", c->actor, glob);
	conn_flush(c);
}

/* ---- requests ---- */

static void conn_run_request(ctl_conn *c)
{
	guint argc = bw_ctlproto_parser_argc(c->parser);
	const char **argv = g_new0(const char *, argc + 1);
	gsize *lens = g_new0(gsize, argc + 1);
	GString *reply = g_string_new(NULL);
	bw_ctl_req r = { .uid = c->uid, .actor = c->actor, .data_dir = ctl.dir,
			 .argc = argc, .argv = argv, .lens = lens, .reply = reply };
	GError *err = NULL;
	gboolean ok;

	for (guint i = 0; i < argc; i++)
		argv[i] = bw_ctlproto_parser_arg(c->parser, i, &lens[i]);
	ok = bw_ctl_cmd_run(&r, &err);
	/* command words only: arguments may be values nobody should log */
	g_debug("control: %s ran '%s%s%s': %s", c->actor, argc ? argv[0] : "",
		argc > 1 ? " " : "", argc > 1 && lens[1] < 32 ? argv[1] : "",
		ok ? "ok" : err->message);
	g_string_append_len(c->out, reply->str, (gssize)reply->len);
	if (ok && r.events_glob) {
		conn_start_events(c, r.events_glob);
	} else if (r.truncated) {
		conn_finish_err(c, "output larger than 16 MiB: narrow the request "
			       "(audit list N, store list PREFIX, store export PREFIX)");
	} else if (ok) {
		bw_ctlproto_append_ok(c->out);
		conn_finish(c);
	} else {
		conn_finish_err(c, err->message);
	}
	g_clear_error(&err);
	g_free(r.events_glob);
	g_string_free(reply, TRUE);
	g_free(argv);
	g_free(lens);
}

static void conn_feed(ctl_conn *c, const char *buf, gsize n)
{
	GError *err = NULL;
	bw_ctlp_status st = bw_ctlproto_parser_feed(c->parser, buf, n, NULL, &err);

	if (st == BW_CTLP_MORE)
		return;
	c->request_done = TRUE;
	source_clear(&c->timer);
	if (st == BW_CTLP_DONE) {
		conn_run_request(c);
		return;
	}
	g_message("control: %s sent a bad request: %s", c->actor, err->message);
	conn_finish_err(c, err->message);
	g_error_free(err);
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	static char buf[READ_CHUNK];   /* the management thread is the only reader */
	ctl_conn *c = data;
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return G_SOURCE_CONTINUE;
	if (n <= 0) {
		conn_close(c);   /* closed by the peer: the end of an events stream */
		return G_SOURCE_REMOVE;
	}
	/* after the request, input only tells us the peer is still there */
	if (!c->request_done)
		conn_feed(c, buf, (gsize)n);
	return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(gpointer data)
{
	ctl_conn *c = data;

	source_clear(&c->timer);
	if (c->request_done) {
		g_message("control: %s did not read its reply within %d s; closing", c->actor,
			  BW_CTL_REQUEST_TIMEOUT);
		conn_close(c);
		return G_SOURCE_REMOVE;
	}
	c->request_done = TRUE;
	g_message("control: %s sent no complete request within %d s", c->actor,
		  BW_CTL_REQUEST_TIMEOUT);
	conn_finish_err(c, "request not complete within 30 s");
	return G_SOURCE_REMOVE;
}

/* ---- accepting ---- */

static void audit_denied(guint uid, pid_t pid)
{
	gint64 now = g_get_monotonic_time();
	char *actor, *detail;
	GError *err = NULL;

	/* a local flood must not fill the audit log: a few records a minute,
	 * the next one counts what was left out */
	if (now - ctl.deny_window > 60 * G_USEC_PER_SEC) {
		ctl.deny_window = now;
		ctl.deny_count = 0;
	}
	if (++ctl.deny_count > DENY_AUDIT_MAX) {
		ctl.deny_suppressed++;
		return;
	}
	actor = g_strdup_printf("bulwarkctl:uid=%u", uid);
	detail = g_strdup_printf("uid %u (pid %d) is neither root nor the daemon's uid %u%s",
				 uid, (int)pid, (guint)geteuid(),
				 ctl.deny_suppressed ? "; earlier refusals not recorded" : "");
	if (bw_audit_append(actor, "ctl.denied", ctl.path, detail, &err) <= 0) {
		g_warning("control: cannot audit the refusal of uid %u on %s: %s", uid,
			  ctl.path, err ? err->message : "unknown error");
		g_clear_error(&err);
	} else {
		ctl.deny_suppressed = 0;
	}
	g_message("control: refused uid %u (pid %d) on %s: not root nor the daemon's uid",
		  uid, (int)pid, ctl.path);
	g_free(actor);
	g_free(detail);
}

/* A one-line answer to a peer we will not serve; best effort. */
static void refuse(int fd, const char *line)
{
	ssize_t n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
}

static void accept_one(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	ctl_conn *c;
	guint uid;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		g_warning("control: cannot read the peer's credentials on %s: %s", ctl.path,
			  g_strerror(errno));
		close(fd);
		return;
	}
	uid = ctl.peer_uid_override >= 0 ? (guint)ctl.peer_uid_override : (guint)cred.uid;
	if (uid != 0 && uid != (guint)geteuid()) {
		audit_denied(uid, cred.pid);
		refuse(fd, "-ERR permission denied\n");
		return;
	}
	if (g_list_length(ctl.conns) >= BW_CTL_MAX_CLIENTS) {
		g_message("control: refused uid %u: already %d clients", uid, BW_CTL_MAX_CLIENTS);
		refuse(fd, "-ERR too many control clients (16 connected); try again later\n");
		return;
	}
	c = g_new0(ctl_conn, 1);
	c->fd = fd;
	c->uid = uid;
	c->actor = g_strdup_printf("bulwarkctl:uid=%u", uid);
	c->parser = bw_ctlproto_parser_new();
	c->out = g_string_new(NULL);
	c->in_src = fd_source(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, c);
	conn_arm_timer(c);
	ctl.conns = g_list_prepend(ctl.conns, c);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data);

static gboolean on_pause_over(gpointer data)
{
	source_clear(&ctl.pause_src);
	if (ctl.fd >= 0 && !ctl.listen_src)
		ctl.listen_src = fd_source(ctl.fd, G_IO_IN, on_accept, NULL);
	return G_SOURCE_REMOVE;
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			accept_one(cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return G_SOURCE_CONTINUE;
		/* out of descriptors or memory: stop listening a second rather
		 * than spin on a socket that stays readable */
		g_warning("control: accept on %s failed: %s; pausing 1 s", ctl.path,
			  g_strerror(errno));
		source_clear(&ctl.listen_src);
		ctl.pause_src = g_timeout_source_new_seconds(1);
		g_source_set_callback(ctl.pause_src, on_pause_over, NULL, NULL);
		g_source_attach(ctl.pause_src, bw_mgmt_context());
		return G_SOURCE_REMOVE;
	}
}

/* ---- the socket ---- */

static gboolean fill_addr(struct sockaddr_un *sa, const char *path, GError **err)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
			    "control socket %s: path longer than %zu bytes", path,
			    sizeof sa->sun_path - 1);
		return FALSE;
	}
	strcpy(sa->sun_path, path);
	return TRUE;
}

/* An existing file at path: a socket nobody answers on is removed; a live
 * one or anything that is not a socket is left alone and refused. */
static gboolean remove_stale(const struct sockaddr_un *sa, const char *path, GError **err)
{
	struct stat st;
	int fd, rc, e;

	if (lstat(path, &st) != 0)
		return TRUE;
	if (!S_ISSOCK(st.st_mode)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "control socket %s: a file that is not a socket is in the way", path);
		return FALSE;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "control socket %s: socket(): %s", path, g_strerror(errno));
		return FALSE;
	}
	rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "control socket %s: another bulwarkd answers on it", path);
		return FALSE;
	}
	if (e != ECONNREFUSED) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
			    "control socket %s: cannot tell whether it is stale: %s", path,
			    g_strerror(e));
		return FALSE;
	}
	g_message("control: removing stale socket %s", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "control socket %s: cannot remove the stale one: %s", path,
			    g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean sock_fail(int fd, const char *path, const char *what, GError **err)
{
	int e = errno;
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
		    "control socket %s: %s: %s", path, what, g_strerror(e));
	close(fd);
	return FALSE;
}

static gboolean bind_listen(const struct sockaddr_un *sa, const char *path, GError **err)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct stat st;
	mode_t old;
	int rc;

	if (fd < 0)
		return sock_fail(fd, path, "socket()", err);
	old = umask(0177);   /* 0600 from the first moment it exists */
	rc = bind(fd, (const struct sockaddr *)sa, sizeof *sa);
	umask(old);
	if (rc != 0)
		return sock_fail(fd, path, "bind()", err);
	if (chmod(path, 0600) != 0 || stat(path, &st) != 0) {
		unlink(path);
		return sock_fail(fd, path, "chmod 0600", err);
	}
	if (listen(fd, BW_CTL_MAX_CLIENTS) != 0) {
		unlink(path);
		return sock_fail(fd, path, "listen()", err);
	}
	ctl.fd = fd;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	return TRUE;
}

static const bw_daemon_ops *daemon_ops;

const bw_daemon_ops *bw_ctl_daemon(void) { return daemon_ops; }

gboolean bw_ctl_start(const char *path, const bw_daemon_ops *ops, GError **err)
{
	struct sockaddr_un sa;

	if (ctl.fd >= 0) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_EXIST,
			    "control socket %s: already listening on %s", path, ctl.path);
		return FALSE;
	}
	if (!fill_addr(&sa, path, err) || !remove_stale(&sa, path, err) ||
	    !bind_listen(&sa, path, err))
		return FALSE;
	ctl.path = g_strdup(path);
	daemon_ops = ops;
	ctl.dir = g_path_get_dirname(path);
	ctl.listen_src = fd_source(ctl.fd, G_IO_IN, on_accept, NULL);
	g_message("control: listening on %s", path);
	return TRUE;
}

void bw_ctl_stop(void)
{
	struct stat st;

	if (ctl.fd < 0)
		return;
	source_clear(&ctl.listen_src);
	source_clear(&ctl.pause_src);
	close(ctl.fd);
	ctl.fd = -1;
	/* only our own socket: a successor may already have bound the path */
	if (lstat(ctl.path, &st) == 0 && st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
	while (ctl.conns)
		conn_close(ctl.conns->data);
	while (ctl.zombies) {
		ctl_conn *c = ctl.zombies->data;
		ctl.zombies = g_list_delete_link(ctl.zombies, ctl.zombies);
		conn_free(c);
	}
	g_clear_pointer(&ctl.path, g_free);
	g_clear_pointer(&ctl.dir, g_free);
}
