#!/usr/bin/env python3
"""WebAdmin authorization profiles, the Self Service Portal and password
expiry, through lighttpd against a real bulwarkd (password-expiry-days=30):
a group administrator with a read-only profile reads but cannot change and
cannot reach an ungranted form; a profile change applies to a live session;
a used profile cannot be deleted; an end user reaches only self service;
forwarding saved there shows in `bulwarkctl ext show`; a PIN is never
returned, stored in clear or audited, and goes with its extension; an
expired password forces a change."""
import json, re, sys, time
from bwtest import Tap
from wafix import WebAdmin

ADMINPW = "Good-Pass-123"
DAY = 86400


def setpw(t, w, user, initial, new, what):
    c = w.client()
    st, js, _ = c.login(user, initial)
    st2, js2, _ = c.call("POST", "/api/password", {"current": initial, "new": new})
    t.ok(st == 200 and st2 == 200, "%s: logged in and set the password" % what, (js, js2))
    return c, js2


def create_user(t, admin, name, role, **kw):
    body = {"name": name, "role": role, "password": "Init-Pass-%s-9" % name}
    body.update(kw)
    st, js, _ = admin.call("POST", "/api/users", body)
    t.ok(st == 201, "user %s (%s) created" % (name, role), js)
    return body["password"]


def store_get(w, key):
    rc, out, err = w.d.ctl("store", "get", key)
    return json.loads(out) if rc == 0 else None


def check_profile_crud(t, admin):
    st, js, _ = admin.call("GET", "/api/profiles")
    names = [p["name"] for p in js["profiles"]] if st == 200 else []
    t.ok(st == 200 and "group-admin" in names and "extensions" in js["forms"] and
         "users" not in js["forms"] and "profiles" not in js["forms"],
         "profile list: the default profile and the grantable forms", js)
    dflt = [p for p in js["profiles"] if p["name"] == "group-admin"][0]
    t.ok(dflt["forms"] == {"dashboard": "write", "extensions": "write", "alarms": "write"},
         "group-admin: dashboard, extensions, alarms write", dflt)
    st, js, _ = admin.call("POST", "/api/profiles", {"name": "bad", "forms": {
        "users": "write", "nosuch": "read", "extensions": "admin"}})
    f = (js or {}).get("fields", {})
    t.ok(st == 400 and "forms.users" in f and "forms.nosuch" in f and "forms.extensions" in f,
         "profile validation: users/profiles, unknown forms, bad grants refused per field", js)
    st, js, _ = admin.call("POST", "/api/profiles", {"name": "x y", "forms": {}})
    t.ok(st == 400 and "name" in js["fields"], "profile name checked", js)
    st, js, _ = admin.call("POST", "/api/profiles", {
        "name": "readers", "description": "read extensions", "forms": {"extensions": "read"}})
    t.ok(st == 201 and js["forms"] == {"extensions": "read"}, "profile readers created", js)
    st, js, _ = admin.call("POST", "/api/profiles", {"name": "readers", "forms": {}})
    t.ok(st == 409, "a profile name is unique", js)


def check_group_readonly(t, w, admin):
    pw = create_user(t, admin, "grp", "group", profile="readers")
    st, js, _ = admin.call("POST", "/api/users", {"name": "bad1", "role": "user",
                                                  "password": "Init-Pass-x-9", "profile": "readers"})
    st2, js2, _ = admin.call("POST", "/api/users", {"name": "bad2", "role": "group",
                                                    "password": "Init-Pass-x-9", "profile": "nope"})
    t.ok(st == 400 and "profile" in js["fields"] and st2 == 400 and "profile" in js2["fields"],
         "a profile only for group accounts, and an existing one", (js, js2))
    g, sess = setpw(t, w, "grp", pw, "Grp-Pass-456", "group admin")
    t.ok(sess["forms"] == {"extensions": "read"}, "session forms of a read-only profile", sess)
    st, js, _ = g.call("GET", "/api/extensions")
    t.ok(st == 200 and any(e["number"] == "100" for e in js["extensions"]),
         "read-only: GET works", js)
    answers = [g.call("POST", "/api/extensions", {"number": "150"})[0],
               g.call("PUT", "/api/extensions/100", {"name": "X"})[0],
               g.call("DELETE", "/api/extensions/100")[0]]
    t.ok(answers == [403, 403, 403], "read-only: POST, PUT, DELETE are 403", answers)
    ungranted = [g.call("GET", "/api/" + p)[0] for p in ("dashboard", "trunks", "users", "profiles",
                                                          "audit", "security")]
    t.ok(ungranted == [403] * 6, "ungranted forms are 403", ungranted)
    t.ok(g.call("POST", "/api/profiles", {"name": "mine", "forms": {}})[0] == 403,
         "a group admin cannot create profiles")
    return g


