#!/usr/bin/env python3
"""modules/smtp-alarm end to end against aiosmtpd (tests/integration/smtpfix.py).

Each case runs its own bulwarkd and relay. A mail is triggered by the alarm
engine (rule alarm/rule/t on "test.mail", destination "email", then
`bulwarkctl emit test.mail`) when the daemon has one, else by the module's
own "smtp.test" event. Covered: STARTTLS with AUTH PLAIN, LOGIN and
CRAM-MD5 (the relay reports the mechanism used); implicit TLS; a relay
certificate from another CA is refused (nothing delivered, the mail stays
queued, the error logged); a TLS 1.2-only relay is refused unless
min-tls="1.2"; a relay down across a bulwarkd restart receives the queued
mail exactly once when it comes up; a stop with a transfer hanging is
bounded; a full queue refuses with smtp.queue.dropped; retry-max-age gives up with
smtp.delivery.failed and the file in mailq/failed; CR/LF in event fields
adds no header; a group-readable password file is refused; the password
never reaches the log."""
import glob, os, shutil, socket, tempfile, threading, time
import bwtest
from bwtest import Tap, Daemon, pick_port
from smtpfix import SmtpRelay, make_ca

PASSWORD = "Secret-1"
RULE = ('{"event":"test.mail","count":1,"period":60,"severity":"major",'
        '"destinations":["email"]}')


class Events(bwtest.Events):
    """bwtest.Events that can tell when its subscription is live."""

    def live(self, d):
        """Emit probes until the stream shows one: the subscription is live."""
        for i in range(100):
            d.ctl("emit", "smtp.probe", "id=%d" % i)
            if self.wait_for(lambda l: "smtp.probe" in l, 0.2):
                return True
        return False


