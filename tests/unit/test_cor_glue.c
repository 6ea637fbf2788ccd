/* The cor module's glue with the signalling thread running, a real store
 * and the call engine's directory: the attempt -> request mapping
 * (account codes, caller groups, internal/external), the hooks run through
 * bw_hook_run with a real bw_call_attempt (verdicts, reasons, notes,
 * events, ARS targets, trunks down, attendant redirect, emergency in night
 * service, the fraud guard released by call.ended), the store watch
 * (recompile; a bad record keeps the rules) and one call through
 * bw_call_incoming with a test channel driver. */
#include "callint.h"
#include "corglue.h"
#include "daemon.h"
#include "storedb.h"
#include "testutil.h"
#include <string.h>

/* ---- a channel driver that records what it is asked to ring ---- */

static char originated[128];

static int drv_originate(const bw_originate *o, bw_channel **out)
{
	g_snprintf(originated, sizeof originated, "%s %s", o->target->id, o->number);
	*out = bw_channel_new(o->target->kind == BW_PARTY_TRUNK ? "testtrunk" : "sip", NULL);
	return 0;
}
static void drv_progress(bw_channel *ch, int code, const char *sdp) {}
static void drv_answer(bw_channel *ch, const char *sdp) {}
static void drv_update(bw_channel *ch, const char *sdp) {}
static void drv_hangup(bw_channel *ch, int code, const char *reason) {}
static const bw_channel_driver sip_drv = { "sip", drv_originate, drv_progress, drv_answer,
					   drv_update, drv_hangup, NULL };
static const bw_channel_driver trunk_drv = { "testtrunk", drv_originate, drv_progress,
					     drv_answer, drv_update, drv_hangup, NULL };

/* ---- events ---- */

static GPtrArray *events;

static void on_event(const bw_event *ev, void *unused)
{
	g_ptr_array_add(events, bw_event_ref((bw_event *) ev));
}

static void drain(void)
{
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* The n-th event of type since the test began, after waiting for it. */
static const bw_event *event_nth(const char *type, guint n)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	do {
		drain();
		guint seen = 0;
		for (guint i = 0; i < events->len; i++)
			if (g_str_equal(bw_event_type(events->pdata[i]), type) && ++seen == n)
				return events->pdata[i];
		g_usleep(1000);
	} while (g_get_monotonic_time() < end);
	return NULL;
}

static guint event_count(const char *type)
{
	drain();
	guint n = 0;
	for (guint i = 0; i < events->len; i++)
		n += g_str_equal(bw_event_type(events->pdata[i]), type);
	return n;
}

/* ---- fixture ---- */

typedef struct {
	char *dir;
	bw_store *store;
	cor_glue *g;
	bw_sub *sub;
} fixture;

static const char *const records[][2] = {
	{ "ext/100", "{\"name\":\"Alice\"}" },
	{ "ext/200", "{\"name\":\"Attendant\"}" },
	{ "trunk/carrier", "{\"driver\":\"testtrunk\",\"srtp\":\"off\"}" },
	{ "trunk/backup", "{\"driver\":\"testtrunk\",\"srtp\":\"off\"}" },
	{ "cor/group/1", "{\"name\":\"office\",\"default\":\"deny\",\"rules\":["
	  "{\"pattern\":\"0Z.\",\"action\":\"allow\",\"name\":\"national\"},"
	  "{\"pattern\":\"00.\",\"action\":\"deny\",\"name\":\"international\"}]}" },
	{ "cor/group/2", "{\"name\":\"night\",\"rules\":[{\"pattern\":\"!\",\"action\":\"deny\","
	  "\"name\":\"closed\"}]}" },
	{ "cor/group/3", "{\"name\":\"front\",\"on_deny\":\"attendant\",\"attendant\":\"200\","
	  "\"rules\":[{\"pattern\":\"0900.\",\"action\":\"deny\",\"name\":\"premium\"}],"
	  "\"default\":\"allow\"}" },
	{ "cor/group/4", "{\"name\":\"open\",\"default\":\"allow\"}" },
	{ "cor/ext/100", "{\"cor\":{\"day\":1,\"night1\":2},\"cos\":0}" },
	{ "cor/ext/101", "{\"cor\":4}" },
	{ "cor/ext/102", "{\"cor\":3}" },
	{ "cor/account/4711", "{\"verified\":true,\"cor\":4,\"pin_hash\":\"sha256:1000:"
	  "00112233445566778899aabbccddeeff:"
	  "3a96acdb4ea696006945eecdaa45a63dd1514caeb6e816b4f1cbd364dac031fd\"}" },
	{ "cor/ars/default", "{\"routes\":[{\"pattern\":\"0Z.\",\"trunks\":[\"carrier\",\"backup\"]}]}" },
};

