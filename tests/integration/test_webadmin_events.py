#!/usr/bin/env python3
"""WebAdmin access log, event log and call-volume history against a real
bulwarkd (webadmin + sip modules) and lighttpd: the access log comes from
the audit log (a failed and a successful login, a change made with
`bulwarkctl ext add`, paging with before, still there after a restart,
GET only); the event log keeps the last events-keep bus events, filters by
glob, pages with after, never shows a secret-looking field; three
authenticated INVITEs through the sip module (to a number that does not
exist, so each is a started call ending in 404) are counted in the
dashboard history and appear as call.* events."""
import json, time
from bwtest import Tap, pick_port, wait_for
from sipraw import SipRaw, ext_json, ha1
from wafix import WebAdmin, NEWPW

SECRETS = ("hunter2-Unique-77", "9731-pin-unique", "k3y-unique-value")
KEEP = 40
SDP = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
       b"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")



def make_webadmin(t, sip_port):
    sip = ('<module name="sip"><transport type="tcp" listen="127.0.0.1:%d"/>'
           '<auth algorithms="MD5"/></module>' % sip_port)
    return WebAdmin(t, extra='events-keep="%d"' % KEEP, modules=sip)


def login(w):
    c = w.client()
    st, js, _ = c.login("admin", NEWPW)
    return c if st == 200 else None


def first_login(t, w):
    c = w.client()
    c.login("admin", w.initial)
    st, js, _ = c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW})
    t.ok(st == 200, "first login: password changed", js)
    bad = w.client()
    st, _, _ = bad.login("admin", "Wrong-Pass-1")
    t.ok(st == 401, "a failed login")
    c = login(w)
    t.ok(c is not None, "a successful login")
    return c


def all_changes(c, limit):
    """Every change, following next_before; (list, pages, error)."""
    out, pages, q = [], 0, "/api/audit?limit=%d" % limit
    while pages < 100:
        st, js, _ = c.call("GET", q)
        if st != 200:
            return out, pages, js
        out += js["changes"]
        pages += 1
        if js["next_before"] is None:
            return out, pages, None
        q = "/api/audit?limit=%d&before=%d" % (limit, js["next_before"])
    return out, pages, "too many pages"


def check_access_log(t, w, c):
    rc, out, err = w.d.ctl("ext", "add", "300", "name=Carol", "user=carol", SECRETS[0])
    t.ok(rc == 0, "bulwarkctl ext add", out + err)
    st, js, _ = c.call("GET", "/api/audit")
    t.ok(st == 200 and any(e["action"] == "login.failed" and e["actor"] == "web:admin@127.0.0.1"
                           for e in js["failed"]), "access log: the failed login", js)
    t.ok(st == 200 and any(e["action"] == "login" and e["actor"] == "web:admin@127.0.0.1"
                           for e in js["successful"]), "access log: the successful login")
    ch = js["changes"] if st == 200 else []
    t.ok(any(e["action"] == "ext.add" and e["object"] == "ext/300" and
             e["actor"].startswith("bulwarkctl") for e in ch) and
         any(e["action"] == "webadmin.password" for e in ch),
         "changes: the ext add made with bulwarkctl and the password change", ch)
    t.ok(not any(e["action"].startswith("webadmin.log") for e in ch),
         "no login or logout among the changes")
    seqs = [e["seq"] for e in js["failed"] + js["successful"] + ch] if st == 200 else [0]
    t.ok(all(isinstance(s, int) and s > 0 for s in seqs) and
         [e["seq"] for e in ch] == sorted((e["seq"] for e in ch), reverse=True),
         "records carry their sequence, newest first")
    every, pages, e = all_changes(c, 1)
    t.ok(e is None and pages == len(every) and len(every) >= 2 and
         len({x["seq"] for x in every}) == len(every) and
         [x["seq"] for x in every] == [x["seq"] for x in ch][:len(every)],
         "paging one change at a time visits each change once, then next_before is null",
         (pages, len(every), e))
    st, js, _ = c.call("GET", "/api/audit?before=x")
    t.ok(st == 400 and "before" in js.get("fields", {}), "a bad before is a field error", js)
    codes = [c.call(m, "/api/audit")[0] for m in ("DELETE", "PUT", "POST")]
    t.ok(codes == [405] * 3, "the access log cannot be changed", codes)
    text = json.dumps(js)
    return text


def check_restart(t, w):
    w.d.stop()
    w.d.start()
    w.wait_https()
    c = login(w)
    st, js, _ = c.call("GET", "/api/audit") if c else (0, {}, {})
    t.ok(st == 200 and any(e["action"] == "login.failed" for e in js["failed"]) and
         any(e["object"] == "ext/300" for e in js["changes"]),
         "after a restart the access log still has the failure and the change", js)
    return c


