/* The two workers of mod_smtp-alarm.
 *
 * Writer: a one-thread GThreadPool that persists formatted mails (fsync
 * takes milliseconds; the sink runs on the management thread and must not
 * wait for it). At most BW_SMTP_PENDING_MAX mails wait for it; beyond
 * that, and when the queue on disk is full, a mail is refused: counted,
 * logged at most once a minute, and published as "smtp.queue.dropped".
 *
 * Sender: one thread delivering the queue's head, in order. A failure
 * waits 1 s doubling to 5 min (with jitter) before the next attempt; new
 * mails do not cut that short. A message older than retry-max-age after
 * at least one attempt is given up: "smtp.delivery.failed", moved to
 * failed/. Stop wakes the thread; a transfer in flight gets
 * BW_SMTP_STOP_GRACE to finish, then libcurl's progress poll aborts it. */
#include <errno.h>
#include <string.h>
#include "smtpalarm.h"
#include "smtpmail.h"

#define SMTP_DROP_LOG_EVERY (60 * G_USEC_PER_SEC)

typedef struct smtp_job {
	gint64 created;
	char  *rule;
	char  *data;
	gsize  len;
} smtp_job;

static void smtp_job_free(smtp_job *j)
{
	g_free(j->rule);
	g_free(j->data);
	g_free(j);
}

void bw_smtp_drop(bw_smtp *st, const char *rule, const char *why)
{
	gint total = g_atomic_int_add(&st->dropped, 1) + 1;
	gint64 now = g_get_monotonic_time();
	char n[16];

	guint unlogged;

	g_snprintf(n, sizeof n, "%d", total);
	bw_event_emit("smtp.queue.dropped", "rule", rule, "error", why, "dropped", n, NULL);
	/* called from the management thread (sink) and the writer thread */
	g_mutex_lock(&st->lock);
	if (st->last_drop_log != 0 && now - st->last_drop_log < SMTP_DROP_LOG_EVERY) {
		st->drops_unlogged++;
		g_mutex_unlock(&st->lock);
		return;
	}
	unlogged = st->drops_unlogged;
	st->last_drop_log = now;
	st->drops_unlogged = 0;
	g_mutex_unlock(&st->lock);
	g_warning("smtp-alarm: alarm mail for rule %s not queued: %s (%d refused in "
		  "total, %u not logged since the last such message)", rule, why, total,
		  unlogged);
}

static void smtp_writer_run(gpointer data, gpointer user_data)
{
	smtp_job *j = data;
	bw_smtp *st = user_data;
	g_autoptr(GError) err = NULL;

	if (bw_smtpq_push(st->q, j->created, j->rule, (const char *const *)st->conf.rcpt,
			  j->data, j->len, &err))
		bw_smtp_sender_kick(st);
	else
		bw_smtp_drop(st, j->rule, err->message);
	smtp_job_free(j);
}

int bw_smtp_writer_start(bw_smtp *st, GError **error)
{
	st->writer = g_thread_pool_new(smtp_writer_run, st, 1, FALSE, error);
	return st->writer ? 0 : EAGAIN;
}

void bw_smtp_writer_stop(bw_smtp *st)
{
	if (st->writer == NULL)
		return;
	/* immediate=FALSE: every mail handed over is written before we go */
	g_thread_pool_free(st->writer, FALSE, TRUE);
	st->writer = NULL;
}

void bw_smtp_enqueue(bw_smtp *st, const bw_alarm *a)
{
	g_autofree char *unique = g_strdup_printf("%" G_GINT64_MODIFIER "x.%08x",
						  g_get_real_time(), g_random_int());
	bw_smtpmail m = {
		.from = st->conf.send.from,
		.to = (const char *const *)st->conf.rcpt,
		.subject_prefix = st->conf.subject_prefix,
		.alarm = a,
		.now = g_get_real_time(),
		.unique = unique,
	};
	g_autoptr(GError) err = NULL;
	g_autofree char *rule = bw_smtpmail_clean(a->rule, BW_SMTPMAIL_FIELD_MAX);
	smtp_job *j;

	if (st->writer == NULL || g_thread_pool_unprocessed(st->writer) >= BW_SMTP_PENDING_MAX) {
		bw_smtp_drop(st, rule, st->writer ? "too many mails waiting to be written"
			     : "module not started");
		return;
	}
	j = g_new0(smtp_job, 1);
	j->data = bw_smtpmail_format(&m, &j->len, &err);
	if (j->data == NULL) {
		bw_smtp_drop(st, rule, err->message);
		smtp_job_free(j);
		return;
	}
	j->created = m.now;
	j->rule = g_steal_pointer(&rule);
	if (!g_thread_pool_push(st->writer, j, &err)) {
		bw_smtp_drop(st, j->rule, err->message);
		smtp_job_free(j);
	}
}

/* ---- sender ---- */

void bw_smtp_sender_kick(bw_smtp *st)
{
	g_mutex_lock(&st->lock);
	st->kicked = TRUE;
	g_cond_signal(&st->cond);
	g_mutex_unlock(&st->lock);
}

/* Until deadline (monotonic; -1: none), stop, or (if on_kick) a kick. */
static void smtp_wait(bw_smtp *st, gint64 deadline, gboolean on_kick)
{
	g_mutex_lock(&st->lock);
	while (!st->stopping && !(on_kick && st->kicked)) {
		if (deadline < 0)
			g_cond_wait(&st->cond, &st->lock);
		else if (!g_cond_wait_until(&st->cond, &st->lock, deadline))
			break;
	}
	if (on_kick)
		st->kicked = FALSE;
	g_mutex_unlock(&st->lock);
}

