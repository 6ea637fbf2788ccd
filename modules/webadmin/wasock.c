/* The web listeners are bound by bulwarkd itself (at module start, while
 * it may still be root) and handed to every lighttpd it starts, through
 * systemd-style socket activation (LISTEN_FDS, fds 3 and 4). So lighttpd
 * needs no privilege, runs as the daemon's user once bulwarkd has dropped
 * root, and a restart after the drop still serves ports 443 and 80. */
#include "webadmin.h"
#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int wa_listen(const char *host, guint port, GError **err)
{
	GInetAddress *ia = g_inet_address_new_from_string(host);
	if (!ia) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "webadmin: %s is not an IP address", host);
		return -1;
	}
	GSocketAddress *sa = g_inet_socket_address_new(ia, (guint16)port);
	struct sockaddr_storage ss;
	gssize len = g_socket_address_get_native_size(sa);
	gboolean ok = g_socket_address_to_native(sa, &ss, sizeof ss, err);
	int fam = g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	g_object_unref(sa);
	g_object_unref(ia);
	if (!ok)
		return -1;
	int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)len) != 0 || listen(fd, 1024) != 0) {
		int e = errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "webadmin: cannot listen on %s port %u: %s", host, port, g_strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
