/* Call records, durable and independent of the bus: DATA_DIR/cdr.db
 * (SQLite, WAL, synchronous=FULL so a committed record survives a crash).
 * The signalling thread only queues a record (bounded, never waits); a
 * writer thread commits what is queued in one transaction per batch
 * window (group commit: one fsync per window, not per call) and prunes
 * records older than keep-days once a day. A clean shutdown writes
 * everything queued; a crash loses at most the records of the last
 * window (BW_CDR_BATCH_MS). A full queue drops the
 * record, counts it and says so in the log: losing a record is bad, but
 * stalling call signalling on a slow disk is worse. */
#include "callint.h"
#include <sqlite3.h>
#include <string.h>

const char *const bw_cdr_fields[BW_CDR_NFIELDS + 1] = {
	"call_id", "start", "answer", "end", "duration", "billsec", "caller",
	"caller_name", "callee", "dialed", "trunk", "disposition", "cause",
	"account_code", "secure", "note", NULL
};

enum { ITEM_RECORD, ITEM_FLUSH, ITEM_STOP };

typedef struct cdr_flush {
	GMutex lock;
	GCond cond;
	gboolean done;
	gint refs;
} cdr_flush;

typedef struct cdr_item {
	int kind;
	char *values[BW_CDR_NFIELDS];
	gint64 end_us;
	cdr_flush *flush;
} cdr_item;

static struct {
	GMutex db_lock;             /* the writer connection */
	sqlite3 *db;
	char *path;
	guint keep_days;
	GAsyncQueue *queue;
	GThread *writer;
	gint queued;                /* atomic: records waiting */
	gint dropped;               /* atomic */
	gint64 last_prune;          /* writer thread */
	GMutex kick_lock;           /* a flush or the stop cuts the window short */
	GCond kick_cond;
	gboolean kicked;
} cdr;

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS cdr ("
	" id INTEGER PRIMARY KEY, call_id TEXT NOT NULL, start TEXT, answer TEXT,"
	" end TEXT, duration TEXT, billsec TEXT, caller TEXT, caller_name TEXT,"
	" callee TEXT, dialed TEXT, trunk TEXT, disposition TEXT, cause TEXT,"
	" account_code TEXT, secure TEXT, note TEXT, end_us INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS cdr_end ON cdr(end_us);";

static const char INSERT[] =
	"INSERT INTO cdr (call_id, start, answer, end, duration, billsec, caller,"
	" caller_name, callee, dialed, trunk, disposition, cause, account_code, secure,"
	" note, end_us) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static gboolean db_fail(GError **err, sqlite3 *db, const char *what)
{
	g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_CDR, "%s: cannot %s: %s",
		    cdr.path ? cdr.path : "cdr.db", what, db ? sqlite3_errmsg(db) : "out of memory");
	return FALSE;
}

static gboolean db_exec(sqlite3 *db, const char *sql, const char *what, GError **err)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK || db_fail(err, db, what);
}

static void item_free(cdr_item *it)
{
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		g_free(it->values[i]);
	g_free(it);
}

static void flush_unref(cdr_flush *f)
{
	if (!g_atomic_int_dec_and_test(&f->refs))
		return;
	g_mutex_clear(&f->lock);
	g_cond_clear(&f->cond);
	g_free(f);
}

static void flush_signal(cdr_flush *f)
{
	g_mutex_lock(&f->lock);
	f->done = TRUE;
	g_cond_broadcast(&f->cond);
	g_mutex_unlock(&f->lock);
	flush_unref(f);
}

static gboolean insert_one(sqlite3_stmt *st, const cdr_item *it)
{
	sqlite3_reset(st);
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		sqlite3_bind_text(st, (int)i + 1, it->values[i] ? it->values[i] : "", -1,
				  SQLITE_STATIC);
	sqlite3_bind_int64(st, BW_CDR_NFIELDS + 1, it->end_us);
	return sqlite3_step(st) == SQLITE_DONE;
}

/* One transaction for everything queued: one fsync per batch, not per call. */
static void write_batch(GPtrArray *batch)
{
	GError *err = NULL;
	sqlite3_stmt *st = NULL;
	g_mutex_lock(&cdr.db_lock);
	gboolean ok = db_exec(cdr.db, "BEGIN IMMEDIATE", "begin a transaction", &err) &&
		      (sqlite3_prepare_v2(cdr.db, INSERT, -1, &st, NULL) == SQLITE_OK ||
		       db_fail(&err, cdr.db, "prepare the insert"));
	for (guint i = 0; ok && i < batch->len; i++)
		if (!insert_one(st, g_ptr_array_index(batch, i)))
			ok = db_fail(&err, cdr.db, "insert a call record");
	sqlite3_finalize(st);
	if (ok)
		ok = db_exec(cdr.db, "COMMIT", "commit call records", &err);
	if (!ok) {
		sqlite3_exec(cdr.db, "ROLLBACK", NULL, NULL, NULL);
		g_atomic_int_add(&cdr.dropped, (gint)batch->len);
		g_warning("call records: %u lost: %s", batch->len, err->message);
		g_error_free(err);
	}
	g_mutex_unlock(&cdr.db_lock);
}

