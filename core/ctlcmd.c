/* The control socket's commands: one table, each entry with its exact
 * argument count and usage line. Every change is written to the audit log
 * with the client's actor before the answer; a wrong form answers
 * "usage: ..." naming the right one. Arguments come from a permitted peer
 * but are still checked: keys, globs, event types and numbers strictly. */
#include "ctlint.h"
#include "alarmint.h"
#include "ctlproto.h"
#include "daemon.h"
#include "loader.h"
#include "storedb.h"
#include "config.h"
#include <bulwark/audit.h>
#include <bulwark/bus.h>
#include <bulwark/metrics.h>
#include <bulwark/store.h>
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#define BACKUP_KEEP_DEFAULT 24
#define AUDIT_LIST_DEFAULT  100
#define AUDIT_LIST_MAX      1000000
#define NAME_MAX_LEN        128

typedef gboolean (*ctl_cmd_fn)(bw_ctl_req *r, GError **err);

typedef struct ctl_cmd {
	const char *name, *sub;     /* sub NULL: no sub-command */
	guint       min, max;       /* argc, command words included */
	guint       binary_from;    /* args from here may hold NUL (0: none) */
	ctl_cmd_fn  fn;
	const char *usage, *help;
} ctl_cmd;

static gboolean usage_error(GError **err, const char *usage)
{
	g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX, "usage: %s", usage);
	return FALSE;
}

void bw_ctl_out(bw_ctl_req *r, const void *text, gsize len)
{
	if (r->truncated)
		return;
	if (r->reply->len + len > BW_CTL_REPLY_MAX) {
		r->truncated = TRUE;
		return;
	}
	bw_ctlproto_append_output(r->reply, text, len);
}

void bw_ctl_outf(bw_ctl_req *r, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	bw_ctl_out(r, s, strlen(s));
	g_free(s);
}

/* The change is done; a failing audit record must still be visible. */
static gboolean audit(bw_ctl_req *r, const char *action, const char *object,
		      const char *detail, GError **err)
{
	GError *aerr = NULL;

	if (bw_audit_append(r->actor, action, object, detail, &aerr) > 0)
		return TRUE;
	g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
		    "%s %s done, but its audit record failed: %s", action,
		    object ? object : "", aerr ? aerr->message : "unknown error");
	g_warning("control: %s by %s: audit record failed: %s", action, r->actor,
		  aerr ? aerr->message : "unknown error");
	g_clear_error(&aerr);
	return FALSE;
}

static bw_store *need_store(GError **err)
{
	bw_store *s = bw_store_system();
	if (!s)
		g_set_error_literal(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
				    "the system store is not open");
	return s;
}

/* Printable ASCII without spaces, 1..NAME_MAX_LEN bytes. */
static gboolean is_word(const char *s)
{
	gsize n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN)
		return FALSE;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return FALSE;
	return TRUE;
}

