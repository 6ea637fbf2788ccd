"""The cor module in bulwarkd: provisioning by XML import, `bulwarkctl cor
show` explaining allow/deny (rule, period, CoR, account code, ARS), the
manual service override (stored, audited, surviving a restart), the
emergency override in night service, the store watch recompiling, and a
bad record refused with the old rules kept."""
import os, shutil, tempfile, time
from bwtest import Tap, Daemon, src

MODULE = ('<module name="cor" timezone="Europe/Berlin" trunk-prefix="0" '
          'account-prefix="*88"/>')
EXAMPLE = src("tests/integration/data/cor-example.xml")

t = Tap()


def show(d, ext, number):
    rc, out, err = d.ctl("cor", "show", ext, number)
    return out if rc == 0 else "rc=%d %s" % (rc, err)


def wait_until(pred, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return None


GROUP1_BERLIN = ('{"name": "office", "default": "deny", "rules": ['
                 '{"pattern": "0Z.", "action": "allow", "name": "national"},'
                 '{"pattern": "030.", "action": "deny", "name": "berlin"},'
                 '{"pattern": "00.", "action": "deny", "name": "international"}]}')
GROUP1_BAD = '{"name": "office", "rules": [{"pattern": "0Q", "action": "deny"}]}'

datadir = tempfile.mkdtemp(prefix="bwit-cor-")
with Daemon(t, modules=MODULE, datadir=datadir) as d:
    rc, out, err = d.ctl("store", "import", EXAMPLE)
    t.ok(rc == 0 and "imported 12 records" in out, "the example provisioning imports", out + err)

    out = wait_until(lambda: (lambda o: o if "national" in o else None)(show(d, "100", "00301234567")))
    out = out or show(d, "100", "00301234567")
    t.ok("verdict: allow" in out and 'rule: #1 "0Z." national (allow)' in out and
         "period: day" in out and "CoR: 1 (office)" in out, "a national call is allowed by rule", out)
    t.ok("ARS: plan default route #1, trunks: carrier, backup" in out and "call: external" in out,
         "cor show lists the ARS candidates", out)

    out = show(d, "100", "000441234")
    t.ok("verdict: deny (CoR rule)" in out and '"00." international (deny)' in out and
         "CoR: 1 (office)" in out, "an international call is denied by rule", out)
    out = show(d, "100", "00049301234")
    t.ok("verdict: allow" in out and "germany" in out, "the more specific rule wins", out)
    rc, out, err = d.ctl("store", "put", "ext/101", "-", stdin='{"name": "Bob"}')
    out = wait_until(lambda: (lambda o: o if "internal" in o else None)(show(d, "100", "101")))
    t.ok(out and "verdict: allow (internal call: no CoR)" in out and "call: internal" in out,
         "a call to an extension of the directory is internal", out)

    out = show(d, "100", "*884711*1234*000441234")
    t.ok("verdict: allow" in out and "account code: 4711 (verified)" in out and
         "CoR: 3 (executive)" in out, "a verified account code switches the CoR for the call", out)
    out = show(d, "100", "*884711*9999*000441234")
    t.ok("verdict: deny" in out and "wrong PIN" in out, "a wrong PIN is denied", out)
    out = show(d, "100", "*889000*000441234")
    t.ok("verdict: deny" in out and "account code: 9000 (recorded)" in out,
         "a non-verified code is recorded and changes nothing", out)
    out = show(d, "100", "*88x*0301")
    t.ok("malformed account code" in out, "a malformed account code is refused", out)

    rc, out, err = d.ctl("service")
    t.ok(rc == 0 and "service: auto (period now: day)" in out, "service shows auto/day", out + err)
    rc, out, err = d.ctl("service", "night1")
    t.ok(rc == 0 and "service: night1" in out, "service night1 switches", out + err)
    rc, stored, _ = d.ctl("store", "get", "cor/service")
    t.ok(stored.strip() == "night1", "the override is stored in cor/service", stored)
    rc, audit, _ = d.ctl("audit", "list", "20")
    t.ok("cor.service" in audit and "cor/service" in audit, "the switch is audited", audit)
    out = show(d, "100", "00301234567")
    t.ok("verdict: deny (CoR rule)" in out and "period: night1" in out and
         "CoR: 2 (night)" in out and "closed" in out and "service: night1" in out,
         "cor show reflects night service", out)
    for number in ("0112", "112", "0911"):
        out = show(d, "100", number)
        t.ok("verdict: allow (emergency number: always allowed)" in out and
             "CoR: 2 (night)" in out, "emergency %s is allowed in night service with a deny-all CoR"
             % number, out)
    rc, out, err = d.ctl("service", "evening")
    t.ok(rc != 0 and "usage: service" in err, "a bad service mode is refused", out + err)
    rc, out, err = d.ctl("cor", "explain", "100")
    t.ok(rc != 0 and "usage: cor show EXT NUMBER" in err, "cor without show is refused", out + err)
    rc, out, err = d.ctl("service", "auto")
    t.ok(rc == 0 and "period now: day" in out, "service auto follows the schedule again", out + err)

    rc, out, err = d.ctl("store", "put", "cor/group/1", "-", stdin=GROUP1_BERLIN)
    t.ok(rc == 0, "a new rule is stored", out + err)
    out = wait_until(lambda: (lambda o: o if "berlin" in o else None)(show(d, "100", "00301234567")))
    t.ok(out and "verdict: deny (CoR rule)" in out and '"030." berlin (deny)' in out,
         "the store watch recompiles: the new rule applies", out)

    rc, out, err = d.ctl("store", "put", "cor/group/1", "-", stdin=GROUP1_BAD)
    t.ok(rc == 0, "a bad record can be stored (the store does not know CoR)", out + err)
    logged = wait_until(lambda: "cor/group/1: field rules[0]" in d.output())
    t.ok(logged and "0Q" in d.output(), "the bad record is refused in the log with key and field",
         d.output()[-2000:])
    out = show(d, "100", "00301234567")
    t.ok('"030." berlin (deny)' in out, "the previous rules stay in force", out)
    rc, out, err = d.ctl("service", "night2")
    t.ok(rc == 0, "service night2 before a restart", out + err)
    t.ok("*1234*" not in d.output() and "*9999*" not in d.output(), "no PIN in the log")

with Daemon(t, modules=MODULE, datadir=datadir) as d:
    rc, out, err = d.ctl("service")
    t.ok(rc == 0 and "service: night2" in out, "the override survives a restart", out + err)
    out = show(d, "100", "00301234567")
    t.ok("period: night2" in out and '"030." berlin' not in out and "CoR: 2 (night)" in out,
         "the rules come back from the store at start", out)

bad = '<module name="cor" timezone="Mars/Olympus_Mons"/>'
with Daemon(t, modules=bad) as d:
    rc, out, err = d.ctl("modules")
    t.ok("cor" in out and "running" not in out.split("cor", 1)[1].split("\n", 1)[0],
         "an unknown time zone keeps the module from running", out)
    t.ok('timezone: schedule: unknown time zone "Mars/Olympus_Mons"' in d.output(),
         "the log names the attribute and why", d.output()[-2000:])

if not os.environ.get("BW_KEEP_TMP"):
    shutil.rmtree(datadir, ignore_errors=True)
t.done()
