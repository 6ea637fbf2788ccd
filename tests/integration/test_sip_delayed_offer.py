#!/usr/bin/env python3
"""Delayed offer (an INVITE without SDP) through bulwarkd, with real peers.
The callers are sipp scenarios on IP-authenticated trunk peers dialling a
DID; the callee is a baresip phone (extension 101, SRTP mandatory, auto
answer) whose SIP trace shows the INVITE it got.

- Trunk with "srtp":"off": the phone gets bulwarkd's own offer (the relay's
  address and a port of the range, RTP/SAVP with a=crypto for the four
  suites, codecs 0 8 9 101); the caller's 200 carries an offer in plain
  RTP/AVP (no a=crypto) built from what the phone accepted; the caller's
  ACK answers it. During the call `bulwarkctl media` shows an RTP leg and
  an SRTP leg with packets both ways (the caller echoes the phone's media,
  sipp -rtp_echo) and `bulwarkctl calls` secure=no/yes; the record says
  secure=no/yes.
- Trunk with "srtp":"mandatory": the 200's offer is RTP/SAVP with
  a=crypto; the ACK answers with SRTP; secure=yes/yes.
- An ACK without SDP, 1.5 s after the 200: bulwarkd sends BYE to the
  caller (sipp waits for it) and to the phone (CALL_CLOSED); the call
  record says failed with the cause and billsec=0; no call.answered.
- An INVITE with a body that is no SDP (text/plain): no delayed offer,
  415 with Accept: application/sdp, no call started.
- A callee (sipp behind a trunk, reached through extension 102's forward)
  that re-INVITEs before the caller's ACK: 491 Request Pending, and the
  call goes on once the caller ACKs (answered).
- Without the srtp module: 488 Delayed Offer Not Supported, as before.
Needs the sip and srtp modules, sipp and baresip (srtp.so)."""
import json, os, random, re, shutil, socket, subprocess, tempfile
import baresipfix
from bwtest import Tap, Daemon, pick_port, src, wait_for, read_text, wait_bound
from baresipfix import Baresip
from sipraw import ext_json
import sippfix

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
lo = 2 * random.randrange(5000, 9900)
hi = lo + 99
SIP = ('<module name="sip"><transport type="udp" listen="127.0.0.1:{p}"/>'
       '<auth algorithms="MD5"/></module>').format(p=port)
MODS = SIP + '<module name="srtp" ports="{lo}-{hi}" threads="1"/>'.format(lo=lo, hi=hi)
PLAIN_IP, SEC_IP = "127.0.0.4", "127.0.0.5"   # the callers, trusted by address
PROV_IP = "127.0.0.6"                         # a provider called through a trunk
DID = "5552000"
DID_FWD = "5552001"                           # extension 102, forwarded to 90611


class TracedPhone(Baresip):
    """SRTP mandatory (SDES), auto answer, SIP trace (-s) in its output."""
    def __init__(self, *a, **kw):
        super().__init__(*a, extra_account=";answermode=auto", **kw)
        path = os.path.join(self.dir, "accounts")
        with open(path) as f:
            acc = f.read()
        with open(path, "w") as f:
            f.write(acc.replace("mediaenc=;", "mediaenc=srtp-mand;"))

    def _config(self):
        return super()._config() + "module srtp.so\n"

    def start(self):
        real = baresipfix.subprocess.Popen

        def traced(args, **kw):
            return real(list(args) + ["-s"], **kw)
        baresipfix.subprocess.Popen = traced
        try:
            return super().start()
        finally:
            baresipfix.subprocess.Popen = real


def sipp(tmp, scenario, ip, *args, timeout=30, background=False, did=DID, uas_port=None):
    return sippfix.run(tmp, scenario, ip, "-p", str(uas_port or pick_port(socket.SOCK_DGRAM)),
                       "-s", did, *args, "127.0.0.1:%d" % port, timeout=timeout,
                       background=background)


