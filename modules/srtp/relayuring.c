/* The relay thread's io_uring loop (relayint.h), used when liburing was
 * built in and the kernel allows it. Why: at 50 packets/s per stream a
 * wake-up finds about one packet per socket, so epoll costs a receive and
 * a send system call per packet; here every socket has one multishot
 * recvmsg armed on a ring of provided buffers, and one io_uring_enter per
 * loop both submits the sends of the last batch and collects every packet
 * received since (optionally after waiting a little for a bigger batch). A packet is checked, unprotected and protected in place
 * (bw_relay_pkt_one, as under epoll) and sent from the buffer it arrived
 * in; the buffer goes back to the ring when its send completes. The ring
 * is this thread's alone (SINGLE_ISSUER): no lock on the packet path. */
#include "relayint.h"
#include <errno.h>
#include <string.h>

#ifndef BW_HAVE_LIBURING

int bw_relay_uring_init(relay_thread *t) { (void)t; return ENOSYS; }
void bw_relay_uring_main(relay_thread *t) { (void)t; }
void bw_relay_uring_exit(relay_thread *t) { (void)t; }
void bw_relay_uring_add(relay_thread *t, bw_relay_stream *s) { (void)t; (void)s; }
void bw_relay_uring_remove(relay_thread *t, bw_relay_stream *s) { (void)t; (void)s; }

#else

#include <liburing.h>
#include <poll.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/mman.h>

#define URING_SQ    1024
#define URING_CQ    8192
#define URING_NBUF  1024     /* provided buffers per thread (power of 2): 2.1 MB */
#define URING_BGID  0
#define URING_MIN_BATCH 32   /* completions a busy wake-up waits for */
/* Where the kernel puts a multishot recvmsg's payload in a buffer: after
 * its header and the source address (room for IPv6). The payload then has
 * RELAY_BUF bytes, as bw_relay_pkt_one's in-place protect expects. */
#define URING_HDR   (sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_in6))
#define URING_BUFSZ (URING_HDR + RELAY_BUF)

/* user_data: a relay_sock* (aligned, low bits 0) for receives, else a tag */
enum { URING_RECV = 0, URING_SEND = 1, URING_WAKE = 2, URING_IGNORE = 3 };

typedef struct uring_send {
	struct msghdr mh;
	struct iovec iov;
	struct sockaddr_storage dst;
} uring_send;

typedef struct relay_uring {
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	guint8 *bufs;               /* URING_NBUF x URING_BUFSZ */
	uring_send *sends;          /* one per buffer: the send of its packet */
	struct msghdr tmpl;         /* the multishot receive's layout */
	struct __kernel_timespec wait;   /* batch wait; 0: none */
	guint returned;             /* buffers given back since the last advance */
	gboolean stop;
	gboolean sendto;            /* IORING_OP_SEND takes an address (6.1): no msghdr */
} relay_uring;

static struct io_uring_sqe *uring_sqe(relay_uring *u)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {   /* the SQ is full: hand it to the kernel now */
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
	}
	return sqe;
}

static void uring_give(relay_uring *u, guint bid)
{
	io_uring_buf_ring_add(u->br, u->bufs + (gsize)bid * URING_BUFSZ, URING_BUFSZ, (guint16)bid,
			      io_uring_buf_ring_mask(URING_NBUF), (int)u->returned++);
}

