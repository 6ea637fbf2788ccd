/* Unit tests of backups: online copy, file naming and mode, rotation, the
 * restore round trip, refused restores (corrupt, tampered, cut, unknown
 * schema, foreign file) that leave the live store intact, and scheduled
 * backups announcing themselves on the bus. */
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "storedb.h"
#include <bulwark/bus.h>

typedef struct fx {
	char     *dir;
	char     *bdir;
	char     *path;
	bw_store *s;
} fx;

static gint64 put_str(bw_store *s, const char *key, const char *v)
{
	GError *err = NULL;
	gint64 r = bw_store_put(s, key, v, strlen(v), BW_STORE_ANY, &err);
	g_assert_no_error(err);
	return r;
}

static void fx_setup(fx *f, gconstpointer data)
{
	GError *err = NULL;
	f->dir = bw_test_tmpdir();
	f->bdir = g_build_filename(f->dir, "backups", NULL);
	f->path = g_build_filename(f->dir, "store.db", NULL);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	put_str(f->s, "ext/100", "alice");
	put_str(f->s, "ext/101", "bob");
	g_assert_cmpint(bw_audit_append_to(f->s, "admin", "store.put", "ext/100", NULL, &err), ==, 1);
	g_assert_cmpint(bw_audit_append_to(f->s, "admin", "store.put", "ext/101", NULL, &err), ==, 2);
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_close(f->s);
	bw_test_rmtree(f->dir);
	g_free(f->path);
	g_free(f->bdir);
	g_free(f->dir);
}

static char *value_of(bw_store *s, const char *key)
{
	GBytes *v = NULL;
	if (!bw_store_get(s, key, &v, NULL, NULL))
		return NULL;
	char *out = g_strndup(g_bytes_get_data(v, NULL), g_bytes_get_size(v));
	g_bytes_unref(v);
	return out;
}

static void assert_value(bw_store *s, const char *key, const char *want)
{
	char *v = value_of(s, key);
	g_assert_cmpstr(v, ==, want);
	g_free(v);
}

static guint dir_count(const char *dir)
{
	guint n = 0;
	GDir *d = g_dir_open(dir, 0, NULL);
	while (d && g_dir_read_name(d))
		n++;
	if (d)
		g_dir_close(d);
	return n;
}

static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *out = NULL;
	g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		out = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	g_assert_cmpstr(msg, ==, NULL);
	g_assert_cmpint(rc, ==, SQLITE_OK);
	sqlite3_close(db);
}

