/* bench srtp: the media relay's throughput on one core over real loopback
 * sockets, beside the raw SRTP cost of the same packets.
 *
 * One relay thread; N streams (100, 1000, 5000) of one leg pair each. The
 * phones' side is a generator thread that paces like real G.711 calls:
 * every 20 ms one fresh, protected 160-byte packet per stream (50 packets/s
 * each, sendmmsg batches of 32 from one socket), and a receiver thread that
 * counts what the relay forwards. Throughput is packets forwarded per
 * CPU-second of the relay thread (its own CPU clock), so the relay sees the
 * batching that real calls give it (about one packet per socket per
 * wake-up), and a loaded machine slows the run without changing the cost
 * per packet much. calls_per_core = that / 100 (a G.711 call relayed
 * SRTP<->SRTP is 2 directions x 50 packets/s). On loopback the relay's
 * send also pays for the delivery into the receiver's socket, and the
 * generator's send for the delivery into the relay's. Each relay loop
 * (epoll, io_uring, io_uring holding packets up to 200 us for batches) is
 * measured at 5000 streams; the headline figure is the loop the relay
 * picks by itself. offered_pps_5000 says how much of the 250,000 packets/s
 * the generator reached: a busy machine gives the relay smaller batches,
 * so a higher cost per packet. raw = 1 / (unprotect + protect) per
 * packet with srtpc, no I/O. The I/O alone, for scale: the same relay
 * with plain RTP on both legs (rtp_rtp: no crypto at all), and the CPU of
 * one bare sendto() and one bare recv() of such a packet on loopback
 * (kernel_sendto_ns, kernel_recv_ns), and the same in batches of 32 from
 * and into one hot socket (kernel_sendmmsg_ns, kernel_recvmmsg_ns: the
 * floor of any design on kernel sockets). Memory per call: RSS growth over 5000
 * streams (user space only; kernel socket buffers are not counted).
 * Latency: one packet at a time through the relay, minus the median of
 * the same through loopback directly. Figures only, no verdict. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <glib.h>
#include "relay.h"

#define PAYLOAD 160
#define BATCH 32
#define SUITE SRTPC_AES_CM_128_HMAC_SHA1_80

/* What the legs carry: the phones' leg 0 and the far leg 1. */
typedef enum { MODE_SRTP_SRTP, MODE_SRTP_RTP, MODE_RTP_RTP } bench_mode;
static const char *const mode_name[] = { "srtp->srtp", "srtp->rtp", "rtp->rtp" };

typedef struct bstream {
	bw_relay_stream *s;
	struct sockaddr_in relay0;        /* the relay's leg-0 port */
	srtpc *tx;                        /* the calling phone's key; NULL: plain RTP */
	guint16 seq;
	guint32 ts;
} bstream;

typedef struct bench {
	bw_relay *relay;
	int sender, receiver;
	struct sockaddr_in send_addr, recv_addr;
	bstream *st;
	guint n;
	gint stop;
	gint64 received, sent;
	double offered;                   /* packets/s the generator reached, last run */
} bench;

