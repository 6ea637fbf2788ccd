/* The persistent mail queue (see smtpq.h). A file holds a small header
 * ("BWMQ1", created, rule, one rcpt line per recipient, a blank line)
 * then the message. The in-memory index (sequence, size) is what bounds
 * are checked against, so a push never scans the directory. Pushes are
 * serialised by the lock (held across the write: the sequence order is the
 * delivery order); the head is read outside it, as only the one sender
 * thread removes entries. */
#define _GNU_SOURCE   /* O_DIRECTORY, O_NOFOLLOW, lstat */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "smtpq.h"

#define SMTPQ_MAGIC    "BWMQ1\n"
#define SMTPQ_HEAD_MAX (BW_SMTPQ_RCPT_MAX * 300 + 1024)

typedef struct smtpq_entry {
	guint64 seq;
	guint64 size;
} smtpq_entry;

struct bw_smtpq {
	GMutex          lock;
	char           *dir;
	char           *failed;
	bw_smtpq_limits lim;
	GArray         *index;     /* smtpq_entry, ascending seq */
	guint64         bytes;
	guint64         next_seq;
};

static void smtpq_set_errno(GError **error, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void smtpq_set_errno(GError **error, int err, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *what = NULL;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "%s: %s", what,
		    g_strerror(err));
}

static char *smtpq_path(const char *dir, guint64 seq)
{
	return g_strdup_printf("%s/m%016" G_GUINT64_FORMAT ".msg", dir, seq);
}

/* "m" + 16 digits + ".msg" -> seq */
static gboolean smtpq_parse_name(const char *name, guint64 *seq)
{
	if (strlen(name) != 21 || name[0] != 'm' || strcmp(name + 17, ".msg") != 0)
		return FALSE;
	for (int i = 1; i < 17; i++)
		if (!g_ascii_isdigit(name[i]))
			return FALSE;
	*seq = g_ascii_strtoull(name + 1, NULL, 10);
	return TRUE;
}

static gint smtpq_cmp(gconstpointer a, gconstpointer b)
{
	const smtpq_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gboolean smtpq_mkdir(const char *dir, GError **error)
{
	struct stat st;

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		smtpq_set_errno(error, errno, "mail queue: cannot create directory %s", dir);
		return FALSE;
	}
	if (g_lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		smtpq_set_errno(error, ENOTDIR, "mail queue: %s", dir);
		return FALSE;
	}
	if ((st.st_mode & 077) != 0 && g_chmod(dir, 0700) != 0) {
		smtpq_set_errno(error, errno, "mail queue: cannot make %s private (0700)", dir);
		return FALSE;
	}
	return TRUE;
}