def sipp_wait(p, tmp, scenario):
    return sippfix.finish(p, 40), read_text(os.path.join(tmp, scenario + ".err"))[-1500:]


def message(trace, first_line_re):
    """The first SIP message in a trace whose first line matches."""
    m = re.search(r"(?ms)^(" + first_line_re + r".*?)(?=^-{5,}|^\S+ \S+ SIP/2\.0|^SIP/2\.0|\Z)",
                  trace)
    return m.group(1) if m else ""


def provision(d):
    rec = json.loads(ext_json("101", "bob", "test", "pw-bob", 3))
    rec["srtp"] = "mandatory"
    rcs = [d.ctl("store", "put", "ext/101", json.dumps(rec))[0],
           d.ctl("store", "put", "route/did/" + DID, json.dumps({"extension": "101"}))[0]]
    for name, ip, srtp in (("lateoff", PLAIN_IP, "off"), ("latesec", SEC_IP, "mandatory")):
        trunk = {"driver": "sip", "mode": "peer", "address": ip,
                 "proxy": "sip:%s:%d" % (ip, pick_port(socket.SOCK_DGRAM)), "transport": "udp", "srtp": srtp}
        rcs.append(d.ctl("store", "put", "trunk/" + name, json.dumps(trunk))[0])
    up = wait_for(lambda: all(any(l.startswith(n + "\t") for l in d.ctl("trunks")[1].splitlines())
                                for n in ("lateoff", "latesec")), 5)
    t.ok(rcs == [0] * 4 and up, "extension 101 (srtp mandatory), DID %s, trunks lateoff "
         "(srtp off) and latesec (srtp mandatory) provisioned" % DID, str(rcs))


def answered_line(d, flags):
    return next((l for l in d.ctl("calls")[1].splitlines()
                 if " answered " in l and flags in l), None)


def leg_counts(d):
    """{leg: (srtp?, rx, tx)} of the one stream."""
    out = {}
    for l in d.ctl("media")[1].splitlines():
        m = re.search(r" leg (\d) port \d+ peer \S+ (srtp|rtp) rx (\d+) tx (\d+)", l)
        if m:
            out[int(m.group(1))] = (m.group(2) == "srtp", int(m.group(3)), int(m.group(4)))
    return out


def check_phone_offer(phone):
    invite = message(phone.output(), r"INVITE sip:")
    m = re.search(r"m=audio (\d+) (\S+) ([0-9 ]+)", invite)
    c = re.search(r"c=IN IP4 (\S+)", invite)
    crypto = re.findall(r"a=crypto:\d+ (\S+) inline:", invite)
    ok = (m is not None and c is not None and c.group(1) == "127.0.0.1" and
          lo <= int(m.group(1)) <= hi and m.group(2) == "RTP/SAVP" and
          m.group(3).split() == ["0", "8", "9", "101"] and
          sorted(crypto) == sorted(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                                    "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"]))
    t.ok(ok, "the phone got bulwarkd's offer: 127.0.0.1, a relay port (%d-%d), RTP/SAVP with "
         "a=crypto for the four suites, codecs 0 8 9 101" % (lo, hi), invite[:1500])


