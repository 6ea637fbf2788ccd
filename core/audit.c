/* The audit chain (bulwark/audit.h, storedb.h), in the store's database.
 *
 * hash = SHA-256("BWAUDIT1" || prev_hash || seq || time || actor || action
 * || object || detail), every item length-prefixed (detail also says
 * whether it is NULL), so no two records encode alike. Triggers refuse
 * UPDATE/DELETE; the chain makes a change by other means visible. Removing
 * the newest records, or appending behind Bulwark's back, leaves a valid
 * chain, so its head (seq, hash) is also kept in the file audit.head beside
 * the database and verify requires the chain to end exactly there.
 *
 * Crash safety without a tolerance: a transaction that appended records
 * first writes "pending SEQ HASH" (its future head) under the committed
 * head, then COMMITs, then writes the new head alone. A crash leaves the
 * chain at the committed head (the commit was lost, and with it whatever
 * the records described) or at the pending one; verify accepts exactly
 * these two, with a note. A chain one record past the head is a finding.
 *
 * Reading back for modules (bw_audit_query) is newest first, bounded,
 * filtered by action prefix and paged by sequence; it reads, it does not
 * verify. */
#define _POSIX_C_SOURCE 200809L
#include "storeint.h"
#include "util.h"
#include <bulwark/audit.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>

#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#define ACTOR_MAX  256
#define ACTION_MAX 128
#define OBJECT_MAX 1024
#define DETAIL_MAX 8192

typedef struct audit_row {
	gint64      seq;
	gint64      time;
	const char *actor, *action, *object, *detail, *prev_hash, *hash;
} audit_row;

/* ---- hashing ---- */

static void put_u64(EVP_MD_CTX *md, guint64 v)
{
	guint8 b[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (guint8)(v & 0xff);
	EVP_DigestUpdate(md, b, sizeof b);
}

static void put_field(EVP_MD_CTX *md, const char *s)
{
	guint8 present = s != NULL;
	EVP_DigestUpdate(md, &present, 1);
	put_u64(md, s ? strlen(s) : 0);
	if (s)
		EVP_DigestUpdate(md, s, strlen(s));
}

static gboolean row_hash(const audit_row *r, char out[BW_AUDIT_HASH_HEX + 1])
{
	guint8 d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	gboolean ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (ok) {
		EVP_DigestUpdate(md, "BWAUDIT1", 8);
		put_field(md, r->prev_hash);
		put_u64(md, (guint64)r->seq);
		put_u64(md, (guint64)r->time);
		put_field(md, r->actor);
		put_field(md, r->action);
		put_field(md, r->object);
		put_field(md, r->detail);
		ok = EVP_DigestFinal_ex(md, d, &dlen) && dlen == 32;
	}
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; ok && i < dlen; i++)
		g_snprintf(out + 2 * i, 3, "%02x", d[i]);
	return ok;
}

/* ---- the head file ---- */

char *bw_audit_anchor_format(const bw_audit_anchor *a)
{
	return g_strdup_printf("%" G_GINT64_FORMAT " %s\n", a->seq, a->hash);
}

/* "SEQ HASH" up to the end of the line (which may be the end of text). */
static const char *anchor_parse_line(const char *text, bw_audit_anchor *a)
{
	char *end = NULL;
	gint64 seq = g_ascii_strtoll(text, &end, 10);
	if (end == text || !g_ascii_isdigit(*text) || seq < 0 || *end != ' ')
		return NULL;
	const char *h = end + 1;
	if (strspn(h, "0123456789abcdef") != BW_AUDIT_HASH_HEX)
		return NULL;
	const char *rest = h + BW_AUDIT_HASH_HEX;
	if (*rest != '\0' && *rest != '\n')
		return NULL;
	a->seq = seq;
	memcpy(a->hash, h, BW_AUDIT_HASH_HEX);
	a->hash[BW_AUDIT_HASH_HEX] = '\0';
	return *rest ? rest + 1 : rest;
}

gboolean bw_audit_anchor_parse(const char *text, bw_audit_anchor *a)
{
	const char *rest = anchor_parse_line(text, a);
	return rest && *rest == '\0';
}

