/* Alarm rules (event-table rows) from the store: strict JSON parsing with
 * bounded sizes, loading the whole table or nothing, the default rules
 * seeded once, and the alarm text rendered from a rule's template.
 * A rule lives at "alarm/rule/NAME" (alarmint.h, docs/alarms.md). */
#define G_LOG_DOMAIN "alarm"
#include "alarmint.h"
#include "storedb.h"
#include <json-glib/json-glib.h>
#include <string.h>

#define RULE_PREFIX        "alarm/rule/"
#define SEED_MARKER        "alarm/seeded"
#define RULE_NAME_MAX      64
#define RULE_GLOB_MAX      128
#define RULE_DEST_MAX      8
#define RULE_DEST_NAME_MAX 32
#define RULE_TEXT_MAX      512
#define RULE_FIELD_MAX     128     /* one substituted field */
#define ALARM_TEXT_MAX     512

static gboolean rule_fail(GError **err, const char *key, const char *field, const char *why)
{
	g_set_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID,
		    "alarm rule %s: field \"%s\": %s", key, field, why);
	return FALSE;
}

void bw_alarm_rule_free(bw_alarm_rule *r)
{
	if (!r)
		return;
	g_free(r->name);
	g_free(r->event);
	if (r->match)
		g_pattern_spec_free(r->match);
	g_strfreev(r->destinations);
	g_free(r->clear_event);
	if (r->clear_match)
		g_pattern_spec_free(r->clear_match);
	g_free(r->text);
	g_free(r);
}

static gboolean chars_ok(const char *s, gsize max, const char *extra, gboolean upper)
{
	gsize n = strlen(s);
	if (n == 0 || n > max)
		return FALSE;
	for (; *s; s++)
		if (!(g_ascii_islower(*s) || g_ascii_isdigit(*s) || (upper && g_ascii_isupper(*s))
		      || strchr(extra, *s)))
			return FALSE;
	return TRUE;
}

/* Event types are printable "area.name"; a glob adds '*' and '?'. */
static gboolean glob_ok(const char *s)
{
	return chars_ok(s, RULE_GLOB_MAX, "._-*?", TRUE);
}

static gboolean text_ok(const char *s)
{
	if (strlen(s) > RULE_TEXT_MAX || !g_utf8_validate(s, -1, NULL))
		return FALSE;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return FALSE;
	return TRUE;
}

static gboolean get_string(JsonNode *n, const char **out)
{
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return FALSE;
	*out = json_node_get_string(n);
	return *out != NULL;
}

static gboolean get_uint(JsonNode *n, guint min, guint max, guint *out)
{
	gint64 v;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return FALSE;
	v = json_node_get_int(n);
	if (v < min || v > max)
		return FALSE;
	*out = (guint)v;
	return TRUE;
}

static gboolean parse_globs(bw_alarm_rule *r, const char *key, const char *field,
			    JsonNode *n, GError **err)
{
	const char *s;
	gboolean clear = g_str_equal(field, "clear_event");

	if (!get_string(n, &s) || !glob_ok(s))
		return rule_fail(err, key, field, "want an event type or glob of 1-128 characters "
				 "[A-Za-z0-9._-*?]");
	if (g_str_has_prefix(s, "alarm."))
		return rule_fail(err, key, field, "alarm.* events are never matched (no feedback loops)");
	if (clear) {
		r->clear_event = g_strdup(s);
		r->clear_match = g_pattern_spec_new(s);
	} else {
		r->event = g_strdup(s);
		r->match = g_pattern_spec_new(s);
	}
	return TRUE;
}

static gboolean parse_destinations(bw_alarm_rule *r, const char *key, JsonNode *n, GError **err)
{
	JsonArray *a;
	guint len;

	if (!JSON_NODE_HOLDS_ARRAY(n) || (len = json_array_get_length(a = json_node_get_array(n))) > RULE_DEST_MAX)
		return rule_fail(err, key, "destinations", "want an array of at most 8 destination names");
	r->destinations = g_new0(char *, len + 1);
	for (guint i = 0; i < len; i++) {
		const char *d;
		if (!get_string(json_array_get_element(a, i), &d) || !chars_ok(d, RULE_DEST_NAME_MAX, "_-", FALSE))
			return rule_fail(err, key, "destinations",
					 "want names of 1-32 characters [a-z0-9_-] (snmp, email, tcp, syslog)");
		if (g_strv_contains((const char *const *)r->destinations, d))
			return rule_fail(err, key, "destinations", "a destination is named twice");
		r->destinations[i] = g_strdup(d);
	}
	return TRUE;
}

