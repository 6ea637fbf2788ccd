#!/usr/bin/env python3
"""Registrations with module sip: baresip 1.0.0 registers over UDP, TCP and
TLS (1.3); `bulwarkctl registrations` lists them; several contacts per
extension and the max-contacts bound; 423 below min-expires; "*" removes
all; registrations survive a daemon restart; events and metric. A TCP/TLS
binding goes away when its connection closes (the phone killed without
unregistering); a UDP binding stays until its expiry."""
import socket, ssl, time
from bwtest import Tap, Daemon, pick_port
from sipraw import SipRaw, ext_json, ha1
from baresipfix import Baresip

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
tls_port = pick_port()
# libre 1.1.0 clients (baresip) abort on any non-MD5 challenge: MD5 only here
MODS = ('<module name="sip">'
        '<transport type="udp" listen="127.0.0.1:{p}"/><transport type="tcp" listen="127.0.0.1:{p}"/>'
        '<transport type="tls" listen="127.0.0.1:{tp}"/>'
        '<registrar min-expires="60"/></module>').format(p=port, tp=tls_port)
URI = "sip:127.0.0.1:%d" % port
H = {"MD5": ha1("carol", "test", "pw-carol")}


def regs(d):
    rc, out, _err = d.ctl("registrations")
    return [l.split("\t") for l in out.splitlines()[1:]] if rc == 0 else None


