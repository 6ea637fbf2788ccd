/* The system store on SQLite (bulwark/store.h, storedb.h).
 *
 * One connection serialized by s->lock; WAL with synchronous=FULL so a
 * commit that returned survives kill -9 and power loss. Schema changes are
 * an ordered list of SQL steps keyed by PRAGMA user_version, applied in one
 * transaction; a database written by a newer build is refused. Revisions
 * follow etcd: one store-wide counter in meta, bumped by every put and
 * delete. Watchers get each committed change, in commit order, through a
 * per-watch queue drained on the watcher's GMainContext. */
#define _POSIX_C_SOURCE 200809L
#include "storeint.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

G_DEFINE_QUARK(bw-store-error-quark, bw_store_error)

/* Never renumber or edit a step: databases in the field have run it. */
static const char *const migrations[BW_STORE_SCHEMA_VERSION] = {
	/* 1: records and the store revision */
	"CREATE TABLE records(key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL,"
	" revision INTEGER NOT NULL, create_revision INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;"
	"INSERT INTO meta(name, value) VALUES('revision', 0);",
	/* 2: the audit chain; the triggers refuse any change to a record */
	"CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL,"
	" detail TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;",
};

struct bw_watch {
	gint          ref;
	gint          cancelled;
	bw_store     *store;                 /* under watch_lock; NULL once closed */
	char         *prefix;
	GMainContext *ctx;
	bw_watch_fn   fn;
	void         *user_data;
	GMutex        qlock;
	GQueue        queue;                 /* bw_store_change* */
	gboolean      scheduled;             /* a drain source is attached */
};

static GMutex watch_lock;
static bw_store *system_store;

/* ---- errors and small helpers ---- */

void bw_store_set_io_error(GError **err, sqlite3 *db, const char *what)
{
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO, "store: %s: %s (sqlite %d)",
		    what, db ? sqlite3_errmsg(db) : "cannot allocate connection",
		    db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM);
}

gboolean bw_store_exec(sqlite3 *db, const char *sql, const char *what, GError **err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return TRUE;
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO, "store: %s: %s", what,
		    msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return FALSE;
}

/* Statements are prepared once per connection and reset after use;
 * sql must be a string literal (it is the cache key, not copied). */
static sqlite3_stmt *prepare(bw_store *s, const char *sql, GError **err)
{
	sqlite3_stmt *st = g_hash_table_lookup(s->stmts, sql);
	if (st)
		return st;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, s->db, "preparing a statement");
		sqlite3_finalize(st);
		return NULL;
	}
	g_hash_table_insert(s->stmts, (gpointer)sql, st);
	return st;
}

static void stmt_free(gpointer st)
{
	sqlite3_finalize(st);
}

