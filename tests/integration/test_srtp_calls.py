#!/usr/bin/env python3
"""SRTP calls through bulwarkd between baresip 1.0.0 phones with
mediaenc=srtp-mand: the srtp module anchors the media, each leg with its
own keys. A plays a 1000 Hz tone; B records what it decodes: the same
frequency and at least most of the length arrive. A loopback capture
(dumpcap) of the relay's port range holds no plain G.711 of the tone on
either phone leg. During the call `bulwarkctl media` shows two SRTP legs
and `bulwarkctl calls` says secure=yes/yes, also after a hold and resume
(re-INVITEs through the relay); after the BYE nothing listens
in the range (ss) and the call record says secure=yes/yes. An extension
whose policy is mandatory calling with plain RTP is refused (488).
Trunks (sipp as the provider, an IP peer): an SRTP phone calls out through
a trunk with "srtp":"off"; the provider gets plain RTP (capture: the tone
in clear on the trunk leg, none on the phone leg) and echoes it (sipp
-rtp_echo), so the phone hears its own tone back through the relay; the
call record says secure=yes/no. A trunk with "srtp":"mandatory" gets an
SRTP offer (RTP/SAVP with a=crypto, read from sipp's message trace) and
the call is secure=yes/yes; a plain offer coming in from that trunk is
refused with 488, one from the "off" trunk reaches an SRTP phone
(secure=no/yes). A control call in plain RTP (optional extensions,
phones without SRTP) shows the capture check does see the tone in clear.
Needs the sip module, baresip (srtp.so), sipp, dumpcap, tshark and ss."""
import json, math, os, random, shutil, socket, struct, subprocess, tempfile, time, wave
from bwtest import Tap, Daemon, pick_port, read_text, wait_bound
from baresipfix import Baresip
from sipraw import ext_json
from sippfix import finish, run as sipp

t = Tap()
TONE_HZ = 1000.0
TONE_S = 3.0
RATE = 8000
port = pick_port(socket.SOCK_DGRAM)
# below the ephemeral ports and baresip's rtp_ports (20000-29999)
lo = 2 * random.randrange(5000, 9900)
hi = lo + 99
MODS = ('<module name="sip"><transport type="udp" listen="127.0.0.1:{p}"/>'
        '<auth algorithms="MD5"/></module>'
        '<module name="srtp" ports="{lo}-{hi}" threads="1"/>').format(p=port, lo=lo, hi=hi)


def write_tone(path, seconds=TONE_S):
    n = int(seconds * RATE)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * TONE_HZ * i / RATE)))
                               for i in range(n)))


class SrtpPhone(Baresip):
    """A baresip phone with SRTP mandatory (SDES) and a tone as its source."""
    def __init__(self, *a, mediaenc="srtp-mand", **kw):
        super().__init__(*a, **kw)
        write_tone(self.wav)
        path = os.path.join(self.dir, "accounts")
        with open(path) as f:
            acc = f.read()
        with open(path, "w") as f:
            f.write(acc.replace("mediaenc=;", "mediaenc=%s;" % mediaenc))

    def _config(self):
        return super()._config() + "module srtp.so\n"


def typ(e):
    return e.get("type", "")


