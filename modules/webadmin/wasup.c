/* lighttpd as a supervised child: started in the foreground (-D) on the
 * management context, restarted with backoff (1 s doubling to 30 s; back
 * to 1 s after a minute of uptime) whenever it exits, stopped with SIGTERM
 * (SIGKILL after 3 s) on module stop. The child gets SIGTERM if bulwarkd
 * dies, so no orphan keeps the ports. On tls.certificate.changed the
 * certificate files are rewritten and lighttpd restarted at once (a
 * graceful SIGINT, not a failure): lighttpd reads certificates only at
 * start, and the listening sockets are bulwarkd's, so connections made
 * in between wait in the backlog instead of being refused. */
#include "webadmin.h"
#include <bulwark/bus.h>
#include <bulwark/metrics.h>
#include <bulwark/thread.h>
#include <errno.h>
#include <gio/gio.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define STABLE_US      (60 * G_USEC_PER_SEC)

struct wa_sup {
	char *bin, *conf;
	int fds[2];
	guint nfds;
	GPid pid;
	GSource *watch, *timer;
	guint backoff_ms;
	gint64 started;
	bw_metric *restarts;
	char *dir;              /* of the configuration and certificate files */
	bw_sub *cert_sub;       /* tls.certificate.changed */
	gboolean restart_now;   /* the exit is ours: start again at once */
};

/* Its own process group: a Ctrl-C on bulwarkd's terminal reaches only
 * bulwarkd, which then stops lighttpd in order (instead of seeing it die
 * and restarting it while shutting down). */
