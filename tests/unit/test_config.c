/* Unit tests of the XML configuration: every kind of bad input yields an
 * error naming FILE:LINE and the element, good input gives the right tree,
 * order and accessors. Module cases use the loader's test modules
 * (tests/unit/modules/.libs/mod_t_*.so) copied into a private module path
 * with fragments written here; they are skipped when not built. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "../../core/config.h"   /* not the autoconf config.h */
#include "testutil.h"

#define HEAD "<bulwark>\n<system name=\"t\" data-dir=\"/tmp\"/>\n"

typedef struct {
	char *dir;              /* private module path */
	const char *mp[2];
	gboolean have_modules;
} Fixture;

/* A fragment that allows transports with listeners (core attributes are
 * stripped before a fragment sees the element, so it need not list them). */
static const char listen_rng[] =
	"<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\">\n"
	"<start><element name=\"module\">\n"
	" <optional><attribute name=\"tag\"/></optional>\n"
	" <zeroOrMore><element name=\"transport\">\n"
	"  <optional><attribute name=\"type\"/></optional>\n"
	"  <attribute name=\"listen\"/><text/></element></zeroOrMore>\n"
	"</element></start></grammar>\n";

static gboolean copy_module(const char *from_dir, const char *to_dir, const char *name)
{
	char *file = g_strdup_printf("mod_%s.so", name);
	char *src = g_build_filename(from_dir, file, NULL);
	char *dst = g_build_filename(to_dir, file, NULL);
	char *buf = NULL;
	gsize len = 0;
	gboolean ok = g_file_get_contents(src, &buf, &len, NULL) &&
		      g_file_set_contents(dst, buf, (gssize)len, NULL);
	g_free(buf);
	g_free(src);
	g_free(dst);
	g_free(file);
	return ok;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(path, text, -1, NULL));
	g_free(path);
}

static void fx_setup(Fixture *f, gconstpointer data)
{
	static const char *const mods[] = { "t_alpha", "t_beta", "t_cycle_a", "t_cycle_b",
					    "t_fail_init", NULL };
	f->dir = bw_test_tmpdir();
	f->mp[0] = f->dir;
	f->mp[1] = NULL;
	char *libs = bw_test_buildpath("tests/unit/modules/.libs");
	f->have_modules = TRUE;
	for (const char *const *m = mods; *m; m++)
		f->have_modules = f->have_modules && copy_module(libs, f->dir, *m);
	g_free(libs);
	write_file(f->dir, "mod_t_alpha.rng", listen_rng);
}

static void fx_teardown(Fixture *f, gconstpointer data)
{
	bw_test_rmtree(f->dir);
	g_free(f->dir);
}

static gboolean need_modules(Fixture *f)
{
	if (!f->have_modules)
		g_test_skip("test modules not built (tests/unit/modules/.libs)");
	return f->have_modules;
}

static bw_config *parse(const char *xml, const char *const *mp, GError **err)
{
	return bw_config_parse(xml, strlen(xml), "test.xml", mp, err);
}

/* The error names the place, the element and (optionally) what. */
static void expect_error(const char *xml, const char *const *mp, int line,
			 const char *element, const char *what)
{
	GError *err = NULL;
	bw_config *c = parse(xml, mp, &err);
	g_assert_null(c);
	g_assert_nonnull(err);
	g_assert_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_INVALID);
	char *where = line > 0 ? g_strdup_printf("test.xml:%d: %s:", line, element)
			       : g_strdup_printf("test.xml: %s:", element);
	if (!strstr(err->message, where) || (what && !strstr(err->message, what)))
		g_error("expected \"%s ... %s\" in:\n%s", where, what ? what : "", err->message);
	g_free(where);
	g_error_free(err);
}

static bw_config *expect_ok(const char *xml, const char *const *mp)
{
	GError *err = NULL;
	bw_config *c = parse(xml, mp, &err);
	if (!c)
		g_error("unexpected error:\n%s", err->message);
	g_assert_no_error(err);
	return c;
}

static const char *const no_dirs[] = { NULL };

/* ---- core schema and XML ---- */

static void test_malformed(void)
{
	expect_error(HEAD "<modules>\n</module>\n</bulwark>\n", no_dirs, 4, "XML",
		     "not well-formed");
	expect_error("", no_dirs, 0, "XML", NULL);
	expect_error("<bulwark>\n<system name=\"&nope;\" data-dir=\"/tmp\"/><modules/></bulwark>",
		     no_dirs, 2, "XML", "nope");
}

