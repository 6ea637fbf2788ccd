#!/usr/bin/env python3
"""modules/snmp end to end, with Debian's net-snmp tools (numeric OIDs,
MIBS= so nothing is looked up):
- embedded master agent: v2c GET of every BULWARK-MIB scalar, walks of the
  enterprise subtree (module table: hello, cdr-csv and snmp running) and
  of the whole tree, GETNEXT past the end, a missing instance;
- v3 authPriv (SHA/AES) GET works; wrong passphrases, a lower security
  level, a wrong community and SNMPv1 get nothing;
- the engine ID is the one derived from the system name and persisted;
- traps: a rule on the event test.snmp with destination "snmp" raises an
  alarm that snmptrapd receives as a v1 trap, a v2c notification and a v3
  authPriv notification, with severity, rule and text; the alarm table
  shows it; the clearing event sends bwAlarmCleared to all three;
- module reload restarts the agent (boots grows); no community -> v2c
  refused while v3 works; the schema refuses short passphrases;
- real traffic: a sipp flood blocked by the sip module raises the default
  rule sip-source-blocked, received as v1, v2c and v3 traps, cleared when
  the ban ends;
- AgentX: Debian's snmpd as master on its own port answers our objects
  through bulwarkd running as a subagent.
"""
import hashlib, os, re, shutil, socket, tempfile, time
from sippfix import options_flood
from bwtest import CONFIG, Tap, Daemon, module_path, pick_port, bulwarkd_run
from snmpfix import TrapReceiver, Snmpd, snmp_cmd, cleanup_client, have_tools, SNMPD

# libnetsnmp keeps memory after its own shutdown; the snmp module unloads
# the library with itself (net-snmp cannot be initialised twice), so at exit
# LeakSanitizer sees those blocks with "<unknown module>" frames that no
# suppression can name. Leak checking stays on for every other test.
NETSNMP_ENV = {"ASAN_OPTIONS": ":".join(
    filter(None, [os.environ.get("ASAN_OPTIONS", ""), "detect_leaks=0"]))}

ENT = ".1.3.6.1.4.1.62014"
SYS = ENT + ".1.1"
MODTAB = ENT + ".1.2.1"
ALARMTAB = ENT + ".1.3.1"
COMMUNITY = "bw-ro-community"
TRAP_COMMUNITY = "bwtrap"
USER, AUTH, PRIV = "alice", "alice-auth-pass", "alice-priv-pass"
SCALARS = {1: "STRING", 2: "Timeticks", 3: "Gauge32", 4: "Gauge32", 5: "Counter64",
           6: "Gauge32", 7: "Gauge32", 8: "Counter64", 9: "Counter64", 10: "Counter64"}

t = Tap()
if not have_tools("snmpget", "snmpwalk", "snmpgetnext", "snmpbulkwalk", "/usr/sbin/snmptrapd"):
    print("1..0 # SKIP net-snmp tools (Debian snmp, snmptrapd) are not installed")
    raise SystemExit(0)


def built(name):
    return any(os.path.exists(os.path.join(d, "mod_%s.so" % name))
               for d in module_path().split(":") if d)


# the plugins shown in the module table, unless configured out (--disable-mod-NAME)
PLUGINS = [m for m in ("hello", "cdr-csv") if built(m)]


def engine_id(system_name):
    return "8000f23e05" + hashlib.sha256(
        b"bulwark-snmp:" + system_name.encode()).hexdigest()[:24]


def v2c(tool, port, *oids, community=COMMUNITY, extra=()):
    return snmp_cmd(tool, ["-v2c", "-c", community, "-On", "-t", "1", "-r", "1"]
                    + list(extra) + ["127.0.0.1:%d" % port] + list(oids))


