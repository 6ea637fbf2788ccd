#!/usr/bin/env python3
"""Digest authentication of module sip over raw UDP sockets: challenge
shape, SHA-256 and MD5, wrong realm, replayed nonce count, stale nonce,
and that an unknown user and a wrong password get the same answer."""
import re, socket, time
from bwtest import Tap, Daemon, pick_port
from sipraw import SipRaw, ext_json, ha1

t = Tap()
port = pick_port(socket.SOCK_DGRAM)
MODS = ('<module name="sip"><transport type="udp" listen="127.0.0.1:%d"/>'
        '<auth nonce-lifetime="2" algorithms="SHA-256 MD5"/><dos auth-failures="1000"/></module>' % port)
URI = "sip:127.0.0.1:%d" % port
H = {"MD5": ha1("alice", "test", "s3cret"), "SHA-256": ha1("alice", "test", "s3cret", "SHA-256")}
CONTACT = ["Contact: <sip:alice@127.0.0.1:5999>"]


def mask(raw):
    s = raw.decode(errors="replace")
    s = re.sub(r"tag=[0-9A-Za-z]+", "tag=X", s)
    s = re.sub(r"branch=[^;\r\n]+", "branch=X", s)
    s = re.sub(r'nonce="[^"]*"', 'nonce="X"', s)
    s = re.sub(r"CSeq: \d+", "CSeq: N", s)
    return s


def challenge(c, alg="SHA-256"):
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT)
    return r, [x for x in (r.challenges() if r else []) if x.get("algorithm") == alg]


with Daemon(t, modules=MODS) as d:
    rc, _o, err = d.ctl("store", "put", "ext/100", ext_json("100", "alice", "test", "s3cret"))
    t.ok(rc == 0, "extension 100 provisioned", err)
    ev = d.events("sip.auth.failed")
    ev.wait_for(lambda l: l.startswith("(streaming"), 10)   # subscribed
    c = SipRaw("udp", ("127.0.0.1", port))

    r, _ = challenge(c)
    chs = r.challenges() if r else []
    t.ok(r is not None and r.code == 401 and r.reason == "Unauthorized", "no credentials: 401", r)
    t.ok([x.get("algorithm") for x in chs] == ["SHA-256", "MD5"], "challenge offers SHA-256 then MD5", r)
    t.ok(all(x.get("qop") == "auth" and x.get("realm") == "test" for x in chs),
         "qop=auth, realm is the system name", r)
    t.ok(chs and chs[0]["nonce"] == chs[1]["nonce"] and len(chs[0]["nonce"]) == 64,
         "one signed nonce for both algorithms", r)
    t.ok(r.get("Server") == "bulwark", "Server header carries no version", r)

    for alg in ("SHA-256", "MD5"):
        r, ch = challenge(c, alg)
        r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                      auth=c.authorization(ch[0], "alice", H[alg], "REGISTER", URI))
        t.ok(r is not None and r.code == 200, "%s credentials accepted" % alg, r)

    # replay: the same nonce and nc=1 again (a new transaction) is refused
    r, ch = challenge(c)
    a1 = c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI, nc=1)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT, auth=a1)
    t.ok(r is not None and r.code == 200, "nc=1 accepted", r)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT, auth=a1)
    t.ok(r is not None and r.code == 403, "the same nonce count replayed: 403", r)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI, nc=2))
    t.ok(r is not None and r.code == 200, "the next nonce count accepted", r)
    t.ok(ev.wait_for(lambda l: "nonce count replayed" in l and "user=alice" in l, 5),
         "sip.auth.failed names source, user and reason", ev.seen)

    # a refresh that changes nothing but the expiry is not written again
    time.sleep(0.5)   # the first write goes through the management loop
    _rc, before, _e = d.ctl("store", "list", "sip/reg/")
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI, nc=3))
    time.sleep(0.5)
    _rc, after, _e = d.ctl("store", "list", "sip/reg/")
    t.ok(r is not None and r.code == 200 and "sip/reg/100" in before and before == after,
         "a plain refresh costs no durable write", before + after)

    # wrong realm: refused with a new challenge, counted as a failure
    r, ch = challenge(c)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI, realm="other"))
    t.ok(r is not None and r.code == 401, "credentials for another realm refused", r)
    t.ok(ev.wait_for(lambda l: "wrong realm" in l, 5), "wrong realm published", ev.seen)

    # a nonce we never issued: a new challenge
    bad = dict(ch[0], nonce="0" * 64)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization(bad, "alice", H["SHA-256"], "REGISTER", URI))
    t.ok(r is not None and r.code == 401 and not any(x.get("stale") for x in r.challenges()),
         "forged nonce: fresh challenge without stale", r)

    # unknown user and wrong password: the same answer byte for byte
    r, ch = challenge(c)
    wrong = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                      auth=c.authorization(ch[0], "alice", H["SHA-256"][::-1], "REGISTER", URI))
    r, ch = challenge(c)
    unknown = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                        auth=c.authorization(ch[0], "nobody", H["SHA-256"], "REGISTER", URI))
    t.ok(wrong is not None and wrong.code == 403 and wrong.reason == "Forbidden",
         "wrong password: 403 Forbidden", wrong)
    t.ok(unknown is not None and mask(wrong.raw) == mask(unknown.raw),
         "unknown user: identical to a wrong password apart from tags",
         "%s\n---\n%s" % (wrong, unknown))

    # stale: an authentic nonce past its lifetime (2 s here)
    r, ch = challenge(c)
    time.sleep(3.2)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI))
    t.ok(r is not None and r.code == 401 and all(x.get("stale") == "true" for x in r.challenges()),
         "expired nonce: 401 with stale=true", r)
    r = c.request("REGISTER", URI, user="alice", headers=CONTACT,
                  auth=c.authorization([x for x in r.challenges() if x["algorithm"] == "SHA-256"][0],
                                       "alice", H["SHA-256"], "REGISTER", URI))
    t.ok(r is not None and r.code == 200, "the fresh nonce works", r)

    # To must be the authenticated user
    r, ch = challenge(c)
    r = c.request("REGISTER", URI, user="alice", to_user="bob", headers=CONTACT,
                  auth=c.authorization(ch[0], "alice", H["SHA-256"], "REGISTER", URI))
    t.ok(r is not None and r.code == 403, "registering someone else: 403", r)
    log = d.output()
    t.ok(H["SHA-256"] not in log and H["MD5"] not in log, "no HA1 in the log")
    ev.close()
    c.close()
t.done()
