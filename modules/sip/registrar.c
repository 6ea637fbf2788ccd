/* The registrar and the location service (RFC 3261 10).
 *
 * Contract (sipmod.h, sipint-core.h): REGISTER is authenticated (auth.c)
 * and the To user must be the authenticated extension's sip_user. Each
 * Contact is a binding keyed by its URI, with its own expiry (contact
 * parameter, else Expires header, else default-expires), refused with 423
 * below min-expires, capped at max-expires; "*" with Expires: 0 removes
 * all. Bounds: max_contacts per extension (the one expiring first gives way
 * to a new one) and max-per-source bindings per source address (503 then).
 * A binding remembers the transport and source of its REGISTER, so calls
 * reach a TCP/TLS phone over its own connection; such a binding goes away
 * when that connection closes (nothing reaches the phone through it any
 * more), while a UDP binding lives until its expiry. Bindings persist in the
 * store under sip/reg/<number> (JSON, written on the management thread)
 * and are re-read at start. Events sip.registered / sip.unregistered,
 * gauge sip.registrations. Signalling thread unless said otherwise. */
#define G_LOG_DOMAIN "sip"
#include <errno.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include "sipint-core.h"

#define REG_CONTACTS_PER_REQUEST 16
#define REG_TOTAL_MAX 200000
#define REG_KEY_PREFIX "sip/reg/"
/* libre's keepalive on a connection is how we hear it close; it also sends
 * a CRLFCRLF ping every interval and closes the connection when no pong
 * comes in 10 s. A day: libre closes idle connections after 15 minutes
 * anyway, so pings practically never go to phones that do not answer them. */
#define REG_KA_INTERVAL_S 86400

typedef struct reg_ext {
	char *number;
	GPtrArray *contacts;   /* sip_contact* (owning) */
	char *saved_set;       /* contacts and sources as last written to the store */
	gint64 saved_expiry;   /* earliest contact expiry as last written (monotonic) */
} reg_ext;

static struct {
	sip_reg_conf conf;
	GHashTable *exts;      /* number -> reg_ext* */
	guint total;
	struct tmr tmr;
	bw_metric *gauge;
	gint64 earliest;       /* no binding expires before: the tick skips the walk */
} reg;

static gint reg_pending_writes;

static void reg_contact_free(void *p)
{
	sip_contact *c = p;

	mem_deref(c->ka);
	g_free(c->uri);
	g_free(c->transport_peer);
	g_free(c);
}

static sip_contact *reg_contact_copy(const sip_contact *c)
{
	sip_contact *n = g_memdup2(c, sizeof(*c));

	n->uri = g_strdup(c->uri);
	n->transport_peer = g_strdup(c->transport_peer);
	n->ka = NULL;
	return n;
}

static void reg_ext_free(void *p)
{
	reg_ext *r = p;

	g_ptr_array_unref(r->contacts);
	g_free(r->number);
	g_free(r->saved_set);
	g_free(r);
}

static reg_ext *reg_ext_get(const char *number, gboolean create)
{
	reg_ext *r = g_hash_table_lookup(reg.exts, number);

	if (r || !create)
		return r;
	r = g_new0(reg_ext, 1);
	r->number = g_strdup(number);
	r->contacts = g_ptr_array_new_with_free_func(reg_contact_free);
	g_hash_table_insert(reg.exts, r->number, r);
	return r;
}

static void reg_gauge(void)
{
	if (reg.gauge)
		bw_metric_set(reg.gauge, reg.total);
}

static char *reg_source(const struct sa *sa)
{
	char buf[80];

	re_snprintf(buf, sizeof(buf), "%J", sa);
	return g_strdup(buf);
}

/* ---- persistence (management thread) ---- */

typedef struct reg_write {
	char *key, *json;      /* json NULL: delete */
} reg_write;

static void reg_write_run(void *p)
{
	reg_write *w = p;
	bw_store *s = bw_store_system();
	GError *err = NULL;

	if (s && w->json)
		bw_store_put(s, w->key, w->json, strlen(w->json), BW_STORE_ANY, &err);
	else if (s && !bw_store_delete(s, w->key, BW_STORE_ANY, &err) &&
		 g_error_matches(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND))
		g_clear_error(&err);
	if (err) {
		g_warning("sip: registrar: cannot save %s in the store: %s", w->key, err->message);
		g_error_free(err);
	}
	g_free(w->key);
	g_free(w->json);
	g_free(w);
	g_atomic_int_dec_and_test(&reg_pending_writes);
}