static void test_doctype_refused(void)
{
	GError *err = NULL;
	const char *xml = "<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE bulwark [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		"<bulwark><system name=\"&x;\" data-dir=\"/tmp\"/><modules/></bulwark>\n";
	g_assert_null(parse(xml, no_dirs, &err));
	g_assert_nonnull(strstr(err->message, "<!DOCTYPE>"));
	g_assert_null(strstr(err->message, "root:"));   /* nothing of /etc/passwd */
	g_clear_error(&err);
	expect_error("<?xml version=\"1.0\"?>\n<!DOCTYPE bulwark [\n<!ENTITY a \"aaaa\">\n]>\n"
		     "<bulwark><system name=\"&a;\" data-dir=\"/tmp\"/><modules/></bulwark>\n",
		     no_dirs, 2, "<!DOCTYPE>", "not allowed");
}

static void test_unknown_element(void)
{
	expect_error(HEAD "<modules/>\n<alarmz/>\n</bulwark>\n", no_dirs, 4, "<alarmz>",
		     "unexpected element <alarmz>");
	expect_error(HEAD "<modules>\n<plugin name=\"x\"/>\n</modules>\n</bulwark>\n", no_dirs, 4,
		     "<plugin>", "unexpected element");
}

static void test_unknown_attribute(void)
{
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\" colour=\"red\"/>\n"
		     "<modules/></bulwark>", no_dirs, 2, "<system>", "unknown attribute colour");
}

static void test_bad_values(void)
{
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\"\n backup-keep=\"abc\"/>\n"
		     "<modules/></bulwark>", no_dirs, 2, "<system>",
		     "invalid value \"abc\" for attribute backup-keep (expected a whole number from 1 to 100000)");
	expect_error(HEAD "<modules>\n<module name=\"x\" enabled=\"maybe\"/>\n</modules></bulwark>",
		     no_dirs, 4, "<module name=\"x\">",
		     "invalid value \"maybe\" for attribute enabled (expected true | false)");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\" backup-keep=\"100001\"\n"
		     " store-max-value=\"0\"/>\n<modules/></bulwark>", no_dirs, 2, "<system>",
		     "invalid value \"100001\" for attribute backup-keep");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\" store-max-value=\"0\"/>\n"
		     "<modules/></bulwark>", no_dirs, 2, "<system>",
		     "invalid value \"0\" for attribute store-max-value (expected a number of bytes");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"relative/dir\"/>\n<modules/></bulwark>",
		     no_dirs, 2, "<system>", "attribute data-dir");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\" backup-interval=\"1w\"/>\n"
		     "<modules/></bulwark>", no_dirs, 2, "<system>", "attribute backup-interval");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\"/>\n<tls min-version=\"1.1\"/>\n"
		     "<modules/></bulwark>", no_dirs, 3, "<tls>", "attribute min-version");
}

static void test_missing_element(void)
{
	expect_error("<bulwark>\n<modules/>\n</bulwark>", no_dirs, 1, "<bulwark>",
		     "missing element <system>");
	expect_error("<bulwark>\n<system name=\"t\" data-dir=\"/tmp\"/>\n</bulwark>", no_dirs, 1,
		     "<bulwark>", "missing element <modules>");
	expect_error("<bulwark>\n<system name=\"t\"/>\n<modules/></bulwark>", no_dirs, 2,
		     "<system>", "missing attribute data-dir");
	expect_error("<config>\n</config>", no_dirs, 1, "<config>", "bulwark");
}

static void test_size_limit(void)
{
	gsize n = 1024 * 1024 + 1;
	char *big = g_malloc(n);
	memset(big, ' ', n);
	GError *err = NULL;
	g_assert_null(bw_config_parse(big, n, "big.xml", no_dirs, &err));
	g_assert_nonnull(strstr(err->message, "big.xml"));
	g_assert_nonnull(strstr(err->message, "larger than"));
	g_error_free(err);
	g_free(big);
}

static void test_load_file(void)
{
	char *dir = bw_test_tmpdir();
	char *path = g_build_filename(dir, "b.xml", NULL);
	GError *err = NULL;
	g_assert_null(bw_config_load(path, no_dirs, &err));
	g_assert_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_IO);
	g_assert_nonnull(strstr(err->message, path));
	g_clear_error(&err);
	g_assert_true(g_file_set_contents(path, HEAD "<modules>\n<bad/>\n</modules></bulwark>", -1, NULL));
	g_assert_null(bw_config_load(path, no_dirs, &err));
	char *where = g_strdup_printf("%s:4: <bad>:", path);
	g_assert_nonnull(strstr(err->message, where));
	g_clear_error(&err);
	g_assert_true(g_file_set_contents(path, HEAD "<modules/></bulwark>", -1, NULL));
	bw_config *c = bw_config_load(path, no_dirs, &err);
	g_assert_no_error(err);
	g_assert_cmpstr(bw_config_filename(c), ==, path);
	bw_config_unref(c);
	g_free(where);
	g_free(path);
	bw_test_rmtree(dir);
	g_free(dir);
}

