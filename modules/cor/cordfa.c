/* Subset construction from digit patterns to a DFA (contract in cordfa.h).
 * An NFA state is (pattern index, position): position p <= len means p
 * positions consumed; len + 1 means the '.' tail consumed at least one
 * symbol. A DFA state is a sorted set of such pairs, interned in a hash
 * table during construction only. */
#include "cordfa.h"

#include <string.h>

#define POS_BITS 7
#define POS_MASK ((1u << POS_BITS) - 1)
#define NFA(item, pos) (((guint32) (item) << POS_BITS) | (guint32) (pos))

typedef struct set_key {
	guint32  n;
	guint32 *v;
} set_key;

static guint set_hash(gconstpointer p)
{
	const set_key *k = p;
	guint h = 2166136261u ^ k->n;
	for (guint32 i = 0; i < k->n; i++)
		h = (h ^ k->v[i]) * 16777619u;
	return h;
}

static gboolean set_equal(gconstpointer a, gconstpointer b)
{
	const set_key *x = a, *y = b;
	return x->n == y->n && memcmp(x->v, y->v, x->n * sizeof *x->v) == 0;
}

static void set_free(gpointer p)
{
	set_key *k = p;
	g_free(k->v);
	g_free(k);
}

gboolean cor_pattern_better(const cor_pattern *a, guint ia,
			    const cor_pattern *b, guint ib)
{
	if (a->literal_prefix != b->literal_prefix)
		return a->literal_prefix > b->literal_prefix;
	if (a->wildcards != b->wildcards)
		return a->wildcards < b->wildcards;
	return ia < ib;
}

typedef struct builder {
	const cor_pattern *const *pat;
	guint       n_pat;
	GHashTable *ids;      /* set_key* -> state id */
	GPtrArray  *sets;     /* state id -> set_key* (borrowed from ids) */
	GArray     *next;     /* guint32 */
	GArray     *acc_off, *acc_len, *acc;
	guint32    *scratch;  /* one successor set being built */
	guint8     *seen;     /* dedup marks over NFA states */
	guint32     n_nfa;
	guint32     max_states;
	guint64     entries;   /* sum of interned set sizes */
} builder;

static int cmp_u32(const void *a, const void *b)
{
	guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
	return x < y ? -1 : x > y;
}

/* Interns a set (taking a copy) and returns its state id, or 0 on overflow. */
static guint32 intern(builder *b, const guint32 *v, guint32 n)
{
	set_key probe = { n, (guint32 *) v };
	gpointer id;

	if (n == 0)
		return 0;
	if (g_hash_table_lookup_extended(b->ids, &probe, NULL, &id))
		return GPOINTER_TO_UINT(id);
	if (b->sets->len >= b->max_states || b->entries + n > COR_DFA_MAX_ENTRIES)
		return 0;
	b->entries += n;
	set_key *k = g_new(set_key, 1);
	k->n = n;
	k->v = g_memdup2(v, n * sizeof *v);
	guint32 sid = b->sets->len;
	g_hash_table_insert(b->ids, k, GUINT_TO_POINTER(sid));
	g_ptr_array_add(b->sets, k);
	return sid;
}

static gboolean accepts(const cor_pattern *p, guint32 pos)
{
	if (p->tail == COR_TAIL_ONE_OR_MORE)
		return pos == (guint32) p->len + 1;
	return pos == p->len;
}

static void add_state(builder *b, guint32 *n, guint32 item, guint32 pos)
{
	guint32 s = NFA(item, pos);
	if (!b->seen[s]) {
		b->seen[s] = 1;
		b->scratch[(*n)++] = s;
	}
}

/* The successor set of state set k on symbol c, into b->scratch. */
static guint32 step(builder *b, const set_key *k, int c)
{
	guint32 n = 0;

	for (guint32 i = 0; i < k->n; i++) {
		guint32 item = k->v[i] >> POS_BITS, pos = k->v[i] & POS_MASK;
		const cor_pattern *p = b->pat[item];
		if (pos < p->len) {
			if (p->mask[pos] & (1u << c))
				add_state(b, &n, item, pos + 1);
		} else if (p->tail == COR_TAIL_ZERO_OR_MORE) {
			add_state(b, &n, item, pos);
		} else if (p->tail == COR_TAIL_ONE_OR_MORE) {
			add_state(b, &n, item, (guint32) p->len + 1);
		}
	}
	for (guint32 i = 0; i < n; i++)
		b->seen[b->scratch[i]] = 0;
	qsort(b->scratch, n, sizeof *b->scratch, cmp_u32);
	return n;
}

static const cor_pattern *const *sort_pat;

static int cmp_rank(const void *a, const void *b)
{
	guint32 x = *(const guint32 *) a, y = *(const guint32 *) b;
	if (x == y)
		return 0;
	return cor_pattern_better(sort_pat[x], x, sort_pat[y], y) ? -1 : 1;
}