static void uring_arm(relay_uring *u, relay_sock *k)
{
	struct io_uring_sqe *sqe = uring_sqe(u);
	if (!sqe) {
		g_warning("srtp: relay: io_uring: no submission slot to receive on port %u",
			  k->s->port[k->leg] + k->rtcp);
		return;
	}
	io_uring_prep_recvmsg_multishot(sqe, k->fd, &u->tmpl, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = URING_BGID;
	io_uring_sqe_set_data(sqe, k);
	k->s->armed++;
}

static void uring_arm_wake(relay_thread *t)
{
	relay_uring *u = t->uring;
	struct io_uring_sqe *sqe = uring_sqe(u);
	if (!sqe)
		return;
	io_uring_prep_poll_multishot(sqe, t->wake, POLLIN);
	io_uring_sqe_set_data64(sqe, URING_WAKE);
}

void bw_relay_uring_add(relay_thread *t, bw_relay_stream *s)
{
	for (guint l = 0; l < 2; l++)
		for (guint k = 0; k < 2; k++)
			if (s->sock[l][k].fd >= 0)
				uring_arm(t->uring, &s->sock[l][k]);
}

/* Sends still queued may name the stream's sockets: they go to the kernel
 * (which then holds the files) before the descriptors are closed, so that
 * a number reused by another call's new socket is never sent from. */
static void uring_stream_free(relay_uring *u, bw_relay_stream *s)
{
	io_uring_submit(&u->ring);
	bw_relay_stream_free(s);
}

void bw_relay_uring_remove(relay_thread *t, bw_relay_stream *s)
{
	relay_uring *u = t->uring;
	s->dying = TRUE;
	if (!s->armed) {
		uring_stream_free(u, s);
		return;
	}
	/* each receive ends with a last completion (-ECANCELED): the stream
	 * is freed at the last of them (uring_recv) */
	for (guint l = 0; l < 2; l++)
		for (guint k = 0; k < 2; k++) {
			struct io_uring_sqe *sqe;
			if (s->sock[l][k].fd < 0 || !(sqe = uring_sqe(u)))
				continue;
			io_uring_prep_cancel64(sqe, (guint64)(uintptr_t)&s->sock[l][k], 0);
			io_uring_sqe_set_data64(sqe, URING_IGNORE);
		}
}

/* The packet of buffer bid through bw_relay_pkt_one; TRUE when it was
 * queued for sending (the buffer comes back with the send). */
static gboolean uring_forward(relay_thread *t, relay_sock *k, guint bid, int res, gint64 now)
{
	relay_uring *u = t->uring;
	guint8 *buf = u->bufs + (gsize)bid * URING_BUFSZ;
	struct io_uring_recvmsg_out *m = io_uring_recvmsg_validate(buf, res, &u->tmpl);
	if (!m)
		return FALSE;
	struct sockaddr_storage src = { 0 };
	memcpy(&src, io_uring_recvmsg_name(m), MIN(m->namelen, sizeof(struct sockaddr_in6)));
	guint8 *p = io_uring_recvmsg_payload(m, &u->tmpl);
	size_t len = io_uring_recvmsg_payload_length(m, res, &u->tmpl);
	relay_out o;
	if (!bw_relay_pkt_one(t, k, p, &len, &src, now, &o))
		return FALSE;
	struct io_uring_sqe *sqe = uring_sqe(u);
	if (!sqe) {
		t->m_dropped++;
		return FALSE;
	}
	uring_send *x = &u->sends[bid];
	x->iov = (struct iovec){ p, len };
	x->dst = *o.to;
	x->mh = (struct msghdr){ .msg_name = &x->dst,
		.msg_namelen = x->dst.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							    : sizeof(struct sockaddr_in),
		.msg_iov = &x->iov, .msg_iovlen = 1 };
	/* MSG_DONTWAIT: a full socket buffer drops, as sendmmsg does */
	if (u->sendto) {
		io_uring_prep_send(sqe, o.fd, p, len, MSG_DONTWAIT);
		io_uring_prep_send_set_addr(sqe, (const struct sockaddr *)&x->dst,
					    (guint16)x->mh.msg_namelen);
	} else {
		io_uring_prep_sendmsg(sqe, o.fd, &x->mh, MSG_DONTWAIT);
	}
	io_uring_sqe_set_data64(sqe, ((guint64)bid << 2) | URING_SEND);
	return TRUE;
}

static void uring_recv(relay_thread *t, relay_sock *k, const struct io_uring_cqe *cqe, gint64 now)
{
	relay_uring *u = t->uring;
	bw_relay_stream *s = k->s;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		guint bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		if (cqe->res <= 0 || s->dying || !uring_forward(t, k, bid, cqe->res, now))
			uring_give(u, bid);
	}
	if (cqe->flags & IORING_CQE_F_MORE)
		return;
	s->armed--;   /* this receive ended: out of buffers, cancelled or failed */
	if (s->dying) {
		if (!s->armed)
			uring_stream_free(u, s);
	} else if (cqe->res >= 0 || cqe->res == -ENOBUFS || cqe->res == -EINTR ||
		   cqe->res == -EAGAIN || cqe->res == -ENOMEM) {
		uring_arm(u, k);
	} else {
		/* not re-armed, or a persistent error would spin the thread */
		g_warning("srtp: relay: io_uring: receive on port %u of call %s stopped: %s",
			  s->port[k->leg] + k->rtcp, s->call_id, g_strerror(-cqe->res));
	}
}

