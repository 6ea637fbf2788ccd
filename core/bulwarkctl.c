/* bulwarkctl: the administrator's command line for a running bulwarkd.
 * A plain blocking client of the control socket (framing: core/ctlproto.h):
 * sends one request, prints the output lines without their ". " prefix
 * (escaped as the daemon sent them, so a stored value cannot drive the
 * terminal), and exits 0 on "+OK", 1 on "-ERR" (message on stderr),
 * 2 on a local error, 3 when bulwarkd is not running, 4 on permission
 * denied. `events` streams until interrupted; `store put KEY -` sends
 * stdin as the value; FILE arguments are sent as absolute paths because
 * the daemon does not share our working directory. */
#include "ctlproto.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef BW_LOCALSTATEDIR
#define BW_LOCALSTATEDIR "/var"
#endif

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_LOCAL = 2, EXIT_NOT_RUNNING = 3, EXIT_DENIED = 4 };

static const char *const help_lines[] = {
	"status                         daemon, listeners, modules, bus and store counters",
	"modules                        the modules with version, state and path",
	"module load|unload|reload NAME load, stop or reload a module",
	"reload                         re-read and apply the configuration (kept if invalid)",
	"events [GLOB]                  stream events matching GLOB (default '*') until Ctrl-C",
	"emit TYPE [KEY=VALUE ...]      publish an event (audited)",
	"audit list [N]                 the last N audit records (default 100)",
	"audit verify                   check the audit log's hash chain",
	"backup                         back up the store now; prints the file",
	"restore FILE                   verify a backup file, then restore the store from it",
	"store get KEY                  print a record's value",
	"store put KEY VALUE            write a record",
	"store put KEY -                write a record, the value read from stdin",
	"store delete KEY               delete a record",
	"store list [PREFIX]            keys with revision and size",
	"store import FILE              import provisioning XML (all or nothing)",
	"store export [PREFIX]          export records as provisioning XML",
	"alarms                         the active alarms",
	"alarms all                     the active alarms and the last cleared ones",
	"alarms rules                   the alarm rules (event tables) in force",
	"metrics                        every metric as NAME VALUE, sorted",
	"help                           the daemon's own list of commands",
};

static void usage(FILE *to)
{
	fprintf(to, "usage: bulwarkctl [-s SOCKET] COMMAND [ARG ...]\n"
		"  -s SOCKET  control socket (default $BULWARK_SOCKET, else %s)\n"
		"commands:\n", BW_LOCALSTATEDIR "/lib/bulwark/bulwarkd.sock");
	for (gsize i = 0; i < G_N_ELEMENTS(help_lines); i++)
		fprintf(to, "  %s\n", help_lines[i]);
	fprintf(to, "exit status: 0 done, 1 refused by bulwarkd, 2 local error, "
		"3 bulwarkd not running, 4 permission denied\n");
}

static int fail(int code, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("bulwarkctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* stdin, at most what one request may carry */
static int read_stdin(GString *value)
{
	char buf[65536];
	size_t n;

	while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
		if (value->len + n > BW_CTL_MAX_REQUEST - 4096)
			return fail(EXIT_LOCAL, "the value on stdin is larger than %d bytes",
				    BW_CTL_MAX_REQUEST - 4096);
		g_string_append_len(value, buf, (gssize)n);
	}
	if (ferror(stdin))
		return fail(EXIT_LOCAL, "cannot read the value from stdin: %s", g_strerror(errno));
	return EXIT_OK;
}

static gboolean is_file_arg(char **words, int n, int i)
{
	return (n == 2 && i == 1 && g_str_equal(words[0], "restore")) ||
	       (n == 3 && i == 2 && g_str_equal(words[0], "store") && g_str_equal(words[1], "import"));
}

/* Commands whose trailing "-" means "the value (a secret) comes on stdin",
 * so it never shows in the process list or the shell history. */
static gboolean reads_stdin(char **words, int n)
{
	static const char *const forms[][2] = {
		{ "store", "put" }, { "ext", "add" }, { "ext", "passwd" },
	};
	if (n < 3 || !g_str_equal(words[n - 1], "-"))
		return FALSE;
	for (gsize i = 0; i < G_N_ELEMENTS(forms); i++)
		if (g_str_equal(words[0], forms[i][0]) && g_str_equal(words[1], forms[i][1]))
			return TRUE;
	return FALSE;
}

static int build_request(char **words, int n, GString *req)
{
	if (n > BW_CTL_MAX_ARGS)
		return fail(EXIT_LOCAL, "too many arguments (at most %d)", BW_CTL_MAX_ARGS);
	for (int i = 0; i < n; i++) {
		char *abs = is_file_arg(words, n, i) ? g_canonicalize_filename(words[i], NULL) : NULL;
		const char *w = abs ? abs : words[i];
		bw_ctlproto_append_arg(req, w, strlen(w));
		g_free(abs);
	}
	if (reads_stdin(words, n)) {
		GString *value = g_string_new(NULL);
		int rc = read_stdin(value);
		/* a secret typed or echoed ends with a newline that is not part of it */
		if (g_str_equal(words[0], "ext") && value->len && value->str[value->len - 1] == '\n')
			g_string_truncate(value, value->len - (value->len > 1 && value->str[value->len - 2] == '\r' ? 2 : 1));
		if (rc == EXIT_OK)
			bw_ctlproto_append_arg(req, value->str, value->len);
		g_string_free(value, TRUE);
		if (rc != EXIT_OK)
			return rc;
	}
	bw_ctlproto_append_end(req);
	if (req->len > BW_CTL_MAX_REQUEST)
		return fail(EXIT_LOCAL, "request larger than %d bytes", BW_CTL_MAX_REQUEST);
	return EXIT_OK;
}

static int connect_to(const char *path, int *out_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sa.sun_path)
		return fail(EXIT_LOCAL, "socket path %s is longer than %zu bytes", path,
			    sizeof sa.sun_path - 1);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(EXIT_LOCAL, "socket(): %s", g_strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		*out_fd = fd;
		return EXIT_OK;
	}
	int e = errno;
	close(fd);
	if (e == ENOENT || e == ECONNREFUSED || e == ENOTDIR)
		return fail(EXIT_NOT_RUNNING, "bulwarkd is not running (no control socket at %s)", path);
	if (e == EACCES || e == EPERM)
		return fail(EXIT_DENIED, "permission denied on %s: run as root or as the bulwarkd user",
			    path);
	return fail(EXIT_LOCAL, "cannot connect to %s: %s", path, g_strerror(e));
}

