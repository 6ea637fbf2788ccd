/* smtp-alarm without a daemon: mail formatting (headers, folding,
 * encoded words, quoted-printable, header injection), the disk queue
 * (order, restart, bounds, failed/, damaged files), the URL rules, the
 * retry schedule, and a delivery that fails without leaking the password. */
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include "smtpmail.h"
#include "smtpq.h"
#include "smtpsend.h"
#include "testutil.h"

static const char *const to2[] = { "noc@example.org", "ops@example.org", NULL };

static bw_alarm test_alarm(const char *rule, const char *text)
{
	bw_alarm a = {
		.id = 42, .rule = rule, .event = "test.mail", .severity = BW_SEVERITY_MAJOR,
		.active = TRUE, .count = 3, .raised = G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC,
		.text = text, .source = "office",
	};
	return a;
}

static char *format_alarm(const bw_alarm *a)
{
	bw_smtpmail m = { "pbx@example.org", to2, "[bulwark]", a, G_GINT64_CONSTANT(1700000000) * G_USEC_PER_SEC,
			  "u1" };
	g_autoptr(GError) err = NULL;
	gsize len = 0;
	char *msg = bw_smtpmail_format(&m, &len, &err);

	g_assert_no_error(err);
	g_assert_nonnull(msg);
	g_assert_cmpuint(len, ==, strlen(msg));
	return msg;
}

/* Every line CRLF-terminated, at most 78 columns, no stray CR or LF. */
static void assert_lines(const char *msg)
{
	const char *p = msg;

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		g_assert_nonnull(eol);
		g_assert_cmpint(eol - p, <=, 78);
		for (const char *c = p; c < eol; c++)
			g_assert_true(*c != '\r' && *c != '\n');
		p = eol + 2;
	}
}

/* The header names, continuation lines joined onto their header. */
static GPtrArray *header_names(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");
	g_autofree char *head = g_strndup(msg, end - msg);
	g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);

	for (guint i = 0; lines[i]; i++) {
		if (lines[i][0] == ' ' || lines[i][0] == '\t')
			continue;
		g_assert_nonnull(strchr(lines[i], ':'));
		g_ptr_array_add(names, g_strndup(lines[i], strchr(lines[i], ':') - lines[i]));
	}
	return names;
}

static char *header_value(const char *message, const char *name)
{
	g_autofree char *key = g_strdup_printf("\r\n%s:", name);
	g_autofree char *msg = g_strconcat("\r\n", message, NULL);
	const char *p = strstr(msg, key), *end;
	GString *v = g_string_new(NULL);

	g_assert_nonnull(p);
	p += strlen(key);
	for (;;) {
		end = strstr(p, "\r\n");
		g_string_append_len(v, p, end - p);
		if (end[2] != ' ' && end[2] != '\t')
			break;
		p = end + 2;
	}
	return g_strstrip(g_string_free(v, FALSE));
}

