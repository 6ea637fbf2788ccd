/* Internal to the store area (store.c, audit.c, provision.c, backup.c):
 * the store's state and the locked primitives that let a caller group
 * several changes and audit records in one SQLite transaction. Every
 * *_locked function expects s->lock to be held by the caller. */
#ifndef BW_STOREINT_H
#define BW_STOREINT_H

#include <sqlite3.h>
#include "storedb.h"

#define BW_STORE_KEY_MAX        255
#define BW_STORE_DEFAULT_VALUE  (1024 * 1024)
#define BW_STORE_SCHEMA_VERSION 2
#define BW_AUDIT_HASH_HEX       64          /* SHA-256 as lowercase hex */
#define BW_AUDIT_ANCHOR_META    "audit.anchor"

/* Where the audit chain ended at the last append (the "head"). */
typedef struct bw_audit_anchor {
	gint64 seq;                          /* 0: empty chain */
	char   hash[BW_AUDIT_HASH_HEX + 1];
} bw_audit_anchor;

/* A committed change waiting to be handed to the watchers. */
typedef struct bw_store_change {
	char   *key;
	GBytes *value;                       /* NULL: deleted */
	gint64  revision;
} bw_store_change;

struct bw_store {
	sqlite3   *db;
	GMutex     lock;                     /* serializes every use of db */
	char      *path;
	char      *anchor_path;              /* <dir of db>/audit.head */
	gsize      max_value;
	gint64     revision;                 /* cached meta revision */
	gint64     tx_revision;              /* revision when the tx began */
	bw_audit_anchor anchor;              /* cached audit.head */
	bw_audit_anchor tx_anchor;           /* anchor when the tx began */
	GPtrArray *pending;                  /* bw_store_change*, this tx */
	GPtrArray *watches;                  /* bw_watch*, under watch_lock */
	GHashTable *stmts;                   /* SQL literal -> prepared statement */
	GSource   *backup_timer;             /* bw_backup_schedule, or NULL */
	char      *backup_dir;
	guint      backup_keep;
};

/* store.c */
gboolean bw_store_key_valid(const char *key, GError **err);
gboolean bw_store_exec(sqlite3 *db, const char *sql, const char *what, GError **err);
void     bw_store_set_io_error(GError **err, sqlite3 *db, const char *what);
gboolean bw_store_begin_locked(bw_store *s, GError **err);
gboolean bw_store_commit_locked(bw_store *s, GError **err);
void     bw_store_rollback_locked(bw_store *s);
/* One change inside an open transaction; the change is queued for the
 * watchers and delivered by bw_store_commit_locked. */
gint64   bw_store_put_locked(bw_store *s, const char *key, const void *data,
			     gsize len, gint64 expect, GError **err);
/* Reads meta revision into the cache after the content was replaced. */
gboolean bw_store_reload_locked(bw_store *s, GError **err);
/* Applies the known migrations to db (inside its own transaction). */
gboolean bw_store_migrate(sqlite3 *db, const char *path, GError **err);
void     bw_backup_unschedule(bw_store *s);

/* audit.c */
gint64   bw_audit_append_locked(bw_store *s, const char *actor, const char *action,
				const char *object, const char *detail, GError **err);
/* After the commit of an append: the anchor file follows the chain. */
gboolean bw_audit_anchor_save(bw_store *s, GError **err);
gboolean bw_audit_anchor_load(const char *path, bw_audit_anchor *a, GError **err);
gboolean bw_audit_tail(sqlite3 *db, bw_audit_anchor *a, GError **err);
/* Walks db's chain; anchor NULL means "no anchor known". */
gboolean bw_audit_verify_db(sqlite3 *db, const bw_audit_anchor *anchor,
			    GString *report, GError **err);
char    *bw_audit_anchor_format(const bw_audit_anchor *a);
gboolean bw_audit_anchor_parse(const char *text, bw_audit_anchor *a);

#endif
