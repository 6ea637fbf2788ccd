/* The call engine of bulwark/call.h, on the signalling thread: channel
 * drivers, channels, calls. bw_call_incoming authorizes and routes an
 * attempt (hooks "call.authorize" then "call.route", else the default
 * routing of core/route.c), anchors its offer through the "media" service
 * when one is provided, and originates through the target's driver; then
 * the drivers' reports are relayed between the two legs until one side
 * hangs up, and the end becomes a call.ended event plus a call record.
 *
 * Drivers only call bw_call_incoming for AUTHENTICATED callers (or trusted
 * trunk peers): its 404/480/486 answers reveal whether a number exists.
 *
 * Lifetime: the engine frees a channel after driver->hangup returned for
 * it or after bw_channel_hungup, in both cases together with its call, and
 * never while an engine function is still on the stack for that call (a
 * driver may call back into the engine from its callbacks). */
#include "callint.h"
#include <bulwark/metrics.h>
#include <bulwark/service.h>
#include <bulwark/thread.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <re.h>

/* CALL_ANSWERING: a delayed-offer call whose callee answered and whose
 * caller got our offer in its 200; it is answered (billed, call.answered)
 * only once the caller's answer in its ACK was taken. */
typedef enum { CALL_ROUTING, CALL_RINGING, CALL_ANSWERING, CALL_ANSWERED, CALL_ENDED } call_state;

struct bw_channel {
	char id[33];
	char *driver;
	void *driver_data;
	bw_call *call;
	char *peer;
	gboolean secure;
	bw_srtp_policy srtp;       /* of the party this leg reaches */
	gboolean gone;             /* the driver no longer knows it */
	bw_channel *update_from;   /* whose re-offer this leg is answering */
};

struct bw_call {
	char id[33];
	call_state state;
	bw_channel *in, *out;
	GPtrArray *legs;           /* every channel of the call, freed with it */
	bw_party caller;           /* strings owned below */
	char *caller_id, *caller_number, *caller_name, *caller_group;
	char *dialed, *callee, *trunk, *account_code;
	char note[128];
	gint64 start, ringing, answer, end;     /* real time, µs */
	const char *disposition;
	char cause[BW_CALL_REASON_MAX];
	guint busy;                /* engine frames on the stack for this call */
	bw_srtp_policy target_srtp; /* of the target being originated */
	char *offer;               /* the caller's SDP, offered again to a forward */
	char *ring_ext;            /* the extension ringing now (busy/no-answer forwards) */
	char *forwarded_by;        /* the last extension that forwarded the call */
	guint hops;                /* forwards followed (BW_CALL_FORWARD_HOPS) */
	/* the attempt being routed, kept to route it again when a trunk fails */
	bw_call_type at_type;
	char *at_dialed, *at_by;
	char *ring_trunk;          /* the trunk ringing now */
	GPtrArray *tried;          /* trunks failed for this attempt, NULL-terminated */
	guint routes;              /* call.route runs for this attempt */
	/* delayed offer: the caller sent no SDP; the media service offers to
	 * the callee and, once it answered, to the caller in its 200 */
	gboolean late;
	struct tmr late_tmr;       /* bounds CALL_ANSWERING (libre's timer list) */
};

static GHashTable *calls;          /* id -> bw_call*, signalling thread */
static gint n_active;              /* atomic */
static gint max_calls = BW_CALL_MAX_DEFAULT;
static guint late_window_ms = BW_CALL_LATE_ANSWER_S * 1000;
static GMutex drivers_lock;
static GHashTable *drivers;        /* name -> const bw_channel_driver* */

/* ---- helpers ---- */

