#!/usr/bin/env python3
"""WebAdmin Trunks and CoR/CoS API against a real bulwarkd running sip +
cor + webadmin: trunk records checked by the sip module's own parser
(field errors), the state the sip module runs (peer, failed with its
reason) also seen by `bulwarkctl trunks`, passwords stored as HA1 and
never returned, revisions (409), delete; CoR groups with a rule that the
explain tool shows deciding, a bad pattern named by rule, the service
period switched to night1 and back; audit entries. A second daemon
without sip and cor: the pages say so and changes are refused."""
import hashlib, json, socket
from bwtest import Tap, pick_port, wait_for
from wafix import WebAdmin

SECRET = "Trunk-Secret-42"



def closed_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def trunk(c, name):
    st, js, _ = c.call("GET", "/api/trunks")
    return next((x for x in js.get("trunks", []) if x["name"] == name), None) if st == 200 else None


def ctl_trunks(w):
    rc, out, _ = w.d.ctl("trunks")
    return out if rc == 0 else ""


def check_trunks(t, w, c):
    st, js, _ = c.call("GET", "/api/trunks")
    t.ok(st == 200 and js["available"] is True and js["trunks"] == [], "trunks: empty list, sip loaded", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "carrier", "mode": "peer",
                                                "proxy": "http://127.0.0.2", "address": "127.0.0.2"})
    t.ok(st == 400 and "proxy" in js["fields"] and "sip:" in js["fields"]["proxy"],
         "a bad proxy URI is a field error from the sip module's parser", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "carrier", "mode": "peer",
                                                "proxy": "sip:", "address": "127.0.0.2"})
    t.ok(st == 400 and "proxy" in js["fields"], "a proxy without a host is refused", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "carrier", "mode": "peer", "proxy": "sip:127.0.0.2",
                                                "address": "not-an-ip", "transport": "sctp", "colour": 1})
    t.ok(st == 400 and ("address" in js["fields"] or "transport" in js["fields"]) and
         "colour" in js["fields"], "bad values and unknown fields named", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "bad name!", "proxy": "sip:x.test"})
    t.ok(st == 400 and "name" in js["fields"], "a bad trunk name is a field error", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "carrier", "mode": "peer", "proxy": "sip:127.0.0.2:5060",
                                                "address": "127.0.0.2", "srtp": "optional"})
    t.ok(st == 201 and js["name"] == "carrier" and js["srtp"] == "optional" and js["revision"] > 0,
         "peer trunk created", js)
    t.ok(wait_for(lambda: "carrier\tpeer\tpeer" in ctl_trunks(w)), "bulwarkctl trunks runs the new peer",
         ctl_trunks(w))
    got = wait_for(lambda: (trunk(c, "carrier") or {}).get("state") == "peer" and trunk(c, "carrier"))
    t.ok(got and got["mode"] == "peer" and got["proxy"] == "sip:127.0.0.2:5060",
         "the page shows the peer's state from the sip module", got)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "carrier", "proxy": "sip:127.0.0.3", "mode": "peer",
                                                "address": "127.0.0.3"})
    t.ok(st == 409 and "name" in js["fields"], "a duplicate name is 409", js)

    st, js, _ = c.call("POST", "/api/trunks", {"name": "prov", "mode": "register", "proxy": "sip:x.test",
                                                "username": "acme"})
    t.ok(st == 400 and "password" in js["fields"], "a registering trunk without a password: password field", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "prov", "mode": "register", "proxy": "sip:x.test",
                                                "username": "acme", "password": SECRET})
    t.ok(st == 400 and "realm" in js["fields"], "a password needs the realm (HA1)", js)
    port = closed_tcp_port()
    proxy = "sip:127.0.0.1:%d;transport=tcp" % port
    st, js, _ = c.call("POST", "/api/trunks", {"name": "prov", "mode": "register", "proxy": proxy,
                                                "transport": "tcp", "username": "acme",
                                                "realm": "provider.test", "password": SECRET, "expires": 300})
    t.ok(st == 201 and js["password_set"] is True and SECRET not in json.dumps(js) and
         "ha1_md5" not in js, "registering trunk created; the password is never returned", js)
    rc, out, _ = w.d.ctl("store", "get", "trunk/prov")
    rec = json.loads(out) if rc == 0 else {}
    t.ok(rec.get("ha1_md5") == hashlib.md5(("acme:provider.test:" + SECRET).encode()).hexdigest() and
         rec.get("ha1_sha256") == hashlib.sha256(("acme:provider.test:" + SECRET).encode()).hexdigest() and
         SECRET not in out and rec.get("driver") == "sip", "stored as HA1 the way the sip module reads it", out)
    got = wait_for(lambda: (trunk(c, "prov") or {}).get("state") == "failed" and trunk(c, "prov"))
    t.ok(got and got["reason"], "a provider that refuses the connection: failed, with the reason", got)
    rev = got["revision"] if got else 0

    st, js, _ = c.call("PUT", "/api/trunks/prov", {"caller_id": "+3212345678", "revision": rev + 1000})
    t.ok(st == 409 and "changed meanwhile" in js["error"], "a stale revision is 409", js)
    st, js, _ = c.call("PUT", "/api/trunks/prov", {"username": "other", "revision": rev})
    t.ok(st == 400 and "password" in js["fields"], "a new user name needs the password again", js)
    st, js, _ = c.call("PUT", "/api/trunks/prov", {"caller_id": "+3212345678", "expires": 5, "revision": rev})
    t.ok(st == 400 and "expires" in js["fields"], "expires outside 60-86400 refused", js)
    st, js, _ = c.call("PUT", "/api/trunks/prov", {"caller_id": "+3212345678", "revision": rev})
    t.ok(st == 200 and js["caller_id"] == "+3212345678" and js["revision"] > rev and js["password_set"],
         "trunk changed at its revision, the password kept", js)
    st, js, _ = c.call("PUT", "/api/trunks/prov", {"name": "x", "revision": js.get("revision")})
    t.ok(st == 400 and "name" in js["fields"], "the name cannot change")

    st, js, _ = c.call("DELETE", "/api/trunks/prov?revision=1")
    t.ok(st == 409, "delete at a stale revision is 409", js)
    st, js, _ = c.call("DELETE", "/api/trunks/prov")
    st2, _, _ = c.call("GET", "/api/trunks/prov")
    t.ok(st == 200 and st2 == 404, "trunk deleted", js)
    t.ok(wait_for(lambda: "prov\t" not in ctl_trunks(w) and "carrier" in ctl_trunks(w)),
         "the sip module dropped it", ctl_trunks(w))
    rc, out, _ = w.d.ctl("audit", "list")
    t.ok(rc == 0 and all(a in out for a in ("trunk.add", "trunk.set", "trunk.del", "trunk/carrier")) and
         "web:admin@127.0.0.1" in out and SECRET not in out, "changes audited, never the password", out[-2000:])
    t.ok(SECRET not in w.d.output(), "the password is not in the daemon's log")