def samples_of(path):
    with wave.open(path, "rb") as w:
        raw = w.readframes(w.getnframes())
        rate = w.getframerate()
    return list(struct.unpack("<%dh" % (len(raw) // 2), raw)), rate


def tone_stats(samples, rate):
    """(seconds of signal, dominant frequency by zero crossings over it)."""
    loud = [i for i, s in enumerate(samples) if abs(s) > 1000]
    if not loud:
        return 0.0, 0.0
    seg = samples[loud[0]:loud[-1] + 1]
    crossings = sum(1 for a, b in zip(seg, seg[1:]) if (a < 0) != (b < 0))
    secs = len(seg) / rate
    return secs, crossings / 2 / secs if secs else 0.0


def goertzel(samples, rate, f):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def recorded(phone):
    """The largest decoded recording (a re-INVITE may start another file)."""
    recs = [os.path.join(phone.record_dir, f) for f in os.listdir(phone.record_dir)
            if f.endswith(".wav") and "dec" in f]
    return max(recs, key=os.path.getsize) if recs else None


def listening_in_range(d):
    """Ports of the range bound by bulwarkd (other processes may use some)."""
    out = subprocess.run(["ss", "-Huanp"], capture_output=True, text=True).stdout
    ports = []
    for line in out.splitlines():
        if "pid=%d," % d.proc.pid not in line:
            continue
        for col in line.split():
            if ":" in col:
                try:
                    p = int(col.rsplit(":", 1)[1])
                except ValueError:
                    continue
                if lo <= p <= hi:
                    ports.append(p)
                break
    return ports


def wait_until(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def plain_tone_packets(pcap, keep=lambda sport, dport: True):
    """Packets on relay ports whose 160-byte payload repeats with the
    tone's 8-sample period: plain G.711 of the tone. keep(sport, dport)
    selects the packets counted."""
    out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "udp.srcport",
                          "-e", "udp.dstport", "-e", "udp.payload"],
                         capture_output=True, text=True).stdout
    plain = total = 0
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 3 or not f[2] or not keep(int(f[0]), int(f[1])):
            continue
        data = bytes.fromhex(f[2].replace(":", ""))
        if len(data) < 172:
            continue
        total += 1
        body = data[12:172]
        same = sum(1 for i in range(len(body) - 8) if body[i] == body[i + 8])
        if same > 0.8 * (len(body) - 8):
            plain += 1
    return plain, total


def capture_start(dirpath):
    pcap = os.path.join(dirpath, "relay.pcapng")
    p = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", "udp portrange %d-%d" % (lo, hi),
                          "-w", pcap], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ok = wait_until(lambda: os.path.exists(pcap) and os.path.getsize(pcap) > 0, 10)
    return p, pcap, ok


def secure_call(d, tmp):
    cap, pcap, cap_ok = capture_start(tmp)
    t.ok(cap_ok, "loopback capture of the relay range started")
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port) as a, \
            SrtpPhone(t, "bob", "pw-bob", "127.0.0.1", port) as b:
        t.ok(a.wait_registered(10) and b.wait_registered(10), "both SRTP phones registered",
             a.output()[-1500:] + b.output()[-1500:])
        t.ok(listening_in_range(d) == [], "nothing listens in the relay range before the call")
        a.dial("101")
        t.ok(b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10) is not None, "B rings", b.seen)
        b.answer()
        ea = a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10)
        eb = b.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10)
        t.ok(ea is not None and eb is not None, "SRTP call established both sides",
             a.output()[-3000:] + d.output()[-3000:])
        rc, out, err = d.ctl("media")
        legs = [l for l in out.splitlines() if " leg " in l]
        t.ok(rc == 0 and len(legs) == 2 and all(" srtp " in l for l in legs),
             "bulwarkctl media: two SRTP legs", out + err)
        rc, out, err = d.ctl("calls")
        t.ok(rc == 0 and "yes/yes" in out, "bulwarkctl calls: secure on both legs", out + err)
        t.ok(len(listening_in_range(d)) >= 2, "relay ports bound during the call")
        # the source WAV ends the call from A's side after TONE_S
        closed = b.wait_event(lambda e: typ(e) == "CALL_CLOSED", TONE_S + 15)
        if closed is None:
            a.hangup()
            closed = b.wait_event(lambda e: typ(e) == "CALL_CLOSED", 10)
        t.ok(closed is not None, "the call ends", b.seen)
        rec = wait_until(lambda: recorded(b), 5)
        time.sleep(0.5)   # sndfile closes the file after the call: nothing to wait on
        if rec:
            samples, rate = samples_of(rec)
            secs, freq = tone_stats(samples, rate)
            t.ok(abs(freq - TONE_HZ) < 20, "B heard %.0f Hz (sent %.0f Hz)" % (freq, TONE_HZ),
                 [(f, os.path.getsize(os.path.join(b.record_dir, f)))
                  for f in os.listdir(b.record_dir)])
            t.ok(secs >= TONE_S * 0.6, "B heard %.2f s of the %.1f s tone" % (secs, TONE_S))
            mid = samples[int(len(samples) / 2) - 800:int(len(samples) / 2) + 800]
            t.ok(goertzel(mid, rate, TONE_HZ) > 100 * goertzel(mid, rate, TONE_HZ * 1.37),
                 "the tone dominates the spectrum of what B decoded")
        else:
            t.ok(False, "B recorded what it decoded", os.listdir(b.record_dir))
    t.ok(wait_until(lambda: listening_in_range(d) == [], 10),
         "after the BYE nothing listens in the relay range (ss)", listening_in_range(d))
    cap.terminate()
    cap.wait(10)
    plain, total = plain_tone_packets(pcap)
    t.ok(total > 50 and plain == 0,
         "capture: %d media packets on phone legs, %d carry the tone in clear" % (total, plain))
    rc, out, err = d.ctl("cdr")
    t.ok(rc == 0 and "secure=yes/yes" in out, "the call record says secure=yes/yes", out + err)


