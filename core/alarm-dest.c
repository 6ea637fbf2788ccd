/* The core alarm destinations, sinks "tcp" and "syslog", configured in the
 * store under "alarm/destination/tcp" and "alarm/destination/syslog"
 * ({"address": "host:port"}, syslog also {"facility": "local0"}).
 * tcp: one plain-text line per raise/clear over a connection kept open and
 * re-established with backoff (1 s doubling to 60 s); nothing blocks: the
 * connect is async, writes are non-blocking from a bounded queue that drops
 * its oldest line when full (counted in alarms.tcp.dropped).
 * syslog: RFC 5424 over UDP to the address, or syslog(3) without one.
 * Runs on the management thread only. */
#define G_LOG_DOMAIN "alarm"
#include "alarmint.h"
#include <bulwark/metrics.h>
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#define TCP_QUEUE_MAX    1024
#define BACKOFF_MAX_S    60
#define ADDRESS_MAX      255
#define DEST_RECORD_MAX  4096
#define SD_ID            "alarm@32473"   /* RFC 5612 documentation enterprise */

static struct {
	char              *address;
	GSocketClient     *client;
	GCancellable      *cancel;
	GSocketConnection *conn;
	GSource           *out_src, *in_src;
	GQueue             lines;       /* char*, each ending in '\n' */
	gsize              off;         /* bytes of the head line already sent */
	guint              retry, backoff;
} tcp;

static struct {
	gboolean        configured;   /* an address: UDP, else syslog(3) */
	int             facility;
	GSocketAddress *to;
	GSocket        *sock;
	GCancellable   *cancel;
} sl = { .facility = 16 };

static gboolean own_tcp_sink, own_syslog_sink;   /* registered by us */

static void tcp_connect(void);
static void tcp_flush(void);

/* ---- formatting ---- */

static char *iso_time(gint64 us, gboolean frac)
{
	GDateTime *t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	char *s = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%S") : g_strdup("1970-01-01T00:00:00");
	char *out = frac ? g_strdup_printf("%s.%06dZ", s, (int)(us % G_USEC_PER_SEC))
			 : g_strconcat(s, "Z", NULL);
	if (t)
		g_date_time_unref(t);
	g_free(s);
	return out;
}

/* Printable ASCII without spaces, for the columns people grep. */
static void append_word(GString *out, const char *s, gsize max)
{
	gsize n = 0;
	for (; s && *s && n < max; s++, n++)
		g_string_append_c(out, (unsigned char)*s > ' ' && (unsigned char)*s < 0x7f ? *s : '_');
	if (n == 0)
		g_string_append_c(out, '-');
}

char *bw_alarm_dest_tcp_line(const bw_alarm *a)
{
	GString *l = g_string_new(NULL);
	char *t = iso_time(a->active ? a->raised : a->cleared, FALSE);
	char *sev = g_ascii_strup(bw_severity_name(a->severity), -1);

	g_string_append_printf(l, "%s ", t);
	append_word(l, a->source, 64);
	g_string_append_printf(l, " %s %s ", sev, a->active ? "RAISED" : "CLEARED");
	append_word(l, a->event, 128);
	g_string_append_printf(l, " id=%" G_GUINT64_FORMAT " count=%" G_GUINT64_FORMAT " rule=",
			       a->id, a->count);
	append_word(l, a->rule, 64);
	g_string_append_printf(l, " text=%s", a->text ? a->text : "");
	g_free(t);
	g_free(sev);
	return g_string_free(l, FALSE);
}

static int syslog_severity(const bw_alarm *a)
{
	switch (a->severity) {
	case BW_SEVERITY_CRITICAL: return LOG_CRIT;
	case BW_SEVERITY_MAJOR: return LOG_ERR;
	case BW_SEVERITY_MINOR: return LOG_WARNING;
	case BW_SEVERITY_WARNING: return LOG_WARNING;
	case BW_SEVERITY_INDETERMINATE: return LOG_NOTICE;
	default: return LOG_NOTICE;   /* cleared */
	}
}

static void append_sd_value(GString *out, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			g_string_append_c(out, '\\');
		g_string_append_c(out, *v);
	}
}