static void fx_setup(fixture *f, gconstpointer unused)
{
	GError *err = NULL;
	f->dir = bw_test_tmpdir();
	f->store = bw_test_store_open(f->dir);
	for (guint i = 0; i < G_N_ELEMENTS(records); i++)
		bw_test_put(f->store, records[i][0], records[i][1]);
	g_assert_true(bw_calls_start_at(f->store, f->dir, &err));
	g_assert_no_error(err);
	events = g_ptr_array_new_with_free_func((GDestroyNotify) bw_event_unref);
	f->sub = bw_bus_subscribe("*", NULL, 0, on_event, NULL);
	cor_glue_conf c = { 0 };
	g_assert_true(cor_glue_conf_read(NULL, &c, &err));
	g_free(c.trunk_prefix);
	c.trunk_prefix = g_strdup("0");
	c.account_prefix = g_strdup("*88");
	c.max_concurrent = 2;
	c.zone = g_strdup("Europe/Berlin");
	f->g = cor_glue_new(&c);
	g_assert_true(cor_glue_start(f->g, f->store, &err));
	g_assert_no_error(err);
	originated[0] = 0;
}

static void fx_teardown(fixture *f, gconstpointer unused)
{
	cor_glue_free(f->g);
	bw_bus_unsubscribe(f->sub);
	g_ptr_array_unref(events);
	bw_calls_stop();
	bw_store_close(f->store);
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

/* ---- running the hooks on the signalling thread ---- */

typedef struct run {
	bw_call_attempt a;
	bw_verdict v;
	bw_hook_result auth, route;
	cor_glue *g;
	cor_request r;
	gboolean mapped;
} run;

static void hooks_on_sig(void *data)
{
	run *x = data;
	x->auth = bw_hook_run("call.authorize", &x->a, &x->v);
	x->route = x->auth == BW_HOOK_DENY ? BW_HOOK_DENY : bw_hook_run("call.route", &x->a, &x->v);
}

static void request_on_sig(void *data)
{
	run *x = data;
	x->mapped = cor_glue_request(x->g, x->g->sig, &x->a, &x->r);
}

static run *attempt(bw_party_kind kind, const char *caller, const char *group,
		    const char *dialed, const char *call_id)
{
	run *x = g_new0(run, 1);
	x->a.call_id = call_id;
	x->a.caller = (bw_party){ kind, caller, caller, NULL, group, BW_SRTP_MANDATORY };
	x->a.dialed = dialed;
	return x;
}

static run *call(const char *caller, const char *dialed, const char *call_id)
{
	run *x = attempt(BW_PARTY_EXTENSION, caller, NULL, dialed, call_id);
	g_assert_cmpint(bw_sig_call_sync(hooks_on_sig, x, 5000), ==, 0);
	return x;
}

static void nothing(void *unused) {}

static void sync_sig(void)
{
	drain();
	g_assert_cmpint(bw_sig_call_sync(nothing, NULL, 5000), ==, 0);
}

static void set_override(fixture *f, cor_override o)
{
	g_atomic_int_set(&f->g->override, (gint) o);
}

/* ---- tests ---- */

static void test_request(fixture *f, gconstpointer unused)
{
	run *x = attempt(BW_PARTY_EXTENSION, "100", "7", "*884711*1234*000441234", "c1");
	x->g = f->g;
	g_assert_cmpint(bw_sig_call_sync(request_on_sig, x, 5000), ==, 0);
	g_assert_true(x->mapped);
	g_assert_cmpstr(x->a.account_code, ==, "4711");
	g_assert_cmpstr(x->a.account_pin, ==, "1234");
	g_assert_cmpstr(x->a.dialed, ==, "000441234");
	g_assert_cmpstr(x->r.dialed, ==, "000441234");
	g_assert_cmpstr(x->r.pin, ==, "1234");
	g_assert_cmpuint(x->r.caller_group, ==, 7);
	g_assert_cmpint(x->r.caller_kind, ==, COR_KIND_EXTENSION);
	g_assert_cmpint(x->r.target_kind, ==, COR_KIND_TRUNK);
	g_free(x);

	x = attempt(BW_PARTY_EXTENSION, "100", "staff", "*889000*0301", NULL);
	x->g = f->g;
	g_assert_cmpint(bw_sig_call_sync(request_on_sig, x, 5000), ==, 0);
	g_assert_true(x->mapped);
	g_assert_cmpstr(x->a.account_code, ==, "9000");
	g_assert_null(x->a.account_pin);
	g_assert_cmpstr(x->a.dialed, ==, "0301");
	g_assert_cmpuint(x->r.caller_group, ==, 0);   /* not a number: the cor/ record's */
	g_free(x);

	x = attempt(BW_PARTY_EXTENSION, "100", NULL, "200", NULL);
	x->g = f->g;
	g_assert_cmpint(bw_sig_call_sync(request_on_sig, x, 5000), ==, 0);
	g_assert_cmpint(x->r.target_kind, ==, COR_KIND_EXTENSION);
	g_assert_cmpstr(x->r.target, ==, "200");
	g_free(x);

	x = attempt(BW_PARTY_TRUNK, "carrier", NULL, "4930555", NULL);
	x->g = f->g;
	g_assert_cmpint(bw_sig_call_sync(request_on_sig, x, 5000), ==, 0);
	g_assert_cmpint(x->r.caller_kind, ==, COR_KIND_TRUNK);
	g_assert_cmpint(x->r.target_kind, ==, COR_KIND_EXTENSION);   /* inbound */
	g_free(x);

	const char *bad[] = { "*88abc*0301", "*884711", "*884711*12*34*0301", "*88*0301" };
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		x = attempt(BW_PARTY_EXTENSION, "100", NULL, bad[i], NULL);
		x->g = f->g;
		g_assert_cmpint(bw_sig_call_sync(request_on_sig, x, 5000), ==, 0);
		g_assert_false(x->mapped);
		g_free(x);
	}
}