def v3(tool, port, *oids, auth=AUTH, priv=PRIV, level="authPriv"):
    return snmp_cmd(tool, ["-v3", "-u", USER, "-l", level, "-a", "SHA", "-A", auth,
                           "-x", "AES", "-X", priv, "-On", "-t", "1", "-r", "1",
                           "127.0.0.1:%d" % port] + list(oids))


def values(out):
    """{oid: (type, value)} from -On output."""
    res = {}
    for line in out.splitlines():
        m = re.match(r"^(\.[0-9.]+) = ([A-Za-z0-9]+): ?(.*)$", line)
        if m:
            res[m.group(1)] = (m.group(2), m.group(3).strip('"'))
    return res


def module_rows(vals):
    rows = {}
    for oid, (_ty, val) in vals.items():
        if oid.startswith(MODTAB + "."):
            col, idx = oid[len(MODTAB) + 1:].split(".")
            rows.setdefault(idx, {})[int(col)] = val
    return {r.get(2): r for r in rows.values()}


def snmp_module(port, *children, extra=""):
    return ('<module name="snmp" listen="127.0.0.1:%d"%s>%s</module>'
            % (port, extra, "".join(children)))


community_el = '<community name="%s" source="127.0.0.1/32"/>' % COMMUNITY
user_el = ('<user name="%s" auth="SHA" auth-passphrase="%s" priv="AES" '
           'priv-passphrase="%s"/>' % (USER, AUTH, PRIV))


def receivers(port):
    return "".join([
        '<trap-receiver version="v1" address="127.0.0.1:%d" community="%s"/>'
        % (port, TRAP_COMMUNITY),
        '<trap-receiver version="v2c" address="127.0.0.1:%d" community="%s"/>'
        % (port, TRAP_COMMUNITY),
        '<trap-receiver version="v3" address="127.0.0.1:%d" user="%s"/>' % (port, USER)])


def test_scalars_and_walk(d, port):
    oids = ["%s.%d.0" % (SYS, i) for i in sorted(SCALARS)]
    rc, out, err = v2c("snmpget", port, *oids)
    vals = values(out)
    t.ok(rc == 0 and all(vals.get("%s.%d.0" % (SYS, i), ("",))[0] == ty
                         for i, ty in SCALARS.items()),
         "v2c GET of the ten scalars with their MIB types", out + err)
    t.ok(vals.get(SYS + ".1.0", ("", ""))[1] not in ("", None),
         "bwVersion is a non-empty string", out)

    # the table is a snapshot refreshed every second: wait for snmp's own
    # state to be the loader's "running"
    end = time.monotonic() + 5
    while True:
        rc, out, err = v2c("snmpwalk", port, ENT)
        walk = values(out)
        rows = module_rows(walk)
        if rows.get("snmp", {}).get(4) == "running" or time.monotonic() > end:
            break
        time.sleep(0.1)
    t.ok(rc == 0 and all("%s.%d.0" % (SYS, i) in walk for i in SCALARS),
         "v2c walk of the enterprise subtree returns every scalar", out + err)
    t.ok(all(rows.get(n, {}).get(4) == "running" for n in PLUGINS + ["snmp"])
         and rows["snmp"].get(3) == "1.0.0",
         "module table: %s are running (with versions)" % ", ".join(PLUGINS + ["snmp"]), out)
    rc, out_all, err = v2c("snmpwalk", port, ".1")
    t.ok(rc == 0 and set(values(out_all)) == set(walk),
         "a walk from .1 sees exactly the enterprise subtree (the view)", out_all + err)

    rc, out_bulk, err = v2c("snmpbulkwalk", port, ENT)
    t.ok(rc == 0 and set(values(out_bulk)) == set(walk),
         "GETBULK (snmpbulkwalk) sees the same objects as the walk", out_bulk + err)

    rc, out, err = v2c("snmpgetnext", port, ENT + ".9")
    t.ok("No more variables left" in out + err and ".1.3.6.1.4.1.62014" not in
         out.replace(ENT + ".9", ""),
         "GETNEXT past the last object ends cleanly (endOfMibView)", out + err)
    rc, out, err = v2c("snmpgetnext", port, MODTAB + ".4.99")
    t.ok(rc == 0 and "No more variables left" in out,
         "GETNEXT past the last module row ends cleanly", out + err)
    rc, out, err = v2c("snmpget", port, SYS + ".1.1", MODTAB + ".2.999")
    t.ok("No Such Instance" in out and out.count("No Such") == 2,
         "GET of missing instances says noSuchInstance", out + err)


