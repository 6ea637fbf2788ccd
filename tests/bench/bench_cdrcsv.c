/* bench_cdrcsv: the cost of durable call records. Writes N records through
 * the cdr-csv writer with fsync after each (what the plugin does) and
 * without (page cache only), in a fresh directory under $BENCH_DIR (default:
 * the current directory, so it measures the build tree's disk rather than
 * a tmpfs), and prints one line of figures. */
#include <stdio.h>
#include <stdlib.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "cdrcsv.h"

#define BENCH_RECORDS 2000

static double bench_run(const char *dir, gboolean sync, guint n)
{
	g_autoptr(GError) error = NULL;
	bw_cdrcsv *w = bw_cdrcsv_open(dir, 0, NULL, &error);
	const char *v[BW_CDRCSV_NCOLS] = {
		"0f8e2a6c-1b7d-4c55-9a1e-3f2b7d9c0a11", "1772402300", "1772402305",
		"1772402370", "70", "65", "100", "Alice, Front Desk", "200",
		"0044201234567", "trunk1", "ANSWERED", "16", "4711", "srtp" };
	gint64 t0, when = g_get_real_time();

	if (w == NULL) {
		g_printerr("bench_cdrcsv: %s\n", error->message);
		exit(1);
	}
	bw_cdrcsv_set_sync(w, sync);
	t0 = g_get_monotonic_time();
	for (guint i = 0; i < n; i++) {
		if (!bw_cdrcsv_write(w, v, when, &error)) {
			g_printerr("bench_cdrcsv: %s\n", error->message);
			exit(1);
		}
	}
	t0 = g_get_monotonic_time() - t0;
	bw_cdrcsv_close(w);
	return (double) t0 / n;
}

static void bench_rmdir(const char *dir)
{
	const char *name;
	GDir *d = g_dir_open(dir, 0, NULL);

	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		g_autofree char *p = g_build_filename(dir, name, NULL);

		g_unlink(p);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(dir);
}

int main(void)
{
	const char *base = g_getenv("BENCH_DIR") ? g_getenv("BENCH_DIR") : ".";
	g_autofree char *tmpl = g_build_filename(base, "bench-cdrcsv-XXXXXX", NULL);
	char *dir = g_mkdtemp(tmpl);
	double us_sync, us_nosync;

	if (dir == NULL) {
		g_printerr("bench_cdrcsv: cannot create a directory under %s\n", base);
		return 1;
	}
	us_nosync = bench_run(dir, FALSE, BENCH_RECORDS * 10);
	us_sync = bench_run(dir, TRUE, BENCH_RECORDS);
	bench_rmdir(dir);
	printf("bench cdrcsv: records_sync=%u us_per_record_fsync=%.1f "
	       "records_nosync=%u us_per_record_nofsync=%.2f fsync_records_per_s=%.0f\n",
	       BENCH_RECORDS, us_sync, BENCH_RECORDS * 10, us_nosync, 1e6 / us_sync);
	return 0;
}
