/* The SNMPv3 engine identity: an engine ID that stays the same across
 * restarts and a boot counter that grows on every start (USM rejects
 * replays by engineBoots/engineTime, so it must never go back).
 *
 * The ID is derived from the system name (RFC 3411 format 5, octets):
 *   80 00 F2 3E | 05 | first 12 bytes of SHA-256("bulwark-snmp:" NAME)
 * and persisted with the counter in DATA_DIR/snmp/engine ("id HEX" and
 * "boots N" lines, mode 0600), so renaming the system later keeps the ID
 * receivers were configured with. engine-id="HEX" in the configuration
 * overrides both. */
#define G_LOG_DOMAIN "snmp"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#include "snmpint.h"

#define ENGINE_FILE "engine"
#define ENGINE_BOOTS_MAX 2147483647   /* RFC 3414: stays there */
#define ENGINE_FILE_MAX 4096

void snmp_engine_derive(const char *system_name, snmp_engine *e)
{
	static const guint8 head[] = { 0x80, 0x00, 0xF2, 0x3E, 0x05 };
	g_autoptr(GChecksum) h = g_checksum_new(G_CHECKSUM_SHA256);
	guint8 digest[32];
	gsize dlen = sizeof digest;

	g_checksum_update(h, (const guchar *)"bulwark-snmp:", 13);
	g_checksum_update(h, (const guchar *)(system_name ? system_name : ""), -1);
	g_checksum_get_digest(h, digest, &dlen);
	memcpy(e->id, head, sizeof head);
	memcpy(e->id + sizeof head, digest, 12);
	e->len = sizeof head + 12;
}

char *snmp_engine_hex(const snmp_engine *e)
{
	GString *s = g_string_sized_new(2 * e->len);
	for (gsize i = 0; i < e->len; i++)
		g_string_append_printf(s, "%02x", e->id[i]);
	return g_string_free(s, FALSE);
}

static gboolean engine_from_hex(const char *hex, snmp_engine *e)
{
	gsize len = strlen(hex);

	if (len % 2 || len < 10 || len > 2 * SNMP_ENGINE_ID_MAX)
		return FALSE;
	for (gsize i = 0; i < len / 2; i++) {
		int hi = g_ascii_xdigit_value(hex[2 * i]);
		int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FALSE;
		e->id[i] = (guint8)(hi << 4 | lo);
	}
	e->len = len / 2;
	return TRUE;
}

/* Lines we do not understand are ignored: the file is ours, and a
 * damaged one must not stop the agent (the ID is derived again). */
static void engine_read(const char *path, snmp_engine *e, gboolean *have_id)
{
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, NULL) || len > ENGINE_FILE_MAX)
		return;
	g_auto(GStrv) lines = g_strsplit(text, "\n", 0);
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "id "))
			*have_id = engine_from_hex(g_strstrip(*l + 3), e);
		else if (g_str_has_prefix(*l, "boots "))
			e->boots = g_ascii_strtoll(*l + 6, NULL, 10);
	}
	if (e->boots < 0 || e->boots > ENGINE_BOOTS_MAX)
		e->boots = 0;
}

gboolean snmp_engine_load(const char *dir, const char *system_name,
			  const char *override_hex, snmp_engine *e, GError **err)
{
	g_autofree char *path = g_build_filename(dir, ENGINE_FILE, NULL);
	g_autofree char *hex = NULL, *text = NULL;
	gboolean have_id = FALSE;

	memset(e, 0, sizeof *e);
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int errsv = errno;
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errsv),
			    "cannot create %s: %s", dir, g_strerror(errsv));
		return FALSE;
	}
	engine_read(path, e, &have_id);
	if (override_hex != NULL)
		have_id = engine_from_hex(override_hex, e);
	if (!have_id)
		snmp_engine_derive(system_name, e);
	if (e->boots < ENGINE_BOOTS_MAX)
		e->boots++;
	hex = snmp_engine_hex(e);
	text = g_strdup_printf("id %s\nboots %" G_GINT64_FORMAT "\n", hex, e->boots);
	if (!g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT,
				      0600, err)) {
		g_prefix_error(err, "cannot save the SNMP engine boot counter: ");
		return FALSE;
	}
	return TRUE;
}
