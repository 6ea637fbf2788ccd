/* bulwarkd: load and check the configuration before anything starts, open
 * the store, set up TLS, the control socket and the signalling thread,
 * start the configured modules in dependency order, drop privileges, then
 * run the management loop until SIGTERM/SIGINT. SIGHUP reloads. */
#include "alarmint.h"
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "loader.h"
#include "storedb.h"
#include "tlsctx.h"
#include "businternal.h"
#include "callint.h"
#include <bulwark/bulwark.h>
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_CONFIG = 2, EXIT_START = 1 };

static struct {
	char *config_path;        /* NULL: the embedded default */
	GMainLoop *loop;
	bw_store *store;
	gint64 started;           /* monotonic */
	char *backup_dir;
} d;

static const char ACTOR[] = "system";

static void audit(const char *action, const char *object, const char *detail)
{
	GError *err = NULL;
	if (!bw_audit_append(ACTOR, action, object, detail, &err)) {
		g_warning("audit: cannot record %s: %s", action, err->message);
		g_error_free(err);
	}
}

void bw_daemon_quit(void)
{
	if (d.loop)
		g_main_loop_quit(d.loop);
}

static void schedule_backups(const bw_config *cfg)
{
	const bw_conf_node *sys = bw_config_system_node(cfg);
	bw_backup_schedule(d.store, d.backup_dir,
			   (guint)bw_conf_seconds(sys, "backup-interval", 3600),
			   (guint)bw_conf_int(sys, "backup-keep", 24));
}

static gboolean daemon_reload(const char *actor, GError **err)
{
	bw_config *cfg = bw_config_load(d.config_path, bw_loader_path(), err);
	if (!cfg) {
		g_warning("reload refused, keeping the running configuration: %s",
			  (*err)->message);
		return FALSE;
	}
	bw_config *old = bw_config_current();
	if (g_strcmp0(bw_config_data_dir(old), bw_config_data_dir(cfg)) != 0)
		g_warning("reload: data-dir changes only take effect after a restart");
	bw_config_unref(old);
	bw_config_set_current(cfg);
	bw_log_setup(bw_config_log_level(cfg));
	gboolean ok = bw_loader_apply(cfg, err);
	schedule_backups(cfg);
	GError *aerr = NULL;
	bw_audit_append(actor, ok ? "config.reload" : "config.reload.failed",
			bw_config_filename(cfg), ok ? NULL : (*err)->message, &aerr);
	g_clear_error(&aerr);
	bw_config_unref(cfg);
	if (ok)
		g_message("configuration reloaded from %s", d.config_path ? d.config_path : "(embedded)");
	return ok;
}

static void daemon_status(GString *out)
{
	bw_config *cfg = bw_config_current();
	gint64 up = (g_get_monotonic_time() - d.started) / G_USEC_PER_SEC;
	g_string_append_printf(out, "bulwarkd %s running, pid %d, up %" G_GINT64_FORMAT "d %02d:%02d:%02d\n",
			       BW_VERSION, (int)getpid(), up / 86400, (int)(up / 3600 % 24),
			       (int)(up / 60 % 60), (int)(up % 60));
	g_string_append_printf(out, "system %s, configuration %s, data %s\n",
			       bw_config_system_name(cfg), bw_config_filename(cfg),
			       bw_config_data_dir(cfg));
	g_string_append_printf(out, "store revision %" G_GINT64_FORMAT "\n",
			       bw_store_revision(d.store));
	char *l = bw_listener_describe();
	g_string_append_printf(out, "listeners:\n%s", l);
	g_free(l);
	GPtrArray *mods = bw_loader_list();
	g_string_append(out, "modules:\n");
	for (guint i = 0; i < mods->len; i++) {
		bw_module_info *m = g_ptr_array_index(mods, i);
		g_string_append_printf(out, "  %-14s %-10s %s%s\n", m->name, m->version,
				       m->state, m->critical ? " (critical)" : "");
	}
	g_ptr_array_unref(mods);
	bw_bus_describe(out);
	bw_config_unref(cfg);
}

static gboolean on_quit_signal(gpointer unused)
{
	g_message("stopping on signal");
	bw_daemon_quit();
	return G_SOURCE_CONTINUE;
}

