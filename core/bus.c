/* The event bus: immutable refcounted events and per-subscriber queues.
 *
 * Contract (bulwark/bus.h): an event is built privately, then published
 * from any thread; publish stamps time and a global sequence number and
 * never waits for a consumer. Each subscriber owns a bounded ring under its
 * own mutex; a full ring drops its OLDEST event and counts it. Delivery runs
 * in a custom GSource on the subscriber's GMainContext, woken (ready time 0)
 * when its ring goes from empty to non-empty while the subscriber is idle;
 * a dispatch drains one batch. After a dispatch that delivered something the
 * subscriber lingers BW_BUS_LINGER_US if it was dispatched less than twice
 * that before (busy; an idle one is woken per event as before, cheaper than
 * a timer that finds nothing): events published meanwhile wait for
 * that timer instead of waking the context one by one (at thousands of
 * events a second the wakeups cost the publisher a syscall each and the
 * consumer a context switch each); a dispatch that finds nothing ends the
 * linger; a ring half full ends it too, so a burst is not dropped for the
 * wait. An iteration of the context for any other reason delivers them
 * at once (prepare), so a pending event always means a ready source. The
 * subscriber list is a plain array read under a GRWLock on every publish, so
 * unsubscribe (writer) knows that no publisher still touches the
 * subscriber once it has removed it. Events left queued at unsubscribe count
 * as dropped, so published x matching subscribers == delivered + dropped.
 *
 * Layout: an event is one allocation in the common case (type and a few
 * short fields live inline); bigger events spill their strings and offsets
 * to the heap, bounded by BW_EVENT_MAX_FIELDS and BW_EVENT_MAX_BYTES. */
#define _POSIX_C_SOURCE 200809L   /* gmtime_r, strnlen */
#define G_LOG_DOMAIN "bus"
#include "businternal.h"

#include <bulwark/bus.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define BW_EVENT_INLINE_BYTES  200
#define BW_EVENT_INLINE_FIELDS 8
#define BW_EVENT_MAX_FIELDS    64
#define BW_EVENT_MAX_BYTES     (64 * 1024)
#define BW_EVENT_MAX_NAME      128   /* type and keys */
#define BW_BUS_QUEUE_MAX       (256 * 1024)
#define BW_BUS_GLOB_MAX        256
#define BW_BUS_BATCH           64
#define BW_BUS_LINGER_US       1000

#if !GLIB_CHECK_VERSION(2, 70, 0)
#define g_pattern_spec_match_string g_pattern_match_string
#endif

struct bw_event {
	gint     refs;
	gint     published;
	guint64  seq;
	gint64   time;
	guint32  used, cap;         /* bytes of str in use / allocated */
	guint16  nfields, fcap;
	char    *str;               /* "type\0key\0value\0..." */
	guint32 *off;               /* key and value offsets into str */
	guint32  inl_off[2 * BW_EVENT_INLINE_FIELDS];
	char     inl_str[BW_EVENT_INLINE_BYTES];
};

struct bw_sub {
	GSource        source;      /* first: the sub is the GSource */
	GMutex         lock;        /* guards ring, head, len, closed */
	bw_event     **ring;
	guint          cap, head, len;
	gint           closed;
	gboolean       lingering;   /* a timer dispatch is due: no wake */
	gint64         last_dispatch; /* µs, monotonic (context time) */
	gboolean       match_all;
	GPatternSpec  *pattern;
	char          *glob;
	bw_event_fn    fn;
	void          *user_data;
	atomic_uint_fast64_t delivered;
	atomic_uint_fast64_t dropped;
};

static atomic_uint_fast64_t bus_seq;        /* == events published */
static atomic_uint_fast64_t bus_delivered;
static atomic_uint_fast64_t bus_dropped;
static gint     bus_nsubs;                  /* atomic: publish fast path */
static GRWLock  bus_lock;                   /* guards bus_subs/_len/_cap */
static bw_sub **bus_subs;
static guint    bus_subs_len, bus_subs_cap;
static gint     bus_warned_size;

