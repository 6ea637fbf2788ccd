#!/usr/bin/env python3
"""WebAdmin Routes API (/api/routes, form "routes") against a real bulwarkd:
outgoing routes and DIDs created, changed and deleted with revisions (409
on a stale one or a second create), every validation error on its field,
a trunk or extension that does not exist refused, keys with + * # through
the query parameter, records the directory would skip flagged as
"problem", 403 for a profile without "routes", a read-only profile, the
audit. That the directory takes what the page saves: the edge cases saved
here are never skipped by the directory (its warning names the key), and
with the sip module, sipp and baresip, a call from a peer trunk to a saved
DID rings its extension and an extension dialling a saved prefix reaches
the trunk with the number rewritten (call records)."""
import json, os, shutil, socket, tempfile, time
from bwtest import Tap, build, pick_port, wait_bound, wait_for
from wafix import WebAdmin
from sipraw import ext_json
import sippfix

PEER_IP = "127.0.0.2"      # the peer trunk is trusted by its address
SIPP = shutil.which("sipp")
BARESIP = shutil.which("baresip")
SIP_BUILT = os.path.exists(build("modules/sip/.libs/mod_sip.so"))


def put(w, key, value):
    rc, out, err = w.d.ctl("store", "put", key, json.dumps(value))
    return rc == 0, out + err


def store_get(w, key):
    rc, out, _ = w.d.ctl("store", "get", key)
    return json.loads(out) if rc == 0 else None


def fields(js):
    return set((js or {}).get("fields", {}))


def routes(c):
    st, js, _ = c.call("GET", "/api/routes")
    return js if st == 200 else {}


