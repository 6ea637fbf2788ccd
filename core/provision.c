/* XML provisioning (storedb.h): import and export of store records.
 *
 *   <provisioning>
 *     <record key="ext/100">text value</record>
 *     <record key="blob/1" encoding="base64">AAEC</record>
 *   </provisioning>
 *
 * Import reads a bounded file, parses it without network access, entity
 * expansion or DTD loading, and refuses any DTD at all, as soon as it
 * starts (XXE, entity bombs). bw_provision_parse does all of this on a
 * buffer without a store (the fuzz harness drives it).
 * Every record is validated before the first write; then all changes go in
 * one transaction, each with its audit record, so a file is applied
 * entirely or not at all. A record whose value is unchanged is skipped.
 * Export writes text when the value is valid UTF-8 made of characters that
 * survive an XML round trip, base64 otherwise. */
#define _POSIX_C_SOURCE 200809L
#include "storeint.h"
#include "util.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>

#define PROVISION_FILE_MAX (64 * 1024 * 1024)

typedef bw_provision_record item;

static void item_free(gpointer p)
{
	item *it = p;
	g_free(it->key);
	if (it->value)
		g_bytes_unref(it->value);
	g_free(it);
}

static void fail(GError **err, int code, const char *file, int line, const char *fmt,
		 ...) G_GNUC_PRINTF(5, 6);
static void fail(GError **err, int code, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(err, BW_STORE_ERROR, code, "provision: %s:%d: %s", file, line, msg);
	g_free(msg);
}

/* ---- reading and parsing ---- */

static gboolean read_bounded(const char *path, char **buf, gsize *len, GError **err)
{
	GError *e = NULL;
	*buf = bw_util_read_file(path, PROVISION_FILE_MAX, len, &e);
	if (*buf)
		return TRUE;
	gboolean io = !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_FAILED) &&
		      !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	g_set_error(err, BW_STORE_ERROR, io ? BW_STORE_ERROR_IO : BW_STORE_ERROR_INVALID,
		    "provision: %s", e->message);
	g_error_free(e);
	return FALSE;
}

/* Stops the parser at "<!DOCTYPE", before any entity declaration. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
		       const xmlChar *sys_id)
{
	xmlParserCtxtPtr pc = ctx;
	*(int *)pc->_private = xmlSAX2GetLineNumber(ctx);
	xmlStopParser(pc);
}

/* Errors without a parser context (encoding conversion) would go to
 * libxml2's global channel, stderr; the context's last error is reported. */
static void on_xml_error(void *data, xmlErrorPtr e)
{
}

static xmlDocPtr parse(const char *path, const char *buf, gsize len, GError **err)
{
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "provision: %s: cannot allocate an XML parser", path);
		return NULL;
	}
	int doctype_line = 0;
	ctxt->_private = &doctype_line;
	ctxt->sax->internalSubset = on_doctype;
	/* The structured handler is per thread in libxml2: restore the caller's. */
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(NULL, (xmlStructuredErrorFunc)on_xml_error);
	/* Deliberately no XML_PARSE_NOENT / DTDLOAD / DTDATTR / HUGE. */
	xmlDocPtr doc = xmlCtxtReadMemory(ctxt, buf, (int)len, path, NULL,
					  XML_PARSE_NONET | XML_PARSE_NOERROR |
					  XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	if (doctype_line) {
		fail(err, BW_STORE_ERROR_INVALID, path, doctype_line,
		     "a DTD is not allowed (<!DOCTYPE> refused before its declarations)");
	} else if (!doc || !ctxt->wellFormed) {
		const xmlError *xe = xmlCtxtGetLastError(ctxt);
		char *msg = g_strstrip(g_strdup(xe && xe->message ? xe->message : "not well-formed"));
		fail(err, BW_STORE_ERROR_INVALID, path, xe ? xe->line : 0, "%s", msg);
		g_free(msg);
	}
	if (doctype_line || !ctxt->wellFormed)
		g_clear_pointer(&doc, xmlFreeDoc);
	xmlFreeParserCtxt(ctxt);
	return doc;
}

/* ---- one <record> ---- */

static gboolean base64_valid(const char *s)
{
	gsize n = 0;
	for (; *s; s++) {
		if (g_ascii_isspace(*s))
			continue;
		if (!g_ascii_isalnum(*s) && *s != '+' && *s != '/' && *s != '=')
			return FALSE;
		n++;
	}
	return n % 4 == 0;
}

