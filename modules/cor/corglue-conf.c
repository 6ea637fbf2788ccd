/* The cor module's <module> element: time zone, what a barred call gets,
 * the attendant, the trunk access prefix, the emergency numbers, the
 * account-code prefix and the fraud-guard limits. The schema
 * (mod_cor.rng) has checked the shapes; here the time zone is checked
 * against the zone database (GLib would fall back to UTC silently). */
#include "corglue.h"
#include "corpattern.h"

#include <string.h>

static gboolean conf_fail(GError **err, const bw_conf_node *n, const char *attr,
			  const char *why)
{
	g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "%s:%d: <module name=\"cor\"> %s: %s",
		    bw_conf_file(n) ? bw_conf_file(n) : "(config)", bw_conf_line(n), attr, why);
	return FALSE;
}

static char *opt_str(const bw_conf_node *n, const char *name)
{
	const char *v = n ? bw_conf_attr(n, name) : NULL;
	return v && *v ? g_strdup(v) : NULL;
}

static gboolean read_emergency(const bw_conf_node *n, cor_glue_conf *c, GError **err)
{
	const char *list = n ? bw_conf_str(n, "emergency", "112 911 999 000 110")
			     : "112 911 999 000 110";
	char **v = g_strsplit_set(list, " \t\n", -1);
	GPtrArray *out = g_ptr_array_new();

	for (char **p = v; *p; p++) {
		if (!**p)
			continue;
		if (out->len >= COR_MAX_EMERGENCY || !cor_number_valid(*p)) {
			g_ptr_array_free(out, TRUE);
			g_strfreev(v);
			return conf_fail(err, n, "emergency",
					 "at most 32 numbers of 0-9 * # +, separated by spaces");
		}
		g_ptr_array_add(out, g_strdup(*p));
	}
	g_ptr_array_add(out, NULL);
	c->emergency = (char **) g_ptr_array_free(out, FALSE);
	g_strfreev(v);
	return TRUE;
}

static gboolean read_limit(const bw_conf_node *n, const char *name, gint64 def, guint *out,
			   GError **err)
{
	gint64 v = n ? bw_conf_int(n, name, def) : def;
	if (v < 0 || v > 100000)
		return conf_fail(err, n, name, "must be 0..100000");
	*out = (guint) v;
	return TRUE;
}

gboolean cor_glue_conf_read(const bw_conf_node *n, cor_glue_conf *c, GError **err)
{
	GError *e = NULL;

	memset(c, 0, sizeof *c);
	c->zone = opt_str(n, "timezone");
	c->attendant = opt_str(n, "attendant");
	c->trunk_prefix = opt_str(n, "trunk-prefix");
	c->account_prefix = opt_str(n, "account-prefix");
	c->barred = n && g_strcmp0(bw_conf_attr(n, "barred"), "attendant") == 0
			    ? COR_BARRED_ATTENDANT : COR_BARRED_REJECT;
	cor_sched *probe = cor_sched_new(c->zone, &e);
	if (!probe) {
		conf_fail(err, n, "timezone", e->message);
		g_error_free(e);
		return FALSE;
	}
	cor_sched_unref(probe);
	if (c->barred == COR_BARRED_ATTENDANT && !c->attendant)
		return conf_fail(err, n, "barred", "\"attendant\" needs the attribute attendant");
	return read_emergency(n, c, err) &&
	       read_limit(n, "max-external-calls", 4, &c->max_concurrent, err) &&
	       read_limit(n, "max-calls-per-minute", 20, &c->max_per_minute, err);
}

void cor_glue_conf_clear(cor_glue_conf *c)
{
	g_free(c->zone);
	g_free(c->attendant);
	g_free(c->trunk_prefix);
	g_free(c->account_prefix);
	g_strfreev(c->emergency);
	memset(c, 0, sizeof *c);
}
