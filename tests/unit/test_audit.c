/* Unit tests of the audit chain: append, list, verify, and tampering done
 * behind the store's back with the SQLite C API (triggers dropped first):
 * altered, removed, inserted records, a cut tail and a forged tail record
 * must each be found; the states a crash can leave the head file in
 * (pending before or after the COMMIT) verify as intact with a note. */
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include "testutil.h"
#include "test_audit_util.h"
#include "storeint.h"
#include <bulwark/audit.h>

typedef struct fx {
	char     *dir;
	char     *path;
	char     *head;
	bw_store *s;
} fx;

static void fx_setup(fx *f, gconstpointer data)
{
	GError *err = NULL;
	f->dir = bw_test_tmpdir();
	f->path = g_build_filename(f->dir, "store.db", NULL);
	f->head = g_build_filename(f->dir, "audit.head", NULL);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	for (int i = 1; i <= 5; i++) {
		char obj[16];
		g_snprintf(obj, sizeof obj, "ext/%d", 100 + i);
		g_assert_cmpint(bw_audit_append_to(f->s, "admin@192.0.2.7", "store.put", obj,
						   i == 2 ? NULL : "via test", &err), ==, i);
		g_assert_no_error(err);
	}
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_close(f->s);
	bw_test_rmtree(f->dir);
	g_free(f->path);
	g_free(f->head);
	g_free(f->dir);
}

/* FALSE (chain damaged); the report is returned for inspection. */
static char *verify_fails(fx *f)
{
	GString *report = g_string_new(NULL);
	GError *err = NULL;
	g_assert_false(bw_audit_verify(f->s, report, &err));
	g_assert_no_error(err);
	g_test_message("report: %s", report->str);
	return g_string_free(report, FALSE);
}

static void verify_ok(fx *f)
{
	GString *report = g_string_new(NULL);
	GError *err = NULL;
	gboolean ok = bw_audit_verify(f->s, report, &err);
	g_assert_no_error(err);
	if (!ok)
		g_error("verify failed: %s", report->str);
	g_string_free(report, TRUE);
}

static void tamper(fx *f, const char *sql)
{
	bw_test_audit_tamper(f->path, sql);
}

static void test_append_list_verify(fx *f, gconstpointer data)
{
	GError *err = NULL;
	verify_ok(f);
	GPtrArray *all = bw_audit_list(f->s, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 5);
	g_assert_true(g_str_has_prefix(all->pdata[0], "1 "));
	g_assert_true(g_str_has_suffix(all->pdata[0], " admin@192.0.2.7 store.put ext/101 via test"));
	g_assert_true(g_str_has_suffix(all->pdata[1], " store.put ext/102 -"));
	g_ptr_array_unref(all);
	GPtrArray *last = bw_audit_list(f->s, 2, &err);
	g_assert_cmpuint(last->len, ==, 2);
	g_assert_true(g_str_has_prefix(last->pdata[0], "4 "));
	g_assert_true(g_str_has_prefix(last->pdata[1], "5 "));
	g_ptr_array_unref(last);

	/* the head file follows the chain */
	char *text = NULL;
	g_assert_true(g_file_get_contents(f->head, &text, NULL, NULL));
	g_assert_true(g_str_has_prefix(text, "5 "));
	g_assert_cmpuint(strlen(text), ==, 2 + 64 + 1);
	g_free(text);

	/* survives a reopen */
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "admin", NULL, &err), ==, 6);
	verify_ok(f);
}

