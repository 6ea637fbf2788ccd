#!/usr/bin/env python3
"""The security options form (GET/PUT /api/security) against a real
bulwarkd with the sip and webadmin modules and its supervised lighttpd:
every option saved takes effect without a restart. Values and sources
(xml | saved) with the revision; bad values are 422 with a message per
field and change nothing; a stale revision is 409; an allow-list without
the saver's address is refused. Then, each seen working: the allow-list
(127.0.0.2 refused, the saver keeps access, reset lets it in again); the
strict lockout (3 failures block a source, where the standard profile did
not); TLS compatibility (a TLS 1.2 handshake succeeds, refused again once
reset); the redirect (plain port closed, then redirecting again); the SIP
DoS limit (a source blocked after 2 bad REGISTERs where 2 did nothing
before); the backup interval (timer re-armed, a backup taken at once,
the gauge); the session idle timeout (a session idle past 1 minute is
gone while the active one lives). Every save is audited as old -> new."""
import http.client, os, re, socket, ssl, time
from bwtest import Tap, pick_port, wait_for
from wafix import WebAdmin, NEWPW
from sipraw import SipRaw, ext_json

SIP_PORT = pick_port(socket.SOCK_DGRAM)
SIP_URI = "sip:127.0.0.1:%d" % SIP_PORT
SIPMOD = ('<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
          '<auth algorithms="MD5"/>'
          '<dos auth-failures="10" transactions="1000" window="60s" ban="60s"/></module>' % SIP_PORT)



def get(c):
    st, js, _ = c.call("GET", "/api/security")
    return js if st == 200 else None


def save(c, **opts):
    body = dict(opts)
    body.setdefault("revision", get(c)["revision"])
    return c.call("PUT", "/api/security", body)


def metric(w, name):
    _rc, out, _e = w.d.ctl("metrics")
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == name:
            return parts[1]
    return None


def check_view(t, c):
    js = get(c)
    t.ok(js is not None and js["revision"] == 0 and set(js["sources"].values()) == {"xml"},
         "GET: nothing saved yet, every option from the XML", js)
    v = js["values"]
    t.ok(v["tls_compat"] is False and v["https_redirect"] is True and v["session_idle_min"] == 15
         and v["lockout"] == "standard" and v["allow"] == [] and v["password_expiry_days"] == 0,
         "GET: the web options in force", v)
    t.ok(v["sip_dos_auth_failures"] == 10 and v["sip_dos_transactions"] == 1000 and
         v["sip_dos_window_s"] == 60 and v["sip_dos_ban_s"] == 60 and v["backup_interval_h"] == 1,
         "GET: the DoS limits and backup interval their owners apply", v)
    t.ok(js["client_address"] == "127.0.0.1", "GET: the caller's own address", js)


def check_bad(t, c):
    bad = {"revision": 0, "session_idle_min": 0, "sip_dos_ban_s": 5, "sip_dos_window_s": 3601,
           "sip_dos_auth_failures": 100001, "backup_interval_h": 721, "lockout": "lax",
           "srtp_default": "sometimes", "allow": ["10.0.0.0/8", "300.1.1.1/8"],
           "tls_compat": "yes", "password_expiry_days": -1, "bogus": 1}
    st, js, _ = c.call("PUT", "/api/security", bad)
    f = (js or {}).get("fields", {})
    want = set(bad) - {"revision"}
    t.ok(st == 422 and set(f) == want, "bad values: 422 with one message per field", js)
    t.ok("1 to 240" in f.get("session_idle_min", "") and "10 to 86400" in f.get("sip_dos_ban_s", "")
         and "CIDR" in f.get("allow", "") and "unknown" in f.get("bogus", ""),
         "field messages say the rule", f)
    st, js, _ = c.call("PUT", "/api/security", {"revision": 0, "session_idle_min": 1.5})
    t.ok(st == 422 and "session_idle_min" in js["fields"], "a fraction is not a whole number", js)
    st, js, _ = c.call("PUT", "/api/security", {"session_idle_min": 5})
    t.ok(st == 422 and "revision" in js["fields"], "the revision is required", js)
    st, js, _ = c.call("PUT", "/api/security", {"revision": 0, "allow": ["127.0.0.2/32"]})
    t.ok(st == 422 and "127.0.0.1" in js["fields"].get("allow", ""),
         "an allow-list without the saver's own address is refused", js)
    js = get(c)
    t.ok(js["revision"] == 0 and set(js["sources"].values()) == {"xml"}, "nothing was saved", js)
    st, _js, _ = c.call("PUT", "/api/security", {"revision": 0, "lockout": "strict"}, csrf=False)
    t.ok(st == 403, "a save without the CSRF token is refused")