static void test_deny(fixture *f, gconstpointer unused)
{
	run *x = call("100", "000441234", "c1");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_assert_cmpint(x->v.code, ==, 403);
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: barred by international");
	g_assert_cmpstr(x->v.by, ==, "cor");
	g_assert_cmpstr(x->a.note, ==, "cor deny: international period=day cor=1");
	const bw_event *ev = event_nth("cor.denied", 1);
	g_assert_nonnull(ev);
	g_assert_cmpstr(bw_event_get(ev, "extension"), ==, "100");
	g_assert_cmpstr(bw_event_get(ev, "dialed"), ==, "000441234");
	g_assert_cmpstr(bw_event_get(ev, "rule"), ==, "international");
	g_assert_cmpstr(bw_event_get(ev, "period"), ==, "day");
	g_assert_cmpstr(bw_event_get(ev, "cor"), ==, "1");
	g_assert_cmpstr(bw_event_get(ev, "call_id"), ==, "c1");
	g_free(x);

	x = call("100", "*88x*1", "c2");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: malformed account code");
	g_free(x);

	/* a verified code with its PIN unlocks this one call, and only it */
	x = call("100", "*884711*1234*000441234", "c3");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpstr(x->a.account_code, ==, "4711");
	g_assert_nonnull(strstr(x->a.note, "account=4711"));
	g_free(x);
	x = call("100", "*884711*1111*000441234", "c4");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_assert_null(strstr(x->v.reason, "1111"));
	g_free(x);
	x = call("100", "000441234", "c5");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_free(x);
}

