/* Slot for /api/cor: answered 404 until its handler lands. */
#include "webadmin.h"

wa_resp *wa_api_cor(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c, (void) s, (void) r, (void) rest;
	return wa_resp_error1(404, NULL, "no such API resource");
}
