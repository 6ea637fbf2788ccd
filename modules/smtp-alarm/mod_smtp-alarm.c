/* mod_smtp-alarm: alarm e-mail through a relay (libcurl).
 *
 * Contract: registers the alarm sink "email" in start and removes it in
 * stop; each raised or cleared alarm becomes one mail to every configured
 * recipient, queued on disk in DATA_DIR/mailq and delivered by a thread of
 * its own (see smtpworker.c for retries, smtpsend.h for TLS and AUTH).
 * Publishes "smtp.delivery.ok", "smtp.delivery.failed" and
 * "smtp.queue.dropped". An "smtp.test" event (bulwarkctl emit smtp.test
 * [text=...]) sends a test mail through the same path, to check the relay
 * settings without raising an alarm. Listens on nothing (a client only).
 * Configuration: docs/smtp-alarm.md. Uses only the SDK. */
#include <errno.h>
#include <curl/curl.h>
#include "smtpalarm.h"
#include "smtpmail.h"

#define SMTP_SINK "email"

static void smtp_on_alarm(const bw_alarm *a, void *user_data)
{
	bw_smtp_enqueue(user_data, a);
}

static void smtp_on_test(const bw_event *ev, void *user_data)
{
	const char *text = bw_event_get(ev, "text");
	bw_alarm a = {
		.id = bw_event_seq(ev),
		.rule = "smtp-test",
		.event = bw_event_type(ev),
		.severity = BW_SEVERITY_WARNING,
		.active = TRUE,
		.count = 1,
		.raised = bw_event_time(ev),
		.text = text ? text : "Test mail from Bulwark: the relay settings work.",
		.source = bw_system_name(),
	};

	bw_smtp_enqueue(user_data, &a);
}

static void smtp_free(bw_smtp *st)
{
	bw_smtpq_close(st->q);
	bw_smtpconf_clear(&st->conf);
	g_mutex_clear(&st->lock);
	g_cond_clear(&st->cond);
	g_free(st);
}

static int smtp_init(bw_module *m)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *dir = g_build_filename(bw_data_dir(), "mailq", NULL);
	bw_smtp *st = g_new0(bw_smtp, 1);

	g_mutex_init(&st->lock);
	g_cond_init(&st->cond);
	if (!bw_smtpconf_read(bw_module_conf(m), &st->conf, &err) ||
	    (st->q = bw_smtpq_open(dir, &st->conf.lim, &err)) == NULL) {
		g_warning("smtp-alarm: init: %s", err->message);
		smtp_free(st);
		return EINVAL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		g_warning("smtp-alarm: init: libcurl cannot initialise");
		smtp_free(st);
		return EIO;
	}
	if (st->conf.send.tls == BW_SMTP_TLS_NONE)
		g_warning("smtp-alarm: tls=\"none\": alarm mails go to %s unencrypted",
			  st->conf.send.url);
	bw_module_set_data(m, st);
	return 0;
}

static int smtp_start(bw_module *m)
{
	bw_smtp *st = bw_module_data(m);
	g_autoptr(GError) err = NULL;
	int rc;

	if (bw_smtp_writer_start(st, &err) != 0 || bw_smtp_sender_start(st, &err) != 0) {
		g_warning("smtp-alarm: start: cannot start a thread: %s", err->message);
		bw_smtp_writer_stop(st);
		return EAGAIN;
	}
	rc = bw_alarm_sink_add(SMTP_SINK, smtp_on_alarm, st);
	if (rc != 0) {
		g_warning("smtp-alarm: start: cannot register the alarm sink \"%s\": %s",
			  SMTP_SINK, g_strerror(rc));
		bw_smtp_sender_stop(st);
		bw_smtp_writer_stop(st);
		return rc;
	}
	st->test_sub = bw_bus_subscribe("smtp.test", NULL, 16, smtp_on_test, st);
	g_message("alarm mails to %u recipient(s) through %s (tls %s, TLS %s minimum%s); "
		  "%u queued", g_strv_length(st->conf.rcpt), st->conf.send.url,
		  st->conf.send.tls == BW_SMTP_TLS_NONE ? "none" :
		  st->conf.send.tls == BW_SMTP_TLS_IMPLICIT ? "implicit" : "starttls",
		  st->conf.send.tls12 ? "1.2" : "1.3",
		  st->conf.send.username ? ", with AUTH" : "", bw_smtpq_count(st->q));
	return 0;
}

static void smtp_stop(bw_module *m)
{
	bw_smtp *st = bw_module_data(m);

	bw_alarm_sink_remove(SMTP_SINK);
	if (st->test_sub != NULL) {
		bw_bus_unsubscribe(st->test_sub);
		st->test_sub = NULL;
	}
	/* the writer first: what it still holds reaches the disk queue */
	bw_smtp_writer_stop(st);
	bw_smtp_sender_stop(st);
}

static void smtp_fini(bw_module *m)
{
	bw_smtp *st = bw_module_data(m);

	if (st == NULL)
		return;
	smtp_free(st);
	curl_global_cleanup();
	bw_module_set_data(m, NULL);
}

BW_MODULE_DEFINE(
	.name = "smtp-alarm",
	.version = "1.0.0",
	.summary = "Alarm e-mail through an SMTP relay (STARTTLS/TLS, AUTH, persistent queue)",
	.requires = NULL,
	.init = smtp_init,
	.start = smtp_start,
	.stop = smtp_stop,
	.fini = smtp_fini,
);