static void test_backup_file(fx *f, gconstpointer data)
{
	GError *err = NULL;
	char *file = bw_backup_now(f->s, f->bdir, 5, &err);
	g_assert_no_error(err);
	char *base = g_path_get_basename(file);
	g_assert_true(g_str_has_prefix(base, "bulwark-"));
	g_assert_true(g_str_has_suffix(base, "Z.db"));
	g_assert_cmpuint(strlen(base), ==, strlen("bulwark-20240101T000000Z.db"));
	struct stat st;
	g_assert_cmpint(stat(file, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_assert_cmpuint(dir_count(f->bdir), ==, 1);     /* no temp file left */
	char *v = sql_text(file, "SELECT value FROM records WHERE key='ext/101'");
	g_assert_cmpstr(v, ==, "bob");
	g_free(v);
	v = sql_text(file, "SELECT value FROM meta WHERE name='audit.anchor'");
	g_assert_nonnull(v);
	g_assert_true(g_str_has_prefix(v, "2 "));
	g_free(v);
	v = sql_text(file, "PRAGMA journal_mode");
	g_assert_cmpstr(v, ==, "delete");                 /* one self-contained file */
	g_free(v);
	/* the live store is not marked */
	g_assert_false(bw_store_get(f->s, "audit.anchor", NULL, NULL, NULL));
	/* a second one in the same second gets its own name */
	char *file2 = bw_backup_now(f->s, f->bdir, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(file, !=, file2);
	g_assert_cmpuint(dir_count(f->bdir), ==, 2);
	g_free(file2);
	g_free(base);
	g_free(file);
}

static void touch(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(p, "old", -1, NULL));
	g_free(p);
}

static gboolean exists(const char *dir, const char *name)
{
	char *p = g_build_filename(dir, name, NULL);
	gboolean e = g_file_test(p, G_FILE_TEST_EXISTS);
	g_free(p);
	return e;
}

static void test_rotation(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_cmpint(g_mkdir_with_parents(f->bdir, 0700), ==, 0);
	touch(f->bdir, "bulwark-20200101T000000Z.db");
	touch(f->bdir, "bulwark-20210101T000000Z-2.db");
	touch(f->bdir, "bulwark-20210101T000000Z.db");
	touch(f->bdir, "bulwark-20210101T000000Z-10.db");
	touch(f->bdir, "notes.txt");
	touch(f->bdir, "bulwark-latest.db");
	char *file = bw_backup_now(f->s, f->bdir, 3, &err);
	g_assert_no_error(err);
	g_assert_false(exists(f->bdir, "bulwark-20200101T000000Z.db"));
	g_assert_false(exists(f->bdir, "bulwark-20210101T000000Z.db"));
	g_assert_true(exists(f->bdir, "bulwark-20210101T000000Z-2.db"));
	g_assert_true(exists(f->bdir, "bulwark-20210101T000000Z-10.db"));
	g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
	g_assert_true(exists(f->bdir, "notes.txt"));        /* not ours: untouched */
	g_assert_true(exists(f->bdir, "bulwark-latest.db"));
	g_free(file);
	file = bw_backup_now(f->s, f->bdir, 1, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(dir_count(f->bdir), ==, 3);
	g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
	g_free(file);
}

static void test_restore_round_trip(fx *f, gconstpointer data)
{
	GError *err = NULL;
	char *file = bw_backup_now(f->s, f->bdir, 0, &err);
	g_assert_no_error(err);
	put_str(f->s, "ext/100", "mallory");
	bw_store_delete(f->s, "ext/101", BW_STORE_ANY, NULL);
	put_str(f->s, "ext/102", "carol");
	bw_audit_append_to(f->s, "admin", "store.put", "ext/102", NULL, &err);
	gint64 before = bw_store_revision(f->s);

	g_assert_true(bw_backup_restore(f->s, file, "bulwarkctl:uid=0", &err));
	g_assert_no_error(err);
	assert_value(f->s, "ext/100", "alice");
	assert_value(f->s, "ext/101", "bob");
	g_assert_null(value_of(f->s, "ext/102"));
	g_assert_cmpint(bw_store_revision(f->s), >, before);
	g_assert_cmpint(put_str(f->s, "ext/103", "dave"), ==, before + 2);

	GString *report = g_string_new(NULL);
	g_assert_true(bw_audit_verify(f->s, report, &err));
	g_assert_cmpstr(report->str, ==, "");
	g_string_free(report, TRUE);
	GPtrArray *l = bw_audit_list(f->s, 0, &err);
	g_assert_cmpuint(l->len, ==, 3);       /* 2 from the backup + the restore */
	const char *last = l->pdata[2];
	g_assert_true(g_str_has_prefix(last, "3 "));
	g_assert_nonnull(strstr(last, " bulwarkctl:uid=0 backup.restore "));
	g_assert_nonnull(strstr(last, file));
	g_assert_nonnull(strstr(last, "previous_head=3:"));
	g_ptr_array_unref(l);
	char *mode = sql_text(f->path, "PRAGMA journal_mode");
	g_assert_cmpstr(mode, ==, "wal");
	g_free(mode);
	g_assert_null(sql_text(f->path, "SELECT value FROM meta WHERE name='audit.anchor'"));

	/* and it all holds after a reopen */
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	assert_value(f->s, "ext/103", "dave");
	g_assert_true(bw_audit_verify(f->s, NULL, &err));
	g_free(file);
}

/* Live state fingerprint: every record, the revision and the audit list. */
static char *fingerprint(bw_store *s)
{
	GString *out = g_string_new(NULL);
	GPtrArray *l = bw_store_list(s, "", NULL);
	for (guint i = 0; i < l->len; i++) {
		bw_record *r = l->pdata[i];
		g_string_append_printf(out, "%s=%.*s@%" G_GINT64_FORMAT ";", r->key,
				       (int)g_bytes_get_size(r->value),
				       (const char *)g_bytes_get_data(r->value, NULL), r->revision);
	}
	g_ptr_array_unref(l);
	g_string_append_printf(out, "rev=%" G_GINT64_FORMAT ";", bw_store_revision(s));
	GPtrArray *a = bw_audit_list(s, 0, NULL);
	for (guint i = 0; i < a->len; i++)
		g_string_append_printf(out, "%s;", (char *)a->pdata[i]);
	g_ptr_array_unref(a);
	return g_string_free(out, FALSE);
}

static void refused(fx *f, const char *file, const char *why)
{
	GError *err = NULL;
	put_str(f->s, "ext/100", "changed-after-backup");
	char *before = fingerprint(f->s);
	g_assert_false(bw_backup_restore(f->s, file, "admin", &err));
	g_assert_nonnull(err);
	g_test_message("refused: %s", err->message);
	g_assert_nonnull(strstr(err->message, file));
	g_assert_nonnull(strstr(err->message, why));
	g_clear_error(&err);
	char *after = fingerprint(f->s);
	g_assert_cmpstr(before, ==, after);
	g_assert_true(bw_audit_verify(f->s, NULL, &err));
	g_assert_no_error(err);
	g_free(before);
	g_free(after);
}

static char *backup(fx *f)
{
	GError *err = NULL;
	char *file = bw_backup_now(f->s, f->bdir, 0, &err);
	g_assert_no_error(err);
	return file;
}

static void test_refuse_corrupt(fx *f, gconstpointer data)
{
	char *file = backup(f);
	char *buf = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(file, &buf, &len, NULL));
	g_assert_cmpuint(len, >, 8192);
	memset(buf + 4096, 0x5a, len - 4096);      /* every page after the first */
	g_assert_true(g_file_set_contents(file, buf, (gssize)len, NULL));
	g_free(buf);
	refused(f, file, "refusing");
	g_free(file);
}

static void test_refuse_tampered(fx *f, gconstpointer data)
{
	char *file = backup(f);
	sql_exec(file, "DROP TRIGGER audit_no_update; UPDATE audit SET actor='root' WHERE seq=1;");
	refused(f, file, "audit chain broken");
	g_free(file);
}

static void test_refuse_cut(fx *f, gconstpointer data)
{
	char *file = backup(f);
	sql_exec(file, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq=2;");
	refused(f, file, "head record is missing");
	g_free(file);
}

static void test_refuse_schema(fx *f, gconstpointer data)
{
	char *file = backup(f);
	sql_exec(file, "PRAGMA user_version=42");
	refused(f, file, "unknown schema version");
	g_free(file);
}

static void test_refuse_foreign(fx *f, gconstpointer data)
{
	char *other = g_build_filename(f->dir, "plain.db", NULL);
	sql_exec(other, "CREATE TABLE t(x)");
	refused(f, other, "refusing");
	char *missing = g_build_filename(f->dir, "nothing.db", NULL);
	refused(f, missing, "not a regular file");
	/* a store file that is not a backup: no recorded head */
	char *file = backup(f);
	sql_exec(file, "DELETE FROM meta WHERE name='audit.anchor'");
	refused(f, file, "no audit head");
	g_free(file);
	g_free(missing);
	g_free(other);
}

/* ---- scheduled backups ---- */

typedef struct heard {
	char *type;
	char *file;
	char *error;
	gint  got;
} heard;

static void on_backup_event(const bw_event *ev, void *ud)
{
	heard *h = ud;
	if (g_atomic_int_get(&h->got))
		return;
	h->type = g_strdup(bw_event_type(ev));
	h->file = g_strdup(bw_event_get(ev, "file"));
	h->error = g_strdup(bw_event_get(ev, "error"));
	g_atomic_int_set(&h->got, 1);
}

static void heard_clear(heard *h)
{
	g_free(h->type);
	g_free(h->file);
	g_free(h->error);
	memset(h, 0, sizeof *h);
}

static void test_schedule(fx *f, gconstpointer data)
{
	heard h = { 0 };
	bw_sub *sub = bw_bus_subscribe("backup.*", NULL, 0, on_backup_event, &h);
	bw_backup_schedule(f->s, f->bdir, 1, 2);
	g_assert_true(bw_test_wait(NULL, &h.got, 10000));
	g_assert_cmpstr(h.type, ==, "backup.done");
	g_assert_true(g_file_test(h.file, G_FILE_TEST_IS_REGULAR));
	g_assert_null(h.error);
	heard_clear(&h);

	/* a file where the directory should be: backup.failed with the reason */
	char *blocker = g_build_filename(f->dir, "blocker", NULL);
	g_assert_true(g_file_set_contents(blocker, "x", -1, NULL));
	bw_backup_schedule(f->s, blocker, 1, 2);
	g_assert_true(bw_test_wait(NULL, &h.got, 10000));
	g_assert_cmpstr(h.type, ==, "backup.failed");
	g_assert_cmpstr(h.file, ==, blocker);
	g_assert_nonnull(strstr(h.error, blocker));
	heard_clear(&h);

	bw_backup_schedule(f->s, f->bdir, 0, 0);
	bw_bus_unsubscribe(sub);
	g_free(blocker);
}

#define ADD(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/backup/file", test_backup_file);
	ADD("/backup/rotation", test_rotation);
	ADD("/backup/restore-round-trip", test_restore_round_trip);
	ADD("/backup/refuse/corrupt", test_refuse_corrupt);
	ADD("/backup/refuse/tampered", test_refuse_tampered);
	ADD("/backup/refuse/cut-audit-tail", test_refuse_cut);
	ADD("/backup/refuse/schema", test_refuse_schema);
	ADD("/backup/refuse/foreign", test_refuse_foreign);
	ADD("/backup/schedule", test_schedule);
	return g_test_run();
}
