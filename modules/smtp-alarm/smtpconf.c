/* Reading <module name="smtp-alarm"> (see docs/smtp-alarm.md). The schema
 * has checked the shapes already; this checks what it cannot (the URL
 * against the TLS mode, addresses, the password file's mode) and says
 * where: every message names the file and line of the element. */
#define _GNU_SOURCE   /* O_NOFOLLOW */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "smtpalarm.h"
#include "smtpmail.h"

#define SMTP_DEFAULT_MAX_AGE    (24 * 3600)
#define SMTP_DEFAULT_QUEUE_MAX  1000
#define SMTP_DEFAULT_QUEUE_MB   16
#define SMTP_DEFAULT_FAILED_MAX 100

static gboolean smtpconf_fail(GError **error, const bw_conf_node *n, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);
static gboolean smtpconf_fail(GError **error, const bw_conf_node *n, const char *fmt, ...)
{
	va_list ap;
	g_autofree char *what = NULL;

	va_start(ap, fmt);
	what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%d: <module name=\"smtp-alarm\">: %s",
		    bw_conf_file(n), bw_conf_line(n), what);
	return FALSE;
}

static gboolean smtpconf_password_read(int fd, const char *path, char **out, GError **error)
{
	char buf[BW_SMTP_PASSWORD_MAX + 2];
	gsize len = 0;
	ssize_t r;

	while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
				    "password-file %s: cannot read: %s", path, g_strerror(errno));
			return FALSE;
		}
		len += (gsize)r;
	}
	buf[len] = '\0';
	if (len > BW_SMTP_PASSWORD_MAX || memchr(buf, '\0', len) != NULL) {
		memset(buf, 0, sizeof buf);
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "password-file %s: longer than %d bytes or binary", path,
			    BW_SMTP_PASSWORD_MAX);
		return FALSE;
	}
	buf[strcspn(buf, "\r\n")] = '\0';   /* the first line is the password */
	*out = g_strdup(buf);
	memset(buf, 0, sizeof buf);
	return TRUE;
}

char *bw_smtpconf_password(const char *path, GError **error)
{
	struct stat st;
	char *pw = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "password-file %s: cannot open: %s", path, g_strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "password-file %s: not a regular file", path);
	} else if ((st.st_mode & 077) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_ACCES,
			    "password-file %s: mode %04o lets group or others read it; "
			    "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
	} else {
		(void)smtpconf_password_read(fd, path, &pw, error);
	}
	close(fd);
	return pw;
}

static gboolean smtpconf_tls(const bw_conf_node *n, bw_smtpconf *c, GError **error)
{
	const char *url = bw_conf_str(n, "url", "");
	const char *tls = bw_conf_attr(n, "tls");
	const char *min = bw_conf_str(n, "min-tls", "1.3");
	g_autoptr(GError) err = NULL;

	if (tls == NULL)
		tls = g_str_has_prefix(url, "smtps://") ? "implicit" : "starttls";
	if (strcmp(tls, "starttls") == 0)
		c->send.tls = BW_SMTP_TLS_STARTTLS;
	else if (strcmp(tls, "implicit") == 0)
		c->send.tls = BW_SMTP_TLS_IMPLICIT;
	else if (strcmp(tls, "none") == 0)
		c->send.tls = BW_SMTP_TLS_NONE;
	else
		return smtpconf_fail(error, n, "tls=\"%s\": use starttls, implicit or none", tls);
	if (strcmp(min, "1.3") != 0 && strcmp(min, "1.2") != 0)
		return smtpconf_fail(error, n, "min-tls=\"%s\": use 1.3 or 1.2", min);
	c->send.tls12 = strcmp(min, "1.2") == 0;
	c->send.url = bw_smtpsend_url(url, c->send.tls, &err);
	if (c->send.url == NULL)
		return smtpconf_fail(error, n, "url=\"%s\": %s", url, err->message);
	c->send.ca_file = g_strdup(bw_conf_attr(n, "ca-file"));
	return TRUE;
}

