/* The event log: one bus subscription to every event, drained on the
 * management loop, keeps the last conf->events_keep events (time, type,
 * fields) in a ring for GET /api/events, and counts call.started for the
 * dashboard's history (wainfo.c). Fields whose name looks like a secret
 * (password, pin, secret, key, token, ha1, ...) are dropped before an
 * event is kept, so no answer can show one; values and field counts are
 * cut to bounds so the ring's memory is bounded too. In memory only:
 * the durable record of what happened is the audit log.
 *
 * GET /api/events?glob=call.*&after=SEQ&limit=N: newest first, only types
 * matching glob, only events after bus sequence SEQ (the page polls with
 * the "last" it got). */
#include "webadmin.h"
#include <bulwark/bus.h>
#include <string.h>

#define EV_FIELDS_MAX   32        /* fields kept per event */
#define EV_VALUE_MAX    512       /* bytes kept per value */
#define EV_QUEUE        8192      /* the subscription's FIFO */
#define EV_GLOB_MAX     64
#define EV_LIMIT_DEFAULT 200
#define EV_LIMIT_MAX    1000

typedef struct wa_ev {
	guint64 seq;
	gint64  time;            /* microseconds since 1970, UTC */
	char   *type;
	char  **kv;              /* key, value, key, value, ..., NULL */
} wa_ev;

static struct {
	bw_sub *sub;
	wa_ev  *ring;
	guint   cap, head, len;  /* head: where the next event goes */
} evs;

static const char *const secret_words[] = {
	"pass", "passwd", "password", "pw", "pwd", "pin", "secret", "key", "token",
	"ha1", "cookie", "csrf", "sid", "credential", "credentials", "private", "auth",
	"authorization", "otp", NULL };

static gboolean secret_word(const char *w, gsize n)
{
	if (n >= 3 && strncmp(w + n - 3, "key", 3) == 0)   /* apikey, privkey, key */
		return TRUE;
	for (const char *const *s = secret_words; *s; s++)
		if (strlen(*s) == n && strncmp(w, *s, n) == 0)
			return TRUE;
	return FALSE;
}

/* By words of the name ("account_pin", "ha1-md5", "apiKey" lower-cased),
 * plus telling fragments anywhere ("newpassword", "clientsecret"). */
static gboolean secret_name(const char *key)
{
	char *low = g_ascii_strdown(key, -1);
	gboolean hit = strstr(low, "passw") || strstr(low, "secret") || strstr(low, "token") ||
		       strstr(low, "ha1") || strstr(low, "passphrase");
	for (const char *p = low; !hit && *p;) {
		gsize n = 0;
		while (g_ascii_isalnum(p[n]))
			n++;
		hit = n && secret_word(p, n);
		p += n ? n : 1;
	}
	g_free(low);
	return hit;
}

static void ev_clear(wa_ev *e)
{
	g_free(e->type);
	g_strfreev(e->kv);
	memset(e, 0, sizeof *e);
}

static char *value_cut(const char *v)
{
	if (strlen(v) <= EV_VALUE_MAX)
		return g_strdup(v);
	const char *end = v + EV_VALUE_MAX;
	g_utf8_validate(v, EV_VALUE_MAX, &end);     /* never cut inside a character */
	return g_strdup_printf("%.*s…", (int)(end - v), v);
}

static void ev_fill(wa_ev *e, const bw_event *ev)
{
	guint n = bw_event_nfields(ev), kept = 0;
	e->seq = bw_event_seq(ev);
	e->time = bw_event_time(ev);
	e->type = g_strdup(bw_event_type(ev));
	e->kv = g_new0(char *, 2 * MIN(n, EV_FIELDS_MAX) + 1);
	for (guint i = 0; i < n && kept < EV_FIELDS_MAX; i++) {
		const char *k = bw_event_key(ev, i), *v = bw_event_value(ev, i);
		if (!k || secret_name(k))
			continue;
		e->kv[2 * kept] = g_strdup(k);
		e->kv[2 * kept + 1] = value_cut(v ? v : "");
		kept++;
	}
}

static void on_event(const bw_event *ev, void *data)
{
	(void) data;
	if (g_strcmp0(bw_event_type(ev), "call.started") == 0)
		wa_history_note(bw_event_time(ev) / G_USEC_PER_SEC);
	wa_ev *e = &evs.ring[evs.head];
	ev_clear(e);
	ev_fill(e, ev);
	evs.head = (evs.head + 1) % evs.cap;
	if (evs.len < evs.cap)
		evs.len++;
}

void wa_events_start(const wa_conf *c)
{
	if (evs.sub)
		return;
	evs.cap = CLAMP(c->events_keep ? c->events_keep : WA_EVENTS_KEEP_DEFAULT, 10,
			WA_EVENTS_KEEP_MAX);
	evs.ring = g_new0(wa_ev, evs.cap);
	evs.head = evs.len = 0;
	evs.sub = bw_bus_subscribe("*", NULL, EV_QUEUE, on_event, NULL);
	if (!evs.sub)
		g_warning("webadmin: cannot subscribe to the event bus: the event log stays empty");
}