static gboolean smtp_stopping(bw_smtp *st, gint64 *deadline)
{
	gboolean s;

	g_mutex_lock(&st->lock);
	s = st->stopping;
	if (deadline)
		*deadline = st->stop_deadline;
	g_mutex_unlock(&st->lock);
	return s;
}

static gboolean smtp_abort(void *user_data)
{
	gint64 deadline;

	return smtp_stopping(user_data, &deadline) && g_get_monotonic_time() >= deadline;
}

static char *smtp_age(const bw_smtpq_msg *m)
{
	return g_strdup_printf("%" G_GINT64_FORMAT,
			       MAX(0, g_get_real_time() - m->created) / G_USEC_PER_SEC);
}

static void smtp_delivered(bw_smtp *st, const bw_smtpq_msg *m, guint attempts)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *rcpt = g_strjoinv(",", m->rcpt);
	g_autofree char *age = smtp_age(m);
	bw_event *ev;

	if (!bw_smtpq_remove(st->q, m->seq, &err))
		g_warning("smtp-alarm: mail %" G_GUINT64_FORMAT " delivered but %s",
			  m->seq, err->message);
	g_message("mail %" G_GUINT64_FORMAT " (rule %s) delivered to %s after %u attempt(s)",
		  m->seq, m->rule, st->conf.send.url, attempts);
	ev = bw_event_new("smtp.delivery.ok");
	bw_event_add(ev, "rule", m->rule);
	bw_event_add(ev, "recipients", rcpt);
	bw_event_add(ev, "age", age);
	bw_event_addf(ev, "attempts", "%u", attempts);
	bw_event_addf(ev, "queued", "%u", bw_smtpq_count(st->q));
	bw_event_publish(ev);
}

static void smtp_give_up(bw_smtp *st, const bw_smtpq_msg *m, const char *why)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *rcpt = g_strjoinv(",", m->rcpt);
	g_autofree char *age = smtp_age(m);

	if (!bw_smtpq_fail(st->q, m->seq, &err))
		g_warning("smtp-alarm: %s", err->message);
	g_warning("smtp-alarm: gave up on mail %" G_GUINT64_FORMAT " (rule %s, to %s) after "
		  "%s s (retry-max-age): %s; kept in %s/failed", m->seq, m->rule, rcpt, age,
		  why, bw_smtpq_dir(st->q));
	bw_event_emit("smtp.delivery.failed", "rule", m->rule, "recipients", rcpt,
		      "error", why, "age", age, NULL);
}

/* One pass over the head; returns the attempts made on it so far. */
static void smtp_sender_step(bw_smtp *st, guint64 *cur, guint *attempts, char **last_error)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(bw_smtpq_msg) m = NULL;
	guint64 bad = 0;
	gint64 age, delay, expires;

	m = bw_smtpq_head(st->q, &bad, &err);
	if (m == NULL && err != NULL) {
		g_warning("smtp-alarm: %s", err->message);
		bw_event_emit("smtp.delivery.failed", "rule", "?", "recipients", "",
			      "error", err->message, "age", "0", NULL);
		return;
	}
	if (m == NULL) {
		smtp_wait(st, -1, TRUE);
		return;
	}
	if (m->seq != *cur) {
		*cur = m->seq;
		*attempts = 0;
		g_clear_pointer(last_error, g_free);
	}
	age = g_get_real_time() - m->created;
	if (*attempts > 0 && age >= st->conf.max_age) {
		smtp_give_up(st, m, *last_error ? *last_error : "expired");
		return;
	}
	if (bw_smtpsend_deliver(&st->conf.send, (const char *const *)m->rcpt, m->data,
				m->len, smtp_abort, st, &err)) {
		smtp_delivered(st, m, *attempts + 1);
		return;
	}
	delay = bw_smtpsend_backoff((*attempts)++, g_random_double());
	expires = MAX(0, st->conf.max_age - age);
	g_warning("smtp-alarm: mail %" G_GUINT64_FORMAT " (rule %s), attempt %u: %s; "
		  "next attempt in %.1f s", m->seq, m->rule, *attempts, err->message,
		  (double)MIN(delay, expires) / G_USEC_PER_SEC);
	g_free(*last_error);
	*last_error = g_strdup(err->message);
	smtp_wait(st, g_get_monotonic_time() + MIN(delay, expires), FALSE);
}

static gpointer smtp_sender_main(gpointer user_data)
{
	bw_smtp *st = user_data;
	guint64 cur = 0;
	guint attempts = 0;
	char *last_error = NULL;

	while (!smtp_stopping(st, NULL))
		smtp_sender_step(st, &cur, &attempts, &last_error);
	g_free(last_error);
	return NULL;
}

int bw_smtp_sender_start(bw_smtp *st, GError **error)
{
	st->stopping = FALSE;
	st->kicked = TRUE;   /* look at what a previous run left in the queue */
	st->thread = g_thread_try_new("smtp-alarm", smtp_sender_main, st, error);
	return st->thread ? 0 : EAGAIN;
}

void bw_smtp_sender_stop(bw_smtp *st)
{
	if (st->thread == NULL)
		return;
	g_mutex_lock(&st->lock);
	st->stopping = TRUE;
	st->stop_deadline = g_get_monotonic_time() + BW_SMTP_STOP_GRACE;
	g_cond_broadcast(&st->cond);
	g_mutex_unlock(&st->lock);
	g_thread_join(st->thread);
	st->thread = NULL;
}
