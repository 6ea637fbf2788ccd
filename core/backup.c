/* Backups of the store (storedb.h): online copies with the SQLite backup
 * API, rotation, periodic runs, and a restore that verifies first.
 *
 * A backup is a private (0600) single file written under a temporary name
 * and renamed, so a crash never leaves a half backup under a real name.
 * The audit head at backup time goes into the copy as a meta row, because
 * a backup has no audit.head file of its own: restore checks the copy's
 * chain against it, so a copy with its newest audit records cut off is
 * refused. Restore checks integrity, schema version and audit chain on one
 * read snapshot of the candidate and copies that same snapshot into the
 * live store; any failure before the copy leaves the live store as it was.
 * After the copy the chain continues with a "backup.restore" record that
 * names the file and the head it replaced. */
#define _POSIX_C_SOURCE 200809L
#include "storeint.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <bulwark/bus.h>
#include <bulwark/metrics.h>

#define STAMP_LEN 16                         /* YYYYmmddTHHMMSSZ */
#define SAME_SECOND_MAX 100

/* ---- names and rotation ---- */

/* "bulwark-<stamp>.db" or "bulwark-<stamp>-N.db" (N-th in the same second);
 * returns N (0 for none) or -1 when name is not one of ours. */
static int backup_index(const char *name)
{
	gsize len = strlen(name);
	if (!g_str_has_prefix(name, "bulwark-") || !g_str_has_suffix(name, ".db") ||
	    len < 8 + STAMP_LEN + 3)
		return -1;
	const char *st = name + 8;
	for (int i = 0; i < STAMP_LEN; i++) {
		gboolean digit = g_ascii_isdigit(st[i]);
		if ((i == 8 && st[i] != 'T') || (i == 15 && st[i] != 'Z') ||
		    (i != 8 && i != 15 && !digit))
			return -1;
	}
	const char *rest = st + STAMP_LEN;
	if (strcmp(rest, ".db") == 0)
		return 0;
	if (rest[0] != '-' || len - 8 - STAMP_LEN - 4 < 1 || len - 8 - STAMP_LEN - 4 > 2)
		return -1;
	int n = 0;
	for (const char *p = rest + 1; p < name + len - 3; p++) {
		if (!g_ascii_isdigit(*p))
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

static gint backup_cmp(gconstpointer a, gconstpointer b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int c = strncmp(x + 8, y + 8, STAMP_LEN);
	return c ? c : backup_index(x) - backup_index(y);
}

/* keep 0 keeps everything. */
static void rotate(const char *dir, guint keep)
{
	GDir *d = keep ? g_dir_open(dir, 0, NULL) : NULL;
	if (!d)
		return;
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const char *n;
	while ((n = g_dir_read_name(d)))
		if (backup_index(n) >= 0)
			g_ptr_array_add(names, g_strdup(n));
	g_dir_close(d);
	g_ptr_array_sort(names, backup_cmp);
	for (guint i = 0; i + keep < names->len; i++) {
		char *p = g_build_filename(dir, names->pdata[i], NULL);
		if (g_unlink(p) != 0)
			g_warning("backup: cannot remove old backup %s: %s", p, g_strerror(errno));
		g_free(p);
	}
	g_ptr_array_unref(names);
}

static char *target_name(const char *dir)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
	g_date_time_unref(now);
	char *path = NULL;
	for (int i = 0; i < SAME_SECOND_MAX && !path; i++) {
		char *name = i ? g_strdup_printf("bulwark-%s-%d.db", stamp, i) :
			g_strdup_printf("bulwark-%s.db", stamp);
		path = g_build_filename(dir, name, NULL);
		g_free(name);
		if (g_file_test(path, G_FILE_TEST_EXISTS))
			g_clear_pointer(&path, g_free);
	}
	g_free(stamp);
	return path;
}

/* ---- taking a backup ---- */

static gboolean copy_db(sqlite3 *dst, sqlite3 *src, const char *what, GError **err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		bw_store_set_io_error(err, dst, what);
		return FALSE;
	}
	int rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		return TRUE;
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO, "backup: %s: %s (sqlite %d)",
		    what, sqlite3_errstr(rc), rc);
	return FALSE;
}