static gboolean parse_count(const char *s, guint max, guint *out)
{
	guint64 v;
	if (!s[0] || strlen(s) > 10 || !g_ascii_string_to_unsigned(s, 10, 1, max, &v, NULL))
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

/* ---- daemon ---- */

static gboolean cmd_status(bw_ctl_req *r, GError **err)
{
	GString *s = g_string_new(NULL);

	const bw_daemon_ops *ops = bw_ctl_daemon();
	if (ops && ops->status)
		ops->status(s);
	else
		g_string_append(s, "bulwarkd status is not available in this process\n");
	g_string_append_printf(s, "control clients %u of %d\n", bw_ctl_clients(), BW_CTL_MAX_CLIENTS);
	bw_ctl_out(r, s->str, s->len);
	g_string_free(s, TRUE);
	return TRUE;
}

static gboolean cmd_reload(bw_ctl_req *r, GError **err)
{
	const bw_daemon_ops *ops = bw_ctl_daemon();
	if (!ops || !ops->reload) {
		g_set_error_literal(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
				    "reload is not available in this process");
		return FALSE;
	}
	/* the daemon writes config.reload(.failed) with our actor */
	if (!ops->reload(r->actor, err))
		return FALSE;
	bw_ctl_out(r, "configuration reloaded", strlen("configuration reloaded"));
	return TRUE;
}

/* ---- modules ---- */

static gboolean cmd_modules(bw_ctl_req *r, GError **err)
{
	GPtrArray *mods = bw_loader_list();

	for (guint i = 0; i < mods->len; i++) {
		bw_module_info *m = g_ptr_array_index(mods, i);
		bw_ctl_outf(r, "%s %s %s%s %s", m->name, m->version ? m->version : "-",
			    m->state ? m->state : "-", m->critical ? " critical" : "",
			    m->path ? m->path : "");
	}
	if (mods->len == 0)
		bw_ctl_outf(r, "(no modules loaded)");
	g_ptr_array_unref(mods);
	return TRUE;
}

static gboolean cmd_module(bw_ctl_req *r, GError **err)
{
	const char *op = r->argv[1], *name = r->argv[2];
	gboolean (*fn)(const char *, GError **);
	char *action = g_strconcat("module.", op, NULL);
	gboolean ok;

	fn = g_str_equal(op, "load") ? bw_loader_load
	   : g_str_equal(op, "unload") ? bw_loader_unload : bw_loader_reload;
	if (!is_word(name)) {
		g_free(action);
		return usage_error(err, "module load|unload|reload NAME");
	}
	ok = fn(name, err);
	if (!ok) {
		char *detail = g_strdup_printf("failed: %s", (*err)->message);
		GError *aerr = NULL;
		if (!audit(r, action, name, detail, &aerr))
			g_clear_error(&aerr);   /* the command's own error wins */
		g_free(detail);
	} else {
		ok = audit(r, action, name, NULL, err);
		if (ok)
			bw_ctl_outf(r, "module %s: %s done", name, op);
	}
	g_free(action);
	return ok;
}

/* ---- events ---- */

static gboolean cmd_events(bw_ctl_req *r, GError **err)
{
	const char *glob = r->argc > 1 ? r->argv[1] : "*";

	if (!is_word(glob))
		return usage_error(err, "events [GLOB] (e.g. 'call.*')");
	r->events_glob = g_strdup(glob);
	return TRUE;
}

static gboolean valid_ident(const char *s, gsize max, gboolean need_dot)
{
	gsize n = strlen(s);
	if (n == 0 || n > max || s[0] == '.' || s[n - 1] == '.')
		return FALSE;
	for (const char *c = s; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("._-", *c))
			return FALSE;
	return !need_dot || strchr(s, '.') != NULL;
}

static gboolean cmd_emit(bw_ctl_req *r, GError **err)
{
	static const char use[] = "emit TYPE [KEY=VALUE ...] (TYPE like 'area.name')";
	GString *detail = g_string_new(NULL);
	bw_event *ev;
	gboolean ok;

	if (!valid_ident(r->argv[1], 64, TRUE)) {
		g_string_free(detail, TRUE);
		return usage_error(err, use);
	}
	for (guint i = 2; i < r->argc; i++) {
		const char *eq = strchr(r->argv[i], '=');
		char *key = eq ? g_strndup(r->argv[i], (gsize)(eq - r->argv[i])) : NULL;
		gboolean good = key && valid_ident(key, 64, FALSE);
		g_free(key);
		if (!good) {
			g_string_free(detail, TRUE);
			g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX,
				    "usage: %s: argument %u is not KEY=VALUE", use, i - 1);
			return FALSE;
		}
	}
	ev = bw_event_new(r->argv[1]);
	for (guint i = 2; i < r->argc; i++) {
		const char *eq = strchr(r->argv[i], '=');
		char *key = g_strndup(r->argv[i], (gsize)(eq - r->argv[i]));
		bw_event_add(ev, key, eq + 1);
		g_string_append_printf(detail, "%s%s", detail->len ? " " : "", key);
		g_free(key);
	}
	/* audited before the event exists for anyone else; values stay out of
	 * the audit (they may carry anything), the keys say what was sent */
	ok = audit(r, "event.emit", r->argv[1], detail->len ? detail->str : NULL, err);
	g_string_free(detail, TRUE);
	if (!ok) {
		bw_event_unref(ev);
		return FALSE;
	}
	bw_event_publish(ev);
	bw_ctl_outf(r, "event %s published", r->argv[1]);
	return TRUE;
}

