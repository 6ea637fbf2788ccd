/* Alarm traps to the configured receivers, on the agent thread: one
 * net-snmp session per <trap-receiver>, opened at agent start.
 *   v1:  Trap-PDU, enterprise bulwarkMIB (1.3.6.1.4.1.62014), generic 6,
 *        specific 1 (raised) or 2 (cleared)  -- RFC 3584 mapping
 *   v2c: SNMPv2-Trap-PDU bwAlarmRaised / bwAlarmCleared
 *   v3:  the same, authPriv (SHA/AES) as the <user>, with our engine ID
 *        as the authoritative (sending) engine.
 * Variable bindings: bwAlarmId, bwAlarmSeverity, bwAlarmRule, bwAlarmText,
 * each with the alarm id as instance. Sending is fire and forget (UDP);
 * a failure is logged with the receiver's address, never a credential. */
#define G_LOG_DOMAIN "snmp"
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <string.h>
#include "snmpint.h"

static const oid bw_enterprise[] = { 1, 3, 6, 1, 4, 1, 62014 };
static const oid sysuptime_oid[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid trapoid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

struct snmp_traps {
	GPtrArray *sessions;   /* netsnmp_session* (snmp_open's copies) */
	GPtrArray *receivers;  /* const snmp_receiver*, same order */
};

static gboolean set_v3_keys(netsnmp_session *s, const snmp_user *u)
{
	s->securityAuthProto = usmHMACSHA1AuthProtocol;
	s->securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			(const u_char *)u->auth_pass, strlen(u->auth_pass),
			s->securityAuthKey, &s->securityAuthKeyLen) != SNMPERR_SUCCESS)
		return FALSE;
	s->securityPrivProto = usmAESPrivProtocol;
	s->securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	return generate_Ku(s->securityAuthProto, (u_int)s->securityAuthProtoLen,
			   (const u_char *)u->priv_pass, strlen(u->priv_pass),
			   s->securityPrivKey, &s->securityPrivKeyLen) == SNMPERR_SUCCESS;
}

static netsnmp_session *open_one(const snmp_receiver *r, const snmp_engine *e,
				 GError **err)
{
	netsnmp_session s, *ss;

	snmp_sess_init(&s);
	s.peername = r->peer;
	s.callback = NULL;
	if (r->version == SNMP_TRAP_V3) {
		s.version = SNMP_VERSION_3;
		s.securityName = (char *)r->user->name;
		s.securityNameLen = strlen(r->user->name);
		s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		s.securityEngineID = (u_char *)e->id;
		s.securityEngineIDLen = e->len;
		if (!set_v3_keys(&s, r->user)) {
			g_set_error(err, SNMP_ERROR, EINVAL, "trap-receiver %s: "
				    "cannot derive the USM keys of user '%s'",
				    r->address, r->user->name);
			return NULL;
		}
	} else {
		s.version = r->version == SNMP_TRAP_V1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
		s.community = (u_char *)r->community;
		s.community_len = strlen(r->community);
	}
	ss = snmp_open(&s);
	memset(s.securityAuthKey, 0, sizeof s.securityAuthKey);
	memset(s.securityPrivKey, 0, sizeof s.securityPrivKey);
	if (ss == NULL)
		g_set_error(err, SNMP_ERROR, EINVAL, "trap-receiver %s: cannot "
			    "open a session: %s", r->address, snmp_api_errstring(snmp_errno));
	return ss;
}

snmp_traps *snmp_traps_open(const snmp_conf *c, const snmp_engine *e, GError **err)
{
	snmp_traps *t = g_new0(snmp_traps, 1);

	t->sessions = g_ptr_array_new();
	t->receivers = g_ptr_array_new();
	for (guint i = 0; i < c->receivers->len; i++) {
		const snmp_receiver *r = g_ptr_array_index(c->receivers, i);
		netsnmp_session *ss = open_one(r, e, err);
		if (ss == NULL) {
			snmp_traps_close(t);
			return NULL;
		}
		g_ptr_array_add(t->sessions, ss);
		g_ptr_array_add(t->receivers, (gpointer)r);
	}
	return t;
}

