/* libFuzzer harness for the control socket framing (core/ctlproto.c): the
 * request parser fed whole and in input-chosen pieces must agree, a parsed
 * request must survive re-encoding, and the reply line reader and the
 * output escaper must keep their invariants on any bytes. */
#include "ctlproto.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bw_ctl_parser *parse(const uint8_t *data, size_t size, size_t step, bw_ctlp_status *st)
{
	bw_ctl_parser *p = bw_ctlproto_parser_new();
	size_t off = 0;

	*st = BW_CTLP_MORE;
	while (off < size && *st == BW_CTLP_MORE) {
		size_t n = size - off < step ? size - off : step, used = 0;
		*st = bw_ctlproto_parser_feed(p, data + off, n, &used, NULL);
		if (used > n || (*st == BW_CTLP_MORE && used != n))
			abort();
		off += used;
	}
	return p;
}

static int same_args(const bw_ctl_parser *a, const bw_ctl_parser *b)
{
	if (bw_ctlproto_parser_argc(a) != bw_ctlproto_parser_argc(b))
		return 0;
	for (guint i = 0; i < bw_ctlproto_parser_argc(a); i++) {
		gsize la, lb;
		const char *sa = bw_ctlproto_parser_arg(a, i, &la);
		const char *sb = bw_ctlproto_parser_arg(b, i, &lb);
		if (la != lb || memcmp(sa, sb, la) != 0 || sa[la] != '\0')
			return 0;
	}
	return 1;
}

static void check_requests(const uint8_t *data, size_t size)
{
	bw_ctlp_status s1, s2, s3;
	size_t step = size ? (size_t)(data[0] % 7) + 1 : 1;
	bw_ctl_parser *whole = parse(data, size, size ? size : 1, &s1);
	bw_ctl_parser *split = parse(data, size, step, &s2);

	if (s1 != s2 || (s1 == BW_CTLP_DONE && !same_args(whole, split)))
		abort();
	if (s1 == BW_CTLP_DONE) {
		GString *req = g_string_new(NULL);
		for (guint i = 0; i < bw_ctlproto_parser_argc(whole); i++) {
			gsize len;
			const char *a = bw_ctlproto_parser_arg(whole, i, &len);
			bw_ctlproto_append_arg(req, a, len);
		}
		bw_ctlproto_append_end(req);
		bw_ctl_parser *again = parse((const uint8_t *)req->str, req->len, req->len, &s3);
		if (s3 != BW_CTLP_DONE || !same_args(whole, again))
			abort();
		bw_ctlproto_parser_free(again);
		g_string_free(req, TRUE);
	}
	bw_ctlproto_parser_free(whole);
	bw_ctlproto_parser_free(split);
}

static void check_replies(const uint8_t *data, size_t size)
{
	bw_ctl_lines *l = bw_ctlproto_lines_new(64);
	GString *out = g_string_new(NULL);
	const char *line;
	gsize len;

	for (size_t off = 0; off < size; off += 5) {
		size_t n = size - off < 5 ? size - off : 5;
		if (!bw_ctlproto_lines_feed(l, data + off, n, NULL))
			break;
		while ((line = bw_ctlproto_lines_next(l, &len))) {
			if (len > 64 || memchr(line, '\n', len))
				abort();
			bw_ctlproto_reply_kind(line, len, NULL, NULL);
		}
	}
	bw_ctlproto_lines_free(l);
	/* whatever the text, the escaper makes only well-formed ". " lines */
	bw_ctlproto_append_output(out, data, size);
	for (char *s = out->str, *e; *s; s = e + 1) {
		const char *text;
		e = strchr(s, '\n');
		if (!e || bw_ctlproto_reply_kind(s, (gsize)(e - s), &text, NULL) != BW_CTLR_OUTPUT)
			abort();
		for (const char *c = s; c < e; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				abort();
	}
	g_string_free(out, TRUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_requests(data, size);
	check_replies(data, size);
	return 0;
}
