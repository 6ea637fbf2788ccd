/* The management loop (GLib's default context, on the thread that started
 * the daemon) and the signalling loop (libre's re_main on a thread of its
 * own, since re_main owns its poll loop and cannot run inside GLib).
 * Crossing into the signalling thread goes through a libre mqueue, which
 * wakes re_main; crossing out goes through an idle source on the default
 * context. Neither runs the function inline, so callers never re-enter. */
#include "daemon.h"
#include <bulwark/thread.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <re.h>

enum { SIG_MSG_CALL = 1, SIG_MSG_QUIT = 2 };

typedef struct {
	bw_call_fn fn;
	void *user_data;
} bw_call;

static GThread *mgmt_thread;
static GThread *sig_thread;
static struct mqueue *sig_queue;   /* owned by the signalling thread */
static gint sig_running;           /* accepting bw_sig_call */
static GRWLock sig_queue_lock;     /* callers read, teardown writes */
static gint mgmt_running = 1;

static GMutex start_lock;
static GCond start_cond;
static int start_result = -1;      /* -1 pending, 0 ok, errno */

GMainContext *bw_mgmt_context(void) { return g_main_context_default(); }

gboolean bw_in_mgmt_thread(void)
{
	return mgmt_thread ? g_thread_self() == mgmt_thread
			   : g_main_context_is_owner(g_main_context_default());
}

gboolean bw_in_sig_thread(void) { return sig_thread && g_thread_self() == sig_thread; }

static gboolean mgmt_dispatch(gpointer data)
{
	bw_call *c = data;
	c->fn(c->user_data);
	return G_SOURCE_REMOVE;
}

int bw_mgmt_call(bw_call_fn fn, void *user_data)
{
	if (!fn)
		return EINVAL;
	if (!g_atomic_int_get(&mgmt_running))
		return ESHUTDOWN;
	bw_call *c = g_new(bw_call, 1);
	c->fn = fn;
	c->user_data = user_data;
	GSource *src = g_idle_source_new();
	g_source_set_priority(src, G_PRIORITY_DEFAULT);
	g_source_set_callback(src, mgmt_dispatch, c, g_free);
	g_source_attach(src, bw_mgmt_context());
	g_source_unref(src);
	return 0;
}

static void sig_handler(int id, void *data, void *arg)
{
	(void)arg;
	if (id == SIG_MSG_QUIT) {
		re_cancel();
		return;
	}
	bw_call *c = data;
	c->fn(c->user_data);
	g_free(c);
}

int bw_sig_call(bw_call_fn fn, void *user_data)
{
	if (!fn)
		return EINVAL;
	bw_call *c = g_new(bw_call, 1);
	c->fn = fn;
	c->user_data = user_data;
	int err = ESHUTDOWN;
	g_rw_lock_reader_lock(&sig_queue_lock);
	if (g_atomic_int_get(&sig_running))
		err = mqueue_push(sig_queue, SIG_MSG_CALL, c);
	g_rw_lock_reader_unlock(&sig_queue_lock);
	if (err)
		g_free(c);
	return err;
}

typedef struct {
	bw_call_fn fn;
	void *user_data;
	GMutex lock;
	GCond cond;
	gboolean done, abandoned;
} sync_call;

static void sync_call_free(sync_call *sc)
{
	g_mutex_clear(&sc->lock);
	g_cond_clear(&sc->cond);
	g_free(sc);
}

static void sync_run(void *data)
{
	sync_call *sc = data;
	g_mutex_lock(&sc->lock);
	gboolean abandoned = sc->abandoned;
	g_mutex_unlock(&sc->lock);
	if (!abandoned)
		sc->fn(sc->user_data);
	g_mutex_lock(&sc->lock);
	sc->done = TRUE;
	abandoned = sc->abandoned;
	g_cond_signal(&sc->cond);
	g_mutex_unlock(&sc->lock);
	if (abandoned)
		sync_call_free(sc);
}

int bw_sig_call_sync(bw_call_fn fn, void *user_data, guint timeout_ms)
{
	if (!fn)
		return EINVAL;
	if (bw_in_sig_thread()) {
		fn(user_data);
		return 0;
	}
	sync_call *sc = g_new0(sync_call, 1);
	sc->fn = fn;
	sc->user_data = user_data;
	g_mutex_init(&sc->lock);
	g_cond_init(&sc->cond);
	int err = bw_sig_call(sync_run, sc);
	if (err) {
		sync_call_free(sc);
		return err;
	}
	gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	g_mutex_lock(&sc->lock);
	while (!sc->done)
		if (!g_cond_wait_until(&sc->cond, &sc->lock, end))
			break;
	gboolean done = sc->done;
	/* On timeout the signalling thread frees it (and skips fn if not begun). */
	sc->abandoned = !done;
	g_mutex_unlock(&sc->lock);
	if (done)
		sync_call_free(sc);
	return done ? 0 : ETIMEDOUT;
}

static void sig_started(int result)
{
	g_mutex_lock(&start_lock);
	start_result = result;
	g_cond_signal(&start_cond);
	g_mutex_unlock(&start_lock);
}

static gpointer sig_main(gpointer unused)
{
	(void)unused;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);   /* signals belong to the management loop */

	int err = re_thread_init();
	if (!err)
		err = mqueue_alloc(&sig_queue, sig_handler, NULL);
	if (err) {
		sig_started(err);
		re_thread_close();
		return NULL;
	}
	g_atomic_int_set(&sig_running, 1);
	sig_started(0);
	err = re_main(NULL);
	if (err)
		g_warning("signalling loop ended: %s", g_strerror(err));
	g_rw_lock_writer_lock(&sig_queue_lock);
	g_atomic_int_set(&sig_running, 0);
	g_rw_lock_writer_unlock(&sig_queue_lock);
	/* Calls queued after the quit message are dropped with the queue. */
	sig_queue = mem_deref(sig_queue);
	re_thread_close();
	return NULL;
}

gboolean bw_threads_start(GError **err)
{
	mgmt_thread = g_thread_self();
	g_atomic_int_set(&mgmt_running, 1);
	int rc = libre_init();
	if (rc) {
		g_set_error(err, g_quark_from_static_string("bw-thread-error"), rc,
			    "cannot initialise libre: %s", g_strerror(rc));
		return FALSE;
	}
	start_result = -1;
	sig_thread = g_thread_new("signalling", sig_main, NULL);
	g_mutex_lock(&start_lock);
	while (start_result < 0)
		g_cond_wait(&start_cond, &start_lock);
	rc = start_result;
	g_mutex_unlock(&start_lock);
	if (rc) {
		g_thread_join(sig_thread);
		sig_thread = NULL;
		libre_close();
		g_set_error(err, g_quark_from_static_string("bw-thread-error"), rc,
			    "cannot start the signalling thread: %s", g_strerror(rc));
		return FALSE;
	}
	return TRUE;
}

void bw_threads_stop(void)
{
	g_atomic_int_set(&mgmt_running, 0);
	if (!sig_thread)
		return;
	g_rw_lock_reader_lock(&sig_queue_lock);
	if (g_atomic_int_get(&sig_running))
		mqueue_push(sig_queue, SIG_MSG_QUIT, NULL);
	g_rw_lock_reader_unlock(&sig_queue_lock);
	g_thread_join(sig_thread);
	sig_thread = NULL;
	libre_close();
}