static gboolean put_anchor(sqlite3 *db, const bw_audit_anchor *a, GError **err)
{
	char *text = bw_audit_anchor_format(a);
	char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO meta(name, value) VALUES(%Q, %Q);"
				    "PRAGMA journal_mode=DELETE;", BW_AUDIT_ANCHOR_META, text);
	gboolean ok = sql && bw_store_exec(db, sql, "backup: recording the audit head", err);
	sqlite3_free(sql);
	g_free(text);
	return ok;
}

static gboolean write_backup(bw_store *s, const char *tmp, GError **err)
{
	sqlite3 *dst = NULL;
	gboolean ok = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
	if (!ok)
		bw_store_set_io_error(err, dst, tmp);
	bw_audit_anchor head = { 0, "" };
	if (ok) {
		g_mutex_lock(&s->lock);
		/* The committed head, not the table's tail: records past it (or
		 * a head past the tail) are damage and must stay visible. */
		head = s->anchor;
		ok = copy_db(dst, s->db, tmp, err);
		g_mutex_unlock(&s->lock);
	}
	ok = ok && put_anchor(dst, &head, err);
	if (dst && sqlite3_close(dst) != SQLITE_OK && ok) {
		bw_store_set_io_error(err, dst, tmp);
		ok = FALSE;
	}
	return ok;
}

static void fsync_path(const char *path)
{
	int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

char *bw_backup_now(bw_store *s, const char *dir, guint keep, GError **err)
{
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "backup: cannot create directory %s: %s", dir, g_strerror(errno));
		return NULL;
	}
	char *tmp = g_build_filename(dir, ".bulwark-backup-XXXXXX", NULL);
	int fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "backup: cannot create a file in %s: %s", dir, g_strerror(errno));
		g_free(tmp);
		return NULL;
	}
	close(fd);
	char *path = NULL;
	if (write_backup(s, tmp, err)) {
		path = target_name(dir);
		if (!path || g_rename(tmp, path) != 0) {
			g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
				    "backup: cannot rename %s into place in %s: %s", tmp, dir,
				    path ? g_strerror(errno) : "too many backups this second");
			g_clear_pointer(&path, g_free);
		}
	}
	if (path) {
		fsync_path(dir);
		rotate(dir, keep);
	} else {
		g_unlink(tmp);
	}
	g_free(tmp);
	return path;
}

/* ---- periodic backups ----
 *
 * The interval comes from <system backup-interval> (bulwarkd passes it)
 * unless the WebAdmin's security options (store record config/security,
 * member backup_interval_h, 0-720; 0 stops them) set one. A store watch
 * re-arms the timer when the saved interval changes, and takes a backup
 * at once so the new schedule starts from a fresh copy. The gauge
 * backup.interval_s shows the interval in force (0: none). One schedule
 * per process: the system store's. */

#define BACKUP_SAVED_KEY "config/security"
#define BACKUP_SAVED_MAX_H 720

static struct {
	bw_store *store;          /* the store being backed up, or NULL */
	guint xml_s;              /* interval bulwarkd passed */
	gint64 saved_s;           /* from the record, -1: none */
	bw_watch *watch;
	bw_metric *gauge;
} sched = { .saved_s = -1 };

static gboolean backup_tick(gpointer p)
{
	bw_store *s = p;
	GError *e = NULL;
	char *file = bw_backup_now(s, s->backup_dir, s->backup_keep, &e);
	if (file)
		bw_event_emit("backup.done", "file", file, NULL);
	else
		bw_event_emit("backup.failed", "file", s->backup_dir, "error", e->message, NULL);
	g_clear_error(&e);
	g_free(file);
	return G_SOURCE_CONTINUE;
}

static void timer_stop(bw_store *s)
{
	if (s->backup_timer) {
		g_source_destroy(s->backup_timer);
		g_source_unref(s->backup_timer);
		s->backup_timer = NULL;
	}
}

static guint interval_in_force(void)
{
	return sched.saved_s >= 0 ? (guint)sched.saved_s : sched.xml_s;
}

