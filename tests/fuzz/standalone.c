/* Replays every file of tests/fuzz/corpus/FUZZ_CORPUS through
 * LLVMFuzzerTestOneInput, for builds without libFuzzer, printing TAP (one
 * case per file; a crash or sanitizer report fails the test). An argument
 * other than --tap names another directory or file to replay. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <glib.h>

#ifndef FUZZ_CORPUS
#error "define FUZZ_CORPUS to the corpus directory name"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, int n)
{
	char *buf = NULL;
	gsize len = 0;
	GError *err = NULL;
	if (!g_file_get_contents(path, &buf, &len, &err)) {
		printf("not ok %d - %s: %s\n", n, path, err->message);
		g_error_free(err);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	g_free(buf);
	printf("ok %d - %s\n", n, path);
	fflush(stdout);
	return 0;
}

static GPtrArray *list_inputs(const char *path)
{
	GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
	GDir *d = g_dir_open(path, 0, NULL);
	if (!d) {
		g_ptr_array_add(files, g_strdup(path));
		return files;
	}
	for (const char *f; (f = g_dir_read_name(d));)
		g_ptr_array_add(files, g_build_filename(path, f, NULL));
	g_dir_close(d);
	return files;
}

static gint cmp_paths(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *top = g_getenv("top_srcdir");
	char *dir = g_build_filename(top ? top : ".", "tests", "fuzz", "corpus", FUZZ_CORPUS, NULL);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--tap") != 0) {
			g_free(dir);
			dir = g_strdup(argv[i]);
		}
	GPtrArray *files = list_inputs(dir);
	g_ptr_array_sort(files, cmp_paths);
	int failed = 0;
	for (guint i = 0; i < files->len; i++)
		failed += replay_file(files->pdata[i], (int)i + 1);
	printf("1..%u\n", files->len);
	g_ptr_array_unref(files);
	g_free(dir);
	return failed ? 1 : 0;
}