def tls_handshake(version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = version
    try:
        with socket.create_connection(("127.0.0.1", tls_port), timeout=5) as s:
            with ctx.wrap_socket(s) as ts:
                return ts.version()
    except (ssl.SSLError, OSError):
        return None


def rows_of(d, number, tp):
    return [r for r in regs(d) or [] if r[0] == number and r[2] == tp]


def wait_rows(d, number, tp, want, timeout):
    end = time.time() + timeout
    while time.time() < end and bool(rows_of(d, number, tp)) != want:
        time.sleep(0.1)
    return rows_of(d, number, tp)


def killed_phones(d, ev):
    """kill -9: no un-REGISTER; only the connection's close tells."""
    for tp, p in (("tcp", port), ("tls", tls_port)):
        with Baresip(t, "bob", "pw-bob", "127.0.0.1", p, transport=tp) as b:
            t.ok(b.wait_registered(10) and wait_rows(d, "101", tp, True, 5),
                 "baresip (101) registered over %s" % tp.upper(), b.output()[-2000:])
            b.proc.kill()
            b.proc.wait()
            rows = wait_rows(d, "101", tp, False, 5)
            t.ok(rows == [], "%s phone killed: its binding goes when the connection closes" % tp.upper(),
                 rows)
    t.ok(ev.wait_for(lambda l: "sip.unregistered" in l and "extension=101" in l and
                     "connection closed" in l, 5) is not None or
         any("connection closed" in l for l in ev.seen), "sip.unregistered with reason connection closed",
         ev.seen)
    with Baresip(t, "bob", "pw-bob", "127.0.0.1", port, transport="udp") as b:
        t.ok(b.wait_registered(10), "baresip (101) registered over UDP", b.output()[-2000:])
        b.proc.kill()
        b.proc.wait()
    time.sleep(1.5)   # the registrar sweeps once a second: a wrong removal would show by now
    t.ok(len(rows_of(d, "101", "udp")) == 1, "UDP phone killed: its binding stays until expiry",
         regs(d))
    c = SipRaw("udp", ("127.0.0.1", port))   # clean up for the counts below
    c.register("bob", {"MD5": ha1("bob", "test", "pw-bob")}, URI, "*", expires=0)
    c.close()


d = Daemon(t, modules=MODS)
with d:
    for num, user, pw, extra in (("100", "alice", "pw-alice", 5), ("101", "bob", "pw-bob", None),
                                 ("102", "carol", "pw-carol", 2)):
        rc, _o, err = d.ctl("store", "put", "ext/" + num, ext_json(num, user, "test", pw, extra))
        t.ok(rc == 0, "extension %s provisioned" % num, err)
    t.ok(tls_handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3", "the TLS transport speaks TLS 1.3")
    t.ok(tls_handshake(ssl.TLSVersion.TLSv1_2) is None, "TLS 1.2 is refused by default")

    ev = d.events("sip.*registered")
    ev.wait_for(lambda l: l.startswith("(streaming"), 10)   # subscribed
    for tp, p in (("udp", port), ("tcp", port), ("tls", tls_port)):
        with Baresip(t, "alice", "pw-alice", "127.0.0.1", p, transport=tp) as b:
            t.ok(b.wait_registered(10), "baresip registers over %s" % tp.upper(), b.output()[-2000:])
            rows = [r for r in regs(d) or [] if r[0] == "100"]
            t.ok(len(rows) == 1 and rows[0][2] == tp and rows[0][3].startswith("127.0.0.1:"),
                 "registrations lists it with transport %s and source" % tp, rows)
            t.ok(ev.wait_for(lambda l: "sip.registered" in l and "transport=" + tp in l, 5),
                 "sip.registered event (%s)" % tp, ev.seen)
        t.ok(ev.wait_for(lambda l: "sip.unregistered" in l, 5), "baresip quitting unregisters (%s)" % tp)

    killed_phones(d, ev)

    with Baresip(t, "alice", "pw-alice", "127.0.0.1", port, transport="udp") as a, \
            Baresip(t, "alice", "pw-alice", "127.0.0.1", tls_port, transport="tls") as b:
        both = a.wait_registered(10) and b.wait_registered(10)
        rows = [r for r in regs(d) or [] if r[0] == "100"]
        t.ok(both and sorted(r[2] for r in rows) == ["tls", "udp"], "two phones, two contacts of 100", rows)
        rc, out, _e = d.ctl("metrics")
        t.ok(rc == 0 and "sip.registrations 2" in out, "gauge sip.registrations", out)

    c = SipRaw("udp", ("127.0.0.1", port))
    r = c.register("carol", H, URI, "<sip:carol@127.0.0.1:7001>", expires=10)
    t.ok(r is not None and r.code == 423 and r.get("Min-Expires") == "60",
         "Expires below min-expires: 423 with Min-Expires", r)
    for n in (1, 2, 3):
        r = c.register("carol", H, URI, "<sip:carol@127.0.0.1:700%d>" % n, expires=300 + n)
    rows = [r2[1] for r2 in regs(d) if r2[0] == "102"]
    t.ok(r is not None and r.code == 200 and len(r.get_all("Contact")) == 2, "200 lists the live contacts", r)
    t.ok(sorted(rows) == ["sip:carol@127.0.0.1:7002", "sip:carol@127.0.0.1:7003"],
         "max-contacts 2: the oldest binding gave way", rows)
    r = c.register("carol", H, URI, "*", expires=0)
    t.ok(r is not None and r.code == 200 and not [x for x in regs(d) if x[0] == "102"],
         "Contact: * with Expires: 0 removes every binding", r)
    r = c.register("carol", H, URI, "*", expires=60)
    t.ok(r is not None and r.code == 400, "Contact: * with a non-zero Expires: 400", r)
    r = c.register("carol", H, URI, "<sip:carol@127.0.0.1:7009>", expires=7200)
    t.ok(r is not None and r.code == 200 and "expires=3600" in (r.get("Contact") or ""),
         "Expires above max-expires is capped", r)
    c.close()
    ev.close()

    d.stop()
    d.start()
    rows = [r for r in regs(d) or [] if r[0] == "102"]
    t.ok(len(rows) == 1 and rows[0][1] == "sip:carol@127.0.0.1:7009" and rows[0][2] == "udp",
         "the registration survives a daemon restart", rows)
t.done()
