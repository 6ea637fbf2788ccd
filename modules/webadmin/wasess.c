/* Web sessions, in memory on the management thread: random 256-bit ids
 * and CSRF tokens, idle and absolute expiry on the monotonic clock, and
 * the limits (all sessions, system administrators, group administrators)
 * checked at creation with a message naming the limit reached. */
#include "webadmin.h"
#include <openssl/rand.h>
#include <string.h>

static GHashTable *sessions;   /* sid -> wa_sess* */

static gint64 now_s(void)
{
	return g_get_monotonic_time() / G_USEC_PER_SEC;
}

char *wa_random_hex(guint bytes)
{
	guchar buf[64];
	bytes = MIN(bytes, sizeof buf);
	if (RAND_bytes(buf, (int)bytes) != 1)
		return NULL;
	GString *s = g_string_sized_new(bytes * 2 + 1);
	for (guint i = 0; i < bytes; i++)
		g_string_append_printf(s, "%02x", buf[i]);
	memset(buf, 0, sizeof buf);
	return g_string_free(s, FALSE);
}

static void sess_free(gpointer p)
{
	wa_sess *s = p;
	g_free(s->sid);
	g_free(s->csrf);
	g_free(s->user);
	g_free(s->role);
	g_free(s->ip);
	g_free(s->profile);
	g_free(s);
}

void wa_sess_init(void)
{
	if (!sessions)
		sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, sess_free);
}

void wa_sess_fini(void)
{
	if (sessions)
		g_hash_table_destroy(sessions);
	sessions = NULL;
}

static gboolean sess_expired(const wa_conf *c, const wa_sess *s, gint64 now)
{
	return now - s->last >= c->session_idle || now - s->created >= c->session_max;
}

static void sess_sweep(const wa_conf *c)
{
	GHashTableIter it;
	gpointer v;
	gint64 now = now_s();
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &v))
		if (sess_expired(c, v, now))
			g_hash_table_iter_remove(&it);
}

static guint sess_count_role(const char *role)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &v))
		n += g_strcmp0(((wa_sess *)v)->role, role) == 0;
	return n;
}

wa_sess *wa_sess_create(const wa_conf *c, const char *user, const char *role,
			const char *ip, const char **why)
{
	sess_sweep(c);
	if (g_hash_table_size(sessions) >= c->max_sessions) {
		*why = "the maximum number of sessions is reached; try again later";
		return NULL;
	}
	if (g_strcmp0(role, "system") == 0 && sess_count_role("system") >= c->max_system) {
		*why = "the maximum number of system administrators logged in is reached";
		return NULL;
	}
	if (g_strcmp0(role, "group") == 0 && sess_count_role("group") >= c->max_group) {
		*why = "the maximum number of group administrators logged in is reached";
		return NULL;
	}
	wa_sess *s = g_new0(wa_sess, 1);
	s->sid = wa_random_hex(32);
	s->csrf = wa_random_hex(32);
	if (!s->sid || !s->csrf) {
		sess_free(s);
		*why = "no random numbers for a session; try again";
		return NULL;
	}
	s->user = g_strdup(user);
	s->role = g_strdup(role);
	s->ip = g_strdup(ip);
	s->created = s->last = now_s();
	g_hash_table_insert(sessions, s->sid, s);
	return s;
}

wa_sess *wa_sess_find(const wa_conf *c, const char *sid)
{
	if (!sid || !sessions)
		return NULL;
	wa_sess *s = g_hash_table_lookup(sessions, sid);
	if (!s)
		return NULL;
	gint64 now = now_s();
	if (sess_expired(c, s, now)) {
		g_hash_table_remove(sessions, sid);
		return NULL;
	}
	s->last = now;
	return s;
}

void wa_sess_drop(const char *sid)
{
	if (sessions && sid)
		g_hash_table_remove(sessions, sid);
}

void wa_sess_drop_user(const char *user, const char *keep_sid)
{
	GHashTableIter it;
	gpointer v;
	g_hash_table_iter_init(&it, sessions);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		wa_sess *s = v;
		if (g_strcmp0(s->user, user) == 0 && g_strcmp0(s->sid, keep_sid) != 0)
			g_hash_table_iter_remove(&it);
	}
}

guint wa_sess_count(void)
{
	return sessions ? g_hash_table_size(sessions) : 0;
}