/* ---- the default configuration ---- */

/* The shipped default's modules, where the build tree has them. */
static const char *const default_modules[][2] = {
	{ "sip", "modules/sip" }, { "srtp", "modules/srtp" }, { "cor", "modules/cor" },
	{ "webadmin", "modules/webadmin" }, { "cdr-csv", "plugins/cdr-csv" },
};

/* Their .libs directories, or NULL when one of them is not built. */
static GStrv find_default_modules(void)
{
	GStrvBuilder *b = g_strv_builder_new();
	gboolean all = TRUE;
	for (guint i = 0; i < G_N_ELEMENTS(default_modules) && all; i++) {
		char *rel = g_strdup_printf("%s/.libs", default_modules[i][1]);
		char *dir = bw_test_buildpath(rel);
		char *file = g_strdup_printf("mod_%s.so", default_modules[i][0]);
		char *so = g_build_filename(dir, file, NULL);
		all = g_file_test(so, G_FILE_TEST_IS_REGULAR);
		g_strv_builder_add(b, dir);
		g_free(rel), g_free(dir), g_free(file), g_free(so);
	}
	GStrv dirs = g_strv_builder_end(b);
	g_strv_builder_unref(b);
	if (!all)
		g_clear_pointer(&dirs, g_strfreev);
	return dirs;
}

static void check_default_system(bw_config *c)
{
	g_assert_cmpstr(bw_config_system_name(c), ==, "bulwark");
	g_assert_cmpstr(bw_config_data_dir(c), ==, "/var/lib/bulwark");
	g_assert_cmpstr(bw_config_user(c), ==, "bulwark");
	g_assert_cmpstr(bw_config_log_level(c), ==, "info");
	const bw_conf_node *sys = bw_config_system_node(c);
	g_assert_cmpint(bw_conf_seconds(sys, "backup-interval", 0), ==, 3600);
	g_assert_cmpint(bw_conf_int(sys, "backup-keep", 0), ==, 24);
	g_assert_null(bw_conf_child(bw_config_root(c), "tls"));
}

/* The build tree's modules lock, shared (see tests/integration/bwtest.py
 * ModulesLock: test_sdk_outoftree's install relinks the modules and moves
 * them aside meanwhile); -1 when it cannot be had. */
