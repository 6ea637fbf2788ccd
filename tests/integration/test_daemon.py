"""bulwarkd end to end: --check-config, start banner, SIGHUP reload (good and
bad), clean stop on SIGTERM/SIGINT, refusal of writable configuration, and
the privilege drop when started as root."""
import os, re, signal, subprocess, tempfile, time
from bwtest import Tap, Daemon, build, src, module_path, CONFIG, bulwarkd_run

t = Tap()
env = dict(os.environ, BULWARK_MODULE_PATH=module_path())


def check_config(text, name="bulwark.xml"):
    d = tempfile.mkdtemp(prefix="bwcfg-")
    os.chmod(d, 0o700)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        f.write(text.replace("{datadir}", d))
    p = bulwarkd_run(["--check-config", path],
                     capture_output=True, text=True, env=env, timeout=30)
    return p.returncode, p.stdout + p.stderr, path


def cfg(modules="", extra=""):
    return ('<?xml version="1.0"?>\n<bulwark>\n  <system name="t" data-dir="{datadir}"/>\n'
            + extra + '  <modules>\n    ' + modules + '\n  </modules>\n</bulwark>\n')


# --check-config ---------------------------------------------------------
default = open(src("etc/bulwark.xml")).read()
rc, out, _ = check_config(default)
shipped = re.findall(r'<module name="([^"]+)"', default)
unbuilt = [m for m in shipped if not any(os.path.exists(build("%s/%s/.libs/mod_%s.so" % (top, m, m)))
                                         for top in ("modules", "plugins"))]
if not unbuilt:
    t.ok(rc == 0 and "configuration OK" in out, "the shipped etc/bulwark.xml passes --check-config "
         "(%s)" % ", ".join(shipped), out)
else:   # configured with --disable-mod-NAME: the default names a module not built
    t.ok(rc != 0 and any("unknown module %s" % m in out for m in unbuilt),
         "the shipped etc/bulwark.xml is refused only for a module not built (%s)" % ", ".join(unbuilt),
         out)

bad = {
    "malformed XML": (cfg().replace("</modules>", "</module>"), ":6"),
    "unknown element": (cfg(extra="  <frobnicate/>\n"), ":4"),
    "unknown attribute": (cfg().replace('name="t"', 'name="t" colour="red"'), ":3"),
    "wrong value type": (cfg().replace('name="t"', 'name="t" backup-keep="many"'), ":3"),
    "unknown module": (cfg('<module name="no-such-module"/>'), ":5"),
}
for what, (text, line) in bad.items():
    rc, out, path = check_config(text)
    t.ok(rc != 0 and (os.path.basename(path) + line) in out,
         "--check-config refuses %s with file:line (%s)" % (what, line), out)

# start, status, reload, stop -------------------------------------------------
with Daemon(t) as d:
    out = d.output()
    t.ok("started" in out and "modules" in out and "listening" in out and "control" in out,
         "start-up banner names modules and listeners", out)
    rc, status, err = d.ctl("status")
    t.ok(rc == 0 and "running" in status, "status answers while running", status + err)

    good = open(d.config_path).read()
    with open(d.config_path, "w") as f:
        f.write(good.replace("</modules>", "<bogus/></modules>"))
    d.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    rc, status, _ = d.ctl("status")
    t.ok(d.proc.poll() is None and rc == 0, "a bad configuration on SIGHUP keeps the daemon running")
    t.ok("keeping the running configuration" in d.output(), "and it says why", d.output())

    if os.path.exists(build("plugins/hello/.libs/mod_hello.so")):
        with open(d.config_path, "w") as f:
            f.write(good.replace("</modules>", '<module name="hello" greeting="hey"/></modules>'))
        d.proc.send_signal(signal.SIGHUP)
        ok = False
        for _ in range(100):
            rc, mods, _ = d.ctl("modules")
            if "hello" in mods and "running" in mods:
                ok = True
                break
            time.sleep(0.05)
        t.ok(ok, "a good configuration on SIGHUP starts the added module", mods)
    rc = d.stop(signal.SIGTERM)
    t.ok(rc == 0 and "stopped" in d.output(), "SIGTERM stops cleanly with exit 0", d.output())
    t.ok(not os.path.exists(d.socket), "the control socket is removed on exit")

with Daemon(t) as d:
    rc = d.stop(signal.SIGINT)
    t.ok(rc == 0, "SIGINT (Ctrl-C) stops cleanly with exit 0", d.output())

# hardening -------------------------------------------------------------------
d = Daemon(t)
os.chmod(d.config_path, 0o664)
p = bulwarkd_run(["-c", d.config_path], capture_output=True, text=True,
                 env=env, timeout=30)
t.ok(p.returncode != 0 and "writable" in p.stderr and d.config_path in p.stderr,
     "a group-writable configuration file is refused", p.stderr)
os.chmod(d.config_path, 0o600)
os.chmod(d.datadir, 0o777)
p = bulwarkd_run(["-c", d.config_path], capture_output=True, text=True,
                 env=env, timeout=30)
t.ok(p.returncode != 0 and "writable" in p.stderr, "a world-writable data directory is refused", p.stderr)
os.chmod(d.datadir, 0o700)

if os.geteuid() == 0:
    text = CONFIG.replace('<system name="test"', '<system name="test" user="nobody"')
    with Daemon(t, config=text) as d:
        uid = None
        with open("/proc/%d/status" % d.proc.pid) as f:
            for line in f:
                if line.startswith("Uid:"):
                    uid = line.split()[1:]
        nobody = int(subprocess.check_output(["id", "-u", "nobody"]).strip())
        t.ok(uid and all(int(u) == nobody for u in uid),
             "started as root with user=nobody, it runs as nobody", str(uid))
else:
    t.diag("not root: the privilege drop is not exercised")

t.done()