gboolean bw_audit_head_parse(const char *text, bw_audit_head *h)
{
	static const char pending[] = "pending ";
	memset(h, 0, sizeof *h);
	const char *rest = anchor_parse_line(text, &h->committed);
	if (rest && g_str_has_prefix(rest, pending))
		rest = anchor_parse_line(rest + strlen(pending), &h->pending);
	if (rest && h->pending.seq == 0 && h->pending.hash[0])
		return FALSE;                /* "pending 0 ..." names no record */
	return rest && *rest == '\0';
}

gboolean bw_audit_head_load(const char *path, bw_audit_head *h, GError **err)
{
	gsize len = 0;
	GError *e = NULL;
	char *text = bw_util_read_file(path, 255, &len, &e);
	if (!text && !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_FAILED)) {
		g_propagate_error(err, e);
		return FALSE;
	}
	g_clear_error(&e);
	gboolean ok = text && strlen(text) == len && bw_audit_head_parse(text, h);
	g_free(text);
	if (!ok)
		g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			    "audit: %s is not an audit head (\"SEQ SHA256HEX\", optionally "
			    "followed by \"pending SEQ SHA256HEX\")", path);
	return ok;
}

static gboolean write_all(int fd, const char *buf, gsize len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		buf += n;
		len -= (gsize)n;
	}
	return TRUE;
}

static void fsync_dir(const char *path)
{
	char *dir = g_path_get_dirname(path);
	int fd = g_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	g_free(dir);
}

/* write temp + fsync + rename + fsync(dir): the old or the new head, never half. */
static gboolean head_write(const char *path, const char *text, GError **err)
{
	char *tmp = g_strconcat(path, ".tmp", NULL);
	int fd = g_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	gboolean ok = fd >= 0 && write_all(fd, text, strlen(text)) && fsync(fd) == 0;
	int e = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = FALSE;
		e = errno;
	}
	if (ok && g_rename(tmp, path) != 0) {
		ok = FALSE;
		e = errno;
	}
	if (ok)
		fsync_dir(path);
	else {
		if (fd >= 0)
			g_unlink(tmp);
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "audit: cannot write the chain head %s: %s", path, g_strerror(e));
	}
	g_free(tmp);
	return ok;
}

gboolean bw_audit_anchor_save(bw_store *s, GError **err)
{
	char *text = bw_audit_anchor_format(&s->anchor);
	gboolean ok = head_write(s->anchor_path, text, err);
	g_free(text);
	return ok;
}

gboolean bw_audit_head_save_pending(bw_store *s, const bw_audit_anchor *committed,
				    const bw_audit_anchor *pending, GError **err)
{
	char *text = g_strdup_printf("%" G_GINT64_FORMAT " %s\npending %" G_GINT64_FORMAT
				     " %s\n", committed->seq, committed->hash,
				     pending->seq, pending->hash);
	gboolean ok = head_write(s->anchor_path, text, err);
	g_free(text);
	return ok;
}

/* ---- committing: the head file brackets the COMMIT ---- */

gboolean bw_audit_precommit_locked(bw_store *s, GError **err)
{
	if (s->anchor.seq == s->tx_anchor.seq)
		return TRUE;
	return bw_audit_head_save_pending(s, &s->tx_anchor, &s->anchor, err);
}

/* The record is committed; a failure here leaves the pending head, which
 * verify accepts as long as the chain ends at it. */
void bw_audit_postcommit_locked(bw_store *s)
{
	GError *e = NULL;
	if (s->anchor.seq != s->tx_anchor.seq && !bw_audit_anchor_save(s, &e)) {
		g_warning("%s (the head stays marked pending)", e->message);
		g_error_free(e);
	}
	s->tx_anchor = s->anchor;
}

/* ---- appending ---- */