static int modules_lock_shared(void)
{
	char *path = bw_test_buildpath(".bw-modules.lock");
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	g_free(path);
	if (fd >= 0 && flock(fd, LOCK_SH) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void test_default(void)
{
	int lock = modules_lock_shared();
	GStrv dirs = find_default_modules();
	GError *err = NULL;
	if (dirs) {
		bw_config *c = bw_config_load(NULL, (const char *const *)dirs, &err);
		g_assert_no_error(err);
		g_assert_cmpstr(bw_config_filename(c), ==, "(embedded)");
		check_default_system(c);
		g_assert_cmpuint(bw_config_n_modules(c), ==, G_N_ELEMENTS(default_modules));
		for (guint i = 0; i < G_N_ELEMENTS(default_modules); i++) {
			const bw_module_entry *m = bw_config_find_module(c, default_modules[i][0]);
			g_assert_nonnull(m);
			g_assert_true(m->enabled);
			g_assert_nonnull(strstr(m->so_path, default_modules[i][0]));
		}
		bw_config_unref(c);
		g_strfreev(dirs);
		if (lock >= 0)
			close(lock);
		return;
	}
	if (lock >= 0)
		close(lock);
	g_test_message("a default module is not built: checking the default without its modules");
	GRegex *re = g_regex_new("<modules>.*</modules>", G_REGEX_DOTALL, 0, NULL);
	char *xml = g_regex_replace_literal(re, bw_default_config, -1, 0, "<modules/>", 0, NULL);
	g_assert_nonnull(strstr(bw_default_config, "name=\"cdr-csv\""));
	bw_config *c = bw_config_parse(xml, strlen(xml), "(embedded)", no_dirs, &err);
	g_assert_no_error(err);
	check_default_system(c);
	g_assert_cmpuint(bw_config_n_modules(c), ==, 0);
	bw_config_unref(c);
	g_free(xml);
	g_regex_unref(re);
}

static void test_schema_embedded(void)
{
	g_assert_true(g_str_has_prefix(bw_core_schema, "<?xml"));
	g_assert_nonnull(strstr(bw_core_schema, "<element name=\"bulwark\">"));
}

/* ---- modules ---- */

static void test_unknown_module(Fixture *f, gconstpointer d)
{
	char *what = g_strdup_printf("unknown module nosuch (searched: %s)", f->dir);
	expect_error(HEAD "<modules>\n<module name=\"nosuch\"/>\n</modules></bulwark>", f->mp, 4,
		     "<module name=\"nosuch\">", what);
	g_free(what);
	/* a disabled module need not be installed */
	bw_config_unref(expect_ok(HEAD "<modules>\n<module name=\"nosuch\" enabled=\"false\"/>\n"
				  "</modules></bulwark>", f->mp));
}

static void test_duplicate_module(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\"/>\n<module name=\"t_alpha\"/>\n"
		     "</modules></bulwark>", f->mp, 5, "<module name=\"t_alpha\">",
		     "listed twice (also at line 4)");
}

static void test_missing_dependency(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	expect_error(HEAD "<modules>\n<module name=\"t_beta\"/>\n</modules></bulwark>", f->mp, 4,
		     "<module name=\"t_beta\">",
		     "module t_beta requires module t_alpha, which is not listed in <modules>");
	expect_error(HEAD "<modules>\n<module name=\"t_beta\"/>\n"
		     "<module name=\"t_alpha\" enabled=\"false\"/>\n</modules></bulwark>", f->mp, 4,
		     "<module name=\"t_beta\">",
		     "module t_beta requires module t_alpha, which is disabled at line 5");
	/* a disabled module's requirements do not matter */
	bw_config_unref(expect_ok(HEAD "<modules>\n<module name=\"t_beta\" enabled=\"false\"/>\n"
				  "</modules></bulwark>", f->mp));
}

static void test_cycle(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	expect_error(HEAD "<modules>\n<module name=\"t_cycle_a\"/>\n<module name=\"t_cycle_b\"/>\n"
		     "</modules></bulwark>", f->mp, 4, "<module name=\"t_cycle_a\">",
		     "dependency cycle between modules: t_cycle_a -> t_cycle_b -> t_cycle_a");
}

static void assert_order(bw_config *c, const char *const *names)
{
	guint i = 0;
	for (; names[i]; i++)
		g_assert_cmpstr(bw_config_module(c, i)->name, ==, names[i]);
	g_assert_cmpuint(bw_config_n_modules(c), ==, i);
	g_assert_null(bw_config_module(c, i));
}

static void test_order(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	bw_config *c = expect_ok(HEAD "<modules>\n<module name=\"t_beta\"/>\n"
				 "<module name=\"nosuch\" enabled=\"false\"/>\n"
				 "<module name=\"t_fail_init\" critical=\"true\" log-level=\"debug\"/>\n"
				 "<module name=\"t_alpha\"/>\n</modules></bulwark>", f->mp);
	assert_order(c, (const char *const[]){ "t_fail_init", "t_alpha", "t_beta", "nosuch", NULL });
	const bw_module_entry *fi = bw_config_find_module(c, "t_fail_init");
	g_assert_true(fi->critical);
	g_assert_cmpstr(fi->log_level, ==, "debug");
	g_assert_cmpint(bw_conf_line(fi->node), ==, 6);
	const bw_module_entry *beta = bw_config_find_module(c, "t_beta");
	g_assert_nonnull(beta->version);
	g_assert_nonnull(strstr(beta->so_path, "mod_t_beta.so"));
	g_assert_cmpstr(beta->requires[0], ==, "t_alpha");
	g_assert_null(beta->requires[1]);
	g_assert_false(bw_config_find_module(c, "nosuch")->enabled);
	g_assert_null(bw_config_find_module(c, "absent"));
	bw_config_unref(c);
	c = expect_ok(HEAD "<modules>\n<module name=\"t_alpha\"/>\n<module name=\"t_fail_init\"/>\n"
		      "<module name=\"t_beta\"/>\n</modules></bulwark>", f->mp);
	assert_order(c, (const char *const[]){ "t_alpha", "t_fail_init", "t_beta", NULL });
	bw_config_unref(c);
}

static void test_fragment(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	/* the loader's own fragment lists the core attributes too: also fine */
	char *theirs = bw_test_srcpath("tests/unit/modules/mod_t_alpha.rng");
	char *text = NULL;
	g_assert_true(g_file_get_contents(theirs, &text, NULL, NULL));
	write_file(f->dir, "mod_t_alpha.rng", text);
	bw_config_unref(expect_ok(HEAD "<modules>\n<module name=\"t_alpha\" critical=\"true\" "
				  "tag=\"x1\"/>\n</modules></bulwark>", f->mp));
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\" tag=\"no way\"/>\n</modules></bulwark>",
		     f->mp, 4, "<module name=\"t_alpha\">", "invalid value \"no way\" for attribute tag");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\" colour=\"x\"/>\n</modules></bulwark>",
		     f->mp, 4, "<module name=\"t_alpha\">", "unknown attribute colour");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<x/>\n</module>\n</modules></bulwark>",
		     f->mp, 5, "<x>", NULL);
	/* no fragment: no settings */
	expect_error(HEAD "<modules>\n<module name=\"t_fail_init\">\n<x/>\n</module>\n</modules></bulwark>",
		     f->mp, 5, "<x>", "module t_fail_init takes no settings");
	expect_error(HEAD "<modules>\n<module name=\"t_fail_init\" depth=\"2\"/>\n</modules></bulwark>",
		     f->mp, 4, "<module name=\"t_fail_init\">", "unknown attribute depth");
	/* a value that may be a secret is not repeated in the message */
	write_file(f->dir, "mod_t_alpha.rng",
		   "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\"><start><element name=\"module\">"
		   "<attribute name=\"sip-password\"><value>x</value></attribute></element></start></grammar>");
	GError *err = NULL;
	g_assert_null(parse(HEAD "<modules>\n<module name=\"t_alpha\" sip-password=\"Hunter2!\"/>\n"
			    "</modules></bulwark>", f->mp, &err));
	g_assert_nonnull(strstr(err->message, "test.xml:4: <module name=\"t_alpha\">: invalid value "
				"(not shown) for attribute sip-password"));
	g_assert_null(strstr(err->message, "Hunter2"));
	g_clear_error(&err);
	/* a required child element (libxml2 does not name it) */
	write_file(f->dir, "mod_t_alpha.rng",
		   "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\"><start><element name=\"module\">"
		   "<oneOrMore><element name=\"peer\"><empty/></element></oneOrMore></element></start>"
		   "</grammar>");
	g_assert_null(parse(HEAD "<modules>\n<module name=\"t_alpha\"/>\n</modules></bulwark>",
			    f->mp, &err));
	g_assert_nonnull(strstr(err->message, "test.xml:4: <module name=\"t_alpha\">: "
				"a required element is missing"));
	g_assert_null(strstr(err->message, "<,>"));
	g_clear_error(&err);
	/* an element's text: shown with what is expected, said once */
	write_file(f->dir, "mod_t_alpha.rng",
		   "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" "
		   "xmlns:bw=\"urn:bulwark:schema-hint\" datatypeLibrary="
		   "\"http://www.w3.org/2001/XMLSchema-datatypes\"><start><element name=\"module\">"
		   "<optional><element name=\"codecs\"><data type=\"string\" bw:hint=\"NAME/RATE\">"
		   "<param name=\"pattern\">[A-Z]+/[0-9]+</param></data></element></optional>"
		   "<optional><element name=\"count\"><data type=\"unsignedInt\"/></element></optional>"
		   "<optional><element name=\"secret\"><data type=\"unsignedInt\"/></element></optional>"
		   "</element></start></grammar>");
	g_assert_null(parse(HEAD "<modules>\n<module name=\"t_alpha\">\n<codecs>PCMU</codecs>\n"
			    "</module>\n</modules></bulwark>", f->mp, &err));
	g_assert_nonnull(strstr(err->message, "test.xml:5: <codecs>: invalid content \"PCMU\" "
				"(expected NAME/RATE)"));
	g_assert_null(strstr(err->message, "do not match the schema"));
	g_clear_error(&err);
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<count>-3</count>\n</module>\n"
		     "</modules></bulwark>", f->mp, 5, "<count>",
		     "invalid content \"-3\" (expected unsignedInt)");
	g_assert_null(parse(HEAD "<modules>\n<module name=\"t_alpha\">\n<secret>Hunter2</secret>\n"
			    "</module>\n</modules></bulwark>", f->mp, &err));
	g_assert_nonnull(strstr(err->message, "<secret>: invalid content (not shown)"));
	g_assert_null(strstr(err->message, "Hunter2"));
	g_clear_error(&err);
	/* the same element name in two places: the one under the node's parent */
	write_file(f->dir, "mod_t_alpha.rng",
		   "<grammar xmlns=\"http://relaxng.org/ns/structure/1.0\" datatypeLibrary="
		   "\"http://www.w3.org/2001/XMLSchema-datatypes\"><start><element name=\"module\">"
		   "<optional><element name=\"a\"><element name=\"v\"><data type=\"unsignedInt\"/>"
		   "</element></element></optional>"
		   "<optional><element name=\"b\"><element name=\"v\"><data type=\"string\">"
		   "<param name=\"pattern\">[a-z]+</param></data></element></element></optional>"
		   "<optional><element name=\"community\"><attribute name=\"name\"><data type=\"string\">"
		   "<param name=\"pattern\">[a-z]+</param></data></attribute></element></optional>"
		   "</element></start></grammar>");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<b>\n<v>123</v>\n</b>\n</module>\n"
		     "</modules></bulwark>", f->mp, 6, "<v>",
		     "invalid content \"123\" (expected string matching [a-z]+)");
	/* an SNMP community is a secret */
	g_assert_null(parse(HEAD "<modules>\n<module name=\"t_alpha\">\n<community name=\"Pub1ic!\"/>\n"
			    "</module>\n</modules></bulwark>", f->mp, &err));
	g_assert_nonnull(strstr(err->message, "invalid value (not shown) for attribute name"));
	g_assert_null(strstr(err->message, "Pub1ic"));
	g_clear_error(&err);
	/* a broken fragment is reported, not trusted */
	write_file(f->dir, "mod_t_alpha.rng", "<grammar");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\"/>\n</modules></bulwark>",
		     f->mp, 4, "<module name=\"t_alpha\">", "mod_t_alpha.rng is unusable");
	g_free(text);
	g_free(theirs);
}

