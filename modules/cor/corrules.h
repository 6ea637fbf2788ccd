/* The CoR/CoS model, its compiler and the decision API.
 *
 * cor_model is the mutable provisioning picture (built by corjson or by
 * code); cor_compile turns it into an immutable, refcounted cor_ruleset
 * that answers cor_decide without allocating or locking, so a module can
 * build a new set on the management thread and hand it to the signalling
 * thread, which swaps its pointer and unrefs the old set (readers and the
 * swap on one thread: no reader can see a freed set).
 *
 * Semantics (docs/cor.md has the full text):
 * - CoR groups (ids 0..COR_MAX_GROUP_ID) are ordered rule lists (pattern,
 *   allow|deny, name); the most specific matching pattern wins (longest
 *   literal prefix, then fewest wildcards, then the first written); when
 *   none matches, the group's fallback applies (deny unless provisioned
 *   otherwise). Group 0 is the default CoR: built in (international and
 *   premium prefixes denied, the rest allowed) unless provisioned. A party
 *   assigned a group that does not exist is barred (deny everything).
 * - CoR applies to calls towards trunks; the trunk access prefix, when
 *   configured and dialled, is stripped before matching.
 * - Emergency numbers, with or without the trunk prefix, are always
 *   allowed: before CoR, CoS, interconnect, period and account codes.
 * - Interconnect: (kind, group) -> (kind, group) allow/deny, defaults per
 *   kind pair; trunk to trunk is denied by default. */
#ifndef BW_COR_RULES_H
#define BW_COR_RULES_H

#include "cordfa.h"
#include "corsched.h"

G_BEGIN_DECLS

#define COR_MAX_GROUP_ID      65535u
#define COR_MAX_RULES         10000u   /* per CoR group */
#define COR_MAX_PARTIES       200000u  /* extensions + trunks */
#define COR_MAX_ACCOUNTS      100000u
#define COR_MAX_LINKS         65536u
#define COR_MAX_EMERGENCY     32u
#define COR_MAX_PLANS         256u
#define COR_MAX_ROUTES        1000u    /* per ARS plan */
#define COR_MAX_CANDIDATES    8u       /* trunks per ARS route */
#define COR_MAX_WINDOWS       8u       /* time windows per ARS route */
#define COR_MAX_NAME          64u      /* names, ids, codes */
#define COR_MAX_TOTAL_STATES  (1u << 22) /* automaton states, all groups */
#define COR_KEEP              G_MAXUINT /* account code: keep the party's */

typedef enum { COR_ACTION_DENY = 0, COR_ACTION_ALLOW = 1 } cor_action;
typedef enum { COR_ON_DENY_REJECT = 0, COR_ON_DENY_ATTENDANT } cor_on_deny;
typedef enum { COR_KIND_EXTENSION = 0, COR_KIND_TRUNK = 1 } cor_kind;

typedef enum {
	COR_COS_EXTERNAL          = 1u << 0,
	COR_COS_FORWARD_EXTERNAL  = 1u << 1,
	COR_COS_TRANSFER_EXTERNAL = 1u << 2,
	COR_COS_CONFERENCE        = 1u << 3,
	COR_COS_ACCOUNT_REQUIRED  = 1u << 4,
} cor_cos_flag;
/* CoS 0 unless provisioned: external calls and conference only. */
#define COR_COS_DEFAULT (COR_COS_EXTERNAL | COR_COS_CONFERENCE)

/* ---- the model ---------------------------------------------------------- */

typedef struct cor_rule {
	cor_pattern pat;
	char       *text;
	cor_action  action;
	char       *name;
} cor_rule;

typedef struct cor_group {
	guint       id;
	char       *name;
	cor_action  fallback;       /* when no rule matches */
	cor_on_deny on_deny;
	char       *attendant;      /* extension for COR_ON_DENY_ATTENDANT */
	GArray     *rules;          /* cor_rule, in written order */
} cor_group;

typedef struct cor_cos {
	guint id;
	char *name;
	guint flags;                /* cor_cos_flag */
} cor_cos;

