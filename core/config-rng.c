/* RelaxNG validation of the configuration with messages an administrator
 * can act on: "FILE:LINE: <element>: what is wrong".
 *
 * libxml2's wording ("Invalid attribute X for element E") does not say
 * whether X is unknown or has a bad value, so each schema is scanned once
 * for the attributes it declares per element and what type they take. */
#include <string.h>
#include <libxml/relaxng.h>
#include <libxml/xmlregexp.h>
#include <libxml/xmlschemastypes.h>
#include <libxml/xmlerror.h>
#include "confint.h"
#include "util.h"

#define RNG_NS "http://relaxng.org/ns/structure/1.0"
#define RNG_REF_DEPTH 16
#define RNG_HINT_NS "urn:bulwark:schema-hint"

typedef struct bw_rng {
	xmlRelaxNG *schema;
	xmlDoc *doc;         /* the schema's source, for the value checks */
	GHashTable *attrs;   /* "element\nattr" -> bw_rng_attr* */
} bw_rng;

/* What the schema says about one attribute of one element. */
typedef struct bw_rng_attr {
	char *element, *name;
	char *want;          /* human description of the accepted values */
	xmlNode *pattern;    /* the <attribute> in the schema document */
	gboolean required;
} bw_rng_attr;

static void bw_rng_attr_free(gpointer p)
{
	bw_rng_attr *a = p;
	g_free(a->element);
	g_free(a->name);
	g_free(a->want);
	g_free(a);
}

typedef struct bw_rng_run {
	bw_rng *rng;
	const char *file;
	bw_errs *errs;
	const char *root_label;   /* NULL: from the root element itself */
	xmlNode *said;            /* the node of the last message */
	char *said_text;          /* and the message */
} bw_rng_run;

#define RNG_GENERIC "its attributes or content do not match the schema"

static gboolean bw_rng_is(xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns &&
	       strcmp((const char *)n->ns->href, RNG_NS) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

static char *bw_rng_prop(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *r = v ? g_strdup((const char *)v) : NULL;
	xmlFree(v);
	return r;
}

static xmlNode *bw_rng_define(xmlDoc *doc, const char *name)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	for (xmlNode *c = root ? root->children : NULL; c; c = c->next) {
		if (!bw_rng_is(c, "define"))
			continue;
		char *n = bw_rng_prop(c, "name");
		gboolean hit = n && strcmp(n, name) == 0;
		g_free(n);
		if (hit)
			return c;
	}
	return NULL;
}

static char *bw_rng_describe(xmlDoc *doc, xmlNode *pattern, int depth);

static char *bw_rng_describe_children(xmlDoc *doc, xmlNode *parent, int depth,
				      const char *sep)
{
	GString *s = g_string_new(NULL);
	for (xmlNode *c = parent->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || bw_rng_is(c, "param") ||
		    bw_rng_is(c, "name") || bw_rng_is(c, "anyName"))
			continue;
		char *d = bw_rng_describe(doc, c, depth);
		if (s->len)
			g_string_append(s, sep);
		g_string_append(s, d);
		g_free(d);
	}
	return g_string_free(s, FALSE);
}

/* A schema author's description of a pattern (bw:hint="..."), if any. */
static char *bw_rng_hint(xmlNode *p)
{
	xmlChar *h = xmlGetNsProp(p, (const xmlChar *)"hint", (const xmlChar *)RNG_HINT_NS);
	char *r = h ? g_strdup((const char *)h) : NULL;
	xmlFree(h);
	return r;
}

