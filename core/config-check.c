/* Checks of a schema-valid configuration that a schema cannot express:
 * modules are known and their settings match their own fragment, their
 * requires are present, enabled and acyclic (and give the start order), no
 * two listeners want the same port, and named certificates are readable.
 * Each problem becomes one "FILE:LINE: <element>: what" line. */
#include <string.h>
#include <arpa/inet.h>
#include <libxml/c14n.h>
#include "confint.h"
#include "loader.h"
#include "tlsctx.h"

#define BW_MAX_MODULES 256
#define BW_MAX_LISTENERS 4096

static const char *const bw_core_module_attrs[] = {
	"name", "enabled", "critical", "log-level", NULL
};

void bw_mentry_free(gpointer p)
{
	bw_mentry *m = p;
	g_free(m->digest);
	g_free(m->so_path);
	g_free(m->version);
	g_strfreev(m->requires);
	g_free(m);
}

static char *bw_check_digest(xmlDoc *copy)
{
	xmlChar *out = NULL;
	int n = xmlC14NDocDumpMemory(copy, NULL, XML_C14N_1_0, NULL, 0, &out);
	char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
						(const guchar *)(n > 0 ? (const char *)out : ""),
						n > 0 ? (gsize)n : 0);
	xmlFree(out);
	return hex;
}

xmlDoc *bw_config_module_copy(xmlNode *el, gboolean strip_core)
{
	xmlDoc *d = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *cp = xmlDocCopyNode(el, d, 1);
	xmlDocSetRootElement(d, cp);
	for (const char *const *a = bw_core_module_attrs; strip_core && *a; a++)
		xmlUnsetProp(cp, (const xmlChar *)*a);
	return d;
}

static gboolean bw_check_is_core_attr(const char *name)
{
	return g_strv_contains(bw_core_module_attrs, name);
}

/* A module without a fragment takes no settings at all. */
static void bw_check_no_settings(const bw_conf_node *n, const char *label,
				 const char *name, bw_errs *e)
{
	for (const char **a = n->attrs; a && a[0]; a += 2)
		if (!bw_check_is_core_attr(a[0]))
			bw_errs_add(e, n->file, n->line, label,
				    "unknown attribute %s (module %s takes no settings)", a[0], name);
	for (const bw_conf_node *c = bw_conf_first(n); c; c = bw_conf_next(c)) {
		char *cl = bw_conf_label(c->name, NULL);
		bw_errs_add(e, c->file, c->line, cl,
			    "unexpected element (module %s takes no settings)", name);
		g_free(cl);
	}
}

static char *bw_check_dirs(const char *const *mp)
{
	if (!mp || !mp[0])
		return g_strdup("no directories");
	return g_strjoinv(":", (char **)mp);
}

static void bw_check_probe(bw_mentry *m, xmlNode *el, const bw_conf_node *n,
			   const char *label, const char *const *mp, bw_errs *e)
{
	bw_probe *p = NULL;
	GError *pe = NULL;
	if (!bw_loader_probe(m->pub.name, mp, &p, &pe)) {
		char *dirs = bw_check_dirs(mp);
		if (!m->pub.enabled)
			;       /* a disabled module need not be installed */
		else if (pe && pe->domain == BW_LOADER_ERROR && pe->code == BW_LOADER_ERROR_NOT_FOUND)
			bw_errs_add(e, n->file, n->line, label, "unknown module %s (searched: %s)",
				    m->pub.name, dirs);
		else
			bw_errs_add(e, n->file, n->line, label, "module %s cannot be used: %s",
				    m->pub.name, pe ? pe->message : "probe failed");
		g_free(dirs);
		g_clear_error(&pe);
		return;
	}
	m->so_path = g_strdup(p->so_path);
	m->version = g_strdup(p->version);
	m->requires = g_strdupv(p->requires ? p->requires : (char *[]){ NULL });
	m->pub.so_path = m->so_path;
	m->pub.version = m->version;
	m->pub.requires = (const char *const *)m->requires;
	if (p->rng_path)
		bw_config_rng_fragment(p->rng_path, el, n->file, e);
	else
		bw_check_no_settings(n, label, m->pub.name, e);
	bw_probe_free(p);
}

