/* Process hardening (tlsctx.h): refuse files others could tamper with,
 * drop root after binding, no core dumps, a tight umask.
 *
 * Contract: bw_harden_check_path refuses a group- or world-writable path
 * and any world-writable parent without the sticky bit, naming the path,
 * its mode and the chmod that fixes it. bw_harden_drop_privileges is a
 * no-op unless running as root with a user; otherwise it hands the data
 * directory to that user and switches for good (verified). */
#define G_LOG_DOMAIN "harden"
#include "tlsctx.h"
#include "util.h"
#include <errno.h>
#include <stdlib.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define HARDEN_MAX_DEPTH 16      /* how deep chown goes in the data directory */
#define HARDEN_PW_BUF_MAX 65536

#define bw_harden_unsafe(err, ...) \
	bw_util_fail((err), BW_TLS_ERROR, BW_TLS_ERROR_UNSAFE, __VA_ARGS__)

static gboolean bw_harden_check_self(const char *path, const struct stat *st, GError **err)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return TRUE;
	const char *who = (st->st_mode & S_IWOTH) ? "world-writable" : "group-writable";
	return bw_harden_unsafe(err, "%s is %s (mode %04o): others could replace it; fix with "
				"'chmod go-w %s'", path, who, mode, path);
}

/* path is what the caller named, real the file it resolves to. */
static gboolean bw_harden_check_parent(const char *dir, const char *real, const char *path,
				       GError **err)
{
	struct stat st;
	if (g_stat(dir, &st) != 0) {
		int e = errno;
		return bw_harden_unsafe(err, "cannot check %s (a parent of %s): %s", dir, path, g_strerror(e));
	}
	if (!(st.st_mode & S_IWOTH) || (st.st_mode & S_ISVTX))
		return TRUE;
	gboolean same = strcmp(real, path) == 0;
	return bw_harden_unsafe(err, "%s (a parent of %s%s%s) is world-writable without the sticky "
				"bit (mode %04o): anyone could rename or replace what it holds; fix with "
				"'chmod o-w %s' (or 'chmod +t %s')", dir, real, same ? "" : ", the target of ",
				same ? "" : path, (unsigned)(st.st_mode & 07777), dir, dir);
}

gboolean bw_harden_check_path(const char *path, GError **err)
{
	struct stat st;
	if (!path || !*path)
		return bw_harden_unsafe(err, "cannot check an empty path");
	if (g_stat(path, &st) != 0) {
		int e = errno;
		return bw_harden_unsafe(err, "cannot check %s: %s", path, g_strerror(e));
	}
	if (!bw_harden_check_self(path, &st, err))
		return FALSE;
	/* the parents that matter are those of the real file, past symlinks */
	char *real = realpath(path, NULL);
	if (!real) {
		int e = errno;
		return bw_harden_unsafe(err, "cannot resolve %s: %s", path, g_strerror(e));
	}
	gboolean ok = TRUE;
	char *dir = g_path_get_dirname(real);
	while (ok) {
		ok = bw_harden_check_parent(dir, real, path, err);
		if (strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0)
			break;
		char *up = g_path_get_dirname(dir);
		g_free(dir);
		dir = up;
	}
	g_free(dir);
	free(real);
	return ok;
}

gboolean bw_harden_process_defaults(GError **err)
{
	umask(027);
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		int e = errno;
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE,
			    "cannot disable core dumps (setrlimit RLIMIT_CORE 0): %s", g_strerror(e));
		return FALSE;
	}
	return TRUE;
}

/* ---- dropping root ----------------------------------------------------- */

static gboolean bw_harden_lookup(const char *user, const char *data_dir, uid_t *uid, gid_t *gid,
				 GError **err)
{
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = sz > 0 && sz <= HARDEN_PW_BUF_MAX ? (size_t)sz : 16384;
	char *buf = g_malloc(len);
	struct passwd pw, *res = NULL;
	int rc = getpwnam_r(user, &pw, buf, len, &res);
	if (res) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
	}
	g_free(buf);
	if (res)
		return TRUE;
	if (rc != 0)
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE,
			    "cannot look up user %s (<system user=>): %s", user, g_strerror(rc));
	else
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE,
			    "user %s does not exist: create it with 'useradd --system --home %s %s' "
			    "or remove user= from <system>", user, data_dir ? data_dir : "/var/lib/bulwark",
			    user);
	return FALSE;
}

/* Hand what root created (store, keys, sockets) to the service user; never
 * follow symlinks, never take files that belong to someone else. */
static gboolean bw_harden_chown_tree(const char *path, uid_t uid, gid_t gid, int depth,
				     GError **err)
{
	struct stat st;
	if (g_lstat(path, &st) != 0)
		return TRUE;   /* vanished meanwhile: nothing to hand over */
	if (st.st_uid == 0 && lchown(path, uid, gid) != 0) {
		int e = errno;
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE, "cannot chown %s to uid %u: %s",
			    path, (unsigned)uid, g_strerror(e));
		return FALSE;
	}
	if (!S_ISDIR(st.st_mode) || depth >= HARDEN_MAX_DEPTH)
		return TRUE;
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;
	gboolean ok = TRUE;
	while (ok && d && (name = g_dir_read_name(d))) {
		char *child = g_build_filename(path, name, NULL);
		ok = bw_harden_chown_tree(child, uid, gid, depth + 1, err);
		g_free(child);
	}
	if (d)
		g_dir_close(d);
	return ok;
}

static gboolean bw_harden_switch(const char *user, uid_t uid, gid_t gid, GError **err)
{
	const char *step = NULL;
	if (initgroups(user, gid) != 0)
		step = "initgroups";
	else if (setgid(gid) != 0)
		step = "setgid";
	else if (setuid(uid) != 0)
		step = "setuid";
	if (step) {
		int e = errno;
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE, "cannot switch to user %s: %s: %s",
			    user, step, g_strerror(e));
		return FALSE;
	}
	if (setuid(0) == 0 || geteuid() != uid || getegid() != gid) {
		g_set_error(err, BW_TLS_ERROR, BW_TLS_ERROR_PRIVILEGE,
			    "switching to user %s did not stick: the process can still regain root", user);
		return FALSE;
	}
	return TRUE;
}

gboolean bw_harden_drop_privileges(const char *user, const char *data_dir, GError **err)
{
	if (geteuid() != 0) {
		g_debug("not running as root (uid %u): no user to switch to", (unsigned)geteuid());
		return TRUE;
	}
	if (!user || !*user) {
		g_debug("running as root: <system user=> is not set, keeping root");
		return TRUE;
	}
	uid_t uid = 0;
	gid_t gid = 0;
	if (!bw_harden_lookup(user, data_dir, &uid, &gid, err))
		return FALSE;
	if (uid == 0) {
		g_warning("<system user=\"%s\"> is root: not switching", user);
		return TRUE;
	}
	if (data_dir && !bw_harden_chown_tree(data_dir, uid, gid, 0, err))
		return FALSE;
	if (!bw_harden_switch(user, uid, gid, err))
		return FALSE;
	g_message("now running as user %s (uid %u, gid %u)", user, (unsigned)uid, (unsigned)gid);
	return TRUE;
}
