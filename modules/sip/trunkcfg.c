/* Trunk records (trunk/<name> in the store) and CIDR lists (see calls.h).
 *
 * A record is JSON written by an administrator: every string is checked
 * for length and for characters that could break a SIP header (quotes,
 * CR/LF, controls) before it is used to build a request. Secrets are
 * never present: only HA1 digests, which never appear in messages. */
#include <string.h>
#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include "calls.h"

#define TRUNK_STR_MAX 256

static GQuark sip_trunk_cfg_quark(void)
{
	return g_quark_from_static_string("sip-trunk-cfg");
}

static bool sip_trunk_str_ok(const char *s)
{
	if (strlen(s) > TRUNK_STR_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char) *p < 0x20 || *p == '"' || *p == 0x7f)
			return false;
	return true;
}

/* A string member, checked; *out stays NULL when absent. */
static bool sip_trunk_get_str(JsonObject *o, const char *name, const char *key,
			      char **out, GError **err)
{
	JsonNode *n = json_object_get_member(o, key);
	const char *s;

	if (n == NULL || JSON_NODE_HOLDS_NULL(n))
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		g_set_error(err, sip_trunk_cfg_quark(), 1, "trunk/%s: \"%s\" must be a string",
			    name, key);
		return false;
	}
	s = json_node_get_string(n);
	if (!sip_trunk_str_ok(s)) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: \"%s\" is too long or holds a quote or control character",
			    name, key);
		return false;
	}
	*out = g_strdup(s);
	return true;
}

static bool sip_trunk_get_bool(JsonObject *o, const char *name, const char *key,
			       bool def, bool *out, GError **err)
{
	JsonNode *n = json_object_get_member(o, key);

	*out = def;
	if (n == NULL)
		return true;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
		g_set_error(err, sip_trunk_cfg_quark(), 1, "trunk/%s: \"%s\" must be true or false",
			    name, key);
		return false;
	}
	*out = json_node_get_boolean(n);
	return true;
}

static bool sip_trunk_one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (g_strcmp0(v, *allowed) == 0)
			return true;
	return false;
}

static bool sip_trunk_cfg_fields(sip_trunk_cfg *c, JsonObject *o, GError **err)
{
	static const char *const keys[] = { "proxy", "domain", "username", "realm", "ha1_md5",
		"ha1_sha256", "address", "transport", "ca_file", "caller_id", "srtp" };
	char **slots[] = { &c->proxy, &c->domain, &c->username, &c->realm, &c->ha1_md5,
		&c->ha1_sha256, &c->address, &c->transport, &c->ca_file, &c->caller_id, &c->srtp };
	g_autofree char *mode = NULL, *driver = NULL;
	JsonNode *exp;

	for (guint i = 0; i < G_N_ELEMENTS(keys); i++)
		if (!sip_trunk_get_str(o, c->name, keys[i], slots[i], err))
			return false;
	if (!sip_trunk_get_str(o, c->name, "mode", &mode, err) ||
	    !sip_trunk_get_str(o, c->name, "driver", &driver, err) ||
	    !sip_trunk_get_bool(o, c->name, "verify", true, &c->verify, err) ||
	    !sip_trunk_get_bool(o, c->name, "allow_direct_extensions", false,
				&c->allow_direct_extensions, err))
		return false;
	if (driver && strcmp(driver, "sip") != 0) {
		g_set_error(err, sip_trunk_cfg_quark(), 2, "trunk/%s: driver \"%s\" is not sip",
			    c->name, driver);
		return false;
	}
	c->mode = g_strcmp0(mode, "peer") == 0 ? TRUNK_PEER : TRUNK_REGISTER;
	if (mode && !sip_trunk_one_of(mode, (const char *const[]) { "register", "peer", NULL })) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: mode \"%s\" is neither register nor peer", c->name, mode);
		return false;
	}
	exp = json_object_get_member(o, "expires");
	c->expires = 600;
	if (exp && JSON_NODE_HOLDS_VALUE(exp) && json_node_get_value_type(exp) == G_TYPE_INT64) {
		gint64 v = json_node_get_int(exp);

		c->expires = (guint) CLAMP(v, 60, 86400);
	}
	return true;
}