def check_validation(t, c):
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"revision": 0})
    t.ok(st == 400 and fields(js) == {"trunk"} and "required" in js["fields"]["trunk"],
         "out: the trunk is required", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"trunk": "nosuch", "revision": 0})
    t.ok(st == 400 and fields(js) == {"trunk"} and "no trunk" in js["fields"]["trunk"],
         "out: a trunk that does not exist is a field error", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"trunk": "bad name", "strip": 33, "prepend": "12a",
                                                    "colour": 1, "revision": 0})
    t.ok(st == 400 and fields(js) == {"trunk", "strip", "prepend", "colour"} and
         "0 to 32" in js["fields"]["strip"] and "digits, + * #" in js["fields"]["prepend"] and
         js["fields"]["colour"] == "unknown field", "out: each bad value on its field", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"trunk": "carrier", "strip": "1", "revision": 0})
    t.ok(st == 400 and fields(js) == {"strip"}, "out: strip must be a number, not text", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"trunk": "carrier", "strip": 1.5, "revision": 0})
    t.ok(st == 400 and fields(js) == {"strip"}, "out: strip must be whole", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", {"trunk": "carrier"})
    t.ok(st == 400 and fields(js) == {"revision"}, "out: the revision is required (0 creates)", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9a", {"trunk": "carrier", "revision": 0})
    t.ok(st == 400 and fields(js) == {"prefix"}, "out: a prefix with a letter is refused", js)
    st, js, _ = c.call("PUT", "/api/routes/out/" + "1" * 33, {"trunk": "carrier", "revision": 0})
    t.ok(st == 400 and fields(js) == {"prefix"}, "out: a prefix over 32 characters is refused", js)
    st, js, _ = c.call("PUT", "/api/routes/out?prefix=%2B49x", {"trunk": "carrier", "revision": 0})
    t.ok(st == 400 and fields(js) == {"prefix"}, "out: a bad prefix given as ?prefix= is refused", js)
    st, js, _ = c.call("PUT", "/api/routes/out", {"trunk": "carrier", "revision": 0})
    t.ok(st == 400 and fields(js) == {"prefix"}, "out: no prefix at all", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9?prefix=8", {"trunk": "carrier", "revision": 0})
    t.ok(st == 400 and fields(js) == {"prefix"}, "out: two different prefixes", js)
    st, js, _ = c.call("PUT", "/api/routes/out/9", "[1,2]")
    t.ok(st == 400 and "error" in js, "out: a body that is not an object", js)
    st, js, _ = c.call("POST", "/api/routes/out/9", {"trunk": "carrier", "revision": 0})
    t.ok(st == 405, "out: POST is 405", js)
    st, js, _ = c.call("PUT", "/api/routes/did/5551000", {"revision": 0})
    t.ok(st == 400 and fields(js) == {"extension"}, "did: the extension is required", js)
    st, js, _ = c.call("PUT", "/api/routes/did/5551000", {"extension": "999", "revision": 0})
    t.ok(st == 400 and fields(js) == {"extension"} and "no extension" in js["fields"]["extension"],
         "did: an extension that does not exist is a field error", js)
    st, js, _ = c.call("PUT", "/api/routes/did/5551000", {"extension": "10a", "trunk": "x", "revision": 0})
    t.ok(st == 400 and fields(js) == {"extension", "trunk"}, "did: bad extension and unknown field", js)
    st, js, _ = c.call("PUT", "/api/routes/did/55x", {"extension": "101", "revision": 0})
    t.ok(st == 400 and fields(js) == {"number"}, "did: a bad number is refused", js)
    t.ok(routes(c).get("outgoing") == [] and routes(c).get("dids") == [], "nothing was stored")
    st, js, _ = c.call("GET", "/api/routes/nothing")
    t.ok(st == 404, "an unknown sub-resource is 404", js)


def check_crud(t, w, c):
    st, js, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "carrier", "strip": 1, "prepend": "0049",
                                                    "revision": 0})
    t.ok(st == 201 and js["prefix"] == "7" and js["strip"] == 1 and js["revision"] > 0,
         "out: route 7 created", js)
    t.ok(store_get(w, "route/out/7") == {"trunk": "carrier", "strip": 1, "prepend": "0049"},
         "stored as docs/provisioning.md's record", store_get(w, "route/out/7"))
    rev = js.get("revision", 0)
    st, js, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "carrier", "revision": 0})
    t.ok(st == 409 and fields(js) == {"prefix"} and "already exists" in js["error"],
         "out: creating it again is 409", js)
    st, js, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "backup.2_x-y", "revision": rev + 100})
    t.ok(st == 409 and "changed meanwhile" in js["error"], "out: a stale revision is 409", js)
    st, js, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "backup.2_x-y", "strip": 0, "prepend": "",
                                                    "revision": rev})
    t.ok(st == 200 and js["trunk"] == "backup.2_x-y" and js["strip"] == 0 and js["prepend"] == "" and
         js["revision"] > rev, "out: changed at its revision", js)
    t.ok(store_get(w, "route/out/7") == {"trunk": "backup.2_x-y"}, "defaults are left out of the record")
    st, js2, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "carrier", "revision": rev})
    t.ok(st == 409, "out: the revision read before the change is stale now", js2)
    rev = js["revision"]
    st, js, _ = c.call("PUT", "/api/routes/out/7", {"trunk": "carrier", "strip": 1, "prepend": "0049",
                                                    "revision": rev})
    t.ok(st == 200, "out: back to carrier", js)
    st, one, _ = c.call("GET", "/api/routes/out/7")
    t.ok(st == 200 and one["trunk"] == "carrier" and one["revision"] == js["revision"], "out: GET one", one)

    st, js, _ = c.call("PUT", "/api/routes/did/5551000", {"extension": "101", "revision": 0})
    t.ok(st == 201 and js["number"] == "5551000" and js["extension"] == "101", "did: created", js)
    drev = js["revision"]
    st, js, _ = c.call("PUT", "/api/routes/did/5551000", {"extension": "100", "revision": drev + 50})
    t.ok(st == 409, "did: a stale revision is 409", js)

    st, js, _ = c.call("PUT", "/api/routes/out/6", {"trunk": "carrier", "revision": 0})
    r6 = js["revision"]
    st, js, _ = c.call("DELETE", "/api/routes/out/6")
    t.ok(st == 400 and fields(js) == {"revision"}, "delete: the revision is required", js)
    st, js, _ = c.call("DELETE", "/api/routes/out/6?revision=%d" % (r6 + 100))
    t.ok(st == 409 and "changed meanwhile" in js["error"], "delete: a stale revision is 409", js)
    st, js, _ = c.call("DELETE", "/api/routes/out/6?revision=%d" % r6)
    t.ok(st == 200 and c.call("GET", "/api/routes/out/6")[0] == 404 and store_get(w, "route/out/6") is None,
         "delete at its revision", js)
    st, js, _ = c.call("DELETE", "/api/routes/out/6?revision=%d" % r6)
    t.ok(st == 404, "delete again: 404", js)


