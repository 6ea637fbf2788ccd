"""A tiny SIP client over raw sockets for the sip module's tests (standard
library only): build requests, send over UDP or TCP, read responses, and
answer digest challenges (MD5 / SHA-256, qop=auth).

    c = SipRaw("udp", ("127.0.0.1", port))
    r = c.request("REGISTER", "sip:127.0.0.1", user="100", headers=["Contact: <sip:100@127.0.0.1:5999>"])
    ch = r.challenges()[0]
    r = c.request(..., auth=c.authorization(ch, "100", ha1, "REGISTER", "sip:127.0.0.1", nc=1))
"""
import hashlib, os, random, re, socket, time


def ha1(user, realm, secret, alg="MD5"):
    h = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
    return h(("%s:%s:%s" % (user, realm, secret)).encode()).hexdigest()


def ext_json(number, user, realm, secret, max_contacts=None):
    import json
    rec = {"name": "Ext %s" % number, "sip_user": user,
           "ha1_md5": ha1(user, realm, secret), "ha1_sha256": ha1(user, realm, secret, "SHA-256"),
           "srtp": "optional"}
    if max_contacts:
        rec["max_contacts"] = max_contacts
    return json.dumps(rec)


class Response:
    def __init__(self, raw):
        self.raw = raw
        head = raw.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
        lines = head.split("\r\n")
        self.status_line = lines[0]
        parts = lines[0].split(" ", 2)
        self.code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self.reason = parts[2] if len(parts) > 2 else ""
        self.headers = []
        for l in lines[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                self.headers.append((k.strip(), v.strip()))

    def get_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name):
        v = self.get_all(name)
        return v[0] if v else None

    def challenges(self):
        out = []
        for v in self.get_all("WWW-Authenticate") + self.get_all("Proxy-Authenticate"):
            d = dict((m.group(1).lower(), m.group(2) if m.group(2) is not None else m.group(3))
                     for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^,\s]+))', v))
            out.append(d)
        return out

    def __repr__(self):
        return self.raw.decode(errors="replace")


class SipRaw:
    def __init__(self, proto, server, local_ip="127.0.0.1"):
        self.proto = proto
        self.server = server
        if proto == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.bind((local_ip, 0))
        else:
            self.sock = socket.create_connection(server, timeout=5)
        self.local = self.sock.getsockname()
        self.callid = "%x@bwtest" % random.getrandbits(64)
        self.cseq = 0
        self.buf = b""
        self.tag = "%x" % random.getrandbits(32)

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        if self.proto == "udp":
            self.sock.sendto(data, self.server)
        else:
            self.sock.sendall(data)

    def build(self, method, uri, user="100", headers=(), auth=None, body=b"", to_user=None,
              branch=None):
        self.cseq += 1
        branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        tp = "UDP" if self.proto == "udp" else "TCP"
        to_user = to_user or user
        lines = ["%s %s SIP/2.0" % (method, uri),
                 "Via: SIP/2.0/%s %s:%d;branch=%s;rport" % (tp, self.local[0], self.local[1], branch),
                 "Max-Forwards: 70",
                 "From: <sip:%s@%s>;tag=%s" % (user, self.server[0], self.tag),
                 "To: <sip:%s@%s>" % (to_user, self.server[0]),
                 "Call-ID: %s" % self.callid,
                 "CSeq: %d %s" % (self.cseq, method)]
        if auth:
            lines.append(auth)
        lines += list(headers)
        lines.append("Content-Length: %d" % len(body))
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def recv(self, timeout=3):
        end = time.time() + timeout
        while time.time() < end:
            self.sock.settimeout(max(0.01, end - time.time()))
            if self.proto == "udp":
                try:
                    data, _ = self.sock.recvfrom(65535)
                except socket.timeout:
                    return None
                r = Response(data)
                if r.code >= 200:
                    return r
                continue
            while b"\r\n\r\n" in self.buf:
                head, rest = self.buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(rest) < n:
                    break
                self.buf = rest[n:]
                r = Response(head + b"\r\n\r\n" + rest[:n])
                if r.code >= 200:
                    return r
            try:
                chunk = self.sock.recv(65535)
            except socket.timeout:
                return None
            if not chunk:
                return None
            self.buf += chunk
        return None

    def request(self, method, uri, timeout=3, **kw):
        self.send_raw(self.build(method, uri, **kw))
        return self.recv(timeout)

    @staticmethod
    def authorization(ch, user, ha1_hex, method, uri, nc=1, cnonce=None, realm=None,
                      header="Authorization", response=None, alg=None):
        alg = alg or ch.get("algorithm", "MD5")
        h = hashlib.sha256 if alg == "SHA-256" else hashlib.md5
        cnonce = cnonce or "%x" % random.getrandbits(32)
        ncs = "%08x" % nc
        ha2 = h(("%s:%s" % (method, uri)).encode()).hexdigest()
        resp = response or h(("%s:%s:%s:%s:auth:%s" % (ha1_hex, ch["nonce"], ncs, cnonce, ha2)).encode()).hexdigest()
        return ('%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", '
                'algorithm=%s, cnonce="%s", qop=auth, nc=%s'
                % (header, user, realm or ch["realm"], ch["nonce"], uri, resp, alg, cnonce, ncs))

    def register(self, user, ha1s, uri, contact, expires=None, alg="MD5", extra=()):
        """REGISTER with digest (ha1s: dict alg -> HA1). Returns the final response."""
        hdrs = ["Contact: %s" % contact] + list(extra)
        if expires is not None:
            hdrs.append("Expires: %d" % expires)
        r = self.request("REGISTER", uri, user=user, headers=hdrs)
        if r is None or r.code != 401:
            return r
        ch = [c for c in r.challenges() if c.get("algorithm") == alg][0]
        return self.request("REGISTER", uri, user=user, headers=hdrs,
                            auth=self.authorization(ch, user, ha1s[alg], "REGISTER", uri))