/* ---- events ---- */

static gboolean bw_event_name_ok(const char *s)
{
	size_t n = 0;
	if (!s || !*s)
		return FALSE;
	for (; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];
		if (n >= BW_EVENT_MAX_NAME || c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\')
			return FALSE;
	}
	return TRUE;
}

bw_event *bw_event_new(const char *type)
{
	bw_event *ev;
	size_t n;

	if (!bw_event_name_ok(type)) {
		g_warning("bw_event_new: refused event type \"%.64s\": "
			  "want 1-%d printable characters without space, '=', quote or backslash",
			  type ? type : "(null)", BW_EVENT_MAX_NAME - 1);
		return NULL;
	}
	ev = g_new(bw_event, 1);
	n = strlen(type) + 1;
	ev->refs = 1;
	ev->published = 0;
	ev->seq = 0;
	ev->time = 0;
	ev->str = ev->inl_str;
	ev->cap = BW_EVENT_INLINE_BYTES;
	ev->off = ev->inl_off;
	ev->fcap = BW_EVENT_INLINE_FIELDS;
	ev->nfields = 0;
	memcpy(ev->str, type, n);
	ev->used = (guint32)n;
	return ev;
}

/* Warn once per process: an oversized event is a bug in its emitter, and a
 * warning per event could flood the log. The value is never logged. */
static void bw_event_warn_size(const bw_event *ev, const char *key, const char *why)
{
	if (g_atomic_int_compare_and_exchange(&bus_warned_size, 0, 1))
		g_warning("bw_event_add: field \"%s\" of event %s dropped: %s "
			  "(further such drops are silent)", key, ev->str, why);
}

static gboolean bw_event_grow_str(bw_event *ev, guint32 need)
{
	guint32 cap = ev->cap;
	if ((guint64)ev->used + need > BW_EVENT_MAX_BYTES)
		return FALSE;
	while (cap < ev->used + need)
		cap *= 2;
	if (cap > BW_EVENT_MAX_BYTES)
		cap = BW_EVENT_MAX_BYTES;
	if (ev->str == ev->inl_str) {
		ev->str = g_malloc(cap);
		memcpy(ev->str, ev->inl_str, ev->used);
	} else {
		ev->str = g_realloc(ev->str, cap);
	}
	ev->cap = cap;
	return TRUE;
}

static void bw_event_grow_fields(bw_event *ev)
{
	guint16 fcap = (guint16)MIN(ev->fcap * 2, BW_EVENT_MAX_FIELDS);
	if (ev->off == ev->inl_off) {
		ev->off = g_new(guint32, 2 * (gsize)fcap);
		memcpy(ev->off, ev->inl_off, sizeof ev->inl_off);
	} else {
		ev->off = g_renew(guint32, ev->off, 2 * (gsize)fcap);
	}
	ev->fcap = fcap;
}

void bw_event_add(bw_event *ev, const char *key, const char *value)
{
	size_t kn, vn;

	if (!ev)
		return;
	if (g_atomic_int_get(&ev->published)) {
		g_warning("bw_event_add: event %s is published and immutable; "
			  "field \"%.64s\" ignored", ev->str, key ? key : "(null)");
		return;
	}
	if (!bw_event_name_ok(key)) {
		g_warning("bw_event_add: event %s: refused field name \"%.64s\": "
			  "want 1-%d printable characters without space, '=', quote or backslash",
			  ev->str, key ? key : "(null)", BW_EVENT_MAX_NAME - 1);
		return;
	}
	if (!value)
		value = "";
	kn = strlen(key) + 1;
	vn = strnlen(value, BW_EVENT_MAX_BYTES) + 1;
	if (ev->nfields >= BW_EVENT_MAX_FIELDS) {
		bw_event_warn_size(ev, key, "too many fields");
		return;
	}
	if (vn > BW_EVENT_MAX_BYTES || (ev->used + kn + vn > ev->cap &&
					!bw_event_grow_str(ev, (guint32)(kn + vn)))) {
		bw_event_warn_size(ev, key, "event larger than 64 KiB");
		return;
	}
	if (ev->nfields == ev->fcap)
		bw_event_grow_fields(ev);
	ev->off[2 * ev->nfields] = ev->used;
	memcpy(ev->str + ev->used, key, kn);
	ev->used += (guint32)kn;
	ev->off[2 * ev->nfields + 1] = ev->used;
	memcpy(ev->str + ev->used, value, vn - 1);
	ev->str[ev->used + vn - 1] = '\0';
	ev->used += (guint32)vn;
	ev->nfields++;
}

