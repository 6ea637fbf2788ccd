/* cor_decide: one authorization decision against a compiled rule set
 * (contract in corrules.h). Order: number sanity, emergency override,
 * internal calls (interconnect only), account code, CoS, CoR, then
 * interconnect and ARS for the trunk leg. No allocation, no lock: only
 * reads of the immutable rule set. */
#include "corint.h"

#include <string.h>

static cor_verdict finish(cor_decision *out, cor_verdict v, cor_why why)
{
	out->verdict = v;
	out->why = why;
	return v;
}

static const rs_party *party(const cor_ruleset *rs, cor_kind kind, const char *id)
{
	int k = kind == COR_KIND_TRUNK;
	const rs_party *p = id ? g_hash_table_lookup(rs->parties[k], id) : NULL;
	return p ? p : &rs->unknown[k];
}

static gboolean is_emergency(const cor_ruleset *rs, const char *n)
{
	gsize plen = rs->trunk_prefix ? strlen(rs->trunk_prefix) : 0;
	const char *bare = plen && strncmp(n, rs->trunk_prefix, plen) == 0 ? n + plen : NULL;

	for (guint i = 0; i < rs->n_emergency; i++)
		if (strcmp(n, rs->emergency[i]) == 0 ||
		    (bare && strcmp(bare, rs->emergency[i]) == 0))
			return TRUE;
	return FALSE;
}

static const char *strip_prefix(const cor_ruleset *rs, const char *n)
{
	gsize plen = rs->trunk_prefix ? strlen(rs->trunk_prefix) : 0;
	if (plen && strncmp(n, rs->trunk_prefix, plen) == 0 && n[plen])
		return n + plen;
	return n;
}

static gboolean link_ok(const cor_ruleset *rs, cor_kind from, guint fg,
			cor_kind to, guint tg)
{
	gint64 key = cor_link_key(from, fg, to, tg);
	gpointer v = g_hash_table_lookup(rs->links, &key);
	cor_action a = v ? (cor_action) (GPOINTER_TO_UINT(v) - 1)
			 : rs->link_default[from == COR_KIND_TRUNK][to == COR_KIND_TRUNK];
	return a == COR_ACTION_ALLOW;
}

/* Who is connected to the target: the caller and, for a forward or a
 * transfer, the extension doing it. Both pairs must be allowed. */
typedef struct legs {
	cor_kind        caller_kind;
	guint           caller_group;
	const rs_party *via;
} legs;

static gboolean legs_ok(const cor_ruleset *rs, const legs *l, cor_kind to, guint tg)
{
	if (!link_ok(rs, l->caller_kind, l->caller_group, to, tg))
		return FALSE;
	return !l->via || link_ok(rs, COR_KIND_EXTENSION, l->via->group, to, tg);
}

static guint target_group(const cor_ruleset *rs, const cor_request *req)
{
	if (req->target_group || !req->target)
		return req->target_group;
	return party(rs, req->target_kind, req->target)->group;
}

static const rs_route *ars_route(const rs_plan *plan, const char *number,
				 const cor_when *when, gint *index)
{
	guint32 n;
	const guint32 *m = cor_dfa_match(plan->dfa, number, &n);

	for (guint32 i = 0; i < n; i++) {
		const rs_route *r = &plan->routes[m[i]];
		gboolean open = r->n_windows == 0;
		for (guint w = 0; !open && w < r->n_windows; w++)
			open = cor_window_contains(r->windows[w].days, r->windows[w].from,
						   r->windows[w].to, when);
		if (open) {
			*index = (gint) m[i];
			return r;
		}
	}
	return NULL;
}

/* Fills the candidates; FALSE (and the reason) when a route matched but
 * no trunk of it may or can take the call. */
static gboolean route(const cor_ruleset *rs, const cor_request *req,
		      const rs_party *dialer, const legs *l, cor_decision *out,
		      cor_why *why)
{
	guint denied = 0;

	if (!dialer->ars)
		return TRUE;
	out->ars_plan = dialer->ars->name;
	const rs_route *r = ars_route(dialer->ars, out->number, &req->when, &out->ars_route);
	if (!r)
		return TRUE;
	for (guint i = 0; i < r->n_trunks; i++) {
		const rs_party *t = r->trunk[i];
		if (l && !legs_ok(rs, l, COR_KIND_TRUNK, t ? t->group : 0)) {
			denied++;
			continue;
		}
		if (req->trunk_ok && !req->trunk_ok(r->trunks[i], req->trunk_ok_data)) {
			out->n_unavailable++;
			continue;
		}
		out->candidates[out->n_candidates++] = (cor_candidate) {
			r->trunks[i], t ? t->system_code : NULL };
	}
	*why = denied == r->n_trunks ? COR_WHY_INTERCONNECT : COR_WHY_NO_TRUNK;
	return out->n_candidates > 0 || r->n_trunks == 0;
}

static guint needed_cos(cor_call_type t)
{
	switch (t) {
	case COR_CALL_FORWARD:    return COR_COS_FORWARD_EXTERNAL;
	case COR_CALL_TRANSFER:   return COR_COS_TRANSFER_EXTERNAL;
	case COR_CALL_CONFERENCE: return COR_COS_CONFERENCE | COR_COS_EXTERNAL;
	default:                  return COR_COS_EXTERNAL;
	}
}

static cor_why cos_why(guint missing)
{
	if (missing & COR_COS_FORWARD_EXTERNAL)
		return COR_WHY_COS_FORWARD;
	if (missing & COR_COS_TRANSFER_EXTERNAL)
		return COR_WHY_COS_TRANSFER;
	if (missing & COR_COS_CONFERENCE)
		return COR_WHY_COS_CONFERENCE;
	return COR_WHY_COS_EXTERNAL;
}