static void test_clean(void)
{
	g_autofree char *a = bw_smtpmail_clean("a\r\nBcc: x\tz  \x01y", 100);
	g_autofree char *b = bw_smtpmail_clean("\xff\xfe" "ok", 100);
	g_autofree char *c = bw_smtpmail_clean("abcdefghij", 8);
	g_autofree char *d = bw_smtpmail_clean("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 7);
	g_autofree char *e = bw_smtpmail_clean(NULL, 10);
	g_autofree char *f = bw_smtpmail_clean("x\xe2\x80\xa8y", 10);

	g_assert_cmpstr(a, ==, "a Bcc: x z y");
	g_assert_true(g_utf8_validate(b, -1, NULL));
	g_assert_nonnull(strstr(b, "ok"));
	g_assert_cmpstr(c, ==, "abcde...");
	g_assert_cmpstr(d, ==, "\xc3\xa9\xc3\xa9...");   /* cut on a character */
	g_assert_cmpstr(e, ==, "");
	g_assert_cmpstr(f, ==, "x y");                    /* U+2028 is a line break too */
}

static void test_address(void)
{
	g_assert_true(bw_smtpmail_address_ok("noc@example.org"));
	g_assert_true(bw_smtpmail_address_ok("a.b+c@sub.example.org"));
	g_assert_false(bw_smtpmail_address_ok("noc@example.org\r\nBcc: x@y"));
	g_assert_false(bw_smtpmail_address_ok("<noc@example.org>"));
	g_assert_false(bw_smtpmail_address_ok("noc example.org"));
	g_assert_false(bw_smtpmail_address_ok("a@b@c"));
	g_assert_false(bw_smtpmail_address_ok("@b"));
	g_assert_false(bw_smtpmail_address_ok("a@"));
	g_assert_false(bw_smtpmail_address_ok("a,b@c"));
	g_assert_false(bw_smtpmail_address_ok("caf\xc3\xa9@example.org"));
	g_assert_false(bw_smtpmail_address_ok(""));
}

static void test_format_headers(void)
{
	bw_alarm a = test_alarm("trunk-down", "Trunk 1 is down");
	g_autofree char *msg = format_alarm(&a);
	g_autoptr(GPtrArray) names = header_names(msg);
	static const char *const want[] = { "Date", "From", "To", "Subject", "Message-ID",
		"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted" };
	g_autofree char *subject = NULL, *to = NULL, *msgid = NULL, *date = NULL;

	assert_lines(msg);
	g_assert_cmpuint(names->len, ==, G_N_ELEMENTS(want));
	for (guint i = 0; i < G_N_ELEMENTS(want); i++)
		g_assert_cmpstr(names->pdata[i], ==, want[i]);
	subject = header_value(msg, "Subject");
	g_assert_cmpstr(subject, ==, "[bulwark] MAJOR raised: trunk-down on office");
	to = header_value(msg, "To");
	g_assert_cmpstr(to, ==, "noc@example.org, ops@example.org");
	msgid = header_value(msg, "Message-ID");
	g_assert_true(g_regex_match_simple("^<u1\\.42@example\\.org>$", msgid, 0, 0));
	date = header_value(msg, "Date");
	g_assert_true(g_regex_match_simple(
		"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
		"Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$", date, 0, 0));
	g_assert_nonnull(strstr(msg, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"));
	g_assert_nonnull(strstr(msg, "\r\n\r\nTrunk 1 is down\r\n"));
	g_assert_nonnull(strstr(msg, "Rule:      trunk-down\r\n"));
	g_assert_nonnull(strstr(msg, "Count:     3\r\n"));
	g_assert_nonnull(strstr(msg, "Raised:    2023-11-14 22:13:20 UTC\r\n"));
}

static void test_format_cleared(void)
{
	bw_alarm a = test_alarm("trunk-down", "Trunk 1 is up again");
	g_autofree char *msg = NULL, *subject = NULL;

	a.active = FALSE;
	a.severity = BW_SEVERITY_CLEARED;
	a.cleared = a.raised + 60 * G_USEC_PER_SEC;
	msg = format_alarm(&a);
	subject = header_value(msg, "Subject");
	g_assert_cmpstr(subject, ==, "[bulwark] cleared: trunk-down on office");
	g_assert_nonnull(strstr(msg, "Cleared:   2023-11-14 22:14:20 UTC\r\n"));
}

static void test_format_injection(void)
{
	bw_alarm a = test_alarm("evil\r\nBcc: victim@example.net",
				"text\r\n\r\nX-Injected: yes\r\n.\r\nMAIL FROM:<x@y>");
	g_autofree char *msg = NULL, *subject = NULL;
	g_autoptr(GPtrArray) names = NULL;

	a.source = "sys\nReply-To: attacker@example.net";
	msg = format_alarm(&a);
	assert_lines(msg);
	names = header_names(msg);
	g_assert_cmpuint(names->len, ==, 9);
	for (guint i = 0; i < names->len; i++) {
		g_assert_cmpstr(names->pdata[i], !=, "Bcc");
		g_assert_cmpstr(names->pdata[i], !=, "Reply-To");
		g_assert_cmpstr(names->pdata[i], !=, "X-Injected");
	}
	subject = header_value(msg, "Subject");
	g_assert_cmpstr(subject, ==, "[bulwark] MAJOR raised: evil Bcc: victim@example.net on "
			"sys Reply-To: attacker@example.net");
	/* the text stays one line in the body: no line of its own */
	g_assert_null(strstr(msg, "\r\nX-Injected"));
	g_assert_null(strstr(msg, "\r\n.\r\n"));
	g_assert_nonnull(strstr(msg, "text X-Injected: yes . MAIL FROM:<x@y>"));
}

static void test_format_bad_addresses(void)
{
	bw_alarm a = test_alarm("r", "t");
	const char *const bad_to[] = { "noc@example.org\r\nBcc: x@y", NULL };
	const char *const none[] = { NULL };
	bw_smtpmail m = { "pbx@example.org", bad_to, "", &a, 0, "u" };
	g_autoptr(GError) err = NULL;

	g_assert_null(bw_smtpmail_format(&m, NULL, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_clear_error(&err);
	m.to = none;
	g_assert_null(bw_smtpmail_format(&m, NULL, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	m.to = to2;
	m.from = "pbx";
	g_assert_null(bw_smtpmail_format(&m, NULL, &err));
	g_assert_nonnull(err);
}

static void test_fold(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GString *words = g_string_new(NULL);
	g_autofree char *expect = NULL, *joined = NULL;
	g_auto(GStrv) lines = NULL;

	for (int i = 0; i < 40; i++)
		g_string_append_printf(words, "%sword%d", i ? " " : "", i);
	expect = g_string_free(words, FALSE);
	bw_smtpmail_header(out, "Subject", expect);
	assert_lines(out->str);
	lines = g_strsplit(out->str, "\r\n", -1);
	g_assert_cmpuint(g_strv_length(lines), >, 3);
	g_assert_true(g_str_has_prefix(lines[1], " "));
	/* unfolding (RFC 5322 2.2.3: remove CRLF) gives the value back */
	joined = g_strjoinv("", lines);
	g_assert_cmpstr(joined + strlen("Subject: "), ==, expect);
}

static void test_encoded_words(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GString *plain = g_string_new(NULL);
	g_autofree char *value = NULL;
	g_auto(GStrv) lines = NULL;
	GString *decoded = g_string_new(NULL);
	g_autofree char *got = NULL;

	for (int i = 0; i < 30; i++)
		g_string_append(plain, "\xc3\xa9t\xc3\xa9 ");
	value = bw_smtpmail_clean(plain->str, 1000);
	g_string_free(plain, TRUE);
	bw_smtpmail_header(out, "Subject", value);
	assert_lines(out->str);
	lines = g_strsplit(out->str, "\r\n", -1);
	for (guint i = 0; lines[i] && *lines[i]; i++) {
		const char *w = strstr(lines[i], "=?UTF-8?B?");
		gsize n = 0;
		g_autofree char *b64 = NULL;
		g_autofree guchar *raw = NULL;

		g_assert_nonnull(w);
		g_assert_true(g_str_has_suffix(lines[i], "?="));
		b64 = g_strndup(w + 10, strlen(w + 10) - 2);
		raw = g_base64_decode(b64, &n);
		g_assert_true(g_utf8_validate((const char *)raw, n, NULL));  /* whole characters */
		g_string_append_len(decoded, (const char *)raw, n);
	}
	got = g_string_free(decoded, FALSE);
	g_assert_cmpstr(got, ==, value);
}

static void test_qp(void)
{
	g_autoptr(GString) out = g_string_new(NULL);
	GString *longline = g_string_new(NULL);
	g_autofree char *ll = NULL;

	bw_smtpmail_qp(out, "a=b \n\xc3\xa9\ttab\t\n");
	g_assert_cmpstr(out->str, ==, "a=3Db=20\r\n=C3=A9\ttab=09\r\n");
	g_string_truncate(out, 0);
	for (int i = 0; i < 200; i++)
		g_string_append_c(longline, 'x');
	ll = g_string_free(longline, FALSE);
	bw_smtpmail_qp(out, ll);
	assert_lines(out->str[out->len - 1] == '\n' ? out->str : (g_string_append(out, "\r\n"))->str);
	g_assert_nonnull(strstr(out->str, "=\r\n"));
}

/* ---- queue ---- */

static bw_smtpq *open_q(const char *dir, guint count, guint64 bytes, guint failed)
{
	bw_smtpq_limits lim = { count, bytes, failed };
	g_autoptr(GError) err = NULL;
	bw_smtpq *q = bw_smtpq_open(dir, &lim, &err);

	g_assert_no_error(err);
	g_assert_nonnull(q);
	return q;
}

static void push(bw_smtpq *q, const char *rule, const char *body)
{
	const char *const rcpt[] = { "noc@example.org", NULL };
	g_autoptr(GError) err = NULL;

	g_assert_true(bw_smtpq_push(q, g_get_real_time(), rule, rcpt, body, strlen(body), &err));
	g_assert_no_error(err);
}

static guint count_files(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	guint n = 0;
	const char *name;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL)
		if (g_str_has_suffix(name, ".msg"))
			n++;
	return n;
}

static void pop_expect(bw_smtpq *q, const char *rule, const char *body)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(bw_smtpq_msg) m = bw_smtpq_head(q, NULL, &err);

	g_assert_no_error(err);
	g_assert_nonnull(m);
	g_assert_cmpstr(m->rule, ==, rule);
	g_assert_cmpstr(m->data, ==, body);
	g_assert_cmpuint(m->len, ==, strlen(body));
	g_assert_cmpstr(m->rcpt[0], ==, "noc@example.org");
	g_assert_null(m->rcpt[1]);
	g_assert_true(bw_smtpq_remove(q, m->seq, &err));
}

static void test_queue_order_restart(void)
{
	g_autofree char *tmp = bw_test_tmpdir();
	g_autofree char *dir = g_build_filename(tmp, "mailq", NULL);
	g_autofree char *stale = g_build_filename(dir, ".tmp-99", NULL);
	bw_smtpq *q = open_q(dir, 100, 1 << 20, 10);
	g_autoptr(GError) err = NULL;

	push(q, "r1", "one\r\n");
	push(q, "r2", "two\r\n");
	push(q, "r3", "three\r\n");
	g_assert_cmpuint(bw_smtpq_count(q), ==, 3);
	pop_expect(q, "r1", "one\r\n");
	bw_smtpq_close(q);

	/* a restart: a half-written temp file is not a message */
	g_assert_true(g_file_set_contents(stale, "partial", -1, NULL));
	q = open_q(dir, 100, 1 << 20, 10);
	g_assert_false(g_file_test(stale, G_FILE_TEST_EXISTS));
	g_assert_cmpuint(bw_smtpq_count(q), ==, 2);
	push(q, "r4", "four\r\n");          /* after the survivors, not before */
	pop_expect(q, "r2", "two\r\n");
	pop_expect(q, "r3", "three\r\n");
	pop_expect(q, "r4", "four\r\n");
	g_assert_null(bw_smtpq_head(q, NULL, &err));
	g_assert_no_error(err);
	g_assert_cmpuint(bw_smtpq_count(q), ==, 0);
	g_assert_cmpuint(bw_smtpq_bytes(q), ==, 0);
	g_assert_cmpuint(count_files(dir), ==, 0);
	bw_smtpq_close(q);
	bw_test_rmtree(tmp);
}

static void test_queue_bounds(void)
{
	g_autofree char *tmp = bw_test_tmpdir();
	g_autofree char *dir = g_build_filename(tmp, "mailq", NULL);
	const char *const rcpt[] = { "noc@example.org", NULL };
	const char *const bad_rcpt[] = { "a\nrcpt evil@x", NULL };
	g_autoptr(GError) err = NULL;
	bw_smtpq *q = open_q(dir, 2, 1 << 20, 10);
	g_autofree char *big = g_malloc0(4096);

	push(q, "r1", "one\r\n");
	push(q, "r2", "two\r\n");
	g_assert_false(bw_smtpq_push(q, 0, "r3", rcpt, "x", 1, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_clear_error(&err);
	g_assert_cmpuint(count_files(dir), ==, 2);
	bw_smtpq_close(q);

	/* the byte bound: what is on disk already counts after a restart */
	q = open_q(dir, 100, 300, 10);
	memset(big, 'x', 4095);
	g_assert_false(bw_smtpq_push(q, 0, "big", rcpt, big, 4095, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
	g_clear_error(&err);
	g_assert_false(bw_smtpq_push(q, 0, "r", bad_rcpt, "x", 1, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_clear_error(&err);
	g_assert_false(bw_smtpq_push(q, 0, "r\nrule x", rcpt, "x", 1, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_clear_error(&err);
	g_assert_cmpuint(bw_smtpq_count(q), ==, 2);
	bw_smtpq_close(q);
	bw_test_rmtree(tmp);
}

static void test_queue_failed(void)
{
	g_autofree char *tmp = bw_test_tmpdir();
	g_autofree char *dir = g_build_filename(tmp, "mailq", NULL);
	g_autofree char *failed = g_build_filename(dir, "failed", NULL);
	g_autofree char *bogus = g_build_filename(dir, "m0000000000000002.msg", NULL);
	g_autoptr(GError) err = NULL;
	bw_smtpq *q = open_q(dir, 100, 1 << 20, 2);
	guint64 bad = 0;

	for (int i = 0; i < 4; i++) {
		g_autofree char *rule = g_strdup_printf("r%d", i);
		g_autoptr(bw_smtpq_msg) m = NULL;

		push(q, rule, "body\r\n");
		m = bw_smtpq_head(q, NULL, &err);
		g_assert_no_error(err);
		g_assert_true(bw_smtpq_fail(q, m->seq, &err));
		g_assert_no_error(err);
	}
	g_assert_cmpuint(bw_smtpq_count(q), ==, 0);
	g_assert_cmpuint(count_files(failed), ==, 2);   /* the newest two kept */
	g_assert_true(g_file_test(failed, G_FILE_TEST_IS_DIR));
	bw_smtpq_close(q);

	/* a damaged file: reported, moved away, the next one goes on */
	q = open_q(dir, 100, 1 << 20, 10);
	push(q, "good", "ok\r\n");               /* seq 5 */
	g_assert_true(g_file_set_contents(bogus, "garbage", -1, NULL));
	bw_smtpq_close(q);
	q = open_q(dir, 100, 1 << 20, 10);
	g_assert_null(bw_smtpq_head(q, &bad, &err));
	g_assert_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_assert_nonnull(strstr(err->message, bogus));
	g_assert_cmpuint(bad, ==, 2);
	g_clear_error(&err);
	pop_expect(q, "good", "ok\r\n");
	g_assert_false(g_file_test(bogus, G_FILE_TEST_EXISTS));
	bw_smtpq_close(q);
	bw_test_rmtree(tmp);
}

/* ---- sender ---- */

static void test_backoff(void)
{
	g_assert_cmpint(bw_smtpsend_backoff(0, 0), ==, 1 * G_USEC_PER_SEC);
	g_assert_cmpint(bw_smtpsend_backoff(1, 0), ==, 2 * G_USEC_PER_SEC);
	g_assert_cmpint(bw_smtpsend_backoff(2, 0), ==, 4 * G_USEC_PER_SEC);
	g_assert_cmpint(bw_smtpsend_backoff(8, 0), ==, 256 * G_USEC_PER_SEC);
	g_assert_cmpint(bw_smtpsend_backoff(9, 0), ==, 300 * G_USEC_PER_SEC);
	g_assert_cmpint(bw_smtpsend_backoff(1000, 0), ==, 300 * G_USEC_PER_SEC);
	for (guint i = 0; i < 20; i++) {
		gint64 d = bw_smtpsend_backoff(i, 0.999);
		gint64 full = bw_smtpsend_backoff(i, 0);

		g_assert_cmpint(d, <=, full);
		g_assert_cmpint(d, >=, full * 8 / 10);
		g_assert_cmpint(d, <, full);    /* jitter really moves it */
		if (i > 0)
			g_assert_cmpint(full, >=, bw_smtpsend_backoff(i - 1, 0));
	}
	g_assert_cmpint(bw_smtpsend_backoff(3, 5.0), >=, 8 * G_USEC_PER_SEC * 8 / 10);
}

static void test_url(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *a = bw_smtpsend_url("smtp://relay:587", BW_SMTP_TLS_STARTTLS, &err);
	g_autofree char *b = bw_smtpsend_url("smtp://relay:465", BW_SMTP_TLS_IMPLICIT, &err);
	g_autofree char *c = bw_smtpsend_url("smtps://relay", BW_SMTP_TLS_IMPLICIT, &err);
	g_autofree char *d = NULL;

	g_assert_no_error(err);
	g_assert_cmpstr(a, ==, "smtp://relay:587");
	g_assert_cmpstr(b, ==, "smtps://relay:465");
	g_assert_cmpstr(c, ==, "smtps://relay");
	g_assert_null(bw_smtpsend_url("smtps://relay", BW_SMTP_TLS_STARTTLS, &err));
	g_assert_nonnull(err);
	g_clear_error(&err);
	g_assert_null(bw_smtpsend_url("smtp://user:pw@relay", BW_SMTP_TLS_STARTTLS, &err));
	g_assert_nonnull(strstr(err->message, "credentials"));
	g_assert_null(strstr(err->message, "pw"));
	g_clear_error(&err);
	g_assert_null(bw_smtpsend_url("http://relay", BW_SMTP_TLS_NONE, &err));
	g_clear_error(&err);
	g_assert_null(bw_smtpsend_url("smtp://re lay", BW_SMTP_TLS_NONE, &err));
	g_clear_error(&err);
	d = bw_smtpsend_url("smtp://", BW_SMTP_TLS_NONE, &err);
	g_assert_null(d);
}

static int closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	close(fd);   /* bound, never listened: the port refuses connections */
	return ntohs(sa.sin_port);
}

static void test_deliver_refused(void)
{
	bw_smtpsend_conf c = { 0 };
	const char *const rcpt[] = { "noc@example.org", NULL };
	g_autoptr(GError) err = NULL;

	c.url = g_strdup_printf("smtp://127.0.0.1:%d", closed_port());
	c.tls = BW_SMTP_TLS_STARTTLS;
	c.username = g_strdup("alarm");
	c.password = g_strdup("Sekr3t-pw");
	c.from = g_strdup("pbx@example.org");
	c.connect_timeout = 5;
	c.total_timeout = 10;
	g_assert_false(bw_smtpsend_deliver(&c, rcpt, "x\r\n", 3, NULL, NULL, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, c.url));
	g_assert_null(strstr(err->message, "Sekr3t"));
	bw_smtpsend_conf_clear(&c);
	g_assert_null(c.password);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/mail/clean", test_clean);
	g_test_add_func("/smtp/mail/address", test_address);
	g_test_add_func("/smtp/mail/headers", test_format_headers);
	g_test_add_func("/smtp/mail/cleared", test_format_cleared);
	g_test_add_func("/smtp/mail/injection", test_format_injection);
	g_test_add_func("/smtp/mail/bad-addresses", test_format_bad_addresses);
	g_test_add_func("/smtp/mail/fold", test_fold);
	g_test_add_func("/smtp/mail/encoded-words", test_encoded_words);
	g_test_add_func("/smtp/mail/quoted-printable", test_qp);
	g_test_add_func("/smtp/queue/order-restart", test_queue_order_restart);
	g_test_add_func("/smtp/queue/bounds", test_queue_bounds);
	g_test_add_func("/smtp/queue/failed", test_queue_failed);
	g_test_add_func("/smtp/send/backoff", test_backoff);
	g_test_add_func("/smtp/send/url", test_url);
	g_test_add_func("/smtp/send/refused", test_deliver_refused);
	return g_test_run();
}