def test_access(d, port):
    rc, out, err = v3("snmpget", port, SYS + ".1.0", MODTAB + ".2.1")
    t.ok(rc == 0 and SYS + ".1.0 = STRING" in out,
         "v3 authPriv (SHA/AES) GET works", out + err)
    rc, out, err = v3("snmpget", port, SYS + ".1.0", auth="wrong-auth-pass")
    t.ok(rc != 0 and "STRING" not in out, "v3 with a wrong auth passphrase fails",
         out + err)
    rc, out, err = v3("snmpget", port, SYS + ".1.0", priv="wrong-priv-pass")
    t.ok(rc != 0 and "STRING" not in out, "v3 with a wrong priv passphrase fails",
         out + err)
    rc, out, err = v3("snmpget", port, SYS + ".1.0", level="authNoPriv")
    t.ok(rc != 0 or "STRING" not in out, "v3 authNoPriv is not granted", out + err)
    rc, out, err = v2c("snmpget", port, SYS + ".1.0", community="not-the-community")
    t.ok(rc != 0 and "Timeout" in out + err, "a wrong community gets no answer", out + err)
    rc, out, err = snmp_cmd("snmpget", ["-v1", "-c", COMMUNITY, "-On", "-t", "1", "-r", "0",
                                        "127.0.0.1:%d" % port, SYS + ".3.0"])
    t.ok(rc != 0 and "Gauge32" not in out, "SNMPv1 requests are refused", out + err)
    log = d.output()
    t.ok(AUTH not in log and PRIV not in log and COMMUNITY not in log,
         "passphrases and the community never appear in the log")


def test_engine(d):
    path = os.path.join(d.datadir, "snmp", "engine")
    try:
        text = open(path).read()
        mode = os.stat(path).st_mode & 0o777
    except OSError as e:
        text, mode = str(e), 0
    t.ok("id %s\n" % engine_id("test") in text and "boots 1\n" in text and mode == 0o600,
         "DATA_DIR/snmp/engine holds the ID derived from the system name, boots 1, 0600",
         text)


def alarm_rows(port):
    rc, out, err = v2c("snmpwalk", port, ENT + ".1.3")
    rows = {}
    for oid, (_ty, val) in values(out).items():
        col, idx = oid[len(ALARMTAB) + 1:].split(".")
        rows.setdefault(idx, {})[int(col)] = val
    return rows, out + err


def raise_alarm(d, r):
    """Emit test.snmp until the first trap shows up (the rule is loaded
    from the store asynchronously; further events only bump the count)."""
    end = time.monotonic() + 15
    while time.monotonic() < end:
        d.ctl("emit", "test.snmp", "who=tester")
        if r.wait_for("62014", 0.5):
            return True
    return False