void bw_event_addf(bw_event *ev, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *value;

	if (!ev)
		return;
	va_start(ap, fmt);
	value = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	bw_event_add(ev, key, value);
	g_free(value);
}

bw_event *bw_event_ref(bw_event *ev)
{
	if (ev)
		g_atomic_int_inc(&ev->refs);
	return ev;
}

void bw_event_unref(bw_event *ev)
{
	if (!ev || !g_atomic_int_dec_and_test(&ev->refs))
		return;
	if (ev->str != ev->inl_str)
		g_free(ev->str);
	if (ev->off != ev->inl_off)
		g_free(ev->off);
	g_free(ev);
}

const char *bw_event_type(const bw_event *ev) { return ev ? ev->str : NULL; }
guint       bw_event_nfields(const bw_event *ev) { return ev ? ev->nfields : 0; }
guint64     bw_event_seq(const bw_event *ev) { return ev ? ev->seq : 0; }
gint64      bw_event_time(const bw_event *ev) { return ev ? ev->time : 0; }

const char *bw_event_key(const bw_event *ev, guint i)
{
	return ev && i < ev->nfields ? ev->str + ev->off[2 * i] : NULL;
}

const char *bw_event_value(const bw_event *ev, guint i)
{
	return ev && i < ev->nfields ? ev->str + ev->off[2 * i + 1] : NULL;
}

/* The first field of that name: duplicates are kept in order. */
const char *bw_event_get(const bw_event *ev, const char *key)
{
	if (!ev || !key)
		return NULL;
	for (guint i = 0; i < ev->nfields; i++)
		if (strcmp(ev->str + ev->off[2 * i], key) == 0)
			return ev->str + ev->off[2 * i + 1];
	return NULL;
}

static gboolean bw_event_needs_quotes(const char *v, gboolean utf8)
{
	if (!*v)
		return TRUE;
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c <= ' ' || c == 0x7f || c == '"' || c == '\\' || c == '=' || (!utf8 && c >= 0x80))
			return TRUE;
	}
	return FALSE;
}

/* Quoted and escaped so that one event stays one line whatever the value:
 * controls become \n, \r, \t or \xHH; bytes of invalid UTF-8 become \xHH. */
static void bw_event_append_value(GString *out, const char *v)
{
	gboolean utf8 = g_utf8_validate(v, -1, NULL);

	if (!bw_event_needs_quotes(v, utf8)) {
		g_string_append(out, v);
		return;
	}
	g_string_append_c(out, '"');
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		switch (c) {
		case '"':  g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (c < ' ' || c == 0x7f || (!utf8 && c >= 0x80))
				g_string_append_printf(out, "\\x%02x", c);
			else
				g_string_append_c(out, (char)c);
		}
	}
	g_string_append_c(out, '"');
}