gboolean bw_audit_tail(sqlite3 *db, bw_audit_anchor *a, GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, db, "audit: reading the chain's tail");
		return FALSE;
	}
	int rc = sqlite3_step(st);
	a->seq = 0;
	g_strlcpy(a->hash, ZERO_HASH, sizeof a->hash);
	if (rc == SQLITE_ROW) {
		a->seq = sqlite3_column_int64(st, 0);
		const char *h = (const char *)sqlite3_column_text(st, 1);
		g_strlcpy(a->hash, h ? h : "", sizeof a->hash);
	} else if (rc != SQLITE_DONE) {
		bw_store_set_io_error(err, db, "audit: reading the chain's tail");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Is record a->seq in the chain with hash a->hash? */
static gboolean chain_has(sqlite3 *db, const bw_audit_anchor *a, gboolean *found,
			  GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT hash FROM audit WHERE seq=?", -1, &st,
			       NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, db, "audit: looking up the pending head");
		return FALSE;
	}
	sqlite3_bind_int64(st, 1, a->seq);
	int rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW &&
		 g_strcmp0((const char *)sqlite3_column_text(st, 0), a->hash) == 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		bw_store_set_io_error(err, db, "audit: looking up the pending head");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* A pending head is the committed one when its record made it into the
 * chain, else the append was lost with its transaction. No usable file:
 * follow the chain; verify will say the head is missing. */
gboolean bw_audit_head_open_locked(bw_store *s, GError **err)
{
	bw_audit_head h;
	GError *e = NULL;
	gboolean found = FALSE;
	if (!bw_audit_head_load(s->anchor_path, &h, &e)) {
		if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
			g_warning("store: ignoring %s: %s", s->anchor_path, e->message);
		g_clear_error(&e);
		return bw_audit_tail(s->db, &s->anchor, err);
	}
	s->anchor = h.committed;
	if (h.pending.seq && !chain_has(s->db, &h.pending, &found, err))
		return FALSE;
	if (found)
		s->anchor = h.pending;
	s->tx_anchor = s->anchor;
	return TRUE;
}

static gboolean field_ok(const char *name, const char *v, gsize max, gboolean nullable,
			 GError **err)
{
	const char *why = NULL;
	if (!v)
		why = nullable ? NULL : "is missing";
	else if (strlen(v) > max)
		why = "is too long";
	else if (!g_utf8_validate(v, -1, NULL))
		why = "is not valid UTF-8";
	if (!why)
		return TRUE;
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID,
		    "audit: field %s %s (at most %" G_GSIZE_FORMAT " bytes of UTF-8)",
		    name, why, max);
	return FALSE;
}

static gboolean insert_row(sqlite3 *db, const audit_row *r, GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "INSERT INTO audit(seq, time, actor, action, object,"
			       " detail, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, db, "audit: preparing the insert");
		return FALSE;
	}
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int64(st, 2, r->time);
	const char *text[] = { r->actor, r->action, r->object, r->detail, r->prev_hash, r->hash };
	for (int i = 0; i < 6; i++)
		sqlite3_bind_text(st, 3 + i, text[i], -1, SQLITE_STATIC);
	gboolean ok = sqlite3_step(st) == SQLITE_DONE;
	if (!ok)
		bw_store_set_io_error(err, db, "audit: appending a record");
	sqlite3_finalize(st);
	return ok;
}

/* Chains from the newer of the table's tail and the anchor: after a tail
 * truncation the next record keeps the gap visible instead of hiding it. */
gint64 bw_audit_append_locked(bw_store *s, const char *actor, const char *action,
			      const char *object, const char *detail, GError **err)
{
	if (!field_ok("actor", actor, ACTOR_MAX, FALSE, err) ||
	    !field_ok("action", action, ACTION_MAX, FALSE, err) ||
	    !field_ok("object", object, OBJECT_MAX, FALSE, err) ||
	    !field_ok("detail", detail, DETAIL_MAX, TRUE, err))
		return 0;
	bw_audit_anchor tail;
	if (!bw_audit_tail(s->db, &tail, err))
		return 0;
	const bw_audit_anchor *base = s->anchor.seq > tail.seq ? &s->anchor : &tail;
	char hash[BW_AUDIT_HASH_HEX + 1];
	audit_row r = { base->seq + 1, g_get_real_time(), actor, action, object, detail,
			base->hash, hash };
	if (!row_hash(&r, hash)) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "audit: SHA-256 unavailable from OpenSSL");
		return 0;
	}
	if (!insert_row(s->db, &r, err))
		return 0;
	s->anchor.seq = r.seq;
	memcpy(s->anchor.hash, hash, sizeof s->anchor.hash);
	return r.seq;
}

