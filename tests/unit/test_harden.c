/* Unit tests of core/harden.c: unsafe modes refused with a message that
 * names the path, its mode and the fix; process defaults; dropping root
 * (in a subprocess, since it cannot be undone). */
#include "tlsctx.h"
#include "testutil.h"
#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

static char *t_file(const char *dir, const char *name, int mode)
{
	char *p = g_build_filename(dir, name, NULL);
	g_assert_true(g_file_set_contents(p, "x\n", 2, NULL));
	g_assert_cmpint(g_chmod(p, mode), ==, 0);
	return p;
}

static char *t_dir(const char *dir, const char *name, int mode)
{
	char *p = g_build_filename(dir, name, NULL);
	g_assert_cmpint(g_mkdir(p, 0700), ==, 0);
	g_assert_cmpint(g_chmod(p, mode), ==, 0);
	return p;
}

static void t_ok(const char *path)
{
	GError *err = NULL;
	gboolean ok = bw_harden_check_path(path, &err);
	g_assert_no_error(err);
	g_assert_true(ok);
}

/* Refused, and the message holds every one of the NULL-terminated parts. */
static void t_refused(const char *path, ...)
{
	GError *err = NULL;
	g_assert_false(bw_harden_check_path(path, &err));
	g_assert_error(err, BW_TLS_ERROR, BW_TLS_ERROR_UNSAFE);
	g_test_message("refused: %s", err->message);
	va_list ap;
	va_start(ap, path);
	for (const char *part; (part = va_arg(ap, const char *));)
		g_assert_nonnull(strstr(err->message, part));
	va_end(ap);
	g_error_free(err);
}

static void test_file_modes(void)
{
	char *dir = bw_test_tmpdir();
	char *f = t_file(dir, "bulwark.xml", 0644);
	t_ok(f);
	t_ok(dir);
	g_assert_cmpint(g_chmod(f, 0664), ==, 0);
	char *fix = g_strdup_printf("chmod go-w %s", f);
	t_refused(f, f, "group-writable", "0664", fix, NULL);
	g_assert_cmpint(g_chmod(f, 0606), ==, 0);
	t_refused(f, f, "world-writable", "0606", fix, NULL);
	g_assert_cmpint(g_chmod(f, 0600), ==, 0);
	t_ok(f);
	g_free(fix);
	g_free(f);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_dir_modes(void)
{
	char *dir = bw_test_tmpdir();
	char *data = t_dir(dir, "data", 0770);
	char *fix = g_strdup_printf("chmod go-w %s", data);
	t_refused(data, data, "group-writable", "0770", fix, NULL);
	g_assert_cmpint(g_chmod(data, 0750), ==, 0);
	t_ok(data);
	g_free(fix);
	g_free(data);
	bw_test_rmtree(dir);
	g_free(dir);
}

/* A world-writable parent lets anyone swap the file, unless sticky. */
static void test_parents(void)
{
	char *dir = bw_test_tmpdir();
	char *pub = t_dir(dir, "pub", 0777);
	char *sub = t_dir(pub, "sub", 0755);
	char *f = t_file(sub, "key.pem", 0600);
	char *fix = g_strdup_printf("chmod o-w %s", pub);
	t_refused(f, pub, f, "without the sticky bit", "0777", fix, NULL);
	t_refused(sub, pub, "0777", NULL);
	g_assert_cmpint(g_chmod(pub, 01777), ==, 0);
	t_ok(f);
	/* group-writable parents are the admin's choice: only the file itself counts */
	g_assert_cmpint(g_chmod(pub, 0775), ==, 0);
	t_ok(f);

	/* through a symlink, the parents of the real file are checked */
	g_assert_cmpint(g_chmod(pub, 0777), ==, 0);
	char *link = g_build_filename(dir, "link.pem", NULL);
	g_assert_cmpint(symlink(f, link), ==, 0);
	t_refused(link, pub, "sticky", "the target of", link, NULL);
	g_assert_cmpint(g_chmod(pub, 0755), ==, 0);
	t_ok(link);

	char *missing = g_build_filename(dir, "missing.xml", NULL);
	t_refused(missing, missing, g_strerror(ENOENT), NULL);
	g_free(missing);
	g_free(link);
	g_free(fix);
	g_free(f);
	g_free(sub);
	g_free(pub);
	bw_test_rmtree(dir);
	g_free(dir);
}

static void test_process_defaults(void)
{
	GError *err = NULL;
	mode_t old = umask(0);
	g_assert_true(bw_harden_process_defaults(&err));
	g_assert_no_error(err);
	g_assert_cmpint(umask(old), ==, 027);
	struct rlimit rl;
	g_assert_cmpint(getrlimit(RLIMIT_CORE, &rl), ==, 0);
	g_assert_cmpuint(rl.rlim_cur, ==, 0);
	g_assert_cmpuint(rl.rlim_max, ==, 0);
}

static void test_missing_user(void)
{
	GError *err = NULL;
	gboolean ok = bw_harden_drop_privileges("bw-no-such-user", "/var/lib/bulwark", &err);
	if (geteuid() != 0) {
		g_test_message("not root: switching is a no-op");
		g_assert_no_error(err);
		g_assert_true(ok);
		return;
	}
	g_assert_false(ok);
	g_assert_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE);
	g_test_message("refused: %s", err->message);
	g_assert_nonnull(strstr(err->message, "user bw-no-such-user does not exist"));
	g_assert_nonnull(strstr(err->message,
				"useradd --system --home /var/lib/bulwark bw-no-such-user"));
	g_error_free(err);
	g_assert_cmpint(geteuid(), ==, 0);
	/* no user configured: stay */
	g_assert_true(bw_harden_drop_privileges(NULL, "/var/lib/bulwark", NULL));
	g_assert_cmpint(geteuid(), ==, 0);
}

