#!/usr/bin/env python3
"""/api/certificates against a real bulwarkd (webadmin + sip with a TLS
transport) behind lighttpd: the generated certificate is shown; every
refusal (unparsable, key mismatch, expired, not yet valid, weak key,
broken chain, encrypted key without or with a wrong password, PKCS#12
password) is a 422 naming the field; warnings (wildcard, IP in CN, no
chain, self-signed); a PEM and a PKCS#12 upload are installed without a
restart: `openssl s_client` to the SIP TLS port and to the web port shows
the new fingerprint, tls.certificate.changed is published, the audit has
the fingerprint and no key; a restart keeps the uploaded certificate.
Test material is made here with the openssl command (expired and
not-yet-valid ones through `openssl ca` with a throw-away CA directory)."""
import base64, os, re, shutil, subprocess, sys, tempfile
from bwtest import Tap, pick_port, wait_for
from wafix import Client, WebAdmin, NEWPW




def run(*args, stdin=None):
    p = subprocess.run(list(args), input=stdin, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(args), p.stderr.decode(errors="replace")))
    return p.stdout


class Pki:
    """Keys and certificates in a temporary directory, read back as text."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bwcert-")

    def path(self, name):
        return os.path.join(self.dir, name)

    def text(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def ext(self, name, body):
        with open(self.path(name), "w") as f:
            f.write(body)
        return self.path(name)

    def key(self, name, kind="ec"):
        spec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" else \
            ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % kind]
        run("openssl", "genpkey", *spec, "-out", self.path(name))

    def self_signed(self, name, key, subj, san=None, days=90, ca=False):
        args = ["openssl", "req", "-x509", "-new", "-key", self.path(key), "-subj", subj,
                "-days", str(days), "-out", self.path(name)]
        if ca:
            args += ["-addext", "basicConstraints=critical,CA:TRUE"]
        else:
            args += ["-addext", "basicConstraints=CA:FALSE"]
        if san:
            args += ["-addext", "subjectAltName=" + san]
        run(*args)

    def issue(self, name, key, subj, ca_cert, ca_key, san=None, ca=False, days=90):
        run("openssl", "req", "-new", "-key", self.path(key), "-subj", subj,
            "-out", self.path(name + ".csr"))
        ext = "basicConstraints=critical,CA:TRUE\n" if ca else "basicConstraints=CA:FALSE\n"
        if san:
            ext += "subjectAltName=%s\n" % san
        run("openssl", "x509", "-req", "-in", self.path(name + ".csr"), "-CA", self.path(ca_cert),
            "-CAkey", self.path(ca_key), "-CAcreateserial", "-days", str(days),
            "-extfile", self.ext(name + ".ext", ext), "-out", self.path(name))

    def ca_dated(self, name, key, subj, start, end):
        """A leaf with explicit dates (YYYYMMDDHHMMSSZ), through `openssl ca`."""
        d = self.path("ca-" + name)
        os.makedirs(d)
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("1000\n")
        conf = self.ext("ca-%s.cnf" % name, """[ca]