gint64 bw_audit_append_to(bw_store *s, const char *actor, const char *action,
			  const char *object, const char *detail, GError **err)
{
	g_return_val_if_fail(s != NULL, 0);
	g_mutex_lock(&s->lock);
	gint64 seq = 0;
	if (bw_store_begin_locked(s, err)) {
		seq = bw_audit_append_locked(s, actor, action, object, detail, err);
		if (!seq)
			bw_store_rollback_locked(s);
		else if (!bw_store_commit_locked(s, err))
			seq = 0;
	}
	g_mutex_unlock(&s->lock);
	return seq;
}

gint64 bw_audit_append(const char *actor, const char *action, const char *object,
		       const char *detail, GError **err)
{
	bw_store *s = bw_store_system();
	if (s)
		return bw_audit_append_to(s, actor, action, object, detail, err);
	g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
		    "audit: cannot record %s by %s: the system store is not open",
		    action ? action : "(null)", actor ? actor : "(null)");
	return 0;
}

/* ---- verifying ---- */

typedef struct walk {
	GString *report;
	gboolean ok;
	gint64   prev_seq;
	char     prev_hash[BW_AUDIT_HASH_HEX + 1];
	const bw_audit_anchor *pin[2];       /* committed and pending head, or NULL */
	gboolean pin_match[2];               /* the pinned seq is there with that hash */
} walk;

static void finding(walk *w, gint64 seq, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void finding(walk *w, gint64 seq, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w->ok = FALSE;
	if (w->report) {
		g_string_append_printf(w->report, "seq %" G_GINT64_FORMAT ": ", seq);
		g_string_append_vprintf(w->report, fmt, ap);
		g_string_append_c(w->report, '\n');
	}
	va_end(ap);
}

static void note(walk *w, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(walk *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (w->report) {
		g_string_append(w->report, "note: ");
		g_string_append_vprintf(w->report, fmt, ap);
		g_string_append_c(w->report, '\n');
	}
	va_end(ap);
}

static void row_read(sqlite3_stmt *st, audit_row *r)
{
	r->seq = sqlite3_column_int64(st, 0);
	r->time = sqlite3_column_int64(st, 1);
	const char **f[] = { &r->actor, &r->action, &r->object, &r->detail,
			     &r->prev_hash, &r->hash };
	for (int i = 0; i < 6; i++)
		*f[i] = (const char *)sqlite3_column_text(st, 2 + i);
}

static void walk_row(walk *w, const audit_row *r)
{
	char hash[BW_AUDIT_HASH_HEX + 1] = "";
	if (r->seq != w->prev_seq + 1)
		finding(w, r->seq, "gap: records %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
			" are missing", w->prev_seq + 1, r->seq - 1);
	if (g_strcmp0(r->prev_hash, w->prev_hash) != 0)
		finding(w, r->seq, "prev_hash does not match the hash of record %"
			G_GINT64_FORMAT " (record removed or inserted before it)", w->prev_seq);
	if (!row_hash(r, hash) || g_strcmp0(hash, r->hash) != 0)
		finding(w, r->seq, "hash does not match the record's content (record altered)");
	for (int i = 0; i < 2; i++)
		if (w->pin[i] && r->seq == w->pin[i]->seq)
			w->pin_match[i] = g_strcmp0(r->hash, w->pin[i]->hash) == 0;
	w->prev_seq = r->seq;
	g_strlcpy(w->prev_hash, r->hash ? r->hash : "", sizeof w->prev_hash);
}

/* The chain must end exactly at the head a (pin i). */
static void walk_head(walk *w, int i)
{
	const bw_audit_anchor *a = w->pin[i];
	gint64 tail = w->prev_seq;
	if (a->seq > tail)
		finding(w, a->seq, "the head record is missing: the chain ends at seq %"
			G_GINT64_FORMAT " (newest records removed)", tail);
	else if (a->seq > 0 && !w->pin_match[i])
		finding(w, a->seq, "the record differs from the audit head (replaced)");
	else if (tail > a->seq)
		finding(w, tail, "records %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT " are newer "
			"than the audit head at seq %" G_GINT64_FORMAT " (appended outside "
			"Bulwark)", a->seq + 1, tail, a->seq);
}

/* At the head (the usual case) or, while a commit was under way, at the
 * committed head (the commit was lost, and the records with it) or at the
 * pending one (the head file was not yet rewritten): anything else is
 * damage, judged against the head the tail is closer to. */
static void walk_anchor(walk *w)
{
	gint64 tail = w->prev_seq;
	const bw_audit_anchor *c = w->pin[0], *p = w->pin[1];
	gboolean at_c = c && tail == c->seq && (c->seq == 0 || w->pin_match[0]);
	gboolean at_p = p && tail == p->seq && w->pin_match[1];
	if (!c) {
		if (tail > 0)
			finding(w, tail, "no audit head to compare the tail with: removal "
				"of the newest records cannot be ruled out");
	} else if (!p || (!at_c && !at_p)) {
		walk_head(w, p && tail > c->seq ? 1 : 0);
	} else if (at_p) {
		note(w, "seq %" G_GINT64_FORMAT " was committed but the audit head still "
		     "marks it pending (interrupted after the commit)", p->seq);
	} else {
		note(w, "the chain ends at the audit head seq %" G_GINT64_FORMAT "; the "
		     "append of seq %" G_GINT64_FORMAT " was interrupted before its commit "
		     "and never happened", c->seq, p->seq);
	}
}

gboolean bw_audit_verify_db(sqlite3 *db, const bw_audit_head *head, GString *report,
			    GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT seq, time, actor, action, object, detail,"
			       " prev_hash, hash FROM audit ORDER BY seq", -1, &st,
			       NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, db, "audit: reading the chain");
		return FALSE;
	}
	walk w = { report, TRUE, 0, ZERO_HASH,
		   { head ? &head->committed : NULL,
		     head && head->pending.seq ? &head->pending : NULL }, { FALSE, FALSE } };
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_row r;
		row_read(st, &r);
		walk_row(&w, &r);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		bw_store_set_io_error(err, db, "audit: reading the chain");
		return FALSE;
	}
	walk_anchor(&w);
	return w.ok;
}