/* ---- audit, backup ---- */

static gboolean cmd_audit_list(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	guint limit = AUDIT_LIST_DEFAULT;
	GPtrArray *lines;

	if (!s)
		return FALSE;
	if (r->argc > 2 && !parse_count(r->argv[2], AUDIT_LIST_MAX, &limit))
		return usage_error(err, "audit list [N] (N from 1 to 1000000)");
	lines = bw_audit_list(s, limit, err);
	if (!lines)
		return FALSE;
	for (guint i = 0; i < lines->len; i++) {
		const char *l = g_ptr_array_index(lines, i);
		bw_ctl_out(r, l, strlen(l));
	}
	g_ptr_array_unref(lines);
	return TRUE;
}

static gboolean cmd_audit_verify(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	GString *report;
	gboolean ok;

	if (!s)
		return FALSE;
	report = g_string_new(NULL);
	ok = bw_audit_verify(s, report, err);
	if (report->len)
		bw_ctl_out(r, report->str, report->len);
	g_string_free(report, TRUE);
	if (ok)
		bw_ctl_outf(r, "audit chain intact");
	else if (err && !*err)
		g_set_error_literal(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_LIMIT,
				    "audit chain broken: see the findings above");
	return ok;
}

static guint backup_keep(void)
{
	bw_config *c = bw_config_current();
	guint keep = BACKUP_KEEP_DEFAULT;
	if (c) {
		gint64 k = bw_conf_int(bw_config_system_node(c), "backup-keep", BACKUP_KEEP_DEFAULT);
		keep = k > 0 && k < 100000 ? (guint)k : BACKUP_KEEP_DEFAULT;
		bw_config_unref(c);
	}
	return keep;
}

static gboolean cmd_backup(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	char *dir, *file;
	gboolean ok;

	if (!s)
		return FALSE;
	dir = g_build_filename(r->data_dir, "backups", NULL);
	if (g_mkdir_with_parents(dir, 0750) != 0) {
		g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
			    "backup: cannot create %s: %s", dir, g_strerror(errno));
		g_free(dir);
		return FALSE;
	}
	file = bw_backup_now(s, dir, backup_keep(), err);
	g_free(dir);
	if (!file)
		return FALSE;
	ok = audit(r, "backup", file, NULL, err);
	if (ok)
		bw_ctl_out(r, file, strlen(file));
	g_free(file);
	return ok;
}

static gboolean need_absolute(const char *file, const char *use, GError **err)
{
	if (g_path_is_absolute(file) && strlen(file) < 4096)
		return TRUE;
	return usage_error(err, use);
}

static gboolean cmd_restore(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);

	if (!s || !need_absolute(r->argv[1], "restore FILE (an absolute path)", err))
		return FALSE;
	/* bw_backup_restore verifies the file first and audits as our actor */
	if (!bw_backup_restore(s, r->argv[1], r->actor, err))
		return FALSE;
	bw_ctl_outf(r, "restored from %s", r->argv[1]);
	return TRUE;
}

/* ---- store ---- */

static gboolean cmd_store_get(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	GBytes *v = NULL;
	gsize n;
	const void *d;

	if (!s || !bw_store_get(s, r->argv[2], &v, NULL, err))
		return FALSE;
	d = g_bytes_get_data(v, &n);
	bw_ctl_out(r, d, n);
	g_bytes_unref(v);
	return TRUE;
}

