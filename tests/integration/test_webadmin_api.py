#!/usr/bin/env python3
"""WebAdmin API through the supervised lighttpd: HTTPS only (TLS 1.3),
redirect-only HTTP, security headers, first login and password policy,
CSRF, sessions (cookie flags, idle timeout, limits), lockout with one
answer for unknown users and wrong passwords, extensions with field
errors, the access log, never a 500 for garbage, lighttpd restarted when
it dies. Two daemons: A (standard profile) and B (strict lockout, 2 s idle,
2 sessions)."""
import hashlib, json, os, pwd, random, signal, ssl, sys, time
from bwtest import Tap, wait_for
from wafix import WebAdmin, NEWPW

FAILED = "invalid user name or password, or the account is locked"



def check_transport(t, w):
    rc, out, _ = w.d.ctl("status")
    t.ok(rc == 0 and "webadmin/https" in out and "webadmin/http" in out, "listeners announced")
    c = w.client()
    st, body, h = c.raw("GET", "/")
    t.ok(st == 200 and b"front end" in body, "https serves www/", st)
    csp = h.get("content-security-policy", "")
    t.ok("default-src 'self'" in csp and "script-src 'self'" in csp and
         "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp, "strict CSP", csp)
    t.ok(h.get("strict-transport-security", "").startswith("max-age=") and
         h.get("x-content-type-options") == "nosniff" and "referrer-policy" in h, "security headers")
    ans = w.plain(b"GET /x/y?z=1 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % w.http)
    t.ok(ans.startswith(b"HTTP/1.1 301") and
         (b"Location: https://127.0.0.1:%d/x/y?z=1" % w.https) in ans, "http redirects to https",
         ans[:200])
    ans = w.plain(b"GET /index.html HTTP/1.0\r\n\r\n")
    t.ok(b"front end" not in ans and not ans.startswith(b"HTTP/1.0 200"),
         "Host-less plain request gets no page", ans[:80])
    ans = w.plain(b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    t.ok(b"301" in ans.split(b"\r\n")[0] and b"error" not in ans, "plain /api/ only redirects")
    try:
        w.client(tls_max=ssl.TLSVersion.TLSv1_2).raw("GET", "/")
        t.ok(False, "TLS 1.2 refused by default")
    except (ssl.SSLError, OSError):
        t.ok(True, "TLS 1.2 refused by default")


def check_first_login(t, w):
    t.ok(w.initial is not None and w.d.output().count(w.initial) == 1,
         "initial password printed once on the console")
    c = w.client()
    st, js, _ = c.login("admin", "wrong-Password-1")
    st2, js2, _ = c.login("nosuchuser", "wrong-Password-1")
    t.ok(st == 401 and st2 == 401 and js == js2 and js["error"] == FAILED,
         "same answer for a wrong password and an unknown user", (js, js2))
    old = w.client()
    old.login("admin", w.initial)
    st, js, h = c.login("admin", w.initial)
    sc = c.set_cookie or ""
    t.ok(st == 200 and js["must_change"] is True, "first login says must_change", js)
    t.ok(all(a in sc for a in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/")) and
         len(c.cookie or "") == 64, "session cookie flags and a 256-bit id", sc)
    t.ok(c.cookie != old.cookie, "a new session id at each login")
    blocked = [c.call("GET", p)[0] for p in ("/api/session", "/api/dashboard", "/api/extensions",
                                              "/api/audit", "/api/modules")]
    st, js, _ = c.call("POST", "/api/extensions", {"number": "1"})
    t.ok(blocked == [403] * 5 and st == 403 and "changed first" in js["error"],
         "everything else is 403 until the password is changed", blocked)
    st, js, _ = c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW}, csrf=False)
    t.ok(st == 403 and "CSRF" in js["error"], "password change without CSRF token refused", js)
    st, js, _ = c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW},
                       headers={"X-CSRF-Token": "0" * 64}, csrf=False)
    t.ok(st == 403, "a wrong CSRF token is refused")
    return c


