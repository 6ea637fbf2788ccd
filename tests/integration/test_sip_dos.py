#!/usr/bin/env python3
"""SIP DoS protection of module sip: sipp floods OPTIONS from 127.0.0.1
until the source is blocked (event, `bulwarkctl blocked`, no answers),
the ban ends by itself; `blocked lift` lifts one early (audited); an
allow-listed source (127.0.0.2) is never blocked; authentication failures
block a source too (127.0.0.3)."""
import shutil, socket, tempfile
from sippfix import options_flood
from bwtest import Tap, Daemon, pick_port
from sipraw import SipRaw, ext_json

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
MODS = ('<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
        '<dos auth-failures="3" transactions="10" window="60s" ban="3s">'
        '<allow address="127.0.0.2/32"/></dos></module>' % port)
URI = "sip:127.0.0.1:%d" % port


def sipp_flood(local_ip, count, workdir):
    return options_flood(port, count, local_ip, workdir, timeout_error=True)


def answered(local_ip):
    c = SipRaw("udp", ("127.0.0.1", port), local_ip=local_ip)
    r = c.request("OPTIONS", URI, timeout=1)
    c.close()
    return r is not None and r.code == 200


work = tempfile.mkdtemp(prefix="bwdos-")
with Daemon(t, modules=MODS) as d:
    ev = d.events("sip.source.*")
    ev.wait_for(lambda l: l.startswith("(streaming"), 10)   # subscribed
    t.ok(answered("127.0.0.1"), "OPTIONS answered before the flood")
    sipp_flood("127.0.0.1", 40, work)
    t.ok(ev.wait_for(lambda l: "sip.source.blocked" in l and "source=127.0.0.1 " in l
                     and "transactions" in l, 10), "flooding source blocked (event)", ev.seen)
    rc, out, _e = d.ctl("blocked")
    t.ok(rc == 0 and any(l.startswith("127.0.0.1\t") for l in out.splitlines()),
         "bulwarkctl blocked lists it with the time left", out)
    t.ok(not answered("127.0.0.1"), "a blocked source gets no answer")
    t.ok(ev.wait_for(lambda l: "sip.source.unblocked" in l and "reason=expired" in l, 10),
         "unblocked when the ban ends", ev.seen)
    t.ok(answered("127.0.0.1"), "answered again after the ban")

    sipp_flood("127.0.0.2", 40, work)
    t.ok(answered("127.0.0.2"), "an allow-listed source is never blocked")
    rc, out, _e = d.ctl("blocked")
    t.ok("127.0.0.2" not in out, "and not listed", out)

    sipp_flood("127.0.0.1", 40, work)
    t.ok(ev.wait_for(lambda l: "sip.source.blocked" in l, 10), "blocked again")
    rc, out, err = d.ctl("blocked", "lift", "127.0.0.1")
    t.ok(rc == 0 and "lifted" in out, "blocked lift", out + err)
    t.ok(ev.wait_for(lambda l: "sip.source.unblocked" in l and "reason=lifted" in l, 5), "lift event")
    t.ok(answered("127.0.0.1"), "answered right after the lift")
    rc, out, _e = d.ctl("audit", "list", "20")
    t.ok("sip.blocked.lift" in out and "127.0.0.1" in out, "the lift is audited", out)
    rc, out, err = d.ctl("blocked", "lift", "127.0.0.9")
    t.ok(rc != 0 and "not blocked" in err, "lifting a source that is not blocked fails", out + err)

    d.ctl("store", "put", "ext/100", ext_json("100", "alice", "test", "pw"))
    c = SipRaw("udp", ("127.0.0.1", port), local_ip="127.0.0.3")
    for _ in range(3):
        r = c.request("REGISTER", URI, user="alice", headers=["Contact: <sip:alice@127.0.0.3:5>"])
        if r is None or r.code != 401:
            break
        ch = r.challenges()[0]
        c.request("REGISTER", URI, user="alice", headers=["Contact: <sip:alice@127.0.0.3:5>"],
                  auth=c.authorization(ch, "alice", "0" * 64, "REGISTER", URI))
    t.ok(ev.wait_for(lambda l: "sip.source.blocked" in l and "source=127.0.0.3" in l
                     and "authentication" in l, 5), "authentication failures block a source", ev.seen)
    rc, out, _e = d.ctl("metrics")
    t.ok("sip.blocked_sources 1" in out, "gauge sip.blocked_sources", out)
    c.close()
    ev.close()
shutil.rmtree(work, ignore_errors=True)
t.done()
