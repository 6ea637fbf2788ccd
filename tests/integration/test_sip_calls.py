#!/usr/bin/env python3
"""Calls through bulwarkd's B2BUA between baresip 1.0.0 phones, over UDP and
over TLS: ringing, answer, audio (B records what it decodes), hold/resume by
re-INVITE, BYE; CANCEL before answer (487, B stops ringing); B rejects ->
486; unknown number -> 404 for an authenticated caller while an
unauthenticated INVITE gets only the 407 challenge; forking to two phones on
one account (the first to answer wins, the other is cancelled); no answer ->
480 after the ring timeout; `bulwarkctl calls` during a call, `cdr` after,
call.* events."""
import os, socket, time
from bwtest import Tap, Daemon, pick_port
from sipraw import SipRaw, ext_json, ha1
from sipcallfix import Phone

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
tls_port = pick_port()
RING_TIMEOUT = 4
MODS = ('<module name="sip">'
        '<transport type="udp" listen="127.0.0.1:{p}"/><transport type="tcp" listen="127.0.0.1:{p}"/>'
        '<transport type="tls" listen="127.0.0.1:{tp}"/>'
        '<auth algorithms="MD5"/><calls ring-timeout="{rt}"/></module>').format(
            p=port, tp=tls_port, rt=RING_TIMEOUT)


def typ(e):
    return e.get("type", "")


def closed_with(phone, words, timeout):
    """Wait for CALL_CLOSED whose param holds one of words."""
    e = phone.wait_event(lambda e: typ(e) == "CALL_CLOSED", timeout)
    return e is not None and any(w in (e.get("param") or "") for w in words), e


def recorded_bytes(phone):
    n = 0
    for f in os.listdir(phone.record_dir):
        if f.endswith(".wav") and "dec" in f:
            n += os.path.getsize(os.path.join(phone.record_dir, f))
    return n


def wait_reinvites(phone, n, timeout):
    """The phone logged n re-INVITEs with an offer (baresip has no event)."""
    end = time.time() + timeout
    while time.time() < end:
        if phone.output().count("got re-INVITE (SDP Offer)") >= n:
            return True
        time.sleep(0.1)
    return False


def phone(user, pw, tp):
    p = port if tp == "udp" else tls_port
    return Phone(t, user, pw, "127.0.0.1", p, transport=tp)


def call_flow(d, tp, ev):
    with phone("alice", "pw-alice", tp) as a, phone("bob", "pw-bob", tp) as b:
        t.ok(a.wait_registered(10) and b.wait_registered(10), "%s: both phones registered" % tp,
             a.output()[-1500:] + b.output()[-1500:])
        a.dial("101")
        inc = b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        t.ok(inc is not None, "%s: B rings" % tp, b.seen)
        rng = a.wait_event(lambda e: typ(e) == "CALL_RINGING", 5)
        t.ok(rng is not None, "%s: A hears ringing (180 relayed)" % tp, a.seen)
        b.answer()
        ea = a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10)
        eb = b.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10)
        t.ok(ea is not None and eb is not None, "%s: call established both sides" % tp,
             a.seen + b.seen)
        rc, out, err = d.ctl("calls")
        t.ok(rc == 0 and "100" in out and "101" in out, "%s: bulwarkctl calls shows it" % tp,
             out + err)
        time.sleep(1.5)   # let audio through: nothing to wait for on RTP
        # hold then resume from A: re-INVITEs through both legs
        r = a.command("hold")
        t.ok(r is not None and wait_reinvites(b, 1, 5), "%s: A holds: B gets a re-INVITE" % tp,
             b.output()[-3000:])
        r = a.command("resume")
        t.ok(r is not None and wait_reinvites(b, 2, 5), "%s: A resumes: B gets another re-INVITE" % tp,
             b.output()[-3000:])
        a.hangup()
        ok_b, e = closed_with(b, [""], 10)
        t.ok(e is not None, "%s: BYE reaches B" % tp, b.seen)
        deadline = time.time() + 5
        while time.time() < deadline and recorded_bytes(b) < 8000:
            time.sleep(0.1)
        t.ok(recorded_bytes(b) >= 8000, "%s: audio flowed A -> B (B decoded >= 0.5 s)" % tp,
             [(f, os.path.getsize(os.path.join(b.record_dir, f))) for f in os.listdir(b.record_dir)])


