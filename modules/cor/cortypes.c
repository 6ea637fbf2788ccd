/* Shared helpers of the CoR engine: error domain, period names, day masks
 * and "HH:MM" times as written in provisioning records. */
#include "cortypes.h"

#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(bulwark-cor-error-quark, cor_error)

static const char *const period_names[COR_PERIOD_COUNT] = {
	"day", "night1", "night2"
};

const char *cor_period_name(cor_period p)
{
	return (guint) p < COR_PERIOD_COUNT ? period_names[p] : "?";
}

gboolean cor_period_parse(const char *s, cor_period *out)
{
	for (guint i = 0; s && i < COR_PERIOD_COUNT; i++) {
		if (g_ascii_strcasecmp(s, period_names[i]) == 0) {
			*out = (cor_period) i;
			return TRUE;
		}
	}
	return FALSE;
}

static const char *const day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

static int day_index(const char *s, gsize n)
{
	for (int i = 0; i < 7; i++)
		if (n == 3 && g_ascii_strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

static gboolean days_item(const char *item, guint8 *mask, GError **err)
{
	const char *dash = strchr(item, '-');

	if (g_ascii_strcasecmp(item, "all") == 0) {
		*mask |= COR_DAYS_ALL;
		return TRUE;
	}
	if (g_ascii_strcasecmp(item, "hol") == 0) {
		*mask |= COR_DAY_HOLIDAY;
		return TRUE;
	}
	int a = day_index(item, dash ? (gsize) (dash - item) : strlen(item));
	int b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
	if (a < 0 || b < 0) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "days \"%s\": expected mon..sun, a range like mon-fri, all or hol",
			    item);
		return FALSE;
	}
	/* A range may wrap the week end: fri-mon. */
	for (int i = a;; i = (i + 1) % 7) {
		*mask |= (guint8) (1u << i);
		if (i == b)
			break;
	}
	return TRUE;
}

gboolean cor_days_parse(const char *s, guint8 *mask, GError **err)
{
	*mask = 0;
	if (!s || !*s || strlen(s) > 64) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "days: empty or longer than 64 characters");
		return FALSE;
	}
	gchar **items = g_strsplit(s, ",", 16);
	gboolean ok = TRUE;
	for (guint i = 0; ok && items[i]; i++)
		ok = days_item(g_strstrip(items[i]), mask, err);
	g_strfreev(items);
	return ok;
}

gboolean cor_hhmm_parse(const char *s, guint16 *minute, GError **err)
{
	unsigned h, m;
	char tail;

	if (!s || strlen(s) != 5 || s[2] != ':' ||
	    sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 ||
	    !g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[3]) ||
	    m > 59 || h > 24 || (h == 24 && m != 0)) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "time \"%s\": expected HH:MM between 00:00 and 24:00",
			    s ? s : "(null)");
		return FALSE;
	}
	*minute = (guint16) (h * 60 + m);
	return TRUE;
}

gboolean cor_window_contains(guint8 days, guint16 from, guint16 to,
			     const cor_when *when)
{
	guint8 bit = when->holiday ? COR_DAY_HOLIDAY
				   : (guint8) (1u << (when->weekday - 1));

	if (!(days & bit))
		return FALSE;
	if (from <= to)
		return when->minute >= from && when->minute < to;
	return when->minute >= from || when->minute < to;
}
