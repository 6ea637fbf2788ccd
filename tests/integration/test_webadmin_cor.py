#!/usr/bin/env python3
"""WebAdmin CoR/CoS sub-resources against a real bulwarkd running cor +
webadmin, each checked by what `bulwarkctl cor show` (and the explain tool)
then decides: trunk assignments and the interconnect matrix (a trunk group
denied to extensions and extensions denied to it), ARS plans (the trunk
order picked), the schedule (a night window switches the period),
emergency numbers (a barred extension reaches one), verified and
non-verified account codes (the PIN hashed by the cor module, kept when
not typed again, never in an answer, the audit or the log); the fraud
limits (the configuration's, then saved in cor/limits: sources, bounds,
409, applied by the module, deleted back to the configuration's) and the
time zone; an extension's interconnect group and ARS plan; the test tool
POSTed (GET refused; read grant enough; the PIN never logged); bad input
gives field errors naming the item and stores nothing; stale revisions
are 409."""
import json, urllib.parse
from bwtest import Tap, wait_for
from wafix import WebAdmin

PIN = "86420135"
COR = ('<module name="cor" trunk-prefix="0" account-prefix="*88" timezone="Europe/Berlin" '
       'max-external-calls="3" max-calls-per-minute="7"/>')



def overview(c):
    st, js, _ = c.call("GET", "/api/cor")
    if st != 200:
        raise RuntimeError("GET /api/cor: %s %s" % (st, js))
    return js


def item(c, member, ident):
    return next((x for x in overview(c)[member] if x["id"] == ident), None)


def show(w, caller, number):
    rc, out, err = w.d.ctl("cor", "show", caller, number)
    return out if rc == 0 else "rc=%d %s" % (rc, err)


def shows(w, caller, number, *words):
    """Waits until the rule set the calls see decides as words say."""
    out = wait_for(lambda: all(x in show(w, caller, number) for x in words) and show(w, caller, number))
    return out or show(w, caller, number)


def explain(c, caller, number):
    return c.call("POST", "/api/cor/explain", {"caller": caller, "number": number})


def check_settings(t, c):
    js = overview(c)
    t.ok(js["trunks"] == [] and js["ars"] == [] and js["accounts"] == [] and
         js["interconnect"] is None and js["emergency"] is None and js["schedule"] is None,
         "overview: no trunk assignment, plan, code; singletons null (defaults)", js)
    lim = js["limits"]
    xml = {"max_external_calls": 3, "max_calls_per_minute": 7}
    t.ok(lim["values"] == xml and lim["xml"] == xml and lim["in_force"] == xml and
         lim["sources"] == {"max_external_calls": "xml", "max_calls_per_minute": "xml"} and
         lim["revision"] == 0 and lim["max"] == 100000 and js["timezone"] == "Europe/Berlin",
         "overview: the configuration's fraud limits (source xml) and time zone", js)


def limits(c):
    return overview(c)["limits"]


