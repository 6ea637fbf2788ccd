/* anchorfix.h */
#include "anchorfix.h"
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static GHashTable *secure_seen;   /* leg pointer -> 1 + secure */

static void on_secure(void *leg, gboolean secure)
{
	g_hash_table_replace(secure_seen, leg, GINT_TO_POINTER(1 + secure));
}

int secure_of(void *leg)
{
	return GPOINTER_TO_INT(g_hash_table_lookup(secure_seen, leg)) - 1;
}

void secure_forget(void)
{
	g_hash_table_remove_all(secure_seen);
}

void fx_setup(fixture *f, gconstpointer data)
{
	(void)data;
	guint base = 20000 + 2 * (guint)g_random_int_range(0, 5000);
	f->cfg = (bw_relay_config){ "127.0.0.1", base, base + 99, 1, 3, 128, 10 };
	g_autoptr(GError) err = NULL;
	f->relay = bw_relay_new(&f->cfg, &err);
	g_assert_no_error(err);
	f->anchor = bw_anchor_new(f->relay, NULL, on_secure);
	secure_seen = g_hash_table_new(NULL, NULL);
}

void fx_teardown(fixture *f, gconstpointer data)
{
	(void)data;
	bw_anchor_free(f->anchor);
	bw_relay_free(f->relay);
	g_hash_table_destroy(secure_seen);
}

gboolean port_free(guint port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((guint16)port) };
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	gboolean ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}
