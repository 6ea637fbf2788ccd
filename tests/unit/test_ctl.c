/* Unit tests of the control socket server (core/ctl.c, core/ctlcmd.c)
 * against the real store, audit and bus, with raw clients driven from
 * the same main context: socket mode, stale sockets, the peer uid check,
 * usage errors, store round trips, audit, backup/restore, events with a
 * slow reader, the client limit. */
#include "ctl.h"
#include "ctlint.h"
#include "ctlproto.h"
#include "storedb.h"
#include "testutil.h"
#include <bulwark/bus.h>
#include <glib-unix.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct client {
	int      fd;
	GString *in;
	gboolean eof;
	guint    src;
} client;

static struct {
	char     *dir, *sock;
	bw_store *store;
} fx;

static gboolean on_client_data(gint fd, GIOCondition cond, gpointer data)
{
	client *c = data;
	char buf[65536];
	ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

	if (n > 0) {
		g_string_append_len(c->in, buf, n);
		return G_SOURCE_CONTINUE;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return G_SOURCE_CONTINUE;
	c->eof = TRUE;
	c->src = 0;
	return G_SOURCE_REMOVE;
}

static client *client_open(gboolean reading)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	client *c = g_new0(client, 1);

	g_strlcpy(sa.sun_path, fx.sock, sizeof sa.sun_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(c->fd, >=, 0);
	g_assert_cmpint(connect(c->fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_true(g_unix_set_fd_nonblocking(c->fd, TRUE, NULL));
	c->in = g_string_new(NULL);
	if (reading)
		c->src = g_unix_fd_add(c->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_client_data, c);
	return c;
}

static void client_close(client *c)
{
	if (c->src)
		g_source_remove(c->src);
	close(c->fd);
	g_string_free(c->in, TRUE);
	g_free(c);
}

static void client_send_raw(client *c, const void *data, gsize len)
{
	g_assert_cmpint(send(c->fd, data, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

static void client_sendv(client *c, const char *const *args)
{
	GString *req = g_string_new(NULL);
	for (; *args; args++)
		bw_ctlproto_append_arg(req, *args, strlen(*args));
	bw_ctlproto_append_end(req);
	client_send_raw(c, req->str, req->len);
	g_string_free(req, TRUE);
}

static gboolean wake(gpointer data)
{
	return G_SOURCE_CONTINUE;
}

/* Runs the loop until the client saw EOF or needle (if not NULL). */
static gboolean client_wait(client *c, const char *needle, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint tick = g_timeout_add(50, wake, NULL);

	while (!c->eof && !(needle && strstr(c->in->str, needle)) &&
	       g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return c->eof || (needle && strstr(c->in->str, needle));
}

static gboolean clients_become(guint n, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	guint tick = g_timeout_add(20, wake, NULL);

	while (bw_ctl_clients() != n && g_get_monotonic_time() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return bw_ctl_clients() == n;
}

/* One request, the whole reply. */
static char *call(const char *first, ...)
{
	const char *args[BW_CTL_MAX_ARGS + 1];
	va_list ap;
	guint n = 0;
	client *c = client_open(TRUE);
	char *reply;

	va_start(ap, first);
	for (const char *a = first; a && n < BW_CTL_MAX_ARGS; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	client_sendv(c, args);
	g_assert_true(client_wait(c, NULL, 10000));
	reply = g_strdup(c->in->str);
	client_close(c);
	return reply;
}

static gboolean ends_ok(const char *reply)
{
	return g_str_has_suffix(reply, "+OK\n");
}

static void setup(void)
{
	GError *err = NULL;
	char *db;

	fx.dir = bw_test_tmpdir();
	fx.sock = g_build_filename(fx.dir, "bulwarkd.sock", NULL);
	db = g_build_filename(fx.dir, "bulwark.db", NULL);
	fx.store = bw_store_open(db, 0, &err);
	g_assert_no_error(err);
	bw_store_set_system(fx.store);
	g_free(db);
	g_assert_true(bw_ctl_start(fx.sock, NULL, &err));
	g_assert_no_error(err);
}

static void teardown(void)
{
	bw_ctl_stop();
	g_assert_false(g_file_test(fx.sock, G_FILE_TEST_EXISTS));
	/* let freed connections' idle callbacks run out */
	while (g_main_context_iteration(NULL, FALSE))
		;
	bw_store_set_system(NULL);
	bw_store_close(fx.store);
	bw_test_rmtree(fx.dir);
	g_free(fx.dir);
	g_free(fx.sock);
}

static void test_socket_mode(void)
{
	struct stat st;
	GError *err = NULL;

	setup();
	g_assert_cmpint(stat(fx.sock, &st), ==, 0);
	g_assert_true(S_ISSOCK(st.st_mode));
	g_assert_cmpint(st.st_mode & 07777, ==, 0600);
	/* a live socket is never taken over */
	g_assert_false(bw_ctl_start(fx.sock, NULL, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	teardown();
}

static void test_stale_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *dir = bw_test_tmpdir();
	char *path = g_build_filename(dir, "s.sock", NULL);
	GError *err = NULL;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), live;

	/* a socket file left by a dead daemon: removed and replaced */
	g_strlcpy(sa.sun_path, path, sizeof sa.sun_path);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	close(fd);
	g_assert_true(bw_ctl_start(path, NULL, &err));
	g_assert_no_error(err);
	bw_ctl_stop();

	/* someone answers on it: left alone */
	live = socket(AF_UNIX, SOCK_STREAM, 0);
	g_assert_cmpint(bind(live, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(listen(live, 1), ==, 0);
	g_assert_false(bw_ctl_start(path, NULL, &err));
	g_assert_true(strstr(err->message, "answers") && strstr(err->message, path));
	g_clear_error(&err);
	close(live);
	unlink(path);

	/* not a socket: left alone */
	g_assert_true(g_file_set_contents(path, "keep", -1, NULL));
	g_assert_false(bw_ctl_start(path, NULL, &err));
	g_assert_true(strstr(err->message, "not a socket") != NULL);
	g_clear_error(&err);
	g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));
	bw_test_rmtree(dir);
	g_free(path);
	g_free(dir);
}

static void test_usage(void)
{
	char *r;

	setup();
	r = call("help", NULL);
	g_assert_true(ends_ok(r) && strstr(r, ". store put") && strstr(r, ". events"));
	g_free(r);
	r = call("frobnicate", NULL);
	g_assert_cmpstr(r, ==, "-ERR usage: unknown command 'frobnicate'; 'help' lists the commands\n");
	g_free(r);
	r = call("store", "get", NULL);
	g_assert_cmpstr(r, ==, "-ERR usage: store get KEY\n");
	g_free(r);
	r = call("module", "frob", "x", NULL);
	g_assert_cmpstr(r, ==, "-ERR usage: module load|unload|reload NAME\n");
	g_free(r);
	r = call("audit", "list", "0", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: audit list [N]"));
	g_free(r);
	r = call("audit", "list", "12x", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: audit list [N]"));
	g_free(r);
	r = call("emit", "test.x", "novalue", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: emit TYPE [KEY=VALUE ...]"));
	g_assert_true(strstr(r, "argument 1 is not KEY=VALUE") != NULL);
	g_free(r);
	r = call("emit", "noarea", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: emit TYPE"));
	g_free(r);
	r = call("restore", "relative.db", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: restore FILE"));
	g_free(r);
	teardown();
}

static void test_malformed_request(void)
{
	client *c;

	setup();
	c = client_open(TRUE);
	client_send_raw(c, "01:a,", 5);
	g_assert_true(client_wait(c, NULL, 10000));
	g_assert_true(g_str_has_prefix(c->in->str, "-ERR control request, byte"));
	g_assert_true(strstr(c->in->str, "leading zero") != NULL);
	client_close(c);
	/* a NUL byte is only accepted in a stored value */
	c = client_open(TRUE);
	client_send_raw(c, "6:status,2:a\0,0:,", 17);
	g_assert_true(client_wait(c, NULL, 10000));
	g_assert_true(g_str_has_prefix(c->in->str, "-ERR usage: status"));
	client_close(c);
	/* the server lives on */
	char *r = call("help", NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	g_assert_true(clients_become(0, 5000));
	teardown();
}

static void test_store_roundtrip(void)
{
	char *r, *actor = g_strdup_printf("bulwarkctl:uid=%u", (guint)geteuid());
	client *c;
	GString *req = g_string_new(NULL);

	setup();
	r = call("store", "put", "ext/100", "alice smith", NULL);
	g_assert_true(ends_ok(r) && strstr(r, ". ext/100 revision "));
	g_free(r);
	r = call("store", "get", "ext/100", NULL);
	g_assert_cmpstr(r, ==, ". alice smith\n+OK\n");
	g_free(r);

	/* the stdin form: the value is the next argument, bytes and all */
	c = client_open(TRUE);
	bw_ctlproto_append_arg(req, "store", 5);
	bw_ctlproto_append_arg(req, "put", 3);
	bw_ctlproto_append_arg(req, "ext/101", 7);
	bw_ctlproto_append_arg(req, "-", 1);
	bw_ctlproto_append_arg(req, "two\nlines\0\x1b", 11);
	bw_ctlproto_append_end(req);
	client_send_raw(c, req->str, req->len);
	g_assert_true(client_wait(c, NULL, 10000));
	g_assert_true(ends_ok(c->in->str));
	client_close(c);
	r = call("store", "get", "ext/101", NULL);
	g_assert_cmpstr(r, ==, ". two\n. lines\\x00\\x1b\n+OK\n");
	g_free(r);
	r = call("store", "put", "ext/102", "-", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR usage: store put KEY VALUE"));
	g_free(r);

	r = call("store", "list", "ext/", NULL);
	g_assert_true(strstr(r, ". ext/100 rev=") && strstr(r, ". ext/101 rev=") && ends_ok(r));
	g_assert_true(strstr(r, "size=11") != NULL);
	g_free(r);
	r = call("store", "delete", "ext/100", NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	r = call("store", "get", "ext/100", NULL);
	g_assert_true(g_str_has_prefix(r, "-ERR "));
	g_free(r);

	r = call("audit", "list", NULL);
	g_assert_true(ends_ok(r));
	g_assert_true(strstr(r, actor) && strstr(r, "store.put") && strstr(r, "store.delete"));
	g_assert_true(strstr(r, "ext/101") != NULL);
	g_assert_null(strstr(r, "alice smith"));   /* values stay out of the audit */
	g_free(r);
	r = call("audit", "list", "1", NULL);
	g_assert_true(strstr(r, "store.delete") && !strstr(r, "store.put"));
	g_free(r);
	r = call("audit", "verify", NULL);
	g_assert_true(ends_ok(r) && strstr(r, "intact"));
	g_free(r);
	g_string_free(req, TRUE);
	g_free(actor);
	teardown();
}

static void test_backup_restore(void)
{
	char *r, *file;

	setup();
	r = call("store", "put", "ext/200", "before", NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	r = call("backup", NULL);
	g_assert_true(ends_ok(r) && g_str_has_prefix(r, ". "));
	file = g_strndup(r + 2, strcspn(r + 2, "\n"));
	g_free(r);
	g_assert_true(g_str_has_prefix(file, fx.dir));
	g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
	r = call("store", "put", "ext/200", "after", NULL);
	g_free(r);
	r = call("restore", file, NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	r = call("store", "get", "ext/200", NULL);
	g_assert_cmpstr(r, ==, ". before\n+OK\n");
	g_free(r);
	g_free(file);
	teardown();
}

static void test_permission_denied(void)
{
	char *r;

	setup();
	bw_ctl_test_set_peer_uid(geteuid() == 4242 ? 4243 : 4242);
	r = call("status", NULL);
	g_assert_cmpstr(r, ==, "-ERR permission denied\n");
	g_free(r);
	bw_ctl_test_set_peer_uid(0);   /* root is always let in */
	r = call("help", NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	bw_ctl_test_set_peer_uid(-1);
	r = call("audit", "list", NULL);
	g_assert_true(strstr(r, "ctl.denied") != NULL);
	g_assert_true(strstr(r, geteuid() == 4242 ? "uid=4243" : "uid=4242") != NULL);
	g_free(r);
	teardown();
}

static void test_events(void)
{
	client *c;
	char *r;

	setup();
	c = client_open(TRUE);
	client_sendv(c, (const char *const[]){ "events", "test.*", NULL });
	g_assert_true(client_wait(c, "(streaming events matching 'test.*'", 10000));
	bw_event_emit("other.thing", "k", "v", NULL);
	r = call("emit", "test.ping", "who=unit test", "n=1", NULL);
	g_assert_true(ends_ok(r));
	g_free(r);
	g_assert_true(client_wait(c, "test.ping", 10000));
	g_assert_null(strstr(c->in->str, "other.thing"));
	g_assert_null(strstr(c->in->str, "+OK"));
	g_assert_false(c->eof);
	r = call("audit", "list", "1", NULL);
	g_assert_true(strstr(r, "event.emit") && strstr(r, "test.ping"));
	g_free(r);
	client_close(c);
	g_assert_true(clients_become(0, 5000));
	teardown();
}

/* A client that does not read loses events, and is told how many; the
 * publisher never waits for it. */
static void test_events_slow_reader(void)
{
	client *c;
	char *big = g_strnfill(2000, 'x');
	guint64 dropped = 0;
	const char *p;

	setup();
	c = client_open(FALSE);
	client_sendv(c, (const char *const[]){ "events", "slow.*", NULL });
	g_assert_true(clients_become(1, 5000));
	for (int i = 0; i < 4000; i++) {
		bw_event_emit("slow.fill", "pad", big, NULL);
		if (i % 50 == 0)
			while (g_main_context_iteration(NULL, FALSE))
				;
	}
	while (g_main_context_iteration(NULL, FALSE))
		;
	/* now read everything, then one more event must come after the notice */
	c->src = g_unix_fd_add(c->fd, G_IO_IN | G_IO_HUP, on_client_data, c);
	/* the server's buffer drains as we read; an event emitted while it
	 * is still full is dropped too, so try until one gets through */
	for (int i = 0; i < 50 && !strstr(c->in->str, "slow.last"); i++) {
		bw_event_emit("slow.last", NULL);
		client_wait(c, "slow.last", 200);
	}
	g_assert_true(strstr(c->in->str, "slow.last") != NULL);
	p = strstr(c->in->str, "events dropped)");
	g_assert_nonnull(p);
	while (p > c->in->str && p[-1] != '(')
		p--;
	dropped = g_ascii_strtoull(p, NULL, 10);
	g_assert_cmpuint(dropped, >, 0);
	g_assert_cmpuint(dropped, <, 4000);
	client_close(c);
	g_free(big);
	g_assert_true(clients_become(0, 5000));
	teardown();
}

static void test_client_limit(void)
{
	client *cs[BW_CTL_MAX_CLIENTS];
	client *extra;

	setup();
	for (int i = 0; i < BW_CTL_MAX_CLIENTS; i++)
		cs[i] = client_open(FALSE);
	g_assert_true(clients_become(BW_CTL_MAX_CLIENTS, 5000));
	extra = client_open(TRUE);
	g_assert_true(client_wait(extra, NULL, 10000));
	g_assert_true(g_str_has_prefix(extra->in->str, "-ERR too many control clients"));
	client_close(extra);
	for (int i = 0; i < BW_CTL_MAX_CLIENTS; i++)
		client_close(cs[i]);
	g_assert_true(clients_become(0, 5000));
	teardown();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ctl/socket-mode", test_socket_mode);
	g_test_add_func("/ctl/stale-socket", test_stale_socket);
	g_test_add_func("/ctl/usage", test_usage);
	g_test_add_func("/ctl/malformed-request", test_malformed_request);
	g_test_add_func("/ctl/store-roundtrip", test_store_roundtrip);
	g_test_add_func("/ctl/backup-restore", test_backup_restore);
	g_test_add_func("/ctl/permission-denied", test_permission_denied);
	g_test_add_func("/ctl/events", test_events);
	g_test_add_func("/ctl/events-slow-reader", test_events_slow_reader);
	g_test_add_func("/ctl/client-limit", test_client_limit);
	return g_test_run();
}