static gboolean smtpq_scan(bw_smtpq *q, GError **error)
{
	g_autoptr(GDir) d = g_dir_open(q->dir, 0, error);
	const char *name;

	if (d == NULL)
		return FALSE;
	while ((name = g_dir_read_name(d)) != NULL) {
		g_autofree char *path = g_build_filename(q->dir, name, NULL);
		smtpq_entry e;
		struct stat st;

		if (g_str_has_prefix(name, ".tmp-")) {
			/* a write that never reached its rename: not queued */
			(void)g_unlink(path);
			continue;
		}
		if (!smtpq_parse_name(name, &e.seq) || g_lstat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		e.size = (guint64)st.st_size;
		g_array_append_val(q->index, e);
		q->bytes += e.size;
		q->next_seq = MAX(q->next_seq, e.seq + 1);
	}
	g_array_sort(q->index, smtpq_cmp);
	return TRUE;
}

/* Sequence numbers continue after those in failed/ as well: a number is
 * never reused while its file exists anywhere. */
static void smtpq_scan_failed(bw_smtpq *q)
{
	g_autoptr(GDir) d = g_dir_open(q->failed, 0, NULL);
	const char *name;
	guint64 seq;

	while (d != NULL && (name = g_dir_read_name(d)) != NULL)
		if (smtpq_parse_name(name, &seq))
			q->next_seq = MAX(q->next_seq, seq + 1);
}

bw_smtpq *bw_smtpq_open(const char *dir, const bw_smtpq_limits *lim, GError **error)
{
	bw_smtpq *q;

	q = g_new0(bw_smtpq, 1);
	g_mutex_init(&q->lock);
	q->dir = g_strdup(dir);
	q->failed = g_build_filename(dir, "failed", NULL);
	q->lim = *lim;
	q->index = g_array_new(FALSE, FALSE, sizeof(smtpq_entry));
	q->next_seq = 1;
	if (!smtpq_mkdir(q->dir, error) || !smtpq_mkdir(q->failed, error) ||
	    !smtpq_scan(q, error)) {
		bw_smtpq_close(q);
		return NULL;
	}
	smtpq_scan_failed(q);
	return q;
}

void bw_smtpq_close(bw_smtpq *q)
{
	if (q == NULL)
		return;
	g_array_unref(q->index);
	g_free(q->dir);
	g_free(q->failed);
	g_mutex_clear(&q->lock);
	g_free(q);
}

static gboolean smtpq_line_ok(const char *s)
{
	return s != NULL && strlen(s) <= 256 && strpbrk(s, "\r\n") == NULL;
}

static GString *smtpq_serialise(gint64 created, const char *rule, const char *const *rcpt,
				const char *data, gsize len, GError **error)
{
	GString *out;
	guint n;

	for (n = 0; rcpt && rcpt[n]; n++)
		if (!smtpq_line_ok(rcpt[n]) || *rcpt[n] == '\0')
			break;
	if (!smtpq_line_ok(rule) || n == 0 || n > BW_SMTPQ_RCPT_MAX || rcpt[n] != NULL ||
	    len == 0 || len > BW_SMTPQ_MSG_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "mail queue: refused a malformed message (rule, %u recipient(s) "
			    "or %" G_GSIZE_FORMAT " bytes out of bounds)", n, len);
		return NULL;
	}
	out = g_string_sized_new(len + 256);
	g_string_append_printf(out, SMTPQ_MAGIC "created %" G_GINT64_FORMAT "\nrule %s\n",
			       created, rule);
	for (guint i = 0; i < n; i++)
		g_string_append_printf(out, "rcpt %s\n", rcpt[i]);
	g_string_append_c(out, '\n');
	g_string_append_len(out, data, len);
	return out;
}

static gboolean smtpq_fsync_dir(const char *dir, GError **error)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;
	int err = errno;

	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		smtpq_set_errno(error, err, "mail queue: cannot sync directory %s", dir);
		return FALSE;
	}
	return TRUE;
}

static gboolean smtpq_write_all(int fd, const char *p, gsize len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return FALSE;
		p += w;
		len -= (gsize)w;
	}
	return TRUE;
}

/* temp file, fsync, rename, fsync(dir): the message is either whole
 * under its final name or absent, even across a power cut. */
static gboolean smtpq_write_file(const bw_smtpq *q, guint64 seq, const GString *s,
				 GError **error)
{
	g_autofree char *tmp = g_strdup_printf("%s/.tmp-%" G_GUINT64_FORMAT, q->dir, seq);
	g_autofree char *path = smtpq_path(q->dir, seq);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	gboolean ok;
	int err;

	if (fd < 0) {
		smtpq_set_errno(error, errno, "mail queue: cannot create %s", tmp);
		return FALSE;
	}
	ok = smtpq_write_all(fd, s->str, s->len) && fsync(fd) == 0;
	err = errno;
	if (close(fd) != 0 && ok) {
		ok = FALSE;
		err = errno;
	}
	if (ok && rename(tmp, path) != 0) {
		ok = FALSE;
		err = errno;
	}
	if (!ok) {
		(void)g_unlink(tmp);
		smtpq_set_errno(error, err, "mail queue: cannot write %s", path);
		return FALSE;
	}
	return smtpq_fsync_dir(q->dir, error);
}

