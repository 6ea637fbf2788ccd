/* The hooks on the signalling thread. "call.authorize" maps the attempt to
 * a cor_request, decides against the rule set in force, writes the
 * decision on the attempt's note, and denies (403 "Number unobtainable:
 * barred by ...") or redirects to the attendant; an allowed external call
 * from an extension is counted by the fraud guard (released on
 * call.ended). "call.route" applies ARS: the first candidate trunk that is
 * neither reported down nor in the attempt's tried_trunks (it failed for
 * this call) becomes the target (STOP); when every candidate is down or
 * tried it denies 503; without an ARS route it CONTINUEs so the engine's
 * default routing applies. Every denial
 * publishes cor.denied; a tripped guard or an external call outside day
 * service publishes cor.fraud.suspected. Never logs a PIN. */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"

#include <string.h>
#include <time.h>

cor_sig *cor_sig_new(const cor_glue_conf *c)
{
	cor_sig *s = g_new0(cor_sig, 1);
	s->guard = cor_guard_new(c->max_concurrent, c->max_per_minute, COR_GLUE_TRACK_MAX);
	s->counted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	s->down = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return s;
}

void cor_sig_free(cor_sig *s)
{
	if (!s)
		return;
	cor_ruleset_unref(s->rs);
	cor_guard_free(s->guard);
	g_hash_table_destroy(s->counted);
	g_hash_table_destroy(s->down);
	g_free(s);
}

/* ---- the request ---- */

