/* The call engine with the signalling thread running and a channel driver
 * defined here (registered as "sip" for extensions and "testtrunk" for
 * trunks): default routing, hooks, relays both ways, forking, CANCEL,
 * failures, re-offers, a media service, the max-calls bound, events,
 * metrics and call records in cdr.db (surviving a reopen). Every engine
 * call runs on the signalling thread through bw_sig_call_sync; the driver
 * writes what the engine asked of it into a log the test compares. */
#include "businternal.h"
#include "callint.h"
#include "daemon.h"
#include "storedb.h"
#include "testutil.h"
#include <bulwark/bulwark.h>
#include <string.h>

/* ---- the test driver ---- */

typedef struct tleg {
	char name[16];
	bw_channel *ch;
} tleg;

static GString *tlog;
static guint n_out;
static int originate_rc;
static gboolean unreachable;
static const char *unreachable_id;   /* this target only */
static guint last_timeout;
static tleg *last_out;

static void logf_(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_string_append_vprintf(tlog, fmt, ap);
	va_end(ap);
	g_string_append_c(tlog, '\n');
}

static const char *leg_name(bw_channel *ch) { return ((tleg *)bw_channel_driver_data(ch))->name; }

static int drv_originate(const bw_originate *o, bw_channel **out)
{
	g_assert_true(bw_in_sig_thread());
	if (originate_rc)
		return originate_rc;
	tleg *l = g_new0(tleg, 1);
	g_snprintf(l->name, sizeof l->name, "out%u", ++n_out);
	l->ch = bw_channel_new(o->target->kind == BW_PARTY_TRUNK ? "testtrunk" : "sip", l);
	logf_("%s originate target=%s number=%s from=%s sdp=%s", l->name, o->target->id, o->number,
	      o->caller->number, o->sdp ? o->sdp : "-");
	last_out = l;
	last_timeout = o->timeout_s;
	*out = l->ch;
	return 0;
}

static void drv_progress(bw_channel *ch, int code, const char *sdp)
{
	logf_("%s progress %d %s", leg_name(ch), code, sdp ? sdp : "-");
}

static void drv_answer(bw_channel *ch, const char *sdp)
{
	logf_("%s answer %s", leg_name(ch), sdp ? sdp : "-");
}

static void drv_update(bw_channel *ch, const char *sdp)
{
	logf_("%s update %s", leg_name(ch), sdp ? sdp : "-");
}

static void drv_hangup(bw_channel *ch, int code, const char *reason)
{
	tleg *l = bw_channel_driver_data(ch);
	logf_("%s hangup %d %s", l->name, code, reason ? reason : "-");
	if (l == last_out)
		last_out = NULL;
	g_free(l);
}

static gboolean drv_reachable(const bw_party *target)
{
	return !unreachable && g_strcmp0(target->id, unreachable_id) != 0;
}

static const bw_channel_driver sip_drv = { "sip", drv_originate, drv_progress, drv_answer,
					   drv_update, drv_hangup, drv_reachable };
static const bw_channel_driver trunk_drv = { "testtrunk", drv_originate, drv_progress,
					     drv_answer, drv_update, drv_hangup, drv_reachable };

/* ---- running engine calls on the signalling thread ---- */

enum { OP_INCOMING, OP_RINGING, OP_ANSWERED, OP_FAILED, OP_REOFFER, OP_UPDATED, OP_HUNGUP,
       OP_LATE_ANSWER, OP_LATE_PENDING };

typedef struct op {
	int kind;
	tleg *leg;
	int code;
	const char *sdp, *text;
	/* OP_INCOMING */
	bw_party_kind caller_kind;
	const char *caller, *dialed;
	bw_call *call;
	char reason[128];
} op;

static void sig_op(void *data)
{
	op *o = data;
	bw_channel *ch = o->leg ? o->leg->ch : NULL;
	switch (o->kind) {
	case OP_INCOMING: {
		bw_party p = { o->caller_kind, o->caller, o->caller, "Caller Name", NULL, 0 };
		o->call = bw_call_incoming(ch, &p, o->dialed, o->sdp, BW_CALL_NORMAL, &o->code,
					   o->reason, sizeof o->reason);
		break;
	}
	case OP_RINGING: bw_channel_ringing(ch, o->code, o->sdp); break;
	case OP_ANSWERED: bw_channel_answered(ch, o->sdp); break;
	case OP_FAILED: bw_channel_failed(ch, o->code, o->text); break;
	case OP_REOFFER: bw_channel_reoffer(ch, o->sdp); break;
	case OP_UPDATED: bw_channel_updated(ch, o->sdp); break;
	case OP_HUNGUP: bw_channel_hungup(ch, o->text); break;
	case OP_LATE_ANSWER: bw_channel_late_answer(ch, o->sdp); break;
	case OP_LATE_PENDING: o->code = bw_call_late_pending(o->call); break;
	}
}

static void run(op *o) { g_assert_cmpint(bw_sig_call_sync(sig_op, o, 5000), ==, 0); }

static void leg_op(int kind, tleg *leg, int code, const char *sdp, const char *text)
{
	op o = { .kind = kind, .leg = leg, .code = code, .sdp = sdp, .text = text };
	run(&o);
}

typedef struct incoming {
	tleg *in;      /* NULL once the engine freed it */
	bw_call *call;
	int code;
	char reason[128];
} incoming;

static incoming call_from(bw_party_kind kind, const char *caller, const char *dialed,
			  const char *sdp)
{
	tleg *in = g_new0(tleg, 1);
	g_strlcpy(in->name, "in", sizeof in->name);
	in->ch = bw_channel_new(kind == BW_PARTY_TRUNK ? "testtrunk" : "sip", in);
	op o = { .kind = OP_INCOMING, .leg = in, .sdp = sdp, .caller_kind = kind,
		 .caller = caller, .dialed = dialed };
	run(&o);
	incoming r = { in, o.call, o.code, "" };
	g_strlcpy(r.reason, o.reason, sizeof r.reason);
	if (!o.call) {
		g_free(in);   /* refused at once: the engine freed the channel */
		r.in = NULL;
	}
	return r;
}

static void expect_log(const char *want)
{
	g_assert_cmpstr(tlog->str, ==, want);
	g_string_truncate(tlog, 0);
}

