/* Service tables: named, versioned, const tables of function pointers.
 *
 * Contract (bulwark/service.h, businternal.h): one provider per
 * name+version; lookup matches the exact version; the loader withdraws a
 * module's tables when it stops. The owner is an opaque handle we only
 * compare; NULL means the core itself (never withdrawn by owner). The list
 * is short (a few per module), so a linear scan under a GRWLock is the
 * cheapest correct thing; lookups usually happen once, in start(). */
#define G_LOG_DOMAIN "bus"
#include "businternal.h"

#include <bulwark/service.h>
#include <errno.h>
#include <string.h>

#define BW_SERVICE_MAX      4096
#define BW_SERVICE_MAX_NAME 64

typedef struct bw_service {
	char            *name;
	guint            version;
	const void      *table;
	const bw_module *owner;
} bw_service;

static GRWLock    svc_lock;
static GPtrArray *svc_list;   /* bw_service* */

static void bw_service_free(gpointer p)
{
	bw_service *s = p;
	g_free(s->name);
	g_free(s);
}

static bw_service *bw_service_find(const char *name, guint version)
{
	if (!svc_list)
		return NULL;
	for (guint i = 0; i < svc_list->len; i++) {
		bw_service *s = g_ptr_array_index(svc_list, i);
		if (s->version == version && strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

static gboolean bw_service_name_ok(const char *name)
{
	size_t n = 0;
	if (!name || !*name)
		return FALSE;
	for (; name[n]; n++)
		if (n >= BW_SERVICE_MAX_NAME || !(g_ascii_isalnum(name[n]) ||
			strchr("_.-", name[n])))
			return FALSE;
	return TRUE;
}

int bw_service_provide(bw_module *owner, const char *name, guint version,
		       const void *table)
{
	bw_service *s;
	int rc = 0;

	if (!bw_service_name_ok(name) || !table) {
		g_warning("bw_service_provide: refused service \"%.64s\" v%u: %s",
			  name ? name : "(null)", version,
			  !table ? "no table" : "name must be 1-63 of [A-Za-z0-9_.-]");
		return EINVAL;
	}
	g_rw_lock_writer_lock(&svc_lock);
	if (!svc_list)
		svc_list = g_ptr_array_new_with_free_func(bw_service_free);
	if (bw_service_find(name, version)) {
		rc = EEXIST;
	} else if (svc_list->len >= BW_SERVICE_MAX) {
		rc = ENOSPC;
	} else {
		s = g_new(bw_service, 1);
		s->name = g_strdup(name);
		s->version = version;
		s->table = table;
		s->owner = owner;
		g_ptr_array_add(svc_list, s);
	}
	g_rw_lock_writer_unlock(&svc_lock);
	if (rc == ENOSPC)
		g_warning("bw_service_provide: refused service \"%s\" v%u: "
			  "already %d services", name, version, BW_SERVICE_MAX);
	return rc;
}

const void *bw_service_lookup(const char *name, guint version)
{
	const void *table = NULL;
	bw_service *s;

	if (!name)
		return NULL;
	g_rw_lock_reader_lock(&svc_lock);
	if ((s = bw_service_find(name, version)))
		table = s->table;
	g_rw_lock_reader_unlock(&svc_lock);
	return table;
}

void bw_service_withdraw_owner(const bw_module *owner)
{
	if (!owner)
		return;
	g_rw_lock_writer_lock(&svc_lock);
	for (guint i = svc_list ? svc_list->len : 0; i-- > 0;)
		if (((bw_service *)g_ptr_array_index(svc_list, i))->owner == owner)
			g_ptr_array_remove_index(svc_list, i);
	g_rw_lock_writer_unlock(&svc_lock);
}
