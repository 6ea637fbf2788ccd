/* Hooks: synchronous decision points, run in the caller's thread.
 *
 * Contract (bulwark/bus.h): each named point holds hooks sorted by
 * ascending priority, equal priorities in registration order. A run stops
 * at the first STOP (accepted) or DENY (refused); the verdict's `by` names
 * the deciding hook's owner. Unknown results count as DENY: a broken hook
 * must not let a call through.
 *
 * Locking: a run holds its point's GRWLock for reading, so runs in many
 * threads proceed together while add/remove (writers) wait for them; once
 * bw_hook_remove returns, the hook is not running and will not run again,
 * which lets the loader unmap the module's code. A thread records the points
 * it is running (a tiny thread-local stack) so that a hook may re-run its
 * own point (no second read lock, which could deadlock behind a waiting
 * writer) and may remove a hook of that point (marked dead, skipped, and
 * freed by the next writer). Points live forever: they are named by code,
 * never by input, and a run never creates one. */
#define G_LOG_DOMAIN "bus"
#include "businternal.h"

#include <bulwark/bus.h>
#include <stdio.h>
#include <string.h>

#define BW_HOOK_MAX_POINTS 4096
#define BW_HOOK_MAX_NAME   128

typedef struct bw_hook_point {
	char      *name;
	GRWLock    lock;     /* read: runs; write: add, remove, purge */
	GPtrArray *hooks;    /* bw_hook*, ascending priority, stable */
	gint       ndead;    /* hooks marked dead, awaiting a writer */
} bw_hook_point;

struct bw_hook {
	bw_hook_point *point;
	int            priority;
	gint           dead;
	char          *owner;
	bw_hook_fn     fn;
	void          *user_data;
};

typedef struct bw_hook_frame {
	const bw_hook_point  *point;
	struct bw_hook_frame *up;
} bw_hook_frame;

static GRWLock     hook_points_lock;
static GHashTable *hook_points;        /* name -> bw_hook_point* */
static _Thread_local bw_hook_frame *hook_frames;

static gboolean bw_hook_running_here(const bw_hook_point *hp)
{
	for (const bw_hook_frame *f = hook_frames; f; f = f->up)
		if (f->point == hp)
			return TRUE;
	return FALSE;
}

static bw_hook_point *bw_hook_point_find(const char *name)
{
	bw_hook_point *hp = NULL;

	g_rw_lock_reader_lock(&hook_points_lock);
	if (hook_points)
		hp = g_hash_table_lookup(hook_points, name);
	g_rw_lock_reader_unlock(&hook_points_lock);
	return hp;
}

static bw_hook_point *bw_hook_point_get(const char *name)
{
	bw_hook_point *hp = bw_hook_point_find(name);

	if (hp)
		return hp;
	g_rw_lock_writer_lock(&hook_points_lock);
	if (!hook_points)
		hook_points = g_hash_table_new(g_str_hash, g_str_equal);
	hp = g_hash_table_lookup(hook_points, name);
	if (!hp && g_hash_table_size(hook_points) < BW_HOOK_MAX_POINTS) {
		hp = g_new0(bw_hook_point, 1);
		hp->name = g_strdup(name);
		g_rw_lock_init(&hp->lock);
		hp->hooks = g_ptr_array_new();
		g_hash_table_insert(hook_points, hp->name, hp);
	}
	g_rw_lock_writer_unlock(&hook_points_lock);
	return hp;
}

static void bw_hook_free(bw_hook *h)
{
	g_free(h->owner);
	g_free(h);
}

/* Writer held: frees the hooks removed from inside a run of this point. */
static void bw_hook_purge(bw_hook_point *hp)
{
	if (!g_atomic_int_get(&hp->ndead))
		return;
	for (guint i = hp->hooks->len; i-- > 0;) {
		bw_hook *h = g_ptr_array_index(hp->hooks, i);
		if (g_atomic_int_get(&h->dead)) {
			g_ptr_array_remove_index(hp->hooks, i);
			bw_hook_free(h);
		}
	}
	g_atomic_int_set(&hp->ndead, 0);
}

static gboolean bw_hook_name_ok(const char *s)
{
	return s && *s && strlen(s) < BW_HOOK_MAX_NAME;
}

bw_hook *bw_hook_add(const char *point, int priority, const char *owner,
		     bw_hook_fn fn, void *user_data)
{
	bw_hook_point *hp;
	bw_hook *h;
	guint i;

	if (!bw_hook_name_ok(point) || !fn) {
		g_warning("bw_hook_add: refused hook of %s on point \"%.64s\": %s",
			  owner ? owner : "(no owner)", point ? point : "(null)",
			  !fn ? "no callback" : "point name must be 1-127 characters");
		return NULL;
	}
	hp = bw_hook_point_get(point);
	if (!hp) {
		g_warning("bw_hook_add: refused hook of %s on point \"%s\": "
			  "already %d hook points", owner ? owner : "(no owner)", point,
			  BW_HOOK_MAX_POINTS);
		return NULL;
	}
	if (bw_hook_running_here(hp)) {
		g_warning("bw_hook_add: refused hook of %s on point \"%s\": "
			  "called from a hook of that point", owner ? owner : "(no owner)", point);
		return NULL;
	}
	h = g_new0(bw_hook, 1);
	h->point = hp;
	h->priority = priority;
	h->owner = g_strdup(owner && *owner ? owner : "core");
	h->fn = fn;
	h->user_data = user_data;
	g_rw_lock_writer_lock(&hp->lock);
	bw_hook_purge(hp);
	for (i = 0; i < hp->hooks->len; i++)
		if (((bw_hook *)g_ptr_array_index(hp->hooks, i))->priority > priority)
			break;
	g_ptr_array_insert(hp->hooks, (gint)i, h);
	g_rw_lock_writer_unlock(&hp->lock);
	return h;
}