static void test_bad_fields(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, NULL, "login", "x", NULL, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "actor"));
	g_clear_error(&err);
	char *big = g_strnfill(10000, 'd');
	g_assert_cmpint(bw_audit_append_to(f->s, "a", "login", "x", big, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "detail"));
	g_clear_error(&err);
	g_free(big);
	g_assert_cmpint(bw_audit_append_to(f->s, "a", "login", "\xff\xfe", NULL, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
	verify_ok(f);
	g_assert_cmpint(bw_audit_append_to(f->s, "a", "login", "x", NULL, &err), ==, 6);
}

static void test_triggers(fx *f, gconstpointer data)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "UPDATE audit SET actor='x' WHERE seq=2", NULL, NULL,
				     &msg), !=, SQLITE_OK);
	g_assert_nonnull(strstr(msg, "append-only"));
	sqlite3_free(msg);
	g_assert_cmpint(sqlite3_exec(db, "DELETE FROM audit WHERE seq=5", NULL, NULL, &msg),
			!=, SQLITE_OK);
	g_assert_nonnull(strstr(msg, "append-only"));
	sqlite3_free(msg);
	sqlite3_close(db);
	verify_ok(f);
}

static void test_altered(fx *f, gconstpointer data)
{
	tamper(f, "UPDATE audit SET object='ext/999' WHERE seq=3");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 3: hash does not match"));
	g_assert_null(strstr(r, "seq 2:"));
	g_free(r);
}

static void test_altered_time(fx *f, gconstpointer data)
{
	tamper(f, "UPDATE audit SET time=time+1 WHERE seq=1");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 1: hash does not match"));
	g_free(r);
}

static void test_removed_middle(fx *f, gconstpointer data)
{
	tamper(f, "DELETE FROM audit WHERE seq=3");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 4: gap: records 3..3 are missing"));
	g_assert_nonnull(strstr(r, "seq 4: prev_hash does not match"));
	g_free(r);
}

/* Renumbered to make room, so there is no gap: the hashes still tell. */
static void test_inserted_middle(fx *f, gconstpointer data)
{
	tamper(f, "UPDATE audit SET seq=seq+100 WHERE seq>=3;"
		  "UPDATE audit SET seq=seq-99 WHERE seq>=103;"
		  "INSERT INTO audit(seq, time, actor, action, object, detail, prev_hash, hash)"
		  " SELECT 3, time, 'intruder', 'login', 'admin', NULL, hash,"
		  " '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'"
		  " FROM audit WHERE seq=2;");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 3: hash does not match"));
	g_assert_nonnull(strstr(r, "seq 4: prev_hash does not match"));
	g_assert_nonnull(strstr(r, "seq 4: hash does not match"));
	g_free(r);
}

static void test_inserted_tail(fx *f, gconstpointer data)
{
	tamper(f, "INSERT INTO audit(seq, time, actor, action, object, detail, prev_hash, hash)"
		  " SELECT 6, time, 'intruder', 'login', 'admin', NULL, hash, hash"
		  " FROM audit WHERE seq=5;");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 6: hash does not match"));
	g_free(r);
}

static void test_removed_tail(fx *f, gconstpointer data)
{
	tamper(f, "DELETE FROM audit WHERE seq>=4");
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 5: the head record is missing: the chain ends at seq 3"));
	g_free(r);
	/* appending afterwards does not paper over the cut */
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 6);
	r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 6: gap: records 4..5 are missing"));
	g_free(r);
	/* nor does a reopen */
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 6: gap"));
	g_free(r);
}

static void test_head_missing(fx *f, gconstpointer data)
{
	g_assert_cmpint(g_unlink(f->head), ==, 0);
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "no audit head"));
	g_free(r);
	g_assert_true(g_file_set_contents(f->head, "garbage\n", -1, NULL));
	r = verify_fails(f);
	g_assert_nonnull(strstr(r, "audit head unusable"));
	g_free(r);
}

/* A record appended at the tail with a valid hash (what someone who can
 * write the database and recompute SHA-256 would do) is found: the head
 * file does not follow it. */