static void sup_child_setup(gpointer data)
{
	(void)data;
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean sup_spawn(wa_sup *s, GError **err);

static gboolean sup_retry(gpointer data)
{
	wa_sup *s = data;
	g_source_unref(s->timer);
	s->timer = NULL;
	GError *err = NULL;
	if (!sup_spawn(s, &err)) {
		g_warning("webadmin: lighttpd did not start again: %s", err->message);
		g_error_free(err);
		s->backoff_ms = MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
		s->timer = g_timeout_source_new(s->backoff_ms);
		g_source_set_callback(s->timer, sup_retry, s, NULL);
		g_source_attach(s->timer, bw_mgmt_context());
	}
	return G_SOURCE_REMOVE;
}

static void sup_exited(GPid pid, gint status, gpointer data)
{
	wa_sup *s = data;
	g_spawn_close_pid(pid);
	g_source_unref(s->watch);
	s->watch = NULL;
	s->pid = 0;
	if (s->restart_now) {
		s->restart_now = FALSE;
		s->timer = g_timeout_source_new(0);
		g_source_set_callback(s->timer, sup_retry, s, NULL);
		g_source_attach(s->timer, bw_mgmt_context());
		return;
	}
	if (g_get_monotonic_time() - s->started > STABLE_US)
		s->backoff_ms = BACKOFF_MIN_MS;
	g_warning("webadmin: lighttpd (pid %d) exited (%s %d); restarting in %u ms",
		  (int)pid, WIFSIGNALED(status) ? "signal" : "status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), s->backoff_ms);
	bw_metric_add(s->restarts, 1);
	bw_event *ev = bw_event_new("webadmin.lighttpd.exited");
	bw_event_addf(ev, "pid", "%d", (int)pid);
	bw_event_addf(ev, "status", "%d", status);
	bw_event_publish(ev);
	s->timer = g_timeout_source_new(s->backoff_ms);
	g_source_set_callback(s->timer, sup_retry, s, NULL);
	g_source_attach(s->timer, bw_mgmt_context());
	s->backoff_ms = MIN(s->backoff_ms * 2, BACKOFF_MAX_MS);
}

static gboolean sup_spawn(wa_sup *s, GError **err)
{
	/* LISTEN_PID must be lighttpd's own pid: the shell's $$ survives exec */
	char *script = g_strdup_printf("LISTEN_PID=$$ LISTEN_FDS=%u exec \"$0\" -D -f \"$1\"",
				       s->nfds);
	char *argv[] = { "/bin/sh", "-c", script, s->bin, s->conf, NULL };
	int targets[2] = { 3, 4 };
	gboolean ok = g_spawn_async_with_pipes_and_fds(NULL, (const char *const *)argv, NULL,
			G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
			sup_child_setup, NULL, -1, -1, -1, s->fds, targets, s->nfds,
			&s->pid, NULL, NULL, NULL, err);
	g_free(script);
	if (!ok) {
		g_prefix_error(err, "webadmin: cannot run %s: ", s->bin);
		return FALSE;
	}
	s->started = g_get_monotonic_time();
	s->watch = g_child_watch_source_new(s->pid);
	g_source_set_callback(s->watch, (GSourceFunc)(void (*)(void))sup_exited, s, NULL);
	g_source_attach(s->watch, bw_mgmt_context());
	g_message("webadmin: lighttpd started (pid %d, %s)", (int)s->pid, s->conf);
	return TRUE;
}

void wa_sup_restart(wa_sup *s, const char *why)
{
	if (!s || s->pid <= 0 || s->restart_now)
		return;   /* not running: the pending start reads the new files */
	g_message("webadmin: restarting lighttpd (pid %d): %s", (int)s->pid, why);
	s->restart_now = TRUE;
	kill(s->pid, SIGINT);   /* graceful: answers in flight are finished first */
}

static void sup_cert_changed(const bw_event *ev, void *data)
{
	wa_sup *s = data;
	GError *err = NULL;
	if (!wa_lighttpd_certs(s->dir, &err)) {
		g_warning("webadmin: HTTPS keeps the old certificate: %s", err->message);
		g_error_free(err);
		return;
	}
	char *why = g_strdup_printf("new certificate %s", bw_event_get(ev, "fingerprint"));
	wa_sup_restart(s, why);
	g_free(why);
}

wa_sup *wa_sup_start(const char *lighttpd, const char *conf_path, const int *fds,
		     guint nfds, GError **err)
{
	if (access(lighttpd, X_OK) != 0) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
			    "webadmin: %s is not an executable (install lighttpd and lighttpd-mod-openssl): %s",
			    lighttpd, g_strerror(errno));
		return NULL;
	}
	wa_sup *s = g_new0(wa_sup, 1);
	s->bin = g_strdup(lighttpd);
	s->conf = g_strdup(conf_path);
	s->dir = g_path_get_dirname(conf_path);
	s->cert_sub = bw_bus_subscribe("tls.certificate.changed", bw_mgmt_context(), 8,
				       sup_cert_changed, s);
	s->backoff_ms = BACKOFF_MIN_MS;
	s->restarts = bw_metric_counter("webadmin.lighttpd_restarts",
					"times lighttpd exited and was started again");
	s->nfds = MIN(nfds, G_N_ELEMENTS(s->fds));
	memcpy(s->fds, fds, s->nfds * sizeof *fds);
	/* not now: bulwarkd drops root right after the modules start, and
	 * lighttpd should run as the user it becomes */
	s->timer = g_timeout_source_new(0);
	g_source_set_callback(s->timer, sup_retry, s, NULL);
	g_source_attach(s->timer, bw_mgmt_context());
	return s;
}

static void sup_reap(GPid pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		g_usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void wa_sup_stop(wa_sup *s)
{
	if (!s)
		return;
	bw_bus_unsubscribe(s->cert_sub);
	if (s->timer) {
		g_source_destroy(s->timer);
		g_source_unref(s->timer);
	}
	if (s->watch) {
		g_source_destroy(s->watch);
		g_source_unref(s->watch);
	}
	if (s->pid > 0) {
		sup_reap(s->pid);
		g_spawn_close_pid(s->pid);
	}
	g_free(s->bin);
	g_free(s->conf);
	g_free(s->dir);
	g_free(s);
}