static void test_route(fixture *f, gconstpointer unused)
{
	run *x = call("100", "00301234567", "c1");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(x->route, ==, BW_HOOK_STOP);
	g_assert_cmpint(x->a.target.kind, ==, BW_PARTY_TRUNK);
	g_assert_cmpstr(x->a.target.id, ==, "carrier");
	g_assert_cmpstr(x->a.target_number, ==, "0301234567");
	g_assert_cmpstr(x->a.note, ==, "cor allow: national period=day cor=1 ars=default/1");
	g_free(x);

	bw_event_emit("trunk.down", "name", "carrier", "driver", "sip", NULL);
	sync_sig();
	x = call("100", "00301234567", "c2");
	g_assert_cmpint(x->route, ==, BW_HOOK_STOP);
	g_assert_cmpstr(x->a.target.id, ==, "backup");
	g_free(x);
	bw_event_emit("trunk.down", "name", "backup", "driver", "sip", NULL);
	sync_sig();
	x = call("100", "00301234567", "c3");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_assert_cmpint(x->v.code, ==, 503);
	g_free(x);
	bw_event_emit("trunk.up", "name", "carrier", "driver", "sip", NULL);
	bw_event_emit("call.ended", "call_id", "c1", NULL);   /* the guard allows 2 at once */
	sync_sig();
	x = call("100", "00301234567", "c4");
	g_assert_cmpstr(x->a.target.id, ==, "carrier");
	g_free(x);

	/* internal calls are left to the engine's routing */
	x = call("100", "200", "c5");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(x->route, ==, BW_HOOK_CONTINUE);
	g_free(x);
}

static void route_on_sig(void *data)
{
	run *x = data;
	x->route = bw_hook_run("call.route", &x->a, &x->v);
}

/* The engine routes again after a trunk failed: candidates already tried
 * are skipped; none left (tried or down) is a 503. */
static void test_route_tried(fixture *f, gconstpointer unused)
{
	static const char *const first[] = { "carrier", NULL };
	static const char *const both[] = { "carrier", "backup", NULL };
	static const char *const second[] = { "backup", NULL };
	run *x = attempt(BW_PARTY_EXTENSION, "100", NULL, "00301234567", "c1");
	x->a.tried_trunks = first;
	g_assert_cmpint(bw_sig_call_sync(route_on_sig, x, 5000), ==, 0);
	g_assert_cmpint(x->route, ==, BW_HOOK_STOP);
	g_assert_cmpint(x->a.target.kind, ==, BW_PARTY_TRUNK);
	g_assert_cmpstr(x->a.target.id, ==, "backup");
	g_assert_cmpstr(x->a.target_number, ==, "0301234567");
	g_free(x);

	x = attempt(BW_PARTY_EXTENSION, "100", NULL, "00301234567", "c2");
	x->a.tried_trunks = both;
	g_assert_cmpint(bw_sig_call_sync(route_on_sig, x, 5000), ==, 0);
	g_assert_cmpint(x->route, ==, BW_HOOK_DENY);
	g_assert_cmpint(x->v.code, ==, 503);
	g_assert_cmpstr(x->v.reason, ==, "Service unavailable: all trunks busy or down");
	g_free(x);

	/* one tried, the other down */
	bw_event_emit("trunk.down", "name", "carrier", "driver", "sip", NULL);
	sync_sig();
	x = attempt(BW_PARTY_EXTENSION, "100", NULL, "00301234567", "c3");
	x->a.tried_trunks = second;
	g_assert_cmpint(bw_sig_call_sync(route_on_sig, x, 5000), ==, 0);
	g_assert_cmpint(x->route, ==, BW_HOOK_DENY);
	g_assert_cmpint(x->v.code, ==, 503);
	g_free(x);
}