static gboolean parse_member(bw_alarm_rule *r, const char *key, const char *field,
			     JsonNode *n, GError **err)
{
	const char *s;

	if (g_str_equal(field, "event") || g_str_equal(field, "clear_event"))
		return parse_globs(r, key, field, n, err);
	if (g_str_equal(field, "count"))
		return get_uint(n, 1, BW_ALARM_RULE_MAX_COUNT, &r->count)
		       || rule_fail(err, key, field, "want an integer from 1 to 10000");
	if (g_str_equal(field, "period"))
		return get_uint(n, 1, BW_ALARM_RULE_MAX_PERIOD, &r->period)
		       || rule_fail(err, key, field, "want seconds from 1 to 604800");
	if (g_str_equal(field, "clear_after"))
		return get_uint(n, 0, 30 * 86400, &r->clear_after)
		       || rule_fail(err, key, field, "want seconds from 0 (never) to 2592000");
	if (g_str_equal(field, "severity"))
		return (get_string(n, &s) && bw_severity_parse(s, &r->severity)
			&& r->severity != BW_SEVERITY_CLEARED)
		       || rule_fail(err, key, field, "want critical, major, minor, warning or indeterminate");
	if (g_str_equal(field, "destinations"))
		return parse_destinations(r, key, n, err);
	if (g_str_equal(field, "text")) {
		if (!get_string(n, &s) || !text_ok(s))
			return rule_fail(err, key, field, "want one line of at most 512 bytes of UTF-8");
		r->text = g_strdup(s);
		return TRUE;
	}
	if (g_str_equal(field, "enabled")) {
		if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
			return rule_fail(err, key, field, "want true or false");
		r->enabled = json_node_get_boolean(n);
		return TRUE;
	}
	return rule_fail(err, key, field, "unknown field (known: event, count, period, severity, "
			 "destinations, clear_event, clear_after, text, enabled)");
}

static gboolean parse_object(bw_alarm_rule *r, const char *key, JsonObject *o, GError **err)
{
	GList *members = json_object_get_members(o);
	gboolean ok = TRUE;

	for (GList *l = members; l && ok; l = l->next) {
		char *field = g_strndup(l->data, 32);   /* bounded in messages */
		ok = parse_member(r, key, field, json_object_get_member(o, l->data), err);
		g_free(field);
	}
	g_list_free(members);
	if (ok && !r->event)
		return rule_fail(err, key, "event", "missing");
	return ok;
}

static JsonObject *parse_json(JsonParser *p, const char *key, const void *data, gsize len,
			      GError **err)
{
	GError *jerr = NULL;
	JsonNode *root;

	if (len > BW_ALARM_RULE_MAX_BYTES) {
		rule_fail(err, key, "(record)", "larger than 8192 bytes");
		return NULL;
	}
	if (!json_parser_load_from_data(p, data, (gssize)len, &jerr)) {
		g_set_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID,
			    "alarm rule %s: not valid JSON: %s", key, jerr->message);
		g_error_free(jerr);
		return NULL;
	}
	root = json_parser_get_root(p);
	if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
		rule_fail(err, key, "(record)", "want a JSON object");
		return NULL;
	}
	return json_node_get_object(root);
}

bw_alarm_rule *bw_alarm_rule_parse(const char *key, const void *data, gsize len, GError **err)
{
	const char *name = g_str_has_prefix(key, RULE_PREFIX) ? key + strlen(RULE_PREFIX) : "";
	JsonParser *p;
	JsonObject *o;
	bw_alarm_rule *r;

	if (!chars_ok(name, RULE_NAME_MAX, "._-", TRUE)) {
		g_set_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID,
			    "alarm rule %.300s: want the key alarm/rule/NAME, NAME 1-64 characters [A-Za-z0-9._-]",
			    key);
		return NULL;
	}
	p = json_parser_new_immutable();
	o = parse_json(p, key, data, len, err);
	r = g_new0(bw_alarm_rule, 1);
	r->name = g_strdup(name);
	r->count = 1;
	r->period = 60;
	r->severity = BW_SEVERITY_MAJOR;
	r->enabled = TRUE;
	if (!o || !parse_object(r, key, o, err)) {
		bw_alarm_rule_free(r);
		r = NULL;
	}
	g_object_unref(p);
	if (r && !r->destinations)
		r->destinations = g_new0(char *, 1);
	return r;
}

