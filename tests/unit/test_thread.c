/* The two loops: calls cross to the right thread, in order, never inline,
 * and are refused once the loops have stopped. */
#include "daemon.h"
#include "testutil.h"
#include <bulwark/thread.h>
#include <errno.h>

static void set_flag(void *data) { g_atomic_int_set((gint *)data, 1); }

typedef struct {
	gint done;
	gint on_sig;
	gint count;
	GMutex lock;
	GArray *order;
} probe;

static void on_sig(void *data)
{
	probe *p = data;
	g_atomic_int_set(&p->on_sig, bw_in_sig_thread() && !bw_in_mgmt_thread());
	g_atomic_int_set(&p->done, 1);
}

static void sig_append(void *data)
{
	probe *p = data;
	g_mutex_lock(&p->lock);
	int v = p->count++;
	g_array_append_val(p->order, v);
	g_mutex_unlock(&p->lock);
}

static void back_to_mgmt(void *data)
{
	probe *p = data;
	g_atomic_int_set(&p->on_sig, bw_in_mgmt_thread());
	g_atomic_int_set(&p->done, 1);
}

static void sig_then_mgmt(void *data)
{
	g_assert_cmpint(bw_mgmt_call(back_to_mgmt, data), ==, 0);
}

static void test_sig_call(void)
{
	probe p = { 0 };
	g_assert_true(bw_in_mgmt_thread());
	g_assert_cmpint(bw_sig_call(on_sig, &p), ==, 0);
	g_assert_true(bw_test_wait(NULL, &p.done, 5000));
	g_assert_true(p.on_sig);
}

static void test_sig_order(void)
{
	probe p = { 0 };
	p.order = g_array_new(FALSE, FALSE, sizeof(int));
	for (int i = 0; i < 1000; i++)
		g_assert_cmpint(bw_sig_call(sig_append, &p), ==, 0);
	g_assert_cmpint(bw_sig_call(on_sig, &p), ==, 0);
	g_assert_true(bw_test_wait(NULL, &p.done, 5000));
	g_assert_cmpuint(p.order->len, ==, 1000);
	for (guint i = 0; i < p.order->len; i++)
		g_assert_cmpint(g_array_index(p.order, int, i), ==, (int)i);
	g_array_free(p.order, TRUE);
}

static void test_round_trip(void)
{
	probe p = { 0 };
	g_assert_cmpint(bw_sig_call(sig_then_mgmt, &p), ==, 0);
	g_assert_true(bw_test_wait(NULL, &p.done, 5000));
	g_assert_true(p.on_sig);
}

static void test_mgmt_not_inline(void)
{
	gint flag = 0;
	g_assert_cmpint(bw_mgmt_call(set_flag, &flag), ==, 0);
	g_assert_cmpint(flag, ==, 0);
	g_assert_true(bw_test_wait(NULL, &flag, 5000));
}

static void sig_mark(void *data)
{
	probe *p = data;
	p->on_sig = bw_in_sig_thread();
	p->done = 1;
}

static void test_sig_sync(void)
{
	probe p = { 0 };
	g_assert_cmpint(bw_sig_call_sync(sig_mark, &p, 5000), ==, 0);
	/* no waiting needed: it ran before the call returned */
	g_assert_cmpint(p.done, ==, 1);
	g_assert_true(p.on_sig);
}

static void sig_block(void *data)
{
	gint *release = data;
	while (!g_atomic_int_get(release))
		g_usleep(1000);
}

static void test_sig_sync_timeout(void)
{
	static gint release;
	static probe p;
	g_assert_cmpint(bw_sig_call(sig_block, &release), ==, 0);
	g_assert_cmpint(bw_sig_call_sync(sig_mark, &p, 50), ==, ETIMEDOUT);
	g_atomic_int_set(&release, 1);
	/* the abandoned call is skipped, not run late */
	gint flag = 0;
	g_assert_cmpint(bw_sig_call_sync(set_flag, &flag, 5000), ==, 0);
	g_assert_cmpint(p.done, ==, 0);
}

static void test_bad_args(void)
{
	g_assert_cmpint(bw_sig_call(NULL, NULL), ==, EINVAL);
	g_assert_cmpint(bw_sig_call_sync(NULL, NULL, 10), ==, EINVAL);
	g_assert_cmpint(bw_mgmt_call(NULL, NULL), ==, EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	GError *err = NULL;
	if (!bw_threads_start(&err))
		g_error("%s", err->message);
	g_test_add_func("/thread/sig-call", test_sig_call);
	g_test_add_func("/thread/sig-order", test_sig_order);
	g_test_add_func("/thread/round-trip", test_round_trip);
	g_test_add_func("/thread/mgmt-not-inline", test_mgmt_not_inline);
	g_test_add_func("/thread/sig-sync", test_sig_sync);
	g_test_add_func("/thread/sig-sync-timeout", test_sig_sync_timeout);
	g_test_add_func("/thread/bad-args", test_bad_args);
	int rc = g_test_run();
	bw_threads_stop();
	gint flag = 0;
	g_assert_cmpint(bw_sig_call(set_flag, &flag), ==, ESHUTDOWN);
	g_assert_cmpint(bw_mgmt_call(set_flag, &flag), ==, ESHUTDOWN);
	return rc;
}
