/* Control commands of the cor module (management thread):
 *   cor show EXT NUMBER   the decision for EXT (or trunk:NAME) dialling
 *                         NUMBER, explained, without placing a call; it
 *                         runs on the signalling thread against the rule
 *                         set the calls see.
 *   service [MODE]        show, or set (audited, stored in cor/service)
 *                         the manual service override. */
#define G_LOG_DOMAIN "cor"
#include "corglue.h"

#include <errno.h>
#include <string.h>

#define SHOW_TIMEOUT_MS 5000

/* Shared by the job's two owners: whichever releases last frees it, so a
 * timed-out wait leaves the signalling thread a valid job. */
typedef struct show_job {
	cor_glue *g;
	char *caller, *number, *result;
} show_job;

static void show_job_clear(gpointer p)
{
	show_job *j = p;
	g_free(j->caller);
	g_free(j->number);
	g_free(j->result);
}

static void show_on_sig(void *data)
{
	show_job *j = data;
	j->result = cor_glue_explain(j->g, j->caller, j->number);
	g_atomic_rc_box_release_full(j, show_job_clear);
}

char *cor_glue_explain_wait(cor_glue *g, const char *caller, const char *number,
			    GError **err)
{
	show_job *j = g_atomic_rc_box_new0(show_job);
	j->g = g;
	j->caller = g_strdup(caller);
	j->number = g_strdup(number);
	g_atomic_rc_box_acquire(j);
	int rc = bw_sig_call_sync(show_on_sig, j, SHOW_TIMEOUT_MS);
	if (rc == ESHUTDOWN)
		g_atomic_rc_box_release_full(j, show_job_clear);   /* never ran */
	char *out = rc == 0 ? g_steal_pointer(&j->result) : NULL;
	if (!out)
		g_set_error(err, COR_ERROR, COR_ERROR_INVALID,
			    "cor show: the signalling thread did not answer: %s",
			    g_strerror(rc ? rc : EIO));
	g_atomic_rc_box_release_full(j, show_job_clear);
	return out;
}

gboolean cor_glue_arg_ok(const char *s, const char *extra)
{
	gsize n = s ? strlen(s) : 0;
	if (n == 0 || n > COR_GLUE_ARG_MAX)
		return FALSE;
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr(extra, *p))
			return FALSE;
	return TRUE;
}

static gboolean usage(GError **err, const char *what)
{
	g_set_error(err, COR_ERROR, COR_ERROR_INVALID, "usage: %s", what);
	return FALSE;
}

static void print_lines(bw_ctl_reply *out, const char *text)
{
	char **lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l; l++)
		if (**l)
			bw_ctl_printf(out, "%s", *l);
	g_strfreev(lines);
}

static gboolean cmd_cor(bw_ctl_reply *out, guint argc, const char *const *argv,
			const char *actor, void *user_data, GError **err)
{
	cor_glue *g = user_data;
	if (argc != 4 || strcmp(argv[1], "show") != 0)
		return usage(err, "cor show EXT NUMBER");
	if (!cor_glue_arg_ok(argv[2], "_.-:") || !cor_glue_arg_ok(argv[3], "*#+"))
		return usage(err, "cor show EXT NUMBER (EXT: an extension number or "
			     "trunk:NAME; NUMBER: 0-9 * # +)");
	char *text = cor_glue_explain_wait(g, argv[2], argv[3], err);
	if (text)
		print_lines(out, text);
	g_free(text);
	return text != NULL;
}

const char *cor_override_name(cor_override o)
{
	switch (o) {
	case COR_OVERRIDE_DAY:    return "day";
	case COR_OVERRIDE_NIGHT1: return "night1";
	case COR_OVERRIDE_NIGHT2: return "night2";
	default:                  return "auto";
	}
}

gboolean cor_glue_service_set(cor_glue *g, const char *mode, const char *actor, GError **err)
{
	cor_override o;
	if (!cor_override_parse(mode, &o))
		return usage(err, "service [day|night1|night2|auto]");
	const char *name = cor_override_name(o);
	if (!bw_store_put(g->store, COR_SERVICE_KEY, name, strlen(name), BW_STORE_ANY, err))
		return FALSE;
	g_atomic_int_set(&g->override, (gint) o);
	GError *e = NULL;
	if (!bw_audit_append(actor ? actor : "system", "cor.service", COR_SERVICE_KEY, name, &e)) {
		g_propagate_prefixed_error(err, e, "service %s stored, but the audit record failed: ",
					   name);
		return FALSE;
	}
	g_message("cor: service override set to %s by %s", name, actor ? actor : "system");
	return TRUE;
}

static gboolean cmd_service(bw_ctl_reply *out, guint argc, const char *const *argv,
			    const char *actor, void *user_data, GError **err)
{
	cor_glue *g = user_data;
	if (argc == 2 && !cor_glue_service_set(g, argv[1], actor, err))
		return FALSE;
	cor_override o = (cor_override) g_atomic_int_get(&g->override);
	cor_when when;
	cor_period p = g->latest ? cor_glue_period(g, g->latest, &when) : COR_PERIOD_DAY;
	bw_ctl_printf(out, "service: %s (period now: %s)", cor_override_name(o), cor_period_name(p));
	return TRUE;
}

void cor_glue_ctl_add(cor_glue *g)
{
	int rc = bw_ctl_command_add("cor", 2, 4, "cor show EXT NUMBER",
				    "explain the CoR decision for EXT dialling NUMBER", cmd_cor, g);
	if (rc)
		g_warning("cor: cannot add the control command \"cor\": %s", g_strerror(rc));
	rc = bw_ctl_command_add("service", 1, 2, "service [day|night1|night2|auto]",
				"show or set the service period override (cor)", cmd_service, g);
	if (rc)
		g_warning("cor: cannot add the control command \"service\": %s", g_strerror(rc));
}

void cor_glue_ctl_remove(void)
{
	bw_ctl_command_remove("cor");
	bw_ctl_command_remove("service");
}
