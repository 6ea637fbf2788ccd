"""WebAdmin test fixture: a bulwarkd with the webadmin module on free ports
and an HTTPS client (standard library only) trusting the daemon's own
generated certificate, keeping the session cookie and CSRF token.

    with WebAdmin(t, extra='lockout="strict"', modules='<module name="cor"/>') as w:
        c = w.client()
        st, body, hdrs = c.call("POST", "/api/login", {"user": "admin", "password": w.initial})
        a = w.admin()       # logged in, the initial password changed to NEWPW

modules: more <module/> elements for the configuration, after webadmin's.
"""
import http.client, json, os, re, shutil, socket, ssl, tempfile, time
from bwtest import Daemon, pick_port

NEWPW = "Good-Pass-123"
MODULE = ('<module name="webadmin" https="127.0.0.1:{https}" http="127.0.0.1:{http}" '
          'www-dir="{www}" argon2-time="1" argon2-memory="1024" {extra}/>')


CONFIG_USER = """<?xml version="1.0"?>
<bulwark>
  <system name="test" data-dir="{datadir}" user="{user}"/>
  <modules>
    {modules}
  </modules>
</bulwark>
"""


class Client:
    def __init__(self, w, source="127.0.0.1", tls_max=None):
        self.w, self.source, self.tls_max = w, source, tls_max
        self.cookie = None
        self.csrf = None
        self.set_cookie = None

    def context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.w.cert)
        ctx.check_hostname = False      # the generated certificate names the host, not 127.0.0.1
        ctx.verify_mode = ssl.CERT_REQUIRED
        if self.tls_max:
            ctx.maximum_version = self.tls_max
        return ctx

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.w.https, timeout=20,
                                           context=self.context(), source_address=(self.source, 0))

    def raw(self, method, path, body=None, headers=None):
        """(status, body bytes, headers dict lower-case)"""
        h = dict(headers or {})
        if self.cookie:
            h.setdefault("Cookie", "bw_session=" + self.cookie)
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return r.status, data, hdrs
        finally:
            c.close()

    def call(self, method, path, obj=None, csrf=True, headers=None):
        """(status, parsed JSON or None, headers); remembers cookie and CSRF."""
        h = dict(headers or {})
        body = None
        if obj is not None:
            body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
            h["Content-Type"] = "application/json"
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        st, data, hdrs = self.raw(method, path, body, h)
        try:
            js = json.loads(data.decode())
        except ValueError:
            js = None
        sc = hdrs.get("set-cookie")
        if sc:
            self.set_cookie = sc
            m = re.match(r"bw_session=([^;]*)", sc)
            self.cookie = m.group(1) if m and m.group(1) else None
        if isinstance(js, dict) and "csrf" in js:
            self.csrf = js["csrf"]
        return st, js, hdrs

    def login(self, user, password):
        return self.call("POST", "/api/login", {"user": user, "password": password}, csrf=False)


class WebAdmin:
    def __init__(self, tap, extra="", user=None, modules=""):
        self.tap = tap
        self.https, self.http = pick_port(), pick_port()
        self.www = tempfile.mkdtemp(prefix="bwwww-")
        with open(os.path.join(self.www, "index.html"), "w") as f:
            f.write("<!doctype html><title>Bulwark</title><p>front end</p>\n")
        os.chmod(self.www, 0o755)           # lighttpd may run as the daemon's user
        os.chmod(os.path.join(self.www, "index.html"), 0o644)
        mod = MODULE.format(https=self.https, http=self.http, www=self.www, extra=extra) + modules
        config = None
        if user:
            config = CONFIG_USER.replace("{user}", user)
        self.d = Daemon(tap, modules=mod, config=config)
        self.initial = None

    @property
    def cert(self):
        return os.path.join(self.d.datadir, "webadmin", "cert.pem")

    def __enter__(self):
        self.d.start()
        m = re.search(r'initial administrator "admin", password (\S+)', self.d.output())
        self.initial = m.group(1) if m else None
        self.wait_https()
        return self

    def __exit__(self, *exc):
        self.rc = self.d.stop()      # LeakSanitizer makes it non-zero
        self.output = self.d.output()
        self.d.__exit__(*exc)
        shutil.rmtree(self.www, ignore_errors=True)

    def wait_https(self, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                st, _b, _h = self.client().raw("GET", "/")
                if st == 200:
                    return True
            except (OSError, ssl.SSLError, http.client.HTTPException):
                pass
            time.sleep(0.05)
        return False

    def client(self, **kw):
        return Client(self, **kw)

    def admin(self, new=NEWPW):
        """A client logged in as admin after the first-login password change
        (initial -> new); raises when the change is refused."""
        c = self.client()
        c.login("admin", self.initial)
        st, js, _ = c.call("POST", "/api/password", {"current": self.initial, "new": new})
        if st != 200:
            raise RuntimeError("password change failed: %s %s" % (st, js))
        return c

    def lighttpd_pids(self):
        """Children of bulwarkd that are lighttpd."""
        pids = []
        for tid in os.listdir("/proc/%d/task" % self.d.proc.pid):
            try:
                with open("/proc/%d/task/%s/children" % (self.d.proc.pid, tid)) as f:
                    pids += [int(p) for p in f.read().split()]
            except OSError:
                pass
        out = []
        for p in pids:
            try:
                with open("/proc/%d/comm" % p) as f:
                    if f.read().strip() == "lighttpd":
                        out.append(p)
            except OSError:
                pass
        return out

    def plain(self, request_bytes):
        """Send raw bytes to the plain listener, return the whole answer."""
        s = socket.create_connection(("127.0.0.1", self.http), timeout=10)
        try:
            s.sendall(request_bytes)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()
