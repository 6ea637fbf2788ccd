/* /api/cor: the CoR/CoS page, only while the cor module runs (its service
 * "cor.admin", modules/cor/corsvc.h). Records are those of docs/cor.md:
 *   GET    /api/cor                   everything: groups, CoS, extension and
 *                                     trunk assignments, ARS plans, account
 *                                     codes (PIN as pin_set only), interconnect,
 *                                     emergency, schedule (null: defaults),
 *                                     fraud limits (saved or xml), time zone,
 *                                     service period
 *   PUT    /api/cor/KIND/ID           KIND: groups cos ext trunks ars accounts
 *   PUT    /api/cor/{interconnect,emergency,schedule}
 *   DELETE the same, ?revision=N      (a singleton: back to its defaults)
 *   POST   /api/cor/service {"mode"}  day | night1 | night2 | auto
 *   POST   /api/cor/explain {"caller", "number"}   as `bulwarkctl cor show`:
 *                                     a query (read grant on "cor" is enough,
 *                                     CSRF checked), POST so that a number
 *                                     with an account code and PIN never
 *                                     travels in a URL; never logged or
 *                                     audited; GET is refused (405)
 *   PUT    /api/cor/limits, DELETE    the fraud limits (wacorlim.c)
 * Changes are in wacorrec.c. */
#include "wacor.h"
#include <bulwark/service.h>
#include <bulwark/store.h>
#include <string.h>

#define NO_COR "the cor module is not loaded: CoR/CoS cannot be shown or changed " \
	"(load it: bulwarkctl module load cor)"
static const cor_admin_v1 *cor_svc(void)
{
	return bw_service_lookup(COR_ADMIN_SERVICE, COR_ADMIN_VERSION);
}

/* ---- the overview ---- */

static void add_record(JsonBuilder *b, const wa_cor_kind *k, const bw_record *rec)
{
	JsonObject *o = wa_record_object(rec->value);
	wa_cor_view(k, o);
	json_builder_set_member_name(b, "revision");
	json_builder_add_int_value(b, rec->revision);
	json_builder_set_member_name(b, "record");
	json_builder_add_value(b, json_node_init_object(json_node_alloc(), o));
	json_object_unref(o);
}

static void add_item(JsonBuilder *b, const wa_cor_kind *k, const bw_record *rec)
{
	const char *id = rec->key + strlen(k->prefix);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "id");
	if (k->flags & WA_COR_NUMERIC)
		json_builder_add_int_value(b, (gint64) g_ascii_strtoull(id, NULL, 10));
	else
		json_builder_add_string_value(b, id);
	add_record(b, k, rec);
	json_builder_end_object(b);
}

/* A kind's records as an array; a singleton as {revision, record}, or
 * null when its defaults are in force. */
static void add_kind(JsonBuilder *b, const wa_cor_kind *k, GPtrArray *recs)
{
	json_builder_set_member_name(b, k->member);
	if (!(k->flags & WA_COR_SINGLE))
		json_builder_begin_array(b);
	gboolean found = FALSE;
	for (guint i = 0; i < recs->len; i++) {
		const bw_record *rec = recs->pdata[i];
		if (!g_str_has_prefix(rec->key, k->prefix) || !wa_cor_id_ok(k, rec->key + strlen(k->prefix)))
			continue;
		if (!(k->flags & WA_COR_SINGLE)) {
			add_item(b, k, rec);
		} else if (!found) {
			json_builder_begin_object(b);
			add_record(b, k, rec);
			json_builder_end_object(b);
		}
		found = TRUE;
	}
	if (!(k->flags & WA_COR_SINGLE))
		json_builder_end_array(b);
	else if (!found)
		json_builder_add_null_value(b);
}

/* The fraud limits (saved or the configuration's) and the default zone. */
static void add_settings(JsonBuilder *b, const cor_admin_v1 *svc)
{
	wa_cor_limits_add(b, svc);
	char *zone = svc->zone();
	json_builder_set_member_name(b, "timezone");
	json_builder_add_string_value(b, zone);
	g_free(zone);
}

static void add_service(JsonBuilder *b, const cor_admin_v1 *svc)
{
	const char *override = NULL, *period = NULL;
	svc->service(&override, &period);
	json_builder_set_member_name(b, "service");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "override");
	json_builder_add_string_value(b, override);
	json_builder_set_member_name(b, "period");
	json_builder_add_string_value(b, period);
	json_builder_end_object(b);
}

static wa_resp *cor_overview(const cor_admin_v1 *svc)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "available");
	json_builder_add_boolean_value(b, svc != NULL);
	if (!svc) {
		json_builder_set_member_name(b, "message");
		json_builder_add_string_value(b, NO_COR);
	} else {
		GError *err = NULL;
		GPtrArray *recs = bw_store_list(bw_store_system(), "cor/", &err);
		if (!recs) {
			g_object_unref(b);
			return wa_store_error(err, "the CoR records");
		}
		add_service(b, svc);
		add_settings(b, svc);
		guint n = 0;
		const wa_cor_kind *kinds = wa_cor_kinds(&n);
		for (guint i = 0; i < n; i++)
			add_kind(b, &kinds[i], recs);
		g_ptr_array_unref(recs);
	}
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

