/* The check behind the "sip.trunks" service (trunksvc.h): a trunk record
 * goes through sip_trunk_cfg_parse, the parser the module loads trunks
 * with, so an administration refuses exactly what the module would refuse;
 * the error is tied to the record member it is about. A few things the
 * loader tolerates are refused here because they cannot work (a name the
 * directory skips, a proxy without a host, an expiry it would clamp).
 * Pure: trunkcfg.c, json-glib and GLib. */
#include <string.h>
#include <json-glib/json-glib.h>
#include "calls.h"
#include "trunksvc.h"

#define TRUNK_NAME_MAX 64

static const char *const members[] = {
	"proxy", "domain", "username", "realm", "ha1_md5", "ha1_sha256", "address",
	"transport", "ca_file", "caller_id", "srtp", "mode", "driver", "verify",
	"allow_direct_extensions", "expires", "cor", NULL
};

static const char *known_member(const char *s, gsize n)
{
	for (guint i = 0; members[i]; i++)
		if (strlen(members[i]) == n && strncmp(members[i], s, n) == 0)
			return members[i];
	return NULL;
}

/* Messages are "trunk/NAME: WHAT": WHAT starts with a quoted member
 * ("proxy" must be ...), a member and a quoted value (mode "x" is ...), or
 * names the member in quotes further on (a peer needs "address" ...). */
const char *sip_trunk_error_field(const char *message)
{
	const char *rest = message ? strstr(message, ": ") : NULL;
	if (!rest)
		return NULL;
	rest += 2;
	gsize word = strspn(rest, "abcdefghijklmnopqrstuvwxyz_0123456789");
	if (word && strncmp(rest + word, " \"", 2) == 0 && known_member(rest, word))
		return known_member(rest, word);
	for (const char *q = strchr(rest, '"'); q; q = strchr(q + 1, '"')) {
		const char *end = strchr(q + 1, '"');
		if (!end)
			break;
		const char *m = known_member(q + 1, (gsize) (end - q - 1));
		if (m)
			return m;
		q = end;
	}
	return NULL;
}

static gboolean name_ok(const char *s)
{
	gsize n = s ? strlen(s) : 0;
	if (n == 0 || n > TRUNK_NAME_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && !strchr("-_.", s[i]))
			return FALSE;
	return TRUE;
}

static gboolean fail(const char **field, char **why, const char *f, char *msg)
{
	*field = f;
	*why = msg;
	return FALSE;
}

/* The member as the record holds it, or NULL. */
static JsonNode *member(const char *json, gsize len, const char *name, JsonParser **p)
{
	*p = json_parser_new();
	if (!json_parser_load_from_data(*p, json, (gssize) len, NULL))
		return NULL;
	JsonNode *root = json_parser_get_root(*p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_object_get_member(json_node_get_object(root), name);
}

static gboolean has_member(const char *json, gsize len, const char *name)
{
	JsonParser *p = NULL;
	gboolean has = member(json, len, name, &p) != NULL;
	g_object_unref(p);
	return has;
}

/* The loader clamps expires into 60..86400 and ignores a non-integer:
 * an administrator is told instead. */
static gboolean expires_ok(const char *name, const char *json, gsize len, const char **field,
			   char **why)
{
	JsonParser *p = NULL;
	JsonNode *n = member(json, len, "expires", &p);
	gboolean ok = !n || (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 &&
			     json_node_get_int(n) >= 60 && json_node_get_int(n) <= 86400);
	g_object_unref(p);
	if (!ok)
		return fail(field, why, "expires", g_strdup_printf(
			"trunk/%s: \"expires\" must be a whole number of seconds from 60 to 86400", name));
	return TRUE;
}

static gboolean host_ok(const sip_trunk_cfg *c)
{
	g_autofree char *host = sip_trunk_cfg_host(c);
	if (!*host)
		return FALSE;
	for (const char *h = host; *h; h++)
		if (g_ascii_isspace(*h) || strchr("@<>,", *h))
			return FALSE;
	return TRUE;
}

gboolean sip_trunk_check(const char *name, const char *json, gsize len, const char **field,
			 char **why)
{
	g_autoptr(GError) err = NULL;
	*field = NULL;
	*why = NULL;
	if (!name_ok(name))
		return fail(field, why, "name", g_strdup(
			"the trunk name must be 1-64 of letters, digits, - _ ."));
	sip_trunk_cfg *c = sip_trunk_cfg_parse(name, json, len, &err);
	if (!c) {
		const char *f = sip_trunk_error_field(err->message);
		/* "a registering trunk needs username and an HA1": about the HA1
		 * when the user name is there */
		if (f && strcmp(f, "username") == 0 && strstr(err->message, "ha1_") &&
		    has_member(json, len, "username"))
			f = "ha1_md5";
		return fail(field, why, f, g_strdup(err->message));
	}
	gboolean ok = host_ok(c);
	sip_trunk_cfg_free(c);
	if (!ok)
		return fail(field, why, "proxy", g_strdup_printf(
			"trunk/%s: \"proxy\" must be a sip: URI with a host (sip:HOST[:PORT][;transport=...])",
			name));
	return expires_ok(name, json, len, field, why);
}

void sip_trunk_state_free(void *p)
{
	sip_trunk_state *s = p;
	if (!s)
		return;
	g_free(s->name);
	g_free(s->mode);
	g_free(s->state);
	g_free(s->reason);
	g_free(s);
}

GPtrArray *sip_trunk_states_parse(const char *text)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(sip_trunk_state_free);
	g_auto(GStrv) lines = g_strsplit(text ? text : "", "\n", -1);
	for (guint i = 0; lines[i]; i++) {
		g_auto(GStrv) f = g_strsplit(lines[i], "\t", 4);
		if (g_strv_length(f) < 3)
			continue;
		sip_trunk_state *s = g_new0(sip_trunk_state, 1);
		s->name = g_strdup(f[0]);
		s->mode = g_strdup(f[1]);
		s->state = g_strdup(f[2]);
		s->reason = f[3] && strcmp(f[3], "-") != 0 ? g_strdup(f[3]) : NULL;
		g_ptr_array_add(out, s);
	}
	return out;
}
