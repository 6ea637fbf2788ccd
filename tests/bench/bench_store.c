/* Benchmark of the SQLite store: durable puts (one transaction and one
 * fsync each), point gets, and lists of a 100-record prefix. Prints one
 * line of figures; it never judges them. */
#include <stdio.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "storedb.h"

#define PUTS      400
#define GETS      50000
#define LISTS     2000
#define VALUE_LEN 200

static double rate(guint n, gint64 t0)
{
	double s = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
	return s > 0 ? n / s : 0;
}

static void rmtree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;
	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, n, NULL);
		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

int main(void)
{
	GError *err = NULL;
	char *dir = g_dir_make_tmp("bwbench-XXXXXX", &err);
	char *path = dir ? g_build_filename(dir, "store.db", NULL) : NULL;
	bw_store *s = path ? bw_store_open(path, 0, &err) : NULL;
	if (!s) {
		fprintf(stderr, "bench store: %s\n", err ? err->message : "no temp dir");
		return 1;
	}
	char value[VALUE_LEN];
	memset(value, 'v', sizeof value);
	char key[64];

	gint64 t0 = g_get_monotonic_time();
	for (guint i = 0; i < PUTS; i++) {
		g_snprintf(key, sizeof key, "ext/%05u", i);
		if (!bw_store_put(s, key, value, sizeof value, BW_STORE_ANY, &err))
			g_error("bench store: put %s: %s", key, err->message);
	}
	double put_rate = rate(PUTS, t0);

	t0 = g_get_monotonic_time();
	for (guint i = 0; i < GETS; i++) {
		GBytes *v = NULL;
		g_snprintf(key, sizeof key, "ext/%05u", i % PUTS);
		if (!bw_store_get(s, key, &v, NULL, &err))
			g_error("bench store: get %s: %s", key, err->message);
		g_bytes_unref(v);
	}
	double get_rate = rate(GETS, t0);

	t0 = g_get_monotonic_time();
	for (guint i = 0; i < LISTS; i++) {
		g_snprintf(key, sizeof key, "ext/00%u", i % 4);   /* 100 records each */
		GPtrArray *l = bw_store_list(s, key, &err);
		if (!l || l->len != 100)
			g_error("bench store: list %s: %s", key, err ? err->message : "wrong count");
		g_ptr_array_unref(l);
	}
	double list_rate = rate(LISTS, t0);

	printf("bench store: put_per_s=%.0f get_per_s=%.0f list_100_per_s=%.0f\n",
	       put_rate, get_rate, list_rate);
	bw_store_close(s);
	rmtree(dir);
	g_free(path);
	g_free(dir);
	return 0;
}