static char *reg_to_json(const reg_ext *r)
{
	JsonBuilder *b = json_builder_new();
	gint64 now = g_get_monotonic_time(), wall = g_get_real_time() / G_USEC_PER_SEC;
	char peer[80];

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "contacts");
	json_builder_begin_array(b);
	for (guint i = 0; i < r->contacts->len; i++) {
		const sip_contact *c = r->contacts->pdata[i];
		re_snprintf(peer, sizeof(peer), "%J", &c->peer);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "uri");
		json_builder_add_string_value(b, c->uri);
		json_builder_set_member_name(b, "transport");
		json_builder_add_string_value(b, sip_tp_name(c->tp));
		json_builder_set_member_name(b, "source");
		json_builder_add_string_value(b, peer);
		json_builder_set_member_name(b, "expires");
		json_builder_add_int_value(b, wall + (c->expires - now) / G_USEC_PER_SEC);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);
	JsonGenerator *g = json_generator_new();
	JsonNode *root = json_builder_get_root(b);
	json_generator_set_root(g, root);
	char *s = json_generator_to_data(g, NULL);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
	return s;
}

/* The bindings' identity (URI and source of each contact) and their
 * earliest expiry: what decides whether a REGISTER must be written. */
static char *reg_set_of(const reg_ext *r, gint64 *earliest)
{
	GString *s = g_string_new(NULL);

	*earliest = G_MAXINT64;
	for (guint i = 0; i < r->contacts->len; i++) {
		const sip_contact *c = r->contacts->pdata[i];
		char peer[80];
		re_snprintf(peer, sizeof(peer), "%J", &c->peer);
		g_string_append_printf(s, "%s|%s|%d\n", c->uri, peer, (int)c->tp);
		*earliest = MIN(*earliest, c->expires);
	}
	return g_string_free(s, FALSE);
}

static void reg_persist(reg_ext *r)
{
	reg_write *w = g_new0(reg_write, 1);

	g_free(r->saved_set);
	r->saved_set = reg_set_of(r, &r->saved_expiry);

	w->key = g_strconcat(REG_KEY_PREFIX, r->number, NULL);
	w->json = r->contacts->len ? reg_to_json(r) : NULL;
	g_atomic_int_inc(&reg_pending_writes);
	if (bw_mgmt_call(reg_write_run, w) != 0) {
		g_atomic_int_dec_and_test(&reg_pending_writes);
		g_free(w->key);
		g_free(w->json);
		g_free(w);
	}
}

/* A refresh that changes nothing but the expiry is written only when the
 * stored expiry has used up half of the binding's remaining lifetime, so a
 * phone refreshing every few seconds costs no durable write each time;
 * after a restart a binding may then lapse early by at most half its
 * lifetime (phones refresh well before that). */
static void reg_persist_if_needed(reg_ext *r)
{
	gint64 earliest, now = g_get_monotonic_time();
	char *set = reg_set_of(r, &earliest);
	gboolean same = r->saved_set && g_str_equal(set, r->saved_set);

	g_free(set);
	if (same && r->contacts->len && r->saved_expiry - now >= (earliest - now) / 2)
		return;
	reg_persist(r);
}

GPtrArray *sip_registrar_load(void)
{
	bw_store *s = bw_store_system();
	GError *err = NULL;
	GPtrArray *a;

	if (s == NULL)
		return NULL;
	a = bw_store_list(s, REG_KEY_PREFIX, &err);
	if (a == NULL) {
		g_warning("sip: registrar: cannot read saved registrations (%s*): %s",
			  REG_KEY_PREFIX, err->message);
		g_error_free(err);
	}
	return a;
}

/* Waits (management thread) for queued store writes, so none runs after
 * the module is gone. */
