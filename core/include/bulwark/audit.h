/* The audit log: append-only, every record hash-chained (SHA-256) to the
 * one before, so altering, inserting or removing a record is detected by
 * `bulwarkctl audit verify`. There is no way to change or delete a record
 * through any interface. Never put secrets in any field. */
#ifndef BULWARK_AUDIT_H
#define BULWARK_AUDIT_H

#include <glib.h>

G_BEGIN_DECLS

/* actor: who ("admin@192.0.2.7", "bulwarkctl:uid=0", "system");
 * action: what ("login", "login.failed", "store.put", "module.load");
 * object: on what ("ext/100"); detail: free text, may be NULL.
 * Returns the record's sequence number, or 0 with an error. */
gint64 bw_audit_append(const char *actor, const char *action, const char *object,
		       const char *detail, GError **err);

G_END_DECLS
#endif