static gint rule_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp((*(bw_alarm_rule *const *)a)->name, (*(bw_alarm_rule *const *)b)->name);
}

GPtrArray *bw_alarm_rules_load(bw_store *s, GError **err)
{
	GPtrArray *recs = bw_store_list(s, RULE_PREFIX, err);
	GPtrArray *rules;

	if (!recs)
		return NULL;
	if (recs->len > BW_ALARM_MAX_RULES) {
		g_set_error(err, BW_ALARM_ERROR, BW_ALARM_ERROR_INVALID,
			    "alarm rules: %u records under %s, at most %d are allowed",
			    recs->len, RULE_PREFIX, BW_ALARM_MAX_RULES);
		g_ptr_array_unref(recs);
		return NULL;
	}
	rules = g_ptr_array_new_with_free_func((GDestroyNotify)bw_alarm_rule_free);
	for (guint i = 0; i < recs->len; i++) {
		bw_record *rec = g_ptr_array_index(recs, i);
		gsize len = 0;
		const void *d = rec->value ? g_bytes_get_data(rec->value, &len) : "";
		bw_alarm_rule *r = bw_alarm_rule_parse(rec->key, d, len, err);
		if (!r) {
			g_ptr_array_unref(rules);
			rules = NULL;
			break;
		}
		g_ptr_array_add(rules, r);
	}
	g_ptr_array_unref(recs);
	if (rules)
		g_ptr_array_sort(rules, rule_cmp);
	return rules;
}

/* ---- defaults ---- */

typedef struct {
	const char *name, *event;
	guint count, period;
	const char *severity, *clear_event;
	guint clear_after;
} default_rule;

static const default_rule defaults[] = {
	{ "sip-source-blocked", "sip.source.blocked", 1, 60, "major", "sip.source.unblocked", 0 },
	{ "webadmin-lockout", "webadmin.lockout", 1, 60, "major", NULL, 3600 },
	{ "cor-fraud-suspected", "cor.fraud.suspected", 1, 60, "critical", NULL, 3600 },
	{ "tls-certificate-expiring", "tls.certificate.expiring", 1, 60, "warning", NULL, 86400 },
	{ "module-failed", "module.failed", 1, 60, "major", "module.loaded", 0 },
	{ "trunk-down", "trunk.down", 1, 60, "major", "trunk.up", 0 },
	{ "backup-failed", "backup.failed", 1, 60, "major", "backup.done", 0 },
	{ "media-srtp-auth-failed", "media.srtp.auth_failed", 20, 60, "minor", NULL, 300 },
	{ "bus-dropped", "bus.dropped", 1, 60, "warning", NULL, 300 },
	{ "cdr-write-failed", "cdr.write.failed", 1, 60, "major", NULL, 3600 },
	{ "smtp-delivery-failed", "smtp.delivery.failed", 1, 60, "major", NULL, 3600 },
};

static char *default_json(const default_rule *d)
{
	GString *j = g_string_new(NULL);
	g_string_append_printf(j, "{\"event\": \"%s\", \"count\": %u, \"period\": %u, "
			       "\"severity\": \"%s\", \"destinations\": [\"snmp\", \"email\", \"syslog\"]",
			       d->event, d->count, d->period, d->severity);
	if (d->clear_event)
		g_string_append_printf(j, ", \"clear_event\": \"%s\"", d->clear_event);
	if (d->clear_after)
		g_string_append_printf(j, ", \"clear_after\": %u", d->clear_after);
	g_string_append(j, ", \"enabled\": true}");
	return g_string_free(j, FALSE);
}

static gboolean seed_one(bw_store *s, const char *key, const char *json, const char *detail,
			 GError **err)
{
	GError *e = NULL;
	if (bw_store_put(s, key, json, strlen(json), BW_STORE_ABSENT, &e) <= 0) {
		/* written by someone else meanwhile: theirs stays */
		if (g_error_matches(e, BW_STORE_ERROR, BW_STORE_ERROR_CONFLICT)) {
			g_error_free(e);
			return TRUE;
		}
		g_propagate_prefixed_error(err, e, "seeding %s: ", key);
		return FALSE;
	}
	return bw_audit_append_to(s, "system", "store.put", key, detail, err) > 0;
}