static gboolean cmd_store_put(bw_ctl_req *r, GError **err)
{
	static const char use[] = "store put KEY VALUE | store put KEY - (value from stdin)";
	bw_store *s = need_store(err);
	guint vi = 3;
	gint64 rev;
	char *detail;
	gboolean ok;

	if (!s)
		return FALSE;
	if (r->lens[3] == 1 && r->argv[3][0] == '-') {
		if (r->argc != 5)
			return usage_error(err, use);
		vi = 4;
	} else if (r->argc != 4) {
		return usage_error(err, use);
	}
	/* the engine would refuse a bad rule anyway; say so to the writer now */
	if (g_str_has_prefix(r->argv[2], "alarm/rule/")) {
		bw_alarm_rule *rule = bw_alarm_rule_parse(r->argv[2], r->argv[vi], r->lens[vi], err);
		if (!rule)
			return FALSE;
		bw_alarm_rule_free(rule);
	}
	rev = bw_store_put(s, r->argv[2], r->argv[vi], r->lens[vi], BW_STORE_ANY, err);
	if (rev <= 0)
		return FALSE;
	detail = g_strdup_printf("revision %" G_GINT64_FORMAT ", %" G_GSIZE_FORMAT " bytes",
				 rev, r->lens[vi]);
	ok = audit(r, "store.put", r->argv[2], detail, err);
	g_free(detail);
	if (ok)
		bw_ctl_outf(r, "%s revision %" G_GINT64_FORMAT, r->argv[2], rev);
	return ok;
}

static gboolean cmd_store_delete(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	gint64 rev;
	char *detail;
	gboolean ok;

	if (!s)
		return FALSE;
	rev = bw_store_delete(s, r->argv[2], BW_STORE_ANY, err);
	if (rev <= 0)
		return FALSE;
	detail = g_strdup_printf("revision %" G_GINT64_FORMAT, rev);
	ok = audit(r, "store.delete", r->argv[2], detail, err);
	g_free(detail);
	if (ok)
		bw_ctl_outf(r, "%s deleted, revision %" G_GINT64_FORMAT, r->argv[2], rev);
	return ok;
}

static gboolean cmd_store_list(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	GPtrArray *recs;

	if (!s)
		return FALSE;
	recs = bw_store_list(s, r->argc > 2 ? r->argv[2] : "", err);
	if (!recs)
		return FALSE;
	for (guint i = 0; i < recs->len; i++) {
		bw_record *rec = g_ptr_array_index(recs, i);
		bw_ctl_outf(r, "%s rev=%" G_GINT64_FORMAT " size=%" G_GSIZE_FORMAT, rec->key,
			    rec->revision, rec->value ? g_bytes_get_size(rec->value) : 0);
	}
	g_ptr_array_unref(recs);
	return TRUE;
}

static gboolean cmd_store_import(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	guint count = 0;

	if (!s || !need_absolute(r->argv[2], "store import FILE (an absolute path)", err))
		return FALSE;
	/* all or nothing; every record audited as our actor by the store */
	if (!bw_store_import_xml(s, r->argv[2], r->actor, &count, err))
		return FALSE;
	bw_ctl_outf(r, "imported %u records from %s", count, r->argv[2]);
	return TRUE;
}

static gboolean cmd_store_export(bw_ctl_req *r, GError **err)
{
	bw_store *s = need_store(err);
	char *xml;

	if (!s)
		return FALSE;
	xml = bw_store_export_xml(s, r->argc > 2 ? r->argv[2] : "", err);
	if (!xml)
		return FALSE;
	bw_ctl_out(r, xml, strlen(xml));
	g_free(xml);
	return TRUE;
}

/* ---- alarms, metrics ---- */

static char *ctl_time(gint64 us)
{
	GDateTime *t = g_date_time_new_from_unix_utc(us / G_USEC_PER_SEC);
	char *s = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("-");
	if (t)
		g_date_time_unref(t);
	return s;
}

