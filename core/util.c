/* Internal helpers shared by several core areas (util.h). */
#include "util.h"

gboolean bw_util_fail(GError **err, GQuark domain, gint code, const char *fmt, ...)
{
	if (!err)
		return FALSE;
	va_list ap;
	va_start(ap, fmt);
	GError *e = g_error_new_valist(domain, code, fmt, ap);
	va_end(ap);
	g_propagate_error(err, e);
	return FALSE;
}
