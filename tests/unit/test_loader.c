/* The module loader against real test modules (tests/unit/modules): ABI
 * refusal before any module code runs, dependency order, failures, and
 * load/unload/reload at runtime. Each test copies the built .so files into
 * a private module path (DIR/mods/.libs, the schema fragment in DIR/mods,
 * like a libtool build tree) and reads the modules' call trace from a file
 * they append to ($BW_TEST_TRACE). The /elfcheck/ cases feed the ELF
 * pre-check the built modules, every truncation of them and corrupted
 * header and section fields. */
#include <elf.h>
#include <string.h>
#include <glib/gstdio.h>
#include <bulwark/bulwark.h>
#include "loader.h"
#include "loaderint.h"
#include "testutil.h"

typedef struct {
	char *tmp;
	char *libs;
	char *trace;
	char *marker;
	const char *path[2];
} Fx;

static void fx_copy(const char *from, const char *to)
{
	char *buf = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(from, &buf, &len, NULL));
	g_assert_true(g_file_set_contents(to, buf, (gssize)len, NULL));
	g_free(buf);
}

static void fx_setup(Fx *fx, gconstpointer data)
{
	fx->tmp = bw_test_tmpdir();
	fx->libs = g_build_filename(fx->tmp, "mods", ".libs", NULL);
	g_assert_cmpint(g_mkdir_with_parents(fx->libs, 0700), ==, 0);
	char *built = bw_test_buildpath("tests/unit/modules/.libs");
	GDir *d = g_dir_open(built, 0, NULL);
	g_assert_nonnull(d);
	const char *n;
	while ((n = g_dir_read_name(d))) {
		if (!g_str_has_prefix(n, "mod_t_") || !g_str_has_suffix(n, ".so"))
			continue;
		char *from = g_build_filename(built, n, NULL);
		char *to = g_build_filename(fx->libs, n, NULL);
		fx_copy(from, to);
		g_free(from);
		g_free(to);
	}
	g_dir_close(d);
	g_free(built);
	char *rng = bw_test_srcpath("tests/unit/modules/mod_t_alpha.rng");
	char *rng_to = g_build_filename(fx->tmp, "mods", "mod_t_alpha.rng", NULL);
	fx_copy(rng, rng_to);
	g_free(rng);
	g_free(rng_to);
	fx->trace = g_build_filename(fx->tmp, "trace", NULL);
	fx->marker = g_build_filename(fx->tmp, "marker", NULL);
	g_setenv("BW_TEST_TRACE", fx->trace, TRUE);
	g_setenv("BW_TEST_MARKER", fx->marker, TRUE);
	fx->path[0] = fx->libs;
	fx->path[1] = NULL;
	bw_loader_set_path(fx->path);
}

static void fx_teardown(Fx *fx, gconstpointer data)
{
	bw_loader_shutdown();
	bw_config_set_current(NULL);
	bw_loader_set_path(NULL);
	g_unsetenv("BW_TEST_TRACE");
	g_unsetenv("BW_TEST_MARKER");
	bw_test_rmtree(fx->tmp);
	g_free(fx->tmp);
	g_free(fx->libs);
	g_free(fx->trace);
	g_free(fx->marker);
}

/* The trace so far as one comma-separated string; the file is emptied. */
static char *fx_trace(Fx *fx)
{
	char *buf = NULL;
	if (!g_file_get_contents(fx->trace, &buf, NULL, NULL))
		return g_strdup("");
	g_unlink(fx->trace);
	g_strstrip(buf);
	char **lines = g_strsplit(buf, "\n", -1);
	char *out = g_strjoinv(",", lines);
	g_strfreev(lines);
	g_free(buf);
	return out;
}

#define assert_trace(fx, want) do {                      \
		char *got_ = fx_trace(fx);               \
		g_assert_cmpstr(got_, ==, (want));       \
		g_free(got_);                            \
	} while (0)

/* A configuration with the given <module> elements (NULL: parse error). */
static bw_config *fx_config(Fx *fx, const char *modules, GError **err)
{
	char *xml = g_strdup_printf("<bulwark><system name=\"t\" data-dir=\"%s\"/>"
				    "<modules>%s</modules></bulwark>", fx->tmp, modules);
	bw_config *c = bw_config_parse(xml, strlen(xml), "test.xml", fx->path, err);
	g_free(xml);
	return c;
}

