/* The snmp module's configuration: <module name="snmp" mode listen
 * agentx-socket engine-id> with <community>, <user> and <trap-receiver>
 * children (docs/snmp.md). The schema (mod_snmp.rng) has checked the
 * shapes; this file checks what a schema cannot (references between
 * elements, passphrase lengths, address syntax) and says where.
 * Passphrases are copied but never put into a message. */
#define G_LOG_DOMAIN "snmp"
#include <errno.h>
#include <string.h>
#include "snmpint.h"


static void community_free(gpointer p)
{
	snmp_community *c = p;
	g_free(c->name);
	g_free(c->source);
	g_free(c);
}

static void user_free(gpointer p)
{
	snmp_user *u = p;
	if (u->auth_pass)
		memset(u->auth_pass, 0, strlen(u->auth_pass));
	if (u->priv_pass)
		memset(u->priv_pass, 0, strlen(u->priv_pass));
	g_free(u->name);
	g_free(u->auth_pass);
	g_free(u->priv_pass);
	g_free(u);
}

static void receiver_free(gpointer p)
{
	snmp_receiver *r = p;
	g_free(r->address);
	g_free(r->peer);
	g_free(r->community);
	g_free(r);
}

void snmp_conf_free(snmp_conf *c)
{
	if (c == NULL)
		return;
	g_free(c->listen);
	g_free(c->listen_spec);
	g_free(c->agentx_socket);
	g_free(c->engine_id_hex);
	g_free(c->dir);
	g_ptr_array_unref(c->communities);
	g_ptr_array_unref(c->users);
	g_ptr_array_unref(c->receivers);
	g_free(c);
}

static gboolean parse_port(const char *p, guint16 *port)
{
	guint64 v;

	if (*p == '\0' || strlen(p) > 5 || !g_ascii_string_to_unsigned(p, 10, 1, 65535, &v, NULL))
		return FALSE;
	*port = (guint16)v;
	return TRUE;
}

/* "host", "host:port", "[v6]" or "[v6]:port"; no name lookup here */
char *snmp_conf_udp_spec(const char *addr, guint16 def_port, GError **err)
{
	g_autofree char *host = NULL;
	guint16 port = def_port;
	const char *colon, *end;
	gboolean v6 = FALSE;

	if (addr == NULL || *addr == '\0')
		goto bad;
	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (end == NULL || end == addr + 1)
			goto bad;
		host = g_strndup(addr + 1, (gsize)(end - addr - 1));
		v6 = TRUE;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			goto bad;
	} else {
		colon = strrchr(addr, ':');
		host = colon ? g_strndup(addr, (gsize)(colon - addr)) : g_strdup(addr);
		if (*host == '\0' || strchr(host, ':') != NULL)
			goto bad;
	}
	if (colon != NULL && !parse_port(colon + 1, &port))
		goto bad;
	if (v6)
		return g_strdup_printf("udp6:[%s]:%u", host, port);
	return g_strdup_printf("udp:%s:%u", host, port);
bad:
	g_set_error(err, SNMP_ERROR, EINVAL, "'%s' is not HOST:PORT (port 1..65535, "
		    "IPv6 in brackets)", addr ? addr : "");
	return NULL;
}

static gboolean fail_at(GError **err, const bw_conf_node *n, const char *fmt, const char *what)
{
	g_set_error(err, SNMP_ERROR, EINVAL, "%s:%d: <%s>: %s", bw_conf_file(n), bw_conf_line(n),
		    bw_conf_name(n), what ? what : fmt);
	return FALSE;
}

static gboolean parse_community(snmp_conf *c, const bw_conf_node *n, GError **err)
{
	snmp_community *co = g_new0(snmp_community, 1);

	co->name = g_strdup(bw_conf_str(n, "name", ""));
	co->source = g_strdup(bw_conf_str(n, "source", "127.0.0.1/32"));
	g_ptr_array_add(c->communities, co);
	if (*co->name == '\0')
		return fail_at(err, n, "community name is empty", NULL);
	return TRUE;
}

static gboolean parse_user(snmp_conf *c, const bw_conf_node *n, GError **err)
{
	snmp_user *u = g_new0(snmp_user, 1);
	g_autofree char *msg = NULL;

	u->name = g_strdup(bw_conf_str(n, "name", ""));
	u->auth_pass = g_strdup(bw_conf_str(n, "auth-passphrase", ""));
	u->priv_pass = g_strdup(bw_conf_str(n, "priv-passphrase", ""));
	g_ptr_array_add(c->users, u);
	if (strlen(u->auth_pass) < SNMP_PASSPHRASE_MIN ||
	    strlen(u->priv_pass) < SNMP_PASSPHRASE_MIN) {
		msg = g_strdup_printf("user '%s': auth-passphrase and priv-passphrase "
				      "need at least %d characters (USM keys from "
				      "shorter ones are refused by net-snmp and weak)",
				      u->name, SNMP_PASSPHRASE_MIN);
		return fail_at(err, n, NULL, msg);
	}
	for (guint i = 0; i + 1 < c->users->len; i++) {
		const snmp_user *o = g_ptr_array_index(c->users, i);
		if (strcmp(o->name, u->name) == 0) {
			msg = g_strdup_printf("user '%s' is defined twice", u->name);
			return fail_at(err, n, NULL, msg);
		}
	}
	return TRUE;
}