static void timer_arm(bw_store *s)
{
	guint interval_s = interval_in_force();
	timer_stop(s);
	if (!sched.gauge)
		sched.gauge = bw_metric_gauge("backup.interval_s",
					      "seconds between periodic backups (0: none)");
	bw_metric_set(sched.gauge, s->backup_dir ? interval_s : 0);
	if (!interval_s || !s->backup_dir)
		return;
	s->backup_timer = g_timeout_source_new_seconds(interval_s);
	g_source_set_callback(s->backup_timer, backup_tick, s, NULL);
	g_source_attach(s->backup_timer, g_main_context_default());
}

/* The record's backup_interval_h in seconds, or -1 when it sets none. */
static gint64 saved_interval(GBytes *value)
{
	gint64 h = -1;
	int rc = bw_store_json_int(value, "backup_interval_h", &h);
	if (rc == 1 && h >= 0 && h <= BACKUP_SAVED_MAX_H)
		return h * 3600;
	if (rc != 0)
		g_warning("backup: %s: backup_interval_h is not 0-%d: the configured "
			  "interval applies", BACKUP_SAVED_KEY, BACKUP_SAVED_MAX_H);
	return -1;
}

static void saved_changed(const char *key, GBytes *value, gint64 revision, void *data)
{
	bw_store *s = data;
	(void)revision;
	if (strcmp(key, BACKUP_SAVED_KEY) != 0 || sched.store != s)
		return;
	guint before = interval_in_force();
	sched.saved_s = saved_interval(value);
	if (interval_in_force() == before)
		return;
	g_message("backup: interval now %u s (security options)", interval_in_force());
	timer_arm(s);
	if (s->backup_timer)
		backup_tick(s);
}

void bw_backup_unschedule(bw_store *s)
{
	timer_stop(s);
	g_clear_pointer(&s->backup_dir, g_free);
	if (sched.store == s) {
		g_clear_pointer(&sched.watch, bw_store_unwatch);
		sched.store = NULL;
		sched.saved_s = -1;
		if (sched.gauge)
			bw_metric_set(sched.gauge, 0);
	}
}

/* interval_s 0 with keep 0 (shutdown) stops everything; interval_s 0 with
 * a keep count means "none configured" and a saved interval may still
 * start backups. */
void bw_backup_schedule(bw_store *s, const char *dir, guint interval_s, guint keep)
{
	if ((!interval_s && !keep) || !dir) {
		bw_backup_unschedule(s);
		return;
	}
	if (sched.store && sched.store != s)
		bw_backup_unschedule(sched.store);
	g_free(s->backup_dir);
	s->backup_dir = g_strdup(dir);
	s->backup_keep = keep;
	sched.xml_s = interval_s;
	if (!sched.watch) {
		GBytes *v = NULL;
		sched.store = s;
		sched.saved_s = -1;
		if (bw_store_get(s, BACKUP_SAVED_KEY, &v, NULL, NULL)) {
			sched.saved_s = saved_interval(v);
			g_bytes_unref(v);
		}
		sched.watch = bw_store_watch(s, BACKUP_SAVED_KEY, NULL, saved_changed, s);
	}
	timer_arm(s);
}

/* ---- restoring ---- */

static gboolean query_text(sqlite3 *db, const char *sql, char **out, GError **err)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, db, sql);
		return FALSE;
	}
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = g_strdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		bw_store_set_io_error(err, db, sql);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static gboolean refuse(GError **err, const char *file, const char *why, const char *more)
{
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
		    "restore: refusing %s: %s%s%s", file, why, more ? ": " : "", more ? more : "");
	return FALSE;
}

static gboolean check_schema(sqlite3 *db, const char *file, GError **err)
{
	char *ic = NULL, *ver = NULL;
	gboolean ok = query_text(db, "PRAGMA integrity_check", &ic, err);
	if (ok && g_strcmp0(ic, "ok") != 0)
		ok = refuse(err, file, "integrity check failed", ic ? ic : "no answer");
	ok = ok && query_text(db, "PRAGMA user_version", &ver, err);
	gint64 v = ver ? g_ascii_strtoll(ver, NULL, 10) : 0;
	/* 2 is the first version with the audit chain, which restore needs. */
	if (ok && (v < 2 || v > BW_STORE_SCHEMA_VERSION))
		ok = refuse(err, file, "unknown schema version", ver);
	g_free(ic);
	g_free(ver);
	return ok;
}