static void test_listeners(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	const char *xml =
		HEAD "<modules>\n<module name=\"t_alpha\">\n"
		"<transport type=\"udp\" listen=\"0.0.0.0:5060\"/>\n"
		"<transport type=\"tcp\" listen=\"0.0.0.0:5060\"/>\n"
		"<transport type=\"tls\" listen=\"127.0.0.1:5061\"/>\n"
		"<transport type=\"tls\" listen=\"127.0.0.2:5061\"/>\n"
		"<transport type=\"dtls\" listen=\"[::1]:5061\"/>\n"
		"<transport listen=\"[::1]:5062\"/>\n"
		"<transport listen=\"[0:0::1]:5063\"/>\n"
		"<transport listen=\"127.0.0.1:0\"/>\n<transport listen=\"127.0.0.1:0\"/>\n"
		"</module>\n</modules></bulwark>";
	bw_config_unref(expect_ok(xml, f->mp));
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n"
		     "<transport listen=\"127.0.0.1:5061\"/>\n"
		     "<transport type=\"tls\" listen=\"0.0.0.0:5061\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 6, "<transport>",
		     "listen=\"0.0.0.0:5061\" (tcp) uses the same port as listen=\"127.0.0.1:5061\" at line 5");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n"
		     "<transport type=\"udp\" listen=\"[::]:5060\"/>\n"
		     "<transport type=\"UDP\" listen=\"[::1]:5060\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 6, "<transport>", "at line 5");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n"
		     "<transport listen=\"[::1]:5060\"/>\n<transport listen=\"[0::1]:5060\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 6, "<transport>", "at line 5");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<transport listen=\"5060\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 5, "<transport>", "expected HOST:PORT");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<transport listen=\"::1:5060\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 5, "<transport>", "[ADDRESS]:PORT");
	expect_error(HEAD "<modules>\n<module name=\"t_alpha\">\n<transport listen=\"h:65536\"/>\n"
		     "</module>\n</modules></bulwark>", f->mp, 5, "<transport>", "0 to 65535");
	/* listeners of a disabled module open nothing */
	write_file(f->dir, "mod_t_fail_init.rng", listen_rng);
	bw_config_unref(expect_ok(HEAD "<modules>\n<module name=\"t_alpha\">\n"
				  "<transport listen=\"0.0.0.0:5060\"/></module>\n"
				  "<module name=\"t_fail_init\" enabled=\"false\">\n"
				  "<transport listen=\"0.0.0.0:5060\"/></module>\n"
				  "</modules></bulwark>", f->mp));
}

