/* The record "cor/limits": the fraud guard's limits saved by an
 * administrator, each overriding the module's XML attribute of the same
 * meaning (docs/cor.md). Shape: {"max_external_calls": N,
 * "max_calls_per_minute": N}, both optional, N a whole number from 0 (no
 * limit) to COR_LIMIT_MAX; an omitted member keeps the XML value.
 * Deleting the record returns to the XML values. Pure: json-glib and
 * GLib; the parser is shared by the module (corglue-load.c) and the
 * cor.admin check (corsvc-check.c), so both judge a record alike. */
#ifndef BW_COR_LIMITS_H
#define BW_COR_LIMITS_H

#include <glib.h>

G_BEGIN_DECLS

#define COR_LIMITS_KEY     "cor/limits"
#define COR_LIMIT_MAX      100000u   /* as mod_cor.rng allows in the XML */
#define COR_LIMITS_BYTES   4096      /* two numbers; more is not a limits record */
#define COR_LIMIT_UNSET    (-1)

typedef struct cor_limits {
	gint64 max_concurrent;   /* "max_external_calls"; COR_LIMIT_UNSET: the XML's */
	gint64 max_per_minute;   /* "max_calls_per_minute"; COR_LIMIT_UNSET: the XML's */
} cor_limits;

/* Both members unset. */
void     cor_limits_init(cor_limits *l);
/* Parses a record; FALSE with COR_ERROR_JSON "cor/limits: field F: why"
 * (F "(record)" for the record as a whole) and *out untouched. */
gboolean cor_limits_parse(const char *json, gsize len, cor_limits *out, GError **err);
/* The value in force: the saved one, else xml. */
guint    cor_limits_pick(gint64 saved, guint xml);

G_END_DECLS
#endif