static bw_mentry *bw_check_entry(xmlNode *el, const bw_conf_node *n, guint index,
				 const char *const *mp, bw_errs *e)
{
	bw_mentry *m = g_new0(bw_mentry, 1);
	m->pub.name = bw_conf_str(n, "name", "");
	m->pub.enabled = bw_conf_bool(n, "enabled", TRUE);
	m->pub.critical = bw_conf_bool(n, "critical", FALSE);
	m->pub.log_level = bw_conf_attr(n, "log-level");
	m->pub.node = n;
	m->line = n->line;
	m->index = index;
	xmlDoc *d = bw_config_module_copy(el, FALSE);
	m->digest = bw_check_digest(d);
	m->pub.digest = m->digest;
	xmlFreeDoc(d);
	char *label = bw_conf_label("module", m->pub.name);
	bw_check_probe(m, el, n, label, mp, e);
	g_free(label);
	return m;
}

static void bw_check_report(bw_errs *e, const bw_mentry *m, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void bw_check_report(bw_errs *e, const bw_mentry *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *label = bw_conf_label("module", m->pub.name);
	bw_errs_add(e, m->pub.node->file, m->line, label, "%s", what);
	g_free(label);
	g_free(what);
}

/* Every requirement of an enabled module is listed and enabled. */
static gboolean bw_check_requires(GPtrArray *all, GHashTable *by_name, bw_errs *e)
{
	gboolean ok = TRUE;
	for (guint i = 0; i < all->len; i++) {
		bw_mentry *m = g_ptr_array_index(all, i);
		for (char **r = m->pub.enabled ? m->requires : NULL; r && *r; r++) {
			bw_mentry *d = g_hash_table_lookup(by_name, *r);
			if (!d)
				bw_check_report(e, m, "module %s requires module %s, which is not "
						"listed in <modules>", m->pub.name, *r);
			else if (!d->pub.enabled)
				bw_check_report(e, m, "module %s requires module %s, which is "
						"disabled at line %d", m->pub.name, *r, d->line);
			ok = ok && d && d->pub.enabled;
		}
	}
	return ok;
}

static gboolean bw_check_ready(const bw_mentry *m, GHashTable *placed)
{
	for (char **r = m->requires; r && *r; r++)
		if (!g_hash_table_contains(placed, *r))
			return FALSE;
	return TRUE;
}

/* Walk requirements from a stuck module until one repeats: that is a cycle. */
static void bw_check_cycle(GPtrArray *left, GHashTable *by_name, GHashTable *placed, bw_errs *e)
{
	bw_mentry *m = g_ptr_array_index(left, 0);
	GPtrArray *path = g_ptr_array_new();
	while (m && !g_ptr_array_find(path, m, NULL)) {
		g_ptr_array_add(path, m);
		bw_mentry *next = NULL;
		for (char **r = m->requires; r && *r && !next; r++)
			if (!g_hash_table_contains(placed, *r))
				next = g_hash_table_lookup(by_name, *r);
		m = next;
	}
	guint start = 0;
	if (m)
		g_ptr_array_find(path, m, &start);
	GString *s = g_string_new(NULL);
	for (guint i = start; i < path->len; i++)
		g_string_append_printf(s, "%s -> ", ((bw_mentry *)path->pdata[i])->pub.name);
	g_string_append(s, m ? m->pub.name : "?");
	bw_check_report(e, m ? m : g_ptr_array_index(left, 0),
			"dependency cycle between modules: %s", s->str);
	g_string_free(s, TRUE);
	g_ptr_array_free(path, TRUE);
}

/* Stable topological order: the first module in file order whose
 * requirements are all placed goes next. */
static void bw_check_order(GPtrArray *all, GHashTable *by_name, GPtrArray *out, bw_errs *e)
{
	GHashTable *placed = g_hash_table_new(g_str_hash, g_str_equal);
	GPtrArray *left = g_ptr_array_new();
	for (guint i = 0; i < all->len; i++) {
		bw_mentry *m = g_ptr_array_index(all, i);
		if (m->pub.enabled)
			g_ptr_array_add(left, m);
	}
	while (left->len > 0) {
		guint i = 0;
		while (i < left->len && !bw_check_ready(left->pdata[i], placed))
			i++;
		if (i == left->len) {
			bw_check_cycle(left, by_name, placed, e);
			break;
		}
		bw_mentry *m = g_ptr_array_steal_index(left, i);
		g_hash_table_add(placed, (gpointer)m->pub.name);
		g_ptr_array_add(out, m);
	}
	g_ptr_array_free(left, TRUE);
	g_hash_table_destroy(placed);
}

void bw_config_check_modules(xmlNode *modules_el, const bw_conf_node *modules,
			     const char *file, const char *const *module_path,
			     GPtrArray *entries, bw_errs *e)
{
	const char *const *mp = module_path ? module_path : bw_loader_path();
	GPtrArray *all = g_ptr_array_new_with_free_func(bw_mentry_free);
	GHashTable *by_name = g_hash_table_new(g_str_hash, g_str_equal);
	const bw_conf_node *n = bw_conf_first(modules);
	guint index = 0;
	for (xmlNode *el = modules_el ? modules_el->children : NULL; el && n; el = el->next) {
		if (el->type != XML_ELEMENT_NODE)
			continue;
		if (++index > BW_MAX_MODULES) {
			bw_errs_add(e, file, n->line, "<module>", "more than %d modules", BW_MAX_MODULES);
			break;
		}
		bw_mentry *m = bw_check_entry(el, n, index, mp, e);
		bw_mentry *dup = g_hash_table_lookup(by_name, m->pub.name);
		if (dup)
			bw_check_report(e, m, "module %s is listed twice (also at line %d)",
					m->pub.name, dup->line);
		else
			g_hash_table_insert(by_name, (gpointer)m->pub.name, m);
		g_ptr_array_add(all, m);
		n = bw_conf_next(n);
	}
	if (bw_check_requires(all, by_name, e))
		bw_check_order(all, by_name, entries, e);
	/* entries owns them all: enabled ones left unordered (only when there
	 * are errors), then the disabled ones in file order */
	for (guint i = 0; i < all->len; i++) {
		bw_mentry *m = g_ptr_array_index(all, i);
		if (m->pub.enabled && !g_ptr_array_find(entries, m, NULL))
			g_ptr_array_add(entries, m);
	}
	for (guint i = 0; i < all->len; i++) {
		bw_mentry *m = g_ptr_array_index(all, i);
		if (!m->pub.enabled)
			g_ptr_array_add(entries, m);
	}
	g_ptr_array_set_free_func(all, NULL);
	g_ptr_array_free(all, TRUE);
	g_hash_table_destroy(by_name);
}

/* ---- listeners ---- */

typedef struct bw_listener {
	const bw_conf_node *node;
	const char *value;
	char *host;          /* normalised; "" for a wildcard */
	guint port;
	const char *transport;
} bw_listener;

static void bw_listener_free(gpointer p)
{
	bw_listener *l = p;
	g_free(l->host);
	g_free(l);
}

/* Numeric addresses are compared in canonical form; names as written. */
static char *bw_listen_norm_host(const char *h)
{
	guchar bin[16];
	char out[INET6_ADDRSTRLEN];
	if (!*h || strcmp(h, "*") == 0)
		return g_strdup("");
	int af = strchr(h, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, h, bin) == 1) {
		static const guchar zero[16];
		if (memcmp(bin, zero, af == AF_INET6 ? 16 : 4) == 0)
			return g_strdup("");
		inet_ntop(af, bin, out, sizeof(out));
		return g_strdup(out);
	}
	return g_ascii_strdown(h, -1);
}