default_ca = throwaway
[throwaway]
dir = {d}
database = {d}/index.txt
serial = {d}/serial
new_certs_dir = {d}
default_md = sha256
policy = anything
copy_extensions = none
x509_extensions = leaf
unique_subject = no
[anything]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
subjectAltName = DNS:dated.pbx.test
""".format(d=d))
        run("openssl", "req", "-new", "-key", self.path(key), "-subj", subj,
            "-out", self.path(name + ".csr"))
        run("openssl", "ca", "-batch", "-config", conf, "-cert", self.path("inter.crt"),
            "-keyfile", self.path("inter.key"), "-startdate", start, "-enddate", end,
            "-in", self.path(name + ".csr"), "-out", self.path(name), "-notext")

    def make(self):
        for k in ("root.key", "inter.key", "leaf.key", "other.key", "wild.key", "ip.key",
                  "dated.key", "soon.key"):
            self.key(k)
        self.key("weak.key", 1024)
        self.self_signed("root.crt", "root.key", "/CN=Bulwark Test Root", days=365, ca=True)
        self.issue("inter.crt", "inter.key", "/CN=Bulwark Test Intermediate", "root.crt",
                   "root.key", ca=True, days=300)
        self.issue("leaf.crt", "leaf.key", "/CN=pbx.test", "inter.crt", "inter.key",
                   san="DNS:pbx.test", days=200)
        self.self_signed("wild.crt", "wild.key", "/CN=*.pbx.test", san="DNS:*.pbx.test")
        self.self_signed("ip.crt", "ip.key", "/CN=127.0.0.1", san="IP:127.0.0.1")
        self.self_signed("soon.crt", "soon.key", "/CN=soon.pbx.test", san="DNS:soon.pbx.test",
                         days=20)
        self.self_signed("weak.crt", "weak.key", "/CN=weak.pbx.test", san="DNS:weak.pbx.test")
        self.ca_dated("expired.crt", "dated.key", "/CN=expired.pbx.test",
                      "20200101000000Z", "20200201000000Z")
        self.ca_dated("future.crt", "dated.key", "/CN=future.pbx.test",
                      "20990101000000Z", "20990201000000Z")
        run("openssl", "pkey", "-in", self.path("leaf.key"), "-aes256", "-passout",
            "pass:Key-Pass-1", "-out", self.path("leaf-enc.key"))
        run("openssl", "pkcs12", "-export", "-inkey", self.path("wild.key"), "-in",
            self.path("wild.crt"), "-passout", "pass:P12-Pass", "-out", self.path("wild.p12"))

    def fingerprint(self, name):
        out = run("openssl", "x509", "-in", self.path(name), "-noout", "-fingerprint", "-sha256")
        return out.decode().strip().split("=", 1)[1]

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def served_fingerprint(port):
    """SHA-256 fingerprint of the certificate `openssl s_client` is shown on port."""
    try:
        p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                            "-servername", "pbx.test"], input=b"", capture_output=True, timeout=15)
        f = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                           input=p.stdout, capture_output=True, timeout=15)
    except subprocess.TimeoutExpired:
        return None
    m = re.search(r"=([0-9A-F:]+)", f.stdout.decode())
    return m.group(1) if m else None


class Trusting:
    """What wafix.Client needs, trusting the generated certificate and the
    test roots, so the client still connects once another one is served."""

    def __init__(self, w, k):
        self.https = w.https
        self.cert = k.path("trust.pem")
        with open(w.cert) as f:
            generated = f.read()
        with open(self.cert, "w") as f:
            f.write(generated + k.text("root.crt") + k.text("wild.crt") + k.text("soon.crt"))


def login(w, k):
    c = Client(Trusting(w, k))
    st, js, _ = c.login("admin", w.initial)
    if st == 200 and js.get("must_change"):
        c.call("POST", "/api/password", {"current": w.initial, "new": NEWPW})
    else:
        c.login("admin", NEWPW)
    return c


def upload(c, **kw):
    body = {"format": "pem"}
    body.update(kw)
    return c.call("POST", "/api/certificates", body)


def refused(t, c, field, text, name, **kw):
    st, js, _ = upload(c, **kw)
    ok = st == 422 and js and text in js.get("fields", {}).get(field, "")
    t.ok(ok, "422 %s: %s" % (field, name), (st, js))


def check_refusals(t, c, k):
    leaf, key, chain = k.text("leaf.crt"), k.text("leaf.key"), k.text("inter.crt")
    refused(t, c, "certificate", "no PEM certificate", "unparsable certificate",
            certificate="hello", key=key)
    refused(t, c, "certificate", "paste or choose", "certificate missing", key=key)
    refused(t, c, "key", "private key is missing", "key missing", certificate=leaf)
    refused(t, c, "key", "not a PEM private key", "unparsable key", certificate=leaf, key="junk")
    refused(t, c, "key", "does not match", "key does not match the certificate",
            certificate=leaf, key=k.text("other.key"), chain=chain)
    refused(t, c, "certificate", "has expired", "expired",
            certificate=k.text("expired.crt"), key=k.text("dated.key"), chain=chain)
    refused(t, c, "certificate", "not valid yet", "not yet valid",
            certificate=k.text("future.crt"), key=k.text("dated.key"), chain=chain)
    refused(t, c, "certificate", "weak key: RSA with 1024 bits", "weak key",
            certificate=k.text("weak.crt"), key=k.text("weak.key"))
    refused(t, c, "chain", "broken chain", "chain that did not sign the certificate",
            certificate=leaf, key=key, chain=k.text("root.crt"))
    refused(t, c, "chain", "broken chain", "chain in the wrong order",
            certificate=leaf, key=key, chain=k.text("root.crt") + chain)
    refused(t, c, "key_password", "encrypted: give its password", "encrypted key, no password",
            certificate=leaf, key=k.text("leaf-enc.key"), chain=chain)
    refused(t, c, "key_password", "wrong password", "encrypted key, wrong password",
            certificate=leaf, key=k.text("leaf-enc.key"), chain=chain, key_password="nope")
    p12 = base64.b64encode(open(k.path("wild.p12"), "rb").read()).decode()
    for pw, text in ((None, "password-protected"), ("wrong", "wrong password")):
        body = {"format": "pkcs12", "data": p12}
        if pw:
            body["password"] = pw
        st, js, _ = c.call("POST", "/api/certificates", body)
        t.ok(st == 422 and text in js["fields"].get("password", ""), "422 password: PKCS#12 " + text, js)
    st, js, _ = c.call("POST", "/api/certificates", {"format": "pkcs12", "data": "bm90IHAxMg=="})
    t.ok(st == 422 and "not a PKCS#12" in js["fields"].get("data", ""), "422 data: not PKCS#12", js)
    st, js, _ = c.call("POST", "/api/certificates", {"format": "pkcs12", "data": "%%%"})
    t.ok(st == 422 and "base64" in js["fields"].get("data", ""), "422 data: not base64", js)
    st, js, _ = c.call("POST", "/api/certificates", {"format": "der", "certificate": leaf, "x": 1})
    t.ok(st == 422 and "format" in js["fields"], "422 format", js)
    st, js, _ = upload(c, certificate=leaf, key=key, extra="x")
    t.ok(st == 422 and js["fields"].get("extra") == "unknown field", "422 unknown field", js)
    st, js, _ = upload(c, certificate=["x"], key=key)
    t.ok(st == 422 and "string" in js["fields"].get("certificate", ""), "422 not a string", js)
    st, js, _ = upload(c, certificate="A" * (300 * 1024), key=key)
    t.ok(st in (413, 422), "an oversized certificate is refused", st)
    st, js, _ = c.call("POST", "/api/certificates", "{not json")
    t.ok(st == 400, "not JSON: 400", st)
    st, js, _ = c.call("PUT", "/api/certificates", {})
    t.ok(st == 405, "PUT: 405", st)


def check_warnings(t, c, k):
    st, js, _ = upload(c, certificate=k.text("wild.crt"), key=k.text("wild.key"), check=True)
    w = " | ".join(js["certificate"]["warnings"]) if st == 200 else ""
    t.ok(st == 200 and js["installed"] is False and "wildcard common name *.pbx.test" in w
         and "wildcard subject alternative name" in w and "self-signed" in w,
         "check only: wildcard and self-signed warnings, nothing installed", js)
    st, js, _ = upload(c, certificate=k.text("ip.crt"), key=k.text("ip.key"), check=True)
    w = " | ".join(js["certificate"]["warnings"]) if st == 200 else ""
    t.ok(st == 200 and "common name is an IP address" in w, "IP address in the CN: warning", w)
    st, js, _ = upload(c, certificate=k.text("leaf.crt"), key=k.text("leaf.key"), check=True)
    w = " | ".join(js["certificate"]["warnings"]) if st == 200 else ""
    t.ok(st == 200 and "no chain was given" in w, "CA-issued without a chain: warning", w)


def main():
    t = Tap()
    if not os.access("/usr/sbin/lighttpd", os.X_OK):
        print("1..0 # SKIP lighttpd not installed")
        return 0
    k = Pki()
    try:
        k.make()
        sip_tls = pick_port()
        w = WebAdmin(t, modules='<module name="sip"><transport type="tls" '
                     'listen="127.0.0.1:%d"/></module>' % sip_tls)
        with w:
            run_checks(t, w, k, sip_tls)
        t.ok(w.rc == 0, "bulwarkd stops cleanly", w.output[-3000:])
        t.ok("PRIVATE KEY" not in w.output and "Key-Pass-1" not in w.output
             and "P12-Pass" not in w.output, "no key or password in the log")
    finally:
        k.close()
    return t.done()


def run_checks(t, w, k, sip_tls):
    c = login(w, k)
    st, js, _ = c.call("GET", "/api/certificates")
    cur = js["certificate"] if st == 200 else {}
    t.ok(st == 200 and cur["source"] == "generated" and cur["generated"] is True and
         cur["fingerprint_sha256"] == served_fingerprint(w.https) and
         cur["key_type"] == "EC" and cur["key_bits"] == 256 and cur["days_left"] > 30,
         "GET: the generated certificate, as served", js)
    first = cur.get("fingerprint_sha256")
    t.ok(served_fingerprint(sip_tls) == first, "SIP TLS serves the generated certificate too")
    check_refusals(t, c, k)
    check_warnings(t, c, k)
    st, js, _ = c.call("GET", "/api/certificates")
    t.ok(js["certificate"]["fingerprint_sha256"] == first, "refusals and checks installed nothing")

    st, js, _ = upload(c, certificate=k.text("leaf.crt"), key=k.text("leaf.key"),
                       chain=k.text("inter.crt"), replaces="00:11")
    t.ok(st == 409 and "replaced meanwhile" in js["fields"].get("replaces", ""),
         "409 when the certificate seen is not the current one", js)

    ev = w.d.events("tls.certificate.*")
    lighttpd = w.lighttpd_pids()
    new = k.fingerprint("leaf.crt")
    st, js, _ = upload(c, certificate=k.text("leaf.crt"), key=k.text("leaf.key"),
                       chain=k.text("inter.crt"), replaces=first)
    t.ok(st == 200 and js["installed"] is True and js["certificate"]["fingerprint_sha256"] == new
         and js["certificate"]["chain_length"] == 1 and js["certificate"]["warnings"] == [],
         "PEM with chain installed: 200 with the details", js)
    t.ok(st == 200 and "PRIVATE" not in str(js), "the answer holds no key")
    line = ev.wait_for(lambda l: "tls.certificate.changed" in l, 10)
    t.ok(line is not None and new in line and "pbx.test" in line,
         "tls.certificate.changed published with subject and fingerprint", line)
    ev.close()
    t.ok(wait_for(lambda: served_fingerprint(sip_tls) == new, 10),
         "SIP TLS presents the new certificate without a restart")
    t.ok(wait_for(lambda: served_fingerprint(w.https) == new, 20),
         "HTTPS presents the new certificate without a daemon restart")
    t.ok(wait_for(lambda: w.lighttpd_pids() and w.lighttpd_pids() != lighttpd, 10),
         "lighttpd was restarted for it", (lighttpd, w.lighttpd_pids()))
    t.ok("exited (" not in w.d.output(), "the restart is not reported as a failure")
    st, js, _ = c.call("GET", "/api/certificates")
    t.ok(st == 200 and js["certificate"]["source"] == "installed" and
         js["certificate"]["issuer"] == "CN=Bulwark Test Intermediate", "GET shows the installed one", js)
    rc, out, _ = w.d.ctl("audit", "list", "50")
    t.ok(rc == 0 and "tls.certificate.install" in out and new in out and "PRIVATE" not in out,
         "audited with the fingerprint, without key material", out[-800:])
    path = os.path.join(w.d.datadir, "tls", "installed.pem")
    t.ok(os.path.exists(path) and (os.stat(path).st_mode & 0o777) == 0o600, "installed.pem is 0600")

    ev = w.d.events("tls.certificate.*")
    soon = k.fingerprint("soon.crt")
    st, js, _ = upload(c, certificate=k.text("soon.crt"), key=k.text("soon.key"), replaces=new)
    t.ok(st == 200 and any(x.startswith("expires in 19 days") or x.startswith("expires in 20 days")
                           for x in js["certificate"]["warnings"]),
         "a certificate with 20 days left is installed with an expiry warning", js)
    line = ev.wait_for(lambda l: "tls.certificate.expiring" in l, 10)
    t.ok(line is not None and "soon.pbx.test" in line,
         "the expiry watch re-checks the new certificate at once (tls.certificate.expiring)", line)
    ev.close()

    p12 = base64.b64encode(open(k.path("wild.p12"), "rb").read()).decode()
    st, js, _ = c.call("POST", "/api/certificates", {"format": "pkcs12", "data": p12,
                                                      "password": "P12-Pass", "replaces": soon})
    wild = k.fingerprint("wild.crt")
    t.ok(st == 200 and js["certificate"]["fingerprint_sha256"] == wild and
         any("wildcard" in x for x in js["certificate"]["warnings"]),
         "PKCS#12 installed, with its wildcard warning", js)
    t.ok(wait_for(lambda: served_fingerprint(sip_tls) == wild, 10), "SIP TLS follows again")
    t.ok(wait_for(lambda: served_fingerprint(w.https) == wild, 20), "HTTPS follows again")

    w.d.stop()
    w.d.start()
    w.wait_https()
    c = login(w, k)
    st, js, _ = c.call("GET", "/api/certificates")
    t.ok(st == 200 and js["certificate"]["fingerprint_sha256"] == wild and
         js["certificate"]["source"] == "installed", "a restart keeps the uploaded certificate", js)
    t.ok(served_fingerprint(sip_tls) == wild and served_fingerprint(w.https) == wild,
         "after the restart SIP TLS and HTTPS serve it")


if __name__ == "__main__":
    sys.exit(main())
