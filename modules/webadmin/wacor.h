/* The CoR/CoS page's internals (private to wacor*.c): the record kinds
 * of /api/cor (docs/cor.md, docs/webadmin.md) and the changes to them. */
#ifndef BW_WACOR_H
#define BW_WACOR_H

#include "webadmin.h"
#include "../cor/corsvc.h"

enum {
	WA_COR_NUMERIC = 1,   /* ids 0..65535 */
	WA_COR_SINGLE  = 2,   /* one record (prefix is its key); DELETE restores defaults */
	WA_COR_ACCOUNT = 4,   /* account codes: the PIN is write-only, stored hashed */
	WA_COR_DIGITS  = 8,   /* ids are 1-32 digits (dialled) */
};

typedef struct wa_cor_kind {
	const char *path;     /* after /api/cor/ */
	const char *prefix;   /* store key prefix, or the key of a singleton */
	const char *member;   /* in the overview */
	const char *action;   /* audit: <action>.add|set|del */
	guint flags;
} wa_cor_kind;

const wa_cor_kind *wa_cor_kinds(guint *n);
gboolean wa_cor_id_ok(const wa_cor_kind *k, const char *id);
/* What an answer may show of a stored record: an account's pin_hash
 * becomes "pin_set". */
void     wa_cor_view(const wa_cor_kind *k, JsonObject *rec);
/* PUT / DELETE on /api/cor/KIND[/ID] (p is after /api/cor/). */
wa_resp *wa_cor_item(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r, const char *p);
/* (wacorlim.c) The fraud limits: the overview's member "limits", and PUT /
 * DELETE /api/cor/limits (record cor/limits, docs/cor.md). */
void     wa_cor_limits_add(JsonBuilder *b, const cor_admin_v1 *svc);
wa_resp *wa_cor_limits(const cor_admin_v1 *svc, wa_sess *s, const wa_req *r);

#endif
