/* libre 1.1.0's timer start, cancel and poll, with an index.
 *
 * Why: libre keeps all timers of a thread in one sorted linked list and
 * finds a new timer's place by walking it from the end (tmr_start). A
 * 500 ms SIP retransmission timer walks past every 32 s transaction timer
 * of the last 32 s, so the cost of one call grew with the call rate: 60 %
 * of the signalling thread's CPU at 250 calls/s, most of it cache misses.
 *
 * How: libbulwark comes before libre in the process's global symbol scope
 * and libre calls its own timer functions through its PLT, so the
 * definitions below are the ones every caller uses, libre included. They
 * keep libre's contract exactly: timers stay in libre's list of the
 * calling thread (tmrl_get), in libre's order (after every timer due at
 * the same time or earlier), with the same fields set; tmr_next_timeout,
 * tmr_get_expire and tmr_status stay libre's own and read the list as
 * before. Only the search changes: per list, an ordered map from each due
 * time (ms) to the last timer due then, O(log n) instead of O(n).
 * If libre ever stopped routing its calls through these, it would simply
 * run its own code on the same list: slower, never wrong.
 *
 * Threads: libre's timer lists are not locked (callers own the thread or
 * hold re_thread_enter); one mutex guards the index; handlers run outside. */
#include "callint.h"
#include <re.h>

#define RETMR_LISTS 8           /* lists indexed at once (threads with a re loop) */

typedef struct retmr_index {
	struct list *list;
	GTree *due;                 /* due time (ms) -> last struct le due then */
} retmr_index;

static GMutex retmr_lock;
static retmr_index retmr_idx[RETMR_LISTS];
static guint retmr_count;       /* timers linked through the index */

static gint retmr_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
	(void)unused;
	guintptr x = GPOINTER_TO_SIZE(a), y = GPOINTER_TO_SIZE(b);
	return x < y ? -1 : x > y;
}

static uint64_t retmr_due(const struct le *le)
{
	return ((const struct tmr *)le->data)->jfs;
}

/* The index of list, NULL when none (or none can be made). A list that is
 * empty must have an empty index: the list may be a new thread's reusing
 * the address of a closed one. */
static retmr_index *retmr_index_of(struct list *list, gboolean create)
{
	retmr_index *free_slot = NULL;
	for (guint i = 0; i < RETMR_LISTS; i++) {
		if (retmr_idx[i].list == list) {
			if (!list->head && g_tree_nnodes(retmr_idx[i].due))
				g_tree_remove_all(retmr_idx[i].due);
			return &retmr_idx[i];
		}
		if (!retmr_idx[i].list && !free_slot)
			free_slot = &retmr_idx[i];
	}
	if (!create || !free_slot || list->head)
		return NULL;    /* a list filled before it was indexed keeps libre's walk */
	free_slot->list = list;
	free_slot->due = g_tree_new_full(retmr_cmp, NULL, NULL, NULL);
	return free_slot;
}

static void retmr_unlink(struct tmr *tmr)
{
	struct le *le = &tmr->le;
	retmr_index *ix = le->list ? retmr_index_of(le->list, FALSE) : NULL;
	gpointer key = GSIZE_TO_POINTER((gsize)tmr->jfs);
	if (ix && g_tree_lookup(ix->due, key) == le) {
		if (le->prev && retmr_due(le->prev) == tmr->jfs)
			g_tree_insert(ix->due, key, le->prev);
		else
			g_tree_remove(ix->due, key);
	}
	if (ix)
		retmr_count--;
	list_unlink(le);
}

/* libre's own placement: after the last timer due at or before tmr. */
static struct le *retmr_walk(struct list *list, uint64_t jfs)
{
	struct le *le = list->tail;
	while (le && retmr_due(le) > jfs)
		le = le->prev;
	return le;
}

static void retmr_link(struct list *list, struct tmr *tmr)
{
	retmr_index *ix = retmr_index_of(list, TRUE);
	struct le *after;
	if (ix) {
		GTreeNode *n = g_tree_upper_bound(ix->due, GSIZE_TO_POINTER((gsize)tmr->jfs));
		n = n ? g_tree_node_previous(n) : g_tree_node_last(ix->due);
		after = n ? g_tree_node_value(n) : NULL;
	} else {
		after = retmr_walk(list, tmr->jfs);
	}
	if (after)
		list_insert_after(list, after, &tmr->le, tmr);
	else
		list_prepend(list, &tmr->le, tmr);
	if (ix) {
		g_tree_insert(ix->due, GSIZE_TO_POINTER((gsize)tmr->jfs), &tmr->le);
		retmr_count++;
	}
}

void tmr_start(struct tmr *tmr, uint64_t delay, tmr_h *th, void *arg)
{
	if (!tmr)
		return;
	struct list *list = tmrl_get();
	g_mutex_lock(&retmr_lock);
	if (tmr->th)
		retmr_unlink(tmr);
	tmr->th = th;
	tmr->arg = arg;
	if (th) {
		tmr->jfs = tmr_jiffies() + delay;
		if (list)
			retmr_link(list, tmr);
	}
	g_mutex_unlock(&retmr_lock);
}

void tmr_cancel(struct tmr *tmr)
{
	tmr_start(tmr, 0, NULL, NULL);
}

void tmr_poll(struct list *tmrl)
{
	if (!tmrl)
		return;
	const uint64_t now = tmr_jiffies();
	for (;;) {
		g_mutex_lock(&retmr_lock);
		struct tmr *tmr = list_ledata(tmrl->head);
		if (!tmr || tmr->jfs > now) {
			g_mutex_unlock(&retmr_lock);
			return;
		}
		tmr_h *th = tmr->th;
		void *arg = tmr->arg;
		tmr->th = NULL;
		retmr_unlink(tmr);
		g_mutex_unlock(&retmr_lock);
		if (th)
			th(arg);
	}
}

guint bw_retmr_indexed(void)
{
	g_mutex_lock(&retmr_lock);
	guint n = retmr_count;
	g_mutex_unlock(&retmr_lock);
	return n;
}
