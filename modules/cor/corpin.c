/* Account-code PINs: stored only as an iterated, salted SHA-256 and
 * compared in constant time, so the store never holds a PIN and a timing
 * probe learns nothing. Short PINs stay guessable offline from a leaked
 * store: the iteration count only slows that down; the fraud guard bounds
 * online guessing. Format: "sha256:<iterations>:<salt hex>:<digest hex>". */
#include "corrules.h"

#include <string.h>
#include <sys/random.h>

#define PIN_ITERATIONS 1000u
#define PIN_MAX_ITERATIONS 100000u
#define PIN_SALT 16
#define PIN_MAX 64

static void digest(const guint8 *salt, gsize salt_len, const char *pin,
		   guint iterations, guint8 out[32])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	gsize len = 32;

	g_checksum_update(c, salt, salt_len);
	g_checksum_update(c, (const guchar *) pin, strlen(pin));
	g_checksum_get_digest(c, out, &len);
	for (guint i = 1; i < iterations; i++) {
		g_checksum_reset(c);
		g_checksum_update(c, out, 32);
		g_checksum_update(c, salt, salt_len);
		len = 32;
		g_checksum_get_digest(c, out, &len);
	}
	g_checksum_free(c);
}

static gboolean unhex(const char *s, gsize n, guint8 *out)
{
	if (strlen(s) != n * 2)
		return FALSE;
	for (gsize i = 0; i < n; i++) {
		int hi = g_ascii_xdigit_value(s[2 * i]);
		int lo = g_ascii_xdigit_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return FALSE;
		out[i] = (guint8) (hi << 4 | lo);
	}
	return TRUE;
}

static char *hex(const guint8 *v, gsize n)
{
	char *s = g_malloc(n * 2 + 1);
	for (gsize i = 0; i < n; i++)
		g_snprintf(s + 2 * i, 3, "%02x", v[i]);
	return s;
}

/* Splits a stored hash; FALSE when malformed. */
static gboolean parse(const char *hash, guint *iter, guint8 salt[PIN_SALT],
		      guint8 want[32])
{
	gchar **f;
	gboolean ok;
	guint64 it = 0;

	if (!hash || strnlen(hash, 200) >= 200)
		return FALSE;
	f = g_strsplit(hash, ":", 5);
	ok = g_strv_length(f) == 4 && strcmp(f[0], "sha256") == 0 &&
	     g_ascii_string_to_unsigned(f[1], 10, 1, PIN_MAX_ITERATIONS, &it, NULL) &&
	     unhex(f[2], PIN_SALT, salt) && unhex(f[3], 32, want);
	g_strfreev(f);
	*iter = (guint) it;
	return ok;
}

gboolean cor_pin_hash_valid(const char *hash)
{
	guint it;
	guint8 salt[PIN_SALT], want[32];
	return parse(hash, &it, salt, want);
}

char *cor_pin_hash(const char *pin)
{
	guint8 salt[PIN_SALT], d[32];

	if (getrandom(salt, sizeof salt, 0) != (ssize_t) sizeof salt)
		for (gsize i = 0; i < sizeof salt; i++)
			salt[i] = (guint8) g_random_int();
	digest(salt, sizeof salt, pin ? pin : "", PIN_ITERATIONS, d);
	char *s = hex(salt, sizeof salt), *h = hex(d, sizeof d);
	char *out = g_strdup_printf("sha256:%u:%s:%s", PIN_ITERATIONS, s, h);
	g_free(s);
	g_free(h);
	return out;
}

gboolean cor_pin_verify(const char *hash, const char *pin)
{
	guint iter;
	guint8 salt[PIN_SALT], want[32], got[32], diff = 0;

	if (!pin || strnlen(pin, PIN_MAX + 1) > PIN_MAX ||
	    !parse(hash, &iter, salt, want))
		return FALSE;
	digest(salt, sizeof salt, pin, iter, got);
	for (gsize i = 0; i < sizeof got; i++)
		diff |= (guint8) (got[i] ^ want[i]);
	return diff == 0;
}
