/* BULWARK-MIB's objects (docs/BULWARK-MIB.txt) as net-snmp handlers, on
 * the agent thread: the scalars read metrics directly (atomics), the
 * module and alarm tables are table_iterator helpers over the snapshot.
 * GETNEXT/walk comes from the helpers. Read-only: the registrations say
 * HANDLER_CAN_RONLY, so SETs are refused by the agent before us. */
#define G_LOG_DOMAIN "snmp"
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <string.h>
#include "snmpint.h"

#define BW_OID 1, 3, 6, 1, 4, 1, 62014

typedef enum { SC_VERSION, SC_UPTIME, SC_GAUGE, SC_COUNTER64 } scalar_kind;

typedef struct {
	oid         subid;     /* under bwSystem (bwObjects.1) */
	const char *name;      /* registration name */
	scalar_kind kind;
	const char *metric;
} snmp_scalar;

static const snmp_scalar scalars[] = {
	{ 1, "bwVersion", SC_VERSION, NULL },
	{ 2, "bwUptime", SC_UPTIME, "core.uptime_seconds" },
	{ 3, "bwRegistrations", SC_GAUGE, "sip.registrations" },
	{ 4, "bwActiveCalls", SC_GAUGE, "calls.active" },
	{ 5, "bwCallsTotal", SC_COUNTER64, "calls.total" },
	{ 6, "bwBlockedSources", SC_GAUGE, "sip.blocked_sources" },
	{ 7, "bwActiveAlarms", SC_GAUGE, "alarms.active" },
	{ 8, "bwBusPublished", SC_COUNTER64, "bus.published" },
	{ 9, "bwBusDelivered", SC_COUNTER64, "bus.delivered" },
	{ 10, "bwBusDropped", SC_COUNTER64, "bus.dropped" },
};

/* The snapshot the current request reads; replaced when the next request
 * starts walking a table, so row pointers handed to net-snmp stay valid
 * until the request is answered (one request at a time on this thread). */
static snmp_snap *req_snap;

static u_long clamp32(gint64 v)
{
	return v < 0 ? 0 : v > G_MAXUINT32 ? G_MAXUINT32 : (u_long)v;
}

static void set_scalar(netsnmp_variable_list *vb, const snmp_scalar *s)
{
	gint64 v = s->metric ? snmp_metric(s->metric) : 0;
	struct counter64 c64;
	u_long u;

	switch (s->kind) {
	case SC_VERSION:
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, BW_VERSION, strlen(BW_VERSION));
		break;
	case SC_UPTIME:
		u = clamp32(v > G_MAXINT64 / 100 ? G_MAXINT64 : v * 100);
		snmp_set_var_typed_value(vb, ASN_TIMETICKS, &u, sizeof u);
		break;
	case SC_GAUGE:
		u = clamp32(v);
		snmp_set_var_typed_value(vb, ASN_GAUGE, &u, sizeof u);
		break;
	case SC_COUNTER64:
		v = v < 0 ? 0 : v;
		c64.high = (u_long)((guint64)v >> 32);
		c64.low = (u_long)((guint64)v & 0xFFFFFFFFu);
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c64, sizeof c64);
		break;
	}
}

static int scalar_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
			  netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	const snmp_scalar *s = reg->my_reg_void;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (; rq; rq = rq->next)
		set_scalar(rq->requestvb, s);
	return SNMP_ERR_NOERROR;
}

static int register_scalars(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(scalars); i++) {
		oid o[] = { BW_OID, 1, 1, scalars[i].subid };
		netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
			scalars[i].name, scalar_handler, o, OID_LENGTH(o), HANDLER_CAN_RONLY);
		if (reg == NULL)
			return -1;
		reg->my_reg_void = (void *)&scalars[i];
		if (netsnmp_register_read_only_scalar(reg) != MIB_REGISTERED_OK)
			return -1;
	}
	return 0;
}

/* ---- tables ---- */

static void set_string(netsnmp_variable_list *vb, const char *s)
{
	snmp_set_var_typed_value(vb, ASN_OCTET_STR, s, strlen(s));
}

static void set_unsigned(netsnmp_variable_list *vb, u_char type, u_long v)
{
	snmp_set_var_typed_value(vb, type, &v, sizeof v);
}

/* DateAndTime in UTC (8 bytes + "+0:0", 11 bytes) */
static void set_date(netsnmp_variable_list *vb, gint64 usec)
{
	g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(usec / G_USEC_PER_SEC);
	guint8 d[11] = { 0 };
	int y;

	if (t == NULL) {
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, d, 8);
		return;
	}
	y = g_date_time_get_year(t);
	d[0] = (guint8)(y >> 8);
	d[1] = (guint8)y;
	d[2] = (guint8)g_date_time_get_month(t);
	d[3] = (guint8)g_date_time_get_day_of_month(t);
	d[4] = (guint8)g_date_time_get_hour(t);
	d[5] = (guint8)g_date_time_get_minute(t);
	d[6] = (guint8)g_date_time_get_second(t);
	d[7] = (guint8)((usec % G_USEC_PER_SEC) / 100000);
	d[8] = '+';
	snmp_set_var_typed_value(vb, ASN_OCTET_STR, d, sizeof d);
}