static void uring_cqe(relay_thread *t, const struct io_uring_cqe *cqe, gint64 now)
{
	relay_uring *u = t->uring;
	guint64 d = io_uring_cqe_get_data64(cqe);
	switch (d & 3) {
	case URING_RECV:
		uring_recv(t, (relay_sock *)(uintptr_t)d, cqe, now);
		break;
	case URING_SEND:
		if (cqe->res >= 0)
			t->m_packets++;
		else
			t->m_dropped++;   /* full socket buffer or gone peer */
		uring_give(u, (guint)(d >> 2));
		break;
	case URING_WAKE:
		u->stop |= bw_relay_drain(t);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			uring_arm_wake(t);
		break;
	default:
		break;
	}
}

/* Submits what is queued and waits. Busy (the last round found packets),
 * it waits for a batch of URING_MIN_BATCH completions or the batch wait,
 * whichever comes first, so that one wake-up serves many packets; idle, it
 * waits for one completion with no timer. */
static int uring_wait(relay_uring *u, gboolean busy)
{
	struct io_uring_cqe *cqe;
	if (!busy || u->wait.tv_nsec == 0)
		return io_uring_submit_and_wait(&u->ring, 1);
	int rc = io_uring_submit_and_wait_timeout(&u->ring, &cqe, URING_MIN_BATCH, &u->wait, NULL);
	return rc == -ETIME ? 0 : rc;
}

void bw_relay_uring_main(relay_thread *t)
{
	relay_uring *u = t->uring;
	unsigned n = 0;
	uring_arm_wake(t);
	while (!u->stop) {
		if (u->returned) {
			io_uring_buf_ring_advance(u->br, (int)u->returned);
			u->returned = 0;
		}
		int rc = uring_wait(u, n > 0);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			g_warning("srtp: relay: io_uring_enter: %s; this relay thread stops",
				  g_strerror(-rc));
			break;
		}
		gint64 now = g_get_monotonic_time();
		struct io_uring_cqe *cqe;
		unsigned head;
		n = 0;
		io_uring_for_each_cqe(&u->ring, head, cqe) {
			uring_cqe(t, cqe, now);
			n++;
		}
		io_uring_cq_advance(&u->ring, n);
		bw_relay_pkt_metrics(t);
	}
}

/* The kernel must have the buffer ring (5.19) and multishot recvmsg (6.0,
 * as is IORING_OP_SEND_ZC, which is probed for). */
static int uring_probe(relay_uring *u)
{
	struct io_uring_probe *pr = io_uring_get_probe_ring(&u->ring);
	gboolean ok = pr && io_uring_opcode_supported(pr, IORING_OP_SEND_ZC) &&
		      io_uring_opcode_supported(pr, IORING_OP_RECVMSG) &&
		      io_uring_opcode_supported(pr, IORING_OP_SENDMSG);
	if (pr)
		io_uring_free_probe(pr);
	return ok ? 0 : ENOTSUP;
}

/* Whether IORING_OP_SEND honours a destination address here (no opcode
 * probe tells): one byte sent to a socket of our own on loopback. */