def call_plain(d, tmp, phone):
    """Trunk srtp off -> phone srtp mandatory; media echoed by the caller."""
    trace = os.path.join(tmp, "late_plain.log")
    media = pick_port(socket.SOCK_DGRAM)
    p = sipp(tmp, "uac_late.xml", PLAIN_IP, "-mi", PLAIN_IP, "-mp", str(media), "-rtp_echo",
             "-trace_msg", "-message_file", trace, background=True)
    line = wait_for(lambda: answered_line(d, "no/yes"), 15)
    t.ok(line is not None, "delayed offer from the plain trunk: answered, bulwarkctl calls "
         "says secure=no/yes once the ACK's answer came", d.ctl("calls")[1] + d.output()[-3000:])
    flows = wait_for(lambda: (lambda c: len(c) == 2 and all(v[1] > 10 and v[2] > 10
                                                             for v in c.values()) and c)(
        leg_counts(d)), 5)
    c = leg_counts(d)
    t.ok(flows and not c[0][0] and c[1][0], "bulwarkctl media: the caller's leg RTP, the "
         "phone's SRTP, packets both ways on both (the caller echoes the phone)",
         d.ctl("media")[1])
    rc, err = sipp_wait(p, tmp, "uac_late.xml")
    t.ok(rc == 0, "the caller got an offer in the 200, ACKed with its answer and hung up "
         "(sipp exit 0)", err)
    msgs = read_text(trace)
    ok200 = message(msgs, r"SIP/2\.0 200 OK")
    m = re.search(r"m=audio (\d+) (\S+) ([0-9 ]+)", ok200)
    t.ok(m is not None and m.group(2) == "RTP/AVP" and "a=crypto" not in ok200 and
         "c=IN IP4 127.0.0.1" in ok200 and lo <= int(m.group(1)) <= hi and
         set(m.group(3).split()) <= {"0", "8", "9", "101"} and
         ("0" in m.group(3).split() or "8" in m.group(3).split()),
         "the caller's 200 is an offer in plain RTP/AVP from the relay with the codecs "
         "the phone accepted", ok200[:1500] or msgs[-1500:])
    check_phone_offer(phone)
    phone.wait_event(lambda e: e.get("type") == "CALL_CLOSED", 10)
    cdr = wait_for(lambda: next((l for l in d.ctl("cdr")[1].splitlines()
                                   if "0612345678 -> 101 answered" in l), None), 5)
    t.ok(cdr is not None and "secure=no/yes" in cdr, "the call record says answered, "
         "secure=no/yes", d.ctl("cdr")[1])


def call_srtp(d, tmp, phone):
    trace = os.path.join(tmp, "late_srtp.log")
    p = sipp(tmp, "uac_late_srtp.xml", SEC_IP, "-mi", SEC_IP, "-mp", str(pick_port(socket.SOCK_DGRAM)),
             "-trace_msg", "-message_file", trace, background=True)
    line = wait_for(lambda: answered_line(d, "yes/yes"), 15)
    t.ok(line is not None, "delayed offer from the SRTP trunk: secure=yes/yes",
         d.ctl("calls")[1] + d.output()[-3000:])
    rc, err = sipp_wait(p, tmp, "uac_late_srtp.xml")
    t.ok(rc == 0, "the SRTP caller's call went through (sipp exit 0)", err)
    ok200 = message(read_text(trace), r"SIP/2\.0 200 OK")
    t.ok(re.search(r"m=audio \d+ RTP/SAVP ", ok200) is not None and
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in ok200,
         "the SRTP trunk's 200 is an RTP/SAVP offer with a=crypto", ok200[:1500])
    phone.wait_event(lambda e: e.get("type") == "CALL_CLOSED", 10)
    cdr = d.ctl("cdr")[1]
    t.ok(any("0612345678 -> 101 answered" in l and "secure=yes/yes" in l
             for l in cdr.splitlines()), "the call record says secure=yes/yes", cdr)


def live_events(d):
    """`bulwarkctl events call.*`, once it is known to be streaming."""
    ev = d.events("call.*")
    for i in range(100):
        d.ctl("emit", "call.probe", "n=live%d" % i)
        if ev.wait_for(lambda l: "call.probe" in l, 0.2):
            break
    return ev


def events_until_now(d, ev, tag):
    """Every call event published so far (a probe published now comes after
    them: one subscriber's stream keeps the order)."""
    d.ctl("emit", "call.probe", "n=" + tag)
    ev.wait_for(lambda l: "call.probe" in l and tag in l, 5)
    return [l for l in ev.seen if "call.probe" not in l]