static void random_hex(char out[33])
{
	guint8 b[16];
	if (getrandom(b, sizeof b, 0) != sizeof b)
		for (guint i = 0; i < sizeof b; i++)   /* never reached on Linux >= 3.17 */
			b[i] = (guint8)g_random_int();
	for (guint i = 0; i < sizeof b; i++)
		g_snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void copy_reason(char *dst, gsize len, const char *src)
{
	if (!dst || !len)
		return;
	g_strlcpy(dst, src ? src : "", MIN(len, BW_CALL_REASON_MAX));
}

static char *iso_time(gint64 us)
{
	if (!us)
		return g_strdup("");
	GDateTime *dt = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
	g_date_time_unref(dt);
	return s;
}

static bw_metric *metric(gboolean active)
{
	static bw_metric *m_active, *m_total;
	if (!m_active) {
		m_active = bw_metric_gauge("calls.active", "calls in progress");
		m_total = bw_metric_counter("calls.total", "calls attempted since start");
	}
	return active ? m_active : m_total;
}

/* The media service: version 2 (with the delayed offer) or version 1. */
static const bw_media_v1 *media_get(void)
{
	const bw_media_v2 *m2 = bw_service_lookup("media", 2);
	return m2 ? &m2->v1 : bw_service_lookup("media", 1);
}

static const bw_channel_driver *driver_get(const char *name)
{
	g_mutex_lock(&drivers_lock);
	const bw_channel_driver *d = drivers && name ? g_hash_table_lookup(drivers, name) : NULL;
	g_mutex_unlock(&drivers_lock);
	return d;
}

/* ---- drivers ---- */

int bw_channel_driver_register(const bw_channel_driver *drv)
{
	if (!drv || !drv->name || !*drv->name || !drv->originate || !drv->progress ||
	    !drv->answer || !drv->update || !drv->hangup)
		return EINVAL;
	int rc = 0;
	g_mutex_lock(&drivers_lock);
	if (!drivers)
		drivers = g_hash_table_new(g_str_hash, g_str_equal);
	if (g_hash_table_contains(drivers, drv->name))
		rc = EEXIST;
	else
		g_hash_table_insert(drivers, (gpointer)drv->name, (gpointer)drv);
	g_mutex_unlock(&drivers_lock);
	return rc;
}

static void end_call(bw_call *c, const char *disposition, int code, const char *cause);

/* A leaving driver's legs are gone: nothing may call into it any more. */
static void unregister_on_sig(void *data)
{
	const char *name = data;
	GList *list = calls ? g_hash_table_get_values(calls) : NULL;
	for (GList *l = list; l; l = l->next) {
		bw_call *c = l->data;
		gboolean hit = FALSE;
		for (guint i = 0; i < c->legs->len; i++) {
			bw_channel *ch = g_ptr_array_index(c->legs, i);
			if (g_str_equal(ch->driver, name))
				hit = ch->gone = TRUE;
		}
		if (hit)
			end_call(c, c->state == CALL_ANSWERED ? "answered" : "failed", 503,
				 "channel driver stopped");
	}
	g_list_free(list);
}

void bw_channel_driver_unregister(const char *name)
{
	if (!name)
		return;
	int rc = bw_sig_call_sync(unregister_on_sig, (void *)name, 5000);
	if (rc && rc != ESHUTDOWN)
		g_warning("call engine: ending the calls of driver %s: %s", name, g_strerror(rc));
	g_mutex_lock(&drivers_lock);
	if (drivers)
		g_hash_table_remove(drivers, name);
	g_mutex_unlock(&drivers_lock);
}

void bw_call_set_late_window(guint ms)
{
	late_window_ms = ms ? ms : BW_CALL_LATE_ANSWER_S * 1000;
}

void bw_call_set_max(guint max)
{
	g_atomic_int_set(&max_calls, max ? (gint)MIN(max, G_MAXINT) : BW_CALL_MAX_DEFAULT);
}

guint bw_calls_active(void) { return (guint)g_atomic_int_get(&n_active); }

/* ---- channels ---- */

bw_channel *bw_channel_new(const char *driver, void *driver_data)
{
	g_return_val_if_fail(driver != NULL, NULL);
	bw_channel *ch = g_new0(bw_channel, 1);
	random_hex(ch->id);
	ch->driver = g_strdup(driver);
	ch->driver_data = driver_data;
	return ch;
}

static void channel_free(gpointer p)
{
	bw_channel *ch = p;
	g_free(ch->driver);
	g_free(ch->peer);
	g_free(ch);
}

void *bw_channel_driver_data(const bw_channel *ch) { return ch ? ch->driver_data : NULL; }
bw_call *bw_channel_call(const bw_channel *ch) { return ch ? ch->call : NULL; }
const char *bw_channel_id(const bw_channel *ch) { return ch ? ch->id : NULL; }
const char *bw_call_id(const bw_call *call) { return call ? call->id : NULL; }

bw_srtp_policy bw_channel_srtp(const bw_channel *ch) { return ch ? ch->srtp : BW_SRTP_MANDATORY; }
bw_srtp_policy bw_call_target_srtp(const bw_call *c) { return c ? c->target_srtp : BW_SRTP_MANDATORY; }

void bw_channel_set_secure(bw_channel *ch, gboolean secure)
{
	if (ch)
		ch->secure = secure;
}

const char *bw_channel_peer(const bw_channel *ch) { return ch ? ch->peer : NULL; }

void bw_channel_set_peer(bw_channel *ch, const char *peer)
{
	if (!ch)
		return;
	g_free(ch->peer);
	ch->peer = peer ? g_strndup(peer, BW_CALL_REASON_MAX) : NULL;
}

static void leg_hangup(bw_channel *ch, int code, const char *reason)
{
	if (!ch || ch->gone)
		return;
	ch->gone = TRUE;
	const bw_channel_driver *d = driver_get(ch->driver);
	if (d)
		d->hangup(ch, code, reason);
}

/* ---- calls: creation, end, records ---- */

static void call_free(bw_call *c)
{
	tmr_cancel(&c->late_tmr);
	g_ptr_array_unref(c->legs);
	g_free(c->caller_id);
	g_free(c->caller_number);
	g_free(c->caller_name);
	g_free(c->caller_group);
	g_free(c->dialed);
	g_free(c->callee);
	g_free(c->trunk);
	g_free(c->account_code);
	g_free(c->offer);
	g_free(c->ring_ext);
	g_free(c->forwarded_by);
	g_free(c->at_dialed);
	g_free(c->at_by);
	g_free(c->ring_trunk);
	if (c->tried)
		g_ptr_array_free(c->tried, TRUE);
	g_free(c);
}

static void call_enter(bw_call *c) { c->busy++; }

static void call_leave(bw_call *c)
{
	if (--c->busy == 0 && c->state == CALL_ENDED)
		call_free(c);
}

static bw_call *call_new(bw_channel *in, const bw_party *p, const char *dialed)
{
	bw_call *c = g_new0(bw_call, 1);
	random_hex(c->id);
	tmr_init(&c->late_tmr);
	c->legs = g_ptr_array_new_with_free_func(channel_free);
	c->in = in;
	in->srtp = p->srtp;
	in->call = c;
	g_ptr_array_add(c->legs, in);
	c->caller_id = g_strndup(p->id ? p->id : "", BW_CALL_TEXT_MAX);
	c->caller_number = g_strndup(p->number ? p->number : c->caller_id, BW_CALL_TEXT_MAX);
	c->caller_name = p->display ? g_strndup(p->display, BW_CALL_NAME_MAX) : NULL;
	c->caller_group = p->group ? g_strndup(p->group, BW_CALL_TEXT_MAX) : NULL;
	c->caller = (bw_party){ p->kind, c->caller_id, c->caller_number, c->caller_name,
				c->caller_group, p->srtp };
	c->dialed = g_strndup(dialed, BW_CALL_TEXT_MAX);
	if (p->kind == BW_PARTY_TRUNK)
		c->trunk = g_strdup(c->caller_id);
	c->start = g_get_real_time();
	c->disposition = "failed";
	return c;
}

static void record_values(const bw_call *c, char **v)
{
	gint64 end = c->end ? c->end : g_get_real_time();
	v[0] = g_strdup(c->id);
	v[1] = iso_time(c->start);
	v[2] = iso_time(c->answer);
	v[3] = iso_time(end);
	v[4] = g_strdup_printf("%" G_GINT64_FORMAT, (end - c->start) / G_USEC_PER_SEC);
	v[5] = g_strdup_printf("%" G_GINT64_FORMAT,
			       c->answer ? (end - c->answer) / G_USEC_PER_SEC : 0);
	v[6] = g_strdup(c->caller_number);
	v[7] = g_strdup(c->caller_name ? c->caller_name : "");
	v[8] = g_strdup(c->callee ? c->callee : "");
	v[9] = g_strdup(c->dialed);
	v[10] = g_strdup(c->trunk ? c->trunk : "");
	v[11] = g_strdup(c->disposition);
	v[12] = g_strdup(c->cause);
	v[13] = g_strdup(c->account_code ? c->account_code : "");
	v[14] = g_strdup_printf("%s/%s", c->in->secure ? "yes" : "no",
				c->out && c->out->secure ? "yes" : "no");
	v[15] = g_strdup(c->note);
}

static void publish_ended(const bw_call *c)
{
	char *v[BW_CDR_NFIELDS + 1] = { NULL };
	record_values(c, v);
	bw_event *ev = bw_event_new("call.ended");
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		bw_event_add(ev, bw_cdr_fields[i], v[i]);
	bw_event_add(ev, "forwarded_by", c->forwarded_by ? c->forwarded_by : "");
	bw_event_publish(ev);
	bw_cdr_submit((const char *const *)v);
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		g_free(v[i]);
}

/* Ends the call once: both legs still known to their drivers get code
 * (the inbound one's final answer when unanswered), then the record. */
static void end_call(bw_call *c, const char *disposition, int code, const char *cause)
{
	if (c->state == CALL_ENDED)
		return;
	call_enter(c);
	/* in CALL_ANSWERING both legs got their 200 already: a code means nothing */
	gboolean answered = c->state == CALL_ANSWERED || c->state == CALL_ANSWERING;
	tmr_cancel(&c->late_tmr);
	c->state = CALL_ENDED;
	c->end = g_get_real_time();
	c->disposition = disposition;
	copy_reason(c->cause, sizeof c->cause, cause);
	leg_hangup(c->in, answered ? 0 : code, cause);
	for (guint i = 0; i < c->legs->len; i++) {
		bw_channel *ch = g_ptr_array_index(c->legs, i);
		if (ch != c->in)
			leg_hangup(ch, answered ? 0 : code, cause);
	}
	publish_ended(c);
	const bw_media_v1 *media = media_get();
	if (media && media->release)
		media->release(c);
	g_hash_table_remove(calls, c->id);
	bw_metric_set(metric(TRUE), g_atomic_int_add(&n_active, -1) - 1);
	call_leave(c);
}

static const char *disposition_for(int code)
{
	switch (code) {
	case 486: case 600: return "busy";
	case 408: case 480: return "no-answer";
	case 487: return "cancelled";
	case 403: case 603: return "denied";
	default: return "failed";
	}
}

static int sane_final(int code) { return code >= 300 && code <= 699 ? code : 500; }

/* ---- incoming: authorize, route, originate ---- */

typedef struct attempt_ctx {
	bw_call *call;
	const char *sdp;
	int code;
	char reason[BW_CALL_REASON_MAX];
	const char *disposition;
} attempt_ctx;

static gboolean attempt_fail(attempt_ctx *x, int code, const char *disposition,
			     const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean attempt_fail(attempt_ctx *x, int code, const char *disposition,
			     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_vsnprintf(x->reason, sizeof x->reason, fmt, ap);
	va_end(ap);
	x->code = code;
	x->disposition = disposition;
	return FALSE;
}

/* Fills the target's srtp/display/group from the directory; FALSE if the
 * target does not exist there. */
static gboolean target_resolve(const bw_directory *d, bw_call_attempt *a, const char **driver)
{
	if (!a->target.id)
		return FALSE;
	if (a->target.kind == BW_PARTY_EXTENSION) {
		const bw_extension *e = g_hash_table_lookup(d->ext, a->target.id);
		if (!e)
			return FALSE;
		a->target.srtp = e->srtp;
		a->target.number = a->target.number ? a->target.number : e->number;
		a->target.display = a->target.display ? a->target.display : e->name;
		a->target.group = a->target.group ? a->target.group : e->cor;
		*driver = "sip";   /* until minet and tdm bring their own */
		return TRUE;
	}
	const bw_trunk *t = a->target.kind == BW_PARTY_TRUNK
				    ? g_hash_table_lookup(d->trunks, a->target.id) : NULL;
	if (!t)
		return FALSE;
	a->target.srtp = t->srtp;
	*driver = t->driver;
	return TRUE;
}

static gboolean originate_one(attempt_ctx *x, bw_call_attempt *a, const char *drvname,
			      guint timeout_s)
{
	bw_call *c = x->call;
	const bw_channel_driver *drv = driver_get(drvname);
	if (!drv)
		return attempt_fail(x, 503, "failed", "no channel driver \"%s\"", drvname);
	if (drv->reachable && !drv->reachable(&a->target))
		return attempt_fail(x, 480, "failed", "%s is not reachable", a->target.id);
	char *offer = NULL;
	c->target_srtp = a->target.srtp;
	const bw_media_v1 *media = media_get();
	char why[BW_CALL_REASON_MAX] = "";
	if (media && x->sdp) {
		offer = media->offer(c, c->in, NULL, x->sdp, why, sizeof why);
		if (!offer)
			return attempt_fail(x, 488, "failed", "media refused: %s", why);
	} else if (!x->sdp && (media || c->late)) {
		/* a delayed offer: only the media service can offer for the
		 * caller (without one, SDP is the drivers' business); a late
		 * call routed again after its media service left fails here */
		const bw_media_v2 *m2 = bw_service_lookup("media", 2);
		if (!m2 || !m2->originate)
			return attempt_fail(x, 488, "failed", "Delayed Offer Not Supported");
		offer = m2->originate(c, c->in, why, sizeof why);
		if (!offer)
			return attempt_fail(x, 488, "failed", "media cannot offer for a delayed "
					    "offer: %s", why);
	}
	const char *number = a->target_number[0] ? a->target_number
			     : a->target.number ? a->target.number : a->dialed;
	bw_originate o = { c, &c->caller, &a->target, number, offer ? offer : x->sdp,
			   timeout_s };
	bw_channel *out = NULL;
	int rc = drv->originate(&o, &out);
	g_free(offer);
	if (rc || !out) {
		if (out && !out->call)
			channel_free(out);
		return attempt_fail(x, 503, "failed", "%s cannot originate: %s", drvname,
				    g_strerror(rc ? rc : EIO));
	}
	out->call = c;
	out->srtp = a->target.srtp;
	g_ptr_array_add(c->legs, out);
	c->out = out;
	g_free(c->callee);
	c->callee = g_strndup(number, BW_CALL_TEXT_MAX);
	if (a->target.kind == BW_PARTY_TRUNK) {
		g_free(c->trunk);
		c->trunk = g_strndup(a->target.id, BW_CALL_TEXT_MAX);
	}
	c->state = CALL_RINGING;
	return TRUE;
}

static void note_add(bw_call *c, const char *text)
{
	if (!text || !*text)
		return;
	if (c->note[0])
		g_strlcat(c->note, "; ", sizeof c->note);
	g_strlcat(c->note, text, sizeof c->note);
}

static gboolean attempt_run(attempt_ctx *x, bw_call_type type, const char *dialed,
			    const char *forwarded_by);

/* The call goes on as a new attempt by the forwarding extension: the hooks
 * see a BW_CALL_FORWARD from the original caller, so the rules on forwards
 * (interconnect, CoS) judge where it ends up. Bounded: a loop of forwards
 * ends after BW_CALL_FORWARD_HOPS. */
static gboolean attempt_forward(attempt_ctx *x, const char *ext, const char *number,
				const char *why)
{
	bw_call *c = x->call;
	if (c->hops >= BW_CALL_FORWARD_HOPS)
		return attempt_fail(x, 482, "failed", "forward by %s to %s refused: more than %d "
				    "forwards in one call (a loop?)", ext, number, BW_CALL_FORWARD_HOPS);
	c->hops++;
	/* both may point into a snapshot or into the call: keep copies */
	char *by = g_strndup(ext, BW_CALL_NUMBER_MAX), *to = g_strndup(number, BW_CALL_NUMBER_MAX);
	g_free(c->forwarded_by);
	c->forwarded_by = g_strdup(by);
	char hop[12], *note = g_strdup_printf("forwarded by %s (%s) to %s", by, why, to);
	g_snprintf(hop, sizeof hop, "%u", c->hops);
	note_add(c, note);
	g_free(note);
	bw_event_emit("call.forwarded", "call_id", c->id, "forwarded_by", by, "number", to,
		      "reason", why, "hop", hop, NULL);
	gboolean ok = attempt_run(x, BW_CALL_FORWARD, to, by);
	g_free(by);
	g_free(to);
	return ok;
}

/* Rings the target, or follows the forward of an extension that forwards
 * always (or is unreachable and forwards on no answer). */
static gboolean target_ring(attempt_ctx *x, bw_call_attempt *a, const bw_directory *d,
			    const char *drv)
{
	bw_call *c = x->call;
	const bw_extension *e = a->target.kind == BW_PARTY_EXTENSION
					? g_hash_table_lookup(d->ext, a->target.id) : NULL;
	if (e && e->forward_always)
		return attempt_forward(x, e->number, e->forward_always, "always");
	g_free(c->ring_ext);
	c->ring_ext = e ? g_strdup(e->number) : NULL;
	g_free(c->ring_trunk);
	c->ring_trunk = a->target.kind == BW_PARTY_TRUNK ? g_strdup(a->target.id) : NULL;
	if (originate_one(x, a, drv, e && e->forward_noanswer ? e->forward_noanswer_s
							       : BW_CALL_NO_ANSWER_S))
		return TRUE;
	if (e && e->forward_noanswer && x->code == 480)
		return attempt_forward(x, e->number, e->forward_noanswer, "no answer");
	return FALSE;
}

/* ---- trunk fallback: a trunk that fails before answer with a "try
 * elsewhere" code is excluded and the attempt routed again ---- */

static gboolean retry_code(int code)
{
	return code == 408 || code == 480 || code == 486 ||
	       (code >= 500 && code <= 599 && code != 501);
}

static gboolean trunk_tried(const bw_call *c, const char *id)
{
	for (guint i = 0; c->tried && id && i + 1 < c->tried->len; i++)
		if (strcmp(g_ptr_array_index(c->tried, i), id) == 0)
			return TRUE;
	return FALSE;
}

static void attempt_reset(bw_call *c, bw_call_type type, const char *dialed, const char *by)
{
	char *d = g_strndup(dialed, BW_CALL_TEXT_MAX), *b = g_strdup(by);   /* may alias */
	g_free(c->at_dialed);
	g_free(c->at_by);
	c->at_dialed = d;
	c->at_by = b;
	c->at_type = type;
	c->routes = 0;
	if (c->tried)
		g_ptr_array_free(c->tried, TRUE);
	c->tried = NULL;
}

/* Excludes the failed trunk; FALSE when the attempt may not be routed again. */
static gboolean trunk_failed(bw_call *c, const char *trunk, int code)
{
	if (!trunk || !retry_code(code) || !c->at_dialed || c->routes >= BW_CALL_ROUTE_ATTEMPTS)
		return FALSE;
	if (!c->tried)
		c->tried = g_ptr_array_new_with_free_func(g_free);
	else
		g_ptr_array_remove_index(c->tried, c->tried->len - 1);   /* the NULL */
	g_ptr_array_add(c->tried, g_strndup(trunk, BW_CALL_TEXT_MAX));
	g_ptr_array_add(c->tried, NULL);
	char *note = g_strdup_printf("trunk %s failed (%d)", trunk, code);
	note_add(c, note);
	g_free(note);
	g_message("call %s: trunk %s failed with %d, routing again", c->id, trunk, code);
	return TRUE;
}

static void default_route(attempt_ctx *x, bw_call_attempt *a, bw_directory *d, gboolean *ok)
{
	if (!x->call->tried)   /* else the trunk's failure says more */
		attempt_fail(x, 404, "failed", "no route for the dialed number");
	for (guint n = 0; !*ok && bw_route_default(d, a, n); n++) {
		const char *drv = NULL;
		target_resolve(d, a, &drv);
		if (a->target.kind == BW_PARTY_TRUNK && trunk_tried(x->call, a->target.id))
			continue;
		*ok = drv && target_ring(x, a, d, drv);
	}
}

/* call.route, then the target; again while a trunk fails and may be
 * excluded (bounded by BW_CALL_ROUTE_ATTEMPTS). */
static gboolean attempt_route(attempt_ctx *x, bw_call_attempt *a, bw_verdict *v)
{
	bw_call *c = x->call;
	bw_directory *d = bw_directory_get();
	gboolean ok = FALSE, again = TRUE;
	char base_note[sizeof a->note];
	g_strlcpy(base_note, a->note, sizeof base_note);
	while (again) {
		const char *drv = NULL;
		again = FALSE;
		memset(&a->target, 0, sizeof a->target);
		a->target_number[0] = 0;
		g_strlcpy(a->note, base_note, sizeof a->note);
		a->tried_trunks = c->tried ? (const char *const *) c->tried->pdata : NULL;
		memset(v, 0, sizeof *v);
		c->routes++;
		bw_hook_result hr = bw_hook_run("call.route", a, v);
		if (hr == BW_HOOK_DENY) {
			attempt_fail(x, v->code >= 300 ? sane_final(v->code) : 403, "denied", "%s",
				     v->reason);
		} else if (hr == BW_HOOK_STOP && a->target.kind == BW_PARTY_TRUNK &&
			   trunk_tried(c, a->target.id)) {
			default_route(x, a, d, &ok);   /* a hook that ignores tried_trunks */
		} else if (hr == BW_HOOK_STOP) {
			if (!target_resolve(d, a, &drv) && a->target.kind == BW_PARTY_TRUNK) {
				/* an ARS candidate not provisioned: the next one */
				attempt_fail(x, 503, "failed", "trunk %s is not provisioned",
					     a->target.id ? a->target.id : "?");
				again = trunk_failed(c, a->target.id, 503);
			} else if (!drv)
				attempt_fail(x, 404, "failed", "routed to an unknown target");
			else if (!(ok = target_ring(x, a, d, drv)))
				again = a->target.kind == BW_PARTY_TRUNK &&
					trunk_failed(c, a->target.id, x->code);
		} else {
			default_route(x, a, d, &ok);
		}
	}
	a->tried_trunks = NULL;   /* the array may go with the next attempt */
	bw_directory_unref(d);
	return ok;
}

/* A trunk leg failed before answer: route the same attempt again without
 * it; the caller's leg keeps ringing meanwhile. FALSE when it may not. */
static gboolean failed_reroute(bw_call *c, int code, const char *cause)
{
	if (!trunk_failed(c, c->ring_trunk, code))
		return FALSE;
	attempt_ctx x = { .call = c, .sdp = c->offer };
	attempt_fail(&x, code, disposition_for(code), "%s", cause);
	/* no account code: its PIN is gone, and a code without one must not
	 * count as a wrong PIN; the call was authorized already */
	bw_call_attempt a = { .call_id = c->id, .caller = c->caller, .dialed = c->at_dialed,
			      .type = c->at_type, .forwarded_by = c->at_by };
	bw_verdict v = { 0 };
	c->out = NULL;
	c->state = CALL_ROUTING;
	if (!attempt_route(&x, &a, &v))
		end_call(c, x.disposition, x.code, x.reason);
	return TRUE;
}

/* One attempt: the call's own (forwarded_by NULL, dialed the call's) or a
 * forward's, which dials `dialed` for the extension forwarded_by. */
static gboolean attempt_run(attempt_ctx *x, bw_call_type type, const char *dialed,
			    const char *forwarded_by)
{
	bw_call *c = x->call;
	bw_call_attempt a = { .call_id = c->id, .caller = c->caller, .dialed = dialed,
			      .type = type, .forwarded_by = forwarded_by };
	bw_verdict v = { 0 };
	gboolean ok;
	bw_hook_result hr = bw_hook_run("call.authorize", &a, &v);
	/* An authorize hook may take an account code and PIN off the dialed
	 * string: record and publish only what is left, never the PIN. */
	if (!forwarded_by && a.dialed != c->dialed && a.dialed) {
		char *clean = g_strndup(a.dialed, BW_CALL_TEXT_MAX);
		g_free(c->dialed);
		c->dialed = clean;
		a.dialed = c->dialed;
	}
	if (!forwarded_by)
		bw_event_emit("call.started", "call_id", c->id, "caller", c->caller_number,
			      "caller_name", c->caller_name ? c->caller_name : "", "dialed",
			      c->dialed, NULL);
	attempt_reset(c, type, a.dialed, forwarded_by);
	if (hr == BW_HOOK_DENY)
		ok = attempt_fail(x, v.code >= 300 ? sane_final(v.code) : 403, "denied", "%s",
				  v.reason[0] ? v.reason : "not allowed");
	else
		ok = attempt_route(x, &a, &v);
	if (a.account_code && !c->account_code)
		c->account_code = g_strndup(a.account_code, BW_CALL_TEXT_MAX);
	note_add(c, a.note);
	return ok;
}

static gboolean incoming_checks(bw_channel *in, const bw_party *caller, const char *dialed,
				int *code, char *reason, gsize reason_len)
{
	const char *why = NULL;
	*code = 400;
	if (!in || in->call || !caller || !dialed || !*dialed || strlen(dialed) > 64)
		why = "bad call attempt";
	else if (!calls)
		why = "the call engine is not running", *code = 503;
	else if (g_atomic_int_get(&n_active) >= g_atomic_int_get(&max_calls))
		why = "too many calls", *code = 503;
	if (!why)
		return TRUE;
	copy_reason(reason, reason_len, why);
	return FALSE;
}

bw_call *bw_call_incoming(bw_channel *in, const bw_party *caller, const char *dialed,
			  const char *sdp_offer, bw_call_type type, int *code,
			  char *reason, gsize reason_len)
{
	int dummy;
	code = code ? code : &dummy;
	if (!incoming_checks(in, caller, dialed, code, reason, reason_len)) {
		if (in && !in->call)
			channel_free(in);
		return NULL;
	}
	bw_call *c = call_new(in, caller, dialed);
	g_hash_table_insert(calls, c->id, c);
	bw_metric_set(metric(TRUE), g_atomic_int_add(&n_active, 1) + 1);
	bw_metric_add(metric(FALSE), 1);
	call_enter(c);
	c->offer = g_strdup(sdp_offer);
	c->late = sdp_offer == NULL && bw_call_delayed_offer_ok();
	attempt_ctx x = { .call = c, .sdp = c->offer };
	gboolean ok = attempt_run(&x, type, c->dialed, NULL);
	if (!ok) {
		*code = x.code;
		copy_reason(reason, reason_len, x.reason);
		in->gone = TRUE;   /* the driver answers *code itself */
		end_call(c, x.disposition, x.code, x.reason);
	}
	call_leave(c);
	return ok ? c : NULL;
}

/* ---- reports from the legs ---- */

/* The call of a live leg, entered; NULL (with a debug line) otherwise. */
static bw_call *leg_call(bw_channel *ch, const char *what)
{
	bw_call *c = ch ? ch->call : NULL;
	if (!c || c->state == CALL_ENDED || ch->gone) {
		g_debug("call engine: %s on a leg without a live call ignored", what);
		return NULL;
	}
	call_enter(c);
	return c;
}

static char *media_pass(bw_call *c, gboolean offer, bw_channel *from, bw_channel *to,
			const char *sdp, gboolean *refused)
{
	const bw_media_v1 *media = media_get();
	*refused = FALSE;
	if (!media || !sdp)
		return g_strdup(sdp);
	char why[BW_CALL_REASON_MAX] = "";
	char *s = offer ? media->offer(c, from, to, sdp, why, sizeof why)
			: media->answer(c, from, to, sdp, why, sizeof why);
	if (!s) {
		g_warning("call %s: media refused an %s: %s", c->id, offer ? "offer" : "answer", why);
		*refused = TRUE;
	}
	return s;
}

static void leg_driver_call(bw_channel *ch, int what, int code, const char *sdp)
{
	const bw_channel_driver *d = ch->gone ? NULL : driver_get(ch->driver);
	if (!d)
		return;
	if (what == 0)
		d->progress(ch, code, sdp);
	else if (what == 1)
		d->answer(ch, sdp);
	else
		d->update(ch, sdp);
}

void bw_channel_ringing(bw_channel *out, int code, const char *sdp)
{
	bw_call *c = leg_call(out, "ringing");
	if (!c)
		return;
	if (out == c->out && c->state == CALL_RINGING) {
		gboolean refused;
		/* delayed offer: the callee's early SDP is not the caller's to
		 * see (it asked for an offer, which only the 200 carries) */
		char *s = c->late ? NULL : media_pass(c, FALSE, out, c->in, sdp, &refused);
		leg_driver_call(c->in, 0, code >= 180 && code <= 199 ? code : 180, s);
		g_free(s);
		if (!c->ringing) {
			c->ringing = g_get_real_time();
			char *cs = g_strdup_printf("%d", code);
			bw_event_emit("call.ringing", "call_id", c->id, "code", cs, NULL);
			g_free(cs);
		}
	}
	call_leave(c);
}

static void call_answered(bw_call *c)
{
	c->state = CALL_ANSWERED;
	c->answer = g_get_real_time();
	bw_event_emit("call.answered", "call_id", c->id, "callee", c->callee ? c->callee : "",
		      NULL);
}

/* The late window is over without the caller's answer: the driver did not
 * end the call (libre's no-ACK limit is the same 32 s), so the engine does. */
static void late_expired(void *arg)
{
	bw_call *c = arg;
	if (c->state != CALL_ANSWERING)
		return;
	call_enter(c);
	char cause[BW_CALL_REASON_MAX];
	g_snprintf(cause, sizeof cause, "delayed offer: no ACK with the caller's answer within "
		   "%u ms of our 200", late_window_ms);
	g_warning("call %s: %s; ending the call", c->id, cause);
	end_call(c, "failed", 408, cause);
	call_leave(c);
}

/* The callee answered a delayed-offer call: its answer becomes our offer
 * to the caller, only through a media service of version 2 (a provider
 * that left or came back as version 1 must not see this: the callee's own
 * address and keys would reach the caller). FALSE: the call was ended. */
static gboolean late_callee_answered(bw_call *c, bw_channel *out, const char *sdp)
{
	const bw_media_v2 *m2 = bw_service_lookup("media", 2);
	char why[BW_CALL_REASON_MAX] = "", cause[BW_CALL_REASON_MAX];
	char *s = NULL;
	if (!sdp)
		g_strlcpy(cause, "delayed offer: the callee answered our offer without SDP",
			  sizeof cause);
	else if (!m2 || !m2->originate)
		g_strlcpy(cause, "delayed offer: the media service is gone, nothing can offer "
			  "to the caller", sizeof cause);
	else if (!(s = m2->v1.answer(c, out, c->in, sdp, why, sizeof why)))
		g_snprintf(cause, sizeof cause, "delayed offer: media refused the callee's "
			   "answer: %s", why);
	if (!s) {
		g_warning("call %s: %s; ending the call", c->id, cause);
		end_call(c, "failed", 488, cause);
		return FALSE;
	}
	c->state = CALL_ANSWERING;
	tmr_start(&c->late_tmr, late_window_ms, late_expired, c);
	leg_driver_call(c->in, 1, 0, s);
	g_free(s);
	return TRUE;
}

void bw_channel_answered(bw_channel *out, const char *sdp)
{
	bw_call *c = leg_call(out, "answer");
	if (!c)
		return;
	/* a second answer (another fork) is the driver's to end, not ours */
	if (out == c->out && c->state == CALL_RINGING && c->late) {
		late_callee_answered(c, out, sdp);
	} else if (out == c->out && c->state == CALL_RINGING) {
		gboolean refused = FALSE;
		char *s = media_pass(c, FALSE, out, c->in, sdp, &refused);
		if (refused) {
			end_call(c, "failed", 488, "media refused the answer");
		} else {
			call_answered(c);
			leg_driver_call(c->in, 1, 0, s);
		}
		g_free(s);
	}
	call_leave(c);
}

/* Busy or no answer at an extension that forwards on it: the caller's leg
 * stays and the call goes on as a forward. FALSE when there is none. */
static gboolean failed_forward(bw_call *c, int code)
{
	gboolean busy = code == 486 || code == 600;
	bw_extension *e = c->ring_ext ? bw_extension_lookup(c->ring_ext) : NULL;
	const char *to = !e ? NULL : busy ? e->forward_busy
			 : code == 408 || code == 480 ? e->forward_noanswer : NULL;
	if (to) {
		attempt_ctx x = { .call = c, .sdp = c->offer };
		c->out = NULL;
		c->state = CALL_ROUTING;
		if (!attempt_forward(&x, e->number, to, busy ? "busy" : "no answer"))
			end_call(c, x.disposition, x.code, x.reason);
	}
	bw_extension_free(e);
	return to != NULL;
}

void bw_channel_failed(bw_channel *out, int code, const char *reason)
{
	bw_call *c = leg_call(out, "failure");
	if (!c)
		return;
	if (c->state == CALL_ANSWERED || c->state == CALL_ANSWERING) {
		call_leave(c);
		bw_channel_hungup(out, reason);
		return;
	}
	out->gone = TRUE;
	code = sane_final(code);
	if (out == c->out && failed_forward(c, code)) {
		call_leave(c);
		return;
	}
	char *cause = g_strdup_printf("%d %s", code, reason ? reason : "");
	if (out != c->out || !failed_reroute(c, code, cause))
		end_call(c, disposition_for(code), code, cause);
	g_free(cause);
	call_leave(c);
}

static bw_channel *other_leg(const bw_call *c, const bw_channel *ch)
{
	return ch == c->in ? c->out : ch == c->out ? c->in : NULL;
}

void bw_channel_reoffer(bw_channel *ch, const char *sdp)
{
	bw_call *c = leg_call(ch, "re-offer");
	if (!c)
		return;
	bw_channel *other = other_leg(c, ch);
	if (c->state != CALL_ANSWERED || !other) {
		/* a driver answers such an offer 491 itself (bw_call_late_pending) */
		g_warning("call %s: re-offer before the answer ignored", c->id);
	} else {
		gboolean refused;
		char *s = media_pass(c, TRUE, ch, other, sdp, &refused);
		if (refused) {
			end_call(c, "answered", 488, "media refused a re-offer");
		} else {
			other->update_from = ch;
			leg_driver_call(other, 2, 0, s);
		}
		g_free(s);
	}
	call_leave(c);
}

void bw_channel_updated(bw_channel *ch, const char *sdp)
{
	bw_call *c = leg_call(ch, "update answer");
	if (!c)
		return;
	bw_channel *from = ch->update_from;
	ch->update_from = NULL;
	if (!from || from->gone) {
		g_debug("call %s: an answer nobody offered for ignored", c->id);
	} else {
		gboolean refused;
		char *s = media_pass(c, FALSE, ch, from, sdp, &refused);
		if (refused)
			end_call(c, "answered", 488, "media refused an answer to a re-offer");
		else
			leg_driver_call(from, 1, 0, s);
		g_free(s);
	}
	call_leave(c);
}

gboolean bw_call_delayed_offer_ok(void)
{
	const bw_media_v2 *media = bw_service_lookup("media", 2);
	return media && media->originate;
}

gboolean bw_call_late_pending(const bw_call *call)
{
	return call && call->state == CALL_ANSWERING;
}

void bw_channel_late_answer(bw_channel *in, const char *sdp)
{
	bw_call *c = leg_call(in, "delayed-offer answer");
	if (!c)
		return;
	if (in != c->in || c->state != CALL_ANSWERING || !c->out) {
		g_warning("call %s: an answer in an ACK nobody asked for ignored", c->id);
		call_leave(c);
		return;
	}
	tmr_cancel(&c->late_tmr);
	const bw_media_v1 *media = media_get();
	char why[BW_CALL_REASON_MAX] = "the media service is gone";
	char *s = sdp && media ? media->answer(c, in, c->out, sdp, why, sizeof why) : NULL;
	if (!s) {
		char cause[BW_CALL_REASON_MAX];
		if (!sdp)
			g_strlcpy(cause, "delayed offer: the caller's ACK carried no SDP answer",
				  sizeof cause);
		else
			g_snprintf(cause, sizeof cause, "delayed offer: the caller's answer in its "
				   "ACK is unusable: %s", why);
		g_warning("call %s: %s; ending the call", c->id, cause);
		end_call(c, "failed", 488, cause);
	} else {
		call_answered(c);
	}
	g_free(s);
	call_leave(c);
}

void bw_channel_hungup(bw_channel *ch, const char *cause)
{
	if (ch && !ch->call) {
		channel_free(ch);   /* never part of a call */
		return;
	}
	bw_call *c = leg_call(ch, "hang-up");
	if (!c)
		return;
	ch->gone = TRUE;
	char *why = g_strdup_printf("%s hung up%s%s", ch == c->in ? "caller" : "callee",
				    cause && *cause ? ": " : "", cause ? cause : "");
	if (c->state == CALL_ANSWERED)
		end_call(c, "answered", 0, why);
	else if (c->state == CALL_ANSWERING)
		end_call(c, "failed", 0, why);   /* nobody heard anything: not billed */
	else if (ch == c->in)
		end_call(c, "cancelled", 487, why);
	else if (ch == c->out)
		end_call(c, "failed", 480, why);
	g_free(why);
	call_leave(c);
}

/* ---- engine state ---- */

static const char *state_name(call_state s)
{
	static const char *const names[] = { "routing", "ringing", "answering", "answered",
						     "ended" };
	return names[s];
}

void bw_calls_describe(GString *out)
{
	GList *list = calls ? g_hash_table_get_values(calls) : NULL;
	gint64 now = g_get_real_time();
	for (GList *l = list; l; l = l->next) {
		const bw_call *c = l->data;
		g_string_append_printf(out, "%s %s %s %s %" G_GINT64_FORMAT "s %s/%s\n", c->id,
				       c->caller_number, c->callee ? c->callee : c->dialed,
				       state_name(c->state), (now - c->start) / G_USEC_PER_SEC,
				       c->in->secure ? "yes" : "no",
				       c->out && c->out->secure ? "yes" : "no");
	}
	g_list_free(list);
}

void bw_calls_end_all(const char *cause)
{
	GList *list = calls ? g_hash_table_get_values(calls) : NULL;
	for (GList *l = list; l; l = l->next) {
		bw_call *c = l->data;
		end_call(c, c->state == CALL_ANSWERED ? "answered" : "failed", 503, cause);
	}
	g_list_free(list);
}

void bw_calls_table_init(void)
{
	if (!calls)
		calls = g_hash_table_new(g_str_hash, g_str_equal);
	metric(TRUE);
}

void bw_calls_table_fini(void)
{
	bw_calls_end_all("shutdown");
	g_clear_pointer(&calls, g_hash_table_destroy);
}
