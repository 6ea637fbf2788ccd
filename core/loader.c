/* The module loader (loader.h): finds mod_NAME.so on the module path,
 * checks the descriptor's ABI fields in the file before dlopen (elfcheck.c),
 * then keeps a table of modules in start order. Modules start in the
 * configuration's dependency order and stop in reverse; a module that is
 * reloaded takes its running dependents down and back up with it, because
 * they hold pointers into its service tables. All calls run on the
 * management thread. */
#define G_LOG_DOMAIN "loader"
#include <errno.h>
#include <string.h>
#include <gmodule.h>
#include <bulwark/bus.h>
#include "loader.h"
#include "loaderint.h"
#include "tlsctx.h"

#ifndef BW_MODULEDIR
#define BW_MODULEDIR "/usr/local/lib/bulwark/modules"
#endif

#define BW_NAME_MAX     64    /* module name length */
#define BW_REQUIRES_MAX 64    /* entries in a descriptor's requires */

G_DEFINE_QUARK(bw-loader-error-quark, bw_loader_error)

/* ---- the module path ---- */

static char **path_override;
static char **path_env;
static char  *path_env_src;
static const char *const path_default[] = { BW_MODULEDIR, NULL };

void bw_loader_set_path(const char *const *dirs)
{
	g_strfreev(path_override);
	path_override = dirs && dirs[0] ? g_strdupv((char **)dirs) : NULL;
}

static char **bw_loader_split_path(const char *s)
{
	char **parts = g_strsplit(s, ":", -1);
	GPtrArray *out = g_ptr_array_new();
	for (char **p = parts; *p; p++)
		if (**p)
			g_ptr_array_add(out, g_strdup(*p));
	g_strfreev(parts);
	if (out->len == 0) {
		g_ptr_array_free(out, TRUE);
		return NULL;
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

const char *const *bw_loader_path(void)
{
	if (path_override)
		return (const char *const *)path_override;
	const char *env = g_getenv("BULWARK_MODULE_PATH");
	if (g_strcmp0(env, path_env_src) != 0) {
		g_strfreev(path_env);
		g_free(path_env_src);
		path_env_src = g_strdup(env);
		path_env = env ? bw_loader_split_path(env) : NULL;
	}
	return path_env ? (const char *const *)path_env : path_default;
}

/* ---- finding and opening a module file ---- */

static gboolean bw_loader_name_ok(const char *name)
{
	gsize n = name ? strlen(name) : 0;
	if (n == 0 || n > BW_NAME_MAX)
		return FALSE;
	for (gsize i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return FALSE;
	return TRUE;
}

static char *bw_loader_find_so(const char *name, const char *const *dirs, GError **err)
{
	char *file = g_strdup_printf("mod_%s.so", name);
	for (const char *const *d = dirs; d && *d; d++) {
		char *p = g_build_filename(*d, file, NULL);
		if (g_file_test(p, G_FILE_TEST_IS_REGULAR)) {
			g_free(file);
			return p;
		}
		g_free(p);
	}
	char *joined = g_strjoinv(":", (char **)dirs);
	g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND,
		    "module %s: %s not found in the module path (%s)", name, file, joined);
	g_free(joined);
	g_free(file);
	return NULL;
}

/* mod_NAME.rng beside the .so, or one level up (libtool's .libs/). */
static char *bw_loader_find_rng(const char *name, const char *so_path)
{
	char *file = g_strdup_printf("mod_%s.rng", name);
	char *dir = g_path_get_dirname(so_path);
	char *up = g_path_get_dirname(dir);
	char *cand[] = { g_build_filename(dir, file, NULL), g_build_filename(up, file, NULL) };
	char *found = NULL;
	for (guint i = 0; i < G_N_ELEMENTS(cand); i++) {
		if (!found && g_file_test(cand[i], G_FILE_TEST_IS_REGULAR))
			found = cand[i];
		else
			g_free(cand[i]);
	}
	g_free(up);
	g_free(dir);
	g_free(file);
	return found;
}

static gboolean bw_loader_check_abi(const char *name, const char *path,
				    const bw_elf_abi *abi, GError **err)
{
	const char *why = NULL;
	if (abi->abi_major != BW_ABI_MAJOR)
		why = "the major version must match";
	else if (abi->abi_minor > BW_ABI_MINOR)
		why = "it needs a newer core";
	if (why) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI,
			    "module %s (%s): built for SDK ABI %u.%u, this core is %u.%u: %s",
			    name, path, abi->abi_major, abi->abi_minor,
			    BW_ABI_MAJOR, BW_ABI_MINOR, why);
		return FALSE;
	}
	if (abi->size != sizeof(bw_module_desc)) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_ABI,
			    "module %s (%s): descriptor size %u, this core expects %u: "
			    "rebuild it against this SDK", name, path, abi->size,
			    (unsigned)sizeof(bw_module_desc));
		return FALSE;
	}
	return TRUE;
}