def check_policy(t, w, c):
    cases = [("abc", ["8 to 255", "upper-case", "digit", "special"]),
             ("password", ['"password"']),
             ("ADMIN-12!", ["lower-case"]),
             ("Admin-12\u00e9!", ["diacritics"]),
             ("Aa 1!xyzw", ["spaces"]),
             (w.initial, ["last 4"])]
    for pw, rules in cases:
        st, js, _ = c.call("POST", "/api/password", {"current": w.initial, "new": pw})
        got = js.get("rules", []) if js else []
        ok = st == 400 and "new" in js["fields"] and all(any(r in g for g in got) for r in rules)
        t.ok(ok, "policy: %r -> %s" % (pw, ", ".join(rules)), js)
    st, js, _ = c.call("POST", "/api/password", {"current": "not-it", "new": NEWPW})
    t.ok(st == 400 and "current" in js["fields"], "wrong current password is a field error")
    st, js, _ = c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW})
    t.ok(st == 200 and js["must_change"] is False, "password changed", js)
    st, js, _ = c.call("GET", "/api/session")
    t.ok(st == 200 and js["user"] == "admin" and js["role"] == "system", "session works after change")


def check_extensions(t, w, c):
    st, js, _ = c.call("POST", "/api/extensions",
                       {"number": "12a", "name": "A"})
    t.ok(st == 400 and "number" in js["fields"], "bad number is a field error", js)
    st, js, _ = c.call("POST", "/api/extensions",
                       {"number": "100", "srtp": "maybe", "max_contacts": 99, "colour": "red",
                        "sip_user": "bad user"})
    t.ok(st == 400 and set(js["fields"]) >= {"srtp", "max_contacts", "colour", "sip_user"},
         "each bad field named", js)
    st, js, _ = c.call("POST", "/api/extensions",
                       {"number": "100", "name": "Alice", "secret": "s3cret-Sip", "srtp": "optional"})
    t.ok(st == 201 and js["secret_set"] is True and "secret" not in js and "ha1_md5" not in js,
         "extension created; secret never returned", js)
    rc, out, _ = w.d.ctl("store", "get", "ext/100")
    rec = json.loads(out) if rc == 0 else {}
    t.ok(rec.get("ha1_md5") == hashlib.md5(b"100:test:s3cret-Sip").hexdigest() and
         "secret" not in rec, "stored as HA1 over number:realm:secret", out)
    st, js, _ = c.call("POST", "/api/extensions", {"number": "100"})
    t.ok(st == 409 and "number" in js["fields"], "duplicate number is 409")
    st, js, _ = c.call("PUT", "/api/extensions/100", {"name": "Alice B.", "max_contacts": 2})
    t.ok(st == 200 and js["name"] == "Alice B." and js["max_contacts"] == 2, "extension updated", js)
    st, js, _ = c.call("PUT", "/api/extensions/100", {"sip_user": "alice"})
    t.ok(st == 400 and "secret" in js["fields"], "renaming the SIP user needs the secret again", js)
    st, js, _ = c.call("GET", "/api/extensions")
    t.ok(st == 200 and [e["number"] for e in js["extensions"]] == ["100"], "extensions listed")
    st, js, _ = c.call("PUT", "/api/extensions/100", {"name": "x"}, csrf=False)
    t.ok(st == 403, "PUT without CSRF refused")
    st, js, _ = c.call("DELETE", "/api/extensions/100")
    st2, _, _ = c.call("GET", "/api/extensions/100")
    t.ok(st == 200 and st2 == 404, "extension deleted")


def check_views(t, w, c):
    st, js, _ = c.call("GET", "/api/dashboard")
    t.ok(st == 200 and all(k in js for k in ("registrations", "active_calls", "active_alarms",
                                             "blocked_sources_sip")), "dashboard figures", js)
    m = js.get("metrics", {}) if js else {}
    t.ok(m.get("webadmin.sessions", 0) >= 1 and m.get("webadmin.logins_failed", 0) >= 2 and
         m.get("webadmin.logins", 0) >= 2, "webadmin metrics", m)
    st, js, _ = c.call("GET", "/api/modules")
    t.ok(st == 200 and any(m["name"] == "webadmin" and m["state"] == "running"
                           for m in js["modules"]), "modules listed")
    st, js, _ = c.call("GET", "/api/alarms")
    t.ok(st == 200 and isinstance(js.get("alarms"), list), "alarms listed")
    st, js, _ = c.call("GET", "/api/audit")
    acts = [e["action"] for e in js["changes"]]
    t.ok(st == 200 and len(js["failed"]) >= 2 and
         any(e["action"] == "login" and e["actor"] == "web:admin@127.0.0.1" for e in js["successful"])
         and {"ext.add", "ext.set", "ext.del", "webadmin.password"} <= set(acts),
         "access log: failures, successes, changes", js)
    codes = [c.call(m, "/api/audit")[0] for m in ("DELETE", "PUT", "POST")]
    t.ok(codes == [405] * 3, "the access log cannot be changed", codes)
    rc, out, _ = w.d.ctl("audit", "list", "200")
    t.ok(rc == 0 and "web:admin@127.0.0.1" in out and "webadmin.login.failed" in out and
         "ext.del" in out and w.initial not in out and NEWPW not in out,
         "audit log has logins, failures, changes, no passwords")