/* A short, human description of what a value pattern accepts. */
static char *bw_rng_describe(xmlDoc *doc, xmlNode *p, int depth)
{
	char *hint = bw_rng_hint(p);
	if (hint)
		return hint;
	if (depth > RNG_REF_DEPTH)
		return g_strdup("a valid value");
	if (bw_rng_is(p, "value")) {
		xmlChar *v = xmlNodeGetContent(p);
		char *r = g_strdup_printf("%s", v ? (const char *)v : "");
		xmlFree(v);
		return r;
	}
	if (bw_rng_is(p, "data")) {
		char *type = bw_rng_prop(p, "type");
		char *r = g_strdup_printf("%s", type ? type : "text");
		g_free(type);
		for (xmlNode *c = p->children; c; c = c->next) {
			char *pn = bw_rng_is(c, "param") ? bw_rng_prop(c, "name") : NULL;
			if (pn && strcmp(pn, "pattern") == 0) {
				xmlChar *v = xmlNodeGetContent(c);
				char *t = g_strdup_printf("%s matching %s", r, (const char *)v);
				xmlFree(v);
				g_free(r);
				r = t;
			}
			g_free(pn);
		}
		return r;
	}
	if (bw_rng_is(p, "choice"))
		return bw_rng_describe_children(doc, p, depth + 1, " | ");
	if (bw_rng_is(p, "ref")) {
		char *name = bw_rng_prop(p, "name");
		xmlNode *def = name ? bw_rng_define(doc, name) : NULL;
		g_free(name);
		char *dh = def ? bw_rng_hint(def) : NULL;
		if (dh)
			return dh;
		return def ? bw_rng_describe_children(doc, def, depth + 1, " ")
			   : g_strdup("a valid value");
	}
	if (bw_rng_is(p, "text"))
		return g_strdup("text");
	return g_strdup("a valid value");
}

/* Attributes declared for elname, not looking into nested elements.
 * Under <optional>, <zeroOrMore> or <choice> an attribute is not required. */
static void bw_rng_scan_attrs(xmlDoc *doc, xmlNode *n, const char *elname,
			      GHashTable *out, int depth, gboolean optional)
{
	for (xmlNode *c = n->children; c && depth <= RNG_REF_DEPTH; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || bw_rng_is(c, "element"))
			continue;
		if (bw_rng_is(c, "attribute")) {
			char *an = bw_rng_prop(c, "name");
			if (an) {
				bw_rng_attr *a = g_new0(bw_rng_attr, 1);
				a->element = g_strdup(elname);
				a->name = an;
				a->want = bw_rng_hint(c);
				if (!a->want)
					a->want = bw_rng_describe_children(doc, c, 0, " ");
				if (!*a->want) {
					g_free(a->want);
					a->want = g_strdup("text");
				}
				a->pattern = c;
				a->required = !optional;
				g_hash_table_replace(out, g_strdup_printf("%s\n%s", elname, an), a);
			}
			continue;
		}
		gboolean opt = optional || bw_rng_is(c, "optional") ||
			       bw_rng_is(c, "zeroOrMore") || bw_rng_is(c, "choice");
		if (bw_rng_is(c, "ref")) {
			char *rn = bw_rng_prop(c, "name");
			xmlNode *def = rn ? bw_rng_define(doc, rn) : NULL;
			g_free(rn);
			if (def)
				bw_rng_scan_attrs(doc, def, elname, out, depth + 1, opt);
			continue;
		}
		bw_rng_scan_attrs(doc, c, elname, out, depth, opt);
	}
}

static void bw_rng_scan(xmlDoc *doc, xmlNode *n, GHashTable *out)
{
	for (; n; n = n->next) {
		if (bw_rng_is(n, "element")) {
			char *en = bw_rng_prop(n, "name");
			if (en)
				bw_rng_scan_attrs(doc, n, en, out, 0, FALSE);
			g_free(en);
		}
		if (n->type == XML_ELEMENT_NODE)
			bw_rng_scan(doc, n->children, out);
	}
}

/* ---- checking one value against an attribute's pattern ---- */

typedef enum { BW_V_BAD, BW_V_OK, BW_V_UNSURE } bw_vres;

static bw_vres bw_rng_check_pattern(xmlDoc *doc, xmlNode *p, const char *v, int depth);

/* The facets the schemas use: numeric bounds and lengths. */
static bw_vres bw_rng_check_facet(const char *facet, const char *lim, const char *v)
{
	gint64 l, x;
	if (!lim || !g_ascii_string_to_signed(lim, 10, G_MININT64, G_MAXINT64, &l, NULL))
		return BW_V_UNSURE;
	if (strcmp(facet, "minLength") == 0 || strcmp(facet, "maxLength") == 0) {
		x = g_utf8_validate(v, -1, NULL) ? g_utf8_strlen(v, -1) : (gint64)strlen(v);
		return (facet[1] == 'i' ? x >= l : x <= l) ? BW_V_OK : BW_V_BAD;
	}
	if (strcmp(facet, "minInclusive") == 0 || strcmp(facet, "maxInclusive") == 0) {
		char *t = g_strstrip(g_strdup(v));
		gboolean num = g_ascii_string_to_signed(t, 10, G_MININT64, G_MAXINT64, &x, NULL);
		g_free(t);
		if (!num)
			return BW_V_UNSURE;
		return (facet[1] == 'i' ? x >= l : x <= l) ? BW_V_OK : BW_V_BAD;
	}
	return BW_V_UNSURE;
}