def check_limits(t, w, c):
    for body, field, words in (
            ({"revision": 0, "max_external_calls": 100001}, "max_external_calls", "0 (no limit) to 100000"),
            ({"revision": 0, "max_calls_per_minute": -1}, "max_calls_per_minute", "0 (no limit) to 100000"),
            ({"revision": 0, "max_calls_per_minute": "5"}, "max_calls_per_minute", "whole number from 0"),
            ({"revision": 0, "max_calls": 5}, "max_calls", "unknown field"),
            ({"max_external_calls": 1}, "revision", "required")):
        st, js, _ = c.call("PUT", "/api/cor/limits", body)
        f = js.get("fields", {}) if js else {}
        t.ok(st == 400 and words in f.get(field, ""), "limits: %s refused on its field" % field, js)
    t.ok(limits(c)["revision"] == 0 and store(w, "cor/limits") is None, "nothing saved")
    st, js, _ = c.call("PUT", "/api/cor/limits", {"revision": 0, "max_external_calls": 1,
                                                 "max_calls_per_minute": None})
    lim = js.get("limits", {}) if js else {}
    t.ok(st == 200 and lim["values"] == {"max_external_calls": 1, "max_calls_per_minute": 7} and
         lim["sources"] == {"max_external_calls": "saved", "max_calls_per_minute": "xml"} and
         lim["revision"] > 0, "limits: a lower concurrency limit saved, the rate from the XML", js)
    t.ok(store(w, "cor/limits") == {"max_external_calls": 1}, "stored as cor/limits", store(w, "cor/limits"))
    t.ok(wait_for(lambda: limits(c)["in_force"] == {"max_external_calls": 1, "max_calls_per_minute": 7}),
         "the cor module applies it live (its guard's limits in force)", limits(c))
    t.ok(wait_for(lambda: "max-external-calls=1 (saved)" in w.d.output()), "and says so in its log")
    rev = lim["revision"]
    st, js, _ = c.call("PUT", "/api/cor/limits", {"revision": 0, "max_calls_per_minute": 2})
    t.ok(st == 409 and "meanwhile" in js["error"] and limits(c)["revision"] == rev,
         "limits: a stale revision is 409, nothing saved", js)
    st, js, _ = c.call("PUT", "/api/cor/limits", {"revision": rev, "max_calls_per_minute": 2})
    t.ok(st == 200 and js["limits"]["values"] == {"max_external_calls": 1, "max_calls_per_minute": 2},
         "limits: only the member sent changes", js)
    rev = js["limits"]["revision"]
    st, js, _ = c.call("DELETE", "/api/cor/limits?revision=%d" % (rev + 9))
    t.ok(st == 409, "limits: delete at a stale revision is 409", js)
    st, js, _ = c.call("DELETE", "/api/cor/limits?revision=%d" % rev)
    xml = {"max_external_calls": 3, "max_calls_per_minute": 7}
    t.ok(st == 200 and js["limits"]["revision"] == 0 and js["limits"]["values"] == xml and
         store(w, "cor/limits") is None, "limits deleted: the configuration's again", js)
    t.ok(wait_for(lambda: limits(c)["in_force"] == xml), "and in force again", limits(c))


def store(w, key):
    rc, out, _ = w.d.ctl("store", "get", key)
    return json.loads(out) if rc == 0 else None


def check_ext_fields(t, w, c):
    e = item(c, "assignments", "100")
    for body, field in (({"cor": 0, "group": 70000}, "group"), ({"cor": 0, "group": "x"}, "group"),
                        ({"cor": 0, "ars": ""}, "ars")):
        body["revision"] = e["revision"]
        st, js, _ = c.call("PUT", "/api/cor/ext/100", body)
        t.ok(st == 400 and field in js.get("fields", {}), "extension: a bad %s is a field error" % field, js)
    t.ok(item(c, "assignments", "100")["revision"] == e["revision"], "nothing stored")
    st, js, _ = c.call("PUT", "/api/cor/ars/night", {"routes": [{"pattern": "0Z.", "trunks": ["backup"]}]})
    st2, js2, _ = c.call("PUT", "/api/cor/ext/100", {"cor": 0, "group": 5, "ars": "night",
                                                     "revision": e["revision"]})
    t.ok(st == 201 and st2 == 200 and js2["record"]["group"] == 5 and js2["record"]["ars"] == "night",
         "extension 100: interconnect group 5, ARS plan night", [js, js2])
    out = shows(w, "100", "00301234", "ARS: plan night")
    t.ok("ARS: plan night route #1, trunks: backup" in out, "cor show: the extension's own plan", out)
    st, js, _ = c.call("PUT", "/api/cor/interconnect", {"rules": [
        {"from": "ext:5", "to": "trunk:0", "action": "deny"}]})
    out = shows(w, "100", "00301234", "verdict: deny")
    t.ok(st == 201 and "interconnect" in out, "cor show: group 5 is what the matrix judges", out)
    ic = overview(c)["interconnect"]
    c.call("DELETE", "/api/cor/interconnect?revision=%d" % ic["revision"])
    e = item(c, "assignments", "100")
    st, js, _ = c.call("PUT", "/api/cor/ext/100", {"cor": 0, "revision": e["revision"]})
    t.ok(st == 200 and "verdict: allow" in shows(w, "100", "00301234", "verdict: allow"),
         "extension 100 back on the defaults", js)


