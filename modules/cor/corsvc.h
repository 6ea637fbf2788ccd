/* The service "cor.admin" version 1: what the cor module offers the
 * administration (the webadmin's CoR/CoS page), so that records are
 * checked by the module's own parser and compiler and a decision is
 * explained by the module's own engine. Looked up with bw_service_lookup()
 * on the management thread, where every function of the table must be
 * called. Consumers include this header only: it needs GLib alone. */
#ifndef BW_COR_SVC_H
#define BW_COR_SVC_H

#include <glib.h>

#define COR_ADMIN_SERVICE "cor.admin"
#define COR_ADMIN_VERSION 1u

typedef struct cor_admin_v1 {
	/* Checks a "cor/..." record as the module applies it: parsed, then
	 * compiled on its own. TRUE, or FALSE with errs filled (field ->
	 * message, both g_free'd by errs' destroy functions, which the caller
	 * sets; field "" for the record as a whole). The rules of a group are
	 * checked one by one: each bad rule has its own field "rules[I]"
	 * (I from 0) with a message "rule I+1: ..." saying why. */
	gboolean (*check)(const char *key, const char *json, gsize len, GHashTable *errs);
	/* What `bulwarkctl cor show CALLER NUMBER` prints (g_free), or NULL
	 * with err and *field ("caller", "number" or NULL). CALLER is an
	 * extension number or trunk:NAME; NUMBER as dialled. */
	char *(*explain)(const char *caller, const char *number, const char **field, GError **err);
	/* The override ("auto", "day", "night1", "night2") and the period in
	 * force now ("day", "night1", "night2"): static strings. */
	void (*service)(const char **override, const char **period);
	/* `bulwarkctl service MODE`: sets and stores the override, audited
	 * (cor.service) as actor. */
	gboolean (*service_set)(const char *mode, const char *actor, GError **err);
	/* Appended (the CoR/CoS page's account codes, schedule, fraud
	 * limits); older members unchanged. */
	/* The stored form of a verified account code's PIN (cor_pin_hash,
	 * g_free), or NULL with err when the PIN is not COR_SVC_PIN_MIN to
	 * COR_SVC_PIN_MAX digits (a PIN is dialled between '*'s). The PIN is
	 * never logged. */
	char *(*pin_hash)(const char *pin, GError **err);
	/* The fraud guard's limits in force (the record "cor/limits" over
	 * the module configuration; 0: no limit). */
	void (*limits)(guint *max_external, guint *per_minute);
	/* The time zone of schedules whose record names none (g_free). */
	char *(*zone)(void);
	/* Appended (editable fraud limits): the limits of the module's XML
	 * configuration alone, what deleting "cor/limits" returns to. The
	 * record itself is checked by check() like every "cor/" record. */
	void (*limits_xml)(guint *max_external, guint *per_minute);
} cor_admin_v1;

#define COR_SVC_PIN_MIN 4
#define COR_SVC_PIN_MAX 16

/* ---- inside the cor module ---- */
/* corsvc-check.c (pure: the rule engine only) */
gboolean cor_svc_check(const char *key, const char *json, gsize len, GHashTable *errs);
/* Splits "KEY: field F: WHY" into F and WHY (g_free both); FALSE when the
 * message has another shape. */
gboolean cor_svc_split(const char *message, char **field, char **why);
/* The service's pin_hash. */
char    *cor_svc_pin_hash(const char *pin, GError **err);

/* corsvc.c: provides the service for glue g (the module's start) and
 * forgets g (its stop; the loader withdraws the service itself). */
struct cor_glue;
struct bw_module;
int  cor_svc_provide(struct bw_module *m, struct cor_glue *g);
void cor_svc_forget(void);

#endif
