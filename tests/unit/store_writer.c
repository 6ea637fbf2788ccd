/* Helper of tests/integration/test_store_crash.py.
 *
 *   store_writer write DB PREFIX MAX   put PREFIX/0, PREFIX/1, ... (value
 *       "value-of-KEY;" four times), each followed by an audit record, and
 *       print "REVISION KEY" once the put has returned (flushed), so every
 *       printed line is a promise that the record is durable.
 *   store_writer check DB              reopen the store, print its revision,
 *       verify the audit chain; exit 0 when intact.
 */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "storedb.h"

static char *value_for(const char *key)
{
	return g_strdup_printf("value-of-%s;value-of-%s;value-of-%s;value-of-%s;",
			       key, key, key, key);
}

static int do_write(const char *db, const char *prefix, long max)
{
	GError *err = NULL;
	bw_store *s = bw_store_open(db, 0, &err);
	if (!s) {
		fprintf(stderr, "store_writer: %s\n", err->message);
		return 1;
	}
	for (long i = 0; i < max; i++) {
		char *key = g_strdup_printf("%s/%ld", prefix, i);
		char *v = value_for(key);
		gint64 rev = bw_store_put(s, key, v, strlen(v), BW_STORE_ABSENT, &err);
		if (!rev || !bw_audit_append_to(s, "store_writer", "store.put", key, NULL, &err)) {
			fprintf(stderr, "store_writer: %s\n", err->message);
			return 1;
		}
		printf("%" G_GINT64_FORMAT " %s\n", rev, key);
		fflush(stdout);
		g_free(v);
		g_free(key);
	}
	bw_store_close(s);
	return 0;
}

static int do_check(const char *db)
{
	GError *err = NULL;
	bw_store *s = bw_store_open(db, 0, &err);
	if (!s) {
		fprintf(stderr, "store_writer: %s\n", err->message);
		return 1;
	}
	GString *report = g_string_new(NULL);
	gboolean ok = bw_audit_verify(s, report, &err);
	printf("revision %" G_GINT64_FORMAT "\n", bw_store_revision(s));
	printf("audit %s\n%s", ok ? "ok" : "FAIL", report->str);
	if (err)
		printf("error %s\n", err->message);
	g_string_free(report, TRUE);
	g_clear_error(&err);
	bw_store_close(s);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2], argv[3], strtol(argv[4], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return do_check(argv[2]);
	fprintf(stderr, "usage: store_writer write DB PREFIX MAX | check DB\n");
	return 2;
}
