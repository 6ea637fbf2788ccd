/* Internal layout of a compiled cor_ruleset, shared by the compiler
 * (corcompile.c) and the decision code (cordecide.c) only. Everything is
 * resolved at compile time (party -> group pointers), so a decision only
 * follows pointers and walks automata. */
#ifndef BW_COR_INT_H
#define BW_COR_INT_H

#include "corrules.h"

typedef struct rs_rule {
	const char *pattern;
	const char *name;
	cor_action  action;
} rs_rule;

typedef struct rs_group {
	guint       id;
	const char *name;
	cor_action  fallback;
	cor_on_deny on_deny;
	const char *attendant;
	guint       n_rules;
	rs_rule    *rules;
	cor_dfa    *dfa;
} rs_group;

typedef struct rs_cos {
	guint       id;
	const char *name;
	guint       flags;
} rs_cos;

typedef struct rs_plan rs_plan;

typedef struct rs_party {
	const char     *id;
	const rs_group *cor[COR_PERIOD_COUNT];
	const rs_cos   *cos;
	guint           group;
	const rs_plan  *ars;
	const char     *system_code;
} rs_party;

typedef struct rs_account {
	const char     *code;
	gboolean        verified;
	const char     *pin_hash;
	const rs_group *cor;   /* NULL: keep */
	const rs_cos   *cos;   /* NULL: keep */
} rs_account;

typedef struct rs_route {
	const char     *pattern;
	guint           n_windows;
	cor_window      windows[COR_MAX_WINDOWS];
	guint           n_trunks;
	const char     *trunks[COR_MAX_CANDIDATES];
	const rs_party *trunk[COR_MAX_CANDIDATES];  /* NULL: not provisioned */
} rs_route;

struct rs_plan {
	const char *name;
	guint       n_routes;
	rs_route   *routes;
	cor_dfa    *dfa;
};

struct cor_ruleset {
	gint          ref;
	GStringChunk *strings;
	guint         n_groups;
	rs_group     *groups;       /* sorted by id */
	rs_group      barred;       /* for assignments to missing groups */
	guint         n_cos;
	rs_cos       *cos;          /* sorted by id */
	GHashTable   *parties[2];   /* id -> rs_party* */
	rs_party      unknown[2];   /* parties not provisioned */
	GHashTable   *accounts;     /* code -> rs_account* */
	GHashTable   *plans;        /* name -> rs_plan* */
	GHashTable   *links;        /* gint64* -> action + 1 */
	cor_action    link_default[2][2];
	guint         n_emergency;
	const char  **emergency;
	const char   *trunk_prefix; /* NULL: none */
	cor_sched    *sched;
	GPtrArray    *allocs;       /* everything else to free */
	guint32       state_budget; /* automaton states left while compiling */
};

const rs_group *cor_rs_group(const cor_ruleset *rs, guint id);
const rs_cos   *cor_rs_cos(const cor_ruleset *rs, guint id);

#endif