static void test_certificate(void)
{
	expect_error(HEAD "<tls certificate=\"/nonexistent/bw-cert.pem\"\n key=\"/nonexistent/bw-key.pem\"/>\n"
		     "<modules/></bulwark>", no_dirs, 3, "<tls>", "/nonexistent/bw-");
}

static void test_digest(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	const char *a = HEAD "<modules><module name=\"t_alpha\" tag=\"a\"/></modules></bulwark>";
	const char *a2 = HEAD "<modules>\n  <!-- hi -->\n  <module  tag='a'  name=\"t_alpha\"\n/>"
		"</modules></bulwark>";
	const char *b = HEAD "<modules><module name=\"t_alpha\" tag=\"b\"/></modules></bulwark>";
	bw_config *ca = expect_ok(a, f->mp), *ca2 = expect_ok(a2, f->mp), *cb = expect_ok(b, f->mp);
	const char *da = bw_config_module(ca, 0)->digest;
	g_assert_cmpuint(strlen(da), ==, 64);
	g_assert_cmpstr(da, ==, bw_config_module(ca2, 0)->digest);
	g_assert_cmpstr(da, !=, bw_config_module(cb, 0)->digest);
	bw_config_unref(ca);
	bw_config_unref(ca2);
	bw_config_unref(cb);
}

