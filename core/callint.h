/* Internal: the call engine's parts (core/call.c, route.c, directory.c,
 * cdr.c, callctl.c) as the daemon, each other and the tests see them,
 * beyond the public bulwark/call.h.
 *
 * Threads: the directory is rebuilt on the management thread and read
 * from any thread (refcounted immutable snapshots); calls live on the
 * signalling thread; call records are written by a thread of their own. */
#ifndef BW_CALLINT_H
#define BW_CALLINT_H

#include <glib.h>
#include <bulwark/call.h>
#include <bulwark/store.h>

#define BW_CALL_ERROR (bw_call_error_quark())
GQuark bw_call_error_quark(void);
typedef enum {
	BW_CALL_ERROR_INVALID,     /* a record or an argument is refused */
	BW_CALL_ERROR_STORE,       /* the store could not be read or written */
	BW_CALL_ERROR_CDR,         /* cdr.db could not be opened or read */
	BW_CALL_ERROR_STATE,       /* started twice, not started */
} bw_call_error;

#define BW_CALL_MAX_DEFAULT    1000
#define BW_CALL_REASON_MAX     128      /* reasons and causes are cut here */
#define BW_CALL_NUMBER_MAX     32       /* extension numbers, prefixes, DIDs */
#define BW_CALL_TEXT_MAX       64       /* names, users, groups */
#define BW_CALL_NAME_MAX       128      /* display names (bytes) */
#define BW_CALL_NO_ANSWER_S    60       /* default originate timeout */
#define BW_DIR_RECORD_MAX      (64 * 1024)
#define BW_EXT_MAX_CONTACTS    20
#define BW_EXT_FORWARD_NOANSWER_S   20   /* default ring time before forwarding */
#define BW_EXT_FORWARD_NOANSWER_MIN 5
#define BW_EXT_FORWARD_NOANSWER_MAX 120
#define BW_CALL_FORWARD_HOPS   3        /* forwards followed per call (loops) */
/* A delayed-offer call waits this long for the caller's ACK with its answer:
 * 64*T1, the time a UAS retransmits its 2xx waiting for the ACK (RFC 3261
 * 13.3.1.4, timer H); the engine ends the call itself if the driver did not.
 * The setter (0: this default) is for the tests. */
#define BW_CALL_LATE_ANSWER_S  32
void bw_call_set_late_window(guint ms);

/* Started from bulwarkd after the store and the threads, stopped before
 * the threads stop: the directory (watching the system store), cdr.db in
 * the data directory, the control commands. */
gboolean bw_calls_start(GError **err);
void     bw_calls_stop(void);
/* The same on a given store and data directory (tests). */
gboolean bw_calls_start_at(bw_store *s, const char *data_dir, GError **err);

/* ---- directory (core/directory.c) ---- */
typedef struct bw_route_out {
	char *prefix, *trunk, *prepend;
	guint strip;
} bw_route_out;

typedef struct bw_trunk {
	char *name, *driver, *cor, *json;
	bw_srtp_policy srtp;
	gboolean direct_extensions;
} bw_trunk;

typedef struct bw_directory {
	gint refs;
	GHashTable *ext;           /* number -> bw_extension* */
	GHashTable *ext_user;      /* sip_user -> bw_extension* (borrowed) */
	GHashTable *trunks;        /* name -> bw_trunk* */
	GPtrArray *routes;         /* bw_route_out*, longest prefix first */
	GHashTable *dids;          /* number -> extension number */
	guint skipped;             /* invalid records left out */
	gint64 revision;           /* store revision it was built at */
	bw_srtp_policy srtp_default;   /* extensions without "srtp" (config/security) */
} bw_directory;

/* Strict parsers: one record's JSON; errors name the key and the field. */
bw_extension *bw_dir_parse_ext(const char *number, const void *data, gsize len,
			       GError **err);
bw_trunk     *bw_dir_parse_trunk(const char *name, const void *data, gsize len,
				 GError **err);
bw_route_out *bw_dir_parse_route(const char *prefix, const void *data, gsize len,
				 GError **err);
char         *bw_dir_parse_did(const char *number, const void *data, gsize len,
			       GError **err);
gboolean      bw_dir_number_valid(const char *s);       /* digits, 1-32 */
gboolean      bw_dir_user_valid(const char *s);         /* SIP token, 1-64 */
const char   *bw_srtp_policy_name(bw_srtp_policy p);
gboolean      bw_srtp_policy_parse(const char *s, bw_srtp_policy *out);
bw_extension *bw_extension_copy(const bw_extension *e);