gboolean bw_smtpq_push(bw_smtpq *q, gint64 created, const char *rule,
		       const char *const *rcpt, const char *data, gsize len, GError **error)
{
	g_autoptr(GString) s = NULL;
	smtpq_entry e;
	gboolean ok = FALSE;

	s = smtpq_serialise(created, rule, rcpt, data, len, error);
	if (s == NULL)
		return FALSE;
	g_mutex_lock(&q->lock);
	if (q->index->len + 1 > q->lim.max_count || q->bytes + s->len > q->lim.max_bytes) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC,
			    "mail queue %s full (%u message(s), %" G_GUINT64_FORMAT
			    " bytes; bounds %u, %" G_GUINT64_FORMAT "): message refused",
			    q->dir, q->index->len, q->bytes, q->lim.max_count, q->lim.max_bytes);
		goto out;
	}
	e.seq = q->next_seq;
	e.size = s->len;
	if (!smtpq_write_file(q, e.seq, s, error))
		goto out;
	q->next_seq++;
	g_array_append_val(q->index, e);
	q->bytes += e.size;
	ok = TRUE;
out:
	g_mutex_unlock(&q->lock);
	return ok;
}

void bw_smtpq_msg_free(bw_smtpq_msg *m)
{
	if (m == NULL)
		return;
	g_free(m->rule);
	g_strfreev(m->rcpt);
	g_free(m->data);
	g_free(m);
}

/* Parse the header; the message is what follows the blank line. */
static bw_smtpq_msg *smtpq_parse(const char *buf, gsize len)
{
	g_autoptr(bw_smtpq_msg) m = g_new0(bw_smtpq_msg, 1);
	g_autoptr(GPtrArray) rcpt = g_ptr_array_new_with_free_func(g_free);
	const char *end = g_strstr_len(buf, MIN(len, SMTPQ_HEAD_MAX), "\n\n");
	g_auto(GStrv) lines = NULL;
	g_autofree char *head = NULL;
	gboolean created = FALSE;

	if (end == NULL || !g_str_has_prefix(buf, SMTPQ_MAGIC))
		return NULL;
	head = g_strndup(buf + strlen(SMTPQ_MAGIC), end - buf - strlen(SMTPQ_MAGIC));
	lines = g_strsplit(head, "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		if (g_str_has_prefix(lines[i], "created ")) {
			created = g_ascii_string_to_signed(lines[i] + 8, 10, 0, G_MAXINT64,
							   &m->created, NULL);
		} else if (g_str_has_prefix(lines[i], "rule ") && m->rule == NULL) {
			m->rule = g_strdup(lines[i] + 5);
		} else if (g_str_has_prefix(lines[i], "rcpt ") && rcpt->len < BW_SMTPQ_RCPT_MAX) {
			g_ptr_array_add(rcpt, g_strdup(lines[i] + 5));
		}
	}
	if (!created || m->rule == NULL || rcpt->len == 0 || end + 2 >= buf + len)
		return NULL;
	g_ptr_array_add(rcpt, NULL);
	m->rcpt = (char **)g_ptr_array_free(g_steal_pointer(&rcpt), FALSE);
	m->len = len - (end + 2 - buf);
	m->data = g_memdup2(end + 2, m->len + 1);
	m->data[m->len] = '\0';
	return g_steal_pointer(&m);
}

/* Drop seq from the index (lock held). */
static void smtpq_forget(bw_smtpq *q, guint64 seq)
{
	for (guint i = 0; i < q->index->len; i++) {
		smtpq_entry *e = &g_array_index(q->index, smtpq_entry, i);
		if (e->seq == seq) {
			q->bytes -= e->size;
			g_array_remove_index(q->index, i);
			return;
		}
	}
}