static bw_config *fx_config_ok(Fx *fx, const char *modules)
{
	GError *err = NULL;
	bw_config *c = fx_config(fx, modules, &err);
	g_assert_no_error(err);
	g_assert_nonnull(c);
	return c;
}

/* "name=state,..." in start order. */
static char *fx_list(void)
{
	GPtrArray *l = bw_loader_list();
	GString *s = g_string_new(NULL);
	for (guint i = 0; i < l->len; i++) {
		bw_module_info *m = l->pdata[i];
		g_string_append_printf(s, "%s%s=%s", i ? "," : "", m->name, m->state);
	}
	g_ptr_array_free(l, TRUE);
	return g_string_free(s, FALSE);
}

#define assert_list(want) do {                           \
		char *got_ = fx_list();                  \
		g_assert_cmpstr(got_, ==, (want));       \
		g_free(got_);                            \
	} while (0)

/* ---- the ELF pre-check on real and damaged files ---- */

static GBytes *elf_read(const char *path)
{
	char *buf = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &buf, &len, NULL));
	return g_bytes_new_take(buf, len);
}

static GPtrArray *elf_modules(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	char *dir = bw_test_buildpath("tests/unit/modules/.libs");
	GDir *d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	const char *n;
	while ((n = g_dir_read_name(d)))
		if (g_str_has_prefix(n, "mod_t_") && g_str_has_suffix(n, ".so"))
			g_ptr_array_add(out, g_build_filename(dir, n, NULL));
	g_dir_close(d);
	g_free(dir);
	g_assert_cmpuint(out->len, >=, 9);
	return out;
}

static gboolean elf_parse(const guint8 *p, gsize len, guint16 machine, GError **err)
{
	bw_elf_abi abi;
	return bw_elf_parse_abi(p, len, machine, &abi, err);
}

/* The real modules parse; every truncation fails cleanly (their section
 * headers sit at the end of the file). */
static void test_elf_truncated(void)
{
	GPtrArray *files = elf_modules();
	for (guint i = 0; i < files->len; i++) {
		GBytes *b = elf_read(files->pdata[i]);
		gsize len;
		const guint8 *p = g_bytes_get_data(b, &len);
		g_assert_true(elf_parse(p, len, bw_elf_host_machine(), NULL));
		for (gsize cut = 0; cut < len; cut += (cut < 256 ? 1 : 61)) {
			guint8 *copy = g_memdup2(p, cut);   /* exact size: ASan sees overreads */
			GError *err = NULL;
			g_assert_false(elf_parse(copy, cut, 0, &err));
			g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
			g_clear_error(&err);
			g_free(copy);
		}
		g_bytes_unref(b);
	}
	g_ptr_array_free(files, TRUE);
}

/* Each byte of the ELF header and the section header table set to values
 * that stress bounds, and to a seeded random one: a clean answer each time. */
static void test_elf_mutated(void)
{
	GPtrArray *files = elf_modules();
	GRand *r = g_rand_new_with_seed(4242);
	const guint8 vals[] = { 0x00, 0xff, 0x7f, 0x80, 0x01 };
	for (guint i = 0; i < files->len; i++) {
		GBytes *b = elf_read(files->pdata[i]);
		gsize len;
		const guint8 *p = g_bytes_get_data(b, &len);
		Elf64_Ehdr eh;
		memcpy(&eh, p, sizeof eh);
		g_assert_cmpuint(eh.e_shoff, <, len);
		g_assert_cmpuint(eh.e_shoff, >=, sizeof eh);
		gsize shend = MIN(len, eh.e_shoff + (gsize)eh.e_shnum * eh.e_shentsize);
		guint8 *copy = g_memdup2(p, len);
		for (gsize off = 0; off < shend; off = off + 1 == sizeof eh ? eh.e_shoff : off + 1) {
			for (guint v = 0; v <= G_N_ELEMENTS(vals); v++) {
				copy[off] = v < G_N_ELEMENTS(vals) ? vals[v] : (guint8)g_rand_int(r);
				GError *err = NULL;
				if (!elf_parse(copy, len, 0, &err))
					g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
				g_clear_error(&err);
			}
			copy[off] = p[off];
		}
		g_free(copy);
		g_bytes_unref(b);
	}
	g_rand_free(r);
	g_ptr_array_free(files, TRUE);
}

