/* Internal to the relay (relay*.c): threads, streams, commands. A stream's
 * fields under "thread" are touched only by its relay thread once the
 * stream was handed over; counters are written by that thread alone and
 * read relaxed by others (bulwarkctl media). */
#ifndef BW_RELAYINT_H
#define BW_RELAYINT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* recvmmsg, sendmmsg */
#endif

#include "relay.h"
#include <bulwark/metrics.h>
#include <sys/epoll.h>

#define RELAY_BATCH   32
#define RELAY_BUF     2048           /* an MTU-sized packet plus any SRTP tag */
#define RELAY_PKT_MAX 1500           /* larger datagrams are dropped */
#define RELAY_ROUNDS  4              /* batches per wake-up per socket: fairness */

#define RELAY_INC(x)  __atomic_store_n(&(x), __atomic_load_n(&(x), __ATOMIC_RELAXED) + 1, \
				       __ATOMIC_RELAXED)
#define RELAY_GET(x)  __atomic_load_n(&(x), __ATOMIC_RELAXED)

typedef struct relay_thread relay_thread;

/* A thread's loop, decided by the thread itself when it starts. */
typedef enum { RELAY_LOOP_PENDING = 0, RELAY_LOOP_EPOLL, RELAY_LOOP_URING,
	       RELAY_LOOP_FAILED } relay_loop;

typedef struct relay_sock {
	bw_relay_stream *s;
	guint leg;
	gboolean rtcp;
	int fd;
} relay_sock;

typedef enum { RELAY_CMD_ADD = 1, RELAY_CMD_UPDATE, RELAY_CMD_REMOVE, RELAY_CMD_STOP } relay_cmd_kind;

typedef struct relay_cmd {
	relay_cmd_kind kind;
	bw_relay_stream *s;
	bw_relay_leg legs[2];
	srtpc *in[2], *out[2];          /* NULL with keep: the current one stays */
	gboolean keep_in[2], keep_out[2];
} relay_cmd;

struct bw_relay_stream {
	bw_relay *r;
	relay_thread *t;
	char call_id[64];
	guint index;
	guint port[2];
	relay_sock sock[2][2];          /* [leg][0 rtp, 1 rtcp]; fd -1: none */
	bw_relay_leg sig[2];            /* the owner's copy of the last negotiation */
	/* thread */
	bw_relay_leg leg[2];
	srtpc *in[2], *out[2];
	gboolean latched[2];
	gint64 tokens[2], refill[2];    /* micro-packets, µs */
	gint64 last_event[2];
	guint64 auth_unreported[2];
	gboolean dying;                 /* io_uring: removed, receives being cancelled */
	guint armed;                    /* io_uring: receives armed on its sockets */
	/* counters per leg, written by the thread */
	bw_relay_counts counts[2];
};

struct relay_thread {
	bw_relay *r;
	GThread *thread;
	int ep, wake;                   /* epoll set, eventfd */
	GAsyncQueue *cmds;              /* relay_cmd* */
	relay_loop loop;                /* set once by the thread (under r->lock) */
	void *uring;                    /* relayuring.c's state while the loop is URING */
	guint n_streams;
	/* packet buffers, this thread only */
	struct mmsghdr in[RELAY_BATCH], out[RELAY_BATCH];
	struct iovec in_iov[RELAY_BATCH], out_iov[RELAY_BATCH];
	struct sockaddr_storage src[RELAY_BATCH], dst[RELAY_BATCH];
	guint8 buf[RELAY_BATCH][RELAY_BUF];
	int out_fd;
	guint n_out;
	gint64 m_packets, m_dropped, m_auth;    /* pending metric deltas */
};

struct bw_relay {
	bw_relay_config cfg;
	bw_relay_loop_opts loop;
	relay_thread **threads;
	guint n_threads, next_thread;
	GMutex lock;                    /* streams, next_port: never per packet */
	GHashTable *streams;            /* bw_relay_stream* set */
	guint n_streams;                /* added and not yet freed */
	guint next_port;
	GCond idle;
	bw_metric *packets, *dropped, *auth_failed, *streams_gauge;
};

typedef struct relay_out {
	int fd;
	const struct sockaddr_storage *to;
} relay_out;

/* relaypkt.c: one datagram p (len, in a RELAY_BUF buffer) from src on k:
 * checked, latched, unprotected and protected in place, counted. TRUE
 * when it is to be sent as *o; exposed for the fuzz harness. */
gboolean bw_relay_pkt_one(relay_thread *t, relay_sock *k, guint8 *p, size_t *len,
			  const struct sockaddr_storage *src, gint64 now, relay_out *o);
/* relaypkt.c: everything readable on one socket, forwarded in batches. */
void bw_relay_pkt_read(relay_thread *t, relay_sock *k);
/* relaypkt.c: the pending metric deltas, once per epoll round. */
void bw_relay_pkt_metrics(relay_thread *t);
/* relaypkt.c: a new negotiation starts the bucket full and unlatched. */
void bw_relay_pkt_reset(bw_relay_stream *s, guint leg);
/* relay.c: a command for s's thread. */
void bw_relay_post(relay_thread *t, relay_cmd *c);
/* relay.c: applied on the thread. */
void bw_relay_cmd_apply(relay_thread *t, relay_cmd *c);
/* relay.c: the eventfd read and every queued command applied; TRUE on stop. */
gboolean bw_relay_drain(relay_thread *t);
/* relay.c: sockets closed, contexts and keys wiped, stream gone. */
void bw_relay_stream_free(bw_relay_stream *s);

/* relayuring.c, on the thread: set up t's ring (0, or an errno: then the
 * thread uses epoll); run it until a stop command; tear it down. */
int  bw_relay_uring_init(relay_thread *t);
void bw_relay_uring_main(relay_thread *t);
void bw_relay_uring_exit(relay_thread *t);
/* relayuring.c: arm the receives of a new stream; remove one (freed once
 * its receives are cancelled). */
void bw_relay_uring_add(relay_thread *t, bw_relay_stream *s);
void bw_relay_uring_remove(relay_thread *t, bw_relay_stream *s);

#endif
