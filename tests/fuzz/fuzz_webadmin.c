/* libFuzzer harness for the webadmin request handling (wareq.c) and the
 * password policy: the input is FastCGI parameters ("K=V" lines) then an
 * empty line then the body. Exercises parameter and cookie parsing, path
 * checks, the JSON body (size, nesting, UTF-8, object), the error body
 * built from the body's members, and the policy on the "password" member. */
#define _GNU_SOURCE
#include "webadmin.h"
#include <stdint.h>
#include <string.h>

static void fuzz_members(JsonObject *o)
{
	GHashTable *fields = g_hash_table_new(g_str_hash, g_str_equal);
	GList *members = json_object_get_members(o);
	for (GList *m = members; m; m = m->next) {
		JsonNode *n = json_object_get_member(o, m->data);
		if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
			g_hash_table_insert(fields, m->data, (char *)json_node_get_string(n));
			GPtrArray *msgs = g_ptr_array_new_with_free_func(g_free);
			wa_pass_policy(json_node_get_string(n), m->data, msgs);
			g_ptr_array_unref(msgs);
		}
	}
	wa_resp_free(wa_resp_error(400, "fuzz", fields));
	g_list_free(members);
	g_hash_table_unref(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * WA_BODY_MAX)
		return 0;
	const char *split = memmem(data, size, "\n\n", 2);
	gsize head = split ? (gsize)(split - (const char *)data) : size;
	char *h = g_strndup((const char *)data, head);
	char **env = g_strsplit(h, "\n", 256);
	wa_req *r = wa_req_from_env((const char *const *)env);
	if (split)
		r->body = g_bytes_new(split + 2, size - head - 2);
	(void)wa_path_ok(r->path);
	const char *why = NULL;
	JsonObject *o = wa_req_json(r, &why);
	if (o) {
		fuzz_members(o);
		json_object_unref(o);
	}
	wa_req_free(r);
	g_strfreev(env);
	g_free(h);
	return 0;
}
