/* The directory of bulwark/call.h: extensions, trunks, outgoing routes and
 * DIDs from the system store, parsed strictly (json-glib) into an immutable
 * refcounted snapshot. The management thread rebuilds it from the store
 * when a watched prefix changes and swaps it under a write lock; readers on
 * any thread take a reference under the read lock and never see a snapshot
 * change under them. A bad record is skipped with a warning naming its key
 * and field, so one typo never takes the other extensions down. */
#include "callint.h"
#include <json-glib/json-glib.h>
#include <string.h>

G_DEFINE_QUARK(bw-call-error-quark, bw_call_error)

static GRWLock dir_lock;
static bw_directory *dir_current;     /* under dir_lock */
static guint dir_gen;                 /* atomic */
static bw_store *dir_store;           /* management thread */
static bw_watch *dir_watches[4];
static guint dir_idle;

/* ---- field checks ---- */

gboolean bw_dir_number_valid(const char *s)
{
	gsize n = s ? strlen(s) : 0;
	if (n < 1 || n > BW_CALL_NUMBER_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]))
			return FALSE;
	return TRUE;
}

/* RFC 3261 token characters: what a digest user name can safely hold. */
gboolean bw_dir_user_valid(const char *s)
{
	gsize n = s ? strlen(s) : 0;
	if (n < 1 || n > BW_CALL_TEXT_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("-.!%*_+`'~", s[i]))
			return FALSE;
	return TRUE;
}

/* Route prefixes and DIDs may carry '+' (E.164) besides digits. */
static gboolean dial_string_valid(const char *s, gsize min)
{
	gsize n = s ? strlen(s) : 0;
	if (n < min || n > BW_CALL_NUMBER_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isdigit(s[i]) && !strchr("+*#", s[i]))
			return FALSE;
	return TRUE;
}

static gboolean trunk_name_valid(const char *s)
{
	gsize n = s ? strlen(s) : 0;
	if (n < 1 || n > BW_CALL_TEXT_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("-_.", s[i]))
			return FALSE;
	return TRUE;
}

static gboolean hex_valid(const char *s, gsize len)
{
	if (!s || strlen(s) != len)
		return FALSE;
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isxdigit(s[i]) || g_ascii_isupper(s[i]))
			return FALSE;
	return TRUE;
}

static gboolean text_valid(const char *s, gsize max)
{
	if (!s || strlen(s) > max || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return FALSE;
	return TRUE;
}

const char *bw_srtp_policy_name(bw_srtp_policy p)
{
	return p == BW_SRTP_OFF ? "off" : p == BW_SRTP_OPTIONAL ? "optional" : "mandatory";
}

gboolean bw_srtp_policy_parse(const char *s, bw_srtp_policy *out)
{
	static const char *const names[] = { "mandatory", "optional", "off" };
	for (guint i = 0; s && i < G_N_ELEMENTS(names); i++)
		if (g_str_equal(s, names[i])) {
			*out = (bw_srtp_policy)i;
			return TRUE;
		}
	return FALSE;
}

/* ---- JSON helpers: every error says key and field ---- */

static gboolean bad(GError **err, const char *key, const char *field, const char *why)
{
	if (field)
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID, "%s: field \"%.64s\": %s",
			    key, field, why);
	else
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID, "%s: %s", key, why);
	return FALSE;
}

static JsonObject *parse_object(const char *key, const void *data, gsize len,
				JsonParser **parser, GError **err)
{
	if (len > BW_DIR_RECORD_MAX) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID,
			    "%s: record of %zu bytes is over the %d-byte bound", key, len,
			    BW_DIR_RECORD_MAX);
		return NULL;
	}
	*parser = json_parser_new_immutable();
	GError *perr = NULL;
	if (!json_parser_load_from_data(*parser, data, (gssize)len, &perr)) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID,
			    "%s: not valid JSON: %s", key, perr->message);
		g_error_free(perr);
		return NULL;
	}
	JsonNode *root = json_parser_get_root(*parser);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID,
			    "%s: the value must be a JSON object", key);
		return NULL;
	}
	return json_node_get_object(root);
}

/* A string member or NULL when absent; FALSE when present but not a string. */
static gboolean get_string(JsonObject *o, const char *key, const char *field,
			   const char **out, GError **err)
{
	*out = NULL;
	JsonNode *n = json_object_get_member(o, field);
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return bad(err, key, field, "must be a string");
	*out = json_node_get_string(n);
	return TRUE;
}

