/* /api/certificates: the certificate every listener serves (GET) and its
 * replacement without a restart (POST), through the core's
 * bw_tls_cert_install (bulwark/tls.h), which checks, stores, swaps,
 * audits and publishes tls.certificate.changed.
 *
 * POST {"format":"pem","certificate","key"?,"chain"?,"key_password"?} or
 * {"format":"pkcs12","data":"<base64 DER>","password"?}, optionally
 * "replaces": the fingerprint the administrator saw (409 when another
 * one was installed meanwhile, so two administrators cannot silently
 * replace each other's) and "check": true (checks only, nothing
 * installed). 200 with the details and warnings, or 422 with the message
 * next to the field at fault. Passwords and keys are never answered,
 * logged or audited. */
#include "webadmin.h"
#include <bulwark/tls.h>
#include <string.h>

#define CERT_PASSWORD_MAX 1024
#define CERT_B64_MAX (BW_TLS_UPLOAD_MAX / 3 * 4 + 4096)   /* with line breaks */

static void add_strv(JsonBuilder *b, const char *name, char **v)
{
	json_builder_set_member_name(b, name);
	json_builder_begin_array(b);
	for (char **s = v; s && *s; s++)
		json_builder_add_string_value(b, *s);
	json_builder_end_array(b);
}

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

static void add_bool(JsonBuilder *b, const char *name, gboolean v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_boolean_value(b, v);
}

static void cert_view_add(JsonBuilder *b, const bw_tls_cert_info *i)
{
	json_builder_begin_object(b);
	wa_json_add_str(b, "subject", i->subject);
	wa_json_add_str(b, "common_name", i->common_name);
	add_strv(b, "san", i->san);
	wa_json_add_str(b, "issuer", i->issuer);
	wa_json_add_str(b, "serial", i->serial);
	add_int(b, "not_before", i->not_before);
	add_int(b, "not_after", i->not_after);
	add_int(b, "days_left", i->days_left);
	wa_json_add_str(b, "key_type", i->key_type);
	add_int(b, "key_bits", i->key_bits);
	wa_json_add_str(b, "fingerprint_sha256", i->fingerprint);
	add_bool(b, "self_signed", i->self_signed);
	add_bool(b, "generated", i->generated);
	wa_json_add_str(b, "source", i->source);
	add_int(b, "chain_length", i->chain_length);
	add_strv(b, "warnings", i->warnings);
	json_builder_end_object(b);
}

/* {"certificate": {...}, "installed": bool} */
static wa_resp *cert_view(const bw_tls_cert_info *i, gboolean installed)
{
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "certificate");
	cert_view_add(b, i);
	add_bool(b, "installed", installed);
	json_builder_end_object(b);
	wa_resp *r = wa_resp_new(200);
	wa_resp_json(r, b);
	return r;
}

static wa_resp *cert_get(void)
{
	GError *err = NULL;
	bw_tls_cert_info *i = bw_tls_cert_current(&err);
	if (!i) {
		wa_resp *r = wa_resp_error1(503, NULL, err->message);
		g_error_free(err);
		return r;
	}
	wa_resp *r = cert_view(i, FALSE);
	bw_tls_cert_info_free(i);
	return r;
}

/* ---- the upload ---- */

typedef struct {
	GHashTable *errs;       /* field -> message (static text) */
	GBytes *p12;
	bw_tls_upload up;
	const char *replaces;
	gboolean check;
} cert_in;

static const char *const known_pem[] = { "format", "certificate", "key", "chain", "key_password",
					 "replaces", "check", NULL };
static const char *const known_p12[] = { "format", "data", "password", "replaces", "check", NULL };

static const char *str_field(cert_in *in, JsonObject *o, const char *f, gsize max,
			     const char *too_long)
{
	gboolean bad = FALSE;
	const char *v = wa_json_str(o, f, &bad);
	if (bad)
		g_hash_table_insert(in->errs, (char *)f, "must be a string");
	else if (v && strlen(v) > max)
		g_hash_table_insert(in->errs, (char *)f, (char *)too_long);
	else
		return v;
	return NULL;
}

static gboolean b64_ok(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("+/=\r\n ", *s))
			return FALSE;
	return TRUE;
}

static void cert_in_p12(cert_in *in, JsonObject *o)
{
	const char *data = str_field(in, o, "data", CERT_B64_MAX, "larger than 256 KiB: not a PKCS#12 file");
	in->up.password = str_field(in, o, "password", CERT_PASSWORD_MAX, "at most 1024 characters");
	if (g_hash_table_contains(in->errs, "data"))
		return;
	if (!data || !*data) {
		g_hash_table_insert(in->errs, "data", "choose the PKCS#12 file (.p12 or .pfx)");
		return;
	}
	if (!b64_ok(data)) {
		g_hash_table_insert(in->errs, "data", "not base64: the page sends the file's bytes in base64");
		return;
	}
	gsize len = 0;
	guchar *raw = g_base64_decode(data, &len);
	in->p12 = g_bytes_new_take(raw, len);
	in->up.pkcs12 = in->p12;
}

