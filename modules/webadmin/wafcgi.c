/* The FastCGI responder: a bounded number of worker threads blocked in
 * FCGX_Accept_r on a Unix socket only lighttpd (same user, 0600) reaches.
 * A worker parses the request (wareq.c), reads at most 1 MiB of body,
 * queues it for the management thread (bw_mgmt_call), waits on a GCond
 * for the answer and writes it. Handlers never run on a worker, so they
 * never touch call or module state from a foreign thread.
 * Shutdown (DESIGN pitfall): FCGX_ShutdownPending + shutdown(fd) wakes the
 * workers; jobs still queued are answered 503. */
#include "webadmin.h"
#include <bulwark/thread.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcgios.h>
#include <gio/gio.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct wa_job {
	wa_req *req;
	wa_defer *defer;      /* second half of a deferred answer */
	wa_resp *resp;
	gboolean done;
} wa_job;

struct wa_fcgi {
	int fd;
	char *path;
	GPtrArray *threads;
	GMutex lock;
	GCond cond;
	GQueue jobs;          /* wa_job*, waiting for the management thread */
	gboolean stopping;
	gint calls;           /* bw_mgmt_call callbacks not yet run */
};

static void fcgi_run_one(void *data)
{
	wa_fcgi *f = data;
	g_mutex_lock(&f->lock);
	wa_job *j = g_queue_pop_head(&f->jobs);
	g_mutex_unlock(&f->lock);
	if (j) {
		wa_resp *resp = j->defer ? j->defer->finish(j->defer->data) : wa_api_handle(j->req);
		g_mutex_lock(&f->lock);
		j->resp = resp;
		j->done = TRUE;
		g_cond_broadcast(&f->cond);
		g_mutex_unlock(&f->lock);
	}
	g_atomic_int_dec_and_test(&f->calls);
}

/* The management thread's answer, or NULL when shutting down. */
static wa_resp *fcgi_dispatch(wa_fcgi *f, wa_req *req, wa_defer *defer)
{
	wa_job j = { .req = req, .defer = defer };
	g_mutex_lock(&f->lock);
	if (f->stopping) {
		g_mutex_unlock(&f->lock);
		return NULL;
	}
	g_queue_push_tail(&f->jobs, &j);
	g_atomic_int_inc(&f->calls);
	if (bw_mgmt_call(fcgi_run_one, f) != 0) {
		g_queue_remove(&f->jobs, &j);
		g_atomic_int_dec_and_test(&f->calls);
		g_mutex_unlock(&f->lock);
		return NULL;
	}
	while (!j.done && !f->stopping)
		g_cond_wait(&f->cond, &f->lock);
	if (!j.done)
		g_queue_remove(&f->jobs, &j);
	g_mutex_unlock(&f->lock);
	return j.resp;
}

static GBytes *fcgi_body(FCGX_Request *rq, gboolean *too_large)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	guint64 n = cl && *cl ? g_ascii_strtoull(cl, NULL, 10) : 0;
	*too_large = n > WA_BODY_MAX;
	if (n == 0 || *too_large)
		return NULL;
	char *buf = g_malloc(n);
	int got = FCGX_GetStr(buf, (int)n, rq->in);
	return g_bytes_new_take(buf, got > 0 ? (gsize)got : 0);
}

static void fcgi_write(FCGX_Request *rq, const wa_resp *r)
{
	FCGX_FPrintF(rq->out, "Status: %u %s\r\nContent-Type: application/json\r\n",
		     r->status, wa_status_text(r->status));
	for (guint i = 0; i < r->headers->len; i++)
		FCGX_FPrintF(rq->out, "%s\r\n", (const char *)r->headers->pdata[i]);
	FCGX_FPrintF(rq->out, "\r\n");
	if (r->body)
		FCGX_PutStr(r->body, (int)strlen(r->body), rq->out);
}