def check_live_change(t, w, admin, g):
    st, prof, _ = admin.call("GET", "/api/profiles/readers")
    rev = prof["revision"]
    st, js, _ = admin.call("PUT", "/api/profiles/readers", {
        "forms": {"extensions": "write", "dashboard": "read"}, "revision": rev})
    t.ok(st == 200 and js["forms"] == {"dashboard": "read", "extensions": "write"},
         "profile changed", js)
    st, js, _ = admin.call("PUT", "/api/profiles/readers", {"forms": {}, "revision": rev})
    t.ok(st == 409 and "reload" in js["error"], "a change from a stale revision is refused", js)
    st, js, _ = g.call("POST", "/api/extensions", {"number": "150"})
    st2, _, _ = g.call("GET", "/api/dashboard")
    st3, s, _ = g.call("GET", "/api/session")
    t.ok(st == 201 and st2 == 200 and s["forms"] == {"dashboard": "read", "extensions": "write"},
         "the change applies to the live session at once", (st, st2, s))
    t.ok(g.call("PUT", "/api/dashboard", {})[0] == 403, "read grant still refuses a change")
    # through the store directly (another node, bulwarkctl): the watch drops the cache
    rc, _, err = w.d.ctl("store", "put", "webadmin/profile/readers", "-",
                         stdin='{"description":"","forms":{"extensions":"read"}}')
    ok = False
    for _ in range(100):
        if g.call("POST", "/api/extensions", {"number": "151"})[0] == 403:
            ok = True
            break
        time.sleep(0.05)
    t.ok(rc == 0 and ok, "a profile written with bulwarkctl store put applies too", err)
    rc, out, _ = w.d.ctl("audit", "list", "200")
    t.ok("webadmin.profile.change" in out and "webadmin/profile/readers" in out,
         "profile changes are audited", out[-1500:])


def check_delete(t, admin):
    st, js, _ = admin.call("DELETE", "/api/profiles/readers")
    t.ok(st == 409 and "grp" in js["error"], "deleting a used profile is refused naming the users", js)
    st, js, _ = admin.call("DELETE", "/api/profiles/group-admin")
    t.ok(st == 409, "the default profile cannot be deleted", js)
    admin.call("POST", "/api/profiles", {"name": "spare", "forms": {"alarms": "read"}})
    st, js, _ = admin.call("DELETE", "/api/profiles/spare")
    t.ok(st == 200 and admin.call("GET", "/api/profiles/spare")[0] == 404,
         "an unused profile is deleted", js)


