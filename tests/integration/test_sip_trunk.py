#!/usr/bin/env python3
"""SIP trunks of module sip against real peers on loopback.

An IP-authenticated peer (sipp UAC from 127.0.0.2) calls a DID routed to
extension 101 (baresip, auto-answer): the call completes with BYE.
Outgoing: extension 100 dials 9 + number, routed by prefix to the peer,
where a sipp UAS plays the provider. Registration: trunks register to
Kamailio over UDP (digest) and over TLS with a certificate for "localhost"
from a test CA: registered when the CA is configured and the name matches;
trunk.down with the certificate reason for a wrong CA or a wrong name.
`bulwarkctl trunks` shows each trunk's state and last error. Trunks follow
the store without `module reload sip`: a new record starts a trunk, a
changed one restarts it, a deleted one stops it (a deleted peer is no
longer trusted: its INVITE is challenged)."""
import hashlib, json, os, re, shutil, socket, subprocess, tempfile, time
from bwtest import Tap, Daemon, pick_port, src, wait_bound
from sipraw import SipRaw, ext_json
from sipcallfix import Phone
import sippfix

t = Tap()
PEER_IP = "127.0.0.2"          # not the phones' address: the peer is trusted by address
port = pick_port(socket.SOCK_DGRAM)
tls_port = pick_port()
MODS = ('<module name="sip">'
        '<transport type="udp" listen="127.0.0.1:{p}"/>'
        '<transport type="tls" listen="127.0.0.1:{tp}"/>'
        '<auth algorithms="MD5"/></module>').format(p=port, tp=tls_port)
SIPP = shutil.which("sipp")
KAMAILIO = shutil.which("kamailio")
HA1 = hashlib.md5(b"acme:provider.test:secret").hexdigest()


def put(d, key, value):
    rc, out, err = d.ctl("store", "put", key, json.dumps(value) if isinstance(value, dict) else value)
    return rc == 0, out + err


def trunks(d):
    rc, out, _err = d.ctl("trunks")
    return {l.split("\t")[0]: l.split("\t") for l in out.splitlines()[1:]} if rc == 0 else {}


def wait_trunk(d, name, state, timeout):
    end = time.time() + timeout
    while time.time() < end:
        row = trunks(d).get(name)
        if row and row[2] == state:
            return row
        time.sleep(0.2)
    return trunks(d).get(name)


def sipp(tmp, scenario, *args, timeout=30, background=False, ip=PEER_IP, calls=1):
    return sippfix.run(tmp, scenario, ip, *args, timeout=timeout, background=background, calls=calls)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-2000:]
    except OSError:
        return ""