/* ---- events ---- */

static GPtrArray *events;   /* bw_event* seen, management thread */
static gint ended;

static void on_event(const bw_event *ev, void *unused)
{
	g_ptr_array_add(events, bw_event_ref((bw_event *)ev));
	if (g_str_equal(bw_event_type(ev), "call.ended"))
		g_atomic_int_inc(&ended);
}

/* Waits for the n-th call.ended since the test began; returns it. */
static const bw_event *wait_ended(gint n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&ended) < n && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(500);
	g_assert_cmpint(g_atomic_int_get(&ended), >=, n);
	gint seen = 0;
	for (guint i = 0; i < events->len; i++)
		if (g_str_equal(bw_event_type(events->pdata[i]), "call.ended") && ++seen == n)
			return events->pdata[i];
	g_assert_not_reached();
}

static gint64 metric_value(const char *name)
{
	bw_metric *m = bw_metric_find(name);
	g_assert_nonnull(m);
	return bw_metric_value(m);
}

/* ---- fixture ---- */

typedef struct {
	char *dir;
	bw_store *store;
	bw_sub *sub;
} fixture;

static void fx_setup(fixture *f, gconstpointer unused)
{
	GError *err = NULL;
	f->dir = bw_test_tmpdir();
	f->store = bw_test_store_open(f->dir);
	bw_test_put(f->store, "ext/100", "{\"name\":\"Alice\",\"sip_user\":\"alice\"}");
	bw_test_put(f->store, "ext/200", "{\"name\":\"Bob\"}");
	bw_test_put(f->store, "trunk/prov", "{\"driver\":\"testtrunk\",\"srtp\":\"off\"}");
	bw_test_put(f->store, "route/out/0", "{\"trunk\":\"prov\",\"strip\":1,\"prepend\":\"+49\"}");
	bw_test_put(f->store, "route/did/4930555", "{\"extension\":\"200\"}");
	g_assert_true(bw_calls_start_at(f->store, f->dir, &err));
	g_assert_no_error(err);
	tlog = g_string_new(NULL);
	n_out = 0;
	originate_rc = 0;
	unreachable = FALSE;
	unreachable_id = NULL;
	events = g_ptr_array_new_with_free_func((GDestroyNotify)bw_event_unref);
	ended = 0;
	f->sub = bw_bus_subscribe("call.*", NULL, 0, on_event, NULL);
}

static void fx_teardown(fixture *f, gconstpointer unused)
{
	bw_calls_stop();
	bw_bus_unsubscribe(f->sub);
	g_ptr_array_unref(events);
	g_string_free(tlog, TRUE);
	bw_store_close(f->store);
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

/* ---- tests ---- */

static void test_ext_to_ext(fixture *f, gconstpointer unused)
{
	gint64 total = metric_value("calls.total");
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", "offerA");
	g_assert_nonnull(c.call);
	expect_log("out1 originate target=200 number=200 from=100 sdp=offerA\n");
	g_assert_cmpint(metric_value("calls.active"), ==, 1);
	g_assert_cmpint(metric_value("calls.total"), ==, total + 1);
	tleg *out = last_out;
	leg_op(OP_RINGING, out, 180, NULL, NULL);
	leg_op(OP_RINGING, out, 183, "early", NULL);
	expect_log("in progress 180 -\nin progress 183 early\n");
	leg_op(OP_ANSWERED, out, 0, "answerB", NULL);
	expect_log("in answer answerB\n");
	/* re-offers both ways: the answer goes back to who offered */
	leg_op(OP_REOFFER, c.in, 0, "hold", NULL);
	leg_op(OP_UPDATED, out, 0, "held", NULL);
	leg_op(OP_REOFFER, out, 0, "resume", NULL);
	leg_op(OP_UPDATED, c.in, 0, "resumed", NULL);
	expect_log("out1 update hold\nin answer held\nin update resume\nout1 answer resumed\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, "BYE");
	g_free(c.in);
	expect_log("out1 hangup 0 caller hung up: BYE\n");
	g_assert_cmpint(metric_value("calls.active"), ==, 0);

	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "caller"), ==, "100");
	g_assert_cmpstr(bw_event_get(ev, "caller_name"), ==, "Caller Name");
	g_assert_cmpstr(bw_event_get(ev, "callee"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "dialed"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "answered");
	g_assert_cmpstr(bw_event_get(ev, "secure"), ==, "no/no");
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "");
	g_assert_cmpuint(strlen(bw_event_get(ev, "call_id")), ==, 32);
	g_assert_cmpstr(bw_event_get(ev, "answer"), !=, "");
	for (guint i = 0; i < BW_CDR_NFIELDS; i++)
		g_assert_nonnull(bw_event_get(ev, bw_cdr_fields[i]));
	/* started, ringing (once), answered, ended: in order */
	GString *types = g_string_new(NULL);
	for (guint i = 0; i < events->len; i++)
		g_string_append_printf(types, "%s ", bw_event_type(events->pdata[i]));
	g_assert_cmpstr(types->str, ==, "call.started call.ringing call.answered call.ended ");
	g_string_free(types, TRUE);

	g_assert_true(bw_cdr_flush(5000));
	GError *err = NULL;
	GPtrArray *rows = bw_cdr_last(5, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(rows->len, ==, 1);
	char **v = rows->pdata[0];
	g_assert_cmpstr(v[0], ==, bw_event_get(ev, "call_id"));
	g_assert_cmpstr(v[11], ==, "answered");
	g_assert_cmpstr(v[8], ==, "200");
	g_ptr_array_unref(rows);
}

static void test_callee_hangs_up(fixture *f, gconstpointer unused)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	tleg *out = last_out;
	leg_op(OP_ANSWERED, out, 0, NULL, NULL);
	leg_op(OP_HUNGUP, out, 0, NULL, "BYE");
	g_free(out);
	expect_log("out1 originate target=200 number=200 from=100 sdp=-\nin answer -\n"
		   "in hangup 0 callee hung up: BYE\n");
	g_assert_cmpstr(bw_event_get(wait_ended(1), "disposition"), ==, "answered");
	(void)c;
}

