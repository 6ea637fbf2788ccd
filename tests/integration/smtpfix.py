"""An SMTP relay for tests: aiosmtpd (Debian python3-aiosmtpd) on a free
loopback port, in a subprocess of its own.

    from smtpfix import SmtpRelay
    with SmtpRelay(starttls=True, auth=("alarm", "Secret-1")) as relay:
        ... point the client at smtp://localhost:%d % relay.port,
            trusting relay.cafile ...
        arrived, msg = relay.wait_for_message(timeout=30)
        msg["Subject"]

Options: starttls=True (STARTTLS offered and required before MAIL),
implicit=True (SMTPS: TLS from the first byte), auth=(user, password)
(AUTH PLAIN, LOGIN and CRAM-MD5, after TLS only), require_auth (default:
True when auth is given), tls_max="1.2" (a relay that cannot do TLS 1.3),
port (default: a free one). The server certificate is for "localhost"
(and 127.0.0.1), issued by a private CA made with the openssl CLI in a
temporary directory: .cafile. make_ca() makes another, unrelated CA.

.stop() and .start() take the relay down and up again on the same port
(messages received so far are kept). .received is a list of dicts
(time: monotonic arrival time, mech: the AUTH mechanism used or "-",
rcpt: envelope recipients, message: email.message.Message); .messages is
the list of messages. wait_for_message(timeout) returns the next message
not yet returned, as (arrival_monotonic_time, email.message.Message), or
raises TimeoutError.

The relay runs under sys.executable when that interpreter has aiosmtpd,
else under /usr/bin/python3 (the pyenv python3 lacks Debian's modules).
CLOCK_MONOTONIC is system-wide, so arrival times compare with
time.monotonic() here.
"""
import email, email.policy, json, os, secrets, shutil, subprocess, sys
import tempfile, threading, time
from bwtest import pick_port

SERVER = r'''
import hmac, json, os, secrets, ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, MISSING

cfg = json.loads(sys.argv[1])


def tls_context():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(cfg["cert"], cfg["key"])
    if cfg.get("tls_max") == "1.2":
        c.maximum_version = ssl.TLSVersion.TLSv1_2
    return c


class Handler:
    def __init__(self):
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(cfg["spool"], "%d-%06d.eml" % (os.getpid(), self.n))
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        mech = getattr(session, "bw_mech", None) or "-"
        print("MSG %.6f %s %s %s" % (time.monotonic(), mech,
                                      ",".join(envelope.rcpt_tos) or "-", path), flush=True)
        return "250 2.0.0 OK queued"

    async def auth_CRAM__MD5(self, server, args):
        user, password = cfg["auth"]
        challenge = ("<%s.%d@localhost>" % (secrets.token_hex(8), int(time.time()))).encode()
        resp = await server.challenge_auth(challenge)
        if resp is MISSING:
            return AuthResult(success=False, handled=True)   # 501 already sent
        login, _, digest = resp.decode(errors="replace").partition(" ")
        want = hmac.new(password.encode(), challenge, "md5").hexdigest()
        if login == user and hmac.compare_digest(digest, want):
            server.session.bw_mech = "CRAM-MD5"
            return AuthResult(success=True, auth_data=LoginPassword(login.encode(), b""))
        # handled=False: aiosmtpd sends the 535 itself (handled=True would
        # leave the client waiting for an answer that never comes)
        return AuthResult(success=False, handled=False)


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and cfg.get("auth") is not None and
          (auth_data.login.decode(errors="replace"),
           auth_data.password.decode(errors="replace")) == tuple(cfg["auth"]))
    if ok:
        session.bw_mech = mechanism
    return AuthResult(success=ok, handled=False)


kw = dict(hostname="127.0.0.1", port=cfg["port"], server_hostname="localhost",
          ready_timeout=20)
if cfg["implicit"]:
    kw["ssl_context"] = tls_context()
if cfg["starttls"]:
    kw["tls_context"] = tls_context()
    kw["require_starttls"] = True
if cfg.get("auth"):
    kw["authenticator"] = authenticator
    kw["auth_required"] = cfg["require_auth"]
    kw["auth_require_tls"] = True
else:
    kw["auth_exclude_mechanism"] = ["PLAIN", "LOGIN", "CRAM-MD5"]
controller = Controller(Handler(), **kw)
controller.start()
print("READY %d" % cfg["port"], flush=True)
sys.stdin.read()          # until the parent closes our stdin
controller.stop()
'''