void wa_events_stop(void)
{
	if (evs.sub)
		bw_bus_unsubscribe(evs.sub);
	for (guint i = 0; evs.ring && i < evs.cap; i++)
		ev_clear(&evs.ring[i]);
	g_free(evs.ring);
	memset(&evs, 0, sizeof evs);
	wa_history_clear();
}

/* ---- GET /api/events ---- */

/* Event types are dotted names; a glob adds '*' and '?'. */
static gboolean glob_ok(const char *g)
{
	if (!*g || strlen(g) > EV_GLOB_MAX)
		return FALSE;
	for (const char *p = g; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("._-*?", *p))
			return FALSE;
	return TRUE;
}

static void add_ev(JsonBuilder *b, const wa_ev *e)
{
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "seq");
	json_builder_add_int_value(b, (gint64)e->seq);
	GDateTime *dt = g_date_time_new_from_unix_utc(e->time / G_USEC_PER_SEC);
	char *iso = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
	if (dt)
		g_date_time_unref(dt);
	json_builder_set_member_name(b, "time");
	json_builder_add_string_value(b, iso ? iso : "");
	g_free(iso);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, e->type);
	json_builder_set_member_name(b, "fields");
	json_builder_begin_object(b);
	for (guint i = 0; e->kv[i] && e->kv[i + 1]; i += 2) {
		json_builder_set_member_name(b, e->kv[i]);
		json_builder_add_string_value(b, e->kv[i + 1]);
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
}

static wa_resp *events_json(GPatternSpec *glob, guint64 after, guint limit)
{
	JsonBuilder *b = json_builder_new();
	guint64 last = 0;
	guint shown = 0;
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "events");
	json_builder_begin_array(b);
	for (guint i = 0; i < evs.len; i++) {
		const wa_ev *e = &evs.ring[(evs.head + evs.cap - 1 - i) % evs.cap];
		last = MAX(last, e->seq);
		if (e->seq <= after)
			break;                  /* newest first: the rest are older */
		if (shown < limit && g_pattern_spec_match_string(glob, e->type)) {
			add_ev(b, e);
			shown++;
		}
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "last");
	json_builder_add_int_value(b, (gint64)MAX(last, after));
	json_builder_set_member_name(b, "capacity");
	json_builder_add_int_value(b, evs.cap);
	json_builder_set_member_name(b, "dropped");
	json_builder_add_int_value(b, evs.sub ? (gint64)bw_sub_dropped(evs.sub) : 0);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

static gboolean parse_u64(const char *s, guint64 hi, guint64 *out)
{
	char *end = NULL;
	if (!s || !g_ascii_isdigit(*s) || strlen(s) > 20)
		return FALSE;
	guint64 v = g_ascii_strtoull(s, &end, 10);
	if (*end || v > hi)
		return FALSE;
	*out = v;
	return TRUE;
}

static wa_resp *events_get(const wa_req *r)
{
	GHashTable *q = r->query && *r->query ?
		g_uri_parse_params(r->query, -1, "&", G_URI_PARAMS_NONE, NULL) : NULL;
	if (r->query && *r->query && !q)
		return wa_resp_error1(400, NULL, "the query string is not valid (name=value&...)");
	const char *gv = q ? g_hash_table_lookup(q, "glob") : NULL;
	const char *av = q ? g_hash_table_lookup(q, "after") : NULL;
	const char *lv = q ? g_hash_table_lookup(q, "limit") : NULL;
	guint64 after = 0, limit = EV_LIMIT_DEFAULT;
	wa_resp *resp = NULL;
	if (gv && *gv && !glob_ok(gv))
		resp = wa_resp_error1(400, "glob", "an event type or a glob of letters, digits, "
				      "'.', '_', '-', '*' and '?' (at most 64), e.g. call.*");
	else if (av && !parse_u64(av, G_MAXINT64, &after))
		resp = wa_resp_error1(400, "after", "after must be an event sequence number (0 or more)");
	else if (lv && (!parse_u64(lv, EV_LIMIT_MAX, &limit) || limit == 0))
		resp = wa_resp_error1(400, "limit", "limit must be from 1 to " G_STRINGIFY(EV_LIMIT_MAX));
	if (!resp) {
		GPatternSpec *ps = g_pattern_spec_new(gv && *gv ? gv : "*");
		resp = events_json(ps, after, (guint)limit);
		g_pattern_spec_free(ps);
	}
	if (q)
		g_hash_table_unref(q);
	return resp;
}

wa_resp *wa_api_events(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s;
	if (*rest)
		return wa_resp_error1(404, NULL, "no such API resource");
	if (strcmp(r->method, "GET") != 0) {
		wa_resp *resp = wa_resp_error1(405, NULL, "the event log is read only (GET)");
		wa_resp_header(resp, "Allow", "GET");
		return resp;
	}
	if (!evs.ring)
		return wa_resp_error1(503, NULL, "the event log is not running");
	return events_get(r);
}