def check_users(t, w, c):
    st, js, _ = c.call("POST", "/api/users", {"name": "grp", "role": "group", "password": "weak"})
    t.ok(st == 400 and "password" in js["fields"] and "upper-case" in js["fields"]["password"],
         "users: a weak initial password is a field error", js)
    st, js, _ = c.call("POST", "/api/users", {"name": "bad name", "role": "boss", "password": NEWPW})
    t.ok(st == 400 and {"name", "role"} <= set(js["fields"]), "users: bad name and role", js)
    st, js, _ = c.call("POST", "/api/users", {"name": "grp", "role": "group", "password": "Group-Pass-1"})
    t.ok(st == 201 and js["must_change"] is True and "hash" not in js, "users: group admin created", js)
    st, js, _ = c.call("POST", "/api/users", {"name": "grp", "role": "group", "password": "Group-Pass-1"})
    t.ok(st == 409, "users: duplicate refused")
    st, js, _ = c.call("GET", "/api/users")
    t.ok(st == 200 and sorted(u["name"] for u in js["users"]) == ["admin", "grp"], "users listed", js)
    g = w.client()
    g.login("grp", "Group-Pass-1")
    st, _, _ = g.call("POST", "/api/password", {"current": "Group-Pass-1", "new": "Group-Pass-2"})
    codes = [g.call("GET", p)[0] for p in ("/api/extensions", "/api/dashboard", "/api/audit",
                                           "/api/users", "/api/modules")]
    t.ok(st == 200 and codes == [200, 200, 403, 403, 403],
         "users: a group administrator reaches extensions, not audit/users/modules", codes)
    st, js, _ = c.call("PUT", "/api/users/grp", {"role": "user", "unlock": True})
    t.ok(st == 200 and js["role"] == "user" and g.call("GET", "/api/session")[0] == 401,
         "users: a role change ends the user's sessions", js)
    st, js, _ = c.call("PUT", "/api/users/grp", {"unlock": 1})
    t.ok(st == 400 and "unlock" in js["fields"], "users: unlock must be a boolean", js)
    st, js, _ = c.call("DELETE", "/api/users/admin")
    t.ok(st == 409, "users: no deleting oneself", js)
    st, _, _ = c.call("DELETE", "/api/users/grp")
    st2, js2, _ = w.client().login("grp", "Group-Pass-2")
    t.ok(st == 200 and st2 == 401 and js2["error"] == FAILED, "users: deleted user cannot log in")
    rc, out, _ = w.d.ctl("audit", "list", "300")
    t.ok(all(a in out for a in ("webadmin.user.create", "webadmin.user.change",
                                "webadmin.user.delete")) and "Group-Pass" not in out,
         "users: changes audited without passwords")


def check_admin_limit(t, w, c):
    """Default limit: 5 system administrators logged in (c is one)."""
    extra = [w.client() for _ in range(5)]
    codes = [x.login("admin", NEWPW)[0] for x in extra[:4]]
    st, js, _ = extra[4].login("admin", NEWPW)
    t.ok(codes == [200] * 4 and st == 409 and "system administrators" in js["error"],
         "a sixth system administrator is refused with a clear message", (codes, js))
    for x in extra[:4]:
        x.call("POST", "/api/logout")
    st, _, _ = extra[4].login("admin", NEWPW)
    t.ok(st == 200, "room again after logouts")
    extra[4].call("POST", "/api/logout")