def test_traps(d, port, r):
    rc, _out, _err = d.ctl("alarms")
    if rc != 0:
        for name in ("v1 trap", "v2c notification", "v3 notification", "alarm table",
                     "cleared traps"):
            t.ok(True, "# SKIP %s: the alarm engine is not in this build" % name)
        return
    rule = ('{"event":"test.snmp","count":1,"period":60,"severity":"major",'
            '"clear_event":"test.snmp.clear","destinations":["snmp"]}')
    rc, out, err = d.ctl("store", "put", "alarm/rule/t", rule)
    t.ok(rc == 0, "provision alarm/rule/t with destination snmp", out + err)
    t.ok(raise_alarm(d, r), "an alarm is raised and a trap arrives", r.output())
    sev = re.compile(r"62014\.1\.3\.1\.4\.\d+ = INTEGER: 4")
    hit = r.wait_for("TRAP v1", 10)
    t.ok(hit is not None and "enterprise=.1.3.6.1.4.1.62014" in hit[1]
         and "generic=6" in hit[1] and re.search(r"specific=\.?1 ", hit[1])
         and sev.search(hit[1]) and "test.snmp who=tester" in hit[1]
         and re.search(r"62014\.1\.3\.1\.2\.\d+ = STRING: \"t\"", hit[1]),
         "snmptrapd gets the v1 trap (enterprise-specific 1, severity major(4), "
         "rule, text)", r.output())
    hit = r.wait_for("SNMP v2c", 10)
    t.ok(hit is not None and "OID: .1.3.6.1.4.1.62014.0.1" in hit[1]
         and sev.search(hit[1]) and "test.snmp who=tester" in hit[1],
         "snmptrapd gets the v2c bwAlarmRaised notification", r.output())
    hit = r.wait_for("SNMP v3, user %s" % USER, 10)
    t.ok(hit is not None and "OID: .1.3.6.1.4.1.62014.0.1" in hit[1]
         and sev.search(hit[1]) and "test.snmp who=tester" in hit[1],
         "snmptrapd gets the v3 authPriv bwAlarmRaised notification", r.output())

    rows, out = alarm_rows(port)
    row = next(iter(rows.values()), {})
    t.ok(len(rows) == 1 and row.get(2) == "t" and row.get(3) == "test.snmp"
         and row.get(4) == "4" and row.get(7, "").startswith("test.snmp"),
         "the alarm table shows the active alarm (rule, event, severity, text)", out)
    rc, out, err = v2c("snmpget", port, SYS + ".7.0")
    t.ok(values(out).get(SYS + ".7.0", ("", ""))[1] == "1",
         "bwActiveAlarms is 1", out + err)

    d.ctl("emit", "test.snmp.clear")
    cleared_sev = re.compile(r"62014\.1\.3\.1\.4\.\d+ = INTEGER: 1")
    hit = r.wait_for("specific=.2", 10)
    t.ok(hit is not None and "enterprise=.1.3.6.1.4.1.62014" in hit[1]
         and cleared_sev.search(hit[1]),
         "the clearing sends the v1 trap specific 2 with severity cleared(1)", r.output())
    got = [r.wait_for(lambda l, k=k: k in l and "OID: .1.3.6.1.4.1.62014.0.2" in l, 10)
           for k in ("SNMP v2c", "SNMP v3, user %s" % USER)]
    t.ok(all(got) and all(cleared_sev.search(x[1]) for x in got),
         "the clearing sends bwAlarmCleared (severity cleared(1)) over v2c and v3",
         r.output())
    end = time.monotonic() + 5
    while time.monotonic() < end and alarm_rows(port)[0]:
        time.sleep(0.1)
    rows, out = alarm_rows(port)
    t.ok(not rows, "the alarm table is empty once the alarm cleared", out)


def test_reload(d, port):
    rc, out, err = d.ctl("module", "reload", "snmp")
    t.ok(rc == 0, "bulwarkctl module reload snmp", out + err)
    rc, out, err = v2c("snmpget", port, SYS + ".1.0")
    rc3, out3, err3 = v3("snmpget", port, SYS + ".1.0")
    text = open(os.path.join(d.datadir, "snmp", "engine")).read()
    t.ok(rc == 0 and "STRING" in out and rc3 == 0 and "STRING" in out3
         and "boots 2\n" in text,
         "after the reload v2c and v3 answer and the engine boots is 2",
         out + err + out3 + err3 + text)
    rc, out, err = d.ctl("module", "unload", "snmp")
    rc2, out2, err2 = v2c("snmpget", port, SYS + ".1.0")
    t.ok(rc == 0 and rc2 != 0, "after unload nothing answers", out + err + out2 + err2)
    rc, out, err = d.ctl("module", "load", "snmp")
    rc2, out2, err2 = v2c("snmpget", port, SYS + ".1.0")
    t.ok(rc == 0 and rc2 == 0 and "STRING" in out2, "load again: the agent answers",
         out + err + out2 + err2 + d.output()[-2000:])


