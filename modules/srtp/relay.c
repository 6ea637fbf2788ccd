/* The relay of relay.h: threads, their command queues, stream hand-over
 * and removal. The owner's calls (add/update/remove) only allocate and
 * post; a stream's epoll registration, contexts and sockets change on its
 * own thread, so the packet path needs no lock. */
#include "relayint.h"
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

static relay_sock relay_wake_tag;   /* epoll data of the eventfd */

void bw_relay_post(relay_thread *t, relay_cmd *c)
{
	guint64 one = 1;
	g_async_queue_push(t->cmds, c);
	if (write(t->wake, &one, sizeof one) < 0 && errno != EAGAIN)
		g_warning("srtp: relay: cannot wake a relay thread: %s", g_strerror(errno));
}

static void relay_epoll(relay_thread *t, bw_relay_stream *s, int op)
{
	for (guint l = 0; l < 2; l++)
		for (guint k = 0; k < 2; k++) {
			relay_sock *x = &s->sock[l][k];
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = x };
			if (x->fd >= 0 && epoll_ctl(t->ep, op, x->fd, &ev) != 0)
				g_warning("srtp: relay: epoll_ctl on port %u: %s", s->port[l] + k,
					  g_strerror(errno));
		}
}

void bw_relay_stream_free(bw_relay_stream *s)
{
	bw_relay *r = s->r;
	for (guint l = 0; l < 2; l++) {
		for (guint k = 0; k < 2; k++)
			if (s->sock[l][k].fd >= 0)
				close(s->sock[l][k].fd);
		srtpc_free(s->in[l]);
		srtpc_free(s->out[l]);
	}
	explicit_bzero(s->leg, sizeof s->leg);
	explicit_bzero(s->sig, sizeof s->sig);
	g_mutex_lock(&r->lock);
	g_hash_table_remove(r->streams, s);
	r->n_streams--;
	bw_metric_set(r->streams_gauge, r->n_streams);
	g_cond_broadcast(&r->idle);
	g_mutex_unlock(&r->lock);
	g_free(s);
}

static void relay_swap(srtpc **cur, srtpc *next, gboolean keep)
{
	if (keep)
		return;
	srtpc_free(*cur);
	*cur = next;
}

void bw_relay_cmd_apply(relay_thread *t, relay_cmd *c)
{
	bw_relay_stream *s = c->s;
	switch (c->kind) {
	case RELAY_CMD_ADD:
	case RELAY_CMD_UPDATE:
		for (guint l = 0; l < 2; l++) {
			s->leg[l] = c->legs[l];
			relay_swap(&s->in[l], c->in[l], c->keep_in[l]);
			relay_swap(&s->out[l], c->out[l], c->keep_out[l]);
			bw_relay_pkt_reset(s, l);
		}
		if (c->kind == RELAY_CMD_ADD) {
			if (t->uring)
				bw_relay_uring_add(t, s);
			else if (t->loop == RELAY_LOOP_EPOLL)
				relay_epoll(t, s, EPOLL_CTL_ADD);
			t->n_streams++;
		}
		break;
	case RELAY_CMD_REMOVE:
		t->n_streams--;
		if (t->uring) {
			bw_relay_uring_remove(t, s);
			break;
		}
		if (t->loop == RELAY_LOOP_EPOLL)
			relay_epoll(t, s, EPOLL_CTL_DEL);
		bw_relay_stream_free(s);
		break;
	case RELAY_CMD_STOP:
		break;
	}
	explicit_bzero(c->legs, sizeof c->legs);
	g_free(c);
}

gboolean bw_relay_drain(relay_thread *t)
{
	guint64 n;
	relay_cmd *c;
	gboolean stop = FALSE;
	if (read(t->wake, &n, sizeof n) < 0 && errno != EAGAIN)
		g_warning("srtp: relay: eventfd read: %s", g_strerror(errno));
	while ((c = g_async_queue_try_pop(t->cmds)) != NULL) {
		stop |= c->kind == RELAY_CMD_STOP;
		bw_relay_cmd_apply(t, c);
	}
	return stop;
}

/* The thread says which loop it runs (bw_relay_new waits for it). */
static void relay_loop_set(relay_thread *t, relay_loop loop)
{
	g_mutex_lock(&t->r->lock);
	t->loop = loop;
	g_cond_broadcast(&t->r->idle);
	g_mutex_unlock(&t->r->lock);
}

/* io_uring's ring is made here, by the only thread that submits to it
 * (IORING_SETUP_SINGLE_ISSUER, DEFER_TASKRUN). */
static gboolean relay_thread_uring(relay_thread *t)
{
	bw_relay_io want = t->r->loop.io;
	int rc = want == BW_RELAY_IO_EPOLL ? ENOTSUP : bw_relay_uring_init(t);
	if (rc && want == BW_RELAY_IO_URING) {
		relay_loop_set(t, RELAY_LOOP_FAILED);
		return TRUE;
	}
	if (rc) {
		relay_loop_set(t, RELAY_LOOP_EPOLL);
		return FALSE;
	}
	relay_loop_set(t, RELAY_LOOP_URING);
	bw_relay_uring_main(t);
	bw_relay_uring_exit(t);
	return TRUE;
}

