/* Loading the XML configuration into an immutable, refcounted snapshot
 * (core/config.h), and the process-wide current snapshot.
 *
 * Parsing is XXE-safe: no network, no DTD loading, no entity substitution,
 * and a document type declaration is refused outright; input is capped at
 * 1 MiB. Every failure is collected as "FILE:LINE: <element>: what" lines
 * so an administrator sees all problems of a file in one go. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include "confint.h"

#define BW_CONFIG_MAX_BYTES (1024 * 1024)
#define BW_CONFIG_EMBEDDED "(embedded)"

struct bw_config {
	gint ref;
	char *filename;
	char *data_dir;
	bw_conf_node *root;
	const bw_conf_node *system;
	GPtrArray *modules;   /* bw_mentry* */
};

G_DEFINE_QUARK(bw-config-error-quark, bw_config_error)

static GMutex bw_config_lock;
static bw_config *bw_config_cur;
static char *bw_config_dd_override;

/* ---- error lines ---- */

void bw_errs_init(bw_errs *e)
{
	e->text = g_string_new(NULL);
	e->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	e->n = 0;
}

void bw_errs_add_raw(bw_errs *e, const char *entry)
{
	if (g_hash_table_contains(e->seen, entry))
		return;
	e->n++;
	if (e->n <= BW_ERRS_MAX)
		g_string_append_printf(e->text, "%s%s", e->text->len ? "\n" : "", entry);
	else if (e->n == BW_ERRS_MAX + 1)
		g_string_append(e->text, "\n(more errors not shown)");
	g_hash_table_add(e->seen, g_strdup(entry));
}

void bw_errs_add(bw_errs *e, const char *file, int line, const char *label,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_strdelimit(what, "\r\n", ' ');   /* one line per error */
	char *entry = line > 0 ? g_strdup_printf("%s:%d: %s: %s", file, line, label, what)
			       : g_strdup_printf("%s: %s: %s", file, label, what);
	bw_errs_add_raw(e, entry);
	g_free(what);
	g_free(entry);
}

void bw_errs_clear(bw_errs *e)
{
	g_string_free(e->text, TRUE);
	g_hash_table_destroy(e->seen);
}

/* ---- parsing ---- */

typedef struct bw_parse_run {
	const char *file;
	bw_errs *errs;
	gboolean doctype;
} bw_parse_run;

static void bw_config_on_parse_error(void *data, const xmlError *err)
{
	bw_parse_run *run = data;
	if (!err || err->level < XML_ERR_ERROR || run->doctype)
		return;
	char *msg = g_strchomp(g_strdup(err->message ? err->message : "error"));
	bw_errs_add(run->errs, run->file, err->line, "XML", "not well-formed: %s", msg);
	g_free(msg);
}

/* A DOCTYPE is refused as soon as it starts, before any of its entity
 * declarations is read: the configuration needs none (XXE, entity bombs). */
static void bw_config_on_doctype(void *ctx, const xmlChar *name,
				 const xmlChar *ext_id, const xmlChar *sys_id)
{
	xmlParserCtxt *pc = ctx;
	bw_parse_run *run = pc->_private;
	if (!run->doctype)
		bw_errs_add(run->errs, run->file, xmlSAX2GetLineNumber(ctx), "<!DOCTYPE>",
			    "document type declarations are not allowed in the configuration");
	run->doctype = TRUE;
	xmlStopParser(pc);
}

/* libxml2 gives an element the line where its start tag ends; an
 * administrator looks for the line where it starts. '<' cannot occur inside
 * a tag, so the tag starts at the last '<' before the parser's position. */
static void bw_config_on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			       const xmlChar *uri, int nb_ns, const xmlChar **ns,
			       int nb_attrs, int nb_defaulted, const xmlChar **attrs)
{
	xmlParserCtxt *pc = ctx;
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_ns, ns, nb_attrs,
			      nb_defaulted, attrs);
	xmlNode *n = pc->node;
	const xmlChar *base = pc->input ? pc->input->base : NULL, *p = pc->input ? pc->input->cur : NULL;
	if (!n || !base || !p || n->type != XML_ELEMENT_NODE)
		return;
	long nl = 0;
	while (p > base && *p != '<')
		nl += *--p == '\n';
	long line = (long)pc->input->line - nl;
	if (line >= 1 && line < 65535 && n->line < 65535)   /* big lines stay as they are */
		n->line = (unsigned short)line;
}

