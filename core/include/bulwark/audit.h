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

/* ---- reading back (ABI minor 1) ---- */

/* One record as read back. time: g_get_real_time() when it was appended
 * (microseconds since 1970, UTC); detail NULL when it has none. */
typedef struct bw_audit_record {
	gint64 seq;
	gint64 time;
	char  *actor, *action, *object, *detail;
} bw_audit_record;
void bw_audit_record_free(bw_audit_record *r);

#define BW_AUDIT_QUERY_MAX 1000   /* records in one answer */

/* Records of the system store's audit log, newest first: at most limit
 * (1..BW_AUDIT_QUERY_MAX); only those whose action starts with
 * action_prefix (NULL or "": every action; "webadmin.login" also matches
 * "webadmin.login.failed"); only those older than before (seq < before;
 * 0: from the newest), so the last seq of a page pages on. A GPtrArray of
 * bw_audit_record* that frees them, or NULL with an error (BW_STORE_ERROR
 * INVALID for a bad argument, IO when the store is not open or fails).
 * Reading does not verify the chain (bulwarkctl audit verify does). */
GPtrArray *bw_audit_query(guint limit, const char *action_prefix, gint64 before,
			  GError **err);
/* The same as JSON text: [{"seq":N,"time":MICROSECONDS,"actor":"..",
 * "action":"..","object":"..","detail":".."|null}, ...] */
char      *bw_audit_query_json(guint limit, const char *action_prefix, gint64 before,
			       GError **err);

G_END_DECLS
#endif
