/* Alarm mail formatting (see smtpmail.h). Every value passes through
 * bw_smtpmail_clean before it is written, so CR, LF and other controls
 * never reach the message: header injection has nothing to work with.
 * Headers fold at spaces under 78 columns; non-ASCII header text becomes
 * RFC 2047 encoded words; the body is quoted-printable UTF-8, so no body
 * line exceeds 76 columns whatever the alarm text. */
#include <string.h>
#include "smtpmail.h"

#define FOLD_AT      76   /* header columns before we fold */
#define QP_LINE      76   /* RFC 2045 limit, soft break included */
#define B64_CHUNK    36   /* UTF-8 bytes per encoded word: 48 base64 chars */

/* Kept here rather than using bw_severity_name() so that formatting stays
 * free of the alarm engine (and testable alone); values as in alarm.h. */
static const char *smtpmail_severity(bw_severity s)
{
	switch (s) {
	case BW_SEVERITY_CLEARED: return "cleared";
	case BW_SEVERITY_INDETERMINATE: return "indeterminate";
	case BW_SEVERITY_CRITICAL: return "critical";
	case BW_SEVERITY_MAJOR: return "major";
	case BW_SEVERITY_MINOR: return "minor";
	case BW_SEVERITY_WARNING: return "warning";
	}
	return "unknown";
}

char *bw_smtpmail_clean(const char *s, gsize max)
{
	g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
	GString *out = g_string_sized_new(64);
	gboolean space = TRUE;   /* also drops leading spaces */
	const char *p;

	for (p = valid; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		gboolean ctl = g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029;

		if (ctl || g_unichar_isspace(c)) {
			if (!space)
				g_string_append_c(out, ' ');
			space = TRUE;
			continue;
		}
		space = FALSE;
		if (out->len + (g_utf8_next_char(p) - p) > max) {
			/* cut on a character boundary, leaving room for "..." */
			while (out->len > 0 && out->len + 3 > max) {
				const char *last = g_utf8_find_prev_char(out->str, out->str + out->len);
				g_string_truncate(out, last ? (gsize)(last - out->str) : 0);
			}
			if (max >= 3)
				g_string_append(out, "...");
			return g_string_free(out, FALSE);
		}
		g_string_append_len(out, p, g_utf8_next_char(p) - p);
	}
	while (out->len > 0 && out->str[out->len - 1] == ' ')
		g_string_truncate(out, out->len - 1);
	return g_string_free(out, FALSE);
}

gboolean bw_smtpmail_address_ok(const char *addr)
{
	const char *at;

	if (addr == NULL || *addr == '\0' || strlen(addr) > BW_SMTPMAIL_ADDR_MAX)
		return FALSE;
	for (const char *p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return FALSE;
	}
	at = strchr(addr, '@');
	return at != NULL && at != addr && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

static gboolean smtpmail_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return FALSE;
	return TRUE;
}

/* Encoded words of at most B64_CHUNK bytes each, cut on characters. */
static void smtpmail_header_encoded(GString *out, const char *value)
{
	const char *p = value;
	gboolean first = TRUE;

	while (*p) {
		const char *end = p;
		g_autofree char *b64 = NULL;

		while (*end && (end - p) + (g_utf8_next_char(end) - end) <= B64_CHUNK)
			end = g_utf8_next_char(end);
		b64 = g_base64_encode((const guchar *)p, end - p);
		g_string_append_printf(out, "%s=?UTF-8?B?%s?=", first ? " " : "\r\n ", b64);
		first = FALSE;
		p = end;
	}
}

static void smtpmail_header_ascii(GString *out, gsize col, const char *value)
{
	g_auto(GStrv) words = g_strsplit(value, " ", -1);

	for (guint i = 0; words[i]; i++) {
		gsize w = strlen(words[i]);

		if (i > 0 && col + 1 + w > FOLD_AT) {
			g_string_append(out, "\r\n");
			col = 0;
		}
		g_string_append_c(out, ' ');
		g_string_append(out, words[i]);
		col += 1 + w;
	}
}

void bw_smtpmail_header(GString *out, const char *name, const char *value)
{
	g_autofree char *clean = bw_smtpmail_clean(value, BW_SMTPMAIL_TEXT_MAX);

	g_string_append_printf(out, "%s:", name);
	if (smtpmail_ascii(clean))
		smtpmail_header_ascii(out, strlen(name) + 1, clean);
	else
		smtpmail_header_encoded(out, clean);
	g_string_append(out, "\r\n");
}

char *bw_smtpmail_date(gint64 real_us)
{
	static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(real_us / G_USEC_PER_SEC);
	gint64 off;

	if (t == NULL)
		return g_strdup("Thu, 01 Jan 1970 00:00:00 +0000");
	off = g_date_time_get_utc_offset(t) / G_USEC_PER_SEC / 60;
	return g_strdup_printf("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
			       days[g_date_time_get_day_of_week(t) - 1],
			       g_date_time_get_day_of_month(t),
			       months[g_date_time_get_month(t) - 1],
			       g_date_time_get_year(t), g_date_time_get_hour(t),
			       g_date_time_get_minute(t), g_date_time_get_second(t),
			       off < 0 ? '-' : '+', (int)(ABS(off) / 60), (int)(ABS(off) % 60));
}