static gboolean get_uint(JsonObject *o, const char *key, const char *field, guint min,
			 guint max, guint *out, GError **err)
{
	JsonNode *n = json_object_get_member(o, field);
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64 ||
	    json_node_get_int(n) < min || json_node_get_int(n) > max) {
		char *why = g_strdup_printf("must be an integer from %u to %u", min, max);
		bad(err, key, field, why);
		g_free(why);
		return FALSE;
	}
	*out = (guint)json_node_get_int(n);
	return TRUE;
}

static gboolean get_bool(JsonObject *o, const char *key, const char *field,
			 gboolean *out, GError **err)
{
	JsonNode *n = json_object_get_member(o, field);
	if (!n)
		return TRUE;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return bad(err, key, field, "must be true or false");
	*out = json_node_get_boolean(n);
	return TRUE;
}

static gboolean only_fields(JsonObject *o, const char *key, const char *const *allowed,
			    GError **err)
{
	GList *members = json_object_get_members(o);
	gboolean ok = TRUE;
	for (GList *l = members; l && ok; l = l->next)
		if (!g_strv_contains(allowed, l->data))
			ok = bad(err, key, l->data, "unknown field");
	g_list_free(members);
	return ok;
}

/* ---- records ---- */

void bw_extension_free(bw_extension *e)
{
	if (!e)
		return;
	g_free(e->number);
	g_free(e->name);
	g_free(e->sip_user);
	g_free(e->ha1_md5);
	g_free(e->ha1_sha256);
	g_free(e->cor);
	g_free(e->cos);
	g_free(e->forward_always);
	g_free(e->forward_busy);
	g_free(e->forward_noanswer);
	g_free(e);
}

bw_extension *bw_extension_copy(const bw_extension *e)
{
	bw_extension *c = g_new0(bw_extension, 1);
	c->number = g_strdup(e->number);
	c->name = g_strdup(e->name);
	c->sip_user = g_strdup(e->sip_user);
	c->ha1_md5 = g_strdup(e->ha1_md5);
	c->ha1_sha256 = g_strdup(e->ha1_sha256);
	c->cor = g_strdup(e->cor);
	c->cos = g_strdup(e->cos);
	c->srtp = e->srtp;
	c->max_contacts = e->max_contacts;
	c->forward_always = g_strdup(e->forward_always);
	c->forward_busy = g_strdup(e->forward_busy);
	c->forward_noanswer = g_strdup(e->forward_noanswer);
	c->forward_noanswer_s = e->forward_noanswer_s;
	return c;
}

static gboolean ext_strings(JsonObject *o, const char *key, bw_extension *e, GError **err)
{
	const char *name, *user, *md5, *sha, *cor, *cos, *srtp;
	if (!get_string(o, key, "name", &name, err) || !get_string(o, key, "sip_user", &user, err) ||
	    !get_string(o, key, "ha1_md5", &md5, err) ||
	    !get_string(o, key, "ha1_sha256", &sha, err) || !get_string(o, key, "cor", &cor, err) ||
	    !get_string(o, key, "cos", &cos, err) || !get_string(o, key, "srtp", &srtp, err))
		return FALSE;
	if (name && !text_valid(name, BW_CALL_NAME_MAX))
		return bad(err, key, "name", "must be UTF-8 text without control characters, at most 128 bytes");
	if (user && !bw_dir_user_valid(user))
		return bad(err, key, "sip_user", "must be 1-64 SIP token characters (letters, digits, -.!%*_+`'~)");
	if (md5 && !hex_valid(md5, 32))
		return bad(err, key, "ha1_md5", "must be 32 lowercase hex digits");
	if (sha && !hex_valid(sha, 64))
		return bad(err, key, "ha1_sha256", "must be 64 lowercase hex digits");
	if (cor && !trunk_name_valid(cor))
		return bad(err, key, "cor", "must be 1-64 of letters, digits, - _ .");
	if (cos && !trunk_name_valid(cos))
		return bad(err, key, "cos", "must be 1-64 of letters, digits, - _ .");
	if (srtp && !bw_srtp_policy_parse(srtp, &e->srtp))
		return bad(err, key, "srtp", "must be mandatory, optional or off");
	e->name = g_strdup(name);
	e->sip_user = g_strdup(user ? user : e->number);
	e->ha1_md5 = g_strdup(md5);
	e->ha1_sha256 = g_strdup(sha);
	e->cor = g_strdup(cor);
	e->cos = g_strdup(cos);
	return TRUE;
}

