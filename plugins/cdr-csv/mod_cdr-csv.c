/* mod_cdr-csv: call records as CSV files, one per day.
 *
 * Contract: subscribes to "call.*"; each "call.ended" becomes one record
 * (columns in cdrcsv.c, each from the event field of that name) in
 * DIRECTORY/cdr-YYYY-MM-DD.csv, dated by the local date of the event's
 * `end` field (else of the event's time), fsync'ed before the next one.
 * Files older than keep-days are deleted once a day (0 keeps all). A
 * failed write publishes "cdr.write.failed" and is logged at most once a
 * minute. Attributes: directory (default DATA_DIR/cdr; relative paths are
 * under the data directory), keep-days (default 90).
 *
 * The files are written on a thread of our own: fsync takes milliseconds
 * and must not stall the management loop. */
#define G_LOG_DOMAIN "cdr-csv"
#include <errno.h>
#include <bulwark/bulwark.h>
#include "cdrcsv.h"

#define CDR_QUEUE_MAX   4096     /* call.* events waiting for the writer */
#define CDR_WARN_EVERY  (60 * G_USEC_PER_SEC)
#define CDR_PRUNE_EVERY 3600     /* seconds; prunes at most once a day */

typedef struct cdr_state {
	char         *dir;
	guint         keep_days;
	bw_cdrcsv    *writer;
	GMainContext *ctx;
	GMainLoop    *loop;
	GThread      *thread;
	bw_sub       *sub;
	GSource      *timer;
	gint64        last_warn;   /* monotonic us of the last warning */
	guint         unlogged;    /* failures since then, not logged */
} cdr_state;

static void cdr_report(cdr_state *st, const char *call_id, const GError *error)
{
	gint64 now = g_get_monotonic_time();

	bw_event_emit("cdr.write.failed", "call_id", call_id ? call_id : "",
		      "directory", st->dir, "error", error->message, NULL);
	if (st->last_warn != 0 && now - st->last_warn < CDR_WARN_EVERY) {
		st->unlogged++;
		return;
	}
	g_warning("%s (call %s; %u earlier failure(s) not logged)", error->message,
		  call_id ? call_id : "?", st->unlogged);
	st->last_warn = now;
	st->unlogged = 0;
}

static void cdr_prune(cdr_state *st, gboolean force)
{
	g_autoptr(GError) error = NULL;
	int n = bw_cdrcsv_prune(st->writer, g_get_real_time(), force, &error);

	if (n < 0)
		g_warning("cdr-csv: cannot list %s to delete old records: %s",
			  st->dir, error->message);
	else if (n > 0)
		g_message("deleted %d call record file(s) older than %u days from %s",
			  n, st->keep_days, st->dir);
}

static void cdr_on_event(const bw_event *ev, void *user_data)
{
	cdr_state *st = user_data;
	const char *values[BW_CDRCSV_NCOLS];
	g_autoptr(GError) error = NULL;
	gint64 when;

	if (g_strcmp0(bw_event_type(ev), "call.ended") != 0)
		return;
	for (guint i = 0; i < BW_CDRCSV_NCOLS; i++)
		values[i] = bw_event_get(ev, bw_cdrcsv_columns[i]);
	when = bw_cdrcsv_parse_time(bw_event_get(ev, "end"), NULL);
	if (when < 0)
		when = bw_event_time(ev);
	cdr_prune(st, FALSE);
	if (!bw_cdrcsv_write(st->writer, values, when, &error))
		cdr_report(st, bw_event_get(ev, "call_id"), error);
}

static gboolean cdr_on_timer(void *user_data)
{
	cdr_prune(user_data, FALSE);
	return G_SOURCE_CONTINUE;
}

static void *cdr_thread_main(void *user_data)
{
	cdr_state *st = user_data;

	g_main_context_push_thread_default(st->ctx);
	g_main_loop_run(st->loop);
	g_main_context_pop_thread_default(st->ctx);
	return NULL;
}

/* Runs on the writer thread after the events already queued (lower
 * priority), because unsubscribe must happen on the subscriber's context. */
static gboolean cdr_thread_quit(void *user_data)
{
	cdr_state *st = user_data;

	bw_bus_unsubscribe(st->sub);
	st->sub = NULL;
	g_source_destroy(st->timer);
	g_main_loop_quit(st->loop);
	return G_SOURCE_REMOVE;
}

static char *cdr_conf_dir(const bw_conf_node *conf)
{
	const char *dir = bw_conf_str(conf, "directory", "cdr");

	if (g_path_is_absolute(dir))
		return g_strdup(dir);
	return g_build_filename(bw_data_dir(), dir, NULL);
}

static int cdr_init(bw_module *m)
{
	const bw_conf_node *conf = bw_module_conf(m);
	g_autoptr(GError) error = NULL;
	cdr_state *st = g_new0(cdr_state, 1);
	gint64 keep = bw_conf_int(conf, "keep-days", 90);

	st->dir = cdr_conf_dir(conf);
	st->keep_days = (guint) CLAMP(keep, 0, BW_CDRCSV_KEEP_MAX);
	st->writer = bw_cdrcsv_open(st->dir, st->keep_days, NULL, &error);
	bw_module_set_data(m, st);
	if (st->writer == NULL) {
		int e = error->code == G_FILE_ERROR_ACCES ? EACCES : EIO;

		g_warning("%s", error->message);
		return e;
	}
	return 0;
}

static int cdr_start(bw_module *m)
{
	cdr_state *st = bw_module_data(m);

	st->ctx = g_main_context_new();
	st->loop = g_main_loop_new(st->ctx, FALSE);
	st->sub = bw_bus_subscribe("call.*", st->ctx, CDR_QUEUE_MAX, cdr_on_event, st);
	if (st->sub == NULL) {
		g_warning("cdr-csv: start: cannot subscribe to call.* events");
		g_clear_pointer(&st->loop, g_main_loop_unref);
		g_clear_pointer(&st->ctx, g_main_context_unref);
		return EINVAL;
	}
	st->timer = g_timeout_source_new_seconds(CDR_PRUNE_EVERY);
	g_source_set_callback(st->timer, cdr_on_timer, st, NULL);
	g_source_attach(st->timer, st->ctx);
	cdr_prune(st, TRUE);
	st->thread = g_thread_new("cdr-csv", cdr_thread_main, st);
	g_message("writing call records to %s (keep %u days%s)", st->dir,
		  st->keep_days, st->keep_days ? "" : ": all");
	return 0;
}

static void cdr_stop(bw_module *m)
{
	cdr_state *st = bw_module_data(m);

	if (st->thread != NULL) {
		g_main_context_invoke_full(st->ctx, G_PRIORITY_LOW, cdr_thread_quit, st, NULL);
		g_thread_join(st->thread);
		st->thread = NULL;
	} else if (st->sub != NULL) {
		bw_bus_unsubscribe(st->sub);
		st->sub = NULL;
	}
	g_clear_pointer(&st->timer, g_source_unref);
	g_clear_pointer(&st->loop, g_main_loop_unref);
	g_clear_pointer(&st->ctx, g_main_context_unref);
}

static void cdr_fini(bw_module *m)
{
	cdr_state *st = bw_module_data(m);

	if (st == NULL)
		return;
	bw_cdrcsv_close(st->writer);
	g_free(st->dir);
	g_free(st);
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "cdr-csv",
	.version = "1.0.0",
	.summary = "Call records (call.ended) to daily CSV files",
	.requires = NULL,
	.init = cdr_init,
	.start = cdr_start,
	.stop = cdr_stop,
	.fini = cdr_fini,
);