static void reg_flush_writes(void)
{
	for (guint i = 0; i < 100000 && g_atomic_int_get(&reg_pending_writes) > 0; i++)
		g_main_context_iteration(bw_mgmt_context(), FALSE);
}

/* ---- bindings ---- */

static const char *reg_tp_name_ev(enum sip_transp tp)
{
	return sip_tp_name(tp);
}

static void reg_event(const char *type, const char *number, const sip_contact *c,
		      const char *why)
{
	char src[80];
	bw_event *ev = bw_event_new(type);

	re_snprintf(src, sizeof(src), "%J", &c->peer);
	bw_event_add(ev, "extension", number);
	bw_event_add(ev, "contact", c->uri);
	bw_event_add(ev, "transport", reg_tp_name_ev(c->tp));
	bw_event_add(ev, "source", src);
	if (why)
		bw_event_add(ev, "reason", why);
	else
		bw_event_addf(ev, "expires", "%lld",
			      (long long)((c->expires - g_get_monotonic_time()) / G_USEC_PER_SEC));
	bw_event_publish(ev);
}

static void reg_remove_at(reg_ext *r, guint i, const char *why)
{
	reg_event("sip.unregistered", r->number, r->contacts->pdata[i], why);
	g_ptr_array_remove_index(r->contacts, i);
	reg.total--;
}

static gint reg_find(const reg_ext *r, const char *uri)
{
	for (guint i = 0; r && i < r->contacts->len; i++)
		if (!strcmp(((sip_contact *)r->contacts->pdata[i])->uri, uri))
			return (gint)i;
	return -1;
}

static guint reg_count_source(const struct sa *src)
{
	GHashTableIter it;
	gpointer v;
	guint n = 0;

	g_hash_table_iter_init(&it, reg.exts);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const reg_ext *r = v;
		for (guint i = 0; i < r->contacts->len; i++)
			if (sa_cmp(&((sip_contact *)r->contacts->pdata[i])->peer, src, SA_ADDR))
				n++;
	}
	return n;
}

static guint reg_soonest(const reg_ext *r)
{
	guint best = 0;

	for (guint i = 1; i < r->contacts->len; i++)
		if (((sip_contact *)r->contacts->pdata[i])->expires <
		    ((sip_contact *)r->contacts->pdata[best])->expires)
			best = i;
	return best;
}

/* The connection of a TCP/TLS binding closed (libre has already freed
 * c->ka and set it to NULL). */
static void reg_conn_closed(int err, void *arg)
{
	GHashTableIter it;
	gpointer v;

	(void)err;
	g_hash_table_iter_init(&it, reg.exts);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		reg_ext *r = v;
		guint i;

		if (!g_ptr_array_find(r->contacts, arg, &i))
			continue;
		reg_remove_at(r, i, "connection closed");
		reg_persist(r);
		if (r->contacts->len == 0)
			g_hash_table_iter_remove(&it);
		reg_gauge();
		return;
	}
}

static void reg_watch_conn(sip_contact *c, const struct sip_msg *msg)
{
	c->ka = mem_deref(c->ka);
	if (msg->tp != SIP_TRANSP_TCP && msg->tp != SIP_TRANSP_TLS)
		return;
	if (sip_keepalive_start(&c->ka, sip_mod->sip, msg, REG_KA_INTERVAL_S, reg_conn_closed,
				c) != 0)
		g_debug("sip: registrar: cannot watch the connection of %s; it stays until expiry",
			c->uri);
}

static void reg_bind(reg_ext *r, const char *uri, const struct sip_msg *msg, guint secs,
		     guint max_contacts)
{
	gint i = reg_find(r, uri);
	sip_contact *c;

	if (i < 0) {
		while (r->contacts->len && r->contacts->len >= max_contacts)
			reg_remove_at(r, reg_soonest(r), "replaced");
		c = g_new0(sip_contact, 1);
		c->uri = g_strdup(uri);
		g_ptr_array_add(r->contacts, c);
		reg.total++;
	} else {
		c = r->contacts->pdata[i];
		g_free(c->transport_peer);
	}
	c->tp = msg->tp;
	c->peer = msg->src;
	char *src = reg_source(&msg->src);
	c->transport_peer = g_strdup_printf("%s:%s", sip_tp_name(msg->tp), src);
	g_free(src);
	c->expires = g_get_monotonic_time() + (gint64)secs * G_USEC_PER_SEC;
	reg.earliest = MIN(reg.earliest, c->expires);
	reg_watch_conn(c, msg);
	reg_event("sip.registered", r->number, c, NULL);
}