/* ---- accessors, overrides, snapshot ---- */

static void test_accessors(Fixture *f, gconstpointer d)
{
	if (!need_modules(f))
		return;
	bw_config *c = expect_ok(HEAD "<modules>\n<module name=\"t_alpha\" tag=\"x\">\n"
				 "<transport type=\"udp\" listen=\"1.2.3.4:1\"/>\n"
				 "<transport listen=\"1.2.3.4:2\"> some text </transport>\n"
				 "</module>\n</modules></bulwark>", f->mp);
	const bw_conf_node *root = bw_config_root(c);
	g_assert_cmpstr(bw_conf_name(root), ==, "bulwark");
	g_assert_cmpstr(bw_conf_file(root), ==, "test.xml");
	const bw_conf_node *m = bw_config_module(c, 0)->node;
	g_assert_cmpstr(bw_conf_name(m), ==, "module");
	g_assert_cmpint(bw_conf_line(m), ==, 4);
	g_assert_cmpstr(bw_conf_attr(m, "tag"), ==, "x");
	g_assert_null(bw_conf_attr(m, "nope"));
	g_assert_cmpstr(bw_conf_str(m, "nope", "dflt"), ==, "dflt");
	g_assert_cmpstr(bw_conf_text(m), ==, "");
	const bw_conf_node *t1 = bw_conf_child(m, "transport");
	g_assert_true(bw_conf_first(m) == t1);
	g_assert_cmpint(bw_conf_line(t1), ==, 5);
	const bw_conf_node *t2 = bw_conf_next_named(t1);
	g_assert_true(bw_conf_next(t1) == t2);
	g_assert_cmpstr(bw_conf_text(t2), ==, "some text");
	g_assert_null(bw_conf_next_named(t2));
	g_assert_null(bw_conf_next(t2));
	g_assert_null(bw_conf_child(m, "absent"));
	g_assert_cmpint(bw_conf_int(m, "tag", 7), ==, 7);   /* not a number: default */
	g_assert_true(bw_conf_bool(m, "tag", TRUE));
	g_assert_false(bw_conf_bool(m, "absent", FALSE));
	g_assert_null(bw_config_user(c));
	g_assert_cmpstr(bw_config_log_level(c), ==, "info");
	g_assert_cmpstr(bw_config_system_name(c), ==, "t");
	bw_config_unref(c);
}

static void test_durations(void)
{
	static const struct { const char *v; gint64 want; } cases[] = {
		{ "90", 90 }, { "90s", 90 }, { "15m", 900 }, { "1h", 3600 }, { "2d", 172800 },
		{ "0", 0 }, { "1w", -1 }, { "", -1 }, { "h", -1 }, { "-5", -1 }, { "1hh", -1 },
		{ " 5", -1 }, { "999999999999999999d", -1 }, { "12345678901234567890", -1 },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *xml = g_strdup_printf("<bulwark><system name=\"t\" data-dir=\"/tmp\"/>"
					    "<modules><module name=\"x\" enabled=\"false\" d=\"%s\"/>"
					    "</modules></bulwark>", cases[i].v);
		bw_config *c = expect_ok(xml, no_dirs);
		const bw_conf_node *m = bw_config_module(c, 0)->node;
		g_assert_cmpint(bw_conf_seconds(m, "d", -1), ==, cases[i].want);
		bw_config_unref(c);
		g_free(xml);
	}
	g_assert_cmpint(bw_conf_seconds(NULL, "d", 42), ==, 42);
}

static void test_int_bool(void)
{
	bw_config *c = expect_ok("<bulwark><system name=\"t\" data-dir=\"/tmp\" store-max-value=\"65536\"/>"
				 "<modules><module name=\"x\" enabled=\"false\" i=\"-12\" big=\"99999999999999999999\""
				 " y=\"yes\" z=\"0\"/></modules></bulwark>", no_dirs);
	const bw_conf_node *m = bw_config_module(c, 0)->node;
	g_assert_cmpint(bw_conf_int(bw_config_system_node(c), "store-max-value", 0), ==, 65536);
	g_assert_cmpint(bw_conf_int(m, "i", 0), ==, -12);
	g_assert_cmpint(bw_conf_int(m, "big", 5), ==, 5);
	g_assert_true(bw_conf_bool(m, "y", FALSE));
	g_assert_false(bw_conf_bool(m, "z", TRUE));
	g_assert_false(bw_conf_bool(m, "enabled", TRUE));
	bw_config_unref(c);
}

