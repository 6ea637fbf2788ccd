/* A set of digit patterns compiled into a deterministic automaton over the
 * 13-symbol alphabet, so that finding every pattern matching a number is
 * one table step per symbol: O(number length), no allocation, no lock.
 * Each accepting state lists the matching pattern indices best first:
 * longest literal prefix, then fewest wildcards, then lowest index (the
 * order the administrator wrote). Immutable once built. */
#ifndef BW_COR_DFA_H
#define BW_COR_DFA_H

#include "corpattern.h"

G_BEGIN_DECLS

/* Bounds on one automaton: pathological wildcard mixes fail to compile
 * with an error instead of eating memory. States cost 13 transitions of 4
 * bytes; set entries are the construction's transient memory (4 bytes). */
#define COR_DFA_MAX_STATES  (1u << 18)
#define COR_DFA_MAX_ENTRIES (1u << 24)

typedef struct cor_dfa {
	guint32  n_states;    /* state 0 is dead, state 1 is the start */
	guint32 *next;        /* n_states * COR_NSYM */
	guint32 *acc_off;     /* per state: offset into acc */
	guint32 *acc_len;     /* per state: number of matching patterns */
	guint32 *acc;         /* pattern indices, best first */
	guint32  acc_total;
} cor_dfa;

/* Builds the automaton of n patterns with at most max_states states (and
 * never more than COR_DFA_MAX_STATES); NULL with COR_ERROR_LIMIT beyond.
 * n may be 0 (matches nothing). */
cor_dfa *cor_dfa_build(const cor_pattern *const *patterns, guint n,
		       guint32 max_states, GError **err);
void     cor_dfa_free(cor_dfa *d);
/* The best-first list of patterns matching number (*len 0 if none); the
 * number must be valid (cor_number_valid). */
const guint32 *cor_dfa_match(const cor_dfa *d, const char *number, guint32 *len);
/* Whether a is more specific than b (a strict order with the index). */
gboolean cor_pattern_better(const cor_pattern *a, guint ia,
			    const cor_pattern *b, guint ib);

G_END_DECLS
#endif
