/* Internal: opening the SQLite store, the audit chain, XML provisioning,
 * backups. The public API is bulwark/store.h and bulwark/audit.h. */
#ifndef BW_STOREDB_H
#define BW_STOREDB_H

#include <glib.h>
#include <bulwark/store.h>

/* WAL, synchronous=FULL, migrations, busy timeout. max_value 0: 1 MiB. */
bw_store *bw_store_open(const char *path, gsize max_value, GError **err);
void      bw_store_close(bw_store *s);
void      bw_store_set_system(bw_store *s);   /* what bw_store_system() returns */
const char *bw_store_path(bw_store *s);

/* <provisioning><record key="ext/100">TEXT</record>...</provisioning>:
 * all or nothing, each change audited as actor. */
gboolean  bw_store_import_xml(bw_store *s, const char *path, const char *actor,
			      guint *count, GError **err);
char     *bw_store_export_xml(bw_store *s, const char *prefix, GError **err);

/* audit on a given store (bw_audit_append uses the system store) */
gint64    bw_audit_append_to(bw_store *s, const char *actor, const char *action,
			     const char *object, const char *detail, GError **err);
/* TRUE when the chain is intact; report gets one line per finding. */
gboolean  bw_audit_verify(bw_store *s, GString *report, GError **err);
/* Formatted lines "SEQ TIME actor action object detail", oldest first,
 * the last `limit` records (0: all). */
GPtrArray *bw_audit_list(bw_store *s, guint limit, GError **err);

/* Online backup into dir as bulwark-YYYYmmddTHHMMSSZ.db, keeping the
 * newest `keep`; returns the file's path. */
char     *bw_backup_now(bw_store *s, const char *dir, guint keep, GError **err);
/* Periodic backups on the management context; interval 0 stops them.
 * A failure publishes backup.failed. */
void      bw_backup_schedule(bw_store *s, const char *dir, guint interval_s, guint keep);
/* Verify file (integrity_check, schema version, audit chain) and only then
 * replace the store's content with it, in place. */
gboolean  bw_backup_restore(bw_store *s, const char *file, const char *actor, GError **err);

#endif
