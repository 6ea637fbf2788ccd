/* The call engine's start/stop and its control commands: `calls`, `cdr`
 * and `ext` (list, show, add, set, passwd, del). Management thread.
 *
 * Secrets become HA1 digests (MD5 and SHA-256 over "user:realm:secret",
 * realm = the system name) the moment they arrive and are never stored,
 * printed, logged or audited; the audit names only the fields changed.
 * Writes use the record's revision (expect), so a concurrent change is
 * refused, never silently overwritten. `bulwarkctl` sends stdin only for
 * `store put KEY -` today: a "-" followed by one more argument takes that
 * argument as the stdin value, ready for when it sends stdin here too. */
#include "callint.h"
#include <bulwark/audit.h>
#include <bulwark/ctl.h>
#include <bulwark/module.h>
#include <bulwark/thread.h>
#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define SECRET_MAX 255

static bw_store *ctl_store;

char *bw_digest_ha1(GChecksumType type, const char *user, const char *realm,
		    const char *secret)
{
	GChecksum *ck = g_checksum_new(type);
	g_checksum_update(ck, (const guchar *)user, -1);
	g_checksum_update(ck, (const guchar *)":", 1);
	g_checksum_update(ck, (const guchar *)realm, -1);
	g_checksum_update(ck, (const guchar *)":", 1);
	g_checksum_update(ck, (const guchar *)secret, -1);
	char *hex = g_strdup(g_checksum_get_string(ck));
	g_checksum_free(ck);
	return hex;
}

static gboolean fail(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static gboolean fail(GError **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, BW_CALL_ERROR, BW_CALL_ERROR_INVALID, msg);
	g_free(msg);
	return FALSE;
}

/* ---- calls, cdr ---- */

typedef struct { gint refs; GString *text; } calls_snap;

static void snap_unref(calls_snap *s)
{
	if (g_atomic_int_dec_and_test(&s->refs)) {
		g_string_free(s->text, TRUE);
		g_free(s);
	}
}

static void snap_fill(void *data)
{
	calls_snap *s = data;
	bw_calls_describe(s->text);
	snap_unref(s);
}

static gboolean cmd_calls(bw_ctl_reply *out, guint argc, const char *const *argv,
			  const char *actor, void *ud, GError **err)
{
	calls_snap *s = g_new0(calls_snap, 1);
	s->refs = 2;
	s->text = g_string_new(NULL);
	int rc = bw_sig_call_sync(snap_fill, s, 5000);
	if (rc) {
		if (rc != ETIMEDOUT)
			snap_unref(s);   /* fn was never queued */
		snap_unref(s);
		return fail(err, "calls: the signalling thread did not answer: %s", g_strerror(rc));
	}
	if (s->text->len)
		bw_ctl_printf(out, "%s", s->text->str);
	snap_unref(s);
	return TRUE;
}