def check_garbage(t, w, c):
    rnd = random.Random(6)
    paths = ["/api/", "/api/x", "/api/extensions/", "/api/extensions/abc", "/api/extensions/1/2",
             "/api/%2e%2e/etc/passwd", "/api/login%00", "/api/session?x=%ff", "/api//login",
             "/api/" + "a" * 3000, "/api/extensions/" + "9" * 40]
    bodies = [b"", b"{", b"[]", b"null", b'{"user": 1}', b'{"a":' + b"[" * 5000, b"\xff\xfe",
              b'{"number": "100", "name": "\x01"}', json.dumps({"number": "5" * 33}).encode()]
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
    bad = []
    for i in range(150):
        m, p, b = rnd.choice(methods), rnd.choice(paths), rnd.choice(bodies)
        if m in ("GET", "HEAD"):
            b = None   # lighttpd itself answers 400 (HTML) to a GET with a body
        try:
            st, data, h = c.raw(m, p, b, {"X-CSRF-Token": c.csrf or ""})
        except Exception as e:   # a dropped connection is a failure too
            bad.append((m, p, repr(e)))
            continue
        # lighttpd itself answers 400/404 (HTML) to what it refuses or
        # normalises away (%00, %2e%2e); whatever reaches the API is JSON
        if st >= 500 or (m != "HEAD" and not data.startswith(b"{") and st not in (400, 404)):
            bad.append((m, p[:40], (b or b"")[:20], st, data[:80]))
    t.ok(not bad, "150 garbage requests: no 5xx, JSON errors", bad[:5])
    st, data, _ = c.raw("POST", "/api/extensions", b"{" + b" " * (1100 * 1024) + b"}",
                        {"X-CSRF-Token": c.csrf, "Content-Type": "application/json"})
    t.ok(st == 413, "a body over 1 MiB is 413", st)
    st, js, _ = c.call("POST", "/api/login", b'{"user":"admin","password":' + b"[" * 100 + b"]}")
    t.ok(st == 400 and "nested" in js["error"], "deeply nested JSON refused", js)


def check_supervision(t, w):
    pids = w.lighttpd_pids()
    t.ok(len(pids) == 1, "one lighttpd child", pids)
    if pids:
        os.kill(pids[0], signal.SIGKILL)
        new = wait_for(lambda: [p for p in w.lighttpd_pids() if p != pids[0]], 30)
        t.ok(bool(new), "lighttpd restarted after being killed", new)
        t.ok(w.wait_https(30), "https answers again")


def check_logout(t, w, c):
    st, js, _ = c.call("POST", "/api/logout")
    cookie = c.set_cookie or ""
    c2 = w.client()
    c2.cookie = None
    st2, _, _ = w.client().call("GET", "/api/session")
    t.ok(st == 200 and "Max-Age=0" in cookie, "logout clears the cookie")
    c.cookie = c.cookie or "x"
    t.ok(c.call("GET", "/api/session")[0] == 401 and st2 == 401, "no session after logout")


def daemon_a(t):
    w = WebAdmin(t)
    with w:
        check_transport(t, w)
        c = check_first_login(t, w)
        check_policy(t, w, c)
        check_extensions(t, w, c)
        check_views(t, w, c)
        check_users(t, w, c)
        check_admin_limit(t, w, c)
        check_garbage(t, w, c)
        check_supervision(t, w)
        st, _, _ = c.call("GET", "/api/session")
        t.ok(st == 200, "the session survives a lighttpd restart")
        check_logout(t, w, c)
    t.ok(w.rc == 0, "bulwarkd stops cleanly (no leak reports)", w.output[-3000:])