/* Forward targets are dialled again like any number: digits only, and
 * never the extension itself (a one-hop loop the engine would refuse). */
static gboolean ext_forward(JsonObject *o, const char *key, const char *field, char **out,
			    const char *self, GError **err)
{
	const char *v;
	if (!get_string(o, key, field, &v, err))
		return FALSE;
	if (v && !bw_dir_number_valid(v))
		return bad(err, key, field, "must be a number (1-32 digits)");
	if (v && g_str_equal(v, self))
		return bad(err, key, field, "must not be the extension itself");
	*out = g_strdup(v);
	return TRUE;
}

static gboolean ext_forwards(JsonObject *o, const char *key, bw_extension *e, GError **err)
{
	e->forward_noanswer_s = BW_EXT_FORWARD_NOANSWER_S;
	return ext_forward(o, key, "forward_always", &e->forward_always, e->number, err) &&
	       ext_forward(o, key, "forward_busy", &e->forward_busy, e->number, err) &&
	       ext_forward(o, key, "forward_noanswer", &e->forward_noanswer, e->number, err) &&
	       get_uint(o, key, "forward_noanswer_s", BW_EXT_FORWARD_NOANSWER_MIN,
			BW_EXT_FORWARD_NOANSWER_MAX, &e->forward_noanswer_s, err);
}

static bw_extension *ext_parse(const char *number, const void *data, gsize len,
			       bw_srtp_policy srtp_default, GError **err)
{
	static const char *const fields[] = { "name", "sip_user", "ha1_md5", "ha1_sha256", "cor",
					      "cos", "srtp", "max_contacts", "forward_always",
					      "forward_busy", "forward_noanswer",
					      "forward_noanswer_s", NULL };
	char *key = g_strdup_printf("ext/%.40s", number ? number : "");
	JsonParser *parser = NULL;
	bw_extension *e = NULL;
	if (!bw_dir_number_valid(number)) {
		bad(err, key, NULL, "the number must be 1-32 digits");
		goto out;
	}
	JsonObject *o = parse_object(key, data, len, &parser, err);
	if (!o || !only_fields(o, key, fields, err))
		goto out;
	e = g_new0(bw_extension, 1);
	e->number = g_strdup(number);
	e->srtp = srtp_default;
	e->max_contacts = 1;
	if (!ext_strings(o, key, e, err) ||
	    !get_uint(o, key, "max_contacts", 1, BW_EXT_MAX_CONTACTS, &e->max_contacts, err) ||
	    !ext_forwards(o, key, e, err))
		g_clear_pointer(&e, bw_extension_free);
out:
	g_clear_object(&parser);
	g_free(key);
	return e;
}

/* An extension without its own "srtp" gets the system default in force. */
bw_extension *bw_dir_parse_ext(const char *number, const void *data, gsize len, GError **err)
{
	bw_directory *d = bw_directory_get();
	bw_extension *e = ext_parse(number, data, len, d->srtp_default, err);
	bw_directory_unref(d);
	return e;
}

static void trunk_free(gpointer p)
{
	bw_trunk *t = p;
	g_free(t->name);
	g_free(t->driver);
	g_free(t->cor);
	g_free(t->json);
	g_free(t);
}

/* Only the fields the engine uses are checked: the rest is the driver's. */
bw_trunk *bw_dir_parse_trunk(const char *name, const void *data, gsize len, GError **err)
{
	char *key = g_strdup_printf("trunk/%.64s", name ? name : "");
	JsonParser *parser = NULL;
	bw_trunk *t = NULL;
	const char *driver = NULL, *cor = NULL, *srtp = NULL;
	gboolean direct = FALSE;
	bw_srtp_policy pol = BW_SRTP_MANDATORY;
	if (!trunk_name_valid(name)) {
		bad(err, key, NULL, "the name must be 1-64 of letters, digits, - _ .");
		goto out;
	}
	JsonObject *o = parse_object(key, data, len, &parser, err);
	if (!o || !get_string(o, key, "driver", &driver, err) ||
	    !get_string(o, key, "cor", &cor, err) || !get_string(o, key, "srtp", &srtp, err) ||
	    !get_bool(o, key, "allow_direct_extensions", &direct, err))
		goto out;
	if (driver && !trunk_name_valid(driver)) {
		bad(err, key, "driver", "must be a driver name such as \"sip\"");
		goto out;
	}
	if (cor && !trunk_name_valid(cor)) {
		bad(err, key, "cor", "must be 1-64 of letters, digits, - _ .");
		goto out;
	}
	if (srtp && !bw_srtp_policy_parse(srtp, &pol)) {
		bad(err, key, "srtp", "must be mandatory, optional or off");
		goto out;
	}
	t = g_new0(bw_trunk, 1);
	t->name = g_strdup(name);
	t->driver = g_strdup(driver ? driver : "sip");
	t->cor = g_strdup(cor);
	t->srtp = pol;
	t->direct_extensions = direct;
	t->json = g_strndup(data, len);
out:
	g_clear_object(&parser);
	g_free(key);
	return t;
}