static gboolean parse_count(const char *s, guint max, guint *out)
{
	guint64 v;
	if (!g_ascii_string_to_unsigned(s, 10, 1, max, &v, NULL))
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

static gboolean cmd_cdr(bw_ctl_reply *out, guint argc, const char *const *argv,
			const char *actor, void *ud, GError **err)
{
	guint n = 20;
	if (argc > 1 && !parse_count(argv[1], 1000, &n))
		return fail(err, "usage: cdr [N]: N must be a number from 1 to 1000, not \"%.32s\"",
			    argv[1]);
	GPtrArray *rows = bw_cdr_last(n, err);
	if (!rows)
		return FALSE;
	for (guint i = 0; i < rows->len; i++) {
		char **v = g_ptr_array_index(rows, i);
		/* start call_id caller callee disposition duration billsec secure cause */
		bw_ctl_printf(out, "%s %s %s -> %s %s duration=%s billsec=%s secure=%s cause=\"%s\"",
			      v[1], v[0], v[6], v[8][0] ? v[8] : v[9], v[11], v[4], v[5], v[14],
			      v[12]);
	}
	g_ptr_array_unref(rows);
	return TRUE;
}

/* ---- ext: reading and writing records ---- */

static bw_extension *ext_read(const char *number, gint64 *rev, GError **err)
{
	char *key = g_strconcat("ext/", number, NULL);
	GBytes *val = NULL;
	bw_extension *e = NULL;
	if (bw_store_get(ctl_store, key, &val, rev, err)) {
		e = bw_dir_parse_ext(number, g_bytes_get_data(val, NULL), g_bytes_get_size(val), err);
		if (!e)
			g_prefix_error(err, "stored record is invalid (fix or delete it): ");
		g_bytes_unref(val);
	} else if (g_error_matches(*err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND)) {
		g_clear_error(err);
		fail(err, "ext %s: no such extension", number);
	}
	g_free(key);
	return e;
}

static char *ext_json(const bw_extension *e)
{
	JsonBuilder *b = json_builder_new_immutable();
	json_builder_begin_object(b);
#define STR(k, v) if (v) { json_builder_set_member_name(b, k); json_builder_add_string_value(b, v); }
	STR("name", e->name);
	STR("sip_user", e->sip_user);
	STR("ha1_md5", e->ha1_md5);
	STR("ha1_sha256", e->ha1_sha256);
	STR("cor", e->cor);
	STR("cos", e->cos);
	STR("forward_always", e->forward_always);
	STR("forward_busy", e->forward_busy);
	STR("forward_noanswer", e->forward_noanswer);
#undef STR
	json_builder_set_member_name(b, "srtp");
	json_builder_add_string_value(b, bw_srtp_policy_name(e->srtp));
	json_builder_set_member_name(b, "max_contacts");
	json_builder_add_int_value(b, e->max_contacts);
	if (e->forward_noanswer_s && e->forward_noanswer_s != BW_EXT_FORWARD_NOANSWER_S) {
		json_builder_set_member_name(b, "forward_noanswer_s");
		json_builder_add_int_value(b, e->forward_noanswer_s);
	}
	json_builder_end_object(b);
	JsonNode *root = json_builder_get_root(b);
	char *s = json_to_string(root, FALSE);
	json_node_unref(root);
	g_object_unref(b);
	return s;
}

/* Validates the record as the directory will read it, then writes it. */
static gboolean ext_write(const bw_extension *e, gint64 expect, GError **err)
{
	char *json = ext_json(e);
	char *key = g_strconcat("ext/", e->number, NULL);
	bw_extension *check = bw_dir_parse_ext(e->number, json, strlen(json), err);
	gboolean ok = check && bw_store_put(ctl_store, key, json, strlen(json), expect, err) > 0;
	if (!ok && err && *err && g_error_matches(*err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT)) {
		g_clear_error(err);
		fail(err, "%s was changed by someone else meanwhile: nothing written, try again", key);
	}
	bw_extension_free(check);
	g_free(key);
	g_free(json);
	return ok;
}

static gboolean ext_audit(const char *actor, const char *action, const char *number,
			  const char *detail, GError **err)
{
	char *object = g_strconcat("ext/", number, NULL);
	gboolean ok = bw_audit_append(actor, action, object, detail, err) > 0;
	if (!ok)
		g_prefix_error(err, "%s %s done, but its audit record failed: ", action, object);
	g_free(object);
	return ok;
}

static gboolean set_secret(bw_extension *e, const char *secret, GError **err)
{
	const char *realm = bw_system_name();
	if (!realm || !*realm)
		return fail(err, "ext %s: no system name to use as the digest realm", e->number);
	gsize n = strlen(secret);
	if (n < 1 || n > SECRET_MAX)
		return fail(err, "ext %s: the secret must be 1 to %d bytes", e->number, SECRET_MAX);
	for (const char *p = secret; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return fail(err, "ext %s: the secret must not hold control characters",
				    e->number);
	g_free(e->ha1_md5);
	g_free(e->ha1_sha256);
	e->ha1_md5 = bw_digest_ha1(G_CHECKSUM_MD5, e->sip_user, realm, secret);
	e->ha1_sha256 = bw_digest_ha1(G_CHECKSUM_SHA256, e->sip_user, realm, secret);
	return TRUE;
}

/* ---- ext: options ---- */

typedef struct ext_opts {
	const char *secret;
	gboolean user_changed;
	GString *changed;          /* field names for the audit, never values */
} ext_opts;

static gboolean opt_text(bw_extension *e, char **field, const char *name, const char *v,
			 gboolean (*valid)(const char *), const char *rule, GError **err)
{
	if (valid && !valid(v))
		return fail(err, "ext %s: %s=\"%.64s\": %s", e->number, name, v, rule);
	g_free(*field);
	*field = *v ? g_strdup(v) : NULL;
	return TRUE;
}

static gboolean group_valid(const char *s)
{
	if (!*s)
		return TRUE;   /* empty clears it */
	for (const char *p = s; *p; p++)
		if (!g_ascii_isalnum(*p) && !strchr("-_.", *p))
			return FALSE;
	return strlen(s) <= BW_CALL_TEXT_MAX;
}

static gboolean name_valid(const char *s)
{
	if (strlen(s) > BW_CALL_NAME_MAX || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (const char *p = s; *p; p++)
		if ((guchar)*p < 0x20 || *p == 0x7f)
			return FALSE;
	return TRUE;
}

static gboolean forward_valid(const char *s) { return !*s || bw_dir_number_valid(s); }

/* forward-always=, forward-busy=, forward-noanswer= (empty clears),
 * forward-noanswer-s=; -1: not a forward option. */
static int apply_forward(bw_extension *e, const char *k, const char *v, GError **err)
{
	static const char *const rule = "a number of 1-32 digits, or empty to clear";
	if (g_str_equal(k, "forward-always"))
		return opt_text(e, &e->forward_always, k, v, forward_valid, rule, err);
	if (g_str_equal(k, "forward-busy"))
		return opt_text(e, &e->forward_busy, k, v, forward_valid, rule, err);
	if (g_str_equal(k, "forward-noanswer"))
		return opt_text(e, &e->forward_noanswer, k, v, forward_valid, rule, err);
	if (!g_str_equal(k, "forward-noanswer-s"))
		return -1;
	guint s = 0;
	if (parse_count(v, BW_EXT_FORWARD_NOANSWER_MAX, &s) && s >= BW_EXT_FORWARD_NOANSWER_MIN) {
		e->forward_noanswer_s = s;
		return TRUE;
	}
	return fail(err, "ext %s: forward-noanswer-s=\"%.32s\": seconds from %d to %d", e->number,
		    v, BW_EXT_FORWARD_NOANSWER_MIN, BW_EXT_FORWARD_NOANSWER_MAX);
}

static gboolean apply_one(bw_extension *e, const char *k, const char *v, ext_opts *o,
			  GError **err)
{
	int fw = apply_forward(e, k, v, err);
	if (fw >= 0)
		return fw;
	if (g_str_equal(k, "name"))
		return opt_text(e, &e->name, k, v, name_valid,
				"at most 128 bytes of UTF-8 text without control characters", err);
	if (g_str_equal(k, "cor"))
		return opt_text(e, &e->cor, k, v, group_valid, "1-64 of letters, digits, - _ .", err);
	if (g_str_equal(k, "cos"))
		return opt_text(e, &e->cos, k, v, group_valid, "1-64 of letters, digits, - _ .", err);
	if (g_str_equal(k, "user")) {
		o->user_changed = g_strcmp0(e->sip_user, v) != 0;
		return opt_text(e, &e->sip_user, k, v, bw_dir_user_valid,
				"1-64 SIP token characters (letters, digits, -.!%*_+`'~)", err);
	}
	if (g_str_equal(k, "srtp"))
		return bw_srtp_policy_parse(v, &e->srtp) ||
		       fail(err, "ext %s: srtp=\"%.32s\": use mandatory, optional or off", e->number, v);
	if (g_str_equal(k, "max-contacts"))
		return parse_count(v, BW_EXT_MAX_CONTACTS, &e->max_contacts) ||
		       fail(err, "ext %s: max-contacts=\"%.32s\": a number from 1 to %d", e->number,
			    v, BW_EXT_MAX_CONTACTS);
	return fail(err, "ext %s: unknown field \"%.32s\" (name, user, cor, cos, srtp, "
		    "max-contacts, forward-always, forward-busy, forward-noanswer, "
		    "forward-noanswer-s, secret)", e->number, k);
}

/* Arguments after the number: key=value, secret=..., a bare secret, or
 * "-" followed by the value bulwarkctl read from stdin. */
static gboolean apply_opts(bw_extension *e, guint argc, const char *const *argv,
			   gboolean secret_ok, ext_opts *o, GError **err)
{
	for (guint i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const char *secret = NULL;
		if (g_str_equal(a, "-")) {
			if (i + 1 >= argc)
				return fail(err, "ext %s: this bulwarkctl does not send stdin for ext "
					    "yet: give the secret as secret=... instead", e->number);
			secret = argv[++i];
		} else if (g_str_has_prefix(a, "secret=")) {
			secret = a + 7;
		} else if (!eq) {
			secret = a;
		}
		if (secret) {
			if (!secret_ok || o->secret)
				return fail(err, "ext %s: unexpected argument %u (a secret%s)", e->number,
					    i + 3, o->secret ? " was already given" : " is not taken here");
			o->secret = secret;
			continue;
		}
		char *k = g_strndup(a, (gsize)(eq - a));
		gboolean ok = apply_one(e, k, eq + 1, o, err);
		if (ok && !strstr(o->changed->str, k))
			g_string_append_printf(o->changed, "%s%s", o->changed->len ? "," : "", k);
		g_free(k);
		if (!ok)
			return FALSE;
	}
	return TRUE;
}

/* ---- ext: subcommands ---- */

static gboolean ext_list(bw_ctl_reply *out, GError **err)
{
	GPtrArray *recs = bw_store_list(ctl_store, "ext/", err);
	if (!recs)
		return FALSE;
	for (guint i = 0; i < recs->len; i++) {
		bw_record *r = g_ptr_array_index(recs, i);
		GError *perr = NULL;
		bw_extension *e = bw_dir_parse_ext(r->key + 4, g_bytes_get_data(r->value, NULL),
						   g_bytes_get_size(r->value), &perr);
		if (e)
			bw_ctl_printf(out, "%-8s user=%s srtp=%s cor=%s name=\"%s\"", e->number,
				      e->sip_user, bw_srtp_policy_name(e->srtp), e->cor ? e->cor : "",
				      e->name ? e->name : "");
		else
			bw_ctl_printf(out, "%-8s INVALID: %s", r->key + 4, perr->message);
		bw_extension_free(e);
		g_clear_error(&perr);
	}
	g_ptr_array_unref(recs);
	return TRUE;
}

static gboolean ext_show(bw_ctl_reply *out, const char *number, GError **err)
{
	gint64 rev = 0;
	bw_extension *e = ext_read(number, &rev, err);
	if (!e)
		return FALSE;
	bw_ctl_printf(out, "number: %s", e->number);
	bw_ctl_printf(out, "name: %s", e->name ? e->name : "");
	bw_ctl_printf(out, "user: %s", e->sip_user);
	bw_ctl_printf(out, "secret: %s", e->ha1_md5 || e->ha1_sha256 ? "set (HA1 only)" : "not set");
	bw_ctl_printf(out, "cor: %s", e->cor ? e->cor : "");
	bw_ctl_printf(out, "cos: %s", e->cos ? e->cos : "");
	bw_ctl_printf(out, "srtp: %s", bw_srtp_policy_name(e->srtp));
	bw_ctl_printf(out, "max-contacts: %u", e->max_contacts);
	bw_ctl_printf(out, "forward-always: %s", e->forward_always ? e->forward_always : "");
	bw_ctl_printf(out, "forward-busy: %s", e->forward_busy ? e->forward_busy : "");
	bw_ctl_printf(out, "forward-noanswer: %s", e->forward_noanswer ? e->forward_noanswer : "");
	bw_ctl_printf(out, "forward-noanswer-s: %u", e->forward_noanswer_s);
	bw_ctl_printf(out, "revision: %" G_GINT64_FORMAT, rev);
	bw_extension_free(e);
	return TRUE;
}

static gboolean ext_change(bw_ctl_reply *out, gboolean add, guint argc, const char *const *argv,
			   const char *actor, GError **err)
{
	const char *number = argv[2];
	gint64 rev = BW_STORE_ABSENT;
	bw_extension *e;
	if (!bw_dir_number_valid(number))
		return fail(err, "ext: number \"%.40s\": must be 1-32 digits", number);
	if (add) {
		e = g_new0(bw_extension, 1);
		e->number = g_strdup(number);
		e->sip_user = g_strdup(number);
		e->max_contacts = 1;
		e->forward_noanswer_s = BW_EXT_FORWARD_NOANSWER_S;
	} else if (!(e = ext_read(number, &rev, err))) {
		return FALSE;
	}
	ext_opts o = { .changed = g_string_new(NULL) };
	gboolean had_secret = e->ha1_md5 || e->ha1_sha256;
	gboolean ok = apply_opts(e, argc - 3, argv + 3, TRUE, &o, err);
	if (ok && o.user_changed && had_secret && !o.secret)
		ok = fail(err, "ext %s: the digest depends on the user name: give the secret again "
			  "with the new user (secret=...)", number);
	if (ok && o.secret && (ok = set_secret(e, o.secret, err)))
		g_string_append_printf(o.changed, "%ssecret", o.changed->len ? "," : "");
	if (ok)
		ok = ext_write(e, rev, err) &&
		     ext_audit(actor, add ? "ext.add" : "ext.set", number,
			       o.changed->len ? o.changed->str : NULL, err);
	if (ok)
		bw_ctl_printf(out, "ext %s %s", number, add ? "added" : "changed");
	g_string_free(o.changed, TRUE);
	bw_extension_free(e);
	return ok;
}

static gboolean ext_passwd(bw_ctl_reply *out, guint argc, const char *const *argv,
			   const char *actor, GError **err)
{
	if (argc < 4 || argc > 5 || (argc == 5 && !g_str_equal(argv[3], "-")))
		return fail(err, "usage: ext passwd NUMBER SECRET|-");
	gint64 rev = 0;
	bw_extension *e = ext_read(argv[2], &rev, err);
	if (!e)
		return FALSE;
	const char *secret = argc == 5 ? argv[4] : argv[3];
	gboolean ok = TRUE;
	if (argc == 4 && g_str_equal(secret, "-"))
		ok = fail(err, "ext %s: this bulwarkctl does not send stdin for ext yet: give the "
			  "secret as an argument", argv[2]);
	ok = ok && set_secret(e, secret, err) && ext_write(e, rev, err) &&
	     ext_audit(actor, "ext.passwd", argv[2], "secret", err);
	if (ok)
		bw_ctl_printf(out, "ext %s secret changed", argv[2]);
	bw_extension_free(e);
	return ok;
}

/* The self-service PIN the WebAdmin keeps for the extension goes with it,
 * after the extension so that a refused delete keeps both. None is fine. */
static void ext_pin_drop(const char *number)
{
	char *key = g_strconcat("extpin/", number, NULL);
	GError *err = NULL;
	if (bw_store_delete(ctl_store, key, BW_STORE_ANY, &err) <= 0 &&
	    !g_error_matches(err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND))
		g_warning("ctl: ext del: %s not deleted with its extension: %s", key, err->message);
	g_clear_error(&err);
	g_free(key);
}

static gboolean ext_del(bw_ctl_reply *out, const char *number, const char *actor, GError **err)
{
	gint64 rev = 0;
	char *key = g_strconcat("ext/", number, NULL);
	GBytes *val = NULL;
	gboolean ok = bw_dir_number_valid(number) || fail(err, "ext: number \"%.40s\": must be "
							  "1-32 digits", number);
	if (ok && !bw_store_get(ctl_store, key, &val, &rev, err)) {
		if (g_error_matches(*err, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND)) {
			g_clear_error(err);
			fail(err, "ext %s: no such extension", number);
		}
		ok = FALSE;
	}
	if (ok && bw_store_delete(ctl_store, key, rev, err) <= 0) {
		if (g_error_matches(*err, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT)) {
			g_clear_error(err);
			fail(err, "%s was changed meanwhile: not deleted, try again", key);
		}
		ok = FALSE;
	}
	if (ok)
		ext_pin_drop(number);
	ok = ok && ext_audit(actor, "ext.del", number, NULL, err);
	if (ok)
		bw_ctl_printf(out, "ext %s deleted", number);
	if (val)
		g_bytes_unref(val);
	g_free(key);
	return ok;
}

static gboolean cmd_ext(bw_ctl_reply *out, guint argc, const char *const *argv,
			const char *actor, void *ud, GError **err)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (g_str_equal(sub, "list") && argc == 2)
		return ext_list(out, err);
	if (g_str_equal(sub, "show") && argc == 3)
		return ext_show(out, argv[2], err);
	if ((g_str_equal(sub, "add") || g_str_equal(sub, "set")) && argc >= 3)
		return ext_change(out, g_str_equal(sub, "add"), argc, argv, actor, err);
	if (g_str_equal(sub, "passwd"))
		return ext_passwd(out, argc, argv, actor, err);
	if (g_str_equal(sub, "del") && argc == 3)
		return ext_del(out, argv[2], actor, err);
	return fail(err, "usage: ext list | show N | add N [name=..] [user=..] [cor=..] [cos=..] "
		    "[srtp=mandatory|optional|off] [max-contacts=N] [SECRET|secret=..|-] | "
		    "set N key=value... | passwd N SECRET|- | del N");
}

/* ---- registration ---- */

static const char *const cmd_names[] = { "calls", "cdr", "ext" };

void bw_callctl_start(bw_store *s)
{
	ctl_store = s;
	int rc = bw_ctl_command_add("calls", 1, 1, "calls", "active calls: id caller callee state age secure",
				    cmd_calls, NULL);
	rc = rc ? rc : bw_ctl_command_add("cdr", 1, 2, "cdr [N]", "the last N call records (20)",
					  cmd_cdr, NULL);
	rc = rc ? rc : bw_ctl_command_add("ext", 2, 16, "ext list|show|add|set|passwd|del ...",
					  "extensions: list, show, add, set, passwd, del",
					  cmd_ext, NULL);
	if (rc)
		g_warning("call engine: cannot add its control commands: %s", g_strerror(rc));
}

void bw_callctl_stop(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(cmd_names); i++)
		bw_ctl_command_remove(cmd_names[i]);
	ctl_store = NULL;
}

/* ---- the engine's start and stop ---- */

static guint cdr_keep_days(bw_store *s)
{
	GBytes *val = NULL;
	guint days = BW_CDR_KEEP_DEFAULT;
	if (!bw_store_get(s, "cdr/settings", &val, NULL, NULL))
		return days;
	JsonParser *p = json_parser_new_immutable();
	JsonNode *n;
	if (json_parser_load_from_data(p, g_bytes_get_data(val, NULL), (gssize)g_bytes_get_size(val),
				       NULL) &&
	    JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)) &&
	    (n = json_object_get_member(json_node_get_object(json_parser_get_root(p)), "keep_days")) &&
	    JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64 &&
	    json_node_get_int(n) >= 1 && json_node_get_int(n) <= BW_CDR_KEEP_MAX)
		days = (guint)json_node_get_int(n);
	else
		g_warning("cdr/settings: \"keep_days\" must be an integer from 1 to %d; using %u",
			  BW_CDR_KEEP_MAX, days);
	g_object_unref(p);
	g_bytes_unref(val);
	return days;
}

