#!/usr/bin/env python3
"""RFC 4475 torture messages (tests/integration/data/rfc4475, byte-exact
copies) against module sip over UDP and TCP. Each request's top Via gets
";rport" so the answer comes back to the test socket (the messages name
hosts of example.com). Checks: the daemon survives every message; the valid
requests that libre 1.1.0 parses are answered; no invalid request gets a
2xx; responses sent to us get no answer."""
import glob, os, re, socket
from bwtest import Tap, Daemon, pick_port, src

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
MODS = ('<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
        '<transport type="tcp" listen="127.0.0.1:%d"/><dos transactions="100000"/></module>'
        % (port, port))
DATA = src("tests/integration/data/rfc4475")
# RFC 4475 3.1.1 and 3.3: well-formed requests libre 1.1.0 accepts
VALID = ["esc01", "escnull", "esc02", "intmeth", "lwsdisp", "dblreq", "semiuri", "transports",
         "mpart01", "cparam01", "regaut01", "zeromf", "novelsc", "bext01", "invut", "sdp01",
         "regbadct"]
# RFC 4475 3.1.2: invalid requests (400 or dropped; never a 2xx)
INVALID = ["badinv01", "clerr", "scalar02", "quotbal", "ltgtruri", "lwsruri", "lwsstart", "trws",
           "escruri", "baddate", "badvers", "mismatch01", "mismatch02", "mcl01", "multi01",
           "insuf", "ncl", "unkscm"]
# Known leniency of libre 1.1.0's parser: parsed although invalid
# (badaspec, baddn, badbranch) or dropped although valid (wsinv, longreq,
# inv2543, cparam02, regescrt, unksm2). Only survival is checked for them.


def with_rport(data):
    return re.sub(rb"(?im)^((?:via|v)[ \t]*:[^\r\n]*)", lambda m: m.group(1) + b";rport", data, count=1)


def send_udp(data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(1.0)
    s.sendto(data, ("127.0.0.1", port))
    try:
        while True:
            line = s.recv(65535).split(b"\r\n")[0].decode(errors="replace")
            code = int(line.split(" ")[1])
            if code >= 200:
                return code
    except (socket.timeout, ValueError, IndexError):
        return None
    finally:
        s.close()


def options_ok():
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx%d;rport\r\n"
           "From: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: alive%d\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n") % (port, os.getpid(), port)
    return send_udp(msg.encode()) == 200


with Daemon(t, modules=MODS) as d:
    files = sorted(glob.glob(os.path.join(DATA, "*.dat")))
    t.ok(len(files) == 49, "49 torture messages", len(files))
    answers = {}
    for f in files:
        name = os.path.basename(f)[:-4]
        with open(f, "rb") as fh:
            raw = fh.read()
        answers[name] = send_udp(with_rport(raw))
        # the same bytes over TCP must not hurt either
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(raw)
                s.settimeout(0.3)
                try:
                    s.recv(65535)
                except socket.timeout:
                    pass
        except OSError:
            pass
    t.ok(d.proc.poll() is None and options_ok(), "the daemon survives every message and still answers")
    for name in VALID:
        t.ok(answers.get(name) is not None, "valid %s is answered (%s)" % (name, answers.get(name)))
    for name in INVALID:
        code = answers.get(name)
        t.ok(code is None or code >= 400, "invalid %s: 4xx/5xx or dropped (%s)" % (name, code))
    for name in ("bcast", "bigcode", "noreason", "unreason", "scalarlg"):
        t.ok(answers.get(name) is None, "response %s is not answered" % name)
    t.ok(answers.get("mcl01") == 400 and answers.get("multi01") == 400,
         "duplicate single-valued headers: 400", answers)
t.done()
