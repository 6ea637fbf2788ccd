/* Digit patterns as PBX administrators write them.
 *
 * Alphabet of dialled numbers: 0-9 * # + (13 symbols). A pattern is a
 * sequence of positions, each matching exactly one symbol of the number,
 * optionally followed by one tail:
 *   0-9 * # +   that symbol
 *   X           any digit 0-9
 *   Z           any digit 1-9
 *   N           any digit 2-9
 *   [1-5] [137] [0-35-9]   one digit of a set; digits and ranges only
 *   .  (last)   one or more further symbols of the alphabet
 *   !  (last)   zero or more further symbols of the alphabet
 * Without a tail a pattern matches numbers of exactly its length. X, Z, N
 * may be written in lower case. At most COR_PATTERN_MAX characters of text
 * and positions. Specificity, used by rule precedence: the literal prefix
 * (leading positions with a single symbol) and the wildcard count (every
 * position matching more than one symbol, plus one for a tail). */
#ifndef BW_COR_PATTERN_H
#define BW_COR_PATTERN_H

#include "cortypes.h"

G_BEGIN_DECLS

#define COR_PATTERN_MAX 64
#define COR_NSYM 13

typedef enum {
	COR_TAIL_NONE = 0,
	COR_TAIL_ONE_OR_MORE,   /* '.' */
	COR_TAIL_ZERO_OR_MORE,  /* '!' */
} cor_tail;

typedef struct cor_pattern {
	guint8  len;                       /* positions, tail excluded */
	guint8  tail;                      /* cor_tail */
	guint8  literal_prefix;
	guint8  wildcards;
	guint16 mask[COR_PATTERN_MAX];     /* bit i: symbol index i matches */
} cor_pattern;

/* Symbol index of c (0-9 -> 0..9, '*' 10, '#' 11, '+' 12) or -1. */
static inline int cor_sym(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c == '*' ? 10 : c == '#' ? 11 : c == '+' ? 12 : -1;
}

/* Parses text; on failure the error says the position (1-based) and why. */
gboolean cor_pattern_parse(const char *text, cor_pattern *out, GError **err);
/* Reference matcher (backtracking-free, O(length)); the compiled rule set
 * must agree with it. */
gboolean cor_pattern_match(const cor_pattern *p, const char *number);
/* Whether number is 1..COR_PATTERN_MAX symbols of the alphabet. */
gboolean cor_number_valid(const char *number);

G_END_DECLS
#endif
