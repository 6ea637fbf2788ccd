/* Types shared by the CoR engine's parts (patterns, rules, schedules,
 * provisioning): the error domain, service periods and the local time a
 * decision is taken at. Pure GLib, no dependency on the rest of the core. */
#ifndef BW_COR_TYPES_H
#define BW_COR_TYPES_H

#include <glib.h>

G_BEGIN_DECLS

#define COR_ERROR (cor_error_quark())
GQuark cor_error_quark(void);
typedef enum {
	COR_ERROR_PATTERN,   /* a digit pattern does not parse */
	COR_ERROR_INVALID,   /* a model value is out of range or inconsistent */
	COR_ERROR_LIMIT,     /* a size or count bound was exceeded */
	COR_ERROR_JSON,      /* a provisioning record does not parse */
	COR_ERROR_TIMEZONE,  /* unknown time zone name */
} cor_error_code;

typedef enum {
	COR_PERIOD_DAY = 0,
	COR_PERIOD_NIGHT1,
	COR_PERIOD_NIGHT2,
	COR_PERIOD_COUNT
} cor_period;

/* Local wall-clock time of a decision, as resolved by corsched: ARS time
 * windows are matched against it. */
typedef struct cor_when {
	guint8   weekday;   /* 1 = Monday .. 7 = Sunday (ISO 8601) */
	guint16  minute;    /* 0 .. 1439 since local midnight */
	gboolean holiday;
} cor_when;

/* Day-of-week masks: bit (weekday - 1), plus the holiday bit. */
#define COR_DAYS_ALL      0x7fu
#define COR_DAYS_WORKWEEK 0x1fu
#define COR_DAY_HOLIDAY   0x80u

const char *cor_period_name(cor_period p);
/* "day", "night1", "night2" (case-insensitive); FALSE if none. */
gboolean    cor_period_parse(const char *s, cor_period *out);

/* Day-mask parsing: "mon-fri", "sat,sun", "all", "hol", "mon,wed-fri,hol". */
gboolean    cor_days_parse(const char *s, guint8 *mask, GError **err);
/* "HH:MM" (00:00 .. 24:00) into minutes. */
gboolean    cor_hhmm_parse(const char *s, guint16 *minute, GError **err);
/* Whether [from, to) on the days in mask contains when; from > to wraps
 * past midnight (the part after midnight belongs to the same day entry). */
gboolean    cor_window_contains(guint8 days, guint16 from, guint16 to,
				const cor_when *when);

G_END_DECLS
#endif