/* FALSE without an error means "chain damaged, see report". The head file
 * is read under the lock so that no append runs between it and the walk. */
gboolean bw_audit_verify(bw_store *s, GString *report, GError **err)
{
	bw_audit_head h;
	GError *e = NULL;
	g_mutex_lock(&s->lock);
	gboolean have = bw_audit_head_load(s->anchor_path, &h, &e);
	if (!have && !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) && report)
		g_string_append_printf(report, "audit head unusable: %s\n", e->message);
	g_clear_error(&e);
	gboolean ok = bw_audit_verify_db(s->db, have ? &h : NULL, report, &e);
	g_mutex_unlock(&s->lock);
	if (e)
		g_propagate_error(err, e);
	return ok && !e;
}

/* ---- listing ---- */

static char *row_format(const audit_row *r)
{
	GDateTime *dt = g_date_time_new_from_unix_utc(r->time / G_USEC_PER_SEC);
	char *t = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
	char *line = g_strdup_printf("%" G_GINT64_FORMAT " %s %s %s %s %s", r->seq, t,
				     r->actor ? r->actor : "-", r->action ? r->action : "-",
				     r->object ? r->object : "-", r->detail ? r->detail : "-");
	if (dt)
		g_date_time_unref(dt);
	g_free(t);
	return line;
}

GPtrArray *bw_audit_list(bw_store *s, guint limit, GError **err)
{
	g_mutex_lock(&s->lock);
	sqlite3_stmt *st = NULL;
	GPtrArray *out = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT * FROM (SELECT seq, time, actor, action,"
			       " object, detail, prev_hash, hash FROM audit ORDER BY seq DESC"
			       " LIMIT ?) ORDER BY seq", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, limit ? (gint64)limit : -1);
		out = g_ptr_array_new_with_free_func(g_free);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			audit_row r;
			row_read(st, &r);
			g_ptr_array_add(out, row_format(&r));
		}
		if (rc != SQLITE_DONE) {
			g_ptr_array_free(out, TRUE);
			out = NULL;
		}
	}
	if (!out)
		bw_store_set_io_error(err, s->db, "audit: listing records");
	sqlite3_finalize(st);
	g_mutex_unlock(&s->lock);
	return out;
}

/* ---- reading back (bulwark/audit.h) ---- */

void bw_audit_record_free(bw_audit_record *r)
{
	if (!r)
		return;
	g_free(r->actor);
	g_free(r->action);
	g_free(r->object);
	g_free(r->detail);
	g_free(r);
}