static gboolean check_chain(sqlite3 *db, const char *file, bw_audit_anchor *a, GError **err)
{
	char *text = NULL;
	if (!query_text(db, "SELECT value FROM meta WHERE name='" BW_AUDIT_ANCHOR_META "'",
			&text, err))
		return FALSE;
	gboolean ok = text && bw_audit_anchor_parse(text, a);
	g_free(text);
	if (!ok)
		return refuse(err, file, "no audit head recorded (not a Bulwark backup)", NULL);
	GString *report = g_string_new(NULL);
	GError *e = NULL;
	bw_audit_head head = { *a, { 0, "" } };
	ok = bw_audit_verify_db(db, &head, report, &e);
	if (e) {
		g_propagate_error(err, e);
	} else if (!ok) {
		g_strchomp(report->str);
		refuse(err, file, "audit chain broken", report->str);
	}
	g_string_free(report, TRUE);
	return ok;
}

static sqlite3 *open_candidate(const char *file, GError **err)
{
	sqlite3 *db = NULL;
	if (!g_file_test(file, G_FILE_TEST_IS_REGULAR)) {
		refuse(err, file, "not a regular file", NULL);
		return NULL;
	}
	if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    !bw_store_exec(db, "BEGIN", file, err)) {
		if (err && !*err)
			bw_store_set_io_error(err, db, file);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The copy is done; make the live store coherent and continue the chain. */
static gboolean after_copy(bw_store *s, const char *file, const char *actor,
			   const bw_audit_anchor *restored, const bw_audit_anchor *prev,
			   gint64 prev_rev, GError **err)
{
	s->anchor = *restored;
	if (!bw_store_migrate(s->db, s->path, err) || !bw_store_reload_locked(s, err) ||
	    !bw_store_begin_locked(s, err))
		return FALSE;
	/* The revision never goes back, so expect= revisions stay meaningful. */
	gint64 rev = MAX(prev_rev, s->revision) + 1;
	char *sql = g_strdup_printf("DELETE FROM meta WHERE name='" BW_AUDIT_ANCHOR_META "';"
				    "UPDATE meta SET value=%" G_GINT64_FORMAT
				    " WHERE name='revision';", rev);
	char *detail = g_strdup_printf("file=%s previous_head=%" G_GINT64_FORMAT ":%s",
				       file, prev->seq, prev->hash);
	gboolean ok = bw_store_exec(s->db, sql, "restore: updating meta", err) &&
		bw_audit_append_locked(s, actor ? actor : "system", "backup.restore", file,
				       detail, err) > 0;
	if (ok && (ok = bw_store_commit_locked(s, err)))
		s->revision = rev;
	else if (!ok)
		bw_store_rollback_locked(s);
	g_free(sql);
	g_free(detail);
	return ok;
}

gboolean bw_backup_restore(bw_store *s, const char *file, const char *actor, GError **err)
{
	bw_audit_anchor restored;
	sqlite3 *cand = open_candidate(file, err);
	if (!cand)
		return FALSE;
	gboolean ok = check_schema(cand, file, err) && check_chain(cand, file, &restored, err);
	if (!ok && err && *err && !g_str_has_prefix((*err)->message, "restore: refusing"))
		g_prefix_error(err, "restore: refusing %s: ", file);
	if (ok) {
		g_mutex_lock(&s->lock);
		bw_audit_anchor prev = s->anchor;
		gint64 prev_rev = s->revision;
		/* A crash after the copy leaves the restored chain: the head
		 * file already names it as pending. */
		ok = bw_audit_head_save_pending(s, &prev, &restored, err) &&
		     copy_db(s->db, cand, file, err) &&
		     after_copy(s, file, actor, &restored, &prev, prev_rev, err);
		g_mutex_unlock(&s->lock);
	}
	sqlite3_exec(cand, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(cand);
	return ok;
}