static void prune_daily(void)
{
	gint64 now = g_get_real_time();
	if (now - cdr.last_prune < (gint64)86400 * G_USEC_PER_SEC)
		return;
	cdr.last_prune = now;
	GError *err = NULL;
	gint n = bw_cdr_prune(now, &err);
	if (n < 0) {
		g_warning("call records: pruning failed: %s", err->message);
		g_error_free(err);
	} else if (n > 0) {
		g_message("call records: %d older than %u days deleted", n, cdr.keep_days);
	}
}

/* Handles one popped item; FALSE on stop. */
static gboolean writer_take(cdr_item *it, GPtrArray *batch, GPtrArray *flushes)
{
	if (it->kind == ITEM_RECORD) {
		g_atomic_int_add(&cdr.queued, -1);
		g_ptr_array_add(batch, it);
		return TRUE;
	}
	if (it->kind == ITEM_FLUSH)
		g_ptr_array_add(flushes, it->flush);
	gboolean go_on = it->kind != ITEM_STOP;
	item_free(it);
	return go_on;
}

/* Group commit: after the first record, the writer waits out the batch
 * window (cut short by a flush or the stop) and then takes everything queued, so one fsync covers up to
 * BW_CDR_BATCH_MAX records and the signalling thread's pushes do not wake
 * it one by one. A flush or the stop waits at most one window more. */
static void writer_wait_window(void)
{
	gint64 end = g_get_monotonic_time() + BW_CDR_BATCH_MS * 1000;
	g_mutex_lock(&cdr.kick_lock);
	while (!cdr.kicked && g_cond_wait_until(&cdr.kick_cond, &cdr.kick_lock, end))
		;
	cdr.kicked = FALSE;
	g_mutex_unlock(&cdr.kick_lock);
}

static void writer_kick(void)
{
	g_mutex_lock(&cdr.kick_lock);
	cdr.kicked = TRUE;
	g_cond_signal(&cdr.kick_cond);
	g_mutex_unlock(&cdr.kick_lock);
}

static void writer_batch(cdr_item *it, gboolean *running)
{
	GPtrArray *batch = g_ptr_array_new_with_free_func((GDestroyNotify)item_free);
	GPtrArray *flushes = g_ptr_array_new();
	if (it->kind == ITEM_RECORD)
		writer_wait_window();
	do
		*running = writer_take(it, batch, flushes);
	while (*running && batch->len < BW_CDR_BATCH_MAX &&
	       (it = g_async_queue_try_pop(cdr.queue)));
	if (batch->len)
		write_batch(batch);
	for (guint i = 0; i < flushes->len; i++)
		flush_signal(g_ptr_array_index(flushes, i));
	g_ptr_array_unref(batch);
	g_ptr_array_unref(flushes);
}

static gpointer writer_main(gpointer unused)
{
	(void)unused;
	gboolean running = TRUE;
	while (running) {
		cdr_item *it = g_async_queue_timeout_pop(cdr.queue, 60 * G_USEC_PER_SEC);
		if (it)
			writer_batch(it, &running);
		prune_daily();
	}
	return NULL;
}

static gboolean open_db(const char *path, GError **err)
{
	int rc = sqlite3_open_v2(path, &cdr.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK)
		return db_fail(err, cdr.db, "open");
	sqlite3_busy_timeout(cdr.db, 5000);
	return db_exec(cdr.db, "PRAGMA journal_mode=WAL", "switch to WAL", err) &&
	       db_exec(cdr.db, "PRAGMA synchronous=FULL", "set synchronous=FULL", err) &&
	       db_exec(cdr.db, SCHEMA, "create the schema", err);
}

gboolean bw_cdr_open(const char *path, guint keep_days, GError **err)
{
	if (cdr.queue) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE, "%s: call records already open",
			    path);
		return FALSE;
	}
	cdr.path = g_strdup(path);
	cdr.keep_days = keep_days ? MIN(keep_days, BW_CDR_KEEP_MAX) : BW_CDR_KEEP_DEFAULT;
	if (!open_db(path, err)) {
		sqlite3_close(cdr.db);
		cdr.db = NULL;
		g_clear_pointer(&cdr.path, g_free);
		return FALSE;
	}
	cdr.last_prune = 0;
	cdr.queued = 0;
	cdr.queue = g_async_queue_new();
	cdr.writer = g_thread_new("cdr-writer", writer_main, NULL);
	return TRUE;
}