void bw_hook_remove(bw_hook *h)
{
	bw_hook_point *hp;

	if (!h)
		return;
	hp = h->point;
	if (bw_hook_running_here(hp)) {
		if (g_atomic_int_compare_and_exchange(&h->dead, 0, 1))
			g_atomic_int_inc(&hp->ndead);
		return;
	}
	g_rw_lock_writer_lock(&hp->lock);
	if (g_atomic_int_get(&h->dead))
		;   /* removed from inside a run: the purge below frees it */
	else if (g_ptr_array_remove(hp->hooks, h))
		bw_hook_free(h);
	else
		g_warning("bw_hook_remove: hook %p is not on point \"%s\" "
			  "(removed twice?)", (void *)h, hp->name);
	bw_hook_purge(hp);
	g_rw_lock_writer_unlock(&hp->lock);
}

static void bw_hook_mark_owner_dead(bw_hook_point *hp, const char *owner)
{
	for (guint i = 0; i < hp->hooks->len; i++) {
		bw_hook *h = g_ptr_array_index(hp->hooks, i);
		if (strcmp(h->owner, owner) == 0 &&
		    g_atomic_int_compare_and_exchange(&h->dead, 0, 1))
			g_atomic_int_inc(&hp->ndead);
	}
}

static void bw_hook_remove_owner_at(bw_hook_point *hp, const char *owner)
{
	if (bw_hook_running_here(hp)) {
		bw_hook_mark_owner_dead(hp, owner);
		return;
	}
	g_rw_lock_writer_lock(&hp->lock);
	bw_hook_purge(hp);
	for (guint i = hp->hooks->len; i-- > 0;) {
		bw_hook *h = g_ptr_array_index(hp->hooks, i);
		if (strcmp(h->owner, owner) == 0) {
			g_ptr_array_remove_index(hp->hooks, i);
			bw_hook_free(h);
		}
	}
	g_rw_lock_writer_unlock(&hp->lock);
}

void bw_hook_remove_owner(const char *owner)
{
	GPtrArray *pts;

	if (!owner)
		return;
	pts = g_ptr_array_new();
	g_rw_lock_reader_lock(&hook_points_lock);
	if (hook_points) {
		GHashTableIter it;
		gpointer v;
		g_hash_table_iter_init(&it, hook_points);
		while (g_hash_table_iter_next(&it, NULL, &v))
			g_ptr_array_add(pts, v);
	}
	g_rw_lock_reader_unlock(&hook_points_lock);
	for (guint i = 0; i < pts->len; i++)
		bw_hook_remove_owner_at(g_ptr_array_index(pts, i), owner);
	g_ptr_array_free(pts, TRUE);
}

static void bw_verdict_clear(bw_verdict *v)
{
	v->code = 0;
	v->reason[0] = '\0';
	v->by[0] = '\0';
}

static bw_hook_result bw_hook_decide(const bw_hook_point *hp, const bw_hook *h,
				     bw_hook_result r, bw_verdict *v)
{
	if (r != BW_HOOK_STOP && r != BW_HOOK_DENY) {
		g_warning("hook of %s on point \"%s\" returned %d, not a "
			  "bw_hook_result: treated as DENY", h->owner, hp->name, (int)r);
		bw_verdict_deny(v, 500, "internal error in %s", h->owner);
		r = BW_HOOK_DENY;
	}
	g_strlcpy(v->by, h->owner, sizeof v->by);
	if (r == BW_HOOK_DENY) {
		if (v->code == 0)
			v->code = 403;
		if (!v->reason[0])
			snprintf(v->reason, sizeof v->reason, "denied by %s", h->owner);
	}
	return r;
}

static bw_hook_result bw_hook_chain(const bw_hook_point *hp, void *args, bw_verdict *v)
{
	for (guint i = 0; i < hp->hooks->len; i++) {
		const bw_hook *h = g_ptr_array_index(hp->hooks, i);
		bw_hook_result r;
		if (g_atomic_int_get(&h->dead))
			continue;
		r = h->fn(args, v, h->user_data);
		if (r != BW_HOOK_CONTINUE)
			return bw_hook_decide(hp, h, r, v);
	}
	bw_verdict_clear(v);
	return BW_HOOK_CONTINUE;
}

bw_hook_result bw_hook_run(const char *point, void *args, bw_verdict *v)
{
	bw_verdict scratch;
	bw_hook_point *hp;
	bw_hook_frame frame;
	gboolean nested;
	bw_hook_result r;

	if (!v)
		v = &scratch;   /* hooks may always write their verdict */
	bw_verdict_clear(v);
	if (!point || !(hp = bw_hook_point_find(point)))
		return BW_HOOK_CONTINUE;
	nested = bw_hook_running_here(hp);
	if (!nested)
		g_rw_lock_reader_lock(&hp->lock);
	frame.point = hp;
	frame.up = hook_frames;
	hook_frames = &frame;
	r = bw_hook_chain(hp, args, v);
	hook_frames = frame.up;
	if (!nested)
		g_rw_lock_reader_unlock(&hp->lock);
	return r;
}

bw_hook_result bw_verdict_deny(bw_verdict *v, int code, const char *fmt, ...)
{
	va_list ap;

	if (!v)
		return BW_HOOK_DENY;
	v->code = code;
	if (fmt) {
		va_start(ap, fmt);
		g_vsnprintf(v->reason, sizeof v->reason, fmt, ap);
		va_end(ap);
	} else {
		v->reason[0] = '\0';
	}
	return BW_HOOK_DENY;
}