/* The driver forks; the engine takes the first answer and ends nothing. */
static void test_first_answer_wins(fixture *f, gconstpointer unused)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", "o");
	tleg *out = last_out;
	leg_op(OP_ANSWERED, out, 0, "first", NULL);
	leg_op(OP_ANSWERED, out, 0, "second", NULL);
	leg_op(OP_RINGING, out, 180, NULL, NULL);
	expect_log("out1 originate target=200 number=200 from=100 sdp=o\nin answer first\n");
	g_assert_cmpuint(bw_calls_active(), ==, 1);
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	expect_log("out1 hangup 0 caller hung up\n");
}

static void test_cancel(fixture *f, gconstpointer unused)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	leg_op(OP_RINGING, last_out, 180, NULL, NULL);
	leg_op(OP_HUNGUP, c.in, 0, NULL, "CANCEL");
	g_free(c.in);
	expect_log("out1 originate target=200 number=200 from=100 sdp=-\nin progress 180 -\n"
		   "out1 hangup 487 caller hung up: CANCEL\n");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "cancelled");
	g_assert_cmpstr(bw_event_get(ev, "answer"), ==, "");
	g_assert_cmpstr(bw_event_get(ev, "billsec"), ==, "0");
}

static void fail_with(int code, const char *reason, const char *want_log, const char *disp,
		      gint n)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	tleg *out = last_out;
	g_string_truncate(tlog, 0);
	leg_op(OP_FAILED, out, code, NULL, reason);
	g_free(out);
	expect_log(want_log);
	g_assert_cmpstr(bw_event_get(wait_ended(n), "disposition"), ==, disp);
	(void)c;
}

static void test_failed_relayed(fixture *f, gconstpointer unused)
{
	fail_with(486, "Busy Here", "in hangup 486 486 Busy Here\n", "busy", 1);
	fail_with(480, "no answer", "in hangup 480 480 no answer\n", "no-answer", 2);
	fail_with(42, "nonsense", "in hangup 500 500 nonsense\n", "failed", 3);
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
}

static void test_default_routes(fixture *f, gconstpointer unused)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "0301234", "o");
	g_assert_nonnull(c.call);
	expect_log("out1 originate target=prov number=+49301234 from=100 sdp=o\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "prov");
	g_assert_cmpstr(bw_event_get(ev, "callee"), ==, "+49301234");
	g_string_truncate(tlog, 0);

	c = call_from(BW_PARTY_TRUNK, "prov", "4930555", NULL);   /* DID */
	expect_log("out2 originate target=200 number=200 from=prov sdp=-\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	g_assert_cmpstr(bw_event_get(wait_ended(2), "trunk"), ==, "prov");
	g_string_truncate(tlog, 0);

	c = call_from(BW_PARTY_EXTENSION, "100", "555", NULL);    /* unknown */
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 404);
	c = call_from(BW_PARTY_TRUNK, "prov", "200", NULL);       /* not a DID */
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 404);
	expect_log("");
	g_assert_cmpstr(bw_event_get(wait_ended(4), "disposition"), ==, "failed");
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
}

static void test_unreachable_and_originate_error(fixture *f, gconstpointer unused)
{
	unreachable = TRUE;
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 480);
	unreachable = FALSE;
	originate_rc = EIO;
	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 503);
	expect_log("");
	wait_ended(2);
}

static bw_hook_result deny_hook(void *args, bw_verdict *v, void *ud)
{
	return bw_verdict_deny(v, 403, "%s", "outside office hours");
}

static bw_hook_result route_hook(void *args, bw_verdict *v, void *ud)
{
	bw_call_attempt *a = args;
	if (!g_str_equal(a->dialed, "999"))
		return BW_HOOK_CONTINUE;
	a->target.kind = BW_PARTY_EXTENSION;
	a->target.id = "200";
	a->account_code = "acct7";
	g_strlcpy(a->note, "redirected by test", sizeof a->note);
	return BW_HOOK_STOP;
}

static void test_hooks(fixture *f, gconstpointer unused)
{
	bw_hook *h = bw_hook_add("call.authorize", 0, "test", deny_hook, NULL);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	bw_hook_remove(h);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 403);
	g_assert_cmpstr(c.reason, ==, "outside office hours");
	expect_log("");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "denied");
	g_assert_cmpstr(bw_event_get(ev, "cause"), ==, "outside office hours");

	h = bw_hook_add("call.route", 0, "test", route_hook, NULL);
	c = call_from(BW_PARTY_EXTENSION, "100", "999", NULL);
	bw_hook_remove(h);
	g_assert_nonnull(c.call);
	expect_log("out1 originate target=200 number=200 from=100 sdp=-\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	ev = wait_ended(2);
	g_assert_cmpstr(bw_event_get(ev, "note"), ==, "redirected by test");
	g_assert_cmpstr(bw_event_get(ev, "account_code"), ==, "acct7");
	g_assert_cmpstr(bw_event_get(ev, "dialed"), ==, "999");
}

/* ---- forwards ---- */