def leg_rx(d):
    """rx of each leg from bulwarkctl media."""
    out = d.ctl("media")[1]
    return [int(l.split(" rx ")[1].split()[0]) for l in out.splitlines() if " leg " in l]


def hold_resume(d):
    """Hold and resume from A: re-offers through the relay keep the legs
    SRTP, on the same ports, and media keeps flowing after the resume."""
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port) as a, \
            SrtpPhone(t, "bob", "pw-bob", "127.0.0.1", port) as b:
        a.wait_registered(10)
        b.wait_registered(10)
        a.dial("101")
        b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        b.answer()
        t.ok(a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10) is not None,
             "hold: SRTP call established")
        before = d.ctl("media")[1]
        a.command("hold")
        t.ok(wait_until(lambda: b.output().count("got re-INVITE (SDP Offer)") >= 1, 5),
             "A holds: B gets a re-INVITE", b.output()[-2000:] + d.output()[-2000:])
        a.command("resume")
        t.ok(wait_until(lambda: b.output().count("got re-INVITE (SDP Offer)") >= 2, 5),
             "A resumes: B gets another re-INVITE", b.output()[-2000:])
        after = d.ctl("media")[1]
        ports = lambda out: sorted(l.split(" port ")[1].split()[0] for l in out.splitlines()
                                   if " leg " in l)
        t.ok(ports(before) == ports(after) and after.count(" srtp ") == 2,
             "after hold/resume: the same two SRTP legs on the same ports", before + after)
        rx0 = leg_rx(d)
        flowing = wait_until(lambda: len(leg_rx(d)) == 2 and
                             all(n >= m + 25 for n, m in zip(leg_rx(d), rx0)), 5)
        t.ok(len(rx0) == 2 and flowing, "media flows both ways after the resume",
             (rx0, leg_rx(d)))
        a.hangup()
        b.wait_event(lambda e: typ(e) == "CALL_CLOSED", 10)


def plain_refused(d):
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port, mediaenc="") as a, \
            SrtpPhone(t, "bob", "pw-bob", "127.0.0.1", port) as b:
        a.wait_registered(10)
        b.wait_registered(10)
        a.dial("101")
        e = a.wait_event(lambda e: typ(e) == "CALL_CLOSED", 10)
        t.ok(e is not None and "488" in (e.get("param") or ""),
             "plain RTP offer from a mandatory extension: 488", e)
        t.ok(b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 1) is None, "B never rang")


def plain_control(d, tmp):
    """Both extensions optional, phones without SRTP: the relay bridges plain
    RTP, and the capture check does see the tone (it can fail)."""
    for num, user, pw in (("100", "alice", "pw-alice"), ("101", "bob", "pw-bob")):
        d.ctl("store", "put", "ext/" + num, ext_json(num, user, "test", pw, 3))
    cap, pcap, _ok = capture_start(tmp)
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port, mediaenc="") as a, \
            SrtpPhone(t, "bob", "pw-bob", "127.0.0.1", port, mediaenc="") as b:
        a.wait_registered(10)
        b.wait_registered(10)
        a.dial("101")
        b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 10)
        b.answer()
        t.ok(a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 10) is not None,
             "control: plain RTP call between optional extensions", d.output()[-2000:])
        rc, out, err = d.ctl("calls")
        t.ok("no/no" in out, "control: bulwarkctl calls says secure=no/no", out)
        b.wait_event(lambda e: typ(e) == "CALL_CLOSED", TONE_S + 15)
    wait_until(lambda: listening_in_range(d) == [], 10)
    cap.terminate()
    cap.wait(10)
    plain, total = plain_tone_packets(pcap)
    t.ok(plain > 50, "control: the capture check sees the tone in clear (%d of %d)" % (plain, total))


