/* Internals of the snmp module, shared by its files.
 *
 * Threads: the module's callbacks, the alarm sink and the snapshot timer
 * run on the management thread; everything that touches net-snmp (which
 * has global, unlocked state) runs on the agent thread. They meet in two
 * places only: the snapshot (snmpsnap.c, an immutable refcounted value
 * swapped under a mutex) and the trap queue (snmpagent.c). */
#ifndef BW_SNMPINT_H
#define BW_SNMPINT_H

#include <glib.h>
#include <bulwark/bulwark.h>

/* GError domain of this module; codes are errno values */
#define SNMP_ERROR g_quark_from_static_string("bw-snmp")

#define SNMP_PASSPHRASE_MIN 8
#define SNMP_ENGINE_ID_MAX 32
#define SNMP_TEXT_MAX 255            /* DisplayString */
#define SNMP_ALARM_ROWS_MAX 1000     /* bwAlarmTable rows served */
#define SNMP_MODULE_ROWS_MAX 4096    /* bwModuleIndex (1..4096) */
#define SNMP_TRAP_QUEUE_MAX 256      /* alarms waiting for the agent */

/* ---- configuration (snmpconf.c) ---- */

typedef enum { SNMP_MODE_MASTER, SNMP_MODE_AGENTX } snmp_mode;
typedef enum { SNMP_TRAP_V1, SNMP_TRAP_V2C, SNMP_TRAP_V3 } snmp_trap_version;

typedef struct {
	char *name;
	char *source;          /* "127.0.0.1/32", "default" for any */
} snmp_community;

typedef struct {
	char *name;
	char *auth_pass;       /* SHA; secret, never logged */
	char *priv_pass;       /* AES; secret, never logged */
} snmp_user;

typedef struct {
	snmp_trap_version version;
	char *address;         /* as configured: "host:port" */
	char *peer;            /* net-snmp form: "udp:host:port" */
	char *community;       /* v1, v2c */
	const snmp_user *user; /* v3; points into conf->users */
} snmp_receiver;

typedef struct snmp_conf {
	snmp_mode mode;
	char *listen;          /* as configured, for bw_listener_announce */
	char *listen_spec;     /* net-snmp form: "udp:0.0.0.0:161" */
	char *agentx_socket;
	char *engine_id_hex;   /* optional override, no 0x */
	char *dir;             /* DATA_DIR/snmp */
	GPtrArray *communities;  /* snmp_community* */
	GPtrArray *users;        /* snmp_user* */
	GPtrArray *receivers;    /* snmp_receiver* */
} snmp_conf;

snmp_conf *snmp_conf_parse(const bw_conf_node *n, const char *data_dir, GError **err);
void snmp_conf_free(snmp_conf *c);
/* "host:port" or "[v6]:port" -> "udp:host:port" / "udp6:[v6]:port" */
char *snmp_conf_udp_spec(const char *addr, guint16 def_port, GError **err);

/* ---- engine identity (snmpengine.c) ---- */

typedef struct {
	guint8 id[SNMP_ENGINE_ID_MAX];
	gsize  len;
	gint64 boots;          /* the value this start uses */
} snmp_engine;

/* The engine ID derived from the system name (format 5, octets). */
void snmp_engine_derive(const char *system_name, snmp_engine *e);
/* Read DATA_DIR/snmp/engine (or derive and create it), bump the boot
 * counter and write it back. override_hex wins over the file. */
gboolean snmp_engine_load(const char *dir, const char *system_name,
			  const char *override_hex, snmp_engine *e, GError **err);
char *snmp_engine_hex(const snmp_engine *e);

/* ---- snapshot of loader and alarm state (snmpsnap.c) ---- */

typedef struct {
	guint index;
	char *name, *version, *state;
} snmp_module_row;

typedef struct {
	guint32 id;
	char   *rule, *event, *text;
	int     severity;
	guint32 count;
	gint64  raised;        /* g_get_real_time() */
} snmp_alarm_row;

typedef struct {
	GPtrArray *modules;    /* snmp_module_row* */
	GPtrArray *alarms;     /* snmp_alarm_row*, id ascending */
} snmp_snap;

void       snmp_snap_refresh(void);       /* management thread */
snmp_snap *snmp_snap_get(void);           /* any thread; unref after */
void       snmp_snap_unref(snmp_snap *s);
void       snmp_snap_clear(void);         /* at stop */

/* A copy of a bw_alarm the agent thread owns. */
snmp_alarm_row *snmp_alarm_row_copy(const bw_alarm *a);
void snmp_alarm_row_free(gpointer p);
/* at most SNMP_TEXT_MAX bytes, cut at a character boundary */
char *snmp_text_dup(const char *s);

/* metrics by name, absent ones read 0 (snmpsnap.c) */

gint64 snmp_metric(const char *name);

/* ---- the agent thread (snmpagent.c) ---- */

typedef struct snmp_agent snmp_agent;

snmp_agent *snmp_agent_start(const snmp_conf *c, const snmp_engine *e, GError **err);
/* Queue a trap for every receiver; takes the row; any thread. */
void snmp_agent_trap(snmp_agent *a, snmp_alarm_row *row, gboolean raised);
void snmp_agent_stop(snmp_agent *a);

/* ---- MIB handlers and traps (snmpmib.c, snmptrap.c; agent thread) ---- */

int  snmp_mib_register(void);
void snmp_mib_release(void);

typedef struct snmp_traps snmp_traps;
snmp_traps *snmp_traps_open(const snmp_conf *c, const snmp_engine *e, GError **err);
void snmp_traps_send(snmp_traps *t, const snmp_alarm_row *row, gboolean raised);
void snmp_traps_close(snmp_traps *t);

#endif