/* Stores a record and waits until the directory has it. */
static void reput(fixture *f, const char *key, const char *json)
{
	guint gen = bw_directory_generation();
	bw_test_put(f->store, key, json);
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (bw_directory_generation() == gen && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(500);
	g_assert_cmpuint(bw_directory_generation(), !=, gen);
}

static GString *attempts;   /* what call.authorize saw, one line each */

static bw_hook_result seen_hook(void *args, bw_verdict *v, void *ud)
{
	const bw_call_attempt *a = args;
	g_string_append_printf(attempts, "%s type=%d dialed=%s by=%s\n", a->caller.id, a->type,
			       a->dialed, a->forwarded_by ? a->forwarded_by : "-");
	if (ud && a->type == BW_CALL_FORWARD)
		return bw_verdict_deny(v, 403, "%s", "forward barred");
	return BW_HOOK_CONTINUE;
}

static gboolean has_event(const char *type)
{
	for (guint i = 0; i < events->len; i++)
		if (g_str_equal(bw_event_type(events->pdata[i]), type))
			return TRUE;
	return FALSE;
}

static void test_forward_always(fixture *f, gconstpointer unused)
{
	reput(f, "ext/200", "{\"name\":\"Bob\",\"forward_always\":\"0301234\"}");
	attempts = g_string_new(NULL);
	bw_hook *h = bw_hook_add("call.authorize", 0, "test", seen_hook, NULL);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", "offerA");
	g_assert_nonnull(c.call);
	expect_log("out1 originate target=prov number=+49301234 from=100 sdp=offerA\n");
	g_assert_cmpstr(attempts->str, ==, "100 type=0 dialed=200 by=-\n"
					   "100 type=1 dialed=0301234 by=200\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "forwarded_by"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "dialed"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "callee"), ==, "+49301234");
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "prov");
	g_assert_cmpstr(bw_event_get(ev, "note"), ==, "forwarded by 200 (always) to 0301234");
	g_assert_true(has_event("call.forwarded"));

	/* from a trunk: the forward dials out for 200, as a forward */
	g_string_truncate(attempts, 0);
	g_string_truncate(tlog, 0);
	c = call_from(BW_PARTY_TRUNK, "prov", "4930555", NULL);
	g_assert_nonnull(c.call);
	expect_log("out2 originate target=prov number=+49301234 from=prov sdp=-\n");
	g_assert_cmpstr(attempts->str, ==, "prov type=0 dialed=4930555 by=-\n"
					   "prov type=1 dialed=0301234 by=200\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	g_assert_cmpstr(bw_event_get(wait_ended(2), "forwarded_by"), ==, "200");
	bw_hook_remove(h);
	g_string_free(attempts, TRUE);
}

static void test_forward_busy(fixture *f, gconstpointer unused)
{
	reput(f, "ext/300", "{\"name\":\"Carol\"}");
	reput(f, "ext/200", "{\"name\":\"Bob\",\"forward_busy\":\"300\"}");
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", "o");
	g_assert_cmpuint(last_timeout, ==, BW_CALL_NO_ANSWER_S);
	tleg *out = last_out;
	leg_op(OP_FAILED, out, 486, NULL, "Busy Here");
	g_free(out);
	/* the caller's leg stays: no hangup, the forward rings */
	expect_log("out1 originate target=200 number=200 from=100 sdp=o\n"
		   "out2 originate target=300 number=300 from=100 sdp=o\n");
	leg_op(OP_ANSWERED, last_out, 0, "ans", NULL);
	expect_log("in answer ans\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "answered");
	g_assert_cmpstr(bw_event_get(ev, "callee"), ==, "300");
	g_assert_cmpstr(bw_event_get(ev, "forwarded_by"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "note"), ==, "forwarded by 200 (busy) to 300");

	/* no answer is not busy: that failure is relayed */
	g_string_truncate(tlog, 0);
	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	out = last_out;
	leg_op(OP_FAILED, out, 480, NULL, "no answer");
	g_free(out);
	expect_log("out3 originate target=200 number=200 from=100 sdp=-\n"
		   "in hangup 480 480 no answer\n");
	g_assert_cmpstr(bw_event_get(wait_ended(2), "forwarded_by"), ==, "");
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
}

static void test_forward_noanswer(fixture *f, gconstpointer unused)
{
	reput(f, "ext/300", "{\"name\":\"Carol\"}");
	reput(f, "ext/200", "{\"forward_noanswer\":\"300\",\"forward_noanswer_s\":7}");
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	/* the driver rings for the forward's time, then fails the leg (480) */
	g_assert_cmpuint(last_timeout, ==, 7);
	tleg *out = last_out;
	leg_op(OP_RINGING, out, 180, NULL, NULL);
	leg_op(OP_FAILED, out, 480, NULL, "no answer");
	g_free(out);
	expect_log("out1 originate target=200 number=200 from=100 sdp=-\n"
		   "in progress 180 -\n"
		   "out2 originate target=300 number=300 from=100 sdp=-\n");
	g_assert_cmpuint(last_timeout, ==, BW_CALL_NO_ANSWER_S);
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "note"), ==, "forwarded by 200 (no answer) to 300");
	g_string_truncate(tlog, 0);

	/* not reachable at all: forwarded at once */
	unreachable_id = "200";
	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_nonnull(c.call);
	expect_log("out3 originate target=300 number=300 from=100 sdp=-\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	g_assert_cmpstr(bw_event_get(wait_ended(2), "forwarded_by"), ==, "200");
}

static void test_forward_loop(fixture *f, gconstpointer unused)
{
	reput(f, "ext/300", "{\"forward_always\":\"200\"}");
	reput(f, "ext/200", "{\"forward_always\":\"300\"}");
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 482);
	g_assert_nonnull(strstr(c.reason, "more than 3 forwards"));
	expect_log("");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "failed");
	g_assert_cmpstr(bw_event_get(ev, "forwarded_by"), ==, "200");
	g_assert_cmpstr(bw_event_get(ev, "note"), ==,
			"forwarded by 200 (always) to 300; forwarded by 300 (always) to 200; "
			"forwarded by 200 (always) to 300");
	guint n = 0;
	for (guint i = 0; i < events->len; i++)
		n += g_str_equal(bw_event_type(events->pdata[i]), "call.forwarded");
	g_assert_cmpuint(n, ==, BW_CALL_FORWARD_HOPS);
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
}

static void test_forward_denied(fixture *f, gconstpointer unused)
{
	reput(f, "ext/200", "{\"forward_always\":\"0301234\",\"forward_busy\":\"0309\"}");
	attempts = g_string_new(NULL);
	bw_hook *h = bw_hook_add("call.authorize", 0, "test", seen_hook, GINT_TO_POINTER(1));
	incoming c = call_from(BW_PARTY_TRUNK, "prov", "4930555", NULL);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 403);
	g_assert_cmpstr(c.reason, ==, "forward barred");
	expect_log("");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "denied");
	g_assert_cmpstr(bw_event_get(ev, "forwarded_by"), ==, "200");

	/* on busy: the caller gets the forward's refusal */
	reput(f, "ext/200", "{\"forward_busy\":\"0309\"}");
	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	tleg *out = last_out;
	g_string_truncate(tlog, 0);
	leg_op(OP_FAILED, out, 486, NULL, "Busy Here");
	g_free(out);
	expect_log("in hangup 403 forward barred\n");
	g_assert_cmpstr(bw_event_get(wait_ended(2), "disposition"), ==, "denied");
	bw_hook_remove(h);
	g_string_free(attempts, TRUE);
	(void)c;
}