static void release(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void change_free(gpointer p)
{
	bw_store_change *c = p;
	g_free(c->key);
	if (c->value)
		g_bytes_unref(c->value);
	g_free(c);
}

static bw_store_change *change_new(const char *key, GBytes *value, gint64 revision)
{
	bw_store_change *c = g_new0(bw_store_change, 1);
	c->key = g_strdup(key);
	c->value = value ? g_bytes_ref(value) : NULL;
	c->revision = revision;
	return c;
}

void bw_record_free(bw_record *r)
{
	if (!r)
		return;
	g_free(r->key);
	if (r->value)
		g_bytes_unref(r->value);
	g_free(r);
}

int bw_store_json_int(GBytes *value, const char *member, gint64 *out)
{
	gsize len = 0;
	const char *d = value ? g_bytes_get_data(value, &len) : NULL;
	JsonParser *p = json_parser_new_immutable();
	int rc = 0;
	if (d && json_parser_load_from_data(p, d, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		JsonNode *n = json_object_get_member(json_node_get_object(json_parser_get_root(p)),
						     member);
		if (n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
			*out = json_node_get_int(n);
			rc = 1;
		} else if (n) {
			rc = -1;
		}
	}
	g_object_unref(p);
	return rc;
}

/* ---- validation ---- */

static gboolean chars_valid(const char *key, gsize len)
{
	for (gsize i = 0; i < len; i++)
		if ((guchar)key[i] < 0x21 || (guchar)key[i] > 0x7e)
			return FALSE;
	return TRUE;
}

/* A bad key may hold anything: show at most 64 bytes, unprintables as '?'. */
static char *key_display(const char *key, gsize len)
{
	GString *out = g_string_new(NULL);
	for (gsize i = 0; i < MIN(len, (gsize)64); i++)
		g_string_append_c(out, (guchar)key[i] >= 0x20 && (guchar)key[i] < 0x7f ?
				  key[i] : '?');
	if (len > 64)
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

gboolean bw_store_key_valid(const char *key, GError **err)
{
	gsize len = key ? strlen(key) : 0;
	const char *why = NULL;
	if (len == 0)
		why = "is empty";
	else if (len > BW_STORE_KEY_MAX)
		why = "is longer than 255 bytes";
	else if (!chars_valid(key, len))
		why = "holds a space, control or non-ASCII byte";
	else if (key[0] == '/' || key[len - 1] == '/' || strstr(key, "//"))
		why = "has an empty path segment";
	if (!why)
		return TRUE;
	char *shown = key_display(key ? key : "", len);
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID, "store: key '%s' %s",
		    shown, why);
	g_free(shown);
	return FALSE;
}

static gboolean prefix_valid(const char *prefix, GError **err)
{
	gsize len = strlen(prefix);
	if (len <= BW_STORE_KEY_MAX && chars_valid(prefix, len) && prefix[0] != '/')
		return TRUE;
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
		    "store: list prefix is not a valid key prefix (printable ASCII, "
		    "no space, no leading '/', at most 255 bytes)");
	return FALSE;
}

/* ---- opening, migrations ---- */

static gint64 user_version(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	gint64 v = -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static gboolean migrate_steps(sqlite3 *db, const char *path, GError **err)
{
	gint64 v = user_version(db);
	if (v < 0) {
		bw_store_set_io_error(err, db, "reading the schema version");
		return FALSE;
	}
	if (v > BW_STORE_SCHEMA_VERSION) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "store: %s has schema version %" G_GINT64_FORMAT ", newer than "
			    "this build knows (%d); refusing to open it (was it written by a "
			    "newer Bulwark?)", path, v, BW_STORE_SCHEMA_VERSION);
		return FALSE;
	}
	for (; v < BW_STORE_SCHEMA_VERSION; v++) {
		char *what = g_strdup_printf("%s: migration to schema version %d", path,
					     (int)v + 1);
		gboolean ok = bw_store_exec(db, migrations[v], what, err);
		g_free(what);
		if (!ok)
			return FALSE;
	}
	char *set = g_strdup_printf("PRAGMA user_version = %d", BW_STORE_SCHEMA_VERSION);
	gboolean ok = bw_store_exec(db, set, "setting the schema version", err);
	g_free(set);
	return ok;
}

gboolean bw_store_migrate(sqlite3 *db, const char *path, GError **err)
{
	if (!bw_store_exec(db, "BEGIN IMMEDIATE", "starting the migration", err))
		return FALSE;
	if (!migrate_steps(db, path, err) ||
	    !bw_store_exec(db, "COMMIT", "committing the migration", err)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return FALSE;
	}
	return TRUE;
}

/* SQLite creates the file with the umask's mode: make it private first. */
static gboolean create_private(const char *path, GError **err)
{
	int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "store: cannot create %s: %s", path, g_strerror(e));
		return FALSE;
	}
	close(fd);
	return TRUE;
}

static gboolean configure_db(sqlite3 *db, const char *path, GError **err)
{
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	sqlite3_stmt *st = NULL;
	gboolean wal = FALSE;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		wal = g_ascii_strcasecmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "store: %s: cannot switch to WAL journal mode: %s", path,
			    sqlite3_errmsg(db));
		return FALSE;
	}
	return bw_store_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			     path, err) &&
	       bw_store_migrate(db, path, err);
}

