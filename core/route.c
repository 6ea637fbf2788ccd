/* The engine's default routing, used when no "call.route" hook routed an
 * attempt. From an extension: the dialed number of an extension rings it;
 * otherwise the outgoing routes whose prefix starts the dialed number,
 * longest first, each rewritten (strip, prepend) for its trunk. From a
 * trunk: route/did/<dialed> to its extension; an extension number dialed
 * directly only when the trunk says allow_direct_extensions (default no, so a
 * provider cannot reach internal numbers that were never published).
 * Candidates are numbered so the engine can try the next one when a trunk
 * cannot originate. */
#include "callint.h"
#include <string.h>

gboolean bw_route_rewrite(const bw_route_out *r, const char *dialed, char *out, gsize out_len)
{
	gsize n = strlen(dialed);
	if (r->strip > n)
		return FALSE;
	int w = g_snprintf(out, out_len, "%s%s", r->prepend, dialed + r->strip);
	return w > 0 && (gsize)w < out_len;
}

static void target_extension(bw_call_attempt *a, const bw_extension *e)
{
	a->target.kind = BW_PARTY_EXTENSION;
	a->target.id = e->number;
	a->target.number = e->number;
	a->target.display = e->name;
	a->target.group = e->cor;
	a->target.srtp = e->srtp;
	g_strlcpy(a->target_number, e->number, sizeof a->target_number);
}

static gboolean route_out_nth(const bw_directory *d, bw_call_attempt *a, guint n)
{
	guint seen = 0;
	for (guint i = 0; i < d->routes->len; i++) {
		const bw_route_out *r = g_ptr_array_index(d->routes, i);
		const bw_trunk *t = g_hash_table_lookup(d->trunks, r->trunk);
		if (!g_str_has_prefix(a->dialed, r->prefix))
			continue;
		if (!t) {
			g_warning("route/out/%s: trunk \"%s\" is not in the directory; route skipped",
				  r->prefix, r->trunk);
			continue;
		}
		if (!bw_route_rewrite(r, a->dialed, a->target_number, sizeof a->target_number))
			continue;
		if (seen++ < n)
			continue;
		a->target.kind = BW_PARTY_TRUNK;
		a->target.id = t->name;
		a->target.number = a->target_number;
		a->target.display = NULL;
		a->target.group = t->cor;
		a->target.srtp = t->srtp;
		return TRUE;
	}
	return FALSE;
}

static gboolean route_from_trunk(const bw_directory *d, bw_call_attempt *a)
{
	const bw_trunk *t = g_hash_table_lookup(d->trunks, a->caller.id ? a->caller.id : "");
	const char *ext = g_hash_table_lookup(d->dids, a->dialed);
	if (!ext && t && t->direct_extensions)
		ext = a->dialed;
	const bw_extension *e = ext ? g_hash_table_lookup(d->ext, ext) : NULL;
	if (!e)
		return FALSE;
	target_extension(a, e);
	return TRUE;
}

gboolean bw_route_default(const bw_directory *d, bw_call_attempt *a, guint n)
{
	if (!a->dialed || !*a->dialed)
		return FALSE;
	/* a forward dials for the forwarding extension, even on a trunk's call */
	if (a->caller.kind == BW_PARTY_TRUNK && a->type != BW_CALL_FORWARD)
		return n == 0 && route_from_trunk(d, a);
	const bw_extension *e = g_hash_table_lookup(d->ext, a->dialed);
	if (e) {
		if (n > 0)
			return FALSE;
		target_extension(a, e);
		return TRUE;
	}
	return route_out_nth(d, a, n);
}
