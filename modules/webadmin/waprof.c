/* Authorization: which forms a session may read or change. Until profiles
 * land, the role decides: a system administrator everything, a group
 * administrator the dashboard, extensions and alarms, an end user nothing
 * beyond the Self Service Portal. */
#include "webadmin.h"
#include <string.h>

static const char *const group_forms[] = { "dashboard", "extensions", "alarms" };

gboolean wa_access_allows(const wa_sess *s, const char *form, gboolean write)
{
	(void) write;
	if (strcmp(s->role, "system") == 0)
		return TRUE;
	if (strcmp(s->role, "group") != 0)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(group_forms); i++)
		if (strcmp(form, group_forms[i]) == 0)
			return TRUE;
	return FALSE;
}

wa_resp *wa_api_profiles(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) r, (void) rest;
	return wa_resp_error1(404, NULL, "no such API resource");
}