void bw_cdr_close(void)
{
	if (!cdr.queue)
		return;
	cdr_item *stop = g_new0(cdr_item, 1);
	stop->kind = ITEM_STOP;
	g_async_queue_push(cdr.queue, stop);
	writer_kick();
	g_thread_join(cdr.writer);
	cdr.writer = NULL;
	cdr_item *it;
	while ((it = g_async_queue_try_pop(cdr.queue))) {
		if (it->flush)
			flush_signal(it->flush);
		item_free(it);
	}
	g_async_queue_unref(cdr.queue);
	cdr.queue = NULL;
	sqlite3_close(cdr.db);
	cdr.db = NULL;
	g_clear_pointer(&cdr.path, g_free);
}

static gint64 end_us_of(const char *end)
{
	GDateTime *dt = end && *end ? g_date_time_new_from_iso8601(end, NULL) : NULL;
	gint64 us = dt ? g_date_time_to_unix(dt) * G_USEC_PER_SEC : g_get_real_time();
	if (dt)
		g_date_time_unref(dt);
	return us;
}

gboolean bw_cdr_submit(const char *const *values)
{
	if (!cdr.queue || g_atomic_int_get(&cdr.queued) >= BW_CDR_QUEUE_MAX) {
		guint64 n = (guint64)g_atomic_int_add(&cdr.dropped, 1) + 1;
		if (n == 1 || n % 100 == 0)
			g_warning("call records: %s; %" G_GUINT64_FORMAT " record(s) lost so far",
				  cdr.queue ? "queue full" : "cdr.db not open", n);
		return FALSE;
	}
	cdr_item *it = g_new0(cdr_item, 1);
	it->kind = ITEM_RECORD;
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		it->values[i] = g_strdup(values[i]);
	it->end_us = end_us_of(values[3]);
	g_atomic_int_inc(&cdr.queued);
	g_async_queue_push(cdr.queue, it);
	return TRUE;
}

guint64 bw_cdr_dropped(void) { return (guint64)g_atomic_int_get(&cdr.dropped); }

gboolean bw_cdr_flush(guint timeout_ms)
{
	if (!cdr.queue)
		return FALSE;
	cdr_flush *f = g_new0(cdr_flush, 1);
	g_mutex_init(&f->lock);
	g_cond_init(&f->cond);
	f->refs = 2;
	cdr_item *it = g_new0(cdr_item, 1);
	it->kind = ITEM_FLUSH;
	it->flush = f;
	g_async_queue_push(cdr.queue, it);
	writer_kick();
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_mutex_lock(&f->lock);
	while (!f->done && g_cond_wait_until(&f->cond, &f->lock, end))
		;
	gboolean done = f->done;
	g_mutex_unlock(&f->lock);
	flush_unref(f);
	return done;
}

gint bw_cdr_prune(gint64 now_us, GError **err)
{
	g_mutex_lock(&cdr.db_lock);
	sqlite3_stmt *st = NULL;
	gint n = -1;
	if (!cdr.db) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE, "call records are not open");
	} else if (sqlite3_prepare_v2(cdr.db, "DELETE FROM cdr WHERE end_us < ?", -1, &st, NULL) !=
		   SQLITE_OK) {
		db_fail(err, cdr.db, "prepare pruning");
	} else {
		sqlite3_bind_int64(st, 1, now_us - (gint64)cdr.keep_days * 86400 * G_USEC_PER_SEC);
		if (sqlite3_step(st) == SQLITE_DONE)
			n = sqlite3_changes(cdr.db);
		else
			db_fail(err, cdr.db, "prune old records");
	}
	sqlite3_finalize(st);
	g_mutex_unlock(&cdr.db_lock);
	return n;
}

static char **row_values(sqlite3_stmt *st)
{
	char **v = g_new0(char *, BW_CDR_NFIELDS + 1);
	for (int i = 0; i < BW_CDR_NFIELDS; i++) {
		const unsigned char *t = sqlite3_column_text(st, i);
		v[i] = g_strdup(t ? (const char *)t : "");
	}
	return v;
}

/* Its own read-only connection: WAL lets it read beside the writer. The
 * records queued so far are committed first, so a reader sees every call
 * that ended before it asked. */
GPtrArray *bw_cdr_last(guint n, GError **err)
{
	bw_cdr_flush(2000);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	GPtrArray *rows = NULL;
	char *path = g_strdup(cdr.path);
	if (!path) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE, "call records are not open");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT call_id, start, answer, end, duration, billsec, caller,"
			       " caller_name, callee, dialed, trunk, disposition, cause,"
			       " account_code, secure, note FROM cdr ORDER BY id DESC LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK) {
		db_fail(err, db, "read call records");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_bind_int64(st, 1, n);
	rows = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		g_ptr_array_insert(rows, 0, row_values(st));
	if (rc != SQLITE_DONE) {
		db_fail(err, db, "read call records");
		g_clear_pointer(&rows, g_ptr_array_unref);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	g_free(path);
	return rows;
}