def call_no_answer(d, tmp, phone):
    ev = live_events(d)
    try:
        rc, out = sipp(tmp, "uac_late_noanswer.xml", PLAIN_IP)
        t.ok(rc == 0, "an ACK without SDP: bulwarkd sends the caller a BYE", out)
        closed = phone.wait_event(lambda e: e.get("type") == "CALL_CLOSED", 10)
        t.ok(closed is not None, "... and the phone a BYE (CALL_CLOSED)", phone.output()[-2000:])
        cdr = wait_for(lambda: next((l for l in d.ctl("cdr")[1].splitlines()
                                       if "no SDP answer" in l), None), 5)
        t.ok(cdr is not None, "the call record gives the cause (no SDP answer in the ACK)",
             d.ctl("cdr")[1])
        t.ok("ACK carried no SDP answer; ending the call" in d.output(),
             "bulwarkd logs why it ended the call", d.output()[-2000:])
        t.ok(cdr is not None and " -> 101 failed " in cdr and " billsec=0 " in cdr,
             "the record says failed with billsec=0: the caller never answered our offer "
             "(its ACK came 1.5 s after the 200)", cdr or d.ctl("cdr")[1])
        seen = events_until_now(d, ev, "noanswer")
        t.ok(any("call.ended" in l for l in seen) and
             not any("call.answered" in l for l in seen),
             "no call.answered event for it (bulwarkctl events)", "\n".join(seen))
    finally:
        ev.close()


def call_bad_body(d, tmp):
    """A body that is no SDP is no delayed offer: refused before any call."""
    ev = live_events(d)
    try:
        trace = os.path.join(tmp, "late_415.log")
        rc, out = sipp(tmp, "uac_late_415.xml", PLAIN_IP, "-trace_msg", "-message_file", trace)
        resp = message(read_text(trace), r"SIP/2\.0 415 ")
        t.ok(rc == 0 and "415 Unsupported Media Type" in resp and
             re.search(r"(?mi)^Accept: application/sdp", resp) is not None,
             "an INVITE with a text/plain body: 415 with Accept: application/sdp, not taken "
             "as a delayed offer", out + read_text(trace)[-1500:])
        seen = events_until_now(d, ev, "badbody")
        t.ok(not any("call.started" in l for l in seen) and
             not d.ctl("calls")[1].strip(), "... and no call was started for it",
             "\n".join(seen) + d.ctl("calls")[1])
    finally:
        ev.close()


def provision_forward(d):
    """DID_FWD -> extension 102, which forwards always to 90611: route 9 to
    the trunk lateprov (srtp off), whose provider is a sipp UAS."""
    uas_port = pick_port(socket.SOCK_DGRAM)
    rec = json.loads(ext_json("102", "carol", "test", "pw-carol", 3))
    rec["forward_always"] = "90611"
    trunk = {"driver": "sip", "mode": "peer", "address": PROV_IP,
             "proxy": "sip:%s:%d" % (PROV_IP, uas_port), "transport": "udp", "srtp": "off"}
    rcs = [d.ctl("store", "put", "ext/102", json.dumps(rec))[0],
           d.ctl("store", "put", "route/did/" + DID_FWD, json.dumps({"extension": "102"}))[0],
           d.ctl("store", "put", "trunk/lateprov", json.dumps(trunk))[0],
           d.ctl("store", "put", "route/out/9", json.dumps({"trunk": "lateprov", "strip": 1}))[0]]
    up = wait_for(lambda: "lateprov\t" in d.ctl("trunks")[1], 5)
    t.ok(rcs == [0] * 4 and up, "DID %s -> extension 102 forwarding to 90611 -> trunk "
         "lateprov (provider %s:%d)" % (DID_FWD, PROV_IP, uas_port), str(rcs))
    return uas_port


