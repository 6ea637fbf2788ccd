/* The agent thread: net-snmp's whole life (init, requests, traps,
 * shutdown) happens here, since the library keeps global unlocked state.
 * Start waits for the thread to report whether init worked; stop writes
 * to the wake-up pipe and joins. The thread never waits for the
 * management loop, so stop cannot deadlock.
 *
 * net-snmp is told to read no configuration file (/etc/snmp, ~/.snmp),
 * no MIB file, to load and save no persistent state, to keep what it must
 * create in DATA_DIR/snmp, and not to use SIGALRM. Access control is set
 * from our configuration through netsnmp_config() lines: communities
 * are granted to v2c only, so SNMPv1 requests find no access (v1 cannot
 * be switched off in the library: our v1 traps need it). The agent opens
 * only the configured UDP address (SMUX is switched off) or the AgentX
 * connection.
 *
 * net-snmp 5.9 cannot be initialised a second time in one process after
 * snmp_shutdown() (its pre-MIB configuration handlers are gone). Reload
 * works when unloading the module unloads libnetsnmp too (the usual
 * case); if the library stayed loaded we refuse to start rather than
 * run a half-configured agent (a flag in net-snmp's own store remembers). */
#define G_LOG_DOMAIN "snmp"
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include "snmpint.h"

#define SNMP_APP "bulwark"
/* our mark in net-snmp's store; it survives snmp_shutdown() */
#define SNMP_DS_INITIALISED 47
#define SNMP_LOOP_MAX_WAIT_S 1

void init_vacm_conf(void);   /* libnetsnmpmibs, no public header */

typedef struct {
	snmp_alarm_row *row;
	gboolean raised;
} trap_item;

struct snmp_agent {
	GThread *thread;
	const snmp_conf *conf;     /* the module's, outlives the thread */
	snmp_engine engine;
	int wake[2];
	gint stopping;
	/* start handshake */
	GMutex lock;
	GCond cond;
	int init_rc;               /* -1 pending, 0 ok, errno */
	char *init_error;
	/* traps, under lock */
	GQueue traps;
	guint64 traps_dropped;
	/* agent thread only */
	snmp_traps *senders;
	char *last_log;
};

/* the one agent whose log callback runs (net-snmp has one log) */
static snmp_agent *log_agent;

static void trap_item_free(gpointer p)
{
	trap_item *t = p;
	snmp_alarm_row_free(t->row);
	g_free(t);
}

/* Secrets could appear in a message that quotes a configuration line. */
static char *scrub(const snmp_agent *a, const char *msg)
{
	GString *s = g_string_new(msg);

	for (guint i = 0; i < a->conf->users->len; i++) {
		const snmp_user *u = g_ptr_array_index(a->conf->users, i);
		g_string_replace(s, u->auth_pass, "***", 0);
		g_string_replace(s, u->priv_pass, "***", 0);
	}
	for (guint i = 0; i < a->conf->communities->len; i++) {
		const snmp_community *c = g_ptr_array_index(a->conf->communities, i);
		if (strlen(c->name) >= 4)   /* shorter ones would mangle words */
			g_string_replace(s, c->name, "***", 0);
	}
	while (s->len && (s->str[s->len - 1] == '\n' || s->str[s->len - 1] == '\r'))
		g_string_truncate(s, s->len - 1);
	return g_string_free(s, FALSE);
}

static int log_cb(int major, int minor, void *arg, void *client)
{
	const struct snmp_log_message *m = arg;
	snmp_agent *a = log_agent;
	g_autofree char *text = NULL;

	(void)major; (void)minor; (void)client;
	if (a == NULL || m == NULL || m->msg == NULL)
		return 0;
	text = scrub(a, m->msg);
	if (m->priority <= LOG_WARNING) {
		g_warning("net-snmp: %s", text);
		g_free(a->last_log);
		a->last_log = g_strdup(text);
	} else if (m->priority <= LOG_NOTICE) {
		g_message("net-snmp: %s", text);
	} else {
		g_debug("net-snmp: %s", text);
	}
	return 0;
}

static void config_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void config_line(const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	netsnmp_config(line);   /* parsed now or remembered for init_snmp */
	memset(line, 0, strlen(line));
	g_free(line);
}

static void set_library_defaults(snmp_agent *a)
{
	g_autofree char *nomibs = g_build_filename(a->conf->dir, "no-mibs", NULL);

	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, a->conf->dir);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, a->conf->dir);
	/* a directory that does not exist: no MIB file is read */
	netsnmp_set_mib_directory(nomibs);
	config_line("mibs :");
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_cb, NULL);
	snmp_enable_calllog();
}

