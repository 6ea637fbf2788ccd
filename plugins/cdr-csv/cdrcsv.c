/* cdrcsv: CSV formatting, daily files and retention for mod_cdr-csv.
 * See cdrcsv.h for the contract. Files are opened O_APPEND|O_NOFOLLOW and
 * every record is written with one write() followed by fsync(), so a
 * record acknowledged here survives a crash or power loss. */
#define G_LOG_DOMAIN "cdr-csv"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "cdrcsv.h"

const char *const bw_cdrcsv_columns[] = {
	"call_id", "start", "answer", "end", "duration", "billsec",
	"caller", "caller_name", "callee", "dialed", "trunk",
	"disposition", "cause", "account_code", "secure", NULL
};

G_STATIC_ASSERT(G_N_ELEMENTS(bw_cdrcsv_columns) == BW_CDRCSV_NCOLS + 1);

struct bw_cdrcsv {
	char      *dir;
	guint      keep_days;
	GTimeZone *tz;
	gboolean   sync;
	int        fd;           /* the open day file, or -1 */
	guint32    fd_day;       /* its date as a Julian day */
	guint32    pruned_day;   /* date of the last prune, 0: never */
};

/* ---- formatting ---- */

static gsize cdrcsv_cut(const char *s)
{
	gsize len = strlen(s);

	if (len <= BW_CDRCSV_FIELD_MAX)
		return len;
	len = BW_CDRCSV_FIELD_MAX;
	/* back off to the first byte of a UTF-8 sequence */
	while (len > 0 && ((guchar) s[len] & 0xC0) == 0x80)
		len--;
	return len;
}

void bw_cdrcsv_quote(GString *out, const char *field)
{
	gsize len, i;
	gboolean quote;

	if (field == NULL || *field == '\0')
		return;
	len = cdrcsv_cut(field);
	quote = FALSE;
	for (i = 0; i < len && !quote; i++)
		quote = strchr(",\"\r\n", field[i]) != NULL;
	if (quote)
		g_string_append_c(out, '"');
	if (strchr("=+-@\t\r", field[0]) != NULL)
		g_string_append_c(out, '\'');
	for (i = 0; i < len; i++) {
		if (field[i] == '"')
			g_string_append_c(out, '"');
		g_string_append_c(out, field[i]);
	}
	if (quote)
		g_string_append_c(out, '"');
}

void bw_cdrcsv_header(GString *out)
{
	for (guint i = 0; bw_cdrcsv_columns[i] != NULL; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append(out, bw_cdrcsv_columns[i]);
	}
	g_string_append(out, "\r\n");
}

void bw_cdrcsv_format(GString *out, const char *const *values)
{
	for (guint i = 0; i < BW_CDRCSV_NCOLS; i++) {
		if (i > 0)
			g_string_append_c(out, ',');
		bw_cdrcsv_quote(out, values[i]);
	}
	g_string_append(out, "\r\n");
}

/* ---- times and dates ---- */

#define CDRCSV_EPOCH_MAX G_GINT64_CONSTANT(253402300799)  /* 9999-12-31 */

static gint64 cdrcsv_parse_epoch(const char *s)
{
	char *end = NULL;
	gint64 sec, usec = 0;

	errno = 0;
	sec = g_ascii_strtoll(s, &end, 10);
	if (errno != 0 || end == s || sec < 0 || sec > CDRCSV_EPOCH_MAX)
		return -1;
	if (*end == '.') {
		gint64 scale = 100000;

		for (end++; g_ascii_isdigit(*end); end++) {
			usec += (*end - '0') * scale;
			scale /= 10;
		}
	}
	if (*end != '\0')
		return -1;
	return sec * G_USEC_PER_SEC + usec;
}

gint64 bw_cdrcsv_parse_time(const char *s, GTimeZone *tz)
{
	GDateTime *dt;
	gint64 us;

	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return -1;
	if (g_ascii_isdigit(s[0]) && strchr(s, '-') == NULL)
		return cdrcsv_parse_epoch(s);
	dt = g_date_time_new_from_iso8601(s, tz);
	if (dt == NULL)
		return -1;
	us = g_date_time_to_unix(dt) * G_USEC_PER_SEC +
	     g_date_time_get_microsecond(dt);
	g_date_time_unref(dt);
	return us;
}