static void cert_in_pem(cert_in *in, JsonObject *o)
{
	static const char big[] = "larger than 256 KiB: not a certificate file";
	in->up.certificate = str_field(in, o, "certificate", BW_TLS_UPLOAD_MAX, big);
	in->up.key = str_field(in, o, "key", BW_TLS_UPLOAD_MAX, big);
	in->up.chain = str_field(in, o, "chain", BW_TLS_UPLOAD_MAX, big);
	in->up.key_password = str_field(in, o, "key_password", CERT_PASSWORD_MAX,
					"at most 1024 characters");
	if (!g_hash_table_contains(in->errs, "certificate") && (!in->up.certificate || !*in->up.certificate))
		g_hash_table_insert(in->errs, "certificate",
				    "paste or choose the certificate (PEM, \"-----BEGIN CERTIFICATE-----\")");
}

static void cert_in_read(cert_in *in, JsonObject *o)
{
	gboolean bad = FALSE;
	const char *format = wa_json_str(o, "format", &bad);
	gboolean p12 = g_strcmp0(format, "pkcs12") == 0;
	if (bad || (!p12 && g_strcmp0(format, "pem") != 0)) {
		g_hash_table_insert(in->errs, "format", "one of pem, pkcs12");
		return;
	}
	GList *members = json_object_get_members(o);
	for (GList *m = members; m; m = m->next)
		if (!g_strv_contains(p12 ? known_p12 : known_pem, m->data))
			g_hash_table_insert(in->errs, m->data, "unknown field");
	g_list_free(members);
	in->replaces = str_field(in, o, "replaces", 128, "a SHA-256 fingerprint");
	JsonNode *chk = json_object_get_member(o, "check");
	if (chk && (!JSON_NODE_HOLDS_VALUE(chk) || json_node_get_value_type(chk) != G_TYPE_BOOLEAN))
		g_hash_table_insert(in->errs, "check", "true or false");
	else
		in->check = chk && json_node_get_boolean(chk);
	if (p12)
		cert_in_p12(in, o);
	else
		cert_in_pem(in, o);
}

static const char *cert_field(int code, gboolean p12)
{
	switch (code) {
	case BW_TLS_UPLOAD_CERTIFICATE: return p12 ? "data" : "certificate";
	case BW_TLS_UPLOAD_KEY:         return "key";
	case BW_TLS_UPLOAD_CHAIN:       return "chain";
	case BW_TLS_UPLOAD_KEY_PASSWORD: return "key_password";
	case BW_TLS_UPLOAD_PKCS12:      return "data";
	case BW_TLS_UPLOAD_PASSWORD:    return "password";
	default:                        return NULL;
	}
}

static wa_resp *cert_refused(GError *err, gboolean p12)
{
	wa_resp *r;
	if (err->domain == BW_TLS_UPLOAD_ERROR && cert_field(err->code, p12))
		r = wa_resp_error1(422, cert_field(err->code, p12), err->message);
	else
		r = wa_resp_error1(409, NULL, err->message);   /* checked, but not installable */
	g_error_free(err);
	return r;
}

/* Someone else installed one since this administrator looked? */
static wa_resp *cert_conflict(const char *replaces)
{
	if (!replaces)
		return NULL;
	bw_tls_cert_info *cur = bw_tls_cert_current(NULL);
	wa_resp *r = NULL;
	if (cur && g_ascii_strcasecmp(cur->fingerprint, replaces) != 0) {
		char *msg = g_strdup_printf("the certificate was replaced meanwhile (now SHA-256 %s); "
					    "reload the page and try again", cur->fingerprint);
		r = wa_resp_error1(409, "replaces", msg);
		g_free(msg);
	}
	bw_tls_cert_info_free(cur);
	return r;
}

static wa_resp *cert_apply(wa_sess *s, cert_in *in)
{
	wa_resp *r = cert_conflict(in->replaces);
	if (r)
		return r;
	GError *err = NULL;
	char *actor = wa_actor(s);
	bw_tls_cert_info *i = in->check ? bw_tls_cert_check(&in->up, &err)
					: bw_tls_cert_install(&in->up, actor, &err);
	if (!i) {
		g_free(actor);
		return cert_refused(err, in->p12 != NULL);
	}
	r = cert_view(i, !in->check);
	bw_tls_cert_info_free(i);
	g_free(actor);
	return r;
}

static wa_resp *cert_post(wa_sess *s, const wa_req *r)
{
	const char *why = NULL;
	JsonObject *o = wa_req_json(r, &why);
	if (!o)
		return wa_resp_error1(400, NULL, why);
	cert_in in = { .errs = g_hash_table_new(g_str_hash, g_str_equal) };
	cert_in_read(&in, o);
	wa_resp *resp = g_hash_table_size(in.errs)
		? wa_resp_error(422, "some fields are not valid", in.errs)
		: cert_apply(s, &in);
	g_hash_table_unref(in.errs);
	if (in.p12)
		g_bytes_unref(in.p12);   /* the DER holds the key: GBytes frees, json-glib keeps the text */
	json_object_unref(o);
	return resp;
}

wa_resp *wa_api_certificates(const wa_conf *c, wa_sess *s, const wa_req *r, const char *rest)
{
	(void)c;
	if (*rest)
		return wa_resp_error1(404, NULL, "no such API resource");
	if (strcmp(r->method, "GET") == 0)
		return cert_get();
	if (strcmp(r->method, "POST") == 0)
		return cert_post(s, r);
	return wa_resp_method("GET, POST");
}
