/* Internal to module srtp: the media relay (relay*.c).
 *
 * Threads of its own, each an epoll set; a stream is one media section of
 * one call: two legs, each with an RTP socket and, unless RTCP is muxed,
 * an RTCP socket, bound from the configured range only for the stream's
 * life. The signalling thread (any one thread) owns the bw_relay_stream
 * handles and hands new, changed and removed streams to the stream's relay
 * thread through its command queue (an eventfd wakes it); the packet path
 * takes no locks. Per packet: source check (negotiated address, or
 * latching on the first packet that authenticates), a token-bucket rate
 * limit, SRTP/SRTCP unprotect with the leg's inbound context, protect with
 * the other leg's outbound context, send. Each thread runs an io_uring
 * loop (one multishot receive per socket, every send of a batch and every
 * receive since in one system call) when liburing was built in and the
 * kernel allows it, else epoll with recvmmsg/sendmmsg batches. */
#ifndef BW_RELAY_H
#define BW_RELAY_H

#include <glib.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "srtpc.h"

#define BW_RELAY_MAX_THREADS 64
#define BW_RELAY_KEY_MAX     46

/* How relay threads wait for packets: AUTO is io_uring when possible,
 * else epoll; URING fails bw_relay_new when io_uring is not available. */
typedef enum { BW_RELAY_IO_AUTO = 0, BW_RELAY_IO_EPOLL, BW_RELAY_IO_URING } bw_relay_io;

typedef struct bw_relay_config {
	char bind_addr[64];        /* "0.0.0.0", "::" or one address */
	guint port_min, port_max;  /* even..odd, inclusive */
	guint threads;             /* 0: one per core */
	guint rate_factor;         /* x the packetization rate; 0: no limit */
	guint replay_window;       /* srtpc_new's replay_window */
	guint event_interval_s;    /* auth_failed events at most this often per leg */
} bw_relay_config;

/* How the threads run; all zero (or bw_relay_new) is the default. */
typedef struct bw_relay_loop_opts {
	bw_relay_io io;
	/* io_uring: how long a busy thread may hold packets to relay them in
	 * one batch of 32 (added latency, at most 100000); 0: never, every
	 * packet at once (the default: at 200 us it saved nothing measurable
	 * at 40,000 packets/s, see docs/srtp.md). An idle thread waits for the
	 * next packet without a timer. */
	guint batch_wait_us;
} bw_relay_loop_opts;

typedef struct bw_relay bw_relay;
typedef struct bw_relay_stream bw_relay_stream;

/* A leg's sockets, opened before the leg is handed to the relay. */
typedef struct bw_relay_ports {
	int rtp_fd, rtcp_fd;       /* rtcp_fd -1 when none */
	guint port;                /* rtp port (even); rtcp is port + 1 */
} bw_relay_ports;

/* One leg as negotiated. Keys: key_in is what the peer protects with (its
 * a=crypto), key_out ours (the relay's a=crypto on that leg). */
typedef struct bw_relay_leg {
	struct sockaddr_storage rtp_addr, rtcp_addr;   /* where the peer said */
	gboolean have_addr;        /* FALSE until the leg's SDP gave one */
	gboolean mux;              /* RTCP on the RTP port */
	gboolean secure;
	srtpc_suite suite;
	guint8 key_in[BW_RELAY_KEY_MAX], key_out[BW_RELAY_KEY_MAX];
	gsize key_len;
	guint pps;                 /* negotiated packets per second (50 for 20 ms) */
} bw_relay_leg;

/* Counters of one leg, as received from its peer. */
typedef struct bw_relay_counts {
	guint64 rx, tx, dropped, foreign, auth_failed, replayed, rate_limited;
} bw_relay_counts;

bw_relay *bw_relay_new(const bw_relay_config *cfg, GError **err);
/* The same with a choice of loop (tests, bench); loop NULL: the default. */
bw_relay *bw_relay_new_loop(const bw_relay_config *cfg, const bw_relay_loop_opts *loop,
			    GError **err);
/* Stops the threads and frees every stream still there (ports closed). */
void      bw_relay_free(bw_relay *r);
const bw_relay_config *bw_relay_get_config(const bw_relay *r);
/* "io_uring" or "epoll": what the relay threads use (logs, bench). */
const char *bw_relay_io_name(const bw_relay *r);

/* An even/odd pair from the range (with_rtcp FALSE: the even port only).
 * 0, or EADDRINUSE when the range is exhausted, or an errno. */
int  bw_relay_ports_open(bw_relay *r, gboolean with_rtcp, bw_relay_ports *out);
void bw_relay_ports_close(bw_relay_ports *p);

/* Hands both legs' sockets to a relay thread (they belong to the relay
 * from then on: *ports are reset to -1). call_id names the stream in
 * events and `bulwarkctl media`. NULL with errno-style *rc on failure (the
 * sockets are then closed). */
bw_relay_stream *bw_relay_stream_add(bw_relay *r, const char *call_id, guint index,
				     bw_relay_ports ports[2], const bw_relay_leg legs[2],
				     int *rc);
/* New negotiation for both legs (re-offer): contexts are rebuilt only for
 * the keys that changed, so replay state survives an unchanged re-offer. */
int  bw_relay_stream_update(bw_relay_stream *s, const bw_relay_leg legs[2]);
/* The stream ends: its sockets are closed by its thread, soon after. */
void bw_relay_stream_remove(bw_relay_stream *s);

/* How many streams exist (ports still bound included). Any thread. */
guint bw_relay_stream_count(bw_relay *r);
/* Counters of leg 0 and 1 of every stream, for `bulwarkctl media`: one
 * line per leg. Any thread. */
typedef void (*bw_relay_stat_fn)(const char *call_id, guint index, guint leg,
				 guint port, const char *peer, gboolean secure,
				 const bw_relay_counts *c, void *user_data);
void bw_relay_foreach(bw_relay *r, bw_relay_stat_fn fn, void *user_data);
/* Wait until every removed stream's sockets are closed (tests). */
gboolean bw_relay_wait_idle(bw_relay *r, guint timeout_ms);

#endif
