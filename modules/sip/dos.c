/* SIP DoS protection, keyed on the transport source address only (never
 * Via or Contact, which the sender writes).
 *
 * Contract (sipmod.h): sip_dos_admit counts one transaction for the source
 * and says whether to process it; sip_dos_auth_failed counts a failed
 * authentication. Either count over its threshold within the sliding
 * window bans the source for ban_s seconds: its requests are dropped
 * before any parsing beyond libre's own. Allow-listed sources (configured
 * CIDRs, and trunk/peer addresses from sip_dos_trust) are never counted.
 * The table is bounded: the least recently seen unbanned entry goes first.
 * Events sip.source.blocked / sip.source.unblocked, gauge
 * sip.blocked_sources. Signalling thread.
 *
 * The four limits come from <dos> unless the WebAdmin's security options
 * (store record config/security: sip_dos_auth_failures,
 * sip_dos_transactions, sip_dos_window_s, sip_dos_ban_s) set them; a store
 * watch on the management thread hands every change to this thread, so a
 * saved limit applies to the next request without a restart. The limits in
 * force are the gauges sip.dos_auth_failures, sip.dos_transactions,
 * sip.dos_window_s and sip.dos_ban_s. */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include "sipint-core.h"

#define DOS_SAVED_KEY "config/security"

#define DOS_TABLE_MAX 65536
#define DOS_EVICT_SCAN 64

/* A two-bucket sliding window: the previous bucket weighs in by how much
 * of it still overlaps the window, so no per-request timestamps are kept. */
typedef struct dos_window {
	gint64 start;              /* µs, start of the current bucket */
	guint cur, prev;
} dos_window;

typedef struct dos_entry {
	char addr[64];
	dos_window tx, auth;
	gint64 banned_until;       /* µs monotonic, 0: not banned */
	const char *reason;
	GList link;                /* in dos.lru, most recent at the head */
} dos_entry;

static struct {
	sip_dos_conf conf;
	GArray *allow;             /* sip_cidr */
	GHashTable *trusted;       /* "addr" -> NULL */
	GHashTable *table;         /* addr -> dos_entry* (owning) */
	GQueue lru;
	guint banned;
	struct tmr tmr;
	bw_metric *gauge;
	gboolean up;
	sip_dos_conf xml;          /* the limits <dos> gave (allow unused) */
	bw_watch *watch;           /* DOS_SAVED_KEY, delivered on the management thread */
	bw_metric *limit[4];       /* auth_failures, transactions, window_s, ban_s */
} dos;

/* Saved limits, 0 where the record sets none. */
typedef struct dos_saved { guint v[4]; } dos_saved;
static const char *const dos_saved_names[4] = {
	"sip_dos_auth_failures", "sip_dos_transactions", "sip_dos_window_s", "sip_dos_ban_s"
};
static const guint dos_saved_lo[4] = { 1, 1, 1, 10 };
static const guint dos_saved_hi[4] = { 100000, 100000, 3600, 86400 };

static void dos_addr(const struct sa *src, char *buf, gsize len)
{
	if (sa_ntop(src, buf, (int)len) != 0)
		g_strlcpy(buf, "?", len);
}

static gboolean dos_allowed(const struct sa *src, const char *addr)
{
	for (guint i = 0; dos.allow && i < dos.allow->len; i++)
		if (sip_cidr_match(&g_array_index(dos.allow, sip_cidr, i), src))
			return TRUE;
	return dos.trusted && g_hash_table_contains(dos.trusted, addr);
}

/* Count one, return the weighted count over the window. */
static guint dos_window_hit(dos_window *w, gint64 now, guint add)
{
	gint64 span = (gint64)dos.conf.window_s * G_USEC_PER_SEC;
	gint64 age = now - w->start;

	if (age >= 2 * span) {
		w->prev = 0;
		w->cur = 0;
		w->start = now;
		age = 0;
	} else if (age >= span) {
		w->prev = w->cur;
		w->cur = 0;
		w->start += span;
		age -= span;
	}
	if (w->cur < G_MAXUINT - add)
		w->cur += add;
	return w->cur + (guint)((double)w->prev * (double)(span - age) / (double)span);
}