/* The Julian day of when_us in tz (0 when out of range). */
static guint32 cdrcsv_day(GTimeZone *tz, gint64 when_us)
{
	GDateTime *utc, *loc;
	int y, mo, d;
	GDate date;

	utc = g_date_time_new_from_unix_utc(when_us / G_USEC_PER_SEC);
	if (utc == NULL)
		return 0;
	loc = g_date_time_to_timezone(utc, tz);
	g_date_time_unref(utc);
	if (loc == NULL)
		return 0;
	g_date_time_get_ymd(loc, &y, &mo, &d);
	g_date_time_unref(loc);
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay) d, (GDateMonth) mo, (GDateYear) y);
	return g_date_get_julian(&date);
}

static char *cdrcsv_day_path(const bw_cdrcsv *w, guint32 day)
{
	GDate date;
	char name[32];

	g_date_clear(&date, 1);
	g_date_set_julian(&date, day);
	g_snprintf(name, sizeof name, "cdr-%04u-%02u-%02u.csv",
		   (unsigned) g_date_get_year(&date),
		   (unsigned) g_date_get_month(&date),
		   (unsigned) g_date_get_day(&date));
	return g_build_filename(w->dir, name, NULL);
}

/* The Julian day named by "cdr-YYYY-MM-DD.csv", or 0 for any other name. */
static guint32 cdrcsv_name_day(const char *name)
{
	unsigned y, m, d;
	char tail;
	GDate date;

	if (strlen(name) != strlen("cdr-YYYY-MM-DD.csv") ||
	    !g_str_has_prefix(name, "cdr-") || !g_str_has_suffix(name, ".csv"))
		return 0;
	if (sscanf(name, "cdr-%4u-%2u-%2u.cs%c", &y, &m, &d, &tail) != 4 ||
	    !g_date_valid_dmy((GDateDay) d, (GDateMonth) m, (GDateYear) y))
		return 0;
	g_date_clear(&date, 1);
	g_date_set_dmy(&date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
	return g_date_get_julian(&date);
}

/* ---- the writer ---- */

/* A directory we create gets exactly 0750, whatever the umask; one that
 * exists is the administrator's and keeps its mode. */
static gboolean cdrcsv_make_dir(const char *dir, GError **err)
{
	gboolean existed = g_file_test(dir, G_FILE_TEST_EXISTS);
	GStatBuf st;
	int e;

	if (g_mkdir_with_parents(dir, 0750) != 0 ||
	    (!existed && g_chmod(dir, 0750) != 0)) {
		e = errno;
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
			    "cdr-csv: cannot create directory %s: %s", dir, g_strerror(e));
		return FALSE;
	}
	if (g_stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOTDIR,
			    "cdr-csv: %s is not a directory", dir);
		return FALSE;
	}
	return TRUE;
}

bw_cdrcsv *bw_cdrcsv_open(const char *dir, guint keep_days, GTimeZone *tz,
			  GError **err)
{
	bw_cdrcsv *w;

	g_return_val_if_fail(dir != NULL && *dir != '\0', NULL);
	if (!cdrcsv_make_dir(dir, err))
		return NULL;
	w = g_new0(bw_cdrcsv, 1);
	w->dir = g_strdup(dir);
	w->keep_days = MIN(keep_days, BW_CDRCSV_KEEP_MAX);
	w->tz = tz ? g_time_zone_ref(tz) : g_time_zone_new_local();
	w->sync = TRUE;
	w->fd = -1;
	return w;
}

static void cdrcsv_close_fd(bw_cdrcsv *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->fd_day = 0;
}

void bw_cdrcsv_close(bw_cdrcsv *w)
{
	if (w == NULL)
		return;
	cdrcsv_close_fd(w);
	g_time_zone_unref(w->tz);
	g_free(w->dir);
	g_free(w);
}

const char *bw_cdrcsv_dir(const bw_cdrcsv *w)
{
	return w->dir;
}

void bw_cdrcsv_set_sync(bw_cdrcsv *w, gboolean sync)
{
	w->sync = sync;
}