static GPtrArray *rows_of(void *table_kind)
{
	if (req_snap == NULL)
		return NULL;
	return GPOINTER_TO_INT(table_kind) == 2 ? req_snap->modules : req_snap->alarms;
}

static netsnmp_variable_list *row_next(void **loop, void **data,
				       netsnmp_variable_list *idx,
				       netsnmp_iterator_info *ii)
{
	GPtrArray *rows = rows_of(ii->myvoid);
	guint i = GPOINTER_TO_UINT(*loop);
	u_long index;

	if (rows == NULL || i >= rows->len)
		return NULL;
	*data = g_ptr_array_index(rows, i);
	if (GPOINTER_TO_INT(ii->myvoid) == 2)
		index = ((snmp_module_row *)*data)->index;
	else
		index = ((snmp_alarm_row *)*data)->id;
	snmp_set_var_typed_value(idx, ASN_UNSIGNED, &index, sizeof index);
	*loop = GUINT_TO_POINTER(i + 1);
	return idx;
}

static netsnmp_variable_list *row_first(void **loop, void **data,
					netsnmp_variable_list *idx,
					netsnmp_iterator_info *ii)
{
	snmp_snap_unref(req_snap);
	req_snap = snmp_snap_get();
	*loop = GUINT_TO_POINTER(0);
	return row_next(loop, data, idx, ii);
}

static void module_column(netsnmp_variable_list *vb, const snmp_module_row *r, unsigned col)
{
	switch (col) {
	case 2: set_string(vb, r->name); break;
	case 3: set_string(vb, r->version); break;
	case 4: set_string(vb, r->state); break;
	}
}

static void alarm_column(netsnmp_variable_list *vb, const snmp_alarm_row *r, unsigned col)
{
	switch (col) {
	case 2: set_string(vb, r->rule); break;
	case 3: set_string(vb, r->event); break;
	case 4: set_unsigned(vb, ASN_INTEGER, (u_long)r->severity); break;
	case 5: set_unsigned(vb, ASN_UNSIGNED, r->count); break;
	case 6: set_date(vb, r->raised); break;
	case 7: set_string(vb, r->text); break;
	}
}

static int table_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
			 netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
	gboolean modules = GPOINTER_TO_INT(reg->my_reg_void) == 2;

	(void)h;
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (; rq; rq = rq->next) {
		void *row = netsnmp_extract_iterator_context(rq);
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(rq);

		if (row == NULL || ti == NULL) {
			netsnmp_set_request_error(ri, rq, SNMP_NOSUCHINSTANCE);
			continue;
		}
		if (modules)
			module_column(rq->requestvb, row, ti->colnum);
		else
			alarm_column(rq->requestvb, row, ti->colnum);
	}
	return SNMP_ERR_NOERROR;
}

/* kind 2: bwModuleTable (columns 2..4), 3: bwAlarmTable (columns 2..7;
 * bwAlarmId, column 1, is accessible-for-notify and not served) */
static int register_table(int kind, const char *name, unsigned max_col)
{
	oid o[] = { BW_OID, 1, (oid)kind };
	netsnmp_handler_registration *reg;
	netsnmp_table_registration_info *ti;
	netsnmp_iterator_info *ii;

	reg = netsnmp_create_handler_registration(name, table_handler, o, OID_LENGTH(o),
						  HANDLER_CAN_RONLY);
	if (reg == NULL)
		return -1;
	reg->my_reg_void = GINT_TO_POINTER(kind);
	ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	ii = SNMP_MALLOC_TYPEDEF(netsnmp_iterator_info);
	netsnmp_table_helper_add_indexes(ti, ASN_UNSIGNED, 0);
	ti->min_column = 2;
	ti->max_column = max_col;
	ii->get_first_data_point = row_first;
	ii->get_next_data_point = row_next;
	ii->table_reginfo = ti;
	ii->myvoid = GINT_TO_POINTER(kind);
	return netsnmp_register_table_iterator2(reg, ii) == MIB_REGISTERED_OK ? 0 : -1;
}

int snmp_mib_register(void)
{
	if (register_scalars() != 0 ||
	    register_table(2, "bwModuleTable", 4) != 0 ||
	    register_table(3, "bwAlarmTable", 7) != 0)
		return -1;
	return 0;
}

void snmp_mib_release(void)
{
	snmp_snap_unref(req_snap);
	req_snap = NULL;
}