static gboolean digits(const char *s, gsize n)
{
	if (n == 0 || n > COR_GLUE_ACCT_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	return TRUE;
}

/* PREFIX CODE * NUMBER or PREFIX CODE * PIN * NUMBER */
static gboolean account_strip(const cor_glue *g, cor_sig *s, bw_call_attempt *a)
{
	const char *pre = g->conf.account_prefix;
	if (!pre || a->account_code || !g_str_has_prefix(a->dialed, pre))
		return TRUE;
	const char *code = a->dialed + strlen(pre);
	const char *star1 = strchr(code, '*');
	if (!star1 || !digits(code, (gsize) (star1 - code)))
		return FALSE;
	const char *star2 = strchr(star1 + 1, '*');
	const char *number = star2 ? star2 + 1 : star1 + 1;
	if (star2 && !digits(star1 + 1, (gsize) (star2 - star1 - 1)))
		return FALSE;
	if (!*number || strchr(number, '*'))
		return FALSE;
	g_strlcpy(s->acct_code, code, MIN(sizeof s->acct_code, (gsize) (star1 - code) + 1));
	a->account_code = s->acct_code;
	a->account_pin = NULL;
	if (star2) {
		g_strlcpy(s->acct_pin, star1 + 1,
			  MIN(sizeof s->acct_pin, (gsize) (star2 - star1)));
		a->account_pin = s->acct_pin;
	}
	a->dialed = number;   /* a suffix of the engine's own string */
	return TRUE;
}

static guint group_of(const char *group)
{
	guint64 v = 0;
	if (!group || !g_ascii_string_to_unsigned(group, 10, 0, COR_MAX_GROUP_ID, &v, NULL))
		return 0;   /* 0: the group of the party's cor/ record */
	return (guint) v;
}

static gboolean trunk_ok(const char *trunk, void *data)
{
	const cor_sig *s = data;
	return !g_hash_table_contains(s->down, trunk);
}

cor_period cor_glue_period(const cor_glue *g, const cor_ruleset *rs, cor_when *when)
{
	cor_override o = (cor_override) g_atomic_int_get((gint *) &g->override);
	return cor_sched_resolve(cor_ruleset_sched(rs), (gint64) time(NULL), o, when);
}

gboolean cor_glue_request(const cor_glue *g, cor_sig *s, bw_call_attempt *a, cor_request *r)
{
	if (!account_strip(g, s, a))
		return FALSE;
	memset(r, 0, sizeof *r);
	r->caller_kind = a->caller.kind == BW_PARTY_TRUNK ? COR_KIND_TRUNK : COR_KIND_EXTENSION;
	r->caller = a->caller.id;
	r->caller_group = group_of(a->caller.group);
	r->dialed = a->dialed;
	r->account_code = a->account_code;
	r->pin = a->account_pin;
	r->call_type = a->type == BW_CALL_FORWARD ? COR_CALL_FORWARD
		       : a->type == BW_CALL_TRANSFER ? COR_CALL_TRANSFER : COR_CALL_NORMAL;
	/* forwards are judged from the forwarding extension too */
	r->via = r->call_type == COR_CALL_FORWARD ? a->forwarded_by : NULL;
	r->trunk_ok = trunk_ok;
	r->trunk_ok_data = s;
	/* A normal call from a trunk is inbound: the engine only routes it to
	 * an extension (DID). Otherwise a dialled extension is internal and
	 * anything else goes out on a trunk. */
	bw_extension *e = NULL;
	if (r->caller_kind == COR_KIND_TRUNK && r->call_type == COR_CALL_NORMAL) {
		r->target_kind = COR_KIND_EXTENSION;
	} else if ((e = bw_extension_lookup(a->dialed)) != NULL) {
		r->target_kind = COR_KIND_EXTENSION;
		r->target = a->dialed;
		bw_extension_free(e);
	} else {
		r->target_kind = COR_KIND_TRUNK;
	}
	if (s->rs)
		r->period = cor_glue_period(g, s->rs, &r->when);
	return TRUE;
}

/* ---- what the decision says ---- */

/* Provisioned names end up in a SIP reason phrase and an event: printable
 * ASCII only. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"')
			*s = '?';
}

static const char *rule_label(const cor_decision *d)
{
	if (d->rule_name && *d->rule_name)
		return d->rule_name;
	if (d->rule_pattern)
		return d->rule_pattern;
	return cor_why_text(d->why);
}

static void note(bw_call_attempt *a, const cor_decision *d)
{
	g_snprintf(a->note, sizeof a->note, "cor %s: %s period=%s cor=%u%s%s",
		   d->verdict == COR_ALLOW ? "allow" : d->verdict == COR_DENY ? "deny" : "redirect",
		   d->emergency ? "emergency" : rule_label(d), cor_period_name(d->period),
		   d->cor_group, d->account_code ? " account=" : "",
		   d->account_code ? d->account_code : "");
	clean(a->note);
}

static const char *caller_label(const bw_call_attempt *a)
{
	return a->caller.id ? a->caller.id : "";
}

static void publish_denied(const bw_call_attempt *a, const cor_decision *d)
{
	bw_event *ev = bw_event_new("cor.denied");
	bw_event_add(ev, a->caller.kind == BW_PARTY_TRUNK ? "trunk" : "extension", caller_label(a));
	bw_event_add(ev, "dialed", a->dialed);
	bw_event_add(ev, "rule", rule_label(d));
	bw_event_add(ev, "period", cor_period_name(d->period));
	bw_event_addf(ev, "cor", "%u", d->cor_group);
	bw_event_add(ev, "reason", cor_why_text(d->why));
	if (a->forwarded_by)
		bw_event_add(ev, "forwarded_by", a->forwarded_by);
	if (a->call_id)
		bw_event_add(ev, "call_id", a->call_id);
	bw_event_publish(ev);
}

static void publish_fraud(const bw_call_attempt *a, const cor_decision *d, const char *why)
{
	bw_event_emit("cor.fraud.suspected", "extension", caller_label(a), "dialed", a->dialed,
		      "reason", why, "period", cor_period_name(d->period), NULL);
}

static bw_hook_result deny(bw_call_attempt *a, bw_verdict *v, const cor_decision *d)
{
	char label[COR_MAX_NAME * 2];
	publish_denied(a, d);
	if (d->why == COR_WHY_NO_TRUNK)
		return bw_verdict_deny(v, 503, "Service unavailable: every trunk of the route is down or busy");
	g_snprintf(label, sizeof label, "%s", rule_label(d));
	clean(label);
	return bw_verdict_deny(v, 403, "Number unobtainable: barred by %s", label);
}

/* A barred call goes to the attendant when its group or the module says
 * so; never a call the number itself or the trunks made impossible. */
static const char *attendant_for(const cor_glue *g, const cor_decision *d)
{
	if (d->why == COR_WHY_NO_TRUNK || d->why == COR_WHY_INVALID_NUMBER)
		return NULL;
	if (d->verdict == COR_REDIRECT && d->attendant)
		return d->attendant;
	return g->conf.barred == COR_BARRED_ATTENDANT ? g->conf.attendant : NULL;
}

static bw_hook_result redirect(cor_sig *s, bw_call_attempt *a, const cor_decision *d,
			       const char *to)
{
	publish_denied(a, d);
	g_strlcpy(s->redirect_call, a->call_id ? a->call_id : "", sizeof s->redirect_call);
	g_strlcpy(s->redirect_to, to, sizeof s->redirect_to);
	return BW_HOOK_CONTINUE;
}

static bw_hook_result guard(cor_sig *s, bw_call_attempt *a, bw_verdict *v,
			    const cor_request *r, const cor_decision *d)
{
	if (r->caller_kind != COR_KIND_EXTENSION || r->target_kind != COR_KIND_TRUNK ||
	    d->emergency || !a->caller.id)
		return BW_HOOK_CONTINUE;
	cor_guard_verdict gv = cor_guard_start(s->guard, a->caller.id,
					       g_get_monotonic_time() / 1000);
	if (gv != COR_GUARD_OK) {
		publish_fraud(a, d, cor_guard_text(gv));
		publish_denied(a, d);
		g_snprintf(a->note, sizeof a->note, "cor deny: fraud guard: %s", cor_guard_text(gv));
		return bw_verdict_deny(v, 403, "Number unobtainable: toll-fraud guard (%s)",
				       cor_guard_text(gv));
	}
	if (a->call_id && g_hash_table_size(s->counted) < COR_GLUE_TRACK_MAX * 8)
		g_hash_table_replace(s->counted, g_strdup(a->call_id), g_strdup(a->caller.id));
	else
		cor_guard_end(s->guard, a->caller.id);   /* cannot be released later */
	if (d->night_external)
		publish_fraud(a, d, "external call outside day service");
	return BW_HOOK_CONTINUE;
}

bw_hook_result cor_glue_authorize(void *args, bw_verdict *v, void *user_data)
{
	cor_glue *g = user_data;
	cor_sig *s = g->sig;
	bw_call_attempt *a = args;
	cor_request r;
	cor_decision d;

	if (!s || !s->rs)
		return bw_verdict_deny(v, 503, "Service unavailable: CoR rules not loaded");
	s->redirect_call[0] = 0;
	if (!a->dialed || !cor_glue_request(g, s, a, &r)) {
		g_strlcpy(a->note, "cor deny: malformed account code", sizeof a->note);
		return bw_verdict_deny(v, 403, "Number unobtainable: malformed account code");
	}
	cor_decide(s->rs, &r, &d);
	note(a, &d);
	if (d.verdict == COR_ALLOW)
		return guard(s, a, v, &r, &d);
	const char *to = attendant_for(g, &d);
	return to ? redirect(s, a, &d, to) : deny(a, v, &d);
}

/* ---- routing ---- */

static bw_hook_result route_to(cor_sig *s, bw_call_attempt *a, bw_party_kind kind,
			       const char *id, const char *prefix, const char *number)
{
	g_strlcpy(s->target, id, sizeof s->target);
	memset(&a->target, 0, sizeof a->target);
	a->target.kind = kind;
	a->target.id = s->target;
	g_snprintf(a->target_number, sizeof a->target_number, "%s%s", prefix ? prefix : "",
		   number);
	a->target.number = a->target_number;
	return BW_HOOK_STOP;
}

/* The trunks the route hook may still pick: up and not tried yet. */
typedef struct route_ok {
	const cor_sig *s;
	const char *const *tried;
} route_ok;

static gboolean route_trunk_ok(const char *trunk, void *data)
{
	const route_ok *o = data;
	for (guint i = 0; o->tried && o->tried[i] && i < COR_MAX_PARTIES; i++)
		if (strcmp(o->tried[i], trunk) == 0)
			return FALSE;
	return trunk_ok(trunk, (void *) o->s);
}

bw_hook_result cor_glue_route(void *args, bw_verdict *v, void *user_data)
{
	cor_glue *g = user_data;
	cor_sig *s = g->sig;
	bw_call_attempt *a = args;
	cor_request r;
	cor_decision d;

	if (!s || !s->rs || !a->dialed)
		return BW_HOOK_CONTINUE;
	if (s->redirect_call[0] && a->call_id && strcmp(s->redirect_call, a->call_id) == 0) {
		s->redirect_call[0] = 0;
		return route_to(s, a, BW_PARTY_EXTENSION, s->redirect_to, NULL, s->redirect_to);
	}
	if (!cor_glue_request(g, s, a, &r) || r.target_kind != COR_KIND_TRUNK)
		return BW_HOOK_CONTINUE;
	route_ok ok = { s, a->tried_trunks };
	r.trunk_ok = route_trunk_ok;
	r.trunk_ok_data = &ok;
	cor_decide(s->rs, &r, &d);
	if (d.verdict == COR_DENY && d.why == COR_WHY_NO_TRUNK) {
		publish_denied(a, &d);
		return bw_verdict_deny(v, 503, "Service unavailable: all trunks busy or down");
	}
	if (d.verdict != COR_ALLOW || d.ars_route < 0 || d.n_candidates == 0)
		return BW_HOOK_CONTINUE;
	gsize len = strlen(a->note);
	if (len + 1 < sizeof a->note)
		g_snprintf(a->note + len, sizeof a->note - len, " ars=%s/%d", d.ars_plan,
			   d.ars_route + 1);
	clean(a->note);
	return route_to(s, a, BW_PARTY_TRUNK, d.candidates[0].trunk,
			d.candidates[0].system_code, d.number);
}

/* ---- reports from the management thread ---- */

void cor_glue_call_ended(cor_sig *s, const char *call_id)
{
	char *key = NULL, *ext = NULL;
	if (!g_hash_table_steal_extended(s->counted, call_id, (gpointer *) &key,
					 (gpointer *) &ext))
		return;
	cor_guard_end(s->guard, ext);
	g_free(key);
	g_free(ext);
}

void cor_glue_trunk_state(cor_sig *s, const char *trunk, gboolean down)
{
	if (down && g_hash_table_size(s->down) < COR_MAX_PARTIES)
		g_hash_table_add(s->down, g_strdup(trunk));
	else if (!down)
		g_hash_table_remove(s->down, trunk);
}

/* ---- cor show ---- */

char *cor_glue_explain(cor_glue *g, const char *caller, const char *number)
{
	cor_sig *s = g->sig;
	gboolean trunk = g_str_has_prefix(caller, "trunk:");
	bw_call_attempt a = { .call_id = NULL, .dialed = number, .type = BW_CALL_NORMAL };
	cor_request r;
	cor_decision d;

	a.caller.kind = trunk ? BW_PARTY_TRUNK : BW_PARTY_EXTENSION;
	a.caller.id = trunk ? caller + 6 : caller;
	a.caller.number = a.caller.id;
	if (!s || !s->rs)
		return g_strdup("error: the CoR rules are not loaded\n");
	if (!cor_glue_request(g, s, &a, &r))
		return g_strdup("verdict: deny (malformed account code)\n");
	cor_decide(s->rs, &r, &d);
	char *body = cor_decision_explain(&d);
	cor_override o = (cor_override) g_atomic_int_get(&g->override);
	const char *on = o == COR_OVERRIDE_DAY ? "day" : o == COR_OVERRIDE_NIGHT1 ? "night1"
			 : o == COR_OVERRIDE_NIGHT2 ? "night2" : "auto";
	const char *to = d.verdict != COR_ALLOW ? attendant_for(g, &d) : NULL;
	char *out = g_strdup_printf("caller: %s %s\ncall: %s\nservice: %s\n%s%s%s%s",
				    trunk ? "trunk" : "extension", a.caller.id,
				    r.target_kind == COR_KIND_EXTENSION ? "internal" : "external",
				    on, body, to ? "barred calls go to the attendant: " : "",
				    to ? to : "", to ? "\n" : "");
	g_free(body);
	return out;
}