def check_edges(t, w, c):
    """Keys and values at the edges of the directory's rules; returns the keys."""
    saved = []
    cases = [("out", "prefix", "%2B49%23*", {"trunk": "carrier", "strip": 32, "prepend": "+*#" + "9" * 29}),
             ("out", "prefix", "1" * 32, {"trunk": "backup.2_x-y"}),
             ("did", "number", "%2B3212345678", {"extension": "101"}),
             ("did", "number", "1" * 32, {"extension": "100"})]
    for kind, name, key, body in cases:
        st, js, _ = c.call("PUT", "/api/routes/%s?%s=%s" % (kind, name, key), dict(body, revision=0))
        t.ok(st == 201, "edge case %s %s accepted" % (kind, key), js)
        saved.append("route/%s/%s" % (kind, (js or {}).get(name)))
    rows = routes(c)
    plus = [r for r in rows.get("outgoing", []) if r["prefix"] == "+49#*"]
    t.ok(plus and plus[0]["strip"] == 32 and plus[0]["problem"] is None, "the + # * prefix is listed", plus)
    st, js, _ = c.call("GET", "/api/routes/did?number=%2B3212345678")
    t.ok(st == 200 and js["extension"] == "101", "a DID with + read through ?number=", js)
    return saved


def check_problems(t, w, c):
    put(w, "route/out/5", {"trunk": "ghost"})
    put(w, "route/out/4", {"trunk": "carrier", "prepend": None})
    put(w, "route/did/9x", {"extension": "100"})
    rows = routes(c)
    by = {r["prefix"]: r for r in rows.get("outgoing", [])}
    dids = {r["number"]: r for r in rows.get("dids", [])}
    t.ok("5" in by and "no trunk" in (by["5"]["problem"] or ""), "a route to a missing trunk is flagged", by.get("5"))
    t.ok("4" in by and (by["4"]["problem"] or "").startswith("prepend"), "a stored null is flagged", by.get("4"))
    t.ok("9x" in dids and (dids["9x"]["problem"] or "").startswith("number"), "a bad DID key is flagged",
         dids.get("9x"))
    t.ok(by.get("7", {}).get("problem", "x") is None, "a good route has no problem", by.get("7"))
    t.ok(rows.get("trunks") == ["backup.2_x-y", "carrier"] and rows.get("extensions") == ["100", "101"],
         "the choices: trunk names and extension numbers", rows)
    # a trunk record the directory refuses: stored, but not offered, and a
    # route to it is flagged (the directory's view, not the store's)
    put(w, "trunk/bogus", {"driver": "sip", "srtp": "sometimes"})
    put(w, "route/out/6", {"trunk": "bogus"})
    wait_for(lambda: "record skipped: trunk/bogus" in w.d.output(), 10)
    rows = routes(c)
    by = {r["prefix"]: r for r in rows.get("outgoing", [])}
    t.ok("bogus" not in rows.get("trunks", []) and "not in use" in (by.get("6", {}).get("problem") or ""),
         "a route to a trunk the directory refused is flagged, the trunk is not offered", by.get("6"))
    w.d.ctl("store", "delete", "route/out/6")
    w.d.ctl("store", "delete", "trunk/bogus")
    # a nested key written by other means: listed with its problem, and the
    # page can delete it (through the query), not read or write it
    put(w, "route/out/1/2", {"trunk": "carrier"})
    row = next((r for r in routes(c).get("outgoing", []) if r["prefix"] == "1/2"), None)
    t.ok(row is not None and row["problem"], "a nested key is listed with its problem", row)
    st, _, _ = c.call("GET", "/api/routes/out?prefix=1%2F2")
    st2, js, _ = c.call("DELETE", "/api/routes/out?prefix=1%%2F2&revision=%d" % (row or {}).get("revision", 0))
    t.ok(st == 404 and st2 == 200 and store_get(w, "route/out/1/2") is None,
         "...and deleted through ?prefix= (GET of it: 404)", (st, st2, js))