static void set_cor(cor_decision *out, const rs_group *g, const rs_cos *c)
{
	out->cor_group = g->id;
	out->cor_name = g->name;
	out->cos_group = c->id;
	out->cos_flags = c->flags;
}

/* Applies an account code; FALSE with the reason when it is refused. */
static gboolean account(const cor_ruleset *rs, const cor_request *req,
			const rs_group **cor, const rs_cos **cos,
			cor_decision *out, cor_why *why)
{
	const rs_account *a = strnlen(req->account_code, COR_MAX_NAME + 1) <= (gsize) COR_MAX_NAME
		? g_hash_table_lookup(rs->accounts, req->account_code) : NULL;

	*why = COR_WHY_ACCOUNT_UNKNOWN;
	if (!a)
		return FALSE;
	out->account_code = a->code;
	if (!a->verified)
		return TRUE;
	*why = COR_WHY_ACCOUNT_PIN;
	if (!cor_pin_verify(a->pin_hash, req->pin))
		return FALSE;
	out->account_verified = TRUE;
	*cor = a->cor ? a->cor : *cor;
	*cos = a->cos ? a->cos : *cos;
	return TRUE;
}

static cor_verdict deny_by(const rs_group *g, cor_decision *out, cor_why why)
{
	if (g->on_deny == COR_ON_DENY_ATTENDANT && g->attendant) {
		out->attendant = g->attendant;
		return finish(out, COR_REDIRECT, why);
	}
	return finish(out, COR_DENY, why);
}

static cor_verdict apply_cor(const rs_group *g, cor_decision *out)
{
	guint32 n;
	const guint32 *m = cor_dfa_match(g->dfa, out->number, &n);

	if (!n) {
		return g->fallback == COR_ACTION_ALLOW
			? finish(out, COR_ALLOW, COR_WHY_GROUP_DEFAULT)
			: deny_by(g, out, COR_WHY_GROUP_DEFAULT);
	}
	const rs_rule *r = &g->rules[m[0]];
	out->rule_index = (gint) m[0];
	out->rule_pattern = r->pattern;
	out->rule_name = r->name;
	out->rule_action = r->action;
	return r->action == COR_ACTION_ALLOW ? finish(out, COR_ALLOW, COR_WHY_RULE)
					     : deny_by(g, out, COR_WHY_RULE);
}

static cor_verdict external(const cor_ruleset *rs, const cor_request *req,
			    const rs_party *dialer, const legs *l, cor_decision *out)
{
	const rs_group *cor = dialer->cor[out->period];
	const rs_cos *cos = dialer->cos;
	cor_why why;

	set_cor(out, cor, cos);
	if (req->account_code && !account(rs, req, &cor, &cos, out, &why))
		return finish(out, COR_DENY, why);
	set_cor(out, cor, cos);
	guint missing = needed_cos(req->call_type) & ~cos->flags;
	if (missing)
		return finish(out, COR_DENY, cos_why(missing));
	if ((cos->flags & COR_COS_ACCOUNT_REQUIRED) && !out->account_code)
		return finish(out, COR_DENY, COR_WHY_ACCOUNT_REQUIRED);
	if (apply_cor(cor, out) != COR_ALLOW)
		return out->verdict;
	if (req->target) {
		if (!legs_ok(rs, l, COR_KIND_TRUNK, target_group(rs, req)))
			return finish(out, COR_DENY, COR_WHY_INTERCONNECT);
	} else if (!route(rs, req, dialer, l, out, &why)) {
		return finish(out, COR_DENY, why);
	} else if (out->ars_route < 0 &&
		   !legs_ok(rs, l, COR_KIND_TRUNK, req->target_group)) {
		return finish(out, COR_DENY, COR_WHY_INTERCONNECT);
	}
	out->night_external = out->period != COR_PERIOD_DAY;
	return out->verdict;
}

cor_verdict cor_decide(const cor_ruleset *rs, const cor_request *req,
		       cor_decision *out)
{
	memset(out, 0, sizeof *out);
	out->rule_index = -1;
	out->ars_route = -1;
	out->period = (guint) req->period < COR_PERIOD_COUNT ? req->period : COR_PERIOD_DAY;
	if (!cor_number_valid(req->dialed))
		return finish(out, COR_DENY, COR_WHY_INVALID_NUMBER);
	out->number = req->dialed;

	const rs_party *caller = party(rs, req->caller_kind, req->caller);
	const rs_party *via = req->via ? party(rs, COR_KIND_EXTENSION, req->via) : NULL;
	const rs_party *dialer = via ? via : caller;
	legs l = { req->caller_kind,
		   req->caller_group ? req->caller_group : caller->group, via };
	cor_why why;

	set_cor(out, dialer->cor[out->period], dialer->cos);
	if (is_emergency(rs, req->dialed)) {
		out->emergency = TRUE;
		out->number = strip_prefix(rs, req->dialed);
		route(rs, req, dialer, NULL, out, &why);
		return finish(out, COR_ALLOW, COR_WHY_EMERGENCY);
	}
	if (req->target_kind == COR_KIND_EXTENSION) {
		if (!legs_ok(rs, &l, COR_KIND_EXTENSION, target_group(rs, req)))
			return finish(out, COR_DENY, COR_WHY_INTERCONNECT);
		return finish(out, COR_ALLOW, COR_WHY_INTERNAL);
	}
	out->number = strip_prefix(rs, req->dialed);
	return external(rs, req, dialer, &l, out);
}
