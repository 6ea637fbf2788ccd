/* Shared by the audit tests (test_audit.c, test_audit_list.c): alter the
 * audit table behind the store's back, as an attacker with the database
 * file would, so that verify (or a reader) meets real damage. */
#ifndef BW_TEST_AUDIT_UTIL_H
#define BW_TEST_AUDIT_UTIL_H

#include <glib.h>
#include <sqlite3.h>

/* Drops the append-only triggers of the database at path, then runs sql. */
static inline void bw_test_audit_tamper(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	int rc = sqlite3_exec(db, "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
			      NULL, NULL, &msg);
	g_assert_cmpstr(msg, ==, NULL);
	g_assert_cmpint(rc, ==, SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	g_assert_cmpstr(msg, ==, NULL);
	g_assert_cmpint(rc, ==, SQLITE_OK);
	sqlite3_close(db);
}

#endif