static bw_vres bw_rng_check_data(xmlNode *p, const char *v)
{
	char *type = bw_rng_prop(p, "type");
	bw_vres r = BW_V_UNSURE;
	xmlSchemaType *t = type ? xmlSchemaGetPredefinedType((const xmlChar *)type,
			(const xmlChar *)"http://www.w3.org/2001/XMLSchema") : NULL;
	if (t)
		r = xmlSchemaValPredefTypeNode(t, (const xmlChar *)v, NULL, NULL) == 0
			? BW_V_OK : BW_V_BAD;
	g_free(type);
	for (xmlNode *c = p->children; c && r == BW_V_OK; c = c->next) {
		char *pn = bw_rng_is(c, "param") ? bw_rng_prop(c, "name") : NULL;
		if (pn && strcmp(pn, "pattern") != 0) {
			xmlChar *lim = xmlNodeGetContent(c);
			r = bw_rng_check_facet(pn, (const char *)lim, v);
			xmlFree(lim);
		} else if (pn) {
			xmlChar *re = xmlNodeGetContent(c);
			xmlRegexp *rx = re ? xmlRegexpCompile(re) : NULL;
			if (!rx)
				r = BW_V_UNSURE;
			else if (xmlRegexpExec(rx, (const xmlChar *)v) != 1)
				r = BW_V_BAD;
			if (rx)
				xmlRegFreeRegexp(rx);
			xmlFree(re);
		}
		g_free(pn);
	}
	return r;
}

static bw_vres bw_rng_check_value(xmlNode *p, const char *v)
{
	xmlChar *want = xmlNodeGetContent(p);
	char *a = g_strstrip(g_strdup(v)), *b = g_strstrip(g_strdup((const char *)want));
	bw_vres r = strcmp(a, b) == 0 ? BW_V_OK : BW_V_BAD;
	g_free(a);
	g_free(b);
	xmlFree(want);
	return r;
}

/* The children of p are alternatives (choice) or one pattern (others). */
static bw_vres bw_rng_check_children(xmlDoc *doc, xmlNode *p, const char *v, int depth)
{
	bw_vres best = BW_V_BAD;
	gboolean any = FALSE;
	for (xmlNode *c = p->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || bw_rng_is(c, "name") ||
		    bw_rng_is(c, "anyName") || bw_rng_is(c, "param"))
			continue;
		any = TRUE;
		bw_vres r = bw_rng_check_pattern(doc, c, v, depth + 1);
		if (r == BW_V_OK)
			return BW_V_OK;
		if (r == BW_V_UNSURE)
			best = BW_V_UNSURE;
	}
	return any ? best : BW_V_OK;     /* <attribute name="x"/> is text */
}

static bw_vres bw_rng_check_pattern(xmlDoc *doc, xmlNode *p, const char *v, int depth)
{
	if (depth > RNG_REF_DEPTH)
		return BW_V_UNSURE;
	if (bw_rng_is(p, "value"))
		return bw_rng_check_value(p, v);
	if (bw_rng_is(p, "data"))
		return bw_rng_check_data(p, v);
	if (bw_rng_is(p, "text"))
		return BW_V_OK;
	if (bw_rng_is(p, "choice"))
		return bw_rng_check_children(doc, p, v, depth);
	if (bw_rng_is(p, "ref")) {
		char *name = bw_rng_prop(p, "name");
		xmlNode *def = name ? bw_rng_define(doc, name) : NULL;
		g_free(name);
		return def ? bw_rng_check_children(doc, def, v, depth) : BW_V_UNSURE;
	}
	return BW_V_UNSURE;
}

static void bw_rng_free(bw_rng *r)
{
	if (!r)
		return;
	if (r->schema)
		xmlRelaxNGFree(r->schema);
	if (r->attrs)
		g_hash_table_destroy(r->attrs);
	if (r->doc)
		xmlFreeDoc(r->doc);
	g_free(r);
}