static void dos_gauge(void)
{
	if (dos.gauge)
		bw_metric_set(dos.gauge, dos.banned);
}

static void dos_unban(dos_entry *e, const char *why)
{
	e->banned_until = 0;
	e->tx = (dos_window){ 0 };
	e->auth = (dos_window){ 0 };
	dos.banned--;
	dos_gauge();
	g_message("sip: source %s unblocked (%s)", e->addr, why);
	bw_event_emit("sip.source.unblocked", "source", e->addr, "reason", why, NULL);
}

static void dos_ban(dos_entry *e, gint64 now, const char *reason)
{
	e->banned_until = now + (gint64)dos.conf.ban_s * G_USEC_PER_SEC;
	e->reason = reason;
	dos.banned++;
	dos_gauge();
	g_warning("sip: source %s blocked for %u s: too many %s within %u s",
		  e->addr, dos.conf.ban_s, reason, dos.conf.window_s);
	bw_event *ev = bw_event_new("sip.source.blocked");
	bw_event_add(ev, "source", e->addr);
	bw_event_add(ev, "reason", reason);
	bw_event_addf(ev, "ban", "%u", dos.conf.ban_s);
	bw_event_publish(ev);
}

static void dos_entry_free(void *p)
{
	g_free(p);
}

static void dos_remove(dos_entry *e)
{
	if (e->banned_until)
		dos.banned--;
	g_queue_unlink(&dos.lru, &e->link);
	g_hash_table_remove(dos.table, e->addr);
}

/* Make room: drop the least recently seen entry that is not banned among
 * the oldest few, else the oldest one. */
static void dos_evict(void)
{
	GList *l = dos.lru.tail;
	dos_entry *victim = l ? l->data : NULL;

	for (guint i = 0; l && i < DOS_EVICT_SCAN; i++, l = l->prev) {
		dos_entry *e = l->data;
		if (!e->banned_until) {
			victim = e;
			break;
		}
	}
	if (victim) {
		dos_remove(victim);
		dos_gauge();
	}
}

static dos_entry *dos_get(const char *addr)
{
	dos_entry *e = g_hash_table_lookup(dos.table, addr);

	if (e) {
		g_queue_unlink(&dos.lru, &e->link);
		g_queue_push_head_link(&dos.lru, &e->link);
		return e;
	}
	if (g_hash_table_size(dos.table) >= DOS_TABLE_MAX)
		dos_evict();
	e = g_new0(dos_entry, 1);
	g_strlcpy(e->addr, addr, sizeof(e->addr));
	e->link.data = e;
	g_hash_table_insert(dos.table, e->addr, e);
	g_queue_push_head_link(&dos.lru, &e->link);
	return e;
}

/* Still banned? Lifts an expired ban on the way. */
static gboolean dos_banned(dos_entry *e, gint64 now)
{
	if (!e->banned_until)
		return FALSE;
	if (now < e->banned_until)
		return TRUE;
	dos_unban(e, "expired");
	return FALSE;
}

bool sip_dos_admit(const struct sa *src)
{
	char addr[64];
	gint64 now = g_get_monotonic_time();

	if (!dos.up)
		return true;
	dos_addr(src, addr, sizeof(addr));
	if (dos_allowed(src, addr))
		return true;
	dos_entry *e = dos_get(addr);
	if (dos_banned(e, now))
		return false;
	if (dos_window_hit(&e->tx, now, 1) > dos.conf.transactions) {
		dos_ban(e, now, "transactions");
		return false;
	}
	return true;
}