def check_explain(t, w, c):
    q = urllib.parse.urlencode({"caller": "100", "number": "0301"})
    st, js, hdrs = c.call("GET", "/api/cor/explain?" + q)
    t.ok(st == 405 and "POST" in js["error"], "the test tool refuses GET, saying to POST", js)
    st, js, _ = c.call("POST", "/api/cor/explain", {"caller": "100", "number": "0301"}, csrf=False)
    t.ok(st == 403 and "CSRF" in js["error"], "the POST needs the CSRF token like every change", js)
    st, js, _ = c.call("POST", "/api/cor/explain", {"caller": "100", "number": 301})
    t.ok(st == 400 and "number" in js["fields"], "a number that is no string is a field error", js)
    st, js, _ = c.call("POST", "/api/cor/explain", {"caller": "100", "number": "03;1"})
    t.ok(st == 400 and "number" in js["fields"], "a bad number is a field error", js)
    number = "*884711*%s*00301234" % PIN
    st, js, _ = explain(c, "100", number)
    t.ok(st == 200 and js["verdict"] == "allow" and PIN not in json.dumps(js),
         "explained with an account code and PIN; the PIN not in the answer", js)
    c.call("POST", "/api/profiles", {"name": "corread", "forms": {"cor": "read"}})
    st, js, _ = c.call("POST", "/api/users", {"name": "corread", "role": "group",
                                              "password": "Init-Pass-cr-9", "profile": "corread"})
    r = w.client()
    r.login("corread", "Init-Pass-cr-9")
    st2, js2, _ = r.call("POST", "/api/password", {"current": "Init-Pass-cr-9", "new": "Cor-Read-456x"})
    st3, js3, _ = r.call("POST", "/api/cor/explain", {"caller": "100", "number": "00301234"})
    st4, js4, _ = r.call("PUT", "/api/cor/limits", {"revision": 0, "max_external_calls": 1})
    t.ok(st == 201 and st2 == 200 and st3 == 200 and js3["verdict"] in ("allow", "deny") and st4 == 403,
         "a read-only profile on cor may test a number (POST) but not change", [js, js2, js3, js4])