static void test_attendant(fixture *f, gconstpointer unused)
{
	run *x = call("102", "009001234", "c1");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(x->route, ==, BW_HOOK_STOP);
	g_assert_cmpint(x->a.target.kind, ==, BW_PARTY_EXTENSION);
	g_assert_cmpstr(x->a.target.id, ==, "200");
	g_assert_cmpstr(x->a.target_number, ==, "200");
	g_assert_cmpstr(x->a.note, ==, "cor redirect: premium period=day cor=3");
	g_assert_nonnull(event_nth("cor.denied", 1));
	g_free(x);
}

static void test_night(fixture *f, gconstpointer unused)
{
	set_override(f, COR_OVERRIDE_NIGHT1);
	run *x = call("100", "00301234567", "c1");
	g_assert_cmpint(x->auth, ==, BW_HOOK_DENY);
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: barred by closed");
	g_free(x);
	const char *em[] = { "112", "0112", "0911", "999" };
	for (guint i = 0; i < G_N_ELEMENTS(em); i++) {
		x = call("100", em[i], "e");
		g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
		g_assert_nonnull(strstr(x->a.note, "emergency period=night1"));
		g_free(x);
	}
	g_assert_cmpuint(event_count("cor.fraud.suspected"), ==, 0);
	x = call("101", "00301234567", "c2");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	const bw_event *ev = event_nth("cor.fraud.suspected", 1);
	g_assert_nonnull(ev);
	g_assert_cmpstr(bw_event_get(ev, "extension"), ==, "101");
	g_assert_cmpstr(bw_event_get(ev, "reason"), ==, "external call outside day service");
	g_free(x);
	set_override(f, COR_OVERRIDE_AUTO);
}