static void test_forged_tail(fx *f, gconstpointer data)
{
	char *old = NULL;
	GError *err = NULL;
	g_assert_true(g_file_get_contents(f->head, &old, NULL, NULL));
	g_assert_cmpint(bw_audit_append_to(f->s, "intruder", "login", "admin", NULL, &err), ==, 6);
	g_assert_true(g_file_set_contents(f->head, old, -1, NULL));
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 6: records 6..6 are newer than the audit head at seq 5"));
	g_free(r);
	/* nor does a reopen or a later append legitimise it */
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 7);
	g_assert_true(g_file_set_contents(f->head, old, -1, NULL));
	r = verify_fails(f);
	g_assert_nonnull(strstr(r, "records 6..7 are newer"));
	g_free(r);
	g_free(old);
}

static char *head_text(fx *f)
{
	char *text = NULL;
	g_assert_true(g_file_get_contents(f->head, &text, NULL, NULL));
	return text;
}

static char *verify_notes(fx *f)
{
	GString *report = g_string_new(NULL);
	GError *err = NULL;
	gboolean ok = bw_audit_verify(f->s, report, &err);
	g_assert_no_error(err);
	if (!ok)
		g_error("verify failed: %s", report->str);
	return g_string_free(report, FALSE);
}

/* A crash after the pending head was written and before COMMIT: the chain
 * ends at the committed head; the lost append is a note, and the next
 * append (after a restart) takes its seq. */
static void test_crash_before_commit(fx *f, gconstpointer data)
{
	char *head = head_text(f);
	g_assert_true(g_str_has_prefix(head, "5 "));
	char *crashed = g_strconcat(head, "pending 6 ",
				    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
				    NULL);
	g_assert_true(g_file_set_contents(f->head, crashed, -1, NULL));
	char *r = verify_notes(f);
	g_assert_nonnull(strstr(r, "note: the chain ends at the audit head seq 5; the append "
				"of seq 6 was interrupted before its commit"));
	g_free(r);
	GError *err = NULL;
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "daemon.start", "bulwarkd", NULL, &err),
			==, 6);
	r = verify_notes(f);
	g_assert_cmpstr(r, ==, "");
	g_free(r);
	char *now = head_text(f);
	g_assert_true(g_str_has_prefix(now, "6 "));
	g_assert_null(strstr(now, "pending"));
	g_free(now);
	g_free(crashed);
	g_free(head);
}

/* A crash after COMMIT and before the head file was rewritten: the chain
 * ends at the pending head, which a reopen takes as committed. */
static void test_crash_after_commit(fx *f, gconstpointer data)
{
	char *old = head_text(f);
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 6);
	char *cur = head_text(f);
	char *crashed = g_strconcat(old, "pending ", cur, NULL);
	g_assert_true(g_file_set_contents(f->head, crashed, -1, NULL));
	char *r = verify_notes(f);
	g_assert_nonnull(strstr(r, "note: seq 6 was committed but the audit head still marks "
				"it pending"));
	g_free(r);
	bw_store_close(f->s);
	f->s = bw_store_open(f->path, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "y", NULL, &err), ==, 7);
	verify_ok(f);
	g_free(crashed);
	g_free(cur);
	g_free(old);
}

/* While pending, the chain must still end at one of the two heads. */
static void test_pending_damage(fx *f, gconstpointer data)
{
	char *old = head_text(f);
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 6);
	g_assert_cmpint(bw_audit_append_to(f->s, "intruder", "login", "x", NULL, &err), ==, 7);
	char *crashed = g_strconcat(old, "pending 6 ",
				    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
				    NULL);
	g_assert_true(g_file_set_contents(f->head, crashed, -1, NULL));
	char *r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 6: the record differs from the audit head (replaced)"));
	g_free(r);
	tamper(f, "DELETE FROM audit WHERE seq>=5");
	r = verify_fails(f);
	g_assert_nonnull(strstr(r, "seq 5: the head record is missing: the chain ends at seq 4"));
	g_free(r);
	g_free(crashed);
	g_free(old);
}