static void record_accepts(builder *b, const set_key *k)
{
	guint32 off = b->acc->len, n = 0;

	for (guint32 i = 0; i < k->n; i++) {
		guint32 item = k->v[i] >> POS_BITS;
		if (accepts(b->pat[item], k->v[i] & POS_MASK)) {
			g_array_append_val(b->acc, item);
			n++;
		}
	}
	/* Each item appears once per set, so the slice has no duplicates.
	 * qsort is not reentrant with a context in C11: builders run on one
	 * thread at a time (the compile lock in corrules.c). */
	sort_pat = b->pat;
	if (n > 1)
		qsort(&g_array_index(b->acc, guint32, off), n, sizeof(guint32), cmp_rank);
	g_array_append_val(b->acc_off, off);
	g_array_append_val(b->acc_len, n);
}

static gboolean expand(builder *b, guint32 sid, GError **err)
{
	const set_key *k = g_ptr_array_index(b->sets, sid);

	record_accepts(b, k);
	for (int c = 0; c < COR_NSYM; c++) {
		guint32 n = step(b, k, c);
		guint32 to = intern(b, b->scratch, n);
		if (n && !to) {
			g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
				    "patterns need more than %u automaton states or %u "
				    "construction entries; use fewer leading wildcards",
				    b->max_states, COR_DFA_MAX_ENTRIES);
			return FALSE;
		}
		g_array_append_val(b->next, to);
	}
	return TRUE;
}

static cor_dfa *finish(builder *b)
{
	cor_dfa *d = g_new0(cor_dfa, 1);

	d->n_states = b->sets->len;
	d->acc_total = b->acc->len;
	d->next = (guint32 *) g_array_free(b->next, FALSE);
	d->acc_off = (guint32 *) g_array_free(b->acc_off, FALSE);
	d->acc_len = (guint32 *) g_array_free(b->acc_len, FALSE);
	d->acc = (guint32 *) g_array_free(b->acc, FALSE);
	b->next = b->acc_off = b->acc_len = b->acc = NULL;
	return d;
}

static GMutex build_lock;

cor_dfa *cor_dfa_build(const cor_pattern *const *patterns, guint n,
		       guint32 max_states, GError **err)
{
	builder b = { .pat = patterns, .n_pat = n,
		      .max_states = MIN(max_states, COR_DFA_MAX_STATES) };
	cor_dfa *d = NULL;
	guint32 dead = 0, *start = g_new(guint32, n + 1);
	set_key empty = { 0, &dead };

	b.n_nfa = NFA(n, 0);
	b.ids = g_hash_table_new_full(set_hash, set_equal, set_free, NULL);
	b.sets = g_ptr_array_new();
	b.next = g_array_new(FALSE, FALSE, sizeof(guint32));
	b.acc_off = g_array_new(FALSE, FALSE, sizeof(guint32));
	b.acc_len = g_array_new(FALSE, FALSE, sizeof(guint32));
	b.acc = g_array_new(FALSE, FALSE, sizeof(guint32));
	b.scratch = g_new(guint32, n + 1);
	b.seen = g_new0(guint8, b.n_nfa + 1);
	/* State 0: the dead state, an empty set that loops on itself. */
	g_ptr_array_add(b.sets, &empty);
	for (guint i = 0; i < n; i++)
		start[i] = NFA(i, 0);
	gboolean ok = TRUE;
	if (!n)
		g_ptr_array_add(b.sets, &empty);
	else if (!intern(&b, start, n))
		ok = FALSE;
	if (!ok)
		g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
			    "patterns need more than %u automaton states", b.max_states);

	g_mutex_lock(&build_lock);
	for (guint32 sid = 0; ok && sid < b.sets->len; sid++)
		ok = expand(&b, sid, err);
	g_mutex_unlock(&build_lock);
	if (ok)
		d = finish(&b);

	if (b.next) g_array_free(b.next, TRUE);
	if (b.acc_off) g_array_free(b.acc_off, TRUE);
	if (b.acc_len) g_array_free(b.acc_len, TRUE);
	if (b.acc) g_array_free(b.acc, TRUE);
	g_ptr_array_free(b.sets, TRUE);
	g_hash_table_destroy(b.ids);
	g_free(b.scratch);
	g_free(b.seen);
	g_free(start);
	return d;
}

void cor_dfa_free(cor_dfa *d)
{
	if (!d)
		return;
	g_free(d->next);
	g_free(d->acc_off);
	g_free(d->acc_len);
	g_free(d->acc);
	g_free(d);
}

const guint32 *cor_dfa_match(const cor_dfa *d, const char *number, guint32 *len)
{
	guint32 s = 1;

	for (const unsigned char *c = (const unsigned char *) number; *c && s; c++)
		s = d->next[s * COR_NSYM + (guint32) cor_sym(*c)];
	*len = d->acc_len[s];
	return d->acc + d->acc_off[s];
}