/* An extension or a trunk. */
typedef struct cor_party {
	cor_kind kind;
	char    *id;                /* extension number or trunk name */
	guint    cor[COR_PERIOD_COUNT];
	guint    cos;
	guint    group;             /* interconnect group */
	char    *ars;               /* ARS plan name (NULL: "default") */
	char    *system_code;       /* trunks: account code dialled for them */
} cor_party;

typedef struct cor_account {
	char    *code;
	gboolean verified;
	char    *pin_hash;          /* cor_pin_hash format; verified only */
	guint    cor, cos;          /* COR_KEEP: the party's own */
} cor_account;

typedef struct cor_window {
	guint8  days;               /* COR_DAYS_* bits | COR_DAY_HOLIDAY */
	guint16 from, to;           /* minutes; from > to wraps midnight */
} cor_window;

typedef struct cor_route {
	cor_pattern pat;
	char       *text;
	guint       n_windows;      /* 0: always */
	cor_window  windows[COR_MAX_WINDOWS];
	guint       n_trunks;
	char       *trunks[COR_MAX_CANDIDATES];
} cor_route;

typedef struct cor_plan {
	char   *name;
	GArray *routes;             /* cor_route */
} cor_plan;

typedef struct cor_model {
	GHashTable *groups;         /* GUINT_TO_POINTER(id) -> cor_group* */
	GHashTable *cos;            /* GUINT_TO_POINTER(id) -> cor_cos* */
	GHashTable *parties[2];     /* by cor_kind: id -> cor_party* */
	GHashTable *accounts;       /* code -> cor_account* */
	GHashTable *plans;          /* name -> cor_plan* */
	GHashTable *links;          /* packed key -> GUINT_TO_POINTER(action+1) */
	cor_action  link_default[2][2];   /* [from kind][to kind] */
	GPtrArray  *emergency;      /* char* */
	char       *trunk_prefix;   /* NULL or "" for none */
	cor_sched  *sched;          /* NULL: always day */
} cor_model;

/* The key of an interconnect rule in cor_model.links. */
static inline gint64 cor_link_key(cor_kind from, guint from_group,
				  cor_kind to, guint to_group)
{
	return ((gint64) (from == COR_KIND_TRUNK) << 41) |
	       ((gint64) (to == COR_KIND_TRUNK) << 40) |
	       ((gint64) from_group << 20) | (gint64) to_group;
}

cor_model  *cor_model_new(void);
void        cor_model_free(cor_model *m);

/* Get-or-create; ids and names are checked against the limits. */
cor_group  *cor_model_group(cor_model *m, guint id, GError **err);
gboolean    cor_group_add_rule(cor_group *g, const char *pattern,
			       cor_action action, const char *name, GError **err);
cor_cos    *cor_model_cos(cor_model *m, guint id, GError **err);
cor_party  *cor_model_party(cor_model *m, cor_kind kind, const char *id,
			    GError **err);
cor_account *cor_model_account(cor_model *m, const char *code, GError **err);
cor_plan   *cor_model_plan(cor_model *m, const char *name, GError **err);
gboolean    cor_plan_add_route(cor_plan *p, const char *pattern,
			       const cor_window *windows, guint n_windows,
			       const char *const *trunks, guint n_trunks,
			       GError **err);
gboolean    cor_model_link(cor_model *m, cor_kind from, guint from_group,
			   cor_kind to, guint to_group, cor_action action,
			   GError **err);
/* Replaces the emergency list (NULL-terminated) and the trunk prefix. */
gboolean    cor_model_emergency(cor_model *m, const char *const *numbers,
				const char *trunk_prefix, GError **err);
/* Takes ownership of sched (NULL: always day). */
void        cor_model_set_sched(cor_model *m, cor_sched *sched);

/* ---- PINs --------------------------------------------------------------- */

/* "sha256:<iterations>:<salt hex>:<digest hex>", a fresh random salt. */
char       *cor_pin_hash(const char *pin);
/* Constant-time in the digest; FALSE for a malformed hash. */
gboolean    cor_pin_verify(const char *hash, const char *pin);
gboolean    cor_pin_hash_valid(const char *hash);