static void table_init(void *unused) { bw_calls_table_init(); }
static void table_fini(void *unused) { bw_calls_table_fini(); }

gboolean bw_calls_start_at(bw_store *s, const char *data_dir, GError **err)
{
	if (!bw_directory_start(s, err))
		return FALSE;
	char *path = g_build_filename(data_dir, "cdr.db", NULL);
	gboolean ok = bw_cdr_open(path, cdr_keep_days(s), err);
	g_free(path);
	int rc = ok ? bw_sig_call_sync(table_init, NULL, 5000) : 0;
	if (rc)
		ok = fail(err, "call engine: the signalling thread did not start it: %s",
			  g_strerror(rc));
	if (!ok) {
		bw_cdr_close();
		bw_directory_stop();
		return FALSE;
	}
	bw_callctl_start(s);
	return TRUE;
}

gboolean bw_calls_start(GError **err)
{
	bw_store *s = bw_store_system();
	const char *dir = bw_data_dir();
	if (!s || !dir) {
		g_set_error(err, BW_CALL_ERROR, BW_CALL_ERROR_STATE,
			    "call engine: the store and the data directory must be ready first");
		return FALSE;
	}
	return bw_calls_start_at(s, dir, err);
}

void bw_calls_stop(void)
{
	bw_callctl_stop();
	int rc = bw_sig_call_sync(table_fini, NULL, 5000);
	if (rc && rc != ESHUTDOWN)
		g_warning("call engine: ending the calls on stop: %s", g_strerror(rc));
	bw_cdr_close();
	bw_directory_stop();
}