void sip_dos_auth_failed(const struct sa *src, const char *user)
{
	char addr[64];
	gint64 now = g_get_monotonic_time();

	(void)user;
	if (!dos.up)
		return;
	dos_addr(src, addr, sizeof(addr));
	if (dos_allowed(src, addr))
		return;
	dos_entry *e = dos_get(addr);
	if (!dos_banned(e, now) &&
	    dos_window_hit(&e->auth, now, 1) >= dos.conf.auth_failures)
		dos_ban(e, now, "authentication failures");
}

bool sip_dos_is_trusted(const struct sa *src)
{
	char addr[64];

	dos_addr(src, addr, sizeof(addr));
	return dos.trusted && g_hash_table_contains(dos.trusted, addr);
}

void sip_dos_trust(const struct sa *src, bool trusted)
{
	char addr[64];

	if (dos.trusted == NULL)
		dos.trusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	dos_addr(src, addr, sizeof(addr));
	if (trusted)
		g_hash_table_add(dos.trusted, g_strdup(addr));
	else
		g_hash_table_remove(dos.trusted, addr);
}

/* Once a second: publish unblocked events on time, not only when the
 * source speaks again. */
static void dos_tick(void *arg)
{
	gint64 now = g_get_monotonic_time();

	(void)arg;
	for (GList *l = dos.lru.head; l && dos.banned; l = l->next)
		dos_banned(l->data, now);
	tmr_start(&dos.tmr, 1000, dos_tick, NULL);
}

/* ---- limits saved by the security options form ---- */

/* Any thread: the record's limits; an invalid or absent member is 0. */
static void dos_saved_parse(GBytes *value, dos_saved *out)
{
	memset(out, 0, sizeof *out);
	for (guint i = 0; i < 4; i++) {
		gint64 v = 0;
		int rc = bw_store_json_int(value, dos_saved_names[i], &v);
		if (rc == 1 && v >= dos_saved_lo[i] && v <= dos_saved_hi[i])
			out->v[i] = (guint)v;
		else if (rc != 0)
			g_warning("sip: %s: %s is not %u-%u: the <dos> value applies",
				  DOS_SAVED_KEY, dos_saved_names[i], dos_saved_lo[i],
				  dos_saved_hi[i]);
	}
}

static void dos_limits_apply(const dos_saved *sv)
{
	guint *cur[4] = { &dos.conf.auth_failures, &dos.conf.transactions,
			  &dos.conf.window_s, &dos.conf.ban_s };
	const guint xml[4] = { dos.xml.auth_failures, dos.xml.transactions,
			       dos.xml.window_s, dos.xml.ban_s };
	static const char *const gauges[4] = {
		"sip.dos_auth_failures", "sip.dos_transactions", "sip.dos_window_s", "sip.dos_ban_s"
	};
	static const char *const help[4] = {
		"SIP DoS limit in force: authentication failures per window",
		"SIP DoS limit in force: transactions per window",
		"SIP DoS limit in force: window, seconds",
		"SIP DoS limit in force: ban, seconds"
	};

	for (guint i = 0; i < 4; i++) {
		*cur[i] = sv && sv->v[i] ? sv->v[i] : xml[i];
		if (!dos.limit[i])
			dos.limit[i] = bw_metric_gauge(gauges[i], help[i]);
		if (dos.limit[i])
			bw_metric_set(dos.limit[i], *cur[i]);
	}
}

static void dos_saved_sig(void *p)
{
	dos_saved *sv = p;

	if (dos.up) {
		dos_limits_apply(sv);
		g_message("sip: DoS limits now %u authentication failures or %u transactions "
			  "per %u s, ban %u s", dos.conf.auth_failures, dos.conf.transactions,
			  dos.conf.window_s, dos.conf.ban_s);
	}
	g_free(sv);
}