/* A module for another machine is refused with a message that says so. */
static void test_elf_machine(void)
{
	GPtrArray *files = elf_modules();
	GBytes *b = elf_read(files->pdata[0]);
	gsize len;
	const guint8 *orig = g_bytes_get_data(b, &len);
	guint8 *copy = g_memdup2(orig, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)copy;
	eh->e_machine = bw_elf_host_machine() == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
	GError *err = NULL;
	g_assert_false(elf_parse(copy, len, bw_elf_host_machine(), &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "machine"));
	g_clear_error(&err);
	g_assert_true(elf_parse(copy, len, 0, NULL));
	g_free(copy);
	g_bytes_unref(b);
	g_ptr_array_free(files, TRUE);
}

/* The fuzzer's hand-made seed is a valid module header; text is not ELF. */
static void test_elf_seeds(void)
{
	char *seed = bw_test_srcpath("tests/fuzz/corpus/elfcheck/minimal-module.bin");
	GBytes *b = elf_read(seed);
	gsize len;
	const guint8 *p = g_bytes_get_data(b, &len);
	bw_elf_abi abi = { 0 };
	g_assert_true(bw_elf_parse_abi(p, len, 0, &abi, NULL));
	g_assert_cmpuint(abi.abi_major, ==, 1);
	g_assert_cmpuint(abi.abi_minor, ==, 0);
	g_assert_cmpuint(abi.size, ==, 88);
	g_bytes_unref(b);
	g_free(seed);
	GError *err = NULL;
	g_assert_false(bw_elf_read_abi("/nonexistent/mod_x.so", &abi, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND);
	g_clear_error(&err);
	char *txt = bw_test_srcpath("tests/fuzz/corpus/elfcheck/not-elf.txt");
	g_assert_false(bw_elf_read_abi(txt, &abi, &err));
	g_assert_nonnull(strstr(err->message, "not an ELF file"));
	g_assert_nonnull(strstr(err->message, "not-elf.txt"));
	g_clear_error(&err);
	g_free(txt);
}

/* ---- ABI checks: refused before dlopen ---- */

static void test_abi_major(Fx *fx, gconstpointer data)
{
	bw_probe *p = NULL;
	GError *err = NULL;
	g_assert_false(bw_loader_probe("t_abi_major", NULL, &p, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI);
	char *want = g_strdup_printf("99.%d", BW_ABI_MINOR);   /* the module's own major.minor */
	g_assert_nonnull(strstr(err->message, want));
	g_free(want);
	g_assert_null(p);
	g_clear_error(&err);
	/* The module's constructor would have created the marker. */
	g_assert_false(g_file_test(fx->marker, G_FILE_TEST_EXISTS));

	char *so = g_build_filename(fx->libs, "mod_t_abi_major.so", NULL);
	bw_elf_abi abi;
	g_assert_true(bw_elf_read_abi(so, &abi, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(abi.abi_major, ==, 99);
	g_assert_cmpuint(abi.size, ==, sizeof(bw_module_desc));
	g_free(so);
	g_assert_false(g_file_test(fx->marker, G_FILE_TEST_EXISTS));
}

static void test_abi_minor(Fx *fx, gconstpointer data)
{
	bw_probe *p = NULL;
	GError *err = NULL;
	g_assert_false(bw_loader_probe("t_abi_minor", NULL, &p, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI);
	g_assert_nonnull(strstr(err->message, "newer"));
	g_clear_error(&err);
}

static void test_abi_size(Fx *fx, gconstpointer data)
{
	bw_probe *p = NULL;
	GError *err = NULL;
	g_assert_false(bw_loader_probe("t_bad_size", NULL, &p, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI);
	g_assert_nonnull(strstr(err->message, "size"));
	g_clear_error(&err);
}

static void test_probe(Fx *fx, gconstpointer data)
{
	bw_probe *p = NULL;
	GError *err = NULL;
	g_assert_true(bw_loader_probe("t_alpha", NULL, &p, &err));
	g_assert_no_error(err);
	g_assert_cmpstr(p->name, ==, "t_alpha");
	g_assert_cmpstr(p->version, ==, "1.2.3");
	g_assert_cmpstr(p->summary, ==, "loader test: provider");
	g_assert_nonnull(p->requires);
	g_assert_null(p->requires[0]);
	g_assert_true(g_str_has_suffix(p->so_path, "/mods/.libs/mod_t_alpha.so"));
	g_assert_true(g_str_has_suffix(p->rng_path, "/mods/mod_t_alpha.rng"));
	bw_probe_free(p);

	g_assert_true(bw_loader_probe("t_beta", fx->path, &p, &err));
	g_assert_cmpstr(p->requires[0], ==, "t_alpha");
	g_assert_null(p->requires[1]);
	g_assert_null(p->rng_path);
	bw_probe_free(p);
	assert_trace(fx, "");   /* probing runs no lifecycle code */

	g_assert_false(bw_loader_probe("t_nothere", NULL, &p, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(err->message, "mod_t_nothere.so"));
	g_clear_error(&err);
	g_assert_false(bw_loader_probe("../etc/x", NULL, &p, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
	g_clear_error(&err);
}

static void test_path(Fx *fx, gconstpointer data)
{
	bw_loader_set_path(NULL);
	g_setenv("BULWARK_MODULE_PATH", "/a::/b", TRUE);
	const char *const *p = bw_loader_path();
	g_assert_cmpstr(p[0], ==, "/a");
	g_assert_cmpstr(p[1], ==, "/b");
	g_assert_null(p[2]);
	g_unsetenv("BULWARK_MODULE_PATH");
	p = bw_loader_path();
	g_assert_cmpstr(p[0], ==, BW_MODULEDIR);
	g_assert_null(p[1]);
	bw_loader_set_path(fx->path);
	g_assert_cmpstr(bw_loader_path()[0], ==, fx->libs);
}

/* ---- configuration errors (arrive through bw_config_parse) ---- */

static void test_config_errors(Fx *fx, gconstpointer data)
{
	GError *err = NULL;
	g_assert_null(fx_config(fx, "<module name=\"t_missing_dep\"/>", &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "t_nonexistent"));
	g_clear_error(&err);
	g_assert_null(fx_config(fx, "<module name=\"t_cycle_a\"/><module name=\"t_cycle_b\"/>", &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "t_cycle_"));
	g_clear_error(&err);
	/* t_alpha's fragment refuses an attribute value it does not allow. */
	g_assert_null(fx_config(fx, "<module name=\"t_alpha\" tag=\"no spaces\"/>", &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "test.xml:1"));
	g_clear_error(&err);
	assert_trace(fx, "");
}

/* ---- running ---- */

static void test_order(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_beta\"/><module name=\"t_alpha\"/>");
	GError *err = NULL;
	g_assert_true(bw_loader_apply(c, &err));
	g_assert_no_error(err);
	assert_trace(fx, "t_alpha:init,t_alpha:start,t_beta:init,t_beta:start");
	assert_list("t_alpha=running,t_beta=running");
	GPtrArray *l = bw_loader_list();
	bw_module_info *a = l->pdata[0];
	g_assert_cmpstr(a->version, ==, "1.2.3");
	g_assert_true(g_str_has_suffix(a->path, "mod_t_alpha.so"));
	g_assert_false(a->critical);
	g_ptr_array_free(l, TRUE);
	g_assert_nonnull(bw_service_lookup("alpha", 1));
	bw_loader_shutdown();
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini");
	assert_list("");
	g_assert_null(bw_service_lookup("alpha", 1));
	bw_config_unref(c);
}

static void test_critical_failure(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_beta\"/>"
				    "<module name=\"t_fail_init\" critical=\"true\"/>");
	GError *err = NULL;
	g_assert_false(bw_loader_apply(c, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_FAILED);
	g_assert_nonnull(strstr(err->message, "t_fail_init"));
	g_assert_nonnull(strstr(err->message, "init"));
	g_clear_error(&err);
	assert_list("");
	g_assert_null(bw_service_lookup("alpha", 1));
	char *t = fx_trace(fx);
	g_assert_true(g_str_has_suffix(t, "t_fail_init:init-failed,"
				       "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini"));
	g_free(t);
	bw_config_unref(c);
}

static void test_noncritical_failure(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_fail_init\"/>"
				    "<module name=\"t_beta\"/>");
	GError *err = NULL;
	g_test_expect_message("loader", G_LOG_LEVEL_WARNING, "*t_fail_init*init failed*");
	g_assert_true(bw_loader_apply(c, &err));
	g_test_assert_expected_messages();
	g_assert_no_error(err);
	char *l = fx_list();
	g_assert_nonnull(strstr(l, "t_fail_init=failed"));
	g_assert_nonnull(strstr(l, "t_alpha=running"));
	g_assert_nonnull(strstr(l, "t_beta=running"));
	g_free(l);
	char *t = fx_trace(fx);
	g_assert_nonnull(strstr(t, "t_fail_init:init-failed"));
	g_assert_null(strstr(t, "t_fail_init:start"));
	g_free(t);
	bw_loader_shutdown();
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini");
	bw_config_unref(c);
}

static void test_unload_load(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_beta\"/>");
	bw_config_set_current(c);
	GError *err = NULL;
	g_assert_true(bw_loader_apply(c, &err));
	g_free(fx_trace(fx));

	g_assert_false(bw_loader_unload("t_alpha", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_STATE);
	g_assert_nonnull(strstr(err->message, "required by t_beta"));
	g_clear_error(&err);
	assert_trace(fx, "");

	g_assert_true(bw_loader_unload("t_beta", &err));
	g_assert_true(bw_loader_unload("t_alpha", &err));
	g_assert_no_error(err);
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini");
	g_assert_null(bw_service_lookup("alpha", 1));   /* withdrawn on unload */
	assert_list("");
	g_assert_false(bw_loader_unload("t_alpha", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND);
	g_clear_error(&err);

	/* t_beta cannot start without t_alpha: refused, left failed. */
	g_assert_false(bw_loader_load("t_beta", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_DEPENDENCY);
	g_clear_error(&err);
	assert_trace(fx, "");
	g_assert_true(bw_loader_load("t_alpha", &err));
	g_assert_true(bw_loader_load("t_beta", &err));
	g_assert_no_error(err);
	assert_trace(fx, "t_alpha:init,t_alpha:start,t_beta:init,t_beta:start");
	assert_list("t_alpha=running,t_beta=running");
	g_assert_nonnull(bw_service_lookup("alpha", 1));

	g_assert_false(bw_loader_load("t_alpha", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_STATE);
	g_clear_error(&err);
	/* Only modules of the running configuration are loaded. */
	g_assert_false(bw_loader_load("t_fail_init", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND);
	g_clear_error(&err);
	bw_config_unref(c);
}

static void test_reload(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_beta\"/>");
	GError *err = NULL;
	g_assert_true(bw_loader_apply(c, &err));
	g_free(fx_trace(fx));
	/* A dependent holds pointers into the reloaded module: it cycles too. */
	g_assert_true(bw_loader_reload("t_alpha", &err));
	g_assert_no_error(err);
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini,"
		     "t_alpha:init,t_alpha:start,t_beta:init,t_beta:start");
	g_assert_true(bw_loader_reload("t_beta", &err));
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_beta:init,t_beta:start");
	assert_list("t_alpha=running,t_beta=running");
	g_assert_false(bw_loader_reload("t_gamma", &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND);
	g_clear_error(&err);
	bw_config_unref(c);
}

/* A reload reopens the file: a module replaced on disk by one with the
 * wrong ABI is refused (and its dependents are left failed). */
static void test_reload_rebuilt(Fx *fx, gconstpointer data)
{
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_beta\"/>");
	GError *err = NULL;
	g_assert_true(bw_loader_apply(c, &err));
	g_free(fx_trace(fx));
	char *from = g_build_filename(fx->libs, "mod_t_abi_major.so", NULL);
	char *to = g_build_filename(fx->libs, "mod_t_alpha.so", NULL);
	g_assert_cmpint(g_rename(from, to), ==, 0);
	g_test_expect_message("loader", G_LOG_LEVEL_WARNING, "*t_beta requires t_alpha*");
	g_assert_false(bw_loader_reload("t_alpha", &err));
	g_test_assert_expected_messages();
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI);
	g_clear_error(&err);
	g_assert_false(g_file_test(fx->marker, G_FILE_TEST_EXISTS));
	assert_list("t_alpha=failed,t_beta=failed");
	assert_trace(fx, "t_beta:stop,t_beta:fini,t_alpha:stop,t_alpha:fini");
	g_free(from);
	g_free(to);
	bw_config_unref(c);
}

static void test_apply_changes(Fx *fx, gconstpointer data)
{
	GError *err = NULL;
	bw_config *c1 = fx_config_ok(fx, "<module name=\"t_alpha\" tag=\"one\"/><module name=\"t_beta\"/>");
	g_assert_true(bw_loader_apply(c1, &err));
	g_free(fx_trace(fx));
	/* Same configuration again: nothing happens. */
	g_assert_true(bw_loader_apply(c1, &err));
	assert_trace(fx, "");

	/* Changed element, module accepts it in place. */
	bw_config *c2 = fx_config_ok(fx, "<module name=\"t_alpha\" tag=\"two\"/><module name=\"t_beta\"/>");
	g_assert_true(bw_loader_apply(c2, &err));
	assert_trace(fx, "t_alpha:reconfigure");

	/* Changed element the module refuses: reloaded with its dependent. */
	bw_config *c3 = fx_config_ok(fx, "<module name=\"t_alpha\" tag=\"two\" reconf=\"refuse\"/>"
				     "<module name=\"t_beta\"/>");
	g_assert_true(bw_loader_apply(c3, &err));
	assert_trace(fx, "t_alpha:reconfigure-refused,t_beta:stop,t_beta:fini,t_alpha:stop,"
		     "t_alpha:fini,t_alpha:init,t_alpha:start,t_beta:init,t_beta:start");

	/* Disabled module: stopped; the other keeps running untouched. */
	bw_config *c4 = fx_config_ok(fx, "<module name=\"t_alpha\" tag=\"two\" reconf=\"refuse\"/>"
				     "<module name=\"t_beta\" enabled=\"false\"/>");
	g_assert_true(bw_loader_apply(c4, &err));
	g_assert_no_error(err);
	assert_trace(fx, "t_beta:stop,t_beta:fini");
	assert_list("t_alpha=running");
	bw_config_unref(c1);
	bw_config_unref(c2);
	bw_config_unref(c3);
	bw_config_unref(c4);
}

static void on_module_event(const bw_event *ev, void *user_data)
{
	GString *s = user_data;
	g_string_append_printf(s, "%s%s:%s", s->len ? "," : "", bw_event_type(ev),
			       bw_event_get(ev, "module"));
}

static void test_events(Fx *fx, gconstpointer data)
{
	GString *seen = g_string_new(NULL);
	bw_sub *sub = bw_bus_subscribe("module.*", NULL, 0, on_module_event, seen);
	bw_config *c = fx_config_ok(fx, "<module name=\"t_alpha\"/><module name=\"t_fail_init\"/>");
	GError *err = NULL;
	g_test_expect_message("loader", G_LOG_LEVEL_WARNING, "*t_fail_init*");
	g_assert_true(bw_loader_apply(c, &err));
	g_test_assert_expected_messages();
	g_assert_true(bw_loader_unload("t_alpha", &err));
	const char *want = "module.loaded:t_alpha,module.failed:t_fail_init,"
			   "module.unloaded:t_alpha";
	gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (strcmp(seen->str, want) != 0 && g_get_monotonic_time() < end)
		if (!g_main_context_iteration(NULL, FALSE))
			g_usleep(1000);
	g_assert_cmpstr(seen->str, ==, want);
	bw_bus_unsubscribe(sub);
	g_string_free(seen, TRUE);
	bw_config_unref(c);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/elfcheck/truncated", test_elf_truncated);
	g_test_add_func("/elfcheck/mutated", test_elf_mutated);
	g_test_add_func("/elfcheck/machine", test_elf_machine);
	g_test_add_func("/elfcheck/seeds", test_elf_seeds);
#define T(name, fn) g_test_add("/loader/" name, Fx, NULL, fx_setup, fn, fx_teardown)
	T("abi-major", test_abi_major);
	T("abi-minor", test_abi_minor);
	T("abi-size", test_abi_size);
	T("probe", test_probe);
	T("path", test_path);
	T("config-errors", test_config_errors);
	T("order", test_order);
	T("critical-failure", test_critical_failure);
	T("noncritical-failure", test_noncritical_failure);
	T("unload-load", test_unload_load);
	T("reload", test_reload);
	T("reload-rebuilt", test_reload_rebuilt);
	T("apply-changes", test_apply_changes);
	T("events", test_events);
	return g_test_run();
}
