/* The persistent mail queue: one file per message in a directory of its
 * own (DATA_DIR/mailq), written atomically (temp file, fsync, rename,
 * fsync of the directory), delivered in order of a sequence number that
 * survives restarts (file names "m<16 digits>.msg"), bounded in count and
 * bytes: a push over either bound is refused, never queued. Messages given
 * up are moved to failed/ (kept to failed_max files, oldest deleted).
 * Thread-safe: one thread may push while another reads the head. */
#ifndef BW_SMTPQ_H
#define BW_SMTPQ_H

#include <glib.h>

#define BW_SMTPQ_MSG_MAX  (256 * 1024)   /* bytes of one message */
#define BW_SMTPQ_RCPT_MAX 32

typedef struct bw_smtpq bw_smtpq;

typedef struct bw_smtpq_limits {
	guint   max_count;   /* messages waiting */
	guint64 max_bytes;   /* their file sizes summed */
	guint   failed_max;  /* files kept in failed/ */
} bw_smtpq_limits;

typedef struct bw_smtpq_msg {
	guint64 seq;
	gint64  created;     /* g_get_real_time() when queued */
	char   *rule;
	char  **rcpt;        /* NULL-terminated */
	char   *data;        /* the RFC 5322 message */
	gsize   len;
} bw_smtpq_msg;

/* Creates dir and dir/failed (0700) if needed, removes stale temp files,
 * indexes the queued ones. */
bw_smtpq *bw_smtpq_open(const char *dir, const bw_smtpq_limits *lim, GError **error);
void      bw_smtpq_close(bw_smtpq *q);

/* FALSE with G_FILE_ERROR_NOSPC when a bound would be passed,
 * G_FILE_ERROR_INVAL for a bad message, else an I/O error. */
gboolean  bw_smtpq_push(bw_smtpq *q, gint64 created, const char *rule,
			const char *const *rcpt, const char *data, gsize len,
			GError **error);
/* The oldest message, NULL when empty (no error). A file that cannot be
 * read or parsed is moved to failed/ and reported as an error with
 * *bad_seq set; the next call goes on with the one after. */
bw_smtpq_msg *bw_smtpq_head(bw_smtpq *q, guint64 *bad_seq, GError **error);
gboolean  bw_smtpq_remove(bw_smtpq *q, guint64 seq, GError **error);
/* Move to failed/, then delete the oldest failed files over failed_max. */
gboolean  bw_smtpq_fail(bw_smtpq *q, guint64 seq, GError **error);
void      bw_smtpq_msg_free(bw_smtpq_msg *m);

guint     bw_smtpq_count(bw_smtpq *q);
guint64   bw_smtpq_bytes(bw_smtpq *q);
const char *bw_smtpq_dir(const bw_smtpq *q);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(bw_smtpq_msg, bw_smtpq_msg_free)
#endif