def check_allow(t, w, c):
    other = w.client(source="127.0.0.2")
    st, _js, _ = other.call("GET", "/api/session")
    t.ok(st == 401, "127.0.0.2 reaches the API before the allow-list", st)
    st, js, _ = save(c, allow=["127.0.0.1/32", "2001:db8::/32"])
    t.ok(st == 200 and js["sources"]["allow"] == "saved" and js["revision"] > 0,
         "allow-list saved", js)
    rev = js["revision"]
    t.ok(wait_for(lambda: other.call("GET", "/api/session")[0] == 403),
         "allow-list: 127.0.0.2 is refused (403)")
    st, js, _ = c.call("GET", "/api/security")
    t.ok(st == 200 and js["values"]["allow"] == ["127.0.0.1/32", "2001:db8::/32"],
         "allow-list: the saver keeps access", js)
    st, js, _ = c.call("PUT", "/api/security", {"revision": rev - 1, "lockout": "strict"})
    t.ok(st == 409 and "meanwhile" in js["error"], "a stale revision is 409", js)
    st, js, _ = save(c, allow=None)
    t.ok(st == 200 and js["sources"]["allow"] == "xml" and js["values"]["allow"] == [],
         "allow-list reset to the XML value", js)
    t.ok(wait_for(lambda: other.call("GET", "/api/session")[0] == 401),
         "allow-list reset: 127.0.0.2 reaches the API again")


def check_lockout(t, w, c):
    st, _js, _ = c.call("POST", "/api/users", {"name": "bob", "role": "group",
                                               "password": "Bob-Pass-123"})
    t.ok(st == 201, "a second account for the lockout checks", st)
    std = w.client(source="127.0.0.4")
    fails = [std.login("bob", "Wrong-Pass-1")[0] for _ in range(3)]
    st, _js, _ = std.login("bob", "Bob-Pass-123")
    t.ok(fails == [401] * 3 and st == 200, "standard lockout: 3 failures do not lock", fails + [st])
    st, js, _ = save(c, lockout="strict")
    t.ok(st == 200 and js["values"]["lockout"] == "strict", "lockout strict saved", js)
    t.ok(wait_for(lambda: get(c)["values"]["lockout"] == "strict"), "strict lockout in force")
    strict = w.client(source="127.0.0.5")
    fails = [strict.login("bob", "Wrong-Pass-1")[0] for _ in range(3)]
    st, js, _ = strict.login("bob", "Bob-Pass-123")
    t.ok(fails == [401] * 3 and st == 429, "strict lockout: 3 failures block the source",
         (fails, st, js))
    st, js, _ = save(c, lockout=None)
    t.ok(st == 200 and js["values"]["lockout"] == "standard", "lockout back to the XML value", js)


def tls12_ok(w):
    try:
        st, _b, _h = w.client(tls_max=ssl.TLSVersion.TLSv1_2).raw("GET", "/")
        return st == 200
    except (ssl.SSLError, OSError, http.client.HTTPException):
        return False


def check_tls(t, w, c):
    t.ok(not tls12_ok(w), "TLS 1.2 refused by default")
    st, js, _ = save(c, tls_compat=True)
    t.ok(st == 200 and js["values"]["tls_compat"] is True, "TLS compatibility saved", js)
    t.ok(wait_for(lambda: tls12_ok(w)), "TLS compatibility on: a TLS 1.2 handshake succeeds")
    st, js, _ = save(c, tls_compat=None)
    t.ok(st == 200 and js["sources"]["tls_compat"] == "xml", "TLS compatibility reset", js)
    t.ok(wait_for(lambda: not tls12_ok(w) and w.wait_https()),
         "TLS compatibility off: TLS 1.2 refused again, TLS 1.3 served")


