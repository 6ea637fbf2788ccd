/* Toll-fraud guard: per-extension limits on concurrent external calls and
 * on external call attempts per minute. The rate is a sliding-window
 * estimate over two one-minute buckets (the previous bucket weighted by
 * how much of it still lies in the last 60 s), so a burst across a minute
 * boundary cannot double the limit. Tracked extensions are bounded: when
 * the table is full, idle entries are pruned; if none is idle the start
 * is refused (fail closed). One thread only (the signalling thread). */
#ifndef BW_COR_GUARD_H
#define BW_COR_GUARD_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct cor_guard cor_guard;

typedef enum {
	COR_GUARD_OK = 0,
	COR_GUARD_CONCURRENT,   /* too many external calls at once */
	COR_GUARD_RATE,         /* too many external calls in the last minute */
	COR_GUARD_FULL,         /* too many extensions tracked */
} cor_guard_verdict;

/* 0 for a limit means none. max_tracked >= 1. */
cor_guard        *cor_guard_new(guint max_concurrent, guint max_per_minute,
				guint max_tracked);
void              cor_guard_free(cor_guard *g);
/* New limits (0: none) for the next start; the counts so far stay, so a
 * lower limit applies at once to calls already counted. */
void              cor_guard_set_limits(cor_guard *g, guint max_concurrent,
				       guint max_per_minute);
/* Counts the start of an external call at now_ms (monotonic ms) if no
 * limit trips; nothing is counted otherwise. */
cor_guard_verdict cor_guard_start(cor_guard *g, const char *ext, gint64 now_ms);
/* The end of a call counted by cor_guard_start. */
void              cor_guard_end(cor_guard *g, const char *ext);
guint             cor_guard_active(cor_guard *g, const char *ext);
guint             cor_guard_tracked(cor_guard *g);
const char       *cor_guard_text(cor_guard_verdict v);

G_END_DECLS
#endif