gboolean bw_store_reload_locked(bw_store *s, GError **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT value FROM meta WHERE name='revision'", err);
	if (!st)
		return FALSE;
	gboolean ok = sqlite3_step(st) == SQLITE_ROW;
	if (ok)
		s->revision = sqlite3_column_int64(st, 0);
	else
		bw_store_set_io_error(err, s->db, "reading the store revision");
	release(st);
	return ok;
}

bw_store *bw_store_open(const char *path, gsize max_value, GError **err)
{
	g_return_val_if_fail(path != NULL, NULL);
	if (!create_private(path, err))
		return NULL;
	bw_store *s = g_new0(bw_store, 1);
	g_mutex_init(&s->lock);
	s->path = g_strdup(path);
	char *dir = g_path_get_dirname(path);
	s->anchor_path = g_build_filename(dir, "audit.head", NULL);
	g_free(dir);
	s->max_value = max_value ? max_value : BW_STORE_DEFAULT_VALUE;
	s->pending = g_ptr_array_new_with_free_func(change_free);
	s->watches = g_ptr_array_new();
	s->stmts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
					 stmt_free);
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		bw_store_set_io_error(err, s->db, path);
		bw_store_close(s);
		return NULL;
	}
	if (!configure_db(s->db, path, err) || !bw_store_reload_locked(s, err) ||
	    !bw_audit_head_open_locked(s, err)) {
		bw_store_close(s);
		return NULL;
	}
	return s;
}

void bw_store_close(bw_store *s)
{
	if (!s)
		return;
	bw_backup_unschedule(s);
	g_mutex_lock(&watch_lock);
	for (guint i = 0; i < s->watches->len; i++)
		((bw_watch *)s->watches->pdata[i])->store = NULL;
	g_ptr_array_free(s->watches, TRUE);
	g_mutex_unlock(&watch_lock);
	g_atomic_pointer_compare_and_exchange(&system_store, s, NULL);
	g_hash_table_destroy(s->stmts);
	if (s->db)
		sqlite3_close_v2(s->db);
	g_ptr_array_free(s->pending, TRUE);
	g_free(s->path);
	g_free(s->anchor_path);
	g_mutex_clear(&s->lock);
	g_free(s);
}

void bw_store_set_system(bw_store *s) { g_atomic_pointer_set(&system_store, s); }
bw_store *bw_store_system(void) { return g_atomic_pointer_get(&system_store); }
const char *bw_store_path(bw_store *s) { return s->path; }

gint64 bw_store_revision(bw_store *s)
{
	g_mutex_lock(&s->lock);
	gint64 r = s->revision;
	g_mutex_unlock(&s->lock);
	return r;
}

/* ---- transactions ---- */

gboolean bw_store_begin_locked(bw_store *s, GError **err)
{
	if (!bw_store_exec(s->db, "BEGIN IMMEDIATE", "starting a transaction", err))
		return FALSE;
	s->tx_revision = s->revision;
	s->tx_anchor = s->anchor;
	return TRUE;
}

void bw_store_rollback_locked(bw_store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->revision = s->tx_revision;
	s->anchor = s->tx_anchor;
	g_ptr_array_set_size(s->pending, 0);
}

static void watch_deliver(bw_store *s);

/* A failed COMMIT leaves the head file pending: whether SQLite kept the
 * transaction or not, verify finds the chain at one of its two heads. */
gboolean bw_store_commit_locked(bw_store *s, GError **err)
{
	if (!bw_audit_precommit_locked(s, err) ||
	    !bw_store_exec(s->db, "COMMIT", "committing", err)) {
		bw_store_rollback_locked(s);
		return FALSE;
	}
	bw_audit_postcommit_locked(s);
	watch_deliver(s);
	return TRUE;
}

/* ---- reads ---- */