char *bw_smtpmail_subject(const char *prefix, const bw_alarm *a)
{
	g_autofree char *p = bw_smtpmail_clean(prefix, 64);
	g_autofree char *rule = bw_smtpmail_clean(a->rule, BW_SMTPMAIL_FIELD_MAX);
	g_autofree char *sys = bw_smtpmail_clean(a->source, BW_SMTPMAIL_FIELD_MAX);
	g_autofree char *sev = NULL;

	if (!a->active)
		return g_strdup_printf("%s%scleared: %s on %s", p, *p ? " " : "", rule, sys);
	sev = g_ascii_strup(smtpmail_severity(a->severity), -1);
	return g_strdup_printf("%s%s%s raised: %s on %s", p, *p ? " " : "", sev, rule, sys);
}

void bw_smtpmail_qp(GString *out, const char *text)
{
	gsize col = 0;

	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;
		gboolean eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
		char enc[4];

		if (c == '\r')
			continue;
		if (c == '\n') {
			g_string_append(out, "\r\n");
			col = 0;
			continue;
		}
		/* a space or tab before a line end must be encoded (RFC 2045 6.7) */
		if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol))
			g_snprintf(enc, sizeof enc, "%c", c);
		else
			g_snprintf(enc, sizeof enc, "=%02X", c);
		if (col + strlen(enc) > QP_LINE - 1) {
			g_string_append(out, "=\r\n");
			col = 0;
		}
		g_string_append(out, enc);
		col += strlen(enc);
	}
}

static void smtpmail_time_line(GString *body, const char *label, gint64 us)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	g_autofree char *s = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S UTC") : NULL;

	g_string_append_printf(body, "%-10s %s\n", label, s ? s : "?");
}

static char *smtpmail_body(const bw_alarm *a)
{
	GString *b = g_string_sized_new(512);
	g_autofree char *text = bw_smtpmail_clean(a->text, BW_SMTPMAIL_TEXT_MAX);
	g_autofree char *rule = bw_smtpmail_clean(a->rule, BW_SMTPMAIL_FIELD_MAX);
	g_autofree char *event = bw_smtpmail_clean(a->event, BW_SMTPMAIL_FIELD_MAX);
	g_autofree char *sys = bw_smtpmail_clean(a->source, BW_SMTPMAIL_FIELD_MAX);

	g_string_append_printf(b, "%s\n\n", *text ? text : "(no description)");
	g_string_append_printf(b, "%-10s %s\n", "State:", a->active ? "raised" : "cleared");
	g_string_append_printf(b, "%-10s %s\n", "Severity:", smtpmail_severity(a->severity));
	g_string_append_printf(b, "%-10s %s\n", "Rule:", rule);
	g_string_append_printf(b, "%-10s %s\n", "Event:", event);
	g_string_append_printf(b, "%-10s %" G_GUINT64_FORMAT "\n", "Count:", a->count);
	smtpmail_time_line(b, "Raised:", a->raised);
	if (!a->active)
		smtpmail_time_line(b, "Cleared:", a->cleared);
	g_string_append_printf(b, "%-10s %s\n", "System:", sys);
	g_string_append_printf(b, "%-10s %" G_GUINT64_FORMAT "\n", "Alarm id:", a->id);
	g_string_append(b, "\n-- \nBulwark smtp-alarm\n");
	return g_string_free(b, FALSE);
}

static gboolean smtpmail_check(const bw_smtpmail *m, GError **error)
{
	guint n = 0;

	if (!bw_smtpmail_address_ok(m->from)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "mail: sender address is not a plain local@domain address");
		return FALSE;
	}
	for (n = 0; m->to && m->to[n]; n++) {
		if (!bw_smtpmail_address_ok(m->to[n])) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
				    "mail: recipient %u is not a plain local@domain address", n + 1);
			return FALSE;
		}
	}
	if (n == 0 || n > BW_SMTPMAIL_RCPT_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "mail: %u recipients; 1 to %d allowed", n, BW_SMTPMAIL_RCPT_MAX);
		return FALSE;
	}
	return TRUE;
}

static char *smtpmail_msgid(const bw_smtpmail *m)
{
	const char *domain = strchr(m->from, '@') + 1;
	GString *id = g_string_new("<");

	for (const char *p = m->unique ? m->unique : ""; *p && id->len < 64; p++)
		if (g_ascii_isalnum(*p) || *p == '.' || *p == '-')
			g_string_append_c(id, *p);
	g_string_append_printf(id, ".%" G_GUINT64_FORMAT "@%s>", m->alarm->id, domain);
	return g_string_free(id, FALSE);
}

char *bw_smtpmail_format(const bw_smtpmail *m, gsize *len, GError **error)
{
	GString *out;
	g_autofree char *date = NULL, *subject = NULL, *to = NULL, *msgid = NULL;
	g_autofree char *body = NULL;

	if (!smtpmail_check(m, error))
		return NULL;
	out = g_string_sized_new(1024);
	date = bw_smtpmail_date(m->now);
	subject = bw_smtpmail_subject(m->subject_prefix, m->alarm);
	to = g_strjoinv(", ", (char **)m->to);
	msgid = smtpmail_msgid(m);
	body = smtpmail_body(m->alarm);
	bw_smtpmail_header(out, "Date", date);
	bw_smtpmail_header(out, "From", m->from);
	bw_smtpmail_header(out, "To", to);
	bw_smtpmail_header(out, "Subject", subject);
	bw_smtpmail_header(out, "Message-ID", msgid);
	bw_smtpmail_header(out, "MIME-Version", "1.0");
	bw_smtpmail_header(out, "Content-Type", "text/plain; charset=UTF-8");
	bw_smtpmail_header(out, "Content-Transfer-Encoding", "quoted-printable");
	bw_smtpmail_header(out, "Auto-Submitted", "auto-generated");
	g_string_append(out, "\r\n");
	bw_smtpmail_qp(out, body);
	if (len)
		*len = out->len;
	return g_string_free(out, FALSE);
}