static void test_guard(fixture *f, gconstpointer unused)
{
	run *a = call("101", "00301", "g1"), *b = call("101", "00302", "g2");
	g_assert_cmpint(a->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(b->auth, ==, BW_HOOK_CONTINUE);
	run *c = call("101", "00303", "g3");
	g_assert_cmpint(c->auth, ==, BW_HOOK_DENY);
	g_assert_nonnull(strstr(c->v.reason, "toll-fraud guard"));
	const bw_event *ev = event_nth("cor.fraud.suspected", 1);
	g_assert_nonnull(ev);
	g_assert_cmpstr(bw_event_get(ev, "extension"), ==, "101");
	/* emergency and internal calls are never counted or refused */
	run *e = call("101", "112", "g4"), *i = call("101", "200", "g5");
	g_assert_cmpint(e->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(i->auth, ==, BW_HOOK_CONTINUE);
	bw_event_emit("call.ended", "call_id", "g1", NULL);
	sync_sig();
	run *d = call("101", "00304", "g6");
	g_assert_cmpint(d->auth, ==, BW_HOOK_CONTINUE);
	g_free(a); g_free(b); g_free(c); g_free(d); g_free(e); g_free(i);
}

/* A saved cor/limits record replaces the configuration's limits on the
 * next decision; a refused one changes nothing; deleting it returns to
 * the configuration's (max_concurrent 2 in the fixture). */
static void wait_limit(fixture *f, gint64 want)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (f->g->limits.max_concurrent != want && g_get_monotonic_time() < end) {
		drain();
		g_usleep(1000);
	}
	g_assert_cmpint(f->g->limits.max_concurrent, ==, want);
	sync_sig();   /* the guard got them: the job was queued before this one */
}

static void test_limits(fixture *f, gconstpointer unused)
{
	bw_test_put(f->store, COR_LIMITS_KEY, "{\"max_external_calls\":1}");
	wait_limit(f, 1);
	guint conc = 0, rate = 0;
	cor_glue_limits(f->g, &conc, &rate);
	g_assert_cmpuint(conc, ==, 1);
	g_assert_cmpuint(rate, ==, 20);   /* not saved: the configuration's default */
	run *a = call("101", "00301", "l1"), *b = call("101", "00302", "l2");
	g_assert_cmpint(a->auth, ==, BW_HOOK_CONTINUE);
	g_assert_cmpint(b->auth, ==, BW_HOOK_DENY);
	g_assert_cmpstr(b->v.reason, ==,
			"Number unobtainable: toll-fraud guard (too many concurrent external calls)");

	g_test_expect_message("cor", G_LOG_LEVEL_WARNING,
			      "*record refused, the fraud limits in force stay: cor/limits: field "
			      "max_external_calls: 100001 is outside 0 (no limit) to 100000*");
	bw_test_put(f->store, COR_LIMITS_KEY, "{\"max_external_calls\":100001}");
	bw_test_put(f->store, "cor/service", "night1");   /* a later record: the first was seen */
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&f->g->override) != COR_OVERRIDE_NIGHT1 && g_get_monotonic_time() < end) {
		drain();
		g_usleep(1000);
	}
	g_test_assert_expected_messages();
	g_assert_cmpint(f->g->limits.max_concurrent, ==, 1);   /* kept */
	set_override(f, COR_OVERRIDE_AUTO);

	GError *err = NULL;
	g_assert_cmpint(bw_store_delete(f->store, COR_LIMITS_KEY, BW_STORE_ANY, &err), >, 0);
	g_assert_no_error(err);
	wait_limit(f, COR_LIMIT_UNSET);
	run *c = call("101", "00303", "l3");
	g_assert_cmpint(c->auth, ==, BW_HOOK_CONTINUE);   /* 2 at once again */
	g_free(a); g_free(b); g_free(c);
}

static void wait_generation(fixture *f, gint want)
{
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_atomic_int_get(&f->g->generation) < want && g_get_monotonic_time() < end) {
		drain();
		g_usleep(1000);
	}
	g_assert_cmpint(g_atomic_int_get(&f->g->generation), >=, want);
	sync_sig();
}

static void test_watch(fixture *f, gconstpointer unused)
{
	gint gen = g_atomic_int_get(&f->g->generation);
	bw_test_put(f->store, "cor/group/1", "{\"name\":\"office\",\"default\":\"allow\",\"rules\":["
	    "{\"pattern\":\"030.\",\"action\":\"deny\",\"name\":\"berlin\"}]}");
	wait_generation(f, gen + 1);
	run *x = call("100", "00301234567", "c1");
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: barred by berlin");
	g_free(x);

	gen = g_atomic_int_get(&f->g->generation);
	g_test_expect_message("cor", G_LOG_LEVEL_WARNING,
			      "*record refused, the rules in force stay: cor/group/1: field rules[0]: "
			      "pattern \"0Q\"*");
	bw_test_put(f->store, "cor/group/1", "{\"rules\":[{\"pattern\":\"0Q\",\"action\":\"deny\"}]}");
	bw_test_put(f->store, "cor/service", "night1");
	bw_test_put(f->store, "cor/ext/100", "{\"cor\":4}");   /* a later good record compiles */
	wait_generation(f, gen + 1);
	g_test_assert_expected_messages();
	g_assert_cmpint(g_atomic_int_get(&f->g->override), ==, COR_OVERRIDE_NIGHT1);
	x = call("100", "00301234567", "c2");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);   /* CoR 4 now, night too */
	g_free(x);
	bw_test_put(f->store, "cor/ext/100", "{\"cor\":1}");
	set_override(f, COR_OVERRIDE_AUTO);
	wait_generation(f, gen + 2);
	x = call("100", "00301234567", "c3");
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: barred by berlin");   /* kept */
	g_free(x);
}