static gboolean seed_needed(bw_store *s, GError **err)
{
	GPtrArray *recs = bw_store_list(s, RULE_PREFIX, err);
	GError *e = NULL;
	gboolean none;

	if (!recs)
		return FALSE;
	none = recs->len == 0;
	g_ptr_array_unref(recs);
	if (!none)
		return FALSE;
	if (bw_store_get(s, SEED_MARKER, NULL, NULL, &e))
		return FALSE;
	if (!g_error_matches(e, BW_STORE_ERROR, BW_STORE_ERROR_NOT_FOUND)) {
		g_propagate_error(err, e);
		return FALSE;
	}
	g_error_free(e);
	return TRUE;
}

int bw_alarm_rules_seed(bw_store *s, GError **err)
{
	GError *e = NULL;
	int n = 0;

	if (!seed_needed(s, &e)) {
		if (!e)
			return 0;
		g_propagate_error(err, e);
		return -1;
	}
	for (gsize i = 0; i < G_N_ELEMENTS(defaults); i++, n++) {
		char *key = g_strconcat(RULE_PREFIX, defaults[i].name, NULL);
		char *json = default_json(&defaults[i]);
		gboolean ok = seed_one(s, key, json, "default alarm rule", err);
		g_free(key);
		g_free(json);
		if (!ok)
			return -1;
	}
	/* the marker keeps an administrator's "no rules at all" after a restart */
	if (!seed_one(s, SEED_MARKER, "{\"defaults\": 11}", "default alarm rules written", err))
		return -1;
	return n;
}

/* ---- text ---- */

/* One line of printable ASCII: the text goes to syslog, TCP and traps. */
static void append_clean(GString *out, const char *v, gsize max)
{
	for (gsize i = 0; v[i] && i < max; i++) {
		unsigned char c = (unsigned char)v[i];
		g_string_append_c(out, c < ' ' || c >= 0x7f ? '?' : (char)c);
	}
}

static const char *template_field(const char *p, char *name, gsize cap)
{
	gsize n = 0;
	for (p++; *p && *p != '}' && n + 1 < cap; p++) {
		if (!g_ascii_isalnum(*p) && !strchr("._-", *p))
			return NULL;
		name[n++] = *p;
	}
	name[n] = '\0';
	return *p == '}' && n > 0 ? p : NULL;
}

static void render_template(GString *out, const char *t, const bw_event *ev)
{
	char name[RULE_NAME_MAX + 1];

	for (const char *p = t; *p && out->len < ALARM_TEXT_MAX; p++) {
		const char *end = *p == '{' ? template_field(p, name, sizeof name) : NULL;
		if (!end) {
			append_clean(out, (char[]){ *p, 0 }, 1);
			continue;
		}
		const char *v = bw_event_get(ev, name);
		append_clean(out, v ? v : "-", RULE_FIELD_MAX);
		p = end;
	}
}

char *bw_alarm_rule_text(const bw_alarm_rule *r, const bw_event *ev)
{
	GString *out = g_string_new(NULL);

	if (r->text) {
		render_template(out, r->text, ev);
	} else {
		append_clean(out, bw_event_type(ev), RULE_GLOB_MAX);
		for (guint i = 0; i < bw_event_nfields(ev) && out->len < ALARM_TEXT_MAX; i++) {
			g_string_append_c(out, ' ');
			append_clean(out, bw_event_key(ev, i), RULE_FIELD_MAX);
			g_string_append_c(out, '=');
			append_clean(out, bw_event_value(ev, i), RULE_FIELD_MAX);
		}
	}
	if (out->len > ALARM_TEXT_MAX)
		g_string_truncate(out, ALARM_TEXT_MAX);
	return g_string_free(out, FALSE);
}

void bw_alarm_rule_describe(const bw_alarm_rule *r, GString *out)
{
	char *dests = g_strjoinv(",", r->destinations);
	g_string_append_printf(out, "%s event=%s count=%u period=%us severity=%s destinations=%s",
			       r->name, r->event, r->count, r->period, bw_severity_name(r->severity),
			       *dests ? dests : "-");
	if (r->clear_event)
		g_string_append_printf(out, " clear_event=%s", r->clear_event);
	if (r->clear_after)
		g_string_append_printf(out, " clear_after=%us", r->clear_after);
	g_string_append_printf(out, " enabled=%s", r->enabled ? "yes" : "no");
	if (r->text)
		g_string_append_printf(out, " text=\"%s\"", r->text);
	g_string_append_c(out, '\n');
	g_free(dests);
}