static void route_free(gpointer p)
{
	bw_route_out *r = p;
	g_free(r->prefix);
	g_free(r->trunk);
	g_free(r->prepend);
	g_free(r);
}

bw_route_out *bw_dir_parse_route(const char *prefix, const void *data, gsize len, GError **err)
{
	static const char *const fields[] = { "trunk", "strip", "prepend", NULL };
	char *key = g_strdup_printf("route/out/%.40s", prefix ? prefix : "");
	JsonParser *parser = NULL;
	bw_route_out *r = NULL;
	const char *trunk = NULL, *prepend = NULL;
	guint strip = 0;
	if (!dial_string_valid(prefix, 1)) {
		bad(err, key, NULL, "the prefix must be 1-32 of digits, + * #");
		goto out;
	}
	JsonObject *o = parse_object(key, data, len, &parser, err);
	if (!o || !only_fields(o, key, fields, err) || !get_string(o, key, "trunk", &trunk, err) ||
	    !get_string(o, key, "prepend", &prepend, err) ||
	    !get_uint(o, key, "strip", 0, BW_CALL_NUMBER_MAX, &strip, err))
		goto out;
	if (!trunk || !trunk_name_valid(trunk)) {
		bad(err, key, "trunk", trunk ? "must be a trunk name" : "is required");
		goto out;
	}
	if (prepend && !dial_string_valid(prepend, 0)) {
		bad(err, key, "prepend", "must be at most 32 of digits, + * #");
		goto out;
	}
	r = g_new0(bw_route_out, 1);
	r->prefix = g_strdup(prefix);
	r->trunk = g_strdup(trunk);
	r->prepend = g_strdup(prepend ? prepend : "");
	r->strip = strip;
out:
	g_clear_object(&parser);
	g_free(key);
	return r;
}

char *bw_dir_parse_did(const char *number, const void *data, gsize len, GError **err)
{
	static const char *const fields[] = { "extension", NULL };
	char *key = g_strdup_printf("route/did/%.40s", number ? number : "");
	JsonParser *parser = NULL;
	char *ext = NULL;
	const char *target = NULL;
	if (!dial_string_valid(number, 1)) {
		bad(err, key, NULL, "the number must be 1-32 of digits, + * #");
		goto out;
	}
	JsonObject *o = parse_object(key, data, len, &parser, err);
	if (!o || !only_fields(o, key, fields, err) ||
	    !get_string(o, key, "extension", &target, err))
		goto out;
	if (!bw_dir_number_valid(target)) {
		bad(err, key, "extension", target ? "must be an extension number (1-32 digits)"
						  : "is required");
		goto out;
	}
	ext = g_strdup(target);
out:
	g_clear_object(&parser);
	g_free(key);
	return ext;
}

/* ---- snapshots ---- */

static bw_directory *dir_new(void)
{
	bw_directory *d = g_new0(bw_directory, 1);
	d->refs = 1;
	d->ext = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
				       (GDestroyNotify)bw_extension_free);
	d->ext_user = g_hash_table_new(g_str_hash, g_str_equal);
	d->trunks = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, trunk_free);
	d->routes = g_ptr_array_new_with_free_func(route_free);
	d->dids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return d;
}

bw_directory *bw_directory_ref(bw_directory *d)
{
	g_atomic_int_inc(&d->refs);
	return d;
}

void bw_directory_unref(bw_directory *d)
{
	if (!d || !g_atomic_int_dec_and_test(&d->refs))
		return;
	g_hash_table_destroy(d->ext_user);
	g_hash_table_destroy(d->ext);
	g_hash_table_destroy(d->trunks);
	g_ptr_array_unref(d->routes);
	g_hash_table_destroy(d->dids);
	g_free(d);
}

static void skip(bw_directory *d, GError *err)
{
	g_warning("directory: record skipped: %s", err->message);
	g_error_free(err);
	d->skipped++;
}