static bool sip_trunk_cfg_check(sip_trunk_cfg *c, GError **err)
{
	static const char *const tps[] = { "udp", "tcp", "tls", NULL };
	static const char *const srtps[] = { "off", "optional", "mandatory", NULL };
	sip_trunk_cidr cidr;

	if (c->transport == NULL)
		c->transport = g_strdup("udp");
	if (!sip_trunk_one_of(c->transport, tps)) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: transport \"%s\" is not udp, tcp or tls", c->name, c->transport);
		return false;
	}
	if (c->srtp && !sip_trunk_one_of(c->srtp, srtps)) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: srtp \"%s\" is not off, optional or mandatory", c->name, c->srtp);
		return false;
	}
	if (c->proxy == NULL || !g_str_has_prefix(c->proxy, "sip:")) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: \"proxy\" must be a sip: URI", c->name);
		return false;
	}
	if (c->mode == TRUNK_REGISTER && (!c->username || (!c->ha1_md5 && !c->ha1_sha256))) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: a registering trunk needs \"username\" and \"ha1_md5\" or \"ha1_sha256\"",
			    c->name);
		return false;
	}
	if (c->mode == TRUNK_PEER && (!c->address || !sip_trunk_cidr_parse(c->address, &cidr))) {
		g_set_error(err, sip_trunk_cfg_quark(), 1,
			    "trunk/%s: a peer needs \"address\" as an IP address or CIDR", c->name);
		return false;
	}
	if (c->domain == NULL)
		c->domain = sip_trunk_cfg_host(c);
	return true;
}

sip_trunk_cfg *sip_trunk_cfg_parse(const char *name, const char *json, gsize len,
				   GError **err)
{
	g_autoptr(JsonParser) p = json_parser_new();
	sip_trunk_cfg *c;
	JsonNode *root;

	if (!json_parser_load_from_data(p, json, (gssize) len, err)) {
		g_prefix_error(err, "trunk/%s: ", name);
		return NULL;
	}
	root = json_parser_get_root(p);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(err, sip_trunk_cfg_quark(), 1, "trunk/%s: not a JSON object", name);
		return NULL;
	}
	c = g_new0(sip_trunk_cfg, 1);
	c->name = g_strdup(name);
	if (!sip_trunk_cfg_fields(c, json_node_get_object(root), err) ||
	    !sip_trunk_cfg_check(c, err)) {
		sip_trunk_cfg_free(c);
		return NULL;
	}
	return c;
}

void sip_trunk_cfg_free(sip_trunk_cfg *c)
{
	if (c == NULL)
		return;
	g_free(c->name);
	g_free(c->proxy);
	g_free(c->domain);
	g_free(c->username);
	g_free(c->realm);
	g_free(c->ha1_md5);
	g_free(c->ha1_sha256);
	g_free(c->address);
	g_free(c->transport);
	g_free(c->ca_file);
	g_free(c->caller_id);
	g_free(c->srtp);
	g_free(c);
}

char *sip_trunk_cfg_host(const sip_trunk_cfg *c)
{
	const char *h = c->proxy + 4, *end;

	if (*h == '[') {
		end = strchr(h, ']');
		return end ? g_strndup(h + 1, (gsize) (end - h - 1)) : g_strdup(h);
	}
	end = h + strcspn(h, ":;>");
	return g_strndup(h, (gsize) (end - h));
}

bool sip_trunk_cidr_parse(const char *text, sip_trunk_cidr *out)
{
	g_autofree char *addr = g_strdup(text);
	char *slash = strchr(addr, '/');
	guint max;

	memset(out, 0, sizeof(*out));
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		out->len = 4;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		out->len = 16;
	} else {
		return false;
	}
	max = out->len * 8u;
	out->bits = max;
	if (slash) {
		char *end = NULL;
		guint64 b = g_ascii_strtoull(slash, &end, 10);

		if (*slash == '\0' || *end != '\0' || b > max)
			return false;
		out->bits = (guint) b;
	}
	return true;
}

bool sip_trunk_cidr_match(const sip_trunk_cidr *c, int family, const guint8 *addr)
{
	guint full = c->bits / 8, rest = c->bits % 8;

	if (family != c->family)
		return false;
	if (memcmp(c->addr, addr, full) != 0)
		return false;
	if (rest) {
		guint8 mask = (guint8) (0xff << (8 - rest));

		return (c->addr[full] & mask) == (addr[full] & mask);
	}
	return true;
}
