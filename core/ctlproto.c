/* The control socket's framing (see core/ctlproto.h): an incremental,
 * bounded netstring request parser, the request encoder, reply line
 * writers and a bounded reply line reader. Every input byte is treated as
 * hostile: lengths are parsed digit by digit with a digit limit, memory is
 * allocated only once an argument's length has passed the total budget. */
#include "ctlproto.h"
#include <string.h>

G_DEFINE_QUARK(bw-ctlproto-error-quark, bw_ctlproto_error)

enum { ST_LEN, ST_DATA, ST_COMMA, ST_DONE, ST_ERROR };

struct bw_ctl_parser {
	int       state;
	gsize     len;        /* length of the argument being read */
	guint     ndigits;
	gboolean  end;        /* the length was 0: this is the terminator */
	gsize     got;        /* bytes of the current argument so far */
	gsize     total;      /* argument bytes accepted so far */
	guint64   pos;        /* request bytes consumed, for error messages */
	char     *cur;
	GPtrArray *args;      /* char*, NUL-terminated */
	GArray   *lens;       /* gsize */
};

bw_ctl_parser *bw_ctlproto_parser_new(void)
{
	bw_ctl_parser *p = g_new0(bw_ctl_parser, 1);
	p->args = g_ptr_array_new_with_free_func(g_free);
	p->lens = g_array_new(FALSE, FALSE, sizeof(gsize));
	return p;
}

void bw_ctlproto_parser_reset(bw_ctl_parser *p)
{
	g_clear_pointer(&p->cur, g_free);
	g_ptr_array_set_size(p->args, 0);
	g_array_set_size(p->lens, 0);
	p->state = ST_LEN;
	p->len = p->got = p->total = 0;
	p->ndigits = 0;
	p->end = FALSE;
	p->pos = 0;
}

void bw_ctlproto_parser_free(bw_ctl_parser *p)
{
	if (!p)
		return;
	g_free(p->cur);
	g_ptr_array_free(p->args, TRUE);
	g_array_free(p->lens, TRUE);
	g_free(p);
}

static bw_ctlp_status parser_fail(bw_ctl_parser *p, GError **err, int code,
				  const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static bw_ctlp_status parser_fail(bw_ctl_parser *p, GError **err, int code,
				  const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, BW_CTLPROTO_ERROR, code, "control request, byte %" G_GUINT64_FORMAT ": %s",
		    p->pos, msg);
	g_free(msg);
	p->state = ST_ERROR;
	return BW_CTLP_ERROR;
}

/* The ':' after a length: check the limits before allocating anything. */
static bw_ctlp_status parser_length_done(bw_ctl_parser *p, GError **err)
{
	if (p->ndigits == 0)
		return parser_fail(p, err, BW_CTLPROTO_ERROR_SYNTAX, "empty netstring length");
	if (p->len == 0) {
		p->end = TRUE;
		p->state = ST_COMMA;
		return BW_CTLP_MORE;
	}
	if (p->args->len >= BW_CTL_MAX_ARGS)
		return parser_fail(p, err, BW_CTLPROTO_ERROR_LIMIT,
				   "more than %d arguments", BW_CTL_MAX_ARGS);
	if (p->len > BW_CTL_MAX_REQUEST - p->total)
		return parser_fail(p, err, BW_CTLPROTO_ERROR_LIMIT,
				   "request larger than %d bytes", BW_CTL_MAX_REQUEST);
	p->cur = g_malloc(p->len + 1);
	p->got = 0;
	p->state = ST_DATA;
	return BW_CTLP_MORE;
}

static bw_ctlp_status parser_len_byte(bw_ctl_parser *p, guchar c, GError **err)
{
	if (c == ':')
		return parser_length_done(p, err);
	if (c < '0' || c > '9')
		return parser_fail(p, err, BW_CTLPROTO_ERROR_SYNTAX,
				   "expected a digit or ':' in a netstring length, got 0x%02x", c);
	if (p->ndigits == 1 && p->len == 0)
		return parser_fail(p, err, BW_CTLPROTO_ERROR_SYNTAX,
				   "netstring length with a leading zero");
	if (p->ndigits >= BW_CTL_MAX_LEN_DIGITS)
		return parser_fail(p, err, BW_CTLPROTO_ERROR_LIMIT,
				   "netstring length longer than %d digits", BW_CTL_MAX_LEN_DIGITS);
	p->len = p->len * 10 + (gsize)(c - '0');
	p->ndigits++;
	return BW_CTLP_MORE;
}

