#!/usr/bin/env python3
"""plugins/hello end to end: bulwarkd loads it from the build tree with
greeting="hi"; `bulwarkctl modules` shows it running with its version; a
hello.ping emitted with `bulwarkctl emit` is answered by a hello.pong with
the same id and the greeting, seen through `bulwarkctl events`; and the
schema fragment installed beside the module rejects a bad greeting."""
import os, shutil, tempfile
from bwtest import CONFIG, Tap, Daemon, module_path, bulwarkd_run

VERSION = "1.0.0"


def tokens(line):
    return line.split()


def subscribed(d, ev, probe_type):
    """Emit probes until the stream shows one: the subscription is live."""
    for i in range(100):
        d.ctl("emit", probe_type, "id=probe%d" % i)
        if ev.wait_for(lambda l: probe_type in l, 0.2):
            return True
    return False


t = Tap()
with Daemon(t, modules='<module name="hello" greeting="hi"/>') as d:
    rc, out, err = d.ctl("modules")
    line = next((l for l in out.splitlines() if "hello" in tokens(l)), "")
    t.ok(rc == 0 and "running" in line and VERSION in line,
         "bulwarkctl modules lists hello running, version " + VERSION,
         "rc=%d\n%s%s" % (rc, out, err))
    t.ok("greeting: hi" in d.output(), "hello logs its greeting at start", d.output())

    ev = d.events("hello.*")
    try:
        t.ok(subscribed(d, ev, "hello.ping"), "events stream is live", "\n".join(ev.seen))
        rc, out, err = d.ctl("emit", "hello.ping", "id=7")
        t.ok(rc == 0, "bulwarkctl emit hello.ping id=7", out + err)
        pong = ev.wait_for(lambda l: "hello.pong" in tokens(l) and "id=7" in tokens(l), 10)
        t.ok(pong is not None and "greeting=hi" in tokens(pong),
             "a hello.pong id=7 greeting=hi arrives", "\n".join(ev.seen))
        # Reload is stop, fini, init, start: the new instance answers too.
        rc, out, err = d.ctl("module", "reload", "hello")
        t.ok(rc == 0, "bulwarkctl module reload hello", out + err)
        d.ctl("emit", "hello.ping", "id=8")
        pong = ev.wait_for(lambda l: "hello.pong" in tokens(l) and "id=8" in tokens(l), 10)
        t.ok(pong is not None and "greeting=hi" in tokens(pong),
             "after a reload, hello.ping id=8 is answered", "\n".join(ev.seen))
    finally:
        ev.close()

    rc, out, err = d.ctl("hello", "Bob")
    t.ok(rc == 0 and out.strip() == "hi, Bob", "a plugin's control command: bulwarkctl hello Bob", out + err)
    rc, out, err = d.ctl("help")
    t.ok("greet (plugin hello)" in out, "help lists the plugin's command", out)
    rc, out, err = d.ctl("hello", "a", "b")
    t.ok(rc == 1 and "usage: hello [NAME]" in err, "a wrong form gets the plugin's usage", out + err)

    rc, out, err = d.ctl("module", "unload", "hello")
    rc2, out2, _ = d.ctl("modules")
    running = [l for l in out2.splitlines() if "hello" in tokens(l) and "running" in l]
    rc3, _, err3 = d.ctl("hello")
    t.ok(rc3 == 1 and "unknown command" in err3, "the command goes away with the module", err3)
    t.ok(rc == 0 and not running, "hello unloads at runtime", out + err + out2)
    t.ok(d.stop() == 0, "bulwarkd stops cleanly", d.output())

# The schema fragment (mod_hello.rng beside the module) is enforced.
tmp = tempfile.mkdtemp(prefix="bwit-")
try:
    cfg = os.path.join(tmp, "bulwark.xml")
    env = dict(os.environ, BULWARK_MODULE_PATH=module_path())

    def check(greeting):
        with open(cfg, "w") as f:
            f.write(CONFIG.format(datadir=tmp,
                                  modules='<module name="hello" greeting="%s"/>' % greeting))
        p = bulwarkd_run(["--check-config", cfg],
                         capture_output=True, text=True, env=env, timeout=30)
        return p.returncode, p.stdout + p.stderr

    rc, out = check("hi")
    t.ok(rc == 0, "--check-config accepts greeting=\"hi\"", out)
    # the module element is on line 5 of bwtest's template
    rc, out = check("")
    t.ok(rc != 0 and "bulwark.xml:5:" in out and "module" in out,
         "--check-config rejects an empty greeting (mod_hello.rng), naming file:line",
         "rc=%d\n%s" % (rc, out))
    rc, out = check("x" * 65)
    t.ok(rc != 0, "--check-config rejects a 65-character greeting", out)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