static void set_engine(snmp_agent *a)
{
	g_autofree char *hex = snmp_engine_hex(&a->engine);

	config_line("exactEngineID 0x%s", hex);
	/* net-snmp counts this start itself: it uses the value + 1 */
	config_line("engineBoots %" G_GINT64_FORMAT, a->engine.boots - 1);
}

/* v2c communities (read-only, from their source only) and v3 users
 * (authPriv only), all seeing our enterprise subtree and nothing else. */
static void set_access(snmp_agent *a)
{
	const snmp_conf *c = a->conf;

	config_line("view bwView included .1.3.6.1.4.1.62014");
	for (guint i = 0; i < c->communities->len; i++) {
		const snmp_community *co = g_ptr_array_index(c->communities, i);
		config_line("com2sec bwCom%u %s \"%s\"", i, co->source, co->name);
		config_line("group bwComGroup%u v2c bwCom%u", i, i);
		config_line("access bwComGroup%u \"\" v2c noauth exact bwView none none", i);
	}
	for (guint i = 0; i < c->users->len; i++) {
		const snmp_user *u = g_ptr_array_index(c->users, i);
		config_line("createUser \"%s\" SHA \"%s\" AES \"%s\"", u->name,
			    u->auth_pass, u->priv_pass);
		config_line("group bwUserGroup%u usm \"%s\"", i, u->name);
		config_line("access bwUserGroup%u \"\" usm priv exact bwView none none", i);
	}
}

static int agent_init(snmp_agent *a, GError **err)
{
	const snmp_conf *c = a->conf;
	gboolean master = c->mode == SNMP_MODE_MASTER;

	if (netsnmp_ds_get_boolean(NETSNMP_DS_TOKEN_ID, SNMP_DS_INITIALISED)) {
		g_set_error(err, SNMP_ERROR, EINVAL, "net-snmp was already "
			    "initialised once in this process and cannot be initialised "
			    "again; restart bulwarkd to restart the SNMP agent");
		return EALREADY;
	}
	netsnmp_ds_set_boolean(NETSNMP_DS_TOKEN_ID, SNMP_DS_INITIALISED, 1);
	set_library_defaults(a);
	if (master) {
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS,
				      c->listen_spec);
	} else {
		/* a boolean in net-snmp's store: 1 = subagent */
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
				      c->agentx_socket);
		netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
				   NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 5);
	}
	/* no SMUX listener (TCP 199 on every address): we open no other port */
	add_to_init_list((char *)"-smux");
	init_agent(SNMP_APP);
	if (master)
		init_vacm_conf();    /* after init_agent(): before, it crashes */
	set_engine(a);
	if (master)
		set_access(a);
	if (snmp_mib_register() != 0) {
		g_set_error(err, SNMP_ERROR, EINVAL,
			    "cannot register the BULWARK-MIB handlers");
		return EINVAL;
	}
	init_snmp(SNMP_APP);
	if (master && init_master_agent() != 0) {
		g_set_error(err, SNMP_ERROR, EADDRINUSE,
			    "cannot listen on %s (address in use, not local, or a port "
			    "below 1024 without the privilege): %s", c->listen,
			    a->last_log ? a->last_log : "no detail from net-snmp");
		return EADDRINUSE;
	}
	a->senders = snmp_traps_open(c, &a->engine, err);
	return a->senders ? 0 : EINVAL;
}

static void agent_shutdown(snmp_agent *a)
{
	snmp_traps_close(a->senders);
	a->senders = NULL;
	snmp_shutdown(SNMP_APP);
	if (a->conf->mode == SNMP_MODE_MASTER)
		shutdown_master_agent();
	shutdown_agent();
	snmp_mib_release();
}

static void drain_wake(snmp_agent *a)
{
	char buf[64];
	while (read(a->wake[0], buf, sizeof buf) > 0)
		;
}

static void send_queued(snmp_agent *a)
{
	for (;;) {
		trap_item *t;

		g_mutex_lock(&a->lock);
		t = g_queue_pop_head(&a->traps);
		g_mutex_unlock(&a->lock);
		if (t == NULL)
			return;
		snmp_traps_send(a->senders, t->row, t->raised);
		trap_item_free(t);
	}
}