static void test_forward_records(void)
{
	GError *err = NULL;
	const char *ok = "{\"forward_always\":\"0049301\",\"forward_noanswer_s\":120}";
	bw_extension *e = bw_dir_parse_ext("200", ok, strlen(ok), &err);
	g_assert_no_error(err);
	g_assert_cmpstr(e->forward_always, ==, "0049301");
	g_assert_null(e->forward_busy);
	g_assert_cmpuint(e->forward_noanswer_s, ==, 120);
	bw_extension *copy = bw_extension_copy(e);
	g_assert_cmpstr(copy->forward_always, ==, "0049301");
	bw_extension_free(copy);
	bw_extension_free(e);
	static const char *const bad[][2] = {
		{ "{\"forward_busy\":\"12a\"}", "forward_busy" },
		{ "{\"forward_noanswer\":3}", "forward_noanswer" },
		{ "{\"forward_always\":\"200\"}", "itself" },
		{ "{\"forward_noanswer_s\":4}", "from 5 to 120" },
		{ "{\"forward_noanswer_s\":121}", "from 5 to 120" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_null(bw_dir_parse_ext("200", bad[i][0], strlen(bad[i][0]), &err));
		g_assert_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID);
		g_assert_nonnull(strstr(err->message, bad[i][1]));
		g_clear_error(&err);
	}
	e = bw_dir_parse_ext("200", "{}", 2, &err);
	g_assert_cmpuint(e->forward_noanswer_s, ==, BW_EXT_FORWARD_NOANSWER_S);
	bw_extension_free(e);
}

/* ---- a media service that marks what crossed it ---- */

static gint media_released;

static char *media_offer(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			 char *reason, gsize len)
{
	if (g_str_equal(sdp, "refuse")) {
		g_strlcpy(reason, "no common codec", len);
		return NULL;
	}
	return g_strdup_printf("M(%s)", sdp);
}

static char *media_answer(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			  char *reason, gsize len)
{
	return g_strdup_printf("A(%s)", sdp);
}

static void media_release(bw_call *call) { media_released++; }

static const bw_media_v1 media = { media_offer, media_answer, media_release };
static int media_owner;

static void test_media(fixture *f, gconstpointer unused)
{
	bw_module *owner = (bw_module *)&media_owner;
	g_assert_cmpint(bw_service_provide(owner, "media", 1, &media), ==, 0);
	media_released = 0;
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", "o");
	tleg *out = last_out;
	leg_op(OP_RINGING, out, 183, "e", NULL);
	leg_op(OP_ANSWERED, out, 0, "a", NULL);
	leg_op(OP_REOFFER, out, 0, "r", NULL);
	leg_op(OP_UPDATED, c.in, 0, "u", NULL);
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	expect_log("out1 originate target=200 number=200 from=100 sdp=M(o)\n"
		   "in progress 183 A(e)\nin answer A(a)\nin update M(r)\nout1 answer A(u)\n"
		   "out1 hangup 0 caller hung up\n");
	g_assert_cmpint(media_released, ==, 1);
	c = call_from(BW_PARTY_EXTENSION, "100", "200", "refuse");
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 488);
	g_assert_cmpstr(c.reason, ==, "media refused: no common codec");
	expect_log("");
	bw_service_withdraw_owner(owner);
	wait_ended(2);
}

/* ---- the delayed offer: a media service of version 2 ---- */

static char *late_originate(bw_call *call, bw_channel *from, char *reason, gsize len)
{
	return g_strdup("O");
}

/* The callee's answer becomes "L(...)", the offer to the caller; the
 * caller's answer ("ack...") completes the stream (""), "bad" is refused. */
static char *late_answer(bw_call *call, bw_channel *from, bw_channel *to, const char *sdp,
			 char *reason, gsize len)
{
	if (g_str_equal(sdp, "bad")) {
		g_strlcpy(reason, "no common codec", len);
		return NULL;
	}
	return g_str_has_prefix(sdp, "ack") ? g_strdup("") : g_strdup_printf("L(%s)", sdp);
}

static const bw_media_v2 media2 = { { media_offer, late_answer, media_release },
				    late_originate };

static void late_provide(bw_module *owner)
{
	g_assert_cmpint(bw_service_provide(owner, "media", 2, &media2), ==, 0);
	g_assert_cmpint(bw_service_provide(owner, "media", 1, &media2.v1), ==, 0);
}

/* the engine warns (call.c has no log domain) on what ends a call */
static void expect_warning(const char *pattern)
{
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, pattern);
}

static gboolean late_pending(bw_call *call)
{
	op o = { .kind = OP_LATE_PENDING, .call = call };
	run(&o);
	return o.code;
}

/* The types of the call events so far: a marker published after what the
 * engine published is delivered after it (one subscriber's queue is FIFO). */
static char *event_types(void)
{
	static guint markers;
	guint seen = 0;
	bw_event_emit("call.marker", NULL);
	markers++;
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (seen < markers && g_get_monotonic_time() < end) {
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(500);
		seen = 0;
		for (guint i = 0; i < events->len; i++)
			seen += g_str_equal(bw_event_type(events->pdata[i]), "call.marker");
	}
	g_assert_cmpuint(seen, ==, markers);
	GString *types = g_string_new(NULL);
	for (guint i = 0; i < events->len; i++)
		if (!g_str_equal(bw_event_type(events->pdata[i]), "call.marker"))
			g_string_append_printf(types, "%s ", bw_event_type(events->pdata[i]));
	return g_string_free(types, FALSE);
}

/* Not answered before the caller's answer came: no answer time, no
 * call.answered, nothing billed, whatever ends the window. */
static void assert_late_failed(const bw_event *ev, const char *cause)
{
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "failed");
	g_assert_cmpstr(bw_event_get(ev, "answer"), ==, "");
	g_assert_cmpstr(bw_event_get(ev, "billsec"), ==, "0");
	g_assert_nonnull(strstr(bw_event_get(ev, "cause"), cause));
	for (guint i = 0; i < events->len; i++)
		g_assert_cmpstr(bw_event_type(events->pdata[i]), !=, "call.answered");
}