/* The structured handler is per thread in libxml2; restore the caller's. */
static xmlDoc *bw_config_read_xml(const char *buf, gsize len, const char *file, bw_errs *e)
{
	bw_parse_run run = { file, e, FALSE };
	xmlParserCtxt *pc = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!pc) {
		bw_errs_add(e, file, 0, "XML", len ? "out of memory" : "the file is empty");
		return NULL;
	}
	xmlCtxtUseOptions(pc, XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOWARNING);
	pc->_private = &run;
	pc->sax->internalSubset = bw_config_on_doctype;
	pc->sax->startElementNs = bw_config_on_start;
	xmlStructuredErrorFunc old_fn = xmlStructuredError;
	void *old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&run, (xmlStructuredErrorFunc)bw_config_on_parse_error);
	xmlParseDocument(pc);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);
	xmlDoc *doc = pc->myDoc;
	pc->myDoc = NULL;
	gboolean ok = pc->wellFormed && !run.doctype && doc;
	xmlFreeParserCtxt(pc);
	if (!ok && e->n == 0)
		bw_errs_add(e, file, 0, "XML", "not well-formed XML");
	if (!ok && doc) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	return doc;
}

static xmlNode *bw_config_xml_child(xmlNode *el, const char *name)
{
	for (xmlNode *c = el ? el->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* libxml2 reports a missing element as some other element being
 * unexpected; say plainly what is missing from the core layout. */
static void bw_config_missing_core(xmlDoc *doc, const char *file, bw_errs *e)
{
	static const char *const required[] = { "system", "modules", NULL };
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || strcmp((const char *)root->name, "bulwark") != 0)
		return;
	for (const char *const *r = required; *r; r++)
		if (!bw_config_xml_child(root, *r))
			bw_errs_add(e, file, (int)xmlGetLineNo(root), "<bulwark>",
				    "missing element <%s> (required: <system>, then optional "
				    "<tls>, then <modules>)", *r);
}

static void bw_config_free(bw_config *c)
{
	if (c->modules)
		g_ptr_array_unref(c->modules);
	bw_conf_free(c->root);
	g_free(c->filename);
	g_free(c->data_dir);
	g_free(c);
}

static char *bw_config_get_override(void)
{
	g_mutex_lock(&bw_config_lock);
	char *r = g_strdup(bw_config_dd_override);
	g_mutex_unlock(&bw_config_lock);
	return r;
}

/* Everything after a schema-valid document: tree, modules, ports, TLS. */
static bw_config *bw_config_build(xmlDoc *doc, const char *file,
				  const char *const *module_path, bw_errs *e)
{
	bw_config *c = g_new0(bw_config, 1);
	c->ref = 1;
	c->filename = g_strdup(file);
	xmlNode *xroot = xmlDocGetRootElement(doc);
	c->root = bw_conf_build(xroot, file);
	c->system = bw_conf_child(c->root, "system");
	c->data_dir = bw_config_get_override();
	if (!c->data_dir)
		c->data_dir = g_strdup(bw_conf_attr(c->system, "data-dir"));
	c->modules = g_ptr_array_new_with_free_func(bw_mentry_free);
	bw_config_check_modules(bw_config_xml_child(xroot, "modules"),
				bw_conf_child(c->root, "modules"), file,
				module_path, c->modules, e);
	bw_config_check_listeners(c->root, e);
	bw_config_check_tls(c->root, e);
	return c;
}

bw_config *bw_config_parse(const char *buf, gsize len, const char *filename,
			   const char *const *module_path, GError **err)
{
	const char *file = filename ? filename : BW_CONFIG_EMBEDDED;
	if (!buf || len > BW_CONFIG_MAX_BYTES) {
		g_set_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_INVALID,
			    "%s: refused: larger than %d bytes", file, BW_CONFIG_MAX_BYTES);
		return NULL;
	}
	xmlInitParser();
	bw_errs e;
	bw_errs_init(&e);
	bw_config *c = NULL;
	xmlDoc *doc = bw_config_read_xml(buf, len, file, &e);
	if (doc && bw_config_rng_core(doc, file, &e))
		c = bw_config_build(doc, file, module_path, &e);
	else if (doc)
		bw_config_missing_core(doc, file, &e);
	if (doc)
		xmlFreeDoc(doc);
	if (e.n > 0) {
		g_set_error_literal(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_INVALID, e.text->str);
		g_clear_pointer(&c, bw_config_free);
	}
	bw_errs_clear(&e);
	return c;
}