def check_self(t, w, admin):
    st, js, _ = admin.call("POST", "/api/users", {"name": "eu", "role": "user",
                                                  "password": "Init-Pass-eu-9", "extension": "999"})
    t.ok(st == 400 and "extension" in js["fields"], "an unknown extension cannot be assigned", js)
    pw = create_user(t, admin, "eu", "user", extension="100")
    u, sess = setpw(t, w, "eu", pw, "User-Pass-789", "end user")
    t.ok(sess["forms"] == {} and sess["extension"] == "100" and sess["password_expires"] is None,
         "end user: no forms, own extension, no expiry", sess)
    st = [u.call("GET", "/api/" + p)[0] for p in ("dashboard", "extensions", "users", "profiles",
                                                   "alarms", "audit")]
    t.ok(st == [403] * 6, "an end user sees only self service", st)
    st, me, _ = u.call("GET", "/api/self")
    t.ok(st == 200 and me["number"] == "100" and me["pin_set"] is False and "pin" not in me,
         "self: own extension", me)
    bad = {"forward_busy": "12a", "forward_always": "100", "forward_noanswer": "*21",
           "forward_noanswer_s": 500, "pin": "12", "number": "200"}
    st, js, _ = u.call("PUT", "/api/self", bad)
    t.ok(st == 400 and set(js["fields"]) == set(bad), "self: every bad field named", js)
    st, js, _ = u.call("PUT", "/api/self", {"name": "Eve Example", "forward_busy": "200",
                                            "forward_noanswer": "200", "forward_noanswer_s": 15,
                                            "revision": me["revision"]})
    t.ok(st == 200 and js["forward_busy"] == "200", "self: forwarding saved", js)
    rc, out, _ = w.d.ctl("ext", "show", "100")
    t.ok(rc == 0 and "forward-busy: 200" in out and "forward-noanswer: 200" in out and
         "forward-noanswer-s: 15" in out and "Eve Example" in out,
         "bulwarkctl ext show has the forwarding", out)
    st, js, _ = u.call("PUT", "/api/self", {"forward_busy": "", "revision": me["revision"]})
    t.ok(st == 409, "self: a stale revision is refused", js)
    pin = "98765431"
    st, js, _ = u.call("PUT", "/api/self", {"pin": pin})
    t.ok(st == 200 and js["pin_set"] is True and pin not in json.dumps(js),
         "self: PIN set and not returned", js)
    st, js, _ = u.call("GET", "/api/self")
    t.ok(pin not in json.dumps(js) and js["pin_set"] is True, "self: GET never returns the PIN")
    rec = store_get(w, "extpin/100") or {}
    t.ok(re.fullmatch(r"sha256:1000:[0-9a-f]{32}:[0-9a-f]{64}", rec.get("pin_hash", "")) is not None,
         "the PIN is stored as a salted hash (the cor format)", rec)
    ext = store_get(w, "ext/100") or {}
    t.ok(not any("pin" in k for k in ext), "the extension record has no PIN field", ext)
    rc, out, _ = w.d.ctl("audit", "list", "300")
    t.ok("self.set" in out and pin not in out and pin not in w.d.output(),
         "self changes audited without the PIN")
    st, js, _ = admin.call("PUT", "/api/users/eu", {"extension": None})
    st2, js2, _ = u.login("eu", "User-Pass-789")
    st3, js3, _ = u.call("GET", "/api/self")
    t.ok(st == 200 and st3 == 404 and "no extension" in js3["error"],
         "without an extension self service says so", js3)


