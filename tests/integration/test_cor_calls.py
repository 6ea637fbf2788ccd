#!/usr/bin/env python3
"""CoR end to end: a baresip phone calling through bulwarkd (sip + cor),
with two raw SIP providers behind peer trunks "carrier" and "backup" (each
records every INVITE's number and answers 486). ARS falls back: a national
call busy at the carrier is tried on the backup, and with both busy the
caller hears 503 "all trunks busy or down"; the call record names the
trunks that failed. A barred
international call is refused with 403 and the reason; an emergency call
goes through in night service; a verified account code unlocks one call;
the call records carry the decision (note). Forwards: a call from the
peer trunk to a DID whose extension forwards always to an external number
is refused (403, cor.denied by the interconnect matrix: trunk to trunk),
while an extension's call to the same extension is forwarded out."""
import json, os, queue, re, shutil, socket, sys, threading, time
from bwtest import Tap, Daemon, pick_port, src
from sipraw import ext_json, SipRaw
from baresipfix import Baresip

if shutil.which("baresip") is None:
    print("1..0 # SKIP baresip is not installed")
    sys.exit(0)
t = Tap()
port = pick_port(socket.SOCK_DGRAM)
MODS = ('<module name="sip"><transport type="udp" listen="127.0.0.1:{p}"/>'
        '<auth algorithms="MD5"/><calls ring-timeout="10"/></module>'
        '<module name="cor" timezone="Europe/Berlin" trunk-prefix="0" account-prefix="*88"/>'
        ).format(p=port)


def typ(e):
    return e.get("type", "")


def closed_with(phone, words, timeout):
    e = phone.wait_event(lambda e: typ(e) == "CALL_CLOSED", timeout)
    return e is not None and all(w in (e.get("param") or "") for w in words), e


