#!/usr/bin/env python3
"""The WebAdmin's TLS as an outside scanner sees it: Debian's sslscan
against lighttpd in front of bulwarkd. By default only TLS 1.3 (no SSLv2/3,
TLS 1.0-1.2), no compression, no insecure renegotiation, only AEAD suites
with forward secrecy; with tls-compat="true" TLS 1.2 too, still AEAD/ECDHE
only, the core's key-exchange groups. Plain HTTP only redirects to HTTPS (same host and path, no page)."""
import re, shutil, subprocess, sys
from bwtest import Tap
from wafix import WebAdmin

if shutil.which("sslscan") is None:
    print("1..0 # SKIP sslscan is not installed (apt-get install sslscan)")
    sys.exit(0)
t = Tap()
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def scan(port):
    r = subprocess.run(["sslscan", "--no-colour", "--no-heartbleed", "127.0.0.1:%d" % port],
                       capture_output=True, text=True, timeout=120)
    return ANSI.sub("", r.stdout + r.stderr)


def protocols(out):
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^(SSLv[23]|TLSv1\.[0-3])\s+(enabled|disabled)", out, re.M)}


def accepted(out):
    """(protocol, bits, cipher) of every suite the server accepted."""
    return re.findall(r"^(?:Preferred|Accepted)\s+(TLSv1\.[0-3])\s+(\d+) bits\s+(\S+)", out, re.M)


def weak(suites):
    """Suites without an AEAD or forward secrecy (TLS 1.3 suites are both)."""
    return [s for s in suites if s[0] != "TLSv1.3" and
            not (("GCM" in s[2] or "CHACHA20" in s[2]) and ("ECDHE" in s[2] or "DHE" in s[2]))]


with WebAdmin(t) as w:
    out = scan(w.https)
    p = protocols(out)
    t.ok(p.get("TLSv1.3") == "enabled", "default: TLS 1.3 is offered", out)
    t.ok(all(p.get(v) == "disabled" for v in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2")),
         "default: SSLv2, SSLv3, TLS 1.0, 1.1 and 1.2 are refused", p)
    suites = accepted(out)
    t.ok(suites and all(s[0] == "TLSv1.3" for s in suites), "default: every accepted suite is TLS 1.3",
         suites)
    t.ok(p.get("TLSv1.3") and not re.search(r"^TLS Compression:?\s*\n\s*Compression enabled", out, re.M),
         "no TLS compression", out)
    groups = re.findall(r"^TLSv1\.3\s+\d+ bits\s+(\S+)", out, re.M)
    t.ok(groups and set(groups) <= {"x25519", "secp256r1", "secp384r1"},
         "key exchange groups: X25519, P-256, P-384 only (as SIP TLS)", groups)
    reply = w.plain(b"GET /some/page?x=1 HTTP/1.1\r\nHost: pbx.example\r\nConnection: close\r\n\r\n")
    head = reply.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    t.ok(re.match(r"HTTP/1\.[01] 30[178]", head) is not None, "plain HTTP answers with a redirect", head)
    loc = re.search(r"^Location: (\S+)", head, re.M | re.I)
    t.ok(loc is not None and loc.group(1).startswith("https://pbx.example") and
         loc.group(1).endswith("/some/page?x=1"), "...to HTTPS, same host and path", head)
    body = reply.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in reply else b""
    t.ok(b"front end" not in body, "...and never serves the page itself over plain HTTP", body[:200])

with WebAdmin(t, extra='tls-compat="true"') as w:
    out = scan(w.https)
    p = protocols(out)
    t.ok(p.get("TLSv1.3") == "enabled" and p.get("TLSv1.2") == "enabled",
         "tls-compat: TLS 1.2 is accepted too", p)
    t.ok(all(p.get(v) == "disabled" for v in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1")),
         "tls-compat: nothing older than TLS 1.2", p)
    suites = accepted(out)
    t.ok(suites and not weak(suites), "tls-compat: TLS 1.2 suites are all ECDHE/DHE with an AEAD",
         suites)
    t.ok("Insecure session renegotiation supported" not in out, "no insecure renegotiation", out)
t.done()