def check_directory(t, w, saved):
    """The directory warns 'record skipped: KEY: ...' for what it refuses.
    route/did/9x (written last, bad) shows that it has rebuilt since the
    edge cases were saved; none of those may be named."""
    t.ok(wait_for(lambda: "record skipped: route/did/9x" in w.d.output(), 10),
         "the directory rebuilt and refused a bad record", w.d.output()[-1500:])
    skipped = [l for l in w.d.output().splitlines() if "record skipped" in l]
    bad = [k for k in saved + ["route/out/7", "route/did/5551000"] if any(k + ":" in l for l in skipped)]
    t.ok(not bad, "the directory took every record the API saved", (bad, skipped))


def check_profiles(t, w, admin):
    st, js, _ = admin.call("GET", "/api/profiles")
    t.ok(st == 200 and "routes" in js["forms"], "routes is a grantable form", js)
    for name, forms in (("noroutes", {"extensions": "write"}), ("routes-ro", {"routes": "read"})):
        st, js, _ = admin.call("POST", "/api/profiles", {"name": name, "forms": forms})
        t.ok(st == 201, "profile %s" % name, js)
    out = {}
    for user, prof in (("grpa", "noroutes"), ("grpb", "routes-ro")):
        pw = "Init-Pass-%s-9" % user
        st, js, _ = admin.call("POST", "/api/users", {"name": user, "role": "group", "password": pw,
                                                      "profile": prof})
        g = w.client()
        g.login(user, pw)
        st2, js2, _ = g.call("POST", "/api/password", {"current": pw, "new": "Grp-Pass-456!"})
        t.ok(st == 201 and st2 == 200, "group admin %s (%s) logged in" % (user, prof), (js, js2))
        out[user] = g
    st, js, _ = out["grpa"].call("GET", "/api/routes")
    t.ok(st == 403, "a profile without routes: GET is 403", js)
    st, js, _ = out["grpa"].call("PUT", "/api/routes/out/3", {"trunk": "carrier", "revision": 0})
    t.ok(st == 403, "a profile without routes: PUT is 403", js)
    g = out["grpb"]
    st, js, _ = g.call("GET", "/api/routes")
    t.ok(st == 200 and any(r["prefix"] == "7" for r in js["outgoing"]), "read-only profile: GET works", js)
    rev = next(r["revision"] for r in js["outgoing"] if r["prefix"] == "7")
    answers = [g.call("PUT", "/api/routes/out/3", {"trunk": "carrier", "revision": 0})[0],
               g.call("PUT", "/api/routes/out/7", {"trunk": "backup.2_x-y", "revision": rev})[0],
               g.call("DELETE", "/api/routes/out/7?revision=%d" % rev)[0]]
    t.ok(answers == [403, 403, 403], "read-only profile: PUT and DELETE are 403", answers)
    t.ok(store_get(w, "route/out/7") == {"trunk": "carrier", "strip": 1, "prepend": "0049"},
         "read-only profile changed nothing")


def check_audit(t, w):
    rc, out, _ = w.d.ctl("audit", "list", "500")
    lines = out.splitlines()
    want = [("route.out.add", "route/out/7"), ("route.out.set", "route/out/7"),
            ("route.out.del", "route/out/6"), ("route.did.add", "route/did/5551000")]
    missing = [a for a in want if not any(a[0] in l and a[1] in l and "web:admin@127.0.0.1" in l
                                         for l in lines)]
    t.ok(rc == 0 and not missing, "changes audited with the web actor", (missing, out[-2000:]))
    t.ok(any("route.out.set" in l and "trunk=carrier" in l and "trunk=backup.2_x-y" in l for l in lines),
         "the audit says what changed (old -> new)", out[-1500:])
    t.ok(not any("route." in l and "grpb" in l for l in lines), "refused changes are not audited")


