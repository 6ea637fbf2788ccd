#!/usr/bin/env python3
"""bulwarkctl ext end to end: add/show/list/set/passwd/del, field errors,
HA1 only in the store (MD5 and SHA-256 over user:realm:secret, realm = the
system name), every change audited with no secret anywhere in the audit,
the log or the store; an XML import of an extension is seen by `ext show`;
`calls` and `cdr` answer and are empty on an idle system."""
import hashlib, json, os
from bwtest import Tap, Daemon

SECRET = "Tr0ub4dor&3-unique-secret"
SECRET2 = "c0rrect-h0rse-b4ttery"

t = Tap()
with Daemon(t) as d:
    rc, out, err = d.ctl("ext", "add", "100", "name=Alice Example", "user=alice",
                         "srtp=optional", "max-contacts=3", "cor=staff", SECRET)
    t.ok(rc == 0 and "ext 100 added" in out, "ext add", out + err)

    rc, out, err = d.ctl("ext", "show", "100")
    t.ok(rc == 0 and "name: Alice Example" in out and "user: alice" in out and
         "srtp: optional" in out and "max-contacts: 3" in out and "cor: staff" in out and
         "secret: set" in out, "ext show gives the fields", out + err)
    md5 = hashlib.md5(("alice:test:" + SECRET).encode()).hexdigest()
    sha = hashlib.sha256(("alice:test:" + SECRET).encode()).hexdigest()
    t.ok(SECRET not in out and md5 not in out and sha not in out,
         "ext show reveals neither the secret nor its HA1", out)

    rc, out, err = d.ctl("store", "get", "ext/100")
    rec = json.loads(out) if rc == 0 else {}
    t.ok(rec.get("ha1_md5") == md5 and rec.get("ha1_sha256") == sha,
         "the store holds HA1 (MD5 and SHA-256) over user:realm:secret", out + err)
    t.ok(SECRET not in out, "the store never holds the secret")

    rc, out, err = d.ctl("ext", "add", "100", SECRET)
    t.ok(rc != 0 and "100" in err, "adding an existing extension is refused", err)

    bad = [
        (("ext", "add", "10a"), "number"),
        (("ext", "add", "101", "srtp=maybe"), "srtp"),
        (("ext", "add", "101", "max-contacts=21"), "max-contacts"),
        (("ext", "add", "101", "max-contacts=0"), "max-contacts"),
        (("ext", "add", "101", "user=a b"), "user"),
        (("ext", "add", "101", "colour=blue"), "colour"),
        (("ext", "set", "555", "name=x"), "no such extension"),
        (("ext", "frobnicate"), "usage"),
    ]
    for args, word in bad:
        rc, out, err = d.ctl(*args)
        t.ok(rc != 0 and word in err, "refused with a field error: %s" % " ".join(args), err)

    rc, out, err = d.ctl("ext", "set", "100", "user=alice2")
    t.ok(rc != 0 and "secret" in err, "changing the user without the secret is refused", err)
    rc, out, err = d.ctl("ext", "set", "100", "name=Alice B", "srtp=mandatory")
    rc2, out2, _ = d.ctl("ext", "show", "100")
    t.ok(rc == 0 and "name: Alice B" in out2 and "srtp: mandatory" in out2 and
         "user: alice" in out2, "ext set changes fields and keeps the rest", out + err + out2)

    rc, out, err = d.ctl("ext", "passwd", "100", SECRET2)
    _, rec2, _ = d.ctl("store", "get", "ext/100")
    t.ok(rc == 0 and hashlib.md5(("alice:test:" + SECRET2).encode()).hexdigest() in rec2,
         "ext passwd replaces the HA1", out + err + rec2)

    rc, out, err = d.ctl("ext", "passwd", "100", "-", stdin=SECRET + "\n")
    _, rec3, _ = d.ctl("store", "get", "ext/100")
    t.ok(rc == 0 and hashlib.md5(("alice:test:" + SECRET).encode()).hexdigest() in rec3,
         "ext passwd NUMBER - reads the secret from stdin", out + err + rec3)
    rc, out, err = d.ctl("ext", "passwd", "100", SECRET2)

    d.ctl("ext", "add", "200", "name=Bob")
    rc, out, err = d.ctl("ext", "list")
    lines = out.splitlines()
    t.ok(rc == 0 and len(lines) == 2 and lines[0].startswith("100") and
         lines[1].startswith("200") and "secret" not in out, "ext list", out + err)

    xml = os.path.join(d.datadir, "ext.xml")
    with open(xml, "w") as f:
        f.write('<provisioning><record key="ext/300">{"name":"Carol","sip_user":"carol",'
                '"srtp":"off","max_contacts":2}</record></provisioning>')
    rc, out, err = d.ctl("store", "import", xml)
    rc2, out2, err2 = d.ctl("ext", "show", "300")
    t.ok(rc == 0 and rc2 == 0 and "user: carol" in out2 and "srtp: off" in out2 and
         "secret: not set" in out2, "an XML import is an extension", out + err + out2 + err2)

    rc, out, err = d.ctl("ext", "del", "200")
    rc2, _, err2 = d.ctl("ext", "show", "200")
    t.ok(rc == 0 and rc2 != 0 and "no such extension" in err2, "ext del", out + err + err2)

    rc, out, err = d.ctl("audit", "list")
    actions = [a for a in ("ext.add", "ext.set", "ext.passwd", "ext.del") if a in out]
    t.ok(rc == 0 and len(actions) == 4 and "ext/100" in out, "every change is audited",
         out + err)
    t.ok(SECRET not in out and SECRET2 not in out, "no secret in the audit")
    t.ok("bulwarkctl:uid=" in out, "the audit names the actor")

    rc, out, err = d.ctl("calls")
    t.ok(rc == 0 and out.strip() == "", "calls: none active", out + err)
    rc, out, err = d.ctl("cdr")
    t.ok(rc == 0 and out.strip() == "", "cdr: no records yet", out + err)
    rc, out, err = d.ctl("cdr", "0")
    t.ok(rc != 0 and "1 to 1000" in err, "cdr N is bounded", err)

    log = d.output()
    t.ok(SECRET not in log and SECRET2 not in log, "no secret in the daemon's log")
    t.ok(os.path.exists(os.path.join(d.datadir, "cdr.db")), "cdr.db is in the data directory")
t.done()