/* ---- REGISTER ---- */

typedef struct reg_req {
	struct sip_addr addr[REG_CONTACTS_PER_REQUEST];
	gint64 secs[REG_CONTACTS_PER_REQUEST];
	guint n;
	bool star, bad, too_many;
} reg_req;

static bool reg_collect(const struct sip_hdr *hdr, const struct sip_msg *msg, void *arg)
{
	reg_req *q = arg;
	struct pl v = hdr->val;

	(void)msg;
	while (v.l && (v.p[v.l - 1] == ' ' || v.p[v.l - 1] == '\t'))
		v.l--;
	if (!pl_strcmp(&v, "*")) {
		q->star = true;
		return false;
	}
	if (q->n >= REG_CONTACTS_PER_REQUEST) {
		q->too_many = true;
		return true;
	}
	if (sip_addr_decode(&q->addr[q->n], &hdr->val) != 0 ||
	    q->addr[q->n].auri.l == 0 || q->addr[q->n].auri.l > 512) {
		q->bad = true;
		return true;
	}
	q->n++;
	return false;
}

static void reg_reply_ok(const struct sip_msg *msg, const reg_ext *r)
{
	GString *h = g_string_new(NULL);
	gint64 now = g_get_monotonic_time();

	for (guint i = 0; r && i < r->contacts->len; i++) {
		const sip_contact *c = r->contacts->pdata[i];
		g_string_append_printf(h, "Contact: <%s>;expires=%lld\r\n", c->uri,
				       (long long)MAX(0, (c->expires - now + G_USEC_PER_SEC - 1) /
							 G_USEC_PER_SEC));
	}
	sip_reply_hdrs(msg, 200, "OK", h->str);
	g_string_free(h, TRUE);
}

static void reg_unbind_all(reg_ext *r)
{
	while (r && r->contacts->len)
		reg_remove_at(r, r->contacts->len - 1, "unregistered");
}

/* The checks on the Contacts before anything changes: 0, or the answer
 * already sent. */
static int reg_check(const struct sip_msg *msg, reg_req *q, const reg_ext *r)
{
	guint fresh = 0;

	if (q->bad || q->too_many || (q->star && (q->n || pl_u32(&msg->expires) != 0 ||
						   !pl_isset(&msg->expires)))) {
		sip_reply_hdrs(msg, 400, q->too_many ? "Too Many Contacts" : "Invalid Contact", NULL);
		return EINVAL;
	}
	for (guint i = 0; i < q->n; i++) {
		q->secs[i] = sip_reg_expires(&q->addr[i], &msg->expires, reg.conf.default_expires);
		if (q->secs[i] < 0) {
			sip_reply_hdrs(msg, 400, "Invalid Expires", NULL);
			return EINVAL;
		}
		if (q->secs[i] > 0 && q->secs[i] < reg.conf.min_expires) {
			char *h = g_strdup_printf("Min-Expires: %u\r\n", reg.conf.min_expires);
			sip_reply_hdrs(msg, 423, "Interval Too Brief", h);
			g_free(h);
			return ERANGE;
		}
		q->secs[i] = MIN(q->secs[i], (gint64)reg.conf.max_expires);
		char uri[520];
		pl_strcpy(&q->addr[i].auri, uri, sizeof(uri));
		if (q->secs[i] > 0 && reg_find(r, uri) < 0)
			fresh++;
	}
	if (fresh && (reg_count_source(&msg->src) + fresh > reg.conf.max_per_source ||
		      reg.total + fresh > REG_TOTAL_MAX)) {
		sip_reply_hdrs(msg, 503, "Too Many Registrations", "Retry-After: 60\r\n");
		return ENOSPC;
	}
	return 0;
}

