/* mod_smtp-alarm's internals: the configuration as read from <module>,
 * and the running state shared by the sink (management thread), the queue
 * writer (a one-thread pool) and the sender thread. */
#ifndef BW_SMTPALARM_H
#define BW_SMTPALARM_H

#include <glib.h>
#include <bulwark/bulwark.h>
#include "smtpq.h"
#include "smtpsend.h"

#define BW_SMTP_STOP_GRACE   (3 * G_USEC_PER_SEC)  /* in-flight transfer at stop */
#define BW_SMTP_PENDING_MAX  256                    /* mails waiting for the writer */
#define BW_SMTP_PASSWORD_MAX 1024

typedef struct bw_smtpconf {
	bw_smtpsend_conf send;
	char           **rcpt;           /* NULL-terminated, 1..BW_SMTPMAIL_RCPT_MAX */
	char            *subject_prefix;
	gint64           max_age;        /* microseconds */
	bw_smtpq_limits  lim;
} bw_smtpconf;

/* Reads and checks the <module> element (and the password file). */
gboolean bw_smtpconf_read(const bw_conf_node *n, bw_smtpconf *c, GError **error);
void     bw_smtpconf_clear(bw_smtpconf *c);
/* The password file's first line: a regular file, not group/world
 * accessible, at most BW_SMTP_PASSWORD_MAX bytes. The error never holds
 * the contents. */
char    *bw_smtpconf_password(const char *path, GError **error);

typedef struct bw_smtp {
	bw_smtpconf  conf;
	bw_smtpq    *q;
	GThreadPool *writer;
	GThread     *thread;
	GMutex       lock;
	GCond        cond;
	gboolean     stopping;       /* under lock */
	gboolean     kicked;         /* under lock: a message was queued */
	gint64       stop_deadline;  /* monotonic; set with stopping */
	gint         dropped;        /* atomic: refused mails in total */
	gint64       last_drop_log;  /* under lock; monotonic */
	guint        drops_unlogged; /* under lock */
	bw_sub      *test_sub;
} bw_smtp;

/* Format the alarm and hand it to the writer (never blocks). */
void     bw_smtp_enqueue(bw_smtp *st, const bw_alarm *a);
/* Count, log (at most once a minute) and publish a refused mail. */
void     bw_smtp_drop(bw_smtp *st, const char *rule, const char *why);
int      bw_smtp_writer_start(bw_smtp *st, GError **error);
void     bw_smtp_writer_stop(bw_smtp *st);   /* writes what is pending */
int      bw_smtp_sender_start(bw_smtp *st, GError **error);
void     bw_smtp_sender_kick(bw_smtp *st);
void     bw_smtp_sender_stop(bw_smtp *st);   /* bounded by STOP_GRACE + a poll */

#endif