static void test_late_offer(fixture *f, gconstpointer unused)
{
	bw_module *owner = (bw_module *)&media_owner;
	late_provide(owner);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	tleg *out = last_out;
	leg_op(OP_RINGING, out, 183, "early", NULL);
	leg_op(OP_ANSWERED, out, 0, "a", NULL);
	expect_log("out1 originate target=200 number=200 from=100 sdp=O\n"
		   "in progress 183 -\nin answer L(a)\n");
	/* the window: a re-offer is the driver's to refuse (491), never relayed */
	g_assert_true(late_pending(c.call));
	expect_warning("*re-offer before the answer ignored*");
	leg_op(OP_REOFFER, out, 0, "r", NULL);
	g_test_assert_expected_messages();
	expect_log("");
	g_autofree char *before = event_types();
	g_assert_cmpstr(before, ==, "call.started call.ringing ");
	leg_op(OP_LATE_ANSWER, c.in, 0, "ack1", NULL);
	g_assert_false(late_pending(c.call));
	g_autofree char *after = event_types();
	g_assert_cmpstr(after, ==, "call.started call.ringing call.answered ");
	leg_op(OP_REOFFER, out, 0, "r", NULL);
	expect_log("in update M(r)\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	expect_log("out1 hangup 0 caller hung up\n");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "answered");
	g_assert_cmpstr(bw_event_get(ev, "answer"), !=, "");
	bw_service_withdraw_owner(owner);
}

/* An ACK without SDP, an unusable answer, a hang-up in the window, a
 * callee's 200 without SDP. */
/* (the driver frees a leg in its hangup: legs the engine ended are gone) */
static void test_late_failures(fixture *f, gconstpointer unused)
{
	bw_module *owner = (bw_module *)&media_owner;
	late_provide(owner);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	leg_op(OP_ANSWERED, last_out, 0, "a", NULL);
	g_string_truncate(tlog, 0);
	expect_warning("*the caller's ACK carried no SDP answer; ending the call*");
	leg_op(OP_LATE_ANSWER, c.in, 0, NULL, NULL);
	g_test_assert_expected_messages();
	expect_log("in hangup 0 delayed offer: the caller's ACK carried no SDP answer\n"
		   "out1 hangup 0 delayed offer: the caller's ACK carried no SDP answer\n");
	assert_late_failed(wait_ended(1), "no SDP answer");

	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	leg_op(OP_ANSWERED, last_out, 0, "a", NULL);
	expect_warning("*unusable: no common codec; ending the call*");
	leg_op(OP_LATE_ANSWER, c.in, 0, "bad", NULL);
	g_test_assert_expected_messages();
	assert_late_failed(wait_ended(2), "unusable: no common codec");

	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	tleg *out = last_out;
	leg_op(OP_ANSWERED, out, 0, "a", NULL);
	g_string_truncate(tlog, 0);
	leg_op(OP_HUNGUP, out, 0, NULL, "BYE");
	g_free(out);
	expect_log("in hangup 0 callee hung up: BYE\n");
	assert_late_failed(wait_ended(3), "callee hung up");

	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	expect_warning("*the callee answered our offer without SDP; ending the call*");
	leg_op(OP_ANSWERED, last_out, 0, NULL, NULL);
	g_test_assert_expected_messages();
	assert_late_failed(wait_ended(4), "answered our offer without SDP");
	bw_service_withdraw_owner(owner);
}

/* No ACK at all: the engine's own bound ends both legs. */
static void test_late_window(fixture *f, gconstpointer unused)
{
	bw_module *owner = (bw_module *)&media_owner;
	late_provide(owner);
	bw_call_set_late_window(100);
	expect_warning("*no ACK with the caller's answer within 100 ms of our 200; ending*");
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_nonnull(c.call);
	leg_op(OP_ANSWERED, last_out, 0, "a", NULL);
	const bw_event *ev = wait_ended(1);
	g_test_assert_expected_messages();
	bw_call_set_late_window(0);
	assert_late_failed(ev, "no ACK with the caller's answer within 100 ms");
	g_assert_nonnull(strstr(tlog->str, "in hangup 0 delayed offer: no ACK"));
	g_assert_nonnull(strstr(tlog->str, "out1 hangup 0 delayed offer: no ACK"));
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
	bw_service_withdraw_owner(owner);
}

/* The media service left (or came back as version 1 only) between the
 * originate and the callee's 200: the callee's SDP, its address and keys,
 * never reaches the caller; both legs end. */
static void test_late_media_gone(fixture *f, gconstpointer unused)
{
	bw_module *owner = (bw_module *)&media_owner;
	late_provide(owner);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_nonnull(c.call);
	tleg *out = last_out;
	bw_service_withdraw_owner(owner);
	g_assert_cmpint(bw_service_provide(owner, "media", 1, &media), ==, 0);
	expect_warning("*the media service is gone, nothing can offer to the caller; ending*");
	leg_op(OP_ANSWERED, out, 0, "callee-sdp", NULL);
	g_test_assert_expected_messages();
	/* the caller got no 200 yet: its final answer is 488 */
	expect_log("out1 originate target=200 number=200 from=100 sdp=O\n"
		   "in hangup 488 delayed offer: the media service is gone, nothing can offer "
		   "to the caller\n"
		   "out1 hangup 488 delayed offer: the media service is gone, nothing can offer to "
		   "the caller\n");
	assert_late_failed(wait_ended(1), "media service is gone");
	bw_service_withdraw_owner(owner);
	/* and with none at all: not passed through either */
	late_provide(owner);
	c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	g_assert_nonnull(c.call);
	out = last_out;
	bw_service_withdraw_owner(owner);
	expect_warning("*the media service is gone, nothing can offer to the caller; ending*");
	leg_op(OP_ANSWERED, out, 0, "callee-sdp", NULL);
	g_test_assert_expected_messages();
	g_assert_null(strstr(tlog->str, "callee-sdp"));
	assert_late_failed(wait_ended(2), "media service is gone");
}

static void test_max_calls(fixture *f, gconstpointer unused)
{
	bw_call_set_max(2);
	incoming a = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	incoming b = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	bw_call_set_max(0);
	g_assert_nonnull(a.call);
	g_assert_nonnull(b.call);
	g_assert_null(c.call);
	g_assert_cmpint(c.code, ==, 503);
	g_assert_cmpstr(c.reason, ==, "too many calls");
	g_assert_cmpint(metric_value("calls.active"), ==, 2);
	leg_op(OP_HUNGUP, a.in, 0, NULL, NULL);
	leg_op(OP_HUNGUP, b.in, 0, NULL, NULL);
	g_free(a.in);
	g_free(b.in);
	g_assert_cmpint(metric_value("calls.active"), ==, 0);
}

/* Calls still up at stop are ended, recorded, and the records are on
 * disk for the next start. */
static void test_records_survive(fixture *f, gconstpointer unused)
{
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
	leg_op(OP_ANSWERED, last_out, 0, NULL, NULL);
	g_string_truncate(tlog, 0);
	bw_calls_stop();
	expect_log("in hangup 0 shutdown\nout1 hangup 0 shutdown\n");
	(void)c;
	GError *err = NULL;
	g_assert_true(bw_calls_start_at(f->store, f->dir, &err));
	GPtrArray *rows = bw_cdr_last(10, &err);
	g_assert_no_error(err);
	g_assert_cmpuint(rows->len, ==, 1);
	g_assert_cmpstr(((char **)rows->pdata[0])[11], ==, "answered");
	g_assert_cmpstr(((char **)rows->pdata[0])[12], ==, "shutdown");
	g_ptr_array_unref(rows);
	/* retention: a prune far in the future removes it */
	g_assert_cmpint(bw_cdr_prune(g_get_real_time() + (gint64)400 * 86400 * G_USEC_PER_SEC,
				     &err), ==, 1);
	rows = bw_cdr_last(10, &err);
	g_assert_cmpuint(rows->len, ==, 0);
	g_ptr_array_unref(rows);
}

/* Without cdr.db (or with a full queue) a record is counted and logged,
 * never waited for. */
static void test_record_dropped(void)
{
	const char *v[BW_CDR_NFIELDS] = { "x" };
	guint64 before = bw_cdr_dropped();
	g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "call records: cdr.db not open*lost*");
	g_assert_false(bw_cdr_submit(v));
	g_test_assert_expected_messages();
	g_assert_cmpuint(bw_cdr_dropped(), ==, before + 1);
}