/* "HOST:PORT" or "[V6]:PORT" -> host and port, or a reason. */
static const char *bw_listen_split(const char *v, char **host, guint *port)
{
	const char *colon;
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return "expected [ADDRESS]:PORT";
		*host = g_strndup(v + 1, (gsize)(close - v - 1));
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return "expected HOST:PORT";
		if (memchr(v, ':', (gsize)(colon - v)))
			return "write an IPv6 address as [ADDRESS]:PORT";
		*host = g_strndup(v, (gsize)(colon - v));
	}
	guint64 p;
	if (!g_ascii_string_to_unsigned(colon + 1, 10, 0, 65535, &p, NULL)) {
		g_clear_pointer(host, g_free);
		return "the port must be a number from 0 to 65535";
	}
	*port = (guint)p;
	return NULL;
}

static const char *bw_listen_transport(const bw_conf_node *n)
{
	const char *t = bw_conf_attr(n, "type");
	if (!t)
		t = bw_conf_attr(n, "transport");
	if (t && (g_ascii_strcasecmp(t, "udp") == 0 || g_ascii_strcasecmp(t, "dtls") == 0))
		return "udp";
	return "tcp";
}

typedef struct bw_listen_run {
	GHashTable *by_port;   /* "tcp/5060" -> GPtrArray of bw_listener* */
	GPtrArray *all;
	bw_errs *errs;
} bw_listen_run;