static int send_all(int fd, const GString *req, const char *path)
{
	gsize off = 0;

	while (off < req->len) {
		ssize_t n = send(fd, req->str + off, req->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		/* refused at once (permission, too many clients): the answer
		 * may already wait to be read */
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return EXIT_OK;
		if (n <= 0)
			return fail(EXIT_LOCAL, "cannot send the request to %s: %s", path,
				    g_strerror(errno));
		off += (gsize)n;
	}
	return EXIT_OK;
}

/* One reply line: -1 to go on, else the exit status. */
static int handle_line(const char *line, gsize len, const char *path)
{
	const char *text;
	gsize tl;

	switch (bw_ctlproto_reply_kind(line, len, &text, &tl)) {
	case BW_CTLR_OUTPUT:
		fwrite(text, 1, tl, stdout);
		fputc('\n', stdout);
		if (fflush(stdout) != 0)
			return errno == EPIPE ? EXIT_OK : fail(EXIT_LOCAL, "stdout: %s", g_strerror(errno));
		return -1;
	case BW_CTLR_OK:
		return EXIT_OK;
	case BW_CTLR_ERR:
		if (tl >= 17 && strncmp(text, "permission denied", 17) == 0)
			return fail(EXIT_DENIED, "permission denied on %s: run as root or as the "
				    "bulwarkd user", path);
		return fail(EXIT_ERR, "%.*s", (int)tl, text);
	default:
		return fail(EXIT_LOCAL, "unexpected reply from bulwarkd on %s: '%.60s'", path, line);
	}
}

static int read_reply(int fd, const char *path)
{
	bw_ctl_lines *lines = bw_ctlproto_lines_new(BW_CTL_MAX_LINE);
	static char buf[65536];
	int rc = -1;

	while (rc < 0) {
		GError *err = NULL;
		const char *line;
		gsize len;
		ssize_t n = recv(fd, buf, sizeof buf, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? fail(EXIT_ERR, "bulwarkd on %s closed the connection "
					   "without a final answer", path)
				    : fail(EXIT_LOCAL, "reading from %s: %s", path, g_strerror(errno));
			break;
		}
		if (!bw_ctlproto_lines_feed(lines, buf, (gsize)n, &err)) {
			rc = fail(EXIT_LOCAL, "%s", err->message);
			g_error_free(err);
			break;
		}
		while (rc < 0 && (line = bw_ctlproto_lines_next(lines, &len)))
			rc = handle_line(line, len, path);
	}
	bw_ctlproto_lines_free(lines);
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = g_getenv("BULWARK_SOCKET");
	GString *req;
	int i = 1, fd = -1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (g_str_equal(argv[i], "--help") || g_str_equal(argv[i], "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (g_str_equal(argv[i], "-s") && i + 1 < argc) {
			path = argv[++i];
		} else if (g_str_equal(argv[i], "--")) {
			i++;
			break;
		} else {
			usage(stderr);
			return fail(EXIT_LOCAL, "unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_LOCAL;
	}
	if (!path || !*path)
		path = BW_LOCALSTATEDIR "/lib/bulwark/bulwarkd.sock";
	signal(SIGPIPE, SIG_IGN);
	req = g_string_new(NULL);
	rc = build_request(argv + i, argc - i, req);
	if (rc == EXIT_OK)
		rc = connect_to(path, &fd);
	if (rc == EXIT_OK)
		rc = send_all(fd, req, path);
	if (rc == EXIT_OK)
		rc = read_reply(fd, path);
	if (fd >= 0)
		close(fd);
	g_string_free(req, TRUE);
	return rc;
}