static void test_ids_unique(fixture *f, gconstpointer unused)
{
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (int i = 0; i < 50; i++) {
		incoming c = call_from(BW_PARTY_EXTENSION, "100", "200", NULL);
		const char *id = bw_call_id(c.call);   /* the call lives until the hang-up */
		g_assert_cmpuint(strspn(id, "0123456789abcdef"), ==, 32);
		g_assert_true(g_hash_table_add(ids, g_strdup(id)));
		leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
		g_free(c.in);
	}
	g_hash_table_unref(ids);
}

/* ---- trunk fallback ---- */

static GString *routes_seen;   /* tried_trunks as each call.route saw them */

/* ARS-like: the first trunk of ud (NULL-terminated) not tried yet. */
static bw_hook_result fallback_hook(void *args, bw_verdict *v, void *ud)
{
	bw_call_attempt *a = args;
	const char *const *trunks = ud;
	char *tried = a->tried_trunks ? g_strjoinv(",", (char **)a->tried_trunks) : NULL;
	g_string_append_printf(routes_seen, "tried=%s\n", tried ? tried : "-");
	g_free(tried);
	for (guint i = 0; trunks[i]; i++) {
		gboolean seen = FALSE;
		for (guint j = 0; a->tried_trunks && a->tried_trunks[j]; j++)
			seen = seen || g_str_equal(a->tried_trunks[j], trunks[i]);
		if (!seen) {
			a->target.kind = BW_PARTY_TRUNK;
			a->target.id = trunks[i];
			g_strlcpy(a->note, "ars test", sizeof a->note);
			return BW_HOOK_STOP;
		}
	}
	return BW_HOOK_CONTINUE;
}

static bw_hook_result stubborn_hook(void *args, bw_verdict *v, void *ud)
{
	bw_call_attempt *a = args;
	a->target.kind = BW_PARTY_TRUNK;
	a->target.id = ((const char *const *)ud)[0];
	return BW_HOOK_STOP;
}

static void trunks_add(fixture *f, guint n)
{
	for (guint i = 2; i <= n; i++) {
		char key[32];
		g_snprintf(key, sizeof key, "trunk/prov%u", i);
		reput(f, key, "{\"driver\":\"testtrunk\"}");
	}
	routes_seen = g_string_new(NULL);
}

static void fail_leg(tleg *out, int code, const char *reason)
{
	leg_op(OP_FAILED, out, code, NULL, reason);
	g_free(out);   /* failed legs are the driver's to free */
}

/* The first trunk is busy: the caller keeps ringing and the second
 * trunk answers; a trunk unreachable at once is skipped the same way. */
static void test_trunk_fallback(fixture *f, gconstpointer unused)
{
	static const char *const trunks[] = { "prov", "prov2", "prov3", NULL };
	trunks_add(f, 3);
	bw_hook *h = bw_hook_add("call.route", 0, "test", fallback_hook, (void *)trunks);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "0301234", "o");
	g_assert_nonnull(c.call);
	leg_op(OP_RINGING, last_out, 180, NULL, NULL);
	fail_leg(last_out, 486, "Busy Here");
	tleg *out2 = last_out;
	leg_op(OP_ANSWERED, out2, 0, "a2", NULL);
	expect_log("out1 originate target=prov number=0301234 from=100 sdp=o\n"
		   "in progress 180 -\n"
		   "out2 originate target=prov2 number=0301234 from=100 sdp=o\n"
		   "in answer a2\n");
	g_assert_cmpstr(routes_seen->str, ==, "tried=-\ntried=prov\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "answered");
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "prov2");
	g_assert_cmpstr(bw_event_get(ev, "note"), ==, "ars test; trunk prov failed (486)");

	/* unreachable at once (480), then a 503 from prov2: prov3 rings */
	g_string_truncate(tlog, 0);
	g_string_truncate(routes_seen, 0);
	unreachable_id = "prov";
	c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	g_assert_nonnull(c.call);
	fail_leg(last_out, 503, "Service Unavailable");
	expect_log("out3 originate target=prov2 number=0301234 from=100 sdp=-\n"
		   "out4 originate target=prov3 number=0301234 from=100 sdp=-\n");
	g_assert_cmpstr(routes_seen->str, ==, "tried=-\ntried=prov\ntried=prov,prov2\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	expect_log("out4 hangup 487 caller hung up\n");
	bw_hook_remove(h);

	/* an ARS candidate that is not provisioned is skipped too */
	static const char *const unknown[] = { "nosuch", "prov2", NULL };
	unreachable_id = NULL;
	h = bw_hook_add("call.route", 0, "test", fallback_hook, (void *)unknown);
	c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	bw_hook_remove(h);
	g_assert_nonnull(c.call);
	expect_log("out5 originate target=prov2 number=0301234 from=100 sdp=-\n");
	leg_op(OP_HUNGUP, c.in, 0, NULL, NULL);
	g_free(c.in);
	g_assert_nonnull(strstr(bw_event_get(wait_ended(3), "note"), "trunk nosuch failed (503)"));
	g_string_free(routes_seen, TRUE);
}