/* Management thread: hand the record's limits to the signalling thread. */
static void dos_saved_changed(const char *key, GBytes *value, gint64 revision, void *unused)
{
	dos_saved *sv;

	(void)revision;
	(void)unused;
	if (strcmp(key, DOS_SAVED_KEY) != 0)
		return;
	sv = g_new0(dos_saved, 1);
	dos_saved_parse(value, sv);
	if (bw_sig_call(dos_saved_sig, sv) != 0)
		g_free(sv);
}

/* At init: the saved limits now, then every change. */
static void dos_saved_start(void)
{
	bw_store *s = bw_store_system();
	GBytes *v = NULL;
	dos_saved sv;

	if (!s)
		return;
	if (bw_store_get(s, DOS_SAVED_KEY, &v, NULL, NULL)) {
		dos_saved_parse(v, &sv);
		g_bytes_unref(v);
		dos_limits_apply(&sv);
	}
	dos.watch = bw_store_watch(s, DOS_SAVED_KEY, bw_mgmt_context(), dos_saved_changed, NULL);
}

int sip_dos_init(const sip_dos_conf *c)
{
	dos.conf = *c;
	dos.conf.allow = NULL;
	dos.xml = dos.conf;
	dos_limits_apply(NULL);
	dos.allow = g_array_new(FALSE, FALSE, sizeof(sip_cidr));
	for (guint i = 0; c->allow && i < c->allow->len; i++) {
		sip_cidr cidr;
		const char *s = c->allow->pdata[i];
		if (!sip_cidr_parse(s, &cidr)) {
			g_warning("sip: <dos><allow address=\"%s\">: not an address or CIDR", s);
			g_array_unref(dos.allow);
			dos.allow = NULL;
			return EINVAL;
		}
		g_array_append_val(dos.allow, cidr);
	}
	if (dos.trusted == NULL)
		dos.trusted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	dos.table = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, dos_entry_free);
	g_queue_init(&dos.lru);
	dos.banned = 0;
	dos.gauge = bw_metric_gauge("sip.blocked_sources", "SIP sources blocked now");
	dos_gauge();
	tmr_init(&dos.tmr);
	tmr_start(&dos.tmr, 1000, dos_tick, NULL);
	dos_saved_start();
	dos.up = TRUE;
	return 0;
}

void sip_dos_close(void)
{
	dos.up = FALSE;
	/* The management thread waits for this stop (bw_sig_call_sync), so
	 * no delivery runs meanwhile; a hand-over already queued finds
	 * dos.up FALSE. */
	g_clear_pointer(&dos.watch, bw_store_unwatch);
	tmr_cancel(&dos.tmr);
	if (dos.table) {
		g_queue_init(&dos.lru);
		g_hash_table_destroy(dos.table);
		dos.table = NULL;
	}
	if (dos.allow) {
		g_array_unref(dos.allow);
		dos.allow = NULL;
	}
	if (dos.trusted) {
		g_hash_table_destroy(dos.trusted);
		dos.trusted = NULL;
	}
	dos.banned = 0;
	dos_gauge();
}

void sip_dos_list(GString *out, const char *unused)
{
	gint64 now = g_get_monotonic_time();

	(void)unused;
	for (GList *l = dos.up ? dos.lru.head : NULL; l; l = l->next) {
		dos_entry *e = l->data;
		if (dos_banned(e, now))
			g_string_append_printf(out, "%s\t%llds\t%s\n", e->addr,
					       (long long)((e->banned_until - now + G_USEC_PER_SEC - 1) /
							   G_USEC_PER_SEC), e->reason);
	}
}

int sip_dos_lift(const char *addr)
{
	struct sa sa;
	char key[64];
	dos_entry *e;

	if (sa_set_str(&sa, addr, 0) != 0)
		return EINVAL;
	dos_addr(&sa, key, sizeof(key));
	e = dos.table ? g_hash_table_lookup(dos.table, key) : NULL;
	if (e == NULL || !dos_banned(e, g_get_monotonic_time()))
		return ENOENT;
	dos_unban(e, "lifted");
	return 0;
}