def sipp(tmp, scenario, *args, timeout=30, background=False):
    return sippfix.run(tmp, scenario, PEER_IP, *args, timeout=timeout, background=background)


def check_calls(t, w, sip_port, uas_port):
    """The routes saved above carry real calls (docs: test_sip_trunk.py)."""
    from sipcallfix import Phone
    tmp = tempfile.mkdtemp(prefix="bwroutes-")
    try:
        rc, out, _ = w.d.ctl("trunks")
        t.ok(wait_for(lambda: "carrier\tpeer\tpeer" in w.d.ctl("trunks")[1], 10),
             "the sip module runs the peer trunk", out)
        with Phone(t, "bob", "pw-bob", "127.0.0.1", sip_port, extra_account=";answermode=auto") as b, \
                Phone(t, "alice", "pw-alice", "127.0.0.1", sip_port) as a:
            t.ok(b.wait_registered(10) and a.wait_registered(10), "extensions 100 and 101 registered")
            rc, out = sipp(tmp, "uac_did.xml", "-s", "5551000", "-p", str(pick_port(socket.SOCK_DGRAM, PEER_IP)),
                           "127.0.0.1:%d" % sip_port)
            t.ok(rc == 0, "the peer calls DID 5551000 (saved in the WebAdmin): 101 answers", out)
            uas = sipp(tmp, "uas_provider.xml", "-p", str(uas_port), background=True)
            wait_bound(uas_port, PEER_IP)
            a.dial("70301234")
            est = a.wait_event(lambda e: e.get("type") == "CALL_ESTABLISHED", 15)
            t.ok(est is not None, "100 dials 7 + number: the route saved in the WebAdmin reaches the trunk",
                 a.seen)
            time.sleep(0.3)
            a.hangup()
            sippfix.finish(uas)
        ok = wait_for(lambda: "100 -> 00490301234 answered" in w.d.ctl("cdr")[1], 10)
        t.ok(ok and "0612345678 -> 101 answered" in w.d.ctl("cdr")[1],
             "call records: the DID call to 101, the outgoing number stripped and prepended",
             w.d.ctl("cdr")[1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    t = Tap()
    calls = SIP_BUILT and SIPP and BARESIP
    sip_port = pick_port(socket.SOCK_DGRAM)
    uas_port = pick_port(socket.SOCK_DGRAM, PEER_IP)
    mods = ('<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
            '<auth algorithms="MD5"/></module>' % sip_port) if SIP_BUILT else ""
    with WebAdmin(t, modules=mods) as w:
        for num, user, pw in (("100", "alice", "pw-alice"), ("101", "bob", "pw-bob")):
            rc, out, err = w.d.ctl("store", "put", "ext/" + num, ext_json(num, user, "test", pw))
            t.ok(rc == 0, "extension %s provisioned" % num, out + err)
        ok1, why1 = put(w, "trunk/carrier", {"driver": "sip", "mode": "peer", "address": PEER_IP,
                                              "proxy": "sip:%s:%d" % (PEER_IP, uas_port), "transport": "udp"})
        ok2, why2 = put(w, "trunk/backup.2_x-y", {"driver": "sip", "mode": "peer", "address": "127.0.0.3",
                                                   "proxy": "sip:127.0.0.3", "transport": "udp"})
        t.ok(ok1 and ok2, "trunks provisioned", why1 + why2)
        c = w.admin()
        js = routes(c)
        t.ok(js.get("outgoing") == [] and js.get("dids") == [] and "carrier" in js.get("trunks", []) and
             js.get("extensions") == ["100", "101"], "GET /api/routes: empty, with the choices", js)
        check_validation(t, c)
        check_crud(t, w, c)
        saved = check_edges(t, w, c)
        check_problems(t, w, c)
        check_directory(t, w, saved)
        check_profiles(t, w, c)
        check_audit(t, w)
        if calls:
            check_calls(t, w, sip_port, uas_port)
        else:
            t.ok(True, "# SKIP calls need the sip module, sipp and baresip")
    t.done()


main()
