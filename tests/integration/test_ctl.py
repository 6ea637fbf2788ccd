"""bulwarkctl against a running bulwarkd: every command family, its exit
codes and messages, the socket's mode, the peer uid check (as root, by
running the client as nobody), events streaming, backup/restore, and a
reload with a broken configuration."""
import os, pwd, select, shutil, stat, subprocess, tempfile, time
from bwtest import Tap, Daemon, build

t = Tap()
CTL = build("bulwarkctl")


def run(args, stdin=None, env=None, cwd=None, preexec=None):
    p = subprocess.run([CTL] + args, input=stdin, capture_output=True, text=True,
                       timeout=30, env=env, cwd=cwd, preexec_fn=preexec)
    return p.returncode, p.stdout, p.stderr


def read_until(proc, needle, timeout=10):
    """Output of a streaming client until needle shows up (or timeout)."""
    buf = b""
    end = time.time() + timeout
    while needle.encode() not in buf and time.time() < end:
        r, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.time()))
        if not r:
            break
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace")


rc, out, err = run(["--help"])
t.ok(rc == 0 and all(c in out for c in ("status", "store put KEY -", "events [GLOB]",
                                         "audit verify", "restore FILE", "emit TYPE")),
     "--help lists the commands", out + err)

with Daemon(t) as d:
    uid = os.geteuid()
    actor = "bulwarkctl:uid=%d" % uid
    mode = stat.S_IMODE(os.stat(d.socket).st_mode)
    t.ok(mode == 0o600, "the control socket is mode 0600", oct(mode))

    rc, out, err = d.ctl("status")
    t.ok(rc == 0 and "running" in out and not out.startswith(". "), "status answers", out + err)
    rc, out, err = run(["status"], env=dict(os.environ, BULWARK_SOCKET=d.socket))
    t.ok(rc == 0 and "running" in out, "$BULWARK_SOCKET names the socket", out + err)
    rc, out, err = d.ctl("modules")
    t.ok(rc == 0, "modules answers", out + err)

    # store round trip, the value from stdin with spaces and a newline
    value = "alice smith\nsecond line"
    rc, out, err = d.ctl("store", "put", "ext/100", "-", stdin=value)
    t.ok(rc == 0, "store put KEY - reads the value from stdin", out + err)
    rc, out, err = d.ctl("store", "get", "ext/100")
    t.ok(rc == 0 and out == value + "\n", "store get returns it unchanged", repr(out) + err)
    rc, out, err = d.ctl("store", "put", "ext/101", "bob")
    rc2, out2, err2 = d.ctl("store", "list", "ext/")
    t.ok(rc == 0 and rc2 == 0 and "ext/100 " in out2 and "ext/101 " in out2,
         "store list shows both records", out2 + err2)
    rc, out, err = d.ctl("store", "delete", "ext/101")
    rc2, out2, err2 = d.ctl("store", "get", "ext/101")
    t.ok(rc == 0 and rc2 == 1 and err2.startswith("bulwarkctl: "),
         "store delete removes it; get then fails with exit 1", out + err + err2)

    # import with a relative path: the client sends it absolute
    work = tempfile.mkdtemp(prefix="bwctl-")
    with open(os.path.join(work, "prov.xml"), "w") as f:
        f.write('<provisioning><record key="imp/1">one</record>'
                '<record key="imp/2">two words</record></provisioning>\n')
    rc, out, err = run(["-s", d.socket, "store", "import", "prov.xml"], cwd=work)
    t.ok(rc == 0 and "2" in out, "store import FILE (relative to the client) imports", out + err)
    rc, out, err = d.ctl("store", "export", "imp/")
    t.ok(rc == 0 and 'key="imp/1"' in out and "two words" in out and "ext/100" not in out,
         "store export PREFIX exports those records only", out + err)
    shutil.rmtree(work, ignore_errors=True)

    rc, out, err = d.ctl("audit", "list")
    t.ok(rc == 0 and actor in out and "store.put" in out and "store.delete" in out
         and "ext/101" in out, "audit list shows the changes with the actor", out + err)
    t.ok("alice" not in out, "the audit does not repeat stored values", out)
    rc, out, err = d.ctl("audit", "verify")
    t.ok(rc == 0 and "intact" in out, "audit verify says intact", out + err)

    # backup and restore
    rc, out, err = d.ctl("backup")
    path = out.strip()
    t.ok(rc == 0 and os.path.isfile(path) and path.startswith(d.datadir),
         "backup prints a file that exists", out + err)
    d.ctl("store", "put", "ext/100", "changed")
    rc, out, err = d.ctl("restore", path)
    rc2, out2, _ = d.ctl("store", "get", "ext/100")
    t.ok(rc == 0 and out2 == value + "\n", "restore of it brings the old value back",
         out + err + out2)

    # events
    ev = subprocess.Popen([CTL, "-s", d.socket, "events", "test.*"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    head = read_until(ev, "streaming events")
    rc, out, err = d.ctl("emit", "test.ping", "who=integration test", "n=1")
    got = read_until(ev, "test.ping")
    ev.terminate()
    ev.wait(10)
    ev.stdout.close()
    ev.stderr.close()
    t.ok(rc == 0 and "streaming events" in head and "test.ping" in got and "n=1" in got,
         "events streams an emitted event", head + got + err)
    rc, out, err = d.ctl("emit", "test.ping", "novalue")
    t.ok(rc == 1 and "usage" in err and "KEY=VALUE" in err, "emit with a bad KEY=VALUE is refused",
         out + err)
    rc, out, err = d.ctl("audit", "list", "5")
    t.ok("event.emit" in out and "test.ping" in out, "emit is audited", out)

    rc, out, err = d.ctl("frobnicate")
    t.ok(rc == 1 and "usage" in err and "frobnicate" in err, "an unknown command: exit 1 with usage",
         out + err)
    rc, out, err = d.ctl("store", "get")
    t.ok(rc == 1 and "usage: store get KEY" in err, "wrong arguments name the right form", err)

    # a peer that is neither root nor the daemon's uid
    if uid == 0 and d.proc.poll() is None:
        nobody = pwd.getpwnam("nobody")

        def as_nobody():
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
        rc, out, err = run(["-s", d.socket, "status"], preexec=as_nobody)
        t.ok(rc == 4 and "permission denied on " + d.socket in err,
             "nobody cannot reach the 0600 socket: exit 4", err)
        ddir = stat.S_IMODE(os.stat(d.datadir).st_mode)
        os.chmod(d.datadir, 0o711)
        os.chmod(d.socket, 0o666)
        try:
            rc, out, err = run(["-s", d.socket, "status"], preexec=as_nobody)
        finally:
            os.chmod(d.socket, 0o600)
            os.chmod(d.datadir, ddir)
        t.ok(rc == 4 and "permission denied" in err and "running" not in out,
             "with the socket opened up, the server still refuses uid nobody", out + err)
        rc, out, err = d.ctl("audit", "list", "5")
        t.ok("ctl.denied" in out and "uid=%d" % nobody.pw_uid in out,
             "the refusal is audited with the uid", out)
    else:
        t.diag("not root: the server's uid check is covered by tests/unit/test_ctl")

    # reload with a broken configuration file
    good = open(d.config_path).read()
    lines = good.replace("</modules>", "<bogus/>\n  </modules>").split("\n")
    bad_line = next(i for i, l in enumerate(lines) if "<bogus/>" in l) + 1
    with open(d.config_path, "w") as f:
        f.write("\n".join(lines))
    rc, out, err = d.ctl("reload")
    t.ok(rc == 1 and ("bulwark.xml:%d" % bad_line) in err,
         "reload of a broken configuration answers -ERR with the line", err)
    rc, out, err = d.ctl("status")
    t.ok(d.proc.poll() is None and rc == 0, "and bulwarkd keeps running", out + err)
    with open(d.config_path, "w") as f:
        f.write(good)
    rc, out, err = d.ctl("reload")
    t.ok(rc == 0, "reload of the good configuration succeeds", out + err)
    sock = d.socket

rc, out, err = run(["-s", sock, "status"])
t.ok(rc == 3 and err.strip() == "bulwarkctl: bulwarkd is not running (no control socket at %s)" % sock,
     "daemon not running: exit 3 with the message", err)
t.done()