static void fcgi_serve(wa_fcgi *f, FCGX_Request *rq)
{
	gboolean too_large = FALSE;
	wa_req *req = wa_req_from_env((const char *const *)rq->envp);
	req->body = fcgi_body(rq, &too_large);
	wa_resp *resp = too_large ? wa_resp_error1(413, NULL, "the body is larger than 1 MiB")
				  : fcgi_dispatch(f, req, NULL);
	if (resp && resp->defer) {
		/* the slow part here, off the management thread */
		wa_defer *d = resp->defer;
		resp->defer = NULL;
		wa_resp_free(resp);
		d->work(d->data);
		resp = fcgi_dispatch(f, NULL, d);
		wa_defer_free(d);
	}
	if (!resp)
		resp = wa_resp_error1(503, NULL, "the web administration is shutting down");
	fcgi_write(rq, resp);
	wa_resp_free(resp);
	wa_req_free(req);
}

static gpointer fcgi_worker(gpointer data)
{
	wa_fcgi *f = data;
	FCGX_Request rq;
	if (FCGX_InitRequest(&rq, f->fd, 0) != 0)
		return NULL;
	while (!g_atomic_int_get(&f->stopping) && FCGX_Accept_r(&rq) >= 0) {
		fcgi_serve(f, &rq);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return NULL;
}

static int fcgi_open(const char *path, GError **err)
{
	if (unlink(path) != 0 && errno != ENOENT) {
		int e = errno;
		g_set_error(err, G_IO_ERROR, g_io_error_from_errno(e),
			    "webadmin: cannot remove the stale socket %s: %s", path, g_strerror(e));
		return -1;
	}
	mode_t old = umask(0077);
	int fd = FCGX_OpenSocket(path, 64);
	umask(old);
	if (fd < 0)
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "webadmin: cannot listen on the FastCGI socket %s", path);
	return fd;
}

wa_fcgi *wa_fcgi_start(const char *sock_path, guint workers, GError **err)
{
	FCGX_Init();                /* idempotent; undone by OS_LibShutdown in stop */
	signal(SIGPIPE, SIG_IGN);   /* lighttpd may hang up mid-answer */
	int fd = fcgi_open(sock_path, err);
	if (fd < 0)
		return NULL;
	wa_fcgi *f = g_new0(wa_fcgi, 1);
	f->fd = fd;
	f->path = g_strdup(sock_path);
	g_mutex_init(&f->lock);
	g_cond_init(&f->cond);
	g_queue_init(&f->jobs);
	f->threads = g_ptr_array_new();
	for (guint i = 0; i < MAX(1, MIN(workers, WA_WORKERS_MAX)); i++) {
		GThread *t = g_thread_try_new("webadmin-fcgi", fcgi_worker, f, err);
		if (!t) {
			wa_fcgi_stop(f);
			return NULL;
		}
		g_ptr_array_add(f->threads, t);
	}
	return f;
}

void wa_fcgi_stop(wa_fcgi *f)
{
	if (!f)
		return;
	g_mutex_lock(&f->lock);
	g_atomic_int_set(&f->stopping, TRUE);
	g_cond_broadcast(&f->cond);
	g_mutex_unlock(&f->lock);
	FCGX_ShutdownPending();
	shutdown(f->fd, SHUT_RDWR);
	for (guint i = 0; i < f->threads->len; i++)
		g_thread_join(f->threads->pdata[i]);
	/* Callbacks already queued hold f: let them run (they find no job). */
	for (int i = 0; i < 100000 && g_atomic_int_get(&f->calls) > 0; i++)
		if (!g_main_context_iteration(bw_mgmt_context(), FALSE))
			g_usleep(1000);
	close(f->fd);
	unlink(f->path);
	g_ptr_array_unref(f->threads);
	g_mutex_clear(&f->lock);
	g_cond_clear(&f->cond);
	g_free(f->path);
	g_free(f);
	OS_LibShutdown();   /* libfcgi's own table, else leaked at unload */
}