static GBytes *record_value(xmlNodePtr n, const char *path, const char *key,
			    const char *enc, GError **err)
{
	int line = (int)xmlGetLineNo(n);
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE &&
		    c->type != XML_COMMENT_NODE) {
			fail(err, BW_STORE_ERROR_INVALID, path, line,
			     "key '%s': a record holds only text", key);
			return NULL;
		}
	xmlChar *text = xmlNodeGetContent(n);
	const char *t = text ? (const char *)text : "";
	GBytes *v = NULL;
	if (!enc) {
		v = g_bytes_new(t, strlen(t));
	} else if (strcmp(enc, "base64") == 0 && base64_valid(t)) {
		gsize dlen = 0;
		guchar *d = g_base64_decode(t, &dlen);
		v = g_bytes_new_take(d, dlen);
	} else {
		fail(err, BW_STORE_ERROR_INVALID, path, line, "key '%s': %s", key,
		     strcmp(enc, "base64") ? "encoding must be \"base64\" or absent" :
		     "the value is not valid base64");
	}
	xmlFree(text);
	return v;
}

static item *record_item(gsize max_value, xmlNodePtr n, const char *path, GError **err)
{
	int line = (int)xmlGetLineNo(n);
	if (n->type != XML_ELEMENT_NODE) {
		fail(err, BW_STORE_ERROR_INVALID, path, line, "text outside a <record> is "
		     "not allowed in <provisioning>");
		return NULL;
	}
	if (n->ns || strcmp((const char *)n->name, "record") != 0) {
		fail(err, BW_STORE_ERROR_INVALID, path, line, "<%s>%s is not allowed here, "
		     "expected <record>", (const char *)n->name,
		     n->ns ? " in a namespace" : "");
		return NULL;
	}
	/* xmlGetProp would also answer for p:key; only the plain one counts. */
	xmlChar *key = xmlGetNoNsProp(n, BAD_CAST "key");
	xmlChar *enc = xmlGetNoNsProp(n, BAD_CAST "encoding");
	GError *e = NULL;
	item *it = NULL;
	GBytes *v = NULL;
	if (!key)
		fail(err, BW_STORE_ERROR_INVALID, path, line, "<record> without a key attribute");
	else if (!bw_store_key_valid((const char *)key, &e))
		fail(err, BW_STORE_ERROR_INVALID, path, line, "%s", e->message);
	else if ((v = record_value(n, path, (const char *)key, (const char *)enc, err))) {
		if (g_bytes_get_size(v) > max_value) {
			fail(err, BW_STORE_ERROR_TOO_LARGE, path, line, "key '%s': value of %"
			     G_GSIZE_FORMAT " bytes is over the limit of %" G_GSIZE_FORMAT,
			     (const char *)key, g_bytes_get_size(v), max_value);
			g_bytes_unref(v);
		} else {
			it = g_new0(item, 1);
			it->key = g_strdup((const char *)key);
			it->value = v;
			it->line = line;
		}
	}
	g_clear_error(&e);
	xmlFree(key);
	xmlFree(enc);
	return it;
}

static gboolean blank(const xmlChar *t)
{
	for (; t && *t; t++)
		if (!g_ascii_isspace(*t))
			return FALSE;
	return TRUE;
}

/* Every record validated, duplicates refused, before anything is written. */
static GPtrArray *collect(gsize max_value, xmlDocPtr doc, const char *path, GError **err)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (doc->intSubset || !root || root->ns ||
	    strcmp((const char *)root->name, "provisioning") != 0) {
		fail(err, BW_STORE_ERROR_INVALID, path, root ? (int)xmlGetLineNo(root) : 1,
		     doc->intSubset ? "a DTD is not allowed" :
		     "the root element must be <provisioning>");
		return NULL;
	}
	GPtrArray *items = g_ptr_array_new_with_free_func(item_free);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	gboolean ok = TRUE;
	for (xmlNodePtr n = root->children; n && ok; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE ||
		    (n->type == XML_TEXT_NODE && blank(n->content)))
			continue;
		item *it = record_item(max_value, n, path, err);
		ok = it != NULL;
		if (ok && !g_hash_table_add(seen, it->key)) {
			fail(err, BW_STORE_ERROR_INVALID, path, it->line,
			     "key '%s' appears twice", it->key);
			ok = FALSE;
		}
		if (it)
			g_ptr_array_add(items, it);
	}
	g_hash_table_destroy(seen);
	if (!ok)
		g_clear_pointer(&items, g_ptr_array_unref);
	return items;
}