class Provider:
    """A SIP peer on loopback UDP: records the Request-URI user of every
    INVITE and answers 486 Busy Here (ACKs and the rest are ignored)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.invites = queue.Queue()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            text = data.decode(errors="replace")
            m = re.match(r"INVITE sip:([^@;>\s]+)@", text)
            if not m:
                continue
            self.invites.put(m.group(1))
            head = text.split("\r\n\r\n", 1)[0].split("\r\n")
            keep = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in
                    ("via", "v", "from", "f", "call-id", "i", "cseq")]
            to = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in ("to", "t")]
            resp = ["SIP/2.0 486 Busy Here"] + keep + [to[0] + ";tag=prov1" if to else "To: <sip:x@y>",
                                                        "Content-Length: 0", "", ""]
            self.sock.sendto("\r\n".join(resp).encode(), peer)

    def wait_invite(self, timeout=10):
        try:
            return self.invites.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self):
        self.sock.close()


prov = Provider()
prov2 = Provider()


def drain(p):
    while not p.invites.empty():
        p.invites.get_nowait()


with Daemon(t, modules=MODS) as d:
    rc, _o, err = d.ctl("store", "put", "ext/100", ext_json("100", "alice", "test", "pw-alice"))
    t.ok(rc == 0, "extension 100 provisioned", err)
    trunk = {"driver": "sip", "mode": "peer", "transport": "udp", "srtp": "off",
             "proxy": "sip:127.0.0.1:%d" % prov.port, "address": "127.0.0.2/32"}
    rc, _o, err = d.ctl("store", "put", "trunk/carrier", json.dumps(trunk))
    t.ok(rc == 0, "peer trunk to the provider phone provisioned", err)
    trunk.update(proxy="sip:127.0.0.1:%d" % prov2.port, address="127.0.0.3/32")
    rc, _o, err = d.ctl("store", "put", "trunk/backup", json.dumps(trunk))
    t.ok(rc == 0, "second peer trunk (the ARS backup) provisioned", err)
    rc, _o, err = d.ctl("store", "put", "route/out/0", '{"trunk": "carrier", "strip": 1}')
    # the sip driver reads its trunks when it starts
    rc, out, err = d.ctl("module", "reload", "sip")
    t.ok(rc == 0, "sip reloaded with the trunk", out + err)
    rc, out, err = d.ctl("store", "import", src("tests/integration/data/cor-example.xml"))
    t.ok(rc == 0, "CoR example imported", out + err)
    ev = d.events("cor.*")
    ended = d.events("call.ended")

    with Baresip(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        t.ok(a.wait_registered(10), "alice registered", a.output()[-1500:])

        a.dial("000441234")
        ok, e = closed_with(a, ["403"], 10)
        t.ok(ok, "a barred international call is refused with 403", e)
        if not ok:   # seen once in CI, never again: keep what explains it
            t.diag("baresip:\n" + a.output()[-3000:])
            t.diag("bulwarkd:\n" + d.output()[-5000:])
        t.ok(e is not None and "Number unobtainable" in (e.get("param") or ""),
             "the 403 says why: number unobtainable (the reason phrase)", e)
        t.ok(ev.wait_for(lambda l: "cor.denied" in l and "rule=international" in l, 5),
             "cor.denied published", ev.seen)

        a.dial("00301234567")
        t.ok(prov.wait_invite() == "0301234567",
             "an allowed national call reaches the provider (ARS, prefix stripped)")
        t.ok(prov2.wait_invite() == "0301234567",
             "the carrier is busy (486): ARS falls back to the backup trunk")
        ok, e = closed_with(a, ["503"], 10)
        t.ok(ok, "both busy: the caller gets 503", e)

        a.dial("*884711*1234*000441234")
        t.ok(prov.wait_invite() == "00441234",
             "a verified account code unlocks the international call", a.output()[-800:])
        closed_with(a, [], 10)
        a.dial("000441234")
        ok, e = closed_with(a, ["403"], 10)
        t.ok(ok, "...for that one call only", e)

        rc, out, err = d.ctl("service", "night1")
        a.dial("00301234567")
        ok, e = closed_with(a, ["403"], 10)
        t.ok(ok, "night service: a national call is refused", e)
        a.dial("0112")
        t.ok(prov.wait_invite() == "112", "night service: the emergency call goes through",
             a.output()[-800:])
        closed_with(a, [], 10)
        t.ok(ev.wait_for(lambda l: "cor.denied" in l and "rule=closed" in l, 5),
             "the night denial is published", ev.seen)
    ev.close()
    rc, out, err = d.ctl("cdr")
    t.ok("Number unobtainable: barred by international" in out,
         "the call record carries the reason", out + err)
    ended.wait_for(lambda l: "dialed=0112" in l, 10)   # not "112": ids and times hold it too
    lines = "\n".join(ended.seen)
    ended.close()
    t.ok("trunk carrier failed (486); trunk backup failed (486)" in lines,
         "the call record lists the trunks tried", lines)
    t.ok("all trunks busy or down" in lines, "...and why the call failed", lines)
    t.ok("cor deny: international period=day cor=1" in lines,
         "call.ended (the call record) carries the CoR decision", lines)
    t.ok("cor allow: emergency period=night1" in lines, "...and the emergency override", lines)
    t.ok("account_code=4711" in lines and "account=4711" in lines,
         "...and the account code", lines)
    t.ok("*1234*" not in lines and "*1234*" not in out,
         "no PIN in call.ended events or call records", lines + out)
    t.ok("1234*" not in d.output(), "no PIN in the daemon's log")

    # Forwards: extension 200 (DID 4930555) forwards always to a national
    # number. Its CoR and CoS allow that, so only the interconnect matrix
    # can stop a trunk's call being forwarded out on a trunk.
    for key, val in (("ext/200", ext_json("200", "bob", "test", "pw-bob")),
                     ("route/did/4930555", '{"extension": "200"}'),
                     ("cor/cos/2", '{"name": "forwarder", "external": true, '
                                   '"forward_external": true}'),
                     ("cor/ext/200", '{"cor": 3, "cos": 2}')):
        rc, _o, err = d.ctl("store", "put", key, val)
        t.ok(rc == 0, "%s provisioned" % key, err)
    rc, out, err = d.ctl("service", "auto")
    rc, out, err = d.ctl("ext", "set", "200", "forward-always=00301234567")
    t.ok(rc == 0, "ext set 200 forward-always", out + err)
    rc, out, err = d.ctl("ext", "show", "200")
    t.ok("forward-always: 00301234567" in out, "ext show gives the forward", out + err)
    drain(prov2)   # the emergency call fell back to it too
    ev = d.events("cor.*")
    ended = d.events("call.ended")
    for stream in (ev, ended):   # subscribed once the greeting is out
        stream.wait_for(lambda l: l.startswith("(streaming"), 5)
    sdp = (b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
           b"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
    c = SipRaw("udp", ("127.0.0.1", port), local_ip="127.0.0.2")
    uri = "sip:4930555@127.0.0.1:%d" % port
    branch = "z9hG4bKfwd%d" % os.getpid()
    r = c.request("INVITE", uri, user="0612345678", to_user="4930555", branch=branch,
                  headers=("Contact: <sip:0612345678@127.0.0.2:%d>" % c.local[1],
                           "Content-Type: application/sdp"), body=sdp, timeout=10)
    t.ok(r is not None and r.code == 403 and "Number unobtainable" in r.reason,
         "a trunk's call to a DID that forwards to a trunk is refused with 403 and the reason", r)
    t.ok(prov.invites.empty() and prov2.invites.empty(), "...and never reaches a provider")
    if r is not None:
        c.cseq -= 1   # the ACK of a final answer repeats the INVITE's CSeq and branch
        c.send_raw(c.build("ACK", uri, user="0612345678", to_user="4930555", branch=branch))
    c.close()
    t.ok(ev.wait_for(lambda l: "cor.denied" in l and 'rule="interconnect matrix' in l
                     and "forwarded_by=200" in l and "trunk=carrier" in l, 5),
         "cor.denied names the interconnect rule, the trunk and the forwarding extension",
         ev.seen)
    t.ok(ended.wait_for(lambda l: "forwarded_by=200" in l and "disposition=denied" in l, 5),
         "call.ended carries forwarded_by", ended.seen)

    with Baresip(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        t.ok(a.wait_registered(10), "alice registered again", a.output()[-1500:])
        a.dial("200")
        t.ok(prov.wait_invite() == "0301234567",
             "an internal caller's call to 200 is forwarded out (its CoR allows it)",
             a.output()[-800:])
        t.ok(prov2.wait_invite() == "0301234567", "...and falls back to the backup trunk")
        ok, e = closed_with(a, ["503"], 10)
        t.ok(ok, "the forward's failure comes back to the caller", e)
    t.ok(ended.wait_for(lambda l: "forwarded_by=200" in l and "caller=100" in l
                        and "forwarded by 200 (always) to 00301234567" in l, 10),
         "the call record notes the forward", ended.seen)
    ev.close()
    ended.close()

prov.close()
prov2.close()
t.done()