static GBytes *column_bytes(sqlite3_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	return g_bytes_new(p, (gsize)n);
}

gboolean bw_store_get(bw_store *s, const char *key, GBytes **value,
		      gint64 *revision, GError **err)
{
	if (!bw_store_key_valid(key, err))
		return FALSE;
	g_mutex_lock(&s->lock);
	sqlite3_stmt *st = prepare(s, "SELECT value, revision FROM records WHERE key=?", err);
	gboolean found = FALSE;
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			found = TRUE;
			if (value)
				*value = column_bytes(st, 0);
			if (revision)
				*revision = sqlite3_column_int64(st, 1);
		} else if (rc == SQLITE_DONE) {
			g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND,
				    "store: key '%s' not found", key);
		} else {
			bw_store_set_io_error(err, s->db, key);
		}
		release(st);
	}
	g_mutex_unlock(&s->lock);
	return found;
}

static bw_record *row_record(sqlite3_stmt *st)
{
	bw_record *r = g_new0(bw_record, 1);
	r->key = g_strdup((const char *)sqlite3_column_text(st, 0));
	r->value = column_bytes(st, 1);
	r->revision = sqlite3_column_int64(st, 2);
	r->create_revision = sqlite3_column_int64(st, 3);
	return r;
}

/* Keys are printable ASCII, so bumping the last byte of the prefix gives
 * the first string after every key that starts with it: an index range. */
static GPtrArray *list_locked(bw_store *s, const char *prefix, GError **err)
{
	gboolean all = prefix[0] == '\0';
	sqlite3_stmt *st = prepare(s, all ?
		"SELECT key, value, revision, create_revision FROM records ORDER BY key" :
		"SELECT key, value, revision, create_revision FROM records"
		" WHERE key >= ?1 AND key < ?2 ORDER BY key", err);
	if (!st)
		return NULL;
	char *succ = g_strdup(prefix);
	if (!all) {
		succ[strlen(succ) - 1]++;
		sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, succ, -1, SQLITE_STATIC);
	}
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)bw_record_free);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_add(out, row_record(st));
	if (rc != SQLITE_DONE) {
		bw_store_set_io_error(err, s->db, "listing records");
		g_ptr_array_free(out, TRUE);
		out = NULL;
	}
	release(st);
	g_free(succ);
	return out;
}

GPtrArray *bw_store_list(bw_store *s, const char *prefix, GError **err)
{
	if (!prefix)
		prefix = "";
	if (!prefix_valid(prefix, err))
		return NULL;
	g_mutex_lock(&s->lock);
	GPtrArray *out = list_locked(s, prefix, err);
	g_mutex_unlock(&s->lock);
	return out;
}

/* ---- writes ---- */

typedef struct current {
	gboolean exists;
	gint64   revision;
	gint64   create_revision;
} current;

static gboolean read_current(bw_store *s, const char *key, current *cur, GError **err)
{
	sqlite3_stmt *st = prepare(s, "SELECT revision, create_revision FROM records"
				   " WHERE key=?", err);
	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	memset(cur, 0, sizeof *cur);
	if (rc == SQLITE_ROW) {
		cur->exists = TRUE;
		cur->revision = sqlite3_column_int64(st, 0);
		cur->create_revision = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		bw_store_set_io_error(err, s->db, key);
	}
	release(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static gboolean check_expect(const char *key, const current *cur, gint64 expect,
			     gboolean del, GError **err)
{
	if (expect == BW_STORE_ANY || (expect == BW_STORE_ABSENT && !cur->exists) ||
	    (cur->exists && expect == cur->revision)) {
		if (!del || cur->exists)
			return TRUE;
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND,
			    "store: cannot delete key '%s': not found", key);
		return FALSE;
	}
	char *want = expect == BW_STORE_ABSENT ? g_strdup("absent") :
		g_strdup_printf("revision %" G_GINT64_FORMAT, expect);
	char *have = cur->exists ? g_strdup_printf("revision %" G_GINT64_FORMAT,
						  cur->revision) : g_strdup("absent");
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT,
		    "store: conflict on key '%s': expected %s, found %s", key, want, have);
	g_free(want);
	g_free(have);
	return FALSE;
}