static gboolean on_hup(gpointer unused)
{
	GError *err = NULL;
	if (!daemon_reload("signal:SIGHUP", &err)) {
		g_warning("SIGHUP: %s", err->message);
		g_error_free(err);
	}
	return G_SOURCE_CONTINUE;
}

/* The data directory and its backup folder: created if missing, never
 * group- or world-writable. */
static gboolean prepare_data_dir(const char *dir, GError **err)
{
	if (g_mkdir_with_parents(dir, 0750) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create data directory %s: %s", dir, g_strerror(errno));
		return FALSE;
	}
	if (!bw_harden_check_path(dir, err))
		return FALSE;
	d.backup_dir = g_build_filename(dir, "backups", NULL);
	if (g_mkdir_with_parents(d.backup_dir, 0750) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "cannot create %s: %s", d.backup_dir, g_strerror(errno));
		return FALSE;
	}
	return TRUE;
}

static gboolean open_store(const bw_config *cfg, GError **err)
{
	char *path = g_build_filename(bw_config_data_dir(cfg), "bulwark.db", NULL);
	gint64 max = bw_conf_int(bw_config_system_node(cfg), "store-max-value", 0);
	d.store = bw_store_open(path, (gsize)max, err);
	g_free(path);
	if (!d.store)
		return FALSE;
	bw_store_set_system(d.store);
	return TRUE;
}

static gboolean start_control(const bw_config *cfg, GError **err)
{
	char *sock = g_build_filename(bw_config_data_dir(cfg), "bulwarkd.sock", NULL);
	static const bw_daemon_ops ops = { daemon_reload, daemon_status };
	gboolean ok = bw_ctl_start(sock, &ops, err);
	if (ok) {
		char *where = g_strconcat("unix:", sock, NULL);
		bw_listener_announce("control", where);
		g_free(where);
	}
	g_free(sock);
	return ok;
}

static void print_banner(void)
{
	GPtrArray *mods = bw_loader_list();
	printf("bulwarkd %s started (pid %d)\n", BW_VERSION, (int)getpid());
	printf("modules (%u):\n", mods->len);
	for (guint i = 0; i < mods->len; i++) {
		bw_module_info *m = g_ptr_array_index(mods, i);
		printf("  %-14s %-10s %s\n", m->name, m->version, m->state);
	}
	g_ptr_array_unref(mods);
	char *l = bw_listener_describe();
	printf("listening:\n%s", l);
	g_free(l);
	fflush(stdout);
}

static gboolean start(bw_config *cfg, GError **err)
{
	if (d.config_path && !bw_harden_check_path(d.config_path, err))
		return FALSE;
	if (!prepare_data_dir(bw_config_data_dir(cfg), err) || !open_store(cfg, err))
		return FALSE;
	audit("daemon.start", bw_config_filename(cfg), BW_VERSION);
	if (!bw_tls_configure(cfg, err) || !bw_alarms_start(d.store, err) || !start_control(cfg, err)
	    || !bw_threads_start(err))
		return FALSE;
	if (!bw_calls_start(err))
		return FALSE;
	if (!bw_loader_apply(cfg, err))
		return FALSE;
	if (!bw_harden_drop_privileges(bw_config_user(cfg), bw_config_data_dir(cfg), err))
		return FALSE;
	schedule_backups(cfg);
	bw_tls_expiry_start();   /* after the modules: their alarm destinations exist */
	return TRUE;
}

static void shutdown_all(void)
{
	if (d.store)
		bw_backup_schedule(d.store, d.backup_dir, 0, 0);
	bw_tls_expiry_stop();
	bw_loader_shutdown();
	bw_calls_stop();
	bw_threads_stop();
	bw_ctl_stop();
	bw_alarms_stop();
	if (d.store) {
		audit("daemon.stop", "bulwarkd", NULL);
		bw_store_set_system(NULL);
		bw_store_close(d.store);
	}
	bw_tls_shutdown();
}

static char **split_path(const char *spec)
{
	return spec ? g_strsplit(spec, ":", -1) : NULL;
}

typedef struct {
	char *check, *data_dir, *module_path, *level;
	gboolean version;
	char **module_dirs;
} options;

static void options_free(options *o)
{
	g_free(o->check);
	g_free(o->data_dir);
	g_free(o->module_path);
	g_free(o->level);
	g_strfreev(o->module_dirs);
}

