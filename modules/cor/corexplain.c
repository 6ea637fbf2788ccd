/* Names and the human explanation of a decision: what `bulwarkctl cor
 * show EXT NUMBER` prints. Never prints a PIN. */
#include "corrules.h"

static const char *const why_text[] = {
	[COR_WHY_RULE]             = "CoR rule",
	[COR_WHY_GROUP_DEFAULT]    = "no CoR rule matched: group fallback",
	[COR_WHY_EMERGENCY]        = "emergency number: always allowed",
	[COR_WHY_INTERNAL]         = "internal call: no CoR",
	[COR_WHY_INVALID_NUMBER]   = "dialled number is empty, too long or not 0-9 * # +",
	[COR_WHY_COS_EXTERNAL]     = "CoS does not allow external calls",
	[COR_WHY_COS_FORWARD]      = "CoS does not allow forwarding to external numbers",
	[COR_WHY_COS_TRANSFER]     = "CoS does not allow transfer to external numbers",
	[COR_WHY_COS_CONFERENCE]   = "CoS does not allow conferences",
	[COR_WHY_ACCOUNT_REQUIRED] = "CoS requires an account code",
	[COR_WHY_ACCOUNT_UNKNOWN]  = "unknown account code",
	[COR_WHY_ACCOUNT_PIN]      = "wrong PIN for the verified account code",
	[COR_WHY_INTERCONNECT]     = "interconnect matrix forbids this connection",
	[COR_WHY_NO_TRUNK]         = "every trunk of the ARS route is down or busy",
};

const char *cor_why_text(cor_why why)
{
	return (guint) why < G_N_ELEMENTS(why_text) ? why_text[why] : "?";
}

const char *cor_verdict_name(cor_verdict v)
{
	switch (v) {
	case COR_ALLOW:    return "allow";
	case COR_DENY:     return "deny";
	case COR_REDIRECT: return "redirect to attendant";
	default:           return "?";
	}
}

static void explain_ars(GString *s, const cor_decision *d)
{
	if (!d->ars_plan)
		return;
	if (d->ars_route < 0) {
		g_string_append_printf(s, "ARS: plan %s, no route for this number now\n",
				       d->ars_plan);
		return;
	}
	g_string_append_printf(s, "ARS: plan %s route #%d, trunks:", d->ars_plan,
			       d->ars_route + 1);
	for (guint i = 0; i < d->n_candidates; i++)
		g_string_append_printf(s, " %s%s%s", d->candidates[i].trunk,
				       d->candidates[i].system_code ? " (system code)" : "",
				       i + 1 < d->n_candidates ? "," : "");
	if (d->n_unavailable)
		g_string_append_printf(s, " (%u down or busy)", d->n_unavailable);
	g_string_append_c(s, '\n');
}

char *cor_decision_explain(const cor_decision *d)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s, "verdict: %s (%s)\n", cor_verdict_name(d->verdict),
			       cor_why_text(d->why));
	if (d->number)
		g_string_append_printf(s, "number: %s\n", d->number);
	g_string_append_printf(s, "period: %s\n", cor_period_name(d->period));
	g_string_append_printf(s, "CoR: %u (%s)\nCoS: %u (flags 0x%x)\n", d->cor_group,
			       d->cor_name ? d->cor_name : "-", d->cos_group, d->cos_flags);
	if (d->rule_index >= 0)
		g_string_append_printf(s, "rule: #%d \"%s\" %s (%s)\n", d->rule_index + 1,
				       d->rule_pattern, d->rule_name,
				       d->rule_action == COR_ACTION_ALLOW ? "allow" : "deny");
	if (d->emergency)
		g_string_append(s, "emergency override: applied\n");
	if (d->account_code)
		g_string_append_printf(s, "account code: %s (%s)\n", d->account_code,
				       d->account_verified ? "verified" : "recorded");
	if (d->attendant)
		g_string_append_printf(s, "attendant: %s\n", d->attendant);
	explain_ars(s, d);
	if (d->night_external)
		g_string_append(s, "note: external call outside day service\n");
	return g_string_free(s, FALSE);
}