static gboolean write_row(bw_store *s, const char *key, const void *data, gsize len,
			  gint64 rev, gint64 create_rev, GError **err)
{
	sqlite3_stmt *st = prepare(s, data ?
		"INSERT OR REPLACE INTO records(key, value, revision, create_revision)"
		" VALUES(?1, ?2, ?3, ?4)" : "DELETE FROM records WHERE key=?1", err);
	if (!st)
		return FALSE;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (data) {
		sqlite3_bind_blob64(st, 2, data, len, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, rev);
		sqlite3_bind_int64(st, 4, create_rev);
	}
	gboolean ok = sqlite3_step(st) == SQLITE_DONE;
	release(st);
	if (!ok)
		bw_store_set_io_error(err, s->db, key);
	return ok;
}

static gboolean write_revision(bw_store *s, gint64 rev, GError **err)
{
	sqlite3_stmt *st = prepare(s, "UPDATE meta SET value=?1 WHERE name='revision'", err);
	if (!st)
		return FALSE;
	sqlite3_bind_int64(st, 1, rev);
	gboolean ok = sqlite3_step(st) == SQLITE_DONE;
	release(st);
	if (!ok)
		bw_store_set_io_error(err, s->db, "updating the store revision");
	return ok;
}

static gboolean value_valid(bw_store *s, const char *key, const void *data, gsize len,
			    GError **err)
{
	if (!data && len) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
			    "store: key '%s': NULL value with length %" G_GSIZE_FORMAT, key, len);
		return FALSE;
	}
	if (len <= s->max_value)
		return TRUE;
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_TOO_LARGE,
		    "store: key '%s': value of %" G_GSIZE_FORMAT " bytes is over the limit of %"
		    G_GSIZE_FORMAT, key, len, s->max_value);
	return FALSE;
}

/* data NULL: delete. An empty value is bound as "" so it is not SQL NULL. */
static gint64 change_locked(bw_store *s, const char *key, const void *data, gsize len,
			    gboolean del, gint64 expect, GError **err)
{
	if (expect < BW_STORE_ANY) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
			    "store: key '%s': expect %" G_GINT64_FORMAT " is not a revision",
			    key, expect);
		return 0;
	}
	current cur;
	if (!read_current(s, key, &cur, err) || !check_expect(key, &cur, expect, del, err))
		return 0;
	gint64 rev = s->revision + 1;
	const void *bytes = del ? NULL : (data ? data : "");
	if (!write_row(s, key, bytes, len, rev, cur.exists ? cur.create_revision : rev, err) ||
	    !write_revision(s, rev, err))
		return 0;
	s->revision = rev;
	GBytes *v = del ? NULL : g_bytes_new(data, len);
	g_ptr_array_add(s->pending, change_new(key, v, rev));
	if (v)
		g_bytes_unref(v);
	return rev;
}

gint64 bw_store_put_locked(bw_store *s, const char *key, const void *data, gsize len,
			   gint64 expect, GError **err)
{
	if (!bw_store_key_valid(key, err) || !value_valid(s, key, data, len, err))
		return 0;
	return change_locked(s, key, data, len, FALSE, expect, err);
}

static gint64 write_one(bw_store *s, const char *key, const void *data, gsize len,
			gboolean del, gint64 expect, GError **err)
{
	g_mutex_lock(&s->lock);
	gint64 rev = 0;
	if (bw_store_begin_locked(s, err)) {
		rev = change_locked(s, key, data, len, del, expect, err);
		if (!rev)
			bw_store_rollback_locked(s);
		else if (!bw_store_commit_locked(s, err))
			rev = 0;
	}
	g_mutex_unlock(&s->lock);
	return rev;
}

