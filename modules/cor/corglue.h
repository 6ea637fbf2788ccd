/* The cor module's glue between the rule engine (corrules.h) and the core:
 * configuration, the model kept from the store's "cor/" records, the
 * compiled rule set handed to the signalling thread, the hooks
 * "call.authorize" and "call.route", the fraud guard and the control
 * commands (docs/cor.md, "The module").
 *
 * Threads: the model, the store watch, the event subscriptions and the
 * control commands live on the management thread; the rule set in force,
 * the guard and the trunk states live on the signalling thread (cor_sig),
 * where the hooks read them and where a new rule set is swapped in. The
 * configuration is immutable once the module runs; the manual service
 * override is an atomic int read by both. */
#ifndef BW_COR_GLUE_H
#define BW_COR_GLUE_H

#include <bulwark/bulwark.h>
#include "corguard.h"
#include "corjson.h"
#include "corlimits.h"
#include "corrules.h"

G_BEGIN_DECLS

#define COR_GLUE_PRIORITY   100
#define COR_GLUE_TRACK_MAX  10000u     /* extensions the guard tracks */
#define COR_GLUE_ACCT_MAX   COR_MAX_NAME
#define COR_SERVICE_KEY     "cor/service"

typedef enum { COR_BARRED_REJECT = 0, COR_BARRED_ATTENDANT } cor_barred;

typedef struct cor_glue_conf {
	char      *zone;            /* NULL: the system's local zone */
	cor_barred barred;
	char      *attendant;       /* NULL: none */
	char      *trunk_prefix;    /* NULL: none */
	char     **emergency;       /* numbers */
	char      *account_prefix;  /* NULL: account codes are not dialled */
	guint      max_concurrent;  /* 0: no limit */
	guint      max_per_minute;  /* 0: no limit */
} cor_glue_conf;

/* Reads <module name="cor" .../> (validated by mod_cor.rng); FALSE with
 * an error naming file, line and attribute. */
gboolean cor_glue_conf_read(const bw_conf_node *n, cor_glue_conf *c, GError **err);
void     cor_glue_conf_clear(cor_glue_conf *c);

/* Signalling-thread state. */
typedef struct cor_sig {
	cor_ruleset *rs;            /* in force; NULL before the first install */
	cor_guard   *guard;
	GHashTable  *counted;       /* call id -> extension counted by the guard */
	GHashTable  *down;          /* trunk names reported down */
	/* what the hooks hand to the engine must outlive the hook: */
	char acct_code[COR_GLUE_ACCT_MAX + 1], acct_pin[COR_GLUE_ACCT_MAX + 1];
	char target[COR_MAX_NAME + 1];
	char redirect_call[64], redirect_to[COR_MAX_NAME + 1];
	guint64 installs;           /* rule sets swapped in */
} cor_sig;

typedef struct cor_glue {
	cor_glue_conf conf;
	gint          override;     /* cor_override, atomic */
	/* management thread */
	bw_store     *store;
	cor_model    *model;
	cor_ruleset  *latest;       /* the last compiled set (mgmt's own ref) */
	bw_watch     *watch;
	bw_sub       *ended_sub, *trunk_sub;
	guint         compile_source;
	bw_hook      *h_authorize, *h_route;
	cor_sig      *sig;
	gint          generation;   /* compiles published, atomic (tests wait) */
	cor_limits    limits;       /* the saved cor/limits record (management) */
} cor_glue;

cor_glue *cor_glue_new(cor_glue_conf *conf);   /* takes conf's contents */
void      cor_glue_free(cor_glue *g);
/* Loads the model from s, compiles, installs on the signalling thread,
 * watches "cor/", subscribes to call.ended and trunk.*, adds the hooks.
 * Management thread. */
gboolean  cor_glue_start(cor_glue *g, bw_store *s, GError **err);
void      cor_glue_stop(cor_glue *g);

/* ---- corglue-load.c (management thread) ---- */
/* Applies one changed record to the model ("cor/service" sets the
 * override, "cor/limits" the fraud guard's limits on the signalling
 * thread); logs a refused record with key and field. TRUE if the model
 * changed. */
gboolean  cor_glue_apply(cor_glue *g, const char *key, GBytes *value);
/* Compiles the model and hands the set to the signalling thread; on
 * failure the set in force stays and the reason is logged. */
gboolean  cor_glue_publish(cor_glue *g);
gboolean  cor_glue_load(cor_glue *g, GError **err);
/* The fraud limits in force (cor/limits over the configuration; 0: no
 * limit). Management thread. */
void      cor_glue_limits(const cor_glue *g, guint *max_concurrent, guint *max_per_minute);
void      cor_glue_watch(cor_glue *g);
void      cor_glue_unwatch(cor_glue *g);

/* ---- corglue-hook.c (signalling thread) ---- */
cor_sig  *cor_sig_new(const cor_glue_conf *c);
void      cor_sig_free(cor_sig *s);
/* The attempt as a request. Strips a dialled account code (conf's
 * account_prefix: PREFIX CODE [* PIN] * NUMBER) into the attempt, whose
 * strings then point into s. FALSE for a malformed account code. */
gboolean  cor_glue_request(const cor_glue *g, cor_sig *s, bw_call_attempt *a,
			   cor_request *r);
/* Period and local time now, with the override. */
cor_period cor_glue_period(const cor_glue *g, const cor_ruleset *rs, cor_when *when);
bw_hook_result cor_glue_authorize(void *args, bw_verdict *v, void *user_data);
bw_hook_result cor_glue_route(void *args, bw_verdict *v, void *user_data);
void      cor_glue_call_ended(cor_sig *s, const char *call_id);
void      cor_glue_trunk_state(cor_sig *s, const char *trunk, gboolean down);
/* What `cor show` prints for caller (extension number or "trunk:NAME")
 * dialling number. Signalling thread. */
char     *cor_glue_explain(cor_glue *g, const char *caller, const char *number);

/* ---- corglue-ctl.c (management thread) ---- */
void      cor_glue_ctl_add(cor_glue *g);
void      cor_glue_ctl_remove(void);
/* Sets and stores the override, audited as actor. */
gboolean  cor_glue_service_set(cor_glue *g, const char *mode, const char *actor,
			       GError **err);
/* Shared with the cor.admin service (corsvc.c): cor_glue_explain run on
 * the signalling thread and waited for (g_free), or NULL with err when
 * that thread does not answer; an argument of `cor show` (1-200 of
 * letters, digits and extra; NULL: no); an override's name. */
#define COR_GLUE_ARG_MAX 200
char     *cor_glue_explain_wait(cor_glue *g, const char *caller, const char *number,
				GError **err);
gboolean  cor_glue_arg_ok(const char *s, const char *extra);
const char *cor_override_name(cor_override o);

G_END_DECLS
#endif