static void add_ext(bw_directory *d, const char *id, const bw_record *r)
{
	GError *err = NULL;
	bw_extension *e = ext_parse(id, g_bytes_get_data(r->value, NULL),
				    g_bytes_get_size(r->value), d->srtp_default, &err);
	if (!e)
		return skip(d, err);
	if (g_hash_table_contains(d->ext_user, e->sip_user)) {
		g_set_error(&err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID,
			    "%s: field \"sip_user\": \"%s\" is already used by ext/%s", r->key,
			    e->sip_user,
			    ((bw_extension *)g_hash_table_lookup(d->ext_user, e->sip_user))->number);
		bw_extension_free(e);
		return skip(d, err);
	}
	g_hash_table_insert(d->ext, e->number, e);
	g_hash_table_insert(d->ext_user, e->sip_user, e);
}

static void add_record(bw_directory *d, const bw_record *r)
{
	GError *err = NULL;
	const void *data = g_bytes_get_data(r->value, NULL);
	gsize len = g_bytes_get_size(r->value);
	if (g_str_has_prefix(r->key, "ext/")) {
		add_ext(d, r->key + 4, r);
	} else if (g_str_has_prefix(r->key, "trunk/")) {
		bw_trunk *t = bw_dir_parse_trunk(r->key + 6, data, len, &err);
		if (t)
			g_hash_table_insert(d->trunks, t->name, t);
		else
			skip(d, err);
	} else if (g_str_has_prefix(r->key, "route/out/")) {
		bw_route_out *ro = bw_dir_parse_route(r->key + 10, data, len, &err);
		if (ro)
			g_ptr_array_add(d->routes, ro);
		else
			skip(d, err);
	} else if (g_str_has_prefix(r->key, "route/did/")) {
		char *ext = bw_dir_parse_did(r->key + 10, data, len, &err);
		if (ext)
			g_hash_table_insert(d->dids, g_strdup(r->key + 10), ext);
		else
			skip(d, err);
	}
	/* other keys under route/ belong to others (e.g. cor's ARS) */
}

static gint route_cmp(gconstpointer a, gconstpointer b)
{
	const bw_route_out *x = *(bw_route_out *const *)a, *y = *(bw_route_out *const *)b;
	gsize lx = strlen(x->prefix), ly = strlen(y->prefix);
	return lx != ly ? (lx > ly ? -1 : 1) : strcmp(x->prefix, y->prefix);
}

/* The security-options form (config/security, "srtp_default") may change
 * the policy of extensions that set none; anything unreadable or absent
 * keeps the secure default, mandatory. */
static bw_srtp_policy srtp_default_read(bw_store *s)
{
	bw_srtp_policy p = BW_SRTP_MANDATORY;
	GBytes *v = NULL;
	if (!bw_store_get(s, "config/security", &v, NULL, NULL))
		return p;
	JsonParser *parser = NULL;
	const char *name = NULL;
	JsonObject *o = parse_object("config/security", g_bytes_get_data(v, NULL),
				     g_bytes_get_size(v), &parser, NULL);
	if (o && get_string(o, "config/security", "srtp_default", &name, NULL) && name &&
	    !bw_srtp_policy_parse(name, &p))
		g_warning("directory: config/security: srtp_default \"%s\" is not a policy; "
			  "using mandatory", name);
	g_clear_object(&parser);
	g_bytes_unref(v);
	return p;
}

bw_directory *bw_directory_build(bw_store *s, GError **err)
{
	static const char *const prefixes[] = { "ext/", "trunk/", "route/out/", "route/did/" };
	bw_directory *d = dir_new();
	d->revision = bw_store_revision(s);
	d->srtp_default = srtp_default_read(s);
	for (guint p = 0; p < G_N_ELEMENTS(prefixes); p++) {
		GPtrArray *recs = bw_store_list(s, prefixes[p], err);
		if (!recs) {
			g_prefix_error(err, "directory: cannot list %s: ", prefixes[p]);
			bw_directory_unref(d);
			return NULL;
		}
		for (guint i = 0; i < recs->len; i++)
			add_record(d, g_ptr_array_index(recs, i));
		g_ptr_array_unref(recs);
	}
	g_ptr_array_sort(d->routes, route_cmp);
	return d;
}