def check_trunks_ars(t, w, c):
    st, js, _ = c.call("PUT", "/api/cor/trunks/carrier", {"cor": {"day": "x"}, "system_code": "9a"})
    t.ok(st == 400 and "day" in js["fields"] and overview(c)["trunks"] == [],
         "a bad trunk assignment: field error, nothing stored", js)
    st, js, _ = c.call("PUT", "/api/cor/trunks/" + "x" * 65, {"cor": 0})
    t.ok(st == 400 and "id" in js["fields"], "a bad trunk name: field error on id", js)
    st, js, _ = c.call("PUT", "/api/cor/trunks/carrier", {"cor": 0, "group": 7, "system_code": "99"})
    t.ok(st == 201 and js["record"]["group"] == 7, "trunk carrier: interconnect group 7, system code", js)
    st, js, _ = c.call("PUT", "/api/cor/ext/100", {"cor": 0})
    t.ok(st == 201, "extension 100 on the default CoR", js)

    plan = {"routes": [{"pattern": "0Z.", "trunks": ["carrier", "backup"]}]}
    st, js, _ = c.call("PUT", "/api/cor/ars/default", plan)
    t.ok(st == 201 and js["revision"] > 0, "ARS plan default created", js)
    out = shows(w, "100", "00301234", "verdict: allow", "trunks: carrier (system code), backup")
    t.ok("plan default route #1, trunks: carrier (system code), backup" in out,
         "cor show: the plan's route, carrier first", out)
    p = item(c, "ars", "default")
    bad = {"routes": [{"pattern": "0Z.", "trunks": ["backup"]}, {"pattern": "0Q.", "trunks": ["x"]},
                      {"pattern": "1", "trunks": ["y"], "windows": [{"days": "mon-xyz", "from": "08:00",
                                                                     "to": "18:00"}]}],
           "revision": p["revision"]}
    st, js, _ = c.call("PUT", "/api/cor/ars/default", bad)
    f = js.get("fields", {}) if js else {}
    t.ok(st == 400 and "route 2" in f.get("routes[1]", "") and "position 2" in f["routes[1]"] and
         "route 3" in f.get("routes[2]", "") and "routes[0]" not in f,
         "bad routes: one field error per route, naming it and why", js)
    t.ok(item(c, "ars", "default")["revision"] == p["revision"], "nothing stored")
    plan2 = {"routes": [{"pattern": "0Z.", "trunks": ["backup", "carrier"],
                         "windows": [{"days": "all", "from": "00:00", "to": "24:00"}]}],
             "revision": p["revision"]}
    st, js, _ = c.call("PUT", "/api/cor/ars/default", plan2)
    t.ok(st == 200 and js["revision"] > p["revision"], "ARS plan changed at its revision", js)
    out = shows(w, "100", "00301234", "trunks: backup, carrier")
    t.ok("trunks: backup, carrier (system code)" in out, "cor show: the plan now picks backup first", out)
    st, js, _ = c.call("PUT", "/api/cor/ars/default", plan2)
    t.ok(st == 409 and "changed meanwhile" in js["error"], "the old revision is 409", js)


def check_interconnect(t, w, c):
    t.ok("verdict: allow" in show(w, "trunk:carrier", "100"), "trunk carrier may call extension 100")
    st, js, _ = c.call("PUT", "/api/cor/interconnect", {"rules": [
        {"from": "ext:0", "to": "trunk:7", "action": "deny"},
        {"from": "pbx:1", "to": "ext:0", "action": "deny"}]})
    f = js.get("fields", {}) if js else {}
    t.ok(st == 400 and "rule 2" in f.get("rules[1]", "") and "rules[0]" not in f,
         "a bad link: field error naming the rule", js)
    t.ok(overview(c)["interconnect"] is None, "nothing stored")
    st, js, _ = c.call("PUT", "/api/cor/interconnect", {
        "defaults": {"trunk-trunk": "deny"},
        "rules": [{"from": "ext:0", "to": "trunk:7", "action": "deny"},
                  {"from": "trunk:7", "to": "ext:0", "action": "deny"}]})
    t.ok(st == 201, "interconnect matrix saved", js)
    out = shows(w, "100", "00301234", "trunks: backup\n")
    t.ok("trunks: backup\n" in out and "carrier" not in out,
         "cor show: the matrix drops trunk group 7 from the candidates", out)
    out = shows(w, "trunk:carrier", "100", "verdict: deny")
    t.ok("verdict: deny" in out, "cor show: trunk carrier (group 7) may no longer call extensions", out)
    t.ok("verdict: allow" in show(w, "trunk:backup", "100"), "trunk backup (group 0) still may")
    ic = overview(c)["interconnect"]
    st, js, _ = c.call("DELETE", "/api/cor/interconnect?revision=%d" % (ic["revision"] + 100))
    t.ok(st == 409, "delete at a stale revision is 409", js)
    st, js, _ = c.call("DELETE", "/api/cor/interconnect?revision=%d" % ic["revision"])
    out = shows(w, "trunk:carrier", "100", "verdict: allow")
    t.ok(st == 200 and "verdict: allow" in out and overview(c)["interconnect"] is None,
         "interconnect deleted: the defaults again", out)