static void test_data_dir_override(void)
{
	bw_config_set_data_dir_override("/srv/other");
	bw_config *c = expect_ok(HEAD "<modules/></bulwark>", no_dirs);
	g_assert_cmpstr(bw_config_data_dir(c), ==, "/srv/other");
	bw_config_unref(c);
	bw_config_set_data_dir_override(NULL);
	c = expect_ok(HEAD "<modules/></bulwark>", no_dirs);
	g_assert_cmpstr(bw_config_data_dir(c), ==, "/tmp");
	bw_config_unref(c);
}

static void test_current(void)
{
	g_assert_null(bw_config_current());
	bw_config *a = expect_ok(HEAD "<modules/></bulwark>", no_dirs);
	bw_config_set_current(a);
	bw_config *held = bw_config_current();
	g_assert_true(held == a);
	bw_config_unref(a);                       /* the snapshot still holds one */
	bw_config *b = expect_ok("<bulwark><system name=\"b\" data-dir=\"/b\"/><modules/></bulwark>",
				 no_dirs);
	bw_config_set_current(b);
	bw_config_unref(b);
	g_assert_cmpstr(bw_config_system_name(held), ==, "t");   /* a reader's ref keeps it */
	bw_config_unref(held);
	bw_config *now = bw_config_current();
	g_assert_cmpstr(bw_config_system_name(now), ==, "b");
	bw_config_unref(now);
	bw_config_set_current(NULL);
	g_assert_null(bw_config_current());
}

/* Readers take references while a writer swaps snapshots: under ASan a
 * reference-count slip shows up as a use after free. */
static gpointer current_reader(gpointer data)
{
	volatile gint *stop = data;
	guint64 n = 0;
	while (!g_atomic_int_get(stop) || n < 1000) {
		bw_config *c = bw_config_current();
		g_assert_nonnull(c);
		g_assert_cmpstr(bw_config_system_name(c), !=, "");
		bw_config_unref(c);
		n++;
	}
	return NULL;
}

static void test_current_threads(void)
{
	bw_config *a = expect_ok("<bulwark><system name=\"a\" data-dir=\"/a\"/><modules/></bulwark>", no_dirs);
	bw_config *b = expect_ok("<bulwark><system name=\"b\" data-dir=\"/b\"/><modules/></bulwark>", no_dirs);
	bw_config_set_current(a);
	volatile gint stop = 0;
	GThread *t[4];
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		t[i] = g_thread_new("reader", current_reader, (gpointer)&stop);
	for (guint i = 0; i < 2000; i++)
		bw_config_set_current(i % 2 ? a : b);
	g_atomic_int_set(&stop, 1);
	for (guint i = 0; i < G_N_ELEMENTS(t); i++)
		g_thread_join(t[i]);
	bw_config_set_current(NULL);
	bw_config_unref(a);
	bw_config_unref(b);
	g_assert_null(bw_config_current());
}

#define FX(path, fn) g_test_add(path, Fixture, NULL, fx_setup, fn, fx_teardown)

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/malformed", test_malformed);
	g_test_add_func("/config/doctype-refused", test_doctype_refused);
	g_test_add_func("/config/unknown-element", test_unknown_element);
	g_test_add_func("/config/unknown-attribute", test_unknown_attribute);
	g_test_add_func("/config/bad-values", test_bad_values);
	g_test_add_func("/config/missing-element", test_missing_element);
	g_test_add_func("/config/size-limit", test_size_limit);
	g_test_add_func("/config/load-file", test_load_file);
	g_test_add_func("/config/default", test_default);
	g_test_add_func("/config/schema-embedded", test_schema_embedded);
	g_test_add_func("/config/certificate", test_certificate);
	g_test_add_func("/config/durations", test_durations);
	g_test_add_func("/config/int-bool", test_int_bool);
	g_test_add_func("/config/data-dir-override", test_data_dir_override);
	g_test_add_func("/config/current", test_current);
	g_test_add_func("/config/current-threads", test_current_threads);
	FX("/config/unknown-module", test_unknown_module);
	FX("/config/duplicate-module", test_duplicate_module);
	FX("/config/missing-dependency", test_missing_dependency);
	FX("/config/cycle", test_cycle);
	FX("/config/order", test_order);
	FX("/config/fragment", test_fragment);
	FX("/config/listeners", test_listeners);
	FX("/config/digest", test_digest);
	FX("/config/accessors", test_accessors);
	return g_test_run();
}