static gpointer relay_thread_main(gpointer p)
{
	relay_thread *t = p;
	struct epoll_event ev[64];
	if (relay_thread_uring(t))
		return NULL;
	for (;;) {
		int n = epoll_wait(t->ep, ev, G_N_ELEMENTS(ev), -1);
		if (n < 0 && errno != EINTR) {
			g_warning("srtp: relay: epoll_wait: %s", g_strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			if (ev[i].data.ptr == &relay_wake_tag) {
				if (bw_relay_drain(t))
					return NULL;
			} else {
				bw_relay_pkt_read(t, ev[i].data.ptr);
			}
		}
		bw_relay_pkt_metrics(t);
	}
	return NULL;
}

static relay_thread *relay_thread_new(bw_relay *r, guint i, GError **err)
{
	relay_thread *t = g_new0(relay_thread, 1);
	t->r = r;
	t->ep = epoll_create1(EPOLL_CLOEXEC);
	t->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	t->cmds = g_async_queue_new();
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &relay_wake_tag };
	if (t->ep < 0 || t->wake < 0 || epoll_ctl(t->ep, EPOLL_CTL_ADD, t->wake, &ev) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "srtp: relay thread %u: cannot create its epoll set: %s", i,
			    g_strerror(errno));
		return t;
	}
	char name[16];
	g_snprintf(name, sizeof name, "bw-relay-%u", i);
	t->thread = g_thread_new(name, relay_thread_main, t);
	return t;
}

static void relay_thread_free(relay_thread *t)
{
	if (t->thread) {
		relay_cmd *stop = g_new0(relay_cmd, 1);
		stop->kind = RELAY_CMD_STOP;
		bw_relay_post(t, stop);
		g_thread_join(t->thread);
	}
	relay_cmd *c;
	while ((c = g_async_queue_try_pop(t->cmds)) != NULL)
		bw_relay_cmd_apply(t, c);   /* after the thread: nobody else runs them */
	if (t->ep >= 0)
		close(t->ep);
	if (t->wake >= 0)
		close(t->wake);
	g_async_queue_unref(t->cmds);
	g_free(t);
}

/* Every thread has chosen its loop; FALSE when io_uring was demanded and
 * one could not have it. */
static gboolean relay_loops_ready(bw_relay *r, GError **err)
{
	gboolean ok = TRUE;
	g_mutex_lock(&r->lock);
	for (guint i = 0; i < r->n_threads; i++) {
		while (r->threads[i]->loop == RELAY_LOOP_PENDING)
			g_cond_wait(&r->idle, &r->lock);
		ok &= r->threads[i]->loop != RELAY_LOOP_FAILED;
	}
	g_mutex_unlock(&r->lock);
	if (!ok)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
			    "srtp: relay: io_uring was asked for but is not available (liburing "
			    "not built in, or the kernel refuses io_uring or its multishot receive)");
	return ok;
}

bw_relay *bw_relay_new(const bw_relay_config *cfg, GError **err)
{
	return bw_relay_new_loop(cfg, NULL, err);
}

bw_relay *bw_relay_new_loop(const bw_relay_config *cfg, const bw_relay_loop_opts *loop,
			    GError **err)
{
	bw_relay *r = g_new0(bw_relay, 1);
	r->cfg = *cfg;
	if (loop)
		r->loop = *loop;
	if (!r->cfg.threads)
		r->cfg.threads = MIN(g_get_num_processors(), BW_RELAY_MAX_THREADS);
	if (!r->cfg.event_interval_s)
		r->cfg.event_interval_s = 10;
	g_mutex_init(&r->lock);
	g_cond_init(&r->idle);
	r->streams = g_hash_table_new(NULL, NULL);
	r->next_port = g_random_int_range(0, 1 << 16);
	r->packets = bw_metric_counter("media.packets", "RTP/RTCP packets relayed");
	r->dropped = bw_metric_counter("media.dropped", "media packets dropped (foreign, "
				       "rate limit, replay, authentication, no destination)");
	r->auth_failed = bw_metric_counter("media.auth_failed",
					   "SRTP/SRTCP packets failing authentication");
	r->streams_gauge = bw_metric_gauge("media.streams", "relayed media streams");
	r->threads = g_new0(relay_thread *, r->cfg.threads);
	for (r->n_threads = 0; r->n_threads < r->cfg.threads; r->n_threads++) {
		r->threads[r->n_threads] = relay_thread_new(r, r->n_threads, err);
		if (!r->threads[r->n_threads]->thread) {
			r->n_threads++;
			bw_relay_free(r);
			return NULL;
		}
	}
	if (!relay_loops_ready(r, err)) {
		bw_relay_free(r);
		return NULL;
	}
	return r;
}

const char *bw_relay_io_name(const bw_relay *r)
{
	return r->threads[0]->loop == RELAY_LOOP_URING ? "io_uring" : "epoll";
}

void bw_relay_free(bw_relay *r)
{
	if (!r)
		return;
	for (guint i = 0; i < r->n_threads; i++)
		relay_thread_free(r->threads[i]);
	/* streams added and never removed: their threads are gone */
	GList *left = g_hash_table_get_keys(r->streams);
	for (GList *l = left; l; l = l->next)
		bw_relay_stream_free(l->data);
	g_list_free(left);
	g_hash_table_destroy(r->streams);
	g_free(r->threads);
	g_mutex_clear(&r->lock);
	g_cond_clear(&r->idle);
	g_free(r);
}

const bw_relay_config *bw_relay_get_config(const bw_relay *r)
{
	return &r->cfg;
}
