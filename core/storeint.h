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

/* The file audit.head: the committed head and, while a transaction that
 * appended audit records commits, the head it will have (the "pending"
 * line, written before COMMIT; pending.seq 0: none). */
typedef struct bw_audit_head {
	bw_audit_anchor committed;
	bw_audit_anchor pending;
} bw_audit_head;

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
/* Around bw_store_commit_locked's COMMIT, when the transaction appended
 * audit records: before, the head file gets the pending head (a failure
 * aborts the commit); after, the committed one. */
gboolean bw_audit_precommit_locked(bw_store *s, GError **err);
void     bw_audit_postcommit_locked(bw_store *s);
/* Writes s->anchor as the committed head. */
gboolean bw_audit_anchor_save(bw_store *s, GError **err);
/* Writes a committed head and, beside it, one about to be committed. */
gboolean bw_audit_head_save_pending(bw_store *s, const bw_audit_anchor *committed,
				    const bw_audit_anchor *pending, GError **err);
/* At open: s->anchor from the head file, or from the chain without one. */
gboolean bw_audit_head_open_locked(bw_store *s, GError **err);
gboolean bw_audit_head_load(const char *path, bw_audit_head *h, GError **err);
gboolean bw_audit_head_parse(const char *text, bw_audit_head *h);
gboolean bw_audit_tail(sqlite3 *db, bw_audit_anchor *a, GError **err);
/* Walks db's chain; head NULL means "no head known". */
gboolean bw_audit_verify_db(sqlite3 *db, const bw_audit_head *head,
			    GString *report, GError **err);
/* One "SEQ HASH" line (the backup's meta entry). */
char    *bw_audit_anchor_format(const bw_audit_anchor *a);
gboolean bw_audit_anchor_parse(const char *text, bw_audit_anchor *a);

/* provision.c: one validated <record> of a provisioning file. */
typedef struct bw_provision_record {
	char   *key;
	GBytes *value;
	int     line;
} bw_provision_record;
/* Parses and validates a provisioning file held in buf (name is used in
 * messages) without touching a store: *records gets a GPtrArray of
 * bw_provision_record* in file order, or NULL with an error. max_value 0:
 * the store's default value limit. */
gboolean bw_provision_parse(const char *buf, gsize len, const char *name, gsize max_value,
			    GPtrArray **records, GError **err);

#endif