def plain_state(w):
    try:
        ans = w.plain(b"GET /x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % w.http)
        return "redirect" if ans.startswith(b"HTTP/1.1 301") else "other"
    except ConnectionRefusedError:
        return "closed"
    except OSError:
        return "other"


def check_redirect(t, w, c):
    t.ok(plain_state(w) == "redirect", "the plain port redirects by default")
    st, js, _ = save(c, https_redirect=False)
    t.ok(st == 200 and js["values"]["https_redirect"] is False, "redirect off saved", js)
    t.ok(wait_for(lambda: plain_state(w) == "closed"), "redirect off: the plain port is closed")
    t.ok(w.wait_https() and c.call("GET", "/api/session")[0] == 200,
         "redirect off: HTTPS and the session still work")
    _rc, out, _e = w.d.ctl("status")
    t.ok(not re.search(r"(?m)^webadmin/http\s", out), "redirect off: the plain listener is withdrawn",
         out)
    st, js, _ = save(c, https_redirect=None)
    t.ok(st == 200, "redirect reset to the XML value", js)
    t.ok(wait_for(lambda: plain_state(w) == "redirect"), "redirect on again: 301 on the plain port")


def bad_registers(source, n):
    c = SipRaw("udp", ("127.0.0.1", SIP_PORT), local_ip=source)
    codes = []
    try:
        for _ in range(n):
            r = c.request("REGISTER", SIP_URI, user="alice",
                          headers=["Contact: <sip:alice@%s:5>" % source])
            if r is None or r.code != 401:
                codes.append(r.code if r else None)
                break
            ch = r.challenges()[0]
            r = c.request("REGISTER", SIP_URI, user="alice",
                          headers=["Contact: <sip:alice@%s:5>" % source],
                          auth=c.authorization(ch, "alice", "0" * 32, "REGISTER", SIP_URI))
            codes.append(r.code if r else None)
    finally:
        c.close()
    return codes


def blocked(w, source):
    _rc, out, _e = w.d.ctl("blocked")
    return any(line.split("\t")[0] == source for line in out.splitlines())


def check_dos(t, w, c):
    w.d.ctl("store", "put", "ext/100", ext_json("100", "alice", "test", "right-secret"))
    codes = bad_registers("127.0.0.6", 2)
    t.ok(len(codes) == 2 and not blocked(w, "127.0.0.6"),
         "XML limit 10: two bad REGISTERs do not block", codes)
    st, js, _ = save(c, sip_dos_auth_failures=2, sip_dos_ban_s=30)
    t.ok(st == 200 and js["values"]["sip_dos_auth_failures"] == 2, "DoS limit saved", js)
    t.ok(wait_for(lambda: metric(w, "sip.dos_auth_failures") == "2" and
                  metric(w, "sip.dos_ban_s") == "30"),
         "the sip module applies the saved limits (gauges)")
    bad_registers("127.0.0.7", 2)
    t.ok(wait_for(lambda: blocked(w, "127.0.0.7"), 5),
         "saved limit 2: a source is blocked after two bad REGISTERs")
    st, js, _ = save(c, sip_dos_auth_failures=None, sip_dos_ban_s=None)
    t.ok(st == 200 and wait_for(lambda: metric(w, "sip.dos_auth_failures") == "10"),
         "DoS limit reset: the XML limit applies again", js)


def backups(w):
    d = os.path.join(w.d.datadir, "backups")
    try:
        return sorted(f for f in os.listdir(d) if f.startswith("bulwark-") and f.endswith(".db"))
    except OSError:
        return []


def check_backup(t, w, c):
    t.ok(metric(w, "backup.interval_s") == "3600", "backup interval from the XML (gauge)")
    before = backups(w)
    st, js, _ = save(c, backup_interval_h=2)
    t.ok(st == 200 and js["values"]["backup_interval_h"] == 2, "backup interval saved", js)
    t.ok(wait_for(lambda: metric(w, "backup.interval_s") == "7200"),
         "the backup timer is re-armed at 2 h (gauge)")
    t.ok(wait_for(lambda: len(backups(w)) > len(before)), "a backup is taken at the change",
         backups(w))
    st, js, _ = save(c, backup_interval_h=0)
    t.ok(st == 200 and wait_for(lambda: metric(w, "backup.interval_s") == "0"),
         "backup interval 0: periodic backups stop", js)
    st, js, _ = save(c, backup_interval_h=None)
    t.ok(st == 200 and wait_for(lambda: metric(w, "backup.interval_s") == "3600"),
         "backup interval reset to the XML value", js)


def check_audit(t, w):
    _rc, out, _e = w.d.ctl("audit", "list", "200")
    lines = [l for l in out.splitlines() if "security.set" in l]
    t.ok(any("web:admin@127.0.0.1" in l and "lockout" in l and '"standard" (xml) -> "strict" (saved)' in l
             for l in lines), "the audit says who changed what: old -> new", lines[-3:])


def check_expiry_srtp(t, c):
    st, js, _ = save(c, password_expiry_days=90, srtp_default="optional")
    t.ok(st == 200 and js["values"]["password_expiry_days"] == 90 and
         js["values"]["srtp_default"] == "optional", "password expiry and SRTP default saved", js)
    st, js, _ = c.call("GET", "/api/session")
    t.ok(st == 200, "the session still answers", js)


def main():
    t = Tap()
    w = WebAdmin(t, extra='session-idle="15m"', modules=SIPMOD)
    with w:
        c = w.admin()
        check_view(t, c)
        check_bad(t, c)
        idle = w.client()
        st, _js, _ = idle.login("admin", NEWPW)
        st, js, _ = save(c, session_idle_min=1)
        idle_since = time.time()
        t.ok(st == 200 and js["values"]["session_idle_min"] == 1, "idle timeout 1 min saved", js)
        st, js, _ = c.call("GET", "/api/session")
        t.ok(wait_for(lambda: c.call("GET", "/api/session")[1].get("idle_timeout") == 60),
             "the session view says the new idle timeout", js)
        check_allow(t, w, c)
        check_lockout(t, w, c)
        check_tls(t, w, c)
        check_redirect(t, w, c)
        check_dos(t, w, c)
        check_backup(t, w, c)
        check_expiry_srtp(t, c)
        check_audit(t, w)
        rest = 61 - (time.time() - idle_since)
        if rest > 0:
            time.sleep(rest)    # the option under test is a duration: it must pass
        st, _js, _ = idle.call("GET", "/api/session")
        st2, _js, _ = c.call("GET", "/api/session")
        t.ok(st == 401 and st2 == 200,
             "idle timeout 1 min: the idle session expired, the active one lives", (st, st2))
    t.ok(w.rc == 0, "bulwarkd stopped cleanly", w.output[-2000:])
    t.done()


if __name__ == "__main__":
    main()
