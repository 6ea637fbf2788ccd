/* Logging (tlsctx.h): one GLib structured writer for the whole process.
 *
 * Contract: every line is "TIME LEVEL [domain] message" on stderr (or the
 * fd set by bw_log_set_fd), coloured only on a terminal; anything below
 * the level of its domain (bw_log_set_domain_level, else the default of
 * bw_log_setup) is dropped. Control characters are escaped so that text
 * from the network cannot forge log lines. Safe from any thread. */
#include "tlsctx.h"
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MAX_MESSAGE 8192     /* longer messages are cut, and say so */

typedef struct {
	const char *name;
	GLogLevelFlags flag;
	const char *label;
	const char *colour;
} bw_log_level;

/* Ordered from the most to the least severe: a rank is an index here. */
static const bw_log_level bw_log_levels[] = {
	{ "error", G_LOG_LEVEL_ERROR, "ERROR", "\033[1;31m" },
	{ "critical", G_LOG_LEVEL_CRITICAL, "CRITICAL", "\033[1;35m" },
	{ "warning", G_LOG_LEVEL_WARNING, "WARNING", "\033[1;33m" },
	{ "message", G_LOG_LEVEL_MESSAGE, "MESSAGE", "\033[1;32m" },
	{ "info", G_LOG_LEVEL_INFO, "INFO", "\033[32m" },
	{ "debug", G_LOG_LEVEL_DEBUG, "DEBUG", "\033[34m" },
};
#define LOG_RANK_MESSAGE 3
#define LOG_RANK_INFO 4

static GRWLock levels_lock;
static GHashTable *domain_ranks;         /* domain -> rank + 1, under levels_lock */
static gint default_rank = LOG_RANK_INFO;
static gint out_fd = 2;
static gint use_colour;
static GMutex write_lock;                /* keeps lines whole across threads */

static int bw_log_rank_of_name(const char *name)
{
	for (guint i = 0; name && i < G_N_ELEMENTS(bw_log_levels); i++)
		if (g_ascii_strcasecmp(name, bw_log_levels[i].name) == 0)
			return (int)i;
	return -1;
}

static int bw_log_rank_of_flags(GLogLevelFlags flags)
{
	for (guint i = 0; i < G_N_ELEMENTS(bw_log_levels); i++)
		if (flags & bw_log_levels[i].flag)
			return (int)i;
	return LOG_RANK_MESSAGE;   /* user-defined levels */
}

gboolean bw_log_level_valid(const char *level)
{
	return bw_log_rank_of_name(level) >= 0;
}

/* The level of domain: its own, else that of its parent ("sip" for
 * "sip.tls"), else the default. */
static int bw_log_min_rank(const char *domain)
{
	int rank = -1;
	g_rw_lock_reader_lock(&levels_lock);
	if (domain && domain_ranks) {
		char *d = g_strdup(domain);
		while (rank < 0) {
			gpointer v = g_hash_table_lookup(domain_ranks, d);
			if (v) {
				rank = GPOINTER_TO_INT(v) - 1;
				break;
			}
			char *dot = strrchr(d, '.');
			if (!dot)
				break;
			*dot = '\0';
		}
		g_free(d);
	}
	g_rw_lock_reader_unlock(&levels_lock);
	return rank >= 0 ? rank : g_atomic_int_get(&default_rank);
}

static void bw_log_append_escaped(GString *s, const char *text, gsize len)
{
	gsize n = MIN(len, (gsize)LOG_MAX_MESSAGE);
	for (gsize i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n')
			g_string_append(s, "\\n");
		else if (c == '\r')
			g_string_append(s, "\\r");
		else if ((c < 0x20 && c != '\t') || c == 0x7f)
			g_string_append_printf(s, "\\x%02x", c);
		else
			g_string_append_c(s, (char)c);
	}
	if (len > n)
		g_string_append_printf(s, "... [%" G_GSIZE_FORMAT " bytes cut]", len - n);
}

