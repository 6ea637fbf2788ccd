/* Unit tests of XML provisioning: export/import round trip (text and
 * base64 values), audit of each change, errors naming file:line and key,
 * XXE/DTD refusal, and all-or-nothing imports; the store-less parser
 * (bw_provision_parse) on buffers. */
#include <string.h>
#include "testutil.h"
#include "storeint.h"

typedef struct fx {
	char     *dir;
	bw_store *s;
	bw_store *t;                          /* a second, empty store */
} fx;

static bw_store *open_in(const char *dir, const char *name, gsize max)
{
	GError *err = NULL;
	char *sub = g_build_filename(dir, name, NULL);
	g_assert_cmpint(g_mkdir_with_parents(sub, 0700), ==, 0);
	char *path = g_build_filename(sub, "store.db", NULL);
	bw_store *s = bw_store_open(path, max, &err);
	g_assert_no_error(err);
	g_free(path);
	g_free(sub);
	return s;
}

static void fx_setup(fx *f, gconstpointer data)
{
	f->dir = bw_test_tmpdir();
	f->s = open_in(f->dir, "a", 64);
	f->t = open_in(f->dir, "b", 64);
}

static void fx_teardown(fx *f, gconstpointer data)
{
	bw_store_close(f->s);
	bw_store_close(f->t);
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

static char *write_file(fx *f, const char *name, const char *text)
{
	char *p = g_build_filename(f->dir, name, NULL);
	g_assert_true(g_file_set_contents(p, text, -1, NULL));
	return p;
}

static const struct { const char *key; const char *v; gsize len; } values[] = {
	{ "ext/100", "alice", 5 },
	{ "ext/101", "  leading and trailing  ", 24 },
	{ "ext/102", "<tag attr=\"x\">&amp; ]]> '", 25 },
	{ "ext/103", "caf\xc3\xa9 \xe2\x82\xac", 9 },
	{ "ext/104", "line1\nline2\ttab", 15 },
	{ "ext/105", "", 0 },
	{ "bin/1", "\0\1\2\xff", 4 },
	{ "bin/2", "cr\r\nlf", 6 },
	{ "bin/3", "bad utf8 \xc3", 10 },
	{ "bin/4", "   ", 3 },
};

static void test_round_trip(fx *f, gconstpointer data)
{
	GError *err = NULL;
	for (gsize i = 0; i < G_N_ELEMENTS(values); i++)
		g_assert_cmpint(bw_store_put(f->s, values[i].key, values[i].v, values[i].len,
					     BW_STORE_ANY, &err), >, 0);
	char *xml = bw_store_export_xml(f->s, "", &err);
	g_assert_no_error(err);
	g_test_message("%s", xml);
	g_assert_nonnull(strstr(xml, "<record key=\"ext/100\">alice</record>"));
	g_assert_nonnull(strstr(xml, "<record key=\"bin/1\" encoding=\"base64\">AAEC/w==</record>"));
	g_assert_nonnull(strstr(xml, "key=\"bin/2\" encoding=\"base64\""));
	g_assert_nonnull(strstr(xml, "key=\"bin/3\" encoding=\"base64\""));
	g_assert_null(strstr(xml, "key=\"ext/103\" encoding"));
	char *file = write_file(f, "export.xml", xml);
	guint count = 0;
	g_assert_true(bw_store_import_xml(f->t, file, "admin", &count, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(count, ==, G_N_ELEMENTS(values));
	for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
		GBytes *v = NULL;
		g_assert_true(bw_store_get(f->t, values[i].key, &v, NULL, &err));
		g_assert_cmpmem(g_bytes_get_data(v, NULL), g_bytes_get_size(v),
				values[i].v, values[i].len);
		g_bytes_unref(v);
	}
	/* each change audited, the chain intact */
	GPtrArray *a = bw_audit_list(f->t, 0, &err);
	g_assert_cmpuint(a->len, ==, G_N_ELEMENTS(values));
	g_assert_nonnull(strstr(a->pdata[0], " admin store.import bin/1 export.xml:"));
	g_ptr_array_unref(a);
	g_assert_true(bw_audit_verify(f->t, NULL, &err));
	/* a second import changes nothing and audits nothing */
	g_assert_true(bw_store_import_xml(f->t, file, "admin", &count, &err));
	g_assert_cmpuint(count, ==, 0);
	g_assert_cmpint(bw_store_revision(f->t), ==, G_N_ELEMENTS(values));
	/* export by prefix */
	char *only = bw_store_export_xml(f->s, "ext/10", &err);
	g_assert_nonnull(strstr(only, "ext/105"));
	g_assert_null(strstr(only, "bin/"));
	g_free(only);
	g_free(file);
	g_free(xml);
}

static void import_fails(fx *f, const char *text, int code, const char *where,
			 const char *what)
{
	char *file = write_file(f, "in.xml", text);
	GError *err = NULL;
	guint count = 7;
	gint64 rev = bw_store_revision(f->s);
	g_assert_false(bw_store_import_xml(f->s, file, "admin", &count, &err));
	g_assert_error(err, BW_STORE_ERROR, code);
	g_test_message("import error: %s", err->message);
	char *loc = g_strdup_printf("%s:%s", file, where);
	g_assert_nonnull(strstr(err->message, loc));
	if (what)
		g_assert_nonnull(strstr(err->message, what));
	g_assert_cmpuint(count, ==, 0);
	g_assert_cmpint(bw_store_revision(f->s), ==, rev);
	g_clear_error(&err);
	g_free(loc);
	g_free(file);
}

static void test_errors(fx *f, gconstpointer data)
{
	import_fails(f, "<provisioning>\n<record key=\"a\">x</record>\n\n<record key=\"b\">y</recrd>\n"
		     "</provisioning>\n", BW_STORE_ERROR_INVALID, "4:", NULL);
	import_fails(f, "<provisioning>\n<record key=\"a\">x</record>\n<record key=\"bad key\">y</record>\n"
		     "</provisioning>\n", BW_STORE_ERROR_INVALID, "3:", "'bad key'");
	import_fails(f, "<provisioning>\n<record key=\"a/\">y</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "2:", "'a/'");
	import_fails(f, "<provisioning>\n<record>y</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "2:", "without a key");
	import_fails(f, "<provisioning>\n<entry key=\"a\">y</entry>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "2:", "<entry>");
	import_fails(f, "<provisioning>\n<record key=\"a\">y</record>\n<record key=\"a\">z</record>\n"
		     "</provisioning>\n", BW_STORE_ERROR_INVALID, "3:", "appears twice");
	import_fails(f, "<provisioning>\n<record key=\"a\" encoding=\"hex\">00</record>\n"
		     "</provisioning>\n", BW_STORE_ERROR_INVALID, "2:", "encoding");
	import_fails(f, "<provisioning>\n<record key=\"a\" encoding=\"base64\">!!!!</record>\n"
		     "</provisioning>\n", BW_STORE_ERROR_INVALID, "2:", "base64");
	import_fails(f, "<provisioning>\n<record key=\"a\"><b/>y</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "2:", "only text");
	import_fails(f, "<config/>\n", BW_STORE_ERROR_INVALID, "1:", "<provisioning>");
	import_fails(f, "", BW_STORE_ERROR_INVALID, "", NULL);
}

static void test_xxe(fx *f, gconstpointer data)
{
	import_fails(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		     "<provisioning>\n<record key=\"a\">&x;</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "", "DTD");
	import_fails(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE p [<!ENTITY a \"aaaaaaaaaa\">"
		     "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n"
		     "<provisioning>\n<record key=\"a\">&c;</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "", NULL);
	import_fails(f, "<!DOCTYPE provisioning [<!ENTITY x \"hello\">]>\n"
		     "<provisioning>\n<record key=\"a\">&x;</record>\n</provisioning>\n",
		     BW_STORE_ERROR_INVALID, "1:", "a DTD is not allowed");
	/* the DOCTYPE's own line, even after a long prolog */
	import_fails(f, "<?xml version=\"1.0\"?>\n<!-- a -->\n\n<!DOCTYPE provisioning>\n"
		     "<provisioning/>\n", BW_STORE_ERROR_INVALID, "4:", "a DTD is not allowed");
	g_assert_false(bw_store_get(f->s, "a", NULL, NULL, NULL));
}

static void test_atomic(fx *f, gconstpointer data)
{
	GError *err = NULL;
	g_assert_cmpint(bw_store_put(f->s, "ext/1", "old", 3, BW_STORE_ANY, &err), ==, 1);
	/* validation: the too-large 4th record stops everything */
	char *big = g_strnfill(65, 'x');
	char *text = g_strdup_printf("<provisioning>\n<record key=\"ext/1\">new</record>\n"
				     "<record key=\"ext/2\">b</record>\n<record key=\"ext/3\">c</record>\n"
				     "<record key=\"ext/4\">%s</record>\n</provisioning>\n", big);
	import_fails(f, text, BW_STORE_ERROR_TOO_LARGE, "5:", "'ext/4'");
	/* inside the transaction: the audit append fails after the first put */
	char *file = write_file(f, "ok.xml", "<provisioning>\n<record key=\"ext/1\">new</record>\n"
				"<record key=\"ext/2\">b</record>\n</provisioning>\n");
	char *actor = g_strnfill(300, 'a');
	guint count = 9;
	g_assert_false(bw_store_import_xml(f->s, file, actor, &count, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
	g_assert_cmpuint(count, ==, 0);
	GBytes *v = NULL;
	g_assert_true(bw_store_get(f->s, "ext/1", &v, NULL, &err));
	g_assert_cmpmem(g_bytes_get_data(v, NULL), g_bytes_get_size(v), "old", 3);
	g_bytes_unref(v);
	g_assert_false(bw_store_get(f->s, "ext/2", NULL, NULL, NULL));
	g_assert_cmpint(bw_store_revision(f->s), ==, 1);
	GPtrArray *a = bw_audit_list(f->s, 0, &err);
	g_assert_cmpuint(a->len, ==, 0);
	g_ptr_array_unref(a);
	/* and the same file with a proper actor goes through */
	g_assert_true(bw_store_import_xml(f->s, file, "admin", &count, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(count, ==, 2);
	g_assert_cmpint(bw_store_revision(f->s), ==, 3);
	g_assert_true(bw_audit_verify(f->s, NULL, &err));
	g_free(actor);
	g_free(file);
	g_free(text);
	g_free(big);
}

static void test_missing_file(fx *f, gconstpointer data)
{
	GError *err = NULL;
	char *p = g_build_filename(f->dir, "nope.xml", NULL);
	g_assert_false(bw_store_import_xml(f->s, p, "admin", NULL, &err));
	g_assert_nonnull(strstr(err->message, p));
	g_clear_error(&err);
	g_free(p);
}

/* The parser alone: records in file order, decoded, with their lines. */
static void test_parse_buffer(void)
{
	static const char text[] = "<provisioning>\n<!-- c -->\n<record key=\"ext/1\">a&amp;b"
		"</record>\n<record key=\"bin/1\" encoding=\"base64\">AAEC/w==</record>\n"
		"<record key=\"e\"/>\n</provisioning>\n";
	GPtrArray *recs = NULL;
	GError *err = NULL;
	g_assert_true(bw_provision_parse(text, strlen(text), "buf", 0, &recs, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(recs->len, ==, 3);
	const bw_provision_record *r = recs->pdata[0];
	gsize n = 0;
	const char *d = g_bytes_get_data(r->value, &n);
	g_assert_cmpstr(r->key, ==, "ext/1");
	g_assert_cmpint(r->line, ==, 3);
	g_assert_cmpmem(d, n, "a&b", 3);
	r = recs->pdata[1];
	d = g_bytes_get_data(r->value, &n);
	g_assert_cmpmem(d, n, "\0\1\2\xff", 4);
	r = recs->pdata[2];
	g_assert_cmpuint(g_bytes_get_size(r->value), ==, 0);
	g_ptr_array_unref(recs);

	/* its own value limit; the name in messages; not NUL-terminated input */
	g_assert_false(bw_provision_parse(text, strlen(text), "buf", 2, &recs, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_TOO_LARGE);
	g_assert_nonnull(strstr(err->message, "provision: buf:3: key 'ext/1'"));
	g_assert_null(recs);
	g_clear_error(&err);
	g_assert_false(bw_provision_parse(text, 20, "cut", 0, &recs, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_assert_true(g_str_has_prefix(err->message, "provision: cut:"));
	g_clear_error(&err);
	g_assert_false(bw_provision_parse("", 0, "empty", 0, &recs, &err));
	g_assert_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID);
	g_clear_error(&err);
}

#define ADD(name, fn) g_test_add(name, fx, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	ADD("/provision/round-trip", test_round_trip);
	ADD("/provision/errors", test_errors);
	ADD("/provision/xxe", test_xxe);
	ADD("/provision/atomic", test_atomic);
	ADD("/provision/missing-file", test_missing_file);
	g_test_add_func("/provision/parse-buffer", test_parse_buffer);
	return g_test_run();
}
