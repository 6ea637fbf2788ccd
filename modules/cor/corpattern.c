/* Digit pattern parser and reference matcher (syntax in corpattern.h).
 * Input is administrator text: every error says where and why, and the
 * parse never reads past COR_PATTERN_MAX characters. */
#include "corpattern.h"

#include <string.h>

#define MASK_DIGITS 0x3ffu

static gboolean fail(GError **err, const char *text, gsize pos, const char *why)
{
	g_set_error(err, COR_ERROR, COR_ERROR_PATTERN,
		    "pattern \"%.*s\": position %zu: %s",
		    COR_PATTERN_MAX, text, pos + 1, why);
	return FALSE;
}

/* Parses "[...]" starting at text[*i] == '['; leaves *i on the ']'. */
static gboolean parse_set(const char *text, gsize n, gsize *i, guint16 *mask,
			  GError **err)
{
	gsize start = *i;

	*mask = 0;
	for ((*i)++; *i < n && text[*i] != ']'; (*i)++) {
		char a = text[*i];
		if (!g_ascii_isdigit(a))
			return fail(err, text, *i, "only digits and ranges may appear in [ ]");
		if (*i + 2 < n && text[*i + 1] == '-' && text[*i + 2] != ']') {
			char b = text[*i + 2];
			if (!g_ascii_isdigit(b))
				return fail(err, text, *i + 2, "range end is not a digit");
			if (b < a)
				return fail(err, text, *i, "range is reversed");
			for (char c = a; c <= b; c++)
				*mask |= (guint16) (1u << (c - '0'));
			*i += 2;
		} else {
			*mask |= (guint16) (1u << (a - '0'));
		}
	}
	if (*i >= n)
		return fail(err, text, start, "unterminated [");
	if (!*mask)
		return fail(err, text, start, "empty set []");
	return TRUE;
}

static guint16 class_mask(char c)
{
	switch (c) {
	case 'X': case 'x': return MASK_DIGITS;
	case 'Z': case 'z': return MASK_DIGITS & ~1u;
	case 'N': case 'n': return MASK_DIGITS & ~3u;
	default: {
		int s = cor_sym((unsigned char) c);
		return s < 0 ? 0 : (guint16) (1u << s);
	}
	}
}

static void finish(cor_pattern *p)
{
	gboolean prefix = TRUE;

	p->literal_prefix = 0;
	p->wildcards = p->tail != COR_TAIL_NONE;
	for (guint i = 0; i < p->len; i++) {
		gboolean literal = (p->mask[i] & (p->mask[i] - 1)) == 0;
		if (!literal) {
			p->wildcards++;
			prefix = FALSE;
		} else if (prefix) {
			p->literal_prefix++;
		}
	}
}

gboolean cor_pattern_parse(const char *text, cor_pattern *out, GError **err)
{
	gsize n = text ? strnlen(text, COR_PATTERN_MAX + 1) : 0;

	memset(out, 0, sizeof *out);
	if (n == 0)
		return fail(err, "", 0, "empty pattern");
	if (n > COR_PATTERN_MAX)
		return fail(err, text, COR_PATTERN_MAX, "longer than 64 characters");
	for (gsize i = 0; i < n; i++) {
		char c = text[i];
		guint16 mask;
		if (c == '.' || c == '!') {
			if (i != n - 1)
				return fail(err, text, i, "'.' and '!' may only end a pattern");
			out->tail = c == '.' ? COR_TAIL_ONE_OR_MORE : COR_TAIL_ZERO_OR_MORE;
			break;
		}
		if (c == '[') {
			if (!parse_set(text, n, &i, &mask, err))
				return FALSE;
		} else if (!(mask = class_mask(c))) {
			return fail(err, text, i, c == ']' ? "unmatched ]"
				    : "not a digit, * # +, X Z N, [set], '.' or '!'");
		}
		out->mask[out->len++] = mask;
	}
	finish(out);
	return TRUE;
}

gboolean cor_number_valid(const char *number)
{
	gsize n = number ? strnlen(number, COR_PATTERN_MAX + 1) : 0;

	if (n == 0 || n > COR_PATTERN_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (cor_sym((unsigned char) number[i]) < 0)
			return FALSE;
	return TRUE;
}

gboolean cor_pattern_match(const cor_pattern *p, const char *number)
{
	if (!cor_number_valid(number))
		return FALSE;
	gsize n = strlen(number);
	if (n < p->len)
		return FALSE;
	for (guint i = 0; i < p->len; i++)
		if (!(p->mask[i] & (1u << cor_sym((unsigned char) number[i]))))
			return FALSE;
	switch (p->tail) {
	case COR_TAIL_ONE_OR_MORE:  return n > p->len;
	case COR_TAIL_ZERO_OR_MORE: return TRUE;
	default:                    return n == p->len;
	}
}