static bw_ctlp_status parser_comma(bw_ctl_parser *p, guchar c, GError **err)
{
	if (c != ',')
		return parser_fail(p, err, BW_CTLPROTO_ERROR_SYNTAX,
				   "expected ',' after a %" G_GSIZE_FORMAT "-byte netstring, got 0x%02x",
				   p->len, c);
	if (p->end) {
		p->state = ST_DONE;
		return BW_CTLP_DONE;
	}
	g_ptr_array_add(p->args, p->cur);
	g_array_append_val(p->lens, p->len);
	p->total += p->len;
	p->cur = NULL;
	p->len = 0;
	p->ndigits = 0;
	p->state = ST_LEN;
	return BW_CTLP_MORE;
}

bw_ctlp_status bw_ctlproto_parser_feed(bw_ctl_parser *p, const void *buf, gsize len,
				       gsize *used, GError **err)
{
	const guchar *b = buf;
	gsize i = 0;
	bw_ctlp_status st = BW_CTLP_MORE;

	if (p->state == ST_DONE || p->state == ST_ERROR) {
		if (used)
			*used = 0;
		if (p->state == ST_ERROR)
			g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX,
				    "control request: parser already failed");
		return p->state == ST_DONE ? BW_CTLP_DONE : BW_CTLP_ERROR;
	}
	while (i < len && st == BW_CTLP_MORE) {
		if (p->state == ST_DATA) {
			gsize n = MIN(p->len - p->got, len - i);
			memcpy(p->cur + p->got, b + i, n);
			p->got += n;
			i += n;
			p->pos += n;
			if (p->got == p->len) {
				p->cur[p->len] = '\0';
				p->state = ST_COMMA;
			}
			continue;
		}
		st = p->state == ST_LEN ? parser_len_byte(p, b[i], err)
					: parser_comma(p, b[i], err);
		i++;
		p->pos++;
	}
	if (used)
		*used = i;
	return st;
}

guint bw_ctlproto_parser_argc(const bw_ctl_parser *p)
{
	return p->state == ST_DONE ? p->args->len : 0;
}

const char *bw_ctlproto_parser_arg(const bw_ctl_parser *p, guint i, gsize *len)
{
	if (p->state != ST_DONE || i >= p->args->len)
		return NULL;
	if (len)
		*len = g_array_index(p->lens, gsize, i);
	return g_ptr_array_index(p->args, i);
}

void bw_ctlproto_append_arg(GString *req, const void *data, gsize len)
{
	g_string_append_printf(req, "%" G_GSIZE_FORMAT ":", len);
	g_string_append_len(req, data, (gssize)len);
	g_string_append_c(req, ',');
}

void bw_ctlproto_append_end(GString *req)
{
	g_string_append(req, "0:,");
}

static void escape_into(GString *out, const guchar *s, gsize len)
{
	for (gsize i = 0; i < len; i++) {
		guchar c = s[i];
		if (c == '\\')
			g_string_append(out, "\\\\");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			g_string_append_printf(out, "\\x%02x", c);
		else
			g_string_append_c(out, (char)c);
	}
}

void bw_ctlproto_append_output(GString *out, const void *text, gsize len)
{
	const guchar *s = text;
	gsize start = 0;

	if (len > 0 && s[len - 1] == '\n')
		len--;
	for (gsize i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		g_string_append(out, ". ");
		escape_into(out, s + start, i - start);
		g_string_append_c(out, '\n');
		start = i + 1;
	}
}

void bw_ctlproto_append_ok(GString *out)
{
	g_string_append(out, "+OK\n");
}

void bw_ctlproto_append_err(GString *out, const char *message)
{
	const char *m = message && *message ? message : "failed";
	g_string_append(out, "-ERR ");
	for (; *m; m++) {
		if (*m == '\n')
			g_string_append(out, "; ");
		else
			escape_into(out, (const guchar *)m, 1);
	}
	g_string_append_c(out, '\n');
}