def check_schedule(t, w, c):
    t.ok("period: day" in show(w, "100", "00301234"), "no schedule: day")
    for bad, field in ((
            {"windows": [{"days": "all", "from": "08:00", "to": "25:00", "period": "day"}]}, "windows[0]"),
            ({"timezone": "Mars/Olympus"}, "timezone"), ({"holidays": ["12-25", "13-01"]}, "holidays[1]")):
        st, js, _ = c.call("PUT", "/api/cor/schedule", bad)
        t.ok(st == 400 and field in js.get("fields", {}), "schedule: bad %s is a field error" % field, js)
    t.ok(overview(c)["schedule"] is None, "nothing stored")
    sched = {"timezone": "Europe/Berlin", "default": "night1", "holidays": ["12-25"],
             "windows": [{"days": "all", "from": "00:00", "to": "24:00", "period": "night2"}]}
    st, js, _ = c.call("PUT", "/api/cor/schedule", sched)
    t.ok(st == 201, "schedule saved: a night 2 window all day", js)
    out = shows(w, "100", "00301234", "period: night2")
    t.ok("period: night2" in out, "cor show: the window switches the period to night 2", out)
    t.ok(wait_for(lambda: overview(c)["service"]["period"] == "night2"), "the page's period too")
    s = overview(c)["schedule"]
    st, js, _ = c.call("DELETE", "/api/cor/schedule?revision=%d" % s["revision"])
    out = shows(w, "100", "00301234", "period: day")
    t.ok(st == 200 and "period: day" in out, "schedule deleted: day again", out)


def check_emergency(t, w, c):
    st, js, _ = c.call("PUT", "/api/cor/groups/9", {"name": "barred", "default": "deny",
                                                     "rules": [{"pattern": "!", "action": "deny", "name": "closed"}]})
    st2, js2, _ = c.call("PUT", "/api/cor/groups/3", {"name": "open", "default": "allow"})
    e = item(c, "assignments", "100")
    st3, js3, _ = c.call("PUT", "/api/cor/ext/100", {"cor": 9, "cos": 0, "revision": e["revision"]})
    t.ok(st == 201 and st2 == 201 and st3 == 200, "extension 100 barred (CoR 9)", [js, js2, js3])
    t.ok("verdict: deny" in shows(w, "100", "0555", "verdict: deny", "CoR: 9"), "0555 is barred")
    st, js, _ = c.call("PUT", "/api/cor/emergency", {"numbers": ["112", "9a9"], "trunk_prefix": "0"})
    t.ok(st == 400 and "number 2" in js.get("fields", {}).get("numbers[1]", "") and
         overview(c)["emergency"] is None, "a bad emergency number: field error, nothing stored", js)
    st, js, _ = c.call("PUT", "/api/cor/emergency", {"numbers": ["112", "555"], "trunk_prefix": "0"})
    t.ok(st == 201, "emergency numbers saved", js)
    out = shows(w, "100", "0555", "verdict: allow", "emergency override: applied")
    t.ok("emergency override: applied" in out, "cor show: 555 with the trunk prefix reaches it anyway", out)


