/* The system store: provisioned data as key/record pairs with revisions.
 *
 * Keys are '/'-separated paths of printable ASCII without spaces
 * ("ext/100", "cor/group/3"), at most 255 bytes. Values are opaque bytes
 * (modules usually store JSON or XML), at most the configured max-value
 * size. Every change bumps one store-wide revision; a record remembers the
 * revision of its last change, so writers can refuse to overwrite a change
 * they have not seen (expect). Watchers hear about every committed change,
 * in order, on the context they chose. The API is backend-neutral: SQLite
 * on one node, etcd in a cluster. Thread-safe. */
#ifndef BULWARK_STORE_H
#define BULWARK_STORE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct bw_store bw_store;

#define BW_STORE_ERROR (bw_store_error_quark())
GQuark bw_store_error_quark(void);
typedef enum {
	BW_STORE_ERROR_NOT_FOUND,
	BW_STORE_ERROR_CONFLICT,   /* expect did not match */
	BW_STORE_ERROR_INVALID,    /* bad key or value */
	BW_STORE_ERROR_TOO_LARGE,  /* value over the configured limit */
	BW_STORE_ERROR_IO,         /* backend failure (disk, lock, corruption) */
} bw_store_error;

#define BW_STORE_ANY     ((gint64) -1)  /* expect: whatever is there */
#define BW_STORE_ABSENT  ((gint64) 0)   /* expect: the key must not exist */

typedef struct bw_record {
	char   *key;
	GBytes *value;
	gint64  revision;          /* revision of the last change */
	gint64  create_revision;
} bw_record;
void bw_record_free(bw_record *r);

/* A record whose value is a JSON object (ABI minor 2): its member as a
 * whole number. 1: *out set; 0: no such member, or the value is not a JSON
 * object; -1: the member is there but is not a whole number. */
int bw_store_json_int(GBytes *value, const char *member, gint64 *out);

/* The store of the running daemon (NULL before it is opened). */
bw_store *bw_store_system(void);

/* TRUE and *value (+ *revision) or FALSE with NOT_FOUND/IO. */
gboolean bw_store_get(bw_store *s, const char *key, GBytes **value,
		      gint64 *revision, GError **err);
/* The new store revision, or 0 with an error. expect: BW_STORE_ANY,
 * BW_STORE_ABSENT, or the record's current revision. */
gint64   bw_store_put(bw_store *s, const char *key, const void *data, gsize len,
		      gint64 expect, GError **err);
gint64   bw_store_delete(bw_store *s, const char *key, gint64 expect, GError **err);
/* Records whose key starts with prefix ("" for all), sorted by key;
 * a GPtrArray of bw_record* that frees them, or NULL with an error. */
GPtrArray *bw_store_list(bw_store *s, const char *prefix, GError **err);
gint64   bw_store_revision(bw_store *s);

/* value NULL means the key was deleted. */
typedef void (*bw_watch_fn)(const char *key, GBytes *value, gint64 revision,
			    void *user_data);
typedef struct bw_watch bw_watch;
/* ctx NULL means the management context. */
bw_watch *bw_store_watch(bw_store *s, const char *prefix, GMainContext *ctx,
			 bw_watch_fn fn, void *user_data);
/* From the watcher context's thread; no callback runs after return. */
void      bw_store_unwatch(bw_watch *w);

G_END_DECLS
#endif