static wa_resp *cor_service_set(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gboolean bad = FALSE;
	const char *mode = wa_json_str(in, "mode", &bad);
	static const char *const modes[] = { "day", "night1", "night2", "auto", NULL };
	wa_resp *resp;
	if (bad || !mode || !g_strv_contains(modes, mode)) {
		resp = wa_resp_error1(400, "mode", "one of day, night1, night2, auto");
	} else {
		char *actor = wa_actor(s);
		GError *err = NULL;
		if (svc->service_set(mode, actor, &err)) {   /* the module audits it */
			JsonBuilder *b = json_builder_new();
			json_builder_begin_object(b);
			add_service(b, svc);
			json_builder_end_object(b);
			resp = wa_resp_new(200);
			wa_resp_json(resp, b);
		} else {
			resp = wa_resp_error1(409, NULL, err->message);
			g_error_free(err);
		}
		g_free(actor);
	}
	json_object_unref(in);
	return resp;
}

/* The explanation's "key: value" lines, and its verdict word. */
static void explain_lines(JsonBuilder *b, const char *text)
{
	char **lines = g_strsplit(text, "\n", 64);
	char *verdict = NULL;
	json_builder_set_member_name(b, "lines");
	json_builder_begin_array(b);
	for (guint i = 0; lines[i]; i++) {
		char *sep = strstr(lines[i], ": ");
		if (!*lines[i])
			continue;
		if (sep)
			*sep = '\0';
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "key");
		json_builder_add_string_value(b, sep ? lines[i] : "");
		json_builder_set_member_name(b, "value");
		json_builder_add_string_value(b, sep ? sep + 2 : lines[i]);
		json_builder_end_object(b);
		if (sep && !verdict && strcmp(lines[i], "verdict") == 0)
			verdict = g_strndup(sep + 2, strcspn(sep + 2, " "));
	}
	json_builder_end_array(b);
	json_builder_set_member_name(b, "verdict");
	if (verdict)
		json_builder_add_string_value(b, verdict);
	else
		json_builder_add_null_value(b);
	g_free(verdict);
	g_strfreev(lines);
}

/* The arguments in the body: a number typed with an account code and its
 * PIN must not land in URLs, lighttpd's log or the browser's history. */
static wa_resp *explain_method(const wa_req *r)
{
	if (strcmp(r->method, "POST") == 0)
		return NULL;
	wa_resp *resp = wa_resp_error1(405, NULL, "POST the caller and the number as JSON "
				       "{\"caller\", \"number\"}: a number can carry an account "
				       "code's PIN, which must not travel in a URL");
	wa_resp_header(resp, "Allow", "POST");
	return resp;
}

static wa_resp *cor_explain(const cor_admin_v1 *svc, const wa_req *r)
{
	wa_resp *resp = explain_method(r);
	if (resp)
		return resp;
	const char *why = NULL;
	JsonObject *in = wa_req_json(r, &why);
	if (!in)
		return wa_resp_error1(400, NULL, why);
	gboolean bad_caller = FALSE, bad_number = FALSE;
	const char *caller = wa_json_str(in, "caller", &bad_caller);
	const char *number = wa_json_str(in, "number", &bad_number);
	if (bad_caller || bad_number) {
		json_object_unref(in);
		return wa_resp_error1(400, bad_caller ? "caller" : "number", "must be a string");
	}
	const char *field = NULL;
	GError *err = NULL;
	char *text = svc->explain(caller ? caller : "", number ? number : "", &field, &err);
	if (!text) {
		resp = wa_resp_error1(field ? 400 : 409, field, err->message);
		g_error_free(err);
	} else {
		JsonBuilder *b = json_builder_new();
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "text");
		json_builder_add_string_value(b, text);
		explain_lines(b, text);
		json_builder_end_object(b);
		resp = wa_resp_new(200);
		wa_resp_json(resp, b);
		g_free(text);
	}
	json_object_unref(in);
	return resp;
}

wa_resp *wa_api_cor(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void) c;
	const cor_admin_v1 *svc = cor_svc();
	if (!*rest || strcmp(rest, "/") == 0) {
		if (strcmp(r->method, "GET") == 0)
			return cor_overview(svc);
		return wa_resp_method("GET");
	}
	if (!svc)
		return wa_resp_error1(503, NULL, NO_COR);
	const char *p = rest + 1;
	if (strcmp(p, "explain") == 0)
		return cor_explain(svc, r);
	if (strcmp(p, "limits") == 0)
		return wa_cor_limits(svc, s, r);
	if (strcmp(p, "service") == 0) {
		if (strcmp(r->method, "POST") == 0)
			return cor_service_set(svc, s, r);
		return wa_resp_method("POST");
	}
	return wa_cor_item(svc, s, r, p);
}
