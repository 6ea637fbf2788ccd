/* Requests and responses of the webadmin API, without I/O: FastCGI
 * parameters -> wa_req, JSON bodies -> objects, errors -> JSON bodies.
 * Everything here takes bytes from the network: bounded, never trusts a
 * length it did not measure, fuzzed by tests/fuzz/fuzz_webadmin.c. */
#include "webadmin.h"
#include <string.h>

static const char *env_get(const char *const *envp, const char *key)
{
	gsize n = strlen(key);
	for (const char *const *e = envp; e && *e; e++)
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* Header values are kept only when short and free of control characters. */
static char *clean_dup(const char *s, gsize max)
{
	if (!s || strlen(s) > max)
		return NULL;
	for (const char *p = s; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return NULL;
	return g_strdup(s);
}

char *wa_cookie_get(const char *header, const char *name)
{
	if (!header || strlen(header) > 8192)
		return NULL;
	gsize n = strlen(name);
	char **parts = g_strsplit(header, ";", 64);
	char *found = NULL;
	for (char **p = parts; *p && !found; p++) {
		const char *c = *p;
		while (*c == ' ' || *c == '\t')
			c++;
		if (strncmp(c, name, n) == 0 && c[n] == '=')
			found = clean_dup(c + n + 1, 256);
	}
	g_strfreev(parts);
	return found;
}

wa_req *wa_req_from_env(const char *const *envp)
{
	wa_req *r = g_new0(wa_req, 1);
	r->method = clean_dup(env_get(envp, "REQUEST_METHOD"), 16);
	const char *uri = env_get(envp, "REQUEST_URI");
	if (uri && strlen(uri) <= WA_PATH_MAX * 4) {
		const char *q = strchr(uri, '?');
		r->path = q ? g_strndup(uri, q - uri) : g_strdup(uri);
		r->query = q ? clean_dup(q + 1, WA_PATH_MAX * 4) : NULL;
	}
	r->remote = clean_dup(env_get(envp, "REMOTE_ADDR"), 64);
	r->sid = wa_cookie_get(env_get(envp, "HTTP_COOKIE"), "bw_session");
	r->csrf = clean_dup(env_get(envp, "HTTP_X_CSRF_TOKEN"), 256);
	r->content_type = clean_dup(env_get(envp, "CONTENT_TYPE"), 256);
	if (!r->method)
		r->method = g_strdup("");
	if (!r->path)
		r->path = g_strdup("");
	if (!r->remote)
		r->remote = g_strdup("unknown");
	return r;
}

void wa_req_free(wa_req *r)
{
	if (!r)
		return;
	g_free(r->method);
	g_free(r->path);
	g_free(r->query);
	g_free(r->remote);
	g_free(r->sid);
	g_free(r->csrf);
	g_free(r->content_type);
	if (r->body)
		g_bytes_unref(r->body);
	g_free(r);
}

gboolean wa_path_ok(const char *path)
{
	gsize n = path ? strlen(path) : 0;
	if (n == 0 || n > WA_PATH_MAX || path[0] != '/' || strstr(path, ".."))
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(path[i]) && !strchr("/_.-", path[i]))
			return FALSE;
	return TRUE;
}

guint wa_json_depth(const char *text, gsize len)
{
	guint depth = 0, max = 0;
	gboolean in_str = FALSE, esc = FALSE;
	for (gsize i = 0; i < len; i++) {
		char ch = text[i];
		if (in_str) {
			if (esc)
				esc = FALSE;
			else if (ch == '\\')
				esc = TRUE;
			else if (ch == '"')
				in_str = FALSE;
		} else if (ch == '"') {
			in_str = TRUE;
		} else if (ch == '[' || ch == '{') {
			if (++depth > max)
				max = depth;
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		}
	}
	return max;
}

JsonObject *wa_req_json(const wa_req *r, const char **why)
{
	gsize len = 0;
	const char *data = r->body ? g_bytes_get_data(r->body, &len) : NULL;
	if (!data || len == 0) {
		*why = "the request needs a JSON object as its body";
		return NULL;
	}
	if (len > WA_BODY_MAX) {
		*why = "the body is larger than 1 MiB";
		return NULL;
	}
	if (wa_json_depth(data, len) > WA_JSON_DEPTH || !g_utf8_validate(data, len, NULL)) {
		*why = "the body is not valid JSON (UTF-8, nested at most 32 deep)";
		return NULL;
	}
	JsonParser *p = json_parser_new_immutable();
	JsonObject *o = NULL;
	if (json_parser_load_from_data(p, data, (gssize)len, NULL)) {
		JsonNode *root = json_parser_get_root(p);
		if (root && JSON_NODE_HOLDS_OBJECT(root))
			o = json_object_ref(json_node_get_object(root));
	}
	g_object_unref(p);
	if (!o)
		*why = "the body is not a JSON object";
	return o;
}

wa_resp *wa_resp_new(guint status)
{
	wa_resp *r = g_new0(wa_resp, 1);
	r->status = status;
	r->headers = g_ptr_array_new_with_free_func(g_free);
	return r;
}

wa_resp *wa_resp_defer(void (*work)(void *), wa_resp *(*finish)(void *),
		       void (*free_fn)(void *), void *data)
{
	wa_resp *r = wa_resp_new(0);
	r->defer = g_new0(wa_defer, 1);
	r->defer->work = work;
	r->defer->finish = finish;
	r->defer->free = free_fn;
	r->defer->data = data;
	return r;
}

void wa_defer_free(wa_defer *d)
{
	if (!d)
		return;
	if (d->free)
		d->free(d->data);
	g_free(d);
}

void wa_resp_free(wa_resp *r)
{
	if (!r)
		return;
	wa_defer_free(r->defer);
	g_free(r->body);
	g_ptr_array_unref(r->headers);
	g_free(r);
}

void wa_resp_header(wa_resp *r, const char *name, const char *value)
{
	g_ptr_array_add(r->headers, g_strdup_printf("%s: %s", name, value));
}

void wa_json_add_str(JsonBuilder *b, const char *name, const char *v)
{
	json_builder_set_member_name(b, name);
	if (v)
		json_builder_add_string_value(b, v);
	else
		json_builder_add_null_value(b);
}

void wa_resp_json(wa_resp *r, JsonBuilder *b)
{
	JsonNode *root = json_builder_get_root(b);
	g_free(r->body);
	r->body = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
}

wa_resp *wa_resp_error(guint status, const char *msg, GHashTable *fields)
{
	wa_resp *r = wa_resp_new(status);
	JsonBuilder *b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "error");
	json_builder_add_string_value(b, msg);
	json_builder_set_member_name(b, "fields");
	json_builder_begin_object(b);
	if (fields) {
		GList *keys = g_list_sort(g_hash_table_get_keys(fields), (GCompareFunc)strcmp);
		for (GList *k = keys; k; k = k->next) {
			json_builder_set_member_name(b, k->data);
			json_builder_add_string_value(b, g_hash_table_lookup(fields, k->data));
		}
		g_list_free(keys);
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	wa_resp_json(r, b);
	return r;
}

wa_resp *wa_resp_error1(guint status, const char *field, const char *msg)
{
	if (!field)
		return wa_resp_error(status, msg, NULL);
	GHashTable *f = g_hash_table_new(g_str_hash, g_str_equal);
	g_hash_table_insert(f, (char *)field, (char *)msg);
	wa_resp *r = wa_resp_error(status, msg, f);
	g_hash_table_unref(f);
	return r;
}

const char *wa_status_text(guint status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default:  return "Error";
	}
}