/* A schedule without a time zone takes the module's; one with its own
 * keeps it. */
static void test_schedule_zone(fixture *f, gconstpointer unused)
{
	gint gen = g_atomic_int_get(&f->g->generation);
	bw_test_put(f->store, "cor/schedule", "{\"default\":\"night2\"}");
	wait_generation(f, gen + 1);
	g_assert_cmpstr(cor_sched_tzname(cor_ruleset_sched(f->g->latest)), ==, "Europe/Berlin");
	run *x = call("100", "00301234567", "c1");
	g_assert_cmpstr(x->v.reason, ==, "Number unobtainable: barred by closed");
	g_assert_nonnull(strstr(x->a.note, "period=night2"));
	g_free(x);
	bw_test_put(f->store, "cor/schedule", "{\"timezone\":\"UTC\",\"default\":\"day\"}");
	wait_generation(f, gen + 2);
	g_assert_cmpstr(cor_sched_tzname(cor_ruleset_sched(f->g->latest)), ==, "UTC");
	x = call("100", "00301234567", "c2");
	g_assert_cmpint(x->auth, ==, BW_HOOK_CONTINUE);
	g_free(x);
}

typedef struct inc {
	const char *dialed;
	int code;
	char reason[128];
	bw_call *c;
} inc;

static void incoming_on_sig(void *data)
{
	inc *k = data;
	bw_channel *in = bw_channel_new("sip", NULL);
	bw_party p = { BW_PARTY_EXTENSION, "100", "100", "Alice", NULL, BW_SRTP_MANDATORY };
	k->c = bw_call_incoming(in, &p, k->dialed, NULL, BW_CALL_NORMAL, &k->code, k->reason,
				sizeof k->reason);
	if (k->c)
		bw_channel_hungup(in, "test over");
}

static void test_through_engine(fixture *f, gconstpointer unused)
{
	inc k = { "000441234", 0, "", NULL };
	g_assert_cmpint(bw_sig_call_sync(incoming_on_sig, &k, 5000), ==, 0);
	g_assert_null(k.c);
	g_assert_cmpint(k.code, ==, 403);
	g_assert_cmpstr(k.reason, ==, "Number unobtainable: barred by international");
	g_assert_cmpstr(originated, ==, "");
	inc ok = { "00301234567", 0, "", NULL };
	g_assert_cmpint(bw_sig_call_sync(incoming_on_sig, &ok, 5000), ==, 0);
	g_assert_nonnull(ok.c);
	g_assert_cmpstr(originated, ==, "carrier 0301234567");
	const bw_event *ev = event_nth("call.ended", 2);
	g_assert_nonnull(ev);
	g_assert_cmpstr(bw_event_get(ev, "note"), ==,
			"cor allow: national period=day cor=1 ars=default/1");
	g_assert_cmpstr(bw_event_get(ev, "trunk"), ==, "carrier");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	GError *err = NULL;
	g_assert_true(bw_threads_start(&err));
	g_assert_cmpint(bw_channel_driver_register(&sip_drv), ==, 0);
	g_assert_cmpint(bw_channel_driver_register(&trunk_drv), ==, 0);
#define ADD(name, fn) g_test_add("/cor-glue/" name, fixture, NULL, fx_setup, fn, fx_teardown)
	ADD("request", test_request);
	ADD("deny", test_deny);
	ADD("route", test_route);
	ADD("route-tried", test_route_tried);
	ADD("attendant", test_attendant);
	ADD("night", test_night);
	ADD("guard", test_guard);
	ADD("watch", test_watch);
	ADD("limits", test_limits);
	ADD("schedule-zone", test_schedule_zone);
	ADD("through-engine", test_through_engine);
	int rc = g_test_run();
	bw_channel_driver_unregister("sip");
	bw_channel_driver_unregister("testtrunk");
	bw_threads_stop();
	return rc;
}