bw_ctlr_kind bw_ctlproto_reply_kind(const char *line, gsize len,
				    const char **text, gsize *text_len)
{
	const char *t = NULL;
	gsize tl = 0;
	bw_ctlr_kind k = BW_CTLR_INVALID;

	if (len == 1 && line[0] == '.') {
		k = BW_CTLR_OUTPUT;
		t = line + 1;
	} else if (len >= 2 && line[0] == '.' && line[1] == ' ') {
		k = BW_CTLR_OUTPUT;
		t = line + 2;
		tl = len - 2;
	} else if (len == 3 && memcmp(line, "+OK", 3) == 0) {
		k = BW_CTLR_OK;
	} else if (len == 4 && memcmp(line, "-ERR", 4) == 0) {
		k = BW_CTLR_ERR;
		t = line + 4;
	} else if (len > 4 && memcmp(line, "-ERR ", 5) == 0) {
		k = BW_CTLR_ERR;
		t = line + 5;
		tl = len - 5;
	}
	if (text)
		*text = t;
	if (text_len)
		*text_len = tl;
	return k;
}

struct bw_ctl_lines {
	GByteArray *buf;
	gsize start;     /* first byte not yet returned */
	gsize scan;      /* bytes before this hold no '\n' (from start) */
	gsize tail;      /* length of the unfinished last line */
	gsize max_line;
};

bw_ctl_lines *bw_ctlproto_lines_new(gsize max_line)
{
	bw_ctl_lines *l = g_new0(bw_ctl_lines, 1);
	l->buf = g_byte_array_new();
	l->max_line = max_line ? max_line : BW_CTL_MAX_LINE;
	return l;
}

void bw_ctlproto_lines_free(bw_ctl_lines *l)
{
	if (!l)
		return;
	g_byte_array_free(l->buf, TRUE);
	g_free(l);
}

gboolean bw_ctlproto_lines_feed(bw_ctl_lines *l, const void *buf, gsize len, GError **err)
{
	const guchar *b = buf;
	const guchar *nl = memchr(b, '\n', len);
	const guchar *last;

	if (len == 0)
		return TRUE;
	if ((nl ? (gsize)(nl - b) : len) > l->max_line - MIN(l->tail, l->max_line)) {
		g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
			    "control reply: line longer than %" G_GSIZE_FORMAT " bytes", l->max_line);
		return FALSE;
	}
	if (nl) {
		last = b + len;
		while (last[-1] != '\n')
			last--;
		/* every line after the first ended inside this chunk: check them */
		for (const guchar *s = nl + 1; s < last;) {
			const guchar *e = memchr(s, '\n', (gsize)(last - s));
			if ((gsize)(e - s) > l->max_line)
				goto too_long;
			s = e + 1;
		}
		l->tail = (gsize)(b + len - last);
		if (l->tail > l->max_line)
			goto too_long;
	} else {
		l->tail += len;
	}
	if (l->start > 0 && l->start == l->buf->len) {
		g_byte_array_set_size(l->buf, 0);
		l->start = l->scan = 0;
	}
	g_byte_array_append(l->buf, b, (guint)len);
	return TRUE;
too_long:
	g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
		    "control reply: line longer than %" G_GSIZE_FORMAT " bytes", l->max_line);
	return FALSE;
}

const char *bw_ctlproto_lines_next(bw_ctl_lines *l, gsize *len)
{
	guchar *base = l->buf->data;
	gsize avail = l->buf->len - l->scan;
	guchar *nl = avail ? memchr(base + l->scan, '\n', avail) : NULL;
	const char *line;

	if (!nl) {
		l->scan = l->buf->len;
		if (l->start > 0) {
			g_byte_array_remove_range(l->buf, 0, (guint)l->start);
			l->scan -= l->start;
			l->start = 0;
		}
		return NULL;
	}
	*nl = '\0';
	line = (const char *)base + l->start;
	if (len)
		*len = (gsize)(nl - base) - l->start;
	l->start = l->scan = (gsize)(nl - base) + 1;
	return line;
}
