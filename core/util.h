/* Internal helpers shared by several core areas (not part of the SDK). */
#ifndef BW_UTIL_H
#define BW_UTIL_H
#include <glib.h>

/* Sets *err (when err is not NULL) in domain/code with a printf-style
 * message and returns FALSE, so a check can end in `return bw_util_fail(…)`. */
gboolean bw_util_fail(GError **err, GQuark domain, gint code, const char *fmt, ...)
	G_GNUC_PRINTF(4, 5);

/* The whole regular file path, NUL-terminated, when it holds at most max
 * bytes; never allocates more than max + 1 whatever the file does (grows,
 * is a FIFO or a device). Errors are G_FILE_ERROR: from errno, or
 * G_FILE_ERROR_INVAL for a non-regular file, G_FILE_ERROR_FAILED when too
 * large; messages name the file. */
char *bw_util_read_file(const char *path, gsize max, gsize *len, GError **err);

#endif
