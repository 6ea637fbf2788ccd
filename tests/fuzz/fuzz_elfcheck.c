/* libFuzzer harness for the loader's ELF pre-check (core/elfcheck.c): any
 * byte string must give a clean yes/no, never a crash or an out-of-bounds
 * read. make check replays tests/fuzz/corpus/elfcheck through it
 * (replay_elfcheck); test_loader adds the real test modules and systematic
 * mutations of them. Seeds: tests/fuzz/gen_elfcheck_seeds.py. Longer runs
 * can add the built modules as a second corpus:
 *   tests/fuzz/fuzz_elfcheck NEWDIR tests/unit/modules/.libs */
#include <stdint.h>
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