/* The part after the header, shared with syslog(3). */
static char *syslog_body(const bw_alarm *a)
{
	return g_strdup_printf("%s %s %s id=%" G_GUINT64_FORMAT " count=%" G_GUINT64_FORMAT " %s",
			       a->active ? "RAISED" : "CLEARED", bw_severity_name(a->severity),
			       a->event, a->id, a->count, a->text ? a->text : "");
}

char *bw_alarm_dest_syslog_msg(const bw_alarm *a, int facility)
{
	GString *m = g_string_new(NULL);
	char *t = iso_time(a->active ? a->raised : a->cleared, TRUE);
	char *body = syslog_body(a);

	g_string_append_printf(m, "<%d>1 %s ", facility * 8 + syslog_severity(a), t);
	append_word(m, a->source, 255);
	g_string_append_printf(m, " bulwarkd %d %s [" SD_ID " id=\"%" G_GUINT64_FORMAT "\" rule=\"",
			       (int)getpid(), a->active ? "RAISED" : "CLEARED", a->id);
	append_sd_value(m, a->rule);
	g_string_append_printf(m, "\" severity=\"%s\" count=\"%" G_GUINT64_FORMAT "\"] %s",
			       bw_severity_name(a->severity), a->count, body);
	g_free(t);
	g_free(body);
	return g_string_free(m, FALSE);
}

/* ---- configuration records ---- */

static gboolean dest_fail(GError **err, const char *key, const char *field, const char *why)
{
	g_set_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID,
		    "alarm destination %s: field \"%s\": %s", key, field, why);
	return FALSE;
}