def check_events(t, w, c):
    st, js, _ = c.call("GET", "/api/events")
    last = js["last"] if st == 200 else 0
    t.ok(st == 200 and js["capacity"] == KEEP, "event log answers with its capacity", js)
    rc, _, err = w.d.ctl("emit", "test.secretive", "user=bob", "password=" + SECRETS[0],
                         "pin=" + SECRETS[1], "api_key=" + SECRETS[2], "note=kept")
    t.ok(rc == 0, "bulwarkctl emit", err)
    ok = wait_for(lambda: any(e["type"] == "test.secretive" for e in
                              c.call("GET", "/api/events?after=%d" % last)[1]["events"]))
    st, js, _ = c.call("GET", "/api/events?glob=test.*&after=%d" % last)
    ev = [e for e in js["events"] if e["type"] == "test.secretive"] if st == 200 else []
    t.ok(ok and len(ev) == 1 and ev[0]["fields"] == {"user": "bob", "note": "kept"},
         "secret-looking fields dropped, the others kept", ev)
    st, raw, _ = c.raw("GET", "/api/events", headers={"Cookie": "bw_session=" + c.cookie})
    t.ok(not any(s.encode() in raw for s in SECRETS), "no secret anywhere in the event log")
    mark = js["last"]
    w.d.ctl("emit", "call.testonly", "call_id=after-mark")
    w.d.ctl("emit", "other.thing", "n=1")
    wait_for(lambda: c.call("GET", "/api/events?glob=other.*&after=%d" % mark)[1]["events"])
    st, js, _ = c.call("GET", "/api/events?glob=call.*&after=%d" % mark)
    t.ok(st == 200 and [e["fields"].get("call_id") for e in js["events"]] == ["after-mark"],
         "glob and after: only the new call.* event", js)
    for i in range(KEEP + 10):
        w.d.ctl("emit", "flood.n", "i=%d" % i)
    wait_for(lambda: any(e["fields"].get("i") == str(KEEP + 9) for e in
                         c.call("GET", "/api/events?glob=flood.*")[1]["events"]))
    st, js, _ = c.call("GET", "/api/events")
    seqs = [e["seq"] for e in js["events"]]
    t.ok(st == 200 and len(js["events"]) == KEEP and seqs == sorted(seqs, reverse=True) and
         js["events"][0]["fields"].get("i") == str(KEEP + 9),
         "the ring keeps the newest %d, newest first" % KEEP, len(js.get("events", [])))
    bad = [c.call("GET", q)[0] for q in ("/api/events?glob=a%20b", "/api/events?after=-1",
                                         "/api/events?limit=0")]
    t.ok(bad == [400] * 3, "bad glob, after, limit: 400", bad)
    t.ok(c.call("POST", "/api/events", {})[0] == 405, "the event log is read only")


def invite_404(port, number):
    """An authenticated INVITE to a number nobody has: a call that starts and fails."""
    c = SipRaw("tcp", ("127.0.0.1", port))
    try:
        uri = "sip:%s@127.0.0.1:%d" % (number, port)
        hdrs = ("Content-Type: application/sdp",)
        r = c.request("INVITE", uri, user="alice", headers=hdrs, body=SDP)
        if r is None or r.code != 407:
            return r
        ch = r.challenges()[0]
        auth = SipRaw.authorization(ch, "alice", ha1("alice", "test", "pw-alice"), "INVITE", uri,
                                    header="Proxy-Authorization")
        return c.request("INVITE", uri, user="alice", headers=hdrs, body=SDP, auth=auth, timeout=10)
    finally:
        c.close()


def check_history(t, w, c, sip_port):
    st, js, _ = c.call("GET", "/api/dashboard")
    h = js.get("history", {}) if st == 200 else {}
    t.ok(h.get("interval") == 900 and len(h.get("calls", [])) == 96 and
         h.get("end", 0) > time.time(), "dashboard history: 96 intervals of 15 minutes", h)
    before = sum(h.get("calls", []))
    st, js, _ = c.call("GET", "/api/events")
    last = js["last"]
    rc, _, err = w.d.ctl("store", "put", "ext/100", ext_json("100", "alice", "test", "pw-alice"))
    t.ok(rc == 0, "caller provisioned", err)
    codes = [getattr(invite_404(sip_port, "5559"), "code", None) for _ in range(3)]
    t.ok(codes == [404] * 3, "three calls to a missing number: 404 each", codes)
    calls = wait_for(lambda: sum(c.call("GET", "/api/dashboard")[1]["history"]["calls"]) - before == 3)
    st, js, _ = c.call("GET", "/api/dashboard")
    t.ok(calls and sum(js["history"]["calls"]) - before == 3 and js["history"]["calls"][-1] >= 1,
         "the history counts the three calls", js.get("history"))
    st, js, _ = c.call("GET", "/api/events?glob=call.*&after=%d" % last)
    types = [e["type"] for e in js["events"]] if st == 200 else []
    t.ok(types.count("call.started") == 3 and types.count("call.ended") == 3 and
         all(e["fields"].get("caller") == "100" for e in js["events"]
             if e["type"] == "call.started"),
         "the event log shows call.started and call.ended of each", types)


t = Tap()
sip_port = pick_port()
with make_webadmin(t, sip_port) as w:
    t.ok(w.initial is not None, "webadmin up with the sip module")
    c = first_login(t, w)
    check_access_log(t, w, c)
    c = check_restart(t, w)
    if c:
        check_events(t, w, c)
        check_history(t, w, c, sip_port)
t.ok(w.rc == 0, "bulwarkd exits cleanly", w.rc)
t.ok(not any(s in w.output for s in SECRETS), "no secret in the daemon's output")
t.done()