char *bw_cdrcsv_path_for(const bw_cdrcsv *w, gint64 when_us)
{
	guint32 day = cdrcsv_day(w->tz, when_us);

	return day ? cdrcsv_day_path(w, day) : NULL;
}

static gboolean cdrcsv_write_all(int fd, const char *buf, gsize len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return FALSE;
		}
		buf += n;
		len -= (gsize) n;
	}
	return TRUE;
}

static gboolean cdrcsv_fail(bw_cdrcsv *w, const char *what, const char *path,
			    int e, GError **err)
{
	g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
		    "cdr-csv: cannot %s %s: %s", what, path, g_strerror(e));
	cdrcsv_close_fd(w);
	return FALSE;
}

/* A new file gets mode 0640 and the header; an existing one whose last
 * line was cut short (crash mid-write) gets a line end first, so the next
 * record starts on a line of its own. */
static gboolean cdrcsv_prepare(bw_cdrcsv *w, const char *path, GError **err)
{
	struct stat st;
	GString *lead = g_string_new(NULL);
	gboolean ok = TRUE;
	char last;

	if (fstat(w->fd, &st) != 0)
		ok = FALSE;
	else if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		ok = FALSE;
	} else if (st.st_size == 0) {
		ok = fchmod(w->fd, 0640) == 0;
		bw_cdrcsv_header(lead);
	} else if (pread(w->fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
		g_string_append(lead, "\r\n");
	if (ok && lead->len > 0)
		ok = cdrcsv_write_all(w->fd, lead->str, lead->len);
	g_string_free(lead, TRUE);
	return ok ? TRUE : cdrcsv_fail(w, "prepare", path, errno, err);
}

static gboolean cdrcsv_open_day(bw_cdrcsv *w, guint32 day, GError **err)
{
	g_autofree char *path = NULL;

	if (w->fd >= 0 && w->fd_day == day)
		return TRUE;
	cdrcsv_close_fd(w);
	path = cdrcsv_day_path(w, day);
	w->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (w->fd < 0)
		return cdrcsv_fail(w, "open", path, errno, err);
	w->fd_day = day;
	return cdrcsv_prepare(w, path, err);
}

gboolean bw_cdrcsv_write(bw_cdrcsv *w, const char *const *values,
			 gint64 when_us, GError **err)
{
	guint32 day = cdrcsv_day(w->tz, when_us);
	g_autoptr(GString) line = g_string_new(NULL);
	g_autofree char *path = NULL;

	if (day == 0) {
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "cdr-csv: record time %" G_GINT64_FORMAT " us is out of range", when_us);
		return FALSE;
	}
	if (!cdrcsv_open_day(w, day, err))
		return FALSE;
	bw_cdrcsv_format(line, values);
	path = cdrcsv_day_path(w, day);
	if (!cdrcsv_write_all(w->fd, line->str, line->len))
		return cdrcsv_fail(w, "append to", path, errno, err);
	if (w->sync && fsync(w->fd) != 0)
		return cdrcsv_fail(w, "fsync", path, errno, err);
	return TRUE;
}

int bw_cdrcsv_prune(bw_cdrcsv *w, gint64 now_us, gboolean force, GError **err)
{
	guint32 today = cdrcsv_day(w->tz, now_us);
	const char *name;
	GDir *d;
	int n = 0;

	if (w->keep_days == 0 || today == 0 || (!force && w->pruned_day == today))
		return 0;
	d = g_dir_open(w->dir, 0, err);
	if (d == NULL)
		return -1;
	w->pruned_day = today;
	while ((name = g_dir_read_name(d)) != NULL) {
		guint32 day = cdrcsv_name_day(name);
		g_autofree char *path = NULL;

		if (day == 0 || day + w->keep_days >= today)
			continue;
		if (day == w->fd_day)
			cdrcsv_close_fd(w);
		path = g_build_filename(w->dir, name, NULL);
		if (g_unlink(path) == 0)
			n++;
		else
			g_warning("cdr-csv: cannot delete expired %s: %s", path, g_strerror(errno));
	}
	g_dir_close(d);
	return n;
}