static gboolean bw_loader_check_requires(const char *name, const char *path,
					 const char *const *req, GError **err)
{
	guint n = 0;
	for (; req && req[n]; n++) {
		if (n >= BW_REQUIRES_MAX || !bw_loader_name_ok(req[n])) {
			g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID,
				    "module %s (%s): requires entry %u is %s", name, path, n,
				    n >= BW_REQUIRES_MAX ? "beyond the limit" : "not a module name");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean bw_loader_check_desc(const char *name, const char *path,
				     const bw_module_desc *d, GError **err)
{
	bw_elf_abi abi = { d->abi_major, d->abi_minor, d->size };
	if (!bw_loader_check_abi(name, path, &abi, err))
		return FALSE;
	const char *why = NULL;
	if (!d->name || strcmp(d->name, name) != 0)
		why = "its descriptor names another module";
	else if (!d->init || !d->start)
		why = "its descriptor lacks init or start";
	if (why) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID,
			    "module %s (%s): %s", name, path, why);
		return FALSE;
	}
	return bw_loader_check_requires(name, path, d->requires, err);
}

/* Check the file, then dlopen it and check the descriptor in memory. */
static GModule *bw_loader_open(const char *name, const char *path,
			       const bw_module_desc **desc, GError **err)
{
	bw_elf_abi abi;
	if (!bw_elf_read_abi(path, &abi, err) || !bw_loader_check_abi(name, path, &abi, err))
		return NULL;
	GModule *gm = g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
	if (!gm) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID,
			    "module %s: cannot load %s: %s", name, path, g_module_error());
		return NULL;
	}
	gpointer sym = NULL;
	if (!g_module_symbol(gm, BW_MODULE_SYMBOL, &sym) || !sym) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID,
			    "module %s (%s): no %s symbol", name, path, BW_MODULE_SYMBOL);
		g_module_close(gm);
		return NULL;
	}
	if (!bw_loader_check_desc(name, path, sym, err)) {
		g_module_close(gm);
		return NULL;
	}
	*desc = sym;
	return gm;
}

gboolean bw_loader_probe(const char *name, const char *const *module_path,
			 bw_probe **out, GError **err)
{
	if (!bw_loader_name_ok(name)) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_INVALID,
			    "module name \"%s\" is not valid (1-%d of A-Z a-z 0-9 _ -)",
			    name ? name : "(null)", BW_NAME_MAX);
		return FALSE;
	}
	char *so = bw_loader_find_so(name, module_path ? module_path : bw_loader_path(), err);
	if (!so)
		return FALSE;
	const bw_module_desc *d = NULL;
	GModule *gm = bw_loader_open(name, so, &d, err);
	if (!gm) {
		g_free(so);
		return FALSE;
	}
	bw_probe *p = g_new0(bw_probe, 1);
	p->name = g_strdup(name);
	p->so_path = so;
	p->rng_path = bw_loader_find_rng(name, so);
	p->version = g_strdup(d->version ? d->version : "");
	p->summary = g_strdup(d->summary ? d->summary : "");
	p->requires = d->requires ? g_strdupv((char **)d->requires) : g_new0(char *, 1);
	g_module_close(gm);
	*out = p;
	return TRUE;
}

