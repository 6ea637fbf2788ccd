/* core/retmr.c: libre's timers placed through the index keep libre's
 * order (due time, then start order), cancel and restart unlink them, and
 * re_main fires them through our tmr_poll (the index empties). */
#include "callint.h"
#include <re.h>

#define NT 64

typedef struct {
	struct tmr t;
	guint id;
	guint64 seq;                /* start order, for ties */
} tt;

static tt timers[NT];
static guint64 seq;

static void noop(void *arg) { (void)arg; }

static void start(tt *x, uint64_t delay)
{
	x->seq = ++seq;
	tmr_start(&x->t, delay, noop, x);
}

/* The list of this thread is sorted by (due, start order) and holds
 * exactly the running timers. */
static void check_list(void)
{
	struct list *l = tmrl_get();
	guint n = 0, running = 0;
	const tt *prev = NULL;
	for (struct le *le = l->head; le; le = le->next, n++) {
		const tt *x = le->data;
		g_assert_nonnull(x->t.th);
		if (prev) {
			g_assert_cmpuint(prev->t.jfs, <=, x->t.jfs);
			if (prev->t.jfs == x->t.jfs)
				g_assert_cmpuint(prev->seq, <, x->seq);
		}
		prev = x;
	}
	for (guint i = 0; i < NT; i++)
		running += tmr_isrunning(&timers[i].t);
	g_assert_cmpuint(n, ==, running);
	g_assert_cmpuint(bw_retmr_indexed(), ==, running);
}

static void cancel_all(void)
{
	for (guint i = 0; i < NT; i++)
		tmr_cancel(&timers[i].t);
	g_assert_cmpuint(bw_retmr_indexed(), ==, 0);
	g_assert_null(tmrl_get()->head);
}

static void test_order(void)
{
	const uint64_t delays[] = { 30000, 10000, 20000, 10000, 0, 30000, 5000, 0, 500 };
	for (guint i = 0; i < G_N_ELEMENTS(delays); i++)
		start(&timers[i], delays[i]);
	check_list();
	/* a restart moves the timer; a cancel takes it out */
	start(&timers[1], 40000);
	tmr_cancel(&timers[6].t);
	check_list();
	g_assert_true(tmrl_get()->tail->data == &timers[1]);
	cancel_all();
}

static void test_random(void)
{
	GRand *r = g_rand_new_with_seed(4242);
	for (guint op = 0; op < 20000; op++) {
		tt *x = &timers[g_rand_int_range(r, 0, NT)];
		if (g_rand_int_range(r, 0, 4) == 0)
			tmr_cancel(&x->t);
		else    /* few distinct due times: many ties */
			start(x, (uint64_t)g_rand_int_range(r, 0, 8) * 1000);
		if (op % 97 == 0)
			check_list();
	}
	check_list();
	cancel_all();
	g_rand_free(r);
}

/* ---- fired by re_main ---- */
static guint fired[NT], nfired;
static uint64_t last_due;

static void on_fire(void *arg)
{
	tt *x = arg;
	g_assert_cmpuint(x->t.jfs, >=, last_due);
	last_due = x->t.jfs;
	fired[nfired++] = x->id;
	if (x->id == 7) {           /* a handler may restart its own timer */
		x->id = 70;
		tmr_start(&x->t, 100, on_fire, x);
	}
	if (nfired == 10)
		re_cancel();
}

static void test_re_main(void)
{
	for (guint i = 0; i < 9; i++) {
		timers[i].id = i;
		tmr_start(&timers[i].t, (uint64_t)(9 - i) * 3, on_fire, &timers[i]);
	}
	tmr_start(&timers[9].t, 5000, on_fire, &timers[9]);   /* never due */
	tmr_cancel(&timers[9].t);
	g_assert_cmpint(re_main(NULL), ==, 0);
	g_assert_cmpuint(nfired, ==, 10);
	g_assert_cmpuint(fired[0], ==, 8);
	g_assert_cmpuint(fired[9], ==, 70);
	/* libre's own tmr_poll would have unlinked behind the index's back */
	g_assert_cmpuint(bw_retmr_indexed(), ==, 0);
	g_assert_null(tmrl_get()->head);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_assert_cmpint(libre_init(), ==, 0);
	for (guint i = 0; i < NT; i++)
		timers[i].id = i;
	g_test_add_func("/retmr/order", test_order);
	g_test_add_func("/retmr/random", test_random);
	g_test_add_func("/retmr/re-main", test_re_main);
	int rc = g_test_run();
	libre_close();
	return rc;
}