static const struct { const char *name; int code; } facilities[] = {
	{ "user", 1 }, { "daemon", 3 }, { "auth", 4 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

static gboolean facility_parse(const char *s, int *out)
{
	for (gsize i = 0; i < G_N_ELEMENTS(facilities); i++)
		if (g_str_equal(s, facilities[i].name)) {
			*out = facilities[i].code;
			return TRUE;
		}
	return FALSE;
}

static gboolean string_member(JsonObject *o, const char *name, const char **out)
{
	JsonNode *n = json_object_get_member(o, name);
	if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return FALSE;
	*out = json_node_get_string(n);
	return TRUE;
}

static gboolean check_members(JsonObject *o, const char *key, gboolean syslog_dest, GError **err)
{
	GList *members = json_object_get_members(o);
	gboolean ok = TRUE;

	for (GList *l = members; l && ok; l = l->next)
		if (!g_str_equal(l->data, "address") && !(syslog_dest && g_str_equal(l->data, "facility")))
			ok = dest_fail(err, key, "(record)", syslog_dest
				       ? "unknown field (known: address, facility)"
				       : "unknown field (known: address)");
	g_list_free(members);
	return ok;
}

/* Validates a record; *address (NULL when absent) and *facility. */
static gboolean dest_parse(const char *key, GBytes *value, char **address, int *facility,
			   GError **err)
{
	gboolean syslog_dest = g_str_has_suffix(key, "/syslog");
	JsonParser *p = json_parser_new_immutable();
	GError *jerr = NULL;
	const char *s;
	JsonObject *o;
	gsize len;
	const char *d = g_bytes_get_data(value, &len);
	gboolean ok = FALSE;

	*address = NULL;
	if (len > DEST_RECORD_MAX)
		dest_fail(err, key, "(record)", "larger than 4096 bytes");
	else if (!json_parser_load_from_data(p, d ? d : "", (gssize)len, &jerr))
		dest_fail(err, key, "(record)", jerr->message);
	else if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
		dest_fail(err, key, "(record)", "want a JSON object");
	else
		ok = TRUE;
	g_clear_error(&jerr);
	o = ok ? json_node_get_object(json_parser_get_root(p)) : NULL;
	if (ok && !(ok = check_members(o, key, syslog_dest, err)))
		;
	else if (ok && json_object_has_member(o, "address")) {
		GSocketConnectable *a;
		if (!string_member(o, "address", &s) || strlen(s) > ADDRESS_MAX
		    || !(a = g_network_address_parse(s, 0, NULL)))
			ok = dest_fail(err, key, "address", "want \"host:port\" (IPv6 as \"[addr]:port\")");
		else if (g_network_address_get_port(G_NETWORK_ADDRESS(a)) == 0)
			ok = (g_object_unref(a), dest_fail(err, key, "address", "the port is missing or 0"));
		else {
			g_object_unref(a);
			*address = g_strdup(s);
		}
	}
	if (ok && !syslog_dest && !*address)
		ok = dest_fail(err, key, "address", "missing");
	if (ok && json_object_has_member(o, "facility")
	    && (!string_member(o, "facility", &s) || !facility_parse(s, facility)))
		ok = dest_fail(err, key, "facility", "want user, daemon, auth or local0..local7");
	if (!ok)
		g_clear_pointer(address, g_free);
	g_object_unref(p);
	return ok;
}

/* ---- tcp ---- */

static void tcp_disconnect(void)
{
	if (tcp.out_src) {
		g_source_destroy(tcp.out_src);
		g_clear_pointer(&tcp.out_src, g_source_unref);
	}
	if (tcp.in_src) {
		g_source_destroy(tcp.in_src);
		g_clear_pointer(&tcp.in_src, g_source_unref);
	}
	if (tcp.conn) {
		g_io_stream_close(G_IO_STREAM(tcp.conn), NULL, NULL);
		g_clear_object(&tcp.conn);
	}
	tcp.off = 0;   /* a half-sent line is sent again whole */
}

static gboolean on_retry(gpointer unused)
{
	(void)unused;
	tcp.retry = 0;
	tcp_connect();
	return G_SOURCE_REMOVE;
}

static void tcp_lost(const char *why)
{
	tcp_disconnect();
	if (!tcp.address || tcp.retry)
		return;
	g_warning("alarm destination tcp %s: %s; retrying in %u s", tcp.address, why, tcp.backoff);
	tcp.retry = g_timeout_add_seconds(tcp.backoff, on_retry, NULL);
	tcp.backoff = MIN(tcp.backoff * 2, BACKOFF_MAX_S);
}

static gboolean on_tcp_writable(GObject *stream, gpointer unused)
{
	(void)stream;
	(void)unused;
	g_clear_pointer(&tcp.out_src, g_source_unref);
	tcp_flush();
	return G_SOURCE_REMOVE;
}

static void tcp_flush(void)
{
	GOutputStream *out;

	if (!tcp.conn || tcp.out_src)
		return;
	out = g_io_stream_get_output_stream(G_IO_STREAM(tcp.conn));
	while (!g_queue_is_empty(&tcp.lines)) {
		const char *line = g_queue_peek_head(&tcp.lines);
		GError *e = NULL;
		gssize n = g_pollable_output_stream_write_nonblocking(G_POLLABLE_OUTPUT_STREAM(out),
				line + tcp.off, strlen(line) - tcp.off, NULL, &e);
		if (n < 0 && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
			g_error_free(e);
			tcp.out_src = g_pollable_output_stream_create_source(G_POLLABLE_OUTPUT_STREAM(out), NULL);
			g_source_set_callback(tcp.out_src, (GSourceFunc)(void (*)(void))on_tcp_writable, NULL, NULL);
			g_source_attach(tcp.out_src, NULL);
			return;
		}
		if (n < 0) {
			char *why = g_strdup_printf("write failed: %s", e->message);
			g_error_free(e);
			tcp_lost(why);
			g_free(why);
			return;
		}
		tcp.off += (gsize)n;
		if (tcp.off == strlen(line)) {
			g_free(g_queue_pop_head(&tcp.lines));
			tcp.off = 0;
		}
	}
}

/* The receiver sends nothing; reading notices when it goes away. */
static gboolean on_tcp_readable(GObject *stream, gpointer unused)
{
	char buf[512];
	GError *e = NULL;
	gssize n = g_pollable_input_stream_read_nonblocking(G_POLLABLE_INPUT_STREAM(stream), buf,
							    sizeof buf, NULL, &e);
	(void)unused;
	if (n > 0 || (n < 0 && g_error_matches(e, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))) {
		g_clear_error(&e);
		return G_SOURCE_CONTINUE;
	}
	g_clear_pointer(&tcp.in_src, g_source_unref);   /* returning REMOVE destroys it */
	tcp_lost(n == 0 ? "the receiver closed the connection" : e->message);
	g_clear_error(&e);
	return G_SOURCE_REMOVE;
}

static void on_tcp_connected(GObject *client, GAsyncResult *res, gpointer unused)
{
	GError *e = NULL;
	GSocketConnection *c = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(client), res, &e);
	GInputStream *in;
	(void)unused;

	if (!c) {
		if (!g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			char *why = g_strdup_printf("cannot connect: %s", e->message);
			tcp_lost(why);
			g_free(why);
		}
		g_error_free(e);
		return;
	}
	tcp.conn = c;
	tcp.backoff = 1;
	g_info("alarm destination tcp: connected to %s", tcp.address);
	in = g_io_stream_get_input_stream(G_IO_STREAM(c));
	tcp.in_src = g_pollable_input_stream_create_source(G_POLLABLE_INPUT_STREAM(in), NULL);
	g_source_set_callback(tcp.in_src, (GSourceFunc)(void (*)(void))on_tcp_readable, NULL, NULL);
	g_source_attach(tcp.in_src, NULL);
	tcp_flush();
}

static void tcp_connect(void)
{
	if (!tcp.address || tcp.conn)
		return;
	if (!tcp.client) {
		tcp.client = g_socket_client_new();
		g_socket_client_set_timeout(tcp.client, 10);
	}
	g_socket_client_connect_to_host_async(tcp.client, tcp.address, 0, tcp.cancel,
					      on_tcp_connected, NULL);
}

static void tcp_configure(char *address)
{
	if (tcp.cancel) {
		g_cancellable_cancel(tcp.cancel);
		g_clear_object(&tcp.cancel);
	}
	tcp_disconnect();
	if (tcp.retry) {
		g_source_remove(tcp.retry);
		tcp.retry = 0;
	}
	g_free(tcp.address);
	tcp.address = address;
	tcp.backoff = 1;
	if (!address) {
		g_queue_clear_full(&tcp.lines, g_free);
		return;
	}
	tcp.cancel = g_cancellable_new();
	tcp_connect();
}

static void tcp_sink(const bw_alarm *a, void *unused)
{
	char *line, *full;
	(void)unused;

	if (!tcp.address)
		return;
	line = bw_alarm_dest_tcp_line(a);
	full = g_strconcat(line, "\n", NULL);
	g_free(line);
	if (tcp.lines.length >= TCP_QUEUE_MAX) {
		/* the head may be half sent: drop the one after it */
		guint victim = tcp.off ? 1 : 0;
		g_free(g_queue_pop_nth(&tcp.lines, victim));
		bw_metric_add(bw_metric_counter("alarms.tcp.dropped",
				"alarm lines dropped from the full tcp destination queue"), 1);
	}
	g_queue_push_tail(&tcp.lines, full);
	tcp_flush();
}

/* ---- syslog ---- */

static void syslog_reset(void)
{
	if (sl.cancel) {
		g_cancellable_cancel(sl.cancel);
		g_clear_object(&sl.cancel);
	}
	g_clear_object(&sl.to);
	if (sl.sock) {
		g_socket_close(sl.sock, NULL);
		g_clear_object(&sl.sock);
	}
}

static void syslog_set_target(GSocketAddress *to)
{
	GError *e = NULL;
	sl.sock = g_socket_new(g_socket_address_get_family(to), G_SOCKET_TYPE_DATAGRAM,
			       G_SOCKET_PROTOCOL_UDP, &e);
	if (!sl.sock) {
		g_warning("alarm destination syslog: cannot create a UDP socket: %s", e->message);
		g_error_free(e);
		return;
	}
	g_socket_set_blocking(sl.sock, FALSE);
	sl.to = g_object_ref(to);
}

static void on_syslog_resolved(GObject *en, GAsyncResult *res, gpointer unused)
{
	GError *e = NULL;
	GSocketAddress *a = g_socket_address_enumerator_next_finish(G_SOCKET_ADDRESS_ENUMERATOR(en), res, &e);
	(void)unused;
	if (a) {
		syslog_set_target(a);
		g_object_unref(a);
	} else if (e && !g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_warning("alarm destination syslog: cannot resolve the address: %s", e->message);
	}
	g_clear_error(&e);
}

/* A numeric address is used at once; a name is resolved asynchronously. */
static void syslog_configure(char *address, int facility)
{
	GSocketConnectable *c;
	GSocketAddressEnumerator *en;
	GSocketAddress *numeric;

	syslog_reset();
	sl.facility = facility;
	sl.configured = address != NULL;
	if (!address)
		return;
	c = g_network_address_parse(address, 0, NULL);
	numeric = g_inet_socket_address_new_from_string(
		g_network_address_get_hostname(G_NETWORK_ADDRESS(c)),
		g_network_address_get_port(G_NETWORK_ADDRESS(c)));
	if (numeric) {
		syslog_set_target(numeric);
		g_object_unref(numeric);
	} else {
		sl.cancel = g_cancellable_new();
		en = g_socket_connectable_enumerate(c);
		g_socket_address_enumerator_next_async(en, sl.cancel, on_syslog_resolved, NULL);
		g_object_unref(en);
	}
	g_object_unref(c);
	g_free(address);
}

static void syslog_sink(const bw_alarm *a, void *unused)
{
	char *msg;
	GError *e = NULL;
	(void)unused;

	if (!sl.configured) {
		msg = syslog_body(a);
		syslog((sl.facility << 3) | syslog_severity(a), "%s", msg);
		g_free(msg);
		return;
	}
	if (!sl.sock) {
		bw_metric_add(bw_metric_counter("alarms.syslog.dropped",
				"alarm messages not sent: syslog address unresolved or send failed"), 1);
		return;
	}
	msg = bw_alarm_dest_syslog_msg(a, sl.facility);
	if (g_socket_send_to(sl.sock, sl.to, msg, strlen(msg), NULL, &e) < 0) {
		bw_metric_add(bw_metric_counter("alarms.syslog.dropped",
				"alarm messages not sent: syslog address unresolved or send failed"), 1);
		g_debug("alarm destination syslog: send failed: %s", e->message);
		g_error_free(e);
	}
	g_free(msg);
}

/* ---- configuration ---- */

void bw_alarm_dest_changed(const char *key, GBytes *value)
{
	gboolean is_tcp = g_str_equal(key, "alarm/destination/tcp");
	char *address = NULL;
	int facility = 16;
	GError *err = NULL;

	if (!is_tcp && !g_str_equal(key, "alarm/destination/syslog"))
		return;   /* module destinations keep their own records */
	if (value && !dest_parse(key, value, &address, &facility, &err)) {
		g_warning("%s; the destination keeps its previous configuration", err->message);
		g_error_free(err);
		return;
	}
	if (is_tcp)
		tcp_configure(address);
	else
		syslog_configure(address, facility);
	g_info("alarm destination %s %s", is_tcp ? "tcp" : "syslog",
	       value ? "configured" : "removed");
}

static void dest_load(bw_store *s, const char *key)
{
	GBytes *v = NULL;
	if (bw_store_get(s, key, &v, NULL, NULL)) {
		bw_alarm_dest_changed(key, v);
		g_bytes_unref(v);
	}
}

void bw_alarm_dest_start(bw_store *s)
{
	own_tcp_sink = bw_alarm_sink_add("tcp", tcp_sink, NULL) == 0;
	if (!own_tcp_sink)
		g_warning("alarm destination tcp: the sink name is taken; core tcp destination not registered");
	own_syslog_sink = bw_alarm_sink_add("syslog", syslog_sink, NULL) == 0;
	if (!own_syslog_sink)
		g_warning("alarm destination syslog: the sink name is taken; core syslog destination not registered");
	dest_load(s, "alarm/destination/tcp");
	dest_load(s, "alarm/destination/syslog");
}

void bw_alarm_dest_stop(void)
{
	if (own_tcp_sink)
		bw_alarm_sink_remove("tcp");
	if (own_syslog_sink)
		bw_alarm_sink_remove("syslog");
	own_tcp_sink = own_syslog_sink = FALSE;
	tcp_configure(NULL);
	g_clear_object(&tcp.client);
	syslog_reset();
	sl.configured = FALSE;
	sl.facility = 16;
}
