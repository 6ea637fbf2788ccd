/* Administrator passwords: the policy of DESIGN.md (one message per rule
 * broken, so a form can list them all at once) and Argon2id hashes in the
 * PHC string form ($argon2id$v=19$m=...,t=...,p=1$salt$hash) so the cost
 * travels with each hash and can be raised without breaking old ones. */
#include "webadmin.h"
#include <argon2.h>
#include <gio/gio.h>
#include <openssl/rand.h>
#include <string.h>

#define PW_MIN 8
#define PW_MAX 255
#define SALT_LEN 16
#define HASH_LEN 32
#define SPECIALS "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

static void add(GPtrArray *msgs, const char *m)
{
	g_ptr_array_add(msgs, g_strdup(m));
}

void wa_pass_policy(const char *pw, const char *user, GPtrArray *msgs)
{
	gsize n = pw ? strlen(pw) : 0;
	gboolean up = FALSE, low = FALSE, dig = FALSE, spec = FALSE, other = FALSE, high = FALSE;
	for (gsize i = 0; i < n; i++) {
		guchar c = (guchar)pw[i];
		up |= g_ascii_isupper(c);
		low |= g_ascii_islower(c);
		dig |= g_ascii_isdigit(c);
		spec |= c && strchr(SPECIALS, c) != NULL;
		high |= c >= 0x80;
		other |= c < 0x21 || c == 0x7f;
	}
	if (n < PW_MIN || n > PW_MAX)
		add(msgs, "must be 8 to 255 characters long");
	if (!up)
		add(msgs, "must contain an upper-case letter (A-Z)");
	if (!low)
		add(msgs, "must contain a lower-case letter (a-z)");
	if (!dig)
		add(msgs, "must contain a digit (0-9)");
	if (!spec)
		add(msgs, "must contain a special character: " SPECIALS);
	if (high)
		add(msgs, "must not contain letters with diacritics or other non-ASCII characters");
	if (other)
		add(msgs, "must not contain spaces or control characters");
	if (pw && g_ascii_strcasecmp(pw, "password") == 0)
		add(msgs, "must not be \"password\"");
	if (pw && user && g_ascii_strcasecmp(pw, user) == 0)
		add(msgs, "must not be the user name");
}

char *wa_pass_hash(const char *pw, guint t, guint m_kib, GError **err)
{
	guchar salt[SALT_LEN];
	if (RAND_bytes(salt, sizeof salt) != 1) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "webadmin: no random bytes for a password salt");
		return NULL;
	}
	gsize len = argon2_encodedlen(t, m_kib, 1, SALT_LEN, HASH_LEN, Argon2_id);
	char *out = g_malloc0(len + 1);
	int rc = argon2id_hash_encoded(t, m_kib, 1, pw, strlen(pw), salt, SALT_LEN,
				       HASH_LEN, out, len);
	if (rc != ARGON2_OK) {
		g_set_error(err, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "webadmin: Argon2id (t=%u, m=%u KiB) failed: %s", t, m_kib,
			    argon2_error_message(rc));
		g_free(out);
		return NULL;
	}
	return out;
}

gboolean wa_pass_verify(const char *encoded, const char *pw)
{
	if (!encoded || !pw || !g_str_has_prefix(encoded, "$argon2id$"))
		return FALSE;
	return argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
}