/* Builds a snapshot from the store; invalid records are skipped with a
 * warning. NULL only when the store cannot be read. */
bw_directory *bw_directory_build(bw_store *s, GError **err);
bw_directory *bw_directory_ref(bw_directory *d);
void          bw_directory_unref(bw_directory *d);
/* The current snapshot (a reference; never NULL: empty before start). */
bw_directory *bw_directory_get(void);
/* Swap in a snapshot (takes the reference). */
void          bw_directory_set(bw_directory *d);
/* Watch "ext/", "trunk/", "route/" on the management context; a change
 * schedules a rebuild. Management thread. */
gboolean      bw_directory_start(bw_store *s, GError **err);
void          bw_directory_stop(void);
/* Rebuild now (management thread); FALSE when the store failed. */
gboolean      bw_directory_reload(GError **err);
/* Bumped by each swap (tests wait for it). */
guint         bw_directory_generation(void);

/* ---- default routing (core/route.c) ---- */
/* Fills a->target and a->target_number with the n-th candidate (0 best)
 * of the default routing for a; strings point into d. FALSE when there
 * is none (404). */
gboolean bw_route_default(const bw_directory *d, bw_call_attempt *a, guint n);
/* The number sent to a trunk for a route: prepend + dialed[strip:];
 * FALSE when strip is longer than dialed. */
gboolean bw_route_rewrite(const bw_route_out *r, const char *dialed, char *out,
			  gsize out_len);

/* ---- calls (core/call.c), signalling thread ---- */
guint    bw_calls_active(void);
/* One line per active call: id caller callee state age secure. */
void     bw_calls_describe(GString *out);
/* Ends every call (shutdown): both legs get 503. */
void     bw_calls_end_all(const char *cause);
/* The table of live calls: made at start, every call ended at stop. */
void     bw_calls_table_init(void);
void     bw_calls_table_fini(void);
/* The fields of call.ended and of a call record, in order. */
#define BW_CDR_NFIELDS 16
extern const char *const bw_cdr_fields[BW_CDR_NFIELDS + 1];

/* ---- call records (core/cdr.c) ---- */
#define BW_CDR_QUEUE_MAX  10000
#define BW_CDR_BATCH_MS   100       /* group commit window: what a crash can lose */
#define BW_CDR_BATCH_MAX  2000      /* records per transaction */
#define BW_CDR_KEEP_DEFAULT 365
#define BW_CDR_KEEP_MAX   36500
/* Opens (creates) path, WAL + synchronous=FULL, prunes, starts the
 * writer thread (group commit every BW_CDR_BATCH_MS). keep_days 0: BW_CDR_KEEP_DEFAULT. */
gboolean  bw_cdr_open(const char *path, guint keep_days, GError **err);
/* Writes what is queued, stops the writer, closes. */
void      bw_cdr_close(void);
/* Queue a record (BW_CDR_NFIELDS values, NULL for empty) without waiting;
 * FALSE when the queue is full or cdr.db is not open (counted, logged). */
gboolean  bw_cdr_submit(const char *const *values);
guint64   bw_cdr_dropped(void);
/* Wait until every record queued so far is committed (tests, shutdown). */
gboolean  bw_cdr_flush(guint timeout_ms);
/* Commits what is queued (waits up to 2 s), then the last n records,
 * oldest first, each a NULL-terminated strv of
 * BW_CDR_NFIELDS values ("" for empty). Any thread. */
GPtrArray *bw_cdr_last(guint n, GError **err);
/* Delete records that ended more than keep_days before now_us. */
gint      bw_cdr_prune(gint64 now_us, GError **err);

/* ---- libre's timers, indexed (core/retmr.c) ---- */
/* libbulwark defines libre 1.1.0's tmr_start, tmr_cancel and tmr_poll
 * (same contract, O(log n) placement instead of libre's list walk).
 * Timers currently linked through the index (tests). */
guint     bw_retmr_indexed(void);
/* libre 1.1.0 exports the calling thread's timer list but declares it in
 * no public header. */
struct list;
struct list *tmrl_get(void);

/* ---- control commands (core/callctl.c), management thread ---- */
void      bw_callctl_start(bw_store *s);
void      bw_callctl_stop(void);

#endif
