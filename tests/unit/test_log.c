/* Unit tests of core/log.c: line format, default and per-domain levels,
 * escaping of control characters, whole lines under concurrent logging.
 * The writer's output goes to a temporary file read back by the test. */
#include "tlsctx.h"
#include "testutil.h"
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

static int cap_fd = -1;

static void t_reset(void)
{
	g_assert_cmpint(ftruncate(cap_fd, 0), ==, 0);
	g_assert_cmpint(lseek(cap_fd, 0, SEEK_SET), ==, 0);
}

static char *t_captured(void)
{
	off_t end = lseek(cap_fd, 0, SEEK_END);
	g_assert_cmpint(end, >=, 0);
	char *buf = g_malloc0((gsize)end + 1);
	g_assert_cmpint(pread(cap_fd, buf, (size_t)end, 0), ==, end);
	return buf;
}

static guint t_count(const char *text, const char *needle)
{
	guint n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_format(void)
{
	bw_log_setup("info");
	t_reset();
	g_log("alpha", G_LOG_LEVEL_MESSAGE, "hello %d", 42);
	g_log(NULL, G_LOG_LEVEL_WARNING, "no domain");
	char *out = t_captured();
	g_test_message("captured: %s", out);
	char **lines = g_strsplit(out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, 3);   /* two lines and the empty tail */
	g_assert_true(g_regex_match_simple(
		"^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} MESSAGE \\[alpha\\] hello 42$",
		lines[0], 0, 0));
	g_assert_true(g_regex_match_simple(" WARNING \\[main\\] no domain$", lines[1], 0, 0));
	g_assert_cmpstr(lines[2], ==, "");
	g_assert_null(strchr(out, '\033'));   /* not a terminal: no colours */
	g_strfreev(lines);
	g_free(out);
}

static void test_default_level(void)
{
	bw_log_setup("warning");
	t_reset();
	g_log("beta", G_LOG_LEVEL_DEBUG, "beta debug");
	g_log("beta", G_LOG_LEVEL_INFO, "beta info");
	g_log("beta", G_LOG_LEVEL_MESSAGE, "beta message");
	g_log("beta", G_LOG_LEVEL_WARNING, "beta warning");
	g_log("beta", G_LOG_LEVEL_CRITICAL, "beta critical");
	char *out = t_captured();
	g_assert_null(strstr(out, "beta debug"));
	g_assert_null(strstr(out, "beta info"));
	g_assert_null(strstr(out, "beta message"));
	g_assert_nonnull(strstr(out, "WARNING [beta] beta warning"));
	g_assert_nonnull(strstr(out, "CRITICAL [beta] beta critical"));
	g_free(out);

	bw_log_setup("debug");
	t_reset();
	g_log("beta", G_LOG_LEVEL_DEBUG, "beta debug");
	out = t_captured();
	g_assert_nonnull(strstr(out, "DEBUG [beta] beta debug"));
	g_free(out);
}

static void test_domain_levels(void)
{
	bw_log_setup("warning");
	bw_log_set_domain_level("chatty", "debug");
	bw_log_set_domain_level("quiet", "error");
	t_reset();
	g_log("chatty", G_LOG_LEVEL_DEBUG, "chatty debug");
	g_log("chatty.sub", G_LOG_LEVEL_DEBUG, "sub debug");      /* inherits from chatty */
	g_log("chattyish", G_LOG_LEVEL_DEBUG, "lookalike debug"); /* not a child */
	g_log("quiet", G_LOG_LEVEL_WARNING, "quiet warning");
	g_log("quiet", G_LOG_LEVEL_CRITICAL, "quiet critical");
	g_log("other", G_LOG_LEVEL_INFO, "other info");
	g_log("other", G_LOG_LEVEL_WARNING, "other warning");
	char *out = t_captured();
	g_assert_nonnull(strstr(out, "DEBUG [chatty] chatty debug"));
	g_assert_nonnull(strstr(out, "DEBUG [chatty.sub] sub debug"));
	g_assert_null(strstr(out, "lookalike"));
	g_assert_null(strstr(out, "quiet warning"));
	g_assert_null(strstr(out, "quiet critical"));
	g_assert_null(strstr(out, "other info"));
	g_assert_nonnull(strstr(out, "WARNING [other] other warning"));
	g_free(out);

	/* back to the default */
	bw_log_set_domain_level("chatty", NULL);
	bw_log_set_domain_level("quiet", NULL);
	t_reset();
	g_log("chatty", G_LOG_LEVEL_DEBUG, "chatty debug");
	g_log("quiet", G_LOG_LEVEL_WARNING, "quiet warning");
	out = t_captured();
	g_assert_null(strstr(out, "chatty debug"));
	g_assert_nonnull(strstr(out, "quiet warning"));
	g_free(out);
}

static void test_invalid_levels(void)
{
	g_assert_true(bw_log_level_valid("debug"));
	g_assert_true(bw_log_level_valid("WARNING"));
	g_assert_false(bw_log_level_valid("verbose"));
	g_assert_false(bw_log_level_valid(NULL));
	t_reset();
	bw_log_setup("verbose");   /* falls back to info, and says so */
	g_log("gamma", G_LOG_LEVEL_INFO, "gamma info");
	g_log("gamma", G_LOG_LEVEL_DEBUG, "gamma debug");
	bw_log_set_domain_level("gamma", "loud");   /* ignored, and says so */
	g_log("gamma", G_LOG_LEVEL_DEBUG, "gamma debug again");
	char *out = t_captured();
	g_assert_nonnull(strstr(out, "unknown log level \"verbose\""));
	g_assert_nonnull(strstr(out, "INFO [gamma] gamma info"));
	g_assert_null(strstr(out, "gamma debug"));
	g_assert_nonnull(strstr(out, "log level \"loud\" for domain gamma ignored"));
	g_free(out);
}

/* Text from the network must not forge a second log line. */
static void test_escaping(void)
{
	bw_log_setup("info");
	t_reset();
	g_log("delta", G_LOG_LEVEL_MESSAGE, "user=%s", "bob\n2024-01-01 00:00:00.000 MESSAGE [auth] admin logged in\033[2J\r");
	char *out = t_captured();
	g_assert_cmpuint(t_count(out, "\n"), ==, 1);
	g_assert_nonnull(strstr(out, "user=bob\\n2024-01-01"));
	g_assert_nonnull(strstr(out, "\\x1b[2J\\r"));
	g_assert_null(strchr(out, '\033'));
	g_free(out);

	/* an oversized message is cut, and says by how much */
	t_reset();
	char *big = g_strnfill(9000, 'a');
	g_log("delta", G_LOG_LEVEL_MESSAGE, "%s", big);
	out = t_captured();
	g_assert_nonnull(strstr(out, "bytes cut]"));
	g_assert_cmpuint(strlen(out), <, 8192 + 100);
	g_free(out);
	g_free(big);
}

#define T_THREADS 4
#define T_LINES 300

static gpointer t_logger(gpointer data)
{
	const char *domain = data;
	for (int i = 0; i < T_LINES; i++)
		g_log(domain, G_LOG_LEVEL_WARNING, "line %d from %s", i, domain);
	return NULL;
}

/* Lines stay whole while levels change under the writers' feet. */
static void test_threads(void)
{
	const char *domains[T_THREADS] = { "t0", "t1", "t2", "t3" };
	GThread *th[T_THREADS];
	bw_log_setup("warning");
	t_reset();
	for (int i = 0; i < T_THREADS; i++)
		th[i] = g_thread_new(domains[i], t_logger, (gpointer)domains[i]);
	for (int i = 0; i < 200; i++)
		bw_log_set_domain_level("churn", i % 2 ? "debug" : NULL);
	for (int i = 0; i < T_THREADS; i++)
		g_thread_join(th[i]);
	char *out = t_captured();
	char **lines = g_strsplit(out, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), ==, T_THREADS * T_LINES + 1);
	for (guint i = 0; lines[i] && *lines[i]; i++)
		g_assert_true(g_regex_match_simple(
			"^[-0-9]+ [:.0-9]+ WARNING \\[(t\\d)\\] line \\d+ from \\1$", lines[i], 0, 0));
	g_strfreev(lines);
	g_free(out);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* these tests log warnings and criticals on purpose */
	g_log_set_always_fatal(G_LOG_FATAL_MASK);
	char *dir = bw_test_tmpdir();
	char *path = g_build_filename(dir, "log.txt", NULL);
	cap_fd = g_open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	g_assert_cmpint(cap_fd, >=, 0);
	bw_log_set_fd(cap_fd);
	g_test_add_func("/log/format", test_format);
	g_test_add_func("/log/levels/default", test_default_level);
	g_test_add_func("/log/levels/domain", test_domain_levels);
	g_test_add_func("/log/levels/invalid", test_invalid_levels);
	g_test_add_func("/log/escaping", test_escaping);
	g_test_add_func("/log/threads", test_threads);
	int rc = g_test_run();
	bw_log_set_fd(2);
	close(cap_fd);
	bw_test_rmtree(dir);
	g_free(path);
	g_free(dir);
	return rc;
}