PLAIN_IP, SEC_IP = "127.0.0.2", "127.0.0.3"   # the providers, trusted by address


def trunk_provision(d, name, ip, uas_port, srtp, prefix):
    rec = {"driver": "sip", "mode": "peer", "address": ip, "proxy": "sip:%s:%d" % (ip, uas_port),
           "transport": "udp", "srtp": srtp}
    rc, _o, err = d.ctl("store", "put", "trunk/" + name, json.dumps(rec))
    rc2, _o, err2 = d.ctl("store", "put", "route/out/" + prefix,
                          json.dumps({"trunk": name, "strip": 1}))
    up = wait_until(lambda: any(l.startswith(name + "\t") for l in d.ctl("trunks")[1].splitlines()),
                    5)
    t.ok(rc == 0 and rc2 == 0 and up, "trunk %s (srtp %s) and route %s provisioned"
         % (name, srtp, prefix), err + err2)


def trunk_plain(d, tmp):
    """SRTP phone -> trunk with srtp off: the relay bridges SRTP and RTP."""
    uas_port, media = pick_port(socket.SOCK_DGRAM, PLAIN_IP), pick_port(socket.SOCK_DGRAM, PLAIN_IP)
    trunk_provision(d, "plain", PLAIN_IP, uas_port, "off", "9")
    cap, pcap, _ok = capture_start(tmp)
    uas = sipp(tmp, "uas_provider.xml", PLAIN_IP, "-p", str(uas_port), "-mi", PLAIN_IP,
               "-mp", str(media), "-rtp_echo", background=True)
    wait_bound(uas_port, PLAIN_IP)
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        t.ok(a.wait_registered(10), "trunk: SRTP phone 100 registered")
        a.dial("90987654321")
        est = a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 15)
        t.ok(est is not None, "SRTP phone -> plain trunk: the provider answers",
             a.output()[-2000:] + d.output()[-3000:])
        rc, out, err = d.ctl("media")
        legs = [l for l in out.splitlines() if " leg " in l]
        t.ok(len(legs) == 2 and " srtp " in legs[0] and " rtp " in legs[1],
             "bulwarkctl media: the phone's leg SRTP, the trunk's leg RTP", out + err)
        t.ok("yes/no" in d.ctl("calls")[1], "bulwarkctl calls says secure=yes/no",
             d.ctl("calls")[1])
        closed = a.wait_event(lambda e: typ(e) == "CALL_CLOSED", TONE_S + 15)
        if closed is None:
            a.hangup()
        rec = wait_until(lambda: recorded(a), 5)
        time.sleep(0.5)   # sndfile closes the file after the call: nothing to wait on
        if rec:
            secs, freq = tone_stats(*samples_of(rec))
            t.ok(abs(freq - TONE_HZ) < 20 and secs >= TONE_S * 0.5,
                 "the phone hears its tone echoed by the provider: %.0f Hz for %.2f s"
                 % (freq, secs))
        else:
            t.ok(False, "the phone recorded the provider's echo", os.listdir(a.record_dir))
    t.ok(finish(uas) == 0, "the provider saw ACK and BYE (sipp exit 0)",
         read_text(os.path.join(tmp, "uas_provider.xml.err"))[-1500:])
    wait_until(lambda: listening_in_range(d) == [], 10)
    cap.terminate()
    cap.wait(10)
    to_uas, _n = plain_tone_packets(pcap, lambda sp, dp: dp == media)
    from_uas, _n = plain_tone_packets(pcap, lambda sp, dp: sp == media)
    t.ok(to_uas > 50 and from_uas > 50, "capture: the trunk leg carries the tone in clear "
         "(%d packets to the provider, %d echoed back)" % (to_uas, from_uas))
    plain, total = plain_tone_packets(pcap, lambda sp, dp: media not in (sp, dp))
    t.ok(total > 50 and plain == 0, "capture: %d packets on the phone leg, %d in clear"
         % (total, plain))
    out = d.ctl("cdr")[1]
    t.ok(any("0987654321" in l and "secure=yes/no" in l for l in out.splitlines()),
         "the call record says secure=yes/no", out)