def cancel_flow(tp):
    with phone("alice", "pw-alice", tp) as a, phone("bob", "pw-bob", tp) as b:
        a.wait_registered(10)
        b.wait_registered(10)
        a.dial("101")
        t.ok(b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10) is not None,
             "%s: B rings before the CANCEL" % tp)
        a.wait_event(lambda e: typ(e) == "CALL_RINGING", 5)
        a.hangup()
        ok, e = closed_with(b, [""], 10)
        t.ok(e is not None, "%s: CANCEL: B stops ringing" % tp, b.seen)
        # baresip does not report the 487 it gets for its own CANCEL; the
        # raw test below checks the 487 on the wire


def main():
    with Daemon(t, modules=MODS) as d:
        for num, user, pw in (("100", "alice", "pw-alice"), ("101", "bob", "pw-bob"),
                              ("102", "carol", "pw-carol")):
            rc, _o, err = d.ctl("store", "put", "ext/" + num, ext_json(num, user, "test", pw, 3))
            t.ok(rc == 0, "extension %s provisioned" % num, err)
        ev = d.events("call.*")
        ev.wait_for(lambda l: l.startswith("(streaming"), 10)   # subscribed
        for tp in ("udp", "tls"):
            call_flow(d, tp, ev)
        t.ok(ev.wait_for(lambda l: "call.answered" in l, 5) is not None,
             "call.answered events published", ev.seen)
        t.ok(ev.wait_for(lambda l: "call.ended" in l, 5) is not None or
             any("call.ended" in l for l in ev.seen), "call.ended events published", ev.seen)
        rc, out, err = d.ctl("cdr")
        t.ok(rc == 0 and out.count("100") >= 2 and "101" in out, "call records exist (cdr)", out + err)
        cancel_flow("udp")
        extra_flows(d)
        ev.close()


def extra_flows(d):
    # B rejects -> 486 to A
    with phone("alice", "pw-alice", "udp") as a, phone("bob", "pw-bob", "udp") as b:
        a.wait_registered(10)
        b.wait_registered(10)
        a.dial("101")
        b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        b.hangup()
        ok, e = closed_with(a, ["486"], 10)
        t.ok(ok, "B rejects: A gets 486", e)
        # unknown number -> 404 (authenticated)
        a.dial("555")
        ok, e = closed_with(a, ["404"], 10)
        t.ok(ok, "unknown number: A (authenticated) gets 404", e)
        # no answer -> 480 after the ring timeout
        a.dial("101")
        b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        ok, e = closed_with(a, ["480"], RING_TIMEOUT + 10)
        t.ok(ok, "no answer: A gets 480 after ring-timeout", e)
        ok2, e2 = closed_with(b, [""], 5)
        t.ok(e2 is not None, "no answer: B stops ringing", b.seen)

    # forking: bob registered twice
    with phone("alice", "pw-alice", "udp") as a, phone("bob", "pw-bob", "udp") as b1, \
            phone("bob", "pw-bob", "udp") as b2:
        a.wait_registered(10)
        b1.wait_registered(10)
        b2.wait_registered(10)
        a.dial("101")
        r1 = b1.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        r2 = b2.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        t.ok(r1 is not None and r2 is not None, "forking: both phones of 101 ring")
        b2.answer()
        ea = a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10)
        t.ok(ea is not None, "forking: the one that answers gets the call")
        ok, e = closed_with(b1, [""], 10)
        t.ok(e is not None, "forking: the other is cancelled", b1.seen)
        a.hangup()
        closed_with(b2, [""], 10)

    # unauthenticated INVITE: only the 407 challenge, whatever the number
    c = SipRaw("udp", ("127.0.0.1", port))
    for num in ("101", "555"):
        r = c.request("INVITE", "sip:%s@127.0.0.1:%d" % (num, port), user="100",
                      headers=("Content-Type: application/sdp",),
                      body=b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                           b"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
        t.ok(r is not None and r.code == 407, "unauthenticated INVITE to %s: 407 only" % num, r)
    c.close()
    delayed_offer()


def delayed_offer():
    """An authenticated INVITE without SDP: 488 saying why (docs/sip.md)."""
    c = SipRaw("udp", ("127.0.0.1", port))
    uri = "sip:101@127.0.0.1:%d" % port
    r = c.request("INVITE", uri, user="alice")
    ch = r.challenges()[0] if r is not None and r.code == 407 and r.challenges() else None
    t.ok(ch is not None, "delayed offer: INVITE without SDP challenged first", r)
    if ch is not None:
        auth = SipRaw.authorization(ch, "alice", ha1("alice", "test", "pw-alice"), "INVITE", uri,
                                    header="Proxy-Authorization")
        r = c.request("INVITE", uri, user="alice", auth=auth)
        t.ok(r is not None and r.code == 488 and r.reason == "Delayed Offer Not Supported",
             "delayed offer: authenticated INVITE without SDP gets 488 Delayed Offer Not Supported", r)
    c.close()


main()
t.done()