/* Keeps the first message of a schema that does not compile. */
static void bw_rng_first_error(void *data, const xmlError *err)
{
	char **why = data;
	if (!*why && err && err->message)
		*why = g_strchomp(g_strdup_printf("line %d: %s", err->line, err->message));
}

/* Parse and compile a schema document (taking it); errors go to *why. */
static bw_rng *bw_rng_compile(xmlDoc *doc, char **why)
{
	xmlRelaxNGParserCtxt *pc = xmlRelaxNGNewDocParserCtxt(doc);
	if (pc)
		xmlRelaxNGSetParserStructuredErrors(pc,
			(xmlStructuredErrorFunc)bw_rng_first_error, why);
	bw_rng *r = g_new0(bw_rng, 1);
	r->doc = doc;
	r->schema = pc ? xmlRelaxNGParse(pc) : NULL;
	if (pc)
		xmlRelaxNGFreeParserCtxt(pc);
	if (!r->schema) {
		if (!*why)
			*why = g_strdup("the schema does not compile");
		bw_rng_free(r);
		return NULL;
	}
	r->attrs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, bw_rng_attr_free);
	bw_rng_scan(doc, xmlDocGetRootElement(doc), r->attrs);
	return r;
}

static bw_rng *bw_rng_load_buffer(const char *buf, gsize len, const char *url, char **why)
{
	xmlDoc *doc = xmlReadMemory(buf, (int)len, url, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		*why = g_strdup("not well-formed XML");
		return NULL;
	}
	return bw_rng_compile(doc, why);
}

static gpointer bw_rng_core_once(gpointer unused)
{
	char *why = NULL;
	bw_rng *r = bw_rng_load_buffer(bw_core_schema, strlen(bw_core_schema),
				       "bulwark.rng", &why);
	if (!r)
		g_critical("config: the embedded core schema is broken: %s", why);
	g_free(why);
	return r;
}

char *bw_config_xml_label(xmlNode *n)
{
	if (!n || n->type != XML_ELEMENT_NODE)
		return g_strdup("<bulwark>");
	xmlChar *name = strcmp((const char *)n->name, "module") == 0
		? xmlGetProp(n, (const xmlChar *)"name") : NULL;
	char *r = bw_conf_label((const char *)n->name, (const char *)name);
	xmlFree(name);
	return r;
}

/* Values of attributes that may hold a secret never go into a message. */
static gboolean bw_rng_secret(const char *attr)
{
	static const char *const words[] = { "password", "secret", "passphrase", "token",
					     "psk", "ha1", "credential", "community", NULL };
	char *low = g_ascii_strdown(attr, -1);
	gboolean hit = FALSE;
	for (const char *const *w = words; *w && !hit; w++)
		hit = strstr(low, *w) != NULL;
	g_free(low);
	return hit;
}

static char *bw_rng_attr_problem(bw_rng *rng, xmlNode *node, const char *en, const char *an)
{
	char *key = g_strdup_printf("%s\n%s", en, an);
	bw_rng_attr *a = g_hash_table_lookup(rng->attrs, key);
	g_free(key);
	if (!a)
		return g_strdup_printf("unknown attribute %s", an);
	xmlChar *v = node ? xmlGetProp(node, (const xmlChar *)an) : NULL;
	char *r = NULL;
	/* <community name="public">: the element may say it is a secret */
	gboolean hide = bw_rng_secret(an) || bw_rng_secret(en);
	if (bw_rng_check_children(rng->doc, a->pattern, v ? (const char *)v : "", 0) != BW_V_OK)
		r = g_strdup_printf("invalid value %s%s%s for attribute %s (expected %s)",
				    hide ? "" : "\"", hide ? "(not shown)" : v ? (const char *)v : "",
				    hide ? "" : "\"", an, a->want);
	xmlFree(v);
	return r;
}