/* The pending head cannot be written: nothing is committed. */
static void test_head_unwritable(fx *f, gconstpointer data)
{
	char *tmp = g_strconcat(f->head, ".tmp", NULL);
	g_assert_cmpint(g_mkdir(tmp, 0700), ==, 0);
	GError *err = NULL;
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_assert_nonnull(strstr(err->message, "cannot write the chain head"));
	g_assert_nonnull(strstr(err->message, "audit.head"));
	g_clear_error(&err);
	GPtrArray *all = bw_audit_list(f->s, 0, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(all->len, ==, 5);
	g_ptr_array_unref(all);
	verify_ok(f);
	g_assert_cmpint(g_rmdir(tmp), ==, 0);
	g_assert_cmpint(bw_audit_append_to(f->s, "system", "login", "x", NULL, &err), ==, 6);
	verify_ok(f);
	g_free(tmp);
}

static void test_head_parse(void)
{
	static const char h[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	bw_audit_head head;
	char *one = g_strdup_printf("5 %s\n", h);
	char *two = g_strdup_printf("5 %s\npending 6 %s\n", h, h);
	g_assert_true(bw_audit_head_parse(one, &head));
	g_assert_cmpint(head.committed.seq, ==, 5);
	g_assert_cmpint(head.pending.seq, ==, 0);
	g_assert_true(bw_audit_head_parse(two, &head));
	g_assert_cmpint(head.pending.seq, ==, 6);
	g_assert_cmpstr(head.pending.hash, ==, h);
	const char *bad[] = { "", "5", "-1 x", "+5 0", "5 ABC", "pending 6 x",
			      NULL };
	for (int i = 0; bad[i]; i++)
		g_assert_false(bw_audit_head_parse(bad[i], &head));
	char *extra = g_strdup_printf("%sjunk\n", two);
	char *zero = g_strdup_printf("5 %s\npending 0 %s\n", h, h);
	char *twice = g_strdup_printf("%spending 7 %s\n", two, h);
	g_assert_false(bw_audit_head_parse(extra, &head));
	g_assert_false(bw_audit_head_parse(zero, &head));
	g_assert_false(bw_audit_head_parse(twice, &head));
	g_free(one);
	g_free(two);
	g_free(extra);
	g_free(zero);
	g_free(twice);
}

static void test_system_append(void)
{
	GError *err = NULL;
	g_assert_null(bw_store_system());
	g_assert_cmpint(bw_audit_append("system", "login", "x", NULL, &err), ==, 0);
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO);
	g_clear_error(&err);
	char *dir = bw_test_tmpdir();
	char *path = g_build_filename(dir, "s.db", NULL);
	bw_store *s = bw_store_open(path, 0, &err);
	g_assert_no_error(err);
	bw_store_set_system(s);
	g_assert_cmpint(bw_audit_append("system", "login", "x", NULL, &err), ==, 1);
	g_assert_no_error(err);
	bw_store_close(s);
	g_assert_null(bw_store_system());
	bw_test_rmtree(dir);
	g_free(path);
	g_free(dir);
}

#define ADD(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/audit/append-list-verify", test_append_list_verify);
	ADD("/audit/bad-fields", test_bad_fields);
	ADD("/audit/triggers", test_triggers);
	ADD("/audit/tamper/altered", test_altered);
	ADD("/audit/tamper/altered-time", test_altered_time);
	ADD("/audit/tamper/removed-middle", test_removed_middle);
	ADD("/audit/tamper/inserted-middle", test_inserted_middle);
	ADD("/audit/tamper/inserted-tail", test_inserted_tail);
	ADD("/audit/tamper/removed-tail", test_removed_tail);
	ADD("/audit/head-missing", test_head_missing);
	ADD("/audit/forged-tail", test_forged_tail);
	ADD("/audit/crash/before-commit", test_crash_before_commit);
	ADD("/audit/crash/after-commit", test_crash_after_commit);
	ADD("/audit/crash/pending-damage", test_pending_damage);
	ADD("/audit/head-unwritable", test_head_unwritable);
	g_test_add_func("/audit/head-parse", test_head_parse);
	g_test_add_func("/audit/system-append", test_system_append);
	return g_test_run();
}