def _openssl(*args, cwd):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), p.stderr))


def make_ca(directory, name="ca"):
    """A fresh private CA in directory: returns (cert path, key path)."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", key, "-out", cert, "-days", "2",
             "-subj", "/CN=Bulwark test CA %s" % secrets.token_hex(4),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return cert, key


def make_server_cert(directory, ca_cert, ca_key, name="server"):
    """A certificate for localhost / 127.0.0.1 issued by the CA."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    csr, ext = os.path.join(directory, name + ".csr"), os.path.join(directory, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", key, "-out", csr, "-subj", "/CN=localhost", cwd=directory)
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")),
             "-days", "2", "-out", cert, "-extfile", ext, cwd=directory)
    return cert, key


def _interpreter():
    p = subprocess.run([sys.executable, "-c", "import aiosmtpd"], capture_output=True)
    return sys.executable if p.returncode == 0 else "/usr/bin/python3"


class SmtpRelay:
    def __init__(self, starttls=False, implicit=False, auth=None, require_auth=None,
                 tls_max=None, port=None):
        if starttls and implicit:
            raise ValueError("starttls and implicit exclude each other")
        self.dir = tempfile.mkdtemp(prefix="bwsmtp-")
        self.spool = os.path.join(self.dir, "spool")
        os.mkdir(self.spool)
        self.port = port or pick_port()
        self.cafile, cakey = make_ca(self.dir)
        cert, key = make_server_cert(self.dir, self.cafile, cakey)
        self.cfg = dict(port=self.port, starttls=starttls, implicit=implicit,
                        auth=list(auth) if auth else None,
                        require_auth=bool(auth) if require_auth is None else require_auth,
                        tls_max=tls_max, cert=cert, key=key, spool=self.spool)
        self.received = []
        self.log = []
        self._next = 0
        self._cond = threading.Condition()
        self.proc = None
        self.python = _interpreter()

    @property
    def messages(self):
        with self._cond:
            return [r["message"] for r in self.received]

    def start(self, timeout=20):
        if self.proc is not None:
            return self
        self.proc = subprocess.Popen([self.python, "-c", SERVER, json.dumps(self.cfg)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        ready = threading.Event()
        threading.Thread(target=self._read, args=(self.proc, ready), daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("SMTP relay on port %d not ready:\n%s" %
                               (self.port, "\n".join(self.log[-30:])))
        return self

    def _read(self, proc, ready):
        for line in proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("READY "):
                ready.set()
            elif line.startswith("MSG "):
                self._received(line)
            else:
                self.log.append(line)
        ready.set()   # exited: start() looks at the process

    def _received(self, line):
        _msg, t, mech, rcpt, path = line.split(" ", 4)
        with open(path, "rb") as f:
            m = email.message_from_bytes(f.read(), policy=email.policy.default)
        with self._cond:
            self.received.append(dict(time=float(t), mech=mech, rcpt=rcpt.split(","),
                                      message=m, path=path))
            self._cond.notify_all()

    def wait_for_message(self, timeout=30):
        end = time.monotonic() + timeout
        with self._cond:
            while self._next >= len(self.received):
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no message at the relay on port %d within %ss"
                                       % (self.port, timeout))
                self._cond.wait(left)
            r = self.received[self._next]
            self._next += 1
            return r["time"], r["message"]

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()
            proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()

    def close(self):
        self.stop()
        if not os.environ.get("BW_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False