def wait_until(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def module(port, cafile, tls=None, user=None, pwfile=None, auth=None, **extra):
    attrs = {"url": "smtp://localhost:%d" % port, "from": "pbx@example.org"}
    if tls:
        attrs["tls"] = tls
    if cafile:
        attrs["ca-file"] = cafile
    if user:
        attrs["username"] = user
        attrs["password-file"] = pwfile
    if auth:
        attrs["auth"] = auth
    attrs.update({k.replace("_", "-"): v for k, v in extra.items()})
    a = " ".join('%s="%s"' % kv for kv in attrs.items())
    return ('<module name="smtp-alarm" %s><recipient address="noc@example.org"/>'
            '</module>' % a)


class Case:
    """A bulwarkd with smtp-alarm; trigger() makes it send one mail."""

    def __init__(self, mod, datadir=None):
        self.d = Daemon(t, modules=mod, datadir=datadir)
        self.engine = None
        self.n = 0

    def __enter__(self):
        self.d.start()
        rc, _out, _err = self.d.ctl("alarms")
        self.engine = rc == 0
        return self

    def __exit__(self, *exc):
        return self.d.__exit__(*exc)

    def trigger(self, **fields):
        """One mail; returns the rule name its subject will carry."""
        self.n += 1
        args = ["%s=%s" % kv for kv in fields.items()]
        if self.engine:
            rule = "t%d" % self.n
            rc, out, err = self.d.ctl("store", "put", "alarm/rule/" + rule,
                                      RULE.replace("test.mail", "test.mail%d" % self.n))
            t.ok(rc == 0, "rule %s provisioned" % rule, out + err)
            # the engine compiles rules from a store watch: wait until it has
            wait_until(lambda: ("%s event=" % rule) in self.d.ctl("alarms", "rules")[1], 10)
            rc, out, err = self.d.ctl("emit", "test.mail%d" % self.n, "source=it", *args)
            return rule, rc, out + err
        text = fields.get("text", "integration test")
        rc, out, err = self.d.ctl("emit", "smtp.test", "text=" + text)
        return "smtp-test", rc, out + err

    def queued(self):
        return sorted(glob.glob(os.path.join(self.d.datadir, "mailq", "m*.msg")))

    def failed(self):
        return sorted(glob.glob(os.path.join(self.d.datadir, "mailq", "failed", "m*.msg")))


def password_file(directory, mode=0o600):
    path = os.path.join(directory, "smtp-password")
    with open(path, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(path, mode)
    return path


def rule_files(paths, rule):
    """The queue files (header line "rule NAME") of that rule."""
    out = []
    for p in paths:
        with open(p, "rb") as f:
            head = f.read(4096).split(b"\n\n", 1)[0].decode(errors="replace")
        if ("rule " + rule) in head.splitlines():
            out.append(p)
    return out


def no_secret(c, name):
    t.ok(PASSWORD not in c.d.output(), name + ": the password is not in the log")


t = Tap()
tmp = tempfile.mkdtemp(prefix="bwsmtp-it-")
try:
    pw = password_file(tmp)

    # --- STARTTLS with each AUTH mechanism, forced by auth= ---
    # a relay per mechanism, so a late mail of one case cannot answer the next
    for mech in ("PLAIN", "LOGIN", "CRAM-MD5"):
        with SmtpRelay(starttls=True, auth=("alarm", PASSWORD)) as relay:
            with Case(module(relay.port, relay.cafile, user="alarm", pwfile=pw,
                             auth=mech)) as c:
                if mech == "PLAIN":
                    t.diag("alarm engine present: %s" % c.engine)
                rule, rc, out = c.trigger()
                t.ok(rc == 0, "%s: emit accepted" % mech, out)
                try:
                    _when, msg = relay.wait_for_message(30)
                except TimeoutError as e:
                    msg = None
                    t.diag(str(e) + "\n" + c.d.output())
                r = relay.received[-1] if relay.received else {}
                t.ok(msg is not None and r.get("mech") == mech,
                     "STARTTLS + AUTH %s: mail received, relay saw AUTH %s" % (mech, mech),
                     "mechanism %s" % r.get("mech"))
                if msg is not None:
                    want = ("[bulwark] MAJOR raised: %s on test" % rule if c.engine
                            else "[bulwark] WARNING raised: smtp-test on test")
                    t.ok(str(msg["Subject"]) == want and str(msg["From"]) == "pbx@example.org"
                         and str(msg["To"]) == "noc@example.org" and msg["Message-ID"]
                         and msg["Date"] and msg.get_content_type() == "text/plain",
                         "%s: headers (Subject %r)" % (mech, str(msg["Subject"])), msg.as_string())
                    t.ok(r.get("rcpt") == ["noc@example.org"], "%s: envelope recipient" % mech)
                t.ok(wait_until(lambda: not c.queued(), 10), "%s: queue empty after delivery" % mech)
                no_secret(c, mech)

    # --- implicit TLS (SMTPS) without AUTH ---
    with SmtpRelay(implicit=True) as relay:
        with Case(module(relay.port, relay.cafile, tls="implicit")) as c:
            rule, rc, out = c.trigger()
            try:
                _when, msg = relay.wait_for_message(30)
            except TimeoutError:
                msg = None
            t.ok(msg is not None and relay.received[-1]["mech"] == "-",
                 "implicit TLS: mail received (no AUTH)", c.d.output())

    # --- a relay certificate from another CA: refused, kept queued ---
    other_ca, _key = make_ca(tmp, "other")
    with SmtpRelay(starttls=True) as relay:
        with Case(module(relay.port, other_ca)) as c:
            c.trigger()
            logged = wait_until(lambda: "attempt 1:" in c.d.output(), 30)
            t.ok(logged and ("certificate" in c.d.output().lower()
                             or "curl 60" in c.d.output()),
                 "wrong CA: the failure is logged with the certificate error", c.d.output())
            t.ok(not relay.received, "wrong CA: nothing delivered")
            t.ok(len(c.queued()) == 1, "wrong CA: the mail stays queued", c.queued())

    # --- TLS 1.3 minimum by default; 1.2 only when configured ---
    with SmtpRelay(starttls=True, tls_max="1.2") as relay:
        with Case(module(relay.port, relay.cafile)) as c:
            c.trigger()
            logged = wait_until(lambda: "attempt 1:" in c.d.output(), 30)
            t.ok(logged and not relay.received and len(c.queued()) == 1,
                 "TLS 1.2-only relay refused by default (TLS 1.3 minimum)", c.d.output())
        with Case(module(relay.port, relay.cafile, min_tls="1.2")) as c:
            c.trigger()
            try:
                relay.wait_for_message(30)
                got = True
            except TimeoutError:
                got = False
            t.ok(got, "TLS 1.2-only relay accepted with min-tls=\"1.2\"", c.d.output())

    # --- relay down; bulwarkd restarted; relay up: exactly one mail ---
    relay = SmtpRelay(starttls=True, auth=("alarm", PASSWORD))
    datadir = tempfile.mkdtemp(prefix="bwit-smtp-")
    try:
        mod = module(relay.port, relay.cafile, user="alarm", pwfile=pw)
        with Case(mod, datadir=datadir) as c:
            c.trigger()
            t.ok(wait_until(lambda: "attempt 1:" in c.d.output(), 30) and len(c.queued()) == 1,
                 "relay down: the mail is queued on disk", c.d.output())
        with Case(mod, datadir=datadir) as c:
            t.ok(len(c.queued()) == 1, "restart: the queue is still there")
            relay.start()
            try:
                relay.wait_for_message(60)
                got = True
            except TimeoutError:
                got = False
            t.ok(got, "relay up: the queued mail arrives after the restart", c.d.output())
            t.ok(wait_until(lambda: not c.queued() and "delivered" in c.d.output(), 15),
                 "restart: queue empty after delivery", c.queued())
            no_secret(c, "restart")
        t.ok(len(relay.received) == 1, "restart: delivered exactly once (%d)" % len(relay.received))
    finally:
        relay.close()
        shutil.rmtree(datadir, ignore_errors=True)

    # --- retry-max-age: give up, event, file in failed/ ---
    down = pick_port()
    with Case(module(down, None, retry_max_age="3s")) as c:
        ev = Events(c.d, "smtp.*")
        try:
            t.ok(ev.live(c.d), "events stream is live")
            rule, rc, out = c.trigger()
            line = ev.wait_for(lambda l: "smtp.delivery.failed" in l, 60)
            t.ok(line is not None and ("rule=" + rule) in line and "age=" in line
                 and "error=" in line and "noc@example.org" in line,
                 "retry-max-age 3s: smtp.delivery.failed with rule, recipients, error, age",
                 "\n".join(ev.seen))
        finally:
            ev.close()
        # (the engine's default rule smtp-delivery-failed may queue a mail
        # about the failure itself: only the test rule's files count here)
        t.ok(len(rule_files(c.failed(), rule)) == 1 and not rule_files(c.queued(), rule),
             "retry-max-age: the file moved to mailq/failed", (c.queued(), c.failed()))

    # --- a full queue refuses, counts and reports ---
    with Case(module(pick_port(), None, queue_max="1")) as c:
        ev = Events(c.d, "smtp.*")
        try:
            t.ok(ev.live(c.d), "events stream is live (queue bound)")
            c.d.ctl("emit", "smtp.test", "text=first")
            t.ok(wait_until(lambda: len(c.queued()) == 1, 15), "queue-max 1: first mail queued")
            c.d.ctl("emit", "smtp.test", "text=second")
            line = ev.wait_for(lambda l: "smtp.queue.dropped" in l, 15)
            t.ok(line is not None and "dropped=1" in line and "full" in line,
                 "queue-max 1: the second mail is refused with smtp.queue.dropped",
                 "\n".join(ev.seen))
            t.ok(len(c.queued()) == 1 and "not queued" in c.d.output(),
                 "queue-max 1: still one file, the refusal logged", c.d.output())
        finally:
            ev.close()

    # --- CR/LF in event fields adds no header ---
    with SmtpRelay(starttls=True) as relay:
        with Case(module(relay.port, relay.cafile)) as c:
            evil = "x\r\nBcc: victim@example.net\r\nX-Injected: yes"
            rule, rc, out = c.trigger(text=evil, detail=evil)
            if rc != 0:
                t.diag("emit refused the CR/LF value (%s); sending it through smtp.test" % out)
            if rc != 0 or c.engine:
                # the module's own path too: its text reaches the mail raw
                rc2, out2, err2 = c.d.ctl("emit", "smtp.test", "text=" + evil)
                t.diag("smtp.test with CR/LF: rc=%d %s" % (rc2, out2 + err2))
            msgs = []
            try:
                while True:
                    msgs.append(relay.wait_for_message(20 if not msgs else 5)[1])
            except TimeoutError:
                pass
            t.ok(msgs, "injection: mail(s) received", c.d.output())
            bad = [m for m in msgs if m["Bcc"] or m["X-Injected"]]
            t.ok(not bad and all(r["rcpt"] == ["noc@example.org"] for r in relay.received),
                 "injection: no Bcc/X-Injected header, no extra recipient",
                 "\n---\n".join(m.as_string() for m in msgs))

    # --- stop while a transfer hangs: bounded, clean exit, mail kept ---
    mute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    mute.bind(("127.0.0.1", 0))
    mute.listen(4)
    accepted = threading.Event()
    held = []

    def accept_and_hold():
        try:
            conn, _addr = mute.accept()   # then say nothing: no greeting
            held.append(conn)
            accepted.set()
        except OSError:
            pass

    threading.Thread(target=accept_and_hold, daemon=True).start()
    try:
        with Case(module(mute.getsockname()[1], None)) as c:
            c.trigger()
            t.ok(accepted.wait(30), "hanging relay: the sender connected")
            rc = c.d.stop()
            t.ok(rc == 0, "hanging relay: bulwarkd stops cleanly with a transfer in flight "
                 "(exit %s; None means it had to be killed)" % rc, c.d.output())
            t.ok(len(c.queued()) >= 1, "hanging relay: the mail stays queued")
    finally:
        mute.close()
        for conn in held:
            conn.close()

    # --- a password file others can read is refused ---
    loose = os.path.join(tmp, "loose")
    os.mkdir(loose)
    loose_pw = password_file(loose, 0o640)
    with Case(module(pick_port(), None, user="alarm", pwfile=loose_pw)) as c:
        rc, out, err = c.d.ctl("modules")
        line = next((l for l in out.splitlines() if "smtp-alarm" in l.split()), "")
        t.ok("running" not in line and "chmod 600" in c.d.output(),
             "group-readable password-file: module refused, told why", out + c.d.output())
        no_secret(c, "loose password file")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