def check_expiry(t, w, admin):
    st, s, _ = admin.call("GET", "/api/session")
    exp = s.get("password_expires") or 0
    t.ok(abs(exp - (time.time() + 30 * DAY)) < 600, "the session says when the password expires", s)
    rec = store_get(w, "webadmin/user/grp")
    rec["changed"] = int(time.time()) - 31 * DAY
    rc, _, err = w.d.ctl("store", "put", "webadmin/user/grp", "-", stdin=json.dumps(rec))
    c = w.client()
    st, js, _ = c.login("grp", "Grp-Pass-456")
    t.ok(rc == 0 and st == 200 and js["must_change"] is True and js["reason"] == "password expired",
         "an expired administrator password: must_change, reason password expired", (err, js))
    st, js, _ = c.call("GET", "/api/extensions")
    t.ok(st == 403 and "changed first" in js["error"], "nothing else until it is changed", js)
    st, js, _ = c.call("POST", "/api/password", {"current": "Grp-Pass-456", "new": "Grp-Pass-457"})
    t.ok(st == 200 and js["must_change"] is False and js["reason"] is None and
         js["password_expires"] > time.time() + 29 * DAY, "after the change: 30 days again", js)
    t.ok(c.call("GET", "/api/extensions")[0] == 200, "and the forms work again")
    rec = store_get(w, "webadmin/user/eu")
    rec["changed"] = int(time.time()) - 400 * DAY
    w.d.ctl("store", "put", "webadmin/user/eu", "-", stdin=json.dumps(rec))
    st, js, _ = w.client().login("eu", "User-Pass-789")
    t.ok(st == 200 and js["must_change"] is False, "an end user's password does not expire", js)
    del rec["changed"]
    w.d.ctl("store", "put", "webadmin/user/eu", "-", stdin=json.dumps(rec))
    st, js, _ = w.client().login("eu", "User-Pass-789")
    t.ok(st == 200 and (store_get(w, "webadmin/user/eu") or {}).get("changed", 0) > time.time() - 600,
         "an account without 'changed' is stamped now at login (upgrades lock nobody out)")


def check_pin_goes(t, w, admin):
    """A deleted extension leaves no self-service PIN behind, whether the
    WebAdmin or `bulwarkctl ext del` deletes it; other PINs stay."""
    for n in ("300", "301"):
        admin.call("POST", "/api/extensions", {"number": n})
    pw = create_user(t, admin, "pu", "user", extension="300")
    u, _ = setpw(t, w, "pu", pw, "Pin-User-Pass-4", "PIN user")
    st, js, _ = u.call("PUT", "/api/self", {"pin": "24681357"})
    t.ok(st == 200 and store_get(w, "extpin/300") is not None, "PIN of 300 stored", js)
    st, js, _ = admin.call("DELETE", "/api/extensions/300")
    t.ok(st == 200 and store_get(w, "extpin/300") is None,
         "WebAdmin: the PIN goes with the deleted extension", js)
    st, js, _ = admin.call("PUT", "/api/users/pu", {"extension": "301"})
    u.login("pu", "Pin-User-Pass-4")   # the change ended pu's sessions
    st2, js2, _ = u.call("PUT", "/api/self", {"pin": "13572468"})
    t.ok(st == 200 and st2 == 200 and store_get(w, "extpin/301") is not None,
         "PIN of 301 stored", (js, js2))
    rc, out, err = w.d.ctl("ext", "del", "301")
    t.ok(rc == 0 and store_get(w, "extpin/301") is None,
         "bulwarkctl ext del: the PIN goes with the extension", out + err)
    t.ok(store_get(w, "extpin/100") is not None, "another extension's PIN stays")


def main():
    t = Tap()
    import os
    if not os.access("/usr/sbin/lighttpd", os.X_OK):
        print("1..0 # SKIP lighttpd not installed")
        return 0
    w = WebAdmin(t, extra='password-expiry-days="30"')
    with w:
        admin, sess = setpw(t, w, "admin", w.initial, ADMINPW, "admin")
        t.ok(all(sess["forms"].get(f) == "write" for f in ("users", "profiles", "extensions", "audit")),
             "a system administrator has every form", sess)
        for n in ("100", "200"):
            admin.call("POST", "/api/extensions", {"number": n})
        check_profile_crud(t, admin)
        g = check_group_readonly(t, w, admin)
        check_live_change(t, w, admin, g)
        check_delete(t, admin)
        check_self(t, w, admin)
        check_expiry(t, w, admin)
        check_pin_goes(t, w, admin)
        st, js, _ = admin.call("GET", "/api/users")
        view = {u["name"]: u for u in js["users"]}
        t.ok(view["grp"]["profile"] == "readers" and view["admin"]["profile"] is None and
             "hash" not in json.dumps(js), "the users list shows profiles, never hashes", js)
    t.ok(w.rc == 0, "bulwarkd stops cleanly (no leak reports)", w.output[-3000:])
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
