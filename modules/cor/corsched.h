/* Service-period schedules: which of Day, Night 1, Night 2 applies at an
 * instant, in the schedule's time zone (the system's local zone unless
 * named). Holidays (every year on a date, or once on a full date) come
 * first: on a holiday only windows carrying the holiday day bit count and
 * the holiday period applies otherwise. On other days the first window
 * (in written order) containing the local time gives the period, else the
 * default period. A manual override (day/night1/night2) beats it all; the
 * caller keeps the override (it outlives rule-set rebuilds) and passes it
 * in. Immutable once built apart from the refcount; resolving does not
 * allocate. */
#ifndef BW_COR_SCHED_H
#define BW_COR_SCHED_H

#include "cortypes.h"

G_BEGIN_DECLS

#define COR_SCHED_MAX_WINDOWS  256u
#define COR_SCHED_MAX_HOLIDAYS 512u

typedef enum {
	COR_OVERRIDE_AUTO = 0,
	COR_OVERRIDE_DAY,
	COR_OVERRIDE_NIGHT1,
	COR_OVERRIDE_NIGHT2,
} cor_override;

typedef struct cor_sched cor_sched;

/* zone NULL or "" for the local zone; an unknown name is an error
 * (GLib would silently fall back to UTC). */
cor_sched   *cor_sched_new(const char *zone, GError **err);
cor_sched   *cor_sched_ref(cor_sched *s);
void         cor_sched_unref(cor_sched *s);
gboolean     cor_sched_add_window(cor_sched *s, guint8 days, guint16 from,
				  guint16 to, cor_period period, GError **err);
/* year 0: every year. Checks the date exists (29 Feb allowed yearly). */
gboolean     cor_sched_add_holiday(cor_sched *s, guint year, guint month,
				   guint day, GError **err);
void         cor_sched_set_defaults(cor_sched *s, cor_period outside,
				    cor_period holiday);
const char  *cor_sched_tzname(const cor_sched *s);
cor_period   cor_sched_resolve(const cor_sched *s, gint64 unix_time,
			       cor_override override, cor_when *when);
/* "auto", "day", "night1", "night2". */
gboolean     cor_override_parse(const char *s, cor_override *out);

G_END_DECLS
#endif
