/* Internal helpers shared by several core areas (not part of the SDK). */
#ifndef BW_UTIL_H
#define BW_UTIL_H
#include <glib.h>

/* Sets *err (when err is not NULL) in domain/code with a printf-style
 * message and returns FALSE, so a check can end in `return bw_util_fail(…)`. */
gboolean bw_util_fail(GError **err, GQuark domain, gint code, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

#endif
