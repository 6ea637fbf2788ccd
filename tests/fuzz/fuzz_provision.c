/* libFuzzer harness for the XML provisioning import (core/provision.c):
 * arbitrary bytes as a provisioning file through bw_provision_parse, the
 * store-less parse + validate step of bw_store_import_xml. A refusal must
 * carry a "provision: NAME:" message; an acceptance must give unique,
 * valid keys, values within the limit, and survive a round trip through
 * the base64 form an export would write. */
#include <stdint.h>
#include <string.h>
#include "storeint.h"

#define FUZZ_VALUE_MAX 4096          /* small, so the limit is reached */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *to_xml(GPtrArray *recs)
{
	GString *x = g_string_new("<provisioning>\n");
	for (guint i = 0; i < recs->len; i++) {
		const bw_provision_record *r = recs->pdata[i];
		gsize n = 0;
		const guchar *d = g_bytes_get_data(r->value, &n);
		char *b64 = g_base64_encode(d, n);
		/* keys are printable ASCII; only these need escaping in an attribute */
		char *key = g_markup_escape_text(r->key, -1);
		g_string_append_printf(x, "<record key=\"%s\" encoding=\"base64\">%s</record>\n",
				       key, b64);
		g_free(key);
		g_free(b64);
	}
	g_string_append(x, "</provisioning>\n");
	return g_string_free(x, FALSE);
}

static void check_accepted(GPtrArray *recs)
{
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (guint i = 0; i < recs->len; i++) {
		const bw_provision_record *r = recs->pdata[i];
		g_assert_true(bw_store_key_valid(r->key, NULL));
		g_assert_true(g_hash_table_add(seen, r->key));
		g_assert_cmpuint(g_bytes_get_size(r->value), <=, FUZZ_VALUE_MAX);
		g_assert_cmpint(r->line, >=, 1);
	}
	g_hash_table_destroy(seen);
	char *xml = to_xml(recs);
	GPtrArray *again = NULL;
	GError *err = NULL;
	if (!bw_provision_parse(xml, strlen(xml), "roundtrip", FUZZ_VALUE_MAX, &again, &err))
		g_error("fuzz_provision: the re-encoded records were refused: %s", err->message);
	g_assert_cmpuint(again->len, ==, recs->len);
	for (guint i = 0; i < recs->len; i++) {
		const bw_provision_record *a = recs->pdata[i], *b = again->pdata[i];
		g_assert_cmpstr(a->key, ==, b->key);
		g_assert_true(g_bytes_equal(a->value, b->value));
	}
	g_ptr_array_unref(again);
	g_free(xml);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	GPtrArray *recs = NULL;
	GError *err = NULL;
	if (bw_provision_parse((const char *)data, size, "fuzz.xml", FUZZ_VALUE_MAX, &recs, &err)) {
		g_assert_no_error(err);
		check_accepted(recs);
		g_ptr_array_unref(recs);
	} else {
		g_assert_null(recs);
		if (!err || !g_str_has_prefix(err->message, "provision: fuzz.xml"))
			g_error("fuzz_provision: refused without a proper message: %s",
				err ? err->message : "(no error)");
		g_clear_error(&err);
	}
	return 0;
}
