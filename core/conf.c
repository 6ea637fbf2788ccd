/* The read-only configuration node tree (bulwark/conf.h) and its builder.
 *
 * Getters never fail: the schema has already typed every value, so a value
 * that still does not parse (a module without a fragment, say) yields the
 * caller's default rather than an abort. */
#include <string.h>
#include <libxml/tree.h>
#include "confint.h"

static const char *bw_conf_intern(GStringChunk *sc, const char *s)
{
	return g_string_chunk_insert_const(sc, s ? s : "");
}

static const char *bw_conf_collect_text(GStringChunk *sc, xmlNode *el)
{
	GString *t = g_string_new(NULL);
	for (xmlNode *c = el->children; c; c = c->next)
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			g_string_append(t, (const char *)c->content);
	g_strstrip(t->str);
	const char *r = g_string_chunk_insert(sc, t->str);
	g_string_free(t, TRUE);
	return r;
}

static const char **bw_conf_collect_attrs(GStringChunk *sc, xmlNode *el)
{
	GPtrArray *a = g_ptr_array_new();
	for (xmlAttr *at = el->properties; at; at = at->next) {
		xmlChar *v = xmlNodeListGetString(el->doc, at->children, 1);
		g_ptr_array_add(a, (gpointer)bw_conf_intern(sc, (const char *)at->name));
		g_ptr_array_add(a, (gpointer)g_string_chunk_insert(sc, v ? (const char *)v : ""));
		xmlFree(v);
	}
	g_ptr_array_add(a, NULL);
	return (const char **)g_ptr_array_free(a, FALSE);
}

static bw_conf_node *bw_conf_build_node(xmlNode *el, const char *file,
					GStringChunk *sc, bw_conf_node *parent)
{
	bw_conf_node *n = g_new0(bw_conf_node, 1);
	n->name = bw_conf_intern(sc, (const char *)el->name);
	n->file = file;
	n->line = (int)xmlGetLineNo(el);
	n->text = bw_conf_collect_text(sc, el);
	n->attrs = bw_conf_collect_attrs(sc, el);
	n->parent = parent;
	bw_conf_node **tail = &n->first;
	for (xmlNode *c = el->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		*tail = bw_conf_build_node(c, file, sc, n);
		tail = &(*tail)->next;
	}
	return n;
}

bw_conf_node *bw_conf_build(xmlNode *el, const char *file)
{
	GStringChunk *sc = g_string_chunk_new(1024);
	const char *f = g_string_chunk_insert(sc, file ? file : "");
	bw_conf_node *root = bw_conf_build_node(el, f, sc, NULL);
	root->strings = sc;
	return root;
}

static void bw_conf_free_nodes(bw_conf_node *n)
{
	while (n) {
		bw_conf_node *next = n->next;
		bw_conf_free_nodes(n->first);
		g_free(n->attrs);
		g_free(n);
		n = next;
	}
}

void bw_conf_free(bw_conf_node *root)
{
	if (!root)
		return;
	GStringChunk *sc = root->strings;
	bw_conf_free_nodes(root);
	if (sc)
		g_string_chunk_free(sc);
}

char *bw_conf_label(const char *elname, const char *name_attr)
{
	if (name_attr)
		return g_strdup_printf("<%s name=\"%s\">", elname, name_attr);
	return g_strdup_printf("<%s>", elname);
}

const char *bw_conf_name(const bw_conf_node *n) { return n ? n->name : NULL; }
const char *bw_conf_file(const bw_conf_node *n) { return n ? n->file : NULL; }
int bw_conf_line(const bw_conf_node *n) { return n ? n->line : 0; }
const char *bw_conf_text(const bw_conf_node *n) { return n ? n->text : ""; }

const char *bw_conf_attr(const bw_conf_node *n, const char *name)
{
	if (!n || !name)
		return NULL;
	for (const char **a = n->attrs; a && a[0]; a += 2)
		if (strcmp(a[0], name) == 0)
			return a[1];
	return NULL;
}

const char *bw_conf_str(const bw_conf_node *n, const char *name, const char *def)
{
	const char *v = bw_conf_attr(n, name);
	return v ? v : def;
}

gint64 bw_conf_int(const bw_conf_node *n, const char *name, gint64 def)
{
	const char *v = bw_conf_attr(n, name);
	gint64 r;
	if (!v || !g_ascii_string_to_signed(v, 10, G_MININT64, G_MAXINT64, &r, NULL))
		return def;
	return r;
}

gboolean bw_conf_bool(const bw_conf_node *n, const char *name, gboolean def)
{
	const char *v = bw_conf_attr(n, name);
	if (!v)
		return def;
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0)
		return TRUE;
	if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0)
		return FALSE;
	return def;
}

/* Digits then at most one unit; anything else, or an overflow, is "no value". */
static gboolean bw_conf_parse_seconds(const char *v, gint64 *out)
{
	gsize len = strlen(v), nd = 0;
	while (nd < len && g_ascii_isdigit(v[nd]))
		nd++;
	if (nd == 0 || nd > 18 || len - nd > 1)
		return FALSE;
	gint64 mult = 1;
	switch (v[nd]) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	default: return FALSE;
	}
	gint64 num = g_ascii_strtoll(v, NULL, 10);
	if (num > G_MAXINT64 / mult)
		return FALSE;
	*out = num * mult;
	return TRUE;
}

gint64 bw_conf_seconds(const bw_conf_node *n, const char *name, gint64 def)
{
	const char *v = bw_conf_attr(n, name);
	gint64 r;
	if (!v || !bw_conf_parse_seconds(v, &r))
		return def;
	return r;
}

const bw_conf_node *bw_conf_first(const bw_conf_node *n) { return n ? n->first : NULL; }
const bw_conf_node *bw_conf_next(const bw_conf_node *n) { return n ? n->next : NULL; }

const bw_conf_node *bw_conf_child(const bw_conf_node *n, const char *name)
{
	for (const bw_conf_node *c = n ? n->first : NULL; c; c = c->next)
		if (name && strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const bw_conf_node *bw_conf_next_named(const bw_conf_node *n)
{
	for (const bw_conf_node *c = n ? n->next : NULL; c; c = c->next)
		if (strcmp(c->name, n->name) == 0)
			return c;
	return NULL;
}