gboolean bw_provision_parse(const char *buf, gsize len, const char *name, gsize max_value,
			    GPtrArray **records, GError **err)
{
	*records = NULL;
	if (len > PROVISION_FILE_MAX) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
			    "provision: %s: %" G_GSIZE_FORMAT " bytes is over the limit of %d",
			    name, len, PROVISION_FILE_MAX);
		return FALSE;
	}
	xmlDocPtr doc = parse(name, buf, len, err);
	if (doc)
		*records = collect(max_value ? max_value : BW_STORE_DEFAULT_VALUE, doc, name, err);
	xmlFreeDoc(doc);
	return *records != NULL;
}

/* ---- applying ---- */

static gboolean unchanged(bw_store *s, const item *it)
{
	sqlite3_stmt *st = NULL;
	gboolean same = FALSE;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM records WHERE key=?", -1, &st,
			       NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, it->key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			gsize len = g_bytes_get_size(it->value);
			same = (gsize)sqlite3_column_bytes(st, 0) == len &&
			       (len == 0 || memcmp(sqlite3_column_blob(st, 0),
						   g_bytes_get_data(it->value, NULL), len) == 0);
		}
	}
	sqlite3_finalize(st);
	return same;
}

static gboolean apply_locked(bw_store *s, GPtrArray *items, const char *path,
			     const char *actor, guint *count, GError **err)
{
	char *base = g_path_get_basename(path);
	gboolean ok = TRUE;
	for (guint i = 0; i < items->len && ok; i++) {
		const item *it = items->pdata[i];
		if (unchanged(s, it))
			continue;
		gsize len = 0;
		const void *data = g_bytes_get_data(it->value, &len);
		gint64 rev = bw_store_put_locked(s, it->key, data, len, BW_STORE_ANY, err);
		char *detail = g_strdup_printf("%s:%d revision %" G_GINT64_FORMAT, base,
					       it->line, rev);
		ok = rev && bw_audit_append_locked(s, actor, "store.import", it->key, detail, err);
		g_free(detail);
		if (ok)
			(*count)++;
	}
	g_free(base);
	return ok;
}

gboolean bw_store_import_xml(bw_store *s, const char *path, const char *actor,
			     guint *count, GError **err)
{
	guint n = 0;
	char *buf = NULL;
	gsize len = 0;
	if (count)
		*count = 0;
	if (!read_bounded(path, &buf, &len, err))
		return FALSE;
	GPtrArray *items = NULL;
	gboolean parsed = bw_provision_parse(buf, len, path, s->max_value, &items, err);
	g_free(buf);
	if (!parsed)
		return FALSE;
	g_mutex_lock(&s->lock);
	gboolean ok = bw_store_begin_locked(s, err);
	if (ok && !apply_locked(s, items, path, actor ? actor : "system", &n, err)) {
		bw_store_rollback_locked(s);
		ok = FALSE;
	} else if (ok) {
		ok = bw_store_commit_locked(s, err);
	}
	g_mutex_unlock(&s->lock);
	g_ptr_array_unref(items);
	if (ok && count)
		*count = n;
	return ok;
}

/* ---- export ---- */

static gboolean text_safe(const char *p, gsize len)
{
	const char *end = p + len;
	if (!g_utf8_validate_len(p, len, NULL))
		return FALSE;
	for (; p < end; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0xfffe || c == 0xffff)
			return FALSE;
	}
	return TRUE;
}

static void export_record(xmlNodePtr root, const bw_record *r)
{
	gsize len = 0;
	const char *data = g_bytes_get_data(r->value, &len);
	gboolean text = len == 0 || text_safe(data, len);
	char *content = text ? g_strndup(data ? data : "", len) :
		g_base64_encode((const guchar *)data, len);
	xmlNodePtr n = xmlNewTextChild(root, NULL, BAD_CAST "record", BAD_CAST content);
	xmlNewProp(n, BAD_CAST "key", BAD_CAST r->key);
	if (!text)
		xmlNewProp(n, BAD_CAST "encoding", BAD_CAST "base64");
	g_free(content);
}

char *bw_store_export_xml(bw_store *s, const char *prefix, GError **err)
{
	GPtrArray *recs = bw_store_list(s, prefix ? prefix : "", err);
	if (!recs)
		return NULL;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "provisioning");
	xmlDocSetRootElement(doc, root);
	for (guint i = 0; i < recs->len; i++)
		export_record(root, recs->pdata[i]);
	g_ptr_array_unref(recs);
	xmlChar *mem = NULL;
	int size = 0;
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	xmlFreeDoc(doc);
	char *out = mem ? g_strndup((const char *)mem, (gsize)size) : NULL;
	xmlFree(mem);
	if (!out)
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "provision: cannot serialize the export (out of memory)");
	return out;
}