def daemon_b(t):
    w = WebAdmin(t, extra='lockout="strict" session-idle="2s" max-sessions="2" '
                          'tls-compat="true" allow="127.0.0.0/29 ::1"')
    with w:
        st, _b, _h = w.client(tls_max=ssl.TLSVersion.TLSv1_2).raw("GET", "/")
        t.ok(st == 200, "B: TLS 1.2 accepted with tls-compat")
        c = w.client()
        c.login("admin", w.initial)
        st, _, _ = c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW})
        t.ok(st == 200, "B: password changed")
        t.ok(c.call("GET", "/api/session")[0] == 200, "B: session live")
        time.sleep(3)   # the idle timeout itself is what is tested
        t.ok(c.call("GET", "/api/session")[0] == 401, "B: session ends after 2 s idle")
        c1, c2, c3 = w.client(), w.client(), w.client()
        s1, s2 = c1.login("admin", NEWPW)[0], c2.login("admin", NEWPW)[0]
        st, js, _ = c3.login("admin", NEWPW)
        t.ok(s1 == 200 and s2 == 200 and st == 409 and "maximum number of sessions" in js["error"],
             "B: third session refused with a clear message", js)
        ev = w.d.events("webadmin.*")
        a = w.client(source="127.0.0.2")
        answers = [a.login("nobody", "Wrong-pass-1")[1], a.login("admin", "Wrong-pass-1")[1],
                   a.login("admin", "Wrong-pass-2")[1]]
        t.ok(all(x == answers[0] for x in answers) and answers[0]["error"] == FAILED,
             "B: unknown user and wrong password answered alike", answers)
        st, js, _ = a.login("admin", NEWPW)
        t.ok(st == 429, "B: source blocked after 3 failures (strict)", js)
        t.ok(ev.wait_for(lambda l: "webadmin.lockout" in l and "127.0.0.2" in l, 10),
             "B: webadmin.lockout event")
        b = w.client(source="127.0.0.3")
        st, js, _ = b.login("admin", "Wrong-pass-3")   # the account's third failure
        st2, js2, _ = w.client(source="127.0.0.4").login("admin", NEWPW)
        t.ok(st2 == 401 and js2["error"] == FAILED, "B: account locked: right password refused alike",
             js2)
        t.ok(ev.wait_for(lambda l: "webadmin.lockout" in l and "user=admin" in l, 10),
             "B: account lockout event")
        ev.close()
        rc, out, _ = w.d.ctl("alarms")
        t.ok(rc == 0 and "webadmin-lockout" in out, "B: the lockout raised the default alarm", out)
        st, js, _ = w.client().login("nobody", "Wrong-pass-1")
        t.ok(st == 401, "B: other sources are not blocked", js)
        st, js, _ = w.client(source="127.0.0.9").login("admin", NEWPW)
        st2, js2, _ = w.client(source="127.0.0.9").call("GET", "/api/session")
        t.ok(st == 403 and st2 == 403 and "address" in js["error"],
             "B: a source outside the allow-list gets 403 on every call", js)
        rc, out, err = w.d.ctl("module", "reload", "webadmin")
        t.ok(rc == 0 and w.wait_https(30), "B: module reload: lighttpd and the responder again",
             out + err)
        st, js, _ = w.client().login("nobody", "x")
        t.ok(st == 401 and js["error"] == FAILED, "B: the API answers after the reload", js)
    t.ok(w.rc == 0, "B: bulwarkd stops cleanly (no leak reports)", w.output[-3000:])


def daemon_c(t):
    """As root with <system user="bulwark">: lighttpd runs as that user on
    sockets bulwarkd bound before dropping root, and comes back after a kill."""
    try:
        pw = pwd.getpwnam("bulwark")
    except KeyError:
        pw = None
    if os.geteuid() != 0 or pw is None:
        t.ok(True, "C: # SKIP needs root and a user bulwark")
        return
    w = WebAdmin(t, user="bulwark")
    with w:
        pids = w.lighttpd_pids()
        uids = [os.stat("/proc/%d" % p).st_uid for p in pids]
        t.ok(os.stat("/proc/%d" % w.d.proc.pid).st_uid == pw.pw_uid and uids == [pw.pw_uid],
             "C: bulwarkd and lighttpd run as bulwark", (pids, uids))
        if pids:
            os.kill(pids[0], signal.SIGKILL)
        new = wait_for(lambda: [p for p in w.lighttpd_pids() if p not in pids], 30)
        st, js, _ = w.client().login("nobody", "x")
        t.ok(bool(new) and st == 401, "C: restarted lighttpd serves the API without root", js)
    t.ok(w.rc == 0, "C: bulwarkd stops cleanly", w.output[-3000:])


def main():
    t = Tap()
    if not os.access("/usr/sbin/lighttpd", os.X_OK):
        print("1..0 # SKIP lighttpd not installed")
        return 0
    daemon_a(t)
    daemon_b(t)
    daemon_c(t)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