static void loop_once(snmp_agent *a)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = { SNMP_LOOP_MAX_WAIT_S, 0 };
	int nfds = 0, block = 1, rc;

	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_ZERO(&fds);
	snmp_select_info2(&nfds, &fds, &tv, &block);
	if (block || tv.tv_sec >= SNMP_LOOP_MAX_WAIT_S)
		tv = (struct timeval){ SNMP_LOOP_MAX_WAIT_S, 0 };
	netsnmp_large_fd_setfd(a->wake[0], &fds);
	nfds = MAX(nfds, a->wake[0] + 1);
	rc = netsnmp_large_fd_set_select(nfds, &fds, NULL, NULL, &tv);
	if (rc > 0) {
		if (netsnmp_large_fd_is_set(a->wake[0], &fds)) {
			drain_wake(a);
			netsnmp_large_fd_clr(a->wake[0], &fds);
			rc--;
		}
		if (rc > 0)
			snmp_read2(&fds);
	} else if (rc == 0) {
		snmp_timeout();
	}
	netsnmp_large_fd_set_cleanup(&fds);
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	send_queued(a);
}

static void report_init(snmp_agent *a, int rc, GError *err)
{
	g_mutex_lock(&a->lock);
	a->init_rc = rc;
	a->init_error = err ? g_strdup(err->message) : NULL;
	g_cond_signal(&a->cond);
	g_mutex_unlock(&a->lock);
}

static gpointer agent_main(gpointer data)
{
	snmp_agent *a = data;
	GError *err = NULL;
	int rc;

	log_agent = a;
	rc = agent_init(a, &err);
	report_init(a, rc, err);
	g_clear_error(&err);
	while (rc == 0 && !g_atomic_int_get(&a->stopping))
		loop_once(a);
	if (rc != EALREADY)
		agent_shutdown(a);
	log_agent = NULL;
	return NULL;
}

static void agent_free(snmp_agent *a)
{
	if (a->wake[0] >= 0)
		close(a->wake[0]);
	if (a->wake[1] >= 0)
		close(a->wake[1]);
	g_queue_clear_full(&a->traps, trap_item_free);
	g_mutex_clear(&a->lock);
	g_cond_clear(&a->cond);
	g_free(a->init_error);
	g_free(a->last_log);
	g_free(a);
}

snmp_agent *snmp_agent_start(const snmp_conf *c, const snmp_engine *e, GError **err)
{
	snmp_agent *a = g_new0(snmp_agent, 1);
	int rc;

	a->conf = c;
	a->engine = *e;
	a->init_rc = -1;
	a->wake[0] = a->wake[1] = -1;
	g_mutex_init(&a->lock);
	g_cond_init(&a->cond);
	g_queue_init(&a->traps);
	if (!g_unix_open_pipe(a->wake, FD_CLOEXEC, err) ||
	    !g_unix_set_fd_nonblocking(a->wake[0], TRUE, err) ||
	    !g_unix_set_fd_nonblocking(a->wake[1], TRUE, err)) {
		agent_free(a);
		return NULL;
	}
	a->thread = g_thread_new("snmp-agent", agent_main, a);
	g_mutex_lock(&a->lock);
	while (a->init_rc < 0)
		g_cond_wait(&a->cond, &a->lock);
	rc = a->init_rc;
	g_mutex_unlock(&a->lock);
	if (rc != 0) {
		g_set_error(err, SNMP_ERROR, rc, "%s",
			    a->init_error ? a->init_error : g_strerror(rc));
		g_thread_join(a->thread);
		agent_free(a);
		return NULL;
	}
	return a;
}

static void wake(snmp_agent *a)
{
	/* a full pipe already means "wake up": EAGAIN is fine */
	if (write(a->wake[1], "x", 1) < 0 && errno != EAGAIN)
		g_warning("snmp: cannot wake the agent thread: %s", g_strerror(errno));
}

void snmp_agent_trap(snmp_agent *a, snmp_alarm_row *row, gboolean raised)
{
	trap_item *t = g_new0(trap_item, 1);
	trap_item *dropped = NULL;

	t->row = row;
	t->raised = raised;
	g_mutex_lock(&a->lock);
	g_queue_push_tail(&a->traps, t);
	if (a->traps.length > SNMP_TRAP_QUEUE_MAX) {
		dropped = g_queue_pop_head(&a->traps);
		a->traps_dropped++;
	}
	g_mutex_unlock(&a->lock);
	if (dropped != NULL) {
		g_warning("snmp: trap queue full (%d): dropped the trap for alarm %u",
			  SNMP_TRAP_QUEUE_MAX, dropped->row->id);
		trap_item_free(dropped);
	}
	wake(a);
}

void snmp_agent_stop(snmp_agent *a)
{
	if (a == NULL)
		return;
	g_atomic_int_set(&a->stopping, 1);
	wake(a);
	g_thread_join(a->thread);
	agent_free(a);
}