/* libxml2 only says "failed to validate attributes": find out which. */
static char *bw_rng_attrs_problems(bw_rng *rng, xmlNode *node)
{
	GString *s = g_string_new(NULL);
	const char *en = (const char *)node->name;
	for (xmlAttr *at = node->properties; at; at = at->next) {
		char *p = bw_rng_attr_problem(rng, node, en, (const char *)at->name);
		if (p)
			g_string_append_printf(s, "%s%s", s->len ? "; " : "", p);
		g_free(p);
	}
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, rng->attrs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		bw_rng_attr *a = v;
		if (a->required && strcmp(a->element, en) == 0 &&
		    !xmlHasProp(node, (const xmlChar *)a->name))
			g_string_append_printf(s, "%smissing attribute %s", s->len ? "; " : "",
					       a->name);
	}
	if (!s->len)
		g_string_append(s, RNG_GENERIC);
	return g_string_free(s, FALSE);
}

/* The schema's <element name="name">, depth-first: the first one inside
 * an <element name="parent"> when there is one, else the first at all
 * (*any). inside: the name of the schema element n is in. */
static xmlNode *bw_rng_element(xmlNode *n, const char *name, const char *parent,
			       const char *inside, xmlNode **any, int depth)
{
	for (xmlNode *c = n ? n->children : NULL; c && depth <= RNG_REF_DEPTH * 4; c = c->next) {
		char *en = bw_rng_is(c, "element") ? bw_rng_prop(c, "name") : NULL;
		xmlNode *f = NULL;
		if (en && strcmp(en, name) == 0) {
			if (!*any)
				*any = c;
			if (parent && inside && strcmp(parent, inside) == 0)
				f = c;
		}
		if (!f)
			f = bw_rng_element(c, name, parent, en ? en : inside, any, depth + 1);
		g_free(en);
		if (f)
			return f;
	}
	return NULL;
}

/* libxml2 says only "Error validating datatype" for an element's text:
 * show the text (unless the element may hold a secret) and what the
 * schema accepts there. */
static char *bw_rng_content_problem(bw_rng *rng, xmlNode *node)
{
	xmlNode *any = NULL;
	const char *parent = node->parent && node->parent->type == XML_ELEMENT_NODE
		? (const char *)node->parent->name : NULL;
	xmlNode *def = bw_rng_element(xmlDocGetRootElement(rng->doc), (const char *)node->name,
				      parent, NULL, &any, 0);
	xmlNode *d = def ? def->children : any ? any->children : NULL;
	while (d && !bw_rng_is(d, "data") && !bw_rng_is(d, "choice") && !bw_rng_is(d, "value"))
		d = d->next;
	if (!d)
		return g_strdup(RNG_GENERIC);
	char *want = bw_rng_describe(rng->doc, d, 0);
	xmlChar *v = xmlNodeGetContent(node);
	char *text = g_strstrip(g_strdup(v ? (const char *)v : ""));
	char *shown = g_utf8_validate(text, -1, NULL)   /* at most 80 characters */
		? g_utf8_substring(text, 0, MIN(g_utf8_strlen(text, -1), 80)) : g_strdup("(not UTF-8)");
	char *r = bw_rng_secret((const char *)node->name)
		? g_strdup_printf("invalid content (not shown) (expected %s)", want)
		: g_strdup_printf("invalid content \"%s\" (expected %s)", shown, want);
	g_free(shown);
	g_free(text);
	xmlFree(v);
	g_free(want);
	return r;
}

/* Say which attribute is wrong and how, instead of libxml2's phrasing. */
static char *bw_rng_rewrite(bw_rng *rng, xmlNode *node, const char *msg)
{
	char an[128], en[128];
	/* libxml2 repeats the value ("Type T doesn't allow value 'V'"): it
	 * may be a secret, and the content problem says it where allowed */
	if (node && (g_str_has_prefix(msg, "Error validating datatype") ||
		     (g_str_has_prefix(msg, "Type ") && strstr(msg, "allow value"))))
		return bw_rng_content_problem(rng, node);
	if (sscanf(msg, "Invalid attribute %127s for element %127s", an, en) == 2) {
		char *p = bw_rng_attr_problem(rng, node, en, an);
		return p ? p : g_strdup_printf("invalid attribute %s", an);
	}
	if (node && sscanf(msg, "Element %127s failed to validate attributes", en) == 1)
		return bw_rng_attrs_problems(rng, node);
	if (sscanf(msg, "Did not expect element %127s there", en) == 1)
		return g_strdup_printf("unexpected element <%s> (unknown, misplaced or repeated)", en);
	if (sscanf(msg, "Element %127s has extra content: %127s", en, an) == 2)
		return g_strdup_printf("unexpected content %s", an);
	/* libxml2 2.9 leaves the name empty; %s would also swallow the comma */
	if (strcmp(msg, "Expecting an element , got nothing") == 0)
		return g_strdup("a required element is missing");
	if (sscanf(msg, "Expecting an element %127[^, ], got nothing", en) == 1)
		return g_strdup_printf("missing element <%s>", en);
	return g_strdup(msg);
}

