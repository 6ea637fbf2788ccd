/* Commands added by modules (bulwark/ctl.h): a small registry the
 * built-in table (core/ctlcmd.c) falls back to. Touched only on the
 * management thread, like the control socket itself. */
#include "ctlint.h"
#include "ctlproto.h"
#include <bulwark/ctl.h>
#include <errno.h>
#include <string.h>

typedef struct {
	char *name, *usage, *help;
	guint min, max;
	bw_ctl_fn fn;
	void *user_data;
} ext_cmd;

static GPtrArray *ext_cmds;   /* ext_cmd*, sorted by name */

static void ext_cmd_free(gpointer p)
{
	ext_cmd *c = p;
	g_free(c->name);
	g_free(c->usage);
	g_free(c->help);
	g_free(c);
}

static ext_cmd *ext_find(const char *name)
{
	for (guint i = 0; ext_cmds && i < ext_cmds->len; i++) {
		ext_cmd *c = g_ptr_array_index(ext_cmds, i);
		if (g_str_equal(c->name, name))
			return c;
	}
	return NULL;
}

static gint ext_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp((*(ext_cmd *const *)a)->name, (*(ext_cmd *const *)b)->name);
}

static gboolean valid_name(const char *name)
{
	if (!name || !g_ascii_islower(name[0]) || strlen(name) > 32)
		return FALSE;
	for (const char *p = name; *p; p++)
		if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && *p != '-')
			return FALSE;
	return TRUE;
}

int bw_ctl_command_add(const char *name, guint min_argc, guint max_argc,
		       const char *usage, const char *help, bw_ctl_fn fn, void *user_data)
{
	if (!valid_name(name) || !fn || !usage || !help || min_argc < 1 ||
	    max_argc < min_argc || max_argc > BW_CTL_MAX_ARGS)
		return EINVAL;
	if (bw_ctl_cmd_builtin(name) || ext_find(name))
		return EEXIST;
	if (!ext_cmds)
		ext_cmds = g_ptr_array_new_with_free_func(ext_cmd_free);
	ext_cmd *c = g_new0(ext_cmd, 1);
	c->name = g_strdup(name);
	c->usage = g_strdup(usage);
	c->help = g_strdup(help);
	c->min = min_argc;
	c->max = max_argc;
	c->fn = fn;
	c->user_data = user_data;
	g_ptr_array_add(ext_cmds, c);
	g_ptr_array_sort(ext_cmds, ext_cmp);
	return 0;
}

void bw_ctl_command_remove(const char *name)
{
	ext_cmd *c = name ? ext_find(name) : NULL;
	if (c)
		g_ptr_array_remove(ext_cmds, c);
}

void bw_ctl_printf(bw_ctl_reply *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	bw_ctl_out(out, s, strlen(s));
	g_free(s);
}

int bw_ctl_ext_run(bw_ctl_req *r, gboolean *ok, GError **err)
{
	ext_cmd *c = ext_find(r->argv[0]);
	if (!c)
		return ENOENT;
	for (guint i = 0; i < r->argc; i++) {
		if (strlen(r->argv[i]) != r->lens[i]) {
			g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX,
				    "usage: %s: argument %u holds a NUL byte", c->usage, i + 1);
			*ok = FALSE;
			return 0;
		}
	}
	if (r->argc < c->min || r->argc > c->max) {
		g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX, "usage: %s", c->usage);
		*ok = FALSE;
		return 0;
	}
	*ok = c->fn(r, r->argc, r->argv, r->actor, c->user_data, err);
	return 0;
}

void bw_ctl_ext_help(bw_ctl_req *r)
{
	for (guint i = 0; ext_cmds && i < ext_cmds->len; i++) {
		ext_cmd *c = g_ptr_array_index(ext_cmds, i);
		bw_ctl_outf(r, "%-16s %s", c->name, c->help);
	}
}