void bw_probe_free(bw_probe *p)
{
	if (!p)
		return;
	g_free(p->name);
	g_free(p->so_path);
	g_free(p->rng_path);
	g_free(p->version);
	g_free(p->summary);
	g_strfreev(p->requires);
	g_free(p);
}

/* ---- the table of modules ---- */

static GPtrArray *mods;   /* bw_module*, in start order */

static void bw_loader_table(void)
{
	if (!mods)
		mods = g_ptr_array_new();
}

static bw_module *bw_loader_find(const char *name, guint *idx)
{
	for (guint i = 0; mods && i < mods->len; i++) {
		bw_module *m = mods->pdata[i];
		if (strcmp(m->name, name) == 0) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

static gboolean bw_loader_running(const char *name)
{
	bw_module *m = bw_loader_find(name, NULL);
	return m && m->state == BW_MOD_RUNNING;
}

static gboolean bw_loader_requires(const bw_module *m, const char *name)
{
	if (m->state != BW_MOD_RUNNING || !m->desc->requires)
		return FALSE;
	for (const char *const *r = m->desc->requires; *r; r++)
		if (strcmp(*r, name) == 0)
			return TRUE;
	return FALSE;
}

/* Point m at its entry in cfg (dropping the old snapshot). */
static void bw_loader_bind(bw_module *m, bw_config *cfg)
{
	const bw_module_entry *e = bw_config_find_module(cfg, m->name);
	if (!e || e == m->entry)
		return;
	bw_config_ref(cfg);
	if (m->cfg)
		bw_config_unref(m->cfg);
	m->cfg = cfg;
	m->entry = e;
}

static bw_module *bw_loader_add(const char *name, bw_config *cfg)
{
	bw_module *m = g_new0(bw_module, 1);
	m->name = g_strdup(name);
	m->state = BW_MOD_NEW;
	bw_loader_bind(m, cfg);
	bw_loader_table();
	g_ptr_array_add(mods, m);
	return m;
}

static void bw_loader_free(bw_module *m)
{
	if (m->gmod)
		g_module_close(m->gmod);
	if (m->cfg)
		bw_config_unref(m->cfg);
	g_free(m->name);
	g_free(m->so_path);
	g_free(m->version);
	g_free(m->error);
	g_free(m);
}

static void bw_loader_close(bw_module *m, bw_mod_state state)
{
	if (m->gmod)
		g_module_close(m->gmod);
	m->gmod = NULL;
	m->desc = NULL;
	m->data = NULL;
	m->state = state;
}

/* ---- one module's lifecycle ---- */

static void bw_loader_owner_cleanup(bw_module *m)
{
	bw_service_withdraw_owner(m);
	bw_hook_remove_owner(m->name);
}

static gboolean bw_loader_deps_ok(bw_module *m, GError **err)
{
	for (const char *const *r = m->desc->requires; r && *r; r++) {
		if (!bw_loader_running(*r)) {
			g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_DEPENDENCY,
				    "module %s requires %s, which is not running", m->name, *r);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean bw_loader_open_mod(bw_module *m, GError **err)
{
	const char *so = m->entry ? m->entry->so_path : NULL;
	char *found = so ? g_strdup(so) : bw_loader_find_so(m->name, bw_loader_path(), err);
	if (!found)
		return FALSE;
	g_free(m->so_path);
	m->so_path = found;
	const bw_module_desc *d = NULL;
	GModule *gm = bw_loader_open(m->name, found, &d, err);
	if (!gm)
		return FALSE;
	m->gmod = gm;
	m->desc = d;
	g_free(m->version);
	m->version = g_strdup(d->version ? d->version : "");
	return TRUE;
}

static gboolean bw_loader_call(bw_module *m, const char *step, int (*fn)(bw_module *),
			       GError **err)
{
	int rc = fn(m);
	if (rc == 0)
		return TRUE;
	g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_FAILED, "module %s: %s failed: %s",
		    m->name, step, g_strerror(rc > 0 ? rc : -rc));   /* errno or -errno */
	return FALSE;
}

/* Open, init, start. A step that fails undoes its own work; the loader
 * undoes the steps before it (a failed start gets fini, not stop). */
static gboolean bw_loader_start_one(bw_module *m, GError **err)
{
	if (!bw_loader_open_mod(m, err))
		return FALSE;
	if (!bw_loader_deps_ok(m, err)) {
		bw_loader_close(m, BW_MOD_FAILED);
		return FALSE;
	}
	/* NULL puts the domain back on the system's level, so a level removed
	 * from the configuration does not outlive a reload. */
	bw_log_set_domain_level(m->name, m->entry ? m->entry->log_level : NULL);
	if (!bw_loader_call(m, "init", m->desc->init, err)) {
		bw_loader_owner_cleanup(m);
		bw_loader_close(m, BW_MOD_FAILED);
		return FALSE;
	}
	m->state = BW_MOD_INIT;
	if (!bw_loader_call(m, "start", m->desc->start, err)) {
		bw_loader_owner_cleanup(m);
		if (m->desc->fini)
			m->desc->fini(m);
		bw_loader_close(m, BW_MOD_FAILED);
		return FALSE;
	}
	m->state = BW_MOD_RUNNING;
	/* Keep the table in start order, so reverse order stops dependents
	 * before what they require. */
	g_ptr_array_remove(mods, m);
	g_ptr_array_add(mods, m);
	g_clear_pointer(&m->error, g_free);
	bw_event_emit("module.loaded", "module", m->name, "version", m->version, NULL);
	return TRUE;
}

static void bw_loader_stop_one(bw_module *m)
{
	if (m->state != BW_MOD_RUNNING)
		return;
	if (m->desc->stop)
		m->desc->stop(m);
	bw_loader_owner_cleanup(m);
	if (m->desc->fini)
		m->desc->fini(m);
	bw_loader_close(m, BW_MOD_NEW);
	bw_event_emit("module.unloaded", "module", m->name, NULL);
}

/* Start m; on failure record it. FALSE (with err) when the failure must
 * reach the caller: a critical module, or strict (the module the admin
 * asked for by name). */
static gboolean bw_loader_start_or_fail(bw_module *m, gboolean strict, GError **err)
{
	GError *e = NULL;
	if (bw_loader_start_one(m, &e))
		return TRUE;
	g_free(m->error);
	m->error = g_strdup(e->message);
	m->state = BW_MOD_FAILED;
	bw_event_emit("module.failed", "module", m->name, "error", e->message, NULL);
	if (strict || (m->entry && m->entry->critical)) {
		g_propagate_error(err, e);
		return FALSE;
	}
	g_warning("%s (module left failed; other modules keep running)", e->message);
	g_error_free(e);
	return TRUE;
}

/* Running modules that depend on m, directly or not, in start order. */
static GPtrArray *bw_loader_dependents(bw_module *m)
{
	guint i = 0;
	g_ptr_array_find(mods, m, &i);
	GPtrArray *set = g_ptr_array_new();
	g_ptr_array_add(set, m);
	for (guint j = i + 1; j < mods->len; j++) {
		bw_module *d = mods->pdata[j];
		for (guint k = 0; k < set->len; k++) {
			if (bw_loader_requires(d, ((bw_module *)set->pdata[k])->name)) {
				g_ptr_array_add(set, d);
				break;
			}
		}
	}
	g_ptr_array_remove_index(set, 0);
	return set;
}

/* Stop m and its dependents, rebind them to cfg (if not NULL), start
 * them all again; each gets its try even when an earlier one failed (it is
 * then marked failed for its missing dependency). The first failure that
 * must reach the caller is returned. */
static gboolean bw_loader_cycle(bw_module *m, bw_config *cfg, GHashTable *done, GError **err)
{
	GPtrArray *deps = bw_loader_dependents(m);
	for (guint k = deps->len; k > 0; k--)
		bw_loader_stop_one(deps->pdata[k - 1]);
	bw_loader_stop_one(m);
	if (cfg)
		bw_loader_bind(m, cfg);
	GError *first = NULL;
	bw_loader_start_or_fail(m, cfg == NULL, &first);
	for (guint k = 0; k < deps->len; k++) {
		GError *e = NULL;
		if (cfg)
			bw_loader_bind(deps->pdata[k], cfg);
		if (done)
			g_hash_table_add(done, deps->pdata[k]);
		if (!bw_loader_start_or_fail(deps->pdata[k], FALSE, &e) && first)
			g_error_free(e);
		else if (e)
			first = e;
	}
	g_ptr_array_free(deps, TRUE);
	if (!first)
		return TRUE;
	g_propagate_error(err, first);
	return FALSE;
}

/* ---- applying a configuration ---- */

static gboolean bw_loader_wanted(bw_config *cfg, const char *name)
{
	const bw_module_entry *e = bw_config_find_module(cfg, name);
	return e && e->enabled;
}

static void bw_loader_drop_removed(bw_config *cfg)
{
	for (guint i = mods->len; i > 0; i--) {
		bw_module *m = mods->pdata[i - 1];
		if (bw_loader_wanted(cfg, m->name))
			continue;
		bw_loader_stop_one(m);
		g_ptr_array_remove_index(mods, i - 1);
		bw_loader_free(m);
	}
}

static gboolean bw_loader_changed(const bw_module *m, bw_config *cfg)
{
	const bw_module_entry *e = bw_config_find_module(cfg, m->name);
	return g_strcmp0(e->digest, m->entry ? m->entry->digest : NULL) != 0
		|| g_strcmp0(e->so_path, m->entry ? m->entry->so_path : NULL) != 0;
}

/* A running module with a changed entry: reconfigure in place when it
 * can, else cycle it. Unchanged ones keep their snapshot, since they may
 * hold nodes from it. Modules not running are left to start_new. */
static gboolean bw_loader_update_one(bw_module *m, bw_config *cfg, GHashTable *done,
				     GError **err)
{
	if (m->state != BW_MOD_RUNNING || !bw_loader_changed(m, cfg))
		return TRUE;
	const bw_module_entry *e = bw_config_find_module(cfg, m->name);
	if (m->desc->reconfigure && g_strcmp0(e->so_path, m->entry->so_path) == 0
	    && m->desc->reconfigure(m, e->node) == 0) {
		bw_loader_bind(m, cfg);
		return TRUE;
	}
	return bw_loader_cycle(m, cfg, done, err);
}

static gboolean bw_loader_update(bw_config *cfg, GError **err)
{
	/* Cycling moves modules in the table: walk a copy, once each. */
	GPtrArray *snap = g_ptr_array_copy(mods, NULL, NULL);
	GHashTable *done = g_hash_table_new(NULL, NULL);
	gboolean ok = TRUE;
	for (guint i = 0; ok && i < snap->len; i++) {
		if (g_hash_table_contains(done, snap->pdata[i]))
			continue;
		g_hash_table_add(done, snap->pdata[i]);
		ok = bw_loader_update_one(snap->pdata[i], cfg, done, err);
	}
	g_hash_table_destroy(done);
	g_ptr_array_free(snap, TRUE);
	return ok;
}

/* New modules, and failed or stopped ones for another try, in cfg's
 * (dependency) order. */
static gboolean bw_loader_start_new(bw_config *cfg, GError **err)
{
	guint n = bw_config_n_modules(cfg);
	for (guint i = 0; i < n; i++) {
		const bw_module_entry *e = bw_config_module(cfg, i);
		if (!e->enabled)
			continue;
		bw_module *m = bw_loader_find(e->name, NULL);
		if (m && m->state == BW_MOD_RUNNING)
			continue;
		if (m)
			bw_loader_bind(m, cfg);
		else
			m = bw_loader_add(e->name, cfg);
		if (!bw_loader_start_or_fail(m, FALSE, err))
			return FALSE;
	}
	return TRUE;
}

gboolean bw_loader_apply(bw_config *cfg, GError **err)
{
	g_return_val_if_fail(cfg != NULL, FALSE);
	bw_loader_table();
	bw_loader_drop_removed(cfg);
	if (bw_loader_update(cfg, err) && bw_loader_start_new(cfg, err))
		return TRUE;
	bw_loader_shutdown();
	return FALSE;
}

/* ---- by name, at runtime ---- */

gboolean bw_loader_load(const char *name, GError **err)
{
	bw_config *cfg = bw_config_current();
	const bw_module_entry *e = cfg ? bw_config_find_module(cfg, name) : NULL;
	gboolean ok = FALSE;
	bw_module *m = bw_loader_find(name, NULL);
	if (!e || !e->enabled)
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND,
			    "module %s is not %s in the running configuration (%s): add it "
			    "to <modules> and reload the configuration", name,
			    e ? "enabled" : "listed", cfg ? bw_config_filename(cfg) : "none loaded");
	else if (m && m->state == BW_MOD_RUNNING)
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_STATE,
			    "module %s is already running", name);
	else {
		if (!m)
			m = bw_loader_add(name, cfg);
		bw_loader_bind(m, cfg);
		ok = bw_loader_start_or_fail(m, TRUE, err);
	}
	if (cfg)
		bw_config_unref(cfg);
	return ok;
}

static gboolean bw_loader_not_loaded(const char *name, GError **err)
{
	g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_NOT_FOUND,
		    "module %s is not loaded", name);
	return FALSE;
}