static void bw_log_append_time(GString *s)
{
	gint64 now = g_get_real_time();
	time_t t = (time_t)(now / G_USEC_PER_SEC);
	struct tm tm;
	char buf[32];
	if (localtime_r(&t, &tm) && strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm) > 0)
		g_string_append_printf(s, "%s.%03d ", buf, (int)(now % G_USEC_PER_SEC / 1000));
	else
		g_string_append(s, "? ");
}

static void bw_log_write_all(int fd, const char *buf, gsize len)
{
	g_mutex_lock(&write_lock);
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;   /* nowhere left to report a failing log */
		buf += n;
		len -= (gsize)n;
	}
	g_mutex_unlock(&write_lock);
}

static gsize bw_log_field_len(const GLogField *f)
{
	return f->length < 0 ? strlen(f->value) : (gsize)f->length;
}

static GLogWriterOutput bw_log_writer(GLogLevelFlags flags, const GLogField *fields,
				      gsize n_fields, gpointer unused)
{
	const GLogField *domain = NULL, *message = NULL;
	for (gsize i = 0; i < n_fields; i++) {
		if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
			domain = &fields[i];
		else if (strcmp(fields[i].key, "MESSAGE") == 0)
			message = &fields[i];
	}
	char *dom = domain && domain->value ? g_strndup(domain->value, bw_log_field_len(domain)) : NULL;
	int rank = bw_log_rank_of_flags(flags);
	if (rank > bw_log_min_rank(dom)) {
		g_free(dom);
		return G_LOG_WRITER_HANDLED;
	}
	const bw_log_level *lv = &bw_log_levels[rank];
	gboolean colour = g_atomic_int_get(&use_colour);
	GString *line = g_string_sized_new(128);
	bw_log_append_time(line);
	g_string_append_printf(line, "%s%s%s [", colour ? lv->colour : "", lv->label,
			       colour ? "\033[0m" : "");
	bw_log_append_escaped(line, dom ? dom : "main", dom ? strlen(dom) : 4);
	g_string_append(line, "] ");
	if (message && message->value)
		bw_log_append_escaped(line, message->value, bw_log_field_len(message));
	g_string_append_c(line, '\n');
	bw_log_write_all(g_atomic_int_get(&out_fd), line->str, line->len);
	g_string_free(line, TRUE);
	g_free(dom);
	return G_LOG_WRITER_HANDLED;
}

void bw_log_set_fd(int fd)
{
	g_atomic_int_set(&out_fd, fd);
	g_atomic_int_set(&use_colour, g_log_writer_supports_color(fd) ? 1 : 0);
}

void bw_log_setup(const char *default_level)
{
	static gsize installed;
	if (g_once_init_enter(&installed)) {
		/* GLib allows one writer per process: later calls only change levels */
		bw_log_set_fd(g_atomic_int_get(&out_fd));
		g_log_set_writer_func(bw_log_writer, NULL, NULL);
		g_once_init_leave(&installed, 1);
	}
	int rank = bw_log_rank_of_name(default_level ? default_level : "info");
	g_atomic_int_set(&default_rank, rank >= 0 ? rank : LOG_RANK_INFO);
	if (rank < 0)
		g_log("log", G_LOG_LEVEL_WARNING, "unknown log level \"%s\" (expected error, critical, "
		      "warning, message, info or debug): using info", default_level);
}

void bw_log_set_domain_level(const char *domain, const char *level)
{
	int rank = level ? bw_log_rank_of_name(level) : -1;
	if (!domain || (level && rank < 0)) {
		g_log("log", G_LOG_LEVEL_WARNING, "log level \"%s\" for domain %s ignored: expected "
		      "error, critical, warning, message, info or debug", level ? level : "(none)",
		      domain ? domain : "(none)");
		return;
	}
	g_rw_lock_writer_lock(&levels_lock);
	if (!domain_ranks)
		domain_ranks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	if (level)
		g_hash_table_insert(domain_ranks, g_strdup(domain), GINT_TO_POINTER(rank + 1));
	else
		g_hash_table_remove(domain_ranks, domain);
	g_rw_lock_writer_unlock(&levels_lock);
}
