/* Unit tests of the snmp module's pure parts: address forms handed to
 * net-snmp and the persisted engine identity (stable ID, growing boots,
 * override, damaged file). The agent itself is tested end to end by
 * tests/integration/test_snmp.py. */
#include <string.h>
#include <glib/gstdio.h>
#include "../../tests/unit/testutil.h"
#include "snmpint.h"

static void test_udp_spec(void)
{
	static const struct { const char *in, *out; } good[] = {
		{ "127.0.0.1:1161", "udp:127.0.0.1:1161" },
		{ "0.0.0.0", "udp:0.0.0.0:161" },
		{ "host.example:162", "udp:host.example:162" },
		{ "[::1]:1161", "udp6:[::1]:1161" },
		{ "[::1]", "udp6:[::1]:161" },
	};
	static const char *const bad[] = { "", ":161", "1.2.3.4:0", "1.2.3.4:65536",
		"1.2.3.4:x", "::1:161", "[::1", "[]:1", "[::1]x", "1.2.3.4:123456" };

	for (gsize i = 0; i < G_N_ELEMENTS(good); i++) {
		GError *err = NULL;
		g_autofree char *s = snmp_conf_udp_spec(good[i].in, 161, &err);
		g_assert_no_error(err);
		g_assert_cmpstr(s, ==, good[i].out);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
		GError *err = NULL;
		char *s = snmp_conf_udp_spec(bad[i], 161, &err);
		g_assert_null(s);
		g_assert_error(err, SNMP_ERROR, EINVAL);
		g_assert_nonnull(strstr(err->message, "HOST:PORT"));
		g_error_free(err);
	}
}

static void test_engine_derive(void)
{
	snmp_engine a, b, c;
	g_autofree char *hex = NULL;

	snmp_engine_derive("office", &a);
	snmp_engine_derive("office", &b);
	snmp_engine_derive("branch", &c);
	g_assert_cmpuint(a.len, ==, 17);
	g_assert_cmpmem(a.id, a.len, b.id, b.len);
	g_assert_true(memcmp(a.id, c.id, a.len) != 0);
	hex = snmp_engine_hex(&a);
	/* enterprise 62014 with the high bit, format 5 (octets) */
	g_assert_true(g_str_has_prefix(hex, "8000f23e05"));
	g_assert_cmpuint(strlen(hex), ==, 34);
}

static void test_engine_persist(void)
{
	g_autofree char *tmp = bw_test_tmpdir();
	g_autofree char *dir = g_build_filename(tmp, "snmp", NULL);
	g_autofree char *file = g_build_filename(dir, "engine", NULL);
	snmp_engine e1, e2, e3, d;
	GError *err = NULL;
	GStatBuf st;

	g_assert_true(snmp_engine_load(dir, "office", NULL, &e1, &err));
	g_assert_no_error(err);
	g_assert_cmpint(e1.boots, ==, 1);
	snmp_engine_derive("office", &d);
	g_assert_cmpmem(e1.id, e1.len, d.id, d.len);
	g_assert_cmpint(g_stat(file, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);

	/* a renamed system keeps its persisted ID; boots grows */
	g_assert_true(snmp_engine_load(dir, "renamed", NULL, &e2, &err));
	g_assert_cmpmem(e2.id, e2.len, d.id, d.len);
	g_assert_cmpint(e2.boots, ==, 2);

	/* an explicit engine-id wins */
	g_assert_true(snmp_engine_load(dir, "office", "8000f23e0401020304", &e3, &err));
	g_assert_cmpuint(e3.len, ==, 9);
	g_assert_cmpint(e3.id[8], ==, 4);
	g_assert_cmpint(e3.boots, ==, 3);

	/* a damaged file does not stop the agent: the ID is derived again */
	g_assert_true(g_file_set_contents(file, "id zz\nboots -5\n", -1, NULL));
	g_assert_true(snmp_engine_load(dir, "office", NULL, &e1, &err));
	g_assert_cmpmem(e1.id, e1.len, d.id, d.len);
	g_assert_cmpint(e1.boots, ==, 1);
	bw_test_rmtree(tmp);
}

static void test_engine_unwritable(void)
{
	snmp_engine e;
	GError *err = NULL;

	g_assert_false(snmp_engine_load("/proc/no-such-dir/snmp", "x", NULL, &e, &err));
	g_assert_nonnull(err);
	g_assert_nonnull(strstr(err->message, "/proc/no-such-dir/snmp"));
	g_error_free(err);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/snmp/udp-spec", test_udp_spec);
	g_test_add_func("/snmp/engine/derive", test_engine_derive);
	g_test_add_func("/snmp/engine/persist", test_engine_persist);
	g_test_add_func("/snmp/engine/unwritable", test_engine_unwritable);
	return g_test_run();
}