gboolean bw_loader_unload(const char *name, GError **err)
{
	guint i;
	bw_module *m = bw_loader_find(name, &i);
	if (!m)
		return bw_loader_not_loaded(name, err);
	GString *by = g_string_new(NULL);
	for (guint j = 0; j < mods->len; j++)
		if (bw_loader_requires(mods->pdata[j], name))
			g_string_append_printf(by, "%s%s", by->len ? ", " : "",
					       ((bw_module *)mods->pdata[j])->name);
	if (by->len) {
		g_set_error(err, BW_LOADER_ERROR, BW_LOADER_ERROR_STATE,
			    "module %s is required by %s: unload %s first", name, by->str,
			    strchr(by->str, ',') ? "those" : "it");
		g_string_free(by, TRUE);
		return FALSE;
	}
	g_string_free(by, TRUE);
	bw_loader_stop_one(m);
	g_ptr_array_remove_index(mods, i);
	bw_loader_free(m);
	return TRUE;
}

gboolean bw_loader_reload(const char *name, GError **err)
{
	bw_module *m = bw_loader_find(name, NULL);
	if (!m)
		return bw_loader_not_loaded(name, err);
	if (m->state != BW_MOD_RUNNING)
		return bw_loader_start_or_fail(m, TRUE, err);
	return bw_loader_cycle(m, NULL, NULL, err);
}

