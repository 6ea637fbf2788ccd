/* Internal to corjson: record types by key, and moving a parsed record
 * from the scratch model into the live one (corjsonmove.c). */
#ifndef BW_COR_JSON_INT_H
#define BW_COR_JSON_INT_H

#include "corjson.h"

#include <json-glib/json-glib.h>

/* Parsing context: the key being applied and where errors go. Each helper
 * returns FALSE with an error naming the key and the field. */
typedef struct jctx {
	const char *key;
	GError    **err;
} jctx;

gboolean    cor_jfail(jctx *c, const char *field, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Re-labels an error of the model API with the key and field. */
gboolean    cor_jwrap(jctx *c, const char *field, GError *e);
/* Refuses members not in allowed (NULL-terminated). */
gboolean    cor_jfields(jctx *c, JsonObject *o, const char *where,
			const char *const *allowed);
/* Optional members keep *out when absent; strings are <= 256 bytes
 * without control characters. */
gboolean    cor_jstr(jctx *c, JsonObject *o, const char *f, const char **out,
		     gboolean required);
gboolean    cor_juint(jctx *c, JsonObject *o, const char *f, guint max, guint *out);
gboolean    cor_jbool(jctx *c, JsonObject *o, const char *f, gboolean *out);
gboolean    cor_jarray(jctx *c, JsonObject *o, const char *f, guint max,
		       JsonArray **out);
JsonObject *cor_jelem(jctx *c, JsonArray *a, guint i, const char *f);
gboolean    cor_jaction(jctx *c, JsonObject *o, const char *f, cor_action *out);
/* {"days", "from", "to"} and, with_period, "period". */
gboolean    cor_jwindow(jctx *c, JsonObject *o, cor_window *w, gboolean with_period,
			cor_period *period);

/* Singleton records (corjsonsingle.c). */
gboolean    cor_json_interconnect(jctx *c, cor_model *t, JsonObject *o);
gboolean    cor_json_emergency(jctx *c, cor_model *t, JsonObject *o);
gboolean    cor_json_schedule(jctx *c, cor_model *t, JsonObject *o);

typedef enum {
	REC_GROUP, REC_COS, REC_EXT, REC_TRUNK, REC_ACCOUNT, REC_ARS,
	REC_INTERCONNECT, REC_EMERGENCY, REC_SCHEDULE, REC_NONE
} rec_type;

/* Moves the record of (type, id) from t into m, replacing what m held;
 * fails only on m's count limits. */
gboolean cor_json_move(cor_model *m, cor_model *t, rec_type type,
		       const char *id, const char *key, GError **err);
/* Deletes the record of (type, id); singletons go back to defaults. */
gboolean cor_json_remove(cor_model *m, rec_type type, const char *id,
			 const char *key, GError **err);

#endif
