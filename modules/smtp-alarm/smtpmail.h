/* Alarm mails as RFC 5322 text (CRLF line ends, every line under 78
 * columns), built only from cleaned values: no field can add a header or
 * a MIME part, whatever bytes an event carried. Pure functions, no I/O. */
#ifndef BW_SMTPMAIL_H
#define BW_SMTPMAIL_H

#include <glib.h>
#include <bulwark/alarm.h>

/* Bounds on what a value may make us write (bytes, before encoding). */
#define BW_SMTPMAIL_FIELD_MAX   256
#define BW_SMTPMAIL_TEXT_MAX    2048
#define BW_SMTPMAIL_ADDR_MAX    254
#define BW_SMTPMAIL_RCPT_MAX    32

typedef struct bw_smtpmail {
	const char        *from;
	const char *const *to;              /* NULL-terminated, 1..RCPT_MAX */
	const char        *subject_prefix;  /* "[bulwark]"; "" for none */
	const bw_alarm    *alarm;
	gint64             now;             /* g_get_real_time() for Date */
	const char        *unique;          /* Message-ID left part: [A-Za-z0-9.-] */
} bw_smtpmail;

/* A printable, valid UTF-8 copy of s: control characters (CR and LF
 * included) become spaces, runs of spaces collapse, at most max bytes
 * (cut on a character boundary, "..." appended when cut). NULL -> "". */
char    *bw_smtpmail_clean(const char *s, gsize max);
/* A plain "local@domain" address (no display name, no <>, no spaces, no
 * controls, ASCII only, one @, at most BW_SMTPMAIL_ADDR_MAX bytes). */
gboolean bw_smtpmail_address_ok(const char *addr);
/* "Name: value" + CRLF, folded at spaces; non-ASCII values become RFC
 * 2047 encoded words. The value is cleaned first. */
void     bw_smtpmail_header(GString *out, const char *name, const char *value);
/* "Sun, 22 Nov 2026 06:31:53 +0000" (English names, whatever the locale) */
char    *bw_smtpmail_date(gint64 real_us);
/* "[bulwark] MAJOR raised: RULE on SYSTEM" / "... cleared: ..." */
char    *bw_smtpmail_subject(const char *prefix, const bw_alarm *a);
/* The whole message; NULL with an error for a bad from/to. */
char    *bw_smtpmail_format(const bw_smtpmail *m, gsize *len, GError **error);
/* Quoted-printable (RFC 2045) of the UTF-8 text with CRLF line ends. */
void     bw_smtpmail_qp(GString *out, const char *text);

#endif