def check_accounts(t, w, c):
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "cor": 3})
    t.ok(st == 400 and "pin" in js["fields"], "a new verified code needs a PIN", js)
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "pin": "12", "cor": 3})
    t.ok(st == 400 and "pin" in js["fields"] and "digits" in js["fields"]["pin"], "a short PIN is refused", js)
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "pin_hash": "sha256:1:00:00"})
    t.ok(st == 400 and "pin_hash" in js["fields"], "a hash is not accepted from outside", js)
    st, js, _ = c.call("PUT", "/api/cor/accounts/12ab", {"verified": False})
    t.ok(st == 400 and "id" in js["fields"], "a code is digits", js)
    st, js, _ = c.call("PUT", "/api/cor/accounts/9000", {"verified": False, "pin": PIN})
    t.ok(st == 400 and "pin" in js["fields"], "a non-verified code has no PIN", js)
    t.ok(overview(c)["accounts"] == [], "nothing stored")
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "pin": PIN, "cor": 3})
    t.ok(st == 201 and js["record"].get("pin_set") is True and "pin_hash" not in js["record"] and
         PIN not in json.dumps(js), "verified code created; the PIN is never returned", js)
    rc, out, _ = w.d.ctl("store", "get", "cor/account/4711")
    t.ok(rc == 0 and json.loads(out).get("pin_hash", "").startswith("sha256:") and PIN not in out,
         "stored hashed the cor module's way", out)
    number = "*884711*%s*00301234" % PIN
    out = shows(w, "100", number, "verdict: allow")
    t.ok("verdict: allow" in out and "account code: 4711 (verified)" in out and "CoR: 3" in out,
         "cor show: the code and PIN unlock the barred extension's call", out)
    t.ok("verdict: deny" in show(w, "100", "*884711*11112222*00301234"), "a wrong PIN does not")
    a = item(c, "accounts", "4711")
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "cor": 3, "cos": 0,
                                                          "revision": a["revision"] + 50})
    t.ok(st == 409, "a stale revision is 409", js)
    st, js, _ = c.call("PUT", "/api/cor/accounts/4711", {"verified": True, "cor": 3, "cos": 0,
                                                          "revision": a["revision"]})
    t.ok(st == 200 and js["record"]["pin_set"] is True, "changed without the PIN: the PIN is kept", js)
    t.ok("verdict: allow" in shows(w, "100", number, "verdict: allow"), "the kept PIN still unlocks")
    st, js, _ = c.call("PUT", "/api/cor/accounts/9000", {"verified": False})
    t.ok(st == 201 and js["record"]["pin_set"] is False, "non-verified code created", js)
    out = shows(w, "100", "*889000*00301234", "account code: 9000 (recorded)")
    t.ok("account code: 9000 (recorded)" in out, "cor show: the code is recorded", out)
    js = overview(c)
    t.ok(all("pin_hash" not in a["record"] for a in js["accounts"]) and PIN not in json.dumps(js),
         "the overview never shows the PIN or its hash", js["accounts"])


def check_audit(t, w):
    rc, out, _ = w.d.ctl("audit", "list")
    acts = ("cor.trunk.add", "cor.ars.add", "cor.ars.set", "cor.interconnect.add", "cor.interconnect.del",
            "cor.schedule.add", "cor.schedule.del", "cor.emergency.add", "cor.account.add",
            "cor.account.set", "cor/account/4711", "cor.limits.set", "cor.limits.del",
            "max_external_calls: 3 (xml) -> 1 (saved)")
    t.ok(rc == 0 and all(a in out for a in acts) and "web:admin@127.0.0.1" in out,
         "every change audited with the web actor", out[-3000:])
    t.ok(PIN not in out and "sha256:" not in out, "the audit holds neither the PIN nor its hash")
    t.ok(PIN not in w.d.output(), "the PIN is not in the daemon's log (nor the number tested with it)")


def main():
    t = Tap()
    w = WebAdmin(t, modules=COR)
    with w:
        c = w.admin()
        check_settings(t, c)
        check_trunks_ars(t, w, c)
        check_interconnect(t, w, c)
        check_schedule(t, w, c)
        check_emergency(t, w, c)
        check_accounts(t, w, c)
        st, js, _ = explain(c, "trunk:carrier", "100")
        t.ok(st == 200 and js["verdict"] == "allow", "the explain tool agrees with cor show", js)
        check_explain(t, w, c)
        check_ext_fields(t, w, c)
        check_limits(t, w, c)
        check_audit(t, w)
    t.done()


main()