def call_callee_reinvite(d, tmp):
    """The callee re-INVITEs while the caller has not ACKed: 491."""
    uas_port = provision_forward(d)
    trace = os.path.join(tmp, "late_uas.log")
    uas = subprocess.Popen(
        [shutil.which("sipp"), "-sf", src("tests/integration/sipp/uas_late_reinvite.xml"),
         "-i", PROV_IP, "-p", str(uas_port), "-mi", PROV_IP,
         "-mp", str(pick_port(socket.SOCK_DGRAM)), "-m", "1", "-timeout", "30",
         "-timeout_error", "-nostdin", "-trace_err", "-error_file",
         os.path.join(tmp, "uas_late_reinvite.xml.err"), "-trace_msg", "-message_file", trace],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
    wait_bound(uas_port, PROV_IP)
    rc, out = sipp(tmp, "uac_late_slowack.xml", PLAIN_IP, "-mi", PLAIN_IP,
                   "-mp", str(pick_port(socket.SOCK_DGRAM)), did=DID_FWD, timeout=30)
    urc, uerr = sipp_wait(uas, tmp, "uas_late_reinvite.xml")
    msgs = read_text(trace)
    t.ok(urc == 0 and "SIP/2.0 491 Request Pending" in msgs,
         "a callee re-INVITE before the caller's ACK: 491 Request Pending (sipp UAS exit 0)",
         uerr + msgs[-2500:] + d.output()[-2000:])
    t.ok(rc == 0, "the caller's slow ACK then completes the call, which ends with its BYE "
         "(sipp exit 0)", out)
    cdr = wait_for(lambda: next((l for l in d.ctl("cdr")[1].splitlines()
                                   if " -> 0611 " in l), None), 5)
    t.ok(cdr is not None and " answered " in cdr, "the call record says answered",
         d.ctl("cdr")[1])


def without_media(tmp):
    with Daemon(t, modules=SIP) as d:
        trunk = {"driver": "sip", "mode": "peer", "address": PLAIN_IP,
                 "proxy": "sip:%s:%d" % (PLAIN_IP, pick_port(socket.SOCK_DGRAM)), "transport": "udp",
                 "srtp": "off"}
        d.ctl("store", "put", "trunk/lateoff", json.dumps(trunk))
        d.ctl("store", "put", "route/did/" + DID, json.dumps({"extension": "101"}))
        wait_for(lambda: "lateoff\t" in d.ctl("trunks")[1], 5)
        trace = os.path.join(tmp, "late_488.log")
        rc, out = sipp(tmp, "uac_late_488.xml", PLAIN_IP, "-trace_msg", "-message_file", trace)
        t.ok(rc == 0 and "488 Delayed Offer Not Supported" in read_text(trace),
             "without the srtp module: 488 Delayed Offer Not Supported", out + read_text(trace)[-800:])
        t.ok(d.ctl("cdr")[1].strip() == "" or DID not in d.ctl("cdr")[1],
             "... before any call record", d.ctl("cdr")[1])


def main():
    if not shutil.which("sipp") or not shutil.which("baresip"):
        t.ok(True, "delayed offer # SKIP sipp or baresip is not installed")
        return
    tmp = tempfile.mkdtemp(prefix="bwlate-")
    try:
        with Daemon(t, modules=MODS) as d:
            provision(d)
            with TracedPhone(t, "bob", "pw-bob", "127.0.0.1", port) as phone:
                t.ok(phone.wait_registered(10), "phone 101 registered (SRTP, auto answer)")
                call_plain(d, tmp, phone)
                call_srtp(d, tmp, phone)
                call_no_answer(d, tmp, phone)
            call_bad_body(d, tmp)
            call_callee_reinvite(d, tmp)
            wait_for(lambda: d.ctl("media")[1].startswith("streams 0"), 10)
            t.ok(d.ctl("media")[1].startswith("streams 0"), "no stream left after the calls",
                 d.ctl("media")[1])
        without_media(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
t.done()