static void bw_listen_conflicts(bw_listen_run *run, bw_listener *l)
{
	char *key = g_strdup_printf("%s/%u", l->transport, l->port);
	GPtrArray *same = g_hash_table_lookup(run->by_port, key);
	if (!same) {
		same = g_ptr_array_new();
		g_hash_table_insert(run->by_port, key, same);
	} else {
		g_free(key);
	}
	for (guint i = 0; i < same->len; i++) {
		bw_listener *o = same->pdata[i];
		if (*o->host && *l->host && strcmp(o->host, l->host) != 0)
			continue;
		char *label = bw_conf_label(l->node->name, NULL);
		bw_errs_add(run->errs, l->node->file, l->node->line, label,
			    "listen=\"%s\" (%s) uses the same port as listen=\"%s\" at line %d",
			    l->value, l->transport, o->value, o->node->line);
		g_free(label);
		break;
	}
	g_ptr_array_add(same, l);
}

static void bw_listen_add(bw_listen_run *run, const bw_conf_node *n, const char *v)
{
	char *host = NULL;
	guint port = 0;
	const char *why = bw_listen_split(v, &host, &port);
	char *label = bw_conf_label(n->name, NULL);
	if (why) {
		bw_errs_add(run->errs, n->file, n->line, label, "listen=\"%s\": %s", v, why);
	} else if (run->all->len >= BW_MAX_LISTENERS) {
		bw_errs_add(run->errs, n->file, n->line, label, "more than %d listeners",
			    BW_MAX_LISTENERS);
	} else if (port != 0) {     /* port 0: the kernel picks, never a clash */
		bw_listener *l = g_new0(bw_listener, 1);
		l->node = n;
		l->value = v;
		l->host = bw_listen_norm_host(host);
		l->port = port;
		l->transport = bw_listen_transport(n);
		g_ptr_array_add(run->all, l);
		bw_listen_conflicts(run, l);
	}
	g_free(host);
	g_free(label);
}

/* Disabled modules open nothing, so their listeners are not counted. */
static void bw_listen_walk(bw_listen_run *run, const bw_conf_node *n)
{
	for (; n; n = n->next) {
		if (strcmp(n->name, "module") == 0 && n->parent &&
		    strcmp(n->parent->name, "modules") == 0 &&
		    !bw_conf_bool(n, "enabled", TRUE))
			continue;
		const char *v = bw_conf_attr(n, "listen");
		if (v)
			bw_listen_add(run, n, v);
		bw_listen_walk(run, n->first);
	}
}

void bw_config_check_listeners(const bw_conf_node *root, bw_errs *e)
{
	bw_listen_run run = {
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
				      (GDestroyNotify)g_ptr_array_unref),
		g_ptr_array_new_with_free_func(bw_listener_free), e
	};
	bw_listen_walk(&run, root);
	g_hash_table_destroy(run.by_port);
	g_ptr_array_unref(run.all);
}

/* ---- certificates ---- */

void bw_config_check_tls(const bw_conf_node *root, bw_errs *e)
{
	static const char *const files[] = { "certificate", "key", "chain", "pkcs12", NULL };
	const bw_conf_node *tls = bw_conf_child(root, "tls");
	gboolean names_files = FALSE;
	for (const char *const *f = files; tls && *f; f++)
		names_files = names_files || bw_conf_attr(tls, *f) != NULL;
	if (!names_files)
		return;
	GError *te = NULL;
	if (!bw_tls_check_files(tls, &te)) {
		const char *msg = te ? te->message : "the certificate files are unusable";
		if (g_str_has_prefix(msg, "<tls> "))   /* we name the element already */
			msg += strlen("<tls> ");
		bw_errs_add(e, tls->file, tls->line, "<tls>", "%s", msg);
		g_clear_error(&te);
	}
}