bw_directory *bw_directory_get(void)
{
	g_rw_lock_reader_lock(&dir_lock);
	bw_directory *d = dir_current ? bw_directory_ref(dir_current) : NULL;
	g_rw_lock_reader_unlock(&dir_lock);
	if (d)
		return d;
	/* before start: an empty directory, installed once */
	bw_directory *empty = dir_new();
	g_rw_lock_writer_lock(&dir_lock);
	if (!dir_current)
		dir_current = bw_directory_ref(empty);
	d = bw_directory_ref(dir_current);
	g_rw_lock_writer_unlock(&dir_lock);
	bw_directory_unref(empty);
	return d;
}

void bw_directory_set(bw_directory *d)
{
	g_rw_lock_writer_lock(&dir_lock);
	bw_directory *old = dir_current;
	dir_current = d;
	g_rw_lock_writer_unlock(&dir_lock);
	g_atomic_int_inc(&dir_gen);
	bw_directory_unref(old);
}

guint bw_directory_generation(void) { return (guint)g_atomic_int_get(&dir_gen); }

gboolean bw_directory_reload(GError **err)
{
	if (!dir_store) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE,
			    "directory: not started (no store)");
		return FALSE;
	}
	bw_directory *d = bw_directory_build(dir_store, err);
	if (!d)
		return FALSE;
	g_debug("directory: %u extensions, %u trunks, %u routes, %u DIDs, %u skipped",
		g_hash_table_size(d->ext), g_hash_table_size(d->trunks), d->routes->len,
		g_hash_table_size(d->dids), d->skipped);
	bw_directory_set(d);
	return TRUE;
}

static gboolean rebuild_idle(gpointer unused)
{
	dir_idle = 0;
	GError *err = NULL;
	if (!bw_directory_reload(&err)) {
		g_warning("%s; keeping the previous directory", err->message);
		g_error_free(err);
	}
	return G_SOURCE_REMOVE;
}

/* A burst of changes (an XML import) makes one rebuild, not one per key. */
static void on_change(const char *key, GBytes *value, gint64 revision, void *unused)
{
	if (!dir_idle)
		dir_idle = g_idle_add(rebuild_idle, NULL);
}

gboolean bw_directory_start(bw_store *s, GError **err)
{
	static const char *const prefixes[] = { "ext/", "trunk/", "route/", "config/security" };
	if (dir_store) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE, "directory: started twice");
		return FALSE;
	}
	dir_store = s;
	if (!bw_directory_reload(err)) {
		dir_store = NULL;
		return FALSE;
	}
	for (guint i = 0; i < G_N_ELEMENTS(prefixes); i++)
		dir_watches[i] = bw_store_watch(s, prefixes[i], NULL, on_change, NULL);
	return TRUE;
}

void bw_directory_stop(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(dir_watches); i++)
		g_clear_pointer(&dir_watches[i], bw_store_unwatch);
	if (dir_idle)
		g_source_remove(dir_idle);
	dir_idle = 0;
	dir_store = NULL;
	bw_directory_set(NULL);
}

/* ---- public lookups (copies: the snapshot may go away) ---- */

bw_extension *bw_extension_lookup(const char *number)
{
	if (!number)
		return NULL;
	bw_directory *d = bw_directory_get();
	bw_extension *e = g_hash_table_lookup(d->ext, number);
	e = e ? bw_extension_copy(e) : NULL;
	bw_directory_unref(d);
	return e;
}

bw_extension *bw_extension_by_user(const char *sip_user)
{
	if (!sip_user)
		return NULL;
	bw_directory *d = bw_directory_get();
	bw_extension *e = g_hash_table_lookup(d->ext_user, sip_user);
	e = e ? bw_extension_copy(e) : NULL;
	bw_directory_unref(d);
	return e;
}

char *bw_trunk_json(const char *name)
{
	if (!name)
		return NULL;
	bw_directory *d = bw_directory_get();
	bw_trunk *t = g_hash_table_lookup(d->trunks, name);
	char *json = t ? g_strdup(t->json) : NULL;
	bw_directory_unref(d);
	return json;
}

static gint str_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **bw_trunk_names(void)
{
	bw_directory *d = bw_directory_get();
	GPtrArray *names = g_ptr_array_new();
	GHashTableIter it;
	gpointer k;
	g_hash_table_iter_init(&it, d->trunks);
	while (g_hash_table_iter_next(&it, &k, NULL))
		g_ptr_array_add(names, g_strdup(k));
	bw_directory_unref(d);
	g_ptr_array_sort(names, str_cmp);
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(names, FALSE);
}
