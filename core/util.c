/* Internal helpers shared by several core areas (util.h). */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

gboolean bw_util_fail(GError **err, GQuark domain, gint code, const char *fmt, ...)
{
	if (!err)
		return FALSE;
	va_list ap;
	va_start(ap, fmt);
	GError *e = g_error_new_valist(domain, code, fmt, ap);
	va_end(ap);
	g_propagate_error(err, e);
	return FALSE;
}

/* Up to limit bytes into *buf, which starts at the file's stat size and
 * grows only if the file does. */
static gboolean read_fd(int fd, char **buf, gsize cap, gsize limit, gsize *got)
{
	*got = 0;
	for (;;) {
		if (*got == cap) {
			if (cap >= limit)
				return TRUE;
			cap = cap > limit / 2 ? limit : 2 * cap;
			*buf = g_realloc(*buf, cap + 1);
		}
		ssize_t r = read(fd, *buf + *got, cap - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == 0;
		*got += (gsize)r;
	}
}

/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
char *bw_util_read_file(const char *path, gsize max, gsize *len, GError **err)
{
	int fd = g_open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot open: %s",
			    path, g_strerror(e));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular file", path);
		return NULL;
	}
	gsize got = 0, cap = MIN((gsize)st.st_size, max) + 1;
	char *buf = g_malloc(cap + 1);
	gboolean ok = read_fd(fd, &buf, cap, max + 1, &got);
	int e = errno;
	close(fd);
	if (!ok)
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot read: %s",
			    path, g_strerror(e));
	else if (got > max)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: larger than %" G_GSIZE_FORMAT
			    " bytes", path, max);
	if (!ok || got > max) {
		g_free(buf);
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}