static void bw_rng_on_error(void *data, const xmlError *err)
{
	bw_rng_run *run = data;
	xmlNode *node = err->node;
	if (node && node->type != XML_ELEMENT_NODE)
		node = node->parent;
	int line = node ? (int)xmlGetLineNo(node) : err->line;
	char *msg = g_strchomp(g_strdup(err->message ? err->message : "invalid"));
	char *text = bw_rng_rewrite(run->rng, node, msg);
	if (node && node == run->said &&
	    (strcmp(text, RNG_GENERIC) == 0 || g_strcmp0(text, run->said_text) == 0)) {
		g_free(text);   /* the node's problem was already said */
		g_free(msg);
		return;
	}
	run->said = node;
	g_free(run->said_text);
	run->said_text = g_strdup(text);
	char *label = run->root_label && node && node->parent && !node->parent->parent
		? g_strdup(run->root_label) : bw_config_xml_label(node);
	bw_errs_add(run->errs, run->file, line, label, "%s", text);
	g_free(label);
	g_free(text);
	g_free(msg);
}

static gboolean bw_rng_validate(bw_rng *rng, xmlDoc *doc, const char *file,
				const char *root_label, bw_errs *e)
{
	bw_rng_run run = { rng, file, e, root_label, NULL, NULL };
	xmlRelaxNGValidCtxt *vc = xmlRelaxNGNewValidCtxt(rng->schema);
	if (!vc) {
		bw_errs_add(e, file, 0, "<bulwark>", "out of memory validating");
		return FALSE;
	}
	xmlRelaxNGSetValidStructuredErrors(vc, (xmlStructuredErrorFunc)bw_rng_on_error, &run);
	guint before = e->n;
	int rc = xmlRelaxNGValidateDoc(vc, doc);
	xmlRelaxNGFreeValidCtxt(vc);
	g_free(run.said_text);
	if (rc != 0 && e->n == before)
		bw_errs_add(e, file, 0, "<bulwark>", "does not match the schema");
	return rc == 0;
}

gboolean bw_config_rng_core(xmlDoc *doc, const char *file, bw_errs *e)
{
	static GOnce once = G_ONCE_INIT;
	bw_rng *rng = g_once(&once, bw_rng_core_once, NULL);
	if (!rng) {
		bw_errs_add(e, file, 0, "<bulwark>", "cannot validate: the built-in schema is broken");
		return FALSE;
	}
	return bw_rng_validate(rng, doc, file, NULL, e);
}

/* A fragment describes the <module> element. It may leave out the core
 * attributes (the core schema checked them): then they are removed from the
 * copy it validates; if it declares "name", it gets the element as is. */
gboolean bw_config_rng_fragment(const char *rng_path, xmlNode *el,
				const char *file, bw_errs *e)
{
	char *buf = NULL, *why = NULL;
	gsize len = 0;
	GError *ge = NULL;
	char *label = bw_config_xml_label(el);
	bw_rng *rng = NULL;
	if (!(buf = bw_util_read_file(rng_path, 1024 * 1024, &len, &ge)))
		why = g_strdup(ge->message);
	else
		rng = bw_rng_load_buffer(buf, len, rng_path, &why);
	gboolean ok = FALSE;
	if (rng) {
		gboolean full = g_hash_table_contains(rng->attrs, "module\nname");
		xmlDoc *copy = bw_config_module_copy(el, !full);
		ok = bw_rng_validate(rng, copy, file, label, e);
		xmlFreeDoc(copy);
	} else {
		bw_errs_add(e, file, (int)xmlGetLineNo(el), label,
			    "cannot check the module's settings: its schema %s is unusable: %s",
			    rng_path, why);
	}
	bw_rng_free(rng);
	g_clear_error(&ge);
	g_free(buf);
	g_free(why);
	g_free(label);
	return ok;
}
