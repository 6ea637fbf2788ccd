/* Internal: the control socket's framing, shared by bulwarkd (core/ctl.c)
 * and bulwarkctl. No main loop needed; GLib utilities only.
 *
 * Request: netstrings "LEN:BYTES," ended by the empty netstring "0:,".
 * LEN is decimal, no sign, no leading zero (except "0" itself), at most 7
 * digits; at most BW_CTL_MAX_ARGS arguments and BW_CTL_MAX_REQUEST bytes of
 * argument data in all. Arguments may hold any byte (NUL included).
 *
 * Reply: lines ended by '\n'. ". TEXT" is output (TEXT never holds '\n';
 * control bytes and '\' are escaped as \xHH and \\), then exactly one final
 * "+OK" or "-ERR MESSAGE". */
#ifndef BW_CTLPROTO_H
#define BW_CTLPROTO_H

#include <glib.h>

#define BW_CTL_MAX_ARGS     64
#define BW_CTL_MAX_REQUEST  (1024 * 1024)
#define BW_CTL_MAX_LEN_DIGITS 7
/* Longest reply line a reader accepts: a 1 MiB value fully escaped. */
#define BW_CTL_MAX_LINE     (4 * BW_CTL_MAX_REQUEST + 64)

#define BW_CTLPROTO_ERROR (bw_ctlproto_error_quark())
GQuark bw_ctlproto_error_quark(void);
typedef enum {
	BW_CTLPROTO_ERROR_SYNTAX,    /* malformed netstring or line */
	BW_CTLPROTO_ERROR_LIMIT,     /* too many arguments, too many bytes */
} bw_ctlproto_error;

/* ---- requests ---- */
typedef enum {
	BW_CTLP_MORE,    /* all input used, request not complete yet */
	BW_CTLP_DONE,    /* request complete; arguments available */
	BW_CTLP_ERROR,   /* malformed or over a limit; err says what */
} bw_ctlp_status;

typedef struct bw_ctl_parser bw_ctl_parser;

bw_ctl_parser *bw_ctlproto_parser_new(void);
void           bw_ctlproto_parser_free(bw_ctl_parser *p);
/* Forget the arguments and any error, ready for the next request. */
void           bw_ctlproto_parser_reset(bw_ctl_parser *p);
/* Feeds bytes; *used (may be NULL) says how many were consumed: on DONE the
 * bytes after the terminating "0:," are left unused. Once DONE or ERROR,
 * further feeds consume nothing until a reset. */
bw_ctlp_status bw_ctlproto_parser_feed(bw_ctl_parser *p, const void *buf, gsize len,
				       gsize *used, GError **err);
guint          bw_ctlproto_parser_argc(const bw_ctl_parser *p);
/* Argument i, NUL-terminated for convenience; *len (may be NULL) is its
 * real length, which may include NUL bytes. */
const char    *bw_ctlproto_parser_arg(const bw_ctl_parser *p, guint i, gsize *len);

/* Encoding for the client. */
void bw_ctlproto_append_arg(GString *req, const void *data, gsize len);
void bw_ctlproto_append_end(GString *req);

/* ---- replies ---- */
/* Appends text as ". " lines: split at '\n' (one trailing '\n' does not
 * make an empty last line; empty text makes one empty line), control bytes
 * and '\' escaped. */
void bw_ctlproto_append_output(GString *out, const void *text, gsize len);
/* "+OK\n" or "-ERR MESSAGE\n", the message flattened to one line. */
void bw_ctlproto_append_ok(GString *out);
void bw_ctlproto_append_err(GString *out, const char *message);

typedef enum {
	BW_CTLR_OUTPUT,     /* ". TEXT": *text is TEXT */
	BW_CTLR_OK,         /* "+OK" */
	BW_CTLR_ERR,        /* "-ERR MESSAGE": *text is MESSAGE */
	BW_CTLR_INVALID,    /* anything else */
} bw_ctlr_kind;
/* Classifies one reply line (without its '\n'); *text points into line. */
bw_ctlr_kind bw_ctlproto_reply_kind(const char *line, gsize len,
				    const char **text, gsize *text_len);

/* A bounded line splitter for reading replies from a stream. */
typedef struct bw_ctl_lines bw_ctl_lines;
bw_ctl_lines *bw_ctlproto_lines_new(gsize max_line);
void          bw_ctlproto_lines_free(bw_ctl_lines *l);
/* Appends input; FALSE (err LIMIT) when a line grows past max_line. */
gboolean      bw_ctlproto_lines_feed(bw_ctl_lines *l, const void *buf, gsize len,
				     GError **err);
/* The next complete line without '\n' (valid until the next call), or
 * NULL when none is complete yet. */
const char   *bw_ctlproto_lines_next(bw_ctl_lines *l, gsize *len);

#endif
