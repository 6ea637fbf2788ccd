/* Provides the service "sip.trunks" version 1 (trunksvc.h): the record
 * check of trunkcheck.c and the trunks' state as the signalling thread
 * sees it. Called on the management thread only. */
#define G_LOG_DOMAIN "sip"
#include <bulwark/service.h>
#include "trunksvc.h"

static GPtrArray *trunksvc_states(GError **err)
{
	g_autofree char *text = sip_trunks_state_text(err);
	return text ? sip_trunk_states_parse(text) : NULL;
}

static const sip_trunks_v1 trunksvc_table = {
	.check = sip_trunk_check,
	.states = trunksvc_states,
};

int sip_trunksvc_provide(struct bw_module *m)
{
	int rc = bw_service_provide(m, SIP_TRUNKS_SERVICE, SIP_TRUNKS_VERSION, &trunksvc_table);
	if (rc)
		g_warning("sip: cannot provide the service \"%s\": %s (the webadmin cannot edit trunks)",
			  SIP_TRUNKS_SERVICE, g_strerror(rc));
	return rc;
}
