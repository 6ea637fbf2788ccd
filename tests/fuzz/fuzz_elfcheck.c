/* libFuzzer harness for the loader's ELF pre-check (core/elfcheck.c): any
 * byte string must give a clean yes/no, never a crash or an out-of-bounds
 * read. Built with -DBW_FUZZ_REPLAY it is a g_test program for make check
 * that replays the seed corpus, the test modules' .so files and systematic
 * mutations of them (truncations, corrupted header and section fields).
 * Fuzz: tests/fuzz/fuzz_elfcheck NEWCORPUS tests/fuzz/corpus/elfcheck
 *       tests/unit/modules/.libs   (real modules are the best seeds) */
#include <stdint.h>
#include <string.h>
#include <elf.h>
#include "loader.h"
#include "loaderint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef BW_FUZZ_STANDALONE
/* Only elfcheck.c is linked in: provide the loader's error domain. */
G_DEFINE_QUARK(bw-loader-error-quark, bw_loader_error)
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bw_elf_abi abi;
	GError *err = NULL;
	if (bw_elf_parse_abi(data, size, 0, &abi, &err))
		g_assert_null(err);
	else
		g_assert_nonnull(err);
	g_clear_error(&err);
	return 0;
}

#ifdef BW_FUZZ_REPLAY
#include "testutil.h"

static GPtrArray *bw_fz_files(const char *dir, const char *suffix)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	g_assert_nonnull(d);
	const char *n;
	while ((n = g_dir_read_name(d)))
		if (!suffix || g_str_has_suffix(n, suffix))
			g_ptr_array_add(out, g_build_filename(dir, n, NULL));
	g_dir_close(d);
	return out;
}

static GBytes *bw_fz_read(const char *path)
{
	char *buf = NULL;
	gsize len = 0;
	g_assert_true(g_file_get_contents(path, &buf, &len, NULL));
	return g_bytes_new_take(buf, len);
}

static void test_corpus(void)
{
	char *dir = bw_test_srcpath("tests/fuzz/corpus/elfcheck");
	GPtrArray *files = bw_fz_files(dir, NULL);
	g_assert_cmpuint(files->len, >, 0);
	for (guint i = 0; i < files->len; i++) {
		GBytes *b = bw_fz_read(files->pdata[i]);
		gsize len;
		const guint8 *p = g_bytes_get_data(b, &len);
		LLVMFuzzerTestOneInput(p, len);
		g_bytes_unref(b);
	}
	g_ptr_array_free(files, TRUE);
	g_free(dir);
}

static GPtrArray *bw_fz_modules(void)
{
	char *dir = bw_test_buildpath("tests/unit/modules/.libs");
	GPtrArray *files = bw_fz_files(dir, ".so");
	g_free(dir);
	g_assert_cmpuint(files->len, >=, 2);
	return files;
}

/* The real modules parse; every truncation of them fails cleanly (their
 * section headers sit at the end of the file). */
static void test_modules_truncated(void)
{
	GPtrArray *files = bw_fz_modules();
	for (guint i = 0; i < files->len; i++) {
		GBytes *b = bw_fz_read(files->pdata[i]);
		gsize len;
		const guint8 *p = g_bytes_get_data(b, &len);
		bw_elf_abi abi;
		g_assert_true(bw_elf_parse_abi(p, len, bw_elf_host_machine(), &abi, NULL));
		for (gsize cut = 0; cut < len; cut += (cut < 256 ? 1 : 61)) {
			guint8 *copy = g_memdup2(p, cut);
			GError *err = NULL;
			g_assert_false(bw_elf_parse_abi(copy, cut, 0, &abi, &err));
			g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
			g_clear_error(&err);
			g_free(copy);
		}
		g_bytes_unref(b);
	}
	g_ptr_array_free(files, TRUE);
}

/* Corrupt each byte of the ELF header and the section header table with
 * values that stress bounds (0, 0xff, 0x7f, 0x80) and a seeded random one. */
static void test_modules_mutated(void)
{
	GPtrArray *files = bw_fz_modules();
	GRand *r = g_rand_new_with_seed(4242);
	for (guint i = 0; i < files->len; i++) {
		GBytes *b = bw_fz_read(files->pdata[i]);
		gsize len;
		const guint8 *p = g_bytes_get_data(b, &len);
		Elf64_Ehdr eh;
		memcpy(&eh, p, sizeof eh);
		gsize shend = MIN(len, eh.e_shoff + (gsize)eh.e_shnum * eh.e_shentsize);
		guint8 *copy = g_memdup2(p, len);
		const guint8 vals[] = { 0x00, 0xff, 0x7f, 0x80, 0 };
		for (gsize off = 0; off < shend; off = off < sizeof eh ? off + 1 : MAX(off + 1, eh.e_shoff)) {
			for (guint v = 0; v < G_N_ELEMENTS(vals); v++) {
				copy[off] = v + 1 < G_N_ELEMENTS(vals) ? vals[v] : (guint8)g_rand_int(r);
				LLVMFuzzerTestOneInput(copy, len);
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
static void test_wrong_machine(void)
{
	GPtrArray *files = bw_fz_modules();
	GBytes *b = bw_fz_read(files->pdata[0]);
	gsize len;
	const guint8 *orig = g_bytes_get_data(b, &len);
	guint8 *copy = g_memdup2(orig, len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)copy;
	eh->e_machine = bw_elf_host_machine() == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
	bw_elf_abi abi;
	GError *err = NULL;
	g_assert_false(bw_elf_parse_abi(copy, len, bw_elf_host_machine(), &abi, &err));
	g_assert_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID);
	g_assert_nonnull(strstr(err->message, "machine"));
	g_clear_error(&err);
	g_assert_true(bw_elf_parse_abi(copy, len, 0, &abi, NULL));
	g_free(copy);
	g_bytes_unref(b);
	g_ptr_array_free(files, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/elfcheck/corpus", test_corpus);
	g_test_add_func("/elfcheck/modules-truncated", test_modules_truncated);
	g_test_add_func("/elfcheck/modules-mutated", test_modules_mutated);
	g_test_add_func("/elfcheck/wrong-machine", test_wrong_machine);
	return g_test_run();
}
#endif
