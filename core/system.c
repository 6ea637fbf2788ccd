/* System facts for modules (name, data directory) and the registry of
 * listeners shown at start-up and by `bulwarkctl status`. */
#include "config.h"
#include <bulwark/module.h>

static GMutex listeners_lock;
static GPtrArray *listeners;   /* "what\twhere" strings */

/* Interned: a module may keep the pointer across configuration swaps. */
static const char *current_fact(const char *(*get)(const bw_config *))
{
	bw_config *c = bw_config_current();
	const char *v = c ? g_intern_string(get(c)) : NULL;
	if (c)
		bw_config_unref(c);
	return v;
}

const char *bw_system_name(void) { return current_fact(bw_config_system_name); }
const char *bw_data_dir(void) { return current_fact(bw_config_data_dir); }

static gint find_listener(const char *what)
{
	for (guint i = 0; listeners && i < listeners->len; i++) {
		const char *l = g_ptr_array_index(listeners, i);
		size_t n = strlen(what);
		if (strncmp(l, what, n) == 0 && l[n] == '\t')
			return (gint)i;
	}
	return -1;
}

void bw_listener_announce(const char *what, const char *where)
{
	g_return_if_fail(what && where);
	g_mutex_lock(&listeners_lock);
	if (!listeners)
		listeners = g_ptr_array_new_with_free_func(g_free);
	gint i = find_listener(what);
	if (i >= 0)
		g_ptr_array_remove_index(listeners, (guint)i);
	g_ptr_array_add(listeners, g_strdup_printf("%s\t%s", what, where));
	g_mutex_unlock(&listeners_lock);
	g_info("listening: %s on %s", what, where);
}

void bw_listener_withdraw(const char *what)
{
	g_mutex_lock(&listeners_lock);
	gint i = find_listener(what);
	if (i >= 0)
		g_ptr_array_remove_index(listeners, (guint)i);
	g_mutex_unlock(&listeners_lock);
}

char *bw_listener_describe(void)
{
	GString *out = g_string_new(NULL);
	g_mutex_lock(&listeners_lock);
	for (guint i = 0; listeners && i < listeners->len; i++) {
		char **kv = g_strsplit(g_ptr_array_index(listeners, i), "\t", 2);
		g_string_append_printf(out, "%-16s %s\n", kv[0], kv[1]);
		g_strfreev(kv);
	}
	g_mutex_unlock(&listeners_lock);
	return g_string_free(out, FALSE);
}