/* Every trunk busy: at most BW_CALL_ROUTE_ATTEMPTS routes, then the
 * caller gets the last failure; a "do not try elsewhere" code ends at once. */
static void test_trunk_fallback_limit(fixture *f, gconstpointer unused)
{
	static const char *const trunks[] = { "prov", "prov2", "prov3", "prov4", "prov5", NULL };
	trunks_add(f, 5);
	bw_hook *h = bw_hook_add("call.route", 0, "test", fallback_hook, (void *)trunks);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	for (guint i = 0; i < BW_CALL_ROUTE_ATTEMPTS; i++)
		fail_leg(last_out, 486, "Busy Here");
	g_assert_cmpuint(n_out, ==, BW_CALL_ROUTE_ATTEMPTS);
	g_assert_cmpstr(routes_seen->str, ==, "tried=-\ntried=prov\ntried=prov,prov2\n"
			"tried=prov,prov2,prov3\n");
	const bw_event *ev = wait_ended(1);
	g_assert_cmpstr(bw_event_get(ev, "disposition"), ==, "busy");
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "prov4");
	g_assert_nonnull(strstr(tlog->str, "in hangup 486 486 Busy Here\n"));

	g_string_truncate(routes_seen, 0);
	c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	fail_leg(last_out, 404, "Not Found");
	g_assert_cmpstr(routes_seen->str, ==, "tried=-\n");
	g_assert_cmpstr(bw_event_get(wait_ended(2), "disposition"), ==, "failed");
	(void)c;
	bw_hook_remove(h);
	g_string_free(routes_seen, TRUE);
}

/* When no hook routes again, the engine's default routing applies,
 * without the trunks already tried. */
static void test_trunk_fallback_default(fixture *f, gconstpointer unused)
{
	static const char *const trunks[] = { "prov2", NULL };
	trunks_add(f, 2);
	bw_hook *h = bw_hook_add("call.route", 0, "test", fallback_hook, (void *)trunks);
	incoming c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	fail_leg(last_out, 500, "Server Error");
	expect_log("out1 originate target=prov2 number=0301234 from=100 sdp=-\n"
		   "out2 originate target=prov number=+49301234 from=100 sdp=-\n");
	fail_leg(last_out, 408, "Request Timeout");   /* default: prov tried, none left */
	expect_log("in hangup 408 408 Request Timeout\n");
	g_assert_cmpstr(routes_seen->str, ==, "tried=-\ntried=prov2\ntried=prov2,prov\n");
	g_assert_cmpstr(bw_event_get(wait_ended(1), "note"), ==,
			"ars test; trunk prov2 failed (500); trunk prov failed (408)");
	(void)c;   /* the engine ended the caller's leg: the driver freed it */
	bw_hook_remove(h);

	/* a hook that ignores tried_trunks cannot ring a failed trunk again */
	static const char *const stubborn[] = { "prov", NULL };
	h = bw_hook_add("call.route", 0, "test", stubborn_hook, (void *)stubborn);
	c = call_from(BW_PARTY_EXTENSION, "100", "0301234", NULL);
	g_assert_nonnull(c.call);
	fail_leg(last_out, 486, "Busy Here");
	bw_hook_remove(h);
	expect_log("out3 originate target=prov number=0301234 from=100 sdp=-\n"
		   "in hangup 486 486 Busy Here\n");
	g_assert_cmpstr(bw_event_get(wait_ended(2), "disposition"), ==, "busy");
	g_string_free(routes_seen, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	GError *err = NULL;
	g_assert_true(bw_threads_start(&err));
	g_assert_cmpint(bw_channel_driver_register(&sip_drv), ==, 0);
	g_assert_cmpint(bw_channel_driver_register(&trunk_drv), ==, 0);
	g_assert_cmpint(bw_channel_driver_register(&sip_drv), ==, EEXIST);
#define ADD(name, fn) g_test_add("/call/" name, fixture, NULL, fx_setup, fn, fx_teardown)
	ADD("ext-to-ext", test_ext_to_ext);
	ADD("callee-hangs-up", test_callee_hangs_up);
	ADD("first-answer-wins", test_first_answer_wins);
	ADD("cancel", test_cancel);
	ADD("failed-relayed", test_failed_relayed);
	ADD("default-routes", test_default_routes);
	ADD("unreachable", test_unreachable_and_originate_error);
	ADD("hooks", test_hooks);
	ADD("media", test_media);
	ADD("late-offer", test_late_offer);
	ADD("late-failures", test_late_failures);
	ADD("late-window", test_late_window);
	ADD("late-media-gone", test_late_media_gone);
	ADD("max-calls", test_max_calls);
	ADD("records-survive", test_records_survive);
	ADD("ids", test_ids_unique);
	ADD("forward-always", test_forward_always);
	ADD("forward-busy", test_forward_busy);
	ADD("forward-noanswer", test_forward_noanswer);
	ADD("forward-loop", test_forward_loop);
	ADD("forward-denied", test_forward_denied);
	ADD("trunk-fallback", test_trunk_fallback);
	ADD("trunk-fallback-limit", test_trunk_fallback_limit);
	ADD("trunk-fallback-default", test_trunk_fallback_default);
	g_test_add_func("/call/forward-records", test_forward_records);
	g_test_add_func("/call/record-dropped", test_record_dropped);
	int rc = g_test_run();
	bw_channel_driver_unregister("sip");
	bw_channel_driver_unregister("testtrunk");
	bw_threads_stop();
	return rc;
}