static gboolean uring_probe_sendto(relay_uring *u)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof a;
	struct io_uring_cqe *cqe;
	gboolean ok = FALSE;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	if (fd < 0 || !sqe || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &sl) != 0) {
		if (sqe)
			io_uring_prep_nop(sqe);
	} else {
		io_uring_prep_send(sqe, fd, "x", 1, MSG_DONTWAIT);
		io_uring_prep_send_set_addr(sqe, (struct sockaddr *)&a, sizeof a);
	}
	if (sqe && io_uring_submit_and_wait(&u->ring, 1) >= 0 &&
	    io_uring_wait_cqe(&u->ring, &cqe) == 0) {
		ok = fd >= 0 && cqe->res == 1;
		io_uring_cqe_seen(&u->ring, cqe);
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

static int uring_buffers(relay_uring *u)
{
	gsize ring_sz = URING_NBUF * sizeof(struct io_uring_buf);
	void *br = mmap(NULL, ring_sz, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED)
		return errno;
	u->br = br;
	struct io_uring_buf_reg reg = { .ring_addr = (guint64)(uintptr_t)br,
		.ring_entries = URING_NBUF, .bgid = URING_BGID };
	int rc = io_uring_register_buf_ring(&u->ring, &reg, 0);
	if (rc)
		return -rc;
	io_uring_buf_ring_init(u->br);
	u->bufs = g_malloc((gsize)URING_NBUF * URING_BUFSZ);
	u->sends = g_new0(uring_send, URING_NBUF);
	for (guint i = 0; i < URING_NBUF; i++)
		uring_give(u, i);
	io_uring_buf_ring_advance(u->br, (int)u->returned);
	u->returned = 0;
	u->tmpl.msg_namelen = sizeof(struct sockaddr_in6);
	return 0;
}

static void uring_free(relay_uring *u, gboolean ring)
{
	if (ring)
		io_uring_queue_exit(&u->ring);
	if (u->br)
		munmap(u->br, URING_NBUF * sizeof(struct io_uring_buf));
	g_free(u->bufs);
	g_free(u->sends);
	g_free(u);
}

/* Said once per process, not once per relay thread. */
static void uring_fallback(const char *what, int rc)
{
	static gint said;
	if (g_atomic_int_compare_and_exchange(&said, 0, 1))
		g_message("srtp: relay: io_uring is not usable here (%s: %s); the relay threads "
			  "use epoll", what, g_strerror(rc));
}

int bw_relay_uring_init(relay_thread *t)
{
	relay_uring *u = g_new0(relay_uring, 1);
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
					      IORING_SETUP_DEFER_TASKRUN, .cq_entries = URING_CQ };
	int rc = io_uring_queue_init_params(URING_SQ, &u->ring, &p);
	if (rc == -EINVAL) {   /* before 6.1: no deferred task running */
		p = (struct io_uring_params){ .flags = IORING_SETUP_CQSIZE, .cq_entries = URING_CQ };
		rc = io_uring_queue_init_params(URING_SQ, &u->ring, &p);
	}
	if (rc < 0) {
		uring_fallback("io_uring_setup", -rc);
		uring_free(u, FALSE);
		return -rc;
	}
	if ((rc = uring_probe(u)) != 0 || (rc = uring_buffers(u)) != 0) {
		uring_fallback("multishot receive or provided buffers", rc);
		uring_free(u, TRUE);
		return rc;
	}
	u->sendto = uring_probe_sendto(u);
	g_debug("srtp: relay: io_uring loop; sends by %s", u->sendto ? "send with an address"
							      : "sendmsg");
	u->wait.tv_nsec = MIN(t->r->loop.batch_wait_us, 100000u) * 1000L;
	t->uring = u;
	return 0;
}

void bw_relay_uring_exit(relay_thread *t)
{
	relay_uring *u = t->uring;
	if (!u)
		return;
	/* exiting the ring cancels every receive; streams still dying are
	 * freed by bw_relay_free with the others */
	uring_free(u, TRUE);
	t->uring = NULL;
}

#endif