def main_daemon():
    port = pick_port(socket.SOCK_DGRAM)
    with TrapReceiver(community=TRAP_COMMUNITY, users=[(USER, AUTH, PRIV)],
                      engine_id=engine_id("test")) as r:
        mods = (''.join('<module name="%s"/>' % m for m in PLUGINS)
                + snmp_module(port, community_el, user_el, receivers(r.port)))
        with Daemon(t, modules=mods, env=NETSNMP_ENV) as d:
            rc, out, _ = d.ctl("status")
            t.ok("snmp/udp" in out and "127.0.0.1:%d" % port in out,
                 "the listener snmp/udp is announced", out)
            test_engine(d)
            test_scalars_and_walk(d, port)
            test_access(d, port)
            test_traps(d, port, r)
            test_reload(d, port)
            t.ok(d.stop() == 0, "bulwarkd stops cleanly", d.output()[-3000:])


def no_community():
    port = pick_port(socket.SOCK_DGRAM)
    with Daemon(t, modules=snmp_module(port, user_el), env=NETSNMP_ENV) as d:
        rc, out, err = v2c("snmpget", port, SYS + ".1.0", community="public")
        rc3, out3, err3 = v3("snmpget", port, SYS + ".1.0")
        t.ok(rc != 0 and "Timeout" in out + err and rc3 == 0,
             "no <community>: v2c (even 'public') is refused, v3 works",
             out + err + out3 + err3)