static void alarm_line(const bw_alarm *a, void *user_data)
{
	bw_ctl_req *r = user_data;
	char *raised = ctl_time(a->raised);
	char *cleared = a->active ? NULL : ctl_time(a->cleared);

	bw_ctl_outf(r, "%" G_GUINT64_FORMAT " %s %s %s rule=%s count=%" G_GUINT64_FORMAT
		    " raised=%s%s%s text=%s", a->id, a->active ? "active" : "cleared",
		    bw_severity_name(a->severity), a->event, a->rule, a->count, raised,
		    cleared ? " cleared=" : "", cleared ? cleared : "", a->text ? a->text : "");
	g_free(raised);
	g_free(cleared);
}

static gboolean cmd_alarms(bw_ctl_req *r, GError **err)
{
	gboolean all = r->argc > 1 && g_str_equal(r->argv[1], "all");
	guint before = r->reply->len;

	if (r->argc > 1 && !all)
		return usage_error(err, "alarms [all|rules]");
	bw_alarm_foreach(!all, alarm_line, r);
	if (r->reply->len == before)
		bw_ctl_outf(r, all ? "(no alarms)" : "(no active alarms)");
	return TRUE;
}

static gboolean cmd_alarm_rules(bw_ctl_req *r, GError **err)
{
	GString *out = g_string_new(NULL);
	bw_alarms_describe_rules(out);
	bw_ctl_out(r, out->str, out->len);
	g_string_free(out, TRUE);
	return TRUE;
}

static void metric_line(const bw_metric *m, void *user_data)
{
	bw_ctl_outf(user_data, "%s %" G_GINT64_FORMAT, bw_metric_name(m), bw_metric_value(m));
}

static gboolean cmd_metrics(bw_ctl_req *r, GError **err)
{
	bw_metric_foreach(metric_line, r);
	return TRUE;
}

static gboolean cmd_help(bw_ctl_req *r, GError **err);

static const ctl_cmd commands[] = {
	{ "status", NULL, 1, 1, 0, cmd_status, "status", "daemon, listeners, modules, bus and store counters" },
	{ "modules", NULL, 1, 1, 0, cmd_modules, "modules", "the modules with version, state and path" },
	{ "module", "load", 3, 3, 0, cmd_module, "module load|unload|reload NAME", "load mod_NAME.so from the module path" },
	{ "module", "unload", 3, 3, 0, cmd_module, "module load|unload|reload NAME", "stop and unload a module" },
	{ "module", "reload", 3, 3, 0, cmd_module, "module load|unload|reload NAME", "unload then load a module again" },
	{ "reload", NULL, 1, 1, 0, cmd_reload, "reload", "re-read and apply the configuration file (kept if invalid)" },
	{ "events", NULL, 1, 2, 0, cmd_events, "events [GLOB]", "stream events matching GLOB (default '*') until closed" },
	{ "emit", NULL, 2, BW_CTL_MAX_ARGS, 0, cmd_emit, "emit TYPE [KEY=VALUE ...]", "publish an event (audited)" },
	{ "audit", "list", 2, 3, 0, cmd_audit_list, "audit list [N]", "the last N audit records (default 100)" },
	{ "audit", "verify", 2, 2, 0, cmd_audit_verify, "audit verify", "check the audit log's hash chain" },
	{ "backup", NULL, 1, 1, 0, cmd_backup, "backup", "online backup of the store into DATA_DIR/backups; prints the file" },
	{ "restore", NULL, 2, 2, 0, cmd_restore, "restore FILE", "verify a backup file, then replace the store with it" },
	{ "store", "get", 3, 3, 0, cmd_store_get, "store get KEY", "print a record's value" },
	{ "store", "put", 4, 5, 3, cmd_store_put, "store put KEY VALUE | store put KEY -", "write a record (- reads the value from stdin)" },
	{ "store", "delete", 3, 3, 0, cmd_store_delete, "store delete KEY", "delete a record" },
	{ "store", "list", 2, 3, 0, cmd_store_list, "store list [PREFIX]", "keys with revision and size" },
	{ "store", "import", 3, 3, 0, cmd_store_import, "store import FILE", "import provisioning XML (all or nothing)" },
	{ "store", "export", 2, 3, 0, cmd_store_export, "store export [PREFIX]", "export records as provisioning XML" },
	{ "alarms", "rules", 2, 2, 0, cmd_alarm_rules, "alarms [all|rules]", "the compiled alarm rules, one per line" },
	{ "alarms", NULL, 1, 2, 0, cmd_alarms, "alarms [all|rules]", "active alarms ('all': with the last cleared ones)" },
	{ "metrics", NULL, 1, 1, 0, cmd_metrics, "metrics", "every metric as NAME VALUE, sorted" },
	{ "help", NULL, 1, 1, 0, cmd_help, "help", "this list" },
};

