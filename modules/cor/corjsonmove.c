/* Moving parsed records into the live model and deleting them (contract
 * in corjsonint.h): the live model only ever changes by whole records. */
#include "corjsonint.h"

#include <stdlib.h>
#include <string.h>

static GHashTable *table_of(cor_model *m, rec_type type, guint *max)
{
	switch (type) {
	case REC_GROUP:   *max = COR_MAX_GROUP_ID + 1; return m->groups;
	case REC_COS:     *max = COR_MAX_GROUP_ID + 1; return m->cos;
	case REC_EXT:     *max = COR_MAX_PARTIES; return m->parties[COR_KIND_EXTENSION];
	case REC_TRUNK:   *max = COR_MAX_PARTIES; return m->parties[COR_KIND_TRUNK];
	case REC_ACCOUNT: *max = COR_MAX_ACCOUNTS; return m->accounts;
	case REC_ARS:     *max = COR_MAX_PLANS; return m->plans;
	default:          return NULL;
	}
}

static gboolean numeric(rec_type type)
{
	return type == REC_GROUP || type == REC_COS;
}

/* The hash key of a record in its table: ids for groups, else the string
 * owned by the record itself (so replace, never insert). */
static gpointer own_key(rec_type type, gpointer rec)
{
	switch (type) {
	case REC_EXT: case REC_TRUNK: return ((cor_party *) rec)->id;
	case REC_ACCOUNT:             return ((cor_account *) rec)->code;
	case REC_ARS:                 return ((cor_plan *) rec)->name;
	default:                      return NULL;
	}
}

static gboolean move_keyed(cor_model *m, cor_model *t, rec_type type,
			   const char *id, const char *key, GError **err)
{
	guint max = 0;
	GHashTable *from = table_of(t, type, &max), *to = table_of(m, type, &max);
	gpointer k = numeric(type) ? GUINT_TO_POINTER(strtoul(id, NULL, 10)) : (gpointer) id;
	gpointer rec;

	if (!g_hash_table_contains(to, k) && g_hash_table_size(to) >= max) {
		g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
			    "%s: more than %u records of this kind", key, max);
		return FALSE;
	}
	if (!g_hash_table_steal_extended(from, k, NULL, &rec))
		return FALSE;
	g_hash_table_replace(to, numeric(type) ? k : own_key(type, rec), rec);
	return TRUE;
}

static void swap_ptr(gpointer a, gpointer b)
{
	gpointer *x = a, *y = b, tmp = *x;
	*x = *y;
	*y = tmp;
}

static void move_singleton(cor_model *m, cor_model *t, rec_type type)
{
	switch (type) {
	case REC_INTERCONNECT:
		swap_ptr(&m->links, &t->links);
		memcpy(m->link_default, t->link_default, sizeof m->link_default);
		break;
	case REC_EMERGENCY:
		swap_ptr(&m->emergency, &t->emergency);
		swap_ptr(&m->trunk_prefix, &t->trunk_prefix);
		break;
	case REC_SCHEDULE:
		cor_model_set_sched(m, t->sched);
		t->sched = NULL;
		break;
	default:
		break;
	}
}

gboolean cor_json_move(cor_model *m, cor_model *t, rec_type type,
		       const char *id, const char *key, GError **err)
{
	guint max;

	if (table_of(m, type, &max))
		return move_keyed(m, t, type, id, key, err);
	move_singleton(m, t, type);
	return TRUE;
}

gboolean cor_json_remove(cor_model *m, rec_type type, const char *id,
			 const char *key, GError **err)
{
	guint max;
	GHashTable *table = table_of(m, type, &max);

	if (table) {
		gpointer k = (gpointer) id;
		if (numeric(type)) {
			guint64 v;
			if (!g_ascii_string_to_unsigned(id, 10, 0, COR_MAX_GROUP_ID, &v, NULL)) {
				g_set_error(err, COR_ERROR, COR_ERROR_JSON,
					    "%s: field (key): id must be 0..%u", key,
					    COR_MAX_GROUP_ID);
				return FALSE;
			}
			k = GUINT_TO_POINTER((guint) v);
		}
		g_hash_table_remove(table, k);
		return TRUE;
	}
	cor_model *defaults = cor_model_new();
	move_singleton(m, defaults, type);
	cor_model_free(defaults);
	return TRUE;
}
