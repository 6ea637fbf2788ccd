/* Configuration of the core part of module sip: reads the <module
 * name="sip"> element (already validated against mod_sip.rng) into a
 * sip_core_conf, applying the documented defaults. Management thread. */
#define G_LOG_DOMAIN "sip"
#include <string.h>
#include "sipint-core.h"

#define SIP_CONF_ERROR (g_quark_from_static_string("sip-conf"))

static void sip_conf_transport_free(void *p)
{
	sip_transport_conf *t = p;

	g_free(t->listen);
	g_free(t);
}

static void sip_conf_add_transport(sip_core_conf *c, enum sip_transp tp, const char *listen)
{
	sip_transport_conf *t = g_new0(sip_transport_conf, 1);

	t->tp = tp;
	t->listen = g_strdup(listen);
	g_ptr_array_add(c->transports, t);
}

static gboolean sip_conf_transports(const bw_conf_node *n, sip_core_conf *c, GError **err)
{
	const bw_conf_node *t = n ? bw_conf_child(n, "transport") : NULL;

	if (t == NULL) {
		sip_conf_add_transport(c, SIP_TRANSP_UDP, "0.0.0.0:5060");
		sip_conf_add_transport(c, SIP_TRANSP_TCP, "0.0.0.0:5060");
		sip_conf_add_transport(c, SIP_TRANSP_TLS, "0.0.0.0:5061");
		return TRUE;
	}
	for (; t; t = bw_conf_next_named(t)) {
		const char *type = bw_conf_str(t, "type", "udp");
		const char *listen = bw_conf_str(t, "listen", NULL);
		enum sip_transp tp = !strcmp(type, "tls") ? SIP_TRANSP_TLS :
				     !strcmp(type, "tcp") ? SIP_TRANSP_TCP : SIP_TRANSP_UDP;
		struct sa sa;

		if (listen == NULL)
			listen = tp == SIP_TRANSP_TLS ? "0.0.0.0:5061" : "0.0.0.0:5060";
		if (sa_decode(&sa, listen, strlen(listen)) != 0) {
			g_set_error(err, SIP_CONF_ERROR, 1,
				    "%s:%d: <transport listen=\"%s\">: not ADDR:PORT",
				    bw_conf_file(t), bw_conf_line(t), listen);
			return FALSE;
		}
		sip_conf_add_transport(c, tp, listen);
	}
	return TRUE;
}

static guint sip_conf_uint(const bw_conf_node *n, const char *name, guint def)
{
	gint64 v = n ? bw_conf_int(n, name, def) : def;

	return v < 0 ? 0 : v > G_MAXUINT ? G_MAXUINT : (guint)v;
}

static guint sip_conf_secs(const bw_conf_node *n, const char *name, guint def)
{
	gint64 v = n ? bw_conf_seconds(n, name, def) : def;

	return v < 1 ? 1 : v > G_MAXUINT ? G_MAXUINT : (guint)v;
}

static void sip_conf_dos(const bw_conf_node *n, sip_dos_conf *d)
{
	d->auth_failures = sip_conf_uint(n, "auth-failures", 10);
	d->transactions = sip_conf_uint(n, "transactions", 200);
	d->window_s = sip_conf_secs(n, "window", 60);
	d->ban_s = sip_conf_secs(n, "ban", 300);
	d->allow = g_ptr_array_new_with_free_func(g_free);
	for (const bw_conf_node *a = n ? bw_conf_child(n, "allow") : NULL; a;
	     a = bw_conf_next_named(a))
		g_ptr_array_add(d->allow, g_strdup(bw_conf_str(a, "address", "")));
}

static gboolean sip_conf_auth(const bw_conf_node *n, sip_auth_conf *a, GError **err)
{
	const char *algs = n ? bw_conf_str(n, "algorithms", "MD5") : "MD5";
	char **v = g_strsplit_set(algs, " ,", -1);

	a->nonce_lifetime = sip_conf_secs(n, "nonce-lifetime", 300);
	for (char **p = v; *p; p++) {
		if (!g_ascii_strcasecmp(*p, "SHA-256")) {
			a->sha256_first = !a->md5;
			a->sha256 = TRUE;
		} else if (!g_ascii_strcasecmp(*p, "MD5")) {
			a->md5 = TRUE;
		}
	}
	g_strfreev(v);
	if (!a->md5 && !a->sha256) {
		g_set_error(err, SIP_CONF_ERROR, 1,
			    "%s:%d: <auth algorithms=\"%s\">: names neither SHA-256 nor MD5",
			    bw_conf_file(n), bw_conf_line(n), algs);
		return FALSE;
	}
	return TRUE;
}

static gboolean sip_conf_registrar(const bw_conf_node *n, sip_reg_conf *r, GError **err)
{
	r->min_expires = sip_conf_uint(n, "min-expires", 60);
	r->max_expires = sip_conf_uint(n, "max-expires", 3600);
	r->default_expires = sip_conf_uint(n, "default-expires", 600);
	r->max_contacts = sip_conf_uint(n, "max-contacts", 5);
	r->max_per_source = sip_conf_uint(n, "max-per-source", 100);
	if (r->min_expires > r->max_expires || r->default_expires < r->min_expires ||
	    r->default_expires > r->max_expires) {
		g_set_error(err, SIP_CONF_ERROR, 1,
			    "%s:%d: <registrar>: needs min-expires <= default-expires <= max-expires"
			    " (have %u, %u, %u)", bw_conf_file(n), bw_conf_line(n),
			    r->min_expires, r->default_expires, r->max_expires);
		return FALSE;
	}
	return TRUE;
}

gboolean sip_conf_read(const bw_conf_node *n, sip_core_conf *c, GError **err)
{
	const bw_conf_node *lim = n ? bw_conf_child(n, "limits") : NULL;
	const bw_conf_node *calls = n ? bw_conf_child(n, "calls") : NULL;

	memset(c, 0, sizeof(*c));
	c->transports = g_ptr_array_new_with_free_func(sip_conf_transport_free);
	c->max_message = sip_conf_uint(lim, "max-message", 65535);
	c->max_transactions = sip_conf_uint(lim, "max-transactions", 10000);
	c->ring_timeout = sip_conf_uint(calls, "ring-timeout", 60);
	c->max_calls = sip_conf_uint(calls, "max-calls", 1000);
	sip_conf_dos(n ? bw_conf_child(n, "dos") : NULL, &c->dos);
	if (!sip_conf_transports(n, c, err) ||
	    !sip_conf_auth(n ? bw_conf_child(n, "auth") : NULL, &c->auth, err) ||
	    !sip_conf_registrar(n ? bw_conf_child(n, "registrar") : NULL, &c->reg, err)) {
		sip_conf_clear(c);
		return FALSE;
	}
	return TRUE;
}

void sip_conf_clear(sip_core_conf *c)
{
	if (c->transports)
		g_ptr_array_unref(c->transports);
	if (c->dos.allow)
		g_ptr_array_unref(c->dos.allow);
	memset(c, 0, sizeof(*c));
}
