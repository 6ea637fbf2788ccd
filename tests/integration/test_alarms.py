#!/usr/bin/env python3
"""Alarms end to end: a bulwarkd with a TCP receiver and a UDP syslog
receiver (this process, free loopback ports) configured as the core
destinations through `bulwarkctl store put`, a rule sending to both; a flood
of 50 sip.source.blocked events yields exactly one RAISED line and one
syslog datagram, `alarms` shows it with count 50; the unblock clears it
(CLEARED line, nothing active, `alarms all` shows it cleared); `metrics`
lists the bus counters; an invalid rule is refused by `store put`.
A server certificate that expires in 10 days raises the default rule
tls-certificate-expiring at start."""
import json, os, shutil, socket, subprocess, tempfile, threading, time
from bwtest import Tap, Daemon, pick_port


class TcpReceiver:
    """Accepts connections and collects the lines they send."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        buf = b""
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    with self.cond:
                        self.lines.append(line.decode(errors="replace"))
                        self.cond.notify_all()

    def wait_for(self, needle, timeout=10):
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                hits = [l for l in self.lines if needle in l]
                if hits or time.monotonic() >= end:
                    return hits
                self.cond.wait(end - time.monotonic())

    def close(self):
        self.closed = True
        self.sock.close()


class UdpReceiver:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def collect(self, timeout):
        """Every datagram arriving within timeout seconds of the last one."""
        got = []
        self.sock.settimeout(timeout)
        try:
            while True:
                got.append(self.sock.recv(65536).decode(errors="replace"))
        except socket.timeout:
            return got

    def close(self):
        self.sock.close()


RULE = {"event": "sip.source.blocked", "count": 1, "period": 60, "severity": "major",
        "destinations": ["tcp", "syslog"], "clear_event": "sip.source.unblocked",
        "text": "Source {source} blocked", "enabled": True}


def wait_until(fn, timeout=10):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    return fn()


CERT_CONFIG = """<?xml version="1.0"?>
<bulwark>
  <system name="test" data-dir="{datadir}"/>
  <tls certificate="%s" key="%s"/>
  <modules>
    {modules}
  </modules>
</bulwark>
"""


def certificate_expiring(t):
    tmp = tempfile.mkdtemp(prefix="bwcert-")
    try:
        crt, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "10",
                            "-subj", "/CN=pbx.example.org", "-addext",
                            "subjectAltName=DNS:pbx.example.org", "-keyout", key, "-out", crt],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            t.ok(False, "openssl makes a certificate valid 10 days", p.stderr)
            return
        with Daemon(t, config=CERT_CONFIG % (crt, key)) as d:
            out = wait_until(lambda: next((l for l in d.ctl("alarms")[1].splitlines()
                                           if "rule=tls-certificate-expiring" in l), ""))
            t.ok(" active warning tls.certificate.expiring " in out
                 and "CN=pbx.example.org" in out and ("days_left=9" in out or "days_left=10" in out),
                 "a certificate valid 10 more days raises tls-certificate-expiring at start",
                 out + d.output()[-2000:])
            t.ok("expires on" in d.output() and "install a new one" in d.output(),
                 "and the log says when and what to do", d.output()[-2000:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    t = Tap()
    tcp, udp = TcpReceiver(), UdpReceiver()
    try:
        with Daemon(t) as d:
            rc, out, err = d.ctl("alarms", "rules")
            t.ok(rc == 0 and "sip-source-blocked event=sip.source.blocked" in out,
                 "default rules are seeded on first start", out + err)
            rc, out, err = d.ctl("store", "put", "alarm/rule/bad", '{"event": "x.y", "count": 0}')
            t.ok(rc == 1 and "alarm/rule/bad" in err and '"count"' in err,
                 "store put refuses an invalid rule naming key and field", err)
            rc, _, err = d.ctl("store", "put", "alarm/destination/tcp",
                               json.dumps({"address": "127.0.0.1:%d" % tcp.port}))
            t.ok(rc == 0, "tcp destination configured", err)
            rc, _, err = d.ctl("store", "put", "alarm/destination/syslog",
                               json.dumps({"address": "127.0.0.1:%d" % udp.port, "facility": "local3"}))
            t.ok(rc == 0, "syslog destination configured", err)
            # replace the default rule: only our destinations
            rc, _, err = d.ctl("store", "put", "alarm/rule/sip-source-blocked", json.dumps(RULE))
            t.ok(rc == 0, "rule to tcp+syslog stored", err)
            ok = wait_until(lambda: "destinations=tcp,syslog" in d.ctl("alarms", "rules")[1])
            t.ok(ok, "the engine recompiled the rule")

            fails = 0
            for _ in range(50):
                rc, _, _ = d.ctl("emit", "sip.source.blocked", "source=192.0.2.7")
                fails += rc != 0
            t.ok(fails == 0, "50 events emitted")
            count = lambda: "count=50" in d.ctl("alarms")[1]
            t.ok(wait_until(count), "alarms shows it active with count 50", d.ctl("alarms")[1])
            raised = tcp.wait_for("RAISED")
            t.ok(len(raised) == 1 and "MAJOR RAISED sip.source.blocked" in raised[0]
                 and "text=Source 192.0.2.7 blocked" in raised[0],
                 "exactly one RAISED line on TCP", "\n".join(tcp.lines))
            grams = udp.collect(1.0)
            t.ok(len(grams) == 1 and grams[0].startswith("<155>1 ") and " RAISED " in grams[0],
                 "exactly one RFC 5424 datagram (local3.err)", "\n".join(grams))
            rc, out, _ = d.ctl("alarms")
            t.ok(rc == 0 and len([l for l in out.splitlines() if " active " in l]) == 1,
                 "one active alarm", out)

            d.ctl("emit", "sip.source.unblocked", "source=192.0.2.7")
            cleared = tcp.wait_for("CLEARED sip.source.blocked")
            t.ok(len(cleared) == 1, "a CLEARED line on TCP", "\n".join(tcp.lines))
            grams = udp.collect(1.0)
            t.ok(len(grams) == 1 and " CLEARED " in grams[0], "one syslog datagram for the clear",
                 "\n".join(grams))
            rc, out, _ = d.ctl("alarms")
            t.ok(rc == 0 and "(no active alarms)" in out, "alarms shows none active", out)
            rc, out, _ = d.ctl("alarms", "all")
            t.ok(rc == 0 and " cleared cleared sip.source.blocked" in out and "count=50" in out,
                 "alarms all shows it cleared", out)
            rc, out, err = d.ctl("alarms", "bogus")
            t.ok(rc == 1 and "usage: alarms [all|rules]" in err, "alarms with a bad argument", err)

            rc, out, _ = d.ctl("metrics")
            names = [l.split(" ")[0] for l in out.splitlines()]
            t.ok(rc == 0 and {"bus.published", "bus.delivered", "bus.dropped"} <= set(names),
                 "metrics lists the bus counters", out)
            t.ok(names == sorted(names) and "alarms.raised 1" in out, "metrics sorted, alarms.raised 1", out)
    finally:
        tcp.close()
        udp.close()
    certificate_expiring(t)
    t.done()


if __name__ == "__main__":
    main()