gint64 bw_store_put(bw_store *s, const char *key, const void *data, gsize len,
		    gint64 expect, GError **err)
{
	if (!bw_store_key_valid(key, err) || !value_valid(s, key, data, len, err))
		return 0;
	return write_one(s, key, data, len, FALSE, expect, err);
}

gint64 bw_store_delete(bw_store *s, const char *key, gint64 expect, GError **err)
{
	if (!bw_store_key_valid(key, err))
		return 0;
	return write_one(s, key, NULL, 0, TRUE, expect, err);
}

/* ---- watches ---- */

static void watch_unref(gpointer p)
{
	bw_watch *w = p;
	if (!g_atomic_int_dec_and_test(&w->ref))
		return;
	g_queue_clear_full(&w->queue, change_free);
	g_mutex_clear(&w->qlock);
	g_main_context_unref(w->ctx);
	g_free(w->prefix);
	g_free(w);
}

/* Runs on the watcher's context; the cancelled check here is what makes
 * bw_store_unwatch final when called from that same thread. */
static gboolean watch_drain(gpointer p)
{
	bw_watch *w = p;
	for (;;) {
		g_mutex_lock(&w->qlock);
		bw_store_change *c = g_queue_pop_head(&w->queue);
		if (!c)
			w->scheduled = FALSE;
		g_mutex_unlock(&w->qlock);
		if (!c)
			return G_SOURCE_REMOVE;
		if (!g_atomic_int_get(&w->cancelled))
			w->fn(c->key, c->value, c->revision, w->user_data);
		change_free(c);
	}
}

static void watch_enqueue(bw_watch *w, const bw_store_change *c)
{
	g_mutex_lock(&w->qlock);
	g_queue_push_tail(&w->queue, change_new(c->key, c->value, c->revision));
	if (!w->scheduled) {
		w->scheduled = TRUE;
		g_atomic_int_inc(&w->ref);
		GSource *src = g_idle_source_new();
		g_source_set_priority(src, G_PRIORITY_DEFAULT);
		g_source_set_callback(src, watch_drain, w, watch_unref);
		g_source_attach(src, w->ctx);
		g_source_unref(src);
	}
	g_mutex_unlock(&w->qlock);
}

/* Called with s->lock held right after the commit: commit order is kept. */
static void watch_deliver(bw_store *s)
{
	g_mutex_lock(&watch_lock);
	for (guint i = 0; i < s->pending->len; i++) {
		const bw_store_change *c = s->pending->pdata[i];
		for (guint j = 0; j < s->watches->len; j++) {
			bw_watch *w = s->watches->pdata[j];
			if (g_str_has_prefix(c->key, w->prefix) && !g_atomic_int_get(&w->cancelled))
				watch_enqueue(w, c);
		}
	}
	g_mutex_unlock(&watch_lock);
	g_ptr_array_set_size(s->pending, 0);
}

bw_watch *bw_store_watch(bw_store *s, const char *prefix, GMainContext *ctx,
			 bw_watch_fn fn, void *user_data)
{
	g_return_val_if_fail(s != NULL && fn != NULL, NULL);
	bw_watch *w = g_new0(bw_watch, 1);
	w->ref = 1;
	w->store = s;
	w->prefix = g_strdup(prefix ? prefix : "");
	w->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
	w->fn = fn;
	w->user_data = user_data;
	g_mutex_init(&w->qlock);
	g_queue_init(&w->queue);
	g_mutex_lock(&watch_lock);
	g_ptr_array_add(s->watches, w);
	g_mutex_unlock(&watch_lock);
	return w;
}

void bw_store_unwatch(bw_watch *w)
{
	if (!w)
		return;
	g_atomic_int_set(&w->cancelled, 1);
	g_mutex_lock(&watch_lock);
	if (w->store)
		g_ptr_array_remove(w->store->watches, w);
	w->store = NULL;
	g_mutex_unlock(&watch_lock);
	watch_unref(w);
}