/* In the subprocess: become nobody for good. */
static void t_drop_child(void)
{
	GError *err = NULL;
	const char *data = g_getenv("BW_TEST_DATA_DIR");
	struct passwd *pw = getpwnam("nobody");
	g_assert_nonnull(pw);
	uid_t uid = pw->pw_uid;
	gboolean ok = bw_harden_drop_privileges("nobody", data, &err);
	g_assert_no_error(err);
	g_assert_true(ok);
	g_assert_cmpuint(geteuid(), ==, uid);
	g_assert_cmpuint(getuid(), ==, uid);
	g_assert_cmpint(setuid(0), ==, -1);
	g_assert_cmpint(seteuid(0), ==, -1);
}

static void test_drop(void)
{
	if (g_test_subprocess()) {
		t_drop_child();
		return;
	}
	struct passwd *pw = getpwnam("nobody");
	if (geteuid() != 0 || !pw) {
		g_assert_true(bw_harden_drop_privileges("nobody", "/nonexistent", NULL));
		g_test_skip("not root (or no user nobody): dropping privileges is a no-op here");
		return;
	}
	uid_t nobody = pw->pw_uid;
	char *dir = bw_test_tmpdir();
	char *data = t_dir(dir, "data", 0750);
	char *tlsdir = t_dir(data, "tls", 0700);
	char *key = t_file(tlsdir, "server.key", 0600);
	char *foreign = t_file(data, "foreign", 0600);
	g_assert_cmpint(chown(foreign, 4242, 4242), ==, 0);
	char *outside = t_file(dir, "outside", 0600);
	char *link = g_build_filename(data, "link", NULL);
	g_assert_cmpint(symlink(outside, link), ==, 0);

	g_setenv("BW_TEST_DATA_DIR", data, TRUE);
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();

	struct stat st;
	const char *mine[] = { data, tlsdir, key };
	for (guint i = 0; i < G_N_ELEMENTS(mine); i++) {
		g_assert_cmpint(g_stat(mine[i], &st), ==, 0);
		g_assert_cmpuint(st.st_uid, ==, nobody);
	}
	g_assert_cmpint(g_stat(foreign, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, 4242);        /* not root's: left alone */
	g_assert_cmpint(g_stat(outside, &st), ==, 0);
	g_assert_cmpuint(st.st_uid, ==, 0);           /* a symlink is not followed */
	g_free(link);
	g_free(outside);
	g_free(foreign);
	g_free(key);
	g_free(tlsdir);
	g_free(data);
	bw_test_rmtree(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/harden/check/file", test_file_modes);
	g_test_add_func("/harden/check/dir", test_dir_modes);
	g_test_add_func("/harden/check/parents", test_parents);
	g_test_add_func("/harden/process-defaults", test_process_defaults);
	g_test_add_func("/harden/drop/missing-user", test_missing_user);
	g_test_add_func("/harden/drop/nobody", test_drop);
	return g_test_run();
}
