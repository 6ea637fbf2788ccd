/* Service-period schedules (contract in corsched.h). Local time comes from
 * the zone's offset at the instant, then civil-date arithmetic, so that a
 * resolve allocates nothing and is exact across DST changes. */
#include "corsched.h"

#include <string.h>

typedef struct sched_window {
	guint8     days;
	guint16    from, to;
	cor_period period;
} sched_window;

typedef struct sched_holiday {
	guint16 year;   /* 0: every year */
	guint8  month, day;
} sched_holiday;

struct cor_sched {
	gint       ref;
	GTimeZone *tz;
	char      *tzname;
	cor_period outside, holiday;
	GArray    *windows;   /* sched_window */
	GArray    *holidays;  /* sched_holiday */
};

/* g_time_zone_new() silently maps an unknown name to UTC, which would put
 * a whole site on the wrong schedule: new_identifier() says NULL instead. */
static gboolean tz_known(const char *name)
{
	GTimeZone *tz = g_time_zone_new_identifier(name);
	if (!tz)
		return FALSE;
	g_time_zone_unref(tz);
	return TRUE;
}

cor_sched *cor_sched_new(const char *zone, GError **err)
{
	gboolean local = !zone || !*zone;

	if (!local && (strlen(zone) > 64 || !tz_known(zone))) {
		g_set_error(err, COR_ERROR, COR_ERROR_TIMEZONE,
			    "schedule: unknown time zone \"%.64s\"", zone);
		return NULL;
	}
	cor_sched *s = g_new0(cor_sched, 1);
	s->ref = 1;
	s->tz = local ? g_time_zone_new_local() : g_time_zone_new_identifier(zone);
	s->tzname = g_strdup(local ? "local" : zone);
	s->outside = COR_PERIOD_DAY;
	s->holiday = COR_PERIOD_DAY;
	s->windows = g_array_new(FALSE, FALSE, sizeof(sched_window));
	s->holidays = g_array_new(FALSE, FALSE, sizeof(sched_holiday));
	return s;
}

cor_sched *cor_sched_ref(cor_sched *s)
{
	g_atomic_int_inc(&s->ref);
	return s;
}

void cor_sched_unref(cor_sched *s)
{
	if (!s || !g_atomic_int_dec_and_test(&s->ref))
		return;
	g_time_zone_unref(s->tz);
	g_free(s->tzname);
	g_array_free(s->windows, TRUE);
	g_array_free(s->holidays, TRUE);
	g_free(s);
}

gboolean cor_sched_add_window(cor_sched *s, guint8 days, guint16 from,
			      guint16 to, cor_period period, GError **err)
{
	if (s->windows->len >= COR_SCHED_MAX_WINDOWS) {
		g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
			    "schedule: more than %u windows", COR_SCHED_MAX_WINDOWS);
		return FALSE;
	}
	if (!days || from > 1440 || to > 1440 || (guint) period >= COR_PERIOD_COUNT) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "schedule: window needs days, times within 00:00..24:00 and a period");
		return FALSE;
	}
	sched_window w = { days, from, to, period };
	g_array_append_val(s->windows, w);
	return TRUE;
}

static guint days_in_month(guint year, guint month)
{
	if (year == 0)  /* yearly: accept 29 February */
		return month == 2 ? 29 : g_date_get_days_in_month((GDateMonth) month, 2001);
	return g_date_get_days_in_month((GDateMonth) month, (GDateYear) year);
}

gboolean cor_sched_add_holiday(cor_sched *s, guint year, guint month,
			       guint day, GError **err)
{
	if (s->holidays->len >= COR_SCHED_MAX_HOLIDAYS) {
		g_set_error(err, COR_ERROR, COR_ERROR_LIMIT,
			    "schedule: more than %u holidays", COR_SCHED_MAX_HOLIDAYS);
		return FALSE;
	}
	if ((year && (year < 1970 || year > 9999)) || month < 1 || month > 12 ||
	    day < 1 || day > days_in_month(year, month)) {
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "schedule: holiday %04u-%02u-%02u is not a date", year, month, day);
		return FALSE;
	}
	sched_holiday h = { (guint16) year, (guint8) month, (guint8) day };
	g_array_append_val(s->holidays, h);
	return TRUE;
}

void cor_sched_set_defaults(cor_sched *s, cor_period outside, cor_period holiday)
{
	s->outside = outside;
	s->holiday = holiday;
}

const char *cor_sched_tzname(const cor_sched *s)
{
	return s->tzname;
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian). */
static void civil_from_days(gint64 z, guint *y, guint *m, guint *d)
{
	z += 719468;
	gint64 era = (z >= 0 ? z : z - 146096) / 146097;
	gint64 doe = z - era * 146097;
	gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	gint64 mp = (5 * doy + 2) / 153;
	*d = (guint) (doy - (153 * mp + 2) / 5 + 1);
	*m = (guint) (mp < 10 ? mp + 3 : mp - 9);
	*y = (guint) (yoe + era * 400 + (*m <= 2));
}

static gboolean is_holiday(const cor_sched *s, guint y, guint m, guint d)
{
	for (guint i = 0; i < s->holidays->len; i++) {
		const sched_holiday *h = &g_array_index(s->holidays, sched_holiday, i);
		if (h->month == m && h->day == d && (h->year == 0 || h->year == y))
			return TRUE;
	}
	return FALSE;
}

static void local_when(const cor_sched *s, gint64 t, cor_when *when)
{
	gint iv = g_time_zone_find_interval(s->tz, G_TIME_TYPE_UNIVERSAL, t);
	gint64 local = t + (iv >= 0 ? g_time_zone_get_offset(s->tz, iv) : 0);
	gint64 days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	gint64 secs = local - days * 86400;
	guint y, m, d;

	civil_from_days(days, &y, &m, &d);
	when->weekday = (guint8) (((days % 7 + 7 + 3) % 7) + 1);
	when->minute = (guint16) (secs / 60);
	when->holiday = is_holiday(s, y, m, d);
}

cor_period cor_sched_resolve(const cor_sched *s, gint64 unix_time,
			     cor_override override, cor_when *when)
{
	cor_when w;

	local_when(s, unix_time, &w);
	if (when)
		*when = w;
	if (override != COR_OVERRIDE_AUTO && override <= COR_OVERRIDE_NIGHT2)
		return (cor_period) (override - COR_OVERRIDE_DAY);
	for (guint i = 0; i < s->windows->len; i++) {
		const sched_window *x = &g_array_index(s->windows, sched_window, i);
		if (cor_window_contains(x->days, x->from, x->to, &w))
			return x->period;
	}
	return w.holiday ? s->holiday : s->outside;
}

gboolean cor_override_parse(const char *s, cor_override *out)
{
	static const char *const names[] = { "auto", "day", "night1", "night2" };

	for (guint i = 0; s && i < G_N_ELEMENTS(names); i++) {
		if (g_ascii_strcasecmp(s, names[i]) == 0) {
			*out = (cor_override) i;
			return TRUE;
		}
	}
	return FALSE;
}