/* -1 to go on, else the exit code. */
static int parse_options(options *o, int *argc, char ***argv)
{
	GOptionEntry entries[] = {
		{ "config", 'c', 0, G_OPTION_ARG_FILENAME, &d.config_path,
		  "Configuration file (default: the embedded etc/bulwark.xml)", "FILE" },
		{ "check-config", 0, 0, G_OPTION_ARG_FILENAME, &o->check,
		  "Check FILE and exit: 0 when it is valid", "FILE" },
		{ "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_dir,
		  "Override <system data-dir>", "DIR" },
		{ "module-path", 'm', 0, G_OPTION_ARG_STRING, &o->module_path,
		  "':'-separated module directories (default: $BULWARK_MODULE_PATH, else " BW_MODULEDIR ")", "DIRS" },
		{ "log-level", 'l', 0, G_OPTION_ARG_STRING, &o->level,
		  "error, warning, message, info or debug (overrides <system log-level>)", "LEVEL" },
		{ "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
		{ NULL }
	};
	GError *err = NULL;
	GOptionContext *oc = g_option_context_new("- the Bulwark call server");
	g_option_context_add_main_entries(oc, entries, NULL);
	gboolean ok = g_option_context_parse(oc, argc, argv, &err);
	g_option_context_free(oc);
	if (!ok) {
		fprintf(stderr, "bulwarkd: %s (try --help)\n", err->message);
		g_error_free(err);
		return EXIT_CONFIG;
	}
	if (o->version) {
		printf("bulwarkd %s (SDK ABI %d.%d)\n", BW_VERSION, BW_ABI_MAJOR, BW_ABI_MINOR);
		return 0;
	}
	if (o->level && !bw_log_level_valid(o->level)) {
		fprintf(stderr, "bulwarkd: --log-level %s: use error, critical, warning, message, info or debug\n", o->level);
		return EXIT_CONFIG;
	}
	return -1;
}

/* Start, run the loop until a signal, stop. */
static int run(bw_config *cfg)
{
	GError *err = NULL;
	int rc = 0;

	bw_config_set_current(cfg);
	d.started = g_get_monotonic_time();
	d.loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGINT, on_quit_signal, NULL);
	g_unix_signal_add(SIGTERM, on_quit_signal, NULL);
	g_unix_signal_add(SIGHUP, on_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (start(cfg, &err)) {
		print_banner();
		g_main_loop_run(d.loop);
	} else {
		fprintf(stderr, "bulwarkd: cannot start: %s\n", err->message);
		g_clear_error(&err);
		rc = EXIT_START;
	}
	shutdown_all();
	g_main_loop_unref(d.loop);
	bw_config_set_current(NULL);
	if (rc == 0)
		printf("bulwarkd stopped\n");
	return rc;
}

static int setup_and_run(options *o)
{
	GError *err = NULL;
	int rc;

	bw_log_setup(o->level ? o->level : "info");
	if (!bw_harden_process_defaults(&err)) {
		fprintf(stderr, "bulwarkd: %s\n", err->message);
		g_error_free(err);
		return EXIT_START;
	}
	o->module_dirs = split_path(o->module_path);
	if (o->module_dirs)
		bw_loader_set_path((const char *const *)o->module_dirs);
	if (o->data_dir)
		bw_config_set_data_dir_override(o->data_dir);
	bw_config *cfg = bw_config_load(o->check ? o->check : d.config_path, bw_loader_path(), &err);
	if (!cfg) {
		fprintf(stderr, "bulwarkd: %s\n", err->message);
		g_error_free(err);
		return EXIT_CONFIG;
	}
	if (o->check) {
		printf("%s: configuration OK (%u modules)\n", o->check, bw_config_n_modules(cfg));
		rc = 0;
	} else {
		if (!o->level)
			bw_log_setup(bw_config_log_level(cfg));
		rc = run(cfg);
	}
	bw_config_unref(cfg);
	return rc;
}

int main(int argc, char **argv)
{
	options o = { 0 };

	setlocale(LC_ALL, "");
	int rc = parse_options(&o, &argc, &argv);
	if (rc < 0)
		rc = setup_and_run(&o);
	options_free(&o);
	g_free(d.backup_dir);
	g_free(d.config_path);
	return rc;
}