static gboolean query_args_ok(guint limit, const char *prefix, gint64 before, GError **err)
{
	const char *why = NULL;
	if (limit < 1 || limit > BW_AUDIT_QUERY_MAX)
		why = "limit must be from 1 to " G_STRINGIFY(BW_AUDIT_QUERY_MAX);
	else if (before < 0)
		why = "before must be 0 (from the newest) or a sequence number";
	else if (prefix && (strlen(prefix) > ACTION_MAX || !g_utf8_validate(prefix, -1, NULL)))
		why = "the action prefix is too long or not UTF-8";
	if (why)
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_INVALID, "audit: query: %s", why);
	return why == NULL;
}

static bw_audit_record *record_dup(const audit_row *r)
{
	bw_audit_record *out = g_new0(bw_audit_record, 1);
	out->seq = r->seq;
	out->time = r->time;
	out->actor = g_strdup(r->actor ? r->actor : "");
	out->action = g_strdup(r->action ? r->action : "");
	out->object = g_strdup(r->object ? r->object : "");
	out->detail = g_strdup(r->detail);
	return out;
}

/* substr() rather than LIKE: a prefix's '%' and '_' are plain characters.
 * seq is the table's rowid, so newest first walks the b-tree backwards
 * and stops at the limit. */
static GPtrArray *query_locked(bw_store *s, guint limit, const char *prefix, gint64 before,
			       GError **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT seq, time, actor, action, object, detail,"
			       " prev_hash, hash FROM audit WHERE (?1 = 0 OR seq < ?1) AND"
			       " substr(action, 1, length(?2)) = ?2 ORDER BY seq DESC LIMIT ?3",
			       -1, &st, NULL) != SQLITE_OK) {
		bw_store_set_io_error(err, s->db, "audit: preparing a query");
		return NULL;
	}
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_text(st, 2, prefix ? prefix : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, limit);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)bw_audit_record_free);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		audit_row r;
		row_read(st, &r);
		g_ptr_array_add(out, record_dup(&r));
	}
	if (rc != SQLITE_DONE) {
		bw_store_set_io_error(err, s->db, "audit: reading records");
		g_ptr_array_unref(out);
		out = NULL;
	}
	sqlite3_finalize(st);
	return out;
}

GPtrArray *bw_audit_query(guint limit, const char *action_prefix, gint64 before,
			  GError **err)
{
	if (!query_args_ok(limit, action_prefix, before, err))
		return NULL;
	bw_store *s = bw_store_system();
	if (!s) {
		g_set_error(err, BW_STORE_ERROR, BW_STORE_ERROR_IO,
			    "audit: cannot read records: the system store is not open");
		return NULL;
	}
	g_mutex_lock(&s->lock);
	GPtrArray *out = query_locked(s, limit, action_prefix, before, err);
	g_mutex_unlock(&s->lock);
	return out;
}

static void json_str(GString *out, const char *s)
{
	if (!s) {
		g_string_append(out, "null");
		return;
	}
	g_string_append_c(out, '"');
	for (const guchar *p = (const guchar *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			g_string_append_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			g_string_append_printf(out, "\\u%04x", *p);
		else
			g_string_append_c(out, (char)*p);
	}
	g_string_append_c(out, '"');
}

char *bw_audit_query_json(guint limit, const char *action_prefix, gint64 before,
			  GError **err)
{
	GPtrArray *all = bw_audit_query(limit, action_prefix, before, err);
	if (!all)
		return NULL;
	GString *out = g_string_new("[");
	for (guint i = 0; i < all->len; i++) {
		const bw_audit_record *r = all->pdata[i];
		g_string_append_printf(out, "%s{\"seq\":%" G_GINT64_FORMAT ",\"time\":%"
				       G_GINT64_FORMAT ",\"actor\":", i ? "," : "", r->seq, r->time);
		json_str(out, r->actor);
		g_string_append(out, ",\"action\":");
		json_str(out, r->action);
		g_string_append(out, ",\"object\":");
		json_str(out, r->object);
		g_string_append(out, ",\"detail\":");
		json_str(out, r->detail);
		g_string_append_c(out, '}');
	}
	g_string_append_c(out, ']');
	g_ptr_array_unref(all);
	return g_string_free(out, FALSE);
}