/* "2024-05-01T10:00:00.123456Z type key=value ..." */
char *bw_event_format(const bw_event *ev)
{
	GString *out;
	time_t secs;
	struct tm tm;
	char stamp[40];

	if (!ev)
		return NULL;
	secs = (time_t)(ev->time / G_USEC_PER_SEC);
	if (!gmtime_r(&secs, &tm) ||
	    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		g_strlcpy(stamp, "1970-01-01T00:00:00", sizeof stamp);
	out = g_string_sized_new(64 + ev->used);
	g_string_append_printf(out, "%s.%06dZ %s", stamp,
			       (int)(ev->time % G_USEC_PER_SEC), ev->str);
	for (guint i = 0; i < ev->nfields; i++) {
		g_string_append_printf(out, " %s=", bw_event_key(ev, i));
		bw_event_append_value(out, bw_event_value(ev, i));
	}
	return g_string_free(out, FALSE);
}

/* ---- subscribers ---- */

/* Called by publishers with bus_lock read-held, so sub is alive. */
static void bw_sub_push(bw_sub *sub, bw_event *ev)
{
	bw_event *old = NULL;
	gboolean wake;

	g_mutex_lock(&sub->lock);
	if (sub->closed) {
		g_mutex_unlock(&sub->lock);
		return;
	}
	/* Lingering, a ring half full wakes the consumer early: a burst
	 * must not overflow it while the timer waits. */
	wake = sub->lingering ? sub->len + 1 == (sub->cap + 1) / 2 : sub->len == 0;
	if (sub->len == sub->cap) {
		old = sub->ring[sub->head];
		sub->head = (sub->head + 1) % sub->cap;
		sub->len--;
		atomic_fetch_add_explicit(&sub->dropped, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&bus_dropped, 1, memory_order_relaxed);
	}
	sub->ring[(sub->head + sub->len) % sub->cap] = bw_event_ref(ev);
	sub->len++;
	g_mutex_unlock(&sub->lock);
	/* Outside the ring lock: it takes the context lock and wakes its
	 * thread. A late wake on an already drained ring only costs one
	 * empty dispatch; an early one cannot be lost (see dispatch). */
	if (wake)
		g_source_set_ready_time(&sub->source, 0);
	bw_event_unref(old);
}

static void bw_bus_deliver(bw_event *ev)
{
	g_rw_lock_reader_lock(&bus_lock);
	for (guint i = 0; i < bus_subs_len; i++) {
		bw_sub *sub = bus_subs[i];
		if (sub->match_all || g_pattern_spec_match_string(sub->pattern, ev->str))
			bw_sub_push(sub, ev);
	}
	g_rw_lock_reader_unlock(&bus_lock);
}

void bw_event_publish(bw_event *ev)
{
	if (!ev)
		return;
	if (!g_atomic_int_compare_and_exchange(&ev->published, 0, 1)) {
		g_warning("bw_event_publish: event %s (seq %" G_GUINT64_FORMAT
			  ") was already published; not published again", ev->str, ev->seq);
		bw_event_unref(ev);
		return;
	}
	ev->time = g_get_real_time();
	ev->seq = atomic_fetch_add_explicit(&bus_seq, 1, memory_order_relaxed) + 1;
	if (g_atomic_int_get(&bus_nsubs) > 0)
		bw_bus_deliver(ev);
	bw_event_unref(ev);
}

/* A NULL value ends the list too, so that a missing value cannot make us
 * read past the caller's arguments. */
void bw_event_emit(const char *type, ...)
{
	bw_event *ev = bw_event_new(type);
	const char *key, *value;
	va_list ap;

	va_start(ap, type);
	while ((key = va_arg(ap, const char *))) {
		value = va_arg(ap, const char *);
		bw_event_add(ev, key, value);
		if (!value)
			break;
	}
	va_end(ap);
	bw_event_publish(ev);
}

/* Events queued while lingering are ready now if the context iterates
 * anyway; the context lock is not held here, so the ring lock may be. */
static gboolean bw_sub_prepare(GSource *source, gint *timeout)
{
	bw_sub *sub = (bw_sub *)source;
	gboolean ready;

	*timeout = -1;
	g_mutex_lock(&sub->lock);
	ready = sub->len > 0;
	g_mutex_unlock(&sub->lock);
	return ready;
}

/* Pops one batch under the lock, then runs callbacks without it. The ready
 * time and the linger change only under the lock: a publisher that fills
 * the ring afterwards either sees len 0 and not lingering, and wakes us, or
 * knows that the linger timer will come. The source is blocked while it
 * dispatches, so these ready times wake nobody. */
static gboolean bw_sub_dispatch(GSource *source, GSourceFunc cb, gpointer data)
{
	bw_sub *sub = (bw_sub *)source;
	bw_event *batch[BW_BUS_BATCH];
	guint n = 0, done = 0;
	gint64 now = g_source_get_time(source);

	g_mutex_lock(&sub->lock);
	while (n < BW_BUS_BATCH && sub->len > 0) {
		batch[n++] = sub->ring[sub->head];
		sub->head = (sub->head + 1) % sub->cap;
		sub->len--;
	}
	if (sub->len > 0) {
		g_source_set_ready_time(source, 0);
	} else if (n > 0 && now - sub->last_dispatch < 2 * BW_BUS_LINGER_US) {
		sub->lingering = TRUE;
		g_source_set_ready_time(source, now + BW_BUS_LINGER_US);
	} else {
		sub->lingering = FALSE;
		g_source_set_ready_time(source, -1);
	}
	sub->last_dispatch = now;
	g_mutex_unlock(&sub->lock);

	/* closed is set by bw_bus_unsubscribe, possibly from a callback. */
	for (; done < n && !g_atomic_int_get(&sub->closed); done++)
		sub->fn(batch[done], sub->user_data);
	atomic_fetch_add_explicit(&sub->delivered, done, memory_order_relaxed);
	atomic_fetch_add_explicit(&bus_delivered, done, memory_order_relaxed);
	if (done < n)
		atomic_fetch_add_explicit(&bus_dropped, n - done, memory_order_relaxed);
	for (guint i = 0; i < n; i++)
		bw_event_unref(batch[i]);
	return G_SOURCE_CONTINUE;
}

static void bw_sub_finalize(GSource *source)
{
	bw_sub *sub = (bw_sub *)source;

	for (guint i = 0; i < sub->len; i++)
		bw_event_unref(sub->ring[(sub->head + i) % sub->cap]);
	g_free(sub->ring);
	g_pattern_spec_free(sub->pattern);
	g_free(sub->glob);
	g_mutex_clear(&sub->lock);
}

static GSourceFuncs bw_sub_funcs = {
	.prepare = bw_sub_prepare,
	.dispatch = bw_sub_dispatch,
	.finalize = bw_sub_finalize,
};

static void bw_bus_list_add(bw_sub *sub)
{
	g_rw_lock_writer_lock(&bus_lock);
	if (bus_subs_len == bus_subs_cap) {
		bus_subs_cap = bus_subs_cap ? bus_subs_cap * 2 : 16;
		bus_subs = g_renew(bw_sub *, bus_subs, bus_subs_cap);
	}
	bus_subs[bus_subs_len++] = sub;
	g_atomic_int_inc(&bus_nsubs);
	g_rw_lock_writer_unlock(&bus_lock);
}

static gboolean bw_bus_list_remove(bw_sub *sub)
{
	gboolean found = FALSE;

	g_rw_lock_writer_lock(&bus_lock);
	for (guint i = 0; i < bus_subs_len; i++) {
		if (bus_subs[i] != sub)
			continue;
		memmove(&bus_subs[i], &bus_subs[i + 1], (bus_subs_len - i - 1) * sizeof *bus_subs);
		bus_subs_len--;
		g_atomic_int_add(&bus_nsubs, -1);
		found = TRUE;
		break;
	}
	g_rw_lock_writer_unlock(&bus_lock);
	return found;
}

bw_sub *bw_bus_subscribe(const char *glob, GMainContext *ctx, guint queue_max,
			 bw_event_fn fn, void *user_data)
{
	bw_sub *sub;

	if (!glob || !*glob || strlen(glob) > BW_BUS_GLOB_MAX || !fn) {
		g_warning("bw_bus_subscribe: refused subscription \"%.64s\": %s",
			  glob ? glob : "(null)",
			  !fn ? "no callback" : "glob must be 1-256 characters");
		return NULL;
	}
	if (queue_max == 0)
		queue_max = BW_BUS_QUEUE_DEFAULT;
	if (queue_max > BW_BUS_QUEUE_MAX) {
		g_warning("bw_bus_subscribe: queue of %u events for \"%s\" "
			  "capped at %u to bound memory", queue_max, glob, BW_BUS_QUEUE_MAX);
		queue_max = BW_BUS_QUEUE_MAX;
	}
	sub = (bw_sub *)g_source_new(&bw_sub_funcs, sizeof *sub);
	g_mutex_init(&sub->lock);
	sub->ring = g_new(bw_event *, queue_max);
	sub->cap = queue_max;
	sub->glob = g_strdup(glob);
	sub->match_all = strcmp(glob, "*") == 0;
	sub->pattern = g_pattern_spec_new(glob);
	sub->fn = fn;
	sub->user_data = user_data;
	atomic_init(&sub->delivered, 0);
	atomic_init(&sub->dropped, 0);
	g_source_set_name(&sub->source, "bw-bus-subscriber");
	g_source_attach(&sub->source, ctx ? ctx : g_main_context_default());
	bw_bus_list_add(sub);
	return sub;
}

void bw_bus_unsubscribe(bw_sub *sub)
{
	bw_event **left;
	guint n;

	if (!sub)
		return;
	if (!bw_bus_list_remove(sub)) {
		g_warning("bw_bus_unsubscribe: subscription %p is not active "
			  "(unsubscribed twice?)", (void *)sub);
		return;
	}
	/* No publisher can reach sub any more: empty the ring now so the
	 * events do not wait for the source's finalization. */
	g_mutex_lock(&sub->lock);
	g_atomic_int_set(&sub->closed, 1);
	n = sub->len;
	left = g_new(bw_event *, n ? n : 1);
	for (guint i = 0; i < n; i++)
		left[i] = sub->ring[(sub->head + i) % sub->cap];
	sub->len = 0;
	g_mutex_unlock(&sub->lock);
	atomic_fetch_add_explicit(&bus_dropped, n, memory_order_relaxed);
	for (guint i = 0; i < n; i++)
		bw_event_unref(left[i]);
	g_free(left);
	g_source_destroy(&sub->source);
	g_source_unref(&sub->source);
}

guint64 bw_sub_dropped(const bw_sub *sub)
{
	return sub ? atomic_load_explicit(&sub->dropped, memory_order_relaxed) : 0;
}

guint64 bw_sub_delivered(const bw_sub *sub)
{
	return sub ? atomic_load_explicit(&sub->delivered, memory_order_relaxed) : 0;
}

void bw_bus_stats_get(bw_bus_stats *out)
{
	if (!out)
		return;
	out->published = atomic_load(&bus_seq);
	out->delivered = atomic_load(&bus_delivered);
	out->dropped = atomic_load(&bus_dropped);
	out->subscribers = (guint)g_atomic_int_get(&bus_nsubs);
}

void bw_bus_describe(GString *out)
{
	bw_bus_stats st;

	if (!out)
		return;
	bw_bus_stats_get(&st);
	g_string_append_printf(out, "bus: published=%" G_GUINT64_FORMAT
			       " delivered=%" G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT
			       " subscribers=%u\n", st.published, st.delivered,
			       st.dropped, st.subscribers);
	g_rw_lock_reader_lock(&bus_lock);
	for (guint i = 0; i < bus_subs_len; i++) {
		bw_sub *sub = bus_subs[i];
		guint len;
		g_mutex_lock(&sub->lock);
		len = sub->len;
		g_mutex_unlock(&sub->lock);
		g_string_append_printf(out, "  subscriber %s queued=%u/%u delivered=%"
				       G_GUINT64_FORMAT " dropped=%" G_GUINT64_FORMAT "\n",
				       sub->glob, len, sub->cap, bw_sub_delivered(sub),
				       bw_sub_dropped(sub));
	}
	g_rw_lock_reader_unlock(&bus_lock);
}
