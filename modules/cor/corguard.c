/* Per-extension toll-fraud counters (contract in corguard.h). */
#include "corguard.h"

#include <string.h>

#define MINUTE_MS 60000
#define EXT_MAX 64

typedef struct entry {
	guint  active;
	gint64 bucket;      /* start of the current minute bucket, ms */
	guint  cur, prev;   /* starts in the current and previous bucket */
} entry;

struct cor_guard {
	guint       max_concurrent, max_per_minute, max_tracked;
	GHashTable *by_ext;  /* char* -> entry* */
};

cor_guard *cor_guard_new(guint max_concurrent, guint max_per_minute,
			 guint max_tracked)
{
	cor_guard *g = g_new0(cor_guard, 1);
	g->max_concurrent = max_concurrent;
	g->max_per_minute = max_per_minute;
	g->max_tracked = MAX(max_tracked, 1);
	g->by_ext = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return g;
}

void cor_guard_free(cor_guard *g)
{
	if (!g)
		return;
	g_hash_table_destroy(g->by_ext);
	g_free(g);
}

void cor_guard_set_limits(cor_guard *g, guint max_concurrent, guint max_per_minute)
{
	g->max_concurrent = max_concurrent;
	g->max_per_minute = max_per_minute;
}

static void roll(entry *e, gint64 now)
{
	gint64 bucket = now - now % MINUTE_MS;

	if (bucket == e->bucket)
		return;
	e->prev = bucket - e->bucket == MINUTE_MS ? e->cur : 0;
	e->cur = 0;
	e->bucket = bucket;
}

/* Starts in the last 60 s, the previous bucket weighted by its overlap. */
static guint64 rate(const entry *e, gint64 now)
{
	gint64 into = now - e->bucket;
	return (guint64) e->cur + (guint64) e->prev * (guint64) (MINUTE_MS - into) / MINUTE_MS;
}

static gboolean idle(entry *e, gint64 now)
{
	roll(e, now);
	return e->active == 0 && e->cur == 0 && e->prev == 0;
}

static void prune(cor_guard *g, gint64 now)
{
	GHashTableIter it;
	gpointer val;

	g_hash_table_iter_init(&it, g->by_ext);
	while (g_hash_table_iter_next(&it, NULL, &val))
		if (idle(val, now))
			g_hash_table_iter_remove(&it);
}

static entry *lookup(cor_guard *g, const char *ext, gint64 now)
{
	entry *e = g_hash_table_lookup(g->by_ext, ext);

	if (e)
		return e;
	if (g_hash_table_size(g->by_ext) >= g->max_tracked)
		prune(g, now);
	if (g_hash_table_size(g->by_ext) >= g->max_tracked)
		return NULL;
	e = g_new0(entry, 1);
	e->bucket = now - now % MINUTE_MS;
	g_hash_table_insert(g->by_ext, g_strdup(ext), e);
	return e;
}

cor_guard_verdict cor_guard_start(cor_guard *g, const char *ext, gint64 now_ms)
{
	if (!ext || strnlen(ext, EXT_MAX + 1) > EXT_MAX || now_ms < 0)
		return COR_GUARD_FULL;
	entry *e = lookup(g, ext, now_ms);
	if (!e)
		return COR_GUARD_FULL;
	roll(e, now_ms);
	if (g->max_concurrent && e->active >= g->max_concurrent)
		return COR_GUARD_CONCURRENT;
	if (g->max_per_minute && rate(e, now_ms) >= g->max_per_minute)
		return COR_GUARD_RATE;
	e->active++;
	e->cur++;
	return COR_GUARD_OK;
}

void cor_guard_end(cor_guard *g, const char *ext)
{
	entry *e = ext ? g_hash_table_lookup(g->by_ext, ext) : NULL;
	if (e && e->active)
		e->active--;
}

guint cor_guard_active(cor_guard *g, const char *ext)
{
	entry *e = ext ? g_hash_table_lookup(g->by_ext, ext) : NULL;
	return e ? e->active : 0;
}

guint cor_guard_tracked(cor_guard *g)
{
	return g_hash_table_size(g->by_ext);
}

const char *cor_guard_text(cor_guard_verdict v)
{
	switch (v) {
	case COR_GUARD_OK:         return "ok";
	case COR_GUARD_CONCURRENT: return "too many concurrent external calls";
	case COR_GUARD_RATE:       return "too many external calls per minute";
	case COR_GUARD_FULL:       return "fraud guard table full";
	default:                   return "?";
	}
}