static double clock_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static int udp_socket(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t sl = sizeof *a;
	int big = 8 << 20;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof *a) != 0 ||
	    getsockname(fd, (struct sockaddr *)a, &sl) != 0) {
		fprintf(stderr, "bench_srtp: socket: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/* The CPU clock of the thread named name in this process (the kernel's
 * per-thread clock id for a TID, as pthread_getcpuclockid builds it). */
static clockid_t thread_clock(const char *name)
{
	clockid_t id = CLOCK_THREAD_CPUTIME_ID;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[300], comm[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
		if (!strcmp(comm, name)) {
			pid_t tid = (pid_t)atoi(e->d_name);
			id = (clockid_t)((~(unsigned)tid << 3) | 6);   /* CPUCLOCK_SCHED, per thread */
			break;
		}
	}
	if (d)
		closedir(d);
	if (id == CLOCK_THREAD_CPUTIME_ID) {
		fprintf(stderr, "bench_srtp: no thread named %s\n", name);
		exit(1);
	}
	return id;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	if (f)
		fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static void key_of(guint i, guint which, guint8 *k, gsize len)
{
	for (gsize j = 0; j < len; j++)
		k[j] = (guint8)(i * 7 + which * 13 + j);
}

static void sockaddr_port(struct sockaddr_in *a, guint port)
{
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((guint16)port);
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
}

static gboolean bench_streams(bench *b, guint n, bench_mode mode, gboolean gen)
{
	gsize klen = srtpc_master_key_len(SUITE) + srtpc_master_salt_len(SUITE);
	b->st = g_new0(bstream, n);
	b->n = n;
	for (guint i = 0; i < n; i++) {
		bw_relay_ports p[2];
		bw_relay_leg legs[2];
		memset(legs, 0, sizeof legs);
		for (guint l = 0; l < 2; l++) {
			if (bw_relay_ports_open(b->relay, FALSE, &p[l]) != 0) {
				fprintf(stderr, "bench_srtp: out of ports at stream %u\n", i);
				return FALSE;
			}
			memcpy(&legs[l].rtp_addr, l ? &b->recv_addr : &b->send_addr,
			       sizeof b->send_addr);
			legs[l].rtcp_addr = legs[l].rtp_addr;
			legs[l].have_addr = legs[l].mux = TRUE;
			legs[l].secure = mode == MODE_SRTP_SRTP || (mode == MODE_SRTP_RTP && l == 0);
			legs[l].suite = SUITE;
			legs[l].key_len = klen;
			key_of(i, 2 * l, legs[l].key_in, klen);
			key_of(i, 2 * l + 1, legs[l].key_out, klen);
			legs[l].pps = 50;
		}
		sockaddr_port(&b->st[i].relay0, p[0].port);
		guint8 k[BW_RELAY_KEY_MAX];
		key_of(i, 0, k, klen);
		if (gen && legs[0].secure && srtpc_new(&b->st[i].tx, SUITE, k, klen, 128) != 0)
			return FALSE;
		int rc;
		b->st[i].s = bw_relay_stream_add(b->relay, "bench", i, p, legs, &rc);
		if (!b->st[i].s)
			return FALSE;
	}
	return TRUE;
}

static void bench_streams_free(bench *b)
{
	for (guint i = 0; i < b->n; i++) {
		bw_relay_stream_remove(b->st[i].s);
		srtpc_free(b->st[i].tx);
	}
	g_free(b->st);
	b->st = NULL;
	bw_relay_wait_idle(b->relay, 10000);
}

static size_t rtp_make(bstream *s, guint8 *p, guint32 ssrc)
{
	guint16 seq = s->seq++;
	guint32 ts = (s->ts += 160);
	p[0] = 0x80; p[1] = 0;
	p[2] = seq >> 8; p[3] = seq & 0xff;
	p[4] = ts >> 24; p[5] = ts >> 16; p[6] = ts >> 8; p[7] = ts & 0xff;
	p[8] = ssrc >> 24; p[9] = ssrc >> 16; p[10] = ssrc >> 8; p[11] = ssrc & 0xff;
	memset(p + 12, 0xd5, PAYLOAD);
	size_t len = 12 + PAYLOAD;
	if (s->tx)
		srtpc_protect(s->tx, p, &len, 256);
	return len;
}

/* Every 20 ms one packet per stream; behind schedule, it sends at once
 * and does not try to catch up (the offered rate is printed). */
static gpointer generator(gpointer p)
{
	bench *b = p;
	static guint8 buf[BATCH][256];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	gint64 next = g_get_monotonic_time();
	while (!g_atomic_int_get(&b->stop)) {
		for (guint i = 0; i < b->n;) {
			guint k = 0;
			for (; k < BATCH && i < b->n; k++, i++) {
				iov[k] = (struct iovec){ buf[k], rtp_make(&b->st[i], buf[k], i + 1) };
				m[k].msg_hdr = (struct msghdr){ .msg_name = &b->st[i].relay0,
					.msg_namelen = sizeof b->st[i].relay0, .msg_iov = &iov[k],
					.msg_iovlen = 1 };
			}
			int n = sendmmsg(b->sender, m, k, 0);
			if (n > 0)
				__atomic_add_fetch(&b->sent, n, __ATOMIC_RELAXED);
		}
		next += 20000;
		gint64 now = g_get_monotonic_time();
		if (next > now)
			g_usleep((gulong)(next - now));
		else
			next = now;
	}
	return NULL;
}

static gpointer receiver(gpointer p)
{
	bench *b = p;
	static guint8 buf[BATCH][256];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	for (guint k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ buf[k], sizeof buf[k] };
		m[k].msg_hdr = (struct msghdr){ .msg_iov = &iov[k], .msg_iovlen = 1 };
	}
	while (!g_atomic_int_get(&b->stop)) {
		struct pollfd pfd = { b->receiver, POLLIN, 0 };
		if (poll(&pfd, 1, 100) != 1)
			continue;
		int n = recvmmsg(b->receiver, m, BATCH, MSG_DONTWAIT, NULL);
		if (n > 0)
			__atomic_add_fetch(&b->received, n, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void add_tx(const char *call_id, guint index, guint leg, guint port, const char *peer,
		   gboolean secure, const bw_relay_counts *c, void *user_data)
{
	(void)call_id; (void)index; (void)port; (void)peer; (void)secure;
	guint64 *n = user_data;
	if (leg == 1)
		n[0] += c->tx;
	else
		n[1] += c->dropped;
}

/* Packets the relay forwarded (the receiver's socket may drop some of them
 * when the machine is too busy to run the receiver: not the relay's cost). */
static guint64 relay_forwarded(bench *b, guint64 *dropped)
{
	guint64 n[2] = { 0, 0 };
	bw_relay_foreach(b->relay, add_tx, n);
	*dropped = n[1];
	return n[0];
}

/* Relayed packets per relay CPU-second with n streams. */
static double bench_pps(bench *b, guint n, bench_mode mode, double secs)
{
	if (!bench_streams(b, n, mode, TRUE))
		return 0;
	g_atomic_int_set(&b->stop, 0);
	b->received = b->sent = 0;
	GThread *g = g_thread_new("bench-gen", generator, b);
	GThread *r = g_thread_new("bench-recv", receiver, b);
	clockid_t relay = thread_clock("bw-relay-0");
	g_usleep(300 * 1000);   /* warm-up, outside the measurement */
	guint64 d0, d1;
	gint64 p0 = (gint64)relay_forwarded(b, &d0), q0 = __atomic_load_n(&b->received, __ATOMIC_RELAXED);
	gint64 s0 = __atomic_load_n(&b->sent, __ATOMIC_RELAXED);
	double c0 = clock_s(relay), t0 = now_s();
	g_usleep((gulong)(secs * 1e6));
	gint64 p1 = (gint64)relay_forwarded(b, &d1), q1 = __atomic_load_n(&b->received, __ATOMIC_RELAXED);
	gint64 s1 = __atomic_load_n(&b->sent, __ATOMIC_RELAXED);
	double c1 = clock_s(relay), t1 = now_s();
	g_atomic_int_set(&b->stop, 1);
	g_thread_join(g);
	g_thread_join(r);
	bench_streams_free(b);
	double cpu = c1 - c0;
	fprintf(stderr, "bench_srtp: %s %u streams %s: offered %.0f pkt/s, relayed %.0f pkt/s, "
		"received %.0f pkt/s, relay dropped %" G_GUINT64_FORMAT ", relay cpu %.3f/%.2f s\n", bw_relay_io_name(b->relay), n,
		mode_name[mode], (s1 - s0) / (t1 - t0),
		(p1 - p0) / (t1 - t0), (q1 - q0) / (t1 - t0), d1 - d0, cpu, t1 - t0);
	b->offered = (s1 - s0) / (t1 - t0);
	return cpu > 0 ? (p1 - p0) / cpu : 0;
}

/* Raw srtpc: unprotect + protect of the same packets, no I/O. */
static double bench_raw(void)
{
	enum { N = 20000 };
	gsize klen = srtpc_master_key_len(SUITE) + srtpc_master_salt_len(SUITE);
	guint8 k[BW_RELAY_KEY_MAX];
	srtpc *in, *out;
	bstream s = { 0 };
	key_of(1, 0, k, klen);
	srtpc_new(&s.tx, SUITE, k, klen, 128);
	srtpc_new(&in, SUITE, k, klen, 128);
	key_of(1, 1, k, klen);
	srtpc_new(&out, SUITE, k, klen, 128);
	guint8 (*pk)[256] = g_malloc(sizeof *pk * N);
	size_t len[N];
	double total = 0;
	guint rounds = 10;
	for (guint r = 0; r < rounds; r++) {
		for (guint i = 0; i < N; i++)
			len[i] = rtp_make(&s, pk[i], 1);
		double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		for (guint i = 0; i < N; i++) {
			if (srtpc_unprotect(in, pk[i], &len[i]) != SRTPC_OK ||
			    srtpc_protect(out, pk[i], &len[i], 256) != SRTPC_OK) {
				fprintf(stderr, "bench_srtp: srtpc refused a packet\n");
				exit(1);
			}
		}
		total += clock_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	}
	g_free(pk);
	srtpc_free(s.tx);
	srtpc_free(in);
	srtpc_free(out);
	return N * rounds / total;
}

/* The kernel's own price of one packet, no relay: a bare sendto() of a
 * 172-byte datagram from each of 1000 sockets to one socket on loopback
 * (which includes the delivery into that socket), then a bare recv() of
 * each; CPU of this thread per call. */
static void bench_syscalls(bench *b, double *send_ns, double *recv_ns)
{
	enum { SOCKS = 1000, ROUNDS = 20 };
	int fd[SOCKS];
	guint8 pkt[12 + PAYLOAD], got[256];
	struct sockaddr_in a;
	double ts = 0, tr = 0;
	guint64 ns = 0, nr = 0;
	memset(pkt, 0x80, sizeof pkt);
	while (recv(b->receiver, got, sizeof got, MSG_DONTWAIT) > 0)
		;
	for (guint i = 0; i < SOCKS; i++) {
		sockaddr_port(&a, 0);
		fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd[i] < 0 || bind(fd[i], (struct sockaddr *)&a, sizeof a) != 0) {
			fprintf(stderr, "bench_srtp: socket: %s\n", strerror(errno));
			exit(1);
		}
	}
	for (guint r = 0; r < ROUNDS; r++) {
		double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		for (guint i = 0; i < SOCKS; i++)
			ns += sendto(fd[i], pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *)&b->recv_addr,
				     sizeof b->recv_addr) > 0;
		double t1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		while (recv(b->receiver, got, sizeof got, MSG_DONTWAIT) > 0)
			nr++;
		ts += t1 - t0;
		tr += clock_s(CLOCK_THREAD_CPUTIME_ID) - t1;
	}
	for (guint i = 0; i < SOCKS; i++)
		close(fd[i]);
	*send_ns = ns ? ts / ns * 1e9 : 0;
	*recv_ns = nr ? tr / nr * 1e9 : 0;
}

/* The floor of any design on kernel UDP sockets: batches of BATCH such
 * packets with one sendmmsg() from one socket and one recvmmsg() into one
 * socket, both hot in the cache; CPU per packet. */
static void bench_batched(bench *b, double *send_ns, double *recv_ns)
{
	enum { ROUNDS = 2000 };
	static guint8 buf[BATCH][256];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	double ts = 0, tr = 0;
	guint64 ns = 0, nr = 0;
	memset(buf, 0x80, sizeof buf);
	for (guint r = 0; r < ROUNDS; r++) {
		for (guint k = 0; k < BATCH; k++) {
			iov[k] = (struct iovec){ buf[k], 12 + PAYLOAD };
			m[k].msg_hdr = (struct msghdr){ .msg_name = &b->recv_addr,
				.msg_namelen = sizeof b->recv_addr, .msg_iov = &iov[k], .msg_iovlen = 1 };
		}
		double t0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		int n = sendmmsg(b->sender, m, BATCH, MSG_DONTWAIT);
		double t1 = clock_s(CLOCK_THREAD_CPUTIME_ID);
		for (guint k = 0; k < BATCH; k++) {
			iov[k].iov_len = sizeof buf[k];
			m[k].msg_hdr.msg_name = NULL;
			m[k].msg_hdr.msg_namelen = 0;
		}
		int got = recvmmsg(b->receiver, m, BATCH, MSG_DONTWAIT, NULL);
		ts += t1 - t0;
		tr += clock_s(CLOCK_THREAD_CPUTIME_ID) - t1;
		ns += n > 0 ? (guint)n : 0;
		nr += got > 0 ? (guint)got : 0;
	}
	*send_ns = ns ? ts / ns * 1e9 : 0;
	*recv_ns = nr ? tr / nr * 1e9 : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One packet at a time: p50/p99 of (through the relay) - median(direct). */
static void bench_latency(bench *b, double *p50, double *p99)
{
	enum { N = 2000 };
	static double relay[N], direct[N];
	guint8 buf[256], got[256];
	bench_streams(b, 1, MODE_SRTP_SRTP, TRUE);
	while (recv(b->receiver, got, sizeof got, MSG_DONTWAIT) > 0)
		;   /* what the throughput runs left in flight */
	for (int pass = 0; pass < 2; pass++)
		for (guint i = 0; i < N; i++) {
			size_t len = rtp_make(&b->st[0], buf, 1);
			const struct sockaddr_in *to = pass ? &b->recv_addr : &b->st[0].relay0;
			double t0 = now_s();
			sendto(b->sender, buf, len, 0, (const struct sockaddr *)to, sizeof *to);
			struct pollfd pfd = { b->receiver, POLLIN, 0 };
			/* the same packet back (sequence number), or a timeout */
			while (poll(&pfd, 1, 1000) == 1 &&
			       (recv(b->receiver, got, sizeof got, 0) < 4 || memcmp(got + 2, buf + 2, 2)))
				;
			(pass ? direct : relay)[i] = (now_s() - t0) * 1e6;
		}
	bench_streams_free(b);
	qsort(relay, N, sizeof *relay, cmp_double);
	qsort(direct, N, sizeof *direct, cmp_double);
	*p50 = relay[N / 2] - direct[N / 2];
	*p99 = relay[N * 99 / 100] - direct[N / 2];
}

static bw_relay *bench_relay(bw_relay_io io, guint batch_wait_us)
{
	bw_relay_config cfg = { "127.0.0.1", 10000, 31999, 1, 0, 128, 10 };
	bw_relay_loop_opts loop = { io, batch_wait_us };
	return bw_relay_new_loop(&cfg, &loop, NULL);
}

/* 5000 streams SRTP->SRTP on one loop; 0 when the loop is not available. */
static double bench_loop(bench *b, bw_relay_io io, guint batch_wait_us, double secs)
{
	bw_relay *keep = b->relay;
	b->relay = bench_relay(io, batch_wait_us);
	double pps = b->relay ? bench_pps(b, 5000, MODE_SRTP_SRTP, secs) : 0;
	bw_relay_free(b->relay);
	b->relay = keep;
	return pps;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? g_ascii_strtod(argv[1], NULL) : 2.0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	bench b = { 0 };
	b.sender = udp_socket(&b.send_addr);
	b.receiver = udp_socket(&b.recv_addr);
	b.relay = bench_relay(BW_RELAY_IO_AUTO, 0);
	/* memory first (before freed memory can be reused): 5000 streams held
	 * without traffic, without the generator's contexts */
	long r0 = rss_kb();
	bench_streams(&b, 5000, MODE_SRTP_SRTP, FALSE);
	long r1 = rss_kb();
	bench_streams_free(&b);
	double raw = bench_raw();
	double pps100 = bench_pps(&b, 100, MODE_SRTP_SRTP, secs);
	double pps1000 = bench_pps(&b, 1000, MODE_SRTP_SRTP, secs);
	double pps5000 = bench_pps(&b, 5000, MODE_SRTP_SRTP, secs), offered5000 = b.offered;
	double rtp5000 = bench_pps(&b, 5000, MODE_SRTP_RTP, secs);
	double plain5000 = bench_pps(&b, 5000, MODE_RTP_RTP, secs);
	double send_ns, recv_ns;
	bench_syscalls(&b, &send_ns, &recv_ns);
	double bsend_ns, brecv_ns;
	bench_batched(&b, &bsend_ns, &brecv_ns);
	double p50, p99;
	bench_latency(&b, &p50, &p99);
	char io[16];
	g_strlcpy(io, bw_relay_io_name(b.relay), sizeof io);
	bw_relay_free(b.relay);   /* one thread named bw-relay-0 at a time */
	b.relay = NULL;
	/* the variants, side by side at 5000 streams */
	double epoll = bench_loop(&b, BW_RELAY_IO_EPOLL, 0, secs);
	double uring = bench_loop(&b, BW_RELAY_IO_URING, 0, secs);
	double uring_wait = bench_loop(&b, BW_RELAY_IO_URING, 200, secs);
	printf("bench srtp: calls_per_core_srtp_srtp=%.0f io=%s calls_per_core_epoll=%.0f "
	       "calls_per_core_io_uring=%.0f calls_per_core_io_uring_wait200=%.0f "
	       "calls_per_core_rtp_rtp=%.0f relay_raw_ratio=%.2f pps_100=%.0f pps_1000=%.0f "
	       "pps_5000=%.0f pps_5000_srtp_rtp=%.0f pps_5000_rtp_rtp=%.0f offered_pps_5000=%.0f "
	       "raw_pps=%.0f kernel_sendto_ns=%.0f kernel_recv_ns=%.0f kernel_sendmmsg_ns=%.0f "
	       "kernel_recvmmsg_ns=%.0f mem_per_call_kb=%.1f "
	       "latency_us_p50=%.1f latency_us_p99=%.1f load=50pps_per_stream_paced "
	       "per=relay_thread_cpu_s\n",
	       pps5000 / 100, io, epoll / 100, uring / 100, uring_wait / 100, plain5000 / 100,
	       pps5000 / raw, pps100, pps1000, pps5000, rtp5000, plain5000, offered5000, raw,
	       send_ns, recv_ns, bsend_ns, brecv_ns, (double)(r1 - r0) / 5000, p50, p99);
	close(b.sender);
	close(b.receiver);
	return 0;
}
