/* Provisioning records of the CoR model, as stored in the system store:
 * one JSON object per key (shapes in docs/cor.md):
 *   cor/group/<id>  cor/cos/<id>  cor/ext/<number>  cor/trunk/<name>
 *   cor/account/<code>  cor/ars/<plan>  cor/interconnect  cor/emergency
 *   cor/schedule
 * Applying a record replaces what the key held; NULL data deletes it.
 * A record that does not parse leaves the model unchanged and the error
 * names the key and the field. Parsing is bounded: record size, nesting
 * depth, array lengths, string lengths; unknown fields are refused so
 * that a typo does not silently weaken a restriction. */
#ifndef BW_COR_JSON_H
#define BW_COR_JSON_H

#include "corrules.h"

G_BEGIN_DECLS

#define COR_JSON_MAX_BYTES (1024 * 1024)  /* a group of 10 000 rules fits */
#define COR_JSON_MAX_DEPTH 8

/* FALSE with COR_ERROR_JSON/INVALID/LIMIT; keys outside "cor/" are an
 * error too (the caller's watch should not pass them). */
gboolean cor_json_apply(cor_model *m, const char *key, const char *data,
			gsize len, GError **err);

G_END_DECLS
#endif