static void reg_apply(const struct sip_msg *msg, reg_req *q, reg_ext *r, guint max_contacts)
{
	for (guint i = 0; i < q->n; i++) {
		char uri[520];
		pl_strcpy(&q->addr[i].auri, uri, sizeof(uri));
		if (q->secs[i] == 0) {
			gint at = reg_find(r, uri);
			if (at >= 0)
				reg_remove_at(r, (guint)at, "unregistered");
		} else {
			reg_bind(r, uri, msg, (guint)q->secs[i], max_contacts);
		}
	}
}

static bool reg_handle(const struct sip_msg *msg)
{
	bw_extension *ext = NULL;
	reg_req *q;
	reg_ext *r;

	if (sip_auth_request(msg, false, &ext) != 0)
		return true;
	/* one may register only oneself: the same 403 as a bad password */
	if (!ext->sip_user || pl_strcmp(&msg->to.uri.user, ext->sip_user) != 0) {
		sip_reply_hdrs(msg, 403, "Forbidden", NULL);
		bw_extension_free(ext);
		return true;
	}
	q = g_new0(reg_req, 1);
	sip_msg_hdr_apply(msg, true, SIP_HDR_CONTACT, reg_collect, q);
	r = reg_ext_get(ext->number, FALSE);
	if (reg_check(msg, q, r) == 0) {
		gboolean changed = q->star || q->n > 0;
		r = reg_ext_get(ext->number, q->n > 0);
		if (q->star)
			reg_unbind_all(r);
		else
			reg_apply(msg, q, r, ext->max_contacts ? ext->max_contacts : reg.conf.max_contacts);
		reg_reply_ok(msg, r);
		if (changed && r) {
			reg_persist_if_needed(r);
			if (r->contacts->len == 0)
				g_hash_table_remove(reg.exts, ext->number);
		}
		reg_gauge();
	}
	g_free(q);
	bw_extension_free(ext);
	return true;
}

/* ---- expiry ---- */

/* Every second, but a walk over all bindings only when one is due: at a
 * few thousand bindings the walk was a visible share of the signalling
 * thread. */
static void reg_tick(void *arg)
{
	gint64 now = g_get_monotonic_time(), next = G_MAXINT64;
	GHashTableIter it;
	gpointer v;

	(void)arg;
	tmr_start(&reg.tmr, 1000, reg_tick, NULL);
	if (now < reg.earliest)
		return;
	g_hash_table_iter_init(&it, reg.exts);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		reg_ext *r = v;
		gboolean changed = FALSE;
		for (guint i = r->contacts->len; i-- > 0;) {
			gint64 exp = ((sip_contact *)r->contacts->pdata[i])->expires;
			if (exp <= now) {
				reg_remove_at(r, i, "expired");
				changed = TRUE;
			} else {
				next = MIN(next, exp);
			}
		}
		if (changed)
			reg_persist(r);
		if (r->contacts->len == 0)
			g_hash_table_iter_remove(&it);
	}
	reg.earliest = next;
	reg_gauge();
}

/* ---- restore ---- */

static enum sip_transp reg_tp_parse(const char *s)
{
	return !g_strcmp0(s, "tls") ? SIP_TRANSP_TLS : !g_strcmp0(s, "tcp") ? SIP_TRANSP_TCP
									 : SIP_TRANSP_UDP;
}

static void reg_restore_one(reg_ext *r, JsonObject *o, gint64 now, gint64 wall)
{
	const char *uri = json_object_get_string_member_with_default(o, "uri", NULL);
	const char *src = json_object_get_string_member_with_default(o, "source", NULL);
	gint64 exp = json_object_get_int_member_with_default(o, "expires", 0);
	struct sa sa;

	if (!uri || !src || strlen(uri) > 512 || exp <= wall || exp - wall > reg.conf.max_expires ||
	    sa_decode(&sa, src, strlen(src)) != 0 || reg.total >= REG_TOTAL_MAX ||
	    r->contacts->len >= 64)
		return;
	sip_contact *c = g_new0(sip_contact, 1);
	c->uri = g_strdup(uri);
	c->tp = reg_tp_parse(json_object_get_string_member_with_default(o, "transport", "udp"));
	c->peer = sa;
	c->transport_peer = g_strdup_printf("%s:%s", sip_tp_name(c->tp), src);
	c->expires = now + (exp - wall) * G_USEC_PER_SEC;
	reg.earliest = MIN(reg.earliest, c->expires);
	g_ptr_array_add(r->contacts, c);
	reg.total++;
}

