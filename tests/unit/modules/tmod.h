/* Shared by the loader's test modules: each lifecycle call appends
 * "NAME:STEP\n" to the file named by $BW_TEST_TRACE, so test_loader can
 * assert the order in which the loader called them. */
#ifndef BW_TMOD_H
#define BW_TMOD_H
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <bulwark/bulwark.h>

static inline void tmod_trace(const char *who, const char *step)
{
	const char *path = g_getenv("BW_TEST_TRACE");
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char *line = g_strdup_printf("%s:%s\n", who, step);
	ssize_t n = write(fd, line, strlen(line));
	(void)n;
	g_free(line);
	close(fd);
}

/* Lifecycle functions that only trace, for modules with nothing to do. */
#define TMOD_TRACING(WHO)                                                        \
	G_GNUC_UNUSED static int tmod_init(bw_module *m) { tmod_trace(WHO, "init"); return 0; }   \
	G_GNUC_UNUSED static int tmod_start(bw_module *m) { tmod_trace(WHO, "start"); return 0; } \
	G_GNUC_UNUSED static void tmod_stop(bw_module *m) { tmod_trace(WHO, "stop"); }            \
	G_GNUC_UNUSED static void tmod_fini(bw_module *m) { tmod_trace(WHO, "fini"); }

#endif
