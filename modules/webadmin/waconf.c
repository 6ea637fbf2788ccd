/* The <module name="webadmin" .../> element -> wa_conf. The schema has
 * already checked the shapes; this resolves defaults (443/80 as root,
 * 8443/8080 otherwise) and parses the allow-list into address masks. */
#include "webadmin.h"
#include <bulwark/conf.h>
#include <gio/gio.h>
#include <string.h>
#include <unistd.h>

gboolean wa_hostport_parse(const char *s, char **host, guint *port)
{
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!colon || colon == s || strlen(colon + 1) == 0 || strlen(colon + 1) > 5)
		return FALSE;
	for (const char *p = colon + 1; *p; p++)
		if (!g_ascii_isdigit(*p))
			return FALSE;
	guint64 v = g_ascii_strtoull(colon + 1, NULL, 10);
	if (v == 0 || v > 65535)
		return FALSE;
	char *h = g_strndup(s, colon - s);
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {   /* [::1]:443 */
		char *inner = g_strndup(h + 1, strlen(h) - 2);
		g_free(h);
		h = inner;
	}
	if (!g_hostname_is_ip_address(h)) {
		g_free(h);
		return FALSE;
	}
	*host = h;
	*port = (guint)v;
	return TRUE;
}

static gboolean listener(const bw_conf_node *n, const char *attr, guint def_port,
			 char **host, guint *port, GError **err)
{
	const char *v = bw_conf_attr(n, attr);
	if (v && (strcmp(v, "off") == 0 || !*v)) {
		*host = NULL;
		*port = 0;
		return TRUE;
	}
	if (!v) {
		*host = g_strdup("0.0.0.0");
		*port = def_port;
		return TRUE;
	}
	if (wa_hostport_parse(v, host, port))
		return TRUE;
	g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		    "%s:%d: webadmin: %s=\"%s\": expected ADDRESS:PORT (an IP address)",
		    bw_conf_file(n), bw_conf_line(n), attr, v);
	return FALSE;
}

static gboolean parse_allow(wa_conf *c, const bw_conf_node *n, GError **err)
{
	c->allow = g_ptr_array_new_with_free_func(g_object_unref);
	const char *v = bw_conf_attr(n, "allow");
	char **items = g_strsplit_set(v ? v : "", " \t\n,", -1);
	gboolean ok = TRUE;
	for (char **i = items; *i && ok; i++) {
		if (!**i)
			continue;
		GInetAddressMask *m = g_inet_address_mask_new_from_string(*i, NULL);
		if (!m) {
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "%s:%d: webadmin: allow: \"%s\" is not an address or CIDR",
				    bw_conf_file(n), bw_conf_line(n), *i);
			ok = FALSE;
		} else if (c->allow->len >= 256) {
			g_object_unref(m);
			g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
				    "%s:%d: webadmin: allow: more than 256 entries",
				    bw_conf_file(n), bw_conf_line(n));
			ok = FALSE;
		} else {
			g_ptr_array_add(c->allow, m);
		}
	}
	g_strfreev(items);
	return ok;
}

static guint clampu(gint64 v, guint lo, guint hi)
{
	return v < lo ? lo : v > hi ? hi : (guint)v;
}

wa_conf *wa_conf_parse(const bw_conf_node *n, GError **err)
{
	wa_conf *c = g_new0(wa_conf, 1);
	gboolean root = geteuid() == 0;
	if (!listener(n, "https", root ? 443 : 8443, &c->https_host, &c->https_port, err) ||
	    !listener(n, "http", root ? 80 : 8080, &c->http_host, &c->http_port, err) ||
	    !parse_allow(c, n, err)) {
		wa_conf_free(c);
		return NULL;
	}
	if (!c->https_port) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			    "%s:%d: webadmin: https cannot be off: it is the only listener serving pages",
			    bw_conf_file(n), bw_conf_line(n));
		wa_conf_free(c);
		return NULL;
	}
	c->tls_compat = bw_conf_bool(n, "tls-compat", FALSE);
	c->session_idle = bw_conf_seconds(n, "session-idle", 15 * 60);
	c->session_max = bw_conf_seconds(n, "session-max", 12 * 3600);
	c->password_expiry_days = clampu(bw_conf_int(n, "password-expiry-days", 0), 0, 3650);
	c->max_sessions = clampu(bw_conf_int(n, "max-sessions", 50), 1, 1000);
	c->max_system = clampu(bw_conf_int(n, "max-system-admins", 5), 1, 1000);
	c->max_group = clampu(bw_conf_int(n, "max-group-admins", 5), 1, 1000);
	c->strict = g_strcmp0(bw_conf_str(n, "lockout", "standard"), "strict") == 0;
	c->www_dir = g_strdup(bw_conf_attr(n, "www-dir"));
	c->argon_t = clampu(bw_conf_int(n, "argon2-time", 2), 1, 16);
	c->argon_m_kib = clampu(bw_conf_int(n, "argon2-memory", 19456), 1024, 4 * 1024 * 1024);
	c->workers = clampu(bw_conf_int(n, "workers", 4), 1, WA_WORKERS_MAX);
	c->events_keep = clampu(bw_conf_int(n, "events-keep", WA_EVENTS_KEEP_DEFAULT), 10,
				WA_EVENTS_KEEP_MAX);
	c->lighttpd = g_strdup(bw_conf_str(n, "lighttpd", "/usr/sbin/lighttpd"));
	if (c->session_idle <= 0)
		c->session_idle = 15 * 60;
	if (c->session_max <= 0)
		c->session_max = 12 * 3600;
	return c;
}

void wa_conf_free(wa_conf *c)
{
	if (!c)
		return;
	g_free(c->https_host);
	g_free(c->http_host);
	if (c->allow)
		g_ptr_array_unref(c->allow);
	g_free(c->www_dir);
	g_free(c->lighttpd);
	g_free(c);
}

gboolean wa_conf_allowed(const wa_conf *c, const char *ip)
{
	if (!c->allow || c->allow->len == 0)
		return TRUE;
	GInetAddress *a = ip ? g_inet_address_new_from_string(ip) : NULL;
	gboolean ok = FALSE;
	for (guint i = 0; a && i < c->allow->len && !ok; i++)
		ok = g_inet_address_mask_matches(c->allow->pdata[i], a);
	if (a)
		g_object_unref(a);
	return ok;
}