def explain(c, caller, number):
    # a POST: the number may carry an account code's PIN (docs/webadmin.md)
    return c.call("POST", "/api/cor/explain", {"caller": caller, "number": number})


def explained(c, caller, number, *words):
    st, js, _ = explain(c, caller, number)
    return js if st == 200 and all(x in js["text"] for x in words) else None


def group(c, gid):
    st, js, _ = c.call("GET", "/api/cor")
    return next((g for g in js.get("groups", []) if g["id"] == gid), None) if st == 200 else None


def check_cor(t, w, c):
    st, js, _ = c.call("GET", "/api/cor")
    t.ok(st == 200 and js["available"] is True and js["service"]["override"] == "auto",
         "cor: overview with the service period", js)
    office = {"name": "office", "default": "allow",
              "rules": [{"pattern": "0900.", "action": "deny", "name": "premium"}]}
    st, js, _ = c.call("PUT", "/api/cor/groups/5", office)
    t.ok(st == 201 and js["revision"] > 0, "CoR group created", js)
    st, js, _ = c.call("PUT", "/api/cor/groups/5", office)
    t.ok(st == 409, "creating it again (no revision) is 409", js)
    st, js, _ = c.call("PUT", "/api/cor/cos/2", {"name": "staff", "external": True, "forward_external": False})
    t.ok(st == 201, "CoS group created", js)
    st, js, _ = c.call("PUT", "/api/cor/cos/3", {"name": "x", "teleport": True})
    t.ok(st == 400 and "teleport" in js["fields"], "an unknown CoS flag is a field error", js)
    st, js, _ = c.call("PUT", "/api/cor/ext/100", {"cor": {"day": 5, "night1": 5, "night2": 5}, "cos": 2})
    t.ok(st == 201, "extension 100 assigned CoR 5 per period and CoS 2", js)
    js = wait_for(lambda: explained(c, "100", "00900123", "verdict: deny", '"0900."', "CoR: 5"))
    t.ok(js is not None and js["verdict"] == "deny", "explain: the premium rule denies", js)

    g = group(c, 5)
    rules = g["record"]["rules"] + [{"pattern": "0900123", "action": "allow", "name": "helpdesk"}]
    st, js, _ = c.call("PUT", "/api/cor/groups/5", {**office, "rules": rules, "revision": g["revision"]})
    t.ok(st == 200 and len(js["record"]["rules"]) == 2, "a rule added at the group's revision", js)
    js = wait_for(lambda: explained(c, "100", "00900123", "verdict: allow", "helpdesk"))
    t.ok(js is not None and any(l["key"] == "rule" and "#2" in l["value"] for l in js["lines"]),
         "explain: the new rule decides (most specific)", js)
    st, js, _ = c.call("PUT", "/api/cor/groups/5", {**office, "rules": rules, "revision": g["revision"]})
    t.ok(st == 409 and "changed meanwhile" in js["error"], "the old revision is 409 now", js)

    g = group(c, 5)
    bad = rules + [{"pattern": "0Q", "action": "deny", "name": "typo"}, {"pattern": "1", "action": "maybe"}]
    st, js, _ = c.call("PUT", "/api/cor/groups/5", {**office, "rules": bad, "revision": g["revision"]})
    f = js.get("fields", {}) if js else {}
    t.ok(st == 400 and "rules[2]" in f and "rule 3" in f["rules[2]"] and "position 2" in f["rules[2]"] and
         "rules[3]" in f and "rule 4" in f["rules[3]"] and "rules[0]" not in f,
         "bad patterns: one field error per rule, naming the rule and why", js)

    st, js, _ = explain(c, "100", "0 9")
    t.ok(st == 400 and "number" in js["fields"], "explain: a bad number is a field error", js)
    st, js, _ = c.call("POST", "/api/cor/service", {"mode": "night7"})
    t.ok(st == 400 and "mode" in js["fields"], "a bad service mode is a field error", js)
    st, js, _ = c.call("POST", "/api/cor/service", {"mode": "night1"})
    t.ok(st == 200 and js["service"] == {"override": "night1", "period": "night1"}, "service: night1", js)
    rc, out, _ = w.d.ctl("service")
    t.ok(rc == 0 and "service: night1" in out, "bulwarkctl service agrees", out)
    t.ok(explained(c, "100", "00900123", "period: night1") is not None, "explain uses night1")
    st, js, _ = c.call("POST", "/api/cor/service", {"mode": "auto"})
    rc, out, _ = w.d.ctl("service")
    t.ok(st == 200 and js["service"]["override"] == "auto" and "service: auto" in out, "back to auto", out)

    st, js, _ = c.call("DELETE", "/api/cor/ext/100")
    st2, js2, _ = c.call("GET", "/api/cor")
    t.ok(st == 200 and js2["assignments"] == [], "assignment deleted", js2)
    rc, out, _ = w.d.ctl("audit", "list")
    t.ok(rc == 0 and all(a in out for a in ("cor.group.add", "cor.group.set", "cor.cos.add", "cor.ext.del",
                                            "cor.service")) and "web:admin@127.0.0.1" in out,
         "CoR changes audited with the web actor", out[-2000:])