static gboolean smtpconf_auth(const bw_conf_node *n, bw_smtpconf *c, GError **error)
{
	const char *user = bw_conf_attr(n, "username");
	const char *pwfile = bw_conf_attr(n, "password-file");
	const char *auth = bw_conf_attr(n, "auth");
	g_autoptr(GError) err = NULL;

	if (user == NULL) {
		if (pwfile || auth)
			return smtpconf_fail(error, n, "password-file and auth need a username");
		return TRUE;
	}
	if (*user == '\0' || strpbrk(user, "\r\n") != NULL)
		return smtpconf_fail(error, n, "username must be one non-empty line");
	if (c->send.tls == BW_SMTP_TLS_NONE)
		return smtpconf_fail(error, n, "refusing to send credentials with tls=\"none\"");
	if (auth && strcmp(auth, "PLAIN") != 0 && strcmp(auth, "LOGIN") != 0 &&
	    strcmp(auth, "CRAM-MD5") != 0)
		return smtpconf_fail(error, n, "auth=\"%s\": use PLAIN, LOGIN or CRAM-MD5", auth);
	if (pwfile == NULL)
		return smtpconf_fail(error, n, "username is set but password-file is not");
	c->send.password = bw_smtpconf_password(pwfile, &err);
	if (c->send.password == NULL)
		return smtpconf_fail(error, n, "%s", err->message);
	c->send.username = g_strdup(user);
	c->send.auth = g_strdup(auth);
	return TRUE;
}

static gboolean smtpconf_addresses(const bw_conf_node *n, bw_smtpconf *c, GError **error)
{
	const char *from = bw_conf_str(n, "from", "");
	g_autoptr(GPtrArray) rcpt = g_ptr_array_new_with_free_func(g_free);
	const bw_conf_node *r;

	if (!bw_smtpmail_address_ok(from))
		return smtpconf_fail(error, n, "from=\"%s\" is not a plain local@domain address", from);
	c->send.from = g_strdup(from);
	for (r = bw_conf_child(n, "recipient"); r; r = bw_conf_next_named(r)) {
		const char *a = bw_conf_str(r, "address", "");

		if (!bw_smtpmail_address_ok(a))
			return smtpconf_fail(error, r, "<recipient address=\"%s\">: not a plain "
					     "local@domain address", a);
		if (rcpt->len >= BW_SMTPMAIL_RCPT_MAX)
			return smtpconf_fail(error, r, "more than %d recipients", BW_SMTPMAIL_RCPT_MAX);
		g_ptr_array_add(rcpt, g_strdup(a));
	}
	if (rcpt->len == 0)
		return smtpconf_fail(error, n, "no <recipient address=\"...\"/>");
	g_ptr_array_add(rcpt, NULL);
	c->rcpt = (char **)g_ptr_array_free(g_steal_pointer(&rcpt), FALSE);
	return TRUE;
}

static gboolean smtpconf_limits(const bw_conf_node *n, bw_smtpconf *c, GError **error)
{
	gint64 age = bw_conf_seconds(n, "retry-max-age", SMTP_DEFAULT_MAX_AGE);
	gint64 max = bw_conf_int(n, "queue-max", SMTP_DEFAULT_QUEUE_MAX);
	gint64 mb = bw_conf_int(n, "queue-max-mb", SMTP_DEFAULT_QUEUE_MB);
	gint64 failed = bw_conf_int(n, "failed-max", SMTP_DEFAULT_FAILED_MAX);

	if (age < 1 || age > 30 * 24 * 3600)
		return smtpconf_fail(error, n, "retry-max-age must be 1 s to 30 days");
	if (max < 1 || max > 100000 || mb < 1 || mb > 4096 || failed < 0 || failed > 100000)
		return smtpconf_fail(error, n, "queue-max (1..100000), queue-max-mb (1..4096) "
				     "or failed-max (0..100000) out of range");
	c->max_age = age * G_USEC_PER_SEC;
	c->lim.max_count = (guint)max;
	c->lim.max_bytes = (guint64)mb * 1024 * 1024;
	c->lim.failed_max = (guint)failed;
	c->subject_prefix = g_strdup(bw_conf_str(n, "subject-prefix", "[bulwark]"));
	return TRUE;
}

gboolean bw_smtpconf_read(const bw_conf_node *n, bw_smtpconf *c, GError **error)
{
	memset(c, 0, sizeof *c);
	c->send.connect_timeout = 10;
	c->send.total_timeout = 60;
	if (smtpconf_tls(n, c, error) && smtpconf_auth(n, c, error) &&
	    smtpconf_addresses(n, c, error) && smtpconf_limits(n, c, error))
		return TRUE;
	bw_smtpconf_clear(c);
	return FALSE;
}

void bw_smtpconf_clear(bw_smtpconf *c)
{
	bw_smtpsend_conf_clear(&c->send);
	g_strfreev(c->rcpt);
	g_free(c->subject_prefix);
	memset(c, 0, sizeof *c);
}