static gboolean cmd_help(bw_ctl_req *r, GError **err)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		const ctl_cmd *c = &commands[i];
		char *form = c->sub ? g_strdup_printf("%s %s", c->name, c->sub) : g_strdup(c->name);
		bw_ctl_outf(r, "%-16s %s", form, c->help);
		g_free(form);
	}
	bw_ctl_ext_help(r);
	return TRUE;
}

gboolean bw_ctl_cmd_builtin(const char *name)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		if (g_str_equal(commands[i].name, name))
			return TRUE;
	return FALSE;
}

/* The usage line(s) for a command word, for "module frob" and the like. */
static char *usage_for(const char *name)
{
	GString *u = g_string_new(NULL);
	const char *last = NULL;

	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		if (!g_str_equal(commands[i].name, name) || g_strcmp0(last, commands[i].usage) == 0)
			continue;
		g_string_append_printf(u, "%s%s", u->len ? " | " : "", commands[i].usage);
		last = commands[i].usage;
	}
	return g_string_free(u, FALSE);
}

static const ctl_cmd *find_command(const bw_ctl_req *r, GError **err)
{
	gboolean known = FALSE;

	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
		const ctl_cmd *c = &commands[i];
		if (!g_str_equal(c->name, r->argv[0]))
			continue;
		known = TRUE;
		if (c->sub && (r->argc < 2 || !g_str_equal(c->sub, r->argv[1])))
			continue;
		if (r->argc >= c->min && r->argc <= c->max)
			return c;
		usage_error(err, c->usage);
		return NULL;
	}
	if (known) {
		char *u = usage_for(r->argv[0]);
		usage_error(err, u);
		g_free(u);
	} else {
		char *shown = g_strescape(r->argv[0], NULL);
		g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX,
			    "usage: unknown command '%.64s'; 'help' lists the commands", shown);
		g_free(shown);
	}
	return NULL;
}

gboolean bw_ctl_cmd_run(bw_ctl_req *r, GError **err)
{
	const ctl_cmd *c;

	if (r->argc == 0)
		return usage_error(err, "COMMAND [ARG ...]; 'help' lists the commands");
	gboolean ok;
	if (!bw_ctl_cmd_builtin(r->argv[0]) && bw_ctl_ext_run(r, &ok, err) == 0)
		return ok;
	c = find_command(r, err);
	if (!c)
		return FALSE;
	/* only a stored value may carry NUL bytes */
	for (guint i = 0; i < r->argc; i++) {
		if (strlen(r->argv[i]) != r->lens[i] && (c->binary_from == 0 || i < c->binary_from)) {
			g_set_error(err, BW_CTLPROTO_ERROR, BW_CTLPROTO_ERROR_SYNTAX,
				    "usage: %s: argument %u holds a NUL byte", c->usage, i + 1);
			return FALSE;
		}
	}
	return c->fn(r, err);
}