/* ---- the compiled rule set ---------------------------------------------- */

typedef struct cor_ruleset cor_ruleset;

cor_ruleset *cor_compile(const cor_model *m, GError **err);
cor_ruleset *cor_ruleset_ref(cor_ruleset *rs);
void         cor_ruleset_unref(cor_ruleset *rs);
/* The schedule compiled in (never NULL: an always-day one by default). */
cor_sched   *cor_ruleset_sched(const cor_ruleset *rs);

/* ---- decisions ------------------------------------------------------------ */

typedef enum {
	COR_CALL_NORMAL = 0,
	COR_CALL_FORWARD,
	COR_CALL_TRANSFER,
	COR_CALL_CONFERENCE,
} cor_call_type;

typedef gboolean (*cor_trunk_ok_fn)(const char *trunk, void *user_data);

typedef struct cor_request {
	cor_kind      caller_kind;
	const char   *caller;        /* extension number or trunk name */
	guint         caller_group;  /* interconnect group; 0: the record's */
	const char   *via;           /* forwarding/transferring extension */
	const char   *dialed;
	cor_period    period;        /* from cor_sched_resolve */
	cor_when      when;          /* for ARS windows */
	const char   *account_code;  /* optional */
	const char   *pin;           /* for a verified account code */
	cor_call_type call_type;
	cor_kind      target_kind;
	const char   *target;        /* optional: extension or trunk name */
	guint         target_group;  /* 0: the target record's */
	cor_trunk_ok_fn trunk_ok;    /* optional: is a trunk up and free */
	void         *trunk_ok_data;
} cor_request;

typedef enum { COR_ALLOW = 0, COR_DENY, COR_REDIRECT } cor_verdict;

typedef enum {
	COR_WHY_RULE = 0,          /* a CoR rule matched */
	COR_WHY_GROUP_DEFAULT,     /* no rule matched: the group's fallback */
	COR_WHY_EMERGENCY,
	COR_WHY_INTERNAL,          /* call to an extension: no CoR */
	COR_WHY_INVALID_NUMBER,
	COR_WHY_COS_EXTERNAL,
	COR_WHY_COS_FORWARD,
	COR_WHY_COS_TRANSFER,
	COR_WHY_COS_CONFERENCE,
	COR_WHY_ACCOUNT_REQUIRED,
	COR_WHY_ACCOUNT_UNKNOWN,
	COR_WHY_ACCOUNT_PIN,
	COR_WHY_INTERCONNECT,
	COR_WHY_NO_TRUNK,          /* every ARS candidate down or busy */
} cor_why;

typedef struct cor_candidate {
	const char *trunk;
	const char *system_code;   /* NULL if the trunk needs none */
} cor_candidate;

/* Strings point into the rule set or the request: valid while both live. */
typedef struct cor_decision {
	cor_verdict  verdict;
	cor_why      why;
	cor_period   period;
	const char  *number;        /* what was matched (prefix stripped) */
	guint        cor_group;
	const char  *cor_name;
	guint        cos_group;
	guint        cos_flags;
	gint         rule_index;    /* -1: none */
	const char  *rule_pattern;
	const char  *rule_name;
	cor_action   rule_action;
	gboolean     emergency;
	const char  *account_code;  /* applied or recorded code */
	gboolean     account_verified;
	const char  *attendant;     /* COR_REDIRECT target */
	const char  *ars_plan;
	gint         ars_route;     /* -1: none */
	guint        n_candidates;
	guint        n_unavailable;
	cor_candidate candidates[COR_MAX_CANDIDATES];
	gboolean     night_external; /* external call allowed outside day */
} cor_decision;

/* Always fills out; returns out->verdict. */
cor_verdict  cor_decide(const cor_ruleset *rs, const cor_request *req,
			cor_decision *out);
const char  *cor_why_text(cor_why why);
const char  *cor_verdict_name(cor_verdict v);
/* A human explanation, several lines (for `bulwarkctl cor show`). */
char        *cor_decision_explain(const cor_decision *d);

G_END_DECLS
#endif