def check_without(t, w, c):
    st, js, _ = c.call("GET", "/api/trunks")
    t.ok(st == 200 and js["available"] is False and "sip module is not loaded" in js["message"],
         "trunks: the page says the sip module is not loaded", js)
    st, js, _ = c.call("POST", "/api/trunks", {"name": "x", "proxy": "sip:x.test", "mode": "peer",
                                                "address": "127.0.0.2"})
    t.ok(st == 503 and "sip module is not loaded" in js["error"], "trunk changes refused without sip", js)
    st, js, _ = c.call("GET", "/api/cor")
    t.ok(st == 200 and js["available"] is False and "cor module is not loaded" in js["message"],
         "cor: the page says the cor module is not loaded", js)
    st, js, _ = c.call("PUT", "/api/cor/groups/1", {"name": "x"})
    st2, js2, _ = c.call("POST", "/api/cor/service", {"mode": "day"})
    t.ok(st == 503 and st2 == 503 and "cor module is not loaded" in js["error"], "CoR changes refused", js)


def main():
    t = Tap()
    mods = ('<module name="sip"><transport type="udp" listen="127.0.0.1:{u}"/>'
            '<transport type="tcp" listen="127.0.0.1:{p}"/></module>'
            '<module name="cor" trunk-prefix="0"/>').format(u=pick_port(socket.SOCK_DGRAM), p=pick_port())
    w = WebAdmin(t, modules=mods)
    with w:
        c = w.admin()
        check_trunks(t, w, c)
        check_cor(t, w, c)
    w = WebAdmin(t)
    with w:
        check_without(t, w, w.admin())
    t.done()


main()