void bw_loader_shutdown(void)
{
	if (!mods)
		return;
	for (guint i = mods->len; i > 0; i--) {
		bw_module *m = mods->pdata[i - 1];
		bw_loader_stop_one(m);
		bw_loader_free(m);
	}
	g_ptr_array_free(mods, TRUE);
	mods = NULL;
}

static const char *bw_loader_state_name(bw_mod_state s)
{
	switch (s) {
	case BW_MOD_RUNNING: return "running";
	case BW_MOD_FAILED:  return "failed";
	default:             return "stopped";
	}
}

static void bw_module_info_free(gpointer p)
{
	bw_module_info *i = p;
	g_free(i->name);
	g_free(i->version);
	g_free(i->state);
	g_free(i->path);
	g_free(i);
}

GPtrArray *bw_loader_list(void)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(bw_module_info_free);
	for (guint i = 0; mods && i < mods->len; i++) {
		const bw_module *m = mods->pdata[i];
		bw_module_info *info = g_new0(bw_module_info, 1);
		info->name = g_strdup(m->name);
		info->version = g_strdup(m->version ? m->version
					 : m->entry && m->entry->version ? m->entry->version : "");
		info->state = g_strdup(bw_loader_state_name(m->state));
		info->path = g_strdup(m->so_path ? m->so_path
				      : m->entry && m->entry->so_path ? m->entry->so_path : "");
		info->critical = m->entry && m->entry->critical;
		g_ptr_array_add(out, info);
	}
	return out;
}