def schema():
    tmp = tempfile.mkdtemp(prefix="bwit-")
    try:
        cfg = os.path.join(tmp, "bulwark.xml")
        env = dict(os.environ, BULWARK_MODULE_PATH=module_path())

        def check(mod):
            with open(cfg, "w") as f:
                f.write(CONFIG.format(datadir=tmp, modules=mod))
            p = bulwarkd_run(["--check-config", cfg],
                             capture_output=True, text=True, env=env, timeout=30)
            return p.returncode, p.stdout + p.stderr

        rc, out = check(snmp_module(1161, community_el, user_el, receivers(162)))
        t.ok(rc == 0, "--check-config accepts communities, users and receivers", out)
        short = user_el.replace(AUTH, "short7!")
        rc, out = check(snmp_module(1161, short))
        t.ok(rc != 0 and "bulwark.xml:5:" in out and "short7!" not in out,
             "--check-config refuses a 7-character passphrase without echoing it", out)
        rc, out = check('<module name="snmp" mode="slave"/>')
        t.ok(rc != 0, "--check-config refuses an unknown mode", out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def bad_reference():
    port = pick_port(socket.SOCK_DGRAM)
    mod = snmp_module(port, '<trap-receiver version="v3" address="127.0.0.1:162" '
                      'user="nobody"/>')
    with Daemon(t, modules=mod, env=NETSNMP_ENV) as d:
        rc, out, err = d.ctl("modules")
        line = next((l for l in out.splitlines() if "snmp" in l.split()), "")
        log = d.output()
        t.ok("failed" in line and "user 'nobody' is not defined" in log
             and re.search(r"bulwark\.xml:5: <trap-receiver>", log),
             "a v3 receiver naming an unknown user fails the module, saying where",
             out + log)


def agentx():
    if not os.path.exists(SNMPD):
        t.ok(True, "# SKIP AgentX: Debian snmpd is not installed")
        return
    with Snmpd(community="bw-master-ro") as m:
        mods = (''.join('<module name="%s"/>' % p for p in PLUGINS)
                + '<module name="snmp" mode="agentx" agentx-socket="%s"/>' % m.agentx_socket)
        with Daemon(t, modules=mods, env=NETSNMP_ENV) as d:
            end = time.monotonic() + 20
            out = err = ""
            while time.monotonic() < end:
                rc, out, err = v2c("snmpwalk", m.port, MODTAB + ".2",
                                   community="bw-master-ro")
                if "STRING: \"snmp\"" in out:
                    break
                time.sleep(0.2)
            t.ok(all('STRING: "%s"' % n in out for n in PLUGINS + ["snmp"]),
                 "snmpd (AgentX master) serves our module table from the subagent",
                 out + err + m.output() + d.output()[-2000:])
            rc, out, err = v2c("snmpget", m.port, SYS + ".1.0", SYS + ".8.0",
                               community="bw-master-ro")
            t.ok(rc == 0 and "STRING" in out and "Counter64" in out,
                 "snmpget through snmpd answers bwVersion and bwBusPublished", out + err)
            rc, out, _ = d.ctl("status")
            t.ok("snmp/agentx" in out and m.agentx_socket in out,
                 "the AgentX connection is announced", out)
            t.ok(d.stop() == 0, "the subagent stops cleanly", d.output()[-3000:])




def sipp_flood(sip_port, workdir):
    options_flood(sip_port, 40, "127.0.0.1", workdir)


def sip_flood_traps():
    """Real traffic: a sipp flood gets its source blocked by the sip module;
    the default rule sip-source-blocked raises one alarm, sent as a v1 trap
    and v2c and v3 notifications; the end of the ban clears it."""
    if not shutil.which("sipp") or not built("sip"):
        t.ok(True, "# SKIP traps from a sipp flood: sipp or the sip module is missing")
        return
    port, sip_port = pick_port(socket.SOCK_DGRAM), pick_port(socket.SOCK_DGRAM)
    work = tempfile.mkdtemp(prefix="bwflood-")
    with TrapReceiver(community=TRAP_COMMUNITY, users=[(USER, AUTH, PRIV)],
                      engine_id=engine_id("test")) as r:
        mods = (snmp_module(port, user_el, receivers(r.port))
                + '<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
                '<dos transactions="10" window="60s" ban="3s"/></module>' % sip_port)
        with Daemon(t, modules=mods, env=NETSNMP_ENV) as d:
            end = time.monotonic() + 10
            while time.monotonic() < end and "sip-source-blocked" not in d.ctl(
                    "alarms", "rules")[1]:
                time.sleep(0.1)
            sipp_flood(sip_port, work)
            raised = lambda k: (lambda l: k in l and "sip-source-blocked" in l
                                and ("specific=.1 " in l or "62014.0.1" in l))
            got = [r.wait_for(raised(k), 15)
                   for k in ("TRAP v1", "SNMP v2c", "SNMP v3, user %s" % USER)]
            t.ok(all(got) and all("127.0.0.1" in g[1] for g in got),
                 "a sipp flood blocks its source: v1, v2c and v3 traps of rule "
                 "sip-source-blocked name it", r.output() + d.output()[-2000:])
            cleared = r.wait_for(lambda l: "SNMP v2c" in l and "62014.0.2" in l, 15)
            t.ok(cleared is not None and "sip-source-blocked" in cleared[1],
                 "the end of the ban clears it (bwAlarmCleared)", r.output())
            n = sum(1 for _, l in r.traps if "SNMP v2c" in l and "62014.0.1" in l)
            t.ok(n == 1, "the flood yields one alarm, not one per event (%d)" % n,
                 r.output())
    shutil.rmtree(work, ignore_errors=True)


try:
    main_daemon()
    sip_flood_traps()
    no_community()
    schema()
    bad_reference()
    agentx()
finally:
    cleanup_client()
t.done()
