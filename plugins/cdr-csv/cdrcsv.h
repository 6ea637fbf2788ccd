/* cdrcsv: the pure part of mod_cdr-csv, kept apart so it can be tested
 * without a daemon: CSV quoting (RFC 4180, formula injection neutralised),
 * the record layout, and a writer that appends records to daily files
 * DIR/cdr-YYYY-MM-DD.csv (date in a given time zone) with a header in each
 * new file, fsync after every record, and deletes files older than
 * keep-days. Times are injected (microseconds since the epoch) so tests
 * can cross midnight. Not thread-safe: one writer, one thread. */
#ifndef BW_CDRCSV_H
#define BW_CDRCSV_H

#include <glib.h>

/* The columns, in order; each is read from the call.ended field of the
 * same name. NULL-terminated. */
extern const char *const bw_cdrcsv_columns[];
#define BW_CDRCSV_NCOLS 15
/* Longer values are cut (at a UTF-8 boundary): a bound on what an event
 * can make us allocate and write. */
#define BW_CDRCSV_FIELD_MAX 1024
/* keep-days upper bound (100 years), also in the schema. */
#define BW_CDRCSV_KEEP_MAX 36500

/* Append one field, quoted when it holds , " CR or LF, and prefixed with '
 * when it starts with = + - @ TAB or CR (spreadsheet formula injection).
 * NULL is an empty field. */
void   bw_cdrcsv_quote(GString *out, const char *field);
/* Append the header line / one record line (values: BW_CDRCSV_NCOLS
 * entries, NULL for empty), each ended by CRLF. */
void   bw_cdrcsv_header(GString *out);
void   bw_cdrcsv_format(GString *out, const char *const *values);

/* "1700000000", "1700000000.25" (seconds since the epoch) or ISO 8601
 * ("2026-03-01T12:00:00Z"; no offset means tz) -> microseconds since the
 * epoch, or -1 when s is NULL, empty, malformed or outside years 1-9999. */
gint64 bw_cdrcsv_parse_time(const char *s, GTimeZone *tz);

typedef struct bw_cdrcsv bw_cdrcsv;

/* Creates dir (mode 0750) when missing. tz NULL means local time.
 * keep_days 0 keeps every file. */
bw_cdrcsv *bw_cdrcsv_open(const char *dir, guint keep_days, GTimeZone *tz,
			  GError **err);
void       bw_cdrcsv_close(bw_cdrcsv *w);
const char *bw_cdrcsv_dir(const bw_cdrcsv *w);
/* FALSE skips fsync after each record (benchmarks only). */
void       bw_cdrcsv_set_sync(bw_cdrcsv *w, gboolean sync);
/* The file a record dated when_us goes to (free with g_free). */
char      *bw_cdrcsv_path_for(const bw_cdrcsv *w, gint64 when_us);
/* Append one record to the file of when_us's date (new file: mode 0640,
 * header first), then fsync. FALSE with G_FILE_ERROR on failure; the next
 * call reopens the file. */
gboolean   bw_cdrcsv_write(bw_cdrcsv *w, const char *const *values,
			   gint64 when_us, GError **err);
/* Delete cdr-YYYY-MM-DD.csv files dated more than keep_days before the
 * date of now_us. Unless force, does nothing when it already ran for that
 * date. Returns the number deleted, or -1 with err. */
int        bw_cdrcsv_prune(bw_cdrcsv *w, gint64 now_us, gboolean force,
			   GError **err);

#endif
