/* Streams of relay.h on the owner's side: build the contexts for the keys
 * that changed, post the change to the stream's thread, list counters. */
#include "relayint.h"
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

static int relay_ctx(const bw_relay *r, const bw_relay_leg *l, const guint8 *key, srtpc **out)
{
	*out = NULL;
	if (!l->secure)
		return 0;
	int rc = srtpc_new(out, l->suite, key, l->key_len, r->cfg.replay_window);
	if (rc)
		g_warning("srtp: relay: cannot create an SRTP context (%s): %s",
			  srtpc_suite_name(l->suite), g_strerror(rc));
	return rc;
}

static gboolean relay_same_keys(const bw_relay_leg *a, const bw_relay_leg *b, gboolean in)
{
	return a->secure == b->secure && (!a->secure || (a->suite == b->suite &&
		a->key_len == b->key_len &&
		!memcmp(in ? a->key_in : a->key_out, in ? b->key_in : b->key_out, a->key_len)));
}

/* Contexts for c (prev NULL: all new). 0 or an errno (c's are freed). */
static int relay_cmd_ctx(const bw_relay *r, relay_cmd *c, const bw_relay_leg *prev)
{
	int rc = 0;
	for (guint l = 0; l < 2 && !rc; l++) {
		const bw_relay_leg *n = &c->legs[l];
		c->keep_in[l] = prev && relay_same_keys(&prev[l], n, TRUE);
		c->keep_out[l] = prev && relay_same_keys(&prev[l], n, FALSE);
		if (!c->keep_in[l])
			rc = relay_ctx(r, n, n->key_in, &c->in[l]);
		if (!rc && !c->keep_out[l])
			rc = relay_ctx(r, n, n->key_out, &c->out[l]);
	}
	if (rc)
		for (guint l = 0; l < 2; l++) {
			srtpc_free(c->in[l]);
			srtpc_free(c->out[l]);
		}
	return rc;
}

static relay_cmd *relay_cmd_new(relay_cmd_kind kind, bw_relay_stream *s, const bw_relay_leg legs[2])
{
	relay_cmd *c = g_new0(relay_cmd, 1);
	c->kind = kind;
	c->s = s;
	if (legs)
		memcpy(c->legs, legs, sizeof c->legs);
	return c;
}

bw_relay_stream *bw_relay_stream_add(bw_relay *r, const char *call_id, guint index,
				     bw_relay_ports ports[2], const bw_relay_leg legs[2], int *rc)
{
	relay_cmd *c = relay_cmd_new(RELAY_CMD_ADD, NULL, legs);
	if ((*rc = relay_cmd_ctx(r, c, NULL)) != 0) {
		g_free(c);
		bw_relay_ports_close(&ports[0]);
		bw_relay_ports_close(&ports[1]);
		return NULL;
	}
	bw_relay_stream *s = g_new0(bw_relay_stream, 1);
	s->r = r;
	g_strlcpy(s->call_id, call_id, sizeof s->call_id);
	s->index = index;
	for (guint l = 0; l < 2; l++) {
		s->port[l] = ports[l].port;
		s->sock[l][0] = (relay_sock){ s, l, FALSE, ports[l].rtp_fd };
		s->sock[l][1] = (relay_sock){ s, l, TRUE, ports[l].rtcp_fd };
		ports[l].rtp_fd = ports[l].rtcp_fd = -1;
		s->sig[l] = legs[l];
	}
	g_mutex_lock(&r->lock);
	s->t = r->threads[r->next_thread++ % r->n_threads];
	g_hash_table_add(r->streams, s);
	r->n_streams++;
	bw_metric_set(r->streams_gauge, r->n_streams);
	g_mutex_unlock(&r->lock);
	c->s = s;
	bw_relay_post(s->t, c);
	return s;
}

int bw_relay_stream_update(bw_relay_stream *s, const bw_relay_leg legs[2])
{
	relay_cmd *c = relay_cmd_new(RELAY_CMD_UPDATE, s, legs);
	int rc = relay_cmd_ctx(s->r, c, s->sig);
	if (rc) {
		explicit_bzero(c, sizeof *c);
		g_free(c);
		return rc;
	}
	g_mutex_lock(&s->r->lock);   /* bw_relay_foreach reads it */
	memcpy(s->sig, legs, sizeof s->sig);
	g_mutex_unlock(&s->r->lock);
	bw_relay_post(s->t, c);
	return 0;
}

void bw_relay_stream_remove(bw_relay_stream *s)
{
	if (s)
		bw_relay_post(s->t, relay_cmd_new(RELAY_CMD_REMOVE, s, NULL));
}

guint bw_relay_stream_count(bw_relay *r)
{
	g_mutex_lock(&r->lock);
	guint n = r->n_streams;
	g_mutex_unlock(&r->lock);
	return n;
}

static void relay_addr_str(const struct sockaddr_storage *ss, gboolean have, char *out, gsize len)
{
	char ip[INET6_ADDRSTRLEN] = "-";
	guint port = 0;
	if (have && ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
		port = ntohs(a->sin_port);
	} else if (have && ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
		port = ntohs(a->sin6_port);
	}
	g_snprintf(out, len, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

void bw_relay_foreach(bw_relay *r, bw_relay_stat_fn fn, void *user_data)
{
	g_mutex_lock(&r->lock);
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, r->streams);
	while (g_hash_table_iter_next(&it, &key, NULL)) {
		bw_relay_stream *s = key;
		for (guint l = 0; l < 2; l++) {
			bw_relay_counts c;
			const bw_relay_counts *x = &s->counts[l];
			c.rx = RELAY_GET(x->rx); c.tx = RELAY_GET(x->tx);
			c.dropped = RELAY_GET(x->dropped); c.foreign = RELAY_GET(x->foreign);
			c.auth_failed = RELAY_GET(x->auth_failed);
			c.replayed = RELAY_GET(x->replayed);
			c.rate_limited = RELAY_GET(x->rate_limited);
			char peer[INET6_ADDRSTRLEN + 10];
			/* the negotiated address (the owner's copy: no race) */
			relay_addr_str(&s->sig[l].rtp_addr, s->sig[l].have_addr, peer, sizeof peer);
			fn(s->call_id, s->index, l, s->port[l], peer, s->sig[l].secure, &c, user_data);
		}
	}
	g_mutex_unlock(&r->lock);
}

gboolean bw_relay_wait_idle(bw_relay *r, guint timeout_ms)
{
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_mutex_lock(&r->lock);
	while (r->n_streams && g_cond_wait_until(&r->idle, &r->lock, end))
		;
	gboolean ok = r->n_streams == 0;
	g_mutex_unlock(&r->lock);
	return ok;
}