static const snmp_user *find_user(const snmp_conf *c, const char *name)
{
	for (guint i = 0; i < c->users->len; i++) {
		const snmp_user *u = g_ptr_array_index(c->users, i);
		if (strcmp(u->name, name) == 0)
			return u;
	}
	return NULL;
}

static gboolean receiver_credentials(const snmp_conf *c, snmp_receiver *r,
				     const bw_conf_node *n, GError **err)
{
	g_autofree char *msg = NULL;
	const char *user = bw_conf_attr(n, "user");
	const char *community = bw_conf_attr(n, "community");

	if (r->version != SNMP_TRAP_V3) {
		if (community == NULL || *community == '\0')
			return fail_at(err, n, NULL, "a v1 or v2c trap-receiver needs "
				       "community=\"...\" (there is no default community)");
		r->community = g_strdup(community);
		return TRUE;
	}
	if (user == NULL)
		return fail_at(err, n, NULL, "a v3 trap-receiver needs user=\"...\" "
			       "naming a <user> of this module");
	r->user = find_user(c, user);
	if (r->user == NULL) {
		msg = g_strdup_printf("user '%s' is not defined by a <user> element "
				      "of this module", user);
		return fail_at(err, n, NULL, msg);
	}
	return TRUE;
}

static gboolean parse_receiver(snmp_conf *c, const bw_conf_node *n, GError **err)
{
	snmp_receiver *r = g_new0(snmp_receiver, 1);
	const char *v = bw_conf_str(n, "version", "v2c");
	GError *e = NULL;

	g_ptr_array_add(c->receivers, r);
	r->version = strcmp(v, "v1") == 0 ? SNMP_TRAP_V1
		   : strcmp(v, "v3") == 0 ? SNMP_TRAP_V3 : SNMP_TRAP_V2C;
	r->address = g_strdup(bw_conf_str(n, "address", ""));
	r->peer = snmp_conf_udp_spec(r->address, 162, &e);
	if (r->peer == NULL) {
		g_autofree char *msg = g_strdup_printf("address: %s", e->message);
		g_error_free(e);
		return fail_at(err, n, NULL, msg);
	}
	return receiver_credentials(c, r, n, err);
}

static gboolean parse_children(snmp_conf *c, const bw_conf_node *m, GError **err)
{
	/* users first: receivers refer to them wherever they stand */
	for (const bw_conf_node *n = bw_conf_child(m, "user"); n; n = bw_conf_next_named(n))
		if (!parse_user(c, n, err))
			return FALSE;
	for (const bw_conf_node *n = bw_conf_child(m, "community"); n; n = bw_conf_next_named(n))
		if (!parse_community(c, n, err))
			return FALSE;
	for (const bw_conf_node *n = bw_conf_child(m, "trap-receiver"); n;
	     n = bw_conf_next_named(n))
		if (!parse_receiver(c, n, err))
			return FALSE;
	return TRUE;
}

static gboolean parse_engine_id(snmp_conf *c, const bw_conf_node *m, GError **err)
{
	const char *hex = bw_conf_attr(m, "engine-id");
	gsize len;

	if (hex == NULL)
		return TRUE;
	if (g_str_has_prefix(hex, "0x") || g_str_has_prefix(hex, "0X"))
		hex += 2;
	len = strlen(hex);
	if (len % 2 != 0 || len < 10 || len > 2 * SNMP_ENGINE_ID_MAX) {
		g_autofree char *msg = g_strdup_printf(
			"engine-id '%s' must be 5 to %d bytes in hex", hex, SNMP_ENGINE_ID_MAX);
		return fail_at(err, m, NULL, msg);
	}
	for (gsize i = 0; i < len; i++)
		if (!g_ascii_isxdigit(hex[i]))
			return fail_at(err, m, NULL, "engine-id is not hexadecimal");
	c->engine_id_hex = g_ascii_strdown(hex, -1);
	return TRUE;
}

static gboolean parse_role(snmp_conf *c, const bw_conf_node *m, GError **err)
{
	GError *e = NULL;

	c->mode = strcmp(bw_conf_str(m, "mode", "master"), "agentx") == 0
		? SNMP_MODE_AGENTX : SNMP_MODE_MASTER;
	if (c->mode == SNMP_MODE_AGENTX) {
		c->agentx_socket = g_strdup(bw_conf_str(m, "agentx-socket", "/var/agentx/master"));
		return TRUE;
	}
	c->listen = g_strdup(bw_conf_str(m, "listen", "0.0.0.0:161"));
	c->listen_spec = snmp_conf_udp_spec(c->listen, 161, &e);
	if (c->listen_spec == NULL) {
		g_autofree char *msg = g_strdup_printf("listen: %s", e->message);
		g_error_free(e);
		return fail_at(err, m, NULL, msg);
	}
	return TRUE;
}

snmp_conf *snmp_conf_parse(const bw_conf_node *m, const char *data_dir, GError **err)
{
	snmp_conf *c = g_new0(snmp_conf, 1);

	c->communities = g_ptr_array_new_with_free_func(community_free);
	c->users = g_ptr_array_new_with_free_func(user_free);
	c->receivers = g_ptr_array_new_with_free_func(receiver_free);
	c->dir = g_build_filename(data_dir ? data_dir : ".", "snmp", NULL);
	if (!parse_role(c, m, err) || !parse_engine_id(c, m, err) ||
	    !parse_children(c, m, err)) {
		snmp_conf_free(c);
		return NULL;
	}
	return c;
}