/* Read at most the size limit plus one byte, so a growing or special file
 * cannot make us allocate more than that. */
static char *bw_config_read_file(const char *path, gsize *len, GError **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		g_set_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_IO,
			    "%s: cannot open the configuration: %s", path, g_strerror(e));
		return NULL;
	}
	char *buf = g_malloc(BW_CONFIG_MAX_BYTES + 1);
	gsize n = 0;
	while (n <= BW_CONFIG_MAX_BYTES) {
		ssize_t r = read(fd, buf + n, BW_CONFIG_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			g_set_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_IO,
				    "%s: cannot read the configuration: %s", path, g_strerror(e));
			close(fd);
			g_free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (gsize)r;
	}
	close(fd);
	if (n > BW_CONFIG_MAX_BYTES) {
		g_set_error(err, BW_CONFIG_ERROR, BW_CONFIG_ERROR_IO,
			    "%s: refused: the configuration is larger than %d bytes",
			    path, BW_CONFIG_MAX_BYTES);
		g_free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

bw_config *bw_config_load(const char *path, const char *const *module_path, GError **err)
{
	if (!path)
		return bw_config_parse(bw_default_config, strlen(bw_default_config),
				       BW_CONFIG_EMBEDDED, module_path, err);
	gsize len = 0;
	char *buf = bw_config_read_file(path, &len, err);
	if (!buf)
		return NULL;
	bw_config *c = bw_config_parse(buf, len, path, module_path, err);
	g_free(buf);
	return c;
}

bw_config *bw_config_ref(bw_config *c)
{
	if (c)
		g_atomic_int_inc(&c->ref);
	return c;
}

void bw_config_unref(bw_config *c)
{
	if (c && g_atomic_int_dec_and_test(&c->ref))
		bw_config_free(c);
}

/* ---- accessors ---- */

const char *bw_config_filename(const bw_config *c) { return c ? c->filename : NULL; }
const bw_conf_node *bw_config_root(const bw_config *c) { return c ? c->root : NULL; }
const bw_conf_node *bw_config_system_node(const bw_config *c) { return c ? c->system : NULL; }
const char *bw_config_data_dir(const bw_config *c) { return c ? c->data_dir : NULL; }

const char *bw_config_system_name(const bw_config *c)
{
	return bw_conf_str(c ? c->system : NULL, "name", "bulwark");
}

const char *bw_config_user(const bw_config *c)
{
	return bw_conf_attr(c ? c->system : NULL, "user");
}

const char *bw_config_log_level(const bw_config *c)
{
	return bw_conf_str(c ? c->system : NULL, "log-level", "info");
}

guint bw_config_n_modules(const bw_config *c) { return c ? c->modules->len : 0; }

const bw_module_entry *bw_config_module(const bw_config *c, guint i)
{
	if (!c || i >= c->modules->len)
		return NULL;
	return &((bw_mentry *)g_ptr_array_index(c->modules, i))->pub;
}

const bw_module_entry *bw_config_find_module(const bw_config *c, const char *name)
{
	for (guint i = 0; c && name && i < c->modules->len; i++) {
		bw_mentry *m = g_ptr_array_index(c->modules, i);
		if (strcmp(m->pub.name, name) == 0)
			return &m->pub;
	}
	return NULL;
}

/* ---- process-wide state ---- */

void bw_config_set_data_dir_override(const char *dir)
{
	g_mutex_lock(&bw_config_lock);
	g_free(bw_config_dd_override);
	bw_config_dd_override = g_strdup(dir);
	g_mutex_unlock(&bw_config_lock);
}

bw_config *bw_config_current(void)
{
	g_mutex_lock(&bw_config_lock);
	bw_config *c = bw_config_ref(bw_config_cur);
	g_mutex_unlock(&bw_config_lock);
	return c;
}

void bw_config_set_current(bw_config *c)
{
	bw_config_ref(c);
	g_mutex_lock(&bw_config_lock);
	bw_config *old = bw_config_cur;
	bw_config_cur = c;
	g_mutex_unlock(&bw_config_lock);
	bw_config_unref(old);
}