void snmp_traps_close(snmp_traps *t)
{
	if (t == NULL)
		return;
	for (guint i = 0; i < t->sessions->len; i++)
		snmp_close(g_ptr_array_index(t->sessions, i));
	g_ptr_array_unref(t->sessions);
	g_ptr_array_unref(t->receivers);
	g_free(t);
}

static void add_alarm_vars(netsnmp_pdu *pdu, const snmp_alarm_row *row)
{
	oid o[] = { 1, 3, 6, 1, 4, 1, 62014, 1, 3, 1, 0, row->id };
	const size_t n = OID_LENGTH(o);
	u_long id = row->id;
	long sev = row->severity;

	o[10] = 1;
	snmp_pdu_add_variable(pdu, o, n, ASN_UNSIGNED, &id, sizeof id);
	o[10] = 4;
	snmp_pdu_add_variable(pdu, o, n, ASN_INTEGER, &sev, sizeof sev);
	o[10] = 2;
	snmp_pdu_add_variable(pdu, o, n, ASN_OCTET_STR, row->rule, strlen(row->rule));
	o[10] = 7;
	snmp_pdu_add_variable(pdu, o, n, ASN_OCTET_STR, row->text, strlen(row->text));
}

static u_long trap_uptime(void)
{
	gint64 s = snmp_metric("core.uptime_seconds");
	if (s <= 0)
		return netsnmp_get_agent_uptime();
	return s > G_MAXUINT32 / 100 ? G_MAXUINT32 : (u_long)(s * 100);
}

static netsnmp_pdu *build_v1(const snmp_alarm_row *row, gboolean raised)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP);

	pdu->enterprise = snmp_duplicate_objid(bw_enterprise, OID_LENGTH(bw_enterprise));
	pdu->enterprise_length = OID_LENGTH(bw_enterprise);
	pdu->trap_type = SNMP_TRAP_ENTERPRISESPECIFIC;
	pdu->specific_type = raised ? 1 : 2;
	pdu->time = trap_uptime();
	add_alarm_vars(pdu, row);
	return pdu;
}

static netsnmp_pdu *build_v2(const snmp_alarm_row *row, gboolean raised)
{
	netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_TRAP2);
	oid note[] = { 1, 3, 6, 1, 4, 1, 62014, 0, raised ? 1 : 2 };
	u_long up = trap_uptime();

	snmp_pdu_add_variable(pdu, sysuptime_oid, OID_LENGTH(sysuptime_oid),
			      ASN_TIMETICKS, &up, sizeof up);
	snmp_pdu_add_variable(pdu, trapoid_oid, OID_LENGTH(trapoid_oid),
			      ASN_OBJECT_ID, note, sizeof note);
	add_alarm_vars(pdu, row);
	return pdu;
}

void snmp_traps_send(snmp_traps *t, const snmp_alarm_row *row, gboolean raised)
{
	for (guint i = 0; t && i < t->sessions->len; i++) {
		netsnmp_session *ss = g_ptr_array_index(t->sessions, i);
		const snmp_receiver *r = g_ptr_array_index(t->receivers, i);
		netsnmp_pdu *pdu = r->version == SNMP_TRAP_V1 ? build_v1(row, raised)
							     : build_v2(row, raised);
		if (snmp_send(ss, pdu) == 0) {
			g_warning("snmp: trap for alarm %u to %s (%s) not sent: %s",
				  row->id, r->address,
				  r->version == SNMP_TRAP_V1 ? "v1" :
				  r->version == SNMP_TRAP_V2C ? "v2c" : "v3",
				  snmp_api_errstring(ss->s_snmp_errno));
			snmp_free_pdu(pdu);
		}
	}
}