def peer_calls(d, tmp):
    uas_port = pick_port(socket.SOCK_DGRAM, PEER_IP)
    ok, why = put(d, "trunk/peer1", {"driver": "sip", "mode": "peer", "address": PEER_IP,
                                     "proxy": "sip:%s:%d" % (PEER_IP, uas_port), "transport": "udp"})
    t.ok(ok, "peer trunk provisioned", why)
    put(d, "route/did/5551000", {"extension": "101"})
    put(d, "route/out/9", {"trunk": "peer1", "strip": 1})
    row = wait_trunk(d, "peer1", "peer", 5)
    t.ok(row is not None and row[1] == "peer",
         "the new peer trunk is live without a module reload (bulwarkctl trunks)", trunks(d))

    with Phone(t, "bob", "pw-bob", "127.0.0.1", port, extra_account=";answermode=auto") as b, \
            Phone(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        t.ok(b.wait_registered(10) and a.wait_registered(10), "extensions 100 and 101 registered")
        rc, out = sipp(tmp, "uac_did.xml", "-s", "5551000", "-p", str(pick_port(socket.SOCK_DGRAM, PEER_IP)),
                       "127.0.0.1:%d" % port)
        t.ok(rc == 0, "peer -> DID 5551000 -> extension 101 answers, BYE completes", out)
        inc = b.wait_event(lambda e: "0612345678" in e.get("peeruri", ""), 5)
        t.ok(inc is not None, "101 saw the provider's caller number", b.seen)

        uas = sipp(tmp, "uas_provider.xml", "-p", str(uas_port), background=True)
        wait_bound(uas_port, PEER_IP)
        a.dial("90987654321")
        est = a.wait_event(lambda e: e.get("type") == "CALL_ESTABLISHED", 15)
        t.ok(est is not None, "100 dials 9 + number: the provider (sipp UAS) answers", a.seen)
        time.sleep(0.5)
        a.hangup()
        rc = sippfix.finish(uas)
        t.ok(rc == 0, "the provider saw ACK and BYE (sipp UAS exit 0)", read(os.path.join(tmp, "uas_provider.xml.err")))
    rc, out, _e = d.ctl("cdr")
    t.ok("0612345678 -> 101 answered" in out and "100 -> 0987654321 answered" in out,
         "call records: DID call to 101, outgoing call with the prefix stripped", out)
    peer_challenges(d, tmp)
    peer_deleted(d)


def peer_challenges(d, tmp):
    """The provider answers our outgoing INVITE with 407: we answer it once
    with the trunk's stored HA1 (sipp verifies the digest)."""
    ip = "127.0.0.3"
    uas_port = pick_port(socket.SOCK_DGRAM, ip)
    ok, why = put(d, "trunk/peer-auth", {"driver": "sip", "mode": "peer", "address": ip,
                                         "proxy": "sip:%s:%d" % (ip, uas_port), "transport": "udp",
                                         "domain": "provider.test", "username": "acme",
                                         "realm": "provider.test", "ha1_md5": HA1})
    put(d, "route/out/8", {"trunk": "peer-auth", "strip": 1})
    t.ok(ok and wait_trunk(d, "peer-auth", "peer", 5) is not None,
         "a peer trunk with credentials provisioned", why)
    uas = sipp(tmp, "uas_provider_auth.xml", "-p", str(uas_port), "-trace_msg", "-message_file",
               os.path.join(tmp, "auth_msgs.log"), background=True, ip=ip, calls=2)
    wait_bound(uas_port, ip)
    with Phone(t, "alice", "pw-alice", "127.0.0.1", port) as a:
        t.ok(a.wait_registered(10), "100 registered")
        a.dial("80611223344")
        est = a.wait_event(lambda e: e.get("type") == "CALL_ESTABLISHED", 15)
        t.ok(est is not None, "the provider challenges the INVITE with 407; the answer with the "
             "stored HA1 is accepted and the call is answered", a.seen)
        a.hangup()
    rc = sippfix.finish(uas)
    t.ok(rc == 0, "the provider saw a 407'd INVITE, then one with credentials, ACK and BYE",
         read(os.path.join(tmp, "uas_provider_auth.xml.err")))
    ok, why = digest_valid(read_full(os.path.join(tmp, "auth_msgs.log")))
    t.ok(ok, "the INVITE's Proxy-Authorization is a valid MD5 digest (qop=auth) for acme "
         "at provider.test from the stored HA1", why)


def digest_valid(trace):
    """Check the Proxy-Authorization of the INVITE in a sipp message trace."""
    m = re.search(r"(?m)^INVITE (\S+) SIP/2.0\r?\n(?:.+\r?\n)*?Proxy-Authorization: *Digest (.+?)\r?$",
                  trace)
    if not m:
        return False, "no INVITE with Proxy-Authorization in the trace:\n" + trace[-1500:]
    p = dict((k.lower(), a or b)
             for k, a, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', m.group(2)))
    ha2 = hashlib.md5(("INVITE:%s" % p.get("uri", "")).encode()).hexdigest()
    want = hashlib.md5(("%s:%s:%s:%s:auth:%s" % (HA1, p.get("nonce"), p.get("nc"), p.get("cnonce"),
                                                  ha2)).encode()).hexdigest()
    good = (p.get("username") == "acme" and p.get("realm") == "provider.test" and
            p.get("qop") == "auth" and p.get("uri") == m.group(1) and p.get("response") == want)
    return good, "%r, expected response %s" % (p, want)


def gone(d, name, timeout):
    end = time.time() + timeout
    while time.time() < end and name in trunks(d):
        time.sleep(0.1)
    return name not in trunks(d)


def peer_deleted(d):
    rc, out, err = d.ctl("store", "delete", "trunk/peer1")
    t.ok(rc == 0 and gone(d, "peer1", 5), "a deleted peer trunk leaves bulwarkctl trunks",
         out + err + repr(trunks(d)))
    c = SipRaw("udp", ("127.0.0.1", port), local_ip=PEER_IP)
    uri = "sip:5551000@127.0.0.1:%d" % port
    r = c.request("INVITE", uri, user="0612345678", headers=("Content-Type: application/sdp",),
                  body=b"v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\n"
                       b"t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
    c.close()
    t.ok(r is not None and r.code == 407,
         "the deleted peer's address is no longer trusted: its INVITE is challenged", r)


def make_pki(tmp):
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=tmp)
    for ca in ("ca", "otherca"):
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2", "-subj", "/CN=Test " + ca)
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(tmp, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")


def start_kamailio(tmp, kudp, ktls, ktls2, ktls3):
    def fill(name, **kw):
        text = read_full(src("tests/integration/kamailio/" + name))
        for k, v in kw.items():
            text = text.replace("@%s@" % k, str(v))
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path
    tlscfg = fill("tls.cfg", KEY=os.path.join(tmp, "server.key"), CERT=os.path.join(tmp, "server.pem"))
    cfg = fill("registrar.cfg", UDP_PORT=kudp, TLS_PORT=ktls, TLS_PORT2=ktls2, TLS_PORT3=ktls3,
               TLS_CFG=tlscfg)
    log = open(os.path.join(tmp, "kamailio.log"), "wb")
    p = subprocess.Popen([KAMAILIO, "-DD", "-E", "-f", cfg, "-Y", tmp, "-w", tmp, "-m", "64", "-M", "8"],
                         stdout=log, stderr=subprocess.STDOUT)
    end = time.time() + 10
    while time.time() < end:   # up when its TLS port accepts
        try:
            socket.create_connection(("127.0.0.1", ktls), timeout=0.5).close()
            return p
        except OSError:
            if p.poll() is not None:
                break
            time.sleep(0.1)
    return p


def read_full(path):
    with open(path) as f:
        return f.read()


def registrations(d, tmp):
    make_pki(tmp)
    kudp, ktls, ktls2, ktls3 = pick_port(socket.SOCK_DGRAM, "127.0.0.1"), pick_port(), pick_port(), pick_port()
    k = start_kamailio(tmp, kudp, ktls, ktls2, ktls3)
    try:
        t.ok(k.poll() is None, "Kamailio (the provider) runs", read(os.path.join(tmp, "kamailio.log")))
        base = {"driver": "sip", "mode": "register", "username": "acme", "realm": "provider.test",
                "ha1_md5": HA1, "expires": 60}
        tls = dict(base, proxy="sip:127.0.0.1:%d;transport=tls" % ktls, transport="tls",
                   domain="localhost", ca_file=os.path.join(tmp, "ca.pem"))
        ev = d.events("trunk.*")
        ev.wait_for(lambda l: l.startswith("(streaming"), 10)   # subscribed before the records go in
        put(d, "trunk/kam-udp", dict(base, proxy="sip:127.0.0.1:%d" % kudp, domain="provider.test"))
        put(d, "trunk/kam-tls", tls)
        put(d, "trunk/bad-ca", dict(tls, ca_file=os.path.join(tmp, "otherca.pem"),
                                    proxy="sip:127.0.0.1:%d;transport=tls" % ktls2))
        put(d, "trunk/bad-name", dict(tls, domain="provider.test",
                                      proxy="sip:127.0.0.1:%d;transport=tls" % ktls3))

        put(d, "trunk/bad-pass", dict(base, proxy="sip:127.0.0.1:%d" % kudp, domain="provider.test",
                                      ha1_md5=hashlib.md5(b"acme:provider.test:wrong").hexdigest()))
        row = wait_trunk(d, "kam-udp", "registered", 10)
        t.ok(row and row[2] == "registered", "trunk registers to Kamailio over UDP with digest", row)
        row = wait_trunk(d, "kam-tls", "registered", 10)
        t.ok(row and row[2] == "registered",
             "trunk registers over TLS: test CA configured, name localhost matches", row)
        t.ok(ev.wait_for(lambda l: "trunk.up" in l and "name=kam-tls" in l, 5) is not None or
             any("trunk.up" in l and "kam-tls" in l for l in ev.seen), "trunk.up event", ev.seen)
        row = wait_trunk(d, "bad-ca", "failed", 10)
        t.ok(row and row[2] == "failed" and "certificate" in row[3],
             "wrong CA: registration fails with a certificate reason", row)
        row = wait_trunk(d, "bad-name", "failed", 10)
        t.ok(row and row[2] == "failed" and "certificate" in row[3] and "hostname" in row[3].lower(),
             "wrong host name: registration fails (hostname mismatch)", row)
        down = ev.wait_for(lambda l: "trunk.down" in l and "bad-ca" in l, 5) or \
            next((l for l in ev.seen if "trunk.down" in l and "bad-ca" in l), None)
        t.ok(down is not None and "certificate" in down, "trunk.down event with the certificate reason", ev.seen)
        row = wait_trunk(d, "bad-pass", "failed", 10)
        t.ok(row and row[2] == "failed" and "401" in row[3] or (row and "403" in row[3]),
             "a wrong HA1: registration fails with the provider's answer", row)
        ev.close()
        put(d, "trunk/bad-pass", dict(base, proxy="sip:127.0.0.1:%d" % kudp, domain="provider.test"))
        row = wait_trunk(d, "bad-pass", "registered", 10)
        t.ok(row and row[2] == "registered",
             "a changed trunk record (right HA1) restarts the trunk: it registers", row)
        rc, out, err = d.ctl("store", "delete", "trunk/bad-ca")
        t.ok(rc == 0 and gone(d, "bad-ca", 5), "a deleted registering trunk stops and leaves the list",
             out + err + repr(trunks(d)))
        klog = read_full(os.path.join(tmp, "kamailio.log"))
        t.ok("registered acme" in klog and "over tls" in klog.lower(),
             "Kamailio logged the TLS registration", klog[-3000:])
    finally:
        k.terminate()
        try:
            k.wait(10)
        except subprocess.TimeoutExpired:
            k.kill()
            k.wait()


def main():
    tmp = tempfile.mkdtemp(prefix="bwtrunk-")
    try:
        with Daemon(t, modules=MODS) as d:
            for num, user, pw in (("100", "alice", "pw-alice"), ("101", "bob", "pw-bob")):
                ok, why = put(d, "ext/" + num, ext_json(num, user, "test", pw))
                t.ok(ok, "extension %s provisioned" % num, why)
            if SIPP:
                peer_calls(d, tmp)
            else:
                t.ok(True, "# SKIP sipp (sip-tester) not installed")
            if KAMAILIO:
                registrations(d, tmp)
            else:
                t.ok(True, "# SKIP kamailio not installed")
            rc, out, err = d.ctl("trunks")
            t.ok(rc == 0 and out.startswith("name\tmode\tstate\tlast error"), "bulwarkctl trunks header", out + err)
    finally:
        if not os.environ.get("BW_KEEP_TMP"):
            shutil.rmtree(tmp, ignore_errors=True)


main()
t.done()