static void reg_restore(const bw_record *rec)
{
	JsonParser *p = json_parser_new();
	gsize len = 0;
	const char *data = g_bytes_get_data(rec->value, &len);
	gint64 now = g_get_monotonic_time(), wall = g_get_real_time() / G_USEC_PER_SEC;
	const char *number = rec->key + strlen(REG_KEY_PREFIX);

	if (*number && json_parser_load_from_data(p, data, (gssize)len, NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
		JsonObject *o = json_node_get_object(json_parser_get_root(p));
		JsonArray *a = json_object_has_member(o, "contacts") ?
			       json_object_get_array_member(o, "contacts") : NULL;
		reg_ext *r = reg_ext_get(number, TRUE);
		for (guint i = 0; a && i < json_array_get_length(a); i++) {
			JsonNode *n = json_array_get_element(a, i);
			if (JSON_NODE_HOLDS_OBJECT(n))
				reg_restore_one(r, json_node_get_object(n), now, wall);
		}
		if (r->contacts->len == 0)
			g_hash_table_remove(reg.exts, number);
	} else {
		g_warning("sip: registrar: saved record %s is not the expected JSON; ignored", rec->key);
	}
	g_object_unref(p);
}

/* ---- life cycle, queries ---- */

int sip_registrar_init(const sip_reg_conf *c, GPtrArray *saved)
{
	reg.conf = *c;
	reg.exts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, reg_ext_free);
	reg.total = 0;
	reg.earliest = G_MAXINT64;
	reg.gauge = bw_metric_gauge("sip.registrations", "SIP contacts registered now");
	for (guint i = 0; saved && i < saved->len; i++)
		reg_restore(saved->pdata[i]);
	if (reg.total)
		g_message("sip: registrar: %u saved registration(s) restored", reg.total);
	reg_gauge();
	tmr_init(&reg.tmr);
	tmr_start(&reg.tmr, 1000, reg_tick, NULL);
	sip_dispatch_register("REGISTER", reg_handle);
	return 0;
}

void sip_registrar_close(void)
{
	tmr_cancel(&reg.tmr);
	if (reg.exts)
		g_hash_table_destroy(reg.exts);
	reg.exts = NULL;
	reg.total = 0;
	reg_gauge();
}

void sip_registrar_finish(void)
{
	reg_flush_writes();
}

GPtrArray *sip_location_lookup(const char *number)
{
	GPtrArray *out = g_ptr_array_new_with_free_func(reg_contact_free);
	reg_ext *r = reg.exts && number ? reg_ext_get(number, FALSE) : NULL;
	gint64 now = g_get_monotonic_time();

	for (guint i = 0; r && i < r->contacts->len; i++) {
		const sip_contact *c = r->contacts->pdata[i];
		if (c->expires > now)
			g_ptr_array_add(out, reg_contact_copy(c));
	}
	return out;
}

guint sip_location_count(void)
{
	return reg.total;
}

static gint reg_cmp_numbers(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sip_registrar_list(GString *out, const char *unused)
{
	GPtrArray *keys;
	gint64 now = g_get_monotonic_time();

	(void)unused;
	if (reg.exts == NULL)
		return;
	keys = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;
	g_hash_table_iter_init(&it, reg.exts);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(keys, key);
	g_ptr_array_sort(keys, reg_cmp_numbers);
	for (guint k = 0; k < keys->len; k++) {
		const reg_ext *r = g_hash_table_lookup(reg.exts, keys->pdata[k]);
		for (guint i = 0; i < r->contacts->len; i++) {
			const sip_contact *c = r->contacts->pdata[i];
			char src[80];
			re_snprintf(src, sizeof(src), "%J", &c->peer);
			g_string_append_printf(out, "%s\t%s\t%s\t%s\t%llds\n", r->number, c->uri,
					       sip_tp_name(c->tp), src,
					       (long long)MAX(0, (c->expires - now) / G_USEC_PER_SEC));
		}
	}
	g_ptr_array_unref(keys);
}
