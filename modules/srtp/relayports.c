/* Relay ports of relay.h: an even/odd pair bound from the configured range
 * for one leg, tried from a rotating start so that a released pair is not
 * reused at once (a late packet of the last call then meets no socket).
 * Non-blocking sockets; nothing is bound outside a stream's life. */
#include "relayint.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int relay_bind_one(const bw_relay_config *cfg, guint port, int *out)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, cfg->bind_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((guint16)port);
		sl = sizeof *a4;
	} else if (inet_pton(AF_INET6, cfg->bind_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((guint16)port);
		sl = sizeof *a6;
	} else {
		return EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

/* One pair at port (even); EADDRINUSE when either half is taken. */
static int relay_bind_pair(const bw_relay_config *cfg, guint port, gboolean with_rtcp,
			   bw_relay_ports *out)
{
	int rc = relay_bind_one(cfg, port, &out->rtp_fd);
	if (rc)
		return rc;
	if (with_rtcp && (rc = relay_bind_one(cfg, port + 1, &out->rtcp_fd)) != 0) {
		close(out->rtp_fd);
		out->rtp_fd = -1;
		return rc;
	}
	out->port = port;
	return 0;
}

int bw_relay_ports_open(bw_relay *r, gboolean with_rtcp, bw_relay_ports *out)
{
	const bw_relay_config *cfg = &r->cfg;
	guint pairs = (cfg->port_max - cfg->port_min + 1) / 2;
	out->rtp_fd = out->rtcp_fd = -1;
	out->port = 0;
	for (guint tries = 0; tries < pairs; tries++) {
		g_mutex_lock(&r->lock);
		guint n = r->next_port++ % pairs;
		g_mutex_unlock(&r->lock);
		int rc = relay_bind_pair(cfg, cfg->port_min + 2 * n, with_rtcp, out);
		if (rc == 0)
			return 0;
		if (rc != EADDRINUSE && rc != EACCES) {
			g_warning("srtp: relay: cannot bind %s port %u: %s", cfg->bind_addr,
				  cfg->port_min + 2 * n, g_strerror(rc));
			return rc;
		}
	}
	g_warning("srtp: relay: no free port pair left in %u-%u (%u pairs)", cfg->port_min,
		  cfg->port_max, pairs);
	return EADDRINUSE;
}

void bw_relay_ports_close(bw_relay_ports *p)
{
	if (p->rtp_fd >= 0)
		close(p->rtp_fd);
	if (p->rtcp_fd >= 0)
		close(p->rtcp_fd);
	p->rtp_fd = p->rtcp_fd = -1;
	p->port = 0;
}