static gint smtpq_strcmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep failed/ to failed_max files: names sort in queue order. */
static void smtpq_prune_failed(bw_smtpq *q)
{
	g_autoptr(GDir) d = g_dir_open(q->failed, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;
	guint64 seq;

	if (d == NULL)
		return;
	while ((name = g_dir_read_name(d)) != NULL)
		if (smtpq_parse_name(name, &seq))
			g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, smtpq_strcmp);
	for (guint i = 0; i + q->lim.failed_max < names->len; i++) {
		g_autofree char *path = g_build_filename(q->failed, names->pdata[i], NULL);
		(void)g_unlink(path);
	}
}

static gboolean smtpq_move_failed(bw_smtpq *q, guint64 seq, GError **error)
{
	g_autofree char *from = smtpq_path(q->dir, seq);
	g_autofree char *to = smtpq_path(q->failed, seq);
	gboolean ok = TRUE;

	if (rename(from, to) != 0) {
		smtpq_set_errno(error, errno, "mail queue: cannot move %s to %s", from, q->failed);
		/* out of the queue all the same: a message we cannot move must
		 * not block the ones behind it forever */
		(void)g_unlink(from);
		ok = FALSE;
	}
	smtpq_prune_failed(q);
	return ok && smtpq_fsync_dir(q->dir, error);
}

bw_smtpq_msg *bw_smtpq_head(bw_smtpq *q, guint64 *bad_seq, GError **error)
{
	g_autofree char *path = NULL, *buf = NULL;
	g_autoptr(GError) err = NULL;
	bw_smtpq_msg *m = NULL;
	guint64 seq, size;
	gsize len = 0;

	g_mutex_lock(&q->lock);
	if (q->index->len == 0) {
		g_mutex_unlock(&q->lock);
		return NULL;
	}
	seq = g_array_index(q->index, smtpq_entry, 0).seq;
	size = g_array_index(q->index, smtpq_entry, 0).size;
	g_mutex_unlock(&q->lock);

	path = smtpq_path(q->dir, seq);
	if (size > BW_SMTPQ_MSG_MAX + SMTPQ_HEAD_MAX)
		g_set_error(&err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "too large");
	else if (g_file_get_contents(path, &buf, &len, &err))
		m = smtpq_parse(buf, len);
	if (m != NULL) {
		m->seq = seq;
		return m;
	}
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		    "mail queue: %s is not a queued message (%s); moved to %s", path,
		    err ? err->message : "bad header", q->failed);
	if (bad_seq)
		*bad_seq = seq;
	g_mutex_lock(&q->lock);
	smtpq_forget(q, seq);
	(void)smtpq_move_failed(q, seq, NULL);
	g_mutex_unlock(&q->lock);
	return NULL;
}

gboolean bw_smtpq_remove(bw_smtpq *q, guint64 seq, GError **error)
{
	g_autofree char *path = smtpq_path(q->dir, seq);
	gboolean ok = TRUE;

	g_mutex_lock(&q->lock);
	smtpq_forget(q, seq);
	if (g_unlink(path) != 0 && errno != ENOENT) {
		smtpq_set_errno(error, errno, "mail queue: cannot delete %s", path);
		ok = FALSE;
	}
	g_mutex_unlock(&q->lock);
	/* durable removal: a delivered mail must not be sent again after a
	 * crash right here */
	return ok && smtpq_fsync_dir(q->dir, error);
}

gboolean bw_smtpq_fail(bw_smtpq *q, guint64 seq, GError **error)
{
	gboolean ok;

	g_mutex_lock(&q->lock);
	smtpq_forget(q, seq);
	ok = smtpq_move_failed(q, seq, error);
	g_mutex_unlock(&q->lock);
	return ok;
}

guint bw_smtpq_count(bw_smtpq *q)
{
	guint n;

	g_mutex_lock(&q->lock);
	n = q->index->len;
	g_mutex_unlock(&q->lock);
	return n;
}

guint64 bw_smtpq_bytes(bw_smtpq *q)
{
	guint64 n;

	g_mutex_lock(&q->lock);
	n = q->bytes;
	g_mutex_unlock(&q->lock);
	return n;
}

const char *bw_smtpq_dir(const bw_smtpq *q)
{
	return q->dir;
}
