/* Internal to corjson: record types by key, and moving a parsed record
 * from the scratch model into the live one (corjsonmove.c). */
#ifndef BW_COR_JSON_INT_H
#define BW_COR_JSON_INT_H

#include "corjson.h"

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