def trunk_srtp(d, tmp):
    """A trunk with srtp mandatory gets an SRTP offer."""
    uas_port = pick_port(socket.SOCK_DGRAM, SEC_IP)
    trunk_provision(d, "sec", SEC_IP, uas_port, "mandatory", "8")
    trace = os.path.join(tmp, "srtp_msgs.log")
    uas = sipp(tmp, "uas_provider_srtp.xml", SEC_IP, "-p", str(uas_port), "-mi", SEC_IP,
               "-mp", str(pick_port(socket.SOCK_DGRAM, SEC_IP)), "-trace_msg", "-message_file", trace,
               background=True)
    wait_bound(uas_port, SEC_IP)
    with SrtpPhone(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        a.wait_registered(10)
        a.dial("80611223344")
        est = a.wait_event(lambda e: typ(e) == "CALL_ESTABLISHED", 15)
        t.ok(est is not None, "SRTP phone -> SRTP trunk: the provider answers with SRTP",
             a.output()[-2000:] + d.output()[-3000:])
        calls = d.ctl("calls")[1]
        t.ok("yes/yes" in calls, "bulwarkctl calls says secure=yes/yes", calls)
        a.hangup()
        a.wait_event(lambda e: typ(e) == "CALL_CLOSED", 10)
    finish(uas)
    msgs = read_text(trace)
    invite = msgs[msgs.find("INVITE sip:"):]
    invite = invite[:invite.find("----")] if "----" in invite else invite
    t.ok("m=audio" in invite and "RTP/SAVP" in invite and
         "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" in invite,
         "the SRTP trunk got an SRTP offer (RTP/SAVP, a=crypto)", invite[:1500])


def trunk_inbound(d, tmp):
    """Calls from the trunks: the caller's policy is the trunk's."""
    d.ctl("store", "put", "route/did/5551000", json.dumps({"extension": "101"}))
    with SrtpPhone(t, "bob", "pw-bob", "127.0.0.1", port, extra_account=";answermode=auto") as b:
        t.ok(b.wait_registered(10), "trunk: SRTP phone 101 registered (auto answer)")
        rc, out = sipp(tmp, "uac_did_488.xml", SEC_IP, "-s", "5551000", "-p",
                       str(pick_port(socket.SOCK_DGRAM, SEC_IP)), "127.0.0.1:%d" % port)
        t.ok(rc == 0, "a plain offer from the mandatory trunk is refused with 488", out)
        t.ok(b.wait_event(lambda e: typ(e) == "CALL_INCOMING", 1) is None, "101 never rang")
        rc, out = sipp(tmp, "uac_did.xml", PLAIN_IP, "-s", "5551000", "-p",
                       str(pick_port(socket.SOCK_DGRAM, PLAIN_IP)), "127.0.0.1:%d" % port)
        t.ok(rc == 0, "a plain offer from the trunk with srtp off reaches the SRTP phone",
             out + d.output()[-2000:])
    cdr = d.ctl("cdr")[1]
    t.ok(any("0612345678 -> 101 answered" in l and "secure=no/yes" in l
             for l in cdr.splitlines()), "the call record says secure=no/yes", cdr)


def trunks(d, tmp):
    if not shutil.which("sipp"):
        t.ok(True, "trunk cases # SKIP sipp is not installed")
        return
    trunk_plain(d, tmp)
    trunk_srtp(d, tmp)
    trunk_inbound(d, tmp)


def main():
    tmp = tempfile.mkdtemp(prefix="bwsrtp-")
    try:
        with Daemon(t, modules=MODS) as d:
            for num, user, pw in (("100", "alice", "pw-alice"), ("101", "bob", "pw-bob")):
                rec = json.loads(ext_json(num, user, "test", pw, 3))
                rec["srtp"] = "mandatory"
                rc, _o, err = d.ctl("store", "put", "ext/" + num, json.dumps(rec))
                t.ok(rc == 0, "extension %s provisioned (srtp mandatory)" % num, err)
            secure_call(d, tmp)
            hold_resume(d)
            plain_refused(d)
            trunks(d, tmp)
            plain_control(d, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
t.done()
